// Spatial batch norm → ReLU → max pool as one chain of a training step (`FusionPlan`): the
// normalized planes and the ReLU's output never reach memory. The forward normalizes each plane
// into the worker's scratch, applies the ReLU there and pools it; the backward recomputes that
// plane of the ReLU's output from x in both of its passes, scatters the pool's dout into it
// (`MaxPool.backwardRows`) and masks it by the ReLU before the normalization sums it or writes
// dx. Each step is the layers' own element operation on the same values (`CenteredAffine`,
// `forwardReLU`, `ElementWise.reluBackward`, the max pool's row kernels), so the chain gives the
// bits of the three layers run one by one, with memory passes of x and the pooled tensors only.
// For 2×2 windows at stride 2 on rows of whole vectors (`PooledChain.runsInRegisters`) the
// same operations run on pairs of rows in registers instead (PooledChain+Registers.swift).
import CCacheHints

/// One spatial batch norm → ReLU → max pool chain over checked arguments: x (N, C, H, W), the
/// forward's per-channel coefficients, and the pool's geometry.
struct PooledChain<T: TesselScalar> {
    let x: UnsafePointer<T>
    /// Per channel: `out = shift + (x − center)·scale` (`BatchNorm.forwardCoefficients`, β).
    let center: UnsafePointer<T>, scale: UnsafePointer<T>, shift: UnsafePointer<T>
    let channels: Int
    let geometry: PoolingGeometry

    /// Elements of one plane, H·W.
    var plane: Int { geometry.height * geometry.width }

    /// Whole planes per tile, about `elementsPerTile` elements of x each.
    func tiling(_ scheduler: Scheduler) -> Tiling {
        Tiling(rows: geometry.n * geometry.c, tileRows: max(1, scheduler.tiles.elementsPerTile / max(1, plane)))
    }

    /// The ReLU's output of plane `index` (of the N·C), written to `y` (a plane).
    @inline(__always)
    func reluOutput(plane index: Int, into y: UnsafeMutablePointer<T>) {
        let c = index % channels
        CenteredAffine.forwardReLU(x + index * plane, mean: center[c], scale: scale[c], shift: shift[c], out: y, count: plane)
    }

    /// The normalization's dout of plane `index`: the ReLU's backward of the max pool's
    /// backward of that plane of `pooledDout` (N, C, H', W'), computed in `scratch` (two planes).
    @inline(__always)
    func layerDout(plane index: Int, pooledDout: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>) -> UnsafePointer<T> {
        let y = scratch, dy = scratch + plane
        reluOutput(plane: index, into: y)
        MaxPool.backwardThroughReLU(y, pooledDout + index * geometry.outHeight * geometry.outWidth, dy, geometry)
        return UnsafePointer(dy)
    }
}

extension SpatialBatchNorm {
    /// Whether a chain (`PooledChain`) suits a max pool by `window` over planes `width` wide: windows that do
    /// not overlap, in rows of at least 16 (the pool's vector path). Otherwise the pool's
    /// backward (a scatter-add over shared rows, or its scalar path) would run in both backward
    /// passes, and the chain measured slower than the layers apart (`stem`'s 3×3 windows at
    /// stride 2; `digits`' 8×8 planes). An order-neutral choice: the bits are the same.
    static func chainSuits(pooling window: PoolingWindow, width: Int) -> Bool {
        window.stride >= window.poolHeight && window.stride >= window.poolWidth
            && width >= window.poolWidth && 1 + (width - window.poolWidth) / window.stride >= 16
    }

    /// Runs `body` with the chain over `x` normalized by the per-channel `mean` and `inverseStd`,
    /// `gamma` and `beta`, pooled by `window`; a backward's `pooledDout` is checked against the
    /// pool's output shape.
    /// - Throws: `MaxPool`'s `TesselError`s for a window that does not fit x or a `pooledDout`
    ///   not of the pool's output shape.
    static func withPooledChain<T: TesselScalar, R>(_ x: Tensor<T>, mean: UnsafePointer<Double>, inverseStd: UnsafePointer<Double>,
                                                    gamma: Tensor<T>, beta: Tensor<T>, window: PoolingWindow,
                                                    pooledDout: Tensor<T>? = nil, scheduler: Scheduler,
                                                    _ body: (PooledChain<T>) throws -> R) throws -> R {
        let geometry = if let pooledDout {
            try PoolingGeometry(x: x.shape, dout: pooledDout, window: window, layer: MaxPool.name)
        } else {
            try PoolingGeometry(x: x.shape, window: window, layer: MaxPool.name)
        }
        let channels = x.shape[1]
        return try scheduler.withScratch(T.self, count: 2 * channels) { scratch in
            let center = scratch.baseAddress!, scale = center + channels
            gamma.withUnsafeBufferPointer { gamma in
                for c in 0..<channels {
                    (center[c], scale[c]) = BatchNorm.forwardCoefficients(mean: mean[c], inverseStd: inverseStd[c], gamma: gamma[c])
                }
            }
            return try withBaseAddresses(x, beta) { x, beta in
                try body(PooledChain(x: x, center: center, scale: scale, shift: beta, channels: channels, geometry: geometry))
            }
        }
    }

    /// `MaxPool.forward(ReLU(normalize(x)))` in one pass over x: (N, C, H', W'). The
    /// arguments are `normalize`'s, and the pool's `window`.
    /// - Throws: `MaxPool`'s `TesselError`s for a window that does not fit x;
    ///   `TesselError.outOfMemory`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func normalizePooling<T: TesselScalar>(_ x: Tensor<T>, mean: UnsafePointer<Double>, inverseStd: UnsafePointer<Double>,
                                                          gamma: Tensor<T>, beta: Tensor<T>, window: PoolingWindow,
                                                          scheduler: Scheduler) throws -> Tensor<T> {
        try withPooledChain(x, mean: mean, inverseStd: inverseStd, gamma: gamma, beta: beta, window: window,
                            scheduler: scheduler) { chain in
            let g = chain.geometry, tiling = chain.tiling(scheduler)
            var out = try Tensor<T>.uninitialized(shape: g.outputShape, allocator: scheduler.allocator)
            try out.withUnsafeMutableBufferPointer { outs in
                let out = outs.baseAddress!
                try scheduler.forEachTile(tiling, workPerTile: 2 * tiling.tileRows * chain.plane,
                                          scratchBytesPerWorker: chain.plane * MemoryLayout<T>.stride) { tile, scratch in
                    let y = scratch.assumingMemoryBound(to: T.self)
                    for index in tile.rows {
                        if chain.runsInRegisters {
                            chain.poolPlane(index, into: out + index * g.outHeight * g.outWidth)
                        } else {
                            chain.reluOutput(plane: index, into: y)
                            MaxPool.forwardRows(0..<g.outHeight, y, out + index * g.outHeight * g.outWidth, g)
                        }
                    }
                }
            }
            return out
        }
    }

    /// `gradientSums` for a ReLU and a max pool fused after this layer: `pooledDout`
    /// (N, C, H', W') is the pool's dout, `beta` the forward's β, `window` the pool's.
    /// - Throws: `MaxPool`'s `TesselError`s for a window that does not fit or a `pooledDout`
    ///   not of the pool's output shape; `TesselError.outOfMemory`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func gradientSums<T: TesselScalar>(pooledDout: Tensor<T>, window: PoolingWindow, beta: Tensor<T>, cache: Cache<T>,
                                                      sums: UnsafeMutablePointer<Double>, scheduler: Scheduler) throws {
        try withBaseAddresses(cache.mean, cache.inverseStd, pooledDout) { mean, inverseStd, dout in
            try withPooledChain(cache.x, mean: mean, inverseStd: inverseStd, gamma: cache.gamma, beta: beta, window: window,
                                pooledDout: pooledDout, scheduler: scheduler) { chain in
                let plane = chain.plane
                if chain.runsInRegisters {
                    try channelGradientSums(shape: cache.x.shape, scratchLength: 0, sumDout: sums, sumDoutCentered: sums + chain.channels,
                                            scheduler: scheduler) { (offset, c, _: UnsafeMutablePointer<T>?) in
                        chain.gradientSums(plane: offset / plane, pooledDout: dout, mean: mean[c])
                    }
                } else {
                    try channelGradientSums(x: chain.x, mean: mean, shape: cache.x.shape, scratchLength: 2 * plane, sumDout: sums,
                                            sumDoutCentered: sums + chain.channels, scheduler: scheduler) { offset, scratch in
                        chain.layerDout(plane: offset / plane, pooledDout: dout, scratch: scratch!)
                    }
                }
            }
        }
    }

    /// `gradients` for a ReLU and a max pool fused after this layer, from the `sums` of
    /// `gradientSums(pooledDout:…)` over `count` samples. A dx of
    /// `TileSettings.streamingOutputBytes` or more is written with streaming stores.
    /// - Throws: as `gradientSums(pooledDout:…)`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func gradients<T: TesselScalar>(pooledDout: Tensor<T>, window: PoolingWindow, beta: Tensor<T>, cache: Cache<T>,
                                                   count samples: Int, sums: UnsafePointer<Double>,
                                                   scheduler: Scheduler) throws -> NormalizationGradients<T> {
        let x = cache.x, channels = x.shape[1], plane = x.shape[2] * x.shape[3]
        return try withBaseAddresses(cache.mean, cache.inverseStd, pooledDout) { mean, inverseStd, dout in
            try withPooledChain(x, mean: mean, inverseStd: inverseStd, gamma: cache.gamma, beta: beta, window: window,
                                pooledDout: pooledDout, scheduler: scheduler) { chain in
                try BatchNorm.gradients(cache: cache, formula: .simplified, count: Double(samples * plane), sumDout: sums,
                                        sumDoutCentered: sums + channels, sumCentered: nil, scheduler: scheduler) { center, a, b, c in
                    var dx = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
                    let tiling = chain.tiling(scheduler), streams = scheduler.tiles.streams(outputLike: x)
                    try dx.withUnsafeMutableBufferPointer { dxs in
                        let dx = dxs.baseAddress!
                        try scheduler.forEachTile(tiling, workPerTile: 3 * tiling.tileRows * plane,
                                                  scratchBytesPerWorker: 2 * plane * MemoryLayout<T>.stride) { tile, scratch in
                            let scratch = scratch.assumingMemoryBound(to: T.self)
                            for index in tile.rows {
                                let k = index % channels, offset = index * plane
                                if chain.runsInRegisters {
                                    chain.backwardPlane(index, pooledDout: dout, mean: center[k], a: a[k], b: b[k], c: c[k], dx: dx,
                                                        streaming: streams)
                                } else {
                                    CenteredAffine.backward(dout: chain.layerDout(plane: index, pooledDout: dout, scratch: scratch),
                                                            x: chain.x + offset, mean: center[k], a: a[k], b: b[k], c: c[k],
                                                            dx: dx + offset, count: plane, streaming: streams)
                                }
                            }
                            if streams { tessel_store_fence() }
                        }
                    }
                    return dx
                }
            }
        }
    }
}
