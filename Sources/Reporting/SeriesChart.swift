import Foundation
import Monitoring

/// A monitored series over time as SVG: the points min/max downsampled to the chart's width
/// (a month of one-minute data draws whole, its spikes kept), the alert and action limits as
/// lines, the excursions shaded, day ticks on the time axis.
public enum SeriesChart {
    /// An excursion to shade: from, to (nil: still open), its level.
    public struct Band: Sendable, Hashable {
        public var from: Double
        public var to: Double?
        public var level: LimitLevel
        public init(from: Double, to: Double?, level: LimitLevel) {
            self.from = from
            self.to = to
            self.level = level
        }
    }

    /// Buckets across the plot (two points each at most).
    public static let buckets = 800

    public static func svg(
        times: [Double], values: [Double], limits: SeriesLimits?, excursions: [Band] = [], unit: String, title: String
    ) -> String {
        let drawn = Downsampling.minMax(times: times, values: values, buckets: buckets)
        let width = 900.0, height = 320.0, left = 80.0, right = 30.0, top = 30.0, bottom = 46.0
        guard let t0 = drawn.first?.time, let t1 = drawn.last?.time else { return "<p class=\"muted\">No points in this period.</p>" }
        var all = drawn.map(\.value)
        for v in [limits?.alertLow, limits?.alertHigh, limits?.actionLow, limits?.actionHigh] { if let v { all.append(v) } }
        var lo = all.min()!, hi = all.max()!
        if hi - lo < 1e-12 { lo -= 1; hi += 1 }
        let pad = (hi - lo) * 0.08
        lo -= pad
        hi += pad
        let span = max(t1 - t0, 1)
        func x(_ t: Double) -> Double { left + (width - left - right) * (t - t0) / span }
        func y(_ v: Double) -> Double { top + (height - top - bottom) * (1 - (v - lo) / (hi - lo)) }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart series" viewBox="0 0 \(Fmt.svg(width)) \(Fmt.svg(height))" role="img" aria-label="\(xmlEscaped(title))">
            <title>\(xmlEscaped(title))</title>

            """
        for band in excursions {
            let a = max(t0, band.from), b = min(t1, band.to ?? t1)
            guard b >= a else { continue }
            let colour = band.level == .action ? "#f6c9c9" : "#fbe7b5"
            out += "<rect x=\"\(Fmt.svg(x(a)))\" y=\"\(Fmt.svg(top))\" width=\"\(Fmt.svg(max(1, x(b) - x(a))))\" height=\"\(Fmt.svg(height - top - bottom))\" fill=\"\(colour)\"><title>\(band.level.word) excursion from \(Timestamps.text(band.from))</title></rect>\n"
        }
        out += "<line x1=\"\(Fmt.svg(left))\" y1=\"\(Fmt.svg(height - bottom))\" x2=\"\(Fmt.svg(width - right))\" y2=\"\(Fmt.svg(height - bottom))\" stroke=\"#9aa5b4\"/>\n"
        out += "<line x1=\"\(Fmt.svg(left))\" y1=\"\(Fmt.svg(top))\" x2=\"\(Fmt.svg(left))\" y2=\"\(Fmt.svg(height - bottom))\" stroke=\"#9aa5b4\"/>\n"
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4
            out += "<text x=\"\(Fmt.svg(left - 6))\" y=\"\(Fmt.svg(y(v) + 4))\" text-anchor=\"end\" class=\"tick\">\(Fmt.svg(v))</text>\n"
        }
        out += "<text x=\"12\" y=\"\(Fmt.svg(top - 12))\" class=\"tick\">\(xmlEscaped(unit))</text>\n"
        // Time ticks: the first round step that gives at most ten (minutes to weeks).
        let steps: [Double] = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800]
        let step = steps.first { span / $0 <= 10 } ?? 86_400 * ceil(span / 86_400 / 10)
        var tick = ceil(t0 / step) * step
        while tick <= t1 {
            // Dates for day steps; hours and minutes within a day, the date at midnight.
            let text = Timestamps.text(tick)
            let label = step >= 86_400 ? String(text.prefix(10)) : tick.truncatingRemainder(dividingBy: 86_400) == 0 ? String(text.dropFirst(5).prefix(5)) : String(text.dropFirst(11).prefix(5))
            out += "<text x=\"\(Fmt.svg(x(tick)))\" y=\"\(Fmt.svg(height - bottom + 18))\" text-anchor=\"middle\" class=\"tick\">\(label)</text>\n"
            tick += step
        }
        for (value, name, colour) in [
            (limits?.actionHigh, "action", "#b3261e"), (limits?.actionLow, "action", "#b3261e"), (limits?.alertHigh, "alert", "#b26a00"),
            (limits?.alertLow, "alert", "#b26a00"),
        ] {
            guard let value else { continue }
            out += "<line x1=\"\(Fmt.svg(left))\" y1=\"\(Fmt.svg(y(value)))\" x2=\"\(Fmt.svg(width - right))\" y2=\"\(Fmt.svg(y(value)))\" stroke=\"\(colour)\" stroke-dasharray=\"6 4\"><title>\(name) limit \(Fmt.svg(value)) \(xmlEscaped(unit))</title></line>\n"
        }
        var path = ""
        path.reserveCapacity(drawn.count * 16)
        for (i, p) in drawn.enumerated() { path += (i == 0 ? "M" : "L") + Fmt.svg(x(p.time)) + " " + Fmt.svg(y(p.value)) }
        out += "<path d=\"\(path)\" fill=\"none\" stroke=\"#1f6f8b\" stroke-width=\"1.2\"/>\n</svg>"
        return out
    }
}
