import Bioprocess
import Capacity
import Economics
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Reporting
import Testing

@testable import Web

/// The capacity pages show what `vectorfab plan`, `simulate-facility`, `materials` and
/// `transfer` compute from the same files, with their downloads.
struct CapacityPageTests {
    typealias P = PageTests
    static let zone = "lv-zone-2015.yaml", hundred = "sickle-cell-100-patients.yaml"

    static func path(_ name: String) -> String { Repository.path("Examples/capacity/\(name)") }

    /// The plan report gives each product's process warnings, as its lot report does (issue 14, item 9).
    @Test func thePlanReportGivesEachProductsProcessWarnings() throws {
        let f = try FacilityFile.load(path: Self.path(Self.zone))
        var d = try DemandFile.load(path: Self.path(Self.hundred))
        #expect(PlanReport(try Planner.plan(f, d)).warnings.isEmpty)
        d.products[0].process.cellLine.doublingTime = Quantity(60, "h")
        let report = PlanReport(try Planner.plan(f, d))
        let expected = Plausibility.warnings(try LotReport.simulate(d.products[0].process))
        #expect(!expected.isEmpty && report.warnings.map(\.warning) == expected)
        #expect(report.warnings.allSatisfy { $0.product == d.products[0].name })
        #expect(expected.allSatisfy { report.text().contains($0.message) } && report.data().warnings == report.warnings)
        // The facility simulation says the same.
        let sim = FacilitySimulationReport(
            result: try FacilitySimulation.run(f, d, .init(replications: 5, seed: 1, threads: 1)), facility: f, demand: d, seed: 1)
        #expect(sim.data().warnings == report.warnings && expected.allSatisfy { sim.text().contains($0.message) })
    }

    @Test func thePlanPageShowsThePlanTheCommandMakesAndTheSimulationBesideIt() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        let report = PlanReport(try Planner.plan(try FacilityFile.load(path: Self.path(Self.zone)), try DemandFile.load(path: Self.path(Self.hundred))))
        let f = try FacilityFile.load(path: Self.path(Self.zone)), d = try DemandFile.load(path: Self.path(Self.hundred))
        // Same seed, same result on one thread or two.
        let sim = FacilitySimulationReport(result: try FacilitySimulation.run(f, d, .init(replications: 50, seed: 9, threads: 1)), facility: f, demand: d, seed: 9)
        try await app.test(.router) { client in
            let s = try await P.signIn(client, "sam")
            let page = try await P.get(client, "/capacity?facility=\(Self.zone)&demand=\(Self.hundred)", cookies: ["vf_session": s])
            #expect(page.status == .ok)
            #expect(page.html.contains("<span class=\"value\">\(Fmt.count(report.plan.lots.count))</span><span class=\"label\">lots planned</span>"))
            #expect(page.html.contains("bottleneck: \(report.analysis.bottleneck!.name)"))
            #expect(page.html.components(separatedBy: "<title>Lot ").count - 1 == report.plan.lots.reduce(0) { $0 + Set($1.bookings.map(\.holder)).count })
            for row in report.analysis.products { #expect(page.html.contains("<td class=\"num\">\(Fmt.count(row.served))</td>")) }
            #expect(!page.html.contains("Why the plan and the simulation differ"), "the simulation runs when asked")

            let year = report.plan.demand.start.year + 1
            let zoomed = try await P.get(client, "/capacity?facility=\(Self.zone)&demand=\(Self.hundred)&year=\(year)", cookies: ["vf_session": s])
            #expect(zoomed.status == .ok && zoomed.html.contains(">Jan</text>") && zoomed.html.contains(">Dec</text>"), "month ticks in a year")
            #expect(zoomed.html.contains("aria-current=\"true\" class=\"current\">\(year)</a>"))

            let simulated = try await P.get(
                client, "/capacity?facility=\(Self.zone)&demand=\(Self.hundred)&replications=50&seed=9", cookies: ["vf_session": s])
            #expect(simulated.status == .ok)
            #expect(simulated.html.contains("<span class=\"value\">\(Fmt.percent(sim.result.probabilityOfMeetingDemand))</span><span class=\"label\">P(meeting every year&#39;s demand)</span>")
                || simulated.html.contains("<span class=\"value\">\(Fmt.percent(sim.result.probabilityOfMeetingDemand))</span><span class=\"label\">P(meeting every year's demand)</span>"))
            for line in CapacityTables.whyTheyDiffer(report, sim) {
                #expect(simulated.html.contains(line.replacingOccurrences(of: "'", with: "&#39;")) || simulated.html.contains(line), "\(line)")
            }
            for bad in ["replications=0&seed=1", "replications=999999&seed=1", "replications=10&seed=x", "year=1800"] {
                let answer = try await P.get(client, "/capacity?facility=\(Self.zone)&demand=\(Self.hundred)&\(bad)", cookies: ["vf_session": s])
                #expect(answer.html.contains("class=\"error\""), "\(bad)")
            }
            #expect(try await P.get(client, "/capacity?facility=nothing.yaml&demand=\(Self.hundred)", cookies: ["vf_session": s]).status == .badRequest)
            #expect(try await P.get(client, "/capacity?facility=../../etc/passwd&demand=\(Self.hundred)", cookies: ["vf_session": s]).status == .badRequest)

            // Downloads: each table as CSV, every table as one workbook, the schedule.
            let csv = try await P.get(client, "/capacity?facility=\(Self.zone)&demand=\(Self.hundred)&format=csv&table=demand-and-supply", cookies: ["vf_session": s])
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.html == "\u{FEFF}" + CapacityTables.demandAndSupply(report).csv())
            let xlsx = try await client.execute(
                uri: "/capacity?facility=\(Self.zone)&demand=\(Self.hundred)&format=xlsx", method: .get, headers: [.cookie: "vf_session=\(s)"], body: nil
            ) { $0 }
            #expect(xlsx.status == .ok && xlsx.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            #expect(Array(xlsx.body.readableBytesView.prefix(2)) == [0x50, 0x4B], "a ZIP archive")
            let schedule = try await P.get(client, "/capacity/schedule?facility=\(Self.zone)&demand=\(Self.hundred)&format=csv", cookies: ["vf_session": s])
            #expect(schedule.html == "\u{FEFF}" + CapacityTables.schedule(report).csv())
        }
    }

    @Test func theMaterialsAndTransferPagesShowWhatTheCommandsCompute() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await P.site()))
        let suite = "lv-industrial-suite.yaml", demand = "sickle-cell-industrial-demand.yaml"
        let m = MaterialPlan(try Planner.plan(try FacilityFile.load(path: Self.path(suite)), try DemandFile.load(path: Self.path(demand))))
        let transfer = try TechTransfer(
            try ProcessFile.load(path: Repository.path("Examples/aav-dmd-suspension-2000L.yaml")),
            at: try FacilityFile.load(path: Self.path("genethon-bioprod-2015.yaml")))
        try await app.test(.router) { client in
            let s = try await P.signIn(client, "olga")
            let page = try await P.get(client, "/capacity/materials?facility=\(suite)&demand=\(demand)", cookies: ["vf_session": s])
            #expect(page.status == .ok)
            let totals = CapacityTables.materialTotals(m)
            for (row, material) in zip(totals.rows, totals.rows.map { $0[0] }) {
                let total = m.lines.filter { $0.material.rawValue == material.csvText }.reduce(0) { $0 + $1.quantity }
                #expect(row[2] == .number(total))
                #expect(page.html.contains("<td class=\"num\">\(Fmt.number(total))</td>"), "\(material)")
            }
            let first = try #require(m.lines.first?.latestOrder)
            #expect(page.html.contains(first.description), "order dates")
            let t = try await P.get(
                client, "/capacity/transfer?process=aav-dmd-suspension-2000L.yaml&facility=genethon-bioprod-2015.yaml", cookies: ["vf_session": s])
            #expect(t.status == .ok)
            #expect(t.html.contains("Verdict: <strong>\(transfer.verdict.rawValue)</strong>"))
            for change in transfer.changes { #expect(t.html.contains(change.replacingOccurrences(of: "'", with: "&#39;")) || t.html.contains(change)) }
            #expect(try await P.get(client, "/capacity/transfer?process=none.yaml&facility=genethon-bioprod-2015.yaml", cookies: ["vf_session": s]).status == .badRequest)
        }
    }

    /// The market Gantt (213 suites, about 22,000 lots) stays under 2 MB, every suite a row.
    @Test func theMarketGanttIsSmallAndHasEverySuite() throws {
        let f = try FacilityFile.load(path: Self.path("cdmo-market-2022.yaml"))
        let report = PlanReport(try Planner.plan(f, try DemandFile.load(path: Self.path("market-demand-2023-2030.yaml"))))
        let svg = GanttChart.svg(report)
        #expect(svg.utf8.count < 2_000_000, "\(svg.utf8.count) bytes")
        for s in f.suites where s.kind == .vectorProduction { #expect(svg.contains(">\(s.name)</text>"), "\(s.name)") }
        let year = GanttChart.svg(report, window: 730...1095)
        #expect(year.utf8.count < 2_000_000 && year.contains("<title>Lot "), "a year has a tooltip per lot")
    }
}
