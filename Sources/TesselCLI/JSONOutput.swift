import FoundationEssentials

/// The one JSON form of every `--json` report: pretty-printed with sorted keys, slashes as
/// they are, and NaN and ±∞ as the strings "nan", "inf" and "-inf" (JSON has no numbers for them).
enum JSONOutput {
    /// `value` as that JSON text.
    /// - Throws: the encoder's `EncodingError`.
    static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
