/// An amount of memory as a setting gives it: a number of bytes, or a percentage of the memory
/// the process may use. The value of `runtime.memoryLimit` and of `TESSEL_MEMORY_LIMIT`.
///
/// Written as a JSON integer (bytes) or a string: `"536870912"`, `"512MiB"`, `"1.5GiB"`
/// (suffixes `KiB`, `MiB`, `GiB`, `TiB`, or `K`, `M`, `G`, `T`, all powers of 1024), or
/// `"75%"`.
public enum MemorySize: Sendable, Equatable, Codable, CustomStringConvertible {
    /// A number of bytes (≥ 1).
    case bytes(Int)
    /// A percentage (in (0, 100]) of the memory the process may use: the lower of physical
    /// memory and its cgroup's limit.
    case percent(Double)

    /// The size written in `text`.
    /// - Returns: nil when `text` is not a size: not a number with an optional suffix, zero or
    ///   negative, a percentage above 100, or a byte count that overflows `Int`.
    public init?(parsing text: String) {
        let trimmed = text.filter { $0 != " " }
        if trimmed.hasSuffix("%") {
            guard let value = Double(trimmed.dropLast()), value > 0, value <= 100 else { return nil }
            self = .percent(value)
            return
        }
        let units: [(suffix: String, shift: Int)] = [("KiB", 10), ("MiB", 20), ("GiB", 30), ("TiB", 40),
                                                     ("K", 10), ("M", 20), ("G", 30), ("T", 40)]
        let unit = units.first { trimmed.hasSuffix($0.suffix) }
        let number = trimmed.dropLast(unit?.suffix.count ?? 0)
        if unit == nil || !number.contains(".") {
            guard let count = Int(number), count > 0 else { return nil }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: 1 << (unit?.shift ?? 0))
            guard !overflow else { return nil }
            self = .bytes(bytes)
        } else {
            guard let count = Double(number), count > 0, let shift = unit?.shift else { return nil }
            let bytes = (count * Double(1 << shift)).rounded()
            guard bytes >= 1, bytes < 0x1p63 else { return nil }
            self = .bytes(Int(bytes))
        }
    }

    /// Decodes a JSON integer (bytes) or a string that `init(parsing:)` accepts.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let bytes = try? container.decode(Int.self) {
            guard bytes > 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be at least 1 byte, got \(bytes)")
            }
            self = .bytes(bytes)
            return
        }
        guard let text = try? container.decode(String.self) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a number of bytes or a string such as \"512MiB\" or \"75%\"")
        }
        guard let size = MemorySize(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.expectation(text))
        }
        self = size
    }

    /// Encodes bytes as a JSON integer and a percentage as a string (`"75.0%"`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .bytes(bytes): try container.encode(bytes)
        case let .percent(value): try container.encode("\(value)%")
        }
    }

    /// Why `text` is not a size, for error messages.
    static func expectation(_ text: String) -> String {
        "'\(text)' is not a memory size (a positive number of bytes, optionally with KiB, MiB, GiB or TiB, or a percentage in (0, 100] such as 75%)"
    }

    /// The bytes this size stands for when the process may use `available` bytes.
    public func byteCount(of available: Int) -> Int {
        switch self {
        case let .bytes(bytes): return bytes
        case let .percent(value): return Int(min(Double(available) * value / 100, 0x1p62).rounded(.down))
        }
    }

    public var description: String {
        switch self {
        case let .bytes(bytes): return "\(bytes) bytes"
        case let .percent(value): return "\(value)%"
        }
    }
}
