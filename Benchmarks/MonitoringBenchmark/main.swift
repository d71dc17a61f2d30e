import BenchSupport
import Foundation
import Manufacturing
import Monitoring
import Reporting
import Store

// Ingest of monitoring points with excursion detection on, on SQLite (a file in the temporary
// directory) and, given `--postgres URL-of-an-empty-database` (or VECTORFAB_BENCH_POSTGRES_URL),
// on PostgreSQL; then a month of one-minute data queried and drawn, and the time from an
// ingest call to the alarm it raises.
//
//     swift build -c release --product MonitoringBenchmark && .build/release/MonitoringBenchmark

let total = option("--points", 2_000_000, 10_000...50_000_000)
let batchSize = option("--batch", 10_000, 100...PointCheck.maxPoints)
let seriesCount = option("--series", 20, 1...10_000)
let postgres: String? = {
    let a = CommandLine.arguments
    if let i = a.firstIndex(of: "--postgres"), i + 1 < a.count { return a[i + 1] }
    return ProcessInfo.processInfo.environment["VECTORFAB_BENCH_POSTGRES_URL"]
}()

let perSeries = total / seriesCount
let start = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - Double(perSeries + 10) * 60
let series = Dictionary(uniqueKeysWithValues: (0..<seriesCount).map { i in
    ("BR-\(i)/ph", Series(id: "BR-\(i)/ph", measurand: .pH, location: .equipment("BR-\(i)"), interval: 60))
})
let names = series.keys.sorted()
let limits = Dictionary(uniqueKeysWithValues: names.map { ($0, SeriesLimits(alertLow: 6.9, alertHigh: 7.3, actionLow: 6.8, actionHigh: 7.4, persistence: 300, hysteresis: 0.02)) })

/// Point k of the run: minute k / series, series k % series; a slow wave with noise, and a
/// 10-minute excursion every day.
func point(_ k: Int) -> Point {
    let minute = k / seriesCount, s = k % seriesCount
    var v = 7.1 + 0.05 * sin(Double(minute) / 240 + Double(s)) + 0.01 * Double((k &* 2_654_435_761) % 100) / 100
    if minute % 1440 < 10 { v = 7.45 }
    return Point(series: names[s], time: start + Double(minute) * 60, value: v)
}

func ingest(_ store: PointStore) async throws -> (seconds: Double, events: Int) {
    var events = 0
    let clock = ContinuousClock()
    let began = clock.now
    var k = 0
    let now = Date().timeIntervalSince1970
    while k < perSeries * seriesCount {
        let n = min(batchSize, perSeries * seriesCount - k)
        let batch = (k..<k + n).map(point)
        events += try await store.ingest(batch, series: series, now: now, limits: limits).events.count
        k += n
    }
    let d = clock.now - began
    return (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18, events)
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func report(_ name: String, _ store: PointStore, _ location: DatabaseLocation) async throws {
    let (s, events) = try await ingest(store)
    let n = perSeries * seriesCount
    print("\(name) \(String(format: "%.0f", Double(n) / s)) points/s (\(n) points of \(seriesCount) series in batches of \(batchSize), excursion detection on: \(events) excursion events, \(String(format: "%.2f", s)) s)")
    // A month of one-minute data of one series: queried, then drawn (min/max downsampled).
    let monthFrom = start, monthTo = start + 43_200 * 60
    var query: [Double] = [], draw: [Double] = []
    var count = 0
    for _ in 0..<15 {
        let c = ContinuousClock()
        let t0 = c.now
        let (times, values) = try await store.points(names[0], from: monthFrom, to: monthTo)
        let t1 = c.now
        let svg = SeriesChart.svg(times: times, values: values, limits: limits[names[0]], unit: "pH", title: "BR-0 pH, a month")
        let t2 = c.now
        count = times.count
        query.append(seconds(t1 - t0))
        draw.append(seconds(t2 - t1))
        precondition(svg.hasPrefix("<svg"))
    }
    query.sort()
    draw.sort()
    let both = zip(query, draw).map(+).sorted()
    print("  a month of one-minute data (\(count) points): query p50 \(ms(percentile(query, 0.5))) ms, draw p50 \(ms(percentile(draw, 0.5))) ms, together p50 \(ms(percentile(both, 0.5))) ms, max \(ms(both.last!)) ms (target < 100 ms) — \(both.last! < 0.1 ? "met" : "NOT met")")
    // From an ingest call to the alarm it raises, recorded as a GMP record (sealed, audited,
    // the batches it touched looked for): limits approved by QA, persistence 0.
    let gmp = try await GMPStore.open(location, passwordIterations: 1000)
    let admin = try await gmp.bootstrap(username: "admin", fullName: "Admin", password: "bench password 1")
    let op = try await gmp.createUser(by: admin, username: "historian", fullName: "Historian", role: .operator, password: "bench password 1")
    let qa = try await gmp.createUser(by: admin, username: "qa", fullName: "QA", role: .qa, password: "bench password 1")
    let sup = try await gmp.createUser(by: admin, username: "sup", fullName: "Supervisor", role: .supervisor, password: "bench password 1")
    let alarmSeries = Series(id: "ALARM/ph", measurand: .pH, location: .equipment("ALARM"), interval: 60)
    let draft = try await gmp.proposeLimits(sup, series: alarmSeries, grade: nil, limits: SeriesLimits(alertHigh: 7.3, actionHigh: 7.4, persistence: 0), reason: "bench")
    _ = try await gmp.approveLimits(qa, id: draft.id, password: "bench password 1")
    let site = MonitoredSite(name: "Bench", rooms: [], equipment: [MonitoredEquipment(id: "ALARM", name: "Bioreactor", room: "R")], series: [alarmSeries])
    var latencies: [Double] = []
    for i in 0..<20 {
        let t = Date().timeIntervalSince1970 - 100 + Double(i)
        let c = ContinuousClock()
        let t0 = c.now
        let r = try await gmp.ingest(op, [Point(series: "ALARM/ph", time: t, value: i % 2 == 0 ? 7.6 : 7.0)], into: store, site: site, now: t + 100)
        if i % 2 == 0 { precondition(r.alarms.count == 1 && r.alarms[0].isActive); latencies.append(seconds(c.now - t0)) }
    }
    try await gmp.close()
    latencies.sort()
    print("  an alarm recorded \(ms(latencies.last!)) ms at most after its ingest call began (p50 \(ms(percentile(latencies, 0.5))) ms; target < 1 s) — \(latencies.last! < 1 ? "met" : "NOT met")")
}

let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vf-points-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: dir) }
print("Monitoring ingest, release build, \(ProcessInfo.processInfo.activeProcessorCount) cores")
let sqliteLocation = DatabaseLocation.sqlite(path: dir.appendingPathComponent("site.sqlite").path)
let sqlite = try await PointStore.open(beside: sqliteLocation)
try await report("SQLite", sqlite, sqliteLocation)
try await sqlite.close()
if let postgres {
    let pg = try await PointStore.open(beside: .postgres(url: postgres))
    try await report("PostgreSQL", pg, .postgres(url: postgres))
    try await pg.close()
} else {
    print("PostgreSQL: not run (give --postgres URL-of-an-empty-database)")
}
