import Bioprocess
import Foundation

/// Picks a unit to show a value of some dimension in, for reports of uncertain inputs.
public enum DisplayUnit {
    static let candidates = [
        "%", "L", "h", "cells/mL", "cells/cm²", "vg/cell", "vg/mL", "pg/cell", "mg/L", "kg", "g", "m²", "L/m²",
        "L/m²/h",
        "cells", "vg", "vg/kg", "cells/kg", "pfu/cell", "kb",
    ]

    /// A unit symbol and its factor for a dimension; vector units use the product's count and
    /// money the model's currency.
    public static func unit(for dimension: UnitDimension, vector: VectorCounting, currency: Currency?) -> (
        String, Double
    ) {
        var list = candidates
        // The model's currency first, then the other (a distribution written in it, converted at
        // the cost file's exchange rate, is shown as written).
        let currencies = (currency.map { [$0] } ?? []) + Currency.allCases.filter { $0 != currency }
        for c in currencies.map(\.rawValue) {
            list += [c, "\(c)/L", "\(c)/g", "\(c)/h", "\(c)/m²", "\(c)/pfu"]
        }
        for symbol in list {
            guard let u = try? Unit.parse(symbol), u.dimension == dimension else { continue }
            let shown = vector == .transducingUnits ? symbol.replacingOccurrences(of: "vg", with: "TU") : symbol
            return (shown, u.factor)
        }
        return ("(\(dimension))", 1)
    }

    /// A distribution written back in a unit: `triangular(22, 26, 32) h`.
    public static func describe(_ d: Distribution, unit: (String, Double)) -> String {
        let (symbol, f) = unit
        func n(_ x: Double) -> String { Fmt.number(x / f, digits: 4) }
        let body: String
        switch d {
        case .fixed(let x): body = "fixed(\(n(x)))"
        case .uniform(let a, let b): body = "uniform(\(n(a)), \(n(b)))"
        case .triangular(let a, let m, let b): body = "triangular(\(n(a)), \(n(m)), \(n(b)))"
        case .pert(let a, let m, let b): body = "pert(\(n(a)), \(n(m)), \(n(b)))"
        case .normal(let m, let s): body = "normal(mean \(n(m)), sd \(n(s)))"
        case .lognormal(let m, let s): return "lognormal(median \(n(m)) \(symbol), sigma \(Fmt.number(s)))"
        }
        return symbol.isEmpty ? body : "\(body) \(symbol)"
    }
}
