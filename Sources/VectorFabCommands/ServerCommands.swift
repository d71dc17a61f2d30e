import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Manufacturing
import Store
import Web

/// Options shared by the commands that open the record store.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "An SQLite file (created on first use) or a postgres:// URL. Default: $VECTORFAB_DATABASE or vectorfab.sqlite.")
    var database: String = ProcessInfo.processInfo.environment["VECTORFAB_DATABASE"] ?? "vectorfab.sqlite"

    /// Opens (and migrates, unless told not to) the store, runs `body`, and closes the store
    /// whether `body` succeeds or throws.
    func withStore<T>(migrate: Bool = true, _ body: (GMPStore) async throws -> T) async throws -> T {
        let store = try await GMPStore.open(DatabaseLocation(database), migrate: migrate, logger: Logger(label: "vectorfab"))
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

/// The audit trail: `vectorfab audit verify`.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The GMP store's audit trail: append-only, each entry chained by SHA-256 to the one before.",
        subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the audit chain; name every entry edited, inserted or deleted behind the application's back.",
            discussion: "Exit status: 0 when the chain is intact, 2 when it is broken (each break printed), 1 on any other error.")
        @OptionGroup var db: DatabaseOptions

        func run() async throws {
            let (problems, count) = try await db.withStore { store in (try await store.verifyAudit(), try await store.auditCount()) }
            if problems.isEmpty {
                print("The audit trail verifies: \(count) entries, chain intact.")
            } else {
                for p in problems { print("BROKEN: \(p)") }
                print("The audit trail does not verify: \(problems.count) problem(s) in \(count) entries.")
                throw ExitCode(2)
            }
        }
    }
}

/// Reads a password from an environment variable (never from the command line, where other
/// users could see it).
func passwordFromEnvironment(_ name: String) throws -> String {
    guard let p = ProcessInfo.processInfo.environment[name], !p.isEmpty else {
        throw ValidationError("set \(name) to the password (it is not taken on the command line)")
    }
    return p
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the GMP records' HTTP JSON API (docs/openapi.yaml).",
        discussion: "Example: vectorfab serve --database vectorfab.sqlite --port 8080")

    @OptionGroup var db: DatabaseOptions

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port: Int = 8080

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1–65535, e.g. --port 8080.") }
    }

    func run() async throws {
        try await db.withStore { store in
            let logger = Logger(label: "vectorfab.web")
            logger.info("VectorFab API on http://\(host):\(port) with \(store.location)")
            try await API.application(store: store, host: host, port: port, logger: logger).runService()
        }
    }
}

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Administration of the GMP record store: migrations, users, batch-record export.",
        discussion: "The audit trail is verified with `vectorfab audit verify`.",
        subcommands: [Migrate.self, Bootstrap.self, CreateUser.self, Unlock.self, ExportBatch.self, Burst.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations.")
        @OptionGroup var db: DatabaseOptions

        func run() async throws {
            let applied = try await db.withStore(migrate: false) { store in try await store.migrate() }
            print(applied.isEmpty ? "The schema is up to date." : "Applied: \(applied.joined(separator: ", "))")
        }
    }

    struct Bootstrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the first administrator of an empty store (password from $VECTORFAB_PASSWORD).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The administrator's username.") var username: String
        @Option(help: "The administrator's full name, printed with signatures.") var fullName: String

        func run() async throws {
            let password = try passwordFromEnvironment("VECTORFAB_PASSWORD")
            let user = try await db.withStore { store in
                try await store.bootstrap(username: username, fullName: fullName, password: password)
            }
            print("Created administrator \(user.username) (\(user.id)).")
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-activate a locked or disabled account, with access to the database itself (no sign-in).",
            discussion: """
                The way back when no administrator can sign in. The audit trail records it as done by \
                'database:<operating-system user>' with the reason.
                Example: vectorfab admin unlock --username admin --reason "locked after five wrong passwords"
                """)
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The account to re-activate.") var username: String
        @Option(help: "Why (recorded in the audit trail).") var reason: String

        func run() async throws {
            let who = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "unknown"
            let user = try await db.withStore { store in
                try await store.unlock(username: username, by: who, reason: reason)
            }
            print("Re-activated \(user.username) (\(user.id)); failed sign-ins reset.")
        }
    }

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user, as an administrator ($VECTORFAB_ADMIN_PASSWORD) with a password ($VECTORFAB_PASSWORD).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The administrator signing in.") var admin: String
        @Option(help: "The new user's username.") var username: String
        @Option(help: "The new user's full name.") var fullName: String
        @Option(help: "operator, supervisor, qc-analyst, qa or administrator.") var role: String

        func run() async throws {
            guard let r = Role(rawValue: role) else {
                throw ValidationError("--role must be one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let adminPassword = try passwordFromEnvironment("VECTORFAB_ADMIN_PASSWORD")
            let password = try passwordFromEnvironment("VECTORFAB_PASSWORD")
            let user = try await db.withStore { store in
                let (_, adminUser) = try await store.login(username: admin, password: adminPassword)
                return try await store.createUser(by: adminUser, username: username, fullName: fullName, role: r, password: password)
            }
            print("Created \(user.role.rawValue) \(user.username) (\(user.id)).")
        }
    }

    struct ExportBatch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-batch", abstract: "Export a batch's complete electronic record as JSON (signed in as $VECTORFAB_USER).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The batch number, e.g. B-2026-0001.") var batch: String

        func run() async throws {
            guard let username = ProcessInfo.processInfo.environment["VECTORFAB_USER"], !username.isEmpty else {
                throw ValidationError("set VECTORFAB_USER to the username to sign in as")
            }
            let password = try passwordFromEnvironment("VECTORFAB_PASSWORD")
            let record = try await db.withStore { store in
                let (_, user) = try await store.login(username: username, password: password)
                return try await store.batchRecord(user, batch: batch)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(record), as: UTF8.self))
        }
    }

    /// Writes deviations as fast as it can, printing each one's id once its commit returns: the
    /// durability test kills it mid-burst and checks every printed id is in the store.
    struct Burst: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write records in a burst, printing each acknowledged one (durability testing).", shouldDisplay: false)
        @OptionGroup var db: DatabaseOptions
        @Option var count: Int = 1000
        @Option var username: String

        func validate() throws {
            try checkRange("--count", count, 1...1_000_000, example: "--count 1000")
        }

        func run() async throws {
            let password = try passwordFromEnvironment("VECTORFAB_PASSWORD")
            try await db.withStore { store in
                let (_, user) = try await store.login(username: username, password: password)
                for i in 0..<count {
                    let d = try await store.openDeviation(user, batch: nil, description: "burst \(i)")
                    FileHandle.standardOutput.write(Data((d.id + "\n").utf8))
                }
            }
        }
    }
}
