import Foundation
import Testing
@testable import Tessel

/// Using a trained network: checkpoints that record their network, batched test-mode scores,
/// `tessel predict` and `tessel run --mode test`.
@Suite struct PredictTests {
    /// Every layer kind, so that each one's encoding is read back.
    static let everyLayer = NetworkDefinition(
        input: [2, 10, 10],  // the convolution (12 − 3 = 9 over stride 2) and the pool (5 − 2 = 3 over 2) round down
        layers: [.convolution(filters: 3, size: 3, stride: 2, pad: 1), .spatialBatchNorm(epsilon: 1e-3, momentum: 0.8),
                 .groupNorm(groups: 3, epsilon: 2e-5), .relu, .maxPool(size: 2, stride: 2), .affine(units: 7),
                 .batchNorm(epsilon: 1e-5, momentum: 0.9), .layerNorm(epsilon: 1e-4), .dropout(keep: 0.75), .affine(units: 4)],
        loss: .svm, weightScale: 0.05)

    @Test func definitionEncodesAsItsConfigObject() throws {
        let bytes = try JSONEncoder().encode(Self.everyLayer)
        #expect(try JSONDecoder().decode(NetworkDefinition.self, from: bytes) == Self.everyLayer)
    }

    /// Trains `everyLayer` for an epoch (so running statistics and weights moved) and writes its checkpoint.
    static func trainedCheckpoint() throws -> (Trainer<Float>, folder: String, images: Dataset<Float>) {
        let data = try Dataset<Float>.random(count: 40, exampleShape: [2, 10, 10], classes: 4, seed: 4)
        let (train, validation) = try data.split(validation: 13, seed: 4)
        var trainer = Trainer(network: try Network<Float>(Self.everyLayer, seed: 2),
                              settings: TrainingSettings(optimizer: try OptimizerSettings(rule: .adam), epochs: 1, batchSize: 9))
        _ = try trainer.trainEpoch(on: train, validation: validation)
        let folder = try Checkpoint.write(network: trainer.network, optimizer: trainer.optimizer, epoch: 1, workload: "every",
                                          fingerprint: "f", to: TrainingTests.temporaryFolder())
        return (trainer, folder, validation)
    }

    @Test func checkpointRebuildsTheTrainedNetwork() throws {
        let (trainer, folder, validation) = try Self.trainedCheckpoint()
        let manifest = try Checkpoint.readManifest(from: folder)
        #expect(manifest.format == 2 && manifest.network == Self.everyLayer)
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
        let (_, folder, _) = try Self.trainedCheckpoint()
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
        var other = Self.everyLayer
        other.layers[5] = .affine(units: 8)
        expectKey("network") { _ = try Checkpoint.network(from: folder, as: Float.self, definition: other) }
        // A format 1 manifest does not record the network: it must be given, and then it is used.
        var old = try Checkpoint.readManifest(from: folder)
        old.format = 1
        old.network = nil
        try AtomicFile.write(Array(try JSONEncoder().encode(old)), to: manifestPath)
        expectKey("network") { _ = try Checkpoint.network(from: folder, as: Float.self) }
        #expect(try Checkpoint.network(from: folder, as: Float.self, definition: Self.everyLayer).network.definition == Self.everyLayer)
        expectKey("parameters") { _ = try Checkpoint.network(from: folder, as: Float.self, definition: other) }
    }

    @Test func scoresRejectBadBatches() throws {
        let network = try Network<Float>(NetworkDefinition(input: [3], layers: [.affine(units: 2)]))
        #expect(throws: TesselError.invalidParameter(layer: "network", parameter: "batchSize", value: "0", reason: "must be at least 1")) {
            _ = try network.scores(images: Tensor(shape: [4, 3]), batchSize: 0)
        }
        #expect(throws: TesselError.shapeMismatch(layer: "network", argument: "images", expected: "(3, …): rows 0..<3", actual: [2, 3])) {
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

    // MARK: The command line

    /// A folder with a small config (an affine network on 4 features, batch norm and dropout
    /// included) and its data files.
    static func commandFolder() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        let data = try Dataset<Float>.random(count: 90, exampleShape: [4], classes: 3, seed: 12)
        try NPY.write(data.images, to: folder.path + "/X.npy")
        let labels = NPYHeader(descr: "<i8", fortranOrder: false, shape: [data.count]).encoded()
            + data.labels.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) }
        try Data(labels).write(to: URL(fileURLWithPath: folder.path + "/y.npy"))
        let config = #"""
            {"network": {"input": [4], "layers": [{"type": "affine", "units": 16}, {"type": "batchnorm"}, {"type": "relu"},
                                                   {"type": "dropout", "keep": 0.9}, {"type": "affine", "units": 3}]},
             "data": {"images": "X.npy", "labels": "y.npy", "validation": 30},
             "train": {"optimizer": "adam", "learningRate": 0.01, "epochs": 3, "batchSize": 10}}
            """#
        try Data(config.utf8).write(to: URL(fileURLWithPath: folder.path + "/small.json"))
        return folder
    }

    /// `tessel train` then `tessel predict --split validation`: the accuracy of the last epoch line.
    @Test func predictReportsTheLastEpochsValidationAccuracy() throws {
        let folder = try Self.commandFolder()
        let train = try TesselCommand.run(["train", "small.json", "--checkpoint-dir", "checkpoints"], in: folder.path)
        #expect(train.status == 0, "\(train.standardError)")
        let lastEpoch = try #require(train.standardOutput.split(separator: "\n").last { $0.hasPrefix("epoch 3/3") })
        let words = lastEpoch.split(separator: " ")
        let expected = try #require(words.firstIndex(of: "val").map { words[$0 + 1].dropLast() })  // "92.0%" without the %
        let predict = try TesselCommand.run(["predict", "checkpoints", "--split", "validation", "--config", "small.json"], in: folder.path)
        #expect(predict.status == 0, "\(predict.standardError)")
        #expect(predict.standardOutput.contains("accuracy \(expected)% ("), "\(lastEpoch) vs \(predict.standardOutput)")
        #expect(predict.standardOutput.contains("confusion (rows: true class, columns: predicted)"))

        // --in/--labels/--out/--json on the whole data: the scores are the library's.
        let json = try TesselCommand.run(["predict", "checkpoints/epoch-0003", "--in", "X.npy", "--labels", "y.npy", "--out", "scores.npy",
                                          "--json", "--batch-size", "7"], in: folder.path)
        #expect(json.status == 0, "\(json.standardError)")
        let report = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
        let (network, _) = try Checkpoint.network(from: folder.path + "/checkpoints/epoch-0003", as: Float.self)
        let all = try Dataset<Float>.load(images: folder.path + "/X.npy", labels: folder.path + "/y.npy")
        let scores = try NPY.readTensor(from: folder.path + "/scores.npy", as: Float.self)
        #expect(scores.isBitwiseEqual(to: try network.scores(images: all.images)))
        #expect(report?["correct"] as? Int == Int((try network.accuracy(on: all) * 90).rounded()))
        #expect((report?["confusion"] as? [[Int]])?.count == 3 && report?["count"] as? Int == 90)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }.isEmpty, "temporary files left")
    }

    @Test func runModeTestPrintsATestModeReport() throws {
        let folder = try Self.commandFolder()
        let outcome = try TesselCommand.run(["run", "small.json", "--mode", "test", "--steps", "2", "--json"], in: folder.path)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try JSONDecoder().decode(RunCommandJSON.self, from: Data(outcome.standardOutput.utf8)).report
        #expect(report.mode == .test && report.steps == 2 && report.layers.map(\.name) == ["affine0", "batchnorm1", "relu2", "dropout3", "affine4"])
        let table = try TesselCommand.run(["run", "small.json", "--mode", "test", "--steps", "1"], in: folder.path)
        #expect(table.standardOutput.contains("timed test-mode forward passes") && table.standardOutput.contains("forward pass: median"))
    }

    /// The part of `tessel run --json` these tests read.
    struct RunCommandJSON: Decodable {
        var report: RunReport
    }
}
