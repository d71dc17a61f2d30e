import ArgumentParser
import Bioprocess
import FileFormats
import Reporting

/// Output formats shared by the commands.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json, csv
}

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate one lot of a process: seed train, production, purification, fill, doses, timeline.")

    @Argument(help: "A process file (YAML or JSON), or - to read standard input.")
    var file: String

    @Option(name: .shortAndLong, help: "Output format: text, json or csv.")
    var format: OutputFormat = .text

    func run() throws {
        print(try Commands.simulate(path: file, format: format), terminator: "")
    }
}

/// The commands' work as functions returning their output, so tests can call them.
public enum Commands {
    public static func simulate(path: String, format: OutputFormat) throws -> String {
        let definition = try ProcessFile.load(path: path)
        let report = try LotReport.simulate(definition)
        switch format {
        case .text: return LotReportText.render(report)
        case .json: return try LotReportJSON.render(report)
        case .csv: return LotReportCSV.render(report)
        }
    }
}
