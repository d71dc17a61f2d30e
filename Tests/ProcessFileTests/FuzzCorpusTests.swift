import Bioprocess
import Foundation
import FuzzSupport
import Testing

/// The fuzz targets' bodies over their seed corpus (Examples/ and Fuzz/Corpus/, where every
/// input a fuzzer once crashed on is kept): each must come back, whatever the input.
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func seeds(_ target: String) -> [String] {
        var files = Replay.files(at: root.appendingPathComponent("Fuzz/Corpus/\(target)").path)
        // Hidden files are other tests' temporary copies, which may vanish while this runs.
        let examples = Replay.files(at: root.appendingPathComponent("Examples").path)
            .filter { !$0.split(separator: "/").contains { $0.hasPrefix(".") } }
        switch target {
        case "process-reader", "cost-reader": files += examples.filter { !$0.contains("/capacity/") }
        case "facility-reader", "demand-reader": files += examples.filter { $0.contains("/capacity/") }
        default: break
        }
        return files
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func everyTargetComesBackOnItsSeeds(target: String) throws {
        let run = try #require(FuzzTargets.all.first { $0.name == target }?.run)
        let files = Self.seeds(target)
        #expect(!files.isEmpty, "\(target) has no seed")
        for file in files {
            run(try Data(contentsOf: URL(fileURLWithPath: file)))
        }
    }

    @Test func aUnitRaisedPastItsExponentLimitIsAnErrorNotATrap() throws {
        // Found by the quantity-parser fuzzer: vg⁴⁴·vg²·vg⁹⁹ overflowed the Int8 exponent.
        for text in ["2 vg^44 vg2 vg^99 vg/-/mL", "1 m^12 m^12", "1 m^-128", "1 km^12 km^12 km^12"] {
            #expect(throws: UnitParseError.self, "\(text)") { try QuantityParser.parse(text) }
        }
        #expect(try QuantityParser.parse("1 m^12").unit.dimension.length == 12)
    }
}
