@preconcurrency import CNuma
#if canImport(Glibc)
import Glibc
#endif

/// A set of CPUs (up to `CPUSet.capacity`), as the kernel's thread affinity calls take it.
///
/// A fixed-size value (glibc's `cpu_set_t`): building, reading and applying one never
/// allocates, so a scheduler worker may rebind itself between tiles.
public struct CPUSet: Sendable, Equatable {
    @usableFromInline var raw: cpu_set_t

    /// The largest CPU number plus one that a set can hold (glibc's `CPU_SETSIZE`).
    public static let capacity = MemoryLayout<cpu_set_t>.size * 8

    /// The empty set.
    public init() {
        raw = cpu_set_t()
        tessel_cpu_zero(&raw)
    }

    /// The set of `cpus`; numbers outside `0 ..< capacity` are ignored.
    public init(_ cpus: some Sequence<Int>) {
        self.init()
        for cpu in cpus { insert(cpu) }
    }

    /// Adds `cpu`; a number outside `0 ..< capacity` is ignored.
    public mutating func insert(_ cpu: Int) {
        guard cpu >= 0 && cpu < CPUSet.capacity else { return }
        tessel_cpu_add(Int32(cpu), &raw)
    }

    /// True when `cpu` is in the set.
    public func contains(_ cpu: Int) -> Bool {
        guard cpu >= 0 && cpu < CPUSet.capacity else { return false }
        return withUnsafePointer(to: raw) { tessel_cpu_contains(Int32(cpu), $0) != 0 }
    }

    /// The number of CPUs in the set.
    public var count: Int { withUnsafePointer(to: raw) { Int(tessel_cpu_count($0)) } }

    /// The CPUs in the set, ascending.
    public var cpus: [Int] { (0..<CPUSet.capacity).filter(contains) }

    /// The CPUs in both sets.
    public func intersection(_ other: CPUSet) -> CPUSet {
        var result = self
        withUnsafeMutableBytes(of: &result.raw) { words in
            withUnsafeBytes(of: other.raw) { otherWords in
                for i in 0..<words.count / 8 {
                    let word = words.load(fromByteOffset: i * 8, as: UInt64.self) & otherWords.load(fromByteOffset: i * 8, as: UInt64.self)
                    words.storeBytes(of: word, toByteOffset: i * 8, as: UInt64.self)
                }
            }
        }
        return result
    }

    /// The CPUs the calling thread may run on now.
    public static func currentThread() -> CPUSet {
        var set = CPUSet()
        // Reading one's own affinity cannot fail with a full-size set; keep the empty set if it does.
        _ = tessel_get_thread_affinity(&set.raw)
        return set
    }

    /// Restricts the calling thread to the CPUs of `set`.
    /// - Throws: `TesselError.system` when the kernel refuses (e.g. no CPU of `set` is allowed
    ///   by the process's cpuset).
    public static func bindCurrentThread(to set: CPUSet) throws {
        let status = withUnsafePointer(to: set.raw) { tessel_set_thread_affinity($0) }
        guard status >= 0 else {
            throw TesselError.system(operation: "sched_setaffinity(\(set.cpus))", reason: String(cString: strerror(errno)))
        }
    }

    /// True when both sets hold the same CPUs.
    public static func == (lhs: CPUSet, rhs: CPUSet) -> Bool {
        withUnsafeBytes(of: lhs.raw) { a in withUnsafeBytes(of: rhs.raw) { b in a.elementsEqual(b) } }
    }
}
