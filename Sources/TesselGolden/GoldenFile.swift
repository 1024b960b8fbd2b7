import Tessel
import TesselSystem

/// A golden file: one `DIGEST  NAME` line per output, sorted by name — the format `sha256sum`
/// writes and `sha256sum -c` reads.
public struct GoldenFile: Equatable, Sendable {
    /// NAME → 64 lowercase hexadecimal digits.
    public var digests: [String: String]

    public init(digests: [String: String]) { self.digests = digests }

    /// Reads the golden file at `path`.
    /// - Throws: `TesselError.system` when it cannot be read; `TesselError.configuration`
    ///   naming the line when a line is not `DIGEST  NAME` or a name repeats.
    public static func read(from path: String) throws -> GoldenFile {
        let text = String(decoding: try FileBytes.read(from: path), as: UTF8.self)
        var digests: [String: String] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 64, parts[0].allSatisfy(\.isHexDigit), parts[1].hasPrefix(" ") else {
                throw TesselError.configuration(source: path, key: "line \(number + 1)", reason: "expected 'DIGEST  NAME' (sha256sum's format)")
            }
            let name = String(parts[1].dropFirst())
            guard digests.updateValue(String(parts[0]), forKey: name) == nil else {
                throw TesselError.configuration(source: path, key: "line \(number + 1)", reason: "'\(name)' appears twice")
            }
        }
        return GoldenFile(digests: digests)
    }

    /// The file's text: the lines sorted by name.
    public var text: String {
        digests.keys.sorted().map { digests[$0]! + "  " + $0 + "\n" }.joined()
    }

    /// Writes the file atomically to `path`.
    /// - Throws: `TesselError.system` naming the path when it cannot be written.
    public func write(to path: String) throws {
        try TesselError.translatingSystemErrors { try AtomicFile.write(Array(text.utf8), to: path) }
    }

    /// How `actual` differs from this golden file: names whose digest differs, names missing
    /// from `actual`, and names `actual` has that the golden file lacks; each sorted.
    public func differences(from actual: [String: String]) -> (changed: [String], missing: [String], extra: [String]) {
        let changed = digests.keys.filter { actual[$0] != nil && actual[$0] != digests[$0] }.sorted()
        let missing = digests.keys.filter { actual[$0] == nil }.sorted()
        let extra = actual.keys.filter { digests[$0] == nil }.sorted()
        return (changed, missing, extra)
    }
}
