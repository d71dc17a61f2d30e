// How fast hostile input is refused, release build:
//   swift build -c release && swift run -c release RefusalBenchmark
// 1. the reader on the billion-laughs process file (7 KB, ≈ 3.5e9 values once expanded);
// 2. the CLI on the same file (`vectorfab simulate`, a whole process start), next to a valid file;
// 3. the HTTP API on a live loopback server: the same file posted to /api/recipes, a 30 MB
//    body (413), and GET /api/me for comparison.
// The bar (issue 9): refused in under 100 ms by the CLI and over HTTP.
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import Manufacturing
import HummingbirdTesting
import NIOCore
import Store
import TestSupport
import Web

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func best(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var fastest = Double.infinity
    for _ in 0..<runs {
        let start = now()
        try body()
        fastest = min(fastest, now() - start)
    }
    return fastest
}

func ms(_ s: Double) -> String { String(format: "%8.2f ms", s * 1000) }

print("RefusalBenchmark: best of several runs, release build")
let laughs = YAMLBombs.billionLaughs
print("billion-laughs file: \(laughs.utf8.count) bytes")

// 1. The reader.
let reader = best(50) {
    do {
        _ = try DocumentLoader.parse(laughs, file: "laughs.yaml")
        fatalError("the billion-laughs file was accepted")
    } catch {}
}
let nested = best(50) { _ = try? DocumentLoader.parse(YAMLBombs.nested(200_000), file: "nested.yaml") }
print("reader, billion laughs refused      \(ms(reader))")
print("reader, 200,000 nested lists refused \(ms(nested))")

// 2. The CLI.
let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vectorfab")
if FileManager.default.isExecutableFile(atPath: binary.path) {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("laughs-bench.yaml")
    try laughs.write(to: file, atomically: true, encoding: .utf8)
    func run(_ arguments: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
    var status: Int32 = 0
    let refused = try best(10) { status = try run(["simulate", file.path]) }
    precondition(status != 0, "the CLI accepted the billion-laughs file")
    let valid = try best(10) { _ = try run(["simulate", "Examples/seed000-aav-200L.yaml"]) }
    print("CLI, billion laughs refused (exit \(status)) \(ms(refused))   (a valid lot simulated: \(ms(valid)))")
} else {
    print("CLI: no vectorfab binary next to this benchmark (build it: swift build -c release)")
}

// 3. HTTP, on a live loopback server.
let path = FileManager.default.temporaryDirectory.appendingPathComponent("refusal-\(UUID().uuidString).sqlite").path
let store = try await GMPStore.open(.sqlite(path: path), passwordIterations: 1000)
let admin = try await store.bootstrap(username: "admin", fullName: "Admin", password: "correct horse battery")
_ = try await store.createUser(by: admin, username: "sam", fullName: "Sam", role: .supervisor, password: "correct horse battery")
let token = try await store.login(username: "sam", password: "correct horse battery").token
let app = Application(router: API.router(store: store))
let body = try JSONSerialization.data(withJSONObject: ["process": laughs])
let huge = ByteBuffer(repeating: UInt8(ascii: "a"), count: 30 << 20)
try await app.test(.live) { client in
    let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
    func timed(_ uri: String, _ method: HTTPRequest.Method, _ buffer: ByteBuffer?, runs: Int = 20) async throws -> (Double, HTTPResponse.Status) {
        var fastest = Double.infinity
        var status = HTTPResponse.Status.ok
        for _ in 0..<runs {
            let start = now()
            status = try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { $0.status }
            fastest = min(fastest, now() - start)
        }
        return (fastest, status)
    }
    let (me, s1) = try await timed("/api/me", .get, nil)
    let (bomb, s2) = try await timed("/api/recipes", .post, ByteBuffer(bytes: body))
    let (big, s3) = try await timed("/api/items", .post, huge, runs: 5)
    print("HTTP, GET /api/me (\(s1.code))                \(ms(me))")
    print("HTTP, billion laughs refused (\(s2.code))     \(ms(bomb))")
    print("HTTP, 30 MB body refused (\(s3.code))         \(ms(big))")
}
try await store.close()
try? FileManager.default.removeItem(atPath: path)
