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
    let series: [String: Series]

    public init(site: MonitoredSite, points: PointStore) {
        self.site = site
        self.points = points
        self.series = Dictionary(site.series.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }
}

struct PointsAnswer: Encodable {
    var stored: Int
    /// The excursions the batch raised, escalated or ended, against the approved limits.
    var excursions: [ExcursionAnswer]
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
                let limits = try await store.approvedLimits()
                let (stored, events) = try await monitor.points.ingest(batch, series: monitor.series, now: Date().timeIntervalSince1970, limits: limits)
                return try json(PointsAnswer(stored: stored, excursions: events.map { ExcursionAnswer(series: $0.series, event: $0.event) }), status: .created)
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
