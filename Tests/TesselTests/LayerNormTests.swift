import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct LayerNormTests {
    typealias Forward<T: TesselScalar> = (Tensor<T>, Tensor<T>, Tensor<T>, LayerNorm.Parameters) throws
        -> (out: Tensor<T>, cache: LayerNorm.Cache<T>)

    static func forwards<T: TesselScalar>(_: T.Type) -> [Forward<T>] {
        [
            { try LayerNorm.forward(x: $0, gamma: $1, beta: $2, parameters: $3) },
            { try LayerNorm.Reference.forward(x: $0, gamma: $1, beta: $2, parameters: $3) },
        ]
    }

    static let backwards: [@Sendable (Tensor<Double>, LayerNorm.Cache<Double>) throws -> NormalizationGradients<Double>] = [
        { try LayerNorm.backward(dout: $0, cache: $1) },
        { try LayerNorm.Reference.backward(dout: $0, cache: $1) },
    ]

    @Test func knownValues() throws {
        // Rows (1, 2, 3) and (4, 8, 12): means 2 and 8, variances 2/3 and 32/3.
        let x = try Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 8, 12])
        let gamma = try Tensor<Double>(shape: [3], scalars: [1, 2, 3]), beta = try Tensor<Double>(shape: [3], scalars: [0, 1, -1])
        let eps = 1e-5, s0 = (2.0 / 3 + eps).squareRoot(), s1 = (32.0 / 3 + eps).squareRoot()
        let expected = try Tensor<Double>(shape: [2, 3], scalars: [-1 / s0, 1, 3 / s0 - 1, -4 / s1, 1, 3 * 4 / s1 - 1])
        for forward in Self.forwards(Double.self) {
            let (out, cache) = try forward(x, gamma, beta, LayerNorm.Parameters(eps: eps))
            #expect(maxRelativeError(out, expected) < 1e-14)
            #expect(cache.mean.scalars == [2, 8])
        }
    }

    @Test func rowsHaveMeanZeroAndStdOne() throws {
        // The CS231n notebook's check, with gamma = 1 and beta = 0.
        let x = try TestData.normal([4, 50], scale: 10, mean: -3, seed: 51, as: Float.self)
        let gamma = try Tensor<Float>(shape: [50], repeating: 1), beta = try Tensor<Float>(shape: [50])
        for forward in Self.forwards(Float.self) {
            let (mean, std) = rowMoments(try forward(x, gamma, beta, LayerNorm.Parameters()).out)
            for i in 0..<4 {
                #expect(abs(mean[i]) < 1e-6)
                #expect(abs(std[i] - 1) < 1e-5)
            }
        }
    }

    @Test func gradientCheck() throws {
        let x = try TestData.normal([4, 9], scale: 2, mean: 1, seed: 61, as: Double.self)
        let gamma = try TestData.normal([9], mean: 1, seed: 62, as: Double.self)
        let beta = try TestData.normal([9], seed: 63, as: Double.self)
        let dout = try TestData.normal([4, 9], seed: 64, as: Double.self)
        let parameters = LayerNorm.Parameters()
        func out(_ x: Tensor<Double>, _ gamma: Tensor<Double>, _ beta: Tensor<Double>) throws -> Tensor<Double> {
            try LayerNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters).out
        }
        let dx = try numericalGradient({ try out($0, gamma, beta) }, at: x, dout: dout)
        let dgamma = try numericalGradient({ try out(x, $0, beta) }, at: gamma, dout: dout)
        let dbeta = try numericalGradient({ try out(x, gamma, $0) }, at: beta, dout: dout)
        for forward in Self.forwards(Double.self) {
            let cache = try forward(x, gamma, beta, parameters).cache
            for backward in Self.backwards {
                let gradients = try backward(dout, cache)
                #expect(maxRelativeError(gradients.dx, dx) < 1e-7)
                #expect(maxRelativeError(gradients.dgamma, dgamma) < 1e-7)
                #expect(maxRelativeError(gradients.dbeta, dbeta) < 1e-7)
            }
        }
    }

    static func inputs<T: TesselScalar>(_ shape: [Int], as _: T.Type) throws -> (x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, dout: Tensor<T>) {
        (try TestData.normal(shape, scale: 3, mean: 5, seed: 71), try TestData.normal([shape[1]], mean: 1, seed: 72),
         try TestData.normal([shape[1]], seed: 73), try TestData.normal(shape, seed: 74))
    }

    static func tiledOutputs<T: TesselScalar>(_ shape: [Int], as _: T.Type, scheduler: Scheduler = .default) throws -> [Tensor<T>] {
        let (x, gamma, beta, dout) = try inputs(shape, as: T.self)
        let (out, cache) = try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: LayerNorm.Parameters(), scheduler: scheduler)
        let gradients = try LayerNorm.backward(dout: dout, cache: cache, scheduler: scheduler)
        return [out, gradients.dx, gradients.dgamma, gradients.dbeta]
    }

    static func referenceOutputs<T: TesselScalar>(_ shape: [Int], as _: T.Type) throws -> [Tensor<T>] {
        let (x, gamma, beta, dout) = try inputs(shape, as: T.self)
        let (out, cache) = try LayerNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: LayerNorm.Parameters())
        let gradients = try LayerNorm.Reference.backward(dout: dout, cache: cache)
        return [out, gradients.dx, gradients.dgamma, gradients.dbeta]
    }

    /// With D = 1 each row's variance is 0 and dx is exactly 0: compare it against the size
    /// of the terms that cancel.
    static func floor<T: TesselScalar>(output: Int, shape: [Int], as _: T.Type) throws -> Double {
        guard output == 1 && shape[1] == 1 else { return 0 }
        let (_, gamma, _, dout) = try inputs(shape, as: T.self)
        return singleValueGradientScale(dout: dout, gamma: gamma)
    }

    @Test(arguments: [[1, 1], [5, 1], [1, 13], [7, 37], [40, 19], [3, 70]])
    func tiledMatchesReference(shape: [Int]) throws {
        for (k, (a, b)) in zip(try Self.tiledOutputs(shape, as: Double.self), try Self.referenceOutputs(shape, as: Double.self)).enumerated() {
            #expect(normwiseError(a, b, floor: try Self.floor(output: k, shape: shape, as: Double.self)) <= 1e-12, "output \(k)")
        }
        for (k, (a, b)) in zip(try Self.tiledOutputs(shape, as: Float.self), try Self.referenceOutputs(shape, as: Float.self)).enumerated() {
            #expect(normwiseError(a, b, floor: try Self.floor(output: k, shape: shape, as: Float.self)) <= 1e-5, "output \(k)")
        }
    }

    @Test(arguments: [[7, 37], [40, 19], [3, 70]])
    func tiledIsBitwiseDeterministic(shape: [Int]) throws {
        let baseline = try Self.tiledOutputs(shape, as: Float.self, scheduler: .serial)
        let schedulers = determinismSchedulers
        for scheduler in schedulers {
            for (a, b) in zip(try Self.tiledOutputs(shape, as: Float.self, scheduler: scheduler), baseline) {
                #expect(a.isBitwiseEqual(to: b))
            }
        }
    }

    /// dβ and dγ are summed in Double row by row within each row chunk (`ItemChunks`), dγ by
    /// fused multiply-adds of dout·x̂, and the chunks' partials are added in chunk order: the
    /// tiled backward's bits for every scheduler, on batches whose chunks hold odd and even
    /// numbers of rows (the kernel adds the rows two at a time).
    @Test(arguments: [[40, 19], [35, 21], [100, 37]])
    func parameterGradientsAddTheRowsInOrder(shape: [Int]) throws {
        let (n, d) = (shape[0], shape[1])
        let x = try TestData.normal(shape, scale: 2, mean: 1, seed: 71, as: Double.self)
        let dout = try TestData.normal(shape, seed: 72, as: Double.self)
        let gamma = try TestData.normal([d], mean: 1, seed: 73, as: Double.self), beta = try TestData.normal([d], seed: 74, as: Double.self)
        let (_, cache) = try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: LayerNorm.Parameters())
        let rowsPerChunk = ItemChunks(items: n, elementsPerItem: d).itemsPerChunk
        #expect(rowsPerChunk > 2)
        var dgamma = [Double](repeating: 0, count: d), dbeta = [Double](repeating: 0, count: d)
        for start in stride(from: 0, to: n, by: rowsPerChunk) {
            var chunkDgamma = [Double](repeating: 0, count: d), chunkDbeta = [Double](repeating: 0, count: d)
            for i in start..<min(n, start + rowsPerChunk) {
                for j in 0..<d {
                    let xhat = (x[i, j] - cache.mean[i]) * cache.inverseStd[i]
                    chunkDbeta[j] += dout[i, j]
                    chunkDgamma[j].addProduct(dout[i, j], xhat)
                }
            }
            for j in 0..<d {
                dgamma[j] += chunkDgamma[j]
                dbeta[j] += chunkDbeta[j]
            }
        }
        for scheduler in [.default] + determinismSchedulers {
            let gradients = try LayerNorm.backward(dout: dout, cache: cache, scheduler: scheduler)
            #expect(gradients.dbeta.scalars.map(\.bitPattern) == dbeta.map(\.bitPattern))
            #expect(gradients.dgamma.scalars.map(\.bitPattern) == dgamma.map(\.bitPattern))
        }
    }

    @Test func emptyBatchIsFine() throws {
        let gamma = try Tensor<Float>(shape: [3]), x = try Tensor<Float>(shape: [0, 3])
        let (out, cache) = try LayerNorm.forward(x: x, gamma: gamma, beta: gamma, parameters: LayerNorm.Parameters())
        #expect(out.shape == [0, 3])
        let gradients = try LayerNorm.backward(dout: x, cache: cache)
        #expect(gradients.dx.shape == [0, 3] && gradients.dgamma.scalars == [0, 0, 0] && gradients.dbeta.scalars == [0, 0, 0])
    }

    @Test func rejectsBadArguments() throws {
        let x = try Tensor<Float>(shape: [4, 3]), v3 = try Tensor<Float>(shape: [3])
        func forward(x: Tensor<Float> = x, gamma: Tensor<Float> = v3, beta: Tensor<Float> = v3,
                     parameters: LayerNorm.Parameters = LayerNorm.Parameters()) throws {
            #expect(throws: (any Error).self) { _ = try LayerNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters) }
            _ = try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters)
        }
        let vector = "(D,) for x of shape (4, 3)"
        #expect(throws: TesselError.shapeMismatch(component: "layernorm", argument: "x", expected: "rank 2 (N, D)", actual: [12])) {
            try forward(x: try Tensor(shape: [12]))
        }
        #expect(throws: TesselError.shapeMismatch(component: "layernorm", argument: "x",
                                                  expected: "D ≥ 1 features (a row of no values has no mean or variance)", actual: [4, 0])) {
            try forward(x: try Tensor(shape: [4, 0]), gamma: try Tensor(shape: [0]), beta: try Tensor(shape: [0]))
        }
        #expect(throws: TesselError.shapeMismatch(component: "layernorm", argument: "gamma", expected: "(3,): \(vector)", actual: [4])) {
            try forward(gamma: try Tensor(shape: [4]))
        }
        #expect(throws: TesselError.shapeMismatch(component: "layernorm", argument: "beta", expected: "(3,): \(vector)", actual: [3, 1])) {
            try forward(beta: try Tensor(shape: [3, 1]))
        }
        for eps: Double in [0, -1, .nan, -.infinity] {
            #expect(throws: TesselError.invalidParameter(component: "layernorm", parameter: "eps", value: "\(eps)", reason: "must be positive and finite")) {
                try forward(parameters: LayerNorm.Parameters(eps: eps))
            }
        }
        let cache = try LayerNorm.forward(x: x, gamma: v3, beta: v3, parameters: LayerNorm.Parameters()).cache
        let error = TesselError.shapeMismatch(component: "layernorm", argument: "dout", expected: "the shape of x (4, 3)", actual: [4, 3, 1])
        #expect(throws: error) { try LayerNorm.backward(dout: try Tensor(shape: [4, 3, 1]), cache: cache) }
        #expect(throws: error) { try LayerNorm.Reference.backward(dout: try Tensor(shape: [4, 3, 1]), cache: cache) }
    }
}
