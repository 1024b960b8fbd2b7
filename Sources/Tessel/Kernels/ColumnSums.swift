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
            var a = UnsafeRawPointer(acc + j).loadUnaligned(as: SIMD16<Double>.self)
            for r in 0..<rows {
                a += UnsafeRawPointer(x + r * rowStride + j).loadUnaligned(as: SIMD16<T>.self).widened
            }
            UnsafeMutableRawPointer(acc + j).storeBytes(of: a, as: SIMD16<Double>.self)
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
            let m = UnsafeRawPointer(mean + j).loadUnaligned(as: SIMD16<Double>.self)
            var a = UnsafeRawPointer(acc + j).loadUnaligned(as: SIMD16<Double>.self)
            for r in 0..<rows {
                let d = UnsafeRawPointer(x + r * rowStride + j).loadUnaligned(as: SIMD16<T>.self).widened - m
                a.addProduct(d, d)
            }
            UnsafeMutableRawPointer(acc + j).storeBytes(of: a, as: SIMD16<Double>.self)
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
    /// `sumCentered[j] += d`.
    @inlinable
    static func accumulateGradientSums<T: TesselScalar>(
        dout: UnsafePointer<T>, x: UnsafePointer<T>, rows: Int, rowStride: Int, mean: UnsafePointer<Double>,
        sumDout: UnsafeMutablePointer<Double>, sumDoutCentered: UnsafeMutablePointer<Double>,
        sumCentered: UnsafeMutablePointer<Double>?, count: Int
    ) {
        var j = 0
        while j + 16 <= count {
            let m = UnsafeRawPointer(mean + j).loadUnaligned(as: SIMD16<Double>.self)
            var s1 = UnsafeRawPointer(sumDout + j).loadUnaligned(as: SIMD16<Double>.self)
            var s2 = UnsafeRawPointer(sumDoutCentered + j).loadUnaligned(as: SIMD16<Double>.self)
            var s3 = sumCentered.map { UnsafeRawPointer($0 + j).loadUnaligned(as: SIMD16<Double>.self) } ?? SIMD16()
            for r in 0..<rows {
                let offset = r * rowStride + j
                let d = UnsafeRawPointer(x + offset).loadUnaligned(as: SIMD16<T>.self).widened - m
                let g = UnsafeRawPointer(dout + offset).loadUnaligned(as: SIMD16<T>.self).widened
                s1 += g
                s2.addProduct(g, d)
                if sumCentered != nil { s3 += d }
            }
            UnsafeMutableRawPointer(sumDout + j).storeBytes(of: s1, as: SIMD16<Double>.self)
            UnsafeMutableRawPointer(sumDoutCentered + j).storeBytes(of: s2, as: SIMD16<Double>.self)
            if let sumCentered { UnsafeMutableRawPointer(sumCentered + j).storeBytes(of: s3, as: SIMD16<Double>.self) }
            j += 16
        }
        while j < count {
            for r in 0..<rows {
                let offset = r * rowStride + j
                let d = Double(x[offset]) - mean[j], g = Double(dout[offset])
                sumDout[j] += g
                sumDoutCentered[j].addProduct(g, d)
                if let sumCentered { sumCentered[j] += d }
            }
            j += 1
        }
    }
}
