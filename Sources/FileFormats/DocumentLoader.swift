import Bioprocess
import Capacity
import Economics
import Foundation

/// Reads YAML and JSON files into the domain's ``DocumentNode`` tree, keeping the line and
/// column of every value. JSON is read by the same YAML 1.2 parser, so both formats get the
/// same precise error locations.
public enum DocumentLoader {
    /// Reads a file. A file that cannot be read or parsed, or is larger than
    /// `limits.bytes`, is a ``DefinitionError`` naming it. `-` reads standard input.
    public static func load(path: String, limits: DocumentLimits = .standard) throws(DefinitionError) -> DocumentNode {
        let name = path == "-" ? "<stdin>" : path
        func tooLarge(_ size: String) -> DefinitionError {
            DefinitionError([
                DefinitionIssue(
                    location: SourceLocation(file: name, line: 1, column: 1), path: .root,
                    message: "the file is \(size), more than the \(limits.bytes) bytes a file may hold",
                    expected: "a file of at most \(limits.bytes / (1 << 20)) MiB")
            ])
        }
        let contents: Data?
        if path == "-" {
            var data = Data()
            while data.count <= limits.bytes {
                let chunk = FileHandle.standardInput.readData(ofLength: 1 << 16)
                if chunk.isEmpty { break }
                data.append(chunk)
            }
            if data.count > limits.bytes { throw tooLarge("over \(limits.bytes) bytes") }
            contents = data
        } else {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            if let type = attributes?[.type] as? FileAttributeType, type != .typeRegular {
                throw DefinitionError([
                    DefinitionIssue(
                        location: nil, path: .root, message: "'\(path)' is not a regular file",
                        expected: "a YAML or JSON file (not a folder, a device or a pipe)")
                ])
            }
            if let size = attributes?[.size] as? Int, size > limits.bytes { throw tooLarge("\(size) bytes") }
            // Read at most one byte past the limit, whatever the size said.
            if let handle = FileHandle(forReadingAtPath: path) {
                defer { try? handle.close() }
                let data = (try? handle.read(upToCount: limits.bytes + 1)) ?? Data()
                if data.count > limits.bytes { throw tooLarge("over \(limits.bytes) bytes") }
                contents = data
            } else {
                contents = nil
            }
        }
        guard let data = contents else {
            throw DefinitionError([
                DefinitionIssue(
                    location: nil, path: .root, message: "cannot read the file '\(path)'",
                    expected: "a readable YAML or JSON file")
            ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DefinitionError([
                DefinitionIssue(
                    location: SourceLocation(file: name, line: 1, column: 1), path: .root,
                    message: "the file is not UTF-8 text", expected: "a UTF-8 YAML or JSON file")
            ])
        }
        return try parse(text, file: name, limits: limits)
    }

    /// Parses YAML or JSON text; `file` names it in locations. The text and what it expands to
    /// are held to `limits` (see ``DocumentLimits``).
    public static func parse(_ text: String, file: String, limits: DocumentLimits = .standard) throws(DefinitionError)
        -> DocumentNode
    {
        if text.utf8.count > limits.bytes {
            throw DefinitionError([
                DefinitionIssue(
                    location: SourceLocation(file: file, line: 1, column: 1), path: .root,
                    message: "the text is \(text.utf8.count) bytes, more than the \(limits.bytes) a file may hold",
                    expected: "a file of at most \(limits.bytes / (1 << 20)) MiB")
            ])
        }
        guard let root = try YAMLComposer(file: file, limits: limits).compose(text) else {
            throw DefinitionError([
                DefinitionIssue(
                    location: SourceLocation(file: file, line: 1, column: 1), path: .root, message: "the file is empty",
                    expected: "a mapping of fields")
            ])
        }
        return root
    }
}

/// Reads process files.
public enum ProcessFile {
    /// Sections a process file may carry for other readers: its costs and price.
    public static let extensions: Set<String> = ["costs", "price"]

    /// Loads and checks a process file: every mistake is reported with its place. Its
    /// `costs` and `price` sections are left to ``EconomicFile``.
    public static func load(path: String) throws(DefinitionError) -> ProcessDefinition {
        try ProcessReader.read(DocumentLoader.load(path: path), extensions: extensions)
    }

    public static func parse(_ text: String, file: String) throws(DefinitionError) -> ProcessDefinition {
        try ProcessReader.read(DocumentLoader.parse(text, file: file), extensions: extensions)
    }
}

/// Reads a process file with its costs, resolving `costs: path/to/costs.yaml` against the
/// process file's folder. Mistakes in the cost file are reported in that file.
public enum EconomicFile {
    public static func load(path: String) throws(DefinitionError) -> EconomicModel {
        try EconomicReader.read(resolvingReferences(DocumentLoader.load(path: path), from: path))
    }

    /// The document with its `costs:` reference resolved: `costs: file.yaml` is replaced by the
    /// file's contents; `costs: {base: file.yaml, …}` is the file's contents with the fields
    /// given beside `base` replacing or extending it (mappings are merged, other values replaced).
    public static func resolvingReferences(_ document: DocumentNode, from path: String) throws(DefinitionError)
        -> DocumentNode
    {
        let base = path == "-" ? "" : (path as NSString).deletingLastPathComponent
        return try resolvingReferences(document) { reference throws(DefinitionError) in
            let target =
                reference.hasPrefix("/") || base.isEmpty
                ? reference : (base as NSString).appendingPathComponent(reference)
            return try DocumentLoader.load(path: target)
        }
    }

    /// The same, with the cost file a reference names read by `loader` (the API gives its text).
    public static func resolvingReferences(
        _ document: DocumentNode, loader: (String) throws(DefinitionError) -> DocumentNode
    ) throws(DefinitionError) -> DocumentNode {
        guard case .mapping(var entries) = document.value, let i = entries.firstIndex(where: { $0.key == "costs" })
        else { return document }
        func load(_ reference: String, at node: DocumentNode) throws(DefinitionError) -> DocumentNode {
            do {
                return try loader(reference)
            } catch {
                throw DefinitionError(
                    error.issues.map {
                        var issue = $0
                        if issue.location == nil { issue.location = node.location }
                        if issue.path == .root { issue.path = FieldPath([.key("costs")]) }
                        return issue
                    })
            }
        }
        let costs = entries[i].value
        switch costs.value {
        case .scalar(let reference, _):
            entries[i].value = try load(reference, at: costs)
        case .mapping(let fields):
            guard let b = fields.firstIndex(where: { $0.key == "base" }),
                case .scalar(let reference, _) = fields[b].value.value
            else { return document }
            var overrides = fields
            overrides.remove(at: b)
            entries[i].value = merge(
                try load(reference, at: fields[b].value), DocumentNode(.mapping(overrides), at: costs.location))
        default:
            return document
        }
        return DocumentNode(.mapping(entries), at: document.location)
    }

    /// `over` laid on `base`: mappings merged key by key, anything else replaced.
    static func merge(_ base: DocumentNode, _ over: DocumentNode) -> DocumentNode {
        guard case .mapping(var entries) = base.value, case .mapping(let changes) = over.value else { return over }
        for change in changes {
            if let j = entries.firstIndex(where: { $0.key == change.key }) {
                entries[j].value = merge(entries[j].value, change.value)
            } else {
                entries.append(change)
            }
        }
        return DocumentNode(.mapping(entries), at: base.location)
    }
}

/// Reads facility files.
public enum FacilityFile {
    public static func load(path: String) throws(DefinitionError) -> Facility {
        try FacilityReader.read(DocumentLoader.load(path: path))
    }
}

/// Reads demand files and the process files they name (relative to the demand file).
public enum DemandFile {
    /// The most process files one demand file may name.
    public static let maxProcessFiles = 100

    public static func load(path: String) throws(DefinitionError) -> Demand {
        let base = (path as NSString).deletingLastPathComponent
        return try read(DocumentLoader.load(path: path)) { file throws(DefinitionError) in
            let target = URL(
                fileURLWithPath: file.hasPrefix("/") || base.isEmpty ? file : (base as NSString).appendingPathComponent(file)
            ).standardizedFileURL.path
            let document = try DocumentLoader.load(path: target)
            let process = try ProcessReader.read(document, extensions: ProcessFile.extensions)
            // The success rate its costs give, if they can be read; a plan does not need them.
            let costs = try? EconomicFile.resolvingReferences(document, from: target)
            return (target, process, costs.flatMap(CostReader.successRate(inProcess:)))
        }
    }

    /// A demand whose process files are given as texts, by the name the demand gives them
    /// (the API's way: nothing is read from disk).
    public static func parse(_ text: String, file: String, processes texts: [String: String]) throws(DefinitionError) -> Demand {
        try read(DocumentLoader.parse(text, file: file)) { name throws(DefinitionError) in
            guard let t = texts[name] else {
                throw DefinitionError([
                    DefinitionIssue(location: nil, path: .root, message: "no text was given for the process file '\(name)'", expected: "processes: {\"\(name)\": \"…\"}")
                ])
            }
            let document = try DocumentLoader.parse(t, file: name)
            let process = try ProcessReader.read(document, extensions: ProcessFile.extensions)
            // Its costs' success rate, the cost file's text given among the texts by the name
            // the process gives it.
            let costs = try? EconomicFile.resolvingReferences(document) {
                reference throws(DefinitionError) in
                guard let text = texts[reference] else {
                    throw DefinitionError([
                        DefinitionIssue(location: nil, path: .root, message: "no text for '\(reference)'", expected: "its text")
                    ])
                }
                return try DocumentLoader.parse(text, file: reference)
            }
            return (name, process, costs.flatMap(CostReader.successRate(inProcess:)))
        }
    }

    /// The demand of `document`, each process file its products name read by `load` (which
    /// gives the file's identity, so that one file named twice is read once, and its process).
    static func read(
        _ document: DocumentNode, load: (String) throws(DefinitionError) -> (String, ProcessDefinition, Double?)
    ) throws(DefinitionError) -> Demand {
        var processes: [String: ProcessDefinition] = [:]
        var successRates: [String: Double] = [:]
        var problems: [DefinitionIssue] = []
        if case .mapping(let top) = document.value, let list = top.first(where: { $0.key == "products" }),
            case .sequence(let items) = list.value.value
        {
            var loaded: Set<String> = []  // by identity
            for (i, item) in items.enumerated() {
                guard case .mapping(let fields) = item.value, let entry = fields.first(where: { $0.key == "process" }),
                    case .scalar(let file, _) = entry.value.value, processes[file] == nil
                else { continue }
                guard loaded.count < Self.maxProcessFiles else {
                    problems.append(
                        DefinitionIssue(
                            location: entry.value.location,
                            path: FieldPath([.key("products"), .index(i), .key("process")]),
                            message: "the demand names more than \(Self.maxProcessFiles) process files",
                            expected: "at most \(Self.maxProcessFiles) process files"))
                    break
                }
                do {
                    let (identity, process, successRate) = try load(file)
                    loaded.insert(identity)
                    processes[file] = process
                    successRates[file] = successRate
                } catch {
                    problems.append(
                        DefinitionIssue(
                            location: entry.value.location,
                            path: FieldPath([.key("products"), .index(i), .key("process")]),
                            message:
                                "the process file '\(file)' cannot be used: \(error.issues.first?.description ?? "")",
                            expected: "a valid process file"))
                }
            }
        }
        if !problems.isEmpty { throw DefinitionError(problems) }
        return try DemandReader.read(document, processes: processes, costSuccessRates: successRates)
    }
}
