/// The most work one command or request may ask for. Every number that sets how much work or
/// memory a run takes is checked against one of these at the door (command line, file reader,
/// HTTP body) and refused above it with the option or field, the value and the limit; the
/// figures are listed in `docs/limits.md` and in each option's `--help`.
public enum WorkLimits {
    /// Monte Carlo samples of one run: 8 figures a sample, kept twice while the statistics are
    /// computed, so 10 million samples hold about 1.3 GB.
    public static let samples = 10_000_000
    /// Base samples of a Sobol analysis.
    public static let sobolSamples = 1_000_000
    /// Lot evaluations of a Sobol analysis, base samples × (uncertain inputs + 2).
    public static let sobolEvaluations = 10_000_000
    /// The widths of 95 % interval a Sobol analysis may be run to: half the width asks for four
    /// times the samples, up to the evaluations above.
    public static let sobolWidths = 0.01...0.5
    /// Replications of a facility simulation.
    public static let replications = 100_000
    /// Threads a run may ask for.
    public static let threads = 256
    /// Scales of one scale curve.
    public static let scales = 200
    /// Doses a platform comparison is made for.
    public static let doses = 100_000_000
    /// Lots one plan may place.
    public static let plannedLots = 200_000
    /// Lot-and-suite placements a plan's search for a better order may spend (each trial
    /// places every lot once, trying each suite): a fraction of a second.
    public static let plannerPlacements = 3_000_000
    /// Lots a facility simulation may start over all its replications.
    public static let simulatedLots = 100_000_000
    /// Patients or doses demanded in one period.
    public static let demandPerPeriod = 10_000_000.0
    /// Periods of a demand forecast (50 years of months).
    public static let demandPeriods = 600
    /// The largest working volume of a scale curve or a process, in litres.
    public static let litres = 100_000.0
    /// The largest bed area of a scale curve, in m².
    public static let bedArea = 100_000.0
    /// The most flasks of a scale curve.
    public static let flasks = 1_000_000
}

extension Int {
    /// The integer nearest below `x`, or nil when `x` is not finite or outside ±2⁵³ (where a
    /// `Double` stops counting whole numbers exactly): every `Double` → `Int` conversion of an
    /// input-derived value goes through this or ``init(clamping:)``.
    public init?(checked x: Double) {
        guard x.isFinite, abs(x) <= 9_007_199_254_740_992 else { return nil }
        self.init(x.rounded(.down))
    }

    /// `x` rounded down and held within `range`; NaN gives the range's lower bound.
    public init(clamping x: Double, to range: ClosedRange<Int>) {
        guard !x.isNaN else {
            self = range.lowerBound
            return
        }
        if x <= Double(range.lowerBound) {
            self = range.lowerBound
        } else if x >= Double(range.upperBound) {
            self = range.upperBound
        } else {
            self = Int(x.rounded(.down))
        }
    }
}

/// A request for more work than ``WorkLimits`` allows: what asked for it, how much, the limit.
public struct WorkLimitError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var expected: String

    public init(_ message: String, expected: String) {
        self.message = message
        self.expected = expected
    }

    public var description: String { "\(message); expected \(expected)" }
}
