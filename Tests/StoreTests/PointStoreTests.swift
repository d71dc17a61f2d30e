import Foundation
import Logging
import Monitoring
import SQLKit
import Testing

@testable import Store

/// The raw points of monitored series: stored whole or not at all, in time order, apart from
/// the GMP records; on SQLite and PostgreSQL.
@Suite struct PointStoreTests {
    static let series: [String: Series] = [
        "BR-1/ph": Series(id: "BR-1/ph", measurand: .pH, location: .equipment("BR-1"), interval: 60),
        "VS-1/particles-0.5": Series(id: "VS-1/particles-0.5", measurand: .particles05, location: .room("VS-1"), interval: 60),
    ]
    /// 2026-11-30T23:00:00Z: a batch that crosses into December (two monthly partitions).
    static let start = 1_796_079_600.0
    static let now = start + 86_400

    static func minutes(_ n: Int, from t0: Double = start, series: String = "BR-1/ph") -> [Point] {
        (0..<n).map { Point(series: series, time: t0 + Double($0) * 60, value: 7 + Double($0 % 10) / 100, unit: nil) }
    }

    @Test(arguments: Backend.available)
    func aBatchIsStoredWholeAndReadBackInTimeOrder(backend: Backend) async throws {
        let gmp = try await freshLocation(backend)
        let points = try await PointStore.open(beside: gmp)
        let batch = Self.minutes(180) + Self.minutes(180, series: "VS-1/particles-0.5")
        #expect(try await points.ingest(batch, series: Self.series, now: Self.now) == 360)
        let back = try await points.points("BR-1/ph", from: Self.start, to: Self.start + 3600)
        #expect(back.times.count == 60)
        #expect(back.times == (0..<60).map { Self.start + Double($0) * 60 })
        #expect(back.values == Self.minutes(60).map(\.value))
        #expect(try await points.count("VS-1/particles-0.5") == 180)
        #expect(try await points.newest(["BR-1/ph", "nope"]) == ["BR-1/ph": Self.start + 179 * 60])
        if case .sqlite(let path) = gmp {
            // A file of its own: the GMP database is not where points go.
            #expect(points.location == .sqlite(path: String(path.dropLast(".sqlite".count)) + ".points.sqlite"))
        } else {
            // Two monthly partitions, November and December 2026.
            let n = try await PostgresProbe.count(gmp, "SELECT COUNT(*) AS n FROM pg_inherits WHERE inhparent = 'points'::regclass")
            #expect(n == 2)
        }
        try await points.close()
        // Reopened: the series and their newest times are still known.
        let again = try await PointStore.open(beside: gmp)
        #expect(try await again.newest(["BR-1/ph"]) == ["BR-1/ph": Self.start + 179 * 60])
        let next = Self.minutes(10, from: Self.start + 180 * 60)
        #expect(try await again.ingest(next, series: Self.series, now: Self.now) == 10)
        #expect(try await again.count("BR-1/ph") == 190)
        try await again.close()
    }

    @Test(arguments: Backend.available)
    func aRefusedBatchStoresNothingAndNamesEveryBadPoint(backend: Backend) async throws {
        let points = try await PointStore.open(beside: try await freshLocation(backend))
        try await points.ingest(Self.minutes(10), series: Self.series, now: Self.now)
        var batch = Self.minutes(100, from: Self.start + 600)
        batch[40].value = .infinity
        batch[70].unit = "mV"
        batch.append(Point(series: "BR-1/ph", time: Self.start + 300, value: 7))  // before the newest stored
        batch.append(Point(series: "BR-2/ph", time: Self.start + 300, value: 7))  // unknown
        let refused = await #expect(throws: PointsRefused.self) { try await points.ingest(batch, series: Self.series, now: Self.now) }
        #expect(refused?.problems.map(\.index) == [41, 71, 101, 102])
        #expect(refused?.description.contains("point 101 (BR-1/ph at 2026-11-30T23:05:00Z): the time is before") == true)
        #expect(try await points.count("BR-1/ph") == 10)
        #expect(try await points.count("BR-2/ph") == 0)
        // A duplicate of a stored point is refused too.
        let duplicate = await #expect(throws: PointsRefused.self) {
            try await points.ingest([Point(series: "BR-1/ph", time: Self.start + 540, value: 7)], series: Self.series, now: Self.now)
        }
        #expect(duplicate?.problems.first?.message.contains("duplicated") == true)
        try await points.close()
    }

    @Test(arguments: Backend.available)
    func pointsLessThanAMillisecondApartAreDuplicatesAndAMonthsLastInstantFindsItsPartition(backend: Backend) async throws {
        let points = try await PointStore.open(beside: try await freshLocation(backend))
        let close = [Point(series: "BR-1/ph", time: Self.start, value: 7), Point(series: "BR-1/ph", time: Self.start + 0.0001, value: 7)]
        let refused = await #expect(throws: PointsRefused.self) { try await points.ingest(close, series: Self.series, now: Self.now) }
        #expect(refused?.problems.first?.message.contains("duplicated") == true)
        // 2026-11-30T23:59:59.9996Z is stored as 2026-12-01T00:00:00.000Z: December's partition.
        let edge = Point(series: "BR-1/ph", time: Self.start + 3599.9996, value: 7)
        #expect(try await points.ingest([edge], series: Self.series, now: Self.now) == 1)
        #expect(try await points.points("BR-1/ph", from: Self.start + 3600, to: Self.start + 3601).times == [Self.start + 3600])
        try await points.close()
    }

    @Test(arguments: Backend.available)
    func concurrentIngestsRunOneAfterAnother(backend: Backend) async throws {
        let points = try await PointStore.open(beside: try await freshLocation(backend))
        // Twenty requests at once, each of its own minute range, and each sent twice.
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for k in 0..<20 {
                for _ in 0..<2 {
                    group.addTask {
                        let batch = Self.minutes(50, from: Self.start + Double(k) * 3000)
                        do {
                            _ = try await points.ingest(batch, series: Self.series, now: Self.now)
                            return true
                        } catch is PointsRefused {
                            return false
                        } catch {
                            Issue.record("not a refusal: \(error)")
                            return false
                        }
                    }
                }
            }
            var stored = 0
            for await ok in group where ok { stored += 1 }
            return stored
        }
        // Ranges sent after a later one are refused as out of order, duplicates as duplicated;
        // whatever was stored is whole batches, never parts of one.
        #expect(outcomes >= 1)
        #expect(try await points.count("BR-1/ph") == outcomes * 50)
        try await points.close()
    }

    @Test(arguments: Backend.available)
    func excursionsAreFoundOnIngestAcrossBatches(backend: Backend) async throws {
        let points = try await PointStore.open(beside: try await freshLocation(backend))
        let limits = ["BR-1/ph": SeriesLimits(alertHigh: 7.3, actionHigh: 7.4, persistence: 120, hysteresis: 0.05)]
        // Out of range from the last point of the first batch; raised in the second, 120 s on.
        var first = Self.minutes(10).map { Point(series: $0.series, time: $0.time, value: 7.0) }
        first[9].value = 7.5
        let a = try await points.ingest(first, series: Self.series, now: Self.now, limits: limits)
        #expect(a.stored == 10 && a.events.isEmpty)
        let second = Self.minutes(5, from: Self.start + 600).enumerated().map { Point(series: $1.series, time: $1.time, value: $0 < 2 ? 7.5 : 7.0) }
        let b = try await points.ingest(second, series: Self.series, now: Self.now, limits: limits)
        #expect(b.events.map(\.series) == ["BR-1/ph", "BR-1/ph"])
        #expect(b.events.first?.event == .raised(level: .action, since: Self.start + 540, at: Self.start + 660, value: 7.5))
        #expect(b.events.last?.event == .ended(peak: .action, at: Self.start + 720))
        try await points.close()
    }

    @Test(arguments: Backend.available)
    func pointsAreOutsideTheAuditChain(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let before = try await staff.store.auditTrail(staff.admin).count
        let points = try await PointStore.open(beside: staff.store.location)
        try await points.ingest(Self.minutes(1_000), series: Self.series, now: Self.now)
        #expect(try await staff.store.auditTrail(staff.admin).count == before)
        #expect(try await staff.store.verifyAudit().isEmpty)
        try await points.close()
    }
}

/// One number from a PostgreSQL query, on a connection of its own.
enum PostgresProbe {
    static func count(_ location: DatabaseLocation, _ query: String) async throws -> Int {
        let c = try await Connection.open(location, logger: .init(label: "probe"))
        defer { Task { try? await c.close() } }
        return try await c.sql.raw(SQLQueryString(query)).first()?.decode(column: "n", as: Int.self) ?? -1
    }
}
