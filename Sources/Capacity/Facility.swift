import Bioprocess

/// A manufacturing site: its suites, the resources they share, its calendar and its rules.
///
/// Times are days from the facility's start date (day 0), as plain `Double`s inside the
/// planner and the simulation; files write them as dates and durations with units.
public struct Facility: Sendable, Hashable {
    public var name: String
    public var site: String?
    /// The calendar date of day 0, `YYYY-MM-DD`.
    public var start: CalendarDate
    public var suites: [Suite]
    public var resources: [SharedResource]
    public var changeover: Changeover
    public var closures: [Closure]
    /// Early multi-product practice: a suite is held until its lot is released by QC.
    public var holdSuiteUntilRelease: Bool
    /// Operators each lot needs while it is in production, purification or fill (staff resources).
    public var crewPerLot: Int
    /// Suppliers' lead times for key materials, in days.
    public var leadTimes: [Material: Double]

    public init(
        name: String, site: String?, start: CalendarDate, suites: [Suite], resources: [SharedResource],
        changeover: Changeover, closures: [Closure], holdSuiteUntilRelease: Bool, crewPerLot: Int,
        leadTimes: [Material: Double] = [:]
    ) {
        self.leadTimes = leadTimes
        self.name = name
        self.site = site
        self.start = start
        self.suites = suites
        self.resources = resources
        self.changeover = changeover
        self.closures = closures
        self.holdSuiteUntilRelease = holdSuiteUntilRelease
        self.crewPerLot = crewPerLot
    }

    /// The shared resources of one kind.
    public func resources(_ kind: ResourceKind) -> [Int] {
        resources.indices.filter { resources[$0].kind == kind }
    }

    /// How a lot holds suite `s` in this facility — the stages that run in it (those without a
    /// shared resource of their kind), the same-product changeover, holding until release, and
    /// the suite's closures a year on average over `horizon` days — for ``LotCycle``.
    public func occupancy(ofSuite s: Int, horizon: Double = 365) -> SuiteOccupancy {
        let name = suites[s].name
        let span = max(horizon, 1)
        var closed = 0.0, count = 0
        let seedLabs = Set(resources(.seedLab).map { resources[$0].name })
        var stopsExpansion = false
        for c in closures where c.applies(to: name) && c.from < span && c.to > 0 {
            closed += min(c.to, span) - max(c.from, 0)
            count += 1
            if !seedLabs.isEmpty, c.targets.map({ seedLabs.isSubset(of: $0) }) ?? true { stopsExpansion = true }
        }
        let years = span / 365
        return SuiteOccupancy(
            expansionInSuite: seedLabs.isEmpty, purificationInSuite: resources(.downstream).isEmpty,
            fillInSuite: resources(.fillLine).isEmpty, holdUntilRelease: holdSuiteUntilRelease,
            changeover: changeover.sameProduct, closedDaysPerYear: closed / years,
            closuresPerYear: Double(count) / years, expansionStopsAtClosures: stopsExpansion)
    }
}

public enum SuiteKind: String, Sendable, Hashable, CaseIterable, Codable {
    case vectorProduction = "vector-production"
    case cellTransduction = "cell-transduction"
    case fill
}

/// EU GMP Annex 1 cleanroom grades.
public enum CleanroomGrade: String, Sendable, Hashable, CaseIterable, Codable {
    case a = "A", b = "B", c = "C", d = "D"
}

/// A production suite (or zone): what it can run and how big.
public struct Suite: Sendable, Hashable {
    public var name: String
    public var kind: SuiteKind
    public var grade: CleanroomGrade
    /// The largest scale it runs on each platform: a working volume (m³) for suspension, a
    /// bed area (m²) for fixed beds, a number of flasks.
    public var maxScale: [PlatformKind: Double]
    /// Patients a year, for a cell-transduction suite.
    public var patientsPerYear: Double?
    /// A region or building, for grouping in reports.
    public var group: String?

    public init(
        name: String, kind: SuiteKind, grade: CleanroomGrade, maxScale: [PlatformKind: Double],
        patientsPerYear: Double? = nil, group: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.grade = grade
        self.maxScale = maxScale
        self.patientsPerYear = patientsPerYear
        self.group = group
    }

    /// Whether the suite can run a process's production as written: its platform, at its scale.
    public func canRun(_ p: ProcessDefinition) -> Bool {
        guard kind == .vectorProduction, let limit = maxScale[p.production.platform.kind] else { return false }
        return Self.scale(of: p) <= limit * (1 + 1e-9)
    }

    /// A process's production scale in the unit `maxScale` uses.
    public static func scale(of p: ProcessDefinition) -> Double {
        switch p.production.platform {
        case .suspension: p.production.cultureVolume.canonical
        case .fixedBed(_, let area, _): area.canonical * Double(p.production.units)
        case .flasks: Double(p.production.units)
        }
    }
}

public enum ResourceKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// A seed-train laboratory: cell expansion runs there, not in the suite.
    case seedLab = "seed-lab"
    /// A purification train: downstream runs there, not in the suite.
    case downstream
    /// A filling line or isolator.
    case fillLine = "fill-line"
    /// The QC laboratory: lots under release testing at once.
    case qcLab = "qc-lab"
    /// Operators per shift.
    case staff
}

/// Something lots share, with a capacity (lots at once, or operators for staff).
public struct SharedResource: Sendable, Hashable {
    public var name: String
    public var kind: ResourceKind
    public var capacity: Int

    public init(name: String, kind: ResourceKind, capacity: Int) {
        self.name = name
        self.kind = kind
        self.capacity = capacity
    }
}

/// Cleaning and changeover between lots in a suite.
public struct Changeover: Sendable, Hashable {
    /// Days between two lots of one product.
    public var sameProduct: Double
    /// Days between lots of two products (cleaning validation, line clearance).
    public var productChange: Double

    public init(sameProduct: Double, productChange: Double) {
        self.sameProduct = sameProduct
        self.productChange = productChange
    }

    /// Days of changeover before a lot of `next` in a suite whose last lot was `previous`.
    public func days(previous: String?, next: String) -> Double {
        guard let previous else { return 0 }
        return previous == next ? sameProduct : productChange
    }
}

/// A period when suites or resources are closed: a shutdown, maintenance, requalification.
public struct Closure: Sendable, Hashable {
    public var name: String
    /// Days from the facility's start, [from, to).
    public var from: Double
    public var to: Double
    /// The suites and resources closed (names); nil for the whole facility.
    public var targets: Set<String>?

    public init(name: String, from: Double, to: Double, targets: Set<String>?) {
        self.name = name
        self.from = from
        self.to = to
        self.targets = targets
    }

    public func applies(to name: String) -> Bool { targets?.contains(name) ?? true }
}

/// A calendar date, for turning days from the start into dates in reports.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The years a date may fall in.
    public static let years = 1900...2200

    /// Reads `YYYY-MM-DD` from 1900 to 2200; nil if it is not a valid date.
    public init?(_ text: String) {
        let parts = text.split(separator: "-").map { Int($0) }
        guard parts.count == 3, let y = parts[0], let m = parts[1], let d = parts[2], Self.years.contains(y),
            (1...12).contains(m),
            (1...Self.daysIn(month: m, year: y)).contains(d)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month m: Int, year y: Int) -> Int {
        [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(dayNumber z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    /// The date `days` (whole days, floored) after this one.
    public func adding(days: Double) -> CalendarDate { CalendarDate(dayNumber: dayNumber + Int(clamping: days, to: -1_000_000...1_000_000)) }

    /// Days from this date to another.
    public func days(to other: CalendarDate) -> Double { Double(other.dayNumber - dayNumber) }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool { a.dayNumber < b.dayNumber }

    public var description: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(year)-\(m)-\(d)"
    }
}
