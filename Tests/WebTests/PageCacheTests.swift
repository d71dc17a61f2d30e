import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import Store
import Testing

@testable import Web

/// A page kept for a role is answered to each person with their own name and CSRF token, and a
/// new version of a process file is seen at once.
struct PageCacheTests {
    typealias P = PageTests

    @Test func aKeptPageCarriesEachPersonsNameAndTokenAndANewVersionShows() async throws {
        let w = try await World.make()
        let admin = w.users[.administrator]!
        let other = try await w.store.createUser(by: admin, username: "sid", fullName: "Sid <Second> Supervisor", role: .supervisor, password: password)
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        try await app.test(.router) { client in
            let sam = try await P.signIn(client, "sam"), sid = try await P.signIn(client, other.username)
            let first = try await P.get(client, "/processes", cookies: ["vf_session": sam])
            let second = try await P.get(client, "/processes", cookies: ["vf_session": sid])
            #expect(first.html.contains("Sam") && !first.html.contains("Sid"))
            #expect(second.html.contains("Sid &lt;Second&gt; Supervisor") && !second.html.contains("<Second>"))
            #expect(first.csrf != nil && second.csrf != nil && first.csrf != second.csrf)
            #expect(!second.html.contains("\u{1}"), "no placeholder left")
            // The token answered is the one that session's forms need.
            let out = try await P.post(client, "/sign-out", ["csrf": try #require(second.csrf)], cookies: ["vf_session": sid])
            #expect(out.status == .seeOther)
            let text = try String(contentsOfFile: Repository.path("Examples/seed000-aav-200L.yaml"), encoding: .utf8)
            _ = try await w.store.saveProcessFile(w.users[.supervisor]!, name: "kept-or-not.yaml", text: text, note: "new")
            #expect(try await P.get(client, "/processes", cookies: ["vf_session": sam]).html.contains("kept-or-not.yaml"))
        }
    }
}
