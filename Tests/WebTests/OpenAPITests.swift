import Bioprocess
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import Testing
import Web
import Yams

/// `docs/openapi.yaml` is the API's contract: these tests hold it to the router.
struct OpenAPITests {
    static func document() throws -> [String: Any] {
        let text = try String(contentsOfFile: Repository.path("docs/openapi.yaml"), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    /// "/api/batches/:id" → "/api/batches/{id}"
    static func openAPIPath(_ routerPath: String) -> String {
        routerPath.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{" + $0.dropFirst() + "}" : String($0) }
            .joined(separator: "/")
    }

    /// Every (method, path) the document describes.
    static func documented(_ doc: [String: Any]) throws -> Set<String> {
        let paths = try #require(doc["paths"] as? [String: Any])
        var operations = Set<String>()
        for (path, item) in paths {
            let item = try #require(item as? [String: Any], "path \(path)")
            for method in ["get", "post", "put", "patch", "delete"] where item[method] != nil {
                operations.insert(method.uppercased() + " " + path)
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        let world = try await World.make()
        let router = API.router(store: world.store)
        let served = Set(router.routes.map { "\($0.method.rawValue) \(Self.openAPIPath($0.path.description))" })
        let documented = try Self.documented(try Self.document())
        #expect(served.count > 30, "the router lists its routes")
        #expect(served.subtracting(documented).sorted() == [], "routes missing from docs/openapi.yaml")
        #expect(documented.subtracting(served).sorted() == [], "documented routes the server does not have")
    }

    /// The request-body schemas name exactly the fields the server accepts. The server says
    /// which fields it expects when it refuses an unknown one; every documented body must
    /// also refuse unknown fields (`additionalProperties: false`).
    @Test func documentedBodiesHaveExactlyTheFieldsTheServerAccepts() async throws {
        let world = try await World.make()
        let doc = try Self.document()
        let paths = try #require(doc["paths"] as? [String: Any])
        let components = try #require(doc["components"] as? [String: Any])
        let bodies = try #require(components["requestBodies"] as? [String: Any])

        func schema(of operation: [String: Any]) throws -> [String: Any]? {
            guard var body = operation["requestBody"] as? [String: Any] else { return nil }
            if let ref = body["$ref"] as? String {
                body = try #require(bodies[String(ref.split(separator: "/").last!)] as? [String: Any], "\(ref)")
            }
            let content = try #require(body["content"] as? [String: Any])
            let json = try #require(content["application/json"] as? [String: Any])
            return try #require(json["schema"] as? [String: Any])
        }

        struct Probe: Sendable {
            var path: String
            var uri: String
            var token: String?
            /// nil when the document gives the operation no body.
            var fields: Set<String>?
            var refusesUnknown: Bool
            var required: [String]
        }
        var probes: [Probe] = []
        for (path, item) in paths {
            guard let operation = (item as? [String: Any])?["post"] as? [String: Any] else { continue }
            let uri = path.replacingOccurrences(of: "{id}", with: "x").replacingOccurrences(of: "{phase}", with: "1.1.1")
            // Recipe and process-file creation check the role before the body: use a role that may.
            let token = world.tokens[path == "/api/recipes" ? .supervisor : path == "/api/process-files" || path == "/api/points" || path == "/api/limits" ? .engineer : .administrator]
            let s = try schema(of: operation)
            probes.append(
                Probe(
                    path: path, uri: uri, token: token, fields: s.map { Set(($0["properties"] as? [String: Any] ?? [:]).keys) },
                    refusesUnknown: s?["additionalProperties"] as? Bool == false, required: s?["required"] as? [String] ?? []))
        }
        // Signing out ends the session the other probes use: it goes last.
        let allProbes = probes.sorted { ($0.path == "/api/logout" ? 1 : 0, $0.path) < ($1.path == "/api/logout" ? 1 : 0, $1.path) }
        let answers = try await world.app().test(.router) { client in
            var answers: [(HTTPResponse.Status, [String])] = []
            for probe in allProbes {
                let (status, answer, _) = try await client.call(.post, probe.uri, token: probe.token, ["zz-unknown": 1])
                answers.append((status, answer["details"] as? [String] ?? []))
            }
            return answers
        }
        var checked = 0
        for (probe, (status, details)) in zip(allProbes, answers) {
            guard let documentedFields = probe.fields else {
                #expect(status != .badRequest, "\(probe.path) takes no body but refused one")
                continue
            }
            #expect(probe.refusesUnknown, "\(probe.path): the schema must refuse unknown fields")
            #expect(status == .badRequest, "\(probe.path)")
            let expected = try #require(details.first { $0.hasPrefix("expected fields: ") }, "\(probe.path): \(details)")
            let accepted = Set(expected.dropFirst("expected fields: ".count).split(separator: ", ").map(String.init))
            #expect(documentedFields == accepted, "\(probe.path)")
            for name in probe.required {
                #expect(accepted.contains(name), "\(probe.path): required field \(name) is not accepted")
            }
            checked += 1
        }
        #expect(checked >= 20)
    }

    @Test func everySchemaReferenceResolves() throws {
        let doc = try Self.document()
        let text = try String(contentsOfFile: Repository.path("docs/openapi.yaml"), encoding: .utf8)
        let components = try #require(doc["components"] as? [String: Any])
        let regex = try NSRegularExpression(pattern: ##""#/components/([A-Za-z]+)/([A-Za-z]+)""##)
        let matches = regex.matches(in: text, range: NSRange(text.startIndex..., in: text))
        #expect(matches.count > 50)
        for m in matches {
            let kind = String(text[Range(m.range(at: 1), in: text)!])
            let name = String(text[Range(m.range(at: 2), in: text)!])
            let group = components[kind] as? [String: Any]
            #expect(group?[name] != nil, "#/components/\(kind)/\(name) is not defined")
        }
    }

    /// Roles and statuses in the document are the domain's.
    @Test func enumerationsMatchTheDomain() throws {
        let doc = try Self.document()
        let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        func values(_ name: String) -> Set<String> { Set(((schemas[name] as? [String: Any])?["enum"] as? [String]) ?? []) }
        #expect(values("Role") == Set(Role.allCases.map(\.rawValue)))
        #expect(values("DeviationStatus") == Set(DeviationStatus.allCases.map(\.rawValue)))
        #expect(values("ReleasePanel") == Set(ReleasePanel.allCases.map(\.rawValue)))
        #expect(values("BatchStatus") == Set(BatchStatus.allCases.map(\.rawValue)))
        #expect(values("DeviationKind") == Set(DeviationKind.allCases.map(\.rawValue)))
        #expect(values("AuditAction") == Set(AuditAction.allCases.map(\.rawValue)))
    }
}
