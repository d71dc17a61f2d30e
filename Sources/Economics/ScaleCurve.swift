import Bioprocess
import Foundation

/// The cost of a dose across production scales: economies of scale in numbers.
///
/// At each scale the production units change (the working volume of a stirred tank, the bed
/// area of a fixed bed, the number of flasks) and the rest follows from the simulation: the seed
/// train grows its vessel counts, columns cycle or grow, filters and membranes are sized again.
/// Equipment-linked costs — the production unit's single-use price and the facility's capital,
/// overhead and floor area — follow a power law of the culture volume with the cost file's `scale-exponent`
/// (the six-tenths rule); without one they are held constant, and the curve says so.
public enum ScaleCurve {
    public enum Scale: Sendable, Hashable {
        case workingVolume(Quantity<Volume>)
        case bedArea(Quantity<Area>)
        case flasks(Int)
    }

    public struct Point: Sendable, Hashable {
        public var process: String
        public var platform: PlatformKind
        public var scale: Scale
        public var cultureVolume: Quantity<Volume>
        public var doses: Int
        public var lotCost: Double
        public var costPerDose: Double
        /// Why the process cannot run at this scale, if it cannot.
        public var problem: String?
    }

    /// Scales commonly run on each platform: stirred tanks of 50–2,000 L; iCELLis fixed beds
    /// from the 4 m² Nano to the 500 m² bed; 10 to 400 multilayer flasks.
    public static func defaultScales(for platform: PlatformKind) -> [Scale] {
        switch platform {
        case .suspension: [50, 200, 500, 1000, 2000].map { .workingVolume(Quantity($0, "L")) }
        case .fixedBed: [4, 66, 133, 200, 333, 500].map { .bedArea(Quantity($0, "m²")) }
        case .flasks: [10, 40, 100, 200, 400].map { .flasks($0) }
        }
    }

    /// The model at a scale, with equipment-linked costs scaled.
    public static func model(_ m: EconomicModel, at scale: Scale) -> EconomicModel {
        var scaled = m
        let before = m.process.production.cultureVolume
        switch (scale, m.process.production.platform) {
        case (.workingVolume(let v), .suspension(let model, _)):
            scaled.process.production.platform = .suspension(model: model, workingVolume: v)
            scaled.process.production.units = 1
            // From the vessel catalogue: the smallest tank that holds the scale, or several of the largest.
            if let (m, each, units) = m.process.production.placed(v) {
                scaled.process.production.platform = .suspension(model: m, workingVolume: each)
                scaled.process.production.units = units
            }
        case (.bedArea(let a), .fixedBed(let model, let area, let volume)):
            scaled.process.production.platform = .fixedBed(model: model, bedArea: a, workingVolume: volume * (a / area))
        case (.flasks(let n), .flasks):
            scaled.process.production.units = n
        default:
            return m
        }
        if let e = m.costs.scaleExponent {
            let ratio = scaled.process.production.cultureVolume / before
            let factor = pow(ratio, e)
            if m.process.production.platform.kind != .flasks {
                // A bigger bag or bed costs more, but less than in proportion.
                scaled.costs.productionUnit *= pow(
                    scaled.process.production.platform.volumePerUnit / m.process.production.platform.volumePerUnit, e)
            }
            scaled.costs.capital *= factor
            scaled.costs.yearlyOverhead *= factor
            // A bigger suite takes more floor, so its capital and overhead per m² grow alike.
            scaled.costs.floorArea *= factor
        }
        return scaled
    }

    /// The curve of one process over its platform's scales (or those given).
    public static func compute(_ m: EconomicModel, scales: [Scale]? = nil) -> [Point] {
        let platform = m.process.production.platform.kind
        let chosen: [Scale] = scales ?? defaultScales(for: platform)
        return chosen.map { scale -> Point in
            let s = model(m, at: scale)
            do throws(SimulationError) {
                let (summary, cost) = try CostCalculator.cost(s.process, s.costs)
                return Point(
                    process: m.process.name, platform: platform, scale: scale, cultureVolume: summary.cultureVolume,
                    doses: cost.doses, lotCost: cost.perLotReleased, costPerDose: cost.perDose, problem: nil)
            } catch {
                return Point(
                    process: m.process.name, platform: platform, scale: scale,
                    cultureVolume: s.process.production.cultureVolume, doses: 0, lotCost: .nan, costPerDose: .nan,
                    problem: error.message)
            }
        }
    }
}
