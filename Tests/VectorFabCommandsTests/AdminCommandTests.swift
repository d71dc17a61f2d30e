import Foundation
import Manufacturing
import SQLKit
import Store
import Testing

/// The administration commands, run as the binary: migrations, users, batch-record export, and
/// `vectorfab audit verify` finding a record edited behind the application's back.
struct AdminCommandTests {
    /// Five wrong administrator passwords at the CLI locked the only administrator for good;
    /// now the last one stays active, and `admin unlock` re-activates any account from the database.
    @Test func theOnlyAdministratorSurvivesWrongPasswordsAndUnlockWorks() async throws {
        let database = FileManager.default.temporaryDirectory.appendingPathComponent("vf-unlock-\(UUID().uuidString).sqlite").path
        let db = ["--database", database]
        let good = ["VECTORFAB_PASSWORD": "correct horse battery", "VECTORFAB_ADMIN_PASSWORD": "correct horse battery"]
        #expect(try vectorfab(["admin", "bootstrap", "--username", "ada", "--full-name", "Ada Admin"] + db, environment: good).status == 0)
        let wrong = ["VECTORFAB_PASSWORD": "correct horse battery", "VECTORFAB_ADMIN_PASSWORD": "a wrong password"]
        for i in 0..<6 {
            let r = try vectorfab(
                ["admin", "create-user", "--admin", "ada", "--username", "u\(i)", "--full-name", "U", "--role", "qa"] + db,
                environment: wrong)
            #expect(r.status != 0)
        }
        let after = try vectorfab(
            ["admin", "create-user", "--admin", "ada", "--username", "alex", "--full-name", "Alex QA", "--role", "qa"] + db,
            environment: good)
        #expect(after.status == 0, "the only administrator was locked out: \(after.err)")
        // Alex is locked by wrong passwords at export (a sign-in), then unlocked from the database.
        for _ in 0..<5 {
            _ = try vectorfab(
                ["admin", "export-batch", "--batch", "B-1"] + db, environment: ["VECTORFAB_USER": "alex", "VECTORFAB_PASSWORD": "nope nope nope"])
        }
        let locked = try vectorfab(
            ["admin", "export-batch", "--batch", "B-1"] + db, environment: ["VECTORFAB_USER": "alex", "VECTORFAB_PASSWORD": "correct horse battery"])
        #expect(locked.err.contains("disabled"), "\(locked.err)")
        let unlock = try vectorfab(["admin", "unlock", "--username", "alex", "--reason", "identity checked"] + db)
        #expect(unlock.status == 0, "\(unlock.err)")
        #expect(unlock.out.contains("Re-activated alex"))
        let back = try vectorfab(
            ["admin", "export-batch", "--batch", "B-1"] + db, environment: ["VECTORFAB_USER": "alex", "VECTORFAB_PASSWORD": "correct horse battery"])
        #expect(back.err.contains("B-1") && !back.err.contains("disabled"), "\(back.err)")
        #expect(try vectorfab(["audit", "verify"] + db).status == 0)
        #expect(try vectorfab(["admin", "unlock", "--username", "nobody", "--reason", "x"] + db).status != 0)
    }

    @Test func administrationAndAuditVerificationFromTheCommandLine() async throws {
        let database = FileManager.default.temporaryDirectory.appendingPathComponent("vf-admin-\(UUID().uuidString).sqlite").path
        let db = ["--database", database]
        let secret = ["VECTORFAB_PASSWORD": "correct horse battery", "VECTORFAB_ADMIN_PASSWORD": "correct horse battery"]

        let migrate = try vectorfab(["admin", "migrate"] + db)
        #expect(migrate.status == 0, "\(migrate.err)")
        #expect(migrate.out.contains("1: GMP records and audit trail"), "\(migrate.out)")
        // A password on the command line is not taken: it must come from the environment.
        let noPassword = try vectorfab(["admin", "bootstrap", "--username", "ada", "--full-name", "Ada Admin"] + db, environment: ["VECTORFAB_PASSWORD": ""])
        #expect(noPassword.status != 0)
        #expect(noPassword.err.contains("VECTORFAB_PASSWORD"))
        let bootstrap = try vectorfab(["admin", "bootstrap", "--username", "ada", "--full-name", "Ada Admin"] + db, environment: secret)
        #expect(bootstrap.status == 0, "\(bootstrap.err)")
        let user = try vectorfab(
            ["admin", "create-user", "--admin", "ada", "--username", "alex", "--full-name", "Alex QA", "--role", "qa"] + db, environment: secret)
        #expect(user.status == 0, "\(user.err)")
        let badRole = try vectorfab(
            ["admin", "create-user", "--admin", "ada", "--username", "bob", "--full-name", "Bob", "--role", "boss"] + db, environment: secret)
        #expect(badRole.status != 0)
        #expect(badRole.err.contains("qc-analyst"), "\(badRole.err)")

        let intact = try vectorfab(["audit", "verify"] + db)
        #expect(intact.status == 0, "\(intact.err)")
        #expect(intact.out.contains("chain intact"))
        // An unknown batch: a clear error, non-zero.
        let export = try vectorfab(["admin", "export-batch", "--batch", "B-1999-0001"] + db, environment: secret.merging(["VECTORFAB_USER": "alex"]) { $1 })
        #expect(export.status != 0)
        #expect(export.err.contains("B-1999-0001"), "\(export.err)")

        // Someone edits the audit table directly: the command names the entry and exits 2.
        let store = try await GMPStore.open(.sqlite(path: database), passwordIterations: 1000)
        try await store.unauditedTransaction { db in
            try await db.raw("UPDATE audit SET new_value = 'tampered' WHERE sequence = 2").run()
        }
        try await store.close()
        let broken = try vectorfab(["audit", "verify"] + db)
        #expect(broken.status == 2)
        #expect(broken.out.contains("BROKEN: entry 2"), "\(broken.out)")
    }
}
