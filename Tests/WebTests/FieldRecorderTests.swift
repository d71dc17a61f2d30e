import APIBodies
import Bioprocess
import Foundation
import Manufacturing
import Testing

/// A body's fields are its properties: read from its `Decodable` conformance, not listed again.
struct FieldRecorderTests {
    @Test func aBodysFieldsAndChoicesComeFromItsProperties() {
        #expect(LotBody.fields == ["item", "supplier", "supplierLot", "quantity", "expiry", "retest"])
        #expect(SampleBody.fields == ["batch", "materialLot", "test", "panel", "specification"])
        #expect(TransitionBody.choices == ["to": DeviationStatus.allCases.map(\.rawValue)])
        #expect(SampleBody.choices["panel"] == ReleasePanel.allCases.map(\.rawValue), "an optional choice is found too")
        #expect(UserBody.choices["role"] == Role.allCases.map(\.rawValue))
        // Lists and maps are fields too, and the fields after them are still found.
        #expect(CompareBody.fields == ["processes", "doses"])
        #expect(ScaleCurveBody.fields == ["processes", "costs", "scales"])
        #expect(FacilitySimulationBody.fields == ["facility", "demand", "processes", "replications", "seed"])
    }

    /// A nested object's fields are its own, not the body's.
    @Test func nestedFieldsStayNested() {
        struct Inner: Decodable { var depth: Int }
        struct Outer: StrictBody { var name: String; var inner: Inner }
        #expect(Outer.fields == ["name", "inner"])
    }

    @Test func anUnknownFieldIsRefusedWithTheFieldsExpected() {
        #expect(throws: BadRequest.self) { try BodyDecoder.decode(RetestBody.self, from: Data(#"{"until":"2027-01-01","reason":"r","password":"p","x":1}"#.utf8)) }
        do {
            _ = try BodyDecoder.decode(RetestBody.self, from: Data(#"{"untill":"2027-01-01"}"#.utf8))
        } catch {
            #expect(error.message == "unknown field: untill")
            #expect(error.details == ["expected fields: code, password, reason, until"])
        }
    }
}
