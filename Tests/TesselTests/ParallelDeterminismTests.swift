import Testing
@testable import Tessel
import TesselGolden
import TesselOps

/// Every layer and direction gives the bits of its one-worker run at 1, 2, 3, 4 and 8 workers
/// and two tile settings, on shapes large enough that each of those runs really is parallel:
/// at least one of its calls ran on all the workers with two tiles or more per worker (the
/// scheduler's `TileCounter` says so). The per-layer suites add odd shapes, where a call may
/// be one tile and run inline at any worker count.
struct ParallelDeterminismTests {
    static let cases: [GoldenLayerCase] = [
        GoldenLayerCase("affine", "affine", [], [("x", [67, 131]), ("w", [131, 73]), ("b", [73])]),
        GoldenLayerCase("relu", "relu", [], [("x", [4, 16, 17, 19])]),
        GoldenLayerCase("batchnorm", "batchnorm", ["mode=train"], [("x", [2053, 19]), ("gamma", [19]), ("beta", [19])]),
        GoldenLayerCase("batchnorm_alt", "batchnorm_alt", ["mode=train"], [("x", [2053, 19]), ("gamma", [19]), ("beta", [19])]),
        GoldenLayerCase("layernorm", "layernorm", [], [("x", [67, 131]), ("gamma", [131]), ("beta", [131])]),
        GoldenLayerCase("dropout", "dropout", ["p=0.6", "mode=train", "seed=5"], [("x", [4, 16, 17, 19])]),
        GoldenLayerCase("conv", "conv", ["stride=1", "pad=1"], [("x", [4, 3, 17, 19]), ("w", [8, 3, 3, 3]), ("b", [8])]),
        GoldenLayerCase("conv-stride2", "conv", ["stride=2", "pad=1"], [("x", [4, 5, 33, 31]), ("w", [7, 5, 3, 3]), ("b", [7])]),
        GoldenLayerCase("maxpool", "maxpool", ["pool_height=2", "pool_width=2", "stride=2"], [("x", [4, 8, 18, 20])]),
        GoldenLayerCase("spatial_batchnorm", "spatial_batchnorm", ["mode=train"], [("x", [19, 7, 31, 29]), ("gamma", [7]), ("beta", [7])]),
        GoldenLayerCase("groupnorm", "groupnorm", ["G=2"], [("x", [17, 4, 37, 41]), ("gamma", [1, 4, 1, 1]), ("beta", [1, 4, 1, 1])]),
        GoldenLayerCase("svm_loss", "svm_loss", [], [("x", [600, 500])], classes: 500),
        GoldenLayerCase("softmax_loss", "softmax_loss", [], [("x", [600, 500])], classes: 500),
    ]

    @Test(arguments: cases)
    func everyWorkerCountRunsInParallelWithTheSameBits(goldenCase: GoldenLayerCase) throws {
        let inputs = try GoldenLayers.inputs(of: goldenCase)
        let parameters = try OpParameters(goldenCase.parameters, layer: goldenCase.layer)
        func outputs(_ scheduler: Scheduler) throws -> [Tensor<Float>] {
            try (goldenCase.layer.isLoss ? [OpDirection.forward] : [.forward, .backward]).flatMap { direction in
                try OpRunner<Float>(layer: goldenCase.layer, direction: direction, parameters: parameters, inputs: inputs,
                                    backend: .tiled(scheduler)).run().map(\.tensor)
            }
        }
        let baseline = try outputs(.serial)
        for scheduler in determinismSchedulers {
            let parallel = try outputs(scheduler)
            #expect(parallel.count == baseline.count)
            for (index, (a, b)) in zip(parallel, baseline).enumerated() {
                #expect(a.isBitwiseEqual(to: b), "output \(index), \(scheduler.workers) workers, tiles \(scheduler.tiles)")
            }
            expectRanInParallel(scheduler)
        }
    }
}

extension GoldenLayerCase: CustomTestStringConvertible {
    public var testDescription: String { name }
}
