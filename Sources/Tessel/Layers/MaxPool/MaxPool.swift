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
/// even/odd splits of 32 columns for stride 2, gathers for larger strides and row tails); the
/// common 2×2 stride-2 backward writes whole interleaved rows of `dx` without a scatter.
/// Measured on (64, 64, 32, 32), 2×2 stride 2, one worker: 1.8 ms forward against 22 ms for
/// a scalar window loop (whose data-dependent branches mispredict).
///
/// Inputs are not scanned; the NaN and −∞ rule above is tested for the tiled kernels and the
/// reference in Float and Double.
public enum MaxPool {
    /// The layer's name in errors and on the command line.
    public static let name = "maxpool"

    /// The seed's `pool_param`: the window and stride.
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
        return try g.forward(x, scheduler: scheduler) { forwardRow($0, $1, g) }
    }

    /// Tiled backward. `dout`: (N, C, H', W') for `x`: (N, C, H, W). Returns `dx` shaped like `x`.
    /// - Throws: as `forward`, and `TesselError.shapeMismatch` when `dout` is not (N, C, H', W').
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, parameters: Parameters,
                                                 scheduler: Scheduler = .default) throws -> Tensor<T> {
        let g = try validateBackward(dout: dout, x: x, parameters: parameters)
        var dx = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
        // Overlapping windows share rows of dx, so a tile must then own whole planes.
        let tiling = g.tiling(elementsPerTile: scheduler.tiles.elementsPerTile, wholePlanes: g.stride < g.poolHeight)
        // The interleaved rows write every dx element of their windows' rows, so they need
        // windows that cover every column (and, for 2×2, every row).
        let interleaved = g.stride == 2 && g.poolWidth == 2 && g.poolHeight <= 2
            && g.width == 2 * g.outWidth && (g.poolHeight < 2 || g.height == 2 * g.outHeight)
        x.withUnsafeBufferPointer { xs in
            dout.withUnsafeBufferPointer { douts in
                dx.withUnsafeMutableBufferPointer { dxs in
                    let x = xs.baseAddress!, dout = douts.baseAddress!, dx = dxs.baseAddress!
                    scheduler.forEachTile(tiling, workPerTile: g.inputElements(of: tiling)) { tile in
                        for plane in tile.rows {
                            let offset = plane * g.height * g.width
                            let input = x + offset, gradient = dx + offset
                            let upstream = dout + plane * g.outHeight * g.outWidth
                            // The dx rows this tile owns: those of its windows, and after the last
                            // output row every row below it.
                            let firstRow = tile.columns.lowerBound * g.stride
                            let endRow = tile.columns.upperBound == g.outHeight ? g.height : tile.columns.upperBound * g.stride
                            if interleaved {
                                // 2×2 windows cover every row; 1×2 windows leave the odd rows to zero.
                                if g.poolHeight < 2 {
                                    (gradient + firstRow * g.width).initialize(repeating: 0, count: (endRow - firstRow) * g.width)
                                }
                                for i in tile.columns {
                                    backwardRow2x2(input + i * 2 * g.width, upstream + i * g.outWidth, gradient + i * 2 * g.width, g)
                                }
                            } else {
                                (gradient + firstRow * g.width).initialize(repeating: 0, count: (endRow - firstRow) * g.width)
                                for i in tile.columns {
                                    backwardRow(input + i * g.stride * g.width, upstream + i * g.outWidth,
                                                gradient + i * g.stride * g.width, g)
                                }
                            }
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

    static func validateBackward<T>(dout: Tensor<T>, x: Tensor<T>, parameters: Parameters) throws -> Geometry {
        let g = try Geometry(x: x.shape, window: parameters, layer: name)
        try g.checkUpstream(dout, layer: name)
        return g
    }

    // MARK: - Inner loops

    /// Whether the windows at output columns `j ..< j + lanes` can read their candidates as
    /// whole vectors: 16 lanes, stride 1 or 2, and (stride 2 reads 32 columns from 2j + kw for
    /// even kw ≤ poolWidth − 1) without leaving the row.
    @inline(__always)
    static func isContiguous(column j: Int, lanes: Int, _ g: Geometry) -> Bool {
        lanes == 16 && (g.stride == 1 || (g.stride == 2 && 2 * j + ((g.poolWidth - 1) & ~1) + 32 <= g.width))
    }

    /// Maximum and row-major window index of the first maximum (`Maximum.keeps`) of the windows
    /// at output columns `j ..< j + lanes` (1 ≤ lanes ≤ 16; lanes past `lanes` repeat the last
    /// window). The index is a `T` so that it shares the comparison mask.
    ///
    /// Stride 1 loads candidates contiguously, stride 2 splits 32 contiguous columns into even
    /// and odd ones; other strides and short row tails gather the lanes one by one — still
    /// far faster than a scalar scan, whose data-dependent branches mispredict.
    @_transparent
    static func windowMax16<T: TesselScalar>(_ top: UnsafePointer<T>, column j: Int, lanes: Int,
                                             _ g: Geometry) -> (max: SIMD16<T>, index: SIMD16<T>) {
        let contiguous = isContiguous(column: j, lanes: lanes, g)
        if contiguous && g.stride == 2 && g.poolWidth == 2 && g.poolHeight <= 2 {
            return windowMax16x2x2(top, column: j, g)
        }
        // The first candidate seeds the maximum; visiting it again below keeps it (index 0).
        var m = contiguous && g.stride == 2 ? UnsafeRawPointer(top + 2 * j).loadUnaligned(as: SIMD32<T>.self).evenHalf
                                            : candidates(top, column: j, lanes: lanes, offset: 0, contiguous, g)
        var index = SIMD16<T>()
        for kh in 0..<g.poolHeight {
            let row = top + kh * g.width
            if contiguous && g.stride == 2 {
                for kw in stride(from: 0, to: g.poolWidth, by: 2) {
                    let pair = UnsafeRawPointer(row + 2 * j + kw).loadUnaligned(as: SIMD32<T>.self)
                    visit(pair.evenHalf, kh * g.poolWidth + kw, &m, &index)
                    if kw + 1 < g.poolWidth { visit(pair.oddHalf, kh * g.poolWidth + kw + 1, &m, &index) }
                }
            } else {
                for kw in 0..<g.poolWidth {
                    visit(candidates(row, column: j, lanes: lanes, offset: kw, contiguous, g), kh * g.poolWidth + kw, &m, &index)
                }
            }
        }
        return (m, index)
    }

    /// `row[(j + l) · stride + kw]` for lanes `l`, the lanes past `lanes` repeating the last
    /// window: one load when `contiguous` (stride 1), a gather otherwise.
    @_transparent
    static func candidates<T: TesselScalar>(_ row: UnsafePointer<T>, column j: Int, lanes: Int, offset kw: Int,
                                            _ contiguous: Bool, _ g: Geometry) -> SIMD16<T> {
        if contiguous { return UnsafeRawPointer(row + j + kw).loadUnaligned(as: SIMD16<T>.self) }
        var v = SIMD16<T>()
        for lane in 0..<16 { v[lane] = row[(j + min(lane, lanes - 1)) * g.stride + kw] }
        return v
    }

    /// `windowMax16` for 2×2 (or 1×2) windows at stride 2: one 32-column load per window row.
    /// `@_transparent` for the same reason as `visit`.
    @_transparent
    static func windowMax16x2x2<T: TesselScalar>(_ top: UnsafePointer<T>, column j: Int, _ g: Geometry) -> (max: SIMD16<T>, index: SIMD16<T>) {
        let first = UnsafeRawPointer(top + 2 * j).loadUnaligned(as: SIMD32<T>.self)
        var m = first.evenHalf, index = SIMD16<T>()
        visit(first.oddHalf, 1, &m, &index)
        if g.poolHeight == 2 {
            let second = UnsafeRawPointer(top + g.width + 2 * j).loadUnaligned(as: SIMD32<T>.self)
            visit(second.evenHalf, 2, &m, &index)
            visit(second.oddHalf, 3, &m, &index)
        }
        return (m, index)
    }

    /// One step of the vector scan: candidate `v` with window index `k`. `@_transparent`
    /// because the optimizer leaves this generic `inout` helper out of line (measured: 9% of
    /// the pooling time in calls) even when marked `@inline(__always)`.
    @_transparent
    static func visit<T: TesselScalar>(_ v: SIMD16<T>, _ k: Int, _ m: inout SIMD16<T>, _ index: inout SIMD16<T>) {
        let keep = Maximum.keeps(m, over: v)
        m = v.replacing(with: m, where: keep)
        index = SIMD16<T>(repeating: T(k)).replacing(with: index, where: keep)
    }

    /// One output row: `out[j]` for every `j`, from the input rows starting at `top`.
    static func forwardRow<T: TesselScalar>(_ top: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ g: Geometry) {
        var j = 0
        while j < g.outWidth {
            let lanes = min(16, g.outWidth - j)
            let m = windowMax16(top, column: j, lanes: lanes, g).max
            if lanes == 16 {
                UnsafeMutableRawPointer(out + j).storeBytes(of: m, as: SIMD16<T>.self)
            } else {
                for lane in 0..<lanes { out[j + lane] = m[lane] }
            }
            j += lanes
        }
    }

    /// One output row of the general backward: adds `dout[j]` at the first maximum of each
    /// window, in column order, into `dx` (zeroed by the caller; `dx` points at the window's top row).
    static func backwardRow<T: TesselScalar>(_ top: UnsafePointer<T>, _ dout: UnsafePointer<T>,
                                             _ dx: UnsafeMutablePointer<T>, _ g: Geometry) {
        var j = 0
        while j < g.outWidth {
            let lanes = min(16, g.outWidth - j)
            let index = windowMax16(top, column: j, lanes: lanes, g).index
            for lane in 0..<lanes {
                let k = Int(index[lane])
                dx[(k / g.poolWidth) * g.width + (j + lane) * g.stride + k % g.poolWidth] += dout[j + lane]
            }
            j += lanes
        }
    }

    /// One output row of the 2×2 (or 1×2) stride-2 backward, where windows tile the rows
    /// exactly: writes the window rows (`2i`, and `2i + 1` for 2×2) of `dx` whole, as
    /// interleaved pairs. Gradients are `0 + dout` so that a −0 upstream gives the reference's +0.
    static func backwardRow2x2<T: TesselScalar>(_ top: UnsafePointer<T>, _ dout: UnsafePointer<T>,
                                                _ dx: UnsafeMutablePointer<T>, _ g: Geometry) {
        let zero = SIMD16<T>()
        var j = 0
        while j < g.outWidth {
            let lanes = min(16, g.outWidth - j)
            let index = windowMax16(top, column: j, lanes: lanes, g).index
            if isContiguous(column: j, lanes: lanes, g) {
                let gradient = zero + UnsafeRawPointer(dout + j).loadUnaligned(as: SIMD16<T>.self)
                for kh in 0..<g.poolHeight {
                    let even = gradient.replacing(with: zero, where: index.isNotEqual(to: SIMD16(repeating: T(2 * kh))))
                    let odd = gradient.replacing(with: zero, where: index.isNotEqual(to: SIMD16(repeating: T(2 * kh + 1))))
                    UnsafeMutableRawPointer(dx + kh * g.width + 2 * j).storeBytes(of: interleave(even, odd), as: SIMD32<T>.self)
                }
            } else {
                for lane in 0..<lanes {
                    let k = Int(index[lane])
                    for position in 0..<2 * g.poolHeight {
                        dx[(position / 2) * g.width + 2 * (j + lane) + position % 2] = position == k ? 0 + dout[j + lane] : 0
                    }
                }
            }
            j += lanes
        }
    }

    /// `(a₀, b₀, a₁, b₁, …)`.
    @inline(__always)
    static func interleave<T: TesselScalar>(_ a: SIMD16<T>, _ b: SIMD16<T>) -> SIMD32<T> {
        var result = SIMD32<T>()
        for i in 0..<16 {
            result[2 * i] = a[i]
            result[2 * i + 1] = b[i]
        }
        return result
    }
}
