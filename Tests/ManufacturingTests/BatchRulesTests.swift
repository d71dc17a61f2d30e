import Bioprocess
import Foundation
import Manufacturing
import Testing

/// The batch-execution, deviation and material rules as tables, with no database.
struct BatchRulesTests {
    /// Two phases: a seeding with a temperature in 36.5–37.5 °C and a medium to consume, then a
    /// harvest with nothing to record.
    static let recipe: MasterRecipe = {
        let json = """
            {"product": "AAV-X", "process": "p", "releaseTests": [],
             "unitProcedures": [{"name": "USP", "operations": [{"name": "Production", "phases": [
               {"id": "1.1.1", "name": "Seed", "instructions": "seed", "samples": [],
                "parameters": [{"name": "temperature", "unit": "°C", "target": 37, "low": 36.5, "high": 37.5}],
                "materials": [{"item": "MEDIUM", "quantity": 10, "unit": "L"}]},
               {"id": "1.1.2", "name": "Harvest", "instructions": "harvest", "samples": [], "parameters": [], "materials": []}
             ]}]}]}
            """
        return try! JSONDecoder().decode(MasterRecipe.self, from: Data(json.utf8))
    }()

    static let olga = User(id: "u-olga", username: "olga", fullName: "Olga Operator", role: .operator, active: true)
    static let sam = User(id: "u-sam", username: "sam", fullName: "Sam Supervisor", role: .supervisor, active: true)
    static let alex = User(id: "u-alex", username: "alex", fullName: "Alex QA", role: .qa, active: true)

    func stamp(_ user: User = olga, _ day: String = "2026-12-01") -> Stamp { Stamp(user: user, at: day + "T10:00:00.000Z") }

    func state(_ status: BatchStatus = .inProgress, _ entries: [BatchEntry] = []) -> BatchState {
        BatchState(batch: Batch(id: "B-1", recipeID: "r", product: "AAV-X", status: status), recipe: Self.recipe, entries: entries)
    }

    func entry(_ kind: EntryKind, phase: String = "1.1.1", parameter: String? = nil, value: Double? = nil, by user: User = olga, id: String = "e")
        -> BatchEntry
    {
        BatchEntry(id: id, batchID: "B-1", phaseID: phase, kind: kind, parameter: parameter, value: value, userID: user.id, at: "2026-12-01T09:00:00.000Z")
    }

    func lot(status: MaterialStatus = .released, expiry: String = "2030-01-01", retest: String? = nil, remaining: Double = 100, item: String = "MEDIUM")
        -> MaterialLot
    {
        MaterialLot(
            id: "L-1", item: item, supplier: "S", supplierLot: "S-1", quantity: 100, remaining: remaining, expiry: expiry, retest: retest,
            status: status)
    }

    func refusal<T>(_ r: Result<T, GMPError>) -> GMPError? {
        if case .failure(let e) = r { return e }
        return nil
    }

    @Test(arguments: [
        // value, in range, opens a deviation
        (37.0, true), (36.5, true), (37.5, true), (38.2, false), (-1, false),
    ])
    func aValueOutOfItsRangeOpensADeviationAtOnce(value: Double, inRange: Bool) throws {
        let change = try BatchRules.recordValue(state(), phase: "1.1.1", parameter: "temperature", value: value, id: "e1", by: stamp()).get()
        #expect(change.entry.inRange == inRange)
        #expect((change.deviation != nil) == !inRange)
        if let d = change.deviation {
            #expect(d.kind == .process && d.batchID == "B-1")
            #expect(d.description.contains("outside 36.5–37.5 °C"), "limits as the process file writes them: \(d.description)")
        }
    }

    @Test(arguments: [
        // batch status, phase, parameter, value, earlier entries → the refusal's kind and words
        (BatchStatus.complete, "1.1.1", "temperature", 37.0, [EntryKind](), GMPError.Kind.conflict, "is complete: no entry"),
        (.onHold, "1.1.1", "temperature", 37.0, [], .conflict, "is on hold"),
        (.inProgress, "9.9.9", "temperature", 37.0, [], .notFound, "no phase 9.9.9"),
        (.inProgress, "1.1.2", "temperature", 37.0, [], .conflict, "no step may be skipped"),
        (.inProgress, "1.1.1", "pressure", 1.0, [], .invalid, "no parameter 'pressure'"),
        (.inProgress, "1.1.1", "temperature", 37.0, [.value], .conflict, "correct it with a reason"),
        (.inProgress, "1.1.1", "temperature", .infinity, [], .invalid, "finite"),
    ] as [(BatchStatus, String, String, Double, [EntryKind], GMPError.Kind, String)])
    func aValueIsRecordedOnceInTheOpenPhaseOfABatchInProgress(
        status: BatchStatus, phase: String, parameter: String, value: Double, earlier: [EntryKind], kind: GMPError.Kind, words: String
    ) {
        let entries = earlier.map { entry($0, parameter: "temperature", value: 37) }
        let e = refusal(BatchRules.recordValue(state(status, entries), phase: phase, parameter: parameter, value: value, id: "e", by: stamp()))
        #expect(e?.kind == kind)
        #expect(e?.description.contains(words) == true, "\(e?.description ?? "accepted")")
    }

    @Test func aCorrectionKeepsTheFirstValueNeedsAReasonAndIsOnlyOfTheLatest() throws {
        let first = entry(.value, parameter: "temperature", value: 38.5, id: "e1")
        let change = try BatchRules.correct(state(.inProgress, [first]), entry: first, value: 37, reason: "typo", id: "e2", by: stamp()).get()
        #expect(change.entry.corrects == "e1" && change.entry.reason == "typo" && change.entry.inRange == true)
        #expect(change.deviation == nil)
        // Corrected already: correct the correction instead.
        let twice = refusal(BatchRules.correct(state(.inProgress, [first, change.entry]), entry: first, value: 37.1, reason: "again", id: "e3", by: stamp()))
        #expect(twice?.message.contains("already corrected") == true)
        // No reason, a closed phase, a batch not in progress: every reason at once.
        let done = entry(.completion, id: "c1")
        let all = refusal(BatchRules.correct(state(.complete, [first, done]), entry: first, value: 37, reason: " ", id: "e4", by: stamp()))
        #expect(all?.details.count == 3, "\(all?.description ?? "")")
        // A correction out of range opens its own deviation.
        let out = try BatchRules.correct(state(.inProgress, [first]), entry: first, value: 39, reason: "re-read", id: "e5", by: stamp()).get()
        #expect(out.deviation?.description.contains("corrected to 39 °C") == true)
    }

    @Test(arguments: [
        // lot status, expiry, retest, remaining, item, quantity → refused with these words (nil: consumed)
        (MaterialStatus.released, "2030-01-01", nil, 100.0, "MEDIUM", 10.0, nil),
        (.released, "2026-12-01", nil, 100, "MEDIUM", 10, nil),  // expires today: still usable today
        (.quarantine, "2030-01-01", nil, 100, "MEDIUM", 10, "not released by QA"),
        (.rejected, "2030-01-01", nil, 100, "MEDIUM", 10, "not released by QA"),
        (.released, "2026-11-30", nil, 100, "MEDIUM", 10, "expired on 2026-11-30"),
        (.released, "2030-01-01", "2026-11-15", 100, "MEDIUM", 10, "due for retest on 2026-11-15"),
        (.released, "2030-01-01", "2026-12-01", 100, "MEDIUM", 10, nil),
        (.released, "2030-01-01", nil, 5, "MEDIUM", 10, "has 5 left, less than 10"),
        (.released, "2030-01-01", nil, 100, "GLUCOSE", 10, "does not call for GLUCOSE"),
        (.released, "2030-01-01", nil, 100, "MEDIUM", -1, "above 0"),
    ] as [(MaterialStatus, String, String?, Double, String, Double, String?)])
    func onlyAReleasedLotWithinItsExpiryAndRetestDatesIsConsumed(
        status: MaterialStatus, expiry: String, retest: String?, remaining: Double, item: String, quantity: Double, refused: String?
    ) {
        let l = lot(status: status, expiry: expiry, retest: retest, remaining: remaining, item: item)
        let r = BatchRules.consume(state(), phase: "1.1.1", lot: l, quantity: quantity, id: "m1", by: stamp())
        if let refused {
            #expect(refusal(r)?.description.contains(refused) == true, "\(refusal(r)?.description ?? "consumed")")
        } else {
            #expect(refusal(r) == nil)
        }
    }

    @Test func everyReasonAgainstAConsumptionIsListed() {
        let l = lot(status: .quarantine, expiry: "2020-01-01", retest: "2019-06-01", remaining: 1)
        let e = refusal(BatchRules.consume(state(), phase: "1.1.1", lot: l, quantity: 10, id: "m", by: stamp()))
        #expect(e?.details.count == 4, "\(e?.description ?? "")")
    }

    @Test func aPhaseCompletesWithEveryValueAndMaterialAndTheLastCompletesTheBatch() throws {
        let missing = refusal(BatchRules.complete(state(), phase: "1.1.1", id: "c", by: stamp()))
        #expect(missing?.details == ["'temperature' is not recorded", "no lot of MEDIUM is consumed"])
        let value = entry(.value, parameter: "temperature", value: 37, id: "v")
        var material = entry(.material, parameter: "MEDIUM", id: "m")
        material.materialLot = "L-1"
        let first = try BatchRules.complete(state(.inProgress, [value, material]), phase: "1.1.1", id: "c1", by: stamp()).get()
        #expect(first.entry.kind == .completion && first.status == nil)
        let last = try BatchRules.complete(state(.inProgress, [value, material, first.entry]), phase: "1.1.2", id: "c2", by: stamp()).get()
        #expect(last.status == .complete)
    }

    @Test(arguments: [
        // performer, verifier, already verified → refused with
        (olga, sam, false, nil), (sam, sam, false, "performed a phase cannot verify it"), (olga, sam, true, "already verified"),
    ] as [(User, User, Bool, String?)])
    func aPhaseIsVerifiedOnceBySomeoneElse(performer: User, verifier: User, verified: Bool, refused: String?) {
        var entries = [entry(.completion, by: performer, id: "c")]
        if verified { entries.append(entry(.verification, by: verifier, id: "v0")) }
        let r = BatchRules.verify(state(.inProgress, entries), phase: "1.1.1", id: "v", by: stamp(verifier))
        #expect(refusal(r)?.description.contains(refused ?? "∅") ?? (refused == nil))
        let notDone = refusal(BatchRules.verify(state(), phase: "1.1.2", id: "v", by: stamp(verifier)))
        #expect(notDone?.message == "phase 1.1.2 is not complete")
    }

    @Test(arguments: [
        (BatchStatus.inProgress, BatchStatus?.some(.onHold)), (.complete, .onHold), (.released, .onHold), (.onHold, nil), (.rejected, nil),
    ])
    func aRecallHoldsEveryBatchThatIsNotAlreadyHeldOrRejected(status: BatchStatus, held: BatchStatus?) {
        #expect(BatchRules.hold(status) == held)
        let (holds, deviations) = MaterialRules.recall(lot(), reason: "supplier notice", used: [("B-1", status)])
        #expect(holds.map(\.status) == (held.map { [$0] } ?? []))
        #expect(deviations.count == 1 && deviations[0].kind == .recall && deviations[0].description.contains("supplier notice"))
    }

    @Test func qaLiftsAHoldBackToWhereTheBatchStood() throws {
        #expect(try BatchRules.resume(state(.onHold), reason: "recall assessed: lot not used in this phase").get() == .inProgress)
        let done = [entry(.completion, id: "c1"), entry(.completion, phase: "1.1.2", id: "c2")]
        #expect(try BatchRules.resume(state(.onHold, done), reason: "assessed").get() == .complete)
        #expect(refusal(BatchRules.resume(state(.inProgress), reason: "x"))?.message.contains("not on hold") == true)
        #expect(refusal(BatchRules.resume(state(.onHold), reason: ""))?.message.contains("needs its reason") == true)
    }

    @Test func releaseListsEveryBlocker() {
        let e = refusal(BatchRules.release(state(.complete), samples: [], results: [], deviations: [
            Deviation(id: "d1", batchID: "B-1", sampleID: nil, kind: .recall, description: "lot recalled", status: .investigation)
        ]))
        #expect(e?.details.contains { $0.contains("1.1.1") && $0.contains("not complete") } == true)
        #expect(e?.details.contains("deviation d1 is under investigation, not closed (recall: lot recalled)") == true, "\(e?.details ?? [])")
    }

    @Test(arguments: [
        // from, to, by, note → refused with
        (DeviationStatus.open, DeviationStatus.investigation, sam, "started", nil),
        (.investigation, .capa, sam, "root cause: probe drift", nil),
        (.capa, .closed, alex, "CAPA effective", nil),
        (.capa, .closed, sam, "CAPA effective", "only QA closes"),
        (.open, .closed, alex, "skip", "can only move to under investigation"),
        (.closed, .open, alex, "reopen", "nothing (it is closed)"),
        (.open, .investigation, sam, " ", "needs a note"),
    ] as [(DeviationStatus, DeviationStatus, User, String, String?)])
    func aDeviationMovesOneSignedStepAtATimeAndQAClosesIt(from: DeviationStatus, to: DeviationStatus, by: User, note: String, refused: String?) {
        let d = Deviation(
            id: "d1", batchID: "B-1", sampleID: nil, kind: .process, description: "pH", status: from, classification: .minor,
            rootCause: "probe drift")
        let r = DeviationRules.advance(d, to: to, by: by, note: note)
        if let refused {
            #expect(refusal(r)?.description.contains(refused) == true, "\(refusal(r)?.description ?? "moved")")
        } else {
            #expect((try? r.get())?.status == to)
        }
    }

    @Test(arguments: [
        // retest due, new date, latest pass, today → refused with
        (String?.some("2026-11-01"), "2027-06-01", String?.some("2026-11-20T08:00:00.000Z"), nil as String?),
        ("2026-11-01", "2027-06-01", "2026-10-01T08:00:00.000Z", "no passing result since its retest came due on 2026-11-01"),
        ("2026-11-01", "2026-12-01", "2026-11-20T08:00:00.000Z", "must be after today"),
        ("2026-11-01", "2031-01-01", "2026-11-20T08:00:00.000Z", "after the lot's expiry 2030-01-01"),
        (nil, "2027-06-01", nil, "has no passing result"),
    ])
    func aNewRetestDateNeedsAPassingRetestAndStaysWithinTheExpiry(due: String?, date: String, pass: String?, refused: String?) {
        let refusal = MaterialRules.retest(lot(retest: due), until: date, latestPass: pass, today: "2026-12-01")
        if let refused {
            #expect(refusal?.description.contains(refused) == true, "\(refusal?.description ?? "accepted")")
        } else {
            #expect(refusal == nil)
        }
    }

    @Test func aLotPastItsRetestDateIsNotReleasedEither() {
        let refusal = MaterialRules.decide(
            lot(status: .sampled, retest: "2026-11-01"), release: true, tests: [("Identity", true)], today: "2026-12-01")
        #expect(refusal?.message.contains("due for retest on 2026-11-01") == true)
    }
}
