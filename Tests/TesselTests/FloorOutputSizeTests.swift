import Testing
@testable import Tessel
import TesselTestSupport

/// PyTorch's output-size rule for convolution and max pooling, `1 + (H + 2·pad − HH) // stride`:
/// shapes where the stride does not divide the extent, in the serial references, the tiled
/// kernels (Float32 and Float64, bitwise equal for 1 to 4 workers and several tile settings)
/// and the network.
@Suite struct FloorOutputSizeTests {
    @Test func outputSizesArePyTorchs() throws {
        // torch.nn.Conv2d(3, 64, 7, stride=2, padding=3) on 224 × 224 gives 112 × 112; on 32 × 32, 16 × 16.
        let stem = Convolution.Parameters(stride: 2, pad: 3)
        func size(_ h: Int, _ w: Int, filter: Int, _ parameters: Convolution.Parameters) throws -> [Int] {
            let size = try Convolution.outputSize(inputHeight: h, inputWidth: w, filterHeight: filter, filterWidth: filter, parameters: parameters)
            return [size.height, size.width]
        }
        #expect(try size(224, 224, filter: 7, stem) == [112, 112])
        #expect(try size(32, 31, filter: 7, stem) == [16, 16])
        #expect(try size(5, 4, filter: 3, .init(stride: 2)) == [2, 1])
        // torch.nn.MaxPool2d(3, stride=2) on 16 × 16 gives 7 × 7; MaxPool2d(2) on 5 × 7 gives 2 × 3.
        let pooled = try MaxPool.forward(x: Tensor<Float>(shape: [1, 1, 16, 16]), parameters: .init(poolHeight: 3, poolWidth: 3, stride: 2))
        #expect(pooled.shape == [1, 1, 7, 7])
        #expect(try MaxPool.Reference.forward(x: Tensor<Float>(shape: [1, 1, 5, 7]), parameters: .init()).shape == [1, 1, 2, 3])
    }

    typealias ConvolutionCase = ConvolutionTests.Case

    /// Each leaves rows or columns of the padded input outside every window.
    static let convolutionCases: [ConvolutionCase] = [
        ConvolutionCase(x: [2, 3, 8, 8], w: [4, 3, 7, 7], stride: 2, pad: 3),   // the stem, at 8 × 8: 14 − 7 = 7, odd
        ConvolutionCase(x: [3, 2, 6, 7], w: [5, 2, 3, 3], stride: 2, pad: 0),   // 3 and 4: the height is cut
        ConvolutionCase(x: [1, 3, 9, 10], w: [2, 3, 3, 2], stride: 3, pad: 1),  // 8 and 10 over stride 3
        ConvolutionCase(x: [5, 1, 11, 5], w: [7, 1, 2, 4], stride: 4, pad: 2),
    ]

    @Test(arguments: convolutionCases)
    func convolutionGradientCheck(_ shape: ConvolutionCase) throws {
        let parameters = Convolution.Parameters(stride: shape.stride, pad: shape.pad)
        let x = try TestData.normal(shape.x, seed: 51, as: Double.self)
        let w = try TestData.normal(shape.w, seed: 52, as: Double.self)
        let b = try TestData.normal([shape.w[0]], seed: 53, as: Double.self)
        let out = try Convolution.Reference.forward(x: x, w: w, b: b, parameters: parameters)
        let dout = try TestData.normal(out.shape, seed: 54, as: Double.self)
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

    @Test(arguments: convolutionCases)
    func convolutionTiledMatchesReference(_ shape: ConvolutionCase) throws {
        try checkConvolution(shape, as: Double.self, tolerance: 1e-12)
        try checkConvolution(shape, as: Float.self, tolerance: 1e-5)
    }

    func checkConvolution<T: TesselScalar>(_ shape: ConvolutionCase, as _: T.Type, tolerance: Double) throws {
        let tiled = try ConvolutionTests().checkAgainstReference(shape, as: T.self, tolerance: tolerance)
        #expect(Self.unreachedGradientIsZero(tiled.dx, shape: shape))
    }

    /// Whether `dx` is exactly 0 on every input row and column that no window reaches.
    static func unreachedGradientIsZero<T: TesselScalar>(_ dx: Tensor<T>, shape: ConvolutionCase) -> Bool {
        let (h, w, hh, ww) = (shape.x[2], shape.x[3], shape.w[2], shape.w[3])
        let outH = 1 + (h + 2 * shape.pad - hh) / shape.stride, outW = 1 + (w + 2 * shape.pad - ww) / shape.stride
        let lastRow = (outH - 1) * shape.stride + hh - 1 - shape.pad, lastColumn = (outW - 1) * shape.stride + ww - 1 - shape.pad
        for n in 0..<shape.x[0] {
            for c in 0..<shape.x[1] {
                for y in 0..<h {
                    for x in 0..<w where (y > lastRow || x > lastColumn) && dx[n, c, y, x] != 0 { return false }
                }
            }
        }
        return true
    }

    /// 1 to 4 workers with the default tiles, and 1, 2, 3, 4 and 8 workers with each
    /// determinism tile setting (small tiles: several tiles per call).
    static func schedulers() throws -> [Scheduler] {
        try (1...4).map { try Scheduler(workers: $0, grainSize: 0) } + determinismSchedulers
    }

    static let poolCases: [([Int], MaxPool.Parameters)] = [
        ([2, 3, 16, 16], MaxPool.Parameters(poolHeight: 3, poolWidth: 3, stride: 2)),   // the stem's pool: 7 × 7, last column and row left out
        ([3, 2, 5, 7], MaxPool.Parameters()),                                           // 2×2 stride 2 on odd sizes
        ([2, 2, 7, 37], MaxPool.Parameters()),                                          // the vector path and a left-out column
        ([1, 3, 6, 35], MaxPool.Parameters()),                                          // even height, odd width
        ([2, 1, 9, 35], MaxPool.Parameters(poolHeight: 1, poolWidth: 2, stride: 2)),  // 1×2: odd width
        ([1, 2, 6, 36], MaxPool.Parameters(poolHeight: 2, poolWidth: 3, stride: 2)),
        ([2, 2, 10, 40], MaxPool.Parameters(poolHeight: 3, poolWidth: 2, stride: 4)),
    ]

    @Test(arguments: poolCases)
    func poolGradientCheck(shape: [Int], parameters: MaxPool.Parameters) throws {
        let x = try MaxPoolTests.distinctValues(shape, seed: 71)
        let out = try MaxPool.Reference.forward(x: x, parameters: parameters)
        let dout = try TestData.normal(out.shape, seed: 72, as: Double.self)
        let numeric = try numericalGradient({ try MaxPool.Reference.forward(x: $0, parameters: parameters) }, at: x, dout: dout)
        #expect(maxRelativeError(try MaxPool.Reference.backward(dout: dout, x: x, parameters: parameters), numeric) < 1e-7)
        #expect(maxRelativeError(try MaxPool.backward(dout: dout, x: x, parameters: parameters), numeric) < 1e-7)
    }

    @Test(arguments: poolCases)
    func poolTiledMatchesReferenceBitwise(shape: [Int], parameters: MaxPool.Parameters) throws {
        try checkPool(try TestData.normal(shape, seed: 73, as: Float.self), parameters)
        try checkPool(try TestData.normal(shape, seed: 74, as: Double.self), parameters)
    }

    func checkPool<T: TesselScalar>(_ x: Tensor<T>, _ parameters: MaxPool.Parameters) throws {
        let out = try MaxPool.Reference.forward(x: x, parameters: parameters)
        let dout = try TestData.normal(out.shape, seed: 75, as: T.self)
        let dx = try MaxPool.Reference.backward(dout: dout, x: x, parameters: parameters)
        // Rows and columns past the last window get exactly zero.
        let (h, w) = (x.shape[2], x.shape[3])
        let lastRow = (out.shape[2] - 1) * parameters.stride + parameters.poolHeight - 1
        let lastColumn = (out.shape[3] - 1) * parameters.stride + parameters.poolWidth - 1
        #expect(lastRow < h - 1 || lastColumn < w - 1, "the case should leave something out")
        for scheduler in try Self.schedulers() {
            #expect(try MaxPool.forward(x: x, parameters: parameters, scheduler: scheduler).isBitwiseEqual(to: out))
            let tiled = try MaxPool.backward(dout: dout, x: x, parameters: parameters, scheduler: scheduler)
            #expect(tiled.isBitwiseEqual(to: dx))
            var outside = true
            for n in 0..<x.shape[0] {
                for c in 0..<x.shape[1] {
                    for y in 0..<h {
                        for column in 0..<w where (y > lastRow || column > lastColumn) && !(tiled[n, c, y, column] == 0) { outside = false }
                    }
                }
            }
            #expect(outside)
        }
    }

    /// A network with the stem config's layers: steps and checks against the references.
    @Test func stemNetworkChecks() throws {
        let definition = NetworkDefinition(
            input: [3, 32, 32],
            layers: [.convolution(filters: 4, size: 7, stride: 2, pad: 3), .spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu,
                     .maxPool(size: 3, stride: 2), .affine(units: 5)],
            loss: .softmax, weightScale: 0.05)
        #expect(try definition.shapes() == [[4, 16, 16], [4, 16, 16], [4, 16, 16], [4, 7, 7], [5]])
        let network = try Network<Double>(definition, seed: 3)
        let images = try TestData.normal([2, 3, 32, 32], seed: 81, as: Double.self)
        let checks = try network.check(images: images, labels: [1, 4], scheduler: try Scheduler(workers: 2))
        for check in checks { #expect(check.maximum < 1e-7, "\(check.layer): \(check)") }
    }
}
