import Foundation
import Testing
@testable import Tessel
import TesselTestSupport

/// `tessel predict` and `tessel run --mode test`, run as the built executable.
@Suite struct PredictCommandTests {
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
