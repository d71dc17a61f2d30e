import Bioprocess

/// Reads a `costs:` section (inline in a process file, or a `vectorfab/costs/1` file it
/// references), checking it against the process it prices.
public enum CostReader {
    public static let format = "vectorfab/costs/1"

    enum Allocation: String, CaseIterable { case suiteTime = "suite-time" }

    public static func parse(
        _ node: DocumentNode?, process p: ProcessDefinition, path: FieldPath, issues: IssueCollector
    )
        -> CostModel?
    {
        guard let node else { return nil }
        let r = FieldReader(node, path: path, issues: issues)
        if let format = r.optionalString("vectorfab", expected: "\"\(format)\""), format != Self.format {
            r.problem(
                "'\(format)' is not a cost format this version reads", at: "vectorfab", expected: "\"\(Self.format)\"")
        }
        guard let currency = r.choice("currency", Currency.self) else {
            r.finish()
            return nil
        }
        var c = CostModel(currency: currency)
        let money = currency.dimension
        let cur = currency.rawValue

        /// A required amount of money per `per` (nil: per lot or per item).
        func price(_ r: FieldReader, _ key: String, per: UnitDimension = .none, example: String, required: Bool = true)
            -> Double
        {
            let expected = "an amount in \(cur) such as \"\(example)\""
            if !r.has(key) {
                if required {
                    r.issues.add("missing field '\(key)'", at: r.node, path: r.path.appending(key), expected: expected)
                }
                return 0
            }
            return r.optionalMeasurement(key, dimensions: [money / per], expected: expected, bound: .nonNegative)?.0
                .canonical ?? .nan
        }

        c.successRate = r.quantity("success-rate", Fraction.self, bound: .yield).value

        if let m = r.mapping("materials") {
            let usesPlasmid: Bool, usesVirus: Bool, usesReagent: Bool
            switch p.production.induction {
            case .transfection: (usesPlasmid, usesVirus, usesReagent) = (true, false, true)
            case .infection: (usesPlasmid, usesVirus, usesReagent) = (false, true, false)
            case .stableProducer(let sp): (usesPlasmid, usesVirus, usesReagent) = (false, false, sp.concentration != nil)
            }
            c.medium = price(m, "medium", per: Volume.dimension, example: "60 \(cur)/L")
            c.buffer = price(m, "buffer", per: Volume.dimension, example: "8 \(cur)/L")
            c.plasmid = price(m, "plasmid", per: Mass.dimension, example: "80000 \(cur)/g", required: usesPlasmid)
            c.reagent = price(m, "reagent", per: Mass.dimension, example: "5000 \(cur)/g", required: usesReagent)
            c.virus = price(
                m, "virus", per: InfectiousAmount.dimension, example: "1e-9 \(cur)/pfu", required: usesVirus)
            c.seedVessel = price(m, "seed-vessel", example: "150 \(cur)")
            // One price, or one per platform so that a cost file serves several platforms.
            let platforms = Set(PlatformKind.allCases.map(\.rawValue))
            if case .mapping(let keys)? = m.node("production-unit", required: false, expected: "")?.value,
                keys.allSatisfy({ platforms.contains($0.key) }), let byPlatform = m.mapping("production-unit")
            {
                let kind = p.production.platform.kind
                for other in PlatformKind.allCases where other != kind { _ = byPlatform.has(other.rawValue) }
                c.productionUnit = price(byPlatform, kind.rawValue, example: "25000 \(cur)")
                byPlatform.finish()
            } else {
                c.productionUnit = price(m, "production-unit", example: "25000 \(cur)")
            }
            c.vial = price(m, "vial", example: "12 \(cur)", required: p.fill != nil)
            c.fillSingleUse = price(m, "fill-single-use", example: "3000 \(cur)", required: p.fill != nil)
            m.finish()
        }

        c.steps = Array(repeating: StepCosts(), count: p.downstream.count)
        let needsSteps = p.downstream.contains {
            switch $0.operation {
            case .harvest, .hold: false
            default: true
            }
        }
        if let s = r.mapping("steps", required: needsSteps, expected: "the costs of each downstream step, by step name")
        {
            for (i, step) in p.downstream.enumerated() {
                var priced = true
                if case .harvest = step.operation { priced = false }
                if case .hold = step.operation { priced = false }
                // Harvest and hold steps only have an optional single-use cost.
                guard let sr = s.mapping(step.name, required: priced, expected: "the costs of step '\(step.name)'")
                else { continue }
                var sc = StepCosts()
                switch step.operation {
                case .chromatography:
                    sc.resin = price(sr, "resin", per: Volume.dimension, example: "250000 \(cur)/L")
                    sc.resinLifetime = sr.number("resin-lifetime", expected: "the cycles a resin lasts, such as 50")
                case .clarification, .sterileFiltration:
                    sc.filter = price(sr, "filter", per: Area.dimension, example: "1000 \(cur)/m²")
                case .tangentialFlow:
                    sc.membrane = price(sr, "membrane", per: Area.dimension, example: "4000 \(cur)/m²")
                    sc.membraneLifetime =
                        sr.optionalNumber("membrane-lifetime", expected: "the lots a membrane lasts (1: single-use)")
                        ?? 1
                case .harvest, .hold: break
                }
                sc.singleUse = price(sr, "single-use", example: "2000 \(cur)", required: false)
                sr.finish()
                c.steps[i] = sc
            }
            s.finish()
        }

        if let l = r.mapping("labour") {
            c.labourRate = price(l, "rate", per: Duration.dimension, example: "100 \(cur)/h")
            c.shiftLength = l.quantity("shift-length", Duration.self)
            func crew(_ key: String, required: Bool) -> Crew {
                guard let cr = l.mapping(key, required: required, expected: "staff per shift and shifts per day") else {
                    return Crew(staff: 0, shiftsPerDay: 1)
                }
                let crew = Crew(
                    staff: cr.number("staff", bound: .nonNegative, expected: "people per shift, such as 4"),
                    shiftsPerDay: cr.number("shifts-per-day", expected: "shifts a day while the stage runs, such as 1"))
                cr.finish()
                return crew
            }
            c.upstreamCrew = crew("upstream", required: true)
            c.downstreamCrew = crew("downstream", required: true)
            c.fillCrew = crew("fill", required: p.fill != nil)
            l.finish()
        }

        if let q = r.mapping("qc") {
            c.qcPerLot = price(q, "per-lot", example: "50000 \(cur)")
            let names = p.qualityControl.release.map(\.test) + p.qualityControl.inProcess.map(\.test)
            if let t = q.mapping("tests", required: !names.isEmpty, expected: "the cost of each QC test, by test name")
            {
                c.releaseTests = p.qualityControl.release.map { price(t, $0.test, example: "3000 \(cur)") }
                c.inProcessTests = p.qualityControl.inProcess.map { price(t, $0.test, example: "500 \(cur)") }
                t.finish()
            }
            q.finish()
        }

        if let f = r.mapping("facility") {
            c.capital = price(f, "capital", example: "30 M\(cur)", required: false)
            if f.has("capital") || f.has("depreciation") {
                c.depreciation = f.quantity("depreciation", Duration.self)
            }
            c.yearlyOverhead = price(f, "yearly-overhead", example: "3 M\(cur)")
            let lots = f.optionalNumber("lots-per-year", expected: "the lots a year the facility's cost is spread over")
            let byTime = f.optionalChoice("allocation", Allocation.self)
            switch (lots, byTime) {
            case (let n?, nil): c.allocation = .lotsPerYear(n)
            case (nil, .suiteTime?): c.allocation = .suiteTime
            default:
                if !f.has("lots-per-year") && !f.has("allocation") || f.has("lots-per-year") && f.has("allocation") {
                    f.problem(
                        "must give exactly one of 'lots-per-year' and 'allocation: suite-time'",
                        expected: "how the yearly cost is spread over lots")
                }
            }
            c.scaleExponent = f.optionalNumber("scale-exponent", expected: "a power-law exponent such as 0.6")
            f.finish()
        }
        r.finish()
        return c
    }
}

extension CostReader {
    /// The nominal share of lots that pass written in a process document's `costs:` section
    /// (its reference already resolved), for capacity planning; nil when the document has no
    /// costs, no `success-rate`, or one that cannot be read (the cost report says why).
    public static func successRate(inProcess document: DocumentNode) -> Double? {
        let issues = IssueCollector()
        let r = FieldReader(document, path: .root, issues: issues)
        guard let costs = r.mapping("costs", required: false, expected: "the process's costs"),
            costs.has("success-rate"),
            let rate = costs.optionalQuantity("success-rate", Fraction.self, bound: .yield), issues.issues.isEmpty
        else { return nil }
        return rate.value
    }
}
