import Dispatch
import Synchronization
import Testing
@testable import Tessel

/// The block cache: released blocks of a length come back for the next request of that length,
/// the idle bytes stay within the capacity (least recently used lengths evicted first), and
/// nothing is kept while it is disabled. Each test uses an allocator with a cache of its own,
/// so that `BlockCache.shared` (off in tests) and other tests are not affected.
@Suite struct BlockCacheTests {
    static let blockBytes = 256 << 10

    /// The address of the storage of a new tensor of `bytes` bytes from `allocator`; the tensor
    /// is released on return.
    private func addressOfFreshBlock(_ bytes: Int, _ allocator: Allocator) throws -> UInt {
        let tensor = try Tensor<Float>(shape: [bytes / 4], allocator: allocator)
        return UInt(bitPattern: tensor.block.baseAddress)
    }

    @Test func aReleasedBlockServesTheNextRequestOfItsLength() throws {
        let cache = BlockCache()
        cache.enable(capacity: 4 * Self.blockBytes)
        let allocator = Allocator(cache: cache)
        var first = try Tensor<Float>(shape: [Self.blockBytes / 4], repeating: 7, allocator: allocator)
        let address = first.block.baseAddress
        first = try Tensor<Float>(shape: [1], allocator: allocator)
        #expect(cache.cachedByteCount == Self.blockBytes)
        let second = try Tensor<Float>.uninitialized(shape: [Self.blockBytes / 4], allocator: allocator)
        #expect(second.block.baseAddress == address)
        #expect(cache.reuseCount == 1 && cache.cachedByteCount == 0)
        // The contents are stale, not zero: the cache does not clear what it hands back.
        #expect(second[flat: 0] == 7)
        _ = first
    }

    @Test func aBlockOfAnotherPageCountIsNotReused() throws {
        let cache = BlockCache()
        cache.enable(capacity: 4 * Self.blockBytes)
        let allocator = Allocator(cache: cache)
        _ = try addressOfFreshBlock(Self.blockBytes, allocator)
        _ = try addressOfFreshBlock(Self.blockBytes + Allocator.pageSize, allocator)
        #expect(cache.reuseCount == 0)
        #expect(cache.cachedByteCount == 2 * Self.blockBytes + Allocator.pageSize)
        // Sizes within one page share a length.
        _ = try addressOfFreshBlock(Self.blockBytes - 4, allocator)
        #expect(cache.reuseCount == 1)
    }

    @Test func idleBytesStayWithinTheCapacityEvictingTheLeastRecentlyUsedLength() throws {
        let cache = BlockCache()
        cache.enable(capacity: 3 * Self.blockBytes)
        let allocator = Allocator(cache: cache)
        let small = Self.blockBytes, large = 2 * Self.blockBytes
        let oldSmall = try addressOfFreshBlock(small, allocator)
        _ = try addressOfFreshBlock(large, allocator)
        #expect(cache.cachedByteCount == small + large)
        // Two small blocks in use at once: one is the cached one, one is new. When both are
        // released they do not fit beside the large block, which is now the least recently
        // used length: it is evicted, and both small ones stay.
        do {
            let a = try Tensor<Float>.uninitialized(shape: [small / 4], allocator: allocator)
            let b = try Tensor<Float>.uninitialized(shape: [small / 4], allocator: allocator)
            #expect(UInt(bitPattern: a.block.baseAddress) == oldSmall)
            #expect(cache.cachedByteCount == large)
            _ = b
        }
        #expect(cache.cachedByteCount == 2 * small)
        // A block larger than the whole capacity is never kept.
        _ = try addressOfFreshBlock(4 * Self.blockBytes, allocator)
        #expect(cache.cachedByteCount == 2 * small)
        // Lowering the capacity evicts down to it.
        cache.enable(capacity: small)
        #expect(cache.cachedByteCount == small)
    }

    @Test func nothingIsKeptWhileDisabled() throws {
        let cache = BlockCache()
        let allocator = Allocator(cache: cache)
        _ = try addressOfFreshBlock(Self.blockBytes, allocator)
        #expect(!cache.isEnabled && cache.cachedByteCount == 0)
        cache.enable(capacity: 4 * Self.blockBytes)
        _ = try addressOfFreshBlock(Self.blockBytes, allocator)
        #expect(cache.cachedByteCount == Self.blockBytes)
        cache.disable()
        #expect(!cache.isEnabled && cache.cachedByteCount == 0)
    }

    /// Blocks below the minimum come from the heap and never enter the cache.
    @Test func smallBlocksBypassTheCache() throws {
        let cache = BlockCache()
        cache.enable(capacity: 4 * Self.blockBytes)
        _ = try addressOfFreshBlock(BlockCache.minimumByteCount - 64, Allocator(cache: cache))
        #expect(cache.cachedByteCount == 0)
        _ = try addressOfFreshBlock(BlockCache.minimumByteCount, Allocator(cache: cache))
        #expect(cache.cachedByteCount == BlockCache.minimumByteCount)
    }

    /// Workers taking and releasing blocks at once (run under ThreadSanitizer in CI) leave the
    /// cache consistent: every block comes back, within capacity.
    @Test func concurrentTakersAndReleasersStayConsistent() throws {
        let cache = BlockCache()
        cache.enable(capacity: 64 * Self.blockBytes)
        let allocator = Allocator(cache: cache)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<50 {
                let bytes = Self.blockBytes * (1 + (worker + round) % 3)
                do {
                    var tensor = try Tensor<Float>.uninitialized(shape: [bytes / 4], allocator: allocator)
                    tensor.withUnsafeMutableBufferPointer { $0[0] = Float(round) }
                } catch {
                    failures.withLock { $0.append("worker \(worker), round \(round): \(error)") }
                    return
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(cache.reuseCount > 0)
        #expect(cache.cachedByteCount <= 64 * Self.blockBytes)
        #expect(cache.cachedByteCount % Allocator.pageSize == 0)
    }
}
