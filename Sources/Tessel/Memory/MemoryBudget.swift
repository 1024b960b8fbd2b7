import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A count of the bytes Tessel's allocators hold, and the limit they may not exceed.
///
/// Every block an `Allocator` hands out is counted from its allocation until its memory goes
/// back to the system: heap blocks, placed, pinned and huge-page mappings, scratch workspaces,
/// and the idle blocks its `BlockCache` keeps (those are counted until the cache unmaps them).
/// A request that would take the count beyond `limit` first makes the allocator's cache
/// release its idle blocks; if it still does not fit, it is refused with
/// `TesselError.outOfMemory` naming the limit, its source, the bytes held and the request,
/// before the system is asked. So several allocations that each fit but together exceed the
/// memory end in an error, not in the kernel's OOM killer.
///
/// Counting is one relaxed atomic add per allocation and one subtract per release. Two
/// threads that race for the last bytes may both be refused where one would have fitted.
///
/// `shared` is the budget of `BlockCache.shared`, which every allocator uses unless it is
/// given another cache; its limit is `MemoryLimit.processDefault()` until `setLimit` changes
/// it (`RuntimeSettings.applyMemoryLimit` does, for `tessel` commands).
///
/// `@unchecked Sendable`: `limitValue` is only touched between `pthread_mutex_lock` and
/// `pthread_mutex_unlock` of `mutex` (a pthread mutex, as `BlockCache`'s, for ThreadSanitizer);
/// the counters are atomics.
public final class MemoryBudget: @unchecked Sendable {
    /// The budget of the process: `BlockCache.shared` counts its blocks here.
    public static let shared = MemoryBudget(limit: MemoryLimit.processDefault())

    private let held = Atomic<Int>(0)
    private let limitBytes: Atomic<Int>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var limitValue: MemoryLimit

    /// A budget with nothing held yet.
    public init(limit: MemoryLimit) {
        limitBytes = Atomic(limit.bytes)
        limitValue = limit
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// The bytes held now: blocks in use and idle cached blocks.
    public var heldByteCount: Int { held.load(ordering: .relaxed) }

    /// The current limit.
    public var limit: MemoryLimit {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return limitValue
    }

    /// Replaces the limit. Blocks already held stay valid when they exceed it; further
    /// requests are refused until enough of them are released.
    public func setLimit(_ limit: MemoryLimit) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        limitValue = limit
        limitBytes.store(limit.bytes, ordering: .relaxed)
    }

    /// Counts `bytes` more as held when the total stays within the limit.
    /// - Returns: false, counting nothing, when it would not.
    func reserve(_ bytes: Int) -> Bool {
        let total = held.wrappingAdd(bytes, ordering: .relaxed).newValue
        guard total > limitBytes.load(ordering: .relaxed) else { return true }
        held.wrappingSubtract(bytes, ordering: .relaxed)
        return false
    }

    /// Counts `bytes` more as held whatever the limit: for a copy that cannot be refused
    /// (a tensor's copy-on-write), which would otherwise have to trap.
    func overdraw(_ bytes: Int) {
        held.wrappingAdd(bytes, ordering: .relaxed)
    }

    /// Counts `bytes` as given back to the system.
    func release(_ bytes: Int) {
        held.wrappingSubtract(bytes, ordering: .relaxed)
    }

    /// Checks, counting nothing, that `bytes` more would fit within the limit now: for memory
    /// Tessel holds briefly outside its allocators, such as a file's bytes while they are
    /// decoded, which would otherwise grow the process unseen.
    /// - Throws: `TesselError.outOfMemory` for `bytes`, naming `what`, the limit, its source
    ///   and the bytes held, when they would not fit.
    public func checkRoom(for bytes: Int, what: String) throws {
        guard heldByteCount + bytes > limitBytes.load(ordering: .relaxed) else { return }
        throw TesselError.outOfMemory(bytes: bytes, policy: "aligned", reason: what + ": " + refusal(of: bytes))
    }

    /// Why a request for `bytes` more is refused, for `TesselError.outOfMemory`.
    func refusal(of bytes: Int) -> String {
        let limit = limit
        return "beyond the memory limit of \(limit.bytes) bytes (\(limit.source)): Tessel holds \(heldByteCount) bytes "
            + "and the request needs \(bytes) more; lower the batch size or raise the limit "
            + "(\(MemoryLimit.environmentVariable), runtime.memoryLimit, the cgroup's memory limit)"
    }
}
