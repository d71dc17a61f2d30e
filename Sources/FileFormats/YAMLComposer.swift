import Bioprocess
import CYaml

/// How much a YAML or JSON document may hold. A file of a few KB can never expand past a few
/// MB: aliases may add at most ``aliasNodes`` nodes in all, nesting stops at ``depth``, and the
/// text itself is at most ``bytes`` long.
public struct DocumentLimits: Sendable, Hashable {
    /// The longest text read, in bytes (files, standard input and uploaded process files).
    public var bytes: Int
    /// Nodes the whole document may hold once every alias is expanded.
    public var nodes: Int
    /// Nodes that aliases may add, in all (each alias adds the whole node it names).
    public var aliasNodes: Int
    /// The deepest nesting of lists and mappings.
    public var depth: Int

    public init(bytes: Int, nodes: Int, aliasNodes: Int, depth: Int) {
        self.bytes = bytes
        self.nodes = nodes
        self.aliasNodes = aliasNodes
        self.depth = depth
    }

    /// The limits every reader uses: 4 MiB of text, 500,000 nodes, 10,000 nodes added by
    /// aliases, 64 levels of nesting. The largest example holds a few thousand nodes.
    public static let standard = DocumentLimits(bytes: 4 << 20, nodes: 500_000, aliasNodes: 10_000, depth: 64)
}

/// Builds the ``DocumentNode`` tree straight from libyaml's events, with the budgets of
/// ``DocumentLimits``: no recursion (so no nesting can exhaust the stack), aliases counted as
/// they are expanded (so "billion laughs" is refused after a few thousand nodes), field names
/// only as text (so no key is ever hashed as a whole tree).
struct YAMLComposer {
    let file: String
    let limits: DocumentLimits

    /// The longest field name (the longest in the formats is under 30).
    static let maxKeyLength = 200

    private struct Anchored {
        var node: DocumentNode
        var size: Int
        /// Levels of nesting inside the node (0 for a scalar).
        var height: Int
    }

    /// A list or mapping being read; mutated in place on the stack, so appending stays O(1).
    private struct Frame {
        var isMapping: Bool
        var items: [DocumentNode] = []
        var entries: [DocumentEntry] = []
        var key: (name: String, at: SourceLocation)?
        var keys: Set<String> = []
        var anchor: String?
        var at: SourceLocation
        var size = 1
        var height = 1
    }

    private struct Failure: Error {
        var issue: DefinitionIssue
    }

    func compose(_ text: String) throws(DefinitionError) -> DocumentNode? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        let outcome: Result<DocumentNode?, Failure> = bytes.withUnsafeMutableBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return .failure(Failure(issue: issue("the YAML reader could not start", line: 1, column: 1)))
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            return Result { () throws(Failure) in try run(&parser) }
        }
        switch outcome {
        case .success(let node): return node
        case .failure(let f): throw DefinitionError([f.issue])
        }
    }

    private func issue(_ message: String, line: Int, column: Int, expected: String? = nil) -> DefinitionIssue {
        DefinitionIssue(
            location: SourceLocation(file: file, line: line, column: column), path: .root, message: message,
            expected: expected)
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private func parseError(_ parser: yaml_parser_t) -> Failure {
        var message = "the file is not valid YAML or JSON: " + (parser.problem.map { String(cString: $0) } ?? "unreadable")
        if let context = parser.context { message += " (\(String(cString: context)))" }
        let mark = parser.problem_mark
        if message.contains("Maximum nesting level") {
            // libyaml's own guard (1,000 levels) fires before ours only inside flow collections.
            return Failure(
                issue: issue(
                    "lists and mappings are nested more than \(limits.depth) deep", line: Int(mark.line) + 1,
                    column: Int(mark.column) + 1, expected: "at most \(limits.depth) levels of nesting"))
        }
        return Failure(issue: issue(message, line: Int(mark.line) + 1, column: Int(mark.column) + 1))
    }

    private func run(_ parser: inout yaml_parser_t) throws(Failure) -> DocumentNode? {
        var stack: [Frame] = []
        var anchors: [String: Anchored] = [:]
        var open = Set<String>()  // anchors of lists and mappings not yet ended
        var root: DocumentNode?
        var documents = 0
        var nodes = 0
        var aliasNodes = 0

        func count(_ n: Int, at: SourceLocation) throws(Failure) {
            nodes += n
            if nodes > limits.nodes {
                throw Failure(
                    issue: issue(
                        "the document holds more than \(limits.nodes) values", line: at.line, column: at.column,
                        expected: "a smaller file (the limit is \(limits.nodes) values, aliases expanded)"))
            }
        }

        /// Hands a finished node to its parent (or makes it the root).
        func deliver(_ node: DocumentNode, size: Int, height: Int, anchor: String?) throws(Failure) {
            if let anchor {
                anchors[anchor] = Anchored(node: node, size: size, height: height)
                open.remove(anchor)
            }
            guard !stack.isEmpty else {
                root = node
                return
            }
            let top = stack.count - 1
            stack[top].size += size
            stack[top].height = Swift.max(stack[top].height, height + 1)
            guard stack[top].isMapping else {
                stack[top].items.append(node)
                return
            }
            if let key = stack[top].key {
                stack[top].entries.append(DocumentEntry(key: key.name, keyLocation: key.at, value: node))
                stack[top].key = nil
                return
            }
            let name: String
            switch node.value {
            case .scalar(let s, _):
                guard s.count <= Self.maxKeyLength else {
                    throw Failure(
                        issue: issue(
                            "a field name is \(s.count) characters long", line: node.location.line,
                            column: node.location.column, expected: "a field name of at most \(Self.maxKeyLength) characters"))
                }
                name = s
            case .null: name = ""
            case .mapping, .sequence:
                throw Failure(
                    issue: issue(
                        "a field name is \(node.kindDescription)", line: node.location.line,
                        column: node.location.column, expected: "a field name written as text"))
            }
            if !stack[top].keys.insert(name).inserted {
                throw Failure(
                    issue: issue(
                        "a mapping has a field written twice: \(name)", line: node.location.line,
                        column: node.location.column, expected: "each field once"))
            }
            stack[top].key = (name, node.location)
        }

        func begin(_ at: SourceLocation) throws(Failure) {
            try count(1, at: at)
            if stack.count >= limits.depth {
                throw Failure(
                    issue: issue(
                        "lists and mappings are nested more than \(limits.depth) deep", line: at.line,
                        column: at.column, expected: "at most \(limits.depth) levels of nesting"))
            }
        }

        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw parseError(parser) }
            defer { yaml_event_delete(&event) }
            let at = location(event.start_mark)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw Failure(
                        issue: issue(
                            "the file holds more than one document", line: at.line, column: at.column,
                            expected: "a single document (no second '---')"))
                }
            case YAML_SCALAR_EVENT:
                try count(1, at: at)
                let s = event.data.scalar
                let value =
                    s.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(s.length)), as: UTF8.self) }
                    ?? ""
                let plain = s.style == YAML_PLAIN_SCALAR_STYLE
                let node =
                    plain && ["", "~", "null", "Null", "NULL"].contains(value)
                    ? DocumentNode(.null, at: at) : DocumentNode(.scalar(value, quoted: !plain), at: at)
                try deliver(node, size: 1, height: 0, anchor: string(s.anchor))
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                if open.contains(name) {
                    throw Failure(
                        issue: issue(
                            "the alias *\(name) names the list or mapping it is written in", line: at.line,
                            column: at.column, expected: "an alias to a node written before it, not one that contains it"))
                }
                guard let target = anchors[name] else {
                    throw Failure(
                        issue: issue(
                            "the alias *\(name) names no anchor written before it", line: at.line, column: at.column,
                            expected: "an anchor &\(name) earlier in the file"))
                }
                aliasNodes += target.size
                if aliasNodes > limits.aliasNodes {
                    throw Failure(
                        issue: issue(
                            "aliases expand to more than \(limits.aliasNodes) values", line: at.line,
                            column: at.column,
                            expected: "fewer or smaller aliases (the limit is \(limits.aliasNodes) values added by aliases)"
                        ))
                }
                try count(target.size, at: at)
                if stack.count + target.height > limits.depth {
                    throw Failure(
                        issue: issue(
                            "lists and mappings are nested more than \(limits.depth) deep", line: at.line,
                            column: at.column, expected: "at most \(limits.depth) levels of nesting, aliases expanded"))
                }
                try deliver(target.node, size: target.size, height: target.height, anchor: nil)
            case YAML_SEQUENCE_START_EVENT:
                try begin(at)
                let anchor = string(event.data.sequence_start.anchor)
                if let anchor { open.insert(anchor) }
                stack.append(Frame(isMapping: false, anchor: anchor, at: at))
            case YAML_MAPPING_START_EVENT:
                try begin(at)
                let anchor = string(event.data.mapping_start.anchor)
                if let anchor { open.insert(anchor) }
                stack.append(Frame(isMapping: true, anchor: anchor, at: at))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else {
                    throw Failure(issue: issue("a list or mapping ends where none began", line: at.line, column: at.column))
                }
                let node = DocumentNode(frame.isMapping ? .mapping(frame.entries) : .sequence(frame.items), at: frame.at)
                try deliver(node, size: frame.size, height: frame.height, anchor: frame.anchor)
            default:
                break  // stream start, document end
            }
        }
    }
}
