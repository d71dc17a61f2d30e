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
