import Economics
import Foundation
import Reporting
import Testing
import VectorFabCommands

/// JSON never fails where text works: every command's `--format json` on every example
/// (lots that make no dose among them) gives a document another program can read, with each
/// non-finite figure written `null` and its reason beside it.
struct JSONReportTests {
    static let processes = [
        "seed000-aav-200L.yaml", "aav-dmd-flasks.yaml", "aav-dmd-fixed-bed.yaml", "aav-dmd-suspension-2000L.yaml",
        "aav-retina-50L.yaml", "aav-retina-50L.json", "lv-sickle-cell-current.yaml", "lv-sickle-cell-industrial.yaml",
        "peer-aav-2000L-montecarlo.yaml",
    ].map { "Examples/\($0)" }
    static let sites = [
        ("lv-zone-2015.yaml", "sickle-cell-100-patients.yaml"), ("peer-four-suites.yaml", "peer-ten-years.yaml"),
        ("lv-industrial-suite.yaml", "sickle-cell-industrial-demand.yaml"),
        ("genethon-bioprod-2015.yaml", "genethon-clinical-programmes.yaml"),
        ("dmd-2000L-suite.yaml", "dmd-demand.yaml"),
    ].map { (Repository.path("Examples/capacity/\($0.0)"), Repository.path("Examples/capacity/\($0.1)")) }

    /// Parses a JSON report and returns every `…NonFinite` note in it.
    func notes(_ json: String) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        var found: [String] = []
        func walk(_ x: Any) {
            if let d = x as? [String: Any] {
                for (k, v) in d {
                    if k.hasSuffix("NonFinite") {
                        found.append(k)
                        #expect(d[String(k.dropLast("NonFinite".count))] is NSNull || d[String(k.dropLast("NonFinite".count))] is [Any], "\(k) is beside no null")
                    }
                    walk(v)
                }
            } else if let a = x as? [Any] {
                a.forEach(walk)
            }
        }
        walk(object)
        return found
    }

    /// Runs a command's text form; when it works, its JSON form must work and parse.
    func bothWork(_ name: String, text: () throws -> String, json: () throws -> String) throws -> [String] {
        guard (try? text()) != nil else { return [] }
        let out: String
        do { out = try json() } catch {
            Issue.record("\(name): text works but json fails: \(error)")
            return []
        }
        return try notes(out)
    }

    @Test(arguments: processes)
    func processCommands(file: String) throws {
        let path = Repository.path(file)
        _ = try bothWork("simulate \(file)", text: { try Commands.simulate(path: path, format: .text) },
            json: { try Commands.simulate(path: path, format: .json) })
        _ = try bothWork("cost \(file)", text: { try Commands.cost(path: path, format: .text) },
            json: { try Commands.cost(path: path, format: .json) })
        _ = try bothWork("scale-curve \(file)", text: { try Commands.scaleCurve(paths: [path], scales: nil, format: .text) },
            json: { try Commands.scaleCurve(paths: [path], scales: nil, format: .json) })
        let notes = try bothWork("uncertainty \(file)",
            text: {
                try Commands.uncertainty(path: path, samples: 200, seed: 1, threads: 1, targetDoses: 1, sobol: .samples(20), format: .text)
            },
            json: {
                try Commands.uncertainty(path: path, samples: 200, seed: 1, threads: 1, targetDoses: 1, sobol: .samples(20), format: .json)
            })
        for site in Self.sites {
            _ = try bothWork("transfer \(file)", text: { try Commands.transfer(process: path, facility: site.0, format: .text) },
                json: { try Commands.transfer(process: path, facility: site.0, format: .json) })
        }
        if file.hasSuffix("aav-dmd-flasks.yaml") {
            // 100 flasks make no dose: the cost per dose is infinite in every sample.
            #expect(notes.contains("p50NonFinite"))
        }
    }

    @Test func comparisonsAndDiffs() throws {
        let all = Self.processes.map(Repository.path)
        _ = try bothWork("compare", text: { try Commands.compare(paths: all, doses: 10, format: .text) },
            json: { try Commands.compare(paths: all, doses: 10, format: .json) })
        _ = try bothWork("diff", text: { try Commands.diff(before: all[6], after: all[7], format: .text) },
            json: { try Commands.diff(before: all[6], after: all[7], format: .json) })
    }

    @Test func capacityCommands() throws {
        for (f, d) in Self.sites {
            _ = try bothWork("plan \(d)", text: { try Commands.plan(facility: f, demand: d, format: .text) },
                json: { try Commands.plan(facility: f, demand: d, format: .json) })
            _ = try bothWork("materials \(d)", text: { try Commands.materials(facility: f, demand: d, format: .text) },
                json: { try Commands.materials(facility: f, demand: d, format: .json) })
            _ = try bothWork("simulate-facility \(d)",
                text: { try Commands.simulateFacility(facility: f, demand: d, replications: 5, seed: 1, threads: 1, format: .text) },
                json: { try Commands.simulateFacility(facility: f, demand: d, replications: 5, seed: 1, threads: 1, format: .json) })
        }
    }

    @Test func userTextThatLooksLikeTheMarkerStaysText() throws {
        struct Named: Encodable { var name: String; var x: Double }
        let json = try Reporting.encodeJSON(Named(name: "@@vectorfab-non-finite:nan@@", x: .nan))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["name"] as? String == "@@vectorfab-non-finite:nan@@")
        #expect(object["x"] is NSNull)
    }

    @Test func nonFiniteFiguresAreNullWithTheirReason() throws {
        struct Figures: Encodable {
            var costPerDose: Double
            var doses: Double
            var columns: [String: [Double]]
            var last: Double
        }
        let json = try Reporting.encodeJSON(
            Figures(costPerDose: .infinity, doses: 0, columns: ["x": [1, .nan, .nan]], last: -.infinity))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["costPerDose"] is NSNull)
        #expect((object["costPerDoseNonFinite"] as? String)?.hasPrefix("infinite") == true)
        #expect(object["lastNonFinite"] as? String == "negative infinite: a figure divided by zero")
        #expect(object["doses"] as? Double == 0)
        let columns = try #require(object["columns"] as? [String: Any])
        #expect((columns["x"] as? [Any])?.count == 3)
        #expect((columns["xNonFinite"] as? String)?.hasPrefix("2 values are null, undefined") == true)
    }
}
