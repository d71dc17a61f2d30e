/// An individuals and moving-range (I-MR) control chart, its limits fitted on a reference set
/// of batches: centre the reference mean, σ estimated from the average moving range
/// (MR̄ / d₂, d₂ = 1.128 for ranges of two), limits at ±3σ; the moving-range chart's upper
/// limit D₄·MR̄ (D₄ = 3.267).
public struct IndividualsChart: Sendable, Hashable {
    public var centre: Double
    public var sigma: Double
    public var averageMovingRange: Double
    public var referenceCount: Int

    public var upper: Double { centre + 3 * sigma }
    public var lower: Double { centre - 3 * sigma }
    public var movingRangeUpper: Double { 3.267 * averageMovingRange }

    public static let d2 = 1.128

    /// Fitted on the reference values (in batch order); nil with fewer than two, or when all
    /// are equal (no variation to chart).
    public static func fit(reference: [Double]) -> IndividualsChart? {
        let values = reference.filter(\.isFinite)
        guard values.count >= 2 else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        var ranges = 0.0
        for i in 1..<values.count { ranges += abs(values[i] - values[i - 1]) }
        let mr = ranges / Double(values.count - 1)
        guard mr > 0 else { return nil }
        return IndividualsChart(centre: mean, sigma: mr / d2, averageMovingRange: mr, referenceCount: values.count)
    }

    /// Every run-rule violation in `values` (in batch order), by the Nelson rules; each names
    /// the rule and the point that completes the pattern.
    public func violations(_ values: [Double]) -> [RuleViolation] {
        NelsonRule.allCases.flatMap { rule in rule.violations(values, self) }
    }
}

/// A run rule broken at one point.
public struct RuleViolation: Sendable, Hashable {
    public var rule: NelsonRule
    /// The point (0-based, in batch order) that completes the pattern.
    public var index: Int
}

/// The eight Nelson rules (1984); rules 1, 5 and 6 and a run of eight on one side are the
/// Western Electric rules (1956). A point exactly on the centre line breaks a run.
public enum NelsonRule: Int, Sendable, Hashable, CaseIterable {
    case beyondThreeSigma = 1
    case nineOnOneSide
    case sixTrending
    case fourteenAlternating
    case twoOfThreeBeyondTwoSigma
    case fourOfFiveBeyondOneSigma
    case fifteenWithinOneSigma
    case eightBeyondOneSigmaEitherSide

    public var text: String {
        switch self {
        case .beyondThreeSigma: "a point beyond 3σ"
        case .nineOnOneSide: "nine points in a row on one side of the centre"
        case .sixTrending: "six points in a row steadily increasing or decreasing"
        case .fourteenAlternating: "fourteen points in a row alternating up and down"
        case .twoOfThreeBeyondTwoSigma: "two of three points beyond 2σ on the same side"
        case .fourOfFiveBeyondOneSigma: "four of five points beyond 1σ on the same side"
        case .fifteenWithinOneSigma: "fifteen points in a row within 1σ"
        case .eightBeyondOneSigmaEitherSide: "eight points in a row beyond 1σ, on both sides of the centre"
        }
    }

    /// The points (each the last of its pattern) where this rule is broken. A run longer than
    /// the rule's length is flagged at each further point.
    func violations(_ x: [Double], _ c: IndividualsChart) -> [RuleViolation] {
        let z = x.map { ($0 - c.centre) / c.sigma }
        var hits: [Int] = []
        func side(_ v: Double) -> Int { v > 0 ? 1 : v < 0 ? -1 : 0 }
        switch self {
        case .beyondThreeSigma:
            hits = z.indices.filter { abs(z[$0]) > 3 }
        case .nineOnOneSide:
            var run = 0, last = 0
            for (i, v) in z.enumerated() {
                let s = side(v)
                run = s != 0 && s == last ? run + 1 : (s != 0 ? 1 : 0)
                last = s
                if run >= 9 { hits.append(i) }
            }
        case .sixTrending:
            hits = Self.stepRuns(x, points: 6) { step, previous in step == previous }
        case .fourteenAlternating:
            hits = Self.stepRuns(x, points: 14) { step, previous in step == -previous }
        case .twoOfThreeBeyondTwoSigma, .fourOfFiveBeyondOneSigma:
            let (window, needed, bound) = self == .twoOfThreeBeyondTwoSigma ? (3, 2, 2.0) : (5, 4, 1.0)
            for i in z.indices where i + 1 >= window {
                let w = z[(i + 1 - window)...i]
                // The last point itself is one of those beyond (it completes the pattern).
                for s in [1.0, -1.0] where z[i] * s > bound && w.filter({ $0 * s > bound }).count >= needed {
                    hits.append(i)
                }
            }
        case .fifteenWithinOneSigma:
            var run = 0
            for (i, v) in z.enumerated() {
                run = abs(v) < 1 ? run + 1 : 0
                if run >= 15 { hits.append(i) }
            }
        case .eightBeyondOneSigmaEitherSide:
            // Eight in a row beyond 1σ with points on both sides (all on one side is rule 2's).
            for i in z.indices where i >= 7 {
                let w = z[(i - 7)...i]
                if w.allSatisfy({ abs($0) > 1 }), w.contains(where: { $0 > 0 }), w.contains(where: { $0 < 0 }) { hits.append(i) }
            }
        }
        return hits.map { RuleViolation(rule: self, index: $0) }
    }

    /// The points ending a run of at least `points` points whose steps (up +1, down −1, flat 0
    /// breaks the run) each `continue` the step before.
    static func stepRuns(_ x: [Double], points: Int, continues: (Int, Int) -> Bool) -> [Int] {
        var hits: [Int] = []
        var run = 1, previous = 0
        for i in 1..<max(1, x.count) {
            let step = x[i] > x[i - 1] ? 1 : x[i] < x[i - 1] ? -1 : 0
            run = step != 0 && continues(step, previous) ? run + 1 : (step != 0 ? 2 : 1)
            previous = step
            if run >= points { hits.append(i) }
        }
        return hits
    }
}

/// Process capability against specification limits: Cpk from the within-batch σ of the
/// control chart (MR̄ / d₂), Ppk from the overall standard deviation; either side may be open.
public struct Capability: Sendable, Hashable {
    public var cpk: Double
    public var ppk: Double
    public var mean: Double
    public var count: Int

    public static func of(_ values: [Double], low: Double?, high: Double?) -> Capability? {
        let v = values.filter(\.isFinite)
        guard v.count >= 2, low != nil || high != nil, let chart = IndividualsChart.fit(reference: v) else { return nil }
        let mean = v.reduce(0, +) / Double(v.count)
        let s = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
        func index(_ sigma: Double) -> Double {
            [high.map { ($0 - mean) / (3 * sigma) }, low.map { (mean - $0) / (3 * sigma) }].compactMap { $0 }.min()!
        }
        return Capability(cpk: index(chart.sigma), ppk: s > 0 ? index(s) : .infinity, mean: mean, count: v.count)
    }
}
