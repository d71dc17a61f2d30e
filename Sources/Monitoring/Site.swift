import Capacity

/// What a sensor measures, with the one unit its points are written in. A point in another
/// unit is refused rather than converted: a historian that relabels units hides mistakes.
public enum Measurand: String, Sendable, Hashable, CaseIterable, Codable {
    // Process, on equipment.
    case temperature
    case pH = "ph"
    case dissolvedOxygen = "dissolved-oxygen"
    case agitation
    case viableCellDensity = "viable-cell-density"
    case pressure
    // Environment, in rooms.
    case particles05 = "particles-0.5um"
    case particles5 = "particles-5um"
    case differentialPressure = "differential-pressure"
    case humidity
    case viableAir = "viable-air"
    case settlePlate = "settle-plate"
    case contactPlate = "contact-plate"

    /// The unit points of this measurand are written in.
    public var unit: String {
        switch self {
        case .temperature: "°C"
        case .pH: "pH"
        case .dissolvedOxygen: "%"
        case .agitation: "rpm"
        case .viableCellDensity: "cells/mL"
        case .pressure: "mbar"
        case .particles05, .particles5: "/m³"
        case .differentialPressure: "Pa"
        case .humidity: "%RH"
        case .viableAir: "CFU/m³"
        case .settlePlate: "CFU/4h"
        case .contactPlate: "CFU/plate"
        }
    }

    /// Also accepted for the unit, written without special characters (`degC`, `/m3`).
    public var unitSpellings: [String] {
        switch self {
        case .temperature: ["°C", "degC", "C"]
        case .particles05, .particles5: ["/m³", "/m3", "per m3"]
        case .viableAir: ["CFU/m³", "CFU/m3"]
        default: [unit]
        }
    }

    /// Whether the measurand is counted on a sample (a plate) rather than read continuously:
    /// one point is a result, and an excursion needs no persistence.
    public var isSampled: Bool { [.viableAir, .settlePlate, .contactPlate].contains(self) }
}

/// A cleanroom of the site, with its grade and the facility suite it belongs to.
public struct Room: Sendable, Hashable {
    public var id: String
    public var name: String
    public var grade: CleanroomGrade
    /// The facility file's suite this room is part of, if any.
    public var suite: String?

    public init(id: String, name: String, grade: CleanroomGrade, suite: String? = nil) {
        self.id = id
        self.name = name
        self.grade = grade
        self.suite = suite
    }
}

/// A piece of monitored equipment (a bioreactor, an isolator), in a room. Its id is the one
/// batch records name when a phase uses it.
public struct MonitoredEquipment: Sendable, Hashable {
    public var id: String
    public var name: String
    public var room: String

    public init(id: String, name: String, room: String) {
        self.id = id
        self.name = name
        self.room = room
    }
}

/// Where a series is measured.
public enum SeriesLocation: Sendable, Hashable {
    case room(String)
    case equipment(String)
}

/// A sensor's series of points.
public struct Series: Sendable, Hashable {
    public var id: String
    public var measurand: Measurand
    public var location: SeriesLocation
    /// The sampling interval in seconds (for sampled measurands, the usual time between
    /// samples).
    public var interval: Double

    public var unit: String { measurand.unit }

    public init(id: String, measurand: Measurand, location: SeriesLocation, interval: Double) {
        self.id = id
        self.measurand = measurand
        self.location = location
        self.interval = interval
    }
}

/// A monitored site: its rooms, equipment and series (the site file, `vectorfab/site/1`).
public struct MonitoredSite: Sendable, Hashable {
    public var name: String
    public var rooms: [Room]
    public var equipment: [MonitoredEquipment]
    public var series: [Series]

    public init(name: String, rooms: [Room], equipment: [MonitoredEquipment], series: [Series]) {
        self.name = name
        self.rooms = rooms
        self.equipment = equipment
        self.series = series
    }

    public func room(_ id: String) -> Room? { rooms.first { $0.id == id } }

    /// The room a series is in (its own, or its equipment's).
    public func room(of series: Series) -> Room? {
        switch series.location {
        case .room(let r): room(r)
        case .equipment(let e): equipment.first { $0.id == e }.flatMap { room($0.room) }
        }
    }
}
