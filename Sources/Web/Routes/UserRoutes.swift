import APIBodies
import Hummingbird
import Store

/// Accounts, managed by administrators.
struct UserRoutes {
    let store: GMPStore

    func addRoutes(to users: RouterGroup<AppContext>) {
        users.get { _, context in try json(try await store.users(try context.signedIn())) }
        users.post { request, context in
            let b = try await request.body(UserBody.self, context: context)
            return try json(
                try await store.createUser(
                    by: try context.signedIn(), username: b.username, fullName: b.fullName, role: b.role, password: b.password),
                status: .created)
        }
        users.post(":id/active") { request, context in
            let b = try await request.body(ActiveBody.self, context: context)
            try await store.setActive(by: try context.signedIn(), userID: try context.parameter("id"), active: b.active, reason: b.reason)
            return try json(["status": "updated"])
        }
        users.post(":id/password") { request, context in
            let b = try await request.body(PasswordResetBody.self, context: context)
            try await store.resetPassword(by: try context.signedIn(), userID: try context.parameter("id"), new: b.password, reason: b.reason)
            return try json(["status": "password set: the user's sessions are ended"])
        }
    }
}
