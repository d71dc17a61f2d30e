import Foundation

/// A graph drawn in columns, left to right, as SVG: genealogy (materials → phases → batch →
/// vials, or a lot → the batches it went into → their vials). Each node is a box with a title
/// and a line of detail, optionally a link; edges join boxes of neighbouring or any later columns.
public struct LayeredGraph: Sendable {
    public struct Node: Sendable, Hashable {
        public var id: String
        public var title: String
        public var detail: String
        public var link: String?
        /// `material`, `equipment`, `phase`, `batch`, `vials`, `bad`: the box's colour.
        public var style: String

        public init(id: String, title: String, detail: String, link: String? = nil, style: String) {
            self.id = id
            self.title = title
            self.detail = detail
            self.link = link
            self.style = style
        }
    }

    public var columns: [(title: String, nodes: [Node])]
    public var edges: [(from: String, to: String)]

    public init(columns: [(title: String, nodes: [Node])], edges: [(from: String, to: String)]) {
        self.columns = columns
        self.edges = edges
    }

    /// The most boxes a column shows; the rest are counted in a last box.
    public static let maxPerColumn = 60

    static let boxWidth = 200.0, boxHeight = 44.0, gapX = 70.0, gapY = 12.0, top = 30.0

    static let fills: [String: (fill: String, stroke: String)] = [
        "material": ("#eef6fb", "#0b6e8a"), "equipment": ("#f3f0fa", "#6b4fa3"), "phase": ("#ffffff", "#5b6676"),
        "batch": ("#e8f4ec", "#1f7a3a"), "vials": ("#fff7e0", "#8a5a00"), "bad": ("#fdecec", "#a4161a"),
    ]

    public func svg(label: String) -> String {
        var shown: [[Node]] = columns.map { column in
            guard column.nodes.count > Self.maxPerColumn else { return column.nodes }
            return Array(column.nodes.prefix(Self.maxPerColumn - 1))
                + [Node(id: "more-\(column.title)", title: "… \(column.nodes.count - Self.maxPerColumn + 1) more", detail: "", style: "phase")]
        }
        if shown.isEmpty { shown = [[]] }
        let rows = shown.map(\.count).max() ?? 0
        let width = Double(shown.count) * Self.boxWidth + Double(max(0, shown.count - 1)) * Self.gapX + 20
        let height = Self.top + Double(max(rows, 1)) * (Self.boxHeight + Self.gapY) + 10
        var position: [String: (x: Double, y: Double)] = [:]
        for (c, nodes) in shown.enumerated() {
            let x = 10 + Double(c) * (Self.boxWidth + Self.gapX)
            // Columns centred on the tallest one.
            let offset = (Double(rows - nodes.count) * (Self.boxHeight + Self.gapY)) / 2
            for (r, n) in nodes.enumerated() { position[n.id] = (x, Self.top + offset + Double(r) * (Self.boxHeight + Self.gapY)) }
        }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart graph" viewBox="0 0 \(Fmt.svg(width)) \(Fmt.svg(height))" role="img" aria-label="\(xmlEscaped(label))">
            <title>\(xmlEscaped(label))</title>

            """
        for (c, column) in columns.enumerated() {
            let x = 10 + Double(c) * (Self.boxWidth + Self.gapX)
            out += "<text x=\"\(Fmt.svg(x))\" y=\"16\" class=\"tick\" font-weight=\"600\">\(xmlEscaped(column.title))</text>\n"
        }
        for e in edges {
            guard let a = position[e.from], let b = position[e.to] else { continue }
            let x1 = a.x + Self.boxWidth, y1 = a.y + Self.boxHeight / 2, x2 = b.x, y2 = b.y + Self.boxHeight / 2
            let mid = (x1 + x2) / 2
            out += "<path d=\"M\(Fmt.svg(x1)) \(Fmt.svg(y1)) C\(Fmt.svg(mid)) \(Fmt.svg(y1)) \(Fmt.svg(mid)) \(Fmt.svg(y2)) \(Fmt.svg(x2)) \(Fmt.svg(y2))\" fill=\"none\" stroke=\"#9aa5b4\" stroke-width=\"1.2\"/>\n"
        }
        for nodes in shown {
            for n in nodes {
                guard let p = position[n.id] else { continue }
                let colours = Self.fills[n.style] ?? Self.fills["phase"]!
                var box = """
                    <g><title>\(xmlEscaped(n.title + (n.detail.isEmpty ? "" : " — " + n.detail)))</title>\
                    <rect x="\(Fmt.svg(p.x))" y="\(Fmt.svg(p.y))" width="\(Fmt.svg(Self.boxWidth))" height="\(Fmt.svg(Self.boxHeight))" rx="6" fill="\(colours.fill)" stroke="\(colours.stroke)" stroke-width="1.5"/>\
                    <text x="\(Fmt.svg(p.x + 8))" y="\(Fmt.svg(p.y + 18))" font-weight="600">\(xmlEscaped(Self.clip(n.title, 27)))</text>\
                    <text x="\(Fmt.svg(p.x + 8))" y="\(Fmt.svg(p.y + 35))" class="tick">\(xmlEscaped(Self.clip(n.detail, 32)))</text></g>
                    """
                if let link = n.link { box = "<a href=\"\(xmlEscaped(link))\">\(box)</a>" }
                out += box + "\n"
            }
        }
        return out + "</svg>\n"
    }

    static func clip(_ s: String, _ n: Int) -> String { s.count > n ? s.prefix(n - 1) + "…" : s }
}
