import Bioprocess

/// Reads a facility file (`vectorfab/facility/1`), reporting every mistake with its place.
public enum FacilityReader {
    /// The most closures a facility file may list.
    public static let maxClosures = 1_000
    /// The most suites a facility may have, each `count` counted (the 2022 market is 213).
    public static let maxSuites = 2_000
    /// The most shared resources a facility may have, each `count` counted.
    public static let maxResources = 1_000

    public static let format = "vectorfab/facility/1"

    public static func read(_ document: DocumentNode) throws(DefinitionError) -> Facility {
        let issues = IssueCollector()
        let r = FieldReader(document, path: .root, issues: issues)
        let version = r.string("vectorfab", expected: "\"\(format)\"")
        if !version.isEmpty && version != format {
            r.problem(
                "'\(version)' is not a facility format this version reads", at: "vectorfab", expected: "\"\(format)\"")
        }
        let name = r.string("name", expected: "the facility's name")
        let site = r.optionalString("site")
        let start = date(r, "start") ?? CalendarDate(year: 2026, month: 1, day: 1)

        var suites: [Suite] = []
        for (path, node) in r.list("suites", expected: "a list of production suites") {
            let s = FieldReader(node, path: path, issues: issues)
            let suiteName = s.string("name", expected: "the suite's name")
            let kind = s.choice("kind", SuiteKind.self) ?? .vectorProduction
            let grade = s.optionalChoice("grade", CleanroomGrade.self) ?? .b
            let count = s.optionalInt("count", range: 1...Self.maxSuites, expected: "a number of identical suites") ?? 1
            let group = s.optionalString("group")
            var scales: [PlatformKind: Double] = [:]
            if kind == .vectorProduction, let m = s.mapping("max-scale", expected: "the largest scale per platform") {
                if let v = m.optionalQuantity("suspension", Volume.self) { scales[.suspension] = v.canonical }
                if let a = m.optionalQuantity("fixed-bed", Area.self) { scales[.fixedBed] = a.canonical }
                if let n = m.optionalInt("flasks", range: 1...1_000_000, expected: "the most flasks a lot may use") {
                    scales[.flasks] = Double(n)
                }
                if scales.isEmpty && m.issues.issues.isEmpty {
                    m.problem("gives no platform", expected: "suspension, fixed-bed or flasks with its largest scale")
                }
                m.finish()
            }
            let patients =
                kind == .cellTransduction
                ? s.number("patients-per-year", expected: "patients transduced a year, such as 50") : nil
            s.finish()
            guard suites.count + count <= Self.maxSuites else {
                s.problem(
                    "brings the facility past \(Self.maxSuites) suites", at: "count",
                    expected: "at most \(Self.maxSuites) suites in all, counting each count")
                break
            }
            for i in 1...count {
                suites.append(
                    Suite(
                        name: count == 1 ? suiteName : "\(suiteName) \(i)", kind: kind, grade: grade, maxScale: scales,
                        patientsPerYear: patients, group: group))
            }
        }
        if suites.isEmpty, r.issues.issues.isEmpty {
            r.problem("has no suites", at: "suites", expected: "at least one production suite")
        }

        var resources: [SharedResource] = []
        for (path, node) in r.list("resources", required: false, expected: "a list of shared resources") {
            let s = FieldReader(node, path: path, issues: issues)
            let resourceName = s.string("name", expected: "the resource's name")
            let kind = s.choice("kind", ResourceKind.self) ?? .downstream
            let capacity = s.int("capacity", range: 1...1_000_000, expected: "lots at once (operators for staff)")
            let count =
                s.optionalInt("count", range: 1...Self.maxResources, expected: "a number of identical resources") ?? 1
            s.finish()
            guard resources.count + count <= Self.maxResources else {
                s.problem(
                    "brings the facility past \(Self.maxResources) shared resources", at: "count",
                    expected: "at most \(Self.maxResources) resources in all, counting each count")
                break
            }
            for i in 1...count {
                resources.append(
                    SharedResource(
                        name: count == 1 ? resourceName : "\(resourceName) \(i)", kind: kind, capacity: capacity))
            }
        }
        var names = Set<String>()
        for n in suites.map(\.name) + resources.map(\.name) where !names.insert(n).inserted {
            r.problem("two suites or resources are called '\(n)'", expected: "distinct names")
        }

        var changeover = Changeover(sameProduct: 0, productChange: 0)
        if let c = r.mapping("changeover", expected: "cleaning times between lots") {
            changeover = Changeover(
                sameProduct: c.quantity("same-product", Duration.self, bound: .nonNegative).value(in: "d"),
                productChange: c.quantity("product-change", Duration.self, bound: .nonNegative).value(in: "d"))
            c.finish()
        }

        var closures: [Closure] = []
        var origin: [Int] = []  // the written closure each (yearly) copy comes from
        let written = r.list(
            "closures", required: false,
            expected: "a list of shutdowns and maintenance periods (a yearly one written once, with every-year: true)",
            max: Self.maxClosures, counting: "closures")
        for (k, (path, node)) in written.enumerated() {
            let c = FieldReader(node, path: path, issues: issues)
            let closureName = c.string("name", expected: "the closure's name")
            guard let from = date(c, "from"), let to = date(c, "to") else {
                c.finish()
                continue
            }
            if !(from < to) { c.problem("ends before it starts", at: "to", expected: "a 'to' date after 'from'") }
            var targets: Set<String>?
            let listed = c.list("applies-to", required: false, expected: "the names of the suites and resources closed")
            if !listed.isEmpty {
                targets = []
                for (p, n) in listed {
                    guard case .scalar(let t, _) = n.value, names.contains(t) else {
                        issues.add(
                            "is not a suite or resource of the facility", at: n, path: p,
                            expected: "one of: " + names.sorted().joined(separator: ", "))
                        continue
                    }
                    targets?.insert(t)
                }
            }
            let yearly = c.optionalBool("every-year") ?? false
            if yearly, from < to, start.days(to: from) + 365 <= start.days(to: to) {
                c.problem(
                    "lasts \(Int(start.days(to: to) - start.days(to: from))) days but repeats every year",
                    at: "every-year", expected: "a yearly closure shorter than a year, or every-year: false")
            }
            c.finish()
            for y in 0..<(yearly ? 50 : 1) {
                let a = CalendarDate(year: from.year + y, month: from.month, day: min(from.day, 28))
                let b = CalendarDate(year: to.year + y, month: to.month, day: min(to.day, 28))
                let shift = y == 0 ? (from, to) : (a, b)
                closures.append(
                    Closure(
                        name: closureName, from: start.days(to: shift.0), to: start.days(to: shift.1), targets: targets)
                )
                origin.append(k)
            }
        }
        // Overlapping closures of one target are a mistake in the calendar: found by a sweep in
        // start order, each pair of written closures reported once.
        var reported = Set<[Int]>()
        var active: [Int] = []
        for i in closures.indices.sorted(by: { closures[$0].from < closures[$1].from }) {
            let a = closures[i]
            active.removeAll { closures[$0].to <= a.from }
            for j in active where origin[j] != origin[i] {
                let b = closures[j]
                let shared = a.targets == nil || b.targets == nil || !(a.targets!.isDisjoint(with: b.targets!))
                let pair = [min(origin[i], origin[j]), max(origin[i], origin[j])]
                if shared, reported.count < 20, reported.insert(pair).inserted {
                    let (first, second) = origin[i] < origin[j] ? (a, b) : (b, a)
                    r.problem(
                        "'\(first.name)' and '\(second.name)' overlap", at: "closures",
                        expected: "closures of the same suite or resource that do not overlap (merge them into one)")
                }
            }
            active.append(i)
        }
        if reported.count == 20 {
            r.problem(
                "more closures overlap than the 20 pairs named", at: "closures",
                expected: "closures of the same suite or resource that do not overlap")
        }

        var leadTimes: [Material: Double] = [:]
        if let l = r.mapping("lead-times", required: false, expected: "suppliers' lead times per material") {
            for m in Material.allCases {
                if let d = l.optionalQuantity(m.rawValue, Duration.self) { leadTimes[m] = d.value(in: "d") }
            }
            l.finish()
        }
        let hold = r.optionalBool("hold-suite-until-release") ?? false
        let crew = r.optionalInt("crew-per-lot", range: 0...10_000, expected: "operators per lot") ?? 0
        if !resources.filter({ $0.kind == .staff }).isEmpty && crew == 0 {
            r.problem("has staff resources but no 'crew-per-lot'", expected: "the operators a lot needs, such as 4")
        }
        r.finish()
        try issues.throwIfAny()
        return Facility(
            name: name, site: site, start: start, suites: suites, resources: resources, changeover: changeover,
            closures: closures, holdSuiteUntilRelease: hold, crewPerLot: crew, leadTimes: leadTimes)
    }

    static func date(_ r: FieldReader, _ key: String) -> CalendarDate? {
        guard let text = r.optionalString(key, expected: "a date such as \"2026-01-01\"") else {
            if !r.has(key) { r.problem("missing field '\(key)'", expected: "a date such as \"2026-01-01\"") }
            return nil
        }
        guard let d = CalendarDate(text) else {
            r.problem(
                "'\(text)' is not a date", at: key,
                expected: "a date from 1900 to 2200 written YYYY-MM-DD, such as \"2026-01-01\"")
            return nil
        }
        return d
    }
}

/// Reads a demand file (`vectorfab/demand/1`); the process files it names are read at the edge
/// and handed in by the text written in each product's `process` field.
public enum DemandReader {
    public static let format = "vectorfab/demand/1"

    /// `costSuccessRates` gives, by the text of a product's `process` field, the success rate
    /// its process's costs state (read at the edge; capacity takes it when the demand gives no
    /// observed failure rate).
    public static func read(
        _ document: DocumentNode, processes: [String: ProcessDefinition], costSuccessRates: [String: Double] = [:]
    ) throws(DefinitionError) -> Demand {
        let issues = IssueCollector()
        let r = FieldReader(document, path: .root, issues: issues)
        let version = r.string("vectorfab", expected: "\"\(format)\"")
        if !version.isEmpty && version != format {
            r.problem(
                "'\(version)' is not a demand format this version reads", at: "vectorfab", expected: "\"\(format)\"")
        }
        let name = r.string("name", expected: "the scenario's name")
        let start = FacilityReader.date(r, "start") ?? CalendarDate(year: 2026, month: 1, day: 1)
        let period = r.choice("period", DemandPeriod.self) ?? .year
        var products: [ProductDemand] = []
        var seen = Set<String>()
        for (path, node) in r.list("products", expected: "a list of products with their demand") {
            let p = FieldReader(node, path: path, issues: issues)
            let productName = p.string("name", expected: "the product's name")
            if !seen.insert(productName).inserted {
                p.problem("two products are called '\(productName)'", at: "name", expected: "distinct names")
            }
            let file = p.string("process", expected: "the path of the product's process file")
            let unit = p.choice("unit", DemandUnit.self) ?? .patients
            var amounts: [Double] = []
            let periods = p.list(
                "demand", expected: "patients or doses per period, one number a period (at most 50 years of months)",
                max: WorkLimits.demandPeriods, counting: "periods")
            for (ap, an) in periods {
                guard case .scalar(let t, _) = an.value, let v = Double(t), v.isFinite, v >= 0 else {
                    issues.add(
                        "is not a number of \(unit.rawValue) of 0 or more", at: an, path: ap, expected: "such as 120")
                    continue
                }
                guard v <= WorkLimits.demandPerPeriod else {
                    issues.add(
                        "\(t) \(unit.rawValue) in one period is more than the limit of \(Int(WorkLimits.demandPerPeriod))",
                        at: an, path: ap,
                        expected: "at most \(Int(WorkLimits.demandPerPeriod)) \(unit.rawValue) a period")
                    continue
                }
                amounts.append(v)
            }
            var observed: ObservedDurations?
            if let o = p.mapping("observed", required: false, expected: "stage durations from batch records") {
                func d(_ k: String) -> BoundedDistribution? {
                    guard o.optionalQuantity(k, Duration.self, bound: .nonNegative) != nil else { return nil }
                    let path = o.path.appending(k)
                    if let input = issues.uncertain.last(where: { $0.path == path }) {
                        var days = input.distribution
                        days.distribution = scaled(days.distribution, by: 1 / 86_400)
                        days.lower /= 86_400
                        days.upper /= 86_400
                        return days
                    }
                    let v = o.optionalQuantity(k, Duration.self, bound: .nonNegative)!.value(in: "d")
                    return BoundedDistribution(.fixed(v), lower: 0, upper: .infinity)
                }
                observed = ObservedDurations(
                    expansion: d("expansion"), production: d("production"), purification: d("purification"),
                    fill: d("fill"), release: d("release"),
                    failureRate: o.optionalQuantity("failure-rate", Fraction.self, bound: .fraction)?.value)
                o.finish()
            }
            p.finish()
            guard let process = processes[file] else { continue }
            products.append(
                ProductDemand(
                    name: productName, process: process, unit: unit, amounts: amounts, observed: observed,
                    costSuccessRate: costSuccessRates[file]))
        }
        r.finish()
        try issues.throwIfAny()
        return Demand(name: name, start: start, period: period, products: products)
    }

    static func scaled(_ d: Distribution, by k: Double) -> Distribution {
        switch d {
        case .fixed(let x): .fixed(x * k)
        case .uniform(let a, let b): .uniform(low: a * k, high: b * k)
        case .triangular(let a, let m, let b): .triangular(low: a * k, mode: m * k, high: b * k)
        case .pert(let a, let m, let b): .pert(low: a * k, mode: m * k, high: b * k)
        case .normal(let m, let s): .normal(mean: m * k, sd: s * k)
        case .lognormal(let m, let s): .lognormal(median: m * k, sigma: s)
        }
    }
}
