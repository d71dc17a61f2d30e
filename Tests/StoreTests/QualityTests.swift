import Bioprocess
import Foundation
import HummingbirdOTP
import Manufacturing
import SQLKit
import Testing

@testable import Store

/// Deviations investigated (classification, root cause), their corrective and preventive actions
/// with owners and due dates, QA's closure; item specifications and lot sampling; the second factor
/// on release and approval signatures.
struct QualityStoreTests {
    /// A deviation of the running batch, opened by an out-of-range value.
    static func deviation(_ r: Running) async throws -> Deviation {
        let phase = r.recipe.recipe.phases[0]
        let p = phase.parameters[0]
        let (_, d) = try await r.staff.store.recordValue(r.staff.operatorUser, batch: r.batch.id, phase: phase.id, parameter: p.name, value: p.low - 5)
        return try #require(d)
    }

    @Test(arguments: Backend.available)
    func aMajorDeviationClosesOnlyWithItsFindingsAndEveryActionDone(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let d = try await Self.deviation(r)
        _ = try await s.advanceDeviation(r.staff.supervisor, id: d.id, to: .investigation, note: "looked at the log", password: password)
        // No CAPA before the findings.
        let early = await refused { _ = try await s.advanceDeviation(r.staff.qa, id: d.id, to: .capa, note: "go", password: password) }
        #expect(early?.details.contains { $0.contains("not classified") } == true, "\(early?.description ?? "")")
        #expect(early?.details.contains { $0.contains("root cause") } == true)
        _ = try await s.investigateDeviation(r.staff.analyst, id: d.id, classification: .minor, rootCause: "probe drift", reason: "")
        // Changing a finding needs the reason; the old value stays in the audit trail.
        let noReason = await refused {
            _ = try await s.investigateDeviation(r.staff.supervisor, id: d.id, classification: .major, rootCause: nil, reason: "")
        }
        #expect(noReason?.message.contains("needs its reason") == true)
        let major = try await s.investigateDeviation(r.staff.supervisor, id: d.id, classification: .major, rootCause: nil, reason: "drift reached the harvest")
        #expect(major.classification == .major && major.rootCause == "probe drift")
        let trail = try await s.auditTrail(r.staff.qa, entity: "deviation", id: d.id)
        #expect(trail.contains { $0.field == "classification" && $0.oldValue == "minor" && $0.newValue == "major" && $0.reason == "drift reached the harvest" })
        // Operators do not investigate; an administrator owns no action; a due date is not in the past.
        #expect(await refused { _ = try await s.investigateDeviation(r.staff.operatorUser, id: d.id, classification: .minor, rootCause: nil, reason: "x") }?.kind == .forbidden)
        #expect(await refused { _ = try await s.addAction(r.staff.qa, deviation: d.id, action: "fix", owner: "admin", due: "2027-01-01") }?.message.contains("administrator") == true)
        #expect(await refused { _ = try await s.addAction(r.staff.qa, deviation: d.id, action: "fix", owner: "sam", due: "2026-01-01") }?.message.contains("before today") == true)
        #expect(await refused { _ = try await s.addAction(r.staff.qa, deviation: d.id, action: "fix", owner: "sam", due: "2026-02-30") }?.kind == .invalid)
        _ = try await s.advanceDeviation(r.staff.qa, id: d.id, to: .capa, note: "actions planned", password: password)
        // A major deviation needs an action before closing.
        let none = await refused { _ = try await s.advanceDeviation(r.staff.qa, id: d.id, to: .closed, note: "done", password: password) }
        #expect(none?.message.contains("needs at least one corrective or preventive action") == true)
        let a = try await s.addAction(r.staff.qa, deviation: d.id, action: "Recalibrate pH probes weekly", owner: "sam", due: "2026-10-15")
        #expect(a.ownerID == r.staff.supervisor.id && a.status == .open)
        let open = await refused { _ = try await s.advanceDeviation(r.staff.qa, id: d.id, to: .closed, note: "done", password: password) }
        #expect(open?.message.contains("action \(a.id) 'Recalibrate pH probes weekly' is not done (due 2026-10-15)") == true, "\(open?.description ?? "")")
        // Only the owner or QA marks it done, saying what was done.
        #expect(await refused { _ = try await s.completeAction(r.staff.operatorUser, action: a.id, note: "did it") }?.kind == .forbidden)
        #expect(await refused { _ = try await s.completeAction(r.staff.supervisor, action: a.id, note: " ") }?.kind == .invalid)
        let done = try await s.completeAction(r.staff.supervisor, action: a.id, note: "SOP-PH-004 rev 3 in force")
        #expect(done.status == .done && done.doneNote == "SOP-PH-004 rev 3 in force")
        #expect(await refused { _ = try await s.completeAction(r.staff.qa, action: a.id, note: "again") }?.message.contains("already done") == true)
        let closed = try await s.advanceDeviation(r.staff.qa, id: d.id, to: .closed, note: "effective", password: password)
        #expect(closed.status == .closed)
        let (stored, actions, signatures) = try await s.deviation(r.staff.qa, id: d.id)
        #expect(stored.classification == .major && stored.rootCause == "probe drift" && stored.openedAt != nil)
        #expect(actions.map(\.status) == [.done])
        #expect(signatures.map(\.meaning) == [.reviewed, .reviewed, .approved])
        #expect(try await s.actions(r.staff.qa, owner: r.staff.supervisor.id).map(\.id) == [a.id])
        // Findings are settled once at CAPA.
        #expect(await refused { _ = try await s.investigateDeviation(r.staff.qa, id: d.id, classification: .minor, rootCause: nil, reason: "x") }?.kind == .conflict)
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func aLotIsSampledForItsItemsSpecificationAndReleasedOnItsResults(backend: Backend) async throws {
        let clock = TestClock()
        let staff = try await Staff.make(backend, clock: clock)
        let s = staff.store
        _ = try await s.defineItem(staff.supervisor, code: "PLASMID-REP", name: "pRepCap plasmid", unit: "mg")
        _ = try await s.addItemTest(staff.qa, item: "PLASMID-REP", test: "Identity (restriction map)", specification: .passFail(criterion: "conforms"))
        _ = try await s.addItemTest(staff.qa, item: "PLASMID-REP", test: "Endotoxin", specification: .range(low: nil, high: 0.1, unit: "EU/mg"))
        #expect(await refused { _ = try await s.addItemTest(staff.qa, item: "PLASMID-REP", test: "Endotoxin", specification: nil) }?.kind == .conflict)
        #expect(await refused { _ = try await s.addItemTest(staff.operatorUser, item: "PLASMID-REP", test: "Purity", specification: nil) }?.kind == .forbidden)
        #expect(try await s.itemTests(staff.operatorUser, item: "PLASMID-REP").map(\.test) == ["Endotoxin", "Identity (restriction map)"])
        let lot = try await s.receiveLot(staff.operatorUser, item: "PLASMID-REP", supplier: "Aldevron", supplierLot: "A-77", quantity: 500, expiry: "2028-01-01")
        #expect(lot.status == .quarantine)
        let samples = try await s.sampleLot(staff.analyst, lot: lot.id)
        #expect(samples.map(\.test) == ["Endotoxin", "Identity (restriction map)"])
        #expect(samples[0].specification == .range(low: nil, high: 0.1, unit: "EU/mg"))
        // A sample of an item's test takes the item's limits, and no looser ones.
        #expect(await refused {
            _ = try await s.createSample(staff.analyst, batch: nil, materialLot: lot.id, test: "Endotoxin", specification: .range(low: nil, high: 5, unit: "EU/mg"))
        }?.kind == .invalid)
        #expect(await refused { _ = try await s.sampleLot(staff.analyst, lot: lot.id) }?.message.contains("only a lot in quarantine") == true)
        _ = try await s.recordResult(staff.analyst, sample: samples[1].id, value: nil, pass: true)
        _ = try await s.recordResult(staff.analyst, sample: samples[0].id, value: 0.5, pass: nil)
        let refusedRelease = await refused { _ = try await s.decideLot(staff.qa, id: lot.id, release: true, reason: "ok", password: password) }
        #expect(refusedRelease?.description.contains("'Endotoxin' has no passing result") == true)
        clock.advance(3600)
        _ = try await s.recordResult(staff.analyst, sample: samples[0].id, value: 0.05, pass: nil, reason: "retest after lab error, invalidated by investigation")
        #expect(try await s.decideLot(staff.qa, id: lot.id, release: true, reason: "specification met", password: password).status == .released)
        #expect(try await s.verifyAudit().isEmpty)
    }

    static func code(_ secret: String, at date: Date) -> String {
        let value = TOTP(secret: secret).compute(date: date)
        return String(repeating: "0", count: 6 - String(value).count) + String(value)
    }

    @Test(arguments: Backend.available)
    func releasesAndApprovalsNeedTheAuthenticatorsCodeOnceEnrolledOrEnforced(backend: Backend) async throws {
        let clock = TestClock()
        let r = try await Running.make(backend, clock: clock)
        let s = r.staff.store
        let qa = r.staff.qa
        // An administrator makes the second factor compulsory for QA: a QA release without an
        // authenticator is refused, and a performed signature is not concerned.
        try await s.setSecondFactorPolicy(by: r.staff.admin, role: .qa, required: true, reason: "site SOP-IT-012")
        #expect(await refused { try await s.setSecondFactorPolicy(by: qa, role: .qa, required: false, reason: "x") }?.kind == .forbidden)
        #expect(try await s.secondFactorState(qa) == SecondFactorState(enrolled: false, enforced: true))
        for phase in r.recipe.recipe.phases { try await r.execute(phase) }
        try await r.passReleasePanel()
        let unenrolled = await refused { _ = try await s.releaseBatch(qa, batch: r.batch.id, password: password) }
        #expect(unenrolled?.kind == .unauthenticated)
        #expect(unenrolled?.message.contains("enrol an authenticator") == true)
        // Enrolment: a secret and the address authenticator apps read, confirmed by a first code.
        let (secret, url) = try await s.beginEnrolment(qa)
        #expect(url.hasPrefix("otpauth://totp/VectorFab:alex?secret="))
        #expect(await refused { try await s.confirmEnrolment(qa, password: password, code: "000000") }?.kind == .unauthenticated)
        try await s.confirmEnrolment(qa, password: password, code: Self.code(secret, at: clock.get()))
        #expect(await refused { _ = try await s.beginEnrolment(qa) }?.kind == .conflict)
        // The code is needed, must be right, and is used once.
        clock.advance(30)
        #expect(await refused { _ = try await s.releaseBatch(qa, batch: r.batch.id, password: password) }?.message.contains("6-digit code") == true)
        #expect(await refused { _ = try await s.releaseBatch(qa, batch: r.batch.id, password: password, code: "12345x") }?.kind == .unauthenticated)
        let now = Self.code(secret, at: clock.get())
        #expect(try await s.releaseBatch(qa, batch: r.batch.id, password: password, code: now).status == .released)
        let draft = try await s.createRecipe(r.staff.supervisor, try seedRecipe())
        let replay = await refused { _ = try await s.approveRecipe(qa, id: draft.id, password: password, code: now) }
        #expect(replay?.message.contains("already used") == true, "\(String(describing: replay))")
        clock.advance(30)
        #expect(try await s.approveRecipe(qa, id: draft.id, password: password, code: Self.code(secret, at: clock.get())).status == .approved)
        // A lost phone: the administrator removes the authenticator; the chain stays whole.
        try await s.removeSecondFactor(by: r.staff.admin, userID: qa.id, reason: "phone lost, ticket 4411")
        #expect(try await s.secondFactorState(qa).enrolled == false)
        #expect(try await s.verifyAudit().isEmpty)
        _ = try await s.beginEnrolment(qa)
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func wrongAuthenticatorCodesCountTowardLockOutLikeWrongPasswords(backend: Backend) async throws {
        let clock = TestClock()
        let r = try await Running.make(backend, clock: clock)
        let s = r.staff.store
        let qa = r.staff.qa
        // A wrong first code at enrolment is counted, with what failed in the audit trail.
        let (secret, _) = try await s.beginEnrolment(qa)
        let wrong = Self.code(secret, at: clock.get().addingTimeInterval(3600))
        #expect(await refused { try await s.confirmEnrolment(qa, password: password, code: wrong) }?.kind == .unauthenticated)
        let counted = try await s.auditTrail(r.staff.admin).filter { $0.action == .loginFailed && $0.entityID == qa.id }
        #expect(counted.count == 1)
        #expect(counted.last?.reason == "wrong second-factor code")
        try await s.confirmEnrolment(qa, password: password, code: Self.code(secret, at: clock.get()))
        // The right password with wrong codes: the six digits cannot be guessed by trying; the
        // account is disabled after as many failures in a row as for passwords (the enrolment's
        // failure still counts: only a sign-in resets the count).
        let draft = try await s.createRecipe(r.staff.supervisor, try seedRecipe())
        for _ in 2...AccountRules.maxFailedAuthentications {
            #expect(try await s.users(r.staff.admin).first { $0.id == qa.id }?.active == true)
            #expect(await refused { _ = try await s.approveRecipe(qa, id: draft.id, password: password, code: wrong) }?.kind == .unauthenticated)
        }
        #expect(try await s.users(r.staff.admin).first { $0.id == qa.id }?.active == false)
        let disabled = try await s.auditTrail(r.staff.admin).last { $0.field == "active" && $0.entityID == qa.id }
        #expect(disabled?.reason == "\(AccountRules.maxFailedAuthentications) failed authentications in a row (passwords or codes)")
        // Disabled, even the right code is refused; nothing was approved.
        clock.advance(30)
        #expect(await refused { _ = try await s.approveRecipe(qa, id: draft.id, password: password, code: Self.code(secret, at: clock.get())) } != nil)
        #expect(try await s.recipes(r.staff.supervisor).first { $0.id == draft.id }?.status == .draft)
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func removingAnAuthenticatorBehindTheApplicationsBackIsCaught(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        _ = try await s.beginEnrolment(staff.qa)
        try await s.unauditedTransaction { db in try await db.raw("DELETE FROM second_factors").run() }
        #expect(try await s.verifyAudit().contains { $0.contains("second_factors row \(staff.qa.id) was deleted") })
    }
}
