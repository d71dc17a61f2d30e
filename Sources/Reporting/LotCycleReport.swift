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
        /// The lot's capsids (AAV) or particles (LV); absent when the process states none.
        public var particles: Particles? = nil
    }

    /// A product's capsids or particles in its lot, per dose and per suite-year, as the lot
    /// report balances them.
    public struct Particles: Codable, Sendable, Hashable {
        /// `capsids` (AAV) or `lentiviral` particles.
        public var kind: String
        /// `cp` or `VP`.
        public var symbol: String
        /// In the bulk drug substance of one lot.
        public var perLot: Double
        public var perDose: Double
        /// Full capsids (or particles carrying a vector genome, TU for LV) in the bulk, 0–1.
        public var vectorShare: Double
        /// In the bulk one suite releases in a year.
        public var releasedPerSuiteYear: Double
        /// The bulk's predicted % full against each release specification on it.
        public var releaseChecks: [ParticleBalance.ReleaseCheck]
    }

    public static func rows(_ rates: [SuiteLotRate]) -> [Row] {
        rates.map { rate in
            Row(
                product: rate.product, suite: rate.suite, occupancy: rate.occupancy.description, suiteDays: rate.suiteDays,
                changeoverDays: rate.occupancy.changeover, cycleDays: rate.cycleDays, successRate: rate.cycle.successRate,
                successRateSource: rate.successRateSource, releaseDays: rate.cycle.release,
                shelfLifeDays: rate.cycle.shelfLife,
                lotsPerYear: rate.lotsPerYear, releasedPerYear: rate.releasedPerYear,
                particles: rate.particles.map { b in
                    Particles(
                        kind: b.kind.rawValue, symbol: b.symbol, perLot: b.bulk.particles, perDose: b.particlesPerDose,
                        vectorShare: b.bulk.vectorShare, releasedPerSuiteYear: rate.particlesReleasedPerYear ?? 0,
                        releaseChecks: b.releaseChecks)
                })
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
        out += particlesText(rates)
        return out
    }

    /// Capsids (AAV) and particles (LV) per lot, per dose and per suite-year, with the bulk's
    /// full share against the release specification; empty when no process states them.
    public static func particlesText(_ rates: [SuiteLotRate]) -> String {
        let rows = Self.rows(rates).filter { $0.particles != nil }
        guard !rows.isEmpty else { return "" }
        var out = "\nCapsids and particles in the bulk (the lot report's particle balance)\n"
        var t = TextTable(
            ["product", "per lot", "per dose", "full (AAV) or TU share (LV)", "released a suite-year"],
            rightAligned: [1, 2, 3, 4])
        for r in rows {
            let b = r.particles!
            t.add([
                r.product, "\(Fmt.number(b.perLot)) \(b.symbol)", "\(Fmt.number(b.perDose)) \(b.symbol)",
                b.kind == ParticleBalance.Kind.capsids.rawValue
                    ? Fmt.percent(b.vectorShare) : "1 TU : \(Fmt.number(1 / b.vectorShare)) VP",
                "\(Fmt.number(b.releasedPerSuiteYear)) \(b.symbol)",
            ])
        }
        out += t.render()
        for r in rows {
            for c in r.particles!.releaseChecks {
                out +=
                    "\(r.product): \(c.test), specification \(c.specification) — \(c.meets ? "met" : "NOT MET") by the prediction (\(Fmt.number(c.predictedPercent)) % full).\n"
            }
        }
        return out
    }
}
