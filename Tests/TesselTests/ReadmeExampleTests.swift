import Testing
import Tessel

/// The README's "network built and trained from Swift" program, run for two epochs on 600
/// training images instead of fifteen on all (debug builds are slow): it must compile as
/// printed and learn.
@Suite struct ReadmeExampleTests {
    private static let root: String = {
        let path = #filePath
        return String(path[..<path.range(of: "/Tests/TesselTests/")!.lowerBound])
    }()

    @Test func theReadmeTrainingProgramLearns() throws {
        let definition = NetworkDefinition(
            input: [1, 8, 8],
            layers: [.convolution(filters: 16, size: 3, stride: 1, pad: 1), .spatialBatchNorm(epsilon: 1e-5, momentum: 0.9),
                     .relu, .maxPool(size: 2, stride: 2), .affine(units: 64), .relu, .affine(units: 10)],
            loss: .softmax, weightScale: 0.01)
        let digits = try Dataset<Float>.load(images: Self.root + "/data/digits/X.npy", labels: Self.root + "/data/digits/y.npy")
        let (allTraining, validation) = try digits.split(validation: 300, seed: 0)
        let train = try allTraining.subset(0..<600)
        let adam = try OptimizerSettings(rule: .adam, learningRate: 2e-3, learningRateDecay: 0.9)
        var trainer = Trainer(network: try Network<Float>(definition, seed: 0),
                              settings: TrainingSettings(optimizer: adam, epochs: 2, batchSize: 50))
        let scheduler = try Scheduler(workers: 2)
        var accuracy = 0.0
        for _ in 1...trainer.settings.epochs {
            let epoch = try trainer.trainEpoch(on: train, validation: validation, scheduler: scheduler)
            accuracy = epoch.validationAccuracy
        }
        // Chance is 10%.
        #expect(accuracy > 0.6, "validation accuracy \(accuracy)")
    }
}
