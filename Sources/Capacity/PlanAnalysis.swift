import Bioprocess
/// What a plan delivers: lots a year by suite, patients served against demand, unmet demand,
/// the utilisation of every suite and resource, and the bottleneck.
public struct PlanAnalysis: Sendable {
    public struct ProductYear: Sendable, Hashable {
        public var product: String
        public var year: Int
        public var demand: Double
        public var supplied: Double
        public var served: Double
        /// Demand not served by the end of the year (the backlog carried on).
        public var unmet: Double
        public var lotsReleased: Int
    }

    public struct Utilisation: Sendable, Hashable {
        public var name: String
        /// Share of the time it is open (capacity × open days) that bookings hold.
        public var utilisation: Double
        public var busyDays: Double
    }

    public var years: Int
    public var products: [ProductYear]
    /// Lots started, by suite name and year (0-based).
    public var lotsBySuite: [String: [Int]]
    public var utilisation: [Utilisation]
    public var bottleneck: Utilisation?
    /// Patients or doses released that expired before they could serve, by product.
    public var expired: [String: Double] = [:]
    /// Lots started per vector-production suite and year over the horizon.
    public var lotsPerSuiteYear: Double

    public init(_ plan: Plan) {
        let f = plan.facility
        let d = plan.demand
        let horizon = plan.horizon
        let years = d.years
        self.years = years
        func year(_ day: Double) -> Int { Int(clamping: day / 365, to: 0...(years - 1)) }
        /// A lot released on a year's last day (to a microsecond) supplies that year, as demand
        /// due then counts in it.
        func releaseYear(_ day: Double) -> Int { year(day - 1e-6) }

        // Ex-vivo products are also limited by the facility's cell-transduction suites, if it has any.
        let transduction = f.suites.filter { $0.kind == .cellTransduction }.compactMap(\.patientsPerYear).reduce(0, +)
        var exVivoSupply = Array(repeating: 0.0, count: years)
        for product in d.products where plan.templates[product.name]?.exVivo == true && product.unit == .patients {
            for lot in plan.lots where lot.product == product.name && lot.released <= horizon {
                exVivoSupply[releaseYear(lot.released)] +=
                    Double(lot.patients) * (plan.templates[product.name]?.cycle.successRate ?? 1)
            }
        }
        var rows: [ProductYear] = []
        for product in d.products {
            let demandByYear = d.byYear(product)
            var supplied = Array(repeating: 0.0, count: years)
            var released = Array(repeating: 0, count: years)
            let unit = product.unit
            // A plan does not know which lots will fail: each lot supplies its yield times the
            // success rate, what it supplies on average.
            let success = plan.templates[product.name]?.cycle.successRate ?? 1
            var lots: [(released: Double, amount: Double)] = []
            for lot in plan.lots where lot.product == product.name && lot.released <= horizon {
                let amount = Double(unit == .patients ? lot.patients : lot.doses) * success
                supplied[releaseYear(lot.released)] += amount
                released[releaseYear(lot.released)] += 1
                lots.append((lot.released, amount))
            }
            if transduction > 0, plan.templates[product.name]?.exVivo == true, unit == .patients {
                // Vector for more patients than the transduction suites can treat waits: share
                // the suites' capacity among ex-vivo products in proportion to their supply.
                for y in 0..<years where exVivoSupply[y] > transduction {
                    supplied[y] *= transduction / exVivoSupply[y]
                }
                for i in lots.indices where exVivoSupply[releaseYear(lots[i].released)] > transduction {
                    lots[i].amount *= transduction / exVivoSupply[releaseYear(lots[i].released)]
                }
            }
            let (served, unmet, expired) = d.served(product, lots: lots, shelfLife: plan.templates[product.name]?.cycle.shelfLife)
            self.expired[product.name] = expired
            for y in 0..<years {
                rows.append(
                    ProductYear(
                        product: product.name, year: y, demand: demandByYear[y], supplied: supplied[y],
                        served: served[y],
                        unmet: unmet[y], lotsReleased: released[y]))
            }
        }
        products = rows

        var bySuite: [String: [Int]] = [:]
        for s in f.suites where s.kind == .vectorProduction { bySuite[s.name] = Array(repeating: 0, count: years) }
        for lot in plan.lots {
            let first = lot.bookings.filter { $0.stage != .changeover }.map(\.start).min() ?? 0
            bySuite[f.suites[lot.suite].name, default: Array(repeating: 0, count: years)][year(first)] += 1
        }
        lotsBySuite = bySuite
        let productionSuites = f.suites.filter { $0.kind == .vectorProduction }.count
        lotsPerSuiteYear = Double(plan.lots.count) / Double(max(1, productionSuites) * years)

        func closedOverlap(_ name: String, _ a: Double, _ b: Double) -> Double {
            f.closures.filter { $0.applies(to: name) }.reduce(0) { $0 + max(0, min(b, $1.to) - max(a, $1.from)) }
        }
        func openDays(_ name: String) -> Double {
            var closed = 0.0
            for c in f.closures where c.applies(to: name) {
                closed += max(0, min(c.to, horizon) - max(c.from, 0))
            }
            return max(1e-9, horizon - closed)
        }
        var use: [Utilisation] = []
        for (i, s) in f.suites.enumerated() where s.kind == .vectorProduction {
            var busy = 0.0
            for lot in plan.lots where lot.suite == i {
                for b in lot.bookings where b.holder == .suite(i) {
                    let (a, e) = (min(b.start, horizon), min(b.end, horizon))
                    busy += max(0, e - a - closedOverlap(s.name, a, e))
                }
            }
            use.append(Utilisation(name: s.name, utilisation: busy / openDays(s.name), busyDays: busy))
        }
        for (r, resource) in f.resources.enumerated() {
            var busy = 0.0
            for lot in plan.lots {
                for b in lot.bookings where b.holder == .resource(r) {
                    let (a, e) = (min(b.start, horizon), min(b.end, horizon))
                    busy += Double(b.units) * max(0, e - a - closedOverlap(resource.name, a, e))
                }
            }
            use.append(
                Utilisation(
                    name: resource.name,
                    utilisation: busy / (openDays(resource.name) * Double(resource.capacity)), busyDays: busy))
        }
        if transduction > 0 {
            let treated = exVivoSupply.map { min($0, transduction) }.reduce(0, +)
            use.append(
                Utilisation(
                    name: "Cell transduction (\(f.suites.filter { $0.kind == .cellTransduction }.count) suites)",
                    utilisation: treated / (transduction * horizon / 365), busyDays: treated))
        }
        utilisation = use
        bottleneck = use.max { $0.utilisation < $1.utilisation }
    }
}
