import Bioprocess
import Capacity
import Foundation

/// A Gantt chart of a plan, drawn as SVG by hand, readable at 5 suites and at 200: one row per
/// production suite (grouped by region or group, under a heading) and per shared resource; one
/// bar per lot on each row it holds, coloured by product, darker while it produces, lighter
/// while it expands or waits for release, faint at changeover; the lot number on the bar when it
/// fits; a tooltip per lot; year lines and month ticks; closures shaded; a legend. `window`
/// zooms to a span of days (a year, say); bars outside it are left out, so a year of a 213-suite
/// plan stays small.
public enum GanttChart {
    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    /// What a row of the chart is.
    enum Row {
        case heading(String, count: Int)
        case holder(Holder, name: String)
    }

    /// The rows: production suites by group (a heading per group when there are groups), then
    /// the shared resources under their own heading.
    static func rows(_ f: Facility) -> [Row] {
        let suites = f.suites.enumerated().filter { $0.element.kind == .vectorProduction }
        var rows: [Row] = []
        let groups = Array(Set(suites.compactMap(\.element.group))).sorted()
        if groups.isEmpty {
            rows = suites.map { .holder(.suite($0.offset), name: $0.element.name) }
        } else {
            for g in groups + [nil] {
                let members = suites.filter { $0.element.group == g }
                guard !members.isEmpty else { continue }
                rows.append(.heading(g ?? "Other suites", count: members.count))
                rows += members.map { .holder(.suite($0.offset), name: $0.element.name) }
            }
        }
        if !f.resources.isEmpty {
            if !groups.isEmpty || suites.count > 12 { rows.append(.heading("Shared resources", count: f.resources.count)) }
            rows += f.resources.enumerated().map { .holder(.resource($0.offset), name: "\($0.element.name) ×\($0.element.capacity)") }
        }
        return rows
    }

    /// Above this many bars (lots × rows they hold), lots get no tooltip of their own.
    public static let maxTooltips = 4_000

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The chart of the whole plan, or of `window` (days from the facility's start).
    public static func svg(_ report: PlanReport, window: ClosedRange<Double>? = nil) -> String {
        let plan = report.plan
        let f = plan.facility
        let rows = rows(f)
        let dense = rows.count > 60
        let rowHeight = dense ? 14.0 : 22.0, left = 200.0, top = 46.0, width = 1100.0, right = 24.0
        let span = window ?? 0...max(plan.horizon, 1)
        let from = span.lowerBound, to = max(span.upperBound, span.lowerBound + 1)
        let scale = width / (to - from)
        let products = plan.demand.products.map(\.name)
        let legendRows = (products.count + 3) / 4
        let bottom = top + Double(rows.count) * rowHeight
        let height = bottom + 34 + Double(legendRows) * 18 + 24
        func x(_ day: Double) -> Double { left + (min(max(day, from), to) - from) * scale }
        func n(_ v: Double) -> String { Fmt.svg(v) }
        let esc = xmlEscaped
        var y: [Holder: Double] = [:]
        var out = ""
        out.reserveCapacity(256 * 1024)
        let title = "Production plan — \(f.name) — \(plan.demand.name)"
        out += """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart gantt" viewBox="0 0 \(n(left + width + right)) \(n(height))" width="\(n(left + width + right))" height="\(n(height))" font-family="sans-serif" font-size="\(dense ? 10 : 11)" role="img" aria-label="\(esc(title))">
            <title>\(esc(title))</title>
            <text x="10" y="18" font-size="14" font-weight="bold">\(esc(title))</text>

            """
        // Rows: a band each, alternate shading, headings in bold.
        for (i, row) in rows.enumerated() {
            let ry = top + Double(i) * rowHeight
            switch row {
            case .heading(let name, let count):
                out += "<text x=\"6\" y=\"\(n(ry + rowHeight - 4))\" font-weight=\"bold\">\(esc(name)) (\(count))</text>"
                out += "<rect x=\"\(n(left))\" y=\"\(n(ry + rowHeight - 2))\" width=\"\(n(width))\" height=\"1\" fill=\"#888\"/>\n"
            case .holder(let h, let name):
                y[h] = ry
                let label = name.count > 30 ? String(name.prefix(29)) + "…" : name
                out += "<text x=\"14\" y=\"\(n(ry + rowHeight - 4))\">\(esc(label))</text>"
                out += "<rect x=\"\(n(left))\" y=\"\(n(ry))\" width=\"\(n(width))\" height=\"\(n(rowHeight - 1))\" fill=\"\(i % 2 == 0 ? "#f3f4f6" : "#fafafa")\"/>\n"
            }
        }
        // Closures, shaded on the rows they close.
        for c in f.closures where c.from < to && c.to > from {
            for row in rows {
                guard case .holder(let h, let name) = row, let ry = y[h], c.applies(to: name.split(separator: " ×").first.map(String.init) ?? name)
                else { continue }
                out += "<rect x=\"\(n(x(c.from)))\" y=\"\(n(ry))\" width=\"\(n(max(1, x(c.to) - x(c.from))))\" height=\"\(n(rowHeight - 1))\" fill=\"#b8b8b8\"><title>\(esc("\(c.name): \(report.date(c.from)) → \(report.date(c.to))"))</title></rect>\n"
            }
        }
        // Month ticks (labelled when a month is wide enough) and year lines.
        let start = f.start
        let firstMonth = CalendarDate(year: start.adding(days: from).year, month: start.adding(days: from).month, day: 1)
        var m = firstMonth
        let monthWidth = 30.4 * scale
        while Double(start.days(to: m)) <= to {
            let d = start.days(to: m)
            if d >= from {
                let isYear = m.month == 1
                out += "<rect x=\"\(n(x(d)))\" y=\"\(n(top - (isYear ? 14 : 4)))\" width=\"\(isYear ? 1 : 0.5)\" height=\"\(n(bottom - top + (isYear ? 14 : 4)))\" fill=\"\(isYear ? "#555" : "#cfd3d8")\"/>"
                if isYear || d == from, x(d) + 30 <= left + width {
                    out += "<text x=\"\(n(x(d) + 3))\" y=\"\(n(top - 16))\" font-weight=\"bold\">\(m.year)</text>"
                }
                if monthWidth >= 24, x(d) + monthWidth <= left + width + 1 {
                    out += "<text x=\"\(n(x(d) + 2))\" y=\"\(n(top - 4))\" font-size=\"9\" fill=\"#5b6676\">\(monthNames[m.month - 1])</text>"
                }
                out += "\n"
            }
            m = m.month == 12 ? CalendarDate(year: m.year + 1, month: 1, day: 1) : CalendarDate(year: m.year, month: m.month + 1, day: 1)
        }
        // Lots: contiguous stages of one shade merged. With few bars, a group per lot and row with
        // its tooltip and the lot number; with many (a whole market plan), one path per row,
        // product and shade, and a tooltip per row — zoom to a year for a tooltip per lot.
        let barTop = dense ? 1.0 : 2.0, barHeight = rowHeight - (dense ? 3 : 5)
        var pieces: [(lot: PlannedLot, holder: Holder, segments: [(start: Double, end: Double, shade: Int)])] = []
        for lot in plan.lots {
            var byHolder: [Holder: [Booking]] = [:]
            var order: [Holder] = []
            for b in lot.bookings where b.end > from && b.start < to && y[b.holder] != nil {
                if byHolder[b.holder] == nil { order.append(b.holder) }
                byHolder[b.holder, default: []].append(b)
            }
            for h in order {
                var segments: [(start: Double, end: Double, shade: Int)] = []
                for b in byHolder[h]!.sorted(by: { $0.start < $1.start }) {
                    let shade = b.stage == .changeover ? 2 : (b.stage == .release || b.stage == .expansion ? 1 : 0)
                    if let l = segments.last, l.shade == shade, abs(l.end - b.start) < 1e-6 {
                        segments[segments.count - 1].end = b.end
                    } else {
                        segments.append((b.start, b.end, shade))
                    }
                }
                pieces.append((lot, h, segments))
            }
        }
        func opacity(_ h: Holder, _ shade: Int) -> String { h.isResource ? ["0.45", "0.3", "0.15"][shade] : ["", "0.5", "0.2"][shade] }
        if pieces.count > maxTooltips {
            struct Key: Hashable { var holder: Holder; var product: Int; var shade: Int }
            var paths: [Key: String] = [:]
            var keys: [Key] = []
            var lotsOn: [Holder: Int] = [:]
            for p in pieces {
                let product = products.firstIndex(of: p.lot.product) ?? 0
                lotsOn[p.holder, default: 0] += 1
                for s in p.segments {
                    let key = Key(holder: p.holder, product: product, shade: s.shade)
                    if paths[key] == nil { keys.append(key) }
                    let x0 = x(s.start), w = max(0.6, x(s.end) - x0)
                    paths[key, default: ""] += "M\(n(x0)) \(n(y[p.holder]! + barTop))h\(n(w))v\(n(barHeight))h-\(n(w))z"
                }
            }
            for key in keys {
                let o = opacity(key.holder, key.shade)
                out += "<path fill=\"\(palette[key.product % palette.count])\"\(o.isEmpty ? "" : " fill-opacity=\"\(o)\"") d=\"\(paths[key]!)\"/>\n"
            }
            for row in rows {
                guard case .holder(let h, let name) = row, let ry = y[h] else { continue }
                out += "<rect x=\"\(n(left))\" y=\"\(n(ry))\" width=\"\(n(width))\" height=\"\(n(rowHeight - 1))\" fill-opacity=\"0\"><title>\(esc("\(name): \(lotsOn[h] ?? 0) lots from \(report.date(from)) to \(report.date(to)) — choose a year for each lot's dates"))</title></rect>\n"
            }
        } else {
            for p in pieces {
                let lot = p.lot, h = p.holder, ry = y[h]!
                let colour = palette[(products.firstIndex(of: lot.product) ?? 0) % palette.count]
                let stages = lot.bookings.filter { $0.holder == h && $0.stage != .changeover }.map(\.stage.rawValue)
                let first = p.segments.first!, last = p.segments.last!
                let tip = "Lot \(lot.number) · \(lot.product) · \(report.holderName(h)): \(stages.joined(separator: ", ")) \(report.date(first.start)) → \(report.date(last.end)); released \(report.date(lot.released)), \(Fmt.count(lot.doses)) doses"
                out += "<g fill=\"\(colour)\"><title>\(esc(tip))</title>"
                var widest = (x: 0.0, width: 0.0)
                for s in p.segments {
                    let x0 = x(s.start), w = max(0.6, x(s.end) - x0)
                    let o = opacity(h, s.shade)
                    out += "<rect x=\"\(n(x0))\" y=\"\(n(ry + barTop))\" width=\"\(n(w))\" height=\"\(n(barHeight))\"\(o.isEmpty ? "" : " fill-opacity=\"\(o)\"")/>"
                    if s.shade == 0, w > widest.width { widest = (x0, w) }
                }
                let label = "\(lot.number)"
                if !h.isResource, widest.width >= Double(label.count) * (dense ? 5.6 : 6.4) + 4 {
                    out += "<text x=\"\(n(widest.x + widest.width / 2))\" y=\"\(n(ry + rowHeight - (dense ? 4 : 7)))\" text-anchor=\"middle\" fill=\"#fff\" font-size=\"\(dense ? 9 : 10)\">\(label)</text>"
                }
                out += "</g>\n"
            }
        }
        // Legend: the products, then what the shades mean.
        for (k, p) in products.enumerated() {
            let lx = left + Double(k % 4) * 275, ly = bottom + 22 + Double(k / 4) * 18
            let name = p.count > 36 ? String(p.prefix(35)) + "…" : p
            out += "<rect x=\"\(n(lx))\" y=\"\(n(ly - 10))\" width=\"12\" height=\"12\" fill=\"\(palette[k % palette.count])\"/><text x=\"\(n(lx + 17))\" y=\"\(n(ly))\">\(esc(name))</text>\n"
        }
        out += "<text x=\"\(n(left))\" y=\"\(n(bottom + 22 + Double(legendRows) * 18 + 4))\" fill=\"#555\">Dark: production, purification, fill; light: expansion and QC release; faint: changeover; grey: closures. Numbers are lot numbers; point at a bar for its dates.</text>\n"
        out += "</svg>\n"
        return out
    }
}

extension Holder {
    var isResource: Bool { if case .resource = self { true } else { false } }
}
