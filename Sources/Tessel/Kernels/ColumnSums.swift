/// Per-column sums over the rows of an (rows, width) matrix: each call adds a block of `rows`
/// rows, `rowStride` elements apart (or a column range of them), into per-column `Double`
/// accumulators. Batch norm uses these over its (N, D) input, whose rows are contiguous in D,
/// so the features are the `SIMD16` lanes.
///
/// Each column's accumulator is updated row after row in row order, so a block of rows adds
/// exactly as the rows one by one would; a block only keeps the accumulators in registers
/// between its rows. Every column is updated by the same IEEE operations whether it falls in
/// a vector or in the scalar tail, so the bits of a column's sum do not depend on where a
/// tile's columns start or how its rows are blocked.
enum ColumnSums {
    /// `acc[j] += x[r·rowStride + j]` for `r < rows`, `j < count`.
    @inlinable
    static func accumulate<T: TesselScalar>(_ x: UnsafePointer<T>, rows: Int, rowStride: Int,
                                            into acc: UnsafeMutablePointer<Double>, count: Int) {
        var j = 0
        while j + 16 <= count {
            var a = acc.load16(at: j)
            for r in 0..<rows {
                a += x.load16(at: r * rowStride + j).widened
            }
            acc.store(a, at: j)
            j += 16
        }
        while j < count {
            for r in 0..<rows { acc[j] += Double(x[r * rowStride + j]) }
            j += 1
        }
    }

    /// `acc[j] += (x[r·rowStride + j] − mean[j])²` for `r < rows`, `j < count`.
    @inlinable
    static func accumulateCenteredSquares<T: TesselScalar>(_ x: UnsafePointer<T>, rows: Int, rowStride: Int,
                                                           mean: UnsafePointer<Double>,
                                                           into acc: UnsafeMutablePointer<Double>, count: Int) {
        var j = 0
        while j + 16 <= count {
            let m = mean.load16(at: j)
            var a = acc.load16(at: j)
            for r in 0..<rows {
                let d = x.load16(at: r * rowStride + j).widened - m
                a.addProduct(d, d)
            }
            acc.store(a, at: j)
            j += 16
        }
        while j < count {
            for r in 0..<rows {
                let d = Double(x[r * rowStride + j]) - mean[j]
                acc[j].addProduct(d, d)
            }
            j += 1
        }
    }

    /// The sums of a normalization backward, for `r < rows`, `j < count`, with
    /// `d = x[r·rowStride + j] − mean[j]` and `g = dout[r·rowStride + j]`:
    /// `sumDout[j] += g`, `sumDoutCentered[j] += g·d`, and, when `sumCentered` is given,
    /// `sumCentered[j] += d`. dout's rows are `doutRowStride` elements apart (x's `rowStride`
    /// when not given).
    @inlinable
    static func accumulateGradientSums<T: TesselScalar>(
        dout: UnsafePointer<T>, x: UnsafePointer<T>, rows: Int, rowStride: Int, doutRowStride: Int? = nil,
        mean: UnsafePointer<Double>, sumDout: UnsafeMutablePointer<Double>, sumDoutCentered: UnsafeMutablePointer<Double>,
        sumCentered: UnsafeMutablePointer<Double>?, count: Int
    ) {
        let doutStride = doutRowStride ?? rowStride
        var j = 0
        while j + 16 <= count {
            let m = mean.load16(at: j)
            var s1 = sumDout.load16(at: j)
            var s2 = sumDoutCentered.load16(at: j)
            var s3 = sumCentered.map { $0.load16(at: j) } ?? SIMD16()
            for r in 0..<rows {
                let d = x.load16(at: r * rowStride + j).widened - m
                let g = dout.load16(at: r * doutStride + j).widened
                s1 += g
                s2.addProduct(g, d)
                if sumCentered != nil { s3 += d }
            }
            sumDout.store(s1, at: j)
            sumDoutCentered.store(s2, at: j)
            if let sumCentered { sumCentered.store(s3, at: j) }
            j += 16
        }
        while j < count {
            for r in 0..<rows {
                let d = Double(x[r * rowStride + j]) - mean[j], g = Double(dout[r * doutStride + j])
                sumDout[j] += g
                sumDoutCentered[j].addProduct(g, d)
                if let sumCentered { sumCentered[j] += d }
            }
            j += 1
        }
    }
}
