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
    public var periods: Int { products.map(\.amounts.count).max() ?? 0 }

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
    /// Lot stage durations observed in batch records, replacing the simulated ones (facility
    /// simulation); and the share of lots that fail.
    public var observed: ObservedDurations?

    public init(
        name: String, process: ProcessDefinition, unit: DemandUnit, amounts: [Double],
        observed: ObservedDurations? = nil
    ) {
        self.name = name
        self.process = process
        self.unit = unit
        self.amounts = amounts
        self.observed = observed
    }
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
