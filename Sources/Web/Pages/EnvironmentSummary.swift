import Bioprocess
import Capacity
import Foundation
import Manufacturing
import Monitoring
import Store

/// A batch's environmental summary: for every monitored room and piece of equipment its phases
/// ran on, each series over the time those phases ran — points, lowest and highest value against
/// the approved limits — and the alarms of that time, with the deviations they opened. Shown in
/// the release review and in the printed batch record.
extension PageRoutes {
    /// The most points read per series for the summary (a two-week phase of one-minute data is
    /// 20,160): beyond, the summary says it counted the first ones only.
    static let maxSummaryPoints = 200_000
    /// The longest a phase is taken to have run when it has no end yet (or an absurd one): 60 days.
    static let maxRunSpan: Double = 60 * 86_400

    func environmentSummary(_ user: User, entries: [BatchEntry], deviations: [Deviation]) async throws -> [String: Any]? {
        guard let monitor else { return nil }
        let s = monitor.site
        let runs = PhaseRun.runs(entries)
        // The alarms that opened a deviation on the batch, whenever their excursion began (one
        // still going on when a phase ran touched it even if its points came later).
        var touching: [String: [Alarm]] = [:]
        for id in Set(deviations.compactMap(\.alarmID)).sorted().prefix(1000) {
            if let a = try? await store.alarm(user, id: id) { touching[a.series, default: []].append(a) }
        }
        let now = Date().timeIntervalSince1970
        // Each series, with the runs of the batch's phases on its places (merged where they overlap).
        var spans: [String: [(from: Double, to: Double, phases: Set<String>)]] = [:]
        for x in s.series {
            let places = AlarmRules.places(of: x, in: s)
            for run in runs.sorted(by: { $0.start < $1.start }) where !run.places.isDisjoint(with: places) {
                let end = max(run.start, min(run.end ?? now, run.start + Self.maxRunSpan))
                if var last = spans[x.id]?.last, run.start <= last.to {
                    last.to = max(last.to, end)
                    last.phases.insert(run.phaseID)
                    spans[x.id]![spans[x.id]!.count - 1] = last
                } else {
                    spans[x.id, default: []].append((run.start, end, [run.phaseID]))
                }
            }
        }
        for (series, alarms) in touching where spans[series] == nil {
            for a in alarms {
                guard let since = Monitoring.Timestamps.parse(a.since) else { continue }
                let end = a.endedAt.flatMap(Monitoring.Timestamps.parse) ?? min(now, since + Self.maxRunSpan)
                spans[series, default: []].append((since, max(since, end), []))
            }
        }
        guard !spans.isEmpty else {
            return ["rows": [[String: Any]](), "none": "No phase of this batch ran on a monitored room or piece of equipment of \(s.name)."]
        }
        let limits = try await store.approvedLimits()
        var rows: [[String: Any]] = []
        var excursions = 0
        for x in s.series {
            guard let parts = spans[x.id] else { continue }
            var values: [Double] = []
            var alarms: [Alarm] = []
            for part in parts where values.count < Self.maxSummaryPoints {
                values += try await monitor.points.points(x.id, from: part.from, to: part.to + 0.001, limit: Self.maxSummaryPoints - values.count).values
                for a in try await store.alarms(user, series: [x.id], from: GMPStore.storeTimeText(part.from), to: GMPStore.storeTimeText(part.to))
                where !alarms.contains(where: { $0.id == a.id }) { alarms.append(a) }
            }
            for a in touching[x.id] ?? [] where !alarms.contains(where: { $0.id == a.id }) { alarms.append(a) }
            excursions += alarms.count
            let span = (from: parts.map(\.from).min() ?? now, to: parts.map(\.to).max() ?? now, phases: parts.reduce(into: Set<String>()) { $0.formUnion($1.phases) })
            let l = limits[x.id]
            let worst = values.map { v in l?.level(v) ?? .normal }.max() ?? .normal
            rows.append([
                "series": x.id, "link": "/monitoring/trend?series=\(Self.query(x.id))&from=\(Monitoring.Timestamps.text(span.from))&to=\(Monitoring.Timestamps.text(span.to))",
                "place": s.room(of: x).map { "\($0.id), \($0.grade.rawValue)" } ?? "",
                "phases": span.phases.sorted().joined(separator: ", "),
                "from": Self.shortTime(Monitoring.Timestamps.text(span.from)), "to": Self.shortTime(Monitoring.Timestamps.text(span.to)),
                "points": values.count == Self.maxSummaryPoints ? "\(values.count)+" : "\(values.count)",
                "min": values.min().map { "\(Figure.text($0)) \(x.unit)" } ?? "—", "max": values.max().map { "\(Figure.text($0)) \(x.unit)" } ?? "—",
                "limits": l.map(Self.limitsText) ?? "none approved", "exception": worst > .normal || !alarms.isEmpty,
                "state": alarms.isEmpty
                    ? (values.isEmpty ? "no points" : worst > .normal ? "outside \(worst.word) limits (no alarm raised)" : "within limits")
                    : alarms.map { "\($0.level.word) alarm\($0.acknowledgedBy == nil ? ", not acknowledged" : ", acknowledged")" }.joined(separator: "; ") + ":",
                "alarms": alarms.map { ["id": $0.id] },
            ])
        }
        return [
            "rows": rows, "site": s.name,
            "verdict": excursions == 0 ? "No excursion while the batch's phases ran." : "\(excursions) excursion\(excursions == 1 ? "" : "s") while the batch's phases ran.",
            "clean": excursions == 0,
        ]
    }
}
