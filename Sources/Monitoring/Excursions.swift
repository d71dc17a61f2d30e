/// An excursion raised or ended by ``ExcursionDetector``.
public enum ExcursionEvent: Sendable, Hashable {
    /// Outside the limits of `level` since `since`, raised at `at` (after the persistence
    /// delay), with the value that raised it.
    case raised(level: LimitLevel, since: Double, at: Double, value: Double)
    /// An excursion already raised went on to the action level.
    case escalated(since: Double, at: Double, value: Double)
    /// Back within the alert limits by the hysteresis margin at `at`; `peak` the worst level.
    case ended(peak: LimitLevel, at: Double)
}

/// Finds excursions in one series' points, in time order, as they arrive: a value outside a
/// limit raises an excursion only once it has stayed outside for the persistence delay (a
/// single noisy reading does not), and the excursion ends only once the value is back inside
/// the alert limits by the hysteresis margin (a value hovering at the limit does not flap).
/// Its state is small and `Codable`, so ingest can resume where the last batch left it.
public struct ExcursionDetector: Sendable, Hashable, Codable {
    public let limits: SeriesLimits
    /// The level of the excursion in progress (normal: none).
    public private(set) var level: LimitLevel = .normal
    /// When the excursion in progress began.
    public private(set) var since: Double?
    /// Since when the values have been at least at the alert and at the action level.
    var pendingAlert: Double?
    var pendingAction: Double?

    public init(limits: SeriesLimits) { self.limits = limits }

    /// A detector that resumes an excursion recorded earlier (an alarm still open when the
    /// detectors restarted, or when new limits were approved): it ends it once the values are
    /// back inside, instead of leaving it open for ever.
    public init(limits: SeriesLimits, resuming level: LimitLevel, since: Double) {
        self.limits = limits
        guard level > .normal else { return }
        self.level = level
        self.since = since
        pendingAlert = since
        pendingAction = level == .action ? since : nil
    }

    public mutating func observe(time: Double, value: Double) -> ExcursionEvent? {
        let raw = limits.level(value)
        pendingAlert = raw >= .alert ? (pendingAlert ?? time) : nil
        pendingAction = raw >= .action ? (pendingAction ?? time) : nil
        if level > .normal {
            if limits.level(value, margin: limits.hysteresis) == .normal {
                let peak = level
                level = .normal
                since = nil
                pendingAlert = nil
                pendingAction = nil
                return .ended(peak: peak, at: time)
            }
            if level == .alert, let start = pendingAction, time - start >= limits.persistence {
                level = .action
                return .escalated(since: start, at: time, value: value)
            }
            return nil
        }
        if let start = pendingAction, time - start >= limits.persistence {
            // The excursion began when the values first left the alert limits.
            let began = pendingAlert ?? start
            level = .action
            since = began
            return .raised(level: .action, since: began, at: time, value: value)
        }
        if let start = pendingAlert, time - start >= limits.persistence {
            level = .alert
            since = start
            return .raised(level: .alert, since: start, at: time, value: value)
        }
        return nil
    }
}
