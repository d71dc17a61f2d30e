import Foundation
import Manufacturing
import SQLKit

/// One recorded parameter of one batch, as it stands after its corrections: what continued
/// process verification charts.
public struct ParameterValue: Sendable, Hashable {
    public var batchID: String
    /// The batch's product.
    public var product: String
    public var phaseID: String
    public var parameter: String
    public var value: Double
    /// When the value (or its last correction) was recorded.
    public var at: String
    /// Whether the value is a correction of an earlier entry.
    public var corrected: Bool
}

extension GMPStore {
    /// The most parameter entries read for one chart.
    public static let maxParameterEntries = 200_000

    /// Every batch's recorded values of a parameter (or all parameters), each as corrected —
    /// in the order the batches began; the newest ``maxParameterEntries`` entries read.
    public func parameterValues(_ user: User, parameter: String? = nil) async throws -> [ParameterValue] {
        try require(user, .readRecords)
        return try await connection.read { db in
            var query: SQLQueryString =
                "SELECT e.id, e.batch_id, e.phase_id, e.parameter, e.value, e.corrects, e.at, b.product FROM batch_entries e JOIN batches b ON b.id = e.batch_id WHERE e.kind = 'value'"
            if let parameter { query = query + " AND e.parameter = \(bind: parameter)" }
            let rows = try await db.raw(query + " ORDER BY e.at DESC, e.id DESC LIMIT \(bind: Self.maxParameterEntries)").all().reversed()
            struct Raw {
                var id: String, batch: String, product: String, phase: String, parameter: String, value: Double?, corrects: String?, at: String
            }
            let raw = try rows.map {
                Raw(
                    id: try $0.decode(column: "id", as: String.self), batch: try $0.decode(column: "batch_id", as: String.self),
                    product: try $0.decode(column: "product", as: String.self),
                    phase: try $0.decode(column: "phase_id", as: String.self), parameter: try $0.decode(column: "parameter", as: String?.self) ?? "",
                    value: try $0.decode(column: "value", as: Double?.self), corrects: try $0.decode(column: "corrects", as: String?.self),
                    at: try $0.decode(column: "at", as: String.self))
            }
            // A correction replaces the value it names (and a correction of a correction, that one).
            let replaced = Set(raw.compactMap(\.corrects))
            var firstSeen: [String: String] = [:]
            for r in raw where firstSeen[r.batch] == nil { firstSeen[r.batch] = r.at }
            return raw.filter { !replaced.contains($0.id) }.compactMap { r in
                r.value.map {
                    ParameterValue(batchID: r.batch, product: r.product, phaseID: r.phase, parameter: r.parameter, value: $0, at: r.at, corrected: r.corrects != nil)
                }
            }.sorted { (firstSeen[$0.batchID] ?? "", $0.batchID, $0.at) < (firstSeen[$1.batchID] ?? "", $1.batchID, $1.at) }
        }
    }
}
