import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Store

/// Deviations: the list and the board by status (classification, age, open actions), one
/// deviation with its investigation (classification, root cause), its corrective and preventive
/// actions with owners and due dates, and each step signed — closure by QA, with the second factor
/// when the signer has one. The rules are the store's (``DeviationRules``).
extension PageRoutes {
    func addDeviationPages(to pages: RouterGroup<AppContext>) {
        pages.get("/deviations") { request, context in
            let user = try context.requireIdentity().user
            let q = request.uri.queryParameters
            return try await deviationsPage(
                context, user, ["batch": q.get("batch") ?? "", "classification": q.get("classification") ?? ""], [:], status: .ok)
        }
        pages.post("/deviations") { request, context in
            try await formPost(request, context, .openDeviation) { form, user in
                let batch = (form["batch"] ?? "").trimmingCharacters(in: .whitespaces)
                let d = try await store.openDeviation(user, batch: batch.isEmpty ? nil : batch, description: form["description"] ?? "")
                return Response(status: .seeOther, headers: [.location: "/deviations/\(d.id)"])
            } failed: { user, e in
                try await deviationsPage(context, user, [:], ["message": e.sentence], status: e.status)
            }
        }
        pages.get("/deviations/:id") { _, context in
            let user = try context.requireIdentity().user
            return try await deviationPage(context, user, try context.parameter("id"), [:], status: .ok)
        }
        pages.post("/deviations/:id") { request, context in
            let id = try context.parameter("id")
            return try await formPost(request, context, nil) { form, user in
                switch form["action"] ?? "" {
                case "findings":
                    try store.authorize(user, .investigateDeviation)
                    let cls = form["classification"].flatMap { DeviationClass(rawValue: $0) }
                    let cause = form["rootCause"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
                    _ = try await store.investigateDeviation(user, id: id, classification: cls, rootCause: cause, reason: form["reason"] ?? "")
                case "add-action":
                    try store.authorize(user, .investigateDeviation)
                    _ = try await store.addAction(user, deviation: id, action: form["text"] ?? "", owner: form["owner"] ?? "", due: form["due"] ?? "")
                case "action-done":
                    _ = try await store.completeAction(user, action: form["capa"] ?? "", note: form["note"] ?? "")
                case "advance":
                    guard let to = form["to"].flatMap({ DeviationStatus(rawValue: $0) }) else { throw GMPError(.invalid, "the form names no step") }
                    try store.authorize(user, to == .closed ? .closeDeviation : .investigateDeviation)
                    _ = try await store.advanceDeviation(user, id: id, to: to, note: form["note"] ?? "", password: form["password"] ?? "", code: form["code"])
                default:
                    throw GMPError(.invalid, "the form names no action")
                }
                return Response(status: .seeOther, headers: [.location: "/deviations/\(id)"])
            } failed: { user, e in
                try await deviationPage(context, user, id, ["message": e.sentence], status: e.status)
            }
        }
    }

    /// The list, filtered, and the board of the same deviations by status.
    func deviationsPage(
        _ context: AppContext, _ user: User, _ q: [String: String], _ more: [String: Any], status: HTTPResponse.Status
    ) async throws -> Response {
        let batch = q["batch"].flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
        let cls = q["classification"].flatMap { DeviationClass(rawValue: $0) }
        let all = try await store.deviations(user, batch: batch, status: nil, page: Page(limit: 1000, offset: 0))
        let shown = all.filter { cls == nil || $0.classification == cls }
        let actions = try await store.actions(user, status: .open, page: Page(limit: 1000, offset: 0))
        let names = try await userNames(user)
        let today = Site.today()
        func card(_ d: Deviation) -> [String: Any] {
            let mine = actions.filter { $0.deviationID == d.id }
            return [
                "id": d.id, "kind": d.kind.title, "classification": d.classification?.rawValue ?? "", "classified": d.classification != nil,
                "batch": d.batchID ?? "", "description": d.description.count > 140 ? d.description.prefix(139) + "…" : d.description,
                "opened": String((d.openedAt ?? "").prefix(10)), "openActions": mine.count,
                "overdue": mine.contains { $0.overdue(today: today) }, "status": d.status.words,
            ]
        }
        var v = more
        v["columns"] = DeviationStatus.allCases.map { s in
            let these = shown.filter { $0.status == s }
            return ["name": s.title, "count": these.count, "cards": these.reversed().map(card)]
        }
        v["rows"] = shown.reversed().map(card)
        v["hasRows"] = !shown.isEmpty
        v["batch"] = batch ?? ""
        v["classes"] = DeviationClass.allCases.map { ["value": $0.rawValue, "selected": $0 == cls] }
        let byID = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        v["actions"] = actions.map {
            [
                "id": $0.id, "deviation": $0.deviationID, "action": $0.action, "owner": names[$0.ownerID] ?? $0.ownerID, "due": $0.due,
                "overdue": $0.overdue(today: today), "mine": $0.ownerID == user.id, "batch": byID[$0.deviationID]?.batchID ?? "",
            ] as [String: Any]
        }
        v["hasActions"] = !actions.isEmpty
        v["canOpen"] = Permissions.allows(user.role, .openDeviation)
        return site.page("deviations", try await values(context, title: "Deviations", sections(v)), status: status)
    }

    func deviationPage(
        _ context: AppContext, _ user: User, _ id: String, _ more: [String: Any], status: HTTPResponse.Status
    ) async throws -> Response {
        let d: Deviation, actions: [CAPAAction], signatures: [Signature]
        do { (d, actions, signatures) = try await store.deviation(user, id: id) } catch let e as GMPError { return try await gmpRefusal(context, e) }
        let people = try await store.users(user)
        let names = Dictionary(people.map { ($0.id, $0.fullName) }, uniquingKeysWith: { a, _ in a })
        let today = Site.today()
        let canInvestigate = Permissions.allows(user.role, .investigateDeviation)
        var v = more
        v["deviation"] = [
            "id": d.id, "kind": d.kind.title, "description": d.description, "status": d.status.words, "batch": d.batchID ?? "",
            "sample": d.sampleID ?? "", "classification": d.classification?.rawValue ?? "", "rootCause": d.rootCause ?? "",
            "opened": d.openedAt.map(when) ?? "", "openedBy": d.openedBy.flatMap { names[$0] } ?? d.openedBy ?? "",
            "alarm": d.alarmID ?? "",
        ] as [String: Any]
        v["steps"] = DeviationStatus.allCases.map { s in
            ["name": s.title, "done": DeviationStatus.allCases.firstIndex(of: s)! <= DeviationStatus.allCases.firstIndex(of: d.status)!, "current": s == d.status]
        }
        let findingsOpen = d.status == .open || d.status == .investigation
        v["canFindings"] = canInvestigate && findingsOpen
        v["classes"] = DeviationClass.allCases.map { ["value": $0.rawValue, "selected": $0 == d.classification] }
        v["hasFindings"] = d.classification != nil || d.rootCause != nil
        v["actions"] = actions.map { a -> [String: Any] in
            [
                "id": a.id, "action": a.action, "owner": names[a.ownerID] ?? a.ownerID, "due": a.due, "done": a.status == .done,
                "overdue": a.overdue(today: today), "doneNote": a.doneNote ?? "", "doneAt": a.doneAt.map(when) ?? "",
                "canDone": a.status == .open && d.status != .closed && (a.ownerID == user.id || user.role == .qa),
            ]
        }
        v["hasActions"] = !actions.isEmpty
        v["canAddAction"] = canInvestigate && (d.status == .investigation || d.status == .capa)
        v["owners"] = people.filter { $0.active && $0.role != .administrator }.map { ["id": $0.id, "name": "\($0.fullName) (\($0.role.title))"] }
        v["today"] = today
        if let next = d.status.next, Permissions.allows(user.role, next == .closed ? .closeDeviation : .investigateDeviation) {
            let factor = try await store.secondFactorState(user)
            v["advance"] = [
                "to": next.rawValue, "name": next.title, "meaning": DeviationRules.meaning(of: next).rawValue,
                "needsCode": SecondFactorRules.meanings.contains(DeviationRules.meaning(of: next)) && (factor.enrolled || factor.enforced),
            ] as [String: Any]
        }
        v["signatures"] = signatures.map { ["meaning": $0.meaning.rawValue, "who": $0.fullName, "at": when($0.at)] }
        v["hasSignatures"] = !signatures.isEmpty
        return site.page("deviation", try await values(context, title: "Deviation \(d.id)", sections(v)), status: status)
    }

    /// A form post: the session's CSRF token, the role's permission (when one action is the
    /// whole form's), then `body`; a refusal by the rules re-renders the page through `failed`.
    func formPost(
        _ request: Request, _ context: AppContext, _ action: Action?, _ body: (Form, User) async throws -> Response,
        failed: (User, GMPError) async throws -> Response
    ) async throws -> Response {
        let form = try await Form(request, context: context)
        let identity = try context.requireIdentity()
        guard Cookies.matches(form["csrf"], Cookies.csrf(for: identity.token)) else { return try await outOfDate(context) }
        if let action, !Permissions.allows(identity.user.role, action) { return try await refused(context, action) }
        do {
            return try await body(form, identity.user)
        } catch let e as GMPError where e.kind == .forbidden {
            return try await gmpRefusal(context, e)
        } catch let e as GMPError {
            return try await failed(identity.user, e)
        }
    }

    func userNames(_ user: User) async throws -> [String: String] {
        Dictionary(try await store.users(user).map { ($0.id, $0.fullName) }, uniquingKeysWith: { a, _ in a })
    }
}

extension GMPError {
    /// The refusal as a sentence: capitalised, with its full stop.
    var sentence: String { description.prefix(1).uppercased() + description.dropFirst() + "." }
}

extension DeviationStatus {
    var title: String {
        switch self {
        case .open: "Open"
        case .investigation: "Investigation"
        case .capa: "CAPA"
        case .closed: "Closed"
        }
    }
}

extension DeviationKind {
    var title: String {
        switch self {
        case .process: "process"
        case .oos: "out of specification"
        case .recall: "material recall"
        case .excursion: "environmental or equipment excursion"
        }
    }
}
