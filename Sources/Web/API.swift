import Bioprocess
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import APIBodies
import Manufacturing
import NIOCore
import Store

/// The request context: who is signed in (set by ``BearerAuthenticator``).
public struct AppContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: SignedIn?

    /// The client's IP address (nil in tests without a socket).
    public var remoteAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are small JSON documents (a process file at most): 1 MiB. A larger body is
    /// answered 413 with the limit.
    public var maxUploadSize: Int { API.maxBodyBytes }
}

/// A JSON error body: `{"error": "forbidden", "message": "...", "details": [...]}`.
struct ErrorBody: Encodable {
    var error: String
    var message: String
    var details: [String]
}

func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(value)
    return Response(
        status: status, headers: [.contentType: "application/json; charset=utf-8"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

/// Turns every error into a JSON answer with the right status; nothing leaks as a 500 but
/// real failures of the server.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppContext

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is NIOTooManyBytesError {
            return try json(
                ErrorBody(
                    error: "too-large", message: "the body is larger than the \(API.maxBodyBytes) bytes (1 MiB) a request may carry",
                    details: ["send at most \(API.maxBodyBytes) bytes"]),
                status: .contentTooLarge)
        } catch let e as HTTPError {
            return try json(ErrorBody(error: "http", message: e.body ?? e.status.reasonPhrase, details: []), status: e.status)
        } catch let e as any HTTPResponseError {
            return try e.response(from: request, context: context)
        } catch let e as DefinitionError {
            return try json(ErrorBody(error: "invalid", message: "the process file has mistakes", details: e.issues.map(\.description)), status: .badRequest)
        } catch {
            context.logger.error("request failed: \(error)")
            return try json(ErrorBody(error: "server", message: "the server failed to answer; nothing was changed", details: []), status: .internalServerError)
        }
    }
}

/// A refusal of the GMP rules, answered with its status and its reasons.
extension GMPError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch kind {
        case .invalid: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try json(ErrorBody(error: kind.rawValue, message: message, details: details), status: status)
    }
}

/// A malformed request: 400 with what was expected.
extension BadRequest: HTTPResponseError {
    public var status: HTTPResponse.Status { .badRequest }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try json(ErrorBody(error: "invalid", message: message, details: details), status: status)
    }
}

extension Request {
    /// The body, at most ``API/maxBodyBytes``, decoded strictly (see ``BodyDecoder``).
    func body<T: StrictBody>(_ type: T.Type, context: AppContext) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        return try BodyDecoder.decode(T.self, from: Data(buffer.readableBytesView))
    }
}

/// `limit` (1–1000, default 100) and `offset` (default 0) from a query.
func page(_ q: Hummingbird.Parameters) throws -> Page {
    func int(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
        guard let text = q.get(name) else { return fallback }
        guard let n = Int(text), range.contains(n) else {
            throw BadRequest(message: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }
    return Page(limit: try int("limit", 100, 1...Page.maxLimit), offset: try int("offset", 0, 0...Page.maxOffset))
}

/// A query parameter that is one of an enumeration's values, or a 400 listing them.
func choice<E: RawRepresentable & CaseIterable>(_ text: String?, _ name: String, _ type: E.Type) throws -> E?
where E.RawValue == String {
    guard let text else { return nil }
    guard let value = E(rawValue: text) else {
        throw BadRequest(message: "\(name) '\(text)' is not one of: " + E.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return value
}

extension AppContext {
    func signedIn() throws -> User {
        guard let identity else { throw GMPError(.unauthenticated, "sign in first") }
        return identity.user
    }

    func parameter(_ name: String) throws -> String {
        guard let value = parameters.get(name) else { throw BadRequest(message: "missing path parameter \(name)") }
        return value
    }
}

// MARK: Answers

struct Session: Encodable {
    var token: String
    var user: User
}

struct EntryAnswer: Encodable {
    var entry: BatchEntry
    var deviation: Deviation?
}

struct ResultAnswer: Encodable {
    var result: QCResult
    var deviation: Deviation?
}

struct BatchAnswer: Encodable {
    var batch: Batch
    var entries: [BatchEntry]
}

struct Problems: Encodable {
    var ok: Bool
    var problems: [String]
}

/// The JSON API over a store. Every route is described in `docs/openapi.yaml`.
public enum API {
    /// The largest request body, in bytes.
    public static let maxBodyBytes = 1 << 20

    public static func router(store: GMPStore, site: Site? = nil, monitor: Monitor? = nil) -> Router<AppContext> {
        let router = Router(context: AppContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: SecurityHeaders())
        let throttle = SignInThrottle()
        if let site { PageRoutes(store: store, site: site, throttle: throttle, monitor: monitor).addRoutes(to: router) }
        router.get("/health") { _, _ in try json(["status": "ok"]) }
        let api = router.group("api")
        SessionRoutes(store: store, throttle: throttle).addPublicRoutes(to: api)
        // Every other route needs a signed-in user: a bearer token from POST /api/login.
        let signedIn = api.group().add(middleware: BearerAuthenticator(store: store)).add(middleware: RequireSignIn())
        SessionRoutes(store: store, throttle: throttle).addRoutes(to: signedIn)
        UserRoutes(store: store).addRoutes(to: signedIn.group("users"))
        RecipeRoutes(store: store).addRoutes(to: signedIn.group("recipes"))
        MaterialRoutes(store: store).addRoutes(items: signedIn.group("items"), lots: signedIn.group("lots"))
        BatchRoutes(store: store).addRoutes(batches: signedIn.group("batches"), entries: signedIn.group("entries"))
        SampleRoutes(store: store).addRoutes(to: signedIn.group("samples"))
        DeviationRoutes(store: store).addRoutes(to: signedIn.group("deviations"))
        DeviationRoutes(store: store).addActionRoutes(to: signedIn.group("actions"))
        UserRoutes(store: store).addPolicyRoutes(to: signedIn.group("policies"))
        AuditRoutes(store: store).addRoutes(to: signedIn.group("audit"))
        PointRoutes(store: store, monitor: monitor).addRoutes(to: signedIn.group("points"))
        LimitRoutes(store: store, monitor: monitor).addRoutes(to: signedIn.group("limits"))
        AlarmRoutes(store: store, monitor: monitor).addRoutes(to: signedIn.group("alarms"))
        ComputeRoutes().addRoutes(to: signedIn)
        ProcessFileRoutes(store: store, library: site?.library ?? "Examples").addRoutes(to: signedIn.group("process-files"))
        return router
    }

    /// The HTTP server.
    public static func application(store: GMPStore, site: Site? = nil, monitor: Monitor? = nil, host: String, port: Int, logger: Logger)
        -> some ApplicationProtocol
    {
        Application(router: router(store: store, site: site, monitor: monitor), configuration: .init(address: .hostname(host, port: port), serverName: "VectorFab"), logger: logger)
    }
}
