import Foundation
import Monitoring

/// A batch of monitoring points as the API takes it: JSON `{"points": [{"series", "time",
/// "value", "unit"?}]}` with `time` in seconds since 1970 or as ISO 8601 text, or CSV with the
/// header `series,time,value` (and optionally `unit`). Every refusal names the point or line.
public enum PointBodies {
    /// The most points one request may carry (the body limit allows about 15,000 in JSON).
    public static let maxPoints = PointCheck.maxPoints

    public static func json(_ data: Data) throws(BadRequest) -> [Point] {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw BadRequest(message: "the body is not valid JSON: " + JSONPosition.describe(error, in: data), details: [expected])
        }
        guard let object = parsed as? [String: Any] else {
            throw BadRequest(message: "the body must be a JSON object", details: ["expected fields: points", expected])
        }
        let unknown = Set(object.keys).subtracting(["points"])
        if !unknown.isEmpty {
            throw BadRequest(message: "unknown field: " + unknown.sorted().joined(separator: ", "), details: ["expected fields: points", expected])
        }
        guard let list = object["points"] as? [Any] else {
            throw BadRequest(message: "missing field 'points' (a list)", details: ["expected fields: points", expected])
        }
        guard list.count <= maxPoints else {
            throw BadRequest(message: "the batch has \(list.count) points, more than the limit of \(maxPoints)")
        }
        var points: [Point] = []
        points.reserveCapacity(list.count)
        for (i, item) in list.enumerated() {
            let place = "point \(i + 1)"
            guard let p = item as? [String: Any] else { throw BadRequest(message: "\(place) is not an object", details: [expected]) }
            let extra = Set(p.keys).subtracting(["series", "time", "value", "unit"])
            if !extra.isEmpty { throw BadRequest(message: "\(place): unknown field \(extra.sorted().joined(separator: ", "))", details: [expected]) }
            guard let series = p["series"] as? String, !series.isEmpty, series.utf8.count <= 200 else {
                throw BadRequest(message: "\(place): 'series' is missing or not a text of at most 200 characters", details: [expected])
            }
            let time: Double
            if let text = p["time"] as? String {
                guard let t = Timestamps.parse(text) else {
                    throw BadRequest(message: "\(place) (\(series)): the time '\(text.prefix(40))' is not an ISO 8601 time", details: [expected])
                }
                time = t
            } else if let n = number(p["time"]) {
                time = n
            } else {
                throw BadRequest(message: "\(place) (\(series)): 'time' is missing or not a time", details: [expected])
            }
            guard let value = number(p["value"]) else {
                throw BadRequest(message: "\(place) (\(series)): 'value' is missing or not a number", details: [expected])
            }
            var unit: String?
            if let u = p["unit"] {
                guard let text = u as? String, text.count <= 20 else {
                    throw BadRequest(message: "\(place) (\(series)): 'unit' is not a text of at most 20 characters", details: [expected])
                }
                unit = text
            }
            points.append(Point(series: series, time: time, value: value, unit: unit))
        }
        return points
    }

    /// A JSON number (not true or false, which Foundation also hands over as numbers).
    static func number(_ any: Any?) -> Double? {
        guard let n = any as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
        return n.doubleValue
    }

    static let expected = #"expected {"points": [{"series": "BR-1/ph", "time": "2026-12-02T14:00:00Z" or seconds since 1970, "value": 7.1, "unit": "pH" (optional)}]}"#
    static let expectedCSV = "expected CSV with the header series,time,value (and optionally unit), one point a line"

    public static func csv(_ text: String) throws(BadRequest) -> [Point] {
        // Lines end in \n or \r\n (one Character in Swift); Excel puts a byte-order mark first.
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        var lines = body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let header = lines.first else { throw BadRequest(message: "the CSV is empty", details: [expectedCSV]) }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let s = columns.firstIndex(of: "series"), let t = columns.firstIndex(of: "time"), let v = columns.firstIndex(of: "value"),
            Set(columns).isSubset(of: ["series", "time", "value", "unit"]), Set(columns).count == columns.count
        else {
            throw BadRequest(message: "line 1: the header '\(header.prefix(80))' is not series,time,value[,unit]", details: [expectedCSV])
        }
        let u = columns.firstIndex(of: "unit")
        guard lines.count - 1 <= maxPoints else {
            throw BadRequest(message: "the CSV has \(lines.count - 1) points, more than the limit of \(maxPoints)")
        }
        var points: [Point] = []
        points.reserveCapacity(lines.count - 1)
        for (k, line) in lines.dropFirst().enumerated() {
            let place = "line \(k + 2)"
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == columns.count else {
                throw BadRequest(message: "\(place) has \(f.count) fields, not \(columns.count)", details: [expectedCSV])
            }
            let series = f[s]
            guard !series.isEmpty, series.utf8.count <= 200 else { throw BadRequest(message: "\(place): the series is empty or too long", details: [expectedCSV]) }
            guard let time = Timestamps.parse(f[t]) ?? Double(f[t]) else {
                throw BadRequest(message: "\(place) (\(series)): the time '\(f[t].prefix(40))' is not an ISO 8601 time or seconds since 1970", details: [expectedCSV])
            }
            guard let value = Double(f[v]) else {
                throw BadRequest(message: "\(place) (\(series)): the value '\(f[v].prefix(40))' is not a number", details: [expectedCSV])
            }
            points.append(Point(series: series, time: time, value: value, unit: u.map { f[$0] }.flatMap { $0.isEmpty ? nil : $0 }))
        }
        return points
    }
}

/// A new version of a series' limits: at least one limit, persistence in seconds (default
/// 0), hysteresis in the series' unit (default 0), and the reason.
public struct LimitBody: StrictBody {
    public var series: String
    public var alertLow: Double?
    public var alertHigh: Double?
    public var actionLow: Double?
    public var actionHigh: Double?
    public var persistence: Double?
    public var hysteresis: Double?
    public var reason: String
}

/// An alarm acknowledged: what was seen and done, signed with the password (and the
/// authenticator's code when the role requires one).
public struct AcknowledgeBody: StrictBody {
    public var comment: String
    public var password: String
    public var code: String?
}
