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
    /// Seconds of one person's time per open manual handling (seeding, feeding, transfecting,
    /// harvesting a flask…), charged at `labourRate` on top of the crews; 0 when not given.
    public var timePerHandling: Double
    /// Annual staff by role, allocated to the lot like the facility; nil when not given.
    public var staff: Staff?

    // QC
    /// One per release test of the process, in its order.
    public var releaseTests: [Double]
    /// One per in-process test of the process, in its order.
    public var inProcessTests: [Double]
    /// Per lot: raw-material testing, environmental monitoring, stability, review (not split).
    public var qcPerLot: Double
    /// Per lot, QC split as published cost models state it: analysts' time, laboratory supplies
    /// and reagents, tests sent out to a contract laboratory. 0 when not given.
    public var qcLabour: Double
    public var qcSupplies: Double
    public var qcOutsourced: Double
    /// Whether each release test (in the process's order) is sent out to a contract laboratory.
    public var releaseTestsOutsourced: [Bool]
    /// Whether each in-process test is sent out.
    public var inProcessTestsOutsourced: [Bool]

    // Facility
    public var capital: Double
    public var depreciation: Quantity<Duration>
    /// Per year: maintenance, utilities, insurance, indirect staff.
    public var yearlyOverhead: Double
    /// The floor area the process takes (cleanrooms and their share of support areas), in m².
    public var floorArea: Double
    /// Capital per m² of floor area, added to `capital`.
    public var capitalPerArea: Double
    /// Overhead per m² of floor area and year, added to `yearlyOverhead`.
    public var overheadPerArea: Double
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
    /// Costs of a campaign (engineering lots, stability programme, validation) spread over its lots.
    public var campaign: Campaign?
    /// How materials are bought: purchase sizes and minimum orders.
    public var purchases: [Purchase]
    /// Units of `currency` per unit of another currency, for amounts written in that one.
    public var exchangeRates: [Currency: Double]

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
        timePerHandling = 0
        staff = nil
        releaseTests = []
        inProcessTests = []
        qcPerLot = 0
        qcLabour = 0
        qcSupplies = 0
        qcOutsourced = 0
        releaseTestsOutsourced = []
        inProcessTestsOutsourced = []
        capital = 0
        depreciation = Quantity(10, "yr")
        yearlyOverhead = 0
        floorArea = 0
        capitalPerArea = 0
        overheadPerArea = 0
        allocation = .suiteTime
        scaleExponent = nil
        successRate = 1
        campaign = nil
        purchases = []
        exchangeRates = [:]
    }

    /// The facility's whole capital: the amount given plus the floor area at its price per m².
    @inlinable public var totalCapital: Double { capital + floorArea * capitalPerArea }

    /// The facility's overhead a year: the amount given plus the floor area at its rate per m².
    @inlinable public var totalYearlyOverhead: Double { yearlyOverhead + floorArea * overheadPerArea }

    /// The facility's cost per year: depreciation plus overhead.
    @inlinable public var yearlyFacilityCost: Double {
        totalCapital / (depreciation.canonical / secondsPerYear) + totalYearlyOverhead
    }
}

/// Annual staff by role, each with its cost per full-time equivalent (FTE).
///
/// Production staff are labour, spread over the upstream, downstream and fill stages by their
/// times; QC staff are QC (analysts' time); QA staff are labour on the QC stage (batch record
/// review, release); support staff (maintenance, warehouse, EHS, administration) are indirect
/// costs, with the facility.
public struct Staff: Sendable, Hashable {
    public var production: StaffRole
    public var qc: StaffRole
    public var qa: StaffRole
    public var support: StaffRole

    public init(production: StaffRole, qc: StaffRole, qa: StaffRole, support: StaffRole) {
        self.production = production
        self.qc = qc
        self.qa = qa
        self.support = support
    }

    public subscript(role: StaffRoleKind) -> StaffRole {
        get {
            switch role {
            case .production: production
            case .qc: qc
            case .qa: qa
            case .support: support
            }
        }
        set {
            switch role {
            case .production: production = newValue
            case .qc: qc = newValue
            case .qa: qa = newValue
            case .support: support = newValue
            }
        }
    }
}

/// The roles annual staff are given by.
public enum StaffRoleKind: String, Sendable, Hashable, CaseIterable {
    case production, qc, qa, support

    public var label: String {
        switch self {
        case .production: "production"
        case .qc: "QC"
        case .qa: "QA"
        case .support: "support"
        }
    }
}

/// Headcount of one role and what one full-time person costs, fully loaded.
public struct StaffRole: Sendable, Hashable {
    /// Full-time equivalents.
    public var fte: Double
    /// Per second of a year (an annual cost divided by the seconds of a year).
    public var costPerFTE: Double

    public init(fte: Double, costPerFTE: Double) {
        self.fte = fte
        self.costPerFTE = costPerFTE
    }

    /// What the role costs a year.
    @inlinable public var yearly: Double { fte * costPerFTE * secondsPerYear }
}

/// Costs borne once for a campaign and spread over the lots it makes.
public struct Campaign: Sendable, Hashable {
    /// Lots made in the campaign (passed or failed).
    public var lots: Double
    /// Named amounts, in the file's order: engineering lots, stability programme, validation…
    public var items: [CampaignItem]

    public init(lots: Double, items: [CampaignItem]) {
        self.lots = lots
        self.items = items
    }
}

public struct CampaignItem: Sendable, Hashable {
    public var name: String
    public var amount: Double

    public init(name: String, amount: Double) {
        self.name = name
        self.amount = amount
    }
}

/// Materials that can be bought in purchase sizes and minimum orders.
public enum PurchasedMaterial: String, Sendable, Hashable, CaseIterable {
    case medium, buffer, plasmid, reagent, virus
}

/// How one material is bought.
///
/// An order serves `lotsPerOrder` lots: it holds what they use together, at least
/// `minimumQuantity`, rounded up to whole purchase units of `size`; it costs that quantity at
/// the material's price, and at least `minimumAmount`. Each lot pays the order's cost divided by
/// the lots it serves — a batch spread over several lots is shared, a batch used once is paid
/// whole.
public struct Purchase: Sendable, Hashable {
    public var material: PurchasedMaterial
    /// The quantity of one purchase unit in canonical units (kg, m³, infectious units); 0: any quantity.
    public var size: Double
    /// The least quantity one order may hold (canonical units); 0: none.
    public var minimumQuantity: Double
    /// The least one order may cost; 0: none.
    public var minimumAmount: Double
    /// The lots one order serves (at least 1).
    public var lotsPerOrder: Double

    public init(
        material: PurchasedMaterial, size: Double = 0, minimumQuantity: Double = 0, minimumAmount: Double = 0,
        lotsPerOrder: Double = 1
    ) {
        self.material = material
        self.size = size
        self.minimumQuantity = minimumQuantity
        self.minimumAmount = minimumAmount
        self.lotsPerOrder = lotsPerOrder
    }

    /// What a lot pays for `quantity` of the material at `price` per canonical unit.
    @inlinable
    public func perLot(quantity: Double, price: Double) -> Double {
        let lots = max(1, lotsPerOrder)
        var ordered = max(quantity * lots, minimumQuantity)
        if size > 0 {
            // Whole units; a quantity within rounding error (1e-9) of a whole number of units is
            // that number (20 mg in units of 10 mg is 2 units, not 3).
            let units = ordered / size
            var whole = units.rounded(.up)
            if whole - 1 >= units * (1 - 1e-9) { whole -= 1 }
            ordered = whole * size
        }
        return max(ordered * price, minimumAmount) / lots
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
    /// `campaign`: costs borne once for a campaign and spread over its lots, at no stage of one.
    case upstream, downstream, fill, qc, campaign

    public var label: String {
        switch self {
        case .upstream: "upstream"
        case .downstream: "downstream"
        case .fill: "fill"
        case .qc: "QC"
        case .campaign: "campaign"
        }
    }
}

/// The categories of cost, as published cost-of-goods breakdowns of AAV and LV state them:
/// direct materials, labour, QC, indirect/facility — and the campaign's costs spread over its lots.
public enum CostCategory: Int, Sendable, Hashable, CaseIterable, Codable {
    case materials, labour, qc, facility, campaign

    public var label: String {
        switch self {
        case .materials: "direct materials"
        case .labour: "labour"
        case .qc: "QC"
        case .facility: "indirect/facility"
        case .campaign: "campaign"
        }
    }
}
