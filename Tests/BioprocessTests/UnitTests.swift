import Testing

@testable import Bioprocess

/// Reading units and the algebra between quantities.
struct UnitTests {
    @Test(arguments: [
        ("1 L", 1e-3), ("1 mL", 1e-6), ("1 µL", 1e-9), ("1 μL", 1e-9), ("1 uL", 1e-9), ("1 m3", 1), ("1 m³", 1),
    ])
    func volumesConvertToCubicMetres(text: String, cubicMetres: Double) throws {
        let m = try QuantityParser.parse(text)
        #expect(m.unit.dimension == Volume.dimension)
        #expect(abs(m.canonical - cubicMetres) <= 1e-15 * max(1, cubicMetres))
    }

    @Test func compoundUnitsMultiplyAndDivide() throws {
        // 40 L/m²/h = 40e-3 m³ / m² / 3600 s
        let flux = try QuantityParser.parse("40 L/m²/h")
        #expect(flux.unit.dimension == Flux.dimension)
        #expect(abs(flux.canonical - 40e-3 / 3600) < 1e-15)
        // The same flux written in other units.
        let same = try QuantityParser.parse("0.0666666666667 mL/cm^2/min")
        #expect(abs(same.canonical / flux.canonical - 1) < 1e-9)
        // Products with a middle dot, a star or a space.
        #expect(try Unit.parse("g·L") == Unit.parse("g*L"))
        #expect(try Unit.parse("g L").dimension == UnitDimension(length: 3, mass: 1))
    }

    @Test func densitiesAndRatesPerCell() throws {
        let d = try QuantityParser.parse("0.5e6 cells/mL")
        #expect(d.unit.dimension == CellDensity.dimension)
        #expect(d.canonical == 0.5e6 / 1e-6)
        let perArea = try QuantityParser.parse("2e4 cells/cm²")
        #expect(perArea.unit.dimension == CellsPerArea.dimension)
        #expect(abs(perArea.canonical - 2e8) < 1e-3)
        let q = try QuantityParser.parse("1 pg/cell")
        #expect(q.unit.dimension == MassPerCell.dimension)
        #expect(abs(q.canonical - 1e-15) < 1e-27)
    }

    @Test func vectorUnitsKeepTheirCounting() throws {
        #expect(try Unit.parse("vg/kg").vectorCounting == .genomes)
        #expect(try Unit.parse("TU/mL").vectorCounting == .transducingUnits)
        #expect(try Unit.parse("vg/kg").dimension == VectorPerBodyMass.dimension)
        #expect(throws: UnitParseError.self) { try Unit.parse("vg/TU") }
    }

    @Test func percentAndBareNumbersArePureNumbers() throws {
        #expect(try QuantityParser.parse("85 %").canonical == 0.85)
        #expect(try QuantityParser.parse("85%").canonical == 0.85)
        #expect(try QuantityParser.parse("2").unit == .one)
        #expect(try QuantityParser.parse("2 g/g").unit.dimension == .none)
    }

    @Test func moneyInEachCurrencyIsItsOwnDimension() throws {
        let eur = try QuantityParser.parse("250 EUR/L")
        let usd = try QuantityParser.parse("250 USD/L")
        #expect(eur.unit.dimension != usd.unit.dimension)
        #expect(try QuantityParser.parse("3 M€").canonical == 3e6)
    }

    @Test(arguments: [
        ("200 Litres", "not a known unit"), ("L", "does not start with a number"), ("1,000 L", "thousands separators"),
        ("inf L", "does not start with a number"), ("nan", "does not start with a number"),
        ("1e999 L", "not a finite number"),
        ("5 L/", "ends with an operator"), ("5 //L", "starts with '/'"), ("5 m^0", "non-zero integer"),
    ])
    func badTextIsRefusedWithAReason(text: String, reason: String) {
        do {
            _ = try QuantityParser.parse(text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func quantitiesOfOneKindAddAndCompare() {
        let a = Quantity<Volume>(200, "L")
        let b = Quantity<Volume>(500, "mL")
        #expect((a + b).value(in: "L") == 200.5)
        #expect(b < a)
        #expect(a / b == 400)
    }

    @Test func productsBetweenKindsHaveTheRightDimension() {
        let cells = Quantity<CellDensity>(2e6, "cells/mL") * Quantity<Volume>(2000, "L")
        #expect(abs(cells.canonical - 4e12) < 1)
        let vector = cells * Quantity<VectorPerCell>(5e4, "vg/cell")
        #expect(abs(vector.canonical - 2e17) < 1e3)
        let titer = vector / Quantity<Volume>(2000, "L")
        #expect(abs(titer.value(in: "vg/L") - 1e14) < 1)
        let dose = Quantity<VectorPerBodyMass>(1.33e14, "vg/kg") * Quantity<Mass>(20, "kg")
        #expect(abs(dose.canonical - 2.66e15) < 1)
        let area = Quantity<Volume>(200, "L") / Quantity<VolumePerArea>(100, "L/m²")
        #expect(abs(area.value(in: "m²") - 2) < 1e-12)
        let membrane = membraneArea(passing: Quantity(120, "L"), at: Quantity(30, "L/m²/h"), within: Quantity(2, "h"))
        #expect(abs(membrane.value(in: "m²") - 2) < 1e-12)
        let time = filtrationTime(passing: Quantity(120, "L"), at: Quantity(30, "L/m²/h"), through: Quantity(2, "m²"))
        #expect(abs(time.value(in: "h") - 2) < 1e-12)
    }

    @Test func dimensionsDescribeThemselvesInBaseUnits() throws {
        #expect(CellDensity.dimension.description == "m^-3·cells")
        #expect(UnitDimension.none.description == "dimensionless")
        #expect(try Unit.parse("L/m²/h").dimension.description == "m·s^-1")
    }
}
