import Foundation
import Testing

@testable import Bioprocess

/// Sampling: reproducible by seed, within bounds, converging to the analytic mean.
struct DistributionTests {
    static let cases: [Distribution] = [
        .fixed(3), .uniform(low: 0.8, high: 0.95), .triangular(low: 22, mode: 26, high: 32),
        .normal(mean: 10, sd: 2), .lognormal(median: 5e4, sigma: 0.4), .pert(low: 40e3, mode: 80e3, high: 150e3),
    ]

    @Test(arguments: cases)
    func sampleMeanConvergesToTheAnalyticMean(d: Distribution) {
        var r = RandomSource(seed: 7)
        let n = 400_000
        var sum = 0.0, sumSquares = 0.0
        for _ in 0..<n {
            let x = d.sample(&r)
            sum += x
            sumSquares += x * x
        }
        let mean = sum / Double(n)
        let sd = (sumSquares / Double(n) - mean * mean).squareRoot()
        // Within 5 standard errors of the mean: fails by chance about once in 3.5 million runs.
        #expect(abs(mean - d.mean) <= 5 * sd / Double(n).squareRoot() + 1e-12, "\(d): \(mean) vs \(d.mean)")
    }

    @Test(arguments: cases)
    func quantileInvertsTheCDF(d: Distribution) {
        guard case .fixed = d else {
            for p in [0.05, 0.25, 0.5, 0.75, 0.95] { #expect(abs(d.cdf(d.quantile(p)) - p) < 1e-6, "\(d) at \(p)") }
            return
        }
        #expect(d.quantile(0.3) == 3)
    }

    @Test func theSameSeedGivesTheSameStreamAndAnotherSeedAnother() {
        var a = RandomSource(seed: 42), b = RandomSource(seed: 42), c = RandomSource(seed: 43)
        let xa = (0..<100).map { _ in a.next() }
        #expect(xa == (0..<100).map { _ in b.next() })
        #expect(xa != (0..<100).map { _ in c.next() })
        var s1 = RandomSource.stream(seed: 42, index: 0), s2 = RandomSource.stream(seed: 42, index: 1)
        #expect(s1.next() != s2.next())
    }

    @Test func boundedDistributionsNeverLeaveThePhysicalRange() {
        var r = RandomSource(seed: 1)
        let yield = BoundedDistribution(.normal(mean: 0.9, sd: 0.1), lower: .leastNonzeroMagnitude, upper: 1)
        #expect(yield.truncated)
        for _ in 0..<100_000 {
            let x = yield.sample(&r)
            #expect(x > 0 && x <= 1)
        }
        let titer = BoundedDistribution(
            .lognormal(median: 5e4, sigma: 2), lower: .leastNonzeroMagnitude, upper: .infinity)
        #expect((0..<10_000).allSatisfy { _ in titer.sample(&r) > 0 })
        // Truncation shifts the quantiles into the range.
        #expect(yield.quantile(0.99) <= 1)
        #expect(abs(yield.massWithinBounds - 0.841344746) < 1e-6)
    }

    @Test func uniformsAndTrianglesStayBetweenLowAndHigh() {
        var r = RandomSource(seed: 3)
        for d in [
            Distribution.uniform(low: 0.55, high: 0.8), .triangular(low: 1, mode: 1, high: 2),
            .pert(low: 0, mode: 1, high: 1),
        ] {
            let b = BoundedDistribution(d, lower: 0, upper: 2)
            #expect(!b.truncated)
            let (lo, hi) = d.support
            #expect((0..<50_000).allSatisfy { _ in (lo...hi).contains(b.sample(&r)) })
        }
    }
}

extension Distribution {
    var support: (Double, Double) {
        switch self {
        case .uniform(let a, let b), .triangular(let a, _, let b), .pert(let a, _, let b): (a, b)
        default: (-.infinity, .infinity)
        }
    }
}

/// The ziggurat's normal variates against the standard normal: moments, tails and the largest
/// gap between the empirical and the exact distribution function, on 1,000,000 draws.
struct ZigguratTests {
    @Test func itDrawsTheStandardNormal() {
        var r = RandomSource(seed: 2026)
        let n = 1_000_000
        var z = (0..<n).map { _ in r.normal() }
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        // Standard errors: 0.001 for the mean, 0.0014 for the variance; five of each.
        #expect(abs(mean) < 0.005 && abs(variance - 1) < 0.007, "mean \(mean), variance \(variance)")
        // Beyond 3 (0.135 %) and beyond the ziggurat's base layer 3.44 (0.0288 %), both sides.
        let above3 = Double(z.filter { $0 > 3 }.count) / Double(n), below3 = Double(z.filter { $0 < -3 }.count) / Double(n)
        #expect(abs(above3 - 0.0013499) < 0.00018 && abs(below3 - 0.0013499) < 0.00018, "\(above3) \(below3)")
        let tail = Double(z.filter { abs($0) > 3.442619855899 }.count) / Double(n)
        #expect(abs(tail - 2 * 0.000288) < 0.00009, "\(tail)")
        // Kolmogorov–Smirnov: the largest gap, 1.36 / √n at the 5 % level.
        z.sort()
        var gap = 0.0
        for (i, x) in z.enumerated() where i % 97 == 0 {
            let exact = 0.5 * erfc(-x / 2.0.squareRoot())
            gap = max(gap, abs(Double(i + 1) / Double(n) - exact), abs(Double(i) / Double(n) - exact))
        }
        #expect(gap < 1.36 / Double(n).squareRoot(), "KS gap \(gap)")
    }
}
