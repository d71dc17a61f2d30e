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
        // Each series, with the span its places were used by the batch's phases.
        var spans: [String: (from: Double, to: Double, phases: Set<String>)] = [:]
        for x in s.series {
            let places = AlarmRules.places(of: x, in: s)
            // A room series covers the phases run in the room or on its equipment; an equipment
            // series the phases run on that equipment.
            for run in runs where !run.places.isDisjoint(with: places) {
                var span = spans[x.id] ?? (run.start, run.end ?? now, [])
                span.from = min(span.from, run.start)
                span.to = max(span.to, run.end ?? now)
                span.phases.insert(run.phaseID)
                spans[x.id] = span
            }
        }
        for (series, alarms) in touching where spans[series] == nil {
            let times = alarms.compactMap { Monitoring.Timestamps.parse($0.since) }
            spans[series] = (times.min() ?? now, now, [])
        }
        guard !spans.isEmpty else {
            return ["rows": [[String: Any]](), "none": "No phase of this batch ran on a monitored room or piece of equipment of \(s.name)."]
        }
        let limits = try await store.approvedLimits()
        var rows: [[String: Any]] = []
        var excursions = 0
        for x in s.series where spans[x.id] != nil {
            let span = spans[x.id]!
            let (_, values) = try await monitor.points.points(x.id, from: span.from, to: span.to + 0.001, limit: Self.maxSummaryPoints)
            var alarms = try await store.alarms(user, series: [x.id], from: GMPStore.storeTimeText(span.from), to: GMPStore.storeTimeText(span.to))
            for a in touching[x.id] ?? [] where !alarms.contains(where: { $0.id == a.id }) { alarms.append(a) }
            excursions += alarms.count
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
