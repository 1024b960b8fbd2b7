import Testing
@testable import Tessel
import TesselTestSupport

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
/// otherwise (odd sizes, so tile edges fall elsewhere) and writes every output it can with
/// streaming stores (`streamingOutputBytes` 1).
let determinismTileSettings: [TileSettings] = [
    TileSettings(elementsPerTile: 7, gemmRowBlock: 5, gemmColumnBlock: 3),
    TileSettings(elementsPerTile: 61, gemmRowBlock: 13, gemmColumnBlock: 17, streamingOutputBytes: 1),
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
