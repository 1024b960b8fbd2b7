import Testing
@testable import Tessel
import TesselTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Training, checkpoints and resuming.
@Suite struct TrainingTests {
    static func data() throws -> (train: Dataset<Float>, validation: Dataset<Float>) {
        try Dataset<Float>.random(count: 30, exampleShape: [1, 4, 4], classes: 3, seed: 9).split(validation: 6, seed: 9)
    }

    @Test func trainingLowersTheLoss() throws {
        let (train, validation) = try Self.data()
        var trainer = Trainer(network: try Network<Float>(TrainingFixtures.definition, seed: 1), settings: try TrainingFixtures.settings())
        var losses: [Double] = []
        var batches = 0
        for _ in 0..<4 {
            losses.append(try trainer.trainEpoch(on: train, validation: validation) { batch, total, _ in
                #expect(batch <= total)
                batches += 1
            }.loss)
        }
        #expect(batches == 4 * 4 && trainer.network.stepCount == 16)
        #expect(losses.last! < losses.first!)
        #expect(abs(trainer.optimizer.learningRate - 1e-3 * 0.9 * 0.9 * 0.9 * 0.9) < 1e-15)
    }

    /// Two epochs, a checkpoint, two more epochs from it: the same bits as four straight epochs.
    @Test(arguments: OptimizerSettings.Rule.allCases)
    func resumingGivesTheUninterruptedRun(rule: OptimizerSettings.Rule) throws {
        let (train, validation) = try Self.data()
        let settings = try TrainingFixtures.settings(rule)
        var straight = Trainer(network: try Network<Float>(TrainingFixtures.definition, seed: 2), settings: settings)
        for _ in 0..<4 { _ = try straight.trainEpoch(on: train, validation: validation) }

        let folder = TrainingFixtures.temporaryFolder()
        defer { Checkpoint.removeFolder(folder) }
        var first = Trainer(network: try Network<Float>(TrainingFixtures.definition, seed: 2), settings: settings)
        for _ in 0..<2 {
            _ = try first.trainEpoch(on: train, validation: validation)
            try Checkpoint.write(network: first.network, optimizer: first.optimizer, epoch: first.epoch, workload: "tiny",
                                 fingerprint: "f", to: folder)
        }
        var network = try Network<Float>(TrainingFixtures.definition, seed: 2)
        let (optimizer, manifest) = try Checkpoint.restore(from: try Checkpoint.latest(in: folder), into: &network,
                                                           settings: settings.optimizer, fingerprint: "f")
        #expect(manifest.epoch == 2)
        var resumed = Trainer(network: network, optimizer: optimizer, settings: settings, epoch: manifest.epoch)
        TrainingFixtures.expectSameState(resumed, first)
        for _ in 0..<2 { _ = try resumed.trainEpoch(on: train, validation: validation) }
        TrainingFixtures.expectSameState(resumed, straight)
    }

    /// Elastic resume: two epochs at 2 workers, a checkpoint, two more epochs from it at
    /// another worker count (1, 3 and 4, with tiles small enough for several tiles per worker):
    /// the same bits as four straight epochs at 3 workers. Across rank counts:
    /// `scripts/golden_check.sh` (epoch 1 at 2 workers in one process, epoch 2 on 2 ranks).
    @Test(arguments: [1, 3, 4])
    func resumingAtAnotherWorkerCountGivesTheUninterruptedRun(workers: Int) throws {
        let (train, validation) = try Self.data()
        let settings = TrainingSettings(optimizer: try OptimizerSettings(rule: .adam, learningRateDecay: 0.9), epochs: 4,
                                        batchSize: 8, shards: 2)
        let tiles = TileSettings(elementsPerTile: 13, gemmRowBlock: 6, gemmColumnBlock: 8)
        func scheduler(_ workers: Int) throws -> Scheduler { try Scheduler(workers: workers, grainSize: 0, tiles: tiles) }
        var straight = Trainer(network: try Network<Float>(TrainingFixtures.definition, seed: 5), settings: settings)
        for _ in 0..<4 { _ = try straight.trainEpoch(on: train, validation: validation, scheduler: try scheduler(3)) }

        let folder = TrainingFixtures.temporaryFolder()
        defer { Checkpoint.removeFolder(folder) }
        var first = Trainer(network: try Network<Float>(TrainingFixtures.definition, seed: 5), settings: settings)
        for _ in 0..<2 { _ = try first.trainEpoch(on: train, validation: validation, scheduler: try scheduler(2)) }
        try Checkpoint.write(network: first.network, optimizer: first.optimizer, epoch: first.epoch, workload: "tiny",
                             fingerprint: "f", to: folder)
        var network = try Network<Float>(TrainingFixtures.definition, seed: 5)
        let (optimizer, manifest) = try Checkpoint.restore(from: try Checkpoint.latest(in: folder), into: &network,
                                                           settings: settings.optimizer, fingerprint: "f")
        var resumed = Trainer(network: network, optimizer: optimizer, settings: settings, epoch: manifest.epoch)
        for _ in 0..<2 { _ = try resumed.trainEpoch(on: train, validation: validation, scheduler: try scheduler(workers)) }
        TrainingFixtures.expectSameState(resumed, straight)
    }

    @Test func checkpointFolderHoldsOneNpyPerTensorAndAManifest() throws {
        let folder = TrainingFixtures.temporaryFolder()
        defer { Checkpoint.removeFolder(folder) }
        let (train, validation) = try Self.data()
        var trainer = Trainer(network: try Network<Float>(TrainingFixtures.definition, seed: 3), settings: try TrainingFixtures.settings())
        _ = try trainer.trainEpoch(on: train, validation: validation)
        let path = try Checkpoint.write(network: trainer.network, optimizer: trainer.optimizer, epoch: 1, workload: "tiny",
                                        fingerprint: "abc", to: folder)
        #expect(path == folder + "/epoch-0001")
        _ = try trainer.trainEpoch(on: train, validation: validation)
        try Checkpoint.write(network: trainer.network, optimizer: trainer.optimizer, epoch: 2, workload: "tiny", fingerprint: "abc", to: folder)
        #expect(try Checkpoint.epochFolders(in: folder).map(\.name) == ["epoch-0002"])
        #expect(try Checkpoint.latest(in: folder) == folder + "/epoch-0002")
        let latest = folder + "/epoch-0002"
        #expect(try NPY.readTensor(from: latest + "/conv0.w.npy", as: Float.self).isBitwiseEqual(to: trainer.network.parameters[0].value))
        #expect(try NPY.readTensor(from: latest + "/conv0.w.m.npy", as: Float.self)
            .isBitwiseEqual(to: trainer.optimizer.states["conv0.w"]!.slots["m"]!))
        #expect(try NPY.readTensor(from: latest + "/spatial_batchnorm1.running_var.npy", as: Float.self)
            .isBitwiseEqual(to: trainer.network.runningStatistics[1]!.variance))
        let manifest = String(decoding: try FileBytes.read(from: latest + "/manifest.json"), as: UTF8.self)
        for field in ["\"epoch\" : 2", "\"fingerprint\" : \"abc\"", "\"optimizer\" : \"adam\"", "\"workload\" : \"tiny\"", "\"steps\" : 8"] {
            #expect(manifest.contains(field), "\(field) in \(manifest)")
        }
        #expect(try Checkpoint.latest(in: latest) == latest)

        // A checkpoint folder is created with its missing parents.
        let nested = try Checkpoint.write(network: trainer.network, optimizer: trainer.optimizer, epoch: 2, workload: "tiny",
                                          fingerprint: "abc", to: folder + "/nested/run")
        #expect(nested == folder + "/nested/run/epoch-0002")
        #expect(try Checkpoint.latest(in: folder + "/nested/run") == nested)
    }

    @Test func restoreRejectsAnotherConfigRuleOrNetwork() throws {
        let folder = TrainingFixtures.temporaryFolder()
        defer { Checkpoint.removeFolder(folder) }
        let network = try Network<Float>(TrainingFixtures.definition, seed: 4)
        try Checkpoint.write(network: network, optimizer: Optimizer(settings: try OptimizerSettings(rule: .adam)), epoch: 1,
                             workload: "tiny", fingerprint: "abc", to: folder)
        let checkpoint = folder + "/epoch-0001"
        func key(of attempt: () throws -> Void) -> String? {
            do { try attempt() } catch let TesselError.configuration(source, key, _) where source == checkpoint + "/manifest.json" {
                return key
            } catch { return "\(error)" }
            return nil
        }
        var copy = network
        #expect(key { _ = try Checkpoint.restore(from: checkpoint, into: &copy, settings: try OptimizerSettings(rule: .adam), fingerprint: "xyz") } == "fingerprint")
        #expect(key { _ = try Checkpoint.restore(from: checkpoint, into: &copy, settings: try OptimizerSettings(rule: .sgd)) } == "optimizer")
        var other = try Network<Float>(NetworkDefinition(input: [1, 4, 4], layers: [.affine(units: 3)]))
        #expect(key { _ = try Checkpoint.restore(from: checkpoint, into: &other, settings: try OptimizerSettings(rule: .adam)) } == "parameters")
        var double = try Network<Double>(TrainingFixtures.definition)
        #expect(key { _ = try Checkpoint.restore(from: checkpoint, into: &double, settings: try OptimizerSettings(rule: .adam)) } == "dtype")
        #expect(copy.parameters.map(\.value) == network.parameters.map(\.value))
        #expect(throws: TesselError.self) { _ = try Checkpoint.latest(in: folder + "/none") }
        let empty = TrainingFixtures.temporaryFolder()
        defer { Checkpoint.removeFolder(empty) }
        #expect(throws: TesselError.system(operation: "find a checkpoint in '\(empty)'", reason: "no checkpoint there (no manifest.json, no epoch-NNNN folder)")) {
            _ = try Checkpoint.latest(in: empty)
        }
    }

    @Test func splitIsSeededDisjointAndComplete() throws {
        let all = try Dataset<Float>.random(count: 50, exampleShape: [3], classes: 4, seed: 1)
        let (train, validation) = try all.split(validation: 10, seed: 5)
        #expect(train.count == 40 && validation.count == 10)
        let again = try all.split(validation: 10, seed: 5)
        #expect(again.validation.images.isBitwiseEqual(to: validation.images) && again.train.labels == train.labels)
        #expect(try all.split(validation: 10, seed: 6).validation.images != validation.images)
        let rows = Set((train.images.scalars + validation.images.scalars).chunked(3))
        #expect(rows == Set(all.images.scalars.chunked(3)))
        #expect(throws: TesselError.self) { _ = try all.split(validation: 50, seed: 5) }
    }

    @Test func digitsLoadAsShipped() throws {
        let root = String(#filePath.dropLast("/Tests/TesselTests/TrainingTests.swift".count))
        let workload = try Workload.load(from: root + "/config/digits.json")
        let (train, validation) = try workload.trainingData(as: Float.self)
        #expect(train.count == 1497 && validation.count == 300)
        #expect(train.exampleShape == [1, 8, 8])
        #expect(Set(validation.labels) == Set(0..<10))
        #expect(train.images.scalars.allSatisfy { (0...1).contains($0) })
    }
}

private extension Array {
    /// Consecutive slices of `size` elements, as arrays.
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
