extension SIMD16 where Scalar: TesselScalar {
    /// The lanes converted to `Double` (exact for both element types), for accumulating in
    /// `Double`. Spelled out per element type because the generic `SIMD16<Double>(_:)`
    /// conversion stays an out-of-line call inside the specialized kernels, which costs more
    /// than the loads it converts; this lane loop compiles to `vcvtps2pd` (Float) or to nothing (Double).
    @inlinable @inline(__always)
    var widened: SIMD16<Double> {
        if Scalar.self == Double.self { return unsafeBitCast(self, to: SIMD16<Double>.self) }
        let narrow = unsafeBitCast(self, to: SIMD16<Float>.self)
        var wide = SIMD16<Double>()
        for lane in 0..<16 { wide[lane] = Double(narrow[lane]) }
        return wide
    }
}

extension SIMD16 where Scalar == Double {
    /// The lanes rounded to `T` (to nearest, as `T(Double)` rounds each), the inverse of
    /// `widened`: `vcvtpd2ps` for Float, nothing for Double.
    @inlinable @inline(__always)
    func narrowed<T: TesselScalar>(to _: T.Type) -> SIMD16<T> {
        if T.self == Double.self { return unsafeBitCast(self, to: SIMD16<T>.self) }
        var narrow = SIMD16<Float>()
        for lane in 0..<16 { narrow[lane] = Float(self[lane]) }
        return unsafeBitCast(narrow, to: SIMD16<T>.self)
    }
}
