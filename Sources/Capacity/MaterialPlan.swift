/// Key raw materials a plan needs, month by month, with the latest day to order each given its
/// supplier's lead time (seed 003: plasmids are a key raw material, with long lead times).
public struct MaterialPlan: Sendable {
    public struct Line: Sendable, Hashable {
        public var month: CalendarDate
        public var material: Material
        public var quantity: Double
        /// The first day a lot of the month uses it.
        public var firstUse: CalendarDate
        /// First use minus the supplier's lead time; nil if the facility gives none.
        public var latestOrder: CalendarDate?
    }

    public var lines: [Line]

    /// When each material is used in a lot: medium from the start of expansion, plasmid and
    /// reagent at production, buffer and resin at purification, vials at fill.
    static func stage(of m: Material) -> PlanStage {
        switch m {
        case .medium: .expansion
        case .plasmid, .reagent: .production
        case .buffer, .resin: .purification
        case .vials: .fill
        }
    }

    public init(_ plan: Plan) {
        let f = plan.facility
        struct Key: Hashable { var year: Int; var month: Int; var material: Material }
        var totals: [Key: (quantity: Double, first: Double)] = [:]
        for lot in plan.lots {
            guard let t = plan.templates[lot.product] else { continue }
            for (material, amount) in t.materials where amount > 0 {
                let wanted = Self.stage(of: material)
                let day =
                    lot.bookings.filter { $0.stage == wanted }.map(\.start).min()
                    ?? lot.bookings.filter { $0.stage != .changeover }.map(\.start).min() ?? 0
                let date = f.start.adding(days: day)
                let key = Key(year: date.year, month: date.month, material: material)
                let old = totals[key] ?? (0, .infinity)
                totals[key] = (old.quantity + amount, min(old.first, day))
            }
        }
        lines = totals.map { key, value in
            Line(
                month: CalendarDate(year: key.year, month: key.month, day: 1), material: key.material,
                quantity: value.quantity,
                firstUse: f.start.adding(days: value.first),
                latestOrder: f.leadTimes[key.material].map { f.start.adding(days: value.first - $0) })
        }.sorted {
            ($0.month, Material.allCases.firstIndex(of: $0.material)!) < (
                $1.month, Material.allCases.firstIndex(of: $1.material)!
            )
        }
    }
}
