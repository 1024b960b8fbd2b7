/// Average pooling over the spatial dimensions of an NCHW tensor. No padding. A window as
/// large as the input (poolHeight = H, poolWidth = W) is global average pooling.
///
/// - forward: `x` (N, C, H, W) → `out` (N, C, H', W'), `H' = 1 + (H − poolHeight) / stride`,
///   `W' = 1 + (W − poolWidth) / stride`, rounded down as in `MaxPool`; `out[n, c, i, j]` is
///   the mean of the window
///   `x[n, c, i·stride ..< i·stride + poolHeight, j·stride ..< j·stride + poolWidth]`: its
///   elements summed in Double in row-major order, divided by poolHeight·poolWidth, rounded
///   to `T` once. Rows and columns past the last window do not affect the output.
/// - backward: `dx` (N, C, H, W); each window's `dout / (poolHeight·poolWidth)` (divided in
///   Double, rounded to `T`) is added to every element of the window, windows in row-major
///   order; elements in no window get 0. Overlapping windows (stride < pool size) add their
///   shares.
///
/// The tiled kernels cut the N·C planes (and, when a plane is large, its output rows) into
/// tiles, as `MaxPool` does; each output element (forward) and each plane's gradient
/// (backward) is computed with the operations of `AveragePool.Reference` in the same order,
/// so both give the same bits for any number of workers.
public enum AveragePool {
    /// The layer's name in errors, in config files and on the command line.
    public static let name = "avgpool"

    /// The window and stride, as max pooling's.
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
        return try g.forward(x, scheduler: scheduler) { input, output, rows, g in
            for i in rows { forwardRow(input + i * g.stride * g.width, output + i * g.outWidth, g) }
        }
    }

    /// Tiled backward. `dout`: (N, C, H', W') for an input `x` of shape `inputShape`
    /// (N, C, H, W). Returns `dx` of `inputShape`.
    /// - Throws: as `forward` for `inputShape`, and `TesselError.shapeMismatch` when `dout` is
    ///   not (N, C, H', W').
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, inputShape: [Int], parameters: Parameters,
                                                 scheduler: Scheduler = .default) throws -> Tensor<T> {
        let g = try Geometry(x: inputShape, dout: dout, window: parameters, layer: name)
        var dx = try Tensor<T>.uninitialized(shape: inputShape, allocator: scheduler.allocator)
        // Windows that overlap across output rows share rows of dx, so a tile then owns whole planes.
        let tiling = g.tiling(elementsPerTile: scheduler.tiles.elementsPerTile, wholePlanes: g.stride < g.poolHeight)
        dout.withUnsafeBufferPointer { douts in
            dx.withUnsafeMutableBufferPointer { dxs in
                let dout = douts.baseAddress!, dx = dxs.baseAddress!
                scheduler.forEachTile(tiling, workPerTile: g.work(of: tiling)) { tile in
                    for plane in tile.rows {
                        let gradient = dx + plane * g.height * g.width
                        let upstream = dout + plane * g.outHeight * g.outWidth
                        // The dx rows this tile owns: those of its windows, and after the last
                        // output row every row below it.
                        let firstRow = tile.columns.lowerBound * g.stride
                        let endRow = tile.columns.upperBound == g.outHeight ? g.height : tile.columns.upperBound * g.stride
                        (gradient + firstRow * g.width).initialize(repeating: 0, count: (endRow - firstRow) * g.width)
                        for i in tile.columns {
                            backwardRow(upstream + i * g.outWidth, gradient + i * g.stride * g.width, g)
                        }
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

    /// The number of elements of a window, the divisor of its mean.
    static func area(_ g: Geometry) -> Double { Double(g.poolHeight * g.poolWidth) }

    // MARK: - Inner loops

    /// One output row: the mean of each window whose top row starts at `top`.
    static func forwardRow<T: TesselScalar>(_ top: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ g: Geometry) {
        let divisor = area(g)
        for j in 0..<g.outWidth {
            let corner = top + j * g.stride
            var sum = 0.0
            for kh in 0..<g.poolHeight {
                let row = corner + kh * g.width
                for kw in 0..<g.poolWidth { sum += Double(row[kw]) }
            }
            out[j] = T(sum / divisor)
        }
    }

    /// One output row of the backward: adds each window's share of `dout[j]` to its elements
    /// of `dx` (which points at the windows' top row).
    static func backwardRow<T: TesselScalar>(_ dout: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, _ g: Geometry) {
        let divisor = area(g)
        for j in 0..<g.outWidth {
            let share = T(Double(dout[j]) / divisor)
            let corner = dx + j * g.stride
            for kh in 0..<g.poolHeight {
                let row = corner + kh * g.width
                for kw in 0..<g.poolWidth { row[kw] += share }
            }
        }
    }
}
