import Bioprocess
import Foundation
import TestSupport
import Testing
import VectorFabCommands

/// Each reproducer of "every door refuses what it cannot do" (issue 9), run on the built
/// binary as a user would: a clear error naming the option or field, the value and the limit,
/// a non-zero exit — never a trap, a hang or a runaway allocation.
struct BoundedWorkTests {
    /// A copy of an example demand file, next to the examples so its process path resolves.
    func demand(_ amounts: String) throws -> String {
        let source = try String(contentsOfFile: Repository.path("Examples/capacity/sickle-cell-100-patients.yaml"), encoding: .utf8)
        let text = source.replacingOccurrences(of: "demand: [100, 0, 0, 0, 0, 0]", with: "demand: [\(amounts)]")
        #expect(text != source)
        let path = Repository.path("Examples/capacity/.test-demand-\(UUID().uuidString).yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func refused(_ arguments: [String], saying fragments: [String]) throws {
        let r = try vectorfab(arguments)
        #expect(r.status != 0, "\(arguments) exited 0")
        #expect(r.status < 128, "\(arguments) died of a signal (\(r.status))")
        for f in fragments { #expect(r.err.contains(f), "\(arguments): '\(f)' not in \(r.err)") }
    }

    @Test(arguments: ["1e308", "214748364830", "1e15"])
    func aHugeDemandIsRefusedAtItsLine(amount: String) throws {
        let path = try demand("\(amount), 0, 0")
        defer { try? FileManager.default.removeItem(atPath: path) }
        for command in ["plan", "materials", "simulate-facility"] {
            try refused(
                [command, "Examples/capacity/lv-zone-2015.yaml", path],
                saying: [":11:", "products[0].demand[0]", amount, "more than the limit of 10000000"])
        }
    }

    @Test func aDemandNeedingMoreLotsThanAPlanMayPlaceIsRefused() throws {
        // 4 patients a lot, 85 % of lots passing (the process's costs): 1,000,000 patients need
        // 1,000,000 ÷ 3.4 = 294,118 lots, over the 200,000 limit.
        let path = try demand("1000000")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lots = Int((1_000_000 / (4 * 0.85)).rounded(.up))
        try refused(
            ["plan", "Examples/capacity/lv-zone-2015.yaml", path],
            saying: ["the demand needs \(lots) lots", "more than the \(WorkLimits.plannedLots) a plan may place"])
    }

    @Test func aSimulationThatWouldNeverEndIsRefused() throws {
        // Every lot fails: the demand could never be met, and lots would start without end.
        let always = try demand("100, 0")
        defer { try? FileManager.default.removeItem(atPath: always) }
        var text = try String(contentsOfFile: always, encoding: .utf8)
        text += "    observed: {failure-rate: \"100 %\"}\n"
        try text.write(toFile: always, atomically: true, encoding: .utf8)
        try refused(
            ["simulate-facility", "Examples/capacity/lv-zone-2015.yaml", always, "--replications", "10"],
            saying: ["always fail, so its demand would need lots without end"])
        // 100,000 patients at 4 a lot, 85 % passing: 29,412 lots a replication, × 5,000 replications.
        let big = try demand("100000")
        defer { try? FileManager.default.removeItem(atPath: big) }
        let lots = Int((100_000 / (4 * 0.85)).rounded(.up))
        try refused(
            ["simulate-facility", "Examples/capacity/lv-zone-2015.yaml", big, "--replications", "5000"],
            saying: [
                "5000 replications × about \(lots) lots each",
                "at most \(WorkLimits.simulatedLots / lots) replications for this demand",
            ])
    }

    @Test func tooManyPeriodsAreRefused() throws {
        let path = try demand(Array(repeating: "1", count: WorkLimits.demandPeriods + 1).joined(separator: ", "))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try refused(
            ["plan", "Examples/capacity/lv-zone-2015.yaml", path],
            saying: ["has \(WorkLimits.demandPeriods + 1) periods, more than the limit of \(WorkLimits.demandPeriods)"])
    }

    @Test func outOfRangeCountsOnTheCommandLineAreRefused() throws {
        let peer = "Examples/peer-aav-2000L-montecarlo.yaml"
        try refused(["scale-curve", "Examples/aav-dmd-flasks.yaml", "--scales=99999999999999999999"],
            saying: ["'99999999999999999999' in --scales", "from 1 to 1,000,000"])
        try refused(["uncertainty", peer, "--samples", "9223372036854775807"],
            saying: ["--samples 9223372036854775807 is outside 10–10,000,000"])
        try refused(["uncertainty", peer, "--samples", "2000000000"], saying: ["--samples 2000000000 is outside"])
        try refused(["uncertainty", peer, "--sobol-samples", "9223372036854775807"],
            saying: ["--sobol-samples 9223372036854775807 is outside 0–1,000,000"])
        try refused(["uncertainty", peer, "--samples", "100", "--threads", "100000"], saying: ["--threads 100000 is outside 1–256"])
        try refused(["compare", "Examples/aav-dmd-flasks.yaml", "--doses", "9223372036854775807"],
            saying: ["--doses 9223372036854775807 is outside 1–100,000,000"])
        try refused(
            ["simulate-facility", "Examples/capacity/peer-four-suites.yaml", "Examples/capacity/peer-ten-years.yaml",
                "--replications", "9223372036854775807"],
            saying: ["--replications 9223372036854775807 is outside 1–100,000"])
    }

    @Test func sobolEvaluationsAreBoundedByTheFilesInputs() throws {
        // 13 uncertain inputs: 1,000,000 base samples ask for 15 million lots, within the limit;
        // the limit divided by 15 plus one is over it.
        let over = WorkLimits.sobolEvaluations / 15 + 1
        #expect(over <= WorkLimits.sobolSamples, "the test needs a base count allowed on its own")
        try refused(
            ["uncertainty", "Examples/peer-aav-2000L-montecarlo.yaml", "--samples", "10", "--sobol-samples", "\(over)"],
            saying: ["with 13 uncertain inputs needs", "give --sobol-samples \(WorkLimits.sobolEvaluations / 15) or fewer"])
    }

    @Test func badSobolSamplesAndWidthsAreNamed() throws {
        let peer = "Examples/peer-aav-2000L-montecarlo.yaml"
        try refused(["uncertainty", peer, "--sobol-samples", "many"], saying: ["many", "--sobol-samples"])
        try refused(["uncertainty", peer, "--sobol-samples", "1"], saying: ["--sobol-samples 1: give 0 (no Sobol analysis), 2 or more, or auto"])
        try refused(["uncertainty", peer, "--sobol-samples=-3"], saying: ["--sobol-samples -3 is outside 0–1,000,000"])
        for width in ["0.001", "0.9", "nan"] {
            try refused(["uncertainty", peer, "--sobol-width", width], saying: ["--sobol-width \(width == "nan" ? "nan" : width) is outside 0.01–0.5"])
        }
        try refused(
            ["uncertainty", peer, "--sobol-samples", "100", "--sobol-width", "0.05"],
            saying: ["--sobol-width goes with --sobol-samples auto, not with a number of samples (100)"])
    }

    @Test func badScalesAreNamed() throws {
        let tank = "Examples/aav-dmd-suspension-2000L.yaml"
        try refused(["scale-curve", tank, "--scales", ""], saying: ["--scales is empty"])
        try refused(["scale-curve", tank, "--scales=-50 L"], saying: ["'-50 L' in --scales is not a working volume above 0"])
        try refused(["scale-curve", tank, "--scales=50 L,,200 L"], saying: ["--scales has an empty item"])
        try refused(["scale-curve", tank, "--scales=1e9 L"], saying: ["up to 100,000 L"])
        let many = Array(repeating: "50 L", count: WorkLimits.scales + 1).joined(separator: ",")
        try refused(["scale-curve", tank, "--scales=\(many)"], saying: ["more than the limit of \(WorkLimits.scales)"])
    }

    @Test func anAbsurdPriceInACostFileIsRefusedAtItsLine() throws {
        let folder = Repository.path("Examples/costs")
        let costs = try String(contentsOfFile: "\(folder)/aav-eur-2024.yaml", encoding: .utf8)
            .replacingOccurrences(of: "vial: \"15 EUR\"", with: "vial: \"1e308 EUR\"")
        #expect(costs.contains("1e308 EUR"))
        let name = ".test-costs-\(UUID().uuidString).yaml"
        try costs.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8)
        let process = try String(contentsOfFile: Repository.path("Examples/aav-dmd-suspension-2000L.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "costs: costs/aav-eur-2024.yaml", with: "costs: costs/\(name)")
        let processPath = Repository.path("Examples/.test-process-\(UUID().uuidString).yaml")
        try process.write(toFile: processPath, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: "\(folder)/\(name)")
            try? FileManager.default.removeItem(atPath: processPath)
        }
        try refused(["cost", processPath], saying: ["\(name):", "costs.materials.vial", "'1e308 EUR' is out of range"])
    }

    @Test func transferOffersOnlyTheFormatsItWrites() throws {
        let help = try vectorfab(["transfer", "--help"])
        #expect(help.out.contains("values: text, json"))
        #expect(!help.out.contains("csv"))
        try refused(
            ["transfer", "Examples/aav-dmd-suspension-2000L.yaml", "Examples/capacity/genethon-bioprod-2015.yaml",
                "--format", "csv"],
            saying: ["csv"])
    }

    @Test func billionLaughsIsRefusedByTheCLI() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("laughs-\(UUID().uuidString).yaml").path
        try YAMLBombs.billionLaughs.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(YAMLBombs.billionLaughs.utf8.count > 6_000)
        try refused(["simulate", path], saying: ["aliases expand to more than 10000 values"])
    }
}
