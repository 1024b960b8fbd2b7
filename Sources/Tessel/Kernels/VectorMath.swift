/// Vectorized elementary functions for the kernels: libm's `exp` works one lane at a time,
/// which would dominate a softmax.
enum VectorMath {
    /// `e^x` lane by lane, for `Float` and `Double` lanes.
    ///
    /// Accuracy: about 1 ulp (Float: Cephes' `expf` polynomial; Double: the degree-13 Taylor
    /// polynomial, whose truncation error is below 10⁻¹⁷ on the reduced range). Results that
    /// would be subnormal are computed as such; `−∞` and inputs below the subnormal range give
    /// 0, `+∞` and inputs above the overflow threshold give `+∞`, NaN gives NaN.
    @_transparent
    static func exp<T: TesselScalar>(_ x: SIMD16<T>) -> SIMD16<T> {
        if T.self == Float.self {
            return unsafeBitCast(exp(unsafeBitCast(x, to: SIMD16<Float>.self)), to: SIMD16<T>.self)
        }
        if T.self == Double.self {
            return unsafeBitCast(exp(unsafeBitCast(x, to: SIMD16<Double>.self)), to: SIMD16<T>.self)
        }
        var result = SIMD16<T>()
        for lane in 0..<16 { result[lane] = T.exp(x[lane]) }
        return result
    }

    /// The bound of `exp`'s fast path: Float lanes whose magnitudes are all at most this many
    /// take it (every result normal).
    static let normalRange: Float = 86

    /// `exp(x)` for lanes all known to lie within ±`normalRange` in Float: the fast path that
    /// `exp` itself would take for them, without its range check, so the same bits. Double
    /// lanes go through `exp`.
    @_transparent
    static func expInNormalRange<T: TesselScalar>(_ x: SIMD16<T>) -> SIMD16<T> {
        guard T.self == Float.self else { return exp(x) }
        return unsafeBitCast(expInNormalRange(unsafeBitCast(x, to: SIMD16<Float>.self)), to: SIMD16<T>.self)
    }

    /// `exp` for Float lanes within ±`normalRange`: `e^r` with `n` added to its exponent field.
    @_transparent
    static func expInNormalRange(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let (y, n) = reducedExp(x)
        return unsafeBitCast(unsafeBitCast(y, to: SIMD16<Int32>.self) &+ (n &<< 23), to: SIMD16<Float>.self)
    }

    /// `e^x` for Float lanes. Writes `x = n·ln 2 + r` with `|r| ≤ ln 2 / 2` (Cody–Waite, two
    /// parts of ln 2), evaluates `e^r`, and scales by `2^n` in two halves so that both factors
    /// stay normal down to the subnormal results and up to the overflow.
    ///
    /// When every lane is within ±86 (so that `n` ∈ [−124, 124] and every result is normal),
    /// the clamps change nothing and the two exact multiplications by the halves give `e^r`
    /// with `n` added to its exponent field: that path adds it directly, with the same bits.
    @_transparent
    static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let magnitudes = unsafeBitCast(x, to: SIMD16<Int32>.self) & Int32.max
        // (A lane-wise compare reduced by `all` compiles to a loop over the lanes; `max` does not.)
        if magnitudes.max() <= Int32(bitPattern: normalRange.bitPattern) { return expInNormalRange(x) }
        // e^−104 is below half the smallest subnormal and e^89 above the largest Float; the
        // comparisons are false for NaN, which therefore flows through.
        var v = x.replacing(with: -104, where: x .< -104)
        v = v.replacing(with: 89, where: v .> 89)
        let (y, n) = reducedExp(v)
        // n ∈ [−150, 129]: split into halves in [−75, 65], each a normal power of two.
        let half = n &>> 1
        let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD16<Float>.self)
        let scale2 = unsafeBitCast((n &- half &+ 127) &<< 23, to: SIMD16<Float>.self)
        return y * scale1 * scale2
    }

    /// `e^r` and `n` for `v = n·ln 2 + r` (Cephes' `expf` reduction and polynomial), `v` in
    /// [−104, 89] or NaN.
    @_transparent
    static func reducedExp(_ v: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Int32>) {
        // Adding 1.5·2²³ rounds v·log₂e to the nearest integer n and leaves n in the low bits.
        let shifter: Float = 0x1.8p23
        let t = SIMD16<Float>(repeating: shifter).addingProduct(v, 0x1.715476p0)
        let n = t - shifter
        var r = v.addingProduct(n, -0.693359375)
        r = r.addingProduct(n, 2.12194440e-4)
        var p = SIMD16<Float>(repeating: 1.9875691500e-4)
        p = SIMD16(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = SIMD16(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = SIMD16(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = SIMD16(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = SIMD16(repeating: 5.0000001201e-1).addingProduct(p, r)
        let y = r.addingProduct(p, r * r) + 1
        return (y, unsafeBitCast(t, to: SIMD16<Int32>.self) &- Int32(bitPattern: shifter.bitPattern))
    }

    /// `e^x` for Double lanes; the same scheme as the Float version.
    @_transparent
    static func exp(_ x: SIMD16<Double>) -> SIMD16<Double> {
        var v = x.replacing(with: -746, where: x .< -746)
        v = v.replacing(with: 710, where: v .> 710)
        let shifter: Double = 0x1.8p52
        let t = SIMD16<Double>(repeating: shifter).addingProduct(v, 0x1.71547652b82fep0)
        let n = t - shifter
        // fdlibm's split of ln 2: the high part has 32 significant bits, so n·hi is exact.
        var r = v.addingProduct(n, -0x1.62e42feep-1)
        r = r.addingProduct(n, -0x1.a39ef35793c76p-33)
        // Σ_{k=2}^{13} r^(k−2) / k!, by Horner from the highest term (written out: an array of
        // coefficients would be a heap allocation per call).
        var p = SIMD16<Double>(repeating: 1.0 / 6_227_020_800)
        p = SIMD16(repeating: 1.0 / 479_001_600).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 39_916_800).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 3_628_800).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 362_880).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 40_320).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 5_040).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 720).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 120).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 24).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 6).addingProduct(p, r)
        p = SIMD16(repeating: 0.5).addingProduct(p, r)
        let y = r.addingProduct(p, r * r) + 1
        // n ∈ [−1077, 1025]: halves in [−539, 513]. Shifting a biased value keeps the shift logical.
        let bits = unsafeBitCast(t, to: SIMD16<Int64>.self) &- Int64(bitPattern: shifter.bitPattern)
        let half = ((bits &+ 2048) &>> 1) &- 1024
        let scale1 = unsafeBitCast((half &+ 1023) &<< 52, to: SIMD16<Double>.self)
        let scale2 = unsafeBitCast((bits &- half &+ 1023) &<< 52, to: SIMD16<Double>.self)
        return y * scale1 * scale2
    }
}
