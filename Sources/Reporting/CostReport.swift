import Bioprocess
import Economics
import Foundation

extension Fmt {
    /// Money with thousands separators: `2,126,620 USD`, `12.50 EUR`.
    public static func money(_ x: Double, _ c: Currency) -> String {
        guard x.isFinite else { return x.isNaN ? "—" : "∞ (no dose)" }
        if abs(x) >= 1000 { return "\(count(x)) \(c.rawValue)" }
        return String(format: "%.2f %@", x, c.rawValue)
    }
}

/// The name of a line of cost, in the process's own words.
public func costItemLabel(_ item: CostItem, _ p: ProcessDefinition) -> String {
    func step(_ i: Int) -> String { p.downstream[i].name }
    switch item {
    case .medium: return "Culture medium"
    case .plasmid: return "Plasmid DNA"
    case .reagent:
        if case .transfection(let t) = p.production.induction { return "Transfection reagent (\(t.reagent))" }
        return "Transfection reagent"
    case .virus: return "Helper virus"
    case .seedVessels: return "Seed-train vessels"
    case .productionUnits: return "Production \(p.production.platform.kind.unitName) (\(p.production.platform.model))"
    case .resin(let i): return "\(step(i)): resin (\(p.downstream[i].resin ?? "resin"))"
    case .filters(let i): return "\(step(i)): filters"
    case .membranes(let i): return "\(step(i)): membranes"
    case .buffer(let i): return "\(step(i)): buffers"
    case .stepSingleUse(let i): return "\(step(i)): single-use assembly"
    case .vials: return "Vials, stoppers, caps"
    case .fillSingleUse: return "Fill: single-use assembly"
    case .labour(let s): return "Labour, \(s.label)"
    case .releaseTest(let i): return "Release test: \(p.qualityControl.release[i].test)"
    case .inProcessTest(let i): return "In-process test: \(p.qualityControl.inProcess[i].test)"
    case .qcPerLot: return "QC per lot (raw materials, environment, review)"
    case .facility(let s): return "Facility, \(s.label) share"
    }
}

/// A lot's cost of goods and, when the file has a `price:` section, its fair price.
public struct CostReport: Sendable {
    public var model: EconomicModel
    public var summary: LotSummary
    public var cost: LotCost
    public var lines: [CostLines.Line]
    public var price: FairPrice?

    public init(_ model: EconomicModel) throws(SimulationError) {
        self.model = model
        var lines = CostLines()
        summary = try CostCalculator.run(model.process, model.costs, into: &lines)
        cost = CostCalculator.lotCost(summary, model.costs, lines.matrix)
        self.lines = lines.lines
        price = model.price.map {
            FairPrice.compute(
                $0, cogsPerDose: cost.perDose, dosesPerPatient: model.process.product.dose.dosesPerPatient)
        }
    }

    public func text() -> String {
        let c = model.costs.currency
        let p = model.process
        var out = "VectorFab cost of goods — \(p.name)\n"
        out += "Doses per lot: \(Fmt.count(cost.doses)) · batch success rate: \(Fmt.percent(cost.successRate)) · "
        out += "currency: \(c.rawValue)\n\n"
        out += "By category and stage (one lot made, passed or failed)\n"
        var t = TextTable(
            ["category"] + CostStage.allCases.map(\.label) + ["total", "share"], rightAligned: Set(1...6))
        let total = cost.matrix.total
        for category in CostCategory.allCases {
            t.add(
                [category.label] + CostStage.allCases.map { Fmt.money(cost.matrix[$0, category], c) }
                    + [Fmt.money(cost.matrix.total(category), c), Fmt.percent(cost.matrix.total(category) / total)])
        }
        t.add(
            ["total"] + CostStage.allCases.map { Fmt.money(cost.matrix.total($0), c) } + [Fmt.money(total, c), "100 %"])
        out += t.render() + "\n"
        var k = TextTable(["figure", "value"], rightAligned: [1])
        k.add(["Per lot made", Fmt.money(cost.perLotAttempted, c)])
        k.add(["Failed lots' share (carried by released lots)", Fmt.money(cost.failedLotsShare, c)])
        k.add(["Per released lot", Fmt.money(cost.perLotReleased, c)])
        k.add(["Per dose", Fmt.money(cost.perDose, c)])
        if p.product.dose.dosesPerPatient > 1 {
            k.add(["Per patient", Fmt.money(cost.perDose * Double(p.product.dose.dosesPerPatient), c)])
        }
        out += k.render() + "\n"
        out += lotsPerYearLine() + "\n\n"
        out += "Lines\n"
        var l = TextTable(["stage", "category", "item", "amount", "share"], rightAligned: [3, 4])
        for line in lines.sorted(by: { $0.amount > $1.amount }) where line.amount != 0 {
            l.add([
                line.stage.label, line.category.label, costItemLabel(line.item, p), Fmt.money(line.amount, c),
                Fmt.percent(line.amount / total),
            ])
        }
        out += l.render()
        if let price {
            out += "\nFair price per dose (cost-plus)\n"
            var f = TextTable(["component", "per dose"], rightAligned: [1])
            f.add(["Cost of goods", Fmt.money(price.cogsPerDose, c)])
            f.add(["Development, amortised", Fmt.money(price.developmentPerDose, c)])
            f.add(["Distribution", Fmt.money(price.distributionPerDose, c)])
            f.add(["Margin", Fmt.money(price.marginPerDose, c)])
            f.add(["Fair price", Fmt.money(price.pricePerDose, c)])
            if let list = price.listPrice {
                f.add(["List price", Fmt.money(list, c)])
                f.add(["List ÷ fair", Fmt.number(price.listToFair ?? .nan)])
            }
            f.add(["Doses a year over the period", Fmt.number(price.dosesPerYear)])
            out += f.render()
        }
        let warnings = self.warnings
        if !warnings.isEmpty {
            out += "\nWarnings (the lot is costed; these values are outside what is usual)\n"
            for w in warnings { out += "  - \(w.field): \(w.message). Typical: \(w.typical). Source: \(w.source).\n" }
        }
        return out
    }

    /// The lots a year the facility's cost is spread over: stated and computed from the lot's
    /// suite time (``LotCycle``, as the planner and the facility simulation compute it).
    public var lotsPerYear: FacilityLotsPerYear { CostCalculator.lotsPerYear(summary, model.costs) }

    /// One line: the lots a year used, the computed figure beside a stated one, what the
    /// computation assumes, and whether they disagree by more than 10 %.
    public func lotsPerYearLine() -> String {
        let l = lotsPerYear
        let place = l.suite.map { "in \($0)" } ?? "in one suite"
        let computed =
            "\(Fmt.number(l.computed)) computed from the lot's suite time \(place) (a lot holds it \(Fmt.number(l.suiteDays)) d on average, one starts every \(Fmt.number(l.cycleDays)) d: \(l.basis))"
        guard let stated = l.stated else { return "Lots a year (the facility's cost is spread over): \(computed)." }
        var line = "Lots a year (the facility's cost is spread over): \(Fmt.number(stated)) stated in the costs; \(computed)"
        if l.disagrees, let d = l.difference {
            line += " — the stated figure is \(Fmt.percent(abs(d))) \(d > 0 ? "more" : "fewer") than the suite makes"
            if l.suite == nil { line += " (--facility computes it for a site's suite)" }
        }
        return line + "."
    }

    /// The process's plausibility warnings: the same as the lot report's.
    public var warnings: [PlausibilityWarning] { (try? LotReport.simulate(model.process)).map(Plausibility.warnings) ?? [] }

    public struct Data: Codable, Sendable {
        public var format = "vectorfab/cost-report/1"
        public var process: String
        public var currency: String
        public var doses: Int
        public var successRate: Double
        public var byStageAndCategory: [String: [String: Double]]
        public var perLotMade: Double
        public var failedLotsShare: Double
        public var perLotReleased: Double
        /// Nil when a lot makes no dose.
        public var perDose: Double?
        public var lines: [Line]
        public var fairPrice: Price?
        /// Values outside what is usual (not errors).
        public var warnings: [PlausibilityWarning]
        /// The lots a year the facility's cost is spread over, stated and computed.
        public var lotsPerYear: LotsPerYear

        public struct LotsPerYear: Codable, Sendable {
            /// What the costs state (`lots-per-year`); nil with `allocation: suite-time`.
            public var stated: Double?
            /// From the lot's suite time, changeover and closures.
            public var computed: Double
            public var used: Double
            public var suiteDays: Double
            public var cycleDays: Double
            public var basis: String
            public var suite: String?
            /// Stated and computed more than 10 % apart.
            public var disagree: Bool
        }

        public struct Line: Codable, Sendable {
            public var stage: String
            public var category: String
            public var item: String
            public var amount: Double
        }

        public struct Price: Codable, Sendable {
            public var cogsPerDose: Double
            public var developmentPerDose: Double
            public var distributionPerDose: Double
            public var marginPerDose: Double
            public var pricePerDose: Double
            public var listPrice: Double?
            public var listToFair: Double?
        }
    }

    public func data() -> Data {
        var matrix: [String: [String: Double]] = [:]
        for s in CostStage.allCases {
            matrix[s.label] = Dictionary(
                uniqueKeysWithValues: CostCategory.allCases.map { ($0.label, cost.matrix[s, $0]) })
        }
        return Data(
            process: model.process.name, currency: model.costs.currency.rawValue, doses: cost.doses,
            successRate: cost.successRate, byStageAndCategory: matrix, perLotMade: cost.perLotAttempted,
            failedLotsShare: cost.failedLotsShare, perLotReleased: cost.perLotReleased,
            perDose: cost.perDose.isFinite ? cost.perDose : nil,
            lines: lines.map {
                Data.Line(
                    stage: $0.stage.label, category: $0.category.label, item: costItemLabel($0.item, model.process),
                    amount: $0.amount)
            },
            fairPrice: price.map {
                Data.Price(
                    cogsPerDose: $0.cogsPerDose, developmentPerDose: $0.developmentPerDose,
                    distributionPerDose: $0.distributionPerDose, marginPerDose: $0.marginPerDose,
                    pricePerDose: $0.pricePerDose, listPrice: $0.listPrice, listToFair: $0.listToFair)
            }, warnings: warnings,
            lotsPerYear: {
                let l = lotsPerYear
                return Data.LotsPerYear(
                    stated: l.stated, computed: l.computed, used: l.used, suiteDays: l.suiteDays, cycleDays: l.cycleDays,
                    basis: l.basis, suite: l.suite, disagree: l.disagrees)
            }())
    }

    public func csv() -> String {
        let cur = model.costs.currency.rawValue
        var rows = [["stage", "category", "item", "amount", "currency"]]
        for line in lines {
            rows.append([
                line.stage.label, line.category.label, costItemLabel(line.item, model.process), "\(line.amount)", cur,
            ])
        }
        rows.append(["total", "", "per lot made", "\(cost.perLotAttempted)", cur])
        rows.append(["total", "", "per released lot", "\(cost.perLotReleased)", cur])
        rows.append(["total", "", "per dose", cost.perDose.isFinite ? "\(cost.perDose)" : "", cur])
        if let price { rows.append(["price", "", "fair price per dose", "\(price.pricePerDose)", cur]) }
        return csvDocument(rows)
    }
}
