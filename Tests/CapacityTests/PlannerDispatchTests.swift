import Bioprocess
import FileFormats
import Foundation
import Testing

@testable import Capacity

/// The planner tries several dispatch rules (orders of products among lots due the same day,
/// campaigns) and keeps the best plan.
@Suite struct PlannerDispatchTests {
    typealias Durations = (expansion: Double, production: Double, purification: Double, fill: Double, release: Double)

    static func instance(suites: Int, products: [(String, Durations, Double)], same: Double, change: Double)
        throws -> (Facility, Demand)
    {
        var process = try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml"))
        process.product.shelfLife = nil
        func fixed(_ x: Double) -> BoundedDistribution { BoundedDistribution(.fixed(x), lower: 0, upper: .infinity) }
        let f = Facility(
            name: "Test", site: nil, start: CalendarDate(year: 2027, month: 1, day: 1),
            suites: (1...suites).map {
                Suite(name: "Suite \($0)", kind: .vectorProduction, grade: .b, maxScale: [.suspension: 0.25])
            },
            resources: [], changeover: Changeover(sameProduct: same, productChange: change), closures: [],
            holdSuiteUntilRelease: false, crewPerLot: 0)
        let d = Demand(
            name: "Test", start: f.start, period: .year,
            products: products.map { name, t, amount in
                ProductDemand(
                    name: name, process: process, unit: .doses, amounts: [amount],
                    observed: ObservedDurations(
                        expansion: fixed(t.expansion), production: fixed(t.production),
                        purification: fixed(t.purification), fill: fixed(t.fill), release: fixed(t.release),
                        failureRate: 0))
            })
        return (f, d)
    }

    /// Two suites, one year, two products: AAV (23 d in the suite, 21 d QC release) and Retina
    /// (20 d, 28 d). A suite running j Retina lots and then m AAV lots (7 d between lots of a
    /// product, 14 d at the change) releases its last lot on day 27j + 7 + 30(m − 1) + 44, at
    /// most 365 — so 12 lots when j ≥ 6 — and with Retina alone on day 27(j − 1) + 48, again
    /// 12 lots. Twelve lots a suite is the most either product allows (AAV alone: 11), so no
    /// plan has more than 24 lots; both suites making six Retina lots, then six AAV, has 24
    /// (CP-SAT finds the same optimum: PlannerBenchmark). Ordering lots of equal
    /// due date by product index (AAV first) gives 22.
    @Test func theProductWithTheLongerReleaseGoesFirstAndBothSuitesMakeTwelveLots() throws {
        let aav: Durations = (14, 5, 3, 1, 21), retina: Durations = (12, 4, 3, 1, 28)
        let per = Double(try LotTemplate(product: "x", process: try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml"))).doses)
        let (f, d) = try Self.instance(
            suites: 2, products: [("AAV", aav, 15 * per), ("Retina", retina, 12 * per)], same: 7, change: 14)
        let plan = try Planner.plan(f, d)
        #expect(plan.lots.count == 24)
        #expect(PlanValidator.validate(plan).isEmpty)
        for s in 0..<2 {
            let products = plan.lots.filter { $0.suite == s }.sorted { $0.released < $1.released }.map(\.product)
            #expect(products.count == 12)
            // One campaign of each product, Retina's first.
            #expect(products == Array(repeating: "Retina", count: 6) + Array(repeating: "AAV", count: 6), "\(products)")
        }
        // The first rule alone (lots of equal due date by product index, no campaigns) does worse:
        // what the planner did before it tried several.
        let templates = d.products.map { plan.templates[$0.name]! }
        let needs = (0..<15).map { _ in Planner.Need(product: 0, due: 365) }
            + (0..<12).map { _ in Planner.Need(product: 1, due: 365) }
        let first = Planner.placeInOrder(
            Planner.order(needs, Planner.Dispatch(rank: [0, 1], campaigns: false)), f, d, templates, [[0, 1], [0, 1]],
            campaigns: false)
        #expect(first.lots.count == 22)
        #expect(Planner.score(first, d, templates).unplaced > Planner.score((plan.lots, [:]), d, templates).unplaced)
    }

    /// One product: one rule (nothing to order, nothing to campaign), so a large plan costs one
    /// pass. Three products: the six orders of lots due the same day, with and without
    /// campaigns, and the six orders product by product, with and without; the plan says
    /// which rule it kept.
    @Test func rulesTriedGrowWithProducts() throws {
        let t: Durations = (14, 5, 3, 1, 21)
        let (f1, d1) = try Self.instance(suites: 1, products: [("A", t, 100)], same: 7, change: 14)
        let p1 = try Planner.plan(f1, d1)
        #expect(Planner.dispatches(d1.products.map { p1.templates[$0.name]! }).count == 1)
        let (f3, d3) = try Self.instance(
            suites: 1, products: [("A", t, 100), ("B", t, 100), ("C", t, 100)], same: 7, change: 14)
        let p3 = try Planner.plan(f3, d3)
        #expect(Planner.dispatches(d3.products.map { p3.templates[$0.name]! }).count == 24)
        #expect(p3.rule.contains("the best of the 24 rules tried"), "\(p3.rule)")
        #expect(p1.rule == "lots in order of due date, each in the suite that releases it first")
    }
}
