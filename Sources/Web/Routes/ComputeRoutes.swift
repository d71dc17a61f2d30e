import APIBodies
import Bioprocess
import Capacity
import Economics
import FileFormats
import Foundation
import Hummingbird
import NIOCore
import Reporting
import Store

/// The computations over the API, for any signed-in user: what the command line computes, from
/// file texts in the body (nothing is read from the server's disk), answered with the JSON its
/// `--format json` prints. Each is bounded as the pages are.
struct ComputeRoutes {
    /// A Monte Carlo of the API: at most a million samples, Sobol at most a million lot
    /// evaluations; a facility simulation at most 2,000 replications; on two threads.
    static let maxSamples = 1_000_000
    static let maxSobolEvaluations = 1_000_000
    static let maxReplications = 2_000
    static let maxProcesses = 20
    static var threads: Int { min(2, ProcessInfo.processInfo.activeProcessorCount) }

    func addRoutes(to api: RouterGroup<AppContext>) {
        api.post("simulate") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(SimulateBody.self, context: context)
            return jsonText(try LotReportJSON.render(try lot(try ProcessFile.parse(b.process, file: "process"))))
        }
        api.post("compare") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(CompareBody.self, context: context)
            guard (1...Self.maxProcesses).contains(b.processes.count) else { throw BadRequest(message: "processes must hold 1 to \(Self.maxProcesses) process files") }
            guard (1...WorkLimits.doses).contains(b.doses) else { throw BadRequest(message: "doses must be a whole number from 1 to \(WorkLimits.doses)") }
            let processes = try b.processes.enumerated().map { i, text throws in try ProcessFile.parse(text, file: "processes[\(i)]") }
            do {
                return try json(ComparisonReport.data(try PlatformComparison.compare(processes, targetDoses: b.doses)))
            } catch let e as SimulationError {
                throw BadRequest(message: "a process cannot make a lot: \(e.message)")
            }
        }
        api.post("diff") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(DiffBody.self, context: context)
            let da = try DocumentLoader.parse(b.before, file: "before"), db = try DocumentLoader.parse(b.after, file: "after")
            let pa = try ProcessReader.read(da, extensions: ProcessFile.extensions), pb = try ProcessReader.read(db, extensions: ProcessFile.extensions)
            do {
                return try json(DiffReport.data(try ProcessDiff.compare(da, pa, db, pb)))
            } catch let e as SimulationError {
                throw BadRequest(message: "a version cannot make a lot: \(e.message)")
            } catch let e as WorkLimitError {
                throw BadRequest(message: e.description)
            }
        }
        api.post("cost") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(CostBody.self, context: context)
            let model = try Self.economic(b.process, costs: b.costs, field: "costs")
            do {
                return try json(try CostReport(model).data())
            } catch let e as SimulationError {
                throw BadRequest(message: "the process cannot make a lot: \(e.message)")
            }
        }
        api.post("scale-curve") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(ScaleCurveBody.self, context: context)
            guard (1...Self.maxProcesses).contains(b.processes.count) else { throw BadRequest(message: "processes must hold 1 to \(Self.maxProcesses) process files") }
            if let c = b.costs, c.count != b.processes.count { throw BadRequest(message: "costs must give one cost file text per process, in the same order") }
            var points: [ScaleCurve.Point] = []
            var currency: Currency?
            for (i, text) in b.processes.enumerated() {
                let model = try Self.economic(text, costs: b.costs?[i], field: "costs[\(i)]")
                if let c = currency, c != model.costs.currency {
                    throw BadRequest(message: "processes[\(i)] is costed in \(model.costs.currency.rawValue), the others in \(c.rawValue)")
                }
                currency = model.costs.currency
                let chosen: [ScaleCurve.Scale]?
                do throws(ScaleListError) {
                    if let text = b.scales {
                        chosen = try ScaleCurveReport.parseScales(text, for: model.process.production.platform.kind, field: "scales")
                    } else {
                        chosen = nil
                    }
                } catch {
                    throw BadRequest(message: error.message)
                }
                points += ScaleCurve.compute(model, scales: chosen)
            }
            return try json(ScaleCurveReport.rows(points))
        }
        api.post("uncertainty") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(UncertaintyBody.self, context: context)
            guard (1...Self.maxSamples).contains(b.samples) else { throw BadRequest(message: "samples must be a whole number from 1 to \(Self.maxSamples)") }
            if let t = b.targetDoses, !(1...WorkLimits.doses).contains(t) { throw BadRequest(message: "targetDoses must be a whole number from 1 to \(WorkLimits.doses)") }
            let model = try Self.economic(b.process, costs: b.costs, field: "costs")
            guard !model.parameters.isEmpty else { throw BadRequest(message: "the process has no input written as a distribution: nothing is uncertain") }
            let most = Self.maxSobolEvaluations / (model.parameters.count + 2)
            let asked: Sensitivity.SobolRequest
            switch (b.sobolSamples, b.sobolWidth) {
            case (.some, .some):
                throw BadRequest(message: "sobolWidth goes without sobolSamples (as many samples as it takes), not with a number of samples")
            case (.some(let n), nil):
                guard n == 0 || (n >= 2 && n <= most) else {
                    throw BadRequest(message: "sobolSamples must be 0 (none) or a whole number from 2 to \(most) (\(model.parameters.count + 2) lot evaluations each)")
                }
                asked = n == 0 ? .none : .samples(n)
            case (nil, let width):
                let w = width ?? Sensitivity.defaultIntervalWidth
                guard WorkLimits.sobolWidths.contains(w) else {
                    throw BadRequest(message: "sobolWidth must be from \(WorkLimits.sobolWidths.lowerBound) to \(WorkLimits.sobolWidths.upperBound)")
                }
                asked = .narrowerThan(w)
            }
            let seed = b.seed ?? 1
            let result = MonteCarlo.run(model, .init(samples: b.samples, seed: seed, threads: Self.threads, targetDoses: b.targetDoses))
            let indices = asked.sampling(inputs: model.parameters.count, mostEvaluations: Self.maxSobolEvaluations).map {
                Sensitivity.sobol(model, $0, seed: seed, threads: Self.threads)
            }
            return try json(
                UncertaintyReport(model: model, result: result, threads: Self.threads, tornado: Sensitivity.tornado(model), sobol: indices).data())
        }
        api.post("plan") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(PlanBody.self, context: context)
            return try json(PlanReport(try Self.plan(b.facility, b.demand, b.processes)).data())
        }
        api.post("materials") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(PlanBody.self, context: context)
            return try json(MaterialPlanReport.rows(MaterialPlan(try Self.plan(b.facility, b.demand, b.processes))))
        }
        api.post("simulate-facility") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(FacilitySimulationBody.self, context: context)
            guard (1...Self.maxReplications).contains(b.replications) else {
                throw BadRequest(message: "replications must be a whole number from 1 to \(Self.maxReplications)")
            }
            let f = try FacilityReader.read(DocumentLoader.parse(b.facility, file: "facility"))
            let d = try Self.demand(b.demand, b.processes)
            let seed = b.seed ?? 1
            do {
                let result = try FacilitySimulation.run(f, d, .init(replications: b.replications, seed: seed, threads: Self.threads))
                return try json(FacilitySimulationReport(result: result, facility: f, demand: d, seed: seed).data())
            } catch let e as WorkLimitError {
                throw BadRequest(message: e.description)
            } catch let e as SimulationError {
                throw BadRequest(message: "a product's process cannot make a lot: \(e.message)")
            }
        }
        api.post("transfer") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(TransferBody.self, context: context)
            let p = try ProcessFile.parse(b.process, file: "process")
            let f = try FacilityReader.read(DocumentLoader.parse(b.facility, file: "facility"))
            let t: TechTransfer
            do throws(SimulationError) {
                t = try TechTransfer(p, at: f)
            } catch {
                throw BadRequest(message: "the process cannot make a lot: \(error.message)")
            }
            return try json(TechTransferReport.data(t))
        }
    }

    func lot(_ p: ProcessDefinition) throws -> LotReport {
        do { return try LotReport.simulate(p) } catch { throw BadRequest(message: "the process cannot make a lot: \(error.message)") }
    }

    func jsonText(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A process file with its costs; the text `costs` stands for the file its `costs:` names.
    static func economic(_ process: String, costs: String?, field: String) throws -> EconomicModel {
        let document = try DocumentLoader.parse(process, file: "process")
        let resolved = try EconomicFile.resolvingReferences(document) { name throws(DefinitionError) in
            guard let costs else {
                throw DefinitionError([
                    DefinitionIssue(
                        location: nil, path: FieldPath([.key("costs")]), message: "the costs: section names the file '\(name)', whose text the request does not give",
                        expected: "its text in the body's \(field) field")
                ])
            }
            return try DocumentLoader.parse(costs, file: field)
        }
        return try EconomicReader.read(resolved)
    }

    static func demand(_ text: String, _ processes: [String: String]) throws -> Demand {
        guard processes.count <= DemandFile.maxProcessFiles else { throw BadRequest(message: "processes may hold at most \(DemandFile.maxProcessFiles) files") }
        return try DemandFile.parse(text, file: "demand", processes: processes)
    }

    static func plan(_ facility: String, _ demand: String, _ processes: [String: String]) throws -> Plan {
        let f = try FacilityReader.read(DocumentLoader.parse(facility, file: "facility"))
        let d = try Self.demand(demand, processes)
        do {
            return try Planner.plan(f, d)
        } catch let e as WorkLimitError {
            throw BadRequest(message: e.description)
        } catch let e as SimulationError {
            throw BadRequest(message: "a product's process cannot make a lot: \(e.message)")
        }
    }
}
