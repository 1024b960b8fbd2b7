import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct GroupNormTests {
    typealias Forward<T: TesselScalar> = (Tensor<T>, Tensor<T>, Tensor<T>, GroupNorm.Parameters) throws
        -> (out: Tensor<T>, cache: GroupNorm.Cache<T>)

    static func forwards<T: TesselScalar>(_: T.Type) -> [Forward<T>] {
        [
            { try GroupNorm.forward(x: $0, gamma: $1, beta: $2, parameters: $3) },
            { try GroupNorm.Reference.forward(x: $0, gamma: $1, beta: $2, parameters: $3) },
        ]
    }

    static let backwards: [@Sendable (Tensor<Double>, GroupNorm.Cache<Double>) throws -> NormalizationGradients<Double>] = [
        { try GroupNorm.backward(dout: $0, cache: $1) },
        { try GroupNorm.Reference.backward(dout: $0, cache: $1) },
    ]

    @Test(arguments: [1, 2, 3, 6])
    func groupsHaveMeanZeroAndStdOne(groups: Int) throws {
        // The CS231n notebook's check, with gamma = 1 and beta = 0: a group is (C/G)·H·W
        // contiguous values, i.e. one row of x viewed as (N·G, C/G·H·W).
        let x = try TestData.normal([2, 6, 4, 5], scale: 4, mean: 10, seed: 111, as: Double.self)
        let gamma = try Tensor<Double>(shape: [1, 6, 1, 1], repeating: 1), beta = try Tensor<Double>(shape: [1, 6, 1, 1])
        for forward in Self.forwards(Double.self) {
            let out = try forward(x, gamma, beta, GroupNorm.Parameters(groups: groups)).out
            let (mean, std) = rowMoments(try out.reshaped([2 * groups, 6 / groups * 20]))
            for row in 0..<2 * groups {
                #expect(abs(mean[row]) < 1e-12)
                #expect(abs(std[row] - 1) < 1e-5)
            }
        }
    }

    @Test func oneGroupIsLayerNormAndOneChannelPerGroupIsInstanceNorm() throws {
        // With γ = 1 and β = 0: G = 1 normalizes each sample (layer norm over C·H·W), G = C
        // each (n, c) plane (layer norm over H·W).
        let shape = [3, 4, 2, 5]
        let x = try TestData.normal(shape, scale: 2, mean: 1, seed: 112, as: Double.self)
        let gamma = try Tensor<Double>(shape: [4], repeating: 1), beta = try Tensor<Double>(shape: [4])
        for (groups, rows) in [(1, [3, 40]), (4, [12, 10])] {
            let ln = try LayerNorm.Reference.forward(x: try x.reshaped(rows), gamma: try Tensor(shape: [rows[1]], repeating: 1),
                                                     beta: try Tensor(shape: [rows[1]]), parameters: LayerNorm.Parameters()).out
            for forward in Self.forwards(Double.self) {
                let out = try forward(x, gamma, beta, GroupNorm.Parameters(groups: groups)).out
                #expect(normwiseRelativeError(try out.reshaped(rows), ln) < 1e-14)
            }
        }
    }

    @Test(arguments: [(2, [6]), (3, [1, 6, 1, 1]), (1, [6]), (6, [1, 6, 1, 1])])
    func gradientCheck(groups: Int, parameterShape: [Int]) throws {
        let x = try TestData.normal([2, 6, 2, 3], scale: 2, mean: 1, seed: 121, as: Double.self)
        let gamma = try TestData.normal(parameterShape, mean: 1, seed: 122, as: Double.self)
        let beta = try TestData.normal(parameterShape, seed: 123, as: Double.self)
        let dout = try TestData.normal([2, 6, 2, 3], seed: 124, as: Double.self)
        let parameters = GroupNorm.Parameters(groups: groups)
        func out(_ x: Tensor<Double>, _ gamma: Tensor<Double>, _ beta: Tensor<Double>) throws -> Tensor<Double> {
            try GroupNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters).out
        }
        let dx = try numericalGradient({ try out($0, gamma, beta) }, at: x, dout: dout)
        let dgamma = try numericalGradient({ try out(x, $0, beta) }, at: gamma, dout: dout)
        let dbeta = try numericalGradient({ try out(x, gamma, $0) }, at: beta, dout: dout)
        for forward in Self.forwards(Double.self) {
            let cache = try forward(x, gamma, beta, parameters).cache
            for backward in Self.backwards {
                let gradients = try backward(dout, cache)
                #expect(maxRelativeError(gradients.dx, dx) < 1e-7)
                #expect(gradients.dgamma.shape == parameterShape && gradients.dbeta.shape == parameterShape)
                #expect(maxRelativeError(gradients.dgamma, dgamma) < 1e-7)
                #expect(maxRelativeError(gradients.dbeta, dbeta) < 1e-7)
            }
        }
    }

    @Test func gammaAndBetaShapesAreKeptApart() throws {
        let x = try TestData.normal([2, 4, 3, 3], seed: 125, as: Float.self)
        let gamma = try TestData.normal([4], seed: 126, as: Float.self), beta = try TestData.normal([1, 4, 1, 1], seed: 127, as: Float.self)
        let (out, cache) = try GroupNorm.forward(x: x, gamma: gamma, beta: beta, parameters: GroupNorm.Parameters(groups: 2))
        let other = try GroupNorm.forward(x: x, gamma: try gamma.reshaped([1, 4, 1, 1]), beta: try beta.reshaped([4]),
                                          parameters: GroupNorm.Parameters(groups: 2)).out
        #expect(out.isBitwiseEqual(to: other))
        let gradients = try GroupNorm.backward(dout: x, cache: cache)
        #expect(gradients.dgamma.shape == [4] && gradients.dbeta.shape == [1, 4, 1, 1])
    }

    /// Shapes and group counts: G = 1, G = C, prime C, H ≠ W, one-value planes and groups.
    static let oddCases: [([Int], Int)] = [
        ([1, 6, 3, 5], 2), ([7, 5, 2, 3], 5), ([3, 7, 4, 7], 1), ([2, 12, 1, 1], 4), ([7, 3, 1, 1], 3), ([1, 1, 1, 1], 1), ([5, 6, 3, 2], 3),
    ]

    static func inputs<T: TesselScalar>(_ shape: [Int], as _: T.Type) throws -> (x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, dout: Tensor<T>) {
        (try TestData.normal(shape, scale: 3, mean: 5, seed: 131), try TestData.normal([shape[1]], mean: 1, seed: 132),
         try TestData.normal([1, shape[1], 1, 1], seed: 133), try TestData.normal(shape, seed: 134))
    }

    static func tiledOutputs<T: TesselScalar>(_ shape: [Int], groups: Int, as _: T.Type, scheduler: Scheduler = .default) throws -> [Tensor<T>] {
        let (x, gamma, beta, dout) = try inputs(shape, as: T.self)
        let (out, cache) = try GroupNorm.forward(x: x, gamma: gamma, beta: beta, parameters: GroupNorm.Parameters(groups: groups),
                                                 scheduler: scheduler)
        let gradients = try GroupNorm.backward(dout: dout, cache: cache, scheduler: scheduler)
        return [out, gradients.dx, gradients.dgamma, gradients.dbeta]
    }

    static func referenceOutputs<T: TesselScalar>(_ shape: [Int], groups: Int, as _: T.Type) throws -> [Tensor<T>] {
        let (x, gamma, beta, dout) = try inputs(shape, as: T.self)
        let (out, cache) = try GroupNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: GroupNorm.Parameters(groups: groups))
        let gradients = try GroupNorm.Reference.backward(dout: dout, cache: cache)
        return [out, gradients.dx, gradients.dgamma, gradients.dbeta]
    }

    /// With one value per group dx is exactly 0: compare it against the size of the terms that cancel.
    static func floor<T: TesselScalar>(output: Int, shape: [Int], groups: Int, as _: T.Type) throws -> Double {
        guard output == 1 && shape[1] / groups * shape[2] * shape[3] == 1 else { return 0 }
        let (_, gamma, _, dout) = try inputs(shape, as: T.self)
        return singleValueGradientScale(dout: dout, gamma: gamma)
    }

    @Test(arguments: oddCases)
    func tiledMatchesReference(shape: [Int], groups: Int) throws {
        let tiled = try Self.tiledOutputs(shape, groups: groups, as: Double.self)
        for (k, (a, b)) in zip(tiled, try Self.referenceOutputs(shape, groups: groups, as: Double.self)).enumerated() {
            #expect(normwiseError(a, b, floor: try Self.floor(output: k, shape: shape, groups: groups, as: Double.self)) <= 1e-12, "output \(k)")
        }
        let tiled32 = try Self.tiledOutputs(shape, groups: groups, as: Float.self)
        for (k, (a, b)) in zip(tiled32, try Self.referenceOutputs(shape, groups: groups, as: Float.self)).enumerated() {
            #expect(normwiseError(a, b, floor: try Self.floor(output: k, shape: shape, groups: groups, as: Float.self)) <= 1e-5, "output \(k)")
        }
    }

    @Test(arguments: [([7, 5, 2, 3], 5), ([3, 7, 4, 7], 1), ([5, 6, 3, 2], 3)])
    func tiledIsBitwiseDeterministic(shape: [Int], groups: Int) throws {
        let baseline = try Self.tiledOutputs(shape, groups: groups, as: Float.self, scheduler: .serial)
        let schedulers = determinismSchedulers
        for scheduler in schedulers {
            for (a, b) in zip(try Self.tiledOutputs(shape, groups: groups, as: Float.self, scheduler: scheduler), baseline) {
                #expect(a.isBitwiseEqual(to: b))
            }
        }
    }

    @Test func emptyBatchIsFine() throws {
        let x = try Tensor<Float>(shape: [0, 4, 2, 2]), gamma = try Tensor<Float>(shape: [4])
        let (out, cache) = try GroupNorm.forward(x: x, gamma: gamma, beta: gamma, parameters: GroupNorm.Parameters(groups: 2))
        let gradients = try GroupNorm.backward(dout: out, cache: cache)
        #expect(gradients.dx.shape == [0, 4, 2, 2] && gradients.dgamma.scalars == [0, 0, 0, 0] && gradients.dbeta.scalars == [0, 0, 0, 0])
    }

    @Test func rejectsBadArguments() throws {
        let x = try Tensor<Float>(shape: [2, 6, 2, 3]), v6 = try Tensor<Float>(shape: [6])
        func forward(x: Tensor<Float> = x, gamma: Tensor<Float> = v6, beta: Tensor<Float> = v6,
                     parameters: GroupNorm.Parameters = GroupNorm.Parameters(groups: 2)) throws {
            #expect(throws: (any Error).self) { _ = try GroupNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters) }
            _ = try GroupNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters)
        }
        #expect(throws: TesselError.shapeMismatch(component: "groupnorm", argument: "x", expected: "rank 4 (N, C, H, W)", actual: [2, 6, 6])) {
            try forward(x: try Tensor(shape: [2, 6, 6]))
        }
        for groups in [0, -2] {
            #expect(throws: TesselError.invalidParameter(component: "groupnorm", parameter: "groups", value: "\(groups)", reason: "must be at least 1")) {
                try forward(parameters: GroupNorm.Parameters(groups: groups))
            }
        }
        for groups in [4, 5, 7, 12] {
            #expect(throws: TesselError.invalidParameter(component: "groupnorm", parameter: "groups", value: "\(groups)",
                                                         reason: "must divide the channel count C = 6 of x of shape (2, 6, 2, 3)")) {
                try forward(parameters: GroupNorm.Parameters(groups: groups))
            }
        }
        for empty in [[2, 6, 0, 3], [2, 6, 2, 0]] {
            #expect(throws: TesselError.shapeMismatch(component: "groupnorm", argument: "x",
                                                      expected: "C ≥ 1 and H·W ≥ 1 (a group of no values has no mean or variance)", actual: empty)) {
                try forward(x: try Tensor(shape: empty))
            }
        }
        #expect(throws: TesselError.shapeMismatch(component: "groupnorm", argument: "x",
                                                  expected: "C ≥ 1 and H·W ≥ 1 (a group of no values has no mean or variance)", actual: [2, 0, 2, 3])) {
            try forward(x: try Tensor(shape: [2, 0, 2, 3]), gamma: try Tensor(shape: [0]), beta: try Tensor(shape: [0]))
        }
        let expected = "(C,) = (6,) or (1, C, 1, 1) = (1, 6, 1, 1) for x of shape (2, 6, 2, 3)"
        for bad in [[3], [6, 1], [1, 6, 1], [1, 1, 1, 6]] {
            #expect(throws: TesselError.shapeMismatch(component: "groupnorm", argument: "gamma", expected: expected, actual: bad)) {
                try forward(gamma: try Tensor(shape: bad))
            }
            #expect(throws: TesselError.shapeMismatch(component: "groupnorm", argument: "beta", expected: expected, actual: bad)) {
                try forward(beta: try Tensor(shape: bad))
            }
        }
        for eps: Double in [0, -1e-5, .nan, .infinity] {
            #expect(throws: TesselError.invalidParameter(component: "groupnorm", parameter: "eps", value: "\(eps)", reason: "must be positive and finite")) {
                try forward(parameters: GroupNorm.Parameters(groups: 2, eps: eps))
            }
        }
        let cache = try GroupNorm.forward(x: x, gamma: v6, beta: v6, parameters: GroupNorm.Parameters(groups: 3)).cache
        let error = TesselError.shapeMismatch(component: "groupnorm", argument: "dout", expected: "the shape of x (2, 6, 2, 3)", actual: [2, 6, 3, 2])
        #expect(throws: error) { try GroupNorm.backward(dout: try Tensor(shape: [2, 6, 3, 2]), cache: cache) }
        #expect(throws: error) { try GroupNorm.Reference.backward(dout: try Tensor(shape: [2, 6, 3, 2]), cache: cache) }
    }

    /// The group norm → ReLU → max pool chain (`GroupNorm+MaxPool.swift`) gives the bits of the
    /// tiled layers run one by one, forward and backward (a 3 × 3 window at stride 3 leaves the
    /// last row and column in none), at every worker count and tile setting; the layer kind's
    /// reference path gives the serial layers' values.
    @Test func pooledChainGivesTheLayersBits() throws {
        let x = try TestData.normal([3, 6, 7, 10], scale: 2, seed: 131, as: Double.self)
        let gamma = try TestData.normal([6], mean: 1, seed: 132, as: Double.self)
        let beta = try TestData.normal([6], seed: 133, as: Double.self)
        let window = PoolingWindow(poolHeight: 3, poolWidth: 3, stride: 3), parameters = GroupNorm.Parameters(groups: 3)
        let pooledDout = try TestData.normal([3, 6, 2, 3], seed: 134, as: Double.self)
        var schedulers: [Scheduler] = [.serial]
        for workers in [1, 2, 3] {
            for tiles in determinismTileSettings { schedulers.append(try Scheduler(workers: workers, grainSize: 0, tiles: tiles)) }
        }
        for scheduler in schedulers {
            let (normalized, cache) = try GroupNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, scheduler: scheduler)
            let relu = try ReLU.forward(normalized, scheduler: scheduler)
            let pooled = try MaxPool.forward(x: relu, parameters: window, scheduler: scheduler)
            let chain = try GroupNorm.forwardPooling(x: x, gamma: gamma, beta: beta, parameters: parameters, window: window,
                                                     scheduler: scheduler)
            #expect(chain.out.isBitwiseEqual(to: pooled))
            let dout = try ReLU.backward(dout: try MaxPool.backward(dout: pooledDout, x: relu, parameters: window, scheduler: scheduler),
                                         x: relu, scheduler: scheduler)
            let layers = try GroupNorm.backward(dout: dout, cache: cache, scheduler: scheduler)
            let chained = try GroupNorm.backward(pooledDout: pooledDout, window: window, beta: beta, cache: chain.cache, scheduler: scheduler)
            #expect(chained.dx.isBitwiseEqual(to: layers.dx) && chained.dgamma.isBitwiseEqual(to: layers.dgamma)
                    && chained.dbeta.isBitwiseEqual(to: layers.dbeta))
        }
        let kind = GroupNormKind(groups: 3, epsilon: 1e-5)
        var context = LayerContext<Double>(mode: .train, statistics: nil, seed: 0, firstRow: 0)
        let (tiledOut, tiledRecord) = try kind.forwardPooling(x, window: window, parameters: [gamma, beta], context: &context,
                                                               backend: .tiled(.serial))
        let (referenceOut, referenceRecord) = try kind.forwardPooling(x, window: window, parameters: [gamma, beta], context: &context,
                                                                       backend: .reference)
        #expect(normwiseRelativeError(referenceOut, tiledOut) < 1e-13)
        let tiled = try kind.backwardThroughPool(pooledDout, window: window, record: tiledRecord, parameters: [gamma, beta],
                                                 backend: .tiled(.serial))
        let reference = try kind.backwardThroughPool(pooledDout, window: window, record: referenceRecord, parameters: [gamma, beta],
                                                     backend: .reference)
        for (a, b) in zip([tiled.0] + tiled.1, [reference.0] + reference.1) { #expect(normwiseRelativeError(b, a) < 1e-12) }
    }
}
