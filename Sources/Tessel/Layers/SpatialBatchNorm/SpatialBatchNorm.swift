import CCacheHints

/// Spatial batch normalization of an (N, C, H, W) tensor: batch norm per channel over the
/// N·H·W values of that channel (seed: `spatial_batchnorm_forward`, `spatial_batchnorm_backward`).
///
/// The rules are batch norm's, with the N·H·W values of a channel as its batch: train mode uses
/// the batch mean and uncorrected variance and updates the running statistics with the
/// momentum rule; test mode uses the running statistics. `backward` evaluates the simplified
/// closed form `dx = γ/(M·σ̂)·(M·dout − Σdout − x̂·Σ(dout·x̂))`, M = N·H·W, after a train
/// forward, and `dx = dout·γ/σ̂` after a test forward.
///
/// Parallel and deterministic: a channel's values lie in N planes of H·W contiguous values.
/// The reductions cut N into chunks of samples fixed by the shape (`ItemChunks`); a tile is
/// one chunk × a block of channels, so there is work for every worker even with fewer
/// channels than workers. A (chunk, channel) partial — two-pass mean and M2 over the chunk's
/// planes, or the backward's Σdout and Σdout·(x − μ) — is `Double`; partials are combined per
/// channel in chunk order (Chan's update for the moments). The output passes are element-wise
/// over planes. Passes over memory as batch norm's: forward two reads of x and one write,
/// backward two reads of x and dout and one write; the reduction passes walk their tiles in
/// reverse so that the output pass starts on data still in the last-level cache. When a
/// channel of a tensor fits 1 MiB and there are two channels per worker, a tile owns whole
/// channels instead and runs both passes of a channel back to back, its second sweep reading
/// from cache (SpatialBatchNorm+Resident.swift): the same operations in the same order, so
/// the same bits, with memory read once.
///
/// `SpatialBatchNorm.Reference` is the serial oracle.
///
/// Numerics: as `BatchNorm`: a constant channel gives `out = β` and finite gradients. The layer
/// does not scan its inputs for NaN or ±∞: they propagate (NaN in, NaN out); only scalar
/// parameters are checked.
public enum SpatialBatchNorm {
    /// The layer's name in errors and on the command line.
    public static let name = "spatial_batchnorm"

    /// CS231n's `bn_param`: mode, eps and momentum, with batch norm's rules and defaults.
    public typealias Parameters = BatchNorm.Parameters

    /// What the backward needs: batch norm's cache, with the C channels as its features.
    public typealias Cache<T: TesselScalar> = BatchNorm.Cache<T>

    /// Tiled forward. `x`: (N, C, H, W); `gamma`, `beta`: (C,); `running`: mean and variance of
    /// shape (C,), updated in train mode. Returns `out` (N, C, H, W) and the cache for `backward`.
    /// - Throws: `TesselError.shapeMismatch` when x is not of rank 4, when gamma, beta or the
    ///   running statistics are not (C,), or when N·H·W = 0 in train mode (no batch
    ///   statistics); `TesselError.invalidParameter` for eps ≤ 0 or not finite, momentum
    ///   outside [0, 1].
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                running: inout RunningStatistics<T>,
                                                scheduler: Scheduler = .default) throws -> (out: Tensor<T>, cache: Cache<T>) {
        try validateForward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: running)
        if let resident = try residentForward(x: x, gamma: gamma, beta: beta, parameters: parameters, appliesReLU: false,
                                              dropout: nil, running: &running, scheduler: scheduler) {
            return resident
        }
        return try normalizingForward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running, scheduler: scheduler)
    }

    /// `out = β + (x − μ)·(γ/σ̂)` per channel, one pass over the planes; with `appliesReLU`,
    /// the ReLU of it in the same sweep (`CenteredAffine.forwardReLU`), and with `dropout` as
    /// well, the dropout of each span right after it (`FusedDropout`). An output of
    /// `TileSettings.streamingOutputBytes` or more is written with streaming stores, unless a
    /// fused dropout reads it back.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func normalize<T: TesselScalar>(_ x: Tensor<T>, mean: UnsafePointer<Double>, inverseStd: UnsafePointer<Double>,
                                                   gamma: Tensor<T>, beta: Tensor<T>, appliesReLU: Bool, dropout: FusedDropout<T>?,
                                                   scheduler: Scheduler) throws -> Tensor<T> {
        let channels = x.shape[1], plane = x.shape[2] * x.shape[3]
        let tiling = Tiling.rowBlocks(rows: x.shape[0] * channels, columns: plane, elementsPerTile: scheduler.tiles.elementsPerTile)
        let streams = dropout == nil && scheduler.tiles.streams(outputLike: x)
        return try BatchNorm.normalizationPass(x, mean: mean, inverseStd: inverseStd, gamma: gamma, beta: beta, tiling: tiling,
                                               scheduler: scheduler) { tile, x, out, center, scale, shift in
            let first = tile.columns.lowerBound, width = tile.columns.count
            for planeIndex in tile.rows {
                let c = planeIndex % channels, offset = planeIndex * plane + first
                if appliesReLU {
                    CenteredAffine.forwardReLU(x + offset, mean: center[c], scale: scale[c], shift: shift[c], out: out + offset,
                                               count: width, streaming: streams)
                } else {
                    CenteredAffine.forward(x + offset, mean: center[c], scale: scale[c], shift: shift[c], out: out + offset,
                                           count: width, streaming: streams)
                }
                dropout?.apply(out, offset: offset, count: width)
            }
            if streams { tessel_store_fence() }
        }
    }

    /// Tiled backward. `dout`: (N, C, H, W) like the cached x. Returns dx (N, C, H, W), dgamma
    /// and dbeta (C,).
    /// - Throws: `TesselError.shapeMismatch` when dout's shape is not x's.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>,
                                                 scheduler: Scheduler = .default) throws -> NormalizationGradients<T> {
        try validateBackward(dout: dout, cache: cache)
        if let resident = try residentBackward(dout: dout, maskedBy: nil, cache: cache, scheduler: scheduler) { return resident }
        return try scheduler.withScratch(Double.self, count: 2 * cache.x.shape[1]) { scratch in
            let sums = scratch.baseAddress!
            try gradientSums(dout: dout, maskedBy: nil, cache: cache, sums: sums, scheduler: scheduler)
            return try gradients(dout: dout, maskedBy: nil, cache: cache, count: cache.x.shape[0], sums: sums, scheduler: scheduler)
        }
    }

    /// The per-channel sums of a backward over `cache.x`, into `sums` (2·C values): `Σdout`,
    /// then `Σdout·(x − μ)`; sums over several parts of a batch add up to the whole batch's.
    /// With `mask` (a ReLU fused after this layer, and maybe a dropout after it, `ChainMask`),
    /// the layer's dout is the chain's backward of `dout`, masked plane by plane in the pass
    /// (`FusedChain.span`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func gradientSums<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: Cache<T>,
                                                      sums: UnsafeMutablePointer<Double>, scheduler: Scheduler) throws {
        let channels = cache.x.shape[1], plane = cache.x.shape[2] * cache.x.shape[3]
        try withBaseAddresses(cache.x, dout, cache.mean) { x, dout, mean in
            try ChainMask.withPointers(mask) { mask in
                try channelGradientSums(x: x, mean: mean, shape: cache.x.shape, scratchLength: mask == nil ? 0 : plane,
                                        sumDout: sums, sumDoutCentered: sums + channels, scheduler: scheduler) { offset, masked in
                    FusedChain.span(dout, mask: mask, offset: offset, count: plane, scratch: masked)
                }
            }
        }
    }

    /// dx, dgamma and dbeta from the `sums` of `gradientSums` over `count` samples (the whole
    /// batch's: more than `cache.x`'s N when the batch was sharded); with `mask`, each
    /// plane of dout is masked again as `gradientSums` masked it. A dx of
    /// `TileSettings.streamingOutputBytes` or more is written with streaming stores.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func gradients<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: Cache<T>, count samples: Int,
                                                   sums: UnsafePointer<Double>, scheduler: Scheduler) throws -> NormalizationGradients<T> {
        let x = cache.x, n = x.shape[0], channels = x.shape[1], plane = x.shape[2] * x.shape[3]
        return try BatchNorm.gradients(cache: cache, formula: .simplified, count: Double(samples * plane), sumDout: sums,
                                       sumDoutCentered: sums + channels, sumCentered: nil, scheduler: scheduler) { center, a, b, c in
            let tiling = Tiling.rowBlocks(rows: n * channels, columns: plane, elementsPerTile: scheduler.tiles.elementsPerTile)
            let streams = scheduler.tiles.streams(outputLike: x)
            return try BatchNorm.gradientPass(dout: dout, maskedBy: mask, x: x, tiling: tiling, spanLength: tiling.tileColumns,
                                              scheduler: scheduler) { tile, dout, x, dx in
                let first = tile.columns.lowerBound, width = tile.columns.count
                for planeIndex in tile.rows {
                    let k = planeIndex % channels, offset = planeIndex * plane + first
                    CenteredAffine.backward(dout: dout(offset, width), x: x + offset, mean: center[k], a: a[k], b: b[k], c: c[k],
                                            dx: dx + offset, count: width, streaming: streams)
                }
                if streams { tessel_store_fence() }
            }
        }
    }

    // MARK: - Validation (shared with the reference)

    /// The output shape for an input of shape `x` (`x` itself), once `eps`, `momentum` and the
    /// rank of `x` are checked as `forward` checks them.
    /// - Throws: as `forward`, for these checks.
    public static func outputShape(x: [Int], parameters: Parameters) throws -> [Int] {
        try NormalizationChecks.eps(parameters.eps, layer: name)
        try NormalizationChecks.momentum(parameters.momentum, layer: name)
        try NormalizationChecks.rank(x, 4, layout: "(N, C, H, W)", layer: name, argument: "x")
        return x
    }

    package static func validateForward<T>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                           running: RunningStatistics<T>) throws {
        _ = try outputShape(x: x.shape, parameters: parameters)
        let channels = [x.shape[1]], meaning = "(C,) for x of shape \(Shape.describe(x.shape))"
        try NormalizationChecks.shape(gamma, channels, meaning: meaning, layer: name, argument: "gamma")
        try NormalizationChecks.shape(beta, channels, meaning: meaning, layer: name, argument: "beta")
        try NormalizationChecks.shape(running.mean, channels, meaning: meaning, layer: name, argument: "running_mean")
        try NormalizationChecks.shape(running.variance, channels, meaning: meaning, layer: name, argument: "running_var")
        if parameters.mode == .train && x.shape[0] * x.shape[2] * x.shape[3] == 0 {
            throw TesselError.shapeMismatch(component: name, argument: "x",
                                            expected: "N·H·W ≥ 1 in train mode (a channel of no values has no mean or variance)",
                                            actual: x.shape)
        }
    }
}

extension SpatialBatchNorm: BatchNormalizationLayer {
    package static func valuesPerFeature(shape: [Int]) -> Int { shape[2] * shape[3] }

    /// `Σdout` and `Σdout·(x − μ)` per channel.
    package static func gradientSumCount(features: Int) -> Int { 2 * features }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func moments<T: TesselScalar>(_ x: Tensor<T>, mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>,
                                                 scheduler: Scheduler) {
        x.withUnsafeBufferPointer { xs in
            channelMoments(xs.baseAddress!, shape: x.shape, mean: mean, m2: m2, scheduler: scheduler)
        }
    }
}
