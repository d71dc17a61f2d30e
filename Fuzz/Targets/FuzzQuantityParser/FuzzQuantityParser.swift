import Foundation
import FuzzSupport

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.quantityParser(bytes.map { Data(bytes: $0, count: size) } ?? Data())
    return 0
}

#if FUZZING
    // Built by Fuzz/run with -sanitize=fuzzer,address: SwiftPM links an executable's main to
    // "<module>_main", so that symbol hands over to libFuzzer's driver.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    @_cdecl("FuzzQuantityParser_main")
    public func fuzzMain(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> CInt {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
    }
#else
    /// Without libFuzzer: replays the files and folders given as arguments.
    @main struct Main {
        static func main() { Replay.main(FuzzTargets.quantityParser) }
    }
#endif
