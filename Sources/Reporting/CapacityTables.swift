import Bioprocess
import Capacity
import Economics
import Foundation

/// The tables of a plan, its facility simulation, its materials and a tech transfer, as the
/// pages show them and the downloads write them.
public enum CapacityTables {
    public static func demandAndSupply(_ r: PlanReport) -> DataTable {
        var t = DataTable(
            "Demand and supply",
            columns: [
                .init("product"), .init("year", style: .year), .init("unit"), .init("demand", style: .count),
                .init("supplied", style: .count), .init("served", style: .count), .init("unmet, cumulative", style: .count),
                .init("lots released", style: .count),
            ])
        let y0 = r.plan.demand.start.year
        for row in r.analysis.products {
            let unit = r.plan.demand.products.first { $0.name == row.product }?.unit.rawValue ?? ""
            t.add([
                .text(row.product), .count(y0 + row.year), .text(unit), .number(row.demand), .number(row.supplied), .number(row.served),
                .number(row.unmet), .count(row.lotsReleased),
            ])
        }
        return t
    }

    /// Each product's lot in its suite: what it serves, the lots one suite makes a year, and its
    /// capsids (cp) or particles (VP) from the lot report's balance, blank when the process
    /// states none.
    public static func lotsPerProduct(_ r: PlanReport) -> DataTable {
        var t = DataTable(
            "Lots per product",
            columns: [
                .init("product"), .init("suite"), .init("patients/lot", style: .count), .init("doses/lot", style: .count),
                .init("lots/year", style: .number), .init("released/year", style: .number),
                .init("particles/lot", style: .number), .init("per dose", style: .number), .init("unit"),
                .init("full", unit: "%"),
            ])
        for rate in r.rates {
            let lt = r.plan.templates[rate.product]
            let b = rate.particles
            t.add([
                .text(rate.product), .text(rate.suite), .count(lt?.patients ?? 0), .count(lt?.doses ?? 0),
                .number(rate.lotsPerYear), .number(rate.releasedPerYear),
                b.map { .number($0.bulk.particles) } ?? .text(""), b.map { .number($0.particlesPerDose) } ?? .text(""),
                .text(b?.symbol ?? ""),
                b.flatMap { $0.kind == .capsids ? .number($0.bulk.vectorShare * 100) : nil } ?? .text(""),
            ])
        }
        return t
    }

    public static func utilisation(_ r: PlanReport) -> DataTable {
        var t = DataTable("Utilisation", columns: [.init("suite or resource"), .init("utilisation", unit: "%"), .init("busy", unit: "d")])
        for u in r.analysis.utilisation.sorted(by: { $0.utilisation > $1.utilisation }) {
            t.add([.text(u.name), .number(u.utilisation * 100), .number(u.busyDays)])
        }
        return t
    }

    public static func lotsBySuite(_ r: PlanReport) -> DataTable {
        let y0 = r.plan.demand.start.year
        let years = r.analysis.years
        var t = DataTable(
            "Lots by suite and year",
            columns: [.init("suite"), .init("group")] + (0..<years).map { .init("\(y0 + $0)", style: .count) } + [.init("total", style: .count)])
        for s in r.plan.facility.suites where s.kind == .vectorProduction {
            let counts = r.analysis.lotsBySuite[s.name] ?? Array(repeating: 0, count: years)
            t.add([.text(s.name), .text(s.group ?? "")] + counts.map { .count($0) } + [.count(counts.reduce(0, +))])
        }
        return t
    }

    /// Every stage of every lot.
    public static func schedule(_ r: PlanReport) -> DataTable {
        var t = DataTable(
            "Schedule",
            columns: [
                .init("lot", style: .count), .init("product"), .init("stage"), .init("suite or resource"), .init("start"), .init("end"),
                .init("start", unit: "day"), .init("end", unit: "day"), .init("released"),
            ])
        for lot in r.plan.lots {
            for b in lot.bookings {
                t.add([
                    .count(lot.number), .text(lot.product), .text(b.stage.rawValue), .text(r.holderName(b.holder)), .text(r.date(b.start)),
                    .text(r.date(b.end)), .number(b.start), .number(b.end), .text(r.date(lot.released)),
                ])
            }
        }
        return t
    }

    /// The plan and the facility simulation side by side, product by product and year by year.
    public static func planAndSimulation(_ r: PlanReport, _ s: FacilitySimulationReport) -> DataTable {
        var t = DataTable(
            "Plan and simulation",
            columns: [
                .init("product"), .init("year", style: .year), .init("demand", style: .count), .init("plan served", style: .count),
                .init("simulation mean", style: .count), .init("p5", style: .count), .init("p50", style: .count), .init("p95", style: .count),
            ])
        let y0 = r.plan.demand.start.year
        for (p, name) in s.result.products.enumerated() {
            let served = s.result.served(p)
            for y in 0..<s.result.years {
                let stats = SampleStatistics(served.map { $0[y] })
                let plan = r.analysis.products.first { $0.product == name && $0.year == y }?.served
                t.add([
                    .text(name), .count(y0 + y), .number(s.result.demandByYear[p][y]), .value(plan), .number(stats.mean), .number(stats.p5),
                    .number(stats.p50), .number(stats.p95),
                ])
            }
        }
        return t
    }

    /// One line per product saying whether the plan and the simulation agree on what is served
    /// over the horizon and, where they differ by more than 2 %, what differs between them.
    public static func whyTheyDiffer(_ r: PlanReport, _ s: FacilitySimulationReport) -> [String] {
        let started = s.result.replications.reduce(0) { $0 + $1.lotsStarted }
        let failed = s.result.replications.reduce(0) { $0 + $1.lotsFailed }
        let failedShare = Double(failed) / Double(max(1, started))
        let y0 = r.plan.demand.start.year
        var lines: [String] = []
        for (p, name) in s.result.products.enumerated() {
            let unit = r.plan.demand.products[p].unit.rawValue
            let plan = r.analysis.products.filter { $0.product == name }.reduce(0) { $0 + $1.served }
            let totals = s.result.served(p).map { $0.reduce(0, +) }
            let stats = SampleStatistics(totals)
            let span = "\(y0)–\(y0 + s.result.years - 1)"
            let relative = plan > 0 ? (stats.mean - plan) / plan : (stats.mean > 0 ? 1 : 0)
            var line = "\(name): the plan serves \(Fmt.count(plan)) \(unit) over \(span), the simulation \(Fmt.count(stats.mean)) on average (p5 \(Fmt.count(stats.p5)) – p95 \(Fmt.count(stats.p95)))"
            guard abs(relative) > 0.02 else {
                lines.append(line + ": they agree within 2 %.")
                continue
            }
            var causes: [String] = []
            if failedShare > 0 {
                causes.append(
                    "\(Fmt.percent(failedShare)) of the simulated lots fail at random, where the plan counts each lot's yield times its success rate")
            }
            causes += LotRates.dispatchDifferences(r.plan.facility, r.plan.demand)
            causes.append(
                relative < 0
                    ? "the plan places each lot when the demand needs it, with every stage on time"
                    : "the simulation starts a lot whenever a suite is free, and serves backlog the plan leaves unmet")
            line += ": \(Fmt.percent(abs(relative), digits: 2)) \(relative < 0 ? "fewer" : "more"), because " + causes.joined(separator: "; ") + "."
            lines.append(line)
        }
        return lines
    }

    /// Materials month by month, with the latest day to order each.
    public static func materialsByMonth(_ m: MaterialPlan) -> DataTable {
        var t = DataTable(
            "Materials by month",
            columns: [.init("month"), .init("material"), .init("quantity"), .init("unit"), .init("first use"), .init("order by")])
        for l in m.lines {
            t.add([
                .text(String(l.month.description.prefix(7))), .text(l.material.rawValue), .number(l.quantity), .text(l.material.unit),
                .text(l.firstUse.description), l.latestOrder.map { .text($0.description) } ?? .text("no lead time"),
            ])
        }
        return t
    }

    /// Each material over the horizon: how much, over how many months, from when, and the
    /// first day an order must be placed.
    public static func materialTotals(_ m: MaterialPlan) -> DataTable {
        var t = DataTable(
            "Material totals",
            columns: [.init("material"), .init("unit"), .init("total"), .init("months needed", style: .count), .init("first use"), .init("first order by")])
        for material in materials(m) {
            let lines = m.lines.filter { $0.material == material }
            t.add([
                .text(material.rawValue), .text(material.unit), .number(lines.reduce(0) { $0 + $1.quantity }), .count(lines.count),
                .text(lines.map(\.firstUse).min()?.description ?? ""), .text(lines.compactMap(\.latestOrder).min()?.description ?? "no lead time"),
            ])
        }
        return t
    }

    /// Each material, year by year.
    public static func materialsByYear(_ m: MaterialPlan) -> DataTable {
        let years = Array(Set(m.lines.map(\.month.year))).sorted()
        var t = DataTable("Materials by year", columns: [.init("material"), .init("unit")] + years.map { .init("\($0)") })
        for material in materials(m) {
            let lines = m.lines.filter { $0.material == material }
            t.add([.text(material.rawValue), .text(material.unit)] + years.map { y in .number(lines.filter { $0.month.year == y }.reduce(0) { $0 + $1.quantity }) })
        }
        return t
    }

    static func materials(_ m: MaterialPlan) -> [Material] {
        var order: [Material] = []
        for l in m.lines where !order.contains(l.material) { order.append(l.material) }
        return order
    }

    public static func transferStages(_ t: TechTransfer) -> DataTable {
        var table = DataTable("Transfer stages", columns: [.init("stage"), .init("carried by"), .init("needs")])
        for s in t.stages { table.add([.text(s.stage), .text(s.carriedBy.isEmpty ? "—" : s.carriedBy.joined(separator: ", ")), .text(s.requirement)]) }
        return table
    }
}
