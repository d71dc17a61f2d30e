import Economics
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import Testing
import VectorFabCommands

@testable import Web

/// Each computation of the API answers what its command prints with `--format json`, from
/// the same files sent as texts; out-of-bounds work is refused with a 400.
struct ComputeEndpointTests {
    static func text(_ path: String) throws -> String { try String(contentsOfFile: Repository.path(path), encoding: .utf8) }

    /// JSON as a value, with the run times (which differ from run to run) left out.
    static func value(_ text: String) throws -> NSObject {
        func strip(_ v: Any) -> Any {
            if let d = v as? [String: Any] { return d.filter { $0.key != "seconds" }.mapValues(strip) }
            if let a = v as? [Any] { return a.map(strip) }
            return v
        }
        return strip(try JSONSerialization.jsonObject(with: Data(text.utf8))) as! NSObject
    }

    @Test func everyComputationAnswersWhatItsCommandPrints() async throws {
        let w = try await World.make()
        let dmd = ["Examples/aav-dmd-flasks.yaml", "Examples/aav-dmd-fixed-bed.yaml", "Examples/aav-dmd-suspension-2000L.yaml"]
        let suspension = "Examples/aav-dmd-suspension-2000L.yaml"
        let costFile = try #require(try Self.text(suspension).split(separator: "\n").first { $0.hasPrefix("costs:") })
        let costPath = "Examples/" + costFile.dropFirst("costs:".count).split(separator: "#")[0].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        let zone = "Examples/capacity/lv-zone-2015.yaml", hundred = "Examples/capacity/sickle-cell-100-patients.yaml"
        let demandText = try Self.text(hundred)
        let processName = try #require(demandText.split(separator: "\n").first { $0.contains("process:") })
            .split(separator: ":", maxSplits: 1)[1].split(separator: "#")[0].trimmingCharacters(in: .whitespaces)
        let processText = try Self.text("Examples/capacity/" + processName)
        // The cost file the process's costs: names, by that name: its success rate counts.
        let costBase = try #require(processText.split(separator: "\n").first { $0.contains("base:") })
            .split(separator: ":", maxSplits: 1)[1].split(separator: "#")[0].trimmingCharacters(in: .whitespaces)
        let processes = [
            processName: processText,
            costBase: try Self.text("Examples/" + costBase),
        ]
        let mc = "Examples/peer-aav-2000L-montecarlo.yaml"
        let cases: [(String, [String: Any], String)] = [
            ("/api/compare", ["processes": try dmd.map(Self.text), "doses": 100],
             try Commands.compare(paths: dmd.map(Repository.path), doses: 100, format: .json)),
            ("/api/diff", ["before": try Self.text("Examples/lv-sickle-cell-current.yaml"), "after": try Self.text("Examples/lv-sickle-cell-industrial.yaml")],
             try Commands.diff(before: Repository.path("Examples/lv-sickle-cell-current.yaml"), after: Repository.path("Examples/lv-sickle-cell-industrial.yaml"), format: .json)),
            ("/api/cost", ["process": try Self.text(suspension), "costs": try Self.text(costPath)], try Commands.cost(path: Repository.path(suspension), format: .json)),
            ("/api/scale-curve", ["processes": [try Self.text(suspension)], "costs": [try Self.text(costPath)], "scales": "50 L,500 L"],
             try Commands.scaleCurve(paths: [Repository.path(suspension)], scales: "50 L,500 L", format: .json)),
            ("/api/uncertainty", ["process": try Self.text(mc), "samples": 5000, "seed": 4, "targetDoses": 10, "sobolSamples": 0],
             try Commands.uncertainty(path: Repository.path(mc), samples: 5000, seed: 4, threads: 2, targetDoses: 10, sobol: .none, format: .json)),
            // Without sobolSamples, the command's default: until every interval is narrower than 0.05.
            ("/api/uncertainty", ["process": try Self.text(mc), "samples": 100, "seed": 4],
             try Commands.uncertainty(path: Repository.path(mc), samples: 100, seed: 4, threads: 2, targetDoses: nil, sobol: .automatic, format: .json)),
            ("/api/uncertainty", ["process": try Self.text(mc), "samples": 100, "seed": 4, "sobolWidth": 0.2],
             try Commands.uncertainty(path: Repository.path(mc), samples: 100, seed: 4, threads: 2, targetDoses: nil, sobol: .narrowerThan(0.2), format: .json)),
            ("/api/plan", ["facility": try Self.text(zone), "demand": demandText, "processes": processes],
             try Commands.plan(facility: Repository.path(zone), demand: Repository.path(hundred), format: .json)),
            ("/api/materials", ["facility": try Self.text(zone), "demand": demandText, "processes": processes],
             try Commands.materials(facility: Repository.path(zone), demand: Repository.path(hundred), format: .json)),
            ("/api/simulate-facility", ["facility": try Self.text(zone), "demand": demandText, "processes": processes, "replications": 20, "seed": 5],
             try Commands.simulateFacility(facility: Repository.path(zone), demand: Repository.path(hundred), replications: 20, seed: 5, threads: 1, format: .json)),
            ("/api/transfer", ["process": try Self.text(suspension), "facility": try Self.text("Examples/capacity/genethon-bioprod-2015.yaml")],
             try Commands.transfer(process: Repository.path(suspension), facility: Repository.path("Examples/capacity/genethon-bioprod-2015.yaml"), format: .json)),
        ]
        let table = Box(cases)
        try await w.app().test(.router) { client in
            for (uri, body, expected) in table.value {
                let (status, answer, raw) = try await client.call(.post, uri, token: w.tokens[.qa], body)
                #expect(status == .ok, "\(uri): \(answer)")
                #expect(try Self.value(String(buffer: raw)) == (try Self.value(expected)), "\(uri) answers what the command prints")
            }
            let refusals: [(String, [String: Any])] = [
                ("/api/uncertainty", ["process": try Self.text(mc), "samples": 2_000_000]),
                ("/api/uncertainty", ["process": try Self.text(mc), "samples": 10, "sobolSamples": 1]),
                ("/api/uncertainty", ["process": try Self.text(mc), "samples": 10, "sobolWidth": 0.001]),
                ("/api/uncertainty", ["process": try Self.text(mc), "samples": 10, "sobolSamples": 100, "sobolWidth": 0.05]),
                ("/api/simulate-facility", ["facility": try Self.text(zone), "demand": demandText, "processes": processes, "replications": 5000]),
                ("/api/plan", ["facility": try Self.text(zone), "demand": demandText, "processes": [:] as [String: String]]),
                ("/api/cost", ["process": try Self.text(suspension)]),
                ("/api/compare", ["processes": [String](), "doses": 100]),
                ("/api/scale-curve", ["processes": [try Self.text(suspension)], "costs": [try Self.text(costPath)], "scales": "50 m²"]),
            ]
            for (uri, body) in refusals {
                let (status, answer, _) = try await client.call(.post, uri, token: w.tokens[.qa], body)
                #expect(status == .badRequest, "\(uri): \(answer)")
                #expect((answer["message"] as? String)?.isEmpty == false)
            }
        }
    }
}
