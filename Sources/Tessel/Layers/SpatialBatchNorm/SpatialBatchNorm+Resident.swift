// SpatialBatchNorm's channel-resident passes: a tile owns whole channels and, channel by
// channel, runs the reduction and the output pass back to back while the channel's planes are
// still in the core's cache, so memory is read once instead of twice.
//
// The arithmetic is the chunked passes' own (each plane's `SpanSums` added in sample order,
// here through `chunkSum`, `chunkMoments` and `chunkGradientSums`; the chunk merges of
// `ChunkPartials` and the per-channel maps), in the same order for every channel; only the
// time at which each channel's values are computed differs. So both forms give the
// same bits, and which one runs is an order-neutral choice (`keepsChannelsResident`).
import CCacheHints

extension SpatialBatchNorm {
    /// The most bytes of one channel of one tensor (its N·H·W values) that the resident passes
    /// take on: a channel of x and out (forward) or of x, dout and dx (backward) then stays in
    /// a core's L2 and the shared L3 between the two sweeps.
    static let residentChannelBytes = 1 << 20

    /// Whether the channel-resident passes suit an input of `shape`: a channel of one tensor
    /// fits `residentChannelBytes` and there are at least two channels per worker to share.
    static func keepsChannelsResident<T>(shape: [Int], as _: T.Type, scheduler: Scheduler) -> Bool {
        let (values, overflow) = (shape[0] * shape[2]).multipliedReportingOverflow(by: shape[3])
        return !overflow && values * MemoryLayout<T>.stride <= residentChannelBytes && shape[1] >= 2 * scheduler.workers
    }

    /// Channel blocks of the resident passes: about four tiles per worker, so that a tile
    /// has channels to overlap (see `residentForward`) and the workers stay balanced.
    static func residentTiling(channels: Int, scheduler: Scheduler) -> Tiling {
        Tiling.split(channels, targetItemsPerTile: max(1, channels / (4 * scheduler.workers)))
    }

    /// The train-mode forward on checked arguments with each channel resident, or nil in test
    /// mode or when `keepsChannelsResident` declines the shape. Per channel of
    /// a tile: its chunks' moments (the sums of its chunks in order, the chunk means, the M2
    /// sweep from cache) merged in chunk order, its variance and `1/√(variance + eps)`, then
    /// its output planes (rectified in the same sweep with `appliesReLU`, and each plane then
    /// put through `dropout` where one is fused, `FusedDropout`); the output sweep also takes
    /// the chunk sums of the tile's next channel (`CenteredAffine.forward(summing:)`), so that
    /// channel is read from memory while this one is written. An output of
    /// `TileSettings.streamingOutputBytes` or more is written with streaming stores, unless a
    /// fused dropout reads it back. Updates `running` as `featureStatistics` does. The same bits as the moments
    /// pass followed by `normalize`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func residentForward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                         appliesReLU: Bool, dropout: FusedDropout<T>?,
                                                         running: inout RunningStatistics<T>,
                                                         scheduler: Scheduler) throws -> (out: Tensor<T>, cache: Cache<T>)? {
        guard parameters.mode == .train && keepsChannelsResident(shape: x.shape, as: T.self, scheduler: scheduler) else { return nil }
        let shape = x.shape, n = shape[0], channels = shape[1], plane = shape[2] * shape[3]
        let chunks = ItemChunks(items: n, elementsPerItem: plane)
        let stride = chunks.count * channels, values = Double(n * plane)
        let streams = dropout == nil && scheduler.tiles.streams(outputLike: x)
        var out = try Tensor<T>.uninitialized(shape: shape, allocator: scheduler.allocator)
        return try scheduler.withScratch(Double.self, count: 3 * channels + 3 * stride) { scratch in
            let mean = scratch.baseAddress!, variance = mean + channels, inverseStd = mean + 2 * channels
            let chunkSums = mean + 3 * channels, partialMeans = chunkSums + stride, partialM2s = partialMeans + stride
            withBaseAddresses(x, gamma, beta) { x, gamma, beta in
                out.withUnsafeMutableBufferPointer { outs in
                    let out = outs.baseAddress!
                    let tiling = residentTiling(channels: channels, scheduler: scheduler)
                    scheduler.forEachTile(tiling, workPerTile: 4 * tiling.tileRows * n * plane) { tile in
                        let first = tile.rows.lowerBound
                        for chunk in 0..<chunks.count {
                            chunkSums[chunk * channels + first] = chunkSum(x, channel: first, samples: chunks.items(of: chunk), shape: shape)
                        }
                        for c in tile.rows {
                            for chunk in 0..<chunks.count {
                                let k = chunk * channels + c
                                (partialMeans[k], partialM2s[k]) = chunkMoments(x, channel: c, samples: chunks.items(of: chunk), shape: shape,
                                                                                sum: chunkSums[k])
                            }
                            ChunkPartials.mergeMoments(means: partialMeans, m2s: partialM2s, stride: channels, chunks: chunks.count,
                                                       valuesInChunk: { chunks.items(of: $0).count * plane }, columns: c..<(c + 1),
                                                       mean: mean, m2: variance)
                            variance[c] /= values
                            inverseStd[c] = BatchNorm.inverseStandardDeviation(variance: variance[c], eps: parameters.eps)
                            let (center, scale) = BatchNorm.forwardCoefficients(mean: mean[c], inverseStd: inverseStd[c], gamma: gamma[c])
                            let next = c + 1 < tile.rows.upperBound ? c + 1 : nil
                            for chunk in 0..<chunks.count {
                                var nextSum = 0.0
                                for sample in chunks.items(of: chunk) {
                                    let offset = (sample * channels + c) * plane
                                    nextSum += CenteredAffine.forward(x + offset, mean: center, scale: scale, shift: beta[c],
                                                                      out: out + offset, count: plane, rectifying: appliesReLU,
                                                                      summing: next.map { x + (sample * channels + $0) * plane },
                                                                      streaming: streams)
                                    dropout?.apply(out, offset: offset, count: plane)
                                }
                                if let next { chunkSums[chunk * channels + next] = nextSum }
                            }
                        }
                        if streams { tessel_store_fence() }
                    }
                }
            }
            BatchNorm.updateRunning(&running, mean: mean, variance: variance, momentum: parameters.momentum)
            return (out, try Cache(x: x, gamma: gamma, mean: mean, inverseStd: inverseStd, mode: .train))
        }
    }

    /// The backward on checked arguments with each channel resident, or nil when
    /// `keepsChannelsResident` declines the shape. Per channel of a tile: its chunks' `Σdout`
    /// and `Σdout·(x − μ)` added in chunk order, its dγ, dβ and dx coefficients, then its dx
    /// planes; the dx sweep also takes the chunk sums of the tile's next channel
    /// (`CenteredAffine.backward(summing:)`), so each channel but a tile's first is read from
    /// memory once. With `mask` (`ChainMask`), dout is the fused chain's last layer's: each
    /// plane of the layer's dout is the chain's backward, masked into one of two planes of the worker's scratch right before it is
    /// summed, and again before its dx (`FusedChain.span`). A dx of
    /// `TileSettings.streamingOutputBytes` or more is written with streaming stores. The same
    /// bits as `gradientSums` followed by `gradients`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func residentBackward<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: Cache<T>,
                                                          scheduler: Scheduler) throws -> NormalizationGradients<T>? {
        guard keepsChannelsResident(shape: cache.x.shape, as: T.self, scheduler: scheduler) else { return nil }
        let shape = cache.x.shape, n = shape[0], channels = shape[1], plane = shape[2] * shape[3]
        let chunks = ItemChunks(items: n, elementsPerItem: plane)
        let stride = chunks.count * channels, count = Double(n * plane)
        let streams = scheduler.tiles.streams(outputLike: cache.x)
        var dx = try Tensor<T>.uninitialized(shape: shape, allocator: scheduler.allocator)
        var dgamma = try Tensor<T>.uninitialized(shape: [channels])
        var dbeta = try Tensor<T>.uninitialized(shape: [channels])
        try scheduler.withScratch(Double.self, count: 2 * channels + 2 * stride) { scratch in
            let sumDout = scratch.baseAddress!, sumDoutCentered = sumDout + channels
            let partialDouts = sumDout + 2 * channels, partialDoutCentereds = partialDouts + stride
            try withBaseAddresses(cache.x, cache.gamma, cache.mean, cache.inverseStd, dout) { x, gamma, mean, inverseStd, dout in
                try ChainMask.withPointers(mask) { mask in
                    try withMutableBaseAddresses(&dx, &dgamma, &dbeta) { dx, dgamma, dbeta in
                        let tiling = residentTiling(channels: channels, scheduler: scheduler)
                        try FusedChain.forEachTile(tiling, workPerTile: 5 * tiling.tileRows * n * plane, masks: mask != nil,
                                                  spanLength: 2 * plane, as: T.self, scheduler: scheduler) { tile, masked in
                            let nextMasked = masked.map { $0 + plane }
                            let first = tile.rows.lowerBound
                            for chunk in 0..<chunks.count {
                                (partialDouts[chunk * channels + first], partialDoutCentereds[chunk * channels + first]) =
                                    chunkGradientSums(x: x, mean: mean[first], channel: first, samples: chunks.items(of: chunk),
                                                      shape: shape) {
                                        FusedChain.span(dout, mask: mask, offset: $0, count: plane, scratch: masked)
                                    }
                            }
                            for c in tile.rows {
                                ChunkPartials.sum(partialDouts, chunks: chunks.count, stride: channels, columns: c..<(c + 1), into: sumDout)
                                ChunkPartials.sum(partialDoutCentereds, chunks: chunks.count, stride: channels, columns: c..<(c + 1),
                                                  into: sumDoutCentered)
                                let g = BatchNorm.FeatureGradient<T>(mode: cache.mode, formula: .simplified, gamma: gamma[c], mean: mean[c],
                                                                     inverseStd: inverseStd[c], count: count, sumDout: sumDout[c],
                                                                     sumDoutCentered: sumDoutCentered[c], sumCentered: 0)
                                (dgamma[c], dbeta[c]) = (g.dgamma, g.dbeta)
                                let next = c + 1 < tile.rows.upperBound ? c + 1 : nil
                                for chunk in 0..<chunks.count {
                                    var nextDout = 0.0, nextDoutCentered = 0.0
                                    for sample in chunks.items(of: chunk) {
                                        let offset = (sample * channels + c) * plane
                                        let summing = next.map { next in
                                            let nextOffset = (sample * channels + next) * plane
                                            return (FusedChain.span(dout, mask: mask, offset: nextOffset, count: plane,
                                                                   scratch: nextMasked),
                                                    x + nextOffset, mean[next])
                                        }
                                        let planeDout = FusedChain.span(dout, mask: mask, offset: offset, count: plane,
                                                                       scratch: masked)
                                        let sums = CenteredAffine.backward(dout: planeDout, x: x + offset, mean: g.center, a: g.a,
                                                                           b: g.b, c: g.c, dx: dx + offset, count: plane,
                                                                           summing: summing, streaming: streams)
                                        nextDout += sums.dout
                                        nextDoutCentered += sums.doutCentered
                                    }
                                    if let next {
                                        (partialDouts[chunk * channels + next], partialDoutCentereds[chunk * channels + next]) =
                                            (nextDout, nextDoutCentered)
                                    }
                                }
                            }
                            if streams { tessel_store_fence() }
                        }
                    }
                }
            }
        }
        return NormalizationGradients(dx: dx, dgamma: dgamma, dbeta: dbeta)
    }
}
