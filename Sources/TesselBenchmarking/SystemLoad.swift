import Tessel

/// The system's load averages, to record next to timings taken on a shared machine.
enum SystemLoad {
    /// The 1-, 5- and 15-minute load averages from `/proc/loadavg`; empty where unavailable.
    static func averages() -> [Double] {
        guard let bytes = try? FileBytes.read(from: "/proc/loadavg") else { return [] }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ").prefix(3)
        let values = fields.compactMap { Double($0) }
        return values.count == 3 ? values : []
    }
}
