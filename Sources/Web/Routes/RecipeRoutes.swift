import APIBodies
import Bioprocess
import FileFormats
import Hummingbird
import Manufacturing
import Store

/// Master recipes: generated from a process file, approved by QA.
struct RecipeRoutes {
    let store: GMPStore

    func addRoutes(to recipes: RouterGroup<AppContext>) {
        recipes.get { _, context in try json(try await store.recipes(try context.signedIn())) }
        recipes.get(":id") { _, context in try json(try await store.recipe(try context.signedIn(), id: try context.parameter("id"))) }
        recipes.post { request, context in
            let user = try context.signedIn()
            // The role first: a forbidden request is forbidden whatever its body.
            try store.authorize(user, .createRecipe)
            let b = try await request.body(RecipeBody.self, context: context)
            let tolerance = b.tolerance ?? 0.1
            guard tolerance.isFinite, tolerance > 0, tolerance < 1 else {
                throw BadRequest(message: "tolerance must be a fraction above 0 and below 1, such as 0.1")
            }
            let process = try ProcessFile.parse(b.process, file: "process")
            let recipe: MasterRecipe
            do { recipe = try RecipeGenerator.generate(process, tolerance: tolerance) } catch let e as SimulationError {
                throw BadRequest(message: "the process cannot make a lot: \(e.message)")
            }
            return try json(try await store.createRecipe(user, recipe), status: .created)
        }
        recipes.get(":id/batchml") { _, context in
            try await BatchMLExport.recipe(store, try context.signedIn(), try context.parameter("id"))
        }
        recipes.post(":id/approve") { request, context in
            let b = try await request.body(PasswordBody.self, context: context)
            return try json(try await store.approveRecipe(try context.signedIn(), id: try context.parameter("id"), password: b.password, code: b.code))
        }
    }
}
