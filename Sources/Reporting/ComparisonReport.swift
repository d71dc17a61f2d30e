import Bioprocess

/// Views of a platform comparison.
public enum ComparisonReport {
    public struct Data: Codable, Sendable {
        public var format = "vectorfab/platform-comparison/1"
        public var targetDoses: Int
        public var vectorPerDose: Double
        public var rows: [RowData]
    }

    public struct RowData: Codable, Sendable {
        public var process: String
        public var platform: String
        public var model: String
        public var writtenUnitsPerLot: Int
        public var unitsPerLot: Int
        public var vectorPerUnit: Double
        public var dosesPerLot: Int
        public var lots: Int
        public var totalUnits: Int
        public var lotDuration: Measure
        public var suiteTimePerLot: Measure
        public var totalSuiteTime: Measure
        public var handlingsPerLot: Double
        public var totalHandlings: Double
        public var harvestVolumePerLot: Measure
    }

    public static func data(_ c: PlatformComparison) -> Data {
        Data(
            targetDoses: c.targetDoses, vectorPerDose: c.vectorPerDose.canonical,
            rows: c.rows.map { r in
                RowData(
                    process: r.process, platform: r.platform.rawValue, model: r.model,
                    writtenUnitsPerLot: r.writtenUnitsPerLot, unitsPerLot: r.unitsPerLot,
                    vectorPerUnit: r.vectorPerUnit.canonical, dosesPerLot: r.dosesPerLot, lots: r.lots,
                    totalUnits: r.totalUnits, lotDuration: Measure(r.lotDuration, "d"),
                    suiteTimePerLot: Measure(r.suiteTimePerLot, "d"), totalSuiteTime: Measure(r.totalSuiteTime, "d"),
                    handlingsPerLot: r.handlingsPerLot, totalHandlings: r.totalHandlings,
                    harvestVolumePerLot: Measure(r.harvestVolumePerLot, "L"))
            })
    }

    public static func text(_ c: PlatformComparison, vectorUnit: VectorCounting) -> String {
        var out = "Platform comparison for \(Fmt.count(c.targetDoses)) doses "
        out += "(\(Fmt.vector(c.vectorPerDose, vectorUnit)) per dose)\n\n"
        var t = TextTable(
            [
                "platform", "model", "units/lot", "vector/unit", "doses/lot", "lots", "units in all", "lot (d)",
                "suite-days", "handlings",
            ], rightAligned: [2, 3, 4, 5, 6, 7, 8, 9])
        for r in c.rows {
            t.add([
                r.platform.rawValue, r.model, Fmt.count(r.unitsPerLot) + (r.wasScaled ? "*" : ""),
                Fmt.vector(r.vectorPerUnit, vectorUnit), Fmt.count(r.dosesPerLot), Fmt.count(r.lots),
                Fmt.count(r.totalUnits), Fmt.number(r.lotDuration.value(in: "d")),
                Fmt.number(r.totalSuiteTime.value(in: "d")), Fmt.count(r.totalHandlings),
            ])
        }
        out += t.render()
        for r in c.rows where r.wasScaled {
            out += "* \(r.model): the lot as written (\(Fmt.count(r.writtenUnitsPerLot)) \(r.platform.unitName)) "
            out +=
                "makes no dose once QC vials and whole vials are counted; scaled to the smallest lot that makes one.\n"
        }
        out +=
            "\nunits: \(c.rows.map { "\($0.platform.rawValue) = \($0.platform.unitName)" }.joined(separator: ", "))\n"
        out += "suite-days: production, purification and fill of every lot, back to back in one suite.\n"
        out += "handlings: open manual manipulations in the seed train and production.\n"
        if let best = c.rows.min(by: { $0.totalHandlings < $1.totalHandlings }),
            let worst = c.rows.max(by: { $0.totalHandlings < $1.totalHandlings }), best.totalHandlings > 0
        {
            out += "\n\(worst.model) needs \(Fmt.number(worst.totalHandlings / best.totalHandlings)) × the handlings "
            out += "and \(Fmt.number(worst.totalSuiteTime / best.totalSuiteTime)) × the suite time of \(best.model).\n"
        }
        return out
    }

    public static func csv(_ c: PlatformComparison) -> String {
        var rows = [
            [
                "process", "platform", "model", "units_per_lot", "written_units_per_lot", "vector_per_unit",
                "doses_per_lot",
                "lots", "total_units", "lot_duration_d", "suite_days_per_lot", "total_suite_days", "handlings_per_lot",
                "total_handlings", "harvest_volume_per_lot_L",
            ]
        ]
        for r in c.rows {
            rows.append([
                r.process, r.platform.rawValue, r.model, "\(r.unitsPerLot)", "\(r.writtenUnitsPerLot)",
                "\(r.vectorPerUnit.canonical)", "\(r.dosesPerLot)", "\(r.lots)", "\(r.totalUnits)",
                "\(r.lotDuration.value(in: "d"))", "\(r.suiteTimePerLot.value(in: "d"))",
                "\(r.totalSuiteTime.value(in: "d"))", "\(r.handlingsPerLot)", "\(r.totalHandlings)",
                "\(r.harvestVolumePerLot.value(in: "L"))",
            ])
        }
        return csvDocument(rows)
    }
}

/// Views of a process diff.
public enum DiffReport {
    public struct Data: Codable, Sendable {
        public var format = "vectorfab/process-diff/1"
        public var before: String
        public var after: String
        public var changedAreas: [String]
        public var inputs: [Input]
        public var outputs: [Output]
        public var steps: [Step]
    }

    public struct Input: Codable, Sendable {
        public var kind: String
        public var path: String
        public var area: String
        public var before: String?
        public var after: String?
        public var ratio: Double?
    }

    public struct Output: Codable, Sendable {
        public var figure: String
        public var unit: String
        public var before: Double
        public var after: Double
        public var relativeChange: Double?
    }

    public struct Step: Codable, Sendable {
        public var name: String
        public var beforeYield: Double?
        public var afterYield: Double?
        public var beforeCumulativeYield: Double?
        public var afterCumulativeYield: Double?
    }

    public static func data(_ d: ProcessDiff) -> Data {
        Data(
            before: d.before.process.name, after: d.after.process.name, changedAreas: d.changedAreas,
            inputs: d.inputs.map {
                Input(
                    kind: $0.kind.rawValue, path: $0.path, area: $0.area, before: $0.before, after: $0.after,
                    ratio: $0.ratio)
            },
            outputs: d.outputs.map {
                Output(
                    figure: $0.figure, unit: $0.unit, before: $0.before, after: $0.after,
                    relativeChange: $0.relativeChange)
            },
            steps: d.steps.map {
                Step(
                    name: $0.name, beforeYield: $0.beforeYield, afterYield: $0.afterYield,
                    beforeCumulativeYield: $0.beforeCumulative, afterCumulativeYield: $0.afterCumulative)
            })
    }

    public static func text(_ d: ProcessDiff) -> String {
        var out = "Process diff\n  before: \(d.before.process.name)\n  after:  \(d.after.process.name)\n\n"
        if d.inputs.isEmpty {
            out += "The two files describe the same process.\n"
        } else {
            out += "Changed inputs (\(d.inputs.count))\n"
            var t = TextTable(["area", "field", "before", "after", "change"])
            for c in d.inputs {
                let change: String
                switch c.kind {
                case .added: change = "added"
                case .removed: change = "removed"
                case .changed: change = c.ratio.map { "× \(Fmt.number($0))" } ?? "changed"
                }
                t.add([c.area, c.path, c.before ?? "", c.after ?? "", change])
            }
            out += t.render() + "\n"
        }
        out += "Effect on one lot\n"
        var o = TextTable(["figure", "before", "after", "change", "unit"], rightAligned: [1, 2, 3])
        for c in d.outputs {
            let change =
                c.relativeChange.map { ($0 >= 0 ? "+" : "") + Fmt.percent($0) } ?? (c.after == c.before ? "0 %" : "new")
            o.add([c.figure, Fmt.number(c.before), Fmt.number(c.after), change, c.unit])
        }
        out += o.render() + "\n"
        out += "Downstream steps (step yield, cumulative yield)\n"
        var s = TextTable(["step", "before", "after"], rightAligned: [1, 2])
        func pair(_ y: Double?, _ c: Double?) -> String {
            guard let y, let c else { return "—" }
            return "\(Fmt.percent(y)), \(Fmt.percent(c))"
        }
        for c in d.steps {
            s.add([c.name, pair(c.beforeYield, c.beforeCumulative), pair(c.afterYield, c.afterCumulative)])
        }
        out += s.render()
        if !d.changedAreas.isEmpty {
            out += "\nComparability: the change touches \(d.changedAreas.joined(separator: ", ")). "
            out += "Before and after lots must be shown comparable in quality attributes (ICH Q5E), "
            out += "with the changed steps' in-process data and the release panel side by side.\n"
        }
        return out
    }

    public static func csv(_ d: ProcessDiff) -> String {
        var rows = [["section", "item", "before", "after", "change"]]
        for c in d.inputs {
            rows.append([
                "input:\(c.kind.rawValue)", c.path, c.before ?? "", c.after ?? "", c.ratio.map { "\($0)" } ?? "",
            ])
        }
        for c in d.outputs {
            rows.append([
                "output", "\(c.figure) (\(c.unit))", "\(c.before)", "\(c.after)",
                c.relativeChange.map { "\($0)" } ?? "",
            ])
        }
        return csvDocument(rows)
    }
}
