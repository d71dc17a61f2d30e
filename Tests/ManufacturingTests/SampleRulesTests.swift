import Bioprocess
@testable import Manufacturing
import Testing

/// QC result rules as a table, with no database.
struct SampleRulesTests {
    let endotoxin = QCSample(id: "s", batchID: "b", materialLot: nil, test: "Endotoxin", specification: .range(low: nil, high: 5, unit: "EU/mL"), status: .pending)
    let sterility = QCSample(
        id: "t", batchID: "b", materialLot: nil, test: "Sterility", specification: .passFail(criterion: "no growth"), status: .pending)
    let temperature = QCSample(id: "u", batchID: nil, materialLot: nil, test: "Storage", specification: .range(low: -90, high: -60, unit: "°C"), status: .pending)

    @Test(arguments: [
        // value, pass, previous results, reason → passed (nil: refused), message fragment
        (2.0, nil, 0, nil, true, nil), (7.0, nil, 0, nil, false, nil),
        (-3.0, nil, 0, nil, nil, "is negative: a Endotoxin result cannot be below zero"),
        (nil, true, 0, nil, nil, "give a value, not pass/fail"),
        (2.0, nil, 1, nil, nil, "a repeat needs a reason"), (2.0, nil, 1, "  ", nil, "a repeat needs a reason"),
        (2.0, nil, 1, "instrument fault, investigated in DEV-7", true, nil),
    ] as [(Double?, Bool?, Int, String?, Bool?, String?)])
    func numericResults(value: Double?, pass: Bool?, previous: Int, reason: String?, passed: Bool?, message: String?) {
        switch SampleRules.result(for: endotoxin, previousResults: previous, value: value, pass: pass, reason: reason) {
        case .success(let d):
            #expect(d.passed == passed)
            #expect(d.isRepeat == (previous > 0))
            #expect(d.opensOOS == (passed == false))
        case .failure(let e):
            #expect(passed == nil, "refused: \(e.message)")
            #expect(e.message.contains(message ?? "?"), "\(e.message)")
        }
    }

    @Test func everyReasonIsListed() throws {
        guard case .failure(let e) = SampleRules.result(for: endotoxin, previousResults: 2, value: -1, pass: true, reason: nil)
        else { Issue.record("accepted"); return }
        #expect(e.details.count == 3, "\(e.details)")
    }

    @Test func passFailAndSignedUnits() throws {
        #expect(try SampleRules.result(for: sterility, previousResults: 0, value: nil, pass: false, reason: nil).get().opensOOS)
        #expect(throws: GMPError.self) { try SampleRules.result(for: sterility, previousResults: 0, value: 1, pass: nil, reason: nil).get() }
        #expect(try SampleRules.result(for: temperature, previousResults: 0, value: -80, pass: nil, reason: nil).get().passed)
    }
}

/// Recipe limits carry no float noise; forbidden messages read in words.
struct RecipeWordingTests {
    @Test func limitsHaveSixSignificantDigitsAtMost() {
        let noisy = 1.5e6 * 1.1  // 1650000.0000000002
        #expect(noisy != 1_650_000)
        #expect(significant(noisy) == 1_650_000)
        #expect(significant(0.1 + 0.2) == 0.3)
        #expect(significant(2.26e13 * 0.9) == 2.034e13)
    }

    @Test func rolesReadWithTheirArticle() {
        #expect(Role.operator.withArticle == "an operator")
        #expect(Role.qcAnalyst.withArticle == "a QC analyst")
    }
}
