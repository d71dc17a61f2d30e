/// An account as the sign-in rules see it.
public struct AccountState: Sendable, Hashable {
    public var userID: String
    public var role: Role
    public var active: Bool
    /// Wrong passwords in a row, at sign-in or at a signature.
    public var failedAuthentications: Int

    public init(userID: String, role: Role, active: Bool, failedAuthentications: Int) {
        self.userID = userID
        self.role = role
        self.active = active
        self.failedAuthentications = failedAuthentications
    }
}

/// What an account rule decides: the account's new state, and why it was disabled if it was.
public struct AccountChange: Sendable, Hashable {
    public var account: AccountState
    /// Set when this change disables the account.
    public var disabledBecause: String?
    /// Set when the rules kept an account active that would otherwise be disabled.
    public var keptActiveBecause: String?
}

/// The account rules of 21 CFR Part 11 §11.300 and EU GMP Annex 11 §12, as pure functions:
/// a wrong password at sign-in *or at a signature* counts, five in a row disable the account,
/// a correct one resets the count, and no rule can leave the site without an active
/// administrator (who would then lock everyone out for good).
public enum AccountRules {
    /// Consecutive wrong passwords after which an account is disabled.
    public static let maxFailedAuthentications = 5

    /// A wrong password. `activeAdministrators` counts the active administrators, this one included.
    public static func failedAuthentication(_ a: AccountState, activeAdministrators: Int) -> AccountChange {
        var next = a
        next.failedAuthentications += 1
        guard a.active, next.failedAuthentications >= maxFailedAuthentications else {
            return AccountChange(account: next)
        }
        if a.role == .administrator && activeAdministrators <= 1 {
            return AccountChange(
                account: next,
                keptActiveBecause:
                    "\(next.failedAuthentications) failed authentications in a row (passwords or codes), but this is the last active administrator")
        }
        next.active = false
        return AccountChange(
            account: next, disabledBecause: "\(next.failedAuthentications) failed authentications in a row (passwords or codes)")
    }

    /// A correct password: the count starts again.
    public static func succeededAuthentication(_ a: AccountState) -> AccountChange {
        var next = a
        next.failedAuthentications = 0
        return AccountChange(account: next)
    }

    /// An administrator disables or re-activates an account. Re-activating resets the count;
    /// the last active administrator cannot be disabled.
    public static func setActive(
        _ target: AccountState, active: Bool, activeAdministrators: Int
    ) -> Result<AccountChange, GMPError> {
        if !active, target.active, target.role == .administrator, activeAdministrators <= 1 {
            return .failure(
                GMPError(
                    .conflict,
                    "the last active administrator cannot be disabled: activate another administrator first"))
        }
        var next = target
        next.active = active
        next.failedAuthentications = 0
        return .success(AccountChange(account: next, disabledBecause: active ? nil : "disabled by an administrator"))
    }

    /// Someone with access to the database itself (`vectorfab admin unlock`) re-activates an
    /// account: the way back when no administrator can sign in.
    public static func unlock(_ target: AccountState) -> AccountChange {
        var next = target
        next.active = true
        next.failedAuthentications = 0
        return AccountChange(account: next)
    }
}

/// Who may approve a master recipe.
public enum RecipeRules {
    /// Segregation of duties (EU GMP chapter 4, Annex 11 §2): a draft is approved by QA, and never
    /// by the person who created it. Every reason is listed.
    public static func approve(status: RecipeStatus, author: String, approver: User) -> GMPError? {
        ApprovalRules.approve("recipe", status: status, author: author, approver: approver)
    }
}

/// Approval of versioned, approved data (recipes, monitoring limits): a draft only, never by
/// its author.
public enum ApprovalRules {
    public static func approve(_ what: String, status: RecipeStatus, author: String, approver: User) -> GMPError? {
        var reasons: [String] = []
        if status != .draft { reasons.append("the \(what) is \(status.rawValue), not a draft") }
        if author == approver.id { reasons.append("\(approver.fullName) created this \(what) and cannot approve it") }
        guard !reasons.isEmpty else { return nil }
        let kind: GMPError.Kind = author == approver.id ? .forbidden : .conflict
        return GMPError(kind, reasons.joined(separator: "; "), details: reasons)
    }
}
