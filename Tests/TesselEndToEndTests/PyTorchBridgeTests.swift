import Foundation
import Testing
@testable import Tessel
import TesselTestSupport

/// `scripts/to_torch.py`: a checkpoint loaded into PyTorch gives `tessel predict`'s scores.
/// Runs where `torch` imports in the Python of `TESSEL_PYTHON` (default `python3`); is
/// reported as skipped elsewhere.
@Suite struct PyTorchBridgeTests {
    static let python = ProcessInfo.processInfo.environment["TESSEL_PYTHON"] ?? "python3"

    /// Runs `python arguments…` in the package folder; returns the exit status and the output.
    static func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static let torchImports: Bool = (try? runPython(["-c", "import torch, numpy"]).status) == 0

    @Test func scriptCompiles() throws {
        let result = try Self.runPython(["-m", "py_compile", "scripts/to_torch.py"])
        #expect(result.status == 0, "\(result.output)")
    }

    /// Every layer kind, a floor-rounded convolution and pool, after an epoch of training.
    @Test(.enabled(if: PyTorchBridgeTests.torchImports, "torch does not import in \(PyTorchBridgeTests.python): the bridge is not checked"))
    func pyTorchGivesTesselsScores() throws {
        let (_, folder, validation) = try TrainingFixtures.trainedCheckpoint()
        let images = folder + "/../images.npy"
        try NPY.write(validation.images, to: images)
        let result = try Self.runPython(["scripts/to_torch.py", folder, "--in", images, "--tessel", TesselCommand.executable.path])
        #expect(result.status == 0 && result.output.hasPrefix("agree:"), "\(result.output)")
    }

    /// A float64 checkpoint (fresh weights, running statistics of zeros and ones).
    @Test(.enabled(if: PyTorchBridgeTests.torchImports, "torch does not import in \(PyTorchBridgeTests.python): the bridge is not checked"))
    func pyTorchGivesTesselsScoresInFloat64() throws {
        let network = try Network<Double>(TrainingFixtures.everyLayer, seed: 5)
        let folder = try Checkpoint.write(network: network, optimizer: Optimizer<Double>(settings: try OptimizerSettings(rule: .sgd)),
                                          epoch: 1, workload: "every", fingerprint: "f", to: TrainingFixtures.temporaryFolder())
        let images = folder + "/../images.npy"
        try NPY.write(try TestData.normal([6, 2, 10, 10], seed: 8, as: Double.self), to: images)
        let result = try Self.runPython(["scripts/to_torch.py", folder, "--in", images, "--tessel", TesselCommand.executable.path])
        #expect(result.status == 0 && result.output.hasPrefix("agree: 6 images, float64"), "\(result.output)")
    }
}
