import Foundation
import FuzzSupport

/// libFuzzer's entry point: FuzzTargets.processReader on one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.processReader(bytes.map { Data(bytes: $0, count: size) } ?? Data())
    return 0
}

#if FUZZING
    @_cdecl("FuzzProcessReader_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        runFuzzer(argc, argv, fuzzOneInput)
    }
#else
    @main struct Main {
        static func main() { Replay.main(FuzzTargets.processReader) }
    }
#endif
