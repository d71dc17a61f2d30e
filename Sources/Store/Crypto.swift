import Crypto
import Foundation
import Manufacturing
import _CryptoExtras

/// Password hashing: PBKDF2 with HMAC-SHA-256 and a random 16-byte salt, stored as
/// `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64). Slow on purpose: 210,000 iterations by
/// default (OWASP's recommendation for PBKDF2-SHA-256); tests may use fewer.
enum Passwords {
    static func hash(_ password: String, iterations: Int) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: .min ... .max, using: &rng) }
        guard let derived = pbkdf2(Array(password.utf8), salt: salt, iterations: iterations) else {
            throw GMPError(.invalid, "the password could not be hashed")
        }
        return "pbkdf2-sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Hashing runs on one thread of its own, at the lowest scheduling priority: 20 sign-ins
    /// at once take their turns on at most one core, and only with the time other clients'
    /// reads and writes leave (a sign-in waits a little longer; nobody else does).
    private static let hashing = HashingThread()

    /// ``verify(_:against:)`` on the hashing thread.
    static func verifyOffThread(_ password: String, against stored: String) async -> Bool {
        await withCheckedContinuation { continuation in
            hashing.submit { continuation.resume(returning: verify(password, against: stored)) }
        }
    }

    /// ``hash(_:iterations:)`` on the hashing thread.
    static func hashOffThread(_ password: String, iterations: Int) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            hashing.submit { continuation.resume(with: Result { try hash(password, iterations: iterations) }) }
        }
    }

    static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        // A stored count outside 1–10,000,000 (edited behind the application's back) fails the
        // check rather than holding the store for hours.
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]), (1...10_000_000).contains(iterations),
            let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3]))
        else { return false }
        guard let derived = pbkdf2(Array(password.utf8), salt: Array(salt), iterations: iterations) else { return false }
        // Constant-time comparison.
        guard derived.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(derived, expected) { difference |= a ^ b }
        return difference == 0
    }

    /// PBKDF2 (RFC 8018) with HMAC-SHA-256, 32 bytes, by swift-crypto's `_CryptoExtras`
    /// (BoringSSL): no allocation per round.
    static func pbkdf2(_ password: [UInt8], salt: [UInt8], iterations: Int, bytes: Int = 32) -> [UInt8]? {
        guard
            let key = try? KDF.Insecure.PBKDF2.deriveKey(
                from: password, salt: salt, using: .sha256, outputByteCount: bytes, unsafeUncheckedRounds: max(1, iterations))
        else { return nil }
        return key.withUnsafeBytes { Array($0) }
    }
}

/// A thread that runs jobs one after another, first in first out, at nice 19.
final class HashingThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    init() {
        let thread = Thread { [self] in self.run() }
        thread.name = "vectorfab.passwords"
        thread.start()
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        #if os(Linux)
            // On Linux `who = 0` is the calling thread: the lowest priority of the normal scheduler
            // (a share when the cores are busy, never starved).
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        #endif
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

func sha256Hex(_ text: String) -> String { hex(SHA256.hash(data: Array(text.utf8))) }

/// Bytes as lower-case hexadecimal (a formatter per byte cost a fifth of every write).
public func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

func randomToken() -> String {
    var rng = SystemRandomNumberGenerator()
    return hex((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) })
}

/// What makes a signature's password re-entry fast without weakening the stored hash: after a
/// full PBKDF2 check (at sign-in, or at a signature), the store keeps in memory — never in the
/// database — an HMAC of the password under a key drawn when the store opened, beside the stored
/// hash it was checked against. A signature within the session re-enters the password and it is
/// compared with that HMAC in microseconds instead of 40 ms of PBKDF2 on the one hashing thread.
/// The entry is good only while the stored hash is the same (a password change, a reset or an
/// edit behind the application's back makes it miss) and for a session's length; a password
/// that does not match is checked by PBKDF2 anyway and counted toward lock-out as before. The
/// database dump an attacker might take still holds only the slow hashes; what memory holds is
/// no more than the passwords that pass through it at every signature.
final class SignatureKeys: @unchecked Sendable {
    private let key = SymmetricKey(size: .bits256)
    private let lock = NSLock()
    private var entries: [String: (hash: String, mac: HashedAuthenticationCode<SHA256>, at: Date)] = [:]
    private var hits = 0
    /// The most accounts remembered; beyond, the oldest half is forgotten (a full check next).
    static let limit = 10_000

    private func mac(_ password: String) -> HashedAuthenticationCode<SHA256> {
        HMAC<SHA256>.authenticationCode(for: Array(password.utf8), using: key)
    }

    func remember(userID: String, hash: String, password: String, at: Date) {
        let code = mac(password)
        lock.withLock {
            if entries.count >= Self.limit {
                let keep = entries.sorted { $0.value.at > $1.value.at }.prefix(Self.limit / 2)
                entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
            }
            entries[userID] = (hash, code, at)
        }
    }

    /// Whether the password is the one last checked for this account against this stored hash,
    /// within `maxAge`. (HMAC codes compare in constant time.)
    func matches(userID: String, hash: String, password: String, now: Date, maxAge: TimeInterval) -> Bool {
        guard let entry = lock.withLock({ entries[userID] }), entry.hash == hash, now.timeIntervalSince(entry.at) <= maxAge else {
            return false
        }
        guard entry.mac == mac(password) else { return false }
        lock.withLock { hits += 1 }
        return true
    }

    /// Password checks answered without PBKDF2 since the store opened.
    var answered: Int { lock.withLock { hits } }
}
