import Bioprocess

/// One line of a lot's cost.
public enum CostItem: Sendable, Hashable {
    case medium, plasmid, reagent, virus, seedVessels, productionUnits
    case resin(step: Int), filters(step: Int), membranes(step: Int), buffer(step: Int), stepSingleUse(step: Int)
    case vials, fillSingleUse
    /// The rounding up of a material to whole purchase sizes and minimum orders.
    case purchase(PurchasedMaterial)
    case labour(CostStage)
    /// Open manual handlings × time per handling × rate.
    case handlings
    /// Annual staff of a role, the lot's share, on a stage.
    case staff(StaffRoleKind, CostStage)
    case releaseTest(Int), inProcessTest(Int), qcPerLot, qcLabour, qcSupplies, qcOutsourced
    case facility(CostStage)
    /// One item of the campaign, by its index, spread over the campaign's lots.
    case campaign(Int)
}

/// Receives each line of a lot's cost. The calculator is generic over it: the Monte Carlo
/// sums into a ``CostMatrix`` without allocating; a report keeps every line.
public protocol CostAccumulator {
    mutating func add(_ item: CostItem, _ stage: CostStage, _ category: CostCategory, _ amount: Double)
}

/// Cost by stage and category: 5 × 5 numbers in one vector, no allocation.
public struct CostMatrix: CostAccumulator, Sendable, Hashable {
    @usableFromInline static let width = 5
    @usableFromInline var cells = SIMD32<Double>()

    public init() {}

    @inlinable
    public mutating func add(_ item: CostItem, _ stage: CostStage, _ category: CostCategory, _ amount: Double) {
        cells[stage.rawValue &* Self.width &+ category.rawValue] += amount
    }

    public subscript(stage: CostStage, category: CostCategory) -> Double {
        cells[stage.rawValue * Self.width + category.rawValue]
    }

    public func total(_ stage: CostStage) -> Double { CostCategory.allCases.reduce(0) { $0 + self[stage, $1] } }
    public func total(_ category: CostCategory) -> Double { CostStage.allCases.reduce(0) { $0 + self[$1, category] } }

    @inlinable public var total: Double { cells.sum() }
}

/// Every line of a lot's cost, for reports.
public struct CostLines: CostAccumulator, Sendable {
    public struct Line: Sendable, Hashable {
        public var item: CostItem
        public var stage: CostStage
        public var category: CostCategory
        public var amount: Double
    }

    public var lines: [Line] = []
    public var matrix = CostMatrix()

    public init() {}

    public mutating func add(_ item: CostItem, _ stage: CostStage, _ category: CostCategory, _ amount: Double) {
        lines.append(Line(item: item, stage: stage, category: category, amount: amount))
        matrix.add(item, stage, category, amount)
    }
}

/// The cost of one lot: per lot attempted, per lot released (failed lots carried by the
/// successful ones) and per dose.
public struct LotCost: Sendable, Hashable {
    public var matrix: CostMatrix
    public var successRate: Double
    public var doses: Int
    /// Doses without rounding to whole doses, for smooth sensitivity indices.
    public var fractionalDoses: Double

    public init(matrix: CostMatrix, successRate: Double, doses: Int, fractionalDoses: Double) {
        self.matrix = matrix
        self.successRate = successRate
        self.doses = doses
        self.fractionalDoses = fractionalDoses
    }

    /// What one lot costs to make, passed or failed.
    public var perLotAttempted: Double { matrix.total }
    /// What each released lot must carry: its own cost and its share of the failed ones.
    public var perLotReleased: Double { matrix.total / successRate }
    /// The failed lots' share of a released lot's cost.
    public var failedLotsShare: Double { perLotReleased - perLotAttempted }
    /// Per dose of a released lot; infinite when a lot makes no dose.
    public var perDose: Double { doses > 0 ? perLotReleased / Double(doses) : .infinity }
}

/// Watches a lot being simulated and prices each step as it comes.
@usableFromInline
struct StepPricer<A: CostAccumulator>: LotObserver {
    @usableFromInline let steps: [StepCosts]
    @usableFromInline let buffer: Double
    @usableFromInline var accumulator: A

    @usableFromInline static var wantsStageDetail: Bool { false }

    @usableFromInline init(costs: CostModel, accumulator: A) {
        self.steps = costs.steps
        self.buffer = costs.buffer
        self.accumulator = accumulator
    }

    @usableFromInline
    mutating func step(_ o: StepOutcome) {
        let i = o.index
        let c = steps[i]
        if o.cycles > 0 && c.resin > 0 {
            accumulator.add(
                .resin(step: i), .downstream, .materials,
                o.columnVolume.canonical * Double(o.cycles) * c.resin / c.resinLifetime)
        }
        if c.filter > 0 {
            accumulator.add(.filters(step: i), .downstream, .materials, o.filterArea.canonical * c.filter)
        }
        if c.membrane > 0 {
            accumulator.add(
                .membranes(step: i), .downstream, .materials, o.membraneArea.canonical * c.membrane / c.membraneLifetime
            )
        }
        if buffer > 0 { accumulator.add(.buffer(step: i), .downstream, .materials, o.bufferVolume.canonical * buffer) }
        if c.singleUse > 0 { accumulator.add(.stepSingleUse(step: i), .downstream, .materials, c.singleUse) }
    }
}

/// Prices a lot from the process simulation: materials from what the lot consumes, labour
/// from how long each stage runs, QC from the tests, the facility from its yearly cost.
public enum CostCalculator {
    /// Simulates and prices a lot, sending every line to `accumulator`.
    @inlinable
    public static func run<A: CostAccumulator>(
        _ p: ProcessDefinition, _ costs: CostModel, into accumulator: inout A
    ) throws(SimulationError) -> LotSummary {
        var pricer = StepPricer(costs: costs, accumulator: accumulator)
        let s = try LotSimulator.run(p, observer: &pricer)
        accumulator = pricer.accumulator
        price(p, s, costs, into: &accumulator)
        return s
    }

    /// A lot's cost by stage and category, without the lines.
    @inlinable
    public static func cost(_ p: ProcessDefinition, _ costs: CostModel) throws(SimulationError) -> (LotSummary, LotCost)
    {
        var matrix = CostMatrix()
        let s = try run(p, costs, into: &matrix)
        return (s, lotCost(s, costs, matrix))
    }

    @inlinable
    public static func lotCost(_ s: LotSummary, _ costs: CostModel, _ matrix: CostMatrix) -> LotCost {
        LotCost(matrix: matrix, successRate: costs.successRate, doses: s.doses, fractionalDoses: s.fractionalDoses)
    }

    /// The lot's ``LotCycle``: its stage durations in days and the costs' success rate.
    @inlinable
    public static func lotCycle(_ s: LotSummary, _ c: CostModel) -> LotCycle {
        let day = 86_400.0
        return LotCycle(
            expansion: s.expansionTime.canonical / day, production: (s.growthTime + s.inductionTime).canonical / day,
            purification: s.downstreamTime.canonical / day, fill: s.fillTime.canonical / day,
            release: s.releaseTime.canonical / day, successRate: c.successRate)
    }

    /// The lots a year the costs spread the facility over, stated and computed.
    public static func lotsPerYear(_ s: LotSummary, _ c: CostModel) -> FacilityLotsPerYear {
        let cycle = lotCycle(s, c)
        var stated: Double?
        if case .lotsPerYear(let n) = c.allocation { stated = n }
        return FacilityLotsPerYear(
            stated: stated, computed: cycle.lotsPerYear(c.occupancy), suiteDays: cycle.expectedSuiteDays(c.occupancy),
            cycleDays: cycle.cycleDays(c.occupancy), basis: c.occupancy.description, suite: c.suite)
    }

    /// The lines that do not come from a downstream step.
    @usableFromInline
    static func price<A: CostAccumulator>(_ p: ProcessDefinition, _ s: LotSummary, _ c: CostModel, into a: inout A) {
        // Materials
        let medium = (s.seedMedium + s.productionMedium).canonical
        a.add(.medium, .upstream, .materials, medium * c.medium)
        if s.plasmid.canonical > 0 { a.add(.plasmid, .upstream, .materials, s.plasmid.canonical * c.plasmid) }
        if s.reagent.canonical > 0 { a.add(.reagent, .upstream, .materials, s.reagent.canonical * c.reagent) }
        if s.virusFromBank.canonical > 0 { a.add(.virus, .upstream, .materials, s.virusFromBank.canonical * c.virus) }
        a.add(.seedVessels, .upstream, .materials, Double(s.seedVessels) * c.seedVessel)
        a.add(.productionUnits, .upstream, .materials, Double(s.productionUnits) * c.productionUnit)
        if p.fill != nil {
            a.add(.vials, .fill, .materials, Double(s.vialsFilled) * c.vial)
            a.add(.fillSingleUse, .fill, .materials, c.fillSingleUse)
        }
        // Purchase sizes and minimum orders: what the lot pays beyond what it uses.
        for purchase in c.purchases {
            let quantity: Double, unitPrice: Double
            var stage = CostStage.upstream
            switch purchase.material {
            case .medium: (quantity, unitPrice) = (medium, c.medium)
            case .buffer: (quantity, unitPrice, stage) = (s.bufferVolume.canonical, c.buffer, .downstream)
            case .plasmid: (quantity, unitPrice) = (s.plasmid.canonical, c.plasmid)
            case .reagent: (quantity, unitPrice) = (s.reagent.canonical, c.reagent)
            case .virus: (quantity, unitPrice) = (s.virusFromBank.canonical, c.virus)
            }
            // A material the lot does not use is not bought.
            guard quantity > 0 else { continue }
            let extra = purchase.perLot(quantity: quantity, price: unitPrice) - quantity * unitPrice
            if extra > 0 { a.add(.purchase(purchase.material), stage, .materials, extra) }
        }

        // Labour: staff × shifts a day × shift length × rate × days the stage runs.
        let upstreamTime = s.upstreamTime.canonical
        let downstreamTime = s.downstreamTime.canonical
        let fillTime = s.fillTime.canonical
        let shift = c.shiftLength.canonical
        let day = 86_400.0
        func labour(_ crew: Crew, _ time: Double) -> Double {
            crew.staff * crew.shiftsPerDay * shift * c.labourRate * time / day
        }
        a.add(.labour(.upstream), .upstream, .labour, labour(c.upstreamCrew, upstreamTime))
        a.add(.labour(.downstream), .downstream, .labour, labour(c.downstreamCrew, downstreamTime))
        if p.fill != nil { a.add(.labour(.fill), .fill, .labour, labour(c.fillCrew, fillTime)) }
        // Open manual handlings (all upstream: seed vessels and production units).
        if c.timePerHandling > 0 {
            a.add(.handlings, .upstream, .labour, s.handlings * c.timePerHandling * c.labourRate)
        }

        // The share of a year's costs the lot carries: one of the lots a year, or its suite time.
        let suite = upstreamTime + downstreamTime + fillTime
        // Lots a year by the suite's time, as the planner and the facility simulation count them.
        let lotsAYear: Double
        switch c.allocation {
        case .lotsPerYear(let n): lotsAYear = n
        case .suiteTime: lotsAYear = lotCycle(s, c).lotsPerYear(c.occupancy)
        }
        func lotShare(_ yearly: Double) -> Double { yearly / lotsAYear }
        /// Spreads a lot's amount over the stages that hold the suite, by their times.
        func byTime(_ item: (CostStage) -> CostItem, _ category: CostCategory, _ amount: Double) {
            guard suite > 0 else { return }
            a.add(item(.upstream), .upstream, category, amount * upstreamTime / suite)
            a.add(item(.downstream), .downstream, category, amount * downstreamTime / suite)
            a.add(item(.fill), .fill, category, amount * fillTime / suite)
        }
        if let staff = c.staff {
            if staff.production.fte > 0 {
                byTime({ .staff(.production, $0) }, .labour, lotShare(staff.production.yearly))
            }
            if staff.qa.fte > 0 { a.add(.staff(.qa, .qc), .qc, .labour, lotShare(staff.qa.yearly)) }
            if staff.qc.fte > 0 { a.add(.staff(.qc, .qc), .qc, .qc, lotShare(staff.qc.yearly)) }
            if staff.support.fte > 0 {
                byTime({ .staff(.support, $0) }, .facility, lotShare(staff.support.yearly))
            }
        }

        // QC
        for (i, cost) in c.releaseTests.enumerated() { a.add(.releaseTest(i), .qc, .qc, cost) }
        for (i, cost) in c.inProcessTests.enumerated() { a.add(.inProcessTest(i), .qc, .qc, cost) }
        if c.qcPerLot > 0 { a.add(.qcPerLot, .qc, .qc, c.qcPerLot) }
        if c.qcLabour > 0 { a.add(.qcLabour, .qc, .qc, c.qcLabour) }
        if c.qcSupplies > 0 { a.add(.qcSupplies, .qc, .qc, c.qcSupplies) }
        if c.qcOutsourced > 0 { a.add(.qcOutsourced, .qc, .qc, c.qcOutsourced) }

        // Facility, shared among stages by the time each holds the suite.
        byTime({ .facility($0) }, .facility, lotShare(c.yearlyFacilityCost))

        // Campaign costs, spread over the campaign's lots.
        if let campaign = c.campaign {
            for (i, item) in campaign.items.enumerated() {
                a.add(.campaign(i), .campaign, .campaign, item.amount / campaign.lots)
            }
        }
    }
}
