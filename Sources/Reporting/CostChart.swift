import Bioprocess
import Economics
import Foundation

/// A lot's cost of goods as SVG, drawn by hand: one stacked bar per stage, a segment per
/// category, with the amounts in the tooltips and a legend.
public enum CostChart {
    static let colours: [CostCategory: String] = [
        .materials: "#0b6e8a", .labour: "#e6a23c", .qc: "#9467bd", .facility: "#5b8def", .campaign: "#7f8c8d",
    ]

    /// `stages`: the stages drawn (a report leaves the campaign out when the costs have none).
    public static func svg(_ cost: LotCost, currency: Currency, stages: [CostStage] = CostStage.allCases) -> String {
        let left = 110.0, top = 20.0, barWidth = 90.0, gap = 60.0, plotHeight = 240.0
        let width = left + Double(stages.count) * (barWidth + gap) + 170
        let height = top + plotHeight + 50
        let largest = stages.map { cost.matrix.total($0) }.max() ?? 0
        let scale = largest > 0 ? plotHeight / largest : 0
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="Cost of one lot by stage and category">
            <title>Cost of one lot by stage and category</title>

            """
        // Four horizontal grid lines with amounts.
        for i in 0...4 {
            let amount = largest * Double(i) / 4
            let y = top + plotHeight - amount * scale
            out += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width - 170)\" y2=\"\(y)\" stroke=\"#d7dce3\"/>"
            out += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\" class=\"tick\">\(xmlEscaped(compact(amount, currency)))</text>\n"
        }
        for (i, stage) in stages.enumerated() {
            let x = left + gap / 2 + Double(i) * (barWidth + gap)
            var y = top + plotHeight
            for category in CostCategory.allCases {
                let amount = cost.matrix[stage, category]
                guard amount > 0 else { continue }
                let h = amount * scale
                y -= h
                out += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(h)\" fill=\"\(colours[category]!)\">"
                out += "<title>\(xmlEscaped("\(stage.label), \(category.label): \(Fmt.money(amount, currency))"))</title></rect>\n"
            }
            out += "<text x=\"\(x + barWidth / 2)\" y=\"\(top + plotHeight + 18)\" text-anchor=\"middle\">\(xmlEscaped(stage.label))</text>"
            out += "<text x=\"\(x + barWidth / 2)\" y=\"\(top + plotHeight + 34)\" text-anchor=\"middle\" class=\"tick\">\(xmlEscaped(Fmt.money(cost.matrix.total(stage), currency)))</text>\n"
        }
        let legend = CostCategory.allCases.filter { cost.matrix.total($0) != 0 }
        for (i, category) in legend.enumerated() {
            let y = top + 10 + Double(i) * 20
            out += "<rect x=\"\(width - 150)\" y=\"\(y - 10)\" width=\"12\" height=\"12\" fill=\"\(colours[category]!)\"/>"
            out += "<text x=\"\(width - 132)\" y=\"\(y)\">\(xmlEscaped(category.label))</text>\n"
        }
        return out + "</svg>"
    }

    /// The share of each category in the cost of a lot as one bar of 100 %, a segment per
    /// category with its share written in when it fits, the amounts per lot and per dose in the
    /// tooltips.
    public static func shares(_ categories: [CategoryCost], currency: Currency) -> String {
        let left = 10.0, top = 10.0, width = 760.0, barHeight = 34.0
        let height = top + barHeight + 16 + 20 * Double((categories.count + 2) / 3) + 10
        let total = categories.reduce(0) { $0 + max(0, $1.perLotMade) }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Int(width + 2 * left)) \(Int(height))" role="img" aria-label="Share of each category in the cost of a lot">
            <title>Share of each category in the cost of a lot</title>

            """
        var x = left
        for k in categories where k.perLotMade > 0 && total > 0 {
            let w = width * k.perLotMade / total
            out += "<rect x=\"\(Fmt.svg(x))\" y=\"\(top)\" width=\"\(Fmt.svg(w))\" height=\"\(barHeight)\" fill=\"\(colours[k.category]!)\">"
            out += "<title>\(xmlEscaped("\(k.category.label): \(Fmt.percent(k.share)), \(Fmt.money(k.perLotReleased, currency)) a released lot, \(Fmt.money(k.perDose, currency)) a dose"))</title></rect>\n"
            if w > 44 {
                out += "<text x=\"\(Fmt.svg(x + w / 2))\" y=\"\(top + barHeight / 2 + 5)\" text-anchor=\"middle\" fill=\"#fff\">\(xmlEscaped(Fmt.percent(k.share)))</text>\n"
            }
            x += w
        }
        for (i, k) in categories.enumerated() {
            let lx = left + Double(i % 3) * 250, ly = top + barHeight + 26 + Double(i / 3) * 20
            out += "<rect x=\"\(Fmt.svg(lx))\" y=\"\(Fmt.svg(ly - 10))\" width=\"12\" height=\"12\" fill=\"\(colours[k.category]!)\"/>"
            out += "<text x=\"\(Fmt.svg(lx + 18))\" y=\"\(Fmt.svg(ly))\">\(xmlEscaped("\(k.category.label) \(Fmt.percent(k.share))"))</text>\n"
        }
        return out + "</svg>"
    }

    /// An axis amount: `1.15 M EUR`, `866 k EUR`, `250 EUR`.
    public static func compact(_ x: Double, _ c: Currency) -> String {
        let a = abs(x)
        if a >= 1e6 { return "\(Fmt.number(x / 1e6)) M \(c.rawValue)" }
        if a >= 1e3 { return "\(Fmt.number(x / 1e3)) k \(c.rawValue)" }
        return "\(Fmt.number(x)) \(c.rawValue)"
    }

}
