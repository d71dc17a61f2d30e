// Monte Carlo throughput against the NumPy reference peer, on the same model, in one run.
//   swift run -c release MonteCarloBenchmark [--samples N] [--seed S] [--peer PATH] [--no-general] [--draws]
// The model is Examples/peer-aav-2000L-montecarlo.yaml, which encodes
// ../shared/peers/lot_cost_montecarlo.py. Both print samples per second and the statistics
// of the same outputs; the ratio is VectorFab's rate over NumPy's.
import Bioprocess
import Economics
import FileFormats
import Foundation

var samples = 1_000_000
var seed: UInt64 = 42
var peer = "../shared/peers/lot_cost_montecarlo.py"
var general = true
var drawsOnly = false
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--samples": samples = args.popFirst().flatMap(Int.init) ?? samples
    case "--seed": seed = args.popFirst().flatMap(UInt64.init) ?? seed
    case "--peer": peer = args.popFirst() ?? peer
    case "--no-general": general = false
    case "--draws": drawsOnly = true
    default: print("unknown argument \(a)"); exit(2)
    }
}

let model: EconomicModel
do { model = try EconomicFile.load(path: "Examples/peer-aav-2000L-montecarlo.yaml") } catch {
    print("\(error)")
    exit(1)
}

func line(_ name: String, _ s: SampleStatistics) -> String {
    String(format: "%@: mean=%.6g p5=%.6g p50=%.6g p95=%.6g", name, s.mean, s.p5, s.p50, s.p95)
}

// Where a sample's time goes: nanoseconds a number for each kind of distribution, drawn a
// column at a time as the Monte Carlo draws them.
if drawsOnly {
    let count = 8192, rounds = 200
    let column = UnsafeMutablePointer<Double>.allocate(capacity: count)
    defer { column.deallocate() }
    var rng = RandomSource(seed: seed)
    for p in model.parameters {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rounds { p.input.distribution.fill(column, count: count, &rng) }
        let ns = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(count * rounds)
        print(String(format: "%-40@ %6.2f ns a number", p.label as NSString, ns))
    }
    exit(0)
}

let cores = ProcessInfo.processInfo.activeProcessorCount
print("VectorFab Monte Carlo — \(samples) samples, seed \(seed), \(model.parameters.count) uncertain inputs")
var rates: [Int: Double] = [:]
var result: MonteCarlo.Result?
var generalRate = 0.0
for threads in Set([1, cores]).sorted() {
    var best = Double.infinity
    for _ in 0..<3 {
        let r = MonteCarlo.run(model, .init(samples: samples, seed: seed, threads: threads, targetDoses: 10))
        best = min(best, r.seconds)
        result = r
    }
    rates[threads] = Double(samples) / best
    print(
        String(
            format: "samples_per_second (%d thread%@, %@): %.0f", threads, threads == 1 ? "" : "s",
            result?.compiled == true ? "compiled" : result?.planned == true ? "planned" : "general path",
            Double(samples) / best))
}
// The general path (every input set into a copy of the model), one thread, for comparison.
if general {
    var options = MonteCarlo.Options(samples: samples, seed: seed, threads: 1, targetDoses: 10)
    options.general = true
    var best = Double.infinity
    for _ in 0..<2 { best = min(best, MonteCarlo.run(model, options).seconds) }
    generalRate = Double(samples) / best
    print(String(format: "samples_per_second (1 thread, general path): %.0f", generalRate))
}
if let r = result {
    print(line("expansion_d", r.statistics(.expansionDays)))
    print(line("doses", r.statistics(.doses)))
    print(line("lot_cost", r.statistics(.lotCost)))
    print(line("cost_per_dose", r.statistics(.costPerDose)))
    print(line("cycles", r.statistics(.chromatographyCycles)))
    print(String(format: "p_doses_ge_10: %.4f", r.probabilityOfTarget ?? .nan))
}

print("\nNumPy peer (\(peer)), same samples and seed, best of 3:")
let process = Process()
process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
process.arguments = ["python3", peer, "--samples", "\(samples)", "--seed", "\(seed)"]
let pipe = Pipe()
process.standardOutput = pipe
var peerRate: Double?
do {
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    print(text, terminator: "")
    for l in text.split(separator: "\n") where l.hasPrefix("samples_per_second:") {
        peerRate = Double(l.split(separator: " ").last ?? "")
    }
} catch {
    print("could not run the peer: \(error)")
}
if let peerRate {
    if generalRate > 0 { print(String(format: "ratio general path/NumPy, 1 thread: %.2f", generalRate / peerRate)) }
    for (threads, rate) in rates.sorted(by: { $0.key < $1.key }) {
        print(
            String(
                format: "ratio VectorFab/NumPy, %d thread%@: %.2f", threads, threads == 1 ? "" : "s", rate / peerRate))
    }
}
