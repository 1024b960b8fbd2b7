// SpatialBatchNorm's tiled reductions over (N, C, H, W): the channel moments and gradient
// sums, on shapes `SpatialBatchNorm.swift` has checked.
extension SpatialBatchNorm {
    /// The chunks of samples and the tiling of a reduction over an (N, C, H, W) tensor: a tile
    /// is one chunk of samples × a block of channels.
    static func reductionTiling(shape: [Int], scheduler: Scheduler) -> (ItemChunks, Tiling) {
        let plane = shape[2] * shape[3]
        let chunks = ItemChunks(items: shape[0], elementsPerItem: plane)
        let channelsPerTile = max(1, scheduler.tiles.elementsPerTile / max(1, chunks.itemsPerChunk * plane))
        return (chunks, Tiling(rows: shape[0], columns: shape[1], tileRows: chunks.itemsPerChunk, tileColumns: channelsPerTile))
    }

    /// Mean and centered sum of squares M2 (N·H·W times the uncorrected variance) of every
    /// channel. A tile computes, per channel, its chunk's moments in two sweeps over the
    /// chunk's planes (the second from cache); chunks are merged in order with Chan's update.
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
                for c in tile.columns {
                    (partialMeans[chunk * channels + c], partialM2s[chunk * channels + c]) =
                        chunkMoments(x, channel: c, samples: tile.rows, shape: shape)
                }
            }
            ChunkPartials.mergeMoments(means: partialMeans, m2s: partialM2s, chunks: chunks, valuesPerItem: plane, width: channels,
                                       mean: mean, m2: m2, scheduler: scheduler)
        }
    }

    /// The mean and M2 of channel `c` over the planes of `samples` (one chunk): a sum sweep,
    /// then `Σ(x − chunk mean)²` in a second sweep, from cache.
    @inline(__always)
    static func chunkMoments<T: TesselScalar>(_ x: UnsafePointer<T>, channel c: Int, samples: Range<Int>,
                                              shape: [Int]) -> (mean: Double, m2: Double) {
        chunkMoments(x, channel: c, samples: samples, shape: shape, sum: chunkSum(x, channel: c, samples: samples, shape: shape))
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

    /// `chunkMoments` from the chunk's sum, `Σ SpanSums.sum(plane)` over its planes in order,
    /// taken elsewhere: the mean, then the M2 sweep.
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
    /// chunk), plane after plane. With `reluOutput`, each plane's dout is first the ReLU's
    /// backward, written to `masked` (a plane of scratch) and summed from there (`FusedReLU.span`).
    @inline(__always)
    static func chunkGradientSums<T: TesselScalar>(
        dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: Double, channel c: Int, samples: Range<Int>, shape: [Int],
        reluOutput: UnsafePointer<T>?, masked: UnsafeMutablePointer<T>?
    ) -> (dout: Double, doutCentered: Double) {
        let channels = shape[1], plane = shape[2] * shape[3]
        var chunkDout = 0.0, chunkDoutCentered = 0.0
        for sample in samples {
            let offset = (sample * channels + c) * plane
            let planeDout = FusedReLU.span(dout, reluOutput: reluOutput, offset: offset, count: plane, scratch: masked)
            let sums = SpanSums.gradientSums(dout: planeDout, x: x + offset, count: plane, mean: mean)
            chunkDout += sums.dout
            chunkDoutCentered += sums.doutCentered
        }
        return (chunkDout, chunkDoutCentered)
    }

    /// Per channel: `Σ dout` and `Σ dout·(x − μ)`, as (chunk, channel) partials combined in
    /// chunk order. With `reluOutput` (a fused ReLU's output), each plane's dout is first
    /// `ElementWise.reluBackward(dout, reluOutput)` into the worker's scratch, summed from there.
    /// - Throws: `TesselError.outOfMemory` when the masking scratch cannot be allocated.
    static func channelGradientSums<T: TesselScalar>(
        dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: UnsafePointer<Double>, shape: [Int], reluOutput: UnsafePointer<T>?,
        sumDout: UnsafeMutablePointer<Double>, sumDoutCentered: UnsafeMutablePointer<Double>, scheduler: Scheduler
    ) throws {
        let channels = shape[1], plane = shape[2] * shape[3]
        let (chunks, tiling) = reductionTiling(shape: shape, scheduler: scheduler)
        let stride = chunks.count * channels
        try scheduler.withScratch(Double.self, count: 2 * stride) { scratch in
            let partials = scratch.baseAddress!
            try FusedReLU.forEachTile(tiling, workPerTile: 2 * tiling.tileRows * tiling.tileColumns * plane, masks: reluOutput != nil,
                                      spanLength: plane, as: T.self, scheduler: scheduler) { mirroredTile, masked in
                let tile = tiling.mirrored(mirroredTile)
                let chunk = chunks.chunk(containing: tile.rows.lowerBound)
                for c in tile.columns {
                    (partials[chunk * channels + c], partials[stride + chunk * channels + c]) =
                        chunkGradientSums(dout: dout, x: x, mean: mean[c], channel: c, samples: tile.rows, shape: shape,
                                          reluOutput: reluOutput, masked: masked)
                }
            }
            ChunkPartials.sum(partials, chunks: chunks.count, width: channels, into: sumDout, scheduler: scheduler)
            ChunkPartials.sum(partials + stride, chunks: chunks.count, width: channels, into: sumDoutCentered, scheduler: scheduler)
        }
    }
}
