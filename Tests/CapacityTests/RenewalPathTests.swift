import Bioprocess
import Capacity
import FileFormats
import Foundation
import Testing

/// The facility simulation's renewal path (suites that share nothing, simulated one after the
/// other without an event queue) against the event engine, its reference.
@Suite struct RenewalPathTests {
    static func peer() throws -> (Facility, Demand) {
        (
            try FacilityFile.load(path: Repository.path("Examples/capacity/peer-four-suites.yaml")),
            try DemandFile.load(path: Repository.path("Examples/capacity/peer-ten-years.yaml"))
        )
    }

    /// With fixed durations and no failure there is nothing random: both paths must give the
    /// same replications to the last bit (the same sums of the same durations), whatever order
    /// they draw in.
    @Test func withoutUncertaintyBothPathsGiveTheSameReplications() throws {
        var (f, d) = try Self.peer()
        func fixed(_ x: Double) -> BoundedDistribution { BoundedDistribution(.fixed(x), lower: 0, upper: .infinity) }
        d.products[0].observed = ObservedDurations(
            expansion: fixed(14), production: fixed(4.5), purification: fixed(3), fill: fixed(0.5),
            release: fixed(17), failureRate: 0)
        for holds in [false, true] {
            f.holdSuiteUntilRelease = holds
            let renewal = try FacilitySimulation.run(f, d, .init(replications: 3, seed: 7, threads: 1))
            let events = try FacilitySimulation.run(
                f, d, .init(replications: 3, seed: 7, threads: 1, eventEngineOnly: true))
            #expect(renewal.byRenewal == 3)
            #expect(events.byRenewal == 0)
            #expect(renewal.replications == events.replications)
            // Ten years of 22 d stays and 2 d changeovers (or 39 d held to release).
            let stay = holds ? 14 + 4.5 + 3 + 0.5 + 17 : 14 + 4.5 + 3 + 0.5
            let perSuite = Int(((3650 - stay) / (stay + 2)).rounded(.down)) + 1
            #expect(renewal.replications[0].lotsStarted == 4 * perSuite)
        }
    }

    /// The peer's model with its uncertainty: both paths sample the same statistics. Each mean
    /// is compared within four standard errors of the difference of two independent means
    /// (a false alarm about once in 16,000 runs; the seeds are fixed, so it is reproducible).
    @Test func onThePeersFacilityBothPathsGiveTheSameStatistics() throws {
        let (f, d) = try Self.peer()
        let n = 1_500
        let renewal = try FacilitySimulation.run(f, d, .init(replications: n, seed: 11, threads: 2))
        let events = try FacilitySimulation.run(
            f, d, .init(replications: n, seed: 11, threads: 2, eventEngineOnly: true))
        #expect(renewal.byRenewal == n)
        // Different draws: not the same sample.
        #expect(renewal.replications != events.replications)
        func compare(_ name: String, _ x: (FacilitySimulation.Replication) -> Double) {
            let a = renewal.replications.map(x), b = events.replications.map(x)
            func meanVariance(_ v: [Double]) -> (Double, Double) {
                let m = v.reduce(0, +) / Double(v.count)
                return (m, v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1))
            }
            let (ma, va) = meanVariance(a), (mb, vb) = meanVariance(b)
            let se = ((va + vb) / Double(n)).squareRoot()
            #expect(abs(ma - mb) <= 4 * se + 1e-12, "\(name): renewal \(ma), event engine \(mb), standard error \(se)")
            // The spreads agree too: standard deviations within 15 % (their sampling error at
            // n = 1,500 is under 2 %).
            #expect(abs(va.squareRoot() - vb.squareRoot()) <= 0.15 * max(va, vb).squareRoot() + 1e-12, "\(name) spread")
        }
        compare("lots started") { Double($0.lotsStarted) }
        compare("lots passed") { Double($0.lotsPassed) }
        compare("lots failed") { Double($0.lotsFailed) }
        for y in 0..<renewal.years {
            compare("supplied in year \(y + 1)") { $0.supplied[0][y] }
            compare("served in year \(y + 1)") { $0.served[0][y] }
        }
    }

    /// When the demand stops suites (the lots started cover it) or a shelf life makes lots
    /// wait, the renewal path cannot know the order the suites would have started in: the
    /// event engine simulates those replications, from the same stream, so they are exactly
    /// the event engine's.
    @Test func whereTheDemandActsTheEventEngineDecides() throws {
        var (f, d) = try Self.peer()
        // 300 doses a year: less than four suites make (about 560).
        d.products[0].amounts = Array(repeating: 300, count: d.products[0].amounts.count)
        let small = try FacilitySimulation.run(f, d, .init(replications: 20, seed: 3, threads: 1))
        let smallEvents = try FacilitySimulation.run(
            f, d, .init(replications: 20, seed: 3, threads: 1, eventEngineOnly: true))
        #expect(small.byRenewal == 0)
        #expect(small.replications == smallEvents.replications)
        #expect(small.replications.allSatisfy { $0.lotsStarted < 4 * 157 })

        // A product that keeps 60 days: lots for later years wait until they can serve.
        (f, d) = try Self.peer()
        d.products[0].process.product.shelfLife = Quantity(60, "d")
        let shelf = try FacilitySimulation.run(f, d, .init(replications: 20, seed: 3, threads: 1))
        let shelfEvents = try FacilitySimulation.run(
            f, d, .init(replications: 20, seed: 3, threads: 1, eventEngineOnly: true))
        #expect(shelf.byRenewal == 0)
        #expect(shelf.replications == shelfEvents.replications)

        // Shared QC: the suites' lots queue for it, so they are not independent.
        (f, d) = try Self.peer()
        f.resources = [SharedResource(name: "QC", kind: .qcLab, capacity: 1)]
        let qc = try FacilitySimulation.run(f, d, .init(replications: 5, seed: 3, threads: 1))
        #expect(qc.byRenewal == 0)
        #expect(
            qc.replications
                == (try FacilitySimulation.run(
                    f, d, .init(replications: 5, seed: 3, threads: 1, eventEngineOnly: true)
                ).replications))
    }
}
