/// Max pooling over the spatial dimensions of an NCHW tensor (seed: `max_pool_forward_naive`,
/// `max_pool_backward_naive`). No padding.
///
/// - forward: `x` (N, C, H, W) → `out` (N, C, H', W'), `H' = 1 + (H − poolHeight) / stride`,
///   `W' = 1 + (W − poolWidth) / stride`, both rounded down (PyTorch's rule, CS231n's `//`);
///   `out[n, c, i, j]` is the maximum of the window
///   `x[n, c, i·stride ..< i·stride + poolHeight, j·stride ..< j·stride + poolWidth]`.
///   When the stride does not divide `H − poolHeight`, the last rows lie in no window (likewise
///   columns): they do not affect the output and get zero gradient.
/// - backward: `dx` (N, C, H, W); each window's `dout` goes to the FIRST maximum of the window
///   in row-major order (ties go to the earliest element); elements that are no window's
///   maximum get 0. Overlapping windows (stride < pool size) add their gradients.
/// - NaN propagates: a window that contains NaN outputs NaN, and its gradient goes to the
///   window's first NaN. −∞ is an ordinary value: a window of −∞ outputs −∞ and its gradient
///   goes to its first element.
///
/// So the output is always an element of its window, and `forward`/`backward` give the same
/// bits as `MaxPool.Reference` (they visit the same elements in the same order).
///
/// The tiled kernels cut the N·C planes (and, when a plane is large, its output rows) into
/// tiles. Inner loops run over 16 output columns at a time (contiguous loads for stride 1,
/// even/odd splits of 32 columns for stride 2, gathers for larger strides); the common 2×2
/// stride-2 backward writes whole interleaved rows of `dx` without a scatter. Planes tiled
/// exactly by 2 × 2 windows whose rows hold 16, 8 or 4 windows (32 × 32, 16 × 16 and 8 × 8
/// planes) take 1, 2 or 4 output rows as one vector of 16 windows, their input rows read and
/// written as whole vectors (`rowsPerGroup`). The other windows of rows narrower than 16, and
/// the last (row length mod 16) of longer ones, go through scalar loops of selects, not
/// branches (whose data-dependent outcomes mispredict), four windows' chains interleaved, the
/// last one to three of a row with the three before them: a 16-lane gather for a few windows
/// cost more (an 8 × 8 plane's 2 × 2 backward took twice as long).
///
/// Inputs are not scanned; the NaN and −∞ rule above is tested for the tiled kernels and the
/// reference in Float and Double.
public enum MaxPool {
    /// The layer's name in errors and on the command line.
    public static let name = "maxpool"

    /// CS231n's `pool_param`: the window and stride.
    public typealias Parameters = PoolingWindow

    /// The validated sizes of one call.
    typealias Geometry = PoolingGeometry

    /// Tiled forward. `x`: (N, C, H, W). Returns `out`: (N, C, H', W').
    /// - Throws: `TesselError.shapeMismatch` when `x` is not rank 4; `TesselError.invalidParameter`
    ///   for a pool size or stride below 1, or a window larger than the input.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TesselScalar>(x: Tensor<T>, parameters: Parameters,
                                                scheduler: Scheduler = .default) throws -> Tensor<T> {
        let g = try Geometry(x: x.shape, window: parameters, layer: name)
        return try g.forward(x, scheduler: scheduler) { forwardRows($2, $0, $1, $3) }
    }

    /// Tiled backward. `dout`: (N, C, H', W') for `x`: (N, C, H, W). Returns `dx` shaped like `x`.
    /// - Throws: as `forward`, and `TesselError.shapeMismatch` when `dout` is not (N, C, H', W').
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, parameters: Parameters,
                                                 scheduler: Scheduler = .default) throws -> Tensor<T> {
        let g = try Geometry(x: x.shape, dout: dout, window: parameters, layer: name)
        var dx = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
        // Overlapping windows share rows of dx, so a tile must then own whole planes.
        let tiling = g.tiling(elementsPerTile: scheduler.tiles.elementsPerTile, wholePlanes: g.stride < g.poolHeight)
        withBaseAddresses(x, dout) { x, dout in
            dx.withUnsafeMutableBufferPointer { dxs in
                let dx = dxs.baseAddress!
                scheduler.forEachTile(tiling, workPerTile: g.work(of: tiling)) { tile in
                    g.forEachPlaneRun(of: tile) { plane, geometry, rows in
                        let offset = plane * g.height * g.width
                        backwardRows(rows, x + offset, dout + plane * g.outHeight * g.outWidth, dx + offset, geometry)
                    }
                }
            }
        }
        return dx
    }

    /// The output shape (N, C, H', W') for an input of shape `x`, checked as `forward` checks it.
    /// - Throws: as `forward`.
    public static func outputShape(x: [Int], parameters: Parameters) throws -> [Int] {
        try Geometry(x: x, window: parameters, layer: name).outputShape
    }
}
