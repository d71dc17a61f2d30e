import Bioprocess
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Reporting
import Store

/// Materials: the item master with each item's specification, lots received into quarantine,
/// sampled for the specification, released or rejected by QA — and recalled, with everything the
/// lot touched; the genealogy graphs backward from a batch and forward from a lot.
extension PageRoutes {
    func addMaterialPages(to pages: RouterGroup<AppContext>) {
        pages.get("/materials") { request, context in
            let user = try context.requireIdentity().user
            return try await itemsPage(context, user, status: request.uri.queryParameters.get("status"), [:], code: .ok)
        }
        pages.post("/materials") { request, context in
            try await formPost(request, context, nil) { form, user in
                func text(_ k: String) -> String { (form[k] ?? "").trimmingCharacters(in: .whitespaces) }
                switch form["action"] ?? "" {
                case "item":
                    try store.authorize(user, .defineMaterial)
                    _ = try await store.defineItem(user, code: text("code"), name: text("name"), unit: text("unit"))
                case "test":
                    try store.authorize(user, .defineMaterial)
                    _ = try await store.addItemTest(user, item: text("item"), test: text("test"), specification: try specification(form))
                case "receive":
                    try store.authorize(user, .receiveMaterial)
                    guard let quantity = Double(text("quantity")), quantity.isFinite, quantity > 0 else {
                        throw GMPError(.invalid, "the quantity received must be a number above 0")
                    }
                    let lot = try await store.receiveLot(
                        user, item: text("item"), supplier: text("supplier"), supplierLot: text("supplierLot"), quantity: quantity,
                        expiry: text("expiry"), retest: text("retest").isEmpty ? nil : text("retest"))
                    return Response(status: .seeOther, headers: [.location: "/materials/lots/\(lot.id)"])
                default:
                    throw GMPError(.invalid, "the form names no action")
                }
                return Response(status: .seeOther, headers: [.location: "/materials"])
            } failed: { user, e in
                try await itemsPage(context, user, status: nil, ["message": e.sentence], code: e.status)
            }
        }
        pages.get("/materials/lots/:id") { _, context in
            try await lotPage(context, try context.requireIdentity().user, try context.parameter("id"), [:], status: .ok)
        }
        pages.post("/materials/lots/:id") { request, context in
            let id = try context.parameter("id")
            return try await formPost(request, context, nil) { form, user in
                switch form["action"] ?? "" {
                case "sample":
                    try store.authorize(user, .sampleMaterial)
                    _ = try await store.sampleLot(user, lot: id)
                case "release", "reject":
                    try store.authorize(user, .decideMaterial)
                    _ = try await store.decideLot(
                        user, id: id, release: form["action"] == "release", reason: form["reason"] ?? "", password: form["password"] ?? "",
                        code: form["code"])
                case "retest":
                    try store.authorize(user, .decideMaterial)
                    _ = try await store.setRetest(
                        user, lot: id, until: form["until"] ?? "", reason: form["reason"] ?? "", password: form["password"] ?? "", code: form["code"])
                default:
                    throw GMPError(.invalid, "the form names no action")
                }
                return Response(status: .seeOther, headers: [.location: "/materials/lots/\(id)"])
            } failed: { user, e in
                try await lotPage(context, user, id, ["message": e.sentence], status: e.status)
            }
        }
        pages.get("/batches/:id/genealogy") { _, context in
            let user = try context.requireIdentity().user
            let id = try context.parameter("id")
            let record: GMPStore.BatchRecord
            do { record = try await store.batchRecord(user, batch: id) } catch let e as GMPError { return try await gmpRefusal(context, e) }
            let graph = Genealogies.backward(record)
            return site.page(
                "genealogy",
                try await values(
                    context, title: "Genealogy of batch \(id)",
                    [
                        "title": "Genealogy of batch \(id)", "sub": "\(record.batch.product) · \(record.batch.status.words) — back from the batch to every material lot and piece of equipment, by phase",
                        "back": "/batches/\(id)", "backName": "Batch \(id)", "svg": graph.svg(label: "Genealogy of batch \(id)"),
                        "rows": record.genealogy.consumptions.map {
                            ["a": $0.phase, "b": $0.item, "c": $0.lot, "link": "/materials/lots/\($0.lot)", "d": "\($0.supplier) \($0.supplierLot)", "e": Figure.text($0.quantity)]
                        },
                        "heads": ["Phase", "Item", "Lot", "Supplier lot", "Quantity"],
                    ]))
        }
    }

    /// A specification from the test form: a range when a limit is given, else pass/fail.
    func specification(_ form: Form) throws -> QCSpecification? {
        func number(_ k: String) throws -> Double? {
            let t = (form[k] ?? "").trimmingCharacters(in: .whitespaces)
            if t.isEmpty { return nil }
            guard let x = Double(t), x.isFinite else { throw GMPError(.invalid, "the \(k) limit must be a number, not '\(t)'") }
            return x
        }
        let low = try number("low"), high = try number("high")
        let unit = (form["unit"] ?? "").trimmingCharacters(in: .whitespaces)
        if low != nil || high != nil {
            guard !unit.isEmpty else { throw GMPError(.invalid, "a range needs its unit") }
            return .range(low: low, high: high, unit: unit)
        }
        let criterion = (form["criterion"] ?? "").trimmingCharacters(in: .whitespaces)
        return .passFail(criterion: criterion.isEmpty ? "conforms" : criterion)
    }

    func itemsPage(_ context: AppContext, _ user: User, status: String?, _ more: [String: Any], code: HTTPResponse.Status) async throws -> Response {
        let items = try await store.items(user, page: Page(limit: 1000, offset: 0))
        let filter = status.flatMap { MaterialStatus(rawValue: $0) }
        let lots = try await store.lots(user, item: nil, status: filter, page: Page(limit: 1000, offset: 0))
        let today = Site.today()
        var rows: [[String: Any]] = []
        for item in items {
            let tests = try await store.itemTests(user, item: item.code)
            rows.append([
                "code": item.code, "name": item.name, "unit": item.unit,
                "tests": tests.map { ["test": $0.test, "spec": $0.specificationText] }, "noTests": tests.isEmpty,
            ])
        }
        var v = more
        v["items"] = rows
        v["hasItems"] = !items.isEmpty
        v["lots"] = lots.reversed().map {
            [
                "id": $0.id, "item": $0.item, "supplier": $0.supplier, "supplierLot": $0.supplierLot, "remaining": Figure.text($0.remaining),
                "quantity": Figure.text($0.quantity), "expiry": $0.expiry, "retest": $0.retest ?? "", "status": $0.status.rawValue,
                "bad": $0.status == .rejected || $0.expiry < today,
            ] as [String: Any]
        }
        v["statuses"] = MaterialStatus.allCases.map { ["value": $0.rawValue, "selected": $0 == filter] }
        v["canDefine"] = Permissions.allows(user.role, .defineMaterial)
        v["canReceive"] = Permissions.allows(user.role, .receiveMaterial) && !items.isEmpty
        v["itemCodes"] = items.map { ["code": $0.code, "name": $0.name] }
        return site.page("items", try await values(context, title: "Materials", sections(v)), status: code)
    }

    func lotPage(_ context: AppContext, _ user: User, _ id: String, _ more: [String: Any], status: HTTPResponse.Status) async throws -> Response {
        let lot: MaterialLot, used: Genealogy
        do {
            used = try await store.whereUsed(user, lot: id)
            lot = try await store.lot(user, id: id)
        } catch let e as GMPError {
            return try await gmpRefusal(context, e)
        }
        let samples = try await store.samples(user, lot: id, page: Page(limit: 200, offset: 0))
        let results = try await store.results(user, lot: id)
        let names = try await userNames(user)
        let tests = try await store.itemTests(user, item: lot.item)
        var v = more
        v["lot"] = [
            "id": lot.id, "item": lot.item, "supplier": lot.supplier, "supplierLot": lot.supplierLot, "quantity": Figure.text(lot.quantity),
            "remaining": Figure.text(lot.remaining), "expiry": lot.expiry, "retest": lot.retest ?? "—", "status": lot.status.rawValue,
        ]
        v["samples"] = samples.map { s -> [String: Any] in
            let mine = results.filter { $0.sampleID == s.id }
            return [
                "id": s.id, "test": s.test, "spec": s.specificationText, "status": s.status.rawValue, "failed": s.status == .failed,
                "results": mine.map {
                    [
                        "value": $0.value.map { "\(Figure.text($0)) \(s.specification?.unit ?? "")" } ?? ($0.pass ? "pass" : "fail"),
                        "pass": $0.pass, "who": names[$0.analystID] ?? $0.analystID, "at": when($0.at), "reason": $0.reason ?? "",
                    ] as [String: Any]
                },
            ]
        }
        v["hasSamples"] = !samples.isEmpty
        v["tests"] = tests.map { ["test": $0.test, "spec": $0.specificationText] }
        v["canSample"] = Permissions.allows(user.role, .sampleMaterial) && lot.status == .quarantine && !tests.isEmpty
        let canDecide = Permissions.allows(user.role, .decideMaterial)
        let factor = try await store.secondFactorState(user)
        v["canRelease"] = canDecide && (lot.status == .sampled || lot.status == .quarantine)
        v["canReject"] = canDecide && lot.status != .rejected
        v["isRecall"] = lot.status == .released
        v["canRetest"] = canDecide && lot.status == .released
        v["needsCode"] = factor.enrolled || factor.enforced
        // Everything the lot touched: batches, their phases, their vials, and the deviations a recall opened.
        let allBatches = Array(Set(used.consumptions.map(\.batch))).sorted()
        let batchIDs = Array(allBatches.prefix(Genealogies.maxBatches))
        if allBatches.count > batchIDs.count { v["moreBatches"] = allBatches.count - batchIDs.count }
        var touched: [[String: Any]] = []
        var vials: [String: Double] = [:]
        for b in batchIDs {
            let record = try await store.batchRecord(user, batch: b)
            let count = Genealogies.vialsFilled(record.entries)
            if let count { vials[b] = count }
            let recalls = record.deviations.filter { $0.kind == .recall && $0.description.contains(id) }
            touched.append([
                "batch": b, "product": record.batch.product, "status": record.batch.status.words, "held": record.batch.status == .onHold,
                "phases": used.consumptions.filter { $0.batch == b }.map { "\($0.phase) (\(Figure.text($0.quantity)))" }.joined(separator: ", "),
                "vials": count.map { Figure.text($0) } ?? "not filled", "deviations": recalls.map { ["id": $0.id, "status": $0.status.words] },
            ])
        }
        v["touched"] = touched
        v["hasTouched"] = !touched.isEmpty
        v["recalled"] = lot.status == .rejected && !touched.isEmpty
        v["svg"] = Genealogies.forward(lot, used, vials: vials).svg(label: "Where lot \(lot.id) went")
        return site.page("lot", try await values(context, title: "Lot \(lot.id)", sections(v)), status: status)
    }
}

/// The genealogy graphs.
enum Genealogies {
    /// The batches a lot page details (each a whole batch record read); more are counted, not shown.
    static let maxBatches = 100

    /// The vials a batch filled: its latest "Vials filled" value not corrected since, if recorded.
    static func vialsFilled(_ entries: [BatchEntry]) -> Double? {
        let filled = entries.filter { $0.kind == .value && $0.parameter == "Vials filled" }
        let corrected = Set(filled.compactMap(\.corrects))
        return filled.last { !corrected.contains($0.id) }?.value
    }

    /// Back from a batch: material lots and equipment → the phases that used them → the batch → its vials.
    static func backward(_ r: GMPStore.BatchRecord) -> LayeredGraph {
        var inputs: [LayeredGraph.Node] = []
        var edges: [(from: String, to: String)] = []
        var seen = Set<String>()
        for c in r.genealogy.consumptions where seen.insert("lot:" + c.lot).inserted {
            inputs.append(.init(id: "lot:" + c.lot, title: "\(c.item)", detail: "lot \(c.lot) · \(c.supplier) \(c.supplierLot)", link: "/materials/lots/\(c.lot)", style: "material"))
        }
        for u in r.genealogy.equipment where seen.insert("eq:" + u.equipment).inserted {
            inputs.append(.init(id: "eq:" + u.equipment, title: u.equipment, detail: "equipment", style: "equipment"))
        }
        let used = Set(r.genealogy.consumptions.map(\.phase) + r.genealogy.equipment.map(\.phase))
        let phases = r.recipe.phases.filter { used.contains($0.id) }.map {
            LayeredGraph.Node(id: "phase:" + $0.id, title: "\($0.id) \($0.name)", detail: r.genealogy.phasesCompleted.contains($0.id) ? "performed" : "open", link: "/batches/\(r.batch.id)/phases/\($0.id)", style: "phase")
        }
        for c in r.genealogy.consumptions { edges.append(("lot:" + c.lot, "phase:" + c.phase)) }
        for u in r.genealogy.equipment { edges.append(("eq:" + u.equipment, "phase:" + u.phase)) }
        for p in phases { edges.append((p.id, "batch")) }
        let batch = LayeredGraph.Node(
            id: "batch", title: "Batch \(r.batch.id)", detail: "\(r.batch.product) · \(r.batch.status.words)", link: "/batches/\(r.batch.id)",
            style: r.batch.status == .onHold || r.batch.status == .rejected ? "bad" : "batch")
        var columns: [(title: String, nodes: [LayeredGraph.Node])] = [("Materials and equipment", inputs), ("Phases", phases), ("Batch", [batch])]
        if let vials = vialsFilled(r.entries) {
            columns.append(("Vials", [.init(id: "vials", title: "\(Figure.text(vials)) vials", detail: r.batch.status.words, style: "vials")]))
            edges.append(("batch", "vials"))
        }
        return LayeredGraph(columns: columns, edges: edges)
    }

    /// Forward from a lot: the lot → the batches (by phase) that used it → their vials.
    static func forward(_ lot: MaterialLot, _ used: Genealogy, vials: [String: Double]) -> LayeredGraph {
        let source = LayeredGraph.Node(
            id: "lot", title: lot.item, detail: "lot \(lot.id) · \(lot.status.rawValue)", style: lot.status == .rejected ? "bad" : "material")
        var batches: [LayeredGraph.Node] = []
        var filled: [LayeredGraph.Node] = []
        var edges: [(from: String, to: String)] = []
        for b in Array(Set(used.consumptions.map(\.batch))).sorted() {
            let c = used.consumptions.first { $0.batch == b }!
            batches.append(.init(
                id: "b:" + b, title: "Batch \(b)", detail: "\(c.batchStatus.words) · phase \(used.consumptions.filter { $0.batch == b }.map(\.phase).joined(separator: ", "))",
                link: "/batches/\(b)", style: c.batchStatus == .onHold || c.batchStatus == .rejected ? "bad" : "batch"))
            edges.append(("lot", "b:" + b))
            if let n = vials[b] {
                filled.append(.init(id: "v:" + b, title: "\(Figure.text(n)) vials", detail: "of batch \(b)", style: "vials"))
                edges.append(("b:" + b, "v:" + b))
            }
        }
        var columns: [(title: String, nodes: [LayeredGraph.Node])] = [("Lot", [source]), ("Batches", batches)]
        if !filled.isEmpty { columns.append(("Vials", filled)) }
        return LayeredGraph(columns: columns, edges: edges)
    }
}
