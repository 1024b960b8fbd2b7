/// Parallel, deterministic sums: the reduced range is cut into chunks whose length depends
/// only on the shape, each chunk's partial sums are computed in parallel into its own slot
/// (keyed by chunk index, never by thread), and the partials are combined in chunk order.
/// The result is therefore the same bits for any number of workers.
///
/// Partials are `Double` for both element types, so Float32 data is summed in a wider type.
/// The chunking is a one-dimensional `Tiling` (`Tiling.split`); the fold is `ChunkPartials`.
public enum Reduction {
    /// Default chunk length: long enough to amortize a partial, short enough to give 2 × 16
    /// workers something to do on the standard shapes. Order-fixing: a constant, never read
    /// from the machine; changing it changes bits (and the golden digests).
    public static let defaultChunkLength = 64
}

extension Scheduler {
    /// Computes `width` sums over a reduced range, deterministically and in parallel.
    ///
    /// `body(chunk, partial)` adds the contribution of the items in `chunk.rows` into
    /// `partial[0 ..< width]`, which starts at zero and belongs to that chunk alone. The
    /// partials are then added in chunk order: `result[j] = (((p₀[j] + p₁[j]) + p₂[j]) + …)`.
    /// - Parameters:
    ///   - chunks: the chunking of the reduced range, `Tiling.split(length, targetItemsPerTile: chunkLength)`.
    ///   - width: number of independent sums (e.g. channels).
    ///   - workPerChunk: estimated work of one chunk, compared with `grainSize`.
    ///   - result: receives the `width` sums.
    public func reduce(_ chunks: Tiling, width: Int, workPerChunk: Int,
                       into result: UnsafeMutableBufferPointer<Double>,
                       _ body: (Tile, UnsafeMutableBufferPointer<Double>) -> Void) {
        precondition(result.count >= width, "result buffer too small")
        let chunkCount = chunks.count
        // Each chunk's partials start on a cache line of their own: two workers on neighbouring
        // chunks would otherwise pull one line back and forth at every update (a loss updates its
        // one partial per row).
        let linePartials = Allocator.alignment / MemoryLayout<Double>.stride
        let stride = (width + linePartials - 1) / linePartials * linePartials
        withScratch(Double.self, count: chunkCount * stride) { partials in
            partials.initialize(repeating: 0)
            let base = partials.baseAddress!
            forEachTile(chunks, workPerTile: workPerChunk) { tile in
                body(tile, UnsafeMutableBufferPointer(start: base + tile.index * stride, count: width))
            }
            ChunkPartials.sum(base, chunks: chunkCount, stride: stride, columns: 0..<width, into: result.baseAddress!)
        }
    }
}
