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

    public init(_ issues: [DefinitionIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
