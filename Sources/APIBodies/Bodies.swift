import Bioprocess
import Foundation
import Manufacturing

/// A request the API refuses as malformed: a 400 with its message and details.
public struct BadRequest: Error, Sendable {
    public var message: String
    public var details: [String]

    public init(message: String, details: [String] = []) {
        self.message = message
        self.details = details
    }
}

/// A request body with exactly the fields it declares as properties: unknown fields are
/// refused, so a typo is an error rather than silently ignored.
public protocol StrictBody: Decodable, Sendable {}

extension StrictBody {
    /// The fields the body reads (its properties, see ``FieldRecorder``).
    public static var fields: Set<String> { FieldRecorder.fields(of: Self.self).names }
    /// The values each field that is a choice takes, for refusals in words.
    public static var choices: [String: [String]] { FieldRecorder.fields(of: Self.self).choices }
}

/// Decodes request bodies: JSON objects with exactly the fields a body names, numbers within
/// the magnitudes files take, every refusal a ``BadRequest`` saying where and what was expected.
public enum BodyDecoder {
    public static func decode<T: StrictBody>(_ type: T.Type, from data: Data) throws(BadRequest) -> T {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw BadRequest(
                message: "the body is not valid JSON: " + JSONPosition.describe(error, in: data),
                details: ["expected a JSON object with the fields: " + T.fields.sorted().joined(separator: ", ")])
        }
        guard let object = parsed as? [String: Any] else {
            throw BadRequest(message: "the body must be a JSON object", details: ["expected fields: " + T.fields.sorted().joined(separator: ", ")])
        }
        if let problem = JSONPosition.unreadableValue(in: object) { throw problem }
        let unknown = Set(object.keys).subtracting(T.fields)
        if !unknown.isEmpty {
            throw BadRequest(
                message: "unknown field\(unknown.count == 1 ? "" : "s"): " + unknown.sorted().joined(separator: ", "),
                details: ["expected fields: " + T.fields.sorted().joined(separator: ", ")])
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw BadRequest(message: "missing field '\(key.stringValue)'", details: ["expected fields: " + T.fields.sorted().joined(separator: ", ")])
        } catch DecodingError.typeMismatch(_, let c) {
            throw BadRequest(message: "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type", details: [c.debugDescription])
        } catch DecodingError.valueNotFound(_, let c) {
            throw BadRequest(message: "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))' is null")
        } catch DecodingError.dataCorrupted(let c) {
            let field = c.codingPath.map(\.stringValue).joined(separator: ".")
            if let values = T.choices[field] {
                throw BadRequest(
                    message: "field '\(field)' is \((object[field] as? String).map { "'\($0)'" } ?? "not one of its values"), not one of: \(values.joined(separator: ", "))")
            }
            throw BadRequest(message: "field '\(field)' is not valid: \(c.debugDescription)")
        } catch {
            throw BadRequest(message: "the body cannot be read: \(error)")
        }
    }
}

/// Where a JSON body went wrong, and numbers no field can take.
public enum JSONPosition {
    /// "Invalid value at line 2, column 7 (byte 15)": Foundation's message with the byte
    /// offset it gives turned into a line and column (the end of the body when it ran out).
    public static func describe(_ error: any Error, in data: Data) -> String {
        let debug = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "unreadable"
        var offset = data.count
        var message = debug
        if let r = debug.range(of: " around character "), let n = Int(debug[r.upperBound...].prefix { $0.isNumber }) {
            offset = min(n, data.count)
            message = String(debug[..<r.lowerBound])
        } else if debug.hasSuffix(".") {
            message.removeLast()
        }
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return "\(message) at line \(line), column \(column) (byte \(offset))"
    }

    /// The first field, in name order, whose value no field can take: a number outside the
    /// magnitudes files take (`QuantityParser.magnitudes`), or text with U+0000 (PostgreSQL
    /// refuses it, SQLite cuts the text there).
    public static func unreadableValue(in object: [String: Any]) -> BadRequest? {
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            if let text = value as? String {
                if text.unicodeScalars.contains(where: { $0.value == 0 }) {
                    return BadRequest(message: "field '\(key)' contains a NUL character", details: ["text without control character U+0000"])
                }
            } else if let number = value as? NSNumber {
                // true and false read as 1 and 0, within range.
                let x = number.doubleValue
                if !x.isFinite || (x != 0 && !QuantityParser.magnitudes.contains(abs(x))) {
                    return BadRequest(
                        message: "field '\(key)' is out of range: \(number)",
                        details: ["numbers are read from 1e-30 to 1e30 in magnitude, or 0"])
                }
            }
        }
        return nil
    }
}

// MARK: The bodies

public struct LoginBody: StrictBody {
    public var username: String
    public var password: String
}

public struct UserBody: StrictBody {
    public var username: String
    public var fullName: String
    public var role: Role
    public var password: String
}

public struct PasswordChangeBody: StrictBody {
    public var currentPassword: String
    public var newPassword: String
}

public struct PasswordResetBody: StrictBody {
    public var password: String
    public var reason: String
}

public struct ActiveBody: StrictBody {
    public var active: Bool
    public var reason: String
}

public struct RecipeBody: StrictBody {
    /// The process file's text, YAML or JSON.
    public var process: String
    public var tolerance: Double?
}

public struct SimulateBody: StrictBody {
    /// The process file's text, YAML or JSON.
    public var process: String
}

public struct PasswordBody: StrictBody {
    public var password: String
    /// The 6-digit code of the signer's authenticator: needed for a release or an approval when
    /// they enrolled one (or their role must).
    public var code: String?
}

public struct ItemBody: StrictBody {
    public var code: String
    public var name: String
    public var unit: String
}

public struct LotBody: StrictBody {
    public var item: String
    public var supplier: String
    public var supplierLot: String
    public var quantity: Double
    public var expiry: String
    /// The date by which the lot must be tested again before use, if it has one.
    public var retest: String?
}

public struct RetestBody: StrictBody {
    /// The new retest date, `YYYY-MM-DD`.
    public var until: String
    public var reason: String
    public var password: String
    public var code: String?
}

public struct ResumeBody: StrictBody {
    public var reason: String
    public var password: String
}

public struct DecisionBody: StrictBody {
    public var release: Bool
    public var reason: String
    public var password: String
    public var code: String?
}

public struct BatchBody: StrictBody {
    public var recipeId: String
}

public struct ValueBody: StrictBody {
    public var parameter: String
    public var value: Double
}

public struct MaterialBody: StrictBody {
    public var lot: String
    public var quantity: Double
}

public struct EquipmentBody: StrictBody {
    public var equipment: String
}

public struct CorrectionBody: StrictBody {
    public var value: Double
    public var reason: String
}

public struct SampleBody: StrictBody {
    public var batch: String?
    public var materialLot: String?
    public var test: String
    public var panel: ReleasePanel?
    /// `{"low": …, "high": …, "unit": …}` or `{"criterion": …}`; none for a test the recipe specifies.
    public var specification: QCSpecification?
}

public struct ResultBody: StrictBody {
    public var value: Double?
    public var pass: Bool?
    /// Why a sample that has a result is tested again (required then).
    public var reason: String?
}

public struct DeviationBody: StrictBody {
    public var batch: String?
    public var description: String
}

public struct TransitionBody: StrictBody {
    public var to: DeviationStatus
    public var note: String
    public var password: String
    public var code: String?
}

/// The investigation's findings; changing one already stated needs the reason.
public struct FindingsBody: StrictBody {
    public var classification: DeviationClass?
    public var rootCause: String?
    public var reason: String?
}

/// A corrective or preventive action: what, who (user id or username), by when (`YYYY-MM-DD`).
public struct ActionBody: StrictBody {
    public var action: String
    public var owner: String
    public var due: String
}

public struct NoteBody: StrictBody {
    public var note: String
}

public struct ItemTestBody: StrictBody {
    public var test: String
    /// `{"low": …, "high": …, "unit": …}` or `{"criterion": …}`; none for pass/fail.
    public var specification: QCSpecification?
}

public struct EnrolmentBody: StrictBody {
    public var password: String
    public var code: String
}

public struct ReasonBody: StrictBody {
    public var reason: String
}

public struct PolicyBody: StrictBody {
    public var role: Role
    public var secondFactor: Bool
    public var reason: String
}

/// A new version of a process file of the library.
public struct ProcessFileBody: StrictBody {
    /// The file's name: letters, digits, `.`, `_` or `-`, ending in `.yaml`, `.yml` or `.json`.
    public var name: String
    /// Its whole text, YAML or JSON.
    public var text: String
    /// Why it was written.
    public var note: String
}

/// Process files of one product on several platforms, compared for a number of doses.
public struct CompareBody: StrictBody {
    public var processes: [String]
    public var doses: Int
}

/// Two versions of a process file.
public struct DiffBody: StrictBody {
    public var before: String
    public var after: String
}

/// A process file with costs; `costs` is the text of the cost file its `costs:` section names
/// (needed only when the section names a file).
public struct CostBody: StrictBody {
    public var process: String
    public var costs: String?
}

/// Process files with costs (each with its cost file's text, in the same order, where it names
/// one) and the scales to cost them at, as `vectorfab scale-curve --scales` takes them.
public struct ScaleCurveBody: StrictBody {
    public var processes: [String]
    public var costs: [String]?
    public var scales: String?
}

/// A Monte Carlo of a process file with costs.
public struct UncertaintyBody: StrictBody {
    public var process: String
    public var costs: String?
    public var samples: Int
    public var seed: UInt64?
    public var targetDoses: Int?
    /// Base samples of the Sobol analysis: 0 for none, absent for as many as it takes for every
    /// 95 % interval to be narrower than `sobolWidth`.
    public var sobolSamples: Int?
    /// Without `sobolSamples`, the width every interval must be narrower than (default 0.05).
    public var sobolWidth: Double?
}

/// A facility, a demand, and the texts of the process files the demand names (by the names it
/// gives them).
public struct PlanBody: StrictBody {
    public var facility: String
    public var demand: String
    public var processes: [String: String]
}

/// A facility simulation: a plan's files, replications and a seed.
public struct FacilitySimulationBody: StrictBody {
    public var facility: String
    public var demand: String
    public var processes: [String: String]
    public var replications: Int
    public var seed: UInt64?
}

/// A process file and the receiving site's facility file.
public struct TransferBody: StrictBody {
    public var process: String
    public var facility: String
}
