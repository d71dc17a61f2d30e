import Bioprocess
import Economics
import FileFormats
import Foundation
import Reporting
import Testing

/// Issue 14, item 7: costs in the literature's categories — handlings, annual staff, QC split,
/// facility by platform and floor area, campaign, purchases, exchange rates — each worked by hand
/// on the `Costed` fixture (whose lot is priced line by line in `CostCategoryTests`).
struct LiteratureCategoryTests {
    /// The fixture with `edits` applied, each of which must change it.
    static func text(_ edits: [(String, String)]) -> String {
        var text = Costed.yaml
        for (old, new) in edits {
            #expect(text.contains(old), "the fixture has no '\(old)'")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    static func report(_ edits: [(String, String)]) throws -> CostReport {
        try CostReport(try Costed.model(text(edits)))
    }

    static func byItem(_ r: CostReport) -> [CostItem: Double] {
        var lines: [CostItem: Double] = [:]
        for l in r.lines { lines[l.item, default: 0] += l.amount }
        return lines
    }

    static let crews =
        "    upstream: {staff: 2, shifts-per-day: 1}\n    downstream: {staff: 3, shifts-per-day: 2}\n"
        + "    fill: {staff: 1, shifts-per-day: 1}\n"

    // MARK: Labour

    @Test func eachOpenHandlingCostsItsTimeAtTheRate() throws {
        let r = try Self.report([("shift-length: \"8 h\"", "shift-length: \"8 h\"\n    time-per-handling: \"30 min\"")])
        // Two seed-train vessels and one production unit of 4 handlings.
        #expect(r.summary.seedVessels == 2)
        #expect(r.summary.handlings == 2 + 1 * 4)
        let l = Self.byItem(r)
        #expect(close(l[.handlings]!, 6 * 0.5 * 50))
        #expect(r.lines.first { $0.item == .handlings }?.stage == .upstream)
        // Nothing else moved: the crews' labour is as before.
        let before = Self.byItem(try CostReport(try Costed.model()))
        #expect(l[.labour(.upstream)] == before[.labour(.upstream)])
        #expect(
            close(
                r.cost.matrix.total(.labour),
                (before[.labour(.upstream)]! + before[.labour(.downstream)]! + before[.labour(.fill)]!) + 150))
    }

    @Test func annualStaffAreAllocatedLikeTheFacility() throws {
        let staff = "    staff: {production: 2, qc: 1, qa: 1, support: 2, cost-per-fte: \"100 kEUR/yr\"}\n"
        let r = try Self.report([(Self.crews, staff)])
        let l = Self.byItem(r)
        // 20 lots a year: production 2 × 100,000 / 20 = 10,000, spread over the stages by time.
        let s = r.summary
        let suite = (s.upstreamTime + s.downstreamTime + s.fillTime).canonical
        #expect(close(l[.staff(.production, .upstream)]!, 10_000 * s.upstreamTime.canonical / suite))
        #expect(close(l[.staff(.production, .fill)]!, 10_000 * s.fillTime.canonical / suite))
        // No crews: the production staff replace them.
        #expect(l[.labour(.upstream)] == 0 && l[.labour(.downstream)] == 0)
        // QA 5,000 in labour on the QC stage; QC analysts 5,000 in QC; support 10,000 indirect.
        #expect(close(l[.staff(.qa, .qc)]!, 5_000))
        #expect(close(l[.staff(.qc, .qc)]!, 5_000))
        #expect(close(r.cost.matrix[.qc, .labour], 5_000))
        #expect(close(r.cost.matrix.total(.labour), 10_000 + 5_000))
        #expect(close(r.cost.matrix.total(CostCategory.qc), 1_600 + 5_000))
        // Facility (10 MEUR / 10 yr + 1 MEUR) / 20 = 100,000, and support staff 10,000.
        #expect(close(r.cost.matrix.total(.facility), 100_000 + 10_000))
        #expect(close(r.qcSplit[.labour]!, 5_000))

        // By suite time instead: each role's yearly cost over the lots a year the lot's suite time
        // allows — the lot cycle the planner and the facility simulation use (about 365 / the
        // lot's days in the suite).
        let byTime = try Self.report([(Self.crews, staff), ("lots-per-year: 20", "allocation: suite-time")])
        let days = (byTime.summary.upstreamTime + byTime.summary.downstreamTime + byTime.summary.fillTime).value(
            in: "d")
        #expect(close(byTime.cost.matrix.total(.labour), (200_000 + 100_000) / byTime.lotsPerYear.computed))
        #expect(abs(byTime.lotsPerYear.computed - 365 / days) / (365 / days) < 0.01)
    }

    @Test func aCostPerFTEMayBeGivenPerRole() throws {
        let staff =
            "    staff: {production: 2, qa: 1, cost-per-fte: {production: \"80 kEUR/yr\", qa: \"120 kEUR/yr\"}}\n"
        let r = try Self.report([(Self.crews, staff)])
        #expect(close(r.cost.matrix.total(.labour), (2 * 80_000 + 120_000) / 20.0))
    }

    // MARK: QC

    @Test func qcSplitsIntoLabourSuppliesOutsourcedAndInHouseTests() throws {
        let r = try Self.report([
            (
                "qc: {per-lot: \"1000 EUR\", tests: {Sterility: \"500 EUR\", Titer: \"100 EUR\"}}",
                "qc: {labour: \"300 EUR\", supplies: \"200 EUR\", outsourced: \"100 EUR\", tests: {Sterility: {price: \"500 EUR\", outsourced: true}, Titer: \"100 EUR\"}}"
            )
        ])
        let split = r.qcSplit
        #expect(close(split[.labour]!, 300))
        #expect(close(split[.supplies]!, 200))
        #expect(close(split[.outsourced]!, 100 + 500))
        #expect(close(split[.inHouseTests]!, 100))
        #expect(split[.notSplit] == nil)
        #expect(close(r.cost.matrix.total(CostCategory.qc), 1_200))
        #expect(close(split.values.reduce(0, +), r.cost.matrix.total(CostCategory.qc)))
        #expect(
            r.lines.contains {
                costItemLabel($0.item, r.model.process, r.model.costs) == "Release test (outsourced): Sterility"
            })
        // The old single figure keeps its meaning: all of it "not split".
        let old = try CostReport(try Costed.model())
        #expect(close(old.qcSplit[.notSplit]!, 1_000))
        #expect(close(old.qcSplit[.inHouseTests]!, 600))
    }

    // MARK: Facility

    @Test func facilityCostsFollowThePlatformAndTheFloorArea() throws {
        let facility =
            "facility: {capital: {suspension: \"10 MEUR\", flasks: \"1 MEUR\"}, floor-area: {suspension: \"100 m²\", flasks: \"300 m²\"}, capital-per-m2: \"10000 EUR/m²\", depreciation: \"10 yr\", yearly-overhead: \"1 MEUR\", yearly-overhead-per-m2: \"1000 EUR/m²\", lots-per-year: 20}"
        let r = try Self.report([
            (
                "facility: {capital: \"10 MEUR\", depreciation: \"10 yr\", yearly-overhead: \"1 MEUR\", lots-per-year: 20}",
                facility
            )
        ])
        // The suspension's: (10 MEUR + 100 m² × 10,000) / 10 yr + 1 MEUR + 100 m² × 1,000 = 2.2 MEUR a year.
        #expect(close(r.model.costs.yearlyFacilityCost, 2.2e6))
        #expect(close(r.cost.matrix.total(.facility), 2.2e6 / 20))
    }

    // MARK: Campaign

    @Test func campaignCostsAreSpreadOverTheCampaignsLots() throws {
        let r = try Self.report([
            (
                "  facility:",
                "  campaign: {lots: 4, items: {engineering-lots: \"2000 EUR\", stability: \"1000 EUR\"}}\n  facility:"
            )
        ])
        let l = Self.byItem(r)
        #expect(close(l[.campaign(0)]!, 2_000 / 4))
        #expect(close(l[.campaign(1)]!, 1_000 / 4))
        #expect(close(r.cost.matrix[.campaign, .campaign], 750))
        #expect(
            costItemLabel(.campaign(1), r.model.process, r.model.costs) == "Campaign: stability, spread over 4 lots")
        // Released lots carry the failed ones' share of it too.
        let campaign = try #require(r.categories.first { $0.category == .campaign })
        #expect(close(campaign.perLotReleased, 750 / 0.8))
        #expect(close(campaign.perDose, 750 / 0.8 / Double(r.cost.doses)))
        #expect(r.shownStages.contains(.campaign))
        #expect(!(try CostReport(try Costed.model())).shownStages.contains(.campaign))
    }

    // MARK: Purchases

    @Test(arguments: [
        // 4 mg of plasmid a lot at 100,000 EUR/g: 400 EUR used.
        // Bought in 10 mg units, an order for one lot: 10 mg, 1,000 EUR, all paid by the lot.
        ("{size: \"0.01 g\"}", 1_000.0),
        // Shared by 2 lots: 8 mg → 10 mg, 1,000 EUR, 500 each.
        ("{size: \"0.01 g\", lots-per-order: 2}", 500),
        // At least 3,000 EUR an order, shared by 2 lots.
        ("{size: \"0.01 g\", minimum-order: \"3000 EUR\", lots-per-order: 2}", 1_500),
        // At least 50 mg an order, shared by 2.
        ("{minimum-quantity: \"50 mg\", lots-per-order: 2}", 2_500),
        // Shared by 5: 20 mg in 10 mg units, exactly what they use.
        ("{size: \"10 mg\", lots-per-order: 5}", 400),
    ])
    func aLotPaysItsShareOfWholePurchases(terms: String, perLot: Double) throws {
        let r = try Self.report([("  facility:", "  purchases: {plasmid: \(terms)}\n  facility:")])
        let l = Self.byItem(r)
        #expect(close(l[.plasmid]!, 400))
        #expect(close((l[.purchase(.plasmid)] ?? 0) + l[.plasmid]!, perLot), "\(terms)")
        if perLot > 400 {
            #expect(r.lines.first { $0.item == .purchase(.plasmid) }?.category == .materials)
        } else {
            #expect(l[.purchase(.plasmid)] == nil, "nothing beyond what the lot uses")
        }
    }

    @Test func thePurchaseRuleByHand() {
        let p = Purchase(material: .plasmid, size: 10, minimumQuantity: 0, minimumAmount: 150_000, lotsPerOrder: 4)
        // 4 lots of 4.1 units: 16.4 → 20 units at 10,000 = 200,000 an order, 50,000 a lot.
        #expect(close(p.perLot(quantity: 4.1, price: 10_000), 50_000))
        // 4 lots of 0.1: 1 purchase unit of 10 = 100,000, under the minimum order: 150,000 / 4.
        #expect(close(p.perLot(quantity: 0.1, price: 10_000), 37_500))
        // 5 lots of 0.004 make 0.02 — 2.0000000000000004 units of 0.01 in binary: 2 units, not 3.
        #expect(
            close(Purchase(material: .plasmid, size: 0.01, lotsPerOrder: 5).perLot(quantity: 0.004, price: 1), 0.004))
        // Used once: the whole minimum.
        #expect(
            close(Purchase(material: .plasmid, minimumAmount: 150_000).perLot(quantity: 0.1, price: 10_000), 150_000))
    }

    // MARK: Currency

    @Test func anAmountInAnotherCurrencyConvertsAtTheStatedRate() throws {
        let r = try Self.report([
            ("currency: EUR", "currency: EUR\n  exchange-rates: {USD: 0.9}"),
            ("medium: \"10 EUR/L\"", "medium: \"10 USD/L\""),
        ])
        // 11.1 L of medium at 10 USD/L × 0.9.
        #expect(close(Self.byItem(r)[.medium]!, 11.1 * 9))
        #expect(close(r.model.costs.medium, 9_000))  // EUR per m³
    }

    @Test func aDistributionInAnotherCurrencyIsSampledInItAndConverted() throws {
        let m = try Costed.model(
            Self.text([
                ("currency: EUR", "currency: EUR\n  exchange-rates: {USD: 0.9}"),
                ("medium: \"10 EUR/L\"", "medium: {uniform: [\"10 USD/L\", \"20 USD/L\"]}"),
            ]))
        // Nominal: the middle, 15 USD/L = 13.5 EUR/L.
        #expect(close(m.costs.medium, 13_500))
        let p = try #require(m.parameters.first { $0.label == "costs.materials.medium" })
        #expect(p.input.dimension == UnitDimension(dollar: 1) / Volume.dimension)
        var sampled = m
        p.set(&sampled, 20_000)  // 20 USD/L, in USD per m³
        #expect(close(sampled.costs.medium, 18_000))
    }

    @Test func anUncertainInputInAnotherCurrencyIsShownAsWritten() {
        let (symbol, factor) = DisplayUnit.unit(
            for: UnitDimension(dollar: 1) / Volume.dimension, vector: .genomes, currency: .eur)
        #expect(symbol == "USD/L" && factor == 1e3)  // 1 USD/L is 1,000 USD per m³
        #expect(DisplayUnit.unit(for: UnitDimension(euro: 1) / Volume.dimension, vector: .genomes, currency: .eur).0 == "EUR/L")
    }

    @Test func aPriceInAnotherCurrencyConvertsToo() throws {
        let text =
            Self.text([("currency: EUR", "currency: EUR\n  exchange-rates: {USD: 0.9}")])
            + "\nprice: {development-cost: \"100 MUSD\", expected-patients: 1000, years: \"10 yr\", distribution: \"2000 USD\", margin: \"10 %\"}\n"
        let m = try Costed.model(text)
        #expect(close(m.price!.developmentCost, 90e6))
        #expect(m.price!.distribution == .second(1_800))
    }

    // MARK: The report

    /// The Costed fixture with every new section.
    static let everything: [(String, String)] = [
        ("currency: EUR", "currency: EUR\n  exchange-rates: {USD: 0.9}"),
        (
            "shift-length: \"8 h\"",
            "shift-length: \"8 h\"\n    time-per-handling: \"0.5 h\"\n    staff: {qa: 1, support: 1, cost-per-fte: \"100 kUSD/yr\"}"
        ),
        (
            "qc: {per-lot: \"1000 EUR\", tests: {Sterility: \"500 EUR\", Titer: \"100 EUR\"}}",
            "qc: {labour: \"300 EUR\", supplies: \"200 EUR\", tests: {Sterility: {price: \"500 EUR\", outsourced: true}, Titer: \"100 EUR\"}}"
        ),
        (
            "  facility:",
            "  campaign: {lots: 4, items: {engineering-lots: \"2000 EUR\"}}\n  purchases: {plasmid: {minimum-order: \"3000 EUR\"}}\n  facility:"
        ),
    ]

    @Test(arguments: [false, true])
    func theCategoriesSumToTheTotalAndTheirSharesTo100Percent(everything: Bool) throws {
        let r = try Self.report(everything ? Self.everything : [])
        let categories = r.categories
        #expect(categories.map(\.category) == CostCategory.allCases)
        // Sums of computed figures: equal up to rounding in the last bits.
        let tolerance = 1e-12
        #expect(close(categories.reduce(0) { $0 + $1.perLotMade }, r.cost.perLotAttempted, tolerance))
        #expect(close(categories.reduce(0) { $0 + $1.perLotReleased }, r.cost.perLotReleased, tolerance))
        #expect(close(categories.reduce(0) { $0 + $1.perDose }, r.cost.perDose, tolerance))
        #expect(close(categories.reduce(0) { $0 + $1.share }, 1, tolerance))
        #expect(close(r.shownCategories.reduce(0) { $0 + $1.share }, 1, tolerance))
        // Each category is the sum of its lines.
        for k in categories {
            #expect(
                close(
                    r.lines.filter { $0.category == k.category }.reduce(0) { $0 + $1.amount }, k.perLotMade, tolerance))
        }
        if everything {
            #expect(categories.allSatisfy { $0.perLotMade > 0 }, "every category has a line")
        }
        // JSON and CSV give the same categories.
        let data = r.data()
        #expect(data.categories.map(\.category) == CostCategory.allCases.map(\.label))
        #expect(close(data.categories.reduce(0) { $0 + $1.share }, 1, tolerance))
        let shares = r.csv().split(separator: "\n").filter { $0.hasPrefix("category,") && $0.contains(",share,") }
        #expect(shares.count == CostCategory.allCases.count)
        #expect(r.text().contains("By category, as published cost-of-goods breakdowns state it"))
    }

    // MARK: Uncertainty

    @Test func newFieldsMayBeUncertainAndTheMonteCarloSamplesThem() throws {
        // Only the campaign's item varies, uniform over [0, 4,000] EUR: the lot's cost is linear in
        // it, so the mean released-lot cost is the nominal one (item at 2,000).
        let yaml = Self.text([
            (
                "  facility:",
                "  campaign: {lots: 4, items: {engineering-lots: {uniform: [\"0 EUR\", \"4000 EUR\"]}}}\n  facility:"
            )
        ])
        let model = try Costed.model(yaml)
        #expect(model.parameters.map(\.label) == ["costs.campaign.items.engineering-lots"])
        let expected = try model.nominalCost().1.perLotReleased
        let r = MonteCarlo.run(model, .init(samples: 50_000, seed: 4, threads: 2))
        let s = r.statistics(.lotCost)
        // Monte Carlo error: within 5 standard errors of the mean.
        #expect(abs(s.mean - expected) < 5 * s.sd / Double(s.count).squareRoot(), "\(s.mean) vs \(expected)")
        // The lot cost's spread is the item's: sd of uniform(0, 4000) / 4 lots / 80 % success.
        let sd = 4_000 / 12.0.squareRoot() / 4 / 0.8
        #expect(abs(s.sd - sd) < 0.02 * sd)
    }

    @Test func exchangeRatesCannotBeDistributions() {
        let text = Self.text([("currency: EUR", "currency: EUR\n  exchange-rates: {USD: {uniform: [0.8, 1]}}")])
        do {
            _ = try Costed.model(text)
            Issue.record("accepted")
        } catch let error as DefinitionError {
            #expect(
                error.issues.contains {
                    $0.path.description == "costs.exchange-rates.USD"
                        && $0.message == "this field cannot be a distribution"
                }, "\(error.issues)")
        } catch {
            Issue.record("\(error)")
        }
    }
}

/// Mistakes in the new sections: each named with its file, line, field and what was expected.
struct LiteratureCategoryInputTests {
    static let facility =
        "facility: {capital: \"10 MEUR\", depreciation: \"10 yr\", yearly-overhead: \"1 MEUR\", lots-per-year: 20}"
    static let beforeFacility = "  facility:"

    @Test(arguments: [
        // (old, new, field, message, text on the line the issue points at)
        (
            "shift-length: \"8 h\"", "shift-length: \"8 h\"\n    staff: {production: 2, cost-per-fte: \"90 kEUR/yr\"}",
            "costs.labour.upstream", "production labour is given twice", "upstream: {staff: 2"
        ),
        (
            "    fill: {staff: 1, shifts-per-day: 1}\n  qc: {per-lot: \"1000 EUR\"",
            "    fill: {staff: 1, shifts-per-day: 1}\n    staff: {qc: 1, cost-per-fte: \"90 kEUR/yr\"}\n  qc: {labour: \"100 EUR\"",
            "costs.qc.labour", "QC labour is given twice", "qc: {labour"
        ),
        (
            "shift-length: \"8 h\"", "shift-length: \"8 h\"\n    staff: {qa: 2}",
            "costs.labour.staff.cost-per-fte", "missing field 'cost-per-fte'", "staff: {qa: 2}"
        ),
        (
            "shift-length: \"8 h\"", "shift-length: \"8 h\"\n    staff: {}", "costs.labour.staff", "gives no role",
            "staff: {}"
        ),
        (
            "shift-length: \"8 h\"", "shift-length: \"8 h\"\n    time-per-handling: \"0.25 L\"",
            "costs.labour.time-per-handling", "not the unit", "time-per-handling"
        ),
        ("qc: {per-lot: \"1000 EUR\", ", "qc: {", "costs.qc.per-lot", "missing field 'per-lot'", "qc: {tests"),
        (
            "Sterility: \"500 EUR\"", "Sterility: {outsourced: true}",
            "costs.qc.tests.Sterility.price", "missing field 'price'", "Sterility: {outsourced"
        ),
        (
            facility, "facility: {floor-area: \"100 m²\", yearly-overhead: \"1 MEUR\", lots-per-year: 20}",
            "costs.facility.floor-area", "costs nothing without a price per m²", "floor-area"
        ),
        (
            facility,
            "facility: {capital-per-m2: \"100 EUR/m²\", depreciation: \"10 yr\", yearly-overhead: \"1 MEUR\", lots-per-year: 20}",
            "costs.facility", "missing field 'floor-area'", "capital-per-m2"
        ),
        (
            facility,
            "facility: {floor-area: {flasks: \"100 m²\"}, yearly-overhead-per-m2: \"10 EUR/m²\", lots-per-year: 20}",
            "costs.facility.floor-area.suspension", "missing field 'suspension'", "floor-area: {flasks"
        ),
        (
            beforeFacility, "  campaign: {items: {stability: \"1 MEUR\"}}\n" + beforeFacility,
            "costs.campaign.lots", "missing field 'lots'", "campaign:"
        ),
        (
            beforeFacility, "  campaign: {lots: 10, items: {stability: \"1 MUSD\"}}\n" + beforeFacility,
            "costs.campaign.items.stability", "gives no rate for USD", "campaign:"
        ),
        (
            beforeFacility, "  purchases: {plasmid: {}}\n" + beforeFacility,
            "costs.purchases.plasmid", "gives no purchase size nor minimum order", "purchases:"
        ),
        (
            beforeFacility, "  purchases: {plasmid: {size: \"10 L\"}}\n" + beforeFacility,
            "costs.purchases.plasmid.size", "not the unit", "purchases:"
        ),
        (
            beforeFacility, "  purchases: {plasmid: {size: \"1 g\", lots-per-order: 0.5}}\n" + beforeFacility,
            "costs.purchases.plasmid.lots-per-order", "is below 1", "purchases:"
        ),
        (
            beforeFacility, "  purchases: {plasmids: {size: \"1 g\"}}\n" + beforeFacility,
            "costs.purchases.plasmids", "unknown field 'plasmids' (did you mean 'plasmid'?)", "purchases:"
        ),
        (
            "currency: EUR", "currency: EUR\n  exchange-rates: {EUR: 1}",
            "costs.exchange-rates.EUR", "is the costs' own currency", "exchange-rates"
        ),
        (
            "currency: EUR", "currency: EUR\n  exchange-rates: {GBP: 1.2}",
            "costs.exchange-rates.GBP", "unknown field 'GBP'", "exchange-rates"
        ),
        (
            "currency: EUR", "currency: EUR\n  exchange-rates: {USD: 0}",
            "costs.exchange-rates.USD", "is not positive", "exchange-rates"
        ),
    ])
    func mistakesAreNamedWhereTheyAre(old: String, new: String, field: String, message: String, line: String) {
        let text = Costed.yaml.replacingOccurrences(of: old, with: new)
        #expect(text != Costed.yaml, "the fixture has no '\(old)'")
        do {
            _ = try Costed.model(text)
            Issue.record("accepted")
        } catch let error as DefinitionError {
            let issue = error.issues.first { $0.path.description == field }
            #expect(issue?.message.contains(message) == true, "\(error.issues)")
            #expect(issue?.location?.file == "costed.yaml")
            let expectedLine = text.components(separatedBy: "\n").firstIndex { $0.contains(line) }.map { $0 + 1 }
            #expect(issue?.location?.line == expectedLine, "\(String(describing: issue))")
            #expect(issue?.expected?.isEmpty == false, "says what was expected")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func oldCostFilesStillLoadAndMeanWhatTheyDid() throws {
        // The fixture has none of the new sections: no handlings, staff, split, area, campaign or
        // purchases; its QC is the single per-lot figure, its facility the capital and overhead.
        let m = try Costed.model()
        #expect(m.costs.timePerHandling == 0 && m.costs.staff == nil && m.costs.campaign == nil)
        #expect(m.costs.purchases.isEmpty && m.costs.exchangeRates.isEmpty && m.costs.floorArea == 0)
        #expect(m.costs.qcPerLot == 1_000 && m.costs.qcLabour == 0)
        #expect(close(m.costs.yearlyFacilityCost, 10e6 / 10 + 1e6))
    }
}
