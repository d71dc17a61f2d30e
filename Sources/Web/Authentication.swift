import Foundation
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Store

/// Who sent a request: the user of a valid session, and its token.
public struct SignedIn: Sendable {
    public var user: User
    public var token: String
}

/// Reads `Authorization: Bearer <token>` and looks the session up; a request without one
/// passes unauthenticated (``RequireSignIn`` refuses it), one with an invalid or expired token
/// is refused at once.
struct BearerAuthenticator: AuthenticatorMiddleware {
    typealias Context = AppContext
    let store: GMPStore

    func authenticate(request: Request, context: AppContext) async throws -> SignedIn? {
        guard let bearer = request.headers.bearer else { return nil }
        return SignedIn(user: try await store.user(forToken: bearer.token), token: bearer.token)
    }
}

/// Refuses, 401 with the way to sign in, a request no authenticator identified.
struct RequireSignIn: RouterMiddleware {
    typealias Context = AppContext

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard context.identity != nil else {
            throw GMPError(.unauthenticated, "sign in first: POST /api/login, then send 'Authorization: Bearer <token>'")
        }
        return try await next(request, context)
    }
}
