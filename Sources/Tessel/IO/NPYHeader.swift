/// The header of a `.npy` file: the format version and the Python dictionary literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` that describes the data.
///
/// The parser accepts exactly the literals NumPy writes (and the `3L` integers of files from
/// Python 2): a dictionary of string keys whose values are strings, `True`/`False`, integers or
/// tuples of integers. It has no recursion and checks every index and every integer, so no
/// byte sequence can make it trap.
struct NPYHeader {
    /// The NumPy type string, e.g. `<f4`.
    var descr: String
    /// Whether the data is stored column-major.
    var fortranOrder: Bool
    /// The array's dimensions, outermost first.
    var shape: [Int]

    /// The bytes every `.npy` file starts with.
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    /// The longest header Tessel reads; NumPy's own headers are well under 1 KiB.
    static let maximumLength = 1 << 20
    /// The data starts at a multiple of this offset, as in NumPy's files.
    static let alignment = 64

    /// The bytes that precede the data: magic, version, header length, dictionary, padding, newline.
    ///
    /// Byte for byte what NumPy writes: keys sorted, each followed by `, `, spare spaces after the
    /// dictionary so the first dimension can grow in place, padding so that the data starts at a
    /// multiple of 64 bytes, and version 2.0 only when the header does not fit version 1.0.
    func encoded() -> [UInt8] {
        var dictionary = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), "
            + "'shape': \(Shape.describe(shape)), }"
        if let growing = fortranOrder ? shape.last : shape.first {
            dictionary += String(repeating: " ", count: max(0, 21 - String(growing).count))
        }
        let text = Array(dictionary.utf8)
        // NumPy pads with 1 to 64 spaces (never 0), then ends the header with a newline.
        func paddedLength(lengthFieldSize: Int) -> Int {
            let unpadded = Self.magic.count + 2 + lengthFieldSize + text.count + 1
            return text.count + (Self.alignment - unpadded % Self.alignment) + 1
        }
        let version: UInt8 = paddedLength(lengthFieldSize: 2) <= Int(UInt16.max) ? 1 : 2
        let lengthFieldSize = version == 1 ? 2 : 4
        let headerLength = paddedLength(lengthFieldSize: lengthFieldSize)
        var bytes = Self.magic + [version, 0]
        for index in 0..<lengthFieldSize { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * index))) }
        bytes += text
        bytes += repeatElement(UInt8(ascii: " "), count: headerLength - text.count - 1)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Parses the dictionary text `bytes` (the header after the length field).
    /// - Throws: `TesselError.npy(path: source, …)` saying what is wrong and where.
    static func parse(_ bytes: ArraySlice<UInt8>, source: String) throws -> NPYHeader {
        var parser = Parser(bytes: Array(bytes), source: source)
        if let index = bytes.firstIndex(where: { $0 >= 0x80 }) {
            let hex = String(bytes[index], radix: 16, uppercase: true)
            throw TesselError.npy(path: source, reason: "malformed header: byte 0x\(hex) at character \(index - bytes.startIndex) is not ASCII")
        }
        let entries = try parser.dictionary()
        var values: [String: Literal] = [:]
        for (key, value) in entries {
            guard expectedKeys.contains(key) else {
                throw parser.error("unexpected key '\(key)'; a .npy header holds exactly 'descr', 'fortran_order' and 'shape'")
            }
            guard values.updateValue(value, forKey: key) == nil else { throw parser.error("duplicate key '\(key)'") }
        }
        for key in expectedKeys where values[key] == nil {
            throw parser.error("missing key '\(key)'")
        }
        guard case let .string(descr) = values["descr"] else {
            throw parser.error("'descr' must be a type string such as '<f4', found \(values["descr"]!)")
        }
        guard case let .boolean(fortranOrder) = values["fortran_order"] else {
            throw parser.error("'fortran_order' must be True or False, found \(values["fortran_order"]!)")
        }
        guard case let .tuple(shape) = values["shape"] else {
            throw parser.error("'shape' must be a tuple of integers such as (2, 3) or (5,), found \(values["shape"]!)")
        }
        return NPYHeader(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }

    private static let expectedKeys = ["descr", "fortran_order", "shape"]
}

extension NPYHeader {
    /// A value of the header dictionary.
    enum Literal: CustomStringConvertible {
        case string(String)
        case boolean(Bool)
        case integer(Int)
        case tuple([Int])

        var description: String {
            switch self {
            case let .string(text): "the string '\(text)'"
            case let .boolean(value): value ? "True" : "False"
            case let .integer(value): "the integer \(value)"
            case let .tuple(values): "the tuple \(Shape.describe(values))"
            }
        }
    }

    /// A cursor over the header text. Every read checks the index first.
    struct Parser {
        let bytes: [UInt8]
        let source: String
        var position = 0

        init(bytes: [UInt8], source: String) {
            self.bytes = bytes
            self.source = source
        }

        /// `{ 'key': value, … }` followed by nothing but white space; a trailing comma is allowed.
        mutating func dictionary() throws -> [(String, Literal)] {
            skipSpace()
            guard take("{") else { throw error("the header is not a dictionary (it does not start with '{')") }
            var entries: [(String, Literal)] = []
            skipSpace()
            while !take("}") {
                guard peek == UInt8(ascii: "'") || peek == UInt8(ascii: "\"") else { throw expected("a string key or '}'") }
                let key = try string()
                skipSpace()
                guard take(":") else { throw expected("':' after the key '\(key)'") }
                skipSpace()
                entries.append((key, try value()))
                skipSpace()
                if take(",") {
                    skipSpace()
                } else if peek != UInt8(ascii: "}") {
                    throw expected("',' or '}'")
                }
            }
            skipSpace()
            guard position == bytes.count else { throw expected("nothing but white space after the dictionary") }
            return entries
        }

        private mutating func value() throws -> Literal {
            let anyValue = "a string, True, False, an integer or a tuple of integers"
            guard let byte = peek else { throw expected(anyValue) }
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "("): return try tuple()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
            case UInt8(ascii: "T"), UInt8(ascii: "F"):
                let start = position
                while let byte = peek, isWordCharacter(byte) { position += 1 }
                switch String(decoding: bytes[start..<position], as: UTF8.self) {
                case "True": return .boolean(true)
                case "False": return .boolean(false)
                default:
                    position = start
                    throw expected(anyValue)
                }
            case UInt8(ascii: "["): throw error("lists are not supported (a structured dtype cannot be read)")
            default: throw expected(anyValue)
            }
        }

        /// A quoted string without escapes.
        private mutating func string() throws -> String {
            let quote = bytes[position]
            position += 1
            let start = position
            while let byte = peek, byte != quote {
                guard byte != UInt8(ascii: "\\") else { throw error("escape sequences in strings are not supported") }
                guard byte != UInt8(ascii: "\n") else { throw error("unterminated string") }
                position += 1
            }
            guard position < bytes.count else { throw error("unterminated string") }
            position += 1
            return String(decoding: bytes[start..<position - 1], as: UTF8.self)
        }

        /// `()`, `(3,)`, `(2, 3)` or `(2, 3,)`; `(3)` is the integer 3, as in Python.
        private mutating func tuple() throws -> Literal {
            position += 1
            var values: [Int] = []
            var sawComma = false
            skipSpace()
            while !take(")") {
                guard let byte = peek, byte == UInt8(ascii: "-") || isDigit(byte) else { throw expected("an integer or ')'") }
                values.append(try integer())
                skipSpace()
                if take(",") {
                    sawComma = true
                    skipSpace()
                } else if peek != UInt8(ascii: ")") {
                    throw expected("',' or ')'")
                }
            }
            return values.count == 1 && !sawComma ? .integer(values[0]) : .tuple(values)
        }

        /// A decimal integer with an optional minus sign and Python 2's optional `L` suffix.
        private mutating func integer() throws -> Int {
            let start = position
            let negative = take("-")
            guard let first = peek, isDigit(first) else { throw expected("a digit") }
            var magnitude = 0
            while let byte = peek, isDigit(byte) {
                let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                guard !overflow1 && !overflow2 else {
                    while let byte = peek, isDigit(byte) { position += 1 }
                    let text = String(decoding: bytes[start..<position], as: UTF8.self)
                    throw error("the integer \(text) does not fit in 64 bits")
                }
                magnitude = sum
                position += 1
            }
            _ = take("L") || take("l")
            return negative ? -magnitude : magnitude
        }

        private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        private mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard peek == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        private mutating func skipSpace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D { position += 1 }
        }

        private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        private func isWordCharacter(_ byte: UInt8) -> Bool {
            isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_")
        }

        private func expected(_ what: String) -> TesselError {
            let found = position < bytes.count ? "'\(String(decoding: [bytes[position]], as: UTF8.self))'" : "the end of the header"
            return error("expected \(what) at character \(position), found \(found)")
        }

        /// An error that quotes the header (its first 120 characters), so the user sees what was read.
        func error(_ reason: String) -> TesselError {
            var text = String(decoding: bytes.prefix(120), as: UTF8.self)
            while text.last?.isWhitespace == true { text.removeLast() }
            if bytes.count > 120 { text += "…" }
            return .npy(path: source, reason: "malformed header: \(reason) in \(text.debugDescription)")
        }
    }
}
