import Bioprocess
import Capacity
import Economics
import Foundation
import Reporting
import Testing
import VectorFabCommands

enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// Runs the built `vectorfab` binary, as a user would.
func vectorfab(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("vectorfab")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        Issue.record("the vectorfab binary is not built next to the tests at \(binary.path)")
        return (-1, "", "")
    }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = Repository.root
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

struct SimulateCommandTests {
    let seed000 = Repository.path("Examples/seed000-aav-200L.yaml")

    @Test func textReportHasItsTablesWithUnits() throws {
        let text = try Commands.simulate(path: seed000, format: .text)
        for heading in ["Key figures", "Seed train", "Production", "Downstream", "Timeline (days from thaw)"] {
            #expect(text.contains(heading), "missing \(heading)")
        }
        #expect(text.contains("Affinity capture"))
        #expect(text.contains(" vg/mL"))
        #expect(text.contains("column 1 L × 1 cycle"))
    }

    @Test func jsonReportIsReadableByAnotherProgram() throws {
        let json = try Commands.simulate(path: seed000, format: .json)
        let data = try JSONDecoder().decode(LotReportData.self, from: Data(json.utf8))
        #expect(data.format == "vectorfab/lot-report/1")
        #expect(data.summary.harvestVolume == Measure(200, "L"))
        #expect(data.downstream.count == 6)
        #expect(data.downstream[2].columnVolume == Measure(1, "L"))
        #expect(data.timeline.last?.phase == "release")
        // Generic JSON too: every quantity is {value, unit}.
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let summary = object?["summary"] as? [String: Any]
        let bulk = summary?["bulkVolume"] as? [String: Any]
        #expect(bulk?["unit"] as? String == "L")
    }

    @Test func csvReportIsOneTidyTable() throws {
        let csv = try Commands.simulate(path: seed000, format: .csv)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "section,item,field,value,unit")
        for line in lines.dropFirst() {
            // Fields with commas are quoted, so a naive split only undercounts inside quotes.
            #expect(line.split(separator: ",", omittingEmptySubsequences: false).count >= 5)
        }
        #expect(csv.contains("summary,"))
        #expect(csv.contains("\"AAV8 liver programme, 200 L suspension (seed 000)\",vials filled,"))
    }

    @Test func theBinaryPrintsTheReportAndSucceeds() throws {
        let r = try vectorfab(["simulate", "Examples/seed000-aav-200L.yaml"])
        #expect(r.status == 0)
        #expect(r.out.contains("Doses per lot"))
    }

    @Test func badInputExitsNonZeroWithTheLocation() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vectorfab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.yaml")
        let text = try String(contentsOfFile: seed000, encoding: .utf8)
            .replacingOccurrences(of: "yield: \"70 %\"", with: "yield: \"170 %\"")
        try text.write(to: bad, atomically: true, encoding: .utf8)
        let r = try vectorfab(["simulate", bad.path])
        #expect(r.status != 0)
        #expect(r.out.isEmpty)
        #expect(r.err.contains("bad.yaml:"))
        #expect(r.err.contains("downstream[2].yield: yield '170 %' is above 100 %"))
        let missing = try vectorfab(["simulate", "no-such-file.yaml"])
        #expect(missing.status != 0)
        #expect(missing.err.contains("cannot read the file 'no-such-file.yaml'"))
        let format = try vectorfab(["simulate", "--format", "xml", "Examples/seed000-aav-200L.yaml"])
        #expect(format.status != 0)
    }
}

struct CompareCommandTests {
    let files = ["aav-dmd-flasks.yaml", "aav-dmd-fixed-bed.yaml", "aav-dmd-suspension-2000L.yaml"].map {
        Repository.path("Examples/\($0)")
    }

    @Test func flasksScaleBadlyInNumbers() throws {
        let json = try Commands.compare(paths: files, doses: 100, format: .json)
        let data = try JSONDecoder().decode(ComparisonReport.Data.self, from: Data(json.utf8))
        let rows = Dictionary(uniqueKeysWithValues: data.rows.map { ($0.platform, $0) })
        let flasks = try #require(rows["flasks"]), bed = try #require(rows["fixed-bed"])
        let tank = try #require(rows["suspension"])
        // Every platform makes the 100 doses.
        for r in data.rows { #expect(r.lots * r.dosesPerLot >= 100) }
        // 100 CellSTACKs make no DMD dose: the lot is scaled up until it makes one.
        #expect(flasks.writtenUnitsPerLot == 100)
        #expect(flasks.unitsPerLot > 100)
        #expect(flasks.totalUnits > 10_000)
        // Orders of magnitude between the platforms.
        #expect(flasks.totalHandlings > 100 * tank.totalHandlings)
        #expect(bed.lots > 5 * tank.lots)
        #expect(tank.totalSuiteTime.value < bed.totalSuiteTime.value)
        let text = try Commands.compare(paths: files, doses: 100, format: .text)
        #expect(text.contains("scaled to the smallest lot that makes one"))
        let csv = try Commands.compare(paths: files, doses: 100, format: .csv)
        #expect(csv.split(separator: "\n").count == 4)
    }

    @Test func differentProductsCannotBeCompared() throws {
        #expect(throws: PlatformComparison.Problem.self) {
            try Commands.compare(
                paths: [files[2], Repository.path("Examples/aav-retina-50L.yaml")], doses: 10, format: .text)
        }
        let r = try vectorfab(["compare", "--doses", "0", "Examples/aav-dmd-flasks.yaml"])
        #expect(r.status != 0)
        #expect(r.err.contains("--doses 0 is outside 1–100,000,000"))
    }
}

struct DiffCommandTests {
    let current = Repository.path("Examples/lv-sickle-cell-current.yaml")
    let industrial = Repository.path("Examples/lv-sickle-cell-industrial.yaml")

    @Test func aFileComparedWithItselfHasNoChanges() throws {
        let text = try Commands.diff(before: current, after: current, format: .text)
        #expect(text.contains("The two files describe the same process."))
        let data = try JSONDecoder().decode(
            DiffReport.Data.self, from: Data(try Commands.diff(before: current, after: current, format: .json).utf8))
        #expect(data.inputs.isEmpty)
        #expect(data.outputs.allSatisfy { $0.before == $0.after })
    }

    @Test func changesAreListedWithRatiosAndTheirEffectOnTheLot() throws {
        let data = try JSONDecoder().decode(
            DiffReport.Data.self, from: Data(try Commands.diff(before: current, after: industrial, format: .json).utf8))
        let moi = try #require(data.inputs.first { $0.path == "product.dose.moi" })
        #expect(moi.ratio == 0.5)
        #expect(data.inputs.contains { $0.path == "seed-train.stages[T175 flask]" && $0.kind == "removed" })
        #expect(data.inputs.contains { $0.path == "production.platform" && $0.after == "suspension" })
        let patients = try #require(data.outputs.first { $0.figure == "Patients per lot" })
        #expect(patients.before < 5 && patients.after > 300)
        #expect(Set(data.changedAreas).isSuperset(of: ["product", "upstream", "downstream", "fill"]))
        let text = try Commands.diff(before: current, after: industrial, format: .text)
        #expect(text.contains("Comparability: the change touches"))
    }

    @Test func equalQuantitiesWrittenDifferentlyAreNotChanges() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vectorfab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let b = dir.appendingPathComponent("b.yaml")
        let text = try String(contentsOfFile: current, encoding: .utf8)
            .replacingOccurrences(of: "medium-per-flask: \"1.3 L\"", with: "medium-per-flask: \"1300 mL\"")
            .replacingOccurrences(of: "yield: \"50 %\"", with: "yield: \"45 %\"")
        try text.write(to: b, atomically: true, encoding: .utf8)
        let data = try JSONDecoder().decode(
            DiffReport.Data.self, from: Data(try Commands.diff(before: current, after: b.path, format: .json).utf8))
        #expect(data.inputs.count == 1)
        #expect(data.inputs.first?.path == "downstream[AEX capture (membrane)].yield")
        #expect(abs((data.inputs.first?.ratio ?? 0) - 0.9) < 1e-12)
    }
}

struct EconomicsCommandTests {
    let dmd = Repository.path("Examples/aav-dmd-suspension-2000L.yaml")
    let peer = Repository.path("Examples/peer-aav-2000L-montecarlo.yaml")

    @Test func costReportsTheBreakdownAndAFairPrice() throws {
        let text = try Commands.cost(path: dmd, format: .text)
        for heading in ["By category and stage", "Per released lot", "Lines", "Fair price per dose", "List ÷ fair"] {
            #expect(text.contains(heading), "missing \(heading)")
        }
        let data = try JSONDecoder().decode(
            CostReport.Data.self, from: Data(try Commands.cost(path: dmd, format: .json).utf8))
        #expect(data.currency == "EUR")
        let sum = data.lines.reduce(0) { $0 + $1.amount }
        #expect(abs(sum - data.perLotMade) < 1e-6 * sum)
        #expect(data.fairPrice!.pricePerDose > data.perDose!)
        #expect(try Commands.cost(path: dmd, format: .csv).hasPrefix("stage,category,item,amount,currency\n"))
    }

    @Test func uncertaintyIsReproducibleAndReadable() throws {
        let json = try Commands.uncertainty(
            path: peer, samples: 5000, seed: 9, threads: 2, targetDoses: 10, sobol: .samples(200), format: .json)
        let again = try Commands.uncertainty(
            path: peer, samples: 5000, seed: 9, threads: 1, targetDoses: 10, sobol: .samples(200), format: .json)
        let a = try JSONDecoder().decode(UncertaintyReport.Data.self, from: Data(json.utf8))
        let b = try JSONDecoder().decode(UncertaintyReport.Data.self, from: Data(again.utf8))
        #expect(a.outputs["cost-per-dose"] == b.outputs["cost-per-dose"])
        #expect(a.inputs.count == 13)
        #expect(a.probabilityOfTarget != nil)
        #expect(a.tornado.first?.input == "production.productivity")
        let text = try Commands.uncertainty(
            path: peer, samples: 2000, seed: 9, threads: 2, targetDoses: 10, sobol: .none, format: .text)
        #expect(text.contains("Probability that a lot makes at least 10 doses"))
        #expect(text.contains("triangular(22, 26, 32) h"))
    }

    @Test func theCommandRunsSobolUntilEveryIntervalIsNarrowerThanTheDefaultWidth() throws {
        // No --sobol-samples: auto, to the default width, on every core (the indices do not
        // depend on the threads).
        let r = try vectorfab(["uncertainty", peer, "--samples", "10", "--seed", "4", "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let data = try JSONDecoder().decode(UncertaintyReport.Data.self, from: Data(r.out.utf8))
        let sampling = try #require(data.sobolSampling)
        #expect(sampling.targetWidth == Sensitivity.defaultIntervalWidth && sampling.reachedTarget)
        let sobol = try #require(data.sobol)
        #expect(sobol.count == 13)
        let widest = sobol.flatMap { [$0.firstOrderInterval[1] - $0.firstOrderInterval[0], $0.totalInterval[1] - $0.totalInterval[0]] }.max()!
        #expect(widest < Sensitivity.defaultIntervalWidth && widest == sampling.widestInterval)
        #expect(sampling.samples >= Sensitivity.firstRoundSamples && sampling.evaluations == sampling.samples * 15)
        let narrower = try vectorfab(["uncertainty", peer, "--samples", "10", "--seed", "4", "--sobol-width", "0.2"])
        #expect(narrower.out.contains("Sampled in 1 round until every 95 % interval was narrower than 0.2"), "\(narrower.out)")
        #expect(narrower.out.contains("Sobol indices of the cost per dose (Saltelli design, \(Fmt.count(Sensitivity.firstRoundSamples)) base samples"))
    }

    @Test func aFileWithNothingUncertainIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The seed-000 example with costs that have no distribution.
        let file = dir.appendingPathComponent("certain.yaml")
        let text =
            try String(contentsOfFile: Repository.path("Examples/seed000-aav-200L.yaml"), encoding: .utf8) + """

                costs:
                  currency: EUR
                  success-rate: "90 %"
                  materials: {medium: "50 EUR/L", plasmid: "80000 EUR/g", reagent: "3000 EUR/g", buffer: "5 EUR/L",
                              seed-vessel: "100 EUR", production-unit: "10000 EUR", vial: "10 EUR", fill-single-use: "2000 EUR"}
                  steps:
                    Depth filtration: {filter: "600 EUR/m²"}
                    Affinity capture: {resin: "100000 EUR/L", resin-lifetime: 30}
                    Concentration and formulation (UF/DF): {membrane: "3500 EUR/m²"}
                    0.2 µm filtration: {filter: "3000 EUR/m²"}
                  labour: {rate: "70 EUR/h", shift-length: "8 h", upstream: {staff: 2, shifts-per-day: 2},
                           downstream: {staff: 4, shifts-per-day: 1}, fill: {staff: 3, shifts-per-day: 1}}
                  qc:
                    per-lot: "50000 EUR"
                    tests:
                      Sterility (Ph. Eur. 2.6.1): "4000 EUR"
                      Endotoxin: "800 EUR"
                      vg titer (ddPCR): "2500 EUR"
                      Capsid titer and full/empty ratio: "5000 EUR"
                      Purity (SDS-PAGE) and identity: "4000 EUR"
                      Infectivity and potency: "10000 EUR"
                      Mycoplasma (PCR): "3000 EUR"
                      Bioburden and vg titer: "1500 EUR"
                      vg titer: "1200 EUR"
                  facility: {yearly-overhead: "3 MEUR", lots-per-year: 12}
                """
        try text.write(to: file, atomically: true, encoding: .utf8)
        #expect(try Commands.cost(path: file.path, format: .text).contains("Per dose"))
        #expect(throws: (any Error).self) {
            try Commands.uncertainty(
                path: file.path, samples: 100, seed: 1, threads: 1, targetDoses: nil, sobol: .none, format: .text)
        }
        let r = try vectorfab(["uncertainty", "Examples/peer-aav-2000L-montecarlo.yaml", "--samples", "5"])
        #expect(r.status != 0)
        #expect(r.err.contains("--samples 5 is outside 10–10,000,000"))
    }

    @Test func scaleCurvesCoverEveryPlatform() throws {
        let files = ["aav-dmd-flasks.yaml", "aav-dmd-fixed-bed.yaml", "aav-dmd-suspension-2000L.yaml"].map {
            Repository.path("Examples/\($0)")
        }
        let rows = try JSONDecoder().decode(
            [ScaleCurveReport.Row].self,
            from: Data(try Commands.scaleCurve(paths: files, scales: nil, format: .json).utf8))
        #expect(Set(rows.map(\.platform)) == ["flasks", "fixed-bed", "suspension"])
        let tank = rows.filter { $0.platform == "suspension" }.compactMap(\.costPerDose)
        #expect(tank.last! < tank.first!)
        let custom = try Commands.scaleCurve(paths: [dmd], scales: "500 L, 1000 L", format: .csv)
        #expect(custom.split(separator: "\n").count == 3)
        #expect(throws: (any Error).self) { try Commands.scaleCurve(paths: [dmd], scales: "66 m²", format: .text) }
    }
}

struct CapacityCommandTests {
    let zone = Repository.path("Examples/capacity/lv-zone-2015.yaml")
    let hundred = Repository.path("Examples/capacity/sickle-cell-100-patients.yaml")

    @Test func planInEveryFormat() throws {
        let text = try Commands.plan(facility: zone, demand: hundred, format: .text)
        #expect(text.contains("Bottleneck: LV zone"))
        #expect(text.contains("all supplied by"))
        let data = try JSONDecoder().decode(
            PlanReport.Data.self, from: Data(try Commands.plan(facility: zone, demand: hundred, format: .json).utf8))
        // 100 patients at 4 a lot, with the process's costs' success rate: lots made for failures too.
        let cycle = try #require(data.lotCycles.first)
        #expect(cycle.successRate < 1 && cycle.successRateSource.contains("costs"))
        #expect(data.lots.count == Int((100 / (Double(data.lots[0].patients) * cycle.successRate)).rounded(.up)))
        #expect(data.dispatch.hasPrefix("Plan and simulation dispatch lots"))
        let csv = try Commands.plan(facility: zone, demand: hundred, format: .csv)
        #expect(csv.hasPrefix("lot,product,stage,suite_or_resource,start,end"))
        #expect(csv.split(separator: "\n").count == 1 + data.lots.reduce(0) { $0 + $1.stages.count })
        let svg = try Commands.plan(facility: zone, demand: hundred, format: .svg)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        // One group with its tooltip per lot on each suite or resource it holds.
        let groups = svg.components(separatedBy: "<title>Lot ").count - 1
        #expect(groups == data.lots.reduce(0) { $0 + Set($1.stages.map(\.on)).count })
        for lot in data.lots { #expect(svg.contains("<title>Lot \(lot.number) · \(lot.product) · \(lot.suite)"), "lot \(lot.number)") }
    }

    @Test func facilitySimulationMaterialsAndTransferRun() throws {
        let peerF = Repository.path("Examples/capacity/peer-four-suites.yaml")
        let peerD = Repository.path("Examples/capacity/peer-ten-years.yaml")
        let text = try Commands.simulateFacility(
            facility: peerF, demand: peerD, replications: 50, seed: 3, threads: 2, format: .text)
        #expect(text.contains("Lots passed per suite-year"))
        let json = try Commands.simulateFacility(
            facility: peerF, demand: peerD, replications: 50, seed: 3, threads: 1, format: .json)
        let again = try Commands.simulateFacility(
            facility: peerF, demand: peerD, replications: 50, seed: 3, threads: 2, format: .json)
        let a = try JSONDecoder().decode(FacilitySimulationReport.Data.self, from: Data(json.utf8))
        let b = try JSONDecoder().decode(FacilitySimulationReport.Data.self, from: Data(again.utf8))
        #expect(a.products[0].served == b.products[0].served)
        let materials = try Commands.materials(facility: zone, demand: hundred, format: .csv)
        #expect(materials.contains(",plasmid,"))
        let transfer = try Commands.transfer(
            process: Repository.path("Examples/aav-dmd-suspension-2000L.yaml"),
            facility: Repository.path("Examples/capacity/genethon-bioprod-2015.yaml"), format: .text)
        #expect(transfer.contains("Verdict: runs with changes"))
        let r = try vectorfab(["simulate-facility", peerF, peerD, "--replications", "0"])
        #expect(r.status != 0)
    }
}
