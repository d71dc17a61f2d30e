import Bioprocess

/// What things cost, for one process: prices of materials, labour, QC tests and the facility,
/// in one currency. Amounts are in that currency per canonical unit (per m³, per kg, per s).
///
/// Read from a process file's `costs:` section or a cost file it references (see
/// `docs/costs-format.md`). Every input may be a distribution.
public struct CostModel: Sendable, Hashable {
    public var currency: Currency

    // Materials
    /// Per m³ of culture medium (seed train and production).
    public var medium: Double
    /// Per kg of plasmid DNA.
    public var plasmid: Double
    /// Per kg of transfection reagent.
    public var reagent: Double
    /// Per infectious unit of helper or baculovirus.
    public var virus: Double
    /// Per m³ of process buffer (chromatography, diafiltration, lysis).
    public var buffer: Double
    /// Per seed-train vessel (single-use flask or bag).
    public var seedVessel: Double
    /// Per production unit and lot (a flask, a fixed bed, a bioreactor bag).
    public var productionUnit: Double
    /// Per vial filled (container, stopper, cap).
    public var vial: Double
    /// Per lot: the fill's single-use assembly.
    public var fillSingleUse: Double
    /// One entry per downstream step, in the process's order.
    public var steps: [StepCosts]

    // Labour
    /// Per second of one person's time, fully loaded.
    public var labourRate: Double
    public var shiftLength: Quantity<Duration>
    public var upstreamCrew: Crew
    public var downstreamCrew: Crew
    public var fillCrew: Crew

    // QC
    /// One per release test of the process, in its order.
    public var releaseTests: [Double]
    /// One per in-process test of the process, in its order.
    public var inProcessTests: [Double]
    /// Per lot: raw-material testing, environmental monitoring, stability, review.
    public var qcPerLot: Double

    // Facility
    public var capital: Double
    public var depreciation: Quantity<Duration>
    /// Per year: maintenance, utilities, insurance, indirect staff.
    public var yearlyOverhead: Double
    public var allocation: FacilityAllocation
    /// Exponent of the power law relating equipment-linked costs to scale (the six-tenths rule).
    public var scaleExponent: Double?

    /// The share of lots that pass and are released.
    public var successRate: Double

    /// How a lot holds its suite, for the lots a year computed from the lot's suite time:
    /// ``SuiteOccupancy/wholeLot`` (thaw to the end of fill, no changeover, open all year) unless
    /// a facility's suite is given (`vectorfab cost --facility`).
    public var occupancy: SuiteOccupancy = .wholeLot
    /// The facility and suite `occupancy` describes; nil for the whole-lot suite.
    public var suite: String?

    public init(currency: Currency) {
        self.currency = currency
        medium = 0
        plasmid = 0
        reagent = 0
        virus = 0
        buffer = 0
        seedVessel = 0
        productionUnit = 0
        vial = 0
        fillSingleUse = 0
        steps = []
        labourRate = 0
        shiftLength = Quantity(8, "h")
        upstreamCrew = Crew(staff: 0, shiftsPerDay: 1)
        downstreamCrew = Crew(staff: 0, shiftsPerDay: 1)
        fillCrew = Crew(staff: 0, shiftsPerDay: 1)
        releaseTests = []
        inProcessTests = []
        qcPerLot = 0
        capital = 0
        depreciation = Quantity(10, "yr")
        yearlyOverhead = 0
        allocation = .suiteTime
        scaleExponent = nil
        successRate = 1
    }

    /// The facility's cost per year: depreciation plus overhead.
    @inlinable public var yearlyFacilityCost: Double {
        capital / (depreciation.canonical / secondsPerYear) + yearlyOverhead
    }
}

/// Seconds in a 365-day year (the unit `yr`).
public let secondsPerYear = 365.0 * 86_400

/// The people on a stage: staff per shift and shifts per day while the stage runs.
public struct Crew: Sendable, Hashable {
    public var staff: Double
    public var shiftsPerDay: Double

    public init(staff: Double, shiftsPerDay: Double) {
        self.staff = staff
        self.shiftsPerDay = shiftsPerDay
    }
}

/// What one downstream step consumes besides buffer.
public struct StepCosts: Sendable, Hashable {
    /// Per m³ of packed resin.
    public var resin: Double = 0
    /// Cycles a resin lasts before it is replaced.
    public var resinLifetime: Double = 1
    /// Per m² of filter (depth, sterile).
    public var filter: Double = 0
    /// Per m² of TFF membrane.
    public var membrane: Double = 0
    /// Lots a TFF membrane lasts (1: single-use).
    public var membraneLifetime: Double = 1
    /// Per lot: tubing, bags and connectors of the step.
    public var singleUse: Double = 0

    public init() {}
}

/// How the facility's yearly cost is spread over lots.
public enum FacilityAllocation: Sendable, Hashable {
    /// Evenly over a number of lots a year.
    case lotsPerYear(Double)
    /// Over the lots a year the suite makes, computed from the time each lot holds it (thaw to
    /// the end of fill unless a facility's suite says otherwise): ``LotCycle/lotsPerYear(_:)``.
    case suiteTime
}

/// The lots a year a suite makes, as the cost model sees them: the number a cost file states
/// (`lots-per-year`), if any, and the one computed from the lot's suite time by ``LotCycle``,
/// the computation the planner and the facility simulation use too.
public struct FacilityLotsPerYear: Sendable, Hashable {
    /// Lots a year stated in the costs; nil with `allocation: suite-time`.
    public var stated: Double?
    /// Lots a year computed from the lot's suite time, changeover and closures.
    public var computed: Double
    /// Days a lot holds its suite, on average over passing and failing lots.
    public var suiteDays: Double
    /// Days from one lot taking the suite to the next (suite time and changeover).
    public var cycleDays: Double
    /// What holds the suite, in words.
    public var basis: String
    /// The facility and suite the computation is for; nil for the whole-lot suite.
    public var suite: String?

    /// The lots a year the facility's cost is spread over.
    public var used: Double { stated ?? computed }

    /// Stated ÷ computed − 1; nil when nothing is stated.
    public var difference: Double? { stated.map { $0 / computed - 1 } }

    /// Whether the stated figure is more than 10 % away from the computed one (a cost file's
    /// round figure is not expected to match to the lot).
    public var disagrees: Bool { (difference.map(abs) ?? 0) > 0.10 }
}

/// The stages of a lot that costs are reported by.
public enum CostStage: Int, Sendable, Hashable, CaseIterable, Codable {
    case upstream, downstream, fill, qc

    public var label: String {
        switch self {
        case .upstream: "upstream"
        case .downstream: "downstream"
        case .fill: "fill"
        case .qc: "QC"
        }
    }
}

/// The categories of cost.
public enum CostCategory: Int, Sendable, Hashable, CaseIterable, Codable {
    case materials, labour, qc, facility

    public var label: String {
        switch self {
        case .materials: "materials"
        case .labour: "labour"
        case .qc: "QC"
        case .facility: "facility"
        }
    }
}
