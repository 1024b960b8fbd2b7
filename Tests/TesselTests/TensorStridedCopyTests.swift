import Testing
import Tessel

/// `Tensor(shape:copyingFrom:byteStrides:)`, the way NumPy arrays enter Tessel (TesselC):
/// every layout gives the row-major elements of the view it describes.
@Suite struct TensorStridedCopyTests {
    /// A 3 × 4 × 5 source holding 0, 1, 2, … in row-major order.
    static let source: [Double] = (0..<60).map(Double.init)

    /// The tensor of a view of `source` starting at element `offset`, with element strides.
    func view(_ shape: [Int], strides: [Int], offset: Int = 0) throws -> Tensor<Double> {
        try Self.source.withUnsafeBytes { bytes in
            try Tensor(shape: shape, copyingFrom: bytes.baseAddress! + offset * 8, byteStrides: strides.map { $0 * 8 })
        }
    }

    @Test func contiguousSourceIsCopiedAsIs() throws {
        #expect(try view([3, 4, 5], strides: [20, 5, 1]).scalars == Self.source)
    }

    @Test func transposedSliceReadsTheViewsElements() throws {
        // source[:, 1:4:2, 4] in NumPy, then transposed: shape (2, 3).
        let tensor = try view([2, 3], strides: [10, 20], offset: 5 + 4)
        #expect(tensor.scalars == [9, 29, 49, 19, 39, 59])
    }

    @Test func negativeAndZeroStrides() throws {
        // source[2, ::-1, 0] broadcast to (2, 4): a zero stride and a negative one.
        let tensor = try view([2, 4], strides: [0, -5], offset: 40 + 15)
        #expect(tensor.scalars == [55, 50, 45, 40, 55, 50, 45, 40])
    }

    @Test func rankZeroAndEmptyTensors() throws {
        #expect(try view([], strides: [], offset: 7).scalars == [7])
        #expect(try view([0, 4], strides: [4, 1]).count == 0)
    }
}
