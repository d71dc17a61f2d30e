import Bioprocess
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import Reporting
import Store
import Testing

@testable import Web

/// Writing process files in the browser: a mistake is shown at its line and field and nothing
/// is saved; a fixed file is saved as the next version, with its author and reason; the
/// versions list and the diff between two of them is what `vectorfab diff` computes; only the
/// roles that may edit process files can.
struct ProcessEditingTests {
    typealias P = PageTests

    static let example = "seed000-aav-200L.yaml"

    static func text() throws -> String {
        try String(contentsOfFile: Repository.path("Examples/\(example)"), encoding: .utf8)
    }

    /// The example with its first `productivity:` value replaced by a word, and the line it is on.
    static func broken() throws -> (text: String, line: Int) {
        var lines = try text().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let i = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("productivity:") })
        let indent = lines[i].prefix { $0 == " " }
        lines[i] = indent + "productivity: lots"
        return (lines.joined(separator: "\n"), i + 1)
    }

    @Test func aMistakeIsShownAtItsLineAndNothingIsSavedThenTheFixIsSavedAsTheNextVersion() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        try await app.test(.router) { client in
            let eve = try await P.signIn(client, "eve")
            let edit = try await P.get(client, "/processes/\(Self.example)/edit", cookies: ["vf_session": eve])
            #expect(edit.status == .ok)
            #expect(edit.html.contains("<textarea id=\"text\" name=\"text\""))
            let csrf = try #require(edit.csrf)
            let (bad, line) = try Self.broken()
            let refused = try await P.post(
                client, "/processes/\(Self.example)/edit", ["csrf": csrf, "text": bad, "note": "titer from the engineering runs"],
                cookies: ["vf_session": eve])
            #expect(refused.status == .badRequest)
            #expect(refused.html.contains("line \(line)"), "the mistake at its line")
            #expect(refused.html.contains("productivity"), "and its field")
            #expect(refused.html.contains("nothing was saved"))
            #expect(refused.html.contains("productivity: lots"), "the text is kept for fixing")
            #expect(try await w.store.processFileVersions(w.users[.engineer]!, name: Self.example).isEmpty)

            // Live validation says the same, as JSON.
            let live = try await P.post(client, "/processes/check", ["csrf": csrf, "name": Self.example, "text": bad], cookies: ["vf_session": eve])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(live.html.utf8)) as? [String: Any])
            let mistakes = try #require(object["mistakes"] as? [[String: Any]])
            #expect(mistakes.first?["line"] as? Int == line)
            #expect(object["warnings"] == nil, "a file with mistakes is not warned about")
            // A file that makes a lot with an implausible value: no mistake, a warning with its range and source.
            let implausible = try Self.text().replacingOccurrences(of: "genome-size: \"4.5 kb\"", with: "genome-size: \"6.2 kb\"")
            let warned = try await P.post(client, "/processes/check", ["csrf": csrf, "name": Self.example, "text": implausible], cookies: ["vf_session": eve])
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(warned.html.utf8)) as? [String: Any])
            #expect((answer["mistakes"] as? [Any])?.isEmpty == true)
            let warnings = try #require(answer["warnings"] as? [[String: Any]])
            #expect(warnings.map { $0["field"] as? String } == ["product.vector.genome-size"] && (warnings.first?["source"] as? String)?.isEmpty == false)

            // Fixed: a new version, back to the lot report.
            var fixed = try Self.text()
            fixed = fixed.replacingOccurrences(of: "name:", with: "name:", options: [], range: nil) + "\n# harvest checked\n"
            let saved = try await P.post(
                client, "/processes/\(Self.example)/edit", ["csrf": csrf, "text": fixed, "note": "a comment on the harvest"],
                cookies: ["vf_session": eve])
            #expect(saved.status == .seeOther)
            #expect(saved.headers[.location] == "/processes/\(Self.example)")
            let versions = try await w.store.processFileVersions(w.users[.engineer]!, name: Self.example)
            #expect(versions.map(\.version) == [1])
            #expect(versions.first?.note == "a comment on the harvest" && versions.first?.createdBy == w.users[.engineer]!.id)
            let audit = try await w.store.auditTrail(w.users[.qa]!, entity: "process-file", id: versions[0].id)
            #expect(audit.first?.reason == "a comment on the harvest")

            // The same text again changes nothing.
            let again = try await P.post(
                client, "/processes/\(Self.example)/edit", ["csrf": csrf, "text": fixed, "note": "again"], cookies: ["vf_session": eve])
            #expect(again.status == .conflict)

            // Versions: v0 from the folder and v1; the diff is what `vectorfab diff` finds.
            let list = try await P.get(client, "/processes/\(Self.example)/versions", cookies: ["vf_session": eve])
            #expect(list.html.contains("v0 (library folder)") && list.html.contains("a comment on the harvest") && list.html.contains("Eve"))
            let diff = try await P.get(client, "/processes/\(Self.example)/diff?from=0&to=1", cookies: ["vf_session": eve])
            #expect(diff.status == .ok)
            #expect(diff.html.contains("The two versions hold the same values."), "a comment changes no value")
            let csv = try await P.get(client, "/processes/\(Self.example)/diff?from=0&to=1&format=csv", cookies: ["vf_session": eve])
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")

            // Saved with its implausible value, the lot report says so at the top.
            let saved2 = try await P.post(
                client, "/processes/\(Self.example)/edit", ["csrf": csrf, "text": implausible, "note": "a longer cassette"], cookies: ["vf_session": eve])
            #expect(saved2.status == .seeOther)
            let report = try await P.get(client, "/processes/\(Self.example)", cookies: ["vf_session": eve])
            #expect(report.html.contains("Worth a second look") && report.html.contains("an AAV genome of 6.2 kb"))
        }
    }

    @Test func aChangedValueShowsInTheDiffAsTheCommandShowsIt() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        let before = try Self.text()
        let line = try #require(before.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("productivity:") })
        let value = line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
        let after = before.replacingOccurrences(of: String(line), with: line.replacingOccurrences(of: value, with: "5e4 vg/cell"))
        try #require(after != before)
        _ = try await w.store.saveProcessFile(w.users[.supervisor]!, name: Self.example, text: after, note: "higher titer")
        let expected = try ProcessDiff.compare(
            try DocumentLoader.parse(before, file: Self.example), try ProcessFile.parse(before, file: Self.example),
            try DocumentLoader.parse(after, file: Self.example), try ProcessFile.parse(after, file: Self.example))
        try #require(!expected.inputs.isEmpty)
        try await app.test(.router) { client in
            let sam = try await P.signIn(client, "sam")
            let page = try await P.get(client, "/processes/\(Self.example)/diff", cookies: ["vf_session": sam])
            #expect(page.status == .ok)
            for change in expected.inputs { #expect(page.html.contains(change.path), "\(change.path)") }
            for output in expected.outputs.prefix(5) { #expect(page.html.contains(Fmt.number(output.after)), "\(output.figure)") }
            // The lot report is of the new version; v0 is still there.
            let current = try await P.get(client, "/processes/\(Self.example)", cookies: ["vf_session": sam])
            #expect(current.html.contains("v1"))
            let old = try await P.get(client, "/processes/\(Self.example)?version=0", cookies: ["vf_session": sam])
            #expect(old.html.contains("v0 (library folder)"))
        }
    }

    @Test func aNewFileIsUploadedWithItsNameAndOnlyEditingRolesMayWrite() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        try await app.test(.router) { client in
            for role in Role.allCases {
                let username = w.users[role]!.username
                let cookie = try await P.signIn(client, username)
                let form = try await P.get(client, "/processes/new", cookies: ["vf_session": cookie])
                let library = try await P.get(client, "/processes", cookies: ["vf_session": cookie])
                let allowed = Permissions.allows(role, .editProcess)
                #expect(form.status == (allowed ? .ok : .forbidden), "\(role)")
                #expect(library.html.contains("href=\"/processes/new\"") == allowed, "\(role): the link only where it works")
                let csrf = try #require(library.csrf)
                let name = "upload-\(role.rawValue).yaml"
                let answer = try await P.post(
                    client, "/processes/new", ["csrf": csrf, "name": name, "text": try Self.text(), "note": "first version"],
                    cookies: ["vf_session": cookie])
                #expect(answer.status == (allowed ? .seeOther : .forbidden), "\(role)")
                let listed = try await P.get(client, "/processes", cookies: ["vf_session": cookie])
                #expect(listed.html.contains(name) == allowed)
            }
            // A name already in the library, and a bad name, are refused.
            let eve = try await P.signIn(client, "eve")
            let csrf = try #require(try await P.get(client, "/processes/new", cookies: ["vf_session": eve]).csrf)
            let taken = try await P.post(
                client, "/processes/new", ["csrf": csrf, "name": Self.example, "text": try Self.text(), "note": "copy"], cookies: ["vf_session": eve])
            #expect(taken.status == .conflict)
            let badName = try await P.post(
                client, "/processes/new", ["csrf": csrf, "name": "../etc/passwd", "text": try Self.text(), "note": "x"], cookies: ["vf_session": eve])
            #expect(badName.status == .badRequest)
            let forged = try await P.post(
                client, "/processes/new", ["csrf": "forged", "name": "forged.yaml", "text": try Self.text(), "note": "x"], cookies: ["vf_session": eve])
            #expect(forged.status == .forbidden)
            #expect(try await w.store.processFileVersions(w.users[.engineer]!, name: "forged.yaml").isEmpty)
        }
    }

    @Test func theAPISavesVersionsAndRefusesMistakesAtTheirLine() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        try await app.test(.router) { client in
            let token = w.tokens[.engineer]!
            let (bad, line) = try Self.broken()
            let (refused, answer, _) = try await client.call(.post, "/api/process-files", token: token, ["name": "api.yaml", "text": bad, "note": "n"])
            #expect(refused == .badRequest)
            #expect((answer["details"] as? [String])?.first?.hasPrefix("line \(line)") == true, "\(answer)")
            let (created, version, _) = try await client.call(.post, "/api/process-files", token: token, ["name": "api.yaml", "text": try Self.text(), "note": "n"])
            #expect(created == .created && version["version"] as? Int == 1)
            let (_, detail, _) = try await client.call(.get, "/api/process-files/api.yaml", token: w.tokens[.operator]!)
            let original = try Self.text()
            #expect((detail["versions"] as? [Any])?.count == 1 && detail["text"] as? String == original)
            let (_, all, raw) = try await client.call(.get, "/api/process-files", token: token)
            _ = all
            let names = ((try JSONSerialization.jsonObject(with: Data(raw.readableBytesView)) as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
            #expect(names.contains("api.yaml") && names.contains(Self.example))
        }
    }
}
