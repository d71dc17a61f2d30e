import Bioprocess
import Manufacturing
import Testing

struct MaterialRulesTests {
    func lot(_ status: MaterialStatus, expiry: String = "2030-01-01") -> MaterialLot {
        MaterialLot(id: "L1", item: "MEDIUM", supplier: "S", supplierLot: "1", quantity: 10, remaining: 10, expiry: expiry, status: status)
    }

    @Test(arguments: [
        (MaterialStatus.sampled, true, [("Identity", true as Bool?)], "2030-01-01", nil),
        (.sampled, false, [], "2030-01-01", nil),
        (.quarantine, true, [], "2030-01-01", "has not been sampled and tested"),
        (.sampled, true, [("Identity", nil), ("Bioburden", false)], "2030-01-01", "test 'Identity' has no passing result"),
        (.sampled, true, [("Identity", true)], "2020-01-01", "expired on 2020-01-01"),
        (.sampled, true, [("Identity", true)], "2026-09-21", "expired on 2026-09-21"),
        (.released, true, [("Identity", true)], "2030-01-01", "is already released"),
        // Rejecting a released lot is a recall.
        (.released, false, [], "2030-01-01", nil),
        (.rejected, false, [], "2030-01-01", "is already rejected"),
    ] as [(MaterialStatus, Bool, [(String, Bool?)], String, String?)])
    func qaDecidesOnALot(status: MaterialStatus, release: Bool, tests: [(String, Bool?)], expiry: String, refusal: String?) {
        let r = MaterialRules.decide(
            lot(status, expiry: expiry), release: release, tests: tests.map { (test: $0.0, passed: $0.1) }, today: "2026-09-21")
        #expect(r?.message.contains(refusal ?? "") ?? (refusal == nil), "\(r?.message ?? "accepted")")
        #expect((r == nil) == (refusal == nil))
    }

    @Test func everyReasonIsListed() {
        let r = MaterialRules.decide(
            lot(.sampled, expiry: "2020-01-01"), release: true,
            tests: [(test: "Identity", passed: false), (test: "Bioburden", passed: nil)], today: "2026-09-21")
        #expect(r?.details.count == 3)
    }
}
