import Foundation

/// A table as the pages show it and the downloads write it: named columns (with their unit in
/// the header), rows of numbers and text. One value, one cell: the CSV and the Excel workbook of
/// a table are written from the same rows, numbers at full precision.
public struct DataTable: Sendable, Hashable {
    public enum Cell: Sendable, Hashable {
        case text(String)
        case number(Double)
        case empty

        /// The cell as CSV writes it: numbers in full (shortest round-trip form), text as is.
        public var csvText: String {
            switch self {
            case .text(let s): s
            case .number(let x): x.isFinite ? DataTable.plain(x) : ""
            case .empty: ""
            }
        }
    }

    public struct Column: Sendable, Hashable {
        /// How a page writes the column's numbers: grouped whole numbers, or about three
        /// significant digits (downloads keep every digit).
        public enum Style: Sendable, Hashable { case count, number, year }

        public var name: String
        public var unit: String?
        public var style: Style

        public init(_ name: String, unit: String? = nil, style: Style = .number) {
            self.name = name
            self.unit = unit
            self.style = style
        }

        /// The cell as a page shows it.
        public func shown(_ cell: Cell) -> String {
            switch cell {
            case .text(let s): s
            case .number(let x): style == .count ? Fmt.count(x) : style == .year ? DataTable.plain(x) : Fmt.number(x)
            case .empty: ""
            }
        }

        /// `quantity (L)`.
        public var header: String { unit.map { "\(name) (\($0))" } ?? name }
    }

    /// The sheet's name in a workbook, at most 31 characters.
    public var name: String
    public var columns: [Column]
    public var rows: [[Cell]]

    public init(_ name: String, columns: [Column], rows: [[Cell]] = []) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }

    public mutating func add(_ row: [Cell]) { rows.append(row) }

    /// A short name for links: `demand-and-supply`.
    public var slug: String {
        let s = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return String(s).split(separator: "-").joined(separator: "-")
    }

    /// The table as CSV: the header row, then the rows.
    public func csv() -> String {
        csvDocument([columns.map(\.header)] + rows.map { $0.map(\.csvText) })
    }

    /// A CSV document (as ``csvDocument(_:)`` writes it) read back as a table: its first row the
    /// headers, every field that reads as a finite number a number, the others text. Nil when
    /// the text is not CSV with a header row (an unclosed quote, rows longer than the header).
    public init?(_ name: String, csv text: String) {
        var rows: [[String]] = []
        var row: [String] = [], field = "", quoted = false, wasQuoted = false
        var chars = Array(text.unicodeScalars)[...]
        if chars.first == "\u{FEFF}" { chars = chars.dropFirst() }
        var i = chars.startIndex
        func endField() { row.append(field); field = ""; wasQuoted = false }
        while i < chars.endIndex {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.endIndex, chars[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 1 } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" && field.isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
            } else if c == "," {
                endField()
            } else if c == "\n" || c == "\r" {
                if c == "\r", i + 1 < chars.endIndex, chars[i + 1] == "\n" { i += 1 }
                endField()
                rows.append(row)
                row = []
            } else {
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        guard !quoted else { return nil }
        if !field.isEmpty || !row.isEmpty { endField(); rows.append(row) }
        guard let header = rows.first, !header.isEmpty, rows.allSatisfy({ $0.count <= header.count }) else { return nil }
        self.init(
            name, columns: header.map { Column($0) },
            rows: rows.dropFirst().map { r in
                r.map { f -> Cell in
                    if f.isEmpty { return .empty }
                    if let x = Double(f), x.isFinite, f.first.map({ $0.isNumber || $0 == "-" || $0 == "." }) == true { return .number(x) }
                    return .text(f)
                }
            })
    }

    /// A number written without exponent where it is a whole number below 10¹⁵, otherwise in
    /// Swift's shortest form that reads back to the same value.
    static func plain(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}

extension DataTable.Cell: ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }

    /// A number, or empty when there is none (or it is not finite).
    public static func value(_ x: Double?) -> DataTable.Cell {
        guard let x, x.isFinite else { return .empty }
        return .number(x)
    }

    public static func count(_ n: Int) -> DataTable.Cell { .number(Double(n)) }
}
