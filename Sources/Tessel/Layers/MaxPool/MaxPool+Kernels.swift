// MaxPool's inner loops: a row of windows, forward and backward, on a `Geometry` that
// `MaxPool.swift` has checked.
extension MaxPool {
    /// Whether the windows at output columns `j ..< j + 16` can read their candidates as whole
    /// vectors: stride 1, or stride 2 reading 32 columns from 2j + kw (even kw ≤ poolWidth − 1)
    /// without leaving the row.
    @inline(__always)
    static func isContiguous(column j: Int, _ g: Geometry) -> Bool {
        g.stride == 1 || (g.stride == 2 && 2 * j + ((g.poolWidth - 1) & ~1) + 32 <= g.width)
    }

    /// Maximum of the window at output column `j` and where its first maximum
    /// (`Maximum.keeps`) lies, as an element offset from the window's top-left corner
    /// (`kh · width + kw`): candidate after candidate in the order `windowMax16` visits them,
    /// with selects rather than branches. For rows of fewer than 16 windows and the tails of
    /// longer ones, where a vector would gather mostly repeated lanes.
    @inline(__always)
    static func windowMax<T: TesselScalar>(_ top: UnsafePointer<T>, column j: Int, _ g: Geometry) -> (max: T, offset: Int) {
        let window = top + j * g.stride
        var m = window[0], offset = 0
        for kh in 0..<g.poolHeight {
            let row = kh * g.width
            for kw in 0..<g.poolWidth { visit(window[row + kw], row + kw, &m, &offset) }
        }
        return (m, offset)
    }

    /// `windowMax` of the four windows at output columns `j ..< j + 4`, their select chains
    /// interleaved so that one window's compares need not wait for another's.
    @inline(__always)
    static func windowMax4<T: TesselScalar>(_ top: UnsafePointer<T>, column j: Int,
                                            _ g: Geometry) -> (max: (T, T, T, T), offset: (Int, Int, Int, Int)) {
        let w0 = top + j * g.stride, w1 = w0 + g.stride, w2 = w1 + g.stride, w3 = w2 + g.stride
        var m = (w0[0], w1[0], w2[0], w3[0]), offset = (0, 0, 0, 0)
        for kh in 0..<g.poolHeight {
            let row = kh * g.width
            for kw in 0..<g.poolWidth {
                let at = row + kw
                visit(w0[at], at, &m.0, &offset.0)
                visit(w1[at], at, &m.1, &offset.1)
                visit(w2[at], at, &m.2, &offset.2)
                visit(w3[at], at, &m.3, &offset.3)
            }
        }
        return (m, offset)
    }

    /// One step of a scalar window scan: candidate `v` at element offset `at` replaces the
    /// maximum `m` and its `offset` unless `Maximum.keeps` it, with selects rather than branches.
    @inline(__always)
    static func visit<T: TesselScalar>(_ v: T, _ at: Int, _ m: inout T, _ offset: inout Int) {
        let keep = Maximum.keeps(m, over: v)
        m = keep ? m : v
        offset = keep ? offset : at
    }

    /// Maximum and row-major window index of the first maximum (`Maximum.keeps`) of the windows
    /// at output columns `j ..< j + 16`. The index is a `T` so that it shares the comparison mask.
    ///
    /// Stride 1 loads candidates contiguously, stride 2 splits 32 contiguous columns into even
    /// and odd ones; other strides gather the lanes one by one — still far faster than a
    /// scalar scan over 16 windows, whose data-dependent branches mispredict.
    @_transparent
    static func windowMax16<T: TesselScalar>(_ top: UnsafePointer<T>, column j: Int,
                                             _ g: Geometry) -> (max: SIMD16<T>, index: SIMD16<T>) {
        let contiguous = isContiguous(column: j, g)
        if contiguous && g.stride == 2 && g.poolWidth == 2 && g.poolHeight <= 2 {
            return windowMax16x2x2(top, column: j, g)
        }
        // The first candidate seeds the maximum; visiting it again below keeps it (index 0).
        var m = contiguous && g.stride == 2 ? top.load(SIMD32<T>.self, at: 2 * j).evenHalf
                                            : candidates(top, column: j, offset: 0, contiguous, g)
        var index = SIMD16<T>()
        for kh in 0..<g.poolHeight {
            let row = top + kh * g.width
            if contiguous && g.stride == 2 {
                for kw in stride(from: 0, to: g.poolWidth, by: 2) {
                    let pair = row.load(SIMD32<T>.self, at: 2 * j + kw)
                    visit(pair.evenHalf, kh * g.poolWidth + kw, &m, &index)
                    if kw + 1 < g.poolWidth { visit(pair.oddHalf, kh * g.poolWidth + kw + 1, &m, &index) }
                }
            } else {
                for kw in 0..<g.poolWidth {
                    visit(candidates(row, column: j, offset: kw, contiguous, g), kh * g.poolWidth + kw, &m, &index)
                }
            }
        }
        return (m, index)
    }

    /// `row[(j + l) · stride + kw]` for lanes `l` < 16: one load when `contiguous` (stride 1), a
    /// gather otherwise.
    @_transparent
    static func candidates<T: TesselScalar>(_ row: UnsafePointer<T>, column j: Int, offset kw: Int,
                                            _ contiguous: Bool, _ g: Geometry) -> SIMD16<T> {
        if contiguous { return row.load16(at: j + kw) }
        var v = SIMD16<T>()
        for lane in 0..<16 { v[lane] = row[(j + lane) * g.stride + kw] }
        return v
    }

    /// `windowMax16` for 2×2 (or 1×2) windows at stride 2: one 32-column load per window row.
    /// `@_transparent` for the same reason as `visit`.
    @_transparent
    static func windowMax16x2x2<T: TesselScalar>(_ top: UnsafePointer<T>, column j: Int, _ g: Geometry) -> (max: SIMD16<T>, index: SIMD16<T>) {
        let first = top.load(SIMD32<T>.self, at: 2 * j)
        var m = first.evenHalf, index = SIMD16<T>()
        visit(first.oddHalf, 1, &m, &index)
        if g.poolHeight == 2 {
            let second = top.load(SIMD32<T>.self, at: g.width + 2 * j)
            visit(second.evenHalf, 2, &m, &index)
            visit(second.oddHalf, 3, &m, &index)
        }
        return (m, index)
    }

    /// The maximum and window index of the 16 2×2 windows whose top rows' pairs are the even
    /// and odd lanes of `top` and bottom rows' those of `bottom`, visited as `windowMax16`
    /// visits them (the grouped rows' scan; the per-row one above is kept apart, as an
    /// optional `bottom` or a shared body measured slower on 32 × 32 planes).
    @_transparent
    static func windowMax16x2x2<T: TesselScalar>(top: SIMD32<T>, bottom: SIMD32<T>) -> (max: SIMD16<T>, index: SIMD16<T>) {
        var m = top.evenHalf, index = SIMD16<T>()
        visit(top.oddHalf, 1, &m, &index)
        visit(bottom.evenHalf, 2, &m, &index)
        visit(bottom.oddHalf, 3, &m, &index)
        return (m, index)
    }

    /// Output rows per group of the grouped 2×2 path, 0 where it does not apply: in planes
    /// tiled exactly by 2×2 windows at stride 2 whose rows hold 16, 8 or 4 windows (32, 16 or
    /// 8 columns), 1, 2 or 4 output rows at a time make one vector of 16 windows. Rows of 16
    /// windows had a call per row: the loop over groups took 0.75 of its time forward and,
    /// with `spreadGradient`, 0.77–0.88 backward (x (64, 64, 32, 32), docs/PERFORMANCE.md).
    @inline(__always)
    static func rowsPerGroup(_ g: Geometry) -> Int {
        guard g.stride == 2 && g.poolWidth == 2 && g.poolHeight == 2 && g.width == 2 * g.outWidth && g.height == 2 * g.outHeight,
              g.outWidth == 16 || g.outWidth == 8 || g.outWidth == 4 else { return 0 }
        return 16 / g.outWidth
    }

    /// The 2·`rowsPerGroup` input rows (64 values) from `p`: their even rows, the windows' top
    /// rows, one after the other, and their odd rows, the bottom ones, so that lane pairs
    /// (2l, 2l + 1) of both hold window l of the group, in output order.
    @inline(__always)
    static func rowGroup<T: TesselScalar>(_ p: UnsafePointer<T>, width: Int) -> (top: SIMD32<T>, bottom: SIMD32<T>) {
        let v0 = p.load16(at: 0), v1 = p.load16(at: 16), v2 = p.load16(at: 32), v3 = p.load16(at: 48)
        if width == 32 { return (SIMD32(lowHalf: v0, highHalf: v1), SIMD32(lowHalf: v2, highHalf: v3)) }
        if width == 16 { return (SIMD32(lowHalf: v0, highHalf: v2), SIMD32(lowHalf: v1, highHalf: v3)) }
        return (SIMD32(lowHalf: SIMD16(lowHalf: v0.lowHalf, highHalf: v1.lowHalf), highHalf: SIMD16(lowHalf: v2.lowHalf, highHalf: v3.lowHalf)),
                SIMD32(lowHalf: SIMD16(lowHalf: v0.highHalf, highHalf: v1.highHalf), highHalf: SIMD16(lowHalf: v2.highHalf, highHalf: v3.highHalf)))
    }

    /// `gradient` in the lanes whose window index is `k`, 0 in the others.
    @inline(__always)
    static func windowGradient<T: TesselScalar>(_ gradient: SIMD16<T>, index: SIMD16<T>, _ k: Int) -> SIMD16<T> {
        gradient.replacing(with: SIMD16<T>(), where: index.isNotEqual(to: SIMD16(repeating: T(k))))
    }

    /// The dx of 16 consecutive input values from the gradients and window indices of 16 2×2
    /// windows: value `l` belongs to window `window(l)` at position `position(l)` (0–3, as
    /// `windowMax16x2x2` numbers them) and gets that window's gradient where its first maximum
    /// lies there, else 0: `windowGradient`'s values placed by lane maps rather than by
    /// `interleave`, whose lane loop compiled to 128-bit pieces in the grouped loop (the maps
    /// halved its time there; the per-row loop and the pooled chain keep `interleave`, see
    /// docs/PERFORMANCE.md). The maps must be constant where this is inlined (spelled-out
    /// calls, not a loop), so that they compile to shuffles.
    @inline(__always)
    static func spreadGradient<T: TesselScalar>(_ gradient: SIMD16<T>, index: SIMD16<T>, window: (Int) -> Int,
                                                position: (Int) -> Int) -> SIMD16<T> {
        @inline(__always) func spread(_ v: SIMD16<T>) -> SIMD16<T> {
            SIMD16(v[window(0)], v[window(1)], v[window(2)], v[window(3)], v[window(4)], v[window(5)], v[window(6)], v[window(7)],
                   v[window(8)], v[window(9)], v[window(10)], v[window(11)], v[window(12)], v[window(13)], v[window(14)],
                   v[window(15)])
        }
        let positions = SIMD16<T>(T(position(0)), T(position(1)), T(position(2)), T(position(3)), T(position(4)), T(position(5)),
                                  T(position(6)), T(position(7)), T(position(8)), T(position(9)), T(position(10)),
                                  T(position(11)), T(position(12)), T(position(13)), T(position(14)), T(position(15)))
        return spread(gradient).replacing(with: SIMD16<T>(), where: spread(index).isNotEqual(to: positions))
    }

    /// `spreadGradient` for the 16 values of window row `row` (0 top, 1 bottom) under windows
    /// `8·half ..< 8·half + 8` of a row of 16 windows.
    @inline(__always)
    static func rowGradient<T: TesselScalar>(_ gradient: SIMD16<T>, index: SIMD16<T>, half: Int, row: Int) -> SIMD16<T> {
        spreadGradient(gradient, index: index, window: { 8 * half + $0 / 2 }, position: { 2 * row + $0 % 2 })
    }

    /// `spreadGradient` for the input values `16·part ..< 16·part + 16` of a row group
    /// (`rowGroup`'s rows in memory order) of `width` 16 or 8 columns. Rows of 16: part p is
    /// input row p, under the windows of output row p / 2; rows of 8: input rows 2p and 2p + 1,
    /// under those of output row p. (Rows of 32 take `rowGradient` directly.)
    @inline(__always)
    static func groupGradient<T: TesselScalar>(_ gradient: SIMD16<T>, index: SIMD16<T>, part: Int, width: Int) -> SIMD16<T> {
        if width == 16 { return rowGradient(gradient, index: index, half: part / 2, row: part % 2) }
        return spreadGradient(gradient, index: index, window: { 4 * part + ($0 % 8) / 2 }, position: { 2 * ($0 / 8) + $0 % 2 })
    }

    /// One step of the vector scan: candidate `v` with window index `k`. `@_transparent`
    /// because the optimizer leaves this generic `inout` helper out of line even when marked
    /// `@inline(__always)`.
    @_transparent
    static func visit<T: TesselScalar>(_ v: SIMD16<T>, _ k: Int, _ m: inout SIMD16<T>, _ index: inout SIMD16<T>) {
        let keep = Maximum.keeps(m, over: v)
        m = v.replacing(with: m, where: keep)
        index = SIMD16<T>(repeating: T(k)).replacing(with: index, where: keep)
    }

    /// One output row: `out[j]` for every `j`, from the input rows starting at `top`.
    static func forwardRow<T: TesselScalar>(_ top: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ g: Geometry) {
        var j = 0
        while j + 16 <= g.outWidth {
            out.store(windowMax16(top, column: j, g).max, at: j)
            j += 16
        }
        while j + 4 <= g.outWidth {
            let m = windowMax4(top, column: j, g).max
            (out[j], out[j + 1], out[j + 2], out[j + 3]) = m
            j += 4
        }
        if j < g.outWidth && g.outWidth >= 4 {
            // The last 1–3 windows with the three before them, written again with the same values.
            let m = windowMax4(top, column: g.outWidth - 4, g).max
            (out[g.outWidth - 4], out[g.outWidth - 3], out[g.outWidth - 2], out[g.outWidth - 1]) = m
            return
        }
        while j < g.outWidth {
            out[j] = windowMax(top, column: j, g).max
            j += 1
        }
    }

    /// The output rows `rows` of one plane, from its `input` into its `out`: the narrow rows
    /// two at a time where that path applies (`takesNarrowRows`), groups of `rowsPerGroup`
    /// rows as one vector of windows where that one does, `forwardRow` for the others.
    static func forwardRows<T: TesselScalar>(_ rows: Range<Int>, _ input: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                             _ g: Geometry) {
        if takesNarrowRows(g) { return forwardNarrowRows(rows, input, out, g) }
        let grouped = rowsPerGroup(g) > 0 ? forwardRowGroups(rows, input, out, g) : rows.lowerBound
        for i in grouped..<rows.upperBound { forwardRow(input + i * g.stride * g.width, out + i * g.outWidth, g) }
    }

    /// The whole groups of `rowsPerGroup` output rows from `rows.lowerBound` on, forward;
    /// returns the first row left. Out of line, so that the per-row paths compile as before.
    @inline(never)
    static func forwardRowGroups<T: TesselScalar>(_ rows: Range<Int>, _ input: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                                  _ g: Geometry) -> Int {
        let group = rowsPerGroup(g)
        var i = rows.lowerBound
        while i + group <= rows.upperBound {
            let (top, bottom) = rowGroup(input + 2 * i * g.width, width: g.width)
            out.store(windowMax16x2x2(top: top, bottom: bottom).max, at: i * g.outWidth)
            i += group
        }
        return i
    }

    /// The whole groups of `rowsPerGroup` output rows from `rows.lowerBound` on, backward
    /// (as `backwardRow2x2`, writing every dx element of their input rows, `rectifying` as
    /// there); returns the first row left. The lane maps are spelled out per width: looped,
    /// switched over or passed in a closure, they compiled to runtime lane indices (2.5 times
    /// slower).
    @inline(never)
    static func backwardRowGroups<T: TesselScalar>(_ rows: Range<Int>, _ input: UnsafePointer<T>, _ upstream: UnsafePointer<T>,
                                                   _ gradient: UnsafeMutablePointer<T>, _ g: Geometry, rectifying: Bool) -> Int {
        let group = rowsPerGroup(g)
        var i = rows.lowerBound
        while i + group <= rows.upperBound {
            let (top, bottom) = rowGroup(input + 2 * i * g.width, width: g.width)
            let (maximum, index) = windowMax16x2x2(top: top, bottom: bottom)
            let value = SIMD16<T>() + rectified(upstream.load16(at: i * g.outWidth), maximum: maximum, rectifying)
            let dx = gradient + 2 * i * g.width
            if g.width == 32 {
                dx.store(rowGradient(value, index: index, half: 0, row: 0), at: 0)
                dx.store(rowGradient(value, index: index, half: 1, row: 0), at: 16)
                dx.store(rowGradient(value, index: index, half: 0, row: 1), at: 32)
                dx.store(rowGradient(value, index: index, half: 1, row: 1), at: 48)
            } else if g.width == 16 {
                dx.store(groupGradient(value, index: index, part: 0, width: 16), at: 0)
                dx.store(groupGradient(value, index: index, part: 1, width: 16), at: 16)
                dx.store(groupGradient(value, index: index, part: 2, width: 16), at: 32)
                dx.store(groupGradient(value, index: index, part: 3, width: 16), at: 48)
            } else {
                dx.store(groupGradient(value, index: index, part: 0, width: 8), at: 0)
                dx.store(groupGradient(value, index: index, part: 1, width: 8), at: 16)
                dx.store(groupGradient(value, index: index, part: 2, width: 8), at: 32)
                dx.store(groupGradient(value, index: index, part: 3, width: 8), at: 48)
            }
            i += group
        }
        return i
    }

    /// Whether `backwardRows` writes interleaved rows for `g` (2×2 or 1×2 windows at stride 2
    /// that tile the plane's columns, and for 2×2 its rows): rows that hold every dx element
    /// of their windows, into which the scatter can fold a ReLU's backward (`rectifying`).
    static func writesInterleavedRows(_ g: Geometry) -> Bool {
        g.stride == 2 && g.poolWidth == 2 && g.poolHeight <= 2
            && g.width == 2 * g.outWidth && (g.poolHeight < 2 || g.height == 2 * g.outHeight)
    }

    /// A window's gradient for a rectified scatter: 0 where its maximum is not positive (or
    /// NaN), else `gradient`; `gradient` itself when not `rectifying`.
    @inline(__always)
    static func rectified<T: TesselScalar>(_ gradient: SIMD16<T>, maximum: SIMD16<T>, _ rectifying: Bool) -> SIMD16<T> {
        rectifying ? ElementWise.reluBackward(gradient, output: maximum) : gradient
    }

    /// `rectified` for one window.
    @inline(__always)
    static func rectified<T: TesselScalar>(_ gradient: T, maximum: T, _ rectifying: Bool) -> T {
        rectifying ? ElementWise.reluBackward(gradient, output: maximum) : gradient
    }

    /// The dx rows of one plane that the windows of output `rows` own — their window rows, and
    /// after the last output row every row below it — from the plane's `input`, its `upstream`
    /// gradient (H' × W') and into its `gradient` (H × W). Every dx element of those rows is
    /// written; rows of overlapping windows (stride < pool height) need the plane's whole
    /// range of output rows in one call. With `rectifying` (only where `writesInterleavedRows`),
    /// `input` is a ReLU's output and `gradient` is the ReLU's backward of the pool's: a
    /// window whose maximum is not positive passes 0 (`rectified`), the bits of
    /// `ElementWise.reluBackward(gradient, input)` after the plain scatter.
    static func backwardRows<T: TesselScalar>(_ rows: Range<Int>, _ input: UnsafePointer<T>, _ upstream: UnsafePointer<T>,
                                              _ gradient: UnsafeMutablePointer<T>, _ g: Geometry, rectifying: Bool = false) {
        precondition(!rectifying || writesInterleavedRows(g), "max_pool: a rectified scatter needs windows that tile the rows")
        let firstRow = rows.lowerBound * g.stride
        let endRow = rows.upperBound == g.outHeight ? g.height : rows.upperBound * g.stride
        if writesInterleavedRows(g) {
            // 2×2 windows cover every row; 1×2 windows leave the odd rows to zero.
            if g.poolHeight < 2 {
                (gradient + firstRow * g.width).initialize(repeating: 0, count: (endRow - firstRow) * g.width)
            }
            let grouped = rowsPerGroup(g) > 0 ? backwardRowGroups(rows, input, upstream, gradient, g, rectifying: rectifying)
                                              : rows.lowerBound
            for i in grouped..<rows.upperBound {
                backwardRow2x2(input + i * 2 * g.width, upstream + i * g.outWidth, gradient + i * 2 * g.width, g,
                               rectifying: rectifying)
            }
        } else {
            (gradient + firstRow * g.width).initialize(repeating: 0, count: (endRow - firstRow) * g.width)
            if takesNarrowRows(g) { return backwardNarrowRows(rows, endRow: endRow, input, upstream, gradient, g) }
            for i in rows {
                backwardRow(input + i * g.stride * g.width, upstream + i * g.outWidth, gradient + i * g.stride * g.width, g)
            }
        }
    }

    /// One plane's gradient of a ReLU's input through the max pool after that ReLU: `input` is
    /// the ReLU's output (H × W), `upstream` the pool's gradient (H' × W'), and `gradient`
    /// (H × W) gets the pool's backward followed by the ReLU's. Where the windows tile the rows
    /// (`writesInterleavedRows`) the scatter applies the ReLU's backward itself; otherwise
    /// `ElementWise.reluBackward` sweeps the plane after it. The same bits either way.
    static func backwardThroughReLU<T: TesselScalar>(_ input: UnsafePointer<T>, _ upstream: UnsafePointer<T>,
                                                     _ gradient: UnsafeMutablePointer<T>, _ g: Geometry) {
        let rectifies = writesInterleavedRows(g)
        backwardRows(0..<g.outHeight, input, upstream, gradient, g, rectifying: rectifies)
        if !rectifies { ElementWise.reluBackward(gradient, input, gradient, count: g.height * g.width) }
    }

    /// One output row of the general backward: adds `dout[j]` at the first maximum of each
    /// window, in column order, into `dx` (zeroed by the caller; `dx` points at the window's top row).
    static func backwardRow<T: TesselScalar>(_ top: UnsafePointer<T>, _ dout: UnsafePointer<T>,
                                             _ dx: UnsafeMutablePointer<T>, _ g: Geometry) {
        var j = 0
        while j + 16 <= g.outWidth {
            let index = windowMax16(top, column: j, g).index
            for lane in 0..<16 {
                let k = Int(index[lane])
                dx[(k / g.poolWidth) * g.width + (j + lane) * g.stride + k % g.poolWidth] += dout[j + lane]
            }
            j += 16
        }
        while j + 4 <= g.outWidth {
            let offset = windowMax4(top, column: j, g).offset, first = dx + j * g.stride
            first[offset.0] += dout[j]
            first[g.stride + offset.1] += dout[j + 1]
            first[2 * g.stride + offset.2] += dout[j + 2]
            first[3 * g.stride + offset.3] += dout[j + 3]
            j += 4
        }
        if j < g.outWidth && g.outWidth >= 4 {
            // The last 1–3 windows found with the three before them (whose gradients are already
            // added), added in column order.
            let start = g.outWidth - 4, offset = windowMax4(top, column: start, g).offset, first = dx + start * g.stride
            if j - start <= 1 { first[g.stride + offset.1] += dout[start + 1] }
            if j - start <= 2 { first[2 * g.stride + offset.2] += dout[start + 2] }
            first[3 * g.stride + offset.3] += dout[start + 3]
            return
        }
        while j < g.outWidth {
            dx[j * g.stride + windowMax(top, column: j, g).offset] += dout[j]
            j += 1
        }
    }

    /// One output row of the 2×2 (or 1×2) stride-2 backward, where windows tile the rows
    /// exactly: writes the window rows (`2i`, and `2i + 1` for 2×2) of `dx` whole, as
    /// interleaved pairs. Gradients are `0 + dout` so that a −0 upstream gives the reference's +0.
    /// `rectifying` as in `backwardRows`.
    static func backwardRow2x2<T: TesselScalar>(_ top: UnsafePointer<T>, _ dout: UnsafePointer<T>,
                                                _ dx: UnsafeMutablePointer<T>, _ g: Geometry, rectifying: Bool) {
        let zero = SIMD16<T>()
        var j = 0
        while j + 16 <= g.outWidth {
            let (maximum, index) = windowMax16(top, column: j, g)
            if isContiguous(column: j, g) {
                let gradient = zero + rectified(dout.load16(at: j), maximum: maximum, rectifying)
                for kh in 0..<g.poolHeight {
                    dx.store(interleave(windowGradient(gradient, index: index, 2 * kh), windowGradient(gradient, index: index, 2 * kh + 1)),
                             at: kh * g.width + 2 * j)
                }
            } else {
                for lane in 0..<16 {
                    writeWindow2x2(at: 2 * (j + lane), maximumAt: Int(index[lane]),
                                   gradient: rectified(dout[j + lane], maximum: maximum[lane], rectifying), dx, g)
                }
            }
            j += 16
        }
        // A window's offset kh · width + kw is its index 2·kh + kw.
        @inline(__always) func index(_ offset: Int) -> Int { offset < g.width ? offset : offset - g.width + 2 }
        while j + 4 <= g.outWidth {
            let (maximum, offset) = windowMax4(top, column: j, g)
            writeWindow2x2(at: 2 * j, maximumAt: index(offset.0), gradient: rectified(dout[j], maximum: maximum.0, rectifying), dx, g)
            writeWindow2x2(at: 2 * j + 2, maximumAt: index(offset.1), gradient: rectified(dout[j + 1], maximum: maximum.1, rectifying),
                           dx, g)
            writeWindow2x2(at: 2 * j + 4, maximumAt: index(offset.2), gradient: rectified(dout[j + 2], maximum: maximum.2, rectifying),
                           dx, g)
            writeWindow2x2(at: 2 * j + 6, maximumAt: index(offset.3), gradient: rectified(dout[j + 3], maximum: maximum.3, rectifying),
                           dx, g)
            j += 4
        }
        while j < g.outWidth {
            let (maximum, offset) = windowMax(top, column: j, g)
            writeWindow2x2(at: 2 * j, maximumAt: index(offset), gradient: rectified(dout[j], maximum: maximum, rectifying), dx, g)
            j += 1
        }
    }

    /// The dx of the 2×2 (or 1×2) window at element offset `top` of `dx` whose first maximum
    /// is at window index `k`: `0 + gradient` there, 0 at the window's other positions.
    @inline(__always)
    static func writeWindow2x2<T: TesselScalar>(at top: Int, maximumAt k: Int, gradient: T,
                                                _ dx: UnsafeMutablePointer<T>, _ g: Geometry) {
        let value = 0 + gradient, upper = dx + top
        upper[0] = k == 0 ? value : 0
        upper[1] = k == 1 ? value : 0
        if g.poolHeight == 2 {
            upper[g.width] = k == 2 ? value : 0
            upper[g.width + 1] = k == 3 ? value : 0
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
