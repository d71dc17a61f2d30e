import Bioprocess

/// One line of a lot's cost.
public enum CostItem: Sendable, Hashable {
    case medium, plasmid, reagent, virus, seedVessels, productionUnits
    case resin(step: Int), filters(step: Int), membranes(step: Int), buffer(step: Int), stepSingleUse(step: Int)
    case vials, fillSingleUse
    case labour(CostStage)
    case releaseTest(Int), inProcessTest(Int), qcPerLot
    case facility(CostStage)
}

/// Receives each line of a lot's cost. The calculator is generic over it: the Monte Carlo
/// sums into a ``CostMatrix`` without allocating; a report keeps every line.
public protocol CostAccumulator {
    mutating func add(_ item: CostItem, _ stage: CostStage, _ category: CostCategory, _ amount: Double)
}

/// Cost by stage and category: sixteen numbers, no allocation.
public struct CostMatrix: CostAccumulator, Sendable, Hashable {
    @usableFromInline var cells = SIMD16<Double>()

    public init() {}

    @inlinable
    public mutating func add(_ item: CostItem, _ stage: CostStage, _ category: CostCategory, _ amount: Double) {
        cells[stage.rawValue &* 4 &+ category.rawValue] += amount
    }

    public subscript(stage: CostStage, category: CostCategory) -> Double {
        cells[stage.rawValue * 4 + category.rawValue]
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
        a.add(.medium, .upstream, .materials, (s.seedMedium + s.productionMedium).canonical * c.medium)
        if s.plasmid.canonical > 0 { a.add(.plasmid, .upstream, .materials, s.plasmid.canonical * c.plasmid) }
        if s.reagent.canonical > 0 { a.add(.reagent, .upstream, .materials, s.reagent.canonical * c.reagent) }
        if s.virus.canonical > 0 { a.add(.virus, .upstream, .materials, s.virus.canonical * c.virus) }
        a.add(.seedVessels, .upstream, .materials, Double(s.seedVessels) * c.seedVessel)
        a.add(.productionUnits, .upstream, .materials, Double(s.productionUnits) * c.productionUnit)
        if p.fill != nil {
            a.add(.vials, .fill, .materials, Double(s.vialsFilled) * c.vial)
            a.add(.fillSingleUse, .fill, .materials, c.fillSingleUse)
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

        // QC
        for (i, cost) in c.releaseTests.enumerated() { a.add(.releaseTest(i), .qc, .qc, cost) }
        for (i, cost) in c.inProcessTests.enumerated() { a.add(.inProcessTest(i), .qc, .qc, cost) }
        a.add(.qcPerLot, .qc, .qc, c.qcPerLot)

        // Facility, shared among stages by the time each holds the suite.
        let suite = upstreamTime + downstreamTime + fillTime
        let perLot: Double
        switch c.allocation {
        case .lotsPerYear(let n): perLot = c.yearlyFacilityCost / n
        case .suiteTime: perLot = c.yearlyFacilityCost / lotCycle(s, c).lotsPerYear(c.occupancy)
        }
        if suite > 0 {
            a.add(.facility(.upstream), .upstream, .facility, perLot * upstreamTime / suite)
            a.add(.facility(.downstream), .downstream, .facility, perLot * downstreamTime / suite)
            a.add(.facility(.fill), .fill, .facility, perLot * fillTime / suite)
        }
    }
}
