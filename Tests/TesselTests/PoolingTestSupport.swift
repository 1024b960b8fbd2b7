import Testing
@testable import Tessel
import TesselTestSupport

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
/// scheduler with its reference, bit for bit, for `x` and an upstream gradient drawn from a
/// normal distribution (seed 23). Returns the schedulers.
@discardableResult
func checkPoolingTiledMatchesReference<Kind: PoolingKind, T: TesselScalar>(_: Kind.Type, _ x: Tensor<T>, _ window: PoolingWindow,
                                                                          sourceLocation: SourceLocation = #_sourceLocation) throws -> [Scheduler] {
    let out = try Kind.forward(x, window, backend: .reference)
    let dout = try TestData.normal(out.shape, seed: 23, as: T.self)
    let dx = try Kind.backward(dout, saved: Kind.saved(x), window, backend: .reference)
    let schedulers = determinismSchedulers
    for scheduler in schedulers {
        let backend = Backend.tiled(scheduler)
        #expect(try Kind.forward(x, window, backend: backend).isBitwiseEqual(to: out),
                "\(scheduler.workers) workers, \(scheduler.tiles)", sourceLocation: sourceLocation)
        #expect(try Kind.backward(dout, saved: Kind.saved(x), window, backend: backend).isBitwiseEqual(to: dx),
                "\(scheduler.workers) workers, \(scheduler.tiles)", sourceLocation: sourceLocation)
    }
    return schedulers
}
