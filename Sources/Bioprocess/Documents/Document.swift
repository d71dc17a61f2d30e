/// Where something is in a file: a path with 1-based line and column.
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A path to a field inside a document, as a user would point at it: `downstream[2].yield`.
public struct FieldPath: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Component: Hashable, Sendable, Codable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    public static let root = FieldPath()

    public func appending(_ key: String) -> FieldPath { FieldPath(components + [.key(key)]) }
    public func appending(index: Int) -> FieldPath { FieldPath(components + [.index(index)]) }

    /// Components as strings, an index written `[i]`: for matching paths against known fields.
    public static func keys<C: Collection<Component>>(_ components: C) -> [String] {
        components.map {
            switch $0 {
            case .key(let k): k
            case .index(let i): "[\(i)]"
            }
        }
    }

    public var description: String {
        var s = ""
        for c in components {
            switch c {
            case .key(let k): s += s.isEmpty ? k : ".\(k)"
            case .index(let i): s += "[\(i)]"
            }
        }
        return s.isEmpty ? "(top level)" : s
    }
}

/// A format-neutral tree of what a YAML or JSON file says, with where each part was written.
///
/// File formats are read at the edge (the `FileFormats` module) into this tree, so the domain
/// can check definitions and name the line of every mistake without depending on a parser.
public struct DocumentNode: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        /// A scalar as written. `quoted` is true for quoted strings (`"2000 L"`).
        case scalar(String, quoted: Bool)
        case mapping([DocumentEntry])
        case sequence([DocumentNode])
        case null
    }

    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// What kind of node this is, in words, for error messages.
    public var kindDescription: String {
        switch value {
        case .scalar: "a value"
        case .mapping: "a mapping of fields"
        case .sequence: "a list"
        case .null: "nothing"
        }
    }
}

/// One `key: value` pair of a mapping.
public struct DocumentEntry: Sendable, Hashable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: DocumentNode

    public init(key: String, keyLocation: SourceLocation, value: DocumentNode) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}

extension DocumentNode {
    /// The name a list item goes by: its `name` or `test` field.
    public var itemLabel: String? {
        guard case .mapping(let entries) = value else { return nil }
        for key in ["name", "test"] {
            if let e = entries.first(where: { $0.key == key }), case .scalar(let s, _) = e.value.value { return s }
        }
        return nil
    }

    /// A path as a person reads it, list items by name: `downstream[Affinity capture].yield`.
    public func readablePath(_ path: FieldPath) -> String {
        var node: DocumentNode? = self
        var out = ""
        for component in path.components {
            switch component {
            case .key(let k):
                out += out.isEmpty ? k : ".\(k)"
                if case .mapping(let entries)? = node?.value {
                    node = entries.first { $0.key == k }?.value
                } else {
                    node = nil
                }
            case .index(let i):
                var item: DocumentNode?
                if case .sequence(let items)? = node?.value, items.indices.contains(i) { item = items[i] }
                out += "[\(item?.itemLabel ?? String(i))]"
                node = item
            }
        }
        return out
    }
}
