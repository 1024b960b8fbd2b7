/// Vectorized element-wise inner loops shared by the layers. Pointers are raw so that the
/// loops carry no bounds checks; callers pass ranges their tile owns.
enum ElementWise {
    /// `out[i] = max(0, x[i])` for `i < count`, NaN propagating (NumPy's `np.maximum`): only
    /// `x ≤ 0` is replaced, so a NaN, which compares false, stays NaN, and −0 becomes +0.
    @inlinable
    static func relu<T: TesselScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, count: Int) {
        var i = 0
        while i + 16 <= count {
            out.store(relu(x.load16(at: i)), at: i)
            i += 16
        }
        while i < count {
            out[i] = relu(x[i])
            i += 1
        }
    }

    /// `dx[i] = x[i] > 0 ? dout[i] : 0` for `i < count`.
    @inlinable
    static func reluBackward<T: TesselScalar>(_ dout: UnsafePointer<T>, _ x: UnsafePointer<T>,
                                              _ dx: UnsafeMutablePointer<T>, count: Int) {
        var i = 0
        while i + 16 <= count {
            dx.store(reluBackward(dout.load16(at: i), output: x.load16(at: i)), at: i)
            i += 16
        }
        while i < count {
            dx[i] = reluBackward(dout[i], output: x[i])
            i += 1
        }
    }

    /// The ReLU's element rule, the one every sweep and every fused ReLU applies: `x ≤ 0`
    /// becomes +0, anything else (NaN included) stays.
    @inlinable @inline(__always)
    static func relu<T: TesselScalar>(_ x: SIMD16<T>) -> SIMD16<T> {
        x.replacing(with: SIMD16(), where: x.isLessOrEqual(to: SIMD16()))
    }

    /// `relu` of one value.
    @inlinable @inline(__always)
    static func relu<T: TesselScalar>(_ x: T) -> T { x <= 0 ? 0 : x }

    /// The ReLU's backward rule: `gradient` where the ReLU's input (equivalently its `output`)
    /// was positive, else +0.
    @inlinable @inline(__always)
    static func reluBackward<T: TesselScalar>(_ gradient: SIMD16<T>, output: SIMD16<T>) -> SIMD16<T> {
        gradient.replacing(with: SIMD16(), where: .!output.isGreater(than: SIMD16()))
    }

    /// `reluBackward` of one value.
    @inlinable @inline(__always)
    static func reluBackward<T: TesselScalar>(_ gradient: T, output: T) -> T { output > 0 ? gradient : 0 }
}
