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
                    try context.signedIn(), id: try context.parameter("id"), to: b.to, note: b.note, password: b.password))
        }
    }
}
