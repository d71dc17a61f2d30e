/// A value a process file may hold but a viral-vector engineer would question: not an error (the
/// lot is simulated), said beside the report with the typical range and where it comes from.
public struct PlausibilityWarning: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The field or figure concerned (`product.vector.genome-size`, `downstream[2]`, `lot`).
    public var field: String
    /// What is implausible, with its value.
    public var message: String
    /// The usual range.
    public var typical: String
    /// Where the usual range comes from.
    public var source: String

    public init(field: String, message: String, typical: String, source: String) {
        self.field = field
        self.message = message
        self.typical = typical
        self.source = source
    }

    public var description: String { "\(field): \(message) (typical: \(typical); \(source))" }
}

/// The plausibility checks of a simulated lot (issue 14, item 9). Each is a published or
/// textbook range; none refuses anything.
public enum Plausibility {
    /// The most chromatography cycles a step runs in one lot before it is questioned: a column
    /// sized for the lot runs a few cycles; dozens mean an undersized column or binding capacity.
    public static let maxCycles = 20
    /// The longest downstream (purification) before it is questioned, in days.
    public static let maxDownstreamDays = 10.0
    /// The longest seed-train expansion before it is questioned, in days.
    public static let maxExpansionDays = 28.0
    /// Production (induction to harvest) outside this range, in days, is questioned.
    public static let productionDays = 1.0...10.0
    /// An AAV genome above this length, in kb, is questioned.
    public static let maxAAVGenomeKb = 5.2
    /// An overall downstream recovery outside this range is questioned.
    public static let downstreamYield = 0.05...0.8
    /// A producer cell line's doubling time outside this range, in hours, is questioned.
    public static let doublingHours = 15.0...48.0
    /// Crude AAV vector genomes per producer cell outside this range are questioned.
    public static let aavPerCell = 1e3...2e5
    /// A crude LV harvest titer outside this range, in TU/mL, is questioned.
    public static let lentivirusTiter = 1e5...1e9

    public static func warnings(_ r: LotReport) -> [PlausibilityWarning] {
        let p = r.process
        let s = r.summary
        var out: [PlausibilityWarning] = []
        func days(_ d: Quantity<Duration>) -> Double { d.canonical / 86_400 }
        func text(_ x: Double) -> String { Figure.text((x * 10).rounded() / 10) }
        if case .aav = p.product.vector.type, p.product.vector.genomeSize.canonical.isFinite {
            let kb = p.product.vector.genomeSize.value(in: "kb")
            if kb > maxAAVGenomeKb {
                out.append(
                    PlausibilityWarning(
                        field: "product.vector.genome-size", message: "an AAV genome of \(text(kb)) kb",
                        typical: "at most about 4.7 kb packaged whole; genomes over \(text(maxAAVGenomeKb)) kb come out truncated",
                        source: "Wu, Yang & Colosi, Mol Ther 18:80 (2010); Grieger & Samulski, J Virol 79:9933 (2005)"))
            }
        }
        for o in r.steps where o.cycles > maxCycles {
            let step = p.downstream[o.index]
            out.append(
                PlausibilityWarning(
                    field: "downstream[\(o.index)]", message: "\(Figure.text(Double(o.cycles))) chromatography cycles in \(step.name) for one lot",
                    typical: "1–\(maxCycles) cycles a lot; more means a column or a binding capacity far too small for the load",
                    source: "process-scale chromatography practice (columns sized to a few cycles a batch)"))
        }
        let downstream = days(s.downstreamTime)
        if downstream > maxDownstreamDays {
            out.append(
                PlausibilityWarning(
                    field: "downstream", message: "purification takes \(text(downstream)) days",
                    typical: "about 3 days, at most \(text(maxDownstreamDays))", source: "seed 000: purification about 3 days"))
        }
        let expansion = days(s.expansionTime)
        if expansion > maxExpansionDays {
            out.append(
                PlausibilityWarning(
                    field: "seed-train", message: "the expansion takes \(text(expansion)) days",
                    typical: "about 2 weeks, at most \(text(maxExpansionDays)) days", source: "seed 000: cell expansion about 2 weeks"))
        }
        let production = days(s.inductionTime)
        if production > 0, !productionDays.contains(production) {
            out.append(
                PlausibilityWarning(
                    field: "production.duration", message: "production lasts \(text(production)) days",
                    typical: "3–6 days from transfection or infection to harvest", source: "seed 000: production 3 to 6 days"))
        }
        let recovery = s.downstreamYield
        if recovery.isFinite, !downstreamYield.contains(recovery) {
            out.append(
                PlausibilityWarning(
                    field: "downstream", message: "an overall downstream recovery of \(text(recovery * 100)) %",
                    typical: "a few tens of per cent (\(text(downstreamYield.lowerBound * 100))–\(text(downstreamYield.upperBound * 100)) %)",
                    source: "overall AAV recovery is typically a few tens of per cent (docs/process-format.md, DOMAIN)"))
        }
        let doubling = p.cellLine.doublingTime.canonical / 3600
        if doubling.isFinite, !doublingHours.contains(doubling) {
            out.append(
                PlausibilityWarning(
                    field: "cell-line.doubling-time", message: "a doubling time of \(text(doubling)) h",
                    typical: "\(text(doublingHours.lowerBound))–\(text(doublingHours.upperBound)) h (HEK293 in suspension 20–30 h)",
                    source: "mammalian producer lines in culture; HEK293 suspension growth (e.g. Grieger et al., Mol Ther 24:287, 2016)"))
        }
        switch (p.product.vector.type, p.production.productivity) {
        case (.aav, .first(let perCell)):
            let vg = perCell.canonical
            if vg.isFinite, !aavPerCell.contains(vg) {
                out.append(
                    PlausibilityWarning(
                        field: "production.productivity", message: "\(Figure.text(vg)) vg a producer cell",
                        typical: "1e3–2e5 vg/cell (triple transfection in HEK293 reaches 1e4–1e5)",
                        source: "Grieger et al., Mol Ther 24:287 (2016); the examples' sources"))
            }
        case (.lentivirus, .second(let titer)):
            let tu = titer.value(in: "TU/mL")
            if tu.isFinite, !lentivirusTiter.contains(tu) {
                out.append(
                    PlausibilityWarning(
                        field: "production.productivity", message: "a crude titer of \(Figure.text(tu)) TU/mL",
                        typical: "1e5–1e9 TU/mL (1e6–1e7 adherent, 1e7–1e8 with perfusion)", source: "LV production reviews; the examples' sources"))
            }
        default: break
        }
        out += particleWarnings(p)
        out += densityWarnings(p)
        return out
    }

    /// Full capsids' share at harvest outside this range is questioned.
    public static let fullCapsidShare = 0.05...0.6
    /// LV physical particles per transducing unit outside this range are questioned.
    public static let particlesPerTU = 10.0...10_000.0
    /// Suspension densities at induction outside this range, in cells/mL, are questioned.
    public static let suspensionInductionDensity = 0.3e6...2e7
    /// Adherent densities at induction outside this range, in cells/cm², are questioned.
    public static let adherentInductionDensity = 1e4...1e6

    static func particleWarnings(_ p: ProcessDefinition) -> [PlausibilityWarning] {
        var out: [PlausibilityWarning] = []
        let isAAV = p.product.vector.type.counting == .genomes
        let columns = p.downstream.indices.filter {
            if case .chromatography(let c) = p.downstream[$0].operation { return c.mode == .bindElute }
            return false
        }
        switch p.production.particles {
        case nil:
            if isAAV, let first = columns.first {
                out.append(
                    PlausibilityWarning(
                        field: "production.full-capsids",
                        message: "no share of full capsids is stated, so \(p.downstream[first].name) is sized on vector genomes alone",
                        typical: "10–30 % of capsids full after triple transfection in HEK293; a resin binds every capsid",
                        source: "Wright, Mol Ther 22:1 (2014); Dickerson et al., Biotechnol J 16:2000015 (2021)"))
            }
        case .capsids(let full, _, _)?:
            if !fullCapsidShare.contains(full) {
                out.append(
                    PlausibilityWarning(
                        field: "production.full-capsids", message: "\(Figure.text(full * 100)) % full capsids at harvest",
                        typical: "10–30 % after triple transfection in HEK293, up to about 50 % in Sf9/BEV",
                        source: "Wright, Mol Ther 22:1 (2014); Dickerson et al., Biotechnol J 16:2000015 (2021)"))
            }
        case .lentiviral(let ratio)?:
            if !particlesPerTU.contains(ratio) {
                out.append(
                    PlausibilityWarning(
                        field: "production.particles-per-tu", message: "\(Figure.text(ratio)) physical particles per TU",
                        typical: "100–1,000 particles per TU for VSV-G LV",
                        source: "Perry & Rayat, Biotechnol Prog 37:e3141 (2021); Merten et al., Mol Ther Methods Clin Dev 3:16017 (2016)"))
            }
        }
        if p.production.particles != nil {
            for i in columns {
                guard case .chromatography(let c) = p.downstream[i].operation, !c.bindsParticles else { continue }
                out.append(
                    PlausibilityWarning(
                        field: "downstream[\(i)].binding-capacity",
                        message: "\(p.downstream[i].name)'s binding capacity counts \(isAAV ? "vector genomes" : "TU"), so the column is sized on them alone",
                        typical: isAAV
                            ? "a capacity in capsids (cp/mL): the resin binds empty capsids as well as full ones"
                            : "a capacity in particles (VP/mL): the resin binds every particle, infectious or not",
                        source: "resin vendors state AAV and LV capacities in physical particles per mL"))
            }
        }
        return out
    }

    static func densityWarnings(_ p: ProcessDefinition) -> [PlausibilityWarning] {
        switch p.production.inductionDensity {
        case .perVolume(let d):
            let v = d.value(in: "cells/mL")
            guard v.isFinite, !suspensionInductionDensity.contains(v) else { return [] }
            return [
                PlausibilityWarning(
                    field: "production.induction-density", message: "\(Figure.text(v)) cells/mL at induction",
                    typical: "0.5–5e6 cells/mL for transient transfection, up to 2e7 with perfusion or high-density media",
                    source: "Grieger et al., Mol Ther 24:287 (2016); Chahal et al., J Virol Methods 196:163 (2014)")
            ]
        case .perArea(let d):
            let v = d.value(in: "cells/cm²")
            guard v.isFinite, !adherentInductionDensity.contains(v) else { return [] }
            return [
                PlausibilityWarning(
                    field: "production.induction-density", message: "\(Figure.text(v)) cells/cm² at induction",
                    typical: "1e5–5e5 cells/cm² on multilayer flasks and fixed beds",
                    source: "iCELLis and CellSTACK AAV and LV processes (Powers et al., Hum Gene Ther Methods 27:112, 2016)")
            ]
        }
    }
}
