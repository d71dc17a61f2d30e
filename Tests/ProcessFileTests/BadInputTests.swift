import Bioprocess
import FileFormats
import Foundation
import Testing

/// Where the repository's files are, from this source file.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }
}

/// A broken copy of an example: the first occurrence of `old` replaced by `new`.
func mutated(_ example: String, replacing old: String, with new: String) throws -> String {
    let text = try Repository.text("Examples/\(example)")
    guard let range = text.range(of: old) else {
        Issue.record("'\(old)' is not in \(example)")
        return text
    }
    return text.replacingCharacters(in: range, with: new)
}

/// The 1-based line of the first line containing `needle`.
func line(of needle: String, in text: String) -> Int? {
    text.components(separatedBy: "\n").firstIndex { $0.contains(needle) }.map { $0 + 1 }
}

/// The issues a text produces; records a test issue if it is accepted.
func issues(_ text: String, file: String = "bad.yaml") -> [DefinitionIssue] {
    do {
        _ = try ProcessFile.parse(text, file: file)
        Issue.record("the file was accepted")
        return []
    } catch {
        return error.issues
    }
}

/// Every kind of bad input gets a clear error: file, line, column, field path, what was
/// expected — and never a crash.
struct BadInputTests {
    let example = "seed000-aav-200L.yaml"

    @Test func malformedYAMLNamesItsLine() throws {
        let text = try mutated(example, replacing: "  platform: suspension", with: "  platform: [suspension")
        let found = issues(text)
        #expect(found.count == 1)
        let issue = try #require(found.first)
        #expect(issue.location?.file == "bad.yaml")
        #expect(issue.message.contains("not valid YAML or JSON"))
        #expect((issue.location?.line ?? 0) >= line(of: "platform: [suspension", in: text)!)
    }

    @Test func unknownFieldIsNamedWithASuggestionAndTheExpectedFields() throws {
        let text = try mutated(example, replacing: "  working-volume: \"200 L\"", with: "  workin-volume: \"200 L\"")
        let found = issues(text)
        let unknown = try #require(found.first { $0.message.contains("unknown field 'workin-volume'") })
        #expect(unknown.message.contains("did you mean 'working-volume'?"))
        #expect(unknown.path.description == "production.workin-volume")
        #expect(unknown.location?.line == line(of: "workin-volume", in: text))
        #expect(unknown.location?.column == 3)
        #expect(unknown.expected?.contains("working-volume") == true)
        // The field it replaced is now missing too.
        #expect(
            found.contains {
                $0.message == "missing field 'working-volume'" && $0.path.description == "production.working-volume"
            })
    }

    @Test func missingFieldPointsAtItsMapping() throws {
        let text = try mutated(
            example, replacing: "  duration: \"3 d\"                         # harvest 72 h after transfection\n",
            with: "")
        let issue = try #require(issues(text).first)
        #expect(issue.message == "missing field 'duration'")
        #expect(issue.path.description == "production.duration")
        #expect(issue.expected?.contains("a duration") == true)
        #expect(issue.location?.line == line(of: "platform: suspension", in: text))
    }

    @Test func wrongUnitSaysWhatWasExpected() throws {
        let text = try mutated(example, replacing: "working-volume: \"200 L\"", with: "working-volume: \"200 kg\"")
        let issue = try #require(issues(text).first)
        #expect(issue.path.description == "production.working-volume")
        #expect(issue.message.contains("not the unit this field needs"))
        #expect(issue.expected?.contains("a volume such as") == true)
        #expect(issue.location?.line == line(of: "200 kg", in: text))
        #expect(issue.location?.column == 19)
    }

    @Test func missingUnitIsAnErrorNotAGuess() throws {
        let text = try mutated(example, replacing: "working-volume: \"200 L\"", with: "working-volume: 200")
        let issue = try #require(issues(text).first)
        #expect(issue.message == "'200' has no unit")
        #expect(issue.expected?.contains("L, mL") == true)
    }

    @Test func unknownUnitIsNamed() throws {
        let text = try mutated(example, replacing: "doubling-time: \"24 h\"", with: "doubling-time: \"24 hrs\"")
        let issue = try #require(issues(text).first)
        #expect(issue.message.contains("'hrs' is not a known unit"))
        #expect(issue.path.description == "cell-line.doubling-time")
    }

    @Test func vectorCountedInTheOtherUnitIsRefused() throws {
        let text = try mutated(example, replacing: "amount: \"5e12 vg/kg\"", with: "amount: \"5e12 TU/kg\"")
        let issue = try #require(issues(text).first)
        #expect(issue.message.contains("counts vector in TU, but this product counts it in vg"))
    }

    @Test(arguments: [
        ("doubling-time: \"24 h\"", "doubling-time: \"-24 h\"", "cell-line.doubling-time", "is not positive"),
        ("doubling-time: \"24 h\"", "doubling-time: .inf", "cell-line.doubling-time", "does not start with a number"),
        ("doubling-time: \"24 h\"", "doubling-time: \"1e999 h\"", "cell-line.doubling-time", "not a finite number"),
        (
            "doubling-time: \"24 h\"", "doubling-time: \"nan h\"", "cell-line.doubling-time",
            "does not start with a number"
        ),
        ("    yield: \"70 %\"", "    yield: \"120 %\"", "downstream[2].yield", "is above 100 %"),
        ("    yield: \"70 %\"", "    yield: 1.2", "downstream[2].yield", "is above 100 %"),
        ("    yield: \"70 %\"", "    yield: \"0 %\"", "downstream[2].yield", "is not above 0"),
        ("  units: 1", "  units: -3", "production.units", "out of range"),
        ("  units: 1", "  units: 1.5", "production.units", "is not a whole number"),
        ("  platform: suspension", "  platform: roller-bottles", "production.platform", "is not a known value"),
        ("vectorfab: vectorfab/process/1", "vectorfab: vectorfab/process/2", "vectorfab", "not a process format"),
    ])
    func outOfRangeNumbersAreNamed(old: String, new: String, path: String, message: String) throws {
        let text = try mutated(example, replacing: old, with: new)
        let found = issues(text)
        let issue = try #require(found.first { $0.path.description == path }, "\(found)")
        #expect(issue.message.contains(message), "\(issue)")
        #expect(issue.location?.line == line(of: new, in: text))
        #expect(issue.expected != nil)
    }

    @Test func aSeedTrainThatCanNeverReachItsTargetNamesTheStage() throws {
        // A 10 L seed bioreactor (max one) cannot hold the 8e10 cells the 200 L production needs.
        let text = try mutated(
            example, replacing: "      working-volume: \"40 L\"", with: "      working-volume: \"10 L\"")
        let issue = try #require(issues(text).first)
        #expect(issue.path.description == "seed-train.stages[4]")
        #expect(issue.message.contains("can never reach its target"))
        #expect(issue.message.contains("would need 3 vessels but allows at most 1"))
        #expect(issue.location?.line == line(of: "- name: Seed bioreactor 50 L", in: text))
    }

    @Test func aSplitDensityBelowSeedingCanNeverGrow() throws {
        let text = try mutated(
            example, replacing: "split-density: \"3e6 cells/mL\"       # passaged",
            with: "split-density: \"0.2e6 cells/mL\"       # passaged")
        let issue = try #require(issues(text).first)
        #expect(issue.path.description == "seed-train.stages[0]")
        #expect(issue.message.contains("split density is not above its seeding density"))
    }

    @Test func densityPerSurfaceInASuspensionIsRefused() throws {
        let text = try mutated(
            example, replacing: "seeding-density: \"0.4e6 cells/mL\"", with: "seeding-density: \"2e4 cells/cm²\"")
        let issue = try #require(issues(text).first)
        #expect(issue.path.description == "production.seeding-density")
        #expect(issue.message.contains("is per surface but the platform is suspension"))
    }

    @Test func everyMistakeIsReportedAtOnce() throws {
        var text = try mutated(example, replacing: "working-volume: \"200 L\"", with: "working-volume: \"200 kg\"")
        text = text.replacingOccurrences(of: "    yield: \"70 %\"", with: "    yield: \"170 %\"")
        text = text.replacingOccurrences(of: "  retained-vials: 6", with: "  retained-vials: 6\n  retained-vial: 6")
        let paths = Set(issues(text).map(\.path.description))
        #expect(paths.isSuperset(of: ["production.working-volume", "downstream[2].yield", "qc.retained-vial"]))
    }

    @Test func theMessageReadsFileLineColumnPathAndExpectation() throws {
        let text = try mutated(example, replacing: "working-volume: \"200 L\"", with: "working-volume: \"200 kg\"")
        let issue = try #require(issues(text).first)
        let l = line(of: "200 kg", in: text)!
        #expect(issue.description.hasPrefix("bad.yaml:\(l):19: production.working-volume: '200 kg' is in kg"))
        #expect(issue.description.contains("; expected a volume such as \"200 L\""))
    }

    @Test func duplicateKeysAreRefused() throws {
        let text = try mutated(example, replacing: "  units: 1\n", with: "  units: 1\n  units: 2\n")
        let issue = try #require(issues(text).first)
        #expect(issue.message.contains("written twice"))
    }

    @Test func emptyAndMissingFilesAreErrorsToo() throws {
        #expect(issues("").first?.message == "the file is empty")
        #expect(issues("- a\n- b\n").first?.message.contains("is a list") == true)
        do {
            _ = try ProcessFile.load(path: "/nonexistent/process.yaml")
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.issues.first?.message == "cannot read the file '/nonexistent/process.yaml'")
        }
    }

    @Test func jsonErrorsHaveLinesAndColumnsToo() throws {
        let json = """
            {
              "vectorfab": "vectorfab/process/1",
              "name": "x",
              "bogus": 1
            }
            """
        let found = issues(json, file: "bad.json")
        let unknown = try #require(found.first { $0.message.hasPrefix("unknown field 'bogus'") })
        #expect(unknown.location == SourceLocation(file: "bad.json", line: 4, column: 3))
        #expect(found.contains { $0.message == "missing field 'product'" })
    }
}

/// Mistakes found by reviewing the reader against the schema.
struct ReaderConsistencyTests {
    let example = "seed000-aav-200L.yaml"

    @Test(arguments: [
        ("  vials-per-hour: 60", "  vials-per-hour: \"6000 %\"", "fill.vials-per-hour", "written with a unit"),
        ("    elution-volumes: 4", "    elution-volumes: \"4 L\"", "downstream[2].elution-volumes", "not the unit"),
        (
            "    column-volume: \"1 L\"", "    column-volume: \"1 L\"\n    max-column-volume: \"2 L\"",
            "downstream[2].max-column-volume", "installed 'column-volume'"
        ),
        (
            "    name: Hold at 2–8 °C pending in-process titer", "    name: Affinity capture", "downstream[3]",
            "two steps are called 'Affinity capture'"
        ),
        (
            "split-density: \"3e6 cells/mL\"       # passaged", "split-density: \"3e6 cells/cm²\"       # passaged",
            "seed-train.stages[0].split-density", "mixes a density per surface and a density per volume"
        ),
    ])
    func refused(old: String, new: String, path: String, message: String) throws {
        let text = try mutated(example, replacing: old, with: new)
        let found = issues(text)
        let issue = try #require(found.first { $0.path.description == path }, "\(found)")
        #expect(issue.message.contains(message), "\(issue)")
    }

    @Test func yamlAliasesCopyTheAnchoredValue() throws {
        let text = try mutated(
            example, replacing: "  units: 1", with: "  units: 1\n  harvests: &two 2\n  medium-exchanges: *two")
        let p = try ProcessFile.parse(text, file: "alias.yaml")
        #expect(p.production.harvests == 2)
        #expect(p.production.mediumExchanges == 2)
    }
}

/// The new process fields (issue 14) refuse what cannot be meant, naming the field and line.
struct ProcessModelInputTests {
    @Test(arguments: [
        // A time course needs what a cell makes, not a harvest titer.
        ("lv-sickle-cell-current.yaml", "  handlings-per-unit:", "  half-life: \"10 h\"\n  handlings-per-unit:", "production.productivity", "time course"),
        ("lv-sickle-cell-industrial.yaml", "  duration: \"3 d\"\n", "  duration: \"3 d\"\n  harvests: 3\n", "production.harvests", "both 'perfusion'"),
        ("lv-sickle-cell-industrial.yaml", "[\"20 %\", \"40 %\", \"40 %\"]", "[\"20 %\", \"40 %\", \"30 %\"]", "production.profile", "add up to 90 %"),
        ("lv-sickle-cell-industrial.yaml", "[\"20 %\", \"40 %\", \"40 %\"]", "[\"20 %\", \"140 %\", \"40 %\"]", "production.profile[1]", "is not a share"),
        ("lv-sickle-cell-industrial.yaml", "perfusion: {rate: 1, start: \"1 d\"}", "perfusion: {start: \"1 d\"}", "production.perfusion", "missing field 'rate'"),
        ("lv-sickle-cell-industrial.yaml", "particles-per-tu: 300", "full-capsids: \"20 %\"", "production.full-capsids", "this product is LV"),
        ("seed000-aav-200L.yaml", "  full-capsids: \"20 %\"", "  particles-per-tu: 300", "production.particles-per-tu", "this product is AAV"),
        ("seed000-aav-200L.yaml", "  full-capsids: \"20 %\"", "  full-capsids: \"80 %\"\n  partial-capsids: \"30 %\"", "production.partial-capsids", "more than 100 %"),
        ("seed000-aav-200L.yaml", "binding-capacity: \"5e13 cp/mL\"", "binding-capacity: \"5e13 VP/mL\"", "downstream[2].binding-capacity", "counts vector in VP"),
        ("aav-dmd-suspension-2000L.yaml", "    full-empty-resolution: 0.5", "    full-empty-resolution: -1", "downstream[4].full-empty-resolution", "not positive"),
        ("aav-dmd-suspension-2000L.yaml", "    loading: \"80 %\"                  # peer model", "    full-empty-resolution: 0.5\n    loading: \"80 %\"", "downstream[3].full-empty-resolution", "bind-elute AEX"),
        ("lv-car-t-cd19.yaml", "    moi: \"3 TU/cell\"", "    moi: \"3 TU/cell\"\n    patient-weight: \"70 kg\"", "product.dose.patient-weight", "both 'cells-per-patient'"),
        ("lv-car-t-cd19.yaml", "    moi: \"3 TU/cell\"", "    moi: \"3 TU/cell\"\n    label-concentration: \"1e9 TU/mL\"", "product.dose.label-concentration", "ex vivo"),
        ("aav-dmd-suspension-2000L.yaml", "    patient-weight: \"20 kg\"  # boys of 4–7 years", "    patient-weight: \"30 kg\"", "product.dose.patient-weight", "no kit for the patient's weight"),
        ("aav-dmd-suspension-2000L.yaml", "{up-to: \"17.5 kg\"", "{up-to: \"12 kg\"", "product.dose.kits[1].up-to", "ascending order"),
        ("aav-dmd-suspension-2000L.yaml", "    label-concentration: \"1.33e13 vg/mL\"", "    # no label", "product.dose.kits", "labelled concentration"),
        ("aav-dmd-suspension-2000L.yaml", "{weight: \"24 kg\", share: \"15 %\"}", "{weight: \"28 kg\", share: \"15 %\"}", "product.dose.patient-mix[3].weight", "above every kit's weight band"),
        ("aav-dmd-suspension-2000L.yaml", "{weight: \"24 kg\", share: \"15 %\"}", "{weight: \"24 kg\", share: \"25 %\"}", "product.dose.patient-mix", "add up to 110 %"),
        ("aav-dmd-suspension-2000L.yaml", "    kits:    ", "    kitz:    ", "product.dose.patient-mix", "is for kits by weight band"),
        // Production systems (item 4).
        ("aav-bev-sf9-200L.yaml", "co-infection: poisson", "co-infection: binomial", "production.infection.co-infection", "not a known co-infection model"),
        ("aav-bev-sf9-200L.yaml", "{name: Bac-FIX transgene, share: \"50 %\"}", "{name: Bac-FIX transgene, share: \"40 %\"}", "production.infection.viruses", "add up to 90 %"),
        ("aav-bev-sf9-200L.yaml", "duration: \"3 d\", titer: \"1e8 pfu/mL\"}", "duration: \"3 d\", titer: \"1e8 vg/mL\"}", "production.infection.amplification.passages[1].titer", "not the unit"),
        ("aav-bev-sf9-200L.yaml", "    amplification:  ", "    amplification:\n      titer: \"1e8 pfu/mL\"  ", "production.infection.amplification.titer", "beside 'passages'"),
        ("aav-bev-sf9-200L.yaml", "{name: P1, moi: \"0.01 pfu/cell\", ", "{name: P1, ", "production.infection.amplification.passages[0].moi", "missing field"),
        ("aav-bev-sf9-200L.yaml", "{name: P1, moi: \"0.01 pfu/cell\", ", "{name: P1, mio: 1, moi: \"0.01 pfu/cell\", ", "production.infection.amplification.passages[0].mio", "did you mean 'moi'"),
        ("lv-stable-producer.yaml", "  stable-producer:", "  transfection: {plasmid: \"1 pg/cell\", reagent: PEI, reagent-ratio: 2}\n  stable-producer:", "production.stable-producer", "more than one of"),
        ("lv-stable-producer.yaml", "    inducer: doxycycline             # Tet-On producer clone\n", "", "production.stable-producer.inducer", "missing field"),
        ("lv-stable-producer.yaml", "harvest-schedule: [\"2 d\", \"3 d\"]", "harvest-schedule: [\"2 d\", \"4 d\"]", "production.harvest-schedule[1]", "within the production's duration"),
        ("lv-stable-producer.yaml", "harvest-schedule: [\"2 d\", \"3 d\"]", "harvest-schedule: [\"2 d\", \"1 d\"]", "production.harvest-schedule[1]", "not after the one before"),
    ])
    func aNewFieldMisusedIsNamed(example: String, old: String, new: String, path: String, message: String) throws {
        let text = try mutated(example, replacing: old, with: new)
        let found = issues(text)
        let issue = try #require(found.first { $0.path.description == path }, "\(found)")
        #expect(issue.message.contains(message), "\(issue)")
        #expect(issue.location != nil && issue.expected != nil)
    }

    /// A column sized on capsids needs the capsids: refused when the production states none.
    @Test func aCapacityInCapsidsNeedsTheFullShare() throws {
        let text = try mutated("seed000-aav-200L.yaml", replacing: "  full-capsids: \"20 %\"", with: "")
        #expect(text.contains("  vg-per-iu: 50"))
        let found = issues(text.replacingOccurrences(of: "  vg-per-iu: 50", with: ""))
        #expect(found.contains { $0.path.description == "downstream[2]" && $0.message.contains("binds capsids") }, "\(found)")
    }
}
