import Capacity
import Manufacturing
import Monitoring
import Testing

/// Which phases an excursion touches, and when a batch gets another deviation for it.
struct AlarmRulesTests {
    static let runs = [
        PhaseRun(batchID: "B1", phaseID: "2.1.1", start: 100, end: 200, places: ["BR-1"]),
        PhaseRun(batchID: "B1", phaseID: "2.2.1", start: 300, end: nil, places: ["BR-1"]),
        PhaseRun(batchID: "B2", phaseID: "2.1.1", start: 150, end: 180, places: ["BR-2"]),
        PhaseRun(batchID: "B3", phaseID: "4.1.1", start: 50, end: 90, places: ["ISO-1"]),
    ]

    @Test(arguments: [
        // An excursion on BR-1 from 120 to 160: B1's first phase only.
        (Set(["BR-1"]), 120.0, 160.0, [String: Double](), ["B1 2.1.1"]),
        // A room holding BR-1 and BR-2, from 0 to 400: B1's earliest phase and B2; B3 ended before.
        (Set(["VS-1", "BR-1", "BR-2"]), 95.0, 400.0, [:], ["B1 2.1.1", "B2 2.1.1"]),
        // B1 has an open deviation for it: nothing more on B1.
        (Set(["BR-1"]), 0.0, 400.0, ["B1": Double.infinity], []),
        // B1's deviation (opened at 250) is closed: the phase begun after it is a new exposure.
        (Set(["BR-1"]), 0.0, 400.0, ["B1": 250.0], ["B1 2.2.1"]),
        // The isolator named as the room: its phase, while it ran.
        (Set(["ISO-1"]), 60.0, 70.0, [:], ["B3 4.1.1"]),
    ])
    func anExcursionTouchesThePhasesThatRanOnItsPlaces(places: Set<String>, from: Double, to: Double, after: [String: Double], expected: [String]) {
        let touched = AlarmRules.touched(Self.runs, places: places, from: from, to: to, after: { after[$0] ?? -.infinity })
        #expect(touched.map { "\($0.batchID) \($0.phaseID)" } == expected)
    }

    @Test func aRoomsExcursionConcernsItsEquipmentAndAnAcknowledgementNeedsAComment() {
        let site = MonitoredSite(
            name: "S", rooms: [Room(id: "VS-1", name: "Suite", grade: .b)], equipment: [MonitoredEquipment(id: "BR-1", name: "BR", room: "VS-1")],
            series: [])
        let room = Series(id: "VS-1/dp", measurand: .differentialPressure, location: .room("VS-1"), interval: 60)
        #expect(AlarmRules.places(of: room, in: site) == ["VS-1", "BR-1"])
        let alarm = Alarm(id: "a", series: "VS-1/dp", place: "VS-1", level: .action, since: "t", raisedAt: "t", value: 5)
        #expect(AlarmRules.acknowledge(alarm, comment: " ")?.kind == .invalid)
        #expect(AlarmRules.acknowledge(alarm, comment: "seen") == nil)
        var done = alarm
        done.acknowledgedBy = "u"
        #expect(AlarmRules.acknowledge(done, comment: "again")?.kind == .conflict)
    }
}
