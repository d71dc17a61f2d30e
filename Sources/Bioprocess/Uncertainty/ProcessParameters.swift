/// Sets one numeric input of a process, in its canonical unit. The Monte Carlo writes each
/// sampled value through one of these into a working copy of the definition.
public typealias ProcessSetter = @Sendable (inout ProcessDefinition, Double) -> Void

/// Which numeric fields of a process file can be uncertain, and how to set each.
///
/// The paths mirror ``ProcessReader``'s fields; a test checks that every numeric field of
/// every example has a setter that reproduces the value read.
public enum ProcessParameters {
    /// The setter for a field, or nil if the field cannot be a distribution (whole numbers, text).
    public static func setter(for path: FieldPath) -> ProcessSetter? {
        let c = path.components
        func key(_ i: Int) -> String? {
            guard i < c.count, case .key(let k) = c[i] else { return nil }
            return k
        }
        func index(_ i: Int) -> Int? {
            guard i < c.count, case .index(let n) = c[i] else { return nil }
            return n
        }
        switch key(0) {
        case "product":
            if key(1) == "dose", key(2) == "kits", let i = index(3) {
                if c.count == 5, key(4) == "up-to" {
                    return { p, v in if i < p.product.kits.count { p.product.kits[i].upTo.canonical = v } }
                }
                if c.count == 7, key(4) == "vials", let j = index(5), key(6) == "volume" {
                    return { p, v in
                        if i < p.product.kits.count, j < p.product.kits[i].vials.count {
                            p.product.kits[i].vials[j].volume.canonical = v
                        }
                    }
                }
                return nil
            }
            if key(1) == "dose", key(2) == "patient-mix", let i = index(3), c.count == 5 {
                switch key(4) {
                case "weight": return { p, v in if i < p.product.patientMix.count { p.product.patientMix[i].weight.canonical = v } }
                case "share": return { p, v in if i < p.product.patientMix.count { p.product.patientMix[i].share = v } }
                default: return nil
                }
            }
            return product(key(1), key(2), c.count)
        case "cell-line": return cellLine(key(1), key(2), c.count)
        case "seed-train":
            if key(1) == "passage-time", c.count == 2 { return { p, v in p.seedTrain.passageTime.canonical = v } }
            guard key(1) == "stages", let i = index(2), c.count == 4 else { return nil }
            return seedStage(i, key(3))
        case "production":
            if key(1) == "vessels", let i = index(2), c.count == 4, key(3) == "max-volume" {
                return { p, v in if i < p.production.vessels.count { p.production.vessels[i].maxVolume.canonical = v } }
            }
            return production(path)
        case "downstream":
            guard let i = index(1), c.count == 3, let field = key(2) else { return nil }
            return step(i, field)
        case "fill":
            guard c.count == 2 else { return nil }
            return fill(key(1))
        case "qc":
            guard let i = index(2), c.count == 4 else { return nil }
            switch (key(1), key(3)) {
            case ("in-process", "volume"): return { p, v in p.qualityControl.inProcess[i].volume.canonical = v }
            case ("release", "volume"): return { p, v in p.qualityControl.release[i].volume.canonical = v }
            case ("release", "turnaround"): return { p, v in p.qualityControl.release[i].turnaround.canonical = v }
            default: return nil
            }
        default: return nil
        }
    }

    static func product(_ a: String?, _ b: String?, _ count: Int) -> ProcessSetter? {
        guard count == 3 else { return nil }
        switch (a, b) {
        case ("vector", "genome-size"): return { p, v in p.product.vector.genomeSize.canonical = v }
        case ("dose", "amount"):
            return { p, v in
                switch p.product.dose {
                case .perBodyWeight(_, let w):
                    p.product.dose = .perBodyWeight(dose: Quantity(canonical: v), patientWeight: w)
                case .perEye(_, let eyes): p.product.dose = .perEye(dose: Quantity(canonical: v), eyesPerPatient: eyes)
                case .exVivo, .exVivoPerPatient: break
                }
            }
        case ("dose", "patient-weight"):
            return { p, v in
                switch p.product.dose {
                case .perBodyWeight(let d, _):
                    p.product.dose = .perBodyWeight(dose: d, patientWeight: Quantity(canonical: v))
                case .exVivo(let cells, let moi, _):
                    p.product.dose = .exVivo(cellsPerKg: cells, moi: moi, patientWeight: Quantity(canonical: v))
                case .perEye, .exVivoPerPatient: break
                }
            }
        case ("dose", "cells-per-kg"):
            return { p, v in
                if case .exVivo(_, let moi, let w) = p.product.dose {
                    p.product.dose = .exVivo(cellsPerKg: Quantity(canonical: v), moi: moi, patientWeight: w)
                }
            }
        case ("dose", "moi"):
            return { p, v in
                if case .exVivo(let cells, _, let w) = p.product.dose {
                    p.product.dose = .exVivo(cellsPerKg: cells, moi: Quantity(canonical: v), patientWeight: w)
                }
                if case .exVivoPerPatient(let cells, _) = p.product.dose {
                    p.product.dose = .exVivoPerPatient(cells: cells, moi: Quantity(canonical: v))
                }
            }
        case ("dose", "cells-per-patient"):
            return { p, v in
                if case .exVivoPerPatient(_, let moi) = p.product.dose {
                    p.product.dose = .exVivoPerPatient(cells: Quantity(canonical: v), moi: moi)
                }
            }
        case ("dose", "label-concentration"):
            return { p, v in p.product.labelConcentration = Quantity(canonical: v) }
        default: return nil
        }
    }

    static func cellLine(_ a: String?, _ b: String?, _ count: Int) -> ProcessSetter? {
        switch (a, b, count) {
        case ("doubling-time", nil, 2): return { p, v in p.cellLine.doublingTime.canonical = v }
        case ("bank", "cells-per-vial", 3): return { p, v in p.cellLine.bank.cellsPerVial.canonical = v }
        case ("bank", "viability", 3): return { p, v in p.cellLine.bank.viability.canonical = v }
        default: return nil
        }
    }

    static func setDensity(_ d: inout CultureDensity, _ v: Double) {
        switch d {
        case .perVolume: d = .perVolume(Quantity(canonical: v))
        case .perArea: d = .perArea(Quantity(canonical: v))
        }
    }

    /// A field of an amplification passage.
    static func passage(_ i: Int, _ field: String) -> ProcessSetter? {
        func set(_ change: @escaping @Sendable (inout AmplificationPassage, Double) -> Void) -> ProcessSetter {
            { p, v in
                if case .infection(var inf) = p.production.induction, i < inf.amplificationPassages.count {
                    change(&inf.amplificationPassages[i], v)
                    p.production.induction = .infection(inf)
                }
            }
        }
        switch field {
        case "moi": return set { $0.moi.canonical = $1 }
        case "cell-density": return set { $0.cellDensity.canonical = $1 }
        case "duration": return set { $0.duration.canonical = $1 }
        case "titer": return set { $0.titer.canonical = $1 }
        default: return nil
        }
    }

    static func seedStage(_ i: Int, _ field: String?) -> ProcessSetter? {
        switch field {
        case "working-volume": return { p, v in p.seedTrain.stages[i].workingVolume.canonical = v }
        case "surface": return { p, v in p.seedTrain.stages[i].surface = Quantity(canonical: v) }
        case "seeding-density": return { p, v in setDensity(&p.seedTrain.stages[i].seedingDensity, v) }
        case "split-density": return { p, v in setDensity(&p.seedTrain.stages[i].splitDensity, v) }
        default: return nil
        }
    }

    static func production(_ path: FieldPath) -> ProcessSetter? {
        let c = FieldPath.keys(path.components.dropFirst())
        if c.count == 5, c[0...2] == ["infection", "amplification", "passages"], case .index(let i) = path.components[4] {
            return passage(i, c[4])
        }
        switch c {
        case ["working-volume"]:
            return { p, v in
                switch p.production.platform {
                case .suspension(let m, _):
                    p.production.platform = .suspension(model: m, workingVolume: Quantity(canonical: v))
                case .fixedBed(let m, let a, _):
                    p.production.platform = .fixedBed(model: m, bedArea: a, workingVolume: Quantity(canonical: v))
                case .flasks: break
                }
            }
        case ["bed-area"]:
            return { p, v in
                if case .fixedBed(let m, _, let w) = p.production.platform {
                    p.production.platform = .fixedBed(model: m, bedArea: Quantity(canonical: v), workingVolume: w)
                }
            }
        case ["flask-surface"]:
            return { p, v in
                if case .flasks(let m, _, let medium) = p.production.platform {
                    p.production.platform = .flasks(
                        model: m, surfacePerFlask: Quantity(canonical: v), mediumPerFlask: medium)
                }
            }
        case ["medium-per-flask"]:
            return { p, v in
                if case .flasks(let m, let a, _) = p.production.platform {
                    p.production.platform = .flasks(
                        model: m, surfacePerFlask: a, mediumPerFlask: Quantity(canonical: v))
                }
            }
        case ["surface"]:
            // The total surface of a flask lot: the number of flasks follows.
            return { p, v in
                if let perFlask = p.production.platform.surfacePerUnit, perFlask.canonical > 0 {
                    p.production.units = Int(clamping: (v / perFlask.canonical).rounded(.up), to: 1...1_000_000_000)
                }
            }
        case ["seeding-density"]: return { p, v in setDensity(&p.production.seedingDensity, v) }
        case ["induction-density"]: return { p, v in setDensity(&p.production.inductionDensity, v) }
        case ["productivity"]:
            return { p, v in
                switch p.production.productivity {
                case .first: p.production.productivity = .first(Quantity(canonical: v))
                case .second: p.production.productivity = .second(Quantity(canonical: v))
                }
            }
        case ["duration"]: return { p, v in p.production.duration.canonical = v }
        case ["full-capsids"]:
            return { p, v in
                if case .capsids(_, let partial, let ratio)? = p.production.particles {
                    p.production.particles = .capsids(full: v, partial: partial, genomesPerInfectiousUnit: ratio)
                }
            }
        case ["partial-capsids"]:
            return { p, v in
                if case .capsids(let full, _, let ratio)? = p.production.particles {
                    p.production.particles = .capsids(full: full, partial: v, genomesPerInfectiousUnit: ratio)
                }
            }
        case ["vg-per-iu"]:
            return { p, v in
                if case .capsids(let full, let partial, _)? = p.production.particles {
                    p.production.particles = .capsids(full: full, partial: partial, genomesPerInfectiousUnit: v)
                }
            }
        case ["particles-per-tu"]:
            return { p, v in
                if case .lentiviral? = p.production.particles { p.production.particles = .lentiviral(particlesPerTU: v) }
            }
        case ["scale-effect", "reference"]: return { p, v in p.production.scaleEffect?.reference.canonical = v }
        case ["scale-effect", "productivity-exponent"]: return { p, v in p.production.scaleEffect?.productivityExponent = v }
        case ["scale-effect", "yield-exponent"]: return { p, v in p.production.scaleEffect?.yieldExponent = v }
        case ["growth-after-induction"]:
            return { p, v in p.production.timeCourse?.growthAfterInduction = Quantity(canonical: v) }
        case ["half-life"]: return { p, v in p.production.timeCourse?.halfLife = Quantity(canonical: v) }
        case ["perfusion", "rate"]: return { p, v in p.production.timeCourse?.perfusionRate = v }
        case ["perfusion", "start"]: return { p, v in p.production.timeCourse?.perfusionStart.canonical = v }
        case ["medium-exchanges"]: return { p, v in p.production.mediumExchanges = v }
        case ["handlings-per-unit"]: return { p, v in p.production.handlingsPerUnit = v }
        case ["transfection", "plasmid"]:
            return { p, v in
                if case .transfection(var t) = p.production.induction {
                    switch t.plasmid {
                    case .first: t.plasmid = .first(Quantity(canonical: v))
                    case .second: t.plasmid = .second(Quantity(canonical: v))
                    }
                    p.production.induction = .transfection(t)
                }
            }
        case ["transfection", "reagent-ratio"]:
            return { p, v in
                if case .transfection(var t) = p.production.induction {
                    t.reagentRatio = v
                    p.production.induction = .transfection(t)
                }
            }
        case ["infection", "amplification", "titer"]:
            return { p, v in
                if case .infection(var i) = p.production.induction {
                    i.amplificationTiter = Quantity(canonical: v)
                    p.production.induction = .infection(i)
                }
            }
        case ["stable-producer", "concentration"]:
            return { p, v in
                if case .stableProducer(var sp) = p.production.induction {
                    sp.concentration = Quantity(canonical: v)
                    p.production.induction = .stableProducer(sp)
                }
            }
        case ["infection", "moi"]:
            return { p, v in
                if case .infection(var i) = p.production.induction {
                    i.moi.canonical = v
                    p.production.induction = .infection(i)
                }
            }
        default: return nil
        }
    }

    /// Applies `change` to step `i`'s operation.
    static func onStep(_ i: Int, _ change: @escaping @Sendable (inout UnitOperation, Double) -> Void) -> ProcessSetter {
        { p, v in change(&p.downstream[i].operation, v) }
    }

    static func onTFF(_ i: Int, _ change: @escaping @Sendable (inout TangentialFlow, Double) -> Void) -> ProcessSetter {
        onStep(i) { op, v in
            guard case .tangentialFlow(var t) = op else { return }
            change(&t, v)
            op = .tangentialFlow(t)
        }
    }

    static func onColumn(_ i: Int, _ change: @escaping @Sendable (inout Chromatography, Double) -> Void)
        -> ProcessSetter
    {
        onStep(i) { op, v in
            guard case .chromatography(var c) = op else { return }
            change(&c, v)
            op = .chromatography(c)
        }
    }

    static func step(_ i: Int, _ field: String) -> ProcessSetter? {
        switch field {
        case "yield": return { p, v in p.downstream[i].yield.canonical = v }
        case "added-volume":
            return onStep(i) { op, v in
                func set(_ a: AddedVolume?) -> AddedVolume? {
                    switch a {
                    case .fraction?: .fraction(v)
                    case .volume?: .volume(Quantity(canonical: v))
                    case nil: nil
                    }
                }
                switch op {
                case .harvest(var h): h.addedVolume = set(h.addedVolume); op = .harvest(h)
                case .hold(var h): h.addedVolume = set(h.addedVolume); op = .hold(h)
                default: break
                }
            }
        case "duration":
            return onStep(i) { op, v in
                switch op {
                case .harvest(var h): h.duration.canonical = v; op = .harvest(h)
                case .hold(var h): h.duration.canonical = v; op = .hold(h)
                case .chromatography(var c): c.duration = Quantity(canonical: v); op = .chromatography(c)
                default: break
                }
            }
        case "capacity":
            return onStep(i) { op, v in
                switch op {
                case .clarification(var f): f.capacity.canonical = v; op = .clarification(f)
                case .sterileFiltration(var f): f.capacity.canonical = v; op = .sterileFiltration(f)
                default: break
                }
            }
        case "flux":
            return onStep(i) { op, v in
                switch op {
                case .clarification(var f): f.flux.canonical = v; op = .clarification(f)
                case .sterileFiltration(var f): f.flux.canonical = v; op = .sterileFiltration(f)
                case .tangentialFlow(var t): t.flux.canonical = v; op = .tangentialFlow(t)
                default: break
                }
            }
        case "setup-time":
            return onStep(i) { op, v in
                switch op {
                case .clarification(var f): f.setupTime.canonical = v; op = .clarification(f)
                case .sterileFiltration(var f): f.setupTime.canonical = v; op = .sterileFiltration(f)
                case .tangentialFlow(var t): t.setupTime.canonical = v; op = .tangentialFlow(t)
                case .chromatography(var c): c.setupTime.canonical = v; op = .chromatography(c)
                default: break
                }
            }
        case "concentration-factor": return onTFF(i) { t, v in t.target = .factor(v) }
        case "final-volume": return onTFF(i) { t, v in t.target = .finalVolume(Quantity(canonical: v)) }
        case "final-concentration": return onTFF(i) { t, v in t.target = .finalConcentration(Quantity(canonical: v)) }
        case "diafiltration-volumes": return onTFF(i) { t, v in t.diafiltrationVolumes = v }
        case "process-time": return onTFF(i) { t, v in t.sizing = .first(Quantity(canonical: v)) }
        case "membrane-area": return onTFF(i) { t, v in t.sizing = .second(Quantity(canonical: v)) }
        case "binding-capacity": return onColumn(i) { c, v in c.bindingCapacity = Quantity(canonical: v) }
        case "loading": return onColumn(i) { c, v in c.loading.canonical = v }
        case "column-volume": return onColumn(i) { c, v in c.columnVolume = Quantity(canonical: v) }
        case "max-column-volume": return onColumn(i) { c, v in c.maxColumnVolume = Quantity(canonical: v) }
        case "elution-volumes": return onColumn(i) { c, v in c.elutionVolumes = v }
        case "other-volumes": return onColumn(i) { c, v in c.otherVolumes = v }
        case "residence-time": return onColumn(i) { c, v in c.residenceTime.canonical = v }
        case "full-empty-resolution": return onColumn(i) { c, v in c.fullEmptyResolution = v }
        case "safety-factor":
            return onStep(i) { op, v in
                switch op {
                case .clarification(var f): f.catalogue?.safetyFactor = v; op = .clarification(f)
                case .sterileFiltration(var f): f.catalogue?.safetyFactor = v; op = .sterileFiltration(f)
                case .tangentialFlow(var t): t.catalogue?.safetyFactor = v; op = .tangentialFlow(t)
                case .chromatography(var c): c.catalogue?.safetyFactor = v; op = .chromatography(c)
                default: break
                }
            }
        case "half-life":
            return onStep(i) { op, v in
                if case .hold(var h) = op {
                    h.halfLife = Quantity(canonical: v)
                    op = .hold(h)
                }
            }
        case "hold-up", "line-hold-up":
            let perArea = field == "hold-up"
            return onStep(i) { op, v in
                func set(_ f: inout Filtration) {
                    if perArea { f.holdUp = Quantity(canonical: v) } else { f.lineHoldUp = Quantity(canonical: v) }
                }
                switch op {
                case .clarification(var f): set(&f); op = .clarification(f)
                case .sterileFiltration(var f): set(&f); op = .sterileFiltration(f)
                default: break
                }
            }
        default: return nil
        }
    }

    static func fill(_ field: String?) -> ProcessSetter? {
        switch field {
        case "fill-volume": return { p, v in p.fill?.fillVolume.canonical = v }
        case "overfill": return { p, v in p.fill?.overfill.canonical = v }
        case "line-loss": return { p, v in p.fill?.lineLoss.canonical = v }
        case "yield": return { p, v in p.fill?.yield.canonical = v }
        case "setup-time": return { p, v in p.fill?.setupTime.canonical = v }
        case "vials-per-hour": return { p, v in p.fill?.vialsPerHour = v }
        default: return nil
        }
    }
}
