/// One mistake in a definition file: where it is, which field, what is wrong, what was expected.
public struct DefinitionIssue: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public var location: SourceLocation?
    public var path: FieldPath
    public var message: String
    public var expected: String?

    public init(location: SourceLocation?, path: FieldPath, message: String, expected: String? = nil) {
        self.location = location
        self.path = path
        self.message = message
        self.expected = expected
    }

    /// `file.yaml:12:5: downstream[2].yield: 120 % is above 100 %; expected a yield between 0 and 100 %`
    public var description: String {
        var s = location.map { "\($0): " } ?? ""
        s += "\(path): \(message)"
        if let expected { s += "; expected \(expected)" }
        return s
    }
}

/// Every mistake found in a definition file. Nothing is simulated or stored while one remains.
public struct DefinitionError: Error, Sendable, CustomStringConvertible {
    public var issues: [DefinitionIssue]

    /// Issues saying the same thing (same message and expectation) are kept once, the first
    /// written, with a count and where the others are: a mistake repeated 500 times reads as one.
    public init(_ issues: [DefinitionIssue]) {
        struct Key: Hashable {
            var message: String
            var expected: String?
        }
        var order: [Key] = []
        var groups: [Key: [DefinitionIssue]] = [:]
        for issue in issues {
            let key = Key(message: issue.message, expected: issue.expected)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(issue)
        }
        self.issues = order.map { key in
            let group = groups[key]!
            guard group.count > 1 else { return group[0] }
            var first = group[0]
            let others = group.dropFirst()
            let places = others.prefix(5).map { o in
                if let l = o.location, l.file == first.location?.file { return "line \(l.line)" }
                return o.location.map(\.description) ?? o.path.description
            }
            let unique = places.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            first.message +=
                " (and \(others.count) more time\(others.count == 1 ? "" : "s"): "
                + unique.joined(separator: ", ") + (others.count > 5 ? ", …)" : ")")
            return first
        }
    }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
