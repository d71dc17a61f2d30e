import APIBodies
import Bioprocess
import Capacity
import Economics
import FileFormats
import Foundation

/// The fuzz targets' bodies, one per door that reads outside input. Each takes any bytes, must
/// never crash, trap, hang or allocate without bound, and checks what it can of the result: a
/// document that reads must also simulate (or refuse with a `SimulationError`), be costed,
/// planned. The libFuzzer executables (`Fuzz/Targets`) call these; so do the tests, over the
/// seed corpus.
public enum FuzzTargets {
    /// Every target by the name `Fuzz/run` takes.
    public static let all: [(name: String, run: @Sendable (Data) -> Void)] = [
        ("process-reader", processReader), ("cost-reader", costReader), ("facility-reader", facilityReader),
        ("demand-reader", demandReader), ("quantity-parser", quantityParser), ("http-bodies", httpBodies),
    ]

    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    /// A process file: read, then simulate a lot.
    public static func processReader(_ data: Data) {
        guard let process = try? ProcessFile.parse(text(data), file: "fuzz.yaml") else { return }
        _ = try? LotSimulator.summary(process)
    }

    /// A process file with costs: read, then cost a lot and a dose.
    public static func costReader(_ data: Data) {
        guard let document = try? DocumentLoader.parse(text(data), file: "fuzz.yaml"),
            let model = try? EconomicReader.read(document)
        else { return }
        _ = try? model.nominalCost()
    }

    /// A facility file: read, then plan a small fixed demand in it.
    public static func facilityReader(_ data: Data) {
        guard let document = try? DocumentLoader.parse(text(data), file: "fuzz.yaml"),
            let facility = try? FacilityReader.read(document)
        else { return }
        _ = try? Planner.plan(facility, smallDemand)
    }

    /// A demand file, every product made by the seed-000 process: read, then plan it in the
    /// peer's four-suite facility.
    public static func demandReader(_ data: Data) {
        guard let document = try? DocumentLoader.parse(text(data), file: "fuzz.yaml") else { return }
        var processes: [String: ProcessDefinition] = [:]
        if case .mapping(let top) = document.value, let list = top.first(where: { $0.key == "products" }),
            case .sequence(let items) = list.value.value
        {
            for item in items {
                if case .mapping(let fields) = item.value, let p = fields.first(where: { $0.key == "process" }),
                    case .scalar(let name, _) = p.value.value
                {
                    processes[name] = seedProcess
                }
            }
        }
        guard let demand = try? DemandReader.read(document, processes: processes) else { return }
        _ = try? Planner.plan(zoneFacility, demand)
    }

    /// One written measurement: `"2.5e13 vg/mL"`.
    public static func quantityParser(_ data: Data) {
        _ = try? QuantityParser.parse(text(data))
    }

    /// An HTTP body: the first byte picks the body type, the rest is the body.
    public static func httpBodies(_ data: Data) {
        guard let first = data.first else { return }
        let rest = data.dropFirst()
        let decoders: [(Data) throws -> Void] = [
            { _ = try BodyDecoder.decode(LoginBody.self, from: $0) }, { _ = try BodyDecoder.decode(UserBody.self, from: $0) },
            { _ = try BodyDecoder.decode(RecipeBody.self, from: $0) }, { _ = try BodyDecoder.decode(LotBody.self, from: $0) },
            { _ = try BodyDecoder.decode(ValueBody.self, from: $0) }, { _ = try BodyDecoder.decode(SampleBody.self, from: $0) },
            { _ = try BodyDecoder.decode(ResultBody.self, from: $0) }, { _ = try BodyDecoder.decode(TransitionBody.self, from: $0) },
            { _ = try BodyDecoder.decode(DecisionBody.self, from: $0) }, { _ = try BodyDecoder.decode(CorrectionBody.self, from: $0) },
        ]
        try? decoders[Int(first) % decoders.count](Data(rest))
        if Int(first) % decoders.count == 2, let body = try? BodyDecoder.decode(RecipeBody.self, from: Data(rest)) {
            // What /api/recipes does with the text.
            _ = try? ProcessFile.parse(body.process, file: "process")
        }
    }

    // Fixed inputs the readers' results are run against: the peer's four-suite site, its
    // ten-year demand and the seed-000 process, read from Examples/ beside this file.
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples")
    static func example(_ name: String) -> String { examples.appendingPathComponent(name).path }
    static let seedProcess: ProcessDefinition = try! ProcessFile.load(path: example("seed000-aav-200L.yaml"))
    static let zoneFacility: Facility = try! FacilityFile.load(path: example("capacity/peer-four-suites.yaml"))
    static let smallDemand: Demand = try! DemandFile.load(path: example("capacity/peer-ten-years.yaml"))
}
