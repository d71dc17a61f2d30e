import Capacity
import Economics
import Foundation

/// Views of a facility simulation: patients served a year (mean and percentiles) against
/// demand, the probability of meeting it, lots per suite-year.
public struct FacilitySimulationReport: Sendable {
    public var result: FacilitySimulation.Result
    public var facility: Facility
    public var demand: Demand
    public var seed: UInt64
    /// Each product's lot cycle in its suite (empty if a process cannot make a lot).
    public var rates: [SuiteLotRate]

    public init(result: FacilitySimulation.Result, facility: Facility, demand: Demand, seed: UInt64) {
        self.result = result
        self.facility = facility
        self.demand = demand
        self.seed = seed
        rates = (try? LotRates.rates(facility, demand)) ?? []
    }

    /// What the plan and the facility simulation do not dispatch alike, in one line.
    public var dispatchLine: String { LotRates.dispatchLine(facility, demand) }

    public func text() -> String {
        let r = result
        let lots = r.replications.reduce(0) { $0 + $1.lotsStarted }
        var out = "VectorFab facility simulation — \(facility.name) against \(demand.name)\n"
        out += "\(Fmt.count(r.replications.count)) replications of \(r.years) years, seed \(seed): "
        out +=
            "\(Fmt.number(r.seconds)) s, \(Fmt.count(lots)) lots started (\(Fmt.count(Double(lots) / max(r.seconds, 1e-9))) a second)\n"
        out += Self.engineLine(r) + "\n\n"
        if !rates.isEmpty { out += LotCycleReport.text(rates) + "\n" }
        for (p, name) in r.products.enumerated() {
            let unit = demand.products[p].unit.rawValue
            out += "\(name): \(unit) served a year\n"
            var t = TextTable(["year", "demand", "mean", "p5", "p50", "p95"], rightAligned: [1, 2, 3, 4, 5])
            let served = r.served(p)
            for y in 0..<r.years {
                let s = SampleStatistics(served.map { $0[y] })
                t.add([
                    "\(demand.start.year + y)", Fmt.number(r.demandByYear[p][y]), Fmt.number(s.mean), Fmt.number(s.p5),
                    Fmt.number(s.p50), Fmt.number(s.p95),
                ])
            }
            out += t.render() + "\n"
        }
        let started = SampleStatistics(r.lotsStartedPerSuiteYear)
        out +=
            "Lots started per suite-year: mean \(Fmt.number(started.mean, digits: 4)), p5 \(Fmt.number(started.p5, digits: 4)), "
        out += "p50 \(Fmt.number(started.p50, digits: 4)), p95 \(Fmt.number(started.p95, digits: 4))\n"
        let lpsy = SampleStatistics(r.lotsPerSuiteYear)
        out +=
            "Lots passed per suite-year: mean \(Fmt.number(lpsy.mean, digits: 4)), p5 \(Fmt.number(lpsy.p5, digits: 4)), "
        out += "p50 \(Fmt.number(lpsy.p50, digits: 4)), p95 \(Fmt.number(lpsy.p95, digits: 4))\n"
        let failed = r.replications.reduce(0) { $0 + $1.lotsFailed }
        out += "Failed lots: \(Fmt.percent(Double(failed) / Double(max(1, lots))))\n"
        out += "Probability of meeting every year's cumulative demand: \(Fmt.percent(r.probabilityOfMeetingDemand))\n"
        for (p, name) in r.products.enumerated() {
            let expired = r.replications.reduce(0) { $0 + $1.expired[p] } / Double(max(1, r.replications.count))
            if expired > 1e-9 {
                out += "\(name): \(Fmt.number(expired)) \(demand.products[p].unit.rawValue) expire unused on average (shelf life).\n"
            }
        }
        out += dispatchLine + "\n"
        out += PlanReport.warningsText(PlanReport.warnings(demand), "the lots are simulated")
        return out
    }

    /// How the replications were simulated.
    static func engineLine(_ r: FacilitySimulation.Result) -> String {
        let n = r.replications.count
        if r.byRenewal == n {
            return "Simulated suite by suite without an event queue: the suites share nothing (no shared resource or closure, one product) and the demand never stopped one."
        }
        if r.byRenewal == 0 { return "Simulated by the event engine (suites, shared resources and demand in time order)." }
        return
            "\(Fmt.count(r.byRenewal)) replications simulated suite by suite (the suites share nothing), \(Fmt.count(n - r.byRenewal)) by the event engine (the demand stopped or delayed a suite)."
    }

    public struct Data: Codable, Sendable {
        public var format = "vectorfab/facility-simulation/1"
        public var replications: Int
        public var seed: UInt64
        public var years: Int
        public var seconds: Double
        /// Replications simulated suite by suite (suites sharing nothing), the rest by the event engine.
        public var replicationsSuiteBySuite: Int
        public var products: [Product]
        public var lotsPerSuiteYear: SampleStatistics
        public var lotsStartedPerSuiteYear: SampleStatistics
        public var probabilityOfMeetingDemand: Double
        /// Each product's lot cycle in its suite (shared with the plan and costs).
        public var lotCycles: [LotCycleReport.Row]
        /// What the plan and the facility simulation do not dispatch alike, in one line.
        public var dispatch: String
        /// Each product's process's values outside what is usual (not errors).
        public var warnings: [PlanReport.ProductWarning] = []

        public struct Product: Codable, Sendable {
            public var name: String
            public var demand: [Double]
            public var served: [SampleStatistics]
        }
    }

    public func data() -> Data {
        Data(
            replications: result.replications.count, seed: seed, years: result.years, seconds: result.seconds,
            replicationsSuiteBySuite: result.byRenewal,
            products: result.products.enumerated().map { p, name in
                let served = result.served(p)
                return Data.Product(
                    name: name, demand: result.demandByYear[p],
                    served: (0..<result.years).map { y in SampleStatistics(served.map { $0[y] }, bins: 10) })
            },
            lotsPerSuiteYear: SampleStatistics(result.lotsPerSuiteYear, bins: 10),
            lotsStartedPerSuiteYear: SampleStatistics(result.lotsStartedPerSuiteYear, bins: 10),
            probabilityOfMeetingDemand: result.probabilityOfMeetingDemand, lotCycles: LotCycleReport.rows(rates),
            dispatch: dispatchLine, warnings: PlanReport.warnings(demand))
    }

    public func csv() -> String {
        var rows = [["product", "year", "replication", "supplied"]]
        for (i, rep) in result.replications.enumerated() {
            for (p, name) in result.products.enumerated() {
                for y in 0..<result.years {
                    rows.append([name, "\(demand.start.year + y)", "\(i + 1)", "\(rep.supplied[p][y])"])
                }
            }
        }
        return csvDocument(rows)
    }
}
