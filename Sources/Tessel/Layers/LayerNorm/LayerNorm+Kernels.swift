// LayerNorm's row kernels: one row's normalization and gradient, on sizes `LayerNorm.swift`
// has checked.
extension LayerNorm {
    /// `out[j] = β[j] + ((x[j] − mean)·inverseStd)·γ[j]` for `j < count`; returns
    /// `SpanSums.sum(next, count: count)` (the same operations, so the same bits) when `next`
    /// is given, else 0.
    static func normalizeRow<T: TesselScalar>(_ x: UnsafePointer<T>, mean: T, inverseStd: T, gamma: UnsafePointer<T>,
                                              beta: UnsafePointer<T>, out: UnsafeMutablePointer<T>, count: Int,
                                              summing next: UnsafePointer<T>?) -> Double {
        let m = SIMD16<T>(repeating: mean), r = SIMD16<T>(repeating: inverseStd)
        var acc = SIMD16<Double>(repeating: 0)
        var j = 0
        while j + 16 <= count {
            let v = x.load16(at: j)
            let g = gamma.load16(at: j)
            let b = beta.load16(at: j)
            out.store(b.addingProduct((v - m) * r, g), at: j)
            if let next { acc += next.load16(at: j).widened }
            j += 16
        }
        var total = acc.sum()
        while j < count {
            out[j] = beta[j].addingProduct((x[j] - mean) * inverseStd, gamma[j])
            if let next { total += Double(next[j]) }
            j += 1
        }
        return total
    }

    /// One row's sums in `Double`, with `x̂ = (x − mean)·inverseStd` and `dx̂ = dout·γ`:
    /// returns `(Σ dx̂, Σ dx̂·x̂)` and adds `dout·x̂` into `dgamma[j]`, `dout` into `dbeta[j]`.
    static func rowGradientSums<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: Double, inverseStd: Double,
                                                 gamma: UnsafePointer<Double>, dgamma: UnsafeMutablePointer<Double>,
                                                 dbeta: UnsafeMutablePointer<Double>, count: Int) -> (Double, Double) {
        let m = SIMD16<Double>(repeating: mean), r = SIMD16<Double>(repeating: inverseStd)
        var sumDxhat = SIMD16<Double>(repeating: 0), sumDxhatXhat = SIMD16<Double>(repeating: 0)
        var j = 0
        while j + 16 <= count {
            let g = dout.load16(at: j).widened
            let xhat = (x.load16(at: j).widened - m) * r
            let dxhat = g * gamma.load16(at: j)
            sumDxhat += dxhat
            sumDxhatXhat.addProduct(dxhat, xhat)
            let db = dbeta.load16(at: j)
            dbeta.store(db + g, at: j)
            var dg = dgamma.load16(at: j)
            dg.addProduct(g, xhat)
            dgamma.store(dg, at: j)
            j += 16
        }
        var totalDxhat = sumDxhat.sum(), totalDxhatXhat = sumDxhatXhat.sum()
        while j < count {
            let g = Double(dout[j]), xhat = (Double(x[j]) - mean) * inverseStd, dxhat = g * gamma[j]
            totalDxhat += dxhat
            totalDxhatXhat.addProduct(dxhat, xhat)
            dbeta[j] += g
            dgamma[j].addProduct(g, xhat)
            j += 1
        }
        return (totalDxhat, totalDxhatXhat)
    }

    /// `dx[j] = c + (x[j] − mean)·b + (dout[j]·γ[j])·inverseStd` for `j < count`.
    static func rowGradient<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: T, gamma: UnsafePointer<T>,
                                             inverseStd: T, b: T, c: T, dx: UnsafeMutablePointer<T>, count: Int) {
        let m = SIMD16<T>(repeating: mean), r = SIMD16<T>(repeating: inverseStd)
        let vb = SIMD16<T>(repeating: b), vc = SIMD16<T>(repeating: c)
        var j = 0
        while j + 16 <= count {
            let g = dout.load16(at: j)
            let v = x.load16(at: j)
            let w = gamma.load16(at: j)
            dx.store(vc.addingProduct(v - m, vb).addingProduct(g * w, r), at: j)
            j += 16
        }
        while j < count {
            dx[j] = c.addingProduct(x[j] - mean, b).addingProduct(dout[j] * gamma[j], inverseStd)
            j += 1
        }
    }

    /// `rowGradient` of this row, and in the same sweep `rowGradientSums` of the next row (at
    /// `dout + count`, `x + count`, with its mean and 1/σ̂): the same operations in the same
    /// order as `rowGradientSums`, so the same bits, while reading memory overlaps writing dx.
    static func rowGradient<T: TesselScalar>(dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: T, gamma: UnsafePointer<T>,
                                             inverseStd: T, b: T, c: T, dx: UnsafeMutablePointer<T>, count: Int,
                                             summingNextRowWith next: (mean: Double, inverseStd: Double),
                                             gammaWide: UnsafePointer<Double>, dgamma: UnsafeMutablePointer<Double>,
                                             dbeta: UnsafeMutablePointer<Double>) -> (Double, Double) {
        let m = SIMD16<T>(repeating: mean), r = SIMD16<T>(repeating: inverseStd)
        let vb = SIMD16<T>(repeating: b), vc = SIMD16<T>(repeating: c)
        let nextDout = dout + count, nextX = x + count
        let nextMean = SIMD16<Double>(repeating: next.mean), nextInverseStd = SIMD16<Double>(repeating: next.inverseStd)
        var sumDxhat = SIMD16<Double>(repeating: 0), sumDxhatXhat = SIMD16<Double>(repeating: 0)
        var j = 0
        while j + 16 <= count {
            let g = dout.load16(at: j)
            let v = x.load16(at: j)
            let w = gamma.load16(at: j)
            dx.store(vc.addingProduct(v - m, vb).addingProduct(g * w, r), at: j)

            let ng = nextDout.load16(at: j).widened
            let xhat = (nextX.load16(at: j).widened - nextMean) * nextInverseStd
            let dxhat = ng * gammaWide.load16(at: j)
            sumDxhat += dxhat
            sumDxhatXhat.addProduct(dxhat, xhat)
            let db = dbeta.load16(at: j)
            dbeta.store(db + ng, at: j)
            var dg = dgamma.load16(at: j)
            dg.addProduct(ng, xhat)
            dgamma.store(dg, at: j)
            j += 16
        }
        var totalDxhat = sumDxhat.sum(), totalDxhatXhat = sumDxhatXhat.sum()
        while j < count {
            dx[j] = c.addingProduct(x[j] - mean, b).addingProduct(dout[j] * gamma[j], inverseStd)
            let ng = Double(nextDout[j]), xhat = (Double(nextX[j]) - next.mean) * next.inverseStd, dxhat = ng * gammaWide[j]
            totalDxhat += dxhat
            totalDxhatXhat.addProduct(dxhat, xhat)
            dbeta[j] += ng
            dgamma[j].addProduct(ng, xhat)
            j += 1
        }
        return (totalDxhat, totalDxhatXhat)
    }
}
