import Foundation
import Testing
import TesselTestSupport

/// `tessel run`'s report, run as the built executable.
@Suite struct RunCommandTests {
    /// The line under the table names each fused chain once, its layers in order: a spatial
    /// batch norm with the ReLU and max pool it runs, and a batch norm with its ReLU.
    @Test func fusedChainsAreListedOneLineEach() throws {
        let folder = try TemporaryFolder()
        let config = #"""
            {"network": {"input": [2, 4, 32], "layers": [{"type": "spatial_batchnorm"}, {"type": "relu"}, {"type": "maxpool", "size": 2},
                                                          {"type": "affine", "units": 5}, {"type": "batchnorm"}, {"type": "relu"},
                                                          {"type": "affine", "units": 3}]},
             "run": {"batchSize": 4, "steps": 1, "warmup": 0}}
            """#
        try Data(config.utf8).write(to: URL(fileURLWithPath: folder.path + "/chains.json"))
        let run = try TesselCommand.run(["run", "chains.json"], in: folder.path)
        #expect(run.status == 0, "\(run.standardError)")
        let line = try #require(run.standardOutput.split(separator: "\n").first { $0.hasPrefix("fused chains") }, "\(run.standardOutput)")
        #expect(line.hasSuffix("spatial_batchnorm0 + relu1 + maxpool2, batchnorm4 + relu5"), "\(line)")
    }
}
