import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct AffineTests {
    @Test func knownValues() throws {
        let x = try TestData.linspace(-0.1, 0.5, shape: [2, 4, 5, 6], as: Double.self)
        let w = try TestData.linspace(-0.2, 0.3, shape: [120, 3], as: Double.self)
        let b = try TestData.linspace(-0.3, 0.1, shape: [3], as: Double.self)
        let expected = try Tensor<Double>(shape: [2, 3], scalars: [1.49834967, 1.70660132, 1.91485297,
                                                                   3.25553199, 3.5141327, 3.77273342])
        #expect(maxRelativeError(try Affine.forward(x: x, w: w, b: b), expected) < 1e-7)
        #expect(maxRelativeError(try Affine.Reference.forward(x: x, w: w, b: b), expected) < 1e-7)
    }

    @Test func gradientCheck() throws {
        let x = try TestData.normal([10, 2, 3], seed: 11, as: Double.self)
        let w = try TestData.normal([6, 5], seed: 12, as: Double.self)
        let b = try TestData.normal([5], seed: 13, as: Double.self)
        let dout = try TestData.normal([10, 5], seed: 14, as: Double.self)
        let dx = try numericalGradient({ try Affine.Reference.forward(x: $0, w: w, b: b) }, at: x, dout: dout)
        let dw = try numericalGradient({ try Affine.Reference.forward(x: x, w: $0, b: b) }, at: w, dout: dout)
        let db = try numericalGradient({ try Affine.Reference.forward(x: x, w: w, b: $0) }, at: b, dout: dout)
        for grads in [try Affine.Reference.backward(dout: dout, x: x, w: w, b: b),
                      try Affine.backward(dout: dout, x: x, w: w, b: b)] {
            #expect(maxRelativeError(grads.dx, dx) < 1e-7)
            #expect(maxRelativeError(grads.dw, dw) < 1e-7)
            #expect(maxRelativeError(grads.db, db) < 1e-7)
        }
    }

    /// (x shape, M): GEMM sizes that are not multiples of the micro-kernel (6 rows × 16, 32 or
    /// 64 columns) or of the depth block (256): rows 1, 7, 12, 13; depth 1, 3, 5, 9, 30, 257;
    /// columns 1, 5, 7, 13, 33, 70.
    static let oddShapes: [([Int], Int)] = [([1, 1], 1), ([7, 3], 7), ([1, 257], 13), ([13, 2, 3, 5], 70), ([7, 5], 33),
                                            ([12, 9], 5)]

    @Test(arguments: oddShapes)
    func tiledMatchesReferenceFloat64(shape: [Int], m: Int) throws {
        try checkAgainstReference(shape: shape, m: m, as: Double.self, tolerance: 1e-12)
    }

    @Test(arguments: oddShapes)
    func tiledMatchesReferenceFloat32(shape: [Int], m: Int) throws {
        try checkAgainstReference(shape: shape, m: m, as: Float.self, tolerance: 1e-5)
    }

    func checkAgainstReference<T: TesselScalar>(shape: [Int], m: Int, as _: T.Type, tolerance: Double) throws {
        let d = shape.dropFirst().reduce(1, *)
        let x = try TestData.normal(shape, seed: 21, as: T.self)
        let w = try TestData.normal([d, m], seed: 22, as: T.self)
        let b = try TestData.normal([m], seed: 23, as: T.self)
        let dout = try TestData.normal([shape[0], m], seed: 24, as: T.self)
        let out = try Affine.Reference.forward(x: x, w: w, b: b)
        let grads = try Affine.Reference.backward(dout: dout, x: x, w: w, b: b)
        let tiledOut = try Affine.forward(x: x, w: w, b: b)
        let tiled = try Affine.backward(dout: dout, x: x, w: w, b: b)
        #expect(normwiseRelativeError(tiledOut, out) <= tolerance)
        #expect(normwiseRelativeError(tiled.dx, grads.dx) <= tolerance)
        #expect(normwiseRelativeError(tiled.dw, grads.dw) <= tolerance)
        #expect(normwiseRelativeError(tiled.db, grads.db) <= tolerance)

        let schedulers = determinismSchedulers
        for scheduler in schedulers {
            #expect(try Affine.forward(x: x, w: w, b: b, scheduler: scheduler).isBitwiseEqual(to: tiledOut))
            let other = try Affine.backward(dout: dout, x: x, w: w, b: b, scheduler: scheduler)
            #expect(other.dx.isBitwiseEqual(to: tiled.dx))
            #expect(other.dw.isBitwiseEqual(to: tiled.dw))
            #expect(other.db.isBitwiseEqual(to: tiled.db))
        }
    }

    @Test func emptyDimensions() throws {
        // D = 0: out = b; dw is (0, M).
        let x = try Tensor<Double>(shape: [3, 0]), w = try Tensor<Double>(shape: [0, 2])
        let b = try Tensor<Double>(shape: [2], scalars: [1, 2])
        #expect(try Affine.forward(x: x, w: w, b: b) == Tensor(shape: [3, 2], scalars: [1, 2, 1, 2, 1, 2]))
        let dout = try TestData.normal([3, 2], seed: 1, as: Double.self)
        let grads = try Affine.backward(dout: dout, x: x, w: w, b: b)
        #expect(grads.dx.shape == [3, 0] && grads.dw.shape == [0, 2])
        #expect(maxRelativeError(grads.db, try Affine.Reference.backward(dout: dout, x: x, w: w, b: b).db) < 1e-15)
        // N = 0: dw = 0.
        let none = try Affine.backward(dout: Tensor<Double>(shape: [0, 2]), x: Tensor(shape: [0, 3]),
                                       w: TestData.normal([3, 2], as: Double.self), b: b)
        #expect(none.dw == (try Tensor<Double>(shape: [3, 2])))
        #expect(none.db == (try Tensor<Double>(shape: [2])))
    }

    @Test func rejectsBadShapes() throws {
        let x = try Tensor<Float>(shape: [2, 3, 4]), w = try Tensor<Float>(shape: [12, 5]), b = try Tensor<Float>(shape: [5])
        let rank1 = try Tensor<Float>(shape: [12])
        #expect(throws: TesselError.shapeMismatch(component: "affine", argument: "x", expected: "(N, d_1, ..., d_k) with at least 2 dimensions", actual: [12])) {
            try Affine.forward(x: rank1, w: w, b: b)
        }
        let badW = try Tensor<Float>(shape: [11, 5])
        let wError = TesselError.shapeMismatch(component: "affine", argument: "w",
                                               expected: "(D, M) with D = 12, the size of one example of x (2, 3, 4)", actual: [11, 5])
        #expect(throws: wError) { try Affine.forward(x: x, w: badW, b: b) }
        #expect(throws: wError) { try Affine.Reference.forward(x: x, w: badW, b: b) }
        #expect(throws: TesselError.self) { try Affine.forward(x: x, w: Tensor<Float>(shape: [12, 5, 1]), b: b) }
        let bError = TesselError.shapeMismatch(component: "affine", argument: "b", expected: "(5,), the M of w (12, 5)", actual: [4])
        #expect(throws: bError) { try Affine.forward(x: x, w: w, b: Tensor<Float>(shape: [4])) }
        let dout = try Tensor<Float>(shape: [2, 4])
        let doutError = TesselError.shapeMismatch(component: "affine", argument: "dout", expected: "(N, M) = (2, 5)", actual: [2, 4])
        #expect(throws: doutError) { try Affine.backward(dout: dout, x: x, w: w, b: b) }
        #expect(throws: doutError) { try Affine.Reference.backward(dout: dout, x: x, w: w, b: b) }
        #expect(throws: bError) { try Affine.backward(dout: Tensor<Float>(shape: [2, 5]), x: x, w: w, b: Tensor<Float>(shape: [4])) }
    }
}
