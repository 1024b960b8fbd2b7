/// A vectorized sum in Double of a contiguous run of values.
enum RowSum {
    /// `Σ values[0..<count]` in Double: sixteen interleaved partial sums (lane `l` of the two
    /// accumulators takes the elements `≡ l (mod 16)`), added lane by lane, then the tail in
    /// order. The order depends only on `count`.
    @inline(__always)
    static func sum<T: TesselScalar>(_ values: UnsafePointer<T>, count: Int) -> Double {
        var low = SIMD8<Double>(), high = SIMD8<Double>()
        var i = 0
        while i + 16 <= count {
            low += SIMD8<Double>(UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<T>.self))
            high += SIMD8<Double>(UnsafeRawPointer(values + i + 8).loadUnaligned(as: SIMD8<T>.self))
            i += 16
        }
        var total = (low + high).sum()
        while i < count {
            total += Double(values[i])
            i += 1
        }
        return total
    }
}
