// The kinds of quantity VectorFab works with, and the products and quotients between them
// that the models need. Each kind is an empty enum: a name for a dimension.

/// A pure number: a yield, a ratio or a fraction, written `85 %` or `0.85`.
public enum Fraction: PhysicalKind {
    public static let dimension = UnitDimension.none
    public static let expectation = #"a number or a percentage such as "85 %""#
}

public enum Length: PhysicalKind {
    public static let dimension = UnitDimension(length: 1)
    public static let expectation = #"a length such as "15 cm" (m, cm, mm, µm)"#
}

public enum Area: PhysicalKind {
    public static let dimension = UnitDimension(length: 2)
    public static let expectation = #"an area such as "6360 cm²" (m², cm²)"#
}

public enum Volume: PhysicalKind {
    public static let dimension = UnitDimension(length: 3)
    public static let expectation = #"a volume such as "200 L" (L, mL, µL)"#
}

public enum Mass: PhysicalKind {
    public static let dimension = UnitDimension(mass: 1)
    public static let expectation = #"a mass such as "20 kg" (kg, g, mg, µg, ng, pg)"#
}

public enum Duration: PhysicalKind {
    public static let dimension = UnitDimension(time: 1)
    public static let expectation = #"a duration such as "26 h" (d, h, min, s, wk)"#
}

public enum CellCount: PhysicalKind {
    public static let dimension = UnitDimension(cells: 1)
    public static let expectation = #"a number of cells such as "3e7 cells""#
}

public enum CellDensity: PhysicalKind {
    public static let dimension = UnitDimension(length: -3, cells: 1)
    public static let expectation = #"a cell density such as "0.5e6 cells/mL""#
}

public enum CellsPerArea: PhysicalKind {
    public static let dimension = UnitDimension(length: -2, cells: 1)
    public static let expectation = #"cells per surface such as "2e4 cells/cm²""#
}

public enum CellsPerBodyMass: PhysicalKind {
    public static let dimension = UnitDimension(mass: -1, cells: 1)
    public static let expectation = #"cells per kg of body weight such as "8e6 cells/kg""#
}

public enum VectorAmount: PhysicalKind {
    public static let dimension = UnitDimension(vector: 1)
    public static let expectation = #"an amount of vector such as "1.5e11 vg" or "2e10 TU""#
}

public enum VectorConcentration: PhysicalKind {
    public static let dimension = UnitDimension(length: -3, vector: 1)
    public static let expectation = #"a vector concentration such as "1e13 vg/mL" or "5e7 TU/mL""#
}

public enum VectorPerCell: PhysicalKind {
    public static let dimension = UnitDimension(cells: -1, vector: 1)
    public static let expectation = #"vector per cell such as "5e4 vg/cell" or "30 TU/cell""#
}

public enum VectorPerBodyMass: PhysicalKind {
    public static let dimension = UnitDimension(mass: -1, vector: 1)
    public static let expectation = #"a dose per body weight such as "1.1e14 vg/kg""#
}

public enum MassPerCell: PhysicalKind {
    public static let dimension = UnitDimension(mass: 1, cells: -1)
    public static let expectation = #"a mass per cell such as "1 pg/cell""#
}

public enum MassConcentration: PhysicalKind {
    public static let dimension = UnitDimension(length: -3, mass: 1)
    public static let expectation = #"a mass per volume such as "1 mg/L""#
}

/// Volume filtered per membrane area before it clogs: a filter's capacity.
public enum VolumePerArea: PhysicalKind {
    public static let dimension = UnitDimension(length: 1)
    public static let expectation = #"a filter capacity such as "100 L/m²""#
}

/// Permeate volume per membrane area per time.
public enum Flux: PhysicalKind {
    public static let dimension = UnitDimension(length: 1, time: -1)
    public static let expectation = #"a flux such as "40 L/m²/h""#
}

public enum InfectiousPerCell: PhysicalKind {
    public static let dimension = UnitDimension(cells: -1, infectious: 1)
    public static let expectation = #"a multiplicity of infection such as "0.1 pfu/cell""#
}

public enum InfectiousAmount: PhysicalKind {
    public static let dimension = UnitDimension(infectious: 1)
    public static let expectation = #"an amount of infectious virus such as "1e12 pfu""#
}

public enum InfectiousConcentration: PhysicalKind {
    public static let dimension = UnitDimension(length: -3, infectious: 1)
    public static let expectation = #"an infectious titer such as "1e8 pfu/mL""#
}

public enum GenomeLength: PhysicalKind {
    public static let dimension = UnitDimension(bases: 1)
    public static let expectation = #"a genome length such as "4.7 kb""#
}

// MARK: - Products and quotients the models use

@inlinable public func * (d: Quantity<CellDensity>, v: Quantity<Volume>) -> Quantity<CellCount> {
    Quantity(canonical: d.canonical * v.canonical)
}
@inlinable public func * (d: Quantity<CellsPerArea>, a: Quantity<Area>) -> Quantity<CellCount> {
    Quantity(canonical: d.canonical * a.canonical)
}
@inlinable public func * (n: Quantity<CellCount>, q: Quantity<VectorPerCell>) -> Quantity<VectorAmount> {
    Quantity(canonical: n.canonical * q.canonical)
}
@inlinable public func * (c: Quantity<VectorConcentration>, v: Quantity<Volume>) -> Quantity<VectorAmount> {
    Quantity(canonical: c.canonical * v.canonical)
}
@inlinable public func / (a: Quantity<VectorAmount>, v: Quantity<Volume>) -> Quantity<VectorConcentration> {
    Quantity(canonical: a.canonical / v.canonical)
}
@inlinable public func / (a: Quantity<VectorAmount>, c: Quantity<VectorConcentration>) -> Quantity<Volume> {
    Quantity(canonical: a.canonical / c.canonical)
}
@inlinable public func / (n: Quantity<CellCount>, v: Quantity<Volume>) -> Quantity<CellDensity> {
    Quantity(canonical: n.canonical / v.canonical)
}
@inlinable public func / (n: Quantity<CellCount>, a: Quantity<Area>) -> Quantity<CellsPerArea> {
    Quantity(canonical: n.canonical / a.canonical)
}
@inlinable public func * (m: Quantity<MassPerCell>, n: Quantity<CellCount>) -> Quantity<Mass> {
    Quantity(canonical: m.canonical * n.canonical)
}
@inlinable public func * (c: Quantity<MassConcentration>, v: Quantity<Volume>) -> Quantity<Mass> {
    Quantity(canonical: c.canonical * v.canonical)
}
@inlinable public func * (d: Quantity<VectorPerBodyMass>, m: Quantity<Mass>) -> Quantity<VectorAmount> {
    Quantity(canonical: d.canonical * m.canonical)
}
@inlinable public func * (d: Quantity<CellsPerBodyMass>, m: Quantity<Mass>) -> Quantity<CellCount> {
    Quantity(canonical: d.canonical * m.canonical)
}
@inlinable public func * (m: Quantity<InfectiousPerCell>, n: Quantity<CellCount>) -> Quantity<InfectiousAmount> {
    Quantity(canonical: m.canonical * n.canonical)
}
/// The filter area needed to pass a volume at a capacity in L/m².
@inlinable public func / (v: Quantity<Volume>, c: Quantity<VolumePerArea>) -> Quantity<Area> {
    Quantity(canonical: v.canonical / c.canonical)
}
/// The membrane area needed to pass a permeate volume at a flux within a time.
@inlinable public func membraneArea(
    passing v: Quantity<Volume>, at flux: Quantity<Flux>, within t: Quantity<Duration>
) -> Quantity<Area> {
    Quantity(canonical: v.canonical / (flux.canonical * t.canonical))
}
/// The time a membrane area takes to pass a permeate volume at a flux.
@inlinable public func filtrationTime(
    passing v: Quantity<Volume>, at flux: Quantity<Flux>, through a: Quantity<Area>
) -> Quantity<Duration> {
    Quantity(canonical: v.canonical / (flux.canonical * a.canonical))
}
/// The culture volume that holds an amount of infectious virus at a titer.
@inlinable public func / (a: Quantity<InfectiousAmount>, c: Quantity<InfectiousConcentration>) -> Quantity<Volume> {
    Quantity(canonical: a.canonical / c.canonical)
}
/// The liquid a filter keeps at a hold-up per m².
@inlinable public func * (h: Quantity<VolumePerArea>, a: Quantity<Area>) -> Quantity<Volume> {
    Quantity(canonical: h.canonical * a.canonical)
}
