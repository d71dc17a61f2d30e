import ArgumentParser
import Bioprocess
import Capacity
import FileFormats
import Foundation
import Reporting

/// Output formats of the plan.
public enum PlanFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json, csv, svg
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Place lots in a facility's suites to meet a demand forecast, as early as possible.",
        discussion: """
            Reports lots per suite and year, patients served against demand, unmet demand, each suite's and \
            resource's utilisation and the bottleneck. --format csv writes the schedule; svg a Gantt chart.
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
