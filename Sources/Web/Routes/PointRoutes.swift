import APIBodies
import Foundation
import Hummingbird
import Manufacturing
import Monitoring
import Store

/// What the server monitors: the site file's series and the store of their points.
public struct Monitor: Sendable {
    public let site: MonitoredSite
    public let points: PointStore
    /// The live banner's listeners.
    public let hub: AlarmHub
    let series: [String: Series]

    public init(site: MonitoredSite, points: PointStore, hub: AlarmHub = AlarmHub()) {
        self.site = site
        self.points = points
        self.hub = hub
        self.series = Dictionary(site.series.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Checks and stores points, records the alarms and deviations they raise, and tells the
    /// banners when an alarm changed.
    func ingest(_ store: GMPStore, _ user: User, _ batch: [Point]) async throws -> IngestOutcome {
        let outcome = try await store.ingest(user, batch, into: points, site: site, now: Date().timeIntervalSince1970)
        if !outcome.alarms.isEmpty { await publish(store) }
        return outcome
    }

    /// Tells the banners the counts now.
    func publish(_ store: GMPStore) async {
        guard let c = try? await store.alarmCounts() else { return }
        hub.publish(AlarmCounts(active: c.active, unacknowledged: c.unacknowledged, action: c.action))
    }
}

struct PointsAnswer: Encodable {
    var stored: Int
    /// The excursions the batch raised, escalated or ended, against the approved limits.
    var excursions: [ExcursionAnswer]
    /// The alarms raised or changed, and the deviations opened on the batches they touched.
    var alarms: [Alarm]
    var deviations: [Deviation]
}

struct ExcursionAnswer: Encodable {
    var series: String
    var event: String
    var level: String
    var since: String?
    var at: String
    var value: Double?

    init(series: String, event: ExcursionEvent) {
        self.series = series
        switch event {
        case .raised(let level, let since, let at, let value):
            (self.event, self.level, self.since, self.at, self.value) = ("raised", level.word, Timestamps.text(since), Timestamps.text(at), value)
        case .escalated(let since, let at, let value):
            (self.event, self.level, self.since, self.at, self.value) = ("escalated", LimitLevel.action.word, Timestamps.text(since), Timestamps.text(at), value)
        case .ended(let peak, let at):
            (self.event, self.level, self.since, self.at, self.value) = ("ended", peak.word, nil, Timestamps.text(at), nil)
        }
    }
}

/// Monitoring points posted by instruments and historians: JSON or CSV, checked whole and
/// stored whole or not at all (a 400 naming every bad point, nothing stored).
struct PointRoutes {
    let store: GMPStore
    let monitor: Monitor?

    func addRoutes(to points: RouterGroup<AppContext>) {
        points.post { request, context in
            let user = try context.signedIn()
            try store.authorize(user, .ingestPoints)
            let buffer = try await request.body.collect(upTo: context.maxUploadSize)
            let data = Data(buffer.readableBytesView)
            let type = request.headers[.contentType]?.lowercased() ?? ""
            let batch: [Point]
            if type.hasPrefix("text/csv") {
                guard let text = String(data: data, encoding: .utf8) else { throw BadRequest(message: "the CSV is not UTF-8 text") }
                batch = try PointBodies.csv(text)
            } else {
                batch = try PointBodies.json(data)
            }
            guard let monitor else { throw GMPError(.notFound, "this server monitors no site: start it with --site FILE") }
            do {
                let o = try await monitor.ingest(store, user, batch)
                return try json(
                    PointsAnswer(
                        stored: o.stored, excursions: o.events.map { ExcursionAnswer(series: $0.series, event: $0.event) }, alarms: o.alarms,
                        deviations: o.deviations), status: .created)
            } catch let refused as PointsRefused {
                throw BadRequest(
                    message: "the batch is refused (\(refused.problems.count) problem\(refused.problems.count == 1 ? "" : "s")); nothing was stored",
                    details: refused.problems.map(\.description))
            }
        }
    }
}

/// Monitoring limits: versions proposed, approved by QA with a signature.
struct LimitRoutes {
    let store: GMPStore
    let monitor: Monitor?

    func addRoutes(to limits: RouterGroup<AppContext>) {
        limits.get { request, context in
            try json(try await store.limitSets(try context.signedIn(), series: request.uri.queryParameters.get("series")))
        }
        limits.post { request, context in
            let user = try context.signedIn()
            try store.authorize(user, .defineLimits)
            let b = try await request.body(LimitBody.self, context: context)
            guard let monitor else { throw GMPError(.notFound, "this server monitors no site: start it with --site FILE") }
            guard let series = monitor.series[b.series] else { throw GMPError(.notFound, "'\(b.series.prefix(200))' is not a series of the site") }
            let limits = SeriesLimits(
                alertLow: b.alertLow, alertHigh: b.alertHigh, actionLow: b.actionLow, actionHigh: b.actionHigh, persistence: b.persistence ?? 0,
                hysteresis: b.hysteresis ?? 0)
            let set = try await store.proposeLimits(user, series: series, grade: monitor.site.room(of: series).map(\.grade), limits: limits, reason: b.reason)
            return try json(set, status: .created)
        }
        limits.post(":id/approve") { request, context in
            let b = try await request.body(PasswordBody.self, context: context)
            return try json(try await store.approveLimits(try context.signedIn(), id: try context.parameter("id"), password: b.password, code: b.code))
        }
    }
}

/// Alarms: listed, and acknowledged with a signature and a comment.
struct AlarmRoutes {
    let store: GMPStore
    let monitor: Monitor?

    func addRoutes(to alarms: RouterGroup<AppContext>) {
        alarms.get { request, context in
            let q = request.uri.queryParameters
            let attention = try choice(q.get("attention"), "attention", Flag.self) == .yes
            return try json(try await store.alarms(try context.signedIn(), series: q.get("series"), attention: attention))
        }
        alarms.get(":id") { _, context in
            try json(try await store.alarm(try context.signedIn(), id: try context.parameter("id")))
        }
        alarms.post(":id/acknowledge") { request, context in
            let b = try await request.body(AcknowledgeBody.self, context: context)
            let alarm = try await store.acknowledgeAlarm(
                try context.signedIn(), id: try context.parameter("id"), comment: b.comment, password: b.password, code: b.code)
            await monitor?.publish(store)
            return try json(alarm)
        }
    }
}

/// A yes/no query parameter.
enum Flag: String, CaseIterable {
    case yes = "true", no = "false"
}
