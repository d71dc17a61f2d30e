import Foundation
import Testing

@testable import Bioprocess

/// The simulator against figures computed by hand from the fixture's round numbers.
struct SeedTrainAndProductionTests {
    @Test func seedTrainIsSizedBackwardsAndGrownExponentially() throws {
        let r = try LotReport.simulate(Fixture.process)
        // Production needs 0.1e6 cells/mL × 10 L = 1e9 cells; stage B (1 L, split 1e6/mL) holds
        // 1e9: one vessel seeded with 1e8; stage A (100 mL) holds 1e8: one vessel, seeded from the vial.
        #expect(r.seedStages.map(\.vessels) == [1, 1])
        #expect(close(r.seedStages[0].cellsIn.canonical, 1e7))
        #expect(close(r.seedStages[0].cellsOut.canonical, 1e8))
        #expect(close(r.seedStages[1].cellsOut.canonical, 1e9))
        // log2(10) doublings a stage at 24 h, plus half a day a passage.
        let perStage = log2(10.0) + 0.5
        #expect(close(r.seedStages[0].duration.value(in: "d"), perStage))
        #expect(close(r.summary.expansionTime.value(in: "d"), 2 * perStage))
        #expect(r.summary.passages == 2)
        #expect(close(r.summary.seedMedium.value(in: "L"), 1.1))
    }

    @Test func vesselsMultiplyWhenOneCannotHoldTheNextStagesSeed() throws {
        var p = Fixture.process
        // A 50 L bioreactor needs 5e9 cells: five 1 L vessels at 1e9 each, seeded with 5e8,
        // which needs five 100 mL vessels, seeded with 5e7 — more than the 1e7 vial holds.
        p.production.platform = .suspension(model: "STR 50 L", workingVolume: Quantity(50, "L"))
        do {
            _ = try LotSimulator.summary(p)
            Issue.record("a 1e7-cell vial was accepted for a stage that needs 5e7")
        } catch {
            guard case .vialTooSmall(let needed, let available, let stage) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(close(needed.canonical, 5e7))
            #expect(close(available.canonical, 1e7))
            #expect(stage == 0)
        }
        p.cellLine.bank.vialsPerLot = 5
        let r = try LotReport.simulate(p)
        #expect(r.seedStages.map(\.vessels) == [5, 5])
    }

    @Test func aStageThatCannotGrowStopsTheSeedTrain() {
        var p = Fixture.process
        p.seedTrain.stages[1].splitDensity = .perVolume(Quantity(0.1e6, "cells/mL"))
        #expect(throws: SimulationError.seedStageWithoutGrowth(stage: 1)) { try LotSimulator.summary(p) }
    }

    @Test func aStageLimitedInVesselsCannotReachTheTarget() {
        var p = Fixture.process
        p.production.platform = .suspension(model: "STR 30 L", workingVolume: Quantity(30, "L"))
        p.seedTrain.stages[1].maxVessels = 2
        #expect(throws: SimulationError.tooManySeedVessels(stage: 1, needed: 3, allowed: 2)) {
            try LotSimulator.summary(p)
        }
    }

    @Test func cellAgeBeyondTheBankLimitIsRefused() {
        var p = Fixture.process
        // 3.32 + 3.32 doublings in the seed train and 2 in production: 8.64 in all.
        p.cellLine.maxPopulationDoublings = 8
        #expect(throws: SimulationError.self) { try LotSimulator.summary(p) }
        p.cellLine.maxPopulationDoublings = 9
        #expect(throws: Never.self) { try LotSimulator.summary(p) }
    }

    @Test func productionGrowsToInductionAndMakesVector() throws {
        let s = try LotSimulator.summary(Fixture.process)
        #expect(close(s.cellsAtInduction.canonical, 4e9))
        #expect(close(s.growthTime.value(in: "d"), 2))  // 1e9 → 4e9: two doublings
        #expect(close(s.vectorHarvested.canonical, 4e13))
        #expect(close(s.plasmid.value(in: "mg"), 4))
        #expect(close(s.reagent.value(in: "mg"), 8))
        #expect(close(s.productionMedium.value(in: "L"), 10))
        #expect(close(s.populationDoublings, 2 * log2(10.0) + 2))
        #expect(s.handlings == 2 + 4)
    }

    @Test func productivityPerLitreUsesEveryHarvest() throws {
        var p = Fixture.process
        p.production.productivity = .second(Quantity(1e12, "vg/L"))
        p.production.harvests = 2
        p.production.mediumExchanges = 1
        let s = try LotSimulator.summary(p)
        #expect(close(s.harvestVolume.value(in: "L"), 20))
        #expect(close(s.vectorHarvested.canonical, 2e13))
        #expect(close(s.productionMedium.value(in: "L"), 30))
    }

    @Test func adherentPlatformsCountCellsBySurface() throws {
        var p = Fixture.process
        p.production.platform = .flasks(
            model: "CS10", surfacePerFlask: Quantity(6360, "cm²"), mediumPerFlask: Quantity(1.3, "L"))
        p.production.units = 10
        p.production.seedingDensity = .perArea(Quantity(1e4, "cells/cm²"))
        p.production.inductionDensity = .perArea(Quantity(1e5, "cells/cm²"))
        p.cellLine.bank.vialsPerLot = 1
        let s = try LotSimulator.summary(p)
        #expect(close(s.cellsAtSeeding.canonical, 6.36e8))
        #expect(close(s.cellsAtInduction.canonical, 6.36e9))
        #expect(close(s.cultureVolume.value(in: "L"), 13))
        #expect(close(s.growthTime.value(in: "d"), log2(10.0)))
    }

    @Test func infectionConsumesVirusAtItsMOI() throws {
        var p = Fixture.process
        p.production.induction = .infection(Infection(virus: "rBEV", moi: Quantity(0.1, "pfu/cell")))
        let s = try LotSimulator.summary(p)
        #expect(close(s.virus.canonical, 4e8))
        #expect(s.plasmid == .zero)
    }
}

/// Each unit operation's balance (what comes out of what goes in) and sizing.
struct UnitOperationTests {
    let volume = Quantity<Volume>(200, "L")
    let vector = Quantity<VectorAmount>(canonical: 1e16)

    func run(_ op: UnitOperation, yield: Double) throws -> StepOutcome {
        try LotSimulator.step(op, yield: yield, index: 0, volume: volume, vector: vector)
    }

    @Test func harvestAddsLysisBufferAndLosesItsYield() throws {
        let o = try run(.harvest(Harvest(addedVolume: .fraction(0.1), duration: Quantity(4, "h"))), yield: 0.95)
        #expect(close(o.volumeOut.value(in: "L"), 220))
        #expect(close(o.vectorOut.canonical, 0.95e16))
        #expect(close(o.bufferVolume.value(in: "L"), 20))
        #expect(close(o.duration.value(in: "h"), 4))
        let fixed = try run(.hold(Hold(addedVolume: .volume(Quantity(5, "L")), duration: Quantity(1, "h"))), yield: 1)
        #expect(close(fixed.volumeOut.value(in: "L"), 205))
    }

    @Test func filtrationIsSizedByCapacityAndTimedByFlux() throws {
        let f = Filtration(
            capacity: Quantity(100, "L/m²"), flux: Quantity(50, "L/m²/h"),
            setupTime: Quantity(3, "h"))
        let o = try run(.clarification(f), yield: 0.9)
        #expect(close(o.filterArea.value(in: "m²"), 2))
        #expect(close(o.duration.value(in: "h"), 3 + 2))  // 200 L through 2 m² at 50 L/m²/h
        // A filter loses liquid at the stream's concentration: 10 % of 200 L.
        #expect(close(o.volumeOut.value(in: "L"), 180))
        #expect(close(o.vectorOut.canonical, 0.9e16))
        #expect(close(o.stepYield, 0.9))
    }

    @Test func tffConcentratesByFactorAndSizesItsMembrane() throws {
        let t = TangentialFlow(
            role: .tff, target: .factor(10), diafiltrationVolumes: 5,
            flux: Quantity(50, "L/m²/h"),
            sizing: .first(Quantity(4, "h")), setupTime: Quantity(2, "h"))
        let o = try run(.tangentialFlow(t), yield: 0.9)
        // 200 → 20 L; permeate 180 L + 5 × 20 L diafiltration = 280 L in 4 h at 50 L/m²/h.
        #expect(close(o.volumeOut.value(in: "L"), 20))
        #expect(close(o.permeateVolume.value(in: "L"), 280))
        #expect(close(o.membraneArea.value(in: "m²"), 1.4))
        #expect(close(o.bufferVolume.value(in: "L"), 100))
        #expect(close(o.duration.value(in: "h"), 6))
    }

    @Test func tffWithAnInstalledMembraneTakesTheTimeItNeeds() throws {
        let t = TangentialFlow(
            role: .ufdf, target: .finalVolume(Quantity(50, "L")), diafiltrationVolumes: 0,
            flux: Quantity(30, "L/m²/h"), sizing: .second(Quantity(5, "m²")), setupTime: .zero)
        let o = try run(.tangentialFlow(t), yield: 1)
        #expect(close(o.duration.value(in: "h"), 1))  // 150 L at 30 L/m²/h through 5 m²
        #expect(close(o.membraneArea.value(in: "m²"), 5))
    }

    @Test func tffToAConcentrationDilutesWhenTheFeedIsAlreadyRicher() throws {
        // 1e16 vg × 0.5 = 5e15 vg at a target of 1e14 vg/mL: 50 mL from 200 L.
        let t = TangentialFlow(
            role: .ufdf, target: .finalConcentration(Quantity(1e14, "vg/mL")),
            diafiltrationVolumes: 0,
            flux: Quantity(30, "L/m²/h"), sizing: .first(Quantity(1, "h")), setupTime: .zero)
        let o = try run(.tangentialFlow(t), yield: 0.5)
        #expect(close(o.volumeOut.value(in: "mL"), 50))
        let lean = try LotSimulator.step(
            .tangentialFlow(t), yield: 0.5, index: 0, volume: Quantity(10, "mL"), vector: vector)
        #expect(close(lean.volumeOut.value(in: "mL"), 50))
        #expect(close(lean.bufferVolume.value(in: "mL"), 40))
        #expect(lean.permeateVolume == .zero)
    }

    func affinity(column: Quantity<Volume>?, max: Quantity<Volume>? = nil) -> Chromatography {
        Chromatography(
            role: .affinity, mode: .bindElute,
            bindingCapacity: Quantity(1e14, "vg/mL"),
            loading: Quantity(0.8), columnVolume: column, maxColumnVolume: max, elutionVolumes: 3, otherVolumes: 20,
            residenceTime: Quantity(2, "min"), setupTime: Quantity(8, "h"))
    }

    @Test func aColumnTooSmallForTheLoadCycles() throws {
        // 1e16 vg at 0.8e14 vg/mL needs 125 mL of resin: a 50 mL column runs 3 cycles.
        let o = try run(.chromatography(affinity(column: Quantity(50, "mL"))), yield: 0.7)
        #expect(o.cycles == 3)
        #expect(close(o.columnVolume.value(in: "mL"), 50))
        #expect(close(o.volumeOut.value(in: "mL"), 3 * 3 * 50))
        #expect(close(o.vectorOut.canonical, 0.7e16))
        // Pumped: 200 L of load + 3 cycles × 23 CV × 50 mL = 203.45 L at 25 mL/min.
        #expect(close(o.duration.value(in: "h"), 8 + 203.45 / 0.025 / 60))
        #expect(close(o.bufferVolume.value(in: "L"), 3.45))
    }

    @Test func anUninstalledColumnIsSizedToTheLoadUpToItsMaximum() throws {
        let sized = try run(.chromatography(affinity(column: nil)), yield: 0.7)
        #expect(sized.cycles == 1)
        #expect(close(sized.columnVolume.value(in: "mL"), 125))
        let capped = try run(.chromatography(affinity(column: nil, max: Quantity(60, "mL"))), yield: 0.7)
        #expect(capped.cycles == 3)
        #expect(close(capped.columnVolume.value(in: "mL"), 60))
    }

    @Test func flowThroughKeepsTheVolume() throws {
        var c = affinity(column: Quantity(1, "L"))
        c.mode = .flowThrough
        c.role = .aex
        let o = try run(.chromatography(c), yield: 1)
        #expect(close(o.volumeOut.value(in: "L"), 200))
        #expect(o.cycles == 1)
    }

    @Test func inProcessSamplesTakeVolumeAndVectorTogether() throws {
        var p = Fixture.process
        p.qualityControl.inProcess = [InProcessSample(test: "titer", afterStep: 0, volume: Quantity(1.1, "L"))]
        let r = try LotReport.simulate(p)
        let o = r.steps[0]
        // 11 L after lysis; 1.1 L (10 %) drawn with 10 % of the vector.
        #expect(close(o.volumeOut.value(in: "L"), 9.9))
        #expect(close(o.vectorOut.canonical, 4e13 * 0.9 * 0.9))
        #expect(close(o.stepYield, 0.9))
    }
}

/// Fill, QC vials, doses and patients.
struct FillAndDoseTests {
    @Test func vialsDosesAndPatientsFollowFromTheBulk() throws {
        let s = try LotSimulator.summary(Fixture.process)
        // Bulk: 11 L with 3.6e13 vg. (11000 − 5) mL / 1.1 mL = 9995 vials of 1 mL at 3.27e9 vg/mL.
        #expect(s.vialsFilled == 9995)
        #expect(close(s.vectorPerVial.canonical, 3.6e13 / 11_000))
        // Release: 2.5 mL → 3 vials, plus 2 retained.
        #expect(s.qcVials == 5)
        #expect(s.vialsForPatients == 9990)
        // A dose is 1e13 vg: ceil(1e13 / 3.27e9) = 3056 vials.
        let perDose = (1e13 / (3.6e13 / 11_000)).rounded(.up)
        #expect(s.vialsPerDose == Int(perDose))
        #expect(s.doses == 9990 / Int(perDose))
        #expect(s.patients == s.doses)
        #expect(close(s.fillTime.value(in: "h"), 2 + 9995.0 / 100))
        #expect(close(s.releaseTime.value(in: "d"), 14))
    }

    @Test func bothEyesMakeTwoDosesAPatient() throws {
        var p = Fixture.process
        p.product.dose = .perEye(dose: Quantity(canonical: 1e9), eyesPerPatient: 2)
        let s = try LotSimulator.summary(p)
        #expect(s.vialsPerDose == 1)
        #expect(s.doses == s.vialsForPatients)
        #expect(s.patients == s.doses / 2)
    }

    @Test func exVivoDoseIsCellsTimesWeightTimesMOI() {
        let dose = DoseModel.exVivo(
            cellsPerKg: Quantity(8e6, "cells/kg"), moi: Quantity(40, "TU/cell"), patientWeight: Quantity(50, "kg"))
        #expect(close(dose.vectorPerDose.canonical, 1.6e10))
    }

    @Test func aBulkSmallerThanTheLineLossFillsNothing() throws {
        var p = Fixture.process
        p.fill?.lineLoss = Quantity(20, "L")
        let s = try LotSimulator.summary(p)
        #expect(s.vialsFilled == 0)
        #expect(s.doses == 0)
    }

    @Test func timelinePhasesFollowEachOther() throws {
        let r = try LotReport.simulate(Fixture.process)
        for (a, b) in zip(r.timeline, r.timeline.dropFirst()) { #expect(a.end == b.start) }
        #expect(close(r.timeline.last!.end.value(in: "d"), r.summary.lotTime.value(in: "d")))
        #expect(r.phases.map(\.phase) == LotPhase.allCases)
    }
}

struct OptionalFillAndKnownDurationTests {
    @Test func withoutAFillDosesComeFromTheBulk() throws {
        var p = Fixture.process
        p.fill = nil
        let s = try LotSimulator.summary(p)
        // 3.6e13 vg in the bulk at 1e13 vg a dose.
        #expect(s.doses == 3)
        #expect(s.vialsFilled == 0)
        #expect(s.fillTime == .zero)
        #expect(close(s.releaseTime.value(in: "d"), 14))
        #expect(!(try LotReport.simulate(p)).timeline.contains { $0.phase == .fill })
    }

    @Test func aKnownChromatographyDurationReplacesTheComputedOne() throws {
        let c = Chromatography(
            role: .affinity, mode: .bindElute, bindingCapacity: Quantity(1e14, "vg/mL"),
            loading: Quantity(0.8), columnVolume: Quantity(2, "L"), maxColumnVolume: nil, elutionVolumes: 3,
            otherVolumes: 20, residenceTime: .zero, setupTime: .zero, duration: Quantity(20, "h"))
        let o = try LotSimulator.step(
            .chromatography(c), yield: 0.7, index: 0, volume: Quantity(200, "L"), vector: Quantity(canonical: 2e17))
        #expect(close(o.duration.value(in: "h"), 20))
        #expect(o.cycles == 2)
    }
}
