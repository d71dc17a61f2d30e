import APIBodies
import Bioprocess
import Capacity
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Monitoring
import NIOCore
import Reporting
import Store

/// Monitoring in the browser: the site's rooms, equipment and series with their latest value
/// and state; the alarms to answer (acknowledged with a comment and a signature); a series'
/// trend with its limits and excursions (zoomed by links or by dragging across the chart);
/// points uploaded as CSV; and the live banner's server-sent events.
extension PageRoutes {
    /// The longest span a trend shows (a year): a month of one-minute data is 43,200 points.
    static let maxTrendSpan: Double = 366 * 86_400

    func addMonitoringPages(to pages: RouterGroup<AppContext>) {
        pages.get("/monitoring") { _, context in
            try await monitoringPage(context, try context.requireIdentity().user, [:], status: .ok)
        }
        pages.post("/monitoring/points") { request, context in
            try await formPost(request, context, .ingestPoints) { form, user in
                guard let monitor else { throw GMPError(.notFound, "this server monitors no site: start it with --site FILE") }
                let text = form["csv"] ?? ""
                let batch: [Point]
                do { batch = try PointBodies.csv(text) } catch let e as BadRequest { throw GMPError(.invalid, e.message, details: e.details) }
                do {
                    let o = try await monitor.ingest(store, user, batch)
                    var said = "\(o.stored) point\(o.stored == 1 ? "" : "s") stored."
                    if !o.alarms.isEmpty { said += " \(o.alarms.count) alarm\(o.alarms.count == 1 ? "" : "s") raised or changed." }
                    if !o.deviations.isEmpty {
                        said += " Deviation\(o.deviations.count == 1 ? "" : "s") opened on batch\(o.deviations.count == 1 ? "" : "es") "
                            + o.deviations.compactMap(\.batchID).joined(separator: ", ") + "."
                    }
                    return try await monitoringPage(context, user, ["said": said], status: .ok)
                } catch let refused as PointsRefused {
                    throw GMPError(
                        .invalid, "the file is refused (\(refused.problems.count) problem\(refused.problems.count == 1 ? "" : "s")); nothing was stored",
                        details: refused.problems.map(\.description))
                }
            } failed: { user, e in
                try await monitoringPage(context, user, ["message": e.sentence, "problems": e.details.prefix(50).map { ["text": $0] }], status: e.status)
            }
        }
        pages.get("/monitoring/trend") { request, context in
            try await trendPage(request, context, try context.requireIdentity().user)
        }
        pages.get("/monitoring/alarms/:id") { _, context in
            try await alarmPage(context, try context.requireIdentity().user, try context.parameter("id"), [:], status: .ok)
        }
        pages.post("/monitoring/alarms/:id") { request, context in
            let id = try context.parameter("id")
            return try await formPost(request, context, .acknowledgeAlarm) { form, user in
                _ = try await store.acknowledgeAlarm(
                    user, id: id, comment: form["comment"] ?? "", password: form["password"] ?? "", code: form["code"])
                await monitor?.publish(store)
                return Response(status: .seeOther, headers: [.location: "/monitoring/alarms/\(id)"])
            } failed: { user, e in
                try await alarmPage(context, user, id, ["message": e.sentence], status: e.status)
            }
        }
        pages.get("/alarms/events") { _, context in
            _ = try context.requireIdentity()
            let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"]
            guard let monitor, let news = monitor.hub.listen() else {
                // No site, or too many listeners: the page keeps the count it was served with.
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "retry: 600000\n\n")))
            }
            let c = try await store.alarmCounts()
            let first = AlarmCounts(active: c.active, unacknowledged: c.unacknowledged, action: c.action).event
            let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(8))
            continuation.yield(ByteBuffer(string: "retry: 1000\n" + first))
            let forward = Task {
                for await message in news { continuation.yield(ByteBuffer(string: message)) }
                continuation.finish()
            }
            // A comment now and then: a page that went away is noticed when the write fails.
            // A stream lasts a minute at most (the page reconnects at once): an open tab never
            // holds the server's shutdown, nor a session that ended, for longer.
            let beat = Task {
                for _ in 0..<3 {
                    try? await Task.sleep(for: .seconds(20))
                    if Task.isCancelled { return }
                    continuation.yield(ByteBuffer(string: ": still here\n\n"))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in
                forward.cancel()
                beat.cancel()
            }
            return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: stream))
        }
    }

    /// The banner's values: served with every page that is not kept for a role (the live events
    /// update it on every page).
    func alarmBanner() async -> [String: Any]? {
        guard monitor != nil, PageCache.capture == nil, let c = try? await store.alarmCounts() else { return nil }
        let counts = AlarmCounts(active: c.active, unacknowledged: c.unacknowledged, action: c.action)
        guard counts.any else { return nil }
        return ["text": counts.text, "action": counts.action > 0]
    }

    func monitoringPage(_ context: AppContext, _ user: User, _ more: [String: Any], status: HTTPResponse.Status) async throws -> Response {
        var v = more
        guard let monitor else {
            v["noSite"] = true
            return site.page("monitoring", try await values(context, title: "Monitoring", sections(v)), status: status)
        }
        let s = monitor.site
        let limits = try await store.approvedLimits()
        let newest = try await monitor.points.newest(s.series.map(\.id))
        var latest: [String: (time: Double, value: Double)] = [:]
        for (id, t) in newest {
            let got = try await monitor.points.points(id, from: t, to: t + 0.001, limit: 1)
            if let value = got.values.first { latest[id] = (t, value) }
        }
        let attention = try await store.alarms(user, attention: true, limit: 200)
        let names = try await userNames(user)
        func seriesRow(_ x: Series) -> [String: Any] {
            let l = limits[x.id]
            let last = latest[x.id]
            let level = last.flatMap { p in l.map { $0.level(p.value) } }
            return [
                "id": x.id, "measures": x.measurand.rawValue, "unit": x.unit, "link": "/monitoring/trend?series=" + Self.query(x.id),
                "value": last.map { Figure.text($0.value) } ?? "—", "at": last.map { Self.shortTime(Monitoring.Timestamps.text($0.time)) } ?? "",
                "limits": l.map(Self.limitsText) ?? "none approved", "level": level.map(\.word) ?? "",
                "exception": (level ?? .normal) > .normal,
            ]
        }
        v["site"] = s.name
        v["rooms"] = s.rooms.map { room -> [String: Any] in
            let here = s.series.filter { s.room(of: $0)?.id == room.id }
            return [
                "id": room.id, "name": room.name, "grade": room.grade.rawValue.uppercased(), "suite": room.suite ?? "",
                "equipment": s.equipment.filter { $0.room == room.id }.map { "\($0.id) (\($0.name))" }.joined(separator: ", "),
                "series": here.map(seriesRow),
            ]
        }
        v["alarms"] = attention.map { alarmRow($0, names: names) }
        v["hasAlarms"] = !attention.isEmpty
        v["canUpload"] = Permissions.allows(user.role, .ingestPoints)
        v["example"] = s.series.first.map { "series,time,value,unit\n\($0.id),\(Monitoring.Timestamps.text(Date().timeIntervalSince1970.rounded(.down))),…,\($0.unit)" } ?? ""
        return site.page("monitoring", try await values(context, title: "Monitoring", sections(v)), status: status)
    }

    func alarmRow(_ a: Alarm, names: [String: String]) -> [String: Any] {
        [
            "id": a.id, "series": a.series, "place": a.place, "level": a.level.word, "action": a.level == .action,
            "since": Self.shortTime(a.since), "value": Figure.text(a.value), "ended": a.endedAt.map(Self.shortTime) ?? "",
            "active": a.isActive, "acknowledged": a.acknowledgedBy.map { names[$0] ?? $0 } ?? "",
            "trend": "/monitoring/trend?series=" + Self.query(a.series) + "&alarm=" + a.id,
        ]
    }

    func alarmPage(_ context: AppContext, _ user: User, _ id: String, _ more: [String: Any], status: HTTPResponse.Status) async throws -> Response {
        let alarm: Alarm
        do { alarm = try await store.alarm(user, id: id) } catch let e as GMPError { return try await gmpRefusal(context, e) }
        let names = try await userNames(user)
        var v = more
        v["alarm"] = alarmRow(alarm, names: names)
        v["comment"] = alarm.comment ?? ""
        v["acknowledgedAt"] = alarm.acknowledgedAt.map(Self.shortTime) ?? ""
        v["unit"] = monitor?.series[alarm.series]?.unit ?? ""
        let deviations = try await store.deviations(user, alarm: id)
        v["deviations"] = deviations.map { ["id": $0.id, "batch": $0.batchID ?? "", "status": $0.status.words, "description": $0.description] }
        v["hasDeviations"] = !deviations.isEmpty
        v["canAcknowledge"] = alarm.needsAcknowledgement && Permissions.allows(user.role, .acknowledgeAlarm)
        v["signatures"] = try await store.signatures(user, entity: "alarm", id: id).map {
            ["name": $0.fullName, "meaning": $0.meaning.rawValue, "at": Self.shortTime($0.at)]
        }
        return site.page("alarm", try await values(context, title: "Alarm \(id)", sections(v)), status: status)
    }

    /// A series over a span: `from` and `to` (times with their zone), or the day ending with its
    /// newest point; zoom and pan by links, or by dragging across the chart (app.js).
    func trendPage(_ request: Request, _ context: AppContext, _ user: User) async throws -> Response {
        let q = request.uri.queryParameters
        guard let monitor else { return try await monitoringPage(context, user, [:], status: .ok) }
        guard let id = q.get("series"), let series = monitor.series[id] else {
            return try await monitoringPage(
                context, user, ["message": "Choose a series of the site (\(String((q.get("series") ?? "none").prefix(100))) is not one)."],
                status: .notFound)
        }
        var to = try await monitor.points.newest([id])[id].map { $0 + 1 } ?? Date().timeIntervalSince1970
        var from = to - 86_400
        if let alarmID = q.get("alarm"), let a = try? await store.alarm(user, id: alarmID), a.series == id,
            let since = Monitoring.Timestamps.parse(a.since)
        {
            let end = a.endedAt.flatMap(Monitoring.Timestamps.parse) ?? to
            let pad = max(600, (end - since) / 2)
            (from, to) = (since - pad, end + pad)
            if to - from > Self.maxTrendSpan { (from, to) = (since - 600, since - 600 + Self.maxTrendSpan) }
        }
        var problems: [String] = []
        if let text = q.get("from") {
            if let t = Monitoring.Timestamps.parse(text) { from = t } else { problems.append("from '\(text.prefix(40))' is not a time with its zone") }
        }
        if let text = q.get("to") {
            if let t = Monitoring.Timestamps.parse(text) { to = t } else { problems.append("to '\(text.prefix(40))' is not a time with its zone") }
        }
        if to <= from { problems.append("the span must end after it starts") }
        if to - from > Self.maxTrendSpan { problems.append("a trend shows at most a year") }
        var v: [String: Any] = ["series": id, "unit": series.unit, "measures": series.measurand.rawValue]
        if !problems.isEmpty {
            v["message"] = problems.joined(separator: "; ").prefix(1).uppercased() + problems.joined(separator: "; ").dropFirst() + "."
            return site.page("trend", try await values(context, title: id, sections(v)), status: .badRequest)
        }
        let (times, vals) = try await monitor.points.points(id, from: from, to: to, limit: 2_000_000)
        let limits = try await store.approvedLimits()[id]
        let alarms = try await store.alarms(user, series: [id], from: GMPStore.storeTimeText(from), to: GMPStore.storeTimeText(to))
        let bands = alarms.compactMap { a -> SeriesChart.Band? in
            guard let s = Monitoring.Timestamps.parse(a.since) else { return nil }
            return SeriesChart.Band(from: s, to: a.endedAt.flatMap(Monitoring.Timestamps.parse), level: a.level)
        }
        let place = monitor.site.room(of: series).map { "\($0.name), grade \($0.grade.rawValue.uppercased())" } ?? ""
        v["place"] = place
        v["chart"] = SeriesChart.svg(times: times, values: vals, limits: limits, excursions: bands, unit: series.unit, title: "\(id), \(series.unit)")
        v["count"] = Fmt.count(Double(times.count))
        v["from"] = Self.shortTime(Monitoring.Timestamps.text(from))
        v["to"] = Self.shortTime(Monitoring.Timestamps.text(to))
        v["min"] = vals.min().map(Figure.text) ?? "—"
        v["max"] = vals.max().map(Figure.text) ?? "—"
        v["limits"] = limits.map(Self.limitsText) ?? "none approved"
        let span = to - from, mid = (from + to) / 2
        func link(_ a: Double, _ b: Double) -> String {
            "/monitoring/trend?series=\(Self.query(id))&from=\(Monitoring.Timestamps.text(a))&to=\(Monitoring.Timestamps.text(b))"
        }
        v["zoomIn"] = link(mid - span / 4, mid + span / 4)
        v["zoomOut"] = link(mid - min(span * 2, Self.maxTrendSpan) / 2, mid + min(span * 2, Self.maxTrendSpan) / 2)
        v["earlier"] = link(from - span / 2, to - span / 2)
        v["later"] = link(from + span / 2, to + span / 2)
        v["spans"] = [("Hour", 3600.0), ("Day", 86_400), ("Week", 7 * 86_400), ("Month", 30 * 86_400)].map { name, s in
            ["name": name, "link": link(to - s, to)]
        }
        v["drag"] = "/monitoring/trend?series=" + Self.query(id)
        v["chartFrom"] = String(times.first ?? from)
        v["chartTo"] = String(times.last ?? to)
        let names = try await userNames(user)
        v["alarms"] = alarms.map { alarmRow($0, names: names) }
        v["hasAlarms"] = !alarms.isEmpty
        return site.page("trend", try await values(context, title: id, sections(v)))
    }

    static func limitsText(_ l: SeriesLimits) -> String {
        "alert \(boundsText(l.alertLow, l.alertHigh)), action \(boundsText(l.actionLow, l.actionHigh))"
            + (l.persistence > 0 ? ", after \(Figure.text(l.persistence)) s" : "")
    }

    /// `2026-12-07 15:04 UTC`.
    static func shortTime(_ stored: String) -> String {
        guard stored.count >= 16 else { return stored }
        return String(stored.prefix(10)) + " " + String(stored.dropFirst(11).prefix(5)) + " UTC"
    }

    static func query(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? s
    }
}
