import APIBodies
import Bioprocess
import FileFormats
import Hummingbird
import NIOCore
import Reporting
import Store

/// The computations over the API, for any signed-in user: what the command line computes.
struct ComputeRoutes {
    func addRoutes(to api: RouterGroup<AppContext>) {
        api.post("simulate") { request, context in
            _ = try context.signedIn()
            let b = try await request.body(SimulateBody.self, context: context)
            let process = try ProcessFile.parse(b.process, file: "process")
            let report: LotReport
            do { report = try LotReport.simulate(process) } catch let error as SimulationError {
                throw BadRequest(message: "the process cannot make a lot: \(error.message)")
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: try LotReportJSON.render(report))))
        }
    }
}
