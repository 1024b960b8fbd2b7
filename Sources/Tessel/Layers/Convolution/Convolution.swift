/// Two-dimensional convolution over NCHW images (seed: `conv_forward_naive`,
/// `conv_backward_naive`), with zero padding and equal strides along both axes.
///
/// - forward: `x (N, C, H, W)`, `w (F, C, HH, WW)`, `b (F,)` →
///   `out[n, f, i, j] = Σ_{c, di, dj} xpad[n, c, i·stride + di, j·stride + dj] · w[f, c, di, dj] + b[f]`,
///   of shape `(N, F, H', W')` with `H' = 1 + (H + 2·pad − HH) / stride` rounded down (PyTorch's
///   rule), `W'` likewise (see `outputSize`); `xpad` is `x` with `pad` zeros on each side of both
///   spatial axes. Rows and columns of `xpad` that no window reaches get zero gradient.
/// - backward: for `dout (N, F, H', W')`: `dx` (shape of `x`), `dw` (shape of `w`), `db (F,)`;
///   `parameterGradients` gives `dw` and `db` alone, the same bits, without computing `dx`.
///
/// The tiled path lowers the convolution to the blocked GEMM (`GEMM`) with the input gathered
/// straight into packed panels (`Im2col`): forward `out[n] = W · cols(x[n])` per
/// image and block of output pixels; `dx` at stride 1 with square filters, `pad ≤ HH − 1` and
/// at least 16 channels as the forward of dout with the filters transposed and flipped
/// (`transposedGeometry`), otherwise by col2im of `Wᵀ · dout[n]` per image and block of
/// channels; `dw = Σₙ dout[n] · cols(x[n])ᵀ` over fixed chunks of the batch whose partials are
/// added in chunk order, in Double; `db` in Double over the batch, in image order. Every
/// accumulation order depends only on the shape, so results are the same bits for every
/// scheduler. `Convolution.Reference` is the serial oracle.
///
/// The layer does not scan its inputs for NaN or ±∞: they propagate (NaN in, NaN out); only
/// scalar parameters are checked.
public enum Convolution {
    /// The layer's name in errors and on the command line.
    public static let name = "conv"

    /// The convolution's hyperparameters (CS231n's `conv_param`).
    public struct Parameters: Sendable, Equatable {
        /// Pixels between adjacent filter positions, along both axes (≥ 1).
        public var stride: Int
        /// Zeros added on each side of both spatial axes (≥ 0).
        public var pad: Int

        /// `stride` 1 and `pad` 0 unless given; checked when the layer runs.
        public init(stride: Int = 1, pad: Int = 0) {
            self.stride = stride
            self.pad = pad
        }
    }

    /// Pixels of one image per block of the input-gradient product: with about 200 rows of
    /// filter positions per tile the block of `Wᵀ · dout` (≤ 200 KiB of Float) stays in L2
    /// for the col2im that follows. A constant, so that the order of the col2im additions does
    /// not depend on tile settings.
    static var pixelBlock: Int { 256 }

    /// Images per chunk of the weight-gradient sum: at most 16 chunks, fixed by the batch size.
    static func imagesPerChunk(batch: Int) -> Int { max(1, (batch + 15) / 16) }

    /// Tiled forward; returns `out` of shape `(N, F, H', W')`.
    /// - Throws: `TesselError.shapeMismatch` when `x` or `w` is not of rank 4, the channels of
    ///   `w` differ from those of `x`, `b` is not `(F,)`, or a filter dimension is below 1 or
    ///   larger than the padded input; `TesselError.invalidParameter` when `stride < 1`,
    ///   `pad < 0`, or the padded input or the output has an element count that overflows `Int`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TesselScalar>(x: Tensor<T>, w: Tensor<T>, b: Tensor<T>, parameters: Parameters = Parameters(),
                                                scheduler: Scheduler = .default) throws -> Tensor<T> {
        let g = try validate(x: x, w: w, b: b, parameters: parameters)
        var out = try Tensor<T>.uninitialized(shape: [g.n, g.f, g.outH, g.outW], allocator: scheduler.allocator)
        try x.withUnsafeBufferPointer { xs in
            try w.withUnsafeBufferPointer { ws in
                try b.withUnsafeBufferPointer { bs in
                    try out.withUnsafeMutableBufferPointer { outs in
                        try convolve(xs.baseAddress!, ws.baseAddress!, bias: bs.baseAddress!, g, into: outs.baseAddress!,
                                     scheduler: scheduler)
                    }
                }
            }
        }
        return out
    }

    /// The forward product of `g` on raw storage: `out (n, f, outH, outW)` from `x (n, c, h, w)`
    /// and `w (f, c, hh, ww)`, plus `bias (f,)` when given. Per image and block of output
    /// pixels, `W · cols(x)` through the blocked GEMM over `GEMM.depthBlocks(c·hh·ww)`. The B
    /// micro-panels whose vectors each lie in one output row are read in place: from the padded
    /// image at stride 1, from its stride phases (`Im2col.StridePhases`) at larger strides.
    /// - Throws: `TesselError.outOfMemory` when the packed filters or the scratch areas cannot
    ///   be allocated.
    static func convolve<T: TesselScalar>(_ x: UnsafePointer<T>, _ w: UnsafePointer<T>, bias: UnsafePointer<T>?, _ g: Geometry,
                                          into out: UnsafeMutablePointer<T>, scheduler: Scheduler) throws {
        guard g.n > 0, g.f > 0, g.pixels > 0 else { return }
        let mr = GEMM.microRows, nr = GEMM.microColumns(T.self)
        let depth = g.filterSize, pixels = g.pixels
        let blocks = GEMM.depthBlocks(depth)
        let maxBlock = blocks.map(\.count).max() ?? 0
        let paddedF = GEMM.roundUp(g.f, to: mr)
        let phases = g.stride > 1 ? Im2col.StridePhases(g) : nil
        // The packed filters, then the offsets of the filter positions in the padded image or its phases.
        let wBytes = GEMM.roundUp(paddedF * depth * MemoryLayout<T>.stride, to: 64)
        let packedW = try Allocator.standard.allocate(byteCount: wBytes + depth * MemoryLayout<Int>.stride)
        let positionOffsets = (packedW.baseAddress + wBytes).bindMemory(to: Int.self, capacity: depth)
        if let phases {
            phases.writePositionOffsets(g, into: positionOffsets)
        } else {
            Im2col.writePositionOffsets(g, into: positionOffsets)
        }
        let tiling = Tiling(rows: g.n, columns: pixels, tileRows: 1,
                            tileColumns: GEMM.roundUp(scheduler.tiles.gemmColumnBlock, to: nr))
        let panelBytes = maxBlock * nr * MemoryLayout<T>.stride
        let paddedCount = g.c * g.paddedPlane
        let paddedBytes = GEMM.roundUp(paddedCount * MemoryLayout<T>.stride, to: 64)
        let phaseCount = phases?.count ?? 0, phaseBytes = GEMM.roundUp(phaseCount * MemoryLayout<T>.stride, to: 64)
        let wPanels = packedW.baseAddress.bindMemory(to: T.self, capacity: paddedF * depth)
        GEMM.packWholeMatrix(.transposed(w, leadingDimension: depth), extent: g.f, width: mr,
                             blocks: blocks, into: wPanels, scheduler: scheduler)
        try scheduler.forEachTile(tiling, workPerTile: Scheduler.productWork(multiplyAdds: g.f * depth * tiling.tileColumns),
                                  scratchBytesPerWorker: panelBytes + paddedBytes + phaseBytes + GEMM.edgeBytes(T.self)) { tile, scratch in
            let columnPanel = scratch.bindMemory(to: T.self, capacity: maxBlock * nr)
            let padded = (scratch + panelBytes).bindMemory(to: T.self, capacity: paddedCount)
            let phasePlanes = (scratch + panelBytes + paddedBytes).bindMemory(to: T.self, capacity: phaseCount)
            let edge = (scratch + panelBytes + paddedBytes + phaseBytes).bindMemory(to: T.self, capacity: mr * nr)
            let image = tile.rows.lowerBound, columns = tile.columns
            if let phases {
                Im2col.pad(x + image * g.imageSize, g, channels: g.c, into: padded)
                phases.write(from: padded, g, into: phasePlanes)
            } else {
                // Only the rows the tile's windows read: a tile of 512 pixels of a 32 × 32
                // image reads 18 of its 34 padded rows.
                Im2col.pad(x + image * g.imageSize, g, channels: g.c, rows: Im2col.rows(forPixels: columns, g), into: padded)
            }
            let planes = UnsafePointer(phases == nil ? padded : phasePlanes), rowWidth = phases?.width ?? g.paddedWidth
            let c = out + image * g.f * pixels + columns.lowerBound
            GEMM.computeTile(rows: g.f, columns: columns.count, blocks: blocks, c: c, ldc: pixels,
                             accumulate: false, edge: edge,
                             aBlock: { block in UnsafePointer(wPanels + block.start * paddedF) },
                             bPanel: { block, q in
                                 let first = columns.lowerBound + q * nr
                                 if first + nr <= columns.upperBound,
                                    let panel = Im2col.inPlacePanel(planes, g, rowWidth: rowWidth,
                                                                    stepOffsets: UnsafePointer(positionOffsets) + block.start,
                                                                    firstPixel: first) {
                                     return .inPlace(panel)
                                 }
                                 Im2col.packColumns(padded, g, depth: block.start..<(block.start + block.count),
                                                    pixels: first..<columns.upperBound, width: nr, into: columnPanel)
                                 return .packed(columnPanel)
                             })
            if let bias { GEMM.addRowBias(bias, to: c, ldc: pixels, rows: g.f, columns: columns.count) }
        }
        withExtendedLifetime(packedW) {}
    }

    /// Tiled backward; returns `dx` (shape of `x`), `dw` (shape of `w`), `db (F,)`.
    /// - Throws: as `forward`, and `TesselError.shapeMismatch` when `dout` is not `(N, F, H', W')`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                                 parameters: Parameters = Parameters(),
                                                 scheduler: Scheduler = .default) throws -> WeightGradients<T> {
        let g = try gradients(dout: dout, x: x, w: w, b: b, parameters: parameters, withInputGradient: true, scheduler: scheduler)
        return WeightGradients(dx: g.dx!, dw: g.dw, db: g.db)
    }

    /// Tiled backward without `dx`: `dw` and `db` as `backward` computes them (the same bits),
    /// with neither the `Wᵀ · dout` products nor the col2im. For a layer whose input needs no
    /// gradient (a network's first).
    /// - Throws: as `backward`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func parameterGradients<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                                           parameters: Parameters = Parameters(),
                                                           scheduler: Scheduler = .default) throws -> ParameterGradients<T> {
        let g = try gradients(dout: dout, x: x, w: w, b: b, parameters: parameters, withInputGradient: false, scheduler: scheduler)
        return ParameterGradients(dw: g.dw, db: g.db)
    }

    /// `dw`, `db`, and `dx` when `withInputGradient` (else nil, and neither allocated nor computed).
    static func gradients<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>, parameters: Parameters,
                                           withInputGradient: Bool, scheduler: Scheduler) throws -> (dx: Tensor<T>?, dw: Tensor<T>, db: Tensor<T>) {
        let g = try validateBackward(dout: dout, x: x, w: w, b: b, parameters: parameters)
        var dx: Tensor<T>? = try withInputGradient ? Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator) : nil
        var dw = try Tensor<T>.uninitialized(shape: w.shape, allocator: scheduler.allocator)
        var db = try Tensor<T>.uninitialized(shape: [g.f], allocator: scheduler.allocator)
        try x.withUnsafeBufferPointer { xs in
            try w.withUnsafeBufferPointer { ws in
                try dout.withUnsafeBufferPointer { douts in
                    let x = xs.baseAddress!, w = ws.baseAddress!, dout = douts.baseAddress!
                    try dx?.withUnsafeMutableBufferPointer { dxs in
                        try inputGradient(dout, w, g, into: dxs.baseAddress!, scheduler: scheduler)
                    }
                    try dw.withUnsafeMutableBufferPointer { dws in
                        try db.withUnsafeMutableBufferPointer { dbs in
                            try weightGradient(dout, x, g, into: dws.baseAddress!, bias: dbs.baseAddress!, scheduler: scheduler)
                        }
                    }
                }
            }
        }
        return (dx, dw, db)
    }
}
