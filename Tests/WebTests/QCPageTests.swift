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

/// The QC lab's worklist: a result against its specification, an out-of-specification one
/// opening its deviation, the repeat with its reason; only QC analysts record.
struct QCPageTests {
    typealias P = PageTests

    @Test func anAnalystRecordsResultsAndARepeatNeedsItsReason() async throws {
        let w = try await World.make()
        let s = w.store
        let draft = try await s.createRecipe(w.users[.supervisor]!, try RecipeGenerator.generate(try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml"))))
        let recipe = try await s.approveRecipe(w.users[.qa]!, id: draft.id, password: password)
        let batch = try await s.createBatch(w.users[.supervisor]!, recipeID: recipe.id)
        let spec = QCSpecification.range(low: 1, high: 2, unit: "EU/mL")
        let qc = w.users[.qcAnalyst]!
        let good = try await s.createSample(qc, batch: batch.id, materialLot: nil, test: "Potency (in-house)", panel: nil, specification: spec)
        let bad = try await s.createSample(qc, batch: batch.id, materialLot: nil, test: "Potency (second vial)", panel: nil, specification: spec)
        let app = Application(router: API.router(store: s, site: try await P.site()))
        try await app.test(.router) { client in
            let quinn = try await P.signIn(client, "quinn")
            let list = try await P.get(client, "/qc", cookies: ["vf_session": quinn])
            #expect(list.html.contains("In process") && list.html.contains("Potency (in-house)") && list.html.contains("data-high=\"2\""))
            let csrf = try #require(list.csrf)
            let ok = try await P.post(client, "/qc/samples/\(good.id)", ["csrf": csrf, "value": "1.5"], cookies: ["vf_session": quinn])
            #expect(ok.status == .ok && ok.html.contains("within specification"))
            let oos = try await P.post(client, "/qc/samples/\(bad.id)", ["csrf": csrf, "value": "9"], cookies: ["vf_session": quinn])
            #expect(oos.html.contains("out of specification") && oos.html.contains("Reason for the repeat"))
            #expect(try await s.deviations(w.users[.qa]!, batch: batch.id).contains { $0.kind == .oos })
            let noReason = try await P.post(client, "/qc/samples/\(bad.id)", ["csrf": csrf, "value": "1.2"], cookies: ["vf_session": quinn])
            #expect(noReason.status.code >= 400 && noReason.html.contains("reason"), "\(noReason.status)")
            let repeated = try await P.post(client, "/qc/samples/\(bad.id)", ["csrf": csrf, "value": "1.2", "reason": "vial cracked, retested"], cookies: ["vf_session": quinn])
            #expect(repeated.status == .ok && repeated.html.contains("within specification"))
            let samples = try await s.samples(w.users[.qa]!, batch: batch.id)
            #expect(samples.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.passed, .passed])
            let olga = try await P.signIn(client, "olga")
            let page = try await P.get(client, "/qc", cookies: ["vf_session": olga])
            #expect(try await P.post(client, "/qc/samples/\(good.id)", ["csrf": try #require(page.csrf), "value": "1.5"], cookies: ["vf_session": olga]).status == .forbidden)
        }
    }
}
