import Foundation
import Manufacturing
import Store
import Testing

/// A committed record survives a crash: a writer is killed with SIGKILL in the middle of a burst
/// of writes; every record it had acknowledged is then in the store, and the audit chain verifies.
struct DurabilityTests {
    static var backends: [DatabaseLocation] {
        var list: [DatabaseLocation] = [
            .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("vf-burst-\(UUID().uuidString).sqlite").path)
        ]
        if let url = ProcessInfo.processInfo.environment["VECTORFAB_TEST_POSTGRES_URL"] {
            list.append(.postgres(url: url))
        } else {
            print("NOTICE: VECTORFAB_TEST_POSTGRES_URL is not set: the PostgreSQL crash test is skipped.")
        }
        return list
    }

    @Test(arguments: backends)
    func everyAcknowledgedWriteSurvivesAKill(location: DatabaseLocation) async throws {
        let store = try await GMPStore.open(location, passwordIterations: 1000)
        let name = "burst\(UUID().uuidString.prefix(6).lowercased())"
        let admin: User
        if case .postgres = location {
            // A shared server: bootstrap only if empty, else use a fresh user.
            if let a = try? await store.bootstrap(username: "root", fullName: "Root", password: "correct horse battery") {
                admin = a
            } else {
                admin = try await store.login(username: "root", password: "correct horse battery").user
            }
        } else {
            admin = try await store.bootstrap(username: "root", fullName: "Root", password: "correct horse battery")
        }
        _ = try await store.createUser(by: admin, username: name, fullName: "Burst", role: .supervisor, password: "correct horse battery")
        let before = try await store.auditCount()
        try await store.close()

        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vectorfab")
        let process = Process()
        process.executableURL = binary
        let database: String
        switch location {
        case .sqlite(let path): database = path
        case .postgres(let url): database = url
        }
        process.arguments = ["admin", "burst", "--database", database, "--count", "1000000", "--username", name]
        var environment = ProcessInfo.processInfo.environment
        environment["VECTORFAB_PASSWORD"] = "correct horse battery"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        let collected = Collected()
        pipe.fileHandleForReading.readabilityHandler = { h in collected.append(h.availableData) }
        try process.run()
        // Let it acknowledge a few hundred writes, then kill it without warning.
        let deadline = Date().addingTimeInterval(60)
        while collected.lines().count < 300 && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        collected.append(pipe.fileHandleForReading.readDataToEndOfFile())
        #expect(process.terminationReason == .uncaughtSignal)
        let acknowledged = collected.lines()
        #expect(acknowledged.count >= 300, "only \(acknowledged.count) writes acknowledged")

        let reopened = try await GMPStore.open(location, passwordIterations: 1000)
        let user = try await reopened.login(username: name, password: "correct horse battery").user
        let stored = Set(try await reopened.deviations(user).map(\.id))
        let missing = acknowledged.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) acknowledged writes lost")
        #expect(try await reopened.verifyAudit().isEmpty)
        // Every acknowledged write left its audit entry (plus the burst's sign-in).
        #expect(try await reopened.auditCount() >= before + acknowledged.count)
        try await reopened.close()
    }
}

/// Lines written by the child, complete ones only (a kill can cut the last one).
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ d: Data) { lock.withLock { data.append(d) } }
    func lines() -> [String] {
        lock.withLock {
            let text = String(decoding: data, as: UTF8.self)
            var parts = text.components(separatedBy: "\n")
            parts.removeLast()  // after the last newline: empty or a cut line
            return parts.filter { !$0.isEmpty }
        }
    }
}

extension DatabaseLocation: CustomTestStringConvertible {
    public var testDescription: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }
}
