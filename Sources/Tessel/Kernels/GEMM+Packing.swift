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
        for q in 0..<panelCount {
            let first = extent.lowerBound + q * width
            let valid = max(0, min(width, extent.upperBound - first))
            let panel = panels + q * width * kc
            if s.columnStride == 1 {
                // Rows of S are contiguous: copy `valid` values per depth step.
                var source = s.base + depth.lowerBound * s.rowStride + first
                var destination = panel
                for _ in 0..<kc {
                    copy(source, destination, count: valid)
                    if valid < width { (destination + valid).update(repeating: 0, count: width - valid) }
                    source += s.rowStride
                    destination += width
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

    /// Copies `count` elements, 16 at a time where possible.
    @inline(__always)
    static func copy<T: TesselScalar>(_ source: UnsafePointer<T>, _ destination: UnsafeMutablePointer<T>, count: Int) {
        var i = 0
        while i + 16 <= count {
            UnsafeMutableRawPointer(destination + i).storeBytes(
                of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<T>.self), as: SIMD16<T>.self)
            i += 16
        }
        while i < count {
            destination[i] = source[i]
            i += 1
        }
    }
}
