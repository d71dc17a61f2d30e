import Bioprocess
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import SQLKit
import Store
import Testing

@testable import Web

/// The audit trail page: filtered entries, and the chain's verification naming an edit made
/// behind the application's back; verification only for the roles that may.
struct AuditPageTests {
    typealias P = PageTests

    @Test func theTrailIsFilteredAndTheVerificationNamesAnEditBehindTheApplicationsBack() async throws {
        let w = try await World.make()
        let s = w.store
        let draft = try await s.createRecipe(w.users[.supervisor]!, try RecipeGenerator.generate(try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml"))))
        let app = Application(router: API.router(store: s, site: try await P.site()))
        try await app.test(.router) { client in
            let alex = try await P.signIn(client, "alex")
            let page = try await P.get(client, "/audit?entity=recipe&id=\(draft.id)", cookies: ["vf_session": alex])
            #expect(page.status == .ok && page.html.contains(draft.id) && page.html.contains("<td>create</td>"))
            let clean = try await P.get(client, "/audit?verify=yes", cookies: ["vf_session": alex])
            #expect(clean.html.contains("nothing was edited behind the application"))
            try await s.unauditedTransaction { db in try await db.raw("UPDATE recipes SET status = 'approved'").run() }
            let broken = try await P.get(client, "/audit?verify=yes", cookies: ["vf_session": alex])
            #expect(broken.html.contains("recipes row \(draft.id) was edited behind the application"))
            #expect(try await P.get(client, "/audit?from=yesterday", cookies: ["vf_session": alex]).status == .badRequest)
            let olga = try await P.signIn(client, "olga")
            let operatorPage = try await P.get(client, "/audit", cookies: ["vf_session": olga])
            #expect(operatorPage.status == .ok && !operatorPage.html.contains("Verify the chain"))
            #expect(try await P.get(client, "/audit?verify=yes", cookies: ["vf_session": olga]).status == .forbidden)
        }
    }
}
