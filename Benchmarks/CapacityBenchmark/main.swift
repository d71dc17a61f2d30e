// Facility simulation benchmark, release build: swift run -c release CapacityBenchmark [--peer PATH]
// 1,000 replications of ten years of a four-suite facility, against the SimPy reference
// (../shared/peers/facility_simpy.py) on the same model, in one run; prints the ratio. (The
// planner's figures are PlannerBenchmark's.)
import Bioprocess
import Capacity
import FileFormats
import Foundation

var peer = "../shared/peers/facility_simpy.py"
/// Only the facility simulation, once, on one thread, without the peer (for callgrind).
var simulationOnly = false
var eventEngineOnly = false
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    if a == "--peer", let p = args.popFirst() {
        peer = p
    } else if a == "--simulation-only" {
        simulationOnly = true
    } else if a == "--event-engine" {
        eventEngineOnly = true
    } else {
        print("unknown argument \(a) (--peer PATH, --simulation-only, --event-engine)")
        exit(2)
    }
}
if simulationOnly {
    do {
        let f4 = try FacilityFile.load(path: "Examples/capacity/peer-four-suites.yaml")
        let d10 = try DemandFile.load(path: "Examples/capacity/peer-ten-years.yaml")
        let r = try FacilitySimulation.run(
            f4, d10, .init(replications: 1000, seed: 42, threads: 1, eventEngineOnly: eventEngineOnly))
        let lots = r.replications.reduce(0) { $0 + $1.lotsStarted }
        print(String(format: "%.3f s, %d lots started", r.seconds, lots))
        exit(0)
    } catch {
        print("\(error)")
        exit(1)
    }
}

func now() -> Double { Date().timeIntervalSinceReferenceDate }

do {
    // The SimPy peer's facility.
    let f4 = try FacilityFile.load(path: "Examples/capacity/peer-four-suites.yaml")
    let d10 = try DemandFile.load(path: "Examples/capacity/peer-ten-years.yaml")
    var rates: [Int: Double] = [:]
    func statistics(_ result: FacilitySimulation.Result) {
        let per = result.lotsPerSuiteYear.sorted()
        let mean = per.reduce(0, +) / Double(per.count)
        func q(_ x: Double) -> Double { per[Int(x * Double(per.count - 1))] }
        print(
            String(
                format: "released_lots_per_suite_year: mean=%.4f p5=%.4f p50=%.4f p95=%.4f", mean, q(0.05), q(0.5),
                q(0.95)))
    }
    // The suites share nothing here: the renewal path; then the event engine on the same work.
    for (eventEngine, runs) in [(false, Set([1, ProcessInfo.processInfo.activeProcessorCount]).sorted()), (true, [1])] {
        var result: FacilitySimulation.Result?
        for threads in runs {
            var bestSim = Double.infinity
            for _ in 0..<(eventEngine ? 2 : 5) {
                let r = try FacilitySimulation.run(
                    f4, d10, .init(replications: 1000, seed: 42, threads: threads, eventEngineOnly: eventEngine))
                bestSim = min(bestSim, r.seconds)
                result = r
            }
            let lots = result!.replications.reduce(0) { $0 + $1.lotsStarted }
            if !eventEngine { rates[threads] = Double(lots) / bestSim }
            print(
                String(
                    format:
                        "VectorFab facility simulation (%@), 1000 replications × 10 years × 4 suites, %d thread%@: %.4f s, %.0f lots started/s",
                    eventEngine ? "event engine" : "renewal path", threads, threads == 1 ? "" : "s", bestSim,
                    Double(lots) / bestSim))
        }
        statistics(result!)
    }

    print("\nSimPy peer (\(peer)):")
    let process2 = Process()
    process2.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process2.arguments = ["python3", peer, "--suites", "4", "--years", "10", "--replications", "1000", "--seed", "42"]
    let pipe = Pipe()
    process2.standardOutput = pipe
    try process2.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process2.waitUntilExit()
    print(text, terminator: "")
    if let l = text.split(separator: "\n").first(where: { $0.hasPrefix("lots_started_per_second:") }),
        let peerRate = Double(l.split(separator: " ").last ?? "")
    {
        for (threads, rate) in rates.sorted(by: { $0.key < $1.key }) {
            print(
                String(
                    format: "ratio VectorFab/SimPy (lots started per second), %d thread%@: %.1f", threads,
                    threads == 1 ? "" : "s", rate / peerRate))
        }
    }
} catch {
    print("\(error)")
    exit(1)
}
