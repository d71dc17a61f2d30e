import Bioprocess
import Capacity
import FileFormats
import Foundation
import Reporting
import Testing
import VectorFabCommands

/// Capsid figures in the capacity reports (issue 14, item 1): the plan and the facility
/// simulation give each product's capsids (AAV) or particles (LV) per lot, per dose and per
/// suite-year from the lot report's particle balance, the one computation the lot and cost
/// reports use.
struct CapsidReportTests {
    static func pair(_ facility: String, _ demand: String) -> (String, String) {
        (Repository.path("Examples/capacity/\(facility)"), Repository.path("Examples/capacity/\(demand)"))
    }

    @Test func thePlanAndTheSimulationGiveTheDuchenneLotsCapsids() throws {
        let (facility, demand) = Self.pair("dmd-2000L-suite.yaml", "dmd-demand.yaml")
        let f = try FacilityFile.load(path: facility), d = try DemandFile.load(path: demand)
        let rate = try #require(try LotRates.rates(f, d).first)
        // The lot report's own balance of the same process.
        let balance = try #require(ParticleBalance.of(try LotReport.simulate(d.products[0].process)))
        #expect(rate.particles == balance && balance.kind == .capsids)
        let row = try #require(LotCycleReport.rows([rate]).first?.particles)
        #expect(row.perLot == balance.bulk.particles && row.perDose == balance.particlesPerDose)
        #expect(abs(row.releasedPerSuiteYear - balance.bulk.particles * rate.releasedPerYear) <= 1e-9 * row.releasedPerSuiteYear)
        // 72.9 % full in the bulk against the ≥ 70 % specification: met.
        #expect(abs(row.vectorShare - 0.729) < 0.001 && row.releaseChecks.first?.meets == true)
        for text in [
            try Commands.plan(facility: facility, demand: demand, format: .text),
            try Commands.simulateFacility(facility: facility, demand: demand, replications: 20, seed: 1, threads: 2, format: .text),
        ] {
            #expect(text.contains("Capsids and particles in the bulk"))
            #expect(text.contains("\(Fmt.number(balance.bulk.particles)) cp") && text.contains(Fmt.percent(balance.bulk.vectorShare)))
            #expect(text.contains("specification ≥ 70 % full capsids — met by the prediction"), "\(text)")
        }
        for json in [
            try Commands.plan(facility: facility, demand: demand, format: .json),
            try Commands.simulateFacility(facility: facility, demand: demand, replications: 20, seed: 1, threads: 2, format: .json),
        ] {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let cycle = try #require((object["lotCycles"] as? [[String: Any]])?.first)
            let particles = try #require(cycle["particles"] as? [String: Any])
            #expect(particles["symbol"] as? String == "cp" && particles["perLot"] as? Double == balance.bulk.particles)
        }
    }

    @Test func lentiviralLotsGiveParticlesPerTransducingUnit() throws {
        let (facility, demand) = Self.pair("lv-industrial-suite.yaml", "sickle-cell-industrial-demand.yaml")
        let f = try FacilityFile.load(path: facility), d = try DemandFile.load(path: demand)
        let rate = try #require(try LotRates.rates(f, d).first)
        let b = try #require(rate.particles)
        #expect(b.kind == .lentiviral)
        let text = try Commands.plan(facility: facility, demand: demand, format: .text)
        #expect(text.contains("1 TU : \(Fmt.number(1 / b.bulk.vectorShare)) VP"), "\(text)")
    }

    /// A process that states no particles adds no capsid table.
    @Test func noParticlesNoTable() throws {
        let (facility, demand) = Self.pair("dmd-2000L-suite.yaml", "dmd-demand.yaml")
        let f = try FacilityFile.load(path: facility)
        var d = try DemandFile.load(path: demand)
        // The peer model's 2,000 L lot states no capsids.
        d.products[0].process = try ProcessFile.load(path: Repository.path("Examples/peer-aav-2000L-montecarlo.yaml"))
        #expect(d.products[0].process.production.particles == nil && f.suites.contains { $0.canRun(d.products[0].process) })
        let report = PlanReport(try Planner.plan(f, d))
        #expect(report.rates.first?.particles == nil && !report.text().contains("Capsids and particles"))
        #expect(report.data().lotCycles.allSatisfy { $0.particles == nil })
    }
}
