import Bioprocess
import Foundation

/// One finished batch as calibration reads it: its status, the recipe it ran, its record
/// entries, its QC samples and results, and when QA released it.
public struct CalibrationBatch: Sendable, Hashable {
    public var id: String
    public var status: BatchStatus
    public var recipe: MasterRecipe
    public var entries: [BatchEntry]
    public var samples: [QCSample]
    public var results: [QCResult]
    /// The release signature's time (ISO 8601), if the batch was released.
    public var releasedAt: String?

    public init(
        id: String, status: BatchStatus, recipe: MasterRecipe, entries: [BatchEntry], samples: [QCSample],
        results: [QCResult],
        releasedAt: String? = nil
    ) {
        self.id = id
        self.status = status
        self.recipe = recipe
        self.entries = entries
        self.samples = samples
        self.results = results
        self.releasedAt = releasedAt
    }

    /// Released or rejected: the batch's outcome is known.
    public var isFinished: Bool { status == .released || status == .rejected }
}

/// An input of the process file fitted to the batches: the field, the distribution in the
/// field's unit, the values behind it (one per batch) and the batches they came from.
public struct FittedInput: Sendable, Hashable {
    /// The field's path in the process file, e.g. `downstream[2].yield`.
    public var path: FieldPath
    /// What it is, in words: `Affinity capture yield`.
    public var label: String
    /// In `unit`.
    public var distribution: Distribution
    /// The unit the distribution's parameters are written in: `h`, `%`, `d`.
    public var unit: String
    /// One value per batch, in `unit`.
    public var values: [Double]
    /// The batches, in the order of `values`.
    public var batches: [String]
    /// Where the values come from: `recorded "Time to harvest"`.
    public var source: String
    /// The value the process file gave, in `unit`.
    public var modelled: Double?

    public init(
        path: FieldPath, label: String, distribution: Distribution, unit: String, values: [Double], batches: [String],
        source: String,
        modelled: Double? = nil
    ) {
        self.path = path
        self.label = label
        self.distribution = distribution
        self.unit = unit
        self.values = values
        self.batches = batches
        self.source = source
        self.modelled = modelled
    }

    /// The distribution as a process or demand file writes it: `{normal: {mean: "72.4 h", sd: "2.1 h"}}`.
    public var yaml: String {
        func q(_ x: Double) -> String { "\"\(Calibration.figure(x)) \(unit)\"" }
        switch distribution {
        case .fixed(let x): return q(x)
        case .normal(let m, let s): return "{normal: {mean: \(q(m)), sd: \(q(s))}}"
        case .uniform(let a, let b): return "{uniform: [\(q(a)), \(q(b))]}"
        case .triangular(let a, let m, let b): return "{triangular: [\(q(a)), \(q(m)), \(q(b))]}"
        case .pert(let a, let m, let b): return "{pert: [\(q(a)), \(q(m)), \(q(b))]}"
        case .lognormal(let m, let s): return "{lognormal: {median: \(q(m)), sigma: \(Calibration.figure(s))}}"
        }
    }
}

/// The share of lots that fail, estimated from the finished batches.
public struct FailureEstimate: Sendable, Hashable {
    /// Released or rejected batches.
    public var finished: Int
    /// Rejected batches.
    public var failed: Int

    public init(finished: Int, failed: Int) {
        self.finished = finished
        self.failed = failed
    }

    /// The posterior mean of the failure probability under a Jeffreys prior, Beta(½, ½):
    /// (failed + ½) / (finished + 1). With few batches the raw share (0 of 3 → 0 %) claims a
    /// certainty the plant has not earned; Laplace's rule, (failed + 1) / (finished + 2), pulls
    /// harder towards one half (0 of 3 → 20 %). Jeffreys' prior is the usual uninformative
    /// choice for a proportion and gives 12.5 % for 0 of 3, 4.5 % for 0 of 10.
    public var rate: Double { (Double(failed) + 0.5) / (Double(finished) + 1) }
}

/// What `vectorfab calibrate` learned from the batches: fitted process inputs, stage durations
/// for the demand file's `observed:` section, the failure rate, and what could not be fitted.
public struct Calibration: Sendable, Hashable {
    /// The finished batches behind the fit.
    public var batches: [String]
    /// Process-file inputs, each as a distribution.
    public var inputs: [FittedInput]
    /// Stage durations in days, by `observed:` key (`expansion`, `production`, `purification`,
    /// `fill`, `release`), for the facility simulation.
    public var stages: [String: FittedInput]
    public var failure: FailureEstimate
    /// What was not fitted, and why, in words.
    public var notes: [String]

    /// The fewest finished batches calibration fits from.
    public static let minimumBatches = 2
    /// A stage recorded in less time than this was not recorded as it happened (entries typed in
    /// together afterwards, or a demonstration): its timestamps do not give its duration.
    public static let minimumStageHours = 1.0
    /// The order of the stage keys in a demand file's `observed:` section.
    public static let stageKeys = ["expansion", "production", "purification", "fill", "release"]

    /// Fits `process`'s uncertain inputs to the finished batches that ran its recipe.
    ///
    /// - The recipe is generated from `process` and compared with the one each batch ran (product,
    ///   process name, and every phase's number, name and recorded parameters; not the targets,
    ///   which calibration itself changes). Batches of other products are ignored; a batch of the
    ///   same process whose recipe has another shape is a refusal.
    /// - **Durations and percentages** recorded in every batch (`Time to harvest` →
    ///   `production.duration`; `Post-thaw viability` → `cell-line.bank.viability`) become
    ///   `normal(mean, sd)`, the sample mean and the sample standard deviation (n − 1), truncated to
    ///   the field's range by the reader. With a handful of batches the mean and the spread are
    ///   what the data can estimate; a triangular from the observed min, mode and max would claim
    ///   the plant never goes beyond the few values seen. Equal values give `fixed`.
    /// - **Step yields** need amounts of vector: a titer result (a sample whose specification's
    ///   unit is the product's count per volume: `vg/mL`, `vg/L`, `TU/mL`…) times the step's
    ///   recorded `Volume out`. An
    ///   in-process sample is placed after the step the process file takes it after; the
    ///   drug-substance panel after the last step. Between two consecutive steps both measured,
    ///   the later step's yield is vg out / vg in per batch, fitted as a normal like the above.
    ///   A stretch of several steps between two measurements is reported (its observed and
    ///   modelled overall yield) but not split between its steps; steps before the first
    ///   measurement cannot be fitted. Volumes alone never give a yield.
    /// - **Stage durations** come from the record's timestamps: a unit procedure (cell expansion,
    ///   production, purification, fill) from its first entry to its last phase's completion;
    ///   release from the last completion to QA's release signature. A stage under
    ///   ``minimumStageHours`` in any batch was not recorded in real time and is not fitted. When
    ///   production's timestamps are not usable, production is the model's growth to induction
    ///   plus the recorded time to harvest.
    /// - **Failure rate**: see ``FailureEstimate/rate``.
    public static func fit(process: ProcessDefinition, batches all: [CalibrationBatch]) throws(CalibrationError)
        -> Calibration
    {
        let expected: MasterRecipe
        let report: LotReport
        do {
            expected = try RecipeGenerator.generate(process)
            report = try LotReport.simulate(process)
        } catch {
            throw CalibrationError(["the process '\(process.name)' does not simulate: \(error)"])
        }
        let finished = all.filter(\.isFinished)
        let same = finished.filter { $0.recipe.product == expected.product && $0.recipe.process == expected.process }
        guard !same.isEmpty else {
            let ran = Set(finished.map { "'\($0.recipe.process)' (\($0.recipe.product))" }).sorted()
            throw CalibrationError([
                "no finished batch ran a recipe of the process '\(expected.process)' (product \(expected.product))"
                    + (ran.isEmpty
                        ? "; the store holds no released or rejected batch"
                        : "; the finished batches ran \(ran.joined(separator: ", "))")
            ])
        }
        var problems: [String] = []
        for b in same {
            if let difference = shapeDifference(expected, b.recipe) {
                problems.append("batch \(b.id) ran a recipe that does not match the process file: \(difference)")
            }
        }
        guard problems.isEmpty else { throw CalibrationError(problems) }
        guard same.count >= minimumBatches else {
            let open = all.filter { !$0.isFinished && $0.recipe.process == expected.process }.count
            throw CalibrationError([
                "calibration needs at least \(minimumBatches) finished (released or rejected) batches of '\(expected.process)'; the store holds \(same.count)"
                    + (open > 0 ? " (and \(open) not finished)" : "")
            ])
        }
        // Released batches describe what the plant does when it works; a rejected batch may have
        // stopped anywhere, so it counts for the failure rate only.
        let ok = same.filter { $0.status == .released }
        var calibration = Calibration(
            batches: same.map(\.id), inputs: [], stages: [:],
            failure: FailureEstimate(finished: same.count, failed: same.count - ok.count), notes: [])
        if ok.count < minimumBatches {
            calibration.notes.append(
                "only \(ok.count) released batch(es): inputs and durations are fitted from released batches only, so only the failure rate is estimated"
            )
            return calibration
        }
        let values = ok.map(RecordedValues.init)

        // Recorded parameters.
        func parameter(_ name: String, inProcedure procedure: String) -> String? {
            expected.unitProcedures.first { $0.name == procedure }?.operations.flatMap(\.phases).first {
                $0.parameters.contains { $0.name == name }
            }?.id
        }
        if let phase = parameter("Time to harvest", inProcedure: "Production") {
            calibration.add(
                values.compactMap { v in v.value(phase, "Time to harvest").map { (v.batch, $0) } },
                expectedCount: ok.count,
                path: FieldPath([.key("production"), .key("duration")]),
                label: "Production (transfection or infection to harvest)", unit: "h",
                source: "recorded \"Time to harvest\"", modelled: process.production.duration.value(in: "h"))
        }
        if let phase = parameter("Post-thaw viability", inProcedure: "Cell expansion") {
            calibration.add(
                values.compactMap { v in v.value(phase, "Post-thaw viability").map { (v.batch, $0) } },
                expectedCount: ok.count,
                path: FieldPath([.key("cell-line"), .key("bank"), .key("viability")]), label: "Post-thaw viability",
                unit: "%",
                source: "recorded \"Post-thaw viability\"", modelled: process.cellLine.bank.viability.value * 100,
                upper: 100)
        }

        // Step yields from titer × volume out.
        calibration.fitYields(process: process, recipe: expected, report: report, values: values)

        // Stage durations for the facility simulation.
        calibration.fitStages(process: process, recipe: expected, report: report, values: values)
        return calibration
    }

    /// Adds a fitted input from one value per batch, or a note saying why it was not fitted.
    mutating func add(
        _ pairs: [(String, Double)], expectedCount: Int, path: FieldPath, label: String, unit: String, source: String,
        modelled: Double?,
        upper: Double = .infinity, stage: String? = nil
    ) {
        guard pairs.count >= Self.minimumBatches else {
            notes.append(
                "\(label): \(source) is found in \(pairs.count) of \(expectedCount) released batches, fewer than \(Self.minimumBatches); not fitted"
            )
            return
        }
        if pairs.count < expectedCount {
            notes.append(
                "\(label): \(source) is missing in \(expectedCount - pairs.count) of \(expectedCount) released batches; fitted from the others"
            )
        }
        let xs = pairs.map(\.1)
        guard xs.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            notes.append("\(label): \(source) has a value at or below zero; not fitted")
            return
        }
        let (mean, sd) = Self.meanAndSD(xs)
        guard mean <= upper else {
            notes.append(
                "\(label): the batches' mean, \(Self.figure(mean)) \(unit), is above \(Self.figure(upper)) \(unit) (the measurements' error exceeds the loss); not fitted"
            )
            return
        }
        let d: Distribution =
            sd > 0 ? .normal(mean: Self.rounded(mean), sd: Self.rounded(sd)) : .fixed(Self.rounded(mean))
        let input = FittedInput(
            path: path, label: label, distribution: d, unit: unit, values: xs, batches: pairs.map(\.0), source: source,
            modelled: modelled)
        if let stage { stages[stage] = input } else { inputs.append(input) }
    }

    /// The sample mean and the sample standard deviation (n − 1; 0 for one value).
    public static func meanAndSD(_ xs: [Double]) -> (mean: Double, sd: Double) {
        guard !xs.isEmpty else { return (.nan, .nan) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        guard xs.count > 1 else { return (mean, 0) }
        let ss = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, (ss / Double(xs.count - 1)).squareRoot())
    }

    /// `x` to 4 significant digits, the precision a fitted parameter deserves.
    static func rounded(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x }
        return Double(String(format: "%.3e", x)) ?? x
    }

    /// `x` as a file writes it: 4 significant digits, no exponent for everyday magnitudes.
    public static func figure(_ x: Double) -> String {
        guard x.isFinite, x != 0 else { return "0" }
        let magnitude = Int(floor(log10(abs(x))))
        if magnitude >= 9 || magnitude < -6 { return String(format: "%.3e", x) }
        var s = String(format: "%.\(max(0, 3 - magnitude))f", x)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// The first way the recipe a batch ran differs in shape from the one the process generates.
    static func shapeDifference(_ expected: MasterRecipe, _ ran: MasterRecipe) -> String? {
        let a = expected.phases, b = ran.phases
        for (x, y) in zip(a, b) {
            if x.id != y.id || x.name != y.name {
                return "phase \(y.id) is '\(y.name)' in the batch's recipe, '\(x.name)' (\(x.id)) in the process's"
            }
            let px = x.parameters.map { "\($0.name) (\($0.unit))" }, py = y.parameters.map { "\($0.name) (\($0.unit))" }
            if px != py {
                return
                    "phase \(x.id) '\(x.name)' records \(py.joined(separator: ", ")) in the batch's recipe, \(px.joined(separator: ", ")) in the process's"
            }
        }
        if a.count != b.count {
            return "the batch's recipe has \(b.count) phases, the process's \(a.count)"
        }
        return nil
    }
}

/// Why calibration cannot be done: every reason, in words.
public struct CalibrationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reasons: [String]
    public init(_ reasons: [String]) { self.reasons = reasons }
    public var description: String {
        reasons.count == 1
            ? "cannot calibrate: \(reasons[0])"
            : "cannot calibrate:\n" + reasons.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// One batch's record, indexed: the latest value of each parameter (a correction replaces the
/// value it corrects), each phase's first entry and completion, and the latest result of each sample.
struct RecordedValues {
    var batch: String
    var values: [String: Double] = [:]
    var firstEntry: [String: Date] = [:]
    var completed: [String: Date] = [:]
    var released: Date?
    var samples: [QCSample]
    var latestResult: [String: Double] = [:]

    init(_ b: CalibrationBatch) {
        batch = b.id
        samples = b.samples
        let precise = ISO8601DateFormatter(), plain = ISO8601DateFormatter()
        precise.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        plain.formatOptions = [.withInternetDateTime]
        func date(_ s: String) -> Date? { precise.date(from: s) ?? plain.date(from: s) }
        for e in b.entries {
            let at = date(e.at)
            if let at, firstEntry[e.phaseID].map({ at < $0 }) ?? true { firstEntry[e.phaseID] = at }
            switch e.kind {
            case .value:
                if let p = e.parameter, let v = e.value { values[e.phaseID + "\u{1F}" + p] = v }
            case .completion:
                if let at { completed[e.phaseID] = at }
            default: break
            }
        }
        released = b.releasedAt.flatMap(date)
        for r in b.results.sorted(by: { $0.at < $1.at }) {
            if let v = r.value { latestResult[r.sampleID] = v }
        }
    }

    func value(_ phase: String, _ parameter: String) -> Double? { values[phase + "\u{1F}" + parameter] }
}
