import Testing
import Tessel
#if canImport(Glibc)
import Glibc
#endif

/// The small training setups that unit tests (training, checkpoints, prediction) and
/// end-to-end tests (interruption, the PyTorch bridge) share.
package enum TrainingFixtures {
    /// A small convnet on 1 × 4 × 4 images (convolution, spatial batch norm, pooling, dropout).
    package static let definition = NetworkDefinition(
        input: [1, 4, 4],
        layers: [.convolution(filters: 2, size: 3, stride: 1, pad: 1), .spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu,
                 .maxPool(size: 2, stride: 2), .affine(units: 6), .dropout(keep: 0.8), .affine(units: 3)],
        weightScale: 0.1)

    /// Four epochs of batches of 7 with `rule` and a learning-rate decay of 0.9.
    package static func settings(_ rule: OptimizerSettings.Rule = .adam) throws -> TrainingSettings {
        TrainingSettings(optimizer: try OptimizerSettings(rule: rule, learningRateDecay: 0.9), epochs: 4, batchSize: 7)
    }

    /// A fresh, empty folder under /tmp.
    package static func temporaryFolder() -> String {
        var template = Array("/tmp/tessel-checkpoint-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// Expects two trainers in the same state, bit for bit: epoch, step, learning rate,
    /// parameters, optimizer slots and running statistics.
    package static func expectSameState(_ a: Trainer<Float>, _ b: Trainer<Float>, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.epoch == b.epoch && a.network.stepCount == b.network.stepCount, sourceLocation: sourceLocation)
        #expect(a.optimizer.learningRate == b.optimizer.learningRate, sourceLocation: sourceLocation)
        #expect(a.network.parameters.count == b.network.parameters.count, sourceLocation: sourceLocation)
        #expect(a.network.runningStatistics.count == b.network.runningStatistics.count, sourceLocation: sourceLocation)
        for (x, y) in zip(a.network.parameters, b.network.parameters) {
            #expect(x.value.isBitwiseEqual(to: y.value), "\(x.name)", sourceLocation: sourceLocation)
            let (s, t) = (a.optimizer.states[x.name]!, b.optimizer.states[x.name]!)
            #expect(s.step == t.step, sourceLocation: sourceLocation)
            for (slot, tensor) in s.slots { #expect(tensor.isBitwiseEqual(to: t.slots[slot]!), "\(x.name).\(slot)", sourceLocation: sourceLocation) }
        }
        for (x, y) in zip(a.network.runningStatistics, b.network.runningStatistics) {
            #expect((x?.mean.isBitwiseEqual(to: y!.mean) ?? (y == nil)) && (x?.variance.isBitwiseEqual(to: y!.variance) ?? true),
                    sourceLocation: sourceLocation)
        }
    }

    /// Every layer kind, so that each one's encoding is read back.
    package static let everyLayer = NetworkDefinition(
        input: [2, 10, 10],  // the convolution (12 − 3 = 9 over stride 2) and the pool (5 − 2 = 3 over 2) round down
        layers: [.convolution(filters: 3, size: 3, stride: 2, pad: 1), .spatialBatchNorm(epsilon: 1e-3, momentum: 0.8),
                 .groupNorm(groups: 3, epsilon: 2e-5), .relu, .maxPool(size: 2, stride: 2), .affine(units: 7),
                 .batchNorm(epsilon: 1e-5, momentum: 0.9), .layerNorm(epsilon: 1e-4), .dropout(keep: 0.75), .affine(units: 4)],
        loss: .svm, weightScale: 0.05)

    /// Trains `everyLayer` for an epoch (so running statistics and weights moved) and writes its checkpoint.
    package static func trainedCheckpoint() throws -> (Trainer<Float>, folder: String, images: Dataset<Float>) {
        let data = try Dataset<Float>.random(count: 40, exampleShape: [2, 10, 10], classes: 4, seed: 4)
        let (train, validation) = try data.split(validation: 13, seed: 4)
        var trainer = Trainer(network: try Network<Float>(everyLayer, seed: 2),
                              settings: TrainingSettings(optimizer: try OptimizerSettings(rule: .adam), epochs: 1, batchSize: 9))
        _ = try trainer.trainEpoch(on: train, validation: validation)
        let folder = try Checkpoint.write(network: trainer.network, optimizer: trainer.optimizer, epoch: 1, workload: "every",
                                          fingerprint: "f", to: temporaryFolder())
        return (trainer, folder, validation)
    }
}
