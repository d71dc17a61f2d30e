import Capacity

/// Whether a room is measured at rest (no operation, personnel absent) or in operation.
public enum Occupancy: String, Sendable, Hashable, CaseIterable, Codable {
    case atRest = "at-rest"
    case inOperation = "in-operation"
}

/// EU GMP Annex 1 (2022) limits for cleanroom grades A–D.
///
/// - Table 1: maximum total particles per m³ for classification, ≥ 0.5 µm and ≥ 5 µm, at rest
///   and in operation ("not specified" and "not predetermined" are nil).
/// - Table 6: maximum limits for viable contamination — air sample CFU/m³, settle plates
///   (90 mm) CFU/4 hours, contact plates (55 mm) CFU/plate. Grade A: no growth (0).
///
/// The site's own alert and action limits, set from its risk assessment and history, are
/// tighter; these are the ceiling a limit set may not exceed.
public enum Annex1 {
    public static let source = "EU GMP Annex 1 (2022), Tables 1 and 6"

    /// The classification limit of total particles per m³, or nil where the Annex sets none.
    public static func particleLimit(_ grade: CleanroomGrade, _ measurand: Measurand, _ occupancy: Occupancy) -> Double? {
        switch (grade, measurand, occupancy) {
        case (.a, .particles05, _): 3_520
        case (.a, .particles5, _): nil
        case (.b, .particles05, .atRest): 3_520
        case (.b, .particles5, .atRest): nil
        case (.b, .particles05, .inOperation): 352_000
        case (.b, .particles5, .inOperation): 2_930
        case (.c, .particles05, .atRest): 352_000
        case (.c, .particles5, .atRest): 2_930
        case (.c, .particles05, .inOperation): 3_520_000
        case (.c, .particles5, .inOperation): 29_300
        case (.d, .particles05, .atRest): 3_520_000
        case (.d, .particles5, .atRest): 29_300
        case (.d, _, .inOperation): nil
        default: nil
        }
    }

    /// The viable contamination limit (Table 6), or nil where the Annex sets none.
    public static func viableLimit(_ grade: CleanroomGrade, _ measurand: Measurand) -> Double? {
        switch (grade, measurand) {
        case (.a, .viableAir), (.a, .settlePlate), (.a, .contactPlate): 0
        case (.b, .viableAir): 10
        case (.b, .settlePlate), (.b, .contactPlate): 5
        case (.c, .viableAir): 100
        case (.c, .settlePlate): 50
        case (.c, .contactPlate): 25
        case (.d, .viableAir): 200
        case (.d, .settlePlate): 100
        case (.d, .contactPlate): 50
        default: nil
        }
    }

    /// The Annex's ceiling for a measurand in a room of this grade, in operation (the stricter
    /// state applies while a batch runs), if it sets one.
    public static func ceiling(_ grade: CleanroomGrade, _ measurand: Measurand, _ occupancy: Occupancy = .inOperation) -> Double? {
        switch measurand {
        case .particles05, .particles5: particleLimit(grade, measurand, occupancy)
        case .viableAir, .settlePlate, .contactPlate: viableLimit(grade, measurand)
        default: nil
        }
    }
}
