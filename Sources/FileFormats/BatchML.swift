import Bioprocess
import Foundation
import Manufacturing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Master recipes and batch records as ISA-88 BatchML (B2MML V0600 element names, namespace
/// `http://www.mesa.org/xml/B2MML`), for other MES: a master recipe is a `MasterRecipe` whose
/// `RecipeElement`s nest procedure → unit procedures → operations → phases, each phase with its
/// `EquipmentRequirement` and `Parameter`s (`ParameterType` ProcessParameter for a value with its
/// target, low and high; ProcessInput for a material; Other for a sample; ProcessOutput for the
/// procedure's release tests), every value a `Value` with `ValueString`, `DataType`,
/// `UnitOfMeasure` and `Key`. A batch record is a `BatchProductionRecord` of `Event`s, one per
/// entry. Numbers are written with 17 significant digits, so reading back gives the same recipe.
public enum BatchML {
    public static let namespace = "http://www.mesa.org/xml/B2MML"

    /// The largest document read back (a 16-phase record is about 100 KB).
    public static let maxBytes = 8 * 1024 * 1024

    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    // MARK: Writing

    public static func recipe(_ r: RecipeRecord) -> String {
        var x = XMLWriter()
        x.open("BatchInformation", attributes: [("xmlns", namespace), ("schemaVersion", "0600")])
        x.leaf("ID", r.id)
        x.open("MasterRecipe")
        x.leaf("ID", r.id)
        x.leaf("Version", String(r.version))
        x.leaf("Description", r.recipe.process)
        x.leaf("Status", r.status.rawValue)
        x.open("Header")
        x.leaf("ProductID", r.recipe.product)
        x.close()
        x.open("RecipeElement")
        x.leaf("ID", "procedure")
        x.leaf("RecipeElementType", "Procedure")
        x.leaf("Description", r.recipe.process)
        for t in r.recipe.releaseTests {
            parameter(&x, id: t.test, type: "ProcessOutput", values: specValues(t.specification) + [("panel", t.panel.rawValue, "string", "")])
        }
        for (u, up) in r.recipe.unitProcedures.enumerated() {
            x.open("RecipeElement")
            x.leaf("ID", "UP\(u + 1)")
            x.leaf("RecipeElementType", "UnitProcedure")
            x.leaf("Description", up.name)
            for (o, op) in up.operations.enumerated() {
                x.open("RecipeElement")
                x.leaf("ID", "UP\(u + 1).OP\(o + 1)")
                x.leaf("RecipeElementType", "Operation")
                x.leaf("Description", op.name)
                for p in op.phases { phase(&x, p) }
                x.close()
            }
            x.close()
        }
        x.close()
        x.close()
        x.close()
        return x.text
    }

    static func phase(_ x: inout XMLWriter, _ p: Phase) {
        x.open("RecipeElement")
        x.leaf("ID", p.id)
        x.leaf("RecipeElementType", "Phase")
        x.leaf("Description", p.name)
        if let e = p.equipment {
            x.open("EquipmentRequirement")
            x.leaf("ID", e)
            x.close()
        }
        x.open("OtherInformation")
        x.leaf("OtherInfoID", "instructions")
        x.leaf("Description", p.instructions)
        x.close()
        for s in p.parameters {
            parameter(&x, id: s.name, type: "ProcessParameter", values: [
                ("target", number(s.target), "double", s.unit), ("low", number(s.low), "double", s.unit), ("high", number(s.high), "double", s.unit),
            ])
        }
        for m in p.materials {
            parameter(&x, id: m.item, type: "ProcessInput", values: [("quantity", number(m.quantity), "double", m.unit)])
        }
        for s in p.samples {
            var values: [(String, String, String, String)] = [("volume", number(s.volumeML), "double", "mL")]
            if let panel = s.panel { values.append(("panel", panel.rawValue, "string", "")) }
            if let spec = s.specification { values += specValues(spec) }
            parameter(&x, id: s.test, type: "Other", values: values)
        }
        x.close()
    }

    static func specValues(_ s: QCSpecification) -> [(String, String, String, String)] {
        switch s {
        case .range(let low, let high, let unit):
            [("unit", unit, "string", "")] + (low.map { [("low", number($0), "double", unit)] } ?? [])
                + (high.map { [("high", number($0), "double", unit)] } ?? [])
        case .passFail(let criterion): [("criterion", criterion, "string", "")]
        }
    }

    static func parameter(_ x: inout XMLWriter, id: String, type: String, values: [(key: String, value: String, type: String, unit: String)]) {
        x.open("Parameter")
        x.leaf("ID", id)
        x.leaf("ParameterType", type)
        for v in values {
            x.open("Value")
            x.leaf("ValueString", v.value)
            x.leaf("DataType", v.type)
            x.leaf("UnitOfMeasure", v.unit)
            x.leaf("Key", v.key)
            x.close()
        }
        x.close()
    }

    static func number(_ x: Double) -> String { String(format: "%.17g", x) }

    /// A batch record: the batch and each entry of it as an event (who, when, what, on which
    /// phase, correcting what and why), and its signatures.
    public static func batchRecord(batch: Batch, recipe: RecipeRecord, entries: [BatchEntry], signatures: [Signature]) -> String {
        var x = XMLWriter()
        x.open("BatchInformation", attributes: [("xmlns", namespace), ("schemaVersion", "0600")])
        x.leaf("ID", batch.id)
        x.open("BatchList")
        x.open("Batch")
        x.leaf("ID", batch.id)
        x.leaf("Description", batch.product)
        x.leaf("Status", batch.status.rawValue)
        x.leaf("MasterRecipeID", recipe.id)
        x.leaf("MasterRecipeVersion", String(recipe.version))
        x.close()
        x.close()
        x.open("BatchProductionRecord")
        x.leaf("ID", batch.id)
        x.leaf("BatchID", batch.id)
        for e in entries {
            x.open("Event")
            x.leaf("ID", e.id)
            x.leaf("EventType", e.kind.rawValue)
            x.leaf("RecipeElementID", e.phaseID)
            x.leaf("PersonID", e.userID)
            x.leaf("TimeStamp", e.at)
            var values: [(String, String, String)] = []
            if let p = e.parameter { values.append(("parameter", p, "string")) }
            if let v = e.value { values.append(("value", number(v), "double")) }
            if let r = e.inRange { values.append(("inRange", r ? "true" : "false", "boolean")) }
            if let l = e.materialLot { values.append(("materialLot", l, "string")) }
            if let q = e.quantity { values.append(("quantity", number(q), "double")) }
            if let q = e.equipment { values.append(("equipment", q, "string")) }
            if let c = e.corrects { values.append(("corrects", c, "string")) }
            if let r = e.reason { values.append(("reason", r, "string")) }
            for (key, value, type) in values {
                x.open("Value")
                x.leaf("ValueString", value)
                x.leaf("DataType", type)
                x.leaf("Key", key)
                x.close()
            }
            x.close()
        }
        for s in signatures {
            x.open("Event")
            x.leaf("ID", s.id)
            x.leaf("EventType", "signature")
            x.leaf("EventSubType", s.meaning.rawValue)
            x.leaf("RecipeElementID", s.entityID)
            x.leaf("PersonID", s.userID)
            x.leaf("PersonName", s.fullName)
            x.leaf("TimeStamp", s.at)
            x.close()
        }
        x.close()
        x.close()
        return x.text
    }

    // MARK: Reading

    /// A master recipe read back from `recipe(_:)`'s document.
    public static func readRecipe(_ data: Data) throws(ReadError) -> (id: String, version: Int, recipe: MasterRecipe) {
        let root = try parse(data)
        guard let master = root.child("MasterRecipe") else { throw ReadError(description: "no MasterRecipe element") }
        guard let procedure = master.child("RecipeElement") else { throw ReadError(description: "the MasterRecipe has no RecipeElement") }
        let product = master.child("Header")?.text("ProductID") ?? ""
        var releaseTests: [ReleaseTestSpec] = []
        for p in procedure.children("Parameter") where p.text("ParameterType") == "ProcessOutput" {
            let v = try values(p)
            guard let panel = v["panel"].flatMap({ ReleasePanel(rawValue: $0.value) }) else {
                throw ReadError(description: "release test '\(p.text("ID") ?? "")' has no panel")
            }
            releaseTests.append(ReleaseTestSpec(test: p.text("ID") ?? "", panel: panel, specification: try spec(v) ?? .passFail(criterion: "")))
        }
        var units: [UnitProcedure] = []
        for up in procedure.children("RecipeElement") {
            var operations: [RecipeOperation] = []
            for op in up.children("RecipeElement") {
                operations.append(RecipeOperation(name: op.text("Description") ?? "", phases: try op.children("RecipeElement").map(readPhase)))
            }
            units.append(UnitProcedure(name: up.text("Description") ?? "", operations: operations))
        }
        guard let version = Int(master.text("Version") ?? "") else { throw ReadError(description: "the MasterRecipe has no whole-number Version") }
        return (
            master.text("ID") ?? "", version,
            MasterRecipe(product: product, process: master.text("Description") ?? "", unitProcedures: units, releaseTests: releaseTests)
        )
    }

    static func readPhase(_ e: Element) throws(ReadError) -> Phase {
        var parameters: [ParameterSpec] = []
        var materials: [MaterialRequirement] = []
        var samples: [SampleSpec] = []
        for p in e.children("Parameter") {
            let id = p.text("ID") ?? ""
            let v = try values(p)
            switch p.text("ParameterType") {
            case "ProcessParameter":
                guard let t = v["target"], let target = Double(t.value), let low = v["low"].flatMap({ Double($0.value) }),
                    let high = v["high"].flatMap({ Double($0.value) })
                else { throw ReadError(description: "parameter '\(id)' needs a target, a low and a high value") }
                parameters.append(ParameterSpec(name: id, unit: t.unit, target: target, low: low, high: high))
            case "ProcessInput":
                guard let q = v["quantity"], let quantity = Double(q.value) else { throw ReadError(description: "material '\(id)' has no quantity") }
                materials.append(MaterialRequirement(item: id, quantity: quantity, unit: q.unit))
            case "Other":
                guard let volume = v["volume"].flatMap({ Double($0.value) }) else { throw ReadError(description: "sample '\(id)' has no volume") }
                samples.append(SampleSpec(test: id, volumeML: volume, panel: v["panel"].flatMap { ReleasePanel(rawValue: $0.value) }, specification: try spec(v)))
            default:
                throw ReadError(description: "parameter '\(id)' has an unknown ParameterType '\(p.text("ParameterType") ?? "")'")
            }
        }
        return Phase(
            id: e.text("ID") ?? "", name: e.text("Description") ?? "",
            instructions: e.children("OtherInformation").first { $0.text("OtherInfoID") == "instructions" }?.text("Description") ?? "",
            parameters: parameters, materials: materials, samples: samples, equipment: e.child("EquipmentRequirement")?.text("ID"))
    }

    static func spec(_ v: [String: (value: String, unit: String)]) throws(ReadError) -> QCSpecification? {
        if let c = v["criterion"] { return .passFail(criterion: c.value) }
        guard let unit = v["unit"]?.value else { return nil }
        func number(_ k: String) throws(ReadError) -> Double? {
            guard let t = v[k] else { return nil }
            guard let x = Double(t.value) else { throw ReadError(description: "\(k) '\(t.value)' is not a number") }
            return x
        }
        return .range(low: try number("low"), high: try number("high"), unit: unit)
    }

    static func values(_ p: Element) throws(ReadError) -> [String: (value: String, unit: String)] {
        var out: [String: (value: String, unit: String)] = [:]
        for v in p.children("Value") {
            guard let key = v.text("Key") else { throw ReadError(description: "a Value of '\(p.text("ID") ?? "")' has no Key") }
            out[key] = (v.text("ValueString") ?? "", v.text("UnitOfMeasure") ?? "")
        }
        return out
    }

    /// The entries of a batch record read back from `batchRecord`'s document.
    public static func readEntries(_ data: Data) throws(ReadError) -> [BatchEntry] {
        let root = try parse(data)
        guard let bpr = root.child("BatchProductionRecord"), let batch = bpr.text("BatchID") else {
            throw ReadError(description: "no BatchProductionRecord with its BatchID")
        }
        var entries: [BatchEntry] = []
        for e in bpr.children("Event") where e.text("EventType") != "signature" {
            guard let kind = EntryKind(rawValue: e.text("EventType") ?? "") else {
                throw ReadError(description: "event \(e.text("ID") ?? "") has an unknown EventType")
            }
            var v: [String: String] = [:]
            for value in e.children("Value") { if let k = value.text("Key") { v[k] = value.text("ValueString") ?? "" } }
            entries.append(BatchEntry(
                id: e.text("ID") ?? "", batchID: batch, phaseID: e.text("RecipeElementID") ?? "", kind: kind, parameter: v["parameter"],
                value: v["value"].flatMap(Double.init), inRange: v["inRange"].map { $0 == "true" }, materialLot: v["materialLot"],
                quantity: v["quantity"].flatMap(Double.init), equipment: v["equipment"], corrects: v["corrects"], reason: v["reason"],
                userID: e.text("PersonID") ?? "", at: e.text("TimeStamp") ?? ""))
        }
        return entries
    }

    // MARK: A small element tree

    final class Element {
        let name: String
        var text = ""
        var children: [Element] = []
        init(name: String) { self.name = name }
        func child(_ n: String) -> Element? { children.first { $0.name == n } }
        func children(_ n: String) -> [Element] { children.filter { $0.name == n } }
        func text(_ n: String) -> String? { child(n)?.text }
    }

    final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [Element] = []
        var root: Element?
        var depthLimit = 64
        var elements = 0
        var failure: String?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements += 1
            if stack.count >= depthLimit || elements > 1_000_000 {
                failure = "the document nests deeper than \(depthLimit) or has more than 1,000,000 elements"
                parser.abortParsing()
                return
            }
            let e = Element(name: name)
            stack.last?.children.append(e)
            if root == nil { root = e }
            stack.append(e)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { _ = stack.popLast() }
        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
    }

    static func parse(_ data: Data) throws(ReadError) -> Element {
        guard data.count <= maxBytes else { throw ReadError(description: "the document is larger than \(maxBytes / 1024 / 1024) MiB") }
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        let builder = TreeBuilder()
        parser.delegate = builder
        let ok = parser.parse()
        if let failure = builder.failure { throw ReadError(description: failure) }
        guard ok, builder.stack.isEmpty, let root = builder.root else {
            if ok, let open = builder.stack.last { throw ReadError(description: "not well-formed XML at line \(parser.lineNumber): the document ends inside <\(open.name)>") }
            throw ReadError(description: "not well-formed XML at line \(parser.lineNumber), column \(parser.columnNumber): \(parser.parserError.map { "\($0)" } ?? "unknown error")")
        }
        guard root.name == "BatchInformation" else { throw ReadError(description: "the root element is \(root.name), not BatchInformation") }
        return root
    }
}

/// Indented XML with every text escaped.
struct XMLWriter {
    var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    var open: [String] = []

    mutating func open(_ name: String, attributes: [(String, String)] = []) {
        text += String(repeating: "  ", count: open.count) + "<\(name)" + attributes.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined() + ">\n"
        open.append(name)
    }

    mutating func close() {
        guard let name = open.popLast() else { return }
        text += String(repeating: "  ", count: open.count) + "</\(name)>\n"
    }

    mutating func leaf(_ name: String, _ value: String) {
        text += String(repeating: "  ", count: open.count) + "<\(name)>\(Self.escape(value))</\(name)>\n"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            // Control characters XML 1.0 cannot carry at all are written as U+FFFD.
            case _ where c.value < 0x20 && c != "\n" && c != "\t" && c != "\r": out += "\u{FFFD}"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
