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
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // Domain: quantities, process definitions, the lot simulator. Foundation at most.
        .target(name: "Bioprocess", swiftSettings: upcoming),
        // Domain: cost of goods, fair price, Monte Carlo and sensitivity. Foundation at most.
        .target(name: "Economics", dependencies: ["Bioprocess"], swiftSettings: upcoming),
        // Domain: facilities, demand, the planner, the facility simulation, materials, tech transfer.
        .target(name: "Capacity", dependencies: ["Bioprocess"], swiftSettings: upcoming),
        // Domain: GMP rules — roles, recipes, materials, batches, QC, deviations, release, audit.
        .target(name: "Manufacturing", dependencies: ["Bioprocess", "Monitoring"], swiftSettings: upcoming),
        // Domain: monitored sites, series and points, limits (Annex 1), excursions, control charts.
        .target(name: "Monitoring", dependencies: ["Bioprocess", "Capacity"], swiftSettings: upcoming),
        // Persistence over SQLKit: SQLite embedded, PostgreSQL shared; migrations; the audit chain.
        .target(
            name: "Store",
            dependencies: [
                "Manufacturing", "Bioprocess", "Monitoring", "Capacity",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
            ],
            swiftSettings: upcoming),
        // The API's request bodies and their strict decoding: Foundation only, so it can be fuzzed.
        .target(name: "APIBodies", dependencies: ["Bioprocess", "Manufacturing", "Monitoring"], swiftSettings: upcoming),
        // The HTTP JSON API and the web application's pages (Hummingbird, Mustache templates in
        // Sources/Web/Templates, plain CSS and JavaScript in Sources/Web/Static; Excel workbooks).
        .target(
            name: "Web",
            dependencies: [
                "APIBodies", "Manufacturing", "Monitoring", "Store", "Bioprocess", "Economics", "Capacity", "FileFormats", "Reporting",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Mustache", package: "swift-mustache"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Templates"), .copy("Static")],
            swiftSettings: upcoming),
        // Edge: reads YAML and JSON files into the domain's neutral document tree.
        .target(
            name: "FileFormats",
            dependencies: ["Bioprocess", "Economics", "Capacity", "Manufacturing", .product(name: "Yams", package: "Yams")],
            swiftSettings: upcoming),
        // Presentation: text tables, CSV and JSON views of domain results.
        .target(name: "Reporting", dependencies: ["Bioprocess", "Economics", "Capacity", "Monitoring"], swiftSettings: upcoming),
        // The command-line tool's commands, as a library so tests can drive them.
        .target(
            name: "VectorFabCommands",
            dependencies: [
                "Bioprocess", "Economics", "Capacity", "FileFormats", "Reporting", "Store", "Web", "Manufacturing", "Monitoring",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
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
            dependencies: ["Bioprocess", "Economics", "FileFormats"],
            path: "Benchmarks/MonteCarloBenchmark",
            swiftSettings: upcoming),
        .executableTarget(
            name: "CapacityBenchmark",
            dependencies: ["Bioprocess", "Capacity", "FileFormats"],
            path: "Benchmarks/CapacityBenchmark",
            swiftSettings: upcoming),
        .executableTarget(
            name: "PlannerBenchmark",
            dependencies: ["Bioprocess", "Capacity", "FileFormats"],
            path: "Benchmarks/PlannerBenchmark",
            swiftSettings: upcoming),
        .executableTarget(
            name: "StoreBenchmark",
            dependencies: [
                "Store", "Manufacturing", "Bioprocess", "FileFormats", .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ],
            path: "Benchmarks/StoreBenchmark",
            swiftSettings: upcoming),
        // The pages under load: a demo site served on loopback and 50 signed-in clients.
        .executableTarget(
            name: "PageBenchmark",
            dependencies: [
                "VectorFabCommands", "Web", "Store", "Manufacturing", "Capacity", "FileFormats", "Reporting", "BenchSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/PageBenchmark",
            // AsyncHTTPClient's headers are swift-nio's (NIOHTTP1), not a dependency of ours.
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // The benchmarks' shared options and statistics.
        .target(name: "BenchSupport", path: "Benchmarks/BenchSupport", swiftSettings: upcoming),
        // Monitoring: points ingested a second with excursion detection, a month queried and drawn.
        .executableTarget(
            name: "MonitoringBenchmark", dependencies: ["Store", "Monitoring", "Manufacturing", "Reporting", "BenchSupport"],
            path: "Benchmarks/MonitoringBenchmark", swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // Batch execution under load: 50 operators on 50 batches, and the batch record page.
        .executableTarget(
            name: "BatchBenchmark",
            dependencies: [
                "VectorFabCommands", "Web", "Store", "Manufacturing", "Bioprocess", "BenchSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/BatchBenchmark",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // Fuzzing: the targets' bodies (also run by the tests over the seed corpus) and one
        // libFuzzer executable per target, built by Fuzz/run with -sanitize=fuzzer,address.
        .target(
            name: "FuzzSupport", dependencies: ["APIBodies", "Bioprocess", "Economics", "Capacity", "FileFormats"],
            path: "Fuzz/Support", swiftSettings: upcoming),
    ] + ["ProcessReader", "CostReader", "FacilityReader", "DemandReader", "QuantityParser", "HTTPBodies"].map {
        .executableTarget(
            name: "Fuzz\($0)", dependencies: ["FuzzSupport"], path: "Fuzz/Targets/Fuzz\($0)", swiftSettings: upcoming)
    } + [
        // Inputs shared by several test targets (hostile documents, …).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: upcoming),
        .executableTarget(
            name: "RefusalBenchmark",
            dependencies: [
                "FileFormats", "Store", "Web", "Manufacturing", "TestSupport", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Benchmarks/RefusalBenchmark",
            swiftSettings: upcoming),
        .testTarget(name: "BioprocessTests", dependencies: ["Bioprocess"], swiftSettings: upcoming),
        .testTarget(name: "ManufacturingTests", dependencies: ["Manufacturing", "Bioprocess", "Monitoring", "Capacity"], swiftSettings: upcoming),
        .testTarget(
            name: "MonitoringTests", dependencies: ["Monitoring", "Bioprocess", "Capacity", "FileFormats"], swiftSettings: upcoming),
        .testTarget(
            name: "WebTests",
            dependencies: [
                "Web", "Store", "Manufacturing", "Monitoring", "Bioprocess", "Economics", "Capacity", "FileFormats", "Reporting", "TestSupport",
                "VectorFabCommands", .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Yams", package: "Yams"), .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
            ],
            swiftSettings: upcoming),
        .testTarget(
            name: "StoreTests", dependencies: ["Store", "Manufacturing", "Bioprocess", "Monitoring", "Capacity", "FileFormats", .product(name: "Logging", package: "swift-log"), .product(name: "HummingbirdOTP", package: "hummingbird-auth")],
            swiftSettings: upcoming),
        .testTarget(
            name: "CapacityTests", dependencies: ["Bioprocess", "Capacity", "FileFormats"], swiftSettings: upcoming),
        .testTarget(
            name: "EconomicsTests", dependencies: ["Bioprocess", "Economics", "FileFormats", "Reporting"],
            swiftSettings: upcoming),
        .testTarget(
            name: "ProcessFileTests", dependencies: ["Bioprocess", "Economics", "FileFormats", "Manufacturing", "Reporting", "TestSupport", "FuzzSupport"],
            swiftSettings: upcoming),
        .testTarget(
            name: "VectorFabCommandsTests",
            dependencies: ["VectorFabCommands", "Bioprocess", "Capacity", "Economics", "FileFormats", "Reporting", "Store", "Manufacturing", "TestSupport",
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: upcoming),
    ]
)
