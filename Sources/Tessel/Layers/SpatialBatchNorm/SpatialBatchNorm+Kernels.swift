// SpatialBatchNorm's tiled reductions over (N, C, H, W): the channel moments and gradient
// sums, on shapes `SpatialBatchNorm.swift` has checked.
extension SpatialBatchNorm {
    /// The chunks of samples and the tiling of a reduction over an (N, C, H, W) tensor: a tile
    /// is one chunk of samples × a block of channels, about `reductionTileFactor` ×
    /// `elementsPerTile` elements, which the tile reads sample by sample: each sample's planes
    /// of the block lie back to back in memory.
    static func reductionTiling(shape: [Int], scheduler: Scheduler) -> (ItemChunks, Tiling) {
        let plane = shape[2] * shape[3]
        let chunks = ItemChunks(items: shape[0], elementsPerItem: plane)
        let channelsPerTile = max(1, reductionTileFactor * scheduler.tiles.elementsPerTile / max(1, chunks.itemsPerChunk * plane))
        return (chunks, Tiling(rows: shape[0], columns: shape[1], tileRows: chunks.itemsPerChunk, tileColumns: channelsPerTile))
    }

    /// How many times `elementsPerTile` a reduction tile holds: enough channels that a sample's
    /// planes of the block make long runs of memory, where a 4 KiB plane alone leaves the
    /// hardware prefetchers little to follow (the default convnet's spatial batch norm backward
    /// took 17 ms with one channel per tile, 11 ms with 32); the tile's second sweep of the
    /// forward then finds it in the last-level cache.
    static let reductionTileFactor = 32

    /// Mean and centered sum of squares M2 (N·H·W times the uncorrected variance) of every
    /// channel. A tile computes its chunk's moments of its channels in two sweeps over the
    /// chunk's planes, sample by sample (the second from cache): the sums of every channel,
    /// then `Σ(x − chunk mean)²`, each channel's planes added in sample order as `chunkMoments`
    /// adds them; chunks are merged in order with Chan's update.
    /// The moments of several parts of a batch merge, with Chan's update, to the whole batch's.
    static func channelMoments<T: TesselScalar>(_ x: UnsafePointer<T>, shape: [Int], mean: UnsafeMutablePointer<Double>,
                                                m2: UnsafeMutablePointer<Double>, scheduler: Scheduler) {
        let channels = shape[1], plane = shape[2] * shape[3]
        let (chunks, tiling) = reductionTiling(shape: shape, scheduler: scheduler)
        let stride = chunks.count * channels
        scheduler.withScratch(Double.self, count: 2 * stride) { scratch in
            let partials = scratch.baseAddress!
            let partialMeans = partials, partialM2s = partials + stride
            scheduler.forEachTile(tiling, workPerTile: 2 * tiling.tileRows * tiling.tileColumns * plane) { mirroredTile in
                let tile = tiling.mirrored(mirroredTile)
                let chunk = chunks.chunk(containing: tile.rows.lowerBound)
                let means = partialMeans + chunk * channels, m2s = partialM2s + chunk * channels
                // The plane of (sample, c) and the one the sweep reads after it, prefetched
                // as this one is read (`SpanSums.sum`): a 32 × 32 Float plane is a page of
                // its own, where the hardware prefetchers stop.
                func planes(_ sample: Int, _ c: Int) -> (UnsafePointer<T>, ahead: UnsafePointer<T>) {
                    let next = c + 1 < tile.columns.upperBound ? (sample, c + 1) : (sample + 1, tile.columns.lowerBound)
                    return (x + (sample * channels + c) * plane, x + (next.0 * channels + next.1) * plane)
                }
                for c in tile.columns { means[c] = 0 }
                for sample in tile.rows {
                    for c in tile.columns {
                        let (span, ahead) = planes(sample, c)
                        means[c] += SpanSums.sum(span, count: plane, prefetching: ahead)
                    }
                }
                for c in tile.columns {
                    means[c] /= Double(tile.rows.count * plane)
                    m2s[c] = 0
                }
                for sample in tile.rows {
                    for c in tile.columns {
                        let (span, ahead) = planes(sample, c)
                        m2s[c] += SpanSums.centeredSquares(span, count: plane, mean: means[c], prefetching: ahead)
                    }
                }
            }
            ChunkPartials.mergeMoments(means: partialMeans, m2s: partialM2s, chunks: chunks, valuesPerItem: plane, width: channels,
                                       mean: mean, m2: m2, scheduler: scheduler)
        }
    }

    /// The sum of channel `c` over the planes of `samples` (one chunk): `SpanSums.sum` of each
    /// plane, added in sample order.
    @inline(__always)
    static func chunkSum<T: TesselScalar>(_ x: UnsafePointer<T>, channel c: Int, samples: Range<Int>, shape: [Int]) -> Double {
        let channels = shape[1], plane = shape[2] * shape[3]
        var sum = 0.0
        for sample in samples { sum += SpanSums.sum(x + (sample * channels + c) * plane, count: plane) }
        return sum
    }

    /// The mean and M2 of channel `c` over the planes of `samples` (one chunk) from the
    /// chunk's sum (`chunkSum`, taken elsewhere): the mean, then `Σ(x − chunk mean)²` in a
    /// sweep over the planes in sample order.
    @inline(__always)
    static func chunkMoments<T: TesselScalar>(_ x: UnsafePointer<T>, channel c: Int, samples: Range<Int>, shape: [Int],
                                              sum: Double) -> (mean: Double, m2: Double) {
        let channels = shape[1], plane = shape[2] * shape[3]
        let chunkMean = sum / Double(samples.count * plane)
        var m2 = 0.0
        for sample in samples {
            m2 += SpanSums.centeredSquares(x + (sample * channels + c) * plane, count: plane, mean: chunkMean)
        }
        return (chunkMean, m2)
    }

    /// `Σ dout` and `Σ dout·(x − mean)` of channel `c` over the planes of `samples` (one
    /// chunk), plane after plane; `planeDout(offset)` is the layer's dout of the plane at
    /// element `offset` (`dout + offset`, or a fused chain's, recomputed into scratch).
    @inline(__always)
    static func chunkGradientSums<T: TesselScalar>(
        x: UnsafePointer<T>, mean: Double, channel c: Int, samples: Range<Int>, shape: [Int],
        planeDout: (_ offset: Int) -> UnsafePointer<T>
    ) -> (dout: Double, doutCentered: Double) {
        let channels = shape[1], plane = shape[2] * shape[3]
        var chunkDout = 0.0, chunkDoutCentered = 0.0
        for sample in samples {
            let offset = (sample * channels + c) * plane
            let sums = SpanSums.gradientSums(dout: planeDout(offset), x: x + offset, count: plane, mean: mean)
            chunkDout += sums.dout
            chunkDoutCentered += sums.doutCentered
        }
        return (chunkDout, chunkDoutCentered)
    }

    /// Per channel: `Σ dout` and `Σ dout·(x − μ)`, as (chunk, channel) partials combined in
    /// chunk order. A tile reads its planes sample by sample, each channel's added in sample
    /// order as `chunkGradientSums` adds them. `planeDout(offset, scratch)` gives the layer's
    /// dout of the plane at element `offset`; `scratch` is `scratchLength` elements of the
    /// worker's own (nil when 0), where a fused chain computes it (`FusedChain.span`,
    /// `PooledChain.layerDout`).
    /// - Throws: `TesselError.outOfMemory` when the scratch cannot be allocated.
    static func channelGradientSums<T: TesselScalar>(
        x: UnsafePointer<T>, mean: UnsafePointer<Double>, shape: [Int], scratchLength: Int,
        sumDout: UnsafeMutablePointer<Double>, sumDoutCentered: UnsafeMutablePointer<Double>, scheduler: Scheduler,
        planeDout: (_ offset: Int, _ scratch: UnsafeMutablePointer<T>?) -> UnsafePointer<T>
    ) throws {
        let plane = shape[2] * shape[3]
        try channelGradientSums(shape: shape, scratchLength: scratchLength, sumDout: sumDout, sumDoutCentered: sumDoutCentered,
                                scheduler: scheduler) { offset, c, scratch in
            SpanSums.gradientSums(dout: planeDout(offset, scratch), x: x + offset, count: plane, mean: mean[c])
        }
    }

    /// `channelGradientSums(x:mean:…planeDout:)` with each plane's two sums given by
    /// `planeSums(offset, channel, scratch)`, which must be `SpanSums.gradientSums` of the
    /// plane's dout (a fused chain that computes the dout in registers: `PooledChain`).
    /// - Throws: `TesselError.outOfMemory` when the scratch cannot be allocated.
    static func channelGradientSums<T: TesselScalar>(
        shape: [Int], scratchLength: Int,
        sumDout: UnsafeMutablePointer<Double>, sumDoutCentered: UnsafeMutablePointer<Double>, scheduler: Scheduler,
        planeSums: (_ offset: Int, _ channel: Int, _ scratch: UnsafeMutablePointer<T>?) -> (dout: Double, doutCentered: Double)
    ) throws {
        let channels = shape[1], plane = shape[2] * shape[3]
        let (chunks, tiling) = reductionTiling(shape: shape, scheduler: scheduler)
        let stride = chunks.count * channels
        try scheduler.withScratch(Double.self, count: 2 * stride) { scratch in
            let partials = scratch.baseAddress!
            try FusedChain.forEachTile(tiling, workPerTile: 2 * tiling.tileRows * tiling.tileColumns * plane, masks: scratchLength > 0,
                                      spanLength: scratchLength, as: T.self, scheduler: scheduler) { mirroredTile, scratch in
                let tile = tiling.mirrored(mirroredTile)
                let chunk = chunks.chunk(containing: tile.rows.lowerBound)
                let douts = partials + chunk * channels, doutCentereds = douts + stride
                for c in tile.columns { (douts[c], doutCentereds[c]) = (0, 0) }
                for sample in tile.rows {
                    for c in tile.columns {
                        let offset = (sample * channels + c) * plane
                        let sums = planeSums(offset, c, scratch)
                        douts[c] += sums.dout
                        doutCentereds[c] += sums.doutCentered
                    }
                }
            }
            ChunkPartials.sum(partials, chunks: chunks.count, width: channels, into: sumDout, scheduler: scheduler)
            ChunkPartials.sum(partials + stride, chunks: chunks.count, width: channels, into: sumDoutCentered, scheduler: scheduler)
        }
    }
}
