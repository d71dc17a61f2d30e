import Crypto
import Foundation
import Synchronization
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Reporting
import NIOCore
import Store

/// Pages rendered once and kept: a page's HTML depends on its path and query, whether the
/// signed-in role may edit process files, and the files it is computed from (the library folder, its `costs` and `capacity`
/// folders, the versions in the store), so it is rendered with placeholders for the person (name,
/// role and CSRF token) and kept under those; each answer puts the person back. A changed file or a
/// new version makes a new key. At most 128 pages (none over 4 MB) are kept.
enum PageCache {
    struct Rendered: Sendable {
        var html: String
        var status: HTTPResponse.Status
    }

    /// A kept page cut at its placeholders once: the text between them, and which goes where.
    struct Kept: Sendable {
        var pieces: [ByteBuffer]
        /// After piece `k`: 0 the name, 1 the username, 2 the CSRF token, 3 the role, nil nothing.
        var slots: [Int?]
        var status: HTTPResponse.Status
        var bytes: Int

        init(_ r: Rendered) {
            status = r.status
            let bytes = Array(r.html.utf8)
            self.bytes = bytes.count
            var pieces: [ByteBuffer] = [], slots: [Int?] = []
            let marks: [[UInt8]] = [PageCache.fullName, PageCache.username, PageCache.csrf, PageCache.role].map { Array($0.utf8) }
            var start = 0, i = 0
            while i < bytes.count {
                if bytes[i] == 1, let k = marks.firstIndex(where: { m in i + m.count <= bytes.count && bytes[i..<(i + m.count)].elementsEqual(m) }) {
                    pieces.append(ByteBuffer(bytes: bytes[start..<i]))
                    slots.append(k)
                    i += marks[k].count
                    start = i
                } else {
                    i += 1
                }
            }
            pieces.append(ByteBuffer(bytes: bytes[start..<bytes.count]))
            slots.append(nil)
            self.pieces = pieces
            self.slots = slots
        }
    }

    final class Capture: @unchecked Sendable {
        var rendered: Rendered?
    }

    @TaskLocal static var capture: Capture?

    /// The library folders' files (name, size, modification date), hashed; looked at again
    /// after a second at most, so a file edited on disk shows within a second.
    static func folderStamp(_ library: String) -> String {
        let now = Date()
        if let (at, stamp) = folders.withLock({ $0[library] }), now.timeIntervalSince(at) < 1 { return stamp }
        var hasher = SHA256()
        for folder in [library, library + "/costs", library + "/capacity"] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().prefix(500)
            for name in names { hasher.update(data: Data(fileStamp(folder + "/" + name).utf8)) }
        }
        let stamp = hex(hasher.finalize())
        folders.withLock { $0[library] = (now, stamp) }
        return stamp
    }

    static let folders = Mutex<[String: (Date, String)]>([:])

    static let pages = Memo<Kept>(capacity: 128)
    static let maxBytes = 4 << 20

    static let fullName = "\u{1}name\u{1}", username = "\u{1}user\u{1}", csrf = "\u{1}csrf\u{1}", role = "\u{1}role\u{1}"

    /// As Mustache escapes: the charts' escape, and the apostrophe.
    static func escaped(_ s: String) -> String { xmlEscaped(s).replacingOccurrences(of: "'", with: "&#39;") }

    static func response(_ kept: Kept, for identity: SignedIn) -> Response {
        let values = [
            escaped(identity.user.fullName), escaped(identity.user.username), Cookies.csrf(for: identity.token), escaped(identity.user.role.title),
        ]
        var out = ByteBuffer()
        out.reserveCapacity(kept.bytes + 256)
        for (piece, slot) in zip(kept.pieces, kept.slots) {
            var p = piece
            out.writeBuffer(&p)
            if let slot { out.writeString(values[slot]) }
        }
        return Response(
            status: kept.status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: out))
    }
}

extension PageRoutes {
    /// The files and versions pages are computed from, as one key.
    func pageStamp() async throws -> String {
        let files = PageCache.folderStamp(site.library)
        // The store too: two sites of one process (tests, say) never share a page.
        return files + "|\(store.instance)|versions:\(try await store.processFileCount())"
    }

    /// The page `handler` answers, kept for the role and the query: rendered once, answered
    /// again with the person's name and token put back. Downloads and redirects pass through.
    func cachedPage(_ request: Request, _ context: AppContext, _ handler: () async throws -> Response) async throws -> Response {
        let identity = try context.requireIdentity()
        // What the role changes on these pages is whether process files may be edited.
        let key = "\(Permissions.allows(identity.user.role, .editProcess))|\(request.uri.path)?\(request.uri.query ?? "")|\(try await pageStamp())"
        if let kept = PageCache.pages.get(key) { return PageCache.response(kept, for: identity) }
        let capture = PageCache.Capture()
        let response = try await PageCache.$capture.withValue(capture) { try await handler() }
        guard let rendered = capture.rendered else { return response }
        let kept = PageCache.Kept(rendered)
        if kept.bytes <= PageCache.maxBytes { PageCache.pages.set(key, kept) }
        return PageCache.response(kept, for: identity)
    }
}
