import Capacity
import Foundation
import Manufacturing
import Monitoring
import SQLKit

/// One version of a series' alert and action limits: proposed with a reason, approved by QA
/// with a signature (never by its author), superseding the version approved before it.
public struct LimitSet: Sendable, Hashable, Codable {
    public var id: String
    public var series: String
    public var version: Int
    public var limits: SeriesLimits
    public var status: RecipeStatus
    public var reason: String
    public var createdBy: String
    public var createdAt: String
}

extension GMPStore {
    static func limitSet(_ row: any SQLRow) throws -> LimitSet {
        LimitSet(
            id: try row.decode(column: "id", as: String.self), series: try row.decode(column: "series", as: String.self),
            version: try row.decode(column: "version", as: Int.self),
            limits: SeriesLimits(
                alertLow: try row.decode(column: "alert_low", as: Double?.self), alertHigh: try row.decode(column: "alert_high", as: Double?.self),
                actionLow: try row.decode(column: "action_low", as: Double?.self), actionHigh: try row.decode(column: "action_high", as: Double?.self),
                persistence: try row.decode(column: "persistence", as: Double.self), hysteresis: try row.decode(column: "hysteresis", as: Double.self)),
            status: try row.decodeEnum(column: "status", as: RecipeStatus.self), reason: try row.decode(column: "reason", as: String.self),
            createdBy: try row.decode(column: "created_by", as: String.self), createdAt: try row.decode(column: "created_at", as: String.self))
    }

    /// Proposes a new version of a series' limits (a draft), checked against the measurand and,
    /// in a room, its grade's Annex 1 ceiling; every problem listed.
    public func proposeLimits(_ user: User, series: Series, grade: CleanroomGrade?, limits: SeriesLimits, reason: String) async throws
        -> LimitSet
    {
        try require(user, .defineLimits)
        try Self.requireReason(reason)
        let problems = limits.problems(for: series.measurand, grade: grade)
        guard problems.isEmpty else { throw GMPError(.invalid, problems.joined(separator: "; "), details: problems) }
        let at = now()
        let id = Self.newID("limits")
        return try await connection.transaction { db in
            let version = (try await db.raw("SELECT MAX(version) AS v FROM limit_sets WHERE series = \(bind: series.id)").first()?
                .decode(column: "v", as: Int?.self) ?? 0) + 1
            try await self.sealed(
                db, "limit_sets",
                """
                INSERT INTO limit_sets (id, series, version, alert_low, alert_high, action_low, action_high, persistence, hysteresis,
                status, reason, created_by, created_at)
                VALUES (\(bind: id), \(bind: series.id), \(bind: version), \(bind: limits.alertLow), \(bind: limits.alertHigh),
                \(bind: limits.actionLow), \(bind: limits.actionHigh), \(bind: limits.persistence), \(bind: limits.hysteresis), 'draft',
                \(bind: reason), \(bind: user.id), \(bind: at))
                """, by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .create, entity: "limits", id: id, field: "series", new: series.id, reason: reason, at: at)
            return LimitSet(
                id: id, series: series.id, version: version, limits: limits, status: .draft, reason: reason, createdBy: user.id, createdAt: at)
        }
    }

    /// QA approves a draft with a signature (password, and the authenticator's code when
    /// enrolled or required); the version approved before is made obsolete.
    public func approveLimits(_ user: User, id: String, password: String, code: String? = nil) async throws -> LimitSet {
        try require(user, .approveLimits)
        let at = now()
        let ticket = try await verifyPassword(user, password, code: code)
        return try await connection.transaction { db in
            guard let row = try await db.raw("SELECT * FROM limit_sets WHERE id = \(bind: id)").first() else {
                throw GMPError(.notFound, "no limit set \(id)")
            }
            var set = try Self.limitSet(row)
            if let refusal = ApprovalRules.approve("limit set", status: set.status, author: set.createdBy, approver: user) { throw refusal }
            _ = try await self.sign(db, ticket, meaning: .approved, entity: "limits", id: id, at: at)
            let previous = try await db.raw("SELECT id FROM limit_sets WHERE series = \(bind: set.series) AND status = 'approved'").all()
                .map { try $0.decode(column: "id", as: String.self) }
            for old in previous {
                try await self.sealed(db, "limit_sets", "UPDATE limit_sets SET status = 'obsolete' WHERE id = \(bind: old)", by: user.id, at: at)
                try await self.audit(
                    db, user: user.id, action: .update, entity: "limits", id: old, field: "status", old: "approved", new: "obsolete",
                    reason: "superseded by \(id)", at: at)
            }
            try await self.sealed(db, "limit_sets", "UPDATE limit_sets SET status = 'approved' WHERE id = \(bind: id)", by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .update, entity: "limits", id: id, field: "status", old: "draft", new: "approved", at: at)
            set.status = .approved
            return set
        }
    }

    /// Every version of the limits, of one series or all, newest first.
    public func limitSets(_ user: User, series: String? = nil) async throws -> [LimitSet] {
        try require(user, .readRecords)
        return try await connection.read { db in
            let rows: [any SQLRow]
            if let series {
                rows = try await db.raw("SELECT * FROM limit_sets WHERE series = \(bind: series) ORDER BY version DESC").all()
            } else {
                rows = try await db.raw("SELECT * FROM limit_sets ORDER BY series, version DESC LIMIT 10000").all()
            }
            return try rows.map { try Self.limitSet($0) }
        }
    }

    /// The approved limits of every series that has some: what ingest checks points against.
    public func approvedLimits() async throws -> [String: SeriesLimits] {
        try await connection.read { db in
            var out: [String: SeriesLimits] = [:]
            for row in try await db.raw("SELECT * FROM limit_sets WHERE status = 'approved'").all() {
                let set = try Self.limitSet(row)
                out[set.series] = set.limits
            }
            return out
        }
    }
}
