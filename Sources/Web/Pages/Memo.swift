import Foundation

/// Results kept for the files they come from (by path, size and modification date): a page
/// and its downloads, and the next visitor, share one plan of a facility and a demand.
final class Memo<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String: Value] = [:]
    private var order: [String] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func get(_ key: String) -> Value? { lock.withLock { kept[key] } }

    func set(_ key: String, _ v: Value) {
        lock.withLock {
            if kept[key] == nil { order.append(key) }
            kept[key] = v
            if order.count > capacity { kept[order.removeFirst()] = nil }
        }
    }

    func value(_ key: String, _ make: () throws -> Value) rethrows -> Value {
        if let v = lock.withLock({ kept[key] }) { return v }
        let v = try make()
        lock.withLock {
            if kept[key] == nil {
                kept[key] = v
                order.append(key)
                if order.count > capacity { kept[order.removeFirst()] = nil }
            }
        }
        return v
    }
}

/// `path` with its size and modification date, for keys of what is computed from the file: a
/// changed file is read again.
func fileStamp(_ path: String) -> String {
    let a = try? FileManager.default.attributesOfItem(atPath: path)
    let size = (a?[.size] as? NSNumber)?.intValue ?? -1
    let date = (a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
    return "\(path)#\(size)#\(date)"
}
