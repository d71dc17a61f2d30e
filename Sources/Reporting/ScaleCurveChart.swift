import Bioprocess
import Economics
import Foundation

/// Cost per dose against the culture volume of a lot, both on log scales, one line per process
/// file (a platform each), a point per scale with its tooltip; scales a process cannot run at
/// are left out of its line and named under the chart.
public enum ScaleCurveChart {
    static let palette = ["#0b6e8a", "#d95f02", "#7570b3", "#1b9e77", "#e7298a", "#66a61e", "#a6761d", "#666666"]

    public static func svg(_ points: [ScaleCurve.Point], currency: Currency) -> String {
        let drawn = points.filter { $0.problem == nil && $0.costPerDose.isFinite && $0.costPerDose > 0 && $0.cultureVolume.value(in: "L") > 0 }
        var processes: [String] = []
        for p in points where !processes.contains(p.process) { processes.append(p.process) }
        let left = 90.0, top = 20.0, width = 820.0, height = 330.0
        let legendTop = top + height + 62
        let total = legendTop + Double(processes.count) * 18 + 10
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Fmt.svg(left + width + 40)) \(Fmt.svg(total))" role="img" aria-label="Cost per dose across scales">
            <title>Cost per dose across scales</title>

            """
        guard !drawn.isEmpty else { return out + "<text x=\"\(Fmt.svg(left))\" y=\"40\">No scale of these processes makes a dose.</text></svg>\n" }
        let xs = drawn.map { log10($0.cultureVolume.value(in: "L")) }, ys = drawn.map { log10($0.costPerDose) }
        let x0 = floor(xs.min()!), x1 = max(ceil(xs.max()!), x0 + 1)
        let y0 = floor(ys.min()!), y1 = max(ceil(ys.max()!), y0 + 1)
        func x(_ v: Double) -> Double { left + (log10(v) - x0) / (x1 - x0) * width }
        func y(_ v: Double) -> Double { top + height - (log10(v) - y0) / (y1 - y0) * height }
        for e in stride(from: x0, through: x1, by: 1) {
            let v = pow(10, e)
            out += "<line x1=\"\(Fmt.svg(x(v)))\" x2=\"\(Fmt.svg(x(v)))\" y1=\"\(Fmt.svg(top))\" y2=\"\(Fmt.svg(top + height))\" stroke=\"#e3e6ea\"/>"
            out += "<text x=\"\(Fmt.svg(x(v)))\" y=\"\(Fmt.svg(top + height + 16))\" text-anchor=\"middle\" class=\"tick\">\(Fmt.number(v)) L</text>\n"
        }
        for e in stride(from: y0, through: y1, by: 1) {
            let v = pow(10, e)
            out += "<line x1=\"\(Fmt.svg(left))\" x2=\"\(Fmt.svg(left + width))\" y1=\"\(Fmt.svg(y(v)))\" y2=\"\(Fmt.svg(y(v)))\" stroke=\"#e3e6ea\"/>"
            out += "<text x=\"\(Fmt.svg(left - 6))\" y=\"\(Fmt.svg(y(v) + 4))\" text-anchor=\"end\" class=\"tick\">\(xmlEscaped(CostChart.compact(v, currency)))</text>\n"
        }
        out += "<text x=\"\(Fmt.svg(left + width / 2))\" y=\"\(Fmt.svg(top + height + 34))\" text-anchor=\"middle\">culture volume of a lot (log)</text>"
        out += "<text x=\"14\" y=\"\(Fmt.svg(top + height / 2))\" transform=\"rotate(-90 14 \(Fmt.svg(top + height / 2)))\" text-anchor=\"middle\">cost per dose (log)</text>\n"
        for (k, name) in processes.enumerated() {
            let colour = palette[k % palette.count]
            let line = drawn.filter { $0.process == name }.sorted { $0.cultureVolume.value(in: "L") < $1.cultureVolume.value(in: "L") }
            if line.count > 1 {
                let d = line.enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(Fmt.svg(x(p.cultureVolume.value(in: "L")))) \(Fmt.svg(y(p.costPerDose)))" }.joined()
                out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            }
            for p in line {
                let tip = "\(name) at \(ScaleCurveReport.scaleLabel(p.scale)): \(Fmt.count(p.doses)) doses a lot, \(CostChart.compact(p.costPerDose, currency)) a dose"
                out += "<circle cx=\"\(Fmt.svg(x(p.cultureVolume.value(in: "L"))))\" cy=\"\(Fmt.svg(y(p.costPerDose)))\" r=\"4\" fill=\"\(colour)\"><title>\(xmlEscaped(tip))</title></circle>"
            }
            let skipped = points.filter { $0.process == name }.count - line.count
            let ly = legendTop + Double(k) * 18
            out += "\n<rect x=\"\(Fmt.svg(left))\" y=\"\(Fmt.svg(ly - 10))\" width=\"14\" height=\"4\" fill=\"\(colour)\"/><text x=\"\(Fmt.svg(left + 20))\" y=\"\(Fmt.svg(ly - 4))\">\(xmlEscaped(name))\(skipped > 0 ? " (left out: \(skipped) scale\(skipped == 1 ? "" : "s") it cannot run or that make\(skipped == 1 ? "s" : "") no dose)" : "")</text>\n"
        }
        return out + "</svg>\n"
    }

    /// The points as a table.
    public static func table(_ points: [ScaleCurve.Point], currency: Currency) -> DataTable {
        var t = DataTable(
            "Scale curve",
            columns: [
                .init("process"), .init("platform"), .init("scale"), .init("culture volume", unit: "L"), .init("doses a lot", style: .count),
                .init("per released lot", unit: currency.rawValue, style: .count), .init("per dose", unit: currency.rawValue, style: .count),
                .init("note"),
            ])
        for p in points {
            let ok = p.problem == nil
            t.add([
                .text(p.process), .text(p.platform.rawValue), .text(ScaleCurveReport.scaleLabel(p.scale)), .number(p.cultureVolume.value(in: "L")),
                ok ? .count(p.doses) : .empty, ok ? .value(p.lotCost) : .empty, ok ? .value(p.costPerDose) : .empty, .text(p.problem.map { "cannot run: \($0)" } ?? (p.doses == 0 ? "makes no whole dose" : "")),
            ])
        }
        return t
    }
}

/// Why a list of scales cannot be read.
public struct ScaleListError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

extension ScaleCurveReport {
    /// Scales written as `vectorfab scale-curve --scales` takes them: volumes, bed areas or flask
    /// counts, comma-separated, at most ``WorkLimits/scales``; `field` names where they were given.
    public static func parseScales(_ text: String, for platform: PlatformKind, field: String) throws(ScaleListError) -> [ScaleCurve.Scale] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let expected =
            platform == .suspension
            ? "volumes (\"200 L\")" : platform == .fixedBed ? "bed areas (\"66 m²\")" : "flask counts (\"40\")"
        guard items.contains(where: { !$0.isEmpty }) else {
            throw ScaleListError("\(field) is empty: give \(expected), comma-separated, such as \(field) \"50 L,200 L\".")
        }
        guard items.count <= WorkLimits.scales else {
            throw ScaleListError("\(field) has \(items.count) scales, more than the limit of \(WorkLimits.scales).")
        }
        return try items.map { s throws(ScaleListError) in
            guard !s.isEmpty else { throw ScaleListError("\(field) has an empty item: give \(expected) between the commas.") }
            guard let m = try? QuantityParser.parse(s) else {
                throw ScaleListError("'\(s)' in \(field) is not a volume, a bed area or a number of flasks.")
            }
            switch (platform, m.unit.dimension) {
            case (.suspension, Volume.dimension):
                let litres = m.canonical * 1000
                guard litres > 0, litres <= WorkLimits.litres else {
                    throw ScaleListError(
                        "'\(s)' in \(field) is not a working volume above 0 and up to \(Fmt.count(WorkLimits.litres)) L.")
                }
                return .workingVolume(Quantity(canonical: m.canonical))
            case (.fixedBed, Area.dimension):
                guard m.canonical > 0, m.canonical <= WorkLimits.bedArea else {
                    throw ScaleListError(
                        "'\(s)' in \(field) is not a bed area above 0 and up to \(Fmt.count(WorkLimits.bedArea)) m².")
                }
                return .bedArea(Quantity(canonical: m.canonical))
            case (.flasks, .none):
                guard m.canonical.rounded() == m.canonical, let n = Int(checked: m.canonical),
                    (1...WorkLimits.flasks).contains(n)
                else {
                    throw ScaleListError(
                        "'\(s)' in \(field) is not a whole number of flasks from 1 to \(Fmt.count(WorkLimits.flasks)).")
                }
                return .flasks(n)
            default:
                throw ScaleListError("'\(s)' in \(field) does not fit a \(platform.rawValue) process: give \(expected).")
            }
        }
    }
}
