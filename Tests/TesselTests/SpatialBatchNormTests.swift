import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct SpatialBatchNormTests {
    typealias Forward<T: TesselScalar> = (Tensor<T>, Tensor<T>, Tensor<T>, SpatialBatchNorm.Parameters, inout RunningStatistics<T>) throws
        -> (out: Tensor<T>, cache: SpatialBatchNorm.Cache<T>)

    static func forwards<T: TesselScalar>(_: T.Type) -> [Forward<T>] {
        [
            { try SpatialBatchNorm.forward(x: $0, gamma: $1, beta: $2, parameters: $3, running: &$4) },
            { try SpatialBatchNorm.Reference.forward(x: $0, gamma: $1, beta: $2, parameters: $3, running: &$4) },
        ]
    }

    static let backwards: [@Sendable (Tensor<Double>, SpatialBatchNorm.Cache<Double>) throws -> NormalizationGradients<Double>] = [
        { try SpatialBatchNorm.backward(dout: $0, cache: $1) },
        { try SpatialBatchNorm.Reference.backward(dout: $0, cache: $1) },
    ]

    /// Per-channel mean and uncorrected standard deviation of an (N, C, H, W) tensor.
    static func channelMoments<T: TesselScalar>(_ t: Tensor<T>) -> (mean: [Double], std: [Double]) {
        let (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        var means = [Double](), stds = [Double]()
        for k in 0..<c {
            var values = [Double]()
            for i in 0..<n { for y in 0..<h { for z in 0..<w { values.append(Double(t[i, k, y, z])) } } }
            let mean = values.reduce(0, +) / Double(values.count)
            means.append(mean)
            stds.append((values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot())
        }
        return (means, stds)
    }

    @Test func trainForwardGivesMeanBetaAndStdGamma() throws {
        // The CS231n notebook's check: x = 4·randn + 10, gamma = (3, 4, 5), beta = (6, 7, 8).
        let x = try TestData.normal([2, 3, 4, 5], scale: 4, mean: 10, seed: 81, as: Float.self)
        let gamma = try Tensor<Float>(shape: [3], scalars: [3, 4, 5]), beta = try Tensor<Float>(shape: [3], scalars: [6, 7, 8])
        for forward in Self.forwards(Float.self) {
            var running = try RunningStatistics<Float>(features: 3)
            let (mean, std) = Self.channelMoments(try forward(x, gamma, beta, SpatialBatchNorm.Parameters(mode: .train), &running).out)
            for k in 0..<3 {
                #expect(abs(mean[k] - Double(beta[k])) < 1e-5)
                #expect(abs(std[k] - Double(gamma[k])) / Double(gamma[k]) < 1e-5)
            }
        }
    }

    @Test(arguments: [Mode.train, .test])
    func gradientCheck(mode: Mode) throws {
        let x = try TestData.normal([2, 3, 4, 5], scale: 2, mean: 1, seed: 91, as: Double.self)
        let gamma = try TestData.normal([3], mean: 1, seed: 92, as: Double.self)
        let beta = try TestData.normal([3], seed: 93, as: Double.self)
        let dout = try TestData.normal([2, 3, 4, 5], seed: 94, as: Double.self)
        let statistics = RunningStatistics<Double>(mean: try TestData.normal([3], seed: 95),
                                                   variance: try TestData.uniform([3], in: 0.5...2, seed: 96))
        let parameters = SpatialBatchNorm.Parameters(mode: mode)
        func out(_ x: Tensor<Double>, _ gamma: Tensor<Double>, _ beta: Tensor<Double>) throws -> Tensor<Double> {
            var running = statistics
            return try SpatialBatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running).out
        }
        let dx = try numericalGradient({ try out($0, gamma, beta) }, at: x, dout: dout)
        let dgamma = try numericalGradient({ try out(x, $0, beta) }, at: gamma, dout: dout)
        let dbeta = try numericalGradient({ try out(x, gamma, $0) }, at: beta, dout: dout)
        for forward in Self.forwards(Double.self) {
            var running = statistics
            let cache = try forward(x, gamma, beta, parameters, &running).cache
            for backward in Self.backwards {
                let gradients = try backward(dout, cache)
                #expect(maxRelativeError(gradients.dx, dx) < 1e-7)
                #expect(maxRelativeError(gradients.dgamma, dgamma) < 1e-7)
                #expect(maxRelativeError(gradients.dbeta, dbeta) < 1e-7)
            }
        }
    }

    @Test func runningStatisticsFollowTheMomentumRule() throws {
        // Channel values {1, 3} and {2, 6} (means 2, 4; variances 1, 4), then {0, 2} and {0, 2}
        // (means 1, 1; variances 1, 1); momentum 0.9 from zeros, as in BatchNormTests.
        let a = try Tensor<Double>(shape: [2, 2, 1, 1], scalars: [1, 2, 3, 6])
        let b = try Tensor<Double>(shape: [1, 2, 1, 2], scalars: [0, 2, 0, 2])
        let gamma = try Tensor<Double>(shape: [2], repeating: 1), beta = try Tensor<Double>(shape: [2])
        let expected: [(mean: [Double], variance: [Double])] = [
            ([0.2, 0.4], [0.1, 0.4]), ([0.28, 0.46], [0.19, 0.46]), ([0.452, 0.814], [0.271, 0.814]),
        ]
        for forward in Self.forwards(Double.self) {
            var running = try RunningStatistics<Double>(features: 2)
            for (batch, want) in zip([a, b, a], expected) {
                _ = try forward(batch, gamma, beta, SpatialBatchNorm.Parameters(mode: .train), &running)
                for k in 0..<2 {
                    #expect(abs(running.mean[k] - want.mean[k]) < 1e-12)
                    #expect(abs(running.variance[k] - want.variance[k]) < 1e-12)
                }
            }
        }
    }

    @Test func testModeUsesRunningStatistics() throws {
        let x = try Tensor<Double>(shape: [1, 2, 1, 3], scalars: [1, 2, 3, 4, 5, 6])
        let gamma = try Tensor<Double>(shape: [2], scalars: [2, 3]), beta = try Tensor<Double>(shape: [2], scalars: [-1, 1])
        let statistics = RunningStatistics(mean: try Tensor<Double>(shape: [2], scalars: [1, 2]),
                                           variance: try Tensor<Double>(shape: [2], scalars: [4, 9]))
        let eps = 1e-5, s0 = (4 + eps).squareRoot(), s1 = (9 + eps).squareRoot()
        let expected = try Tensor<Double>(shape: [1, 2, 1, 3], scalars: [-1, 2 / s0 - 1, 4 / s0 - 1, 6 / s1 + 1, 9 / s1 + 1, 12 / s1 + 1])
        for forward in Self.forwards(Double.self) {
            var running = statistics
            let (out, _) = try forward(x, gamma, beta, SpatialBatchNorm.Parameters(mode: .test, eps: eps), &running)
            #expect(maxRelativeError(out, expected) < 1e-14)
            #expect(running.mean == statistics.mean && running.variance == statistics.variance)
        }
        // An empty batch is fine at test time.
        var running = statistics
        let empty = try SpatialBatchNorm.forward(x: try Tensor<Double>(shape: [0, 2, 3, 3]), gamma: gamma, beta: beta,
                                                 parameters: SpatialBatchNorm.Parameters(mode: .test), running: &running)
        let gradients = try SpatialBatchNorm.backward(dout: empty.out, cache: empty.cache)
        #expect(gradients.dx.shape == [0, 2, 3, 3] && gradients.dgamma.scalars == [0, 0] && gradients.dbeta.scalars == [0, 0])
    }

    static func inputs<T: TesselScalar>(_ shape: [Int], as _: T.Type) throws
        -> (x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, dout: Tensor<T>, statistics: RunningStatistics<T>) {
        let c = shape[1]
        return (try TestData.normal(shape, scale: 3, mean: 5, seed: 101), try TestData.normal([c], mean: 1, seed: 102),
                try TestData.normal([c], seed: 103), try TestData.normal(shape, seed: 104),
                RunningStatistics(mean: try TestData.normal([c], seed: 105), variance: try TestData.uniform([c], in: 0.5...3, seed: 106)))
    }

    static func tiledOutputs<T: TesselScalar>(_ shape: [Int], mode: Mode, as _: T.Type, scheduler: Scheduler = .default) throws -> [Tensor<T>] {
        var (x, gamma, beta, dout, running) = try inputs(shape, as: T.self)
        let (out, cache) = try SpatialBatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: SpatialBatchNorm.Parameters(mode: mode),
                                                        running: &running, scheduler: scheduler)
        let gradients = try SpatialBatchNorm.backward(dout: dout, cache: cache, scheduler: scheduler)
        return [out, running.mean, running.variance, gradients.dx, gradients.dgamma, gradients.dbeta]
    }

    static func referenceOutputs<T: TesselScalar>(_ shape: [Int], mode: Mode, as _: T.Type) throws -> [Tensor<T>] {
        var (x, gamma, beta, dout, running) = try inputs(shape, as: T.self)
        let (out, cache) = try SpatialBatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta,
                                                                  parameters: SpatialBatchNorm.Parameters(mode: mode), running: &running)
        let gradients = try SpatialBatchNorm.Reference.backward(dout: dout, cache: cache)
        return [out, running.mean, running.variance, gradients.dx, gradients.dgamma, gradients.dbeta]
    }

    /// With one value per channel (N·H·W = 1) in train mode dx is exactly 0: compare it
    /// against the size of the terms that cancel.
    static func floor<T: TesselScalar>(output: Int, shape: [Int], mode: Mode, as _: T.Type) throws -> Double {
        guard output == 3 && mode == .train && shape[0] * shape[2] * shape[3] == 1 else { return 0 }
        let (_, gamma, _, dout, _) = try inputs(shape, as: T.self)
        return singleValueGradientScale(dout: dout, gamma: gamma)
    }

    static let oddShapes: [[Int]] = [[1, 3, 1, 1], [1, 5, 2, 3], [7, 2, 3, 1], [7, 3, 5, 6], [3, 7, 4, 7], [40, 3, 2, 3]]

    @Test(arguments: oddShapes, [Mode.train, .test])
    func tiledMatchesReference(shape: [Int], mode: Mode) throws {
        let tiled = try Self.tiledOutputs(shape, mode: mode, as: Double.self)
        for (k, (a, b)) in zip(tiled, try Self.referenceOutputs(shape, mode: mode, as: Double.self)).enumerated() {
            #expect(normwiseError(a, b, floor: try Self.floor(output: k, shape: shape, mode: mode, as: Double.self)) <= 1e-12, "output \(k)")
        }
        let tiled32 = try Self.tiledOutputs(shape, mode: mode, as: Float.self)
        for (k, (a, b)) in zip(tiled32, try Self.referenceOutputs(shape, mode: mode, as: Float.self)).enumerated() {
            #expect(normwiseError(a, b, floor: try Self.floor(output: k, shape: shape, mode: mode, as: Float.self)) <= 1e-5, "output \(k)")
        }
    }

    @Test(arguments: [[7, 3, 5, 6], [3, 7, 4, 7], [40, 3, 2, 3]], [Mode.train, .test])
    func tiledIsBitwiseDeterministic(shape: [Int], mode: Mode) throws {
        let baseline = try Self.tiledOutputs(shape, mode: mode, as: Float.self, scheduler: .serial)
        let schedulers = determinismSchedulers
        for scheduler in schedulers {
            for (a, b) in zip(try Self.tiledOutputs(shape, mode: mode, as: Float.self, scheduler: scheduler), baseline) {
                #expect(a.isBitwiseEqual(to: b))
            }
        }
    }

    @Test func rejectsBadArguments() throws {
        let x = try Tensor<Float>(shape: [2, 3, 2, 2]), v3 = try Tensor<Float>(shape: [3]), v2 = try Tensor<Float>(shape: [2])
        func forward(x: Tensor<Float> = x, gamma: Tensor<Float> = v3, beta: Tensor<Float> = v3,
                     parameters: SpatialBatchNorm.Parameters = SpatialBatchNorm.Parameters(mode: .train),
                     running: RunningStatistics<Float>? = nil) throws {
            var running = try running ?? RunningStatistics<Float>(features: 3)
            var reference = running
            #expect(throws: (any Error).self) {
                _ = try SpatialBatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &reference)
            }
            _ = try SpatialBatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running)
        }
        let layer = "spatial_batchnorm", vector = "(C,) for x of shape (2, 3, 2, 2)"
        #expect(throws: TesselError.shapeMismatch(component: layer, argument: "x", expected: "rank 4 (N, C, H, W)", actual: [2, 3, 4])) {
            try forward(x: try Tensor(shape: [2, 3, 4]))
        }
        #expect(throws: TesselError.shapeMismatch(component: layer, argument: "gamma", expected: "(3,): \(vector)", actual: [2])) {
            try forward(gamma: v2)
        }
        #expect(throws: TesselError.shapeMismatch(component: layer, argument: "beta", expected: "(3,): \(vector)", actual: [1, 3, 1, 1])) {
            try forward(beta: try Tensor(shape: [1, 3, 1, 1]))
        }
        #expect(throws: TesselError.shapeMismatch(component: layer, argument: "running_mean", expected: "(3,): \(vector)", actual: [2])) {
            try forward(running: RunningStatistics(mean: v2, variance: v3))
        }
        #expect(throws: TesselError.shapeMismatch(component: layer, argument: "running_var", expected: "(3,): \(vector)", actual: [2])) {
            try forward(running: RunningStatistics(mean: v3, variance: v2))
        }
        for eps: Double in [0, -1e-5, .nan, .infinity] {
            #expect(throws: TesselError.invalidParameter(component: layer, parameter: "eps", value: "\(eps)", reason: "must be positive and finite")) {
                try forward(parameters: SpatialBatchNorm.Parameters(mode: .train, eps: eps))
            }
        }
        for momentum in [-1e-9, 1.0000001] {
            #expect(throws: TesselError.invalidParameter(component: layer, parameter: "momentum", value: "\(momentum)", reason: "must be in [0, 1]")) {
                try forward(parameters: SpatialBatchNorm.Parameters(mode: .train, momentum: momentum))
            }
        }
        for empty in [[0, 3, 2, 2], [2, 3, 0, 2], [2, 3, 2, 0]] {
            #expect(throws: TesselError.shapeMismatch(component: layer, argument: "x",
                                                      expected: "N·H·W ≥ 1 in train mode (a channel of no values has no mean or variance)",
                                                      actual: empty)) {
                try forward(x: try Tensor(shape: empty))
            }
        }
        var running = try RunningStatistics<Float>(features: 3)
        let cache = try SpatialBatchNorm.forward(x: x, gamma: v3, beta: v3, parameters: SpatialBatchNorm.Parameters(mode: .train),
                                                 running: &running).cache
        let error = TesselError.shapeMismatch(component: layer, argument: "dout", expected: "the shape of x (2, 3, 2, 2)", actual: [2, 3, 2, 3])
        #expect(throws: error) { try SpatialBatchNorm.backward(dout: try Tensor(shape: [2, 3, 2, 3]), cache: cache) }
        #expect(throws: error) { try SpatialBatchNorm.Reference.backward(dout: try Tensor(shape: [2, 3, 2, 3]), cache: cache) }
    }
}
