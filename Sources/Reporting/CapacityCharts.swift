import Capacity
import Foundation

/// Charts of a plan beside its Gantt: demand against supply by year, and the utilisation of the
/// busiest suites and resources.
public enum CapacityCharts {
    /// Per product, two bars a year: what is demanded (grey) and what the plan supplies
    /// (coloured), with the served part drawn solid and the surplus faint.
    public static func demandAndSupply(_ r: PlanReport) -> String {
        let products = r.plan.demand.products
        let years = r.analysis.years
        let y0 = r.plan.demand.start.year
        let panelHeight = 170.0, top = 30.0, left = 70.0, width = 1000.0, bottom = 26.0
        let height = top + Double(products.count) * (panelHeight + bottom + 24) + 10
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Fmt.svg(left + width + 20)) \(Fmt.svg(height))" role="img" aria-label="Demand and supply by year">
            <title>Demand and supply by year</title>
            <rect x="\(Fmt.svg(left))" y="8" width="12" height="12" fill="#9aa3ad"/><text x="\(Fmt.svg(left + 17))" y="18">demand</text>
            <rect x="\(Fmt.svg(left + 90))" y="8" width="12" height="12" fill="#0b6e8a"/><text x="\(Fmt.svg(left + 107))" y="18">supplied by the plan</text>

            """
        for (k, p) in products.enumerated() {
            let rows = r.analysis.products.filter { $0.product == p.name }.sorted { $0.year < $1.year }
            let peak = max(1, rows.map { max($0.demand, $0.supplied) }.max() ?? 1)
            let step = niceStep(peak / 4)
            let axisTop = (peak / step).rounded(.up) * step
            let py = top + Double(k) * (panelHeight + bottom + 24) + 20
            func y(_ v: Double) -> Double { py + panelHeight - v / axisTop * panelHeight }
            out += "<text x=\"\(Fmt.svg(left))\" y=\"\(Fmt.svg(py - 6))\" font-weight=\"bold\">\(xmlEscaped(p.name)) (\(p.unit.rawValue))</text>\n"
            var tick = 0.0
            while tick <= axisTop + step / 2 {
                out += "<line x1=\"\(Fmt.svg(left))\" x2=\"\(Fmt.svg(left + width))\" y1=\"\(Fmt.svg(y(tick)))\" y2=\"\(Fmt.svg(y(tick)))\" stroke=\"#e3e6ea\"/>"
                out += "<text x=\"\(Fmt.svg(left - 6))\" y=\"\(Fmt.svg(y(tick) + 4))\" text-anchor=\"end\" class=\"tick\">\(Fmt.count(tick))</text>\n"
                tick += step
            }
            let slot = width / Double(max(1, years))
            let bar = min(40, slot * 0.36)
            for row in rows {
                let x = left + Double(row.year) * slot + slot / 2
                out += "<rect x=\"\(Fmt.svg(x - bar - 1))\" y=\"\(Fmt.svg(y(row.demand)))\" width=\"\(Fmt.svg(bar))\" height=\"\(Fmt.svg(y(0) - y(row.demand)))\" fill=\"#9aa3ad\"><title>\(y0 + row.year): demand \(Fmt.count(row.demand))</title></rect>"
                let served = min(row.supplied, row.served.isFinite ? max(row.served, 0) : 0)
                out += "<rect x=\"\(Fmt.svg(x + 1))\" y=\"\(Fmt.svg(y(row.supplied)))\" width=\"\(Fmt.svg(bar))\" height=\"\(Fmt.svg(y(0) - y(row.supplied)))\" fill=\"#0b6e8a\" fill-opacity=\"0.35\"><title>\(y0 + row.year): supplied \(Fmt.count(row.supplied)), served \(Fmt.count(row.served)), unmet so far \(Fmt.count(row.unmet))</title></rect>"
                out += "<rect x=\"\(Fmt.svg(x + 1))\" y=\"\(Fmt.svg(y(served)))\" width=\"\(Fmt.svg(bar))\" height=\"\(Fmt.svg(y(0) - y(served)))\" fill=\"#0b6e8a\"/>"
                out += "<text x=\"\(Fmt.svg(x))\" y=\"\(Fmt.svg(y(0) + 16))\" text-anchor=\"middle\" class=\"tick\">\(y0 + row.year)</text>\n"
            }
        }
        return out + "</svg>\n"
    }

    /// A step of 1, 2 or 5 × 10ⁿ near `x`.
    static func niceStep(_ x: Double) -> Double {
        guard x.isFinite, x > 0 else { return 1 }
        let e = pow(10, floor(log10(x)))
        let f = x / e
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e
    }

    /// The busiest suites and resources (at most 20), as horizontal bars; the bottleneck darker.
    public static func utilisation(_ r: PlanReport) -> String {
        let rows = r.analysis.utilisation.sorted { $0.utilisation > $1.utilisation }.prefix(20)
        let left = 230.0, width = 760.0, rowHeight = 20.0, top = 10.0
        let height = top + Double(rows.count) * rowHeight + 30
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Fmt.svg(left + width + 70)) \(Fmt.svg(height))" role="img" aria-label="Utilisation">
            <title>Utilisation of the busiest suites and resources</title>

            """
        let peak = max(1, rows.map(\.utilisation).max() ?? 1)
        for (i, u) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            let w = u.utilisation / peak * width
            let name = u.name.count > 34 ? String(u.name.prefix(33)) + "…" : u.name
            out += "<text x=\"\(Fmt.svg(left - 8))\" y=\"\(Fmt.svg(y + 14))\" text-anchor=\"end\">\(xmlEscaped(name))</text>"
            out += "<rect x=\"\(Fmt.svg(left))\" y=\"\(Fmt.svg(y + 3))\" width=\"\(Fmt.svg(max(0.5, w)))\" height=\"\(Fmt.svg(rowHeight - 6))\" fill=\"\(u.name == r.analysis.bottleneck?.name ? "#a4161a" : "#0b6e8a")\"><title>\(xmlEscaped(u.name)): \(Fmt.percent(u.utilisation)) used, \(Fmt.count(u.busyDays)) busy days</title></rect>"
            out += "<text x=\"\(Fmt.svg(left + w + 6))\" y=\"\(Fmt.svg(y + 14))\" class=\"tick\">\(Fmt.percent(u.utilisation))</text>\n"
        }
        return out + "</svg>\n"
    }
}
