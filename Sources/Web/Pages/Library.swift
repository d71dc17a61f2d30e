import Bioprocess
import Crypto
import Economics
import FileFormats
import Foundation
import Manufacturing
import Reporting
import Store

/// The process library the pages show: the files of the library folder, as shipped (read only),
/// and the versions people write in the browser, kept in the store. A file's current text is its
/// latest stored version, or else the folder's file; the folder's file is its version 0.
struct ProcessLibrary: Sendable {
    let store: GMPStore
    let folder: String

    /// The most files the folder contributes.
    static let maxFolderFiles = 200

    /// One version of one file.
    struct Source: Sendable {
        var name: String
        var version: Int
        var text: String
        var sha256: String
        /// Why it was written, who wrote it and when; for the folder's file, where it comes from.
        var note: String
        var author: String
        var at: String

        var label: String { version == 0 ? "v0 (library folder)" : "v\(version)" }
    }

    func folderNames() -> [String] {
        Array(
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter(GMPStore.isProcessFileName).sorted().prefix(Self.maxFolderFiles))
    }

    /// The folder's file `name` (a name the folder lists, so no other path is ever read).
    func folderSource(_ name: String) -> Source? {
        guard folderNames().contains(name), let data = FileManager.default.contents(atPath: folder + "/" + name),
            data.count <= GMPStore.maxProcessFileBytes, let text = String(data: data, encoding: .utf8)
        else { return nil }
        return Source(
            name: name, version: 0, text: text, sha256: hex(SHA256.hash(data: data)), note: "as shipped in the library folder",
            author: "", at: "")
    }

    func stored(_ v: ProcessFileVersion, names: [String: String]) -> Source {
        Source(name: v.name, version: v.version, text: v.text, sha256: v.sha256, note: v.note, author: names[v.createdBy] ?? v.createdBy, at: v.createdAt)
    }

    /// Full names of the people who write versions, by user id.
    func names(_ user: User) async throws -> [String: String] {
        Dictionary(try await store.users(user).map { ($0.id, $0.fullName) }, uniquingKeysWith: { a, _ in a })
    }

    /// The current version of every file, by name.
    func current(_ user: User) async throws -> [Source] {
        let names = try await names(user)
        var byName: [String: Source] = [:]
        for name in folderNames() { if let s = folderSource(name) { byName[name] = s } }
        for v in try await store.latestProcessFiles(user) { byName[v.name] = stored(v, names: names) }
        return byName.values.sorted { $0.name < $1.name }
    }

    /// The current version of one file, or nil.
    func current(_ user: User, _ name: String) async throws -> Source? {
        try await versions(user, name).last
    }

    /// Every version of one file, oldest first: the folder's file (v0) if there is one, then
    /// the stored versions.
    func versions(_ user: User, _ name: String) async throws -> [Source] {
        guard GMPStore.isProcessFileName(name) else { return [] }
        let names = try await names(user)
        return (folderSource(name).map { [$0] } ?? []) + (try await store.processFileVersions(user, name: name)).map { stored($0, names: names) }
    }
}

/// A process file's text, read: the lot it makes, or every mistake with its place.
struct ReadProcess: Sendable {
    var definition: ProcessDefinition
    var lot: LotReport
    var report: LotReportData
    /// With its costs, when the file has a `costs` section.
    var economic: EconomicModel?
    var document: DocumentNode
}

/// One mistake of a process file, as the editor shows it.
struct Mistake: Sendable, Hashable {
    var line: Int?
    var column: Int?
    var field: String
    var message: String

    var values: [String: Any] {
        ["place": line.map { "line \($0)" + (column.map { ", column \($0)" } ?? "") } ?? "the file", "line": line ?? 0, "field": field, "message": message]
    }

    /// `line 12, column 5: upstream.titer: …`
    var description: String {
        (line.map { "line \($0)" + (column.map { ", column \($0)" } ?? "") + ": " } ?? "") + "\(field): \(message)"
    }

    var json: [String: Any] { ["line": line ?? NSNull(), "column": column ?? NSNull(), "field": field, "message": message] }
}

/// Reads process texts once for each distinct text (by SHA-256): the pages and downloads of one
/// file share one simulation. At most 256 texts are kept; the oldest read is forgotten first.
final class ProcessReadings: Sendable {
    static let shared = ProcessReadings()

    private let kept = Memo<Result<ReadProcess, MistakeList>>(capacity: 256)

    struct MistakeList: Error, Sendable { var mistakes: [Mistake] }

    /// `text` read as the process file `name` of the library folder `folder` (its `costs:`
    /// reference is resolved there).
    func read(_ text: String, name: String, folder: String, sha256: String? = nil) -> Result<ReadProcess, MistakeList> {
        kept.value((sha256 ?? hex(SHA256.hash(data: Data(text.utf8)))) + "|" + name) { Self.readUncached(text, name: name, folder: folder) }
    }

    static func readUncached(_ text: String, name: String, folder: String) -> Result<ReadProcess, MistakeList> {
        func mistakes(_ e: DefinitionError) -> MistakeList {
            MistakeList(
                mistakes: e.issues.map {
                    Mistake(
                        line: $0.location?.file == name ? $0.location?.line : nil, column: $0.location?.file == name ? $0.location?.column : nil,
                        field: $0.path.description,
                        message: ($0.location.map { $0.file == name ? "" : "in \($0): " } ?? "") + $0.message + ($0.expected.map { "; expected \($0)" } ?? ""))
                })
        }
        do {
            let document = try DocumentLoader.parse(text, file: name)
            let definition = try ProcessReader.read(document, extensions: ProcessFile.extensions)
            var economic: EconomicModel?
            if case .mapping(let fields) = document.value, fields.contains(where: { $0.key == "costs" }) {
                economic = try EconomicReader.read(EconomicFile.resolvingReferences(document, from: folder + "/" + name))
            }
            let lot: LotReport
            do {
                lot = try LotReport.simulate(definition)
            } catch {
                return .failure(MistakeList(mistakes: [Mistake(line: nil, column: nil, field: "(the lot)", message: "the file reads, but makes no lot: \(error)")]))
            }
            return .success(ReadProcess(definition: definition, lot: lot, report: LotReportData(lot), economic: economic, document: document))
        } catch {
            return .failure(mistakes(error))
        }
    }
}
