extension GEMM {
    /// Bytes per vector register: 64 with AVX-512 (`TESSEL_AVX512`, set by the manifest when
    /// the host has it), 32 with AVX2.
    @inlinable static var vectorBytes: Int {
        #if TESSEL_AVX512
        return 64
        #else
        return 32
        #endif
    }

    /// Vectors per micro-kernel row: 2, so 8 rows × 2 = 16 accumulating registers of the 32
    /// zmm (AVX-512) or 6 × 2 = 12 of the 16 ymm (AVX2). With AVX-512, 6 × 4 vectors (NR = 64
    /// Float) measured the same on matrix products but pads the 32 filters of a convolution's
    /// weight gradient to 64 columns: 6 × 2 made `conv_7x7`'s backward 19% faster
    /// (docs/PERFORMANCE.md).
    @inlinable static var vectorsPerRow: Int { 2 }

    /// The register-blocked inner kernel: `C[0..<MR, 0..<NR] (+)= Σ_k A[k] ⊗ B[k]` over `depth`
    /// steps, where `a` reads the A micro-panel (MR values per step; `APanelReader`) and `b` the
    /// B micro-panel (NR values per step; `BPanelReader`). Each step broadcasts one A value per
    /// row and issues one fused multiply-add per vector of the row; the accumulators stay in
    /// registers (AVX-512: 8 × 2 `SIMD16<Float>` / `SIMD8<Double>`; AVX2: 6 × 2 `SIMD8<Float>` /
    /// `SIMD4<Double>`). With `accumulate` the block is added to C. With `half`, only the first
    /// vector of each row (`MR × NR/2`, for a panel whose last `NR/2` columns are padding: a
    /// tile's last panel of a product `NR/2` columns or fewer past a multiple of NR); C gets
    /// the first `NR/2` columns of each row. The full kernel issues `prefetch` while it runs
    /// (the half kernel ignores it). Every element is the same chain of fused multiply-adds
    /// from zero whatever the kernel's shape.
    @inline(__always)
    static func microKernel<T: TesselScalar, A: APanelReader, B: BPanelReader>(depth: Int, a: A, b: B,
                                                                               c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool,
                                                                               half: Bool = false, prefetch: PrefetchLines = .none)
    where A.Scalar == T, B.Scalar == T {
        // The type test folds away once T is specialized.
        #if TESSEL_AVX512
        if T.self == Float.self {
            microKernel(SIMD16<T>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, half: half, prefetch: prefetch)
        } else {
            microKernel(SIMD8<T>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, half: half, prefetch: prefetch)
        }
        #else
        if T.self == Float.self {
            microKernel(SIMD8<T>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, half: half, prefetch: prefetch)
        } else {
            microKernel(SIMD4<T>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, half: half, prefetch: prefetch)
        }
        #endif
    }

    /// Rows of the micro-kernel over A panels read in place (`InPlaceAPanel`): 6 on every
    /// build. With AVX-512, 8 rows' eight broadcasts a step, twice over once the compiler
    /// unrolls the depth loop, and 16 accumulators outgrow the 32 registers and spill two
    /// accumulators each step; 6 rows (12 accumulators) do not.
    @inlinable static var inPlaceRows: Int { 6 }

    /// `microKernel` with `inPlaceRows` rows: `inPlaceRows × NR`, or `inPlaceRows × NR/2` with
    /// `half`. The same FMA chain per element. A dispatch of its own rather than a `rows`
    /// parameter of `microKernel`: with one, the optimizer left the weight gradient's kernels
    /// out of line (default's conv0 backward 27.4 → 28.4 ms, 5 alternating rounds).
    @inline(__always)
    static func inPlaceKernel<T: TesselScalar, A: APanelReader, B: BPanelReader>(depth: Int, a: A, b: B,
                                                                                c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool,
                                                                                half: Bool)
    where A.Scalar == T, B.Scalar == T {
        #if TESSEL_AVX512
        if T.self == Float.self {
            inPlaceKernel(SIMD16<T>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, half: half)
        } else {
            inPlaceKernel(SIMD8<T>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, half: half)
        }
        #else
        if T.self == Float.self {
            inPlaceKernel(SIMD8<T>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, half: half)
        } else {
            inPlaceKernel(SIMD4<T>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, half: half)
        }
        #endif
    }

    /// Whether a product of `n` columns over A panels read in place takes quarter panels of
    /// `NR/4` columns (`inPlaceQuarterKernel`): with AVX-512 where `n` is at most that, so that
    /// a narrow product (stem's 8 filters) runs 256-bit FMAs, two a cycle on Zen 4, instead of
    /// 512-bit ones three quarters padding. An order-neutral choice.
    @inlinable
    static func takesQuarterPanels<T: TesselScalar>(_ n: Int, _: T.Type) -> Bool {
        vectorBytes == 64 && n <= microColumns(T.self) / 4
    }

    /// Rows of `inPlaceQuarterKernel`: `microRows`, 8 with AVX-512, whose eight accumulators
    /// (one 256-bit vector each) keep both FMA pipes busy through the FMA's four-cycle latency
    /// on Zen 4, where six chains left a quarter of the issue slots idle; the 8 row offsets
    /// and the step's pointers fit the general registers.
    @inlinable static var quarterRows: Int { microRows }

    /// `quarterRows × NR/4` over a B micro-panel packed `NR/4` wide (`PackedBPanel` with divisor 4):
    /// one vector of `NR/4` lanes per row. The same FMA chain per element.
    @inline(__always)
    static func inPlaceQuarterKernel<T: TesselScalar, A: APanelReader>(depth: Int, a: A, b: UnsafePointer<T>,
                                                                       c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool)
    where A.Scalar == T {
        let panel = PackedBPanel<T, 4>(pointer: b)
        if T.self == Float.self {
            #if TESSEL_AVX512
            microKernelRowsx1(SIMD8<T>.self, rows: quarterRows, depth: depth, a: a, b: panel, c: c, ldc: ldc, accumulate: accumulate)
            #else
            microKernelRowsx1(SIMD4<T>.self, rows: quarterRows, depth: depth, a: a, b: panel, c: c, ldc: ldc, accumulate: accumulate)
            #endif
        } else {
            #if TESSEL_AVX512
            microKernelRowsx1(SIMD4<T>.self, rows: quarterRows, depth: depth, a: a, b: panel, c: c, ldc: ldc, accumulate: accumulate)
            #else
            microKernelRowsx1(SIMD2<T>.self, rows: quarterRows, depth: depth, a: a, b: panel, c: c, ldc: ldc, accumulate: accumulate)
            #endif
        }
    }

    /// `inPlaceKernel` with vectors of type `V`.
    @inline(__always)
    static func inPlaceKernel<V: SIMD, A: APanelReader, B: BPanelReader>(_: V.Type, depth: Int, a: A, b: B,
                                                                        c: UnsafeMutablePointer<V.Scalar>, ldc: Int, accumulate: Bool,
                                                                        half: Bool)
    where V.Scalar: BinaryFloatingPoint, A.Scalar == V.Scalar, B.Scalar == V.Scalar {
        if half {
            microKernelRowsx1(V.self, rows: inPlaceRows, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            microKernel6x2(V.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, prefetch: .none)
        }
    }

    /// `microKernel` with vectors of type `V`.
    @inline(__always)
    static func microKernel<V: SIMD, A: APanelReader, B: BPanelReader>(_: V.Type, depth: Int, a: A, b: B,
                                                                      c: UnsafeMutablePointer<V.Scalar>, ldc: Int, accumulate: Bool,
                                                                      half: Bool, prefetch: PrefetchLines)
    where V.Scalar: BinaryFloatingPoint, A.Scalar == V.Scalar, B.Scalar == V.Scalar {
        if half {
            microKernelRowsx1(V.self, rows: microRows, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            #if TESSEL_AVX512
            microKernel8x2(V.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, prefetch: prefetch)
            #else
            microKernel6x2(V.self, depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, prefetch: prefetch)
            #endif
        }
    }

    /// `rows` rows (6, or 8 with AVX-512: `microRows` or `inPlaceRows`) × 1 vector, the first of
    /// each row of the B panel.
    @inline(__always)
    static func microKernelRowsx1<V: SIMD, A: APanelReader, B: BPanelReader>(_: V.Type, rows: Int, depth: Int, a: A, b: B,
                                                                            c: UnsafeMutablePointer<V.Scalar>, ldc: Int, accumulate: Bool)
    where V.Scalar: BinaryFloatingPoint, A.Scalar == V.Scalar, B.Scalar == V.Scalar {
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
        #if TESSEL_AVX512
        var c6 = V(), c7 = V()
        #endif
        var pa = a, pb = b
        for _ in 0..<depth {
            let b0 = pb.load(0, V.self)
            c0 = c0.addingProduct(V(repeating: pa.value(0)), b0)
            c1 = c1.addingProduct(V(repeating: pa.value(1)), b0)
            c2 = c2.addingProduct(V(repeating: pa.value(2)), b0)
            c3 = c3.addingProduct(V(repeating: pa.value(3)), b0)
            c4 = c4.addingProduct(V(repeating: pa.value(4)), b0)
            c5 = c5.addingProduct(V(repeating: pa.value(5)), b0)
            #if TESSEL_AVX512
            if rows == 8 {
                c6 = c6.addingProduct(V(repeating: pa.value(6)), b0)
                c7 = c7.addingProduct(V(repeating: pa.value(7)), b0)
            }
            #endif
            pa.advance()
            pb.advance()
        }
        var row = c
        store(row, 0, accumulate, c0); row += ldc
        store(row, 0, accumulate, c1); row += ldc
        store(row, 0, accumulate, c2); row += ldc
        store(row, 0, accumulate, c3); row += ldc
        store(row, 0, accumulate, c4); row += ldc
        store(row, 0, accumulate, c5)
        #if TESSEL_AVX512
        if rows == 8 {
            row += ldc
            store(row, 0, accumulate, c6); row += ldc
            store(row, 0, accumulate, c7)
        }
        #endif
    }

    /// 8 rows × 2 vectors.
    @inline(__always)
    static func microKernel8x2<V: SIMD, A: APanelReader, B: BPanelReader>(_: V.Type, depth: Int, a: A, b: B,
                                                                         c: UnsafeMutablePointer<V.Scalar>, ldc: Int, accumulate: Bool,
                                                                         prefetch: PrefetchLines)
    where V.Scalar: BinaryFloatingPoint, A.Scalar == V.Scalar, B.Scalar == V.Scalar {
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var pa = a, pb = b
        @inline(__always) func step() {
            let b0 = pb.load(0, V.self), b1 = pb.load(1, V.self)
            var s = V(repeating: pa.value(0))
            c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
            s = V(repeating: pa.value(1))
            c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
            s = V(repeating: pa.value(2))
            c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
            s = V(repeating: pa.value(3))
            c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
            s = V(repeating: pa.value(4))
            c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
            s = V(repeating: pa.value(5))
            c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
            s = V(repeating: pa.value(6))
            c60 = c60.addingProduct(s, b0); c61 = c61.addingProduct(s, b1)
            s = V(repeating: pa.value(7))
            c70 = c70.addingProduct(s, b0); c71 = c71.addingProduct(s, b1)
            pa.advance()
            pb.advance()
        }
        prefetch.run(depth: depth, step)
        var row = c
        store(row, 0, accumulate, c00); store(row, 1, accumulate, c01)
        row += ldc
        store(row, 0, accumulate, c10); store(row, 1, accumulate, c11)
        row += ldc
        store(row, 0, accumulate, c20); store(row, 1, accumulate, c21)
        row += ldc
        store(row, 0, accumulate, c30); store(row, 1, accumulate, c31)
        row += ldc
        store(row, 0, accumulate, c40); store(row, 1, accumulate, c41)
        row += ldc
        store(row, 0, accumulate, c50); store(row, 1, accumulate, c51)
        row += ldc
        store(row, 0, accumulate, c60); store(row, 1, accumulate, c61)
        row += ldc
        store(row, 0, accumulate, c70); store(row, 1, accumulate, c71)
    }

    /// 6 rows × 2 vectors.
    @inline(__always)
    static func microKernel6x2<V: SIMD, A: APanelReader, B: BPanelReader>(_: V.Type, depth: Int, a: A, b: B,
                                                                       c: UnsafeMutablePointer<V.Scalar>, ldc: Int, accumulate: Bool,
                                                                       prefetch: PrefetchLines)
    where V.Scalar: BinaryFloatingPoint, A.Scalar == V.Scalar, B.Scalar == V.Scalar {
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var pa = a, pb = b
        @inline(__always) func step() {
            let b0 = pb.load(0, V.self), b1 = pb.load(1, V.self)
            var s = V(repeating: pa.value(0))
            c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
            s = V(repeating: pa.value(1))
            c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
            s = V(repeating: pa.value(2))
            c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
            s = V(repeating: pa.value(3))
            c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
            s = V(repeating: pa.value(4))
            c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
            s = V(repeating: pa.value(5))
            c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
            pa.advance()
            pb.advance()
        }
        prefetch.run(depth: depth, step)
        var row = c
        store(row, 0, accumulate, c00); store(row, 1, accumulate, c01)
        row += ldc
        store(row, 0, accumulate, c10); store(row, 1, accumulate, c11)
        row += ldc
        store(row, 0, accumulate, c20); store(row, 1, accumulate, c21)
        row += ldc
        store(row, 0, accumulate, c30); store(row, 1, accumulate, c31)
        row += ldc
        store(row, 0, accumulate, c40); store(row, 1, accumulate, c41)
        row += ldc
        store(row, 0, accumulate, c50); store(row, 1, accumulate, c51)
    }

    /// Stores (or adds) vector `v` at vector offset `index` of a row of C, which may be unaligned.
    @inline(__always)
    static func store<V: SIMD>(_ row: UnsafeMutablePointer<V.Scalar>, _ index: Int, _ accumulate: Bool, _ v: V)
    where V.Scalar: BinaryFloatingPoint {
        let offset = index * V.scalarCount
        row.store(accumulate ? row.load(V.self, at: offset) + v : v, at: offset)
    }
}
