import Bioprocess
import Foundation

/// Why a GMP operation was refused: what is wrong, in words, and how to classify it.
public struct GMPError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Malformed or out-of-range input.
        case invalid
        /// Not signed in, or a wrong password.
        case unauthenticated
        /// The role may not do this.
        case forbidden
        case notFound = "not-found"
        /// The records' state does not allow it (a phase out of order, a lot in quarantine).
        case conflict
    }

    public var kind: Kind
    public var message: String
    /// For refusals with several reasons (a release): each one.
    public var details: [String]

    public init(_ kind: Kind, _ message: String, details: [String] = []) {
        self.kind = kind
        self.message = message
        self.details = details
    }

    public var description: String { details.isEmpty ? message : message + ": " + details.joined(separator: "; ") }
}

public struct User: Codable, Sendable, Hashable {
    public var id: String
    public var username: String
    public var fullName: String
    public var role: Role
    public var active: Bool

    public init(id: String, username: String, fullName: String, role: Role, active: Bool) {
        self.id = id
        self.username = username
        self.fullName = fullName
        self.role = role
        self.active = active
    }
}

public enum RecipeStatus: String, Codable, Sendable, Hashable, CaseIterable { case draft, approved, obsolete }

public struct RecipeRecord: Codable, Sendable, Hashable {
    public var id: String
    public var version: Int
    public var status: RecipeStatus
    public var recipe: MasterRecipe

    public init(id: String, version: Int, status: RecipeStatus, recipe: MasterRecipe) {
        self.id = id
        self.version = version
        self.status = status
        self.recipe = recipe
    }
}

public struct MaterialItem: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var unit: String

    public init(code: String, name: String, unit: String) {
        self.code = code
        self.name = name
        self.unit = unit
    }
}

public enum MaterialStatus: String, Codable, Sendable, Hashable, CaseIterable {
    case quarantine, sampled, released, rejected
}

public struct MaterialLot: Codable, Sendable, Hashable {
    public var id: String
    public var item: String
    public var supplier: String
    public var supplierLot: String
    public var quantity: Double
    public var remaining: Double
    /// `YYYY-MM-DD`.
    public var expiry: String
    /// The date by which the lot must be tested again before use (`YYYY-MM-DD`), if it has one.
    public var retest: String?
    public var status: MaterialStatus

    public init(
        id: String, item: String, supplier: String, supplierLot: String, quantity: Double, remaining: Double, expiry: String,
        retest: String? = nil, status: MaterialStatus
    ) {
        self.id = id
        self.item = item
        self.supplier = supplier
        self.supplierLot = supplierLot
        self.quantity = quantity
        self.remaining = remaining
        self.expiry = expiry
        self.retest = retest
        self.status = status
    }
}

public enum BatchStatus: String, Codable, Sendable, Hashable, CaseIterable {
    case inProgress = "in-progress", complete, released, rejected
    /// Released, then a result, a deviation or a recalled material reopened it: QA must release
    /// it again (the release check lists what stands in the way).
    case onHold = "on-hold"
}

public struct Batch: Codable, Sendable, Hashable {
    public var id: String
    public var recipeID: String
    public var product: String
    public var status: BatchStatus

    public init(id: String, recipeID: String, product: String, status: BatchStatus) {
        self.id = id
        self.recipeID = recipeID
        self.product = product
        self.status = status
    }
}

/// What an entry in a batch record says.
public enum EntryKind: String, Codable, Sendable, Hashable, CaseIterable {
    /// A recorded parameter value.
    case value
    /// A material lot consumed.
    case material
    /// A piece of equipment used.
    case equipment
    /// The phase done (signed "performed").
    case completion
    /// A supervisor's check of the phase (signed "verified").
    case verification
}

/// One entry of a batch record. Entries are never changed: a correction is a new entry that
/// names the one it corrects and why.
public struct BatchEntry: Codable, Sendable, Hashable {
    public var id: String
    public var batchID: String
    public var phaseID: String
    public var kind: EntryKind
    public var parameter: String?
    public var value: Double?
    public var inRange: Bool?
    public var materialLot: String?
    public var quantity: Double?
    public var equipment: String?
    public var corrects: String?
    public var reason: String?
    public var userID: String
    public var at: String

    public init(
        id: String, batchID: String, phaseID: String, kind: EntryKind, parameter: String? = nil, value: Double? = nil,
        inRange: Bool? = nil, materialLot: String? = nil, quantity: Double? = nil, equipment: String? = nil,
        corrects: String? = nil, reason: String? = nil, userID: String, at: String
    ) {
        self.id = id
        self.batchID = batchID
        self.phaseID = phaseID
        self.kind = kind
        self.parameter = parameter
        self.value = value
        self.inRange = inRange
        self.materialLot = materialLot
        self.quantity = quantity
        self.equipment = equipment
        self.corrects = corrects
        self.reason = reason
        self.userID = userID
        self.at = at
    }
}

/// Where a sample stands: waiting for its result, or judged by its latest one.
public enum SampleStatus: String, Codable, Sendable, Hashable, CaseIterable {
    case pending, passed, failed
}

public struct QCSample: Codable, Sendable, Hashable {
    public var id: String
    public var batchID: String?
    public var materialLot: String?
    public var test: String
    /// The release panel the sample is for; nil for in-process and material samples.
    public var panel: ReleasePanel?
    /// What its result must be; nil for a pass/fail test with no stated criterion.
    public var specification: QCSpecification?
    public var status: SampleStatus

    public init(
        id: String, batchID: String?, materialLot: String?, test: String, panel: ReleasePanel? = nil,
        specification: QCSpecification?, status: SampleStatus
    ) {
        self.id = id
        self.batchID = batchID
        self.materialLot = materialLot
        self.test = test
        self.panel = panel
        self.specification = specification
        self.status = status
    }

    /// The specification in words.
    public var specificationText: String { specification?.text ?? "pass: conforms" }
}

public struct QCResult: Codable, Sendable, Hashable {
    public var id: String
    public var sampleID: String
    public var value: Double?
    public var pass: Bool
    public var analystID: String
    public var at: String
    /// Why a repeat was tested (nil for a first result).
    public var reason: String?

    public init(id: String, sampleID: String, value: Double?, pass: Bool, analystID: String, at: String, reason: String? = nil) {
        self.id = id
        self.sampleID = sampleID
        self.value = value
        self.pass = pass
        self.analystID = analystID
        self.at = at
        self.reason = reason
    }
}

public enum DeviationStatus: String, Codable, Sendable, Hashable, CaseIterable {
    case open, investigation, capa, closed

    /// The lifecycle: open → investigation → corrective and preventive action → closed.
    public var next: DeviationStatus? {
        switch self {
        case .open: .investigation
        case .investigation: .capa
        case .capa: .closed
        case .closed: nil
        }
    }
}

public struct Deviation: Codable, Sendable, Hashable {
    public var id: String
    public var batchID: String?
    public var sampleID: String?
    public var kind: DeviationKind
    public var description: String
    public var status: DeviationStatus
    /// Minor, major or critical: set during the investigation, needed before CAPA.
    public var classification: DeviationClass?
    /// What the investigation found; needed before CAPA.
    public var rootCause: String?
    public var openedBy: String?
    public var openedAt: String?
    /// The alarm an excursion deviation is about.
    public var alarmID: String?

    public init(
        id: String, batchID: String?, sampleID: String?, kind: DeviationKind, description: String, status: DeviationStatus,
        classification: DeviationClass? = nil, rootCause: String? = nil, openedBy: String? = nil, openedAt: String? = nil,
        alarmID: String? = nil
    ) {
        self.alarmID = alarmID
        self.id = id
        self.batchID = batchID
        self.sampleID = sampleID
        self.kind = kind
        self.description = description
        self.status = status
        self.classification = classification
        self.rootCause = rootCause
        self.openedBy = openedBy
        self.openedAt = openedAt
    }
}

/// How much a deviation matters to the product (EU GMP chapter 1.4 (xiv), ICH Q9).
public enum DeviationClass: String, Codable, Sendable, Hashable, CaseIterable {
    case minor, major, critical
}

public enum CAPAStatus: String, Codable, Sendable, Hashable, CaseIterable { case open, done }

/// A corrective or preventive action of a deviation: what, who owns it, by when, and how it was done.
public struct CAPAAction: Codable, Sendable, Hashable {
    public var id: String
    public var deviationID: String
    public var action: String
    public var ownerID: String
    /// `YYYY-MM-DD`.
    public var due: String
    public var status: CAPAStatus
    public var doneNote: String?
    public var doneAt: String?

    public init(
        id: String, deviationID: String, action: String, ownerID: String, due: String, status: CAPAStatus, doneNote: String? = nil,
        doneAt: String? = nil
    ) {
        self.id = id
        self.deviationID = deviationID
        self.action = action
        self.ownerID = ownerID
        self.due = due
        self.status = status
        self.doneNote = doneNote
        self.doneAt = doneAt
    }

    /// Open past its due date.
    public func overdue(today: String) -> Bool { status == .open && due < today }
}

public struct Signature: Codable, Sendable, Hashable {
    public var id: String
    public var userID: String
    public var fullName: String
    public var meaning: SignatureMeaning
    public var entity: String
    public var entityID: String
    public var at: String

    public init(id: String, userID: String, fullName: String, meaning: SignatureMeaning, entity: String, entityID: String, at: String) {
        self.id = id
        self.userID = userID
        self.fullName = fullName
        self.meaning = meaning
        self.entity = entity
        self.entityID = entityID
        self.at = at
    }
}

/// What an audit entry records.
public enum AuditAction: String, Codable, Sendable, Hashable, CaseIterable {
    case create, update, receive, consume, record, correct, complete, open, release, hold, resume, sign, login
    case loginFailed = "login-failed"
    case result
    case repeatResult = "repeat-result"
    /// The hash of a GMP row as written (see the store's seals).
    case seal
}

/// One link of the audit trail: who changed what, when, from what to what, and why, chained
/// to the previous link by its hash.
public struct AuditEntry: Codable, Sendable, Hashable {
    public var sequence: Int
    public var at: String
    public var userID: String
    public var action: AuditAction
    public var entity: String
    public var entityID: String
    public var field: String?
    public var oldValue: String?
    public var newValue: String?
    public var reason: String?
    public var previousHash: String
    public var hash: String

    public init(sequence: Int, at: String, userID: String, action: AuditAction, entity: String, entityID: String, field: String?, oldValue: String?, newValue: String?, reason: String?, previousHash: String, hash: String) {
        self.sequence = sequence
        self.at = at
        self.userID = userID
        self.action = action
        self.entity = entity
        self.entityID = entityID
        self.field = field
        self.oldValue = oldValue
        self.newValue = newValue
        self.reason = reason
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The exact text the hash covers: every field and the previous hash, unambiguously joined.
    public var canonical: String {
        [
            String(sequence), at, userID, action.rawValue, entity, entityID, field ?? "∅", oldValue ?? "∅", newValue ?? "∅",
            reason ?? "∅", previousHash,
        ].map { "\($0.utf8.count):\($0)" }.joined(separator: "|")
    }
}

/// Calendar days written `YYYY-MM-DD`.
public enum Day {
    /// Whether `s` is a real day written `YYYY-MM-DD` (leap years counted).
    public static func isValid(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard s.utf8.count == 10, parts.count == 3, parts.allSatisfy({ $0.allSatisfy(\.isASCII) }), let y = Int(parts[0]), let m = Int(parts[1]),
            let d = Int(parts[2]), (1...9999).contains(y), (1...12).contains(m)
        else { return false }
        let days = [31, y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...days[m - 1]).contains(d)
    }
}

/// Why QA cannot release a batch yet: every missing item, in words.
public enum ReleaseCheck {
    public static func missing(
        batch: Batch, recipe: MasterRecipe, entries: [BatchEntry], samples: [QCSample], results: [QCResult],
        deviations: [Deviation]
    ) -> [String] {
        var missing: [String] = []
        if batch.status == .released { missing.append("the batch is already released") }
        let completed = Set(entries.filter { $0.kind == .completion }.map(\.phaseID))
        let verified = Set(entries.filter { $0.kind == .verification }.map(\.phaseID))
        for phase in recipe.phases {
            if !completed.contains(phase.id) {
                missing.append("phase \(phase.id) '\(phase.name)' is not complete")
            } else if !verified.contains(phase.id) {
                missing.append("phase \(phase.id) '\(phase.name)' is not verified")
            }
        }
        for test in recipe.releaseTests {
            let mine = samples.filter { $0.test == test.test && $0.panel == test.panel && $0.batchID == batch.id }
            let latest = mine.compactMap { s in results.filter { $0.sampleID == s.id }.max { $0.at < $1.at } }
            let name = "\(test.panel.title) release test '\(test.test)' (\(test.specification.text))"
            if mine.isEmpty {
                missing.append("\(name) has no sample")
            } else if latest.isEmpty {
                missing.append("\(name) has no result")
            } else if !latest.contains(where: \.pass) {
                missing.append("\(name) has not passed")
            }
        }
        for d in deviations where d.status != .closed {
            let what = d.description.count > 100 ? d.description.prefix(99) + "…" : Substring(d.description)
            missing.append("deviation \(d.id) is \(d.status.words), not closed (\(d.kind.rawValue): \(what))")
        }
        return missing
    }
}
