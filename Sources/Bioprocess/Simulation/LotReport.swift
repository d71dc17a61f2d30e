/// A simulated lot with every table a process engineer reads: the seed train stage by stage,
/// each downstream step's balance and sizing, and the lot's timeline.
public struct LotReport: Sendable, Hashable {
    public var process: ProcessDefinition
    public var summary: LotSummary
    /// In seed-train order, from the vial.
    public var seedStages: [SeedStageOutcome]
    public var steps: [StepOutcome]
    public var timeline: [TimelineEntry]
    /// Seed stages (indices) this scale does not need.
    public var skippedSeedStages: [Int]

    /// Simulates a lot and keeps every stage's and step's outcome.
    public static func simulate(_ p: ProcessDefinition) throws(SimulationError) -> LotReport {
        var collector = Collector(stageCount: p.seedTrain.stages.count)
        let summary = try LotSimulator.run(p, observer: &collector)
        let stages = collector.stages.compactMap { $0 }
        return LotReport(
            process: p, summary: summary, seedStages: stages, steps: collector.steps,
            timeline: timeline(p, summary, stages, collector.steps),
            skippedSeedStages: collector.stages.indices.filter { collector.stages[$0] == nil })
    }

    struct Collector: LotObserver {
        var stages: [SeedStageOutcome?]
        var steps: [StepOutcome] = []
        init(stageCount: Int) { stages = Array(repeating: nil, count: stageCount) }
        mutating func seedStage(_ outcome: SeedStageOutcome) { stages[outcome.index] = outcome }
        mutating func step(_ outcome: StepOutcome) { steps.append(outcome) }
    }

    static func timeline(
        _ p: ProcessDefinition, _ s: LotSummary, _ stages: [SeedStageOutcome], _ steps: [StepOutcome]
    ) -> [TimelineEntry] {
        var entries: [TimelineEntry] = []
        var t = Quantity<Duration>.zero
        func add(_ name: String, _ phase: LotPhase, _ d: Quantity<Duration>) {
            entries.append(TimelineEntry(name: name, phase: phase, start: t, end: t + d))
            t += d
        }
        for o in stages { add(p.seedTrain.stages[o.index].name, .expansion, o.duration) }
        add("Growth to induction (\(p.production.platform.model))", .production, s.growthTime)
        let induction: String
        switch p.production.induction {
        case .transfection: induction = "Transfection to harvest"
        case .infection: induction = "Infection to harvest"
        case .stableProducer: induction = "Induction to harvest"
        }
        add(induction, .production, s.inductionTime)
        for o in steps { add(p.downstream[o.index].name, .purification, o.duration) }
        if let fill = p.fill { add("Fill (\(fill.container))", .fill, s.fillTime) }
        add("QC release testing", .release, s.releaseTime)
        return entries
    }

    /// Start and end of each phase, from the timeline.
    public var phases: [TimelineEntry] {
        LotPhase.allCases.compactMap { phase in
            let items = timeline.filter { $0.phase == phase }
            guard let first = items.first, let last = items.last else { return nil }
            return TimelineEntry(name: phase.label, phase: phase, start: first.start, end: last.end)
        }
    }
}

/// The phases of a lot, as seed 000 describes them.
public enum LotPhase: String, Sendable, Hashable, CaseIterable, Codable {
    case expansion, production, purification, fill, release

    public var label: String {
        switch self {
        case .expansion: "Cell expansion"
        case .production: "Production"
        case .purification: "Purification"
        case .fill: "Fill"
        case .release: "QC release"
        }
    }
}

/// One stage of the lot's timeline, in days from the vial thaw.
public struct TimelineEntry: Sendable, Hashable {
    public var name: String
    public var phase: LotPhase
    public var start: Quantity<Duration>
    public var end: Quantity<Duration>

    public var duration: Quantity<Duration> { end - start }
}
