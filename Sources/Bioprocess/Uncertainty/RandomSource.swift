import Foundation

/// A fast, seeded pseudo-random generator: xoshiro256** (Blackman and Vigna), seeded through
/// SplitMix64. The same seed gives the same stream on every machine, so every Monte Carlo
/// result can be reproduced; independent streams come from `stream(_:)`.
public struct RandomSource: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// A second normal variate kept from the last polar draw.
    @usableFromInline var spareNormal: Double = .nan

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
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform number in [0, 1) with 53 random bits.
    @inlinable @inline(__always)
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform number in (0, 1): safe for logarithms.
    @inlinable @inline(__always)
    public mutating func openUnit() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// A standard normal variate (Marsaglia's polar method, both variates used).
    @inlinable
    public mutating func normal() -> Double {
        if !spareNormal.isNaN {
            let z = spareNormal
            spareNormal = .nan
            return z
        }
        while true {
            let u = 2 * unit() - 1
            let v = 2 * unit() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let f = (-2 * log(s) / s).squareRoot()
                spareNormal = v * f
                return u * f
            }
        }
    }
}
