import Bioprocess
import Capacity

/// One measurement of a series: a time (seconds since 1970, UTC), a value, and the unit it
/// was written in, if the sender gave one.
public struct Point: Sendable, Hashable {
    public var series: String
    public var time: Double
    public var value: Double
    public var unit: String?

    public init(series: String, time: Double, value: Double, unit: String? = nil) {
        self.series = series
        self.time = time
        self.value = value
        self.unit = unit
    }
}

/// Why a point of a batch is refused: which point (its place in the batch, from 1), its
/// series and time, what is wrong and what was expected.
public struct PointProblem: Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var series: String
    public var time: Double
    public var message: String
    public var expected: String

    public init(index: Int, series: String, time: Double, message: String, expected: String) {
        self.index = index
        self.series = series
        self.time = time
        self.message = message
        self.expected = expected
    }

    public var description: String { "point \(index) (\(series) at \(Timestamps.text(time))): \(message); expected \(expected)" }
}

/// The checks a batch of points passes before any of it is stored: all or nothing.
public enum PointCheck {
    /// The most points one batch may carry.
    public static let maxPoints = 200_000
    /// How far ahead of the receiving clock a point's time may be (clocks drift).
    public static let futureTolerance: Double = 300
    /// The most problems listed (the rest counted).
    public static let maxProblems = 50
    /// The earliest time a point may carry (2000-01-01).
    public static let earliest: Double = 946_684_800
    /// The latest (9000-01-01): beyond, a time is a mistake, not a measurement (the clock's
    /// tolerance refuses any time much after now anyway).
    public static let latest: Double = 221_845_392_000

    /// Every problem of the batch (up to ``maxProblems``, then one naming how many more), or
    /// none. `last` is the time of each series' newest stored point; `now` the receiving clock.
    public static func problems(
        _ points: [Point], series: [String: Series], last: [String: Double], now: Double
    ) -> [PointProblem] {
        var out: [PointProblem] = []
        var more = 0
        func add(_ i: Int, _ p: Point, _ message: String, _ expected: String) {
            if out.count < maxProblems {
                out.append(PointProblem(index: i + 1, series: p.series, time: p.time, message: message, expected: expected))
            } else {
                more += 1
            }
        }
        if points.count > maxPoints, let first = points.first {
            return [
                PointProblem(
                    index: maxPoints + 1, series: first.series, time: first.time,
                    message: "the batch has \(points.count) points, more than the limit of \(maxPoints)",
                    expected: "batches of at most \(maxPoints) points")
            ]
        }
        var newest = last
        let known = series.keys.sorted()
        var hints: [String: String] = [:]
        /// " (did you mean 'x'?)" for an unknown name, worked out once per name, among names of
        /// about its length (at most 10,000 compared), for the problems listed only.
        func hint(_ name: String) -> String {
            if let h = hints[name] { return h }
            let n = name.utf8.count
            let threshold = max(2, n / 3)
            guard n <= 200 else { return "" }
            var best: (String, Int)?
            for candidate in known.prefix(10_000) where abs(candidate.utf8.count - n) <= threshold {
                let d = editDistance(name, candidate)
                if d <= threshold, d < (best?.1 ?? .max) { best = (candidate, d) }
            }
            let h = best.map { " (did you mean '\($0.0)'?)" } ?? ""
            hints[name] = h
            return h
        }
        for (i, p) in points.enumerated() {
            guard let s = series[p.series] else {
                let h = out.count < maxProblems ? hint(p.series) : ""
                add(i, p, "'\(p.series.prefix(200))' is not a series of the site\(h)", "one of the site file's series")
                continue
            }
            if !p.value.isFinite { add(i, p, "the value is not a finite number", "a number in \(s.unit)") }
            if let u = p.unit, !s.measurand.unitSpellings.contains(u) {
                add(i, p, "the unit '\(u)' is not the series' unit", "\(s.unit) (\(s.measurand.rawValue))")
            }
            if !p.time.isFinite || p.time < earliest || p.time > latest {
                add(i, p, "the time is not a time from 2000 to 8999", "seconds since 1970 or an ISO 8601 time with its zone")
                continue
            }
            if p.time > now + futureTolerance {
                add(i, p, "the time is \(Int(min(p.time - now, 1e15))) s ahead of the server's clock", "a time no more than \(Int(futureTolerance)) s ahead")
            }
            if let before = newest[p.series] {
                if p.time == before {
                    add(i, p, "a point of this series at this time is already there (duplicated)", "one point per series and time")
                } else if p.time < before {
                    add(i, p, "the time is before the series' point at \(Timestamps.text(before)) (out of order)", "points in time order, after the newest stored")
                }
            }
            newest[p.series] = max(newest[p.series] ?? p.time, p.time)
        }
        if more > 0, let p = points.last {
            out.append(PointProblem(index: points.count, series: p.series, time: p.time, message: "and \(more) more problems", expected: "a corrected batch"))
        }
        return out
    }
}

/// Times as UTC text, with no Foundation formatter (the domain stays Foundation-light).
public enum Timestamps {
    /// `2026-12-02T14:05:38Z` for seconds since 1970 (fractions dropped).
    public static func text(_ t: Double) -> String {
        guard t.isFinite, abs(t) < 3e11 else { return String(t) }
        let s = Int(t.rounded(.down))
        let days = s >= 0 ? s / 86_400 : (s - 86_399) / 86_400
        let rest = s - days * 86_400
        let (y, m, d) = civil(days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }

    /// Days since 1970-01-01 as a civil date (the calendar of the facility files).
    static func civil(_ days: Int) -> (Int, Int, Int) {
        let d = CalendarDate(dayNumber: days)
        return (d.year, d.month, d.day)
    }

    /// Seconds since 1970 of `YYYY-MM-DDTHH:MM:SS(.fff)(Z|±HH:MM)` (the zone required; seconds
    /// 0–59), or nil.
    public static func parse(_ text: String) -> Double? {
        let c = Array(text.utf8)
        guard c.count >= 19, c[4] == UInt8(ascii: "-"), c[7] == UInt8(ascii: "-"), c[10] == UInt8(ascii: "T") || c[10] == UInt8(ascii: " "),
            c[13] == UInt8(ascii: ":"), c[16] == UInt8(ascii: ":")
        else { return nil }
        func num(_ a: Int, _ b: Int) -> Int? {
            var v = 0
            for i in a..<b {
                guard (48...57).contains(c[i]) else { return nil }
                v = v * 10 + Int(c[i] - 48)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13), let mi = num(14, 16), let s = num(17, 19),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 60
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < c.count, c[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < c.count, (48...57).contains(c[i]), i - start < 9 {
                fraction += Double(c[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offset = 0
        // The zone is required: a time without one is local to somebody.
        guard i < c.count else { return nil }
        if i < c.count {
            if c[i] == UInt8(ascii: "Z"), i + 1 == c.count {
                i += 1
            } else if c[i] == UInt8(ascii: "+") || c[i] == UInt8(ascii: "-"), c.count == i + 6, c[i + 3] == UInt8(ascii: ":"),
                let oh = num(i + 1, i + 3), let om = num(i + 4, i + 6), oh < 24, om < 60
            {
                offset = (oh * 3600 + om * 60) * (c[i] == UInt8(ascii: "-") ? -1 : 1)
                i += 6
            } else {
                return nil
            }
        }
        guard i == c.count else { return nil }
        let days = CalendarDate(year: y, month: mo, day: d).dayNumber
        guard civil(days) == (y, mo, d) else { return nil }  // 2026-02-30
        return Double(days * 86_400 + h * 3600 + mi * 60 + s - offset) + fraction
    }
}
