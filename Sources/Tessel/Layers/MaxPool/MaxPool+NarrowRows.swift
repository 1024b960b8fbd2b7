// MaxPool on narrow planes: windows at stride 2, two or three columns wide, on rows whose
// windows all lie in the row's first 16 values (at most 8 windows a row), two output rows at
// a time as the halves of one 16-lane vector. Wider rows take `windowMax16`; 2 × 2 windows
// that tile planes of 8 or 16 columns take the grouped rows (`rowsPerGroup`).
extension MaxPool {
    /// Whether `g` takes the narrow-row path.
    @inline(__always)
    static func takesNarrowRows(_ g: Geometry) -> Bool {
        g.stride == 2 && (g.poolWidth == 2 || g.poolWidth == 3) && 2 * (g.outWidth - 1) + g.poolWidth <= 16
            && rowsPerGroup(g) == 0
    }

    /// The 16 values from element `offset` of the plane at `plane`, zeros from element `end` on.
    @inline(__always)
    static func narrowLoad<T: TesselScalar>(_ plane: UnsafePointer<T>, at offset: Int, end: Int) -> SIMD16<T> {
        if offset + 16 <= end { return plane.load16(at: offset) }
        var v = SIMD16<T>()
        for lane in 0..<max(0, end - offset) { v[lane] = plane[offset + lane] }
        return v
    }

    /// The first maximum (`Maximum.keeps`) of the windows of output rows `i` (low half) and
    /// `i + 1` (high half; row `i` again where that is past `lastRow`), lane `j` of a half
    /// being window `j`, and its window index `kh · poolWidth + kw` as a `T`. Each window row
    /// is scanned first (columns 2j, 2j + 1, 2j + 2 in order), then the window rows in order:
    /// the first of the maxima in row-major order, as `windowMax` finds it.
    @_transparent
    static func narrowWindows<T: TesselScalar>(_ plane: UnsafePointer<T>, outputRow i: Int, lastRow: Int,
                                               _ g: Geometry) -> (max: SIMD16<T>, index: SIMD16<T>) {
        let second = i + 1 <= lastRow ? i + 1 : i, end = g.height * g.width
        var m = SIMD16<T>(), index = SIMD16<T>()
        for kh in 0..<g.poolHeight {
            let top = (2 * i + kh) * g.width, bottom = (2 * second + kh) * g.width
            let upper = narrowLoad(plane, at: top, end: end), lower = narrowLoad(plane, at: bottom, end: end)
            var rowMax = SIMD16(lowHalf: upper.evenHalf, highHalf: lower.evenHalf), column = SIMD16<T>()
            visit(SIMD16(lowHalf: upper.oddHalf, highHalf: lower.oddHalf), 1, &rowMax, &column)
            if g.poolWidth == 3 {
                let upper2 = narrowLoad(plane, at: top + 2, end: end), lower2 = narrowLoad(plane, at: bottom + 2, end: end)
                visit(SIMD16(lowHalf: upper2.evenHalf, highHalf: lower2.evenHalf), 2, &rowMax, &column)
            }
            if kh == 0 {
                m = rowMax
                index = column
            } else {
                let keep = Maximum.keeps(m, over: rowMax)
                m = rowMax.replacing(with: m, where: keep)
                index = (column + SIMD16(repeating: T(kh * g.poolWidth))).replacing(with: index, where: keep)
            }
        }
        return (m, index)
    }

    /// The output rows `rows` of one plane, forward, two at a time.
    static func forwardNarrowRows<T: TesselScalar>(_ rows: Range<Int>, _ input: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                                   _ g: Geometry) {
        let end = rows.upperBound * g.outWidth
        var i = rows.lowerBound
        while i < rows.upperBound {
            let m = narrowWindows(input, outputRow: i, lastRow: rows.upperBound - 1, g).max
            storeNarrowRow(m.lowHalf, to: out, at: i * g.outWidth, end: end, g)
            if i + 1 < rows.upperBound { storeNarrowRow(m.highHalf, to: out, at: (i + 1) * g.outWidth, end: end, g) }
            i += 2
        }
    }

    /// Writes the `outWidth` windows of the output row at `offset` of `out`: as one vector
    /// where that ends by element `end` (its lanes past the row fall on rows written after it),
    /// else one by one.
    @inline(__always)
    static func storeNarrowRow<T: TesselScalar>(_ m: SIMD8<T>, to out: UnsafeMutablePointer<T>, at offset: Int, end: Int,
                                                _ g: Geometry) {
        if offset + 8 <= end {
            out.store(m, at: offset)
        } else {
            for j in 0..<g.outWidth { out[offset + j] = m[j] }
        }
    }

    /// The dx of output rows `rows` of one plane, in order (`backwardRows`' contract): for
    /// each window, in row-major order, its gradient is added at its first maximum, as
    /// `backwardRow` adds it, into `gradient` (H × W), whose rows up to `endRow` (exclusive)
    /// are this call's and zero on entry. Within an output row, an even column 2j shared by
    /// windows j − 1 (its third column) and j (its first) gets window j − 1's gradient first;
    /// windows without their maximum at a place add +0 there, which leaves every sum as it is
    /// (a sum from +0 is never −0).
    static func backwardNarrowRows<T: TesselScalar>(_ rows: Range<Int>, endRow: Int, _ input: UnsafePointer<T>,
                                                    _ upstream: UnsafePointer<T>, _ gradient: UnsafeMutablePointer<T>,
                                                    _ g: Geometry) {
        let lanes = SIMD16<T>(0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7)
        let outOfRow = lanes.isGreaterOrEqual(to: SIMD16(repeating: T(g.outWidth)))
        let end = endRow * g.width
        var i = rows.lowerBound
        while i < rows.upperBound {
            let index = narrowWindows(input, outputRow: i, lastRow: rows.upperBound - 1, g).index
            let second = min(i + 1, rows.upperBound - 1)
            let dout = SIMD16(lowHalf: narrowUpstreamRow(upstream, i, g), highHalf: narrowUpstreamRow(upstream, second, g))
                .replacing(with: 0, where: outOfRow)
            scatterNarrowRow(2 * i, dout, index, high: false, gradient, end: end, g)
            if i + 1 < rows.upperBound { scatterNarrowRow(2 * i + 2, dout, index, high: true, gradient, end: end, g) }
            i += 2
        }
    }

    /// Adds the gradients of one output row's windows (the `high` or low half of `dout` and
    /// `index`, a pair's as `narrowWindows` gives them) to the dx rows from `firstRow` on, window
    /// row after window row. In a dx row's columns, window j's first and second columns are
    /// 2j and 2j + 1, its third 2j + 2: the third columns' gradients are added first, then the
    /// others', so that a shared even column gets window j − 1's before window j's.
    ///
    /// The half's windows are spread over the row's 16 columns once (`spreadWindows`), so
    /// that each window row takes two compares, two selects and two adds. Lane c of the first
    /// spread holds window c / 2, which owns column c through its column c mod 2; lane 2j + 2
    /// of the second holds window j, which owns it through its third column, and the second's
    /// other lanes hold the window index −1, which no window row selects.
    @inline(__always)
    static func scatterNarrowRow<T: TesselScalar>(_ firstRow: Int, _ dout: SIMD16<T>, _ index: SIMD16<T>, high: Bool,
                                                  _ gradient: UnsafeMutablePointer<T>, end: Int, _ g: Geometry) {
        // Window row kh owns column c where the spread index less c mod 2 is kh · poolWidth.
        let column = SIMD16<T>(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1)
        let (owner, ownerRow) = (spreadWindows(dout, high: high, by: 0), spreadWindows(index, high: high, by: 0) - column)
        let third = spreadWindows(dout, high: high, by: 2)
        let thirdColumns = SIMD16<T>(-1, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1)
        let notThird = SIMD16<T>().isGreater(than: thirdColumns)
        let thirdIndex = spreadWindows(index, high: high, by: 2).replacing(with: -1, where: notThird)
        for kh in 0..<g.poolHeight {
            let k = SIMD16<T>(repeating: T(kh * g.poolWidth))
            let offset = (firstRow + kh) * g.width
            var row = narrowLoad(UnsafePointer(gradient), at: offset, end: end)
            if g.poolWidth == 3 {
                row += third.replacing(with: SIMD16<T>(), where: thirdIndex.isNotEqual(to: k + 2))
            }
            row += owner.replacing(with: SIMD16<T>(), where: ownerRow.isNotEqual(to: k))
            storeNarrowGradientRow(row, to: gradient, at: offset, end: end, g)
        }
    }

    /// The `high` or low half of `v` (eight windows) spread over 16 columns, `by` 0 or 2 lanes
    /// up: lanes 2j + by and 2j + by + 1 hold window j (with `by` 2, lanes 0 and 1 window 0).
    @inline(__always)
    static func spreadWindows<T: TesselScalar>(_ v: SIMD16<T>, high: Bool, by shift: Int) -> SIMD16<T> {
        let h = high ? v.highHalf : v.lowHalf
        if shift == 2 {
            return SIMD16(h[0], h[0], h[0], h[0], h[1], h[1], h[2], h[2], h[3], h[3], h[4], h[4], h[5], h[5], h[6], h[6])
        }
        return SIMD16(h[0], h[0], h[1], h[1], h[2], h[2], h[3], h[3], h[4], h[4], h[5], h[5], h[6], h[6], h[7], h[7])
    }

    /// dout's output row `i` of a plane (its first `outWidth` lanes; the others unspecified).
    @inline(__always)
    static func narrowUpstreamRow<T: TesselScalar>(_ upstream: UnsafePointer<T>, _ i: Int, _ g: Geometry) -> SIMD8<T> {
        let offset = i * g.outWidth
        if offset + 8 <= g.outHeight * g.outWidth { return upstream.load(SIMD8<T>.self, at: offset) }
        var v = SIMD8<T>()
        for j in 0..<g.outWidth { v[j] = upstream[offset + j] }
        return v
    }

    /// Writes the first `width` lanes of `row` to the plane's row at `offset`: as one vector
    /// where that ends by element `end` (its lanes past the row are the next rows' values as
    /// `narrowLoad` read them, plus +0), else one by one.
    @inline(__always)
    static func storeNarrowGradientRow<T: TesselScalar>(_ row: SIMD16<T>, to plane: UnsafeMutablePointer<T>, at offset: Int,
                                                        end: Int, _ g: Geometry) {
        if offset + 16 <= end {
            plane.store(row, at: offset)
        } else {
            for column in 0..<g.width { plane[offset + column] = row[column] }
        }
    }
}
