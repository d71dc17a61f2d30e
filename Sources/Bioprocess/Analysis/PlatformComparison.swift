/// One product made on several platforms (flasks, fixed bed, suspension) for a target number
/// of doses: what each needs in units, lots, days and manual handlings.
///
/// Each process's lot is taken as written. A lot that cannot make a single dose (QC vials and
/// whole-vial rounding eat it) is scaled up in production units until it makes one, and the
/// row says so: that is how an adherent process meets a high-dose indication.
public struct PlatformComparison: Sendable {
    public var targetDoses: Int
    public var vectorPerDose: Quantity<VectorAmount>
    public var rows: [Row]

    public struct Row: Sendable, Hashable {
        public var process: String
        public var platform: PlatformKind
        public var model: String
        /// Units in one lot as written in the file.
        public var writtenUnitsPerLot: Int
        /// Units in one lot as compared (scaled up when the written lot makes no dose).
        public var unitsPerLot: Int
        public var vectorPerUnit: Quantity<VectorAmount>
        public var dosesPerLot: Int
        public var lots: Int
        public var totalUnits: Int
        /// Thaw to the end of fill for one lot.
        public var lotDuration: Quantity<Duration>
        /// Production, purification and fill: the time a lot holds a production suite.
        public var suiteTimePerLot: Quantity<Duration>
        /// Suite time for all lots, back to back in one suite.
        public var totalSuiteTime: Quantity<Duration>
        public var handlingsPerLot: Double
        public var totalHandlings: Double
        public var harvestVolumePerLot: Quantity<Volume>

        public var wasScaled: Bool { unitsPerLot != writtenUnitsPerLot }
    }

    /// Why a comparison cannot be made.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case noProcesses
        case differentDoses(String, String)
        case cannotMakeADose(String)
        case simulation(String, SimulationError)
        case tooManyDoses(Int)

        public var description: String {
            switch self {
            case .noProcesses: "no process to compare"
            case .tooManyDoses(let n):
                "\(n) doses is outside 1–\(WorkLimits.doses), the most a comparison is made for"
            case .differentDoses(let a, let b):
                "'\(a)' and '\(b)' do not have the same dose: compare one product on several platforms"
            case .cannotMakeADose(let p):
                "'\(p)' cannot make a single dose even with a million production units a lot"
            case .simulation(let p, let e): "'\(p)' cannot be simulated: \(e.message)"
            }
        }
    }

    public static func compare(_ processes: [ProcessDefinition], targetDoses: Int) throws(Problem) -> PlatformComparison
    {
        guard (1...WorkLimits.doses).contains(targetDoses) else { throw .tooManyDoses(targetDoses) }
        guard let first = processes.first else { throw .noProcesses }
        let perDose = first.product.dose.vectorPerDose
        var rows: [Row] = []
        for p in processes {
            let d = p.product.dose.vectorPerDose
            guard abs(d.canonical - perDose.canonical) <= 1e-9 * perDose.canonical,
                p.product.dose.dosesPerPatient == first.product.dose.dosesPerPatient
            else { throw .differentDoses(first.name, p.name) }
            rows.append(try row(p, targetDoses: targetDoses))
        }
        return PlatformComparison(targetDoses: targetDoses, vectorPerDose: perDose, rows: rows)
    }

    static func doses(_ p: ProcessDefinition, units: Int) throws(Problem) -> LotSummary {
        var q = p
        q.production.units = units
        do { return try LotSimulator.summary(q) } catch { throw .simulation(p.name, error) }
    }

    static func row(_ p: ProcessDefinition, targetDoses: Int) throws(Problem) -> Row {
        let written = p.production.units
        var units = written
        var s = try doses(p, units: units)
        if s.doses == 0 {
            // Grow the lot until it makes a dose: doubling, then bisection.
            var low = units
            var high = units
            repeat {
                low = high
                high *= 2
                guard high <= 1_000_000 else { throw .cannotMakeADose(p.name) }
            } while try doses(p, units: high).doses == 0
            while high - low > 1 {
                let mid = (low + high) / 2
                if try doses(p, units: mid).doses > 0 { high = mid } else { low = mid }
            }
            units = high
            s = try doses(p, units: units)
        }
        let lots = (targetDoses + s.doses - 1) / s.doses
        let suite = s.growthTime + s.inductionTime + s.downstreamTime + s.fillTime
        return Row(
            process: p.name, platform: p.production.platform.kind, model: p.production.platform.model,
            writtenUnitsPerLot: written, unitsPerLot: units, vectorPerUnit: s.vectorHarvested / Double(units),
            dosesPerLot: s.doses, lots: lots, totalUnits: lots * units, lotDuration: s.manufacturingTime,
            suiteTimePerLot: suite, totalSuiteTime: suite * Double(lots), handlingsPerLot: s.handlings,
            totalHandlings: s.handlings * Double(lots), harvestVolumePerLot: s.harvestVolume)
    }
}
