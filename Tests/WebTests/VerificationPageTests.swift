import Bioprocess
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import Reporting
import Store
import Testing
import VectorFabCommands

@testable import Web

/// Continued process verification: every recipe parameter and release test across batches, its
/// I and MR charts with limits from the reference set chosen, the rules broken and Cpk.
struct VerificationPageTests {
    typealias P = PageTests

    @Test func everyParameterIsChartedWithLimitsFromTheReferenceSetChosen() async throws {
        let (w, recipe, _, made) = try await QualityPageTests.world(batches: 4)
        let qa = w.users[.qa]!
        let phase = try #require(recipe.recipe.phases.first { $0.name == "Harvest" })
        let parameter = try #require(phase.parameters.first)
        // What the store holds for that parameter, batch by batch.
        let recorded = try await w.store.parameterValues(qa, parameter: parameter.name).filter { $0.phaseID == phase.id }
        #expect(recorded.map(\.batchID) == made.map(\.id))
        let key = "p:\(recipe.recipe.product)|\(phase.id) \(parameter.name)"
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        try await app.test(.router) { client in
            let alex = try await P.signIn(client, "alex")
            let summary = try await P.get(client, "/cpv", cookies: ["vf_session": alex])
            #expect(summary.status == .ok && summary.html.contains("\(parameter.name) (phase \(phase.id), Harvest)"))
            // Every parameter of the recipe and every numeric release test has a row.
            let rows = summary.html.components(separatedBy: "<tr class=").count - 1
            let expected = recipe.recipe.phases.map(\.parameters.count).reduce(0, +) + recipe.recipe.releaseTests.filter { $0.specification.isRange }.count
            #expect(rows == expected, "\(rows) rows for \(expected) parameters and tests")
            let q = PageRoutes.query(key)
            let chart = try await P.get(client, "/cpv?q=\(q)", cookies: ["vf_session": alex])
            #expect(chart.status == .ok && chart.html.contains("individuals") && chart.html.contains("moving range"))
            let all = recorded.map(\.value)
            #expect(chart.html.contains("centre \(TrendChart.text(all.reduce(0, +) / Double(all.count)))"), "limits from the first batches by default")
            // The reference set: the last two batches; the centre is their mean.
            let chosen = made.suffix(2).map(\.id)
            let two = recorded.filter { chosen.contains($0.batchID) }.map(\.value)
            let narrowed = try await P.get(client, "/cpv?q=\(q)&reference=\(chosen[0])&reference=\(chosen[1])", cookies: ["vf_session": alex])
            #expect(narrowed.html.contains("centre \(TrendChart.text(two.reduce(0, +) / 2))") && narrowed.html.contains("the 2 batches chosen"))
            let one = try await P.get(client, "/cpv?q=\(q)&reference=\(chosen[0])", cookies: ["vf_session": alex])
            #expect(one.status == .badRequest && one.html.contains("at least two batches"))
            #expect(try await P.get(client, "/cpv?q=\(q)&first=1", cookies: ["vf_session": alex]).status == .badRequest)
            #expect(try await P.get(client, "/cpv?q=p%3Anothing", cookies: ["vf_session": alex]).status == .notFound)
        }
    }
}
