import Bioprocess
import Foundation

/// Step yields and stage durations (see ``Calibration/fit(process:batches:)``).
extension Calibration {
    /// The vector count per mL a titer result is in (× the result), from its sample's
    /// specification unit; nil when the result is no titer (another unit, or pass/fail).
    static func titerFactorPerML(_ sample: QCSample, counting: VectorCounting) -> Double? {
        let count = counting == .genomes ? "vg" : "TU"
        switch sample.specification?.unit?.trimmingCharacters(in: .whitespaces) {
        case "\(count)/mL"?: return 1
        case "\(count)/L"?: return 1e-3
        case "\(count)/µL"?, "\(count)/uL"?: return 1e3
        default: return nil
        }
    }

    mutating func fitYields(
        process: ProcessDefinition, recipe: MasterRecipe, report: LotReport, values: [RecordedValues]
    ) {
        let steps = process.downstream
        guard !steps.isEmpty,
            let purification = recipe.unitProcedures.first(where: { $0.name == "Purification" })?.operations.compactMap(
                \.phases.first),
            purification.count == steps.count
        else { return }
        let counting = process.product.vector.type.counting
        let unit = counting == .genomes ? "vg" : "TU"
        // vg (or TU) after each measured step, per batch.
        var amounts: [[Int: Double]] = []
        for v in values {
            var sums: [Int: (Double, Int)] = [:]
            for sample in v.samples {
                let step: Int?
                switch sample.panel {
                case .drugSubstance?: step = steps.count - 1
                case nil:
                    let matches = process.qualityControl.inProcess.filter { $0.test == sample.test }
                    step = matches.count == 1 ? matches[0].afterStep : nil
                default: step = nil
                }
                guard let step, let factor = Self.titerFactorPerML(sample, counting: counting),
                    let titer = v.latestResult[sample.id],
                    let litres = v.value(purification[step].id, "Volume out"), titer > 0, litres > 0
                else { continue }
                let amount = titer * factor * litres * 1000
                let s = sums[step] ?? (0, 0)
                sums[step] = (s.0 + amount, s.1 + 1)
            }
            amounts.append(sums.mapValues { $0.0 / Double($0.1) })
        }
        let measured = Set(amounts.flatMap(\.keys)).sorted()
        func names(_ r: ClosedRange<Int>) -> String { r.map { steps[$0].name }.joined(separator: ", ") }
        guard let first = measured.first else {
            notes.append(
                "step yields: no titer result (\(unit)/mL) with a recorded volume out in any batch; volumes alone do not give a yield, so no yield is fitted"
            )
            return
        }
        notes.append("yields of \(names(0...first)): no titer before \(steps[first].name)'s, so they are not fitted")
        for (a, b) in zip(measured, measured.dropFirst()) {
            let pairs: [(String, Double)] = zip(values, amounts).compactMap { v, m in
                guard let x = m[a], let y = m[b] else { return nil }
                return (v.batch, y / x * 100)
            }
            if b == a + 1 {
                add(
                    pairs, expectedCount: values.count,
                    path: FieldPath([.key("downstream"), .index(b), .key("yield")]),
                    label: "\(steps[b].name) yield", unit: "%",
                    source: "titer × volume out after \(steps[a].name) and after \(steps[b].name)",
                    modelled: steps[b].yield.value * 100, upper: 100)
            } else {
                let model = report.steps.filter { (a + 1...b).contains($0.index) }.map(\.stepYield).reduce(1, *)
                let observed =
                    pairs.isEmpty
                    ? "no batch measured both"
                    : "\(Self.figure(Self.meanAndSD(pairs.map(\.1)).mean)) % observed over \(pairs.count) batches"
                notes.append(
                    "yields of \(names(a + 1...b)): titers are measured only before and after them together (\(observed), \(Self.figure(model * 100)) % modelled); the overall yield is not split between the steps"
                )
            }
        }
        if let last = measured.last, last < steps.count - 1 {
            notes.append(
                "yields of \(names(last + 1...steps.count - 1)): no titer after \(steps[last].name); not fitted")
        }
    }

    mutating func fitStages(
        process: ProcessDefinition, recipe: MasterRecipe, report: LotReport, values: [RecordedValues]
    ) {
        let modelled = Dictionary(
            report.phases.map { ($0.phase.rawValue, $0.duration.value(in: "d")) }, uniquingKeysWith: { a, _ in a })
        let procedures: [(String, String)] = [
            ("expansion", "Cell expansion"), ("production", "Production"), ("purification", "Purification"),
            ("fill", "Fill"),
        ]
        var shortest: [String: (batch: String, hours: Double)] = [:]
        var stageValues: [String: [(String, Double)]] = [:]
        func note(_ key: String, _ hours: Double, _ batch: String) {
            if hours < (shortest[key]?.hours ?? .infinity) { shortest[key] = (batch, hours) }
        }
        for v in values {
            var lastCompletion: Date?
            for (key, name) in procedures {
                guard let procedure = recipe.unitProcedures.first(where: { $0.name == name }) else { continue }
                let ids = procedure.operations.flatMap(\.phases).map(\.id)
                guard let start = ids.compactMap({ v.firstEntry[$0] }).min(),
                    let end = ids.compactMap({ v.completed[$0] }).max(),
                    ids.allSatisfy({ v.completed[$0] != nil })
                else { continue }
                lastCompletion = max(lastCompletion ?? end, end)
                let hours = end.timeIntervalSince(start) / 3600
                note(key, hours, v.batch)
                stageValues[key, default: []].append((v.batch, hours / 24))
            }
            if let end = lastCompletion, let released = v.released {
                let hours = released.timeIntervalSince(end) / 3600
                note("release", hours, v.batch)
                stageValues["release", default: []].append((v.batch, hours / 24))
            }
        }
        for key in Self.stageKeys {
            if key == "fill" && process.fill == nil { continue }
            let label = "\(key.prefix(1).uppercased())\(key.dropFirst()) stage"
            if let s = shortest[key], s.hours < Self.minimumStageHours {
                let took = s.hours * 60 < 1 ? "under a minute" : "\(Self.figure(s.hours * 60)) min"
                if key == "production",
                    let phase = recipe.phases.first(where: { $0.parameters.contains { $0.name == "Time to harvest" } })
                {
                    let growth = report.summary.growthTime.value(in: "d")
                    add(
                        values.compactMap { v in
                            v.value(phase.id, "Time to harvest").map { (v.batch, growth + $0 / 24) }
                        },
                        expectedCount: values.count, path: FieldPath([.key(key)]), label: label, unit: "d",
                        source:
                            "the model's growth to induction (\(Self.figure(growth)) d) + recorded \"Time to harvest\" (the record's timestamps span \(took) in \(s.batch))",
                        modelled: modelled[key], stage: key)
                } else {
                    notes.append(
                        "\(label): batch \(s.batch)'s record spans \(took), so it was not kept as the work was done; not fitted (the demand file's value, or else the simulated duration, stays)"
                    )
                }
                continue
            }
            guard let pairs = stageValues[key] else {
                notes.append("\(label): no batch records it from start to end; not fitted")
                continue
            }
            add(
                pairs, expectedCount: values.count, path: FieldPath([.key(key)]), label: label, unit: "d",
                source: key == "release"
                    ? "the last phase's completion to QA's release signature"
                    : "the record's first entry to its last phase's completion",
                modelled: modelled[key], stage: key)
        }
    }
}
