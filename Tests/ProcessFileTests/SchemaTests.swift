import Bioprocess
import Economics
import FileFormats
import Foundation
import Testing

/// `schema/process.schema.json` lets editors complete and check process files: every example
/// must validate against it, and the mistakes the reader refuses must fail it too.
struct SchemaTests {
    static let validator: SchemaValidator? = {
        guard let schema = try? DocumentLoader.load(path: Repository.path("schema/process.schema.json")) else {
            return nil
        }
        return SchemaValidator(root: JSONValue(document: schema))
    }()

    func errors(_ text: String, file: String = "x.yaml") throws -> [String] {
        let validator = try #require(Self.validator, "schema/process.schema.json does not load")
        return validator.errors(JSONValue(document: try DocumentLoader.parse(text, file: file)))
    }

    @Test func theSchemaDeclaresItsDialectAndFormat() throws {
        let validator = try #require(Self.validator)
        #expect(validator.root["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
        #expect(validator.root["properties"]?["vectorfab"]?["const"] == .string("vectorfab/process/1"))
    }

    @Test(arguments: ExampleTests.examples)
    func everyExampleValidates(name: String) throws {
        let found = try errors(Repository.text("Examples/\(name)"), file: name)
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test(arguments: [
        ("  working-volume: \"200 L\"", "  workin-volume: \"200 L\""),  // unknown and missing field
        ("working-volume: \"200 L\"", "working-volume: \"200 kg\""),  // wrong unit
        ("working-volume: \"200 L\"", "working-volume: 200"),  // missing unit
        ("  - step: affinity", "  - step: polish"),  // unknown step
        ("  platform: suspension", "  platform: roller-bottles"),
        ("    column-volume: \"1 L\"", "    column-volume: \"1 L\"\n    max-column-volume: \"2 L\""),
        ("vectorfab: vectorfab/process/1", "vectorfab: vectorfab/process/2"),
        ("  vials-per-hour: 60", "  vials-per-hour: \"60 %\""),
        ("amount: \"5e12 vg/kg\"", "amount: \"5e12 TU/kg\""),
    ])
    func mistakesTheReaderRefusesFailTheSchema(old: String, new: String) throws {
        let text = try mutated("seed000-aav-200L.yaml", replacing: old, with: new)
        #expect(!(try errors(text)).isEmpty, "the schema accepts \(new)")
        #expect(throws: DefinitionError.self) { try ProcessFile.parse(text, file: "x.yaml") }
    }
}

/// The reference page's complete example is a process file like the others.
struct DocumentationTests {
    @Test func theFormatReferencesCompleteFileLoadsAndValidates() throws {
        let page = try Repository.text("docs/process-format.md")
        let section = try #require(page.range(of: "## A complete file"))
        let rest = page[section.upperBound...]
        let start = try #require(rest.range(of: "```yaml\n"))
        let end = try #require(rest[start.upperBound...].range(of: "```"))
        let yaml = String(rest[start.upperBound..<end.lowerBound])
        let process = try ProcessFile.parse(yaml, file: "docs/process-format.md")
        #expect(try LotSimulator.summary(process).doses > 0)
        let validator = try #require(SchemaTests.validator)
        #expect(validator.errors(JSONValue(document: try DocumentLoader.parse(yaml, file: "doc"))).isEmpty)
    }
}

/// The cost, facility and demand files validate against their schemas too.
struct OtherSchemaTests {
    static func validator(_ name: String) throws -> SchemaValidator {
        SchemaValidator(root: JSONValue(document: try DocumentLoader.load(path: Repository.path("schema/\(name)"))))
    }

    static let capacityFiles: [String] = {
        ((try? FileManager.default.contentsOfDirectory(atPath: Repository.path("Examples/capacity"))) ?? []).filter { $0.hasSuffix(".yaml") && !$0.hasPrefix(".") }.sorted()
    }()

    @Test func costFilesValidate() throws {
        let v = try Self.validator("costs.schema.json")
        for name in ["aav-eur-2024.yaml", "lv-eur-2024.yaml"] {
            let found = v.errors(JSONValue(document: try DocumentLoader.load(path: Repository.path("Examples/costs/\(name)"))))
            #expect(found.isEmpty, "\(name): \(found)")
        }
        let bad = try DocumentLoader.parse("vectorfab: vectorfab/costs/1\ncurrency: GBP\n", file: "x")
        #expect(!v.errors(JSONValue(document: bad)).isEmpty)
    }

    @Test(arguments: [
        // Without its rate, an amount in USD in a EUR file.
        ("exchange-rates: {USD: 0.92}", "exchange-rates: {}"),
        // A price per m² without the floor area it multiplies.
        ("  floor-area:\n    suspension: \"1200 m²\"\n    fixed-bed: \"1000 m²\"\n    flasks: \"2000 m²\"\n", ""),
        // Production staff beside the crews: production labour twice.
        ("    qa: 4 ", "    production: 12\n    qa: 4 "),
        // QC per lot given neither as one figure nor split.
        ("  labour: \"60000 EUR\"        # analysts' time\n  supplies: \"40000 EUR\"      # reagents, consumables, reference standards\n  outsourced: \"50000 EUR\"    # contract laboratories: adventitious agents, raw-material tests\n", ""),
        // A purchase with neither size nor minimum.
        ("{size: \"1 g\", minimum-order: \"150000 EUR\", lots-per-order: 4}", "{lots-per-order: 4}"),
        // A campaign without its lots.
        ("  lots: 20\n  items:", "  items:"),
    ])
    func costFileMistakesTheReaderRefusesFailTheSchema(old: String, new: String) throws {
        let original = try String(contentsOfFile: Repository.path("Examples/costs/aav-eur-2024.yaml"), encoding: .utf8)
        let text = original.replacingOccurrences(of: old, with: new)
        #expect(text != original, "the file has no '\(old)'")
        let costs = try DocumentLoader.parse(text, file: "costs.yaml")
        #expect(!(try Self.validator("costs.schema.json")).errors(JSONValue(document: costs)).isEmpty, "the schema accepts \(new)")
        let process = try DocumentLoader.load(path: Repository.path("Examples/aav-dmd-suspension-2000L.yaml"))
        #expect(throws: DefinitionError.self, "the reader accepts \(new)") {
            try EconomicReader.read(EconomicFile.resolvingReferences(process) { _ in costs })
        }
    }

    @Test(arguments: capacityFiles)
    func capacityFilesValidate(name: String) throws {
        let document = try DocumentLoader.load(path: Repository.path("Examples/capacity/\(name)"))
        let kind = JSONValue(document: document)["vectorfab"] == .string("vectorfab/facility/1") ? "facility" : "demand"
        let found = try Self.validator("\(kind).schema.json").errors(JSONValue(document: document))
        #expect(found.isEmpty, "\(name): \(found)")
    }

    @Test func siteFilesValidateAndTheReadersMistakesFailTheSchema() throws {
        let v = try Self.validator("site.schema.json")
        let names = try FileManager.default.contentsOfDirectory(atPath: Repository.path("Examples/sites")).filter { $0.hasSuffix(".yaml") }
        #expect(!names.isEmpty)
        for name in names {
            let found = v.errors(JSONValue(document: try DocumentLoader.load(path: Repository.path("Examples/sites/\(name)"))))
            #expect(found.isEmpty, "\(name): \(found)")
        }
        let base = "vectorfab: vectorfab/site/1\nname: t\nrooms: [{id: R, grade: B}]\n"
        for bad in [
            "series: [{id: s, measures: ph, interval: 1 min}]",  // neither room nor equipment
            "series: [{id: s, measures: ph, room: R, equipment: E, interval: 1 min}]",  // both
            "series: [{id: s, measures: phh, room: R, interval: 1 min}]",
            "series: [{id: s, measures: ph, room: R, interval: often}]",
            "series: [{id: 's s', measures: ph, room: R, interval: 1 min}]",
        ] {
            #expect(!v.errors(JSONValue(document: try DocumentLoader.parse(base + bad, file: "x"))).isEmpty, "\(bad)")
        }
        #expect(v.errors(JSONValue(document: try DocumentLoader.parse(base + "series: [{id: s, measures: ph, room: R, interval: 1 min}]", file: "x"))).isEmpty)
    }
}
