/// A QR code (ISO/IEC 18004) for a short text, drawn as SVG: byte mode, error correction level
/// M (15 % of the symbol may be damaged), versions 1 to 10 (up to 213 bytes) — enough for the
/// `otpauth://` address an authenticator app scans at enrolment. Written here because nothing
/// may be loaded at run time; checked by decoding the page's image with zxing-cpp in the
/// browser test, and by its own structure in the unit tests.
public struct QRCode: Sendable, Equatable {
    /// Side of the symbol in modules (21 for version 1, 4 more per version).
    public let size: Int
    public let version: Int
    /// The mask chosen (0–7), the one with the lowest penalty.
    public let mask: Int
    /// Row-major, `true` for a dark module.
    public let modules: [Bool]

    public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case tooLong(bytes: Int, limit: Int)
        public var description: String {
            switch self {
            case .tooLong(let bytes, let limit): "a QR code here holds at most \(limit) bytes, not \(bytes)"
            }
        }
    }

    /// Level M block structure per version: error-correction codewords per block, then the
    /// blocks as (count, data codewords).
    static let blocks: [(ec: Int, groups: [(count: Int, data: Int)])] = [
        (10, [(1, 16)]), (16, [(1, 28)]), (26, [(1, 44)]), (18, [(2, 32)]), (24, [(2, 43)]),
        (16, [(4, 27)]), (18, [(4, 31)]), (22, [(2, 38), (2, 39)]), (22, [(3, 36), (2, 37)]),
        (26, [(4, 43), (1, 44)]),
    ]
    static let alignment: [[Int]] = [
        [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50],
    ]
    public static let maxVersion = 10

    static func dataCodewords(_ version: Int) -> Int {
        blocks[version - 1].groups.reduce(0) { $0 + $1.count * $1.data }
    }

    /// Bytes a version holds in byte mode (4-bit mode, 8- or 16-bit count).
    static func capacity(_ version: Int) -> Int {
        (dataCodewords(version) * 8 - 4 - (version < 10 ? 8 : 16)) / 8
    }

    public static var maxBytes: Int { capacity(maxVersion) }

    public init(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard let version = (1...Self.maxVersion).first(where: { Self.capacity($0) >= bytes.count }) else {
            throw Failure.tooLong(bytes: bytes.count, limit: Self.maxBytes)
        }
        let codewords = Self.interleaved(Self.encode(bytes, version: version), version: version)
        var best: Matrix?
        var bestPenalty = Int.max
        for mask in 0..<8 {
            var m = Matrix(version: version)
            m.place(codewords)
            m.apply(mask: mask)
            m.drawFormat(mask: mask)
            let p = m.penalty()
            if p < bestPenalty { best = m; bestPenalty = p }
        }
        let chosen = best!
        self.version = version
        self.size = chosen.size
        self.mask = chosen.mask
        self.modules = chosen.dark
    }

    /// Mode, count, data, terminator and padding, as data codewords.
    static func encode(_ bytes: [UInt8], version: Int) -> [UInt8] {
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) {
            for i in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) }
        }
        append(0b0100, 4)
        append(bytes.count, version < 10 ? 8 : 16)
        for b in bytes { append(Int(b), 8) }
        let capacityBits = dataCodewords(version) * 8
        append(0, min(4, capacityBits - bits.count))
        if bits.count % 8 != 0 { append(0, 8 - bits.count % 8) }
        var words: [UInt8] = stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(0) { $0 << 1 | ($1 ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC
        while words.count < dataCodewords(version) {
            words.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return words
    }

    /// Data split into blocks, each followed by its Reed–Solomon codewords, then interleaved.
    static func interleaved(_ data: [UInt8], version: Int) -> [UInt8] {
        let structure = blocks[version - 1]
        var dataBlocks: [[UInt8]] = []
        var start = 0
        for group in structure.groups {
            for _ in 0..<group.count {
                dataBlocks.append(Array(data[start..<start + group.data]))
                start += group.data
            }
        }
        let generator = ReedSolomon.generator(degree: structure.ec)
        let ecBlocks = dataBlocks.map { ReedSolomon.remainder($0, generator) }
        var out: [UInt8] = []
        let longest = dataBlocks.map(\.count).max() ?? 0
        for i in 0..<longest { for block in dataBlocks where i < block.count { out.append(block[i]) } }
        for i in 0..<structure.ec { for block in ecBlocks { out.append(block[i]) } }
        return out
    }

    /// The symbol as SVG, one path of dark squares, with the four-module quiet zone the
    /// standard asks for; `scale` pixels a module.
    public func svg(scale: Int = 6, label: String) -> String {
        let quiet = 4
        let side = (size + 2 * quiet) * scale
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard self[x, y] else { x += 1; continue }
                let start = x
                while x < size, self[x, y] { x += 1 }
                path += "M\(start + quiet) \(y + quiet)h\(x - start)v1h-\(x - start)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="qr" width="\(side)" height="\(side)" \
            viewBox="0 0 \(size + 2 * quiet) \(size + 2 * quiet)" shape-rendering="crispEdges" role="img" aria-label="\(xmlEscaped(label))">\
            <rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    /// The module grid while it is built: which modules are function patterns, which are dark.
    struct Matrix {
        let version: Int
        let size: Int
        var dark: [Bool]
        var function: [Bool]
        var mask = 0

        init(version: Int) {
            self.version = version
            size = 17 + 4 * version
            dark = Array(repeating: false, count: size * size)
            function = Array(repeating: false, count: size * size)
            drawFunctionPatterns()
        }

        mutating func set(_ x: Int, _ y: Int, _ value: Bool) {
            dark[y * size + x] = value
            function[y * size + x] = true
        }

        mutating func drawFunctionPatterns() {
            for i in 0..<size {
                set(6, i, i % 2 == 0)
                set(i, 6, i % 2 == 0)
            }
            for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 {
                        let x = cx + dx, y = cy + dy
                        guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                        let d = max(abs(dx), abs(dy))
                        set(x, y, d != 2 && d != 4)
                    }
                }
            }
            let centres = QRCode.alignment[version - 1]
            for (i, cy) in centres.enumerated() {
                for (j, cx) in centres.enumerated() {
                    let last = centres.count - 1
                    if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                    for dy in -2...2 { for dx in -2...2 { set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) } }
                }
            }
            drawFormat(mask: 0)
            if version >= 7 {
                var rem = version
                for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
                let bits = version << 12 | rem
                for i in 0..<18 {
                    let bit = (bits >> i) & 1 == 1
                    let a = size - 11 + i % 3, b = i / 3
                    set(a, b, bit)
                    set(b, a, bit)
                }
            }
        }

        /// The 15 format bits (level M, the mask) in both copies, and the dark module.
        mutating func drawFormat(mask: Int) {
            self.mask = mask
            let data = 0b00 << 3 | mask
            var rem = data
            for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
            let bits = (data << 10 | rem) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
            for i in 0..<6 { set(8, i, bit(i)) }
            set(8, 7, bit(6))
            set(8, 8, bit(7))
            set(7, 8, bit(8))
            for i in 9..<15 { set(14 - i, 8, bit(i)) }
            for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
            for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
            set(8, size - 8, true)
        }

        /// Codewords laid in the two-column zigzag from the bottom right, skipping the timing
        /// column.
        mutating func place(_ codewords: [UInt8]) {
            var i = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                for vert in 0..<size {
                    for j in 0..<2 {
                        let x = right - j
                        let upward = (right + 1) & 2 == 0
                        let y = upward ? size - 1 - vert : vert
                        if !function[y * size + x], i < codewords.count * 8 {
                            dark[y * size + x] = (codewords[i >> 3] >> (7 - (i & 7))) & 1 == 1
                            i += 1
                        }
                    }
                }
                right -= 2
            }
        }

        static func masked(_ mask: Int, _ x: Int, _ y: Int) -> Bool {
            switch mask {
            case 0: (x + y) % 2 == 0
            case 1: y % 2 == 0
            case 2: x % 3 == 0
            case 3: (x + y) % 3 == 0
            case 4: (x / 3 + y / 2) % 2 == 0
            case 5: x * y % 2 + x * y % 3 == 0
            case 6: (x * y % 2 + x * y % 3) % 2 == 0
            default: ((x + y) % 2 + x * y % 3) % 2 == 0
            }
        }

        mutating func apply(mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !function[y * size + x] && Self.masked(mask, x, y) {
                    dark[y * size + x].toggle()
                }
            }
        }

        /// The standard's four penalties: runs of five or more, 2×2 blocks, finder-like
        /// patterns, and imbalance of dark and light.
        func penalty() -> Int {
            var total = 0
            func at(_ x: Int, _ y: Int, _ rows: Bool) -> Bool { rows ? dark[y * size + x] : dark[x * size + y] }
            let finder: [Bool] = [true, false, true, true, true, false, true]
            for rows in [true, false] {
                for y in 0..<size {
                    var run = 1
                    for x in 1..<size {
                        if at(x, y, rows) == at(x - 1, y, rows) {
                            run += 1
                        } else {
                            if run >= 5 { total += run - 2 }
                            run = 1
                        }
                    }
                    if run >= 5 { total += run - 2 }
                    for x in 0...(size - 7) {
                        guard (0..<7).allSatisfy({ at(x + $0, y, rows) == finder[$0] }) else { continue }
                        let before = (x - 4..<x).allSatisfy { $0 < 0 || !at($0, y, rows) }
                        let after = (x + 7..<x + 11).allSatisfy { $0 >= size || !at($0, y, rows) }
                        if before || after { total += 40 }
                    }
                }
            }
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) {
                    let c = dark[y * size + x]
                    if c == dark[y * size + x + 1], c == dark[(y + 1) * size + x], c == dark[(y + 1) * size + x + 1] { total += 3 }
                }
            }
            let darkCount = dark.reduce(0) { $0 + ($1 ? 1 : 0) }
            let percent = darkCount * 100 / (size * size)
            total += abs(percent - 50) / 5 * 10
            return total
        }
    }
}

/// Reed–Solomon error correction over GF(256) with the QR polynomial x⁸+x⁴+x³+x²+1.
enum ReedSolomon {
    static let tables: (exp: [UInt8], log: [Int]) = {
        var exp = [UInt8](repeating: 0, count: 512)
        var log = [Int](repeating: 0, count: 256)
        var x = 1
        for i in 0..<255 {
            exp[i] = UInt8(x)
            log[x] = i
            x <<= 1
            if x & 0x100 != 0 { x ^= 0x11D }
        }
        for i in 255..<512 { exp[i] = exp[i - 255] }
        return (exp, log)
    }()

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        a == 0 || b == 0 ? 0 : tables.exp[tables.log[Int(a)] + tables.log[Int(b)]]
    }

    /// The generator ∏ (x − αⁱ), i < degree, highest coefficient first (the leading 1 dropped).
    static func generator(degree: Int) -> [UInt8] {
        var g: [UInt8] = [1]
        for i in 0..<degree {
            var next = [UInt8](repeating: 0, count: g.count + 1)
            for (j, c) in g.enumerated() {
                next[j] ^= c
                next[j + 1] ^= multiply(c, tables.exp[i])
            }
            g = next
        }
        return Array(g.dropFirst())
    }

    /// The remainder of data·x^degree divided by the generator: the error-correction codewords.
    static func remainder(_ data: [UInt8], _ generator: [UInt8]) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: generator.count)
        for d in data {
            let factor = d ^ r[0]
            r.removeFirst()
            r.append(0)
            for (i, g) in generator.enumerated() { r[i] ^= multiply(g, factor) }
        }
        return r
    }

    /// The syndromes of a whole block (data then error correction): all zero when intact.
    static func syndromes(_ block: [UInt8], degree: Int) -> [UInt8] {
        (0..<degree).map { i in
            block.reduce(0) { multiply($0, tables.exp[i]) ^ $1 }
        }
    }
}
