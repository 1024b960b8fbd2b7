import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct BatchNormTests {
    typealias Forward<T: TesselScalar> = (Tensor<T>, Tensor<T>, Tensor<T>, BatchNorm.Parameters, inout RunningStatistics<T>) throws
        -> (out: Tensor<T>, cache: BatchNorm.Cache<T>)

    /// The tiled and the reference forward, for tests that check both.
    static func forwards<T: TesselScalar>(_: T.Type) -> [Forward<T>] {
        [
            { try BatchNorm.forward(x: $0, gamma: $1, beta: $2, parameters: $3, running: &$4) },
            { try BatchNorm.Reference.forward(x: $0, gamma: $1, beta: $2, parameters: $3, running: &$4) },
        ]
    }

    /// Every backward: tiled graph, tiled simplified, reference graph, reference simplified.
    static let backwards: [@Sendable (Tensor<Double>, BatchNorm.Cache<Double>) throws -> NormalizationGradients<Double>] = [
        { try BatchNorm.backward(dout: $0, cache: $1) },
        { try BatchNorm.backwardAlt(dout: $0, cache: $1) },
        { try BatchNorm.Reference.backward(dout: $0, cache: $1) },
        { try BatchNorm.Reference.backwardAlt(dout: $0, cache: $1) },
    ]

    /// Per-column mean and (uncorrected) standard deviation of an (N, D) tensor.
    static func columnMoments<T: TesselScalar>(_ t: Tensor<T>) -> (mean: [Double], std: [Double]) {
        let n = t.shape[0], d = t.shape[1]
        var means = [Double](), stds = [Double]()
        for j in 0..<d {
            let mean = (0..<n).map { Double(t[$0, j]) }.reduce(0, +) / Double(n)
            let variance = (0..<n).map { (Double(t[$0, j]) - mean) * (Double(t[$0, j]) - mean) }.reduce(0, +) / Double(n)
            means.append(mean)
            stds.append(variance.squareRoot())
        }
        return (means, stds)
    }

    @Test func trainForwardGivesMeanBetaAndStdGamma() throws {
        // The CS231n notebook's check: x = 5·randn + 12, gamma = (1, 2, 3), beta = (11, 12, 13).
        let x = try TestData.normal([200, 3], scale: 5, mean: 12, seed: 11, as: Double.self)
        let gamma = try Tensor<Double>(shape: [3], scalars: [1, 2, 3]), beta = try Tensor<Double>(shape: [3], scalars: [11, 12, 13])
        for forward in Self.forwards(Double.self) {
            var running = try RunningStatistics<Double>(features: 3)
            let (out, _) = try forward(x, gamma, beta, BatchNorm.Parameters(mode: .train), &running)
            let (mean, std) = Self.columnMoments(out)
            for j in 0..<3 {
                #expect(abs(mean[j] - Double(beta[j])) < 1e-9)
                #expect(abs(std[j] - Double(gamma[j])) / Double(gamma[j]) < 1e-6)
            }
        }
        let x32 = try x.converted(to: Float.self)
        var running = try RunningStatistics<Float>(features: 3)
        let (out, _) = try BatchNorm.forward(x: x32, gamma: try gamma.converted(to: Float.self), beta: try beta.converted(to: Float.self),
                                             parameters: BatchNorm.Parameters(mode: .train), running: &running)
        let (mean, std) = Self.columnMoments(out)
        for j in 0..<3 {
            #expect(abs(mean[j] - Double(beta[j])) < 1e-5)
            #expect(abs(std[j] - Double(gamma[j])) / Double(gamma[j]) < 1e-5)
        }
    }

    @Test(arguments: [Mode.train, .test])
    func gradientCheck(mode: Mode) throws {
        let x = try TestData.normal([7, 5], scale: 2, mean: 1, seed: 21, as: Double.self)
        let gamma = try TestData.normal([5], mean: 1, seed: 22, as: Double.self)
        let beta = try TestData.normal([5], seed: 23, as: Double.self)
        let dout = try TestData.normal([7, 5], seed: 24, as: Double.self)
        let statistics = RunningStatistics<Double>(mean: try TestData.normal([5], seed: 25),
                                                   variance: try TestData.uniform([5], in: 0.5...2, seed: 26))
        let parameters = BatchNorm.Parameters(mode: mode)
        func out(_ x: Tensor<Double>, _ gamma: Tensor<Double>, _ beta: Tensor<Double>) throws -> Tensor<Double> {
            var running = statistics
            return try BatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running).out
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

    @Test func graphAndSimplifiedBackwardsAgree() throws {
        let x = try TestData.normal([13, 19], scale: 3, mean: -2, seed: 31, as: Double.self)
        let gamma = try TestData.normal([19], seed: 32, as: Double.self), beta = try TestData.normal([19], seed: 33, as: Double.self)
        let dout = try TestData.normal([13, 19], seed: 34, as: Double.self)
        var running = try RunningStatistics<Double>(features: 19)
        let cache = try BatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: BatchNorm.Parameters(mode: .train), running: &running).cache
        let pairs = [
            (try BatchNorm.backward(dout: dout, cache: cache), try BatchNorm.backwardAlt(dout: dout, cache: cache)),
            (try BatchNorm.Reference.backward(dout: dout, cache: cache), try BatchNorm.Reference.backwardAlt(dout: dout, cache: cache)),
        ]
        for (graph, simplified) in pairs {
            #expect(maxRelativeError(graph.dx, simplified.dx) < 1e-12)
            #expect(maxRelativeError(graph.dgamma, simplified.dgamma) < 1e-12)
            #expect(maxRelativeError(graph.dbeta, simplified.dbeta) < 1e-12)
        }
    }

    @Test func runningStatisticsFollowTheMomentumRule() throws {
        // Batches with easy statistics: a = [[1, 2], [3, 6]] has mean (2, 4) and variance (1, 4);
        // b = [[0, 0], [2, 2]] has mean (1, 1) and variance (1, 1).
        let a = try Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 6])
        let b = try Tensor<Double>(shape: [2, 2], scalars: [0, 0, 2, 2])
        let gamma = try Tensor<Double>(shape: [2], repeating: 1), beta = try Tensor<Double>(shape: [2])
        // momentum 0.9, from zeros: after a: 0.1·(2, 4), 0.1·(1, 4);
        // after b: 0.9·(0.2, 0.4) + 0.1·(1, 1), 0.9·(0.1, 0.4) + 0.1·(1, 1);
        // after a: 0.9·(0.28, 0.46) + 0.1·(2, 4), 0.9·(0.19, 0.46) + 0.1·(1, 4).
        let expected: [(mean: [Double], variance: [Double])] = [
            ([0.2, 0.4], [0.1, 0.4]), ([0.28, 0.46], [0.19, 0.46]), ([0.452, 0.814], [0.271, 0.814]),
        ]
        for forward in Self.forwards(Double.self) {
            var running = try RunningStatistics<Double>(features: 2)
            for (batch, want) in zip([a, b, a], expected) {
                _ = try forward(batch, gamma, beta, BatchNorm.Parameters(mode: .train), &running)
                for j in 0..<2 {
                    #expect(abs(running.mean[j] - want.mean[j]) < 1e-12)
                    #expect(abs(running.variance[j] - want.variance[j]) < 1e-12)
                }
            }
        }
        // momentum 0 keeps only the newest batch, 1 never changes the statistics.
        var running = try RunningStatistics<Double>(features: 2)
        _ = try BatchNorm.forward(x: a, gamma: gamma, beta: beta, parameters: BatchNorm.Parameters(mode: .train, momentum: 0), running: &running)
        #expect(running.mean.scalars == [2, 4] && running.variance.scalars == [1, 4])
        _ = try BatchNorm.forward(x: b, gamma: gamma, beta: beta, parameters: BatchNorm.Parameters(mode: .train, momentum: 1), running: &running)
        #expect(running.mean.scalars == [2, 4] && running.variance.scalars == [1, 4])
    }

    @Test func testModeUsesRunningStatistics() throws {
        let x = try Tensor<Double>(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let gamma = try Tensor<Double>(shape: [2], scalars: [2, 3]), beta = try Tensor<Double>(shape: [2], scalars: [-1, 1])
        let statistics = RunningStatistics(mean: try Tensor<Double>(shape: [2], scalars: [1, 2]),
                                           variance: try Tensor<Double>(shape: [2], scalars: [4, 9]))
        let eps = 1e-5
        // out = gamma·(x − running mean)/√(running var + eps) + beta, whatever the batch's own statistics.
        var expected = try Tensor<Double>(shape: [3, 2])
        for i in 0..<3 {
            expected[i, 0] = 2 * (x[i, 0] - 1) / (4 + eps).squareRoot() - 1
            expected[i, 1] = 3 * (x[i, 1] - 2) / (9 + eps).squareRoot() + 1
        }
        for forward in Self.forwards(Double.self) {
            var running = statistics
            let (out, _) = try forward(x, gamma, beta, BatchNorm.Parameters(mode: .test, eps: eps), &running)
            #expect(maxRelativeError(out, expected) < 1e-14)
            #expect(running.mean == statistics.mean && running.variance == statistics.variance)
        }
        // An empty batch is fine at test time.
        var running = statistics
        let empty = try BatchNorm.forward(x: try Tensor<Double>(shape: [0, 2]), gamma: gamma, beta: beta,
                                          parameters: BatchNorm.Parameters(mode: .test), running: &running)
        #expect(empty.out.shape == [0, 2])
        let gradients = try BatchNorm.backward(dout: try Tensor<Double>(shape: [0, 2]), cache: empty.cache)
        #expect(gradients.dx.shape == [0, 2] && gradients.dgamma.scalars == [0, 0] && gradients.dbeta.scalars == [0, 0])
    }

    /// Runs every tiled entry point and returns its outputs, flattened into one list of tensors.
    static func tiledOutputs<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, dout: Tensor<T>,
                                              statistics: RunningStatistics<T>, mode: Mode, scheduler: Scheduler) throws -> [Tensor<T>] {
        var running = statistics
        let (out, cache) = try BatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: BatchNorm.Parameters(mode: mode),
                                                 running: &running, scheduler: scheduler)
        let graph = try BatchNorm.backward(dout: dout, cache: cache, scheduler: scheduler)
        let simplified = try BatchNorm.backwardAlt(dout: dout, cache: cache, scheduler: scheduler)
        return [out, running.mean, running.variance, graph.dx, graph.dgamma, graph.dbeta, simplified.dx, simplified.dgamma, simplified.dbeta]
    }

    static func referenceOutputs<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, dout: Tensor<T>,
                                                  statistics: RunningStatistics<T>, mode: Mode) throws -> [Tensor<T>] {
        var running = statistics
        let (out, cache) = try BatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: BatchNorm.Parameters(mode: mode),
                                                           running: &running)
        let graph = try BatchNorm.Reference.backward(dout: dout, cache: cache)
        let simplified = try BatchNorm.Reference.backwardAlt(dout: dout, cache: cache)
        return [out, running.mean, running.variance, graph.dx, graph.dgamma, graph.dbeta, simplified.dx, simplified.dgamma, simplified.dbeta]
    }

    static func inputs<T: TesselScalar>(_ shape: [Int], as _: T.Type) throws -> (Tensor<T>, Tensor<T>, Tensor<T>, Tensor<T>, RunningStatistics<T>) {
        let d = shape[1]
        return (try TestData.normal(shape, scale: 3, mean: 5, seed: 41), try TestData.normal([d], mean: 1, seed: 42),
                try TestData.normal([d], seed: 43), try TestData.normal(shape, seed: 44),
                RunningStatistics(mean: try TestData.normal([d], seed: 45), variance: try TestData.uniform([d], in: 0.5...3, seed: 46)))
    }

    /// [150, 3]: chunks of 10 rows, added in a block of 8 rows and one of 2.
    static let oddShapes: [[Int]] = [[1, 1], [1, 13], [7, 1], [7, 37], [40, 19], [70, 5], [150, 3]]

    /// Normwise comparison of the tiled outputs with the reference's. With one row in train
    /// mode dx is exactly 0 in exact arithmetic, so its error is measured against the size of
    /// the terms that cancel.
    static func expectClose<T: TesselScalar>(_ tiled: [Tensor<T>], _ reference: [Tensor<T>], dout: Tensor<T>, gamma: Tensor<T>,
                                             mode: Mode, tolerance: Double) {
        let dxIndices: Set = [3, 6]
        let singleRowTrain = dout.shape[0] == 1 && mode == .train
        for (k, (a, b)) in zip(tiled, reference).enumerated() {
            let floor = singleRowTrain && dxIndices.contains(k) ? singleValueGradientScale(dout: dout, gamma: gamma) : 0
            #expect(normwiseError(a, b, floor: floor) <= tolerance, "output \(k)")
        }
    }

    @Test(arguments: oddShapes, [Mode.train, .test])
    func tiledMatchesReference(shape: [Int], mode: Mode) throws {
        let (x, gamma, beta, dout, statistics) = try Self.inputs(shape, as: Double.self)
        let reference = try Self.referenceOutputs(x: x, gamma: gamma, beta: beta, dout: dout, statistics: statistics, mode: mode)
        let tiled = try Self.tiledOutputs(x: x, gamma: gamma, beta: beta, dout: dout, statistics: statistics, mode: mode, scheduler: .default)
        Self.expectClose(tiled, reference, dout: dout, gamma: gamma, mode: mode, tolerance: 1e-12)

        let (x32, gamma32, beta32, dout32, statistics32) = try Self.inputs(shape, as: Float.self)
        let reference32 = try Self.referenceOutputs(x: x32, gamma: gamma32, beta: beta32, dout: dout32, statistics: statistics32, mode: mode)
        let tiled32 = try Self.tiledOutputs(x: x32, gamma: gamma32, beta: beta32, dout: dout32, statistics: statistics32, mode: mode, scheduler: .default)
        Self.expectClose(tiled32, reference32, dout: dout32, gamma: gamma32, mode: mode, tolerance: 1e-5)
    }

    /// [3, 1040]: reduction tiles split the columns (at least 4 KiB of a row each) only for
    /// some tile settings.
    @Test(arguments: [[7, 37], [40, 19], [70, 5], [3, 1040]], [Mode.train, .test])
    func tiledIsBitwiseDeterministic(shape: [Int], mode: Mode) throws {
        let (x, gamma, beta, dout, statistics) = try Self.inputs(shape, as: Float.self)
        let baseline = try Self.tiledOutputs(x: x, gamma: gamma, beta: beta, dout: dout, statistics: statistics, mode: mode, scheduler: .serial)
        let schedulers = determinismSchedulers
        for scheduler in schedulers {
            let outputs = try Self.tiledOutputs(x: x, gamma: gamma, beta: beta, dout: dout, statistics: statistics, mode: mode, scheduler: scheduler)
            for (a, b) in zip(outputs, baseline) { #expect(a.isBitwiseEqual(to: b)) }
        }
    }

    @Test func rejectsBadArguments() throws {
        let x = try Tensor<Float>(shape: [4, 3]), v3 = try Tensor<Float>(shape: [3]), v2 = try Tensor<Float>(shape: [2])
        let train = BatchNorm.Parameters(mode: .train)
        func forward(x: Tensor<Float> = x, gamma: Tensor<Float> = v3, beta: Tensor<Float> = v3,
                     parameters: BatchNorm.Parameters = train, running: RunningStatistics<Float>? = nil) throws {
            var running = try running ?? RunningStatistics<Float>(features: 3)
            var reference = running
            #expect(throws: (any Error).self) {
                _ = try BatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &reference)
            }
            _ = try BatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running)
        }
        let vector = "(D,) for x of shape (4, 3)"
        #expect(throws: TesselError.shapeMismatch(component: "batchnorm", argument: "x", expected: "rank 2 (N, D)", actual: [4, 3, 1])) {
            try forward(x: try Tensor(shape: [4, 3, 1]))
        }
        #expect(throws: TesselError.shapeMismatch(component: "batchnorm", argument: "gamma", expected: "(3,): \(vector)", actual: [2])) {
            try forward(gamma: v2)
        }
        #expect(throws: TesselError.shapeMismatch(component: "batchnorm", argument: "beta", expected: "(3,): \(vector)", actual: [1, 3])) {
            try forward(beta: try Tensor(shape: [1, 3]))
        }
        #expect(throws: TesselError.shapeMismatch(component: "batchnorm", argument: "running_mean", expected: "(3,): \(vector)", actual: [2])) {
            try forward(running: RunningStatistics(mean: v2, variance: v3))
        }
        #expect(throws: TesselError.shapeMismatch(component: "batchnorm", argument: "running_var", expected: "(3,): \(vector)", actual: [2])) {
            try forward(running: RunningStatistics(mean: v3, variance: v2))
        }
        for eps in [0, -1e-5, .nan, .infinity] {
            #expect(throws: TesselError.invalidParameter(component: "batchnorm", parameter: "eps", value: "\(eps)", reason: "must be positive and finite")) {
                try forward(parameters: BatchNorm.Parameters(mode: .train, eps: eps))
            }
        }
        for momentum in [-0.1, 1.5, .nan] {
            #expect(throws: TesselError.invalidParameter(component: "batchnorm", parameter: "momentum", value: "\(momentum)", reason: "must be in [0, 1]")) {
                try forward(parameters: BatchNorm.Parameters(mode: .test, momentum: momentum))
            }
        }
        #expect(throws: TesselError.shapeMismatch(component: "batchnorm", argument: "x",
                                                  expected: "N ≥ 1 rows in train mode (an empty batch has no mean or variance)", actual: [0, 3])) {
            try forward(x: try Tensor(shape: [0, 3]))
        }
        var running = try RunningStatistics<Float>(features: 3)
        let cache = try BatchNorm.forward(x: x, gamma: v3, beta: v3, parameters: train, running: &running).cache
        let wrong = try Tensor<Float>(shape: [3, 4])
        let error = TesselError.shapeMismatch(component: "batchnorm", argument: "dout", expected: "the shape of x (4, 3)", actual: [3, 4])
        #expect(throws: error) { try BatchNorm.backward(dout: wrong, cache: cache) }
        #expect(throws: error) { try BatchNorm.backwardAlt(dout: wrong, cache: cache) }
        #expect(throws: error) { try BatchNorm.Reference.backward(dout: wrong, cache: cache) }
        #expect(throws: error) { try BatchNorm.Reference.backwardAlt(dout: wrong, cache: cache) }
    }
}
