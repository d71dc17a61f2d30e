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

/// POST /api/points: JSON and CSV, checked whole, stored whole or refused naming every point.
@Suite struct PointAPITests {
    static func monitor(beside store: GMPStore) async throws -> Monitor {
        // As `vectorfab serve --site` reads it: the facility file it names checked too.
        let site = try SiteFiles.load(Repository.path("Examples/sites/genethon-bioprod-site.yaml"))
        return Monitor(site: site, points: try await PointStore.open(beside: store.location))
    }

    @Test func approvedLimitsFindExcursionsInPostedPoints() async throws {
        let w = try await World.make()
        let monitor = try await Self.monitor(beside: w.store)
        let now = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60
        let app = Application(router: API.router(store: w.store, monitor: monitor))
        try await app.test(.router) { client in
            // Above the grade B ceiling: refused with the reason.
            let (tooLoose, loose, _) = try await client.call(
                .post, "/api/limits", token: w.tokens[.engineer]!,
                ["series": "VS-1/particles-0.5", "alertHigh": 300_000, "actionHigh": 500_000, "reason": "x"])
            #expect(tooLoose == .badRequest && (loose["message"] as? String)?.contains("grade B") == true, "\(loose)")
            let (created, draft, _) = try await client.call(
                .post, "/api/limits", token: w.tokens[.engineer]!,
                ["series": "BR-200-1/ph", "alertHigh": 7.3, "actionHigh": 7.4, "persistence": 120, "hysteresis": 0.05, "reason": "PQ runs"])
            #expect(created == .created, "\(draft)")
            let id = try #require(draft["id"] as? String)
            let (approved, set, _) = try await client.call(.post, "/api/limits/\(id)/approve", token: w.tokens[.qa]!, ["password": password])
            #expect(approved == .ok && set["status"] as? String == "approved", "\(set)")
            let points = (0..<6).map { i -> [String: Any] in
                ["series": "BR-200-1/ph", "time": now - 600 + Double(i) * 60, "value": i >= 1 && i <= 3 ? 7.5 : 7.0]
            }
            let (status, answer, _) = try await client.call(.post, "/api/points", token: w.tokens[.engineer]!, ["points": points])
            #expect(status == .created, "\(answer)")
            let excursions = answer["excursions"] as? [[String: Any]] ?? []
            #expect(excursions.map { $0["event"] as? String } == ["raised", "ended"], "\(excursions)")
            #expect(excursions.first?["level"] as? String == "action")
            #expect(excursions.first?["since"] as? String == Timestamps.text(now - 540))
        }
        try await monitor.points.close()
    }

    @Test func pointsArePostedAsJSONOrCSVAndABadBatchStoresNothing() async throws {
        let w = try await World.make()
        let monitor = try await Self.monitor(beside: w.store)
        let now = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60
        let app = Application(router: API.router(store: w.store, monitor: monitor))
        try await app.test(.router) { client in
            let json: [String: Any] = ["points": (0..<30).map { i -> [String: Any] in
                ["series": "BR-200-1/ph", "time": now - 3600 + Double(i) * 60, "value": 7.1, "unit": "pH"]
            } + [["series": "VS-1/particles-0.5", "time": Timestamps.text(now - 600), "value": 1500]]]
            let (status, answer, _) = try await client.call(.post, "/api/points", token: w.tokens[.engineer]!, json)
            #expect(status == .created, "\(answer)")
            #expect(answer["stored"] as? Int == 31)
            // CSV from a portable particle counter, by an operator.
            let csv = "series,time,value,unit\n" + (1...5).map { "VS-1/particles-0.5,\(Timestamps.text(now - 600 + Double($0) * 60)),\(1000 + $0),/m3" }.joined(separator: "\n")
            let stored = try await client.execute(
                uri: "/api/points", method: .post,
                headers: [.contentType: "text/csv", .authorization: "Bearer \(w.tokens[.operator]!)"], body: ByteBuffer(string: csv)
            ) { r in (r.status, decode(r.body)) }
            #expect(stored.0 == .created && stored.1["stored"] as? Int == 5, "\(stored.1)")
            // One bad point among good ones: 400, every problem named, nothing stored.
            let bad: [String: Any] = ["points": [
                ["series": "BR-200-1/ph", "time": now - 60, "value": 7.2],
                ["series": "BR-200-1/ph", "time": now - 120, "value": 7.2],
                ["series": "BR-200-1/pH", "time": now - 60, "value": 7.2],
                ["series": "BR-200-1/ph", "time": now + 3600, "value": 7.2, "unit": "mV"],
            ]]
            let (refusedStatus, refused, _) = try await client.call(.post, "/api/points", token: w.tokens[.engineer]!, bad)
            #expect(refusedStatus == .badRequest)
            #expect((refused["message"] as? String)?.contains("nothing was stored") == true)
            let details = refused["details"] as? [String] ?? []
            #expect(details.contains { $0.hasPrefix("point 2 (BR-200-1/ph") && $0.contains("out of order") }, "\(details)")
            #expect(details.contains { $0.hasPrefix("point 3 (BR-200-1/pH") && $0.contains("did you mean 'BR-200-1/ph'") }, "\(details)")
            #expect(details.contains { $0.hasPrefix("point 4") && $0.contains("ahead") }, "\(details)")
            #expect(details.contains { $0.hasPrefix("point 4") && $0.contains("unit 'mV'") }, "\(details)")
            // Malformed bodies name the point or line.
            let (s1, a1, _) = try await client.call(.post, "/api/points", token: w.tokens[.engineer]!, ["points": [["series": "BR-200-1/ph", "time": true, "value": 1]]])
            #expect(s1 == .badRequest && (a1["message"] as? String)?.hasPrefix("point 1 (BR-200-1/ph): 'time'") == true, "\(a1)")
            let s2 = try await client.execute(
                uri: "/api/points", method: .post,
                headers: [.contentType: "text/csv", .authorization: "Bearer \(w.tokens[.engineer]!)"],
                body: ByteBuffer(string: "series,time,value\nBR-200-1/ph,2026-12-02T10:00:00Z,seven\n")
            ) { r in (r.status, decode(r.body)) }
            #expect(s2.0 == .badRequest && (s2.1["message"] as? String)?.hasPrefix("line 2 (BR-200-1/ph): the value 'seven'") == true, "\(s2.1)")
            // CSV as Excel writes it: a byte-order mark and CRLF line ends.
            let excel = "\u{FEFF}series,time,value\r\nVS-2/particles-0.5,\(Timestamps.text(now - 120)),900\r\nVS-2/particles-0.5,\(Timestamps.text(now - 60)),950\r\n"
            let crlf = try await client.execute(
                uri: "/api/points", method: .post,
                headers: [.contentType: "text/csv", .authorization: "Bearer \(w.tokens[.engineer]!)"], body: ByteBuffer(string: excel)
            ) { r in (r.status, decode(r.body)) }
            #expect(crlf.0 == .created && crlf.1["stored"] as? Int == 2, "\(crlf.1)")
            // A time no calendar reaches is refused, not a crash.
            let (huge, hugeAnswer, _) = try await client.call(
                .post, "/api/points", token: w.tokens[.engineer]!, ["points": [["series": "BR-200-1/ph", "time": 1e19, "value": 1]]])
            #expect(huge == .badRequest && (hugeAnswer["details"] as? [String])?.first?.contains("not a time") == true, "\(hugeAnswer)")
            // QA reads records but posts no points.
            let (forbidden, _, _) = try await client.call(.post, "/api/points", token: w.tokens[.qa]!, json)
            #expect(forbidden == .forbidden)
        }
        #expect(try await monitor.points.count("BR-200-1/ph") == 30)
        #expect(try await monitor.points.count("VS-1/particles-0.5") == 6)
        try await monitor.points.close()
    }
}
