import Bioprocess
import Foundation

/// Which inputs move the cost of a dose, one at a time (a tornado) and together (Sobol).
public enum Sensitivity {
    /// One bar of a tornado: the cost per dose with one input at its 5th and 95th percentile,
    /// every other input at its nominal value.
    public struct Bar: Sendable, Hashable {
        public var label: String
        public var lowInput: Double
        public var highInput: Double
        public var costAtLow: Double
        public var costAtHigh: Double
        /// |cost at high − cost at low|; infinite when one end makes no dose.
        public var swing: Double { abs(costAtHigh - costAtLow) }
    }

    public struct Tornado: Sendable {
        public var nominalCostPerDose: Double
        /// Largest swing first.
        public var bars: [Bar]
    }

    /// The one-at-a-time sensitivity of the cost per dose to each uncertain input.
    public static func tornado(_ model: EconomicModel, low: Double = 0.05, high: Double = 0.95) -> Tornado {
        let nominal = costPerDose(model)
        var bars: [Bar] = []
        for p in model.parameters {
            let lo = p.input.distribution.quantile(low)
            let hi = p.input.distribution.quantile(high)
            var m = model
            p.set(&m, lo)
            let atLow = costPerDose(m)
            m = model
            p.set(&m, hi)
            let atHigh = costPerDose(m)
            bars.append(Bar(label: p.label, lowInput: lo, highInput: hi, costAtLow: atLow, costAtHigh: atHigh))
        }
        bars.sort { a, b in
            let (x, y) = (a.swing.isNaN ? -1 : a.swing, b.swing.isNaN ? -1 : b.swing)
            return x > y
        }
        return Tornado(nominalCostPerDose: nominal, bars: bars)
    }

    /// The cost of a dose of a model; NaN when the lot cannot be made.
    static func costPerDose(_ m: EconomicModel) -> Double {
        (try? CostCalculator.cost(m.process, m.costs))?.1.perDose ?? .nan
    }

    /// The cost per dose counted in fractional doses: smooth in every input, so that the
    /// variance decomposition is not dominated by rounding to whole doses.
    @inlinable
    public static func smoothCostPerDose(_ m: EconomicModel) -> Double {
        guard let (_, c) = try? CostCalculator.cost(m.process, m.costs), c.fractionalDoses > 0 else { return .nan }
        return c.perLotReleased / c.fractionalDoses
    }

    /// First-order and total Sobol indices of one input.
    public struct SobolIndex: Sendable, Hashable {
        public var label: String
        /// The share of the output's variance this input explains alone.
        public var firstOrder: Double
        /// The share it explains with all its interactions.
        public var total: Double
        /// Total minus first order: what it explains only together with other inputs.
        public var interactions: Double { max(0, total - firstOrder) }
        /// 95 % bootstrap confidence intervals (percentile, ``bootstrapResamples`` resamples of
        /// the base rows): how far the estimates can be trusted at this sample size.
        public var firstOrderInterval: ClosedRange<Double> = 0...0
        public var totalInterval: ClosedRange<Double> = 0...0
        /// The estimator of the first-order index, the one whose interval is the narrower.
        public var firstOrderEstimator: FirstOrderEstimator = .saltelli

        public var firstOrderWidth: Double { firstOrderInterval.upperBound - firstOrderInterval.lowerBound }
        public var totalWidth: Double { totalInterval.upperBound - totalInterval.lowerBound }

        public init(label: String, firstOrder: Double, total: Double) {
            self.label = label
            self.firstOrder = firstOrder
            self.total = total
        }
    }

    /// Two estimators of a first-order index from the same evaluations. Saltelli et al. (2010)
    /// (what SALib uses), mean of (f(B) − mean)(f(A_B^i) − f(A)) over the variance, is the more
    /// precise for a small index; Janon et al. (2014), the correlation of f(B) and f(A_B^i), for a
    /// large one (asymptotically efficient, its variance falls as (1 − S²)²).
    public enum FirstOrderEstimator: String, Sendable, Hashable, Codable {
        case saltelli, janon
    }

    /// Bootstrap resamples of the base rows for the Sobol indices' confidence intervals.
    public static let bootstrapResamples = 200

    /// The width every 95 % interval of an analysis is run to unless told otherwise: ± 0.025
    /// around each index.
    public static let defaultIntervalWidth = 0.05
    /// Base samples of the first round of an analysis run until its intervals are narrow enough.
    public static let firstRoundSamples = 4_096

    /// How many base samples a Sobol analysis draws.
    public enum SobolSampling: Sendable, Hashable {
        /// Exactly this many.
        case fixed(Int)
        /// Rounds of more base samples until every index's 95 % interval (first order and total)
        /// is narrower than `width`: `start` base samples first, then as many as the widest
        /// interval asks for (widths fall as 1/√N) and 20 % more, at least half as many again
        /// each round, and never more than `most` whatever the widths.
        case narrowerThan(Double, start: Int, most: Int)
    }

    /// A Sobol analysis as asked for on the command line, the page or the API.
    public enum SobolRequest: Sendable, Hashable {
        /// No analysis.
        case none
        /// Exactly this many base samples.
        case samples(Int)
        /// As many base samples as it takes for every 95 % interval to be narrower than this width.
        case narrowerThan(Double)

        /// The default everywhere: every interval narrower than ``defaultIntervalWidth``.
        public static let automatic = SobolRequest.narrowerThan(defaultIntervalWidth)

        /// The sampling asked for with `inputs` uncertain inputs, within `mostEvaluations` lot
        /// evaluations and ``WorkLimits/sobolSamples`` base samples; nil for none.
        public func sampling(inputs: Int, mostEvaluations: Int) -> SobolSampling? {
            switch self {
            case .none: nil
            case .samples(let n): n > 0 ? .fixed(n) : nil
            case .narrowerThan(let width):
                .narrowerThan(
                    width, start: firstRoundSamples, most: min(WorkLimits.sobolSamples, mostEvaluations / (inputs + 2)))
            }
        }
    }

    public struct Sobol: Sendable {
        /// Base samples drawn.
        public var samples: Int
        public var evaluations: Int
        public var variance: Double
        /// Largest total index first.
        public var indices: [SobolIndex]
        /// Base samples left out because one of their lots could not be made or made no dose.
        public var leftOut: Int = 0
        /// The width the intervals were run to, for an analysis run until they are narrow enough.
        public var targetWidth: Double?
        /// Rounds of sampling: 1 for a fixed number of samples.
        public var rounds: Int = 1
        /// Wall time of the analysis, every round.
        public var seconds: Double = 0

        /// The widest 95 % interval of any index, first order or total.
        public var widestInterval: Double { indices.map { max($0.firstOrderWidth, $0.totalWidth) }.max() ?? 0 }
        /// Whether every interval is narrower than the target width (true without one).
        public var reachedTarget: Bool {
            guard let width = targetWidth else { return true }
            return varies && widestInterval < width
        }
        /// Whether the cost per dose varies over the rows kept: without variance there is nothing
        /// to share and the indices are undefined.
        public var varies: Bool {
            samples - leftOut > 1 && variance > 0 && variance.isFinite && !indices.isEmpty
                && indices.allSatisfy { $0.firstOrder.isFinite && $0.total.isFinite }
        }
    }

    /// Sobol indices of the cost per dose with a fixed number of base samples.
    public static func sobol(_ model: EconomicModel, samples n: Int, seed: UInt64, threads: Int = 1) -> Sobol {
        sobol(model, .fixed(n), seed: seed, threads: threads)
    }

    /// Sobol indices of the cost per dose (fractional doses) by the Saltelli (2010) design: two
    /// independent sample matrices A and B, and for each input i the matrix A with column i from
    /// B; N × (k + 2) evaluations. First order by Saltelli's or Janon's estimator (see
    /// ``FirstOrderEstimator``), whichever's bootstrap interval is the narrower, total by Jansen's.
    /// Base rows are drawn in order from one stream of the seed: an analysis run in rounds gives
    /// what a fixed one of its final size gives. `round` hears the base samples of each round
    /// before it runs.
    public static func sobol(
        _ model: EconomicModel, _ sampling: SobolSampling, seed: UInt64, threads: Int = 1,
        round: (@Sendable (Int) -> Void)? = nil
    ) -> Sobol {
        let started = DispatchTime.now().uptimeNanoseconds
        var result = sobolRounds(model, sampling, seed: seed, threads: threads, round: round)
        result.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return result
    }

    static func sobolRounds(
        _ model: EconomicModel, _ sampling: SobolSampling, seed: UInt64, threads: Int, round: (@Sendable (Int) -> Void)?
    ) -> Sobol {
        var design = SobolDesign(model: model, seed: seed)
        switch sampling {
        case .fixed(let n):
            guard design.k > 0, n > 1 else { return Sobol(samples: max(0, n), evaluations: 0, variance: 0, indices: []) }
            round?(n)
            design.extend(to: n, threads: threads)
            return design.estimate(seed: seed, threads: threads)
        case .narrowerThan(let width, let start, let most):
            guard design.k > 0, most > 1 else {
                return Sobol(samples: max(0, most), evaluations: 0, variance: 0, indices: [], targetWidth: width)
            }
            var n = min(max(2, start), most)
            var rounds = 0
            while true {
                round?(n)
                design.extend(to: n, threads: threads)
                rounds += 1
                var result = design.estimate(seed: seed, threads: threads)
                result.targetWidth = width
                result.rounds = rounds
                let widest = result.widestInterval
                if result.reachedTarget || n >= most || !widest.isFinite || !result.varies {
                    return result
                }
                let asked = Double(n) * (widest / width) * (widest / width) * 1.2
                n = min(most, max(n + n / 2, Int(min(asked, Double(most)).rounded(.up))))
            }
        }
    }

    /// The Saltelli design's outputs, base row by base row: f(A), f(B) and f(A_B^i) for every row
    /// whose lots could all be made.
    struct SobolDesign {
        let model: EconomicModel
        let k: Int
        var rng: RandomSource
        /// Base rows drawn, kept or not.
        var drawn = 0
        var fa: [Double] = [], fb: [Double] = []
        /// f(A_B^i), row-major: k values a row.
        var fab: [Double] = []

        init(model: EconomicModel, seed: UInt64) {
            self.model = model
            self.k = model.parameters.count
            self.rng = RandomSource(seed: seed)
        }

        /// Draws and evaluates base rows up to `n` in all.
        mutating func extend(to n: Int, threads: Int) {
            let count = n - drawn, k = self.k, width = k + 2
            guard count > 0 else { return }
            var a = [Double](repeating: 0, count: count * k), b = [Double](repeating: 0, count: count * k)
            for row in 0..<count {
                for j in 0..<k { a[row * k + j] = model.parameters[j].input.distribution.sample(&rng) }
                for j in 0..<k { b[row * k + j] = model.parameters[j].input.distribution.sample(&rng) }
            }
            var f = [Double](repeating: .nan, count: count * width)
            let rows = UnsafeSendable((a, b))
            let model = self.model
            f.withUnsafeMutableBufferPointer { out in
                let sink = UnsafeSendable(out)
                let chunks = max(1, threads) * 4
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    var m = model
                    let (a, b) = rows.value
                    var x = [Double](repeating: 0, count: k)
                    for row in stride(from: chunk, to: count, by: chunks) {
                        for column in 0..<width {
                            for j in 0..<k {
                                let fromB = column == 1 || column == j + 2
                                x[j] = fromB ? b[row * k + j] : a[row * k + j]
                            }
                            for j in 0..<k { model.parameters[j].set(&m, x[j]) }
                            sink.value[row * width + column] = smoothCostPerDose(m)
                        }
                    }
                }
            }
            // Rows where any evaluation failed are left out.
            for row in 0..<count where (0..<width).allSatisfy({ f[row * width + $0].isFinite }) {
                fa.append(f[row * width])
                fb.append(f[row * width + 1])
                fab.append(contentsOf: f[(row * width + 2)..<(row * width + width)])
            }
            drawn = n
        }

        /// The indices of the rows drawn so far, with their bootstrap intervals.
        func estimate(seed: UInt64, threads: Int) -> Sobol {
            let m = fa.count, k = self.k
            // Centred on the mean output: Saltelli's first-order estimator needs it (SALib
            // standardises for the same reason); the others do not move, and sums of squares
            // keep their digits.
            let centre = m > 0 ? (fa.reduce(0, +) + fb.reduce(0, +)) / Double(2 * m) : 0
            let ya = fa.map { $0 - centre }, yb = fb.map { $0 - centre }, yab = fab.map { $0 - centre }
            let point = Sensitivity.estimates(ya, yb, yab, k: k, rows: nil)
            // Each resample of the rows from its own stream of the seed: the same intervals
            // whatever the threads.
            let resamples = m > 1 ? bootstrapResamples : 0
            var boot = [Double](repeating: .nan, count: resamples * k * 3)
            boot.withUnsafeMutableBufferPointer { out in
                let sink = UnsafeSendable(out)
                let data = UnsafeSendable((ya, yb, yab))
                DispatchQueue.concurrentPerform(iterations: max(1, threads) * 4) { chunk in
                    let (ya, yb, yab) = data.value
                    var rows = [Int](repeating: 0, count: m)
                    for r in stride(from: chunk, to: resamples, by: max(1, threads) * 4) {
                        var rng = RandomSource.stream(seed: seed ^ 0x5EED_B007_57A4_1CE5, index: UInt64(r))
                        for i in 0..<m { rows[i] = Int(rng.next() % UInt64(m)) }
                        let e = Sensitivity.estimates(ya, yb, yab, k: k, rows: rows)
                        for j in 0..<(k * 3) { sink.value[r * k * 3 + j] = e[j] }
                    }
                }
            }
            func interval(_ xs: [Double]) -> ClosedRange<Double> {
                let sorted = xs.filter(\.isFinite).sorted()
                guard !sorted.isEmpty else { return 0...0 }
                func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))] }
                return at(0.025)...at(0.975)
            }
            var indices: [SobolIndex] = []
            for j in 0..<k {
                func column(_ e: Int) -> [Double] { (0..<resamples).map { boot[$0 * k * 3 + e * k + j] } }
                let saltelli = interval(column(0)), janon = interval(column(1))
                let useJanon = janon.upperBound - janon.lowerBound < saltelli.upperBound - saltelli.lowerBound
                var index = SobolIndex(
                    label: model.parameters[j].label, firstOrder: point[(useJanon ? 1 : 0) * k + j], total: point[2 * k + j])
                index.firstOrderEstimator = useJanon ? .janon : .saltelli
                index.firstOrderInterval = useJanon ? janon : saltelli
                index.totalInterval = interval(column(2))
                indices.append(index)
            }
            indices.sort { $0.total > $1.total }
            // A cost that is the same in every row (to the last bit) has no variance: rounding in
            // the centring above must not make one up.
            let constant = m > 0 && fa.allSatisfy { $0 == fa[0] } && fb.allSatisfy { $0 == fa[0] } && fab.allSatisfy { $0 == fa[0] }
            let variance = m > 1 ? (constant ? 0 : Sensitivity.variance(ya, yb)) : .nan
            if constant {
                for i in indices.indices {
                    (indices[i].firstOrder, indices[i].total) = (.nan, .nan)
                    (indices[i].firstOrderInterval, indices[i].totalInterval) = (0...0, 0...0)
                }
            }
            return Sobol(
                samples: drawn, evaluations: drawn * (k + 2), variance: variance, indices: indices, leftOut: drawn - m)
        }
    }

    /// The variance of f(A) and f(B) together.
    static func variance(_ ya: [Double], _ yb: [Double]) -> Double {
        let n = Double(ya.count + yb.count)
        let sum = ya.reduce(0, +) + yb.reduce(0, +)
        let squares = ya.reduce(0) { $0 + $1 * $1 } + yb.reduce(0) { $0 + $1 * $1 }
        return (squares - sum * sum / n) / (n - 1)
    }

    /// Saltelli's and Janon's first-order and Jansen's total estimates of every input over the
    /// rows `rows` (with repeats) or all of them, from outputs centred on their mean: k of each,
    /// in that order.
    static func estimates(_ ya: [Double], _ yb: [Double], _ yab: [Double], k: Int, rows: [Int]?) -> [Double] {
        let m = rows?.count ?? ya.count
        guard m > 1 else { return [Double](repeating: .nan, count: 3 * k) }
        var sum = 0.0, squares = 0.0
        var saltelli = [Double](repeating: 0, count: k), jansen = [Double](repeating: 0, count: k)
        var cross = [Double](repeating: 0, count: k), pairSum = [Double](repeating: 0, count: k)
        var pairSquares = [Double](repeating: 0, count: k), differences = [Double](repeating: 0, count: k)
        ya.withUnsafeBufferPointer { ya in
            yb.withUnsafeBufferPointer { yb in
                yab.withUnsafeBufferPointer { yab in
                    for i in 0..<m {
                        let r = rows?[i] ?? i
                        let a = ya[r], b = yb[r]
                        sum += a + b
                        squares += a * a + b * b
                        for j in 0..<k {
                            let ab = yab[r * k + j]
                            saltelli[j] += b * (ab - a)
                            differences[j] += ab - a
                            jansen[j] += (a - ab) * (a - ab)
                            cross[j] += b * ab
                            pairSum[j] += b + ab
                            pairSquares[j] += b * b + ab * ab
                        }
                    }
                }
            }
        }
        let count = Double(m)
        let mean = sum / (2 * count)
        let v = (squares - sum * sum / (2 * count)) / (2 * count - 1)
        var out = [Double](repeating: .nan, count: 3 * k)
        for j in 0..<k {
            // Saltelli's estimator with f(B) centred on the rows' own mean.
            out[j] = (saltelli[j] - mean * differences[j]) / count / v
            let pairMean = pairSum[j] / (2 * count)
            out[k + j] = (cross[j] / count - pairMean * pairMean) / (pairSquares[j] / (2 * count) - pairMean * pairMean)
            out[2 * k + j] = jansen[j] / (2 * count) / v
        }
        return out
    }
}
