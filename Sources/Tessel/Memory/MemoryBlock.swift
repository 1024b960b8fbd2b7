#if canImport(Glibc)
import Glibc
#endif

/// A block of raw memory owned by Tessel: at least `Allocator.alignment`-byte aligned and
/// released when the last reference goes away (freed, unmapped and unlocked, or handed to the
/// `BlockCache`), which is when its allocator's `MemoryBudget` stops counting it (a block
/// handed to the cache stays counted until the cache unmaps it); or caller memory a tensor
/// borrows (`isBorrowed`), aligned for its element type only, which is never written through,
/// never counted and never released.
///
/// `@unchecked Sendable`: the block's own fields never change after `init`; the bytes it
/// points to are shared deliberately — kernels write disjoint ranges of them from different
/// tiles, and a `Tensor` copies its block before a mutation when it is not the sole owner.
public final class MemoryBlock: @unchecked Sendable {
    /// Where a block's memory came from, which decides how it is released.
    enum Storage {
        /// `posix_memalign`: released with `free`.
        case heap
        /// An anonymous mapping of `length` bytes starting at `baseAddress`: released with
        /// `munmap` (which also unlocks it).
        case mapping(length: Int)
        /// An anonymous mapping of `length` bytes that goes back to `cache` (which keeps it
        /// for reuse or unmaps it).
        case cached(length: Int, cache: BlockCache)
        /// Caller memory (`Tensor(shape:borrowing:keepingAlive:)`): nothing is released;
        /// `owner`, when given, lives as long as the block.
        case borrowed(owner: AnyObject?)
    }

    /// The first byte; aligned to at least `Allocator.alignment` unless `isBorrowed`.
    public let baseAddress: UnsafeMutableRawPointer
    /// The usable size in bytes.
    public let byteCount: Int
    /// The NUMA policy applied to the block's pages; nil for plain aligned memory (none asked,
    /// a block below `Allocator.minimumPlacedByteCount`, or libnuma unavailable).
    public let policy: NumaPolicy?
    /// True when the block is locked in memory (`mlock`) and never swapped out.
    public let isPinned: Bool
    /// True when the block was advised onto transparent huge pages (`MADV_HUGEPAGE`); its
    /// base address is then aligned to `Allocator.hugePageSize`.
    public let isHugePageAdvised: Bool
    /// The allocator that made the block, and the rows it was split into, so that a copy
    /// gets the same placement.
    let allocator: Allocator
    let rows: Int
    private let storage: Storage

    /// Takes ownership of `baseAddress`, released according to `storage` on deinit.
    init(baseAddress: UnsafeMutableRawPointer, byteCount: Int, storage: Storage, allocator: Allocator, rows: Int,
         policy: NumaPolicy? = nil, isPinned: Bool = false, isHugePageAdvised: Bool = false) {
        self.baseAddress = baseAddress
        self.byteCount = byteCount
        self.storage = storage
        self.allocator = allocator
        self.rows = rows
        self.policy = policy
        self.isPinned = isPinned
        self.isHugePageAdvised = isHugePageAdvised
    }

    /// The bytes a heap block of `byteCount` bytes takes, as allocated and counted.
    static func heapByteCount(_ byteCount: Int) -> Int { max(byteCount, Allocator.alignment) }

    deinit {
        switch storage {
        case .heap:
            free(baseAddress)
            allocator.budget.release(MemoryBlock.heapByteCount(byteCount))
        case let .mapping(length):
            if isPinned { Pinning.forget(length: length) }
            munmap(baseAddress, length)
            allocator.budget.release(length)
        case let .cached(length, cache):
            cache.give(baseAddress, length: length)
        case .borrowed:
            break
        }
    }

    /// True for caller memory the block does not own: a tensor copies it before any write.
    @inlinable public var isBorrowed: Bool { storageIsBorrowed }

    @usableFromInline var storageIsBorrowed: Bool {
        if case .borrowed = storage { true } else { false }
    }

    /// A block over caller memory, `byteCount` bytes from `baseAddress`, that keeps `owner`
    /// alive and releases nothing.
    static func borrowing(_ baseAddress: UnsafeRawPointer, byteCount: Int, owner: AnyObject?) -> MemoryBlock {
        MemoryBlock(baseAddress: UnsafeMutableRawPointer(mutating: baseAddress), byteCount: byteCount, storage: .borrowed(owner: owner),
                    allocator: .standard, rows: 1)
    }
}
