import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import Monitoring
import Store
import Testing
import VectorFabCommands

@testable import Web

/// Monitoring through the pages: points uploaded as CSV by an operator raise an alarm on the
/// bioreactor a running phase uses, which opens a deviation on the batch; the alarm is
/// acknowledged with a comment and the password; the trend draws the excursion; the release
/// review and the printed record show the batch's environment.
struct MonitoringPageTests {
    typealias P = PageTests

    @Test func anUploadedExcursionOpensADeviationAndIsAcknowledgedOnThePages() async throws {
        let (w, recipe, lots, _) = try await QualityPageTests.world(batches: 1)
        let s = w.store
        let monitor = try await PointAPITests.monitor(beside: s)
        let temperature = try #require(monitor.site.series.first { $0.id == "BR-200-1/temperature" })
        let draft = try await s.proposeLimits(
            w.users[.supervisor]!, series: temperature, grade: nil,
            limits: SeriesLimits(alertLow: 36.5, alertHigh: 37.5, actionLow: 36, actionHigh: 38, persistence: 120, hysteresis: 0.2), reason: "PQ runs")
        _ = try await s.approveLimits(w.users[.qa]!, id: draft.id, password: password)
        // A batch running: its phases up to the production's inoculation done, that one started on BR-200-1.
        let op = w.users[.operator]!, sup = w.users[.supervisor]!
        let batch = try await s.createBatch(sup, recipeID: recipe.id)
        let phases = recipe.recipe.phases
        let production = try #require(phases.firstIndex { $0.name.hasPrefix("Inoculate") })
        for phase in phases[..<production] {
            for p in phase.parameters { _ = try await s.recordValue(op, batch: batch.id, phase: phase.id, parameter: p.name, value: p.target) }
            for m in phase.materials where m.quantity > 0 {
                _ = try await s.consumeMaterial(op, batch: batch.id, phase: phase.id, lot: lots[m.item]!.id, quantity: m.quantity)
            }
            if let e = phase.equipment { _ = try await s.recordEquipment(op, batch: batch.id, phase: phase.id, equipment: e) }
            _ = try await s.completePhase(op, batch: batch.id, phase: phase.id, password: password)
        }
        _ = try await s.recordEquipment(op, batch: batch.id, phase: phases[production].id, equipment: "BR-200-1")
        let now = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60

        let app = Application(router: API.router(store: s, site: try await P.site(), monitor: monitor))
        try await app.test(.router) { client in
            let olga = try await P.signIn(client, "olga")
            let page = try await P.get(client, "/monitoring", cookies: ["vf_session": olga])
            #expect(page.status == .ok && page.html.contains("Vector suite 1") && page.html.contains("BR-200-1/temperature"))
            #expect(page.html.contains("No alarm is active") && !page.html.contains("id=\"alarm-banner\" class=\"alarm-banner\" role=\"alert\">"))
            let csrf = try #require(page.csrf)
            // A file with one bad line: refused, every problem named, nothing stored.
            let bad = "series,time,value,unit\nBR-200-1/temperature,\(Timestamps.text(now)),39,°C\nBR-200-1/temprature,\(Timestamps.text(now)),39,°C"
            let refused = try await P.post(client, "/monitoring/points", ["csrf": csrf, "csv": bad], cookies: ["vf_session": olga])
            #expect(refused.status == .badRequest && refused.html.contains("nothing was stored") && refused.html.contains("temprature"))
            #expect(try await monitor.points.count("BR-200-1/temperature") == 0)
            // 39 °C for four minutes: an action alarm, and a deviation on the batch at once.
            let csv = "series,time,value,unit\n" + (0..<4).map { "BR-200-1/temperature,\(Timestamps.text(now - 180 + Double($0) * 60)),39.\($0),degC" }.joined(separator: "\n")
            let stored = try await P.post(client, "/monitoring/points", ["csrf": csrf, "csv": csv], cookies: ["vf_session": olga])
            #expect(stored.status == .ok && stored.html.contains("4 points stored") && stored.html.contains("Deviation opened on batch \(batch.id)"), "\(stored.html)")
            let deviation = try #require(try await s.deviations(w.users[.qa]!, batch: batch.id).first { $0.kind == .excursion })
            let alarmID = try #require(deviation.alarmID)
            // The banner, on every page, and the alarm listed.
            let list = try await P.get(client, "/monitoring", cookies: ["vf_session": olga])
            #expect(list.html.contains("1 alarm active · 1 to acknowledge (1 at action level)") && list.html.contains(alarmID))
            #expect(try await P.get(client, "/batches", cookies: ["vf_session": olga]).html.contains("1 alarm active"))
            // The alarm's page names the batch; an engineer may not acknowledge; the operator does, signed.
            let alarmPage = try await P.get(client, "/monitoring/alarms/\(alarmID)", cookies: ["vf_session": olga])
            #expect(alarmPage.html.contains(batch.id) && alarmPage.html.contains(deviation.id) && alarmPage.html.contains("Acknowledge, signed"))
            let eve = try await P.signIn(client, "eve")
            let eveCSRF = try #require(try await P.get(client, "/monitoring", cookies: ["vf_session": eve]).csrf)
            #expect(
                try await P.post(client, "/monitoring/alarms/\(alarmID)", ["csrf": eveCSRF, "comment": "x", "password": password], cookies: ["vf_session": eve])
                    .status == .forbidden)
            let noComment = try await P.post(
                client, "/monitoring/alarms/\(alarmID)", ["csrf": csrf, "comment": " ", "password": password], cookies: ["vf_session": olga])
            #expect(noComment.status == .badRequest && noComment.html.contains("needs a comment"))
            let acknowledged = try await P.post(
                client, "/monitoring/alarms/\(alarmID)", ["csrf": csrf, "comment": "jacket valve stuck; closed", "password": password],
                cookies: ["vf_session": olga])
            #expect(acknowledged.status == .seeOther)
            let after = try await P.get(client, "/monitoring/alarms/\(alarmID)", cookies: ["vf_session": olga])
            #expect(after.html.contains("jacket valve stuck; closed") && after.html.contains("Signed “acknowledged” by Olga"))
            #expect(!after.html.contains("Acknowledge, signed"))
            // The trend draws the points, the limits and the excursion; a bad span is a 400.
            let trend = try await P.get(client, "/monitoring/trend?series=BR-200-1%2Ftemperature&alarm=\(alarmID)", cookies: ["vf_session": olga])
            #expect(trend.status == .ok && trend.html.contains("<svg") && trend.html.contains("action excursion from") && trend.html.contains("4 points"))
            let badSpan = try await P.get(client, "/monitoring/trend?series=BR-200-1%2Ftemperature&from=yesterday", cookies: ["vf_session": olga])
            #expect(badSpan.status == .badRequest && badSpan.html.contains("not a time with its zone"))
            #expect(try await P.get(client, "/monitoring/trend?series=nope", cookies: ["vf_session": olga]).status == .notFound)
            // QA's release review and the printed record show the environment of the batch.
            let alex = try await P.signIn(client, "alex")
            let release = try await P.get(client, "/batches/\(batch.id)/release", cookies: ["vf_session": alex])
            #expect(release.html.contains("Environment and equipment") && release.html.contains("1 excursion while the batch"))
            #expect(release.html.contains(deviation.id))
            let record = try await P.get(client, "/batches/\(batch.id)/record", cookies: ["vf_session": alex])
            #expect(record.html.contains("Environment and equipment") && record.html.contains("BR-200-1/temperature") && record.html.contains(alarmID))
            // The deviation links back to its alarm.
            #expect(try await P.get(client, "/deviations/\(deviation.id)", cookies: ["vf_session": alex]).html.contains("/monitoring/alarms/\(alarmID)"))
        }
        #expect(try await s.verifyAudit().isEmpty)
        try await monitor.points.close()
    }

    @Test func theHubTellsEveryListenerAndForgetsThoseThatLeft() async throws {
        let hub = AlarmHub()
        let a = try #require(hub.listen()), b = try #require(hub.listen())
        #expect(hub.listeners == 2)
        hub.publish(AlarmCounts(active: 1, unacknowledged: 2, action: 1))
        var ia = a.makeAsyncIterator()
        var ib = b.makeAsyncIterator()
        let got = await ia.next()
        #expect(got?.contains("\"active\":1,\"unacknowledged\":2,\"action\":1") == true)
        #expect(got?.hasPrefix("event: alarms\ndata: ") == true && got?.hasSuffix("\n\n") == true)
        #expect(await ib.next() == got)
        // A stream dropped is no longer told anything.
        var c: AsyncStream<String>? = hub.listen()
        #expect(c != nil)
        #expect(hub.listeners == 3)
        c = nil
        _ = c
        #expect(hub.listeners == 2)
        #expect(AlarmCounts(active: 0, unacknowledged: 0, action: 0).any == false)
        #expect(AlarmCounts(active: 2, unacknowledged: 0, action: 0).text == "2 alarms active")
    }
}
