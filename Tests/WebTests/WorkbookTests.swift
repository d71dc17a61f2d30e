import Foundation
import Reporting
import Testing

@testable import Web

/// The workbook writer's rules (openpyxl reads the workbooks back in Tests/Browser/workbooks.py)
/// and the CSV read back into a table.
struct WorkbookTests {
    @Test func sheetNamesColumnsAndEscapingFollowExcelsRules() throws {
        #expect(Workbook.sheetNames(["a/b", "A/B", "", String(repeating: "x", count: 40)]) == ["a-b", "A-B 2", "Sheet 3", String(repeating: "x", count: 31)])
        #expect([0, 25, 26, 701, 702].map(Workbook.column) == ["A", "Z", "AA", "ZZ", "AAA"])
        #expect(Workbook.escaped("<a & \"b\">\u{1}") == "&lt;a &amp; &quot;b&quot;&gt;?")
        var t = DataTable("T", columns: [.init("n", unit: "L"), .init("s")])
        t.add([.number(1.5), .text("x<y")])
        t.add([.number(.nan), .empty])
        let sheet = Workbook.sheet(t)
        #expect(sheet.contains("<c r=\"A2\"><v>1.5</v></c>") && sheet.contains("<t xml:space=\"preserve\">x&lt;y</t>"))
        #expect(sheet.contains("<c r=\"A1\" s=\"1\" t=\"inlineStr\"><is><t xml:space=\"preserve\">n (L)</t>"), "units in the header, bold")
        #expect(sheet.contains("state=\"frozen\""))
        #expect(!sheet.contains("A3"), "no cell for what is not a number and empty")
        let data = try Workbook.xlsx([t])
        #expect(Array(data.prefix(2)) == [0x50, 0x4B])
        let big = DataTable("big", columns: [.init("a"), .init("b")], rows: Array(repeating: [.number(1), .number(2)], count: Workbook.maxCells / 2 + 1))
        #expect(throws: Workbook.Failure.self) { try Workbook.xlsx([big]) }
    }

    @Test func aCSVReadsBackAsTheTableThatWroteIt() throws {
        var t = DataTable("T", columns: [.init("name"), .init("value", unit: "€"), .init("note")])
        t.add([.text("a, \"quoted\"\nline"), .number(1234567.25), .text("2026-01")])
        t.add([.text("b"), .number(-0.001), .empty])
        let back = try #require(DataTable("T", csv: "\u{FEFF}" + t.csv()))
        #expect(back.columns.map(\.header) == ["name", "value (€)", "note"])
        #expect(back.rows == t.rows)
        #expect(DataTable("x", csv: "a,b\n\"open") == nil)
    }
}
