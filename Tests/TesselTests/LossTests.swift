import Testing
@testable import Tessel
import TesselTestSupport

/// A loss under test: its tiled and its reference entry points.
struct LossFunction: Sendable, CustomStringConvertible {
    let name: String
    let tiled: @Sendable (Tensor<Double>, [Int], Scheduler) throws -> LossOutput<Double>
    let tiledSingle: @Sendable (Tensor<Float>, [Int], Scheduler) throws -> LossOutput<Float>
    let reference: @Sendable (Tensor<Double>, [Int]) throws -> LossOutput<Double>
    let referenceSingle: @Sendable (Tensor<Float>, [Int]) throws -> LossOutput<Float>
    var description: String { name }

    static let svm = LossFunction(
        name: "svm_loss",
        tiled: { try SVMLoss.compute(x: $0, y: $1, scheduler: $2) }, tiledSingle: { try SVMLoss.compute(x: $0, y: $1, scheduler: $2) },
        reference: { try SVMLoss.Reference.compute(x: $0, y: $1) }, referenceSingle: { try SVMLoss.Reference.compute(x: $0, y: $1) })
    static let softmax = LossFunction(
        name: "softmax_loss",
        tiled: { try SoftmaxLoss.compute(x: $0, y: $1, scheduler: $2) }, tiledSingle: { try SoftmaxLoss.compute(x: $0, y: $1, scheduler: $2) },
        reference: { try SoftmaxLoss.Reference.compute(x: $0, y: $1) }, referenceSingle: { try SoftmaxLoss.Reference.compute(x: $0, y: $1) })
    static let both = [svm, softmax]
}

@Suite struct LossTests {
    static func labels(_ count: Int, classes: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Int.random(in: 0..<classes, using: &generator) }
    }

    /// CS231n's sanity check: for tiny random scores, softmax ≈ log C and SVM ≈ C − 1.
    @Test func smallScoresGiveTheKnownLosses() throws {
        let x = try TestData.normal([50, 10], scale: 0.001, seed: 1, as: Double.self)
        let y = Self.labels(50, classes: 10, seed: 2)
        let single = try x.converted(to: Float.self)
        for loss in [try SoftmaxLoss.compute(x: x, y: y).loss, try SoftmaxLoss.Reference.compute(x: x, y: y).loss,
                     Double(try SoftmaxLoss.compute(x: single, y: y).loss)] {
            #expect(abs(loss - Double.log(10)) < 0.05)
        }
        for loss in [try SVMLoss.compute(x: x, y: y).loss, try SVMLoss.Reference.compute(x: x, y: y).loss,
                     Double(try SVMLoss.compute(x: single, y: y).loss)] {
            #expect(abs(loss - 9) < 0.05)
        }
    }

    @Test(arguments: LossFunction.both, [[7, 11], [3, 37]])
    func gradientCheck(loss: LossFunction, shape: [Int]) throws {
        let x = try TestData.normal(shape, seed: 3, as: Double.self)
        let y = Self.labels(shape[0], classes: shape[1], seed: 4)
        let numeric = try numericalGradient({ try loss.reference($0, y).loss }, at: x)
        #expect(maxRelativeError(try loss.reference(x, y).dx, numeric) < 1e-7)
        #expect(maxRelativeError(try loss.tiled(x, y, .default).dx, numeric) < 1e-7)
    }

    /// Odd shapes: one row, one class, vector chunks with tails, and (70, 500) which has
    /// three row chunks.
    @Test(arguments: LossFunction.both, [[1, 1], [1, 7], [7, 13], [3, 37], [5, 16], [70, 500]])
    func tiledMatchesReference(loss: LossFunction, shape: [Int]) throws {
        let x = try TestData.normal(shape, scale: 3, seed: 5, as: Double.self)
        let y = Self.labels(shape[0], classes: shape[1], seed: 6)
        let reference = try loss.reference(x, y), tiled = try loss.tiled(x, y, .default)
        #expect(normwiseRelativeError(tiled.dx, reference.dx) <= 1e-12)
        #expect(abs(tiled.loss - reference.loss) <= 1e-12 * max(abs(reference.loss), 1e-300) || tiled.loss == reference.loss)

        let single = try x.converted(to: Float.self)
        let referenceSingle = try loss.referenceSingle(single, y), tiledSingle = try loss.tiledSingle(single, y, .default)
        #expect(normwiseRelativeError(tiledSingle.dx, referenceSingle.dx) <= 1e-5)
        #expect(abs(Double(tiledSingle.loss) - Double(referenceSingle.loss)) <= 1e-5 * abs(Double(referenceSingle.loss))
                || tiledSingle.loss == referenceSingle.loss)

        // The same bits for every worker count and tile setting.
        let schedulers = determinismSchedulers
        for scheduler in schedulers {
            let again = try loss.tiled(x, y, scheduler), againSingle = try loss.tiledSingle(single, y, scheduler)
            #expect(again.loss.bitPattern == tiled.loss.bitPattern && again.dx.isBitwiseEqual(to: tiled.dx))
            #expect(againSingle.loss.bitPattern == tiledSingle.loss.bitPattern && againSingle.dx.isBitwiseEqual(to: tiledSingle.dx))
        }
    }

    /// Shifting by the row maximum: logits of ±10⁴ give finite, correct values.
    @Test func softmaxIsStableForHugeLogits() throws {
        var x = try Tensor<Float>(shape: [2, 20], repeating: 0)
        x[0, 0] = 10_000
        x[0, 1] = -10_000
        x[1, 17] = 10_000
        x[1, 18] = -10_000
        // Row 0 picks its largest score (log-prob ≈ 0), row 1 a score 10⁴ below its maximum.
        let y = [0, 3]
        for output in [try SoftmaxLoss.compute(x: x, y: y), try SoftmaxLoss.Reference.compute(x: x, y: y)] {
            #expect(output.loss == 5_000)
            #expect(output.dx.scalars.allSatisfy { $0.isFinite })
            #expect(abs(output.dx[1, 17] - 0.5) < 1e-6 && abs(output.dx[1, 3] + 0.5) < 1e-6)
            #expect(abs(output.dx[0, 0]) < 1e-6)
        }
    }

    /// Rows whose scores span just under, at and beyond the range of the exp's fast path
    /// (`VectorMath.normalRange` below the row maximum), where the kernel decides per row
    /// whether every vector may skip its range check: the reference's values, to the relative
    /// error that Float rounding of scores 86 below the maximum gives the reference (≈ 86 · 2⁻²⁴).
    @Test func softmaxRowsAroundTheFastExpRange() throws {
        let gaps: [Float] = [-85.9, -86, -86.1, -90, -103, -120]
        let classes = 37
        var x = try Tensor<Float>(shape: [gaps.count, classes], repeating: 0)
        for (i, gap) in gaps.enumerated() {
            for k in 1..<classes { x[i, k] = gap * Float(k) / Float(classes - 1) }
        }
        let y = gaps.indices.map { $0 * 5 % classes }
        let tiled = try SoftmaxLoss.compute(x: x, y: y), reference = try SoftmaxLoss.Reference.compute(x: x, y: y)
        #expect(abs(tiled.loss - reference.loss) <= 1e-6 * reference.loss)
        for (a, b) in zip(tiled.dx.scalars, reference.dx.scalars) {
            #expect(abs(a - b) <= 2e-5 * abs(b) + 1e-38, "tiled \(a), reference \(b)")
        }
    }

    @Test(arguments: LossFunction.both)
    func nanScoreGivesNanLoss(loss: LossFunction) throws {
        for classes in [5, 21] {
            var x = try TestData.normal([3, classes], seed: 7, as: Float.self)
            x[1, 2] = .nan
            let y = [0, 4, 1]
            #expect(try loss.tiledSingle(x, y, .default).loss.isNaN)
            #expect(try loss.referenceSingle(x, y).loss.isNaN)
        }
    }

    /// The softmax row scan's vector max (`rowExtremes`) keeps the bits of the first-maximum
    /// scan (`firstExtremes`) on rows with tied zeros of both signs, NaNs of different payloads
    /// in a block, in the overlapping last vector and in the tail, infinities and −∞ rows.
    @Test(arguments: [16, 21, 37, 64, 1000])
    func softmaxRowScanKeepsTheFirstMaximum(classes: Int) throws {
        let random = try TestData.normal([classes], seed: 9, as: Float.self).scalars
        let negative = random.map { -abs($0) - 1 }
        var rows: [[Float]] = [random, negative, [Float](repeating: -.infinity, count: classes),
                               [Float](repeating: 0, count: classes), [Float](repeating: -0.0, count: classes)]
        for position in Set([0, 3, 15, 16, classes / 2, classes - 16, classes - 2, classes - 1]) where position < classes {
            var zeros = negative
            zeros[position] = -0.0
            zeros[classes - 1 - position] = 0
            rows.append(zeros)
            var nans = random
            nans[position] = Float(nan: 1, signaling: false)
            nans[classes - 1 - position] = Float(nan: 2, signaling: false)
            rows.append(nans)
            var infinite = random
            infinite[position] = .infinity
            rows.append(infinite)
        }
        for row in rows {
            row.withUnsafeBufferPointer { row in
                let fast = SoftmaxLoss.rowExtremes(row.baseAddress!, classes: classes)
                let first = SoftmaxLoss.firstExtremes(row.baseAddress!, classes: classes)
                #expect(fast.maximum.bitPattern == first.maximum.bitPattern, "\(Array(row))")
                #expect(fast.minimum == first.minimum || first.maximum.isNaN)
            }
        }
    }

    /// The exp pass's tail, loaded as one vector reaching into the next row, gives the bits of
    /// the tail gathered lane by lane (the last row's way), whatever the next row holds.
    @Test(arguments: [5, 16, 21, 37, 1000])
    func softmaxTailVectorGivesTheGatheredBits(classes: Int) throws {
        var x = try TestData.normal([classes + 16], scale: 4, seed: 10, as: Float.self).scalars
        x[classes] = .nan
        if classes + 2 < x.count { x[classes + 2] = .infinity }
        let shift = x[..<classes].max()!
        for inNormalRange in [true, false] {
            var vector = [Float](repeating: 7, count: classes), gathered = vector
            let sums = x.withUnsafeBufferPointer { x in
                (SoftmaxLoss.exponentials(x.baseAddress!, &vector, count: classes, readable: x.count, shift: shift,
                                          inNormalRange: inNormalRange, prefetching: 0),
                 SoftmaxLoss.exponentials(x.baseAddress!, &gathered, count: classes, readable: classes, shift: shift,
                                          inNormalRange: inNormalRange, prefetching: 0))
            }
            #expect(sums.0.bitPattern == sums.1.bitPattern)
            #expect(vector.map(\.bitPattern) == gathered.map(\.bitPattern))
        }
    }

    /// NumPy sets the label's margin to 0 after computing it, so a +∞ label score gives a
    /// 0 loss rather than NaN (∞ − ∞) — in the vector path and in the scalar tail.
    @Test func svmIgnoresTheLabelsOwnMargin() throws {
        for label in [3, 18] {
            var x = try TestData.normal([1, 20], seed: 8, as: Float.self)
            x[0, label] = .infinity
            for output in [try SVMLoss.compute(x: x, y: [label]), try SVMLoss.Reference.compute(x: x, y: [label])] {
                #expect(output.loss == 0)
                #expect(output.dx.scalars.allSatisfy { $0 == 0 })
            }
        }
    }

    @Test(arguments: LossFunction.both)
    func rejectsBadInput(loss: LossFunction) throws {
        let layer = loss.name
        let cases: [([Int], [Int], TesselError)] = [
            ([6], [0], .shapeMismatch(component: layer, argument: "x", expected: "(N, C) with N ≥ 1", actual: [6])),
            ([2, 3, 4], [0, 0], .shapeMismatch(component: layer, argument: "x", expected: "(N, C) with N ≥ 1", actual: [2, 3, 4])),
            ([0, 3], [], .shapeMismatch(component: layer, argument: "x", expected: "(N, C) with N ≥ 1", actual: [0, 3])),
            ([2, 3], [0], .shapeMismatch(component: layer, argument: "y", expected: "(N,) = (2,), one label per row of x", actual: [1])),
            ([2, 3], [0, 1, 2], .shapeMismatch(component: layer, argument: "y", expected: "(N,) = (2,), one label per row of x", actual: [3])),
            ([2, 3], [0, 3], .invalidParameter(component: layer, parameter: "y[1]", value: "3",
                                               reason: "a label must be in 0..<3 for x of shape (2, 3)")),
            ([2, 3], [-1, 0], .invalidParameter(component: layer, parameter: "y[0]", value: "-1",
                                                reason: "a label must be in 0..<3 for x of shape (2, 3)")),
        ]
        for (shape, y, error) in cases {
            let x = try Tensor<Double>(shape: shape)
            #expect(throws: error) { try loss.tiled(x, y, .default) }
            #expect(throws: error) { try loss.reference(x, y) }
        }
    }
}
