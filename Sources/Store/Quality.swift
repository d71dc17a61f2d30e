import Bioprocess
import Foundation
import HummingbirdOTP
import Manufacturing
import SQLKit

// MARK: - Deviation findings and CAPA

extension GMPStore {
    static func action(_ row: any SQLRow) throws -> CAPAAction {
        CAPAAction(
            id: try row.decode(column: "id", as: String.self), deviationID: try row.decode(column: "deviation_id", as: String.self),
            action: try row.decode(column: "action", as: String.self), ownerID: try row.decode(column: "owner_id", as: String.self),
            due: try row.decode(column: "due", as: String.self), status: try row.decodeEnum(column: "status", as: CAPAStatus.self),
            doneNote: try row.decode(column: "done_note", as: String?.self), doneAt: try row.decode(column: "done_at", as: String?.self))
    }

    func actions(_ db: any SQLDatabase, deviation id: String) async throws -> [CAPAAction] {
        try await db.raw("SELECT * FROM capa_actions WHERE deviation_id = \(bind: id) ORDER BY created_at, id").all().map(Self.action)
    }

    func deviation(_ db: any SQLDatabase, _ id: String) async throws -> Deviation {
        guard let row = try await db.raw("SELECT * FROM deviations WHERE id = \(bind: id)").first() else {
            throw GMPError(.notFound, "no deviation \(id)")
        }
        return try Self.deviation(row)
    }

    /// One deviation with its corrective and preventive actions and its signatures.
    public func deviation(_ user: User, id: String) async throws -> (deviation: Deviation, actions: [CAPAAction], signatures: [Signature]) {
        try require(user, .readRecords)
        return try await connection.read { db in
            let d = try await self.deviation(db, id)
            let signatures = try await db.raw("SELECT * FROM signatures WHERE entity = 'deviation' AND entity_id = \(bind: id) ORDER BY at")
                .all().map(Self.signature)
            return (d, try await self.actions(db, deviation: id), signatures)
        }
    }

    /// Every corrective and preventive action, or those of one owner: the CAPA board.
    public func actions(_ user: User, owner: String? = nil, status: CAPAStatus? = nil, page: Page = Page()) async throws -> [CAPAAction] {
        try await list(
            "capa_actions", order: "due", filters: [("owner_id", owner), ("status", status?.rawValue)], page: page, user: user,
            decode: Self.action)
    }

    /// The investigation's findings: the classification and the root cause (``DeviationRules``).
    public func investigateDeviation(
        _ user: User, id: String, classification: DeviationClass?, rootCause: String?, reason: String
    ) async throws -> Deviation {
        try require(user, .investigateDeviation)
        if let rootCause { try Self.requireText(rootCause, "the root cause", max: DeviationRules.maxText) }
        if !reason.isEmpty { try Self.requireReason(reason) }
        let at = now()
        return try await connection.transaction { db in
            let was = try await self.deviation(db, id)
            let d = try DeviationRules.investigate(was, classification: classification, rootCause: rootCause, reason: reason).get()
            try await self.sealed(
                db, "deviations",
                "UPDATE deviations SET classification = \(bind: d.classification?.rawValue), root_cause = \(bind: d.rootCause) WHERE id = \(bind: id)",
                by: user.id, at: at)
            if d.classification != was.classification {
                try await self.audit(
                    db, user: user.id, action: .update, entity: "deviation", id: id, field: "classification",
                    old: was.classification?.rawValue, new: d.classification?.rawValue, reason: reason.isEmpty ? nil : reason, at: at)
            }
            if d.rootCause != was.rootCause {
                try await self.audit(
                    db, user: user.id, action: .update, entity: "deviation", id: id, field: "root cause", old: was.rootCause,
                    new: d.rootCause, reason: reason.isEmpty ? nil : reason, at: at)
            }
            return d
        }
    }

    /// A corrective or preventive action with its owner and due date.
    public func addAction(_ user: User, deviation id: String, action: String, owner: String, due: String) async throws -> CAPAAction {
        try require(user, .investigateDeviation)
        try Self.requireText(action, "the action", max: DeviationRules.maxText)
        let at = now()
        return try await connection.transaction { db in
            let d = try await self.deviation(db, id)
            guard let row = try await db.raw("SELECT * FROM users WHERE id = \(bind: owner) OR username = \(bind: owner)").first() else {
                throw GMPError(.notFound, "no user \(owner) to own the action")
            }
            let a = try DeviationRules.addAction(
                d, action: action, owner: try Self.user(row), due: due, id: Self.newID("capa"), today: String(at.prefix(10))
            ).get()
            try await self.sealed(
                db, "capa_actions",
                """
                INSERT INTO capa_actions (id, deviation_id, action, owner_id, due, status, created_by, created_at)
                VALUES (\(bind: a.id), \(bind: id), \(bind: a.action), \(bind: a.ownerID), \(bind: a.due), 'open', \(bind: user.id), \(bind: at))
                """, by: user.id, at: at)
            try await self.audit(
                db, user: user.id, action: .create, entity: "capa", id: a.id, field: "action", new: "\(a.action) — due \(a.due)",
                reason: "for deviation \(id)", at: at)
            return a
        }
    }

    /// An action done, by its owner or QA, saying what was done.
    public func completeAction(_ user: User, action id: String, note: String) async throws -> CAPAAction {
        try require(user, .readRecords)
        try Self.requireText(note, "what was done", max: DeviationRules.maxText)
        let at = now()
        return try await connection.transaction { db in
            guard let row = try await db.raw("SELECT * FROM capa_actions WHERE id = \(bind: id)").first() else {
                throw GMPError(.notFound, "no corrective or preventive action \(id)")
            }
            let was = try Self.action(row)
            let d = try await self.deviation(db, was.deviationID)
            let a = try DeviationRules.completeAction(was, of: d, by: user, note: note, at: at).get()
            try await self.sealed(
                db, "capa_actions",
                "UPDATE capa_actions SET status = 'done', done_note = \(bind: note), done_at = \(bind: at) WHERE id = \(bind: id)", by: user.id,
                at: at)
            try await self.audit(db, user: user.id, action: .complete, entity: "capa", id: id, field: "status", old: "open", new: "done", reason: note, at: at)
            return a
        }
    }
}

// MARK: - Item specifications

/// A test a material item's lots must pass before QA releases them.
public struct ItemTest: Codable, Sendable, Hashable {
    public var item: String
    public var test: String
    public var specification: QCSpecification?

    public var specificationText: String { specification?.text ?? "pass: conforms" }
}

extension GMPStore {
    static func itemTest(_ row: any SQLRow) throws -> ItemTest {
        ItemTest(
            item: try row.decode(column: "item", as: String.self), test: try row.decode(column: "test", as: String.self),
            specification: try Self.specification(row))
    }

    /// The item's specification: the tests its lots are sampled for.
    public func itemTests(_ user: User, item: String) async throws -> [ItemTest] {
        try require(user, .readRecords)
        return try await connection.read { db in
            try await db.raw("SELECT * FROM item_tests WHERE item = \(bind: item) ORDER BY test").all().map(Self.itemTest)
        }
    }

    /// A test added to an item's specification (a range or pass/fail); a test is never changed
    /// once given — a new item code carries a new specification.
    public func addItemTest(_ user: User, item: String, test: String, specification: QCSpecification?) async throws -> ItemTest {
        try require(user, .defineMaterial)
        try Self.requireText(test, "the test's name", max: 200)
        if let s = specification, case .failure(let e) = QCSpecification.from(low: s.low, high: s.high, unit: s.unit, criterion: s.criterion) {
            throw GMPError(.invalid, e.description, details: e.problems.count > 1 ? e.problems : [])
        }
        let at = now()
        return try await connection.transaction { db in
            guard try await db.raw("SELECT code FROM material_items WHERE code = \(bind: item)").first() != nil else {
                throw GMPError(.notFound, "no material item \(item)")
            }
            if try await db.raw("SELECT id FROM item_tests WHERE item = \(bind: item) AND test = \(bind: test)").first() != nil {
                throw GMPError(.conflict, "item \(item) already has the test '\(test)'")
            }
            let count = try await db.raw("SELECT COUNT(*) AS n FROM item_tests WHERE item = \(bind: item)").first()?.decode(column: "n", as: Int.self) ?? 0
            guard count < 50 else { throw GMPError(.conflict, "item \(item) has 50 tests, the most an item may have") }
            let t = ItemTest(item: item, test: test, specification: specification)
            try await self.sealed(
                db, "item_tests",
                """
                INSERT INTO item_tests (id, item, test, low, high, unit, criterion, created_by, created_at)
                VALUES (\(bind: Self.newID("spec")), \(bind: item), \(bind: test), \(bind: specification?.low), \(bind: specification?.high),
                \(bind: specification?.unit), \(bind: specification?.criterion), \(bind: user.id), \(bind: at))
                """, by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .create, entity: "item", id: item, field: "test", new: "\(test) (\(t.specificationText))", at: at)
            return t
        }
    }

    /// A lot sampled for every test of its item's specification (the samples its release needs).
    public func sampleLot(_ user: User, lot id: String) async throws -> [QCSample] {
        try require(user, .sampleMaterial)
        let (lot, tests): (MaterialLot, [ItemTest]) = try await connection.read { db in
            let lot = try await self.lot(db, id)
            return (lot, try await db.raw("SELECT * FROM item_tests WHERE item = \(bind: lot.item) ORDER BY test").all().map(Self.itemTest))
        }
        guard !tests.isEmpty else { throw GMPError(.conflict, "item \(lot.item) has no test in its specification: add one first") }
        guard lot.status == .quarantine else { throw GMPError(.conflict, "lot \(id) is \(lot.status.rawValue): only a lot in quarantine is sampled for its specification") }
        var samples: [QCSample] = []
        for t in tests { samples.append(try await createSample(user, batch: nil, materialLot: id, test: t.test, specification: t.specification)) }
        return samples
    }
}

// MARK: - Second factor

/// Where a person's authenticator stands.
public struct SecondFactorState: Sendable, Hashable {
    /// Whether a confirmed authenticator is enrolled.
    public var enrolled: Bool
    /// Whether their role must use one for releases and approvals.
    public var enforced: Bool
}

extension GMPStore {
    /// The TOTP parameters every authenticator app reads: 6 digits, 30 s, HMAC-SHA1 (RFC 6238).
    static func totp(_ secret: String) -> TOTP { TOTP(secret: secret) }

    /// Codes of the step before and after the current one are accepted (clock drift), each at most once.
    static let allowedDrift: Int64 = 1

    func secondFactor(_ db: any SQLDatabase, _ userID: String) async throws -> (secret: String, confirmed: Bool, lastStep: Int64)? {
        guard let row = try await db.raw("SELECT * FROM second_factors WHERE user_id = \(bind: userID)").first() else { return nil }
        return (
            try row.decode(column: "secret", as: String.self), try row.decode(column: "confirmed", as: Int.self) != 0,
            Int64(try row.decode(column: "last_step", as: Int.self))
        )
    }

    func enforced(_ db: any SQLDatabase, _ role: Role) async throws -> Bool {
        try await db.raw("SELECT second_factor FROM role_policies WHERE role = \(bind: role.rawValue)").first()?
            .decode(column: "second_factor", as: Int.self) == 1
    }

    /// The step of a valid, unused code, or nil.
    func matchingStep(_ secret: String, code: String, after lastStep: Int64) -> Int64? {
        guard code.count == 6, code.allSatisfy(\.isASCII), let value = Int(code) else { return nil }
        let now = Int64(clock().timeIntervalSince1970) / 30
        let otp = Self.totp(secret)
        for step in (now - Self.allowedDrift)...(now + Self.allowedDrift) where step > lastStep {
            if otp.compute(date: Date(timeIntervalSince1970: TimeInterval(step * 30))) == value { return step }
        }
        return nil
    }

    /// Before a transaction: a code given for an authenticator that does not match (wrong,
    /// expired or replayed) counts toward lock-out like a wrong password, so the six digits
    /// cannot be guessed by trying. The check inside the transaction still decides (two
    /// signatures racing with one code).
    func checkCodeCountingFailures(_ user: User, code: String, enrolment: Bool) async throws {
        let factor = try await connection.read { db in try await self.secondFactor(db, user.id) }
        guard let factor, factor.confirmed != enrolment else { return }
        guard matchingStep(factor.secret, code: code.trimmingCharacters(in: .whitespaces), after: factor.lastStep) == nil else { return }
        try await recordFailedAuthentication(userID: user.id, what: "wrong second-factor code")
        throw GMPError(
            .unauthenticated,
            enrolment
                ? "the authenticator's code is wrong or expired: check the phone's clock and try the next code"
                : "the authenticator's code is wrong, expired or already used")
    }

    /// Inside a signing transaction: the second factor the signature needs, checked and used up.
    func checkSecondFactor(_ db: any SQLDatabase, _ ticket: PasswordTicket, meaning: SignatureMeaning) async throws {
        guard SecondFactorRules.meanings.contains(meaning) else { return }
        let factor = try await secondFactor(db, ticket.user.id)
        let enrolled = factor?.confirmed == true
        if let refusal = SecondFactorRules.refusal(
            meaning: meaning, role: ticket.user.role, enrolled: enrolled, enforced: try await enforced(db, ticket.user.role),
            codeGiven: ticket.code != nil)
        {
            throw refusal
        }
        guard enrolled, let factor, let code = ticket.code else { return }
        guard let step = matchingStep(factor.secret, code: code, after: factor.lastStep) else {
            throw GMPError(.unauthenticated, "the authenticator's code is wrong, expired or already used")
        }
        try await sealed(
            db, "second_factors", "UPDATE second_factors SET last_step = \(bind: Int(step)) WHERE user_id = \(bind: ticket.user.id)",
            by: ticket.user.id, at: now())
    }

    public func secondFactorState(_ user: User) async throws -> SecondFactorState {
        try await connection.read { db in
            SecondFactorState(
                enrolled: try await self.secondFactor(db, user.id)?.confirmed == true, enforced: try await self.enforced(db, user.role))
        }
    }

    /// Starts enrolling an authenticator: a new secret (replacing one not yet confirmed) and the
    /// `otpauth://` address authenticator apps read. Refused once one is confirmed: an
    /// administrator removes it first (a lost phone).
    public func beginEnrolment(_ user: User) async throws -> (secret: String, url: String) {
        try require(user, .readRecords)
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var rng = SystemRandomNumberGenerator()
        let secret = String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
        let at = now()
        try await connection.transaction { db in
            if let factor = try await self.secondFactor(db, user.id) {
                if factor.confirmed { throw GMPError(.conflict, "an authenticator is already enrolled: an administrator removes it before another is enrolled") }
                try await self.sealed(
                    db, "second_factors", "UPDATE second_factors SET secret = \(bind: secret), enrolled_at = \(bind: at) WHERE user_id = \(bind: user.id)",
                    by: user.id, at: at)
            } else {
                try await self.sealed(
                    db, "second_factors",
                    "INSERT INTO second_factors (user_id, secret, confirmed, last_step, enrolled_at) VALUES (\(bind: user.id), \(bind: secret), 0, 0, \(bind: at))",
                    by: user.id, at: at)
            }
            try await self.audit(db, user: user.id, action: .create, entity: "user", id: user.id, field: "second factor", new: "enrolment started", at: at)
        }
        return (secret, Self.totp(secret).createAuthenticatorURL(label: "VectorFab:\(user.username)", issuer: "VectorFab"))
    }

    /// Confirms the enrolment with the password and a first code from the authenticator.
    public func confirmEnrolment(_ user: User, password: String, code: String) async throws {
        let ticket = try await verifyPassword(user, password)
        try await checkCodeCountingFailures(user, code: code, enrolment: true)
        let at = now()
        try await connection.transaction { db in
            try await self.confirm(db, ticket)
            guard let factor = try await self.secondFactor(db, user.id), !factor.confirmed else {
                throw GMPError(.conflict, "no enrolment is waiting for its first code: start one")
            }
            guard let step = self.matchingStep(factor.secret, code: code.trimmingCharacters(in: .whitespaces), after: factor.lastStep) else {
                throw GMPError(.unauthenticated, "the authenticator's code is wrong or expired: check the phone's clock and try the next code")
            }
            try await self.sealed(
                db, "second_factors", "UPDATE second_factors SET confirmed = 1, last_step = \(bind: Int(step)) WHERE user_id = \(bind: user.id)",
                by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .update, entity: "user", id: user.id, field: "second factor", old: "none", new: "enrolled", at: at)
        }
    }

    /// An administrator removes a person's authenticator (lost or replaced), with the reason.
    public func removeSecondFactor(by admin: User, userID: String, reason: String) async throws {
        try require(admin, .manageUsers)
        try Self.requireReason(reason)
        let at = now()
        try await connection.transaction { db in
            guard try await self.secondFactor(db, userID) != nil else { throw GMPError(.notFound, "user \(userID) has no authenticator") }
            try await db.raw("DELETE FROM second_factors WHERE user_id = \(bind: userID)").run()
            // The row's seal is superseded: a removal entry says the row is gone on purpose.
            try await self.audit(db, user: admin.id, action: .seal, entity: "second_factors", id: userID, new: nil, reason: reason, at: at)
            try await self.audit(db, user: admin.id, action: .update, entity: "user", id: userID, field: "second factor", old: "enrolled", new: "removed", reason: reason, at: at)
        }
    }

    /// The people with a confirmed authenticator (administrators see who, to remove a lost one).
    public func enrolledUsers(_ user: User) async throws -> Set<String> {
        try require(user, .manageUsers)
        return try await connection.read { db in
            Set(try await db.raw("SELECT user_id FROM second_factors WHERE confirmed = 1").all().map { try $0.decode(column: "user_id", as: String.self) })
        }
    }

    /// Which roles must sign releases and approvals with a second factor.
    public func secondFactorPolicies(_ user: User) async throws -> [Role: Bool] {
        try require(user, .readRecords)
        return try await connection.read { db in
            var policies: [Role: Bool] = [:]
            for row in try await db.raw("SELECT * FROM role_policies").all() {
                if let role = Role(rawValue: try row.decode(column: "role", as: String.self)) {
                    policies[role] = try row.decode(column: "second_factor", as: Int.self) == 1
                }
            }
            return policies
        }
    }

    /// An administrator makes the second factor compulsory (or not) for a role's releases and approvals.
    public func setSecondFactorPolicy(by admin: User, role: Role, required: Bool, reason: String) async throws {
        try require(admin, .manageUsers)
        try Self.requireReason(reason)
        let at = now()
        try await connection.transaction { db in
            let was = try await self.enforced(db, role)
            let exists = try await db.raw("SELECT role FROM role_policies WHERE role = \(bind: role.rawValue)").first() != nil
            let value = required ? 1 : 0
            if exists {
                try await self.sealed(
                    db, "role_policies",
                    "UPDATE role_policies SET second_factor = \(bind: value), set_by = \(bind: admin.id), set_at = \(bind: at) WHERE role = \(bind: role.rawValue)",
                    by: admin.id, at: at)
            } else {
                try await self.sealed(
                    db, "role_policies",
                    "INSERT INTO role_policies (role, second_factor, set_by, set_at) VALUES (\(bind: role.rawValue), \(bind: value), \(bind: admin.id), \(bind: at))",
                    by: admin.id, at: at)
            }
            try await self.audit(
                db, user: admin.id, action: .update, entity: "policy", id: role.rawValue, field: "second factor", old: was ? "required" : "optional",
                new: required ? "required" : "optional", reason: reason, at: at)
        }
    }
}
