import Foundation
import Testing

@testable import Reporting

/// The QR code of the enrolment page, read back the way a scanner does: format bits, the
/// zigzag of codewords, Reed–Solomon syndromes, the byte-mode payload. (The browser test also
/// decodes the page's image with zxing-cpp, an independent reader.)
@Suite struct QRCodeTests {
    static let address = "otpauth://totp/VectorFab:alex?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=VectorFab"

    /// The 15 format bits of one copy (the top-left one), unmasked.
    static func formatBits(_ q: QRCode) -> Int {
        var positions: [(Int, Int)] = (0..<6).map { (8, $0) }
        positions += [(8, 7), (8, 8), (7, 8)]
        positions += (9..<15).map { (14 - $0, 8) }
        return positions.enumerated().reduce(0) { $0 | (q[$1.element.0, $1.element.1] ? 1 << $1.offset : 0) } ^ 0x5412
    }

    static func secondFormatBits(_ q: QRCode) -> Int {
        let n = q.size
        var positions: [(Int, Int)] = (0..<8).map { (n - 1 - $0, 8) }
        positions += (8..<15).map { (8, n - 15 + $0) }
        return positions.enumerated().reduce(0) { $0 | (q[$1.element.0, $1.element.1] ? 1 << $1.offset : 0) } ^ 0x5412
    }

    /// The codewords read from the symbol: unmasked, in placement order.
    static func codewords(_ q: QRCode) -> [UInt8] {
        let function = QRCode.Matrix(version: q.version).function
        var bits: [Bool] = []
        var right = q.size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vert in 0..<q.size {
                for j in 0..<2 {
                    let x = right - j
                    let y = (right + 1) & 2 == 0 ? q.size - 1 - vert : vert
                    if !function[y * q.size + x] { bits.append(q[x, y] != QRCode.Matrix.masked(q.mask, x, y)) }
                }
            }
            right -= 2
        }
        return stride(from: 0, through: bits.count - 8, by: 8).map { s in bits[s..<s + 8].reduce(0) { $0 << 1 | ($1 ? 1 : 0) } }
    }

    @Test(arguments: [1, 14, 15, 26, 27, 62, 84, 98, 106, 122, 152, 180, 213])
    func readsBackWhatItEncodes(length: Int) throws {
        let text = String((Self.address + String(repeating: "0123456789abcdef", count: 14)).prefix(length))
        let q = try QRCode(text)
        #expect(q.size == 17 + 4 * q.version)
        #expect(QRCode.capacity(q.version) >= length)
        #expect(q.version == 1 || QRCode.capacity(q.version - 1) < length)
        // The three finder patterns (7×7, dark ring, light ring, 3×3 core) and their separators.
        for (ox, oy) in [(0, 0), (q.size - 7, 0), (0, q.size - 7)] {
            for dy in 0..<7 {
                for dx in 0..<7 {
                    let d = max(abs(dx - 3), abs(dy - 3))
                    #expect(q[ox + dx, oy + dy] == (d != 2))
                }
            }
        }
        // Both copies of the format: level M (00), the mask, and a valid BCH(15,5) code.
        let format = Self.formatBits(q)
        #expect(format == Self.secondFormatBits(q))
        #expect(format >> 10 == q.mask)
        var rem = format >> 10
        for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
        #expect(format & 0x3FF == rem & 0x3FF)
        // De-interleave the blocks; every block's syndromes are zero.
        let structure = QRCode.blocks[q.version - 1]
        let words = Self.codewords(q)
        let sizes = structure.groups.flatMap { g in Array(repeating: g.data, count: g.count) }
        var blocks = sizes.map { _ in [UInt8]() }
        var k = 0
        for i in 0..<(sizes.max() ?? 0) { for b in blocks.indices where i < sizes[b] { blocks[b].append(words[k]); k += 1 } }
        let data = blocks.flatMap { $0 }
        for _ in 0..<structure.ec { for b in blocks.indices { blocks[b].append(words[k]); k += 1 } }
        for block in blocks { #expect(ReedSolomon.syndromes(block, degree: structure.ec).allSatisfy { $0 == 0 }) }
        // Byte mode, the count, the bytes.
        var bits: [Bool] = data.flatMap { w -> [Bool] in (0..<8).map { (w >> (7 - $0)) & 1 == 1 } }
        func take(_ n: Int) -> Int { defer { bits.removeFirst(n) }; return bits.prefix(n).reduce(0) { $0 << 1 | ($1 ? 1 : 0) } }
        #expect(take(4) == 0b0100)
        let count = take(q.version < 10 ? 8 : 16)
        #expect(count == length)
        let bytes = (0..<count).map { _ in UInt8(take(8)) }
        #expect(String(decoding: bytes, as: UTF8.self) == text)
    }

    @Test func aDamagedBlockHasNonZeroSyndromes() {
        let data = QRCode.encode(Array("VectorFab".utf8), version: 1)
        var block = data + ReedSolomon.remainder(data, ReedSolomon.generator(degree: 10))
        #expect(ReedSolomon.syndromes(block, degree: 10).allSatisfy { $0 == 0 })
        block[3] ^= 0x40
        #expect(!ReedSolomon.syndromes(block, degree: 10).allSatisfy { $0 == 0 })
    }

    @Test func refusesMoreThanTheLargestVersionHolds() {
        #expect(throws: QRCode.Failure.tooLong(bytes: 214, limit: 213)) { try QRCode(String(repeating: "x", count: 214)) }
    }

    @Test func drawsItsQuietZoneAndOneSquarePerModuleRun() throws {
        let q = try QRCode(Self.address)
        let svg = q.svg(scale: 4, label: "a <test>")
        #expect(svg.contains("viewBox=\"0 0 \(q.size + 8) \(q.size + 8)\""))
        #expect(svg.contains("aria-label=\"a &lt;test&gt;\""))
        let runs = (0..<q.size).reduce(0) { total, y in
            total + (0..<q.size).filter { x in q[x, y] && (x == 0 || !q[x - 1, y]) }.count
        }
        #expect(svg.components(separatedBy: "z").count - 1 == runs)
    }
}
