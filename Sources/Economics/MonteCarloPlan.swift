import Bioprocess
import Foundation

/// An economic model prepared once per Monte Carlo run (issue 15): each uncertain input given
/// the role it plays, so that a sample sets no field of a copy of the process. The process's
/// doubling time, productivity and step yields reach the simulator through its observer
/// (``LotObserver``); the seed train is sized once (``SeedTrainShape``) and only its time
/// follows the doubling time; cost inputs are written into a working copy of the costs.
///
/// A model with an uncertain process input of another kind cannot be planned: the run then
/// takes the general path, which sets every input into a copy of the model (``reason`` says
/// why). Both paths draw the same inputs and compute with the same code, so they give the
/// same figures (tested on every example).
public struct MonteCarloPlan: Sendable {
    /// What one uncertain input sets.
    @usableFromInline
    enum Role: Sendable {
        case doublingTime
        case productivity
        case stepYield(Int)
        /// A cost or price input, written into the working model by its setter.
        case model(EconomicSetter)
    }

    @usableFromInline let roles: [Role]
    /// Held by reference: a sample's observer points at it instead of copying it.
    @usableFromInline let shape: ShapeBox?
    @usableFromInline let steps: Int
    /// The compiled kernel, when the model is of its kind (``AffineKernel``).
    @usableFromInline let kernel: AffineKernel?
    /// Whether the samples are evaluated by the compiled kernel.
    public var compiled: Bool { kernel != nil }

    /// The plan of a model, or nil with the reason it takes the general path.
    public static func make(_ model: EconomicModel) -> (plan: MonteCarloPlan?, reason: String?) {
        var roles: [Role] = []
        for parameter in model.parameters {
            let c = parameter.input.path.components
            let keys = FieldPath.keys(c)
            switch keys.first {
            case "costs", "price":
                roles.append(.model(parameter.set))
            case "cell-line" where keys == ["cell-line", "doubling-time"]:
                roles.append(.doublingTime)
            case "production" where keys == ["production", "productivity"]:
                roles.append(.productivity)
            case "downstream" where c.count == 3 && keys[2] == "yield":
                guard case .index(let i) = c[1], model.process.downstream.indices.contains(i) else {
                    return (nil, "\(parameter.label) is not a step of the process")
                }
                roles.append(.stepYield(i))
            default:
                return (nil, "\(parameter.label) is a process input the plan does not set (only the doubling time, the productivity and step yields)")
            }
        }
        // The seed train sized once: only a doubling time changes it, and only its time.
        let shape = (try? LotSimulator.seedTrainShape(model.process)).map(ShapeBox.init)
        let kernel = shape.flatMap { AffineKernel.make(model, roles: roles, shape: $0.value) }
        return (MonteCarloPlan(roles: roles, shape: shape, steps: model.process.downstream.count, kernel: kernel), nil)
    }

    @usableFromInline
    init(roles: [Role], shape: ShapeBox?, steps: Int, kernel: AffineKernel?) {
        self.roles = roles
        self.shape = shape
        self.steps = steps
        self.kernel = kernel
    }

    /// Evaluates `count` samples whose inputs are in `inputs` (input `j` of sample `i` at
    /// `j * count + i`), writing output `o` of sample `first + i` at `out[o, first + i]`.
    /// Returns the samples whose lot cannot be made.
    @inlinable
    func evaluate(
        _ model: inout EconomicModel, inputs: UnsafeBufferPointer<Double>, count: Int, first: Int,
        into out: OutputColumns, scratch: UnsafeMutableBufferPointer<Double>
    ) -> Int {
        if let kernel {
            return kernel.evaluate(inputs: inputs, count: count, first: first, into: out, scratch: scratch)
        }
        let yields = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, steps))
        defer { yields.deallocate() }
        var infeasible = 0
        for i in 0..<count {
            var sample = SampleInputs(yields: UnsafeBufferPointer(yields), shape: shape)
            for k in 0..<steps { yields[k] = .nan }
            for (j, role) in roles.enumerated() {
                let v = inputs[j * count + i]
                switch role {
                case .doublingTime: sample.doublingTime = v
                case .productivity: sample.productivity = v
                case .stepYield(let k): yields[k] = v
                case .model(let set): set(&model, v)
                }
            }
            var observer = SamplePricer(pricer: StepPricer(costs: model.costs, accumulator: CostMatrix()), inputs: sample)
            let index = first + i
            do {
                let s = try LotSimulator.run(model.process, observer: &observer)
                var matrix = observer.pricer.accumulator
                CostCalculator.price(model.process, s, model.costs, into: &matrix)
                out.record(s, CostCalculator.lotCost(s, model.costs, matrix), at: index)
            } catch {
                infeasible += 1
                out.recordInfeasible(at: index)
            }
        }
        return infeasible
    }
}

/// One sample's process inputs; NaN (or nil) where the process's own value stands.
@usableFromInline
struct SampleInputs {
    @usableFromInline var doublingTime = Double.nan
    @usableFromInline var productivity = Double.nan
    @usableFromInline let yields: UnsafeBufferPointer<Double>
    @usableFromInline let shape: ShapeBox?

    @inlinable init(yields: UnsafeBufferPointer<Double>, shape: ShapeBox?) {
        self.yields = yields
        self.shape = shape
    }
}

/// Prices each step as it comes and gives the simulator the sample's inputs.
@usableFromInline
struct SamplePricer: LotObserver {
    @usableFromInline var pricer: StepPricer<CostMatrix>
    @usableFromInline let inputs: SampleInputs

    @inlinable init(pricer: StepPricer<CostMatrix>, inputs: SampleInputs) {
        self.pricer = pricer
        self.inputs = inputs
    }

    @inlinable static var wantsStageDetail: Bool { false }
    @inlinable mutating func step(_ outcome: StepOutcome) { pricer.step(outcome) }
    @inlinable func doublingTime(_ written: Quantity<Duration>) -> Quantity<Duration> {
        inputs.doublingTime.isNaN ? written : Quantity(canonical: inputs.doublingTime)
    }
    @inlinable func productivity(_ written: Double) -> Double {
        inputs.productivity.isNaN ? written : inputs.productivity
    }
    @inlinable func stepYield(_ index: Int, _ written: Double) -> Double {
        let v = inputs.yields[index]
        return v.isNaN ? written : v
    }
    @inlinable var seedTrainShape: SeedTrainShape? { inputs.shape?.value }
}

/// A seed train's shape, shared by reference among the samples of a run.
@usableFromInline
final class ShapeBox: Sendable {
    @usableFromInline let value: SeedTrainShape
    @usableFromInline init(_ value: SeedTrainShape) { self.value = value }
}

/// The compiled form of a model whose uncertain inputs act through a chain of factors: the
/// doubling time on the expansion and growth times, the productivity and step yields on the
/// vector, an installed column's cycles on the load, prices and rates on the cost lines.
/// Everything else is folded to constants once; a chunk of samples is then evaluated input
/// column by input column in one loop with no call into the general simulator.
///
/// It applies to a process without particles, time course, amplification train, in-process
/// samples, fill or label, whose downstream steps are holds and harvests (no added volume),
/// chromatography with an installed column binding vector and a known duration; and to a cost
/// model without staff roles or purchase sizes whose uncertain costs are the materials, the
/// labour rate, the QC cost per lot or the success rate. A test checks it against the general
/// path on every model of that kind it is given (the cost lines summed in another order: the
/// same to 1e-12).
@usableFromInline
struct AffineKernel: Sendable {
    /// Which input column plays which part (nil: the constant).
    @usableFromInline var doublingTime: Int?, productivity: Int?
    @usableFromInline var yieldColumns: [Int?]
    @usableFromInline var successRate: Int?, medium: Int?, plasmid: Int?, reagent: Int?, virus: Int?
    @usableFromInline var buffer: Int?, labourRate: Int?, qcPerLot: Int?

    /// One downstream step, folded.
    @usableFromInline
    enum Step: Sendable {
        /// vector × (yield × surviving)
        case hold(surviving: Double)
        case harvest
        /// An installed column: cycles from the load; volume and buffers from the cycles.
        /// (`resinCost`: the resin's price per litre ÷ its lifetime in cycles; nil without a price.)
        case column(capacity: Double, column: Double, elution: Double, buffers: Double, resinCost: Double?)
        /// Flow-through: one pass, its buffers constant.
        case flowThrough(column: Double, buffers: Double, resinCost: Double?)
    }
    @usableFromInline var steps: [Step]
    @usableFromInline var written: [Double]
    @usableFromInline var yieldFactor: Double

    // Constants of the process.
    @usableFromInline var td0: Double, seedDoublings: Double, passageTotal: Double, growthDoublings: Double
    @usableFromInline var induction: Double, downstreamTime: Double, releaseTime: Double
    @usableFromInline var cellsOrVolume: Double, productivity0: Double, vectorFactors: [Double]
    @usableFromInline var harvestVolume: Double, drugSubstance: Double, perDose: Double, dosesPerPatient: Int

    // Constants of the costs.
    @usableFromInline var costs: CostModel
    @usableFromInline var mediumQuantity: Double, plasmidQuantity: Double, reagentQuantity: Double, virusQuantity: Double
    @usableFromInline var fixedMaterials: Double, upstreamCrew: Double, downstreamCrew: Double, handlingsTime: Double
    @usableFromInline var fixedQC: Double, campaign: Double, stepSingleUse: Double
    /// Working columns the kernel needs per sample of a chunk.
    @usableFromInline static let scratchColumns = 8

    /// `x.rounded(.down)` for x ≥ 0 (or NaN, or infinite) without a call to the C library,
    /// which baseline x86-64 makes and which keeps a loop from being vectorised: below 2⁵²,
    /// adding and removing 2⁵² rounds to the nearest whole number exactly, then one step down
    /// if that went up; from 2⁵² every double is whole.
    @usableFromInline @inline(__always)
    static func floorOfNonNegative(_ x: Double) -> Double {
        let r = (x + 0x1p52) - 0x1p52
        return x < 0x1p52 ? (r > x ? r - 1 : r) : x
    }

    /// `x.rounded(.up)` the same way, for x ≥ 0.
    @usableFromInline @inline(__always)
    static func ceilingOfNonNegative(_ x: Double) -> Double {
        let r = (x + 0x1p52) - 0x1p52
        return x < 0x1p52 ? (r < x ? r + 1 : r) : x
    }

    /// The kernel of a model, or nil when the model is not of its kind.
    static func make(_ model: EconomicModel, roles: [MonteCarloPlan.Role], shape: SeedTrainShape) -> AffineKernel? {
        let p = model.process, c = model.costs
        let prod = p.production
        guard prod.particles == nil, prod.timeCourse == nil, p.fill == nil, p.product.labelConcentration == nil,
            p.qualityControl.inProcess.isEmpty, c.staff == nil, c.purchases.isEmpty
        else { return nil }
        if case .infection(let inf) = prod.induction, !inf.amplificationPassages.isEmpty { return nil }
        guard let nominal = try? CostCalculator.cost(p, c).0 else { return nil }
        var steps: [Step] = []
        for (i, step) in p.downstream.enumerated() {
            guard c.steps.indices.contains(i) else { return nil }
            let resin = c.steps[i].resin > 0 ? c.steps[i].resin / c.steps[i].resinLifetime : nil
            switch step.operation {
            case .hold(let h):
                guard h.addedVolume == nil else { return nil }
                steps.append(.hold(surviving: h.surviving))
            case .harvest(let h):
                guard h.addedVolume == nil else { return nil }
                steps.append(.harvest)
            case .chromatography(let ch):
                guard ch.duration != nil, !ch.bindsParticles, ch.fullEmptyResolution == nil, let column = ch.columnVolume
                else { return nil }
                switch ch.mode {
                case .bindElute:
                    let capacity = ((ch.bindingCapacity ?? .zero) * ch.loading.value).canonical
                    steps.append(
                        .column(
                            capacity: capacity, column: column.canonical, elution: ch.elutionVolumes,
                            buffers: ch.elutionVolumes + ch.otherVolumes, resinCost: resin))
                case .flowThrough:
                    let b = (column * ((ch.elutionVolumes + ch.otherVolumes) * Double(1))).canonical
                    steps.append(.flowThrough(column: column.canonical, buffers: b, resinCost: resin))
                }
            case .clarification, .sterileFiltration, .tangentialFlow:
                return nil
            }
        }
        var k = AffineKernel(
            doublingTime: nil, productivity: nil, yieldColumns: Array(repeating: nil, count: p.downstream.count),
            successRate: nil, medium: nil, plasmid: nil, reagent: nil, virus: nil, buffer: nil, labourRate: nil,
            qcPerLot: nil, steps: steps, written: p.downstream.map(\.yield.value),
            yieldFactor: prod.scaleEffect?.yieldFactor(at: nominal.cultureVolume) ?? 1,
            td0: p.cellLine.doublingTime.canonical, seedDoublings: shape.doublings,
            passageTotal: (p.seedTrain.passageTime * Double(shape.summary.passages)).canonical,
            growthDoublings: log2(nominal.cellsAtInduction / nominal.cellsAtSeeding), induction: nominal.inductionTime.canonical,
            downstreamTime: nominal.downstreamTime.canonical, releaseTime: nominal.releaseTime.canonical,
            cellsOrVolume: 0, productivity0: 0, vectorFactors: [], harvestVolume: nominal.harvestVolume.canonical,
            drugSubstance: 0, perDose: p.product.dose.vectorPerDose.canonical,
            dosesPerPatient: p.product.dose.dosesPerPatient, costs: c,
            mediumQuantity: (nominal.seedMedium + nominal.productionMedium).canonical,
            plasmidQuantity: nominal.plasmid.canonical, reagentQuantity: nominal.reagent.canonical,
            virusQuantity: nominal.virusFromBank.canonical,
            fixedMaterials: Double(nominal.seedVessels) * c.seedVessel + Double(nominal.productionUnits) * c.productionUnit,
            upstreamCrew: c.upstreamCrew.staff * c.upstreamCrew.shiftsPerDay * c.shiftLength.canonical,
            downstreamCrew: c.downstreamCrew.staff * c.downstreamCrew.shiftsPerDay * c.shiftLength.canonical,
            handlingsTime: c.timePerHandling > 0 ? nominal.handlings * c.timePerHandling : 0,
            fixedQC: c.releaseTests.reduce(0, +) + c.inProcessTests.reduce(0, +) + c.qcLabour + c.qcSupplies + c.qcOutsourced,
            campaign: c.campaign.map { camp in camp.items.reduce(0) { $0 + $1.amount / camp.lots } } ?? 0,
            stepSingleUse: c.steps.reduce(0) { $0 + $1.singleUse })
        switch prod.productivity {
        case .first(let perCell):
            k.cellsOrVolume = nominal.cellsAtPeak.canonical
            k.productivity0 = perCell.canonical
            if case .infection(let inf) = prod.induction { k.vectorFactors.append(inf.coInfectedShare) }
        case .second(let perVolume):
            k.cellsOrVolume = prod.harvestVolume.canonical
            k.productivity0 = perVolume.canonical
        }
        if let effect = prod.scaleEffect { k.vectorFactors.append(effect.productivityFactor(at: nominal.cultureVolume)) }
        for test in p.qualityControl.release where test.panel == .drugSubstance { k.drugSubstance += test.volume.canonical }
        // Each input's part; a cost input the kernel does not fold sends the model elsewhere.
        for (j, role) in roles.enumerated() {
            switch role {
            case .doublingTime: k.doublingTime = j
            case .productivity: k.productivity = j
            case .stepYield(let i): k.yieldColumns[i] = j
            case .model:
                let keys = FieldPath.keys(model.parameters[j].input.path.components.dropFirst())
                switch keys {
                case ["success-rate"]: k.successRate = j
                case ["materials", "medium"]: k.medium = j
                case ["materials", "plasmid"]: k.plasmid = j
                case ["materials", "reagent"]: k.reagent = j
                case ["materials", "virus"]: k.virus = j
                case ["materials", "buffer"]: k.buffer = j
                case ["labour", "rate"]: k.labourRate = j
                case ["qc", "per-lot"]: k.qcPerLot = j
                default: return nil
                }
            }
        }
        return k
    }

    /// Evaluates a chunk as ``MonteCarloPlan/evaluate(_:inputs:count:first:into:scratch:)`` does,
    /// operation by operation over the chunk's samples (loops the compiler vectorises), the
    /// costs and outputs too.
    @inlinable
    func evaluate(
        inputs: UnsafeBufferPointer<Double>, count m: Int, first: Int,
        into out: OutputColumns, scratch: UnsafeMutableBufferPointer<Double>
    ) -> Int {
        precondition(scratch.count >= Self.scratchColumns * m)
        let base = inputs.baseAddress!
        @inline(__always) func columnOf(_ j: Int?) -> UnsafePointer<Double>? { j.map { base + $0 * m } }
        // Working columns: expansion, growth, vector, volume, cycles, buffers' and columns' cost,
        // failed; the thread's scratch, so that no chunk allocates (and faults in) fresh pages.
        let work = scratch.baseAddress!
        let expansion = work, growth = work + m, vector = work + 2 * m, volume = work + 3 * m
        let cycles = work + 4 * m, stepCost = work + 5 * m, failed = work + 6 * m, count = work + 7 * m
        let day = 86_400.0
        let c = costs
        // The expansion and growth times.
        if let td = columnOf(doublingTime) {
            for i in 0..<m {
                expansion[i] = td[i] * seedDoublings + passageTotal
                growth[i] = td[i] * growthDoublings
            }
        } else {
            let e = td0 * seedDoublings + passageTotal, g = td0 * growthDoublings
            for i in 0..<m {
                expansion[i] = e
                growth[i] = g
            }
        }
        // The vector made and harvested.
        if let q = columnOf(productivity) {
            for i in 0..<m { vector[i] = cellsOrVolume * q[i] }
        } else {
            let v = cellsOrVolume * productivity0
            for i in 0..<m { vector[i] = v }
        }
        for f in vectorFactors { for i in 0..<m { vector[i] = vector[i] * f } }
        for i in 0..<m {
            volume[i] = harvestVolume
            cycles[i] = 0
            stepCost[i] = stepSingleUse
            failed[i] = 0
        }
        let bufferPrices = columnOf(buffer)
        // Each step over the chunk.
        for (k, step) in steps.enumerated() {
            let y = columnOf(yieldColumns[k]), written = self.written[k], factor = yieldFactor
            @inline(__always) func yieldAt(_ i: Int) -> Double { min(1, (y?[i] ?? written) * factor) }
            switch step {
            case .hold(let surviving):
                if let y {
                    for i in 0..<m { vector[i] = vector[i] * (min(1, y[i] * factor) * surviving) }
                } else {
                    let f = min(1, written * factor) * surviving
                    for i in 0..<m { vector[i] = vector[i] * f }
                }
            case .harvest:
                if let y {
                    for i in 0..<m { vector[i] = vector[i] * min(1, y[i] * factor) }
                } else {
                    let f = min(1, written * factor)
                    for i in 0..<m { vector[i] = vector[i] * f }
                }
            case .column(let capacity, let col, let elution, let perCycle, let resin):
                // Loops of one computation each, the optional columns chosen outside them, so
                // that each is vectorised: the cycles, the resin, the buffers, the yield.
                for i in 0..<m {
                    let need = Self.ceilingOfNonNegative(vector[i] / capacity / col * (1 - 1e-9))
                    let ok = need.isFinite && need < 1e6
                    failed[i] = ok ? failed[i] : 1
                    let n = ok ? max(1, need) : 1
                    count[i] = n
                    cycles[i] += n
                    volume[i] = col * (elution * n)
                }
                if let resin { for i in 0..<m { stepCost[i] += col * count[i] * resin } }
                if let prices = bufferPrices {
                    for i in 0..<m {
                        let price = prices[i]
                        stepCost[i] += price > 0 ? col * (perCycle * count[i]) * price : 0
                    }
                } else if c.buffer > 0 {
                    let price = c.buffer
                    for i in 0..<m { stepCost[i] += col * (perCycle * count[i]) * price }
                }
                if let y {
                    for i in 0..<m { vector[i] = vector[i] * min(1, y[i] * factor) }
                } else {
                    let f = min(1, written * factor)
                    for i in 0..<m { vector[i] = vector[i] * f }
                }
            case .flowThrough(let col, let b, let resin):
                for i in 0..<m {
                    cycles[i] += 1
                    if let resin { stepCost[i] += col * resin }
                    let price = bufferPrices?[i] ?? c.buffer
                    if price > 0 { stepCost[i] += b * price }
                    vector[i] = vector[i] * yieldAt(i)
                }
            }
        }
        // Doses, costs and outputs.
        let medium = columnOf(self.medium), plasmid = columnOf(self.plasmid), reagent = columnOf(self.reagent)
        let virus = columnOf(self.virus), rates = columnOf(labourRate), success = columnOf(successRate)
        let qc = columnOf(qcPerLot)
        let timeVaries = doublingTime != nil || successRate != nil
        let yearly = c.yearlyFacilityCost
        // Days by a multiplication (a cost's figure only, so the last bit may differ).
        let perDay = 1 / day, purificationDays = downstreamTime / day, releaseDays = releaseTime / day
        let occupancy = c.occupancy, stated: Double? = { if case .lotsPerYear(let n) = c.allocation { n } else { nil } }()
        /// The year's facility cost a lot carries: yearly ÷ lots a year, as yearly × cycle ÷ the
        /// days the suite works (`LotCycle.lotsPerYear`'s terms, one division instead of two).
        /// A sample's lot cycle, from its expansion and growth times and success rate.
        @inline(__always) func lotCycle(_ e: Double, _ g: Double, _ s: Double) -> LotCycle {
            LotCycle(
                expansion: e * perDay, production: (g + induction) * perDay, purification: purificationDays, fill: 0,
                release: releaseDays, successRate: s)
        }
        @inline(__always) func facilityShare(_ e: Double, _ g: Double, _ s: Double) -> Double {
            if let stated { return yearly / stated }
            let lc = lotCycle(e, g, s)
            let cycle = lc.cycleDays(occupancy)
            guard cycle > 0 else { return 0 }
            return yearly * cycle / max(0, 365 - lc.daysLostToClosures(occupancy))
        }
        let fixedShare = timeVaries ? 0 : facilityShare(expansion[0], growth[0], c.successRate)
        // Labour: staff × shifts × shift length per day of the stage, the downstream's days fixed.
        let upstreamPerDay = upstreamCrew / day, downstreamLabour = downstreamCrew * downstreamTime / day
        // Four passes over the chunk, the first three without a call or an early exit, so the
        // compiler vectorises them: whole doses and feasibility; the lot's cost; the outputs;
        // then, one by one, patients (an integer division) and the infeasible samples' outputs.
        let whole = volume, total = stepCost
        for i in 0..<m {
            // Every value loaded first, so that the test below is arithmetic, not branches.
            let v = vector[i], vol = volume[i], f = failed[i], g = growth[i]
            let samples = min(drugSubstance, vol)
            let kept = vol > 0 ? 1 - samples / vol : 0
            let w = Self.floorOfNonNegative(v * kept / perDose)
            whole[i] = w
            let ok = f == 0 && v.isFinite && g.isFinite && w.isFinite && w < 1e15
            failed[i] = ok ? 0 : 1
        }
        // The lot's cost, a line at a time (the same sums in the same order as sample by sample).
        @inline(__always) func add(_ column: UnsafePointer<Double>?, _ quantity: Double, _ price: Double) {
            if let column {
                for i in 0..<m { total[i] += quantity * column[i] }
            } else {
                let x = quantity * price
                for i in 0..<m { total[i] += x }
            }
        }
        for i in 0..<m { total[i] = fixedMaterials + stepCost[i] }
        add(medium, mediumQuantity, c.medium)
        add(plasmid, plasmidQuantity, c.plasmid)
        add(reagent, reagentQuantity, c.reagent)
        add(virus, virusQuantity, c.virus)
        if let rates {
            for i in 0..<m {
                let upstream = expansion[i] + growth[i] + induction
                total[i] += rates[i] * (upstreamPerDay * upstream + downstreamLabour)
            }
            for i in 0..<m { total[i] += handlingsTime * rates[i] }
        } else {
            let rate = c.labourRate
            for i in 0..<m {
                let upstream = expansion[i] + growth[i] + induction
                total[i] += rate * (upstreamPerDay * upstream + downstreamLabour)
            }
            for i in 0..<m { total[i] += handlingsTime * rate }
        }
        if let qc {
            for i in 0..<m { total[i] += fixedQC + qc[i] + campaign }
        } else {
            let x = fixedQC + c.qcPerLot + campaign
            for i in 0..<m { total[i] += x }
        }
        if timeVaries && stated == nil && occupancy.closuresPerYear == 0 {
            // Without closures the days a suite works are the same for every sample: the share
            // is the cycle times yearly ÷ those days (one division a chunk, not one a sample),
            // in loops without a branch.
            let perCycleDay = yearly / max(0, 365 - occupancy.closedDaysPerYear)
            @inline(__always) func share(_ e: Double, _ g: Double, _ s: Double) -> Double {
                let cycle = lotCycle(e, g, s).cycleDays(occupancy)
                return cycle > 0 ? perCycleDay * cycle : 0
            }
            if let success {
                for i in 0..<m {
                    let e = expansion[i], g = growth[i]
                    total[i] += e + g + induction + downstreamTime > 0 ? share(e, g, success[i]) : 0
                }
            } else {
                let s = c.successRate
                for i in 0..<m {
                    let e = expansion[i], g = growth[i]
                    total[i] += e + g + induction + downstreamTime > 0 ? share(e, g, s) : 0
                }
            }
        } else if timeVaries {
            for i in 0..<m {
                let e = expansion[i], g = growth[i]
                let share = facilityShare(e, g, success?[i] ?? c.successRate)
                total[i] += e + g + induction + downstreamTime > 0 ? share : 0
            }
        } else {
            for i in 0..<m { total[i] += expansion[i] + growth[i] + induction + downstreamTime > 0 ? fixedShare : 0 }
        }
        let costPerDose = out.columns[MonteCarloOutput.costPerDose.column] + first
        let lotCost = out.columns[MonteCarloOutput.lotCost.column] + first
        let dosesOut = out.columns[MonteCarloOutput.doses.column] + first
        let patientsOut = out.columns[MonteCarloOutput.patients.column] + first
        let expansionDays = out.columns[MonteCarloOutput.expansionDays.column] + first
        let lotDays = out.columns[MonteCarloOutput.lotDays.column] + first
        let cyclesOut = out.columns[MonteCarloOutput.chromatographyCycles.column] + first
        let bulk = out.columns[MonteCarloOutput.bulkVector.column] + first
        // The outputs, a column at a time.
        if let success {
            for i in 0..<m {
                let s = success[i], w = whole[i], t = total[i]
                // Two divisions side by side rather than one after the other.
                costPerDose[i] = w > 0 ? t / (s * w) : .infinity
                lotCost[i] = t / s
            }
        } else {
            let s = c.successRate
            for i in 0..<m {
                let w = whole[i], t = total[i]
                costPerDose[i] = w > 0 ? t / (s * w) : .infinity
                lotCost[i] = t / s
            }
        }
        for i in 0..<m { dosesOut[i] = whole[i] }
        for i in 0..<m { expansionDays[i] = expansion[i] / day }
        for i in 0..<m { lotDays[i] = (expansion[i] + growth[i] + induction + downstreamTime + releaseTime) / day }
        for i in 0..<m { cyclesOut[i] = cycles[i] }
        for i in 0..<m { bulk[i] = vector[i] }
        // No particles: their columns are not kept (``MonteCarlo/run``).
        var infeasible = 0
        for i in 0..<m {
            if failed[i] != 0 {
                infeasible &+= 1
                out.recordInfeasible(at: first &+ i)
            } else {
                patientsOut[i] = dosesPerPatient == 1 ? whole[i] : Double(Int(whole[i]) / dosesPerPatient)
            }
        }
        return infeasible
    }
}
