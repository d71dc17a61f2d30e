import Bioprocess
import Economics
import Foundation

/// The Monte Carlo's charts as SVG, drawn by hand: a histogram of the cost per dose with its p5,
/// p50 and p95 marked, a tornado of one-at-a-time swings around the nominal cost, and Sobol
/// indices as paired bars.
public enum UncertaintyCharts {
    public static func histogram(_ s: SampleStatistics, currency: Currency) -> String {
        let counts = s.histogram.counts, edges = s.histogram.edges
        guard !counts.isEmpty, edges.count == counts.count + 1 else { return "" }
        let left = 60.0, top = 16.0, plotWidth = 760.0, plotHeight = 200.0
        let width = left + plotWidth + 60, height = top + plotHeight + 46
        let peak = Double(counts.max() ?? 1)
        let lo = edges.first!, hi = edges.last!
        let span = max(hi - lo, 1e-12)
        func x(_ v: Double) -> Double { left + (v - lo) / span * plotWidth }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="Histogram of the cost per dose">
            <title>Cost per dose: histogram of \(Fmt.count(s.count)) samples</title>

            """
        for (i, n) in counts.enumerated() {
            let h = Double(n) / peak * plotHeight
            out += "<rect x=\"\(x(edges[i]) + 1)\" y=\"\(top + plotHeight - h)\" width=\"\(max(1, x(edges[i + 1]) - x(edges[i]) - 2))\" height=\"\(h)\" fill=\"#0b6e8a\">"
            out += "<title>\(xmlEscaped("\(Fmt.money(edges[i], currency)) – \(Fmt.money(edges[i + 1], currency)): \(Fmt.count(n)) samples"))</title></rect>\n"
        }
        for (label, v) in [("p5", s.p5), ("p50", s.p50), ("p95", s.p95)] where v.isFinite {
            out += "<line x1=\"\(x(v))\" y1=\"\(top)\" x2=\"\(x(v))\" y2=\"\(top + plotHeight)\" stroke=\"#a4161a\" stroke-dasharray=\"4 3\"/>"
            out += "<text x=\"\(x(v) + 3)\" y=\"\(top + 10)\" class=\"tick\">\(label)</text>\n"
        }
        for i in 0...4 {
            let v = lo + span * Double(i) / 4
            out += "<text x=\"\(x(v))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\" class=\"tick\">\(xmlEscaped(CostChart.compact(v, currency)))</text>"
        }
        out += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">cost per dose</text>"
        return out + "</svg>"
    }

    public static func tornado(_ t: Sensitivity.Tornado, currency: Currency) -> String {
        let bars = t.bars.filter { $0.costAtLow.isFinite && $0.costAtHigh.isFinite }
        guard !bars.isEmpty else { return "" }
        let left = 280.0, top = 26.0, plotWidth = 520.0, row = 24.0
        let width = left + plotWidth + 40, height = top + Double(bars.count) * row + 30
        let lo = min(bars.map { min($0.costAtLow, $0.costAtHigh) }.min()!, t.nominalCostPerDose)
        let hi = max(bars.map { max($0.costAtLow, $0.costAtHigh) }.max()!, t.nominalCostPerDose)
        let span = max(hi - lo, 1e-12)
        func x(_ v: Double) -> Double { left + (v - lo) / span * plotWidth }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="Tornado of the cost per dose">
            <title>Cost per dose with one input at its 5th and 95th percentile</title>

            """
        for (i, b) in bars.enumerated() {
            let y = top + Double(i) * row
            let label = b.label.count > 44 ? String(b.label.prefix(43)) + "…" : b.label
            out += "<text x=\"\(left - 8)\" y=\"\(y + 15)\" text-anchor=\"end\">\(xmlEscaped(label))</text>"
            for (end, colour, name) in [(b.costAtLow, "#5b8def", "p5"), (b.costAtHigh, "#e6a23c", "p95")] {
                let a = x(min(end, t.nominalCostPerDose)), z = x(max(end, t.nominalCostPerDose))
                out += "<rect x=\"\(a)\" y=\"\(y + 3)\" width=\"\(max(1, z - a))\" height=\"\(row - 6)\" fill=\"\(colour)\">"
                out += "<title>\(xmlEscaped("\(b.label) at its \(name): \(Fmt.money(end, currency)) a dose"))</title></rect>"
            }
            out += "\n"
        }
        let nx = x(t.nominalCostPerDose)
        out += "<line x1=\"\(nx)\" y1=\"\(top - 6)\" x2=\"\(nx)\" y2=\"\(height - 26)\" stroke=\"#1d2430\"/>"
        out += "<text x=\"\(nx)\" y=\"\(top - 10)\" text-anchor=\"middle\" class=\"tick\">nominal \(xmlEscaped(Fmt.money(t.nominalCostPerDose, currency)))</text>"
        out += "<rect x=\"\(left)\" y=\"\(height - 16)\" width=\"12\" height=\"12\" fill=\"#5b8def\"/><text x=\"\(left + 16)\" y=\"\(height - 6)\">input at its p5</text>"
        out += "<rect x=\"\(left + 150)\" y=\"\(height - 16)\" width=\"12\" height=\"12\" fill=\"#e6a23c\"/><text x=\"\(left + 166)\" y=\"\(height - 6)\">input at its p95</text>"
        return out + "</svg>"
    }

    /// Total and first-order indices as paired bars, each with its 95 % interval as a whisker.
    public static func sobol(_ s: Sensitivity.Sobol) -> String {
        guard !s.indices.isEmpty else { return "" }
        let left = 280.0, top = 10.0, plotWidth = 440.0, row = 30.0
        let width = left + plotWidth + 150, height = top + Double(s.indices.count) * row + 30
        func w(_ v: Double) -> Double { max(0, min(1, v.isFinite ? v : 0)) * plotWidth }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="Sobol indices of the cost per dose">
            <title>Sobol indices of the cost per dose, with their 95 % confidence intervals</title>

            """
        /// A bar and its interval's whisker, centred on `y`.
        func bar(_ name: String, _ value: Double, _ interval: ClosedRange<Double>, y: Double, colour: String) -> String {
            let text = "\(name) \(Fmt.number(value, digits: 2)), 95 % CI \(UncertaintyReport.interval(interval))"
            var bar = "<rect x=\"\(left)\" y=\"\(y - 5.5)\" width=\"\(w(value))\" height=\"11\" fill=\"\(colour)\"><title>\(xmlEscaped(text))</title></rect>"
            let lo = left + w(interval.lowerBound), hi = left + w(interval.upperBound)
            bar += "<g class=\"whisker\" stroke=\"#1d2430\" stroke-width=\"1.2\" data-low=\"\(interval.lowerBound)\" data-high=\"\(interval.upperBound)\">"
            bar += "<title>\(xmlEscaped(text))</title>"
            bar += "<line x1=\"\(lo)\" y1=\"\(y)\" x2=\"\(hi)\" y2=\"\(y)\"/>"
            bar += "<line x1=\"\(lo)\" y1=\"\(y - 4)\" x2=\"\(lo)\" y2=\"\(y + 4)\"/><line x1=\"\(hi)\" y1=\"\(y - 4)\" x2=\"\(hi)\" y2=\"\(y + 4)\"/></g>"
            return bar
        }
        for (i, index) in s.indices.enumerated() {
            let y = top + Double(i) * row
            let label = index.label.count > 44 ? String(index.label.prefix(43)) + "…" : index.label
            out += "<text x=\"\(left - 8)\" y=\"\(y + 17)\" text-anchor=\"end\">\(xmlEscaped(label))</text>"
            out += bar("total", index.total, index.totalInterval, y: y + 8.5, colour: "#9467bd")
            out += bar("first order", index.firstOrder, index.firstOrderInterval, y: y + 20.5, colour: "#0b6e8a")
            let right = [index.total, index.firstOrder, index.totalInterval.upperBound, index.firstOrderInterval.upperBound].map(w).max()!
            out += "<text x=\"\(left + right + 6)\" y=\"\(y + 17)\" class=\"tick\">\(Fmt.number(index.total, digits: 2)) / \(Fmt.number(index.firstOrder, digits: 2))</text>\n"
        }
        out += "<rect x=\"\(left)\" y=\"\(height - 16)\" width=\"12\" height=\"12\" fill=\"#9467bd\"/><text x=\"\(left + 16)\" y=\"\(height - 6)\">total</text>"
        out += "<rect x=\"\(left + 100)\" y=\"\(height - 16)\" width=\"12\" height=\"12\" fill=\"#0b6e8a\"/><text x=\"\(left + 116)\" y=\"\(height - 6)\">first order</text>"
        out += "<line x1=\"\(left + 230)\" y1=\"\(height - 10)\" x2=\"\(left + 250)\" y2=\"\(height - 10)\" stroke=\"#1d2430\"/><text x=\"\(left + 256)\" y=\"\(height - 6)\">95 % interval</text>"
        return out + "</svg>"
    }
}
