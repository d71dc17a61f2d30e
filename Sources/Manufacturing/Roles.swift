/// The roles people hold in a GMP facility.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    case `operator`
    case supervisor
    case qcAnalyst = "qc-analyst"
    case qa
    case administrator
    /// A process engineer: writes and changes the process files the recipes come from, takes
    /// no GMP decision.
    case engineer

    /// The role in words, with its article: "an operator", "a QC analyst".
    public var withArticle: String {
        switch self {
        case .operator: "an operator"
        case .supervisor: "a supervisor"
        case .qcAnalyst: "a QC analyst"
        case .qa: "QA"
        case .administrator: "an administrator"
        case .engineer: "a process engineer"
        }
    }
}

/// Everything a person can do through VectorFab, for the role × action permission matrix.
public enum Action: String, Sendable, Hashable, CaseIterable, Codable {
    case manageUsers = "manage-users"
    case createRecipe = "create-recipe"
    case approveRecipe = "approve-recipe"
    case defineMaterial = "define-material"
    case receiveMaterial = "receive-material"
    case sampleMaterial = "sample-material"
    case decideMaterial = "decide-material"
    case createBatch = "create-batch"
    case executePhase = "execute-phase"
    case verifyPhase = "verify-phase"
    case correctEntry = "correct-entry"
    case createSample = "create-sample"
    case recordResult = "record-result"
    case openDeviation = "open-deviation"
    case investigateDeviation = "investigate-deviation"
    case closeDeviation = "close-deviation"
    case releaseBatch = "release-batch"
    case readRecords = "read-records"
    case verifyAudit = "verify-audit"
    case editProcess = "edit-process"
    case ingestPoints = "ingest-points"
    case defineLimits = "define-limits"
    case approveLimits = "approve-limits"
    case acknowledgeAlarm = "acknowledge-alarm"
}

/// Who may do what. QA approves, releases and closes; QC analysts test; operators execute;
/// supervisors verify and create batches; administrators manage accounts but take no GMP
/// decision (segregation of duties); process engineers and supervisors write process files.
public enum Permissions {
    public static func allows(_ role: Role, _ action: Action) -> Bool {
        switch action {
        case .manageUsers: role == .administrator
        case .createRecipe: role == .supervisor || role == .qa
        case .approveRecipe: role == .qa
        case .defineMaterial: role == .supervisor || role == .qa
        case .receiveMaterial: role == .operator || role == .supervisor
        case .sampleMaterial: role == .qcAnalyst
        case .decideMaterial: role == .qa
        case .createBatch: role == .supervisor
        case .executePhase: role == .operator || role == .supervisor
        case .verifyPhase: role == .supervisor
        case .correctEntry: role == .operator || role == .supervisor
        case .createSample: role == .operator || role == .supervisor || role == .qcAnalyst
        case .recordResult: role == .qcAnalyst
        case .openDeviation: role != .administrator && role != .engineer
        case .investigateDeviation: role == .supervisor || role == .qa || role == .qcAnalyst
        case .closeDeviation: role == .qa
        case .releaseBatch: role == .qa
        case .readRecords: true
        case .verifyAudit: role == .qa || role == .administrator
        case .editProcess: role == .engineer || role == .supervisor
        // Instruments post through an account of one of these roles; nobody approves a point.
        case .ingestPoints: role == .operator || role == .supervisor || role == .engineer
        // Monitoring limits are proposed by the people who own the process or the rooms and
        // approved by QA, like a recipe.
        case .defineLimits: role == .supervisor || role == .engineer || role == .qa
        case .approveLimits: role == .qa
        // An alarm is answered by the people on the floor who can act on it, or by QA.
        case .acknowledgeAlarm: role == .operator || role == .supervisor || role == .qa
        }
    }
}

/// What a person means by an electronic signature (21 CFR 11.50).
public enum SignatureMeaning: String, Sendable, Hashable, CaseIterable, Codable {
    case performed, verified, reviewed, approved, released
    /// An alarm seen and answered (an excursion acknowledged with a comment).
    case acknowledged
}
