import Bioprocess
import FileFormats
import Foundation
import Testing

/// Every scalar of a document with its path by index.
func scalars(_ node: DocumentNode, _ path: FieldPath = .root) -> [(FieldPath, String)] {
    switch node.value {
    case .scalar(let s, _): [(path, s)]
    case .null: []
    case .mapping(let entries): entries.flatMap { scalars($0.value, path.appending($0.key)) }
    case .sequence(let items): items.enumerated().flatMap { scalars($0.element, path.appending(index: $0.offset)) }
    }
}

/// Inputs written as distributions, and the setters the Monte Carlo writes samples through.
struct UncertaintyReadingTests {
    /// Fields that hold whole numbers, text or shares adding to 100 %, and the shelf life (a
    /// label's figure for capacity planning, not a lot's input): never uncertain.
    static let notUncertain: Set<String> = [
        "units", "harvests", "max-vessels", "vials-per-lot", "eyes-per-patient", "max-population-doublings",
        "retained-vials", "share", "shelf-life", "count",
    ]

    @Test(arguments: ExampleTests.examples)
    func everyNumericFieldOfEveryExampleHasASetterThatReproducesIt(name: String) throws {
        let document = try DocumentLoader.load(path: Repository.path("Examples/\(name)"))
        let process = try ProcessReader.read(document, extensions: ProcessFile.extensions)
        var checked = 0
        let distributions: Set<String> = ["fixed", "uniform", "triangular", "pert", "normal", "lognormal"]
        for (path, text) in scalars(document) {
            // A parameter of a distribution: the field it describes must have a setter.
            if let d = path.components.firstIndex(where: {
                if case .key(let k) = $0 { distributions.contains(k) } else { false }
            }) {
                let field = FieldPath(Array(path.components[..<d]))
                if case .key(let top)? = field.components.first, ProcessFile.extensions.contains(top) { continue }
                #expect(ProcessParameters.setter(for: field) != nil, "no setter for \(field)")
                continue
            }
            // A QC specification's limits judge results; they are not process inputs.
            if path.components.contains(.key("spec")) { continue }
            guard case .key(let field)? = path.components.last, !Self.notUncertain.contains(field),
                case .key(let top)? = path.components.first, !ProcessFile.extensions.contains(top),
                let m = try? QuantityParser.parse(text), m.canonical.isFinite
            else { continue }
            let setter = try #require(ProcessParameters.setter(for: path), "no setter for \(path)")
            var copy = process
            setter(&copy, m.canonical)
            #expect(copy == process, "setting \(path) to its own value changed the definition")
            setter(&copy, m.canonical * 1.37 + 1e-30)
            #expect(copy != process, "setting \(path) changed nothing")
            checked += 1
        }
        #expect(checked > 10)
    }

    func read(_ text: String) throws -> (ProcessDefinition, [UncertainInput]) {
        let issues = IssueCollector()
        let p = ProcessReader.parse(try DocumentLoader.parse(text, file: "u.yaml"), issues: issues)
        try issues.throwIfAny()
        return (p, issues.uncertain)
    }

    @Test func distributionsAreReadWithTheirNominalValue() throws {
        var text = try mutated(
            "seed000-aav-200L.yaml", replacing: "doubling-time: \"24 h\"",
            with: "doubling-time: {triangular: [\"22 h\", \"1 d\", \"32 h\"]}")
        text = text.replacingOccurrences(
            of: "productivity: \"3e4 vg/cell\"",
            with: "productivity: {lognormal: {median: \"3e4 vg/cell\", sigma: 0.4}}")
        text = text.replacingOccurrences(of: "    yield: \"70 %\"", with: "    yield: {uniform: [\"55 %\", 0.85]}")
        text = text.replacingOccurrences(of: "  vials-per-hour: 60", with: "  vials-per-hour: {pert: [40, 60, 90]}")
        text = text.replacingOccurrences(
            of: "    yield: \"90 %\"\n    concentration-factor: 20",
            with: "    yield: {normal: {mean: \"90 %\", sd: \"3 %\"}}\n    concentration-factor: {fixed: 20}")
        let (p, inputs) = try read(text)
        #expect(p.cellLine.doublingTime == Quantity<Duration>(24, "h"))
        #expect(
            inputs.map(\.path.description) == [
                "cell-line.doubling-time", "production.productivity", "downstream[2].yield", "downstream[4].yield",
                "downstream[4].concentration-factor", "fill.vials-per-hour",
            ])
        let affinity = inputs[2].distribution
        #expect(affinity.distribution == .uniform(low: 0.55, high: 0.85))
        #expect(affinity.lower > 0 && affinity.upper == 1)
        #expect(abs(p.downstream[2].yield.value - 0.70) < 1e-12)  // the uniform's middle
        #expect(inputs[3].distribution.truncated)
        #expect(p.fill?.vialsPerHour == 60)
    }

    @Test(arguments: [
        ("{uniform: [\"95 %\", \"80 %\"]}", "its low is not below its high"),
        ("{uniform: [\"80 %\", \"120 %\"]}", "is above 100 %"),
        ("{uniform: [\"0 %\", \"50 %\"]}", "is not above 0"),
        ("{triangular: [\"50 %\", \"90 %\", \"80 %\"]}", "its mode is not between its low and high"),
        ("{pert: [\"50 %\", \"40 %\", \"80 %\"]}", "its mode is not between its low and high"),
        ("{normal: {mean: \"70 %\", sd: \"-5 %\"}}", "its sd is not positive"),
        ("{normal: {mean: \"105 %\", sd: \"3 %\"}}", "outside the field's physical range"),
        ("{lognormal: {median: \"70 %\", sigma: 0}}", "sigma '0' is not a positive number"),
        ("{beta: [1, 2]}", "'beta' is not a known distribution"),
        ("{uniform: [\"50 %\"]}", "the wrong number of parameters"),
        ("{uniform: [\"50 %\", \"2 L\"]}", "not the unit this field needs"),
        ("{uniform: {low: \"50 %\", hi: \"80 %\"}}", "missing field 'high'"),
        ("{uniform: [\"50 %\", \"80 %\"], fixed: \"60 %\"}", "is a mapping but not a distribution"),
    ])
    func impossibleDistributionsAreNamedWhereTheyAre(written: String, message: String) throws {
        let text = try mutated("seed000-aav-200L.yaml", replacing: "    yield: \"70 %\"", with: "    yield: \(written)")
        let found = issues(text)
        let issue = try #require(found.first, "accepted: \(written)")
        #expect(issue.message.contains(message), "\(issue)")
        #expect(issue.path.description.hasPrefix("downstream[2].yield"))
        #expect(issue.location?.line == line(of: "    yield: \(written)", in: text))
    }

    @Test func wholeNumberFieldsCannotBeDistributions() throws {
        let text = try mutated("seed000-aav-200L.yaml", replacing: "  units: 1", with: "  units: {uniform: [1, 3]}")
        let issue = try #require(issues(text).first)
        #expect(issue.path.description == "production.units")
        #expect(issue.message == "is a mapping of fields")
    }

    @Test func aPercentageInACountIsRefusedInsideADistributionToo() throws {
        let text = try mutated(
            "seed000-aav-200L.yaml", replacing: "  vials-per-hour: 60",
            with: "  vials-per-hour: {uniform: [\"40 %\", 90]}")
        #expect(issues(text).first?.message.contains("written with a unit") == true)
    }

    @Test func vectorInTheWrongCountIsRefusedInsideADistribution() throws {
        let text = try mutated(
            "seed000-aav-200L.yaml", replacing: "productivity: \"3e4 vg/cell\"",
            with: "productivity: {uniform: [\"2e4 vg/cell\", \"4e4 TU/cell\"]}")
        #expect(issues(text).first?.message.contains("counts vector in TU") == true)
    }
}
