/// Scratch memory of a kernel call comes in two kinds, both taken before any tile runs and
/// released when the call returns, never inside a tile:
///
/// - **Per worker**: `forEachTile(_:workPerTile:scratchBytesPerWorker:_:)` hands each running
///   tile an area that no concurrently running tile shares (packing panels, padded images).
/// - **Per call**: `withScratch(_:count:_:)` below, a buffer that all the tiles of a call share,
///   each tile writing only the slots it owns (partials keyed by chunk index, per-channel
///   statistics, coefficients).
extension Scheduler {
    /// Calls `body` with a buffer of `count` uninitialized elements of `T` (at least one),
    /// `Allocator.alignment`-byte aligned, released when `body` returns; returns what `body` returns.
    ///
    /// For small buffers (sizes of the order of the channels or chunks of a call): the memory
    /// comes from the system heap, one `malloc` per call, and is not counted in a
    /// `MemoryBudget`. Whole packed operands and partial matrices, which can be large, come
    /// from `Allocator.standard` instead, which counts them and can refuse them.
    @inlinable
    public func withScratch<T, Result>(_: T.Type, count: Int,
                                       _ body: (UnsafeMutableBufferPointer<T>) throws -> Result) rethrows -> Result {
        let capacity = Swift.max(1, count)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<T>.stride,
                                                   alignment: Swift.max(Allocator.alignment, MemoryLayout<T>.alignment))
        defer { raw.deallocate() }
        return try body(UnsafeMutableBufferPointer(start: raw.bindMemory(to: T.self, capacity: capacity), count: capacity))
    }
}
