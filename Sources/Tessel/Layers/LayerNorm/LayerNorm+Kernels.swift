// LayerNorm's row kernels: one row's normalization and gradient, on sizes `LayerNorm.swift`
// has checked.
extension LayerNorm {
    /// `out[j] = β[j] + ((x[j] − mean)·inverseStd)·γ[j]` for `j < count`, with `rectifying`
    /// then the ReLU's element rule on each value before it is stored (what `ElementWise.relu`
    /// in place would give); returns `SpanSums.sum(next, count: count)` (the same operations,
    /// so the same bits) when `next` is given, else 0. With `streaming`, the vectors are
    /// written with streaming stores where `out` is aligned for them (the caller fences).
    static func normalizeRow<T: TesselScalar>(_ x: UnsafePointer<T>, mean: T, inverseStd: T, gamma: UnsafePointer<T>,
                                              beta: UnsafePointer<T>, out: UnsafeMutablePointer<T>, count: Int,
                                              rectifying: Bool, summing next: UnsafePointer<T>?, streaming: Bool) -> Double {
        let streams = streaming && out.isStreamAligned
        let m = SIMD16<T>(repeating: mean), r = SIMD16<T>(repeating: inverseStd)
        var acc = SIMD16<Double>(repeating: 0)
        var j = 0
        while j + 16 <= count {
            let v = x.load16(at: j)
            let g = gamma.load16(at: j)
            let b = beta.load16(at: j)
            let y = b.addingProduct((v - m) * r, g)
            out.store(rectifying ? ElementWise.relu(y) : y, at: j, streaming: streams)
            if let next { acc += next.load16(at: j).widened }
            j += 16
        }
        var total = acc.sumInLaneOrder()
        while j < count {
            let y = beta[j].addingProduct((x[j] - mean) * inverseStd, gamma[j])
            out[j] = rectifying ? ElementWise.relu(y) : y
            if let next { total += Double(next[j]) }
            j += 1
        }
        return total
    }

    /// One row's sums in `Double`, with `x̂ = (x − mean)·inverseStd` and `dx̂ = dout·γ`:
    /// returns `(Σ dx̂, Σ dx̂·x̂)`.
    static func rowGradientSums<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: Double, inverseStd: Double,
                                                 gamma: UnsafePointer<Double>, count: Int) -> (Double, Double) {
        var sums = RowGradientSums(row: RowStatistics(mean: mean, inverseStd: inverseStd))
        var j = 0
        while j + 16 <= count {
            sums.add16(dout: dout, x: x, at: j, gamma: gamma)
            j += 16
        }
        var totals = sums.laneTotals
        while j < count {
            sums.add(dout: dout, x: x, at: j, gamma: gamma, into: &totals)
            j += 1
        }
        return totals
    }

    /// `dx[j] = c + (x[j] − mean)·b + (dout[j]·γ[j])·inverseStd` for `j < count`; with
    /// `streaming`, the vector part is written with non-temporal stores where dx is aligned for
    /// them (`store(_:at:streaming:)`; the caller fences). With `columns`, the same sweep adds
    /// this row's `dout` into `columns.dbeta[j]` and `dout·x̂` into `columns.dgamma[j]` (x̂ from
    /// the row's mean and 1/σ̂ in Double).
    static func rowGradient<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: T, gamma: UnsafePointer<T>,
                                             inverseStd: T, b: T, c: T, dx: UnsafeMutablePointer<T>, count: Int,
                                             streaming: Bool, adding columns: ColumnGradients?) {
        let coefficients = RowGradientCoefficients(mean: mean, inverseStd: inverseStd, b: b, c: c,
                                                   streams: streaming && dx.isStreamAligned)
        var j = 0
        while j + 16 <= count {
            coefficients.store16(dout: dout, x: x, at: j, gamma: gamma, dx: dx)
            if let columns { columns.add16(columns.row.widened(dout: dout, x: x, at: j), at: j) }
            j += 16
        }
        while j < count {
            coefficients.store(dout: dout, x: x, at: j, gamma: gamma, dx: dx)
            if let columns { columns.add(columns.row.widened(dout: dout[j], x: x[j]), at: j) }
            j += 1
        }
    }

    /// `rowGradient` of this row, and in the same sweep `rowGradientSums` of the next row (its
    /// dout at `next.dout`, x at `x + count`, with its mean and 1/σ̂): the same operations in
    /// the same order as `rowGradientSums`, so the same bits, while reading memory overlaps
    /// writing dx. With `columns` (this row's mean and 1/σ̂ in Double and the chunk's partials),
    /// the sweep also adds both rows into dβ and dγ, this row first: one load and one store of
    /// each partial for two rows. `ahead`, when given: the row after the next one, prefetched in
    /// the sweep (a row is a page, where the hardware prefetchers stop).
    static func rowGradient<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: T, gamma: UnsafePointer<T>,
                                             inverseStd: T, b: T, c: T, dx: UnsafeMutablePointer<T>, count: Int,
                                             streaming: Bool, summingNextRowWith next: (dout: UnsafePointer<T>, mean: Double, inverseStd: Double),
                                             gammaWide: UnsafePointer<Double>, adding columns: ColumnGradients?,
                                             prefetching ahead: RowPrefetch<T>?) -> (Double, Double) {
        // Two inlined copies, so that neither tests `columns` in its loop.
        if let columns {
            return sweep(dout: dout, x: x, mean: mean, gamma: gamma, inverseStd: inverseStd, b: b, c: c, dx: dx, count: count,
                         streaming: streaming, next: next, gammaWide: gammaWide, columns: columns, ahead: ahead)
        }
        return sweep(dout: dout, x: x, mean: mean, gamma: gamma, inverseStd: inverseStd, b: b, c: c, dx: dx, count: count,
                     streaming: streaming, next: next, gammaWide: gammaWide, columns: nil, ahead: ahead)
    }

    /// The loop of the two-row `rowGradient`.
    @inline(__always)
    private static func sweep<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: T, gamma: UnsafePointer<T>,
                                               inverseStd: T, b: T, c: T, dx: UnsafeMutablePointer<T>, count: Int, streaming: Bool,
                                               next: (dout: UnsafePointer<T>, mean: Double, inverseStd: Double),
                                               gammaWide: UnsafePointer<Double>, columns: ColumnGradients?,
                                               ahead: RowPrefetch<T>?) -> (Double, Double) {
        let coefficients = RowGradientCoefficients(mean: mean, inverseStd: inverseStd, b: b, c: c,
                                                   streams: streaming && dx.isStreamAligned)
        let nextDout = next.dout, nextX = x + count
        var sums = RowGradientSums(row: RowStatistics(mean: next.mean, inverseStd: next.inverseStd))
        var j = 0
        while j + 16 <= count {
            ahead?.lines(at: j)
            coefficients.store16(dout: dout, x: x, at: j, gamma: gamma, dx: dx)
            let nextRow = sums.add16(dout: nextDout, x: nextX, at: j, gamma: gammaWide)
            if let columns { columns.add16(columns.row.widened(dout: dout, x: x, at: j), then: nextRow, at: j) }
            j += 16
        }
        var totals = sums.laneTotals
        while j < count {
            coefficients.store(dout: dout, x: x, at: j, gamma: gamma, dx: dx)
            let nextRow = sums.add(dout: nextDout, x: nextX, at: j, gamma: gammaWide, into: &totals)
            if let columns {
                columns.add(columns.row.widened(dout: dout[j], x: x[j]), at: j)
                columns.add(nextRow, at: j)
            }
            j += 1
        }
        return totals
    }
}

extension LayerNorm {
    /// A row of the backward's inputs to prefetch: x, dout and, with a fused chain, the ReLU's
    /// output and the fused dropout's.
    struct RowPrefetch<T: TesselScalar> {
        let x: UnsafePointer<T>, dout: UnsafePointer<T>, reluOutput: UnsafePointer<T>?, dropoutOutput: UnsafePointer<T>?

        /// Prefetches the 16 elements from `j` of each.
        @inline(__always)
        func lines(at j: Int) {
            x.prefetch16(at: j)
            dout.prefetch16(at: j)
            reluOutput?.prefetch16(at: j)
            dropoutOutput?.prefetch16(at: j)
        }
    }
}

/// A row's `dx = c + (x − mean)·b + (dout·γ)·inverseStd`, 16 lanes or one value at a time;
/// `streams`: the 16 lanes are written with non-temporal stores.
private struct RowGradientCoefficients<T: TesselScalar> {
    let mean: T, inverseStd: T, b: T, c: T, streams: Bool

    @inline(__always)
    func store16(dout: UnsafePointer<T>, x: UnsafePointer<T>, at j: Int, gamma: UnsafePointer<T>, dx: UnsafeMutablePointer<T>) {
        let m = SIMD16<T>(repeating: mean), r = SIMD16<T>(repeating: inverseStd)
        let vb = SIMD16<T>(repeating: b), vc = SIMD16<T>(repeating: c)
        let g = dout.load16(at: j)
        let v = x.load16(at: j)
        let w = gamma.load16(at: j)
        dx.store(vc.addingProduct(v - m, vb).addingProduct(g * w, r), at: j, streaming: streams)
    }

    @inline(__always)
    func store(dout: UnsafePointer<T>, x: UnsafePointer<T>, at j: Int, gamma: UnsafePointer<T>, dx: UnsafeMutablePointer<T>) {
        dx[j] = c.addingProduct(x[j] - mean, b).addingProduct(dout[j] * gamma[j], inverseStd)
    }
}

/// A row's gradient sums in `Double` with `x̂ = (x − mean)·inverseStd` and `dx̂ = dout·γ`:
/// `Σ dx̂` and `Σ dx̂·x̂` in 16 lanes, then (after `laneTotals`) one value at a time. Each step
/// returns its dout and x̂ in Double, for `ColumnGradients`.
private struct RowGradientSums {
    let row: LayerNorm.RowStatistics
    var sumDxhat = SIMD16<Double>(repeating: 0), sumDxhatXhat = SIMD16<Double>(repeating: 0)

    /// The lane sums of `(Σ dx̂, Σ dx̂·x̂)`, which the one-at-a-time tail continues.
    var laneTotals: (Double, Double) { (sumDxhat.sumInLaneOrder(), sumDxhatXhat.sumInLaneOrder()) }

    @inline(__always) @discardableResult
    mutating func add16<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, at j: Int,
                                         gamma: UnsafePointer<Double>) -> (dout: SIMD16<Double>, xhat: SIMD16<Double>) {
        let (g, xhat) = row.widened(dout: dout, x: x, at: j)
        let dxhat = g * gamma.load16(at: j)
        sumDxhat += dxhat
        sumDxhatXhat.addProduct(dxhat, xhat)
        return (g, xhat)
    }

    @inline(__always) @discardableResult
    func add<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, at j: Int, gamma: UnsafePointer<Double>,
                              into totals: inout (Double, Double)) -> (dout: Double, xhat: Double) {
        let (g, xhat) = row.widened(dout: dout[j], x: x[j])
        let dxhat = g * gamma[j]
        totals.0 += dxhat
        totals.1.addProduct(dxhat, xhat)
        return (g, xhat)
    }
}

extension LayerNorm {
    /// A row's mean and 1/σ̂ in Double, which widen its dout and x̂ = (x − mean)·inverseStd to
    /// Double as the backward's row sums and the dβ, dγ partials take them.
    struct RowStatistics {
        let mean: Double, inverseStd: Double

        /// The row's dout and x̂ in Double at `j ..< j + 16`.
        @inline(__always)
        func widened<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, at j: Int)
            -> (dout: SIMD16<Double>, xhat: SIMD16<Double>) {
            (dout.load16(at: j).widened, (x.load16(at: j).widened - SIMD16(repeating: mean)) * SIMD16(repeating: inverseStd))
        }

        /// One value's dout and x̂ in Double.
        @inline(__always)
        func widened<T: TesselScalar>(dout: T, x: T) -> (dout: Double, xhat: Double) {
            (Double(dout), (Double(x) - mean) * inverseStd)
        }
    }

    /// A chunk's partial dβ and dγ in Double, and the statistics of the row a sweep writes:
    /// `dbeta[j] += dout`, `dgamma[j] += dout·x̂`, row by row in row order.
    struct ColumnGradients {
        let row: RowStatistics
        let dgamma: UnsafeMutablePointer<Double>, dbeta: UnsafeMutablePointer<Double>

        /// Adds one row at `j ..< j + 16`.
        @inline(__always)
        func add16(_ row: (dout: SIMD16<Double>, xhat: SIMD16<Double>), at j: Int) {
            dbeta.store(dbeta.load16(at: j) + row.dout, at: j)
            var dg = dgamma.load16(at: j)
            dg.addProduct(row.dout, row.xhat)
            dgamma.store(dg, at: j)
        }

        /// Adds `first` and then `second` at `j ..< j + 16`: one load and store for both.
        @inline(__always)
        func add16(_ first: (dout: SIMD16<Double>, xhat: SIMD16<Double>), then second: (dout: SIMD16<Double>, xhat: SIMD16<Double>),
                   at j: Int) {
            dbeta.store(dbeta.load16(at: j) + first.dout + second.dout, at: j)
            var dg = dgamma.load16(at: j)
            dg.addProduct(first.dout, first.xhat)
            dg.addProduct(second.dout, second.xhat)
            dgamma.store(dg, at: j)
        }

        /// Adds one value at `j`.
        @inline(__always)
        func add(_ value: (dout: Double, xhat: Double), at j: Int) {
            dbeta[j] += value.dout
            dgamma[j].addProduct(value.dout, value.xhat)
        }
    }
}
