import Foundation

/// The deviation lifecycle (EU GMP chapter 1.4 (xiv) and 8, ICH Q10): open → investigation →
/// CAPA → closed, one signed step at a time. The investigation classifies the deviation and
/// states its root cause before CAPA; a major or critical deviation needs at least one
/// corrective or preventive action, each with an owner and a due date; QA closes a deviation
/// only once every action is done.
public enum DeviationRules {
    public static let maxText = 4000

    public static func advance(
        _ d: Deviation, to status: DeviationStatus, by user: User, note: String, actions: [CAPAAction] = []
    ) -> Result<Deviation, GMPError> {
        var reasons: [String] = []
        if d.status.next != status {
            reasons.append(
                "deviation \(d.id) is \(d.status.words): it can only move to \(d.status.next?.words ?? "nothing (it is closed)")")
        }
        if status == .closed && user.role != .qa { reasons.append("only QA closes a deviation") }
        if note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { reasons.append("each step needs a note") }
        if status == .capa || status == .closed {
            if d.classification == nil { reasons.append("the investigation has not classified it (minor, major or critical)") }
            if (d.rootCause ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                reasons.append("the investigation has not stated its root cause")
            }
        }
        if status == .closed {
            let mine = actions.filter { $0.deviationID == d.id }
            if d.classification != .minor && d.classification != nil && mine.isEmpty {
                reasons.append("a \(d.classification!.rawValue) deviation needs at least one corrective or preventive action")
            }
            for a in mine where a.status != .done { reasons.append("action \(a.id) '\(clip(a.action))' is not done (due \(a.due))") }
        }
        guard reasons.isEmpty else {
            return .failure(BatchRules.refuse(status == .closed && user.role != .qa ? .forbidden : .conflict, reasons))
        }
        var next = d
        next.status = status
        return .success(next)
    }

    /// What a signature on each step means.
    public static func meaning(of status: DeviationStatus) -> SignatureMeaning { status == .closed ? .approved : .reviewed }

    /// The investigation's findings: the class and the root cause, while the deviation is open or
    /// under investigation. Changing a class or a root cause already stated needs a reason.
    public static func investigate(
        _ d: Deviation, classification: DeviationClass?, rootCause: String?, reason: String
    ) -> Result<Deviation, GMPError> {
        var reasons: [String] = []
        if d.status != .open && d.status != .investigation {
            reasons.append("deviation \(d.id) is \(d.status.words): its findings are settled")
        }
        if classification == nil && rootCause == nil { reasons.append("give a classification or a root cause") }
        if let rootCause {
            if rootCause.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { reasons.append("the root cause is empty") }
            if rootCause.count > maxText { reasons.append("the root cause is longer than \(maxText) characters") }
        }
        let changes = (classification != nil && d.classification != nil && classification != d.classification)
            || (rootCause != nil && d.rootCause != nil && rootCause != d.rootCause)
        if changes && reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            reasons.append("changing a finding already stated needs its reason")
        }
        guard reasons.isEmpty else { return .failure(BatchRules.refuse(.conflict, reasons)) }
        var next = d
        if let classification { next.classification = classification }
        if let rootCause { next.rootCause = rootCause }
        return .success(next)
    }

    /// A corrective or preventive action: during the investigation or CAPA, owned by an active
    /// person who takes GMP decisions (not an administrator), due today or later.
    public static func addAction(
        _ d: Deviation, action: String, owner: User, due: String, id: String, today: String
    ) -> Result<CAPAAction, GMPError> {
        var reasons: [String] = []
        if d.status != .investigation && d.status != .capa {
            reasons.append("deviation \(d.id) is \(d.status.words): actions are planned under investigation or at CAPA")
        }
        let text = action.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { reasons.append("the action must say what is to be done") }
        if action.count > maxText { reasons.append("the action is longer than \(maxText) characters") }
        if !owner.active { reasons.append("\(owner.fullName)'s account is disabled") }
        if owner.role == .administrator { reasons.append("an administrator takes no GMP action: choose another owner") }
        if !Day.isValid(due) {
            reasons.append("the due date '\(due)' is not a date written YYYY-MM-DD")
        } else if due < today {
            reasons.append("the due date \(due) is before today (\(today))")
        }
        guard reasons.isEmpty else { return .failure(BatchRules.refuse(Day.isValid(due) && !text.isEmpty ? .conflict : .invalid, reasons)) }
        return .success(CAPAAction(id: id, deviationID: d.id, action: text, ownerID: owner.id, due: due, status: .open))
    }

    /// An action done, by its owner or by QA, with what was done.
    public static func completeAction(_ a: CAPAAction, of d: Deviation, by user: User, note: String, at: String) -> Result<
        CAPAAction, GMPError
    > {
        var reasons: [String] = []
        if a.status == .done { reasons.append("action \(a.id) is already done") }
        if d.status == .closed { reasons.append("deviation \(d.id) is closed") }
        if user.id != a.ownerID && user.role != .qa { reasons.append("only the action's owner or QA marks it done") }
        if note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { reasons.append("say what was done") }
        if note.count > maxText { reasons.append("the note is longer than \(maxText) characters") }
        guard reasons.isEmpty else {
            let forbidden = user.id != a.ownerID && user.role != .qa
            return .failure(BatchRules.refuse(forbidden ? .forbidden : .conflict, reasons))
        }
        var done = a
        done.status = .done
        done.doneNote = note
        done.doneAt = at
        return .success(done)
    }

    static func clip(_ s: String) -> String { s.count > 60 ? s.prefix(59) + "…" : s }

}

/// The second factor on the signatures that matter (21 CFR 11.200: two distinct identification
/// components): a release or an approval needs a one-time code from the signer's authenticator
/// when they enrolled one, and an administrator can make it compulsory for a role — then a
/// signer of that role who has not enrolled cannot sign such a signature at all.
public enum SecondFactorRules {
    /// The meanings that need the second factor.
    public static let meanings: Set<SignatureMeaning> = [.released, .approved]

    /// Why this signature cannot be made as it is, or nil: `enrolled` whether the signer has a
    /// confirmed authenticator, `enforced` whether their role must have one, `codeGiven` whether
    /// a code came with the signature (it is checked against the authenticator afterwards).
    public static func refusal(meaning: SignatureMeaning, role: Role, enrolled: Bool, enforced: Bool, codeGiven: Bool) -> GMPError? {
        guard meanings.contains(meaning) else { return nil }
        if enforced && !enrolled {
            return GMPError(
                .unauthenticated,
                "\(role.withArticle)'s \(meaning.rawValue) signature needs a second factor: enrol an authenticator on your profile page first")
        }
        if enrolled && !codeGiven {
            return GMPError(.unauthenticated, "a \(meaning.rawValue) signature needs the 6-digit code of your authenticator")
        }
        return nil
    }
}
