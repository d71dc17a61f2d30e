import ArgumentParser

/// The `vectorfab` command: process simulation, comparison and diff.
public struct VectorFabCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vectorfab",
        abstract: "Design, simulate and cost gene-therapy vector manufacturing.",
        subcommands: [
            Simulate.self, Compare.self, Diff.self, Cost.self, Uncertainty.self, ScaleCurveCommand.self,
            PlanCommand.self,
            SimulateFacility.self, Materials.self, Transfer.self,
        ])

    public init() {}
}
