import Foundation

/// What one seed-train stage did in a lot.
public struct SeedStageOutcome: Sendable, Hashable {
    public var index: Int
    public var vessels: Int
    public var cellsIn: Quantity<CellCount>
    public var cellsOut: Quantity<CellCount>
    public var doublings: Double
    /// Growth time plus the passage.
    public var duration: Quantity<Duration>
    public var medium: Quantity<Volume>

    @inlinable
    public init(
        index: Int, vessels: Int, cellsIn: Quantity<CellCount>, cellsOut: Quantity<CellCount>, doublings: Double,
        duration: Quantity<Duration>, medium: Quantity<Volume>
    ) {
        self.index = index
        self.vessels = vessels
        self.cellsIn = cellsIn
        self.cellsOut = cellsOut
        self.doublings = doublings
        self.duration = duration
        self.medium = medium
    }
}

/// What one downstream step did: its balance, its sizing and its time.
///
/// Fields that do not apply to a step's kind are zero (a harvest has no filter area).
public struct StepOutcome: Sendable, Hashable {
    public var index: Int
    public var volumeIn: Quantity<Volume>
    public var volumeOut: Quantity<Volume>
    public var vectorIn: Quantity<VectorAmount>
    public var vectorOut: Quantity<VectorAmount>
    /// Volume drawn after the step for in-process tests (already removed from `volumeOut`).
    public var sampledVolume: Quantity<Volume> = .zero
    /// Setup plus processing.
    public var duration: Quantity<Duration>
    public var filterArea: Quantity<Area> = .zero
    public var membraneArea: Quantity<Area> = .zero
    public var permeateVolume: Quantity<Volume> = .zero
    public var columnVolume: Quantity<Volume> = .zero
    public var cycles: Int = 0
    /// With a catalogue: the exact need (m² or m³, before the safety factor) and how many of
    /// the size chosen; the area or column above is what is installed.
    public var equipmentNeed: Double = 0
    public var equipmentCount: Int = 0
    /// Buffers used: chromatography buffers, diafiltration buffer, lysis or dilution buffer.
    public var bufferVolume: Quantity<Volume> = .zero

    /// The fraction of the vector entering the step that leaves it (before sampling).
    public var stepYield: Double { (vectorOut.canonical + sampledVector) / vectorIn.canonical }
    /// Vector drawn with the in-process samples.
    public var sampledVector: Double = 0
    /// Physical particles (capsids or LV particles) in and out, and the partial capsids among
    /// them; 0 when the process does not state them.
    public var particlesIn: Double = 0
    public var particlesOut: Double = 0
    public var partialIn: Double = 0
    public var partialOut: Double = 0

    @inlinable
    public init(
        index: Int, volumeIn: Quantity<Volume>, volumeOut: Quantity<Volume>, vectorIn: Quantity<VectorAmount>,
        vectorOut: Quantity<VectorAmount>, duration: Quantity<Duration>, filterArea: Quantity<Area> = .zero,
        membraneArea: Quantity<Area> = .zero, permeateVolume: Quantity<Volume> = .zero,
        columnVolume: Quantity<Volume> = .zero, cycles: Int = 0, bufferVolume: Quantity<Volume> = .zero
    ) {
        self.index = index
        self.volumeIn = volumeIn
        self.volumeOut = volumeOut
        self.vectorIn = vectorIn
        self.vectorOut = vectorOut
        self.duration = duration
        self.filterArea = filterArea
        self.membraneArea = membraneArea
        self.permeateVolume = permeateVolume
        self.columnVolume = columnVolume
        self.cycles = cycles
        self.bufferVolume = bufferVolume
    }
}

/// Everything a lot yields and consumes, as scalars: computed without allocating, for the
/// Monte Carlo, cost and capacity models that call the simulator millions of times.
public struct LotSummary: Sendable, Hashable {
    // Seed train
    public var viableCellsThawed: Quantity<CellCount> = .zero
    public var seedVessels: Int = 0
    /// Seed stages used (each a passage) and those the scale does not need.
    public var passages: Int = 0
    public var skippedSeedStages: Int = 0
    public var expansionTime: Quantity<Duration> = .zero
    public var seedMedium: Quantity<Volume> = .zero
    /// Population doublings from the vial to induction.
    public var populationDoublings: Double = 0

    // Production
    public var productionUnits: Int = 0
    public var cultureVolume: Quantity<Volume> = .zero
    public var cellsAtSeeding: Quantity<CellCount> = .zero
    public var cellsAtInduction: Quantity<CellCount> = .zero
    public var growthTime: Quantity<Duration> = .zero
    public var inductionTime: Quantity<Duration> = .zero
    public var productionMedium: Quantity<Volume> = .zero
    public var plasmid: Quantity<Mass> = .zero
    public var reagent: Quantity<Mass> = .zero
    public var virus: Quantity<InfectiousAmount> = .zero
    /// Culture that amplifies the virus stock for the lot (its medium counts as production medium).
    public var amplificationVolume: Quantity<Volume> = .zero
    /// Virus taken from the bank: the first passage's inoculum with an amplification train,
    /// otherwise the virus the production is infected with.
    public var virusFromBank: Quantity<InfectiousAmount> = .zero
    /// Days the amplification train takes, and what the lot waits for it beyond the cells'
    /// expansion (added to the expansion: the lot starts with the first passage).
    public var amplificationTime: Quantity<Duration> = .zero
    public var virusWait: Quantity<Duration> = .zero
    /// Cells at their peak: at induction, or after their growth after induction.
    public var cellsAtPeak: Quantity<CellCount> = .zero
    /// Vector the cells made; the harvest collects it less what decayed in the vessel.
    public var vectorMade: Quantity<VectorAmount> = .zero
    public var vectorHarvested: Quantity<VectorAmount> = .zero
    public var harvestVolume: Quantity<Volume> = .zero
    /// Physical particles harvested (every AAV capsid, or every LV particle) and the partial
    /// capsids among them; 0 when the process does not state them.
    public var particlesHarvested: Double = 0
    public var partialHarvested: Double = 0

    // Downstream
    public var downstreamTime: Quantity<Duration> = .zero
    public var bulkVolume: Quantity<Volume> = .zero
    public var bulkVector: Quantity<VectorAmount> = .zero
    public var chromatographyCycles: Int = 0
    public var bufferVolume: Quantity<Volume> = .zero
    public var bulkParticles: Double = 0
    public var bulkPartial: Double = 0

    // Fill and release
    /// Buffer added to bring the bulk to the labelled concentration.
    public var dilutionVolume: Quantity<Volume> = .zero
    /// The bulk is below the labelled concentration: no vial can be released at its label.
    public var belowLabelConcentration = false
    /// Bulk drawn before fill for the drug-substance release panel.
    public var drugSubstanceSamples: Quantity<Volume> = .zero
    public var vialsFilled: Int = 0
    public var vectorPerVial: Quantity<VectorAmount> = .zero
    public var fillTime: Quantity<Duration> = .zero
    /// Vials consumed by the drug-product release panel plus retained samples.
    public var qcVials: Int = 0
    public var vialsForPatients: Int = 0
    public var vialsPerDose: Int = 0
    public var doses: Int = 0
    /// Doses before rounding to whole doses (or whole vials per dose): for smooth sensitivities.
    public var fractionalDoses: Double = 0
    public var patients: Int = 0
    public var releaseTime: Quantity<Duration> = .zero

    /// Open manual manipulations in the seed train and production.
    public var handlings: Double = 0

    public init() {}

    /// Thaw to harvest.
    public var upstreamTime: Quantity<Duration> { expansionTime + growthTime + inductionTime }
    /// Thaw to the end of fill.
    public var manufacturingTime: Quantity<Duration> { upstreamTime + downstreamTime + fillTime }
    /// Thaw to QA release.
    public var lotTime: Quantity<Duration> { manufacturingTime + releaseTime }
    /// Vector in the bulk over vector harvested.
    public var downstreamYield: Double { bulkVector / vectorHarvested }
    public var bulkConcentration: Quantity<VectorConcentration> { bulkVector / bulkVolume }
    /// Whether physical particles are modelled (the process states them).
    public var hasParticles: Bool { particlesHarvested > 0 }
    /// Physical particles per unit of dosed vector in the bulk (capsids per vg, particles per
    /// TU): 1 / the full share for AAV.
    public var bulkParticlesPerVector: Double { bulkParticles / bulkVector.canonical }
}

/// Receives each stage's outcome as the simulator computes it.
///
/// The simulator is generic over its observer, so a report collects every row while the
/// Monte Carlo passes ``SummaryOnly`` and pays nothing.
public protocol LotObserver {
    /// Whether the observer reads each seed stage; when not, the simulator computes the
    /// train's growth with one logarithm instead of one a stage.
    static var wantsStageDetail: Bool { get }
    mutating func seedStage(_ outcome: SeedStageOutcome)
    mutating func step(_ outcome: StepOutcome)

    /// A Monte Carlo sample's values in place of those the process writes (the compiled
    /// Monte Carlo sets no field of a copy of the process): the cell line's doubling time, the
    /// production's productivity (canonical, per cell or per volume as written) and each
    /// downstream step's yield. By default, the process's own.
    func doublingTime(_ written: Quantity<Duration>) -> Quantity<Duration>
    func productivity(_ written: Double) -> Double
    func stepYield(_ index: Int, _ written: Double) -> Double
    /// The seed train already sized for this process (``SeedTrainShape``), so that a sample
    /// whose doubling time alone changes the train does not size it again; nil: size it.
    var seedTrainShape: SeedTrainShape? { get }
}

extension LotObserver {
    @inlinable public static var wantsStageDetail: Bool { true }
    @inlinable public mutating func seedStage(_ outcome: SeedStageOutcome) {}
    @inlinable public mutating func step(_ outcome: StepOutcome) {}
    @inlinable public func doublingTime(_ written: Quantity<Duration>) -> Quantity<Duration> { written }
    @inlinable public func productivity(_ written: Double) -> Double { written }
    @inlinable public func stepYield(_ index: Int, _ written: Double) -> Double { written }
    @inlinable public var seedTrainShape: SeedTrainShape? { nil }
}

/// What sizing a seed train settles whatever the doubling time: the vessels, medium and
/// passages, and the growth in doublings; the expansion time is then doubling time ×
/// doublings + passage time × passages, as the simulator computes it.
public struct SeedTrainShape: Sendable, Hashable {
    /// The lot's summary after the seed train (its expansion time at the written doubling time).
    public var summary: LotSummary
    public var doublings: Double

    @inlinable public init(summary: LotSummary, doublings: Double) {
        self.summary = summary
        self.doublings = doublings
    }
}

/// An observer that keeps nothing.
public struct SummaryOnly: LotObserver {
    @inlinable public init() {}
    @inlinable public static var wantsStageDetail: Bool { false }
}

/// Where in a process a simulation went wrong.
public enum ProcessSite: Sendable, Hashable {
    case cellBank
    case seedStage(Int)
    case production
    case step(Int)
    case fill
}

/// A process whose numbers are valid one by one but cannot make a lot together.
public enum SimulationError: Error, Sendable, Hashable {
    /// A seed stage's split density is not above its seeding density.
    case seedStageWithoutGrowth(stage: Int)
    /// A stage would need more vessels than its `max-vessels`.
    case tooManySeedVessels(stage: Int, needed: Int, allowed: Int)
    /// The thawed vials cannot seed the first stage used (nil: the production vessel) at its
    /// seeding density.
    case vialTooSmall(needed: Quantity<CellCount>, available: Quantity<CellCount>, stage: Int?)
    /// Reaching the production target takes more population doublings than the bank allows.
    case cellAgeExceeded(doublings: Double, limit: Double)
    /// The production density at induction is below its seeding density.
    case productionWithoutGrowth
    /// A number became infinite or undefined (a zero where a divisor was needed).
    case nonFinite(ProcessSite)
    /// The patient's weight is above every kit's weight band.
    case noKitForWeight(Quantity<Mass>)
    /// The kit for the patient's weight holds less vector than the dose.
    case kitTooSmall(holds: Quantity<VectorAmount>, dose: Quantity<VectorAmount>)

    public var site: ProcessSite {
        switch self {
        case .seedStageWithoutGrowth(let s), .tooManySeedVessels(let s, _, _): .seedStage(s)
        case .vialTooSmall(_, _, let stage): stage.map { .seedStage($0) } ?? .production
        case .cellAgeExceeded: .cellBank
        case .productionWithoutGrowth: .production
        case .nonFinite(let site): site
        case .noKitForWeight, .kitTooSmall: .fill
        }
    }

    /// A sentence a process engineer understands.
    public var message: String {
        switch self {
        case .seedStageWithoutGrowth:
            "the seed train can never reach its target: this stage's split density is not above its seeding density"
        case .tooManySeedVessels(_, let needed, let allowed):
            "the seed train can never reach its target: this stage would need \(needed) vessels but allows at most \(allowed)"
        case .vialTooSmall(let needed, let available, _):
            "the seed train can never reach its target: the thawed vials give \(sci(available.canonical)) viable cells "
                + "but the first stage needs \(sci(needed.canonical)) to be seeded at its seeding density"
        case .cellAgeExceeded(let doublings, let limit):
            "the seed train can never reach its target: it needs \(String(format: "%.1f", doublings)) population "
                + "doublings from the vial but the cell bank is qualified for \(String(format: "%.0f", limit))"
        case .productionWithoutGrowth:
            "the density at induction is below the seeding density"
        case .nonFinite:
            "a computed value is infinite or undefined (a zero or an extreme value upstream)"
        case .noKitForWeight(let w):
            "a patient of \(sci(w.value(in: "kg"))) kg is above every kit's weight band"
        case .kitTooSmall(let holds, let dose):
            "the kit for the patient's weight holds \(sci(holds.canonical)) of the \(sci(dose.canonical)) a dose needs"
        }
    }

    /// What the user should change.
    public var expected: String {
        switch self {
        case .seedStageWithoutGrowth: "a split density above the seeding density"
        case .tooManySeedVessels: "a larger vessel, a higher split density, a larger max-vessels or another stage"
        case .vialTooSmall: "a smaller first vessel, more vials per lot or a lower seeding density"
        case .cellAgeExceeded: "fewer doublings (a larger bank vial, a smaller scale) or a bank qualified for more"
        case .productionWithoutGrowth: "a density at induction at least equal to the seeding density"
        case .nonFinite: "finite, non-zero inputs"
        case .noKitForWeight: "a kit for every patient weight the dose states"
        case .kitTooSmall: "kits holding at least the dose at the labelled concentration (dose per kg × the band's top weight)"
        }
    }
}

extension SimulationError: CustomStringConvertible {
    /// The sentence and what to change, as every door prints it.
    public var description: String { "\(message); expected \(expected)" }
}

/// A short number for messages: `1.8e7`, `250`, `0.35`.
func sci(_ x: Double) -> String {
    let s = String(format: "%.3g", x)
    guard let e = s.firstIndex(of: "e"), let exponent = Int(s[s.index(after: e)...]) else { return s }
    return "\(s[..<e])e\(exponent)"
}
