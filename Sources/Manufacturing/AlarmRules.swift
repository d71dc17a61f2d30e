import Bioprocess
import Foundation
import Monitoring

/// An excursion as a GMP record: raised when a monitored series stayed outside its approved
/// limits for the persistence delay, escalated to the action level, ended once back inside
/// by the hysteresis margin; acknowledged once, with a signature and a comment. Times are the
/// store's text (`2026-12-07T15:04:05.000Z`).
public struct Alarm: Codable, Sendable, Hashable {
    public var id: String
    public var series: String
    /// Where the series is measured: the room or the piece of equipment.
    public var place: String
    /// The worst level reached so far.
    public var level: LimitLevel
    /// When the values first left the limits.
    public var since: String
    /// When the persistence delay ran out and the alarm was raised.
    public var raisedAt: String
    /// The value that raised it (or escalated it).
    public var value: Double
    /// When it ended; nil while the series is still outside its limits.
    public var endedAt: String?
    public var acknowledgedBy: String?
    public var acknowledgedAt: String?
    public var comment: String?

    public init(
        id: String, series: String, place: String, level: LimitLevel, since: String, raisedAt: String, value: Double, endedAt: String? = nil,
        acknowledgedBy: String? = nil, acknowledgedAt: String? = nil, comment: String? = nil
    ) {
        self.id = id
        self.series = series
        self.place = place
        self.level = level
        self.since = since
        self.raisedAt = raisedAt
        self.value = value
        self.endedAt = endedAt
        self.acknowledgedBy = acknowledgedBy
        self.acknowledgedAt = acknowledgedAt
        self.comment = comment
    }

    enum CodingKeys: String, CodingKey {
        case id, series, place, level, since, raisedAt, value, endedAt, acknowledgedBy, acknowledgedAt, comment
    }

    /// The level is written as its word (`alert`, `action`).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(series, forKey: .series)
        try c.encode(place, forKey: .place)
        try c.encode(level.word, forKey: .level)
        try c.encode(since, forKey: .since)
        try c.encode(raisedAt, forKey: .raisedAt)
        try c.encode(value, forKey: .value)
        try c.encodeIfPresent(endedAt, forKey: .endedAt)
        try c.encodeIfPresent(acknowledgedBy, forKey: .acknowledgedBy)
        try c.encodeIfPresent(acknowledgedAt, forKey: .acknowledgedAt)
        try c.encodeIfPresent(comment, forKey: .comment)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let word = try c.decode(String.self, forKey: .level)
        guard let level = LimitLevel.allCases.first(where: { $0.word == word && $0 != .normal }) else {
            throw DecodingError.dataCorruptedError(forKey: .level, in: c, debugDescription: "level must be alert or action")
        }
        self.init(
            id: try c.decode(String.self, forKey: .id), series: try c.decode(String.self, forKey: .series),
            place: try c.decode(String.self, forKey: .place), level: level, since: try c.decode(String.self, forKey: .since),
            raisedAt: try c.decode(String.self, forKey: .raisedAt), value: try c.decode(Double.self, forKey: .value),
            endedAt: try c.decodeIfPresent(String.self, forKey: .endedAt), acknowledgedBy: try c.decodeIfPresent(String.self, forKey: .acknowledgedBy),
            acknowledgedAt: try c.decodeIfPresent(String.self, forKey: .acknowledgedAt), comment: try c.decodeIfPresent(String.self, forKey: .comment))
    }

    /// Still outside the limits.
    public var isActive: Bool { endedAt == nil }
    /// Nobody has answered it yet.
    public var needsAcknowledgement: Bool { acknowledgedBy == nil }
}

/// When one phase of a batch ran, and on what: from its first entry to its completion (still
/// running: no end), on the equipment (or rooms) its entries name.
public struct PhaseRun: Sendable, Hashable {
    public var batchID: String
    public var phaseID: String
    public var start: Double
    public var end: Double?
    public var places: Set<String>

    public init(batchID: String, phaseID: String, start: Double, end: Double?, places: Set<String>) {
        self.batchID = batchID
        self.phaseID = phaseID
        self.start = start
        self.end = end
        self.places = places
    }

    /// The runs of the phases among `entries` (any batches): a phase's first entry starts it,
    /// its completion ends it; its equipment entries say where it ran. Entries whose time
    /// cannot be read are left out.
    public static func runs(_ entries: [BatchEntry]) -> [PhaseRun] {
        var runs: [String: PhaseRun] = [:]
        var order: [String] = []
        for e in entries {
            guard let t = Timestamps.parse(e.at) else { continue }
            let key = e.batchID + "\u{1}" + e.phaseID
            var run = runs[key] ?? PhaseRun(batchID: e.batchID, phaseID: e.phaseID, start: t, end: nil, places: [])
            if runs[key] == nil { order.append(key) }
            run.start = min(run.start, t)
            if e.kind == .completion { run.end = max(run.end ?? t, t) }
            if e.kind == .equipment, let place = e.equipment { run.places.insert(place) }
            runs[key] = run
        }
        return order.compactMap { runs[$0] }
    }

    /// Whether the phase ran at some time in `from...to`.
    public func overlaps(from: Double, to: Double) -> Bool { start <= to && (end ?? .infinity) >= from }
}

/// The rules of alarms: which batches an excursion touches, what its deviation says, and how
/// it is acknowledged.
public enum AlarmRules {
    public static let maxComment = 2000

    /// The places an excursion of `series` concerns: its piece of equipment, or its room and
    /// every piece of equipment in that room (a phase "runs in" a room through its equipment,
    /// or by naming the room itself, as an isolator is recorded).
    public static func places(of series: Series, in site: MonitoredSite) -> Set<String> {
        switch series.location {
        case .equipment(let e): [e]
        case .room(let r): Set([r] + site.equipment.filter { $0.room == r }.map(\.id))
        }
    }

    /// The phase runs an excursion from `from` to `to` touches: those that ran on one of the
    /// places while it lasted and began after `after(batch)` (the time of the batch's last
    /// deviation for this excursion: `-infinity` for none, `infinity` while one is open). One per
    /// batch (the earliest such phase), in the order of `runs`.
    public static func touched(
        _ runs: [PhaseRun], places: Set<String>, from: Double, to: Double, after: (String) -> Double = { _ in -.infinity }
    ) -> [PhaseRun] {
        var first: [String: PhaseRun] = [:]
        var order: [String] = []
        for run in runs where !run.places.isDisjoint(with: places) && run.overlaps(from: from, to: to) && run.start > after(run.batchID) {
            if let kept = first[run.batchID] {
                if run.start < kept.start { first[run.batchID] = run }
            } else {
                first[run.batchID] = run
                order.append(run.batchID)
            }
        }
        return order.compactMap { first[$0] }
    }

    /// The deviation opened on a batch an excursion touched.
    public static func deviation(for alarm: Alarm, run: PhaseRun, phaseName: String?, unit: String) -> DeviationToOpen {
        let phase = phaseName.map { "phase \(run.phaseID) '\($0)'" } ?? "phase \(run.phaseID)"
        let on = run.places.sorted().joined(separator: ", ")
        return DeviationToOpen(
            kind: .excursion, batchID: run.batchID,
            description:
                "\(alarm.level == .action ? "Action" : "Alert")-level excursion of \(alarm.series) (\(alarm.place)) since \(alarm.since): "
                + "\(Figure.text(alarm.value)) \(unit) while \(phase) ran on \(on) (alarm \(alarm.id))",
            alarmID: alarm.id)
    }

    /// An acknowledgement: once per alarm, with a comment saying what was seen and done.
    public static func acknowledge(_ alarm: Alarm, comment: String) -> GMPError? {
        var reasons: [String] = []
        if let by = alarm.acknowledgedBy { reasons.append("alarm \(alarm.id) was already acknowledged by \(by) at \(alarm.acknowledgedAt ?? "?")") }
        let text = comment.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { reasons.append("an acknowledgement needs a comment: what was seen and what was done") }
        if comment.count > maxComment { reasons.append("the comment is longer than \(maxComment) characters") }
        if comment.unicodeScalars.contains(where: { $0.value == 0 }) { reasons.append("the comment contains a NUL character") }
        guard !reasons.isEmpty else { return nil }
        return BatchRules.refuse(alarm.acknowledgedBy != nil ? .conflict : .invalid, reasons)
    }
}
