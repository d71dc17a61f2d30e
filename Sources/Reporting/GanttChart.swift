import Bioprocess
import Capacity
import Foundation

/// A Gantt chart of a plan, drawn as SVG by hand: one row per suite and resource, one bar per
/// stage, coloured by product, with year lines and closures shaded.
public enum GanttChart {
    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    public static func svg(_ report: PlanReport) -> String {
        let plan = report.plan
        let f = plan.facility
        let rows =
            f.suites.enumerated().filter { $0.element.kind == .vectorProduction }.map {
                (Holder.suite($0.offset), $0.element.name)
            }
            + f.resources.enumerated().map { (Holder.resource($0.offset), $0.element.name) }
        let rowHeight = 22.0, left = 190.0, top = 40.0, width = 1100.0
        let horizon = max(plan.horizon, 1)
        let scale = width / horizon
        let height = top + Double(rows.count) * rowHeight + 60
        let products = plan.demand.products.map(\.name)
        func x(_ day: Double) -> Double { left + min(max(day, 0), horizon) * scale }
        let esc = xmlEscaped
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(clamping: left + width + 20, to: 0...Int.max))" height="\(Int(clamping: height, to: 0...Int.max))" font-family="sans-serif" font-size="11">
            <title>\(esc("Production plan — \(f.name)"))</title>
            <text x="10" y="20" font-size="14" font-weight="bold">\(esc("Production plan — \(f.name) — \(plan.demand.name)"))</text>

            """
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            out += "<text x=\"10\" y=\"\(y + 15)\">\(esc(row.1))</text>\n"
            out += "<rect x=\"\(left)\" y=\"\(y)\" width=\"\(width)\" height=\"\(rowHeight - 2)\" fill=\"#f4f4f4\"/>\n"
        }
        for c in f.closures where c.from < horizon {
            for (i, row) in rows.enumerated() where c.applies(to: row.1) {
                let y = top + Double(i) * rowHeight
                out +=
                    "<rect x=\"\(x(c.from))\" y=\"\(y)\" width=\"\(max(1, x(c.to) - x(c.from)))\" height=\"\(rowHeight - 2)\" fill=\"#bbbbbb\"><title>\(esc(c.name))</title></rect>\n"
            }
        }
        for lot in plan.lots {
            let colour = palette[(products.firstIndex(of: lot.product) ?? 0) % palette.count]
            for b in lot.bookings {
                guard let i = rows.firstIndex(where: { $0.0 == b.holder }) else { continue }
                let y = top + Double(i) * rowHeight
                let opacity =
                    b.stage == .changeover ? "0.25" : (b.stage == .release || b.stage == .expansion ? "0.55" : "0.9")
                out +=
                    "<rect x=\"\(x(b.start))\" y=\"\(y + 1)\" width=\"\(max(0.5, x(b.end) - x(b.start)))\" height=\"\(rowHeight - 4)\" fill=\"\(colour)\" fill-opacity=\"\(opacity)\"><title>\(esc("lot \(lot.number) \(lot.product): \(b.stage.rawValue) \(report.date(b.start)) → \(report.date(b.end))"))</title></rect>\n"
            }
        }
        let bottom = top + Double(rows.count) * rowHeight
        var yearDay = 0.0, year = plan.demand.start.year
        while yearDay <= horizon {
            out +=
                "<line x1=\"\(x(yearDay))\" y1=\"\(top - 5)\" x2=\"\(x(yearDay))\" y2=\"\(bottom)\" stroke=\"#333\" stroke-width=\"0.5\"/>\n"
            out += "<text x=\"\(x(yearDay) + 2)\" y=\"\(top - 8)\">\(year)</text>\n"
            yearDay += 365
            year += 1
        }
        for (k, p) in products.enumerated() {
            let lx = left + Double(k) * 220
            out +=
                "<rect x=\"\(lx)\" y=\"\(bottom + 20)\" width=\"12\" height=\"12\" fill=\"\(palette[k % palette.count])\"/>"
            out += "<text x=\"\(lx + 16)\" y=\"\(bottom + 30)\">\(esc(p))</text>\n"
        }
        out +=
            "<text x=\"\(left)\" y=\"\(bottom + 50)\" fill=\"#555\">Light: expansion and QC release; faint: changeover; grey: closures.</text>\n"
        out += "</svg>\n"
        return out
    }
}
