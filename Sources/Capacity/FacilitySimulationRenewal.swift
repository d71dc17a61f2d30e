import Bioprocess

/// A facility whose suites share nothing — no seed laboratory, downstream train, fill line or
/// QC laboratory, no closure, one product — runs each suite as a renewal process: a lot, its
/// changeover, the next lot, until the horizon. Nothing one suite does changes another's
/// timing, so the suites are simulated one after the other in a plain loop, without an event
/// queue, their stage durations drawn a column at a time.
///
/// The only thing suites share in the event engine is the demand: a suite stops taking lots
/// once the lots started cover it, and with a shelf life a lot waits until it can serve. A
/// replication in which either could have happened (judged conservatively from the lots
/// started) is simulated again by the event engine from its own random stream, so every
/// replication is what the event engine's rules give. The two paths draw their numbers in a
/// different order: the same statistics, not the same sample (tested both ways).
struct RenewalPath {
    /// Lots drawn at a time, each stage a column.
    static let chunk = 64

    let model: FacilitySimulation.Model
    let suites: [Int]
    let profile: FacilitySimulation.Profile
    let occupancy: [SuiteOccupancy]
    /// What a lot started adds to the demand covered (its amount times its success rate): the
    /// event engine stops a suite when the lots started cover the demand.
    let plannedPerLot: Double
    /// With a shelf life: the lots started at most before a lot would have to wait to serve.
    let startsBeforeShelfLifeWait: Int
    var columns: [Double]
    var next: Int

    /// nil when the model's suites share something.
    init?(_ model: FacilitySimulation.Model, pools: Bool, suiteClosures: [[Closure]], occupancy: [SuiteOccupancy]) {
        let f = model.facility
        guard !pools, model.profiles.count == 1 else { return nil }
        let suites = f.suites.indices.filter { f.suites[$0].kind == .vectorProduction && model.eligible[$0] == [0] }
        guard suites.allSatisfy({ suiteClosures[$0].isEmpty }) else { return nil }
        self.model = model
        self.suites = suites
        profile = model.profiles[0]
        self.occupancy = occupancy
        plannedPerLot = profile.amount * (1 - profile.failure)
        if let shelf = profile.cycle.shelfLife {
            // The event engine makes a suite wait while the lots started cover the periods that
            // end before day shelf life + time to release; that many lots, at most, start
            // without a wait.
            let amounts = model.demand.products[0].amounts
            var covered = 0.0
            var k = 0
            while k < amounts.count && model.demand.end(ofPeriod: k) - shelf - profile.cycle.toRelease <= 1e-9 {
                covered += amounts[k]
                k += 1
            }
            startsBeforeShelfLifeWait =
                k == amounts.count || plannedPerLot <= 0
                ? Int.max : Int(clamping: (covered / plannedPerLot * (1 - 1e-12)).rounded(.down), to: 0...Int.max)
        } else {
            startsBeforeShelfLifeWait = Int.max
        }
        columns = Array(repeating: 0, count: 6 * Self.chunk)
        next = Self.chunk
    }

    /// One replication, or nil when the demand could have stopped or delayed a suite (the
    /// event engine then simulates it).
    mutating func replicate(_ rng: inout RandomSource) -> FacilitySimulation.Replication? {
        next = Self.chunk
        var supplied = Array(repeating: 0.0, count: model.years)
        var releases: [(released: Double, amount: Double)] = []
        var started = 0, passed = 0, failed = 0
        let amount = profile.amount
        let failure = profile.failure
        let horizon = model.horizon, years = model.years, totalDemand = model.totalDemand[0]
        let sameProduct = model.facility.changeover.sameProduct
        for s in suites {
            let o = occupancy[s]
            let leaves = Engine.leaves(o)
            var t = 0.0
            while true {
                if next == Self.chunk { draw(&rng) }
                let i = next
                next += 1
                let (expansion, production, purification, fill, release) = columns.withUnsafeBufferPointer { c in
                    (c[i], c[Self.chunk + i], c[2 * Self.chunk + i], c[3 * Self.chunk + i], c[4 * Self.chunk + i])
                }
                let fails = failure > 0 && columns[5 * Self.chunk + i] < failure
                let span = Engine.stay(
                    o, expansion: expansion, production: production, purification: purification, fill: fill)
                guard t + span <= horizon else { break }
                started += 1
                // Beyond these, the event engine's demand rules might have acted: let it decide.
                guard started < WorkLimits.plannedLots, Double(started) * plannedPerLot < totalDemand - 1e-6,
                    started <= startsBeforeShelfLifeWait
                else { return nil }
                // The same sums, in the same order, as the event engine's event times.
                let producedAt = t + expansion + production
                let purifiedAt = producedAt + purification
                let leaveAt: Double
                if fails {
                    failed += 1
                    leaveAt = leaves == .production ? producedAt : purifiedAt
                } else {
                    let filledAt = purifiedAt + fill
                    let releasedAt = filledAt + release
                    if filledAt <= horizon { passed += 1 }
                    if releasedAt <= horizon {
                        // Within the horizon, so finite and at least 0.
                        supplied[min(years - 1, Int(releasedAt / 365))] += amount
                        releases.append((releasedAt, amount))
                    }
                    switch leaves {
                    case .production: leaveAt = producedAt
                    case .purification: leaveAt = purifiedAt
                    case .fill: leaveAt = filledAt
                    case .release: leaveAt = releasedAt
                    }
                }
                t = leaveAt + sameProduct
            }
        }
        let r = model.demand.served(model.demand.products[0], lots: releases, shelfLife: profile.cycle.shelfLife)
        return FacilitySimulation.Replication(
            supplied: [supplied], served: [r.served], expired: [r.expired], lotsPassed: passed, lotsStarted: started,
            lotsFailed: failed)
    }

    /// The next chunk of lots: each stage's durations, then the failure draws, a column each.
    mutating func draw(_ rng: inout RandomSource) {
        let n = Self.chunk
        let p = profile
        let failure = p.failure
        columns.withUnsafeMutableBufferPointer { c in
            let base = c.baseAddress!
            p.expansion.fill(base, count: n, &rng)
            p.production.fill(base + n, count: n, &rng)
            p.purification.fill(base + 2 * n, count: n, &rng)
            p.fill.fill(base + 3 * n, count: n, &rng)
            p.release.fill(base + 4 * n, count: n, &rng)
            if failure > 0 { for i in 0..<n { base[5 * n + i] = rng.unit() } }
        }
        next = 0
    }
}
