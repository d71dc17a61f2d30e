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

/// One database connection used by one writer at a time, with transactions.
///
/// GMP records are written one transaction after another: every change appends to a single
/// hash chain. On PostgreSQL a transaction-level advisory lock also serialises writers of
/// other application instances.
final class Connection: @unchecked Sendable {
    enum Dialect { case sqlite, postgres }

    let sql: any SQLDatabase
    let dialect: Dialect
    private let closer: @Sendable () async throws -> Void
    private let gate = AsyncGate()

    private init(sql: any SQLDatabase, dialect: Dialect, closer: @escaping @Sendable () async throws -> Void) {
        self.sql = sql
        self.dialect = dialect
        self.closer = closer
    }

    static func open(_ location: DatabaseLocation, logger: Logger) async throws -> Connection {
        switch location {
        case .sqlite(let path):
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let sql = connection.sql()
            // Durable commits: write-ahead log, synced on every commit.
            _ = try await sql.raw("PRAGMA journal_mode=WAL").all()
            try await sql.raw("PRAGMA synchronous=FULL").run()
            try await sql.raw("PRAGMA foreign_keys=ON").run()
            try await sql.raw("PRAGMA busy_timeout=10000").run()
            return Connection(sql: sql, dialect: .sqlite) { try await connection.close().get() }
        case .postgres(let url):
            let configuration = try SQLPostgresConfiguration(url: url)
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration.coreConfiguration, id: 1,
                logger: logger)
            return Connection(sql: connection.sql(), dialect: .postgres) { try await connection.close() }
        }
    }

    func close() async throws { try await closer() }

    /// The SQL type of a floating-point column.
    var double: String { dialect == .postgres ? "DOUBLE PRECISION" : "REAL" }

    /// Runs `body` in one transaction, alone: commits if it returns, rolls back if it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await gate.withPermit {
            try await sql.raw(dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
            do {
                if dialect == .postgres { try await sql.raw("SELECT pg_advisory_xact_lock(727465)").run() }
                let result = try await body(sql)
                try await sql.raw("COMMIT").run()
                return result
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// Runs `body` alone, without a transaction (reads).
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await gate.withPermit { try await body(sql) }
    }
}

/// A first-in, first-out lock for async code: one holder at a time.
actor AsyncGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    nonisolated func withPermit<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await body()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
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
    ]

    /// Applies the migrations not yet applied (up to `version`); returns their names.
    static func migrate(_ c: Connection, at now: String, upTo version: Int = .max) async throws -> [String] {
        try await c.transaction { db in
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
    /// A column holding an enumeration's raw value; an unknown value is an error, never a guess.
    func decodeEnum<E: RawRepresentable>(column: String, as type: E.Type) throws -> E where E.RawValue == String {
        guard let value = try decodeOptionalEnum(column: column, as: type) else {
            throw StoreIntegrityError(description: "column \(column) is empty where a \(E.self) is expected")
        }
        return value
    }

    func decodeOptionalEnum<E: RawRepresentable>(column: String, as type: E.Type) throws -> E? where E.RawValue == String {
        guard let raw = try decode(column: column, as: String?.self) else { return nil }
        guard let value = E(rawValue: raw) else {
            throw StoreIntegrityError(description: "column \(column) holds '\(raw)', not a known \(E.self)")
        }
        return value
    }
}
