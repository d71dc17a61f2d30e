import Bioprocess
import Foundation
import Manufacturing
import PostgresKit
import SQLKit
import Testing

@testable import Store

/// QC against the recipe's specifications: release panels for the drug substance and the drug
/// product, in-process specifications, and schema upgrades that keep old records.
struct QCSpecificationStoreTests {
    @Test(arguments: Backend.available)
    func releaseSamplesTakeTheRecipesSpecificationAndNoOther(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let titer = try #require(r.recipe.recipe.releaseTests.first { $0.test == "vg titer (ddPCR)" && $0.panel == .drugSubstance })
        let sample = try await s.createSample(
            r.staff.analyst, batch: r.batch.id, materialLot: nil, test: titer.test, panel: .drugSubstance)
        #expect(sample.specification == titer.specification)
        #expect(sample.panel == .drugSubstance)
        // Sending the recipe's own specification is accepted; another one is refused.
        let same = try await s.createSample(
            r.staff.analyst, batch: r.batch.id, materialLot: nil, test: titer.test, panel: .drugSubstance,
            specification: titer.specification)
        #expect(same.specification == titer.specification)
        let before = try await s.batchRecord(r.staff.qa, batch: r.batch.id)
        let looser = await refused {
            _ = try await s.createSample(
                r.staff.analyst, batch: r.batch.id, materialLot: nil, test: titer.test, panel: .drugSubstance, specification: .range(low: 1, high: nil, unit: "vg/mL"))
        }
        #expect(looser?.kind == .invalid)
        #expect(looser?.message.contains("specified by the approved recipe") == true)
        // A test the panel does not have, a panel on a material lot.
        let unknown = await refused {
            _ = try await s.createSample(r.staff.analyst, batch: r.batch.id, materialLot: nil, test: "Sterility", panel: .drugSubstance)
        }
        #expect(unknown?.details.first?.contains("vg titer (ddPCR)") == true)
        #expect(
            await refused {
                _ = try await s.createSample(r.staff.analyst, batch: nil, materialLot: r.lots["MEDIUM"]!.id, test: "pH", panel: .drugProduct)
            }?.kind == .invalid)
        // A range and a criterion at once is no specification (the API's four fields).
        guard case .failure(let both) = QCSpecification.from(low: 1, high: 2, unit: "CFU", criterion: "none") else {
            Issue.record("a range with a criterion was accepted")
            return
        }
        #expect(both.problems == ["a specification is a range or a pass/fail criterion, not both"])
        let after = try await s.batchRecord(r.staff.qa, batch: r.batch.id)
        #expect(after.samples == before.samples)
        #expect(after.audit.count == before.audit.count)

        // A drug-substance titer under its specification: out of specification, an investigation,
        // and the release check names the panel, the test and its specification.
        let low = try #require(titer.specification.low)
        let (result, deviation) = try await s.recordResult(r.staff.analyst, sample: sample.id, value: low / 2, pass: nil)
        #expect(!result.pass)
        #expect(deviation?.kind == .oos)
        #expect(deviation?.description.contains(titer.specification.text) == true)
        let blockers = try await s.releaseCheck(r.staff.qa, batch: r.batch.id)
        #expect(blockers.contains("drug substance release test 'vg titer (ddPCR)' (\(titer.specification.text)) has not passed"))
        // The drug-product titer is another test: still unsampled.
        #expect(blockers.contains { $0.hasPrefix("drug product release test 'vg titer (ddPCR)'") && $0.hasSuffix("has no sample") })
        // A pass/fail test: a value is refused, pass or fail is not.
        let sterility = try await s.createSample(
            r.staff.analyst, batch: r.batch.id, materialLot: nil, test: "Sterility (Ph. Eur. 2.6.1)", panel: .drugProduct)
        #expect(sterility.specification?.criterion == "no growth")
        #expect(await refused { _ = try await s.recordResult(r.staff.analyst, sample: sterility.id, value: 0, pass: nil) }?.kind == .invalid)
        #expect(try await s.recordResult(r.staff.analyst, sample: sterility.id, value: nil, pass: true).result.pass)
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func anInProcessSampleTheRecipeSpecifiesIsJudgedAgainstIt(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        var recipe = try seedRecipe()
        // Give the affinity-capture titer a specification.
        let spec = QCSpecification.range(low: 1e12, high: nil, unit: "vg/mL")
        var found = false
        for u in recipe.unitProcedures.indices {
            for o in recipe.unitProcedures[u].operations.indices {
                for p in recipe.unitProcedures[u].operations[o].phases.indices {
                    for i in recipe.unitProcedures[u].operations[o].phases[p].samples.indices
                    where recipe.unitProcedures[u].operations[o].phases[p].samples[i].test == "vg titer" {
                        recipe.unitProcedures[u].operations[o].phases[p].samples[i].specification = spec
                        found = true
                    }
                }
            }
        }
        #expect(found)
        let draft = try await s.createRecipe(staff.supervisor, recipe)
        let approved = try await s.approveRecipe(staff.qa, id: draft.id, password: password)
        let batch = try await s.createBatch(staff.supervisor, recipeID: approved.id)
        let sample = try await s.createSample(staff.operatorUser, batch: batch.id, materialLot: nil, test: "vg titer")
        #expect(sample.specification == spec)
        #expect(sample.panel == nil)
        let (_, deviation) = try await s.recordResult(staff.analyst, sample: sample.id, value: 5e11, pass: nil)
        #expect(deviation?.kind == .oos)
        // A test the recipe does not specify keeps the client's specification.
        let adHoc = try await s.createSample(staff.operatorUser, batch: batch.id, materialLot: nil, test: "Osmolality", specification: .range(low: 260, high: 340, unit: "mOsm/kg"))
        #expect(adHoc.specification == QCSpecification.range(low: 260, high: 340, unit: "mOsm/kg"))
    }

    /// A database made by the first schema version is upgraded in place and keeps its records.
    @Test(arguments: Backend.available)
    func migrationsUpgradeAnOlderDatabaseAndKeepItsRecords(backend: Backend) async throws {
        let location = try await freshLocation(backend)
        let old = try await Connection.open(location, logger: .init(label: "test"))
        #expect(try await Migrations.migrate(old, at: "2026-01-01T00:00:00.000Z", upTo: 1) == ["1: GMP records and audit trail"])
        try await old.transaction { db in
            try await db.raw(
                """
                INSERT INTO samples (id, batch_id, material_lot, test, low, high, unit, status, created_by, created_at)
                VALUES ('sample-old', NULL, NULL, 'Endotoxin', NULL, 5, 'EU/mL', 'pending', 'someone', '2026-01-01T00:00:00.000Z')
                """
            ).run()
        }
        try await old.close()
        let store = OpenStores.shared.keep(try await GMPStore.open(location, passwordIterations: 1000))
        let versions = try await store.unauditedTransaction { db in
            try await db.raw("SELECT version FROM schema_migrations ORDER BY version").all().map { try $0.decode(column: "version", as: Int.self) }
        }
        #expect(versions == Migrations.all.map(\.version))
        #expect(versions.count >= 2)
        let sample = try await store.unauditedTransaction { db in
            try GMPStore.sample(try #require(try await db.raw("SELECT * FROM samples WHERE id = 'sample-old'").first()))
        }
        #expect(sample.test == "Endotoxin" && sample.specification == .range(low: nil, high: 5, unit: "EU/mL") && sample.panel == nil)
        #expect(try await store.migrate().isEmpty)
    }
}

/// Results as a QC analyst and QA expect them: physically possible, repeats with a reason that
/// keep the first result.
struct ResultRuleStoreTests {
    @Test(arguments: Backend.available)
    func aNegativeEndotoxinIsRefusedAndARepeatNeedsAReasonAndKeepsTheFirst(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let sample = try await s.createSample(
            r.staff.analyst, batch: r.batch.id, materialLot: nil, test: "Endotoxin", panel: .drugProduct)
        let before = try await s.auditCount()
        let negative = await refused { _ = try await s.recordResult(r.staff.analyst, sample: sample.id, value: -3, pass: nil) }
        #expect(negative?.kind == .invalid)
        #expect(negative?.message.contains("cannot be below zero") == true)
        #expect(try await s.auditCount() == before)
        // Out of specification first: an OOS deviation opens.
        let first = try await s.recordResult(r.staff.analyst, sample: sample.id, value: 9, pass: nil)
        #expect(first.deviation?.kind == .oos)
        // Testing again until it passes needs a reason, and keeps the first result.
        let noReason = await refused { _ = try await s.recordResult(r.staff.analyst, sample: sample.id, value: 2, pass: nil) }
        #expect(noReason?.message.contains("a repeat needs a reason") == true)
        _ = try await s.recordResult(r.staff.analyst, sample: sample.id, value: 2, pass: nil, reason: "retest after the OOS investigation")
        let record = try await s.batchRecord(r.staff.qa, batch: r.batch.id)
        let results = record.results.filter { $0.sampleID == sample.id }
        #expect(results.map(\.value) == [9, 2])
        let trail = try await s.auditTrail(r.staff.qa, entity: "sample", id: sample.id)
        #expect(trail.contains { $0.action == .repeatResult && $0.reason == "retest after the OOS investigation" })
        #expect(try await s.verifyAudit().isEmpty)
    }
}

struct MaterialRuleStoreTests {
    @Test(arguments: Backend.available)
    func aLotThatExpiredIsNeverReleased(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        _ = try await s.defineItem(staff.supervisor, code: "MEDIUM", name: "medium", unit: "L")
        let lot = try await s.receiveLot(staff.operatorUser, item: "MEDIUM", supplier: "S", supplierLot: "2019-7", quantity: 10, expiry: "2020-01-01")
        let sample = try await s.createSample(staff.analyst, batch: nil, materialLot: lot.id, test: "Identity")
        _ = try await s.recordResult(staff.analyst, sample: sample.id, value: nil, pass: true)
        let before = try await s.auditCount()
        let refusal = await refused { _ = try await s.decideLot(staff.qa, id: lot.id, release: true, reason: "tests passed", password: password) }
        #expect(refusal?.kind == .conflict)
        #expect(refusal?.message.contains("expired on 2020-01-01") == true, "\(refusal?.message ?? "")")
        #expect(try await s.auditCount() == before)
        // Rejecting it stays possible.
        #expect(try await s.decideLot(staff.qa, id: lot.id, release: false, reason: "expired", password: password).status == .rejected)
    }
}

/// After release, nothing changes quietly: a result or a deviation puts the batch back on
/// hold, and a recalled material lot opens a deviation on every batch that used it.
struct AfterReleaseTests {
    func released(_ backend: Backend) async throws -> Running {
        let r = try await Running.make(backend)
        for phase in r.recipe.recipe.phases { try await r.execute(phase) }
        try await r.passReleasePanel()
        #expect(try await r.staff.store.releaseBatch(r.staff.qa, batch: r.batch.id, password: password).status == .released)
        return r
    }

    @Test(arguments: Backend.available)
    func aResultAfterReleasePutsTheBatchOnHoldUntilQAReleasesItAgain(backend: Backend) async throws {
        let r = try await released(backend)
        let s = r.staff.store
        let sample = try await s.createSample(
            r.staff.analyst, batch: r.batch.id, materialLot: nil, test: "Osmolality", specification: .range(low: 260, high: 340, unit: "mOsm/kg"))
        _ = try await s.recordResult(r.staff.analyst, sample: sample.id, value: 300, pass: nil)
        #expect(try await s.batch(r.staff.qa, id: r.batch.id).batch.status == .onHold)
        let trail = try await s.auditTrail(r.staff.qa, entity: "batch", id: r.batch.id)
        #expect(trail.contains { $0.action == .hold && $0.reason == "a QC result was entered after release" })
        #expect(try await s.releaseCheck(r.staff.qa, batch: r.batch.id).isEmpty)
        #expect(try await s.releaseBatch(r.staff.qa, batch: r.batch.id, password: password).status == .released)
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func aRecalledLotOpensADeviationOnEveryBatchThatUsedIt(backend: Backend) async throws {
        let r = try await released(backend)
        let s = r.staff.store
        let lot = try #require(r.lots["CELL-BANK"])
        let recalled = try await s.decideLot(r.staff.qa, id: lot.id, release: false, reason: "supplier recall 2026-11", password: password)
        #expect(recalled.status == .rejected)
        #expect(try await s.batch(r.staff.qa, id: r.batch.id).batch.status == .onHold)
        let deviations = try await s.deviations(r.staff.qa, batch: r.batch.id)
        #expect(deviations.contains { $0.kind == .recall && $0.description.contains(lot.id) && $0.status == .open })
        let blockers = try await s.releaseCheck(r.staff.qa, batch: r.batch.id)
        #expect(blockers.contains { $0.contains("recalled") }, "\(blockers)")
        // A recalled lot is used no more.
        #expect(try await s.lots(r.staff.qa).first { $0.id == lot.id }?.status == .rejected)
        #expect(try await s.verifyAudit().isEmpty)
    }
}

/// A recall reaches batches still being made, and a lot past its retest date waits for its retest.
struct RecallAndRetestTests {
    @Test(arguments: Backend.available)
    func aRecallPutsABatchInProgressOnHoldUntilQALiftsIt(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let phases = r.recipe.recipe.phases
        let firstWithMaterial = try #require(phases.firstIndex { $0.materials.contains { $0.quantity > 0 } })
        for phase in phases[...firstWithMaterial] { try await r.execute(phase) }
        let item = try #require(phases[firstWithMaterial].materials.first { $0.quantity > 0 }?.item)
        let lot = try #require(r.lots[item])
        _ = try await s.decideLot(r.staff.qa, id: lot.id, release: false, reason: "supplier notice SN-12", password: password)
        #expect(try await s.batch(r.staff.qa, id: r.batch.id).batch.status == .onHold)
        // Nothing more is recorded on a held batch.
        let next = phases[firstWithMaterial + 1]
        let onHold = await refused { try await r.execute(next) }
        #expect(onHold?.message.contains("is on hold") == true, "\(onHold?.description ?? "executed")")
        // Lifting the hold needs QA, a reason and a signature; the recall deviation still blocks release.
        #expect(await refused { _ = try await s.resumeBatch(r.staff.supervisor, batch: r.batch.id, reason: "x", password: password) }?.kind == .forbidden)
        let resumed = try await s.resumeBatch(r.staff.qa, batch: r.batch.id, reason: "assessed: lot quarantined, batch continues under DEV", password: password)
        #expect(resumed.status == .inProgress)
        try await r.execute(next)
        #expect(try await s.releaseCheck(r.staff.qa, batch: r.batch.id).contains { $0.contains("recall") })
        let trail = try await s.auditTrail(r.staff.qa, entity: "batch", id: r.batch.id)
        #expect(trail.contains { $0.action == .hold && $0.newValue == "on-hold" && $0.reason == "material lot \(lot.id) was recalled" })
        #expect(trail.contains { $0.action == .resume && $0.reason?.contains("assessed") == true })
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func aLotPastItsRetestDateIsNotUsedUntilQASetsANewOneAfterAPassingRetest(backend: Backend) async throws {
        let clock = TestClock()
        let r = try await Running.make(backend, clock: clock)
        let s = r.staff.store
        let phase = try #require(r.recipe.recipe.phases.first { $0.materials.contains { $0.quantity > 0 } })
        let item = try #require(phase.materials.first { $0.quantity > 0 }?.item)
        // A lot whose retest falls due in ten days (the test clock stands at 2026-09-21).
        let lot = try await s.receiveLot(
            r.staff.operatorUser, item: item, supplier: "Supplier", supplierLot: "RT-1", quantity: 1e6, expiry: "2030-01-01", retest: "2026-10-01")
        let sample = try await s.createSample(r.staff.analyst, batch: nil, materialLot: lot.id, test: "Identity")
        _ = try await s.recordResult(r.staff.analyst, sample: sample.id, value: nil, pass: true)
        _ = try await s.decideLot(r.staff.qa, id: lot.id, release: true, reason: "tests passed", password: password)
        #expect(await refused { _ = try await s.receiveLot(r.staff.operatorUser, item: item, supplier: "S", supplierLot: "RT-2", quantity: 1, expiry: "2027-01-01", retest: "2028-01-01") }?.kind == .invalid)
        clock.advance(20 * 86_400)  // 2026-10-11: past the retest date
        for earlier in r.recipe.recipe.phases.prefix { $0.id != phase.id } { try await r.execute(earlier) }
        let late = await refused {
            _ = try await s.consumeMaterial(r.staff.operatorUser, batch: r.batch.id, phase: phase.id, lot: lot.id, quantity: 1)
        }
        #expect(late?.message.contains("due for retest on 2026-10-01") == true, "\(late?.description ?? "consumed")")
        // A new date needs a passing result since the retest came due.
        let noRetest = await refused { _ = try await s.setRetest(r.staff.qa, lot: lot.id, until: "2027-04-01", reason: "retested", password: password) }
        #expect(noRetest?.message.contains("no passing result since") == true, "\(noRetest?.description ?? "set")")
        let retest = try await s.createSample(r.staff.analyst, batch: nil, materialLot: lot.id, test: "Identity (retest)")
        _ = try await s.recordResult(r.staff.analyst, sample: retest.id, value: nil, pass: true)
        #expect(try await s.setRetest(r.staff.qa, lot: lot.id, until: "2027-04-01", reason: "retest passed", password: password).retest == "2027-04-01")
        _ = try await s.consumeMaterial(r.staff.operatorUser, batch: r.batch.id, phase: phase.id, lot: lot.id, quantity: 1)
        #expect(try await s.verifyAudit().isEmpty)
    }
}
