import Foundation

/// Runs a fuzz target's body over files and folders given on the command line, as libFuzzer
/// would over its corpus: the same executable, built without `-sanitize=fuzzer`, replays a
/// corpus or a crash file.
public enum Replay {
    public static func main(_ body: (Data) -> Void) {
        var count = 0
        for argument in CommandLine.arguments.dropFirst() where !argument.hasPrefix("-") {
            for file in files(at: argument) {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                body(data)
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }

    /// The file, or every file in the folder and below it.
    public static func files(at path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [] }
        guard isFolder.boolValue else { return [path] }
        let enumerator = FileManager.default.enumerator(atPath: path)
        return (enumerator?.allObjects as? [String] ?? []).map { (path as NSString).appendingPathComponent($0) }
            .filter { p in
                var d: ObjCBool = false
                return FileManager.default.fileExists(atPath: p, isDirectory: &d) && !d.boolValue
            }.sorted()
    }
}

#if FUZZING
    // Provided by libFuzzer when Fuzz/run builds with -sanitize=fuzzer.
    @_silgen_name("LLVMFuzzerRunDriver")
    private func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// Hands the process over to libFuzzer's driver. SwiftPM links an executable's `main` to
    /// `<module>_main`; in the fuzz build each target defines that symbol as a call to this.
    public func runFuzzer(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments, callback)
    }
#endif
