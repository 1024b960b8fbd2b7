/// Affine (fully connected) layer (seed: `affine_forward`, `affine_backward`).
///
/// - forward: `x` of shape `(N, d₁, …, d_k)` is read as `N` rows of `D = d₁ ⋯ d_k` values;
///   `out = x · w + b`, of shape `(N, M)`, for `w` of shape `(D, M)` and `b` of shape `(M,)`.
/// - backward: for `dout` of shape `(N, M)`: `dx = dout · wᵀ` (shaped like `x`),
///   `dw = xᵀ · dout` of shape `(D, M)`, `db = Σₙ dout[n, :]` of shape `(M,)`;
///   `parameterGradients` gives `dw` and `db` alone, the same bits, without computing `dx`.
///
/// The tiled path runs the blocked parallel GEMM (`GEMM`); products accumulate in the element
/// type in an order fixed by the shape (see `GEMM`), and `db` is summed in `Double` over fixed
/// chunks of the batch, so results are the same bits for every scheduler. `Affine.Reference`
/// is the serial oracle.
///
/// The layer does not scan its inputs for NaN or ±∞: they propagate (NaN in, NaN out); only
/// scalar parameters are checked.
public enum Affine {
    /// The layer's name in errors and on the command line.
    public static let name = "affine"

    /// Tiled forward: `out = x · w + b` of shape `(N, M)`.
    /// - Throws: `TesselError.shapeMismatch` when `x` has rank below 2, `w` is not `(D, M)`
    ///   with `D` the product of `x`'s dimensions after the first, or `b` is not `(M,)`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TesselScalar>(x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                                scheduler: Scheduler = .default) throws -> Tensor<T> {
        let (n, d, m) = try validate(x: x, w: w, b: b)
        var out = try Tensor<T>.uninitialized(shape: [n, m], allocator: scheduler.allocator)
        try x.withUnsafeBufferPointer { xs in
            try w.withUnsafeBufferPointer { ws in
                try b.withUnsafeBufferPointer { bs in
                    try out.withUnsafeMutableBufferPointer { outs in
                        try GEMM.multiply(.rowMajor(xs.baseAddress!, leadingDimension: d),
                                          .rowMajor(ws.baseAddress!, leadingDimension: m),
                                          into: outs.baseAddress!, ldc: m, m: n, n: m, depth: d,
                                          columnBias: bs.baseAddress!, scheduler: scheduler)
                    }
                }
            }
        }
        return out
    }

    /// Tiled backward: `dx = dout · wᵀ` (shaped like `x`), `dw = xᵀ · dout` `(D, M)`,
    /// `db = Σₙ dout[n, :]` `(M,)`.
    /// - Throws: `TesselError.shapeMismatch` for the cases of `forward`, or when `dout` is not `(N, M)`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                                 scheduler: Scheduler = .default) throws -> WeightGradients<T> {
        let g = try gradients(dout: dout, x: x, w: w, b: b, withInputGradient: true, scheduler: scheduler)
        return WeightGradients(dx: g.dx!, dw: g.dw, db: g.db)
    }

    /// Tiled backward without `dx`: `dw` and `db` as `backward` computes them (the same bits),
    /// and no `dout · wᵀ` product. For a layer whose input needs no gradient (a network's first).
    /// - Throws: as `backward`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func parameterGradients<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                                           scheduler: Scheduler = .default) throws -> ParameterGradients<T> {
        let g = try gradients(dout: dout, x: x, w: w, b: b, withInputGradient: false, scheduler: scheduler)
        return ParameterGradients(dw: g.dw, db: g.db)
    }

    /// `dw`, `db`, and `dx` when `withInputGradient` (else nil, and neither allocated nor computed).
    static func gradients<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>, withInputGradient: Bool,
                                           scheduler: Scheduler) throws -> (dx: Tensor<T>?, dw: Tensor<T>, db: Tensor<T>) {
        let (n, d, m) = try validateBackward(dout: dout, x: x, w: w, b: b)
        var dx: Tensor<T>? = try withInputGradient ? Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator) : nil
        var dw = try Tensor<T>.uninitialized(shape: [d, m], allocator: scheduler.allocator)
        var db = try Tensor<T>.uninitialized(shape: [m], allocator: scheduler.allocator)
        try x.withUnsafeBufferPointer { xs in
            try w.withUnsafeBufferPointer { ws in
                try dout.withUnsafeBufferPointer { douts in
                    let x = xs.baseAddress!, w = ws.baseAddress!, dout = douts.baseAddress!
                    try dx?.withUnsafeMutableBufferPointer { dxs in
                        try GEMM.multiply(.rowMajor(dout, leadingDimension: m), .transposed(w, leadingDimension: m),
                                          into: dxs.baseAddress!, ldc: d, m: n, n: d, depth: m, scheduler: scheduler)
                    }
                    try dw.withUnsafeMutableBufferPointer { dws in
                        try GEMM.multiply(.transposed(x, leadingDimension: d), .rowMajor(dout, leadingDimension: m),
                                          into: dws.baseAddress!, ldc: m, m: d, n: m, depth: n, scheduler: scheduler)
                    }
                    db.withUnsafeMutableBufferPointer { dbs in
                        columnSums(dout, rows: n, columns: m, into: dbs.baseAddress!, scheduler: scheduler)
                    }
                }
            }
        }
        return (dx, dw, db)
    }

    /// `sums[j] = Σᵢ a[i, j]` for a row-major `rows × columns` matrix, in `Double` over chunks
    /// of rows fixed by the shape, combined in chunk order.
    static func columnSums<T: TesselScalar>(_ a: UnsafePointer<T>, rows: Int, columns: Int,
                                            into sums: UnsafeMutablePointer<T>, scheduler: Scheduler) {
        scheduler.withScratch(Double.self, count: columns) { totals in
            let chunks = Tiling.split(rows, targetItemsPerTile: Reduction.defaultChunkLength)
            scheduler.reduce(chunks, width: columns, workPerChunk: chunks.tileRows * columns, into: totals) { chunk, partial in
                ColumnSums.accumulate(a + chunk.rows.lowerBound * columns, rows: chunk.rows.count, rowStride: columns,
                                      into: partial.baseAddress!, count: columns)
            }
            for j in 0..<columns { sums[j] = T(totals[j]) }
        }
    }

    /// Checks the forward arguments; returns `(N, D, M)`. Shared by the tiled and reference paths.
    static func validate<T>(x: Tensor<T>, w: Tensor<T>, b: Tensor<T>) throws -> (n: Int, d: Int, m: Int) {
        guard x.rank >= 2 else {
            throw TesselError.shapeMismatch(component: name, argument: "x", expected: "(N, d_1, ..., d_k) with at least 2 dimensions", actual: x.shape)
        }
        let n = x.shape[0], d = x.shape.dropFirst().reduce(1, *)
        guard w.rank == 2, w.shape[0] == d else {
            throw TesselError.shapeMismatch(component: name, argument: "w",
                expected: "(D, M) with D = \(d), the size of one example of x \(Shape.describe(x.shape))", actual: w.shape)
        }
        let m = w.shape[1]
        guard b.shape == [m] else {
            throw TesselError.shapeMismatch(component: name, argument: "b", expected: "(\(m),), the M of w \(Shape.describe(w.shape))", actual: b.shape)
        }
        return (n, d, m)
    }

    /// Checks the backward arguments; returns `(N, D, M)`.
    static func validateBackward<T>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>) throws -> (n: Int, d: Int, m: Int) {
        let (n, d, m) = try validate(x: x, w: w, b: b)
        guard dout.shape == [n, m] else {
            throw TesselError.shapeMismatch(component: name, argument: "dout", expected: "(N, M) = \(Shape.describe([n, m]))", actual: dout.shape)
        }
        return (n, d, m)
    }
}
