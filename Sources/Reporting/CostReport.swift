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

/// The name of a line of cost, in the process's own words (and the cost file's, for the
/// campaign's items and outsourced tests).
public func costItemLabel(_ item: CostItem, _ p: ProcessDefinition, _ costs: CostModel? = nil) -> String {
    func step(_ i: Int) -> String { p.downstream[i].name }
    func outsourced(_ flags: [Bool]?, _ i: Int) -> String {
        (flags.map { i < $0.count && $0[i] } ?? false) ? " (outsourced)" : ""
    }
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
    case .purchase(let m):
        let name =
            switch m {
            case .medium: "Culture medium"
            case .buffer: "Process buffers"
            case .plasmid: "Plasmid DNA"
            case .reagent: "Transfection reagent"
            case .virus: "Helper virus"
            }
        return "\(name): whole purchase sizes and minimum order, beyond what the lot uses"
    case .labour(let s): return "Labour, \(s.label)"
    case .handlings: return "Labour, open manual handlings"
    case .staff(.production, let s): return "Production staff, \(s.label) share"
    case .staff(.qc, _): return "QC staff (analysts)"
    case .staff(.qa, _): return "QA staff (batch review, release)"
    case .staff(.support, let s): return "Support staff, \(s.label) share"
    case .releaseTest(let i):
        return "Release test\(outsourced(costs?.releaseTestsOutsourced, i)): \(p.qualityControl.release[i].test)"
    case .inProcessTest(let i):
        return "In-process test\(outsourced(costs?.inProcessTestsOutsourced, i)): \(p.qualityControl.inProcess[i].test)"
    case .qcPerLot: return "QC per lot (raw materials, environment, review)"
    case .qcLabour: return "QC labour per lot (analysts)"
    case .qcSupplies: return "QC supplies per lot (reagents, consumables, reference standards)"
    case .qcOutsourced: return "QC outsourced per lot (contract laboratories)"
    case .facility(let s): return "Facility, \(s.label) share"
    case .campaign(let i):
        let name = costs?.campaign.flatMap { i < $0.items.count ? $0.items[i].name : nil } ?? "item \(i + 1)"
        return "Campaign: \(name), spread over \(Fmt.number(costs?.campaign?.lots ?? .nan)) lots"
    }
}

/// A category's cost as published cost-of-goods breakdowns give it.
public struct CategoryCost: Sendable, Hashable {
    public var category: CostCategory
    /// In one lot made, passed or failed.
    public var perLotMade: Double
    /// Carried by each released lot: its own and its share of the failed lots'.
    public var perLotReleased: Double
    /// Per dose of a released lot; infinite when a lot makes no dose.
    public var perDose: Double
    /// Of the whole cost (the same made or released).
    public var share: Double
}

/// The parts QC is split into.
public enum QCPart: String, Sendable, Hashable, CaseIterable {
    case labour, supplies, outsourced
    case inHouseTests = "in-house tests"
    case notSplit = "not split"

    public var label: String {
        switch self {
        case .labour: "labour (analysts)"
        case .supplies: "supplies"
        case .outsourced: "outsourced tests"
        case .inHouseTests: "in-house tests (labour and supplies)"
        case .notSplit: "per lot, not split"
        }
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
        let stages = shownStages
        let shown = shownCategories
        out += "By category, as published cost-of-goods breakdowns state it\n"
        var g = TextTable(["category", "per lot made", "per released lot", "per dose", "share"], rightAligned: [1, 2, 3, 4])
        for k in shown {
            g.add([
                k.category.label, Fmt.money(k.perLotMade, c), Fmt.money(k.perLotReleased, c), Fmt.money(k.perDose, c),
                Fmt.percent(k.share),
            ])
        }
        g.add([
            "total", Fmt.money(cost.perLotAttempted, c), Fmt.money(cost.perLotReleased, c), Fmt.money(cost.perDose, c),
            Fmt.percent(shown.reduce(0) { $0 + $1.share }),
        ])
        out += g.render() + "\n"
        out += "By category and stage (one lot made, passed or failed)\n"
        var t = TextTable(
            ["category"] + stages.map(\.label) + ["total", "share"], rightAligned: Set(1...(stages.count + 2)))
        let total = cost.matrix.total
        for category in shown.map(\.category) {
            t.add(
                [category.label] + stages.map { Fmt.money(cost.matrix[$0, category], c) }
                    + [Fmt.money(cost.matrix.total(category), c), Fmt.percent(cost.matrix.total(category) / total)])
        }
        t.add(
            ["total"] + stages.map { Fmt.money(cost.matrix.total($0), c) } + [Fmt.money(total, c), "100 %"])
        out += t.render() + "\n"
        let split = qcSplit
        let qc = cost.matrix.total(CostCategory.qc)
        if qc > 0 {
            out += "QC split (one lot made)\n"
            var q = TextTable(["part", "amount", "share of QC"], rightAligned: [1, 2])
            for part in QCPart.allCases {
                guard let amount = split[part], amount != 0 else { continue }
                q.add([part.label, Fmt.money(amount, c), Fmt.percent(amount / qc)])
            }
            out += q.render() + "\n"
        }
        var k = TextTable(["figure", "value"], rightAligned: [1])
        k.add(["Per lot made", Fmt.money(cost.perLotAttempted, c)])
        k.add(["Failed lots' share (carried by released lots)", Fmt.money(cost.failedLotsShare, c)])
        k.add(["Per released lot", Fmt.money(cost.perLotReleased, c)])
        k.add(["Per dose", Fmt.money(cost.perDose, c)])
        if p.product.dose.dosesPerPatient > 1 {
            k.add(["Per patient", Fmt.money(cost.perDose * Double(p.product.dose.dosesPerPatient), c)])
        }
        if let b = particles {
            // What a dose holds besides its vector, as the lot report balances it.
            k.add(["\(b.kind == .capsids ? "Capsids" : "Particles") per dose", "\(Fmt.number(b.particlesPerDose)) \(b.symbol)"])
            if b.kind == .capsids { k.add(["Full capsids in the bulk", Fmt.percent(b.bulk.vectorShare)]) }
        }
        out += k.render() + "\n"
        out += lotsPerYearLine() + "\n\n"
        out += "Lines\n"
        var l = TextTable(["stage", "category", "item", "amount", "share"], rightAligned: [3, 4])
        for line in lines.sorted(by: { $0.amount > $1.amount }) where line.amount != 0 {
            l.add([
                line.stage.label, line.category.label, costItemLabel(line.item, p, model.costs), Fmt.money(line.amount, c),
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
        out += ProcessDefinition.warningsText(warnings, "the lot is costed")
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

    /// The cost by category — direct materials, labour, QC, indirect/facility, campaign — per
    /// lot made, per released lot and per dose, with its share. The categories sum to the total.
    public var categories: [CategoryCost] {
        let total = cost.matrix.total
        return CostCategory.allCases.map { category in
            let made = cost.matrix.total(category)
            let released = made / cost.successRate
            return CategoryCost(
                category: category, perLotMade: made, perLotReleased: released,
                perDose: cost.doses > 0 ? released / Double(cost.doses) : .infinity,
                share: total > 0 ? made / total : .nan)
        }
    }

    /// The categories a report shows: the campaign only when the costs have one.
    public var shownCategories: [CategoryCost] {
        categories.filter { $0.category != .campaign || model.costs.campaign != nil }
    }

    /// The stages a report shows: the campaign only when the costs have one.
    public var shownStages: [CostStage] {
        CostStage.allCases.filter { $0 != .campaign || model.costs.campaign != nil }
    }

    /// QC (one lot made) split into analysts' time, supplies, outsourced tests, in-house tests
    /// and what the costs leave unsplit. The parts sum to the QC category.
    public var qcSplit: [QCPart: Double] {
        var split: [QCPart: Double] = [:]
        let costs = model.costs
        for line in lines where line.category == .qc {
            let part: QCPart
            switch line.item {
            case .qcLabour, .staff(.qc, _): part = .labour
            case .qcSupplies: part = .supplies
            case .qcOutsourced: part = .outsourced
            case .releaseTest(let i):
                part = i < costs.releaseTestsOutsourced.count && costs.releaseTestsOutsourced[i] ? .outsourced : .inHouseTests
            case .inProcessTest(let i):
                part =
                    i < costs.inProcessTestsOutsourced.count && costs.inProcessTestsOutsourced[i] ? .outsourced : .inHouseTests
            default: part = .notSplit
            }
            split[part, default: 0] += line.amount
        }
        return split
    }

    /// The lot's capsids or particles, as the lot report balances them; nil when not stated.
    public var particles: ParticleBalance? { (try? LotReport.simulate(model.process)).flatMap(ParticleBalance.of) }

    /// The process's plausibility warnings: the same as the lot report's.
    public var warnings: [PlausibilityWarning] { model.process.plausibilityWarnings }

    public struct Data: Codable, Sendable {
        public var format = "vectorfab/cost-report/1"
        public var process: String
        public var currency: String
        public var doses: Int
        public var successRate: Double
        public var byStageAndCategory: [String: [String: Double]]
        /// The literature's categories, each with its cost per lot, per dose and share.
        public var categories: [Category]
        /// QC (one lot made) by part: labour, supplies, outsourced tests, in-house tests, not split.
        public var qcSplit: [String: Double]
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
        /// The lot's capsids or particles (as in the lot report); absent when not stated.
        public var particles: ParticleBalance? = nil

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

        public struct Category: Codable, Sendable {
            public var category: String
            public var perLotMade: Double
            public var perLotReleased: Double
            /// Nil when a lot makes no dose.
            public var perDose: Double?
            /// A fraction of the total, 0 to 1.
            public var share: Double
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
            successRate: cost.successRate, byStageAndCategory: matrix,
            categories: categories.map {
                Data.Category(
                    category: $0.category.label, perLotMade: $0.perLotMade, perLotReleased: $0.perLotReleased,
                    perDose: $0.perDose.isFinite ? $0.perDose : nil, share: $0.share)
            },
            qcSplit: Dictionary(uniqueKeysWithValues: qcSplit.map { ($0.key.rawValue, $0.value) }),
            perLotMade: cost.perLotAttempted,
            failedLotsShare: cost.failedLotsShare, perLotReleased: cost.perLotReleased,
            perDose: cost.perDose.isFinite ? cost.perDose : nil,
            lines: lines.map {
                Data.Line(
                    stage: $0.stage.label, category: $0.category.label,
                    item: costItemLabel($0.item, model.process, model.costs),
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
            }(), particles: particles)
    }

    public func csv() -> String {
        let cur = model.costs.currency.rawValue
        var rows = [["stage", "category", "item", "amount", "currency"]]
        for line in lines {
            rows.append([
                line.stage.label, line.category.label, costItemLabel(line.item, model.process, model.costs),
                "\(line.amount)", cur,
            ])
        }
        // The literature's categories (share as a fraction of the total), and QC's parts.
        for k in categories {
            rows.append(["category", k.category.label, "per lot made", "\(k.perLotMade)", cur])
            rows.append(["category", k.category.label, "per released lot", "\(k.perLotReleased)", cur])
            rows.append(["category", k.category.label, "per dose", k.perDose.isFinite ? "\(k.perDose)" : "", cur])
            rows.append(["category", k.category.label, "share", "\(k.share)", ""])
        }
        let split = qcSplit
        for part in QCPart.allCases {
            if let amount = split[part] { rows.append(["QC split", part.rawValue, "per lot made", "\(amount)", cur]) }
        }
        rows.append(["total", "", "per lot made", "\(cost.perLotAttempted)", cur])
        rows.append(["total", "", "per released lot", "\(cost.perLotReleased)", cur])
        rows.append(["total", "", "per dose", cost.perDose.isFinite ? "\(cost.perDose)" : "", cur])
        if let price { rows.append(["price", "", "fair price per dose", "\(price.pricePerDose)", cur]) }
        return csvDocument(rows)
    }
}

extension ProcessDefinition {
    /// The plausibility warnings of the process's nominal lot, as the lot report gives them
    /// (none when the lot cannot be simulated: that is an error, reported as such).
    public var plausibilityWarnings: [PlausibilityWarning] {
        (try? LotReport.simulate(self)).map(Plausibility.warnings) ?? []
    }

    /// The warnings as the text reports print them, or nothing.
    public static func warningsText(_ warnings: [PlausibilityWarning], _ what: String = "the lot is simulated") -> String {
        guard !warnings.isEmpty else { return "" }
        var out = "\nWarnings (\(what); these values are outside what is usual)\n"
        for w in warnings { out += "  - \(w.field): \(w.message). Typical: \(w.typical). Source: \(w.source).\n" }
        return out
    }
}
