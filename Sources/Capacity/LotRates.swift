import Bioprocess

/// A product's lot in the suite of a facility that makes it: the ``LotCycle`` the planner and
/// the facility simulation share, how the suite holds it, and the lots a year one suite makes
/// running back to back.
public struct SuiteLotRate: Sendable, Hashable {
    public var product: String
    /// The first suite able to run the product.
    public var suite: String
    public var cycle: LotCycle
    public var occupancy: SuiteOccupancy
    /// Where the success rate comes from, in words.
    public var successRateSource: String
    /// The lot's capsids or particles (the lot report's balance); nil when the process states none.
    public var particles: ParticleBalance? = nil

    /// Days a lot holds the suite when it passes.
    public var suiteDays: Double { cycle.suiteDays(occupancy) }
    /// Days from one lot taking the suite to the next, on average.
    public var cycleDays: Double { cycle.cycleDays(occupancy) }
    /// Lots one suite starts in a year, running back to back.
    public var lotsPerYear: Double { cycle.lotsPerYear(occupancy) }
    /// Lots one suite releases in a year.
    public var releasedPerYear: Double { cycle.releasedPerYear(occupancy) }
    /// Capsids or particles in the bulk one suite releases in a year: a released lot's bulk
    /// times the lots released.
    public var particlesReleasedPerYear: Double? { particles.map { $0.bulk.particles * releasedPerYear } }
}

/// The lot rates of a facility and demand, and what makes the plan and the facility
/// simulation dispatch lots differently.
public enum LotRates {
    /// Each product's lot rate in the first suite able to make it (products no suite can make
    /// are left out). Throws a ``SimulationError`` when a product's process cannot make a lot.
    public static func rates(_ facility: Facility, _ demand: Demand) throws(SimulationError) -> [SuiteLotRate] {
        var out: [SuiteLotRate] = []
        for p in demand.products {
            guard let s = facility.suites.indices.first(where: { facility.suites[$0].canRun(p.process) }) else {
                continue
            }
            let t = try LotTemplate(p)
            out.append(
                SuiteLotRate(
                    product: p.name, suite: facility.suites[s].name, cycle: t.cycle,
                    occupancy: facility.occupancy(ofSuite: s, horizon: demand.horizon),
                    successRateSource: p.successRateSource, particles: t.particles))
        }
        return out
    }

    /// One line for both reports: the dispatch rules the plan and the facility simulation do not
    /// share for this facility and demand, or that they share them all (so that with no
    /// uncertainty one suite's lots a year agree within 5 %).
    public static func dispatchLine(_ facility: Facility, _ demand: Demand) -> String {
        let reasons = dispatchDifferences(facility, demand)
        guard !reasons.isEmpty else {
            return
                "Plan and simulation dispatch lots alike here (same lot cycle, suite time and closures): with no uncertainty a suite's lots a year agree within 5 %."
        }
        return "Plan and simulation dispatch lots differently here: " + reasons.joined(separator: "; ") + "."
    }

    /// The dispatch rules that differ between the planner and the facility simulation for this
    /// facility and demand, each in a few words.
    public static func dispatchDifferences(_ facility: Facility, _ demand: Demand) -> [String] {
        var out: [String] = []
        let suites = facility.suites.indices.filter { facility.suites[$0].kind == .vectorProduction }
        let made = demand.products.filter { p in p.amounts.contains { $0 > 0 } }
        // Several products in one suite: the order of lots, so the product changes, differ.
        let shared = suites.contains { s in made.filter { facility.suites[s].canRun($0.process) }.count > 1 }
        if shared {
            let change = facility.changeover
            out.append(
                "with several products in a suite, the plan takes lots by due date and the simulation the product least covered, so they change product (\(LotCycle.days(change.productChange)) d changeover instead of \(LotCycle.days(change.sameProduct)) d) at different times"
            )
        }
        // Shared resources fewer than the suites: who waits differs.
        for (kind, words) in [
            (ResourceKind.seedLab, "seed laboratory places"), (.downstream, "purification trains"),
            (.fillLine, "filling lines"), (.qcLab, "QC laboratory places"),
        ] {
            let capacity = facility.resources.filter { $0.kind == kind }.reduce(0) { $0 + $1.capacity }
            if capacity > 0 && capacity < suites.count {
                out.append(
                    "\(suites.count) suites share \(capacity) \(words): the plan moves a lot's whole chain until every stage fits, the simulation lets a lot wait between stages"
                )
            }
        }
        if !facility.resources(.staff).isEmpty && facility.crewPerLot > 0 {
            out.append("the plan limits operators (crew-per-lot), the simulation does not")
        }
        // Closures of resources the simulation does not close.
        let simulated = Set(suites.map { facility.suites[$0].name })
            .union(facility.resources.filter { $0.kind == .seedLab }.map(\.name))
        let others = Set(
            facility.closures.compactMap(\.targets).flatMap { $0 }.filter { !simulated.contains($0) })
        if !others.isEmpty {
            out.append(
                "closures of \(others.sorted().joined(separator: ", ")) hold up the plan's lots, not the simulation's")
        }
        // Failed lots that would have held the suite longer.
        var failing: [(name: String, rate: Double)] = []
        for p in made {
            guard let s = suites.first(where: { facility.suites[$0].canRun(p.process) }),
                p.successRate < 1, let t = try? LotTemplate(p)
            else { continue }
            let o = facility.occupancy(ofSuite: s, horizon: demand.horizon)
            // Said when it moves the cycle by more than 1 %: what the simulation saves when a
            // lot fails, on average over lots, against the cycle.
            let saved = (1 - p.successRate) * (t.cycle.suiteDays(o) - t.cycle.suiteDays(o, passes: false))
            if saved > 0.01 * (t.cycle.suiteDays(o) + o.changeover) { failing.append((p.name, 1 - p.successRate)) }
        }
        if !failing.isEmpty {
            let rates = Set(failing.map(\.rate))
            let share =
                rates.count == 1
                ? "\(percent(failing[0].rate)) of lots fail (\(failing.map(\.name).joined(separator: ", ")))"
                : "lots fail (" + failing.map { "\($0.name) \(percent($0.rate))" }.joined(separator: ", ") + ")"
            out.append(
                "\(share): the plan books each lot's suite time in full, the simulation frees the suite when a lot fails (end of purification)"
            )
        }
        if made.contains(where: { p in
            guard let o = p.observed else { return false }
            return [o.expansion, o.production, o.purification, o.fill, o.release].contains { d in
                d.map { if case .fixed = $0.distribution { false } else { true } } ?? false
            }
        }) {
            out.append(
                "the simulation draws stage durations from the observed: distributions, the plan takes their means")
        }
        return out
    }

    static func percent(_ x: Double) -> String {
        let v = (x * 1000).rounded() / 10
        return (v == v.rounded() ? String(Int(v)) : String(v)) + " %"
    }
}
