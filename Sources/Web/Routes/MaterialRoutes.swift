import APIBodies
import Hummingbird
import Manufacturing
import Store

/// The item master and supplier lots: receipt into quarantine, QA's decision, retest, where-used.
struct MaterialRoutes {
    let store: GMPStore

    func addRoutes(items: RouterGroup<AppContext>, lots: RouterGroup<AppContext>) {
        items.get { request, context in
            try json(try await store.items(try context.signedIn(), page: try page(request.uri.queryParameters)))
        }
        items.post { request, context in
            let b = try await request.body(ItemBody.self, context: context)
            return try json(try await store.defineItem(try context.signedIn(), code: b.code, name: b.name, unit: b.unit), status: .created)
        }
        lots.get { request, context in
            let q = request.uri.queryParameters
            return try json(
                try await store.lots(
                    try context.signedIn(), item: q.get("item"), status: try choice(q.get("status"), "status", MaterialStatus.self),
                    page: try page(q)))
        }
        lots.post { request, context in
            let b = try await request.body(LotBody.self, context: context)
            return try json(
                try await store.receiveLot(
                    try context.signedIn(), item: b.item, supplier: b.supplier, supplierLot: b.supplierLot, quantity: b.quantity,
                    expiry: b.expiry, retest: b.retest),
                status: .created)
        }
        lots.post(":id/decision") { request, context in
            let b = try await request.body(DecisionBody.self, context: context)
            return try json(
                try await store.decideLot(
                    try context.signedIn(), id: try context.parameter("id"), release: b.release, reason: b.reason, password: b.password, code: b.code))
        }
        lots.post(":id/retest") { request, context in
            let b = try await request.body(RetestBody.self, context: context)
            return try json(
                try await store.setRetest(
                    try context.signedIn(), lot: try context.parameter("id"), until: b.until, reason: b.reason, password: b.password, code: b.code))
        }
        items.get(":code/tests") { _, context in
            try json(try await store.itemTests(try context.signedIn(), item: try context.parameter("code")))
        }
        items.post(":code/tests") { request, context in
            let b = try await request.body(ItemTestBody.self, context: context)
            return try json(
                try await store.addItemTest(try context.signedIn(), item: try context.parameter("code"), test: b.test, specification: b.specification),
                status: .created)
        }
        lots.post(":id/samples") { _, context in
            try json(try await store.sampleLot(try context.signedIn(), lot: try context.parameter("id")), status: .created)
        }
        lots.get(":id/where-used") { _, context in
            try json(try await store.whereUsed(try context.signedIn(), lot: try context.parameter("id")))
        }
    }
}
