import Foundation
import Logging
import Manufacturing
import SQLKit

/// The GMP record store: users and sessions, electronic signatures, master recipes, materials,
/// batch records, QC, deviations, release, genealogy and the hash-chained audit trail, over
/// SQLite or PostgreSQL through one SQLKit implementation.
///
/// Every change runs in one transaction with its audit entries: it is all stored or nothing
/// is. Every query binds its values (no SQL is built from input).
public final class GMPStore: Sendable {
    let connection: Connection
    let clock: @Sendable () -> Date
    let passwordIterations: Int
    public let location: DatabaseLocation
    let recipeCache = RecipeCache()
    let signatureKeys = SignatureKeys()
    /// This open store, unlike any other opened in this process (for keys of kept results).
    public let instance = UUID()

    /// How long a session lasts.
    public static let sessionLength: TimeInterval = 12 * 3600

    init(connection: Connection, location: DatabaseLocation, clock: @escaping @Sendable () -> Date, passwordIterations: Int) {
        self.connection = connection
        self.location = location
        self.clock = clock
        self.passwordIterations = passwordIterations
    }

    /// Opens (creating an SQLite file on first use) and, unless `migrate` is false, migrates the
    /// store. On failure the connection is closed before the error is thrown.
    public static func open(
        _ location: DatabaseLocation, clock: @escaping @Sendable () -> Date = { Date() }, passwordIterations: Int = 210_000,
        migrate: Bool = true, logger: Logger = Logger(label: "vectorfab.store")
    ) async throws -> GMPStore {
        let store = GMPStore(
            connection: try await Connection.open(location, logger: logger), location: location, clock: clock,
            passwordIterations: passwordIterations)
        if migrate {
            do {
                _ = try await store.migrate()
            } catch {
                try? await store.close()
                throw error
            }
        }
        return store
    }

    public func close() async throws { try await connection.close() }

    /// Runs SQL in one transaction on the store's connection, bypassing every GMP rule and the
    /// audit trail: for benchmarks (the raw rate of the same database) and tests only.
    public func unauditedTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await connection.transaction(chain: false) { db in
            // The SQL may touch the audit table itself: the writer reads the chain's head again.
            (db as? WriteSession)?.forgetHead()
            return try await body(db)
        }
    }

    /// Transactions the writer ran and the writes they carried since the store opened (group
    /// commit puts several writes in one transaction).
    public var writeStatistics: (transactions: Int, writes: Int) { connection.writeStatistics }

    /// Applies pending schema migrations; returns those applied.
    @discardableResult
    /// Applies pending migrations; when the one that brings sealed records is among them, seals
    /// every row written before (each gets its audit entry, so later edits are found).
    public func migrate() async throws -> [String] {
        let applied = try await Migrations.migrate(connection, at: now())
        if applied.contains(where: { $0.hasPrefix("\(Migrations.sealing): ") }) { _ = try await sealUnsealedRows(at: now()) }
        return applied
    }

    func now() -> String { Self.timestamp(clock()) }

    static func timestamp(_ d: Date) -> String { Timestamps.shared.string(from: d) }

    func today() -> String { String(now().prefix(10)) }

    static func newID(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(13).lowercased())" }

    /// Refuses, as forbidden, an action the user's role may not take.
    public func authorize(_ user: User, _ action: Action) throws { try require(user, action) }

    func require(_ user: User, _ action: Action) throws {
        guard user.active else { throw GMPError(.forbidden, "the account \(user.username) is disabled") }
        guard Permissions.allows(user.role, action) else {
            let what = action.rawValue.replacingOccurrences(of: "-", with: " ")
            throw GMPError(.forbidden, "\(user.role.withArticle.prefix(1).uppercased() + user.role.withArticle.dropFirst()) may not \(what)")
        }
    }

    // MARK: Audit trail

    /// Appends one link to the audit chain, in the current transaction.
    func audit(
        _ db: any SQLDatabase, user: String, action: AuditAction, entity: String, id: String, field: String? = nil,
        old: String? = nil, new: String? = nil, reason: String? = nil, at: String
    ) async throws {
        guard let session = db as? WriteSession else {
            throw StoreIntegrityError(description: "an audit entry written outside the store's writer")
        }
        let head = try await session.head()
        var entry = AuditEntry(
            sequence: head.sequence + 1, at: at, userID: user, action: action, entity: entity, entityID: id, field: field,
            oldValue: old, newValue: new, reason: reason, previousHash: head.hash, hash: "")
        entry.hash = sha256Hex(entry.canonical)
        session.append(entry)
    }

    static func auditEntry(_ row: any SQLRow) throws -> AuditEntry {
        AuditEntry(
            sequence: try row.decode(column: "sequence", as: Int.self), at: try row.decode(column: "at", as: String.self),
            userID: try row.decode(column: "user_id", as: String.self), action: try row.decodeEnum(column: "action", as: AuditAction.self),
            entity: try row.decode(column: "entity", as: String.self), entityID: try row.decode(column: "entity_id", as: String.self),
            field: try row.decode(column: "field", as: String?.self), oldValue: try row.decode(column: "old_value", as: String?.self),
            newValue: try row.decode(column: "new_value", as: String?.self), reason: try row.decode(column: "reason", as: String?.self),
            previousHash: try row.decode(column: "previous_hash", as: String.self), hash: try row.decode(column: "hash", as: String.self))
    }

    /// Which audit entries to list: every field given narrows the list (entity, record, user,
    /// dates from and to inclusive as `YYYY-MM-DD`); `after` pages on from a sequence number.
    public struct AuditFilter: Sendable, Hashable {
        public var entity: String?
        public var id: String?
        public var userID: String?
        public var from: String?
        public var to: String?
        public var after: Int?
        public var limit: Int

        public init(
            entity: String? = nil, id: String? = nil, userID: String? = nil, from: String? = nil, to: String? = nil,
            after: Int? = nil, limit: Int = 1000
        ) {
            self.entity = entity
            self.id = id
            self.userID = userID
            self.from = from
            self.to = to
            self.after = after
            self.limit = limit
        }
    }

    /// Audit entries, oldest first, optionally for one entity.
    public func auditTrail(_ user: User, entity: String? = nil, id: String? = nil, limit: Int = 1000) async throws -> [AuditEntry] {
        try await auditTrail(user, AuditFilter(entity: entity, id: id, limit: limit))
    }

    /// Audit entries matching every field of the filter, oldest first.
    public func auditTrail(_ user: User, _ f: AuditFilter) async throws -> [AuditEntry] {
        try require(user, .readRecords)
        guard (1...10_000).contains(f.limit) else { throw GMPError(.invalid, "limit must be a whole number from 1 to 10000") }
        for (name, date) in [("from", f.from), ("to", f.to)] {
            if let date, !Self.isDate(date) { throw GMPError(.invalid, "\(name) '\(date)' is not a date written YYYY-MM-DD") }
        }
        return try await connection.read { db in
            let q = db.select().column("*").from("audit")
            if let entity = f.entity { q.where("entity", .equal, entity) }
            if let id = f.id { q.where("entity_id", .equal, id) }
            if let userID = f.userID { q.where("user_id", .equal, userID) }
            if let from = f.from { q.where("at", .greaterThanOrEqual, from) }
            // Timestamps are ISO 8601 text: every time of the day `to` sorts before "to" + "U".
            if let to = f.to { q.where("at", .lessThan, to + "U") }
            if let after = f.after { q.where("sequence", .greaterThan, after) }
            return try await q.orderBy("sequence").limit(f.limit).all().map(Self.auditEntry)
        }
    }

    /// Verifies the chain for a signed-in user (QA or an administrator).
    public func verifyAudit(by user: User) async throws -> [String] {
        try require(user, .verifyAudit)
        return try await verifyAudit()
    }

    /// Recomputes the whole chain: any entry edited, inserted or deleted behind the application's
    /// back breaks it, and each break is reported with its sequence number. (For the
    /// administration command, which works on the database directly.)
    public func verifyAudit() async throws -> [String] {
        try await connection.read { db in
            let rows = try await db.raw("SELECT * FROM audit ORDER BY sequence").all()
            var problems: [String] = []
            var previous = String(repeating: "0", count: 64)
            var expected = 1
            for row in rows {
                let e: AuditEntry
                do {
                    e = try Self.auditEntry(row)
                } catch {
                    // A value no version writes (an action, a type): edited behind the back.
                    let sequence = (try? row.decode(column: "sequence", as: Int.self)) ?? expected
                    problems.append("entry \(sequence) was edited: \(error)")
                    previous = (try? row.decode(column: "hash", as: String.self)) ?? previous
                    expected = sequence + 1
                    continue
                }
                if e.sequence != expected {
                    problems.append(
                        e.sequence > expected
                            ? "entries \(expected)–\(e.sequence - 1) are missing (deleted)" : "entry \(e.sequence) is out of order")
                }
                if e.previousHash != previous {
                    problems.append("entry \(e.sequence) does not follow the entry before it (its previous hash differs)")
                }
                if sha256Hex(e.canonical) != e.hash {
                    problems.append("entry \(e.sequence) (\(e.action) \(e.entity) \(e.entityID)) was edited: its hash does not match its content")
                }
                previous = e.hash
                expected = e.sequence + 1
            }
            return problems + (try await self.verifyRecords(db))
        }
    }

    /// The number of accounts (a site without any shows its set-up page).
    public func userCount() async throws -> Int {
        try await connection.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM users").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// The number of audit entries.
    public func auditCount() async throws -> Int {
        try await connection.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM audit").first()!.decode(column: "n", as: Int.self)
        }
    }
}

// MARK: - Users, sessions and signatures

extension GMPStore {
    static func user(_ row: any SQLRow) throws -> User {
        User(
            id: try row.decode(column: "id", as: String.self), username: try row.decode(column: "username", as: String.self),
            fullName: try row.decode(column: "full_name", as: String.self),
            role: try row.decodeEnum(column: "role", as: Role.self),
            active: try row.decode(column: "active", as: Int.self) != 0)
    }

    static func validate(username: String, fullName: String, password: String) throws {
        guard username.range(of: "^[a-z0-9._-]{2,40}$", options: .regularExpression) != nil else {
            throw GMPError(.invalid, "username '\(username)' must be 2–40 characters of a–z, 0–9, '.', '_' or '-'")
        }
        guard !fullName.trimmingCharacters(in: .whitespaces).isEmpty, fullName.count <= 200 else {
            throw GMPError(.invalid, "the full name must be given (at most 200 characters): it is printed with every signature")
        }
        try validate(password: password)
    }

    static func validate(password: String) throws {
        guard password.count >= 12, password.count <= 200 else {
            throw GMPError(.invalid, "the password must have 12 to 200 characters")
        }
    }

    /// Creates the first administrator of an empty store; refused once any user exists.
    public func bootstrap(username: String, fullName: String, password: String) async throws -> User {
        try Self.validate(username: username, fullName: fullName, password: password)
        let hash = try await Passwords.hashOffThread(password, iterations: passwordIterations)
        let at = now()
        return try await connection.transaction { db in
            let n = try await db.raw("SELECT COUNT(*) AS n FROM users").first()!.decode(column: "n", as: Int.self)
            guard n == 0 else { throw GMPError(.conflict, "the store already has users: ask an administrator for an account") }
            let user = User(id: Self.newID("user"), username: username, fullName: fullName, role: .administrator, active: true)
            try await self.insert(db, user, hash: hash, at: at)
            try await self.audit(db, user: user.id, action: .create, entity: "user", id: user.id, field: "role", new: "administrator", reason: "first administrator", at: at)
            return user
        }
    }

    func insert(_ db: any SQLDatabase, _ u: User, hash: String, at: String) async throws {
        try await sealed(db, "users",
            """
            INSERT INTO users (id, username, full_name, role, password_hash, active, created_at)
            VALUES (\(bind: u.id), \(bind: u.username), \(bind: u.fullName), \(bind: u.role.rawValue), \(bind: hash), 1, \(bind: at))
            """, by: u.id, at: at)
    }

    public func createUser(by admin: User, username: String, fullName: String, role: Role, password: String) async throws -> User {
        try require(admin, .manageUsers)
        try Self.validate(username: username, fullName: fullName, password: password)
        let hash = try await Passwords.hashOffThread(password, iterations: passwordIterations)
        let at = now()
        return try await connection.transaction { db in
            if try await db.raw("SELECT id FROM users WHERE username = \(bind: username)").first() != nil {
                throw GMPError(.conflict, "the username '\(username)' is taken")
            }
            let user = User(id: Self.newID("user"), username: username, fullName: fullName, role: role, active: true)
            try await self.insert(db, user, hash: hash, at: at)
            try await self.audit(db, user: admin.id, action: .create, entity: "user", id: user.id, field: "role", new: role.rawValue, at: at)
            return user
        }
    }

    public func setActive(by admin: User, userID: String, active: Bool, reason: String) async throws {
        try require(admin, .manageUsers)
        try Self.requireReason(reason)
        let at = now()
        try await connection.transaction { db in
            guard let row = try await db.raw("SELECT * FROM users WHERE id = \(bind: userID)").first() else {
                throw GMPError(.notFound, "no user \(userID)")
            }
            let was = try Self.accountState(row)
            let change = try AccountRules.setActive(
                was, active: active, activeAdministrators: try await self.activeAdministrators(db)
            ).get()
            try await self.apply(db, change, was: was, by: admin.id, reason: reason, at: at)
        }
    }

    /// Re-activates an account without signing in, for someone with access to the database
    /// itself (`vectorfab admin unlock`): the way back when no administrator can sign in. Audited
    /// as done by the operating-system user given.
    public func unlock(username: String, by operatorName: String, reason: String) async throws -> User {
        try Self.requireReason(reason)
        try Self.requireText(operatorName, "who unlocks", max: 100)
        let at = now()
        return try await connection.transaction { db in
            guard let row = try await db.raw("SELECT * FROM users WHERE username = \(bind: username)").first() else {
                throw GMPError(.notFound, "no user \(username)")
            }
            let was = try Self.accountState(row)
            try await self.apply(
                db, AccountRules.unlock(was), was: was, by: "database:\(operatorName)", reason: reason, at: at)
            var user = try Self.user(row)
            user.active = true
            return user
        }
    }

    /// A user changes their own password, giving the current one; every session of theirs ends
    /// (sign in again with the new password).
    public func changePassword(_ user: User, current: String, new: String) async throws {
        try Self.validate(password: new)
        guard new != current else { throw GMPError(.invalid, "the new password must differ from the current one") }
        let hash = try await Passwords.hashOffThread(new, iterations: passwordIterations)
        let at = now()
        let ticket = try await checkPassword(username: user.username, password: current)
        try await connection.transaction { db in
            try await self.confirm(db, ticket)
            try await self.setPassword(db, userID: user.id, hash: hash, by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .update, entity: "user", id: user.id, field: "password", reason: "changed by the user", at: at)
        }
    }

    /// An administrator sets another user's password (a forgotten one); that user's sessions end.
    public func resetPassword(by admin: User, userID: String, new: String, reason: String) async throws {
        try require(admin, .manageUsers)
        try Self.requireReason(reason)
        try Self.validate(password: new)
        let hash = try await Passwords.hashOffThread(new, iterations: passwordIterations)
        let at = now()
        try await connection.transaction { db in
            guard try await db.raw("SELECT id FROM users WHERE id = \(bind: userID)").first() != nil else {
                throw GMPError(.notFound, "no user \(userID)")
            }
            try await self.setPassword(db, userID: userID, hash: hash, by: admin.id, at: at)
            try await self.audit(db, user: admin.id, action: .update, entity: "user", id: userID, field: "password", reason: reason, at: at)
        }
    }

    /// Stores a new password hash and ends every session of the user.
    func setPassword(_ db: any SQLDatabase, userID: String, hash: String, by actor: String, at: String) async throws {
        try await sealed(db, "users", "UPDATE users SET password_hash = \(bind: hash) WHERE id = \(bind: userID)", by: actor, at: at)
        try await db.raw("DELETE FROM sessions WHERE user_id = \(bind: userID)").run()
    }

    public func users(_ user: User) async throws -> [User] {
        try require(user, .readRecords)
        return try await connection.read { db in try await db.raw("SELECT * FROM users ORDER BY username").all().map(Self.user) }
    }

    /// A password checked against the stored hash, outside any lock (210,000 PBKDF2 rounds):
    /// the user and the hash it was checked against.
    struct PasswordTicket: Sendable {
        var user: User
        var hash: String
        /// The one-time code from the signer's authenticator, if one came with the signature.
        var code: String?
    }

    /// Reads the account (a short read), checks the password outside the store's lock, and on
    /// a wrong one counts it toward lock-out (``AccountRules``). Throws without saying which
    /// part was wrong.
    /// With `remembered`, a password already checked in full against the same stored hash within
    /// a session's length is recognised without PBKDF2 (``SignatureKeys``): signatures use it,
    /// sign-ins and password changes do not.
    func checkPassword(username: String, password: String, remembered: Bool = false) async throws -> PasswordTicket {
        let found: (User, String)? = try await connection.read { db in
            guard let row = try await db.raw("SELECT * FROM users WHERE username = \(bind: username)").first() else { return nil }
            return (try Self.user(row), try row.decode(column: "password_hash", as: String.self))
        }
        guard let (user, hash) = found else { throw GMPError(.unauthenticated, "wrong username or password") }
        let at = clock()
        if remembered, user.active,
            signatureKeys.matches(userID: user.id, hash: hash, password: password, now: at, maxAge: Self.sessionLength)
        {
            return PasswordTicket(user: user, hash: hash)
        }
        guard await Passwords.verifyOffThread(password, against: hash) else {
            try await recordFailedAuthentication(userID: user.id, what: "wrong password")
            throw GMPError(.unauthenticated, "wrong username or password")
        }
        signatureKeys.remember(userID: user.id, hash: hash, password: password, at: at)
        guard user.active else { throw GMPError(.unauthenticated, "the account \(username) is disabled") }
        return PasswordTicket(user: user, hash: hash)
    }

    /// The signer's password (and the authenticator's code, if one came), checked before the
    /// signing transaction; a wrong one counts toward lock-out like a wrong sign-in.
    func verifyPassword(_ user: User, _ password: String, code: String? = nil) async throws -> PasswordTicket {
        var ticket: PasswordTicket
        do {
            ticket = try await checkPassword(username: user.username, password: password, remembered: true)
            guard ticket.user.id == user.id else { throw GMPError(.unauthenticated, "the signature's password is wrong") }
        } catch let e as GMPError where e.kind == .unauthenticated {
            throw GMPError(.unauthenticated, e.message.hasPrefix("the account") ? e.message : "the signature's password is wrong")
        }
        ticket.code = code.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        if let given = ticket.code { try await checkCodeCountingFailures(user, code: given, enrolment: false) }
        return ticket
    }

    /// Inside a transaction: the account still has the hash and the active state the ticket saw
    /// (no password change or lock-out in between).
    func confirm(_ db: any SQLDatabase, _ ticket: PasswordTicket) async throws {
        guard let row = try await db.raw("SELECT * FROM users WHERE id = \(bind: ticket.user.id)").first(),
            try row.decode(column: "password_hash", as: String.self) == ticket.hash, try Self.user(row).active
        else { throw GMPError(.unauthenticated, "the account changed while signing: sign again") }
    }

    /// Password checks of signatures answered from memory without PBKDF2 (``SignatureKeys``).
    public var passwordChecksRemembered: Int { signatureKeys.answered }

    /// Consecutive failed sign-ins after which an account is disabled until an administrator
    /// re-activates it.
    public static let maxFailedLogins = AccountRules.maxFailedAuthentications

    /// Signs in: returns a session token (only its hash is stored) and the user. A wrong password
    /// is counted and audited; after `maxFailedLogins` in a row the account is disabled (never
    /// the last active administrator's).
    public func login(username: String, password: String) async throws -> (token: String, user: User) {
        let ticket = try await checkPassword(username: username, password: password)
        let token = randomToken()
        let at = clock()
        return try await connection.transaction { db in
            try await self.confirm(db, ticket)
            let user = ticket.user
            let failures = try await db.raw("SELECT failed_logins FROM users WHERE id = \(bind: user.id)").first()?
                .decode(column: "failed_logins", as: Int.self) ?? 0
            if failures != 0 {
                try await self.sealed(db, "users", "UPDATE users SET failed_logins = 0 WHERE id = \(bind: user.id)", by: user.id, at: Self.timestamp(at))
            }
            try await db.raw(
                """
                INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
                VALUES (\(bind: sha256Hex(token)), \(bind: user.id), \(bind: Self.timestamp(at)), \(bind: Self.timestamp(at.addingTimeInterval(Self.sessionLength))))
                """
            ).run()
            try await self.audit(db, user: user.id, action: .login, entity: "session", id: String(sha256Hex(token).prefix(12)), at: Self.timestamp(at))
            return (token, user)
        }
    }

    /// The account state the rules see.
    static func accountState(_ row: any SQLRow) throws -> AccountState {
        let user = try Self.user(row)
        return AccountState(
            userID: user.id, role: user.role, active: user.active,
            failedAuthentications: try row.decode(column: "failed_logins", as: Int.self))
    }

    func activeAdministrators(_ db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM users WHERE role = 'administrator' AND active = 1").first()?
            .decode(column: "n", as: Int.self) ?? 0
    }

    /// Stores what ``AccountRules`` decide, with its audit entries.
    func apply(
        _ db: any SQLDatabase, _ change: AccountChange, was: AccountState, by actor: String, reason: String?, at: String,
        failed: String? = nil
    ) async throws {
        let next = change.account
        try await sealed(db, "users",
            "UPDATE users SET failed_logins = \(bind: next.failedAuthentications), active = \(bind: next.active ? 1 : 0) WHERE id = \(bind: next.userID)"
        , by: actor, at: at)
        if next.failedAuthentications != was.failedAuthentications {
            try await audit(
                db, user: actor, action: next.failedAuthentications > was.failedAuthentications ? .loginFailed : .update,
                entity: "user", id: next.userID, field: "failed_logins", old: String(was.failedAuthentications),
                new: String(next.failedAuthentications), reason: change.keptActiveBecause ?? failed, at: at)
        }
        if next.active != was.active {
            try await audit(
                db, user: actor, action: .update, entity: "user", id: next.userID, field: "active", old: String(was.active),
                new: String(next.active), reason: reason ?? change.disabledBecause, at: at)
        }
    }

    /// A failed authentication counted and audited, saying what failed ("wrong password",
    /// "wrong second-factor code").
    func recordFailedAuthentication(userID: String, what: String) async throws {
        let at = now()
        try await connection.transaction { db in
            guard let row = try await db.raw("SELECT * FROM users WHERE id = \(bind: userID)").first() else { return }
            let was = try Self.accountState(row)
            let change = AccountRules.failedAuthentication(was, activeAdministrators: try await self.activeAdministrators(db))
            try await self.apply(db, change, was: was, by: userID, reason: nil, at: at, failed: what)
        }
    }

    /// The user a session token belongs to, if it is valid and not expired.
    public func user(forToken token: String) async throws -> User {
        let now = now()
        return try await connection.read { db in
            guard let row = try await db.raw(
                """
                SELECT users.* FROM sessions JOIN users ON users.id = sessions.user_id
                WHERE sessions.token_hash = \(bind: sha256Hex(token)) AND sessions.expires_at > \(bind: now)
                """
            ).first() else { throw GMPError(.unauthenticated, "no valid session: sign in again") }
            let user = try Self.user(row)
            guard user.active else { throw GMPError(.unauthenticated, "the account is disabled") }
            return user
        }
    }

    public func logout(token: String) async throws {
        try await connection.transaction { db in
            try await db.raw("DELETE FROM sessions WHERE token_hash = \(bind: sha256Hex(token))").run()
        }
    }

    /// An electronic signature: the signer re-entered the password (checked before the
    /// transaction, see ``verifyPassword(_:_:)``); who, when and the meaning are recorded, and
    /// audited. Runs inside the caller's transaction.
    func sign(
        _ db: any SQLDatabase, _ ticket: PasswordTicket, meaning: SignatureMeaning, entity: String, id: String, at: String
    ) async throws -> Signature {
        try await confirm(db, ticket)
        try await checkSecondFactor(db, ticket, meaning: meaning)
        let user = ticket.user
        let s = Signature(id: Self.newID("sig"), userID: user.id, fullName: user.fullName, meaning: meaning, entity: entity, entityID: id, at: at)
        try await sealed(db, "signatures",
            """
            INSERT INTO signatures (id, user_id, full_name, meaning, entity, entity_id, at)
            VALUES (\(bind: s.id), \(bind: s.userID), \(bind: s.fullName), \(bind: s.meaning.rawValue), \(bind: entity), \(bind: id), \(bind: at))
            """, by: user.id, at: at)
        try await audit(db, user: user.id, action: .sign, entity: entity, id: id, field: "signature", new: "\(meaning.rawValue) by \(user.fullName)", at: at)
        return s
    }

    public func signatures(_ user: User, entity: String, id: String) async throws -> [Signature] {
        try require(user, .readRecords)
        return try await connection.read { db in
            try await db.raw("SELECT * FROM signatures WHERE entity = \(bind: entity) AND entity_id = \(bind: id) ORDER BY at").all()
                .map(Self.signature)
        }
    }

    static func signature(_ row: any SQLRow) throws -> Signature {
        Signature(
            id: try row.decode(column: "id", as: String.self), userID: try row.decode(column: "user_id", as: String.self),
            fullName: try row.decode(column: "full_name", as: String.self),
            meaning: try row.decodeEnum(column: "meaning", as: SignatureMeaning.self),
            entity: try row.decode(column: "entity", as: String.self), entityID: try row.decode(column: "entity_id", as: String.self),
            at: try row.decode(column: "at", as: String.self))
    }

    static func requireReason(_ reason: String) throws {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.count <= 2000,
            !reason.unicodeScalars.contains(where: { $0.value == 0 })
        else {
            throw GMPError(.invalid, "a reason (1–2000 characters, no NUL) is required")
        }
    }

    static func requireText(_ text: String, _ what: String, max: Int = 500) throws {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty, text.count <= max else {
            throw GMPError(.invalid, "\(what) must be given (at most \(max) characters)")
        }
        // PostgreSQL refuses U+0000 in text and SQLite cuts the text there.
        guard !text.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw GMPError(.invalid, "\(what) contains a NUL character")
        }
    }

    static func requireNumber(_ x: Double, _ what: String, positive: Bool = false) throws {
        guard x.isFinite, positive ? x > 0 : x >= 0 else {
            throw GMPError(.invalid, "\(what) must be a finite number\(positive ? " above 0" : " of 0 or more")")
        }
    }
}

/// One ISO 8601 formatter (UTC, milliseconds) for every timestamp: making one costs about
/// 140 µs, more than a tenth of a durable write, and every write takes a timestamp.
final class Timestamps: @unchecked Sendable {
    static let shared = Timestamps()
    private let lock = NSLock()
    private let formatter: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f
    }()
    func string(from d: Date) -> String { lock.withLock { formatter.string(from: d) } }
}

/// Decoded recipe definitions by id (they never change once stored).
final class RecipeCache: @unchecked Sendable {
    private let lock = NSLock()
    private var recipes: [String: MasterRecipe] = [:]
    func get(_ id: String) -> MasterRecipe? { lock.withLock { recipes[id] } }
    func set(_ id: String, _ r: MasterRecipe) { lock.withLock { recipes[id] = r } }
}
