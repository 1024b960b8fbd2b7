import Testing
@testable import Tessel
import TesselTestSupport

/// The channel-resident passes of spatial batch norm (SpatialBatchNorm+Resident.swift) give
/// the bits of the chunked passes — output, running statistics, cache, dx, dγ, dβ, with and
/// without a fused ReLU's mask — on odd shapes, in both scalar types, for every worker count
/// and tile size that takes them; the masked passes give the bits of the ReLU layer's backward
/// followed by the unmasked ones.
@Suite struct ResidentNormalizationTests {
    /// Odd planes (a vector and a tail, a tail alone, one value), one chunk of samples and
    /// several, channels for up to 3 workers (the resident passes want two per worker).
    static let shapes: [[Int]] = [[3, 7, 5, 7], [17, 6, 3, 3], [40, 9, 1, 1], [2, 13, 4, 5], [33, 8, 2, 9]]

    static func schedulers(channels: Int) throws -> [(String, Scheduler)] {
        var schedulers: [(String, Scheduler)] = [("serial", .serial)]
        for workers in [1, 2, 3] where channels >= 2 * workers {
            for tiles in determinismTileSettings + [TileSettings()] {
                schedulers.append(("\(workers) workers, \(tiles.elementsPerTile) per tile",
                                   try Scheduler(workers: workers, grainSize: 0, tiles: tiles)))
            }
        }
        return schedulers
    }

    static func expectResidentBits<T: TesselScalar>(shape: [Int], as _: T.Type) throws {
        let channels = shape[1]
        let x = try TestData.normal(shape, scale: 3, mean: 2, seed: 11, as: T.self)
        let gamma = try TestData.uniform([channels], in: 0.5...2, seed: 12, as: T.self)
        let beta = try TestData.uniform([channels], seed: 13, as: T.self)
        let dout = try TestData.uniform(shape, seed: 14, as: T.self)
        let reluOutput = try TestData.uniform(shape, seed: 15, as: T.self)
        let parameters = SpatialBatchNorm.Parameters(mode: .train, eps: 1e-5, momentum: 0.8)
        for (label, scheduler) in try schedulers(channels: channels) {
            let context = "\(T.self) \(shape), \(label)"
            var chunkedRunning = RunningStatistics(mean: try TestData.uniform([channels], seed: 16, as: T.self),
                                                   variance: try TestData.uniform([channels], in: 0.5...1, seed: 17, as: T.self))
            var residentRunning = chunkedRunning
            let chunked = try SpatialBatchNorm.normalizingForward(x: x, gamma: gamma, beta: beta, parameters: parameters,
                                                                  running: &chunkedRunning, scheduler: scheduler)
            let resident = try #require(try SpatialBatchNorm.residentForward(x: x, gamma: gamma, beta: beta, parameters: parameters,
                                                                             appliesReLU: false, dropout: nil, running: &residentRunning,
                                                                             scheduler: scheduler), "\(context): resident forward taken")
            #expect(resident.out.isBitwiseEqual(to: chunked.out), "\(context): out")
            #expect(residentRunning.mean.isBitwiseEqual(to: chunkedRunning.mean), "\(context): running mean")
            #expect(residentRunning.variance.isBitwiseEqual(to: chunkedRunning.variance), "\(context): running variance")
            #expect(resident.cache.mean.isBitwiseEqual(to: chunked.cache.mean), "\(context): cached mean")
            #expect(resident.cache.inverseStd.isBitwiseEqual(to: chunked.cache.inverseStd), "\(context): cached 1/σ")

            var fusedRunning = chunkedRunning
            let fused = try #require(try SpatialBatchNorm.residentForward(x: x, gamma: gamma, beta: beta, parameters: parameters,
                                                                          appliesReLU: true, dropout: nil, running: &fusedRunning,
                                                                          scheduler: scheduler))
            let relu = try ReLU.forward(chunked.out, scheduler: scheduler)
            #expect(fused.out.isBitwiseEqual(to: relu), "\(context): out with the ReLU")

            // A dropout fused after the ReLU, for a shard whose element 0 is element 5 of the
            // batch's: the dropout layer's output for those elements.
            let dropout = Dropout.Parameters(p: 0.7, mode: .train, seed: 19)
            var droppedRunning = chunkedRunning
            var dropped = try Tensor<T>.uninitialized(shape: shape)
            let withDropout = try dropped.withUnsafeMutableBufferPointer { buffer in
                try SpatialBatchNorm.residentForward(x: x, gamma: gamma, beta: beta, parameters: parameters, appliesReLU: true,
                                                     dropout: FusedDropout(keep: dropout.p, seed: 19, firstIndex: 5,
                                                                           output: buffer.baseAddress!),
                                                     running: &droppedRunning, scheduler: scheduler)
            }
            #expect(try #require(withDropout).out.isBitwiseEqual(to: relu), "\(context): the ReLU's output beside a dropout")
            let layerDropout = try Dropout.forward(x: relu, parameters: dropout, firstIndex: 5, scheduler: scheduler)
            #expect(dropped.isBitwiseEqual(to: layerDropout.out), "\(context): the fused dropout's output")

            let (maskedDropout, dropoutMask) = try Dropout.forward(x: reluOutput, parameters: dropout, scheduler: scheduler)
            let chains = [nil, ChainMask(reluOutput: reluOutput),
                          ChainMask(reluOutput: reluOutput, dropoutOutput: maskedDropout, keep: dropout.p)]
            for mask in chains {
                let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * channels)
                defer { sums.deallocate() }
                try SpatialBatchNorm.gradientSums(dout: dout, maskedBy: mask, cache: chunked.cache, sums: sums, scheduler: scheduler)
                let expected = try SpatialBatchNorm.gradients(dout: dout, maskedBy: mask, cache: chunked.cache, count: shape[0],
                                                              sums: sums, scheduler: scheduler)
                let g = try #require(try SpatialBatchNorm.residentBackward(dout: dout, maskedBy: mask, cache: chunked.cache,
                                                                           scheduler: scheduler))
                let masked = mask == nil ? "" : ", masked"
                if let mask {
                    // The dropout layer's and the ReLU layer's own backwards, then the layer's
                    // unmasked passes.
                    let chainDout = mask.dropoutOutput == nil ? dout
                        : try Dropout.backward(dout: dout, mask: dropoutMask, parameters: dropout, scheduler: scheduler)
                    let reluDout = try ReLU.backward(dout: chainDout, x: mask.reluOutput, scheduler: scheduler)
                    try SpatialBatchNorm.gradientSums(dout: reluDout, maskedBy: nil, cache: chunked.cache, sums: sums, scheduler: scheduler)
                    let unfused = try SpatialBatchNorm.gradients(dout: reluDout, maskedBy: nil, cache: chunked.cache, count: shape[0],
                                                                 sums: sums, scheduler: scheduler)
                    #expect(expected.dx.isBitwiseEqual(to: unfused.dx), "\(context): masked dx against the ReLU layer's")
                    #expect(expected.dgamma.isBitwiseEqual(to: unfused.dgamma), "\(context): masked dgamma against the ReLU layer's")
                }
                #expect(g.dx.isBitwiseEqual(to: expected.dx), "\(context)\(masked): dx")
                #expect(g.dgamma.isBitwiseEqual(to: expected.dgamma), "\(context)\(masked): dgamma")
                #expect(g.dbeta.isBitwiseEqual(to: expected.dbeta), "\(context)\(masked): dbeta")
            }
        }
    }

    @Test(arguments: shapes)
    func residentPassesGiveTheChunkedBits(shape: [Int]) throws {
        try Self.expectResidentBits(shape: shape, as: Float.self)
        try Self.expectResidentBits(shape: shape, as: Double.self)
    }

    /// The layer's own forward and backward take the resident passes at the benchmark's shape
    /// and fall back to the chunked ones when a channel outgrows `residentChannelBytes` or there
    /// are fewer than two channels per worker.
    @Test func residencyFollowsTheChannelSizeAndTheWorkers() throws {
        let two = try Scheduler(workers: 2)
        #expect(SpatialBatchNorm.keepsChannelsResident(shape: [64, 64, 32, 32], as: Float.self, scheduler: two))
        #expect(!SpatialBatchNorm.keepsChannelsResident(shape: [512, 32, 32, 32], as: Float.self, scheduler: two))
        #expect(!SpatialBatchNorm.keepsChannelsResident(shape: [64, 3, 32, 32], as: Float.self, scheduler: two))
        #expect(SpatialBatchNorm.keepsChannelsResident(shape: [64, 3, 32, 32], as: Float.self, scheduler: .serial))
    }
}
