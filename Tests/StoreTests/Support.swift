import Bioprocess
import FileFormats
import Foundation
import Manufacturing
import PostgresKit
import SQLKit
import Testing

@testable import Store

enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// The databases the store's tests run against: SQLite always, PostgreSQL when
/// VECTORFAB_TEST_POSTGRES_URL names a server (`.ci/run` starts one); otherwise a notice says
/// the PostgreSQL runs are skipped.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["VECTORFAB_TEST_POSTGRES_URL"] }

    static let available: [Backend] = {
        if postgresURL == nil {
            print("NOTICE: VECTORFAB_TEST_POSTGRES_URL is not set: the store's PostgreSQL tests are skipped (SQLite runs).")
            return [.sqlite]
        }
        return [.sqlite, .postgres]
    }()
}

/// A settable clock, so that expiries and sessions can be tested.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21
    func get() -> Date { lock.withLock { now } }
    func advance(_ s: TimeInterval) { lock.withLock { now += s } }
}

/// Stores opened by tests stay referenced for the test run: a connection must be closed before
/// it is freed, and a test that fails half-way would not close it.
final class OpenStores: @unchecked Sendable {
    static let shared = OpenStores()
    private let lock = NSLock()
    private var stores: [GMPStore] = []
    func keep(_ s: GMPStore) -> GMPStore { lock.withLock { stores.append(s) }; return s }
}

/// A fresh, empty store: a new SQLite file, or a new PostgreSQL database.
func freshStore(_ backend: Backend, clock: TestClock = TestClock()) async throws -> GMPStore {
    OpenStores.shared.keep(try await openFresh(backend, clock: clock))
}

func openFresh(_ backend: Backend, clock: TestClock) async throws -> GMPStore {
    try await GMPStore.open(try await freshLocation(backend), clock: clock.get, passwordIterations: 1000)
}

/// A new, empty database: an SQLite file in the temporary directory or a new PostgreSQL database.
func freshLocation(_ backend: Backend) async throws -> DatabaseLocation {
    let name = "vf_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
    switch backend {
    case .sqlite:
        return .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("\(name).sqlite").path)
    case .postgres:
        let url = Backend.postgresURL!
        let admin = try await Connection.open(.postgres(url: url), logger: .init(label: "test"))
        try await admin.sql.raw(SQLQueryString("CREATE DATABASE \(unsafeRaw: name)")).run()
        try await admin.close()
        var components = URLComponents(string: url)!
        components.path = "/\(name)"
        return .postgres(url: components.string!)
    }
}

let password = "correct horse battery"

/// A store with one person per role.
struct Staff {
    var store: GMPStore
    var admin: User, operatorUser: User, supervisor: User, analyst: User, qa: User, engineer: User

    static func make(_ backend: Backend, clock: TestClock = TestClock()) async throws -> Staff {
        let store = try await freshStore(backend, clock: clock)
        let admin = try await store.bootstrap(username: "admin", fullName: "Ada Admin", password: password)
        func add(_ u: String, _ n: String, _ r: Role) async throws -> User {
            try await store.createUser(by: admin, username: u, fullName: n, role: r, password: password)
        }
        return Staff(
            store: store, admin: admin, operatorUser: try await add("olga", "Olga Operator", .operator),
            supervisor: try await add("sam", "Sam Supervisor", .supervisor), analyst: try await add("quinn", "Quinn Analyst", .qcAnalyst),
            qa: try await add("alex", "Alex QA", .qa), engineer: try await add("eve", "Eve Engineer", .engineer))
    }

    func user(_ role: Role) -> User {
        switch role {
        case .operator: operatorUser
        case .supervisor: supervisor
        case .qcAnalyst: analyst
        case .qa: qa
        case .administrator: admin
        case .engineer: engineer
        }
    }
}

/// The seed-000 process's master recipe.
func seedRecipe() throws -> MasterRecipe {
    try RecipeGenerator.generate(try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml")))
}

/// An approved recipe, released lots of every material it needs, and a new batch.
struct Running {
    var staff: Staff
    var recipe: RecipeRecord
    var lots: [String: MaterialLot]
    var batch: Batch

    static func make(_ backend: Backend, clock: TestClock = TestClock()) async throws -> Running {
        let staff = try await Staff.make(backend, clock: clock)
        let s = staff.store
        let draft = try await s.createRecipe(staff.supervisor, try seedRecipe())
        let recipe = try await s.approveRecipe(staff.qa, id: draft.id, password: password)
        var lots: [String: MaterialLot] = [:]
        let items = Set(recipe.recipe.phases.flatMap { $0.materials.map(\.item) })
        for item in items.sorted() {
            _ = try await s.defineItem(staff.supervisor, code: item, name: item.lowercased(), unit: "unit")
            let lot = try await s.receiveLot(staff.operatorUser, item: item, supplier: "Supplier", supplierLot: "S-\(item)", quantity: 1e9, expiry: "2030-01-01")
            let sample = try await s.createSample(staff.analyst, batch: nil, materialLot: lot.id, test: "Identity")
            _ = try await s.recordResult(staff.analyst, sample: sample.id, value: nil, pass: true)
            lots[item] = try await s.decideLot(staff.qa, id: lot.id, release: true, reason: "tests passed", password: password)
        }
        let batch = try await s.createBatch(staff.supervisor, recipeID: recipe.id)
        return Running(staff: staff, recipe: recipe, lots: lots, batch: batch)
    }

    /// Executes a phase as written: every parameter at target, every material, completed — and,
    /// unless told otherwise, verified by the supervisor.
    func execute(_ phase: Phase, verify: Bool = true) async throws {
        let s = staff.store
        for p in phase.parameters {
            _ = try await s.recordValue(staff.operatorUser, batch: batch.id, phase: phase.id, parameter: p.name, value: p.target)
        }
        for m in phase.materials where m.quantity > 0 {
            _ = try await s.consumeMaterial(staff.operatorUser, batch: batch.id, phase: phase.id, lot: lots[m.item]!.id, quantity: m.quantity)
        }
        if let e = phase.equipment { _ = try await s.recordEquipment(staff.operatorUser, batch: batch.id, phase: phase.id, equipment: e) }
        _ = try await s.completePhase(staff.operatorUser, batch: batch.id, phase: phase.id, password: password)
        if verify { try await s.verifyPhase(staff.supervisor, batch: batch.id, phase: phase.id, password: password) }
    }

    /// Samples both release panels and enters a passing result for each test: a value inside its
    /// range, or pass.
    func passReleasePanel() async throws {
        for test in recipe.recipe.releaseTests {
            let sample = try await staff.store.createSample(
                staff.analyst, batch: batch.id, materialLot: nil, test: test.test, panel: test.panel)
            _ = try await staff.store.recordResult(
                staff.analyst, sample: sample.id, value: test.specification.passingValue, pass: test.specification.isRange ? nil : true)
        }
    }
}

extension QCSpecification {
    /// A value the range accepts (its middle, or just inside its open side); nil for pass/fail.
    var passingValue: Double? {
        switch (low, high) {
        case (let l?, let h?): (l + h) / 2
        case (let l?, nil): l == 0 ? 1 : l * 1.1
        case (nil, let h?): h == 0 ? -1 : h * 0.5
        case (nil, nil): nil
        }
    }
}

/// Runs an operation expected to be refused; returns the error.
func refused(_ body: () async throws -> Void) async -> GMPError? {
    do {
        try await body()
        Issue.record("the operation was accepted")
        return nil
    } catch let e as GMPError {
        return e
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
