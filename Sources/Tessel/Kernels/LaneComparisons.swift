/// Lane-wise comparisons of `SIMD16<T>` that compile to single vector compares in generic kernels.
///
/// In code generic over the scalar, `a .> b` resolves to the `SIMD` protocol's default — a
/// 16-iteration loop with a branch per lane, which the optimizer does not vectorize even after
/// specialization. The concrete `SIMD16<Float>` / `SIMD16<Double>` operators are single
/// instructions, so these helpers reinterpret the vector as its concrete type (a no-op once
/// specialized) and use them.
extension SIMD16 where Scalar: TesselScalar {
    /// `self .> other`.
    @inline(__always)
    func isGreater(than other: Self) -> SIMDMask<MaskStorage> {
        compare(other, { $0 .> $1 }, { $0 .> $1 }, { $0 .> $1 })
    }

    /// `self .>= other`.
    @inline(__always)
    func isGreaterOrEqual(to other: Self) -> SIMDMask<MaskStorage> {
        compare(other, { $0 .>= $1 }, { $0 .>= $1 }, { $0 .>= $1 })
    }

    /// `self .<= other` (false where either lane is NaN).
    @inline(__always)
    func isLessOrEqual(to other: Self) -> SIMDMask<MaskStorage> {
        compare(other, { $0 .<= $1 }, { $0 .<= $1 }, { $0 .<= $1 })
    }

    /// `self .== other`.
    @inline(__always)
    func isEqual(to other: Self) -> SIMDMask<MaskStorage> {
        compare(other, { $0 .== $1 }, { $0 .== $1 }, { $0 .== $1 })
    }

    /// `self .!= other` (true where either lane is NaN).
    @inline(__always)
    func isNotEqual(to other: Self) -> SIMDMask<MaskStorage> {
        compare(other, { $0 .!= $1 }, { $0 .!= $1 }, { $0 .!= $1 })
    }

    @inline(__always)
    private func compare(_ other: Self,
                         _ single: (SIMD16<Float>, SIMD16<Float>) -> SIMDMask<SIMD16<Int32>>,
                         _ double: (SIMD16<Double>, SIMD16<Double>) -> SIMDMask<SIMD16<Int64>>,
                         _ generic: (Self, Self) -> SIMDMask<MaskStorage>) -> SIMDMask<MaskStorage> {
        if Scalar.self == Float.self {
            let mask = single(unsafeBitCast(self, to: SIMD16<Float>.self), unsafeBitCast(other, to: SIMD16<Float>.self))
            return unsafeBitCast(mask, to: SIMDMask<MaskStorage>.self)
        }
        if Scalar.self == Double.self {
            let mask = double(unsafeBitCast(self, to: SIMD16<Double>.self), unsafeBitCast(other, to: SIMD16<Double>.self))
            return unsafeBitCast(mask, to: SIMDMask<MaskStorage>.self)
        }
        return generic(self, other)
    }
}
