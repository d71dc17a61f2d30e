import Foundation

/// The full/empty trade-off of an anion-exchange step, as two Gaussian elution peaks of the
/// same width σ whose centres are Δ apart (resolution Rs = Δ / 4σ): empty capsids elute first,
/// partial ones half-way, full ones last. Collecting from a cut point keeps a share `y` of the
/// full capsids (the step's yield) and, of a peak eluting `k·σ` earlier, Φ(Φ⁻¹(y) − k).
///
/// A steeper trade-off (a lower resolution) costs full capsids for the same purity: moving
/// the cut to a 10 % lower yield removes more empties, which the process page shows.
public enum PeakCut {
    /// The share kept of a species eluting `sigmas` peak widths before the full capsids, when
    /// the cut keeps `fullKept` of the full ones.
    public static func kept(fullKept: Double, sigmasEarlier sigmas: Double) -> Double {
        guard fullKept > 0 else { return 0 }
        guard fullKept < 1 else { return 1 }
        let z = inverseStandardNormal(fullKept) - sigmas
        return 0.5 * erfc(-z / 2.0.squareRoot())
    }

    /// Empty and partial capsids kept at a resolution, when the cut keeps `fullKept` full ones.
    public static func emptyAndPartialKept(fullKept: Double, resolution: Double) -> (empty: Double, partial: Double) {
        (kept(fullKept: fullKept, sigmasEarlier: 4 * resolution), kept(fullKept: fullKept, sigmasEarlier: 2 * resolution))
    }
}
