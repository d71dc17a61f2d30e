import Foundation
import Manufacturing
import SQLKit
import Testing

@testable import Store

/// The one writer: writes that arrive together share a transaction (group commit), a refused
/// write takes nothing with it, and the chain stays whole whoever else writes to the database.
struct WriterTests {
    struct Failure: Error {}

    @Test(arguments: Backend.available)
    func concurrentWritesShareTransactionsAndARefusedOneTakesNothingWithIt(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let phase = r.recipe.recipe.phases[0]
        let before = s.writeStatistics
        // 60 clients at once: even ones record equipment, odd ones a parameter the phase does
        // not have (refused by the rules before anything is written).
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<60 {
                group.addTask {
                    do {
                        if i % 2 == 0 {
                            _ = try await s.recordEquipment(r.staff.operatorUser, batch: r.batch.id, phase: phase.id, equipment: "E\(i)")
                        } else {
                            _ = try await s.recordValue(r.staff.operatorUser, batch: r.batch.id, phase: phase.id, parameter: "nothing-\(i)", value: 1)
                        }
                        return (i, true)
                    } catch {
                        return (i, false)
                    }
                }
            }
            var all: [Int: Bool] = [:]
            for await (i, ok) in group { all[i] = ok }
            return all
        }
        #expect(outcomes.filter(\.value).keys.sorted() == Array(stride(from: 0, to: 60, by: 2)))
        let after = s.writeStatistics
        #expect(after.writes - before.writes == 60)
        #expect(after.transactions - before.transactions < 60, "writes that arrive together share a transaction")
        let equipment = try await s.batch(r.staff.qa, id: r.batch.id).entries.filter { $0.kind == .equipment }.compactMap(\.equipment)
        #expect(Set(equipment) == Set(stride(from: 0, to: 60, by: 2).map { "E\($0)" }))
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func aWriteThatFailsAfterChangingSomethingIsUndoneAndTheOthersStand(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let phase = r.recipe.recipe.phases[0]
        let results = await withTaskGroup(of: String?.self) { group in
            for i in 0..<20 {
                group.addTask {
                    do {
                        if i == 7 {
                            // Writes a row, then fails: the row must not stay.
                            try await s.unauditedTransaction { db in
                                try await db.raw("INSERT INTO material_items (code, name, unit) VALUES ('HALF', 'half', 'L')").run()
                                throw Failure()
                            }
                        } else {
                            _ = try await s.recordEquipment(r.staff.operatorUser, batch: r.batch.id, phase: phase.id, equipment: "E\(i)")
                        }
                        return "E\(i)"
                    } catch {
                        return nil
                    }
                }
            }
            var done: [String] = []
            for await name in group { if let name { done.append(name) } }
            return done
        }
        #expect(results.count == 19)
        let half = try await s.unauditedTransaction { db in
            try await db.raw("SELECT COUNT(*) AS n FROM material_items WHERE code = 'HALF'").first()?.decode(column: "n", as: Int.self)
        }
        #expect(half == 0)
        let equipment = try await s.batch(r.staff.qa, id: r.batch.id).entries.compactMap(\.equipment)
        #expect(Set(results).isSubset(of: Set(equipment)))
        #expect(try await s.verifyAudit().isEmpty)
    }

    /// Two stores on one SQLite file (a server and an administration command): each sees the
    /// other's writes in the chain before appending its own.
    @Test func twoWritersOnOneFileKeepOneChain() async throws {
        let location = try await freshLocation(.sqlite)
        let a = OpenStores.shared.keep(try await GMPStore.open(location, passwordIterations: 1000))
        let admin = try await a.bootstrap(username: "admin", fullName: "Ada Admin", password: password)
        let b = OpenStores.shared.keep(try await GMPStore.open(location, passwordIterations: 1000))
        let qa = try await b.createUser(by: admin, username: "alex", fullName: "Alex QA", role: .qa, password: password)
        for i in 0..<10 {
            _ = try await (i % 2 == 0 ? a : b).openDeviation(qa, batch: nil, description: "note \(i)")
        }
        #expect(try await a.verifyAudit().isEmpty)
        #expect(try await b.verifyAudit().isEmpty)
        #expect(try await a.deviations(admin).count == 10)
    }

    /// An entry the writer has not inserted yet is there for every statement that reads its
    /// table in the same transaction.
    @Test(arguments: Backend.available)
    func aDeferredEntryIsSeenByTheReadsOfItsTransaction(backend: Backend) async throws {
        let r = try await Running.make(backend)
        let s = r.staff.store
        let phase = r.recipe.recipe.phases[0]
        let entry = BatchEntry(
            id: "entry-deferred", batchID: r.batch.id, phaseID: phase.id, kind: .equipment, equipment: "E-1",
            userID: r.staff.operatorUser.id, at: "2026-09-21T10:00:00.000Z")
        let seen = try await s.connection.transaction { db in
            try await s.insert(db, entry)
            return try await db.raw("SELECT COUNT(*) AS n FROM batch_entries WHERE id = 'entry-deferred'").first()?.decode(column: "n", as: Int.self)
        }
        #expect(seen == 1)
        #expect(try await s.verifyAudit().isEmpty, "its seal, made from its values, matches the stored row")
    }
}

