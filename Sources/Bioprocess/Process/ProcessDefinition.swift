import Foundation

/// A manufacturing process for one viral-vector product: what one lot is made of and how.
///
/// It is read from a process file (see `docs/process-format.md`) and simulated by
/// ``LotSimulator``. Every value carries its unit; every step is a value.
public struct ProcessDefinition: Sendable, Hashable {
    /// The file format this definition was written in: `vectorfab/process` at version 1.
    public static let format = "vectorfab/process"
    public static let formatVersion = 1

    public var name: String
    public var summary: String?
    public var product: Product
    public var cellLine: CellLine
    public var seedTrain: SeedTrain
    public var production: Production
    public var downstream: [DownstreamStep]
    /// The fill into vials; nil when the process ends at the bulk drug substance (doses are
    /// then counted from the bulk's vector, not from whole vials).
    public var fill: Fill?
    public var qualityControl: QualityControl

    public init(
        name: String, summary: String? = nil, product: Product, cellLine: CellLine, seedTrain: SeedTrain,
        production: Production, downstream: [DownstreamStep], fill: Fill?, qualityControl: QualityControl
    ) {
        self.name = name
        self.summary = summary
        self.product = product
        self.cellLine = cellLine
        self.seedTrain = seedTrain
        self.production = production
        self.downstream = downstream
        self.fill = fill
        self.qualityControl = qualityControl
    }
}

// MARK: - Product

public struct Product: Sendable, Hashable {
    public var name: String
    public var vector: Vector
    public var dose: DoseModel
    public var indication: String?
    /// The concentration the label doses at (a dose is a volume per kg at it): the bulk is
    /// diluted to it before fill; nil when the label states none.
    public var labelConcentration: Quantity<VectorConcentration>?
    /// How long a released lot keeps in its storage conditions; nil when not given.
    public var shelfLife: Quantity<Duration>?
    /// The kits the label supplies by weight band, ascending; empty: a dose is whole vials of
    /// the fill's one size.
    public var kits: [Kit] = []
    /// The lot's patients by weight, each weight at its share (adding up to 1), each served the
    /// kit of its band; empty: every patient weighs the dose's `patient-weight`.
    public var patientMix: [PatientShare] = []

    /// Whole patients of each weight of the mix among `patients` kits, by the largest
    /// remainder (in the mix's order on ties): the one split the fill and the reports use.
    @inlinable public func mixAllocation(_ patients: Int) -> [Int] {
        guard !patientMix.isEmpty, patients > 0 else { return patientMix.map { _ in 0 } }
        // Shares taken relative to their total (a sampled share may leave it off 1).
        let total = patientMix.reduce(0) { $0 + max(0, $1.share) }
        guard total > 0, total.isFinite else { return [patients] + patientMix.dropFirst().map { _ in 0 } }
        let quotas = patientMix.map { Double(patients) * max(0, $0.share) / total }
        var counts = quotas.map { Int($0.rounded(.down)) }
        var left = patients - counts.reduce(0, +)
        if left > 0 {
            let order = patientMix.indices.sorted { a, b in
                let ra = quotas[a] - Double(counts[a]), rb = quotas[b] - Double(counts[b])
                return ra != rb ? ra > rb : a < b
            }
            for i in order where left > 0 {
                counts[i] += 1
                left -= 1
            }
            // Rounding can leave none here; if it does, the first weight takes them.
            if left > 0 { counts[0] += left }
        }
        return counts
    }

    /// The kit for a patient's weight: the first band at least as heavy.
    @inlinable public func kit(for weight: Quantity<Mass>) -> Kit? {
        for k in kits where weight <= k.upTo * (1 + 1e-12) { return k }
        return nil
    }

    public init(
        name: String, vector: Vector, dose: DoseModel, indication: String? = nil,
        labelConcentration: Quantity<VectorConcentration>? = nil, shelfLife: Quantity<Duration>? = nil
    ) {
        self.name = name
        self.vector = vector
        self.dose = dose
        self.indication = indication
        self.labelConcentration = labelConcentration
        self.shelfLife = shelfLife
    }
}

public enum VectorType: Sendable, Hashable {
    /// Adeno-associated virus, dosed in vector genomes.
    case aav(serotype: String)
    /// Lentivirus, dosed in transducing units.
    case lentivirus

    public var counting: VectorCounting {
        switch self {
        case .aav: .genomes
        case .lentivirus: .transducingUnits
        }
    }

    public var label: String {
        switch self {
        case .aav(let serotype): "AAV (\(serotype))"
        case .lentivirus: "LV"
        }
    }
}

public struct Vector: Sendable, Hashable {
    public var type: VectorType
    public var genomeSize: Quantity<GenomeLength>

    public init(type: VectorType, genomeSize: Quantity<GenomeLength>) {
        self.type = type
        self.genomeSize = genomeSize
    }
}

/// How much vector one dose takes, and how many doses a patient gets.
public enum DoseModel: Sendable, Hashable {
    /// Systemic AAV: vector genomes per kg of body weight.
    case perBodyWeight(dose: Quantity<VectorPerBodyMass>, patientWeight: Quantity<Mass>)
    /// Local AAV (subretinal): vector genomes per eye; a patient may be treated in both eyes.
    case perEye(dose: Quantity<VectorAmount>, eyesPerPatient: Int)
    /// Ex vivo LV: the patient's cells (per kg) are transduced at a multiplicity of infection.
    case exVivo(cellsPerKg: Quantity<CellsPerBodyMass>, moi: Quantity<VectorPerCell>, patientWeight: Quantity<Mass>)
    /// Ex vivo with a fixed number of cells a patient, whatever the weight (CAR-T).
    case exVivoPerPatient(cells: Quantity<CellCount>, moi: Quantity<VectorPerCell>)

    /// The vector one dose needs.
    @inlinable public var vectorPerDose: Quantity<VectorAmount> {
        switch self {
        case .perBodyWeight(let dose, let weight): dose * weight
        case .perEye(let dose, _): dose
        case .exVivo(let cells, let moi, let weight): (cells * weight) * moi
        case .exVivoPerPatient(let cells, let moi): cells * moi
        }
    }

    /// Whether the patient's own cells are transduced (ex vivo), in a transduction suite.
    @inlinable public var isExVivo: Bool {
        switch self {
        case .exVivo, .exVivoPerPatient: true
        case .perBodyWeight, .perEye: false
        }
    }

    /// How many doses one patient receives.
    @inlinable public var dosesPerPatient: Int {
        switch self {
        case .perEye(_, let eyes): eyes
        default: 1
        }
    }
}

/// One weight band's kit: the vials of each size a patient up to `upTo` receives.
public struct Kit: Sendable, Hashable {
    public var upTo: Quantity<Mass>
    public var vials: [KitVial]

    public init(upTo: Quantity<Mass>, vials: [KitVial]) {
        self.upTo = upTo
        self.vials = vials
    }

    @inlinable public var vialCount: Int { vials.reduce(0) { $0 + $1.count } }
    /// The labelled (extractable) volume of the kit.
    @inlinable public var volume: Quantity<Volume> {
        vials.reduce(Quantity<Volume>.zero) { $0 + $1.volume * Double($1.count) }
    }
}

/// Patients of one weight, and their share of a lot's patients.
public struct PatientShare: Sendable, Hashable {
    public var weight: Quantity<Mass>
    public var share: Double

    public init(weight: Quantity<Mass>, share: Double) {
        self.weight = weight
        self.share = share
    }
}

public struct KitVial: Sendable, Hashable {
    public var volume: Quantity<Volume>
    public var count: Int

    public init(volume: Quantity<Volume>, count: Int) {
        self.volume = volume
        self.count = count
    }
}

// MARK: - Cells

public struct CellLine: Sendable, Hashable {
    public var name: String
    public var doublingTime: Quantity<Duration>
    /// The cell bank's qualified limit of in-vitro cell age, in population doublings from the vial.
    public var maxPopulationDoublings: Double?
    public var bank: CellBank

    public init(name: String, doublingTime: Quantity<Duration>, maxPopulationDoublings: Double?, bank: CellBank) {
        self.name = name
        self.doublingTime = doublingTime
        self.maxPopulationDoublings = maxPopulationDoublings
        self.bank = bank
    }
}

public struct CellBank: Sendable, Hashable {
    public var name: String?
    public var cellsPerVial: Quantity<CellCount>
    public var viability: Quantity<Fraction>
    public var vialsPerLot: Int

    public init(name: String?, cellsPerVial: Quantity<CellCount>, viability: Quantity<Fraction>, vialsPerLot: Int) {
        self.name = name
        self.cellsPerVial = cellsPerVial
        self.viability = viability
        self.vialsPerLot = vialsPerLot
    }

    /// Viable cells thawed for one lot.
    @inlinable public var viableCells: Quantity<CellCount> {
        cellsPerVial * (viability.value * Double(vialsPerLot))
    }
}

/// A density of cells in suspension (per mL) or on a surface (per cm²).
public enum CultureDensity: Sendable, Hashable {
    case perVolume(Quantity<CellDensity>)
    case perArea(Quantity<CellsPerArea>)

    /// Cells in a vessel of this volume and surface.
    @inlinable public func cells(volume: Quantity<Volume>, surface: Quantity<Area>?) -> Quantity<CellCount> {
        switch self {
        case .perVolume(let d): d * volume
        case .perArea(let d): d * (surface ?? .zero)
        }
    }

    public var isPerArea: Bool {
        if case .perArea = self { return true }
        return false
    }
}

/// The vessels cells pass through from the thawed vial to the production vessel.
public struct SeedTrain: Sendable, Hashable {
    /// Handling time lost at each transfer (harvest, count, seed), added to growth time.
    public var passageTime: Quantity<Duration>
    public var stages: [SeedStage]

    public init(passageTime: Quantity<Duration>, stages: [SeedStage]) {
        self.passageTime = passageTime
        self.stages = stages
    }
}

/// One kind of vessel in the seed train. The number of vessels is computed from what the
/// next stage needs, up to `maxVessels`.
public struct SeedStage: Sendable, Hashable {
    public var name: String
    /// Medium volume in one vessel.
    public var workingVolume: Quantity<Volume>
    /// Growth surface of one vessel, for adherent stages.
    public var surface: Quantity<Area>?
    public var seedingDensity: CultureDensity
    /// The density at which cells are passaged on (at most the vessel's useful maximum).
    public var splitDensity: CultureDensity
    public var maxVessels: Int?

    public init(
        name: String, workingVolume: Quantity<Volume>, surface: Quantity<Area>?, seedingDensity: CultureDensity,
        splitDensity: CultureDensity, maxVessels: Int?
    ) {
        self.name = name
        self.workingVolume = workingVolume
        self.surface = surface
        self.seedingDensity = seedingDensity
        self.splitDensity = splitDensity
        self.maxVessels = maxVessels
    }

    @inlinable public var seedingCellsPerVessel: Quantity<CellCount> {
        seedingDensity.cells(volume: workingVolume, surface: surface)
    }
    @inlinable public var splitCellsPerVessel: Quantity<CellCount> {
        splitDensity.cells(volume: workingVolume, surface: surface)
    }
}

// MARK: - Production

/// The vessel family a lot is produced in.
public enum Platform: Sendable, Hashable {
    /// Adherent cells in multilayer flasks (CellSTACK, HYPERFlask): scale-out only.
    case flasks(model: String, surfacePerFlask: Quantity<Area>, mediumPerFlask: Quantity<Volume>)
    /// Adherent cells on a fixed-bed bioreactor (iCELLis 500): bed area per bioreactor.
    case fixedBed(model: String, bedArea: Quantity<Area>, workingVolume: Quantity<Volume>)
    /// Cells in suspension in a stirred-tank bioreactor.
    case suspension(model: String, workingVolume: Quantity<Volume>)

    public var kind: PlatformKind {
        switch self {
        case .flasks: .flasks
        case .fixedBed: .fixedBed
        case .suspension: .suspension
        }
    }

    public var model: String {
        switch self {
        case .flasks(let m, _, _), .fixedBed(let m, _, _), .suspension(let m, _): m
        }
    }

    /// Growth surface of one unit (flask or bed); nil in suspension.
    @inlinable public var surfacePerUnit: Quantity<Area>? {
        switch self {
        case .flasks(_, let a, _), .fixedBed(_, let a, _): a
        case .suspension: nil
        }
    }

    /// Medium volume in one unit at production.
    @inlinable public var volumePerUnit: Quantity<Volume> {
        switch self {
        case .flasks(_, _, let v), .fixedBed(_, _, let v), .suspension(_, let v): v
        }
    }
}

public enum PlatformKind: String, Sendable, Hashable, CaseIterable, Codable {
    case flasks
    case fixedBed = "fixed-bed"
    case suspension

    /// What one unit of this platform is called.
    public var unitName: String {
        switch self {
        case .flasks: "flasks"
        case .fixedBed: "fixed beds"
        case .suspension: "bioreactors"
        }
    }
}

/// How cells are given the genetic program to make vector.
public enum Induction: Sendable, Hashable {
    case transfection(Transfection)
    case infection(Infection)
    /// A stable producer line: no plasmid, no virus; production is switched on by an inducer.
    case stableProducer(StableProducer)
}

/// A producer line carrying every gene it needs (LV packaging/producer clones, AAV producer
/// lines), induced by a small molecule (doxycycline, cumate) added at a concentration.
public struct StableProducer: Sendable, Hashable {
    public var inducer: String
    /// The inducer's concentration in the culture; nil when its amount is negligible or not costed.
    public var concentration: Quantity<MassConcentration>?

    public init(inducer: String, concentration: Quantity<MassConcentration>?) {
        self.inducer = inducer
        self.concentration = concentration
    }
}

/// One virus of a co-infection with its share of the total MOI (BEV: Rep/Cap and GOI baculoviruses).
public struct VirusShare: Sendable, Hashable {
    public var name: String
    public var share: Double

    public init(name: String, share: Double) {
        self.name = name
        self.share = share
    }
}

public struct Transfection: Sendable, Hashable {
    /// Plasmid DNA per cell (`pg/cell`) or per litre of culture (`mg/L`).
    public var plasmid: Either<Quantity<MassPerCell>, Quantity<MassConcentration>>
    public var reagent: String
    /// Reagent mass per DNA mass (PEI:DNA, g/g).
    public var reagentRatio: Double
    /// The plasmids, each with its share of the DNA mass.
    public var plasmids: [PlasmidShare]

    public init(
        plasmid: Either<Quantity<MassPerCell>, Quantity<MassConcentration>>, reagent: String, reagentRatio: Double,
        plasmids: [PlasmidShare]
    ) {
        self.plasmid = plasmid
        self.reagent = reagent
        self.reagentRatio = reagentRatio
        self.plasmids = plasmids
    }
}

public struct PlasmidShare: Sendable, Hashable {
    public var name: String
    public var share: Double

    public init(name: String, share: Double) {
        self.name = name
        self.share = share
    }
}

/// One passage of a virus amplification train: cells at `cellDensity` infected at a low MOI
/// with the previous passage's virus (or the bank's), harvested `duration` later at `titer`.
public struct AmplificationPassage: Sendable, Hashable {
    public var name: String
    public var moi: Quantity<InfectiousPerCell>
    public var cellDensity: Quantity<CellDensity>
    public var duration: Quantity<Duration>
    public var titer: Quantity<InfectiousConcentration>

    public init(
        name: String, moi: Quantity<InfectiousPerCell>, cellDensity: Quantity<CellDensity>, duration: Quantity<Duration>,
        titer: Quantity<InfectiousConcentration>
    ) {
        self.name = name
        self.moi = moi
        self.cellDensity = cellDensity
        self.duration = duration
        self.titer = titer
    }
}

public struct Infection: Sendable, Hashable {
    public var virus: String
    /// The total multiplicity of infection, shared among `viruses` when several are given.
    public var moi: Quantity<InfectiousPerCell>
    /// Several viruses at set shares of the MOI (BEV with two or three baculoviruses); empty: one.
    public var viruses: [VirusShare]
    /// Productivity is per cell infected by every virus: the share of cells co-infected at
    /// MOIs mᵢ (Poisson, synchronous infection) is Π (1 − e^(−mᵢ)). False: MOI does not change it.
    public var poissonCoInfection: Bool
    /// The infectious titer of the virus amplification culture (P1/P2 working stock), to size it.
    public var amplificationTiter: Quantity<InfectiousConcentration>?
    /// The amplification train from the virus bank to the production, in order (P1, P2…);
    /// empty when the amplification is one culture of `amplificationTiter` or not stated.
    public var amplificationPassages: [AmplificationPassage]

    public init(
        virus: String, moi: Quantity<InfectiousPerCell>, viruses: [VirusShare] = [], poissonCoInfection: Bool = false,
        amplificationTiter: Quantity<InfectiousConcentration>? = nil, amplificationPassages: [AmplificationPassage] = []
    ) {
        self.virus = virus
        self.moi = moi
        self.viruses = viruses
        self.poissonCoInfection = poissonCoInfection
        self.amplificationTiter = amplificationTiter
        self.amplificationPassages = amplificationPassages
    }

    /// One passage of the amplification train as a lot sizes it.
    public struct AmplifiedPassage: Sendable, Hashable {
        public var passage: AmplificationPassage
        public var volume: Quantity<Volume>
        public var cells: Quantity<CellCount>
        /// Virus the passage is infected with, and what it makes for the next.
        public var virusIn: Quantity<InfectiousAmount>
        public var virusOut: Quantity<InfectiousAmount>

        @inlinable public init(
            passage: AmplificationPassage, volume: Quantity<Volume>, cells: Quantity<CellCount>,
            virusIn: Quantity<InfectiousAmount>, virusOut: Quantity<InfectiousAmount>
        ) {
            self.passage = passage
            self.volume = volume
            self.cells = cells
            self.virusIn = virusIn
            self.virusOut = virusOut
        }
    }

    /// The amplification train sized back from the virus the production needs: each passage's
    /// culture holds the next one's virus at its titer, and is infected at its MOI. In the
    /// train's order (the bank's first); empty without passages.
    @inlinable public func amplificationTrain(for virus: Quantity<InfectiousAmount>) -> [AmplifiedPassage] {
        var need = virus
        var out: [AmplifiedPassage] = []
        out.reserveCapacity(amplificationPassages.count)
        for passage in amplificationPassages.reversed() {
            let volume = need / passage.titer
            let cells = passage.cellDensity * volume
            let virusIn = passage.moi * cells
            out.append(AmplifiedPassage(passage: passage, volume: volume, cells: cells, virusIn: virusIn, virusOut: need))
            need = virusIn
        }
        return out.reversed()
    }

    /// The share of cells infected by every virus (Poisson), or 1.
    @inlinable public var coInfectedShare: Double {
        guard poissonCoInfection else { return 1 }
        let m = moi.canonical
        if viruses.isEmpty { return 1 - exp(-m) }
        var share = 1.0
        for v in viruses { share *= 1 - exp(-m * v.share) }
        return share
    }
}

/// The production step: cells grown in the platform's units, induced, and harvested.
public struct Production: Sendable, Hashable {
    public var platform: Platform
    /// Flasks, fixed beds or bioreactors in one lot.
    public var units: Int
    public var seedingDensity: CultureDensity
    /// Viable cell density at transfection or infection.
    public var inductionDensity: CultureDensity
    public var induction: Induction
    /// Vector made, per cell at induction (`vg/cell`) or per litre of harvest (`vg/L`).
    public var productivity: Either<Quantity<VectorPerCell>, Quantity<VectorConcentration>>
    /// From transfection or infection to harvest.
    public var duration: Quantity<Duration>
    /// Harvests of the whole culture volume (LV is often harvested 2–3 times, or perfused).
    public var harvests: Int
    /// Full medium volumes added beyond those harvested (exchanges before induction), per unit.
    public var mediumExchanges: Double
    /// Open manual manipulations per unit and lot (seed, feed, transfect, harvest).
    public var handlingsPerUnit: Double
    /// The physical particles made beside the dosed vector (capsids for AAV, particles for
    /// LV); nil when the process file does not state them.
    public var particles: ParticleContent?
    /// How the vector is made and collected over the production time (growth after induction,
    /// a profile, perfusion, decay); nil: all of it harvested at the end, as made.
    public var timeCourse: TimeCourse?
    /// How productivity and step yields change with the culture volume; nil: they do not.
    public var scaleEffect: ScaleEffect?
    /// The stirred tanks a suspension process may be run in (ascending): at another scale the
    /// smallest that holds it is chosen, and beyond the largest, as many of the largest.
    public var vessels: [Vessel] = []

    /// The vessel model, working volume per unit and units for a total culture volume: the
    /// smallest vessel whose largest working volume holds it; beyond the largest, several.
    public func placed(_ total: Quantity<Volume>) -> (model: String, each: Quantity<Volume>, units: Int)? {
        guard let largest = vessels.last else { return nil }
        for v in vessels where v.maxVolume >= total * (1 - 1e-9) { return (v.model, total, 1) }
        let n = (total / largest.maxVolume * (1 - 1e-9)).rounded(.up)
        let units = n.isFinite && n < 1e6 ? max(1, Int(n)) : 1
        return (largest.model, total / Double(units), units)
    }

    public init(
        platform: Platform, units: Int, seedingDensity: CultureDensity, inductionDensity: CultureDensity,
        induction: Induction, productivity: Either<Quantity<VectorPerCell>, Quantity<VectorConcentration>>,
        duration: Quantity<Duration>, harvests: Int = 1, mediumExchanges: Double, handlingsPerUnit: Double
    ) {
        self.harvests = harvests
        self.platform = platform
        self.units = units
        self.seedingDensity = seedingDensity
        self.inductionDensity = inductionDensity
        self.induction = induction
        self.productivity = productivity
        self.duration = duration
        self.mediumExchanges = mediumExchanges
        self.handlingsPerUnit = handlingsPerUnit
    }

    /// Physical particles harvested with a vector amount (canonical count); 0 when not stated.
    @inlinable public func particles(with vector: Quantity<VectorAmount>) -> (total: Double, partial: Double) {
        switch particles {
        case .capsids(let full, let partial, _)?:
            let total = vector.canonical / full
            return (total, total * partial)
        case .lentiviral(let perTU)?: return (vector.canonical * perTU, 0)
        case nil: return (0, 0)
        }
    }

    /// Culture volume of the whole lot.
    @inlinable public var cultureVolume: Quantity<Volume> { platform.volumePerUnit * Double(units) }
    /// Volume harvested from the whole lot: the culture volume at each harvest.
    @inlinable public var harvestVolume: Quantity<Volume> { cultureVolume * Double(harvests) }
    /// Growth surface of the whole lot (nil in suspension).
    @inlinable public var cultureSurface: Quantity<Area>? { platform.surfacePerUnit.map { $0 * Double(units) } }

    @inlinable public var seedingCells: Quantity<CellCount> {
        seedingDensity.cells(volume: cultureVolume, surface: cultureSurface)
    }
    @inlinable public var cellsAtInduction: Quantity<CellCount> {
        inductionDensity.cells(volume: cultureVolume, surface: cultureSurface)
    }
}

/// Production over time, from induction to harvest: cells may keep growing for a while, the
/// vector is made along a profile, perfused out of the vessel at a rate, and decays at the
/// culture temperature while it waits in the vessel (first order: LV loses half its activity in
/// about 10 h to 1.5 days at 37 °C).
public struct TimeCourse: Sendable, Hashable {
    /// Time cells keep doubling (at the cell line's doubling time) after induction; the vector
    /// made per cell applies to the cells at their peak.
    public var growthAfterInduction: Quantity<Duration>?
    /// Share of the vector made in each equal slice of the production time (adds up to 1);
    /// empty: made evenly.
    public var profile: [Double]
    /// Vessel volumes a day perfused out (and replaced) from `perfusionStart`; 0: none.
    public var perfusionRate: Double
    public var perfusionStart: Quantity<Duration>
    /// Half-life of the vector at the culture temperature; nil: it does not decay.
    public var halfLife: Quantity<Duration>?
    /// Whole-volume harvests (the medium replaced) at these times after induction, in seconds,
    /// ascending; the vessel is harvested at the end in any case. Empty: only at the end.
    public var harvestTimes: [Double]

    public init(
        growthAfterInduction: Quantity<Duration>? = nil, profile: [Double] = [], perfusionRate: Double = 0,
        perfusionStart: Quantity<Duration> = .zero, halfLife: Quantity<Duration>? = nil, harvestTimes: [Double] = []
    ) {
        self.growthAfterInduction = growthAfterInduction
        self.profile = profile
        self.perfusionRate = perfusionRate
        self.perfusionStart = perfusionStart
        self.halfLife = halfLife
        self.harvestTimes = harvestTimes
    }

    /// Of the vector made over `duration`, the share collected (perfusate and final harvest),
    /// and the vessel volumes harvested in all. Each slice of the profile is exact: in the
    /// vessel dV/dt = P − (k + D)·V, perfused out at D·V, what is left harvested at the end.
    @inlinable public func collected(over duration: Quantity<Duration>) -> (share: Double, vesselVolumes: Double) {
        let total = duration.canonical
        guard total > 0 else { return (1, 1) }
        let k = halfLife.map { log(2) / $0.canonical } ?? 0
        let d = perfusionRate / 86_400
        let start = min(max(perfusionStart.canonical, 0), total)
        let slices = max(1, profile.count)
        let width = total / Double(slices)
        var inVessel = 0.0, out = 0.0
        var t = 0.0
        var next = 0
        let tolerance = 1e-9 * total
        var harvested = 1.0
        for h in harvestTimes where h < total - tolerance { harvested += 1 }
        for i in 0..<slices {
            let made = profile.isEmpty ? 1.0 : profile[i]
            let end = t + width
            let rate = made / width
            // The slice, split where perfusion starts and at each scheduled harvest.
            var from = t
            while from < end - 1e-9 * width {
                var to = from < start && start < end ? start : end
                if next < harvestTimes.count, harvestTimes[next] > from + tolerance, harvestTimes[next] < to {
                    to = harvestTimes[next]
                }
                let dilution = from >= start - 1e-9 * width ? d : 0
                let tau = to - from
                let a = k + dilution
                if a * tau < 1e-12 {
                    let integral = inVessel * tau + rate * tau * tau / 2
                    out += dilution * integral
                    inVessel += rate * tau
                } else {
                    let e = exp(-a * tau)
                    let steady = rate / a
                    let integral = steady * tau + (inVessel - steady) * (1 - e) / a
                    out += dilution * integral
                    inVessel = steady + (inVessel - steady) * e
                }
                from = to
                // A scheduled harvest takes the vessel's content; fresh medium replaces it.
                while next < harvestTimes.count, harvestTimes[next] <= from + tolerance {
                    out += inVessel
                    inVessel = 0
                    next += 1
                }
            }
            t = end
        }
        return (out + inVessel, harvested + d * (total - start))
    }

    /// Whether anything is collected other than all of the vector at the end.
    @inlinable public var changesTheHarvest: Bool { perfusionRate > 0 || halfLife != nil || !harvestTimes.isEmpty }
}

/// A stirred tank of a vessel catalogue: its model and largest working volume.
public struct Vessel: Sendable, Hashable {
    public var model: String
    public var maxVolume: Quantity<Volume>

    public init(model: String, maxVolume: Quantity<Volume>) {
        self.model = model
        self.maxVolume = maxVolume
    }
}

/// Productivity and downstream yields as power laws of the culture volume, around the scale they
/// were measured at: × (volume / reference)^exponent (yields capped at 100 %).
public struct ScaleEffect: Sendable, Hashable {
    public var reference: Quantity<Volume>
    public var productivityExponent: Double
    public var yieldExponent: Double

    public init(reference: Quantity<Volume>, productivityExponent: Double, yieldExponent: Double) {
        self.reference = reference
        self.productivityExponent = productivityExponent
        self.yieldExponent = yieldExponent
    }

    @inlinable public func productivityFactor(at volume: Quantity<Volume>) -> Double {
        productivityExponent == 0 ? 1 : pow(volume / reference, productivityExponent)
    }

    @inlinable public func yieldFactor(at volume: Quantity<Volume>) -> Double {
        yieldExponent == 0 ? 1 : pow(volume / reference, yieldExponent)
    }
}

/// What the harvest holds besides the dosed vector: AAV capsids, most of them empty after a
/// triple transfection, or LV particles, most of them not infectious.
public enum ParticleContent: Sendable, Hashable {
    /// AAV: the share of capsids holding a full genome and the share holding a partial one
    /// (0 when not distinguished), and optionally the vector genomes per infectious unit
    /// (the physical-to-infectious ratio).
    case capsids(full: Double, partial: Double, genomesPerInfectiousUnit: Double?)
    /// LV: physical particles per transducing unit (100–1,000 for VSV-G LV).
    case lentiviral(particlesPerTU: Double)
}

// MARK: - Downstream

/// One unit operation of the purification chain, with its parameters.
public struct DownstreamStep: Sendable, Hashable {
    public var name: String
    /// The fraction of the vector entering the step that leaves it.
    public var yield: Quantity<Fraction>
    /// The chromatography resin (or other named material) the step uses, for records.
    /// Kept out of ``operation`` so that the operation is plain data, cheap to copy.
    public var resin: String?
    public var operation: UnitOperation

    public init(name: String, yield: Quantity<Fraction>, resin: String? = nil, operation: UnitOperation) {
        self.name = name
        self.yield = yield
        self.resin = resin
        self.operation = operation
    }
}

public enum UnitOperation: Sendable, Hashable {
    case harvest(Harvest)
    case clarification(Filtration)
    case tangentialFlow(TangentialFlow)
    case chromatography(Chromatography)
    case sterileFiltration(Filtration)
    case hold(Hold)

    /// The `step:` keyword this operation is written with.
    public var keyword: String {
        switch self {
        case .harvest: "harvest"
        case .clarification: "clarification"
        case .tangentialFlow(let t): t.role.rawValue
        case .chromatography(let c): c.role.rawValue
        case .sterileFiltration: "sterile-filtration"
        case .hold: "hold"
        }
    }
}

/// The sizes a piece of equipment is bought in (filter capsules, membrane cassettes, columns),
/// with the safety factor applied to the exact need before a size is chosen.
public struct Catalogue: Sendable, Hashable {
    /// Sizes in the canonical unit (m² or m³), ascending.
    public var sizes: [Double]
    public var safetyFactor: Double

    public init(sizes: [Double], safetyFactor: Double = 1) {
        self.sizes = sizes.sorted()
        self.safetyFactor = safetyFactor
    }

    /// The smallest size at least the need × the safety factor; beyond the largest, as many of
    /// the largest as that takes.
    @inlinable public func choose(_ need: Double) -> (size: Double, count: Int) {
        let target = need * safetyFactor
        guard let largest = sizes.last, target.isFinite else { return (need, 1) }
        for size in sizes where size >= target * (1 - 1e-9) { return (size, 1) }
        let n = (target / largest * (1 - 1e-9)).rounded(.up)
        return (largest, n < 1e6 ? max(1, Int(n)) : 1_000_000)
    }
}

/// A change of volume by added liquid: a fraction of the volume or a fixed volume.
public enum AddedVolume: Sendable, Hashable {
    case fraction(Double)
    case volume(Quantity<Volume>)

    @inlinable public func added(to v: Quantity<Volume>) -> Quantity<Volume> {
        switch self {
        case .fraction(let f): v * f
        case .volume(let a): a
        }
    }
}

/// Harvest and lysis: cells lysed (detergent) and the vector released into the medium.
public struct Harvest: Sendable, Hashable {
    public var addedVolume: AddedVolume?
    public var duration: Quantity<Duration>

    public init(addedVolume: AddedVolume?, duration: Quantity<Duration>) {
        self.addedVolume = addedVolume
        self.duration = duration
    }
}

/// A normal-flow filtration (depth clarification or 0.2 µm sterile filtration), sized by capacity.
public struct Filtration: Sendable, Hashable {
    /// Volume one m² of filter passes before it clogs.
    public var capacity: Quantity<VolumePerArea>
    public var flux: Quantity<Flux>
    /// Preparation, flushing and integrity testing.
    public var setupTime: Quantity<Duration>
    /// Liquid left in the filter per m² at the end (not recovered by the blow-down).
    public var holdUp: Quantity<VolumePerArea>?
    /// Liquid left in the housing and lines, whatever the area.
    public var lineHoldUp: Quantity<Volume>?
    /// Filter sizes bought; nil: the exact area.
    public var catalogue: Catalogue?

    public init(
        capacity: Quantity<VolumePerArea>, flux: Quantity<Flux>, setupTime: Quantity<Duration>,
        holdUp: Quantity<VolumePerArea>? = nil, lineHoldUp: Quantity<Volume>? = nil
    ) {
        self.capacity = capacity
        self.flux = flux
        self.setupTime = setupTime
        self.holdUp = holdUp
        self.lineHoldUp = lineHoldUp
    }

    /// Whether a hold-up is stated: the volume lost is then computed, and the step's yield
    /// is what the rest of the liquid keeps (adsorption).
    @inlinable public var statesHoldUp: Bool { holdUp != nil || lineHoldUp != nil }
}

public enum TangentialFlowRole: String, Sendable, Hashable, CaseIterable {
    /// Concentration and diafiltration before capture.
    case tff
    /// Ultrafiltration/diafiltration into the formulation buffer.
    case ufdf
}

/// What a concentration step aims for.
public enum ConcentrationTarget: Sendable, Hashable {
    case factor(Double)
    case finalVolume(Quantity<Volume>)
    case finalConcentration(Quantity<VectorConcentration>)
}

/// Tangential-flow filtration: concentration and diafiltration, sized by flux and time.
public struct TangentialFlow: Sendable, Hashable {
    public var role: TangentialFlowRole
    public var target: ConcentrationTarget
    /// Diafiltration volumes exchanged at the concentrated volume.
    public var diafiltrationVolumes: Double
    public var flux: Quantity<Flux>
    /// Either the time allowed (the membrane is sized) or the membrane installed (time follows).
    public var sizing: Either<Quantity<Duration>, Quantity<Area>>
    public var setupTime: Quantity<Duration>
    /// Membrane sizes bought, when the membrane is sized; nil: the exact area.
    public var catalogue: Catalogue?

    public init(
        role: TangentialFlowRole, target: ConcentrationTarget, diafiltrationVolumes: Double,
        flux: Quantity<Flux>, sizing: Either<Quantity<Duration>, Quantity<Area>>, setupTime: Quantity<Duration>
    ) {
        self.role = role
        self.target = target
        self.diafiltrationVolumes = diafiltrationVolumes
        self.flux = flux
        self.sizing = sizing
        self.setupTime = setupTime
    }
}

public enum ChromatographyRole: String, Sendable, Hashable, CaseIterable {
    /// Affinity capture (AAVX, AVB): binds the capsid.
    case affinity
    /// Anion exchange: polishing (full/empty capsids) or LV capture.
    case aex
}

public enum ChromatographyMode: String, Sendable, Hashable, CaseIterable {
    case bindElute = "bind-elute"
    case flowThrough = "flow-through"
}

/// A packed-bed chromatography step. In bind-elute mode the column is loaded to a fraction of
/// its dynamic binding capacity, cycled as often as the load needs, and the eluate is
/// `elutionVolumes` column volumes per cycle.
public struct Chromatography: Sendable, Hashable {
    public var role: ChromatographyRole
    public var mode: ChromatographyMode
    /// Dynamic binding capacity per mL of resin (bind-elute).
    public var bindingCapacity: Quantity<VectorConcentration>?
    /// Whether the binding capacity counts physical particles (`cp/mL`, `VP/mL`) — every
    /// capsid binds, full or empty — rather than the dosed vector (`vg/mL`, `TU/mL`).
    public var bindsParticles: Bool = false
    /// AEX full/empty separation: the resolution between the empty and full capsid peaks
    /// (Rs = Δ / 4σ). The step's yield is the full capsids kept by the cut; empty capsids
    /// are kept as Φ(Φ⁻¹(yield) − 4 Rs), partial ones as Φ(Φ⁻¹(yield) − 2 Rs).
    public var fullEmptyResolution: Double?
    /// Column sizes, when the column is sized to the load (the largest acts as the maximum).
    public var catalogue: Catalogue?
    /// Fraction of the dynamic binding capacity used.
    public var loading: Quantity<Fraction>
    /// The installed column, or nil to size one to the load.
    public var columnVolume: Quantity<Volume>?
    /// The largest column that may be sized; beyond it, cycles.
    public var maxColumnVolume: Quantity<Volume>?
    public var elutionVolumes: Double
    /// Equilibration, wash, strip and cleaning volumes per cycle.
    public var otherVolumes: Double
    public var residenceTime: Quantity<Duration>
    public var setupTime: Quantity<Duration>
    /// A step time known from batch records; replaces the time computed from flow and volumes.
    public var duration: Quantity<Duration>?

    public init(
        role: ChromatographyRole, mode: ChromatographyMode,
        bindingCapacity: Quantity<VectorConcentration>?, loading: Quantity<Fraction>, columnVolume: Quantity<Volume>?,
        maxColumnVolume: Quantity<Volume>?, elutionVolumes: Double, otherVolumes: Double,
        residenceTime: Quantity<Duration>, setupTime: Quantity<Duration>, duration: Quantity<Duration>? = nil
    ) {
        self.duration = duration
        self.role = role
        self.mode = mode
        self.bindingCapacity = bindingCapacity
        self.loading = loading
        self.columnVolume = columnVolume
        self.maxColumnVolume = maxColumnVolume
        self.elutionVolumes = elutionVolumes
        self.otherVolumes = otherVolumes
        self.residenceTime = residenceTime
        self.setupTime = setupTime
    }
}

/// A step that holds the stream for a time: nuclease digestion, viral inactivation, mixing.
public struct Hold: Sendable, Hashable {
    public var addedVolume: AddedVolume?
    public var duration: Quantity<Duration>
    /// Half-life of the vector at the hold's temperature: it decays (first order) on top of the
    /// step's yield; its particles do not.
    public var halfLife: Quantity<Duration>?

    public init(addedVolume: AddedVolume?, duration: Quantity<Duration>, halfLife: Quantity<Duration>? = nil) {
        self.addedVolume = addedVolume
        self.duration = duration
        self.halfLife = halfLife
    }

    /// The share of the vector that survives the hold's decay.
    @inlinable public var surviving: Double {
        guard let h = halfLife, h.canonical > 0 else { return 1 }
        return exp2(-duration.canonical / h.canonical)
    }
}

// MARK: - Fill and QC

/// Aseptic fill of the formulated bulk into vials.
public struct Fill: Sendable, Hashable {
    public var container: String
    /// Extractable (labelled) volume per vial.
    public var fillVolume: Quantity<Volume>
    /// Extra volume per vial so the labelled volume can be withdrawn.
    public var overfill: Quantity<Volume>
    /// Bulk lost in the filling line (tubing, needles, reservoir).
    public var lineLoss: Quantity<Volume>
    public var yield: Quantity<Fraction>
    public var setupTime: Quantity<Duration>
    public var vialsPerHour: Double

    public init(
        container: String, fillVolume: Quantity<Volume>, overfill: Quantity<Volume>, lineLoss: Quantity<Volume>,
        yield: Quantity<Fraction>, setupTime: Quantity<Duration>, vialsPerHour: Double
    ) {
        self.container = container
        self.fillVolume = fillVolume
        self.overfill = overfill
        self.lineLoss = lineLoss
        self.yield = yield
        self.setupTime = setupTime
        self.vialsPerHour = vialsPerHour
    }
}

public struct QualityControl: Sendable, Hashable {
    public var inProcess: [InProcessSample]
    public var release: [ReleaseTest]
    /// Vials kept as retained samples (reference and stability).
    public var retainedVials: Int

    public init(inProcess: [InProcessSample], release: [ReleaseTest], retainedVials: Int) {
        self.inProcess = inProcess
        self.release = release
        self.retainedVials = retainedVials
    }
}

/// What a QC result must be to pass: a range on a measured value (either limit may be open),
/// or a pass/fail criterion the analyst judges (`no growth`, `conforms to reference`).
/// The two release panels: the formulated bulk before fill and the filled vials.
public enum ReleasePanel: String, Sendable, Hashable, CaseIterable, Codable {
    case drugSubstance = "drug-substance"
    case drugProduct = "drug-product"

    public var title: String {
        switch self {
        case .drugSubstance: "drug substance"
        case .drugProduct: "drug product"
        }
    }
}

/// A sample taken from the stream after a downstream step.
public struct InProcessSample: Sendable, Hashable {
    public var test: String
    /// Index of the downstream step the sample is taken after.
    public var afterStep: Int
    public var volume: Quantity<Volume>
    /// The acceptance criterion; nil when the result is for information only.
    public var specification: QCSpecification?

    public init(test: String, afterStep: Int, volume: Quantity<Volume>, specification: QCSpecification? = nil) {
        self.test = test
        self.afterStep = afterStep
        self.volume = volume
        self.specification = specification
    }
}

/// A release test: its panel, what it consumes (bulk for the drug substance, vials for the drug
/// product), its turnaround and its specification.
public struct ReleaseTest: Sendable, Hashable {
    public var test: String
    public var panel: ReleasePanel
    public var volume: Quantity<Volume>
    public var turnaround: Quantity<Duration>
    public var specification: QCSpecification

    public init(
        test: String, panel: ReleasePanel = .drugProduct, volume: Quantity<Volume>, turnaround: Quantity<Duration>,
        specification: QCSpecification = .passFail(criterion: "conforms")
    ) {
        self.test = test
        self.panel = panel
        self.volume = volume
        self.turnaround = turnaround
        self.specification = specification
    }
}

extension ProcessDefinition {
    /// The process with its production at another total scale, everything else as written: a
    /// stirred tank of that working volume (one unit), fixed beds of that total area (the same
    /// number of beds, each with its working volume in proportion), or that many flasks. The
    /// scale is in the unit ``ProductionPlatform`` counts scale in: m³ of culture, m² of bed,
    /// flasks. A tech transfer to a smaller site simulates its lot this way.
    public func atProductionScale(_ total: Double) -> ProcessDefinition {
        var p = self
        switch production.platform {
        case .suspension(let model, _):
            p.production.platform = .suspension(model: model, workingVolume: Quantity(canonical: total))
            p.production.units = 1
            if let (m, each, units) = production.placed(Quantity(canonical: total)) {
                p.production.platform = .suspension(model: m, workingVolume: each)
                p.production.units = units
            }
        case .fixedBed(let model, let area, let volume):
            let each = total / Double(max(1, production.units))
            p.production.platform = .fixedBed(
                model: model, bedArea: Quantity(canonical: each), workingVolume: volume * (each / area.canonical))
        case .flasks:
            p.production.units = max(1, Int(total.rounded(.down)))
        }
        return p
    }
}
