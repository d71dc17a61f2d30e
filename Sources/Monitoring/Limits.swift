import Capacity

/// How far outside its limits a value is.
public enum LimitLevel: Int, Sendable, Hashable, Comparable, CaseIterable, Codable {
    case normal = 0, alert, action

    public static func < (a: LimitLevel, b: LimitLevel) -> Bool { a.rawValue < b.rawValue }

    public var word: String {
        switch self {
        case .normal: "within limits"
        case .alert: "alert"
        case .action: "action"
        }
    }
}

/// The alert and action limits of one series (either side may be open), with how an excursion
/// is told from noise: a value must stay outside for `persistence` seconds before an excursion
/// is raised, and come back inside the alert limits by `hysteresis` (in the series' unit) before
/// it ends. Limits are GMP data: versioned and approved in the store; this is one version's
/// content.
public struct SeriesLimits: Sendable, Hashable, Codable {
    public var alertLow: Double?
    public var alertHigh: Double?
    public var actionLow: Double?
    public var actionHigh: Double?
    public var persistence: Double
    public var hysteresis: Double

    /// The longest persistence delay a limit set may ask for (a day).
    public static let maxPersistence: Double = 86_400

    public init(
        alertLow: Double? = nil, alertHigh: Double? = nil, actionLow: Double? = nil, actionHigh: Double? = nil,
        persistence: Double = 0, hysteresis: Double = 0
    ) {
        self.alertLow = alertLow
        self.alertHigh = alertHigh
        self.actionLow = actionLow
        self.actionHigh = actionHigh
        self.persistence = persistence
        self.hysteresis = hysteresis
    }

    /// The level of a value against these limits, the limits moved inwards by `margin`.
    public func level(_ value: Double, margin: Double = 0) -> LimitLevel {
        if let h = actionHigh, value > h - margin { return .action }
        if let l = actionLow, value < l + margin { return .action }
        if let h = alertHigh, value > h - margin { return .alert }
        if let l = alertLow, value < l + margin { return .alert }
        return .normal
    }

    /// What is wrong with these limits for a measurand in a room of `grade` (nil: equipment):
    /// every problem, each a sentence; empty when they can be approved.
    public func problems(for measurand: Measurand, grade: CleanroomGrade?) -> [String] {
        var out: [String] = []
        let all = [("alert-low", alertLow), ("alert-high", alertHigh), ("action-low", actionLow), ("action-high", actionHigh)]
        for (name, v) in all where v.map({ !$0.isFinite }) == true { out.append("\(name) is not a finite number") }
        if all.allSatisfy({ $0.1 == nil }) { out.append("no limit is set: give at least one alert or action limit") }
        if let a = alertHigh, let b = actionHigh, a > b { out.append("alert-high \(a) is above action-high \(b): the alert limit comes first") }
        if let a = alertLow, let b = actionLow, a < b { out.append("alert-low \(a) is below action-low \(b): the alert limit comes first") }
        if let l = alertLow, let h = alertHigh, l >= h { out.append("alert-low \(l) is not below alert-high \(h)") }
        if let l = actionLow, let h = actionHigh, l >= h { out.append("action-low \(l) is not below action-high \(h)") }
        if !(0...Self.maxPersistence).contains(persistence) {
            out.append("persistence \(persistence) s is outside 0 to \(Int(Self.maxPersistence)) s")
        }
        if !(hysteresis >= 0) || !hysteresis.isFinite { out.append("hysteresis \(hysteresis) is negative or not finite") }
        // A band so wide that no value is back inside it would keep an excursion open for ever.
        let low = alertLow ?? actionLow, high = alertHigh ?? actionHigh
        if let low, let high, high > low, hysteresis >= (high - low) / 2 {
            out.append("hysteresis \(hysteresis) is half the band \(low)–\(high) or more: no value would end an excursion")
        }
        if let grade, let ceiling = Annex1.ceiling(grade, measurand) {
            let highest = actionHigh ?? alertHigh
            if let h = highest, h > ceiling {
                out.append(
                    "the action limit \(h) \(measurand.unit) is above the grade \(grade.rawValue) limit of \(ceiling) \(measurand.unit) in operation (\(Annex1.source))")
            }
            if highest == nil { out.append("no upper limit is set, but grade \(grade.rawValue) has one of \(ceiling) \(measurand.unit) (\(Annex1.source))") }
        }
        return out
    }

    /// Limits a site starts from for a room measurand: the Annex 1 ceiling as the action
    /// limit and half of it as the alert limit (a site sets its own from its history).
    public static func fromAnnex1(_ grade: CleanroomGrade, _ measurand: Measurand) -> SeriesLimits? {
        guard let ceiling = Annex1.ceiling(grade, measurand) else { return nil }
        return SeriesLimits(alertHigh: ceiling / 2, actionHigh: ceiling, persistence: measurand.isSampled ? 0 : 60)
    }
}
