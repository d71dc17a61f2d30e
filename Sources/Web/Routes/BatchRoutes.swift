import APIBodies
import Hummingbird
import Manufacturing
import Store

/// Batches executed phase by phase from their master recipe, corrected with reasons, held,
/// resumed and released by QA.
struct BatchRoutes {
    let store: GMPStore

    func addRoutes(batches: RouterGroup<AppContext>, entries: RouterGroup<AppContext>) {
        batches.post { request, context in
            let b = try await request.body(BatchBody.self, context: context)
            return try json(try await store.createBatch(try context.signedIn(), recipeID: b.recipeId), status: .created)
        }
        batches.get { request, context in
            let q = request.uri.queryParameters
            return try json(
                try await store.batches(
                    try context.signedIn(), status: try choice(q.get("status"), "status", BatchStatus.self), page: try page(q)))
        }
        batches.get(":id") { _, context in
            let (batch, entries) = try await store.batch(try context.signedIn(), id: try context.parameter("id"))
            return try json(BatchAnswer(batch: batch, entries: entries))
        }
        batches.get(":id/record") { _, context in
            try json(try await store.batchRecord(try context.signedIn(), batch: try context.parameter("id")))
        }
        batches.get(":id/batchml") { _, context in
            try await BatchMLExport.batch(store, try context.signedIn(), try context.parameter("id"))
        }
        batches.get(":id/genealogy") { _, context in
            try json(try await store.genealogy(try context.signedIn(), batch: try context.parameter("id")))
        }
        batches.get(":id/release-check") { _, context in
            let missing = try await store.releaseCheck(try context.signedIn(), batch: try context.parameter("id"))
            return try json(Problems(ok: missing.isEmpty, problems: missing))
        }
        let phase = batches.group(":id/phases/:phase")
        phase.post("values") { request, context in
            let b = try await request.body(ValueBody.self, context: context)
            let (entry, deviation) = try await store.recordValue(
                try context.signedIn(), batch: try context.parameter("id"), phase: try context.parameter("phase"), parameter: b.parameter,
                value: b.value)
            return try json(EntryAnswer(entry: entry, deviation: deviation), status: .created)
        }
        phase.post("materials") { request, context in
            let b = try await request.body(MaterialBody.self, context: context)
            let entry = try await store.consumeMaterial(
                try context.signedIn(), batch: try context.parameter("id"), phase: try context.parameter("phase"), lot: b.lot,
                quantity: b.quantity)
            return try json(EntryAnswer(entry: entry, deviation: nil), status: .created)
        }
        phase.post("equipment") { request, context in
            let b = try await request.body(EquipmentBody.self, context: context)
            let entry = try await store.recordEquipment(
                try context.signedIn(), batch: try context.parameter("id"), phase: try context.parameter("phase"), equipment: b.equipment)
            return try json(EntryAnswer(entry: entry, deviation: nil), status: .created)
        }
        phase.post("complete") { request, context in
            let b = try await request.body(PasswordBody.self, context: context)
            return try json(
                try await store.completePhase(
                    try context.signedIn(), batch: try context.parameter("id"), phase: try context.parameter("phase"), password: b.password))
        }
        phase.post("verify") { request, context in
            let b = try await request.body(PasswordBody.self, context: context)
            try await store.verifyPhase(
                try context.signedIn(), batch: try context.parameter("id"), phase: try context.parameter("phase"), password: b.password)
            return try json(["status": "verified"])
        }
        batches.post(":id/release") { request, context in
            let b = try await request.body(PasswordBody.self, context: context)
            return try json(try await store.releaseBatch(try context.signedIn(), batch: try context.parameter("id"), password: b.password, code: b.code))
        }
        batches.post(":id/resume") { request, context in
            let b = try await request.body(ResumeBody.self, context: context)
            return try json(
                try await store.resumeBatch(try context.signedIn(), batch: try context.parameter("id"), reason: b.reason, password: b.password))
        }
        entries.post(":id/corrections") { request, context in
            let b = try await request.body(CorrectionBody.self, context: context)
            let (entry, deviation) = try await store.correctEntry(
                try context.signedIn(), entry: try context.parameter("id"), value: b.value, reason: b.reason)
            return try json(EntryAnswer(entry: entry, deviation: deviation), status: .created)
        }
    }
}
