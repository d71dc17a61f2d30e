import Bioprocess
import Foundation

/// A number with its unit, as written in JSON reports: `{"value": 200, "unit": "L"}`.
public struct Measure: Codable, Sendable, Hashable {
    public var value: Double
    public var unit: String

    public init(_ value: Double, _ unit: String) {
        self.value = value
        self.unit = unit
    }

    public init<K>(_ q: Quantity<K>, _ unit: String) {
        self.init(q.value(in: unit), unit)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        // JSON has no NaN or infinity: write null rather than a made-up number.
        if value.isFinite { try c.encode(value, forKey: .value) } else { try c.encodeNil(forKey: .value) }
        try c.encode(unit, forKey: .unit)
    }
}

/// The machine-readable form of a lot report (`--format json`), versioned as
/// `vectorfab/lot-report/1`. Quantities are `{value, unit}`; counts and fractions are numbers.
public struct LotReportData: Codable, Sendable {
    public var format = "vectorfab/lot-report/1"
    public var process: String
    public var product: String
    public var vector: String
    public var vectorUnit: String
    public var vectorPerDose: Measure
    public var dosesPerPatient: Int
    public var summary: Summary
    public var seedTrain: [SeedStage]
    public var production: ProductionData
    public var downstream: [Step]
    public var timeline: [Stage]
    /// Values outside what is usual, with the typical range and its source (not errors).
    public var warnings: [PlausibilityWarning]
    /// Capsids (AAV: full, partial, empty) or particles (LV) from harvest to bulk and dose;
    /// absent when the process states none.
    public var particles: ParticleBalance?
    /// Seed stages the scale does not need (the train is chosen per scale from the stages).
    public var skippedSeedStages: [String]

    public struct Summary: Codable, Sendable {
        public var harvestVolume: Measure
        public var vectorHarvested: Measure
        public var bulkVolume: Measure
        public var bulkVector: Measure
        public var bulkConcentration: Measure
        public var downstreamYield: Double
        public var vialsFilled: Int
        /// Nil when the process has no fill (doses from the bulk).
        public var fillVolume: Measure?
        public var vectorPerVial: Measure
        public var qcVials: Int
        public var vialsForPatients: Int
        public var vialsPerDose: Int
        public var doses: Int
        public var patients: Int
        public var expansionTime: Measure
        public var productionTime: Measure
        public var purificationTime: Measure
        public var fillTime: Measure
        public var releaseTime: Measure
        public var lotTime: Measure
        public var populationDoublings: Double
        public var handlings: Double
        /// With a labelled concentration: the buffer added to reach it, or that the bulk is below it.
        public var labelConcentration: Measure?
        public var dilutionVolume: Measure?
        public var belowLabelConcentration: Bool?
        /// With a patient mix: the lot's kits by patient weight; absent without one.
        public var patientMix: [MixKits]? = nil
    }

    /// The kits a lot fills for the patients of one weight of its mix.
    public struct MixKits: Codable, Sendable {
        public var weight: Measure
        public var share: Double
        /// The top of the kit's weight band.
        public var kitUpTo: Measure
        public var vialsPerKit: Int
        public var kits: Int
    }

    public struct SeedStage: Codable, Sendable {
        public var name: String
        public var vessels: Int
        public var cellsIn: Measure
        public var cellsOut: Measure
        public var doublings: Double
        public var duration: Measure
        public var medium: Measure
    }

    public struct ProductionData: Codable, Sendable {
        public var platform: String
        public var model: String
        public var units: Int
        public var cultureVolume: Measure
        public var growthSurface: Measure?
        public var cellsAtSeeding: Measure
        public var cellsAtInduction: Measure
        public var growthTime: Measure
        public var inductionTime: Measure
        public var vectorHarvested: Measure
        /// Vector the cells made, before decay in the vessel (with a time course).
        public var vectorMade: Measure?
        public var harvestVolume: Measure
        public var plasmid: Measure
        public var reagent: Measure
        public var virus: Measure
        public var medium: Measure
        /// The virus amplification train, from the bank to the production; absent without one.
        public var amplification: [Passage]? = nil
        /// Virus taken from the bank (the first passage's inoculum); absent without a train.
        public var virusFromBank: Measure? = nil
    }

    /// One passage of a virus amplification train.
    public struct Passage: Codable, Sendable {
        public var name: String
        public var moi: Double
        public var cells: Measure
        public var volume: Measure
        public var duration: Measure
        public var virusIn: Measure
        public var virusOut: Measure
    }

    public struct Step: Codable, Sendable {
        public var name: String
        public var kind: String
        public var volumeIn: Measure
        public var volumeOut: Measure
        public var vectorIn: Measure
        public var vectorOut: Measure
        public var concentrationOut: Measure
        public var stepYield: Double
        public var cumulativeYield: Double
        public var duration: Measure
        public var sampledVolume: Measure
        public var filterArea: Measure?
        public var membraneArea: Measure?
        public var permeateVolume: Measure?
        public var columnVolume: Measure?
        public var cycles: Int?
        public var bufferVolume: Measure
        /// With a catalogue: the exact need (m² or L, before the safety factor) and how many of the
        /// size bought; the area or column above is what is installed.
        public var equipmentNeed: Measure?
        public var equipmentCount: Int?
    }

    public struct Stage: Codable, Sendable {
        public var name: String
        public var phase: String
        public var startDay: Double
        public var endDay: Double

        public init(name: String, phase: String, startDay: Double, endDay: Double) {
            self.name = name
            self.phase = phase
            self.startDay = startDay
            self.endDay = endDay
        }
    }

    public init(_ r: LotReport) {
        let p = r.process
        let s = r.summary
        let vc = p.product.vector.type.counting.symbol
        func v(_ q: Quantity<VectorAmount>) -> Measure { Measure(q.canonical, vc) }
        func d(_ q: Quantity<Duration>) -> Measure { Measure(q, "d") }
        let phases = Dictionary(uniqueKeysWithValues: r.phases.map { ($0.phase, $0.duration) })
        process = p.name
        product = p.product.name
        vector = p.product.vector.type.label
        vectorUnit = vc
        vectorPerDose = v(p.product.dose.vectorPerDose)
        dosesPerPatient = p.product.dose.dosesPerPatient
        summary = Summary(
            harvestVolume: Measure(s.harvestVolume, "L"), vectorHarvested: v(s.vectorHarvested),
            bulkVolume: Measure(s.bulkVolume, "L"), bulkVector: v(s.bulkVector),
            bulkConcentration: Measure(s.bulkConcentration.value(in: "vg/mL"), "\(vc)/mL"),
            downstreamYield: s.downstreamYield, vialsFilled: s.vialsFilled,
            fillVolume: p.fill.map { Measure($0.fillVolume, "mL") },
            vectorPerVial: v(s.vectorPerVial), qcVials: s.qcVials, vialsForPatients: s.vialsForPatients,
            vialsPerDose: s.vialsPerDose, doses: s.doses, patients: s.patients,
            expansionTime: d(phases[.expansion] ?? .zero), productionTime: d(phases[.production] ?? .zero),
            purificationTime: d(phases[.purification] ?? .zero), fillTime: d(s.fillTime), releaseTime: d(s.releaseTime),
            lotTime: d(s.lotTime), populationDoublings: s.populationDoublings, handlings: s.handlings,
            labelConcentration: p.product.labelConcentration.map { Measure($0.value(in: "vg/mL"), "\(vc)/mL") },
            dilutionVolume: p.product.labelConcentration.map { _ in Measure(s.dilutionVolume, "L") },
            belowLabelConcentration: p.product.labelConcentration.map { _ in s.belowLabelConcentration },
            patientMix: p.product.patientMix.isEmpty
                ? nil
                : zip(p.product.patientMix, p.product.mixAllocation(s.doses)).map { m, n in
                    let kit = p.product.kit(for: m.weight)
                    return MixKits(
                        weight: Measure(m.weight, "kg"), share: m.share, kitUpTo: Measure(kit?.upTo ?? .zero, "kg"),
                        vialsPerKit: kit?.vialCount ?? 0, kits: n)
                })
        seedTrain = r.seedStages.map { o in
            SeedStage(
                name: p.seedTrain.stages[o.index].name, vessels: o.vessels,
                cellsIn: Measure(o.cellsIn.canonical, "cells"),
                cellsOut: Measure(o.cellsOut.canonical, "cells"), doublings: o.doublings, duration: d(o.duration),
                medium: Measure(o.medium, "L"))
        }
        let pr = p.production
        production = ProductionData(
            platform: pr.platform.kind.rawValue, model: pr.platform.model, units: pr.units,
            cultureVolume: Measure(s.cultureVolume, "L"), growthSurface: pr.cultureSurface.map { Measure($0, "m2") },
            cellsAtSeeding: Measure(s.cellsAtSeeding.canonical, "cells"),
            cellsAtInduction: Measure(s.cellsAtInduction.canonical, "cells"), growthTime: d(s.growthTime),
            inductionTime: d(s.inductionTime), vectorHarvested: v(s.vectorHarvested),
            vectorMade: pr.timeCourse.map { _ in v(s.vectorMade) }, harvestVolume: Measure(s.harvestVolume, "L"),
            plasmid: Measure(s.plasmid, "g"),
            reagent: Measure(s.reagent, "g"), virus: Measure(s.virus.canonical, "pfu"),
            medium: Measure(s.seedMedium + s.productionMedium, "L"),
            amplification: {
                guard case .infection(let i) = pr.induction, !i.amplificationPassages.isEmpty else { return nil }
                return i.amplificationTrain(for: s.virus).map { a in
                    Passage(
                        name: a.passage.name, moi: a.passage.moi.canonical, cells: Measure(a.cells.canonical, "cells"),
                        volume: Measure(a.volume, "L"), duration: d(a.passage.duration), virusIn: Measure(a.virusIn.canonical, "pfu"),
                        virusOut: Measure(a.virusOut.canonical, "pfu"))
                }
            }(),
            virusFromBank: {
                guard case .infection(let i) = pr.induction, !i.amplificationPassages.isEmpty else { return nil }
                return Measure(s.virusFromBank.canonical, "pfu")
            }())
        downstream = r.steps.map { o in
            let op = p.downstream[o.index].operation
            var filter = false, membrane = false, column = false
            switch op {
            case .clarification, .sterileFiltration: filter = true
            case .tangentialFlow: membrane = true
            case .chromatography: column = true
            case .harvest, .hold: break
            }
            return Step(
                name: p.downstream[o.index].name, kind: op.keyword, volumeIn: Measure(o.volumeIn, "L"),
                volumeOut: Measure(o.volumeOut, "L"), vectorIn: v(o.vectorIn), vectorOut: v(o.vectorOut),
                concentrationOut: Measure((o.vectorOut / o.volumeOut).value(in: "vg/mL"), "\(vc)/mL"),
                stepYield: o.stepYield, cumulativeYield: o.vectorOut / s.vectorHarvested,
                duration: Measure(o.duration, "h"),
                sampledVolume: Measure(o.sampledVolume, "mL"),
                filterArea: filter ? Measure(o.filterArea, "m2") : nil,
                membraneArea: membrane ? Measure(o.membraneArea, "m2") : nil,
                permeateVolume: membrane ? Measure(o.permeateVolume, "L") : nil,
                columnVolume: column ? Measure(o.columnVolume, "L") : nil, cycles: column ? o.cycles : nil,
                bufferVolume: Measure(o.bufferVolume, "L"),
                equipmentNeed: o.equipmentCount > 0
                    ? (column ? Measure(o.equipmentNeed * 1000, "L") : Measure(o.equipmentNeed, "m2")) : nil,
                equipmentCount: o.equipmentCount > 0 ? o.equipmentCount : nil)
        }
        timeline = r.timeline.map {
            Stage(
                name: $0.name, phase: $0.phase.rawValue, startDay: $0.start.value(in: "d"),
                endDay: $0.end.value(in: "d"))
        }
        warnings = Plausibility.warnings(r)
        particles = ParticleBalance.of(r)
        skippedSeedStages = r.skippedSeedStages.map { p.seedTrain.stages[$0].name }
    }
}

public enum LotReportJSON {
    public static func render(_ r: LotReport) throws -> String {
        try encodeJSON(LotReportData(r))
    }
}

/// Pretty, key-sorted JSON with a final newline.
///
/// JSON has no infinity or NaN, and a report never fails for want of them: a non-finite
/// figure is written `null`, and the member beside it, named after it with `NonFinite`
/// appended, says why — `"costPerDose": null, "costPerDoseNonFinite": "infinite: …"`. In a list,
/// each such element is `null` and one member beside the list counts them
/// (`docs/limits.md`, "JSON reports").
public func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    // A marker no text of the user's can be: it carries a random part drawn for this call.
    let marks = NonFiniteJSON(nonce: UUID().uuidString)
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: marks.infinity, negativeInfinity: marks.negativeInfinity, nan: marks.nan)
    let text = String(decoding: try encoder.encode(value), as: UTF8.self)
    return (text.contains(marks.marker) ? marks.rewrite(text) : text) + "\n"
}

/// Writes the non-finite figures of pretty-printed JSON as `null` with their reason beside.
struct NonFiniteJSON {
    let marker: String
    let infinity: String
    let negativeInfinity: String
    let nan: String

    init(nonce: String) {
        marker = "@@vectorfab-non-finite-\(nonce):"
        infinity = marker + "inf@@"
        negativeInfinity = marker + "-inf@@"
        nan = marker + "nan@@"
    }

    func reason(_ token: String) -> String {
        switch token {
        case "\"\(infinity)\"": "infinite: a figure divided by zero, such as a cost per dose of a lot that makes no dose"
        case "\"\(negativeInfinity)\"": "negative infinite: a figure divided by zero"
        default: "undefined: no value could be computed, such as a statistic of no feasible sample"
        }
    }

    /// Rewrites JSONEncoder's pretty output line by line: each value sits on its own line.
    func rewrite(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Open lists by the key they belong to, with the count of non-finite elements in each.
        var open: [(key: String?, indent: String, count: Int, reason: String)] = []
        var out: [String] = []
        out.reserveCapacity(lines.count + 8)
        func member(_ line: String) -> (indent: String, key: String, value: String, comma: Bool)? {
            let trimmed = line.drop { $0 == " " }
            let indent = String(line.prefix(line.count - trimmed.count))
            guard trimmed.hasPrefix("\""), let sep = trimmed.range(of: "\" : ") else { return nil }
            let key = String(trimmed[trimmed.index(after: trimmed.startIndex)..<sep.lowerBound])
            var value = String(trimmed[sep.upperBound...])
            let comma = value.hasSuffix(",")
            if comma { value.removeLast() }
            return (indent, key, value, comma)
        }
        for i in lines.indices {
            let line = lines[i]
            if let m = member(line) {
                if m.value.hasPrefix("\"\(marker)") {
                    out.append("\(m.indent)\"\(m.key)\" : null,")
                    out.append("\(m.indent)\"\(m.key)NonFinite\" : \"\(reason(m.value))\"\(m.comma ? "," : "")")
                    continue
                }
                if m.value == "[" { open.append((m.key, m.indent, 0, "")) }
                else if m.value == "{" { open.append((nil, m.indent, 0, "")) }
                out.append(line)
                continue
            }
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("\"\(marker)") {
                let comma = trimmed.hasSuffix(",")
                let token = comma ? String(trimmed.dropLast()) : String(trimmed)
                out.append(String(line.prefix(line.count - trimmed.count)) + "null" + (comma ? "," : ""))
                if !open.isEmpty {
                    open[open.count - 1].count += 1
                    open[open.count - 1].reason = reason(token)
                }
                continue
            }
            if trimmed == "[" || trimmed == "[," || trimmed == "{" || trimmed == "{," {
                open.append((nil, "", 0, ""))
            } else if trimmed.hasPrefix("]") || trimmed.hasPrefix("}") {
                let closed = open.popLast()
                if let c = closed, let key = c.key, c.count > 0 {
                    let comma = trimmed.hasSuffix(",")
                    out.append(comma ? line : line + ",")
                    out.append(
                        "\(c.indent)\"\(key)NonFinite\" : \"\(c.count) value\(c.count == 1 ? " is" : "s are") null, \(c.reason)\"\(comma ? "," : "")")
                    continue
                }
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }
}

/// The lot report as one long CSV table: `section,item,field,value,unit` — easy to filter in
/// a spreadsheet or load as a data frame.
public enum LotReportCSV {
    public static func render(_ r: LotReport) -> String {
        let d = LotReportData(r)
        var rows: [[String]] = [["section", "item", "field", "value", "unit"]]
        func add(_ section: String, _ item: String, _ field: String, _ m: Measure?) {
            guard let m else { return }
            rows.append([section, item, field, m.value.isFinite ? "\(m.value)" : "", m.unit])
        }
        func add(_ section: String, _ item: String, _ field: String, _ x: Double) {
            rows.append([section, item, field, "\(x)", ""])
        }
        let s = d.summary
        add("summary", d.process, "harvest volume", s.harvestVolume)
        add("summary", d.process, "vector harvested", s.vectorHarvested)
        add("summary", d.process, "bulk volume", s.bulkVolume)
        add("summary", d.process, "bulk vector", s.bulkVector)
        add("summary", d.process, "bulk concentration", s.bulkConcentration)
        add("summary", d.process, "downstream yield", s.downstreamYield)
        add("summary", d.process, "vials filled", Double(s.vialsFilled))
        add("summary", d.process, "vials for QC and retains", Double(s.qcVials))
        add("summary", d.process, "vials for patients", Double(s.vialsForPatients))
        add("summary", d.process, "vials per dose", Double(s.vialsPerDose))
        add("summary", d.process, "doses", Double(s.doses))
        add("summary", d.process, "patients", Double(s.patients))
        add("summary", d.process, "expansion time", s.expansionTime)
        add("summary", d.process, "production time", s.productionTime)
        add("summary", d.process, "purification time", s.purificationTime)
        add("summary", d.process, "fill time", s.fillTime)
        add("summary", d.process, "release time", s.releaseTime)
        add("summary", d.process, "lot time", s.lotTime)
        for st in d.seedTrain {
            add("seed-train", st.name, "vessels", Double(st.vessels))
            add("seed-train", st.name, "cells in", st.cellsIn)
            add("seed-train", st.name, "cells out", st.cellsOut)
            add("seed-train", st.name, "duration", st.duration)
            add("seed-train", st.name, "medium", st.medium)
        }
        let pr = d.production
        add("production", pr.model, "units", Double(pr.units))
        add("production", pr.model, "culture volume", pr.cultureVolume)
        add("production", pr.model, "growth surface", pr.growthSurface)
        add("production", pr.model, "cells at induction", pr.cellsAtInduction)
        add("production", pr.model, "vector harvested", pr.vectorHarvested)
        add("production", pr.model, "plasmid", pr.plasmid)
        add("production", pr.model, "reagent", pr.reagent)
        add("production", pr.model, "medium", pr.medium)
        for st in d.downstream {
            add("downstream", st.name, "volume in", st.volumeIn)
            add("downstream", st.name, "volume out", st.volumeOut)
            add("downstream", st.name, "vector out", st.vectorOut)
            add("downstream", st.name, "concentration out", st.concentrationOut)
            add("downstream", st.name, "step yield", st.stepYield)
            add("downstream", st.name, "cumulative yield", st.cumulativeYield)
            add("downstream", st.name, "duration", st.duration)
            add("downstream", st.name, "filter area", st.filterArea)
            add("downstream", st.name, "membrane area", st.membraneArea)
            add("downstream", st.name, "column volume", st.columnVolume)
            if let c = st.cycles { add("downstream", st.name, "cycles", Double(c)) }
        }
        if let b = d.particles {
            let unit = b.symbol
            for pt in [b.harvest] + b.steps + [b.bulk] {
                add("particles", pt.name, b.kind == .capsids ? "capsids" : "particles", Measure(pt.particles, unit))
                if b.kind == .capsids {
                    add("particles", pt.name, "full share", pt.vectorShare)
                    add("particles", pt.name, "partial share", pt.partialShare)
                    add("particles", pt.name, "empty share", pt.emptyShare)
                } else {
                    add("particles", pt.name, "particles per TU", pt.particles / pt.vector)
                }
            }
            add("particles", d.process, "per dose", Measure(b.particlesPerDose, unit))
        }
        for t in d.timeline {
            add("timeline", t.name, "start", Measure(t.startDay, "d"))
            add("timeline", t.name, "end", Measure(t.endDay, "d"))
        }
        return csvDocument(rows)
    }
}
