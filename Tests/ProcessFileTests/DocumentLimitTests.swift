@testable import Bioprocess
import FileFormats
import Foundation
import TestSupport
import Testing

/// The reader's budgets: no document, however written, expands or nests past its limits, and
/// each refusal names its line.
struct DocumentLimitTests {
    func issue(_ text: String, limits: DocumentLimits = .standard) -> DefinitionIssue? {
        do {
            _ = try DocumentLoader.parse(text, file: "bad.yaml", limits: limits)
            return nil
        } catch {
            return error.issues.first
        }
    }

    /// Refused after at most 10,000 expanded values (how fast: ReaderBenchmark).
    @Test func billionLaughsIsRefusedOnceItsAliasesPassTheBudget() throws {
        let found = try #require(issue(YAMLBombs.billionLaughs))
        #expect(found.message == "aliases expand to more than 10000 values")
        #expect(found.location?.line == 6, "the first alias past the budget is on line 6 (lol4)")
    }

    @Test func aliasesWithinTheBudgetAreExpanded() throws {
        let text = "a: &x {b: 1, c: [2, 3]}\nd: *x\ne: *x\n"
        let root = try DocumentLoader.parse(text, file: "ok.yaml")
        guard case .mapping(let entries) = root.value else { Issue.record("not a mapping"); return }
        #expect(entries.map(\.key) == ["a", "d", "e"])
        #expect(entries[1].value.value == entries[0].value.value)
        // Four values each (the mapping, b's 1, the list and its two items, with keys): the
        // budget counts what an alias adds.
        let tight = DocumentLimits(bytes: 1000, nodes: 1000, aliasNodes: 8, depth: 8)
        #expect(issue(text, limits: tight)?.message == "aliases expand to more than 8 values")
    }

    @Test func deepNestingIsRefusedWithoutExhaustingTheStack() throws {
        #expect(issue(YAMLBombs.nested(60)) == nil)
        for depth in [900, 200_000] {
            let found = try #require(issue(YAMLBombs.nested(depth)))
            #expect(found.message == "lists and mappings are nested more than 64 deep")
            #expect(found.location?.line == 2)
        }
    }

    @Test func aliasesCannotNestPastTheDepthLimit() throws {
        // Each anchor wraps the one before: 70 levels once expanded, 70 lines written.
        var lines = ["a0: &a0 [x]"]
        for i in 1..<70 { lines.append("a\(i): &a\(i) [*a\(i - 1)]") }
        let found = try #require(issue(lines.joined(separator: "\n") + "\n"))
        #expect(found.message == "lists and mappings are nested more than 64 deep")
        #expect(found.location?.line == 64)
    }

    @Test func anAliasInsideItsOwnAnchorIsRefused() throws {
        let found = try #require(issue("a: &x [1]\nb: &x [*x]\n"))
        #expect(found.message == "the alias *x names the list or mapping it is written in")
    }

    @Test func aVeryLongFieldNameIsRefused() throws {
        let found = try #require(issue(String(repeating: "k", count: 201) + ": 1\n"))
        #expect(found.message == "a field name is 201 characters long")
    }

    @Test func devicesAndFoldersAreNotRead() throws {
        for path in ["/dev/zero", "/tmp"] {
            do {
                _ = try DocumentLoader.load(path: path)
                Issue.record("\(path) was read")
            } catch {
                #expect(error.issues.first?.message == "'\(path)' is not a regular file")
            }
        }
    }

    @Test func valuesAndBytesAreBounded() throws {
        let limits = DocumentLimits(bytes: 10_000, nodes: 100, aliasNodes: 10, depth: 8)
        let list = "x: [" + Array(repeating: "1", count: 200).joined(separator: ", ") + "]\n"
        #expect(issue(list, limits: limits)?.message == "the document holds more than 100 values")
        let long = "x: \"" + String(repeating: "a", count: 10_001) + "\"\n"
        #expect(issue(long, limits: limits)?.message.contains("more than the 10000 a file may hold") == true)
    }

    @Test func aFileOverTheLimitIsRefusedBeforeItIsRead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).yaml").path
        try Data(count: DocumentLimits.standard.bytes + 1).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try DocumentLoader.load(path: path)
            Issue.record("a file over the limit was read")
        } catch {
            #expect(error.issues.first?.message.contains("more than the \(DocumentLimits.standard.bytes) bytes") == true)
        }
    }

    @Test(arguments: [
        ("? [a, b]\n: 1\n", "a field name is a list"),
        ("a: &m {x: 1}\n*m : 2\n", "a field name is a mapping of fields"),
        ("a: 1\n---\nb: 2\n", "the file holds more than one document"),
        ("a: *nowhere\n", "the alias *nowhere names no anchor written before it"),
        ("a: 1\na: 2\n", "a mapping has a field written twice: a"),
    ])
    func malformedStructuresAreNamed(text: String, message: String) throws {
        let found = try #require(issue(text))
        #expect(found.message.contains(message), "\(found.message)")
        #expect(found.location != nil)
    }

    @Test func everyExampleIsFarWithinTheLimits() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples")
        let files = FileManager.default.enumerator(atPath: folder.path)!.compactMap { $0 as? String }
            .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".json")) && !$0.split(separator: "/").contains { $0.hasPrefix(".") } }
        #expect(files.count >= 15)
        // A tenth of every budget is plenty of room for real files.
        let tenth = DocumentLimits(
            bytes: DocumentLimits.standard.bytes / 10, nodes: DocumentLimits.standard.nodes / 10,
            aliasNodes: DocumentLimits.standard.aliasNodes / 10, depth: DocumentLimits.standard.depth / 4)
        for file in files {
            #expect(throws: Never.self, "\(file)") {
                try DocumentLoader.load(path: folder.appendingPathComponent(file).path, limits: tenth)
            }
        }
    }
}

/// `vectorfab diff` compares at most ``ProcessDiff/maxValues`` values of each file.
struct DiffLimitTests {
    @Test func aDiffOfFilesWithTooManyValuesIsRefused() throws {
        let list = "[" + Array(repeating: "1", count: ProcessDiff.maxValues + 1).joined(separator: ",") + "]"
        let big = try DocumentLoader.parse("costs: {notes: \(list)}\n", file: "a.yaml")
        let small = try DocumentLoader.parse("costs: {notes: [1]}\n", file: "b.yaml")
        #expect(throws: WorkLimitError.self) { try ProcessDiff.inputChanges(big, small) }
        #expect(try ProcessDiff.inputChanges(small, small).isEmpty)
    }
}

/// Lists that set how much a lot simulation does are bounded in the process reader.
struct ProcessListLimitTests {
    @Test func aProcessWithTooManyDownstreamStepsIsRefused() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples")
        let text = try String(contentsOf: folder.appendingPathComponent("seed000-aav-200L.yaml"), encoding: .utf8)
        let step = "  - {step: hold, name: Hold, yield: \"99 %\", duration: \"1 h\"}\n"
        let bloated = text.replacingOccurrences(of: "downstream:\n", with: "downstream:\n" + String(repeating: step, count: 51))
        #expect(bloated != text)
        do {
            _ = try ProcessFile.parse(bloated, file: "bloated.yaml")
            Issue.record("a process with 50+ steps was accepted")
        } catch {
            #expect(error.issues.contains { $0.message.hasPrefix("has ") && $0.message.hasSuffix("steps, more than the limit of 50") }, "\(error)")
        }
    }
}
