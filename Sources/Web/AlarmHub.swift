import Foundation
import NIOCore
import Synchronization

/// The live alarm banner's news: every signed-in page listens (server-sent events) and is told
/// how many alarms need attention whenever an ingest raises, escalates or ends one, or someone
/// acknowledges one. Listeners are bounded; each keeps only the newest message.
public final class AlarmHub: Sendable {
    /// The most pages listening at once; beyond, a page gets no live banner (it still shows the
    /// count it was served with).
    public static let maxListeners = 1000

    private struct State {
        var next = 0
        var listeners: [Int: AsyncStream<String>.Continuation] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A stream of messages (`event: …\ndata: …\n\n` text), or nil when too many listen.
    func listen() -> AsyncStream<String>? {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id: Int? = state.withLock { s in
            guard s.listeners.count < Self.maxListeners else { return nil }
            s.next += 1
            s.listeners[s.next] = continuation
            return s.next
        }
        guard let id else { return nil }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.listeners.removeValue(forKey: id) } }
        return stream
    }

    /// How many pages listen now.
    public var listeners: Int { state.withLock { $0.listeners.count } }

    /// Tells every listener the counts now.
    public func publish(_ counts: AlarmCounts) {
        let message = counts.event
        let all = state.withLock { Array($0.listeners.values) }
        for c in all { c.yield(message) }
    }
}

/// What the banner says: alarms still active and alarms not yet acknowledged (of which at the
/// action level).
public struct AlarmCounts: Sendable, Hashable, Codable {
    public var active: Int
    public var unacknowledged: Int
    public var action: Int

    public init(active: Int, unacknowledged: Int, action: Int) {
        self.active = active
        self.unacknowledged = unacknowledged
        self.action = action
    }

    /// Whether there is anything to show.
    public var any: Bool { active > 0 || unacknowledged > 0 }

    /// The banner's sentence.
    public var text: String {
        var parts: [String] = []
        if active > 0 { parts.append("\(active) alarm\(active == 1 ? "" : "s") active") }
        if unacknowledged > 0 {
            parts.append("\(unacknowledged) to acknowledge" + (action > 0 ? " (\(action) at action level)" : ""))
        }
        return parts.joined(separator: " · ")
    }

    /// The server-sent event carrying the counts.
    var event: String {
        "event: alarms\ndata: {\"active\":\(active),\"unacknowledged\":\(unacknowledged),\"action\":\(action),\"text\":\"\(text)\"}\n\n"
    }
}
