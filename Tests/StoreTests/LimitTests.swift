import Capacity
import Foundation
import Manufacturing
import Monitoring
import Testing

@testable import Store

/// Monitoring limits are GMP data: proposed with a reason, approved by QA with a signature and
/// never by their author, each version superseding the last; on SQLite and PostgreSQL.
@Suite struct LimitStoreTests {
    static let ph = Series(id: "BR-1/ph", measurand: .pH, location: .equipment("BR-1"), interval: 60)
    static let particles = Series(id: "VS-1/particles-0.5", measurand: .particles05, location: .room("VS-1"), interval: 60)

    @Test(arguments: Backend.available)
    func limitsAreProposedApprovedBySomeoneElseAndSuperseded(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        let first = try await s.proposeLimits(
            staff.supervisor, series: Self.ph, grade: nil, limits: SeriesLimits(alertHigh: 7.3, actionHigh: 7.4, persistence: 120, hysteresis: 0.05),
            reason: "from the PQ runs")
        #expect(first.version == 1 && first.status == .draft)
        #expect(try await s.approvedLimits().isEmpty)
        // QA approves; a draft's author may not, even as QA.
        let own = try await s.proposeLimits(staff.qa, series: Self.ph, grade: nil, limits: SeriesLimits(alertHigh: 7.35, actionHigh: 7.45), reason: "QA's own")
        #expect(await refused { _ = try await s.approveLimits(staff.qa, id: own.id, password: password) }?.kind == .forbidden)
        #expect(await refused { _ = try await s.approveLimits(staff.supervisor, id: first.id, password: password) }?.kind == .forbidden)
        #expect(try await s.approveLimits(staff.qa, id: first.id, password: password).status == .approved)
        #expect(try await s.approvedLimits()["BR-1/ph"]?.actionHigh == 7.4)
        let signatures = try await s.signatures(staff.admin, entity: "limits", id: first.id)
        #expect(signatures.map(\.meaning) == [.approved])
        // A second version, approved: the first becomes obsolete, the new one is what ingest uses.
        let second = try await s.proposeLimits(
            staff.supervisor, series: Self.ph, grade: nil, limits: SeriesLimits(alertHigh: 7.25, actionHigh: 7.35), reason: "tightened after review")
        #expect(second.version == 3)
        _ = try await s.approveLimits(staff.qa, id: second.id, password: password)
        let versions = try await s.limitSets(staff.operatorUser, series: "BR-1/ph")
        #expect(versions.map(\.version) == [3, 2, 1])
        #expect(versions.map(\.status) == [.approved, .draft, .obsolete])
        #expect(try await s.approvedLimits()["BR-1/ph"]?.actionHigh == 7.35)
        #expect(await refused { _ = try await s.approveLimits(staff.qa, id: second.id, password: password) }?.kind == .conflict)
        #expect(try await s.verifyAudit().isEmpty)
    }

    @Test(arguments: Backend.available)
    func limitsThatCannotBeApprovedAreRefusedWhenProposed(backend: Backend) async throws {
        let staff = try await Staff.make(backend)
        let s = staff.store
        // Above the grade B ceiling of 352,000 particles ≥ 0.5 µm per m³ in operation.
        let e = await refused {
            _ = try await s.proposeLimits(
                staff.supervisor, series: Self.particles, grade: .b, limits: SeriesLimits(alertHigh: 200_000, actionHigh: 400_000), reason: "x")
        }
        #expect(e?.kind == .invalid)
        #expect(e?.message.contains("above the grade B limit") == true)
        #expect(await refused {
            _ = try await s.proposeLimits(staff.operatorUser, series: Self.ph, grade: nil, limits: SeriesLimits(alertHigh: 7.3), reason: "x")
        }?.kind == .forbidden)
        #expect(await refused { _ = try await s.proposeLimits(staff.supervisor, series: Self.ph, grade: nil, limits: SeriesLimits(alertHigh: 7.3), reason: " ") } != nil)
        #expect(try await s.limitSets(staff.qa).isEmpty)
    }
}
