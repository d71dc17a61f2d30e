import Bioprocess

/// What one lot of a product takes: its ``LotCycle`` (stage durations in days, success rate,
/// shelf life) from the lot simulator — stage durations replaced by the means of the demand
/// file's `observed:` distributions where it gives them —, its yield in patients and doses, and
/// the key materials it consumes.
public struct LotTemplate: Sendable, Hashable {
    public var product: String
    public var cycle: LotCycle
    public var patients: Int
    public var doses: Int
    public var exVivo: Bool
    public var materials: [Material: Double]
    /// The lot's capsids (AAV) or particles (LV) as the lot report balances them; nil when the
    /// process states none.
    public var particles: ParticleBalance?

    public var expansion: Double { cycle.expansion }
    /// Growth to induction and induction to harvest.
    public var production: Double { cycle.production }
    public var purification: Double { cycle.purification }
    public var fill: Double { cycle.fill }
    public var release: Double { cycle.release }

    /// A product's lot as the demand file describes it: its process, success rate and observed
    /// stage durations.
    public init(_ demand: ProductDemand) throws(SimulationError) {
        try self.init(
            product: demand.name, process: demand.process, successRate: demand.successRate, observed: demand.observed)
    }

    public init(
        product: String, process p: ProcessDefinition, successRate: Double = 1, observed: ObservedDurations? = nil
    ) throws(SimulationError) {
        let r = try LotReport.simulate(p)
        let s = r.summary
        self.product = product
        var cycle = LotCycle(s, successRate: successRate, shelfLife: p.product.shelfLife)
        if let o = observed {
            if let d = o.expansion { cycle.expansion = d.mean }
            if let d = o.production { cycle.production = d.mean }
            if let d = o.purification { cycle.purification = d.mean }
            if let d = o.fill { cycle.fill = d.mean }
            if let d = o.release { cycle.release = d.mean }
        }
        self.cycle = cycle
        patients = s.patients
        doses = s.doses
        exVivo = p.product.dose.isExVivo
        particles = ParticleBalance.of(r)
        var resin = 0.0
        for o in r.steps { resin += o.columnVolume.value(in: "L") * Double(o.cycles) }
        materials = [
            .plasmid: s.plasmid.value(in: "g"), .reagent: s.reagent.value(in: "g"),
            .medium: (s.seedMedium + s.productionMedium).value(in: "L"), .buffer: s.bufferVolume.value(in: "L"),
            .resin: resin, .vials: Double(s.vialsFilled),
        ]
    }

    /// The shortest time from the start of a lot to its release.
    public var minimumToRelease: Double { cycle.toRelease }

    /// Patients or doses a lot serves when it passes.
    public func amount(_ unit: DemandUnit) -> Int { unit == .patients ? patients : doses }
}

/// A material the material plan follows.
public enum Material: String, Sendable, Hashable, CaseIterable, Codable {
    case plasmid, reagent, medium, buffer, resin, vials

    public var unit: String {
        switch self {
        case .plasmid, .reagent: "g"
        case .medium, .buffer: "L"
        case .resin: "L·cycles"
        case .vials: "vials"
        }
    }
}

/// The stages of a lot in a plan.
public enum PlanStage: String, Sendable, Hashable, CaseIterable, Codable {
    case expansion, production, purification, fill, release, changeover
}

/// What a booking holds: a suite, or one unit of a shared resource (or a crew of operators).
public enum Holder: Sendable, Hashable {
    case suite(Int)
    case resource(Int)
}

/// One stage of one lot on one suite or resource, [start, end) in days from the start.
public struct Booking: Sendable, Hashable {
    public var holder: Holder
    public var stage: PlanStage
    public var start: Double
    public var end: Double
    /// Units of capacity held (1, or the crew on a staff resource).
    public var units: Int
}

public struct PlannedLot: Sendable, Hashable {
    public var number: Int
    public var product: String
    public var suite: Int
    public var bookings: [Booking]
    /// The day QA can release the lot.
    public var released: Double
    public var patients: Int
    public var doses: Int
}

/// A production plan: every lot placed, and what it delivers against demand.
public struct Plan: Sendable {
    public var facility: Facility
    public var demand: Demand
    public var templates: [String: LotTemplate]
    public var lots: [PlannedLot]
    /// Why some demand cannot be met (no suite can run a product, the horizon is reached).
    public var problems: [String]

    /// Days the plan covers.
    public var horizon: Double { demand.horizon }
}

/// Places lots in suites as early as possible, in the order demand needs them, respecting
/// suites' platforms and scales, shared resources, changeovers, closures and QC release.
///
/// Each lot's chain runs without waits from expansion to fill (harvests cannot wait); QC
/// release starts when a QC laboratory slot is free. A suite runs its lots one after another
/// (no backfilling), with a changeover between them.
public enum Planner {
    /// Throws a ``SimulationError`` when a product's process cannot make a lot, and a
    /// ``WorkLimitError`` when the demand needs more than ``WorkLimits/plannedLots`` lots.
    public static func plan(_ facility: Facility, _ demand: Demand) throws -> Plan {
        var templates: [String: LotTemplate] = [:]
        for p in demand.products { templates[p.name] = try LotTemplate(p) }
        var problems: [String] = []
        if facility.suites.filter({ $0.kind == .vectorProduction }).isEmpty {
            problems.append("the facility has no vector-production suite: no lot can be made")
        }

        // The suites able to run each product.
        let eligible = demand.products.map { p in
            facility.suites.indices.filter { facility.suites[$0].canRun(p.process) }
        }
        // Lots each product needs — more than the amount over a lot's yield when some lots
        // fail —, with the day each is due (the end of the period that needs it).
        var needs: [Need] = []
        for (k, product) in demand.products.enumerated() {
            let t = templates[product.name]!
            let perLot = Double(t.amount(product.unit))
            if eligible[k].isEmpty {
                problems.append(Self.noSuiteReason(product, facility))
                continue
            }
            // Every lot the demand needs, counted before any is listed, so that no demand can
            // make the planner hold more than its limit.
            guard perLot > 0 else {
                problems.append("\(product.name): a lot makes no \(product.unit.rawValue), so no demand can be met")
                continue
            }
            guard let total = t.cycle.lotsNeeded(for: product.amounts.reduce(0, +), perLot: perLot) else {
                problems.append("\(product.name): every lot fails (success rate 0 %), so no demand can be met")
                continue
            }
            let before = Double(needs.count)
            guard total + before <= Double(WorkLimits.plannedLots) else {
                throw WorkLimitError(
                    "the demand needs \(Int(checked: total + before).map(String.init) ?? "\(total + before)") lots, more than the \(WorkLimits.plannedLots) a plan may place",
                    expected: "a demand of at most \(WorkLimits.plannedLots) lots over the horizon (fewer patients or doses, or a larger lot)")
            }
            var cumulative = 0.0
            var lots = 0
            for (period, amount) in product.amounts.enumerated() {
                cumulative += amount
                let needed = Int(
                    clamping: t.cycle.lotsNeeded(for: cumulative, perLot: perLot) ?? 0, to: 0...WorkLimits.plannedLots)
                while lots < needed {
                    needs.append(Need(product: k, due: demand.end(ofPeriod: period)))
                    lots += 1
                }
            }
        }
        // Read once, not per lot and suite (the horizon is computed from every product's demand).
        let names = demand.products.map(\.name)
        let byProduct = names.map { templates[$0]! }
        var (lots, unplaced) = place(needs, facility, demand, byProduct, eligible)
        var previous: (lots: [PlannedLot], unplaced: [String: Int])?
        // A lot that keeps only for its shelf life may expire with part of its yield unused,
        // leaving later demand short: such demand gets more lots, and the plan is made again
        // (a few times at most; each pass adds lots only where lots expired).
        var shortBefore = Double.infinity
        for _ in 0..<4 {
            var more: [Need] = []
            var short = 0.0
            for (k, product) in demand.products.enumerated() {
                let t = byProduct[k]
                guard t.cycle.shelfLife != nil else { continue }
                let expected = Double(t.amount(product.unit)) * t.cycle.successRate
                guard expected > 0 else { continue }
                let released = lots.filter { $0.product == product.name && $0.released <= demand.horizon }.map {
                    (released: $0.released, amount: expected)
                }
                let a = demand.allocate(product, lots: released, shelfLife: t.cycle.shelfLife)
                guard a.expired > 1e-9 else { continue }
                // Periods short at their end although enough was released by then: lots expired.
                var demanded = 0.0
                for (period, missing) in a.shortAtEnd.enumerated() {
                    demanded += product.amounts[period]
                    let by = demand.end(ofPeriod: period) + 1e-6
                    let releasedBy = Double(released.filter { $0.released <= by }.count) * expected
                    guard missing > 1e-9, releasedBy + 1e-9 >= demanded else { continue }
                    short += missing
                    for _ in 0..<Int((missing / expected * (1 - 1e-12)).rounded(.up)) {
                        more.append(Need(product: k, due: demand.end(ofPeriod: period)))
                    }
                }
            }
            // Stop when nothing expired short, or the last lots added did not help (capacity
            // is short, not shelf life): keep the plan before them.
            guard short < shortBefore - 1e-9 else {
                (lots, unplaced) = previous ?? (lots, unplaced)
                break
            }
            guard !more.isEmpty, needs.count + more.count <= WorkLimits.plannedLots else { break }
            shortBefore = short
            previous = (lots, unplaced)
            needs += more
            (lots, unplaced) = place(needs, facility, demand, byProduct, eligible)
        }
        for product in demand.products {
            if let n = unplaced[product.name] {
                problems.append(
                    "\(product.name): \(n) lot\(n == 1 ? "" : "s") needed by the demand cannot be released within the horizon"
                )
            }
        }
        return Plan(facility: facility, demand: demand, templates: templates, lots: lots, problems: problems)
    }

    /// One lot needed by the demand: its product and the day it is due.
    struct Need { var product: Int; var due: Double }

    /// Places the lots needed, in order of due date, each in the suite that releases it first.
    static func place(
        _ needs: [Need], _ facility: Facility, _ demand: Demand, _ byProduct: [LotTemplate], _ eligible: [[Int]]
    ) -> (lots: [PlannedLot], unplaced: [String: Int]) {
        let needs = needs.sorted { ($0.due, $0.product) < ($1.due, $1.product) }
        var book = BookingBook(facility: facility)
        var lots: [PlannedLot] = []
        var unplaced: [String: Int] = [:]
        let horizon = demand.horizon
        let names = demand.products.map(\.name)
        for need in needs {
            let name = names[need.product]
            // Once a lot of a product cannot be released in time, later ones cannot either.
            if unplaced[name] != nil {
                unplaced[name, default: 0] += 1
                continue
            }
            let t = byProduct[need.product]
            var best: PlannedLot?
            // A lot that keeps for a shelf life is not released before its demand's period ends
            // less the shelf life: it would expire before serving it.
            let notBefore = t.cycle.shelfLife.map { max(0, need.due - $0 - t.minimumToRelease) } ?? 0
            // Suites in the order they become available; a suite that cannot start before the
            // best lot found so far is released cannot do better, nor can the ones after it.
            let order = eligible[need.product].map { (suite: $0, from: max(notBefore, book.availableFrom($0, t))) }
                .sorted { $0.from < $1.from }
            for (s, from) in order {
                if let b = best, from + t.minimumToRelease >= b.released { break }
                guard
                    let candidate = book.earliest(
                        t, suite: s, number: lots.count + 1, horizon: horizon, notBefore: notBefore)
                else {
                    continue
                }
                if best == nil || candidate.released < best!.released { best = candidate }
            }
            guard let lot = best, lot.released <= horizon else {
                unplaced[name, default: 0] += 1
                continue
            }
            book.commit(lot)
            lots.append(lot)
        }
        return (lots, unplaced)
    }

    static func noSuiteReason(_ p: ProductDemand, _ f: Facility) -> String {
        let kind = p.process.production.platform.kind
        let scale = Suite.scale(of: p.process)
        let onPlatform = f.suites.filter { $0.kind == .vectorProduction && $0.maxScale[kind] != nil }
        if onPlatform.isEmpty {
            return "\(p.name): no suite runs the \(kind.rawValue) platform, so its demand cannot be met"
        }
        let largest = onPlatform.compactMap { $0.maxScale[kind] }.max() ?? 0
        func show(_ x: Double) -> String {
            switch kind {
            case .suspension: "\(plain(x * 1000)) L"
            case .fixedBed: "\(plain(x)) m²"
            case .flasks: "\(Int(clamping: x, to: 0...Int.max)) flasks"
            }
        }
        return
            "\(p.name): needs \(show(scale)) on \(kind.rawValue) but the largest suite runs \(show(largest)), so its demand cannot be met"
    }
}

func plain(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(x)
}

/// The facility's bookings so far, by suite and shared resource, with capacity checks.
struct BookingBook {
    let facility: Facility
    var suiteFree: [Double]
    var suiteLast: [String?]
    /// Bookings on each shared resource, by start.
    var usage: [UsageProfile]
    let seedLabs: [Int], trains: [Int], fillLines: [Int], qcLabs: [Int], staff: [Int]

    init(facility: Facility) {
        self.facility = facility
        suiteFree = Array(repeating: 0, count: facility.suites.count)
        suiteLast = Array(repeating: nil, count: facility.suites.count)
        usage = Array(repeating: UsageProfile(), count: facility.resources.count)
        seedLabs = facility.resources(.seedLab)
        trains = facility.resources(.downstream)
        fillLines = facility.resources(.fillLine)
        qcLabs = facility.resources(.qcLab)
        staff = facility.resources(.staff)
    }

    /// The first day at or after `from` when `name` is open for [day, day + length); the
    /// end of a closure that overlaps, or nil if it fits now.
    func closureBlocking(_ name: String, _ a: Double, _ b: Double) -> Double? {
        var until: Double?
        for c in facility.closures where c.applies(to: name) && c.from < b && a < c.to {
            until = max(until ?? c.to, c.to)
        }
        return until
    }

    /// A pool stage: one resource of the pool that can hold `units` over [a, b); or the day to
    /// try again (when the first blocking booking or closure ends).
    func pick(_ pool: [Int], _ a: Double, _ b: Double, units: Int = 1) -> (resource: Int?, retry: Double) {
        var retry = Double.infinity
        for r in pool {
            if let until = closureBlocking(facility.resources[r].name, a, b) {
                retry = min(retry, until)
                continue
            }
            let free = usage[r].clearFrom(a, length: b - a, units: units, capacity: facility.resources[r].capacity)
            if free == a { return (r, a) }
            retry = min(retry, free)
        }
        return (nil, retry)
    }

    /// The earliest day a lot of template t could start in suite s (its first stage).
    func availableFrom(_ s: Int, _ t: LotTemplate) -> Double {
        let changeover = facility.changeover.days(previous: suiteLast[s], next: t.product)
        return max(0, suiteFree[s] + changeover - (seedLabs.isEmpty ? 0 : t.expansion))
    }

    /// The earliest lot of template t in suite s.
    func earliest(_ t: LotTemplate, suite s: Int, number: Int, horizon: Double, notBefore: Double = 0) -> PlannedLot? {
        let suite = facility.suites[s]
        let changeover = facility.changeover.days(previous: suiteLast[s], next: t.product)
        let hasSeedLab = !seedLabs.isEmpty, hasTrain = !trains.isEmpty, hasFill = !fillLines.isEmpty
        // With a seed laboratory, expansion overlaps the previous lot: the suite is needed only
        // from the end of expansion.
        var start = max(notBefore, availableFrom(s, t))
        while start <= horizon {
            // The chain's fixed offsets from the start.
            var bookings: [Booking] = []
            // Expansion, production, purification, fill, crew, QC, hold and changeover at most:
            // one allocation an attempt, not one per growth.
            bookings.reserveCapacity(8)
            var t0 = start
            var retry = -Double.infinity
            func blocked(_ next: Double) { retry = max(retry, next) }
            if t.expansion > 0 {
                if hasSeedLab {
                    let (r, again) = pick(seedLabs, t0, t0 + t.expansion)
                    if let r {
                        bookings.append(
                            Booking(holder: .resource(r), stage: .expansion, start: t0, end: t0 + t.expansion, units: 1)
                        )
                    } else {
                        blocked(again)
                    }
                } else {
                    bookings.append(
                        Booking(holder: .suite(s), stage: .expansion, start: t0, end: t0 + t.expansion, units: 1))
                }
                t0 += t.expansion
            }
            let suiteStart = hasSeedLab ? t0 : start
            bookings.append(Booking(holder: .suite(s), stage: .production, start: t0, end: t0 + t.production, units: 1))
            t0 += t.production
            var suiteEnd = t0
            if t.purification > 0 {
                if hasTrain {
                    let (r, again) = pick(trains, t0, t0 + t.purification)
                    if let r {
                        bookings.append(
                            Booking(
                                holder: .resource(r), stage: .purification, start: t0, end: t0 + t.purification,
                                units: 1))
                    } else {
                        blocked(again - (t0 - start))
                    }
                } else {
                    bookings.append(
                        Booking(holder: .suite(s), stage: .purification, start: t0, end: t0 + t.purification, units: 1))
                    suiteEnd = t0 + t.purification
                }
                t0 += t.purification
            }
            if t.fill > 0 {
                if hasFill {
                    let (r, again) = pick(fillLines, t0, t0 + t.fill)
                    if let r {
                        bookings.append(
                            Booking(holder: .resource(r), stage: .fill, start: t0, end: t0 + t.fill, units: 1))
                    } else {
                        blocked(again - (t0 - start))
                    }
                } else {
                    bookings.append(Booking(holder: .suite(s), stage: .fill, start: t0, end: t0 + t.fill, units: 1))
                    suiteEnd = t0 + t.fill
                }
                t0 += t.fill
            }
            // Operators from production to the end of fill.
            if !staff.isEmpty && facility.crewPerLot > 0 {
                let (r, again) = pick(staff, suiteStart, t0, units: facility.crewPerLot)
                if let r {
                    bookings.append(
                        Booking(
                            holder: .resource(r), stage: .production, start: suiteStart, end: t0,
                            units: facility.crewPerLot))
                } else {
                    blocked(again - (suiteStart - start))
                }
            }
            // The suite must be open while it holds the lot.
            for b in bookings where b.holder == .suite(s) {
                if let until = closureBlocking(suite.name, b.start, b.end) { blocked(until - (b.start - start)) }
            }
            if retry > -Double.infinity {
                guard retry.isFinite else { return nil }
                start = max(start + 1e-9, retry)
                continue
            }
            // QC release: the first slot in a QC laboratory at or after the end of fill.
            var releaseStart = t0
            var qcBooking: Booking?
            if t.release > 0 && !qcLabs.isEmpty {
                var tries = 0
                while true {
                    let (r, again) = pick(qcLabs, releaseStart, releaseStart + t.release)
                    if let r {
                        qcBooking = Booking(
                            holder: .resource(r), stage: .release, start: releaseStart, end: releaseStart + t.release,
                            units: 1)
                        break
                    }
                    guard again.isFinite, tries < 100_000, releaseStart <= horizon else { return nil }
                    releaseStart = max(releaseStart + 1e-9, again)
                    tries += 1
                }
            }
            let released = releaseStart + t.release
            if let q = qcBooking { bookings.append(q) }
            if facility.holdSuiteUntilRelease && released > suiteEnd {
                // The suite waits, empty and closed to other lots, until the lot is released.
                bookings.append(Booking(holder: .suite(s), stage: .release, start: suiteEnd, end: released, units: 1))
            }
            if changeover > 0 {
                let from = suiteFree[s]
                bookings.insert(
                    Booking(holder: .suite(s), stage: .changeover, start: from, end: from + changeover, units: 1), at: 0
                )
            }
            return PlannedLot(
                number: number, product: t.product, suite: s, bookings: bookings, released: released,
                patients: t.patients, doses: t.doses)
        }
        return nil
    }

    mutating func commit(_ lot: PlannedLot) {
        let s = lot.suite
        var end = 0.0
        for b in lot.bookings {
            switch b.holder {
            case .suite: end = max(end, b.end)
            case .resource(let r):
                usage[r].add(b.start, b.end, units: b.units)
            }
        }
        suiteFree[s] = end
        suiteLast[s] = lot.product
    }
}

/// How many units of a resource are held over time: a step function of breakpoints.
struct UsageProfile {
    /// `held[i]` units are held from `times[i]` until `times[i + 1]` (the last until forever).
    var times: [Double] = [-Double.greatestFiniteMagnitude]
    var held: [Int] = [0]

    /// The last breakpoint at or before t.
    func index(_ t: Double) -> Int {
        var lo = 0, hi = times.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo - 1
    }

    /// Makes t a breakpoint; returns its index.
    mutating func split(_ t: Double) -> Int {
        let i = index(t)
        if times[i] == t { return i }
        times.insert(t, at: i + 1)
        held.insert(held[i], at: i + 1)
        return i + 1
    }

    mutating func add(_ a: Double, _ b: Double, units: Int) {
        guard b > a else { return }
        let i = split(a)
        let j = split(b)
        for k in i..<j { held[k] += units }
    }

    /// The earliest x ≥ a such that `units` more fit under `capacity` over [x, x + length).
    func clearFrom(_ a: Double, length: Double, units: Int, capacity: Int) -> Double {
        var x = a
        var i = index(a)
        while i < times.count {
            let segmentStart = max(times[i], x)
            if segmentStart >= x + length { return x }
            if held[i] + units > capacity {
                guard i + 1 < times.count else { return .infinity }
                x = times[i + 1]
            }
            i += 1
        }
        return x
    }
}
