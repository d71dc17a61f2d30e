/// How vector particles are counted: a product's vector quantities all use one of these.
public enum VectorCounting: String, Sendable, Hashable, Codable {
    /// Vector genomes (`vg`), for AAV.
    case genomes = "vg"
    /// Transducing units (`TU`), for lentivirus.
    case transducingUnits = "TU"
    /// AAV capsids (`cp`), full, partial and empty together: what a chromatography resin binds.
    case capsids = "cp"
    /// Lentiviral physical particles (`VP`), infectious or not.
    case particles = "VP"

    /// The unit symbol written in files and reports.
    public var symbol: String { rawValue }

    /// The dose counting a particle counting belongs to (capsids to genomes, particles to TU),
    /// or itself.
    public var product: VectorCounting {
        switch self {
        case .genomes, .capsids: .genomes
        case .transducingUnits, .particles: .transducingUnits
        }
    }

    /// How the physical particles of a product counted this way are counted.
    public var physical: VectorCounting {
        switch self {
        case .genomes, .capsids: .capsids
        case .transducingUnits, .particles: .particles
        }
    }

    /// Whether this counts physical particles rather than the dose's units.
    public var isPhysical: Bool { self == .capsids || self == .particles }
}

/// The currencies money can be written in. They do not convert without a stated exchange rate.
public enum Currency: String, Sendable, Hashable, Codable, CaseIterable {
    case eur = "EUR"
    case usd = "USD"

    /// The dimension of an amount in this currency.
    public var dimension: UnitDimension { self == .eur ? UnitDimension(euro: 1) : UnitDimension(dollar: 1) }
}

/// A unit of measure: a factor to the canonical (SI-based) unit of its dimension.
///
/// Units are parsed from expressions such as `cells/mL`, `L/m²/h`, `vg/kg` or `EUR/g`:
/// symbols joined by `/` (divide), `·`, `*` or a space (multiply), each with an optional
/// integer power (`m²`, `m^2`, `m2`). The canonical units are m, kg, s, one cell, one vector
/// particle, one infectious unit, one base, 1 EUR and 1 USD.
public struct Unit: Hashable, Sendable {
    /// Multiply a value in this unit by `factor` to get it in the canonical unit.
    public var factor: Double
    public var dimension: UnitDimension
    /// Which vector count the expression used (`vg` or `TU`), if it has a vector symbol.
    public var vectorCounting: VectorCounting?

    public init(factor: Double, dimension: UnitDimension, vectorCounting: VectorCounting? = nil) {
        self.factor = factor
        self.dimension = dimension
        self.vectorCounting = vectorCounting
    }

    public static let one = Unit(factor: 1, dimension: .none)

    public static func * (a: Unit, b: Unit) -> Unit {
        Unit(
            factor: a.factor * b.factor, dimension: a.dimension * b.dimension,
            vectorCounting: a.vectorCounting ?? b.vectorCounting)
    }

    public static func / (a: Unit, b: Unit) -> Unit {
        Unit(
            factor: a.factor / b.factor, dimension: a.dimension / b.dimension,
            vectorCounting: a.vectorCounting ?? b.vectorCounting)
    }

    /// This unit raised to an integer power.
    public func power(_ n: Int8) -> Unit {
        var f = 1.0
        for _ in 0..<abs(Int(n)) { f *= factor }
        return Unit(
            factor: n < 0 ? 1 / f : f, dimension: dimension.power(n), vectorCounting: vectorCounting)
    }
}

/// The symbols VectorFab understands, each a factor to the canonical unit.
///
/// The table is deliberately explicit (no free SI prefixes), so that `mL` cannot be read as
/// `m·L` and a typo is an error rather than a guess.
public enum UnitSymbols {
    private static let m = UnitDimension(length: 1)
    private static let kg = UnitDimension(mass: 1)
    private static let s = UnitDimension(time: 1)

    /// Every accepted symbol with its unit. Synonyms (`µL`, `uL`, `μL`) map to the same unit.
    public static let table: [String: Unit] = {
        var t: [String: Unit] = [:]
        func add(_ symbols: [String], _ factor: Double, _ d: UnitDimension, _ v: VectorCounting? = nil) {
            for symbol in symbols { t[symbol] = Unit(factor: factor, dimension: d, vectorCounting: v) }
        }
        // Length, area and volume.
        add(["m"], 1, m)
        add(["cm"], 1e-2, m)
        add(["mm"], 1e-3, m)
        add(["µm", "μm", "um"], 1e-6, m)
        add(["L", "l"], 1e-3, m.power(3))
        add(["mL", "ml"], 1e-6, m.power(3))
        add(["µL", "μL", "uL", "ul"], 1e-9, m.power(3))
        // Mass.
        add(["kg"], 1, kg)
        add(["g"], 1e-3, kg)
        add(["mg"], 1e-6, kg)
        add(["µg", "μg", "ug"], 1e-9, kg)
        add(["ng"], 1e-12, kg)
        add(["pg"], 1e-15, kg)
        // Time.
        add(["s"], 1, s)
        add(["min"], 60, s)
        add(["h"], 3600, s)
        add(["d", "day", "days"], 86_400, s)
        add(["wk", "week", "weeks"], 604_800, s)
        add(["yr", "year", "years"], 365 * 86_400, s)
        // Counts.
        add(["cells", "cell"], 1, UnitDimension(cells: 1))
        add(["vg"], 1, UnitDimension(vector: 1), .genomes)
        add(["TU"], 1, UnitDimension(vector: 1), .transducingUnits)
        add(["cp"], 1, UnitDimension(vector: 1), .capsids)
        add(["VP"], 1, UnitDimension(vector: 1), .particles)
        add(["pfu"], 1, UnitDimension(infectious: 1))
        add(["bp", "b", "nt"], 1, UnitDimension(bases: 1))
        add(["kb", "kbp"], 1e3, UnitDimension(bases: 1))
        // Money.
        add(["EUR", "€"], 1, UnitDimension(euro: 1))
        add(["kEUR", "k€"], 1e3, UnitDimension(euro: 1))
        add(["MEUR", "M€"], 1e6, UnitDimension(euro: 1))
        add(["USD", "$"], 1, UnitDimension(dollar: 1))
        add(["kUSD", "k$"], 1e3, UnitDimension(dollar: 1))
        add(["MUSD", "M$"], 1e6, UnitDimension(dollar: 1))
        // Pure numbers.
        add(["%"], 0.01, .none)
        return t
    }()
}

/// Why a unit expression could not be read.
public struct UnitParseError: Error, Equatable, Sendable {
    public var message: String
}

extension Unit {
    /// Reads a unit expression such as `cells/mL`, `L/m²/h` or `EUR/g`.
    public static func parse(_ text: String) throws(UnitParseError) -> Unit {
        let expression = text.trimmingSpaces
        guard !expression.isEmpty else { throw UnitParseError(message: "no unit was given") }
        var result = Unit.one
        var dividing = false
        var token = ""
        var pendingOperator = false

        func flush() throws(UnitParseError) {
            guard !token.isEmpty else { return }
            let unit = try parseFactor(token)
            result = dividing ? result / unit : result * unit
            guard result.dimension.isWithinLimits, result.factor.isFinite, result.factor > 0 else {
                throw UnitParseError(
                    message: "'\(text)' raises a dimension beyond the power of \(UnitDimension.maxExponent) or a factor beyond range")
            }
            if let a = result.vectorCounting, let b = unit.vectorCounting, a != b {
                throw UnitParseError(message: "'\(text)' mixes \(a.symbol) and \(b.symbol)")
            }
            token = ""
            dividing = false
            pendingOperator = false
        }

        for ch in expression {
            switch ch {
            case "/":
                if token.isEmpty && !pendingOperator && result == .one {
                    throw UnitParseError(message: "'\(text)' starts with '/'")
                }
                try flush()
                if pendingOperator { throw UnitParseError(message: "'\(text)' has two operators in a row") }
                dividing = true
                pendingOperator = true
            case "·", "*", "⋅", " ":
                try flush()
            default:
                token.append(ch)
            }
        }
        if token.isEmpty && pendingOperator {
            throw UnitParseError(message: "'\(text)' ends with an operator")
        }
        try flush()
        return result
    }

    /// One symbol with an optional power: `m²`, `m^2`, `m2`, `cm³`.
    private static func parseFactor(_ token: String) throws(UnitParseError) -> Unit {
        if let unit = UnitSymbols.table[token] { return unit }
        var symbol = token
        var power: Int8 = 1
        if let caret = token.firstIndex(of: "^") {
            symbol = String(token[..<caret])
            guard let p = Int8(token[token.index(after: caret)...]), p != 0, abs(Int(p)) <= UnitDimension.maxExponent
            else {
                throw UnitParseError(
                    message: "'\(token)' has a power that is not a non-zero integer from -\(UnitDimension.maxExponent) to \(UnitDimension.maxExponent)")
            }
            power = p
        } else if let last = token.last, let p = superscriptOrDigitPower(last) {
            symbol = String(token.dropLast())
            power = p
        }
        guard let base = UnitSymbols.table[symbol] else {
            throw UnitParseError(message: "'\(token)' is not a known unit")
        }
        return base.power(power)
    }

    private static func superscriptOrDigitPower(_ c: Character) -> Int8? {
        switch c {
        case "²", "2": return 2
        case "³", "3": return 3
        default: return nil
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
