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
    static func smoothCostPerDose(_ m: EconomicModel) -> Double {
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

        public init(label: String, firstOrder: Double, total: Double) {
            self.label = label
            self.firstOrder = firstOrder
            self.total = total
        }
    }

    /// Bootstrap resamples of the base rows for the Sobol indices' confidence intervals.
    public static let bootstrapResamples = 200

    public struct Sobol: Sendable {
        public var samples: Int
        public var evaluations: Int
        public var variance: Double
        /// Largest total index first.
        public var indices: [SobolIndex]
    }

    /// Sobol indices of the cost per dose (fractional doses) by the Saltelli (2010) design:
    /// two independent sample matrices A and B, and for each input i the matrix A with column i
    /// from B; first order by Saltelli's estimator, total by Jansen's. N × (k + 2) evaluations.
    public static func sobol(_ model: EconomicModel, samples n: Int, seed: UInt64, threads: Int = 1) -> Sobol {
        let k = model.parameters.count
        guard k > 0, n > 1 else { return Sobol(samples: n, evaluations: 0, variance: 0, indices: []) }
        var rng = RandomSource(seed: seed)
        var a = [Double](repeating: 0, count: n * k), b = [Double](repeating: 0, count: n * k)
        for row in 0..<n {
            for j in 0..<k { a[row * k + j] = model.parameters[j].input.distribution.sample(&rng) }
            for j in 0..<k { b[row * k + j] = model.parameters[j].input.distribution.sample(&rng) }
        }
        // Outputs: f(A), f(B), then f(A_B^i) for each i.
        var f = [Double](repeating: .nan, count: n * (k + 2))
        let rows = UnsafeSendable((a, b))
        f.withUnsafeMutableBufferPointer { out in
            let sink = UnsafeSendable(out)
            let chunks = max(1, threads) * 4
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var m = model
                let (a, b) = rows.value
                var x = [Double](repeating: 0, count: k)
                for row in stride(from: chunk, to: n, by: chunks) {
                    for column in 0..<(k + 2) {
                        for j in 0..<k {
                            let fromB = column == 1 || column == j + 2
                            x[j] = fromB ? b[row * k + j] : a[row * k + j]
                        }
                        for j in 0..<k { model.parameters[j].set(&m, x[j]) }
                        sink.value[column * n + row] = smoothCostPerDose(m)
                    }
                }
            }
        }
        // Rows where any evaluation failed are left out.
        let valid = (0..<n).filter { row in (0..<(k + 2)).allSatisfy { f[$0 * n + row].isFinite } }
        let m = Double(valid.count)
        let fa = valid.map { f[$0] }, fb = valid.map { f[n + $0] }
        let all = fa + fb
        let mean = all.reduce(0, +) / Double(all.count)
        let variance = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(all.count - 1)
        /// Saltelli (2010) first order and Jansen total of input `j` over the rows `rows` (indices
        /// into `valid`), with the variance of those rows' f(A) and f(B).
        func estimate(_ j: Int, _ fab: [Double], rows: [Int]) -> (Double, Double) {
            guard !rows.isEmpty else { return (.nan, .nan) }
            var first = 0.0, total = 0.0, sum = 0.0, squares = 0.0
            for r in rows {
                first += fb[r] * (fab[r] - fa[r])
                total += (fa[r] - fab[r]) * (fa[r] - fab[r])
                sum += fa[r] + fb[r]
                squares += fa[r] * fa[r] + fb[r] * fb[r]
            }
            let count = Double(rows.count)
            let v = (squares - sum * sum / (2 * count)) / (2 * count - 1)
            return (first / count / v, total / (2 * count) / v)
        }
        func interval(_ xs: [Double]) -> ClosedRange<Double> {
            let sorted = xs.filter(\.isFinite).sorted()
            guard !sorted.isEmpty else { return 0...0 }
            func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))] }
            return at(0.025)...at(0.975)
        }
        let fabs = (0..<k).map { j in valid.map { f[(j + 2) * n + $0] } }
        // The same resamples of the rows for every input, drawn from the run's seed.
        var boot = RandomSource(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        var estimates = [[(Double, Double)]](repeating: [], count: k)
        if valid.count > 1 {
            for _ in 0..<bootstrapResamples {
                let rows = (0..<valid.count).map { _ in Int(boot.next() % UInt64(valid.count)) }
                for j in 0..<k { estimates[j].append(estimate(j, fabs[j], rows: rows)) }
            }
        }
        var indices: [SobolIndex] = []
        for j in 0..<k {
            let fab = fabs[j]
            var first = 0.0, total = 0.0
            for r in 0..<valid.count {
                first += fb[r] * (fab[r] - fa[r])
                total += (fa[r] - fab[r]) * (fa[r] - fab[r])
            }
            var index = SobolIndex(label: model.parameters[j].label, firstOrder: first / m / variance, total: total / (2 * m) / variance)
            index.firstOrderInterval = interval(estimates[j].map(\.0))
            index.totalInterval = interval(estimates[j].map(\.1))
            indices.append(index)
        }
        indices.sort { $0.total > $1.total }
        return Sobol(samples: n, evaluations: n * (k + 2), variance: variance, indices: indices)
    }
}
