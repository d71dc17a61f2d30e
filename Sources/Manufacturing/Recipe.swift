import Bioprocess
import Foundation

/// A master recipe (ISA-88): procedure → unit procedures → operations → phases, each phase with
/// its instructions, the parameters to record with a target and an acceptable range, the
/// materials to consume and the samples to take. Generated from a process definition; usable
/// in production only once QA has approved it.
public struct MasterRecipe: Codable, Sendable, Hashable {
    public var product: String
    public var process: String
    public var unitProcedures: [UnitProcedure]
    /// The release panels: the tests the drug substance and the drug product must pass.
    public var releaseTests: [ReleaseTestSpec]

    public init(product: String, process: String, unitProcedures: [UnitProcedure], releaseTests: [ReleaseTestSpec]) {
        self.product = product
        self.process = process
        self.unitProcedures = unitProcedures
        self.releaseTests = releaseTests
    }

    /// Every phase in execution order.
    public var phases: [Phase] { unitProcedures.flatMap { $0.operations.flatMap(\.phases) } }

    public func phase(_ id: String) -> Phase? { phases.first { $0.id == id } }
}

public struct UnitProcedure: Codable, Sendable, Hashable {
    public var name: String
    public var operations: [RecipeOperation]

    public init(name: String, operations: [RecipeOperation]) {
        self.name = name
        self.operations = operations
    }
}

public struct RecipeOperation: Codable, Sendable, Hashable {
    public var name: String
    public var phases: [Phase]

    public init(name: String, phases: [Phase]) {
        self.name = name
        self.phases = phases
    }
}

public struct Phase: Codable, Sendable, Hashable {
    /// `1.2.1`: unit procedure, operation, phase.
    public var id: String
    public var name: String
    public var instructions: String
    public var parameters: [ParameterSpec]
    public var materials: [MaterialRequirement]
    public var samples: [SampleSpec]
    public var equipment: String?

    public init(id: String, name: String, instructions: String, parameters: [ParameterSpec], materials: [MaterialRequirement], samples: [SampleSpec], equipment: String? = nil) {
        self.id = id
        self.name = name
        self.instructions = instructions
        self.parameters = parameters
        self.materials = materials
        self.samples = samples
        self.equipment = equipment
    }
}

/// A value to record, with its acceptable range.
public struct ParameterSpec: Codable, Sendable, Hashable {
    public var name: String
    public var unit: String
    public var target: Double
    public var low: Double
    public var high: Double

    public init(name: String, unit: String, target: Double, low: Double, high: Double) {
        self.name = name
        self.unit = unit
        self.target = target
        self.low = low
        self.high = high
    }

    public func accepts(_ value: Double) -> Bool { value >= low && value <= high }
}

/// A material a phase consumes, by item code.
public struct MaterialRequirement: Codable, Sendable, Hashable {
    public var item: String
    public var quantity: Double
    public var unit: String

    public init(item: String, quantity: Double, unit: String) {
        self.item = item
        self.quantity = quantity
        self.unit = unit
    }
}

/// A sample a phase takes: for an in-process test, or for a release panel.
public struct SampleSpec: Codable, Sendable, Hashable {
    public var test: String
    public var volumeML: Double
    /// The release panel the sample is for; nil for an in-process sample.
    public var panel: ReleasePanel?
    /// What the result must be; nil when the result is for information only.
    public var specification: QCSpecification?

    public init(test: String, volumeML: Double, panel: ReleasePanel? = nil, specification: QCSpecification? = nil) {
        self.test = test
        self.volumeML = volumeML
        self.panel = panel
        self.specification = specification
    }
}

/// A release test and its specification, in one panel.
public struct ReleaseTestSpec: Codable, Sendable, Hashable {
    public var test: String
    public var panel: ReleasePanel
    public var specification: QCSpecification

    public init(test: String, panel: ReleasePanel, specification: QCSpecification) {
        self.test = test
        self.panel = panel
        self.specification = specification
    }
}

/// Generates a master recipe from a process definition.
///
/// Recorded parameters get the process's value as target and an acceptable range of
/// ± `tolerance` (10 % by default) around it — a starting point QA reviews before approving;
/// post-thaw viability must be at least 10 points under its nominal value. Material codes are
/// `MEDIUM`, `PLASMID`, `REAGENT`, `VIRUS`, `BUFFER`, `CELL-BANK`, `VIAL` and `RESIN:<resin>`.
public enum RecipeGenerator {
    public static func generate(_ p: ProcessDefinition, tolerance: Double = 0.1) throws(SimulationError) -> MasterRecipe {
        let r = try LotReport.simulate(p)
        let s = r.summary
        func release(_ panel: ReleasePanel) -> [SampleSpec] {
            p.qualityControl.release.filter { $0.panel == panel }.map {
                SampleSpec(
                    test: $0.test, volumeML: $0.volume.value(in: "mL"), panel: panel,
                    specification: $0.specification)
            }
        }
        func spec(_ name: String, _ unit: String, _ target: Double, tolerance t: Double = tolerance) -> ParameterSpec {
            ParameterSpec(
                name: name, unit: unit, target: significant(target), low: significant(target * (1 - t)),
                high: significant(target * (1 + t)))
        }
        func round(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

        // Cell expansion.
        var expansion: [RecipeOperation] = []
        let viability = p.cellLine.bank.viability.value * 100
        expansion.append(
            RecipeOperation(
                name: "Thaw",
                phases: [
                    Phase(
                        id: "", name: "Thaw cell bank vials",
                        instructions: "Thaw \(p.cellLine.bank.vialsPerLot) vial(s) of \(p.cellLine.bank.name ?? p.cellLine.name) at 37 °C, dilute in pre-warmed medium, count.",
                        parameters: [ParameterSpec(name: "Post-thaw viability", unit: "%", target: viability, low: max(0, viability - 10), high: 100)],
                        materials: [MaterialRequirement(item: "CELL-BANK", quantity: Double(p.cellLine.bank.vialsPerLot), unit: "vials")],
                        samples: [], equipment: "Biosafety cabinet")
                ]))
        for o in r.seedStages {
            let stage = p.seedTrain.stages[o.index]
            let (density, unit): (Double, String)
            switch stage.splitDensity {
            case .perVolume(let d): (density, unit) = (d.value(in: "cells/mL"), "cells/mL")
            case .perArea(let d): (density, unit) = (d.value(in: "cells/cm²"), "cells/cm²")
            }
            expansion.append(
                RecipeOperation(
                    name: stage.name,
                    phases: [
                        Phase(
                            id: "", name: "Seed and grow in \(stage.name)",
                            instructions: "Seed \(o.vessels) vessel(s) of \(stage.name); grow \(String(format: "%.1f", o.duration.value(in: "d"))) days; count before passage.",
                            parameters: [spec("Viable cell density at passage", unit, density, tolerance: 2 * tolerance)],
                            materials: [MaterialRequirement(item: "MEDIUM", quantity: round(o.medium.value(in: "L")), unit: "L")],
                            samples: [], equipment: stage.name)
                    ]))
        }

        // Production.
        let pr = p.production
        let inductionDensity: (Double, String)
        switch pr.inductionDensity {
        case .perVolume(let d): inductionDensity = (d.value(in: "cells/mL"), "cells/mL")
        case .perArea(let d): inductionDensity = (d.value(in: "cells/cm²"), "cells/cm²")
        }
        var inductionMaterials = [MaterialRequirement(item: "MEDIUM", quantity: round(s.productionMedium.value(in: "L")), unit: "L")]
        let inductionName: String
        switch pr.induction {
        case .transfection(let t):
            inductionName = "Transfect with \(t.reagent)"
            inductionMaterials += [
                MaterialRequirement(item: "PLASMID", quantity: round(s.plasmid.value(in: "g")), unit: "g"),
                MaterialRequirement(item: "REAGENT", quantity: round(s.reagent.value(in: "g")), unit: "g"),
            ]
        case .infection(let i):
            inductionName = "Infect with \(i.virus)"
            inductionMaterials.append(MaterialRequirement(item: "VIRUS", quantity: s.virus.canonical, unit: "pfu"))
        case .stableProducer(let sp):
            inductionName = "Induce with \(sp.inducer)"
            if sp.concentration != nil {
                inductionMaterials.append(MaterialRequirement(item: "REAGENT", quantity: round(s.reagent.value(in: "g")), unit: "g"))
            }
        }
        let production = [
            RecipeOperation(
                name: "Growth",
                phases: [
                    Phase(
                        id: "", name: "Inoculate \(pr.platform.model)",
                        instructions: "Seed \(pr.units) × \(pr.platform.model); grow to the induction density.",
                        parameters: [spec("Viable cell density at induction", inductionDensity.1, inductionDensity.0)],
                        materials: [], samples: [],
                        equipment: pr.platform.model)
                ]),
            RecipeOperation(
                name: "Induction and harvest",
                phases: [
                    Phase(
                        id: "", name: inductionName, instructions: "Prepare the complexes and add them to the culture.",
                        parameters: [spec("Time to harvest", "h", pr.duration.value(in: "h"))], materials: inductionMaterials,
                        samples: [], equipment: pr.platform.model),
                    Phase(
                        id: "", name: "Harvest", instructions: "Harvest the culture; record volume.",
                        parameters: [spec("Harvest volume", "L", s.harvestVolume.value(in: "L"))], materials: [], samples: [],
                        equipment: pr.platform.model),
                ]),
        ]

        // Purification: one operation per step.
        var purification: [RecipeOperation] = []
        for o in r.steps {
            let step = p.downstream[o.index]
            var materials: [MaterialRequirement] = []
            if o.bufferVolume > .zero {
                materials.append(MaterialRequirement(item: "BUFFER", quantity: round(o.bufferVolume.value(in: "L")), unit: "L"))
            }
            if let resin = step.resin, o.cycles > 0 {
                materials.append(MaterialRequirement(item: "RESIN:\(resin.uppercased())", quantity: round(o.columnVolume.value(in: "L")), unit: "L"))
            }
            var samples = p.qualityControl.inProcess.filter { $0.afterStep == o.index }.map {
                SampleSpec(
                    test: $0.test, volumeML: $0.volume.value(in: "mL"), panel: nil,
                    specification: $0.specification)
            }
            if o.index == p.downstream.count - 1 {
                // The formulated bulk: the drug-substance panel's samples.
                samples += release(.drugSubstance)
            }
            purification.append(
                RecipeOperation(
                    name: step.name,
                    phases: [
                        Phase(
                            id: "", name: "Run \(step.name)", instructions: "Run \(step.operation.keyword) per the equipment SOP; record the volume out.",
                            parameters: [spec("Volume out", "L", o.volumeOut.value(in: "L"), tolerance: 2 * tolerance)],
                            materials: materials, samples: samples, equipment: step.resin ?? step.operation.keyword)
                    ]))
        }

        var procedures = [
            UnitProcedure(name: "Cell expansion", operations: expansion),
            UnitProcedure(name: "Production", operations: production),
            UnitProcedure(name: "Purification", operations: purification),
        ]
        if let fill = p.fill {
            procedures.append(
                UnitProcedure(
                    name: "Fill",
                    operations: [
                        RecipeOperation(
                            name: "Aseptic fill",
                            phases: [
                                Phase(
                                    id: "", name: "Fill \(fill.container)", instructions: "Fill in the isolator; record fill volume and vials filled.",
                                    parameters: [
                                        spec("Fill volume", "mL", (fill.fillVolume + fill.overfill).value(in: "mL"), tolerance: tolerance / 2),
                                        spec("Vials filled", "vials", Double(s.vialsFilled)),
                                    ],
                                    materials: [MaterialRequirement(item: "VIAL", quantity: Double(s.vialsFilled), unit: "vials")],
                                    samples: release(.drugProduct), equipment: "Isolator")
                            ])
                    ]))
        }
        // Number the phases.
        for u in procedures.indices {
            for o in procedures[u].operations.indices {
                for ph in procedures[u].operations[o].phases.indices {
                    procedures[u].operations[o].phases[ph].id = "\(u + 1).\(o + 1).\(ph + 1)"
                }
            }
        }
        return MasterRecipe(
            product: p.product.name, process: p.name, unitProcedures: procedures,
            releaseTests: p.qualityControl.release.map {
                ReleaseTestSpec(test: $0.test, panel: $0.panel, specification: $0.specification)
            })
    }
}

/// `x` to `digits` significant digits: limits read 1.65e6, not 1650000.0000000002.
func significant(_ x: Double, digits: Int = 6) -> Double {
    guard x.isFinite, x != 0 else { return x }
    return Double(String(format: "%.\(digits - 1)e", x)) ?? x
}
