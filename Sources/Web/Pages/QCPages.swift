import Bioprocess
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Store

/// The QC lab: the worklist by panel (samples waiting for a result, and failed ones a repeat may
/// follow), result entry against the specification with an out-of-specification value flagged as
/// it is typed, and a repeat with its reason. The rules (who, when a repeat needs a reason, the
/// OOS deviation) are the store's.
extension PageRoutes {
    func addQCPages(to pages: RouterGroup<AppContext>) {
        pages.get("/qc") { _, context in
            let user = try context.requireIdentity().user
            return try await qcPage(context, user, [:], status: .ok)
        }
        // A batch sampled for every release test of its recipe not sampled yet (the panels).
        pages.post("/qc/batches/:id/samples") { request, context in
            let id = try context.parameter("id")
            return try await formPost(request, context, .createSample) { _, user in
                let (batch, recipe, _) = try await loadBatch(user, id)
                let taken = try await store.samples(user, batch: id, page: Page(limit: 1000, offset: 0))
                var made = 0
                for t in recipe.releaseTests where !taken.contains(where: { $0.test == t.test && $0.panel == t.panel }) {
                    _ = try await store.createSample(user, batch: batch.id, materialLot: nil, test: t.test, panel: t.panel)
                    made += 1
                }
                return try await qcPage(context, user, ["notice": "Batch \(id): \(made) release sample(s) taken."], status: .ok)
            } failed: { user, e in
                try await qcPage(context, user, ["message": e.sentence], status: e.status)
            }
        }
        pages.post("/qc/samples/:id") { request, context in
            let form = try await Form(request, context: context)
            let identity = try context.requireIdentity()
            guard Cookies.matches(form["csrf"], Cookies.csrf(for: identity.token)) else { return try await outOfDate(context) }
            guard Permissions.allows(identity.user.role, .recordResult) else { return try await refused(context, .recordResult) }
            let id = try context.parameter("id")
            do {
                var value: Double?
                var pass: Bool?
                if let text = form["value"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
                    guard let v = Double(text), v.isFinite else { throw GMPError(.invalid, "the result must be a number, such as 1.2e13") }
                    value = v
                }
                if let p = form["pass"] { pass = p == "yes" }
                let reason = form["reason"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
                let (result, deviation) = try await store.recordResult(identity.user, sample: id, value: value, pass: pass, reason: reason)
                let message = result.pass ? "Result recorded: within specification." : "Result recorded: out of specification — deviation \(deviation?.id ?? "") opened."
                return try await qcPage(context, identity.user, [result.pass ? "notice" : "alert": message], status: .ok)
            } catch let e as GMPError {
                return try await qcPage(context, identity.user, ["message": e.description.prefix(1).uppercased() + e.description.dropFirst() + ".", "failedSample": id], status: e.status)
            }
        }
    }

    func qcPage(_ context: AppContext, _ user: User, _ more: [String: Any], status: HTTPResponse.Status) async throws -> Response {
        // Batches whose release panels are not all sampled yet: complete ones, and those in progress.
        var awaiting: [[String: Any]] = []
        if Permissions.allows(user.role, .createSample) {
            for status in [BatchStatus.complete, .inProgress] {
                for b in try await store.batches(user, status: status, page: Page(limit: 50, offset: 0)) {
                    let recipe = try await store.recipe(user, id: b.recipeID).recipe
                    let taken = try await store.samples(user, batch: b.id, page: Page(limit: 1000, offset: 0))
                    let missing = recipe.releaseTests.filter { t in !taken.contains { $0.test == t.test && $0.panel == t.panel } }.count
                    if missing > 0 { awaiting.append(["id": b.id, "product": b.product, "status": b.status.words, "missing": missing]) }
                }
            }
        }
        let pending = try await store.samples(user, status: .pending, page: Page(limit: 500, offset: 0))
        let failed = try await store.samples(user, status: .failed, page: Page(limit: 200, offset: 0))
        let canRecord = Permissions.allows(user.role, .recordResult)
        func row(_ s: QCSample, repeat isRepeat: Bool) -> [String: Any] {
            var v: [String: Any] = [
                "id": s.id, "test": s.test, "of": s.batchID.map { "batch \($0)" } ?? s.materialLot.map { "lot \($0)" } ?? "",
                "specification": s.specificationText, "isRepeat": isRepeat, "canRecord": canRecord,
            ]
            switch s.specification {
            case .range(let low, let high, let unit)?:
                v["range"] = ["low": low.map { Figure.text($0) } ?? "-1e308", "high": high.map { Figure.text($0) } ?? "1e308", "unit": unit]
            case .passFail?, nil:
                v["passFail"] = true
            }
            return v
        }
        let groups: [(String, [QCSample])] = [
            ("Drug substance panel", pending.filter { $0.panel == .drugSubstance }), ("Drug product panel", pending.filter { $0.panel == .drugProduct }),
            ("In process", pending.filter { $0.panel == nil && $0.batchID != nil }), ("Materials", pending.filter { $0.materialLot != nil }),
        ]
        var v = more
        v["panels"] = groups.filter { !$0.1.isEmpty }.map { ["name": $0.0, "count": $0.1.count, "samples": $0.1.map { row($0, repeat: false) }] }
        v["failed"] = failed.map { row($0, repeat: true) }
        v["hasFailed"] = !failed.isEmpty
        v["empty"] = pending.isEmpty
        v["awaiting"] = awaiting
        v["hasAwaiting"] = !awaiting.isEmpty
        return site.page("qc", try await values(context, title: "QC lab", v), status: status)
    }
}
