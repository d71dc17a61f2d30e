/// The physical dimension of a quantity, as integer exponents of VectorFab's base dimensions.
///
/// Besides length, mass and time, bioprocessing counts things that do not convert into one
/// another: cells, vector particles (vector genomes or transducing units, see ``VectorCounting``),
/// infectious units of a helper virus, nucleotide bases, and money in each currency.
/// `cells/mL` is `cells¹·length⁻³`; `L/m²/h` is `length¹·time⁻¹`.
public struct UnitDimension: Hashable, Sendable {
    public var length: Int8 = 0
    public var mass: Int8 = 0
    public var time: Int8 = 0
    public var cells: Int8 = 0
    /// Vector particles, counted in vector genomes (AAV) or transducing units (LV).
    public var vector: Int8 = 0
    /// Infectious units of a helper or baculovirus (pfu).
    public var infectious: Int8 = 0
    /// Nucleotide bases (genome or plasmid length).
    public var bases: Int8 = 0
    public var euro: Int8 = 0
    public var dollar: Int8 = 0

    public init(
        length: Int8 = 0, mass: Int8 = 0, time: Int8 = 0, cells: Int8 = 0, vector: Int8 = 0,
        infectious: Int8 = 0, bases: Int8 = 0, euro: Int8 = 0, dollar: Int8 = 0
    ) {
        self.length = length
        self.mass = mass
        self.time = time
        self.cells = cells
        self.vector = vector
        self.infectious = infectious
        self.bases = bases
        self.euro = euro
        self.dollar = dollar
    }

    /// A pure number: ratios, fractions, counts.
    public static let none = UnitDimension()

    private var exponents: [Int8] { [length, mass, time, cells, vector, infectious, bases, euro, dollar] }

    private init(exponents e: [Int8]) {
        self.init(
            length: e[0], mass: e[1], time: e[2], cells: e[3], vector: e[4], infectious: e[5],
            bases: e[6], euro: e[7], dollar: e[8])
    }

    /// Exponents saturate at ±127 rather than trap; the unit reader refuses any beyond
    /// ``maxExponent`` long before.
    private static func saturated(_ x: Int) -> Int8 { Int8(Swift.max(-127, Swift.min(127, x))) }

    /// The largest exponent a written unit may give a base dimension.
    public static let maxExponent = 12

    /// Whether every exponent is within ±``maxExponent``.
    public var isWithinLimits: Bool { exponents.allSatisfy { abs(Int($0)) <= Self.maxExponent } }

    public static func * (a: UnitDimension, b: UnitDimension) -> UnitDimension {
        UnitDimension(exponents: zip(a.exponents, b.exponents).map { saturated(Int($0) + Int($1)) })
    }

    public static func / (a: UnitDimension, b: UnitDimension) -> UnitDimension {
        UnitDimension(exponents: zip(a.exponents, b.exponents).map { saturated(Int($0) - Int($1)) })
    }

    /// This dimension raised to an integer power.
    public func power(_ n: Int8) -> UnitDimension {
        UnitDimension(exponents: exponents.map { Self.saturated(Int($0) * Int(n)) })
    }
}

extension UnitDimension: CustomStringConvertible {
    /// A readable form in base units, for error messages: `cells·m⁻³`.
    public var description: String {
        let names = ["m", "kg", "s", "cells", "vector", "pfu", "bases", "EUR", "USD"]
        let parts = zip(names, exponents).compactMap { name, e -> String? in
            e == 0 ? nil : (e == 1 ? name : "\(name)^\(e)")
        }
        return parts.isEmpty ? "dimensionless" : parts.joined(separator: "·")
    }
}
