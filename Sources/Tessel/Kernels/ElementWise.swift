/// Vectorized element-wise inner loops shared by the layers. Pointers are raw so that the
/// loops carry no bounds checks; callers pass ranges their tile owns.
enum ElementWise {
    /// `out[i] = max(0, x[i])` for `i < count`, NaN propagating (NumPy's `np.maximum`): only
    /// `x ≤ 0` is replaced, so a NaN, which compares false, stays NaN, and −0 becomes +0.
    @inlinable
    static func relu<T: TesselScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, count: Int) {
        let zero = SIMD16<T>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let v = x.load16(at: i)
            out.store(v.replacing(with: zero, where: v.isLessOrEqual(to: zero)), at: i)
            i += 16
        }
        while i < count {
            out[i] = x[i] <= 0 ? 0 : x[i]
            i += 1
        }
    }

    /// `dx[i] = x[i] > 0 ? dout[i] : 0` for `i < count`.
    @inlinable
    static func reluBackward<T: TesselScalar>(_ dout: UnsafePointer<T>, _ x: UnsafePointer<T>,
                                              _ dx: UnsafeMutablePointer<T>, count: Int) {
        let zero = SIMD16<T>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let v = x.load16(at: i)
            let g = dout.load16(at: i)
            dx.store(g.replacing(with: zero, where: .!v.isGreater(than: zero)), at: i)
            i += 16
        }
        while i < count {
            dx[i] = x[i] > 0 ? dout[i] : 0
            i += 1
        }
    }
}
