import Foundation

/// One test's results across batches as an SVG chart: a point per result in batch order, the
/// specification's limits as lines, results out of specification in red, repeats as rings. The
/// scale is logarithmic when the values span more than two decades (titers).
public enum TrendChart {
    public struct Point: Sendable, Hashable {
        public var label: String
        public var value: Double
        public var pass: Bool
        public var isRepeat: Bool
        public var link: String?

        public init(label: String, value: Double, pass: Bool, isRepeat: Bool, link: String? = nil) {
            self.label = label
            self.value = value
            self.pass = pass
            self.isRepeat = isRepeat
            self.link = link
        }
    }

    /// The most points drawn: the latest ones.
    public static let maxPoints = 2000

    /// Control limits drawn beside the specification: the centre line and the ±3σ limits.
    public struct Control: Sendable, Hashable {
        public var centre: Double
        public var lower: Double
        public var upper: Double
        public init(centre: Double, lower: Double, upper: Double) {
            self.centre = centre
            self.lower = lower
            self.upper = upper
        }
    }

    /// `flagged`: the points (indices into `all`) that break a run rule, ringed.
    public static func svg(
        _ all: [Point], low: Double?, high: Double?, unit: String, title: String, control: Control? = nil, flagged: Set<Int> = []
    ) -> String {
        let shift = max(0, all.count - maxPoints)
        let points = Array(all.suffix(maxPoints))
        let width = 900.0, height = 320.0, left = 80.0, right = 50.0, top = 30.0, bottom = 50.0
        var values = points.map(\.value).filter(\.isFinite)
        if let low { values.append(low) }
        if let high { values.append(high) }
        if let control { values += [control.lower, control.upper].filter(\.isFinite) }
        guard let minV = values.min(), let maxV = values.max() else {
            return "<p class=\"muted\">No numeric result yet.</p>"
        }
        let log = minV > 0 && maxV / minV > 100
        func t(_ v: Double) -> Double { log ? Foundation.log10(v) : v }
        var lo = t(minV), hi = t(maxV)
        if hi - lo < 1e-12 { lo -= 1; hi += 1 }
        let pad = (hi - lo) * 0.08
        lo -= pad
        hi += pad
        func y(_ v: Double) -> Double { top + (height - top - bottom) * (1 - (t(v) - lo) / (hi - lo)) }
        let n = max(points.count, 1)
        func x(_ i: Int) -> Double { left + (width - left - right) * (n == 1 ? 0.5 : Double(i) / Double(n - 1)) }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Fmt.svg(width)) \(Fmt.svg(height))" role="img" aria-label="\(xmlEscaped(title))">
            <title>\(xmlEscaped(title))</title>
            <line x1="\(Fmt.svg(left))" y1="\(Fmt.svg(height - bottom))" x2="\(Fmt.svg(width - right))" y2="\(Fmt.svg(height - bottom))" stroke="#9aa5b4"/>
            <line x1="\(Fmt.svg(left))" y1="\(Fmt.svg(top))" x2="\(Fmt.svg(left))" y2="\(Fmt.svg(height - bottom))" stroke="#9aa5b4"/>

            """
        // Five ticks on the value axis.
        for k in 0...4 {
            let tv = lo + (hi - lo) * Double(k) / 4
            let v = log ? pow(10, tv) : tv
            out += "<text x=\"\(Fmt.svg(left - 6))\" y=\"\(Fmt.svg(y(v) + 4))\" text-anchor=\"end\" class=\"tick\">\(xmlEscaped(Self.text(v)))</text>\n"
        }
        out += "<text x=\"12\" y=\"\(Fmt.svg(top - 12))\" class=\"tick\">\(xmlEscaped(unit))\(log ? " (log scale)" : "")</text>\n"
        for (limit, name) in [(low, "low limit"), (high, "high limit")] {
            guard let limit else { continue }
            out += "<line x1=\"\(Fmt.svg(left))\" y1=\"\(Fmt.svg(y(limit)))\" x2=\"\(Fmt.svg(width - right))\" y2=\"\(Fmt.svg(y(limit)))\" stroke=\"#a4161a\" stroke-dasharray=\"6 4\"/>"
            out += "<text x=\"\(Fmt.svg(width - right))\" y=\"\(Fmt.svg(y(limit) - 4))\" text-anchor=\"end\" class=\"tick\">\(name) \(xmlEscaped(Self.text(limit)))</text>\n"
        }
        if let control {
            for (value, name) in [(control.upper, "UCL"), (control.centre, "centre"), (control.lower, "LCL")] where value.isFinite {
                out += "<line x1=\"\(Fmt.svg(left))\" y1=\"\(Fmt.svg(y(value)))\" x2=\"\(Fmt.svg(width - right))\" y2=\"\(Fmt.svg(y(value)))\" stroke=\"#2d6a4f\" stroke-dasharray=\"2 3\"/>"
                out += "<text x=\"\(Fmt.svg(left + 4))\" y=\"\(Fmt.svg(y(value) - 4))\" class=\"tick\">\(name) \(xmlEscaped(Self.text(value)))</text>\n"
            }
        }
        for i in flagged.sorted() where i - shift >= 0 && i - shift < points.count {
            let p = points[i - shift]
            out += "<circle cx=\"\(Fmt.svg(x(i - shift)))\" cy=\"\(Fmt.svg(y(p.value)))\" r=\"10\" fill=\"none\" stroke=\"#e85d04\" stroke-width=\"2\" class=\"rule\"><title>\(xmlEscaped(p.label)): a run rule is broken here</title></circle>\n"
        }
        let firsts = points.enumerated().filter { !$0.element.isRepeat }
        if firsts.count > 1 {
            out += "<polyline fill=\"none\" stroke=\"#0b6e8a\" stroke-width=\"1.2\" points=\"" + firsts.map { "\(Fmt.svg(x($0.offset))),\(Fmt.svg(y($0.element.value)))" }.joined(separator: " ") + "\"/>\n"
        }
        let every = max(1, points.count / 12)
        for (i, p) in points.enumerated() {
            let colour = p.pass ? "#0b6e8a" : "#a4161a"
            let fill = p.isRepeat ? "#fff" : colour
            var dot = "<circle cx=\"\(Fmt.svg(x(i)))\" cy=\"\(Fmt.svg(y(p.value)))\" r=\"5\" fill=\"\(fill)\" stroke=\"\(colour)\" stroke-width=\"2\"><title>\(xmlEscaped("\(p.label): \(Self.text(p.value)) \(unit)\(p.pass ? "" : " — out of specification")\(p.isRepeat ? " (repeat)" : "")"))</title></circle>"
            if let link = p.link { dot = "<a href=\"\(xmlEscaped(link))\">\(dot)</a>" }
            out += dot + "\n"
            if i % every == 0 {
                out += "<text x=\"\(Fmt.svg(x(i)))\" y=\"\(Fmt.svg(height - bottom + 18))\" text-anchor=\"middle\" class=\"tick\">\(xmlEscaped(p.label))</text>\n"
            }
        }
        return out + "</svg>\n"
    }

    /// A value with three significant figures (scientific beyond 1e5 or under 0.01).
    public static func text(_ v: Double) -> String {
        let a = abs(v)
        if a != 0 && (a >= 1e5 || a < 1e-2) { return String(format: "%.2e", v) }
        return String(format: a >= 100 ? "%.0f" : "%.3g", v)
    }
}
