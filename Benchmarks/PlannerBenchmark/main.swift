// Planner benchmark, release build:
//   swift build -c release --product PlannerBenchmark && .build/release/PlannerBenchmark [--time-limit S] [--only NAME]
// 1. A ten-year plan for a 40-suite facility and thousands of lots: seconds, best of three.
// 2. Small instances (2–8 suites, 1–3 products, 1–3 years, changeovers, a shared QC laboratory)
//    planned by VectorFab and solved by a CP-SAT model of the same problem
//    (Benchmarks/planner_cpsat.py, OR-Tools from PyPI; a reference, never a runtime dependency):
//    VectorFab's gap to it per instance — on unmet demand at the horizon, in points of the
//    demand and in % of what CP-SAT serves; on makespan (the last release), in % — where
//    CP-SAT minimises unmet demand, then makespan. VectorFab's plan is also checked against
//    the CP-SAT model's constraints by the same script.
import Bioprocess
import Capacity
import FileFormats
import Foundation

var timeLimit = 20
var only: String?
/// Only the 40-suite plan (for profiling).
var fortyOnly = false
/// Keep each instance, VectorFab's plan and CP-SAT's answer in this directory.
var keep: String?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    if a == "--time-limit", let v = args.popFirst().flatMap({ Int($0) }), (1...3600).contains(v) {
        timeLimit = v
    } else if a == "--only", let v = args.popFirst() {
        only = v
    } else if a == "--forty-only" {
        fortyOnly = true
    } else if a == "--keep", let v = args.popFirst() {
        keep = v
    } else {
        print("usage: PlannerBenchmark [--time-limit SECONDS (1–3600, default 20)] [--only NAME] [--forty-only] [--keep DIR]")
        exit(2)
    }
}

func now() -> Double { Date().timeIntervalSinceReferenceDate }

/// One product of an instance: its stage durations (days, fixed), unit and yearly demand.
struct ProductSpec {
    var name: String
    var durations: (expansion: Double, production: Double, purification: Double, fill: Double, release: Double)
    var unit: DemandUnit
    var demand: [Double]
}

struct Instance {
    var name: String
    var suites: Int
    var products: [ProductSpec]
    var changeover: Changeover
    /// Parallel QC release slots; 0: none shared (release is not limited).
    var qc: Int
}

/// The seed's AAV process without its shelf life (the CP-SAT model has none).
func seedProcess() throws -> ProcessDefinition {
    var p = try ProcessFile.load(path: "Examples/seed000-aav-200L.yaml")
    p.product.shelfLife = nil
    return p
}

func facility(_ i: Instance) -> Facility {
    Facility(
        name: i.name, site: nil, start: CalendarDate(year: 2027, month: 1, day: 1),
        suites: (1...i.suites).map {
            Suite(name: "Suite \($0)", kind: .vectorProduction, grade: .b, maxScale: [.suspension: 0.25])
        },
        resources: i.qc > 0 ? [SharedResource(name: "QC laboratory", kind: .qcLab, capacity: i.qc)] : [],
        changeover: i.changeover, closures: [], holdSuiteUntilRelease: false, crewPerLot: 0)
}

func demand(_ i: Instance, _ process: ProcessDefinition) -> Demand {
    func fixed(_ x: Double) -> BoundedDistribution { BoundedDistribution(.fixed(x), lower: 0, upper: .infinity) }
    return Demand(
        name: i.name, start: CalendarDate(year: 2027, month: 1, day: 1), period: .year,
        products: i.products.map { p in
            ProductDemand(
                name: p.name, process: process, unit: p.unit, amounts: p.demand,
                observed: ObservedDurations(
                    expansion: fixed(p.durations.expansion), production: fixed(p.durations.production),
                    purification: fixed(p.durations.purification), fill: fixed(p.durations.fill),
                    release: fixed(p.durations.release), failureRate: 0))
        })
}

// Lots a year a suite makes of the seed's product: about 365 / (14 + 5 + 3 + 1 + 7) = 12.
let aav = (expansion: 14.0, production: 5.0, purification: 3.0, fill: 1.0, release: 21.0)
let retina = (expansion: 12.0, production: 4.0, purification: 3.0, fill: 1.0, release: 28.0)
let lv = (expansion: 18.0, production: 6.0, purification: 2.0, fill: 1.0, release: 14.0)
let instances: [Instance] = [
    Instance(
        name: "2 suites, 1 product, 1 year, QC 1", suites: 2,
        products: [ProductSpec(name: "AAV", durations: aav, unit: .doses, demand: [300])],
        changeover: Changeover(sameProduct: 7, productChange: 14), qc: 1),
    Instance(
        name: "2 suites, 2 products, 1 year, QC 2", suites: 2,
        products: [
            ProductSpec(name: "AAV", durations: aav, unit: .doses, demand: [150]),
            ProductSpec(name: "Retina", durations: retina, unit: .doses, demand: [120]),
        ], changeover: Changeover(sameProduct: 7, productChange: 14), qc: 2),
    Instance(
        name: "3 suites, 2 products, 2 years, QC 2", suites: 3,
        products: [
            ProductSpec(name: "AAV", durations: aav, unit: .doses, demand: [200, 250]),
            ProductSpec(name: "LV", durations: lv, unit: .doses, demand: [150, 200]),
        ], changeover: Changeover(sameProduct: 7, productChange: 14), qc: 2),
    Instance(
        name: "4 suites, 3 products, 2 years, QC 3", suites: 4,
        products: [
            ProductSpec(name: "AAV", durations: aav, unit: .doses, demand: [250, 300]),
            ProductSpec(name: "Retina", durations: retina, unit: .doses, demand: [200, 250]),
            ProductSpec(name: "LV", durations: lv, unit: .doses, demand: [150, 200]),
        ], changeover: Changeover(sameProduct: 2, productChange: 10), qc: 3),
    Instance(
        name: "4 suites, 2 products, 3 years, no QC limit", suites: 4,
        products: [
            ProductSpec(name: "AAV", durations: aav, unit: .doses, demand: [300, 400, 500]),
            ProductSpec(name: "LV", durations: lv, unit: .doses, demand: [200, 300, 400]),
        ], changeover: Changeover(sameProduct: 7, productChange: 14), qc: 0),
    Instance(
        name: "6 suites, 3 products, 3 years, QC 4", suites: 6,
        products: [
            ProductSpec(name: "AAV", durations: aav, unit: .doses, demand: [300, 500, 700]),
            ProductSpec(name: "Retina", durations: retina, unit: .doses, demand: [200, 300, 400]),
            ProductSpec(name: "LV", durations: lv, unit: .doses, demand: [150, 300, 450]),
        ], changeover: Changeover(sameProduct: 7, productChange: 14), qc: 4),
    Instance(
        name: "8 suites, 2 products, 2 years, QC 4", suites: 8,
        products: [
            ProductSpec(name: "AAV", durations: aav, unit: .doses, demand: [600, 800]),
            ProductSpec(name: "LV", durations: lv, unit: .doses, demand: [400, 600]),
        ], changeover: Changeover(sameProduct: 2, productChange: 10), qc: 4),
    Instance(
        name: "8 suites, 3 products, 3 years, QC 4", suites: 8,
        products: [
            ProductSpec(name: "AAV", durations: aav, unit: .doses, demand: [800, 1200, 1600]),
            ProductSpec(name: "Retina", durations: retina, unit: .doses, demand: [400, 600, 800]),
            ProductSpec(name: "LV", durations: lv, unit: .doses, demand: [300, 500, 700]),
        ], changeover: Changeover(sameProduct: 7, productChange: 14), qc: 4),
]

/// The planner's view of an instance, as the CP-SAT script reads it.
func exportJSON(_ i: Instance, _ plan: Plan) -> [String: Any] {
    let d = plan.demand
    return [
        "name": i.name, "horizon": d.horizon,
        "periodEnds": (0..<d.periods).map { d.end(ofPeriod: $0) },
        "changeover": ["sameProduct": i.changeover.sameProduct, "productChange": i.changeover.productChange],
        "qcCapacity": i.qc,
        "suites": (1...i.suites).map { ["name": "Suite \($0)", "products": Array(0..<i.products.count)] },
        "products": d.products.map { p -> [String: Any] in
            let t = plan.templates[p.name]!
            let perLot = Double(t.amount(p.unit)) * t.cycle.successRate
            let total = p.amounts.reduce(0, +)
            return [
                "name": p.name, "expansion": t.expansion, "production": t.production,
                "purification": t.purification, "fill": t.fill, "release": t.release, "amountPerLot": perLot,
                "demand": p.amounts, "lots": Int(t.cycle.lotsNeeded(for: total, perLot: Double(t.amount(p.unit))) ?? 0),
            ]
        },
    ]
}

/// VectorFab's lots in the script's plan format: product, suite, start (first stage) and
/// release day.
func exportPlan(_ plan: Plan) -> [String: Any] {
    let names = plan.demand.products.map(\.name)
    return [
        "lots": plan.lots.filter { $0.released <= plan.horizon }.map { lot -> [String: Any] in
            [
                "product": names.firstIndex(of: lot.product)!, "suite": lot.suite,
                "start": lot.bookings.filter { $0.stage != .changeover }.map(\.start).min() ?? 0,
                "release": lot.released,
            ]
        }
    ]
}

/// Unmet demand at the horizon (the last year's backlog, PlanAnalysis's figure) and makespan
/// (the last release within the horizon).
func figures(_ plan: Plan) -> (unmet: Double, makespan: Double, demand: Double) {
    let a = PlanAnalysis(plan)
    let last = a.years - 1
    let unmet = a.products.filter { $0.year == last }.reduce(0) { $0 + $1.unmet }
    let makespan = plan.lots.filter { $0.released <= plan.horizon }.map(\.released).max() ?? 0
    let demand = plan.demand.products.reduce(0) { $0 + $1.amounts.reduce(0, +) }
    return (unmet, makespan, demand)
}

func python(_ arguments: [String]) throws -> [String: Any] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0, let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw NSError(
            domain: "PlannerBenchmark", code: Int(p.terminationStatus),
            userInfo: [NSLocalizedDescriptionKey: "python3 \(arguments.joined(separator: " ")) failed: \(String(decoding: data, as: UTF8.self))"])
    }
    return json
}

do {
    // 1. Forty industrial suites sharing a seed laboratory and QC.
    if only == nil {
        let lvProcess = try ProcessFile.load(path: "Examples/lv-sickle-cell-industrial.yaml")
        let forty = Facility(
            name: "Forty suites", site: nil, start: CalendarDate(year: 2026, month: 1, day: 1),
            suites: (1...40).map {
                Suite(name: "Suite \($0)", kind: .vectorProduction, grade: .c, maxScale: [.suspension: 0.25])
            },
            resources: [
                SharedResource(name: "Seed laboratory", kind: .seedLab, capacity: 30),
                SharedResource(name: "QC laboratory", kind: .qcLab, capacity: 60),
            ],
            changeover: Changeover(sameProduct: 7, productChange: 14), closures: [], holdSuiteUntilRelease: false,
            crewPerLot: 0)
        let tenYears = Demand(
            name: "Ten years", start: forty.start, period: .year,
            products: [
                ProductDemand(
                    name: "LV", process: lvProcess, unit: .patients, amounts: Array(repeating: 400_000, count: 10))
            ])
        var best = Double.infinity
        var plan: Plan?
        for _ in 0..<3 {
            let t0 = now()
            plan = try Planner.plan(forty, tenYears)
            best = min(best, now() - t0)
        }
        print(
            "Plan: 40 suites, 10 years, \(plan!.lots.count) lots placed in \(String(format: "%.3f", best)) s (best of 3); validator: \(PlanValidator.validate(plan!).count) violations"
        )
        if fortyOnly { exit(0) }
    }

    // 2. Against CP-SAT.
    let process = try seedProcess()
    let dir =
        keep.map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("vectorfab-planner-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { if keep == nil { try? FileManager.default.removeItem(at: dir) } }
    print("\nAgainst CP-SAT (Benchmarks/planner_cpsat.py, \(timeLimit) s a phase, one worker):")
    print(
        "instance                                      lots | VectorFab unmet  makespan  plan s | CP-SAT status     unmet (bound)       makespan (bound)   s | gap unmet  gap served  gap makespan")
    var worst = (unmet: 0.0, makespan: 0.0)
    var worstServed = 0.0
    for (k, i) in instances.enumerated() where only.map({ i.name.contains($0) }) ?? true {
        let f = facility(i), d = demand(i, process)
        let t0 = now()
        let plan = try Planner.plan(f, d)
        let planSeconds = now() - t0
        let ours = figures(plan)
        let instanceURL = dir.appendingPathComponent("instance-\(k).json")
        let planURL = dir.appendingPathComponent("vectorfab-\(k).json")
        try JSONSerialization.data(withJSONObject: exportJSON(i, plan), options: [.sortedKeys]).write(to: instanceURL)
        try JSONSerialization.data(withJSONObject: exportPlan(plan)).write(to: planURL)
        let check = try python(["Benchmarks/planner_cpsat.py", instanceURL.path, "--verify", planURL.path])
        if check["valid"] as? Bool != true {
            print("  VectorFab's plan breaks the model's constraints: \(check["violations"] ?? "?")")
        }
        let cp = try python([
            "Benchmarks/planner_cpsat.py", instanceURL.path, "--time-limit", "\(timeLimit)", "--workers", "1",
        ])
        if keep != nil {
            try JSONSerialization.data(withJSONObject: cp, options: [.sortedKeys]).write(
                to: dir.appendingPathComponent("cpsat-\(k).json"))
        }
        let cpUnmet = cp["unmet"] as? Double ?? .nan, cpMakespan = cp["makespan"] as? Double ?? .nan
        let unmetBound = cp["unmetBound"] as? Double ?? .nan, makespanBound = cp["makespanBound"] as? Double ?? .nan
        // Unmet demand in points of the demand; makespan relative to CP-SAT's.
        let gapUnmet = (ours.unmet - cpUnmet) / ours.demand * 100
        let gapMakespan = (ours.makespan - cpMakespan) / max(cpMakespan, 1e-9) * 100
        // The same shortfall against what CP-SAT serves (demand less unmet): the stricter measure.
        let gapServed = (ours.unmet - cpUnmet) / max(ours.demand - cpUnmet, 1e-9) * 100
        worst = (max(worst.unmet, gapUnmet), max(worst.makespan, gapMakespan))
        worstServed = max(worstServed, gapServed)
        let lots = plan.lots.count
        print(
            String(
                format: "%@ %4d | %15.1f %9.1f %7.3f | %@ %7.1f (%7.1f) %9.1f (%7.1f) %5.1f | %7.2f %% %8.2f %% %10.2f %%",
                i.name.padding(toLength: 45, withPad: " ", startingAt: 0) as NSString, lots, ours.unmet, ours.makespan, planSeconds,
                (cp["status"] as? String ?? "?").padding(toLength: 9, withPad: " ", startingAt: 0) as NSString, cpUnmet, unmetBound, cpMakespan, makespanBound,
                cp["seconds"] as? Double ?? .nan, gapUnmet, gapServed, gapMakespan))
    }
    print(
        String(
            format:
                "Largest gap: unmet demand %.2f points of the demand (%.2f %% of what CP-SAT serves), makespan %.2f %% (goal: within 5 %% on every instance): %@",
            worst.unmet, worstServed, worst.makespan,
            (worst.unmet <= 5 && worstServed <= 5 && worst.makespan <= 5 ? "met" : "NOT met") as NSString))
} catch {
    print("\(error)")
    exit(1)
}
