import Foundation
import Testing
@testable import Tessel
import TesselBenchmarking
#if canImport(Glibc)
import Glibc
import TesselTestSupport
import TesselSystem
#endif

/// `tessel train`, `scale` and `op` killed at random moments (SIGINT and SIGTERM in turn, 20
/// kills in all, half of them just after the command starts writing its results) lose
/// nothing: each ends promptly by the signal; every result file left is whole and loadable;
/// the previous results survive a run that did not finish; a temporary file is never taken
/// for a result and the next complete run removes it; `train --resume` continues from the
/// last complete epoch and ends with the uninterrupted run's bits.
@Suite(.serialized) struct InterruptionTests {
    /// When a kill lands.
    enum Moment {
        /// This many seconds after the start.
        case afterStart(Double)
        /// This many seconds after the command first changes its output folder, so that the
        /// kill falls while results are being written.
        case afterFirstWrite(Double)
    }

    /// `count` kill moments for a command whose uninterrupted run takes `runTime` seconds:
    /// in turn a random delay of up to 90 % of the run, and one of up to 3 ms after the first write.
    static func moments(_ count: Int, runTime: Double, seed: UInt64) -> [Moment] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { index in
            index % 2 == 0 ? .afterStart(Double.random(in: 0.02...0.9, using: &generator) * runTime)
                : .afterFirstWrite(Double.random(in: 0...0.003, using: &generator))
        }
    }

    /// The signal of the `index`th kill: SIGINT, SIGINT, SIGTERM, SIGTERM, … (with `moments`,
    /// every pairing of signal and kind of moment comes up).
    static func signal(_ index: Int) -> Int32 { (index / 2) % 2 == 0 ? SIGINT : SIGTERM }

    /// Inode, size and modification time of each entry of `folder` (empty when it is missing).
    static func snapshot(_ folder: String) -> [String: [Int]] {
        guard let stream = opendir(folder) else { return [:] }
        defer { closedir(stream) }
        var entries: [String: [Int]] = [:]
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            var info = stat()
            guard name != ".", name != "..", stat(folder + "/" + name, &info) == 0 else { continue }
            entries[name] = [Int(info.st_ino), Int(info.st_size), info.st_mtim.tv_sec, info.st_mtim.tv_nsec]
        }
        return entries
    }

    /// Starts `tessel arguments…` in `folder`, sends it `signal` at `moment` (watching the
    /// output folder `output` for the first write; giving up the watch after `patience`
    /// seconds) and waits for its end. Expects it to end by that signal within 3 s, or to have
    /// finished normally before the signal. Adds 1 to `killed` when the signal ended it.
    static func interrupt(_ arguments: [String], in folder: String, watching output: String, at moment: Moment,
                          with signal: Int32, patience: Double, killed: inout Int) throws -> TesselCommand.Outcome {
        let watched = folder + "/" + output
        let before = snapshot(watched)
        let running = try TesselCommand.start(arguments, in: folder)
        let start = Date()
        switch moment {
        case .afterStart(let delay):
            while running.process.isRunning && Date().timeIntervalSince(start) < delay { usleep(500) }
        case .afterFirstWrite(let delay):
            while running.process.isRunning && snapshot(watched) == before && Date().timeIntervalSince(start) < patience { usleep(50) }
            usleep(UInt32(delay * 1e6))
        }
        let sent = Date()
        if running.process.isRunning { kill(running.process.processIdentifier, signal) }
        let outcome = running.finish(timeLimit: 10)
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(outcome.endedBySignal ? outcome.status == signal : outcome.status == 0,
                "\(arguments) after \(name): status \(outcome.status), stderr \(outcome.standardError)")
        #expect(Date().timeIntervalSince(sent) < 3, "\(arguments) took more than 3 s to end after \(name)")
        if outcome.endedBySignal { killed += 1 }
        return outcome
    }

    /// Expects the entries of `folder` to be `results` (some of them, or exactly all when
    /// `complete`) and temporary files of theirs whose writer is gone. Returns the results there.
    @discardableResult
    static func expectOnlyResults(in folder: String, named results: Set<String>, complete: Bool = false,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws -> Set<String> {
        var found: Set<String> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            if let temporary = TemporaryName.parse(name) {
                #expect(!complete && results.contains(temporary.name) && kill(temporary.owner, 0) != 0,
                        "temporary \(name) in \(folder)", sourceLocation: sourceLocation)
            } else {
                #expect(results.contains(name), "unexpected \(name) in \(folder)", sourceLocation: sourceLocation)
                found.insert(name)
            }
        }
        if complete { #expect(found == results, sourceLocation: sourceLocation) }
        return found
    }

    /// The bytes of each of `names` in `folder` that is there.
    static func contents(of names: [String], in folder: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in names where access(folder + "/" + name, F_OK) == 0 { files[name] = try FileBytes.read(from: folder + "/" + name) }
        return files
    }

    // MARK: - train

    static let trainingConfig = """
        {
            "seed": 3,
            "network": {
                "input": [1, 4, 4],
                "layers": [
                    { "type": "conv", "filters": 2, "size": 3, "pad": 1 }, { "type": "spatial_batchnorm" }, { "type": "relu" },
                    { "type": "maxpool", "size": 2 }, { "type": "affine", "units": 6 }, { "type": "dropout", "keep": 0.8 },
                    { "type": "affine", "units": 3 }
                ],
                "weightScale": 0.1
            },
            "data": { "images": "X.npy", "labels": "y.npy", "validation": 10 },
            "train": { "optimizer": "adam", "learningRateDecay": 0.9, "batchSize": 5 }
        }
        """

    /// An int64 `.npy` file of `values` (the labels `tessel train` reads).
    static func int64NPY(_ values: [Int]) -> [UInt8] {
        var header = Array("{'descr': '<i8', 'fortran_order': False, 'shape': (\(values.count),), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(UInt8(ascii: " ")) }
        header.append(UInt8(ascii: "\n"))
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header
        for value in values { withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 } }
        return bytes
    }

    /// The config, its 60 random examples, and the states of an uninterrupted run after each
    /// of `epochs` epochs, trained here with the library.
    static func prepareTraining(in folder: String, epochs: Int) throws -> (Workload, [Trainer<Float>]) {
        try AtomicFile.write(Array(trainingConfig.utf8), to: folder + "/tiny.json")
        try NPY.write(try TestData.normal([60, 1, 4, 4], seed: 5, as: Float.self), to: folder + "/X.npy")
        var generator = SeededGenerator(seed: 6)
        try AtomicFile.write(int64NPY((0..<60).map { _ in Int.random(in: 0..<3, using: &generator) }), to: folder + "/y.npy")
        let workload = try Workload.load(from: folder + "/tiny.json")
        let (train, validation) = try workload.trainingData(as: Float.self)
        var trainer = Trainer(network: try Network<Float>(workload), settings: workload.train!)
        var states: [Trainer<Float>] = []
        for _ in 0..<epochs {
            _ = try trainer.trainEpoch(on: train, validation: validation)
            states.append(trainer)
        }
        return (workload, states)
    }

    /// The epochs of the checkpoints in `directory`, ascending. Each must load through
    /// `Checkpoint.restore` and hold the uninterrupted run's state at its epoch (`states`);
    /// every other entry must be a temporary one of a writer that is gone.
    static func checkpointEpochs(in directory: String, workload: Workload, states: [Trainer<Float>],
                                 sourceLocation: SourceLocation = #_sourceLocation) throws -> [Int] {
        let names = Set((1...states.count).map { Checkpoint.folderName(epoch: $0) })
        var epochs: [Int] = []
        for name in try expectOnlyResults(in: directory, named: names, sourceLocation: sourceLocation) {
            let epoch = Int(name.dropFirst("epoch-".count))!
            var network = try Network<Float>(workload)
            let (optimizer, manifest) = try Checkpoint.restore(from: directory + "/" + name, into: &network,
                                                               settings: workload.train!.optimizer, fingerprint: workload.fingerprint)
            TrainingFixtures.expectSameState(Trainer(network: network, optimizer: optimizer, settings: workload.train!, epoch: manifest.epoch),
                                          states[epoch - 1], sourceLocation: sourceLocation)
            epochs.append(epoch)
        }
        if let last = epochs.max() {
            #expect(try Checkpoint.latest(in: directory) == directory + "/" + Checkpoint.folderName(epoch: last), sourceLocation: sourceLocation)
        }
        return epochs.sorted()
    }

    /// The epochs of the `epoch k/n` lines in `output`.
    static func printedEpochs(_ output: String) -> [Int] {
        output.split(separator: "\n").compactMap { line in
            line.hasPrefix("epoch ") ? Int(line.dropFirst("epoch ".count).prefix { $0 != "/" }) : nil
        }
    }

    /// 8 kills of runs into one checkpoint folder that holds a finished one-epoch run: resumed
    /// runs and fresh ones (which replace the checkpoints of the same epochs) to 4 epochs,
    /// each kind killed at both kinds of moment. Then `--resume` to 5 epochs gives the bits of
    /// a straight 5-epoch run.
    @Test func killedTrainingKeepsItsCheckpointsAndResumesFromTheLastEpoch() throws {
        let folder = try TemporaryFolder()
        let (workload, states) = try Self.prepareTraining(in: folder.path, epochs: 5)
        let train = ["train", "tiny.json", "--threads", "1"]
        let started = Date()
        let straight = try TesselCommand.run(train + ["--checkpoint-dir", "straight", "--epochs", "5"], in: folder.path)
        let runTime = Date().timeIntervalSince(started)
        #expect(straight.status == 0, "\(straight.standardError)")
        #expect(try Self.checkpointEpochs(in: folder.path + "/straight", workload: workload, states: states) == [5])

        let run = folder.path + "/run"
        let first = try TesselCommand.run(train + ["--checkpoint-dir", "run", "--epochs", "1"], in: folder.path)
        #expect(first.status == 0, "\(first.standardError)")
        var latest = 1, killed = 0
        for (index, moment) in Self.moments(8, runTime: runTime * 0.8, seed: 11).enumerated() {
            let resume = (index % 4 == 0 || index % 4 == 3) && latest < 4
            let arguments = train + (resume ? ["--resume", "run"] : ["--checkpoint-dir", "run"]) + ["--epochs", "4"]
            let outcome = try Self.interrupt(arguments, in: folder.path, watching: "run", at: moment, with: Self.signal(index), patience: runTime * 2,
                                             killed: &killed)
            let epochs = try Self.checkpointEpochs(in: run, workload: workload, states: states)
            #expect((epochs.last ?? 0) >= latest, "kill \(index) (\(moment)): the checkpoint of epoch \(latest) is gone, \(epochs) left")
            #expect((Self.printedEpochs(outcome.standardOutput).max() ?? 0) <= (epochs.last ?? 0),
                    "kill \(index): an epoch was reported before its checkpoint was complete")
            if resume && outcome.standardOutput.hasPrefix("resumed") {
                #expect(outcome.standardOutput.hasPrefix("resumed from run/\(Checkpoint.folderName(epoch: latest)) after epoch \(latest)\n"))
            }
            latest = epochs.last ?? 0
        }
        #expect(killed >= 2, "only \(killed) of 8 runs were killed: the test tried too little")

        let resumed = try TesselCommand.run(train + ["--resume", "run", "--epochs", "5"], in: folder.path)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.hasPrefix("resumed from run/\(Checkpoint.folderName(epoch: latest)) after epoch \(latest)\n"))
        #expect(try Self.checkpointEpochs(in: run, workload: workload, states: states) == [5])
        #expect(try FileManager.default.contentsOfDirectory(atPath: run) == ["epoch-0005"], "temporary folders were left")
        let files = try FileManager.default.contentsOfDirectory(atPath: run + "/epoch-0005").sorted()
        #expect(files == (try FileManager.default.contentsOfDirectory(atPath: folder.path + "/straight/epoch-0005").sorted()))
        for name in files {
            let same = try FileBytes.read(from: run + "/epoch-0005/" + name) == FileBytes.read(from: folder.path + "/straight/epoch-0005/" + name)
            #expect(same, "\(name)")
        }
    }

    /// Writing a checkpoint of an epoch that is there replaces it (in one step); the
    /// temporary folders of killed writers go, those of live ones and later epochs stay.
    @Test func checkpointReplacesTheSameEpochAndRemovesWhatKilledWritersLeft() throws {
        let folder = TrainingFixtures.temporaryFolder()
        defer { Checkpoint.removeFolder(folder) }
        let trainer = Trainer(network: try Network<Float>(TrainingFixtures.definition, seed: 3), settings: try TrainingFixtures.settings())
        func write(epoch: Int, fingerprint: String) throws {
            try Checkpoint.write(network: trainer.network, optimizer: trainer.optimizer, epoch: epoch, workload: "tiny",
                                 fingerprint: fingerprint, to: folder)
        }
        try write(epoch: 3, fingerprint: "later")
        try write(epoch: 1, fingerprint: "old")
        let strays = [".epoch-0001.tmp-\(pid_t.max)-a", ".epoch-0002.tmp-\(pid_t.max)-b"]
        let kept = [".epoch-0001.tmp-1-c"]
        for name in strays + kept {
            #expect(mkdir(folder + "/" + name, 0o755) == 0)
            try AtomicFile.write([1], to: folder + "/" + name + "/conv0.w.npy")
        }
        try write(epoch: 1, fingerprint: "new")
        let manifest = String(decoding: try FileBytes.read(from: folder + "/epoch-0001/manifest.json"), as: UTF8.self)
        #expect(manifest.contains("\"fingerprint\" : \"new\""))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == (kept + ["epoch-0001", "epoch-0003"]).sorted())
        #expect(try Checkpoint.latest(in: folder) == folder + "/epoch-0003")
    }

    // MARK: - op

    /// 8 kills of `op affine backward` writing into a folder of earlier outputs, from two
    /// upstream gradients in turn: each output file left is whole, the earlier version or the new one.
    @Test func killedOpLeavesEachOutputOldOrNew() throws {
        let folder = try TemporaryFolder()
        for (name, tensor) in [("x", try TestData.uniform([96, 160], seed: 1, as: Double.self)),
                               ("w", try TestData.uniform([160, 3], seed: 2, as: Double.self)),
                               ("b", try TestData.uniform([3], seed: 3, as: Double.self)),
                               ("dout1", try TestData.uniform([96, 3], seed: 4, as: Double.self)),
                               ("dout2", try TestData.uniform([96, 3], seed: 5, as: Double.self))] {
            try NPY.write(tensor, to: folder.path + "/" + name + ".npy")
        }
        func op(_ dout: String, out: String) -> [String] {
            ["op", "affine", "backward", "--in", "x=x.npy", "--in", "w=w.npy", "--in", "b=b.npy", "--in", "dout=\(dout).npy",
             "--threads", "1", "--out", out]
        }
        let names = ["db.npy", "dw.npy", "dx.npy"]
        var expected: [String: [String: [UInt8]]] = [:]
        var runTime = 0.0
        for dout in ["dout1", "dout2"] {
            let started = Date()
            let outcome = try TesselCommand.run(op(dout, out: "expected-" + dout), in: folder.path)
            runTime = max(runTime, Date().timeIntervalSince(started))
            #expect(outcome.status == 0, "\(outcome.standardError)")
            expected[dout] = try Self.contents(of: names, in: folder.path + "/expected-" + dout)
            #expect(expected[dout]?.count == 3)
        }
        for name in names {
            let differ = expected["dout1"]?[name] != expected["dout2"]?[name]
            #expect(differ, "\(name)")
        }

        let out = folder.path + "/out"
        #expect(try TesselCommand.run(op("dout1", out: "out"), in: folder.path).status == 0)
        var killed = 0
        for (index, moment) in Self.moments(8, runTime: runTime, seed: 12).enumerated() {
            let dout = index % 2 == 0 ? "dout2" : "dout1"
            let before = try Self.contents(of: names, in: out)
            _ = try Self.interrupt(op(dout, out: "out"), in: folder.path, watching: "out", at: moment, with: Self.signal(index),
                                   patience: runTime * 2, killed: &killed)
            try Self.expectOnlyResults(in: out, named: Set(names))
            for name in names {
                let bytes = try FileBytes.read(from: out + "/" + name)
                let oldOrNew = bytes == before[name] || bytes == expected[dout]?[name]
                #expect(oldOrNew, "kill \(index) (\(moment)): \(name) is neither the old nor the new one")
                #expect(throws: Never.self) { _ = try NPY.readTensor(from: out + "/" + name, as: Double.self) }
            }
        }
        #expect(killed >= 2, "only \(killed) of 8 runs were killed: the test tried too little")
        #expect(try TesselCommand.run(op("dout2", out: "out"), in: folder.path).status == 0)
        try Self.expectOnlyResults(in: out, named: Set(names), complete: true)
        let final = try Self.contents(of: names, in: out) == expected["dout2"]
        #expect(final)
    }

    // MARK: - scale

    /// A complete scaling report: a header and one row of 11 fields (csv), a `ScalingReport`
    /// of ReLU (json), a whole SVG document (svg).
    static func isCompleteReport(_ name: String, _ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        switch name {
        case ScalingReport.fileNames.csv:
            let rows = text.split(separator: "\n", omittingEmptySubsequences: false)
            let shape = "relu,\"x (64, 64)\","
            return rows.count == 3 && rows[2].isEmpty && rows[0].hasPrefix("layer,shape,") && rows[1].hasPrefix(shape)
                && rows[1].dropFirst(shape.count).split(separator: ",", omittingEmptySubsequences: false).count == 9
        case ScalingReport.fileNames.json:
            return (try? JSONDecoder().decode(ScalingReport.self, from: Data(bytes)))?.layers.map(\.name) == ["relu"]
        default:
            return text.hasPrefix("<svg ") && text.hasSuffix("</svg>\n")
        }
    }

    /// 4 kills of `scale` (ReLU on 64 × 64, 1 worker) writing into the folder of an earlier
    /// report: each file left is the earlier one or a complete new one.
    @Test func killedScaleLeavesEachReportFileOldOrComplete() throws {
        let folder = try TemporaryFolder()
        try AtomicFile.write(Array(#"{ "relu": { "x": [64, 64] } }"#.utf8), to: folder.path + "/shapes.json")
        let scale = ["scale", "--layers", "relu", "--workers", "1", "--repeats", "1", "--warmup", "0", "--shapes", "shapes.json",
                     "--out", "out"]
        let names = [ScalingReport.fileNames.csv, ScalingReport.fileNames.json, ScalingReport.fileNames.svg]
        let out = folder.path + "/out"
        let started = Date()
        let first = try TesselCommand.run(scale, in: folder.path)
        let runTime = Date().timeIntervalSince(started)
        #expect(first.status == 0, "\(first.standardError)")
        for (name, bytes) in try Self.contents(of: names, in: out) {
            let complete = Self.isCompleteReport(name, bytes)
            #expect(complete, "\(name)")
        }

        var killed = 0
        for (index, moment) in Self.moments(4, runTime: runTime, seed: 13).enumerated() {
            let before = try Self.contents(of: names, in: out)
            _ = try Self.interrupt(scale, in: folder.path, watching: "out", at: moment, with: Self.signal(index), patience: runTime * 2,
                                   killed: &killed)
            try Self.expectOnlyResults(in: out, named: Set(names), complete: false)
            for name in names {
                let bytes = try FileBytes.read(from: out + "/" + name)
                let whole = bytes == before[name] || Self.isCompleteReport(name, bytes)
                #expect(whole, "kill \(index) (\(moment)): \(name) is not whole")
            }
        }
        #expect(killed >= 1, "only \(killed) of 4 runs were killed: the test tried too little")
        #expect(try TesselCommand.run(scale, in: folder.path).status == 0)
        try Self.expectOnlyResults(in: out, named: Set(names), complete: true)
    }
}
