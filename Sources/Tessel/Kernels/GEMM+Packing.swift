import CCacheHints

extension GEMM {
    /// Packs `S[k, e]` (the operand `s`: `k` along its rows, `e` along its columns) for `k` in
    /// `depth` and `e` in `extent` into `panelCount` panels of `width` along `e`: panel `q`
    /// starts at `panels + q × width × depth.count` and holds, for each `k` in order, the
    /// `width` values `S[k, e₀ + q·width ..< e₀ + (q+1)·width]`, zero past `extent`.
    ///
    /// B is packed as `S = B` (panels of NR columns); A as `S = Aᵀ` (panels of MR rows).
    @inline(__always)
    static func packPanels<T: TesselScalar>(_ s: Operand<T>, depth: Range<Int>, extent: Range<Int>,
                                            panelCount: Int, width: Int, into panels: UnsafeMutablePointer<T>) {
        let kc = depth.count
        if s.columnStride == 1 {
            // Rows of S are contiguous: each depth step's values of every panel, so that a row
            // is read once along its length, the row `prefetchRowsAhead` steps on prefetched
            // (a column strip of a large row-major x, e.g. the weight gradient's xᵀ, is read
            // at a stride no hardware prefetcher follows).
            var source = s.base + depth.lowerBound * s.rowStride + extent.lowerBound
            let rowLines = (extent.count * MemoryLayout<T>.stride + 63) / 64 + 1
            for k in 0..<kc {
                if k + prefetchRowsAhead < kc {
                    let ahead = UnsafeRawPointer(source + prefetchRowsAhead * s.rowStride)
                    for line in 0..<rowLines { tessel_prefetch(ahead + line * 64) }
                }
                for q in 0..<panelCount {
                    let valid = max(0, min(width, extent.count - q * width))
                    let destination = panels + q * width * kc + k * width
                    copy(source + q * width, destination, count: valid)
                    if valid < width { (destination + valid).update(repeating: 0, count: width - valid) }
                }
                source += s.rowStride
            }
            return
        }
        for q in 0..<panelCount {
            let first = extent.lowerBound + q * width
            let valid = max(0, min(width, extent.upperBound - first))
            let panel = panels + q * width * kc
            if T.self == Float.self && s.rowStride == 1 && valid == width && width % 8 == 0 {
                // Columns of S are contiguous along the depth: 8 × 8 transposes.
                let base = UnsafeRawPointer(s.base).assumingMemoryBound(to: Float.self)
                let destination = UnsafeMutableRawPointer(panel).assumingMemoryBound(to: Float.self)
                let lanes = SIMD8<Int>(0, 1, 2, 3, 4, 5, 6, 7) &* s.columnStride
                for group in stride(from: 0, to: width, by: 8) {
                    let offsets = lanes &+ ((first + group) * s.columnStride + depth.lowerBound)
                    var k = 0
                    while k + 8 <= kc {
                        transpose8x8(offsets, base: base + k, into: destination + k * width + group, ldd: width)
                        k += 8
                    }
                    while k < kc {
                        for t in 0..<8 { destination[k * width + group + t] = base[offsets[t] + k] }
                        k += 1
                    }
                }
            } else if T.self == Float.self && s.rowStride == 1 && valid == width && width < 8 {
                // An A panel (width MR = 6) of rows contiguous along the depth: 8 × 8 transposes
                // of the panel's rows (the last repeated), each column stored as 8 values at
                // its step. The 8 − width extra values are overwritten by the next step's store
                // (in this panel or the next); the last panel leaves its last 8 steps to the
                // scalar loop so that nothing is written past the panels.
                let base = UnsafeRawPointer(s.base).assumingMemoryBound(to: Float.self)
                let destination = UnsafeMutableRawPointer(panel).assumingMemoryBound(to: Float.self)
                let lanes = SIMD8<Int>(0, 1, 2, 3, 4, 5, 6, 7)
                let offsets = lanes.replacing(with: width - 1, where: lanes .>= width) &* s.columnStride
                    &+ (first * s.columnStride + depth.lowerBound)
                let vectorSteps = q == panelCount - 1 ? kc - 1 : kc
                var k = 0
                while k + 8 <= vectorSteps {
                    transpose8x8(offsets, base: base + k, into: destination + k * width, ldd: width)
                    k += 8
                }
                while k < kc {
                    for t in 0..<width { destination[k * width + t] = base[offsets[t] + k] }
                    k += 1
                }
            } else {
                // Read each column of S along the depth (contiguous when rowStride is 1).
                for e in 0..<valid {
                    var source = s.base + depth.lowerBound * s.rowStride + (first + e) * s.columnStride
                    var destination = panel + e
                    for _ in 0..<kc {
                        destination.pointee = source.pointee
                        source += s.rowStride
                        destination += width
                    }
                }
                if valid < width {
                    for k in 0..<kc { (panel + k * width + valid).update(repeating: 0, count: width - valid) }
                }
            }
        }
    }

    /// How many depth steps ahead `packPanels` prefetches a row of S when it copies rows.
    static let prefetchRowsAhead = 8

    /// Copies `count` elements, sixteen and then eight at a time where possible.
    @inline(__always)
    static func copy<T: TesselScalar>(_ source: UnsafePointer<T>, _ destination: UnsafeMutablePointer<T>, count: Int) {
        var i = 0
        while i + 16 <= count {
            destination.store(source.load16(at: i), at: i)
            i += 16
        }
        while i + 8 <= count {
            destination.store(source.load(SIMD8<T>.self, at: i), at: i)
            i += 8
        }
        while i < count {
            destination[i] = source[i]
            i += 1
        }
    }

    /// Transposes an 8 × 8 block of Floats: row `r` is the 8 values at `rows[r]` (with `stride`
    /// 2, every other value of the 16 there); column `t` is stored as 8 values at
    /// `destination + t × ldd`.
    @inline(__always)
    static func transpose8x8(_ rows: SIMD8<Int>, base: UnsafePointer<Float>, stride: Int = 1,
                             into destination: UnsafeMutablePointer<Float>, ldd: Int) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ r: Int) -> V {
            stride == 1 ? base.load(V.self, at: rows[r]) : base.load(SIMD16<Float>.self, at: rows[r]).evenHalf
        }
        // Three rounds of interleaving: pairs of rows, pairs of pairs, halves.
        func low(_ a: V, _ b: V) -> V { V(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]) }
        func high(_ a: V, _ b: V) -> V { V(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]) }
        func low2(_ a: V, _ b: V) -> V { V(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5]) }
        func high2(_ a: V, _ b: V) -> V { V(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7]) }
        let r0 = load(0), r1 = load(1), r2 = load(2), r3 = load(3)
        let r4 = load(4), r5 = load(5), r6 = load(6), r7 = load(7)
        // a0 = (r0₀ r1₀ r0₁ r1₁ | r0₄ r1₄ r0₅ r1₅), a1 = (r0₂ r1₂ r0₃ r1₃ | r0₆ r1₆ r0₇ r1₇), …
        let a0 = low(r0, r1), a1 = high(r0, r1), a2 = low(r2, r3), a3 = high(r2, r3)
        let a4 = low(r4, r5), a5 = high(r4, r5), a6 = low(r6, r7), a7 = high(r6, r7)
        // b0 = (r0₀ r1₀ r2₀ r3₀ | r0₄ r1₄ r2₄ r3₄), b1 = columns 1 | 5, b2 = 2 | 6, b3 = 3 | 7 (rows 0–3).
        let b0 = low2(a0, a2), b1 = high2(a0, a2), b2 = low2(a1, a3), b3 = high2(a1, a3)
        let b4 = low2(a4, a6), b5 = high2(a4, a6), b6 = low2(a5, a7), b7 = high2(a5, a7)
        destination.store(V(lowHalf: b0.lowHalf, highHalf: b4.lowHalf))
        destination.store(V(lowHalf: b1.lowHalf, highHalf: b5.lowHalf), at: ldd)
        destination.store(V(lowHalf: b2.lowHalf, highHalf: b6.lowHalf), at: 2 * ldd)
        destination.store(V(lowHalf: b3.lowHalf, highHalf: b7.lowHalf), at: 3 * ldd)
        destination.store(V(lowHalf: b0.highHalf, highHalf: b4.highHalf), at: 4 * ldd)
        destination.store(V(lowHalf: b1.highHalf, highHalf: b5.highHalf), at: 5 * ldd)
        destination.store(V(lowHalf: b2.highHalf, highHalf: b6.highHalf), at: 6 * ldd)
        destination.store(V(lowHalf: b3.highHalf, highHalf: b7.highHalf), at: 7 * ldd)
    }
}
