/// A ReLU fused after a normalization (see `Network`'s `FusionPlan`): its forward runs on each
/// span of the normalization's output pass as soon as the span is written, its backward on each
/// span of dout right before the normalization's backward sums that span, from cache. Both use
/// the ReLU layer's own element operations (`ElementWise.relu`, `ElementWise.reluBackward`),
/// which depend on the element alone, so the bits are those of the ReLU layer run on its own.
enum FusedReLU {
    /// The dout a batch normalization's passes read for the `count` values at `offset`:
    /// `dout + offset` without a fused ReLU; with one (`reluOutput`, the ReLU's output), their
    /// ReLU backward written to `scratch` (`count` values, the caller's) and `scratch`. Each
    /// pass masks its spans again instead of keeping a masked tensor of x's size.
    @inline(__always)
    static func span<T: TesselScalar>(_ dout: UnsafePointer<T>, reluOutput: UnsafePointer<T>?, offset: Int, count: Int,
                                      scratch: UnsafeMutablePointer<T>?) -> UnsafePointer<T> {
        guard let reluOutput, let scratch else { return dout + offset }
        ElementWise.reluBackward(dout + offset, reluOutput + offset, scratch, count: count)
        return UnsafePointer(scratch)
    }

    /// Runs `body` over every tile of `tiling` with a scratch area of `spanLength` elements of
    /// `T` per worker for `span` when there is a fused ReLU (`masks`), and with none (nil) when
    /// there is not, so the unfused path allocates nothing more.
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

    /// Runs `body(mask)` where `mask` is nil without `reluOutput`; with it, `mask` masks spans
    /// of `dout` (`ElementWise.reluBackward` into a buffer of dout's shape that lives until
    /// `body` returns) and `mask.dout` is that buffer, which the passes then read as their dout.
    /// Layer norm and group norm take it: their sweep that sums a span is not the one that
    /// reads it back for dx.
    static func withMask<T: TesselScalar, R>(_ dout: Tensor<T>, reluOutput: Tensor<T>?, scheduler: Scheduler,
                                             _ body: (Mask<T>?) throws -> R) throws -> R {
        guard let reluOutput else { return try body(nil) }
        var masked = try Tensor<T>.uninitialized(shape: dout.shape, allocator: scheduler.allocator)
        return try withBaseAddresses(dout, reluOutput) { dout, relu in
            try masked.withUnsafeMutableBufferPointer { masked in
                try body(Mask(source: dout, reluOutput: relu, masked: masked.baseAddress!))
            }
        }
    }

    /// Where a fused ReLU's backward reads and writes: `apply(offset, count)` writes the masked
    /// dout of that span into `dout`.
    struct Mask<T: TesselScalar> {
        let source: UnsafePointer<T>, reluOutput: UnsafePointer<T>, masked: UnsafeMutablePointer<T>

        init(source: UnsafePointer<T>, reluOutput: UnsafePointer<T>, masked: UnsafeMutablePointer<T>) {
            (self.source, self.reluOutput, self.masked) = (source, reluOutput, masked)
        }

        /// The masked dout, which the normalization's passes read.
        var dout: UnsafePointer<T> { UnsafePointer(masked) }

        /// The ReLU's backward of the `count` values from `offset`.
        @inline(__always)
        func apply(_ offset: Int, count: Int) {
            ElementWise.reluBackward(source + offset, reluOutput + offset, masked + offset, count: count)
        }
    }
}
