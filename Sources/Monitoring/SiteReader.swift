import Bioprocess
import Capacity

/// Reads a site file (`vectorfab/site/1`): the rooms with their grade and facility suite, the
/// monitored equipment, and the series of points with what each measures and how often.
/// Every mistake is reported at once with its place.
public enum SiteReader {
    public static let format = "vectorfab/site/1"
    /// The most rooms, pieces of equipment and series a site file may list.
    public static let maxRooms = 2_000
    public static let maxEquipment = 10_000
    public static let maxSeries = 100_000
    /// Sampling intervals from a second to a week.
    public static let intervals: ClosedRange<Double> = 1...604_800

    /// The site; with `facility`, each room's suite must be one of its suites.
    public static func read(_ document: DocumentNode, facility: Facility? = nil) throws(DefinitionError) -> MonitoredSite {
        let issues = IssueCollector()
        let r = FieldReader(document, path: .root, issues: issues)
        let version = r.string("vectorfab", expected: "\"\(format)\"")
        if !version.isEmpty && version != format {
            r.problem("'\(version)' is not a site format this version reads", at: "vectorfab", expected: "\"\(format)\"")
        }
        let name = r.string("name", expected: "the site's name")
        _ = r.optionalString("facility", expected: "the facility file's path, relative to this file")
        let suites = Set(facility?.suites.map(\.name) ?? [])
        var ids = Set<String>()

        var rooms: [Room] = []
        for (path, node) in r.list("rooms", expected: "a list of rooms", max: maxRooms, counting: "rooms") {
            let f = FieldReader(node, path: path, issues: issues)
            let id = identifier(f, "the room's id, such as USP-1")
            let roomName = f.optionalString("name") ?? id
            let grade = f.choice("grade", CleanroomGrade.self)
            let suite = f.optionalString("suite", expected: "the facility file's suite this room belongs to")
            if let suite, facility != nil, !suites.contains(suite) {
                f.problem(
                    "'\(suite)' is not a suite of the facility file", at: "suite",
                    expected: "one of: " + suites.sorted().prefix(20).joined(separator: ", "))
            }
            f.finish()
            if !id.isEmpty, !ids.insert(id).inserted { f.problem("the id '\(id)' is used twice", at: "id", expected: "distinct ids") }
            if let grade { rooms.append(Room(id: id, name: roomName, grade: grade, suite: suite)) }
        }
        let roomIDs = Set(rooms.map(\.id))

        var equipment: [MonitoredEquipment] = []
        for (path, node) in r.list("equipment", required: false, expected: "a list of monitored equipment", max: maxEquipment, counting: "pieces of equipment") {
            let f = FieldReader(node, path: path, issues: issues)
            let id = identifier(f, "the equipment's id, as batch records name it, such as BR-200-1")
            let equipmentName = f.optionalString("name") ?? id
            let room = f.string("room", expected: "the id of the room it is in")
            if !room.isEmpty, !roomIDs.contains(room) {
                f.problem("'\(room)' is not a room of the site", at: "room", expected: "one of the rooms' ids")
            }
            f.finish()
            if !id.isEmpty, !ids.insert(id).inserted { f.problem("the id '\(id)' is used twice", at: "id", expected: "distinct ids") }
            equipment.append(MonitoredEquipment(id: id, name: equipmentName, room: room))
        }
        let equipmentIDs = Set(equipment.map(\.id))

        var series: [Series] = []
        var seriesIDs = Set<String>()
        for (path, node) in r.list("series", expected: "a list of series (sensors)", max: maxSeries, counting: "series") {
            let f = FieldReader(node, path: path, issues: issues)
            let id = identifier(f, "the series' id, such as BR-200-1/ph")
            let measurand = f.choice("measures", Measurand.self)
            let room = f.optionalString("room", expected: "the id of the room measured")
            let on = f.optionalString("equipment", expected: "the id of the equipment measured")
            var location: SeriesLocation?
            switch (room, on) {
            case (let room?, nil):
                if roomIDs.contains(room) { location = .room(room) } else { f.problem("'\(room)' is not a room of the site", at: "room", expected: "one of the rooms' ids") }
            case (nil, let on?):
                if equipmentIDs.contains(on) { location = .equipment(on) } else {
                    f.problem("'\(on)' is not equipment of the site", at: "equipment", expected: "one of the equipment's ids")
                }
            case (nil, nil): f.problem("says neither where it measures", expected: "'room' or 'equipment'")
            case (_?, _?): f.problem("gives both a room and equipment", expected: "one of 'room' or 'equipment'")
            }
            let interval = f.quantity("interval", Duration.self).value(in: "s")
            if interval.isFinite, !intervals.contains(interval) {
                f.problem("the interval \(interval) s is outside 1 s to 1 week", at: "interval", expected: "a sampling interval such as \"1 min\"")
            }
            if let u = f.optionalString("unit", expected: "the unit of its points"), let m = measurand, !m.unitSpellings.contains(u) {
                f.problem("'\(u)' is not the unit of \(m.rawValue)", at: "unit", expected: m.unit)
            }
            f.finish()
            if !id.isEmpty, !seriesIDs.insert(id).inserted { f.problem("the series '\(id)' is listed twice", at: "id", expected: "distinct ids") }
            if let measurand, let location, interval.isFinite {
                series.append(Series(id: id, measurand: measurand, location: location, interval: interval))
            }
        }
        r.finish()
        try issues.throwIfAny()
        return MonitoredSite(name: name, rooms: rooms, equipment: equipment, series: series)
    }

    /// An id: letters, digits and `-_./:`, at most 100 characters.
    static func identifier(_ f: FieldReader, _ expected: String) -> String {
        let id = f.string("id", expected: expected)
        let allowed = id.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./:".unicodeScalars.contains($0) }
        if !id.isEmpty, !(allowed && id.count <= 100) {
            f.problem("'\(id.prefix(40))' is not an id", at: "id", expected: "letters, digits and - _ . / : (at most 100 characters)")
        }
        return id
    }
}
