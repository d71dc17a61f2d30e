/// Reads a process definition from a document tree, checking every field, and returns the
/// definition or every mistake at once, each with its file, line, column and field path.
public enum ProcessReader {
    /// Reads and checks a definition; also runs one lot to catch a process whose numbers are
    /// valid one by one but cannot make a lot together (a seed train that never reaches its target).
    /// Inputs written as distributions take their nominal value.
    public static func read(_ document: DocumentNode, extensions: Set<String> = []) throws(DefinitionError)
        -> ProcessDefinition
    {
        let issues = IssueCollector()
        let definition = parse(document, issues: issues, extensions: extensions)
        try issues.throwIfAny()
        try checkFeasible(definition, document: document)
        return definition
    }

    /// Reads a definition, recording issues and uncertain inputs in `issues`. Top-level
    /// fields named in `extensions` are left for other readers (`costs`, `price`).
    public static func parse(_ document: DocumentNode, issues: IssueCollector, extensions: Set<String> = [])
        -> ProcessDefinition
    {
        let definition = parseFields(document, issues: issues, extensions: extensions)
        for input in issues.uncertain where ProcessParameters.setter(for: input.path) == nil {
            if case .key(let top)? = input.path.components.first, extensions.contains(top) { continue }
            issues.add(
                DefinitionIssue(
                    location: input.location, path: input.path, message: "this field cannot be a distribution",
                    expected: "a single value"))
        }
        return definition
    }

    /// Simulates one lot of the nominal definition; a failure is reported at its place in the file.
    public static func checkFeasible(_ definition: ProcessDefinition, document: DocumentNode) throws(DefinitionError) {
        do {
            _ = try LotSimulator.summary(definition)
        } catch {
            let path = fieldPath(of: error.site, in: definition)
            let node = document.lookup(path) ?? document
            throw DefinitionError([
                DefinitionIssue(location: node.location, path: path, message: error.message, expected: error.expected)
            ])
        }
    }

    /// Where in the file a simulation site is written.
    public static func fieldPath(of site: ProcessSite, in p: ProcessDefinition) -> FieldPath {
        switch site {
        case .cellBank: FieldPath([.key("cell-line"), .key("max-population-doublings")])
        case .seedStage(let i): FieldPath([.key("seed-train"), .key("stages"), .index(i)])
        case .production: FieldPath([.key("production")])
        case .step(let i): FieldPath([.key("downstream"), .index(i)])
        case .fill: FieldPath([.key("fill")])
        }
    }

    static func parseFields(_ document: DocumentNode, issues: IssueCollector, extensions: Set<String>)
        -> ProcessDefinition
    {
        let r = FieldReader(document, path: .root, issues: issues)
        for key in extensions { _ = r.has(key) }
        let format = r.string(
            "vectorfab", expected: "\"\(ProcessDefinition.format)/\(ProcessDefinition.formatVersion)\"")
        if !format.isEmpty && format != "\(ProcessDefinition.format)/\(ProcessDefinition.formatVersion)" {
            r.problem(
                "'\(format)' is not a process format this version reads", at: "vectorfab",
                expected: "\"\(ProcessDefinition.format)/\(ProcessDefinition.formatVersion)\"")
        }
        let name = r.string("name", expected: "the process's name")
        let summary = r.optionalString("description")
        _ = r.optionalString("$schema", expected: "the path or URL of the JSON Schema, for editors")
        let product = readProduct(r.mapping("product"), issues: issues)
        let cellLine = readCellLine(r.mapping("cell-line"))
        let production = readProduction(r.mapping("production"))
        let seedTrain = readSeedTrain(r.mapping("seed-train"))
        let downstream = readDownstream(r, issues: issues)
        let fill = readFill(r.mapping("fill", required: false))
        let qc = readQualityControl(r.mapping("qc"), steps: downstream)
        if !product.kits.isEmpty && fill == nil {
            issues.add(
                "are filled, but the process has no fill", at: document.lookup(FieldPath([.key("product"), .key("dose"), .key("kits")])),
                path: FieldPath([.key("product"), .key("dose"), .key("kits")]), expected: "a 'fill' section for the kits' vials")
        }
        if production.particles == nil {
            // A resin sized on capsids needs to know how many capsids the harvest holds.
            for (i, step) in downstream.enumerated() {
                guard case .chromatography(let c) = step.operation, c.bindsParticles || c.fullEmptyResolution != nil
                else { continue }
                let isLV = issues.vectorCounting == .transducingUnits
                issues.add(
                    c.bindsParticles
                        ? "binds \(isLV ? "particles" : "capsids") but the production states none"
                        : "separates full from empty capsids but the production states no capsids",
                    at: document.lookup(FieldPath([.key("downstream"), .index(i)])),
                    path: FieldPath([.key("downstream"), .index(i)]),
                    expected: isLV
                        ? "'particles-per-tu' under 'production'"
                        : "'full-capsids' under 'production' (the share of capsids holding a genome, such as \"20 %\")")
            }
        }
        r.finish()
        return ProcessDefinition(
            name: name, summary: summary, product: product, cellLine: cellLine, seedTrain: seedTrain,
            production: production, downstream: downstream, fill: fill, qualityControl: qc)
    }

    // MARK: Product

    enum VectorKeyword: String, CaseIterable { case aav = "AAV", lv = "LV" }
    enum DoseKeyword: String, CaseIterable { case perKg = "per-kg", perEye = "per-eye", exVivo = "ex-vivo" }

    static func readProduct(_ r: FieldReader?, issues: IssueCollector) -> Product {
        guard let r else { return placeholderProduct }
        let name = r.string("name", expected: "the product's name")
        let indication = r.optionalString("indication")
        var vector = placeholderProduct.vector
        if let v = r.mapping("vector") {
            let kind = v.choice("type", VectorKeyword.self)
            let type: VectorType
            switch kind {
            case .aav?: type = .aav(serotype: v.string("serotype", expected: "a serotype such as AAV9"))
            case .lv?: type = .lentivirus
            case nil: type = .aav(serotype: "")
            }
            if kind != nil { issues.vectorCounting = type.counting }
            vector = Vector(type: type, genomeSize: v.quantity("genome-size", GenomeLength.self))
            v.finish()
        }
        var dose = placeholderProduct.dose
        var label: Quantity<VectorConcentration>?
        var kits: [Kit] = []
        var mix: [PatientShare] = []
        if let d = r.mapping("dose") {
            switch d.choice("model", DoseKeyword.self) {
            case .perKg?:
                dose = .perBodyWeight(
                    dose: d.quantity("amount", VectorPerBodyMass.self),
                    patientWeight: d.quantity("patient-weight", Mass.self))
            case .perEye?:
                dose = .perEye(
                    dose: d.quantity("amount", VectorAmount.self),
                    eyesPerPatient: d.optionalInt("eyes-per-patient", range: 1...2, expected: "1 or 2") ?? 1)
            case .exVivo?:
                let moi = d.quantity("moi", VectorPerCell.self)
                if d.has("cells-per-patient") {
                    for key in ["cells-per-kg", "patient-weight"] where d.has(key) {
                        d.problem(
                            "gives both 'cells-per-patient' and '\(key)'", at: key,
                            expected: "cells per patient (a fixed number), or cells per kg with the patient's weight")
                    }
                    dose = .exVivoPerPatient(cells: d.quantity("cells-per-patient", CellCount.self), moi: moi)
                } else {
                    dose = .exVivo(
                        cellsPerKg: d.quantity("cells-per-kg", CellsPerBodyMass.self), moi: moi,
                        patientWeight: d.quantity("patient-weight", Mass.self))
                }
            case nil: break
            }
            label = d.optionalQuantity("label-concentration", VectorConcentration.self)
            kits = readKits(d, dose: dose, label: label)
            mix = readPatientMix(d, kits: kits)
            if label != nil, dose.isExVivo {
                d.problem(
                    "is for a vector dosed by volume, but an ex vivo dose transduces cells", at: "label-concentration",
                    expected: "no 'label-concentration' on an ex vivo dose")
            }
            d.finish()
        }
        let shelfLife = r.optionalQuantity("shelf-life", Duration.self)
        r.finish()
        var product = Product(
            name: name, vector: vector, dose: dose, indication: indication, labelConcentration: label, shelfLife: shelfLife)
        product.kits = kits
        product.patientMix = mix
        return product
    }

    /// `patient-mix`: the lot's patients by weight (`weight`, `share`, shares adding up to
    /// 100 %), each served its band's kit; only with kits.
    static func readPatientMix(_ d: FieldReader, kits: [Kit]) -> [PatientShare] {
        guard d.has("patient-mix") else { return [] }
        let expected = "the patients by weight, such as [{weight: \"14 kg\", share: \"30 %\"}, {weight: \"22 kg\", share: \"70 %\"}]"
        let items = d.list("patient-mix", expected: expected, max: 50, counting: "weights")
        guard !kits.isEmpty else {
            d.problem(
                "is for kits by weight band", at: "patient-mix",
                expected: "'kits' by weight band, each patient of the mix served the kit of the band"
                    + " (without kits, a dose is whole vials and the mix changes nothing)")
            return []
        }
        var mix: [PatientShare] = []
        for (path, node) in items {
            let m = FieldReader(node, path: path, issues: d.issues)
            let weight = m.quantity("weight", Mass.self)
            let share = m.quantity("share", Fraction.self, bound: .yield).value
            if weight.canonical.isFinite, let top = kits.last?.upTo, weight > top * (1 + 1e-12) {
                m.problem(
                    "is above every kit's weight band", at: "weight",
                    expected: "a weight up to \(sci(top.value(in: "kg"))) kg, the heaviest band")
            }
            m.finish()
            mix.append(PatientShare(weight: weight, share: share))
        }
        let total = mix.reduce(0) { $0 + $1.share }
        if items.isEmpty {
            d.problem("has no weight", at: "patient-mix", expected: expected)
        } else if total.isFinite, abs(total - 1) > 0.001 {
            d.problem("shares add up to \(sci(total * 100)) %", at: "patient-mix", expected: "shares adding up to 100 %")
        }
        return mix
    }

    /// `kits`: by weight band (`up-to`, ascending), the vials of each size (`volume`, `count`) a
    /// patient receives; only for a per-kg dose at a labelled concentration.
    static func readKits(_ d: FieldReader, dose: DoseModel, label: Quantity<VectorConcentration>?) -> [Kit] {
        guard d.has("kits") else { return [] }
        var kits: [Kit] = []
        for (path, node) in d.list("kits", expected: "kits by weight band, such as [{up-to: \"20 kg\", vials: [{volume: \"10 mL\", count: 20}]}]", max: 50, counting: "kits") {
            let k = FieldReader(node, path: path, issues: d.issues)
            let upTo = k.quantity("up-to", Mass.self)
            var vials: [KitVial] = []
            for (vPath, vNode) in k.list("vials", expected: "the vials of each size, such as [{volume: \"10 mL\", count: 2}]", max: 10, counting: "vial sizes") {
                let v = FieldReader(vNode, path: vPath, issues: d.issues)
                vials.append(
                    KitVial(
                        volume: v.quantity("volume", Volume.self),
                        count: v.int("count", range: 1...1000, expected: "a whole number of vials, 1 to 1000")))
                v.finish()
            }
            k.finish()
            if let last = kits.last, !(upTo > last.upTo) {
                d.issues.add(
                    "bands are not in ascending order of weight", at: node, path: path.appending("up-to"),
                    expected: "kits from the lightest band to the heaviest")
            }
            kits.append(Kit(upTo: upTo, vials: vials))
        }
        guard case .perBodyWeight(_, let weight) = dose, label != nil else {
            d.problem(
                "are for a dose per kg given by volume at its labelled concentration", at: "kits",
                expected: "model: per-kg with a 'label-concentration'")
            return []
        }
        if let top = kits.last?.upTo, weight.canonical.isFinite, weight > top {
            d.problem(
                "has no kit for the patient's weight", at: "patient-weight",
                expected: "a kit whose band reaches \(sci(weight.value(in: "kg"))) kg")
        }
        return kits
    }

    static let placeholderProduct = Product(
        name: "", vector: Vector(type: .aav(serotype: ""), genomeSize: Quantity(canonical: .nan)),
        dose: .perEye(dose: Quantity(canonical: .nan), eyesPerPatient: 1))

    // MARK: Cells

    static func readCellLine(_ r: FieldReader?) -> CellLine {
        let nan = Quantity<Duration>(canonical: .nan)
        guard let r else {
            return CellLine(
                name: "", doublingTime: nan, maxPopulationDoublings: nil,
                bank: CellBank(name: nil, cellsPerVial: .zero, viability: .zero, vialsPerLot: 1))
        }
        let name = r.string("name", expected: "the cell line's name")
        let td = r.quantity("doubling-time", Duration.self)
        let limit = r.optionalInt("max-population-doublings", range: 1...1000, expected: "a whole number of doublings")
        var bank = CellBank(name: nil, cellsPerVial: Quantity(canonical: .nan), viability: Quantity(1), vialsPerLot: 1)
        if let b = r.mapping("bank") {
            bank = CellBank(
                name: b.optionalString("name"),
                cellsPerVial: b.quantity("cells-per-vial", CellCount.self),
                viability: b.quantity("viability", Fraction.self, bound: .yield),
                vialsPerLot: b.optionalInt("vials-per-lot", range: 1...1000, expected: "a whole number of vials") ?? 1)
            b.finish()
        }
        r.finish()
        return CellLine(name: name, doublingTime: td, maxPopulationDoublings: limit.map(Double.init), bank: bank)
    }

    static func density(_ r: FieldReader, _ key: String) -> CultureDensity {
        switch r.either(key, CellDensity.self, CellsPerArea.self) {
        case .first(let d)?: .perVolume(d)
        case .second(let d)?: .perArea(d)
        case nil: .perVolume(Quantity(canonical: .nan))
        }
    }

    static func readSeedTrain(_ r: FieldReader?) -> SeedTrain {
        guard let r else { return SeedTrain(passageTime: .zero, stages: []) }
        let passage = r.quantity("passage-time", Duration.self, bound: .nonNegative)
        var stages: [SeedStage] = []
        for (path, node) in r.list("stages", expected: "a list of seed-train vessels", max: 20, counting: "stages") {
            let s = FieldReader(node, path: path, issues: r.issues)
            let surface = s.optionalQuantity("surface", Area.self)
            let stage = SeedStage(
                name: s.string("name", expected: "the vessel's name"),
                workingVolume: s.quantity("working-volume", Volume.self),
                surface: surface,
                seedingDensity: density(s, "seeding-density"),
                splitDensity: density(s, "split-density"),
                maxVessels: s.optionalInt("max-vessels", range: 1...100_000, expected: "a whole number of vessels"))
            if stage.seedingDensity.isPerArea != stage.splitDensity.isPerArea {
                s.problem(
                    "mixes a density per surface and a density per volume", at: "split-density",
                    expected: "both densities per cm² (adherent) or both per mL (suspension)")
            }
            for key in ["seeding-density", "split-density"] {
                let d = key == "seeding-density" ? stage.seedingDensity : stage.splitDensity
                if d.isPerArea && surface == nil {
                    s.problem(
                        "is per surface but the vessel has no 'surface'", at: key,
                        expected: "a 'surface' field, or a density in cells/mL")
                }
            }
            s.finish()
            stages.append(stage)
        }
        r.finish()
        return SeedTrain(passageTime: passage, stages: stages)
    }

    // MARK: Production

    static func readProduction(_ r: FieldReader?) -> Production {
        let nanDensity = CultureDensity.perVolume(Quantity(canonical: .nan))
        guard let r else {
            return Production(
                platform: .suspension(model: "", workingVolume: .zero), units: 1, seedingDensity: nanDensity,
                inductionDensity: nanDensity, induction: .infection(Infection(virus: "", moi: .zero)),
                productivity: .second(.zero), duration: .zero, mediumExchanges: 0, handlingsPerUnit: 0)
        }
        let kind = r.choice("platform", PlatformKind.self)
        let model = r.string("model", expected: "the vessel's model, such as \"CellSTACK-10\" or \"iCELLis 500\"")
        var platform = Platform.suspension(model: model, workingVolume: Quantity(canonical: .nan))
        var units = 1
        switch kind {
        case .flasks?:
            let perFlask = r.quantity("flask-surface", Area.self)
            let medium = r.quantity("medium-per-flask", Volume.self)
            platform = .flasks(model: model, surfacePerFlask: perFlask, mediumPerFlask: medium)
            let total = r.optionalQuantity("surface", Area.self)
            let count = r.optionalInt("units", range: 1...1_000_000, expected: "a whole number of flasks")
            switch (total, count) {
            case (let t?, nil): units = Int(clamping: (t / perFlask).rounded(.up), to: 1...1_000_000_000)
            case (nil, let c?): units = c
            case (nil, nil):
                r.problem(
                    "gives neither 'surface' nor 'units'", expected: "the total growth surface or the number of flasks")
            case (_?, _?): r.problem("gives both 'surface' and 'units'", at: "units", expected: "one of them")
            }
        case .fixedBed?:
            platform = .fixedBed(
                model: model, bedArea: r.quantity("bed-area", Area.self),
                workingVolume: r.quantity("working-volume", Volume.self))
            units = r.optionalInt("units", range: 1...10_000, expected: "a whole number of bioreactors") ?? 1
        case .suspension?:
            platform = .suspension(model: model, workingVolume: r.quantity("working-volume", Volume.self))
            units = r.optionalInt("units", range: 1...10_000, expected: "a whole number of bioreactors") ?? 1
        case nil: break
        }
        let seeding = density(r, "seeding-density")
        let induction = density(r, "induction-density")
        if let kind {
            let wantsArea = kind != .suspension
            for (key, d) in [("seeding-density", seeding), ("induction-density", induction)]
            where d.isPerArea != wantsArea {
                if case .perVolume(let q) = d, q.canonical.isNaN { continue }
                r.problem(
                    "is per \(d.isPerArea ? "surface" : "volume") but the platform is \(kind.rawValue)", at: key,
                    expected: wantsArea
                        ? "cells per surface, such as \"2e4 cells/cm²\""
                        : "cells per volume, such as \"0.5e6 cells/mL\"")
            }
        }
        let inductionMethod = readInduction(r)
        let productivity: Either<Quantity<VectorPerCell>, Quantity<VectorConcentration>> =
            r.either("productivity", VectorPerCell.self, VectorConcentration.self) ?? .second(Quantity(canonical: .nan))
        var production = Production(
            platform: platform, units: units, seedingDensity: seeding, inductionDensity: induction,
            induction: inductionMethod, productivity: productivity,
            duration: r.quantity("duration", Duration.self),
            harvests: r.optionalInt("harvests", range: 1...100, expected: "a whole number of harvests") ?? 1,
            mediumExchanges: r.optionalNumber(
                "medium-exchanges", bound: .nonNegative, expected: "a number of working volumes, such as 1") ?? 0,
            handlingsPerUnit: r.number(
                "handlings-per-unit", bound: .nonNegative, expected: "a number of manual manipulations, such as 4"))
        production.particles = readParticles(r)
        production.timeCourse = readTimeCourse(r, production: production)
        if r.has("vessels") {
            for (path, node) in r.list("vessels", expected: "the stirred tanks available, such as [{model: \"STR 500 L\", max-volume: \"500 L\"}]", max: 30, counting: "vessels") {
                let v = FieldReader(node, path: path, issues: r.issues)
                let vessel = Vessel(
                    model: v.string("model", expected: "the vessel's model"), maxVolume: v.quantity("max-volume", Volume.self))
                v.finish()
                if let last = production.vessels.last, !(vessel.maxVolume > last.maxVolume) {
                    r.issues.add(
                        "vessels are not in ascending order of volume", at: node, path: path.appending("max-volume"),
                        expected: "the vessels from the smallest to the largest")
                }
                production.vessels.append(vessel)
            }
            if kind != .suspension {
                r.problem("is for stirred tanks in suspension", at: "vessels", expected: "no 'vessels' on this platform")
            }
        }
        if let e = r.mapping("scale-effect", required: false) {
            func exponent(_ key: String) -> Double {
                let v = e.optionalNumber(key, bound: .any, expected: "an exponent between -1 and 1, such as -0.05") ?? 0
                if abs(v) > 1 {
                    e.problem("\(v) is outside -1 to 1", at: key, expected: "a mild power of the scale, between -1 and 1")
                }
                return v
            }
            production.scaleEffect = ScaleEffect(
                reference: e.quantity("reference", Volume.self), productivityExponent: exponent("productivity-exponent"),
                yieldExponent: exponent("yield-exponent"))
            if !e.has("productivity-exponent") && !e.has("yield-exponent") {
                e.problem("gives no exponent", expected: "'productivity-exponent' or 'yield-exponent'")
            }
            e.finish()
        }
        r.finish()
        return production
    }

    /// The particles made beside the vector: `full-capsids` (with `partial-capsids` and
    /// `vg-per-iu`) for AAV, `particles-per-tu` for LV; nil when none is stated.
    static func readParticles(_ r: FieldReader) -> ParticleContent? {
        let isLV = r.issues.vectorCounting == .transducingUnits
        let aavKeys = ["full-capsids", "partial-capsids", "vg-per-iu"]
        for key in isLV ? aavKeys : ["particles-per-tu"] where r.has(key) {
            r.problem(
                "is for \(isLV ? "AAV capsids" : "LV particles"), but this product is \(isLV ? "LV" : "AAV")", at: key,
                expected: isLV
                    ? "'particles-per-tu': physical particles per transducing unit, such as 300"
                    : "'full-capsids' (with 'partial-capsids' and 'vg-per-iu') for AAV")
        }
        if isLV {
            guard let ratio = r.optionalNumber(
                "particles-per-tu", bound: .atLeastOne,
                expected: "physical particles per transducing unit, at least 1, such as 300")
            else { return nil }
            return .lentiviral(particlesPerTU: ratio)
        }
        guard let full = r.optionalQuantity("full-capsids", Fraction.self, bound: .yield) else {
            for key in ["partial-capsids", "vg-per-iu"] where r.has(key) {
                r.problem("is given without 'full-capsids'", at: key, expected: "the share of full capsids, such as \"20 %\"")
            }
            return nil
        }
        let partial = r.optionalQuantity("partial-capsids", Fraction.self, bound: .fraction)?.value ?? 0
        if full.value + partial > 1 {
            r.problem(
                "full and partial capsids add up to more than 100 %", at: "partial-capsids",
                expected: "shares of full and partial capsids adding up to at most 100 %")
        }
        let ratio = r.optionalNumber(
            "vg-per-iu", bound: .atLeastOne, expected: "vector genomes per infectious unit, at least 1, such as 50")
        return .capsids(full: full.value, partial: partial, genomesPerInfectiousUnit: ratio)
    }

    /// The production's time course: `growth-after-induction`, `profile`, `perfusion`
    /// (`rate` in vessel volumes a day, `start` after induction) and `half-life`; nil when none.
    static func readTimeCourse(_ r: FieldReader, production: Production) -> TimeCourse? {
        var course = TimeCourse()
        var any = false
        if let g = r.optionalQuantity("growth-after-induction", Duration.self, bound: .nonNegative) {
            course.growthAfterInduction = g
            any = true
        }
        if let h = r.optionalQuantity("half-life", Duration.self) {
            course.halfLife = h
            any = true
        }
        if let perfusion = r.mapping("perfusion", required: false) {
            course.perfusionRate =
                perfusion.optionalNumber(
                    "rate", bound: .positive, expected: "vessel volumes perfused a day, such as 1") ?? .nan
            if !perfusion.has("rate") {
                perfusion.problem("missing field 'rate'", expected: "vessel volumes perfused a day, such as 1")
            }
            course.perfusionStart =
                perfusion.optionalQuantity("start", Duration.self, bound: .nonNegative) ?? .zero
            perfusion.finish()
            any = true
            if production.harvests > 1 {
                r.problem(
                    "gives both 'perfusion' and \(production.harvests) 'harvests'", at: "harvests",
                    expected: "perfusion (its harvest volume follows from the rate) or whole-volume harvests, not both")
            }
        }
        if let node = r.node("profile", required: false, expected: "a list of shares of the vector made, such as [\"20 %\", \"50 %\", \"30 %\"]") {
            any = true
            let path = r.path.appending("profile")
            guard case .sequence(let items) = node.value, !items.isEmpty, items.count <= 100 else {
                r.problem("is not a list of 1 to 100 shares", at: "profile", expected: "shares of the vector made in equal slices of the production time")
                return course
            }
            for (i, item) in items.enumerated() {
                guard case .scalar(let text, _) = item.value,
                    let m = r.measurement(
                        text, at: item, path: path.appending(index: i), dimensions: [.none],
                        expected: "a share such as \"25 %\"", plain: false),
                    m.canonical >= 0, m.canonical <= 1
                else {
                    r.issues.add(
                        "is not a share from 0 to 100 %", at: item, path: path.appending(index: i),
                        expected: "a share such as \"25 %\"")
                    continue
                }
                course.profile.append(m.canonical)
            }
            let total = course.profile.reduce(0, +)
            if course.profile.count == items.count, abs(total - 1) > 0.001 {
                r.problem(
                    "shares add up to \(sci(total * 100)) %", at: "profile",
                    expected: "shares of the vector made adding up to 100 %")
            }
        }
        if let node = r.node("harvest-schedule", required: false, expected: "a list of harvest times after induction, such as [\"2 d\", \"3 d\"]") {
            any = true
            let path = r.path.appending("harvest-schedule")
            let expected = "harvest times after induction, ascending, each within the production's duration, such as [\"2 d\", \"3 d\"]"
            guard case .sequence(let items) = node.value, !items.isEmpty, items.count <= 100 else {
                r.problem("is not a list of 1 to 100 harvest times", at: "harvest-schedule", expected: expected)
                return course
            }
            let end = production.duration.canonical
            for (i, item) in items.enumerated() {
                guard case .scalar(let text, _) = item.value,
                    let m = r.measurement(
                        text, at: item, path: path.appending(index: i), dimensions: [Duration.dimension],
                        expected: expected, plain: false)
                else { continue }
                let v = m.canonical
                if !(v > 0) || (end.isFinite && v > end * (1 + 1e-9)) || (course.harvestTimes.last.map { v <= $0 } ?? false) {
                    r.issues.add(
                        "'\(text)' is not after the one before and within the production's duration",
                        at: item, path: path.appending(index: i), expected: expected)
                    continue
                }
                course.harvestTimes.append(v)
            }
            if production.harvests > 1 {
                r.problem(
                    "gives both 'harvest-schedule' and \(production.harvests) 'harvests'", at: "harvests",
                    expected: "a harvest schedule (the times) or a number of harvests, not both")
            }
        }
        guard any else { return nil }
        if course.changesTheHarvest, case .second = production.productivity {
            r.problem(
                "is a titer per volume, but the production has a time course (perfusion or decay)",
                at: "productivity",
                expected: "what a cell makes, such as \"30 TU/cell\": the harvest then follows from the time course")
        }
        return course
    }

    /// A list of `{name, share}` (plasmids of a transfection, viruses of an infection), whose
    /// shares must add up to 100 %.
    static func namedShares(_ r: FieldReader, _ key: String, noun: String, max: Int) -> [(name: String, share: Double)] {
        var shares: [(name: String, share: Double)] = []
        for (path, node) in r.list(key, required: false, expected: "a list of \(key) with their share", max: max, counting: key) {
            let p = FieldReader(node, path: path, issues: r.issues)
            shares.append(
                (p.string("name", expected: "the \(noun)'s name"), p.quantity("share", Fraction.self, bound: .yield).value))
            p.finish()
        }
        let total = shares.reduce(0) { $0 + $1.share }
        if !shares.isEmpty, total.isFinite, abs(total - 1) > 0.001 {
            r.problem(
                "\(noun) shares add up to \(sci(total * 100)) %", at: key, expected: "shares adding up to 100 %")
        }
        return shares
    }

    static func readInduction(_ r: FieldReader) -> Induction {
        let hasT = r.has("transfection"), hasI = r.has("infection"), hasS = r.has("stable-producer")
        if [hasT, hasI, hasS].filter({ $0 }).count > 1 {
            r.problem(
                "gives more than one of 'transfection', 'infection' and 'stable-producer'",
                at: hasS ? "stable-producer" : "infection", expected: "one of them")
        }
        if let sp = r.mapping("stable-producer", required: false) {
            let result = StableProducer(
                inducer: sp.string("inducer", expected: "the inducer, such as doxycycline"),
                concentration: sp.optionalQuantity("concentration", MassConcentration.self))
            sp.finish()
            return .stableProducer(result)
        }
        if let t = r.mapping("transfection", required: false) {
            let plasmid =
                t.either("plasmid", MassPerCell.self, MassConcentration.self) ?? .first(Quantity(canonical: .nan))
            let shares = namedShares(t, "plasmids", noun: "plasmid", max: 20).map { PlasmidShare(name: $0.name, share: $0.share) }
            let result = Transfection(
                plasmid: plasmid, reagent: t.string("reagent", expected: "the transfection reagent, such as PEI"),
                reagentRatio: t.quantity("reagent-ratio", Fraction.self, bound: .nonNegative).value, plasmids: shares)
            t.finish()
            return .transfection(result)
        }
        if let i = r.mapping("infection", required: false) {
            let viruses = namedShares(i, "viruses", noun: "virus", max: 10).map { VirusShare(name: $0.name, share: $0.share) }
            let name =
                viruses.isEmpty
                ? i.string("virus", expected: "the helper or baculovirus used")
                : (i.optionalString("virus") ?? viruses.map(\.name).joined(separator: " + "))
            var poisson = false
            if let model = i.optionalString("co-infection", expected: "poisson") {
                if model == "poisson" {
                    poisson = true
                } else {
                    i.problem(
                        "'\(model)' is not a known co-infection model", at: "co-infection",
                        expected: "poisson (productivity per cell infected by every virus, Π (1 − e^(−MOI × share)))")
                }
            }
            var titer: Quantity<InfectiousConcentration>?
            var passages: [AmplificationPassage] = []
            if let a = i.mapping("amplification", required: false) {
                if a.has("passages") {
                    passages = readPassages(a)
                    if a.has("titer") {
                        a.problem(
                            "is given beside 'passages'", at: "titer",
                            expected: "either one culture's 'titer' or the 'passages' of the train, each with its titer")
                    }
                } else {
                    titer = a.quantity("titer", InfectiousConcentration.self)
                }
                a.finish()
            }
            let result = Infection(
                virus: name, moi: i.quantity("moi", InfectiousPerCell.self), viruses: viruses, poissonCoInfection: poisson,
                amplificationTiter: titer, amplificationPassages: passages)
            i.finish()
            return .infection(result)
        }
        r.problem(
            "gives none of 'transfection', 'infection' and 'stable-producer'", expected: "how cells are induced to make vector")
        return .infection(Infection(virus: "", moi: .zero))
    }

    /// The passages of a virus amplification train, from the bank to the production.
    static func readPassages(_ a: FieldReader) -> [AmplificationPassage] {
        var out: [AmplificationPassage] = []
        let items = a.list(
            "passages",
            expected:
                "the passages from the virus bank to the production, such as [{name: P1, moi: 0.1, cell-density: \"2e6 cells/mL\", duration: \"4 d\", titer: \"1e8 pfu/mL\"}]",
            max: 5, counting: "passages")
        if items.isEmpty { a.problem("has no passage", at: "passages", expected: "at least one passage") }
        for (path, node) in items {
            let r = FieldReader(node, path: path, issues: a.issues)
            out.append(
                AmplificationPassage(
                    name: r.optionalString("name") ?? "P\(out.count + 1)", moi: r.quantity("moi", InfectiousPerCell.self),
                    cellDensity: r.quantity("cell-density", CellDensity.self), duration: r.quantity("duration", Duration.self),
                    titer: r.quantity("titer", InfectiousConcentration.self)))
            r.finish()
        }
        return out
    }

    // MARK: Downstream

    enum StepKeyword: String, CaseIterable {
        case harvest, clarification, tff, affinity, aex, ufdf, hold
        case sterileFiltration = "sterile-filtration"
    }

    static func readDownstream(_ r: FieldReader, issues: IssueCollector) -> [DownstreamStep] {
        var steps: [DownstreamStep] = []
        for (path, node) in r.list("downstream", expected: "a list of unit operations", max: 50, counting: "steps") {
            let s = FieldReader(node, path: path, issues: issues)
            guard let keyword = s.choice("step", StepKeyword.self) else {
                continue
            }
            let name = s.optionalString("name") ?? keyword.rawValue
            let resin = keyword == .affinity || keyword == .aex ? s.string("resin", expected: "the resin's name") : nil
            let yield = s.quantity("yield", Fraction.self, bound: .yield)
            let operation: UnitOperation
            switch keyword {
            case .harvest:
                operation = .harvest(
                    Harvest(addedVolume: addedVolume(s), duration: s.quantity("duration", Duration.self)))
            case .hold:
                operation = .hold(
                    Hold(
                        addedVolume: addedVolume(s), duration: s.quantity("duration", Duration.self),
                        halfLife: s.optionalQuantity("half-life", Duration.self)))
            case .clarification, .sterileFiltration:
                var f = Filtration(
                    capacity: s.quantity("capacity", VolumePerArea.self),
                    flux: s.quantity("flux", Flux.self),
                    setupTime: s.quantity("setup-time", Duration.self, bound: .nonNegative),
                    holdUp: s.optionalQuantity("hold-up", VolumePerArea.self, bound: .nonNegative),
                    lineHoldUp: s.optionalQuantity("line-hold-up", Volume.self, bound: .nonNegative))
                f.catalogue = catalogue(s, Area.self)
                operation = keyword == .clarification ? .clarification(f) : .sterileFiltration(f)
            case .tff, .ufdf:
                operation = .tangentialFlow(tangentialFlow(s, role: keyword == .tff ? .tff : .ufdf))
            case .affinity, .aex:
                operation = .chromatography(chromatography(s, role: keyword == .affinity ? .affinity : .aex))
            }
            s.finish()
            steps.append(DownstreamStep(name: name, yield: yield, resin: resin, operation: operation))
        }
        var seen: Set<String> = []
        for (i, step) in steps.enumerated() where !seen.insert(step.name).inserted {
            issues.add(
                "two steps are called '\(step.name)'", at: r.node.lookup(FieldPath([.key("downstream"), .index(i)])),
                path: r.path.appending("downstream").appending(index: i),
                expected: "a distinct 'name' for each step (QC samples and diffs refer to steps by name)")
        }
        if steps.isEmpty, case .some = r.node("downstream", required: false, expected: "") {
            r.problem("has no steps", at: "downstream", expected: "at least one unit operation")
        }
        return steps
    }

    /// `sizes` (a list of areas or volumes the equipment is bought in) with `safety-factor`
    /// (at least 1, default 1); nil without sizes.
    static func catalogue<K: PhysicalKind>(_ s: FieldReader, _ kind: K.Type) -> Catalogue? {
        let factor = s.optionalNumber(
            "safety-factor", bound: .atLeastOne, expected: "a factor of at least 1 on the exact need, such as 1.3")
        guard let node = s.node("sizes", required: false, expected: "a list of sizes such as [\"0.5 m²\", \"1 m²\"]") else {
            if factor != nil {
                s.problem("is given without 'sizes'", at: "safety-factor", expected: "the catalogue sizes it applies to")
            }
            return nil
        }
        let path = s.path.appending("sizes")
        guard case .sequence(let items) = node.value, !items.isEmpty, items.count <= 50 else {
            s.problem("is not a list of 1 to 50 sizes", at: "sizes", expected: "sizes such as [\"0.5 m²\", \"1 m²\"] (\(K.expectation))")
            return nil
        }
        var sizes: [Double] = []
        for (i, item) in items.enumerated() {
            guard case .scalar(let text, _) = item.value,
                let m = s.measurement(
                    text, at: item, path: path.appending(index: i), dimensions: [K.dimension], expected: K.expectation,
                    plain: false)
            else {
                if case .scalar = item.value {} else {
                    s.issues.add("is not a size", at: item, path: path.appending(index: i), expected: K.expectation)
                }
                continue
            }
            guard m.canonical > 0, m.canonical.isFinite else {
                s.issues.add("'\(text)' is not positive", at: item, path: path.appending(index: i), expected: K.expectation)
                continue
            }
            sizes.append(m.canonical)
        }
        return Catalogue(sizes: sizes, safetyFactor: factor ?? 1)
    }

    static func addedVolume(_ s: FieldReader) -> AddedVolume? {
        switch s.optionalEither("added-volume", Fraction.self, Volume.self, bound: .nonNegative) {
        case .first(let f)?: .fraction(f.value)
        case .second(let v)?: .volume(v)
        case nil: nil
        }
    }

    static func tangentialFlow(_ s: FieldReader, role: TangentialFlowRole) -> TangentialFlow {
        let factor = s.optionalNumber(
            "concentration-factor", bound: .atLeastOne, expected: "a volume reduction factor of at least 1, such as 10")
        let volume = s.optionalQuantity("final-volume", Volume.self)
        let concentration = s.optionalQuantity("final-concentration", VectorConcentration.self)
        let given = [factor != nil, volume != nil, concentration != nil].filter { $0 }.count
        var target = ConcentrationTarget.factor(1)
        if given != 1 {
            s.problem(
                given == 0 ? "gives no concentration target" : "gives more than one concentration target",
                expected: "exactly one of 'concentration-factor', 'final-volume', 'final-concentration'")
        } else if let factor {
            target = .factor(factor)
        } else if let volume {
            target = .finalVolume(volume)
        } else if let concentration {
            target = .finalConcentration(concentration)
        }
        let time = s.optionalQuantity("process-time", Duration.self)
        let area = s.optionalQuantity("membrane-area", Area.self)
        var sizing = Either<Quantity<Duration>, Quantity<Area>>.first(Quantity(canonical: .nan))
        switch (time, area) {
        case (let t?, nil): sizing = .first(t)
        case (nil, let a?): sizing = .second(a)
        default:
            s.problem(
                time == nil
                    ? "gives neither 'process-time' nor 'membrane-area'"
                    : "gives both 'process-time' and 'membrane-area'",
                expected: "the time allowed (the membrane is sized) or the membrane area installed (the time follows)")
        }
        var cat: Catalogue?
        if case .second = sizing, s.has("sizes") {
            s.problem(
                "gives 'sizes' with an installed 'membrane-area'", at: "sizes",
                expected: "sizes only when the membrane is sized from 'process-time'")
        } else {
            cat = catalogue(s, Area.self)
        }
        var t = TangentialFlow(
            role: role, target: target,
            diafiltrationVolumes: s.optionalNumber(
                "diafiltration-volumes", bound: .nonNegative, expected: "a number of diavolumes, such as 5") ?? 0,
            flux: s.quantity("flux", Flux.self), sizing: sizing,
            setupTime: s.quantity("setup-time", Duration.self, bound: .nonNegative))
        t.catalogue = cat
        return t
    }

    static func chromatography(_ s: FieldReader, role: ChromatographyRole) -> Chromatography {
        let mode = s.optionalChoice("mode", ChromatographyMode.self) ?? .bindElute
        var capacity: Quantity<VectorConcentration>?
        var bindsParticles = false
        if mode == .bindElute {
            if !s.has("binding-capacity") {
                s.problem(
                    "missing field 'binding-capacity'", at: "binding-capacity",
                    expected: "capsids or particles one mL of resin binds, such as \"1e14 cp/mL\"")
            } else if let (m, _) = s.optionalMeasurement(
                "binding-capacity", dimensions: [VectorConcentration.dimension],
                expected: #"what one mL of resin binds, such as "1e14 cp/mL" (every capsid) or "2e13 vg/mL""#,
                particles: true)
            {
                capacity = Quantity(canonical: m.canonical)
                bindsParticles = m.unit.vectorCounting?.isPhysical ?? false
            }
            if capacity == nil { capacity = Quantity(canonical: .nan) }
        }
        let resolution = s.optionalNumber(
            "full-empty-resolution", bound: .positive,
            expected: "the resolution between the empty and full capsid peaks, such as 0.5")
        if resolution != nil && (role != .aex || mode != .bindElute || s.issues.vectorCounting != .genomes) {
            s.problem(
                "separates full from empty capsids only on a bind-elute AEX step of an AAV product",
                at: "full-empty-resolution", expected: "no 'full-empty-resolution' here")
        }
        let column = s.optionalQuantity("column-volume", Volume.self)
        if mode == .flowThrough && column == nil {
            s.problem("is flow-through but gives no 'column-volume'", expected: "the installed column volume")
        }
        let loading = mode == .bindElute ? s.quantity("loading", Fraction.self, bound: .yield) : Quantity(1)
        let elution =
            mode == .bindElute
            ? s.number("elution-volumes", expected: "the eluate volume in column volumes, such as 4") : 0
        // A step time from batch records replaces the computed one (flow and setup).
        let known = s.optionalQuantity("duration", Duration.self)
        if known != nil {
            for key in ["residence-time", "setup-time"] where s.has(key) {
                s.problem(
                    "gives both 'duration' and '\(key)'", at: key,
                    expected: "the step's duration, or its residence and setup times")
            }
        }
        // The largest column to size only makes sense when the column is sized (bind-elute, no column given).
        let largest = mode == .bindElute && column == nil ? s.optionalQuantity("max-column-volume", Volume.self) : nil
        if s.has("max-column-volume") && (mode == .flowThrough || column != nil) {
            s.problem(
                "gives 'max-column-volume' with \(mode == .flowThrough ? "a flow-through step" : "an installed 'column-volume'")",
                at: "max-column-volume",
                expected: "either the installed 'column-volume' or, in bind-elute, a 'max-column-volume' to size up to")
        }
        var c = Chromatography(
            role: role, mode: mode,
            bindingCapacity: capacity, loading: loading, columnVolume: column, maxColumnVolume: largest,
            elutionVolumes: elution,
            otherVolumes: s.number(
                "other-volumes", bound: .nonNegative,
                expected: "column volumes of equilibration, wash, strip and cleaning per cycle, such as 20"),
            residenceTime: known == nil ? s.quantity("residence-time", Duration.self) : .zero,
            setupTime: known == nil ? s.quantity("setup-time", Duration.self, bound: .nonNegative) : .zero,
            duration: known)
        c.bindsParticles = bindsParticles
        c.fullEmptyResolution = resolution
        if s.has("sizes") && (mode == .flowThrough || column != nil || largest != nil) {
            s.problem(
                "gives 'sizes' with \(column != nil ? "an installed 'column-volume'" : largest != nil ? "'max-column-volume'" : "a flow-through step")",
                at: "sizes", expected: "column sizes only for a column sized to the load (the largest acts as the maximum)")
        } else {
            c.catalogue = catalogue(s, Volume.self)
        }
        return c
    }

    // MARK: Fill and QC

    static func readFill(_ r: FieldReader?) -> Fill? {
        guard let r else { return nil }
        let fill = Fill(
            container: r.string("container", expected: "the container, such as \"2R glass vial\""),
            fillVolume: r.quantity("fill-volume", Volume.self),
            overfill: r.optionalQuantity("overfill", Volume.self, bound: .nonNegative) ?? .zero,
            lineLoss: r.quantity("line-loss", Volume.self, bound: .nonNegative),
            yield: r.optionalQuantity("yield", Fraction.self, bound: .yield) ?? Quantity(1),
            setupTime: r.quantity("setup-time", Duration.self, bound: .nonNegative),
            vialsPerHour: r.number("vials-per-hour", expected: "a filling rate in vials per hour, such as 60"))
        r.finish()
        return fill
    }

    static func readQualityControl(_ r: FieldReader?, steps: [DownstreamStep]) -> QualityControl {
        guard let r else { return QualityControl(inProcess: [], release: [], retainedVials: 0) }
        var samples: [InProcessSample] = []
        for (path, node) in r.list("in-process", required: false, expected: "a list of in-process samples", max: 200, counting: "samples") {
            let s = FieldReader(node, path: path, issues: r.issues)
            let test = s.string("test", expected: "the test's name")
            let after = s.string("after", expected: "the name of the downstream step the sample is taken after")
            let volume = s.quantity("volume", Volume.self)
            let index = steps.firstIndex { $0.name == after }
            if index == nil && !after.isEmpty {
                s.problem(
                    "'\(after)' is not a downstream step", at: "after",
                    expected: "one of: " + steps.map(\.name).joined(separator: ", "))
            }
            let spec = s.has("spec") ? readSpecification(s) : nil
            samples.append(InProcessSample(test: test, afterStep: index ?? -1, volume: volume, specification: spec))
            s.finish()
        }
        var tests: [ReleaseTest] = []
        for (path, node) in r.list("release", expected: "a list of release tests", max: 200, counting: "tests") {
            let s = FieldReader(node, path: path, issues: r.issues)
            let test = ReleaseTest(
                test: s.string("test", expected: "the test's name"),
                panel: s.has("panel") ? s.optionalChoice("panel", ReleasePanel.self) ?? .drugProduct : .drugProduct,
                volume: s.quantity("volume", Volume.self, bound: .nonNegative),
                turnaround: s.quantity("turnaround", Duration.self),
                specification: readSpecification(s))
            if tests.contains(where: { $0.test == test.test && $0.panel == test.panel }) && !test.test.isEmpty {
                s.problem(
                    "the \(test.panel.title) panel already has a test '\(test.test)'", at: "test",
                    expected: "each test once in each panel")
            }
            tests.append(test)
            s.finish()
        }
        let retained = r.optionalInt("retained-vials", range: 0...100_000, expected: "a whole number of vials") ?? 0
        r.finish()
        return QualityControl(inProcess: samples, release: tests, retainedVials: retained)
    }

    static let specificationExpected =
        "a pass/fail criterion such as \"no growth\", or a range such as {min: 1.0e13, unit: vg/mL} or {max: 5, unit: EU/mL}"

    /// `spec`: a pass/fail criterion (text) or a range `{min, max, unit}` with at least one limit.
    static func readSpecification(_ s: FieldReader) -> QCSpecification {
        let fallback = QCSpecification.passFail(criterion: "")
        guard let node = s.node("spec", required: true, expected: specificationExpected) else { return fallback }
        switch node.value {
        case .scalar(let text, _):
            let criterion = text.trimmingSpaces
            if criterion.isEmpty || Double(criterion) != nil {
                s.problem(
                    criterion.isEmpty ? "the criterion is empty" : "'\(criterion)' is a bare number, not a criterion",
                    at: "spec", expected: specificationExpected)
            }
            return .passFail(criterion: criterion)
        case .mapping:
            let m = FieldReader(node, path: s.path.appending("spec"), issues: s.issues)
            let low = m.optionalNumber("min", bound: .any, expected: "the lowest passing value, a number")
            let high = m.optionalNumber("max", bound: .any, expected: "the highest passing value, a number")
            let unit = m.string("unit", expected: "the result's unit, such as vg/mL, EU/mL, % or copies/cell")
                .trimmingSpaces
            if !m.has("min") && !m.has("max") {
                m.problem("a range needs a limit", expected: "min, max or both")
            }
            if m.has("unit") && unit.isEmpty { m.problem("the unit is empty", at: "unit", expected: "the result's unit, such as vg/mL") }
            if let low, let high, low > high {
                m.problem("min \(low) is above max \(high)", at: "min", expected: "min ≤ max")
            }
            m.finish()
            return .range(low: low, high: high, unit: unit)
        default:
            s.problem("is \(node.kindDescription)", at: "spec", expected: specificationExpected)
            return fallback
        }
    }
}

extension DocumentNode {
    /// The node at a field path, if the document has it.
    public func lookup(_ path: FieldPath) -> DocumentNode? {
        var node = self
        for component in path.components {
            switch (component, node.value) {
            case (.key(let k), .mapping(let entries)):
                guard let e = entries.first(where: { $0.key == k }) else { return nil }
                node = e.value
            case (.index(let i), .sequence(let items)):
                guard items.indices.contains(i) else { return nil }
                node = items[i]
            default: return nil
            }
        }
        return node
    }
}
