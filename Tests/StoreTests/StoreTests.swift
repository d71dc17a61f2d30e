import Bioprocess
import Foundation
import Manufacturing
import Monitoring
import SQLKit
import Testing

@testable import Store

/// The same tests on SQLite and PostgreSQL.
struct AuthenticationTests {
    @Test(arguments: Backend.available)
    func usersSignInSessionsExpireAndWrongPasswordsFail(backend: Backend) async throws {
        let clock = TestClock()
        let staff = try await Staff.make(backend, clock: clock)
        let s = staff.store
        let (token, user) = try await s.login(username: "olga", password: password)
        #expect(user.role == .operator)
        #expect(try await s.user(forToken: token) == user)
        #expect(await refused { _ = try await s.login(username: "olga", password: "wrong password!!") }?.kind == .unauthenticated)
        #expect(await refused { _ = try await s.login(username: "nobody", password: password) }?.message == "wrong username or password")
        clock.advance(GMPStore.sessionLength + 1)
        #expect(await refused { _ = try await s.user(forToken: token) }?.kind == .unauthenticated)
        // Passwords are stored salted and slow-hashed, never as written.
        let stored = try await s.connection.read { db in
            try await db.raw("SELECT password_hash FROM users WHERE username = 'olga'").first()!.decode(column: "password_hash", as: String.self)
        }
        #expect(stored.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(!stored.contains(password))
        // A second bootstrap is refused; weak passwords and bad usernames too.
        #expect(await refused { _ = try await s.bootstrap(username: "eve", fullName: "Eve", password: password) }?.kind == .conflict)
        #expect(await refused { _ = try await s.createUser(by: staff.admin, username: "x", fullName: "X", role: .qa, password: "short") }?.kind == .invalid)
        #expect(await refused { _ = try await s.createUser(by: staff.admin, username: "Robert'); DROP", fullName: "B", role: .qa, password: password) }?.kind == .invalid)
        // Disabled accounts cannot sign in.
        try await s.setActive(by: staff.admin, userID: staff.operatorUser.id, active: false, reason: "left the company")
        #expect(await refused { _ = try await s.login(username: "olga", password: password) }?.kind == .unauthenticated)
    }

    @Test(arguments: Backend.available)
    func failedSignInsInARowLockTheAccountUntilAnAdministratorReactivatesIt(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        let limit = GMPStore.maxFailedLogins
        func fail(_ n: Int) async {
            for _ in 0..<n { _ = await refused { _ = try await s.login(username: "quinn", password: "guessing guessing") } }
        }
        // A success in between starts the count again.
        await fail(limit - 1)
        _ = try await s.login(username: "quinn", password: password)
        await fail(limit - 1)
        _ = try await s.login(username: "quinn", password: password)
        // Then `limit` failures in a row: locked, even with the right password.
        await fail(limit)
        let locked = await refused { _ = try await s.login(username: "quinn", password: password) }
        #expect(locked?.message.contains("disabled") == true)
        let trail = try await s.auditTrail(staff.admin, entity: "user", id: staff.analyst.id)
        // Only wrong passwords count: the right one on a disabled account is refused, not counted.
        #expect(trail.filter { $0.action == .loginFailed }.count == 3 * limit - 2)
        #expect(trail.contains { $0.field == "active" && $0.newValue == "false" && $0.reason == "\(limit) failed authentications in a row (passwords or codes)" })
        try await s.setActive(by: staff.admin, userID: staff.analyst.id, active: true, reason: "identity checked by phone")
        _ = try await s.login(username: "quinn", password: password)
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func aPasswordChangeEndsEverySessionAndOnlyTheNewPasswordSigns(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        let (first, sam) = try await s.login(username: "sam", password: password)
        let (second, _) = try await s.login(username: "sam", password: password)
        let renewed = "a much longer passphrase"
        // The current password is required; the new one must be acceptable and different.
        #expect(await refused { try await s.changePassword(sam, current: "not my password", new: renewed) }?.kind == .unauthenticated)
        #expect(await refused { try await s.changePassword(sam, current: password, new: "short") }?.kind == .invalid)
        #expect(await refused { try await s.changePassword(sam, current: password, new: password) }?.kind == .invalid)
        #expect(try await s.user(forToken: first) == sam)
        try await s.changePassword(sam, current: password, new: renewed)
        for token in [first, second] {
            #expect(await refused { _ = try await s.user(forToken: token) }?.kind == .unauthenticated)
        }
        #expect(await refused { _ = try await s.login(username: "sam", password: password) }?.kind == .unauthenticated)
        let (_, again) = try await s.login(username: "sam", password: renewed)
        // Signatures take the new password.
        #expect(await refused { try await s.verifyPhase(again, batch: "B-none", phase: "1.1.1", password: password) } != nil)
        // An administrator resets a forgotten password, with a reason; nobody else may.
        #expect(await refused { try await s.resetPassword(by: staff.qa, userID: sam.id, new: renewed + "!", reason: "forgot") }?.kind == .forbidden)
        #expect(await refused { try await s.resetPassword(by: staff.admin, userID: sam.id, new: renewed + "!", reason: "") }?.kind == .invalid)
        try await s.resetPassword(by: staff.admin, userID: sam.id, new: "reset by the administrator", reason: "forgotten")
        #expect(await refused { _ = try await s.login(username: "sam", password: renewed) }?.kind == .unauthenticated)
        _ = try await s.login(username: "sam", password: "reset by the administrator")
        let audit = try await s.auditTrail(staff.qa, entity: "user").filter { $0.field == "password" }
        #expect(audit.count == 2)
        #expect(audit.allSatisfy { $0.newValue == nil && $0.oldValue == nil })
        #expect(try await s.verifyAudit().isEmpty)
    }
}

struct BatchLifecycleTests {
    @Test(arguments: Backend.available)
    func aBatchIsMadeTestedAndReleasedOnlyWhenEverythingIsThere(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let phases = r.recipe.recipe.phases
        // Nothing done yet: the refusal lists every missing phase and test.
        let early = await refused { _ = try await s.releaseBatch(r.staff.qa, batch: r.batch.id, password: password) }
        #expect(early?.kind == .conflict)
        let tests = r.recipe.recipe.releaseTests
        #expect(early!.details.count == phases.count + tests.count)
        for phase in phases { try await r.execute(phase, verify: false) }
        #expect(try await s.batch(r.staff.qa, id: r.batch.id).batch.status == .complete)
        // Complete is not enough: a second person verifies each phase.
        var blockers = try await s.releaseCheck(r.staff.qa, batch: r.batch.id)
        #expect(blockers.filter { $0.hasSuffix("is not verified") }.count == phases.count)
        for phase in phases {
            try await s.verifyPhase(r.staff.supervisor, batch: r.batch.id, phase: phase.id, password: password)
        }
        #expect(await refused { try await s.verifyPhase(r.staff.supervisor, batch: r.batch.id, phase: phases[0].id, password: password) }?.kind == .conflict)
        // Both panels, each test with the recipe's specification.
        #expect(Set(tests.map(\.panel)) == [.drugSubstance, .drugProduct])
        blockers = try await s.releaseCheck(r.staff.qa, batch: r.batch.id)
        #expect(blockers == tests.map { "\($0.panel.title) release test '\($0.test)' (\($0.specification.text)) has no sample" })
        try await r.passReleasePanel()
        // Only QA releases; with a signature.
        #expect(await refused { _ = try await s.releaseBatch(r.staff.supervisor, batch: r.batch.id, password: password) }?.kind == .forbidden)
        #expect(await refused { _ = try await s.releaseBatch(r.staff.qa, batch: r.batch.id, password: "not my password") }?.kind == .unauthenticated)
        let released = try await s.releaseBatch(r.staff.qa, batch: r.batch.id, password: password)
        #expect(released.status == .released)
        let signatures = try await s.signatures(r.staff.qa, entity: "batch", id: r.batch.id)
        #expect(signatures.map(\.meaning) == [.released])
        #expect(signatures.first?.fullName == "Alex QA")
        #expect(try await s.verifyAudit().isEmpty)
        let record = try await s.batchRecord(r.staff.qa, batch: r.batch.id)
        #expect(record.signatures.filter { $0.meaning == .performed }.count == phases.count)
        #expect(record.releaseBlockers == ["the batch is already released"])
    }

    @Test(arguments: Backend.available)
    func phasesRunInOrderOnceEachAndCorrectionsKeepTheOriginal(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let phases = r.recipe.recipe.phases
        let second = phases[1]
        // No step may be skipped.
        let skip = await refused {
            _ = try await s.recordValue(r.staff.operatorUser, batch: r.batch.id, phase: second.id, parameter: second.parameters[0].name, value: 1)
        }
        #expect(skip?.message.contains("cannot start before phase \(phases[0].id)") == true)
        let first = phases[0]
        let p = first.parameters[0]
        let (entry, _) = try await s.recordValue(r.staff.operatorUser, batch: r.batch.id, phase: first.id, parameter: p.name, value: p.target)
        // Nor recorded twice.
        #expect(await refused { _ = try await s.recordValue(r.staff.operatorUser, batch: r.batch.id, phase: first.id, parameter: p.name, value: p.target) }?.kind == .conflict)
        // A correction needs a reason and is a new entry pointing at the old one.
        #expect(await refused { _ = try await s.correctEntry(r.staff.operatorUser, entry: entry.id, value: p.target - 1, reason: " ") }?.kind == .invalid)
        let (fixed, _) = try await s.correctEntry(r.staff.operatorUser, entry: entry.id, value: p.target - 1, reason: "transcription error")
        #expect(fixed.corrects == entry.id)
        let entries = try await s.batch(r.staff.operatorUser, id: r.batch.id).entries
        #expect(entries.contains(entry))
        #expect(entries.contains(fixed))
        // Unknown parameters and non-finite values are refused.
        #expect(await refused { _ = try await s.recordValue(r.staff.operatorUser, batch: r.batch.id, phase: first.id, parameter: "pH", value: 7) }?.kind == .invalid)
        #expect(await refused { _ = try await s.recordValue(r.staff.operatorUser, batch: r.batch.id, phase: first.id, parameter: p.name, value: .nan) }?.kind == .invalid)
        // A phase cannot complete with its material unconsumed.
        let incomplete = await refused { _ = try await s.completePhase(r.staff.operatorUser, batch: r.batch.id, phase: first.id, password: password) }
        #expect(incomplete?.details == ["no lot of CELL-BANK is consumed"])
    }

    @Test(arguments: Backend.available)
    func anOutOfRangeValueOpensADeviationThatBlocksReleaseUntilClosed(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let phases = r.recipe.recipe.phases
        let first = phases[0]
        let p = first.parameters[0]
        let (_, deviation) = try await s.recordValue(r.staff.operatorUser, batch: r.batch.id, phase: first.id, parameter: p.name, value: p.low - 5)
        let d = try #require(deviation)
        #expect(d.status == .open)
        _ = try await s.consumeMaterial(r.staff.operatorUser, batch: r.batch.id, phase: first.id, lot: r.lots["CELL-BANK"]!.id, quantity: 1)
        _ = try await s.completePhase(r.staff.operatorUser, batch: r.batch.id, phase: first.id, password: password)
        try await s.verifyPhase(r.staff.supervisor, batch: r.batch.id, phase: first.id, password: password)
        for phase in phases.dropFirst() { try await r.execute(phase) }
        try await r.passReleasePanel()
        let blocked = await refused { _ = try await s.releaseBatch(r.staff.qa, batch: r.batch.id, password: password) }
        #expect(blocked?.details == ["deviation \(d.id) is open, not closed (\(d.kind): \(d.description))"])
        // The lifecycle, one signed step at a time; only QA closes.
        #expect(await refused { _ = try await s.advanceDeviation(r.staff.supervisor, id: d.id, to: .closed, note: "done", password: password) }?.kind == .forbidden)
        #expect(await refused { _ = try await s.advanceDeviation(r.staff.supervisor, id: d.id, to: .capa, note: "skip", password: password) }?.kind == .conflict)
        _ = try await s.advanceDeviation(r.staff.supervisor, id: d.id, to: .investigation, note: "thaw log reviewed", password: password)
        _ = try await s.investigateDeviation(r.staff.supervisor, id: d.id, classification: .minor, rootCause: "thaw bath set point", reason: "")
        _ = try await s.advanceDeviation(r.staff.qa, id: d.id, to: .capa, note: "retrain on thaw SOP", password: password)
        _ = try await s.advanceDeviation(r.staff.qa, id: d.id, to: .closed, note: "no impact on quality", password: password)
        #expect(try await s.releaseBatch(r.staff.qa, batch: r.batch.id, password: password).status == .released)
        #expect(try await s.signatures(r.staff.qa, entity: "deviation", id: d.id).count == 3)
    }

    @Test(arguments: Backend.available)
    func onlyReleasedUnexpiredLotsOfTheRightItemAreConsumed(backend: Backend) async throws {
        let clock = TestClock()
        let r = try await Running.make(backend, clock: clock)
        let s = r.staff.store
        let first = r.recipe.recipe.phases[0]
        let quarantined = try await s.receiveLot(r.staff.operatorUser, item: "CELL-BANK", supplier: "Bank", supplierLot: "WCB-2", quantity: 10, expiry: "2030-01-01")
        #expect(await refused { _ = try await s.consumeMaterial(r.staff.operatorUser, batch: r.batch.id, phase: first.id, lot: quarantined.id, quantity: 1) }?.message.contains("quarantine") == true)
        #expect(await refused { _ = try await s.consumeMaterial(r.staff.operatorUser, batch: r.batch.id, phase: first.id, lot: r.lots["PLASMID"]!.id, quantity: 1) }?.message.contains("does not call for PLASMID") == true)
        #expect(await refused { _ = try await s.consumeMaterial(r.staff.operatorUser, batch: r.batch.id, phase: first.id, lot: r.lots["CELL-BANK"]!.id, quantity: 2e9) }?.message.contains("less than") == true)
        // A released lot that expires.
        let soon = try await s.receiveLot(r.staff.operatorUser, item: "CELL-BANK", supplier: "Bank", supplierLot: "WCB-3", quantity: 10, expiry: "2026-09-22")
        let sample = try await s.createSample(r.staff.analyst, batch: nil, materialLot: soon.id, test: "Identity")
        _ = try await s.recordResult(r.staff.analyst, sample: sample.id, value: nil, pass: true)
        _ = try await s.decideLot(r.staff.qa, id: soon.id, release: true, reason: "passed", password: password)
        clock.advance(3 * 86_400)
        #expect(await refused { _ = try await s.consumeMaterial(r.staff.operatorUser, batch: r.batch.id, phase: first.id, lot: soon.id, quantity: 1) }?.message.contains("expired on 2026-09-22") == true)
        // QA cannot release an untested lot.
        let untested = try await s.receiveLot(r.staff.operatorUser, item: "MEDIUM", supplier: "M", supplierLot: "M-9", quantity: 100, expiry: "2030-01-01")
        #expect(await refused { _ = try await s.decideLot(r.staff.qa, id: untested.id, release: true, reason: "ok", password: password) }?.message.contains("not been sampled") == true)
        #expect(await refused { _ = try await s.receiveLot(r.staff.operatorUser, item: "MEDIUM", supplier: "M", supplierLot: "M-10", quantity: -1, expiry: "2030-01-01") }?.kind == .invalid)
        #expect(await refused { _ = try await s.receiveLot(r.staff.operatorUser, item: "MEDIUM", supplier: "M", supplierLot: "M-10", quantity: 1, expiry: "2030-02-30") }?.kind == .invalid)
    }

    @Test(arguments: Backend.available)
    func anOutOfSpecificationResultOpensAnInvestigation(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let sample = try await s.createSample(r.staff.operator, batch: r.batch.id, materialLot: nil, test: "Endotoxin", specification: .range(low: 0, high: 10, unit: "EU/mL"))
        #expect(await refused { _ = try await s.recordResult(r.staff.operatorUser, sample: sample.id, value: 1, pass: nil) }?.kind == .forbidden)
        #expect(await refused { _ = try await s.recordResult(r.staff.analyst, sample: sample.id, value: nil, pass: true) }?.kind == .invalid)
        let (result, deviation) = try await s.recordResult(r.staff.analyst, sample: sample.id, value: 25, pass: nil)
        #expect(!result.pass)
        #expect(deviation?.kind == .oos)
        #expect(await refused { _ = try await s.createSample(r.staff.analyst, batch: r.batch.id, materialLot: nil, test: "Titer", specification: .range(low: 5, high: 1, unit: "vg/mL")) }?.kind == .invalid)
    }

    /// A status written behind the application's back is an error when read, never a guess.
    @Test(arguments: Backend.available)
    func anUnknownStoredStatusIsAnErrorNotADefault(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let id = r.batch.id
        try await s.unauditedTransaction { db in try await db.raw("UPDATE batches SET status = 'shipped' WHERE id = \(bind: id)").run() }
        await #expect(throws: StoreIntegrityError.self) { _ = try await s.batch(r.staff.qa, id: id) }
    }
}

extension Staff {
    var `operator`: User { operatorUser }
}

struct GenealogyAndAuditTests {
    @Test(arguments: Backend.available)
    func genealogyGoesBackToLotsAndForwardToBatches(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        for phase in r.recipe.recipe.phases { try await r.execute(phase) }
        let back = try await s.genealogy(r.staff.qa, batch: r.batch.id)
        #expect(Set(back.consumptions.map(\.lot)) == Set(r.lots.values.map(\.id)))
        #expect(back.phasesCompleted.count == r.recipe.recipe.phases.count)
        #expect(!back.equipment.isEmpty)
        // The recall question: a plasmid lot → every batch that used it.
        let second = try await s.createBatch(r.staff.supervisor, recipeID: r.recipe.id)
        let forward = try await s.whereUsed(r.staff.qa, lot: r.lots["PLASMID"]!.id)
        #expect(forward.consumptions.map(\.batch) == [r.batch.id])
        #expect(second.id != r.batch.id)
    }

    @Test(arguments: Backend.available)
    func theAuditChainFindsRecordsEditedOrDeletedBehindItsBack(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        #expect(try await s.verifyAudit().isEmpty)
        let count = try await s.auditCount()
        #expect(count > 20)
        // Edit one entry's new value directly in the database.
        try await s.connection.transaction { db in
            try await db.raw("UPDATE audit SET new_value = 'released' WHERE sequence = 5").run()
        }
        let edited = try await s.verifyAudit()
        #expect(edited.contains { $0.hasPrefix("entry 5 ") && $0.contains("was edited") })
        // Delete one.
        try await s.connection.transaction { db in try await db.raw("DELETE FROM audit WHERE sequence = 9").run() }
        let deleted = try await s.verifyAudit()
        #expect(deleted.contains("entries 9–9 are missing (deleted)"))
        // An action no version writes is named, not a failure of the check.
        try await s.unauditedTransaction { db in try await db.raw("UPDATE audit SET action = 'erase' WHERE sequence = 12").run() }
        let odd = try await s.verifyAudit()
        #expect(odd.contains { $0.hasPrefix("entry 12 was edited") && $0.contains("erase") }, "\(odd)")
        // Every entry has who, when, what and why fields.
        let trail = try await s.auditTrail(r.staff.qa, entity: "batch", id: r.batch.id)
        #expect(trail.first?.action == .create)
        #expect(trail.allSatisfy { !$0.userID.isEmpty && !$0.at.isEmpty })
    }

    @Test(arguments: Backend.available)
    func aRefusedChangeChangesNothing(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let before = try await s.auditCount()
        let lotsBefore = try await s.lots(r.staff.qa)
        _ = await refused { _ = try await s.consumeMaterial(r.staff.operatorUser, batch: r.batch.id, phase: "9.9.9", lot: r.lots["MEDIUM"]!.id, quantity: 1) }
        _ = await refused { _ = try await s.releaseBatch(r.staff.qa, batch: r.batch.id, password: password) }
        _ = await refused { _ = try await s.approveRecipe(r.staff.qa, id: r.recipe.id, password: password) }
        // A signature with a wrong password after part of the work: the transaction rolls back.
        let first = r.recipe.recipe.phases[0]
        _ = try await s.recordValue(r.staff.operatorUser, batch: r.batch.id, phase: first.id, parameter: first.parameters[0].name, value: first.parameters[0].target)
        _ = try await s.consumeMaterial(r.staff.operatorUser, batch: r.batch.id, phase: first.id, lot: r.lots["CELL-BANK"]!.id, quantity: 1)
        let middle = try await s.auditCount()
        _ = await refused { _ = try await s.completePhase(r.staff.operatorUser, batch: r.batch.id, phase: first.id, password: "wrong password!!") }
        // Nothing of the phase is written; the wrong password itself is counted toward lock-out
        // (its audit entry and the seal of the user's row).
        #expect(try await s.auditCount() == middle + 2)
        let counted = try await s.auditTrail(r.staff.admin, entity: "user", id: r.staff.operatorUser.id)
        #expect(counted.last?.action == .loginFailed)
        // The value and the consumption: one audit entry each and the seals of the rows they
        // wrote (the value's entry; the consumption's entry and the lot's remaining quantity),
        // nothing from the refusals.
        #expect(middle == before + 5)
        #expect(Set(try await s.lots(r.staff.qa).map(\.id)) == Set(lotsBefore.map(\.id)))
        #expect(try await s.batch(r.staff.qa, id: r.batch.id).entries.count == 2)
    }
}

/// The whole role × action matrix: every role tries every action; the store allows exactly what
/// `Permissions` says, and refuses the rest as forbidden.
struct PermissionMatrixTests {
    @Test(arguments: Backend.available)
    func everyRoleCanDoOnlyWhatItMay(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let first = r.recipe.recipe.phases[0]
        for role in Role.allCases {
            let u = r.staff.user(role)
            for action in Action.allCases {
                let outcome: GMPError?
                do {
                    try await perform(action, as: u, in: r, first: first)
                    outcome = nil
                } catch let e as GMPError {
                    outcome = e
                }
                let allowed = Permissions.allows(role, action)
                if allowed {
                    #expect(outcome?.kind != .forbidden, "\(role) should be able to \(action): \(outcome?.message ?? "")")
                } else {
                    #expect(outcome?.kind == .forbidden, "\(role) must not \(action)")
                }
            }
        }
        _ = s
    }

    /// One representative call per action (its outcome may be refused for other reasons than the role).
    func perform(_ action: Action, as u: User, in r: Running, first: Phase) async throws {
        let s = r.staff.store
        let tag = UUID().uuidString.prefix(6).lowercased()
        switch action {
        case .manageUsers: _ = try await s.createUser(by: u, username: "u\(tag)", fullName: "New", role: .operator, password: password)
        case .createRecipe: _ = try await s.createRecipe(u, r.recipe.recipe)
        case .approveRecipe: _ = try await s.approveRecipe(u, id: r.recipe.id, password: password)
        case .defineMaterial: _ = try await s.defineItem(u, code: "ITEM-\(tag.uppercased())", name: "x", unit: "g")
        case .receiveMaterial: _ = try await s.receiveLot(u, item: "MEDIUM", supplier: "s", supplierLot: "l", quantity: 1, expiry: "2030-01-01")
        case .sampleMaterial:
            _ = try await s.createSample(u, batch: nil, materialLot: r.lots["MEDIUM"]!.id, test: "t")
        case .createSample:
            _ = try await s.createSample(u, batch: r.batch.id, materialLot: nil, test: "t")
        case .decideMaterial: _ = try await s.decideLot(u, id: r.lots["MEDIUM"]!.id, release: false, reason: "x", password: password)
        case .createBatch: _ = try await s.createBatch(u, recipeID: r.recipe.id)
        case .executePhase: _ = try await s.recordEquipment(u, batch: r.batch.id, phase: first.id, equipment: "BSC-1")
        case .verifyPhase: try await s.verifyPhase(u, batch: r.batch.id, phase: first.id, password: password)
        case .correctEntry: _ = try await s.correctEntry(u, entry: "entry-none", value: 1, reason: "x")
        case .recordResult: _ = try await s.recordResult(u, sample: "sample-none", value: 1, pass: nil)
        case .openDeviation: _ = try await s.openDeviation(u, batch: r.batch.id, description: "spill")
        case .investigateDeviation: _ = try await s.advanceDeviation(u, id: "dev-none", to: .investigation, note: "x", password: password)
        case .closeDeviation: _ = try await s.advanceDeviation(u, id: "dev-none", to: .closed, note: "x", password: password)
        case .editProcess: _ = try await s.saveProcessFile(u, name: "p-\(tag).yaml", text: "name: x\n", note: "first version")
        // Points are stored by the point store, outside the GMP records; the gate is the role.
        case .ingestPoints: try s.authorize(u, .ingestPoints)
        case .defineLimits:
            _ = try await s.proposeLimits(
                u, series: Series(id: "BR-1/ph", measurand: .pH, location: .equipment("BR-1"), interval: 60), grade: nil,
                limits: SeriesLimits(alertHigh: 7.3, actionHigh: 7.4), reason: "PQ")
        case .approveLimits: _ = try await s.approveLimits(u, id: "limits-none", password: password)
        case .acknowledgeAlarm: _ = try await s.acknowledgeAlarm(u, id: "alarm-none", comment: "seen", password: password)
        case .releaseBatch: _ = try await s.releaseBatch(u, batch: r.batch.id, password: password)
        case .readRecords: _ = try await s.batch(u, id: r.batch.id)
        case .verifyAudit: _ = try await s.verifyAudit(by: u)
        }
    }
}
