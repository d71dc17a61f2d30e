import Crypto
import Foundation

/// Password hashing: PBKDF2 with HMAC-SHA-256 and a random 16-byte salt, stored as
/// `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64). Slow on purpose: 210,000 iterations by
/// default (OWASP's recommendation for PBKDF2-SHA-256); tests may use fewer.
enum Passwords {
    static func hash(_ password: String, iterations: Int) -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: .min ... .max, using: &rng) }
        let derived = pbkdf2(Array(password.utf8), salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        // A stored count outside 1–10,000,000 (edited behind the application's back) fails the
        // check rather than holding the store for hours.
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]), (1...10_000_000).contains(iterations),
            let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3]))
        else { return false }
        let derived = pbkdf2(Array(password.utf8), salt: Array(salt), iterations: iterations)
        // Constant-time comparison.
        guard derived.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(derived, expected) { difference |= a ^ b }
        return difference == 0
    }

    /// PBKDF2 (RFC 8018) with HMAC-SHA-256, one 32-byte block.
    static func pbkdf2(_ password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: password)
        var u = Array(HMAC<SHA256>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
        var t = u
        for _ in 1..<max(1, iterations) {
            u = Array(HMAC<SHA256>.authenticationCode(for: u, using: key))
            for i in t.indices { t[i] ^= u[i] }
        }
        return t
    }
}

func sha256Hex(_ text: String) -> String {
    SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
}

func randomToken() -> String {
    var rng = SystemRandomNumberGenerator()
    return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &rng)) }.joined()
}
