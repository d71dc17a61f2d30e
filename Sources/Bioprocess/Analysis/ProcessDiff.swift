/// What changed between two versions of a process, and what that does to a lot: the start
/// of a comparability file when a process changes between clinical phases.
public struct ProcessDiff: Sendable {
    public var before: LotReport
    public var after: LotReport
    public var inputs: [InputChange]
    public var outputs: [OutputChange]
    public var steps: [StepChange]

    /// One field that differs between the two files.
    public struct InputChange: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, Codable { case changed, added, removed }
        public var kind: Kind
        /// The field, with list items named by their `name` or `test` where they have one:
        /// `downstream[Affinity capture].yield`.
        public var path: String
        public var before: String?
        public var after: String?
        /// after ÷ before, when both are measurements of one dimension.
        public var ratio: Double?
        /// The part of the process the field belongs to (product, upstream, downstream, fill, QC).
        public var area: String
    }

    /// One lot figure before and after.
    public struct OutputChange: Sendable, Hashable {
        public var figure: String
        public var unit: String
        public var before: Double
        public var after: Double
        public var relativeChange: Double? { before == 0 ? nil : (after - before) / before }
    }

    /// A downstream step present in both, one only, or changed in yield.
    public struct StepChange: Sendable, Hashable {
        public var name: String
        public var beforeYield: Double?
        public var afterYield: Double?
        public var beforeCumulative: Double?
        public var afterCumulative: Double?
    }

    public static func compare(
        _ a: DocumentNode, _ pa: ProcessDefinition, _ b: DocumentNode, _ pb: ProcessDefinition
    ) throws -> ProcessDiff {
        let ra = try LotReport.simulate(pa)
        let rb = try LotReport.simulate(pb)
        return ProcessDiff(
            before: ra, after: rb, inputs: try inputChanges(a, b), outputs: outputChanges(ra, rb),
            steps: stepChanges(ra, rb))
    }

    /// The most values of one file a diff compares (a process file holds a few hundred).
    public static let maxValues = 50_000

    // MARK: Inputs

    static func inputChanges(_ a: DocumentNode, _ b: DocumentNode) throws(WorkLimitError) -> [InputChange] {
        var budget = maxValues
        let fa = flatten(a, budget: &budget)
        budget = maxValues
        let fb = flatten(b, budget: &budget)
        guard fa.count <= maxValues, fb.count <= maxValues else {
            throw WorkLimitError(
                "a file holds more than \(maxValues) values to compare", expected: "process files of at most \(maxValues) values")
        }
        let da = Dictionary(fa, uniquingKeysWith: { x, _ in x })
        let db = Dictionary(fb, uniquingKeysWith: { x, _ in x })
        var changes: [InputChange] = []
        for (path, va) in fa {
            guard let vb = db[path] else {
                changes.append(
                    InputChange(kind: .removed, path: path, before: va, after: nil, ratio: nil, area: area(of: path)))
                continue
            }
            if same(va, vb) { continue }
            changes.append(
                InputChange(
                    kind: .changed, path: path, before: va, after: vb, ratio: ratio(va, vb), area: area(of: path)))
        }
        for (path, vb) in fb where da[path] == nil {
            changes.append(
                InputChange(kind: .added, path: path, before: nil, after: vb, ratio: nil, area: area(of: path)))
        }
        return collapseWholeItems(changes, before: fa.map(\.0), after: fb.map(\.0))
    }

    /// A list item added or removed as a whole is one change, not one per field.
    static func collapseWholeItems(_ changes: [InputChange], before: [String], after: [String]) -> [InputChange] {
        var result: [InputChange] = []
        var seen: Set<String> = []
        // Every list item each side has (a path up to each "]"), found once.
        func items(_ paths: [String]) -> Set<Substring> {
            var out = Set<Substring>()
            for p in paths {
                for i in p.indices where p[i] == "]" { out.insert(p[...i]) }
            }
            return out
        }
        let beforeItems = items(before), afterItems = items(after)
        for c in changes {
            guard c.kind != .changed, let close = c.path.lastIndex(of: "]") else {
                result.append(c)
                continue
            }
            let item = String(c.path[...close])
            let other = c.kind == .added ? beforeItems : afterItems
            guard !other.contains(Substring(item)) else {
                result.append(c)
                continue
            }
            if seen.insert(item).inserted {
                let label = String(item[item.index(after: item.lastIndex(of: "[")!)..<close])
                result.append(
                    InputChange(
                        kind: c.kind, path: item, before: c.kind == .removed ? label : nil,
                        after: c.kind == .added ? label : nil, ratio: nil, area: c.area))
            }
        }
        return result
    }

    /// Two written values are the same if they are the same text or the same measurement.
    static func same(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        guard let ma = try? QuantityParser.parse(a), let mb = try? QuantityParser.parse(b),
            ma.unit.dimension == mb.unit.dimension
        else { return false }
        return abs(ma.canonical - mb.canonical) <= 1e-12 * max(abs(ma.canonical), abs(mb.canonical))
    }

    static func ratio(_ a: String, _ b: String) -> Double? {
        guard let ma = try? QuantityParser.parse(a), let mb = try? QuantityParser.parse(b),
            ma.unit.dimension == mb.unit.dimension, ma.canonical != 0
        else { return nil }
        return mb.canonical / ma.canonical
    }

    static func area(of path: String) -> String {
        let top = path.prefix { $0 != "." && $0 != "[" }
        switch top {
        case "product": return "product"
        case "cell-line", "seed-train", "production": return "upstream"
        case "downstream": return "downstream"
        case "fill": return "fill"
        case "qc": return "quality control"
        default: return "general"
        }
    }

    /// Every scalar of a document with its path, list items named by `name` or `test`.
    /// Every value with its path; stops once `budget` values are found (one more is returned
    /// so that the caller sees the limit passed).
    static func flatten(_ node: DocumentNode, prefix: String = "", budget: inout Int) -> [(String, String)] {
        guard budget >= 0 else { return [] }
        switch node.value {
        case .scalar(let s, _):
            budget -= 1
            return [(prefix, s)]
        case .null:
            budget -= 1
            return [(prefix, "")]
        case .mapping(let entries):
            var out: [(String, String)] = []
            for e in entries where budget >= 0 {
                out += flatten(e.value, prefix: prefix.isEmpty ? e.key : "\(prefix).\(e.key)", budget: &budget)
            }
            return out
        case .sequence(let items):
            let labels = items.map(\.itemLabel)
            let unique = Set(labels.compactMap { $0 }).count == labels.count
            var out: [(String, String)] = []
            for (i, item) in items.enumerated() where budget >= 0 {
                let tag = unique ? labels[i]! : String(i)
                out += flatten(item, prefix: "\(prefix)[\(tag)]", budget: &budget)
            }
            return out
        }
    }

    // MARK: Outputs

    static func outputChanges(_ a: LotReport, _ b: LotReport) -> [OutputChange] {
        let vc = a.process.product.vector.type.counting.symbol
        func phase(_ r: LotReport, _ p: LotPhase) -> Double {
            r.phases.first { $0.phase == p }?.duration.value(in: "d") ?? 0
        }
        let figures: [(String, String, (LotReport) -> Double)] = [
            ("Vector per dose", vc, { $0.process.product.dose.vectorPerDose.canonical }),
            ("Cells at induction", "cells", { $0.summary.cellsAtInduction.canonical }),
            ("Harvest volume", "L", { $0.summary.harvestVolume.value(in: "L") }),
            ("Vector harvested", vc, { $0.summary.vectorHarvested.canonical }),
            ("Downstream yield", "%", { $0.summary.downstreamYield * 100 }),
            ("Bulk volume", "L", { $0.summary.bulkVolume.value(in: "L") }),
            ("Bulk concentration", "\(vc)/mL", { $0.summary.bulkConcentration.value(in: "vg/mL") }),
            ("Vector in bulk", vc, { $0.summary.bulkVector.canonical }),
            ("Vials filled", "vials", { Double($0.summary.vialsFilled) }),
            ("Vials per dose", "vials", { Double($0.summary.vialsPerDose) }),
            ("Doses per lot", "doses", { Double($0.summary.doses) }),
            ("Patients per lot", "patients", { Double($0.summary.patients) }),
            ("Cell expansion", "d", { phase($0, .expansion) }),
            ("Production", "d", { phase($0, .production) }),
            ("Purification", "d", { phase($0, .purification) }),
            ("Thaw to release", "d", { $0.summary.lotTime.value(in: "d") }),
            ("Plasmid DNA", "g", { $0.summary.plasmid.value(in: "g") }),
            ("Medium", "L", { ($0.summary.seedMedium + $0.summary.productionMedium).value(in: "L") }),
            ("Operator handlings", "handlings", { $0.summary.handlings }),
        ]
        return figures.map { OutputChange(figure: $0.0, unit: $0.1, before: $0.2(a), after: $0.2(b)) }
    }

    static func stepChanges(_ a: LotReport, _ b: LotReport) -> [StepChange] {
        func table(_ r: LotReport) -> [(String, Double, Double)] {
            r.steps.map {
                (r.process.downstream[$0.index].name, $0.stepYield, $0.vectorOut / r.summary.vectorHarvested)
            }
        }
        let ta = table(a), tb = table(b)
        var result: [StepChange] = []
        for (name, y, c) in ta {
            let other = tb.first { $0.0 == name }
            result.append(
                StepChange(
                    name: name, beforeYield: y, afterYield: other?.1, beforeCumulative: c, afterCumulative: other?.2))
        }
        for (name, y, c) in tb where !ta.contains(where: { $0.0 == name }) {
            result.append(
                StepChange(name: name, beforeYield: nil, afterYield: y, beforeCumulative: nil, afterCumulative: c))
        }
        return result
    }

    /// The parts of the process that changed: what a comparability exercise must cover.
    public var changedAreas: [String] {
        var seen: [String] = []
        for c in inputs where !seen.contains(c.area) && c.area != "general" { seen.append(c.area) }
        return seen
    }
}
