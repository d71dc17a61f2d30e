import Foundation

/// A probability distribution for an uncertain input, in the canonical unit of its field.
///
/// How each is bounded, so that sampling never gives a non-physical value:
/// - `fixed`, `uniform`, `triangular` and `pert` stay within their low and high, which the
///   reader checks against the field's physical range (a yield within 0–100 %, a titer above 0).
/// - `normal` and `lognormal` are truncated to the field's range by resampling. The reader
///   refuses one that puts less than half its probability inside that range, since truncation
///   would then change it beyond recognition.
public enum Distribution: Sendable, Hashable {
    case fixed(Double)
    case uniform(low: Double, high: Double)
    case triangular(low: Double, mode: Double, high: Double)
    case normal(mean: Double, sd: Double)
    /// A lognormal given by its median and the standard deviation of its logarithm.
    case lognormal(median: Double, sigma: Double)
    /// Beta-PERT (λ = 4) between low and high, peaking at the mode.
    case pert(low: Double, mode: Double, high: Double)

    /// The value used when the input is not sampled (a deterministic run): the mode where the
    /// distribution has one, the median of a lognormal, the middle of a uniform.
    public var nominal: Double {
        switch self {
        case .fixed(let x): x
        case .uniform(let a, let b): (a + b) / 2
        case .triangular(_, let m, _), .pert(_, let m, _): m
        case .normal(let m, _): m
        case .lognormal(let m, _): m
        }
    }

    /// The analytic mean (before any truncation).
    public var mean: Double {
        switch self {
        case .fixed(let x): x
        case .uniform(let a, let b): (a + b) / 2
        case .triangular(let a, let m, let b): (a + m + b) / 3
        case .pert(let a, let m, let b): (a + 4 * m + b) / 6
        case .normal(let m, _): m
        case .lognormal(let m, let s): m * exp(s * s / 2)
        }
    }

    /// One draw (not truncated; see ``BoundedDistribution``).
    @inlinable
    public func sample(_ r: inout RandomSource) -> Double {
        switch self {
        case .fixed(let x):
            return x
        case .uniform(let a, let b):
            return a + (b - a) * r.unit()
        case .triangular(let a, let m, let b):
            let u = r.unit()
            let f = (m - a) / (b - a)
            return u < f ? a + ((b - a) * (m - a) * u).squareRoot() : b - ((b - a) * (b - m) * (1 - u)).squareRoot()
        case .normal(let m, let s):
            return m + s * r.normal()
        case .lognormal(let m, let s):
            return m * exp(s * r.normal())
        case .pert(let a, let m, let b):
            guard b > a else { return a }
            let alpha = 1 + 4 * (m - a) / (b - a)
            let beta = 1 + 4 * (b - m) / (b - a)
            let x = Self.gamma(alpha, &r)
            let y = Self.gamma(beta, &r)
            return a + (b - a) * x / (x + y)
        }
    }

    /// A Gamma(shape, 1) draw (Marsaglia and Tsang; shape ≥ 1 for PERT).
    @usableFromInline
    static func gamma(_ shape: Double, _ r: inout RandomSource) -> Double {
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = r.normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = r.openUnit()
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// The cumulative probability at x.
    public func cdf(_ x: Double) -> Double {
        switch self {
        case .fixed(let v): return x < v ? 0 : 1
        case .uniform(let a, let b): return min(1, max(0, (x - a) / (b - a)))
        case .triangular(let a, let m, let b):
            if x <= a { return 0 }
            if x >= b { return 1 }
            return x <= m ? (x - a) * (x - a) / ((b - a) * (m - a)) : 1 - (b - x) * (b - x) / ((b - a) * (b - m))
        case .normal(let m, let s): return 0.5 * erfc(-(x - m) / (s * 2.0.squareRoot()))
        case .lognormal(let m, let s):
            return x <= 0 ? 0 : 0.5 * erfc(-(log(x) - log(m)) / (s * 2.0.squareRoot()))
        case .pert(let a, let m, let b):
            if x <= a { return 0 }
            if x >= b { return 1 }
            let alpha = 1 + 4 * (m - a) / (b - a)
            let beta = 1 + 4 * (b - m) / (b - a)
            return regularizedIncompleteBeta(alpha, beta, (x - a) / (b - a))
        }
    }

    /// The value below which a fraction p of draws fall.
    public func quantile(_ p: Double) -> Double {
        switch self {
        case .fixed(let v): return v
        case .uniform(let a, let b): return a + (b - a) * p
        case .triangular(let a, let m, let b):
            let f = (m - a) / (b - a)
            return p < f ? a + ((b - a) * (m - a) * p).squareRoot() : b - ((b - a) * (b - m) * (1 - p)).squareRoot()
        case .normal(let m, let s): return m + s * inverseStandardNormal(p)
        case .lognormal(let m, let s): return m * exp(s * inverseStandardNormal(p))
        case .pert(let a, _, let b):
            // Bisection on the CDF: monotone and bounded.
            var lo = a, hi = b
            for _ in 0..<80 {
                let mid = (lo + hi) / 2
                if cdf(mid) < p { lo = mid } else { hi = mid }
            }
            return (lo + hi) / 2
        }
    }
}

/// A distribution kept within a field's physical range.
public struct BoundedDistribution: Sendable, Hashable {
    public var distribution: Distribution
    public var lower: Double
    public var upper: Double
    public init(_ distribution: Distribution, lower: Double, upper: Double) {
        self.distribution = distribution
        self.lower = lower
        self.upper = upper
    }

    /// Whether draws can leave the range and must be resampled.
    @inlinable
    public var truncated: Bool {
        switch distribution {
        case .normal, .lognormal: true
        default: false
        }
    }

    /// A draw within [lower, upper].
    @inlinable
    public func sample(_ r: inout RandomSource) -> Double {
        var x = distribution.sample(&r)
        if truncated {
            while !(x >= lower && x <= upper) { x = distribution.sample(&r) }
        }
        return x
    }

    /// `count` draws into `column`: the same numbers, in the same order, as `count` calls of
    /// ``sample(_:)``, with the kind of distribution chosen once for the loop.
    @inlinable
    public func fill(_ column: UnsafeMutablePointer<Double>, count: Int, _ r: inout RandomSource) {
        // The uniform numbers first (the generator is sequential), then their transformation
        // in a loop without branches, which the compiler vectorises.
        switch distribution {
        case .uniform(let a, let b):
            let w = b - a
            for i in 0..<count { column[i] = r.unit() }
            for i in 0..<count { column[i] = a + w * column[i] }
        case .triangular(let a, let m, let b):
            let f = (m - a) / (b - a), low = (b - a) * (m - a), high = (b - a) * (b - m)
            for i in 0..<count { column[i] = r.unit() }
            for i in 0..<count {
                // One square root a draw: the side chosen first, as `sample` chooses it.
                let u = column[i]
                let left = u < f
                let root = (left ? low * u : high * (1 - u)).squareRoot()
                column[i] = left ? a + root : b - root
            }
        case .normal(let m, let sd): fillFromNormals(column, count: count, &r) { m + sd * $0 }
        case .lognormal(let m, let sd): fillFromNormals(column, count: count, &r) { m * exp(sd * $0) }
        default:
            for i in 0..<count { column[i] = sample(&r) }
        }
    }

    /// The standard normal variates first, then their transformation; when one falls outside
    /// the range (truncation redraws it at once), the column is drawn again one by one from the
    /// same state, so that it is always what `sample` gives.
    @inlinable
    func fillFromNormals(
        _ column: UnsafeMutablePointer<Double>, count: Int, _ r: inout RandomSource, _ transform: (Double) -> Double
    ) {
        let start = r
        let t = Ziggurat.tables
        for i in 0..<count { column[i] = r.normal(t) }
        for i in 0..<count { column[i] = transform(column[i]) }
        for i in 0..<count where !(column[i] >= lower && column[i] <= upper) {
            r = start
            for j in 0..<count { column[j] = sample(&r) }
            return
        }
    }

    /// The mean of the draws: the distribution's own, or for a truncated one the average of
    /// 2,000 evenly spaced quantiles (the midpoint rule; ample for a planning figure).
    public var mean: Double {
        guard truncated else { return distribution.mean }
        let n = 2_000
        var sum = 0.0
        for i in 0..<n { sum += quantile((Double(i) + 0.5) / Double(n)) }
        return sum / Double(n)
    }

    /// The probability a draw of the untruncated distribution falls within the range.
    public var massWithinBounds: Double {
        distribution.cdf(upper) - (lower.isFinite ? distribution.cdf(lower) : 0)
    }

    /// The quantile of the truncated distribution.
    public func quantile(_ p: Double) -> Double {
        guard truncated else { return distribution.quantile(p) }
        let lo = lower.isFinite ? distribution.cdf(lower) : 0
        let hi = upper.isFinite ? distribution.cdf(upper) : 1
        return min(upper, max(lower, distribution.quantile(lo + p * (hi - lo))))
    }
}

/// Acklam's rational approximation of the inverse standard normal CDF (|error| < 1.2e-9).
@usableFromInline func inverseStandardNormal(_ p: Double) -> Double {
    if p <= 0 { return -.infinity }
    if p >= 1 { return .infinity }
    let a = [
        -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
        -3.066479806614716e+01, 2.506628277459239e+00,
    ]
    let b = [
        -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
        -1.328068155288572e+01,
    ]
    let c = [
        -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
        4.374664141464968e+00, 2.938163982698783e+00,
    ]
    let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    func tail(_ q: Double) -> Double {
        var num = c[0]
        for k in 1...5 { num = num * q + c[k] }
        var den = d[0]
        for k in 1...3 { den = den * q + d[k] }
        return num / (den * q + 1)
    }
    let low = 0.02425
    if p < low { return tail((-2 * log(p)).squareRoot()) }
    if p > 1 - low { return -tail((-2 * log(1 - p)).squareRoot()) }
    let q = p - 0.5
    let r = q * q
    var num = a[0]
    for k in 1...5 { num = num * r + a[k] }
    var den = b[0]
    for k in 1...4 { den = den * r + b[k] }
    return num * q / (den * r + 1)
}

/// The regularized incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes §6.4).
func regularizedIncompleteBeta(_ a: Double, _ b: Double, _ x: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let lnBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
    let lnPowers: Double = a * log(x) + b * log(1 - x)
    let lnFront = lnBeta + lnPowers
    if x < (a + 1) / (a + b + 2) { return exp(lnFront) * betaContinuedFraction(a, b, x) / a }
    return 1 - exp(lnFront) * betaContinuedFraction(b, a, 1 - x) / b
}

private func betaContinuedFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    for m in 1...300 {
        let m = Double(m)
        var aa = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1 + aa * d
        if abs(d) < tiny { d = tiny }
        c = 1 + aa / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        h *= d * c
        aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 + aa * d
        if abs(d) < tiny { d = tiny }
        c = 1 + aa / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) < 3e-16 { break }
    }
    return h
}
