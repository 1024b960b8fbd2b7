/// Parallel, deterministic sums: the reduced range is cut into chunks whose length depends
/// only on the shape, each chunk's partial sums are computed in parallel into its own slot
/// (keyed by chunk index, never by thread), and the partials are combined in chunk order.
/// The result is therefore the same bits for any number of workers.
///
/// Partials are `Double` for both element types, so Float32 data is summed in a wider type.
public enum Reduction {
    /// Default chunk length: long enough to amortize a partial, short enough to give 2 × 16
    /// workers something to do on the standard shapes. Order-fixing: a constant, never read
    /// from the machine; changing it changes bits (and the golden digests).
    public static let defaultChunkLength = 64

    /// The chunking of a reduced range of `length` items: chunks of `chunkLength` items
    /// (the last may be shorter). Depends only on its arguments.
    @inlinable
    public static func chunks(length: Int, chunkLength: Int = defaultChunkLength) -> Tiling {
        Tiling(rows: length, tileRows: max(1, chunkLength))
    }
}

extension Scheduler {
    /// Computes `width` sums over a reduced range, deterministically and in parallel.
    ///
    /// `body(chunk, partial)` adds the contribution of the items in `chunk.rows` into
    /// `partial[0 ..< width]`, which starts at zero and belongs to that chunk alone. The
    /// partials are then added in chunk order: `result[j] = (((p₀[j] + p₁[j]) + p₂[j]) + …)`.
    /// - Parameters:
    ///   - chunks: the chunking of the reduced range (see `Reduction.chunks`).
    ///   - width: number of independent sums (e.g. channels).
    ///   - workPerChunk: estimated work of one chunk, compared with `grainSize`.
    ///   - result: receives the `width` sums.
    public func reduce(_ chunks: Tiling, width: Int, workPerChunk: Int,
                       into result: UnsafeMutableBufferPointer<Double>,
                       _ body: (Tile, UnsafeMutableBufferPointer<Double>) -> Void) {
        precondition(result.count >= width, "result buffer too small")
        let chunkCount = chunks.count
        let partials = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, chunkCount * width))
        defer { partials.deallocate() }
        partials.initialize(repeating: 0)
        let base = partials.baseAddress!
        forEachTile(chunks, workPerTile: workPerChunk) { tile in
            body(tile, UnsafeMutableBufferPointer(start: base + tile.index * width, count: width))
        }
        for j in 0..<width { result[j] = 0 }
        for chunk in 0..<chunkCount {
            let partial = base + chunk * width
            for j in 0..<width { result[j] += partial[j] }
        }
    }
}
