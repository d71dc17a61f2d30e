import Bioprocess
import Economics
import Foundation

/// A Monte Carlo run with its tornado and Sobol indices.
public struct UncertaintyReport: Sendable {
    public var model: EconomicModel
    public var result: MonteCarlo.Result
    public var threads: Int
    public var tornado: Sensitivity.Tornado
    public var sobol: Sensitivity.Sobol?

    public init(
        model: EconomicModel, result: MonteCarlo.Result, threads: Int, tornado: Sensitivity.Tornado,
        sobol: Sensitivity.Sobol?
    ) {
        self.model = model
        self.result = result
        self.threads = threads
        self.tornado = tornado
        self.sobol = sobol
    }

    public static let shown: [(MonteCarloOutput, String)] = [
        (.costPerDose, "cost per dose"), (.lotCost, "cost per released lot"), (.doses, "doses per lot"),
        (.patients, "patients per lot"), (.expansionDays, "cell expansion (d)"), (.lotDays, "thaw to release (d)"),
        (.chromatographyCycles, "chromatography cycles"), (.bulkVector, "vector in bulk"),
    ]

    /// The outputs this run's report shows: ``shown``, and the bulk's capsids or particles when
    /// the process states them.
    public var outputs: [(MonteCarloOutput, String)] {
        guard let content = model.process.production.particles else { return Self.shown }
        if case .capsids = content {
            return Self.shown + [(.bulkParticles, "capsids in bulk (cp)"), (.vectorShare, "full capsids in bulk")]
        }
        return Self.shown + [(.bulkParticles, "particles in bulk (VP)"), (.vectorShare, "TU per particle in bulk")]
    }

    /// An output's value as the report prints it: money, a % of full capsids, or a number.
    public func formatted(_ output: MonteCarloOutput, _ x: Double) -> String {
        switch output {
        case .costPerDose, .lotCost: return Fmt.money(x, model.costs.currency)
        case .vectorShare:
            if case .capsids = model.process.production.particles { return Fmt.percent(x) }
            return Fmt.number(x)
        default: return Fmt.number(x)
        }
    }

    /// Each release specification on % full capsids, with the share of samples (every sample,
    /// a lot that cannot be made counting as not meeting it) whose bulk meets it.
    public var fullCapsidSpecifications: [(test: String, specification: String, probability: Double)] {
        guard case .capsids = model.process.production.particles, let shares = result.columns[.vectorShare],
            result.samples > 0
        else { return [] }
        return ParticleBalance.fullCapsidSpecifications(model.process).map { t in
            let met = shares.lazy.filter { $0.isFinite && t.specification.accepts($0 * 100) }.count
            return (t.test, t.specification.text, Double(met) / Double(result.samples))
        }
    }

    public func inputDescription(_ p: UncertainParameter) -> String {
        let unit = DisplayUnit.unit(
            for: p.input.dimension, vector: model.process.product.vector.type.counting, currency: model.costs.currency)
        let truncation = p.input.distribution.truncated ? ", truncated to the field's range" : ""
        return DisplayUnit.describe(p.input.distribution.distribution, unit: unit) + truncation
    }

    public func text() -> String {
        let r = result
        let c = model.costs.currency
        var out = "VectorFab uncertainty — \(model.process.name)\n"
        out +=
            "Monte Carlo: \(Fmt.count(r.samples)) samples, seed \(r.seed), \(threads) thread\(threads == 1 ? "" : "s"), "
        out += "\(Fmt.number(r.seconds)) s (\(Fmt.count(Double(r.samples) / max(r.seconds, 1e-9))) samples/s)\n"
        out += "Evaluated by \(Self.evaluation(r)).\n"
        if r.infeasible > 0 {
            out += "\(Fmt.count(r.infeasible)) samples could not make a lot (left out of the statistics).\n"
        }
        out += "\nUncertain inputs (\(model.parameters.count))\n"
        var inputs = TextTable(["input", "distribution"])
        for p in model.parameters { inputs.add([p.label, inputDescription(p)]) }
        out += inputs.render() + "\n"
        out += "Outputs\n"
        var t = TextTable(["output", "mean", "p5", "p50", "p95", "left out"], rightAligned: [1, 2, 3, 4, 5])
        var statistics: [MonteCarloOutput: SampleStatistics] = [:]
        for (output, name) in outputs {
            let s = r.statistics(output)
            statistics[output] = s
            func v(_ x: Double) -> String { formatted(output, x) }
            t.add([name, v(s.mean), v(s.p5), v(s.p50), v(s.p95), s.excluded > 0 ? Fmt.count(s.excluded) : ""])
        }
        out += t.render()
        out += "\nExpected lot cost ÷ expected doses: \(r.expectedCostPerDose.map { Fmt.money($0, c) } ?? "no dose in any sample")"
        out += " (a lot making no dose still costs); samples making no dose: \(Fmt.percent(r.noDoseShare))\n"
        if let target = r.targetDoses, let p = r.probabilityOfTarget {
            out += "\nProbability that a lot makes at least \(target) doses: \(Fmt.percent(p))\n"
        }
        for f in fullCapsidSpecifications {
            out += "Probability that the bulk meets \(f.test) (\(f.specification)): \(Fmt.percent(f.probability))\n"
        }
        let cost = statistics[.costPerDose] ?? r.statistics(.costPerDose)
        if !cost.histogram.counts.isEmpty {
            out += "\nCost per dose (\(c.rawValue)), histogram\n"
            let peak = cost.histogram.counts.max() ?? 1
            for (i, n) in cost.histogram.counts.enumerated() {
                let bar = String(repeating: "█", count: Int(clamping: (Double(n) / Double(max(1, peak)) * 40).rounded(), to: 0...40))
                let lo = Fmt.money(cost.histogram.edges[i], c).padding(toLength: 14, withPad: " ", startingAt: 0)
                out += "  \(lo) \(bar) \(n)\n"
            }
        }
        out +=
            "\nTornado: cost per dose with one input at its 5th and 95th percentile (nominal \(Fmt.money(tornado.nominalCostPerDose, c)))\n"
        var tt = TextTable(["input", "at p5", "at p95", "swing"], rightAligned: [1, 2, 3])
        for b in tornado.bars {
            tt.add([b.label, Fmt.money(b.costAtLow, c), Fmt.money(b.costAtHigh, c), Fmt.money(b.swing, c)])
        }
        out += tt.render()
        if let sobol {
            out += "\nSobol indices of the cost per dose (Saltelli design, \(Fmt.count(sobol.samples)) base samples, "
            out += "\(Fmt.count(sobol.evaluations)) evaluations, \(Fmt.number(sobol.seconds)) s)\n"
            out += Self.sobolSampling(sobol) + "\n"
            var st = TextTable(["input", "first order", "95 % CI", "total", "95 % CI", "interactions"], rightAligned: [1, 2, 3, 4, 5])
            for i in sobol.indices {
                st.add([
                    i.label, Fmt.number(i.firstOrder, digits: 2), Self.interval(i.firstOrderInterval), Fmt.number(i.total, digits: 2),
                    Self.interval(i.totalInterval), Fmt.number(i.interactions, digits: 2),
                ])
            }
            out += "(95 % confidence intervals from \(Sensitivity.bootstrapResamples) bootstrap resamples of the base samples)\n"
            out += st.render()
        }
        out += ProcessDefinition.warningsText(model.process.plausibilityWarnings)
        return out
    }

    /// How the samples were evaluated, in words: the compiled kernel, the plan, or the general
    /// path and why.
    public static func evaluation(_ r: MonteCarlo.Result) -> String {
        if r.compiled { return "the compiled kernel (every operation a loop over a chunk of samples)" }
        if r.planned { return "the plan (the process's inputs passed to the simulator, its seed train sized once)" }
        return "the general path (every input set into a copy of the model)" + (r.generalPathReason.map { ": \($0)" } ?? "")
    }

    /// An interval as the text and the page print it: `0.71–0.75`.
    public static func interval(_ r: ClosedRange<Double>) -> String {
        "\(Fmt.number(r.lowerBound, digits: 2))–\(Fmt.number(r.upperBound, digits: 2))"
    }

    /// How the analysis's sample size came about, and how wide its intervals are, in a sentence.
    public static func sobolSampling(_ s: Sensitivity.Sobol) -> String {
        let widest = Fmt.number(s.widestInterval, digits: 3)
        var out: String
        if !s.varies {
            out = "The cost per dose does not vary over the base samples kept: there is no variance to share, and the indices are undefined."
        } else if let target = s.targetWidth {
            let goal = Fmt.number(target, digits: 3)
            if s.reachedTarget {
                out = "Sampled in \(s.rounds) round\(s.rounds == 1 ? "" : "s") until every 95 % interval was narrower than \(goal): the widest is \(widest)."
            } else {
                out = "The widest 95 % interval is \(widest), not narrower than the \(goal) asked for: sampling stopped at the limit of \(Fmt.count(s.samples)) base samples."
            }
        } else {
            out = "The widest 95 % interval is \(widest)."
        }
        if s.leftOut > 0 { out += " \(Fmt.count(s.leftOut)) base samples could not make a lot or a dose (left out)." }
        return out
    }

    public struct Data: Codable, Sendable {
        public var format = "vectorfab/uncertainty/1"
        public var process: String
        public var currency: String
        public var samples: Int
        public var seed: UInt64
        public var threads: Int
        public var seconds: Double
        public var infeasible: Int
        /// How the samples were evaluated (``evaluation(_:)``).
        public var evaluation: String = ""
        public var inputs: [Input]
        public var outputs: [String: SampleStatistics]
        public var targetDoses: Int?
        public var probabilityOfTarget: Double?
        /// Expected lot cost ÷ expected doses (samples whose lot can be made); nil with no dose.
        public var expectedCostPerDose: Double?
        /// The share of samples whose lot makes no dose.
        public var noDoseShare: Double
        public var tornado: [Bar]
        public var sobol: [Index]?
        /// How many base samples the Sobol analysis drew, and why.
        public var sobolSampling: SobolSampling?
        /// The nominal lot's values outside what is usual, as the lot report gives them.
        public var warnings: [PlausibilityWarning] = []
        /// Each release specification on % full capsids and the share of samples meeting it.
        public var fullCapsidSpecifications: [Specification] = []

        public struct Specification: Codable, Sendable {
            public var test: String
            public var specification: String
            public var probability: Double
        }

        public struct SobolSampling: Codable, Sendable {
            public var samples: Int
            public var evaluations: Int
            /// Base samples left out: one of their lots could not be made or made no dose.
            public var leftOut: Int
            /// Rounds of sampling: 1 for a fixed number of samples.
            public var rounds: Int
            /// The width every interval was to be narrower than, with --sobol-samples auto.
            public var targetWidth: Double?
            public var widestInterval: Double
            public var reachedTarget: Bool
            public var seconds: Double
        }
        public struct Input: Codable, Sendable {
            public var input: String
            public var distribution: String
        }
        public struct Bar: Codable, Sendable {
            public var input: String
            public var costAtP5: Double?
            public var costAtP95: Double?
        }
        public struct Index: Codable, Sendable {
            public var input: String
            public var firstOrder: Double
            public var total: Double
            /// 95 % bootstrap confidence intervals, [low, high].
            public var firstOrderInterval: [Double]
            public var totalInterval: [Double]
            /// `saltelli` or `janon`: the first-order estimator, the one whose interval is the narrower.
            public var firstOrderEstimator: String
        }
    }

    public func data() -> Data {
        func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
        return Data(
            process: model.process.name, currency: model.costs.currency.rawValue, samples: result.samples,
            seed: result.seed, threads: threads, seconds: result.seconds, infeasible: result.infeasible,
            evaluation: Self.evaluation(result), inputs: model.parameters.map { Data.Input(input: $0.label, distribution: inputDescription($0)) },
            outputs: Dictionary(uniqueKeysWithValues: outputs.map { ($0.0.rawValue, result.statistics($0.0)) }),
            targetDoses: result.targetDoses, probabilityOfTarget: result.probabilityOfTarget,
            expectedCostPerDose: result.expectedCostPerDose, noDoseShare: result.noDoseShare,
            tornado: tornado.bars.map {
                Data.Bar(input: $0.label, costAtP5: finite($0.costAtLow), costAtP95: finite($0.costAtHigh))
            },
            sobol: sobol?.indices.map {
                Data.Index(
                    input: $0.label, firstOrder: $0.firstOrder, total: $0.total,
                    firstOrderInterval: [$0.firstOrderInterval.lowerBound, $0.firstOrderInterval.upperBound],
                    totalInterval: [$0.totalInterval.lowerBound, $0.totalInterval.upperBound],
                    firstOrderEstimator: $0.firstOrderEstimator.rawValue)
            },
            sobolSampling: sobol.map {
                Data.SobolSampling(
                    samples: $0.samples, evaluations: $0.evaluations, leftOut: $0.leftOut, rounds: $0.rounds,
                    targetWidth: $0.targetWidth, widestInterval: $0.widestInterval, reachedTarget: $0.reachedTarget,
                    seconds: $0.seconds)
            }, warnings: model.process.plausibilityWarnings,
            fullCapsidSpecifications: fullCapsidSpecifications.map {
                Data.Specification(test: $0.test, specification: $0.specification, probability: $0.probability)
            })
    }

    public func csv() -> String {
        var rows = [["section", "item", "statistic", "value"]]
        for (output, _) in outputs {
            let s = result.statistics(output)
            for (name, v) in [("mean", s.mean), ("sd", s.sd), ("p5", s.p5), ("p50", s.p50), ("p95", s.p95)] {
                rows.append(["output", output.rawValue, name, "\(v)"])
            }
        }
        if let p = result.probabilityOfTarget { rows.append(["output", "doses", "p(target)", "\(p)"]) }
        for f in fullCapsidSpecifications {
            rows.append(["output", MonteCarloOutput.vectorShare.rawValue, "p(\(f.specification))", "\(f.probability)"])
        }
        if let e = result.expectedCostPerDose { rows.append(["output", "cost-per-dose", "expected cost / expected doses", "\(e)"]) }
        rows.append(["output", "doses", "share with no dose", "\(result.noDoseShare)"])
        for b in tornado.bars {
            rows.append(["tornado", b.label, "cost at p5", "\(b.costAtLow)"])
            rows.append(["tornado", b.label, "cost at p95", "\(b.costAtHigh)"])
        }
        if let sobol {
            rows.append(["sobol", "", "base samples", "\(sobol.samples)"])
            if let w = sobol.targetWidth { rows.append(["sobol", "", "target interval width", "\(w)"]) }
            rows.append(["sobol", "", "widest interval", "\(sobol.widestInterval)"])
        }
        for i in sobol?.indices ?? [] {
            rows.append(["sobol", i.label, "first order", "\(i.firstOrder)"])
            rows.append(["sobol", i.label, "first order 95 % low", "\(i.firstOrderInterval.lowerBound)"])
            rows.append(["sobol", i.label, "first order 95 % high", "\(i.firstOrderInterval.upperBound)"])
            rows.append(["sobol", i.label, "total", "\(i.total)"])
            rows.append(["sobol", i.label, "total 95 % low", "\(i.totalInterval.lowerBound)"])
            rows.append(["sobol", i.label, "total 95 % high", "\(i.totalInterval.upperBound)"])
        }
        return csvDocument(rows)
    }
}

/// Cost per dose across scales and platforms.
public enum ScaleCurveReport {
    public static func scaleLabel(_ s: ScaleCurve.Scale) -> String {
        switch s {
        case .workingVolume(let v): Fmt.volume(v)
        case .bedArea(let a): Fmt.area(a)
        case .flasks(let n): "\(n) flasks"
        }
    }

    public static func text(_ points: [ScaleCurve.Point], currency: Currency, notes: [String]) -> String {
        var out = "Cost per dose across scales\n"
        var t = TextTable(
            ["process", "platform", "scale", "culture", "doses/lot", "per released lot", "per dose"],
            rightAligned: [3, 4, 5, 6])
        for p in points {
            if let problem = p.problem {
                t.add([
                    p.process, p.platform.rawValue, scaleLabel(p.scale), Fmt.volume(p.cultureVolume), "—", "—",
                    "cannot run: \(problem)",
                ])
            } else {
                t.add([
                    p.process, p.platform.rawValue, scaleLabel(p.scale), Fmt.volume(p.cultureVolume),
                    Fmt.count(p.doses),
                    Fmt.money(p.lotCost, currency), Fmt.money(p.costPerDose, currency),
                ])
            }
        }
        out += t.render()
        for note in notes { out += "\(note)\n" }
        return out
    }

    public struct Row: Codable, Sendable {
        public var process: String
        public var platform: String
        public var scale: String
        public var cultureVolumeL: Double
        public var doses: Int
        public var lotCost: Double?
        public var costPerDose: Double?
        public var problem: String?
    }

    public static func rows(_ points: [ScaleCurve.Point]) -> [Row] {
        points.map {
            Row(
                process: $0.process, platform: $0.platform.rawValue, scale: scaleLabel($0.scale),
                cultureVolumeL: $0.cultureVolume.value(in: "L"), doses: $0.doses,
                lotCost: $0.lotCost.isFinite ? $0.lotCost : nil,
                costPerDose: $0.costPerDose.isFinite ? $0.costPerDose : nil,
                problem: $0.problem)
        }
    }

    public static func csv(_ points: [ScaleCurve.Point]) -> String {
        var out = [
            ["process", "platform", "scale", "culture_volume_L", "doses", "lot_cost", "cost_per_dose", "problem"]
        ]
        for r in rows(points) {
            out.append([
                r.process, r.platform, r.scale, "\(r.cultureVolumeL)", "\(r.doses)", r.lotCost.map { "\($0)" } ?? "",
                r.costPerDose.map { "\($0)" } ?? "", r.problem ?? "",
            ])
        }
        return csvDocument(out)
    }
}
