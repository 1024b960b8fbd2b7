import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct ConvolutionTests {
    @Test func knownValues() throws {
        let x = try TestData.linspace(-0.1, 0.5, shape: [2, 3, 4, 4], as: Double.self)
        let w = try TestData.linspace(-0.2, 0.3, shape: [3, 3, 4, 4], as: Double.self)
        let b = try TestData.linspace(-0.1, 0.2, shape: [3], as: Double.self)
        let expected = try Tensor<Double>(shape: [2, 3, 2, 2], scalars: [
            -0.08759809, -0.10987781, -0.18387192, -0.2109216,
            0.21027089, 0.21661097, 0.22847626, 0.23004637,
            0.50813986, 0.54309974, 0.64082444, 0.67101435,
            -0.98053589, -1.03143541, -1.19128892, -1.24695841,
            0.69108355, 0.66880383, 0.59480972, 0.56776003,
            2.36270298, 2.36904306, 2.38090835, 2.38247847,
        ])
        let parameters = Convolution.Parameters(stride: 2, pad: 1)
        #expect(maxRelativeError(try Convolution.forward(x: x, w: w, b: b, parameters: parameters), expected) < 1e-7)
        #expect(maxRelativeError(try Convolution.Reference.forward(x: x, w: w, b: b, parameters: parameters), expected) < 1e-7)
    }

    @Test(arguments: [Convolution.Parameters(stride: 1, pad: 1), Convolution.Parameters(stride: 2, pad: 1)])
    func gradientCheck(parameters: Convolution.Parameters) throws {
        let x = try TestData.normal([2, 3, 5, 5], seed: 31, as: Double.self)
        let w = try TestData.normal([3, 3, 3, 3], seed: 32, as: Double.self)
        let b = try TestData.normal([3], seed: 33, as: Double.self)
        let out = try Convolution.Reference.forward(x: x, w: w, b: b, parameters: parameters)
        let dout = try TestData.normal(out.shape, seed: 34, as: Double.self)
        let dx = try numericalGradient({ try Convolution.Reference.forward(x: $0, w: w, b: b, parameters: parameters) }, at: x, dout: dout)
        let dw = try numericalGradient({ try Convolution.Reference.forward(x: x, w: $0, b: b, parameters: parameters) }, at: w, dout: dout)
        let db = try numericalGradient({ try Convolution.Reference.forward(x: x, w: w, b: $0, parameters: parameters) }, at: b, dout: dout)
        for grads in [try Convolution.Reference.backward(dout: dout, x: x, w: w, b: b, parameters: parameters),
                      try Convolution.backward(dout: dout, x: x, w: w, b: b, parameters: parameters)] {
            #expect(maxRelativeError(grads.dx, dx) < 1e-7)
            #expect(maxRelativeError(grads.dw, dw) < 1e-7)
            #expect(maxRelativeError(grads.db, db) < 1e-7)
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let x: [Int], w: [Int], stride: Int, pad: Int
        var testDescription: String { "x \(x) w \(w) stride \(stride) pad \(pad)" }
    }

    /// N = 1, 7 and 17 (chunks of 2 images in dw); prime channel and filter counts; H ≠ W;
    /// strides 1 and 2, pads 0 to 2; filter depth 261 (two depth blocks); 552 pixels (three
    /// pixel blocks of dx, three depth blocks of dw, several column panels, output rows wide
    /// enough for the 8 × 8 transposes); F = 6, exactly one full micro-kernel of rows; output
    /// rows of 35 pixels with two depth blocks, where the forward reads some micro-panels in
    /// place (vectors within one output row) and packs the others; F = 261 filters, two depth
    /// blocks of the input gradient's product (its depth is F). Stride 1 with 16 or more
    /// channels, where dx is a convolution of dout (`Convolution.transposedGeometry`): 3 × 3
    /// filters at pad 1, 5 × 5 at pad 0 (dout padded by 4), 3 × 3 at pad 2 (dout not padded),
    /// 1 × 1. Stride 2 with output rows of 18 and 16 pixels and 98 and 49 filter positions,
    /// where im2col takes every other value of 16 and colsᵀ is gathered by 8 × 8 transposes of
    /// such loads up to the end of the padded planes, with single values for the rest; the
    /// forward reads the panels of 16-pixel rows in place from the stride phases.
    static let cases: [Case] = [
        Case(x: [1, 3, 5, 7], w: [2, 3, 3, 3], stride: 1, pad: 1),
        Case(x: [7, 2, 6, 4], w: [5, 2, 2, 2], stride: 2, pad: 0),
        Case(x: [2, 5, 9, 7], w: [3, 5, 3, 1], stride: 2, pad: 1),
        Case(x: [17, 2, 3, 3], w: [3, 2, 2, 2], stride: 1, pad: 0),
        Case(x: [2, 29, 4, 5], w: [3, 29, 3, 3], stride: 1, pad: 1),
        Case(x: [1, 2, 24, 23], w: [2, 2, 3, 3], stride: 1, pad: 1),
        Case(x: [3, 2, 9, 8], w: [6, 2, 3, 3], stride: 1, pad: 1),
        Case(x: [2, 29, 5, 35], w: [7, 29, 3, 3], stride: 1, pad: 1),
        Case(x: [2, 3, 6, 5], w: [261, 3, 3, 3], stride: 1, pad: 1),
        Case(x: [2, 16, 7, 6], w: [4, 16, 5, 5], stride: 1, pad: 0),
        Case(x: [1, 17, 4, 5], w: [9, 17, 3, 3], stride: 1, pad: 2),
        Case(x: [3, 20, 5, 4], w: [6, 20, 1, 1], stride: 1, pad: 0),
        Case(x: [3, 2, 37, 35], w: [5, 2, 7, 7], stride: 2, pad: 3),
        Case(x: [2, 1, 32, 32], w: [8, 1, 7, 7], stride: 2, pad: 3),
    ]

    @Test(arguments: cases)
    func tiledMatchesReferenceFloat64(_ shape: Case) throws {
        try checkAgainstReference(shape, as: Double.self, tolerance: 1e-12)
    }

    @Test(arguments: cases)
    func tiledMatchesReferenceFloat32(_ shape: Case) throws {
        try checkAgainstReference(shape, as: Float.self, tolerance: 1e-5)
    }

    @Test(arguments: cases)
    func weightGradientOrientationsAgreeBitwise(_ shape: Case) throws {
        try checkOrientationsAgree(shape, as: Float.self)
        try checkOrientationsAgree(shape, as: Double.self)
    }

    /// dw by filters and by positions (whichever the build would choose) are the same bits,
    /// also on one worker and on small tiles.
    func checkOrientationsAgree<T: TesselScalar>(_ shape: Case, as _: T.Type) throws {
        let parameters = Convolution.Parameters(stride: shape.stride, pad: shape.pad)
        let x = try TestData.normal(shape.x, seed: 51, as: T.self)
        let w = try TestData.normal(shape.w, seed: 52, as: T.self)
        let b = try TestData.normal([shape.w[0]], seed: 53, as: T.self)
        let g = try Convolution.validate(x: x, w: w, b: b, parameters: parameters)
        let dout = try TestData.normal([g.n, g.f, g.outH, g.outW], seed: 54, as: T.self)
        func dw(_ orientation: Convolution.WeightGradientOrientation, _ scheduler: Scheduler) throws -> Tensor<T> {
            var result = [T](repeating: .nan, count: w.count)
            try x.withUnsafeBufferPointer { xs in
                try dout.withUnsafeBufferPointer { douts in
                    try result.withUnsafeMutableBufferPointer { dws in
                        try Convolution.weightGradient(douts.baseAddress!, xs.baseAddress!, g, into: dws.baseAddress!,
                                                       orientation: orientation, scheduler: scheduler)
                    }
                }
            }
            return try Tensor(shape: w.shape, scalars: result)
        }
        let byFilters = try dw(.byFilters, .default)
        for scheduler in [Scheduler.default] + determinismSchedulers {
            let byPositions = try dw(.byPositions, scheduler)
            #expect(byPositions.isBitwiseEqual(to: byFilters))
        }
    }

    /// Tiled against reference within `tolerance` (normwise), and the same bits for every
    /// determinism scheduler; returns the tiled gradients.
    @discardableResult
    func checkAgainstReference<T: TesselScalar>(_ shape: Case, as _: T.Type, tolerance: Double) throws -> WeightGradients<T> {
        let parameters = Convolution.Parameters(stride: shape.stride, pad: shape.pad)
        let x = try TestData.normal(shape.x, seed: 41, as: T.self)
        let w = try TestData.normal(shape.w, seed: 42, as: T.self)
        let b = try TestData.normal([shape.w[0]], seed: 43, as: T.self)
        let out = try Convolution.Reference.forward(x: x, w: w, b: b, parameters: parameters)
        let dout = try TestData.normal(out.shape, seed: 44, as: T.self)
        let grads = try Convolution.Reference.backward(dout: dout, x: x, w: w, b: b, parameters: parameters)
        let tiledOut = try Convolution.forward(x: x, w: w, b: b, parameters: parameters)
        let tiled = try Convolution.backward(dout: dout, x: x, w: w, b: b, parameters: parameters)
        #expect(normwiseRelativeError(tiledOut, out) <= tolerance)
        #expect(normwiseRelativeError(tiled.dx, grads.dx) <= tolerance)
        #expect(normwiseRelativeError(tiled.dw, grads.dw) <= tolerance)
        #expect(normwiseRelativeError(tiled.db, grads.db) <= tolerance)

        let schedulers = determinismSchedulers
        for scheduler in schedulers {
            #expect(try Convolution.forward(x: x, w: w, b: b, parameters: parameters, scheduler: scheduler).isBitwiseEqual(to: tiledOut))
            let other = try Convolution.backward(dout: dout, x: x, w: w, b: b, parameters: parameters, scheduler: scheduler)
            #expect(other.dx.isBitwiseEqual(to: tiled.dx))
            #expect(other.dw.isBitwiseEqual(to: tiled.dw))
            #expect(other.db.isBitwiseEqual(to: tiled.db))
        }
        return tiled
    }

    @Test func outputSize() throws {
        let size = try Convolution.outputSize(inputHeight: 32, inputWidth: 30, filterHeight: 7, filterWidth: 3,
                                              parameters: .init(stride: 1, pad: 3))
        #expect(size.height == 32 && size.width == 34)
        let strided = try Convolution.outputSize(inputHeight: 5, inputWidth: 6, filterHeight: 3, filterWidth: 2,
                                                 parameters: .init(stride: 2, pad: 0))
        #expect(strided.height == 2 && strided.width == 3)
        #expect(throws: TesselError.invalidParameter(component: "conv", parameter: "stride", value: "0", reason: "must be at least 1")) {
            try Convolution.outputSize(inputHeight: 4, inputWidth: 4, filterHeight: 3, filterWidth: 3, parameters: .init(stride: 0))
        }
    }

    /// Every bad call throws the same error from the tiled and the reference path, forward and backward.
    func expectError(_ error: TesselError, x: [Int], w: [Int], b: [Int], dout: [Int]? = nil,
                     parameters: Convolution.Parameters = .init()) throws {
        let x = try Tensor<Float>(shape: x), w = try Tensor<Float>(shape: w), b = try Tensor<Float>(shape: b)
        if let dout {
            let dout = try Tensor<Float>(shape: dout)
            #expect(throws: error) { try Convolution.backward(dout: dout, x: x, w: w, b: b, parameters: parameters) }
            #expect(throws: error) { try Convolution.Reference.backward(dout: dout, x: x, w: w, b: b, parameters: parameters) }
        } else {
            #expect(throws: error) { try Convolution.forward(x: x, w: w, b: b, parameters: parameters) }
            #expect(throws: error) { try Convolution.Reference.forward(x: x, w: w, b: b, parameters: parameters) }
        }
    }

    @Test func rejectsBadArguments() throws {
        try expectError(.shapeMismatch(component: "conv", argument: "x", expected: "(N, C, H, W)", actual: [2, 3, 4]),
                        x: [2, 3, 4], w: [1, 3, 2, 2], b: [1])
        try expectError(.shapeMismatch(component: "conv", argument: "w", expected: "(F, C, HH, WW)", actual: [3, 2, 2]),
                        x: [1, 3, 4, 4], w: [3, 2, 2], b: [3])
        try expectError(.shapeMismatch(component: "conv", argument: "w", expected: "(F, 3, HH, WW): the C of x (1, 3, 4, 4)", actual: [2, 2, 3, 3]),
                        x: [1, 3, 4, 4], w: [2, 2, 3, 3], b: [2])
        try expectError(.shapeMismatch(component: "conv", argument: "b", expected: "(2,), the F of w (2, 3, 3, 3)", actual: [3]),
                        x: [1, 3, 4, 4], w: [2, 3, 3, 3], b: [3])
        for stride in [0, -1] {
            try expectError(.invalidParameter(component: "conv", parameter: "stride", value: "\(stride)", reason: "must be at least 1"),
                            x: [1, 1, 4, 4], w: [1, 1, 3, 3], b: [1], parameters: .init(stride: stride))
        }
        try expectError(.invalidParameter(component: "conv", parameter: "pad", value: "-1", reason: "must not be negative"),
                        x: [1, 1, 4, 4], w: [1, 1, 3, 3], b: [1], parameters: .init(pad: -1))
        try expectError(.shapeMismatch(component: "conv", argument: "w",
                                       expected: "a filter height from 1 to the padded input height 5 (x (1, 1, 3, 3), pad 1)", actual: [1, 1, 6, 2]),
                        x: [1, 1, 3, 3], w: [1, 1, 6, 2], b: [1], parameters: .init(pad: 1))
        try expectError(.shapeMismatch(component: "conv", argument: "w",
                                       expected: "a filter width from 1 to the padded input width 4 (x (1, 1, 4, 4), pad 0)", actual: [1, 1, 3, 0]),
                        x: [1, 1, 4, 4], w: [1, 1, 3, 0], b: [1])
        try expectError(.shapeMismatch(component: "conv", argument: "dout", expected: "(N, F, H', W') = (2, 3, 2, 2)", actual: [2, 3, 2, 3]),
                        x: [2, 1, 4, 4], w: [3, 1, 3, 3], b: [3], dout: [2, 3, 2, 3])
        try expectError(.shapeMismatch(component: "conv", argument: "b", expected: "(3,), the F of w (3, 1, 3, 3)", actual: [2]),
                        x: [2, 1, 4, 4], w: [3, 1, 3, 3], b: [2], dout: [2, 3, 2, 2])
    }

    @Test func emptyDimensions() throws {
        // C = 0: the output is the bias; the gradients are empty or zero.
        let x = try Tensor<Double>(shape: [2, 0, 3, 3]), w = try Tensor<Double>(shape: [2, 0, 2, 2])
        let b = try Tensor<Double>(shape: [2], scalars: [1, -1])
        let out = try Convolution.forward(x: x, w: w, b: b)
        #expect(out == (try Convolution.Reference.forward(x: x, w: w, b: b)))
        let dout = try TestData.normal(out.shape, seed: 5, as: Double.self)
        let grads = try Convolution.backward(dout: dout, x: x, w: w, b: b)
        #expect(grads.dx.shape == x.shape && grads.dw.shape == w.shape)
        #expect(maxRelativeError(grads.db, try Convolution.Reference.backward(dout: dout, x: x, w: w, b: b).db) < 1e-15)
        // N = 0: dw and db are zero.
        let none = try Convolution.backward(dout: Tensor<Double>(shape: [0, 2, 2, 2]), x: Tensor(shape: [0, 1, 3, 3]),
                                            w: TestData.normal([2, 1, 2, 2], as: Double.self), b: b)
        #expect(none.dw == (try Tensor<Double>(shape: [2, 1, 2, 2])))
        #expect(none.db == (try Tensor<Double>(shape: [2])))
    }
}
