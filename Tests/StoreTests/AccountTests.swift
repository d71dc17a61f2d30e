import Foundation
import Manufacturing
import SQLKit
import Testing

@testable import Store

/// PBKDF2-HMAC-SHA256 against published vectors, and hashes stored by earlier versions.
struct PasswordHashTests {
    func hex(_ bytes: [UInt8]?) -> String { (bytes ?? []).map { String(format: "%02x", $0) }.joined() }

    /// The store's own hex encoder (seals, hashes, tokens) against SHA-256's published vectors.
    @Test func sha256HexMatchesPublishedVectors() {
        #expect(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(randomToken().count == 64 && randomToken().allSatisfy(\.isHexDigit))
    }

    #if os(Linux)
        /// Hashing runs on its own thread at nice 19, so sign-ins never hold other clients back.
        @Test func passwordsAreHashedOnALowPriorityThread() async throws {
            _ = await Passwords.verifyOffThread("x", against: "pbkdf2-sha256$1$AAAA$AAAA")
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            var nice: [Int] = []
            for task in tasks {
                guard let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8) else { continue }
                // Fields after the command's closing parenthesis: state is field 3, nice field 19.
                let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
                nice.append(Int(fields[16]) ?? 0)
            }
            // One thread, the hashing one, runs at nice 19 (libdispatch may lower its own
            // workers a little, never that far).
            #expect(nice.filter { $0 == 19 }.count == 1, "\(nice)")
        }
    #endif

    @Test(arguments: [
        // RFC 7914 §11 (PBKDF2-HMAC-SHA256 test vectors).
        ("passwd", "salt", 1, 64,
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"),
        ("Password", "NaCl", 80_000, 64,
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"),
        // The SHA-256 counterpart of RFC 6070's vector.
        ("password", "salt", 4096, 32, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
    ])
    func pbkdf2MatchesPublishedVectors(password: String, salt: String, rounds: Int, bytes: Int, expected: String) {
        #expect(hex(Passwords.pbkdf2(Array(password.utf8), salt: Array(salt.utf8), iterations: rounds, bytes: bytes)) == expected)
    }

    @Test func aHashStoredByAnEarlierVersionStillSignsIn() throws {
        // Written by the hand-made PBKDF2 loop of earlier versions (same format).
        let stored = "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$AhaeZ02AwPxykuhhDI8XvhQN8GKvmqM+qF6qvs/98I0="
        #expect(Passwords.verify("correct horse battery", against: stored))
        #expect(!Passwords.verify("correct horse batterY", against: stored))
        let fresh = try Passwords.hash("correct horse battery", iterations: 1000)
        #expect(fresh.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(Passwords.verify("correct horse battery", against: fresh))
        // An edited iteration count beyond 10 million fails instead of holding the store.
        #expect(!Passwords.verify("correct horse battery", against: stored.replacingOccurrences(of: "$1000$", with: "$99999999999$")))
    }
}

struct AccountRuleStoreTests {
    @Test(arguments: Backend.available)
    func aRecipesAuthorNeverApprovesIt(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        let other = try await s.createUser(by: staff.admin, username: "rita", fullName: "Rita QA", role: .qa, password: password)
        let draft = try await s.createRecipe(staff.qa, try seedRecipe())
        let before = try await s.auditCount()
        let refusal = await refused { _ = try await s.approveRecipe(staff.qa, id: draft.id, password: password) }
        #expect(refusal?.kind == .forbidden)
        #expect(refusal?.message == "Alex QA created this recipe and cannot approve it")
        #expect(try await s.auditCount() == before, "a refused approval changes nothing")
        #expect(try await s.approveRecipe(other, id: draft.id, password: password).status == .approved)
    }

    @Test(arguments: Backend.available)
    func wrongSignaturePasswordsCountTowardLockOut(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        let draft = try await s.createRecipe(staff.supervisor, try seedRecipe())
        for _ in 0..<AccountRules.maxFailedAuthentications {
            let r = await refused { _ = try await s.approveRecipe(staff.qa, id: draft.id, password: "not my password at all") }
            #expect(r?.kind == .unauthenticated)
        }
        // Disabled: the right password no longer signs, nor signs in.
        let after = await refused { _ = try await s.approveRecipe(staff.qa, id: draft.id, password: password) }
        #expect(after?.message.contains("disabled") == true, "\(after?.message ?? "")")
        #expect(await refused { _ = try await s.login(username: "alex", password: password) } != nil)
        let trail = try await s.auditTrail(staff.admin, entity: "user", id: staff.qa.id)
        #expect(trail.filter { $0.action == .loginFailed }.count == AccountRules.maxFailedAuthentications)
        #expect(trail.contains { $0.field == "active" && $0.newValue == "false" && $0.reason == "5 failed authentications in a row (passwords or codes)" })
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func theLastActiveAdministratorIsNeverLockedOutAndUnlockWorksFromTheDatabase(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        for _ in 0..<(AccountRules.maxFailedAuthentications + 2) {
            _ = await refused { _ = try await s.login(username: "admin", password: "wrong wrong wrong") }
        }
        _ = try await s.login(username: "admin", password: password)
        let refusal = await refused {
            try await s.setActive(by: staff.admin, userID: staff.admin.id, active: false, reason: "leaving")
        }
        #expect(refusal?.kind == .conflict)
        // With a second administrator, the first can be locked out — and unlocked from the database.
        _ = try await s.createUser(by: staff.admin, username: "root2", fullName: "Second Admin", role: .administrator, password: password)
        for _ in 0..<AccountRules.maxFailedAuthentications {
            _ = await refused { _ = try await s.login(username: "admin", password: "wrong wrong wrong") }
        }
        #expect(await refused { _ = try await s.login(username: "admin", password: password) } != nil)
        let back = try await s.unlock(username: "admin", by: "ops", reason: "locked out, identity checked")
        #expect(back.active)
        _ = try await s.login(username: "admin", password: password)
        let trail = try await s.auditTrail(staff.admin, entity: "user", id: staff.admin.id)
        #expect(trail.contains { $0.userID == "database:ops" && $0.field == "active" && $0.newValue == "true" })
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func aSignaturesPasswordIsRecognisedFromMemoryOnlyWhileTheStoredHashIsTheSame(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let qa = r.staff.qa
        func approve(_ pw: String) async throws {
            let draft = try await s.createRecipe(r.staff.supervisor, try seedRecipe())
            _ = try await s.approveRecipe(qa, id: draft.id, password: pw)
        }
        // Running.make had QA approve once (a full check): the next signature is answered from
        // memory.
        let before = s.passwordChecksRemembered
        try await approve(password)
        #expect(s.passwordChecksRemembered == before + 1)
        // A wrong password is not: checked in full, refused and counted toward lock-out.
        #expect(await refused { try await approve("not the password at all") }?.kind == .unauthenticated)
        #expect(s.passwordChecksRemembered == before + 1)
        let failures = try await s.auditTrail(r.staff.admin).filter { $0.action == .loginFailed && $0.entityID == qa.id }
        #expect(failures.count == 1)
        // A password change: the old one is refused at once; the new one is checked in full, then
        // remembered.
        try await s.changePassword(qa, current: password, new: "a new passphrase for QA")
        #expect(await refused { try await approve(password) }?.kind == .unauthenticated)
        try await approve("a new passphrase for QA")
        #expect(s.passwordChecksRemembered == before + 1)
        try await approve("a new passphrase for QA")
        #expect(s.passwordChecksRemembered == before + 2)
        // The stored hash replaced behind the application's back: what memory holds no longer
        // answers; the password is checked against the new hash (and fails).
        let other = try Passwords.hash("someone else's passphrase", iterations: 1000)
        try await s.unauditedTransaction { db in try await db.raw("UPDATE users SET password_hash = \(bind: other) WHERE id = \(bind: qa.id)").run() }
        #expect(await refused { try await approve("a new passphrase for QA") }?.kind == .unauthenticated)
        #expect(s.passwordChecksRemembered == before + 2)
    }
}
