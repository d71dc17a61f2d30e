import Bioprocess

/// The event engine of one replication of ``FacilitySimulation``, reused from one replication
/// to the next.
struct Engine {
    enum Kind: UInt8 {
        /// A suite is clean and ready for its next lot.
        case suiteFree
        /// A suite with a seed laboratory starts its next lot's expansion there.
        case seedStart
        /// A lot whose cells are ready may take its suite now (after a product change or a closure).
        case productionStart
        case expansionDone, productionDone, purificationDone, fillDone, releaseDone
    }

    struct Event: Comparable {
        var time: Double
        var sequence: Int
        var kind: Kind
        var lot: Int32
        var suite: Int32
        /// For a seed start: the suite's seed chain it belongs to (a newer chain cancels it).
        var tag: Int32 = 0
        static func < (a: Event, b: Event) -> Bool { a.time < b.time || (a.time == b.time && a.sequence < b.sequence) }
    }

    /// The stage at whose end a lot leaves its suite.
    enum Leaves: UInt8 { case production, purification, fill, release }

    struct Lot {
        var product: Int
        var suite: Int
        var expansion: Double, production: Double, purification: Double, fill: Double, release: Double
        var fails: Bool
        var leaves: Leaves
        var inSuite: Bool = false
        /// Its cells are expanded and may take the suite.
        var expanded: Bool = false
    }

    let model: FacilitySimulation.Model
    let occupancy: [SuiteOccupancy]
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
    var releases: [[(released: Double, amount: Double)]] = []
    /// Each product's cumulative demand at the end of each period, for the shelf-life rule.
    let cumulativeDemand: [[Double]]

    /// Each suite's closures, found once (a facility may list 50,000 with their yearly copies).
    let suiteClosures: [[Closure]]
    /// Closures that shut every seed laboratory: no expansion runs across them.
    let seedClosures: [Closure]

    // Suite state, for a facility with a seed laboratory.
    /// The day the suite is clean for a lot of its last product (nil: busy).
    var readyAt: [Double?] = []
    /// The lots expanding or expanded for the suite, in the order they will take it.
    var queue: [[Int]] = []
    /// The day the suite is expected clean after the last lot queued, for timing the next
    /// expansion, and that lot's product.
    var expectedFree: [Double] = []
    var lastQueued: [Int?] = []
    /// The current seed chain of each suite: a seed start of an older chain is ignored.
    var chain: [Int] = []
    var seedPending: [Bool] = []
    var lastProduct: [Int?] = []
    var started = 0, failed = 0, passed = 0
    /// The suites as independent renewal processes, when they share nothing.
    var renewal: RenewalPath?

    init(_ model: FacilitySimulation.Model, renewal allowed: Bool = true) {
        self.model = model
        let f = model.facility
        occupancy = f.suites.indices.map { f.occupancy(ofSuite: $0, horizon: model.horizon) }
        suiteClosures = f.suites.map { suite in f.closures.filter { $0.applies(to: suite.name) } }
        let seedLabs = Set(f.resources.filter { $0.kind == .seedLab }.map(\.name))
        seedClosures =
            seedLabs.isEmpty ? [] : f.closures.filter { c in c.targets.map { seedLabs.isSubset(of: $0) } ?? true }
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
        cumulativeDemand = model.demand.products.map { p in
            var total = 0.0
            return p.amounts.map {
                total += $0; return total
            }
        }
        renewal =
            allowed
            ? RenewalPath(model, pools: !pools.isEmpty, suiteClosures: suiteClosures, occupancy: occupancy) : nil
    }

    /// Replication `index` of a run seeded with `seed`: by the renewal path when the suites
    /// share nothing and the demand did not act, else by the event engine, each from the
    /// replication's own stream.
    mutating func replicate(seed: UInt64, index: UInt64) -> (FacilitySimulation.Replication, byRenewal: Bool) {
        if renewal != nil {
            var rng = RandomSource.stream(seed: seed, index: index)
            if let r = renewal!.replicate(&rng) { return (r, true) }
        }
        var rng = RandomSource.stream(seed: seed, index: index)
        return (replicate(&rng), false)
    }

    mutating func push(_ time: Double, _ kind: Kind, lot: Int, suite: Int, tag: Int = 0) {
        sequence += 1
        heap.append(
            Event(time: time, sequence: sequence, kind: kind, lot: Int32(lot), suite: Int32(suite), tag: Int32(tag)))
        // Sift up in place: no uniqueness or bounds check a swap.
        heap.withUnsafeMutableBufferPointer { h in
            var i = h.count - 1
            let e = h[i]
            while i > 0 {
                let parent = (i - 1) / 2
                guard e < h[parent] else { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = e
        }
    }

    mutating func pop() -> Event {
        let top = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return top }
        // Sift the last event down from the root in place.
        heap.withUnsafeMutableBufferPointer { h in
            let n = h.count
            var i = 0
            while true {
                let l = 2 * i + 1
                guard l < n else { break }
                let r = l + 1
                let m = r < n && h[r] < h[l] ? r : l
                guard h[m] < last else { break }
                h[i] = h[m]
                i = m
            }
            h[i] = last
        }
        return top
    }

    mutating func replicate(_ rng: inout RandomSource) -> FacilitySimulation.Replication {
        let f = model.facility
        let suites = f.suites.count
        heap.removeAll(keepingCapacity: true)
        lots.removeAll(keepingCapacity: true)
        sequence = 0
        resetPools()
        planned = Array(repeating: 0, count: model.profiles.count)
        supplied = Array(repeating: Array(repeating: 0, count: model.years), count: model.profiles.count)
        releases = Array(repeating: [], count: model.profiles.count)
        started = 0
        failed = 0
        passed = 0
        lastProduct = Array(repeating: nil, count: suites)
        readyAt = Array(repeating: nil, count: suites)
        queue = Array(repeating: [], count: suites)
        expectedFree = Array(repeating: 0, count: suites)
        lastQueued = Array(repeating: nil, count: suites)
        chain = Array(repeating: 0, count: suites)
        seedPending = Array(repeating: false, count: suites)
        for s in f.suites.indices where f.suites[s].kind == .vectorProduction { push(0, .suiteFree, lot: -1, suite: s) }

        while !heap.isEmpty {
            let e = pop()
            let s = Int(e.suite), l = Int(e.lot)
            switch e.kind {
            case .suiteFree:
                if seedPool != nil {
                    readyAt[s] = e.time
                    if let next = queue[s].first {
                        if lots[next].expanded { startProduction(s, now: e.time) }
                    } else {
                        // Nothing expanding for the suite (the first lot, or lots failed and
                        // left it early): a new seed chain starts now.
                        chain[s] += 1
                        expectedFree[s] = e.time
                        seedStart(s, now: e.time, rng: &rng, delayed: false)
                    }
                } else {
                    startInSuite(s, now: e.time, rng: &rng, changed: l == -2)
                }
            case .seedStart:
                guard Int(e.tag) == chain[s] else { continue }
                seedPending[s] = false
                seedStart(s, now: e.time, rng: &rng, delayed: l == -2)
            case .productionStart:
                if queue[s].first == l { startProduction(s, now: e.time) }
            case .expansionDone:
                if let seed = seedPool {
                    releaseUnit(seed, now: e.time)
                    lots[l].expanded = true
                    if queue[s].first == l && readyAt[s] != nil { startProduction(s, now: e.time) }
                } else {
                    push(e.time + lots[l].production, .productionDone, lot: l, suite: s)
                }
            case .productionDone:
                if lots[l].leaves == .production { freeSuite(l, now: e.time) }
                if let train = trainPool {
                    request(train, l, .purificationDone, now: e.time, duration: lots[l].purification)
                } else {
                    push(e.time + lots[l].purification, .purificationDone, lot: l, suite: s)
                }
            case .purificationDone:
                if let train = trainPool { releaseUnit(train, now: e.time) }
                if lots[l].fails {
                    failed += 1
                    freeSuite(l, now: e.time)
                    continue
                }
                if lots[l].leaves == .purification { freeSuite(l, now: e.time) }
                if let line = fillPool {
                    request(line, l, .fillDone, now: e.time, duration: lots[l].fill)
                } else {
                    push(e.time + lots[l].fill, .fillDone, lot: l, suite: s)
                }
            case .fillDone:
                if let line = fillPool { releaseUnit(line, now: e.time) }
                if lots[l].leaves == .fill { freeSuite(l, now: e.time) }
                if e.time <= model.horizon { passed += 1 }
                if let qc = qcPool {
                    request(qc, l, .releaseDone, now: e.time, duration: lots[l].release)
                } else {
                    push(e.time + lots[l].release, .releaseDone, lot: l, suite: s)
                }
            case .releaseDone:
                if let qc = qcPool { releaseUnit(qc, now: e.time) }
                if lots[l].leaves == .release { freeSuite(l, now: e.time) }
                if e.time <= model.horizon {
                    let p = lots[l].product
                    let amount = model.profiles[p].amount
                    supplied[p][Int(clamping: e.time / 365, to: 0...(model.years - 1))] += amount
                    releases[p].append((e.time, amount))
                }
            }
        }
        var served: [[Double]] = [], expired: [Double] = []
        for (p, product) in model.demand.products.enumerated() {
            let r = model.demand.served(product, lots: releases[p], shelfLife: model.profiles[p].cycle.shelfLife)
            served.append(r.served)
            expired.append(r.expired)
        }
        return FacilitySimulation.Replication(
            supplied: supplied, served: served, expired: expired, lotsPassed: passed, lotsStarted: started,
            lotsFailed: failed)
    }

    /// The product a suite should make next, the one whose demand is least covered by the lots
    /// started so far; or, when every product it could make would be released more than its
    /// shelf life before the demand it serves, the first day one can start.
    func choose(_ s: Int, now: Double) -> (product: Int?, retry: Double?) {
        var best: Int?
        var gap = 0.0
        var retry: Double?
        for p in model.eligible[s] {
            let need = model.totalDemand[p] - planned[p]
            guard need > 1e-9 else { continue }
            if let shelf = model.profiles[p].cycle.shelfLife {
                // The end of the first period whose cumulative demand the lots so far do not cover.
                let cumulative = cumulativeDemand[p]
                var k = 0
                while k < cumulative.count && cumulative[k] <= planned[p] + 1e-9 { k += 1 }
                let earliest = model.demand.end(ofPeriod: k) - shelf - model.profiles[p].cycle.toRelease
                if earliest > now + 1e-9 {
                    retry = min(retry ?? earliest, earliest)
                    continue
                }
            }
            if need > gap {
                gap = need
                best = p
            }
        }
        return (best, best == nil ? retry : nil)
    }

    /// A new lot of product p for suite s, its durations drawn.
    mutating func newLot(_ p: Int, suite s: Int, rng: inout RandomSource) -> Lot {
        let pr = model.profiles[p]
        var lot = Lot(
            product: p, suite: s, expansion: pr.expansion.sample(&rng), production: pr.production.sample(&rng),
            purification: pr.purification.sample(&rng), fill: pr.fill.sample(&rng), release: pr.release.sample(&rng),
            fails: false, leaves: .production)
        lot.fails = pr.failure > 0 && rng.unit() < pr.failure
        lot.leaves = Self.leaves(occupancy[s])
        return lot
    }

    /// The stage at whose end a lot leaves a suite so occupied.
    static func leaves(_ o: SuiteOccupancy) -> Leaves {
        o.holdUntilRelease ? .release : o.fillInSuite ? .fill : o.purificationInSuite ? .purification : .production
    }

    /// Days from a lot taking a suite so occupied to the end of its last working stage there.
    @inline(__always)
    static func stay(
        _ o: SuiteOccupancy, expansion: Double, production: Double, purification: Double, fill: Double
    ) -> Double {
        var d = production
        if o.expansionInSuite { d += expansion }
        if o.purificationInSuite || o.fillInSuite || o.holdUntilRelease { d += purification }
        if o.fillInSuite || o.holdUntilRelease { d += fill }
        return d
    }

    /// ``stay(_:expansion:production:purification:fill:)`` of a lot in its suite.
    func workingInSuite(_ lot: Lot) -> Double {
        Self.stay(
            occupancy[lot.suite], expansion: lot.expansion, production: lot.production,
            purification: lot.purification, fill: lot.fill)
    }

    /// The same for a lot at its nominal durations.
    func nominalWorkingInSuite(_ c: LotCycle, _ o: SuiteOccupancy) -> Double {
        Self.stay(o, expansion: c.expansion, production: c.production, purification: c.purification, fill: c.fill)
    }

    /// The first closure of suite s overlapping [a, b).
    func suiteClosure(_ s: Int, _ a: Double, _ b: Double) -> Closure? {
        suiteClosures[s].first { $0.from < b && a < $0.to }
    }

    /// Without a seed laboratory: the suite takes a lot now, from its expansion.
    mutating func startInSuite(_ s: Int, now: Double, rng: inout RandomSource, changed: Bool) {
        let f = model.facility
        let (chosen, retry) = choose(s, now: now)
        guard let p = chosen else {
            if let retry { push(retry, .suiteFree, lot: -1, suite: s) }
            return
        }
        // A change of product needs the longer changeover.
        let extra = f.changeover.productChange - f.changeover.sameProduct
        if !changed, let last = lastProduct[s], last != p, extra > 0 {
            push(now + extra, .suiteFree, lot: -2, suite: s)
            return
        }
        var lot = newLot(p, suite: s, rng: &rng)
        let span = workingInSuite(lot)
        guard now + span <= model.horizon, started < WorkLimits.plannedLots else { return }
        // Not across a closure of the suite: start when it ends.
        if let c = suiteClosure(s, now, now + span) {
            push(c.to, .suiteFree, lot: -2, suite: s)
            return
        }
        started += 1
        planned[p] += model.profiles[p].amount * (1 - model.profiles[p].failure)
        lot.inSuite = true
        lots.append(lot)
        lastProduct[s] = p
        push(now + lot.expansion, .expansionDone, lot: lots.count - 1, suite: s)
    }

    /// Queues the suite's next seed start of its current chain.
    mutating func pushSeed(_ s: Int, at time: Double, delayed: Bool) {
        seedPending[s] = true
        push(time, .seedStart, lot: delayed ? -2 : -1, suite: s, tag: chain[s])
    }

    /// With a seed laboratory: the suite's next lot starts its expansion there, timed so that its
    /// cells are ready when the suite is expected clean after the lots before it — as the
    /// planner overlaps a lot's expansion with the lots before it; then the next seed start is
    /// timed the same way.
    mutating func seedStart(_ s: Int, now: Double, rng: inout RandomSource, delayed: Bool) {
        let f = model.facility
        let (chosen, retry) = choose(s, now: now)
        guard let p = chosen else {
            if let retry { pushSeed(s, at: retry, delayed: false) }
            return
        }
        let pr = model.profiles[p]
        let change = (lastQueued[s] ?? lastProduct[s]).map { $0 != p } ?? false
        let extra = change ? max(0, f.changeover.productChange - f.changeover.sameProduct) : 0
        // The day the lot should take the suite: when it is expected clean, and not so that its
        // nominal stay in the suite or its expansion runs into a closure (the planner's no-wait
        // chain: cells do not wait through a shutdown).
        let o = occupancy[s]
        let nominal = nominalWorkingInSuite(pr.cycle, o)
        var suiteFrom = expectedFree[s] + extra
        for _ in 0..<10_000 {
            if let c = suiteClosure(s, suiteFrom, suiteFrom + nominal) {
                suiteFrom = c.to
                continue
            }
            let a = max(now, suiteFrom - pr.cycle.expansion)
            if let c = seedClosures.first(where: { $0.from < a + pr.cycle.expansion && a < $0.to }) {
                suiteFrom = max(suiteFrom, c.to + pr.cycle.expansion)
                continue
            }
            break
        }
        if !delayed, suiteFrom - pr.cycle.expansion > now + 1e-9 {
            pushSeed(s, at: suiteFrom - pr.cycle.expansion, delayed: true)
            return
        }
        // Not across a closure of the seed laboratories: start when it ends.
        if let c = seedClosures.first(where: { $0.from < now + pr.cycle.expansion && now < $0.to }) {
            pushSeed(s, at: c.to, delayed: true)
            return
        }
        let lot = newLot(p, suite: s, rng: &rng)
        guard now + lot.expansion + workingInSuite(lot) <= model.horizon,
            started + queue[s].count < WorkLimits.plannedLots
        else { return }
        planned[p] += pr.amount * (1 - pr.failure)
        lots.append(lot)
        let id = lots.count - 1
        queue[s].append(id)
        lastQueued[s] = p
        request(seedPool!, id, .expansionDone, now: now, duration: lot.expansion)
        // When the suite is expected clean after this lot, for the next one's expansion.
        expectedFree[s] = max(now + pr.cycle.expansion, suiteFrom) + pr.cycle.expectedSuiteDays(o) + o.changeover
        pushSeed(s, at: max(now, expectedFree[s] - pr.cycle.expansion), delayed: false)
    }

    /// With a seed laboratory: the suite's first queued lot, its cells ready, takes the suite as
    /// soon as it is clean (after the longer changeover if the product changes) and open for
    /// its whole stay.
    mutating func startProduction(_ s: Int, now: Double) {
        let f = model.facility
        guard let ready = readyAt[s], let l = queue[s].first, lots[l].expanded else { return }
        let p = lots[l].product
        let change = lastProduct[s].map { $0 != p } ?? false
        var begin = max(now, ready + (change ? max(0, f.changeover.productChange - f.changeover.sameProduct) : 0))
        let span = workingInSuite(lots[l])
        while let c = suiteClosure(s, begin, begin + span) { begin = c.to }
        if begin > now + 1e-9 {
            push(begin, .productionStart, lot: l, suite: s)
            return
        }
        queue[s].removeFirst()
        guard begin + span <= model.horizon, started < WorkLimits.plannedLots else {
            // Too late to finish: the cells are discarded; the next lot, later, cannot either.
            planned[p] -= model.profiles[p].amount * (1 - model.profiles[p].failure)
            startProduction(s, now: now)
            return
        }
        readyAt[s] = nil
        started += 1
        lots[l].inSuite = true
        lastProduct[s] = p
        push(now + lots[l].production, .productionDone, lot: l, suite: s)
    }

    mutating func resetPools() {
        free = capacities
        for pool in waiting.indices { waiting[pool].removeAll(keepingCapacity: true) }
    }

    /// Lot l leaves its suite now; the suite is clean after its changeover.
    mutating func freeSuite(_ l: Int, now: Double) {
        guard lots[l].inSuite else { return }
        lots[l].inSuite = false
        push(now + model.facility.changeover.sameProduct, .suiteFree, lot: -1, suite: lots[l].suite)
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
