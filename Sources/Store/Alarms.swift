import Bioprocess
import Foundation
import Manufacturing
import Monitoring
import SQLKit

/// What one ingest did: the points stored, the excursions the detectors found, the alarms they
/// raised or changed and the deviations they opened on the batches they touched.
public struct IngestOutcome: Sendable {
    public var stored: Int
    public var events: [(series: String, event: ExcursionEvent)]
    public var alarms: [Alarm]
    public var deviations: [Deviation]
}

extension GMPStore {
    static func alarm(_ row: any SQLRow) throws -> Alarm {
        let level = try row.decode(column: "level", as: String.self)
        return Alarm(
            id: try row.decode(column: "id", as: String.self), series: try row.decode(column: "series", as: String.self),
            place: try row.decode(column: "place", as: String.self), level: level == LimitLevel.action.word ? .action : .alert,
            since: try row.decode(column: "since", as: String.self), raisedAt: try row.decode(column: "raised_at", as: String.self),
            value: try row.decode(column: "value", as: Double.self), endedAt: try row.decode(column: "ended_at", as: String?.self),
            acknowledgedBy: try row.decode(column: "acknowledged_by", as: String?.self),
            acknowledgedAt: try row.decode(column: "acknowledged_at", as: String?.self), comment: try row.decode(column: "comment", as: String?.self))
    }

    /// A time of a point as the store writes its times (UTC, milliseconds).
    static func storeTime(_ t: Double) -> String { timestamp(Date(timeIntervalSince1970: (t * 1000).rounded() / 1000)) }

    /// A time as the store writes its times, to compare with stored ones.
    public static func storeTimeText(_ t: Double) -> String {
        storeTime(t.isFinite ? min(max(t, 0), 253_402_300_799) : 0)
    }

    /// The deviations an alarm opened.
    public func deviations(_ user: User, alarm id: String) async throws -> [Deviation] {
        try require(user, .readRecords)
        return try await connection.read { db in
            try await db.raw("SELECT * FROM deviations WHERE alarm_id = \(bind: id) ORDER BY opened_at").all().map(Self.deviation)
        }
    }

    /// Checks and stores a batch of points (``PointStore``), runs the excursion detectors against
    /// the approved limits, and records what they found as GMP records in one transaction: an
    /// alarm per excursion (raised, escalated, ended) and, on each batch one of whose phases ran
    /// on the room or equipment while the excursion lasted, a deviation naming the alarm —
    /// which blocks the batch's release until QA closes it, and puts a released batch on hold.
    ///
    /// The points are committed before the alarms: should the GMP transaction fail, the points
    /// stay stored and the error is thrown (the caller answers 500 and logs it).
    public func ingest(_ user: User, _ points: [Point], into pointStore: PointStore, site: MonitoredSite, now: Double) async throws
        -> IngestOutcome
    {
        try require(user, .ingestPoints)
        let series = Dictionary(site.series.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let limits = try await approvedLimits()
        // The excursions still open in the records: a detector that starts afresh (after a
        // restart, or new limits) resumes them, so their end is seen.
        let named = Array(Set(points.prefix(PointCheck.maxPoints).map(\.series)).filter { limits[$0] != nil }.prefix(10_000))
        var resume: [String: (level: LimitLevel, since: Double)] = [:]
        if !named.isEmpty {
            for a in try await connection.read({ db in
                try await db.raw("SELECT * FROM alarms WHERE ended_at IS NULL AND series IN (\(binds: named))").all().map(Self.alarm)
            }) {
                if let since = Monitoring.Timestamps.parse(a.since) { resume[a.series] = (a.level, since) }
            }
        }
        let (stored, events) = try await pointStore.ingest(points, series: series, now: now, limits: limits, resume: resume)
        guard !events.isEmpty else { return IngestOutcome(stored: stored, events: events, alarms: [], deviations: []) }
        var newest: [String: Double] = [:]
        for p in points where p.time.isFinite { newest[p.series] = max(newest[p.series] ?? p.time, p.time) }
        let (alarms, deviations) = try await recordExcursions(user, events, site: site, now: now, newest: newest)
        return IngestOutcome(stored: stored, events: events, alarms: alarms, deviations: deviations)
    }

    /// The detectors' events as alarms, and the deviations of the batches they touched. An
    /// excursion touches the phases that ran on its places from its start to its end; for one
    /// still going on (no end among these events), to the series' newest point plus one
    /// sampling interval (at least 5 minutes), but not past `now`: a phase starting on a
    /// bioreactor in alarm is affected, while a backfill of old points does not reach today.
    func recordExcursions(
        _ user: User, _ events: [(series: String, event: ExcursionEvent)], site: MonitoredSite, now clock: Double,
        newest: [String: Double] = [:]
    ) async throws -> (alarms: [Alarm], deviations: [Deviation]) {
        // Where each event's excursion ends: the next end of the same series among the events.
        var found = [Double?](repeating: nil, count: events.count)
        var nextEnd: [String: Double] = [:]
        for i in events.indices.reversed() {
            if case .ended(_, let at) = events[i].event { nextEnd[events[i].series] = at }
            found[i] = nextEnd[events[i].series]
        }
        let ends = found
        let at = now()
        let bySeries = Dictionary(site.series.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return try await connection.transaction { db in
            var changed: [String: Alarm] = [:]
            var order: [String] = []
            var opened: [Deviation] = []
            for (index, (id, event)) in events.enumerated() {
                guard let series = bySeries[id] else { continue }
                func until(_ at: Double) -> Double {
                    ends[index] ?? max(at, min(clock, (newest[id] ?? at) + max(series.interval, 300)))
                }
                let place: String
                switch series.location {
                case .room(let r): place = r
                case .equipment(let e): place = e
                }
                let open = try await db.raw("SELECT * FROM alarms WHERE series = \(bind: id) AND ended_at IS NULL ORDER BY raised_at DESC").first()
                    .map(Self.alarm)
                var alarm: Alarm
                var window: (Double, Double)
                switch event {
                case .raised(let level, let since, let raisedAt, let value):
                    if var kept = open {
                        // Raised again after a restart of the detectors: the same excursion.
                        if level > kept.level { try await self.escalate(db, &kept, value: value, user: user, at: at) }
                        alarm = kept
                    } else {
                        alarm = Alarm(
                            id: Self.newID("alarm"), series: id, place: place, level: level, since: Self.storeTime(since),
                            raisedAt: Self.storeTime(raisedAt), value: value)
                        try await self.sealed(
                            db, "alarms",
                            """
                            INSERT INTO alarms (id, series, place, level, since, raised_at, value, raised_by)
                            VALUES (\(bind: alarm.id), \(bind: id), \(bind: place), \(bind: level.word), \(bind: alarm.since),
                            \(bind: alarm.raisedAt), \(bind: value), \(bind: user.id))
                            """, by: user.id, at: at)
                        try await self.audit(
                            db, user: user.id, action: .open, entity: "alarm", id: alarm.id, field: "level", new: level.word,
                            reason: "\(id) at \(Figure.text(value)) \(series.unit) since \(alarm.since)", at: at)
                    }
                    window = (Monitoring.Timestamps.parse(alarm.since) ?? since, until(raisedAt))
                case .escalated(_, let escalatedAt, let value):
                    guard var kept = open else { continue }
                    try await self.escalate(db, &kept, value: value, user: user, at: at)
                    alarm = kept
                    window = (Monitoring.Timestamps.parse(alarm.since) ?? escalatedAt, until(escalatedAt))
                case .ended(_, let endedAt):
                    guard var kept = open else { continue }
                    kept.endedAt = Self.storeTime(endedAt)
                    try await self.sealed(
                        db, "alarms", "UPDATE alarms SET ended_at = \(bind: kept.endedAt) WHERE id = \(bind: kept.id)", by: user.id, at: at)
                    try await self.audit(
                        db, user: user.id, action: .update, entity: "alarm", id: kept.id, field: "ended_at", new: kept.endedAt, at: at)
                    alarm = kept
                    window = (Monitoring.Timestamps.parse(alarm.since) ?? endedAt, endedAt)
                }
                if changed[alarm.id] == nil { order.append(alarm.id) }
                changed[alarm.id] = alarm
                opened += try await self.openExcursionDeviations(db, alarm, series: series, site: site, from: window.0, to: window.1, user: user, at: at)
            }
            return (order.compactMap { changed[$0] }, opened)
        }
    }

    /// To the action level. An acknowledgement given at the alert level no longer answers it:
    /// it is asked for again (the first stays in the signatures and the audit trail).
    private func escalate(_ db: any SQLDatabase, _ alarm: inout Alarm, value: Double, user: User, at: String) async throws {
        let was = alarm.level
        let acknowledged = alarm.acknowledgedBy != nil
        alarm.level = .action
        alarm.value = value
        alarm.acknowledgedBy = nil
        alarm.acknowledgedAt = nil
        alarm.comment = nil
        try await sealed(
            db, "alarms",
            """
            UPDATE alarms SET level = \(bind: LimitLevel.action.word), value = \(bind: value), acknowledged_by = NULL, acknowledged_at = NULL,
            comment = NULL WHERE id = \(bind: alarm.id)
            """,
            by: user.id, at: at)
        try await audit(
            db, user: user.id, action: .update, entity: "alarm", id: alarm.id, field: "level", old: was.word, new: LimitLevel.action.word,
            reason: acknowledged ? "escalated after its acknowledgement: to be acknowledged again" : nil, at: at)
    }

    /// A deviation on each batch one of whose phases ran on the excursion's places between
    /// `from` and `to`, unless the alarm already has one on that batch.
    func openExcursionDeviations(
        _ db: any SQLDatabase, _ alarm: Alarm, series: Series, site: MonitoredSite, from: Double, to: Double, user: User, at: String
    ) async throws -> [Deviation] {
        let places = AlarmRules.places(of: series, in: site)
        // The phases that used the places and had not ended before the excursion began.
        let pairs = try await db.raw(
            """
            SELECT e.batch_id, e.phase_id, MAX(e.at) AS last FROM batch_entries e WHERE e.kind = 'equipment'
            AND e.equipment IN (\(binds: places.sorted())) AND NOT EXISTS (SELECT 1 FROM batch_entries c WHERE c.batch_id = e.batch_id
            AND c.phase_id = e.phase_id AND c.kind = 'completion' AND c.at < \(bind: Self.storeTimeText(from)))
            GROUP BY e.batch_id, e.phase_id ORDER BY last DESC LIMIT 10000
            """
        ).all().map { (try $0.decode(column: "batch_id", as: String.self), try $0.decode(column: "phase_id", as: String.self)) }
        guard !pairs.isEmpty else { return [] }
        var entries: [BatchEntry] = []
        for (batch, phase) in pairs {
            entries += try await db.raw(
                "SELECT * FROM batch_entries WHERE batch_id = \(bind: batch) AND phase_id = \(bind: phase) ORDER BY at, id"
            ).all().map(Self.entry)
        }
        // The alarm's deviations by batch: none while one is open; after a closed one, only for
        // a phase that began after it was opened (a new exposure).
        var earlier: [String: [Deviation]] = [:]
        for d in try await db.raw("SELECT * FROM deviations WHERE alarm_id = \(bind: alarm.id)").all().map(Self.deviation) {
            if let b = d.batchID { earlier[b, default: []].append(d) }
        }
        var opened: [Deviation] = []
        for run in AlarmRules.touched(PhaseRun.runs(entries), places: places, from: from, to: to, after: { batch in
            let mine = earlier[batch] ?? []
            if mine.contains(where: { $0.status != .closed }) { return .infinity }
            return mine.compactMap { $0.openedAt.flatMap(Monitoring.Timestamps.parse) }.max() ?? -.infinity
        }) {
            let status = try await db.raw("SELECT status FROM batches WHERE id = \(bind: run.batchID)").first()?
                .decode(column: "status", as: String.self)
            guard status != BatchStatus.rejected.rawValue else { continue }
            let (_, recipe, _) = try await load(db, batch: run.batchID, all: false)
            let name = recipe.phase(run.phaseID)?.name
            opened.append(
                try await openDeviation(db, user: user, AlarmRules.deviation(for: alarm, run: run, phaseName: name, unit: series.unit), at: at))
        }
        return opened
    }

    /// Acknowledges an alarm with a comment, signed (password; the meaning "acknowledged").
    public func acknowledgeAlarm(_ user: User, id: String, comment: String, password: String, code: String? = nil) async throws -> Alarm {
        try require(user, .acknowledgeAlarm)
        let at = now()
        let ticket = try await verifyPassword(user, password, code: code)
        return try await connection.transaction { db in
            guard let row = try await db.raw("SELECT * FROM alarms WHERE id = \(bind: id)").first() else { throw GMPError(.notFound, "no alarm \(id)") }
            var alarm = try Self.alarm(row)
            if let refusal = AlarmRules.acknowledge(alarm, comment: comment) { throw refusal }
            _ = try await self.sign(db, ticket, meaning: .acknowledged, entity: "alarm", id: id, at: at)
            try await self.sealed(
                db, "alarms",
                "UPDATE alarms SET acknowledged_by = \(bind: user.id), acknowledged_at = \(bind: at), comment = \(bind: comment) WHERE id = \(bind: id)",
                by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .update, entity: "alarm", id: id, field: "acknowledged", new: user.fullName, reason: comment, at: at)
            alarm.acknowledgedBy = user.id
            alarm.acknowledgedAt = at
            alarm.comment = comment
            return alarm
        }
    }

    /// Alarms, newest first: all (at most `limit`), those of one series, or those still needing
    /// attention (active or not acknowledged).
    public func alarms(_ user: User, series: String? = nil, attention: Bool = false, limit: Int = 500) async throws -> [Alarm] {
        try require(user, .readRecords)
        let limit = max(1, min(limit, 10_000))
        return try await connection.read { db in
            var query: SQLQueryString = "SELECT * FROM alarms WHERE 1 = 1"
            if let series { query = query + " AND series = \(bind: series)" }
            if attention { query = query + " AND (ended_at IS NULL OR acknowledged_by IS NULL)" }
            return try await db.raw(query + " ORDER BY raised_at DESC, id LIMIT \(bind: limit)").all().map(Self.alarm)
        }
    }

    public func alarm(_ user: User, id: String) async throws -> Alarm {
        try require(user, .readRecords)
        return try await connection.read { db in
            guard let row = try await db.raw("SELECT * FROM alarms WHERE id = \(bind: id)").first() else { throw GMPError(.notFound, "no alarm \(id)") }
            return try Self.alarm(row)
        }
    }

    /// Alarms that overlap a time span (for a batch's environmental summary), of the series given.
    public func alarms(_ user: User, series: [String], from: String, to: String) async throws -> [Alarm] {
        try require(user, .readRecords)
        guard !series.isEmpty else { return [] }
        return try await connection.read { db in
            try await db.raw(
                """
                SELECT * FROM alarms WHERE series IN (\(binds: Array(series.prefix(1000)))) AND since <= \(bind: to)
                AND (ended_at IS NULL OR ended_at >= \(bind: from)) ORDER BY since LIMIT 1000
                """
            ).all().map(Self.alarm)
        }
    }

    /// How many alarms need attention: still active, and not yet acknowledged (the banner).
    public func alarmCounts() async throws -> (active: Int, unacknowledged: Int, action: Int) {
        try await connection.read { db in
            let row = try await db.raw(
                """
                SELECT COALESCE(SUM(CASE WHEN ended_at IS NULL THEN 1 ELSE 0 END), 0) AS active,
                COALESCE(SUM(CASE WHEN acknowledged_by IS NULL THEN 1 ELSE 0 END), 0) AS unacknowledged,
                COALESCE(SUM(CASE WHEN acknowledged_by IS NULL AND level = 'action' THEN 1 ELSE 0 END), 0) AS action
                FROM alarms WHERE ended_at IS NULL OR acknowledged_by IS NULL
                """
            ).first()
            return (
                try row?.decode(column: "active", as: Int.self) ?? 0, try row?.decode(column: "unacknowledged", as: Int.self) ?? 0,
                try row?.decode(column: "action", as: Int.self) ?? 0
            )
        }
    }
}
