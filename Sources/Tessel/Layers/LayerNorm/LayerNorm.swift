import CCacheHints

/// Layer normalization: each row of an (N, D) matrix normalized over its D features (seed:
/// `layernorm_forward`, `layernorm_backward`). The same in train and test; no running statistics.
///
/// - forward: per row i, μᵢ and the uncorrected variance σ²ᵢ over its D values;
///   `out = γ·(x − μ)/√(σ² + eps) + β`, γ and β per feature.
/// - backward: with x̂ the normalized row and σ̂ = √(σ² + eps),
///   `dx = (1/σ̂)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))` where `dx̂ = dout·γ` (means over the row),
///   `dgamma = Σᵢ dout·x̂`, `dbeta = Σᵢ dout`.
///
/// Parallel and deterministic: a row's statistics and its dx belong to the one tile that holds
/// the row (two-pass moments over the row, read from cache). dgamma and dbeta, sums over N,
/// are accumulated per chunk of rows (`ItemChunks`, fixed by the shape) in the same pass that
/// writes dx, and combined in chunk order in `Double`. Passes over memory: forward one read of
/// x and one write; backward one read of x and dout and one write. In both, the sweep that
/// writes a row also reads (sums) the tile's next row, so reading memory overlaps writing it.
///
/// `LayerNorm.Reference` is the serial oracle.
///
/// Numerics: the mean and variance are taken in Double, so rows near Float32's largest
/// magnitude (whose squares overflow Float) or its smallest normals (whose squares underflow)
/// give finite, correct outputs. The layer does not scan its inputs for NaN or ±∞: they
/// propagate (NaN in, NaN out); only scalar parameters are checked. eps must be positive and
/// finite.
public enum LayerNorm {
    /// The layer's name in errors and on the command line.
    public static let name = "layernorm"

    /// CS231n's `ln_param`.
    public struct Parameters: Sendable, Equatable {
        /// Added to the variance before the square root; must be positive and finite.
        public var eps: Double

        /// CS231n's default `eps = 1e-5`.
        public init(eps: Double = 1e-5) {
            self.eps = eps
        }
    }

    /// What the backward needs: the input, γ, and per row the mean and `1/√(variance + eps)`
    /// in `Double`.
    public struct Cache<T: TesselScalar>: Sendable {
        /// The forward's input, (N, D).
        public let x: Tensor<T>
        /// The forward's scale γ, (D,).
        public let gamma: Tensor<T>
        /// The mean of each row, (N,).
        public let mean: Tensor<Double>
        /// `1/√(variance + eps)` of each row, (N,).
        public let inverseStd: Tensor<Double>
    }

    /// Tiled forward. `x`: (N, D) with D ≥ 1; `gamma`, `beta`: (D,). Returns `out` (N, D) and
    /// the cache for `backward`.
    /// - Throws: `TesselError.shapeMismatch` when x is not of rank 2, when D = 0 (a row of no
    ///   values has no statistics), or when gamma or beta is not (D,);
    ///   `TesselError.invalidParameter` for eps ≤ 0 or not finite.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                scheduler: Scheduler = .default) throws -> (out: Tensor<T>, cache: Cache<T>) {
        try forward(x: x, gamma: gamma, beta: beta, parameters: parameters, appliesReLU: false, dropout: nil, scheduler: scheduler)
    }

    /// `forward`; with `appliesReLU`, the output of a ReLU after the layer, the ReLU applied to
    /// each value in the sweep that normalizes the row (`normalizeRow`, `FusedChain`), and with
    /// `dropout` as well, the dropout of the row right after it (`FusedDropout`). The cache is
    /// the same. An output of `TileSettings.streamingOutputBytes` or more is written with
    /// streaming stores, unless a fused dropout reads it back.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                 appliesReLU: Bool, dropout: FusedDropout<T>?,
                                                 scheduler: Scheduler) throws -> (out: Tensor<T>, cache: Cache<T>) {
        try validateForward(x: x, gamma: gamma, beta: beta, parameters: parameters)
        let n = x.shape[0], d = x.shape[1], eps = parameters.eps
        var out = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
        var mean = try Tensor<Double>.uninitialized(shape: [n]), inverseStd = try Tensor<Double>.uninitialized(shape: [n])
        let tiling = Tiling.split(n, targetItemsPerTile: scheduler.tiles.elementsPerTile / d)
        let streams = dropout == nil && scheduler.tiles.streams(outputLike: x)
        withBaseAddresses(x, gamma, beta) { x, gamma, beta in
            withMutableBaseAddresses(&out, &mean, &inverseStd) { out, means, inverseStds in
                scheduler.forEachTile(tiling, workPerTile: 3 * tiling.tileRows * d) { tile in
                    // The sweep that writes row i also sums row i + 1, so that reading
                    // the next row from memory overlaps writing this one.
                    var sum = SpanSums.sum(x + tile.rows.lowerBound * d, count: d)
                    for i in tile.rows {
                        let row = x + i * d
                        let mean = sum / Double(d)
                        let variance = SpanSums.centeredSquares(row, count: d, mean: mean) / Double(d)
                        let inverseStd = 1 / (variance + eps).squareRoot()
                        means[i] = mean
                        inverseStds[i] = inverseStd
                        sum = normalizeRow(row, mean: T(mean), inverseStd: T(inverseStd), gamma: gamma, beta: beta,
                                           out: out + i * d, count: d, rectifying: appliesReLU,
                                           summing: i + 1 < tile.rows.upperBound ? row + d : nil, streaming: streams)
                        dropout?.apply(out, offset: i * d, count: d)
                    }
                    if streams { tessel_store_fence() }
                }
            }
        }
        return (out, Cache(x: x, gamma: gamma, mean: mean, inverseStd: inverseStd))
    }

    /// Tiled backward. `dout`: (N, D) like the cached x. Returns dx (N, D), dgamma and dbeta (D,).
    /// A dx of `TileSettings.streamingOutputBytes` or more is written with streaming stores.
    /// - Throws: `TesselError.shapeMismatch` when dout's shape is not x's.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>,
                                                 scheduler: Scheduler = .default) throws -> NormalizationGradients<T> {
        try backward(dout: dout, maskedBy: nil, cache: cache, scheduler: scheduler)
    }

    /// `backward`; with `mask` (a ReLU fused after the layer, and maybe a dropout after it,
    /// `ChainMask`), `dout` is the chain's last layer's: each row is masked (`FusedChain.span`)
    /// into the worker's scratch in the sweep that sums it, and read from there by the sweep
    /// that writes its dx.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func backward<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: Cache<T>,
                                                  scheduler: Scheduler) throws -> NormalizationGradients<T> {
        try validateBackward(dout: dout, cache: cache)
        let x = cache.x, n = x.shape[0], d = x.shape[1]
        let chunks = ItemChunks(items: n, elementsPerItem: d)
        let stride = chunks.count * d
        // Per-chunk partials of dgamma and dbeta, then the combined sums, then γ in Double.
        return try scheduler.withScratch(Double.self, count: 2 * stride + 3 * d) { buffer in
            let scratch = buffer.baseAddress!
            let partialDgamma = scratch, partialDbeta = scratch + stride
            let sumDgamma = scratch + 2 * stride, sumDbeta = sumDgamma + d, gammaWide = sumDbeta + d
            var dx = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
            let tiling = Tiling.split(n, targetItemsPerTile: chunks.itemsPerChunk)
            try withBaseAddresses(x, dout, cache.gamma, cache.mean, cache.inverseStd) { x, dout, gamma, means, inverseStds in
                try ChainMask.withPointers(mask) { mask in
                    try dx.withUnsafeMutableBufferPointer { dxs in
                        let dx = dxs.baseAddress!
                        let streams = scheduler.tiles.streams(outputLike: cache.x)
                        for j in 0..<d { gammaWide[j] = Double(gamma[j]) }
                        // With a fused ReLU, two masked rows per worker: the one whose dx a sweep
                        // writes and the next one, which it sums; swapped from row to row.
                        try FusedChain.forEachTile(tiling, workPerTile: 4 * tiling.tileRows * d, masks: mask != nil,
                                                  spanLength: 2 * d, as: T.self, scheduler: scheduler) { tile, rows in
                            var current = rows, next = rows.map { $0 + d }
                            let chunk = chunks.chunk(containing: tile.rows.lowerBound)
                            let dgamma = partialDgamma + chunk * d, dbeta = partialDbeta + chunk * d
                            dgamma.update(repeating: 0, count: d)
                            dbeta.update(repeating: 0, count: d)
                            // The sweep that writes row i's dx also sums row i + 1, so that reading
                            // the next row from memory overlaps writing this one.
                            let first = tile.rows.lowerBound
                            var sums = rowGradientSums(dout: FusedChain.span(dout, mask: mask, offset: first * d, count: d,
                                                                            scratch: next),
                                                       x: x + first * d, mean: means[first], inverseStd: inverseStds[first],
                                                       gamma: gammaWide, count: d)
                            for i in tile.rows {
                                swap(&current, &next)
                                let offset = i * d, inverseStd = inverseStds[i]
                                let rowDout = current.map { UnsafePointer($0) } ?? dout + offset
                                // dx = (1/σ̂)(dout·γ − mean(dx̂) − x̂·mean(dx̂·x̂)), with x̂ = (x − μ)/σ̂.
                                let b = T(-inverseStd * inverseStd * sums.1 / Double(d))
                                let c = T(-inverseStd * sums.0 / Double(d))
                                // The rows go into dβ and dγ two at a time, in row order: the sweep
                                // of the first, third, … row of the tile adds it and the next one.
                                let row = RowStatistics(mean: means[i], inverseStd: inverseStd)
                                let columns = (i - first) % 2 == 0 ? ColumnGradients(row: row, dgamma: dgamma, dbeta: dbeta) : nil
                                if i + 1 < tile.rows.upperBound {
                                    let nextDout = FusedChain.span(dout, mask: mask, offset: offset + d, count: d, scratch: next)
                                    // The row after the next, in the tensor (itself again at the end), where
                                    // x is too large for the caches, as where dx streams: from cache the
                                    // prefetches only cost time.
                                    let ahead = i + 2 < n ? offset + 2 * d : offset + d
                                    let prefetch = streams ? RowPrefetch(x: x + ahead, dout: dout + ahead,
                                                                         reluOutput: mask.map { $0.reluOutput + ahead },
                                                                         dropoutOutput: mask?.dropoutOutput.map { $0 + ahead }) : nil
                                    sums = rowGradient(dout: rowDout, x: x + offset, mean: T(means[i]), gamma: gamma,
                                                       inverseStd: T(inverseStd), b: b, c: c, dx: dx + offset, count: d,
                                                       streaming: streams,
                                                       summingNextRowWith: (nextDout, means[i + 1], inverseStds[i + 1]),
                                                       gammaWide: gammaWide, adding: columns, prefetching: prefetch)
                                } else {
                                    rowGradient(dout: rowDout, x: x + offset, mean: T(means[i]), gamma: gamma,
                                                inverseStd: T(inverseStd), b: b, c: c, dx: dx + offset, count: d,
                                                streaming: streams, adding: columns)
                                }
                            }
                            if streams { tessel_store_fence() }
                        }
                    }
                }
            }
            ChunkPartials.sum(partialDgamma, chunks: chunks.count, width: d, into: sumDgamma, scheduler: scheduler)
            ChunkPartials.sum(partialDbeta, chunks: chunks.count, width: d, into: sumDbeta, scheduler: scheduler)
            let dgamma = try Tensor<T>(shape: cache.gamma.shape, scalars: (0..<d).lazy.map { T(sumDgamma[$0]) })
            let dbeta = try Tensor<T>(shape: cache.gamma.shape, scalars: (0..<d).lazy.map { T(sumDbeta[$0]) })
            return NormalizationGradients(dx: dx, dgamma: dgamma, dbeta: dbeta)
        }
    }

    // MARK: - Validation (shared with the reference)

    /// The output shape for an input of shape `x` (`x` itself), once `eps` and `x` are
    /// checked as `forward` checks them.
    /// - Throws: as `forward`, for these checks.
    public static func outputShape(x: [Int], parameters: Parameters) throws -> [Int] {
        try NormalizationChecks.eps(parameters.eps, layer: name)
        try NormalizationChecks.rank(x, 2, layout: "(N, D)", layer: name, argument: "x")
        guard x[1] > 0 else {
            throw TesselError.shapeMismatch(component: name, argument: "x",
                                            expected: "D ≥ 1 features (a row of no values has no mean or variance)", actual: x)
        }
        return x
    }

    static func validateForward<T>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters) throws {
        _ = try outputShape(x: x.shape, parameters: parameters)
        let features = [x.shape[1]], meaning = "(D,) for x of shape \(Shape.describe(x.shape))"
        try NormalizationChecks.shape(gamma, features, meaning: meaning, layer: name, argument: "gamma")
        try NormalizationChecks.shape(beta, features, meaning: meaning, layer: name, argument: "beta")
    }

    static func validateBackward<T>(dout: Tensor<T>, cache: Cache<T>) throws {
        try NormalizationChecks.dout(dout, x: cache.x, layer: name)
    }
}
