import APIBodies
import Hummingbird
import Manufacturing
import Store

/// QC samples and their results.
struct SampleRoutes {
    let store: GMPStore

    func addRoutes(to samples: RouterGroup<AppContext>) {
        samples.get { request, context in
            let q = request.uri.queryParameters
            let status = try choice(q.get("status"), "status", SampleStatus.self)
            return try json(try await store.samples(try context.signedIn(), batch: q.get("batch"), status: status, page: try page(q)))
        }
        samples.post { request, context in
            let b = try await request.body(SampleBody.self, context: context)
            return try json(
                try await store.createSample(
                    try context.signedIn(), batch: b.batch, materialLot: b.materialLot, test: b.test, panel: b.panel,
                    specification: b.specification),
                status: .created)
        }
        samples.post(":id/results") { request, context in
            let b = try await request.body(ResultBody.self, context: context)
            let (result, deviation) = try await store.recordResult(
                try context.signedIn(), sample: try context.parameter("id"), value: b.value, pass: b.pass, reason: b.reason)
            return try json(ResultAnswer(result: result, deviation: deviation), status: .created)
        }
    }
}
