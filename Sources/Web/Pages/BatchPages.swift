import Bioprocess
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Store

/// Batches on the floor: the list, a batch's phases, and a phase executed from its master
/// recipe — the instruction, each parameter with its target and range, values recorded (an
/// out-of-range value confirmed first, its deviation opened at once), materials and equipment,
/// "performed" signed by re-entering the password, verification by a second person. Every rule
/// is the store's (``BatchRules``); the pages show its refusals.
extension PageRoutes {
    func addBatchPages(to pages: RouterGroup<AppContext>) {
        pages.get("/batches") { _, context in
            let user = try context.requireIdentity().user
            let batches = try await store.batches(user, page: Page(limit: 200, offset: 0))
            let recipes = try await store.recipes(user)
            let approved = recipes.filter { $0.status == .approved }
            return site.page(
                "batches",
                try await values(
                    context, title: "Batches",
                    [
                        "batches": batches.reversed().map {
                            ["id": $0.id, "product": $0.product, "status": $0.status.rawValue, "statusWords": $0.status.rawValue.replacingOccurrences(of: "-", with: " ")]
                        },
                        "canCreate": Permissions.allows(user.role, .createBatch) && !approved.isEmpty,
                        "recipes": approved.map { ["id": $0.id, "label": "\($0.recipe.product) v\($0.version)"] },
                    ]))
        }
        pages.post("/batches/new") { request, context in
            let form = try await Form(request, context: context)
            let identity = try context.requireIdentity()
            guard Cookies.matches(form["csrf"], Cookies.csrf(for: identity.token)) else { return try await outOfDate(context) }
            guard Permissions.allows(identity.user.role, .createBatch) else { return try await refused(context, .createBatch) }
            do {
                let batch = try await store.createBatch(identity.user, recipeID: form["recipe"] ?? "")
                return Response(status: .seeOther, headers: [.location: "/batches/\(batch.id)"])
            } catch let e as GMPError {
                return try await gmpRefusal(context, e)
            }
        }
        pages.get("/batches/:id") { _, context in
            let user = try context.requireIdentity().user
            let (batch, recipe, entries) = try await loadBatch(user, try context.parameter("id"))
            let phases = recipe.phases.map { phase -> [String: Any] in
                let mine = entries.filter { $0.phaseID == phase.id }
                let done = mine.contains { $0.kind == .completion }, verified = mine.contains { $0.kind == .verification }
                let outOfRange = mine.contains { $0.inRange == false }
                return [
                    "id": phase.id, "name": phase.name, "state": verified ? "verified" : done ? "performed" : mine.isEmpty ? "to do" : "started",
                    "done": done, "exception": outOfRange, "entries": mine.count,
                ]
            }
            let next = phases.first { ($0["done"] as? Bool) == false }
            return site.page(
                "batch",
                try await values(
                    context, title: "Batch \(batch.id)",
                    [
                        "batch": ["id": batch.id, "product": batch.product, "status": batch.status.rawValue.replacingOccurrences(of: "-", with: " ")],
                        "phases": phases, "next": next ?? [:], "hasNext": next != nil,
                        "done": phases.filter { ($0["done"] as? Bool) == true }.count, "total": phases.count,
                    ]))
        }
        pages.get("/batches/:id/phases/:phase") { _, context in
            let user = try context.requireIdentity().user
            return try await phasePage(context, user, batchID: try context.parameter("id"), phaseID: try context.parameter("phase"), [:], status: .ok)
        }
        pages.post("/batches/:id/phases/:phase") { request, context in
            let form = try await Form(request, context: context)
            let identity = try context.requireIdentity()
            let user = identity.user
            let batchID = try context.parameter("id"), phaseID = try context.parameter("phase")
            guard Cookies.matches(form["csrf"], Cookies.csrf(for: identity.token)) else { return try await outOfDate(context) }
            let back = Response(status: .seeOther, headers: [.location: "/batches/\(batchID)/phases/\(phaseID)"])
            // The role first: a refused role is refused whatever the form holds.
            let action: Action = form["action"] == "verify" ? .verifyPhase : form["action"] == "correct" ? .correctEntry : .executePhase
            guard Permissions.allows(user.role, action) else { return try await refused(context, action) }
            do {
                switch form["action"] ?? "" {
                case "value":
                    let (_, recipe, entries) = try await loadBatch(user, batchID)
                    guard let phase = recipe.phase(phaseID), let p = phase.parameters.first(where: { $0.name == form["parameter"] }) else {
                        throw GMPError(.invalid, "this phase has no parameter \(form["parameter"] ?? "")")
                    }
                    let text = (form["value"] ?? "").trimmingCharacters(in: .whitespaces)
                    guard let value = Double(text), value.isFinite else {
                        throw GMPError(.invalid, "\(p.name) must be a number in \(p.unit), such as \(Figure.text(p.target))")
                    }
                    // Said before asking to confirm a value that could not be recorded anyway.
                    if entries.contains(where: { $0.phaseID == phaseID && $0.kind == .value && $0.parameter == p.name }) {
                        throw GMPError(.conflict, "'\(p.name)' is already recorded in phase \(phaseID): correct it with a reason instead")
                    }
                    // An out-of-range value is recorded only once confirmed: it opens a deviation.
                    if !(p.low...p.high).contains(value) && form["confirm"] != "yes" {
                        return try await phasePage(
                            context, user, batchID: batchID, phaseID: phaseID,
                            [
                                "confirm": [
                                    "action": "value", "parameter": p.name, "value": text, "unit": p.unit,
                                    "message": "\(Figure.text(value)) \(p.unit) is outside \(p.rangeText). Recording it opens a deviation at once.",
                                ]
                            ], status: .conflict)
                    }
                    _ = try await store.recordValue(user, batch: batchID, phase: phaseID, parameter: p.name, value: value)
                case "correct":
                    let (_, recipe, entries) = try await loadBatch(user, batchID)
                    guard let entry = entries.first(where: { $0.id == form["entry"] && $0.kind == .value && $0.phaseID == phaseID }),
                        let p = recipe.phase(phaseID)?.parameters.first(where: { $0.name == entry.parameter })
                    else { throw GMPError(.invalid, "this phase has no such value to correct") }
                    let text = (form["value"] ?? "").trimmingCharacters(in: .whitespaces)
                    guard let value = Double(text), value.isFinite else {
                        throw GMPError(.invalid, "\(p.name) must be a number in \(p.unit), such as \(Figure.text(p.target))")
                    }
                    let reason = form["reason"] ?? ""
                    if !(p.low...p.high).contains(value) && form["confirm"] != "yes" {
                        return try await phasePage(
                            context, user, batchID: batchID, phaseID: phaseID,
                            [
                                "confirm": [
                                    "action": "correct", "entry": entry.id, "reason": reason, "parameter": p.name, "value": text, "unit": p.unit,
                                    "message": "\(Figure.text(value)) \(p.unit) is outside \(p.rangeText). Recording it opens a deviation at once.",
                                ]
                            ], status: .conflict)
                    }
                    _ = try await store.correctEntry(user, entry: entry.id, value: value, reason: reason)
                case "material":
                    guard let quantity = Double(form["quantity"] ?? ""), quantity.isFinite, quantity > 0 else {
                        throw GMPError(.invalid, "the quantity must be a number above 0")
                    }
                    _ = try await store.consumeMaterial(user, batch: batchID, phase: phaseID, lot: (form["lot"] ?? "").trimmingCharacters(in: .whitespaces), quantity: quantity)
                case "equipment":
                    _ = try await store.recordEquipment(user, batch: batchID, phase: phaseID, equipment: (form["equipment"] ?? "").trimmingCharacters(in: .whitespaces))
                case "complete":
                    _ = try await store.completePhase(user, batch: batchID, phase: phaseID, password: form["password"] ?? "")
                    return Response(status: .seeOther, headers: [.location: "/batches/\(batchID)"])
                case "verify":
                    try await store.verifyPhase(user, batch: batchID, phase: phaseID, password: form["password"] ?? "")
                    return Response(status: .seeOther, headers: [.location: "/batches/\(batchID)"])
                default:
                    throw GMPError(.invalid, "the form names no action")
                }
            } catch let e as GMPError {
                return try await phasePage(context, user, batchID: batchID, phaseID: phaseID, ["message": e.description], status: e.status)
            }
            return back
        }
    }

    func loadBatch(_ user: User, _ id: String) async throws -> (Batch, MasterRecipe, [BatchEntry]) {
        let (batch, entries) = try await store.batch(user, id: id)
        let recipe = try await store.recipe(user, id: batch.recipeID).recipe
        return (batch, recipe, entries)
    }

    /// A phase of a batch as the operator works on it.
    func phasePage(
        _ context: AppContext, _ user: User, batchID: String, phaseID: String, _ more: [String: Any], status: HTTPResponse.Status
    ) async throws -> Response {
        let batch: Batch, recipe: MasterRecipe, entries: [BatchEntry]
        do {
            (batch, recipe, entries) = try await loadBatch(user, batchID)
        } catch let e as GMPError {
            return try await gmpRefusal(context, e)
        }
        guard let phase = recipe.phase(phaseID) else {
            return try await gmpRefusal(context, GMPError(.notFound, "batch \(batchID) has no phase \(phaseID)"))
        }
        let mine = entries.filter { $0.phaseID == phaseID }
        let names = Dictionary(try await store.users(user).map { ($0.id, $0.fullName) }, uniquingKeysWith: { a, _ in a })
        let corrected = Set(mine.compactMap(\.corrects))
        let done = mine.contains { $0.kind == .completion }, verified = mine.contains { $0.kind == .verification }
        let index = recipe.phases.firstIndex { $0.id == phaseID } ?? 0
        var v = more
        v["batch"] = ["id": batch.id, "product": batch.product, "status": batch.status.rawValue.replacingOccurrences(of: "-", with: " ")]
        v["phase"] = [
            "id": phase.id, "name": phase.name, "instructions": phase.instructions, "equipment": phase.equipment ?? "",
            "number": index + 1, "of": recipe.phases.count,
        ]
        // From the keyboard: the cursor starts in the first value still to enter (the confirmation
        // has it while one is asked).
        let open = phase.parameters.first { p in !mine.contains { $0.kind == .value && $0.parameter == p.name } }?.name
        v["parameters"] = phase.parameters.map { p -> [String: Any] in
            let recorded = mine.filter { $0.kind == .value && $0.parameter == p.name && !corrected.contains($0.id) }.last
            return [
                "focus": more["confirm"] == nil && p.name == open,
                "name": p.name, "unit": p.unit, "target": Figure.text(p.target), "low": Figure.text(p.low), "high": Figure.text(p.high),
                "range": p.rangeText, "recorded": recorded.flatMap { $0.value.map { Figure.text($0) } } ?? "", "hasRecorded": recorded != nil,
                "entry": recorded?.id ?? "",
                "outOfRange": recorded?.inRange == false,
            ]
        }
        // The lots that may be used, with their expiry (or retest date) and what is left; the store
        // checks the lot scanned again when it is consumed.
        var materials: [[String: Any]] = []
        for m in phase.materials {
            let lots = try await store.lots(user, item: m.item, status: .released, page: Page(limit: 20, offset: 0))
            materials.append([
                "item": m.item, "quantity": Figure.text(m.quantity), "unit": m.unit,
                "lots": lots.map { ["id": $0.id, "expiry": $0.retest.map { "retest \($0)" } ?? "expires \($0.expiry)", "remaining": Figure.text($0.remaining)] },
                "noLot": lots.isEmpty,
            ])
        }
        v["materials"] = materials
        v["hasMaterials"] = !phase.materials.isEmpty
        v["entries"] = mine.map { e -> [String: Any] in
            let what: String
            switch e.kind {
            case .value: what = "\(e.parameter ?? "") = \(e.value.map { Figure.text($0) } ?? "")" + (e.inRange == false ? " (out of range)" : "")
            case .material: what = "lot \(e.materialLot ?? "") × \(e.quantity.map { Figure.text($0) } ?? "")"
            case .equipment: what = "equipment \(e.equipment ?? "")"
            case .completion: what = "performed (signed)"
            case .verification: what = "verified (signed)"
            }
            return [
                "what": what, "who": names[e.userID] ?? e.userID, "at": when(e.at), "exception": e.inRange == false, "corrected": corrected.contains(e.id),
                "reason": e.reason ?? "",
            ]
        }
        v["signatures"] = try await store.signatures(user, entity: "phase", id: "\(batchID)/\(phaseID)").map {
            ["meaning": $0.meaning.rawValue, "who": $0.fullName, "at": when($0.at)]
        }
        v["hasSignatures"] = !((v["signatures"] as? [Any]) ?? []).isEmpty
        v["done"] = done
        v["verified"] = verified
        v["canExecute"] = Permissions.allows(user.role, .executePhase) && !done && batch.status == .inProgress
        v["canVerify"] = Permissions.allows(user.role, .verifyPhase) && done && !verified
        if let prev = index > 0 ? recipe.phases[index - 1] : nil { v["previous"] = prev.id }
        if index + 1 < recipe.phases.count { v["nextPhase"] = recipe.phases[index + 1].id }
        return site.page("phase", try await values(context, title: "\(phase.name) — batch \(batch.id)", sections(v)), status: status)
    }

    func gmpRefusal(_ context: AppContext, _ e: GMPError) async throws -> Response {
        site.page(
            "error", try await values(context, title: "Refused", ["message": e.description.prefix(1).uppercased() + e.description.dropFirst() + "."]),
            status: e.status)
    }

    func outOfDate(_ context: AppContext) async throws -> Response {
        site.page("error", try await values(context, title: "Refused", ["message": "The form is out of date: reload the page and try again."]), status: .forbidden)
    }
}
