import Bioprocess
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Reporting
import Store

/// QA's release by exception: every blocker and every exception of the batch — out-of-range
/// entries, corrections, deviations, out-of-specification results and repeats, late entries —
/// with links to them, then the release signed with the password, its meaning and the second
/// factor. The profile page enrols an authenticator; the security page lets an administrator
/// make the second factor compulsory for a role and remove a lost authenticator.
extension PageRoutes {
    /// An entry recorded this long after its phase began is a late entry (written after the fact).
    static let lateEntry: TimeInterval = 12 * 3600

    /// What a release signature means, shown above the signature.
    static let releaseMeaning =
        "By signing I release this batch: I certify that it was manufactured and checked in accordance with its master recipe, its specifications and GMP, and that every deviation is closed."

    func addReleasePages(to pages: RouterGroup<AppContext>) {
        pages.get("/batches/:id/release") { _, context in
            try await releasePage(context, try context.requireIdentity().user, try context.parameter("id"), [:], status: .ok)
        }
        pages.post("/batches/:id/release") { request, context in
            let id = try context.parameter("id")
            return try await formPost(request, context, .releaseBatch) { form, user in
                if form["action"] == "resume" {
                    _ = try await store.resumeBatch(user, batch: id, reason: form["reason"] ?? "", password: form["password"] ?? "")
                    return Response(status: .seeOther, headers: [.location: "/batches/\(id)"])
                }
                _ = try await store.releaseBatch(user, batch: id, password: form["password"] ?? "", code: form["code"])
                return Response(status: .seeOther, headers: [.location: "/batches/\(id)/release"])
            } failed: { user, e in
                try await releasePage(context, user, id, ["message": e.sentence], status: e.status)
            }
        }
        pages.get("/profile") { _, context in
            try await profilePage(context, try context.requireIdentity().user, [:], status: .ok)
        }
        pages.post("/profile") { request, context in
            try await formPost(request, context, nil) { form, user in
                switch form["action"] ?? "" {
                case "enrol":
                    let (_, url) = try await store.beginEnrolment(user)
                    // The key as authenticator apps take it: base32, as in the address.
                    let secret = URLComponents(string: url)?.queryItems?.first { $0.name == "secret" }?.value ?? ""
                    let grouped = stride(from: 0, to: secret.count, by: 4).map { i -> String in
                        let start = secret.index(secret.startIndex, offsetBy: i)
                        return String(secret[start..<secret.index(start, offsetBy: min(4, secret.count - i))])
                    }.joined(separator: " ")
                    // The phone scans the address as a QR code (drawn here, nothing loaded).
                    let qr = try QRCode(url).svg(scale: 5, label: "QR code of the authenticator's address")
                    return try await profilePage(context, user, ["enrolment": ["secret": grouped, "url": url, "qr": qr]], status: .ok)
                case "confirm":
                    try await store.confirmEnrolment(user, password: form["password"] ?? "", code: form["code"] ?? "")
                    return try await profilePage(context, user, ["notice": "Your authenticator is enrolled: releases and approvals now ask for its code."], status: .ok)
                default:
                    throw GMPError(.invalid, "the form names no action")
                }
            } failed: { user, e in
                try await profilePage(context, user, ["message": e.sentence], status: e.status)
            }
        }
        pages.get("/admin/security") { _, context in
            let user = try context.requireIdentity().user
            guard Permissions.allows(user.role, .manageUsers) else { return try await refused(context, .manageUsers) }
            return try await securityPage(context, user, [:], status: .ok)
        }
        pages.post("/admin/security") { request, context in
            try await formPost(request, context, .manageUsers) { form, user in
                switch form["action"] ?? "" {
                case "policy":
                    guard let role = form["role"].flatMap({ Role(rawValue: $0) }) else { throw GMPError(.invalid, "choose a role") }
                    try await store.setSecondFactorPolicy(by: user, role: role, required: form["required"] == "yes", reason: form["reason"] ?? "")
                case "remove":
                    try await store.removeSecondFactor(by: user, userID: form["user"] ?? "", reason: form["reason"] ?? "")
                default:
                    throw GMPError(.invalid, "the form names no action")
                }
                return Response(status: .seeOther, headers: [.location: "/admin/security"])
            } failed: { user, e in
                try await securityPage(context, user, ["message": e.sentence], status: e.status)
            }
        }
    }

    func releasePage(_ context: AppContext, _ user: User, _ id: String, _ more: [String: Any], status: HTTPResponse.Status) async throws -> Response {
        let record: GMPStore.BatchRecord
        do { record = try await store.batchRecord(user, batch: id) } catch let e as GMPError { return try await gmpRefusal(context, e) }
        let names = try await userNames(user)
        var v = more
        v["batch"] = ["id": record.batch.id, "product": record.batch.product, "status": record.batch.status.words]
        if let environment = try await environmentSummary(user, entries: record.entries, deviations: record.deviations) { v["environment"] = environment }
        let blockers = record.releaseBlockers.filter { _ in record.batch.status != .released }
        v["blockers"] = blockers.map { b -> [String: Any] in
            let words = b.split(separator: " ")
            var link = ""
            if b.hasPrefix("phase "), words.count > 1 { link = "/batches/\(id)/phases/\(words[1])" }
            if b.hasPrefix("deviation "), words.count > 1 { link = "/deviations/\(words[1])" }
            if b.contains("release test") { link = "/qc" }
            return ["text": b, "link": link]
        }
        v["hasBlockers"] = !blockers.isEmpty
        let exceptions = ReleaseExceptions.of(record, names: names, lateAfter: Self.lateEntry)
        v["exceptions"] = exceptions.map { ["kind": $0.kind, "text": $0.text, "link": $0.link, "who": $0.who, "at": when($0.at)] }
        v["hasExceptions"] = !exceptions.isEmpty
        v["exceptionCount"] = exceptions.count
        v["signatures"] = record.signatures.filter { $0.entity == "batch" }.map { ["meaning": $0.meaning.rawValue, "who": $0.fullName, "at": when($0.at)] }
        let canRelease = Permissions.allows(user.role, .releaseBatch)
        let factor = try await store.secondFactorState(user)
        v["canRelease"] = canRelease && record.releaseBlockers.isEmpty
        v["canResume"] = canRelease && record.batch.status == .onHold
        v["released"] = record.batch.status == .released
        v["needsCode"] = factor.enrolled || factor.enforced
        v["mustEnrol"] = factor.enforced && !factor.enrolled
        v["meaning"] = Self.releaseMeaning
        return site.page("release", try await values(context, title: "Release of batch \(id)", sections(v)), status: status)
    }

    func profilePage(_ context: AppContext, _ user: User, _ more: [String: Any], status: HTTPResponse.Status) async throws -> Response {
        let factor = try await store.secondFactorState(user)
        var v = more
        v["person"] = ["name": user.fullName, "username": user.username, "role": user.role.title]
        v["enrolled"] = factor.enrolled
        v["enforced"] = factor.enforced
        v["canManage"] = Permissions.allows(user.role, .manageUsers)
        return site.page("profile", try await values(context, title: "Your profile", sections(v)), status: status)
    }

    func securityPage(_ context: AppContext, _ user: User, _ more: [String: Any], status: HTTPResponse.Status) async throws -> Response {
        let policies = try await store.secondFactorPolicies(user)
        let enrolled = try await store.enrolledUsers(user)
        var v = more
        v["roles"] = Role.allCases.map { ["role": $0.rawValue, "title": $0.title, "required": policies[$0] ?? false] }
        v["people"] = try await store.users(user).map {
            ["id": $0.id, "name": $0.fullName, "username": $0.username, "role": $0.role.title, "enrolled": enrolled.contains($0.id), "active": $0.active]
        }
        return site.page("security", try await values(context, title: "Signature security", sections(v)), status: status)
    }
}

/// The exceptions of a batch record QA reviews by exception: every entry or result that is not
/// "as expected", with where to see it.
enum ReleaseExceptions {
    struct Item {
        var kind: String
        var text: String
        var link: String
        var who: String
        var at: String
    }

    static func of(_ r: GMPStore.BatchRecord, names: [String: String], lateAfter: TimeInterval) -> [Item] {
        var items: [Item] = []
        let id = r.batch.id
        let phaseLink = { (p: String) in "/batches/\(id)/phases/\(p)" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func date(_ s: String) -> Date? { formatter.date(from: s) ?? ISO8601DateFormatter().date(from: s) }
        var phaseStart: [String: Date] = [:]
        for e in r.entries.sorted(by: { $0.at < $1.at }) {
            if phaseStart[e.phaseID] == nil, let d = date(e.at) { phaseStart[e.phaseID] = d }
        }
        for e in r.entries {
            let who = names[e.userID] ?? e.userID
            let spec = r.recipe.phase(e.phaseID)?.parameters.first { $0.name == e.parameter }
            if e.kind == .value, e.inRange == false {
                items.append(Item(
                    kind: "out of range", text: "phase \(e.phaseID): \(e.parameter ?? "") = \(e.value.map { Figure.text($0) } ?? "") \(spec?.unit ?? ""), range \(spec?.rangeText ?? "")",
                    link: phaseLink(e.phaseID), who: who, at: e.at))
            }
            if let corrected = e.corrects {
                let old = r.entries.first { $0.id == corrected }?.value.map { Figure.text($0) } ?? "?"
                items.append(Item(
                    kind: "correction", text: "phase \(e.phaseID): \(e.parameter ?? "") \(old) → \(e.value.map { Figure.text($0) } ?? "") — \(e.reason ?? "")",
                    link: phaseLink(e.phaseID), who: who, at: e.at))
            }
            if let start = phaseStart[e.phaseID], let at = date(e.at), at.timeIntervalSince(start) > lateAfter, e.kind != .verification {
                let hours = Int(at.timeIntervalSince(start) / 3600)
                items.append(Item(
                    kind: "late entry", text: "phase \(e.phaseID): \(e.kind.rawValue)\(e.parameter.map { " \($0)" } ?? "") recorded \(hours) h after the phase began",
                    link: phaseLink(e.phaseID), who: who, at: e.at))
            }
        }
        let samples = Dictionary(r.samples.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for result in r.results {
            guard let s = samples[result.sampleID] else { continue }
            let value = result.value.map { "\(Figure.text($0)) \(s.specification?.unit ?? "")" } ?? (result.pass ? "pass" : "fail")
            if !result.pass {
                items.append(Item(
                    kind: "out of specification", text: "\(s.test) = \(value), specification \(s.specificationText)",
                    link: "/qc/trends?sample=\(s.id)", who: names[result.analystID] ?? result.analystID, at: result.at))
            }
            if let reason = result.reason {
                items.append(Item(
                    kind: "repeat", text: "\(s.test) tested again = \(value) — \(reason)", link: "/qc/trends?sample=\(s.id)",
                    who: names[result.analystID] ?? result.analystID, at: result.at))
            }
        }
        for d in r.deviations {
            items.append(Item(
                kind: "deviation", text: "\(d.id) (\(d.kind.title)\(d.classification.map { ", \($0.rawValue)" } ?? "")), \(d.status.words): \(d.description)",
                link: "/deviations/\(d.id)", who: d.openedBy.flatMap { names[$0] } ?? "", at: d.openedAt ?? ""))
        }
        return items.sorted { $0.at < $1.at }
    }
}
