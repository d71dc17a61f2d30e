import Bioprocess
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import Store
import Testing

@testable import Web

/// A batch executed from the browser: the phase shows each parameter's target and range; an
/// in-range value is recorded; an out-of-range one asks to be confirmed, records nothing until
/// it is, then opens its deviation at once; a signature needs the right password; a role that
/// may not execute is refused.
struct BatchPageTests {
    typealias P = PageTests

    @Test func anOperatorRecordsValuesAndAnOutOfRangeValueIsConfirmedAndOpensADeviation() async throws {
        let w = try await World.make()
        let s = w.store
        let draft = try await s.createRecipe(w.users[.supervisor]!, try RecipeGenerator.generate(try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml"))))
        let recipe = try await s.approveRecipe(w.users[.qa]!, id: draft.id, password: password)
        let app = Application(router: API.router(store: s, site: try await P.site()))
        let phase = try #require(recipe.recipe.phases.first { !$0.parameters.isEmpty })
        let p = phase.parameters[0]
        try await app.test(.router) { client in
            // A supervisor starts the batch from the list page.
            let sam = try await P.signIn(client, "sam")
            let list = try await P.get(client, "/batches", cookies: ["vf_session": sam])
            #expect(list.html.contains("Start a batch"))
            let started = try await P.post(client, "/batches/new", ["csrf": try #require(list.csrf), "recipe": recipe.id], cookies: ["vf_session": sam])
            #expect(started.status == .seeOther)
            let location = try #require(started.headers[.location])
            let batchID = String(location.dropFirst("/batches/".count))
            let operatorCookie = try await P.signIn(client, "olga")
            let overview = try await P.get(client, location, cookies: ["vf_session": operatorCookie])
            #expect(overview.html.contains("0 of \(recipe.recipe.phases.count) phases performed"))
            let path = "/batches/\(batchID)/phases/\(phase.id)"
            let page = try await P.get(client, path, cookies: ["vf_session": operatorCookie])
            #expect(page.status == .ok)
            #expect(page.html.contains("target \(Figure.text(p.target)) \(p.unit)") && page.html.contains(p.rangeText))
            let csrf = try #require(page.csrf)
            // In range: recorded.
            let ok = try await P.post(client, path, ["csrf": csrf, "action": "value", "parameter": p.name, "value": Figure.text(p.target)], cookies: ["vf_session": operatorCookie])
            #expect(ok.status == .seeOther)
            // A second value is a correction with a reason; out of range, it is confirmed first.
            let outside = p.high + max(1, abs(p.high))
            let again = try await P.post(client, path, ["csrf": csrf, "action": "value", "parameter": p.name, "value": "\(outside)"], cookies: ["vf_session": operatorCookie])
            #expect(again.status == .conflict && again.html.contains("correct it with a reason"))
            let recordedID = try #require(try await s.batch(w.users[.qa]!, id: batchID).entries.first { $0.kind == .value }).id
            let ask = try await P.post(
                client, path, ["csrf": csrf, "action": "correct", "entry": recordedID, "reason": "probe re-read", "value": "\(outside)"],
                cookies: ["vf_session": operatorCookie])
            #expect(ask.status == .conflict && ask.html.contains("opens a deviation"))
            #expect(try await s.deviations(w.users[.qa]!, batch: batchID).isEmpty)
            var entries = try await s.batch(w.users[.qa]!, id: batchID).entries
            #expect(entries.filter { $0.kind == .value }.count == 1)
            // Confirmed: recorded, out of range, and its deviation open.
            let confirmed = try await P.post(
                client, path, ["csrf": csrf, "action": "correct", "entry": recordedID, "reason": "probe re-read", "value": "\(outside)", "confirm": "yes"],
                cookies: ["vf_session": operatorCookie])
            #expect(confirmed.status == .seeOther)
            entries = try await s.batch(w.users[.qa]!, id: batchID).entries
            #expect(entries.filter { $0.kind == .value }.map(\.inRange) == [true, false])
            #expect(entries.last { $0.kind == .value }?.corrects == recordedID && entries.last?.reason == "probe re-read")
            #expect(try await s.deviations(w.users[.qa]!, batch: batchID).count == 1)
            let after = try await P.get(client, path, cookies: ["vf_session": operatorCookie])
            #expect(after.html.contains("(out of range)"))
            // Not a number; a wrong password; QA may not execute.
            let word = try await P.post(client, path, ["csrf": csrf, "action": "value", "parameter": p.name, "value": "lots"], cookies: ["vf_session": operatorCookie])
            #expect(word.status == .badRequest && word.html.contains("must be a number"))
            let wrong = try await P.post(client, path, ["csrf": csrf, "action": "complete", "password": "not my password"], cookies: ["vf_session": operatorCookie])
            #expect(wrong.status == .unauthorized || wrong.status == .badRequest || wrong.status == .conflict, "\(wrong.status)")
            #expect(try await s.batch(w.users[.qa]!, id: batchID).entries.allSatisfy { $0.kind != .completion })
            let alex = try await P.signIn(client, "alex")
            let qaPage = try await P.get(client, path, cookies: ["vf_session": alex])
            #expect(!qaPage.html.contains(">Record</button>"), "no recording form for QA")
            let qa = try await P.post(
                client, path, ["csrf": try #require(qaPage.csrf), "action": "value", "parameter": p.name, "value": Figure.text(p.target)], cookies: ["vf_session": alex])
            #expect(qa.status == .forbidden)
            let forged = try await P.post(client, path, ["csrf": "forged", "action": "value", "parameter": p.name, "value": "1"], cookies: ["vf_session": operatorCookie])
            #expect(forged.status == .forbidden)
        }
    }

    /// The first phase taken through on the pages: a released lot consumed (a quarantined one
    /// refused with its status), the parameters and equipment recorded, "performed" signed by the
    /// operator, "verified" by the supervisor — not by the operator, and not twice.
    @Test func aPhaseIsPerformedAndVerifiedByTwoPeopleOnThePages() async throws {
        let w = try await World.make()
        let s = w.store
        let sup = w.users[.supervisor]!, op = w.users[.operator]!, qc = w.users[.qcAnalyst]!, qa = w.users[.qa]!
        let draft = try await s.createRecipe(sup, try RecipeGenerator.generate(try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml"))))
        let recipe = try await s.approveRecipe(qa, id: draft.id, password: password)
        let phase = recipe.recipe.phases[0]
        var released: [String: String] = [:], quarantined: [String: String] = [:]
        for m in phase.materials {
            _ = try await s.defineItem(sup, code: m.item, name: m.item.lowercased(), unit: m.unit)
            let lot = try await s.receiveLot(op, item: m.item, supplier: "S", supplierLot: "L-\(m.item)", quantity: 1000, expiry: "2030-01-01")
            let sample = try await s.createSample(qc, batch: nil, materialLot: lot.id, test: "Identity")
            _ = try await s.recordResult(qc, sample: sample.id, value: nil, pass: true)
            released[m.item] = try await s.decideLot(qa, id: lot.id, release: true, reason: "tests passed", password: password).id
            quarantined[m.item] = try await s.receiveLot(op, item: m.item, supplier: "S", supplierLot: "Q-\(m.item)", quantity: 10, expiry: "2030-01-01").id
        }
        let batch = try await s.createBatch(sup, recipeID: recipe.id)
        let app = Application(router: API.router(store: s, site: try await P.site()))
        let path = "/batches/\(batch.id)/phases/\(phase.id)"
        let (good, held) = (released, quarantined)
        try await app.test(.router) { client in
            let olga = try await P.signIn(client, "olga")
            let page = try await P.get(client, path, cookies: ["vf_session": olga])
            let csrf = try #require(page.csrf)
            for m in phase.materials {
                #expect(page.html.contains(good[m.item]!) && !page.html.contains(held[m.item]!), "only released lots are offered")
                let refused = try await P.post(
                    client, path, ["csrf": csrf, "action": "material", "lot": held[m.item]!, "quantity": Figure.text(m.quantity)], cookies: ["vf_session": olga])
                #expect(refused.status.code >= 400 && refused.html.contains("quarantine"), "\(refused.status)")
                let used = try await P.post(
                    client, path, ["csrf": csrf, "action": "material", "lot": good[m.item]!, "quantity": Figure.text(m.quantity)], cookies: ["vf_session": olga])
                #expect(used.status == .seeOther)
            }
            for p in phase.parameters {
                let r = try await P.post(client, path, ["csrf": csrf, "action": "value", "parameter": p.name, "value": Figure.text(p.target)], cookies: ["vf_session": olga])
                #expect(r.status == .seeOther)
            }
            if let e = phase.equipment {
                #expect(try await P.post(client, path, ["csrf": csrf, "action": "equipment", "equipment": e], cookies: ["vf_session": olga]).status == .seeOther)
            }
            let performed = try await P.post(client, path, ["csrf": csrf, "action": "complete", "password": password], cookies: ["vf_session": olga])
            #expect(performed.status == .seeOther && performed.headers[.location] == "/batches/\(batch.id)")
            #expect(try await P.post(client, path, ["csrf": csrf, "action": "verify", "password": password], cookies: ["vf_session": olga]).status == .forbidden)
            let sam = try await P.signIn(client, "sam")
            let samPage = try await P.get(client, path, cookies: ["vf_session": sam])
            #expect(samPage.html.contains("Sign: phase verified"))
            let verified = try await P.post(client, path, ["csrf": try #require(samPage.csrf), "action": "verify", "password": password], cookies: ["vf_session": sam])
            #expect(verified.status == .seeOther)
            let again = try await P.post(client, path, ["csrf": try #require(samPage.csrf), "action": "verify", "password": password], cookies: ["vf_session": sam])
            #expect(again.status.code >= 400)
            let overview = try await P.get(client, "/batches/\(batch.id)", cookies: ["vf_session": sam])
            #expect(overview.html.contains("1 of \(recipe.recipe.phases.count) phases performed") && overview.html.contains(">verified<"))
            let entries = try await s.batch(qa, id: batch.id).entries.filter { $0.phaseID == phase.id }
            #expect(entries.first { $0.kind == .completion }?.userID == op.id && entries.first { $0.kind == .verification }?.userID == sup.id)
            #expect(try await s.signatures(qa, entity: "phase", id: "\(batch.id)/\(phase.id)").map(\.meaning) == [.performed, .verified])
            let shown = try await P.get(client, path, cookies: ["vf_session": sam])
            #expect(shown.html.contains("performed by Olga") && shown.html.contains("verified by Sam"), "the signatures, who and meaning")
        }
    }
}
