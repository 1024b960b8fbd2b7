import Testing
@testable import Tessel
import TesselTestSupport

/// Streaming (non-temporal) stores change where an output is written from, never its bits:
/// batch norm's and layer norm's outputs with every output streamed (`streamingOutputBytes`
/// 1) are bitwise those with none streamed, on shapes whose rows are aligned for streaming
/// (D a multiple of 16) and shapes whose rows are not, in both scalar types and at 1–3 workers.
/// (The determinism suites stream too: `determinismTileSettings[1]`.)
@Suite struct StreamingStoreTests {
    static let shapes: [[Int]] = [[6, 64], [5, 48], [9, 160], [3, 37], [7, 17]]

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
        for (label, never, always) in try schedulerPairs() {
            let context = "\(T.self) \(shape), \(label)"
            for mode in [Mode.train, .test] {
                let parameters = BatchNorm.Parameters(mode: mode)
                var runningA = RunningStatistics(mean: try TestData.uniform([shape[1]], seed: 26, as: T.self),
                                                 variance: try TestData.uniform([shape[1]], in: 0.5...1, seed: 27, as: T.self))
                var runningB = runningA
                let plain = try BatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &runningA,
                                                  scheduler: never)
                let streamed = try BatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &runningB,
                                                     scheduler: always)
                #expect(streamed.out.isBitwiseEqual(to: plain.out), "\(context): batch norm \(mode) out")
                guard mode == .train else { continue }
                for (name, backward) in [("backward", BatchNorm.backward(dout:cache:scheduler:) as BatchNormBackward<T>),
                                         ("backwardAlt", BatchNorm.backwardAlt(dout:cache:scheduler:))] {
                    let a = try backward(dout, plain.cache, never), b = try backward(dout, plain.cache, always)
                    #expect(b.dx.isBitwiseEqual(to: a.dx), "\(context): batch norm \(name) dx")
                }
            }
            let layer = try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: LayerNorm.Parameters(), scheduler: never)
            for mask in [nil, reluOutput] {
                let a = try LayerNorm.backward(dout: dout, maskedBy: mask, cache: layer.cache, scheduler: never)
                let b = try LayerNorm.backward(dout: dout, maskedBy: mask, cache: layer.cache, scheduler: always)
                #expect(b.dx.isBitwiseEqual(to: a.dx), "\(context): layer norm dx, mask \(mask != nil)")
                #expect(b.dgamma.isBitwiseEqual(to: a.dgamma) && b.dbeta.isBitwiseEqual(to: a.dbeta), "\(context): layer norm dγ, dβ")
            }
        }
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
        #expect(TileSettings().streamingOutputBytes == LastLevelCache.bytes.map { $0 / 2 } ?? .max)
    }
}

private typealias BatchNormBackward<T: TesselScalar> = (Tensor<T>, BatchNorm.Cache<T>, Scheduler) throws -> NormalizationGradients<T>
