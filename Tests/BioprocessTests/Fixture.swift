@testable import Bioprocess

/// A small process with round numbers, so that every figure can be computed by hand:
/// a 1e7-cell vial grows through 100 mL and 1 L vessels (split at 1e6 cells/mL) to seed a
/// 10 L bioreactor at 0.1e6 cells/mL (1e9 cells), which reaches 4e9 cells at transfection.
enum Fixture {
    static func q<K>(_ v: Double, _ u: String) -> Quantity<K> { Quantity(v, u) }

    static var process: ProcessDefinition {
        ProcessDefinition(
            name: "Fixture",
            product: Product(
                name: "Test AAV", vector: Vector(type: .aav(serotype: "AAV9"), genomeSize: q(4.7, "kb")),
                dose: .perBodyWeight(dose: q(1e12, "vg/kg"), patientWeight: q(10, "kg"))),
            cellLine: CellLine(
                name: "HEK293", doublingTime: q(24, "h"), maxPopulationDoublings: nil,
                bank: CellBank(name: nil, cellsPerVial: q(1e7, "cells"), viability: Quantity(1.0), vialsPerLot: 1)),
            seedTrain: SeedTrain(
                passageTime: q(0.5, "d"),
                stages: [
                    SeedStage(
                        name: "A", workingVolume: q(100, "mL"), surface: nil,
                        seedingDensity: .perVolume(q(0.1e6, "cells/mL")), splitDensity: .perVolume(q(1e6, "cells/mL")),
                        maxVessels: nil),
                    SeedStage(
                        name: "B", workingVolume: q(1, "L"), surface: nil,
                        seedingDensity: .perVolume(q(0.1e6, "cells/mL")), splitDensity: .perVolume(q(1e6, "cells/mL")),
                        maxVessels: nil),
                ]),
            production: Production(
                platform: .suspension(model: "STR 10 L", workingVolume: q(10, "L")), units: 1,
                seedingDensity: .perVolume(q(0.1e6, "cells/mL")), inductionDensity: .perVolume(q(0.4e6, "cells/mL")),
                induction: .transfection(
                    Transfection(plasmid: .first(q(1, "pg/cell")), reagent: "PEI", reagentRatio: 2, plasmids: [])),
                productivity: .first(q(1e4, "vg/cell")), duration: q(3, "d"), mediumExchanges: 0, handlingsPerUnit: 4),
            downstream: [
                DownstreamStep(
                    name: "Lysis", yield: Quantity(0.9),
                    operation: .harvest(Harvest(addedVolume: .fraction(0.1), duration: q(2, "h"))))
            ],
            fill: Fill(
                container: "vial", fillVolume: q(1, "mL"), overfill: q(0.1, "mL"), lineLoss: q(5, "mL"),
                yield: Quantity(1.0), setupTime: q(2, "h"), vialsPerHour: 100),
            qualityControl: QualityControl(
                inProcess: [],
                release: [
                    ReleaseTest(test: "Sterility", volume: q(2, "mL"), turnaround: q(14, "d")),
                    ReleaseTest(test: "Titer", volume: q(0.5, "mL"), turnaround: q(3, "d")),
                ], retainedVials: 2))
    }
}

/// Relative closeness for computed figures: `close(a, b)` within 1e-9 unless said.
func close(_ a: Double, _ b: Double, within tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-300)
}
