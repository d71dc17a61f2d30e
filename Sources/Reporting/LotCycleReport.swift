import Bioprocess
import Capacity

/// The lot cycle of each product in its suite — the one computation behind the cost model's
/// lots a year, the plan and the facility simulation — as text and JSON, shared by the plan
/// and the facility simulation reports.
public enum LotCycleReport {
    /// One product's lot cycle, for JSON.
    public struct Row: Codable, Sendable, Hashable {
        public var product: String
        public var suite: String
        /// What holds the suite, in words.
        public var occupancy: String
        /// Days a passing lot holds the suite.
        public var suiteDays: Double
        public var changeoverDays: Double
        /// Days from one lot taking the suite to the next, on average over passing and failing lots.
        public var cycleDays: Double
        public var successRate: Double
        public var successRateSource: String
        public var releaseDays: Double
        /// Nil: no shelf life given.
        public var shelfLifeDays: Double?
        /// Lots one suite starts a year running back to back, its closures allowed for.
        public var lotsPerYear: Double
        /// Of which released.
        public var releasedPerYear: Double
    }

    public static func rows(_ rates: [SuiteLotRate]) -> [Row] {
        rates.map {
            Row(
                product: $0.product, suite: $0.suite, occupancy: $0.occupancy.description, suiteDays: $0.suiteDays,
                changeoverDays: $0.occupancy.changeover, cycleDays: $0.cycleDays, successRate: $0.cycle.successRate,
                successRateSource: $0.successRateSource, releaseDays: $0.cycle.release,
                shelfLifeDays: $0.cycle.shelfLife,
                lotsPerYear: $0.lotsPerYear, releasedPerYear: $0.releasedPerYear)
        }
    }

    /// The table, the occupancy of each suite, and where each success rate comes from.
    public static func text(_ rates: [SuiteLotRate]) -> String {
        guard !rates.isEmpty else { return "" }
        var out = "Lot cycle in one suite (the computation the cost model, the plan and the simulation share)\n"
        var t = TextTable(
            [
                "product", "suite", "in suite (d)", "cycle (d)", "success", "release (d)", "shelf life (d)",
                "lots a year", "released a year",
            ], rightAligned: [2, 3, 4, 5, 6, 7, 8])
        for r in rates {
            t.add([
                r.product, r.suite, Fmt.number(r.suiteDays), Fmt.number(r.cycleDays), Fmt.percent(r.cycle.successRate),
                Fmt.number(r.cycle.release), r.cycle.shelfLife.map { Fmt.number($0) } ?? "—",
                Fmt.number(r.lotsPerYear), Fmt.number(r.releasedPerYear),
            ])
        }
        out += t.render()
        var seen = Set<String>()
        for r in rates where seen.insert(r.suite).inserted {
            out += "\(r.suite): \(r.occupancy.description).\n"
        }
        for r in rates {
            out += "\(r.product): success rate \(Fmt.percent(r.cycle.successRate)) — \(r.successRateSource).\n"
        }
        return out
    }
}
