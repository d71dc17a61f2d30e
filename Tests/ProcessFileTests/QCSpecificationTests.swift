import Bioprocess
import FileFormats
import Foundation
import Testing

/// Release tests come in two panels, each test with its specification; the drug-substance panel
/// samples the bulk before fill, the drug-product panel takes vials.
struct QCSpecificationTests {
    let example = "seed000-aav-200L.yaml"

    @Test func panelsAndSpecificationsAreRead() throws {
        let p = try ProcessFile.load(path: Repository.path("Examples/\(example)"))
        let release = p.qualityControl.release
        let sterility = try #require(release.first { $0.test == "Sterility (Ph. Eur. 2.6.1)" })
        #expect(sterility.panel == .drugProduct)
        #expect(sterility.specification == .passFail(criterion: "no growth"))
        let endotoxin = try #require(release.first { $0.test == "Endotoxin" })
        #expect(endotoxin.specification == .range(low: nil, high: 5, unit: "EU/mL"))
        // The same test once in each panel.
        let titers = release.filter { $0.test == "vg titer (ddPCR)" }
        #expect(Set(titers.map(\.panel)) == [.drugSubstance, .drugProduct])
        #expect(titers.allSatisfy { $0.specification == .range(low: 1.8e13, high: 2.7e13, unit: "vg/mL") })
    }

    /// The drug-substance samples leave the bulk before fill; only drug-product tests take vials.
    @Test func drugSubstanceSamplesComeFromTheBulkAndDrugProductTestsFromVials() throws {
        let p = try ProcessFile.load(path: Repository.path("Examples/\(example)"))
        let s = try LotSimulator.summary(p)
        let fill = try #require(p.fill)
        let ds = p.qualityControl.release.filter { $0.panel == .drugSubstance }.reduce(0) {
            $0 + $1.volume.value(in: "mL")
        }
        let dp = p.qualityControl.release.filter { $0.panel == .drugProduct }.reduce(0) {
            $0 + $1.volume.value(in: "mL")
        }
        #expect(ds > 0 && dp > 0)
        #expect(abs(s.drugSubstanceSamples.value(in: "mL") - ds) < 1e-9)
        let perVial = (fill.fillVolume + fill.overfill).value(in: "mL")
        let expectedVials = ((s.bulkVolume.value(in: "mL") - ds - fill.lineLoss.value(in: "mL")) / perVial).rounded(
            .down)
        #expect(s.vialsFilled == Int(expectedVials))
        let expectedQC = Int((dp / fill.fillVolume.value(in: "mL")).rounded(.up)) + p.qualityControl.retainedVials
        #expect(s.qcVials == expectedQC)

        // Moving every test to the drug product: nothing drawn from the bulk, more vials for QC.
        var allDP = p
        for i in allDP.qualityControl.release.indices where allDP.qualityControl.release[i].panel == .drugSubstance {
            allDP.qualityControl.release[i].panel = .drugProduct
            allDP.qualityControl.release[i].test += " (vials)"
        }
        let t = try LotSimulator.summary(allDP)
        #expect(t.drugSubstanceSamples == .zero)
        #expect(
            t.qcVials == Int(((ds + dp) / fill.fillVolume.value(in: "mL")).rounded(.up))
                + p.qualityControl.retainedVials)
    }

    /// The unrounded doses (for smooth sensitivity indices) leave out what the drug-substance
    /// panel draws, with or without a fill.
    @Test func fractionalDosesLeaveOutTheDrugSubstanceSamples() throws {
        let p = try ProcessFile.load(path: Repository.path("Examples/\(example)"))
        let perDose = p.product.dose.vectorPerDose.canonical
        let s = try LotSimulator.summary(p)
        #expect(abs(s.fractionalDoses - Double(s.vialsForPatients) * s.vectorPerVial.canonical / perDose) < 1e-9)
        var bulkOnly = p
        bulkOnly.fill = nil
        let b = try LotSimulator.summary(bulkOnly)
        let kept = 1 - b.drugSubstanceSamples.canonical / b.bulkVolume.canonical
        #expect(kept < 1)
        #expect(abs(b.fractionalDoses - b.bulkVector.canonical * kept / perDose) < 1e-9 * b.fractionalDoses)
        #expect(b.doses == Int(b.fractionalDoses.rounded(.down)))
    }

    @Test func anInProcessSpecificationIsOptional() throws {
        let text = try mutated(
            example, replacing: "{test: vg titer, after: Affinity capture, volume: \"2 mL\"}",
            with: "{test: vg titer, after: Affinity capture, volume: \"2 mL\", spec: {min: 1e12, unit: vg/mL}}")
        let p = try ProcessFile.parse(text, file: "qc.yaml")
        #expect(p.qualityControl.inProcess.map(\.specification) == [nil, .range(low: 1e12, high: nil, unit: "vg/mL")])
    }

    @Test(arguments: [
        // A release test without a specification.
        (", spec: \"no growth\"}   # seed", "}   # seed", "qc.release[0].spec", "missing field 'spec'"),
        // A range without limits, with its limits upside down, without a unit.
        ("spec: {max: 5, unit: EU/mL}", "spec: {unit: EU/mL}", "qc.release[1].spec", "a range needs a limit"),
        (
            "spec: {max: 5, unit: EU/mL}", "spec: {min: 9, max: 5, unit: EU/mL}", "qc.release[1].spec.min",
            "is above max"
        ),
        ("spec: {max: 5, unit: EU/mL}", "spec: {max: 5}", "qc.release[1].spec.unit", "missing field 'unit'"),
        (
            "spec: {max: 5, unit: EU/mL}", "spec: {max: \"5 EU/mL\", unit: EU/mL}", "qc.release[1].spec.max",
            "not a known unit"
        ),
        (
            "spec: {max: 5, unit: EU/mL}", "spec: {maximum: 5, unit: EU/mL}", "qc.release[1].spec.maximum",
            "unknown field"
        ),
        // A bare number is not a pass/fail criterion; an empty criterion is none.
        ("spec: \"no growth\"", "spec: 5", "qc.release[0].spec", "bare number"),
        ("spec: \"no growth\"", "spec: \"  \"", "qc.release[0].spec", "criterion is empty"),
        ("spec: \"no growth\"", "spec: [no growth]", "qc.release[0].spec", "is a list"),
        // An unknown panel; the same test twice in one panel.
        (
            "panel: drug-product, volume: \"4 mL\"", "panel: vials, volume: \"4 mL\"", "qc.release[0].panel",
            "is not a known value"
        ),
        (
            "{test: Endotoxin, panel: drug-product", "{test: \"Sterility (Ph. Eur. 2.6.1)\", panel: drug-product",
            "qc.release[1].test", "already has a test"
        ),
    ])
    func badSpecificationsAreNamed(old: String, new: String, path: String, message: String) throws {
        let text = try mutated(example, replacing: old, with: new)
        let found = issues(text)
        let issue = try #require(found.first { $0.path.description == path }, "\(found)")
        #expect(issue.message.contains(message), "\(issue)")
        #expect(issue.location?.line == line(of: new.components(separatedBy: "\n")[0], in: text))
        #expect(issue.expected != nil, "\(issue)")
    }

    /// The schema refuses what the reader refuses.
    @Test(arguments: [
        ("spec: {max: 5, unit: EU/mL}", "spec: {unit: EU/mL}"),
        ("spec: {max: 5, unit: EU/mL}", "spec: {max: 5}"),
        ("spec: \"no growth\"", "spec: 5"),
        ("panel: drug-product, volume: \"4 mL\"", "panel: vials, volume: \"4 mL\""),
        (", spec: \"no growth\"}   # seed", "}   # seed"),
    ])
    func theSchemaRefusesThemToo(old: String, new: String) throws {
        let text = try mutated(example, replacing: old, with: new)
        let validator = try #require(SchemaTests.validator)
        #expect(
            !validator.errors(JSONValue(document: try DocumentLoader.parse(text, file: "x.yaml"))).isEmpty,
            "the schema accepts \(new)")
    }
}
