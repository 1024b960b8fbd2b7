import Foundation
import Testing
@testable import Tessel
import TesselTestSupport
import TesselSystem

/// Using a trained network: checkpoints that record their network, batched test-mode scores,
/// `tessel predict` and `tessel run --mode test`.
@Suite struct PredictTests {
    @Test func definitionEncodesAsItsConfigObject() throws {
        let bytes = try JSONEncoder().encode(TrainingFixtures.everyLayer)
        #expect(try JSONDecoder().decode(NetworkDefinition.self, from: bytes) == TrainingFixtures.everyLayer)
    }

    @Test func checkpointRebuildsTheTrainedNetwork() throws {
        let (trainer, folder, validation) = try TrainingFixtures.trainedCheckpoint()
        let manifest = try Checkpoint.readManifest(from: folder)
        #expect(manifest.format == 2 && manifest.network == TrainingFixtures.everyLayer)
        let (network, _) = try Checkpoint.network(from: folder, as: Float.self)
        let expected = try trainer.network.scores(images: validation.images)
        #expect(try network.scores(images: validation.images).isBitwiseEqual(to: expected))
        #expect(try network.accuracy(on: validation) == (try trainer.network.accuracy(on: validation)))
        // In batches of 1, 4 and 5 (the last one short): the same bits as one batch.
        for batchSize in [1, 4, 5, 100] {
            #expect(try network.scores(images: validation.images, batchSize: batchSize).isBitwiseEqual(to: expected), "batch \(batchSize)")
        }
        let confusion = try ConfusionMatrix(scores: expected, labels: validation.labels)
        #expect(confusion.total == validation.count && confusion.classes == 4)
        #expect(confusion.accuracy == (try trainer.network.accuracy(on: validation)))
    }

    @Test func checkpointErrorsNameTheManifest() throws {
        let (_, folder, _) = try TrainingFixtures.trainedCheckpoint()
        let manifestPath = folder + "/" + Checkpoint.manifestName
        func expectKey(_ key: String, _ attempt: () throws -> Void) {
            do {
                try attempt()
                Issue.record("no error for \(key)")
            } catch let TesselError.configuration(source, thrownKey, _) {
                #expect(source == manifestPath && thrownKey == key)
            } catch {
                Issue.record("\(key): \(error)")
            }
        }
        expectKey("dtype") { _ = try Checkpoint.network(from: folder, as: Double.self) }
        var other = TrainingFixtures.everyLayer
        other.layers[5] = .affine(units: 8)
        expectKey("network") { _ = try Checkpoint.network(from: folder, as: Float.self, definition: other) }
        // A format 1 manifest does not record the network: it must be given, and then it is used.
        var old = try Checkpoint.readManifest(from: folder)
        old.format = 1
        old.network = nil
        try AtomicFile.write(Array(try JSONEncoder().encode(old)), to: manifestPath)
        expectKey("network") { _ = try Checkpoint.network(from: folder, as: Float.self) }
        #expect(try Checkpoint.network(from: folder, as: Float.self, definition: TrainingFixtures.everyLayer).network.definition == TrainingFixtures.everyLayer)
        expectKey("parameters") { _ = try Checkpoint.network(from: folder, as: Float.self, definition: other) }
    }

    @Test func scoresRejectBadBatches() throws {
        let network = try Network<Float>(NetworkDefinition(input: [3], layers: [.affine(units: 2)]))
        #expect(throws: TesselError.invalidParameter(component: "network", parameter: "batchSize", value: "0", reason: "must be at least 1")) {
            _ = try network.scores(images: Tensor(shape: [4, 3]), batchSize: 0)
        }
        #expect(throws: TesselError.shapeMismatch(component: "network", argument: "images", expected: "(3, …): rows 0..<3", actual: [2, 3])) {
            _ = try network.scores(count: 3, batchSize: 5) { _ in try Tensor(shape: [2, 3]) }
        }
        #expect(try network.scores(count: 0, batchSize: 5) { _ in try Tensor(shape: [0, 3]) }.shape == [0, 2])
    }

    /// Every shipped config's test-mode forward pass, on two examples.
    @Test func testModeRunsOnEveryShippedConfig() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: "config").filter { $0.hasSuffix(".json") && $0 != "runtime.json" }
        #expect(names.contains("stem.json") && names.count >= 6)
        for name in names.sorted() {
            var workload = try Workload.load(from: "config/" + name)
            workload.run.warmup = 0
            let batch = try Dataset<Float>.random(count: 2, exampleShape: workload.network.input, classes: try workload.network.classes(), seed: 1)
            let report = try workload.measureInference(steps: 1, batch: batch, scheduler: try Scheduler(workers: 2))
            #expect(report.mode == .test && report.layers.count == workload.network.layers.count, "\(name)")
            #expect(report.layers.allSatisfy { $0.backwardMilliseconds == 0 } && report.imagesPerSecond > 0, "\(name)")
        }
    }

    /// The stem config's network passes the check against the references and trains.
    @Test func stemConfigChecksAndTrains() throws {
        let workload = try Workload.load(from: "config/stem.json")
        let (train, validation) = try workload.trainingData(as: Float.self)
        let examples = try train.subset(0..<60)
        let network = try Network<Float>(workload)
        let few = try examples.subset(0..<4)
        let checks = try network.converted(to: Double.self).check(images: try few.images.converted(to: Double.self), labels: few.labels)
        for check in checks { #expect(check.maximum < 1e-4, "\(check.layer): \(check)") }
        var trainer = Trainer(network: network, settings: TrainingSettings(optimizer: try OptimizerSettings(rule: .adam, learningRate: 2e-3),
                                                                          epochs: 2, batchSize: 20))
        let first = try trainer.trainEpoch(on: examples, validation: try validation.subset(0..<20))
        let second = try trainer.trainEpoch(on: examples, validation: try validation.subset(0..<20))
        #expect(second.loss < first.loss)
    }
}
