import Bioprocess
import Economics
import FileFormats
import Foundation
import Testing

/// Bad cost inputs get a clear error naming where, and change nothing.
struct CostReaderTests {
    func issues(_ text: String) -> [DefinitionIssue] {
        do {
            _ = try Costed.model(text)
            Issue.record("accepted")
            return []
        } catch let error as DefinitionError {
            return error.issues
        } catch {
            Issue.record("\(error)")
            return []
        }
    }

    @Test(arguments: [
        // Another currency converts only at a stated rate.
        ("medium: \"10 EUR/L\"", "medium: \"10 USD/L\"", "costs.materials.medium", "gives no rate for USD"),
        ("medium: \"10 EUR/L\"", "medium: \"10 EUR\"", "costs.materials.medium", "not the unit"),
        ("medium: \"10 EUR/L\"", "medium: \"-10 EUR/L\"", "costs.materials.medium", "is negative"),
        // Issue 9: "1e308 EUR" exited 0 and printed "∞ (no dose)" for a lot that makes doses.
        ("medium: \"10 EUR/L\"", "medium: \"1e308 EUR/L\"", "costs.materials.medium", "is out of range: numbers are read from 1e-30 to 1e30"),
        ("success-rate: \"80 %\"", "success-rate: \"120 %\"", "costs.success-rate", "above 100 %"),
        ("    Filter: {filter: \"500 EUR/m²\"}\n", "", "costs.steps.Filter", "missing field 'Filter'"),
        ("Titer: \"100 EUR\"}", "Titre: \"100 EUR\"}", "costs.qc.tests.Titer", "missing field 'Titer'"),
        ("lots-per-year: 20", "lots-per-year: 20, allocation: suite-time", "costs.facility", "exactly one of"),
        ("currency: EUR", "currency: GBP", "costs.currency", "not a known value"),
        (
            "success-rate: \"80 %\"", "success-rate: {uniform: [\"90 %\", \"80 %\"]}", "costs.success-rate.uniform",
            "its low is not below its high"
        ),
        ("labour:", "labor:", "costs.labor", "unknown field 'labor' (did you mean 'labour'?)"),
    ])
    func badCostInputsAreNamed(old: String, new: String, path: String, message: String) {
        let text = Costed.yaml.replacingOccurrences(of: old, with: new)
        #expect(text != Costed.yaml, "the fixture has no '\(old)'")
        let found = issues(text)
        let issue = found.first { $0.path.description == path }
        #expect(issue?.message.contains(message) == true, "\(found)")
        #expect(issue?.location?.file == "costed.yaml")
    }

    @Test func aProcessWithoutCostsCannotBeCosted() {
        let text = Costed.yaml.components(separatedBy: "costs:\n")[0]
        #expect(issues(text).first?.message == "missing field 'costs'")
    }

    @Test func aMissingCostFileIsNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("p.yaml")
        let text = Costed.yaml.components(separatedBy: "costs:\n")[0] + "costs: nowhere.yaml\n"
        try text.write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try EconomicFile.load(path: file.path)
            Issue.record("accepted")
        } catch {
            #expect(error.issues.first?.message.contains("cannot read the file") == true)
            #expect(error.issues.first?.path.description == "costs")
        }
    }

    @Test func aBaseCostFileIsMergedWithTheOverrides() throws {
        let model = try EconomicFile.load(path: Repository.path("Examples/lv-sickle-cell-current.yaml"))
        #expect(model.costs.allocation == .lotsPerYear(6))
        #expect(model.costs.productionUnit == 250)  // the flasks' price from the base file's per-platform list
        let industrial = try EconomicFile.load(path: Repository.path("Examples/lv-sickle-cell-industrial.yaml"))
        #expect(industrial.costs.allocation == .lotsPerYear(24))
        #expect(industrial.costs.productionUnit == 20_000)
    }

    @Test func anErrorInACostFileIsReportedInThatFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try String(contentsOfFile: Repository.path("Examples/costs/lv-eur-2024.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "medium: \"50 EUR/L\"", with: "medium: \"50 EUR/kg\"")
        try base.write(to: dir.appendingPathComponent("costs.yaml"), atomically: true, encoding: .utf8)
        let process = try String(
            contentsOfFile: Repository.path("Examples/lv-sickle-cell-current.yaml"), encoding: .utf8
        )
        .replacingOccurrences(of: "costs/lv-eur-2024.yaml", with: "costs.yaml")
        try process.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try EconomicFile.load(path: dir.appendingPathComponent("p.yaml").path)
            Issue.record("accepted")
        } catch {
            let issue = try #require(error.issues.first)
            #expect(issue.location?.file.hasSuffix("costs.yaml") == true)
            #expect(issue.path.description == "costs.materials.medium")
        }
    }
}
