import Bioprocess

/// The readable report of a simulated lot: key figures, then a table per stage.
public enum LotReportText {
    public static func render(_ r: LotReport) -> String {
        let p = r.process
        let s = r.summary
        let vc = p.product.vector.type.counting
        var out = "VectorFab lot simulation — \(p.name)\n"
        out += "Product: \(p.product.name), \(p.product.vector.type.label)"
        if let indication = p.product.indication { out += ", \(indication)" }
        out += "\nDose: \(doseText(p.product.dose, vc))\n"
        if let label = p.product.labelConcentration {
            out += "Label: \(Fmt.concentration(label, vc)), \(Fmt.volume(Quantity(canonical: p.product.dose.vectorPerDose.canonical / label.canonical))) a dose\n"
        }
        out += "\n"

        out += "Key figures\n"
        var key = TextTable(["figure", "value"])
        key.add(["Harvest", "\(Fmt.volume(s.harvestVolume)), \(Fmt.vector(s.vectorHarvested, vc))"])
        key.add(["Bulk drug substance", "\(Fmt.volume(s.bulkVolume)) at \(Fmt.concentration(s.bulkConcentration, vc))"])
        key.add(["Downstream yield", Fmt.percent(s.downstreamYield)])
        if let label = p.product.labelConcentration {
            key.add([
                "Formulated to the label",
                s.belowLabelConcentration
                    ? "NO: the bulk is below \(Fmt.concentration(label, vc)); no vial can be released at its label"
                    : "\(Fmt.volume(s.dilutionVolume)) of buffer added to reach \(Fmt.concentration(label, vc))",
            ])
        }
        if s.drugSubstanceSamples.canonical > 0 {
            key.add(["Drug-substance release samples", Fmt.volume(s.drugSubstanceSamples)])
        }
        if let fill = p.fill {
            key.add([
                "Vials filled", "\(Fmt.count(s.vialsFilled)) × \(Fmt.volume(fill.fillVolume)) (\(fill.container))",
            ])
            key.add(["Vials for QC and retains", Fmt.count(s.qcVials)])
            key.add(["Vials for patients", Fmt.count(s.vialsForPatients)])
            key.add([p.product.patientMix.isEmpty ? "Vials per dose" : "Vials per dose (mean over the mix)", Fmt.count(s.vialsPerDose)])
            if !p.product.patientMix.isEmpty {
                for (m, n) in zip(p.product.patientMix, p.product.mixAllocation(s.doses)) {
                    guard let kit = p.product.kit(for: m.weight) else { continue }
                    let vials = kit.vials.map { "\($0.count) × \(Fmt.volume($0.volume))" }.joined(separator: " + ")
                    key.add([
                        "  Patients of \(Fmt.number(m.weight.value(in: "kg"))) kg (\(Fmt.percent(m.share)))",
                        "\(Fmt.count(n)) kits of the band up to \(Fmt.number(kit.upTo.value(in: "kg"))) kg: \(vials)",
                    ])
                }
            } else if case .perBodyWeight(_, let w) = p.product.dose, let kit = p.product.kit(for: w) {
                let vials = kit.vials.map { "\($0.count) × \(Fmt.volume($0.volume))" }.joined(separator: " + ")
                key.add(["Kit (patients up to \(Fmt.number(kit.upTo.value(in: "kg"))) kg)", "\(vials) = \(Fmt.volume(kit.volume)); \(Fmt.count(s.doses)) kits"])
            }
        } else {
            key.add(["Fill", "not modelled: doses counted from the bulk's vector"])
        }
        key.add(["Doses per lot", Fmt.count(s.doses)])
        key.add(["Patients per lot", Fmt.count(s.patients)])
        for phase in r.phases {
            key.add([
                phase.name,
                "\(Fmt.days(phase.duration)) (day \(Fmt.number(phase.start.value(in: "d"))) to \(Fmt.number(phase.end.value(in: "d"))))",
            ])
        }
        key.add(["Thaw to release", Fmt.days(s.lotTime)])
        key.add(["Operator handlings", Fmt.number(s.handlings)])
        out += key.render() + "\n"

        out += "Seed train (\(p.cellLine.name), doubling time \(Fmt.hours(p.cellLine.doublingTime)), "
        out += "\(Fmt.cells(s.viableCellsThawed)) viable from \(p.cellLine.bank.vialsPerLot) vial(s))\n"
        var seed = TextTable(
            ["stage", "vessels", "cells in", "cells out", "doublings", "days", "medium"],
            rightAligned: [1, 2, 3, 4, 5, 6])
        for o in r.seedStages {
            seed.add([
                p.seedTrain.stages[o.index].name, Fmt.count(o.vessels), Fmt.number(o.cellsIn.canonical),
                Fmt.number(o.cellsOut.canonical), Fmt.number(o.doublings), Fmt.number(o.duration.value(in: "d")),
                Fmt.volume(o.medium),
            ])
        }
        out += seed.render()
        if !r.skippedSeedStages.isEmpty {
            let names = r.skippedSeedStages.map { p.seedTrain.stages[$0].name }.joined(separator: ", ")
            out += "Not needed at this scale: \(names)\n"
        }
        out += "\n"

        out += "Production\n"
        var prod = TextTable(["item", "value"])
        let pr = p.production
        prod.add(["Platform", "\(pr.platform.kind.rawValue): \(Fmt.count(pr.units)) × \(pr.platform.model)"])
        if let surface = pr.cultureSurface { prod.add(["Growth surface", Fmt.area(surface)]) }
        prod.add(["Culture volume", Fmt.volume(s.cultureVolume)])
        prod.add(["Cells at seeding", Fmt.cells(s.cellsAtSeeding)])
        prod.add(["Cells at induction", Fmt.cells(s.cellsAtInduction)])
        prod.add(["Growth to induction", Fmt.days(s.growthTime)])
        prod.add(["Induction to harvest", Fmt.days(s.inductionTime)])
        if let course = pr.timeCourse {
            if let g = course.growthAfterInduction {
                prod.add(["Growth after induction", "\(Fmt.hours(g)) → \(Fmt.cells(s.cellsAtPeak)) at the peak"])
            }
            prod.add(["Vector made", Fmt.vector(s.vectorMade, vc)])
            if course.perfusionRate > 0 {
                prod.add([
                    "Perfusion",
                    "\(Fmt.number(course.perfusionRate)) vessel volumes a day from day \(Fmt.number(course.perfusionStart.value(in: "d"))) after induction; \(Fmt.volume(s.harvestVolume)) collected",
                ])
            }
            if !course.harvestTimes.isEmpty {
                let days = course.harvestTimes.map { Fmt.number($0 / 86_400) }.joined(separator: ", ")
                let atEnd = (course.harvestTimes.last ?? 0) < s.inductionTime.canonical * (1 - 1e-9) ? ", and at the end" : ""
                prod.add([
                    "Harvest schedule",
                    "whole volume on day\(course.harvestTimes.count > 1 ? "s" : "") \(days) after induction\(atEnd); \(Fmt.volume(s.harvestVolume)) collected",
                ])
            }
            if let h = course.halfLife {
                prod.add([
                    "Decay in the vessel",
                    "half-life \(Fmt.hours(h)): \(Fmt.percent(1 - s.vectorHarvested / s.vectorMade)) of the vector made is lost before harvest",
                ])
            }
        }
        if let e = pr.scaleEffect {
            prod.add([
                "Scale effect",
                "× \(Fmt.number(e.productivityFactor(at: s.cultureVolume))) productivity, × \(Fmt.number(e.yieldFactor(at: s.cultureVolume))) step yields (measured at \(Fmt.volume(e.reference)))",
            ])
        }
        prod.add(["Vector harvested", Fmt.vector(s.vectorHarvested, vc)])
        prod.add([
            "Harvest titer", "\(Fmt.number((s.vectorHarvested / s.harvestVolume).value(in: "vg/L"))) \(vc.symbol)/L",
        ])
        prod.add([
            "Vector harvested per cell at induction",
            "\(Fmt.number(s.vectorHarvested.canonical / s.cellsAtInduction.canonical)) \(vc.symbol)/cell",
        ])
        switch pr.induction {
        case .transfection(let t):
            prod.add(["Plasmid DNA", Fmt.mass(s.plasmid)])
            for share in t.plasmids { prod.add(["  \(share.name)", Fmt.mass(s.plasmid * share.share)]) }
            prod.add(["\(t.reagent)", Fmt.mass(s.reagent)])
        case .infection(let i):
            prod.add(["\(i.virus)", "\(Fmt.number(s.virus.canonical)) pfu"])
            for v in i.viruses { prod.add(["  \(v.name)", "\(Fmt.number(s.virus.canonical * v.share)) pfu"]) }
            if i.poissonCoInfection {
                prod.add(["Cells infected by every virus", Fmt.percent(i.coInfectedShare)])
            }
            if s.amplificationVolume.canonical > 0 && i.amplificationPassages.isEmpty {
                prod.add(["Virus amplification culture", Fmt.volume(s.amplificationVolume)])
            }
            for a in i.amplificationTrain(for: s.virus) {
                prod.add([
                    "  \(a.passage.name): \(Fmt.number(a.virusIn.canonical)) pfu into \(Fmt.number(a.cells.canonical)) cells, \(Fmt.number(a.passage.duration.value(in: "d"))) d",
                    "\(Fmt.volume(a.volume)) → \(Fmt.number(a.virusOut.canonical)) pfu",
                ])
            }
            if !i.amplificationPassages.isEmpty {
                prod.add(["Virus from the bank (first passage's inoculum)", "\(Fmt.number(s.virusFromBank.canonical)) pfu"])
                prod.add(["Amplification train", "\(Fmt.volume(s.amplificationVolume)), \(Fmt.number(s.amplificationTime.value(in: "d"))) d"])
                if s.virusWait.canonical > 0 {
                    prod.add(["Lot starts before the thaw, waiting for the virus", "\(Fmt.number(s.virusWait.value(in: "d"))) d"])
                }
            }
        case .stableProducer(let sp):
            prod.add(["Stable producer line, induced with \(sp.inducer)", sp.concentration == nil ? "no plasmid, no virus" : Fmt.mass(s.reagent)])
        }
        prod.add(["Medium (seed train + production)", Fmt.volume(s.seedMedium + s.productionMedium)])
        out += prod.render() + "\n"

        out += "Downstream\n"
        var ds = TextTable(
            [
                "step", "kind", "volume in", "volume out", "vector out", "concentration", "step yield", "cumulative",
                "time", "equipment",
            ], rightAligned: [2, 3, 4, 5, 6, 7, 8])
        for o in r.steps {
            let step = p.downstream[o.index]
            ds.add([
                step.name, step.operation.keyword, Fmt.volume(o.volumeIn), Fmt.volume(o.volumeOut),
                Fmt.vector(o.vectorOut, vc), Fmt.concentration(o.vectorOut / o.volumeOut, vc), Fmt.percent(o.stepYield),
                Fmt.percent(o.vectorOut / s.vectorHarvested), Fmt.hours(o.duration), equipment(step.operation, o),
            ])
        }
        out += ds.render() + "\n"
        if let balance = ParticleBalance.of(r) { out += particleText(balance, vc) + "\n" }

        out += "Timeline (days from thaw)\n"
        var tl = TextTable(["stage", "phase", "start", "end", "duration"], rightAligned: [2, 3, 4])
        for e in r.timeline {
            tl.add([
                e.name, e.phase.rawValue, Fmt.number(e.start.value(in: "d")), Fmt.number(e.end.value(in: "d")),
                Fmt.hours(e.duration),
            ])
        }
        out += tl.render()
        out += ProcessDefinition.warningsText(Plausibility.warnings(r))
        return out
    }

    /// The capsid (AAV) or particle (LV) balance, stage by stage, with the dose's particles and
    /// the predicted % full against the release specification.
    public static func particleText(_ b: ParticleBalance, _ vc: VectorCounting) -> String {
        let points = [b.harvest] + b.steps
        var out: String
        var t: TextTable
        switch b.kind {
        case .capsids:
            out = "Capsids (every capsid binds a resin; full capsids carry the vector genome)\n"
            t = TextTable(["stage", "capsids", "full", "partial", "empty"], rightAligned: [1, 2, 3, 4])
            for pt in points {
                t.add([
                    pt.name, "\(Fmt.number(pt.particles)) cp", Fmt.percent(pt.vectorShare), Fmt.percent(pt.partialShare),
                    Fmt.percent(pt.emptyShare),
                ])
            }
        case .lentiviral:
            out = "Particles (physical LV particles against transducing units)\n"
            t = TextTable(["stage", "particles", "TU", "particles per TU"], rightAligned: [1, 2, 3])
            for pt in points {
                t.add([
                    pt.name, "\(Fmt.number(pt.particles)) VP", "\(Fmt.number(pt.vector)) TU",
                    Fmt.number(pt.particles / pt.vector),
                ])
            }
        }
        out += t.render()
        out += "\(b.kind == .capsids ? "Capsids" : "Particles") per dose: \(Fmt.number(b.particlesPerDose)) \(b.symbol)"
        out += " for \(Fmt.number(b.bulk.vector / max(b.bulk.particles, .leastNonzeroMagnitude) * b.particlesPerDose)) \(vc.symbol)\n"
        if let ratio = b.genomesPerInfectiousUnit, let iu = b.infectiousUnitsPerDose {
            out += "Infectious units per dose: \(Fmt.number(iu)) IU (\(Fmt.number(ratio)) vg per IU)\n"
        }
        if b.kind == .capsids {
            out += "Predicted full capsids in the bulk: \(Fmt.percent(b.bulk.vectorShare))\n"
            for c in b.releaseChecks {
                out += "  \(c.test): specification \(c.specification) — \(c.meets ? "met" : "NOT MET") by the prediction\n"
            }
        }
        return out
    }

    static func doseText(_ dose: DoseModel, _ vc: VectorCounting) -> String {
        let perDose = Fmt.vector(dose.vectorPerDose, vc)
        switch dose {
        case .perBodyWeight(let d, let w):
            return
                "\(Fmt.number(d.value(in: "vg/kg"))) \(vc.symbol)/kg × \(Fmt.number(w.value(in: "kg"))) kg = \(perDose) per dose"
        case .perEye(_, let eyes):
            return "\(perDose) per eye, \(eyes) eye(s) per patient"
        case .exVivo(let cells, let moi, let w):
            return "\(Fmt.number(cells.value(in: "cells/kg"))) cells/kg × \(Fmt.number(w.value(in: "kg"))) kg "
                + "× MOI \(Fmt.number(moi.canonical)) \(vc.symbol)/cell = \(perDose) per patient"
        case .exVivoPerPatient(let cells, let moi):
            return "\(Fmt.number(cells.canonical)) cells a patient × MOI \(Fmt.number(moi.canonical)) \(vc.symbol)/cell = \(perDose) per patient"
        }
    }

    /// A short description of what a step needs: filter or membrane area, column and cycles.
    public static func equipment(_ op: UnitOperation, _ o: StepOutcome) -> String {
        // With a catalogue, the size bought and the exact need beside it.
        func bought(_ total: Quantity<Area>) -> String {
            guard o.equipmentCount > 0 else { return Fmt.area(total) }
            let each = Quantity<Area>(canonical: total.canonical / Double(o.equipmentCount))
            return "\(o.equipmentCount > 1 ? "\(o.equipmentCount) × " : "")\(Fmt.area(each)) (need \(Fmt.area(Quantity(canonical: o.equipmentNeed))))"
        }
        switch op {
        case .clarification, .sterileFiltration: return "filter \(bought(o.filterArea))"
        case .tangentialFlow: return "membrane \(bought(o.membraneArea)), permeate \(Fmt.volume(o.permeateVolume))"
        case .chromatography(let c):
            if c.mode == .flowThrough { return "column \(Fmt.volume(o.columnVolume)) flow-through" }
            let need = o.equipmentCount > 0 ? " (need \(Fmt.volume(Quantity(canonical: o.equipmentNeed))))" : ""
            return "column \(Fmt.volume(o.columnVolume))\(need) × \(o.cycles) cycle\(o.cycles == 1 ? "" : "s")"
        case .harvest, .hold: return o.bufferVolume > .zero ? "buffer \(Fmt.volume(o.bufferVolume))" : ""
        }
    }
}
