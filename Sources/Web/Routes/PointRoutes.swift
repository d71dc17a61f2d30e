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
                let stored = try await monitor.points.ingest(batch, series: monitor.series, now: Date().timeIntervalSince1970)
                return try json(PointsAnswer(stored: stored), status: .created)
            } catch let refused as PointsRefused {
                throw BadRequest(
                    message: "the batch is refused (\(refused.problems.count) problem\(refused.problems.count == 1 ? "" : "s")); nothing was stored",
                    details: refused.problems.map(\.description))
            }
        }
    }
}
