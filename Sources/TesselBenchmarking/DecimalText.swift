import Tessel

/// Fixed-point text for numbers in reports (the library has no `String(format:)`).
enum DecimalText {
    /// `value` rounded to `digits` decimals (0 ... 9), e.g. `fixed(1.2345, 2) == "1.23"`;
    /// `nan`, `inf` and `-inf` for values that are not finite.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        precondition((0...9).contains(digits), "digits must be in 0...9")
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return "\(value)" }
        let integer = UInt64(scaled), unit = UInt64(scale)
        var text = String(integer / unit)
        if digits > 0 {
            let fraction = String(integer % unit)
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return (value < 0 && integer != 0 ? "-" : "") + text
    }

    /// `text` padded with spaces on the left to `width` characters.
    static func right(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// `text` padded with spaces on the right to `width` characters.
    static func left(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    /// A duration in seconds as seconds, milliseconds or microseconds, whichever keeps the
    /// number between 1 and 1000 (two decimals; three for seconds).
    static func duration(_ seconds: Double) -> String {
        if seconds >= 1 { return fixed(seconds, 3) + " s" }
        if seconds >= 1e-3 { return fixed(seconds * 1e3, 2) + " ms" }
        return fixed(seconds * 1e6, 2) + " µs"
    }
}
