import ArgumentParser
import Bioprocess
import Capacity
import FileFormats
import Foundation
import Hummingbird
import Logging
import Manufacturing
import Monitoring
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
        abstract: "Serve the web application and the HTTP JSON API (docs/openapi.yaml).",
        discussion: """
            On a database without users, the first page is a one-time set-up form for the first \
            administrator, protected by a set-up code printed in the log. --demo fills a new database \
            with a demo site and prints how to sign in.
            Example: vectorfab serve --demo
            """)

    @OptionGroup var db: DatabaseOptions

    @Option(help: "The address to listen on (loopback by default; 0.0.0.0 to serve the network).")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on, 1–65535.")
    var port: Int = 8080

    @Option(help: "The folder of process files the process library shows.")
    var library: String = "Examples"

    @Flag(help: "Fill a new, empty database with a demo site: one user per role, an approved recipe, a batch in progress.")
    var demo = false

    @Flag(help: "Mark session cookies Secure (when the site is served behind TLS).")
    var secureCookies = false

    @Option(
        name: .customLong("site"),
        help: "A site file (vectorfab/site/1): the rooms, equipment and series whose points POST /api/points takes. With --demo, the library's sites/genethon-bioprod-site.yaml by default.")
    var siteFile: String?

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1–65535, e.g. --port 8080.") }
    }

    func run() async throws {
        try await db.withStore { store in
            let logger = Logger(label: "vectorfab.web")
            let url = "http://\(host == "0.0.0.0" ? "localhost" : host):\(port)/"
            var monitor: Monitor?
            let demoSite = (library as NSString).appendingPathComponent("sites/genethon-bioprod-site.yaml")
            if let path = siteFile ?? (demo && FileManager.default.fileExists(atPath: demoSite) ? demoSite : nil) {
                let monitored = try SiteFiles.load(path)
                monitor = Monitor(site: monitored, points: try await PointStore.open(beside: store.location, logger: logger))
                logger.info("Monitoring \(monitored.name): \(monitored.series.count) series in \(monitored.rooms.count) rooms, points in \(PointStore.location(for: store.location))")
            }
            if demo {
                guard try await store.userCount() == 0 else {
                    throw ValidationError("--demo fills a new database only: \(store.location) has users already (use another --database)")
                }
                let accounts = try await Demo.fill(store, library: library, monitor: monitor.map { ($0.site, $0.points) })
                logger.info("Demo site on \(store.location): sign in at \(url) as one of (passwords shown once):")
                for a in accounts { logger.info("  \(a.role.rawValue): \(a.username) / \(a.password)") }
            }
            var setupCode: String?
            if try await store.userCount() == 0 {
                let code = Site.newSetupCode()
                setupCode = code
                logger.info("No users yet: open \(url)setup and create the first administrator with the set-up code \(code)")
            }
            let site = try await Site.load(library: library, secureCookies: secureCookies, setupCode: setupCode)
            logger.info("VectorFab on \(url) with \(store.location)")
            try await API.application(store: store, site: site, monitor: monitor, host: host, port: port, logger: logger).runService()
        }
    }
}

/// A demo site: one user per role (random passwords), the first example's recipe approved, a
/// batch from it in progress.
public enum Demo {
    public struct Account: Sendable {
        public var role: Role
        public var username: String
        public var password: String
    }

    public static func fill(_ store: GMPStore, library: String, monitor: (site: MonitoredSite, points: PointStore)? = nil) async throws -> [Account] {
        func password() -> String {
            let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            var rng = SystemRandomNumberGenerator()
            return String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
        }
        let people: [(Role, String, String)] = [
            (.administrator, "ada", "Ada Admin"), (.supervisor, "sam", "Sam Supervisor"), (.operator, "olga", "Olga Operator"),
            (.qcAnalyst, "quinn", "Quinn Analyst"), (.qa, "alex", "Alex QA"), (.engineer, "eve", "Eve Engineer"),
        ]
        var accounts: [Account] = []
        var users: [Role: User] = [:]
        for (role, username, name) in people {
            let p = password()
            let user = role == .administrator
                ? try await store.bootstrap(username: username, fullName: name, password: p)
                : try await store.createUser(by: users[.administrator]!, username: username, fullName: name, role: role, password: p)
            users[role] = user
            accounts.append(Account(role: role, username: username, password: p))
        }
        let processPath = library + "/seed000-aav-200L.yaml"
        if FileManager.default.fileExists(atPath: processPath) {
            let process = try ProcessFile.load(path: processPath)
            let recipe = try RecipeGenerator.generate(process)
            let draft = try await store.createRecipe(users[.supervisor]!, recipe)
            let qa = accounts.first { $0.role == .qa }!
            let approved = try await store.approveRecipe(users[.qa]!, id: draft.id, password: qa.password)
            let passwords = Dictionary(accounts.map { ($0.role, $0.password) }, uniquingKeysWith: { a, _ in a })
            var equipment: [String: String] = [:]
            if let monitor {
                try await monitoring(store, users: users, passwords: passwords, site: monitor.site, points: monitor.points)
                // The recipe names classes of equipment; the demo's operators record the site's.
                if let bioreactor = monitor.site.equipment.first { equipment[process.production.platform.model] = bioreactor.id }
                if let isolator = monitor.site.rooms.first(where: { $0.grade == .a }) { equipment["Isolator"] = isolator.id }
            }
            _ = try await history(
                store, users: users, passwords: passwords, recipe: approved, batches: 3, equipment: equipment,
                inProcessTiters: try inProcessTiters(process))
            _ = try await store.createBatch(users[.supervisor]!, recipeID: draft.id)
        }
        return accounts
    }

    /// The titer the process predicts for each in-process test, in the product's count per mL
    /// (`vg/mL` or `TU/mL`): what the demo's analysts record, with a spread.
    public static func inProcessTiters(_ process: ProcessDefinition) throws -> [String: (value: Double, unit: String)] {
        let report = try LotReport.simulate(process)
        let unit = process.product.vector.type.counting == .genomes ? "vg/mL" : "TU/mL"
        var out: [String: (value: Double, unit: String)] = [:]
        for sample in process.qualityControl.inProcess {
            guard let step = report.steps.first(where: { $0.index == sample.afterStep }), step.volumeOut > .zero else { continue }
            out[sample.test] = (step.vectorOut.canonical / step.volumeOut.value(in: "mL"), unit)
        }
        return out
    }

    /// The demo's history: an item with its specification for every material the recipe needs,
    /// a lot of each received, sampled, tested and released by QA; then `batches` batches run to
    /// release — every value near its target (a deterministic spread), both release panels passed,
    /// and in the second one a value out of range whose deviation is investigated, classified,
    /// given an action and closed by QA. `equipment` maps the recipe's classes of equipment to the
    /// ids the operators record (the site's). With `inProcessTiters` (by test), the in-process samples
    /// the recipe names are taken and their titers recorded (±8 %, information only), so that
    /// `vectorfab calibrate` has vector amounts to fit yields from. Returns the lots by item and
    /// the batches.
    public static func history(
        _ store: GMPStore, users: [Role: User], passwords: [Role: String], recipe: RecipeRecord, batches: Int,
        equipment: [String: String] = [:], inProcessTiters: [String: (value: Double, unit: String)] = [:]
    ) async throws -> (lots: [String: MaterialLot], batches: [Batch]) {
        let op = users[.operator]!, sup = users[.supervisor]!, qc = users[.qcAnalyst]!, qa = users[.qa]!
        var lots: [String: MaterialLot] = [:]
        let needs = recipe.recipe.phases.flatMap(\.materials)
        for item in Set(needs.map(\.item)).sorted() {
            let unit = needs.first { $0.item == item }?.unit ?? "unit"
            let total = needs.filter { $0.item == item }.map(\.quantity).reduce(0, +)
            if try await store.items(qa, page: Page(limit: 1000, offset: 0)).contains(where: { $0.code == item }) == false {
                _ = try await store.defineItem(sup, code: item, name: item.lowercased().replacingOccurrences(of: "-", with: " "), unit: unit)
                _ = try await store.addItemTest(qa, item: item, test: "Identity", specification: .passFail(criterion: "conforms to the supplier's certificate"))
            }
            let lot = try await store.receiveLot(
                op, item: item, supplier: "Supplier \(item.prefix(3))", supplierLot: "S-\(item.prefix(6))-01",
                quantity: max(1, total) * Double(batches + 3), expiry: "2030-12-31")
            for sample in try await store.sampleLot(qc, lot: lot.id) {
                _ = try await store.recordResult(qc, sample: sample.id, value: nil, pass: true)
            }
            lots[item] = try await store.decideLot(qa, id: lot.id, release: true, reason: "specification met", password: passwords[.qa]!)
        }
        var made: [Batch] = []
        for n in 0..<batches {
            let batch = try await store.createBatch(sup, recipeID: recipe.id)
            var index = 0
            for phase in recipe.recipe.phases {
                for p in phase.parameters {
                    index += 1
                    // A spread of ±30 % of the half-range around the target, the same each time.
                    let spread = (Double((index * 7 + n * 13) % 11) - 5) / 5 * 0.3
                    var value = p.target + spread * (p.high - p.low) / 2
                    if n == 1 && index == 3 { value = p.high + (p.high - p.low) / 4 }
                    if !(p.low...p.high).contains(value) && !(n == 1 && index == 3) { value = p.target }
                    if p.unit == "vials" { value = value.rounded(.down) }
                    _ = try await store.recordValue(op, batch: batch.id, phase: phase.id, parameter: p.name, value: value)
                }
                for m in phase.materials where m.quantity > 0 {
                    _ = try await store.consumeMaterial(op, batch: batch.id, phase: phase.id, lot: lots[m.item]!.id, quantity: m.quantity)
                }
                if let e = phase.equipment { _ = try await store.recordEquipment(op, batch: batch.id, phase: phase.id, equipment: equipment[e] ?? e) }
                for (k, sample) in phase.samples.enumerated() where sample.panel == nil {
                    guard let titer = inProcessTiters[sample.test], sample.specification?.isRange ?? true else { continue }
                    let s = try await store.createSample(
                        op, batch: batch.id, materialLot: nil, test: sample.test,
                        specification: sample.specification == nil ? .range(low: 0, high: nil, unit: titer.unit) : nil)
                    let spread = (Double((n * 5 + index + k * 3) % 7) - 3) / 3 * 0.08
                    _ = try await store.recordResult(qc, sample: s.id, value: titer.value * (1 + spread), pass: nil)
                }
                _ = try await store.completePhase(op, batch: batch.id, phase: phase.id, password: passwords[.operator]!)
                try await store.verifyPhase(sup, batch: batch.id, phase: phase.id, password: passwords[.supervisor]!)
            }
            for (t, test) in recipe.recipe.releaseTests.enumerated() {
                let sample = try await store.createSample(qc, batch: batch.id, materialLot: nil, test: test.test, panel: test.panel)
                let spec = test.specification
                var value: Double?
                switch (spec.low, spec.high) {
                case (let l?, let h?): value = l + (h - l) * (0.35 + 0.1 * Double((t + n * 3) % 4))
                case (let l?, nil): value = (l == 0 ? 1 : l) * (1.2 + 0.15 * Double((t + n) % 4))
                case (nil, let h?): value = h * (0.2 + 0.1 * Double((t + n) % 4))
                case (nil, nil): value = nil
                }
                _ = try await store.recordResult(qc, sample: sample.id, value: spec.isRange ? value : nil, pass: spec.isRange ? nil : true)
            }
            for d in try await store.deviations(qa, batch: batch.id) {
                _ = try await store.advanceDeviation(sup, id: d.id, to: .investigation, note: "trend and probe log reviewed", password: passwords[.supervisor]!)
                _ = try await store.investigateDeviation(
                    sup, id: d.id, classification: .minor, rootCause: "set point entered before the probe settled; product unaffected", reason: "")
                _ = try await store.addAction(sup, deviation: d.id, action: "Add a 5-minute settling step to the SOP", owner: sup.id, due: "2030-01-31")
                _ = try await store.advanceDeviation(qa, id: d.id, to: .capa, note: "action agreed", password: passwords[.qa]!)
                for a in try await store.actions(qa, status: .open) where a.deviationID == d.id {
                    _ = try await store.completeAction(sup, action: a.id, note: "SOP revised and operators trained")
                }
                _ = try await store.advanceDeviation(qa, id: d.id, to: .closed, note: "no impact on quality", password: passwords[.qa]!)
            }
            made.append(try await store.releaseBatch(qa, batch: batch.id, password: passwords[.qa]!))
        }
        return (lots, made)
    }
}

extension Demo {
    /// The demo's monitoring: limits approved by QA for the bioreactor's temperature and pH and
    /// the vector suite's particles and pressure, and the last three days of one-minute points of
    /// every continuous series of the site (a deterministic, smooth signal within the limits).
    static func monitoring(
        _ store: GMPStore, users: [Role: User], passwords: [Role: String], site: MonitoredSite, points: PointStore
    ) async throws {
        let sup = users[.supervisor]!, qa = users[.qa]!
        let roomTemperature = SeriesLimits(alertLow: 18, alertHigh: 23, actionLow: 16, actionHigh: 25, persistence: 600, hysteresis: 0.3)
        let wanted: [(String, SeriesLimits, String)] = [
            ("temperature", SeriesLimits(alertLow: 36.5, alertHigh: 37.5, actionLow: 36, actionHigh: 38, persistence: 120, hysteresis: 0.2), "from the PQ runs"),
            ("ph", SeriesLimits(alertLow: 6.9, alertHigh: 7.35, actionLow: 6.8, actionHigh: 7.45, persistence: 300, hysteresis: 0.02), "from the PQ runs"),
            ("particles-0.5", SeriesLimits(alertHigh: 100_000, actionHigh: 200_000, persistence: 120, hysteresis: 5000), "room qualification, in operation"),
            ("dp", SeriesLimits(alertLow: 12, actionLow: 10, persistence: 300, hysteresis: 1), "pressure cascade of the HVAC design"),
        ]
        var limited: [String: SeriesLimits] = [:]
        // The first bioreactor's and the first room's series (those the demo's batches use).
        let watched = Set([site.equipment.first.map { SeriesLocation.equipment($0.id) }, site.rooms.first.map { SeriesLocation.room($0.id) }].compactMap { $0 })
        for x in site.series where watched.contains(x.location) {
            guard var (_, limits, reason) = wanted.first(where: { x.id.hasSuffix("/" + $0.0) }) else { continue }
            if x.measurand == .temperature, case .room = x.location { (limits, reason) = (roomTemperature, "room design: 20 ± 3 °C") }
            let set = try await store.proposeLimits(sup, series: x, grade: site.room(of: x)?.grade, limits: limits, reason: reason)
            _ = try await store.approveLimits(qa, id: set.id, password: passwords[.qa]!)
            limited[x.id] = limits
        }
        let now = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60
        let start = now - 3 * 86_400
        let byID = Dictionary(site.series.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var batch: [Point] = []
        for x in site.series where !x.measurand.isSampled {
            let step = max(60, x.interval)
            let (centre, swing): (Double, Double) = switch x.measurand {
            case .temperature: if case .room = x.location { (20, 0.6) } else { (37, 0.2) }
            case .pH: (7.1, 0.05)
            case .dissolvedOxygen: (40, 5)
            case .agitation: (90, 2)
            case .pressure: (20, 1)
            case .viableCellDensity: (4e6, 1e6)
            case .particles05: (site.room(of: x)?.grade == .a ? 400 : 20_000, site.room(of: x)?.grade == .a ? 150 : 8000)
            case .particles5: (site.room(of: x)?.grade == .a ? 0 : 150, site.room(of: x)?.grade == .a ? 0 : 60)
            case .differentialPressure: (15, 1)
            case .humidity: (45, 4)
            default: (1, 0)
            }
            var t = start
            var k = 0.0
            while t <= now - 60 {
                // A daily cycle and a faster ripple: smooth, the same at every start.
                let v = centre + swing * (0.7 * sin(2 * .pi * t / 86_400) + 0.3 * sin(k / 7))
                // As the instrument reports it: counts whole, the rest to 3 significant digits.
                let digits = max(0, 2 - Int(log10(max(abs(v), 1e-9)).rounded(.down)))
                let shown = x.measurand == .particles05 || x.measurand == .particles5 ? v.rounded() : (v * pow(10, Double(digits))).rounded() / pow(10, Double(digits))
                batch.append(Point(series: x.id, time: t, value: max(0, shown), unit: x.unit))
                t += step
                k += 1
            }
        }
        for chunk in stride(from: 0, to: batch.count, by: 100_000) {
            _ = try await points.ingest(Array(batch[chunk..<min(batch.count, chunk + 100_000)]), series: byID, now: now, limits: limited)
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
        @Option(help: "operator, supervisor, qc-analyst, qa, administrator or engineer.") var role: String

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

/// Site files read from disk: the facility file the site names (relative to it) read first, so
/// each room's suite is checked against it.
public enum SiteFiles {
    public static func load(_ path: String) throws -> MonitoredSite {
        let document = try DocumentLoader.load(path: path)
        var facility: Facility?
        if case .mapping(let entries) = document.value, let entry = entries.first(where: { $0.key == "facility" }),
            case .scalar(let relative, _) = entry.value.value
        {
            let facilityPath = relative.hasPrefix("/") ? relative : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(relative)
            facility = try FacilityReader.read(try DocumentLoader.load(path: facilityPath))
        }
        return try SiteReader.read(document, facility: facility)
    }
}
