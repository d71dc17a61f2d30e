import APIBodies
import Foundation
import Hummingbird
import Manufacturing
import Store

/// The process library over the API: the current version of every file, the versions of one,
/// and a new version (checked first: a file with mistakes is refused with each at its line).
struct ProcessFileRoutes {
    let store: GMPStore
    let library: String

    struct Summary: Encodable {
        var name: String
        var version: Int
        var sha256: String
        var note: String
        var createdBy: String
        var createdAt: String
    }

    struct Detail: Encodable {
        var name: String
        var text: String
        var versions: [Summary]
    }

    func summary(_ s: ProcessLibrary.Source) -> Summary {
        Summary(name: s.name, version: s.version, sha256: s.sha256, note: s.note, createdBy: s.author, createdAt: s.at)
    }

    func addRoutes(to files: RouterGroup<AppContext>) {
        let lib = ProcessLibrary(store: store, folder: library)
        files.get { _, context in try json(try await lib.current(try context.signedIn()).map(summary)) }
        files.get(":name") { _, context in
            let name = try context.parameter("name")
            let versions = try await lib.versions(try context.signedIn(), name)
            guard let last = versions.last else { throw GMPError(.notFound, "the library has no process file \(name)") }
            return try json(Detail(name: name, text: last.text, versions: versions.map(summary)))
        }
        files.post { request, context in
            let user = try context.signedIn()
            try store.authorize(user, .editProcess)
            let b = try await request.body(ProcessFileBody.self, context: context)
            guard GMPStore.isProcessFileName(b.name) else {
                throw BadRequest(message: "name must be letters, digits, '.', '_' or '-', ending in .yaml, .yml or .json, such as aav-retina-200L.yaml")
            }
            let mistakes: [Mistake]
            if case .failure(let m) = ProcessReadings.shared.read(b.text, name: b.name, folder: library) { mistakes = m.mistakes } else { mistakes = [] }
            guard mistakes.isEmpty else {
                throw BadRequest(message: "\(b.name) has \(mistakes.count == 1 ? "a mistake" : "\(mistakes.count) mistakes"): nothing was saved", details: mistakes.map(\.description))
            }
            let v = try await store.saveProcessFile(user, name: b.name, text: b.text, note: b.note)
            return try json(
                Summary(name: v.name, version: v.version, sha256: v.sha256, note: v.note, createdBy: user.fullName, createdAt: v.createdAt),
                status: .created)
        }
    }
}
