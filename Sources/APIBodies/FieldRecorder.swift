import Foundation

/// The fields a body's `Decodable` conformance reads, found by decoding it once from a decoder
/// that records every key asked for: a body's fields are declared once, as its properties,
/// and the list of fields it accepts (and the values a choice takes) follows from them.
public enum FieldRecorder {
    public struct Fields: Sendable, Hashable {
        public var names: Set<String>
        /// The values of each field that is an enumeration of text values.
        public var choices: [String: [String]]
    }

    public static func fields<T: Decodable>(of type: T.Type) -> Fields {
        let recording = Recording()
        _ = try? T(from: RecordingDecoder(recording: recording, depth: 0))
        return recording.fields
    }

    final class Recording: @unchecked Sendable {
        var fields = Fields(names: [], choices: [:])
    }

    struct RecordingDecoder: Decoder {
        let recording: Recording
        /// Keys are recorded at the top level only (a nested object's are its own).
        let depth: Int
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            KeyedDecodingContainer(Keyed<Key>(recording: recording, depth: depth))
        }

        /// A list reads as empty.
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer { EmptyList() }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { throw Unsupported() }
    }

    struct Unsupported: Error {}

    /// A list with no element.
    struct EmptyList: UnkeyedDecodingContainer {
        var codingPath: [any CodingKey] { [] }
        var count: Int? { 0 }
        var isAtEnd: Bool { true }
        var currentIndex: Int { 0 }
        mutating func decodeNil() throws -> Bool { true }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { throw Unsupported() }
        mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> { throw Unsupported() }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { EmptyList() }
        mutating func superDecoder() throws -> any Decoder { throw Unsupported() }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let recording: Recording
        let depth: Int
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }

        func record(_ key: Key) { if depth == 0 { recording.fields.names.insert(key.stringValue) } }

        func contains(_ key: Key) -> Bool {
            record(key)
            return true
        }

        /// Every optional field reads as absent.
        func decodeNil(forKey key: Key) throws -> Bool {
            record(key)
            return true
        }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { record(key); return false }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { record(key); return "" }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { record(key); return 0 }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { record(key); return 0 }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { record(key); return 0 }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { record(key); return 0 }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { record(key); return 0 }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { record(key); return 0 }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { record(key); return 0 }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { record(key); return 0 }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { record(key); return 0 }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { record(key); return 0 }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { record(key); return 0 }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { record(key); return 0 }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            record(key)
            if let cases = T.self as? any CaseIterable.Type, let first = Self.firstCase(cases) as? T {
                if depth == 0 {
                    recording.fields.choices[key.stringValue] = Self.rawValues(cases)
                }
                return first
            }
            return try T(from: RecordingDecoder(recording: recording, depth: depth + 1))
        }

        /// An optional enumeration's values are recorded too, though it reads as absent.
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            record(key)
            if depth == 0, let cases = T.self as? any CaseIterable.Type {
                recording.fields.choices[key.stringValue] = Self.rawValues(cases)
            }
            return nil
        }

        static func firstCase<C: CaseIterable>(_ c: C.Type) -> Any? { c.allCases.first }

        static func rawValues<C: CaseIterable>(_ c: C.Type) -> [String] {
            c.allCases.compactMap { ($0 as? any RawRepresentable)?.rawValue as? String }
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            record(key)
            return KeyedDecodingContainer(Keyed<NestedKey>(recording: recording, depth: depth + 1))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            record(key)
            return EmptyList()
        }

        func superDecoder() throws -> any Decoder { RecordingDecoder(recording: recording, depth: depth + 1) }
        func superDecoder(forKey key: Key) throws -> any Decoder {
            record(key)
            return RecordingDecoder(recording: recording, depth: depth + 1)
        }
    }
}
