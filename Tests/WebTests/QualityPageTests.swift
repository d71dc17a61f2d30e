import Bioprocess
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdOTP
import HummingbirdTesting
import Manufacturing
import Store
import Testing
import VectorFabCommands

@testable import Web

/// Deviations, release by exception with the second factor, materials with recall, the printed
/// record, genealogy, trends and BatchML — through the pages, as people use them.
struct QualityPageTests {
    typealias P = PageTests

    /// The authenticator's key from its base32 text (RFC 4648, no padding).
    static func base32Decoded(_ text: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = 0, value = 0
        var bytes: [UInt8] = []
        for c in text.uppercased() {
            guard let i = alphabet.firstIndex(of: c) else { continue }
            value = (value << 5) | i
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((value >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func code(_ secret: String, at date: Date = Date()) -> String {
        let v = TOTP(secret: secret).compute(date: date)
        return String(repeating: "0", count: 6 - String(v).count) + String(v)
    }

    /// An approved recipe, released lots of every material (Demo.history) and released batches.
    static func world(batches: Int) async throws -> (World, RecipeRecord, [String: MaterialLot], [Batch]) {
        let w = try await World.make()
        let s = w.store
        let draft = try await s.createRecipe(
            w.users[.supervisor]!, try RecipeGenerator.generate(try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml"))))
        let recipe = try await s.approveRecipe(w.users[.qa]!, id: draft.id, password: password)
        let passwords = Dictionary(Role.allCases.map { ($0, password) }, uniquingKeysWith: { a, _ in a })
        let (lots, made) = try await Demo.history(s, users: w.users, passwords: passwords, recipe: recipe, batches: batches)
        return (w, recipe, lots, made)
    }

    @Test func aDeviationIsInvestigatedGivenActionsAndClosedByQAOnThePages() async throws {
        let (w, _, _, made) = try await Self.world(batches: 1)
        let batch = try #require(made.first)
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        try await app.test(.router) { client in
            let olga = try await P.signIn(client, "olga")
            let list = try await P.get(client, "/deviations", cookies: ["vf_session": olga])
            #expect(list.status == .ok && list.html.contains("Open a deviation"))
            let opened = try await P.post(
                client, "/deviations", ["csrf": try #require(list.csrf), "batch": batch.id, "description": "Door of the isolator found open"],
                cookies: ["vf_session": olga])
            #expect(opened.status == .seeOther)
            let path = try #require(opened.headers[.location])
            let id = String(path.dropFirst("/deviations/".count))
            // A released batch a deviation is opened on is not on hold by the page's doing; the board shows it open.
            let board = try await P.get(client, "/deviations?batch=\(batch.id)", cookies: ["vf_session": olga])
            #expect(board.html.contains("Open <span class=\"muted\">(1)</span>") && board.html.contains("Door of the isolator"))
            let eve = try await P.signIn(client, "eve")
            #expect(try await P.post(client, "/deviations", ["csrf": try #require(try await P.get(client, "/deviations", cookies: ["vf_session": eve]).csrf), "description": "x"], cookies: ["vf_session": eve]).status == .forbidden)
            // The supervisor investigates: the step signed, the findings, an action with its owner and due date.
            let sam = try await P.signIn(client, "sam")
            let page = try await P.get(client, path, cookies: ["vf_session": sam])
            let csrf = try #require(page.csrf)
            #expect(page.html.contains("Next: Investigation") == false && page.html.contains("Next step: Investigation"))
            #expect(try await P.post(client, path, ["csrf": csrf, "action": "advance", "to": "investigation", "note": "started", "password": "wrong"], cookies: ["vf_session": sam]).status == .unauthorized)
            #expect(try await P.post(client, path, ["csrf": csrf, "action": "advance", "to": "investigation", "note": "started", "password": password], cookies: ["vf_session": sam]).status == .seeOther)
            #expect(try await P.post(client, path, ["csrf": csrf, "action": "findings", "classification": "major", "rootCause": "interlock bypassed"], cookies: ["vf_session": sam]).status == .seeOther)
            let early = try await P.post(client, path, ["csrf": csrf, "action": "add-action", "text": "Repair the interlock", "owner": w.users[.supervisor]!.id, "due": "2020-01-01"], cookies: ["vf_session": sam])
            #expect(early.status == .conflict && early.html.contains("before today"))
            #expect(try await P.post(client, path, ["csrf": csrf, "action": "add-action", "text": "Repair the interlock", "owner": w.users[.supervisor]!.id, "due": "2099-01-01"], cookies: ["vf_session": sam]).status == .seeOther)
            // An operator takes no part in the investigation.
            #expect(try await P.post(client, path, ["csrf": try #require(try await P.get(client, path, cookies: ["vf_session": olga]).csrf), "action": "findings", "classification": "minor"], cookies: ["vf_session": olga]).status == .forbidden)
            let alex = try await P.signIn(client, "alex")
            let qaCSRF = try #require(try await P.get(client, path, cookies: ["vf_session": alex]).csrf)
            #expect(try await P.post(client, path, ["csrf": qaCSRF, "action": "advance", "to": "capa", "note": "plan agreed", "password": password], cookies: ["vf_session": alex]).status == .seeOther)
            let blocked = try await P.post(client, path, ["csrf": qaCSRF, "action": "advance", "to": "closed", "note": "done", "password": password], cookies: ["vf_session": alex])
            #expect(blocked.status == .conflict && blocked.html.contains("is not done (due 2099-01-01)"))
            let action = try #require(try await w.store.deviation(w.users[.qa]!, id: id).actions.first)
            #expect(try await P.post(client, path, ["csrf": csrf, "action": "action-done", "capa": action.id, "note": "interlock replaced, tested"], cookies: ["vf_session": sam]).status == .seeOther)
            #expect(try await P.post(client, path, ["csrf": qaCSRF, "action": "advance", "to": "closed", "note": "effective", "password": password], cookies: ["vf_session": alex]).status == .seeOther)
            let closed = try await P.get(client, path, cookies: ["vf_session": alex])
            #expect(closed.html.contains("interlock bypassed") && closed.html.contains("interlock replaced, tested"))
            #expect(closed.html.contains("approved by Alex") && !closed.html.contains("Next step"))
            #expect(try await w.store.deviation(w.users[.qa]!, id: id).deviation.status == .closed)
        }
    }

    @Test func qaReleasesByExceptionWithTheAuthenticatorsCode() async throws {
        let (w, recipe, lots, _) = try await Self.world(batches: 0)
        let s = w.store
        let op = w.users[.operator]!, sup = w.users[.supervisor]!, qc = w.users[.qcAnalyst]!, qa = w.users[.qa]!
        let batch = try await s.createBatch(sup, recipeID: recipe.id)
        for (k, phase) in recipe.recipe.phases.enumerated() {
            for p in phase.parameters {
                let (entry, _) = try await s.recordValue(op, batch: batch.id, phase: phase.id, parameter: p.name, value: p.target)
                if k == 0 { _ = try await s.correctEntry(op, entry: entry.id, value: p.high * 2, reason: "typed the wrong row") }
            }
            for m in phase.materials where m.quantity > 0 {
                _ = try await s.consumeMaterial(op, batch: batch.id, phase: phase.id, lot: lots[m.item]!.id, quantity: m.quantity)
            }
            _ = try await s.completePhase(op, batch: batch.id, phase: phase.id, password: password)
            try await s.verifyPhase(sup, batch: batch.id, phase: phase.id, password: password)
        }
        for test in recipe.recipe.releaseTests {
            let sample = try await s.createSample(qc, batch: batch.id, materialLot: nil, test: test.test, panel: test.panel)
            let spec = test.specification
            if let low = spec.low, spec.high == nil {
                _ = try await s.recordResult(qc, sample: sample.id, value: low / 2, pass: nil)
                _ = try await s.recordResult(qc, sample: sample.id, value: low * 2, pass: nil, reason: "sample thawed twice: invalid")
            } else if spec.isRange {
                _ = try await s.recordResult(qc, sample: sample.id, value: ((spec.low ?? 0) + (spec.high ?? 0)) / 2, pass: nil)
            } else {
                _ = try await s.recordResult(qc, sample: sample.id, value: nil, pass: true)
            }
        }
        let app = Application(router: API.router(store: s, site: try await P.site()))
        try await app.test(.router) { client in
            let alex = try await P.signIn(client, "alex")
            let path = "/batches/\(batch.id)/release"
            let review = try await P.get(client, path, cookies: ["vf_session": alex])
            #expect(review.status == .ok)
            for kind in ["out of range", "correction", "out of specification", "repeat", "deviation"] {
                #expect(review.html.contains("<td class=\"nowrap\">\(kind)</td>"), "exception \(kind) listed")
            }
            #expect(review.html.contains("typed the wrong row") && review.html.contains("sample thawed twice"))
            #expect(review.html.contains("href=\"/deviations/dev-"), "blockers link to their deviations")
            #expect(!review.html.contains("Sign: batch released"), "no release while deviations are open")
            // Close the deviations, then enrol an authenticator on the profile page.
            for d in try await s.deviations(qa, batch: batch.id) {
                _ = try await s.advanceDeviation(sup, id: d.id, to: .investigation, note: "n", password: password)
                _ = try await s.investigateDeviation(sup, id: d.id, classification: .minor, rootCause: "see note", reason: "")
                _ = try await s.advanceDeviation(qa, id: d.id, to: .capa, note: "n", password: password)
                _ = try await s.advanceDeviation(qa, id: d.id, to: .closed, note: "n", password: password)
            }
            let profile = try await P.get(client, "/profile", cookies: ["vf_session": alex])
            let enrol = try await P.post(client, "/profile", ["csrf": try #require(profile.csrf), "action": "enrol"], cookies: ["vf_session": alex])
            let shown = try #require(enrol.html.range(of: #"<p class="secret"><code>"#))
            let shownKey = String(enrol.html[shown.upperBound...].prefix { $0 != "<" }).replacingOccurrences(of: " ", with: "")
            #expect(enrol.html.contains("otpauth://totp/VectorFab:alex?secret=\(shownKey)"), "the key shown is the address's")
            let secret = Self.base32Decoded(shownKey)
            #expect(secret.count == 20)
            let confirmed = try await P.post(
                client, "/profile", ["csrf": try #require(profile.csrf), "action": "confirm", "password": password, "code": Self.code(secret, at: Date().addingTimeInterval(-30))],
                cookies: ["vf_session": alex])
            #expect(confirmed.status == .ok && confirmed.html.contains("authenticator is enrolled"))
            let ready = try await P.get(client, path, cookies: ["vf_session": alex])
            #expect(ready.html.contains("Sign: batch released") && ready.html.contains("name=\"code\""))
            #expect(ready.html.contains("I certify"), "the meaning is shown with the signature")
            let noCode = try await P.post(client, path, ["csrf": try #require(ready.csrf), "action": "release", "password": password], cookies: ["vf_session": alex])
            #expect(noCode.status == .unauthorized && noCode.html.contains("6-digit code"))
            #expect(try await s.batch(qa, id: batch.id).batch.status == .complete)
            let released = try await P.post(
                client, path, ["csrf": try #require(ready.csrf), "action": "release", "password": password, "code": Self.code(secret)], cookies: ["vf_session": alex])
            #expect(released.status == .seeOther)
            #expect(try await s.batch(qa, id: batch.id).batch.status == .released)
            // The administrator sees the enrolment and can make the second factor compulsory for a role.
            let ada = try await P.signIn(client, "admin")
            let security = try await P.get(client, "/admin/security", cookies: ["vf_session": ada])
            #expect(security.html.contains("enrolled"))
            #expect(try await P.post(client, "/admin/security", ["csrf": try #require(security.csrf), "action": "policy", "role": "supervisor", "required": "yes", "reason": "SOP-IT-012"], cookies: ["vf_session": ada]).status == .seeOther)
            #expect(try await s.secondFactorPolicies(qa)[.supervisor] == true)
        }
    }

    @Test func aLotIsReceivedSampledReleasedAndRecalledWithEverythingItTouched() async throws {
        let (w, _, lots, made) = try await Self.world(batches: 1)
        let s = w.store
        let app = Application(router: API.router(store: s, site: try await P.site()))
        try await app.test(.router) { client in
            let sam = try await P.signIn(client, "sam")
            let materials = try await P.get(client, "/materials", cookies: ["vf_session": sam])
            let csrf = try #require(materials.csrf)
            #expect(try await P.post(client, "/materials", ["csrf": csrf, "action": "item", "code": "PLASMID-HELPER", "name": "pHelper", "unit": "mg"], cookies: ["vf_session": sam]).status == .seeOther)
            #expect(try await P.post(client, "/materials", ["csrf": csrf, "action": "test", "item": "PLASMID-HELPER", "test": "Endotoxin", "high": "0.1", "unit": "EU/mg"], cookies: ["vf_session": sam]).status == .seeOther)
            let badRange = try await P.post(client, "/materials", ["csrf": csrf, "action": "test", "item": "PLASMID-HELPER", "test": "Purity", "low": "90"], cookies: ["vf_session": sam])
            #expect(badRange.status == .badRequest && badRange.html.contains("needs its unit"))
            let olga = try await P.signIn(client, "olga")
            let received = try await P.post(
                client, "/materials", ["csrf": try #require(try await P.get(client, "/materials", cookies: ["vf_session": olga]).csrf), "action": "receive", "item": "PLASMID-HELPER", "supplier": "Aldevron", "supplierLot": "A-9", "quantity": "250", "expiry": "2029-06-30"],
                cookies: ["vf_session": olga])
            #expect(received.status == .seeOther)
            let lotPath = try #require(received.headers[.location])
            let quinn = try await P.signIn(client, "quinn")
            let lotPage = try await P.get(client, lotPath, cookies: ["vf_session": quinn])
            #expect(lotPage.html.contains("Sample for every test"))
            #expect(try await P.post(client, lotPath, ["csrf": try #require(lotPage.csrf), "action": "sample"], cookies: ["vf_session": quinn]).status == .seeOther)
            let lotID = String(lotPath.split(separator: "/").last!)
            let sample = try #require(try await s.samples(w.users[.qa]!, lot: lotID).first)
            #expect(sample.specification == .range(low: nil, high: 0.1, unit: "EU/mg"))
            _ = try await s.recordResult(w.users[.qcAnalyst]!, sample: sample.id, value: 0.02, pass: nil)
            let alex = try await P.signIn(client, "alex")
            let qaLot = try await P.get(client, lotPath, cookies: ["vf_session": alex])
            #expect(try await P.post(client, lotPath, ["csrf": try #require(qaLot.csrf), "action": "release", "reason": "specification met", "password": password], cookies: ["vf_session": alex]).status == .seeOther)
            #expect(try await s.lot(w.users[.qa]!, id: lotID).status == .released)
            // The recall: a lot a released batch used.
            let used = try #require(lots["MEDIUM"])
            let usedPath = "/materials/lots/\(used.id)"
            let before = try await P.get(client, usedPath, cookies: ["vf_session": alex])
            #expect(before.html.contains("Recall") && before.html.contains("<svg") && before.html.contains("/batches/\(made[0].id)"))
            #expect(try await P.post(client, usedPath, ["csrf": try #require(before.csrf), "action": "reject", "reason": "supplier's endotoxin recall notice", "password": password], cookies: ["vf_session": alex]).status == .seeOther)
            let after = try await P.get(client, usedPath, cookies: ["vf_session": alex])
            #expect(after.html.contains("Recalled.") && after.html.contains("on hold") && after.html.contains("href=\"/deviations/dev-"))
            #expect(try await s.batch(w.users[.qa]!, id: made[0].id).batch.status == .onHold)
            // The batch's genealogy graph names the lot.
            let genealogy = try await P.get(client, "/batches/\(made[0].id)/genealogy", cookies: ["vf_session": alex])
            #expect(genealogy.html.contains("<svg") && genealogy.html.contains("/materials/lots/\(used.id)"))
        }
    }

    @Test func theRecordTrendsAndBatchMLOfAReleasedBatch() async throws {
        let (w, recipe, _, made) = try await Self.world(batches: 2)
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        try await app.test(.router) { client in
            let alex = try await P.signIn(client, "alex")
            let record = try await P.get(client, "/batches/\(made[1].id)/record", cookies: ["vf_session": alex])
            #expect(record.status == .ok)
            #expect(record.html.contains("/batches/\(made[1].id)/record.css") && record.html.contains("End of the batch record"))
            #expect(record.html.contains("<strong>performed</strong> by Olga") && record.html.contains("<strong>released</strong> by Alex"))
            #expect(record.html.contains("out of range") && record.html.contains("Root cause: set point entered"), "the deviation in full")
            let css = try await P.get(client, "/batches/\(made[1].id)/record.css", cookies: ["vf_session": alex])
            #expect(css.headers[.contentType]?.hasPrefix("text/css") == true && css.html.contains("Batch \(made[1].id)"))
            let test = try #require(recipe.recipe.releaseTests.first { $0.specification.isRange }).test
            let trends = try await P.get(client, "/qc/trends?test=\(test.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", cookies: ["vf_session": alex])
            #expect(trends.status == .ok && trends.html.contains("<svg") && trends.html.contains("2 result(s), 0 out of specification"))
            let badReference = try await P.get(
                client, "/qc/trends?test=\(test.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&reference=1", cookies: ["vf_session": alex])
            #expect(badReference.status == .badRequest && badReference.html.contains("from 2 to 1000"))
            // A test of both panels (the titer of the drug substance and of the vials): one panel at a time.
            let both = try #require(
                Dictionary(grouping: recipe.recipe.releaseTests.filter { $0.specification.isRange }, by: \.test).first { $0.value.count > 1 }?.key)
            let q = both.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let first = try await P.get(client, "/qc/trends?test=\(q)", cookies: ["vf_session": alex])
            #expect(first.html.contains("The drug substance panel") && first.html.contains("2 result(s)"), "one result a batch, not two")
            let vials = try await P.get(client, "/qc/trends?test=\(q)&panel=drug-product", cookies: ["vf_session": alex])
            #expect(vials.html.contains("The drug product panel") && vials.html.contains("2 result(s)"))
            let xml = try await P.get(client, "/batches/\(made[1].id)/batchml", cookies: ["vf_session": alex])
            #expect(xml.headers[.contentType]?.hasPrefix("application/xml") == true)
            let entries = try BatchML.readEntries(Data(xml.html.utf8))
            #expect(entries == (try await w.store.batch(w.users[.qa]!, id: made[1].id).entries))
            let recipeXML = try await P.get(client, "/recipes/\(recipe.id)/batchml", cookies: ["vf_session": alex])
            #expect(try BatchML.readRecipe(Data(recipeXML.html.utf8)).recipe == recipe.recipe)
        }
    }
}
