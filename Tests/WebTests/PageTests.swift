import Bioprocess
import FileFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Manufacturing
import Economics
import Reporting
import NIOCore
import Store
import Testing

@testable import Web

/// The web application's pages: sign-in with cookies and CSRF tokens, the first-run set-up, the
/// security headers, and the process library with its lot reports.
struct PageTests {
    struct Answer {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var html: String

        func cookie(_ name: String) -> String? {
            for value in headers[values: .setCookie] where value.hasPrefix(name + "=") {
                return String(value.dropFirst(name.count + 1).prefix { $0 != ";" })
            }
            return nil
        }

        /// The value of the first hidden `csrf` field.
        var csrf: String? {
            guard let r = html.range(of: #"name="csrf" value=""#) else { return nil }
            return String(html[r.upperBound...].prefix { $0 != "\"" })
        }
    }

    static func site(setupCode: String? = nil) async throws -> Site {
        try await Site.load(library: Repository.path("Examples"), setupCode: setupCode)
    }

    static func get(_ client: some TestClientProtocol, _ uri: String, cookies: [String: String] = [:]) async throws -> Answer {
        var headers: HTTPFields = [:]
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        return try await client.execute(uri: uri, method: .get, headers: headers, body: nil) { r in
            Answer(status: r.status, headers: r.headers, html: String(buffer: r.body))
        }
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, _ fields: [String: String], cookies: [String: String] = [:])
        async throws -> Answer
    {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { r in
            Answer(status: r.status, headers: r.headers, html: String(buffer: r.body))
        }
    }

    /// Signs in through the form; returns the session cookie.
    static func signIn(_ client: some TestClientProtocol, _ username: String) async throws -> String {
        let form = try await get(client, "/sign-in")
        let pre = try #require(form.cookie("vf_pre"))
        let answer = try await post(
            client, "/sign-in", ["username": username, "password": password, "csrf": try #require(form.csrf), "next": "/processes"],
            cookies: ["vf_pre": pre])
        #expect(answer.status == .seeOther)
        #expect(answer.headers[.location] == "/processes", "back where the user was going")
        let cookie = try #require(answer.headers[values: .setCookie].first { $0.hasPrefix("vf_session=") })
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        return try #require(answer.cookie("vf_session"))
    }

    @Test func noPageWithoutASessionButSignInSetUpAndHealth() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await Self.site()))
        try await app.test(.router) { client in
            for path in ["/", "/processes", "/processes/seed000-aav-200L.yaml"] {
                let answer = try await Self.get(client, path)
                #expect(answer.status == .seeOther, "\(path)")
                #expect(answer.headers[.location]?.hasPrefix("/sign-in") == true)
            }
            #expect(try await Self.get(client, "/processes", cookies: ["vf_session": "forged"]).status == .seeOther)
            let signIn = try await Self.get(client, "/sign-in")
            #expect(signIn.status == .ok && signIn.html.contains("<form method=\"post\" action=\"/sign-in\">"))
            // No inline script and nothing from another origin; no framing, no sniffing.
            let csp = try #require(signIn.headers[.contentSecurityPolicy])
            #expect(csp.contains("script-src 'self'") && csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"))
            // The one script is the site's own file: no inline script.
            let scripts = signIn.html.components(separatedBy: "<script").dropFirst()
            #expect(!scripts.isEmpty && scripts.allSatisfy { $0.hasPrefix(" src=\"/static/app.js\" defer></script>") })
            #expect(!signIn.html.contains("http://") && !signIn.html.contains("https://"))
            #expect(try await Self.get(client, "/static/app.js").headers[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(signIn.headers[.xContentTypeOptions] == "nosniff")
            #expect(try await Self.get(client, "/health").status == .ok)
            #expect(try await Self.get(client, "/static/app.css").headers[.contentType]?.hasPrefix("text/css") == true)
        }
    }

    @Test func signingInNeedsTheFormsTokenAndTheRightPasswordAndSigningOutEndsTheSession() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await Self.site()))
        try await app.test(.router) { client in
            let form = try await Self.get(client, "/sign-in")
            let pre = try #require(form.cookie("vf_pre"))
            // A post without the form's token (another site's form) is refused.
            let forged = try await Self.post(client, "/sign-in", ["username": "alex", "password": password, "csrf": "00"], cookies: ["vf_pre": pre])
            #expect(forged.status == .forbidden)
            #expect(forged.cookie("vf_session") == nil)
            let wrong = try await Self.post(
                client, "/sign-in", ["username": "alex", "password": "not the password", "csrf": try #require(form.csrf)], cookies: ["vf_pre": pre])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.html.contains("wrong username or password"))
            // An open redirect is not followed.
            let away = try await Self.post(
                client, "/sign-in", ["username": "alex", "password": password, "csrf": try #require(form.csrf), "next": "//evil.example"],
                cookies: ["vf_pre": pre])
            #expect(away.headers[.location] == "/")
            let session = try await Self.signIn(client, "alex")
            let home = try await Self.get(client, "/", cookies: ["vf_session": session])
            #expect(home.status == .ok && home.html.contains("Welcome, Alex"))
            // Signing out needs the page's token, and ends the session in the store.
            #expect(try await Self.post(client, "/sign-out", ["csrf": "nope"], cookies: ["vf_session": session]).status == .forbidden)
            let out = try await Self.post(client, "/sign-out", ["csrf": try #require(home.csrf)], cookies: ["vf_session": session])
            #expect(out.status == .seeOther)
            #expect(try await Self.get(client, "/", cookies: ["vf_session": session]).status == .seeOther)
            await #expect(throws: GMPError.self) { _ = try await w.store.user(forToken: session) }
        }
    }

    @Test func theFirstAdministratorIsCreatedWithTheSetUpCodeOnce() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vf-\(UUID().uuidString).sqlite").path
        let store = Keep.shared.keep(try await GMPStore.open(.sqlite(path: path), passwordIterations: 1000))
        let app = Application(router: API.router(store: store, site: try await Self.site(setupCode: "ABCD2345EFGH")))
        try await app.test(.router) { client in
            #expect(try await Self.get(client, "/sign-in").headers[.location] == "/setup")
            let form = try await Self.get(client, "/setup")
            #expect(form.status == .ok && form.html.contains("set-up code"))
            let pre = try #require(form.cookie("vf_pre"))
            let fields = ["username": "ada", "fullName": "Ada Admin", "password": password, "csrf": try #require(form.csrf)]
            let wrongCode = try await Self.post(client, "/setup", fields.merging(["code": "WRONG"]) { $1 }, cookies: ["vf_pre": pre])
            #expect(wrongCode.status == .forbidden && wrongCode.html.contains("set-up code is wrong"))
            #expect(try await store.userCount() == 0)
            let shortPassword = try await Self.post(
                client, "/setup", fields.merging(["code": "abcd2345efgh", "password": "short"]) { $1 }, cookies: ["vf_pre": pre])
            #expect(shortPassword.status == .badRequest && shortPassword.html.contains("12 to 200 characters"))
            let done = try await Self.post(client, "/setup", fields.merging(["code": "abcd2345efgh"]) { $1 }, cookies: ["vf_pre": pre])
            #expect(done.status == .seeOther && done.headers[.location] == "/sign-in")
            #expect(try await store.users(try await store.login(username: "ada", password: password).user).map(\.role) == [.administrator])
            // Once there is an administrator, set-up is gone.
            #expect(try await Self.get(client, "/setup").status == .notFound)
            #expect(try await Self.post(client, "/setup", fields.merging(["code": "ABCD2345EFGH", "username": "eve"]) { $1 }, cookies: ["vf_pre": pre]).status == .notFound)
        }
    }

    @Test func theLibraryListsTheExamplesAndEachLotReportShowsItsFigures() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await Self.site()))
        try await app.test(.router) { client in
            let session = try await Self.signIn(client, "olga")
            let list = try await Self.get(client, "/processes", cookies: ["vf_session": session])
            #expect(list.status == .ok)
            for file in ["seed000-aav-200L.yaml", "aav-dmd-suspension-2000L.yaml", "lv-sickle-cell-industrial.yaml"] {
                #expect(list.html.contains("href=\"/processes/\(file)\""), "\(file)")
            }
            let page = try await Self.get(client, "/processes/seed000-aav-200L.yaml", cookies: ["vf_session": session])
            #expect(page.status == .ok)
            // The figures the simulator computes for seed 000 (the CLI's tests hold them to DOMAIN.md).
            let seed = LotReportData(try LotReport.simulate(try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml"))))
            #expect(page.html.contains("<span class=\"value\">\(Fmt.count(seed.summary.doses))</span><span class=\"label\">doses a lot</span>"))
            #expect(page.html.contains("<span class=\"value\">\(Fmt.count(seed.summary.vialsFilled))</span><span class=\"label\">vials filled</span>"))
            #expect(page.html.contains("Affinity capture"))
            // The capsid balance as the lot report computes it; no "not needed" line when every stage is used.
            let balance = try #require(seed.particles)
            #expect(page.html.contains("id=\"particles\"") && page.html.contains(Fmt.percent(balance.bulk.vectorShare)))
            #expect(page.html.contains("not met by the prediction"))
            #expect(seed.skippedSeedStages.isEmpty && !page.html.contains("seed-skipped"))
            let missing = try await Self.get(client, "/processes/..%2F..%2Fetc%2Fpasswd", cookies: ["vf_session": session])
            #expect(missing.status == .notFound)
            // The lot report as downloads: what `vectorfab simulate --format csv` and `json` print.
            let report = try LotReport.simulate(try ProcessFile.load(path: Repository.path("Examples/seed000-aav-200L.yaml")))
            let csv = try await Self.get(client, "/processes/seed000-aav-200L.yaml.csv", cookies: ["vf_session": session])
            #expect(csv.headers[.contentDisposition]?.contains("seed000-aav-200L-yaml-lot.csv") == true)
            #expect(csv.html == "\u{FEFF}" + LotReportCSV.render(report))
            let json = try await Self.get(client, "/processes/seed000-aav-200L.yaml.json", cookies: ["vf_session": session])
            #expect(json.headers[.contentType] == "application/json; charset=utf-8")
            #expect(json.html == (try LotReportJSON.render(report)))
            #expect(try await Self.get(client, "/processes/nope.yaml.csv", cookies: ["vf_session": session]).status == .notFound)
        }
    }
}

/// The lot timeline drawn as SVG: a bar per stage, its names escaped, nothing clipped.
struct TimelineChartTests {
    @Test func everyStageIsABarWithItsDaysAndLongNamesAreCutWithTheWholeInTheTooltip() {
        let stages = [
            LotReportData.Stage(name: "Seed <flask> & bag", phase: "expansion", startDay: 0, endDay: 3),
            LotReportData.Stage(name: String(repeating: "Growth to induction ", count: 4), phase: "production", startDay: 3, endDay: 5.5),
            LotReportData.Stage(name: "QC release testing", phase: "release", startDay: 5.5, endDay: 20),
        ]
        let svg = TimelineChart.svg(stages)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        #expect(svg.components(separatedBy: "<rect x=").count - 1 == stages.count + 3, "a bar per stage, a legend square per phase")
        #expect(svg.contains("Seed &lt;flask&gt; &amp; bag") && !svg.contains("<flask>"))
        #expect(svg.contains("Growth to induction Growth to induction Gro…"))
        #expect(svg.contains("<title>\(stages[1].name): day 3 to 5.5 (2.5 d)</title>"))
        #expect(svg.contains(">20 d</text>"), "the last tick is the lot's end")
    }
}

/// Platforms compared in the browser: the same figures as `vectorfab compare`, and the table as CSV.
struct ComparePageTests {
    @Test func thePageShowsTheComparisonTheCommandComputesAndItsCSV() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await PageTests.site()))
        let files = ["aav-dmd-flasks.yaml", "aav-dmd-suspension-2000L.yaml"]
        let expected = try PlatformComparison.compare(
            files.map { try ProcessFile.load(path: Repository.path("Examples/\($0)")) }, targetDoses: 250)
        try await app.test(.router) { client in
            let session = try await PageTests.signIn(client, "sam")
            let query = files.map { "file=\($0)" }.joined(separator: "&") + "&doses=250"
            let page = try await PageTests.get(client, "/compare?" + query, cookies: ["vf_session": session])
            #expect(page.status == .ok)
            for r in expected.rows {
                #expect(page.html.contains("<td>\(r.model)</td>"), "\(r.model)")
                #expect(page.html.contains("<td class=\"num\">\(Fmt.count(r.lots))</td>"), "\(r.model) lots")
            }
            let csv = try await PageTests.get(client, "/compare.csv?" + query, cookies: ["vf_session": session])
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition]?.contains("attachment") == true)
            #expect(csv.html.hasPrefix("\u{FEFF}process,platform"), "a byte-order mark for Excel")
            #expect(csv.html.dropFirst() == Substring(ComparisonReport.csv(expected)))
            let bad = try await PageTests.get(client, "/compare?file=aav-dmd-flasks.yaml&doses=0", cookies: ["vf_session": session])
            #expect(bad.status == .badRequest && bad.html.contains("doses must be a whole number from 1"))
            let unknown = try await PageTests.get(client, "/compare?file=nope.yaml&doses=5", cookies: ["vf_session": session])
            #expect(unknown.status == .badRequest && unknown.html.contains("no process file nope.yaml"))
        }
    }
}

/// Sign-in throttling: failed sign-ins from one address are counted, and beyond the limit even
/// the right password waits.
struct ThrottleTests {
    @Test func tooManyFailedSignInsAreRefusedWith429UntilTheWindowPasses() throws {
        let t = SignInThrottle(limit: 3, window: 60)
        let start = Date(timeIntervalSince1970: 1_000_000)
        let keys = ["address:10.0.0.1", "user:alex"]
        for i in 0..<3 {
            try t.check(keys, now: start + Double(i))
            t.failed(keys, now: start + Double(i))
        }
        #expect(throws: SignInThrottle.TooMany.self) { try t.check(keys, now: start + 10) }
        // Another username from the same address: still refused (no spraying).
        #expect(throws: SignInThrottle.TooMany.self) { try t.check(["address:10.0.0.1", "user:sam"], now: start + 10) }
        do {
            try t.check(keys, now: start + 10)
        } catch {
            #expect(error.retryAfter == 50, "until the first failure leaves the window")
        }
        try t.check(keys, now: start + 61)
    }

    @Test func theAPIAndThePagesShareTheCount() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await PageTests.site()))
        try await app.test(.router) { client in
            for i in 0..<20 {
                let (status, _, _) = try await client.call(.post, "/api/login", token: nil, ["username": "nobody\(i)", "password": "wrong password"])
                #expect(status == .unauthorized)
            }
            let refused = try await client.execute(
                uri: "/api/login", method: .post, headers: [.contentType: "application/json"],
                body: body(["username": "alex", "password": password])
            ) { r in (r.status, r.headers[.retryAfter]) }
            #expect(refused.0 == .tooManyRequests)
            #expect(Int(refused.1 ?? "") ?? 0 > 0)
            let form = try await PageTests.get(client, "/sign-in")
            let page = try await PageTests.post(
                client, "/sign-in", ["username": "alex", "password": password, "csrf": try #require(form.csrf)],
                cookies: ["vf_pre": try #require(form.cookie("vf_pre"))])
            #expect(page.status == .tooManyRequests && page.html.contains("Too many failed sign-ins"))
        }
    }
}

/// Costs in the browser: the figures `vectorfab cost` computes, the chart and the CSV.
struct CostPageTests {
    @Test func theCostPageShowsTheCommandsFiguresAChartAndItsLinesAsCSV() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await PageTests.site()))
        let file = "aav-dmd-suspension-2000L.yaml"
        let report = try CostReport(try EconomicFile.load(path: Repository.path("Examples/\(file)")))
        let c = report.model.costs.currency
        try await app.test(.router) { client in
            let session = try await PageTests.signIn(client, "olga")
            let list = try await PageTests.get(client, "/costs", cookies: ["vf_session": session])
            #expect(list.html.contains("href=\"/costs/\(file)\""))
            #expect(!list.html.contains("href=\"/costs/seed000-aav-200L.yaml\""), "a process without costs is not listed")
            let page = try await PageTests.get(client, "/costs/\(file)", cookies: ["vf_session": session])
            #expect(page.status == .ok)
            #expect(page.html.contains("<span class=\"value\">\(Fmt.money(report.cost.perDose, c))</span><span class=\"label\">per dose</span>"))
            let price = try #require(report.price)
            #expect(page.html.contains(Fmt.money(price.pricePerDose, c)))
            let segments = CostStage.allCases.flatMap { s in CostCategory.allCases.map { report.cost.matrix[s, $0] } }.filter { $0 > 0 }
            /// The SVG whose aria-label is `label`.
            func svg(_ label: String) throws -> Substring {
                let start = try #require(page.html.range(of: "aria-label=\"\(label)\""))
                let open = try #require(page.html.range(of: "<svg", options: .backwards, range: page.html.startIndex..<start.lowerBound))
                let close = try #require(page.html.range(of: "</svg>", range: start.upperBound..<page.html.endIndex))
                return page.html[open.lowerBound..<close.upperBound]
            }
            let chart = try svg("Cost of one lot by stage and category")
            #expect(chart.components(separatedBy: "<title>").count - 1 == segments.count + 1, "a segment per non-zero cell, and the chart's title")
            // The literature's categories: a segment each in the shares bar, and a row each with its
            // cost per lot, per dose and share (the campaign's when the costs have one).
            let categories = report.shownCategories
            #expect(categories.map(\.category) == CostCategory.allCases.filter { $0 != .campaign || report.model.costs.campaign != nil })
            let shares = try svg("Share of each category in the cost of a lot")
            #expect(shares.components(separatedBy: "<title>").count - 1 == categories.filter { $0.perLotMade > 0 }.count + 1)
            for k in categories {
                #expect(page.html.contains("<tr><td>\(k.category.label)</td><td class=\"num\">\(Fmt.money(k.perLotMade, c))</td><td class=\"num\">\(Fmt.money(k.perLotReleased, c))</td><td class=\"num\">\(Fmt.money(k.perDose, c))</td><td class=\"num\">\(Fmt.percent(k.share))</td></tr>"), "\(k.category.label)")
            }
            #expect(page.html.contains("QC split"))
            let csv = try await PageTests.get(client, "/costs/\(file).csv", cookies: ["vf_session": session])
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.html == "\u{FEFF}" + report.csv())
            #expect(try await PageTests.get(client, "/costs/seed000-aav-200L.yaml", cookies: ["vf_session": session]).status == .notFound)
        }
    }
}

/// A Monte Carlo run from the page: the statistics the same seed gives `vectorfab uncertainty`,
/// its charts, and its bounds.
struct UncertaintyPageTests {
    @Test func thePageRunsTheMonteCarloTheCommandRunsAndRefusesWhatIsOutOfBounds() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await PageTests.site()))
        let file = "peer-aav-2000L-montecarlo.yaml"
        let model = try EconomicFile.load(path: Repository.path("Examples/\(file)"))
        // Same seed, same result whatever the number of threads.
        let expected = MonteCarlo.run(model, .init(samples: 3000, seed: 7, threads: 1, targetDoses: 10))
        let c = model.costs.currency
        try await app.test(.router) { client in
            let session = try await PageTests.signIn(client, "alex")
            let form = try await PageTests.get(client, "/uncertainty", cookies: ["vf_session": session])
            #expect(form.status == .ok && form.html.contains("<option value=\"\(file)\""))
            let page = try await PageTests.get(
                client, "/uncertainty?file=\(file)&samples=3000&seed=7&target=10&sobol=50", cookies: ["vf_session": session])
            #expect(page.status == .ok)
            let cost = expected.statistics(.costPerDose)
            #expect(page.html.contains("<span class=\"value\">\(Fmt.money(cost.mean, c))</span><span class=\"label\">mean cost per dose</span>"))
            let p = try #require(expected.probabilityOfTarget)
            #expect(page.html.contains("<span class=\"value\">\(Fmt.percent(p))</span><span class=\"label\">P(≥ 10 doses a lot)</span>"))
            #expect(page.html.components(separatedBy: "<svg").count - 1 == 3, "histogram, tornado, Sobol")
            #expect(!page.html.contains("could not make a lot") || expected.infeasible > 0)
            // How the samples were evaluated, as the text report says it.
            #expect(page.html.contains("evaluated by \(UncertaintyReport.evaluation(expected))"))
            // The Sobol indices with their 95 % intervals, in the table beside the chart and as
            // the chart's whiskers, as the same seed computes them.
            let sobol = Sensitivity.sobol(model, samples: 50, seed: 7, threads: 1)
            #expect(sobol.indices.count == model.parameters.count)
            for i in sobol.indices {
                let cells = [
                    Fmt.number(i.firstOrder, digits: 2), UncertaintyReport.interval(i.firstOrderInterval),
                    Fmt.number(i.total, digits: 2), UncertaintyReport.interval(i.totalInterval),
                ].map { "<td class=\"num\">\($0)</td>" }.joined()
                #expect(page.html.contains(cells + "</tr>"), "\(i.label)'s row")
                for r in [i.firstOrderInterval, i.totalInterval] {
                    #expect(page.html.contains("data-low=\"\(r.lowerBound)\" data-high=\"\(r.upperBound)\""), "\(i.label)'s whisker")
                }
            }
            #expect(page.html.contains("50 base samples") && page.html.contains("The widest 95 % interval is \(Fmt.number(sobol.widestInterval, digits: 3))."))
            // The CSV holds the intervals too: the report's, whole.
            let csv = try await PageTests.get(
                client, "/uncertainty?file=\(file)&samples=3000&seed=7&target=10&sobol=50&format=csv", cookies: ["vf_session": session])
            let report = UncertaintyReport(model: model, result: expected, threads: 1, tornado: Sensitivity.tornado(model), sobol: sobol)
            #expect(csv.html == "\u{FEFF}" + report.csv())
            let low = try #require(sobol.indices.first).firstOrderInterval.lowerBound
            #expect(csv.html.contains("first order 95 % low,\(low)"))
            // Without a number, the default: until every interval is narrower than 0.05.
            #expect(form.html.contains("name=\"sobol\" type=\"text\" pattern=\"auto|[0-9]+\" inputmode=\"numeric\" value=\"auto\""))
            let auto = try #require(
                Sensitivity.SobolRequest.automatic.sampling(inputs: model.parameters.count, mostEvaluations: PageRoutes.maxSobolEvaluations))
            let automatic = Sensitivity.sobol(model, auto, seed: 1, threads: 1)
            #expect(automatic.reachedTarget)
            let byDefault = try await PageTests.get(client, "/uncertainty?file=\(file)&samples=500&seed=1", cookies: ["vf_session": session])
            #expect(byDefault.html.contains("\(Fmt.count(automatic.samples)) base samples"))
            #expect(byDefault.html.contains("narrower than 0.05: the widest is \(Fmt.number(automatic.widestInterval, digits: 3))."))
            let noSobol = try await PageTests.get(client, "/uncertainty?file=\(file)&samples=500&seed=1&sobol=0", cookies: ["vf_session": session])
            #expect(noSobol.status == .ok && !noSobol.html.contains("Sobol indices</h2>"))
            #expect(noSobol.html.components(separatedBy: "<svg").count - 1 == 2)
            for bad in ["samples=0", "samples=2000000", "samples=10&seed=-1", "samples=10&target=0", "samples=10&sobol=999999", "samples=10&sobol=1", "samples=10&sobol=some"] {
                let answer = try await PageTests.get(client, "/uncertainty?file=\(file)&\(bad)", cookies: ["vf_session": session])
                #expect(answer.status == .badRequest, "\(bad)")
                #expect(answer.html.contains("class=\"error\""), "\(bad)")
            }
        }
    }
}

/// The computations over the JSON API: `POST /api/simulate` answers what `vectorfab simulate
/// --format json` prints, and a process file's mistakes at their line.
struct ComputeAPITests {
    @Test func simulateAnswersTheLotReportAndNamesMistakesAtTheirLine() async throws {
        let w = try await World.make()
        let text = try String(contentsOfFile: Repository.path("Examples/seed000-aav-200L.yaml"), encoding: .utf8)
        let expected = try LotReportJSON.render(LotReport.simulate(try ProcessFile.parse(text, file: "process")))
        try await w.app().test(.router) { client in
            let (status, answer, raw) = try await client.call(.post, "/api/simulate", token: w.tokens[.operator], ["process": text])
            #expect(status == .ok)
            #expect(answer["format"] as? String == "vectorfab/lot-report/1")
            #expect(String(buffer: raw) == expected)
            let broken = text.replacingOccurrences(of: "\nname:", with: "\nnmae:")
            let (bad, refusal, _) = try await client.call(.post, "/api/simulate", token: w.tokens[.operator], ["process": broken])
            #expect(bad == .badRequest)
            #expect((refusal["details"] as? [String])?.contains { $0.contains("nmae") && $0.contains("line") } == true, "\(refusal)")
            #expect(try await client.call(.post, "/api/simulate", token: nil, ["process": text]).0 == .unauthorized)
        }
    }
}

/// The Monte Carlo's progress as server-sent events: the samples done, rising to the total,
/// then `done`; the page then shows that run.
struct UncertaintyProgressTests {
    @Test func theProgressStreamCountsTheSamplesAndThePageShowsTheRun() async throws {
        let w = try await World.make()
        let app = Application(router: API.router(store: w.store, site: try await PageTests.site()))
        let file = "peer-aav-2000L-montecarlo.yaml"
        let model = try EconomicFile.load(path: Repository.path("Examples/\(file)"))
        let expected = MonteCarlo.run(model, .init(samples: 40_000, seed: 3, threads: 1))
        try await app.test(.router) { client in
            let session = try await PageTests.signIn(client, "quinn")
            let query = "file=\(file)&samples=40000&seed=3&sobol=0"
            let stream = try await PageTests.get(client, "/uncertainty/progress?\(query)", cookies: ["vf_session": session])
            #expect(stream.headers[.contentType] == "text/event-stream; charset=utf-8")
            let done = stream.html.components(separatedBy: "\n").filter { $0.hasPrefix("data: {\"done\":") }
                .compactMap { Int($0.dropFirst("data: {\"done\":".count).prefix { $0.isNumber }) }
            #expect(done.first == 0 && done.last == 40_000 && done == done.sorted() && done.count >= 3, "\(done)")
            #expect(stream.html.hasSuffix("event: done\ndata: {\"total\":40000}\n\n"))
            let page = try await PageTests.get(client, "/uncertainty?\(query)", cookies: ["vf_session": session])
            let c = model.costs.currency
            #expect(page.html.contains("<span class=\"value\">\(Fmt.money(expected.statistics(.costPerDose).mean, c))</span>"))
            // With Sobol indices (the default), a `sobol` event before each round, with its base samples.
            let sobolStream = try await PageTests.get(client, "/uncertainty/progress?file=\(file)&samples=1000&seed=3", cookies: ["vf_session": session])
            let rounds = sobolStream.html.components(separatedBy: "\n").filter { $0.hasPrefix("data: {\"samples\":") }
                .compactMap { Int($0.dropFirst("data: {\"samples\":".count).prefix { $0.isNumber }) }
            let sampling = try #require(
                Sensitivity.SobolRequest.automatic.sampling(inputs: model.parameters.count, mostEvaluations: PageRoutes.maxSobolEvaluations))
            let sobol = Sensitivity.sobol(model, sampling, seed: 3, threads: 1)
            #expect(rounds.count == sobol.rounds && rounds.first == Sensitivity.firstRoundSamples && rounds.last == sobol.samples, "\(rounds)")
            #expect(sobolStream.html.hasSuffix("event: done\ndata: {\"total\":1000}\n\n"))
            let refused = try await PageTests.get(client, "/uncertainty/progress?file=\(file)&samples=0&seed=3", cookies: ["vf_session": session])
            #expect(refused.html.hasPrefix("event: refused\ndata: samples must be"))
        }
    }
}
