import Bioprocess
import Foundation

/// A discrete-event simulation of a facility over its horizon, replicated many times: stage
/// durations and batch failures drawn from distributions, suites and shared resources taken in
/// turn, QC release after fill.
///
/// A lot's nominal stage durations, success rate, shelf life and the stages that hold its
/// suite are the planner's (``LotCycle`` and ``Facility/occupancy(ofSuite:horizon:)``), so that
/// with no uncertainty both make the same lots a year in a suite. A suite takes a lot of the
/// product whose demand is least covered, as soon as it is free after its changeover, unless
/// the lot could not finish its time in the suite within the horizon or would be released
/// more than its shelf life before the demand it serves. With a seed laboratory the next lot's
/// expansion starts there so that its cells are ready when the suite is expected free (as the
/// planner overlaps it with the previous lot). A lot that fails is known at the end of
/// purification; it still used its time. Stage durations come from a product's `observed:`
/// distributions in the demand file, or are the lot simulator's nominal ones; failures from its
/// success rate (``ProductDemand/successRate``).
public enum FacilitySimulation {
    public struct Options: Sendable {
        public var replications: Int
        public var seed: UInt64
        public var threads: Int
        /// Every replication by the event engine, even when the suites share nothing (the
        /// reference for the renewal path; a different sample of the same statistics).
        public var eventEngineOnly: Bool

        public init(
            replications: Int, seed: UInt64, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
            eventEngineOnly: Bool = false
        ) {
            self.replications = replications
            self.seed = seed
            self.threads = max(1, threads)
            self.eventEngineOnly = eventEngineOnly
        }
    }

    /// One replication's outcome.
    public struct Replication: Sendable, Hashable {
        /// Patients (or doses) released, by product and year.
        public var supplied: [[Double]]
        /// Patients (or doses) served, by product and year: what was both demanded and released
        /// in time, each lot within its shelf life.
        public var served: [[Double]]
        /// Patients (or doses) released that expired before they could serve, by product.
        public var expired: [Double]
        /// Lots that passed and left their suite within the horizon.
        public var lotsPassed: Int
        /// Lots that took a suite.
        public var lotsStarted: Int
        public var lotsFailed: Int
    }

    public struct Result: Sendable {
        public var replications: [Replication]
        public var years: Int
        public var products: [String]
        public var demandByYear: [[Double]]
        public var suites: Int
        public var seconds: Double
        /// Replications simulated by the renewal path (suites sharing nothing), the others by
        /// the event engine.
        public var byRenewal: Int

        /// Served per product and year in each replication: the supply up to what is demanded.
        public func served(_ product: Int) -> [[Double]] { replications.map { $0.served[product] } }

        /// The share of replications that meet every year's cumulative demand of every product.
        public var probabilityOfMeetingDemand: Double {
            var met = 0
            for r in replications {
                var ok = true
                for p in products.indices {
                    var cd = 0.0, cs = 0.0
                    for y in 0..<years {
                        cd += demandByYear[p][y]
                        cs += r.served[p][y]
                        if cs + 1e-9 < cd { ok = false }
                    }
                }
                if ok { met += 1 }
            }
            return Double(met) / Double(max(1, replications.count))
        }

        /// Lots passed per suite and year, one value per replication.
        public var lotsPerSuiteYear: [Double] {
            replications.map { Double($0.lotsPassed) / (Double(suites) * Double(years)) }
        }

        /// Lots started (that took a suite) per suite and year, one value per replication.
        public var lotsStartedPerSuiteYear: [Double] {
            replications.map { Double($0.lotsStarted) / (Double(suites) * Double(years)) }
        }
    }

    /// Stage durations and failure of one product, per lot, and its nominal lot.
    struct Profile {
        var expansion: BoundedDistribution
        var production: BoundedDistribution
        var purification: BoundedDistribution
        var fill: BoundedDistribution
        var release: BoundedDistribution
        var failure: Double
        var amount: Double
        var cycle: LotCycle
    }

    /// Throws a ``SimulationError`` when a product's process cannot make a lot, and a
    /// ``WorkLimitError`` when the demand needs more lots than ``WorkLimits/plannedLots`` (a
    /// lot that makes nothing or always fails needs infinitely many), or the replications
    /// times those lots pass ``WorkLimits/simulatedLots``.
    public static func run(_ facility: Facility, _ demand: Demand, _ options: Options) throws -> Result
    {
        var profiles: [Profile] = []
        for p in demand.products {
            let t = try LotTemplate(p)
            func fixed(_ x: Double) -> BoundedDistribution {
                BoundedDistribution(.fixed(x), lower: 0, upper: .infinity)
            }
            let o = p.observed
            profiles.append(
                Profile(
                    expansion: o?.expansion ?? fixed(t.expansion), production: o?.production ?? fixed(t.production),
                    purification: o?.purification ?? fixed(t.purification), fill: o?.fill ?? fixed(t.fill),
                    release: o?.release ?? fixed(t.release), failure: 1 - t.cycle.successRate,
                    amount: Double(t.amount(p.unit)), cycle: t.cycle))
        }
        let years = demand.years
        let demandByYear = demand.products.map(demand.byYear)
        // The lots the demand needs, on average, before any is simulated.
        var needed = 0.0
        for (k, profile) in profiles.enumerated() {
            let total = demandByYear[k].reduce(0, +)
            guard total > 0 else { continue }
            needed += profile.cycle.lotsNeeded(for: total, perLot: profile.amount) ?? .infinity
        }
        guard needed <= Double(WorkLimits.plannedLots) else {
            throw WorkLimitError(
                needed.isFinite
                    ? "the demand needs about \(Int(needed)) lots, more than the \(WorkLimits.plannedLots) a simulation may start"
                    : "a product's lots make nothing or always fail, so its demand would need lots without end",
                expected: "a demand of at most \(WorkLimits.plannedLots) lots, lots that make something, a failure rate below 100 %")
        }
        guard needed * Double(options.replications) <= Double(WorkLimits.simulatedLots) else {
            let most = Swift.max(1, Int(Double(WorkLimits.simulatedLots) / Swift.max(needed, 1)))
            throw WorkLimitError(
                "\(options.replications) replications × about \(Int(needed)) lots each is more than the \(WorkLimits.simulatedLots) lots a simulation may run",
                expected: "at most \(most) replications for this demand")
        }
        let eligible = facility.suites.map { suite in
            demand.products.indices.filter { suite.canRun(demand.products[$0].process) }
        }
        let model = Model(
            facility: facility, demand: demand, horizon: demand.horizon, years: years, profiles: profiles,
            eligible: eligible, totalDemand: demandByYear.map { $0.reduce(0, +) })
        var replications = [(Replication, byRenewal: Bool)?](repeating: nil, count: options.replications)
        let start = Date()
        replications.withUnsafeMutableBufferPointer { out in
            let sink = UnsafeSendableBuffer(out)
            let threads = min(options.threads, max(1, options.replications))
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                var engine = Engine(model, renewal: !options.eventEngineOnly)
                for r in stride(from: thread, to: options.replications, by: threads) {
                    sink.value[r] = engine.replicate(seed: options.seed, index: UInt64(r))
                }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        return Result(
            replications: replications.map { $0!.0 }, years: years, products: demand.products.map(\.name),
            demandByYear: demandByYear, suites: facility.suites.filter { $0.kind == .vectorProduction }.count,
            seconds: seconds, byRenewal: replications.filter { $0!.byRenewal }.count)
    }

    struct Model: @unchecked Sendable {
        let facility: Facility
        let demand: Demand
        let horizon: Double
        let years: Int
        let profiles: [Profile]
        let eligible: [[Int]]
        let totalDemand: [Double]
    }

    struct UnsafeSendableBuffer<T>: @unchecked Sendable {
        let value: UnsafeMutableBufferPointer<T>
        init(_ value: UnsafeMutableBufferPointer<T>) { self.value = value }
    }
}

