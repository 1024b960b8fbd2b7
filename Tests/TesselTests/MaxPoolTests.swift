import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct MaxPoolTests {
    typealias Parameters = MaxPool.Parameters

    @Test func knownValues() throws {
        let x = try TestData.linspace(-0.3, 0.4, shape: [2, 3, 4, 4], as: Double.self)
        let expected: [Double] = [
            -0.26315789, -0.24842105, -0.20421053, -0.18947368, -0.14526316, -0.13052632, -0.08631579, -0.07157895,
            -0.02736842, -0.01263158, 0.03157895, 0.04631579,
            0.09052632, 0.10526316, 0.14947368, 0.16421053, 0.20842105, 0.22315789, 0.26736842, 0.28210526,
            0.32631579, 0.34105263, 0.38526316, 0.4,
        ]
        let expectedTensor = try Tensor(shape: [2, 3, 2, 2], scalars: expected)
        for out in [try MaxPool.forward(x: x, parameters: Parameters()), try MaxPool.Reference.forward(x: x, parameters: Parameters())] {
            #expect(out.shape == [2, 3, 2, 2])
            #expect(maxRelativeError(out, expectedTensor) < 1e-7)
        }
    }

    /// Distinct values at least 0.01 apart in random order, so that no window has a tie or a
    /// near-tie that a step of h = 1e-5 could reorder.
    static func distinctValues(_ shape: [Int], seed: UInt64) throws -> Tensor<Double> {
        let count = try Shape.elementCount(shape)
        var generator = SeededGenerator(seed: seed)
        return try Tensor(shape: shape, scalars: (0..<count).map { Double($0) * 0.01 - 1 }.shuffled(using: &generator))
    }

    @Test(arguments: poolingGradientCases)
    func gradientCheck(shape: [Int], parameters: Parameters) throws {
        try checkPoolingGradient(MaxPoolKind.self, at: try Self.distinctValues(shape, seed: 11), parameters, error: maxRelativeError, below: 1e-7)
    }

    /// The shared odd shapes, which reach every kernel path (vector chunks with scalar tails for
    /// stride 1 and 2, the 2×2 and 1×2 stride-2 backward), and a 3×3 stride-2 vector row with a tail.
    /// 10 × 8 and 14 × 16 planes take the narrow 2×2 path in groups of 4 and 2 output rows, with
    /// one row left over. The narrow rows at stride 2 (`MaxPool.takesNarrowRows`): 3×3 windows
    /// on 16 × 16 planes (7 × 7 windows, an odd number of rows), 2 × 3 on 9 × 15, 3 × 2 on
    /// 7 × 13, and 2 × 2 on 6 × 11 (windows that do not tile the columns), rows read past their
    /// end up to the plane's or the tile's last element.
    static let oddCases = poolingOddCases + [([2, 3, 5, 37], Parameters(poolHeight: 3, poolWidth: 3, stride: 2)),
                                             ([2, 3, 10, 8], Parameters()), ([3, 2, 14, 16], Parameters())]
        + narrowRowCases
    static let narrowRowCases: [([Int], Parameters)] = [
        ([3, 2, 16, 16], Parameters(poolHeight: 3, poolWidth: 3, stride: 2)),
        ([2, 3, 9, 15], Parameters(poolHeight: 2, poolWidth: 3, stride: 2)),
        ([2, 2, 7, 13], Parameters(poolHeight: 3, poolWidth: 2, stride: 2)),
        ([3, 1, 6, 11], Parameters()),
    ]

    @Test(arguments: oddCases)
    func tiledMatchesReferenceBitwise(shape: [Int], parameters: Parameters) throws {
        try checkPoolingTiledMatchesReference(MaxPoolKind.self, shape: shape, parameters)
    }

    /// Values from {0, 1, 2} make ties in most windows: the first maximum must win everywhere.
    @Test(arguments: oddCases)
    func tiesGoToTheFirstMaximum(shape: [Int], parameters: Parameters) throws {
        var generator = SeededGenerator(seed: 31)
        let count = try Shape.elementCount(shape)
        let x = try Tensor<Float>(shape: shape, scalars: (0..<count).map { _ in Float(Int.random(in: 0...2, using: &generator)) })
        try checkPoolingTiledMatchesReference(MaxPoolKind.self, x, parameters)
    }

    /// The grouped 2×2 paths (rows of 4 and 8 windows grouped into vectors, rows of 16 windows
    /// one group each) on NaN, −∞ and ties: the reference's bits, forward and backward.
    @Test(arguments: [[2, 3, 8, 8], [2, 2, 16, 16], [2, 3, 6, 32]])
    func rowGroupsKeepTheNaNAndTieRules(shape: [Int]) throws {
        var generator = SeededGenerator(seed: 41)
        let count = try Shape.elementCount(shape)
        let choices: [Float] = [0, 1, 2, .nan, -.infinity]
        let x = try Tensor<Float>(shape: shape, scalars: (0..<count).map { _ in choices[Int.random(in: 0..<5, using: &generator)] })
        try checkPoolingTiledMatchesReference(MaxPoolKind.self, x, Parameters())
    }

    /// The narrow rows on NaN, −∞ and ties: the reference's bits, forward and backward.
    @Test(arguments: narrowRowCases)
    func narrowRowsKeepTheNaNAndTieRules(shape: [Int], parameters: Parameters) throws {
        var generator = SeededGenerator(seed: 43)
        let count = try Shape.elementCount(shape)
        let choices: [Float] = [0, 1, 2, .nan, -.infinity]
        let x = try Tensor<Float>(shape: shape, scalars: (0..<count).map { _ in choices[Int.random(in: 0..<5, using: &generator)] })
        try checkPoolingTiledMatchesReference(MaxPoolKind.self, x, parameters)
    }

    @Test func tieExample() throws {
        let x = try Tensor<Double>(shape: [1, 1, 2, 4], scalars: [1, 5, 5, 2, 5, 3, 2, 2])
        let dout = try Tensor<Double>(shape: [1, 1, 1, 2], scalars: [10, 20])
        let expected = try Tensor<Double>(shape: [1, 1, 2, 4], scalars: [0, 10, 20, 0, 0, 0, 0, 0])
        #expect(try MaxPool.backward(dout: dout, x: x, parameters: Parameters()) == expected)
        #expect(try MaxPool.Reference.backward(dout: dout, x: x, parameters: Parameters()) == expected)
    }

    /// NaN propagates and takes the gradient at its first occurrence; −∞ is an ordinary value.
    /// Windows are planted at columns that the vector path (16 windows) and the scalar tail reach.
    @Test(arguments: [Parameters(), Parameters(poolHeight: 2, poolWidth: 2, stride: 1)])
    func nanAndInfinityRule(parameters: Parameters) throws {
        let width = 36, nan = Float.nan
        var x = try Tensor<Float>(shape: [1, 1, 2, width], repeating: 1)
        // Windows at output columns 1 (vector) and 17 (tail) for stride 2; 2 and 34 for stride 1.
        let starts = [2, 34]
        for start in starts {
            x[0, 0, 0, start] = 3
            x[0, 0, 0, start + 1] = nan
            x[0, 0, 1, start] = nan
        }
        // A window of −∞ (stride-2 output column 4 / stride-1 column 8).
        for (row, column) in [(0, 8), (0, 9), (1, 8), (1, 9)] { x[0, 0, row, column] = -.infinity }
        // −∞ next to a number (output column 6 / 12).
        x[0, 0, 0, 12] = -.infinity
        x[0, 0, 1, 13] = -2

        let out = try MaxPool.Reference.forward(x: x, parameters: parameters)
        let dout = try Tensor<Float>(shape: out.shape, repeating: 1)
        let dx = try MaxPool.Reference.backward(dout: dout, x: x, parameters: parameters)
        let s = parameters.stride
        for start in starts {
            #expect(out[0, 0, 0, start / s].isNaN)
            // Every window holding the NaN at (0, start + 1) first sends its gradient there.
            #expect(dx[0, 0, 0, start + 1] >= 1)
            // The NaN at (1, start) is the first NaN only of the stride-1 window that starts a
            // column earlier, which scans 1, 3, 1, NaN: it gets that window's gradient.
            #expect(dx[0, 0, 1, start] == (s == 1 ? 1 : 0))
            #expect(dx[0, 0, 0, start] == 0)
        }
        if s == 2 {
            #expect(out[0, 0, 0, 4] == -.infinity)
            #expect(dx[0, 0, 0, 8] == 1 && dx[0, 0, 0, 9] == 0 && dx[0, 0, 1, 8] == 0 && dx[0, 0, 1, 9] == 0)
            #expect(out[0, 0, 0, 6] == 1)
            #expect(dx[0, 0, 0, 13] == 1 && dx[0, 0, 0, 12] == 0)
        } else {
            #expect(out[0, 0, 0, 8] == -.infinity)
            #expect(dx[0, 0, 0, 8] == 1 && dx[0, 0, 0, 9] == 0 && dx[0, 0, 1, 8] == 0 && dx[0, 0, 1, 9] == 0)
        }
        try checkPoolingTiledMatchesReference(MaxPoolKind.self, x, parameters)
    }

    @Test func rejectsBadShapesAndParameters() throws {
        let x = try Tensor<Float>(shape: [2, 3, 4, 5])
        let cases: [([Int], Parameters, TesselError)] = [
            ([3, 4, 5], Parameters(), .shapeMismatch(component: "maxpool", argument: "x", expected: "rank 4 (N, C, H, W)", actual: [3, 4, 5])),
            ([2, 3, 4, 4], Parameters(poolHeight: 0),
             .invalidParameter(component: "maxpool", parameter: "poolHeight", value: "0", reason: "must be at least 1")),
            ([2, 3, 4, 4], Parameters(poolWidth: -1),
             .invalidParameter(component: "maxpool", parameter: "poolWidth", value: "-1", reason: "must be at least 1")),
            ([2, 3, 4, 4], Parameters(stride: 0),
             .invalidParameter(component: "maxpool", parameter: "stride", value: "0", reason: "must be at least 1")),
            ([2, 3, 4, 4], Parameters(poolHeight: 5, poolWidth: 2, stride: 1),
             .invalidParameter(component: "maxpool", parameter: "poolHeight", value: "5",
                               reason: "the window is larger than the input: H = 4 in x of shape (2, 3, 4, 4)")),
            ([2, 3, 4, 4], Parameters(poolHeight: 2, poolWidth: 6, stride: 1),
             .invalidParameter(component: "maxpool", parameter: "poolWidth", value: "6",
                               reason: "the window is larger than the input: W = 4 in x of shape (2, 3, 4, 4)")),
        ]
        for (shape, parameters, error) in cases {
            let x = try Tensor<Float>(shape: shape)
            let dout = try Tensor<Float>(shape: [1])
            #expect(throws: error) { try MaxPool.forward(x: x, parameters: parameters) }
            #expect(throws: error) { try MaxPool.Reference.forward(x: x, parameters: parameters) }
            #expect(throws: error) { try MaxPool.backward(dout: dout, x: x, parameters: parameters) }
            #expect(throws: error) { try MaxPool.Reference.backward(dout: dout, x: x, parameters: parameters) }
        }
        let wrong = try Tensor<Float>(shape: [2, 3, 2, 3])
        let mismatch = TesselError.shapeMismatch(component: "maxpool", argument: "dout", expected: "(N, C, H', W') = (2, 3, 2, 2)", actual: [2, 3, 2, 3])
        #expect(throws: mismatch) { try MaxPool.backward(dout: wrong, x: x, parameters: Parameters(poolHeight: 2, poolWidth: 3, stride: 2)) }
        #expect(throws: mismatch) {
            try MaxPool.Reference.backward(dout: wrong, x: x, parameters: Parameters(poolHeight: 2, poolWidth: 3, stride: 2))
        }
    }
}
