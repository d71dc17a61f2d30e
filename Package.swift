// swift-tools-version: 6.1
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "VectorFab",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vectorfab", targets: ["vectorfab"]),
        .library(name: "Bioprocess", targets: ["Bioprocess"]),
        .library(name: "Economics", targets: ["Economics"]),
        .library(name: "Capacity", targets: ["Capacity"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Domain: quantities, process definitions, the lot simulator. Foundation at most.
        .target(name: "Bioprocess", swiftSettings: upcoming),
        // Domain: cost of goods, fair price, Monte Carlo and sensitivity. Foundation at most.
        .target(name: "Economics", dependencies: ["Bioprocess"], swiftSettings: upcoming),
        // Domain: facilities, demand, the planner, the facility simulation, materials, tech transfer.
        .target(name: "Capacity", dependencies: ["Bioprocess"], swiftSettings: upcoming),
        // Edge: reads YAML and JSON files into the domain's neutral document tree.
        .target(
            name: "FileFormats",
            dependencies: ["Bioprocess", "Economics", "Capacity", .product(name: "Yams", package: "Yams")],
            swiftSettings: upcoming),
        // Presentation: text tables, CSV and JSON views of domain results.
        .target(name: "Reporting", dependencies: ["Bioprocess", "Economics", "Capacity"], swiftSettings: upcoming),
        // The command-line tool's commands, as a library so tests can drive them.
        .target(
            name: "VectorFabCommands",
            dependencies: [
                "Bioprocess", "Economics", "Capacity", "FileFormats", "Reporting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcoming),
        .executableTarget(
            name: "vectorfab",
            dependencies: ["VectorFabCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: upcoming),
        .executableTarget(
            name: "LotBenchmark",
            dependencies: ["Bioprocess", "FileFormats"],
            path: "Benchmarks/LotBenchmark",
            swiftSettings: upcoming),
        .executableTarget(
            name: "MonteCarloBenchmark",
            dependencies: ["Economics", "FileFormats"],
            path: "Benchmarks/MonteCarloBenchmark",
            swiftSettings: upcoming),
        .executableTarget(
            name: "CapacityBenchmark",
            dependencies: ["Bioprocess", "Capacity", "FileFormats"],
            path: "Benchmarks/CapacityBenchmark",
            swiftSettings: upcoming),
        .testTarget(name: "BioprocessTests", dependencies: ["Bioprocess"], swiftSettings: upcoming),
        .testTarget(
            name: "CapacityTests", dependencies: ["Bioprocess", "Capacity", "FileFormats"], swiftSettings: upcoming),
        .testTarget(
            name: "EconomicsTests", dependencies: ["Bioprocess", "Economics", "FileFormats", "Reporting"],
            swiftSettings: upcoming),
        .testTarget(
            name: "ProcessFileTests", dependencies: ["Bioprocess", "FileFormats", "Reporting"],
            swiftSettings: upcoming),
        .testTarget(
            name: "VectorFabCommandsTests",
            dependencies: ["VectorFabCommands", "Bioprocess", "Capacity", "Economics", "FileFormats", "Reporting"],
            swiftSettings: upcoming),
    ]
)
