import ArgumentParser
import Bioprocess
import Capacity
import Economics
import FileFormats
import Foundation
import Reporting

struct Cost: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cost of goods of one lot and one dose, by category and stage, and a fair price.",
        discussion: """
            The process file needs a costs: section (or costs: path/to/costs.yaml); a price: section \
            adds a cost-plus price. Distributions take their nominal value. The lots a year the facility's \
            cost is spread over are computed from the lot's suite time (thaw to the end of fill, no changeover), \
            or in the first suite of --facility able to run the process, and shown beside a stated lots-per-year.
            Example: vectorfab cost Examples/aav-dmd-suspension-2000L.yaml --facility Examples/capacity/dmd-2000L-suite.yaml
            """)

    @Argument(help: "A process file with costs (YAML or JSON).")
    var file: String

    @Option(help: "A facility file: lots a year are computed for its first suite able to run the process.")
    var facility: String?

    @Option(name: .shortAndLong, help: "Output format: text, json or csv.")
    var format: OutputFormat = .text

    func run() throws {
        print(try Commands.cost(path: file, facility: facility, format: format), terminator: "")
    }
}

struct Uncertainty: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Monte Carlo over every input written as a distribution, with a tornado and Sobol indices.",
        discussion: """
            Same seed, same result, whatever the number of threads.
            Example: vectorfab uncertainty Examples/peer-aav-2000L-montecarlo.yaml --samples 100000 --seed 42 --target-doses 10
            """)

    @Argument(help: "A process file with costs, some inputs written as distributions.")
    var file: String

    @Option(help: "Monte Carlo samples, 10 to \(Fmt.count(WorkLimits.samples)).")
    var samples: Int = 100_000

    @Option(help: "Random seed: the same seed gives the same result.")
    var seed: UInt64 = 1

    @Option(help: "Threads, 1 to \(WorkLimits.threads) (default: every core).")
    var threads: Int = min(ProcessInfo.processInfo.activeProcessorCount, WorkLimits.threads)

    @Option(help: "A number of doses a lot should make: prints the probability that it does.")
    var targetDoses: Int?

    @Option(
        help: """
            Base samples of the Sobol analysis: auto (as many as it takes for every 95 % interval to be \
            narrower than --sobol-width), 0 (none) or a number up to \(Fmt.count(WorkLimits.sobolSamples)); \
            it costs samples × (inputs + 2) lots, at most \(Fmt.count(WorkLimits.sobolEvaluations)).
            """)
    var sobolSamples: SobolSamplesOption = .auto

    @Option(
        help: """
            With --sobol-samples auto, the width every 95 % interval of the Sobol indices must be \
            narrower than, \(Fmt.number(WorkLimits.sobolWidths.lowerBound)) to \(Fmt.number(WorkLimits.sobolWidths.upperBound)) \
            (default \(Fmt.number(Sensitivity.defaultIntervalWidth))).
            """)
    var sobolWidth: Double?

    @Option(name: .shortAndLong, help: "Output format: text, json or csv.")
    var format: OutputFormat = .text

    func validate() throws {
        try checkRange("--samples", samples, 10...WorkLimits.samples, example: "--samples 100000")
        try checkRange("--threads", threads, 1...WorkLimits.threads, example: "--threads 2")
        if case .count(let n) = sobolSamples {
            try checkRange("--sobol-samples", n, 0...WorkLimits.sobolSamples, example: "--sobol-samples 20000")
            if n == 1 { throw ValidationError("--sobol-samples 1: give 0 (no Sobol analysis), 2 or more, or auto.") }
            if sobolWidth != nil {
                throw ValidationError("--sobol-width goes with --sobol-samples auto, not with a number of samples (\(n)).")
            }
        }
        if let w = sobolWidth, !WorkLimits.sobolWidths.contains(w) {
            throw ValidationError(
                "--sobol-width \(w) is outside \(Fmt.number(WorkLimits.sobolWidths.lowerBound))–\(Fmt.number(WorkLimits.sobolWidths.upperBound)), e.g. --sobol-width 0.05.")
        }
        if let t = targetDoses, t < 1 { throw ValidationError("--target-doses must be at least 1.") }
    }

    var sobolRequest: Sensitivity.SobolRequest {
        switch sobolSamples {
        case .auto: .narrowerThan(sobolWidth ?? Sensitivity.defaultIntervalWidth)
        case .count(let n): n > 0 ? .samples(n) : .none
        }
    }

    func run() throws {
        let progress = ProgressBar(total: samples, label: "Monte Carlo")
        let out = try Commands.uncertainty(
            path: file, samples: samples, seed: seed, threads: threads, targetDoses: targetDoses,
            sobol: sobolRequest, format: format, progress: progress.isShown ? progress.update : nil)
        progress.finish()
        print(out, terminator: "")
    }
}

/// `--sobol-samples`: auto or a number.
enum SobolSamplesOption: ExpressibleByArgument, Equatable {
    case auto
    case count(Int)

    init?(argument: String) {
        if argument == "auto" {
            self = .auto
        } else if let n = Int(argument) {
            self = .count(n)
        } else {
            return nil
        }
    }

    var defaultValueDescription: String {
        switch self {
        case .auto: "auto"
        case .count(let n): "\(n)"
        }
    }
}

struct ScaleCurveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale-curve",
        abstract: "Cost per dose across production scales, for one or more platforms.",
        discussion: """
            Stirred tanks run at 50, 200, 500, 1,000 and 2,000 L; fixed beds at 4–500 m²; flasks \
            10–400 a lot, unless --scales is given. Equipment-linked costs follow the cost file's \
            facility scale-exponent.
            Example: vectorfab scale-curve Examples/aav-dmd-suspension-2000L.yaml --scales "50 L,200 L,2000 L"
            """)

    @Argument(help: "Process files with costs, one per platform.")
    var files: [String]

    @Option(
        help: """
            Scales for every file, comma-separated, at most \(WorkLimits.scales): volumes ("200 L", up to \
            \(Fmt.count(WorkLimits.litres)) L), bed areas ("66 m²", up to \(Fmt.count(WorkLimits.bedArea)) m²) \
            or flask counts ("40", up to \(Fmt.count(WorkLimits.flasks))).
            """)
    var scales: String?

    @Option(name: .shortAndLong, help: "Output format: text, json or csv.")
    var format: OutputFormat = .text

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("Give at least one process file with costs.") }
    }

    func run() throws {
        print(try Commands.scaleCurve(paths: files, scales: scales, format: format), terminator: "")
    }
}

/// A progress bar on standard error, drawn only on a terminal.
final class ProgressBar: @unchecked Sendable {
    let total: Int
    let label: String
    let isShown = isatty(2) == 1
    private let lock = NSLock()
    private var last = -1

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func update(_ done: Int) {
        let percent = min(100, done * 100 / max(1, total))
        lock.lock()
        defer { lock.unlock() }
        guard percent != last else { return }
        last = percent
        let filled = percent * 30 / 100
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: 30 - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent) %".utf8))
    }

    func finish() {
        if isShown && last >= 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

extension Commands {
    public static func cost(path: String, facility: String? = nil, format: OutputFormat) throws -> String {
        var model = try EconomicFile.load(path: path)
        if let facility {
            let f = try FacilityFile.load(path: facility)
            guard let s = f.suites.indices.first(where: { f.suites[$0].canRun(model.process) }) else {
                throw ValidationError("No suite of \(facility) can run \(model.process.name): --facility needs one that can.")
            }
            model.costs.occupancy = f.occupancy(ofSuite: s)
            model.costs.suite = "\(f.name), \(f.suites[s].name)"
        }
        let report = try CostReport(model)
        switch format {
        case .text: return report.text()
        case .json: return try encodeJSON(report.data())
        case .csv: return report.csv()
        }
    }

    public static func uncertainty(
        path: String, samples: Int, seed: UInt64, threads: Int, targetDoses: Int?, sobol request: Sensitivity.SobolRequest,
        format: OutputFormat, progress: (@Sendable (Int) -> Void)? = nil
    ) throws -> String {
        let model = try EconomicFile.load(path: path)
        guard !model.parameters.isEmpty else {
            throw ValidationError("\(path) has no input written as a distribution: nothing is uncertain.")
        }
        if case .samples(let n) = request {
            let evaluations = n.multipliedReportingOverflow(by: model.parameters.count + 2)
            if evaluations.overflow || evaluations.partialValue > WorkLimits.sobolEvaluations {
                throw ValidationError(
                    "--sobol-samples \(n) with \(model.parameters.count) uncertain inputs needs "
                        + "\(n) × \(model.parameters.count + 2) lot evaluations, more than the limit of "
                        + "\(Fmt.count(WorkLimits.sobolEvaluations)); give --sobol-samples "
                        + "\(WorkLimits.sobolEvaluations / (model.parameters.count + 2)) or fewer, or auto.")
            }
        }
        let result = MonteCarlo.run(
            model, .init(samples: samples, seed: seed, threads: threads, targetDoses: targetDoses), progress: progress)
        let tornado = Sensitivity.tornado(model)
        let sobol = request.sampling(inputs: model.parameters.count, mostEvaluations: WorkLimits.sobolEvaluations).map {
            Sensitivity.sobol(model, $0, seed: seed, threads: threads)
        }
        let report = UncertaintyReport(model: model, result: result, threads: threads, tornado: tornado, sobol: sobol)
        switch format {
        case .text: return report.text()
        case .json: return try encodeJSON(report.data())
        case .csv: return report.csv()
        }
    }

    public static func scaleCurve(paths: [String], scales: String?, format: OutputFormat) throws -> String {
        var points: [ScaleCurve.Point] = []
        var notes: [String] = []
        var currency: Currency?
        for path in paths {
            let model = try EconomicFile.load(path: path)
            if let c = currency, c != model.costs.currency {
                throw ValidationError(
                    "\(path) is costed in \(model.costs.currency.rawValue), the others in \(c.rawValue).")
            }
            currency = model.costs.currency
            let chosen = try scales.map { try parseScales($0, for: model.process.production.platform.kind) }
            points += ScaleCurve.compute(model, scales: chosen)
            if model.costs.scaleExponent == nil {
                notes.append(
                    "\(model.process.name): no facility scale-exponent, so facility and production-unit costs are held constant across scales."
                )
            }
        }
        switch format {
        case .text: return ScaleCurveReport.text(points, currency: currency ?? .eur, notes: notes)
        case .json: return try encodeJSON(ScaleCurveReport.rows(points))
        case .csv: return ScaleCurveReport.csv(points)
        }
    }

    static func parseScales(_ text: String, for platform: PlatformKind) throws -> [ScaleCurve.Scale] {
        do {
            return try ScaleCurveReport.parseScales(text, for: platform, field: "--scales")
        } catch {
            throw ValidationError(error.message)
        }
    }
}

/// Refuses a whole-number option outside its range, naming the option, the value and the limits.
func checkRange(_ option: String, _ value: Int, _ range: ClosedRange<Int>, example: String) throws {
    guard range.contains(value) else {
        throw ValidationError(
            "\(option) \(value) is outside \(Fmt.count(range.lowerBound))–\(Fmt.count(range.upperBound)), e.g. \(example).")
    }
}
