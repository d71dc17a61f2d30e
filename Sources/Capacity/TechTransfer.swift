import Bioprocess

/// Whether and how a process runs at another site: which suite and resource carry each stage,
/// what must change (scale, number of runs), what is missing.
public struct TechTransfer: Sendable {
    public enum Verdict: String, Sendable, Hashable, Codable {
        /// Runs as written.
        case runsAsWritten = "runs as written"
        /// Runs after changes (a smaller scale, more runs).
        case runsWithChanges = "runs with changes"
        /// Cannot run: something is missing.
        case cannotRun = "cannot run"
    }

    public struct Stage: Sendable, Hashable {
        public var stage: String
        public var carriedBy: [String]
        public var requirement: String
    }

    public var process: String
    public var facility: String
    public var verdict: Verdict
    public var stages: [Stage]
    public var changes: [String]
    public var missing: [String]

    public init(_ p: ProcessDefinition, at f: Facility) throws(SimulationError) {
        let r = try LotReport.simulate(p)
        process = p.name
        facility = f.name
        var stages: [Stage] = []
        var changes: [String] = []
        var missing: [String] = []
        let kind = p.production.platform.kind
        let suites = f.suites.filter { $0.kind == .vectorProduction }
        let able = suites.filter { $0.canRun(p) }
        let onPlatform = suites.filter { $0.maxScale[kind] != nil }
        func names(_ k: ResourceKind) -> [String] { f.resources.filter { $0.kind == k }.map(\.name) }
        let scale = Suite.scale(of: p)
        func show(_ x: Double) -> String {
            switch kind {
            case .suspension: "\(plain(x * 1000)) L"
            case .fixedBed: "\(plain(x)) m²"
            case .flasks: "\(Int(clamping: x, to: 0...Int.max)) flasks"
            }
        }

        // Cell expansion.
        let largestSeed = p.seedTrain.stages.map { $0.workingVolume.value(in: "L") }.max() ?? 0
        let seedLabs = names(.seedLab)
        stages.append(
            Stage(
                stage: "Cell expansion (\(p.seedTrain.stages.count) stages, largest vessel \(plain(largestSeed)) L)",
                carriedBy: seedLabs.isEmpty ? (able.isEmpty ? onPlatform.map(\.name) : able.map(\.name)) : seedLabs,
                requirement: seedLabs.isEmpty ? "in the production suite" : "in the seed laboratory"))

        // Production.
        if !able.isEmpty {
            stages.append(
                Stage(
                    stage: "Production (\(p.production.platform.model), \(show(scale)))", carriedBy: able.map(\.name),
                    requirement: "as written"))
        } else if let largest = onPlatform.compactMap({ $0.maxScale[kind] }).max() {
            stages.append(
                Stage(
                    stage: "Production (\(p.production.platform.model), \(show(scale)))",
                    carriedBy: onPlatform.map(\.name),
                    requirement: "at most \(show(largest)) per lot"))
            // Lots counted from doses: a lot at the site's scale is simulated, and the lots a
            // lot as written stands for are its doses over the smaller lot's, rounded up (a
            // lot's doses do not scale with its volume: fixed losses, QC samples, whole vials).
            let written = r.summary.doses
            let small = try? LotReport.simulate(p.atProductionScale(largest)).summary
            switch small?.doses {
            case let d? where d > 0:
                let lots = Int((Double(written) / Double(d)).rounded(.up))
                changes.append(
                    "scale down from \(show(scale)) to \(show(largest)): a \(show(largest)) lot makes \(d) dose\(d == 1 ? "" : "s") where the lot as written makes \(written), so \(lots) lots for each lot as written, or a process change (comparability) to the site's scale"
                )
            case .some:
                let part = ((small?.fractionalDoses ?? 0) * 100).rounded() / 100
                missing.append(
                    "a lot at the site's largest scale (\(show(largest))) makes no whole dose (\(plain(part)) of one): the process as written needs \(show(scale))"
                )
            case nil:
                missing.append(
                    "the process as written cannot make a lot at the site's largest scale (\(show(largest))): it needs \(show(scale))")
            }
        } else {
            let platforms = Set(suites.flatMap { $0.maxScale.keys }).map(\.rawValue).sorted()
            missing.append(
                "no suite runs the \(kind.rawValue) platform"
                    + (platforms.isEmpty ? "" : " (the site runs \(platforms.joined(separator: ", ")))"))
        }

        // Downstream, step by step, with the equipment each needs.
        let trains = names(.downstream)
        for o in r.steps {
            let step = p.downstream[o.index]
            var need = ""
            switch step.operation {
            case .chromatography(let c):
                need =
                    "column \(plain((o.columnVolume.value(in: "L") * 100).rounded() / 100)) L of \(step.resin ?? "resin"), \(o.cycles) cycle(s)"
                if c.mode == .flowThrough { need += ", flow-through" }
            case .clarification, .sterileFiltration:
                need =
                    "filters \(plain((o.filterArea.value(in: "m²") * 100).rounded() / 100)) m² for \(plain((o.volumeIn.value(in: "L") * 10).rounded() / 10)) L"
            case .tangentialFlow:
                need = "membrane \(plain((o.membraneArea.value(in: "m²") * 100).rounded() / 100)) m²"
            case .harvest, .hold:
                need = "vessel for \(plain((o.volumeOut.value(in: "L") * 10).rounded() / 10)) L"
            }
            stages.append(
                Stage(
                    stage: "\(step.name) (\(step.operation.keyword))",
                    carriedBy: trains.isEmpty ? (able.isEmpty ? onPlatform : able).map(\.name) : trains,
                    requirement: need))
        }

        // Fill, aseptically, in grade A.
        if let fill = p.fill {
            let lines = names(.fillLine) + f.suites.filter { $0.kind == .fill }.map(\.name)
            stages.append(
                Stage(
                    stage: "Fill (\(fill.container), \(r.summary.vialsFilled) vials)", carriedBy: lines,
                    requirement: "aseptic filling in grade A"))
            if lines.isEmpty { missing.append("no filling line or isolator for aseptic fill") }
        }

        // QC and, for ex-vivo products, transduction.
        let qc = names(.qcLab)
        stages.append(
            Stage(
                stage:
                    "QC release (\(p.qualityControl.release.count) tests, \(plain(r.summary.releaseTime.value(in: "d"))) d)",
                carriedBy: qc, requirement: qc.isEmpty ? "outsourced or not modelled at this site" : "release testing"))
        if p.product.dose.isExVivo {
            let transduction = f.suites.filter { $0.kind == .cellTransduction }.map(\.name)
            stages.append(
                Stage(
                    stage: "Patient cell transduction", carriedBy: transduction,
                    requirement: transduction.isEmpty
                        ? "at the treating hospitals (no transduction suite at the site)" : "ex vivo"))
        }

        self.stages = stages
        self.changes = changes
        self.missing = missing
        verdict = !missing.isEmpty ? .cannotRun : (changes.isEmpty ? .runsAsWritten : .runsWithChanges)
    }
}
