import Foundation
import Monitoring
import Testing

@testable import Reporting

@Suite struct SeriesChartTests {
    @Test func aMonthDrawsDownsampledWithItsLimitsAndExcursions() {
        let times = (0..<43_200).map { 1_796_000_000 + Double($0) * 60 }
        var values = times.map { _ in 7.1 }
        values[25_000] = 7.6
        let limits = SeriesLimits(alertHigh: 7.3, actionHigh: 7.4)
        let svg = SeriesChart.svg(
            times: times, values: values, limits: limits, excursions: [.init(from: times[25_000], to: times[25_001], level: .action)],
            unit: "pH", title: "BR-1 pH")
        let vertices = svg.components(separatedBy: "L").count
        #expect(vertices <= 2 * SeriesChart.buckets + 1)
        #expect(svg.contains("action limit 7.4 pH") && svg.contains("alert limit 7.3 pH"))
        #expect(svg.contains("action excursion from \(Timestamps.text(times[25_000]))"))
        // The spike is drawn: the path's highest point (smallest y) is the spike's.
        let ys = svg.components(separatedBy: "d=\"M").last!.components(separatedBy: "\"").first!
            .split(whereSeparator: { $0 == "L" }).compactMap { Double($0.split(separator: " ").last ?? "") }
        let top = ys.min()!
        #expect(ys.filter { $0 == top }.count <= 2)
        #expect(SeriesChart.svg(times: [], values: [], limits: nil, unit: "pH", title: "x").contains("No points"))
    }

    /// Time ticks at a round step giving at most ten labels: minutes for a short span, the date
    /// at midnight, days for a month.
    @Test(arguments: [
        (1380.0, 300.0, ["15:40<", "15:45<"]), (2 * 86_400.0, 21_600.0, [">12-08<", ">06:00<"]), (30 * 86_400.0, 604_800.0, [">2026-12-"]),
    ])
    func timeTicksAreRoundAndAtMostTen(span: Double, step: Double, labels: [String]) {
        let start = 1_796_657_700.0  // 2026-12-07T15:35:00Z
        let times = stride(from: start, through: start + span, by: span / 100).map { $0 }
        let svg = SeriesChart.svg(times: times, values: times.map { _ in 1 }, limits: nil, unit: "°C", title: "t")
        let ticks = svg.components(separatedBy: "text-anchor=\"middle\" class=\"tick\">").count - 1
        #expect((2...11).contains(ticks) && abs(Double(ticks) - span / step) <= 1, "\(ticks) time ticks")
        for label in labels { #expect(svg.contains(label), "\(label) in the ticks") }
    }

    @Test func aTrendChartDrawsItsControlLimitsAndRingsTheRuleBreakers() {
        let values = [10, 12, 11, 13, 12, 30.0]
        let points = values.enumerated().map { TrendChart.Point(label: "B-\($0.offset)", value: $0.element, pass: true, isRepeat: false) }
        let chart = IndividualsChart.fit(reference: Array(values.prefix(5)))!
        let flagged = Set(chart.violations(values).map(\.index))
        #expect(flagged == [5])
        let svg = TrendChart.svg(
            points, low: 8, high: 16, unit: "x", title: "t", control: .init(centre: chart.centre, lower: chart.lower, upper: chart.upper),
            flagged: flagged)
        #expect(svg.contains("UCL \(TrendChart.text(chart.upper))") && svg.contains("LCL \(TrendChart.text(chart.lower))"))
        #expect(svg.components(separatedBy: "class=\"rule\"").count - 1 == 1)
        #expect(svg.contains("B-5: a run rule is broken here"))
    }
}
