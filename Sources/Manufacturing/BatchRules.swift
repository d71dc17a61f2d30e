import Bioprocess
import Foundation

/// A batch as the execution rules see it: the record, its master recipe and its entries (all
/// of them, or at least every completion and verification and the entries of the phase at hand).
public struct BatchState: Sendable, Hashable {
    public var batch: Batch
    public var recipe: MasterRecipe
    public var entries: [BatchEntry]

    public init(batch: Batch, recipe: MasterRecipe, entries: [BatchEntry]) {
        self.batch = batch
        self.recipe = recipe
        self.entries = entries
    }

    var completed: Set<String> { Set(entries.filter { $0.kind == .completion }.map(\.phaseID)) }
}

/// Who does something, and when: the stamp every new record carries.
public struct Stamp: Sendable, Hashable {
    public var user: User
    /// ISO 8601 time.
    public var at: String

    public init(user: User, at: String) {
        self.user = user
        self.at = at
    }

    /// `YYYY-MM-DD`.
    public var day: String { String(at.prefix(10)) }
}

/// A deviation a rule opens, to be stored with the records it comes with.
public struct DeviationToOpen: Sendable, Hashable {
    public var kind: DeviationKind
    public var batchID: String?
    public var sampleID: String?
    public var description: String
    /// The alarm the deviation is about (an excursion).
    public var alarmID: String?

    public init(kind: DeviationKind, batchID: String?, sampleID: String? = nil, description: String, alarmID: String? = nil) {
        self.kind = kind
        self.batchID = batchID
        self.sampleID = sampleID
        self.description = description
        self.alarmID = alarmID
    }
}

/// What a batch command produces: the entry to append, the batch's new status if it changes,
/// and the deviation to open if one must be.
public struct BatchChange: Sendable, Hashable {
    public var entry: BatchEntry
    public var status: BatchStatus?
    public var deviation: DeviationToOpen?
}

/// The execution rules of an electronic batch record (ISA-88 phases, EU GMP chapter 4 and
/// Annex 11, 21 CFR 211.188), as pure functions: phases in recipe order with none skipped, each
/// parameter recorded once and corrected only by a new entry with a reason, materials only
/// from released, unexpired lots within their retest date, a phase completed only with every
/// value and material, and verified by someone else. Each function returns the records to
/// append or a refusal listing every reason.
public enum BatchRules {
    /// The phase entries may be recorded in: the first not yet complete, in recipe order.
    public static func openPhase(_ s: BatchState, _ phaseID: String) -> Result<Phase, GMPError> {
        guard s.batch.status == .inProgress else {
            return .failure(GMPError(.conflict, "batch \(s.batch.id) is \(s.batch.status.words): no entry can be recorded"))
        }
        guard let phase = s.recipe.phase(phaseID) else {
            return .failure(
                GMPError(
                    .notFound, "the recipe has no phase \(phaseID)",
                    details: ["its phases are " + s.recipe.phases.map(\.id).joined(separator: ", ")]))
        }
        let completed = s.completed
        if completed.contains(phaseID) { return .failure(GMPError(.conflict, "phase \(phaseID) is complete")) }
        if let first = s.recipe.phases.first(where: { !completed.contains($0.id) }), first.id != phaseID {
            return .failure(
                GMPError(
                    .conflict,
                    "phase \(phaseID) cannot start before phase \(first.id) '\(first.name)' is complete: no step may be skipped"))
        }
        return .success(phase)
    }

    static func refuse(_ kind: GMPError.Kind, _ reasons: [String]) -> GMPError {
        GMPError(kind, reasons.joined(separator: "; "), details: reasons.count > 1 ? reasons : [])
    }

    /// A parameter's value; one out of its range opens a process deviation at once.
    public static func recordValue(
        _ s: BatchState, phase phaseID: String, parameter: String, value: Double, id: String, by stamp: Stamp
    ) -> Result<BatchChange, GMPError> {
        let phase: Phase
        do { phase = try openPhase(s, phaseID).get() } catch { return .failure(error) }
        var reasons: [String] = []
        if !value.isFinite { reasons.append("the value must be a finite number") }
        let spec = phase.parameters.first { $0.name == parameter }
        if spec == nil {
            return .failure(
                GMPError(
                    .invalid, "phase \(phaseID) has no parameter '\(parameter)'",
                    details: ["expected one of: " + phase.parameters.map(\.name).joined(separator: ", ")]))
        }
        if s.entries.contains(where: { $0.phaseID == phaseID && $0.kind == .value && $0.parameter == parameter }) {
            reasons.append("'\(parameter)' is already recorded in phase \(phaseID): correct it with a reason instead")
        }
        guard reasons.isEmpty, let spec else {
            return .failure(refuse(value.isFinite ? .conflict : .invalid, reasons))
        }
        return .success(valueChange(s, phase: phaseID, spec, value, corrects: nil, reason: nil, id: id, by: stamp))
    }

    /// A value entry, and the process deviation it opens when it is out of its range.
    static func valueChange(
        _ s: BatchState, phase phaseID: String, _ spec: ParameterSpec, _ value: Double, corrects: String?, reason: String?,
        id: String, by stamp: Stamp
    ) -> BatchChange {
        let entry = BatchEntry(
            id: id, batchID: s.batch.id, phaseID: phaseID, kind: .value, parameter: spec.name, value: value,
            inRange: spec.accepts(value), corrects: corrects, reason: reason, userID: stamp.user.id, at: stamp.at)
        let what = corrects == nil ? "\(spec.name) =" : "\(spec.name) corrected to"
        let deviation = spec.accepts(value)
            ? nil
            : DeviationToOpen(
                kind: .process, batchID: s.batch.id,
                description: "\(what) \(Figure.text(value)) \(spec.unit) in phase \(phaseID), outside \(spec.rangeText)")
        return BatchChange(entry: entry, status: nil, deviation: deviation)
    }

    /// A correction: a new entry naming the one it corrects, with the reason; the first value
    /// stays in the record. Only the latest value of a parameter is corrected, and only while
    /// its phase is open.
    public static func correct(
        _ s: BatchState, entry old: BatchEntry, value: Double, reason: String, id: String, by stamp: Stamp
    ) -> Result<BatchChange, GMPError> {
        var reasons: [String] = []
        if !value.isFinite { reasons.append("the value must be a finite number") }
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { reasons.append("a correction needs its reason") }
        guard old.kind == .value, let parameter = old.parameter else {
            return .failure(GMPError(.conflict, "only recorded values can be corrected"))
        }
        if s.batch.status != .inProgress { reasons.append("batch \(s.batch.id) is \(s.batch.status.words)") }
        if s.completed.contains(old.phaseID) { reasons.append("phase \(old.phaseID) is complete: open a deviation instead") }
        if s.entries.contains(where: { $0.corrects == old.id }) {
            reasons.append("entry \(old.id) is already corrected: correct the latest correction")
        }
        guard let spec = s.recipe.phase(old.phaseID)?.parameters.first(where: { $0.name == parameter }) else {
            return .failure(GMPError(.conflict, "the recipe no longer has '\(parameter)' in phase \(old.phaseID)"))
        }
        guard reasons.isEmpty else { return .failure(refuse(value.isFinite ? .conflict : .invalid, reasons)) }
        return .success(valueChange(s, phase: old.phaseID, spec, value, corrects: old.id, reason: reason, id: id, by: stamp))
    }

    /// A quantity of a material lot consumed: the phase calls for its item, QA released it, it
    /// has not expired nor passed its retest date, and enough is left.
    public static func consume(
        _ s: BatchState, phase phaseID: String, lot: MaterialLot, quantity: Double, id: String, by stamp: Stamp
    ) -> Result<BatchChange, GMPError> {
        let phase: Phase
        do { phase = try openPhase(s, phaseID).get() } catch { return .failure(error) }
        var reasons: [String] = []
        var details: [String] = []
        if !(quantity.isFinite && quantity > 0) { reasons.append("the quantity consumed must be a finite number above 0") }
        if !phase.materials.contains(where: { $0.item == lot.item }) {
            reasons.append("phase \(phaseID) does not call for \(lot.item)")
            details.append("it calls for: " + phase.materials.map(\.item).joined(separator: ", "))
        }
        reasons += MaterialRules.usable(lot, today: stamp.day)
        if quantity.isFinite, lot.remaining + 1e-9 < quantity {
            reasons.append("lot \(lot.id) has \(Figure.text(lot.remaining)) left, less than \(Figure.text(quantity))")
        }
        guard reasons.isEmpty else {
            let e = refuse(quantity.isFinite && quantity > 0 ? .conflict : .invalid, reasons)
            return .failure(GMPError(e.kind, e.message, details: e.details + details))
        }
        let entry = BatchEntry(
            id: id, batchID: s.batch.id, phaseID: phaseID, kind: .material, parameter: lot.item, materialLot: lot.id,
            quantity: quantity, userID: stamp.user.id, at: stamp.at)
        return .success(BatchChange(entry: entry, status: nil, deviation: nil))
    }

    /// A piece of equipment used in the open phase.
    public static func useEquipment(
        _ s: BatchState, phase phaseID: String, equipment: String, id: String, by stamp: Stamp
    ) -> Result<BatchChange, GMPError> {
        if case .failure(let e) = openPhase(s, phaseID) { return .failure(e) }
        let trimmed = equipment.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, equipment.count <= 100 else {
            return .failure(GMPError(.invalid, "the equipment's identifier must be given (at most 100 characters)"))
        }
        let entry = BatchEntry(
            id: id, batchID: s.batch.id, phaseID: phaseID, kind: .equipment, equipment: equipment, userID: stamp.user.id,
            at: stamp.at)
        return .success(BatchChange(entry: entry, status: nil, deviation: nil))
    }

    /// The open phase done (signed "performed"): every parameter recorded and every material
    /// consumed; the last phase completes the batch.
    public static func complete(_ s: BatchState, phase phaseID: String, id: String, by stamp: Stamp) -> Result<
        BatchChange, GMPError
    > {
        let phase: Phase
        do { phase = try openPhase(s, phaseID).get() } catch { return .failure(error) }
        let mine = s.entries.filter { $0.phaseID == phaseID }
        var missing: [String] = []
        for p in phase.parameters where !mine.contains(where: { $0.kind == .value && $0.parameter == p.name }) {
            missing.append("'\(p.name)' is not recorded")
        }
        for m in phase.materials where m.quantity > 0 && !mine.contains(where: { $0.kind == .material && $0.parameter == m.item }) {
            missing.append("no lot of \(m.item) is consumed")
        }
        guard missing.isEmpty else { return .failure(GMPError(.conflict, "phase \(phaseID) cannot be completed", details: missing)) }
        let entry = BatchEntry(id: id, batchID: s.batch.id, phaseID: phaseID, kind: .completion, userID: stamp.user.id, at: stamp.at)
        let completed = s.completed.union([phaseID])
        let done = s.recipe.phases.allSatisfy { completed.contains($0.id) }
        return .success(BatchChange(entry: entry, status: done ? .complete : nil, deviation: nil))
    }

    /// A completed phase verified (signed "verified") by someone other than its performer, once.
    public static func verify(_ s: BatchState, phase phaseID: String, id: String, by stamp: Stamp) -> Result<
        BatchChange, GMPError
    > {
        guard let done = s.entries.first(where: { $0.kind == .completion && $0.phaseID == phaseID }) else {
            return .failure(GMPError(.conflict, "phase \(phaseID) is not complete"))
        }
        var reasons: [String] = []
        if done.userID == stamp.user.id { reasons.append("the person who performed a phase cannot verify it") }
        if s.entries.contains(where: { $0.kind == .verification && $0.phaseID == phaseID }) {
            reasons.append("phase \(phaseID) is already verified")
        }
        if s.batch.status == .rejected { reasons.append("batch \(s.batch.id) is rejected") }
        guard reasons.isEmpty else { return .failure(refuse(.conflict, reasons)) }
        let entry = BatchEntry(id: id, batchID: s.batch.id, phaseID: phaseID, kind: .verification, userID: stamp.user.id, at: stamp.at)
        return .success(BatchChange(entry: entry, status: nil, deviation: nil))
    }

    /// QA's release: nothing stands in the way (``ReleaseCheck``), else every blocker.
    public static func release(
        _ s: BatchState, samples: [QCSample], results: [QCResult], deviations: [Deviation]
    ) -> Result<BatchStatus, GMPError> {
        let missing = ReleaseCheck.missing(
            batch: s.batch, recipe: s.recipe, entries: s.entries, samples: samples, results: results, deviations: deviations)
        guard missing.isEmpty else { return .failure(GMPError(.conflict, "batch \(s.batch.id) cannot be released", details: missing)) }
        return .success(.released)
    }

    /// The status a batch takes when something about it changes after QA's decision or while
    /// a material it used is recalled: on hold, unless it is already (or was rejected).
    public static func hold(_ status: BatchStatus) -> BatchStatus? {
        switch status {
        case .released, .inProgress, .complete: .onHold
        case .onHold, .rejected: nil
        }
    }

    /// QA lifts a hold: the batch goes back to execution if a phase is left, else to
    /// complete (to be released again through the release check). Needs a reason.
    public static func resume(_ s: BatchState, reason: String) -> Result<BatchStatus, GMPError> {
        var reasons: [String] = []
        if s.batch.status != .onHold { reasons.append("batch \(s.batch.id) is \(s.batch.status.words), not on hold") }
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { reasons.append("lifting a hold needs its reason") }
        guard reasons.isEmpty else { return .failure(refuse(.conflict, reasons)) }
        let completed = s.completed
        return .success(s.recipe.phases.allSatisfy { completed.contains($0.id) } ? .complete : .inProgress)
    }
}

extension ParameterSpec {
    /// `36.5–37.5 °C`, with the significant digits of the process file.
    public var rangeText: String { "\(Figure.text(low))–\(Figure.text(high)) \(unit)" }
}

/// What a deviation is about.
public enum DeviationKind: String, Codable, Sendable, Hashable, CaseIterable {
    /// Opened by hand, or by a value outside its range.
    case process
    /// A QC result out of specification.
    case oos
    /// A material lot the batch used was recalled.
    case recall
    /// A monitored room or piece of equipment left its limits while one of the batch's phases
    /// ran there.
    case excursion
}

extension BatchStatus {
    /// The status in words: "in progress", "on hold".
    public var words: String { rawValue.replacingOccurrences(of: "-", with: " ") }
}

extension DeviationStatus {
    /// The status in words: "open", "under investigation", "at CAPA", "closed".
    public var words: String {
        switch self {
        case .open: "open"
        case .investigation: "under investigation"
        case .capa: "at corrective and preventive action (CAPA)"
        case .closed: "closed"
        }
    }
}
