import Foundation
import Testing
import TesselOps
@testable import Tessel
import TesselBenchmarking
import TesselTestSupport

@Suite struct AveragePoolTests {
    typealias Parameters = AveragePool.Parameters

    @Test func knownValues() throws {
        let x = try Tensor<Double>(shape: [1, 1, 2, 5], scalars: [1, 2, 3, 4, 100, 5, 6, 7, 8, 100])
        let expected = try Tensor<Double>(shape: [1, 1, 1, 2], scalars: [3.5, 5.5])
        let dout = try Tensor<Double>(shape: [1, 1, 1, 2], scalars: [4, 8])
        // The last column lies in no window: it gets no gradient.
        let dx = try Tensor<Double>(shape: [1, 1, 2, 5], scalars: [1, 1, 2, 2, 0, 1, 1, 2, 2, 0])
        #expect(try AveragePool.forward(x: x, parameters: Parameters()) == expected)
        #expect(try AveragePool.Reference.forward(x: x, parameters: Parameters()) == expected)
        #expect(try AveragePool.backward(dout: dout, inputShape: x.shape, parameters: Parameters()) == dx)
        #expect(try AveragePool.Reference.backward(dout: dout, inputShape: x.shape, parameters: Parameters()) == dx)
    }

    /// A window of the whole plane is global average pooling: each channel's mean, and each
    /// element's gradient dout / (H·W).
    @Test func windowOfTheWholeInputIsGlobalAveragePooling() throws {
        let x = try TestData.normal([3, 4, 5, 7], seed: 3, as: Double.self)
        let parameters = Parameters(poolHeight: 5, poolWidth: 7, stride: 1)
        let out = try AveragePool.forward(x: x, parameters: parameters)
        #expect(out.shape == [3, 4, 1, 1])
        for n in 0..<3 {
            for c in 0..<4 {
                var sum = 0.0
                for row in 0..<5 { for column in 0..<7 { sum += x[n, c, row, column] } }
                #expect(abs(out[n, c, 0, 0] - sum / 35) <= 1e-15 * max(1, abs(sum)))
            }
        }
        let dout = try TestData.normal([3, 4, 1, 1], seed: 4, as: Double.self)
        let dx = try AveragePool.backward(dout: dout, inputShape: x.shape, parameters: parameters)
        #expect(dx[2, 3, 4, 6] == dout[2, 3, 0, 0] / 35 && dx[0, 1, 2, 3] == dout[0, 1, 0, 0] / 35)
    }

    /// The shared cases and a global window.
    @Test(arguments: poolingGradientCases + [([2, 2, 4, 3], Parameters(poolHeight: 4, poolWidth: 3, stride: 1))])
    func gradientCheck(shape: [Int], parameters: Parameters) throws {
        try checkPoolingGradient(AveragePoolKind.self, at: try TestData.normal(shape, seed: 11, as: Double.self), parameters,
                                 error: normwiseRelativeError, below: 1e-9)
    }

    /// The shared odd shapes and a global window.
    @Test(arguments: poolingOddCases + [([5, 3, 11, 13], Parameters(poolHeight: 11, poolWidth: 13, stride: 1))])
    func tiledMatchesReferenceBitwiseAtEveryWorkerCount(shape: [Int], parameters: Parameters) throws {
        try checkPoolingTiledMatchesReference(AveragePoolKind.self, shape: shape, parameters)
    }

    /// A shape large enough that every worker count of `determinismSchedulers` runs several
    /// tiles per worker, forward and backward.
    @Test(arguments: [Parameters(), Parameters(poolHeight: 3, poolWidth: 3, stride: 1)])
    func parallelRunsGiveTheSameBits(parameters: Parameters) throws {
        let x = try TestData.normal([4, 8, 18, 20], seed: 5, as: Float.self)
        for scheduler in try checkPoolingTiledMatchesReference(AveragePoolKind.self, x, parameters) { expectRanInParallel(scheduler) }
    }

    @Test func rejectsBadShapesAndParameters() throws {
        let cases: [([Int], Parameters, TesselError)] = [
            ([3, 4, 5], Parameters(), .shapeMismatch(component: "avgpool", argument: "x", expected: "rank 4 (N, C, H, W)", actual: [3, 4, 5])),
            ([2, 3, 4, 4], Parameters(poolHeight: 0),
             .invalidParameter(component: "avgpool", parameter: "poolHeight", value: "0", reason: "must be at least 1")),
            ([2, 3, 4, 4], Parameters(stride: 0), .invalidParameter(component: "avgpool", parameter: "stride", value: "0", reason: "must be at least 1")),
            ([2, 3, 4, 4], Parameters(poolHeight: 2, poolWidth: 5, stride: 1),
             .invalidParameter(component: "avgpool", parameter: "poolWidth", value: "5",
                               reason: "the window is larger than the input: W = 4 in x of shape (2, 3, 4, 4)")),
        ]
        for (shape, parameters, error) in cases {
            let x = try Tensor<Float>(shape: shape)
            #expect(throws: error) { try AveragePool.forward(x: x, parameters: parameters) }
            #expect(throws: error) { try AveragePool.Reference.forward(x: x, parameters: parameters) }
        }
        let dout = try Tensor<Float>(shape: [2, 3, 2, 3])
        let expected = TesselError.shapeMismatch(component: "avgpool", argument: "dout", expected: "(N, C, H', W') = (2, 3, 2, 2)", actual: [2, 3, 2, 3])
        #expect(throws: expected) { try AveragePool.backward(dout: dout, inputShape: [2, 3, 4, 4], parameters: Parameters()) }
        #expect(throws: expected) { try AveragePool.Reference.backward(dout: dout, inputShape: [2, 3, 4, 4], parameters: Parameters()) }
    }

    /// `tessel op avgpool` is found from the layer kind and runs the layer on either backend.
    @Test func opRunsTheLayer() throws {
        let layer = try #require(OpLayer(rawValue: "avgpool"))
        #expect(OpLayer.allCases.contains(layer) && layer.parameters == ["pool_height", "pool_width", "stride"])
        let x = try TestData.normal([2, 3, 7, 6], seed: 31, as: Double.self)
        let parameters = Parameters(poolHeight: 3, poolWidth: 2, stride: 2)
        let out = try AveragePool.Reference.forward(x: x, parameters: parameters)
        let dout = try TestData.normal(out.shape, seed: 32, as: Double.self)
        let options = try OpParameters(["pool_height=3", "pool_width=2", "stride=2"], layer: layer)
        for backend in [Backend.reference, .tiled(try Scheduler(workers: 2))] {
            let forward = try OpRunner<Double>(layer: layer, direction: .forward, parameters: options, inputs: ["x": .float64(x)],
                                               backend: backend).run()
            #expect(forward.map(\.name) == ["out"] && forward[0].tensor.isBitwiseEqual(to: out))
            let backward = try OpRunner<Double>(layer: layer, direction: .backward, parameters: options,
                                                inputs: ["x": .float64(x), "dout": .float64(dout)], backend: backend).run()
            #expect(backward.map(\.name) == ["dx"])
            #expect(backward[0].tensor.isBitwiseEqual(to: try AveragePool.Reference.backward(dout: dout, inputShape: x.shape, parameters: parameters)))
        }
    }

    /// The benchmark workload is found from the layer kind; its passes agree with each other's backend.
    @Test func workloadIsRegistered() throws {
        let workload = try #require(LayerBenchmark.named("avgpool")).prepare(.small)
        #expect(workload.passes.map(\.name) == ["forward", "backward"])
        for pass in workload.passes {
            try pass.run(.tiled(try Scheduler(workers: 2, grainSize: 0)))
            try pass.run(.reference)
        }
    }

    /// A config with a pooling layer and a global average pool: decoded by its `type`,
    /// encoded back equal, and the network's tiled step matches its references (Float64).
    @Test func configUsesAveragePooling() throws {
        let json = #"""
        { "input": [3, 8, 8], "loss": "softmax", "layers": [
            { "type": "conv", "filters": 4, "size": 3, "pad": 1 }, { "type": "avgpool", "size": 2 }, { "type": "relu" },
            { "type": "avgpool", "size": 4, "stride": 1 }, { "type": "affine", "units": 5 } ] }
        """#
        let definition = try JSONDecoder().decode(NetworkDefinition.self, from: Data(json.utf8))
        #expect(definition.layers[1] == .averagePool(size: 2, stride: 2) && definition.layers[3] == .averagePool(size: 4, stride: 1))
        #expect(try JSONDecoder().decode(NetworkDefinition.self, from: JSONEncoder().encode(definition)) == definition)
        #expect(try definition.shapes() == [[4, 8, 8], [4, 4, 4], [4, 4, 4], [4, 1, 1], [5]])
        let network = try Network<Double>(definition, seed: 3)
        let batch = try Dataset<Double>.random(count: 6, exampleShape: definition.input, classes: 5, seed: 4)
        let checks = try network.check(images: batch.images, labels: batch.labels, scheduler: try Scheduler(workers: 3, grainSize: 0))
        #expect(checks.count == 6)
        for check in checks { #expect(check.maximum < 1e-12, "\(check.layer)") }
        #expect(checks[1].maximum == 0 && checks[3].maximum == 0)

        let tooLarge = NetworkDefinition(input: [2, 3, 3], layers: [.averagePool(size: 4, stride: 1), .affine(units: 2)])
        #expect(throws: TesselError.invalidParameter(component: "layers[0] (avgpool)", parameter: "size", value: "4",
                                                     reason: "the window is larger than the input: H = 3 in x of shape (1, 2, 3, 3)")) {
            try tooLarge.shapes()
        }
    }
}
