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
