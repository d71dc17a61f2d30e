/// Collects the issues found while a document is read, so that one pass reports them all.
public final class IssueCollector {
    public private(set) var issues: [DefinitionIssue] = []
    /// Inputs written as distributions, in the order they were read.
    public private(set) var uncertain: [UncertainInput] = []
    /// How the product being read counts vector; vector quantities written in the other
    /// count (`TU` for an AAV product) are refused.
    public var vectorCounting: VectorCounting?

    public init() {}

    public func add(_ issue: DefinitionIssue) { issues.append(issue) }

    public func add(_ input: UncertainInput) { uncertain.append(input) }

    public func add(_ message: String, at node: DocumentNode?, path: FieldPath, expected: String? = nil) {
        add(DefinitionIssue(location: node?.location, path: path, message: message, expected: expected))
    }

    /// Throws every collected issue, if there is any.
    public func throwIfAny() throws(DefinitionError) {
        if !issues.isEmpty { throw DefinitionError(issues) }
    }
}

/// Constraints a read number must meet.
public enum Bound: Sendable, Hashable {
    case any
    case positive
    case nonNegative
    /// A yield or recovery: above 0 and at most 100 %.
    case yield
    /// A fraction from 0 to 100 % inclusive.
    case fraction
    /// At least 1 (a concentration factor, a ratio of final to initial).
    case atLeastOne
}

/// Reads the fields of one mapping, recording what it was asked so that any other field in
/// the file is reported as unknown, with the fields that were expected.
///
/// Every accessor records an issue instead of throwing and returns a placeholder (NaN, `""`,
/// 0) for a required field that is missing or wrong, so reading goes on and reports every
/// mistake at once. Callers throw with ``IssueCollector/throwIfAny()`` at the end.
public final class FieldReader {
    public let node: DocumentNode
    public let path: FieldPath
    public let issues: IssueCollector
    private var entries: [String: DocumentEntry] = [:]
    private var order: [String] = []
    private var asked: [String] = []

    public init(_ node: DocumentNode, path: FieldPath, issues: IssueCollector) {
        self.node = node
        self.path = path
        self.issues = issues
        switch node.value {
        case .mapping(let list):
            for entry in list {
                if entries[entry.key] != nil {
                    issues.add(
                        "field '\(entry.key)' is written twice",
                        at: DocumentNode(.null, at: entry.keyLocation), path: path.appending(entry.key))
                }
                entries[entry.key] = entry
                order.append(entry.key)
            }
        case .null:
            issues.add("is empty", at: node, path: path, expected: "a mapping of fields")
        default:
            issues.add("is \(node.kindDescription)", at: node, path: path, expected: "a mapping of fields")
        }
    }

    /// Whether the mapping has this field (and notes that the field is known).
    public func has(_ key: String) -> Bool {
        note(key)
        return entries[key] != nil
    }

    /// The node of a field, or nil (with an issue when `required`).
    public func node(_ key: String, required: Bool, expected: String) -> DocumentNode? {
        note(key)
        guard let entry = entries[key] else {
            if required {
                issues.add("missing field '\(key)'", at: node, path: path.appending(key), expected: expected)
            }
            return nil
        }
        if case .null = entry.value.value {
            issues.add("field '\(key)' has no value", at: entry.value, path: path.appending(key), expected: expected)
            return nil
        }
        return entry.value
    }

    private func note(_ key: String) {
        if !asked.contains(key) { asked.append(key) }
    }

    // MARK: Scalars

    private func scalarText(_ key: String, required: Bool, expected: String) -> (String, DocumentNode)? {
        guard let n = node(key, required: required, expected: expected) else { return nil }
        guard case .scalar(let text, _) = n.value else {
            issues.add("is \(n.kindDescription)", at: n, path: path.appending(key), expected: expected)
            return nil
        }
        return (text, n)
    }

    public func optionalString(_ key: String, expected: String = "a text") -> String? {
        scalarText(key, required: false, expected: expected)?.0
    }

    public func string(_ key: String, expected: String = "a text") -> String {
        scalarText(key, required: true, expected: expected)?.0 ?? ""
    }

    /// A whole number within `range`.
    public func optionalInt(_ key: String, range: ClosedRange<Int> = 0...Int.max, expected: String) -> Int? {
        guard let (text, n) = scalarText(key, required: false, expected: expected) else { return nil }
        return checkedInt(text, n, key: key, range: range, expected: expected)
    }

    public func int(_ key: String, range: ClosedRange<Int> = 0...Int.max, expected: String) -> Int {
        guard let (text, n) = scalarText(key, required: true, expected: expected) else { return 0 }
        return checkedInt(text, n, key: key, range: range, expected: expected) ?? 0
    }

    private func checkedInt(_ text: String, _ n: DocumentNode, key: String, range: ClosedRange<Int>, expected: String)
        -> Int?
    {
        guard let v = Int(text.trimmingSpaces) else {
            issues.add("'\(text)' is not a whole number", at: n, path: path.appending(key), expected: expected)
            return nil
        }
        guard range.contains(v) else {
            issues.add("\(v) is out of range", at: n, path: path.appending(key), expected: expected)
            return nil
        }
        return v
    }

    public func optionalBool(_ key: String) -> Bool? {
        guard let (text, n) = scalarText(key, required: false, expected: "true or false") else { return nil }
        switch text {
        case "true", "yes": return true
        case "false", "no": return false
        default:
            issues.add("'\(text)' is not true or false", at: n, path: path.appending(key), expected: "true or false")
            return nil
        }
    }

    /// One of an enumeration's raw values.
    public func optionalChoice<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) -> E?
    where E.RawValue == String {
        let allowed = E.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let expected = "one of \(allowed)"
        guard let (text, n) = scalarText(key, required: false, expected: expected) else { return nil }
        guard let value = E(rawValue: text.trimmingSpaces) else {
            issues.add("'\(text)' is not a known value", at: n, path: path.appending(key), expected: expected)
            return nil
        }
        return value
    }

    public func choice<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) -> E?
    where E.RawValue == String {
        if !has(key) {
            let allowed = E.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            issues.add("missing field '\(key)'", at: node, path: path.appending(key), expected: "one of \(allowed)")
            return nil
        }
        return optionalChoice(key, type)
    }

    // MARK: Quantities

    /// A measurement of any of the dimensions given, checked against `bound`. The field may
    /// also be written as a distribution (`{triangular: ["22 h", "26 h", "32 h"]}`): it is
    /// recorded as an ``UncertainInput`` and its nominal value returned.
    ///
    /// A vector quantity counts in the product's unit (`vg`, `TU`); with `particles`, it may
    /// also count the product's physical particles (`cp` for AAV, `VP` for LV), and the
    /// measurement's unit says which.
    public func optionalMeasurement(
        _ key: String, dimensions: [UnitDimension], expected: String, bound: Bound = .positive, plain: Bool = false,
        particles: Bool = false
    ) -> (Measurement, DocumentNode)? {
        guard let n = node(key, required: false, expected: expected) else { return nil }
        let fieldPath = path.appending(key)
        if case .mapping = n.value {
            return distribution(
                n, path: fieldPath, dimensions: dimensions, expected: expected, bound: bound, plain: plain,
                particles: particles)
        }
        guard case .scalar(let text, _) = n.value else {
            issues.add("is \(n.kindDescription)", at: n, path: fieldPath, expected: expected)
            return nil
        }
        guard
            let m = measurement(
                text, at: n, path: fieldPath, dimensions: dimensions, expected: expected, plain: plain,
                particles: particles)
        else { return nil }
        if let problem = Self.violation(of: bound, m.canonical, text: text) {
            issues.add(problem.message, at: n, path: fieldPath, expected: problem.expected ?? expected)
            return nil
        }
        return (m, n)
    }

    /// Parses and checks one written measurement: its unit's dimension and vector count.
    func measurement(
        _ text: String, at n: DocumentNode, path fieldPath: FieldPath, dimensions: [UnitDimension], expected: String,
        plain: Bool, particles: Bool = false
    ) -> Measurement? {
        let m: Measurement
        do {
            m = try QuantityParser.parse(text)
        } catch {
            issues.add(error.message, at: n, path: fieldPath, expected: expected)
            return nil
        }
        guard dimensions.contains(m.unit.dimension) else {
            if m.unit == .one {
                issues.add("'\(text)' has no unit", at: n, path: fieldPath, expected: expected)
            } else {
                issues.add(
                    "'\(text)' is in \(m.unit.dimension), not the unit this field needs", at: n, path: fieldPath,
                    expected: expected)
            }
            return nil
        }
        if plain && m.unit.factor != 1 {
            issues.add("'\(text)' is written with a unit", at: n, path: fieldPath, expected: expected)
            return nil
        }
        if let used = m.unit.vectorCounting, let product = issues.vectorCounting,
            used != product && !(particles && used == product.physical)
        {
            let also = particles ? " (or its particles in \(product.physical.symbol))" : ""
            issues.add(
                "'\(text)' counts vector in \(used.symbol), but this product counts it in \(product.symbol)\(also)",
                at: n, path: fieldPath, expected: expected)
            return nil
        }
        return m
    }

    /// Reads `{uniform: [low, high]}` and the other distributions, checks them against the
    /// field's physical range, records them, and returns their nominal value.
    func distribution(
        _ n: DocumentNode, path fieldPath: FieldPath, dimensions: [UnitDimension], expected: String, bound: Bound,
        plain: Bool, particles: Bool = false
    ) -> (Measurement, DocumentNode)? {
        let forms =
            "one of {fixed: x}, {uniform: [low, high]}, {triangular: [low, mode, high]}, "
            + "{pert: [low, mode, high]}, {normal: {mean: x, sd: y}}, {lognormal: {median: x, sigma: s}}"
        guard case .mapping(let entries) = n.value, entries.count == 1, let entry = entries.first else {
            issues.add(
                "is a mapping but not a distribution", at: n, path: fieldPath, expected: "\(expected), or \(forms)")
            return nil
        }
        let dPath = fieldPath.appending(entry.key)
        let names: [String: [String]] = [
            "fixed": ["value"], "uniform": ["low", "high"], "triangular": ["low", "mode", "high"],
            "pert": ["low", "mode", "high"], "normal": ["mean", "sd"], "lognormal": ["median", "sigma"],
        ]
        guard let parameters = names[entry.key] else {
            issues.add("'\(entry.key)' is not a known distribution", at: n, path: dPath, expected: forms)
            return nil
        }
        // Parameters as a list in order, a mapping by name, or (fixed) a single value.
        var nodes: [String: DocumentNode] = [:]
        switch entry.value.value {
        case .sequence(let items) where items.count == parameters.count:
            for (name, item) in zip(parameters, items) { nodes[name] = item }
        case .mapping(let pairs):
            let reader = FieldReader(entry.value, path: dPath, issues: issues)
            for name in parameters {
                if let v = reader.node(name, required: true, expected: "the distribution's \(name)") { nodes[name] = v }
            }
            reader.finish()
            if nodes.count != parameters.count || pairs.count != parameters.count { return nil }
        case .scalar where parameters.count == 1:
            nodes[parameters[0]] = entry.value
        default:
            issues.add(
                "gives the wrong number of parameters", at: entry.value, path: dPath,
                expected: "\(entry.key)'s \(parameters.joined(separator: ", "))")
            return nil
        }
        var values: [String: Double] = [:]
        var dimension: UnitDimension?
        var counting: VectorCounting?
        for name in parameters {
            guard let node = nodes[name], case .scalar(let text, _) = node.value else {
                issues.add("\(name) is not a value", at: nodes[name] ?? n, path: dPath, expected: expected)
                return nil
            }
            if name == "sigma" {
                guard let m = try? QuantityParser.parse(text), m.unit == .one, m.value > 0 else {
                    issues.add(
                        "sigma '\(text)' is not a positive number", at: node, path: dPath,
                        expected: "the standard deviation of the logarithm, such as 0.4")
                    return nil
                }
                values[name] = m.value
                continue
            }
            guard
                let m = measurement(
                    text, at: node, path: dPath, dimensions: dimensions, expected: expected, plain: plain,
                    particles: particles)
            else { return nil }
            if let d = dimension, d != m.unit.dimension {
                issues.add("mixes dimensions", at: node, path: dPath, expected: "every parameter in one kind of unit")
                return nil
            }
            if let c = counting, let used = m.unit.vectorCounting, c != used {
                issues.add(
                    "mixes \(c.symbol) and \(used.symbol)", at: node, path: dPath,
                    expected: "every parameter in one kind of unit")
                return nil
            }
            counting = counting ?? m.unit.vectorCounting
            dimension = m.unit.dimension
            values[name] = m.canonical
        }
        let v = { (name: String) in values[name]! }
        let d: Distribution
        var problem: String?
        switch entry.key {
        case "fixed": d = .fixed(v("value"))
        case "uniform":
            d = .uniform(low: v("low"), high: v("high"))
            if !(v("low") < v("high")) { problem = "its low is not below its high" }
        case "triangular", "pert":
            let (a, m, b) = (v("low"), v("mode"), v("high"))
            d = entry.key == "pert" ? .pert(low: a, mode: m, high: b) : .triangular(low: a, mode: m, high: b)
            if !(a < b) {
                problem = "its low is not below its high"
            } else if !(a <= m && m <= b) {
                problem = "its mode is not between its low and high"
            }
        case "normal":
            d = .normal(mean: v("mean"), sd: v("sd"))
            if !(v("sd") > 0) { problem = "its sd is not positive" }
        default:
            d = .lognormal(median: v("median"), sigma: v("sigma"))
            if !(v("median") > 0) { problem = "its median is not positive" }
        }
        if let problem {
            issues.add("\(entry.key) distribution: \(problem)", at: entry.value, path: dPath, expected: forms)
            return nil
        }
        let (lower, upper) = Self.range(of: bound)
        let bounded = BoundedDistribution(d, lower: lower, upper: upper)
        if bounded.truncated {
            if bounded.massWithinBounds < 0.5 {
                issues.add(
                    "\(entry.key) distribution puts \(sci(bounded.massWithinBounds * 100)) % of its draws outside the "
                        + "field's physical range", at: entry.value, path: dPath,
                    expected: "a distribution mostly within range, or a bounded one (uniform, triangular, pert)")
                return nil
            }
        } else {
            for name in ["value", "low", "high"] where values[name] != nil {
                if let violation = Self.violation(of: bound, values[name]!, text: "\(entry.key) \(name)") {
                    issues.add(
                        violation.message, at: entry.value, path: dPath, expected: violation.expected ?? expected)
                    return nil
                }
            }
        }
        let unit = Unit(factor: 1, dimension: dimension ?? .none, vectorCounting: counting ?? issues.vectorCounting)
        issues.add(
            UncertainInput(path: fieldPath, location: n.location, distribution: bounded, dimension: unit.dimension))
        return (Measurement(value: d.nominal, unit: unit), n)
    }

    static func violation(of bound: Bound, _ v: Double, text: String) -> (message: String, expected: String?)? {
        switch bound {
        case .any: return nil
        case .positive: return v > 0 ? nil : ("'\(text)' is not positive", nil)
        case .nonNegative: return v >= 0 ? nil : ("'\(text)' is negative", nil)
        case .yield:
            if v > 1 { return ("yield '\(text)' is above 100 %", "a yield above 0 and at most 100 %") }
            return v > 0 ? nil : ("yield '\(text)' is not above 0", "a yield above 0 and at most 100 %")
        case .fraction:
            return (0...1).contains(v) ? nil : ("'\(text)' is not between 0 and 100 %", "a fraction from 0 to 100 %")
        case .atLeastOne: return v >= 1 ? nil : ("'\(text)' is below 1", "a number of at least 1")
        }
    }

    /// The range a bound allows, for keeping distributions physical.
    static func range(of bound: Bound) -> (lower: Double, upper: Double) {
        switch bound {
        case .any: (-.infinity, .infinity)
        case .positive: (.leastNonzeroMagnitude, .infinity)
        case .nonNegative: (0, .infinity)
        case .yield: (.leastNonzeroMagnitude, 1)
        case .fraction: (0, 1)
        case .atLeastOne: (1, .infinity)
        }
    }

    public func optionalQuantity<K: PhysicalKind>(_ key: String, _ kind: K.Type, bound: Bound = .positive) -> Quantity<
        K
    >? {
        optionalMeasurement(key, dimensions: [K.dimension], expected: K.expectation, bound: bound)
            .map { Quantity(canonical: $0.0.canonical) }
    }

    /// A required quantity; NaN (with an issue recorded) when missing or wrong.
    public func quantity<K: PhysicalKind>(_ key: String, _ kind: K.Type, bound: Bound = .positive) -> Quantity<K> {
        if !has(key) {
            issues.add("missing field '\(key)'", at: node, path: path.appending(key), expected: K.expectation)
            return Quantity(canonical: .nan)
        }
        return optionalQuantity(key, kind, bound: bound) ?? Quantity(canonical: .nan)
    }

    /// A plain number without unit (a count, a number of column volumes, a rate per hour).
    public func optionalNumber(_ key: String, bound: Bound = .positive, expected: String) -> Double? {
        optionalMeasurement(key, dimensions: [.none], expected: expected, bound: bound, plain: true)?.0.value
    }

    /// A required plain number; NaN (with an issue recorded) when missing or wrong.
    public func number(_ key: String, bound: Bound = .positive, expected: String) -> Double {
        if !has(key) {
            issues.add("missing field '\(key)'", at: node, path: path.appending(key), expected: expected)
            return .nan
        }
        return optionalNumber(key, bound: bound, expected: expected) ?? .nan
    }

    /// A quantity that may be written in one of two kinds (`cells/mL` or `cells/cm²`).
    public func optionalEither<A: PhysicalKind, B: PhysicalKind>(
        _ key: String, _ a: A.Type, _ b: B.Type, bound: Bound = .positive
    ) -> Either<Quantity<A>, Quantity<B>>? {
        let expected = "\(A.expectation), or \(B.expectation)"
        guard
            let (m, _) = optionalMeasurement(
                key, dimensions: [A.dimension, B.dimension], expected: expected, bound: bound)
        else { return nil }
        return m.unit.dimension == A.dimension
            ? .first(Quantity(canonical: m.canonical)) : .second(Quantity(canonical: m.canonical))
    }

    public func either<A: PhysicalKind, B: PhysicalKind>(
        _ key: String, _ a: A.Type, _ b: B.Type, bound: Bound = .positive
    ) -> Either<Quantity<A>, Quantity<B>>? {
        if !has(key) {
            issues.add(
                "missing field '\(key)'", at: node, path: path.appending(key),
                expected: "\(A.expectation), or \(B.expectation)")
            return nil
        }
        return optionalEither(key, a, b, bound: bound)
    }

    // MARK: Structure

    /// A nested mapping, or nil (with an issue when `required`).
    public func mapping(_ key: String, required: Bool = true, expected: String = "a mapping of fields") -> FieldReader?
    {
        guard let n = node(key, required: required, expected: expected) else { return nil }
        return FieldReader(n, path: path.appending(key), issues: issues)
    }

    /// The items of a list, each with its path; an issue if the field is not a list.
    /// The items of a list field. Past `max` items the list is an error (naming the count and
    /// the limit) and only the first `max` are returned: every list that sets how much work is
    /// done has its limit here.
    public func list(
        _ key: String, required: Bool = true, expected: String = "a list", max: Int = 10_000, counting noun: String = "items"
    ) -> [(FieldPath, DocumentNode)]
    {
        guard let n = node(key, required: required, expected: expected) else { return [] }
        guard case .sequence(let items) = n.value else {
            issues.add("is \(n.kindDescription)", at: n, path: path.appending(key), expected: expected)
            return []
        }
        if items.count > max {
            issues.add(
                "has \(items.count) \(noun), more than the limit of \(max)", at: n, path: path.appending(key),
                expected: "at most \(max) \(noun)")
        }
        return items.prefix(max).enumerated().map { (path.appending(key).appending(index: $0.offset), $0.element) }
    }

    /// Records an issue at a field of this mapping (or at the mapping itself).
    public func problem(_ message: String, at key: String? = nil, expected: String? = nil) {
        let target = key.flatMap { entries[$0]?.value } ?? node
        issues.add(message, at: target, path: key.map { path.appending($0) } ?? path, expected: expected)
    }

    /// Reports every field that no accessor asked for, with the expected fields.
    public func finish() {
        guard case .mapping = node.value else { return }
        for key in order where !asked.contains(key) {
            let entry = entries[key]!
            var message = "unknown field '\(key)'"
            if let guess = closest(to: key, in: asked) { message += " (did you mean '\(guess)'?)" }
            issues.add(
                message, at: DocumentNode(.null, at: entry.keyLocation), path: path.appending(key),
                expected: "one of: " + asked.joined(separator: ", "))
        }
    }

    private func closest(to key: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(key, $0)) }.min { $0.1 < $1.1 }
        guard let (best, d) = scored, d <= max(2, key.count / 3) else { return nil }
        return best
    }
}

/// One of two alternatives.
public enum Either<A: Sendable & Hashable, B: Sendable & Hashable>: Sendable, Hashable {
    case first(A)
    case second(B)
}

/// The Levenshtein distance of two texts (for "did you mean").
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
