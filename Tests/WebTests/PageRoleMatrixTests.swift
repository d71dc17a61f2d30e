import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import Testing

@testable import Web

/// The role × action matrix over the pages: every page for every role, each refused with a
/// 403 exactly where `Permissions` says the role may not act, and sent to sign-in without a
/// session.
struct PageRoleMatrixTests {
    typealias P = PageTests

    /// Every page and form, with the action it needs (nil: any signed-in user).
    static let pages: [(action: Action?, method: HTTPRequest.Method, path: String)] = [
        (nil, .get, "/"), (nil, .get, "/processes"), (nil, .get, "/processes/seed000-aav-200L.yaml"),
        (nil, .get, "/processes/seed000-aav-200L.yaml.csv"), (nil, .get, "/processes/seed000-aav-200L.yaml.xlsx"),
        (nil, .get, "/processes/seed000-aav-200L.yaml/versions"), (nil, .get, "/compare?doses=10"), (nil, .get, "/compare.xlsx?doses=10"),
        (nil, .get, "/costs"), (nil, .get, "/costs/aav-dmd-suspension-2000L.yaml"), (nil, .get, "/uncertainty"),
        (nil, .get, "/uncertainty?file=peer-aav-2000L-montecarlo.yaml&samples=1000&seed=1"),
        (nil, .get, "/capacity"), (nil, .get, "/capacity/materials"), (nil, .get, "/capacity/transfer"),
        (.editProcess, .get, "/processes/new"), (.editProcess, .get, "/processes/seed000-aav-200L.yaml/edit"),
        (.editProcess, .post, "/processes/new"), (.editProcess, .post, "/processes/seed000-aav-200L.yaml/edit"),
        (nil, .get, "/batches"), (nil, .get, "/qc"), (.createBatch, .post, "/batches/new"), (.recordResult, .post, "/qc/samples/sample-none"),
        (nil, .get, "/audit"), (.verifyAudit, .get, "/audit?verify=yes"),
        (nil, .get, "/deviations"), (.openDeviation, .post, "/deviations"), (nil, .get, "/materials"), (nil, .get, "/profile"),
        (nil, .get, "/qc/trends"), (.manageUsers, .get, "/admin/security"), (.manageUsers, .post, "/admin/security"),
        (.releaseBatch, .post, "/batches/B-none/release"), (.createSample, .post, "/qc/batches/B-none/samples"),
        (nil, .get, "/monitoring"), (nil, .get, "/cpv"), (.ingestPoints, .post, "/monitoring/points"), (.acknowledgeAlarm, .post, "/monitoring/alarms/alarm-none"),
    ]

    @Test func everyRoleSeesThePagesItMayAndIsRefusedTheActionsItMayNotTake() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        let text = try String(contentsOfFile: Repository.path("Examples/seed000-aav-200L.yaml"), encoding: .utf8)
        try await app.test(.router) { client in
            for (_, method, path) in Self.pages where method == .get {
                let answer = try await P.get(client, path)
                #expect(answer.status == .seeOther && answer.headers[.location]?.hasPrefix("/sign-in") == true, "\(path) without a session")
            }
            for role in Role.allCases {
                let cookie = try await P.signIn(client, w.users[role]!.username)
                let csrf = try #require(try await P.get(client, "/processes", cookies: ["vf_session": cookie]).csrf)
                for (k, page) in Self.pages.enumerated() {
                    let allowed = page.action.map { Permissions.allows(role, $0) } ?? true
                    let answer: PageTests.Answer
                    if page.method == .post {
                        answer = try await P.post(
                            client, page.path,
                            ["csrf": csrf, "name": "matrix-\(role.rawValue)-\(k).yaml", "text": text + "\n# \(role.rawValue) \(k)\n", "note": "matrix"],
                            cookies: ["vf_session": cookie])
                    } else {
                        answer = try await P.get(client, page.path, cookies: ["vf_session": cookie])
                    }
                    if allowed && page.method == .get {
                        #expect(answer.status == .ok, "\(role) \(page.method) \(page.path): \(answer.status)")
                    } else if allowed {
                        // Allowed, it may still be refused for what the form holds (no such recipe), never for the role.
                        #expect(answer.status != .forbidden && answer.status.code < 500, "\(role) \(page.method) \(page.path): \(answer.status)")
                    } else {
                        #expect(answer.status == .forbidden, "\(role) must not \(page.method) \(page.path): \(answer.status)")
                    }
                }
            }
        }
    }
}
