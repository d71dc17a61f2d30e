import APIBodies
import Hummingbird
import Store

/// Signing in and out, and the signed-in user's own account.
struct SessionRoutes {
    let store: GMPStore

    /// The one route open to anyone.
    func addPublicRoutes(to api: RouterGroup<AppContext>) {
        api.post("login") { request, context in
            let b = try await request.body(LoginBody.self, context: context)
            let (token, user) = try await store.login(username: b.username, password: b.password)
            return try json(Session(token: token, user: user))
        }
    }

    func addRoutes(to api: RouterGroup<AppContext>) {
        api.post("logout") { _, context in
            if let token = context.identity?.token { try await store.logout(token: token) }
            return try json(["status": "signed out"])
        }
        api.get("me") { _, context in try json(try context.signedIn()) }
        api.post("me/password") { request, context in
            let b = try await request.body(PasswordChangeBody.self, context: context)
            try await store.changePassword(try context.signedIn(), current: b.currentPassword, new: b.newPassword)
            return try json(["status": "password changed: sign in again"])
        }
    }
}
