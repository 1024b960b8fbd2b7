import Testing
@testable import Tessel
import TesselTestSupport
import TesselSystem

/// `NPYRowReader`: blocks of rows of a `.npy` file, the same values `NPY.readTensor` reads.
@Suite struct NPYRowReaderTests {
    @Test func blocksOfRowsAreTheFilesRows() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/x.npy"
        let whole = try TestData.normal([11, 2, 3], seed: 5, as: Double.self)
        try NPY.write(whole, to: path)
        let reader = try NPYRowReader(path: path)
        #expect(reader.shape == [11, 2, 3] && reader.dtype == .float64 && reader.rowCount == 11)
        for range in [0..<11, 0..<4, 4..<8, 8..<11, 5..<5] {
            #expect(try reader.rows(range, as: Double.self) == (try whole.rows(range)), "\(range)")
        }
        #expect(throws: TesselError.npy(path: path, reason: "holds float64 data, float32 was asked for")) {
            _ = try reader.rows(0..<1, as: Float.self)
        }
        #expect(throws: TesselError.npy(path: path, reason: "has no rows 9..<12 (it has 11)")) {
            _ = try reader.rows(9..<12, as: Double.self)
        }
    }

    @Test func badFilesAreRefusedWhenOpened() throws {
        let folder = try TemporaryFolder()
        let truncated = folder.path + "/truncated.npy"
        try AtomicFile.write(Array(NPY.encode(try TestData.normal([4, 3], seed: 1, as: Float.self)).dropLast(4)), to: truncated)
        #expect(throws: TesselError.npy(path: truncated, reason: "truncated data: shape (4, 3) of '<f4' needs 48 bytes of data, the file has 44")) {
            _ = try NPYRowReader(path: truncated)
        }
        let scalar = folder.path + "/scalar.npy"
        try NPY.write(try Tensor<Float>(shape: []), to: scalar)
        #expect(throws: TesselError.npy(path: scalar, reason: "holds float32 data of shape (), expected float32 or float64 rows")) {
            _ = try NPYRowReader(path: scalar)
        }
        #expect(throws: TesselError.self) { _ = try NPYRowReader(path: folder.path + "/nowhere.npy") }
    }
}
