import Testing
@testable import Tessel
import TesselTestSupport

/// Gradient-check cases of every pooling layer: input shape and window (2×2 stride 2,
/// overlapping 3×3, 3×3 stride 2 with a row and column left out, 1×2).
let poolingGradientCases: [([Int], PoolingWindow)] = [
    ([2, 3, 4, 6], PoolingWindow()),
    ([1, 2, 5, 5], PoolingWindow(poolHeight: 3, poolWidth: 3, stride: 1)),
    ([2, 1, 5, 7], PoolingWindow(poolHeight: 3, poolWidth: 3, stride: 2)),
    ([1, 2, 5, 6], PoolingWindow(poolHeight: 1, poolWidth: 2, stride: 2)),
]

/// Odd shapes every pooling layer's tiled kernels are checked on: N = 1, prime sizes,
/// overlapping windows, strides with gaps, rows and columns past the last window.
let poolingOddCases: [([Int], PoolingWindow)] = [
    ([1, 3, 6, 34], PoolingWindow()),
    ([2, 3, 8, 8], PoolingWindow()),
    ([7, 5, 5, 9], PoolingWindow(poolHeight: 3, poolWidth: 3, stride: 2)),
    ([1, 2, 4, 20], PoolingWindow(poolHeight: 2, poolWidth: 3, stride: 1)),
    ([3, 2, 5, 34], PoolingWindow(poolHeight: 1, poolWidth: 2, stride: 2)),
    ([1, 1, 7, 35], PoolingWindow(poolHeight: 3, poolWidth: 3, stride: 4)),
    ([1, 7, 3, 3], PoolingWindow(poolHeight: 3, poolWidth: 3, stride: 1)),
]

/// Checks the backward of `Kind`'s layer, reference and tiled (default scheduler), against the
/// numerical gradient of its reference forward at `x`, for an upstream gradient drawn from a
/// normal distribution (seed 12): `error(analytic, numeric) < tolerance` for both.
func checkPoolingGradient<Kind: PoolingKind>(_: Kind.Type, at x: Tensor<Double>, _ window: PoolingWindow,
                                             error: (Tensor<Double>, Tensor<Double>) -> Double, below tolerance: Double,
                                             sourceLocation: SourceLocation = #_sourceLocation) throws {
    let out = try Kind.forward(x, window, backend: .reference)
    let dout = try TestData.normal(out.shape, seed: 12, as: Double.self)
    let numeric = try numericalGradient({ try Kind.forward($0, window, backend: .reference) }, at: x, dout: dout)
    for backend in [Backend.reference, .tiled(.default)] {
        let dx = try Kind.backward(dout, saved: Kind.saved(x), window, backend: backend)
        #expect(error(dx, numeric) < tolerance, "\(backend)", sourceLocation: sourceLocation)
    }
}

/// Compares the tiled forward and backward of `Kind`'s layer on every `determinismSchedulers`
/// scheduler and two of larger tiles with its reference, bit for bit, for `x` and an upstream
/// gradient drawn from a normal distribution (seed 23). Returns the `determinismSchedulers` it used.
@discardableResult
func checkPoolingTiledMatchesReference<Kind: PoolingKind, T: TesselScalar>(_: Kind.Type, _ x: Tensor<T>, _ window: PoolingWindow,
                                                                          sourceLocation: SourceLocation = #_sourceLocation) throws -> [Scheduler] {
    let out = try Kind.forward(x, window, backend: .reference)
    let dout = try TestData.normal(out.shape, seed: 23, as: T.self)
    let dx = try Kind.backward(dout, saved: Kind.saved(x), window, backend: .reference)
    // Besides the determinism settings (tiles of a row or a few), the default tiles and tiles of
    // 96 elements, whose whole planes and blocks of several rows reach the grouped row paths.
    let schedulers = determinismSchedulers
    let largerTiles = [TileSettings(), TileSettings(elementsPerTile: 96)].map { try! Scheduler(workers: 3, grainSize: 0, tiles: $0) }
    for scheduler in schedulers + largerTiles {
        let backend = Backend.tiled(scheduler)
        #expect(try Kind.forward(x, window, backend: backend).isBitwiseEqual(to: out),
                "\(scheduler.workers) workers, \(scheduler.tiles)", sourceLocation: sourceLocation)
        #expect(try Kind.backward(dout, saved: Kind.saved(x), window, backend: backend).isBitwiseEqual(to: dx),
                "\(scheduler.workers) workers, \(scheduler.tiles)", sourceLocation: sourceLocation)
    }
    return schedulers
}

/// `checkPoolingTiledMatchesReference` for inputs of `shape` drawn from a normal distribution,
/// in Float (seed 21) and in Double (seed 22).
func checkPoolingTiledMatchesReference<Kind: PoolingKind>(_ kind: Kind.Type, shape: [Int], _ window: PoolingWindow,
                                                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    try checkPoolingTiledMatchesReference(kind, try TestData.normal(shape, seed: 21, as: Float.self), window, sourceLocation: sourceLocation)
    try checkPoolingTiledMatchesReference(kind, try TestData.normal(shape, seed: 22, as: Double.self), window, sourceLocation: sourceLocation)
}
