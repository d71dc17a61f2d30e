import ArgumentParser
import Bioprocess
import Capacity
import FileFormats
import Foundation
import Reporting

/// The formats of a report that has no table to write as CSV.
public enum TextOrJSON: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}

/// Output formats of the plan.
public enum PlanFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json, csv, svg
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Place lots in a facility's suites to meet a demand forecast, as early as possible.",
        discussion: """
            Reports each product's lot cycle (suite time, success rate, release, shelf life, lots a year a suite \
            makes), lots per suite and year, patients served against demand, unmet demand, each suite's and \
            resource's utilisation and the bottleneck, and what it does not dispatch as simulate-facility does. \
            --format csv writes the schedule; svg a Gantt chart.
            Example: vectorfab plan Examples/capacity/lv-zone-2015.yaml Examples/capacity/sickle-cell-100-patients.yaml
            """)

    @Argument(help: "A facility file.")
    var facility: String

    @Argument(help: "A demand file (it names each product's process file).")
    var demand: String

    @Option(name: .shortAndLong, help: "Output format: text, json, csv (the schedule) or svg (a Gantt chart).")
    var format: PlanFormat = .text

    func run() throws {
        print(try Commands.plan(facility: facility, demand: demand, format: format), terminator: "")
    }
}

extension Commands {
    public static func plan(facility: String, demand: String, format: PlanFormat) throws -> String {
        let f = try FacilityFile.load(path: facility)
        let d = try DemandFile.load(path: demand)
        let report = PlanReport(try Planner.plan(f, d))
        switch format {
        case .text: return report.text()
        case .json: return try encodeJSON(report.data())
        case .csv: return report.csv()
        case .svg: return GanttChart.svg(report)
        }
    }
}

struct SimulateFacility: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-facility",
        abstract: "Simulate a facility against demand many times, with random stage durations and failed lots.",
        discussion: """
            Stage durations and failure rates come from each product's observed: section in the demand file, \
            or are the lot simulator's nominal figures and the process's costs' success rate; suite time per lot \
            is the planner's (one lot cycle). Same seed, same result.
            Example: vectorfab simulate-facility Examples/capacity/peer-four-suites.yaml Examples/capacity/peer-ten-years.yaml --replications 1000 --seed 42
            """)

    @Argument(help: "A facility file.")
    var facility: String

    @Argument(help: "A demand file.")
    var demand: String

    @Option(help: "Replications, 1 to \(Fmt.count(WorkLimits.replications)).")
    var replications: Int = 1000

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Threads, 1 to \(WorkLimits.threads) (default: every core).")
    var threads: Int = min(ProcessInfo.processInfo.activeProcessorCount, WorkLimits.threads)

    @Option(name: .shortAndLong, help: "Output format: text, json or csv (every replication's supply).")
    var format: OutputFormat = .text

    func validate() throws {
        try checkRange("--replications", replications, 1...WorkLimits.replications, example: "--replications 1000")
        try checkRange("--threads", threads, 1...WorkLimits.threads, example: "--threads 2")
    }

    func run() throws {
        print(
            try Commands.simulateFacility(
                facility: facility, demand: demand, replications: replications, seed: seed, threads: threads,
                format: format),
            terminator: "")
    }
}

extension Commands {
    public static func simulateFacility(
        facility: String, demand: String, replications: Int, seed: UInt64, threads: Int, format: OutputFormat
    ) throws -> String {
        let f = try FacilityFile.load(path: facility)
        let d = try DemandFile.load(path: demand)
        let result = try FacilitySimulation.run(f, d, .init(replications: replications, seed: seed, threads: threads))
        let report = FacilitySimulationReport(result: result, facility: f, demand: d, seed: seed)
        switch format {
        case .text: return report.text()
        case .json: return try encodeJSON(report.data())
        case .csv: return report.csv()
        }
    }
}

struct Materials: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Raw materials a plan needs per month, and the latest day to order each given supplier lead times.",
        discussion:
            "Example: vectorfab materials Examples/capacity/lv-industrial-suite.yaml Examples/capacity/sickle-cell-industrial-demand.yaml"
    )

    @Argument(help: "A facility file (its lead-times: section gives supplier lead times).")
    var facility: String

    @Argument(help: "A demand file.")
    var demand: String

    @Option(name: .shortAndLong, help: "Output format: text, json or csv.")
    var format: OutputFormat = .text

    func run() throws {
        print(try Commands.materials(facility: facility, demand: demand, format: format), terminator: "")
    }
}

struct Transfer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Whether and how a process runs at another site: who carries each step, what changes, what is missing.",
        discussion:
            "Example: vectorfab transfer Examples/aav-dmd-suspension-2000L.yaml Examples/capacity/genethon-bioprod-2015.yaml"
    )

    @Argument(help: "A process file.")
    var process: String

    @Argument(help: "The receiving site's facility file.")
    var facility: String

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var format: TextOrJSON = .text

    func run() throws {
        print(try Commands.transfer(process: process, facility: facility, format: format), terminator: "")
    }
}

extension Commands {
    public static func materials(facility: String, demand: String, format: OutputFormat) throws -> String {
        let f = try FacilityFile.load(path: facility)
        let d = try DemandFile.load(path: demand)
        let m = MaterialPlan(try Planner.plan(f, d))
        switch format {
        case .text: return MaterialPlanReport.text(m, title: "\(f.name), \(d.name)")
        case .json: return try encodeJSON(MaterialPlanReport.rows(m))
        case .csv: return MaterialPlanReport.csv(m)
        }
    }

    public static func transfer(process: String, facility: String, format: TextOrJSON) throws -> String {
        let t = try TechTransfer(try ProcessFile.load(path: process), at: try FacilityFile.load(path: facility))
        return format == .json ? try encodeJSON(TechTransferReport.data(t)) : TechTransferReport.text(t)
    }
}
