import Foundation
import HTTPTypes
import Hummingbird
import Reporting
import ZIPFoundation

/// An Excel workbook (.xlsx, SpreadsheetML in a ZIP archive) of tables: one sheet per table,
/// the header row bold and frozen, numbers stored as numbers, text as inline strings, columns
/// wide enough for their header.
enum Workbook {
    /// A workbook that cannot be written: too large (413), answered in words.
    struct Failure: Error, CustomStringConvertible, HTTPResponseError {
        var description: String
        var status: HTTPResponse.Status { .contentTooLarge }
        func response(from request: Request, context: some RequestContext) throws -> Response {
            Response(
                status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: description + ": download the tables as CSV instead\n")))
        }
    }

    /// The most cells one workbook holds: 2 million (a sheet of Excel holds 17 billion, a page
    /// of VectorFab's never more than a few hundred thousand).
    static let maxCells = 2_000_000

    static func xlsx(_ tables: [DataTable]) throws -> Data {
        guard !tables.isEmpty else { throw Failure(description: "a workbook needs a table") }
        let cells = tables.reduce(0) { $0 + ($1.rows.count + 1) * $1.columns.count }
        guard cells <= maxCells else { throw Failure(description: "the workbook would hold \(cells) cells, more than \(maxCells)") }
        let names = sheetNames(tables.map(\.name))
        var files: [(String, Data)] = [
            ("[Content_Types].xml", Data(contentTypes(tables.count).utf8)),
            ("_rels/.rels", Data(rootRelationships.utf8)),
            ("xl/workbook.xml", Data(workbook(names).utf8)),
            ("xl/_rels/workbook.xml.rels", Data(workbookRelationships(tables.count).utf8)),
            ("xl/styles.xml", Data(styles.utf8)),
        ]
        for (i, table) in tables.enumerated() { files.append(("xl/worksheets/sheet\(i + 1).xml", Data(sheet(table).utf8))) }
        let archive = try Archive(data: Data(), accessMode: .create)
        // A fixed date, so that the same tables make the same bytes.
        let date = Date(timeIntervalSince1970: 1_767_225_600)
        for (path, data) in files {
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), modificationDate: date, compressionMethod: .deflate,
                provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
        }
        guard let data = archive.data else { throw Failure(description: "the workbook could not be written") }
        return data
    }

    /// Sheet names as Excel allows them: at most 31 characters, none of `[]:*?/\`, unique.
    static func sheetNames(_ names: [String]) -> [String] {
        var used: Set<String> = []
        return names.enumerated().map { i, raw in
            var name = String(raw.map { "[]:*?/\\".contains($0) ? "-" : $0 }).trimmingCharacters(in: CharacterSet(charactersIn: "' "))
            if name.isEmpty { name = "Sheet \(i + 1)" }
            name = String(name.prefix(31))
            var candidate = name, k = 2
            while used.contains(candidate.lowercased()) {
                let suffix = " \(k)"
                candidate = String(name.prefix(31 - suffix.count)) + suffix
                k += 1
            }
            used.insert(candidate.lowercased())
            return candidate
        }
    }

    /// `A`, `B`, …, `Z`, `AA`, … for a zero-based column.
    static func column(_ index: Int) -> String {
        var n = index + 1, out = ""
        while n > 0 {
            let r = (n - 1) % 26
            out = String(UnicodeScalar(UInt8(65 + r))) + out
            n = (n - 1) / 26
        }
        return out
    }

    static func escaped(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            // XML 1.0 has no other control character than tab, line feed and carriage return.
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { out += "?" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    static func sheet(_ t: DataTable) -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
            <sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>
            <cols>
            """
        for (i, c) in t.columns.enumerated() {
            let widest = max(c.header.count, t.rows.prefix(200).map { $0.count > i ? $0[i].csvText.count : 0 }.max() ?? 0)
            out += "<col min=\"\(i + 1)\" max=\"\(i + 1)\" width=\"\(min(60, max(8, widest + 2)))\" customWidth=\"1\"/>"
        }
        out += "</cols><sheetData>"
        func row(_ r: Int, _ cells: [DataTable.Cell], style: Int) {
            out += "<row r=\"\(r)\">"
            for (i, cell) in cells.enumerated() {
                let ref = "\(column(i))\(r)"
                let s = style > 0 ? " s=\"\(style)\"" : ""
                switch cell {
                case .number(let x) where x.isFinite: out += "<c r=\"\(ref)\"\(s)><v>\(x)</v></c>"
                case .text(let text) where !text.isEmpty:
                    out += "<c r=\"\(ref)\"\(s) t=\"inlineStr\"><is><t xml:space=\"preserve\">\(escaped(text))</t></is></c>"
                default: break
                }
            }
            out += "</row>"
        }
        row(1, t.columns.map { .text($0.header) }, style: 1)
        for (k, cells) in t.rows.enumerated() { row(k + 2, cells, style: 0) }
        out += "</sheetData></worksheet>"
        return out
    }

    static func contentTypes(_ sheets: Int) -> String {
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
        <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
        <Default Extension="xml" ContentType="application/xml"/>
        <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
        <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
        \((1...sheets).map { "<Override PartName=\"/xl/worksheets/sheet\($0).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>" }.joined())
        </Types>
        """
    }

    static let rootRelationships = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
        <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
        </Relationships>
        """

    static func workbook(_ names: [String]) -> String {
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
        <sheets>\(names.enumerated().map { "<sheet name=\"\(escaped($1))\" sheetId=\"\($0 + 1)\" r:id=\"rId\($0 + 1)\"/>" }.joined())</sheets>
        </workbook>
        """
    }

    static func workbookRelationships(_ sheets: Int) -> String {
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
        \((1...sheets).map { "<Relationship Id=\"rId\($0)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0).xml\"/>" }.joined())
        <Relationship Id="rId\(sheets + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
        </Relationships>
        """
    }

    /// Two cell formats: normal, and bold for the header row.
    static let styles = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
        <fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
        <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
        <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
        <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
        <cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
        <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
        </styleSheet>
        """
}
