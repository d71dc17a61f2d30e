import Crypto
import Foundation
import Manufacturing
import SQLKit

/// One saved version of a process file: its whole text, who wrote it, when and why. Versions are
/// never changed or deleted; a change is a new version (sealed in the audit chain like every
/// GMP record, since recipes are generated from these files).
public struct ProcessFileVersion: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var version: Int
    public var text: String
    /// SHA-256 of the text, in hexadecimal.
    public var sha256: String
    /// Why the version was written.
    public var note: String
    public var createdBy: String
    public var createdAt: String
}

extension GMPStore {
    /// The longest process file kept: 1 MiB, the most a process file may hold when read.
    public static let maxProcessFileBytes = 1 << 20
    /// The most versions one process file keeps, and the most files the library holds.
    public static let maxProcessFileVersions = 1_000
    public static let maxProcessFiles = 500

    /// Whether `name` can name a process file: letters, digits, `.`, `_` and `-`,
    /// ending in `.yaml`, `.yml` or `.json`, at most 100 characters.
    public static func isProcessFileName(_ name: String) -> Bool {
        name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,94}\\.(yaml|yml|json)$", options: .regularExpression) != nil
    }

    static func processFileVersion(_ row: any SQLRow) throws -> ProcessFileVersion {
        ProcessFileVersion(
            id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
            version: try row.decode(column: "version", as: Int.self), text: try row.decode(column: "text", as: String.self),
            sha256: try row.decode(column: "sha256", as: String.self), note: try row.decode(column: "note", as: String.self),
            createdBy: try row.decode(column: "created_by", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self))
    }

    /// Saves `text` as the next version of the process file `name`, with the reason for the
    /// change. The caller has checked that the text is a process file; the store refuses a name
    /// it cannot hold, an empty or oversized text, a missing reason, and a text the same as the
    /// latest version's.
    public func saveProcessFile(_ user: User, name: String, text: String, note: String) async throws -> ProcessFileVersion {
        try require(user, .editProcess)
        guard Self.isProcessFileName(name) else {
            throw GMPError(
                .invalid, "the file name must be letters, digits, '.', '_' or '-', ending in .yaml, .yml or .json (at most 100 characters)")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, text.utf8.count <= Self.maxProcessFileBytes else {
            throw GMPError(.invalid, "the process file must hold text, at most \(Self.maxProcessFileBytes / 1024) KiB")
        }
        guard !text.unicodeScalars.contains(where: { $0.value == 0 }) else { throw GMPError(.invalid, "the process file contains a NUL character") }
        try Self.requireText(note, "the reason for the change")
        let sha = hex(SHA256.hash(data: Data(text.utf8)))
        let at = now()
        return try await connection.transaction { db in
            let last = try await db.raw(
                "SELECT version, sha256 FROM process_files WHERE name = \(bind: name) ORDER BY version DESC LIMIT 1"
            ).first()
            let version = (try last?.decode(column: "version", as: Int.self) ?? 0) + 1
            if let last, try last.decode(column: "sha256", as: String.self) == sha {
                throw GMPError(.conflict, "\(name) v\(version - 1) already holds this text: nothing changed")
            }
            guard version <= Self.maxProcessFileVersions else {
                throw GMPError(.conflict, "\(name) has \(Self.maxProcessFileVersions) versions, the most one file keeps")
            }
            if version == 1 {
                let files = try await db.raw("SELECT COUNT(DISTINCT name) AS n FROM process_files").first()?.decode(column: "n", as: Int.self) ?? 0
                guard files < Self.maxProcessFiles else {
                    throw GMPError(.conflict, "the library holds \(Self.maxProcessFiles) process files, the most it keeps")
                }
            }
            let record = ProcessFileVersion(
                id: Self.newID("process"), name: name, version: version, text: text, sha256: sha, note: note, createdBy: user.id, createdAt: at)
            try await self.sealed(db, "process_files",
                """
                INSERT INTO process_files (id, name, version, text, sha256, note, created_by, created_at)
                VALUES (\(bind: record.id), \(bind: name), \(bind: version), \(bind: text), \(bind: sha), \(bind: note), \(bind: user.id), \(bind: at))
                """, by: user.id, at: at)
            try await self.audit(
                db, user: user.id, action: .create, entity: "process-file", id: record.id, field: "version", new: "\(name) v\(version) \(sha.prefix(12))",
                reason: note, at: at)
            return record
        }
    }

    /// The latest version of every stored process file, by name.
    public func latestProcessFiles(_ user: User) async throws -> [ProcessFileVersion] {
        try require(user, .readRecords)
        return try await connection.read { db in
            try await db.raw(
                """
                SELECT p.* FROM process_files p
                JOIN (SELECT name, MAX(version) AS v FROM process_files GROUP BY name) l ON p.name = l.name AND p.version = l.v
                ORDER BY p.name
                """
            ).all().map(Self.processFileVersion)
        }
    }

    /// Every version of one process file, oldest first.
    public func processFileVersions(_ user: User, name: String) async throws -> [ProcessFileVersion] {
        try require(user, .readRecords)
        return try await connection.read { db in
            try await db.raw("SELECT * FROM process_files WHERE name = \(bind: name) ORDER BY version").all().map(Self.processFileVersion)
        }
    }
}

extension GMPStore {
    /// How many versions the store holds: versions are never changed or deleted, so a new one
    /// changes the count (pages computed from the library are kept under it).
    public func processFileCount() async throws -> Int {
        try await connection.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM process_files").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}
