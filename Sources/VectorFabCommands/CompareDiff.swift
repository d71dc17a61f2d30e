import ArgumentParser
import Bioprocess
import FileFormats
import Reporting

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare one product on several platforms (flasks, fixed bed, suspension) for a number of doses.",
        discussion: """
            Give one process file per platform, all for the same product and dose. Each lot is taken \
            as written; a lot that cannot make one dose is scaled up until it makes one.
            Example: vectorfab compare Examples/aav-dmd-flasks.yaml Examples/aav-dmd-fixed-bed.yaml \
            Examples/aav-dmd-suspension-2000L.yaml --doses 100
            """)

    @Argument(help: "Process files of the same product on different platforms.")
    var files: [String]

    @Option(help: "The number of doses to make, 1 to \(Fmt.count(WorkLimits.doses)).")
    var doses: Int

    @Option(name: .shortAndLong, help: "Output format: text, json or csv.")
    var format: OutputFormat = .text

    func validate() throws {
        guard !files.isEmpty else {
            throw ValidationError("Give at least one process file, e.g. Examples/aav-dmd-suspension-2000L.yaml.")
        }
        try checkRange("--doses", doses, 1...WorkLimits.doses, example: "--doses 100")
    }

    func run() throws {
        print(try Commands.compare(paths: files, doses: doses, format: format), terminator: "")
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what changed between two versions of a process and what it does to a lot.",
        discussion:
            "Example: vectorfab diff Examples/lv-sickle-cell-current.yaml Examples/lv-sickle-cell-industrial.yaml")

    @Argument(help: "The process before the change.")
    var before: String

    @Argument(help: "The process after the change.")
    var after: String

    @Option(name: .shortAndLong, help: "Output format: text, json or csv.")
    var format: OutputFormat = .text

    func run() throws {
        print(try Commands.diff(before: before, after: after, format: format), terminator: "")
    }
}

extension Commands {
    public static func compare(paths: [String], doses: Int, format: OutputFormat) throws -> String {
        let processes = try paths.map { path throws(DefinitionError) in try ProcessFile.load(path: path) }
        let comparison = try PlatformComparison.compare(processes, targetDoses: doses)
        switch format {
        case .text: return ComparisonReport.text(comparison, vectorUnit: processes[0].product.vector.type.counting)
        case .json: return try encodeJSON(ComparisonReport.data(comparison))
        case .csv: return ComparisonReport.csv(comparison)
        }
    }

    public static func diff(before: String, after: String, format: OutputFormat) throws -> String {
        let da = try DocumentLoader.load(path: before)
        let db = try DocumentLoader.load(path: after)
        let diff = try ProcessDiff.compare(
            da, try ProcessReader.read(da, extensions: ProcessFile.extensions), db,
            try ProcessReader.read(db, extensions: ProcessFile.extensions))
        switch format {
        case .text: return DiffReport.text(diff)
        case .json: return try encodeJSON(DiffReport.data(diff))
        case .csv: return DiffReport.csv(diff)
        }
    }
}
