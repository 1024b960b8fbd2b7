import Foundation
import Testing
@testable import Tessel
import TesselTestSupport

/// `tessel diff` and `--trace` through the built executable: the exit status (0 identical,
/// 1 different, 2 bad input, as `cmp` and `diff`) and what the report names.
@Suite struct DiffCommandTests {
    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func aPlantedBitIsReportedWithItsIndexAndOneULP() throws {
        let folder = try TemporaryFolder()
        let a = try TestData.uniform([3, 4], in: 1...1.9, seed: 7, as: Float.self)
        var scalars = a.scalars
        scalars[6] = Float(bitPattern: scalars[6].bitPattern ^ 1)
        try NPY.write(a, to: folder.path + "/a.npy")
        try NPY.write(try Tensor(shape: [3, 4], scalars: scalars), to: folder.path + "/b.npy")
        let same = try TesselCommand.run(["diff", "a.npy", "a.npy"], in: folder.path)
        #expect(same.status == 0 && same.standardOutput.contains("identical (float32 (3, 4))"), "\(same)")
        let outcome = try TesselCommand.run(["diff", "a.npy", "b.npy"], in: folder.path)
        #expect(outcome.status == 1 && outcome.standardError.isEmpty, "\(outcome)")
        #expect(outcome.standardOutput.contains("1 of 12 elements differ"), "\(outcome.standardOutput)")
        #expect(outcome.standardOutput.contains("first at [1, 2] (flat 6): \(a[flat: 6]) vs \(scalars[6])"), "\(outcome.standardOutput)")
        #expect(outcome.standardOutput.contains("1 ULP apart"), "\(outcome.standardOutput)")
        let json = try TesselCommand.run(["diff", "a.npy", "b.npy", "--json"], in: folder.path)
        #expect(json.status == 1)
        let decoded = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
        #expect(decoded?["identical"] as? Bool == false && decoded?["firstDifference"] as? String == "a.npy")
    }

    @Test func foldersExitZeroWhenIdenticalAndOneNamingAMissingTensor() throws {
        let folder = try TemporaryFolder()
        for side in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: folder.path + "/" + side, withIntermediateDirectories: false)
            try NPY.write(try TestData.uniform([2, 3], seed: 1, as: Double.self), to: folder.path + "/\(side)/w.npy")
            try Self.write(#"{"epoch": 1}"#, to: folder.path + "/\(side)/manifest.json")
        }
        let same = try TesselCommand.run(["diff", "a", "b"], in: folder.path)
        #expect(same.status == 0, "\(same)")
        #expect(same.standardOutput.contains("manifest.json: identical (12 bytes)"), "\(same.standardOutput)")
        #expect(same.standardOutput.hasSuffix("2 files (2 identical); no difference\n"), "\(same.standardOutput)")
        try NPY.write(try TestData.uniform([2], seed: 2, as: Float.self), to: folder.path + "/a/running_mean.npy")
        let missing = try TesselCommand.run(["diff", "a", "b"], in: folder.path)
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.standardOutput.contains("running_mean.npy: only in A"), "\(missing.standardOutput)")
        #expect(missing.standardOutput.hasSuffix("first difference: running_mean.npy\n"), "\(missing.standardOutput)")
        try NPY.write(try TestData.uniform([3, 2], seed: 1, as: Double.self), to: folder.path + "/b/w.npy")
        let shape = try TesselCommand.run(["diff", "a", "b"], in: folder.path)
        #expect(shape.status == 1 && shape.standardOutput.contains("w.npy: shape mismatch: float64 (2, 3) vs float64 (3, 2)"),
                "\(shape.standardOutput)")
    }

    @Test func aNonNPYFileExitsTwo() throws {
        let folder = try TemporaryFolder()
        try Self.write(#"{"epoch": 1}"#, to: folder.path + "/manifest.json")
        try NPY.write(try Tensor<Float>(shape: [1], scalars: [1]), to: folder.path + "/x.npy")
        let outcome = try TesselCommand.run(["diff", "manifest.json", "x.npy"], in: folder.path)
        #expect(outcome.status == 2 && outcome.standardOutput.isEmpty, "\(outcome)")
        #expect(outcome.standardError.hasPrefix("error: manifest.json: not a .npy file"), "\(outcome.standardError)")
    }

    /// A network whose third layer is a layer norm of epsilon `epsilon`, on random data.
    static func config(epsilon: Double) -> String {
        """
        {"seed": 3, "network": {"input": [5], "layers": [{"type": "affine", "units": 8}, {"type": "relu"},
            {"type": "layernorm", "eps": \(epsilon)}, {"type": "affine", "units": 3}]},
         "run": {"batchSize": 12, "steps": 2, "warmup": 1, "shards": 3}}
        """
    }

    @Test func tracesOfTheSameRunAreIdenticalAndAChangedLayerIsTheFirstDifference() throws {
        let folder = try TemporaryFolder()
        try Self.write(Self.config(epsilon: 1e-5), to: folder.path + "/net.json")
        try Self.write(Self.config(epsilon: 1e-1), to: folder.path + "/other.json")
        for (config, trace, threads) in [("net.json", "one", "1"), ("net.json", "two", "2"), ("other.json", "three", "2")] {
            let run = try TesselCommand.run(["run", config, "--trace", "traces/" + trace, "--threads", threads], in: folder.path)
            #expect(run.status == 0, "\(run)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/traces/one").sorted()
        #expect(names == ["00-input.npy", "01-affine0.out.npy", "02-relu1.out.npy", "03-layernorm2.out.npy", "04-affine3.out.npy",
                          "05-loss.dx.npy", "06-affine3.dx.npy", "07-layernorm2.dx.npy", "08-relu1.dx.npy", "09-affine0.dx.npy"])
        let same = try TesselCommand.run(["diff", "traces/one", "traces/two"], in: folder.path)
        #expect(same.status == 0 && same.standardOutput.hasSuffix("10 files (10 identical); no difference\n"), "\(same)")
        let parted = try TesselCommand.run(["diff", "traces/one", "traces/three"], in: folder.path)
        #expect(parted.status == 1, "\(parted)")
        #expect(parted.standardOutput.contains("02-relu1.out.npy: identical"), "\(parted.standardOutput)")
        #expect(parted.standardOutput.hasSuffix("first difference: 03-layernorm2.out.npy\n"), "\(parted.standardOutput)")
    }

    @Test func trainWritesATraceOfItsLastStep() throws {
        let folder = try TemporaryFolder()
        let images = try TestData.uniform([14, 4], seed: 5, as: Double.self)
        try NPY.write(images, to: folder.path + "/X.npy")
        try Data(NPYHeader(descr: "<i8", fortranOrder: false, shape: [14]).encoded()
                 + (0..<14).flatMap { withUnsafeBytes(of: Int64($0 % 3).littleEndian, Array.init) })
            .write(to: URL(fileURLWithPath: folder.path + "/Y.npy"))
        try Self.write("""
            {"network": {"input": [4], "layers": [{"type": "affine", "units": 6}, {"type": "relu"}, {"type": "affine", "units": 3}]},
             "data": {"images": "X.npy", "labels": "Y.npy", "validation": 2},
             "train": {"optimizer": "sgd", "epochs": 2, "batchSize": 5}}
            """, to: folder.path + "/tiny.json")
        for (trace, threads) in [("a", "1"), ("b", "2")] {
            let train = try TesselCommand.run(["train", "tiny.json", "--trace", trace, "--threads", threads,
                                               "--checkpoint-dir", "checkpoints-" + trace], in: folder.path)
            #expect(train.status == 0, "\(train)")
        }
        // 12 training examples in batches of 5: the last step has 2.
        let input = try NPY.readTensor(from: folder.path + "/a/00-input.npy", as: Float.self)
        #expect(input.shape == [2, 4])
        #expect(try TesselCommand.run(["diff", "a", "b"], in: folder.path).status == 0)
        #expect(try TesselCommand.run(["diff", "checkpoints-a", "checkpoints-b"], in: folder.path).status == 0)
    }
}
