import Testing
@testable import Tessel
import TesselGolden
import TesselTestSupport

/// The golden digests (golden/layers.sha256) against the files the built `tessel op` writes.
@Suite struct GoldenCommandTests {
    static let goldenPath = String(#filePath.dropLast("/Tests/TesselEndToEndTests/GoldenCommandTests.swift".count)) + "/golden/layers.sha256"

    /// A golden digest is `sha256sum` of the file `tessel op` writes for the same inputs.
    @Test func aGoldenDigestIsTheDigestOfTesselOpsFile() throws {
        let folder = try TemporaryFolder()
        let goldenCase = try #require(GoldenLayerCase.all.first { $0.name == "conv/stride2" })
        var arguments = ["op", "conv", "backward", "--out", folder.path + "/out", "--dtype", "float32", "--threads", "2"]
        for (name, array) in try GoldenLayers.inputs(of: goldenCase) {
            guard case let .float64(tensor) = array else { continue }
            try NPY.write(tensor, to: folder.path + "/\(name).npy")
            arguments += ["--in", "\(name)=\(folder.path)/\(name).npy"]
        }
        arguments += goldenCase.parameters.flatMap { ["--param", $0] }
        let outcome = try TesselCommand.run(arguments, in: folder.path)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let golden = try GoldenFile.read(from: Self.goldenPath)
        for output in ["dx", "dw", "db"] {
            let bytes = try FileBytes.read(from: folder.path + "/out/\(output).npy")
            #expect(SHA256.hexDigest(bytes) == golden.digests["conv/stride2/float32/backward/\(output).npy"], "\(output)")
        }
    }
}
