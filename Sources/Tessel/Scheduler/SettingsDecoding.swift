/// Strict decoding for settings files: unknown keys are errors, missing keys take defaults,
/// and integers are checked so that an error names the key (the JSON decoder itself reports
/// `2.5` or `1e30` for an `Int` as invalid JSON without saying where).
extension Decoder {
    /// A keyed container that throws `DecodingError.dataCorrupted` at the first unknown key
    /// (in sorted order) when the object holds a key that `Key` does not list.
    func strictContainer<Key: CodingKey & CaseIterable>(keyedBy _: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let known = Set(Key.allCases.map(\.stringValue))
        let present: [AnyCodingKey]
        do {
            present = try container(keyedBy: AnyCodingKey.self).allKeys
        } catch DecodingError.typeMismatch {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath,
                                                    debugDescription: "expected an object, found \(valueDescription())"))
        }
        if let unknown = present.filter({ !known.contains($0.stringValue) }).min(by: { $0.stringValue < $1.stringValue }) {
            let expected = Key.allCases.map { "'\($0.stringValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [unknown],
                                                    debugDescription: "unknown key (expected one of \(expected))"))
        }
        return try container(keyedBy: Key.self)
    }

    /// The value this decoder reads, in words (`null`, `true`, `the number 2.5`,
    /// `the string "4"`, `an object`, `an array`, or a number out of Double's range), for
    /// error messages.
    package func valueDescription() -> String {
        guard let single = try? singleValueContainer() else { return "a value of unknown kind" }
        if single.decodeNil() { return "null" }
        if let value = try? single.decode(Bool.self) { return "\(value)" }
        if let value = try? single.decode(Double.self) { return "the number \(value)" }
        if let value = try? single.decode(String.self) { return "the string \(value.debugDescription)" }
        if (try? container(keyedBy: AnyCodingKey.self)) != nil { return "an object" }
        if (try? unkeyedContainer()) != nil { return "an array" }
        // The JSON decoder refuses a number beyond Double's range (`1e999`) for every type.
        return "a number outside the range of a Double"
    }
}

extension KeyedDecodingContainer {
    /// The integer at `key`, or `fallback` when the key is absent.
    func integer(_ key: Key, default fallback: Int) throws -> Int {
        contains(key) ? try integer(key) : fallback
    }

    /// The integer at `key`; `null` or an absent key gives `fallback`.
    func optionalInteger(_ key: Key, default fallback: Int?) throws -> Int? {
        guard contains(key) else { return fallback }
        return try decodeNil(forKey: key) ? nil : integer(key)
    }

    /// The value at `key`, or `fallback` when the key is absent.
    func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        contains(key) ? try decode(T.self, forKey: key) : fallback
    }

    private func integer(_ key: Key) throws -> Int {
        guard let number = try? decode(Double.self, forKey: key), let integer = Int(exactly: number) else {
            let found = (try? superDecoder(forKey: key).valueDescription()) ?? "a value of unknown kind"
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected an integer, found \(found)")
        }
        return integer
    }
}

extension DecodingError {
    /// The dotted path of the offending key, e.g. `tiles.gemmRowBlock`, with array positions
    /// in brackets (`network.layers[2].filters`), or `(document)` for an error about the whole file.
    package var dottedKey: String {
        let path: [any CodingKey]
        switch self {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            path = context.codingPath
        case let .keyNotFound(key, context):
            path = context.codingPath + [key]
        @unknown default:
            path = []
        }
        guard !path.isEmpty else { return "(document)" }
        return path.enumerated().map { position, key in
            key.intValue.map { "[\($0)]" } ?? (position == 0 ? "" : ".") + key.stringValue
        }.joined()
    }

    /// What is wrong with the JSON document `bytes`, in words. The decoder reports a number
    /// beyond Double's range (`1e999`) only as invalid JSON, without a key: that case names
    /// the number and where it is.
    package func reason(in bytes: [UInt8]) -> String {
        guard dottedKey == "(document)", let number = JSONNumbers.firstOutOfRange(in: bytes) else { return reason }
        return "the number \(number.literal) at line \(number.line), column \(number.column) is outside the range of a Double"
    }

    /// What is wrong, in words.
    var reason: String {
        switch self {
        case .keyNotFound:
            "required key is missing"
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            context.debugDescription
        @unknown default:
            "\(self)"
        }
    }
}

/// Any key of a JSON object, for listing the keys that are present.
package struct AnyCodingKey: CodingKey {
    package let stringValue: String
    package let intValue: Int?
    package init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }
    package init(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// Number literals of a JSON text, scanned without decoding it.
enum JSONNumbers {
    /// The first number literal outside strings whose value overflows a Double (`1e999`,
    /// `-1e400`), with its 1-based line and column; nil when there is none.
    static func firstOutOfRange(in bytes: [UInt8]) -> (literal: String, line: Int, column: Int)? {
        var line = 1, lineStart = 0, index = 0, inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                index += 1
            case UInt8(ascii: "\n"):
                line += 1
                index += 1
                lineStart = index
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index
                while index < bytes.count, "+-.eE0123456789".utf8.contains(bytes[index]) { index += 1 }
                let literal = String(decoding: bytes[start..<index], as: UTF8.self)
                if let value = Double(literal), !value.isFinite { return (literal, line, start - lineStart + 1) }
            default:
                index += 1
            }
        }
        return nil
    }
}
