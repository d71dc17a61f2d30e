import Bioprocess
import FileFormats
import Foundation
import Reporting
import Testing

@testable import Economics

/// Expected lot cost ÷ expected doses beside the mean of each sample's cost per dose: a lot that
/// makes no dose still costs, so the mean per sample (which must leave it out) says too little.
struct ExpectedCostTests {
    @Test func aLotWithNoDoseCountsInTheExpectedCostButNotInTheMeanPerSample() {
        // Four samples: 100 for 1 dose, 100 for none, 100 for 3 doses, and one lot that cannot be made.
        let r = MonteCarlo.Result(
            samples: 4, seed: 1, infeasible: 1,
            columns: [.lotCost: [100, 100, 100, .nan], .doses: [1, 0, 3, 0], .costPerDose: [100, .infinity, 100.0 / 3, .nan]],
            targetDoses: nil, seconds: 0)
        // 300 spent on the three lots made, for 4 doses.
        #expect(r.expectedCostPerDose == 75)
        #expect(r.noDoseShare == 0.5)
        // The mean per sample keeps only the two lots with doses: (100 + 33.3) / 2.
        #expect(abs(r.statistics(.costPerDose).mean - 200.0 / 3) < 1e-9)
        let none = MonteCarlo.Result(samples: 1, seed: 1, infeasible: 0, columns: [.lotCost: [100], .doses: [0]], targetDoses: nil, seconds: 0)
        #expect(none.expectedCostPerDose == nil && none.noDoseShare == 1)
    }

    @Test func theReportSaysBothBesideEachOther() throws {
        let model = try EconomicFile.load(path: MonteCarloTests.peer)
        let result = MonteCarlo.run(model, .init(samples: 5000, seed: 3, threads: 2))
        // Σ lot cost ÷ Σ doses over the lots that can be made, from the run's own columns.
        let cost = try #require(result.columns[.lotCost]), doses = try #require(result.columns[.doses])
        let made = cost.indices.filter { cost[$0].isFinite }
        let expected = made.map { cost[$0] }.reduce(0, +) / made.map { doses[$0] }.reduce(0, +)
        #expect(abs(try #require(result.expectedCostPerDose) / expected - 1) < 1e-12)
        let report = UncertaintyReport(model: model, result: result, threads: 2, tornado: Sensitivity.tornado(model), sobol: nil)
        #expect(report.text().contains("Expected lot cost ÷ expected doses: \(Fmt.money(expected, model.costs.currency))"))
        #expect(report.data().expectedCostPerDose == result.expectedCostPerDose && report.data().noDoseShare == result.noDoseShare)
        // The nominal lot's plausibility warnings, as the lot report gives them (the peer model
        // states no full capsids), in the text and the JSON.
        let warnings = Plausibility.warnings(try LotReport.simulate(model.process))
        #expect(!warnings.isEmpty && report.data().warnings == warnings)
        #expect(warnings.allSatisfy { report.text().contains($0.message) })
    }
}
