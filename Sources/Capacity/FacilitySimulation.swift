import Bioprocess
import Foundation

/// A discrete-event simulation of a facility over its horizon, replicated many times: stage
/// durations and batch failures drawn from distributions, suites and shared resources taken in
/// turn, QC release after fill.
///
/// Each suite starts a lot as soon as it is free (after its changeover), of the product whose
/// demand is least covered, unless the lot could not finish its time in the suite within the
/// horizon. A lot that fails is known at the end of purification; it still used its time.
/// Stage durations come from a product's `observed:` distributions in the demand file, or are
/// the lot simulator's nominal ones; failures from its `failure-rate` (none if not given).
public enum FacilitySimulation {
    public struct Options: Sendable {
        public var replications: Int
        public var seed: UInt64
        public var threads: Int

        public init(replications: Int, seed: UInt64, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
            self.replications = replications
            self.seed = seed
            self.threads = max(1, threads)
        }
    }

    /// One replication's outcome.
    public struct Replication: Sendable, Hashable {
        /// Patients (or doses) released, by product and year.
        public var supplied: [[Double]]
        /// Lots that passed and left their suite within the horizon.
        public var lotsPassed: Int
        public var lotsStarted: Int
        public var lotsFailed: Int
    }

    public struct Result: Sendable {
        public var replications: [Replication]
        public var years: Int
        public var products: [String]
        public var demandByYear: [[Double]]
        public var suites: Int
        public var seconds: Double

        /// Served per product and year in each replication: the supply up to what is demanded.
        public func served(_ product: Int) -> [[Double]] {
            replications.map { Demand.served(demand: demandByYear[product], supplied: $0.supplied[product]).served }
        }

        /// The share of replications that meet every year's cumulative demand of every product.
        public var probabilityOfMeetingDemand: Double {
            var met = 0
            for r in replications {
                var ok = true
                for p in products.indices {
                    var cd = 0.0, cs = 0.0
                    for y in 0..<years {
                        cd += demandByYear[p][y]
                        cs += r.supplied[p][y]
                        if cs + 1e-9 < cd { ok = false }
                    }
                }
                if ok { met += 1 }
            }
            return Double(met) / Double(max(1, replications.count))
        }

        /// Lots passed per suite and year, one value per replication.
        public var lotsPerSuiteYear: [Double] {
            replications.map { Double($0.lotsPassed) / (Double(suites) * Double(years)) }
        }
    }

    /// Stage durations and failure of one product, per lot.
    struct Profile {
        var expansion: BoundedDistribution
        var production: BoundedDistribution
        var purification: BoundedDistribution
        var fill: BoundedDistribution
        var release: BoundedDistribution
        var failure: Double
        var amount: Double
    }

    /// Throws a ``SimulationError`` when a product's process cannot make a lot, and a
    /// ``WorkLimitError`` when the demand needs more lots than ``WorkLimits/plannedLots`` (a
    /// lot that makes nothing or always fails needs infinitely many), or the replications
    /// times those lots pass ``WorkLimits/simulatedLots``.
    public static func run(_ facility: Facility, _ demand: Demand, _ options: Options) throws -> Result
    {
        var profiles: [Profile] = []
        for p in demand.products {
            let t = try LotTemplate(product: p.name, process: p.process)
            func fixed(_ x: Double) -> BoundedDistribution {
                BoundedDistribution(.fixed(x), lower: 0, upper: .infinity)
            }
            let o = p.observed
            profiles.append(
                Profile(
                    expansion: o?.expansion ?? fixed(t.expansion), production: o?.production ?? fixed(t.production),
                    purification: o?.purification ?? fixed(t.purification), fill: o?.fill ?? fixed(t.fill),
                    release: o?.release ?? fixed(t.release), failure: o?.failureRate ?? 0,
                    amount: Double(t.amount(p.unit))))
        }
        let years = demand.years
        let demandByYear = demand.products.map(demand.byYear)
        // The lots the demand needs, on average, before any is simulated.
        var needed = 0.0
        for (k, profile) in profiles.enumerated() {
            let total = demandByYear[k].reduce(0, +)
            guard total > 0 else { continue }
            let perLot = profile.amount * (1 - profile.failure)
            needed += perLot > 0 ? (total / perLot).rounded(.up) : .infinity
        }
        guard needed <= Double(WorkLimits.plannedLots) else {
            throw WorkLimitError(
                needed.isFinite
                    ? "the demand needs about \(Int(needed)) lots, more than the \(WorkLimits.plannedLots) a simulation may start"
                    : "a product's lots make nothing or always fail, so its demand would need lots without end",
                expected: "a demand of at most \(WorkLimits.plannedLots) lots, lots that make something, a failure rate below 100 %")
        }
        guard needed * Double(options.replications) <= Double(WorkLimits.simulatedLots) else {
            let most = Swift.max(1, Int(Double(WorkLimits.simulatedLots) / Swift.max(needed, 1)))
            throw WorkLimitError(
                "\(options.replications) replications × about \(Int(needed)) lots each is more than the \(WorkLimits.simulatedLots) lots a simulation may run",
                expected: "at most \(most) replications for this demand")
        }
        let eligible = facility.suites.map { suite in
            demand.products.indices.filter { suite.canRun(demand.products[$0].process) }
        }
        let model = Model(
            facility: facility, horizon: demand.horizon, years: years, profiles: profiles, eligible: eligible,
            totalDemand: demandByYear.map { $0.reduce(0, +) })
        var replications = [Replication?](repeating: nil, count: options.replications)
        let start = Date()
        replications.withUnsafeMutableBufferPointer { out in
            let sink = UnsafeSendableBuffer(out)
            let threads = min(options.threads, max(1, options.replications))
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                var engine = Engine(model)
                for r in stride(from: thread, to: options.replications, by: threads) {
                    var rng = RandomSource.stream(seed: options.seed, index: UInt64(r))
                    sink.value[r] = engine.replicate(&rng)
                }
            }
        }
        return Result(
            replications: replications.map { $0! }, years: years, products: demand.products.map(\.name),
            demandByYear: demandByYear, suites: facility.suites.filter { $0.kind == .vectorProduction }.count,
            seconds: Date().timeIntervalSince(start))
    }

    struct Model: @unchecked Sendable {
        let facility: Facility
        let horizon: Double
        let years: Int
        let profiles: [Profile]
        let eligible: [[Int]]
        let totalDemand: [Double]
    }

    struct UnsafeSendableBuffer<T>: @unchecked Sendable {
        let value: UnsafeMutableBufferPointer<T>
        init(_ value: UnsafeMutableBufferPointer<T>) { self.value = value }
    }
}

/// The event engine of one replication, reused from one replication to the next.
struct Engine {
    enum Kind: UInt8 { case suiteFree, expansionDone, productionDone, purificationDone, fillDone, releaseDone }

    struct Event: Comparable {
        var time: Double
        var sequence: Int
        var kind: Kind
        var lot: Int32
        var suite: Int32
        static func < (a: Event, b: Event) -> Bool { a.time < b.time || (a.time == b.time && a.sequence < b.sequence) }
    }

    struct Lot {
        var product: Int
        var suite: Int
        var expansion: Double, production: Double, purification: Double, fill: Double, release: Double
        var fails: Bool
    }

    let model: FacilitySimulation.Model
    var heap: [Event] = []
    var sequence = 0
    var lots: [Lot] = []
    /// Each pooled stage's capacity (seed lab, trains, fill lines, QC lab) and its units free now.
    let capacities: [Int]
    var free: [Int]
    var waiting: [[(lot: Int, kind: Engine.Kind)]]
    let seedPool: Int?, trainPool: Int?, fillPool: Int?, qcPool: Int?
    var planned: [Double] = []
    var supplied: [[Double]] = []

    /// Each suite's closures, found once (a facility may list 50,000 with their yearly copies).
    let suiteClosures: [[Closure]]

    init(_ model: FacilitySimulation.Model) {
        self.model = model
        let f = model.facility
        suiteClosures = f.suites.map { suite in f.closures.filter { $0.applies(to: suite.name) } }
        func capacity(_ k: ResourceKind) -> Int { f.resources.filter { $0.kind == k }.reduce(0) { $0 + $1.capacity } }
        var pools: [Int] = []
        func pool(_ k: ResourceKind) -> Int? {
            let c = capacity(k)
            guard c > 0 else { return nil }
            pools.append(c)
            return pools.count - 1
        }
        seedPool = pool(.seedLab)
        trainPool = pool(.downstream)
        fillPool = pool(.fillLine)
        qcPool = pool(.qcLab)
        capacities = pools
        free = pools
        waiting = pools.map { _ in [] }
    }

    mutating func push(_ time: Double, _ kind: Kind, lot: Int, suite: Int) {
        sequence += 1
        heap.append(Event(time: time, sequence: sequence, kind: kind, lot: Int32(lot), suite: Int32(suite)))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i] < heap[parent] else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Event {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && heap[l] < heap[m] { m = l }
                if r < heap.count && heap[r] < heap[m] { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }

    mutating func replicate(_ rng: inout RandomSource) -> FacilitySimulation.Replication {
        let f = model.facility
        heap.removeAll(keepingCapacity: true)
        lots.removeAll(keepingCapacity: true)
        sequence = 0
        resetPools()
        planned = Array(repeating: 0, count: model.profiles.count)
        supplied = Array(repeating: Array(repeating: 0, count: model.years), count: model.profiles.count)
        var started = 0, failed = 0, passed = 0
        var lastProduct = [Int?](repeating: nil, count: f.suites.count)
        for s in f.suites.indices where f.suites[s].kind == .vectorProduction { push(0, .suiteFree, lot: -1, suite: s) }

        while !heap.isEmpty {
            let e = pop()
            let s = Int(e.suite), l = Int(e.lot)
            switch e.kind {
            case .suiteFree:
                // The product whose demand is least covered by lots started so far.
                var best: Int?
                var gap = 0.0
                for p in model.eligible[s] {
                    let need = model.totalDemand[p] - planned[p]
                    if need > gap { gap = need; best = p }
                }
                guard let p = best else { continue }
                // A change of product needs the longer changeover.
                let extra = f.changeover.productChange - f.changeover.sameProduct
                if l != -2, let last = lastProduct[s], last != p, extra > 0 {
                    push(e.time + extra, .suiteFree, lot: -2, suite: s)
                    continue
                }
                let pr = model.profiles[p]
                var lot = Engine.Lot(
                    product: p, suite: s, expansion: pr.expansion.sample(&rng), production: pr.production.sample(&rng),
                    purification: pr.purification.sample(&rng), fill: pr.fill.sample(&rng),
                    release: pr.release.sample(&rng),
                    fails: false)
                lot.fails = pr.failure > 0 && rng.unit() < pr.failure
                // The suite holds the lot from now (expansion in the suite unless a seed lab does it).
                let inSuite =
                    (seedPool == nil ? lot.expansion : 0) + lot.production + (trainPool == nil ? lot.purification : 0)
                    + (fillPool == nil ? lot.fill : 0)
                guard e.time + inSuite <= model.horizon, started < WorkLimits.plannedLots else { continue }
                // Not across a closure of the suite: start when it ends.
                if let c = suiteClosures[s].first(where: { $0.from < e.time + inSuite && e.time < $0.to }) {
                    push(c.to, .suiteFree, lot: -2, suite: s)
                    continue
                }
                started += 1
                planned[p] += pr.amount * (1 - pr.failure)
                lots.append(lot)
                let id = lots.count - 1
                lastProduct[s] = p
                if let seed = seedPool {
                    request(seed, id, .expansionDone, now: e.time, duration: lot.expansion)
                } else {
                    push(e.time + lot.expansion, .expansionDone, lot: id, suite: s)
                }
            case .expansionDone:
                if let seed = seedPool { releaseUnit(seed, now: e.time) }
                push(e.time + lots[l].production, .productionDone, lot: l, suite: lots[l].suite)
            case .productionDone:
                if let train = trainPool {
                    freeSuite(lots[l].suite, now: e.time)
                    request(train, l, .purificationDone, now: e.time, duration: lots[l].purification)
                } else {
                    push(e.time + lots[l].purification, .purificationDone, lot: l, suite: lots[l].suite)
                }
            case .purificationDone:
                if let train = trainPool { releaseUnit(train, now: e.time) }
                if lots[l].fails {
                    failed += 1
                    if trainPool == nil || model.facility.holdSuiteUntilRelease {
                        freeSuite(lots[l].suite, now: e.time, atRelease: true)
                    }
                    continue
                }
                if let line = fillPool {
                    if trainPool == nil { freeSuite(lots[l].suite, now: e.time) }
                    request(line, l, .fillDone, now: e.time, duration: lots[l].fill)
                } else {
                    push(e.time + lots[l].fill, .fillDone, lot: l, suite: lots[l].suite)
                }
            case .fillDone:
                if let line = fillPool {
                    releaseUnit(line, now: e.time)
                } else if trainPool == nil {
                    freeSuite(lots[l].suite, now: e.time)
                }
                if e.time <= model.horizon { passed += 1 }
                if let qc = qcPool {
                    request(qc, l, .releaseDone, now: e.time, duration: lots[l].release)
                } else {
                    push(e.time + lots[l].release, .releaseDone, lot: l, suite: lots[l].suite)
                }
            case .releaseDone:
                if let qc = qcPool { releaseUnit(qc, now: e.time) }
                if model.facility.holdSuiteUntilRelease {
                    freeSuite(lots[l].suite, now: e.time, atRelease: true)
                }
                if e.time <= model.horizon {
                    let p = lots[l].product
                    supplied[p][Int(clamping: e.time / 365, to: 0...(model.years - 1))] += model.profiles[p].amount
                }
            }
        }
        return FacilitySimulation.Replication(
            supplied: supplied, lotsPassed: passed, lotsStarted: started, lotsFailed: failed)
    }

    mutating func resetPools() {
        free = capacities
        for pool in waiting.indices { waiting[pool].removeAll(keepingCapacity: true) }
    }

    /// The suite is free after its changeover (unless it is held until the lot's release).
    mutating func freeSuite(_ s: Int, now: Double, atRelease: Bool = false) {
        if model.facility.holdSuiteUntilRelease && !atRelease { return }
        push(now + model.facility.changeover.sameProduct, .suiteFree, lot: -1, suite: s)
    }

    /// Takes a unit of a pool now, or queues for it.
    mutating func request(_ pool: Int, _ lot: Int, _ done: Kind, now: Double, duration: Double) {
        if free[pool] > 0 {
            free[pool] -= 1
            push(now + duration, done, lot: lot, suite: lots[lot].suite)
        } else {
            waiting[pool].append((lot, done))
        }
    }

    mutating func releaseUnit(_ pool: Int, now: Double) {
        if waiting[pool].isEmpty {
            free[pool] += 1
            return
        }
        let (lot, done) = waiting[pool].removeFirst()
        let d: Double
        switch done {
        case .expansionDone: d = lots[lot].expansion
        case .purificationDone: d = lots[lot].purification
        case .fillDone: d = lots[lot].fill
        case .releaseDone: d = lots[lot].release
        default: d = 0
        }
        push(now + d, done, lot: lot, suite: lots[lot].suite)
    }
}
