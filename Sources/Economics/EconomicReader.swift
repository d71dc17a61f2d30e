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
            root.node("price", required: false, expected: ""), currency: costs?.currency, issues: issues)
        try issues.throwIfAny()
        try ProcessReader.checkFeasible(process, document: document)
        guard let costs else { throw DefinitionError(issues.issues) }
        var parameters: [UncertainParameter] = []
        var problems: [DefinitionIssue] = []
        for input in issues.uncertain {
            guard let set = setter(for: input.path, process: process) else {
                problems.append(
                    DefinitionIssue(
                        location: input.location, path: input.path, message: "this field cannot be a distribution",
                        expected: "a single value"))
                continue
            }
            parameters.append(UncertainParameter(input: input, label: document.readablePath(input.path), set: set))
        }
        if !problems.isEmpty { throw DefinitionError(problems) }
        return EconomicModel(process: process, costs: costs, price: price, parameters: parameters)
    }

    static func readPrice(_ node: DocumentNode?, currency: Currency?, issues: IssueCollector) -> PriceInputs? {
        guard let node, let currency else { return nil }
        let r = FieldReader(node, path: FieldPath([.key("price")]), issues: issues)
        let money = currency.dimension
        let cur = currency.rawValue
        func amount(_ key: String, example: String) -> Double? {
            r.optionalMeasurement(key, dimensions: [money], expected: "an amount in \(cur) such as \"\(example)\"")?.0
                .canonical
        }
        if !r.has("development-cost") {
            r.problem("missing field 'development-cost'", expected: "an amount such as \"500 M\(cur)\"")
        }
        if !r.has("distribution") {
            r.problem(
                "missing field 'distribution'", expected: "a share of the price such as \"8 %\", or an amount per dose")
        }
        let distribution: Either<Quantity<Fraction>, Double>
        if let share = r.optionalMeasurement(
            "distribution", dimensions: [.none, money],
            expected: "a share of the price such as \"8 %\", or an amount per dose such as \"20000 \(cur)\"",
            bound: .nonNegative)
        {
            distribution =
                share.0.unit.dimension == .none ? .first(Quantity(share.0.canonical)) : .second(share.0.canonical)
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

    /// The setter of a process, cost or price field.
    public static func setter(for path: FieldPath, process: ProcessDefinition) -> EconomicSetter? {
        guard case .key(let top)? = path.components.first else { return nil }
        switch top {
        case "costs": return costSetter(Array(path.components.dropFirst()), process: process)
        case "price": return priceSetter(Array(path.components.dropFirst()))
        default:
            guard let set = ProcessParameters.setter(for: path) else { return nil }
            return { m, v in set(&m.process, v) }
        }
    }

    static func costSetter(_ c: [FieldPath.Component], process: ProcessDefinition) -> EconomicSetter? {
        let k = FieldPath.keys(c)
        switch k {
        case ["success-rate"]: return { m, v in m.costs.successRate = v }
        case ["materials", "medium"]: return { m, v in m.costs.medium = v }
        case ["materials", "plasmid"]: return { m, v in m.costs.plasmid = v }
        case ["materials", "reagent"]: return { m, v in m.costs.reagent = v }
        case ["materials", "virus"]: return { m, v in m.costs.virus = v }
        case ["materials", "buffer"]: return { m, v in m.costs.buffer = v }
        case ["materials", "seed-vessel"]: return { m, v in m.costs.seedVessel = v }
        case ["materials", "production-unit"]: return { m, v in m.costs.productionUnit = v }
        case ["materials", "production-unit", process.production.platform.kind.rawValue]:
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
        case ["qc", "per-lot"]: return { m, v in m.costs.qcPerLot = v }
        case ["facility", "capital"]: return { m, v in m.costs.capital = v }
        case ["facility", "depreciation"]: return { m, v in m.costs.depreciation.canonical = v }
        case ["facility", "yearly-overhead"]: return { m, v in m.costs.yearlyOverhead = v }
        case ["facility", "lots-per-year"]: return { m, v in m.costs.allocation = .lotsPerYear(v) }
        default: break
        }
        if k.count == 3, k[0] == "qc", k[1] == "tests" {
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
