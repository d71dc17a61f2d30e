import Foundation

/// What the result rules decide for one result: whether it passes, and whether it opens an
/// out-of-specification deviation.
public struct ResultDecision: Sendable, Hashable {
    public var passed: Bool
    /// A repeat: the sample already had a result, kept as it was.
    public var isRepeat: Bool
    public var opensOOS: Bool { !passed }
}

/// The rules of a QC result (EU GMP chapter 6, 21 CFR 211.192, FDA's OOS guidance), as a pure
/// function: the value fits the test's kind, it is physically possible, and a repeat — a second
/// result on a sample — needs a reason and never replaces the first (no testing into
/// compliance). Every reason is listed.
public enum SampleRules {
    /// Units whose quantities may be below zero (temperatures, potentials, logarithms).
    public static let signedUnits: Set<String> = ["°C", "mV", "log", "log10"]

    public static func result(
        for sample: QCSample, previousResults: Int, value: Double?, pass: Bool?, reason: String?
    ) -> Result<ResultDecision, GMPError> {
        var reasons: [String] = []
        let spec = sample.specification
        var passed = false
        if spec.isRange {
            if pass != nil { reasons.append("give a value, not pass/fail: the test has a numeric specification") }
            if let value {
                if !value.isFinite {
                    reasons.append("the value must be a finite number")
                } else if value < 0 && !signedUnits.contains(sample.unit ?? "") {
                    reasons.append(
                        "\(value) \(sample.unit ?? "") is negative: a \(sample.test) result cannot be below zero")
                } else {
                    passed = spec.accepts(value)
                }
            } else {
                reasons.append("test '\(sample.test)' needs a numeric value\(sample.unit.map { " in \($0)" } ?? "")")
            }
        } else {
            if value != nil { reasons.append("test '\(sample.test)' is pass/fail: give pass: true or false, not a value") }
            if let pass { passed = pass } else { reasons.append("test '\(sample.test)' is pass/fail: give pass: true or false") }
        }
        let isRepeat = previousResults > 0
        if isRepeat && (reason?.trimmingCharacters(in: .whitespaces).isEmpty ?? true) {
            reasons.append(
                "the sample already has a result: a repeat needs a reason (the first result is kept)")
        }
        guard reasons.isEmpty else {
            return .failure(GMPError(.invalid, reasons.joined(separator: "; "), details: reasons.count > 1 ? reasons : []))
        }
        return .success(ResultDecision(passed: passed, isRepeat: isRepeat))
    }
}

/// QA's decision on a supplier lot (EU GMP chapter 5), as a pure function listing every reason.
public enum MaterialRules {
    /// `tests` gives each sample of the lot with whether its latest result passed (nil: none yet);
    /// `today` is `YYYY-MM-DD`.
    public static func decide(
        _ lot: MaterialLot, release: Bool, tests: [(test: String, passed: Bool?)], today: String
    ) -> GMPError? {
        var reasons: [String] = []
        // A released lot may still be rejected: a recall.
        let recall = lot.status == .released && !release
        if lot.status != .quarantine && lot.status != .sampled && !recall {
            return GMPError(.conflict, "lot \(lot.id) is already \(lot.status.rawValue)")
        }
        if release {
            if tests.isEmpty { reasons.append("lot \(lot.id) has not been sampled and tested") }
            for t in tests where t.passed != true {
                reasons.append("lot \(lot.id): test '\(t.test)' has no passing result")
            }
            if lot.expiry <= today { reasons.append("lot \(lot.id) expired on \(lot.expiry): an expired lot is never released") }
        }
        guard !reasons.isEmpty else { return nil }
        return GMPError(.conflict, reasons.joined(separator: "; "), details: reasons.count > 1 ? reasons : [])
    }
}
