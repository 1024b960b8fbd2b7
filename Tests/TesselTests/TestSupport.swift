import Testing
@testable import Tessel

/// A small, seeded generator (SplitMix64) so every test input is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum TestData {
    /// Uniform values in `range`, reproducible from `seed`.
    static func uniform<T: TesselScalar>(_ shape: [Int], in range: ClosedRange<Double> = -1...1,
                                         seed: UInt64 = 1, as _: T.Type = T.self) throws -> Tensor<T> {
        var generator = SeededGenerator(seed: seed)
        let count = try Shape.elementCount(shape)
        return try Tensor(shape: shape, scalars: (0..<count).map { _ in T(Double.random(in: range, using: &generator)) })
    }

    /// Standard normal values (Box–Muller), reproducible from `seed`.
    static func normal<T: TesselScalar>(_ shape: [Int], scale: Double = 1, mean: Double = 0, seed: UInt64 = 1,
                                        as _: T.Type = T.self) throws -> Tensor<T> {
        var generator = SeededGenerator(seed: seed)
        let count = try Shape.elementCount(shape)
        let values = (0..<count).map { _ -> T in
            let u1 = Double.random(in: Double.ulpOfOne...1, using: &generator)
            let u2 = Double.random(in: 0...1, using: &generator)
            return T(mean + scale * (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * .pi * u2))
        }
        return try Tensor(shape: shape, scalars: values)
    }

    /// NumPy's `linspace(a, b, count).reshape(shape)` (both ends included).
    static func linspace<T: TesselScalar>(_ a: Double, _ b: Double, shape: [Int], as _: T.Type = T.self) throws -> Tensor<T> {
        let count = try Shape.elementCount(shape)
        let step = count > 1 ? (b - a) / Double(count - 1) : 0
        return try Tensor(shape: shape, scalars: (0..<count).map { T(a + Double($0) * step) })
    }
}

/// CS231n's `rel_error`: max over elements of |a − b| / max(1e-8, |a| + |b|); infinity when
/// an element's error is not a number (a NaN on either side, or the same infinity on both), as
/// `Network.check` counts it, so that a comparison `< tolerance` fails. Swift's `max(worst, .nan)`
/// keeps `worst`: a plain maximum would pass all-NaN results.
func maxRelativeError<T: TesselScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
    precondition(a.shape == b.shape, "shapes differ: \(a.shape) vs \(b.shape)")
    var worst = 0.0
    for i in 0..<a.count {
        let x = Double(a[flat: i]), y = Double(b[flat: i])
        let error = abs(x - y) / max(1e-8, abs(x) + abs(y))
        if !(error <= worst) { worst = error.isNaN ? .infinity : error }
    }
    return worst
}

/// Normwise relative error ‖a − b‖₂ / max(‖b‖₂, tiny).
func normwiseRelativeError<T: TesselScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
    precondition(a.shape == b.shape, "shapes differ: \(a.shape) vs \(b.shape)")
    var difference = 0.0, norm = 0.0
    for i in 0..<a.count {
        let x = Double(a[flat: i]), y = Double(b[flat: i])
        difference += (x - y) * (x - y)
        norm += y * y
    }
    return difference.squareRoot() / max(norm.squareRoot(), 1e-300)
}

/// Central-difference gradient of `sum(f(x) * dout)` with respect to `x` (CS231n's
/// `eval_numerical_gradient_array`), in Float64.
func numericalGradient(_ f: (Tensor<Double>) throws -> Tensor<Double>, at x: Tensor<Double>,
                       dout: Tensor<Double>, h: Double = 1e-5) rethrows -> Tensor<Double> {
    var gradient = try! Tensor<Double>(shape: x.shape)
    var probe = x
    for i in 0..<x.count {
        let original = probe[flat: i]
        probe[flat: i] = original + h
        let plus = try f(probe)
        probe[flat: i] = original - h
        let minus = try f(probe)
        probe[flat: i] = original
        var sum = 0.0
        for j in 0..<plus.count { sum += (plus[flat: j] - minus[flat: j]) * dout[flat: j] }
        gradient[flat: i] = sum / (2 * h)
    }
    return gradient
}

/// Central-difference gradient of a scalar function (for the losses).
func numericalGradient(_ f: (Tensor<Double>) throws -> Double, at x: Tensor<Double>, h: Double = 1e-5) rethrows -> Tensor<Double> {
    var gradient = try! Tensor<Double>(shape: x.shape)
    var probe = x
    for i in 0..<x.count {
        let original = probe[flat: i]
        probe[flat: i] = original + h
        let plus = try f(probe)
        probe[flat: i] = original - h
        let minus = try f(probe)
        probe[flat: i] = original
        gradient[flat: i] = (plus - minus) / (2 * h)
    }
    return gradient
}

/// Two settings of the non-reduced tile sizes for the worker-count tests: the first cuts even
/// the smallest test shapes into several tiles per worker at 8 workers, the second cuts them
/// otherwise (odd sizes, so tile edges fall elsewhere).
let determinismTileSettings: [TileSettings] = [
    TileSettings(elementsPerTile: 7, gemmRowBlock: 5, gemmColumnBlock: 3),
    TileSettings(elementsPerTile: 61, gemmRowBlock: 13, gemmColumnBlock: 17),
]

/// Fresh schedulers with 1, 2, 3, 4 and 8 workers, each with both `determinismTileSettings`
/// and a grain of 0, each counting its calls (`expectRanInParallel`). On the per-layer suites'
/// odd shapes (N = 1, a single element) a call may still be one tile and run inline at every
/// worker count; `ParallelDeterminismTests` runs every layer where each count is parallel.
var determinismSchedulers: [Scheduler] {
    [1, 2, 3, 4, 8].flatMap { workers in
        determinismTileSettings.map { try! Scheduler(workers: workers, grainSize: 0, tiles: $0, tileCounter: TileCounter()) }
    }
}

/// Expects that `scheduler` (one of `determinismSchedulers`) ran at least one call on all its
/// workers with at least two tiles per worker, so that a worker-count test compared parallel
/// runs rather than one tile run serially at every count.
func expectRanInParallel(_ scheduler: Scheduler, sourceLocation: SourceLocation = #_sourceLocation) {
    let counter = scheduler.tileCounter!
    #expect(counter.callsWithSeveralTilesPerWorker > 0,
            "\(scheduler.workers) workers: \(counter.callCount) calls, at most \(counter.mostTilesInOneCall) tiles in one",
            sourceLocation: sourceLocation)
}
