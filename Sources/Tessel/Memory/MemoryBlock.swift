#if canImport(Glibc)
import Glibc
#endif

/// A block of raw memory owned by Tessel: at least `Allocator.alignment`-byte aligned and
/// released when the last reference goes away.
///
/// `@unchecked Sendable`: the block's own fields never change after `init`; the bytes it
/// points to are shared deliberately — kernels write disjoint ranges of them from different
/// tiles, and a `Tensor` copies its block before a mutation when it is not the sole owner.
public final class MemoryBlock: @unchecked Sendable {
    /// The first byte; aligned to at least `Allocator.alignment`.
    public let baseAddress: UnsafeMutableRawPointer
    /// The usable size in bytes.
    public let byteCount: Int
    private let deallocate: @Sendable (UnsafeMutableRawPointer, Int) -> Void

    /// Takes ownership of `baseAddress`; `deallocate` is called once, on deinit.
    init(baseAddress: UnsafeMutableRawPointer, byteCount: Int,
         deallocate: @escaping @Sendable (UnsafeMutableRawPointer, Int) -> Void) {
        self.baseAddress = baseAddress
        self.byteCount = byteCount
        self.deallocate = deallocate
    }

    deinit { deallocate(baseAddress, byteCount) }
}

/// Hands out aligned memory blocks. Every tensor's storage comes from here.
public struct Allocator: Sendable {
    /// Alignment of every block, in bytes: a cache line, and the width of an AVX-512 load.
    public static let alignment = 64

    /// The allocator tensors use unless told otherwise.
    public static let standard = Allocator()

    public init() {}

    /// Allocates `byteCount` bytes (0 is allowed and gives a valid, aligned block).
    /// - Throws: `TesselError.outOfMemory` when the system refuses.
    public func allocate(byteCount: Int) throws -> MemoryBlock {
        precondition(byteCount >= 0, "byteCount must not be negative")
        var pointer: UnsafeMutableRawPointer?
        let status = posix_memalign(&pointer, Allocator.alignment, max(byteCount, Allocator.alignment))
        guard status == 0, let pointer else {
            throw TesselError.outOfMemory(bytes: byteCount, policy: "aligned", reason: "posix_memalign returned \(status)")
        }
        return MemoryBlock(baseAddress: pointer, byteCount: byteCount) { pointer, _ in free(pointer) }
    }
}
