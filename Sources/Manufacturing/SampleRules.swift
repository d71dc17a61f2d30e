import Bioprocess
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
        var passed = false
        if let spec = sample.specification, case .range(_, _, let unit) = spec {
            if pass != nil { reasons.append("give a value, not pass/fail: the test has a numeric specification") }
            if let value {
                if !value.isFinite {
                    reasons.append("the value must be a finite number")
                } else if value < 0 && !signedUnits.contains(unit) {
                    reasons.append("\(Figure.text(value)) \(unit) is negative: a \(sample.test) result cannot be below zero")
                } else {
                    passed = spec.accepts(value)
                }
            } else {
                reasons.append("test '\(sample.test)' needs a numeric value in \(unit)")
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

extension SampleRules {
    /// The specification a new sample of a batch takes: the approved recipe's for a release
    /// panel test (which must be in the panel) or for an in-process test the recipe names —
    /// then the client may send none other —, else the client's.
    public static func specification(
        recipe: MasterRecipe, test: String, panel: ReleasePanel?, given: QCSpecification?
    ) -> Result<QCSpecification?, GMPError> {
        let specified: QCSpecification?
        if let panel {
            guard let t = recipe.releaseTests.first(where: { $0.test == test && $0.panel == panel }) else {
                return .failure(
                    GMPError(
                        .invalid, "the recipe's \(panel.title) panel has no test '\(test)'",
                        details: ["expected one of: " + recipe.releaseTests.filter { $0.panel == panel }.map(\.test).joined(separator: ", ")]))
            }
            specified = t.specification
        } else {
            specified = recipe.phases.flatMap(\.samples).first { $0.test == test && $0.panel == nil }?.specification
        }
        guard let specified else { return .success(given) }
        guard given == nil || given == specified else {
            return .failure(
                GMPError(.invalid, "test '\(test)' is specified by the approved recipe (\(specified.text)); send no other specification"))
        }
        return .success(specified)
    }
}

/// QA's decisions on a supplier lot (EU GMP chapter 5), as pure functions listing every reason.
public enum MaterialRules {
    /// Why a lot may not be used today (`YYYY-MM-DD`): empty when it may.
    public static func usable(_ lot: MaterialLot, today: String) -> [String] {
        var reasons: [String] = []
        if lot.status != .released { reasons.append("lot \(lot.id) is \(lot.status.rawValue), not released by QA") }
        if lot.expiry < today { reasons.append("lot \(lot.id) expired on \(lot.expiry)") }
        if let retest = lot.retest, retest < today {
            reasons.append("lot \(lot.id) was due for retest on \(retest): test it again before use")
        }
        return reasons
    }

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
            if let retest = lot.retest, retest < today {
                reasons.append("lot \(lot.id) was due for retest on \(retest): set a new retest date after a passing retest")
            }
        }
        guard !reasons.isEmpty else { return nil }
        return GMPError(.conflict, reasons.joined(separator: "; "), details: reasons.count > 1 ? reasons : [])
    }

    /// A new retest date after a retest: later than today, no later than the expiry, and a
    /// result passing since the retest came due (`latestPass`: the time of the latest passing
    /// result of the lot's samples).
    public static func retest(_ lot: MaterialLot, until date: String, latestPass: String?, today: String) -> GMPError? {
        var reasons: [String] = []
        if lot.status == .rejected { reasons.append("lot \(lot.id) is rejected") }
        if date <= today { reasons.append("the new retest date \(date) must be after today (\(today))") }
        if date > lot.expiry { reasons.append("the retest date \(date) is after the lot's expiry \(lot.expiry)") }
        let since = lot.retest ?? ""
        if latestPass.map({ String($0.prefix(10)) >= since }) != true {
            reasons.append(
                lot.retest.map { "lot \(lot.id) has no passing result since its retest came due on \($0)" }
                    ?? "lot \(lot.id) has no passing result")
        }
        guard !reasons.isEmpty else { return nil }
        return GMPError(.conflict, reasons.joined(separator: "; "), details: reasons.count > 1 ? reasons : [])
    }

    /// A released lot rejected after use: every batch that used it (`used`: its id and
    /// status) goes on hold, and each gets a recall deviation, which blocks its release.
    public static func recall(
        _ lot: MaterialLot, reason: String, used: [(batch: String, status: BatchStatus)]
    ) -> (holds: [(batch: String, status: BatchStatus)], deviations: [DeviationToOpen]) {
        var holds: [(String, BatchStatus)] = []
        var deviations: [DeviationToOpen] = []
        for (batch, status) in used {
            if let held = BatchRules.hold(status) { holds.append((batch, held)) }
            deviations.append(
                DeviationToOpen(
                    kind: .recall, batchID: batch,
                    description: "material lot \(lot.id) (\(lot.item), supplier lot \(lot.supplierLot)) was recalled: \(reason)"))
        }
        return (holds, deviations)
    }
}
