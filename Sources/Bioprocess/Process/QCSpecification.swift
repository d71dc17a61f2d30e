import Foundation

/// What a QC result must be to pass — one type from the process file to the batch record and
/// the API: a range on a value (`low`, `high`, either open, in `unit`), or pass/fail against a
/// criterion the analyst judges.
public enum QCSpecification: Sendable, Hashable {
    case range(low: Double?, high: Double?, unit: String)
    case passFail(criterion: String)

    /// A numeric specification (a value is entered), rather than pass/fail.
    public var isRange: Bool { if case .range = self { true } else { false } }

    public var low: Double? { if case .range(let l, _, _) = self { l } else { nil } }
    public var high: Double? { if case .range(_, let h, _) = self { h } else { nil } }
    public var unit: String? { if case .range(_, _, let u) = self { u } else { nil } }
    public var criterion: String? { if case .passFail(let c) = self { c } else { nil } }

    public func accepts(_ value: Double) -> Bool {
        guard case .range(let low, let high, _) = self else { return false }
        return value >= (low ?? -.infinity) && value <= (high ?? .infinity)
    }

    /// `1e+13–2e+13 vg/mL`, `≥ 1e+13 vg/mL`, `≤ 5 EU/mL`, `pass: no growth`, figures with at
    /// most six significant digits.
    public var text: String {
        switch self {
        case .range(let l?, let h?, let u): "\(Figure.text(l))–\(Figure.text(h)) \(u)"
        case .range(let l?, nil, let u): "≥ \(Figure.text(l)) \(u)"
        case .range(nil, let h?, let u): "≤ \(Figure.text(h)) \(u)"
        case .range(nil, nil, let u): "any value in \(u)"
        case .passFail(let c): "pass: \(c.isEmpty ? "conforms" : c)"
        }
    }

    /// From the four columns or fields it is stored and sent as: a range when a limit is
    /// given, pass/fail when a criterion is, nil when neither (pass/fail, no stated criterion).
    /// Every mistake is listed.
    public static func from(low: Double?, high: Double?, unit: String?, criterion: String?) -> Result<QCSpecification?, SpecificationError> {
        var problems: [String] = []
        for (name, x) in [("low", low), ("high", high)] {
            if let x, !x.isFinite { problems.append("the specification's \(name) limit must be a finite number") }
        }
        if let low, let high, low > high {
            problems.append("the specification's low limit \(Figure.text(low)) is above its high limit \(Figure.text(high))")
        }
        let isRange = low != nil || high != nil
        if isRange && (unit ?? "").trimmingCharacters(in: .whitespaces).isEmpty { problems.append("a numeric specification needs its unit") }
        if !isRange && unit != nil { problems.append("a unit goes with a low or a high limit") }
        if let unit, unit.count > 40 { problems.append("the unit has at most 40 characters") }
        if let criterion {
            if criterion.trimmingCharacters(in: .whitespaces).isEmpty || criterion.count > 500 {
                problems.append("the pass/fail criterion must be given (at most 500 characters)")
            }
            if isRange { problems.append("a specification is a range or a pass/fail criterion, not both") }
        }
        for text in [unit, criterion].compactMap({ $0 }) where text.unicodeScalars.contains(where: { $0.value == 0 }) {
            problems.append("the specification contains a NUL character")
        }
        guard problems.isEmpty else { return .failure(SpecificationError(problems: problems)) }
        if isRange { return .success(.range(low: low, high: high, unit: unit ?? "")) }
        return .success(criterion.map { .passFail(criterion: $0) })
    }
}

/// Why four fields do not make a specification: every reason.
public struct SpecificationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "; ") }
}

/// In JSON (stored recipes, the API) a specification is `{"low": …, "high": …, "unit": …}` or
/// `{"criterion": …}`, as recipes were always stored; any other field is refused.
extension QCSpecification: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case low, high, unit, criterion }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = c.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorruptedError(
                forKey: unknown, in: c, debugDescription: "unknown field '\(unknown.stringValue)' in a specification (low, high, unit or criterion)")
        }
        func value<T: Decodable>(_ key: CodingKeys, _ type: T.Type) throws -> T? {
            try c.decodeIfPresent(T.self, forKey: AnyKey(key.rawValue))
        }
        let made = Self.from(
            low: try value(.low, Double.self), high: try value(.high, Double.self), unit: try value(.unit, String.self),
            criterion: try value(.criterion, String.self))
        switch made {
        case .success(let spec?): self = spec
        case .success(nil):
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a specification needs a low or a high limit and its unit, or a criterion"))
        case .failure(let e):
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: e.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .range(let low, let high, let unit):
            try c.encodeIfPresent(low, forKey: .low)
            try c.encodeIfPresent(high, forKey: .high)
            try c.encode(unit, forKey: .unit)
        case .passFail(let criterion):
            try c.encode(criterion, forKey: .criterion)
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A recorded figure in messages: at most six significant digits, as the process file writes
/// them (`1.65e+06`, `37`, `0.25`).
public enum Figure {
    public static func text(_ x: Double) -> String {
        guard x.isFinite else { return "\(x)" }
        return String(format: "%.6g", x)
    }
}
