import Foundation
import Manufacturing
import SQLKit

/// Every GMP record in the audit chain. Each write seals the rows it creates or changes: an
/// audit entry (`action = seal`, `entity` = the table, `entity_id` = the row's key,
/// `new_value` = the SHA-256 of the row's canonical encoding) joins the hash chain. `audit
/// verify` then recomputes every row's hash and names any row edited, inserted or deleted
/// behind the application's back, in any GMP table.
enum Seals {
    enum Column: Sendable, Equatable {
        case text, integer, real
        /// A text column added after rows were sealed: left out of the encoding while empty,
        /// so the rows sealed before it came keep their hash.
        case addedText
    }

    struct Table: Sendable {
        var name: String
        var key: String
        var columns: [(name: String, type: Column)]
    }

    /// The GMP tables and their columns (sessions are not records: they expire).
    static let tables: [Table] = [
        Table(
            name: "users", key: "id",
            columns: [
                ("id", .text), ("username", .text), ("full_name", .text), ("role", .text), ("password_hash", .text),
                ("active", .integer), ("created_at", .text), ("failed_logins", .integer),
            ]),
        Table(
            name: "recipes", key: "id",
            columns: [
                ("id", .text), ("product", .text), ("version", .integer), ("status", .text), ("definition", .text),
                ("created_by", .text), ("created_at", .text),
            ]),
        Table(name: "material_items", key: "code", columns: [("code", .text), ("name", .text), ("unit", .text)]),
        Table(
            name: "material_lots", key: "id",
            columns: [
                ("id", .text), ("item", .text), ("supplier", .text), ("supplier_lot", .text), ("quantity", .real),
                ("remaining", .real), ("expiry", .text), ("status", .text), ("received_at", .text), ("retest", .addedText),
            ]),
        Table(
            name: "batches", key: "id",
            columns: [
                ("id", .text), ("recipe_id", .text), ("product", .text), ("status", .text), ("created_by", .text),
                ("created_at", .text),
            ]),
        Table(
            name: "batch_entries", key: "id",
            columns: [
                ("id", .text), ("batch_id", .text), ("phase_id", .text), ("kind", .text), ("parameter", .text),
                ("value", .real), ("in_range", .integer), ("material_lot", .text), ("quantity", .real),
                ("equipment", .text), ("corrects", .text), ("reason", .text), ("user_id", .text), ("at", .text),
            ]),
        Table(
            name: "samples", key: "id",
            columns: [
                ("id", .text), ("batch_id", .text), ("material_lot", .text), ("test", .text), ("low", .real),
                ("high", .real), ("unit", .text), ("status", .text), ("created_by", .text), ("created_at", .text),
                ("panel", .text), ("criterion", .text),
            ]),
        Table(
            name: "results", key: "id",
            columns: [
                ("id", .text), ("sample_id", .text), ("value", .real), ("pass", .integer), ("analyst_id", .text),
                ("at", .text), ("reason", .text),
            ]),
        Table(
            name: "deviations", key: "id",
            columns: [
                ("id", .text), ("batch_id", .text), ("sample_id", .text), ("kind", .text), ("description", .text),
                ("status", .text), ("opened_by", .text), ("opened_at", .text), ("classification", .addedText),
                ("root_cause", .addedText), ("alarm_id", .addedText),
            ]),
        Table(
            name: "capa_actions", key: "id",
            columns: [
                ("id", .text), ("deviation_id", .text), ("action", .text), ("owner_id", .text), ("due", .text), ("status", .text),
                ("done_note", .text), ("done_at", .text), ("created_by", .text), ("created_at", .text),
            ]),
        Table(
            name: "item_tests", key: "id",
            columns: [
                ("id", .text), ("item", .text), ("test", .text), ("low", .real), ("high", .real), ("unit", .text),
                ("criterion", .text), ("created_by", .text), ("created_at", .text),
            ]),
        Table(
            name: "second_factors", key: "user_id",
            columns: [("user_id", .text), ("secret", .text), ("confirmed", .integer), ("last_step", .integer), ("enrolled_at", .text)]),
        Table(
            name: "limit_sets", key: "id",
            columns: [
                ("id", .text), ("series", .text), ("version", .integer), ("alert_low", .real), ("alert_high", .real),
                ("action_low", .real), ("action_high", .real), ("persistence", .real), ("hysteresis", .real), ("status", .text),
                ("reason", .text), ("created_by", .text), ("created_at", .text),
            ]),
        Table(
            name: "alarms", key: "id",
            columns: [
                ("id", .text), ("series", .text), ("place", .text), ("level", .text), ("since", .text), ("raised_at", .text),
                ("value", .real), ("ended_at", .text), ("acknowledged_by", .text), ("acknowledged_at", .text), ("comment", .text),
                ("raised_by", .text),
            ]),
        Table(
            name: "role_policies", key: "role",
            columns: [("role", .text), ("second_factor", .integer), ("set_by", .text), ("set_at", .text)]),
        Table(
            name: "signatures", key: "id",
            columns: [
                ("id", .text), ("user_id", .text), ("full_name", .text), ("meaning", .text), ("entity", .text),
                ("entity_id", .text), ("at", .text),
            ]),
        Table(
            name: "process_files", key: "id",
            columns: [
                ("id", .text), ("name", .text), ("version", .integer), ("text", .text), ("sha256", .text), ("note", .text),
                ("created_by", .text), ("created_at", .text),
            ]),
    ]

    static func table(_ name: String) -> Table? { tables.first { $0.name == name } }

    /// A row as text, the same on SQLite and PostgreSQL: each column by name, length-prefixed.
    static func canonical(_ row: any SQLRow, _ table: Table) throws -> String {
        try canonical(table) { name, type in
            switch type {
            case .text, .addedText: try row.decode(column: name, as: String?.self)
            case .integer: try row.decode(column: name, as: Int?.self).map(String.init)
            case .real: try row.decode(column: name, as: Double?.self).map { "\($0)" }
            }
        }
    }

    /// The encoding of a row from its columns' values as text (nil: NULL).
    static func canonical(_ table: Table, value: (String, Column) throws -> String?) rethrows -> String {
        try table.columns.compactMap { column -> String? in
            let text = try value(column.name, column.type)
            if column.type == .addedText && text == nil { return nil }
            let value = text ?? "∅"
            return "\(column.name)=\(value.utf8.count):\(value)"
        }.joined(separator: "|")
    }

    static let entries = table("batch_entries")!

    /// The seal of a batch entry about to be inserted, from its values: the same text as the
    /// stored row gives (a test reads every entry back through `audit verify`).
    static func entryHash(_ e: BatchEntry) -> String {
        let values: [String: String?] = [
            "id": e.id, "batch_id": e.batchID, "phase_id": e.phaseID, "kind": e.kind.rawValue, "parameter": e.parameter,
            "value": e.value.map { "\($0)" }, "in_range": e.inRange.map { $0 ? "1" : "0" }, "material_lot": e.materialLot,
            "quantity": e.quantity.map { "\($0)" }, "equipment": e.equipment, "corrects": e.corrects, "reason": e.reason,
            "user_id": e.userID, "at": e.at,
        ]
        return sha256Hex(canonical(entries) { name, _ in values[name] ?? nil })
    }

    static func hash(_ row: any SQLRow, _ table: Table) throws -> String { sha256Hex(try canonical(row, table)) }

    static func key(_ row: any SQLRow, _ table: Table) throws -> String { try row.decode(column: table.key, as: String.self) }
}

extension GMPStore {
    /// Runs an insert or update of GMP rows and seals every row it wrote, as the database
    /// returned it (`RETURNING *`: one statement, and the hash of exactly what is stored).
    func sealed(_ db: any SQLDatabase, _ tableName: String, _ query: SQLQueryString, by user: String, at: String) async throws {
        guard let table = Seals.table(tableName) else { throw StoreIntegrityError(description: "no GMP table \(tableName)") }
        let rows = try await db.raw(query + " RETURNING *").all()
        guard !rows.isEmpty else { throw StoreIntegrityError(description: "\(table.name) has no row to seal") }
        for row in rows {
            try await audit(db, user: user, action: .seal, entity: table.name, id: try Seals.key(row, table), new: try Seals.hash(row, table), at: at)
        }
    }

    /// Seals every row of every GMP table not sealed yet (rows written before records were
    /// sealed): run once after the migration that brings sealing.
    func sealUnsealedRows(at: String) async throws -> Int {
        try await connection.transaction { db in
            let sealed = Set(
                try await db.raw("SELECT entity, entity_id FROM audit WHERE action = 'seal'").all().map {
                    "\(try $0.decode(column: "entity", as: String.self))/\(try $0.decode(column: "entity_id", as: String.self))"
                })
            var count = 0
            for table in Seals.tables {
                for row in try await db.raw(SQLQueryString("SELECT * FROM \(unsafeRaw: table.name)")).all() {
                    let key = try Seals.key(row, table)
                    guard !sealed.contains("\(table.name)/\(key)") else { continue }
                    try await self.audit(
                        db, user: "migration", action: .seal, entity: table.name, id: key, new: try Seals.hash(row, table),
                        reason: "sealed when records joined the audit chain", at: at)
                    count += 1
                }
            }
            return count
        }
    }

    /// Every row of every GMP table against its last seal in the chain: the problems, in words.
    func verifyRecords(_ db: any SQLDatabase) async throws -> [String] {
        var last: [String: String?] = [:]
        for row in try await db.raw("SELECT entity, entity_id, new_value FROM audit WHERE action = 'seal' ORDER BY sequence").all() {
            let entity = try row.decode(column: "entity", as: String.self)
            let id = try row.decode(column: "entity_id", as: String.self)
            // A seal with no hash records a row removed on purpose (an authenticator withdrawn).
            last["\(entity)/\(id)"] = try row.decode(column: "new_value", as: String?.self)
        }
        var problems: [String] = []
        var seen = Set<String>()
        for table in Seals.tables {
            for row in try await db.raw(SQLQueryString("SELECT * FROM \(unsafeRaw: table.name)")).all() {
                let key = try Seals.key(row, table)
                let name = "\(table.name)/\(key)"
                seen.insert(name)
                guard let sealed = last[name] ?? nil else {
                    problems.append("\(table.name) row \(key) was inserted behind the application's back: no audit entry seals it")
                    continue
                }
                if try Seals.hash(row, table) != sealed {
                    problems.append("\(table.name) row \(key) was edited behind the application's back: it differs from its seal")
                }
            }
        }
        for (name, hash) in last.sorted(by: { $0.key < $1.key }) where !seen.contains(name) && hash != nil {
            let parts = name.split(separator: "/", maxSplits: 1)
            problems.append("\(parts[0]) row \(parts.count > 1 ? String(parts[1]) : "") was deleted behind the application's back")
        }
        return problems
    }
}
