#if canImport(Glibc)
import Glibc
#endif

/// A bounded cache of freed memory blocks, keyed by their exact mapped length, so that a loop
/// which allocates the same tensors step after step (a training or benchmark loop) gets the
/// previous step's pages back instead of faulting in fresh ones.
///
/// While a cache is enabled, `Allocator.standard`-style blocks (no NUMA policy, no huge pages,
/// no pinning) of at least `minimumByteCount` bytes are anonymous mappings of whole pages.
/// When such a block is released it is kept here instead of being unmapped; the next request
/// of the same page count takes it (its contents are then stale, not zero).
///
/// **Bounded.** The cached (idle) bytes never exceed `capacity`: a block that would exceed it
/// first evicts (unmaps) blocks of the least recently used length, and a block larger than
/// the capacity is unmapped at once. Memory in use is not counted: the cache only decides what
/// happens to freed blocks. Blocks are exact lengths, so a loop whose shapes never repeat
/// gains nothing and evicts as it goes.
///
/// Why not glibc: telling `malloc` to never map and never trim (`mallopt(M_MMAP_MAX, 0)`) gave
/// the same reuse, but the heap fragmented across the worker threads' arenas and a long run of
/// the default convnet grew from 0.8 GB to 19 GB of resident memory. Mappings of their own
/// cannot fragment: each block comes back whole.
///
/// The cache is process-wide (`shared`) because blocks are released wherever their last
/// reference goes away; it is off until `enable(capacity:)`, which `tessel run`, `train` and
/// `bench` call. All methods are thread-safe.
///
/// **Budget.** Its blocks, in use or idle, are counted in `budget` until they are unmapped;
/// an allocator refused by that budget first calls `releaseIdleBlocks()`.
///
/// `@unchecked Sendable`: the mutable `state` is only touched inside `withState`, between
/// `pthread_mutex_lock` and `pthread_mutex_unlock` of `mutex`. A pthread mutex rather than
/// Synchronization's `Mutex`: ThreadSanitizer intercepts pthread locks, while the futex
/// atomics inside the prebuilt `Mutex` are invisible to it, so it reported the accesses of
/// two threads under `Mutex` as races.
public final class BlockCache: @unchecked Sendable {
    /// Blocks below this size always come from `posix_memalign` (glibc reuses those well).
    public static let minimumByteCount = 64 << 10
    /// The default capacity: a quarter of the machine's physical memory, at most 8 GiB.
    public static let defaultCapacity = min(Allocator.physicalMemoryByteCount / 4, 8 << 30)

    /// The cache `Allocator` uses, counted in `MemoryBudget.shared`.
    public static let shared = BlockCache()

    /// The budget that counts this cache's blocks (and those of every allocator using it).
    public let budget: MemoryBudget

    private struct State {
        var capacity = 0
        var cachedBytes = 0
        /// Free blocks by length; within a length the most recently freed is last.
        var blocks: [Int: [UInt]] = [:]
        /// When each length was last taken or given, on `clock`.
        var lastUse: [Int: UInt64] = [:]
        var clock: UInt64 = 0
        var reuses = 0

        /// Removes one block of the least recently used length and returns it.
        mutating func evictOne() -> (address: UInt, length: Int)? {
            var oldest: Int? = nil
            for (length, free) in blocks where !free.isEmpty {
                if let current = oldest, lastUse[current, default: 0] <= lastUse[length, default: 0] { continue }
                oldest = length
            }
            guard let length = oldest, let address = blocks[length]?.removeFirst() else { return nil }
            cachedBytes -= length
            return (address, length)
        }
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var state = State()

    /// A disabled cache counting its blocks in `budget`; `shared` is the one allocators use,
    /// others are for tests.
    public init(budget: MemoryBudget = .shared) {
        self.budget = budget
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` on the state with the mutex held.
    private func withState<R>(_ body: (inout State) -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&state)
    }

    /// Whether released blocks are kept (capacity above 0).
    public var isEnabled: Bool { withState { $0.capacity > 0 } }

    /// Bytes held by idle blocks now.
    public var cachedByteCount: Int { withState { $0.cachedBytes } }

    /// How many requests were served by a cached block so far.
    public var reuseCount: Int { withState { $0.reuses } }

    /// Starts keeping released blocks, up to `capacity` idle bytes (0 disables). Lowering the
    /// capacity evicts what no longer fits.
    public func enable(capacity: Int = BlockCache.defaultCapacity) {
        let evicted = withState { state -> [(address: UInt, length: Int)] in
            state.capacity = max(0, capacity)
            var evicted: [(address: UInt, length: Int)] = []
            while state.cachedBytes > state.capacity, let block = state.evictOne() { evicted.append(block) }
            return evicted
        }
        unmap(evicted)
    }

    /// Stops keeping released blocks and unmaps the idle ones.
    public func disable() { enable(capacity: 0) }

    /// Unmaps every idle block, keeping the capacity: what an allocator does before its
    /// budget refuses a request.
    public func releaseIdleBlocks() {
        let evicted = withState { state -> [(address: UInt, length: Int)] in
            var evicted: [(address: UInt, length: Int)] = []
            while let block = state.evictOne() { evicted.append(block) }
            return evicted
        }
        unmap(evicted)
    }

    /// An idle block of exactly `length` bytes, or nil when there is none.
    func take(length: Int) -> UnsafeMutableRawPointer? {
        withState { state in
            guard let address = state.blocks[length]?.popLast() else { return nil }
            state.cachedBytes -= length
            state.clock += 1
            state.lastUse[length] = state.clock
            state.reuses += 1
            return UnsafeMutableRawPointer(bitPattern: address)
        }
    }

    /// Keeps the released block `[base, base + length)`, evicting older lengths to make room,
    /// or unmaps it when the cache is disabled or the block exceeds the capacity.
    func give(_ base: UnsafeMutableRawPointer, length: Int) {
        let address = UInt(bitPattern: base)
        let evicted = withState { state -> [(address: UInt, length: Int)] in
            guard length <= state.capacity else { return [(address, length)] }
            var evicted: [(address: UInt, length: Int)] = []
            while state.cachedBytes + length > state.capacity, let block = state.evictOne() { evicted.append(block) }
            state.blocks[length, default: []].append(address)
            state.cachedBytes += length
            state.clock += 1
            state.lastUse[length] = state.clock
            return evicted
        }
        unmap(evicted)
    }

    /// Unmaps `blocks` and stops counting them in `budget`.
    private func unmap(_ blocks: [(address: UInt, length: Int)]) {
        for block in blocks {
            munmap(UnsafeMutableRawPointer(bitPattern: block.address), block.length)
            budget.release(block.length)
        }
    }
}
