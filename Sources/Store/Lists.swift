import Foundation
import Manufacturing
import SQLKit

/// A page of a list: at most `limit` records after skipping `offset`, oldest first.
public struct Page: Sendable, Hashable {
    public var limit: Int
    public var offset: Int

    public init(limit: Int = 100, offset: Int = 0) {
        self.limit = limit
        self.offset = offset
    }

    /// The largest page, and how far a list may be paged.
    public static let maxLimit = 1_000
    public static let maxOffset = 10_000_000

    func check() throws {
        guard (1...Self.maxLimit).contains(limit) else {
            throw GMPError(.invalid, "limit must be a whole number from 1 to \(Self.maxLimit)")
        }
        guard (0...Self.maxOffset).contains(offset) else {
            throw GMPError(.invalid, "offset must be a whole number from 0 to \(Self.maxOffset)")
        }
    }
}

/// Lists of records with filters and paging, for the people who review them.
extension GMPStore {
    func list<T>(
        _ table: String, order: String, key: String = "id", filters: [(String, String?)] = [], page: Page, user: User,
        decode: @escaping @Sendable (any SQLRow) throws -> T
    ) async throws -> [T] where T: Sendable {
        try require(user, .readRecords)
        try page.check()
        return try await connection.read { db in
            let q = db.select().column("*").from(table)
            for (column, value) in filters { if let value { q.where(SQLIdentifier(column), .equal, SQLBind(value)) } }
            return try await q.orderBy(order).orderBy(key).limit(page.limit).offset(page.offset).all().map(decode)
        }
    }

    /// Batches, optionally of one status, in the order they were started.
    public func batches(_ user: User, status: BatchStatus? = nil, page: Page = Page()) async throws -> [Batch] {
        try await list("batches", order: "created_at", filters: [("status", status?.rawValue)], page: page, user: user, decode: Self.batch)
    }

    /// Material items, by code.
    public func items(_ user: User, page: Page = Page()) async throws -> [MaterialItem] {
        try await list("material_items", order: "code", key: "code", page: page, user: user) {
            MaterialItem(
                code: try $0.decode(column: "code", as: String.self), name: try $0.decode(column: "name", as: String.self),
                unit: try $0.decode(column: "unit", as: String.self))
        }
    }

    /// Supplier lots, optionally of one item or status, in the order they were received.
    public func lots(_ user: User, item: String? = nil, status: MaterialStatus? = nil, page: Page) async throws -> [MaterialLot] {
        try await list(
            "material_lots", order: "received_at", filters: [("item", item), ("status", status?.rawValue)], page: page, user: user,
            decode: Self.lot)
    }

    /// Samples, optionally of one batch or status, in the order they were taken.
    public func samples(
        _ user: User, batch: String? = nil, lot: String? = nil, test: String? = nil, status: SampleStatus? = nil, page: Page = Page()
    ) async throws -> [QCSample] {
        try await list(
            "samples", order: "created_at",
            filters: [("batch_id", batch), ("material_lot", lot), ("test", test), ("status", status?.rawValue)], page: page, user: user,
            decode: Self.sample)
    }

    /// Deviations, optionally of one batch or status, in the order they were opened.
    public func deviations(
        _ user: User, batch: String?, status: DeviationStatus?, page: Page
    ) async throws -> [Deviation] {
        try await list(
            "deviations", order: "opened_at", filters: [("batch_id", batch), ("status", status?.rawValue)], page: page,
            user: user, decode: Self.deviation)
    }
}

extension GMPStore {
    /// One sample.
    public func sample(_ user: User, id: String) async throws -> QCSample {
        try require(user, .readRecords)
        return try await connection.read { db in
            guard let row = try await db.raw("SELECT * FROM samples WHERE id = \(bind: id)").first() else { throw GMPError(.notFound, "no sample \(id)") }
            return try Self.sample(row)
        }
    }

    /// The results of one material lot's samples, or of one test's batch samples (across
    /// batches, for its trend), oldest first, at most `limit`.
    public func results(_ user: User, lot: String? = nil, test: String? = nil, limit: Int = 2000) async throws -> [QCResult] {
        try require(user, .readRecords)
        guard (1...10_000).contains(limit) else { throw GMPError(.invalid, "limit must be a whole number from 1 to 10000") }
        guard (lot == nil) != (test == nil) else { throw GMPError(.invalid, "give a lot or a test") }
        return try await connection.read { db in
            let clause: SQLQueryString = lot.map { "s.material_lot = \(bind: $0)" } ?? "s.test = \(bind: test!) AND s.batch_id IS NOT NULL"
            return try await db.raw(
                """
                SELECT r.id, r.sample_id, r.value, r.pass, r.analyst_id, r.at, r.reason FROM results r JOIN samples s ON s.id = r.sample_id
                WHERE \(clause) ORDER BY r.at LIMIT \(bind: limit)
                """
            ).all().map(Self.result)
        }
    }
}
