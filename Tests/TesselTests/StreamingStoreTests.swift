import Testing
@testable import Tessel
import TesselTestSupport

/// Streaming (non-temporal) stores change where an output is written from, never its bits:
/// the outputs of batch norm, layer norm, spatial batch norm and group norm with every output
/// streamed (`streamingOutputBytes` 1) are bitwise those with none streamed, on shapes whose
/// rows (planes) are aligned for streaming (a multiple of 16 values) and shapes whose rows are
/// not, in both scalar types and at 1–3 workers. (The determinism suites stream too:
/// `determinismTileSettings[1]`.)
@Suite struct StreamingStoreTests {
    static let shapes: [[Int]] = [[6, 64], [5, 48], [9, 160], [3, 37], [7, 17]]

    /// (N, C, H, W): spatial batch norm keeps 8 channels resident at 1–3 workers, 5 at 1 and 2,
    /// 3 at 1; the others run its chunked passes. Planes of 64 and 16 values are aligned for
    /// streaming, planes of 21 and 10 are not.
    static let spatialShapes: [[Int]] = [[2, 8, 4, 16], [3, 5, 3, 7], [4, 3, 4, 16], [2, 6, 2, 5], [5, 3, 4, 4]]

    static func schedulerPairs() throws -> [(String, never: Scheduler, always: Scheduler)] {
        try [1, 2, 3].flatMap { workers in
            try [TileSettings(), TileSettings(elementsPerTile: 61)].map { tiles in
                var streaming = tiles
                streaming.streamingOutputBytes = 1
                var never = tiles
                never.streamingOutputBytes = .max
                return ("\(workers) workers, \(tiles.elementsPerTile) per tile",
                        try Scheduler(workers: workers, grainSize: 0, tiles: never),
                        try Scheduler(workers: workers, grainSize: 0, tiles: streaming))
            }
        }
    }

    static func expectSameBits<T: TesselScalar>(shape: [Int], as _: T.Type) throws {
        let x = try TestData.normal(shape, scale: 3, mean: 2, seed: 21, as: T.self)
        let gamma = try TestData.uniform([shape[1]], in: 0.5...2, seed: 22, as: T.self)
        let beta = try TestData.uniform([shape[1]], seed: 23, as: T.self)
        let dout = try TestData.uniform(shape, seed: 24, as: T.self)
        let reluOutput = try TestData.uniform(shape, seed: 25, as: T.self)
        let dropoutOutput = try TestData.uniform(shape, seed: 26, as: T.self)
        for (label, never, always) in try schedulerPairs() {
            let context = "\(T.self) \(shape), \(label)"
            for mode in [Mode.train, .test] {
                let cache = try expectSameForward(BatchNorm.self, x: x, gamma: gamma, beta: beta, mode: mode, never: never,
                                                  always: always, context: context)
                guard mode == .train else { continue }
                for (name, backward) in [("backward", BatchNorm.backward(dout:cache:scheduler:) as BatchNormBackward<T>),
                                         ("backwardAlt", BatchNorm.backwardAlt(dout:cache:scheduler:))] {
                    let a = try backward(dout, cache, never), b = try backward(dout, cache, always)
                    #expect(b.dx.isBitwiseEqual(to: a.dx), "\(context): batch norm \(name) dx")
                }
            }
            let layer = try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: LayerNorm.Parameters(), scheduler: never)
            let streamed = try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: LayerNorm.Parameters(), scheduler: always)
            #expect(streamed.out.isBitwiseEqual(to: layer.out), "\(context): layer norm out")
            for mask in [nil, ChainMask(reluOutput: reluOutput), ChainMask(reluOutput: reluOutput, dropoutOutput: dropoutOutput, keep: 0.75)] {
                let a = try LayerNorm.backward(dout: dout, maskedBy: mask, cache: layer.cache, scheduler: never)
                let b = try LayerNorm.backward(dout: dout, maskedBy: mask, cache: layer.cache, scheduler: always)
                #expect(b.dx.isBitwiseEqual(to: a.dx), "\(context): layer norm dx, mask \(maskLabel(mask))")
                #expect(b.dgamma.isBitwiseEqual(to: a.dgamma) && b.dbeta.isBitwiseEqual(to: a.dbeta), "\(context): layer norm dγ, dβ")
            }
        }
    }

    static func expectSameBitsSpatial<T: TesselScalar>(shape: [Int], as _: T.Type) throws {
        let channels = shape[1], groups = channels % 2 == 0 ? 2 : 1
        let x = try TestData.normal(shape, scale: 3, mean: 2, seed: 31, as: T.self)
        let gamma = try TestData.uniform([channels], in: 0.5...2, seed: 32, as: T.self)
        let beta = try TestData.uniform([channels], seed: 33, as: T.self)
        let dout = try TestData.uniform(shape, seed: 34, as: T.self)
        let reluOutput = try TestData.uniform(shape, seed: 35, as: T.self)
        let dropoutOutput = try TestData.uniform(shape, seed: 36, as: T.self)
        for (label, never, always) in try schedulerPairs() {
            let context = "\(T.self) \(shape), \(label)"
            for mode in [Mode.train, .test] {
                let cache = try expectSameForward(SpatialBatchNorm.self, x: x, gamma: gamma, beta: beta, mode: mode, never: never,
                                                  always: always, context: context)
                guard mode == .train else { continue }
                for mask in [nil, ChainMask(reluOutput: reluOutput), ChainMask(reluOutput: reluOutput, dropoutOutput: dropoutOutput, keep: 0.75)] {
                    let a = try spatialBatchNormBackward(dout: dout, maskedBy: mask, cache: cache, scheduler: never)
                    let b = try spatialBatchNormBackward(dout: dout, maskedBy: mask, cache: cache, scheduler: always)
                    #expect(b.dx.isBitwiseEqual(to: a.dx), "\(context): spatial batch norm dx, mask \(maskLabel(mask))")
                }
            }
            let parameters = GroupNorm.Parameters(groups: groups)
            let plain = try GroupNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, scheduler: never)
            let streamed = try GroupNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, scheduler: always)
            #expect(streamed.out.isBitwiseEqual(to: plain.out), "\(context): group norm out")
            for mask in [nil, ChainMask(reluOutput: reluOutput), ChainMask(reluOutput: reluOutput, dropoutOutput: dropoutOutput, keep: 0.75)] {
                let a = try GroupNorm.backward(dout: dout, maskedBy: mask, cache: plain.cache, scheduler: never)
                let b = try GroupNorm.backward(dout: dout, maskedBy: mask, cache: plain.cache, scheduler: always)
                #expect(b.dx.isBitwiseEqual(to: a.dx), "\(context): group norm dx, mask \(maskLabel(mask))")
            }
        }
    }

    /// `Layer`'s forward in `mode` with no output streamed and with every one streamed, each
    /// from its own copy of the same running statistics: expects the same output bits and
    /// returns the unstreamed forward's cache for the backward checks.
    static func expectSameForward<Layer: BatchNormalizationLayer, T: TesselScalar>(
        _: Layer.Type, x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, mode: Mode, never: Scheduler, always: Scheduler,
        context: String
    ) throws -> BatchNorm.Cache<T> {
        let parameters = BatchNorm.Parameters(mode: mode), features = [x.shape[1]]
        var runningA = RunningStatistics(mean: try TestData.uniform(features, seed: 26, as: T.self),
                                         variance: try TestData.uniform(features, in: 0.5...1, seed: 27, as: T.self))
        var runningB = runningA
        let plain = try Layer.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &runningA, scheduler: never)
        let streamed = try Layer.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &runningB, scheduler: always)
        #expect(streamed.out.isBitwiseEqual(to: plain.out), "\(context): \(Layer.name) \(mode) out")
        return plain.cache
    }

    /// Which chain `mask` is: none, a ReLU, or a ReLU and a dropout.
    static func maskLabel<T>(_ mask: ChainMask<T>?) -> String {
        mask == nil ? "none" : mask?.dropoutOutput == nil ? "ReLU" : "ReLU and dropout"
    }

    /// Spatial batch norm's backward as a fused chain runs it: the resident passes where they
    /// take the shape, else the chunked sums and dx pass.
    static func spatialBatchNormBackward<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: BatchNorm.Cache<T>,
                                                          scheduler: Scheduler) throws -> NormalizationGradients<T> {
        if let resident = try SpatialBatchNorm.residentBackward(dout: dout, maskedBy: mask, cache: cache, scheduler: scheduler) {
            return resident
        }
        var sums = [Double](repeating: 0, count: 2 * cache.x.shape[1])
        try SpatialBatchNorm.gradientSums(dout: dout, maskedBy: mask, cache: cache, sums: &sums, scheduler: scheduler)
        return try SpatialBatchNorm.gradients(dout: dout, maskedBy: mask, cache: cache, count: cache.x.shape[0], sums: sums,
                                              scheduler: scheduler)
    }

    @Test(arguments: spatialShapes) func spatialFloat(shape: [Int]) throws {
        try Self.expectSameBitsSpatial(shape: shape, as: Float.self)
    }

    @Test(arguments: spatialShapes) func spatialDouble(shape: [Int]) throws {
        try Self.expectSameBitsSpatial(shape: shape, as: Double.self)
    }

    @Test(arguments: shapes) func float(shape: [Int]) throws {
        try Self.expectSameBits(shape: shape, as: Float.self)
    }

    @Test(arguments: shapes) func double(shape: [Int]) throws {
        try Self.expectSameBits(shape: shape, as: Double.self)
    }

    @Test func sysfsCacheSizesParse() {
        #expect(LastLevelCache.parseSize("32768K\n") == 32 << 20)
        #expect(LastLevelCache.parseSize("1M") == 1 << 20)
        #expect(LastLevelCache.parseSize("512") == 512)
        #expect(LastLevelCache.parseSize("") == nil && LastLevelCache.parseSize("K") == nil && LastLevelCache.parseSize("-1K") == nil)
        #expect(TileSettings().streamingOutputBytes
                == TileSettings.streamingThreshold(lastLevelCacheBytes: LastLevelCache.bytes, cpus: Scheduler.onlineCPUCount))
    }

    @Test func streamingThresholdIsHalfTheCacheAndAtMostEightMiBPerCPU() {
        // A 2-vCPU guest reporting its socket's 300 MiB, a Zen 4 guest's 32 MiB, 16-CPU hosts.
        #expect(TileSettings.streamingThreshold(lastLevelCacheBytes: 300 << 20, cpus: 2) == 16 << 20)
        #expect(TileSettings.streamingThreshold(lastLevelCacheBytes: 32 << 20, cpus: 2) == 16 << 20)
        #expect(TileSettings.streamingThreshold(lastLevelCacheBytes: 32 << 20, cpus: 16) == 16 << 20)
        #expect(TileSettings.streamingThreshold(lastLevelCacheBytes: 300 << 20, cpus: 16) == 128 << 20)
        #expect(TileSettings.streamingThreshold(lastLevelCacheBytes: nil, cpus: 2) == .max)
    }
}

private typealias BatchNormBackward<T: TesselScalar> = (Tensor<T>, BatchNorm.Cache<T>, Scheduler) throws -> NormalizationGradients<T>
