import Bioprocess
import Foundation

/// A JSON value, for checking documents against the JSON Schema in `schema/`.
indirect enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double, isInteger: Bool)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x, _), .number(let y, _)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    /// From a YAML or JSON document, resolving plain scalars as YAML 1.2's core schema does.
    init(document node: DocumentNode) {
        switch node.value {
        case .null: self = .null
        case .sequence(let items): self = .array(items.map(JSONValue.init(document:)))
        case .mapping(let entries): self = .object(entries.map { ($0.key, JSONValue(document: $0.value)) })
        case .scalar(let s, let quoted):
            if quoted {
                self = .string(s)
            } else if s == "true" || s == "false" {
                self = .bool(s == "true")
            } else if let i = Int(s) {
                self = .number(Double(i), isInteger: true)
            } else if s.range(
                of: #"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"#, options: .regularExpression)
                != nil, let d = Double(s)
            {
                self = .number(d, isInteger: false)
            } else if [".inf", "-.inf", "+.inf", ".nan", ".NaN", ".Inf"].contains(s) {
                self = .number(
                    s.contains("nan") || s.contains("NaN") ? .nan : (s.hasPrefix("-") ? -.infinity : .infinity),
                    isInteger: false)
            } else {
                self = .string(s)
            }
        }
    }
}

/// A small JSON Schema (draft 2020-12) validator: the keywords `schema/process.schema.json`
/// uses. Enough to check that every example validates and broken copies do not.
struct SchemaValidator {
    let root: JSONValue

    /// Every violation, as `path: reason`.
    func errors(_ value: JSONValue) -> [String] {
        var out: [String] = []
        check(value, against: root, path: "$", into: &out)
        return out
    }

    func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: JSONValue? = root
        for part in ref.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node
    }

    func check(_ v: JSONValue, against s: JSONValue, path: String, into out: inout [String]) {
        if case .bool(let b) = s {
            if !b { out.append("\(path): not allowed") }
            return
        }
        if case .string(let ref)? = s["$ref"] {
            guard let target = resolve(ref) else {
                out.append("\(path): unresolved \(ref)")
                return
            }
            check(v, against: target, path: path, into: &out)
        }
        if let type = s["type"] {
            let types: [String]
            switch type {
            case .string(let t): types = [t]
            case .array(let ts): types = ts.compactMap { if case .string(let t) = $0 { t } else { nil } }
            default: types = []
            }
            if !types.contains(where: { matches(v, type: $0) }) {
                out.append("\(path): expected \(types.joined(separator: " or "))")
                return
            }
        }
        if let c = s["const"], c != v { out.append("\(path): expected \(c)") }
        if case .array(let options)? = s["enum"], !options.contains(v) { out.append("\(path): not one of the enum") }
        if case .string(let pattern)? = s["pattern"], case .string(let text) = v,
            text.range(of: pattern, options: .regularExpression) == nil
        {
            out.append("\(path): '\(text)' does not match \(pattern)")
        }
        if case .number(let x, _) = v {
            if case .number(let m, _)? = s["minimum"], x < m { out.append("\(path): below \(m)") }
            if case .number(let m, _)? = s["maximum"], x > m { out.append("\(path): above \(m)") }
            if case .number(let m, _)? = s["exclusiveMinimum"], x <= m { out.append("\(path): not above \(m)") }
        }
        if case .object(let pairs) = v {
            let properties = s["properties"]
            if case .array(let required)? = s["required"] {
                for case .string(let key) in required where !pairs.contains(where: { $0.0 == key }) {
                    out.append("\(path): missing \(key)")
                }
            }
            for (key, value) in pairs {
                if let p = properties?[key] {
                    check(value, against: p, path: "\(path).\(key)", into: &out)
                } else if let extra = s["additionalProperties"] {
                    check(value, against: extra, path: "\(path).\(key)", into: &out)
                }
            }
        }
        if case .array(let items) = v {
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() {
                    check(item, against: itemSchema, path: "\(path)[\(i)]", into: &out)
                }
            }
            if case .number(let m, _)? = s["minItems"], Double(items.count) < m {
                out.append("\(path): fewer than \(m) items")
            }
        }
        if case .array(let all)? = s["allOf"] {
            for sub in all { check(v, against: sub, path: path, into: &out) }
        }
        if case .array(let any)? = s["anyOf"] {
            let ok = any.contains { sub in
                var e: [String] = []
                check(v, against: sub, path: path, into: &e)
                return e.isEmpty
            }
            if !ok { out.append("\(path): matches none of anyOf") }
        }
        if case .array(let one)? = s["oneOf"] {
            var failures: [[String]] = []
            let matching = one.filter { sub in
                var e: [String] = []
                check(v, against: sub, path: path, into: &e)
                failures.append(e)
                return e.isEmpty
            }.count
            if matching != 1 {
                let closest = failures.min { $0.count < $1.count } ?? []
                out.append(
                    "\(path): matches \(matching) of oneOf"
                        + (matching == 0 ? " (closest: \(closest.joined(separator: "; ")))" : ""))
            }
        }
        if let negated = s["not"] {
            var e: [String] = []
            check(v, against: negated, path: path, into: &e)
            if e.isEmpty { out.append("\(path): matches a schema it must not") }
        }
        if let condition = s["if"] {
            var e: [String] = []
            check(v, against: condition, path: path, into: &e)
            if e.isEmpty, let then = s["then"] {
                check(v, against: then, path: path, into: &out)
            } else if !e.isEmpty, let otherwise = s["else"] {
                check(v, against: otherwise, path: path, into: &out)
            }
        }
    }

    func matches(_ v: JSONValue, type: String) -> Bool {
        switch (type, v) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .number(let x, _)): x.isFinite
        case ("integer", .number(let x, let isInteger)): isInteger || (x.isFinite && x.rounded() == x)
        default: false
        }
    }
}
