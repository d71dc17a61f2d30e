import Bioprocess
import FileFormats
import Foundation
import Reporting
import Testing

@testable import Economics

/// The planned Monte Carlo path against the general one (issue 15): the same inputs drawn,
/// the same figures out, sample by sample, on every example made uncertain.
struct MonteCarloPlanTests {
    /// Every example with a cost file, its doubling time, productivity, every step's yield and
    /// its medium price made uncertain (uniform ±10 %, yields capped at 100 %).
    static let examples: [String] = {
        let folder = Repository.path("Examples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }.sorted().filter {
            (try? EconomicFile.load(path: folder + "/" + $0)) != nil
        }
    }()

    static func uncertain(_ file: String) throws -> EconomicModel {
        var m = try EconomicFile.load(path: Repository.path("Examples/\(file)"))
        let p = m.process
        var written: [(FieldPath, Double, Double, Double)] = []  // path, nominal, lower, upper bound
        written.append((FieldPath([.key("cell-line"), .key("doubling-time")]), p.cellLine.doublingTime.canonical, 0, .infinity))
        switch p.production.productivity {
        case .first(let q): written.append((FieldPath([.key("production"), .key("productivity")]), q.canonical, 0, .infinity))
        case .second(let q): written.append((FieldPath([.key("production"), .key("productivity")]), q.canonical, 0, .infinity))
        }
        for (i, step) in p.downstream.enumerated() {
            written.append((FieldPath([.key("downstream"), .index(i), .key("yield")]), step.yield.value, 0, 1))
        }
        written.append((FieldPath([.key("costs"), .key("materials"), .key("medium")]), m.costs.medium, 0, .infinity))
        var parameters = m.parameters.filter { old in !written.contains { $0.0 == old.input.path } }
        for (path, nominal, lower, upper) in written {
            let set = try #require(EconomicReader.setter(for: path, process: p, costs: m.costs), "\(path)")
            let low = max(lower, nominal * 0.9), high = min(upper, nominal * 1.1)
            let d = high > low ? Distribution.uniform(low: low, high: high) : .fixed(nominal)
            parameters.append(
                UncertainParameter(
                    input: UncertainInput(
                        path: path, location: SourceLocation(file: file, line: 1, column: 1),
                        distribution: BoundedDistribution(d, lower: lower, upper: upper), dimension: .none),
                    label: path.description, set: set))
        }
        m.parameters = parameters
        return m
    }

    @Test func everyExampleIsCovered() throws {
        #expect(Self.examples.count >= 8, "\(Self.examples)")
        #expect(Self.examples.contains("peer-aav-2000L-montecarlo.yaml"))
        // The NumPy peer's model, as written and with more inputs uncertain, runs compiled; a
        // process with filters, a fill or capsids runs planned, not compiled.
        let peer = try EconomicFile.load(path: Repository.path("Examples/peer-aav-2000L-montecarlo.yaml"))
        #expect(MonteCarloPlan.make(peer).plan?.compiled == true)
        #expect(MonteCarloPlan.make(try Self.uncertain("peer-aav-2000L-montecarlo.yaml")).plan?.compiled == true)
        let duchenne = try Self.uncertain("aav-dmd-suspension-2000L.yaml")
        #expect(MonteCarloPlan.make(duchenne).plan.map { !$0.compiled } == true)
    }

    @Test(arguments: examples)
    func thePlanGivesTheGeneralPathsFigures(file: String) throws {
        let models = [(try EconomicFile.load(path: Repository.path("Examples/\(file)")), false), (try Self.uncertain(file), true)]
        for (model, processVaries) in models where !model.parameters.isEmpty {
            #expect(MonteCarloPlan.make(model).plan != nil, "\(file): \(MonteCarloPlan.make(model).reason ?? "")")
            for seed: UInt64 in [1, 42, 2026] {
                let planned = MonteCarlo.run(model, .init(samples: 600, seed: seed, threads: 2))
                var options = MonteCarlo.Options(samples: 600, seed: seed, threads: 1)
                options.general = true
                let general = MonteCarlo.run(model, options)
                #expect(planned.planned && !general.planned)
                #expect(planned.infeasible == general.infeasible, "\(file)")
                for output in MonteCarloOutput.allCases {
                    // Particle outputs are kept only for a process that states particles.
                    #expect((planned.columns[output] == nil) == (general.columns[output] == nil))
                    #expect((planned.columns[output] == nil) == (output.countsParticles && model.process.production.particles == nil))
                    guard let a = planned.columns[output], let b = general.columns[output] else { continue }
                    // The compiled kernel sums the cost lines in another order than the cost
                    // matrix: the same to 1e-12; every other figure is computed alike, bit for bit.
                    let tolerance = planned.compiled && (output == .costPerDose || output == .lotCost) ? 1e-12 : 0
                    let same = zip(a, b).allSatisfy { x, y in
                        x == y || (x.isNaN && y.isNaN) || abs(x - y) <= tolerance * abs(y)
                    }
                    #expect(same, "\(file), seed \(seed): \(output) differs (compiled: \(planned.compiled))")
                }
                // With the process's inputs and the medium price uncertain, the lot's cost and its
                // vector are not the same in every sample (the examples' own distributions may
                // touch a price the process does not use).
                let cost = try #require(planned.columns[.lotCost]).filter(\.isFinite)
                let vector = try #require(planned.columns[.bulkVector]).filter(\.isFinite)
                #expect(!processVaries || (Set(cost).count > 1 && Set(vector).count > 1), "\(file)")
            }
        }
    }

    /// Drawing a column at once gives the numbers one draw at a time gives, for every kind.
    @Test func aColumnOfDrawsIsTheSameAsDrawsOneByOne() {
        let kinds: [BoundedDistribution] = [
            .init(.uniform(low: 2, high: 5), lower: 0, upper: 10), .init(.triangular(low: 1, mode: 2, high: 4), lower: 0, upper: 10),
            .init(.lognormal(median: 5, sigma: 0.4), lower: 0, upper: .infinity), .init(.normal(mean: 1, sd: 2), lower: 0, upper: 3),
            .init(.pert(low: 1, mode: 3, high: 4), lower: 0, upper: 10), .init(.fixed(7), lower: 0, upper: 10),
        ]
        for d in kinds {
            var a = RandomSource(seed: 9), b = RandomSource(seed: 9)
            let column = UnsafeMutablePointer<Double>.allocate(capacity: 1000)
            defer { column.deallocate() }
            d.fill(column, count: 1000, &a)
            let one = (0..<1000).map { _ in d.sample(&b) }
            #expect((0..<1000).allSatisfy { column[$0] == one[$0] }, "\(d.distribution)")
        }
    }

    /// An uncertain process input the plan does not set sends the run down the general path,
    /// with the reason.
    @Test func anotherProcessInputTakesTheGeneralPath() throws {
        var m = try Self.uncertain("aav-dmd-suspension-2000L.yaml")
        let path = FieldPath([.key("production"), .key("duration")])
        let set = try #require(EconomicReader.setter(for: path, process: m.process, costs: m.costs))
        m.parameters.append(
            UncertainParameter(
                input: UncertainInput(
                    path: path, location: SourceLocation(file: "x", line: 1, column: 1),
                    distribution: BoundedDistribution(.uniform(low: 86_400, high: 172_800), lower: 0, upper: .infinity),
                    dimension: .none), label: "production.duration", set: set))
        let (plan, reason) = MonteCarloPlan.make(m)
        #expect(plan == nil && reason?.contains("production.duration") == true)
        let r = MonteCarlo.run(m, .init(samples: 100, seed: 1, threads: 1))
        #expect(!r.planned && r.generalPathReason == reason)
        #expect(UncertaintyReport.evaluation(r).hasPrefix("the general path") && UncertaintyReport.evaluation(r).contains(reason ?? "?"))
        let peer = try EconomicFile.load(path: Repository.path("Examples/peer-aav-2000L-montecarlo.yaml"))
        let compiled = MonteCarlo.run(peer, .init(samples: 100, seed: 1, threads: 1))
        let report = UncertaintyReport(model: peer, result: compiled, threads: 1, tornado: Sensitivity.tornado(peer), sobol: nil)
        #expect(report.text().contains("Evaluated by the compiled kernel") && report.data().evaluation.contains("compiled"))
    }
}

/// The radix sort of the statistics against the standard library's sort.
struct RadixSortTests {
    @Test(arguments: [0, 1, 63, 65, 1000, 100_000])
    func itSortsAsTheStandardSortDoes(count: Int) {
        var rng = RandomSource(seed: UInt64(count) + 5)
        // Negative and positive numbers, both zeros, ties, tiny and huge magnitudes, infinities.
        var values = (0..<count).map { i -> Double in
            switch i % 7 {
            case 0: return -rng.unit() * 1e6
            case 1: return rng.unit()
            case 2: return Double(Int(rng.unit() * 3))  // ties: 0, 1, 2
            case 3: return i % 2 == 0 ? 0.0 : -0.0
            case 4: return rng.unit() * 1e-300
            case 5: return -rng.unit() * 1e300
            default: return i % 3 == 0 ? .infinity : -.infinity
            }
        }
        let expected = values.sorted()
        RadixSort.sort(&values)
        #expect(values.count == expected.count)
        #expect(zip(values, expected).allSatisfy { $0 == $1 }, "sorted differently")
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
    }

    /// Radix selection gives the sorted order's values at every rank asked for:
    /// spread values, a few distinct integers (digits shared by most values, so selection goes
    /// deep), one value repeated, both signs and zeros, short and long columns.
    @Test(arguments: [1, 63, 300, 5_000, 200_000])
    func selectionGivesTheSortedOrdersValues(count: Int) {
        var rng = RandomSource(seed: UInt64(count) + 11)
        let kinds: [[Double]] = [
            (0..<count).map { _ in rng.normal() * 1e5 },
            (0..<count).map { _ in Double(Int(rng.unit() * 40)) },
            Array(repeating: 2.5, count: count),
            (0..<count).map { i in i % 3 == 0 ? (i % 2 == 0 ? 0.0 : -0.0) : -rng.unit() * 1e-300 + rng.unit() },
        ]
        for values in kinds {
            let sorted = values.sorted()
            let ranks = [0, count / 200, count / 20, count / 2, count * 19 / 20, count - 1, count / 2 + 1, -1, count]
            let found = RadixSort.select(values, ranks: ranks)
            for r in ranks where (0..<count).contains(r) {
                // The same value (bit for bit but for zero's sign, which the standard sort leaves
                // in input order and selection puts −0 first).
                #expect(found[r] == sorted[r] && (sorted[r] == 0 || found[r]?.bitPattern == sorted[r].bitPattern), "rank \(r) of \(count)")
            }
            #expect(found[-1] == nil && found[count] == nil)
        }
    }
}
