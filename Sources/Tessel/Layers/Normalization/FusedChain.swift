/// The backward seams of a chain fused after a normalization (see `Network`'s `FusionPlan`):
/// a ReLU, and maybe a dropout after it. The ReLU's forward runs on each value of the
/// normalization's output pass before it is stored (`CenteredAffine.forwardReLU`,
/// `rectifying`), a fused dropout on each span right after it (`FusedDropout`); their backward
/// (`ChainMask`) on each span of dout right before the normalization's backward sums that span,
/// from cache (`span`). They use the layers' own element rules (`ElementWise.relu`,
/// `ElementWise.reluBackward`, `Dropout.applyMask`), which depend on the element and its index
/// alone, so the bits are those of the layers run on their own.
enum FusedChain {
    /// The dout a normalization's passes read for the `count` values at `offset`: `dout +
    /// offset` without a fused chain; with one (`mask`, see `ChainMask`), the ReLU's backward (of
    /// the fused dropout's backward) of them written to `scratch` (`count` values, the
    /// caller's) and `scratch`. No caller keeps a masked tensor of x's size: the batch norms mask
    /// each span again in each pass, layer and group norm keep a worker's masked rows or groups
    /// between their two sweeps.
    @inline(__always)
    static func span<T: TesselScalar>(_ dout: UnsafePointer<T>, mask: ChainMask<T>.Pointers?, offset: Int, count: Int,
                                      scratch: UnsafeMutablePointer<T>?) -> UnsafePointer<T> {
        guard let mask, let scratch else { return dout + offset }
        ChainMask.apply(mask, dout, offset: offset, count: count, into: scratch)
        return UnsafePointer(scratch)
    }

    /// Runs `body` over every tile of `tiling` with a scratch area of `spanLength` elements of
    /// `T` per worker when `masks` (for `span`'s masked dout, or a pooled chain's planes), and
    /// with none (nil) otherwise, so the unfused path allocates nothing more.
    /// - Throws: `TesselError.outOfMemory` when the scratch areas cannot be allocated.
    static func forEachTile<T: TesselScalar>(_ tiling: Tiling, workPerTile: Int, masks: Bool, spanLength: Int, as _: T.Type,
                                             scheduler: Scheduler, _ body: (Tile, UnsafeMutablePointer<T>?) -> Void) throws {
        guard masks else {
            scheduler.forEachTile(tiling, workPerTile: workPerTile) { body($0, nil) }
            return
        }
        try scheduler.forEachTile(tiling, workPerTile: workPerTile, scratchBytesPerWorker: spanLength * MemoryLayout<T>.stride) {
            body($0, $1.assumingMemoryBound(to: T.self))
        }
    }
}
