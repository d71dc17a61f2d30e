import Bioprocess
import Capacity
import FileFormats
import Foundation
import Testing

@testable import Monitoring

/// Annex 1 (2022) as DOMAIN.md quotes it (Table 1) and Table 6 of the Annex.
@Suite struct Annex1Tests {
    @Test func particleLimitsAreTable1() {
        #expect(Annex1.particleLimit(.a, .particles05, .inOperation) == 3_520)
        #expect(Annex1.particleLimit(.a, .particles5, .atRest) == nil)
        #expect(Annex1.particleLimit(.b, .particles05, .atRest) == 3_520)
        #expect(Annex1.particleLimit(.b, .particles05, .inOperation) == 352_000)
        #expect(Annex1.particleLimit(.b, .particles5, .inOperation) == 2_930)
        #expect(Annex1.particleLimit(.c, .particles05, .atRest) == 352_000)
        #expect(Annex1.particleLimit(.c, .particles5, .inOperation) == 29_300)
        #expect(Annex1.particleLimit(.d, .particles05, .atRest) == 3_520_000)
        #expect(Annex1.particleLimit(.d, .particles05, .inOperation) == nil)
    }

    /// The Annex's own structure: each grade at rest is the next-cleaner grade in operation, and
    /// no limit loosens from rest to operation's reverse.
    @Test(arguments: [(CleanroomGrade.b, CleanroomGrade.c), (.c, .d)])
    func aGradeInOperationIsTheNextGradeAtRest(grade: CleanroomGrade, next: CleanroomGrade) {
        for m in [Measurand.particles05, .particles5] {
            #expect(Annex1.particleLimit(grade, m, .inOperation) == Annex1.particleLimit(next, m, .atRest))
        }
    }

    @Test func viableLimitsAreTable6() {
        #expect(CleanroomGrade.allCases.map { Annex1.viableLimit($0, .viableAir) } == [0, 10, 100, 200])
        #expect(CleanroomGrade.allCases.map { Annex1.viableLimit($0, .settlePlate) } == [0, 5, 50, 100])
        #expect(CleanroomGrade.allCases.map { Annex1.viableLimit($0, .contactPlate) } == [0, 5, 25, 50])
        #expect(Annex1.viableLimit(.b, .pH) == nil)
    }
}

@Suite struct LimitTests {
    @Test func levelsAndTheirOrder() {
        let l = SeriesLimits(alertLow: 6.9, alertHigh: 7.3, actionLow: 6.8, actionHigh: 7.4)
        #expect([7.0, 7.35, 7.45, 6.85, 6.7].map { l.level($0) } == [.normal, .alert, .action, .alert, .action])
        #expect(l.problems(for: .pH, grade: nil).isEmpty)
    }

    @Test func aHysteresisWiderThanHalfTheBandIsRefused() {
        let wide = SeriesLimits(alertLow: 6.8, alertHigh: 7.2, hysteresis: 0.3)
        #expect(wide.problems(for: .pH, grade: nil).contains { $0.contains("no value would end an excursion") })
        #expect(SeriesLimits(alertLow: 6.8, alertHigh: 7.2, hysteresis: 0.1).problems(for: .pH, grade: nil).isEmpty)
    }

    @Test func limitsThatCannotBeApprovedSayWhy() {
        let inverted = SeriesLimits(alertHigh: 8, actionHigh: 7)
        #expect(inverted.problems(for: .pH, grade: nil).contains { $0.contains("alert-high 8.0 is above action-high 7.0") })
        #expect(SeriesLimits().problems(for: .pH, grade: nil).contains { $0.contains("no limit is set") })
        // Above the Annex 1 ceiling of a grade B room in operation (352,000 /m³ ≥ 0.5 µm).
        let loose = SeriesLimits(alertHigh: 100_000, actionHigh: 400_000, persistence: 60)
        #expect(loose.problems(for: .particles05, grade: .b).contains { $0.contains("above the grade B limit of 352000") })
        #expect(SeriesLimits(alertLow: 10, persistence: 60).problems(for: .particles05, grade: .b).contains { $0.contains("no upper limit") })
        #expect(SeriesLimits(alertHigh: 1, persistence: 1e9).problems(for: .pH, grade: nil).contains { $0.contains("persistence") })
        #expect(SeriesLimits(alertHigh: .nan).problems(for: .pH, grade: nil).contains { $0.contains("not a finite number") })
    }

    @Test func annex1StartingLimitsPassTheirOwnCheck() throws {
        for grade in CleanroomGrade.allCases {
            for m in Measurand.allCases {
                guard let l = SeriesLimits.fromAnnex1(grade, m) else { continue }
                #expect(l.problems(for: m, grade: grade).isEmpty, "\(grade) \(m)")
                #expect(l.actionHigh == Annex1.ceiling(grade, m))
            }
        }
        #expect(SeriesLimits.fromAnnex1(.a, .particles5) == nil)
    }
}

@Suite struct ExcursionTests {
    /// pH alert above 7.3, action above 7.4; 120 s persistence; 0.05 hysteresis; a point a minute.
    let limits = SeriesLimits(alertHigh: 7.3, actionHigh: 7.4, persistence: 120, hysteresis: 0.05)

    func run(_ values: [Double], limits: SeriesLimits? = nil) -> [(Int, ExcursionEvent)] {
        var d = ExcursionDetector(limits: limits ?? self.limits)
        return values.enumerated().compactMap { i, v in d.observe(time: Double(i) * 60, value: v).map { (i, $0) } }
    }

    @Test func aSingleNoisyReadingRaisesNothing() {
        #expect(run([7.0, 7.0, 7.6, 7.0, 7.0, 7.5, 7.1]).isEmpty)
    }

    @Test func aSustainedExcursionIsRaisedAfterThePersistenceDelayFromItsFirstPoint() throws {
        let events = run([7.0, 7.35, 7.36, 7.37, 7.36, 7.1])
        // Outside from minute 1; raised at minute 3 (120 s later); ended at minute 5.
        #expect(events.count == 2)
        let (at, raised) = try #require(events.first)
        #expect(at == 3)
        #expect(raised == .raised(level: .alert, since: 60, at: 180, value: 7.37))
        #expect(events.last?.1 == .ended(peak: .alert, at: 300))
    }

    @Test func aValueHoveringAtTheLimitDoesNotFlap() {
        // Above 7.3 for three minutes, then hovering between 7.27 and 7.32: within the 0.05
        // hysteresis band the excursion stays open; it ends only below 7.25.
        let values = [7.35, 7.35, 7.35, 7.29, 7.31, 7.28, 7.32, 7.27, 7.31, 7.24, 7.29, 7.31]
        let events = run(values)
        #expect(events.map(\.0) == [2, 9])
        #expect(events.last?.1 == .ended(peak: .alert, at: 540))
    }

    @Test func anAlertGoesOnToActionAfterItsOwnDelay() {
        let events = run([7.35, 7.35, 7.35, 7.45, 7.45, 7.45, 7.0])
        #expect(events.map(\.1) == [
            .raised(level: .alert, since: 0, at: 120, value: 7.35), .escalated(since: 180, at: 300, value: 7.45),
            .ended(peak: .action, at: 360),
        ])
    }

    @Test func aSampledCountIsAnExcursionAtOnce() {
        let plates = SeriesLimits(alertHigh: 3, actionHigh: 5, persistence: 0)
        #expect(run([0, 1, 6, 0], limits: plates).map(\.1) == [.raised(level: .action, since: 120, at: 120, value: 6), .ended(peak: .action, at: 180)])
    }

    @Test func theDetectorResumesFromItsSavedState() throws {
        var d = ExcursionDetector(limits: limits)
        _ = d.observe(time: 0, value: 7.35)
        let saved = try JSONEncoder().encode(d)
        var resumed = try JSONDecoder().decode(ExcursionDetector.self, from: saved)
        _ = resumed.observe(time: 60, value: 7.36)
        #expect(resumed.observe(time: 120, value: 7.36) == .raised(level: .alert, since: 0, at: 120, value: 7.36))
    }
}

@Suite struct PointCheckTests {
    static let site = MonitoredSite(
        name: "t", rooms: [Room(id: "VS-1", name: "VS-1", grade: .b)], equipment: [MonitoredEquipment(id: "BR-1", name: "BR", room: "VS-1")],
        series: [
            Series(id: "BR-1/ph", measurand: .pH, location: .equipment("BR-1"), interval: 60),
            Series(id: "VS-1/particles-0.5", measurand: .particles05, location: .room("VS-1"), interval: 60),
        ])
    static let series = Dictionary(uniqueKeysWithValues: site.series.map { ($0.id, $0) })
    static let now = 1_796_000_000.0

    func problems(_ points: [Point], last: [String: Double] = [:]) -> [PointProblem] {
        PointCheck.problems(points, series: Self.series, last: last, now: Self.now)
    }

    @Test func aGoodBatchPasses() {
        let points = (0..<10).flatMap { i in
            [Point(series: "BR-1/ph", time: Self.now - 600 + Double(i) * 60, value: 7.1, unit: "pH"),
             Point(series: "VS-1/particles-0.5", time: Self.now - 600 + Double(i) * 60, value: 1200, unit: "/m3")]
        }
        #expect(problems(points).isEmpty)
    }

    @Test func everyBadPointIsNamedWithWhatWasExpected() throws {
        let t = Self.now - 100
        let found = problems(
            [
                Point(series: "BR-1/pH", time: t, value: 7),  // 1: unknown (case)
                Point(series: "BR-1/ph", time: t, value: .nan),  // 2: not finite
                Point(series: "BR-1/ph", time: t + 1, value: 7, unit: "mV"),  // 3: unit
                Point(series: "BR-1/ph", time: t + 1, value: 7),  // 4: duplicated
                Point(series: "BR-1/ph", time: t - 50, value: 7),  // 5: out of order
                Point(series: "BR-1/ph", time: Self.now + 3600, value: 7),  // 6: future
                Point(series: "VS-1/particles-0.5", time: 1000, value: 7),  // 7: before 2000
            ], last: ["VS-1/particles-0.5": t])
        #expect(found.map(\.index) == [1, 2, 3, 4, 5, 6, 7])
        #expect(found[0].message.contains("did you mean 'BR-1/ph'"))
        #expect(found[1].message.contains("not a finite number"))
        #expect(found[2].expected.contains("pH"))
        #expect(found[3].message.contains("duplicated"))
        #expect(found[4].message.contains("out of order"))
        #expect(found[5].message.contains("3600 s ahead"))
        #expect(found[6].message.contains("from 2000 to 8999"))
        #expect(found[0].description.hasPrefix("point 1 (BR-1/pH at 2026-"))
    }

    @Test func anAbsurdTimeIsRefusedNotATrap() {
        for t in [1e19, -1e19, 2.3e11, .infinity] {
            let found = problems([Point(series: "BR-1/ph", time: t, value: 7)])
            #expect(found.count == 1 && found[0].message.contains("not a time"), "\(t): \(found)")
        }
    }

    @Test func theHintIsWorkedOutOncePerNameAmongManySeries() {
        var many = Self.series
        for i in 0..<10_000 { many["S-\(i)/ph"] = Series(id: "S-\(i)/ph", measurand: .pH, location: .equipment("BR-1"), interval: 60) }
        let bad = (0..<200).map { Point(series: "S-77/pH", time: Self.now - Double($0), value: 7) }
        let found = PointCheck.problems(bad, series: many, last: [:], now: Self.now)
        #expect(found.first?.message.contains("did you mean 'S-77/ph'") == true)
    }

    @Test func aPointBeforeTheNewestStoredIsOutOfOrder() {
        let found = problems([Point(series: "BR-1/ph", time: Self.now - 120, value: 7)], last: ["BR-1/ph": Self.now - 60])
        #expect(found.count == 1 && found[0].message.contains("out of order"))
    }

    @Test func theProblemsListedAreBoundedAndTheRestCounted() {
        let bad = (0..<500).map { Point(series: "nope", time: Self.now - Double($0), value: 1) }
        let found = problems(bad)
        #expect(found.count == PointCheck.maxProblems + 1)
        #expect(found.last?.message == "and 450 more problems")
    }

    @Test func aBatchOverTheLimitIsRefusedWhole() {
        let many = (0...PointCheck.maxPoints).map { Point(series: "BR-1/ph", time: Self.now - 1e6 + Double($0), value: 7) }
        #expect(problems(many).first?.message.contains("more than the limit") == true)
    }
}

@Suite struct TimestampTests {
    /// Against Foundation's ISO 8601 formatter, an independent implementation.
    @Test func formatsAndParsesLikeFoundation() throws {
        let f = ISO8601DateFormatter()
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let t = Double(Int.random(in: 946_684_800...4_102_444_800, using: &rng))
            let text = Timestamps.text(t)
            #expect(text == f.string(from: Date(timeIntervalSince1970: t)))
            #expect(Timestamps.parse(text) == t)
        }
        #expect(Timestamps.parse("2026-12-02T15:00:00+01:00") == Timestamps.parse("2026-12-02T14:00:00Z"))
        #expect(Timestamps.parse("2026-12-02T14:00:00.250Z") == Timestamps.parse("2026-12-02T14:00:00Z")! + 0.25)
        for bad in [
            "2026-02-30T00:00:00Z", "2026-12-02", "2026-12-02T25:00:00Z", "2026-12-02T14:00:00Zjunk", "yesterday",
            "2026-12-02T14:00:00", "2026-12-02T14:00:60Z",
        ] {
            #expect(Timestamps.parse(bad) == nil, "\(bad)")
        }
    }
}

@Suite struct ControlChartTests {
    /// Worked by hand: mean 11.6; moving ranges 2, 1, 2, 1 → MR̄ 1.5; σ = 1.5 / 1.128 = 1.3298;
    /// limits 11.6 ± 3.9894; MR upper 3.267 × 1.5 = 4.9005.
    @Test func limitsFromTheReferenceSet() throws {
        let c = try #require(IndividualsChart.fit(reference: [10, 12, 11, 13, 12]))
        #expect(abs(c.centre - 11.6) < 1e-12)
        #expect(abs(c.sigma - 1.5 / 1.128) < 1e-12)
        #expect(abs(c.upper - 15.589361702) < 1e-6)
        #expect(abs(c.lower - 7.610638298) < 1e-6)
        #expect(abs(c.movingRangeUpper - 4.9005) < 1e-9)
        #expect(IndividualsChart.fit(reference: [5, 5, 5]) == nil)
        #expect(IndividualsChart.fit(reference: [5]) == nil)
    }

    /// A chart with centre 0 and σ 1, and for each rule a sequence that breaks it where stated.
    static let unit = IndividualsChart(centre: 0, sigma: 1, averageMovingRange: 1.128, referenceCount: 20)

    @Test(arguments: [
        (NelsonRule.beyondThreeSigma, [0.5, -0.2, 3.5, 0.1], 2),
        (.nineOnOneSide, [-0.5, 0.2, 0.3, 0.1, 0.4, 0.2, 0.6, 0.3, 0.1, 0.5], 9),
        (.sixTrending, [0.9, -0.5, -0.3, 0.0, 0.2, 0.4, 0.6], 6),
        (.fourteenAlternating, [0.1, -0.1, 0.2, -0.2, 0.1, -0.1, 0.2, -0.2, 0.1, -0.1, 0.2, -0.2, 0.1, -0.1], 13),
        (.twoOfThreeBeyondTwoSigma, [0.0, 2.5, 0.3, 2.2], 3),
        (.fourOfFiveBeyondOneSigma, [1.5, 1.2, 0.3, 1.4, 1.1], 4),
        (.fifteenWithinOneSigma, Array(repeating: 0.0, count: 14).enumerated().map { Double($0.offset % 2) * 0.4 - 0.2 } + [0.3], 14),
        (.eightBeyondOneSigmaEitherSide, [1.5, -1.5, 1.2, -1.3, 1.1, -1.4, 1.6, -1.2], 7),
    ])
    func eachRuleIsBrokenWhereExpected(rule: NelsonRule, values: [Double], at: Int) {
        let hits = rule.violations(values, Self.unit)
        #expect(hits.first?.index == at, "\(rule): \(hits)")
        // One point short of the pattern breaks nothing.
        #expect(rule.violations(Array(values.prefix(at)), Self.unit).isEmpty, "\(rule)")
    }

    @Test func eightBeyondOneSigmaOnOneSideOnlyIsNotRuleEight() {
        #expect(NelsonRule.eightBeyondOneSigmaEitherSide.violations(Array(repeating: 1.5, count: 10), Self.unit).isEmpty)
    }

    @Test func aQuietProcessBreaksNoRule() {
        // Zigzag within ±1.4σ with varying steps: no rule applies.
        let quiet = [0.3, -0.8, 1.2, 0.1, -1.1, 0.6, -0.2, 1.3, -0.9, 0.4, -1.4, 0.8, 1.1, -0.3, 0.2, -1.2, 0.7]
        #expect(Self.unit.violations(quiet).isEmpty, "\(Self.unit.violations(quiet))")
    }

    /// Worked by hand: values 10, 12, 11, 13, 12 (mean 11.6, σ within 1.3298, s 1.1402),
    /// specification 8–16: Cpk = min(16 − 11.6, 11.6 − 8) / (3 × 1.3298) = 0.9024; Ppk with s:
    /// 3.6 / 3.4205 = 1.0525.
    @Test func capabilityWorkedByHand() throws {
        let c = try #require(Capability.of([10, 12, 11, 13, 12], low: 8, high: 16))
        #expect(abs(c.cpk - 3.6 / (3 * 1.5 / 1.128)) < 1e-9)
        #expect(abs(c.ppk - 3.6 / (3 * 1.140175425)) < 1e-6)
        #expect(Capability.of([10, 12], low: nil, high: nil) == nil)
    }
}

@Suite struct DownsamplingTests {
    @Test func aMonthOfMinutesKeepsItsSpikeInFewPoints() {
        let n = 43_200
        let times = (0..<n).map { Double($0) * 60 }
        var values = times.map { 7 + 0.01 * sin($0 / 3600) }
        values[20_000] = 9.5
        values[30_000] = 4.5
        let drawn = Downsampling.minMax(times: times, values: values, buckets: 1_000)
        #expect(drawn.count <= 2_000)
        #expect(drawn.contains { $0.time == times[20_000] && $0.value == 9.5 })
        #expect(drawn.contains { $0.time == times[30_000] && $0.value == 4.5 })
        #expect(zip(drawn, drawn.dropFirst()).allSatisfy { $0.time < $1.time })
        #expect(Downsampling.minMax(times: [1, 2], values: [3, 4], buckets: 10).count == 2)
    }
}

@Suite struct SiteFileTests {
    static func read(_ text: String, facility: Facility? = nil) throws -> MonitoredSite {
        try SiteReader.read(try DocumentLoader.parse(text, file: "site.yaml"), facility: facility)
    }

    @Test func theExampleSiteReadsAgainstItsFacility() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let facility = try FacilityReader.read(try DocumentLoader.load(path: root.appendingPathComponent("Examples/capacity/genethon-bioprod-2015.yaml").path))
        let site = try SiteReader.read(
            try DocumentLoader.load(path: root.appendingPathComponent("Examples/sites/genethon-bioprod-site.yaml").path), facility: facility)
        #expect(site.rooms.count == 4)
        #expect(site.series.count == 18)
        let ph = try #require(site.series.first { $0.id == "BR-200-1/ph" })
        #expect(ph.interval == 60 && ph.unit == "pH")
        #expect(site.room(of: ph)?.grade == .b)
        #expect(site.room(of: ph)?.suite == "Vector suite 1")
    }

    @Test func mistakesAreReportedTogetherWithTheirPlace() throws {
        let text = """
            vectorfab: vectorfab/site/1
            name: t
            rooms:
              - {id: R1, grade: E}
              - {id: R2, grade: B, suite: Suite 9}
            equipment:
              - {id: BR-1, room: R7}
            series:
              - {id: s1, measures: ph, room: R2, equipment: BR-1, interval: 1 min}
              - {id: s2, measures: ph, interval: 1 min}
              - {id: s3, measures: particles-0.5um, room: R2, interval: 2 wk}
              - {id: s4, measures: ph, room: R2, interval: 1 min, unit: mV}
              - {id: s4, measures: phh, room: R2, interval: 1 min}
            """
        let facility = Facility(
            name: "f", site: nil, start: CalendarDate(year: 2026, month: 1, day: 1),
            suites: [Suite(name: "Suite 1", kind: .vectorProduction, grade: .b, maxScale: [:], patientsPerYear: nil, group: nil)], resources: [],
            changeover: Changeover(sameProduct: 0, productChange: 0), closures: [], holdSuiteUntilRelease: false, crewPerLot: 0, leadTimes: [:])
        let error = try #require(throws: DefinitionError.self) { try Self.read(text, facility: facility) }
        let text2 = "\(error)"
        for expected in [
            "'E' is not a known value", "'Suite 9' is not a suite of the facility file", "'R7' is not a room of the site",
            "gives both a room and equipment", "says neither where it measures", "outside 1 s to 1 week", "'mV' is not the unit of ph",
            "listed twice", "'phh' is not a known value",
        ] {
            #expect(text2.contains(expected), "\(expected) in \(text2)")
        }
        #expect(text2.contains("site.yaml:4:"), "\(text2)")
    }
}
