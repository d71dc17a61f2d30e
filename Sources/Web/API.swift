import Bioprocess
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import APIBodies
import Manufacturing
import NIOCore
import Store

/// The request context: who is signed in.
public struct AppContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var user: User?
    public var token: String?

    public init(source: Source) {
        coreContext = .init(source: source)
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
        } catch let e as GMPError {
            let status: HTTPResponse.Status =
                switch e.kind {
                case .invalid: .badRequest
                case .unauthenticated: .unauthorized
                case .forbidden: .forbidden
                case .notFound: .notFound
                case .conflict: .conflict
                }
            return try json(ErrorBody(error: e.kind.rawValue, message: e.message, details: e.details), status: status)
        } catch let e as BadRequest {
            return try json(ErrorBody(error: "invalid", message: e.message, details: e.details), status: .badRequest)
        } catch let e as HTTPError {
            return try json(ErrorBody(error: "http", message: e.body ?? e.status.reasonPhrase, details: []), status: e.status)
        } catch is NIOTooManyBytesError {
            return try json(
                ErrorBody(
                    error: "too-large", message: "the body is larger than the \(API.maxBodyBytes) bytes (1 MiB) a request may carry",
                    details: ["send at most \(API.maxBodyBytes) bytes"]),
                status: .contentTooLarge)
        } catch let e as DefinitionError {
            return try json(ErrorBody(error: "invalid", message: "the process file has mistakes", details: e.issues.map(\.description)), status: .badRequest)
        } catch {
            context.logger.error("request failed: \(error)")
            return try json(ErrorBody(error: "server", message: "the server failed to answer; nothing was changed", details: []), status: .internalServerError)
        }
    }
}

/// Everything but `/health` and `/api/login` needs a signed-in user (a bearer token).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let store: GMPStore

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/health" || path == "/api/login" { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw GMPError(.unauthenticated, "sign in first: POST /api/login, then send 'Authorization: Bearer <token>'")
        }
        let token = String(header.dropFirst("Bearer ".count))
        var context = context
        context.user = try await store.user(forToken: token)
        context.token = token
        return try await next(request, context)
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
        guard let user else { throw GMPError(.unauthenticated, "sign in first") }
        return user
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

    public static func router(store: GMPStore) -> Router<AppContext> {
        let router = Router(context: AppContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AuthMiddleware(store: store))

        router.get("/health") { _, _ in try json(["status": "ok"]) }

        router.post("/api/login") { request, context in
            let b = try await request.body(LoginBody.self, context: context)
            let (token, user) = try await store.login(username: b.username, password: b.password)
            return try json(Session(token: token, user: user))
        }
        router.post("/api/logout") { _, context in
            if let token = context.token { try await store.logout(token: token) }
            return try json(["status": "signed out"])
        }
        router.get("/api/me") { _, context in try json(try context.signedIn()) }
        router.post("/api/me/password") { request, context in
            let b = try await request.body(PasswordChangeBody.self, context: context)
            try await store.changePassword(try context.signedIn(), current: b.currentPassword, new: b.newPassword)
            return try json(["status": "password changed: sign in again"])
        }

        // Users
        router.get("/api/users") { _, context in try json(try await store.users(try context.signedIn())) }
        router.post("/api/users") { request, context in
            let b = try await request.body(UserBody.self, context: context)
            return try json(
                try await store.createUser(by: try context.signedIn(), username: b.username, fullName: b.fullName, role: b.role, password: b.password),
                status: .created)
        }
        router.post("/api/users/:id/active") { request, context in
            let b = try await request.body(ActiveBody.self, context: context)
            try await store.setActive(by: try context.signedIn(), userID: try context.parameter("id"), active: b.active, reason: b.reason)
            return try json(["status": "updated"])
        }
        router.post("/api/users/:id/password") { request, context in
            let b = try await request.body(PasswordResetBody.self, context: context)
            try await store.resetPassword(by: try context.signedIn(), userID: try context.parameter("id"), new: b.password, reason: b.reason)
            return try json(["status": "password set: the user's sessions are ended"])
        }

        // Recipes
        router.get("/api/recipes") { _, context in try json(try await store.recipes(try context.signedIn())) }
        router.get("/api/recipes/:id") { _, context in try json(try await store.recipe(try context.signedIn(), id: try context.parameter("id"))) }
        router.post("/api/recipes") { request, context in
            let user = try context.signedIn()
            // The role first: a forbidden request is forbidden whatever its body.
            try store.authorize(user, .createRecipe)
            let b = try await request.body(RecipeBody.self, context: context)
            let tolerance = b.tolerance ?? 0.1
            guard tolerance.isFinite, tolerance > 0, tolerance < 1 else {
                throw BadRequest(message: "tolerance must be a fraction above 0 and below 1, such as 0.1")
            }
            let process = try ProcessFile.parse(b.process, file: "process")
            let recipe: MasterRecipe
            do { recipe = try RecipeGenerator.generate(process, tolerance: tolerance) } catch let e as SimulationError {
                throw BadRequest(message: "the process cannot make a lot: \(e.message)")
            }
            return try json(try await store.createRecipe(user, recipe), status: .created)
        }
        router.post("/api/recipes/:id/approve") { request, context in
            let b = try await request.body(PasswordBody.self, context: context)
            return try json(try await store.approveRecipe(try context.signedIn(), id: try context.parameter("id"), password: b.password))
        }

        // Materials
        router.post("/api/items") { request, context in
            let b = try await request.body(ItemBody.self, context: context)
            return try json(try await store.defineItem(try context.signedIn(), code: b.code, name: b.name, unit: b.unit), status: .created)
        }
        router.get("/api/lots") { request, context in
            let q = request.uri.queryParameters
            return try json(
                try await store.lots(
                    try context.signedIn(), item: q.get("item"), status: try choice(q.get("status"), "status", MaterialStatus.self),
                    page: try page(q)))
        }
        router.get("/api/items") { request, context in
            try json(try await store.items(try context.signedIn(), page: try page(request.uri.queryParameters)))
        }
        router.post("/api/lots") { request, context in
            let b = try await request.body(LotBody.self, context: context)
            return try json(
                try await store.receiveLot(
                    try context.signedIn(), item: b.item, supplier: b.supplier, supplierLot: b.supplierLot, quantity: b.quantity, expiry: b.expiry),
                status: .created)
        }
        router.post("/api/lots/:id/decision") { request, context in
            let b = try await request.body(DecisionBody.self, context: context)
            return try json(
                try await store.decideLot(try context.signedIn(), id: try context.parameter("id"), release: b.release, reason: b.reason, password: b.password))
        }
        router.get("/api/lots/:id/where-used") { _, context in
            try json(try await store.whereUsed(try context.signedIn(), lot: try context.parameter("id")))
        }

        // Batches
        router.post("/api/batches") { request, context in
            let b = try await request.body(BatchBody.self, context: context)
            return try json(try await store.createBatch(try context.signedIn(), recipeID: b.recipeId), status: .created)
        }
        router.get("/api/batches") { request, context in
            let q = request.uri.queryParameters
            return try json(
                try await store.batches(
                    try context.signedIn(), status: try choice(q.get("status"), "status", BatchStatus.self), page: try page(q)))
        }
        router.get("/api/samples") { request, context in
            let q = request.uri.queryParameters
            let status = try choice(q.get("status"), "status", SampleStatus.self)
            return try json(try await store.samples(try context.signedIn(), batch: q.get("batch"), status: status, page: try page(q)))
        }
        router.get("/api/batches/:id") { _, context in
            let (batch, entries) = try await store.batch(try context.signedIn(), id: try context.parameter("id"))
            return try json(BatchAnswer(batch: batch, entries: entries))
        }
        router.get("/api/batches/:id/record") { _, context in
            try json(try await store.batchRecord(try context.signedIn(), batch: try context.parameter("id")))
        }
        router.get("/api/batches/:id/genealogy") { _, context in
            try json(try await store.genealogy(try context.signedIn(), batch: try context.parameter("id")))
        }
        router.get("/api/batches/:id/release-check") { _, context in
            let missing = try await store.releaseCheck(try context.signedIn(), batch: try context.parameter("id"))
            return try json(Problems(ok: missing.isEmpty, problems: missing))
        }
        router.post("/api/batches/:id/phases/:phase/values") { request, context in
            let b = try await request.body(ValueBody.self, context: context)
            let (entry, deviation) = try await store.recordValue(
                try context.signedIn(), batch: try context.parameter("id"), phase: try context.parameter("phase"), parameter: b.parameter, value: b.value)
            return try json(EntryAnswer(entry: entry, deviation: deviation), status: .created)
        }
        router.post("/api/batches/:id/phases/:phase/materials") { request, context in
            let b = try await request.body(MaterialBody.self, context: context)
            let entry = try await store.consumeMaterial(
                try context.signedIn(), batch: try context.parameter("id"), phase: try context.parameter("phase"), lot: b.lot, quantity: b.quantity)
            return try json(EntryAnswer(entry: entry, deviation: nil), status: .created)
        }
        router.post("/api/batches/:id/phases/:phase/equipment") { request, context in
            let b = try await request.body(EquipmentBody.self, context: context)
            let entry = try await store.recordEquipment(
                try context.signedIn(), batch: try context.parameter("id"), phase: try context.parameter("phase"), equipment: b.equipment)
            return try json(EntryAnswer(entry: entry, deviation: nil), status: .created)
        }
        router.post("/api/batches/:id/phases/:phase/complete") { request, context in
            let b = try await request.body(PasswordBody.self, context: context)
            return try json(
                try await store.completePhase(
                    try context.signedIn(), batch: try context.parameter("id"), phase: try context.parameter("phase"), password: b.password))
        }
        router.post("/api/batches/:id/phases/:phase/verify") { request, context in
            let b = try await request.body(PasswordBody.self, context: context)
            try await store.verifyPhase(try context.signedIn(), batch: try context.parameter("id"), phase: try context.parameter("phase"), password: b.password)
            return try json(["status": "verified"])
        }
        router.post("/api/entries/:id/corrections") { request, context in
            let b = try await request.body(CorrectionBody.self, context: context)
            let (entry, deviation) = try await store.correctEntry(try context.signedIn(), entry: try context.parameter("id"), value: b.value, reason: b.reason)
            return try json(EntryAnswer(entry: entry, deviation: deviation), status: .created)
        }
        router.post("/api/batches/:id/release") { request, context in
            let b = try await request.body(PasswordBody.self, context: context)
            return try json(try await store.releaseBatch(try context.signedIn(), batch: try context.parameter("id"), password: b.password))
        }

        // QC and deviations
        router.post("/api/samples") { request, context in
            let b = try await request.body(SampleBody.self, context: context)
            return try json(
                try await store.createSample(
                    try context.signedIn(), batch: b.batch, materialLot: b.materialLot, test: b.test, panel: b.panel, low: b.low,
                    high: b.high, unit: b.unit, criterion: b.criterion),
                status: .created)
        }
        router.post("/api/samples/:id/results") { request, context in
            let b = try await request.body(ResultBody.self, context: context)
            let (result, deviation) = try await store.recordResult(try context.signedIn(), sample: try context.parameter("id"), value: b.value, pass: b.pass, reason: b.reason)
            return try json(ResultAnswer(result: result, deviation: deviation), status: .created)
        }
        router.get("/api/deviations") { request, context in
            let q = request.uri.queryParameters
            return try json(
                try await store.deviations(
                    try context.signedIn(), batch: q.get("batch"), status: try choice(q.get("status"), "status", DeviationStatus.self),
                    page: try page(q)))
        }
        router.post("/api/deviations") { request, context in
            let b = try await request.body(DeviationBody.self, context: context)
            return try json(try await store.openDeviation(try context.signedIn(), batch: b.batch, description: b.description), status: .created)
        }
        router.post("/api/deviations/:id/transitions") { request, context in
            let b = try await request.body(TransitionBody.self, context: context)
            return try json(
                try await store.advanceDeviation(try context.signedIn(), id: try context.parameter("id"), to: b.to, note: b.note, password: b.password))
        }

        // Audit trail
        router.get("/api/audit") { request, context in
            let q = request.uri.queryParameters
            let limitText = q.get("limit") ?? "1000"
            guard let limit = Int(limitText), (1...10_000).contains(limit) else {
                throw BadRequest(message: "limit must be a whole number from 1 to 10000")
            }
            var after: Int?
            if let text = q.get("after") {
                guard let n = Int(text), n >= 0 else { throw BadRequest(message: "after must be a sequence number of 0 or more") }
                after = n
            }
            let filter = GMPStore.AuditFilter(
                entity: q.get("entity"), id: q.get("id"), userID: q.get("user"), from: q.get("from"), to: q.get("to"),
                after: after, limit: limit)
            return try json(try await store.auditTrail(try context.signedIn(), filter))
        }
        router.get("/api/audit/verify") { _, context in
            let problems = try await store.verifyAudit(by: try context.signedIn())
            return try json(Problems(ok: problems.isEmpty, problems: problems))
        }
        return router
    }

    /// The HTTP server.
    public static func application(store: GMPStore, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        Application(router: router(store: store), configuration: .init(address: .hostname(host, port: port), serverName: "VectorFab"), logger: logger)
    }
}
