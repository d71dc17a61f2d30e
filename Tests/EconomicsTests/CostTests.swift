import Bioprocess
import Economics
import FileFormats
import Foundation
import Reporting
import Testing

/// A small process with round numbers and its costs, so that every line can be computed by hand.
enum Costed {
    static let yaml = """
        vectorfab: vectorfab/process/1
        name: Costed fixture
        product:
          name: Test
          vector: {type: AAV, serotype: AAV9, genome-size: "4.7 kb"}
          dose: {model: per-kg, amount: "1e11 vg/kg", patient-weight: "10 kg"}
        cell-line:
          name: HEK293
          doubling-time: "24 h"
          bank: {cells-per-vial: "1e7 cells", viability: "100 %"}
        seed-train:
          passage-time: "0.5 d"
          stages:
            - {name: A, working-volume: "100 mL", seeding-density: "0.1e6 cells/mL", split-density: "1e6 cells/mL"}
            - {name: B, working-volume: "1 L", seeding-density: "0.1e6 cells/mL", split-density: "1e6 cells/mL"}
        production:
          platform: suspension
          model: STR 10 L
          working-volume: "10 L"
          seeding-density: "0.1e6 cells/mL"
          induction-density: "0.4e6 cells/mL"
          transfection: {plasmid: "1 pg/cell", reagent: PEI, reagent-ratio: 2}
          productivity: "1e4 vg/cell"
          duration: "3 d"
          handlings-per-unit: 4
        downstream:
          - {step: harvest, name: Lysis, yield: "100 %", added-volume: "10 %", duration: "2 h"}
          - {step: clarification, name: Filter, yield: "100 %", capacity: "100 L/m²", flux: "110 L/m²/h", setup-time: "1 h"}
          - {step: affinity, name: Capture, resin: R, yield: "50 %", binding-capacity: "1e13 vg/mL", loading: "100 %",
             column-volume: "1 L", elution-volumes: 2, other-volumes: 8, duration: "10 h"}
          - {step: ufdf, name: Formulate, yield: "100 %", concentration-factor: 10, diafiltration-volumes: 5,
             flux: "10 L/m²/h", process-time: "1 h", setup-time: "0 h"}
        fill: {container: vial, fill-volume: "1 mL", line-loss: "0 mL", setup-time: "0 h", vials-per-hour: 100}
        qc:
          in-process: [{test: Titer, after: Formulate, volume: "2 mL"}]
          release: [{test: Sterility, volume: "2 mL", turnaround: "14 d", spec: "no growth"}]
        costs:
          currency: EUR
          success-rate: "80 %"
          materials: {medium: "10 EUR/L", plasmid: "100000 EUR/g", reagent: "1000 EUR/g", buffer: "2 EUR/L",
                      seed-vessel: "50 EUR", production-unit: "1000 EUR", vial: "5 EUR", fill-single-use: "700 EUR"}
          steps:
            Filter: {filter: "500 EUR/m²"}
            Capture: {resin: "100000 EUR/L", resin-lifetime: 10, single-use: "300 EUR"}
            Formulate: {membrane: "2000 EUR/m²", membrane-lifetime: 2}
          labour:
            rate: "50 EUR/h"
            shift-length: "8 h"
            upstream: {staff: 2, shifts-per-day: 1}
            downstream: {staff: 3, shifts-per-day: 2}
            fill: {staff: 1, shifts-per-day: 1}
          qc: {per-lot: "1000 EUR", tests: {Sterility: "500 EUR", Titer: "100 EUR"}}
          facility: {capital: "10 MEUR", depreciation: "10 yr", yearly-overhead: "1 MEUR", lots-per-year: 20}
        """

    static func model(_ text: String = yaml) throws -> EconomicModel {
        try EconomicReader.read(try DocumentLoader.parse(text, file: "costed.yaml"))
    }
}

func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-300)
}

struct CostCategoryTests {
    func lines() throws -> (CostReport, [CostItem: Double]) {
        let report = try CostReport(try Costed.model())
        var byItem: [CostItem: Double] = [:]
        for l in report.lines { byItem[l.item, default: 0] += l.amount }
        return (report, byItem)
    }

    @Test func materialsFollowWhatTheLotConsumes() throws {
        let (_, l) = try lines()
        // Medium: 0.1 + 1 L of seed train and 10 L of production at 10 EUR/L.
        #expect(close(l[.medium]!, 11.1 * 10))
        // 4e9 cells × 1 pg = 4 mg of plasmid at 100,000 EUR/g; PEI 2 g/g at 1,000 EUR/g.
        #expect(close(l[.plasmid]!, 0.004 * 100_000))
        #expect(close(l[.reagent]!, 0.008 * 1_000))
        #expect(close(l[.seedVessels]!, 2 * 50))
        #expect(close(l[.productionUnits]!, 1000))
        // Filter: 11 L at 100 L/m² = 0.11 m² at 500 EUR/m².
        #expect(close(l[.filters(step: 1)]!, 0.11 * 500))
        // Resin: 1 L column, one cycle (4e13 vg < 1e16 vg capacity), 100,000 EUR/L over 10 cycles.
        #expect(close(l[.resin(step: 2)]!, 1 * 100_000 / 10))
        #expect(close(l[.stepSingleUse(step: 2)]!, 300))
        // UF/DF: 2 L → 0.2 L, permeate 1.8 L + 5 × 0.2 L = 2.8 L in 1 h at 10 L/m²/h = 0.28 m², reused twice.
        #expect(close(l[.membranes(step: 3)]!, 0.28 * 2000 / 2))
        // Buffers: 1 L of lysis buffer, 10 CV on the column, 1 L of diafiltration buffer, at 2 EUR/L.
        let buffers = [0, 1, 2, 3].compactMap { l[.buffer(step: $0)] }.reduce(0, +)
        #expect(close(buffers, (1 + 10 + 1) * 2))
        // 198 mL of bulk after the 2 mL sample: 198 vials at 5 EUR, and the fill assembly.
        #expect(close(l[.vials]!, 198 * 5))
        #expect(close(l[.fillSingleUse]!, 700))
    }

    @Test func labourIsCrewTimesShiftsTimesTheStagesDuration() throws {
        let (r, l) = try lines()
        // Upstream: 2 stages of log2(10) doublings + 0.5 d each, 2 d of growth, 3 d of production.
        let upstreamDays = 2 * (log2(10.0) + 0.5) + 2 + 3
        #expect(close(r.summary.upstreamTime.value(in: "d"), upstreamDays))
        #expect(close(l[.labour(.upstream)]!, 2 * 1 * 8 * 50 * upstreamDays))
        // Downstream: lysis 2 h, filter 1 h setup + 11 L / (0.11 m² × 110 L/m²/h), column 10 h, UF/DF 1 h.
        let downstreamHours = 2 + (1 + 11 / (0.11 * 110)) + 10 + 1
        #expect(close(l[.labour(.downstream)]!, 3 * 2 * 8 * 50 * downstreamHours / 24))
        // Fill: 198 vials at 100 an hour.
        #expect(close(l[.labour(.fill)]!, 1 * 1 * 8 * 50 * (1.98 / 24)))
    }

    @Test func qcIsTheTestsPlusThePerLotCost() throws {
        let (r, l) = try lines()
        #expect(close(l[.releaseTest(0)]!, 500))
        #expect(close(l[.inProcessTest(0)]!, 100))
        #expect(close(l[.qcPerLot]!, 1000))
        #expect(close(r.cost.matrix.total(CostCategory.qc), 1600))
    }

    @Test func facilityIsItsYearlyCostOverItsLotsSharedByTime() throws {
        let (r, l) = try lines()
        // (10 MEUR over 10 years + 1 MEUR a year) / 20 lots.
        let perLot = (10e6 / 10 + 1e6) / 20
        #expect(close(r.cost.matrix.total(.facility), perLot))
        let s = r.summary
        let suite = (s.upstreamTime + s.downstreamTime + s.fillTime).canonical
        #expect(close(l[.facility(.downstream)]!, perLot * s.downstreamTime.canonical / suite))
    }

    @Test func facilityBySuiteTimeIsAShareOfTheYear() throws {
        let text = Costed.yaml.replacingOccurrences(of: "lots-per-year: 20", with: "allocation: suite-time")
        let r = try CostReport(try Costed.model(text))
        let s = r.summary
        // Thaw to the end of fill for a lot that passes; a lot that fails (20 %) is known at the
        // end of purification and not filled: the year is shared over the lots it holds on average.
        let days = (s.upstreamTime + s.downstreamTime).value(in: "d") + 0.8 * s.fillTime.value(in: "d")
        #expect(s.fillTime.value(in: "d") > 0)
        #expect(close(r.cost.matrix.total(.facility), 2e6 * days / 365))
        #expect(close(r.lotsPerYear.computed, 365 / days))
        #expect(r.lotsPerYear.stated == nil && r.lotsPerYearLine().contains("computed from the lot's suite time"))
    }

    /// A stated lots-per-year is used, and the one computed from the lot's suite time is shown
    /// beside it, flagged when they are more than 10 % apart.
    @Test func aStatedLotsAYearIsShownBesideTheComputedOne() throws {
        let r = try CostReport(try Costed.model(Costed.yaml))
        let l = r.lotsPerYear
        #expect(l.stated == 20 && l.used == 20)
        let s = r.summary
        let days = (s.upstreamTime + s.downstreamTime).value(in: "d") + 0.8 * s.fillTime.value(in: "d")
        #expect(close(l.computed, 365 / days))
        #expect(l.disagrees == (abs(20 / l.computed - 1) > 0.10))
        let line = r.lotsPerYearLine()
        #expect(line.contains("20 stated in the costs") && line.contains(Fmt.number(l.computed)))
        #expect(line.contains("than the suite makes") == l.disagrees)
        #expect(r.data().lotsPerYear.computed == l.computed)
    }

    @Test func failedLotsAreCarriedByTheReleasedOnesAndDosesShareTheRest() throws {
        let (r, _) = try lines()
        let total = r.lines.reduce(0) { $0 + $1.amount }
        #expect(close(r.cost.perLotAttempted, total))
        #expect(close(r.cost.perLotReleased, total / 0.8))
        #expect(close(r.cost.failedLotsShare, total / 0.8 - total))
        // 196 vials for patients (2 for sterility) of 1e11 vg; a dose is 1e12 vg: 10 vials, 19 doses.
        #expect(r.cost.doses == 19)
        #expect(close(r.cost.perDose, total / 0.8 / 19))
    }

    @Test func aFairPriceAddsDevelopmentDistributionAndMargin() {
        let inputs = PriceInputs(
            developmentCost: 600e6, expectedPatients: 1000, years: Quantity(10, "yr"),
            distribution: .first(Quantity(0.1)),
            margin: 0.2, listPrice: 2e6)
        let p = FairPrice.compute(inputs, cogsPerDose: 100_000, dosesPerPatient: 2)
        // 600 M over 2,000 doses = 300,000 a dose; (100,000 + 300,000) × 1.2 / 0.9.
        #expect(close(p.developmentPerDose, 300_000))
        #expect(close(p.pricePerDose, 400_000 * 1.2 / 0.9))
        // Distribution is 10 % of the price; the margin 20 % of COGS + development.
        #expect(close(p.distributionPerDose, 0.1 * 400_000 * 1.2 / 0.9))
        #expect(close(p.marginPerDose, 0.2 * 400_000))
        #expect(close(p.listToFair!, 2e6 / p.pricePerDose))
        #expect(close(p.dosesPerYear, 200))
        let fixed = FairPrice.compute(
            PriceInputs(
                developmentCost: 0, expectedPatients: 1, years: Quantity(1, "yr"), distribution: .second(10_000),
                margin: 0.5,
                listPrice: nil), cogsPerDose: 90_000, dosesPerPatient: 1)
        #expect(close(fixed.pricePerDose, 100_000 * 1.5))
    }

    @Test func costsScaleDownPerDoseWithScale() throws {
        let model = try EconomicFile.load(path: Repository.path("Examples/aav-dmd-suspension-2000L.yaml"))
        let points = ScaleCurve.compute(model).filter { $0.costPerDose.isFinite }
        #expect(points.count >= 3)
        for (a, b) in zip(points, points.dropFirst()) {
            #expect(b.costPerDose < a.costPerDose, "\(a.scale) → \(b.scale)")
        }
    }
}

enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}
