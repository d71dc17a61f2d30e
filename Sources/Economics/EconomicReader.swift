import Bioprocess

/// Reads a process file with its `costs:` (and optional `price:`) into an ``EconomicModel``,
/// reporting every mistake of all three at once.
public enum EconomicReader {
    public static func read(_ document: DocumentNode) throws(DefinitionError) -> EconomicModel {
        let issues = IssueCollector()
        let process = ProcessReader.parse(document, issues: issues, extensions: ["costs", "price"])
        let root = FieldReader(document, path: .root, issues: IssueCollector())
        let costsNode = root.node("costs", required: false, expected: "")
        if costsNode == nil {
            issues.add(
                "missing field 'costs'", at: document, path: FieldPath([.key("costs")]),
                expected: "a costs section, or the path of a cost file (costs: costs.yaml)")
        }
        let costs = CostReader.parse(costsNode, process: process, path: FieldPath([.key("costs")]), issues: issues)
        let price = readPrice(
            root.node("price", required: false, expected: ""), currency: costs?.currency,
            rates: costs?.exchangeRates ?? [:], issues: issues)
        try issues.throwIfAny()
        try ProcessReader.checkFeasible(process, document: document)
        guard let costs else { throw DefinitionError(issues.issues) }
        var parameters: [UncertainParameter] = []
        var problems: [DefinitionIssue] = []
        for input in issues.uncertain {
            guard let set = setter(for: input.path, process: process, costs: costs) else {
                problems.append(
                    DefinitionIssue(
                        location: input.location, path: input.path, message: "this field cannot be a distribution",
                        expected: "a single value"))
                continue
            }
            // A distribution written in another currency is sampled in it and converted at the rate.
            let factor = MoneyReader.factor(input.dimension, into: costs.currency, rates: costs.exchangeRates)
            var converted = set
            if factor != 1 { converted = { m, v in set(&m, v * factor) } }
            parameters.append(
                UncertainParameter(input: input, label: document.readablePath(input.path), set: converted))
        }
        if !problems.isEmpty { throw DefinitionError(problems) }
        return EconomicModel(process: process, costs: costs, price: price, parameters: parameters)
    }

    static func readPrice(
        _ node: DocumentNode?, currency: Currency?, rates: [Currency: Double] = [:], issues: IssueCollector
    ) -> PriceInputs? {
        guard let node, let currency else { return nil }
        let r = FieldReader(node, path: FieldPath([.key("price")]), issues: issues)
        let cur = currency.rawValue
        let money = MoneyReader(currency: currency, rates: rates)
        func amount(_ key: String, example: String) -> Double? {
            money.amount(r, key, expected: "an amount in \(cur) such as \"\(example)\"", bound: .positive)
        }
        if !r.has("development-cost") {
            r.problem("missing field 'development-cost'", expected: "an amount such as \"500 M\(cur)\"")
        }
        if !r.has("distribution") {
            r.problem(
                "missing field 'distribution'", expected: "a share of the price such as \"8 %\", or an amount per dose")
        }
        let distribution: Either<Quantity<Fraction>, Double>
        let distributionExpected =
            "a share of the price such as \"8 %\", or an amount per dose such as \"20000 \(cur)\""
        if let share = r.optionalMeasurement(
            "distribution", dimensions: [.none] + Currency.allCases.map(\.dimension), expected: distributionExpected,
            bound: .nonNegative)
        {
            distribution =
                share.0.unit.dimension == .none
                ? .first(Quantity(share.0.canonical))
                : .second(
                    money.convert(share.0, share.1, r, "distribution", per: .none, expected: distributionExpected)
                        ?? .nan)
            if case .first(let f) = distribution, f.value >= 1 {
                r.problem(
                    "a distribution share of 100 % or more leaves nothing", at: "distribution",
                    expected: "a share below 100 %")
            }
        } else {
            distribution = .second(.nan)
        }
        let inputs = PriceInputs(
            developmentCost: amount("development-cost", example: "500 M\(cur)") ?? .nan,
            expectedPatients: r.number("expected-patients", expected: "patients treated over the period, such as 2000"),
            years: r.quantity("years", Duration.self),
            distribution: distribution,
            margin: r.quantity("margin", Fraction.self, bound: .nonNegative).value,
            listPrice: amount("list-price", example: "2 M\(cur)"))
        r.finish()
        return inputs
    }

    /// The setter of a process, cost or price field (`costs` finds the campaign's items and the
    /// purchases by their place in the file).
    public static func setter(for path: FieldPath, process: ProcessDefinition, costs: CostModel? = nil)
        -> EconomicSetter?
    {
        guard case .key(let top)? = path.components.first else { return nil }
        switch top {
        case "costs": return costSetter(Array(path.components.dropFirst()), process: process, costs: costs)
        case "price": return priceSetter(Array(path.components.dropFirst()))
        default:
            guard let set = ProcessParameters.setter(for: path) else { return nil }
            return { m, v in set(&m.process, v) }
        }
    }

    static func costSetter(_ c: [FieldPath.Component], process: ProcessDefinition, costs: CostModel?)
        -> EconomicSetter?
    {
        let k = FieldPath.keys(c)
        let platform = process.production.platform.kind.rawValue
        switch k {
        case ["success-rate"]: return { m, v in m.costs.successRate = v }
        case ["materials", "medium"]: return { m, v in m.costs.medium = v }
        case ["materials", "plasmid"]: return { m, v in m.costs.plasmid = v }
        case ["materials", "reagent"]: return { m, v in m.costs.reagent = v }
        case ["materials", "virus"]: return { m, v in m.costs.virus = v }
        case ["materials", "buffer"]: return { m, v in m.costs.buffer = v }
        case ["materials", "seed-vessel"]: return { m, v in m.costs.seedVessel = v }
        case ["materials", "production-unit"]: return { m, v in m.costs.productionUnit = v }
        case ["materials", "production-unit", platform]:
            return { m, v in m.costs.productionUnit = v }
        case ["materials", "vial"]: return { m, v in m.costs.vial = v }
        case ["materials", "fill-single-use"]: return { m, v in m.costs.fillSingleUse = v }
        case ["labour", "rate"]: return { m, v in m.costs.labourRate = v }
        case ["labour", "shift-length"]: return { m, v in m.costs.shiftLength.canonical = v }
        case ["labour", "upstream", "staff"]: return { m, v in m.costs.upstreamCrew.staff = v }
        case ["labour", "downstream", "staff"]: return { m, v in m.costs.downstreamCrew.staff = v }
        case ["labour", "fill", "staff"]: return { m, v in m.costs.fillCrew.staff = v }
        case ["labour", "upstream", "shifts-per-day"]: return { m, v in m.costs.upstreamCrew.shiftsPerDay = v }
        case ["labour", "downstream", "shifts-per-day"]: return { m, v in m.costs.downstreamCrew.shiftsPerDay = v }
        case ["labour", "fill", "shifts-per-day"]: return { m, v in m.costs.fillCrew.shiftsPerDay = v }
        case ["labour", "time-per-handling"]: return { m, v in m.costs.timePerHandling = v }
        case ["labour", "staff", "cost-per-fte"]:
            return { m, v in for role in StaffRoleKind.allCases { m.costs.staff?[role].costPerFTE = v } }
        case ["qc", "per-lot"]: return { m, v in m.costs.qcPerLot = v }
        case ["qc", "labour"]: return { m, v in m.costs.qcLabour = v }
        case ["qc", "supplies"]: return { m, v in m.costs.qcSupplies = v }
        case ["qc", "outsourced"]: return { m, v in m.costs.qcOutsourced = v }
        case ["facility", "capital"], ["facility", "capital", platform]: return { m, v in m.costs.capital = v }
        case ["facility", "depreciation"]: return { m, v in m.costs.depreciation.canonical = v }
        case ["facility", "yearly-overhead"], ["facility", "yearly-overhead", platform]:
            return { m, v in m.costs.yearlyOverhead = v }
        case ["facility", "floor-area"], ["facility", "floor-area", platform]:
            return { m, v in m.costs.floorArea = v }
        case ["facility", "capital-per-m2"]: return { m, v in m.costs.capitalPerArea = v }
        case ["facility", "yearly-overhead-per-m2"]: return { m, v in m.costs.overheadPerArea = v }
        case ["facility", "lots-per-year"]: return { m, v in m.costs.allocation = .lotsPerYear(v) }
        case ["campaign", "lots"]: return { m, v in m.costs.campaign?.lots = v }
        default: break
        }
        if k.count == 3, k[0] == "labour", k[1] == "staff", let role = StaffRoleKind(rawValue: k[2]) {
            return { m, v in m.costs.staff?[role].fte = v }
        }
        if k.count == 4, k[0] == "labour", k[1] == "staff", k[2] == "cost-per-fte",
            let role = StaffRoleKind(rawValue: k[3])
        {
            return { m, v in m.costs.staff?[role].costPerFTE = v }
        }
        if k.count == 3, k[0] == "campaign", k[1] == "items",
            let i = costs?.campaign?.items.firstIndex(where: { $0.name == k[2] })
        {
            return { m, v in m.costs.campaign?.items[i].amount = v }
        }
        if k.count == 3, k[0] == "purchases", let material = PurchasedMaterial(rawValue: k[1]),
            let i = costs?.purchases.firstIndex(where: { $0.material == material })
        {
            switch k[2] {
            case "size": return { m, v in m.costs.purchases[i].size = v }
            case "minimum-quantity": return { m, v in m.costs.purchases[i].minimumQuantity = v }
            case "minimum-order": return { m, v in m.costs.purchases[i].minimumAmount = v }
            case "lots-per-order": return { m, v in m.costs.purchases[i].lotsPerOrder = v }
            default: return nil
            }
        }
        if k.count == 3 || k.count == 4 && k[3] == "price", k[0] == "qc", k[1] == "tests" {
            if let i = process.qualityControl.release.firstIndex(where: { $0.test == k[2] }) {
                return { m, v in m.costs.releaseTests[i] = v }
            }
            if let i = process.qualityControl.inProcess.firstIndex(where: { $0.test == k[2] }) {
                return { m, v in m.costs.inProcessTests[i] = v }
            }
        }
        if k.count == 3, k[0] == "steps", let i = process.downstream.firstIndex(where: { $0.name == k[1] }) {
            switch k[2] {
            case "resin": return { m, v in m.costs.steps[i].resin = v }
            case "resin-lifetime": return { m, v in m.costs.steps[i].resinLifetime = v }
            case "filter": return { m, v in m.costs.steps[i].filter = v }
            case "membrane": return { m, v in m.costs.steps[i].membrane = v }
            case "membrane-lifetime": return { m, v in m.costs.steps[i].membraneLifetime = v }
            case "single-use": return { m, v in m.costs.steps[i].singleUse = v }
            default: return nil
            }
        }
        return nil
    }

    static func priceSetter(_ c: [FieldPath.Component]) -> EconomicSetter? {
        switch FieldPath.keys(c) {
        case ["development-cost"]: return { m, v in m.price?.developmentCost = v }
        case ["expected-patients"]: return { m, v in m.price?.expectedPatients = v }
        case ["years"]: return { m, v in m.price?.years.canonical = v }
        case ["margin"]: return { m, v in m.price?.margin = v }
        case ["list-price"]: return { m, v in m.price?.listPrice = v }
        case ["distribution"]:
            return { m, v in
                switch m.price?.distribution {
                case .first?: m.price?.distribution = .first(Quantity(v))
                case .second?: m.price?.distribution = .second(v)
                case nil: break
                }
            }
        default: return nil
        }
    }
}
