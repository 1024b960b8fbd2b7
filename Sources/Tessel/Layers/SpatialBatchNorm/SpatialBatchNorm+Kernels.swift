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
                let count = Double(tile.rows.count * plane)
                for c in tile.columns {
                    var sum = 0.0
                    for sample in tile.rows { sum += SpanSums.sum(x + (sample * channels + c) * plane, count: plane) }
                    let chunkMean = sum / count
                    var m2 = 0.0
                    for sample in tile.rows {
                        m2 += SpanSums.centeredSquares(x + (sample * channels + c) * plane, count: plane, mean: chunkMean)
                    }
                    partialMeans[chunk * channels + c] = chunkMean
                    partialM2s[chunk * channels + c] = m2
                }
            }
            ChunkPartials.mergeMoments(means: partialMeans, m2s: partialM2s, chunks: chunks, valuesPerItem: plane, width: channels,
                                       mean: mean, m2: m2, scheduler: scheduler)
        }
    }

    /// Per channel: `Σ dout` and `Σ dout·(x − μ)`, as (chunk, channel) partials combined in
    /// chunk order. With `mask` (a fused ReLU's output and where to write the masked dout),
    /// each plane's dout is first `ElementWise.reluBackward(dout, reluOutput)`, written to
    /// `masked` and summed from there while in cache.
    static func channelGradientSums<T: TesselScalar>(
        dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: UnsafePointer<Double>, shape: [Int],
        mask: (reluOutput: UnsafePointer<T>, masked: UnsafeMutablePointer<T>)?, sumDout: UnsafeMutablePointer<Double>, sumDoutCentered: UnsafeMutablePointer<Double>, scheduler: Scheduler
    ) {
        let channels = shape[1], plane = shape[2] * shape[3]
        let (chunks, tiling) = reductionTiling(shape: shape, scheduler: scheduler)
        let stride = chunks.count * channels
        scheduler.withScratch(Double.self, count: 2 * stride) { scratch in
            let partials = scratch.baseAddress!
            scheduler.forEachTile(tiling, workPerTile: 2 * tiling.tileRows * tiling.tileColumns * plane) { mirroredTile in
                let tile = tiling.mirrored(mirroredTile)
                let chunk = chunks.chunk(containing: tile.rows.lowerBound)
                for c in tile.columns {
                    var chunkDout = 0.0, chunkDoutCentered = 0.0
                    for sample in tile.rows {
                        let offset = (sample * channels + c) * plane
                        var planeDout = dout + offset
                        if let (reluOutput, masked) = mask {
                            ElementWise.reluBackward(dout + offset, reluOutput + offset, masked + offset, count: plane)
                            planeDout = UnsafePointer(masked + offset)
                        }
                        let sums = SpanSums.gradientSums(dout: planeDout, x: x + offset, count: plane, mean: mean[c])
                        chunkDout += sums.dout
                        chunkDoutCentered += sums.doutCentered
                    }
                    partials[chunk * channels + c] = chunkDout
                    partials[stride + chunk * channels + c] = chunkDoutCentered
                }
            }
            ChunkPartials.sum(partials, chunks: chunks.count, width: channels, into: sumDout, scheduler: scheduler)
            ChunkPartials.sum(partials + stride, chunks: chunks.count, width: channels, into: sumDoutCentered, scheduler: scheduler)
        }
    }
}
