extension Im2col {
    /// The padded image of a convolution with stride `s > 1` split into its `s × s` stride
    /// phases, so that the forward's B micro-panels can be read in place as at stride 1.
    ///
    /// Phase `(a, b)` of channel `c` is the plane `phase[c, a, b, i, j] = xpad[c, s·i + a, s·j + b]`
    /// (zero past the padded plane), `height × width` with `height = ⌈paddedHeight / s⌉` and
    /// `width = ⌈paddedWidth / s⌉`. Filter position `(c, kh, kw)` at output pixel `(oy, ox)`
    /// reads `xpad[c, s·oy + kh, s·ox + kw] = phase[c, kh mod s, kw mod s, oy + kh / s, ox + kw / s]`:
    /// for a fixed position, the pixels of an output row are a contiguous run of one phase
    /// plane. The values are those of `packColumns`, so the products are the same bits.
    struct StridePhases {
        let stride: Int
        /// Rows and columns of one phase plane.
        let height: Int, width: Int
        let channels: Int

        init(_ g: Convolution.Geometry) {
            stride = g.stride
            height = (g.paddedHeight + g.stride - 1) / g.stride
            width = (g.paddedWidth + g.stride - 1) / g.stride
            channels = g.c
        }

        /// Elements of the phase planes of every channel.
        var count: Int { channels * stride * stride * height * width }

        /// Writes the phase planes of the padded image `padded` (`Im2col.pad`) to `phases`.
        @inline(__always)
        func write<T: TesselScalar>(from padded: UnsafePointer<T>, _ g: Convolution.Geometry, into phases: UnsafeMutablePointer<T>) {
            let wp = g.paddedWidth, hp = g.paddedHeight, s = stride
            if s == 2 { return writeStride2(from: padded, g, into: phases) }
            var target = phases
            for c in 0..<channels {
                for a in 0..<s {
                    for b in 0..<s {
                        for i in 0..<height {
                            let y = s * i + a
                            guard y < hp else {
                                target.update(repeating: 0, count: width)
                                target += width
                                continue
                            }
                            let row = padded + (c * hp + y) * wp + b
                            for j in 0..<width { target[j] = s * j + b < wp ? row[s * j] : 0 }
                            target += width
                        }
                    }
                }
            }
        }

        /// `write` at stride 2: each padded row `y = 2i + a` goes to row `i` of phases `(a, 0)`
        /// and `(a, 1)`, its first columns as the even and odd lanes of 32-value loads.
        @inline(__always)
        func writeStride2<T: TesselScalar>(from padded: UnsafePointer<T>, _ g: Convolution.Geometry,
                                           into phases: UnsafeMutablePointer<T>) {
            let wp = g.paddedWidth, hp = g.paddedHeight, plane = height * width
            for c in 0..<channels {
                for y in 0..<(2 * height) {
                    let even = phases + ((c * 2 + y % 2) * 2 * height + y / 2) * width, odd = even + plane
                    guard y < hp else {
                        even.update(repeating: 0, count: width)
                        odd.update(repeating: 0, count: width)
                        continue
                    }
                    let row = padded + (c * hp + y) * wp
                    var j = 0
                    while 2 * j + 32 <= wp {
                        let values = row.load(SIMD32<T>.self, at: 2 * j)
                        even.store(values.evenHalf, at: j)
                        odd.store(values.oddHalf, at: j)
                        j += 16
                    }
                    while j < width {
                        even[j] = 2 * j < wp ? row[2 * j] : 0
                        odd[j] = 2 * j + 1 < wp ? row[2 * j + 1] : 0
                        j += 1
                    }
                }
            }
        }

        /// Writes the offset in the phase planes of every filter position `k = (c, kh, kw)`,
        /// `k < g.filterSize`, from output pixel (0, 0): the step offsets of an in-place B
        /// micro-panel (`Im2col.inPlacePanel` with `rowWidth` = `width`).
        func writePositionOffsets(_ g: Convolution.Geometry, into offsets: UnsafeMutablePointer<Int>) {
            let s = stride, plane = height * width
            var k = 0
            for c in 0..<g.c {
                for kh in 0..<g.hh {
                    for kw in 0..<g.ww {
                        offsets[k] = ((c * s + kh % s) * s + kw % s) * plane + (kh / s) * width + kw / s
                        k += 1
                    }
                }
            }
        }
    }
}
