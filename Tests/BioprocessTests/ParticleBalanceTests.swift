@testable import Bioprocess
import Foundation
import Testing

/// Capsids and particles beside the vector, columns sized on them, the AEX full/empty cut and
/// filters that lose volume (issue 14, items 1 and 6). Worked by hand on the fixture.
private func q<K>(_ v: Double, _ u: String) -> Quantity<K> { Quantity(v, u) }

struct ParticleBalanceTests {
    /// The fixture with full and partial capsids, and a chain: lysis 90 %, AEX cut, depth filter.
    static func process(full: Double = 0.2, partial: Double = 0.05, resolution: Double? = 0.5, particles: Bool = true)
        -> ProcessDefinition
    {
        var p = Fixture.process
        p.production.particles = .capsids(full: full, partial: partial, genomesPerInfectiousUnit: 40)
        var aex = Chromatography(
            role: .aex, mode: .bindElute, bindingCapacity: q(1e12, "vg/mL"), loading: Quantity(0.5), columnVolume: nil,
            maxColumnVolume: nil, elutionVolumes: 5, otherVolumes: 20, residenceTime: q(1, "min"),
            setupTime: q(1, "h"))
        aex.bindsParticles = particles
        aex.fullEmptyResolution = resolution
        p.downstream.append(DownstreamStep(name: "AEX", yield: Quantity(0.62), resin: "Q", operation: .chromatography(aex)))
        return p
    }

    @Test func capsidsFollowTheVectorThroughAStepThatDoesNotSeparateThem() throws {
        let r = try LotReport.simulate(Self.process())
        // 10 L at 0.4e6 cells/mL = 4e9 cells × 1e4 vg = 4e13 vg; 20 % full → 2e14 capsids, 5 % partial.
        #expect(close(r.summary.vectorHarvested.canonical, 4e13))
        #expect(close(r.summary.particlesHarvested, 2e14))
        #expect(close(r.summary.partialHarvested, 1e13))
        let lysis = r.steps[0]
        #expect(close(lysis.particlesOut, 2e14 * 0.9) && close(lysis.partialOut, 1e13 * 0.9))
        let b = try #require(ParticleBalance.of(r))
        #expect(close(b.steps[0].vectorShare, 0.2) && close(b.steps[0].partialShare, 0.05))
    }

    /// Two Gaussian peaks, empty ones 4·Rs·σ before the full: keeping 62 % of the full capsids
    /// keeps Φ(Φ⁻¹(0.62) − 2) of the empty and Φ(Φ⁻¹(0.62) − 1) of the partial at Rs = 0.5.
    /// Table values: Φ⁻¹(0.62) = 0.305481, Φ(−1.694519) = 0.045085, Φ(−0.694519) = 0.243680
    /// (tolerance 1e-4: five-digit tables).
    @Test func theAEXCutKeepsFewerEmptyCapsidsThanFullOnes() throws {
        let r = try LotReport.simulate(Self.process())
        let aex = r.steps[1]
        let fullIn = aex.vectorIn.canonical, partialIn = aex.partialIn
        let emptyIn = aex.particlesIn - fullIn - partialIn
        #expect(close(aex.vectorOut.canonical, fullIn * 0.62))
        #expect(close(aex.partialOut, partialIn * 0.243680, within: 1e-4))
        let emptyOut = aex.particlesOut - aex.vectorOut.canonical - aex.partialOut
        #expect(close(emptyOut, emptyIn * 0.045085, within: 1e-4))
        // 20 % full in: full 0.62·0.2, partial 0.24368·0.05, empty 0.045085·0.75 of the capsids.
        let full = 0.62 * 0.2, partial = 0.243680 * 0.05, empty = 0.045085 * 0.75
        let b = try #require(ParticleBalance.of(r))
        #expect(close(b.bulk.vectorShare, full / (full + partial + empty), within: 1e-4))
        #expect(b.bulk.vectorShare > 0.7)
        // A sharper separation (higher resolution) purifies further at the same yield.
        let sharper = try #require(ParticleBalance.of(try LotReport.simulate(Self.process(resolution: 1))))
        #expect(sharper.bulk.vectorShare > b.bulk.vectorShare)
    }

    @Test func aColumnIsSizedOnEveryCapsidWhenItsCapacityCountsThem() throws {
        let onCapsids = try LotReport.simulate(Self.process(resolution: nil))
        let onGenomes = try LotReport.simulate(Self.process(resolution: nil, particles: false))
        // The AEX load: 3.6e13 vg in 1.8e14 capsids; 1e12 per mL × 50 % loading = 5e11 per mL.
        #expect(close(onGenomes.steps[1].columnVolume.value(in: "mL"), 3.6e13 / 5e11))
        #expect(close(onCapsids.steps[1].columnVolume.value(in: "mL"), 1.8e14 / 5e11))
        // Without a cut, capsids keep their shares.
        #expect(close(try #require(ParticleBalance.of(onCapsids)).bulk.vectorShare, 0.2))
    }

    @Test func aDoseCarriesItsCapsidsAndInfectiousUnits() throws {
        let r = try LotReport.simulate(Self.process())
        let b = try #require(ParticleBalance.of(r))
        // 1e12 vg/kg × 10 kg = 1e13 vg a dose.
        #expect(close(b.particlesPerDose, 1e13 / b.bulk.vectorShare))
        #expect(close(try #require(b.infectiousUnitsPerDose), 1e13 / 40))
    }

    @Test func aReleaseSpecificationOnFullCapsidsIsCheckedAgainstThePrediction() throws {
        var p = Self.process()
        p.qualityControl.release.append(
            ReleaseTest(test: "AUC", volume: q(0.1, "mL"), turnaround: q(7, "d"), specification: .range(low: 60, high: nil, unit: "% full capsids")))
        let met = try #require(ParticleBalance.of(try LotReport.simulate(p)))
        #expect(met.releaseChecks.map(\.meets) == [true])
        #expect(close(met.releaseChecks[0].predictedPercent, met.bulk.vectorShare * 100))
        p.downstream.removeLast()  // no AEX: 20 % full stays 20 %
        let notMet = try #require(ParticleBalance.of(try LotReport.simulate(p)))
        #expect(notMet.releaseChecks.map(\.meets) == [false])
    }

    @Test func lentiviralParticlesArePerTransducingUnit() throws {
        var p = Fixture.process
        p.product.vector.type = .lentivirus
        p.production.particles = .lentiviral(particlesPerTU: 300)
        let b = try #require(ParticleBalance.of(try LotReport.simulate(p)))
        #expect(b.kind == .lentiviral && b.symbol == "VP")
        #expect(close(b.harvest.particles / b.harvest.vector, 300) && close(b.bulk.particles / b.bulk.vector, 300))
    }

    // MARK: Filters lose volume

    static func filtered(holdUp: Quantity<VolumePerArea>?, line: Quantity<Volume>?, yield: Double) -> ProcessDefinition {
        var p = Fixture.process
        p.downstream.append(
            DownstreamStep(
                name: "0.2 µm", yield: Quantity(yield),
                operation: .sterileFiltration(
                    Filtration(
                        capacity: q(100, "L/m²"), flux: q(100, "L/m²/h"), setupTime: q(1, "h"), holdUp: holdUp,
                        lineHoldUp: line))))
        return p
    }

    @Test func aFiltersLossIsVolumeAtTheSameConcentration() throws {
        let r = try LotReport.simulate(Self.filtered(holdUp: nil, line: nil, yield: 0.9))
        let f = r.steps[1]
        // 11 L in (10 L + 10 % lysis buffer): 9.9 L out, concentration unchanged.
        #expect(close(f.volumeOut.value(in: "L"), 11 * 0.9))
        #expect(close((f.vectorOut / f.volumeOut).canonical, (f.vectorIn / f.volumeIn).canonical))
    }

    @Test func aStatedHoldUpIsLostAsVolumeAndTheYieldAsAdsorption() throws {
        let r = try LotReport.simulate(Self.filtered(holdUp: q(2, "L/m²"), line: q(0.3, "L"), yield: 0.98))
        let f = r.steps[1]
        // 11 L over 100 L/m² = 0.11 m²: 0.22 L in the filter and 0.3 L in the lines.
        #expect(close(f.filterArea.value(in: "m²"), 0.11))
        #expect(close(f.volumeOut.value(in: "L"), 11 - 0.22 - 0.3))
        #expect(close(f.vectorOut.canonical, f.vectorIn.canonical * (11 - 0.52) / 11 * 0.98))
        // Only the adsorption lowers the concentration.
        #expect(close((f.vectorOut / f.volumeOut).canonical, (f.vectorIn / f.volumeIn).canonical * 0.98))
    }

    // MARK: The seed train per scale

    /// Stages of a catalogue: 100 mL, 1 L (at most 2), 10 L seed, 100 L seed (at most 1).
    static func catalogue(production litres: Double) -> ProcessDefinition {
        var p = Fixture.process
        func stage(_ name: String, _ litres: Double, max: Int?) -> SeedStage {
            SeedStage(
                name: name, workingVolume: q(litres, "L"), surface: nil, seedingDensity: .perVolume(q(0.3e6, "cells/mL")),
                splitDensity: .perVolume(q(3e6, "cells/mL")), maxVessels: max)
        }
        p.seedTrain.stages = [stage("100 mL", 0.1, max: nil), stage("1 L", 1, max: 2), stage("10 L", 10, max: 1), stage("100 L", 100, max: 1)]
        p.cellLine.bank.cellsPerVial = q(1e8, "cells")
        p.production.platform = .suspension(model: "STR", workingVolume: q(litres, "L"))
        p.production.seedingDensity = .perVolume(q(0.5e6, "cells/mL"))
        p.production.inductionDensity = .perVolume(q(2e6, "cells/mL"))
        return p
    }

    @Test(arguments: [
        // 500 L needs 2.5e11 cells: every stage (the 100 L seed holds 3e11 at split).
        (500.0, ["100 mL", "1 L", "10 L", "100 L"]),
        // 50 L needs 2.5e10: the 100 L seed vessel would be seeded with 3e10 (above the target)
        // and is larger than the tank; the 10 L seed reaches it.
        (50.0, ["100 mL", "1 L", "10 L"]),
        // 10 L needs 5e9: two 1 L flasks (6e9 at split) stand in for the 10 L seed vessel.
        (10.0, ["100 mL", "1 L"]),
    ])
    func theSeedTrainUsesTheVesselsTheScaleNeeds(litres: Double, used: [String]) throws {
        let p = Self.catalogue(production: litres)
        let r = try LotReport.simulate(p)
        #expect(r.seedStages.map { p.seedTrain.stages[$0.index].name } == used)
        #expect(r.summary.passages == used.count)
        #expect(r.skippedSeedStages.count == p.seedTrain.stages.count - used.count)
        // Never an inoculum above the target: each stage's cells in are at most its cells out,
        // and the culture transferred is at most the volume it seeds.
        for o in r.seedStages { #expect(o.cellsIn <= o.cellsOut) }
        let last = try #require(r.seedStages.last)
        #expect(last.medium <= p.production.cultureVolume)
        #expect(close(last.cellsOut.canonical, p.production.seedingCells.canonical))
        // The summary (no detail) and the report agree on the train's time and doublings.
        let summary = try LotSimulator.summary(p)
        #expect(close(summary.expansionTime.canonical, r.summary.expansionTime.canonical, within: 1e-9))
        #expect(close(summary.populationDoublings, r.summary.populationDoublings, within: 1e-9))
    }
}

/// Dose rules: a fixed number of cells a patient, and a dose by volume at the labelled
/// concentration with the bulk diluted to it (issue 14, item 5). Worked by hand on the fixture.
struct DoseRuleTests {
    @Test func aCARTDoseIsCellsAPatientWhateverTheWeight() throws {
        var p = Fixture.process
        p.product.vector.type = .lentivirus
        p.product.dose = .exVivoPerPatient(cells: q(1e8, "cells"), moi: q(3, "TU/cell"))
        #expect(close(p.product.dose.vectorPerDose.canonical, 3e8))
        #expect(p.product.dose.isExVivo)
        let s = try LotSimulator.summary(p)
        #expect(s.doses == s.vialsForPatients / s.vialsPerDose)
    }

    /// The fixture's bulk: 4e13 vg × 0.9 in 11 L. At a 1e9 vg/mL label it is diluted to
    /// 3.6e13 / 1e9 = 36 L; 1 mL vials then hold 1e9 vg, and a 1e13 vg dose takes 10,000 vials.
    @Test func aLabelledConcentrationDilutesTheBulkAndCountsVialsAsTheLabelDoes() throws {
        var p = Fixture.process
        p.fill?.lineLoss = .zero
        p.product.labelConcentration = q(1e9, "vg/mL")
        let s = try LotSimulator.summary(p)
        #expect(close(s.bulkVolume.value(in: "L"), 36))
        #expect(close(s.dilutionVolume.value(in: "L"), 36 - 11))
        #expect(close(s.vectorPerVial.canonical, 1e9))
        #expect(s.vialsPerDose == 10_000)
        // A label above the bulk's concentration (3.3e9 vg/mL) cannot be met: no dose.
        p.product.labelConcentration = q(5e9, "vg/mL")
        let below = try LotSimulator.summary(p)
        #expect(below.belowLabelConcentration && below.doses == 0 && below.fractionalDoses == 0)
        #expect(below.dilutionVolume == .zero)
    }
}

/// Production over time: growth after induction, a profile, perfusion and first-order decay,
/// against their closed forms (issue 14, item 3).
struct TimeCourseTests {
    let days3 = q(3, "d") as Quantity<Duration>

    @Test func withoutPerfusionOrDecayEverythingMadeIsHarvestedOnce() {
        let c = TimeCourse(profile: [0.2, 0.3, 0.5])
        let (share, volumes) = c.collected(over: days3)
        #expect(close(share, 1) && close(volumes, 1))
    }

    /// Made evenly over T and decaying at k: (1 − e^{−kT}) / (kT) survives to the end.
    @Test func decayInABatchVesselLeavesTheClosedFormShare() {
        let c = TimeCourse(halfLife: q(10, "h"))
        let k = log(2) / 10.0, t = 72.0
        #expect(close(c.collected(over: days3).share, (1 - exp(-k * t)) / (k * t), within: 1e-12))
    }

    /// Perfused at D from the start while decaying at k (a = k + D), made evenly at P:
    /// V(t) = P/a (1 − e^{−at}); the perfusate holds D ∫V, the vessel V(T) at the end.
    @Test func perfusionCollectsWhatWouldHaveDecayed() {
        let c = TimeCourse(perfusionRate: 1, halfLife: q(10, "h"))
        let k = log(2) / 10.0, d = 1.0 / 24, t = 72.0, a = k + d, p = 1 / t
        let out = d * p / a * (t - (1 - exp(-a * t)) / a)
        let left = p / a * (1 - exp(-a * t))
        let (share, volumes) = c.collected(over: days3)
        #expect(close(share, out + left, within: 1e-12))
        #expect(close(volumes, 1 + 3))
        // More than a batch harvest at the same half-life; all of it without decay.
        #expect(share > TimeCourse(halfLife: q(10, "h")).collected(over: days3).share)
        #expect(close(TimeCourse(perfusionRate: 2).collected(over: days3).share, 1, within: 1e-12))
    }

    @Test func perfusionStartingLaterHarvestsFewerVesselVolumes() {
        let c = TimeCourse(perfusionRate: 1, perfusionStart: q(1, "d"))
        #expect(close(c.collected(over: days3).vesselVolumes, 3))
    }

    @Test func aHoldDecaysItsVectorButNotItsParticles() throws {
        var p = Fixture.process
        p.production.particles = .capsids(full: 0.5, partial: 0, genomesPerInfectiousUnit: nil)
        p.downstream.append(
            DownstreamStep(
                name: "Hold", yield: Quantity(1.0),
                operation: .hold(Hold(addedVolume: nil, duration: q(20, "h"), halfLife: q(10, "h")))))
        let r = try LotReport.simulate(p)
        let hold = r.steps[1]
        #expect(close(hold.vectorOut.canonical, hold.vectorIn.canonical / 4))
        #expect(close(hold.particlesOut, hold.particlesIn))
    }

    @Test func cellsGrowingAfterInductionMakeMore() throws {
        var p = Fixture.process
        p.production.timeCourse = TimeCourse(growthAfterInduction: q(24, "h"))
        let s = try LotSimulator.summary(p)
        // One doubling at 24 h: 8e9 cells × 1e4 vg.
        #expect(close(s.cellsAtPeak.canonical, 8e9) && close(s.vectorHarvested.canonical, 8e13))
    }
}

/// Equipment chosen from catalogue sizes with a safety factor (issue 14, item 2).
struct CatalogueTests {
    @Test func theSmallestSizeAboveTheNeedTimesTheFactorIsChosen() {
        let c = Catalogue(sizes: [1.1, 0.11, 0.55], safetyFactor: 1.5)
        #expect(c.choose(0.3) == (0.55, 1))        // 0.45 needed: the 0.55 pod
        #expect(c.choose(0.8) == (1.1, 2))         // 1.2 needed: above 1.1 → two of them
        #expect(c.choose(0.07) == (0.11, 1))
        #expect(c.choose(2) == (1.1, 3))           // 3.0 needed: three 1.1 m² pods
    }

    @Test func aFilterIsInstalledFromTheCatalogueAndItsTimeFollows() throws {
        var p = Fixture.process
        var f = Filtration(capacity: Quantity(100, "L/m²"), flux: Quantity(100, "L/m²/h"), setupTime: .zero)
        f.catalogue = Catalogue(sizes: [0.05, 0.2], safetyFactor: 1.3)
        p.downstream.append(DownstreamStep(name: "Filter", yield: Quantity(1.0), operation: .sterileFiltration(f)))
        let o = try LotReport.simulate(p).steps[1]
        // 11 L over 100 L/m²: 0.11 m² needed, × 1.3 = 0.143 → one 0.2 m² capsule; 11 L at
        // 100 L/m²/h through 0.2 m² takes 0.55 h.
        #expect(close(o.equipmentNeed, 0.11) && o.equipmentCount == 1)
        #expect(close(o.filterArea.value(in: "m²"), 0.2))
        #expect(close(o.duration.value(in: "h"), 11 / (100 * 0.2)))
    }

    @Test func aColumnFromTheCatalogueCyclesBeyondItsLargest() throws {
        var p = Fixture.process
        var c = Chromatography(
            role: .affinity, mode: .bindElute, bindingCapacity: Quantity(1e9, "vg/mL"), loading: Quantity(1.0),
            columnVolume: nil, maxColumnVolume: nil, elutionVolumes: 4, otherVolumes: 10,
            residenceTime: Quantity(2, "min"), setupTime: .zero)
        c.catalogue = Catalogue(sizes: [0.001, 0.005, 0.01], safetyFactor: 1.2)  // 1, 5 and 10 L
        p.downstream.append(DownstreamStep(name: "Capture", yield: Quantity(0.7), resin: "R", operation: .chromatography(c)))
        let o = try LotReport.simulate(p).steps[1]
        // 3.6e13 vg / 1e9 per mL = 36 L of resin, × 1.2 = 43.2 L: the 10 L column, 5 cycles.
        #expect(close(o.equipmentNeed * 1000, 36))
        #expect(close(o.columnVolume.value(in: "L"), 10) && o.cycles == 5)
    }
}

/// Productivity and yields as power laws of scale (issue 14, item 2).
struct ScaleEffectTests {
    @Test func productivityAndYieldsFollowThePowerOfTheScale() throws {
        var p = Fixture.process  // 10 L
        let base = try LotSimulator.summary(p)
        p.production.scaleEffect = ScaleEffect(reference: Quantity(1, "L"), productivityExponent: -0.1, yieldExponent: 0.02)
        let s = try LotSimulator.summary(p)
        // 10 L against 1 L: productivity × 10^-0.1, the lysis yield 0.9 × 10^0.02.
        #expect(close(s.vectorHarvested.canonical, base.vectorHarvested.canonical * pow(10, -0.1)))
        #expect(close(s.bulkVector.canonical, s.vectorHarvested.canonical * 0.9 * pow(10, 0.02)))
        // At the reference scale nothing changes.
        p.production.scaleEffect?.reference = Quantity(10, "L")
        #expect(try LotSimulator.summary(p) == base)
    }

    @Test func aYieldRaisedByScaleStopsAtAHundredPerCent() throws {
        var p = Fixture.process
        p.production.scaleEffect = ScaleEffect(reference: Quantity(1, "mL"), productivityExponent: 0, yieldExponent: 0.5)
        let s = try LotSimulator.summary(p)
        #expect(close(s.bulkVector.canonical, s.vectorHarvested.canonical))
    }
}

/// Scheduled whole-volume harvests (issue 14, item 3): made evenly over 3 days with no decay,
/// harvests at days 1 and 2 and at the end collect everything in three vessel volumes; with
/// decay at k, each harvest collects what a day's production left: (1 − e^{−k·1 d}) / k per day's rate.
struct HarvestScheduleTests {
    @Test func eachScheduledHarvestEmptiesTheVessel() {
        let day = 86_400.0
        let plain = TimeCourse(harvestTimes: [day, 2 * day])
        let (share, volumes) = plain.collected(over: q(3, "d"))
        #expect(close(share, 1, within: 1e-12) && close(volumes, 3))
        let decaying = TimeCourse(halfLife: q(10, "h"), harvestTimes: [day, 2 * day])
        let k = log(2) / 10.0, p = 1.0 / 72  // per hour
        let perDay = p * (1 - exp(-k * 24)) / k
        #expect(close(decaying.collected(over: q(3, "d")).share, 3 * perDay, within: 1e-12))
        // Harvesting more often loses less to decay than one harvest at the end.
        #expect(decaying.collected(over: q(3, "d")).share > TimeCourse(halfLife: q(10, "h")).collected(over: q(3, "d")).share)
    }
}
