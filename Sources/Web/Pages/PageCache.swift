import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import NIOCore
import Store

/// Pages rendered once and kept: a page's HTML depends on its path and query, the signed-in
/// role, and the files it is computed from (the library folder, its `costs` and `capacity`
/// folders, the versions in the store), so it is rendered with placeholders for the person (name
/// and CSRF token) and kept under those; each answer puts the person back. A changed file or a
/// new version makes a new key. At most 128 pages (none over 4 MB) are kept.
enum PageCache {
    struct Rendered: Sendable {
        var html: String
        var status: HTTPResponse.Status
    }

    final class Capture: @unchecked Sendable {
        var rendered: Rendered?
    }

    @TaskLocal static var capture: Capture?

    static let pages = Memo<Rendered>(capacity: 128)
    static let maxBytes = 4 << 20

    static let fullName = "\u{1}name\u{1}", username = "\u{1}user\u{1}", csrf = "\u{1}csrf\u{1}"

    static func escaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static func response(_ r: Rendered, for identity: SignedIn) -> Response {
        let html = r.html.replacingOccurrences(of: fullName, with: escaped(identity.user.fullName))
            .replacingOccurrences(of: username, with: escaped(identity.user.username))
            .replacingOccurrences(of: csrf, with: Cookies.csrf(for: identity.token))
        return Response(
            status: r.status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}

extension PageRoutes {
    /// The files and versions pages are computed from, as one key.
    func pageStamp() async throws -> String {
        var parts: [String] = []
        for folder in [site.library, site.library + "/costs", site.library + "/capacity"] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().prefix(500)
            for name in names { parts.append(Memo<Int>.stamp(folder + "/" + name)) }
        }
        parts.append("versions:\(try await store.processFileCount())")
        return parts.joined(separator: "|")
    }

    /// The page `handler` answers, kept for the role and the query: rendered once, answered
    /// again with the person's name and token put back. Downloads and redirects pass through.
    func cachedPage(_ request: Request, _ context: AppContext, _ handler: () async throws -> Response) async throws -> Response {
        let identity = try context.requireIdentity()
        let key = "\(identity.user.role.rawValue)|\(request.uri.path)?\(request.uri.query ?? "")|\(try await pageStamp())"
        if let kept = PageCache.pages.get(key) { return PageCache.response(kept, for: identity) }
        let capture = PageCache.Capture()
        let response = try await PageCache.$capture.withValue(capture) { try await handler() }
        guard let rendered = capture.rendered else { return response }
        if rendered.html.utf8.count <= PageCache.maxBytes { PageCache.pages.set(key, rendered) }
        return PageCache.response(rendered, for: identity)
    }
}
