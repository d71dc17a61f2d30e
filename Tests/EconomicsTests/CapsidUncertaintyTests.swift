import Bioprocess
import FileFormats
import Foundation
import Reporting
import Testing

@testable import Economics

/// Capsid figures in the uncertainty report (issue 14, item 1): the bulk's capsids and its
/// share of full capsids as outputs of every sample, and the probability that the bulk meets
/// the release specification on % full.
struct CapsidUncertaintyTests {
    static let duchenne = Repository.path("Examples/aav-dmd-suspension-2000L.yaml")

    /// The Duchenne process with its full-capsid share uncertain (10–30 % after triple
    /// transfection, Wright 2014), written in a folder of its own with its cost file.
    static func uncertainFullCapsids() throws -> EconomicModel {
        let text = try String(contentsOfFile: duchenne, encoding: .utf8)
        let uncertain = text.replacingOccurrences(
            of: "full-capsids: \"20 %\"", with: "full-capsids: {triangular: [\"10 %\", \"20 %\", \"30 %\"]}")
        #expect(uncertain != text, "the example states its full capsids as \"20 %\"")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("capsids-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/costs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(
            atPath: Repository.path("Examples/costs/aav-eur-2024.yaml"), toPath: folder + "/costs/aav-eur-2024.yaml")
        try uncertain.write(toFile: folder + "/process.yaml", atomically: true, encoding: .utf8)
        return try EconomicFile.load(path: folder + "/process.yaml")
    }

    @Test func theFullShareVariesWithTheFullCapsidsMadeAndItsSpecificationGetsAProbability() throws {
        let model = try Self.uncertainFullCapsids()
        #expect(model.parameters.map(\.label).contains { $0.contains("full-capsids") })
        let result = MonteCarlo.run(model, .init(samples: 2000, seed: 11, threads: 2))
        let share = try #require(result.columns[.vectorShare]), capsids = try #require(result.columns[.bulkParticles])
        // Every sample's share is its vector over its capsids, a fraction of 1.
        let vector = try #require(result.columns[.bulkVector])
        for i in share.indices where share[i].isFinite {
            #expect(abs(share[i] - vector[i] / capsids[i]) <= 1e-12 * share[i] && share[i] > 0 && share[i] < 1)
        }
        // At the nominal 20 % full the bulk is 72.9 % full (the lot report); 10–30 % made spans it.
        let nominal = try #require(ParticleBalance.of(try LotReport.simulate(model.process))).bulk.vectorShare
        let s = result.statistics(.vectorShare)
        #expect(s.p5 < nominal && nominal < s.p95, "p5 \(s.p5), nominal \(nominal), p95 \(s.p95)")
        // The specification (≥ 70 % full) met by the share of samples counted from the column.
        let report = UncertaintyReport(model: model, result: result, threads: 2, tornado: Sensitivity.tornado(model), sobol: nil)
        let spec = try #require(report.fullCapsidSpecifications.first)
        let met = share.filter { $0 * 100 >= 70 }.count
        #expect(spec.probability == Double(met) / Double(result.samples))
        #expect(spec.probability > 0.05 && spec.probability < 0.95, "the 10–30 % range straddles the specification: \(spec.probability)")
        // In the text, the JSON and the CSV.
        let text = report.text()
        #expect(text.contains("full capsids in bulk") && text.contains("capsids in bulk (cp)"))
        #expect(text.contains("Probability that the bulk meets \(spec.test) (\(spec.specification)): \(Fmt.percent(spec.probability))"))
        let data = report.data()
        #expect(data.outputs["vector-share"]?.mean == s.mean && data.fullCapsidSpecifications.first?.probability == spec.probability)
        #expect(report.csv().contains("vector-share,p(\(spec.specification)),\(spec.probability)"))
    }

    /// A process that states no particles shows no capsid rows; an LV one shows particles.
    @Test func processesWithoutCapsidsShowNone() throws {
        let model = try EconomicFile.load(path: MonteCarloTests.peer)
        let result = MonteCarlo.run(model, .init(samples: 200, seed: 1, threads: 1))
        let report = UncertaintyReport(model: model, result: result, threads: 1, tornado: Sensitivity.tornado(model), sobol: nil)
        #expect(!report.outputs.contains { $0.0 == .vectorShare } && report.fullCapsidSpecifications.isEmpty)
        #expect(report.data().outputs["vector-share"] == nil)
        #expect(result.columns[.vectorShare] == nil && result.columns[.bulkParticles] == nil)
    }
}
