import Bioprocess
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import NIOCore
import Store
import TestSupport
import Testing
import Web

enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

final class Keep: @unchecked Sendable {
    static let shared = Keep()
    private let lock = NSLock()
    private var stores: [GMPStore] = []
    func keep(_ s: GMPStore) -> GMPStore { lock.withLock { stores.append(s) }; return s }
}

let password = "correct horse battery"

/// A store with a user per role and their session tokens, and the API's router over it.
struct World {
    var store: GMPStore
    var users: [Role: User]
    var tokens: [Role: String]

    static func make() async throws -> World {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vf-\(UUID().uuidString).sqlite").path
        let store = Keep.shared.keep(try await GMPStore.open(.sqlite(path: path), passwordIterations: 1000))
        let admin = try await store.bootstrap(username: "admin", fullName: "Ada Admin", password: password)
        var users: [Role: User] = [.administrator: admin]
        for (name, role) in [("olga", Role.operator), ("sam", .supervisor), ("quinn", .qcAnalyst), ("alex", .qa), ("eve", .engineer)] {
            users[role] = try await store.createUser(by: admin, username: name, fullName: name.capitalized, role: role, password: password)
        }
        var tokens: [Role: String] = [:]
        for (role, user) in users { tokens[role] = try await store.login(username: user.username, password: password).token }
        return World(store: store, users: users, tokens: tokens)
    }

    func app() -> some ApplicationProtocol {
        Application(router: API.router(store: store))
    }
}

struct Box<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

func body(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
}

func decode(_ buffer: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
}

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String?, _ object: [String: Any]? = nil) async throws -> (HTTPResponse.Status, [String: Any], ByteBuffer) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: object.map(body)) { r in
            (r.status, decode(r.body), r.body)
        }
    }
}

struct AccessTests {
    @Test func onlyHealthAndLoginWorkWithoutSigningIn() async throws {
        let w = try await World.make()
        try await w.app().test(.router) { client in
            #expect(try await client.call(.get, "/health", token: nil).0 == .ok)
            for (method, uri) in [(HTTPRequest.Method.get, "/api/me"), (.get, "/api/lots"), (.post, "/api/batches"), (.get, "/api/audit"), (.get, "/api/audit/verify")] {
                let (status, answer, _) = try await client.call(method, uri, token: nil, [:])
                #expect(status == .unauthorized, "\(uri)")
                #expect(answer["error"] as? String == "unauthenticated")
            }
            #expect(try await client.call(.get, "/api/me", token: "forged-token").0 == .unauthorized)
            let bad = try await client.call(.post, "/api/login", token: nil, ["username": "olga", "password": "nope nope nope"])
            #expect(bad.0 == .unauthorized)
            let good = try await client.call(.post, "/api/login", token: nil, ["username": "olga", "password": password])
            #expect(good.0 == .ok)
            let token = try #require(good.1["token"] as? String)
            let me = try await client.call(.get, "/api/me", token: token)
            #expect(me.1["role"] as? String == "operator")
            #expect(try await client.call(.post, "/api/logout", token: token).0 == .ok)
            #expect(try await client.call(.get, "/api/me", token: token).0 == .unauthorized)
        }
    }
}

struct BadInputAPITests {
    @Test func malformedOrOutOfRangeDataIsRefusedAndChangesNothing() async throws {
        let w = try await World.make()
        let before = try await w.store.auditCount()
        let sup = w.tokens[.supervisor]!, op = w.tokens[.operator]!
        try await w.app().test(.router) { client in
            let cases: [(HTTPRequest.Method, String, String, [String: Any]?, String)] = [
                (.post, "/api/items", sup, ["code": "MEDIUM", "name": "Medium", "unit": "L", "colour": "red"], "unknown field: colour"),
                (.post, "/api/items", sup, ["code": "MEDIUM", "name": "Medium"], "missing field 'unit'"),
                (.post, "/api/items", sup, ["code": 42, "name": "Medium", "unit": "L"], "wrong type"),
                (.post, "/api/items", sup, ["code": "medium; DROP TABLE users", "name": "x", "unit": "L"], "item code"),
                (.post, "/api/lots", op, ["item": "MEDIUM", "supplier": "S", "supplierLot": "1", "quantity": -5, "expiry": "2030-01-01"], "quantity"),
                (.post, "/api/lots", op, ["item": "MEDIUM", "supplier": "S", "supplierLot": "1", "quantity": 5, "expiry": "2030-13-01"], "expiry"),
                (.post, "/api/users", w.tokens[.administrator]!, ["username": "new", "fullName": "N", "role": "pope", "password": password], "field 'role' is 'pope', not one of: operator, supervisor, qc-analyst, qa, administrator"),
                (.post, "/api/recipes", sup, ["process": "vectorfab: vectorfab/process/1\nname: x\n"], "the process file has mistakes"),
                (.post, "/api/recipes", sup, ["process": "x", "tolerance": 7], "tolerance"),
                (.get, "/api/audit?limit=999999", sup, nil, "limit"),
            ]
            for (method, uri, token, object, message) in cases {
                let (status, answer, _) = try await client.call(method, uri, token: token, object)
                #expect(status == .badRequest, "\(uri) \(object ?? [:]) → \(status)")
                let text = "\(answer["message"] ?? "") \(answer["details"] ?? "")"
                #expect(text.contains(message), "\(text)")
            }
            // Not JSON at all.
            let raw = try await client.execute(uri: "/api/items", method: .post, headers: [.authorization: "Bearer \(sup)"], body: ByteBuffer(string: "{not json")) { $0.status }
            #expect(raw == .badRequest)
        }
        #expect(try await w.store.auditCount() == before)
    }

    @Test(arguments: [3 << 20, 30 << 20])
    func anOversizedBodyIs413WithTheLimitOnALiveServer(bytes: Int) async throws {
        let w = try await World.make()
        let before = try await w.store.auditCount()
        let sup = w.tokens[.supervisor]!
        let huge = "{\"code\": \"" + String(repeating: "A", count: bytes) + "\", \"name\": \"x\", \"unit\": \"L\"}"
        try await w.app().test(.live) { client in
            for uri in ["/api/items", "/api/login", "/api/recipes"] {
                let (status, answer) = try await client.execute(
                    uri: uri, method: .post, headers: [.authorization: "Bearer \(sup)", .contentType: "application/json"],
                    body: ByteBuffer(string: huge)
                ) { ($0.status, decode($0.body)) }
                #expect(status == .contentTooLarge, "\(uri): \(status)")
                #expect((answer["message"] as? String)?.contains("larger than the 1048576 bytes (1 MiB)") == true, "\(answer)")
            }
        }
        #expect(try await w.store.auditCount() == before)
    }

    @Test func malformedJSONIsAnsweredWithItsLineAndColumn() async throws {
        let w = try await World.make()
        let sup = w.tokens[.supervisor]!
        try await w.app().test(.router) { client in
            for (text, place) in [
                ("{\"code\": \"M\",\n \"name\": x}", "at line 2, column 10 (byte 23)"),
                ("{\"code\": \"M\"", "at line 1, column 13 (byte 12)"),
                ("{\"code\": 1e999}", "line 1"),
            ] {
                let (status, answer) = try await client.execute(
                    uri: "/api/items", method: .post, headers: [.authorization: "Bearer \(sup)"], body: ByteBuffer(string: text)
                ) { ($0.status, decode($0.body)) }
                #expect(status == .badRequest)
                let message = answer["message"] as? String ?? ""
                #expect(message.hasPrefix("the body is not valid JSON: "), "\(message)")
                #expect(message.contains(place), "\(text) → \(message)")
            }
        }
    }

    @Test func outOfRangeNumbersAre400AndStoreNothing() async throws {
        let w = try await World.make()
        let op = w.tokens[.operator]!
        let before = try await w.store.auditCount()
        try await w.app().test(.router) { client in
            for q in [1e308, -1e300, 1e-300] {
                let (status, answer, _) = try await client.call(
                    .post, "/api/lots", token: op,
                    ["item": "MEDIUM", "supplier": "S", "supplierLot": "1", "quantity": q, "expiry": "2030-01-01"])
                #expect(status == .badRequest)
                #expect((answer["message"] as? String)?.hasPrefix("field 'quantity' is out of range") == true, "\(answer)")
            }
        }
        #expect(try await w.store.auditCount() == before)
    }

    @Test func aNULInTextIsRefusedNotA500() async throws {
        let w = try await World.make()
        let before = try await w.store.auditCount()
        try await w.app().test(.router) { client in
            let (status, answer, _) = try await client.call(
                .post, "/api/deviations", token: w.tokens[.operator]!, ["description": "spill\u{0}in suite 2"])
            #expect(status == .badRequest)
            #expect(answer["message"] as? String == "field 'description' contains a NUL character")
        }
        #expect(try await w.store.auditCount() == before)
    }

    @Test func billionLaughsPostedAsAProcessIsRefused() async throws {
        let w = try await World.make()
        let before = try await w.store.auditCount()
        try await w.app().test(.router) { client in
            let (status, answer, _) = try await client.call(
                .post, "/api/recipes", token: w.tokens[.supervisor]!, ["process": YAMLBombs.billionLaughs])
            #expect(status == .badRequest)
            #expect("\(answer["details"] ?? "")".contains("aliases expand to more than 10000 values"))
        }
        #expect(try await w.store.auditCount() == before)
    }

    @Test func processFileMistakesComeBackWithTheirPlace() async throws {
        let w = try await World.make()
        let text = try String(contentsOfFile: Repository.path("Examples/seed000-aav-200L.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "working-volume: \"200 L\"", with: "working-volume: \"200 kg\"")
        try await w.app().test(.router) { client in
            let (status, answer, _) = try await client.call(.post, "/api/recipes", token: w.tokens[.supervisor]!, ["process": text])
            #expect(status == .badRequest)
            let details = answer["details"] as? [String] ?? []
            #expect(details.first?.contains("process:") == true)
            #expect(details.first?.contains("production.working-volume") == true)
        }
    }
}

struct AuditFilterAPITests {
    /// `GET /api/audit?entity=recipe` returned users, sessions and lots too.
    @Test func everyAuditFilterFilters() async throws {
        let w = try await World.make()
        let sup = w.tokens[.supervisor]!
        try await w.app().test(.router) { client in
            let text = try String(contentsOfFile: Repository.path("Examples/seed000-aav-200L.yaml"), encoding: .utf8)
            #expect(try await client.call(.post, "/api/recipes", token: sup, ["process": text]).0 == .created)
            func entries(_ query: String) async throws -> [[String: Any]] {
                let (status, _, buffer) = try await client.call(.get, "/api/audit\(query)", token: sup)
                #expect(status == .ok, "\(query): \(status)")
                return (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [[String: Any]] ?? []
            }
            let all = try await entries("")
            #expect(Set(all.compactMap { $0["entity"] as? String }).count > 2)
            let recipes = try await entries("?entity=recipe")
            #expect(!recipes.isEmpty && recipes.allSatisfy { $0["entity"] as? String == "recipe" })
            let samID = w.users[.supervisor]!.id
            let bySam = try await entries("?user=\(samID)")
            #expect(!bySam.isEmpty && bySam.allSatisfy { $0["userID"] as? String == samID })
            #expect(try await entries("?from=2999-01-01").isEmpty)
            #expect(try await entries("?to=2000-01-01").isEmpty)
            #expect(try await entries("?from=2000-01-01&to=2999-12-31").count == all.count)
            let firstTwo = try await entries("?limit=2")
            let next = try await entries("?limit=2&after=\(firstTwo.last?["sequence"] as? Int ?? 0)")
            #expect(firstTwo.count == 2 && next.count == 2)
            #expect((next.first?["sequence"] as? Int ?? 0) > (firstTwo.last?["sequence"] as? Int ?? 0))
            for bad in ["?from=yesterday", "?after=-1", "?limit=0"] {
                #expect(try await client.call(.get, "/api/audit\(bad)", token: sup).0 == .badRequest, "\(bad)")
            }
        }
    }
}

struct ListAPITests {
    /// Lists with filters and paging for batches, items, lots, samples and deviations.
    @Test func listsFilterAndPage() async throws {
        let w = try await World.make()
        let sup = w.tokens[.supervisor]!, op = w.tokens[.operator]!
        try await w.app().test(.router) { client in
            func list(_ uri: String) async throws -> [[String: Any]] {
                let (status, _, buffer) = try await client.call(.get, uri, token: sup)
                #expect(status == .ok, "\(uri): \(status)")
                return (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [[String: Any]] ?? []
            }
            for code in ["AAA", "BBB", "CCC"] {
                #expect(try await client.call(.post, "/api/items", token: sup, ["code": code, "name": code.lowercased(), "unit": "L"]).0 == .created)
                #expect(
                    try await client.call(
                        .post, "/api/lots", token: op,
                        ["item": code, "supplier": "S", "supplierLot": "1", "quantity": 5, "expiry": "2030-01-01"]
                    ).0 == .created)
            }
            #expect(try await client.call(.post, "/api/deviations", token: op, ["description": "spill"]).0 == .created)
            #expect(try await list("/api/items").compactMap { $0["code"] as? String } == ["AAA", "BBB", "CCC"])
            #expect(try await list("/api/items?limit=2&offset=1").compactMap { $0["code"] as? String } == ["BBB", "CCC"])
            #expect(try await list("/api/lots?item=BBB").count == 1)
            #expect(try await list("/api/lots?status=quarantine").count == 3)
            #expect(try await list("/api/lots?status=released").isEmpty)
            #expect(try await list("/api/deviations?status=open").count == 1)
            #expect(try await list("/api/deviations?status=closed").isEmpty)
            #expect(try await list("/api/batches").isEmpty)
            #expect(try await list("/api/samples?status=pending").isEmpty)
            for bad in ["/api/lots?status=lost", "/api/batches?limit=0", "/api/items?offset=-1", "/api/samples?status=maybe"] {
                let (status, answer, _) = try await client.call(.get, bad, token: sup)
                #expect(status == .badRequest, "\(bad)")
                #expect((answer["message"] as? String)?.isEmpty == false)
            }
        }
    }
}

struct WorkflowAPITests {
    /// Recipe from a process file, approval, materials, a batch, a deviation: all over HTTP.
    @Test func aBatchIsRunOverTheAPI() async throws {
        let w = try await World.make()
        let process = try String(contentsOfFile: Repository.path("Examples/seed000-aav-200L.yaml"), encoding: .utf8)
        try await w.app().test(.router) { client in
            let sup = w.tokens[.supervisor]!, qa = w.tokens[.qa]!, op = w.tokens[.operator]!, qc = w.tokens[.qcAnalyst]!
            let (created, recipe, _) = try await client.call(.post, "/api/recipes", token: sup, ["process": process])
            #expect(created == .created)
            let recipeID = try #require(recipe["id"] as? String)
            // A draft recipe cannot make a batch.
            #expect(try await client.call(.post, "/api/batches", token: sup, ["recipeId": recipeID]).0 == .conflict)
            #expect(try await client.call(.post, "/api/recipes/\(recipeID)/approve", token: qa, ["password": "wrong wrong wrong"]).0 == .unauthorized)
            #expect(try await client.call(.post, "/api/recipes/\(recipeID)/approve", token: qa, ["password": password]).0 == .ok)
            let (_, batch, _) = try await client.call(.post, "/api/batches", token: sup, ["recipeId": recipeID])
            let batchID = try #require(batch["id"] as? String)
            // The first phase: an out-of-range viability opens a deviation.
            let (status, answer, _) = try await client.call(
                .post, "/api/batches/\(batchID)/phases/1.1.1/values", token: op, ["parameter": "Post-thaw viability", "value": 40])
            #expect(status == .created)
            let deviation = try #require(answer["deviation"] as? [String: Any])
            #expect(deviation["status"] as? String == "open")
            // Skipping a phase is refused.
            #expect(try await client.call(.post, "/api/batches/\(batchID)/phases/1.2.1/values", token: op, ["parameter": "Viable cell density at passage", "value": 3e6]).0 == .conflict)
            // Release is refused with the list of what is missing.
            let (refused, reasons, _) = try await client.call(.post, "/api/batches/\(batchID)/release", token: qa, ["password": password])
            #expect(refused == .conflict)
            let details = reasons["details"] as? [String] ?? []
            #expect(details.contains { $0.contains("is not complete") })
            #expect(details.contains { $0.contains("is open, not closed") })
            // QC on a material lot through the API.
            #expect(try await client.call(.post, "/api/items", token: sup, ["code": "MEDIUM", "name": "Medium", "unit": "L"]).0 == .created)
            let (_, lot, _) = try await client.call(.post, "/api/lots", token: op, ["item": "MEDIUM", "supplier": "S", "supplierLot": "M1", "quantity": 500, "expiry": "2030-01-01"])
            let lotID = try #require(lot["id"] as? String)
            let (_, sample, _) = try await client.call(.post, "/api/samples", token: qc, ["materialLot": lotID, "test": "Osmolality", "specification": ["low": 260, "high": 340, "unit": "mOsm/kg"]])
            let sampleID = try #require(sample["id"] as? String)
            let spec = sample["specification"] as? [String: Any]
            #expect(spec?["low"] as? Double == 260 && spec?["high"] as? Double == 340 && spec?["unit"] as? String == "mOsm/kg")
            // A specification is a range or a criterion, and nothing else.
            let (mixed, mixedAnswer, _) = try await client.call(
                .post, "/api/samples", token: qc, ["materialLot": lotID, "test": "pH", "specification": ["low": 6, "unit": "pH", "criterion": "clear"]])
            #expect(mixed == .badRequest)
            #expect((mixedAnswer["message"] as? String)?.contains("a range or a pass/fail criterion, not both") == true, "\(mixedAnswer)")
            let (typo, typoAnswer, _) = try await client.call(
                .post, "/api/samples", token: qc, ["materialLot": lotID, "test": "pH", "specification": ["min": 6, "unit": "pH"]])
            #expect(typo == .badRequest)
            #expect((typoAnswer["message"] as? String)?.contains("unknown field 'min' in a specification") == true, "\(typoAnswer)")
            let (_, result, _) = try await client.call(.post, "/api/samples/\(sampleID)/results", token: qc, ["value": 300])
            #expect((result["result"] as? [String: Any])?["pass"] as? Bool == true)
            #expect(try await client.call(.post, "/api/lots/\(lotID)/decision", token: qa, ["release": true, "reason": "in specification", "password": password]).0 == .ok)
            let (_, check, _) = try await client.call(.get, "/api/audit/verify", token: qa)
            #expect(check["ok"] as? Bool == true)
            let (recordStatus, record, _) = try await client.call(.get, "/api/batches/\(batchID)/record", token: op)
            #expect(recordStatus == .ok)
            #expect((record["deviations"] as? [Any])?.count == 1)
            // The recipe's release panels: a drug-substance sample takes the recipe's specification.
            let panels = ((record["recipe"] as? [String: Any])?["releaseTests"] as? [[String: Any]] ?? []).compactMap { $0["panel"] as? String }
            #expect(Set(panels) == ["drug-substance", "drug-product"])
            let (dsStatus, ds, _) = try await client.call(
                .post, "/api/samples", token: qc, ["batch": batchID, "test": "Mycoplasma (PCR)", "panel": "drug-substance"])
            #expect(dsStatus == .created)
            #expect((ds["specification"] as? [String: Any])?["criterion"] as? String == "not detected")
            #expect(ds["panel"] as? String == "drug-substance")
            // An unknown panel, another specification than the recipe's: 400, nothing stored.
            let (badPanel, badAnswer, _) = try await client.call(
                .post, "/api/samples", token: qc, ["batch": batchID, "test": "Mycoplasma (PCR)", "panel": "vials"])
            #expect(badPanel == .badRequest)
            #expect((badAnswer["message"] as? String)?.contains("panel") == true, "\(badAnswer)")
            let (other, _, _) = try await client.call(
                .post, "/api/samples", token: qc, ["batch": batchID, "test": "Mycoplasma (PCR)", "panel": "drug-substance", "specification": ["criterion": "absent"]])
            #expect(other == .badRequest)
            let (_, after, _) = try await client.call(.get, "/api/batches/\(batchID)/record", token: op)
            #expect((after["samples"] as? [Any])?.count == 1)
        }
    }
}

/// The role × action matrix over HTTP: each role, each action's endpoint; forbidden exactly
/// when `Permissions` says so.
struct RoleMatrixAPITests {
    @Test func everyRoleGets403ExactlyWhereItMayNotAct() async throws {
        let w = try await World.make()
        let s = w.store
        let sup = w.users[.supervisor]!, qa = w.users[.qa]!
        let draft = try await s.createRecipe(sup, try RecipeGenerator.generate(try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml"))))
        let recipe = try await s.approveRecipe(qa, id: draft.id, password: password)
        let other = try await s.createRecipe(sup, recipe.recipe)
        _ = try await s.defineItem(sup, code: "MEDIUM", name: "Medium", unit: "L")
        let lot = try await s.receiveLot(w.users[.operator]!, item: "MEDIUM", supplier: "S", supplierLot: "1", quantity: 10, expiry: "2030-01-01")
        let batch = try await s.createBatch(sup, recipeID: recipe.id)
        let requests: [Action: (HTTPRequest.Method, String, [String: Any]?)] = [
            .manageUsers: (.post, "/api/users", ["username": "u\(UUID().uuidString.prefix(4).lowercased())", "fullName": "U", "role": "operator", "password": password]),
            .createRecipe: (.post, "/api/recipes", ["process": "x"]),
            .approveRecipe: (.post, "/api/recipes/\(other.id)/approve", ["password": "wrong wrong wrong"]),
            .defineMaterial: (.post, "/api/items", ["code": "MEDIUM", "name": "Medium", "unit": "L"]),
            .receiveMaterial: (.post, "/api/lots", ["item": "NONE", "supplier": "S", "supplierLot": "1", "quantity": 1, "expiry": "2030-01-01"]),
            .sampleMaterial: (.post, "/api/samples", ["materialLot": "lot-none", "test": "t"]),
            .decideMaterial: (.post, "/api/lots/\(lot.id)/decision", ["release": false, "reason": "r", "password": "wrong wrong wrong"]),
            .createBatch: (.post, "/api/batches", ["recipeId": "recipe-none"]),
            .executePhase: (.post, "/api/batches/\(batch.id)/phases/9.9.9/equipment", ["equipment": "BSC"]),
            .verifyPhase: (.post, "/api/batches/\(batch.id)/phases/1.1.1/verify", ["password": password]),
            .correctEntry: (.post, "/api/entries/entry-none/corrections", ["value": 1, "reason": "r"]),
            .createSample: (.post, "/api/samples", ["batch": "batch-none", "test": "t"]),
            .recordResult: (.post, "/api/samples/sample-none/results", ["pass": true]),
            .openDeviation: (.post, "/api/deviations", ["batch": "batch-none", "description": "d"]),
            .investigateDeviation: (.post, "/api/deviations/dev-none/transitions", ["to": "investigation", "note": "n", "password": password]),
            .closeDeviation: (.post, "/api/deviations/dev-none/transitions", ["to": "closed", "note": "n", "password": password]),
            .releaseBatch: (.post, "/api/batches/\(batch.id)/release", ["password": password]),
            .readRecords: (.get, "/api/batches/\(batch.id)", nil),
            .verifyAudit: (.get, "/api/audit/verify", nil),
            .editProcess: (.post, "/api/process-files", ["name": "x.yaml", "text": "name: x", "note": "n"]),
            .ingestPoints: (.post, "/api/points", ["points": [Any]()]),
            .defineLimits: (.post, "/api/limits", ["series": "none", "alertHigh": 1, "reason": "r"]),
            .approveLimits: (.post, "/api/limits/limits-none/approve", ["password": password]),
            .acknowledgeAlarm: (.post, "/api/alarms/alarm-none/acknowledge", ["comment": "seen", "password": password]),
        ]
        #expect(Set(requests.keys) == Set(Action.allCases))
        let table = Box(requests)
        try await w.app().test(.router) { client in
            let requests = table.value
            for role in Role.allCases {
                for action in Action.allCases {
                    let (method, uri, object) = requests[action]!
                    let (status, answer, _) = try await client.call(method, uri, token: w.tokens[role]!, object)
                    if Permissions.allows(role, action) {
                        #expect(status != .forbidden, "\(role) \(action): \(answer)")
                    } else {
                        #expect(status == .forbidden, "\(role) must not \(action): got \(status)")
                    }
                }
            }
        }
    }
}
