/// Checks a plan independently of the planner that made it: no suite or resource holds more
/// than its capacity at any moment, nothing runs during a closure of what it uses, every lot's
/// stages follow each other, suites observe the changeover between lots, QC release follows fill,
/// and every lot runs in a suite able to make it.
///
/// It is deliberately simple (pairwise and sweep checks over all bookings) so that it does not
/// share the planner's shortcuts.
public enum PlanValidator {
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        public var lot: Int
        public var message: String
        public var description: String { "lot \(lot): \(message)" }
    }

    public static func validate(_ plan: Plan) -> [Violation] {
        let f = plan.facility
        var out: [Violation] = []
        let eps = 1e-6

        // Suites: eligible, one lot at a time, changeovers respected.
        for lot in plan.lots {
            guard let product = plan.demand.products.first(where: { $0.name == lot.product }) else {
                out.append(Violation(lot: lot.number, message: "product '\(lot.product)' is not in the demand"))
                continue
            }
            if !f.suites[lot.suite].canRun(product.process) {
                out.append(
                    Violation(lot: lot.number, message: "suite \(f.suites[lot.suite].name) cannot run \(lot.product)"))
            }
        }
        for (s, suite) in f.suites.enumerated() {
            let lots = plan.lots.filter { $0.suite == s }
            let spans = lots.map { lot -> (lot: PlannedLot, start: Double, end: Double) in
                let own = lot.bookings.filter { $0.holder == .suite(s) && $0.stage != .changeover }
                return (lot, own.map(\.start).min() ?? 0, own.map(\.end).max() ?? 0)
            }.sorted { $0.start < $1.start }
            for (a, b) in zip(spans, spans.dropFirst()) {
                let needed = f.changeover.days(previous: a.lot.product, next: b.lot.product)
                if b.start < a.end + needed - eps {
                    out.append(
                        Violation(
                            lot: b.lot.number,
                            message:
                                "starts in \(suite.name) \(b.start - a.end) days after lot \(a.lot.number) leaves; the changeover needs \(needed)"
                        ))
                }
            }
        }

        // Capacity of shared resources: sweep over every booking start.
        for (r, resource) in f.resources.enumerated() {
            let bookings = plan.lots.flatMap { lot in
                lot.bookings.filter { $0.holder == .resource(r) }.map { (lot.number, $0) }
            }
            for (number, b) in bookings {
                let used = bookings.reduce(0) {
                    $0 + ($1.1.start <= b.start + eps && b.start < $1.1.end - eps ? $1.1.units : 0)
                }
                if used > resource.capacity {
                    out.append(
                        Violation(
                            lot: number,
                            message:
                                "\(resource.name) holds \(used) at day \(b.start), over its capacity \(resource.capacity)"
                        ))
                }
            }
        }

        // Closures, chain order, release after fill.
        for lot in plan.lots {
            for b in lot.bookings where b.stage != .changeover && b.stage != .release {
                let name: String
                switch b.holder {
                case .suite(let i): name = f.suites[i].name
                case .resource(let r): name = f.resources[r].name
                }
                for c in f.closures where c.applies(to: name) && c.from < b.end - eps && b.start + eps < c.to {
                    out.append(
                        Violation(lot: lot.number, message: "\(b.stage.rawValue) on \(name) runs during \(c.name)"))
                }
            }
            func isStaff(_ h: Holder) -> Bool {
                if case .resource(let r) = h { return f.resources[r].kind == .staff }
                return false
            }
            let chain = lot.bookings.filter {
                [.expansion, .production, .purification, .fill].contains($0.stage) && !isStaff($0.holder)
            }
            .sorted { $0.start < $1.start }
            for (a, b) in zip(chain, chain.dropFirst()) where abs(b.start - a.end) > eps && b.stage != a.stage {
                out.append(
                    Violation(
                        lot: lot.number, message: "\(b.stage.rawValue) does not follow \(a.stage.rawValue) at once"))
            }
            let fillEnd = chain.map(\.end).max() ?? 0
            if lot.released < fillEnd - eps {
                out.append(Violation(lot: lot.number, message: "released before its production ends"))
            }
            if lot.released > plan.horizon + eps {
                out.append(Violation(lot: lot.number, message: "released after the horizon"))
            }
        }
        return out
    }
}
