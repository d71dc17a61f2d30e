import ArgumentParser

/// The `vectorfab` command: process simulation, comparison and diff.
public struct VectorFabCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vectorfab",
        abstract: "Design, simulate, cost, plan and record the manufacturing of gene-therapy vectors.",
        subcommands: [
            Simulate.self, Compare.self, Diff.self, Cost.self, Uncertainty.self, ScaleCurveCommand.self,
            PlanCommand.self,
            SimulateFacility.self, Materials.self, Transfer.self, Calibrate.self, Serve.self, Admin.self, Audit.self,
        ])

    public init() {}
}
