import Foundation

/// The lot's physical particles beside its dosed vector: AAV capsids (full, partial, empty)
/// or LV particles against transducing units, from the harvest through every step to the
/// bulk and a dose, and the predicted % full capsids against the release specification.
///
/// One computation for every door: the text, JSON and CSV reports and the process page read it.
public struct ParticleBalance: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// AAV capsids: `cp`; the dosed vector genomes are the full capsids.
        case capsids
        /// LV particles: `VP`; the transducing units are the infectious ones.
        case lentiviral
    }

    /// One stage of the balance: the harvest, a downstream step, or the bulk.
    public struct Point: Sendable, Hashable, Codable {
        public var name: String
        /// Physical particles (every capsid, or every LV particle).
        public var particles: Double
        /// Dosed vector (vg or TU).
        public var vector: Double
        /// Partial capsids (AAV; 0 when not distinguished).
        public var partial: Double

        /// Full capsids' share of all capsids (AAV), or TU per particle (LV).
        public var vectorShare: Double { particles > 0 ? vector / particles : .nan }
        public var partialShare: Double { particles > 0 ? partial / particles : .nan }
        /// Empty capsids' share (AAV).
        public var emptyShare: Double { particles > 0 ? max(0, particles - vector - partial) / particles : .nan }

        enum CodingKeys: String, CodingKey { case name, particles, vector, partial, vectorShare, partialShare, emptyShare }

        public init(name: String, particles: Double, vector: Double, partial: Double) {
            self.name = name
            self.particles = particles
            self.vector = vector
            self.partial = partial
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                name: try c.decode(String.self, forKey: .name), particles: try c.decode(Double.self, forKey: .particles),
                vector: try c.decode(Double.self, forKey: .vector), partial: try c.decode(Double.self, forKey: .partial))
        }

        /// The shares are written beside the counts, for readers of the JSON report.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(particles, forKey: .particles)
            try c.encode(vector, forKey: .vector)
            try c.encode(partial, forKey: .partial)
            try c.encode(vectorShare, forKey: .vectorShare)
            try c.encode(partialShare, forKey: .partialShare)
            try c.encode(emptyShare, forKey: .emptyShare)
        }
    }

    /// A release test on the full-capsid share (its unit mentions "full") and the prediction.
    public struct ReleaseCheck: Sendable, Hashable, Codable {
        public var test: String
        public var specification: String
        /// Predicted % full capsids in the bulk.
        public var predictedPercent: Double
        public var meets: Bool
    }

    public var kind: Kind
    public var harvest: Point
    /// After each downstream step, in order (after its in-process samples).
    public var steps: [Point]
    public var bulk: Point
    /// Physical particles in one dose: what the patient's immune system sees.
    public var particlesPerDose: Double
    /// AAV: vector genomes per infectious unit as stated, and the infectious units of a dose.
    public var genomesPerInfectiousUnit: Double?
    public var infectiousUnitsPerDose: Double?
    public var releaseChecks: [ReleaseCheck]

    /// The particle symbol: `cp` or `VP`.
    public var symbol: String { kind == .capsids ? VectorCounting.capsids.symbol : VectorCounting.particles.symbol }

    /// The release tests whose specification is a % of full capsids (a range whose unit says
    /// "full"), which a predicted bulk can be checked against.
    public static func fullCapsidSpecifications(_ p: ProcessDefinition) -> [ReleaseTest] {
        p.qualityControl.release.filter { test in
            guard case .range(_, _, let unit) = test.specification else { return false }
            return unit.lowercased().contains("full")
        }
    }

    /// The balance of a simulated lot, or nil when the process states no particles.
    public static func of(_ r: LotReport) -> ParticleBalance? {
        let p = r.process
        let s = r.summary
        guard let content = p.production.particles, s.hasParticles else { return nil }
        let kind: Kind
        var ratio: Double?
        switch content {
        case .capsids(_, _, let r): kind = .capsids; ratio = r
        case .lentiviral: kind = .lentiviral
        }
        let harvest = Point(
            name: "Harvest", particles: s.particlesHarvested, vector: s.vectorHarvested.canonical,
            partial: s.partialHarvested)
        let steps = r.steps.map { o in
            Point(
                name: p.downstream[o.index].name, particles: o.particlesOut, vector: o.vectorOut.canonical,
                partial: o.partialOut)
        }
        let bulk = Point(
            name: "Bulk drug substance", particles: s.bulkParticles, vector: s.bulkVector.canonical, partial: s.bulkPartial)
        let perDose = p.product.dose.vectorPerDose.canonical
        var checks: [ReleaseCheck] = []
        if kind == .capsids {
            let percent = bulk.vectorShare * 100
            for test in fullCapsidSpecifications(p) {
                checks.append(
                    ReleaseCheck(
                        test: test.test, specification: test.specification.text, predictedPercent: percent,
                        meets: test.specification.accepts(percent)))
            }
        }
        return ParticleBalance(
            kind: kind, harvest: harvest, steps: steps, bulk: bulk,
            particlesPerDose: perDose * s.bulkParticlesPerVector, genomesPerInfectiousUnit: ratio,
            infectiousUnitsPerDose: ratio.map { perDose / $0 }, releaseChecks: checks)
    }
}
