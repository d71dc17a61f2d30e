import APIBodies
import Hummingbird
import Manufacturing
import Store

/// Deviations: opened, investigated, closed by QA.
struct DeviationRoutes {
    let store: GMPStore

    func addRoutes(to deviations: RouterGroup<AppContext>) {
        deviations.get { request, context in
            let q = request.uri.queryParameters
            return try json(
                try await store.deviations(
                    try context.signedIn(), batch: q.get("batch"), status: try choice(q.get("status"), "status", DeviationStatus.self),
                    page: try page(q)))
        }
        deviations.post { request, context in
            let b = try await request.body(DeviationBody.self, context: context)
            return try json(try await store.openDeviation(try context.signedIn(), batch: b.batch, description: b.description), status: .created)
        }
        deviations.post(":id/transitions") { request, context in
            let b = try await request.body(TransitionBody.self, context: context)
            return try json(
                try await store.advanceDeviation(
                    try context.signedIn(), id: try context.parameter("id"), to: b.to, note: b.note, password: b.password, code: b.code))
        }
        deviations.get(":id") { _, context in
            let (deviation, actions, signatures) = try await store.deviation(try context.signedIn(), id: try context.parameter("id"))
            return try json(DeviationDetail(deviation: deviation, actions: actions, signatures: signatures))
        }
        deviations.post(":id/findings") { request, context in
            let b = try await request.body(FindingsBody.self, context: context)
            return try json(
                try await store.investigateDeviation(
                    try context.signedIn(), id: try context.parameter("id"), classification: b.classification, rootCause: b.rootCause,
                    reason: b.reason ?? ""))
        }
        deviations.post(":id/actions") { request, context in
            let b = try await request.body(ActionBody.self, context: context)
            return try json(
                try await store.addAction(try context.signedIn(), deviation: try context.parameter("id"), action: b.action, owner: b.owner, due: b.due),
                status: .created)
        }
    }

    func addActionRoutes(to actions: RouterGroup<AppContext>) {
        actions.get { request, context in
            let q = request.uri.queryParameters
            return try json(
                try await store.actions(
                    try context.signedIn(), owner: q.get("owner"), status: try choice(q.get("status"), "status", CAPAStatus.self), page: try page(q)))
        }
        actions.post(":id/done") { request, context in
            let b = try await request.body(NoteBody.self, context: context)
            return try json(try await store.completeAction(try context.signedIn(), action: try context.parameter("id"), note: b.note))
        }
    }
}

/// A deviation with its actions and signatures, as the API returns it.
struct DeviationDetail: Encodable {
    var deviation: Deviation
    var actions: [CAPAAction]
    var signatures: [Signature]
}
