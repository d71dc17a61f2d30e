import Bioprocess
import Capacity
import Economics
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Reporting

/// The facility and demand files of the library's `capacity` folder, and what is computed from
/// them: the plan, the facility simulation, the materials, the tech transfer.
struct CapacityLibrary: Sendable {
    let folder: String

    enum Kind: Sendable {
        case facility(Facility)
        case demand(Demand)
        case problem(String)
    }

    static let files = Memo<Kind>(capacity: 200)
    static let plans = Memo<Result<PlanReport, PlanFailure>>(capacity: 32)
    static let simulations = Memo<Result<FacilitySimulationReport, PlanFailure>>(capacity: 32)

    struct PlanFailure: Error, Sendable { var message: String }

    /// Suggested pairs of facility and demand, the ones the README runs, shown first.
    static let suggested = [
        ("lv-zone-2015.yaml", "sickle-cell-100-patients.yaml"), ("peer-four-suites.yaml", "peer-ten-years.yaml"),
        ("lv-industrial-suite.yaml", "sickle-cell-industrial-demand.yaml"), ("genethon-bioprod-2015.yaml", "genethon-clinical-programmes.yaml"),
        ("cdmo-market-2022.yaml", "market-demand-2023-2030.yaml"),
    ]

    func names() -> [String] {
        Array(
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                .prefix(100))
    }

    func kind(_ name: String) -> Kind {
        guard names().contains(name) else { return .problem("the capacity folder has no file \(name)") }
        let path = folder + "/" + name
        return Self.files.value(fileStamp(path)) {
            do {
                let document = try DocumentLoader.load(path: path)
                if case .mapping(let fields) = document.value, fields.contains(where: { $0.key == "products" }) {
                    return .demand(try DemandFile.load(path: path))
                }
                return .facility(try FacilityFile.load(path: path))
            } catch {
                return .problem((error as? DefinitionError)?.issues.first?.description ?? "\(error)")
            }
        }
    }

    var facilities: [(String, Facility)] { names().compactMap { if case .facility(let f) = kind($0) { ($0, f) } else { nil } } }
    var demands: [(String, Demand)] { names().compactMap { if case .demand(let d) = kind($0) { ($0, d) } else { nil } } }

    func plan(_ facility: String, _ demand: String) -> Result<PlanReport, PlanFailure> {
        guard case .facility(let f) = kind(facility) else { return .failure(PlanFailure(message: "\(facility) is not a facility file of the capacity folder")) }
        guard case .demand(let d) = kind(demand) else { return .failure(PlanFailure(message: "\(demand) is not a demand file of the capacity folder")) }
        return Self.plans.value(fileStamp(folder + "/" + facility) + "|" + fileStamp(folder + "/" + demand)) {
            do { return .success(PlanReport(try Planner.plan(f, d))) } catch { return .failure(PlanFailure(message: "\(error)")) }
        }
    }

    /// The facility simulation of a page: at most 2,000 replications on two threads.
    static let maxReplications = 2_000

    func simulate(_ facility: String, _ demand: String, replications: Int, seed: UInt64) -> Result<FacilitySimulationReport, PlanFailure> {
        guard case .facility(let f) = kind(facility), case .demand(let d) = kind(demand) else {
            return .failure(PlanFailure(message: "choose a facility file and a demand file of the capacity folder"))
        }
        let key = fileStamp(folder + "/" + facility) + "|" + fileStamp(folder + "/" + demand) + "|\(replications)|\(seed)"
        return Self.simulations.value(key) {
            do {
                let threads = min(2, ProcessInfo.processInfo.activeProcessorCount)
                let result = try FacilitySimulation.run(f, d, .init(replications: replications, seed: seed, threads: threads))
                return .success(FacilitySimulationReport(result: result, facility: f, demand: d, seed: seed))
            } catch {
                return .failure(PlanFailure(message: "\(error)"))
            }
        }
    }
}

extension PageRoutes {
    var capacity: CapacityLibrary { CapacityLibrary(folder: site.library + "/capacity") }

    func addCapacityPages(to pages: RouterGroup<AppContext>) {
        pages.get("/capacity") { request, context in try await cachedPage(request, context) {
            let (v, tables, status) = capacityValues(request)
            if let download = try Tables.download(request, tables, name: "plan") { return download }
            return site.page("capacity", try await values(context, title: "Capacity", v), status: status)
        }}
        pages.get("/capacity/schedule") { request, context in
            let q = request.uri.queryParameters
            guard case .success(let r) = capacity.plan(q.get("facility") ?? "", q.get("demand") ?? "") else {
                return Tables.text("choose a facility file and a demand file of the capacity folder", status: .badRequest)
            }
            let format = q.get("format") ?? "csv"
            guard format == "csv" || format == "xlsx" else { return Tables.text("format must be csv or xlsx", status: .badRequest) }
            let t = CapacityTables.schedule(r)
            if format == "xlsx" { return try Tables.download(request, [t], name: "schedule")! }
            return csvDownload(t.csv(), name: "schedule.csv")
        }
        pages.get("/capacity/materials") { request, context in try await cachedPage(request, context) {
            let (facility, demand) = chosenPair(request)
            var v = pairChoices(facility, demand, action: "/capacity/materials")
            var tables: [DataTable] = []
            var status = HTTPResponse.Status.ok
            switch capacity.plan(facility, demand) {
            case .success(let r):
                let m = MaterialPlan(r.plan)
                tables = [CapacityTables.materialTotals(m), CapacityTables.materialsByYear(m), CapacityTables.materialsByMonth(m)]
                let query = Tables.query(request)
                v["result"] = [
                    "title": "\(r.plan.facility.name), \(r.plan.demand.name)", "lines": Fmt.count(m.lines.count),
                    "months": Fmt.count(Set(m.lines.map(\.month)).count),
                    "tables": tables.map { Tables.values($0, query: query, limit: 1000) }, "xlsx": "?" + query + (query.isEmpty ? "" : "&") + "format=xlsx",
                    "leadTimes": r.plan.facility.leadTimes.isEmpty ? "The facility file gives no supplier lead times: no order date can be set." : "",
                ]
            case .failure(let e):
                v["message"] = e.message
                status = .badRequest
            }
            if let download = try Tables.download(request, tables, name: "materials") { return download }
            return site.page("materials", try await values(context, title: "Materials", v), status: status)
        }}
        pages.get("/capacity/transfer") { request, context in try await cachedPage(request, context) {
            let user = try context.requireIdentity().user
            let q = request.uri.queryParameters
            let processes = try await library(user).processes
            let facilities = capacity.facilities
            let processName = q.get("process") ?? processes.first { $0.file.hasPrefix("aav-dmd-suspension") }?.file ?? processes.first?.file ?? ""
            let facilityName = q.get("facility") ?? facilities.first { $0.0.hasPrefix("genethon-bioprod") }?.0 ?? facilities.first?.0 ?? ""
            var v: [String: Any] = [
                "processes": processes.map { ["file": $0.file, "selected": $0.file == processName] },
                "facilities": facilities.map { ["file": $0.0, "name": $0.1.name, "selected": $0.0 == facilityName] },
            ]
            var tables: [DataTable] = []
            var status = HTTPResponse.Status.ok
            if let e = processes.first(where: { $0.file == processName }), let f = facilities.first(where: { $0.0 == facilityName })?.1 {
                do {
                    let t = try TechTransfer(e.definition, at: f)
                    tables = [CapacityTables.transferStages(t)]
                    let query = Tables.query(request)
                    v["result"] = [
                        "process": t.process, "facility": t.facility, "verdict": t.verdict.rawValue, "changes": t.changes, "missing": t.missing,
                        "hasChanges": !t.changes.isEmpty, "hasMissing": !t.missing.isEmpty, "table": Tables.values(tables[0], query: query),
                        "xlsx": "?" + query + (query.isEmpty ? "" : "&") + "format=xlsx",
                    ]
                } catch {
                    v["message"] = "\(error)"
                    status = .badRequest
                }
            } else {
                v["message"] = "Choose a process file of the library and a facility file of the capacity folder."
                status = q.get("process") == nil && q.get("facility") == nil ? .ok : .badRequest
            }
            if let download = try Tables.download(request, tables, name: "transfer") { return download }
            return site.page("transfer", try await values(context, title: "Tech transfer", v), status: status)
        }}
    }

    func chosenPair(_ request: Request) -> (String, String) {
        let q = request.uri.queryParameters
        let names = capacity.names()
        let pair = CapacityLibrary.suggested.first { names.contains($0.0) && names.contains($0.1) } ?? ("", "")
        return (q.get("facility") ?? pair.0, q.get("demand") ?? pair.1)
    }

    func pairChoices(_ facility: String, _ demand: String, action: String) -> [String: Any] {
        let names = capacity.names()
        return [
            "facilities": capacity.facilities.map { ["file": $0.0, "name": $0.1.name, "suites": $0.1.suites.count, "selected": $0.0 == facility] },
            "demands": capacity.demands.map { ["file": $0.0, "name": $0.1.name, "selected": $0.0 == demand] },
            "suggestions": CapacityLibrary.suggested.filter { names.contains($0.0) && names.contains($0.1) }.map {
                ["facility": $0.0, "demand": $0.1, "label": "\($0.0.replacingOccurrences(of: ".yaml", with: "")) × \($0.1.replacingOccurrences(of: ".yaml", with: ""))"]
            },
            "facility": facility, "demand": demand, "formAction": action,
        ]
    }

    func capacityValues(_ request: Request) -> ([String: Any], [DataTable], HTTPResponse.Status) {
        let q = request.uri.queryParameters
        let (facility, demand) = chosenPair(request)
        var v = pairChoices(facility, demand, action: "/capacity")
        v["maxReplications"] = CapacityLibrary.maxReplications
        v["replications"] = q.get("replications") ?? "200"
        v["seed"] = q.get("seed") ?? "42"
        let r: PlanReport
        switch capacity.plan(facility, demand) {
        case .success(let report): r = report
        case .failure(let e):
            v["message"] = e.message
            return (v, [], .badRequest)
        }
        let plan = r.plan, f = plan.facility
        let y0 = plan.demand.start.year
        // Zoom: a year, or the whole horizon.
        var window: ClosedRange<Double>?
        let yearText = q.get("year") ?? ""
        let years = (0..<r.analysis.years).map { y0 + $0 }
        if let year = Int(yearText), years.contains(year) {
            let startDay = f.start.days(to: CalendarDate(year: year, month: 1, day: 1))
            window = max(0, startDay)...max(1, f.start.days(to: CalendarDate(year: year + 1, month: 1, day: 1)))
        } else if !yearText.isEmpty {
            v["message"] = "year must be one of \(years.first ?? y0)–\(years.last ?? y0), not \(yearText)"
        }
        let query = Tables.query(request)
        func link(_ year: Int?) -> String {
            var items = request.uri.queryParameters.filter { $0.key != "year" && $0.key != "format" && $0.key != "table" }.map { "\($0.key)=\($0.value)" }
            if let year { items.append("year=\(year)") }
            return "/capacity?" + items.joined(separator: "&").replacingOccurrences(of: " ", with: "%20")
        }
        var tables = [
            CapacityTables.lotsPerProduct(r), CapacityTables.demandAndSupply(r), CapacityTables.utilisation(r),
            CapacityTables.lotsBySuite(r),
        ]
        let production = f.suites.filter { $0.kind == .vectorProduction }.count
        let unmet = plan.demand.products.map { p in (p, r.analysis.products.filter { $0.product == p.name }.last?.unmet ?? 0) }
        var figures: [(String, String)] = [
            ("lots planned", Fmt.count(plan.lots.count)), ("production suites", Fmt.count(production)),
            ("shared resources", Fmt.count(f.resources.count)), ("years", "\(y0)–\(y0 + r.analysis.years - 1)"),
        ]
        if let b = r.analysis.bottleneck { figures.append(("bottleneck: \(b.name)", Fmt.percent(b.utilisation) + " used")) }
        for (p, u) in unmet { figures.append(("unmet at the end, \(p.name)", "\(Fmt.count(u)) \(p.unit.rawValue)")) }
        var result: [String: Any] = [
            "facilityName": f.name, "demandName": plan.demand.name, "figures": figures.map { ["label": $0.0, "value": $0.1] },
            "gantt": GanttChart.svg(r, window: window),
            "zoom": [["label": "All years", "href": link(nil), "current": window == nil]]
                + years.map { ["label": "\($0)", "href": link($0), "current": Int(yearText) == $0] },
            "supplyChart": CapacityCharts.demandAndSupply(r), "utilisationChart": CapacityCharts.utilisation(r),
            "problems": plan.problems, "hasProblems": !plan.problems.isEmpty, "rule": plan.rule,
            "schedule": "/capacity/schedule?" + query, "materials": "/capacity/materials?" + query,
        ]
        // The facility simulation beside the plan, when asked for.
        if let repText = q.get("replications") {
            let replications = Int(repText) ?? -1
            let seed = UInt64(q.get("seed") ?? "")
            if !(1...CapacityLibrary.maxReplications).contains(replications) || seed == nil {
                v["message"] = "replications must be a whole number from 1 to \(Fmt.count(CapacityLibrary.maxReplications)) and the seed a whole number of 0 or more"
                v["result"] = result
                return (v, tables, .badRequest)
            }
            switch capacity.simulate(facility, demand, replications: replications, seed: seed!) {
            case .success(let s):
                let t = CapacityTables.planAndSimulation(r, s)
                tables.append(t)
                result["simulation"] = [
                    "replications": Fmt.count(replications), "seed": String(seed!), "seconds": Fmt.number(s.result.seconds),
                    "probability": Fmt.percent(s.result.probabilityOfMeetingDemand), "why": CapacityTables.whyTheyDiffer(r, s),
                    "table": Tables.values(t, query: query),
                ]
            case .failure(let e):
                v["message"] = e.message
                v["result"] = result
                return (v, tables, .badRequest)
            }
        }
        result["tables"] = tables.prefix(4).map { Tables.values($0, query: query, limit: 300) }
        result["xlsx"] = "?" + query + (query.isEmpty ? "" : "&") + "format=xlsx"
        v["result"] = result
        return (v, tables, .ok)
    }
}
