import Bioprocess
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import Monitoring
import NIOCore
import Reporting
import Store

/// The batch record as a controlled document (printed on A4: batch, product and page x of y in
/// every header and footer; every signature with who, meaning and time; deviations and QC
/// results in full), and a QC test's results across batches as a chart.
extension PageRoutes {
    func addRecordPages(to pages: RouterGroup<AppContext>) {
        pages.get("/batches/:id/record") { _, context in
            let user = try context.requireIdentity().user
            let id = try context.parameter("id")
            let record: GMPStore.BatchRecord
            do { record = try await store.batchRecord(user, batch: id) } catch let e as GMPError { return try await gmpRefusal(context, e) }
            let names = try await userNames(user)
            var deviations: [[String: Any]] = []
            for d in record.deviations {
                let (_, actions, signatures) = try await store.deviation(user, id: d.id)
                deviations.append([
                    "id": d.id, "kind": d.kind.title, "status": d.status.words, "classification": d.classification?.rawValue ?? "not classified",
                    "rootCause": d.rootCause ?? "not stated", "description": d.description, "opened": d.openedAt.map(when) ?? "",
                    "openedBy": d.openedBy.flatMap { names[$0] } ?? "",
                    "actions": actions.map {
                        ["action": $0.action, "owner": names[$0.ownerID] ?? $0.ownerID, "due": $0.due, "done": $0.doneNote.map { "done: \($0)" } ?? "open", "doneAt": $0.doneAt.map(when) ?? ""]
                    },
                    "signatures": signatures.map { ["meaning": $0.meaning.rawValue, "who": $0.fullName, "at": when($0.at)] },
                ])
            }
            let recipe = try await store.recipe(user, id: record.batch.recipeID)
            var v: [String: Any] = [
                "batch": ["id": record.batch.id, "product": record.batch.product, "status": record.batch.status.words],
                "recipe": ["id": recipe.id, "version": recipe.version, "process": recipe.recipe.process],
                "printedBy": user.fullName, "printedAt": when(ISO8601DateFormatter().string(from: Date())),
                "phases": BatchRecordView.phases(record, names: names),
                "qc": BatchRecordView.qc(record, names: names),
                "hasQC": !record.samples.isEmpty,
                "deviations": deviations, "hasDeviations": !deviations.isEmpty,
                "consumptions": record.genealogy.consumptions.map {
                    ["phase": $0.phase, "item": $0.item, "lot": $0.lot, "supplier": "\($0.supplier) \($0.supplierLot)", "quantity": Figure.text($0.quantity)]
                },
                "releaseSignatures": record.signatures.filter { $0.entity == "batch" }.map { ["meaning": $0.meaning.rawValue, "who": $0.fullName, "at": when($0.at)] },
                "blockers": record.releaseBlockers, "hasBlockers": !record.releaseBlockers.isEmpty,
                "auditCount": record.audit.count, "pageStyle": "/batches/\(id)/record.css",
            ]
            if let environment = try await environmentSummary(user, entries: record.entries, deviations: record.deviations) { v["environment"] = environment }
            return site.page("record", try await values(context, title: "Batch record \(id)", sections(v)))
        }
        // The running header of the printed record: the batch and its product on every page
        // (a stylesheet of its own: the security policy allows no inline style).
        pages.get("/batches/:id/record.css") { _, context in
            let user = try context.requireIdentity().user
            let (batch, _) = try await store.batch(user, id: try context.parameter("id"))
            func css(_ s: String) -> String {
                s.unicodeScalars.map { c in c == "\"" || c == "\\" || c.value < 0x20 || c.value > 0x7e ? String(format: "\\%06x", c.value) : String(c) }.joined()
            }
            let text = """
                @page { @top-right { content: "Batch \(css(batch.id)) · \(css(String(batch.product.prefix(40))))"; font: 9pt system-ui, sans-serif; color: #5b6676; } }

                """
            return Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        pages.get("/qc/trends") { request, context in
            let user = try context.requireIdentity().user
            let q = request.uri.queryParameters
            var test = q.get("test").map { String($0.prefix(200)) }
            if test == nil, let sample = q.get("sample") {
                test = try? await store.sample(user, id: String(sample.prefix(100))).test
            }
            // The tests to choose from: every release test of the approved recipes.
            let recipes = try await store.recipes(user).filter { $0.status == .approved }
            let tests = Array(Set(recipes.flatMap { $0.recipe.releaseTests.map(\.test) })).sorted()
            var v: [String: Any] = ["tests": tests.map { ["name": $0, "link": "/qc/trends?test=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)", "current": $0 == test] }]
            if let test {
                let tested = try await store.samples(user, test: test, page: Page(limit: 1000, offset: 0)).filter { $0.batchID != nil }
                // A test of both release panels is two attributes (the drug substance's titer is not
                // the vials'): one panel at a time.
                let panels = ReleasePanel.allCases.filter { p in tested.contains { $0.panel == p } }
                let panel = q.get("panel").flatMap(ReleasePanel.init(rawValue:)).flatMap { panels.contains($0) ? $0 : nil }
                    ?? (panels.count > 1 ? panels.first : nil)
                let samples = panel.map { p in tested.filter { $0.panel == p } } ?? tested
                if panels.count > 1 {
                    let base = "/qc/trends?test=\(test.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? test)"
                    v["panels"] = panels.map { ["name": $0.title, "link": base + "&panel=" + $0.rawValue, "current": $0 == panel] }
                    v["panel"] = panel?.title ?? ""
                }
                let results = try await store.results(user, test: test)
                let byID = Dictionary(samples.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                var seen = Set<String>()
                var points: [TrendChart.Point] = []
                var rows: [[String: Any]] = []
                for r in results {
                    guard let s = byID[r.sampleID], let batch = s.batchID else { continue }
                    let isRepeat = !seen.insert(s.id).inserted
                    if let value = r.value { points.append(.init(label: batch, value: value, pass: r.pass, isRepeat: isRepeat, link: "/batches/\(batch)/release")) }
                    rows.append([
                        "batch": batch, "value": r.value.map { "\(Figure.text($0)) \(s.specification?.unit ?? "")" } ?? (r.pass ? "pass" : "fail"),
                        "pass": r.pass, "repeat": isRepeat, "reason": r.reason ?? "", "at": when(r.at), "spec": s.specificationText,
                    ])
                }
                let spec = samples.last?.specification
                v["test"] = test
                // Continued process verification: an individuals chart of the first results (a
                // repeat replaces nothing), its limits from the first `reference` batches.
                let firsts = points.enumerated().filter { !$0.element.isRepeat }
                let referenceText = request.uri.queryParameters.get("reference") ?? "25"
                guard let reference = Int(referenceText), (2...1000).contains(reference) else {
                    throw GMPError(.invalid, "reference must be a number of batches from 2 to 1000")
                }
                var control: TrendChart.Control?
                var flagged = Set<Int>()
                if let chart = IndividualsChart.fit(reference: firsts.prefix(reference).map(\.element.value)) {
                    control = .init(centre: chart.centre, lower: chart.lower, upper: chart.upper)
                    let violations = chart.violations(firsts.map(\.element.value))
                    flagged = Set(violations.map { firsts[$0.index].offset })
                    v["control"] = [
                        "reference": min(reference, firsts.count), "centre": TrendChart.text(chart.centre), "lower": TrendChart.text(chart.lower),
                        "upper": TrendChart.text(chart.upper),
                        "violations": violations.map { ["batch": firsts[$0.index].element.label, "rule": "rule \($0.rule.rawValue): \($0.rule.text)"] },
                        "hasViolations": !violations.isEmpty,
                        "link": "/qc/trends?test=\(test.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? test)" + (panel.map { "&panel=" + $0.rawValue } ?? ""),
                    ]
                    if let c = Capability.of(firsts.map(\.element.value), low: spec?.low, high: spec?.high) {
                        v["capability"] = ["cpk": String(format: "%.2f", c.cpk), "ppk": c.ppk.isFinite ? String(format: "%.2f", c.ppk) : "∞", "count": c.count]
                    }
                }
                v["svg"] = TrendChart.svg(
                    points, low: spec?.low, high: spec?.high, unit: spec?.unit ?? "", title: "\(test) across batches", control: control, flagged: flagged)
                v["rows"] = rows.reversed()
                v["spec"] = samples.last?.specificationText ?? ""
                v["count"] = rows.count
                v["oos"] = rows.filter { ($0["pass"] as? Bool) == false }.count
            }
            return site.page("trends", try await values(context, title: test.map { "\($0) across batches" } ?? "QC trends", sections(v)))
        }
    }
}

/// The batch record's phases and QC as the printed document lays them out.
enum BatchRecordView {
    static func phases(_ r: GMPStore.BatchRecord, names: [String: String]) -> [[String: Any]] {
        r.recipe.phases.map { phase in
            let mine = r.entries.filter { $0.phaseID == phase.id }
            let corrected = Set(mine.compactMap(\.corrects))
            let values = mine.filter { $0.kind == .value }.map { e -> [String: Any] in
                let spec = phase.parameters.first { $0.name == e.parameter }
                return [
                    "parameter": e.parameter ?? "", "value": e.value.map { Figure.text($0) } ?? "", "unit": spec?.unit ?? "",
                    "target": spec.map { Figure.text($0.target) } ?? "", "range": spec?.rangeText ?? "", "out": e.inRange == false,
                    "corrected": corrected.contains(e.id), "reason": e.reason ?? "", "who": names[e.userID] ?? e.userID, "at": when(e.at),
                ]
            }
            let materials = mine.filter { $0.kind == .material }.map {
                ["item": $0.parameter ?? "", "lot": $0.materialLot ?? "", "quantity": $0.quantity.map { Figure.text($0) } ?? "", "who": names[$0.userID] ?? $0.userID, "at": when($0.at)]
            }
            let equipment = mine.filter { $0.kind == .equipment }.map { ["equipment": $0.equipment ?? "", "who": names[$0.userID] ?? $0.userID, "at": when($0.at)] }
            let signatures = r.signatures.filter { $0.entity == "phase" && $0.entityID == "\(r.batch.id)/\(phase.id)" }.map {
                ["meaning": $0.meaning.rawValue, "who": $0.fullName, "at": when($0.at)]
            }
            return [
                "id": phase.id, "name": phase.name, "instructions": phase.instructions, "values": values, "hasValues": !values.isEmpty,
                "materials": materials, "hasMaterials": !materials.isEmpty, "equipment": equipment, "hasEquipment": !equipment.isEmpty,
                "signatures": signatures, "unsigned": signatures.isEmpty,
            ]
        }
    }

    static func qc(_ r: GMPStore.BatchRecord, names: [String: String]) -> [[String: Any]] {
        r.samples.map { s in
            let mine = r.results.filter { $0.sampleID == s.id }
            return [
                "test": s.test, "panel": s.panel?.title ?? "in process", "spec": s.specificationText, "status": s.status.rawValue,
                "results": mine.enumerated().map { i, x in
                    [
                        "value": x.value.map { "\(Figure.text($0)) \(s.specification?.unit ?? "")" } ?? (x.pass ? "pass" : "fail"),
                        "verdict": x.pass ? "within specification" : "OUT OF SPECIFICATION", "oos": !x.pass, "repeat": i > 0,
                        "reason": x.reason ?? "", "who": names[x.analystID] ?? x.analystID, "at": when(x.at),
                    ] as [String: Any]
                },
            ]
        }
    }
}

extension PageRoutes {
    /// ISA-88 BatchML (B2MML) documents of a master recipe and of a batch record, as downloads.
    func addBatchMLPages(to pages: RouterGroup<AppContext>) {
        pages.get("/batches/:id/batchml") { _, context in
            try await BatchMLExport.batch(store, try context.requireIdentity().user, try context.parameter("id"))
        }
        pages.get("/recipes/:id/batchml") { _, context in
            try await BatchMLExport.recipe(store, try context.requireIdentity().user, try context.parameter("id"))
        }
    }
}

/// The BatchML downloads, for pages and the API alike.
enum BatchMLExport {
    static func xml(_ text: String, name: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/xml; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\""],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func batch(_ store: GMPStore, _ user: User, _ id: String) async throws -> Response {
        let record = try await store.batchRecord(user, batch: id)
        let recipe = try await store.recipe(user, id: record.batch.recipeID)
        return xml(BatchML.batchRecord(batch: record.batch, recipe: recipe, entries: record.entries, signatures: record.signatures), name: "\(id)-batchml.xml")
    }

    static func recipe(_ store: GMPStore, _ user: User, _ id: String) async throws -> Response {
        xml(BatchML.recipe(try await store.recipe(user, id: id)), name: "\(id)-batchml.xml")
    }
}
