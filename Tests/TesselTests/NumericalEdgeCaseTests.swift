import Testing
@testable import Tessel
import TesselTestSupport

/// Inputs at the edges of floating point: logits of ±1e4, a feature of variance 0, values near
/// Float32's largest and smallest normals, pooling windows of ties, −∞ and NaN. Where the
/// mathematical result is finite the computed one must be finite and right, in the tiled
/// kernels and the references alike.
@Suite struct NumericalEdgeCaseTests {
    private static let scheduler = try! Scheduler(workers: 2, grainSize: 0)

    private static func allFinite<T: TesselScalar>(_ tensors: Tensor<T>...) -> Bool {
        tensors.allSatisfy { $0.firstNonFiniteIndex() == nil }
    }

    // MARK: Softmax and SVM with logits of ±1e4

    /// exp(±1e4) overflows both Float and Double, so the loss must come from shifted logits.
    @Test(arguments: [false, true])
    func lossesOfLogitsTenThousandApartAreFinite(double: Bool) throws {
        if double { try checkHugeLogits(Double.self) } else { try checkHugeLogits(Float.self) }
    }

    private func checkHugeLogits<T: TesselScalar>(_: T.Type) throws {
        // Row 0: the label holds the maximum. Row 1: the label is 2·10⁴ below it. Row 2: every
        // logit −1e4 (a uniform softmax). Row 3: every logit +1e4 but the label's, at −1e4.
        let big = T(10_000)
        let x = try Tensor<T>(shape: [4, 3], scalars: [big, -big, 0, big, 0, -big, -big, -big, -big, -big, big, big])
        let y = [0, 2, 1, 0]
        let expected = (0 + 2e4 + Double.log(3) + (2e4 + Double.log(2))) / 4
        for output in [try SoftmaxLoss.compute(x: x, y: y, scheduler: Self.scheduler), try SoftmaxLoss.Reference.compute(x: x, y: y)] {
            #expect(abs(Double(output.loss) - expected) <= 1e-6 * expected, "softmax loss \(output.loss), expected \(expected)")
            #expect(Self.allFinite(output.dx))
            for row in 0..<4 {
                let sum = (0..<3).reduce(0.0) { $0 + Double(output.dx[row, $1]) }
                #expect(abs(sum) < 1e-6, "row \(row) of dx sums to \(sum)")
            }
            // The uniform row: dx = (1/3 − [j = y]) / N.
            #expect(abs(Double(output.dx[2, 1]) + 2.0 / 12) < 1e-6 && abs(Double(output.dx[2, 0]) - 1.0 / 12) < 1e-6)
        }
        for output in [try SVMLoss.compute(x: x, y: y, scheduler: Self.scheduler), try SVMLoss.Reference.compute(x: x, y: y)] {
            #expect(output.loss.isFinite && Self.allFinite(output.dx))
        }
    }

    // MARK: Batch norm over a constant feature

    /// Variance 0: x̂ = 0, so out = β exactly, and eps keeps 1/√(var + eps) finite.
    @Test(arguments: [false, true])
    func batchNormOfAConstantFeatureGivesBeta(reference: Bool) throws {
        var x = try TestData.uniform([5, 3], seed: 3, as: Float.self)
        for row in 0..<5 { x[row, 1] = 7.25 }
        let gamma = try Tensor<Float>(shape: [3], scalars: [1.5, 2, -1]), beta = try Tensor<Float>(shape: [3], scalars: [0.25, -3, 4])
        let dout = try TestData.uniform([5, 3], seed: 4, as: Float.self)
        var running = try RunningStatistics<Float>(features: 3)
        let parameters = BatchNorm.Parameters(mode: .train)
        let (out, cache) = reference
            ? try BatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running)
            : try BatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running, scheduler: Self.scheduler)
        for row in 0..<5 { #expect(out[row, 1] == -3) }
        #expect(Self.allFinite(out, running.mean, running.variance))
        let gradients = reference
            ? [try BatchNorm.Reference.backward(dout: dout, cache: cache), try BatchNorm.Reference.backwardAlt(dout: dout, cache: cache)]
            : [try BatchNorm.backward(dout: dout, cache: cache, scheduler: Self.scheduler),
               try BatchNorm.backwardAlt(dout: dout, cache: cache, scheduler: Self.scheduler)]
        for g in gradients {
            #expect(Self.allFinite(g.dx, g.dgamma, g.dbeta))
            // dx of a constant feature: γ/√eps · (dout − mean(dout)) − x̂-terms (x̂ = 0).
            let meanDout = (0..<5).reduce(0.0) { $0 + Double(dout[$1, 1]) } / 5
            for row in 0..<5 {
                let expected = 2 / (1e-5).squareRoot() * (Double(dout[row, 1]) - meanDout)
                #expect(abs(Double(g.dx[row, 1]) - expected) <= 1e-4 * max(1, abs(expected)), "dx[\(row), 1] = \(g.dx[row, 1]), expected \(expected)")
            }
            #expect(g.dgamma[1] == 0)
        }
    }

    @Test(arguments: [false, true])
    func spatialBatchNormOfAConstantChannelGivesBeta(reference: Bool) throws {
        var x = try TestData.uniform([2, 3, 2, 3], seed: 5, as: Float.self)
        for n in 0..<2 { for h in 0..<2 { for w in 0..<3 { x[n, 2, h, w] = -1e3 } } }
        let gamma = try Tensor<Float>(shape: [3], scalars: [1, 2, 3]), beta = try Tensor<Float>(shape: [3], scalars: [0, 1, 2])
        var running = try RunningStatistics<Float>(features: 3)
        let parameters = BatchNorm.Parameters(mode: .train)
        let (out, cache) = reference
            ? try SpatialBatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running)
            : try SpatialBatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running, scheduler: Self.scheduler)
        for n in 0..<2 { for h in 0..<2 { for w in 0..<3 { #expect(out[n, 2, h, w] == 2) } } }
        let dout = try TestData.uniform(x.shape, seed: 6, as: Float.self)
        let g = reference ? try SpatialBatchNorm.Reference.backward(dout: dout, cache: cache)
                          : try SpatialBatchNorm.backward(dout: dout, cache: cache, scheduler: Self.scheduler)
        #expect(Self.allFinite(out, g.dx, g.dgamma, g.dbeta))
        #expect(g.dgamma[2] == 0)
    }

    // MARK: Layer norm and group norm near Float32's limits

    /// Rows near ±Float.greatestFiniteMagnitude (3.4e38), whose squares overflow Float, and
    /// rows near the smallest normal (1.2e-38), whose squares underflow it: the statistics are
    /// taken in Double, so the outputs are finite and match a Double evaluation of the formula.
    static let extremeRows: [[Float]] = [
        [3e38, -3e38, 1e38, -2e38, 3.4e38, 0],
        [3.4e38, 3.4e38, 3.4e38, 3.3e38, 3.4e38, 3.4e38],
        [1.2e-38, -1.2e-38, 3e-38, 0, 5e-38, -2.5e-38],
        [Float.leastNormalMagnitude, 0, 0, 0, 0, -Float.leastNormalMagnitude],
    ]

    /// `γ·(x − mean)/√(var + eps) + β` per group of consecutive `size` values, in Double.
    private static func normalized(_ values: [Float], groupSize size: Int, eps: Double = 1e-5) -> [Double] {
        stride(from: 0, to: values.count, by: size).flatMap { start -> [Double] in
            let group = values[start..<start + size].map(Double.init)
            let mean = group.reduce(0, +) / Double(size)
            let variance = group.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(size)
            return group.map { ($0 - mean) / (variance + eps).squareRoot() }
        }
    }

    private static func expectMatches(_ out: Tensor<Float>, _ expected: [Double], _ label: String) {
        #expect(out.firstNonFiniteIndex() == nil, "\(label): \(out.scalars)")
        for (index, value) in expected.enumerated() {
            #expect(abs(Double(out[flat: index]) - value) <= 1e-5 * max(1, abs(value)), "\(label)[\(index)] = \(out[flat: index]), expected \(value)")
        }
    }

    @Test(arguments: [false, true])
    func layerNormNearFloatLimitsIsFiniteAndRight(reference: Bool) throws {
        let x = try Tensor<Float>(shape: [4, 6], scalars: Self.extremeRows.flatMap { $0 })
        let gamma = try Tensor<Float>(shape: [6], repeating: 1), beta = try Tensor<Float>(shape: [6])
        let (out, cache) = reference
            ? try LayerNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: .init())
            : try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: .init(), scheduler: Self.scheduler)
        Self.expectMatches(out, Self.normalized(x.scalars, groupSize: 6), "layer norm")
        let dout = try TestData.uniform([4, 6], seed: 7, as: Float.self)
        let g = reference ? try LayerNorm.Reference.backward(dout: dout, cache: cache)
                          : try LayerNorm.backward(dout: dout, cache: cache, scheduler: Self.scheduler)
        #expect(Self.allFinite(g.dx, g.dgamma, g.dbeta))
    }

    @Test(arguments: [false, true])
    func groupNormNearFloatLimitsIsFiniteAndRight(reference: Bool) throws {
        // (4, 2, 1, 3) with 2 groups: each row of `extremeRows` holds one image's two groups.
        let x = try Tensor<Float>(shape: [4, 2, 1, 3], scalars: Self.extremeRows.flatMap { $0 })
        let gamma = try Tensor<Float>(shape: [2], repeating: 1), beta = try Tensor<Float>(shape: [2])
        let parameters = GroupNorm.Parameters(groups: 2)
        let (out, cache) = reference
            ? try GroupNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters)
            : try GroupNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, scheduler: Self.scheduler)
        Self.expectMatches(out, Self.normalized(x.scalars, groupSize: 3), "group norm")
        let dout = try TestData.uniform(x.shape, seed: 8, as: Float.self)
        let g = reference ? try GroupNorm.Reference.backward(dout: dout, cache: cache)
                          : try GroupNorm.backward(dout: dout, cache: cache, scheduler: Self.scheduler)
        #expect(Self.allFinite(g.dx, g.dgamma, g.dbeta))
    }

    // MARK: Max pool: ties, −∞ and NaN, in Double (MaxPoolTests covers Float)

    @Test(arguments: [false, true])
    func maxPoolRuleHoldsInDouble(reference: Bool) throws {
        // Four 2×2 windows: a tie of 5s, all −∞, a NaN after a 9, and −∞ beside −7.
        let inf = Double.infinity, nan = Double.nan
        let top: [Double] = [1, 5, -inf, -inf, 9, nan, -inf, -8]
        let bottom: [Double] = [5, 5, -inf, -inf, nan, 9, -7, -inf]
        let x = try Tensor<Double>(shape: [1, 1, 2, 8], scalars: top + bottom)
        let parameters = MaxPool.Parameters()
        let out = reference ? try MaxPool.Reference.forward(x: x, parameters: parameters)
                            : try MaxPool.forward(x: x, parameters: parameters, scheduler: Self.scheduler)
        #expect(out[0, 0, 0, 0] == 5 && out[0, 0, 0, 1] == -.infinity && out[0, 0, 0, 2].isNaN && out[0, 0, 0, 3] == -7)
        let dout = try Tensor<Double>(shape: [1, 1, 1, 4], scalars: [1, 2, 3, 4])
        let dx = reference ? try MaxPool.Reference.backward(dout: dout, x: x, parameters: parameters)
                           : try MaxPool.backward(dout: dout, x: x, parameters: parameters, scheduler: Self.scheduler)
        // Ties: the first maximum in row-major order; −∞ window: its first element; NaN: the first NaN.
        let expected: [Double] = [0, 1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0]
        #expect(dx.scalars == expected)
    }
}

extension NumericalEdgeCaseTests {
    /// ReLU is NumPy's `np.maximum(0, x)`: NaN propagates (it used to become 0), ±∞ and −0 as
    /// the formula says; its gradient is 0 at NaN. Checked past 16 elements for the vector loop.
    @Test(arguments: [false, true])
    func reluPropagatesNaN(reference: Bool) throws {
        let special: [Float] = [.nan, .infinity, -.infinity, -0.0, 0, 2, -2]
        let values = Array(repeating: special, count: 3).flatMap { $0 }
        let x = try Tensor<Float>(shape: [values.count], scalars: values)
        let out = reference ? try ReLU.Reference.forward(x) : try ReLU.forward(x, scheduler: Self.scheduler)
        let dx = reference ? try ReLU.Reference.backward(dout: Tensor(shape: x.shape, repeating: 1), x: x)
                           : try ReLU.backward(dout: Tensor(shape: x.shape, repeating: 1), x: x, scheduler: Self.scheduler)
        for (index, value) in values.enumerated() {
            let result = out[flat: index]
            switch index % special.count {
            case 0: #expect(result.isNaN && dx[flat: index] == 0)
            case 1: #expect(result == .infinity && dx[flat: index] == 1)
            case 5: #expect(result == 2 && dx[flat: index] == 1)
            default: #expect(result == 0 && result.sign == .plus && dx[flat: index] == 0, "relu(\(value)) = \(result)")
            }
        }
    }
}
