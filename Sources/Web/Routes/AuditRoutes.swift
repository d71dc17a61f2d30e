import APIBodies
import Hummingbird
import Store

/// The audit trail, filtered, and its verification.
struct AuditRoutes {
    let store: GMPStore

    func addRoutes(to audit: RouterGroup<AppContext>) {
        audit.get { request, context in
            let q = request.uri.queryParameters
            let limitText = q.get("limit") ?? "1000"
            guard let limit = Int(limitText), (1...10_000).contains(limit) else {
                throw BadRequest(message: "limit must be a whole number from 1 to 10000")
            }
            var after: Int?
            if let text = q.get("after") {
                guard let n = Int(text), n >= 0 else { throw BadRequest(message: "after must be a sequence number of 0 or more") }
                after = n
            }
            let filter = GMPStore.AuditFilter(
                entity: q.get("entity"), id: q.get("id"), userID: q.get("user"), from: q.get("from"), to: q.get("to"),
                after: after, limit: limit)
            return try json(try await store.auditTrail(try context.signedIn(), filter))
        }
        audit.get("verify") { _, context in
            let problems = try await store.verifyAudit(by: try context.signedIn())
            return try json(Problems(ok: problems.isEmpty, problems: problems))
        }
    }
}
