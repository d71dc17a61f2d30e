/// A number with its unit, as written in a file: `"2000 L"`, `"1.1e14 vg/kg"`, `"85 %"`.
public struct Measurement: Sendable, Hashable {
    public var value: Double
    public var unit: Unit

    /// The value in the canonical unit of its dimension.
    public var canonical: Double { value * unit.factor }
}

/// Reads measurements written by people, refusing anything ambiguous.
public enum QuantityParser {
    /// The magnitudes a written number may have (besides 0).
    public static let magnitudes: ClosedRange<Double> = 1e-30...1e30

    /// Splits `"1.1e14 vg/kg"` into a number and a unit. A bare number has the unit `Unit.one`.
    /// Non-finite numbers, thousands separators and unknown units are errors.
    public static func parse(_ text: String) throws(UnitParseError) -> Measurement {
        let s = text.trimmingSpaces
        let scalars = Array(s.unicodeScalars)
        var i = 0
        func peek(_ set: String) -> Bool { i < scalars.count && set.unicodeScalars.contains(scalars[i]) }
        if peek("+-") { i += 1 }
        var digits = 0
        while peek("0123456789") { i += 1; digits += 1 }
        if peek(".") {
            i += 1
            while peek("0123456789") { i += 1; digits += 1 }
        }
        guard digits > 0 else {
            throw UnitParseError(message: "'\(s)' does not start with a number")
        }
        if peek("eE") {
            let mark = i
            i += 1
            if peek("+-") { i += 1 }
            var expDigits = 0
            while peek("0123456789") { i += 1; expDigits += 1 }
            if expDigits == 0 { i = mark }
        }
        let numberText = String(String.UnicodeScalarView(scalars[0..<i]))
        guard let value = Double(numberText), value.isFinite else {
            throw UnitParseError(message: "'\(s)' is not a finite number")
        }
        // Far beyond any real quantity, and small enough that no product of two overflows.
        guard value == 0 || (Self.magnitudes).contains(abs(value)) else {
            throw UnitParseError(message: "'\(s)' is out of range: numbers are read from 1e-30 to 1e30 in magnitude")
        }
        if i < scalars.count, scalars[i] == "," {
            throw UnitParseError(message: "'\(s)': write numbers without thousands separators (2000, not 2,000)")
        }
        let unitText = String(String.UnicodeScalarView(scalars[i...]))
        if unitText.trimmingSpaces.isEmpty { return Measurement(value: value, unit: .one) }
        let m = Measurement(value: value, unit: try Unit.parse(unitText))
        guard m.canonical.isFinite, value == 0 || (m.canonical != 0 && abs(m.canonical) <= 1e45) else {
            throw UnitParseError(message: "'\(s)' is out of range once converted to base units")
        }
        return m
    }
}
