import Foundation

/// The size of the machine's largest cache, as Linux's sysfs describes CPU 0's caches
/// (`/sys/devices/system/cpu/cpu0/cache/index*/size`). Order-neutral settings may follow it
/// (`TileSettings.streamingOutputBytes`); nothing that fixes a summation order reads it.
enum LastLevelCache {
    /// Bytes of the largest cache CPU 0 reports, or nil when sysfs describes none.
    static let bytes: Int? = {
        let folder = "/sys/devices/system/cpu/cpu0/cache"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        let sizes = entries.filter { $0.hasPrefix("index") }.compactMap { entry -> Int? in
            guard let text = try? String(contentsOfFile: "\(folder)/\(entry)/size", encoding: .utf8) else { return nil }
            return parseSize(text)
        }
        return sizes.max()
    }()

    /// The bytes of a sysfs cache size such as `32768K` or `1M` (a plain number is bytes);
    /// nil for anything else.
    static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = trimmed.last, let unit = units[last] {
            return Int(trimmed.dropLast()).flatMap { $0 > 0 ? $0 * unit : nil }
        }
        return Int(trimmed).flatMap { $0 > 0 ? $0 : nil }
    }
}
