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
    /// How the planner ordered and placed the lots: the rule that gave this plan, of those it tried.
    public var rule: String = ""

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
        var (lots, unplaced, chosen) = place(needs, facility, demand, byProduct, eligible)
        var previous: (lots: [PlannedLot], unplaced: [String: Int], rule: Dispatch)?
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
                (lots, unplaced, chosen) = previous ?? (lots, unplaced, chosen)
                break
            }
            guard !more.isEmpty, needs.count + more.count <= WorkLimits.plannedLots else { break }
            shortBefore = short
            previous = (lots, unplaced, chosen)
            needs += more
            (lots, unplaced, chosen) = place(needs, facility, demand, byProduct, eligible)
        }
        for product in demand.products {
            if let n = unplaced[product.name] {
                problems.append(
                    "\(product.name): \(n) lot\(n == 1 ? "" : "s") needed by the demand cannot be released within the horizon"
                )
            }
        }
        let tried = dispatches(byProduct)
        var plan = Plan(facility: facility, demand: demand, templates: templates, lots: lots, problems: problems)
        plan.rule =
            tried.count == 1
            ? "lots in order of due date, each in the suite that releases it first"
            : "\(chosen.describe(names)) — the best of the \(tried.count) rules tried (least demand served late or never, then unplaced, then the earliest last release)"
        return plan
    }

    /// One lot needed by the demand: its product and the day it is due.
    struct Need { var product: Int; var due: Double }

    /// The lots placed, and by product the lots that could not be.
    typealias Placement = (lots: [PlannedLot], unplaced: [String: Int])

    /// How good a placement is (``score(_:_:_:)``, compared by ``better(_:than:)``).
    typealias Score = (unplaced: Double, late: Double, makespan: Double)

    /// How lots of equal due date are ordered and how a suite is chosen for each: one of the
    /// plans ``place(_:_:_:_:_:)`` tries.
    struct Dispatch: Hashable {
        /// Each product's rank among lots due the same day.
        var rank: [Int]
        /// Counts a change of product in a suite as its extra changeover when choosing the suite,
        /// so that a suite keeps to its product (a campaign) unless another releases the lot
        /// sooner by more than that.
        var campaigns: Bool
        /// Lots ordered by product first, then due date: one campaign of each product over the
        /// horizon. Where capacity is short, making the product whose lots take the suite least
        /// time first serves more demand by the horizon, later for the other products.
        var productFirst = false
        /// Each product's campaign length, in lots, when ``Planner/campaignLengths(_:_:_:_:_:_:budget:)``
        /// shortened them (the rest of its lots moved to the end of the order); by product index.
        var lengths: [Int]? = nil

        /// The rule in words, with the products' names.
        func describe(_ names: [String]) -> String {
            let ordered = names.indices.sorted { rank[$0] < rank[$1] }
            let order = ordered.map { names[$0] }.joined(separator: ", ")
            let placed = campaigns ? "each in the suite that releases it first, a change of product counted as its extra changeover (campaigns)" : "each in the suite that releases it first"
            if let lengths {
                let head = ordered.filter { lengths[$0] > 0 }.map { "\(names[$0]) (\(lengths[$0]) lot\(lengths[$0] == 1 ? "" : "s"))" }
                return "campaigns product by product — \(head.joined(separator: ", ")) — each in order of due date, then the remaining lots in the order \(order), \(placed)"
            }
            return productFirst
                ? "lots product by product (\(order)), each product's in order of due date, \(placed)"
                : "lots in order of due date, those due the same day by product (\(order)), \(placed)"
        }
    }

    /// The dispatch rules tried for a demand: with one product, the one rule; with several,
    /// every order of products among lots due the same day (by index, by QC release longest
    /// first — lots whose release is short are better last, before the horizon —, and all
    /// orders when there are at most three products), each with and without campaigns; then
    /// the same orders, and shortest suite time first, product by product.
    static func dispatches(_ byProduct: [LotTemplate]) -> [Dispatch] {
        let n = byProduct.count
        let index = Array(0..<n)
        guard n > 1 else { return [Dispatch(rank: index, campaigns: false)] }
        func ranks(_ order: [Int]) -> [Int] {
            var rank = Array(repeating: 0, count: n)
            for (r, p) in order.enumerated() { rank[p] = r }
            return rank
        }
        var orders = [index, index.sorted { (byProduct[$0].release, $1) > (byProduct[$1].release, $0) }]
        if n <= 3 {
            func permutations(_ xs: [Int]) -> [[Int]] {
                xs.count <= 1 ? [xs] : xs.indices.flatMap { i in
                    var rest = xs
                    let x = rest.remove(at: i)
                    return permutations(rest).map { [x] + $0 }
                }
            }
            orders += permutations(index)
        }
        var seen = Set<Dispatch>()
        var out: [Dispatch] = []
        for order in orders {
            for campaigns in [false, true] {
                let d = Dispatch(rank: ranks(order), campaigns: campaigns)
                if seen.insert(d).inserted { out.append(d) }
            }
        }
        // Product by product: the orders above, and the products by their lots' suite time,
        // shortest first.
        let bySuiteTime = index.sorted {
            (byProduct[$0].cycle.manufacturing, $0) < (byProduct[$1].cycle.manufacturing, $1)
        }
        for order in orders + [bySuiteTime] {
            for campaigns in [true, false] {
                let d = Dispatch(rank: ranks(order), campaigns: campaigns, productFirst: true)
                if seen.insert(d).inserted { out.append(d) }
            }
        }
        return out
    }

    /// Places the lots needed under each dispatch rule (``dispatches(_:)``) and keeps the best
    /// plan (``better(_:than:)``: the least demand served late or never, then the least left
    /// unplaced, then the earliest last release); the first rule on a tie.
    /// Where demand is left unplaced and there are several products, the orders product by
    /// product are then tried with shorter campaigns (``campaignLengths(_:_:_:_:_:_:budget:)``).
    static func place(
        _ needs: [Need], _ facility: Facility, _ demand: Demand, _ byProduct: [LotTemplate], _ eligible: [[Int]]
    ) -> (lots: [PlannedLot], unplaced: [String: Int], rule: Dispatch) {
        var tried: [(order: [Need], rule: Dispatch, plan: Placement, score: Score)] = []
        for d in dispatches(byProduct) {
            let order = Self.order(needs, d)
            let plan = placeInOrder(order, facility, demand, byProduct, eligible, campaigns: d.campaigns)
            tried.append((order, d, plan, Self.score(plan, demand, byProduct)))
        }
        var best = tried[0]
        for t in tried.dropFirst() where Self.better(t.score, than: best.score) { best = t }
        // Where demand is left unplaced: the campaign lengths of each order product by product,
        // while the work stays small.
        if byProduct.count > 1, best.score.unplaced > 1e-9 {
            var budget = max(0, WorkLimits.plannerPlacements / max(1, needs.count * max(1, facility.suites.count)))
            for start in tried where start.rule.productFirst && budget > 0 {
                let c = campaignLengths(
                    needs, start.rule, (start.plan, start.score), facility, demand, byProduct, eligible, budget: &budget)
                if Self.better(c.score, than: best.score) {
                    var rule = start.rule
                    rule.lengths = c.lengths
                    best = (c.order, rule, c.plan, c.score)
                }
            }
        }
        return (best.plan.lots, best.plan.unplaced, best.rule)
    }

    /// Whether plan score a is better than b: less demand served late or never (the backlog at
    /// each period's end, summed — the last period's is what is never served), then less left
    /// unplaced, then an earlier last release; differences under 10⁻⁹ are ties. Timeliness
    /// first, so that no programme waits years for its lots to serve a little more demand by
    /// the horizon.
    static func better(_ a: Score, than b: Score) -> Bool {
        if abs(a.late - b.late) > 1e-9 { return a.late < b.late }
        if abs(a.unplaced - b.unplaced) > 1e-9 { return a.unplaced < b.unplaced }
        return a.makespan < b.makespan - 1e-9
    }

    /// Lots in the order a rule gives them.
    static func order(_ needs: [Need], _ d: Dispatch) -> [Need] {
        let rank = d.rank
        return d.productFirst
            ? needs.sorted { (rank[$0.product], $0.due) < (rank[$1.product], $1.due) }
            : needs.sorted { ($0.due, rank[$0.product]) < ($1.due, rank[$1.product]) }
    }

    /// Where capacity is short, the length of each product's campaign in an order product by
    /// product: how many of its lots come before the next product's, the rest moved to the end
    /// (placed only if room is left). A product whose lots hold the bottleneck longest — a long
    /// QC release when QC is short, a long stay when suites are — serves more demand by
    /// making fewer of its lots and more of another's: the product mix a rough-cut capacity
    /// plan would choose, here found by placing the lots. Each product but the last in turn,
    /// its campaign is tried at sixteen lengths across its range, then either side of the best
    /// at half the step, down to one lot; each trial places every lot once, and `budget`
    /// counts trials. `start` is the rule's own placement (every campaign whole).
    static func campaignLengths(
        _ needs: [Need], _ rule: Dispatch, _ start: (plan: Placement, score: Score), _ facility: Facility,
        _ demand: Demand, _ byProduct: [LotTemplate], _ eligible: [[Int]], budget: inout Int
    ) -> (order: [Need], plan: Placement, score: Score, lengths: [Int]) {
        let products = byProduct.indices.sorted { rule.rank[$0] < rule.rank[$1] }
        // Each product's lots in order of due date.
        let lotsOf = products.map { p in needs.filter { $0.product == p }.sorted { $0.due < $1.due } }
        var lengths = lotsOf.map(\.count)
        func order(_ lengths: [Int]) -> [Need] {
            var head: [Need] = [], tail: [Need] = []
            for (k, lots) in lotsOf.enumerated() {
                head += lots.prefix(lengths[k])
                tail += lots.dropFirst(lengths[k])
            }
            return head + tail
        }
        // By product index, for the rule's description.
        func byIndex(_ lengths: [Int]) -> [Int] {
            var out = Array(repeating: 0, count: byProduct.count)
            for (k, p) in products.enumerated() { out[p] = lengths[k] }
            return out
        }
        var best = (order: order(lengths), plan: start.plan, score: start.score, lengths: byIndex(lengths))
        func trial(_ lengths: [Int]) -> Bool {
            guard budget > 0 else { return false }
            budget -= 1
            let o = order(lengths)
            let plan = placeInOrder(o, facility, demand, byProduct, eligible, campaigns: rule.campaigns)
            let score = Self.score(plan, demand, byProduct)
            guard Self.better(score, than: best.score) else { return false }
            best = (o, plan, score, byIndex(lengths))
            return true
        }
        for k in lotsOf.indices.dropLast() where budget > 0 {
            let count = lotsOf[k].count
            var bestLength = lengths[k]
            // Sixteen lengths across the range, then either side of the best at half the step,
            // down to one lot.
            var step = max(1, (count + 15) / 16)
            for n in Set(Array(stride(from: 0, through: count, by: step)) + [count]).sorted() {
                var l = lengths
                l[k] = n
                if trial(l) { bestLength = n }
            }
            while step > 1 && budget > 0 {
                step = (step + 1) / 2
                let around = bestLength
                for n in [around - step, around + step] where (0...count).contains(n) {
                    var l = lengths
                    l[k] = n
                    if trial(l) { bestLength = n }
                }
            }
            lengths[k] = bestLength
        }
        return best
    }

    /// What a plan leaves unplaced and late (patients or doses, each lot at its expected
    /// yield), and its last release within the horizon.
    static func score(_ plan: Placement, _ demand: Demand, _ byProduct: [LotTemplate]) -> Score {
        var unplaced = 0.0, late = 0.0, makespan = 0.0
        let ends = (0..<demand.periods).map { demand.end(ofPeriod: $0) }
        for (k, product) in demand.products.enumerated() {
            let t = byProduct[k]
            let expected = Double(t.amount(product.unit)) * t.cycle.successRate
            unplaced += Double(plan.unplaced[product.name] ?? 0) * expected
            var releasedBy = Array(repeating: 0, count: ends.count)
            for lot in plan.lots where lot.product == product.name && lot.released <= demand.horizon {
                makespan = max(makespan, lot.released)
                // The first period whose end the lot is released by (to a microsecond).
                var lo = 0, hi = ends.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if ends[mid] + 1e-6 >= lot.released { hi = mid } else { lo = mid + 1 }
                }
                if lo < ends.count { releasedBy[lo] += 1 }
            }
            var cumulative = 0.0, lots = 0
            for (period, amount) in product.amounts.enumerated() where period < ends.count {
                cumulative += amount
                lots += releasedBy[period]
                late += max(0, cumulative - Double(lots) * expected)
            }
        }
        return (unplaced, late, makespan)
    }

    /// Places the lots in the order given, each in the suite that releases it first (or, with
    /// campaigns, first counting a change of product as its extra changeover).
    static func placeInOrder(
        _ needs: [Need], _ facility: Facility, _ demand: Demand, _ byProduct: [LotTemplate], _ eligible: [[Int]],
        campaigns: Bool
    ) -> Placement {
        var book = BookingBook(facility: facility)
        var lots: [PlannedLot] = []
        var unplaced: [String: Int] = [:]
        let horizon = demand.horizon
        let names = demand.products.map(\.name)
        let extra = max(0, facility.changeover.productChange - facility.changeover.sameProduct)
        for need in needs {
            let name = names[need.product]
            // Once a lot of a product cannot be released in time, later ones cannot either.
            if unplaced[name] != nil {
                unplaced[name, default: 0] += 1
                continue
            }
            let t = byProduct[need.product]
            var best: PlannedLot?
            var bestScore = Double.infinity
            // A lot that keeps for a shelf life is not released before its demand's period ends
            // less the shelf life: it would expire before serving it.
            let notBefore = t.cycle.shelfLife.map { max(0, need.due - $0 - t.minimumToRelease) } ?? 0
            // Suites in the order they become available; a suite that cannot start before the
            // best lot found so far is released cannot do better, nor can the ones after it.
            let order = eligible[need.product].map { (suite: $0, from: max(notBefore, book.availableFrom($0, t))) }
                .sorted { $0.from < $1.from }
            for (s, from) in order {
                if from + t.minimumToRelease >= bestScore { break }
                guard
                    let candidate = book.earliest(
                        t, suite: s, number: lots.count + 1, horizon: horizon, notBefore: notBefore)
                else {
                    continue
                }
                var score = candidate.released
                if campaigns, let last = book.suiteLast[s], last != t.product { score += extra }
                if score < bestScore {
                    best = candidate
                    bestScore = score
                }
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
