// Batch execution under load: a demo site served on loopback (release build), 50 operators each
// signed in with their own session, each executing a different batch of the seed-000 recipe at
// the same time through the pages — the phase page, every value, every material, the equipment,
// the "performed" signature — with p50 and p99 per action. Then the batch record page of a batch
// of every phase, alone and with the 50 clients asking at once.
//
//     swift run -c release BatchBenchmark [--operators 50] [--phases 16] [--port 18391] [--postgres URL-of-an-empty-database]
//
// Both numbers are bounded (1–200 operators, 1–100 phases each).
import AsyncHTTPClient
import BenchSupport
import Bioprocess
import Foundation
import Hummingbird
import Logging
import Manufacturing
import NIOCore
import Store
import VectorFabCommands
import Web


let operators = option("--operators", 50, 1...200)
let phaseLimit = option("--phases", 16, 1...100)
let port = option("--port", 18391, 1024...65535)
/// The operator's time between two actions (reading the instruction, typing the next value):
/// 1 s is a very fast operator; 0 makes the run a saturation test rather than 50 people at work.
let pause = option("--pause-ms", 1000, 0...60_000)
let base = "http://127.0.0.1:\(port)"



let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vf-batches-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
var quiet = Logger(label: "batch-benchmark")
quiet.logLevel = .error
// `--postgres URL`: an empty database on a PostgreSQL server instead of an SQLite file.
let postgres = CommandLine.arguments.firstIndex(of: "--postgres").flatMap { $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil }
let location: DatabaseLocation = postgres.map { .postgres(url: $0) } ?? .sqlite(path: directory.appendingPathComponent("demo.sqlite").path)
let store = try await GMPStore.open(location)
let accounts = try await Demo.fill(store, library: "Examples")
let people = try await store.users(try await store.login(username: "ada", password: accounts.first { $0.username == "ada" }!.password).user)
func person(_ role: Role) -> (User, String) {
    let a = accounts.first { $0.role == role }!
    return (people.first { $0.username == a.username }!, a.password)
}
let (admin, _) = person(.administrator), (sup, _) = person(.supervisor), (qc, _) = person(.qcAnalyst), (qa, qaPassword) = person(.qa)
let recipe = try await store.recipes(qa).first { $0.status == .approved }!
let phases = Array(recipe.recipe.phases.prefix(phaseLimit))

// Lots large enough for every batch, received, tested and released.
var lots: [String: String] = [:]
for item in Set(phases.flatMap { $0.materials.map(\.item) }).sorted() {
    let need = phases.flatMap(\.materials).filter { $0.item == item }.map(\.quantity).reduce(0, +)
    let (op, _) = person(.operator)
    let lot = try await store.receiveLot(op, item: item, supplier: "Bench", supplierLot: "BENCH-\(item)", quantity: max(1, need) * Double(operators + 1), expiry: "2030-12-31")
    for s in try await store.sampleLot(qc, lot: lot.id) { _ = try await store.recordResult(qc, sample: s.id, value: nil, pass: true) }
    lots[item] = try await store.decideLot(qa, id: lot.id, release: true, reason: "benchmark", password: qaPassword).id
}
// One operator account and one batch each.
let password = "operator-bench-password"
var crew: [(username: String, batch: String)] = []
for i in 0..<operators {
    let name = String(format: "bench%03d", i)
    _ = try await store.createUser(by: admin, username: name, fullName: "Operator \(i)", role: .operator, password: password)
    crew.append((name, try await store.createBatch(sup, recipeID: recipe.id).id))
}
let site = try await Site.load(library: "Examples")
let app = API.application(store: store, site: site, host: "127.0.0.1", port: port, logger: quiet)
let server = Task { try await app.runService() }
let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

func fetch(_ path: String, cookie: String? = nil, form: String? = nil) async throws -> (status: UInt, cookies: [String], body: String, seconds: Double) {
    var r = HTTPClientRequest(url: base + path)
    if form != nil { r.method = .POST }
    if let cookie { r.headers.add(name: "Cookie", value: cookie) }
    if let form {
        r.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        r.body = .bytes(ByteBuffer(string: form))
    }
    let start = ContinuousClock.now
    let response = try await http.execute(r, timeout: .seconds(120))
    let body = try await response.body.collect(upTo: 64 << 20)
    let d = ContinuousClock.now - start
    return (
        response.status.code, response.headers.filter { $0.name.lowercased() == "set-cookie" }.map(\.value), String(buffer: body),
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    )
}

func csrf(_ html: String) -> String {
    html.range(of: #"name="csrf" value=""#).map { String(html[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
}

func signIn(_ username: String, _ password: String) async throws -> String {
    let form = try await fetch("/sign-in")
    let pre = form.cookies.first { $0.hasPrefix("vf_pre=") }!.prefix { $0 != ";" }
    let answer = try await fetch("/sign-in", cookie: String(pre), form: "username=\(username)&password=\(password)&csrf=\(csrf(form.body))&next=/")
    guard let session = answer.cookies.first(where: { $0.hasPrefix("vf_session=") }) else { fatalError("\(username) could not sign in: \(answer.status)") }
    return String(session.prefix { $0 != ";" })
}

func encoded(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

/// One operator's batch, phase by phase: the seconds of each action by its name.
func execute(_ cookie: String, batch: String) async throws -> [String: [Double]] {
    var times: [String: [Double]] = [:]
    func timed(_ name: String, _ path: String, form: String? = nil, expect: Set<UInt>) async throws -> String {
        if pause > 0 { try await Task.sleep(for: .milliseconds(Int.random(in: pause / 2...pause * 3 / 2))) }
        let r = try await fetch(path, cookie: cookie, form: form)
        guard expect.contains(r.status) else { fatalError("\(name) \(path) answered \(r.status): \(r.body.prefix(300))") }
        times[name, default: []].append(r.seconds)
        return r.body
    }
    for phase in phases {
        let path = "/batches/\(batch)/phases/\(phase.id)"
        let token = csrf(try await timed("phase page", path, expect: [200]))
        for p in phase.parameters {
            _ = try await timed("record a value", path, form: "csrf=\(token)&action=value&parameter=\(encoded(p.name))&value=\(p.target)", expect: [303])
        }
        for m in phase.materials where m.quantity > 0 {
            _ = try await timed("consume a material", path, form: "csrf=\(token)&action=material&lot=\(lots[m.item]!)&quantity=\(m.quantity)", expect: [303])
        }
        if let e = phase.equipment {
            _ = try await timed("record equipment", path, form: "csrf=\(token)&action=equipment&equipment=\(encoded(e))", expect: [303])
        }
        _ = try await timed("sign performed", path, form: "csrf=\(token)&action=complete&password=\(password)", expect: [303])
    }
    return times
}

do {
    for _ in 0..<100 {
        if (try? await fetch("/health"))?.status == 200 { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    var cookies: [String] = []
    for c in crew { cookies.append(try await signIn(c.username, password)) }
    let sessions = cookies
    print("Batch execution: \(operators) operators at once, each on its own batch of \(phases.count) phases (\(recipe.recipe.product.prefix(40))), release build on loopback, \(store.location)")
    print("each operator pauses \(pause / 2)–\(pause * 3 / 2) ms between actions (--pause-ms \(pause); 0: back to back, a saturation test)")
    let start = ContinuousClock.now
    let all = try await withThrowingTaskGroup(of: [String: [Double]].self) { group in
        for (i, c) in crew.enumerated() { group.addTask { try await execute(sessions[i], batch: c.batch) } }
        var merged: [String: [Double]] = [:]
        for try await t in group { for (k, v) in t { merged[k, default: []] += v } }
        return merged
    }
    let wall = ContinuousClock.now - start
    print("action".padding(toLength: 22, withPad: " ", startingAt: 0) + "     n      p50      p99      max (ms)")
    var worstP99 = 0.0, worst = ""
    for name in ["phase page", "record a value", "consume a material", "record equipment", "sign performed"] {
        let t = (all[name] ?? []).sorted()
        guard !t.isEmpty else { continue }
        if percentile(t, 0.99) > worstP99 { (worstP99, worst) = (percentile(t, 0.99), name) }
        print(name.padding(toLength: 22, withPad: " ", startingAt: 0)
            + String(repeating: " ", count: max(0, 6 - String(t.count).count)) + "\(t.count)"
            + [percentile(t, 0.5), percentile(t, 0.99), t.last!].map { String(repeating: " ", count: max(0, 9 - ms($0).count)) + ms($0) }.joined())
    }
    print("every action's p99 at most \(ms(worstP99)) ms (\(worst); target < 50 ms) — \(worstP99 < 0.05 ? "met" : "NOT met")")
    let count = all.values.map(\.count).reduce(0, +)
    let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
    print("\(count) actions in \(String(format: "%.1f", seconds)) s (\(String(format: "%.0f", Double(count) / seconds)) a second); "
        + "\(all["sign performed"]?.count ?? 0) signatures; since the store opened, \(store.passwordChecksRemembered) password checks answered "
        + "from memory (an HMAC of the password last checked in full by PBKDF2, 210,000 rounds)")

    // The record page of a batch with every phase done: alone, then with every client at once.
    let batch = crew[0].batch
    let recordPath = "/batches/\(batch)/record"
    var alone: [Double] = []
    for _ in 0..<100 { alone.append(try await fetch(recordPath, cookie: sessions[0]).seconds) }
    alone.sort()
    let size = try await fetch(recordPath, cookie: sessions[0]).body.utf8.count
    let loaded = try await withThrowingTaskGroup(of: [Double].self) { group in
        for s in sessions { group.addTask { var t: [Double] = []; for _ in 0..<10 { t.append(try await fetch(recordPath, cookie: s).seconds) }; return t } }
        var all: [Double] = []
        for try await t in group { all += t }
        return all.sorted()
    }
    print("batch record page, \(phases.count) phases (\(size / 1024) KB): alone p50 \(ms(percentile(alone, 0.5))) ms, p99 \(ms(percentile(alone, 0.99))) ms (target < 100 ms) — \(percentile(alone, 0.99) < 0.1 ? "met" : "NOT met"); \(operators) clients at once p50 \(ms(percentile(loaded, 0.5))) ms, p99 \(ms(percentile(loaded, 0.99))) ms")
} catch {
    print("benchmark failed: \(error)")
}
try await http.shutdown().get()
server.cancel()
