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
        let cur = currency.rawValue

        // Exchange rates first: every amount after may be written in another currency.
        let others = Currency.allCases.filter { $0 != currency }.map(\.rawValue).joined(separator: ", ")
        if let x = r.mapping(
            "exchange-rates", required: false,
            expected: "units of \(cur) per unit of another currency (\(others)), such as {\(others): 0.92}")
        {
            for other in Currency.allCases where other != currency {
                if let rate = x.optionalNumber(
                    other.rawValue, expected: "\(cur) per \(other.rawValue), a number above 0 such as 0.92")
                {
                    c.exchangeRates[other] = rate
                }
            }
            if x.has(cur) {
                x.problem(
                    "\(cur) is the costs' own currency", at: cur,
                    expected: "rates for other currencies only, in \(cur) per unit of each")
            }
            x.finish()
        }
        let money = MoneyReader(currency: currency, rates: c.exchangeRates)

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
            return money.amount(r, key, per: per, expected: expected) ?? .nan
        }

        /// A field that is one value, or a mapping by platform of which the process's is read
        /// (the others are not), so that one cost file serves several platforms.
        func byPlatform(_ r: FieldReader, _ key: String, read: (FieldReader, String) -> Double) -> Double {
            let platforms = Set(PlatformKind.allCases.map(\.rawValue))
            if case .mapping(let keys)? = r.node(key, required: false, expected: "")?.value,
                keys.allSatisfy({ platforms.contains($0.key) }), let byPlatform = r.mapping(key)
            {
                let kind = p.production.platform.kind
                for other in PlatformKind.allCases where other != kind { _ = byPlatform.has(other.rawValue) }
                let value = read(byPlatform, kind.rawValue)
                byPlatform.finish()
                return value
            }
            return read(r, key)
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
            c.productionUnit = byPlatform(m, "production-unit") { price($0, $1, example: "25000 \(cur)") }
            c.vial = price(m, "vial", example: "12 \(cur)", required: p.fill != nil)
            c.fillSingleUse = price(m, "fill-single-use", example: "3000 \(cur)", required: p.fill != nil)
            m.finish()
        }

        if let pr = r.mapping(
            "purchases", required: false,
            expected: "purchase sizes and minimum orders by material (medium, buffer, plasmid, reagent, virus)")
        {
            for material in PurchasedMaterial.allCases {
                guard
                    let m = pr.mapping(
                        material.rawValue, required: false,
                        expected: "size, minimum-order, minimum-quantity and lots-per-order")
                else { continue }
                let (dimension, unit): (UnitDimension, String)
                switch material {
                case .medium, .buffer: (dimension, unit) = (Volume.dimension, "L")
                case .plasmid, .reagent: (dimension, unit) = (Mass.dimension, "g")
                case .virus: (dimension, unit) = (InfectiousAmount.dimension, "pfu")
                }
                var purchase = Purchase(material: material)
                purchase.size =
                    m.optionalMeasurement(
                        "size", dimensions: [dimension],
                        expected: "the quantity of one purchase unit (a batch, a bag), such as \"10 \(unit)\"")?.0
                    .canonical ?? 0
                purchase.minimumQuantity =
                    m.optionalMeasurement(
                        "minimum-quantity", dimensions: [dimension],
                        expected: "the least quantity an order holds, such as \"20 \(unit)\"")?.0.canonical ?? 0
                purchase.minimumAmount = price(m, "minimum-order", example: "50000 \(cur)", required: false)
                purchase.lotsPerOrder =
                    m.optionalNumber(
                        "lots-per-order", bound: .atLeastOne,
                        expected: "the lots one order serves, 1 or more (1: bought for each lot)") ?? 1
                if !m.has("size") && !m.has("minimum-quantity") && !m.has("minimum-order") {
                    m.problem(
                        "gives no purchase size nor minimum order",
                        expected: "at least one of size, minimum-quantity and minimum-order")
                }
                m.finish()
                c.purchases.append(purchase)
            }
            pr.finish()
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

        var qcStaff = false
        if let l = r.mapping("labour") {
            // Annual staff by role, optional; production staff replace the crews.
            var productionStaff = false
            if let st = l.mapping(
                "staff", required: false,
                expected: "annual headcount by role (production, qc, qa, support) and cost-per-fte")
            {
                let roles = StaffRoleKind.allCases.map(\.rawValue)
                var fte: [StaffRoleKind: Double] = [:]
                for role in StaffRoleKind.allCases {
                    if let n = st.optionalNumber(
                        role.rawValue, bound: .nonNegative, expected: "full-time equivalents, such as 12")
                    {
                        fte[role] = n
                    }
                }
                var perRole: [StaffRoleKind: Double] = [:]
                let example = "95 k\(cur)/yr"
                if case .mapping(let keys)? = st.node("cost-per-fte", required: false, expected: "")?.value,
                    keys.allSatisfy({ roles.contains($0.key) }), let byRole = st.mapping("cost-per-fte")
                {
                    for role in StaffRoleKind.allCases {
                        perRole[role] = price(
                            byRole, role.rawValue, per: Duration.dimension, example: example,
                            required: fte[role] != nil)
                    }
                    byRole.finish()
                } else {
                    let one = price(
                        st, "cost-per-fte", per: Duration.dimension, example: example, required: !fte.isEmpty)
                    for role in StaffRoleKind.allCases { perRole[role] = one }
                }
                if fte.isEmpty {
                    st.problem("gives no role", expected: "the headcount of production, qc, qa or support")
                }
                func role(_ kind: StaffRoleKind) -> StaffRole {
                    StaffRole(fte: fte[kind] ?? 0, costPerFTE: perRole[kind] ?? 0)
                }
                c.staff = Staff(production: role(.production), qc: role(.qc), qa: role(.qa), support: role(.support))
                productionStaff = fte[.production] != nil
                qcStaff = fte[.qc] != nil
                st.finish()
            }
            let handlings = l.has("time-per-handling")
            c.labourRate = price(
                l, "rate", per: Duration.dimension, example: "100 \(cur)/h", required: !productionStaff || handlings)
            if !productionStaff || l.has("shift-length") { c.shiftLength = l.quantity("shift-length", Duration.self) }
            c.timePerHandling =
                l.optionalMeasurement(
                    "time-per-handling", dimensions: [Duration.dimension],
                    expected: "one person's time per open manual handling, such as \"0.25 h\"", bound: .nonNegative)?.0
                .canonical ?? 0
            func crew(_ key: String, required: Bool) -> Crew {
                if productionStaff {
                    if l.has(key) {
                        l.problem(
                            "production labour is given twice: by the crews and by 'staff: {production: …}'", at: key,
                            expected: "either the crews (upstream, downstream, fill) or the production staff")
                    }
                    return Crew(staff: 0, shiftsPerDay: 1)
                }
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
            let split = ["labour", "supplies", "outsourced"].filter { q.has($0) }
            c.qcPerLot = price(q, "per-lot", example: "50000 \(cur)", required: split.isEmpty)
            c.qcLabour = price(q, "labour", example: "40000 \(cur)", required: false)
            c.qcSupplies = price(q, "supplies", example: "20000 \(cur)", required: false)
            c.qcOutsourced = price(q, "outsourced", example: "30000 \(cur)", required: false)
            if qcStaff && split.contains("labour") {
                q.problem(
                    "QC labour is given twice: per lot here and a year by 'labour.staff.qc'", at: "labour",
                    expected: "one of qc.labour and labour.staff.qc")
            }
            let names = p.qualityControl.release.map(\.test) + p.qualityControl.inProcess.map(\.test)
            if let t = q.mapping("tests", required: !names.isEmpty, expected: "the cost of each QC test, by test name")
            {
                /// A test's price, and whether it is sent out: `"3000 EUR"` or `{price: "3000 EUR", outsourced: true}`.
                func test(_ name: String, example: String) -> (Double, Bool) {
                    if case .mapping(let keys)? = t.node(name, required: false, expected: "")?.value,
                        keys.contains(where: { $0.key == "price" || $0.key == "outsourced" }),
                        let tm = t.mapping(name)
                    {
                        let cost = price(tm, "price", example: example)
                        let outsourced = tm.optionalBool("outsourced") ?? false
                        tm.finish()
                        return (cost, outsourced)
                    }
                    return (price(t, name, example: example), false)
                }
                let release = p.qualityControl.release.map { test($0.test, example: "3000 \(cur)") }
                let inProcess = p.qualityControl.inProcess.map { test($0.test, example: "500 \(cur)") }
                c.releaseTests = release.map(\.0)
                c.releaseTestsOutsourced = release.map(\.1)
                c.inProcessTests = inProcess.map(\.0)
                c.inProcessTestsOutsourced = inProcess.map(\.1)
                t.finish()
            }
            q.finish()
        }

        if let f = r.mapping("facility") {
            let perArea = f.has("capital-per-m2") || f.has("yearly-overhead-per-m2")
            c.capital = byPlatform(f, "capital") { price($0, $1, example: "30 M\(cur)", required: false) }
            c.capitalPerArea = price(
                f, "capital-per-m2", per: Area.dimension, example: "10000 \(cur)/m²", required: false)
            if f.has("capital") || f.has("capital-per-m2") || f.has("depreciation") {
                c.depreciation = f.quantity("depreciation", Duration.self)
            }
            c.yearlyOverhead = byPlatform(f, "yearly-overhead") {
                price($0, $1, example: "3 M\(cur)", required: !f.has("yearly-overhead-per-m2"))
            }
            c.overheadPerArea = price(
                f, "yearly-overhead-per-m2", per: Area.dimension, example: "1500 \(cur)/m²", required: false)
            if f.has("floor-area") {
                c.floorArea = byPlatform(f, "floor-area") { $0.quantity($1, Area.self).canonical }
                if !perArea {
                    f.problem(
                        "a floor area costs nothing without a price per m²", at: "floor-area",
                        expected: "capital-per-m2 or yearly-overhead-per-m2 beside floor-area")
                }
            } else if perArea {
                f.problem(
                    "missing field 'floor-area'", expected: "the floor area the process takes, such as \"1200 m²\"")
            }
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

        if let cp = r.mapping(
            "campaign", required: false,
            expected: "the campaign's lots and its costs, such as {lots: 10, items: {engineering-lots: \"2 M\(cur)\"}}")
        {
            let lots = cp.number("lots", expected: "the lots the campaign makes, passed or failed, such as 10")
            var items: [CampaignItem] = []
            if let it = cp.mapping(
                "items", expected: "the campaign's costs by name, such as {stability: \"500 k\(cur)\"}")
            {
                if case .mapping(let entries) = it.node.value {
                    var seen = Set<String>()
                    for entry in entries where seen.insert(entry.key).inserted {
                        items.append(
                            CampaignItem(name: entry.key, amount: price(it, entry.key, example: "2 M\(cur)")))
                    }
                    if entries.isEmpty { it.problem("lists no cost", expected: "the campaign's costs by name") }
                }
                it.finish()
            }
            cp.finish()
            c.campaign = Campaign(lots: lots, items: items)
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

/// Reads amounts of money in the costs' currency, or in another one at a stated exchange rate.
struct MoneyReader {
    let currency: Currency
    let rates: [Currency: Double]

    /// An amount of money per `per` (`.none`: an amount), in the costs' currency; nil (with an
    /// issue) when it is wrong, or in another currency without a rate.
    func amount(
        _ r: FieldReader, _ key: String, per: UnitDimension = .none, expected: String, bound: Bound = .nonNegative
    ) -> Double? {
        let dimensions = Currency.allCases.map { $0.dimension / per }
        guard let (m, node) = r.optionalMeasurement(key, dimensions: dimensions, expected: expected, bound: bound)
        else { return nil }
        return convert(m, node, r, key, per: per, expected: expected)
    }

    /// A read measurement in the costs' currency.
    func convert(
        _ m: Measurement, _ node: DocumentNode, _ r: FieldReader, _ key: String, per: UnitDimension, expected: String
    ) -> Double? {
        for other in Currency.allCases where other != currency && m.unit.dimension == other.dimension / per {
            if let rate = rates[other] { return m.canonical * rate }
            r.issues.add(
                "is in \(other.rawValue), not \(currency.rawValue) (the costs' currency), and 'exchange-rates' gives "
                    + "no rate for \(other.rawValue)", at: node, path: r.path.appending(key),
                expected: "\(expected), or a rate such as exchange-rates: {\(other.rawValue): 0.92}")
            return nil
        }
        return m.canonical
    }

    /// The factor that turns a value read in `dimension` into the costs' currency (1 when it is
    /// in that currency already, or is no money).
    static func factor(_ dimension: UnitDimension, into currency: Currency, rates: [Currency: Double]) -> Double {
        var factor = 1.0
        for other in Currency.allCases where other != currency {
            let exponent = other == .eur ? dimension.euro : dimension.dollar
            guard let rate = rates[other] else { continue }
            for _ in 0..<abs(Int(exponent)) { factor = exponent > 0 ? factor * rate : factor / rate }
        }
        return factor
    }
}
