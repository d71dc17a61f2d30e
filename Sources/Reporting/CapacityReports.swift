import Capacity
import Foundation

/// Views of a material plan.
public enum MaterialPlanReport {
    public static func text(_ m: MaterialPlan, title: String) -> String {
        var out = "Material requirements — \(title)\n"
        var t = TextTable(["month", "material", "quantity", "unit", "first use", "order by"], rightAligned: [2])
        for l in m.lines {
            t.add([
                "\(l.month.year)-\(l.month.month < 10 ? "0" : "")\(l.month.month)", l.material.rawValue,
                Fmt.number(l.quantity),
                l.material.unit, l.firstUse.description, l.latestOrder?.description ?? "(no lead time)",
            ])
        }
        out += t.render()
        return out
    }

    public struct Row: Codable, Sendable {
        public var month: String
        public var material: String
        public var quantity: Double
        public var unit: String
        public var firstUse: String
        public var latestOrder: String?
    }

    public static func rows(_ m: MaterialPlan) -> [Row] {
        m.lines.map {
            Row(
                month: String($0.month.description.prefix(7)), material: $0.material.rawValue, quantity: $0.quantity,
                unit: $0.material.unit, firstUse: $0.firstUse.description, latestOrder: $0.latestOrder?.description)
        }
    }

    public static func csv(_ m: MaterialPlan) -> String {
        var out = [["month", "material", "quantity", "unit", "first_use", "latest_order"]]
        for r in rows(m) {
            out.append([r.month, r.material, "\(r.quantity)", r.unit, r.firstUse, r.latestOrder ?? ""])
        }
        return csvDocument(out)
    }
}

/// Views of a tech-transfer assessment.
public enum TechTransferReport {
    public static func text(_ t: TechTransfer) -> String {
        var out = "Tech transfer — \(t.process) to \(t.facility)\nVerdict: \(t.verdict.rawValue)\n\n"
        var s = TextTable(["stage", "carried by", "needs"])
        for st in t.stages {
            s.add([st.stage, st.carriedBy.isEmpty ? "—" : st.carriedBy.joined(separator: ", "), st.requirement])
        }
        out += s.render()
        if !t.changes.isEmpty {
            out += "\nWhat must change\n"
            for c in t.changes { out += "- \(c)\n" }
        }
        if !t.missing.isEmpty {
            out += "\nWhat is missing\n"
            for m in t.missing { out += "- \(m)\n" }
        }
        return out
    }

    public struct Data: Codable, Sendable {
        public var format = "vectorfab/tech-transfer/1"
        public var process: String
        public var facility: String
        public var verdict: String
        public var stages: [Stage]
        public var changes: [String]
        public var missing: [String]

        public struct Stage: Codable, Sendable {
            public var stage: String
            public var carriedBy: [String]
            public var needs: String
        }
    }

    public static func data(_ t: TechTransfer) -> Data {
        Data(
            process: t.process, facility: t.facility, verdict: t.verdict.rawValue,
            stages: t.stages.map { Data.Stage(stage: $0.stage, carriedBy: $0.carriedBy, needs: $0.requirement) },
            changes: t.changes, missing: t.missing)
    }
}
