// Lot-simulation throughput: how many lots per second one core simulates, per example.
// Run in release mode: swift run -c release LotBenchmark [--iterations N] [FILES...]
// The Monte Carlo and capacity models call the simulator millions of times; its inner path
// allocates nothing (check: valgrind's "total heap usage" does not grow with --iterations).
import Bioprocess
import FileFormats
import Foundation

var iterations = 1_000_000
var files: [String] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    if a == "--iterations", let n = args.popFirst().flatMap(Int.init) { iterations = n } else { files.append(a) }
}
if files.isEmpty {
    files =
        (try? FileManager.default.contentsOfDirectory(atPath: "Examples"))?
        .filter { $0.hasSuffix(".yaml") }.sorted().map { "Examples/\($0)" } ?? []
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

print("LotBenchmark: \(iterations) lot simulations per file, one core, release build")
var checksum = 0
var totalLots = 0
var totalTime = 0.0
for file in files {
    let process: ProcessDefinition
    do { process = try ProcessFile.load(path: file) } catch {
        print("\(file): \(error)")
        exit(1)
    }
    // Warm up, then time.
    for _ in 0..<1000 { checksum &+= (try? LotSimulator.summary(process))?.doses ?? 0 }
    let start = now()
    for _ in 0..<iterations {
        do { checksum &+= try LotSimulator.summary(process).doses } catch { checksum &+= 1 }
    }
    let elapsed = now() - start
    totalLots += iterations
    totalTime += elapsed
    let name = (file as NSString).lastPathComponent
    let padded = name.padding(toLength: 36, withPad: " ", startingAt: 0)
    print(
        padded
            + String(
                format: "%12.0f lots/s  %8.1f ns/lot", Double(iterations) / elapsed, elapsed / Double(iterations) * 1e9)
    )
}
print(
    String(
        format: "all examples: %.0f lots/s (%.1f ns/lot)", Double(totalLots) / totalTime,
        totalTime / Double(totalLots) * 1e9))
print("checksum: \(checksum)")
