import APIBodies
import Hummingbird
import Manufacturing
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
        users.post(":id/second-factor/removal") { request, context in
            let b = try await request.body(ReasonBody.self, context: context)
            try await store.removeSecondFactor(by: try context.signedIn(), userID: try context.parameter("id"), reason: b.reason)
            return try json(["status": "authenticator removed"])
        }
        users.post(":id/password") { request, context in
            let b = try await request.body(PasswordResetBody.self, context: context)
            try await store.resetPassword(by: try context.signedIn(), userID: try context.parameter("id"), new: b.password, reason: b.reason)
            return try json(["status": "password set: the user's sessions are ended"])
        }
    }

    /// Which roles must sign releases and approvals with a second factor.
    func addPolicyRoutes(to policies: RouterGroup<AppContext>) {
        policies.get { _, context in
            let policies = try await store.secondFactorPolicies(try context.signedIn())
            return try json(Role.allCases.map { PolicyView(role: $0, secondFactor: policies[$0] ?? false) })
        }
        policies.post { request, context in
            let b = try await request.body(PolicyBody.self, context: context)
            try await store.setSecondFactorPolicy(by: try context.signedIn(), role: b.role, required: b.secondFactor, reason: b.reason)
            return try json(PolicyView(role: b.role, secondFactor: b.secondFactor))
        }
    }
}

struct PolicyView: Encodable {
    var role: Role
    var secondFactor: Bool
}
