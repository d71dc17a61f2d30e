/// A kind of physical quantity: a dimension with a name, for type safety and error messages.
public protocol PhysicalKind: Sendable {
    /// The dimension every quantity of this kind has.
    static var dimension: UnitDimension { get }
    /// What to write, for error messages: `a volume such as "200 L" (L, mL, µL)`.
    static var expectation: String { get }
}

/// A value with a unit. It is stored in the canonical unit of its kind's dimension, so two
/// quantities of one kind add and compare directly; `Quantity<Volume>` and
/// `Quantity<CellDensity>` cannot be confused.
public struct Quantity<Kind: PhysicalKind>: Hashable, Comparable, Sendable {
    /// The value in the canonical (SI-based) unit: m³ for volume, s for durations, and so on.
    public var canonical: Double

    @inlinable public init(canonical: Double) { self.canonical = canonical }

    /// A quantity from a value and a unit expression known to be right (a literal in code).
    /// Use ``QuantityParser`` for anything a user wrote.
    public init(_ value: Double, _ unit: String) {
        guard let u = try? Unit.parse(unit), u.dimension == Kind.dimension else {
            preconditionFailure("'\(unit)' is not a unit of \(Kind.self)")
        }
        canonical = value * u.factor
    }

    /// This quantity's value expressed in `unit`, which must have the same dimension.
    @inlinable public func value(in unit: Unit) -> Double { canonical / unit.factor }

    /// This quantity's value in a unit expression known to be right (`"L"`, `"d"`).
    public func value(in unit: String) -> Double {
        guard let u = try? Unit.parse(unit), u.dimension == Kind.dimension else {
            preconditionFailure("'\(unit)' is not a unit of \(Kind.self)")
        }
        return canonical / u.factor
    }

    public static var zero: Quantity { Quantity(canonical: 0) }
    public var isFinite: Bool { canonical.isFinite }

    @inlinable public static func < (a: Quantity, b: Quantity) -> Bool { a.canonical < b.canonical }
    @inlinable public static func + (a: Quantity, b: Quantity) -> Quantity {
        Quantity(canonical: a.canonical + b.canonical)
    }
    @inlinable public static func - (a: Quantity, b: Quantity) -> Quantity {
        Quantity(canonical: a.canonical - b.canonical)
    }
    @inlinable public static func += (a: inout Quantity, b: Quantity) { a.canonical += b.canonical }
    @inlinable public static func -= (a: inout Quantity, b: Quantity) { a.canonical -= b.canonical }
    @inlinable public static func * (a: Quantity, k: Double) -> Quantity { Quantity(canonical: a.canonical * k) }
    @inlinable public static func * (k: Double, a: Quantity) -> Quantity { Quantity(canonical: a.canonical * k) }
    @inlinable public static func / (a: Quantity, k: Double) -> Quantity { Quantity(canonical: a.canonical / k) }
    /// The ratio of two quantities of one kind: a pure number.
    @inlinable public static func / (a: Quantity, b: Quantity) -> Double { a.canonical / b.canonical }
}

extension Quantity where Kind == Fraction {
    /// The fraction as a plain number (0.85 for 85 %).
    @inlinable public var value: Double { canonical }
    @inlinable public init(_ value: Double) { canonical = value }
}
