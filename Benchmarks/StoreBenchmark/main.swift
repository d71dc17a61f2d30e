// Durable write throughput of the GMP store, release build:
//   swift run -c release StoreBenchmark [--entries N] [--writes-only | --sign-ins-only | --probe]
// On SQLite (a temporary file) and, if VECTORFAB_BENCH_POSTGRES_URL is set, PostgreSQL:
//   1. one writer recording batch-record entries (each its own transaction with its audit link);
//   2. 50 concurrent clients doing the same;
//   3. the raw rate: the same two inserts per transaction, with the same durability, by hand.
import Bioprocess
import FileFormats
import Foundation
import Manufacturing
import NIOPosix
import PostgresKit
import SQLKit
import Store

var entries = 2000
var probe = false
var writesOnly = false
var signInsOnly = false
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    if a == "--entries", let n = args.popFirst().flatMap(Int.init) { entries = n }
    if a == "--probe" { probe = true }
    if a == "--writes-only" { writesOnly = true }
    if a == "--sign-ins-only" { signInsOnly = true }
}
let password = "correct horse battery"

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = Date()
    try await body()
    return Date().timeIntervalSince(start)
}

func bench(_ location: DatabaseLocation, label: String, entries: Int) async throws {
    let store = try await GMPStore.open(location, passwordIterations: 1000)
    let admin = try await store.bootstrap(username: "admin", fullName: "Admin", password: password)
    let sup = try await store.createUser(by: admin, username: "sam", fullName: "Sam", role: .supervisor, password: password)
    let qa = try await store.createUser(by: admin, username: "alex", fullName: "Alex", role: .qa, password: password)
    let op = try await store.createUser(by: admin, username: "olga", fullName: "Olga", role: .operator, password: password)
    let recipe = try RecipeGenerator.generate(try ProcessFile.load(path: "Examples/seed000-aav-200L.yaml"))
    let draft = try await store.createRecipe(sup, recipe)
    _ = try await store.approveRecipe(qa, id: draft.id, password: password)
    let batch = try await store.createBatch(sup, recipeID: draft.id)
    let phase = recipe.phases[0].id

    // The raw rate: the entry row and an audit row per transaction, into tables with the same
    // keys and indexes as the store's, on the same connection settings.
    try await store.unauditedTransaction { db in
        for statement in [
            """
            CREATE TABLE raw_entries (id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, phase_id TEXT NOT NULL, kind TEXT NOT NULL,
            parameter TEXT, value REAL, in_range INTEGER, material_lot TEXT, quantity REAL, equipment TEXT, corrects TEXT,
            reason TEXT, user_id TEXT NOT NULL, at TEXT NOT NULL)
            """,
            "CREATE INDEX raw_entries_lot ON raw_entries (material_lot)",
            "CREATE INDEX raw_entries_kind ON raw_entries (batch_id, kind)",
            "CREATE INDEX raw_entries_phase ON raw_entries (batch_id, phase_id)",
            """
            CREATE TABLE raw_audit (sequence BIGINT PRIMARY KEY, at TEXT NOT NULL, user_id TEXT NOT NULL, action TEXT NOT NULL,
            entity TEXT NOT NULL, entity_id TEXT NOT NULL, field TEXT, old_value TEXT, new_value TEXT, reason TEXT,
            previous_hash TEXT NOT NULL, hash TEXT NOT NULL)
            """,
            "CREATE INDEX raw_audit_entity ON raw_audit (entity, entity_id)",
        ] {
            try await db.raw(SQLQueryString(statement)).run()
        }
    }
    nonisolated(unsafe) var rawCount = 0
    func rawRound(_ n: Int) async throws -> Double {
        try await seconds {
            for _ in 0..<n {
                rawCount += 1
                let i = rawCount
                try await store.unauditedTransaction { db in
                    try await db.raw(
                        """
                        INSERT INTO raw_entries (id, batch_id, phase_id, kind, equipment, user_id, at)
                        VALUES (\(bind: "raw-\(i)"), \(bind: batch.id), \(bind: phase), 'equipment', \(bind: "E\(i)"), \(bind: op.id), \(bind: "2026-01-01T00:00:00.000Z"))
                        """
                    ).run()
                    try await db.raw(
                        """
                        INSERT INTO raw_audit (sequence, at, user_id, action, entity, entity_id, previous_hash, hash)
                        VALUES (\(bind: i), '2026-01-01T00:00:00.000Z', \(bind: op.id), 'record', 'batch', \(bind: batch.id), \(bind: String(repeating: "p", count: 64)), \(bind: String(repeating: "h", count: 64)))
                        """
                    ).run()
                }
            }
        }
    }
    nonisolated(unsafe) var written = 0
    func oneWriterRound(_ n: Int) async throws -> Double {
        try await seconds {
            for _ in 0..<n {
                written += 1
                _ = try await store.recordEquipment(op, batch: batch.id, phase: phase, equipment: "E\(written)")
            }
        }
    }
    // Alternating rounds, medians: the disk's speed varies from second to second.
    var ones: [Double] = [], raws: [Double] = []
    let rounds = 3
    for _ in 0..<rounds {
        ones.append(try await oneWriterRound(entries / rounds))
        raws.append(try await rawRound(entries / rounds))
    }
    let perRound = Double(entries / rounds)
    let one = ones.sorted()[rounds / 2] / perRound
    let raw = raws.sorted()[rounds / 2] / perRound
    let clients = 50
    let before = store.writeStatistics
    let many = try await seconds {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                group.addTask {
                    for i in 0..<(entries / clients) {
                        _ = try await store.recordEquipment(op, batch: batch.id, phase: phase, equipment: "C\(c)-\(i)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }
    let after = store.writeStatistics
    let perTransaction = Double(after.writes - before.writes) / Double(max(1, after.transactions - before.transactions))
    let chainOK = try await store.verifyAudit().isEmpty
    try await store.close()
    print(label)
    let manyRate = Double(entries / clients * clients) / many
    print(String(format: "  one writer:          %6.0f entries/s (median of %d rounds of %d entries)", 1 / one, rounds, entries / rounds))
    print(String(format: "  raw inserts:         %6.0f transactions/s (entry + audit row each, same keys, indexes and durability; rounds alternating)", 1 / raw))
    print(String(format: "  50 concurrent:       %6.0f entries/s (%d entries, %.2f s, %.1f writes a transaction)", manyRate, entries / clients * clients, many, perTransaction))
    print(String(format: "  one writer ÷ raw:    %.2f (goal ≥ 0.5)", raw / one))
    print(String(format: "  50 clients ÷ raw:    %.2f (goal ≥ 2, through group commit)", manyRate * raw))
    print("  audit chain verifies: \(chainOK)")
}

/// Sign-ins at the real 210,000 PBKDF2 rounds: one alone, and what 20 at once do to another
/// client's reads (session look-ups) and writes (batch-record entries).
func signIns(_ location: DatabaseLocation, label: String) async throws {
    let store = try await GMPStore.open(location)  // 210,000 rounds
    let admin = try await store.bootstrap(username: "admin", fullName: "Admin", password: password)
    var userNames: [String] = []
    for i in 0..<20 {
        _ = try await store.createUser(by: admin, username: "user\(i)", fullName: "User \(i)", role: .operator, password: password)
        userNames.append("user\(i)")
    }
    let writer = try await store.createUser(by: admin, username: "writer", fullName: "Writer", role: .operator, password: password)
    let (token, _) = try await store.login(username: "writer", password: password)
    let one = try await seconds { _ = try await store.login(username: "user0", password: password) }
    let names = userNames
    // Another client, in rounds of 4 session look-ups and 1 audited write, for as long as 20
    // sign-ins at once take, then as many rounds alone; alternately, three times (the machine's
    // speed varies): the mean time a look-up and a write take, alone and during the sign-ins.
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }
    func round(_ i: Int) async throws -> (read: Double, write: Double) {
        let read = try await seconds { for _ in 0..<4 { _ = try await store.user(forToken: token) } }
        let write = try await seconds { _ = try await store.openDeviation(writer, batch: nil, description: "probe \(i)") }
        return (read / 4, write)
    }
    var ratios: [(read: Double, write: Double)] = []
    var means: [(alone: (Double, Double), during: (Double, Double))] = []
    for trial in 0..<3 {
        let done = Flag()
        let during = try await withThrowingTaskGroup(of: [(read: Double, write: Double)].self) { group in
            group.addTask {
                try await withThrowingTaskGroup(of: Void.self) { logins in
                    for name in names { logins.addTask { _ = try await store.login(username: name, password: password) } }
                    try await logins.waitForAll()
                }
                done.set()
                return []
            }
            group.addTask {
                var times: [(read: Double, write: Double)] = []
                var i = 0
                while !done.isSet {
                    times.append(try await round(trial * 100_000 + i))
                    i += 1
                }
                return times
            }
            var all: [(read: Double, write: Double)] = []
            for try await t in group { all += t }
            return all
        }
        var alone: [(read: Double, write: Double)] = []
        for i in 0..<max(1, during.count) { alone.append(try await round(trial * 100_000 + 50_000 + i)) }
        func mean(_ t: [(read: Double, write: Double)]) -> (Double, Double) {
            (t.map(\.read).reduce(0, +) / Double(t.count), t.map(\.write).reduce(0, +) / Double(t.count))
        }
        let a = mean(alone), d = mean(during)
        means.append((a, d))
        ratios.append((d.0 / a.0, d.1 / a.1))
    }
    try await store.close()
    let median = ratios.indices.sorted { ratios[$0].read + ratios[$0].write < ratios[$1].read + ratios[$1].write }[1]
    print(label + ", sign-ins at 210,000 PBKDF2 rounds")
    print(String(format: "  one sign-in:                       %6.1f ms", one * 1000))
    for (trial, (m, r)) in zip(means, ratios).enumerated() {
        print(
            String(
                format: "  trial %d: a look-up %5.3f ms alone, %5.3f ms during 20 sign-ins (×%.2f); a write %5.2f ms, %5.2f ms (×%.2f)",
                trial + 1, m.alone.0 * 1000, m.during.0 * 1000, r.read, m.alone.1 * 1000, m.during.1 * 1000, r.write))
    }
    print(String(format: "  median trial: reads ×%.2f, writes ×%.2f (goal: below ×1.10)", ratios[median].read, ratios[median].write))
}

/// A fresh database on the server, for a store that must start empty.
func createDatabase(url: String, name: String) async throws {
    let configuration = try SQLPostgresConfiguration(url: url)
    let admin = try await PostgresConnection.connect(
        on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration.coreConfiguration, id: 9, logger: .init(label: "bench"))
    let sql: any SQLDatabase = admin.sql()
    try await sql.raw(SQLQueryString("CREATE DATABASE \(unsafeRaw: name)")).run()
    try await admin.close()
}

/// What a statement costs through the store's writer: transactions of 0, 2, 4 and 8 `SELECT 1`.
func probeStatements(_ location: DatabaseLocation) async throws {
    let store = try await GMPStore.open(location, passwordIterations: 1000)
    for k in [0, 2, 4, 8] {
        let n = 1000
        let t = try await seconds {
            for _ in 0..<n {
                try await store.unauditedTransaction { db in for _ in 0..<k { _ = try await db.raw("SELECT 1 AS one").all() } }
            }
        }
        print(String(format: "  %d statements a transaction: %6.1f µs a transaction", k, t / Double(n) * 1e6))
    }
    try await store.close()
}

do {
    if probe {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vf-probe-\(UUID().uuidString).sqlite").path
        try await probeStatements(.sqlite(path: path))
        exit(0)
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("vf-bench-\(UUID().uuidString).sqlite").path
    if !signInsOnly { try await bench(.sqlite(path: path), label: "SQLite (WAL, synchronous=FULL) at \(path)", entries: entries) }
    if writesOnly { exit(0) }
    let signPath = FileManager.default.temporaryDirectory.appendingPathComponent("vf-sign-\(UUID().uuidString).sqlite").path
    try await signIns(.sqlite(path: signPath), label: "SQLite")
    if let url = ProcessInfo.processInfo.environment["VECTORFAB_BENCH_POSTGRES_URL"] {
        let name = "vf_bench_\(UUID().uuidString.prefix(8).lowercased())"
        try await createDatabase(url: url, name: name)
        var c = URLComponents(string: url)!
        c.path = "/\(name)"
        if !signInsOnly { try await bench(.postgres(url: c.string!), label: "PostgreSQL (synchronous_commit on) \(name)", entries: entries) }
        let signName = "vf_sign_\(UUID().uuidString.prefix(8).lowercased())"
        try await createDatabase(url: url, name: signName)
        c.path = "/\(signName)"
        try await signIns(.postgres(url: c.string!), label: "PostgreSQL")
    } else {
        print("PostgreSQL: set VECTORFAB_BENCH_POSTGRES_URL to measure it too.")
    }
} catch {
    print(String(reflecting: error))
    exit(1)
}
