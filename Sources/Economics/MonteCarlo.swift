import Bioprocess
import Foundation

/// The figures a Monte Carlo run records for every sample.
public enum MonteCarloOutput: String, CaseIterable, Sendable, Codable {
    case costPerDose = "cost-per-dose"
    case lotCost = "lot-cost"
    case doses
    case patients
    case expansionDays = "expansion-days"
    case lotDays = "lot-days"
    case chromatographyCycles = "chromatography-cycles"
    case bulkVector = "bulk-vector"
    /// Capsids (AAV) or particles (LV) in the bulk; undefined when the process states none.
    case bulkParticles = "bulk-particles"
    /// Vector ÷ particles in the bulk: AAV's full-capsid fraction, LV's TU per particle;
    /// undefined when the process states no particles.
    case vectorShare = "vector-share"

    /// This output of one sampled lot.
    @inlinable
    public func value(_ s: LotSummary, _ c: LotCost) -> Double {
        switch self {
        case .costPerDose: c.perDose
        case .lotCost: c.perLotReleased
        case .doses: Double(c.doses)
        case .patients: Double(s.patients)
        case .expansionDays: s.expansionTime.canonical / 86_400
        case .lotDays: s.lotTime.canonical / 86_400
        case .chromatographyCycles: Double(s.chromatographyCycles)
        case .bulkVector: s.bulkVector.canonical
        case .bulkParticles: s.bulkParticles > 0 ? s.bulkParticles : .nan
        case .vectorShare: s.bulkParticles > 0 ? s.bulkVector.canonical / s.bulkParticles : .nan
        }
    }

    /// Whether it counts capsids or particles (undefined when the process states none).
    @inlinable
    public var countsParticles: Bool { self == .bulkParticles || self == .vectorShare }

    /// Its column in a run's storage: its place in `allCases`.
    @inlinable
    public var column: Int {
        switch self {
        case .costPerDose: 0
        case .lotCost: 1
        case .doses: 2
        case .patients: 3
        case .expansionDays: 4
        case .lotDays: 5
        case .chromatographyCycles: 6
        case .bulkVector: 7
        case .bulkParticles: 8
        case .vectorShare: 9
        }
    }

    /// This output for a sample whose lot cannot be made: no doses, no patients, the rest undefined.
    @inlinable
    public var whenInfeasible: Double {
        switch self {
        case .doses, .patients: 0
        default: .nan
        }
    }
}

/// A Monte Carlo run over every uncertain input of an economic model.
///
/// Samples are drawn in fixed chunks, each from its own stream of the seed, so the same seed
/// gives the same result whatever the number of threads.
public enum MonteCarlo {
    public static let chunkSize = 2048

    public struct Options: Sendable {
        public var samples: Int
        public var seed: UInt64
        public var threads: Int
        /// The number of doses a lot should make, for the probability of meeting it.
        public var targetDoses: Int?
        /// Evaluate every sample by the general path even when the model can be planned
        /// (``MonteCarloPlan``): for tests and benchmarks that compare the two.
        public var general = false

        public init(
            samples: Int, seed: UInt64, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
            targetDoses: Int? = nil
        ) {
            self.samples = samples
            self.seed = seed
            self.threads = max(1, threads)
            self.targetDoses = targetDoses
        }
    }

    /// Every sample's outputs, column by column.
    public struct Result: Sendable {
        public var samples: Int
        public var seed: UInt64
        /// Samples whose lot could not be made (a sampled seed train that cannot reach its target).
        public var infeasible: Int
        public var columns: [MonteCarloOutput: [Double]]
        public var targetDoses: Int?
        /// Seconds spent sampling and evaluating (not computing statistics).
        public var seconds: Double
        /// Whether the samples were evaluated by a ``MonteCarloPlan``, and if not why.
        public var planned = false
        /// Whether they were evaluated by the plan's compiled kernel (``AffineKernel``).
        public var compiled = false
        public var generalPathReason: String?

        /// The share of samples (feasible or not) whose lot makes at least the target doses.
        public var probabilityOfTarget: Double? {
            guard let t = targetDoses, let doses = columns[.doses] else { return nil }
            return Double(doses.lazy.filter { $0 >= Double(t) }.count) / Double(samples)
        }

        /// Expected cost of a released lot ÷ expected doses a lot, over the samples whose lot can
        /// be made: what a dose costs across many lots, where a lot that makes no dose still costs.
        /// The mean of each sample's cost per dose leaves those samples out (their cost per dose is
        /// infinite), so it can differ much (issue 14). Nil when no sample makes a dose.
        public var expectedCostPerDose: Double? {
            guard let cost = columns[.lotCost], let doses = columns[.doses], cost.count == doses.count else { return nil }
            var c = 0.0
            var d = 0.0
            for i in cost.indices where cost[i].isFinite && doses[i].isFinite {
                c += cost[i]
                d += doses[i]
            }
            return d > 0 ? c / d : nil
        }

        /// The share of samples (feasible or not) whose lot makes no dose.
        public var noDoseShare: Double {
            guard let doses = columns[.doses], samples > 0 else { return 0 }
            return Double(doses.lazy.filter { !($0 > 0) }.count) / Double(samples)
        }

        public func statistics(_ output: MonteCarloOutput, bins: Int = 20) -> SampleStatistics {
            SampleStatistics(columns[output] ?? [], bins: bins)
        }
    }

    /// Runs `options.samples` evaluations on `options.threads` threads; `progress` is told how
    /// many samples are done after each chunk.
    public static func run(
        _ model: EconomicModel, _ options: Options, progress: (@Sendable (Int) -> Void)? = nil
    ) -> Result {
        let n = options.samples
        let outputs = MonteCarloOutput.allCases
        // One allocation a column: columns of a few MB come back from the heap on the next run
        // instead of being faulted in afresh, as one block of every column would be.
        let storage = OutputColumns(outputs: outputs.count, samples: n)
        defer { storage.deallocate() }
        let chunks = (n + chunkSize - 1) / chunkSize
        let counters = Counters()
        let start = Date()
        let threads = min(options.threads, max(1, chunks))
        let (made, reason) = MonteCarloPlan.make(model)
        let plan = options.general ? nil : made
        let k = model.parameters.count
        // Chunks are handed out in order; each is computed from its own stream.
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var model = model
            let inputs = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, k * chunkSize))
            defer { inputs.deallocate() }
            let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: AffineKernel.scratchColumns * chunkSize)
            defer { scratch.deallocate() }
            while let chunk = counters.nextChunk(of: chunks) {
                let lower = chunk * chunkSize
                let upper = min(n, lower + chunkSize)
                var rng = RandomSource.stream(seed: options.seed, index: UInt64(chunk))
                draw(model.parameters, count: upper - lower, rng: &rng, into: inputs)
                let infeasible =
                    plan?.evaluate(
                        &model, inputs: UnsafeBufferPointer(inputs), count: upper - lower, first: lower,
                        into: storage, scratch: scratch)
                    ?? evaluate(
                        &model, inputs: UnsafeBufferPointer(inputs), count: upper - lower, first: lower,
                        into: storage)
                let done = counters.finish(samples: upper - lower, infeasible: infeasible)
                progress?(done)
            }
        }
        let seconds = Date().timeIntervalSince(start)
        var columns: [MonteCarloOutput: [Double]] = [:]
        // A process that states no particles has no particle outputs: their columns are not kept.
        let kept = model.process.production.particles == nil ? outputs.filter { !$0.countsParticles } : outputs
        for output in kept {
            columns[output] = Array(UnsafeBufferPointer(start: storage.columns[output.column], count: n))
        }
        var result = Result(
            samples: n, seed: options.seed, infeasible: counters.infeasibleCount, columns: columns,
            targetDoses: options.targetDoses, seconds: seconds)
        result.planned = plan != nil
        result.compiled = plan?.compiled ?? false
        result.generalPathReason = options.general ? "asked for" : reason
        return result
    }

    /// Draws `count` samples of every input, input by input: input `j` of sample `i` at
    /// `j * count + i`. Both evaluation paths read these, so they see the same inputs.
    @inlinable
    static func draw(
        _ parameters: [UncertainParameter], count: Int, rng: inout RandomSource, into inputs: UnsafeMutableBufferPointer<Double>
    ) {
        for (j, parameter) in parameters.enumerated() {
            parameter.input.distribution.fill(inputs.baseAddress! + j * count, count: count, &rng)
        }
    }

    /// The general path: every input set into the working model by its setter, then the lot
    /// simulated and priced. Writes output `o` of sample `first + i` at `out[o, first + i]`;
    /// returns the samples whose lot cannot be made.
    @inlinable
    static func evaluate(
        _ model: inout EconomicModel, inputs: UnsafeBufferPointer<Double>, count: Int, first: Int,
        into out: OutputColumns
    ) -> Int {
        var infeasible = 0
        let setters = model.parameters.map(\.set)
        for i in 0..<count {
            for j in setters.indices { setters[j](&model, inputs[j * count + i]) }
            let index = first + i
            do {
                let (s, c) = try CostCalculator.cost(model.process, model.costs)
                out.record(s, c, at: index)
            } catch {
                infeasible += 1
                out.recordInfeasible(at: index)
            }
        }
        return infeasible
    }
}

/// A run's outputs, one column an output, which threads write in disjoint ranges.
@usableFromInline
struct OutputColumns: @unchecked Sendable {
    @usableFromInline let columns: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
    @usableFromInline let count: Int

    init(outputs: Int, samples: Int) {
        count = outputs
        columns = .allocate(capacity: outputs)
        for o in 0..<outputs { columns[o] = .allocate(capacity: max(1, samples)) }
    }

    func deallocate() {
        for o in 0..<count { columns[o].deallocate() }
        columns.deallocate()
    }

    @inlinable subscript(output: Int, sample: Int) -> Double {
        get { columns[output][sample] }
        nonmutating set { columns[output][sample] = newValue }
    }

    /// Every output of a lot simulated and costed, at `index`.
    @inlinable func record(_ s: LotSummary, _ c: LotCost, at index: Int) {
        for o in MonteCarloOutput.allCases { self[o.column, index] = o.value(s, c) }
    }

    /// Every output's value for an infeasible lot, at `index`.
    @inlinable func recordInfeasible(at index: Int) {
        for o in MonteCarloOutput.allCases { self[o.column, index] = o.whenInfeasible }
    }
}

/// Wraps a pointer to storage that threads write in disjoint ranges.
@usableFromInline
struct UnsafeSendable<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ value: T) { self.value = value }
}

/// Hands out chunks and counts finished samples under a lock.
final class Counters: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var done = 0
    private var infeasible = 0

    func nextChunk(of count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    func finish(samples: Int, infeasible bad: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        done += samples
        infeasible += bad
        return done
    }

    var infeasibleCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return infeasible
    }
}

/// Mean, spread, percentiles and a histogram of the finite values of a sample.
public struct SampleStatistics: Sendable, Hashable, Codable {
    public var count: Int
    /// Values left out: infinite (no dose) or undefined (infeasible lot).
    public var excluded: Int
    public var mean: Double
    public var sd: Double
    public var min: Double
    public var p5: Double
    public var p50: Double
    public var p95: Double
    public var max: Double
    public var histogram: Histogram

    public struct Histogram: Sendable, Hashable, Codable {
        /// Bin edges, one more than the counts.
        public var edges: [Double]
        public var counts: [Int]
    }

    public init(_ values: [Double], bins: Int = 20) {
        let finite = values.filter(\.isFinite)
        excluded = values.count - finite.count
        count = finite.count
        guard !finite.isEmpty else {
            (mean, sd, min, p5, p50, p95, max) = (.nan, .nan, .nan, .nan, .nan, .nan, .nan)
            histogram = Histogram(edges: [], counts: [])
            return
        }
        let n = Double(finite.count)
        let m = finite.reduce(0, +) / n
        mean = m
        sd = finite.count > 1 ? (finite.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)).squareRoot() : 0
        // The order statistics the figures need, found without sorting every value.
        let quantiles = [0.0, 0.005, 0.05, 0.5, 0.95, 0.995, 1.0]
        var ranks: [Int] = []
        for q in quantiles {
            let lower = Int(clamping: q * (n - 1), to: 0...Swift.max(0, finite.count - 1))
            ranks += [lower, Swift.min(finite.count - 1, lower + 1)]
        }
        let ordered = RadixSort.select(finite, ranks: ranks)
        min = ordered[0]!
        max = ordered[finite.count - 1]!
        /// Linear interpolation between order statistics (NumPy's default).
        func percentile(_ q: Double) -> Double {
            let position = q * (n - 1)
            let lower = Int(clamping: position, to: 0...Swift.max(0, finite.count - 1))
            let upper = Swift.min(finite.count - 1, lower + 1)
            return ordered[lower]! + (ordered[upper]! - ordered[lower]!) * (position - Double(lower))
        }
        p5 = percentile(0.05)
        p50 = percentile(0.5)
        p95 = percentile(0.95)
        // Bins over the 0.5–99.5 % range so that a long tail does not squash the rest.
        let lo = percentile(0.005), hi = percentile(0.995)
        let width = hi > lo ? (hi - lo) / Double(bins) : 1
        var counts = Array(repeating: 0, count: bins)
        let top = Double(bins - 1)
        counts.withUnsafeMutableBufferPointer { c in
            for x in finite {
                // The bin, clamped to the first and last (the tails beyond the 0.5–99.5 % range).
                let t = (x - lo) / width
                c[Int(t < 0 ? 0 : t > top ? top : t)] += 1
            }
        }
        histogram = Histogram(edges: (0...bins).map { lo + Double($0) * width }, counts: counts)
    }
}

/// Sorts finite doubles in ascending order by their bits, eleven at a time (LSD radix sort):
/// six passes over the data whatever its order, instead of the comparison sort's twenty-odd,
/// for the million-value columns of a Monte Carlo. Digits every value shares are skipped.
public enum RadixSort {
    /// The values (finite, not NaN) at the given ranks of their ascending order, without
    /// sorting them all: radix selection on the keys `sort` uses, eleven bits at a time from
    /// the top — one pass counts each top digit, one gathers the values of the digits that
    /// hold a rank asked for, and only those go on to the next digit (a few hundred values
    /// left are sorted). Two or three passes over a million values instead of the sort's
    /// seven.
    public static func select(_ values: [Double], ranks: [Int]) -> [Int: Double] {
        let n = values.count
        let wanted = Set(ranks.filter { (0..<n).contains($0) }).sorted()
        guard !wanted.isEmpty else { return [:] }
        let keys = values.map { v -> UInt64 in
            let b = v.bitPattern
            return b & (1 << 63) != 0 ? ~b : b | (1 << 63)
        }
        var found: [Int: UInt64] = [:]
        selectKeys(keys, wanted, shift: 53, into: &found)
        return found.mapValues { k in Double(bitPattern: k & (1 << 63) != 0 ? k & ~(1 << 63) : ~k) }
    }

    /// `ranks` (ascending, within `keys`) of `keys`, whose bits above `shift + 11` are all alike.
    static func selectKeys(_ keys: [UInt64], _ ranks: [Int], shift: Int, into found: inout [Int: UInt64], offset: Int = 0)
    {
        guard keys.count > 256, shift >= 0 else {
            let sorted = keys.sorted()
            for r in ranks { found[offset + r] = sorted[r] }
            return
        }
        let buckets = 2048
        let s = UInt64(shift)
        var counts = [Int](repeating: 0, count: buckets)
        counts.withUnsafeMutableBufferPointer { c in
            for k in keys { c[Int((k >> s) & 2047)] &+= 1 }
        }
        // Each bucket's first rank; the buckets that hold a rank asked for, and those ranks.
        var starts = [Int](repeating: 0, count: buckets)
        var sum = 0
        for b in 0..<buckets {
            starts[b] = sum
            sum += counts[b]
        }
        var slot = [Int](repeating: -1, count: buckets)
        var groups: [(bucket: Int, ranks: [Int])] = []
        var b = 0
        for r in ranks {
            while starts[b] + counts[b] <= r { b += 1 }
            if groups.last?.bucket != b {
                slot[b] = groups.count
                groups.append((b, []))
            }
            groups[groups.count - 1].ranks.append(r - starts[b])
        }
        // One value for every key in one bucket: the next digit (or none left) decides.
        var parts = groups.map { g -> [UInt64] in
            var part: [UInt64] = []
            part.reserveCapacity(counts[g.bucket])
            return part
        }
        for k in keys {
            let i = slot[Int((k >> s) & 2047)]
            if i >= 0 { parts[i].append(k) }
        }
        for (i, g) in groups.enumerated() {
            selectKeys(parts[i], g.ranks, shift: shift - 11, into: &found, offset: offset + starts[g.bucket])
        }
    }

    /// Sorts `values` (no NaN) ascending; -0 comes before +0.
    public static func sort(_ values: inout [Double]) {
        let n = values.count
        guard n > 64 else {
            values.sort()
            return
        }
        // Order-preserving keys: negative numbers have every bit flipped, others the sign bit set.
        var keys = [UInt64](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n {
                let b = values[i].bitPattern
                buffer[i] = b & (1 << 63) != 0 ? ~b : b | (1 << 63)
            }
            count = n
        }
        var other = [UInt64](repeating: 0, count: n)
        let bits = 11, buckets = 1 << bits, mask = UInt64(buckets - 1), passes = (64 + bits - 1) / bits
        // Every digit's counts in one pass over the keys.
        var counts = [Int](repeating: 0, count: buckets * passes)
        keys.withUnsafeBufferPointer { k in
            counts.withUnsafeMutableBufferPointer { c in
                for i in 0..<n {
                    let key = k[i]
                    for d in 0..<passes { c[d &* buckets &+ Int((key >> UInt64(d * bits)) & mask)] &+= 1 }
                }
            }
        }
        for d in 0..<passes {
            let base = d * buckets
            // A digit every key shares moves nothing.
            if counts[base..<(base + buckets)].contains(n) { continue }
            var sum = 0
            for b in 0..<buckets {
                let c = counts[base + b]
                counts[base + b] = sum
                sum += c
            }
            let shift = UInt64(d * bits)
            keys.withUnsafeBufferPointer { k in
                other.withUnsafeMutableBufferPointer { o in
                    counts.withUnsafeMutableBufferPointer { c in
                        for i in 0..<n {
                            let slot = base &+ Int((k[i] >> shift) & mask)
                            o[c[slot]] = k[i]
                            c[slot] &+= 1
                        }
                    }
                }
            }
            swap(&keys, &other)
        }
        for i in 0..<n {
            let k = keys[i]
            values[i] = Double(bitPattern: k & (1 << 63) != 0 ? k & ~(1 << 63) : ~k)
        }
    }
}
