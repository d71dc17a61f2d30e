import Foundation
import Logging
import Manufacturing
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// Where the records live: an SQLite file (the embedded default) or a PostgreSQL server (shared,
/// multi-user, multi-site).
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// `postgres://user:password@host/db` is PostgreSQL; anything else an SQLite file path
    /// (optionally written `sqlite:path`).
    public init(_ text: String) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if text.hasPrefix("sqlite:") {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else {
            self = .sqlite(path: text)
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): return "SQLite file \(path)"
        case .postgres(let url):
            // Never print a password.
            guard var c = URLComponents(string: url) else { return "PostgreSQL server" }
            if c.password != nil { c.password = "xxx" }
            return "PostgreSQL \(c.string ?? "server")"
        }
    }
}

/// The store's connections: one writer that owns the audit chain and commits the writes that
/// arrive together in one transaction (group commit), and a pool of connections for reads.
///
/// GMP records are written one transaction after another: every change appends to a single
/// hash chain. Writes are queued first in, first out; the writer takes every write waiting
/// (up to ``GroupCommitter/maxGroup``) into one transaction, each inside its own savepoint so a
/// refused write undoes only itself, and answers each client only once the commit is durable.
/// On PostgreSQL a transaction-level advisory lock also serialises writers of other application
/// instances. Reads go to their own connections (SQLite's write-ahead log lets them run beside
/// the writer), so no read waits behind a write.
final class Connection: @unchecked Sendable {
    enum Dialect { case sqlite, postgres }

    /// The writer's connection, for schema set-up and the tests that open one by hand.
    var sql: any SQLDatabase { committer.session }
    let dialect: Dialect
    private let committer: GroupCommitter
    private let readers: ReadPool
    private let closeWriter: @Sendable () async throws -> Void

    private init(location: DatabaseLocation, writer: ReadPool.Opened, logger: Logger) {
        self.dialect = location.isPostgres ? .postgres : .sqlite
        self.committer = GroupCommitter(session: WriteSession(writer.sql), dialect: dialect)
        self.closeWriter = writer.close
        self.readers = ReadPool(limit: Self.readConnections) { index in
            try await Self.openOne(location, writer: false, id: index + 2, logger: logger)
        }
    }

    /// The most connections that serve reads at once.
    static let readConnections = 3

    static func open(_ location: DatabaseLocation, logger: Logger) async throws -> Connection {
        Connection(location: location, writer: try await openOne(location, writer: true, id: 1, logger: logger), logger: logger)
    }

    static func openOne(_ location: DatabaseLocation, writer: Bool, id: Int, logger: Logger) async throws
        -> ReadPool.Opened
    {
        switch location {
        case .sqlite(let path):
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let sql = connection.sql()
            do {
                if writer {
                    // Durable commits: write-ahead log, synced on every commit.
                    _ = try await sql.raw("PRAGMA journal_mode=WAL").all()
                    try await sql.raw("PRAGMA synchronous=FULL").run()
                    try await sql.raw("PRAGMA foreign_keys=ON").run()
                } else {
                    try await sql.raw("PRAGMA query_only=ON").run()
                }
                try await sql.raw("PRAGMA busy_timeout=10000").run()
            } catch {
                try? await connection.close().get()
                throw error
            }
            return (sql, { try await connection.close().get() })
        case .postgres(let url):
            let configuration = try SQLPostgresConfiguration(url: url)
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration.coreConfiguration, id: id,
                logger: logger)
            return (connection.sql(), { try await connection.close() })
        }
    }

    func close() async throws {
        var failure: (any Error)?
        do { try await readers.close() } catch { failure = error }
        do { try await closeWriter() } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    /// The SQL type of a floating-point column.
    var double: String { dialect == .postgres ? "DOUBLE PRECISION" : "REAL" }

    /// Runs `body` as one write: stored with the writes committed beside it, or (if it throws)
    /// not at all. Returns once the commit is durable.
    /// `chain: false` for a schema migration, which may run before the audit table exists.
    func transaction<T: Sendable>(chain: Bool = true, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let box = ResultBox<T>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            committer.submit(
                GroupCommitter.Job(
                    chain: chain,
                    run: { db in box.set(try await body(db)) },
                    finish: { error in
                        if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: box.take()) }
                    }))
        }
    }

    var writeStatistics: (transactions: Int, writes: Int) { committer.statistics }

    /// Runs `body` on a read connection (no write waits for it, nor it for a write).
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await readers.with(body)
    }
}

extension DatabaseLocation {
    var isPostgres: Bool { if case .postgres = self { true } else { false } }
}

/// A value handed from the writer's task to the waiting client.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?
    func set(_ v: T) { lock.withLock { value = v } }
    func take() -> T { lock.withLock { value! } }
}

/// The writer's connection within a transaction, with the head of the audit chain as the writes
/// of this transaction have left it and the audit entries not yet inserted: the writer owns the
/// chain, so it reads its head once a transaction and inserts a write's entries in one statement.
final class WriteSession: SQLDatabase, @unchecked Sendable {
    let base: any SQLDatabase
    private let lock = NSLock()
    private var _head: (sequence: Int, hash: String)?
    private var _pending: [AuditEntry] = []

    init(_ base: any SQLDatabase) { self.base = base }

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = base.eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        do {
            try await count(query)
            try await base.execute(sql: query, onRow)
        } catch {
            // A failed statement may have left the transaction unusable (PostgreSQL aborts it).
            lock.withLock { _changes += 1 }
            throw error
        }
    }

    private var _changes = 0

    /// Statements that may have changed the transaction's state: every one but a SELECT, and
    /// any that failed. A write refused before any of them needs no rollback.
    var changes: Int { lock.withLock { _changes } }

    /// Counts a statement that may change the transaction; first inserts the deferred batch
    /// entries if the statement names their table (so that every read sees them).
    private func count(_ query: any SQLExpression) async throws {
        var serializer = SQLSerializer(database: base)
        query.serialize(to: &serializer)
        let read = serializer.sql.prefix(7).uppercased().hasPrefix("SELECT ")
        if !read { lock.withLock { _changes += 1 } }
        if lock.withLock({ !_pendingEntries.isEmpty }), serializer.sql.contains("batch_entries") { try await flushEntries() }
    }

    private var _pendingEntries: [BatchEntry] = []

    /// A batch entry to insert with the others of the transaction (it counts as a change).
    func deferInsert(_ e: BatchEntry) {
        lock.withLock {
            _pendingEntries.append(e)
            _changes += 1
        }
    }

    private func flushEntries() async throws {
        let entries = lock.withLock { () -> [BatchEntry] in
            defer { _pendingEntries = [] }
            return _pendingEntries
        }
        try await insertRows(
            into: "batch_entries",
            columns: [
                "id", "batch_id", "phase_id", "kind", "parameter", "value", "in_range", "material_lot", "quantity", "equipment",
                "corrects", "reason", "user_id", "at",
            ],
            entries.map { e in
                [
                    SQLBind(e.id), SQLBind(e.batchID), SQLBind(e.phaseID), SQLBind(e.kind.rawValue), SQLBind(e.parameter),
                    SQLBind(e.value), SQLBind(e.inRange.map { $0 ? 1 : 0 }), SQLBind(e.materialLot), SQLBind(e.quantity),
                    SQLBind(e.equipment), SQLBind(e.corrects), SQLBind(e.reason), SQLBind(e.userID), SQLBind(e.at),
                ]
            })
    }

    /// Rows inserted 500 a statement (within SQLite's and PostgreSQL's bind limits).
    private func insertRows(into table: String, columns: [String], _ rows: [[SQLBind]]) async throws {
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + 500, rows.count)]
            let insert = base.insert(into: table).columns(columns)
            for row in chunk { insert.values(row) }
            try await insert.run()
            start += chunk.count
        }
    }

    /// The chain's head as the last commit left it. The writer owns the chain, so it keeps the
    /// head between transactions; another process that appended meanwhile (an administration
    /// command on the same file, another instance on PostgreSQL) changes the chain's length,
    /// which every transaction checks first (``validate(chainLength:)``).
    private var _committed: (sequence: Int, hash: String)?

    /// The chain's head: the committed one, or read from the database.
    func head() async throws -> (sequence: Int, hash: String) {
        if let h = lock.withLock({ _head }) { return h }
        let last = try await base.raw("SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1").first()
        let h = (
            sequence: try last.map { try $0.decode(column: "sequence", as: Int.self) } ?? 0,
            hash: try last.map { try $0.decode(column: "hash", as: String.self) } ?? String(repeating: "0", count: 64)
        )
        lock.withLock { _head = h }
        return h
    }

    private var _stale = false

    /// The transaction committed: its head is the chain's (unless SQL outside the audit trail
    /// ran in it, which may have changed the chain).
    func committed() {
        lock.withLock {
            _committed = _stale ? nil : _head
            if _stale {
                kept = [:]
                keptOrder = []
            }
            _stale = false
        }
    }

    /// The kept head may be stale: read it again next time.
    func forgetHead() {
        lock.withLock {
            _committed = nil
            _stale = true
        }
    }

    // MARK: Batches the writer keeps

    /// The batches written lately: each with its completions and verifications, and the
    /// entries of the phases written: the writer is the only one that changes them, so it reads
    /// a batch once rather than on every entry. Checked at the start of each transaction against
    /// the chain (``validate(chainLength:)``): any write by someone else appends to the chain,
    /// and then every kept batch is read again.
    struct KeptBatch: Sendable {
        var batch: Batch
        var control: [BatchEntry]
        var phases: [String: [BatchEntry]]
    }

    private var kept: [String: KeptBatch] = [:]
    private var keptOrder: [String] = []
    static let keptBatches = 64

    func keptBatch(_ id: String) -> KeptBatch? { lock.withLock { kept[id] } }

    func keep(_ batch: KeptBatch) {
        lock.withLock {
            if kept[batch.batch.id] == nil {
                keptOrder.append(batch.batch.id)
                if keptOrder.count > Self.keptBatches { kept[keptOrder.removeFirst()] = nil }
            }
            kept[batch.batch.id] = batch
        }
    }

    /// A phase's entries read for a kept batch.
    func keep(_ entries: [BatchEntry], batch id: String, phase: String) { lock.withLock { kept[id]?.phases[phase] = entries } }

    /// An entry this transaction inserted.
    func keptAppend(_ e: BatchEntry) {
        lock.withLock {
            if e.kind == .completion || e.kind == .verification {
                kept[e.batchID]?.control.append(e)
            } else {
                kept[e.batchID]?.phases[e.phaseID]?.append(e)
            }
        }
    }

    /// A status this transaction set.
    func keptStatus(_ id: String, _ status: BatchStatus) { lock.withLock { kept[id]?.batch.status = status } }

    func forgetBatches() {
        lock.withLock {
            kept = [:]
            keptOrder = []
        }
    }

    /// At the start of a transaction: the chain's length as stored. If it is not what this
    /// writer last committed, someone else wrote: the head and the kept batches are read again.
    func validate(chainLength: Int) {
        lock.withLock {
            if _committed?.sequence != chainLength || (_committed == nil && chainLength != 0) {
                _committed = nil
                _head = nil
                kept = [:]
                keptOrder = []
            }
        }
    }

    /// Appends an entry (already hashed onto the head) to those to insert.
    func append(_ entry: AuditEntry) {
        lock.withLock {
            _pending.append(entry)
            _head = (entry.sequence, entry.hash)
        }
    }

    /// Where the chain stood: to go back to when a write is undone.
    var mark: (head: (sequence: Int, hash: String)?, pending: Int) { lock.withLock { (_head, _pending.count) } }

    func restore(_ mark: (head: (sequence: Int, hash: String)?, pending: Int)) {
        lock.withLock {
            _head = mark.head
            _pending.removeLast(_pending.count - mark.pending)
        }
    }

    /// A new transaction, from the committed head.
    func reset() {
        lock.withLock {
            _head = _committed
            _pending = []
            _pendingEntries = []
            _stale = false
        }
    }

    /// Inserts the batch entries and the audit entries appended since the last flush, a few
    /// hundred a statement.
    func flush() async throws {
        try await flushEntries()
        let entries = lock.withLock { () -> [AuditEntry] in
            defer { _pending = [] }
            return _pending
        }
        try await insertRows(
            into: "audit",
            columns: [
                "sequence", "at", "user_id", "action", "entity", "entity_id", "field", "old_value", "new_value", "reason",
                "previous_hash", "hash",
            ],
            entries.map { e in
                [
                    SQLBind(e.sequence), SQLBind(e.at), SQLBind(e.userID), SQLBind(e.action.rawValue), SQLBind(e.entity),
                    SQLBind(e.entityID), SQLBind(e.field), SQLBind(e.oldValue), SQLBind(e.newValue), SQLBind(e.reason),
                    SQLBind(e.previousHash), SQLBind(e.hash),
                ]
            })
    }
}

/// Commits the writes that arrive together in one transaction.
final class GroupCommitter: @unchecked Sendable {
    struct Job: Sendable {
        /// Whether the job works on the audit chain (every GMP write does; a migration not).
        var chain: Bool
        var run: @Sendable (any SQLDatabase) async throws -> Void
        var finish: @Sendable ((any Error)?) -> Void
    }

    /// The most writes one transaction takes.
    static let maxGroup = 128

    let session: WriteSession
    let dialect: Connection.Dialect
    private let lock = NSLock()
    private var pending: [Job] = []
    private var draining = false
    private var transactions = 0
    private var writes = 0

    /// Transactions committed (or tried) and the writes they carried, since the store opened.
    var statistics: (transactions: Int, writes: Int) { lock.withLock { (transactions, writes) } }

    init(session: WriteSession, dialect: Connection.Dialect) {
        self.session = session
        self.dialect = dialect
    }

    func submit(_ job: Job) {
        let start = lock.withLock { () -> Bool in
            pending.append(job)
            if draining { return false }
            draining = true
            return true
        }
        if start { Task { await self.drain() } }
    }

    private func drain() async {
        while true {
            let jobs = lock.withLock { () -> [Job] in
                if pending.isEmpty {
                    draining = false
                    return []
                }
                // A group is of chain writes or of migrations, never both.
                let chain = pending[0].chain
                let taken = Array(pending.prefix(Self.maxGroup).prefix { $0.chain == chain })
                pending.removeFirst(taken.count)
                return taken
            }
            if jobs.isEmpty { return }
            let outcomes = await commit(jobs)
            lock.withLock {
                transactions += 1
                writes += jobs.count
            }
            for (job, outcome) in zip(jobs, outcomes) { job.finish(outcome) }
        }
    }

    private func run(_ sql: String) async throws { try await session.base.raw(SQLQueryString(sql)).run() }

    /// One transaction for the jobs: each job's error, or nil once the commit is durable.
    ///
    /// A job refused before it changed anything (the rules refuse before writing) is simply
    /// left out. One that fails after a change rolls the transaction back; it fails, and the
    /// others run again in a new transaction, where those before it find the same state as
    /// before. The audit entries of the writes are inserted together before the commit.
    private func commit(_ jobs: [Job]) async -> [(any Error)?] {
        var outcomes: [(any Error)?] = Array(repeating: nil, count: jobs.count)
        var remaining = Array(jobs.indices)
        while !remaining.isEmpty {
            session.reset()
            do {
                try await run(dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN")
                var dirtyFailure = false
                do {
                    // One statement: the lock between instances (PostgreSQL) and the chain's
                    // length, which says whether anyone else wrote since this writer's last commit.
                    if jobs[0].chain {
                        let length = try await session.base.raw(
                            dialect == .postgres
                                ? "SELECT pg_advisory_xact_lock(727465)::text AS locked, (SELECT MAX(sequence) FROM audit) AS n"
                                : "SELECT MAX(sequence) AS n FROM audit"
                        ).first()?.decode(column: "n", as: Int?.self) ?? 0
                        session.validate(chainLength: length)
                    } else {
                        if dialect == .postgres { try await run("SELECT pg_advisory_xact_lock(727465)") }
                        session.forgetHead()
                    }
                    for index in remaining {
                        let mark = session.mark
                        let changes = session.changes
                        do {
                            try await jobs[index].run(session)
                        } catch {
                            outcomes[index] = error
                            if session.changes == changes {
                                session.restore(mark)
                                continue
                            }
                            dirtyFailure = true
                            break
                        }
                    }
                    if !dirtyFailure {
                        try await session.flush()
                        try await run("COMMIT")
                        session.committed()
                        break
                    }
                } catch {
                    try? await run("ROLLBACK")
                    session.forgetBatches()
                    throw error
                }
                try await run("ROLLBACK")
                session.forgetBatches()
                remaining = remaining.filter { outcomes[$0] == nil }
            } catch {
                session.forgetBatches()
                // Nothing of this transaction is stored: every write still in it fails.
                for index in remaining where outcomes[index] == nil { outcomes[index] = error }
                break
            }
        }
        return outcomes
    }
}

/// Read connections, each used by one reader at a time, opened as readers need them (up to
/// ``Connection/readConnections``).
actor ReadPool {
    typealias Opened = (sql: any SQLDatabase, close: @Sendable () async throws -> Void)
    private let open: @Sendable (Int) async throws -> Opened
    private let limit: Int
    private var opened: [Opened] = []
    private var opening = 0
    private var free: [Int] = []
    private var waiters: [CheckedContinuation<Int, Never>] = []
    private var closed = false

    init(limit: Int, open: @escaping @Sendable (Int) async throws -> Opened) {
        self.limit = limit
        self.open = open
    }

    private func acquire() async throws -> (Int, any SQLDatabase) {
        if closed { throw StoreIntegrityError(description: "the store is closed") }
        if let index = free.popLast() { return (index, opened[index].sql) }
        if opened.count + opening < limit {
            opening += 1
            defer { opening -= 1 }
            let connection = try await open(opened.count + opening)
            opened.append(connection)
            return (opened.count - 1, connection.sql)
        }
        let index = await withCheckedContinuation { waiters.append($0) }
        return (index, opened[index].sql)
    }

    private func release(_ index: Int) {
        if waiters.isEmpty { free.append(index) } else { waiters.removeFirst().resume(returning: index) }
    }

    func with<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let (index, sql) = try await acquire()
        do {
            let result = try await body(sql)
            release(index)
            return result
        } catch {
            release(index)
            throw error
        }
    }

    func close() async throws {
        closed = true
        var failure: (any Error)?
        for connection in opened {
            do { try await connection.close() } catch { failure = failure ?? error }
        }
        opened = []
        if let failure { throw failure }
    }
}

/// Versioned schema migrations, recorded in `schema_migrations`.
enum Migrations {
    /// The migration after which every GMP row is sealed (see ``Seals``).
    static let sealing = 5

    struct Migration: Sendable {
        var version: Int
        var name: String
        var statements: @Sendable (Connection) -> [String]
    }

    static let all: [Migration] = [
        Migration(version: 1, name: "GMP records and audit trail") { c in
            let d = c.double
            return [
                """
                CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL,
                role TEXT NOT NULL, password_hash TEXT NOT NULL, active INTEGER NOT NULL, created_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
                created_at TEXT NOT NULL, expires_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE recipes (id TEXT PRIMARY KEY, product TEXT NOT NULL, version INTEGER NOT NULL,
                status TEXT NOT NULL, definition TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL,
                UNIQUE (product, version))
                """,
                "CREATE TABLE material_items (code TEXT PRIMARY KEY, name TEXT NOT NULL, unit TEXT NOT NULL)",
                """
                CREATE TABLE material_lots (id TEXT PRIMARY KEY, item TEXT NOT NULL REFERENCES material_items(code),
                supplier TEXT NOT NULL, supplier_lot TEXT NOT NULL, quantity \(d) NOT NULL, remaining \(d) NOT NULL,
                expiry TEXT NOT NULL, status TEXT NOT NULL, received_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE batches (id TEXT PRIMARY KEY, recipe_id TEXT NOT NULL REFERENCES recipes(id),
                product TEXT NOT NULL, status TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE batch_entries (id TEXT PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
                phase_id TEXT NOT NULL, kind TEXT NOT NULL, parameter TEXT, value \(d), in_range INTEGER,
                material_lot TEXT REFERENCES material_lots(id), quantity \(d), equipment TEXT,
                corrects TEXT REFERENCES batch_entries(id), reason TEXT, user_id TEXT NOT NULL, at TEXT NOT NULL)
                """,
                "CREATE INDEX batch_entries_batch ON batch_entries (batch_id)",
                "CREATE INDEX batch_entries_lot ON batch_entries (material_lot)",
                """
                CREATE TABLE samples (id TEXT PRIMARY KEY, batch_id TEXT REFERENCES batches(id),
                material_lot TEXT REFERENCES material_lots(id), test TEXT NOT NULL, low \(d), high \(d), unit TEXT,
                status TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE results (id TEXT PRIMARY KEY, sample_id TEXT NOT NULL REFERENCES samples(id), value \(d),
                pass INTEGER NOT NULL, analyst_id TEXT NOT NULL, at TEXT NOT NULL)
                """,
                """
                CREATE TABLE deviations (id TEXT PRIMARY KEY, batch_id TEXT REFERENCES batches(id),
                sample_id TEXT REFERENCES samples(id), kind TEXT NOT NULL, description TEXT NOT NULL,
                status TEXT NOT NULL, opened_by TEXT NOT NULL, opened_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE signatures (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, full_name TEXT NOT NULL,
                meaning TEXT NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL, at TEXT NOT NULL)
                """,
                """
                CREATE TABLE audit (sequence BIGINT PRIMARY KEY, at TEXT NOT NULL, user_id TEXT NOT NULL,
                action TEXT NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL, field TEXT, old_value TEXT,
                new_value TEXT, reason TEXT, previous_hash TEXT NOT NULL, hash TEXT NOT NULL)
                """,
                "CREATE INDEX audit_entity ON audit (entity, entity_id)",
            ]
        },
        Migration(version: 2, name: "QC release panels and pass/fail criteria") { _ in
            [
                "ALTER TABLE samples ADD COLUMN panel TEXT",
                "ALTER TABLE samples ADD COLUMN criterion TEXT",
            ]
        },
        Migration(version: 3, name: "Failed sign-ins lock an account") { _ in
            ["ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0"]
        },
        Migration(version: 4, name: "A repeated QC result carries its reason") { _ in
            ["ALTER TABLE results ADD COLUMN reason TEXT"]
        },
        // No schema change: existing rows are sealed by GMPStore.migrate once this is applied.
        Migration(version: sealing, name: "Every GMP record sealed in the audit chain") { _ in
            ["CREATE INDEX audit_action ON audit (action)"]
        },
        Migration(version: 6, name: "Material lots carry a retest date; batch entries indexed by kind and phase") { _ in
            [
                "ALTER TABLE material_lots ADD COLUMN retest TEXT",
                "CREATE INDEX batch_entries_kind ON batch_entries (batch_id, kind)",
                "CREATE INDEX batch_entries_phase ON batch_entries (batch_id, phase_id)",
                // Both are covered by the two above, or scanned in full anyway: fewer pages per commit.
                "DROP INDEX batch_entries_batch",
                "DROP INDEX audit_action",
            ]
        },
        Migration(version: 7, name: "Versions of process files, written in the browser") { _ in
            [
                """
                CREATE TABLE process_files (id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL,
                text TEXT NOT NULL, sha256 TEXT NOT NULL, note TEXT NOT NULL, created_by TEXT NOT NULL,
                created_at TEXT NOT NULL, UNIQUE (name, version))
                """
            ]
        },
        Migration(version: 8, name: "Deviation findings and CAPA; item specifications; second factors on signatures") { c in
            let d = c.double
            return [
                "ALTER TABLE deviations ADD COLUMN classification TEXT",
                "ALTER TABLE deviations ADD COLUMN root_cause TEXT",
                """
                CREATE TABLE capa_actions (id TEXT PRIMARY KEY, deviation_id TEXT NOT NULL REFERENCES deviations(id),
                action TEXT NOT NULL, owner_id TEXT NOT NULL REFERENCES users(id), due TEXT NOT NULL, status TEXT NOT NULL,
                done_note TEXT, done_at TEXT, created_by TEXT NOT NULL, created_at TEXT NOT NULL)
                """,
                "CREATE INDEX capa_actions_deviation ON capa_actions (deviation_id)",
                """
                CREATE TABLE item_tests (id TEXT PRIMARY KEY, item TEXT NOT NULL REFERENCES material_items(code),
                test TEXT NOT NULL, low \(d), high \(d), unit TEXT, criterion TEXT, created_by TEXT NOT NULL,
                created_at TEXT NOT NULL, UNIQUE (item, test))
                """,
                """
                CREATE TABLE second_factors (user_id TEXT PRIMARY KEY REFERENCES users(id), secret TEXT NOT NULL,
                confirmed INTEGER NOT NULL, last_step BIGINT NOT NULL, enrolled_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE role_policies (role TEXT PRIMARY KEY, second_factor INTEGER NOT NULL, set_by TEXT NOT NULL,
                set_at TEXT NOT NULL)
                """,
            ]
        },
        Migration(version: 9, name: "Monitoring limits, versioned and approved") { c in
            let d = c.double
            return [
                """
                CREATE TABLE limit_sets (id TEXT PRIMARY KEY, series TEXT NOT NULL, version INTEGER NOT NULL,
                alert_low \(d), alert_high \(d), action_low \(d), action_high \(d), persistence \(d) NOT NULL,
                hysteresis \(d) NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, created_by TEXT NOT NULL REFERENCES users(id),
                created_at TEXT NOT NULL, UNIQUE (series, version))
                """
            ]
        },
        Migration(version: 10, name: "Alarms, acknowledged with a signature; excursion deviations name their alarm") { c in
            let d = c.double
            return [
                """
                CREATE TABLE alarms (id TEXT PRIMARY KEY, series TEXT NOT NULL, place TEXT NOT NULL, level TEXT NOT NULL,
                since TEXT NOT NULL, raised_at TEXT NOT NULL, value \(d) NOT NULL, ended_at TEXT, acknowledged_by TEXT,
                acknowledged_at TEXT, comment TEXT, raised_by TEXT NOT NULL)
                """,
                "CREATE INDEX alarms_series ON alarms (series, ended_at)",
                "ALTER TABLE deviations ADD COLUMN alarm_id TEXT",
                "CREATE INDEX deviations_alarm ON deviations (alarm_id)",
                "CREATE INDEX batch_entries_equipment ON batch_entries (equipment, kind)",
            ]
        },
    ]

    /// Applies the migrations not yet applied (up to `version`); returns their names.
    static func migrate(_ c: Connection, at now: String, upTo version: Int = .max) async throws -> [String] {
        try await c.transaction(chain: false) { db in
            try await db.raw(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            ).run()
            let done = Set(try await db.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) })
            var applied: [String] = []
            for m in all where !done.contains(m.version) && m.version <= version {
                for statement in m.statements(c) { try await db.raw(SQLQueryString(statement)).run() }
                try await db.raw(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(bind: m.version), \(bind: m.name), \(bind: now))"
                ).run()
                applied.append("\(m.version): \(m.name)")
            }
            return applied
        }
    }
}

/// A stored value the application cannot read: the database was changed behind its back.
struct StoreIntegrityError: Error, CustomStringConvertible {
    var description: String
}

extension SQLRow {
    /// A type's name in words: `AuditAction` → "an audit action".
    static func words(_ type: Any.Type) -> String {
        var out = ""
        for c in String(describing: type) {
            if c.isUppercase && !out.isEmpty { out.append(" ") }
            out.append(contentsOf: c.lowercased())
        }
        return ("aeiou".contains(out.first ?? "x") ? "an " : "a ") + out
    }

    static func values<C: CaseIterable>(_ c: C.Type) -> [String] {
        c.allCases.compactMap { ($0 as? any RawRepresentable)?.rawValue as? String }
    }

    /// A column holding an enumeration's raw value; an unknown value is an error, never a guess.
    func decodeEnum<E: RawRepresentable>(column: String, as type: E.Type) throws -> E where E.RawValue == String {
        guard let value = try decodeOptionalEnum(column: column, as: type) else {
            throw StoreIntegrityError(description: "column \(column) is empty where \(Self.words(E.self)) is expected")
        }
        return value
    }

    func decodeOptionalEnum<E: RawRepresentable>(column: String, as type: E.Type) throws -> E? where E.RawValue == String {
        guard let raw = try decode(column: column, as: String?.self) else { return nil }
        guard let value = E(rawValue: raw) else {
            let known = (E.self as? any CaseIterable.Type).map { Self.values($0) } ?? []
            throw StoreIntegrityError(
                description: known.isEmpty
                    ? "column \(column) holds '\(raw)', not \(Self.words(E.self))"
                    : "column \(column) holds '\(raw)', not one of: \(known.joined(separator: ", "))")
        }
        return value
    }
}
