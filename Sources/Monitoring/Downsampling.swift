/// Min/max downsampling for drawing: the time span cut into `buckets` equal intervals, each
/// drawn by its lowest and highest point in time order — so a month of one-minute data
/// (43,200 points) draws as a few thousand without hiding a spike.
public enum Downsampling {
    /// The most buckets a chart asks for.
    public static let maxBuckets = 10_000

    /// Points (time, value) in time order, at most two a bucket. Inputs in time order.
    public static func minMax(times: [Double], values: [Double], buckets: Int) -> [(time: Double, value: Double)] {
        let n = min(times.count, values.count)
        let buckets = max(1, min(buckets, maxBuckets))
        guard n > 2 * buckets, let first = times.first, let last = times.last, first.isFinite, last.isFinite, last > first else {
            return (0..<n).map { (times[$0], values[$0]) }
        }
        let width = (last - first) / Double(buckets)
        func bucketOf(_ t: Double) -> Int {
            let raw = (t - first) / width
            return raw.isFinite ? max(0, min(buckets - 1, Int(min(max(raw, 0), Double(buckets))))) : 0
        }
        var out: [(time: Double, value: Double)] = []
        out.reserveCapacity(2 * buckets)
        var i = 0
        while i < n {
            let bucket = bucketOf(times[i])
            var lo = i, hi = i
            var j = i + 1
            while j < n, bucketOf(times[j]) == bucket {
                if values[j] < values[lo] { lo = j }
                if values[j] > values[hi] { hi = j }
                j += 1
            }
            if lo == hi {
                out.append((times[lo], values[lo]))
            } else {
                let (a, b) = lo < hi ? (lo, hi) : (hi, lo)
                out.append((times[a], values[a]))
                out.append((times[b], values[b]))
            }
            i = j
        }
        return out
    }
}
