import Bioprocess
import Foundation

/// Number formatting for reports: engineering-friendly, locale-independent.
public enum Fmt {
    /// A number with about `digits` significant digits: `200`, `4.2`, `0.0312`, `1.23e16`.
    public static func number(_ x: Double, digits: Int = 3) -> String {
        guard x.isFinite else { return x.isNaN ? "—" : (x > 0 ? "∞" : "-∞") }
        if x == 0 { return "0" }
        let a = abs(x)
        if a >= 1e6 || a < 1e-3 {
            let s = String(format: "%.\(max(0, digits - 1))e", x)
            guard let e = s.firstIndex(of: "e"), let exponent = Int(s[s.index(after: e)...]) else { return s }
            return "\(s[..<e])e\(exponent)"
        }
        let decimals = max(0, digits - 1 - Int(floor(log10(a))))
        var s = String(format: "%.\(decimals)f", x)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// A coordinate of a chart: one decimal, no trailing zero (`12.5`, `80`), so that large
    /// charts stay small. Not finite is drawn at 0.
    public static func svg(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let tenths = Int((x * 10).rounded())
        let whole = tenths / 10, rest = abs(tenths % 10)
        if rest == 0 { return String(whole) }
        return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(rest)"
    }

    /// A whole number with thin grouping: `35 500`.
    public static func count(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A figure rounded to a whole number and grouped, `2,126,620`; beyond 10¹⁵ (or not finite)
    /// it is written as ``number(_:digits:)`` writes it.
    public static func count(_ x: Double) -> String {
        guard x.isFinite, abs(x) < 1e15 else { return number(x) }
        return count(Int(x.rounded()))
    }

    public static func percent(_ f: Double, digits: Int = 3) -> String { number(f * 100, digits: digits) + " %" }

    /// A volume in L, or mL under 1 L.
    public static func volume(_ v: Quantity<Volume>) -> String {
        let l = v.value(in: "L")
        return abs(l) < 1 && l != 0 ? "\(number(v.value(in: "mL"))) mL" : "\(number(l)) L"
    }

    public static func area(_ a: Quantity<Area>) -> String {
        let m2 = a.value(in: "m2")
        return abs(m2) < 0.1 && m2 != 0 ? "\(number(a.value(in: "cm2"))) cm²" : "\(number(m2)) m²"
    }

    public static func days(_ d: Quantity<Duration>) -> String { "\(number(d.value(in: "d"))) d" }
    public static func hours(_ d: Quantity<Duration>) -> String { "\(number(d.value(in: "h"))) h" }

    public static func mass(_ m: Quantity<Mass>) -> String {
        let g = m.value(in: "g")
        if g >= 1000 { return "\(number(m.value(in: "kg"))) kg" }
        if g >= 1 || g == 0 { return "\(number(g)) g" }
        return "\(number(m.value(in: "mg"))) mg"
    }

    public static func cells(_ n: Quantity<CellCount>) -> String { "\(number(n.canonical)) cells" }

    public static func vector(_ v: Quantity<VectorAmount>, _ counting: VectorCounting) -> String {
        "\(number(v.canonical)) \(counting.symbol)"
    }

    public static func concentration(_ c: Quantity<VectorConcentration>, _ counting: VectorCounting) -> String {
        "\(number(c.value(in: "vg/mL"))) \(counting.symbol)/mL"
    }
}

/// A plain-text table with a header row and aligned columns.
public struct TextTable {
    public var headers: [String]
    public var rows: [[String]] = []
    /// Columns aligned right (numbers); others left.
    public var rightAligned: Set<Int>

    public init(_ headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    public mutating func add(_ row: [String]) { rows.append(row) }

    public func render() -> String {
        let all = [headers] + rows
        var widths = Array(repeating: 0, count: headers.count)
        for row in all {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces
        }
        var out = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        return out.joined(separator: "\n") + "\n"
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}

/// Quotes a CSV field when needed (RFC 4180).
public func csvField(_ s: String) -> String {
    // Bytes, not Foundation's string search: a schedule writes a million fields.
    if s.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) {
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return s
}

/// Rows as a CSV document: fields quoted where needed, one line per row, a final newline.
public func csvDocument(_ rows: [[String]]) -> String {
    rows.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
}

/// Text for SVG and HTML: `&`, `<`, `>` and `"` escaped.
public func xmlEscaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
