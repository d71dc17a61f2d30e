import Bioprocess
import Capacity
import Foundation

/// Views of a production plan: text, JSON, the schedule as CSV, a Gantt chart as SVG.
public struct PlanReport: Sendable {
    public var plan: Plan
    public var analysis: PlanAnalysis
    /// Each product's lot cycle in its suite (empty if a process cannot make a lot).
    public var rates: [SuiteLotRate]

    public init(_ plan: Plan) {
        self.plan = plan
        analysis = PlanAnalysis(plan)
        rates = (try? LotRates.rates(plan.facility, plan.demand)) ?? []
    }

    /// What the plan and the facility simulation do not dispatch alike, in one line.
    public var dispatchLine: String { LotRates.dispatchLine(plan.facility, plan.demand) }

    func holderName(_ h: Holder) -> String {
        switch h {
        case .suite(let i): plan.facility.suites[i].name
        case .resource(let r): plan.facility.resources[r].name
        }
    }

    func date(_ day: Double) -> String { plan.facility.start.adding(days: day).description }

    /// The day the cumulative supply of a product — each lot's yield × its success rate —
    /// reaches an amount.
    public func dayToSupply(_ product: String, _ amount: Double) -> Double? {
        let unit = plan.demand.products.first { $0.name == product }?.unit ?? .patients
        let success = plan.templates[product]?.cycle.successRate ?? 1
        var total = 0.0
        for lot in plan.lots.filter({ $0.product == product }).sorted(by: { $0.released < $1.released }) {
            total += Double(unit == .patients ? lot.patients : lot.doses) * success
            if total >= amount * (1 - 1e-12) { return lot.released }
        }
        return nil
    }

    public func text() -> String {
        let f = plan.facility
        let y0 = plan.demand.start.year
        var out = "VectorFab production plan — \(f.name) against \(plan.demand.name)\n"
        out += "\(Fmt.count(plan.lots.count)) lots over \(analysis.years) years from \(plan.demand.start); "
        out += "\(f.suites.filter { $0.kind == .vectorProduction }.count) production suites\n\n"
        out += "Lots per product\n"
        var t = TextTable(
            ["product", "patients/lot", "doses/lot", "expansion (d)", "suite cycle (d)", "release (d)"],
            rightAligned: [1, 2, 3, 4, 5])
        for p in plan.demand.products {
            guard let lt = plan.templates[p.name] else { continue }
            t.add([
                p.name, Fmt.count(lt.patients), Fmt.count(lt.doses), Fmt.number(lt.expansion),
                Fmt.number(suiteCycle(p.name)), Fmt.number(lt.release),
            ])
        }
        out += t.render() + "\n"
        if !rates.isEmpty { out += LotCycleReport.text(rates) + "\n" }
        out += "Demand and supply by year (supplied: each lot's yield × its success rate)\n"
        var d = TextTable(
            ["product", "year", "demand", "supplied", "served", "unmet (cumulative)", "lots released"],
            rightAligned: [2, 3, 4, 5, 6])
        for row in analysis.products {
            d.add([
                row.product, "\(y0 + row.year)", Fmt.number(row.demand), Fmt.number(row.supplied),
                Fmt.number(row.served),
                Fmt.number(row.unmet), "\(row.lotsReleased)",
            ])
        }
        out += d.render() + "\n"
        out += "Lots started per suite and year\n"
        var l = TextTable(
            ["suite"] + (0..<analysis.years).map { "\(y0 + $0)" } + ["total"],
            rightAligned: Set(1...(analysis.years + 1)))
        let shown = f.suites.filter { $0.kind == .vectorProduction }
        for s in shown.prefix(12) {
            let counts = analysis.lotsBySuite[s.name] ?? []
            l.add([s.name] + counts.map { "\($0)" } + ["\(counts.reduce(0, +))"])
        }
        if shown.count > 12 {
            var all = Array(repeating: 0, count: analysis.years)
            for s in shown { for (y, n) in (analysis.lotsBySuite[s.name] ?? []).enumerated() { all[y] += n } }
            l.add(
                ["(\(shown.count - 12) more suites; all \(shown.count))"] + all.map { Fmt.count($0) } + [
                    Fmt.count(all.reduce(0, +))
                ])
        }
        out += l.render()
        out += "Lots started per suite-year over the horizon: \(Fmt.number(analysis.lotsPerSuiteYear))"
        if let r = rates.first, rates.count == 1 {
            out += " (the lot cycle: \(Fmt.number(r.lotsPerYear)) a year running back to back)"
        }
        out += ".\n\(dispatchLine)\n\n"
        let groups = Array(Set(f.suites.compactMap(\.group))).sorted()
        if !groups.isEmpty {
            out += "Lots started per group and year\n"
            var g = TextTable(
                ["group"] + (0..<analysis.years).map { "\(y0 + $0)" }, rightAligned: Set(1...analysis.years))
            for group in groups {
                var counts = Array(repeating: 0, count: analysis.years)
                for s in f.suites where s.group == group {
                    for (y, n) in (analysis.lotsBySuite[s.name] ?? []).enumerated() { counts[y] += n }
                }
                g.add([group] + counts.map { Fmt.count($0) })
            }
            out += g.render() + "\n"
        }
        out += "Placed by the rule: \(plan.rule).\n\n"
        out += "Utilisation over the horizon (time held ÷ time open × capacity)\n"
        var u = TextTable(["suite or resource", "utilisation", "busy days"], rightAligned: [1, 2])
        for x in analysis.utilisation.sorted(by: { $0.utilisation > $1.utilisation }).prefix(15) {
            u.add([x.name, Fmt.percent(x.utilisation), Fmt.number(x.busyDays)])
        }
        out += u.render()
        if let b = analysis.bottleneck { out += "\nBottleneck: \(b.name) (\(Fmt.percent(b.utilisation)) used).\n" }
        for p in plan.demand.products {
            let total = p.amounts.reduce(0, +)
            if let day = dayToSupply(p.name, total) {
                out +=
                    "\(p.name): the \(Fmt.number(total)) \(p.unit.rawValue) demanded are all supplied by \(date(day)) "
                out += "(\(Fmt.number(day / 365)) years, \(plan.lots.filter { $0.product == p.name }.count) lots).\n"
            }
            if let e = analysis.expired[p.name], e > 1e-9 {
                out += "\(p.name): \(Fmt.number(e)) \(p.unit.rawValue) released expire before they can serve (shelf life).\n"
            }
        }
        if !plan.problems.isEmpty {
            out += "\nWhat cannot be met\n"
            for p in plan.problems { out += "- \(p)\n" }
        }
        out += Self.warningsText(warnings, "the lots are planned")
        return out
    }

    /// A warning of one product's process.
    public struct ProductWarning: Codable, Sendable, Hashable {
        public var product: String
        public var warning: PlausibilityWarning
    }

    /// Each product's process's plausibility warnings, as its lot report gives them.
    public var warnings: [ProductWarning] { Self.warnings(plan.demand) }

    /// Each product's process's plausibility warnings in a demand.
    public static func warnings(_ demand: Demand) -> [ProductWarning] {
        demand.products.flatMap { p in
            p.process.plausibilityWarnings.map { ProductWarning(product: p.name, warning: $0) }
        }
    }

    /// The warnings as the capacity reports print them, or nothing.
    public static func warningsText(_ warnings: [ProductWarning], _ what: String) -> String {
        guard !warnings.isEmpty else { return "" }
        var out = "\nWarnings (\(what); these process values are outside what is usual)\n"
        for w in warnings {
            out += "  - \(w.product): \(w.warning.field): \(w.warning.message). Typical: \(w.warning.typical). Source: \(w.warning.source).\n"
        }
        return out
    }

    /// Days between successive lot starts of a product in one suite (the suite's cycle), from the plan.
    func suiteCycle(_ product: String) -> Double {
        var gaps: [Double] = []
        for s in plan.facility.suites.indices {
            let starts = plan.lots.filter { $0.suite == s && $0.product == product }
                .map {
                    $0.bookings.filter { $0.holder == .suite(s) && $0.stage != .changeover }.map(\.start).min() ?? 0
                }
            gaps += zip(starts, starts.dropFirst()).map { $1 - $0 }
        }
        guard !gaps.isEmpty else { return .nan }
        return gaps.sorted()[gaps.count / 2]
    }

    public struct Data: Codable, Sendable {
        public var format = "vectorfab/plan/1"
        public var facility: String
        public var demand: String
        public var start: String
        public var lots: [Lot]
        public var years: [Year]
        public var utilisation: [Use]
        public var bottleneck: String?
        public var problems: [String]
        /// Each product's lot cycle in its suite (shared with the facility simulation and costs).
        public var lotCycles: [LotCycleReport.Row]
        /// Lots started per vector-production suite and year over the horizon.
        public var lotsPerSuiteYear: Double
        /// What the plan and the facility simulation do not dispatch alike, in one line.
        public var dispatch: String
        /// The rule that placed the lots, of those the planner tried.
        public var rule: String
        /// Each product's process's values outside what is usual (not errors).
        public var warnings: [ProductWarning] = []

        public struct Lot: Codable, Sendable {
            public var number: Int
            public var product: String
            public var suite: String
            public var released: String
            public var releasedDay: Double
            public var patients: Int
            public var doses: Int
            public var stages: [Stage]
        }
        public struct Stage: Codable, Sendable {
            public var stage: String
            public var on: String
            public var startDay: Double
            public var endDay: Double
            public var start: String
            public var end: String
        }
        public struct Year: Codable, Sendable {
            public var product: String
            public var year: Int
            public var demand: Double
            public var supplied: Double
            public var served: Double
            public var unmet: Double
        }
        public struct Use: Codable, Sendable {
            public var name: String
            public var utilisation: Double
        }
    }

    public func data() -> Data {
        let y0 = plan.demand.start.year
        return Data(
            facility: plan.facility.name, demand: plan.demand.name, start: plan.facility.start.description,
            lots: plan.lots.map { lot in
                Data.Lot(
                    number: lot.number, product: lot.product, suite: plan.facility.suites[lot.suite].name,
                    released: date(lot.released), releasedDay: lot.released, patients: lot.patients, doses: lot.doses,
                    stages: lot.bookings.map {
                        Data.Stage(
                            stage: $0.stage.rawValue, on: holderName($0.holder), startDay: $0.start, endDay: $0.end,
                            start: date($0.start), end: date($0.end))
                    })
            },
            years: analysis.products.map {
                Data.Year(
                    product: $0.product, year: y0 + $0.year, demand: $0.demand, supplied: $0.supplied,
                    served: $0.served, unmet: $0.unmet)
            },
            utilisation: analysis.utilisation.map { Data.Use(name: $0.name, utilisation: $0.utilisation) },
            bottleneck: analysis.bottleneck?.name, problems: plan.problems, lotCycles: LotCycleReport.rows(rates),
            lotsPerSuiteYear: analysis.lotsPerSuiteYear, dispatch: dispatchLine, rule: plan.rule, warnings: warnings)
    }

    /// The schedule: one row per stage of every lot.
    public func csv() -> String {
        var rows = [
            ["lot", "product", "stage", "suite_or_resource", "start", "end", "start_day", "end_day", "released"]
        ]
        for lot in plan.lots {
            for b in lot.bookings {
                rows.append([
                    "\(lot.number)", lot.product, b.stage.rawValue, holderName(b.holder), date(b.start), date(b.end),
                    String(format: "%.3f", b.start), String(format: "%.3f", b.end), date(lot.released),
                ])
            }
        }
        return csvDocument(rows)
    }
}
