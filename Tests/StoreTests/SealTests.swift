import Bioprocess
import Foundation
import PostgresKit
import Manufacturing
import Monitoring
import SQLKit
import Testing

@testable import Store

/// Every GMP record is in the chain: a row of any GMP table edited, inserted or deleted
/// behind the application's back is named by `audit verify`, on SQLite and PostgreSQL.
struct SealTests {
    /// A store with at least one row in every GMP table: a batch in progress with entries, QC
    /// results, a deviation and signatures.
    func populated(_ backend: Backend) async throws -> Running {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let first = r.recipe.recipe.phases[0]
        _ = try await s.recordValue(r.staff.operatorUser, batch: r.batch.id, phase: first.id, parameter: first.parameters[0].name, value: first.parameters[0].target * 10)
        let sample = try await s.createSample(r.staff.analyst, batch: r.batch.id, materialLot: nil, test: "Endotoxin", panel: .drugProduct)
        _ = try await s.recordResult(r.staff.analyst, sample: sample.id, value: 2, pass: nil)
        _ = try await s.saveProcessFile(r.staff.supervisor, name: "seed.yaml", text: "name: seed\n", note: "first version")
        let deviation = try #require(try await s.deviations(r.staff.qa).first)
        _ = try await s.advanceDeviation(r.staff.supervisor, id: deviation.id, to: .investigation, note: "started", password: password)
        _ = try await s.addAction(r.staff.supervisor, deviation: deviation.id, action: "recalibrate", owner: "sam", due: "2027-01-01")
        _ = try await s.addItemTest(r.staff.qa, item: "CELL-BANK", test: "Mycoplasma", specification: nil)
        let ph = Series(id: "BR-1/ph", measurand: .pH, location: .equipment("BR-1"), interval: 60)
        _ = try await s.proposeLimits(r.staff.supervisor, series: ph, grade: nil, limits: SeriesLimits(alertHigh: 7.3, actionHigh: 7.4), reason: "PQ study")
        _ = try await s.recordExcursions(
            r.staff.operatorUser, [(series: "BR-1/ph", event: .raised(level: .action, since: 1_790_000_000, at: 1_790_000_120, value: 7.6))],
            site: MonitoredSite(name: "Test", rooms: [], equipment: [MonitoredEquipment(id: "BR-1", name: "Bioreactor", room: "VS-1")], series: [ph]),
            now: 1_790_000_120)
        _ = try await s.beginEnrolment(r.staff.qa)
        try await s.setSecondFactorPolicy(by: r.staff.admin, role: .qa, required: true, reason: "SOP")
        return r
    }

    /// One column to change in each table, as an attacker would.
    static let edits: [(table: String, column: String, value: String)] = [
        ("users", "full_name", "'Mallory'"), ("recipes", "status", "'draft'"), ("material_items", "name", "'water'"),
        ("material_lots", "remaining", "1e12"), ("batches", "status", "'released'"), ("batch_entries", "value", "7"),
        ("samples", "high", "1000"), ("results", "pass", "1 - pass"), ("deviations", "status", "'closed'"),
        ("signatures", "full_name", "'Someone Else'"), ("process_files", "text", "'name: other'"),
        ("capa_actions", "due", "'2099-01-01'"), ("item_tests", "high", "99"), ("second_factors", "secret", "'MALLORYKNOWS'"),
        ("role_policies", "second_factor", "0"), ("limit_sets", "action_high", "9"),
        ("alarms", "comment", "'nothing to see'"),
    ]

    @Test(arguments: Backend.available)
    func aRowDeletedBehindTheApplicationsBackIsNamed(backend: Backend) async throws {
        let r = try await populated(backend)
        let s = r.staff.store
        #expect(try await s.verifyAudit().isEmpty)
        let id = try await s.unauditedTransaction { db in
            let id = try #require(try await db.raw("SELECT id FROM results").first()).decode(column: "id", as: String.self)
            try await db.raw("DELETE FROM results WHERE id = \(bind: id)").run()
            return id
        }
        #expect(try await s.verifyAudit() == ["results row \(id) was deleted behind the application's back"])
    }

    @Test(arguments: Backend.available)
    func eachTableEditedInTurnIsFound(backend: Backend) async throws {
        #expect(Set(Self.edits.map(\.table)) == Set(Seals.tables.map(\.name)), "every sealed table is edited once")
        for edit in Self.edits {
            let r = try await populated(backend)
            let s = r.staff.store
            let table = try #require(Seals.table(edit.table))
            let key = try await s.unauditedTransaction { db in
                let row = try #require(try await db.raw(SQLQueryString("SELECT * FROM \(unsafeRaw: table.name)")).first())
                let key = try Seals.key(row, table)
                try await db.raw(
                    SQLQueryString(
                        "UPDATE \(unsafeRaw: table.name) SET \(unsafeRaw: edit.column) = \(unsafeRaw: edit.value) WHERE \(unsafeRaw: table.key) = ")
                        + "\(bind: key)"
                ).run()
                return key
            }
            #expect(
                try await s.verifyAudit() == ["\(table.name) row \(key) was edited behind the application's back: it differs from its seal"],
                "\(edit.table)")
        }
    }

    @Test(arguments: Backend.available)
    func aRowInsertedBehindTheApplicationsBackIsNamed(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        try await s.unauditedTransaction { db in
            try await db.raw("INSERT INTO material_items (code, name, unit) VALUES ('GHOST', 'ghost', 'L')").run()
        }
        #expect(try await s.verifyAudit() == ["material_items row GHOST was inserted behind the application's back: no audit entry seals it"])
    }

    /// A database made before records were sealed: opening it seals every row once, and an
    /// edit after that is found.
    @Test(arguments: Backend.available)
    func rowsWrittenBeforeSealingAreSealedByTheMigration(backend: Backend) async throws {
        let location = try await freshLocation(backend)
        let old = try await Connection.open(location, logger: .init(label: "test"))
        _ = try await Migrations.migrate(old, at: "2026-01-01T00:00:00.000Z", upTo: Migrations.sealing - 1)
        try await old.transaction { db in
            try await db.raw("INSERT INTO material_items (code, name, unit) VALUES ('MEDIUM', 'medium', 'L')").run()
            try await db.raw(
                """
                INSERT INTO users (id, username, full_name, role, password_hash, active, created_at)
                VALUES ('user-old', 'old', 'Old Admin', 'administrator', 'x', 1, '2026-01-01T00:00:00.000Z')
                """
            ).run()
        }
        try await old.close()
        let store = OpenStores.shared.keep(try await GMPStore.open(location, passwordIterations: 1000))
        #expect(try await store.verifyAudit().isEmpty)
        let seals = try await store.unauditedTransaction { db in
            try await db.raw("SELECT COUNT(*) AS n FROM audit WHERE action = 'seal'").first()?.decode(column: "n", as: Int.self)
        }
        #expect(seals == 2)
        try await store.unauditedTransaction { db in
            try await db.raw("UPDATE material_items SET unit = 'mL' WHERE code = 'MEDIUM'").run()
        }
        #expect(try await store.verifyAudit() == ["material_items row MEDIUM was edited behind the application's back: it differs from its seal"])
    }
}
