/// Sums over one contiguous span of a tensor (a layer-norm row, a channel plane, a group),
/// vectorized with `SIMD16` lanes and accumulated in `Double` whatever the element type.
///
/// The order of the additions depends only on the span's length, so a span gives the same
/// bits whichever tile, thread or tiling reads it.
enum SpanSums {
    /// `Σ x[i]` for `i < count`. With `ahead`, also prefetches the `count` values there as it
    /// reads x's (a hint; the sum is the same): for spans that are pages of their own, such as
    /// a 32 × 32 plane, where the hardware prefetchers stop and the next page's first reads
    /// wait on memory.
    @inlinable
    static func sum<T: TesselScalar>(_ x: UnsafePointer<T>, count: Int, prefetching ahead: UnsafePointer<T>? = nil) -> Double {
        var acc = SIMD16<Double>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            if let ahead { ahead.prefetch16(at: i) }
            acc += x.load16(at: i).widened
            i += 16
        }
        var total = acc.sumInLaneOrder()
        while i < count {
            total += Double(x[i])
            i += 1
        }
        return total
    }

    /// `Σ (x[i] − mean)²` for `i < count`: the second pass of a two-pass variance. `ahead` as
    /// for `sum`.
    @inlinable
    static func centeredSquares<T: TesselScalar>(_ x: UnsafePointer<T>, count: Int, mean: Double,
                                                 prefetching ahead: UnsafePointer<T>? = nil) -> Double {
        let m = SIMD16<Double>(repeating: mean)
        var acc = SIMD16<Double>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            if let ahead { ahead.prefetch16(at: i) }
            let d = x.load16(at: i).widened - m
            acc.addProduct(d, d)
            i += 16
        }
        var total = acc.sumInLaneOrder()
        while i < count {
            let d = Double(x[i]) - mean
            total.addProduct(d, d)
            i += 1
        }
        return total
    }

    /// `(Σ dout[i], Σ dout[i]·(x[i] − mean))` for `i < count`: the two sums a normalization
    /// backward needs per statistic (they give dbeta and dgamma).
    @inlinable
    static func gradientSums<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, count: Int,
                                              mean: Double) -> (dout: Double, doutCentered: Double) {
        let m = SIMD16<Double>(repeating: mean)
        var sumDout = SIMD16<Double>(repeating: 0), sumProduct = SIMD16<Double>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let g = dout.load16(at: i).widened
            let d = x.load16(at: i).widened - m
            sumDout += g
            sumProduct.addProduct(g, d)
            i += 16
        }
        var totalDout = sumDout.sumInLaneOrder(), totalProduct = sumProduct.sumInLaneOrder()
        while i < count {
            let g = Double(dout[i])
            totalDout += g
            totalProduct.addProduct(g, Double(x[i]) - mean)
            i += 1
        }
        return (totalDout, totalProduct)
    }
}
