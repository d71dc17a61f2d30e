import Bioprocess
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Monitoring
import Reporting
import Store

/// Continued process verification (process validation stage 3): every recorded recipe parameter
/// and every numeric release test across batches — a table of their capability and run-rule
/// breaks, and for one of them the individuals (I) and moving-range (MR) charts, the control
/// limits from a reference set of batches the user chooses (the first N by default), the Nelson
/// rules' breakers flagged, Cpk and Ppk against the recipe's range or the specification.
extension PageRoutes {
    /// One charted quantity: a parameter of a phase, or a release test.
    struct ChartedQuantity {
        var key: String
        var name: String
        var unit: String
        var low: Double?
        var high: Double?
        /// Batch and value, in batch order (one value a batch: the first result, or the parameter as corrected).
        var points: [(batch: String, value: Double)]
        var link: String
    }

    func addVerificationPages(to pages: RouterGroup<AppContext>) {
        pages.get("/cpv") { request, context in
            try await verificationPage(request, context, try context.requireIdentity().user)
        }
    }

    /// Every quantity the approved recipes record or test, with its values across batches.
    func verifiedQuantities(_ user: User) async throws -> [ChartedQuantity] {
        let recipes = try await store.recipes(user).filter { $0.status == .approved }
        var specs: [String: (phase: Phase, spec: ParameterSpec)] = [:]
        var order: [String] = []
        // A parameter is one of a product's recipe: two products' phase 2.1.1 are not compared.
        let products = Set(recipes.map(\.recipe.product)).count
        for r in recipes {
            for phase in r.recipe.phases {
                for p in phase.parameters {
                    let key = "\(r.recipe.product)|\(phase.id) \(p.name)"
                    if specs[key] == nil { order.append(key) }
                    specs[key] = (phase, p)
                }
            }
        }
        var byKey: [String: [(batch: String, value: Double)]] = [:]
        for v in try await store.parameterValues(user) {
            let key = "\(v.product)|\(v.phaseID) \(v.parameter)"
            // One value a batch: the last entry stands (a correction replaced the first).
            if let i = byKey[key]?.firstIndex(where: { $0.batch == v.batchID }) {
                byKey[key]![i].value = v.value
            } else {
                byKey[key, default: []].append((v.batchID, v.value))
            }
        }
        var out: [ChartedQuantity] = order.compactMap { key in
            guard let (phase, p) = specs[key] else { return nil }
            let product = products > 1 ? ", " + String(key.prefix { $0 != "|" }) : ""
            return ChartedQuantity(
                key: "p:" + key, name: "\(p.name) (phase \(phase.id), \(phase.name)\(product))", unit: p.unit, low: p.low, high: p.high,
                points: byKey[key] ?? [], link: "/cpv?q=" + Self.query("p:" + key))
        }
        // A release test once per panel (a titer of the drug substance is not one of the vials).
        var pairs: [(test: String, panel: ReleasePanel)] = []
        for r in recipes {
            for t in r.recipe.releaseTests where t.specification.isRange && !pairs.contains(where: { $0.test == t.test && $0.panel == t.panel }) {
                pairs.append((t.test, t.panel))
            }
        }
        var resultsByTest: [String: [QCResult]] = [:]
        var samplesByTest: [String: [QCSample]] = [:]
        for (test, panel) in pairs.prefix(100) {
            if samplesByTest[test] == nil {
                samplesByTest[test] = try await store.samples(user, test: test, page: Page(limit: 1000, offset: 0)).filter { $0.batchID != nil }
                resultsByTest[test] = try await store.results(user, test: test)
            }
            let samples = (samplesByTest[test] ?? []).filter { $0.panel == panel }
            let byID = Dictionary(samples.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            var seen = Set<String>()
            var points: [(batch: String, value: Double)] = []
            for r in resultsByTest[test] ?? [] {
                guard let s = byID[r.sampleID], let batch = s.batchID, let value = r.value, seen.insert(batch).inserted else { continue }
                points.append((batch, value))
            }
            let spec = samples.last?.specification
            let key = "t:\(panel.rawValue):\(test)"
            out.append(
                ChartedQuantity(
                    key: key, name: "\(test) (release, \(panel.title.lowercased()))", unit: spec?.unit ?? "", low: spec?.low, high: spec?.high,
                    points: points, link: "/cpv?q=" + Self.query(key)))
        }
        return out
    }

    /// The reference set asked for: the batches named (`reference=`, repeated), or the first
    /// `first` batches (default 25, 2–1000).
    func referenceSet(_ request: Request, batches: [String]) throws -> (Set<String>, String) {
        let q = request.uri.queryParameters
        let named = q.getAll("reference").prefix(1000).map { String($0.prefix(100)) }
        if !named.isEmpty {
            let chosen = Set(named).intersection(batches)
            guard chosen.count >= 2 else { throw GMPError(.invalid, "choose at least two batches of the chart for the reference set") }
            return (chosen, "the \(chosen.count) batches chosen")
        }
        let text = q.get("first") ?? "25"
        guard let first = Int(text), (2...1000).contains(first) else { throw GMPError(.invalid, "first must be a number of batches from 2 to 1000") }
        return (Set(batches.prefix(first)), "the first \(min(first, batches.count)) batches")
    }

    func verificationPage(_ request: Request, _ context: AppContext, _ user: User) async throws -> Response {
        let all = try await verifiedQuantities(user)
        var v: [String: Any] = [:]
        let asked = request.uri.queryParameters.get("q")
        var status: HTTPResponse.Status = .ok
        // The summary: every quantity's capability and breaks, limits from the first 25 batches.
        v["rows"] = all.map { x -> [String: Any] in
            let values = x.points.map(\.value)
            let chart = IndividualsChart.fit(reference: Array(values.prefix(25)))
            let breaks = chart.map { Set($0.violations(values).map(\.index)).count } ?? 0
            let cap = Capability.of(values, low: x.low, high: x.high)
            return [
                "name": x.name, "link": x.link, "count": values.count, "range": Self.rangeText(x.low, x.high, x.unit),
                "mean": values.isEmpty ? "—" : Figure.text(values.reduce(0, +) / Double(values.count)),
                "cpk": cap.map { Self.index($0.cpk) } ?? "—", "ppk": cap.map { Self.index($0.ppk) } ?? "—",
                "breaks": chart == nil ? "—" : "\(breaks)", "exception": breaks > 0 || (cap.map { $0.cpk < 1.33 } ?? false),
            ]
        }
        v["hasRows"] = !all.isEmpty
        if let asked {
            if let x = all.first(where: { $0.key == asked }) {
                do {
                    v["chart"] = try chartValues(request, x)
                } catch let e as GMPError {
                    v["message"] = e.sentence
                    status = .badRequest
                }
            } else {
                v["message"] = "No recipe parameter or release test is named '\(asked.prefix(200))'."
                status = .notFound
            }
        }
        return site.page("cpv", try await values(context, title: "Process verification", sections(v)), status: status)
    }

    func chartValues(_ request: Request, _ x: ChartedQuantity) throws -> [String: Any] {
        let batches = x.points.map(\.batch)
        let (reference, referenceText) = try referenceSet(request, batches: batches)
        let values = x.points.map(\.value)
        var out: [String: Any] = [
            "name": x.name, "range": Self.rangeText(x.low, x.high, x.unit), "count": values.count, "referenceText": referenceText,
            "batches": x.points.map { ["batch": $0.batch, "value": Figure.text($0.value), "checked": reference.contains($0.batch)] },
            "q": x.key,
        ]
        guard let chart = IndividualsChart.fit(reference: x.points.filter { reference.contains($0.batch) }.map(\.value)) else {
            out["few"] = "At least two batches are needed for control limits (\(values.count) so far)."
            return out
        }
        let violations = chart.violations(values)
        let flagged = Set(violations.map(\.index))
        let points = x.points.enumerated().map { i, p in
            TrendChart.Point(
                label: p.batch, value: p.value, pass: (x.low.map { p.value >= $0 } ?? true) && (x.high.map { p.value <= $0 } ?? true),
                isRepeat: false, link: "/batches/\(p.batch)")
        }
        out["individuals"] = TrendChart.svg(
            points, low: x.low, high: x.high, unit: x.unit, title: "\(x.name): individuals",
            control: .init(centre: chart.centre, lower: chart.lower, upper: chart.upper), flagged: flagged)
        // The moving ranges, with their centre MR̄ and upper limit D₄·MR̄ (D₄ = 3.267 for n = 2).
        let ranges = zip(values.dropFirst(), values).map { abs($0 - $1) }
        let rangePoints = ranges.enumerated().map { i, r in
            TrendChart.Point(label: x.points[i + 1].batch, value: r, pass: r <= chart.movingRangeUpper, isRepeat: false, link: "/batches/\(x.points[i + 1].batch)")
        }
        out["movingRange"] = TrendChart.svg(
            rangePoints, low: nil, high: nil, unit: x.unit, title: "\(x.name): moving range",
            control: .init(centre: chart.averageMovingRange, lower: 0, upper: chart.movingRangeUpper),
            flagged: Set(ranges.indices.filter { ranges[$0] > chart.movingRangeUpper }))
        out["centre"] = TrendChart.text(chart.centre)
        out["lower"] = TrendChart.text(chart.lower)
        out["upper"] = TrendChart.text(chart.upper)
        out["mrBar"] = TrendChart.text(chart.averageMovingRange)
        out["mrUpper"] = TrendChart.text(chart.movingRangeUpper)
        out["violations"] = violations.map { ["batch": x.points[$0.index].batch, "rule": "rule \($0.rule.rawValue): \($0.rule.text)"] }
        out["hasViolations"] = !violations.isEmpty
        if let c = Capability.of(values, low: x.low, high: x.high) {
            out["capability"] = ["cpk": Self.index(c.cpk), "ppk": Self.index(c.ppk), "count": c.count]
        }
        return out
    }

    static func rangeText(_ low: Double?, _ high: Double?, _ unit: String) -> String {
        low == nil && high == nil ? "—" : boundsText(low, high) + " " + unit
    }

    /// `1–2`, `≥ 1`, `≤ 2` or `—`.
    static func boundsText(_ low: Double?, _ high: Double?) -> String {
        switch (low, high) {
        case (let l?, let h?): "\(Figure.text(l))–\(Figure.text(h))"
        case (let l?, nil): "≥ \(Figure.text(l))"
        case (nil, let h?): "≤ \(Figure.text(h))"
        case (nil, nil): "—"
        }
    }

    static func index(_ x: Double) -> String { x.isFinite ? String(format: "%.2f", x) : "∞" }
}
