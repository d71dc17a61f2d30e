import Bioprocess
import Economics
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Manufacturing
import NIOCore
import Reporting
import Store
import Synchronization

/// The web application's pages: sign-in, first-run set-up, and the pages of signed-in users.
struct PageRoutes {
    let store: GMPStore
    let site: Site
    let throttle: SignInThrottle
    /// The monitored site, when the server has one.
    var monitor: Monitor? = nil

    func addRoutes(to router: Router<AppContext>) {
        router.get("/static/app.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: ResponseBody(byteBuffer: Site.stylesheet))
        }
        router.get("/static/app.js") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=3600"],
                body: ResponseBody(byteBuffer: Site.script))
        }
        addSignIn(to: router)
        let pages = router.group().add(middleware: CookieAuthenticator(store: store)).add(middleware: RequirePageSignIn())
        pages.get("/") { request, context in try await cachedPage(request, context) {
            site.page("home", try await values(context, title: "Start", ["processCount": try await processLibrary.current(context.requireIdentity().user).count]))
        }}
        pages.get("/processes") { request, context in try await cachedPage(request, context) {
            let (processes, problems) = try await library(context.requireIdentity().user)
            return site.page(
                "processes",
                try await values(
                    context, title: "Process library",
                    ["processes": processes.map(\.row), "problems": problems.map { ["file": $0.file, "message": $0.message] }]))
        }}
        addProcessEditing(to: pages)
        addCapacityPages(to: pages)
        addBatchPages(to: pages)
        addQCPages(to: pages)
        addAuditPages(to: pages)
        addDeviationPages(to: pages)
        addReleasePages(to: pages)
        addMaterialPages(to: pages)
        addRecordPages(to: pages)
        addBatchMLPages(to: pages)
        addMonitoringPages(to: pages)
        addVerificationPages(to: pages)
        pages.get("/processes/:file") { request, context in try await cachedPage(request, context) {
            let file = try context.parameter("file")
            let user = try context.requireIdentity().user
            // The lot report as a download: `….yaml.csv` (every figure, a row each) or `….yaml.json`.
            for suffix in [".csv", ".json", ".xlsx"] where file.hasSuffix(suffix) {
                guard case .success(let e) = try await entry(user, String(file.dropLast(suffix.count))) else { break }
                let name = e.file.replacingOccurrences(of: ".", with: "-") + "-lot" + suffix
                if suffix == ".csv" { return csvDownload(LotReportCSV.render(e.lot), name: name) }
                if suffix == ".xlsx" { return try workbook([("Lot report", LotReportCSV.render(e.lot))], name: name) }
                return Response(
                    status: .ok,
                    headers: [.contentType: "application/json; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\""],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: try LotReportJSON.render(e.lot))))
            }
            let version = request.uri.queryParameters.get("version").flatMap { Int($0) }
            guard case .success(let e) = try await entry(user, file, version: version) else {
                return site.page(
                    "error", try await values(context, title: "No such process", ["message": "The library has no process file \(file)."]),
                    status: .notFound)
            }
            return site.page("process", try await values(context, title: e.report.product, e.details))
        }}
        pages.get("/compare") { request, context in try await cachedPage(request, context) {
            let (values, status) = try await comparison(request, context.requireIdentity().user)
            return site.page("compare", try await self.values(context, title: "Compare platforms", values), status: status)
        }}
        for suffix in ["csv", "xlsx"] {
            pages.get("/compare.\(suffix)") { request, context in
                guard let (c, _) = try? compared(request, entries: try await library(context.requireIdentity().user).processes).get() else {
                    return Response(status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "choose process files and a number of doses\n")))
                }
                if suffix == "xlsx" { return try workbook([("Platform comparison", ComparisonReport.csv(c))], name: "platform-comparison.xlsx") }
                return csvDownload(ComparisonReport.csv(c), name: "platform-comparison.csv")
            }
        }
        pages.get("/costs") { request, context in try await cachedPage(request, context) {
            let user = try context.requireIdentity().user
            let all = try await costed(user)
            let rows = all.map { (file, r) -> [String: Any] in
                let c = r.model.costs.currency
                return [
                    "file": file, "product": r.model.process.product.name, "doses": Fmt.count(r.cost.doses),
                    "perLot": Fmt.money(r.cost.perLotReleased, c), "perDose": Fmt.money(r.cost.perDose, c),
                    "price": r.price.map { Fmt.money($0.pricePerDose, c) } ?? "—",
                ]
            }
            // The scale curve of the files chosen (by default, one product on every platform).
            var chosen = request.uri.queryParameters.getAll("curve")
            if chosen.isEmpty { chosen = all.map(\.file).filter { $0.hasPrefix("aav-dmd-") } }
            let picked = all.filter { chosen.contains($0.file) }
            var v: [String: Any] = [
                "rows": rows, "curveChoices": all.map { ["file": $0.file, "checked": chosen.contains($0.file)] },
            ]
            var tables: [DataTable] = []
            let currencies = Set(picked.map { $0.report.model.costs.currency })
            if chosen.count > 20 || picked.count != chosen.count {
                v["message"] = "Choose up to 20 process files of the library that have costs."
            } else if currencies.count > 1 {
                v["message"] = "The files chosen are costed in \(currencies.map(\.rawValue).sorted().joined(separator: " and ")): choose files of one currency."
            } else if let currency = currencies.first {
                let points = picked.flatMap { ScaleCurve.compute($0.report.model, scales: nil) }
                let table = ScaleCurveChart.table(points, currency: currency)
                tables = [table]
                let query = Tables.query(request)
                v["curve"] = [
                    "chart": ScaleCurveChart.svg(points, currency: currency), "table": Tables.values(table, query: query),
                    "xlsx": "?" + query + (query.isEmpty ? "" : "&") + "format=xlsx",
                    "notes": picked.filter { $0.report.model.costs.scaleExponent == nil }.map {
                        "\($0.report.model.process.name): no facility scale-exponent, so facility and production-unit costs are held constant across scales."
                    },
                ]
            }
            if let download = try Tables.download(request, tables, name: "scale-curve") { return download }
            return site.page("costs", try await values(context, title: "Cost of goods", v), status: v["message"] == nil ? .ok : .badRequest)
        }}
        pages.get("/costs/:file") { request, context in try await cachedPage(request, context) {
            let name = try context.parameter("file")
            let all = try await costed(context.requireIdentity().user)
            if name.hasSuffix(".csv"), let (_, r) = all.first(where: { $0.file + ".csv" == name }) {
                return csvDownload(r.csv(), name: String(name.dropLast(4).replacingOccurrences(of: ".", with: "-")) + "-cost.csv")
            }
            if name.hasSuffix(".xlsx"), let (_, r) = all.first(where: { $0.file + ".xlsx" == name }) {
                return try workbook([("Cost lines", r.csv())], name: String(name.dropLast(5).replacingOccurrences(of: ".", with: "-")) + "-cost.xlsx")
            }
            guard let (file, r) = all.first(where: { $0.file == name }) else {
                return site.page(
                    "error", try await values(context, title: "No such cost", ["message": "The library has no process file \(name) with costs."]),
                    status: .notFound)
            }
            return site.page("cost", try await values(context, title: "Cost of goods", costValues(file, r)))
        }}
        pages.get("/uncertainty/progress") { request, context in
            try await uncertaintyProgress(request, context.requireIdentity().user)
        }
        pages.get("/uncertainty") { request, context in try await cachedPage(request, context) {
            if let format = request.uri.queryParameters.get("format"), format == "csv" || format == "xlsx" {
                let (_, asked, _) = try await uncertaintyAsk(request, context.requireIdentity().user)
                guard let ask = asked else { return Tables.text("choose a process file and a number of samples", status: .badRequest) }
                let run = Self.run(ask)
                let csv = UncertaintyReport(model: ask.model, result: run.result, threads: run.threads, tornado: run.tornado, sobol: run.sobol).csv()
                let name = ask.file.replacingOccurrences(of: ".", with: "-") + "-uncertainty"
                return format == "csv" ? csvDownload(csv, name: name + ".csv") : try workbook([("Uncertainty", csv)], name: name + ".xlsx")
            }
            let (v, status) = try await uncertainty(request, context.requireIdentity().user)
            return site.page("uncertainty", try await values(context, title: "Uncertainty", v), status: status)
        }}
        pages.post("/sign-out") { request, context in
            let form = try await Form(request, context: context)
            guard let identity = context.identity, Cookies.matches(form["csrf"], Cookies.csrf(for: identity.token)) else {
                return site.page("error", ["title": "Refused", "message": "The form is out of date: reload the page and try again."], status: .forbidden)
            }
            try await store.logout(token: identity.token)
            return Response(
                status: .seeOther,
                headers: [.location: "/sign-in", .setCookie: Cookies.set(Cookies.session, "", site: site, maxAge: 0)])
        }
    }

    /// The values every page has: its title, the signed-in user and the CSRF token of forms.
    func values(_ context: AppContext, title: String, _ more: [String: Any] = [:]) async throws -> [String: Any] {
        let identity = try context.requireIdentity()
        var v = more
        v["title"] = title
        if PageCache.capture != nil {
            // A page kept for every person of the role: the person is put back when it is answered.
            v["user"] = ["fullName": PageCache.fullName, "username": PageCache.username, "roleName": PageCache.role]
            v["csrf"] = PageCache.csrf
        } else {
            v["user"] = ["fullName": identity.user.fullName, "username": identity.user.username, "roleName": identity.user.role.title]
            v["csrf"] = Cookies.csrf(for: identity.token)
        }
        v["canEdit"] = Permissions.allows(identity.user.role, .editProcess)
        if let banner = await alarmBanner() { v["alarmBanner"] = banner }
        v["monitors"] = monitor != nil
        return v
    }

    // MARK: Sign-in and set-up

    func addSignIn(to router: Router<AppContext>) {
        router.get("/sign-in") { request, _ in
            if site.setupCode != nil, try await store.userCount() == 0 { return Response(status: .seeOther, headers: [.location: "/setup"]) }
            return preSessionPage("sign-in", request, ["title": "Sign in", "next": safeNext(request.uri.queryParameters.get("next"))])
        }
        router.post("/sign-in") { request, context in
            let form = try await Form(request, context: context)
            let next = safeNext(form["next"])
            guard let pre = Cookies.value(Cookies.preSession, in: request), Cookies.matches(form["csrf"], Cookies.csrf(for: pre)) else {
                return preSessionPage(
                    "sign-in", request, ["title": "Sign in", "next": next, "message": "The form is out of date: sign in again."],
                    status: .forbidden)
            }
            let username = form["username"] ?? ""
            let keys = SignInThrottle.keys(context, username: username)
            do throws(SignInThrottle.TooMany) {
                try throttle.check(keys)
            } catch {
                var r = preSessionPage(
                    "sign-in", request, ["title": "Sign in", "next": next, "username": username, "message": "Too many failed sign-ins: try again in \(error.retryAfter) s."],
                    status: .tooManyRequests)
                r.headers[.retryAfter] = String(error.retryAfter)
                return r
            }
            do {
                let (token, _) = try await store.login(username: username, password: form["password"] ?? "")
                throttle.succeeded(username: username)
                return Response(
                    status: .seeOther,
                    headers: [.location: next.isEmpty ? "/" : next, .setCookie: Cookies.set(Cookies.session, token, site: site, maxAge: Int(GMPStore.sessionLength))])
            } catch let e as GMPError where e.kind == .unauthenticated {
                throttle.failed(keys)
                return preSessionPage(
                    "sign-in", request, ["title": "Sign in", "next": next, "username": form["username"] ?? "", "message": e.message],
                    status: .unauthorized)
            }
        }
        router.get("/setup") { request, _ in
            guard site.setupCode != nil, try await store.userCount() == 0 else {
                return site.page("error", ["title": "Set up already", "message": "This site has its administrator: sign in."], status: .notFound)
            }
            return preSessionPage("setup", request, ["title": "Set up"])
        }
        router.post("/setup") { request, context in
            guard let code = site.setupCode, try await store.userCount() == 0 else {
                return site.page("error", ["title": "Set up already", "message": "This site has its administrator: sign in."], status: .notFound)
            }
            let form = try await Form(request, context: context)
            let kept: [String: Any] = ["title": "Set up", "username": form["username"] ?? "", "fullName": form["fullName"] ?? ""]
            guard let pre = Cookies.value(Cookies.preSession, in: request), Cookies.matches(form["csrf"], Cookies.csrf(for: pre)) else {
                return preSessionPage("setup", request, kept.merging(["message": "The form is out of date: try again."]) { $1 }, status: .forbidden)
            }
            guard Cookies.matches(form["code"]?.uppercased().trimmingCharacters(in: .whitespaces), code) else {
                return preSessionPage(
                    "setup", request, kept.merging(["message": "The set-up code is wrong: it is printed in the server's log."]) { $1 },
                    status: .forbidden)
            }
            do {
                _ = try await store.bootstrap(
                    username: form["username"] ?? "", fullName: form["fullName"] ?? "", password: form["password"] ?? "")
            } catch let e as GMPError {
                return preSessionPage("setup", request, kept.merging(["message": e.message]) { $1 }, status: .badRequest)
            }
            return Response(status: .seeOther, headers: [.location: "/sign-in"])
        }
    }

    /// A page with a form before any session: a pre-session cookie carries the CSRF secret.
    func preSessionPage(_ name: String, _ request: Request, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let existing = Cookies.value(Cookies.preSession, in: request).flatMap { $0.count == 48 ? $0 : nil }
        let secret = existing ?? Cookies.randomSecret()
        var v = values
        v["csrf"] = Cookies.csrf(for: secret)
        var response = site.page(name, v, status: status)
        if existing == nil { response.headers[.setCookie] = Cookies.set(Cookies.preSession, secret, site: site, maxAge: 3600) }
        return response
    }

    /// Where to go after signing in: a path of this site only.
    func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.count <= 500 else { return "" }
        return next
    }

    // MARK: Compare platforms

    /// The files and doses asked for, compared; or why not.
    func compared(_ request: Request, entries: [Entry]) -> Result<(PlatformComparison, [String]), GMPError> {
        let q = request.uri.queryParameters
        var files = q.getAll("file")
        if files.isEmpty { files = entries.map(\.file).filter { $0.hasPrefix("aav-dmd-") } }
        guard !files.isEmpty, files.count <= 20 else { return .failure(GMPError(.invalid, "choose one to 20 process files")) }
        var chosen: [Entry] = []
        for f in files {
            guard let e = entries.first(where: { $0.file == f }) else { return .failure(GMPError(.invalid, "the library has no process file \(f)")) }
            chosen.append(e)
        }
        let dosesText = q.get("doses") ?? "100"
        guard let doses = Int(dosesText), (1...WorkLimits.doses).contains(doses) else {
            return .failure(GMPError(.invalid, "doses must be a whole number from 1 to \(Fmt.count(WorkLimits.doses)), not '\(dosesText)'"))
        }
        do {
            return .success((try PlatformComparison.compare(chosen.map(\.definition), targetDoses: doses), files))
        } catch {
            return .failure(GMPError(.invalid, "\(error)"))
        }
    }

    func comparison(_ request: Request, _ user: User) async throws -> ([String: Any], HTTPResponse.Status) {
        let entries = try await library(user).processes
        let asked = Set(request.uri.queryParameters.getAll("file"))
        var v: [String: Any] = [
            "maxDoses": WorkLimits.doses, "doses": request.uri.queryParameters.get("doses") ?? "100",
        ]
        let result = compared(request, entries: entries)
        let chosen: Set<String>
        switch result {
        case .success(let (c, files)):
            chosen = Set(files)
            var notes = c.rows.filter(\.wasScaled).map {
                "\($0.model): the lot as written (\(Fmt.count($0.writtenUnitsPerLot)) \($0.platform.unitName)) makes no dose once QC vials and whole vials are counted; scaled to the smallest lot that makes one."
            }
            if let best = c.rows.min(by: { $0.totalHandlings < $1.totalHandlings }),
                let worst = c.rows.max(by: { $0.totalHandlings < $1.totalHandlings }), best.totalHandlings > 0, c.rows.count > 1
            {
                notes.append(
                    "\(worst.model) needs \(Fmt.number(worst.totalHandlings / best.totalHandlings)) × the handlings and \(Fmt.number(worst.totalSuiteTime / best.totalSuiteTime)) × the suite time of \(best.model).")
            }
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            v["result"] = [
                "title": "\(Fmt.count(c.targetDoses)) doses",
                "rows": c.rows.map { r in
                    [
                        "platform": r.platform.rawValue, "model": r.model, "units": Fmt.count(r.unitsPerLot) + (r.wasScaled ? "*" : ""),
                        "doses": Fmt.count(r.dosesPerLot), "lots": Fmt.count(r.lots), "totalUnits": Fmt.count(r.totalUnits),
                        "lotDays": Fmt.number(r.lotDuration.value(in: "d")), "suiteDays": Fmt.number(r.totalSuiteTime.value(in: "d")),
                        "handlings": Fmt.count(r.totalHandlings),
                    ]
                },
                "notes": notes,
                "query": (files.map { "file=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" } + ["doses=\(c.targetDoses)"])
                    .joined(separator: "&"),
            ]
        case .failure(let e):
            chosen = asked
            v["message"] = e.message
        }
        v["choices"] = entries.map { ["file": $0.file, "product": $0.report.product, "platform": $0.report.production.platform, "checked": chosen.contains($0.file)] }
        if case .failure = result { return (v, .badRequest) }
        return (v, .ok)
    }

    /// A workbook of CSV tables (each read back as numbers and text), a sheet each.
    func workbook(_ sheets: [(String, String)], name: String) throws -> Response {
        let tables = sheets.compactMap { DataTable($0.0, csv: $0.1) }
        return Response(
            status: .ok,
            headers: [.contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", .contentDisposition: "attachment; filename=\"\(name)\""],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try Workbook.xlsx(tables))))
    }

    /// A CSV download: UTF-8 with a byte-order mark, so that Excel reads accents right.
    func csvDownload(_ csv: String, name: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\""],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "\u{FEFF}" + csv)))
    }

    // MARK: Costs

    /// The library's process files that carry costs, each costed.
    func costed(_ user: User) async throws -> [(file: String, report: CostReport)] {
        try await economicModels(user).compactMap { m in (try? CostReport(m.model)).map { (m.file, $0) } }
    }

    func costValues(_ file: String, _ r: CostReport) -> [String: Any] {
        let c = r.model.costs.currency
        let total = r.cost.matrix.total
        let qcSplit = r.qcSplit
        let qc = r.cost.matrix.total(CostCategory.qc)
        var figures: [(String, String)] = [
            ("per lot made", Fmt.money(r.cost.perLotAttempted, c)), ("per released lot", Fmt.money(r.cost.perLotReleased, c)),
            ("per dose", Fmt.money(r.cost.perDose, c)),
        ]
        let dpp = r.model.process.product.dose.dosesPerPatient
        if dpp > 1 { figures.append(("per patient", Fmt.money(r.cost.perDose * Double(dpp), c))) }
        if let p = r.price { figures.append(("fair price a dose", Fmt.money(p.pricePerDose, c))) }
        var v: [String: Any] = [
            "file": file, "name": r.model.process.name, "doses": Fmt.count(r.cost.doses), "successRate": Fmt.percent(r.cost.successRate),
            "currency": c.rawValue, "figures": figures.map { ["label": $0.0, "value": $0.1] },
            "chart": CostChart.svg(r.cost, currency: c, stages: r.shownStages), "stages": r.shownStages.map(\.label),
            "matrix": r.shownCategories.map(\.category).map { category in
                [
                    "category": category.label, "cells": r.shownStages.map { Fmt.money(r.cost.matrix[$0, category], c) },
                    "total": Fmt.money(r.cost.matrix.total(category), c), "share": Fmt.percent(r.cost.matrix.total(category) / total),
                ] as [String: Any]
            } + [
                [
                    "category": "total", "cells": r.shownStages.map { Fmt.money(r.cost.matrix.total($0), c) },
                    "total": Fmt.money(total, c), "share": "100 %",
                ]
            ],
            "sharesChart": CostChart.shares(r.shownCategories, currency: c),
            "categories": r.shownCategories.map {
                [
                    "category": $0.category.label, "perLotMade": Fmt.money($0.perLotMade, c), "perLotReleased": Fmt.money($0.perLotReleased, c),
                    "perDose": Fmt.money($0.perDose, c), "share": Fmt.percent($0.share),
                ]
            } + [
                [
                    "category": "total", "perLotMade": Fmt.money(r.cost.perLotAttempted, c), "perLotReleased": Fmt.money(r.cost.perLotReleased, c),
                    "perDose": Fmt.money(r.cost.perDose, c), "share": Fmt.percent(r.shownCategories.reduce(0) { $0 + $1.share }),
                ]
            ],
            "hasQCSplit": qc > 0,
            "qcSplit": QCPart.allCases.compactMap { part -> [String: String]? in
                guard let amount = qcSplit[part], amount != 0 else { return nil }
                return ["part": part.label, "amount": Fmt.money(amount, c), "share": Fmt.percent(amount / qc)]
            },
            "lines": r.lines.sorted { $0.amount > $1.amount }.filter { $0.amount != 0 }.prefix(15).map {
                [
                    "stage": $0.stage.label, "category": $0.category.label, "item": costItemLabel($0.item, r.model.process, r.model.costs),
                    "amount": Fmt.money($0.amount, c), "share": Fmt.percent($0.amount / total),
                ]
            },
        ]
        if let p = r.price {
            var components: [(String, String)] = [
                ("Cost of goods", Fmt.money(p.cogsPerDose, c)), ("Development, amortised", Fmt.money(p.developmentPerDose, c)),
                ("Distribution", Fmt.money(p.distributionPerDose, c)), ("Margin", Fmt.money(p.marginPerDose, c)),
                ("Fair price", Fmt.money(p.pricePerDose, c)),
            ]
            if let list = p.listPrice {
                components.append(("List price", Fmt.money(list, c)))
                components.append(("List ÷ fair", Fmt.number(p.listToFair ?? .nan)))
            }
            v["price"] = ["components": components.map { ["label": $0.0, "value": $0.1] }]
        }
        return v
    }

    // MARK: Uncertainty

    /// The page's bounds: a Monte Carlo of at most a million samples, Sobol at most a million
    /// lot evaluations, on at most two threads — a page answers within seconds.
    static let maxSamples = 1_000_000
    static let maxSobolEvaluations = 1_000_000

    /// A Monte Carlo asked for on the page, checked.
    struct UncertaintyAsk: Sendable {
        var file: String
        var sha256: String
        var model: EconomicModel
        var samples: Int
        var seed: UInt64
        var target: Int?
        var sobol: Sensitivity.SobolRequest

        var key: String { "\(file)|\(sha256)|\(samples)|\(seed)|\(target ?? 0)|\(sobol)" }
    }

    /// A Monte Carlo, its tornado and its Sobol indices, kept for the page that shows them
    /// after the progress stream ran them.
    struct UncertaintyRun: Sendable {
        var result: MonteCarlo.Result
        var tornado: Sensitivity.Tornado
        var sobol: Sensitivity.Sobol?
        var threads: Int
    }

    static let runs = Memo<UncertaintyRun>(capacity: 16)

    /// The form's values and the run it asks for; or why not (the values carry the message).
    func uncertaintyAsk(_ request: Request, _ user: User) async throws -> ([String: Any], UncertaintyAsk?, HTTPResponse.Status) {
        let q = request.uri.queryParameters
        let entries = try await library(user).processes.filter { $0.economic.map { !$0.parameters.isEmpty } ?? false }
        let file = q.get("file") ?? entries.first?.file ?? ""
        var v: [String: Any] = [
            "maxSamples": Self.maxSamples, "samples": q.get("samples") ?? "100000", "seed": q.get("seed") ?? "42",
            "target": q.get("target") ?? "", "sobol": q.get("sobol") ?? "auto",
            "choices": entries.map { ["file": $0.file, "inputs": $0.economic!.parameters.count, "selected": $0.file == file] },
        ]
        guard let entry = entries.first(where: { $0.file == file }), let model = entry.economic else {
            v["message"] = entries.isEmpty ? "No process file of the library has an input written as a distribution." : "The library has no uncertain process \(file)."
            return (v, nil, entries.isEmpty ? .ok : .badRequest)
        }
        v["maxSobol"] = Self.maxSobolEvaluations / (model.parameters.count + 2)
        guard q.get("samples") != nil else { return (v, nil, .ok) }
        var problems: [String] = []
        let samples = Int(q.get("samples") ?? "") ?? -1
        if !(1...Self.maxSamples).contains(samples) { problems.append("samples must be a whole number from 1 to \(Fmt.count(Self.maxSamples))") }
        let seed = UInt64(q.get("seed") ?? "")
        if seed == nil { problems.append("the seed must be a whole number of 0 or more") }
        var target: Int?
        if let t = q.get("target"), !t.isEmpty {
            target = Int(t)
            if target == nil || !(1...WorkLimits.doses).contains(target!) { problems.append("target doses must be a whole number from 1 to \(Fmt.count(WorkLimits.doses))") }
        }
        let maxSobol = Self.maxSobolEvaluations / (model.parameters.count + 2)
        var sobol = Sensitivity.SobolRequest.automatic
        switch q.get("sobol")?.trimmingCharacters(in: .whitespaces) ?? "auto" {
        case "auto", "": break
        case let text:
            if let n = Int(text), n == 0 || (n >= 2 && n <= maxSobol) {
                sobol = n == 0 ? .none : .samples(n)
            } else {
                problems.append(
                    "Sobol base samples must be auto (until every 95 % interval is narrower than \(Fmt.number(Sensitivity.defaultIntervalWidth))), 0 (none) or a whole number from 2 to \(Fmt.count(maxSobol)) (\(model.parameters.count + 2) lot evaluations each)"
                )
            }
        }
        guard problems.isEmpty, let seed else {
            v["message"] = problems.joined(separator: "; ")
            return (v, nil, .badRequest)
        }
        return (v, UncertaintyAsk(file: file, sha256: entry.source.sha256, model: model, samples: samples, seed: seed, target: target, sobol: sobol), .ok)
    }

    /// Runs what was asked (or finds it run), telling `progress` the samples done and
    /// `sobolRound` the base samples of each round of the Sobol analysis.
    static func run(
        _ ask: UncertaintyAsk, progress: (@Sendable (Int) -> Void)? = nil, sobolRound: (@Sendable (Int) -> Void)? = nil
    ) -> UncertaintyRun {
        runs.value(ask.key) {
            let threads = min(2, ProcessInfo.processInfo.activeProcessorCount)
            let result = MonteCarlo.run(ask.model, .init(samples: ask.samples, seed: ask.seed, threads: threads, targetDoses: ask.target), progress: progress)
            let tornado = Sensitivity.tornado(ask.model)
            let indices = ask.sobol.sampling(inputs: ask.model.parameters.count, mostEvaluations: maxSobolEvaluations).map {
                Sensitivity.sobol(ask.model, $0, seed: ask.seed, threads: threads, round: sobolRound)
            }
            return UncertaintyRun(result: result, tornado: tornado, sobol: indices, threads: threads)
        }
    }

    func uncertainty(_ request: Request, _ user: User) async throws -> ([String: Any], HTTPResponse.Status) {
        var (v, asked, status) = try await uncertaintyAsk(request, user)
        guard let ask = asked else { return (v, status) }
        let model = ask.model
        let run = Self.run(ask)
        let result = run.result, tornado = run.tornado, indices = run.sobol
        let report = UncertaintyReport(model: model, result: result, threads: run.threads, tornado: tornado, sobol: indices)
        let c = model.costs.currency
        let cost = result.statistics(.costPerDose)
        var figures: [(String, String)] = [
            ("mean cost per dose", Fmt.money(cost.mean, c)), ("p5 – p95", "\(CostChart.compact(cost.p5, c)) – \(CostChart.compact(cost.p95, c))"),
            ("mean doses a lot", Fmt.number(result.statistics(.doses).mean)),
            ("expected lot cost ÷ expected doses", result.expectedCostPerDose.map { Fmt.money($0, c) } ?? "no dose"),
            ("samples making no dose", Fmt.percent(result.noDoseShare)),
        ]
        if let t = ask.target, let p = result.probabilityOfTarget { figures.append(("P(≥ \(Fmt.count(t)) doses a lot)", Fmt.percent(p))) }
        for f in report.fullCapsidSpecifications { figures.append(("P(bulk meets \(f.specification))", Fmt.percent(f.probability))) }
        let query = Tables.query(request)
        var shown: [String: Any] = [
            "csv": "/uncertainty?" + query + "&format=csv", "xlsx": "/uncertainty?" + query + "&format=xlsx",
            "name": model.process.name, "samplesText": Fmt.count(ask.samples), "seed": String(ask.seed), "seconds": Fmt.number(result.seconds),
            "evaluation": UncertaintyReport.evaluation(result),
            "hasInfeasible": result.infeasible > 0, "infeasible": Fmt.count(result.infeasible),
            "figures": figures.map { ["label": $0.0, "value": $0.1] },
            "outputs": report.outputs.map { (output, name) -> [String: String] in
                let s = result.statistics(output)
                func f(_ x: Double) -> String { report.formatted(output, x) }
                return ["name": name, "mean": f(s.mean), "p5": f(s.p5), "p50": f(s.p50), "p95": f(s.p95)]
            },
            "histogram": UncertaintyCharts.histogram(cost, currency: c),
            "tornado": UncertaintyCharts.tornado(tornado, currency: c),
            "inputs": model.parameters.map { ["label": $0.label, "distribution": report.inputDescription($0)] },
        ]
        // Mustache shows a section for any value, even an empty one: no key without Sobol.
        if let indices {
            shown["sobolChart"] = UncertaintyCharts.sobol(indices)
            let note: String =
                "\(Fmt.count(indices.samples)) base samples, \(Fmt.count(indices.evaluations)) lot evaluations, \(Fmt.number(indices.seconds)) s. "
                + UncertaintyReport.sobolSampling(indices)
            shown["sobolNote"] = note
            shown["sobolRows"] = indices.indices.map {
                [
                    "label": $0.label, "firstOrder": Fmt.number($0.firstOrder, digits: 2),
                    "firstOrderInterval": UncertaintyReport.interval($0.firstOrderInterval),
                    "total": Fmt.number($0.total, digits: 2), "totalInterval": UncertaintyReport.interval($0.totalInterval),
                ]
            }
        }
        v["result"] = shown
        return (v, .ok)
    }

    /// The run's progress as server-sent events: `progress` with the samples done and the
    /// total, `sobol` with the base samples of each round of the Sobol analysis, then `done`
    /// (the page then shows the run, kept) or `refused` with the reason.
    func uncertaintyProgress(_ request: Request, _ user: User) async throws -> Response {
        let (v, asked, _) = try await uncertaintyAsk(request, user)
        let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"]
        guard let ask = asked else {
            let message = (v["message"] as? String) ?? "choose a process file and a number of samples"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "event: refused\ndata: \(message.replacingOccurrences(of: "\n", with: " "))\n\n")))
        }
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(4))
        let total = ask.samples
        // Progress every 5 % at most: a few dozen events, whatever the samples.
        let step = max(MonteCarlo.chunkSize, total / 20)
        let last = Mutex(0)
        Task.detached {
            continuation.yield(ByteBuffer(string: "event: progress\ndata: {\"done\":0,\"total\":\(total)}\n\n"))
            _ = Self.run(
                ask,
                progress: { done in
                    let report = last.withLock { seen -> Bool in
                        guard done - seen >= step || done == total else { return false }
                        seen = done
                        return true
                    }
                    if report { continuation.yield(ByteBuffer(string: "event: progress\ndata: {\"done\":\(done),\"total\":\(total)}\n\n")) }
                },
                sobolRound: { samples in continuation.yield(ByteBuffer(string: "event: sobol\ndata: {\"samples\":\(samples)}\n\n")) })
            continuation.yield(ByteBuffer(string: "event: done\ndata: {\"total\":\(total)}\n\n"))
            continuation.finish()
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: stream))
    }

    // MARK: The process library

    struct Entry {
        var file: String
        var source: ProcessLibrary.Source
        var definition: ProcessDefinition
        var lot: LotReport
        /// Its figures as reported (made once).
        var report: LotReportData
        var economic: EconomicModel?

        var row: [String: Any] {
            [
                "file": file, "product": report.product, "platform": report.production.platform,
                "doses": Fmt.count(report.summary.doses), "lotTime": measure(report.summary.lotTime),
                "version": source.label, "edited": source.version > 0,
            ]
        }

        var details: [String: Any] {
            let s = report.summary
            let figures: [(String, String)] = [
                ("doses a lot", Fmt.count(s.doses)), ("patients a lot", Fmt.count(s.patients)),
                ("vials filled", Fmt.count(s.vialsFilled)), ("vials a dose", Fmt.count(s.vialsPerDose)),
                ("bulk vector", measure(s.bulkVector)), ("downstream yield", Fmt.percent(s.downstreamYield)),
                ("harvest volume", measure(s.harvestVolume)), ("lot time", measure(s.lotTime)),
            ]
            return [
                "file": file, "report": ["product": report.product, "process": report.process, "vector": report.vector],
                "version": source.label, "note": source.note, "author": source.author, "at": source.at,
                "figures": figures.map { ["label": $0.0, "value": $0.1] },
                "seed": report.seedTrain.map {
                    [
                        "name": $0.name, "vessels": Fmt.count($0.vessels), "cellsIn": Fmt.number($0.cellsIn.value),
                        "cellsOut": Fmt.number($0.cellsOut.value), "doublings": Fmt.number($0.doublings), "days": measure($0.duration),
                    ]
                },
                "steps": report.downstream.map {
                    [
                        "name": $0.name, "volumeIn": measure($0.volumeIn), "volumeOut": measure($0.volumeOut),
                        "vectorOut": measure($0.vectorOut), "yield": Fmt.percent($0.stepYield),
                        "equipment": equipment($0),
                    ]
                },
                "timeline": report.timeline.map { ["name": $0.name, "days": "\(Fmt.number($0.startDay))–\(Fmt.number($0.endDay))"] },
                "timelineChart": TimelineChart.svg(report.timeline),
                "hasWarnings": !report.warnings.isEmpty,
                "warnings": report.warnings.map { ["field": $0.field, "message": $0.message, "typical": $0.typical, "source": $0.source] },
                "hasSkipped": !report.skippedSeedStages.isEmpty,
                "skipped": report.skippedSeedStages.joined(separator: ", "),
                "particles": report.particles.map(particleDetails) as Any,
            ]
        }

        /// A step's equipment; from a catalogue, the size bought and the exact need beside it.
        func equipment(_ st: LotReportData.Step) -> String {
            let count = st.equipmentCount ?? 0
            let need = st.equipmentNeed.map { " (need \(measure($0)))" } ?? ""
            func bought(_ m: Measure) -> String {
                count > 1 ? "\(count) × \(measure(Measure(m.value / Double(count), m.unit)))" : measure(m)
            }
            return [
                st.columnVolume.map { "column \(measure($0))\(need)" }, st.filterArea.map { "filter \(bought($0))\(need)" },
                st.membraneArea.map { "membrane \(bought($0))\(need)" },
            ].compactMap { $0 }.joined(separator: ", ")
        }

        /// The capsid (AAV) or particle (LV) balance for the page.
        func particleDetails(_ b: ParticleBalance) -> [String: Any] {
            let aav = b.kind == .capsids
            return [
                "aav": aav, "unit": b.symbol,
                "rows": ([b.harvest] + b.steps).map { pt -> [String: Any] in
                    [
                        "name": pt.name, "particles": Fmt.number(pt.particles),
                        "share": aav ? Fmt.percent(pt.vectorShare) : Fmt.number(pt.particles / pt.vector),
                        "partial": Fmt.percent(pt.partialShare), "empty": Fmt.percent(pt.emptyShare),
                    ]
                },
                "perDose": Fmt.number(b.particlesPerDose),
                "fullInBulk": Fmt.percent(b.bulk.vectorShare),
                "hasInfectious": b.infectiousUnitsPerDose != nil,
                "infectious": b.infectiousUnitsPerDose.map { Fmt.number($0) } ?? "",
                "checks": b.releaseChecks.map {
                    ["test": $0.test, "specification": $0.specification, "meets": $0.meets]
                },
            ]
        }

        func measure(_ m: Measure) -> String {
            "\(Fmt.number(m.value)) \(m.unit.replacingOccurrences(of: "m2", with: "m²").replacingOccurrences(of: "m3", with: "m³"))"
        }
    }

    var processLibrary: ProcessLibrary { ProcessLibrary(store: store, folder: site.library) }

    /// One file of the library at its current version (or the version asked for), read; or
    /// its first problem.
    func entry(_ user: User, _ name: String, version: Int? = nil) async throws -> Result<Entry, GMPError> {
        let versions = try await processLibrary.versions(user, name)
        guard let source = version.map({ v in versions.first { $0.version == v } }) ?? versions.last else {
            return .failure(GMPError(.notFound, "the library has no process file \(name)" + (version.map { " v\($0)" } ?? "")))
        }
        return entry(source)
    }

    func entry(_ source: ProcessLibrary.Source) -> Result<Entry, GMPError> {
        switch ProcessReadings.shared.read(source.text, name: source.name, folder: site.library, sha256: source.sha256) {
        case .success(let r):
            return .success(Entry(file: source.name, source: source, definition: r.definition, lot: r.lot, report: r.report, economic: r.economic))
        case .failure(let m):
            return .failure(GMPError(.invalid, m.mistakes.first.map { ($0.line.map { "line \($0): " } ?? "") + "\($0.field): \($0.message)" } ?? "not a process file"))
        }
    }

    /// Every process file of the library, each read and simulated; files that are not process
    /// files or cannot make a lot are listed with their first problem.
    func library(_ user: User) async throws -> (processes: [Entry], problems: [(file: String, message: String)]) {
        var processes: [Entry] = []
        var problems: [(String, String)] = []
        for source in try await processLibrary.current(user) {
            switch entry(source) {
            case .success(let e): processes.append(e)
            case .failure(let e): problems.append((source.name, e.message))
            }
        }
        return (processes, problems)
    }

    /// The library's files that carry costs, each read with them.
    func economicModels(_ user: User) async throws -> [(file: String, model: EconomicModel)] {
        try await library(user).processes.compactMap { e in e.economic.map { (e.file, $0) } }
    }
}
