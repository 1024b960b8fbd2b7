import CCacheHints

// BatchNorm's tiled kernels: the statistics, the normalization and the gradient passes,
// raw loops on sizes `BatchNorm.swift` has checked.
extension BatchNorm {
    /// Which derivation of dx a backward evaluates.
    enum Formula {
        /// The computation graph: dx = dx̂/σ̂ + 2(x − μ)·∂σ²/N + ∂μ/N, with ∂μ summing both paths.
        case graph
        /// The closed form γ/(N·σ̂)·(N·dout − Σdout − x̂·Σ(dout·x̂)).
        case simplified
    }

    /// The per-feature statistics of a forward, for `features` features: in train mode the
    /// batch mean and variance that `batchMoments(mean, variance)` computes, folded into
    /// `running` with the momentum rule; in test mode the running statistics. Writes the mean
    /// and `1/√(variance + eps)` per feature. Shared with `SpatialBatchNorm`.
    static func featureStatistics<T: TesselScalar>(
        features d: Int, parameters: Parameters, running: inout RunningStatistics<T>,
        mean: UnsafeMutablePointer<Double>, inverseStd: UnsafeMutablePointer<Double>,
        batchMoments: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void
    ) {
        // inverseStd holds the variance until the last loop.
        let variance = inverseStd
        switch parameters.mode {
        case .train:
            batchMoments(mean, variance)
            updateRunning(&running, mean: mean, variance: variance, momentum: parameters.momentum)
        case .test:
            running.mean.withUnsafeBufferPointer { runningMean in
                running.variance.withUnsafeBufferPointer { runningVariance in
                    for j in 0..<d {
                        mean[j] = Double(runningMean[j])
                        variance[j] = Double(runningVariance[j])
                    }
                }
            }
        }
        for j in 0..<d { inverseStd[j] = inverseStandardDeviation(variance: variance[j], eps: parameters.eps) }
    }

    /// `1/√(variance + eps)`, the scale of a feature's normalization.
    @inline(__always)
    static func inverseStandardDeviation(variance: Double, eps: Double) -> Double {
        1 / (variance + eps).squareRoot()
    }

    /// The momentum rule of a train forward: `running ← momentum·running + (1 − momentum)·batch`
    /// for the mean and the variance of every feature.
    static func updateRunning<T: TesselScalar>(_ running: inout RunningStatistics<T>, mean: UnsafePointer<Double>,
                                               variance: UnsafePointer<Double>, momentum: Double) {
        running.mean.withUnsafeMutableBufferPointer { runningMean in
            running.variance.withUnsafeMutableBufferPointer { runningVariance in
                for j in runningMean.indices {
                    runningMean[j] = T(momentum * Double(runningMean[j]) + (1 - momentum) * mean[j])
                    runningVariance[j] = T(momentum * Double(runningVariance[j]) + (1 - momentum) * variance[j])
                }
            }
        }
    }

    /// The coefficients of `dx = c + (x − μ)·b + dout·a` for one feature normalized over
    /// `count` values, from its sums `Σdout`, `Σdout·(x − μ)` and (graph after a train forward
    /// only) `Σ(x − μ)`. Shared with `SpatialBatchNorm`.
    static func gradientCoefficients(mode: Mode, formula: Formula, gamma g: Double, inverseStd ivar: Double, count: Double,
                                     sumDout: Double, sumDoutCentered: Double,
                                     sumCentered: Double) -> (a: Double, b: Double, c: Double) {
        switch (mode, formula) {
        case (.test, _):
            // The running statistics are constants: out is affine in x.
            return (g * ivar, 0, 0)
        case (.train, .graph):
            // The graph's nodes: ∂ivar = Σ dx̂·(x − μ), ∂σ² = −½·ivar³·∂ivar,
            // ∂μ = −Σ(dx̂·ivar + 2(x − μ)·∂σ²/N).
            let divar = g * sumDoutCentered
            let dvar = -0.5 * ivar * ivar * ivar * divar
            let dmu = -(g * ivar * sumDout + 2 * dvar / count * sumCentered)
            return (g * ivar, 2 * dvar / count, dmu / count)
        case (.train, .simplified):
            let k = g * ivar / count
            return (g * ivar, -k * ivar * ivar * sumDoutCentered, -k * sumDout)
        }
    }

    /// One feature's dγ and dβ, and the coefficients in `T` of its `dx = c + (x − center)·b + dout·a`,
    /// from its sums over `count` values (see `gradientCoefficients`).
    struct FeatureGradient<T: TesselScalar> {
        let dgamma: T, dbeta: T, center: T, a: T, b: T, c: T

        @inline(__always)
        init(mode: Mode, formula: Formula, gamma: T, mean: Double, inverseStd: Double, count: Double,
             sumDout: Double, sumDoutCentered: Double, sumCentered: Double) {
            dbeta = T(sumDout)
            dgamma = T(sumDoutCentered * inverseStd)
            center = T(mean)
            let coefficients = gradientCoefficients(mode: mode, formula: formula, gamma: Double(gamma), inverseStd: inverseStd,
                                                    count: count, sumDout: sumDout, sumDoutCentered: sumDoutCentered,
                                                    sumCentered: sumCentered)
            (a, b, c) = (T(coefficients.a), T(coefficients.b), T(coefficients.c))
        }
    }

    /// The tiling of a reduction over the rows: each tile is exactly one chunk of rows × a
    /// block of columns, about `elementsPerTile` elements but at least 4 KiB of each row (a
    /// multiple of 16 columns where possible): the hardware prefetchers stop at page
    /// boundaries, so shorter runs per row read memory at a fraction of the streaming rate.
    static func reductionTiling<T>(_ chunks: ItemChunks, columns: Int, scheduler: Scheduler, as _: T.Type) -> Tiling {
        let minimum = 4096 / MemoryLayout<T>.stride
        let block = Tiling.vectorMultiple(max(minimum, scheduler.tiles.elementsPerTile / chunks.itemsPerChunk))
        return Tiling(rows: chunks.items, columns: columns, tileRows: chunks.itemsPerChunk, tileColumns: block)
    }

    /// Rows a `ColumnSums` call adds at once, keeping its accumulators in registers in between.
    static let rowBlock = 8

    /// `rows` cut into blocks of `rowBlock` rows: (first row, row count) pairs.
    static func rowBlocks(_ rows: Range<Int>) -> some Sequence<(Int, Int)> {
        stride(from: rows.lowerBound, to: rows.upperBound, by: rowBlock).lazy.map { ($0, min(rowBlock, rows.upperBound - $0)) }
    }

    /// Mean and centered sum of squares M2 (n times the uncorrected variance) of every column
    /// of the (rows, columns) matrix at `x`. A tile computes its chunk's moments in two sweeps
    /// (sum, then Σ(x − chunk mean)², the second from cache); the chunks are merged in order
    /// with Chan's update (as the moments of several parts of a batch merge to the whole batch's).
    static func columnMoments<T: TesselScalar>(_ x: UnsafePointer<T>, rows n: Int, columns d: Int,
                                               mean: UnsafeMutablePointer<Double>,
                                               m2: UnsafeMutablePointer<Double>, scheduler: Scheduler) {
        let chunks = ItemChunks(items: n, elementsPerItem: d)
        let stride = chunks.count * d
        scheduler.withScratch(Double.self, count: 2 * stride) { scratch in
            let partials = scratch.baseAddress!
            let partialMeans = partials, partialM2s = partials + stride
            let tiling = reductionTiling(chunks, columns: d, scheduler: scheduler, as: T.self)
            scheduler.forEachTile(tiling, workPerTile: 2 * tiling.tileRows * tiling.tileColumns) { mirroredTile in
                let tile = tiling.mirrored(mirroredTile)
                let chunk = chunks.chunk(containing: tile.rows.lowerBound)
                let first = tile.columns.lowerBound, width = tile.columns.count
                let chunkMean = partialMeans + chunk * d + first, chunkM2 = partialM2s + chunk * d + first
                chunkMean.update(repeating: 0, count: width)
                chunkM2.update(repeating: 0, count: width)
                for (start, rows) in rowBlocks(tile.rows) {
                    ColumnSums.accumulate(x + start * d + first, rows: rows, rowStride: d, into: chunkMean, count: width)
                }
                let count = Double(tile.rows.count)
                for j in 0..<width { chunkMean[j] /= count }
                for (start, rows) in rowBlocks(tile.rows) {
                    ColumnSums.accumulateCenteredSquares(x + start * d + first, rows: rows, rowStride: d, mean: chunkMean,
                                                         into: chunkM2, count: width)
                }
            }
            ChunkPartials.mergeMoments(means: partialMeans, m2s: partialM2s, chunks: chunks, valuesPerItem: 1, width: d,
                                       mean: mean, m2: m2, scheduler: scheduler)
        }
    }

    /// A feature's center μ and scale γ/σ̂ in `T`, with which a forward writes
    /// `out = β + (x − center)·scale` (`CenteredAffine.forward`). Shared with `SpatialBatchNorm`.
    @inline(__always)
    static func forwardCoefficients<T: TesselScalar>(mean: Double, inverseStd: Double, gamma: T) -> (center: T, scale: T) {
        (T(mean), T(Double(gamma) * inverseStd))
    }

    /// The output pass of a forward, `out = β + (x − μ)·(γ/σ̂)`: per feature the center μ
    /// and the scale γ/σ̂ in `T`, then `out` of x's shape, written over `tiling` (one unit of
    /// work per element) by `tileBody(tile, x, out, center, scale, shift)`, shift being β.
    /// Shared with `SpatialBatchNorm`.
    static func normalizationPass<T: TesselScalar>(
        _ x: Tensor<T>, mean: UnsafePointer<Double>, inverseStd: UnsafePointer<Double>, gamma: Tensor<T>, beta: Tensor<T>,
        tiling: Tiling, scheduler: Scheduler,
        _ tileBody: (_ tile: Tile, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                     _ center: UnsafePointer<T>, _ scale: UnsafePointer<T>, _ shift: UnsafePointer<T>) -> Void
    ) throws -> Tensor<T> {
        let features = gamma.count
        var out = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
        return scheduler.withScratch(T.self, count: 2 * features) { scratch in
            let coefficients = scratch.baseAddress!
            let center = coefficients, scale = coefficients + features
            gamma.withUnsafeBufferPointer { gamma in
                for j in 0..<features {
                    (center[j], scale[j]) = forwardCoefficients(mean: mean[j], inverseStd: inverseStd[j], gamma: gamma[j])
                }
            }
            x.withUnsafeBufferPointer { xs in
                beta.withUnsafeBufferPointer { betas in
                    out.withUnsafeMutableBufferPointer { outs in
                        let x = xs.baseAddress!, beta = betas.baseAddress!, out = outs.baseAddress!
                        scheduler.forEachTile(tiling, workPerTile: tiling.tileRows * tiling.tileColumns) { tile in
                            tileBody(tile, x, out, center, scale, beta)
                        }
                    }
                }
            }
            return out
        }
    }

    /// `out = β + (x − μ)·(γ/σ̂)`, one pass, tiled in row blocks; with `appliesReLU`, the ReLU
    /// of it in the same sweep (`CenteredAffine.forwardReLU`), and with `dropout` as well, the
    /// dropout of each row's span right after it (`FusedDropout`). An output of
    /// `TileSettings.streamingOutputBytes` or more is written with streaming stores, unless a
    /// fused dropout reads it back.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func normalize<T: TesselScalar>(_ x: Tensor<T>, mean: UnsafePointer<Double>, inverseStd: UnsafePointer<Double>,
                                                   gamma: Tensor<T>, beta: Tensor<T>, appliesReLU: Bool, dropout: FusedDropout<T>?,
                                                   scheduler: Scheduler) throws -> Tensor<T> {
        let n = x.shape[0], d = x.shape[1]
        let tiling = Tiling.rowBlocks(rows: n, columns: d, elementsPerTile: scheduler.tiles.elementsPerTile)
        let streams = dropout == nil && scheduler.tiles.streams(outputLike: x)
        return try normalizationPass(x, mean: mean, inverseStd: inverseStd, gamma: gamma, beta: beta, tiling: tiling,
                                     scheduler: scheduler) { tile, x, out, center, scale, shift in
            let first = tile.columns.lowerBound, width = tile.columns.count
            for i in tile.rows {
                let offset = i * d + first
                if appliesReLU {
                    CenteredAffine.forwardReLU(x + offset, mean: center + first, scale: scale + first, shift: shift + first,
                                               out: out + offset, count: width, streaming: streams)
                } else {
                    CenteredAffine.forward(x + offset, mean: center + first, scale: scale + first, shift: shift + first,
                                           out: out + offset, count: width, streaming: streams)
                }
                dropout?.apply(out, offset: offset, count: width)
            }
            if streams { tessel_store_fence() }
        }
    }

    /// Both backwards: one reduction pass for the per-feature sums, then one pass writing
    /// `dx = c + (x − μ)·b + dout·a` with per-feature a, b, c derived from those sums.
    static func gradients<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>, formula: Formula,
                                                   scheduler: Scheduler) throws -> NormalizationGradients<T> {
        try validateBackward(dout: dout, cache: cache)
        let d = cache.x.shape[1]
        return try scheduler.withScratch(Double.self, count: 3 * d) { scratch in
            let sums = scratch.baseAddress!
            try gradientSums(dout: dout, maskedBy: nil, cache: cache, formula: formula, sums: sums, scheduler: scheduler)
            return try gradients(dout: dout, maskedBy: nil, cache: cache, formula: formula, count: cache.x.shape[0], sums: sums,
                                 scheduler: scheduler)
        }
    }

    /// The per-feature sums of a backward over the rows of `cache.x`, into `sums` (3·D
    /// values): `Σdout`, then `Σdout·(x − μ)`, then `Σ(x − μ)` (0 unless the graph formula
    /// follows a train forward); sums over several parts of a batch add up to the whole batch's.
    /// With `mask` (a ReLU fused after this layer, and maybe a dropout after it, `ChainMask`),
    /// the layer's dout is the chain's backward of `dout`, computed block by block in the same pass (see
    /// `FusedChain.span`).
    /// - Throws: `TesselError.outOfMemory` when the masking scratch cannot be allocated.
    static func gradientSums<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: Cache<T>, formula: Formula,
                                              sums: UnsafeMutablePointer<Double>, scheduler: Scheduler) throws {
        let x = cache.x, n = x.shape[0], d = x.shape[1]
        let withCenteredSum = formula == .graph && cache.mode == .train
        let sumDout = sums, sumDoutCentered = sums + d, sumCentered = sums + 2 * d
        sumCentered.update(repeating: 0, count: d)
        try withBaseAddresses(x, dout, cache.mean) { x, dout, mean in
            try ChainMask.withPointers(mask) { mask in
                try columnGradientSums(dout: dout, x: x, mean: mean, rows: n, columns: d, mask: mask, sumDout: sumDout,
                                       sumDoutCentered: sumDoutCentered, sumCentered: withCenteredSum ? sumCentered : nil,
                                       scheduler: scheduler)
            }
        }
    }

    /// dx, dgamma and dbeta from the `sums` of `gradientSums` over `count` rows (the whole
    /// batch's: more than `cache.x`'s rows when the batch was sharded); with `mask`, dout
    /// is masked again span by span as `gradientSums` masked it.
    static func gradients<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: Cache<T>, formula: Formula,
                                           count rows: Int, sums: UnsafePointer<Double>,
                                           scheduler: Scheduler) throws -> NormalizationGradients<T> {
        let d = cache.x.shape[1]
        return try gradients(cache: cache, formula: formula, count: Double(rows), sumDout: sums, sumDoutCentered: sums + d,
                             sumCentered: sums + 2 * d, scheduler: scheduler) { center, a, b, c in
            try applyGradient(dout: dout, maskedBy: mask, x: cache.x, center: center, a: a, b: b, c: c, scheduler: scheduler)
        }
    }

    /// dgamma and dbeta per feature from its sums over `count` values (`sumCentered` only for
    /// the graph formula after a train forward), and dx from `dx(center, a, b, c)`, which
    /// writes `dx = c + (x − center)·b + dout·a` with these per-feature coefficients in `T`.
    /// Shared with `SpatialBatchNorm`.
    static func gradients<T: TesselScalar>(
        cache: Cache<T>, formula: Formula, count: Double, sumDout: UnsafePointer<Double>, sumDoutCentered: UnsafePointer<Double>,
        sumCentered: UnsafePointer<Double>?, scheduler: Scheduler,
        dx: (_ center: UnsafePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafePointer<T>) throws -> Tensor<T>
    ) throws -> NormalizationGradients<T> {
        let d = cache.gamma.count
        var dgamma = try Tensor<T>.uninitialized(shape: cache.gamma.shape)
        var dbeta = try Tensor<T>.uninitialized(shape: cache.gamma.shape)
        return try scheduler.withScratch(T.self, count: 4 * d) { scratch in
            let coefficients = scratch.baseAddress!
            let center = coefficients, a = coefficients + d, b = coefficients + 2 * d, c = coefficients + 3 * d
            cache.gamma.withUnsafeBufferPointer { gamma in
                cache.mean.withUnsafeBufferPointer { mean in
                    cache.inverseStd.withUnsafeBufferPointer { inverseStd in
                        dgamma.withUnsafeMutableBufferPointer { dgamma in
                            dbeta.withUnsafeMutableBufferPointer { dbeta in
                                for j in 0..<d {
                                    let g = FeatureGradient<T>(mode: cache.mode, formula: formula, gamma: gamma[j], mean: mean[j],
                                                               inverseStd: inverseStd[j], count: count, sumDout: sumDout[j],
                                                               sumDoutCentered: sumDoutCentered[j], sumCentered: sumCentered?[j] ?? 0)
                                    (dbeta[j], dgamma[j], center[j]) = (g.dbeta, g.dgamma, g.center)
                                    (a[j], b[j], c[j]) = (g.a, g.b, g.c)
                                }
                            }
                        }
                    }
                }
            }
            return NormalizationGradients(dx: try dx(center, a, b, c), dgamma: dgamma, dbeta: dbeta)
        }
    }

    /// Per feature over the rows: `Σ dout`, `Σ dout·(x − μ)` and, when `sumCentered` is given,
    /// `Σ (x − μ)`, as chunked partials combined in chunk order. With `mask` (a fused
    /// chain's, `ChainMask`), each block's dout is first masked by it (`FusedChain.span`),
    /// written to the worker's scratch and summed from there.
    private static func columnGradientSums<T: TesselScalar>(
        dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: UnsafePointer<Double>, rows n: Int, columns d: Int,
        mask: ChainMask<T>.Pointers?, sumDout: UnsafeMutablePointer<Double>, sumDoutCentered: UnsafeMutablePointer<Double>,
        sumCentered: UnsafeMutablePointer<Double>?, scheduler: Scheduler
    ) throws {
        let chunks = ItemChunks(items: n, elementsPerItem: d)
        let stride = chunks.count * d
        try scheduler.withScratch(Double.self, count: 3 * stride) { scratch in
            let partials = scratch.baseAddress!
            let tiling = reductionTiling(chunks, columns: d, scheduler: scheduler, as: T.self)
            try FusedChain.forEachTile(tiling, workPerTile: 2 * tiling.tileRows * tiling.tileColumns, masks: mask != nil,
                                      spanLength: rowBlock * tiling.tileColumns, as: T.self, scheduler: scheduler) { mirroredTile, masked in
                let tile = tiling.mirrored(mirroredTile)
                let chunk = chunks.chunk(containing: tile.rows.lowerBound)
                let first = tile.columns.lowerBound, width = tile.columns.count
                let offset = chunk * d + first
                let chunkDout = partials + offset, chunkDoutCentered = partials + stride + offset
                let chunkCentered = sumCentered == nil ? nil : partials + 2 * stride + offset
                chunkDout.update(repeating: 0, count: width)
                chunkDoutCentered.update(repeating: 0, count: width)
                chunkCentered?.update(repeating: 0, count: width)
                for (start, rows) in rowBlocks(tile.rows) {
                    let offset = start * d + first
                    var blockDout = dout + offset, blockStride = d
                    if let masked {
                        for row in 0..<rows {
                            _ = FusedChain.span(dout, mask: mask, offset: offset + row * d, count: width,
                                               scratch: masked + row * width)
                        }
                        (blockDout, blockStride) = (UnsafePointer(masked), width)
                    }
                    ColumnSums.accumulateGradientSums(dout: blockDout, x: x + offset, rows: rows, rowStride: d,
                                                      doutRowStride: blockStride, mean: mean + first, sumDout: chunkDout,
                                                      sumDoutCentered: chunkDoutCentered, sumCentered: chunkCentered, count: width)
                }
            }
            ChunkPartials.sum(partials, chunks: chunks.count, width: d, into: sumDout, scheduler: scheduler)
            ChunkPartials.sum(partials + stride, chunks: chunks.count, width: d, into: sumDoutCentered, scheduler: scheduler)
            if let sumCentered {
                ChunkPartials.sum(partials + 2 * stride, chunks: chunks.count, width: d, into: sumCentered, scheduler: scheduler)
            }
        }
    }

    /// `dx = c + (x − center)·b + dout·a` with per-feature coefficients, one pass in row blocks;
    /// with `mask`, each row's dout is masked first (`FusedChain.span`). A dx of
    /// `TileSettings.streamingOutputBytes` or more is written with streaming stores.
    private static func applyGradient<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, x: Tensor<T>,
                                                       center: UnsafePointer<T>, a: UnsafePointer<T>, b: UnsafePointer<T>,
                                                       c: UnsafePointer<T>, scheduler: Scheduler) throws -> Tensor<T> {
        let n = x.shape[0], d = x.shape[1]
        let tiling = Tiling.rowBlocks(rows: n, columns: d, elementsPerTile: scheduler.tiles.elementsPerTile)
        let streams = scheduler.tiles.streams(outputLike: x)
        return try gradientPass(dout: dout, maskedBy: mask, x: x, tiling: tiling, spanLength: tiling.tileColumns,
                                scheduler: scheduler) { tile, dout, x, dx in
            let first = tile.columns.lowerBound, width = tile.columns.count
            for i in tile.rows {
                let row = i * d + first
                CenteredAffine.backward(dout: dout(row, width), x: x + row, mean: center + first,
                                        a: a + first, b: b + first, c: c + first, dx: dx + row, count: width, streaming: streams)
            }
            if streams { tessel_store_fence() }
        }
    }

    /// The dx pass of a backward: dx of x's shape, written over `tiling` (two units of work
    /// per element) by `tileBody(tile, dout, x, dx)`, where `dout(offset, count)` gives the
    /// `count` values of the layer's dout from `offset` (at most `spanLength`): dout's own, or
    /// with `mask` the chain's backward of them in the worker's scratch. Shared with `SpatialBatchNorm`.
    /// - Throws: `TesselError.outOfMemory` when dx or the masking scratch cannot be allocated.
    static func gradientPass<T: TesselScalar>(
        dout: Tensor<T>, maskedBy mask: ChainMask<T>?, x: Tensor<T>, tiling: Tiling, spanLength: Int, scheduler: Scheduler,
        _ tileBody: (_ tile: Tile, _ dout: (Int, Int) -> UnsafePointer<T>, _ x: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>) -> Void
    ) throws -> Tensor<T> {
        var dx = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
        try withBaseAddresses(x, dout) { x, dout in
            try ChainMask.withPointers(mask) { mask in
                try dx.withUnsafeMutableBufferPointer { dxs in
                    let dx = dxs.baseAddress!
                    try FusedChain.forEachTile(tiling, workPerTile: 2 * tiling.tileRows * tiling.tileColumns, masks: mask != nil,
                                              spanLength: spanLength, as: T.self, scheduler: scheduler) { tile, masked in
                        tileBody(tile, { FusedChain.span(dout, mask: mask, offset: $0, count: $1, scratch: masked) }, x, dx)
                    }
                }
            }
        }
        return dx
    }
}
