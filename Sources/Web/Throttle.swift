import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Sign-in throttling: at most `limit` failed sign-ins from one address (or for one username)
/// in `window` seconds, counted in memory; beyond, 429 with Retry-After, whatever the password —
/// each attempt costs 210,000 PBKDF2 rounds, and password spraying goes nowhere. The store's
/// lock-out after five wrong passwords in a row still applies to each account.
final class SignInThrottle: @unchecked Sendable {
    let limit: Int
    let window: TimeInterval
    private let lock = NSLock()
    private var failures: [String: [Date]] = [:]
    /// Keys kept at most (the oldest forgotten first): bounded memory under a flood.
    static let maxKeys = 10_000

    init(limit: Int = 20, window: TimeInterval = 300) {
        self.limit = limit
        self.window = window
    }

    struct TooMany: HTTPResponseError {
        var retryAfter: Int
        var status: HTTPResponse.Status { .tooManyRequests }

        func response(from request: Request, context: some RequestContext) throws -> Response {
            var r = try json(
                ErrorBody(
                    error: "too-many-attempts", message: "too many failed sign-ins: try again in \(retryAfter) s",
                    details: ["wait \(retryAfter) seconds"]),
                status: status)
            r.headers[.retryAfter] = String(retryAfter)
            return r
        }
    }

    /// Refuses when any key has used up its failed attempts.
    func check(_ keys: [String], now: Date = Date()) throws(TooMany) {
        let wait = lock.withLock { () -> Int? in
            var longest: TimeInterval?
            for key in keys {
                let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
                failures[key] = recent.isEmpty ? nil : recent
                if recent.count >= limit, let oldest = recent.first {
                    longest = max(longest ?? 0, window - now.timeIntervalSince(oldest))
                }
            }
            return longest.map { Int($0.rounded(.up)) }
        }
        if let wait { throw TooMany(retryAfter: max(1, wait)) }
    }

    func failed(_ keys: [String], now: Date = Date()) {
        lock.withLock {
            if failures.count >= Self.maxKeys {
                let stale = failures.filter { ($0.value.last.map { now.timeIntervalSince($0) } ?? .infinity) >= window }.map(\.key)
                for k in stale { failures[k] = nil }
                if failures.count >= Self.maxKeys { failures.removeAll() }
            }
            failures[keys[0], default: []].append(now)
            for key in keys.dropFirst() { failures[key, default: []].append(now) }
        }
    }

    func succeeded(username: String) { lock.withLock { failures["user:" + username] = nil } }

    /// The keys of an attempt: the client's address and the username.
    static func keys(_ context: AppContext, username: String) -> [String] {
        ["address:" + (context.remoteAddress ?? "local"), "user:" + username.prefix(100)]
    }
}
