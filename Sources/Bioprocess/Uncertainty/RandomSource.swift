import Foundation

/// A fast, seeded pseudo-random generator: xoshiro256** (Blackman and Vigna), seeded through
/// SplitMix64. The same seed gives the same stream on every machine, so every Monte Carlo
/// result can be reproduced; independent streams come from `stream(_:)`.
public struct RandomSource: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// An independent stream for chunk `index` of a run seeded with `seed`: chunks give the
    /// same numbers whichever thread runs them.
    public static func stream(seed: UInt64, index: UInt64) -> RandomSource {
        RandomSource(seed: seed ^ (index &* 0xD1B5_4A32_D192_ED03) &+ index)
    }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        advance()
        return result
    }

    /// The generator's state transition (xoshiro256's, whichever output is taken).
    @inlinable @inline(__always)
    mutating func advance() {
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
    }

    /// A uniform number in [0, 1) with 53 random bits: the top bits of xoshiro256+'s output
    /// (s0 + s3 on the same state), the variant its authors give for floating-point numbers —
    /// the ** scrambler's two multiplications and rotation buy nothing once the low 11 bits
    /// are dropped.
    @inlinable @inline(__always)
    public mutating func unit() -> Double {
        let result = s0 &+ s3
        advance()
        return Double(result >> 11) * 0x1.0p-53
    }

    /// A uniform number in (0, 1): safe for logarithms.
    @inlinable @inline(__always)
    public mutating func openUnit() -> Double {
        let result = s0 &+ s3
        advance()
        return (Double(result >> 11) + 0.5) * 0x1.0p-53
    }

    /// A standard normal variate: Marsaglia and Tsang's ziggurat (J. Stat. Softw. 5(8), 2000),
    /// 128 layers on the top 32 bits of a draw; nine draws in ten are one comparison and one
    /// multiplication.
    @inlinable
    public mutating func normal() -> Double { normal(Ziggurat.tables) }

    /// The same, with the tables read once by a loop that draws many. The common case — one
    /// draw, one comparison, one multiplication — is inlined into the loop; the rest is a call.
    @inlinable @inline(__always)
    public mutating func normal(_ t: Ziggurat.Tables) -> Double {
        let hz = Int32(truncatingIfNeeded: Int64(bitPattern: next()) >> 32)
        let iz = Int(hz & 127)
        if Int64(hz).magnitude < UInt64(t.k[iz]) { return Double(hz) * t.w[iz] }
        return normalBeyondTheLayer(t, hz, iz)
    }

    /// The ziggurat's rare cases: a point beyond its layer's rectangle, or in the tail.
    @usableFromInline @inline(never)
    mutating func normalBeyondTheLayer(_ t: Ziggurat.Tables, _ first: Int32, _ firstLayer: Int) -> Double {
        var hz = first
        var iz = firstLayer
        while true {
            let x = Double(hz) * t.w[iz]
            if iz == 0 {
                // The tail beyond r = 3.442620 (Marsaglia 1964).
                var tail: Double, y: Double
                repeat {
                    tail = -log(openUnit()) * (1 / Ziggurat.r)
                    y = -log(openUnit())
                } while y + y < tail * tail
                return hz > 0 ? Ziggurat.r + tail : -Ziggurat.r - tail
            }
            if t.f[iz] + unit() * (t.f[iz - 1] - t.f[iz]) < exp(-0.5 * x * x) { return x }
            hz = Int32(truncatingIfNeeded: Int64(bitPattern: next()) >> 32)
            iz = Int(hz & 127)
            if Int64(hz).magnitude < UInt64(t.k[iz]) { return Double(hz) * t.w[iz] }
        }
    }
}

/// The ziggurat's 128 layers for the standard normal (Marsaglia and Tsang 2000, RNOR).
public enum Ziggurat {
    public struct Tables: Sendable {
        public let k: [UInt32]
        public let w: [Double]
        public let f: [Double]
    }

    /// The rightmost layer's edge.
    public static let r = 3.442619855899

    public static let tables: Tables = {
        var k = [UInt32](repeating: 0, count: 128), w = [Double](repeating: 0, count: 128), f = [Double](repeating: 0, count: 128)
        let m1 = 2147483648.0, v = 9.91256303526217e-3
        var d = r, t = r
        let q = v / exp(-0.5 * d * d)
        k[0] = UInt32(d / q * m1)
        k[1] = 0
        w[0] = q / m1
        w[127] = d / m1
        f[0] = 1
        f[127] = exp(-0.5 * d * d)
        for i in stride(from: 126, through: 1, by: -1) {
            d = (-2 * log(v / d + exp(-0.5 * d * d))).squareRoot()
            k[i + 1] = UInt32(d / t * m1)
            t = d
            f[i] = exp(-0.5 * d * d)
            w[i] = d / m1
        }
        return Tables(k: k, w: w, f: f)
    }()
}
