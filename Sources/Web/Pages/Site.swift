import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import Manufacturing
import Mustache
import NIOCore
import Store

/// What the web application needs beyond the store: its templates, the folder of process files
/// it shows, whether cookies are marked Secure (served behind TLS), and the one-time set-up code
/// of a database without users.
public struct Site: Sendable {
    public var library: String
    public var secureCookies: Bool
    public var setupCode: String?
    let templates: MustacheLibrary

    /// Loads the templates kept in `Sources/Web/Templates`.
    public static func load(library: String = "Examples", secureCookies: Bool = false, setupCode: String? = nil) async throws -> Site {
        guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw StoreIntegrityFailure("the web application's templates are missing from the build")
        }
        return Site(
            library: library, secureCookies: secureCookies, setupCode: setupCode,
            templates: try await MustacheLibrary(directory: directory.path))
    }

    /// A set-up code for the first administrator: 12 characters, printed once in the log.
    public static func newSetupCode() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }

    /// The stylesheet and the script, read once.
    static let stylesheet = staticFile("app.css")
    static let script = staticFile("app.js")

    static func staticFile(_ name: String) -> ByteBuffer {
        let url = Bundle.module.url(forResource: "Static/" + name, withExtension: nil)
        let data = url.flatMap { try? Data(contentsOf: $0) } ?? Data()
        return ByteBuffer(bytes: data)
    }

    /// A page: the template rendered with the values given (HTML-escaped by Mustache).
    func page(_ name: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = templates.render(values, withTemplate: name) ?? "<!doctype html><title>VectorFab</title><p>The page \(name) is missing."
        if let capture = PageCache.capture { capture.rendered = PageCache.Rendered(html: html, status: status) }
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}

struct StoreIntegrityFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The headers every answer carries: a Content-Security-Policy with no inline script and
/// nothing from another origin, no MIME sniffing, no framing, no referrer to other sites.
struct SecurityHeaders: RouterMiddleware {
    typealias Context = AppContext

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return response
    }
}

/// Cookies and forms: the session cookie (the store's session token, HttpOnly, SameSite=Strict,
/// Secure behind TLS), and the CSRF token every form carries — an HMAC of the session token, or
/// of a pre-session cookie on the sign-in and set-up forms.
enum Cookies {
    static let session = "vf_session"
    static let preSession = "vf_pre"

    static func value(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == name { return String(pair[1]) }
            }
        }
        return nil
    }

    static func set(_ name: String, _ value: String, site: Site, maxAge: Int) -> String {
        "\(name)=\(value); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)\(site.secureCookies ? "; Secure" : "")"
    }

    static func csrf(for secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("vectorfab-csrf".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return hex(mac)
    }

    /// Constant-time comparison of the form's token with the expected one.
    static func matches(_ given: String?, _ expected: String) -> Bool {
        guard let given, given.utf8.count == expected.utf8.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(given.utf8, expected.utf8) { difference |= a ^ b }
        return difference == 0
    }

    static func randomSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        return hex((0..<24).map { _ in UInt8.random(in: .min ... .max, using: &rng) })
    }
}

/// Reads the session cookie and looks the session up; a page without a valid one is sent to
/// the sign-in page (``RequirePageSignIn``).
struct CookieAuthenticator: AuthenticatorMiddleware {
    typealias Context = AppContext
    let store: GMPStore

    func authenticate(request: Request, context: AppContext) async throws -> SignedIn? {
        guard let token = Cookies.value(Cookies.session, in: request), token.count <= 128 else { return nil }
        guard let user = try? await store.user(forToken: token) else { return nil }
        return SignedIn(user: user, token: token)
    }
}

/// A page for signed-in users only: anyone else is sent to sign in, and back afterwards.
struct RequirePageSignIn: RouterMiddleware {
    typealias Context = AppContext

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard context.identity != nil else {
            let path = request.uri.path
            let next = path == "/" ? "" : "?next=" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-_."))) ?? "")
            return Response(status: .seeOther, headers: [.location: "/sign-in" + next])
        }
        return try await next(request, context)
    }
}

/// An `application/x-www-form-urlencoded` body, at most 64 KiB.
struct Form {
    var fields: [String: String]

    static let maxBytes = 64 * 1024

    init(_ request: Request, context: AppContext, maxBytes: Int = Form.maxBytes) async throws {
        let buffer = try await request.body.collect(upTo: maxBytes)
        let text = String(buffer: buffer)
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let key = parts.first, !key.isEmpty { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        self.fields = fields
    }

    subscript(_ name: String) -> String? { fields[name] }
}

extension Role {
    /// The role in words, capitalised: "Operator", "QC analyst".
    var title: String {
        switch self {
        case .operator: "Operator"
        case .supervisor: "Supervisor"
        case .qcAnalyst: "QC analyst"
        case .qa: "QA"
        case .administrator: "Administrator"
        case .engineer: "Process engineer"
        }
    }
}

/// Template values with every empty text left out, so that a `{{#field}}` section is skipped
/// for an empty field (swift-mustache renders a section for any string, even an empty one).
func sections(_ values: [String: Any]) -> [String: Any] {
    func clean(_ x: Any) -> Any? {
        switch x {
        case let s as String: return s.isEmpty ? nil : s
        case let d as [String: Any]: return sections(d)
        case let a as [[String: Any]]: return a.map(sections)
        case let a as [Any]: return a.compactMap(clean)
        default: return x
        }
    }
    return values.compactMapValues(clean)
}

/// An ISO 8601 time as people read it in a record: `2026-12-02 07:54:16 UTC`.
func when(_ iso: String) -> String {
    guard iso.count >= 19, iso.dropFirst(10).first == "T" else { return iso }
    return iso.prefix(10) + " " + iso.dropFirst(11).prefix(8) + " UTC"
}

extension Site {
    /// Today (UTC) written `YYYY-MM-DD`, as the records' dates are compared.
    static func today() -> String { String(ISO8601DateFormatter().string(from: Date()).prefix(10)) }
}
