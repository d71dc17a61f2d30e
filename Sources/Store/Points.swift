import Capacity
import Foundation
import Logging
import Monitoring
import SQLKit

/// Refused: the batch's problems, every point named; nothing of it was stored.
public struct PointsRefused: Error, Sendable, CustomStringConvertible {
    public var problems: [PointProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// The raw points of the monitored series, apart from the GMP records: appended in bulk,
/// outside the GMP write lock and the audit chain (limits, alarms, acknowledgements and
/// deviations are GMP records; a point is a measurement).
///
/// - SQLite: a file of its own beside the GMP database (`<name>.points.sqlite`), so ingest never
///   waits for a GMP write nor a GMP write for ingest; one `WITHOUT ROWID` table keyed by
///   (series, time): the points of a series are stored together in time order, and a range is
///   one index seek and a scan.
/// - PostgreSQL: the same database, its own connection (never the GMP advisory lock); a table
///   partitioned by month (a partition created when a month first has points), with a BRIN
///   index on time and a unique b-tree on (series, time) for the newest point of a series.
///
/// A batch is checked whole first (``PointCheck``, with each series' newest stored time) and
/// stored in one transaction: all of it or nothing. Times are kept as integer milliseconds.
public final class PointStore: Sendable {
    let dialect: Connection.Dialect
    private let writer: PointWriter
    private let readers: ReadPool
    public let location: DatabaseLocation

    /// Where a GMP store's points live.
    public static func location(for gmp: DatabaseLocation) -> DatabaseLocation {
        switch gmp {
        case .sqlite(let path):
            let base = path.hasSuffix(".sqlite") ? String(path.dropLast(".sqlite".count)) : path
            return .sqlite(path: base + ".points.sqlite")
        case .postgres: return gmp
        }
    }

    private init(location: DatabaseLocation, writer: PointWriter, readers: ReadPool) {
        self.location = location
        self.dialect = location.isPostgres ? .postgres : .sqlite
        self.writer = writer
        self.readers = readers
    }

    /// Opens (creating on first use) the point store of a GMP store's database.
    public static func open(beside gmp: DatabaseLocation, logger: Logger = Logger(label: "vectorfab.points")) async throws -> PointStore {
        let location = Self.location(for: gmp)
        let opened = try await Connection.openOne(location, writer: true, id: 101, logger: logger)
        let dialect: Connection.Dialect = location.isPostgres ? .postgres : .sqlite
        let writer = PointWriter(sql: opened.sql, close: opened.close, dialect: dialect)
        do {
            try await writer.createTables()
        } catch {
            try? await opened.close()
            throw error
        }
        let readers = ReadPool(limit: 2) { index in
            try await Connection.openOne(location, writer: false, id: 102 + index, logger: logger)
        }
        return PointStore(location: location, writer: writer, readers: readers)
    }

    public func close() async throws {
        try await readers.close()
        try await writer.close()
    }

    /// Checks and stores a batch of points: returns how many were stored, or throws
    /// ``PointsRefused`` (nothing stored).
    @discardableResult
    public func ingest(_ points: [Point], series: [String: Series], now: Double) async throws -> Int {
        try await writer.ingest(points, series: series, now: now, limits: [:], resume: [:]).stored
    }

    /// Checks and stores a batch, and runs each series' excursion detector (for the series
    /// with limits) over its points once they are stored: the excursions raised, escalated or
    /// ended, in time order per series. The detectors' state carries from batch to batch.
    /// `resume`: the excursions still open in the records (level, since), which a detector
    /// started afresh resumes.
    public func ingest(
        _ points: [Point], series: [String: Series], now: Double, limits: [String: SeriesLimits],
        resume: [String: (level: LimitLevel, since: Double)] = [:]
    ) async throws -> (stored: Int, events: [(series: String, event: ExcursionEvent)]) {
        try await writer.ingest(points, series: series, now: now, limits: limits, resume: resume)
    }

    /// The newest stored time of each series asked for that has points.
    public func newest(_ series: [String]) async throws -> [String: Double] {
        try await writer.newest(Set(series))
    }

    /// A series' points from `from` (included) to `to` (excluded), in time order, at most
    /// `limit` (beyond, the first `limit`).
    public func points(_ series: String, from: Double, to: Double, limit: Int = 1_000_000) async throws -> (times: [Double], values: [Double]) {
        guard let key = try await writer.key(series) else { return ([], []) }
        let limit = max(0, min(limit, 10_000_000))
        if dialect == .postgres {
            // One row of two arrays: PostgreSQL's binary arrays decode far faster than 43,200
            // rows read column by column.
            return try await readers.with { db in
                guard let row = try await db.raw(
                    """
                    SELECT array_agg(t) AS ts, array_agg(value) AS vs FROM (SELECT t, value FROM points WHERE series = \(bind: key)
                    AND t >= \(bind: Self.milliseconds(from)) AND t < \(bind: Self.milliseconds(to)) ORDER BY t LIMIT \(bind: limit)) AS range
                    """
                ).first() else { return ([], []) }
                let ts = try row.decode(column: "ts", as: [Int64]?.self) ?? []
                let vs = try row.decode(column: "vs", as: [Double]?.self) ?? []
                return (ts.map { Double($0) / 1000 }, vs)
            }
        }
        return try await readers.with { db in
            let found = Collected()
            found.times.reserveCapacity(min(limit, 100_000))
            found.values.reserveCapacity(min(limit, 100_000))
            try await db.raw(
                """
                SELECT t, value FROM points WHERE series = \(bind: key) AND t >= \(bind: Self.milliseconds(from))
                AND t < \(bind: Self.milliseconds(to)) ORDER BY t LIMIT \(bind: limit)
                """
            ).run { row in
                if let t = try? row.decode(column: "t", as: Int64.self), let v = try? row.decode(column: "value", as: Double.self) {
                    found.times.append(Double(t) / 1000)
                    found.values.append(v)
                }
            }
            return (found.times, found.values)
        }
    }

    /// How many points a series has (for tests and the site page).
    public func count(_ series: String) async throws -> Int {
        guard let key = try await writer.key(series) else { return 0 }
        return try await readers.with { db in
            try await db.raw("SELECT COUNT(*) AS n FROM points WHERE series = \(bind: key)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Integer milliseconds, clamped to ±9e15 (year 287,000: no measurement, no trap).
    static func milliseconds(_ t: Double) -> Int64 {
        guard t.isFinite else { return t > 0 ? 9_000_000_000_000_000 : -9_000_000_000_000_000 }
        return Int64(min(max((t * 1000).rounded(), -9e15), 9e15))
    }
}

/// Rows gathered by one query's callback (called in order, on one connection).
final class Collected: @unchecked Sendable {
    var times: [Double] = []
    var values: [Double] = []
}

/// The one writer of the points: batches one after another.
actor PointWriter {
    let sql: any SQLDatabase
    let closeConnection: @Sendable () async throws -> Void
    let dialect: Connection.Dialect
    /// Series id → its integer key in the points table; the months that have a partition.
    private var keys: [String: Int] = [:]
    private var partitions = Set<Int>()

    init(sql: any SQLDatabase, close: @escaping @Sendable () async throws -> Void, dialect: Connection.Dialect) {
        self.sql = sql
        self.closeConnection = close
        self.dialect = dialect
    }

    func close() async throws { try await closeConnection() }

    func createTables() async throws {
        switch dialect {
        case .sqlite:
            try await sql.raw("CREATE TABLE IF NOT EXISTS point_series (key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)").run()
            try await sql.raw(
                "CREATE TABLE IF NOT EXISTS points (series INTEGER NOT NULL, t INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID"
            ).run()
        case .postgres:
            try await sql.raw("CREATE TABLE IF NOT EXISTS point_series (key SERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE)").run()
            try await sql.raw(
                "CREATE TABLE IF NOT EXISTS points (series INTEGER NOT NULL, t BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL) PARTITION BY RANGE (t)"
            ).run()
            try await sql.raw("CREATE INDEX IF NOT EXISTS points_time ON points USING BRIN (t)").run()
            // Unique: a second instance racing on the same series cannot store a point twice.
            try await sql.raw("CREATE UNIQUE INDEX IF NOT EXISTS points_series_time_unique ON points (series, t)").run()
        }
        for row in try await sql.raw("SELECT id, key FROM point_series").all() {
            keys[try row.decode(column: "id", as: String.self)] = try row.decode(column: "key", as: Int.self)
        }
    }

    func key(_ series: String) async throws -> Int? {
        if let k = keys[series] { return k }
        // Another instance (PostgreSQL) may have added it.
        if let row = try await sql.raw("SELECT key FROM point_series WHERE id = \(bind: series)").first() {
            let k = try row.decode(column: "key", as: Int.self)
            keys[series] = k
            return k
        }
        return nil
    }

    func newest(_ series: Set<String>) async throws -> [String: Double] {
        var out: [String: Double] = [:]
        for id in series {
            guard let k = try await key(id) else { continue }
            if let t = try await sql.raw("SELECT MAX(t) AS t FROM points WHERE series = \(bind: k)").first()?.decode(column: "t", as: Int64?.self) {
                out[id] = Double(t) / 1000
            }
        }
        return out
    }

    /// Each series' detector, kept while its limits stay the same.
    private var detectors: [String: ExcursionDetector] = [:]

    /// Ingests run one after another: the actor alone would interleave them at each database
    /// call, and two transactions cannot share one connection.
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }

    func ingest(
        _ raw: [Point], series: [String: Series], now: Double, limits: [String: SeriesLimits],
        resume: [String: (level: LimitLevel, since: Double)]
    ) async throws -> (stored: Int, events: [(series: String, event: ExcursionEvent)]) {
        guard !raw.isEmpty else { return (0, []) }
        // Times as they are stored (whole milliseconds), so the check sees what the table will.
        let points = raw.map { p -> Point in
            var q = p
            if q.time.isFinite, abs(q.time) < 1e15 { q.time = (q.time * 1000).rounded() / 1000 }
            return q
        }
        let named = Set(points.prefix(PointCheck.maxPoints).map(\.series)).filter { series[$0] != nil }
        guard named.count <= 10_000 else {
            throw PointsRefused(problems: [PointProblem(index: 1, series: points[0].series, time: points[0].time,
                message: "the batch names \(named.count) series, more than 10,000", expected: "batches of at most 10,000 series")])
        }
        await acquire()
        defer { release() }
        try await sql.raw(dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
        var created = Set<Int>()
        do {
            // Checked inside the transaction, against what is stored now.
            let problems = PointCheck.problems(points, series: series, last: try await newest(named), now: now)
            guard problems.isEmpty else { throw PointsRefused(problems: problems) }
            var batchKeys: [String: Int] = [:]
            for id in named {
                if let k = try await key(id) {
                    batchKeys[id] = k
                } else {
                    try await sql.raw("INSERT INTO point_series (id) VALUES (\(bind: id)) ON CONFLICT (id) DO NOTHING").run()
                    guard let k = try await sql.raw("SELECT key FROM point_series WHERE id = \(bind: id)").first()?.decode(column: "key", as: Int.self)
                    else { throw StoreIntegrityError(description: "the series \(id) could not be given a key") }
                    batchKeys[id] = k
                }
            }
            if dialect == .postgres { created = try await createPartitions(points) }
            // A chunk of points a statement: one bound JSON array on SQLite (parsed by SQLite's
            // json_each), three bound arrays on PostgreSQL (unnest).
            let chunk = 20_000
            var start = 0
            while start < points.count {
                let part = points[start..<min(points.count, start + chunk)]
                switch dialect {
                case .sqlite:
                    var json = "["
                    json.reserveCapacity(part.count * 40)
                    var first = true
                    for p in part {
                        if !first { json += "," }
                        first = false
                        json += "[\(batchKeys[p.series]!),\(PointStore.milliseconds(p.time)),\(p.value)]"
                    }
                    json += "]"
                    try await sql.raw(
                        "INSERT INTO points (series, t, value) SELECT value->>0, value->>1, value->>2 FROM json_each(\(bind: json))"
                    ).run()
                case .postgres:
                    let ks = part.map { batchKeys[$0.series]! }
                    let ts = part.map { PointStore.milliseconds($0.time) }
                    let vs = part.map(\.value)
                    try await sql.raw(
                        "INSERT INTO points (series, t, value) SELECT * FROM unnest(\(bind: ks)::integer[], \(bind: ts)::bigint[], \(bind: vs)::double precision[])"
                    ).run()
                }
                start += chunk
            }
            try await sql.raw("COMMIT").run()
            for (id, k) in batchKeys { keys[id] = k }
            partitions.formUnion(created)
        } catch {
            try? await sql.raw("ROLLBACK").run()
            throw error
        }
        // Detection over what is stored, a series at a time in time order (the check made sure
        // each series' points come in time order).
        var events: [(series: String, event: ExcursionEvent)] = []
        if !limits.isEmpty {
            for p in points {
                guard let l = limits[p.series] else { continue }
                var d = detectors[p.series].flatMap { $0.limits == l ? $0 : nil }
                    ?? resume[p.series].map { ExcursionDetector(limits: l, resuming: $0.level, since: $0.since) } ?? ExcursionDetector(limits: l)
                if let e = d.observe(time: p.time, value: p.value) { events.append((p.series, e)) }
                detectors[p.series] = d
            }
        }
        return (points.count, events)
    }

    /// Monthly partitions for the months the batch has points in (PostgreSQL), by the
    /// milliseconds stored; the months created, remembered once the transaction commits.
    private func createPartitions(_ points: [Point]) async throws -> Set<Int> {
        var months = Set<Int>()
        for p in points { months.insert(Self.month(milliseconds: PointStore.milliseconds(p.time))) }
        let new = months.subtracting(partitions)
        for m in new.sorted() {
            // The table name and bounds are numbers computed here, not input.
            let statement =
                "CREATE TABLE IF NOT EXISTS points_m\(m / 12)_\(m % 12 + 1) PARTITION OF points FOR VALUES FROM (\(Self.monthStart(m))) TO (\(Self.monthStart(m + 1)))"
            try await sql.raw(SQLQueryString(statement)).run()
        }
        return new
    }

    /// Months since year 0 (year × 12 + month − 1), UTC, of a time in milliseconds.
    static func month(milliseconds ms: Int64) -> Int {
        let day = CalendarDate(dayNumber: Int((ms - ((ms % 86_400_000) + 86_400_000) % 86_400_000) / 86_400_000))
        return day.year * 12 + day.month - 1
    }

    /// The first millisecond of a month.
    static func monthStart(_ m: Int) -> Int64 {
        Int64(CalendarDate(year: m / 12, month: m % 12 + 1, day: 1).dayNumber) * 86_400_000
    }
}
