import Bioprocess
import Foundation

/// A lot's timeline as SVG, drawn by hand: one row per stage, a bar from its start to its end
/// day, coloured by phase (cell expansion, production, purification, fill, release), with day ticks.
/// Scales to its container (`viewBox`), text in the page's font.
public enum TimelineChart {
    static let colours: [String: String] = [
        "expansion": "#5b8def", "production": "#0b6e8a", "purification": "#2ca58d", "fill": "#e6a23c", "release": "#9467bd",
    ]

    public static func svg(_ stages: [LotReportData.Stage]) -> String {
        let rowHeight = 22.0, left = 300.0, top = 28.0, width = 820.0
        let end = max(stages.map(\.endDay).max() ?? 1, 1)
        let scale = width / end
        let height = top + Double(stages.count) * rowHeight + 30
        func x(_ day: Double) -> Double { left + min(max(day, 0), end) * scale }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Int(left + width + 20)) \(Int(height))" role="img" aria-label="Lot timeline, \(Fmt.number(end)) days">
            <title>Lot timeline: \(Fmt.number(end)) days</title>

            """
        // Day ticks: a step that gives 6 to 15 ticks.
        let step = [1.0, 2, 5, 7, 10, 14, 20, 30, 50, 100].first { end / $0 <= 15 } ?? 100
        var day = 0.0
        while day <= end + 1e-9 {
            out += "<line x1=\"\(x(day))\" y1=\"\(top - 4)\" x2=\"\(x(day))\" y2=\"\(height - 24)\" stroke=\"#d7dce3\"/>"
            out += "<text x=\"\(x(day))\" y=\"\(top - 8)\" text-anchor=\"middle\" class=\"tick\">\(Fmt.number(day)) d</text>\n"
            day += step
        }
        for (i, s) in stages.enumerated() {
            let y = top + Double(i) * rowHeight
            let colour = colours[s.phase] ?? "#7f7f7f"
            let w = max(2, x(s.endDay) - x(s.startDay))
            // Long names are cut to what fits beside the bars; the bar's tooltip has the whole.
            let label = s.name.count > 44 ? String(s.name.prefix(43)) + "…" : s.name
            out += "<text x=\"\(left - 8)\" y=\"\(y + 15)\" text-anchor=\"end\">\(xmlEscaped(label))</text>"
            out += "<rect x=\"\(x(s.startDay))\" y=\"\(y + 3)\" width=\"\(w)\" height=\"\(rowHeight - 6)\" rx=\"3\" fill=\"\(colour)\">"
            out += "<title>\(xmlEscaped(s.name)): day \(Fmt.number(s.startDay)) to \(Fmt.number(s.endDay)) (\(Fmt.number(s.endDay - s.startDay)) d)</title></rect>\n"
        }
        // Legend.
        var lx = left
        for phase in LotPhase.allCases.map(\.rawValue) where stages.contains(where: { $0.phase == phase }) {
            out += "<rect x=\"\(lx)\" y=\"\(height - 16)\" width=\"12\" height=\"12\" fill=\"\(colours[phase]!)\"/>"
            out += "<text x=\"\(lx + 16)\" y=\"\(height - 6)\">\(LotPhase(rawValue: phase)?.label ?? phase)</text>"
            lx += 110
        }
        return out + "</svg>"
    }

}
