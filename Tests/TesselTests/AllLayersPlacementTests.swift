import Testing
@testable import Tessel
import TesselTestSupport

/// Every layer's outputs are the same bits whatever the NUMA mode, the tile placement, the
/// worker count and the allocator its outputs come from.
@Suite struct AllLayersPlacementTests {
    /// Runs every layer forward and backward (Float32, small shapes, the images and rows above
    /// `Allocator.minimumPlacedByteCount` so that policies really apply) with inputs from
    /// `allocator` and returns every output in a fixed order.
    private func allOutputs(_ scheduler: Scheduler, inputs allocator: Allocator) throws -> [Tensor<Float>] {
        func data(_ shape: [Int], _ seed: UInt64) throws -> Tensor<Float> {
            let values: Tensor<Float> = try TestData.normal(shape, seed: seed)
            return try Tensor(shape: shape, scalars: values.scalars, allocator: allocator)
        }
        var outputs: [Tensor<Float>] = []
        let image = try data([7, 8, 19, 17], 1), imageGradient = try data([7, 8, 19, 17], 2)
        let channels = try data([8], 3), shift = try data([8], 4)

        let x = try data([11, 30], 5), w = try data([30, 13], 6), b = try data([13], 7), dout = try data([11, 13], 8)
        outputs.append(try Affine.forward(x: x, w: w, b: b, scheduler: scheduler))
        let affine = try Affine.backward(dout: dout, x: x, w: w, b: b, scheduler: scheduler)
        outputs += [affine.dx, affine.dw, affine.db]

        outputs.append(try ReLU.forward(image, scheduler: scheduler))
        outputs.append(try ReLU.backward(dout: imageGradient, x: image, scheduler: scheduler))

        let filters = try data([3, 8, 3, 3], 9), bias = try data([3], 10)
        let convolution = Convolution.Parameters(stride: 2, pad: 1)
        let convolved = try Convolution.forward(x: image, w: filters, b: bias, parameters: convolution, scheduler: scheduler)
        let convolutionGradient = try data(convolved.shape, 11)
        let conv = try Convolution.backward(dout: convolutionGradient, x: image, w: filters, b: bias, parameters: convolution, scheduler: scheduler)
        outputs += [convolved, conv.dx, conv.dw, conv.db]

        let pooling = MaxPool.Parameters(poolHeight: 3, poolWidth: 3, stride: 2)
        let pooled = try MaxPool.forward(x: image, parameters: pooling, scheduler: scheduler)
        outputs += [pooled, try MaxPool.backward(dout: try data(pooled.shape, 12), x: image, parameters: pooling, scheduler: scheduler)]

        let rows = try data([67, 250], 13), rowGradient = try data([67, 250], 14), gamma = try data([250], 15), beta = try data([250], 16)
        var running = try RunningStatistics<Float>(features: 250)
        let (normalized, cache) = try BatchNorm.forward(x: rows, gamma: gamma, beta: beta, parameters: .init(mode: .train),
                                                        running: &running, scheduler: scheduler)
        let batch = try BatchNorm.backward(dout: rowGradient, cache: cache, scheduler: scheduler)
        let batchAlt = try BatchNorm.backwardAlt(dout: rowGradient, cache: cache, scheduler: scheduler)
        outputs += [normalized, running.mean, running.variance, batch.dx, batch.dgamma, batch.dbeta, batchAlt.dx]

        let (layerOut, layerCache) = try LayerNorm.forward(x: rows, gamma: gamma, beta: beta, parameters: .init(), scheduler: scheduler)
        let layer = try LayerNorm.backward(dout: rowGradient, cache: layerCache, scheduler: scheduler)
        outputs += [layerOut, layer.dx, layer.dgamma, layer.dbeta]

        var spatialRunning = try RunningStatistics<Float>(features: 8)
        let (spatialOut, spatialCache) = try SpatialBatchNorm.forward(x: image, gamma: channels, beta: shift, parameters: .init(mode: .train),
                                                                      running: &spatialRunning, scheduler: scheduler)
        let spatial = try SpatialBatchNorm.backward(dout: imageGradient, cache: spatialCache, scheduler: scheduler)
        outputs += [spatialOut, spatialRunning.mean, spatialRunning.variance, spatial.dx, spatial.dgamma, spatial.dbeta]

        let (groupOut, groupCache) = try GroupNorm.forward(x: image, gamma: channels, beta: shift, parameters: .init(groups: 2), scheduler: scheduler)
        let group = try GroupNorm.backward(dout: imageGradient, cache: groupCache, scheduler: scheduler)
        outputs += [groupOut, group.dx, group.dgamma, group.dbeta]

        let dropout = Dropout.Parameters(p: 0.6, mode: .train, seed: 42)
        let (dropped, mask) = try Dropout.forward(x: image, parameters: dropout, scheduler: scheduler)
        outputs += [dropped, try #require(mask), try Dropout.backward(dout: imageGradient, mask: mask, parameters: dropout, scheduler: scheduler)]

        let scores = try data([17, 7], 17), labels = (0..<17).map { ($0 * 5) % 7 }
        let svm = try SVMLoss.compute(x: scores, y: labels, scheduler: scheduler)
        let softmax = try SoftmaxLoss.compute(x: scores, y: labels, scheduler: scheduler)
        outputs += [try Tensor(shape: [], scalars: [svm.loss]), svm.dx, try Tensor(shape: [], scalars: [softmax.loss]), softmax.dx]
        return outputs
    }

    @Test(arguments: NumaSchedulerTests.configurations)
    func everyLayerIsBitwiseIdenticalInEveryMode(configuration: NumaSchedulerTests.Configuration) throws {
        let expected = try allOutputs(.serial, inputs: .standard)
        // Three workers and small tiles: many tiles, interleaved across threads (the
        // determinism suites cover the other worker counts and tile settings).
        let scheduler = try Scheduler(workers: 3, grainSize: 0, tiles: determinismTileSettings[0],
                                      placement: configuration.placement, allocator: configuration.allocator)
        let outputs = try allOutputs(scheduler, inputs: configuration.allocator)
        #expect(outputs.count == expected.count)
        for (index, (output, reference)) in zip(outputs, expected).enumerated() {
            #expect(output.isBitwiseEqual(to: reference), "output \(index), \(configuration.name)")
        }
    }
}
