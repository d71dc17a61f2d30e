import APIBodies
import Hummingbird
import Manufacturing
import Store

/// Signing in and out, and the signed-in user's own account.
struct SessionRoutes {
    let store: GMPStore
    let throttle: SignInThrottle

    /// The one route open to anyone.
    func addPublicRoutes(to api: RouterGroup<AppContext>) {
        api.post("login") { request, context in
            let b = try await request.body(LoginBody.self, context: context)
            let keys = SignInThrottle.keys(context, username: b.username)
            try throttle.check(keys)
            do {
                let (token, user) = try await store.login(username: b.username, password: b.password)
                throttle.succeeded(username: b.username)
                return try json(Session(token: token, user: user))
            } catch let e as GMPError where e.kind == .unauthenticated {
                throttle.failed(keys)
                throw e
            }
        }
    }

    func addRoutes(to api: RouterGroup<AppContext>) {
        api.post("logout") { _, context in
            if let token = context.identity?.token { try await store.logout(token: token) }
            return try json(["status": "signed out"])
        }
        api.get("me") { _, context in try json(try context.signedIn()) }
        api.get("me/second-factor") { _, context in
            let state = try await store.secondFactorState(try context.signedIn())
            return try json(["enrolled": state.enrolled, "required": state.enforced])
        }
        api.post("me/second-factor") { _, context in
            let (secret, url) = try await store.beginEnrolment(try context.signedIn())
            return try json(["secret": secret, "url": url], status: .created)
        }
        api.post("me/second-factor/confirm") { request, context in
            let b = try await request.body(EnrolmentBody.self, context: context)
            try await store.confirmEnrolment(try context.signedIn(), password: b.password, code: b.code)
            return try json(["status": "authenticator enrolled"])
        }
        api.post("me/password") { request, context in
            let b = try await request.body(PasswordChangeBody.self, context: context)
            try await store.changePassword(try context.signedIn(), current: b.currentPassword, new: b.newPassword)
            return try json(["status": "password changed: sign in again"])
        }
    }
}
