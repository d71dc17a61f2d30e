import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Store

/// The audit trail: entries filtered by entity, record, person and dates (the store's filter,
/// at most 500 a page, newest last), and — for the roles that may — the chain recomputed, every
/// entry or record edited behind the application's back named.
extension PageRoutes {
    func addAuditPages(to pages: RouterGroup<AppContext>) {
        pages.get("/audit") { request, context in
            let user = try context.requireIdentity().user
            let q = request.uri.queryParameters
            func text(_ k: String) -> String? { q.get(k).flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : String($0.prefix(100)) } }
            let people = try await store.users(user)
            let names = Dictionary(people.map { ($0.id, $0.fullName) }, uniquingKeysWith: { a, _ in a })
            var v: [String: Any] = [
                "entity": text("entity") ?? "", "id": text("id") ?? "", "from": text("from") ?? "", "to": text("to") ?? "",
                "people": people.map { ["id": $0.id, "name": $0.fullName, "selected": $0.id == text("user")] },
                "canVerify": Permissions.allows(user.role, .verifyAudit),
            ]
            var status = HTTPResponse.Status.ok
            for key in ["from", "to"] {
                if let d = text(key), d.range(of: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", options: .regularExpression) == nil {
                    v["message"] = "\(key) must be a date written YYYY-MM-DD, not \(d)"
                    status = .badRequest
                }
            }
            if status == .ok {
                let entries = try await store.auditTrail(
                    user,
                    GMPStore.AuditFilter(
                        entity: text("entity"), id: text("id"), userID: text("user"), from: text("from"), to: text("to").map { $0 + "T23:59:59.999Z" },
                        limit: 500))
                let shown = entries.filter { $0.action != .seal || text("entity") != nil }
                v["entries"] = shown.map {
                    [
                        "sequence": $0.sequence, "at": $0.at, "who": names[$0.userID] ?? $0.userID, "action": $0.action.rawValue,
                        "entity": $0.entity, "entityID": $0.entityID, "field": $0.field ?? "", "old": $0.oldValue ?? "", "new": $0.newValue ?? "",
                        "reason": $0.reason ?? "",
                    ]
                }
                v["count"] = shown.count
                // A section shows for any value, zero too: the key only when there are seals.
                if entries.count > shown.count { v["seals"] = entries.count - shown.count }
                v["limited"] = entries.count == 500
            }
            if q.get("verify") == "yes" {
                guard Permissions.allows(user.role, .verifyAudit) else { return try await refused(context, .verifyAudit) }
                let problems = try await store.verifyAudit(by: user)
                v["verification"] = ["ok": problems.isEmpty, "problems": problems, "count": problems.count]
            }
            return site.page("audit", try await values(context, title: "Audit trail", v), status: status)
        }
    }
}
