/// Where a lot's stages run, seen from its production suite: which stages hold the suite, the
/// cleaning after each lot, and the days a year the suite is closed.
///
/// The cost model, the planner and the facility simulation all read a suite's time per lot and
/// its lots a year through ``LotCycle`` with one of these; the cost model's own is ``wholeLot``.
public struct SuiteOccupancy: Sendable, Hashable {
    /// Cell expansion runs in the suite (no seed laboratory).
    public var expansionInSuite: Bool
    /// Purification runs in the suite (no downstream train).
    public var purificationInSuite: Bool
    /// The fill runs in the suite (no filling line).
    public var fillInSuite: Bool
    /// The suite waits, empty, until QC releases its lot.
    public var holdUntilRelease: Bool
    /// Days of cleaning between two lots of one product.
    public var changeover: Double
    /// Days a year the suite is closed (shutdowns, maintenance), on average.
    public var closedDaysPerYear: Double
    /// Closures a year, on average.
    public var closuresPerYear: Double
    /// Whether a closure of the suite also closes the place where expansion runs out of the
    /// suite (the seed laboratory), so that the first lot after it must expand its cells first.
    public var expansionStopsAtClosures: Bool

    public init(
        expansionInSuite: Bool, purificationInSuite: Bool, fillInSuite: Bool, holdUntilRelease: Bool = false,
        changeover: Double = 0, closedDaysPerYear: Double = 0, closuresPerYear: Double = 0,
        expansionStopsAtClosures: Bool = false
    ) {
        self.expansionInSuite = expansionInSuite
        self.purificationInSuite = purificationInSuite
        self.fillInSuite = fillInSuite
        self.holdUntilRelease = holdUntilRelease
        self.changeover = changeover
        self.closedDaysPerYear = closedDaysPerYear
        self.closuresPerYear = closuresPerYear
        self.expansionStopsAtClosures = expansionStopsAtClosures
    }

    /// The cost model's suite: the whole lot, thaw to the end of fill, in one suite open all
    /// year, with no changeover (what `allocation: suite-time` charges).
    public static let wholeLot = SuiteOccupancy(expansionInSuite: true, purificationInSuite: true, fillInSuite: true)

    /// What holds the suite, in words: "expansion in the seed laboratory; production,
    /// purification and fill in the suite; 7 d changeover; closed 14 d a year".
    public var description: String {
        var inSuite = ["production"]
        var outside: [String] = []
        if expansionInSuite { inSuite.insert("expansion", at: 0) } else { outside.append("expansion") }
        if purificationInSuite { inSuite.append("purification") } else { outside.append("purification") }
        if fillInSuite { inSuite.append("fill") } else { outside.append("fill") }
        func list(_ xs: [String]) -> String {
            xs.count < 2 ? xs.joined() : xs.dropLast().joined(separator: ", ") + " and " + xs.last!
        }
        var parts = ["\(list(inSuite)) in the suite"]
        if !outside.isEmpty { parts.append("\(list(outside)) out of it") }
        if holdUntilRelease { parts.append("held until release") }
        parts.append("\(LotCycle.days(changeover)) d changeover")
        if closedDaysPerYear > 0 { parts.append("closed \(LotCycle.days(closedDaysPerYear)) d a year") }
        return parts.joined(separator: "; ")
    }
}

/// One lot seen by capacity: its stage durations (days), the share of lots that pass, how long
/// it keeps, and from these the time it holds a suite and the lots a year a suite makes.
///
/// The one computation of those figures: the cost model's computed lots a year, the planner's
/// lot template and the facility simulation's nominal lot all come from here.
///
/// A lot that fails is known at the end of purification: it holds the suite no longer than
/// that (the facility simulation frees the suite then; the planner, not knowing which lots
/// will fail, books each in full).
public struct LotCycle: Sendable, Hashable {
    public var expansion: Double
    /// Growth to induction and induction to harvest.
    public var production: Double
    public var purification: Double
    public var fill: Double
    /// QC release testing after fill.
    public var release: Double
    /// The share of lots that pass and are released, 0 to 1.
    public var successRate: Double
    /// Days a released lot keeps; nil: no limit.
    public var shelfLife: Double?

    public init(
        expansion: Double, production: Double, purification: Double, fill: Double, release: Double,
        successRate: Double = 1, shelfLife: Double? = nil
    ) {
        self.expansion = expansion
        self.production = production
        self.purification = purification
        self.fill = fill
        self.release = release
        self.successRate = successRate
        self.shelfLife = shelfLife
    }

    /// A simulated lot's stage durations.
    public init(_ s: LotSummary, successRate: Double = 1, shelfLife: Quantity<Duration>? = nil) {
        self.init(
            expansion: s.expansionTime.value(in: "d"), production: (s.growthTime + s.inductionTime).value(in: "d"),
            purification: s.downstreamTime.value(in: "d"), fill: s.fillTime.value(in: "d"),
            release: s.releaseTime.value(in: "d"), successRate: successRate, shelfLife: shelfLife?.value(in: "d"))
    }

    /// Days from the start of expansion to the end of fill.
    @inlinable public var manufacturing: Double { expansion + production + purification + fill }
    /// Days from the start of expansion to QA release, with no wait.
    @inlinable public var toRelease: Double { manufacturing + release }

    /// Days from the lot's start (expansion) to when it takes its suite.
    @inlinable public func suiteStart(_ o: SuiteOccupancy) -> Double { o.expansionInSuite ? 0 : expansion }

    /// Days from the lot's start to when it leaves its suite (before the changeover); a failed
    /// lot leaves at the end of purification at the latest.
    @inlinable public func suiteEnd(_ o: SuiteOccupancy, passes: Bool = true) -> Double {
        let endOfPurification = expansion + production + purification
        if !passes {
            // Known at the end of purification: the suite is left then, or earlier if the lot
            // had already left it.
            let lastInSuite = o.holdUntilRelease || o.purificationInSuite || o.fillInSuite
            return lastInSuite ? endOfPurification : expansion + production
        }
        if o.holdUntilRelease { return toRelease }
        if o.fillInSuite { return manufacturing }
        if o.purificationInSuite { return endOfPurification }
        return expansion + production
    }

    /// Days a lot holds its suite, passing or failing.
    @inlinable public func suiteDays(_ o: SuiteOccupancy, passes: Bool = true) -> Double {
        suiteEnd(o, passes: passes) - suiteStart(o)
    }

    /// The suite time of a lot on average over passing and failing lots.
    @inlinable public func expectedSuiteDays(_ o: SuiteOccupancy) -> Double {
        successRate * suiteDays(o) + (1 - successRate) * suiteDays(o, passes: false)
    }

    /// Days from one lot taking the suite to the next, running back to back: the expected suite
    /// time and the changeover.
    @inlinable public func cycleDays(_ o: SuiteOccupancy) -> Double { expectedSuiteDays(o) + o.changeover }

    /// Days of the year a suite loses to its closures, beyond its changeovers. At each closure:
    /// its length, plus the expansion of the first lot after it when the closure also stops
    /// expansion out of the suite, less the changeover done while closed, plus the idle time
    /// before it (a lot must not run into it: from none to a whole cycle, half on average).
    @inlinable public func daysLostToClosures(_ o: SuiteOccupancy) -> Double {
        guard o.closuresPerYear > 0 else { return o.closedDaysPerYear }
        let cycle = cycleDays(o)
        let length = o.closedDaysPerYear / o.closuresPerYear
        let restart = o.expansionStopsAtClosures && !o.expansionInSuite ? expansion : 0
        // Lost = max(0, a + u) with u uniform over [0, cycle): its mean.
        let a = length + restart - o.changeover
        let perClosure: Double
        if cycle <= 0 {
            perClosure = max(0, a)
        } else if a >= 0 {
            perClosure = a + cycle / 2
        } else if a > -cycle {
            perClosure = (cycle + a) * (cycle + a) / (2 * cycle)
        } else {
            perClosure = 0
        }
        return o.closuresPerYear * perClosure
    }

    /// Lots a suite starts in a year running back to back: the year less what closures take,
    /// over the cycle.
    @inlinable public func lotsPerYear(_ o: SuiteOccupancy) -> Double {
        let cycle = cycleDays(o)
        guard cycle > 0 else { return .infinity }
        return max(0, 365 - daysLostToClosures(o)) / cycle
    }

    /// Lots a suite releases in a year: those started times the success rate.
    public func releasedPerYear(_ o: SuiteOccupancy) -> Double { lotsPerYear(o) * successRate }

    /// Lots needed for an amount, each lot making `perLot` when it passes: amount ÷ (per lot ×
    /// success rate), rounded up; nil when a lot makes nothing or every lot fails.
    public func lotsNeeded(for amount: Double, perLot: Double) -> Double? {
        let expected = perLot * successRate
        guard expected > 0 else { return amount > 0 ? nil : 0 }
        // A hair under a whole number is that number (0.9 × 10 ÷ 0.9 is not 10.000000000000002).
        return (amount / expected * (1 - 1e-12)).rounded(.up)
    }

    /// A number of days as a report writes it: at most three significant figures.
    public static func days(_ x: Double) -> String {
        let r = x >= 100 ? x.rounded() : x >= 10 ? (x * 10).rounded() / 10 : (x * 100).rounded() / 100
        return r == r.rounded() && abs(r) < 1e9 ? String(Int(r)) : String(r)
    }
}
