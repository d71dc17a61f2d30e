import Foundation

/// Simulates one lot of a process from first principles: exponential growth through the seed
/// train, vector made at induction, a mass balance through each downstream step with its
/// equipment sized, then fill, doses and patients.
///
/// The computation formats no text and allocates nothing, but for the few small arrays of an
/// amplification train or a patient mix; it is called millions of times by
/// the Monte Carlo and capacity models. Use ``LotReport`` for the step-by-step tables.
public enum LotSimulator {
    /// Simulates a lot, telling `observer` about each seed stage and downstream step.
    @inlinable
    public static func run<O: LotObserver>(_ p: ProcessDefinition, observer: inout O) throws(SimulationError)
        -> LotSummary
    {
        var s = LotSummary()
        try seedTrain(p, into: &s, observer: &observer)
        try production(p, into: &s, observer: observer)
        try downstream(p, into: &s, observer: &observer)
        try fill(p, into: &s)
        return s
    }

    /// Simulates a lot and returns only its summary.
    @inlinable
    public static func summary(_ p: ProcessDefinition) throws(SimulationError) -> LotSummary {
        var none = SummaryOnly()
        return try run(p, observer: &none)
    }

    /// The seed train of a process sized once, for samples that change only its doubling time.
    public static func seedTrainShape(_ p: ProcessDefinition) throws(SimulationError) -> SeedTrainShape {
        var none = SummaryOnly()
        var s = LotSummary()
        try seedTrain(p, into: &s, observer: &none)
        return SeedTrainShape(summary: s, doublings: s.populationDoublings)
    }

    // MARK: Seed train

    /// Sizes each stage backwards from the production seeding target (vessels needed to hold
    /// the next stage's seed at split density), then grows the cells exponentially.
    ///
    /// The stages are the vessels the process may use; at a given scale the train uses those
    /// needed (``seedStageIsSkipped(_:_:need:target:)``): never an inoculum above what the next
    /// vessel takes, and no vessel the smaller one before it can stand in for.
    @inlinable
    static func seedTrain<O: LotObserver>(_ p: ProcessDefinition, into s: inout LotSummary, observer: inout O)
        throws(SimulationError)
    {
        let td = observer.doublingTime(p.cellLine.doublingTime)
        if !O.wantsStageDetail, let shape = observer.seedTrainShape {
            s = shape.summary
            s.expansionTime = td * shape.doublings + p.seedTrain.passageTime * Double(shape.summary.passages)
            return
        }
        let thawed = p.cellLine.bank.viableCells
        let stages = p.seedTrain.stages
        s.viableCellsThawed = thawed
        var need = p.production.seedingCells
        var target = p.production.cultureVolume
        // Growth over the train: the product of each stage's ratio out/in (at least 1); one
        // logarithm for the lot unless the observer wants each stage's doublings.
        var growth = 1.0
        var doublings = 0.0
        var time = Quantity<Duration>.zero
        var used = 0
        // The lowest stage used: the thaw seeds it, so its growth is settled after the loop.
        var first: SeedStageOutcome?
        var i = stages.count - 1
        while i >= 0 {
            let split = stages[i].splitCellsPerVessel
            let seed = stages[i].seedingCellsPerVessel
            guard split > seed else { throw .seedStageWithoutGrowth(stage: i) }
            if seedStageIsSkipped(stages, i, need: need, target: target) {
                s.skippedSeedStages += 1
                i -= 1
                continue
            }
            // A hair of tolerance so that a stage sized exactly for the next is not doubled by rounding.
            let vesselsNeeded = (need / split * (1 - 1e-9)).rounded(.up)
            guard vesselsNeeded.isFinite, vesselsNeeded < 1e9 else { throw .nonFinite(.seedStage(i)) }
            let vessels = max(1, Int(vesselsNeeded))
            if let allowed = stages[i].maxVessels, vessels > allowed {
                throw .tooManySeedVessels(stage: i, needed: vessels, allowed: allowed)
            }
            let seeded = seed * Double(vessels)
            let ratio = max(1, need / seeded)
            growth *= ratio
            let medium = stages[i].workingVolume * Double(vessels)
            s.seedMedium += medium
            s.seedVessels += vessels
            used += 1
            let stageDoublings = log2(ratio)
            let outcome = SeedStageOutcome(
                index: i, vessels: vessels, cellsIn: seeded, cellsOut: need, doublings: stageDoublings,
                duration: td * stageDoublings + p.seedTrain.passageTime, medium: medium)
            if O.wantsStageDetail {
                doublings += stageDoublings
                time += outcome.duration
                observer.seedStage(outcome)
            }
            first = outcome
            need = seeded
            target = medium
            i -= 1
        }
        // The thawed vials seed the first vessel used (or the production vessel).
        guard thawed >= need * (1 - 1e-9) else {
            throw .vialTooSmall(needed: need, available: thawed, stage: first?.index)
        }
        if var f = first {
            let fromThaw = max(1, f.cellsOut / thawed)
            growth = growth / max(1, f.cellsOut / f.cellsIn) * fromThaw
            if O.wantsStageDetail {
                doublings -= f.doublings
                time -= f.duration
                f.cellsIn = thawed
                f.doublings = log2(fromThaw)
                f.duration = td * f.doublings + p.seedTrain.passageTime
                doublings += f.doublings
                time += f.duration
                observer.seedStage(f)
            }
        }
        if !O.wantsStageDetail {
            doublings = log2(growth)
            time = td * doublings + p.seedTrain.passageTime * Double(used)
        }
        s.passages = used
        s.expansionTime = time
        s.populationDoublings = doublings
    }

    /// Whether seed stage `i` is left out when what it seeds needs `need` cells in `target`
    /// litres of culture: one of its vessels would be seeded with more cells than that (an
    /// inoculum above the target) or hold more culture than the target's volume, or the stage
    /// before it reaches the target within its `max-vessels` (a smaller vessel stands in).
    @inlinable
    public static func seedStageIsSkipped(
        _ stages: [SeedStage], _ i: Int, need: Quantity<CellCount>, target: Quantity<Volume>
    ) -> Bool {
        if stages[i].seedingCellsPerVessel > need * (1 + 1e-9) { return true }
        if stages[i].workingVolume > target * (1 + 1e-9) { return true }
        guard i > 0, let allowed = stages[i - 1].maxVessels else { return false }
        let before = stages[i - 1]
        // Strictly more than enough: a stage sized exactly for the next one is still used.
        return before.seedingCellsPerVessel <= need && before.splitCellsPerVessel * Double(allowed) > need * (1 + 1e-9)
    }

    // MARK: Production

    @inlinable
    static func production<O: LotObserver>(_ p: ProcessDefinition, into s: inout LotSummary, observer: O)
        throws(SimulationError)
    {
        let td = observer.doublingTime(p.cellLine.doublingTime)
        let prod = p.production
        s.productionUnits = prod.units
        s.cultureVolume = prod.cultureVolume
        s.cellsAtSeeding = prod.seedingCells
        s.cellsAtInduction = prod.cellsAtInduction
        guard s.cellsAtInduction >= s.cellsAtSeeding else { throw .productionWithoutGrowth }
        let growth = log2(s.cellsAtInduction / s.cellsAtSeeding)
        s.growthTime = td * growth
        s.inductionTime = prod.duration
        s.populationDoublings += growth
        if let limit = p.cellLine.maxPopulationDoublings, s.populationDoublings > limit {
            throw .cellAgeExceeded(doublings: s.populationDoublings, limit: limit)
        }
        // Cells may keep growing after induction; the vector made per cell applies to the peak.
        s.cellsAtPeak = s.cellsAtInduction
        if let g = prod.timeCourse?.growthAfterInduction {
            s.cellsAtPeak = s.cellsAtInduction * exp2(g / td)
            s.populationDoublings += g / td
        }
        switch prod.productivity {
        case .first(let perCell):
            s.vectorMade = s.cellsAtPeak * Quantity(canonical: observer.productivity(perCell.canonical))
            if case .infection(let inf) = prod.induction { s.vectorMade = s.vectorMade * inf.coInfectedShare }
        case .second(let perVolume):
            s.vectorMade = Quantity(canonical: observer.productivity(perVolume.canonical)) * prod.harvestVolume
        }
        if let effect = prod.scaleEffect { s.vectorMade = s.vectorMade * effect.productivityFactor(at: s.cultureVolume) }
        s.vectorHarvested = s.vectorMade
        s.harvestVolume = prod.harvestVolume
        if let course = prod.timeCourse, course.changesTheHarvest {
            // Perfused out and decaying in the vessel: what is collected, in what volume.
            let (share, volumes) = course.collected(over: prod.duration)
            s.vectorHarvested = s.vectorMade * share
            s.harvestVolume = s.cultureVolume * volumes
        }
        // Particles do not decay: they are counted on the vector made.
        (s.particlesHarvested, s.partialHarvested) = prod.particles(with: s.vectorMade)
        switch prod.induction {
        case .transfection(let t):
            switch t.plasmid {
            case .first(let perCell): s.plasmid = perCell * s.cellsAtInduction
            case .second(let perVolume): s.plasmid = perVolume * s.cultureVolume
            }
            s.reagent = s.plasmid * t.reagentRatio
        case .infection(let inf):
            s.virus = inf.moi * s.cellsAtInduction
            s.virusFromBank = s.virus
            if let titer = inf.amplificationTiter { s.amplificationVolume = s.virus / titer }
            if !inf.amplificationPassages.isEmpty {
                // Back from the production: each passage makes the virus the next one needs.
                let train = inf.amplificationTrain(for: s.virus)
                for a in train {
                    s.amplificationVolume = s.amplificationVolume + a.volume
                    s.amplificationTime = s.amplificationTime + a.passage.duration
                }
                s.virusFromBank = train.first?.virusIn ?? s.virus
                let ready = s.expansionTime + s.growthTime
                if s.amplificationTime > ready {
                    s.virusWait = s.amplificationTime - ready
                    s.expansionTime = s.expansionTime + s.virusWait
                }
            }
        case .stableProducer(let sp):
            if let c = sp.concentration { s.reagent = c * s.cultureVolume }
        }
        s.productionMedium = s.harvestVolume + s.cultureVolume * prod.mediumExchanges + s.amplificationVolume
        s.handlings = Double(s.seedVessels) + Double(prod.units) * prod.handlingsPerUnit
        guard s.vectorHarvested.isFinite, s.growthTime.isFinite else { throw .nonFinite(.production) }
    }

    // MARK: Downstream

    @inlinable
    static func downstream<O: LotObserver>(_ p: ProcessDefinition, into s: inout LotSummary, observer: inout O)
        throws(SimulationError)
    {
        var volume = s.harvestVolume
        var vector = s.vectorHarvested
        var particles = s.particlesHarvested
        var partial = s.partialHarvested
        let samples = p.qualityControl.inProcess
        let yieldFactor = p.production.scaleEffect?.yieldFactor(at: s.cultureVolume) ?? 1
        for index in p.downstream.indices {
            let yield = min(1, observer.stepYield(index, p.downstream[index].yield.value) * yieldFactor)
            // The operation is read in place, not copied: a copy retains its names and catalogues.
            var o = try Self.step(
                p.downstream[index].operation, yield: yield, index: index, volume: volume, vector: vector,
                particles: particles)
            if particles > 0 {
                (o.particlesOut, o.partialOut) = Self.particlesOut(
                    p.downstream[index].operation, yield: yield, vectorIn: vector, vectorOut: o.vectorOut,
                    particles: particles, partial: partial)
            }
            o.particlesIn = particles
            o.partialIn = partial
            for sample in samples where sample.afterStep == index {
                let drawn = min(sample.volume, o.volumeOut)
                let fraction = drawn / o.volumeOut
                o.sampledVolume += drawn
                o.sampledVector += o.vectorOut.canonical * fraction
                o.vectorOut = o.vectorOut * (1 - fraction)
                o.particlesOut *= 1 - fraction
                o.partialOut *= 1 - fraction
                o.volumeOut -= drawn
            }
            guard o.volumeOut.isFinite, o.vectorOut.isFinite, o.duration.isFinite else {
                throw .nonFinite(.step(index))
            }
            s.downstreamTime += o.duration
            s.chromatographyCycles += o.cycles
            s.bufferVolume += o.bufferVolume
            volume = o.volumeOut
            vector = o.vectorOut
            particles = o.particlesOut
            partial = o.partialOut
            observer.step(o)
        }
        s.bulkVolume = volume
        s.bulkVector = vector
        s.bulkParticles = particles
        s.bulkPartial = partial
    }

    /// Physical particles (and the partial capsids among them) leaving a step: they follow
    /// the vector, except through an AEX full/empty cut, which keeps fewer empty capsids.
    @inlinable
    static func particlesOut(
        _ op: UnitOperation, yield: Double, vectorIn: Quantity<VectorAmount>, vectorOut: Quantity<VectorAmount>,
        particles: Double, partial: Double
    ) -> (Double, Double) {
        guard particles > 0 else { return (0, 0) }
        if case .chromatography(let c) = op, let resolution = c.fullEmptyResolution {
            let kept = PeakCut.emptyAndPartialKept(fullKept: yield, resolution: resolution)
            let empty = max(0, particles - vectorIn.canonical - partial)
            let partialOut = partial * kept.partial
            return (vectorOut.canonical + partialOut + empty * kept.empty, partialOut)
        }
        var f = vectorIn.canonical > 0 ? vectorOut.canonical / vectorIn.canonical : yield
        // A hold's decay inactivates vector, not particles.
        if case .hold(let h) = op, h.halfLife != nil { f = yield }
        return (particles * f, partial * f)
    }

    /// The balance and sizing of one unit operation for a feed.
    @inlinable
    static func step(
        _ op: UnitOperation, yield: Double, index: Int, volume: Quantity<Volume>, vector: Quantity<VectorAmount>,
        particles: Double = 0
    ) throws(SimulationError) -> StepOutcome {
        switch op {
        case .harvest(let h):
            let added = h.addedVolume?.added(to: volume) ?? .zero
            return StepOutcome(
                index: index, volumeIn: volume, volumeOut: volume + added, vectorIn: vector,
                vectorOut: vector * yield, duration: h.duration, bufferVolume: added)
        case .hold(let h):
            let added = h.addedVolume?.added(to: volume) ?? .zero
            return StepOutcome(
                index: index, volumeIn: volume, volumeOut: volume + added, vectorIn: vector,
                vectorOut: vector * (yield * h.surviving), duration: h.duration, bufferVolume: added)
        case .clarification(let f), .sterileFiltration(let f):
            var area = volume / f.capacity
            var need = 0.0, count = 0
            if let c = f.catalogue {
                need = area.canonical
                let chosen = c.choose(need)
                area = Quantity(canonical: chosen.size * Double(chosen.count))
                count = chosen.count
            }
            let time = f.setupTime + filtrationTime(passing: volume, at: f.flux, through: area)
            // A filter loses liquid, not concentration: its hold-up (per m² and in the lines)
            // when stated, then the yield as adsorption; otherwise the yield as lost liquid.
            var kept = volume * yield
            var out = vector * yield
            if f.statesHoldUp {
                let lost = (f.holdUp.map { $0 * area } ?? .zero) + (f.lineHoldUp ?? .zero)
                kept = lost < volume ? volume - lost : .zero
                out = volume.canonical > 0 ? vector * (kept / volume * yield) : .zero
            }
            var o = StepOutcome(
                index: index, volumeIn: volume, volumeOut: kept, vectorIn: vector,
                vectorOut: out, duration: time, filterArea: area)
            o.equipmentNeed = need
            o.equipmentCount = count
            return o
        case .tangentialFlow(let t):
            let out = vector * yield
            let final: Quantity<Volume>
            switch t.target {
            case .factor(let f): final = volume / f
            case .finalVolume(let v): final = v
            case .finalConcentration(let c): final = out / c
            }
            let concentrated = volume > final ? volume - final : .zero
            let diafiltration = final * t.diafiltrationVolumes
            let permeate = concentrated + diafiltration
            let dilution = final > volume ? final - volume : .zero
            var o = StepOutcome(
                index: index, volumeIn: volume, volumeOut: final, vectorIn: vector, vectorOut: out,
                duration: t.setupTime, permeateVolume: permeate, bufferVolume: diafiltration + dilution)
            switch t.sizing {
            case .first(let time):
                o.membraneArea = membraneArea(passing: permeate, at: t.flux, within: time)
                o.duration += time
                if let c = t.catalogue {
                    // The membrane bought is larger: it passes the permeate sooner.
                    o.equipmentNeed = o.membraneArea.canonical
                    let chosen = c.choose(o.equipmentNeed)
                    o.membraneArea = Quantity(canonical: chosen.size * Double(chosen.count))
                    o.equipmentCount = chosen.count
                    o.duration = t.setupTime + filtrationTime(passing: permeate, at: t.flux, through: o.membraneArea)
                }
            case .second(let area):
                o.membraneArea = area
                o.duration += filtrationTime(passing: permeate, at: t.flux, through: area)
            }
            return o
        case .chromatography(let c):
            return try chromatography(
                c, yield: yield, index: index, volume: volume, vector: vector, particles: particles)
        }
    }

    @inlinable
    static func chromatography(
        _ c: Chromatography, yield: Double, index: Int, volume: Quantity<Volume>, vector: Quantity<VectorAmount>,
        particles: Double = 0
    ) throws(SimulationError) -> StepOutcome {
        var column: Quantity<Volume>
        var cycles = 1
        var out = volume
        var need = 0.0
        switch c.mode {
        case .bindElute:
            // Vector (or, when the capacity counts them, every particle) one mL of packed
            // resin takes at the chosen loading.
            let capacity = (c.bindingCapacity ?? .zero) * c.loading.value
            let load = c.bindsParticles ? Quantity<VectorAmount>(canonical: particles) : vector
            let resinNeeded = load / capacity
            var sized = resinNeeded
            if let installed = c.columnVolume {
                column = installed
            } else if let cat = c.catalogue {
                // The catalogue column at least the need × the safety factor, cycled beyond the largest.
                need = resinNeeded.canonical
                sized = resinNeeded * cat.safetyFactor
                column = Quantity(canonical: cat.choose(need).size)
            } else if let largest = c.maxColumnVolume, resinNeeded > largest {
                column = largest
            } else {
                column = resinNeeded
            }
            let n = (sized / column * (1 - 1e-9)).rounded(.up)
            guard n.isFinite, n < 1e6 else { throw .nonFinite(.step(index)) }
            cycles = max(1, Int(n))
            out = column * (c.elutionVolumes * Double(cycles))
        case .flowThrough:
            column = c.columnVolume ?? .zero
        }
        let buffers = column * ((c.elutionVolumes + c.otherVolumes) * Double(cycles))
        let time: Quantity<Duration>
        if let known = c.duration {
            time = known
        } else {
            let flow = column.canonical / c.residenceTime.canonical  // m³/s
            time = c.setupTime + Quantity<Duration>(canonical: (volume + buffers).canonical / flow)
        }
        var o = StepOutcome(
            index: index, volumeIn: volume, volumeOut: out, vectorIn: vector, vectorOut: vector * yield,
            duration: time, columnVolume: column, cycles: cycles, bufferVolume: buffers)
        if need > 0 {
            o.equipmentNeed = need
            o.equipmentCount = 1
        }
        return o
    }

    // MARK: Fill

    @inlinable
    static func fill(_ p: ProcessDefinition, into s: inout LotSummary) throws(SimulationError) {
        let perDose = p.product.dose.vectorPerDose
        // The drug-substance panel samples the formulated bulk before fill; the slowest test of
        // either panel sets the release time.
        var drugSubstance = Quantity<Volume>.zero, drugProduct = Quantity<Volume>.zero
        var slowest = Quantity<Duration>.zero
        for test in p.qualityControl.release {
            if test.panel == .drugSubstance { drugSubstance += test.volume } else { drugProduct += test.volume }
            if test.turnaround > slowest { slowest = test.turnaround }
        }
        s.releaseTime = slowest
        // Formulated to the label: the bulk is diluted to the labelled concentration; a bulk
        // below it cannot be released at its label and gives no dose.
        if let label = p.product.labelConcentration, s.bulkVolume.canonical > 0 {
            let atLabel = s.bulkVector / label
            if atLabel >= s.bulkVolume {
                s.dilutionVolume = atLabel - s.bulkVolume
                s.bufferVolume += s.dilutionVolume
                s.bulkVolume = atLabel
            } else if s.bulkConcentration < label * (1 - 1e-9) {
                s.belowLabelConcentration = true
            }
        }
        s.drugSubstanceSamples = min(drugSubstance, s.bulkVolume)
        guard let f = p.fill else {
            // No fill modelled: doses from the bulk's vector left after drug-substance sampling.
            let kept = s.bulkVolume.canonical > 0 ? 1 - s.drugSubstanceSamples / s.bulkVolume : 0
            s.fractionalDoses = s.belowLabelConcentration ? 0 : s.bulkVector * kept / perDose
            let doses = s.fractionalDoses.rounded(.down)
            guard doses.isFinite, doses < 1e15 else { throw .nonFinite(.fill) }
            s.doses = Int(doses)
            s.patients = s.doses / p.product.dose.dosesPerPatient
            return
        }
        let fillable = s.bulkVolume - s.drugSubstanceSamples - f.lineLoss
        let perVial = f.fillVolume + f.overfill
        let vials = max(0, (fillable / perVial).rounded(.down))
        guard vials.isFinite, vials < 1e12 else { throw .nonFinite(.fill) }
        s.vialsFilled = Int(vials)
        s.vectorPerVial = s.bulkConcentration * f.fillVolume * f.yield.value
        s.fillTime = f.setupTime + Quantity(canonical: vials / f.vialsPerHour * 3600)

        let qcVials = (drugProduct / f.fillVolume).rounded(.up)
        guard qcVials.isFinite, qcVials < 1e12 else { throw .nonFinite(.fill) }
        s.qcVials = Int(qcVials) + p.qualityControl.retainedVials
        if case .perBodyWeight(let perKg, _) = p.product.dose, !p.product.patientMix.isEmpty {
            // A mix of patients: each weight's kit, whole patients split by the mix's shares.
            var kitVolumes: [Double] = []
            var kitVials: [Int] = []
            kitVolumes.reserveCapacity(p.product.patientMix.count)
            for m in p.product.patientMix {
                guard let kit = p.product.kit(for: m.weight) else { throw .noKitForWeight(m.weight) }
                let holds = s.bulkConcentration * kit.volume * f.yield.value
                let dose = perKg * m.weight
                guard holds >= dose * (1 - 1e-9) else { throw .kitTooSmall(holds: holds, dose: dose) }
                kitVolumes.append(kit.vials.reduce(0.0) { $0 + ($1.volume + f.overfill).canonical * Double($1.count) })
                kitVials.append(kit.vialCount)
            }
            let left = (fillable - perVial * Double(s.qcVials)).canonical
            let mean = zip(p.product.patientMix, kitVolumes).reduce(0.0) { $0 + $1.0.share * $1.1 }
            let spread = kitVolumes.reduce(0, +)
            // Bounded: the bisection's upper end becomes a whole number of patients.
            guard mean > 0, left.isFinite, (left + spread) / mean < 1e9 else { throw .nonFinite(.fill) }
            // The most patients whose kits fit: between what surely fits (low) and what surely does
            // not (above high), by bisection — the volume the split uses grows with the patients
            // but for the largest remainder's rare exceptions, which the last steps down settle.
            var patients = 0
            if left > 0 {
                func used(_ n: Int) -> Double {
                    zip(p.product.mixAllocation(n), kitVolumes).reduce(0.0) { $0 + Double($1.0) * $1.1 }
                }
                let low = max(0, Int(((left - spread) / mean).rounded(.down)))
                var lo = low, hi = Int(((left + spread) / mean).rounded(.down))
                while lo < hi {
                    let mid = lo + (hi - lo + 1) / 2
                    if used(mid) <= left { lo = mid } else { hi = mid - 1 }
                }
                var steps = 0
                while lo > low && used(lo) > left && steps < 100 {
                    lo -= 1
                    steps += 1
                }
                patients = used(lo) <= left ? lo : low
            }
            let vials = zip(p.product.mixAllocation(patients), kitVials).reduce(0) { $0 + $1.0 * $1.1 }
            s.doses = s.belowLabelConcentration ? 0 : patients
            s.fractionalDoses = s.belowLabelConcentration || left <= 0 ? 0 : left / mean
            s.vialsPerDose = patients > 0 ? Int((Double(vials) / Double(patients)).rounded()) : kitVials[0]
            s.vialsForPatients = s.belowLabelConcentration ? 0 : vials
            s.vialsFilled = s.qcVials + vials
            s.fillTime = f.setupTime + Quantity(canonical: Double(s.vialsFilled) / f.vialsPerHour * 3600)
            s.patients = s.doses
            return
        }
        if case .perBodyWeight(_, let weight) = p.product.dose, !p.product.kits.isEmpty {
            // Kits by weight band: QC and retained vials of the fill's size first, then whole kits
            // of the band the patient's weight falls in, each one patient's dose.
            guard let kit = p.product.kit(for: weight) else { throw .noKitForWeight(weight) }
            let holds = s.bulkConcentration * kit.volume * f.yield.value
            guard holds >= perDose * (1 - 1e-9) else { throw .kitTooSmall(holds: holds, dose: perDose) }
            let kitVolume = kit.vials.reduce(Quantity<Volume>.zero) { $0 + ($1.volume + f.overfill) * Double($1.count) }
            let left = fillable - perVial * Double(s.qcVials)
            let kits = left.canonical > 0 ? (left / kitVolume).rounded(.down) : 0
            guard kits.isFinite, kits < 1e9 else { throw .nonFinite(.fill) }
            s.doses = s.belowLabelConcentration ? 0 : Int(kits)
            s.fractionalDoses = s.belowLabelConcentration || left.canonical <= 0 ? 0 : left / kitVolume
            s.vialsPerDose = kit.vialCount
            s.vialsForPatients = s.doses * kit.vialCount
            s.vialsFilled = s.qcVials + Int(kits) * kit.vialCount
            s.fillTime = f.setupTime + Quantity(canonical: Double(s.vialsFilled) / f.vialsPerHour * 3600)
            s.patients = s.doses
            return
        }
        s.vialsForPatients = s.belowLabelConcentration ? 0 : max(0, s.vialsFilled - s.qcVials)
        s.fractionalDoses = Double(s.vialsForPatients) * (s.vectorPerVial / perDose)

        // A hair of tolerance: a vial holding exactly 1/n of a dose (at the label) makes n a dose.
        let vialsPerDose = (perDose / s.vectorPerVial * (1 - 1e-9)).rounded(.up)
        guard vialsPerDose.isFinite, vialsPerDose >= 1 else {
            // An empty bulk: nothing in the vials.
            s.vialsPerDose = 0
            return
        }
        s.vialsPerDose = vialsPerDose < 1e12 ? Int(vialsPerDose) : Int.max
        s.doses = s.vialsForPatients / s.vialsPerDose
        s.patients = s.doses / p.product.dose.dosesPerPatient
    }
}
