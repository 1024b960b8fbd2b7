/// Per-column sums of the rows of an (rows, width) matrix, one row at a time: each call adds
/// one row (or a column range of it) into per-column `Double` accumulators. Batch norm uses
/// these over its (N, D) input, whose rows are contiguous in D, so the features are the
/// `SIMD16` lanes.
///
/// Every column is updated by the same IEEE operations whether it falls in a vector or in the
/// scalar tail, so the bits of a column's sum do not depend on where a tile's columns start.
enum ColumnSums {
    /// `acc[j] += x[j]` for `j < count`.
    @inlinable
    static func accumulate<T: TesselScalar>(_ x: UnsafePointer<T>, into acc: UnsafeMutablePointer<Double>, count: Int) {
        var j = 0
        while j + 16 <= count {
            let a = UnsafeRawPointer(acc + j).loadUnaligned(as: SIMD16<Double>.self)
            let v = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<T>.self).widened
            UnsafeMutableRawPointer(acc + j).storeBytes(of: a + v, as: SIMD16<Double>.self)
            j += 16
        }
        while j < count {
            acc[j] += Double(x[j])
            j += 1
        }
    }

    /// `acc[j] += (x[j] − mean[j])²` for `j < count`.
    @inlinable
    static func accumulateCenteredSquares<T: TesselScalar>(_ x: UnsafePointer<T>, mean: UnsafePointer<Double>,
                                                           into acc: UnsafeMutablePointer<Double>, count: Int) {
        var j = 0
        while j + 16 <= count {
            let m = UnsafeRawPointer(mean + j).loadUnaligned(as: SIMD16<Double>.self)
            let d = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<T>.self).widened - m
            var a = UnsafeRawPointer(acc + j).loadUnaligned(as: SIMD16<Double>.self)
            a.addProduct(d, d)
            UnsafeMutableRawPointer(acc + j).storeBytes(of: a, as: SIMD16<Double>.self)
            j += 16
        }
        while j < count {
            let d = Double(x[j]) - mean[j]
            acc[j].addProduct(d, d)
            j += 1
        }
    }

    /// The sums of a normalization backward, for `j < count`:
    /// `sumDout[j] += dout[j]`, `sumDoutCentered[j] += dout[j]·(x[j] − mean[j])`, and, when
    /// `sumCentered` is given, `sumCentered[j] += x[j] − mean[j]`.
    @inlinable
    static func accumulateGradientSums<T: TesselScalar>(
        dout: UnsafePointer<T>, x: UnsafePointer<T>, mean: UnsafePointer<Double>,
        sumDout: UnsafeMutablePointer<Double>, sumDoutCentered: UnsafeMutablePointer<Double>,
        sumCentered: UnsafeMutablePointer<Double>?, count: Int
    ) {
        var j = 0
        while j + 16 <= count {
            let m = UnsafeRawPointer(mean + j).loadUnaligned(as: SIMD16<Double>.self)
            let d = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<T>.self).widened - m
            let g = UnsafeRawPointer(dout + j).loadUnaligned(as: SIMD16<T>.self).widened
            let s1 = UnsafeRawPointer(sumDout + j).loadUnaligned(as: SIMD16<Double>.self)
            UnsafeMutableRawPointer(sumDout + j).storeBytes(of: s1 + g, as: SIMD16<Double>.self)
            var s2 = UnsafeRawPointer(sumDoutCentered + j).loadUnaligned(as: SIMD16<Double>.self)
            s2.addProduct(g, d)
            UnsafeMutableRawPointer(sumDoutCentered + j).storeBytes(of: s2, as: SIMD16<Double>.self)
            if let sumCentered {
                let s3 = UnsafeRawPointer(sumCentered + j).loadUnaligned(as: SIMD16<Double>.self)
                UnsafeMutableRawPointer(sumCentered + j).storeBytes(of: s3 + d, as: SIMD16<Double>.self)
            }
            j += 16
        }
        while j < count {
            let d = Double(x[j]) - mean[j], g = Double(dout[j])
            sumDout[j] += g
            sumDoutCentered[j].addProduct(g, d)
            if let sumCentered { sumCentered[j] += d }
            j += 1
        }
    }
}
