import Bioprocess
import Foundation
import Manufacturing
import Testing

/// One specification type from the process file to the API, read as recipes were always stored.
struct SpecificationTests {
    @Test(arguments: [
        (#"{"high":5,"unit":"EU/mL"}"#, QCSpecification.range(low: nil, high: 5, unit: "EU/mL")),
        (#"{"low":1e13,"high":3e13,"unit":"vg/mL"}"#, .range(low: 1e13, high: 3e13, unit: "vg/mL")),
        (#"{"criterion":"no growth"}"#, .passFail(criterion: "no growth")),
    ])
    func aSpecificationStoredByEarlierVersionsReadsTheSameAndWritesBackTheSame(json: String, spec: QCSpecification) throws {
        let decoded = try JSONDecoder().decode(QCSpecification.self, from: Data(json.utf8))
        #expect(decoded == spec)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let again = try JSONDecoder().decode(QCSpecification.self, from: try encoder.encode(decoded))
        #expect(again == spec)
    }

    @Test(arguments: [
        (#"{"low":6,"unit":"pH","criterion":"clear"}"#, "not both"),
        (#"{"low":6}"#, "needs its unit"),
        (#"{"low":9,"high":6,"unit":"pH"}"#, "low limit 9 is above its high limit 6"),
        (#"{"min":6,"unit":"pH"}"#, "unknown field 'min'"),
        (#"{}"#, "needs a low or a high limit"),
        (#"{"unit":"pH"}"#, "a unit goes with a low or a high limit"),
    ])
    func anythingElseIsRefusedWithItsReason(json: String, words: String) {
        do {
            _ = try JSONDecoder().decode(QCSpecification.self, from: Data(json.utf8))
            Issue.record("\(json) was read")
        } catch {
            #expect("\(error)".contains(words), "\(error)")
        }
    }

    @Test func limitsReadWithTheSignificantDigitsOfTheFile() {
        #expect(QCSpecification.range(low: 1650000.0000000002, high: nil, unit: "cells/mL").text == "≥ 1.65e+06 cells/mL")
        #expect(QCSpecification.range(low: 36.5, high: 37.5, unit: "°C").text == "36.5–37.5 °C")
        #expect(QCSpecification.passFail(criterion: "no growth").text == "pass: no growth")
    }
}
