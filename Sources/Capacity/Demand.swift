import Bioprocess

/// How much of each product is needed, period by period.
public struct Demand: Sendable, Hashable {
    public var name: String
    public var start: CalendarDate
    public var period: DemandPeriod
    public var products: [ProductDemand]

    public init(name: String, start: CalendarDate, period: DemandPeriod, products: [ProductDemand]) {
        self.name = name
        self.start = start
        self.period = period
        self.products = products
    }

    /// The number of periods the longest demand covers.
    public var periods: Int {
        // Read in place: mapping the products would copy each, its process with it.
        var longest = 0
        for i in products.indices { longest = max(longest, products[i].amounts.count) }
        return longest
    }

    /// Days from the start to the end of period `k` (0-based).
    public func end(ofPeriod k: Int) -> Double { period.days * Double(k + 1) }

    /// The horizon, in days.
    public var horizon: Double { end(ofPeriod: periods - 1) }

    /// The years the horizon spans (at least one); day `d` falls in year `Int(d / 365)`.
    public var years: Int { max(1, Int((horizon / 365).rounded(.up))) }

    /// A product's demand by year, each period counted in the year it ends.
    public func byYear(_ product: ProductDemand) -> [Double] {
        var out = Array(repeating: 0.0, count: years)
        for (k, amount) in product.amounts.enumerated() {
            out[min(years - 1, max(0, Int((end(ofPeriod: k) - 1e-6) / 365)))] += amount
        }
        return out
    }

    /// What is served each year from what is demanded and supplied: cumulative supply meets
    /// cumulative demand (a late lot serves the backlog); `unmet` is the backlog at each year's end.
    public static func served(demand: [Double], supplied: [Double]) -> (served: [Double], unmet: [Double]) {
        var served: [Double] = [], unmet: [Double] = []
        var cumulativeDemand = 0.0, cumulativeSupply = 0.0, servedBefore = 0.0
        for (d, s) in zip(demand, supplied) {
            cumulativeDemand += d
            cumulativeSupply += s
            let toDate = min(cumulativeDemand, cumulativeSupply)
            served.append(toDate - servedBefore)
            unmet.append(cumulativeDemand - toDate)
            servedBefore = toDate
        }
        return (served, unmet)
    }

    /// What is served each year from the lots released, when each lot keeps only for its shelf
    /// life: demand is served oldest first, each period's demand due at the period's end, and a
    /// lot released on day t serves only periods that end by t + shelf life (a late lot serves
    /// the backlog). An amount counts as served in the year of its period, or of its lot's release
    /// when the lot is late. With no shelf life this is ``served(demand:supplied:)`` on the lots'
    /// yearly supply (but for a lot released on the last day of a year, on time here). `expired` is what lots released could not serve before they expired.
    public func served(
        _ product: ProductDemand, lots: [(released: Double, amount: Double)], shelfLife: Double?
    ) -> (served: [Double], unmet: [Double], expired: Double) {
        let a = allocate(product, lots: lots, shelfLife: shelfLife)
        let servedByYear = a.servedByYear
        let demandByYear = byYear(product)
        var unmet: [Double] = []
        var cumulativeDemand = 0.0, cumulativeServed = 0.0
        for y in 0..<years {
            cumulativeDemand += demandByYear[y]
            cumulativeServed += servedByYear[y]
            unmet.append(max(0, cumulativeDemand - cumulativeServed))
        }
        return (servedByYear, unmet, a.expired)
    }

    /// The allocation behind ``served(_:lots:shelfLife:)``: what each period has left unserved
    /// at the end, what it has unserved at its own end (served late or never), what each year
    /// serves, and what lots could not serve before they expired.
    public func allocate(
        _ product: ProductDemand, lots: [(released: Double, amount: Double)], shelfLife: Double?
    ) -> (left: [Double], shortAtEnd: [Double], servedByYear: [Double], expired: Double) {
        // Once: the years come from every product's demand.
        let years = self.years
        var servedByYear = Array(repeating: 0.0, count: years)
        func year(_ day: Double) -> Int { min(years - 1, max(0, Int(day / 365))) }
        var left = product.amounts
        // Each period's end and the year it counts in, once, not per lot.
        let ends = left.indices.map { end(ofPeriod: $0) }
        let periodYears = ends.map { min(years - 1, max(0, Int(($0 - 1e-6) / 365))) }
        var late = Array(repeating: 0.0, count: left.count)
        var k = 0  // the oldest period with demand left
        var expired = 0.0
        // Lots usually come in release order (the event engine releases them so): sorted only
        // when they are not.
        var inOrder = true
        for i in lots.indices.dropFirst() where lots[i].released < lots[i - 1].released {
            inOrder = false
            break
        }
        for lot in inOrder ? lots : lots.sorted(by: { $0.released < $1.released }) {
            var amount = lot.amount
            while amount > 0 {
                while k < left.count && left[k] <= 1e-12 { k += 1 }
                guard k < left.count else { break }
                if let shelfLife, ends[k] > lot.released + shelfLife + 1e-9 { break }
                let used = min(amount, left[k])
                left[k] -= used
                amount -= used
                // A lot released on its period's last day (to a microsecond) is on time.
                let onTime = lot.released <= ends[k] + 1e-6
                if !onTime { late[k] += used }
                servedByYear[onTime ? periodYears[k] : year(lot.released)] += used
            }
            // What a lot could not serve while demand was left: it expired first.
            if amount > 1e-12, k < left.count { expired += amount }
        }
        let unserved = left.map { max(0, $0) }
        return (unserved, zip(unserved, late).map { $0 + $1 }, servedByYear, expired)
    }
}

public enum DemandPeriod: String, Sendable, Hashable, CaseIterable, Codable {
    case year, quarter, month

    /// Days in one period (a 365-day year).
    public var days: Double {
        switch self {
        case .year: 365
        case .quarter: 365.0 / 4
        case .month: 365.0 / 12
        }
    }
}

public enum DemandUnit: String, Sendable, Hashable, CaseIterable, Codable {
    case patients, doses
}

/// One product's demand and the process that makes it.
public struct ProductDemand: Sendable, Hashable {
    public var name: String
    public var process: ProcessDefinition
    public var unit: DemandUnit
    /// Patients or doses needed in each period.
    public var amounts: [Double]
    /// Lot stage durations observed in batch records, replacing the simulated ones; and the
    /// share of lots that fail.
    public var observed: ObservedDurations?
    /// The share of lots that pass in the process's costs (its `success-rate`), when the file
    /// reader found one.
    public var costSuccessRate: Double?

    public init(
        name: String, process: ProcessDefinition, unit: DemandUnit, amounts: [Double],
        observed: ObservedDurations? = nil, costSuccessRate: Double? = nil
    ) {
        self.name = name
        self.process = process
        self.unit = unit
        self.amounts = amounts
        self.observed = observed
        self.costSuccessRate = costSuccessRate
    }

    /// The share of lots that pass: from the batch records' failure rate (`observed:`), else
    /// the process's costs, else every lot passes.
    public var successRate: Double {
        if let f = observed?.failureRate { return 1 - f }
        return costSuccessRate ?? 1
    }

    /// Where ``successRate`` comes from, in words.
    public var successRateSource: String {
        if observed?.failureRate != nil { return "the demand file's observed failure-rate" }
        if costSuccessRate != nil { return "the process's costs (success-rate)" }
        return "none given: every lot taken to pass"
    }

    /// Days a released lot keeps: the process's `product.shelf-life`; nil: no limit.
    public var shelfLife: Double? { process.product.shelfLife?.value(in: "d") }
}

/// Stage durations (in days) as distributions, from batch records, for the facility simulation.
public struct ObservedDurations: Sendable, Hashable {
    public var expansion: BoundedDistribution?
    public var production: BoundedDistribution?
    public var purification: BoundedDistribution?
    public var fill: BoundedDistribution?
    public var release: BoundedDistribution?
    public var failureRate: Double?

    public init(
        expansion: BoundedDistribution? = nil, production: BoundedDistribution? = nil,
        purification: BoundedDistribution? = nil, fill: BoundedDistribution? = nil, release: BoundedDistribution? = nil,
        failureRate: Double? = nil
    ) {
        self.expansion = expansion
        self.production = production
        self.purification = purification
        self.fill = fill
        self.release = release
        self.failureRate = failureRate
    }
}
