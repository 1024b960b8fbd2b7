/// The element-wise maps the normalization layers apply once their statistics are known:
///
/// - forward: `out = shift + (x − mean)·scale`,
/// - backward: `dx = c + (x − mean)·b + dout·a`,
///
/// with per-column coefficient vectors (batch norm, whose rows are contiguous in D) or one
/// scalar set of coefficients for a whole span (a channel plane, a group's channel). They run
/// in the element type with fused multiply-adds (`addingProduct`); the vector lanes and the
/// scalar tail perform the same operations, so results do not depend on where a tile starts.
enum CenteredAffine {
    /// `out[j] = shift[j] + (x[j] − mean[j])·scale[j]` for `j < count`; with `streaming`, the
    /// vector part is written with non-temporal stores where `out` is aligned for them
    /// (`store(_:at:streaming:)`; the caller fences).
    @inlinable
    static func forward<T: TesselScalar>(_ x: UnsafePointer<T>, mean: UnsafePointer<T>, scale: UnsafePointer<T>,
                                         shift: UnsafePointer<T>, out: UnsafeMutablePointer<T>, count: Int,
                                         streaming: Bool = false) {
        let streams = streaming && out.isStreamAligned
        var j = 0
        while j + 16 <= count {
            let v = x.load16(at: j)
            let m = mean.load16(at: j)
            let s = scale.load16(at: j)
            let b = shift.load16(at: j)
            out.store(b.addingProduct(v - m, s), at: j, streaming: streams)
            j += 16
        }
        while j < count {
            out[j] = shift[j].addingProduct(x[j] - mean[j], scale[j])
            j += 1
        }
    }

    /// `out[j] = shift + (x[j] − mean)·scale` for `j < count`, with `rectifying` then the
    /// ReLU's element rule on each value before it is stored (as `forwardReLU`). When `next` is
    /// given, also returns `SpanSums.sum(next, count: count)` (the same operations, so the same
    /// bits): a layer that sums the next span in the sweep that writes this one overlaps
    /// reading memory with writing it. `ahead`, when given, is prefetched in the same sweep,
    /// `count` values (a hint: the span read after `next`, see `SpanSums.sum`). `streaming` as
    /// in the per-column `forward`.
    @inlinable @discardableResult
    static func forward<T: TesselScalar>(_ x: UnsafePointer<T>, mean: T, scale: T, shift: T,
                                         out: UnsafeMutablePointer<T>, count: Int, rectifying: Bool = false,
                                         summing next: UnsafePointer<T>? = nil, prefetching ahead: UnsafePointer<T>? = nil,
                                         streaming: Bool = false) -> Double {
        let m = SIMD16<T>(repeating: mean), s = SIMD16<T>(repeating: scale), b = SIMD16<T>(repeating: shift)
        let streams = streaming && out.isStreamAligned
        var acc = SIMD16<Double>(repeating: 0)
        var j = 0
        while j + 16 <= count {
            let y = b.addingProduct(x.load16(at: j) - m, s)
            out.store(rectifying ? ElementWise.relu(y) : y, at: j, streaming: streams)
            if let next { acc += next.load16(at: j).widened }
            if let ahead { ahead.prefetch16(at: j) }
            j += 16
        }
        var total = acc.sumInLaneOrder()
        while j < count {
            let y = shift.addingProduct(x[j] - mean, scale)
            out[j] = rectifying ? ElementWise.relu(y) : y
            if let next { total += Double(next[j]) }
            j += 1
        }
        return total
    }

    /// `out[j] = relu(shift[j] + (x[j] − mean[j])·scale[j])` for `j < count`, in one sweep: the
    /// per-column `forward` followed by `ElementWise.relu` in place, with the same operations
    /// on each element (so the same bits), without writing and reading back the normalized
    /// values; `streaming` as in `forward`.
    @inline(__always)
    static func forwardReLU<T: TesselScalar>(_ x: UnsafePointer<T>, mean: UnsafePointer<T>, scale: UnsafePointer<T>,
                                             shift: UnsafePointer<T>, out: UnsafeMutablePointer<T>, count: Int,
                                             streaming: Bool = false) {
        let streams = streaming && out.isStreamAligned
        var j = 0
        while j + 16 <= count {
            let y = shift.load16(at: j).addingProduct(x.load16(at: j) - mean.load16(at: j), scale.load16(at: j))
            out.store(ElementWise.relu(y), at: j, streaming: streams)
            j += 16
        }
        while j < count {
            let y = shift[j].addingProduct(x[j] - mean[j], scale[j])
            out[j] = ElementWise.relu(y)
            j += 1
        }
    }

    /// `forwardReLU` with one scalar set of coefficients for the whole span.
    @inline(__always)
    static func forwardReLU<T: TesselScalar>(_ x: UnsafePointer<T>, mean: T, scale: T, shift: T,
                                             out: UnsafeMutablePointer<T>, count: Int, streaming: Bool = false) {
        let m = SIMD16<T>(repeating: mean), s = SIMD16<T>(repeating: scale), b = SIMD16<T>(repeating: shift)
        let streams = streaming && out.isStreamAligned
        var j = 0
        while j + 16 <= count {
            let y = b.addingProduct(x.load16(at: j) - m, s)
            out.store(ElementWise.relu(y), at: j, streaming: streams)
            j += 16
        }
        while j < count {
            let y = shift.addingProduct(x[j] - mean, scale)
            out[j] = ElementWise.relu(y)
            j += 1
        }
    }

    /// `dx[j] = c[j] + (x[j] − mean[j])·b[j] + dout[j]·a[j]` for `j < count`; `streaming` as
    /// in `forward`.
    @inlinable
    static func backward<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: UnsafePointer<T>,
                                          a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafePointer<T>,
                                          dx: UnsafeMutablePointer<T>, count: Int, streaming: Bool = false) {
        let streams = streaming && dx.isStreamAligned
        var j = 0
        while j + 16 <= count {
            let g = dout.load16(at: j)
            let v = x.load16(at: j)
            let m = mean.load16(at: j)
            let va = a.load16(at: j)
            let vb = b.load16(at: j)
            let vc = c.load16(at: j)
            let result = vc.addingProduct(v - m, vb).addingProduct(g, va)
            dx.store(result, at: j, streaming: streams)
            j += 16
        }
        while j < count {
            dx[j] = c[j].addingProduct(x[j] - mean[j], b[j]).addingProduct(dout[j], a[j])
            j += 1
        }
    }

    /// `dx[j] = c + (x[j] − mean)·b + dout[j]·a` for `j < count`. When `next` is given, also
    /// returns `SpanSums.gradientSums(dout: next.dout, x: next.x, count: count, mean: next.mean)`
    /// (the same operations, so the same bits), summed in the sweep that writes dx. `ahead`
    /// as in `forward`. `streaming` as in the per-column `forward`.
    @inlinable @discardableResult
    static func backward<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: T,
                                          a: T, b: T, c: T, dx: UnsafeMutablePointer<T>, count: Int,
                                          summing next: (dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: Double)? = nil,
                                          prefetching ahead: UnsafePointer<T>? = nil, streaming: Bool = false)
        -> (dout: Double, doutCentered: Double) {
        let streams = streaming && dx.isStreamAligned
        let m = SIMD16<T>(repeating: mean), va = SIMD16<T>(repeating: a)
        let vb = SIMD16<T>(repeating: b), vc = SIMD16<T>(repeating: c)
        let nextMean = SIMD16<Double>(repeating: next?.mean ?? 0)
        var sumDout = SIMD16<Double>(repeating: 0), sumProduct = SIMD16<Double>(repeating: 0)
        var j = 0
        while j + 16 <= count {
            let g = dout.load16(at: j)
            let v = x.load16(at: j)
            dx.store(vc.addingProduct(v - m, vb).addingProduct(g, va), at: j, streaming: streams)
            if let next {
                let ng = next.dout.load16(at: j).widened
                let nd = next.x.load16(at: j).widened - nextMean
                sumDout += ng
                sumProduct.addProduct(ng, nd)
            }
            if let ahead { ahead.prefetch16(at: j) }
            j += 16
        }
        var totalDout = sumDout.sumInLaneOrder(), totalProduct = sumProduct.sumInLaneOrder()
        while j < count {
            dx[j] = c.addingProduct(x[j] - mean, b).addingProduct(dout[j], a)
            if let next {
                let ng = Double(next.dout[j])
                totalDout += ng
                totalProduct.addProduct(ng, Double(next.x[j]) - next.mean)
            }
            j += 1
        }
        return (totalDout, totalProduct)
    }
}
