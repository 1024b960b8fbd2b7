/// The NaN-propagating "first maximum" rule that max pooling and the softmax row maximum share:
/// scanning candidates in order, the running maximum `m` is kept unless the candidate is
/// larger, or the candidate is NaN and `m` is not. So the result is the first NaN if there is
/// one, else the first largest value; −∞ is an ordinary value.
enum Maximum {
    /// Whether the running maximum `m` stays when the scan meets `v`: `m ≥ v`, or `m` is NaN.
    /// The two never hold together (a comparison with NaN is false), so they are joined by
    /// `!=` rather than `||`, whose short circuit compiled to data-dependent branches.
    @inline(__always)
    static func keeps<T: TesselScalar>(_ m: T, over v: T) -> Bool {
        (m >= v) != (m != m)
    }

    /// `keeps`, lane by lane.
    @inline(__always)
    static func keeps<T: TesselScalar>(_ m: SIMD16<T>, over v: SIMD16<T>) -> SIMDMask<SIMD16<T>.MaskStorage> {
        m.isGreaterOrEqual(to: v) .| m.isNotEqual(to: m)
    }
}
