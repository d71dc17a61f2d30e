import Foundation

/// A whole-number option of a benchmark (`--name N`), within its bounds, or the fallback; out of
/// bounds, a message and exit code 2.
public func option(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return fallback }
    guard let n = Int(args[i + 1]), range.contains(n) else {
        FileHandle.standardError.write(Data("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)\n".utf8))
        exit(2)
    }
    return n
}

/// The `p` quantile (0…1) of sorted values, nearest rank.
public func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
}

/// Seconds as milliseconds with one decimal.
public func ms(_ s: Double) -> String { String(format: "%.1f", s * 1000) }
