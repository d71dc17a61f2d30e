import Bioprocess
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import NIOCore
import Reporting
import Store

/// Writing process files in the browser: a new file, a new version of one, every mistake shown
/// at its line and field before anything is saved; the versions of a file and what changed
/// between two of them (what `vectorfab diff` shows).
extension PageRoutes {
    /// A process file's text comes in a form: up to 1 MiB of text, percent-encoded.
    static let maxProcessForm = 3 * GMPStore.maxProcessFileBytes + 4096

    func addProcessEditing(to pages: RouterGroup<AppContext>) {
        pages.get("/processes/new") { _, context in
            let user = try context.requireIdentity().user
            guard Permissions.allows(user.role, .editProcess) else { return try await refused(context, .editProcess) }
            return site.page("process-edit", try await values(context, title: "New process file", ["isNew": true, "action": "/processes/new"]))
        }
        pages.post("/processes/new") { request, context in
            let form = try await Form(request, context: context, maxBytes: Self.maxProcessForm)
            return try await save(form, name: (form["name"] ?? "").trimmingCharacters(in: .whitespaces), isNew: true, context)
        }
        pages.get("/processes/:file/edit") { _, context in
            let user = try context.requireIdentity().user
            let name = try context.parameter("file")
            guard Permissions.allows(user.role, .editProcess) else { return try await refused(context, .editProcess) }
            guard let source = try await processLibrary.current(user, name) else { return try await notFound(context, name) }
            return site.page(
                "process-edit",
                try await values(
                    context, title: "Edit \(name)",
                    ["name": name, "text": source.text, "action": "/processes/\(name)/edit", "basedOn": source.label]))
        }
        pages.post("/processes/:file/edit") { request, context in
            let form = try await Form(request, context: context, maxBytes: Self.maxProcessForm)
            let name = try context.parameter("file")
            guard try await processLibrary.current(context.requireIdentity().user, name) != nil else { return try await notFound(context, name) }
            return try await save(form, name: name, isNew: false, context)
        }
        // Live validation while typing: the mistakes of a text, as JSON.
        pages.post("/processes/check") { request, context in
            let form = try await Form(request, context: context, maxBytes: Self.maxProcessForm)
            let identity = try context.requireIdentity()
            guard Cookies.matches(form["csrf"], Cookies.csrf(for: identity.token)) else {
                return json(["error": "forbidden", "message": "the form is out of date: reload the page"], status: .forbidden)
            }
            let name = GMPStore.isProcessFileName(form["name"] ?? "") ? form["name"]! : "process.yaml"
            let text = form["text"] ?? ""
            let mistakes = check(text, name: name)
            var answer: [String: Any] = ["mistakes": mistakes.map(\.json)]
            // A file that makes a lot may still hold implausible values: warned about, not refused.
            if mistakes.isEmpty, case .success(let read) = ProcessReadings.shared.read(text, name: name, folder: site.library) {
                answer["warnings"] = read.report.warnings.map { ["field": $0.field, "message": $0.message, "typical": $0.typical, "source": $0.source] }
            }
            return json(answer, status: .ok)
        }
        pages.get("/processes/:file/versions") { _, context in
            let user = try context.requireIdentity().user
            let name = try context.parameter("file")
            let versions = try await processLibrary.versions(user, name)
            guard !versions.isEmpty else { return try await notFound(context, name) }
            let rows = versions.reversed().map {
                [
                    "version": $0.version, "label": $0.label, "note": $0.note, "author": $0.author, "at": $0.at, "sha": String($0.sha256.prefix(12)),
                    "file": name,
                ] as [String: Any]
            }
            return site.page(
                "process-versions",
                try await values(
                    context, title: "Versions of \(name)",
                    [
                        "file": name, "rows": rows, "canDiff": versions.count > 1,
                        "from": versions.dropLast().map { ["version": $0.version, "label": $0.label, "selected": $0.version == versions[versions.count - 2].version] },
                        "to": versions.map { ["version": $0.version, "label": $0.label, "selected": $0.version == versions.last!.version] },
                        "canEdit": Permissions.allows(user.role, .editProcess),
                    ]))
        }
        pages.get("/processes/:file/diff") { request, context in
            let user = try context.requireIdentity().user
            let name = try context.parameter("file")
            let versions = try await processLibrary.versions(user, name)
            guard !versions.isEmpty else { return try await notFound(context, name) }
            let q = request.uri.queryParameters
            func pick(_ key: String, _ fallback: ProcessLibrary.Source?) -> ProcessLibrary.Source? {
                guard let text = q.get(key) else { return fallback }
                return Int(text).flatMap { v in versions.first { $0.version == v } }
            }
            guard let from = pick("from", versions.dropLast().last), let to = pick("to", versions.last) else {
                return site.page(
                    "error", try await values(context, title: "No such version", ["message": "\(name) has versions \(versions.map(\.label).joined(separator: ", ")): choose two of them."]),
                    status: .badRequest)
            }
            let diff: ProcessDiff
            switch (read(from), read(to)) {
            case (.success(let a), .success(let b)):
                do {
                    diff = try ProcessDiff.compare(a.document, a.definition, b.document, b.definition)
                } catch {
                    return site.page("error", try await values(context, title: "No diff", ["message": "\(error)"]), status: .badRequest)
                }
            default:
                return site.page(
                    "error", try await values(context, title: "No diff", ["message": "\(from.label) or \(to.label) of \(name) is not a process file that makes a lot."]),
                    status: .badRequest)
            }
            if q.get("format") == "xlsx" {
                return try workbook([("Process diff", DiffReport.csv(diff))], name: "\(name.replacingOccurrences(of: ".", with: "-"))-v\(from.version)-v\(to.version)-diff.xlsx")
            }
            if q.get("format") == "csv" {
                return csvDownload(DiffReport.csv(diff), name: "\(name.replacingOccurrences(of: ".", with: "-"))-v\(from.version)-v\(to.version)-diff.csv")
            }
            return site.page("process-diff", try await values(context, title: "\(name): \(from.label) → \(to.label)", diffValues(diff, name: name, from: from, to: to)))
        }
    }

    func read(_ s: ProcessLibrary.Source) -> Result<ReadProcess, ProcessReadings.MistakeList> {
        ProcessReadings.shared.read(s.text, name: s.name, folder: site.library, sha256: s.sha256)
    }

    /// The mistakes of a text, each with the line it is on; none when it makes a lot.
    func check(_ text: String, name: String) -> [Mistake] {
        guard text.utf8.count <= GMPStore.maxProcessFileBytes else {
            return [Mistake(line: nil, column: nil, field: "(the file)", message: "the text is \(text.utf8.count) bytes, more than the \(GMPStore.maxProcessFileBytes) a file may hold")]
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return [Mistake(line: nil, column: nil, field: "(the file)", message: "the file is empty; expected a mapping of fields")]
        }
        if case .failure(let m) = ProcessReadings.shared.read(text, name: name, folder: site.library) { return m.mistakes }
        return []
    }

    /// Saves the form's text as the next version of `name` once it has no mistake.
    func save(_ form: Form, name: String, isNew: Bool, _ context: AppContext) async throws -> Response {
        let identity = try context.requireIdentity()
        guard Permissions.allows(identity.user.role, .editProcess) else { return try await refused(context, .editProcess) }
        let text = (form["text"] ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        let note = form["note"] ?? ""
        var kept: [String: Any] = [
            "isNew": isNew, "name": name, "text": text, "note": note, "action": isNew ? "/processes/new" : "/processes/\(name)/edit",
        ]
        let title = isNew ? "New process file" : "Edit \(name)"
        guard Cookies.matches(form["csrf"], Cookies.csrf(for: identity.token)) else {
            kept["message"] = "The form is out of date: reload the page and try again (your text is kept below)."
            return site.page("process-edit", try await values(context, title: title, kept), status: .forbidden)
        }
        guard GMPStore.isProcessFileName(name) else {
            kept["message"] = "The file name must be letters, digits, '.', '_' or '-', ending in .yaml, .yml or .json: for example aav-retina-200L.yaml."
            return site.page("process-edit", try await values(context, title: title, kept), status: .badRequest)
        }
        if isNew, try await processLibrary.current(identity.user, name) != nil {
            kept["message"] = "The library has a file \(name) already: open it and edit it, or choose another name."
            return site.page("process-edit", try await values(context, title: title, kept), status: .conflict)
        }
        let mistakes = check(text, name: name)
        if !mistakes.isEmpty {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            kept["message"] = "\(mistakes.count == 1 ? "One mistake" : "\(mistakes.count) mistakes") to fix: nothing was saved."
            kept["hasMistakes"] = true
            kept["mistakes"] = mistakes.prefix(100).map { m -> [String: Any] in
                var v = m.values
                if let l = m.line, l >= 1, l <= lines.count { v["source"] = String(lines[l - 1].prefix(200)) }
                return v
            }
            return site.page("process-edit", try await values(context, title: title, kept), status: .badRequest)
        }
        do {
            _ = try await store.saveProcessFile(identity.user, name: name, text: text, note: note)
        } catch let e as GMPError {
            kept["message"] = e.message.prefix(1).uppercased() + e.message.dropFirst() + "."
            return site.page("process-edit", try await values(context, title: title, kept), status: e.kind == .conflict ? .conflict : .badRequest)
        }
        return Response(status: .seeOther, headers: [.location: "/processes/\(name)"])
    }

    func diffValues(_ d: ProcessDiff, name: String, from: ProcessLibrary.Source, to: ProcessLibrary.Source) -> [String: Any] {
        [
            "file": name, "from": from.label, "to": to.label, "fromVersion": from.version, "toVersion": to.version,
            "areas": d.changedAreas.joined(separator: ", "), "noChange": d.inputs.isEmpty,
            "inputs": d.inputs.map {
                [
                    "kind": $0.kind.rawValue, "area": $0.area, "path": $0.path, "before": $0.before ?? "—", "after": $0.after ?? "—",
                    "ratio": $0.ratio.map { "× " + Fmt.number($0) } ?? "",
                ]
            },
            "outputs": d.outputs.map {
                [
                    "figure": $0.figure, "unit": $0.unit, "before": Fmt.number($0.before), "after": Fmt.number($0.after),
                    "change": $0.relativeChange.map { ($0 >= 0 ? "+" : "") + Fmt.percent($0) } ?? "",
                ]
            },
            "steps": d.steps.map {
                [
                    "name": $0.name, "before": $0.beforeYield.map { Fmt.percent($0) } ?? "—", "after": $0.afterYield.map { Fmt.percent($0) } ?? "—",
                    "beforeCumulative": $0.beforeCumulative.map { Fmt.percent($0) } ?? "—", "afterCumulative": $0.afterCumulative.map { Fmt.percent($0) } ?? "—",
                ]
            },
        ]
    }

    /// A page saying the signed-in role may not do this (403).
    func refused(_ context: AppContext, _ action: Action) async throws -> Response {
        let role = try context.requireIdentity().user.role
        return site.page(
            "error",
            try await values(
                context, title: "Not for your role",
                ["message": "\(role.withArticle.prefix(1).uppercased() + role.withArticle.dropFirst()) may not \(action.rawValue.replacingOccurrences(of: "-", with: " "))."]),
            status: .forbidden)
    }

    func notFound(_ context: AppContext, _ name: String) async throws -> Response {
        site.page("error", try await values(context, title: "No such process", ["message": "The library has no process file \(name)."]), status: .notFound)
    }

    func json(_ object: [String: Any], status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
