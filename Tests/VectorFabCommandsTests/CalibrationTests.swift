import Bioprocess
import Capacity
import FileFormats
import Foundation
import Manufacturing
import Store
import Testing
import VectorFabCommands

/// Batch records made by hand from the seed-000 process's own recipe, each value stated, so
/// that every fitted figure can be computed from the table.
enum CalibrationFixture {
    static let process: ProcessDefinition = try! ProcessFile.load(
        path: Repository.path("Examples/seed000-aav-200L.yaml"))
    static let recipe: MasterRecipe = try! RecipeGenerator.generate(process)

    /// Purification phases by step index (`3.<step + 1>.1`).
    static func stepPhase(_ step: Int) -> String { "3.\(step + 1).1" }

    /// One batch: every parameter at its target unless `values` (by phase id and parameter)
    /// says otherwise; each unit procedure takes `hours[name]` (default 1 min: entries typed in
    /// together), its phases evenly; titers as (test, panel, unit, value); released after
    /// `releaseHours`.
    static func batch(
        _ id: String, status: BatchStatus = .released, values: [String: Double] = [:], hours: [String: Double] = [:],
        titers: [(String, ReleasePanel?, String, Double)] = [], releaseHours: Double = 0.01,
        recipe: MasterRecipe = recipe
    ) -> CalibrationBatch {
        var t = Date(timeIntervalSince1970: 1_800_000_000)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var entries: [BatchEntry] = []
        for u in recipe.unitProcedures {
            let phases = u.operations.flatMap(\.phases)
            let each = (hours[u.name] ?? 1.0 / 60) * 3600 / Double(phases.count)
            for ph in phases {
                for p in ph.parameters {
                    entries.append(
                        BatchEntry(
                            id: "\(id)-\(entries.count)", batchID: id, phaseID: ph.id, kind: .value, parameter: p.name,
                            value: values["\(ph.id) \(p.name)"] ?? p.target, userID: "u", at: f.string(from: t)))
                }
                t += each
                entries.append(
                    BatchEntry(
                        id: "\(id)-\(entries.count)", batchID: id, phaseID: ph.id, kind: .completion, userID: "u",
                        at: f.string(from: t)))
            }
        }
        var samples: [QCSample] = [], results: [QCResult] = []
        for (k, (test, panel, unit, value)) in titers.enumerated() {
            samples.append(
                QCSample(
                    id: "\(id)-s\(k)", batchID: id, materialLot: nil, test: test, panel: panel,
                    specification: .range(low: 0, high: nil, unit: unit), status: .passed))
            results.append(
                QCResult(
                    id: "\(id)-r\(k)", sampleID: "\(id)-s\(k)", value: value, pass: true, analystID: "q",
                    at: f.string(from: t)))
        }
        return CalibrationBatch(
            id: id, status: status, recipe: recipe, entries: entries, samples: samples, results: results,
            releasedAt: status == .released ? f.string(from: t + releaseHours * 3600) : nil)
    }

    static let timeToHarvest = "2.2.1 Time to harvest"
}

struct CalibrationFitTests {
    typealias F = CalibrationFixture

    /// The fitted normal is the sample mean and the sample standard deviation (n − 1) of the
    /// recorded values, to 4 significant digits; equal values give `fixed`.
    @Test(arguments: [
        ([70.0, 72, 77], Distribution.normal(mean: 73, sd: 3.606)),  // sd = √((9 + 1 + 16) / 2) = √13
        ([72.0, 72], Distribution.fixed(72)),
        ([60.0, 84], Distribution.normal(mean: 72, sd: 16.97)),  // sd = 12√2
    ])
    func productionDurationIsTheRecordedTimeToHarvest(values: [Double], expected: Distribution) throws {
        let batches = values.enumerated().map { F.batch("B-\($0.offset)", values: [F.timeToHarvest: $0.element]) }
        let c = try Calibration.fit(process: F.process, batches: batches)
        let fitted = try #require(c.inputs.first { $0.path.description == "production.duration" })
        #expect(fitted.unit == "h")
        #expect(fitted.values == values)
        #expect(fitted.batches.count == values.count)
        switch (fitted.distribution, expected) {
        case (.normal(let m, let s), .normal(let em, let es)):
            #expect(abs(m - em) < 1e-9 && abs(s - es) / es < 1e-3, "\(fitted.distribution)")
        case (.fixed(let x), .fixed(let ex)): #expect(x == ex)
        default: Issue.record("fitted \(fitted.distribution), expected \(expected)")
        }
        #expect(fitted.yaml.contains("\" h\"") == false && fitted.yaml.contains(" h\""))
    }

    @Test func postThawViabilityIsFittedInPercent() throws {
        let batches = [90.0, 94, 98].enumerated().map {
            F.batch("B-\($0.offset)", values: ["1.1.1 Post-thaw viability": $0.element])
        }
        let c = try Calibration.fit(process: F.process, batches: batches)
        let fitted = try #require(c.inputs.first { $0.path.description == "cell-line.bank.viability" })
        #expect(fitted.distribution == .normal(mean: 94, sd: 4))
        #expect(fitted.yaml == "{normal: {mean: \"94 %\", sd: \"4 %\"}}")
    }

    /// Failure rate: the Jeffreys posterior mean (failed + ½) / (finished + 1).
    @Test(arguments: [(3, 0, 0.125), (3, 1, 0.3), (10, 0, 0.5 / 11), (2, 2, 2.5 / 5)])
    func failureRateIsTheJeffreysPosteriorMean(released: Int, rejected: Int, expected: Double) throws {
        let batches =
            (0..<released).map { F.batch("R-\($0)") } + (0..<rejected).map { F.batch("X-\($0)", status: .rejected) }
        let c = try Calibration.fit(process: F.process, batches: batches + [F.batch("P-1", status: .inProgress)])
        #expect(c.failure.finished == released + rejected)
        #expect(c.failure.failed == rejected)
        #expect(abs(c.failure.rate - expected) < 1e-12)
        if released < Calibration.minimumBatches {
            #expect(c.inputs.isEmpty)
        }
    }

    /// Affinity capture yield = (titer × volume out after it) / (titer × volume out after depth
    /// filtration): with 200 L at 1e10 vg/mL before and 4 L at 3.5e11, 3.25e11, 3.75e11 vg/mL
    /// after, 70 %, 65 %, 75 %: normal(70 %, 5 %). The drug substance is measured only after three
    /// more steps: reported, not split.
    @Test func stepYieldComesFromTitersTimesVolumes() throws {
        let batches = [3.5e11, 3.25e11, 3.75e11].enumerated().map { k, after in
            F.batch(
                "B-\(k)", values: ["\(F.stepPhase(1)) Volume out": 200, "\(F.stepPhase(2)) Volume out": 4],
                titers: [
                    ("Bioburden and vg titer", nil, "vg/mL", 1e10), ("vg titer", nil, "vg/mL", after),
                    ("vg titer (ddPCR)", .drugSubstance, "vg/mL", 2e13),
                    ("Capsid titer and full/empty ratio", .drugSubstance, "% full capsids", 70),
                ])
        }
        let c = try Calibration.fit(process: F.process, batches: batches)
        let fitted = try #require(c.inputs.first { $0.path.description == "downstream[2].yield" })
        guard case .normal(let m, let s) = fitted.distribution else {
            Issue.record("\(fitted.distribution)")
            return
        }
        #expect(abs(m - 70) < 1e-9 && abs(s - 5) < 1e-9)
        #expect(fitted.unit == "%" && abs((fitted.modelled ?? 0) - 70) < 1e-9)
        #expect(
            !c.inputs.contains {
                $0.path.description.hasPrefix("downstream[0]") || $0.path.description.hasPrefix("downstream[1]")
            })
        #expect(c.notes.contains { $0.contains("not split") && $0.contains("Hold at 2–8 °C") })
        #expect(c.notes.contains { $0.contains("Detergent lysis and nuclease, Depth filtration") })
    }

    @Test func noTiterMeansNoYield() throws {
        let c = try Calibration.fit(process: F.process, batches: [F.batch("B-1"), F.batch("B-2")])
        #expect(!c.inputs.contains { $0.path.description.contains("yield") })
        #expect(c.notes.contains { $0.contains("volumes alone do not give a yield") })
    }

    /// Stages recorded as they happened: expansion 13, 14, 15 d → normal(14 d, 1 d); release
    /// 20 and 22 d; and a record typed in within minutes gives production from the model's
    /// growth plus the recorded time to harvest, other stages not fitted.
    @Test func stageDurationsComeFromTimestamps() throws {
        let real = [(13.0, 20.0), (14, 21), (15, 22)].enumerated().map { k, d in
            F.batch(
                "B-\(k)", hours: ["Cell expansion": d.0 * 24, "Production": 96, "Purification": 72, "Fill": 10],
                releaseHours: d.1 * 24)
        }
        let c = try Calibration.fit(process: F.process, batches: real)
        let expansion = try #require(c.stages["expansion"])
        guard case .normal(let m, let s) = expansion.distribution else {
            Issue.record("\(expansion.distribution)"); return
        }
        #expect(abs(m - 14) < 1e-9 && abs(s - 1) < 1e-9)
        #expect(c.stages["production"]?.distribution == .fixed(4))
        #expect(c.stages["purification"]?.distribution == .fixed(3))
        #expect(c.stages["release"]?.distribution == .normal(mean: 21, sd: 1))

        let typed = try Calibration.fit(
            process: F.process,
            batches: [70.0, 74].enumerated().map { F.batch("T-\($0.offset)", values: [F.timeToHarvest: $0.element]) })
        #expect(typed.stages["expansion"] == nil && typed.stages["release"] == nil)
        #expect(typed.notes.contains { $0.contains("Expansion stage") && $0.contains("not kept as the work was done") })
        let growth = try LotReport.simulate(F.process).summary.growthTime.value(in: "d")
        let production = try #require(typed.stages["production"])
        #expect(abs(production.distribution.mean - (growth + 72 / 24)) < 1e-3)
        #expect(production.values == [growth + 70 / 24, growth + 74 / 24])
    }

    @Test func refusesTooFewBatches() {
        let e = #expect(throws: CalibrationError.self) {
            try Calibration.fit(process: F.process, batches: [F.batch("B-1"), F.batch("B-2", status: .complete)])
        }
        #expect(e?.description.contains("at least 2 finished") == true, "\(String(describing: e))")
    }

    @Test func refusesAProcessTheBatchesDidNotRun() throws {
        let other = try ProcessFile.load(path: Repository.path("Examples/aav-retina-50L.yaml"))
        let e = #expect(throws: CalibrationError.self) {
            try Calibration.fit(process: other, batches: [F.batch("B-1"), F.batch("B-2")])
        }
        #expect(
            e?.description.contains("no finished batch ran a recipe of the process") == true, "\(String(describing: e))"
        )
        // Same process name, another shape: a phase that records something else.
        var changed = F.recipe
        changed.unitProcedures[1].operations[1].phases[0].parameters[0].name = "Hours to harvest"
        let mismatch = #expect(throws: CalibrationError.self) {
            try Calibration.fit(
                process: F.process, batches: [F.batch("B-1", recipe: changed), F.batch("B-2", recipe: changed)])
        }
        #expect(mismatch?.description.contains("Hours to harvest") == true, "\(String(describing: mismatch))")
    }
}

struct YAMLTextEditorTests {
    static let text = """
        # top comment
        vectorfab: x
        production:
          duration: "3 d"      # harvest 72 h after transfection
          units: 1
        downstream:
          - {step: hold, name: Hold, yield: 98 %}
          - step: ufdf
            yield: {uniform: ["80 %", "95 %"]}   # a range
            flux: "30 L/m²/h"
          - step: sterile-filtration
            yield:
              pert: ["90 %", "95 %", "98 %"]
            capacity: "200 L/m²"
        products:
          - name: A
            observed:
              fill: "0 d"   # none
          - {name: B, process: b.yaml}
        """

    @Test(arguments: [
        (
            "production.duration", "{normal: {mean: \"72 h\", sd: \"2 h\"}}",
            "  duration: {normal: {mean: \"72 h\", sd: \"2 h\"}}      # harvest 72 h after transfection"
        ),
        ("downstream[0].yield", "\"97 %\"", "  - {step: hold, name: Hold, yield: \"97 %\"}"),
        ("downstream[1].yield", "\"90 %\"", "    yield: \"90 %\"   # a range"),
    ])
    func replacesOnlyTheValue(path: String, value: String, line: String) throws {
        let components: [FieldPath.Component] = path.split(separator: ".").flatMap { part -> [FieldPath.Component] in
            if let open = part.firstIndex(of: "[") {
                return [
                    .key(String(part[..<open])),
                    .index(Int(part[part.index(after: open)..<part.index(before: part.endIndex)])!),
                ]
            }
            return [.key(String(part))]
        }
        let out = try YAMLTextEditor.replacing(FieldPath(components), with: .flow(value), in: Self.text, file: "t.yaml")
        let before = Self.text.components(separatedBy: "\n"), after = out.components(separatedBy: "\n")
        #expect(before.count == after.count)
        let changed = zip(before, after).filter { $0 != $1 }.map(\.1)
        #expect(changed == [line])
    }

    /// A distribution written as a block mapping becomes one line.
    @Test func replacesABlockValue() throws {
        let out = try YAMLTextEditor.replacing(
            FieldPath([.key("downstream"), .index(2), .key("yield")]), with: .flow("\"96 %\""), in: Self.text,
            file: "t.yaml")
        #expect(out.contains("    yield: \"96 %\"\n    capacity: \"200 L/m²\"\n"), "\(out)")
        #expect(!out.contains("pert"))
        #expect(
            YAMLTextEditor.node(
                at: FieldPath([.key("downstream"), .index(2), .key("yield")]),
                in: try DocumentLoader.parse(out, file: "t.yaml"))?.value == .scalar("96 %", quoted: true))
    }

    @Test func insertsIntoBlockAndFlowMappings() throws {
        var out = try YAMLTextEditor.inserting(
            "release", .flow("\"20 d\""), into: FieldPath([.key("products"), .index(0), .key("observed")]),
            in: Self.text, file: "t.yaml")
        out = try YAMLTextEditor.inserting(
            "observed", .block([("failure-rate", "\"10 %\""), ("production", "\"4 d\"")]),
            into: FieldPath([.key("products"), .index(1)]),
            in: out, file: "t.yaml")
        #expect(out.contains("      fill: \"0 d\"   # none\n      release: \"20 d\"\n"))
        #expect(out.contains("  - {name: B, process: b.yaml, observed: {failure-rate: \"10 %\", production: \"4 d\"}}"))
        let root = try DocumentLoader.parse(out, file: "t.yaml")
        #expect(
            YAMLTextEditor.node(
                at: FieldPath([.key("products"), .index(1), .key("observed"), .key("production")]), in: root) != nil)
    }

    @Test func relativePaths() {
        #expect(CalibrationFiles.relativePath(from: "/a/b", to: "/a/c/p.yaml") == "../c/p.yaml")
        #expect(CalibrationFiles.relativePath(from: "/a/b", to: "/a/b/p.yaml") == "p.yaml")
    }
}

struct CalibrateCommandTests {
    /// The demo site's three released batches, calibrated: the written process file's
    /// production duration is the mean and sd of the batches' recorded times to harvest, the
    /// affinity yield the mean of their titer × volume ratios (both read back from the store
    /// here, not typed in), the file simulates, and the demand file drives `simulate-facility`.
    @Test func calibratesTheDemoSiteFromItsBatches() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vectorfab-calibrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = dir.appendingPathComponent("demo.sqlite").path
        let store = try await GMPStore.open(.sqlite(path: database), passwordIterations: 1000)
        let accounts = try await Demo.fill(store, library: Repository.path("Examples"))
        let eve = try #require(accounts.first { $0.role == .engineer })
        let (_, user) = try await store.login(username: eve.username, password: eve.password)
        var hours: [Double] = [], yields: [Double] = []
        for b in try await store.batches(user, status: .released) {
            let r = try await store.batchRecord(user, batch: b.id)
            hours += r.entries.filter { $0.parameter == "Time to harvest" }.compactMap(\.value)
            func vg(_ test: String, _ phase: String) -> Double? {
                guard let s = r.samples.first(where: { $0.test == test && $0.panel == nil }),
                    let titer = r.results.last(where: { $0.sampleID == s.id })?.value,
                    let litres = r.entries.last(where: { $0.phaseID == phase && $0.parameter == "Volume out" })?.value
                else { return nil }
                return titer * litres * 1000
            }
            if let before = vg("Bioburden and vg titer", "3.2.1"), let after = vg("vg titer", "3.3.1") {
                yields.append(after / before * 100)
            }
        }
        try await store.close()
        #expect(hours.count == 3 && yields.count == 3)

        let env = ["VECTORFAB_USER": eve.username, "VECTORFAB_PASSWORD": eve.password]
        let out = dir.appendingPathComponent("seed000-calibrated.yaml").path
        let demandOut = dir.appendingPathComponent("peer-calibrated.yaml").path
        let run = try vectorfab(
            [
                "calibrate", "--database", database, "--process", "Examples/seed000-aav-200L.yaml", "--output", out,
                "--demand", "Examples/capacity/peer-ten-years.yaml", "--demand-output", demandOut, "--save-as",
                "seed000-calibrated.yaml",
            ], environment: env)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("from 3 finished batches"), "\(run.out)")

        // The process file reads back with the fitted distributions, and simulates.
        let issues = IssueCollector()
        let process = ProcessReader.parse(
            try DocumentLoader.load(path: out), issues: issues, extensions: ProcessFile.extensions)
        #expect(issues.issues.isEmpty, "\(issues.issues)")
        let hour = Quantity<Duration>(1, "h").canonical
        let (mean, sd) = Calibration.meanAndSD(hours)
        let duration = try #require(issues.uncertain.first { $0.path.description == "production.duration" })
        guard case .normal(let m, let s) = duration.distribution.distribution else {
            Issue.record("\(duration.distribution)")
            return
        }
        // Written to 4 significant digits.
        #expect(
            abs(m / hour - mean) / mean < 1e-3 && abs(s / hour - sd) / sd < 1e-3,
            "\(m / hour) h, \(s / hour) h vs \(mean), \(sd)")
        let yield = try #require(issues.uncertain.first { $0.path.description == "downstream[2].yield" })
        #expect(abs(yield.distribution.distribution.mean * 100 - Calibration.meanAndSD(yields).mean) < 0.01)
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("# Calibrated by `vectorfab calibrate`"))
        #expect(
            try String(contentsOfFile: out, encoding: .utf8).contains("# HEK293 in suspension: 20–30 h"),
            "comments are kept")
        _ = try LotReport.simulate(process)
        #expect(try vectorfab(["simulate", out]).status == 0)

        // The demand file: observed production and failure rate from the batches, run by simulate-facility.
        let demand = try DemandFile.load(path: demandOut)
        let observed = try #require(demand.products.first?.observed)
        #expect(observed.failureRate == 0.125)  // 0 rejected of 3: (0 + ½) / (3 + 1)
        #expect(observed.production != nil)
        #expect(
            observed.expansion?.distribution == .triangular(low: 12, mode: 14, high: 16), "not fitted: kept as it was")
        let facility = try vectorfab([
            "simulate-facility", "Examples/capacity/peer-four-suites.yaml", demandOut, "--replications", "20",
        ])
        #expect(facility.status == 0, "\(facility.err)")

        // Saved in the store's library as a new process-file version.
        let reopened = try await GMPStore.open(.sqlite(path: database), passwordIterations: 1000)
        let (_, again) = try await reopened.login(username: eve.username, password: eve.password)
        #expect(try await reopened.processFileVersions(again, name: "seed000-calibrated.yaml").count == 1)
        try await reopened.close()

        // Refusals: another process; an existing output.
        let other = try vectorfab(
            [
                "calibrate", "--database", database, "--process", "Examples/aav-retina-50L.yaml", "--output",
                dir.appendingPathComponent("x.yaml").path,
            ],
            environment: env)
        #expect(other.status != 0)
        #expect(other.err.contains("no finished batch ran a recipe of the process"), "\(other.err)")
        let existing = try vectorfab(
            ["calibrate", "--database", database, "--process", "Examples/seed000-aav-200L.yaml", "--output", out],
            environment: env)
        #expect(existing.status != 0 && existing.err.contains("--force"), "\(existing.err)")
    }
}
