import ArgumentParser
import Bioprocess
import FileFormats
import Foundation
import Manufacturing
import Store

struct Calibrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit a process file's inputs, stage durations and failure rate to the batches the store holds.",
        discussion: """
            Reads every finished (released or rejected) batch that ran the process's recipe, signed in as \
            $VECTORFAB_USER with $VECTORFAB_PASSWORD. Writes a new version of the process file with the fitted \
            inputs as distributions (the rest of the file, comments included, unchanged) and, with --demand, a \
            demand file whose products made by the process get an observed: section (stage durations and \
            failure rate) and point at the new process file. Needs at least 2 finished batches.
            Example: vectorfab calibrate --database demo.sqlite --process Examples/seed000-aav-200L.yaml \
            --output seed000-calibrated.yaml --demand Examples/capacity/peer-ten-years.yaml \
            --demand-output peer-ten-years-calibrated.yaml
            """)

    @OptionGroup var db: DatabaseOptions

    @Option(help: "The process file the batches' recipe was generated from.")
    var process: String

    @Option(name: .shortAndLong, help: "Where to write the calibrated process file.")
    var output: String

    @Option(
        help:
            "A demand file naming the process; its products made by it get the observed stage durations and failure rate."
    )
    var demand: String?

    @Option(help: "Where to write the calibrated demand file (with --demand).")
    var demandOutput: String?

    @Option(
        help:
            "Also save the calibrated process file in the store's process library under this name, as its next version (an engineer or supervisor)."
    )
    var saveAs: String?

    @Flag(help: "Overwrite the output files if they exist.")
    var force = false

    func validate() throws {
        guard (demand == nil) == (demandOutput == nil) else {
            throw ValidationError(
                "give --demand and --demand-output together, e.g. --demand plan.yaml --demand-output plan-calibrated.yaml"
            )
        }
        if let saveAs, !GMPStore.isProcessFileName(saveAs) {
            throw ValidationError(
                "--save-as must be letters, digits, '.', '_' or '-', ending in .yaml, e.g. --save-as seed000-calibrated.yaml"
            )
        }
        let outputs: [(String, String?)] = [("--output", output), ("--demand-output", demandOutput)]
        for (name, path) in outputs {
            guard let path else { continue }
            if [process, demand].contains(where: { $0.map(Self.samePath(path)) ?? false }) {
                throw ValidationError("\(name) \(path) is an input file; write the calibrated version to another file")
            }
            if !force && FileManager.default.fileExists(atPath: path) {
                throw ValidationError("\(name) \(path) exists; give --force to overwrite it")
            }
        }
    }

    static func samePath(_ a: String) -> (String) -> Bool {
        { b in URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path }
    }

    func run() async throws {
        guard let username = ProcessInfo.processInfo.environment["VECTORFAB_USER"], !username.isEmpty else {
            throw ValidationError(
                "set VECTORFAB_USER to the username to sign in as (and VECTORFAB_PASSWORD to the password)")
        }
        let password = try passwordFromEnvironment("VECTORFAB_PASSWORD")
        let processText = try String(contentsOfFile: process, encoding: .utf8)
        let definition = try ProcessFile.parse(processText, file: process)
        let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        try await db.withStore { store in
            let (_, user) = try await store.login(username: username, password: password)
            let batches = try await CalibrationFiles.batches(store, user)
            let calibration = try Calibration.fit(process: definition, batches: batches)
            let newProcess = try CalibrationFiles.processText(
                processText, file: output, calibration: calibration, database: store.location.description, date: today)
            try newProcess.write(toFile: output, atomically: true, encoding: .utf8)
            var written = [output]
            if let demand, let demandOutput {
                let text = try CalibrationFiles.demandText(
                    try String(contentsOfFile: demand, encoding: .utf8), demandPath: demand, outputPath: demandOutput,
                    processPath: process,
                    newProcessPath: output, calibration: calibration)
                try text.write(toFile: demandOutput, atomically: true, encoding: .utf8)
                do {
                    _ = try DemandFile.load(path: demandOutput)
                } catch {
                    try? FileManager.default.removeItem(atPath: demandOutput)
                    throw error
                }
                written.append(demandOutput)
            }
            print(
                CalibrationFiles.summary(
                    calibration, process: definition.name, written: written, demandGiven: demand != nil), terminator: ""
            )
            if let saveAs {
                let version = try await store.saveProcessFile(
                    user, name: saveAs, text: newProcess,
                    note:
                        "calibrated from \(calibration.batches.count) finished batches (\(calibration.batches.joined(separator: ", ")))"
                )
                print("Saved \(version.name) v\(version.version) in the store's process library.")
            }
        }
    }
}

/// The edges of calibration: the batches read from the store, the files' texts edited.
public enum CalibrationFiles {
    /// Every batch with its record, as calibration reads it.
    public static func batches(_ store: GMPStore, _ user: User) async throws -> [CalibrationBatch] {
        var out: [CalibrationBatch] = []
        var offset = 0
        while true {
            let page = try await store.batches(user, page: Page(limit: Page.maxLimit, offset: offset))
            for b in page {
                let r = try await store.batchRecord(user, batch: b.id)
                let released = r.signatures.filter { $0.meaning == .released && $0.entityID == b.id }.map(\.at).max()
                out.append(
                    CalibrationBatch(
                        id: b.id, status: r.batch.status, recipe: r.recipe, entries: r.entries, samples: r.samples,
                        results: r.results,
                        releasedAt: released))
            }
            if page.count < Page.maxLimit { break }
            offset += page.count
        }
        return out
    }

    /// The process file's text with each fitted input written as its distribution, and a
    /// comment above `vectorfab:` saying where the values came from. The text must still read
    /// as a process file.
    public static func processText(
        _ text: String, file: String, calibration: Calibration, database: String, date: String
    ) throws -> String {
        var out = text
        for input in calibration.inputs {
            out = try YAMLTextEditor.replacing(input.path, with: .flow(input.yaml), in: out, file: file)
        }
        var header = [
            "# Calibrated by `vectorfab calibrate` on \(date) from \(calibration.batches.count) finished batches of \(database) (\(calibration.batches.joined(separator: ", "))):"
        ]
        header += calibration.inputs.map { "#   \($0.path): \($0.batches.count) batches, \($0.source)" }
        if calibration.inputs.isEmpty {
            header.append("#   no input could be fitted; the values below are the process's own")
        }
        var lines = out.components(separatedBy: "\n")
        let at = lines.firstIndex { $0.hasPrefix("vectorfab:") } ?? 0
        lines.insert(contentsOf: header, at: at)
        out = lines.joined(separator: "\n")
        _ = try ProcessFile.parse(out, file: file)
        return out
    }

    /// The demand file's text with, for every product made by the process: its `observed:`
    /// fields set to the fitted stage durations and failure rate (other fields kept), and its
    /// `process:` pointing at the calibrated process file. Other products' process paths are
    /// rewritten relative to the new file's folder when it differs.
    public static func demandText(
        _ text: String, demandPath: String, outputPath: String, processPath: String, newProcessPath: String,
        calibration: Calibration
    ) throws -> String {
        let root = try DocumentLoader.parse(text, file: demandPath)
        let folder = (demandPath as NSString).deletingLastPathComponent
        let newFolder = (outputPath as NSString).deletingLastPathComponent
        func resolved(_ p: String) -> String {
            URL(
                fileURLWithPath: p.hasPrefix("/") || folder.isEmpty ? p : (folder as NSString).appendingPathComponent(p)
            ).standardizedFileURL.path
        }
        guard case .sequence(let items)? = YAMLTextEditor.node(at: FieldPath([.key("products")]), in: root)?.value
        else {
            throw ValidationError("\(demandPath) has no products list")
        }
        let target = URL(fileURLWithPath: processPath).standardizedFileURL.path
        var fields: [(String, String)] = Calibration.stageKeys.compactMap { key in
            calibration.stages[key].map { (key, $0.yaml) }
        }
        fields.append(("failure-rate", "\"\(Calibration.figure(calibration.failure.rate * 100)) %\""))
        var out = text
        var matched = 0
        for i in items.indices {
            let product = FieldPath([.key("products"), .index(i)])
            guard case .scalar(let file, _)? = YAMLTextEditor.node(at: product.appending("process"), in: root)?.value
            else { continue }
            let isTarget = resolved(file) == target
            if isTarget {
                matched += 1
                let observed = product.appending("observed")
                let current = try DocumentLoader.parse(out, file: demandPath)
                switch YAMLTextEditor.node(at: observed, in: current)?.value {
                case .mapping(let entries)?:
                    for (key, value) in fields {
                        if entries.contains(where: { $0.key == key }) {
                            out = try YAMLTextEditor.replacing(
                                observed.appending(key), with: .flow(value), in: out, file: demandPath)
                        } else {
                            out = try YAMLTextEditor.inserting(
                                key, .flow(value), into: observed, in: out, file: demandPath)
                        }
                    }
                case nil:
                    out = try YAMLTextEditor.inserting(
                        "observed", .block(fields), into: product, in: out, file: demandPath)
                default:
                    out = try YAMLTextEditor.replacing(observed, with: .block(fields), in: out, file: demandPath)
                }
                out = try YAMLTextEditor.replacing(
                    product.appending("process"),
                    with: .flow(quoted(relativePath(from: newFolder, to: newProcessPath))), in: out, file: demandPath)
            } else if URL(fileURLWithPath: folder.isEmpty ? "." : folder).standardizedFileURL.path
                != URL(fileURLWithPath: newFolder.isEmpty ? "." : newFolder).standardizedFileURL.path
            {
                out = try YAMLTextEditor.replacing(
                    product.appending("process"),
                    with: .flow(quoted(relativePath(from: newFolder, to: resolved(file)))), in: out, file: demandPath)
            }
        }
        guard matched > 0 else {
            throw ValidationError(
                "\(demandPath) names no product made with \(processPath): give the demand file whose products use it")
        }
        return out
    }

    /// A double-quoted YAML scalar.
    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The path of `file` relative to `directory`.
    public static func relativePath(from directory: String, to file: String) -> String {
        let a = URL(fileURLWithPath: directory.isEmpty ? "." : directory).standardizedFileURL.pathComponents
        let b = URL(fileURLWithPath: file).standardizedFileURL.pathComponents
        var i = 0
        while i < a.count, i < b.count - 1, a[i] == b[i] { i += 1 }
        return (Array(repeating: "..", count: a.count - i) + b[i...]).joined(separator: "/")
    }

    /// What was fitted, from how many batches, what it was before, and what was not fitted.
    public static func summary(_ c: Calibration, process: String, written: [String], demandGiven: Bool) -> String {
        var s =
            "Calibrated '\(process)' from \(c.batches.count) finished batches: \(c.batches.joined(separator: ", ")).\n"
        func line(_ name: String, _ f: FittedInput) -> String {
            let was = f.modelled.map { ", was \(Calibration.figure($0)) \(f.unit)" } ?? ""
            return "  \(name): \(f.yaml)  (\(f.batches.count) batches\(was); \(f.source))\n"
        }
        s += "Process inputs:\n"
        s += c.inputs.isEmpty ? "  none fitted\n" : c.inputs.map { line($0.path.description, $0) }.joined()
        s += "Stage durations (observed:)\(demandGiven ? "" : ", not written without --demand"):\n"
        let stages = Calibration.stageKeys.compactMap { k in c.stages[k].map { line(k, $0) } }
        s += stages.isEmpty ? "  none fitted\n" : stages.joined()
        s +=
            "Failure rate: \(Calibration.figure(c.failure.rate * 100)) % (\(c.failure.failed) rejected of \(c.failure.finished) finished; Jeffreys Beta(1/2, 1/2) posterior mean)\n"
        if !c.notes.isEmpty {
            s += "Not fitted:\n" + c.notes.map { "  - \($0)\n" }.joined()
        }
        s += "Wrote \(written.joined(separator: " and ")).\n"
        return s
    }
}
