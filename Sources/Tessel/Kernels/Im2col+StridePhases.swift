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

        /// Writes the offset in the phase planes of every filter position `k = (c, kh, kw)`,
        /// `k < g.filterSize`, from output pixel (0, 0): the step offsets of an in-place B
        /// micro-panel (`inPlacePanel`).
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

        /// The B micro-panel of the `NR` output pixels from `firstPixel` read in place from the
        /// phase planes, when the pixels of each of its vectors lie in one output row; nil
        /// otherwise. `stepOffsets`: the position offsets (`writePositionOffsets`) from the
        /// panel's first depth step on. The caller ensures the `NR` pixels exist.
        @inline(__always)
        func inPlacePanel<T: TesselScalar>(_ phases: UnsafePointer<T>, _ g: Convolution.Geometry,
                                           stepOffsets: UnsafePointer<Int>, firstPixel: Int) -> GEMM.InPlaceBPanel<T>? {
            let lanes = GEMM.vectorBytes / MemoryLayout<T>.stride
            var offsets = (0, 0)
            for v in 0..<GEMM.vectorsPerRow {
                let pixel = firstPixel + v * lanes, oy = pixel / g.outW, ox = pixel % g.outW
                guard ox + lanes <= g.outW else { return nil }
                let offset = oy * width + ox
                if v == 0 { offsets.0 = offset } else { offsets.1 = offset }
            }
            return GEMM.InPlaceBPanel(base: phases, stepOffsets: stepOffsets, vectorOffsets: offsets)
        }
    }
}
