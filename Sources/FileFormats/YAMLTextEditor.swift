import Bioprocess
import Foundation

/// Edits the text of a YAML file field by field, leaving every other character — comments,
/// order, quoting, blank lines — as it was. Each edit parses the text again to find the field,
/// so edits can follow one another.
public enum YAMLTextEditor {
    /// A value to write: flow YAML on one line (`"72 h"`, `{normal: {mean: "72 h", sd: "3 h"}}`),
    /// or a mapping of fields written as a block under its key (as a flow mapping inside a flow one).
    public enum Value: Sendable, Hashable {
        case flow(String)
        case block([(String, String)])

        public static func == (a: Value, b: Value) -> Bool {
            switch (a, b) {
            case (.flow(let x), .flow(let y)): x == y
            case (.block(let x), .block(let y)): x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
            default: false
            }
        }
        public func hash(into h: inout Hasher) {
            switch self {
            case .flow(let s): h.combine(s)
            case .block(let e): for (k, v) in e { h.combine(k); h.combine(v) }
            }
        }

        var flowText: String {
            switch self {
            case .flow(let s): s
            case .block(let entries): "{" + entries.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
            }
        }
    }

    /// The node at `path`, or nil.
    public static func node(at path: FieldPath, in root: DocumentNode) -> DocumentNode? { root.lookup(path) }

    /// `text` with the value of the existing field at `path` replaced by `value`.
    public static func replacing(_ path: FieldPath, with value: Value, in text: String, file: String)
        throws(DefinitionError) -> String
    {
        let root = try DocumentLoader.parse(text, file: file)
        guard let key = path.components.last, case .key(let name) = key,
            let parent = node(at: FieldPath(Array(path.components.dropLast())), in: root),
            case .mapping(let entries) = parent.value,
            let entry = entries.first(where: { $0.key == name })
        else { throw failure(path, file, "the field is not in the file") }
        var lines = Lines(text)
        guard let range = lines.valueRange(entry) else {
            throw failure(path, file, "its value is written in a way calibrate does not edit (a multi-line scalar)")
        }
        switch (value, lines.isFlow(at: entry.value)) {
        case (.block(let fields), false) where range.lowerBound.line != range.upperBound.line || range.isEmpty:
            let indent = String(repeating: " ", count: lines.indentation(ofLine: entry.keyLocation.line) + 2)
            lines.replace(range, with: "\n" + fields.map { "\(indent)\($0.0): \($0.1)" }.joined(separator: "\n"))
        default:
            // Just after a key's colon (a block or empty value replaced): a space first.
            let afterColon =
                lines.char(Position(line: range.lowerBound.line, column: range.lowerBound.column - 1)) == ":"
            lines.replace(range, with: (afterColon ? " " : "") + value.flowText)
        }
        return lines.text
    }

    /// `text` with a new field `key: value` added at the end of the mapping at `path`.
    public static func inserting(_ key: String, _ value: Value, into path: FieldPath, in text: String, file: String)
        throws(DefinitionError) -> String
    {
        let root = try DocumentLoader.parse(text, file: file)
        guard let mapping = node(at: path, in: root), case .mapping(let entries) = mapping.value,
            let last = entries.last
        else {
            throw failure(path, file, "no mapping with fields to add '\(key)' to")
        }
        var lines = Lines(text)
        if lines.isFlow(at: mapping) {
            guard let end = lines.flowEnd(from: mapping.location) else {
                throw failure(path, file, "its closing brace was not found")
            }
            let at = Position(line: end.line, column: end.column - 1)
            lines.replace(at..<at, with: ", \(key): \(value.flowText)")
        } else {
            guard let lastRange = lines.valueRange(last) else {
                throw failure(path, file, "its last field could not be located")
            }
            let indentation = String(repeating: " ", count: last.keyLocation.column - 1)
            var added: String
            switch value {
            case .flow(let s): added = "\n\(indentation)\(key): \(s)"
            case .block(let fields):
                added = "\n\(indentation)\(key):" + fields.map { "\n\(indentation)  \($0.0): \($0.1)" }.joined()
            }
            // After the line where the last field's value ends (only a comment may follow it there).
            let lineEnd = Position(
                line: lastRange.upperBound.line, column: lines.length(ofLine: lastRange.upperBound.line) + 1)
            lines.replace(lineEnd..<lineEnd, with: added)
        }
        return lines.text
    }

    static func failure(_ path: FieldPath, _ file: String, _ message: String) -> DefinitionError {
        DefinitionError([
            DefinitionIssue(
                location: SourceLocation(file: file, line: 1, column: 1), path: path, message: message, expected: nil)
        ])
    }
}

/// A line and a column, both 1-based, columns counted in Unicode scalars as libyaml counts them.
struct Position: Comparable, Hashable {
    var line: Int
    var column: Int
    static func < (a: Position, b: Position) -> Bool { (a.line, a.column) < (b.line, b.column) }
}

/// A text as lines of Unicode scalars (without their line breaks).
struct Lines {
    var lines: [[Unicode.Scalar]]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
    }

    var text: String {
        lines.map { (line: [Unicode.Scalar]) -> String in
            var s = String.UnicodeScalarView()
            s.append(contentsOf: line)
            return String(s)
        }.joined(separator: "\n")
    }

    func length(ofLine line: Int) -> Int { lines.indices.contains(line - 1) ? lines[line - 1].count : 0 }

    func char(_ p: Position) -> Unicode.Scalar? {
        guard lines.indices.contains(p.line - 1), p.column >= 1, p.column <= lines[p.line - 1].count else { return nil }
        return lines[p.line - 1][p.column - 1]
    }

    func indentation(ofLine line: Int) -> Int { lines[line - 1].prefix { $0 == " " }.count }

    /// Whether the line holds nothing but spaces, or a comment.
    func isBlankOrComment(_ line: Int) -> Bool {
        let rest = lines[line - 1].drop { $0 == " " || $0 == "\t" }
        return rest.isEmpty || rest.first == "#"
    }

    func isFlow(at node: DocumentNode) -> Bool {
        let c = char(Position(line: node.location.line, column: node.location.column))
        return c == "{" || c == "["
    }

    mutating func replace(_ range: Range<Position>, with new: String) {
        let a = range.lowerBound, b = range.upperBound
        let head = Array(lines[a.line - 1].prefix(a.column - 1))
        let tail = Array(lines[b.line - 1].dropFirst(b.column - 1))
        let middle = new.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        var replacement = middle
        replacement[0] = head + replacement[0]
        replacement[replacement.count - 1] += tail
        lines.replaceSubrange((a.line - 1)...(b.line - 1), with: replacement)
    }

    /// Just after the bracket closing the flow collection that opens at `start`.
    func flowEnd(from start: SourceLocation) -> Position? {
        var depth = 0
        var quote: Unicode.Scalar?
        var line = start.line, column = start.column
        while lines.indices.contains(line - 1) {
            let l = lines[line - 1]
            while column <= l.count {
                let c = l[column - 1]
                if let q = quote {
                    if c == q {
                        if q == "'" && column < l.count && l[column] == "'" { column += 1 } else { quote = nil }
                    } else if q == "\"" && c == "\\" {
                        column += 1
                    }
                } else if c == "\"" || c == "'" {
                    quote = c
                } else if c == "#" && (column == 1 || l[column - 2] == " ") {
                    break
                } else if c == "{" || c == "[" {
                    depth += 1
                } else if c == "}" || c == "]" {
                    depth -= 1
                    if depth == 0 { return Position(line: line, column: column + 1) }
                }
                column += 1
            }
            line += 1
            column = 1
        }
        return nil
    }

    /// Where an entry's value is written: the scalar, the flow collection, or — for a block
    /// collection or an empty value — from just after the key's colon to the end of the block
    /// (an empty range there when the value is empty).
    func valueRange(_ entry: DocumentEntry) -> Range<Position>? {
        let node = entry.value
        let start = Position(line: node.location.line, column: node.location.column)
        switch node.value {
        case .scalar(_, let quoted):
            guard let first = char(start), node.location.line >= entry.keyLocation.line else { return nil }
            let l = lines[start.line - 1]
            if quoted {
                var column = start.column + 1
                while column <= l.count {
                    let c = l[column - 1]
                    if first == "\"" && c == "\\" {
                        column += 2
                        continue
                    }
                    if c == first {
                        if first == "'" && column < l.count && l[column] == "'" {
                            column += 2
                            continue
                        }
                        return start..<Position(line: start.line, column: column + 1)
                    }
                    column += 1
                }
                return nil
            }
            if first == "|" || first == ">" { return nil }
            var column = start.column
            while column <= l.count {
                let c = l[column - 1]
                if c == "," || c == "}" || c == "]" || (c == "#" && column > 1 && l[column - 2] == " ") { break }
                column += 1
            }
            while column > start.column && (l[column - 2] == " " || l[column - 2] == "\t") { column -= 1 }
            // A plain scalar continued on the next lines is not edited.
            if node.location.line > entry.keyLocation.line || column <= start.column { return nil }
            return start..<Position(line: start.line, column: column)
        case .mapping, .sequence, .null:
            if isFlow(at: node), let end = flowEnd(from: node.location) { return start..<end }
            // After the colon that follows the key.
            let keyLine = lines[entry.keyLocation.line - 1]
            var column = entry.keyLocation.column
            while column <= keyLine.count, keyLine[column - 1] != ":" { column += 1 }
            guard column <= keyLine.count else { return nil }
            let afterColon = Position(line: entry.keyLocation.line, column: column + 1)
            if case .null = node.value {
                var end = afterColon.column
                while end <= keyLine.count, keyLine[end - 1] == " " { end += 1 }
                if end <= keyLine.count, keyLine[end - 1] != "#" { return nil }  // `~` or `null` written
                return afterColon..<afterColon
            }
            let keyIndent = indentation(ofLine: entry.keyLocation.line)
            let isSequence = if case .sequence = node.value { true } else { false }
            var last = node.location.line
            var line = node.location.line + 1
            while lines.indices.contains(line - 1) {
                if isBlankOrComment(line) {
                    line += 1
                    continue
                }
                let indent = indentation(ofLine: line)
                let isItem = lines[line - 1].dropFirst(indent).first == "-"
                guard indent > keyIndent || (indent == keyIndent && isItem && isSequence) else { break }
                last = line
                line += 1
            }
            return afterColon..<Position(line: last, column: length(ofLine: last) + 1)
        }
    }
}
