extension GEMM {
    /// The register-blocked inner kernel: `C[0..<6, 0..<NR] (+)= Σ_k A[k] ⊗ B[k]` over `depth`
    /// steps, where `a` is a packed A micro-panel (6 values per step) and `b` a packed B
    /// micro-panel (NR values per step, 64-byte aligned). Float uses `SIMD16<Float>` and Double
    /// `SIMD8<Double>`: 4 vectors per row, 24 accumulators, no spills.
    @inline(__always)
    static func microKernel<T: TesselScalar>(depth: Int, a: UnsafePointer<T>, b: UnsafePointer<T>,
                                             c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool) {
        // Folded away once T is specialized.
        if T.self == Float.self {
            microKernel(SIMD16<T>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            microKernel(SIMD8<T>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    @inline(__always)
    static func microKernel<V: SIMD>(_: V.Type, depth: Int, a: UnsafePointer<V.Scalar>, b: UnsafePointer<V.Scalar>,
                                     c: UnsafeMutablePointer<V.Scalar>, ldc: Int, accumulate: Bool)
    where V.Scalar: BinaryFloatingPoint {
        let w = V.scalarCount
        var c00 = V(), c01 = V(), c02 = V(), c03 = V()
        var c10 = V(), c11 = V(), c12 = V(), c13 = V()
        var c20 = V(), c21 = V(), c22 = V(), c23 = V()
        var c30 = V(), c31 = V(), c32 = V(), c33 = V()
        var c40 = V(), c41 = V(), c42 = V(), c43 = V()
        var c50 = V(), c51 = V(), c52 = V(), c53 = V()
        var pa = a, pb = UnsafeRawPointer(b)
        let step = 4 * w * MemoryLayout<V.Scalar>.stride
        for _ in 0..<depth {
            let b0 = pb.load(as: V.self)
            let b1 = pb.load(fromByteOffset: step / 4, as: V.self)
            let b2 = pb.load(fromByteOffset: step / 2, as: V.self)
            let b3 = pb.load(fromByteOffset: 3 * step / 4, as: V.self)
            var s = V(repeating: pa[0])
            c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
            c02 = c02.addingProduct(s, b2); c03 = c03.addingProduct(s, b3)
            s = V(repeating: pa[1])
            c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
            c12 = c12.addingProduct(s, b2); c13 = c13.addingProduct(s, b3)
            s = V(repeating: pa[2])
            c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
            c22 = c22.addingProduct(s, b2); c23 = c23.addingProduct(s, b3)
            s = V(repeating: pa[3])
            c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
            c32 = c32.addingProduct(s, b2); c33 = c33.addingProduct(s, b3)
            s = V(repeating: pa[4])
            c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
            c42 = c42.addingProduct(s, b2); c43 = c43.addingProduct(s, b3)
            s = V(repeating: pa[5])
            c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
            c52 = c52.addingProduct(s, b2); c53 = c53.addingProduct(s, b3)
            pa += 6
            pb += step
        }
        storeRow(c, w, accumulate, c00, c01, c02, c03)
        storeRow(c + ldc, w, accumulate, c10, c11, c12, c13)
        storeRow(c + 2 * ldc, w, accumulate, c20, c21, c22, c23)
        storeRow(c + 3 * ldc, w, accumulate, c30, c31, c32, c33)
        storeRow(c + 4 * ldc, w, accumulate, c40, c41, c42, c43)
        storeRow(c + 5 * ldc, w, accumulate, c50, c51, c52, c53)
    }

    /// Stores (or adds) four vectors to one row of C, which may be unaligned.
    @inline(__always)
    static func storeRow<V: SIMD>(_ row: UnsafeMutablePointer<V.Scalar>, _ w: Int, _ accumulate: Bool,
                                  _ v0: V, _ v1: V, _ v2: V, _ v3: V) where V.Scalar: BinaryFloatingPoint {
        let p = UnsafeMutableRawPointer(row), size = w * MemoryLayout<V.Scalar>.stride
        if accumulate {
            p.storeBytes(of: p.loadUnaligned(as: V.self) + v0, as: V.self)
            p.storeBytes(of: p.loadUnaligned(fromByteOffset: size, as: V.self) + v1, toByteOffset: size, as: V.self)
            p.storeBytes(of: p.loadUnaligned(fromByteOffset: 2 * size, as: V.self) + v2, toByteOffset: 2 * size, as: V.self)
            p.storeBytes(of: p.loadUnaligned(fromByteOffset: 3 * size, as: V.self) + v3, toByteOffset: 3 * size, as: V.self)
        } else {
            p.storeBytes(of: v0, as: V.self)
            p.storeBytes(of: v1, toByteOffset: size, as: V.self)
            p.storeBytes(of: v2, toByteOffset: 2 * size, as: V.self)
            p.storeBytes(of: v3, toByteOffset: 3 * size, as: V.self)
        }
    }
}
