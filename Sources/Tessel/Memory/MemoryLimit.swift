#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The most bytes a `MemoryBudget` grants, and where that number came from, so that an
/// out-of-memory error can say which setting to change.
///
/// The limit of a process (`lowest(setting:settingSource:environment:)`) is the lowest of:
/// - `runtime.memoryLimit`, or `TESSEL_MEMORY_LIMIT`, which overrides it (a `MemorySize`);
/// - the limit of the process's cgroup (`CgroupMemory`), less `headroom(of:)`;
/// - the machine's physical memory, less `headroom(of:)`.
///
/// Why a headroom: the budget counts only the memory Tessel's allocators hand out (tensors,
/// scratch, idle cached blocks). The rest of the process (code, the Swift runtime, file
/// contents being read or written, small arrays) needs room too, and the kernel kills a
/// process whose group exceeds its cgroup limit (SIGKILL) instead of failing an allocation.
/// An explicit setting is taken as it is: it is the budget of Tessel's own memory.
public struct MemoryLimit: Sendable, Equatable, CustomStringConvertible {
    /// The limit in bytes.
    public var bytes: Int
    /// Where it came from, e.g. `TESSEL_MEMORY_LIMIT=512MiB` or `physical memory (…)`.
    public var source: String

    /// A limit of `bytes` bytes, named by `source` in errors.
    public init(bytes: Int, source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// The environment variable that sets the limit (a `MemorySize`); it overrides
    /// `runtime.memoryLimit`.
    public static let environmentVariable = "TESSEL_MEMORY_LIMIT"

    /// The bytes of a system limit of `bytes` that Tessel's budget leaves to the rest of the
    /// process: an eighth, at least 64 MiB (and at most `bytes`).
    public static func headroom(of bytes: Int) -> Int {
        min(bytes, max(64 << 20, bytes / 8))
    }

    /// The memory this process may use: the lower of physical memory and its cgroup's limit
    /// (no headroom taken off). Percentages in settings are of this.
    public static var available: Int {
        min(Allocator.physicalMemoryByteCount, CgroupMemory.current()?.bytes ?? Int.max)
    }

    /// The limits the system sets, each less its headroom: physical memory, and the cgroup's
    /// limit where the process's group (or one above it) has one.
    public static func system() -> [MemoryLimit] {
        func lessHeadroom(_ bytes: Int, _ what: String) -> MemoryLimit {
            let headroom = headroom(of: bytes)
            return MemoryLimit(bytes: bytes - headroom, source: "\(what), less \(headroom) bytes left to the rest of the process")
        }
        var limits = [lessHeadroom(Allocator.physicalMemoryByteCount, "physical memory of \(Allocator.physicalMemoryByteCount) bytes")]
        if let cgroup = CgroupMemory.current() {
            limits.append(lessHeadroom(cgroup.bytes, "cgroup memory limit of \(cgroup.bytes) bytes in \(cgroup.file)"))
        }
        return limits
    }

    /// The limit of this process: the lowest of `setting` (named `settingSource` in errors,
    /// e.g. `runtime.memoryLimit of config/default.json`), `TESSEL_MEMORY_LIMIT` in
    /// `environment` (which replaces `setting`) and `system()`.
    /// - Throws: `TesselError.configuration(source: "environment", key: "TESSEL_MEMORY_LIMIT", …)`
    ///   when the variable is set to something that is not a `MemorySize`.
    public static func lowest(setting: MemorySize?, settingSource: String,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MemoryLimit {
        var chosen = setting.map { (size: $0, source: "\(settingSource) = \($0)") }
        if let text = environment[environmentVariable], !text.isEmpty {
            guard let size = MemorySize(parsing: text) else {
                throw TesselError.configuration(source: "environment", key: environmentVariable, reason: MemorySize.expectation(text))
            }
            chosen = (size, "\(environmentVariable)=\(text)")
        }
        var limits = system()
        if let chosen {
            let available = available
            let source = if case .percent = chosen.size { chosen.source + " of \(available) bytes available" } else { chosen.source }
            limits.insert(MemoryLimit(bytes: chosen.size.byteCount(of: available), source: source), at: 0)
        }
        return limits.min { $0.bytes < $1.bytes }!
    }

    /// The limit `MemoryBudget.shared` starts with: `lowest` with no setting and the process's
    /// environment. A malformed `TESSEL_MEMORY_LIMIT` is left out here (this runs lazily, where
    /// nothing can be thrown); `RuntimeSettings.applyMemoryLimit`, which every `tessel`
    /// command calls first, reports it as an error.
    static func processDefault() -> MemoryLimit {
        (try? lowest(setting: nil, settingSource: "")) ?? system().min { $0.bytes < $1.bytes }!
    }

    /// `N bytes (source)`.
    public var description: String { "\(bytes) bytes (\(source))" }
}
