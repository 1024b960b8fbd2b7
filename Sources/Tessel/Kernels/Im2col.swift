/// The gathers and scatters that turn a convolution into matrix products (im2col / col2im).
///
/// For one image, `cols[k, p]` is the input value under filter position `k = (c, i, j)` when
/// the filter sits at output pixel `p = (oy, ox)`: `xpad[c, oy·stride + i, ox·stride + j]`,
/// where `xpad` is the image with `pad` zeros on each side. The forward pass is
/// `out[n] = W · cols` (W as `F × C·HH·WW`), the weight gradient `dW = Σₙ dout[n] · colsᵀ`, and
/// the input gradient the col2im of `Wᵀ · dout[n]`. The image is first copied into a padded
/// scratch plane set (`pad`), so the gathers need no bounds tests; `cols` is never stored
/// whole: the packers write it straight into GEMM micro-panels, one at a time.
enum Im2col {
    /// Copies the first `channels` planes of `image` into `padded` (`channels × paddedHeight ×
    /// paddedWidth`) with zero borders: the planes zeroed whole (one memset, where one for
    /// each row's border pads cost more than the copies on small images), then the rows copied in.
    @inline(__always)
    static func pad<T: TesselScalar>(_ image: UnsafePointer<T>, _ g: Convolution.Geometry, channels: Int,
                                     into padded: UnsafeMutablePointer<T>) {
        pad(image, g, channels: channels, rows: 0..<g.paddedHeight, into: padded)
    }

    /// `pad` of only the padded rows `rows` of each plane, in their places; the other rows of
    /// `padded` are left as they are. For a tile of output pixels, `rows(forPixels:_:)`. The
    /// rows are zeroed whole first: all planes in one memset when `rows` is all of them.
    @inline(__always)
    static func pad<T: TesselScalar>(_ image: UnsafePointer<T>, _ g: Convolution.Geometry, channels: Int,
                                     rows: Range<Int>, into padded: UnsafeMutablePointer<T>) {
        let wp = g.paddedWidth, hp = g.paddedHeight
        let sourceRows = max(rows.lowerBound - g.pad, 0)..<min(rows.upperBound - g.pad, g.h)
        let wholePlanes = rows.count == hp
        if g.pad > 0 && wholePlanes { padded.update(repeating: 0, count: channels * hp * wp) }
        for c in 0..<channels {
            let source = image + c * g.h * g.w, plane = padded + c * hp * wp
            if g.pad > 0 && !wholePlanes { (plane + rows.lowerBound * wp).update(repeating: 0, count: rows.count * wp) }
            for y in sourceRows {
                GEMM.copy(source + y * g.w, plane + (y + g.pad) * wp + g.pad, count: g.w)
            }
        }
    }

    /// The padded rows that the windows of output pixels `pixels` (row-major over the output
    /// plane) read.
    static func rows(forPixels pixels: Range<Int>, _ g: Convolution.Geometry) -> Range<Int> {
        let first = pixels.lowerBound / g.outW, last = (pixels.upperBound - 1) / g.outW
        return (first * g.stride)..<min(last * g.stride + g.hh, g.paddedHeight)
    }

    /// Offset in `xpad` of filter position `k = (c, i, j)` from the window's corner, advanced
    /// one position at a time (`j` fastest).
    struct Position {
        private var i: Int, j: Int
        private(set) var offset: Int
        private let g: Convolution.Geometry

        init(_ k: Int, _ g: Convolution.Geometry) {
            let window = g.hh * g.ww
            let c = k / window
            i = k % window / g.ww
            j = k % g.ww
            offset = (c * g.paddedHeight + i) * g.paddedWidth + j
            self.g = g
        }

        @inline(__always)
        mutating func advance() {
            j += 1
            offset += 1
            if j == g.ww {
                j = 0
                i += 1
                offset += g.paddedWidth - g.ww
                if i == g.hh {
                    i = 0
                    offset += (g.paddedHeight - g.hh) * g.paddedWidth
                }
            }
        }
    }

    /// Writes the offset in `xpad` of every filter position `k = (c, i, j)`, `k < g.filterSize`,
    /// from the window's corner (`Position.offset`) to `offsets`: the step offsets of an
    /// in-place B micro-panel of the forward, the row offsets of an in-place A micro-panel of
    /// the weight gradient.
    static func writePositionOffsets(_ g: Convolution.Geometry, into offsets: UnsafeMutablePointer<Int>) {
        var position = Position(0, g)
        for k in 0..<g.filterSize {
            offsets[k] = position.offset
            position.advance()
        }
    }

    /// Writes the offset in `xpad` of every output pixel `p = (oy, ox)`'s window corner,
    /// `(oy · paddedWidth + ox) · stride`, to `offsets` (`g.pixels` values): the step offsets
    /// of an in-place A micro-panel of the weight gradient.
    static func writeWindowOffsets(_ g: Convolution.Geometry, into offsets: UnsafeMutablePointer<Int>) {
        for p in 0..<g.pixels { offsets[p] = (p / g.outW * g.paddedWidth + p % g.outW) * g.stride }
    }

    /// The GEMM B micro-panel `cols[k, p]` for the `NR` output pixels from `firstPixel` read in
    /// place, without a copy, from planes whose rows lie `rowWidth` elements apart: the padded
    /// image at stride 1 (`paddedWidth`), its stride phases at larger strides
    /// (`StridePhases.width`). Possible when the pixels of each vector lie in one output row
    /// (then the vector of step `k` is a run of one plane); nil otherwise. `stepOffsets` holds
    /// the position offsets (`writePositionOffsets`, or `StridePhases.writePositionOffsets`)
    /// from the panel's first depth step on. The caller ensures the `NR` pixels exist.
    @inline(__always)
    static func inPlacePanel<T: TesselScalar>(_ planes: UnsafePointer<T>, _ g: Convolution.Geometry, rowWidth: Int,
                                              stepOffsets: UnsafePointer<Int>, firstPixel: Int) -> GEMM.InPlaceBPanel<T>? {
        let lanes = GEMM.vectorBytes / MemoryLayout<T>.stride
        var offsets = (0, 0)
        for v in 0..<GEMM.vectorsPerRow {
            let pixel = firstPixel + v * lanes, oy = pixel / g.outW, ox = pixel % g.outW
            guard ox + lanes <= g.outW else { return nil }
            let offset = oy * rowWidth + ox
            if v == 0 { offsets.0 = offset } else { offsets.1 = offset }
        }
        return GEMM.InPlaceBPanel(base: planes, stepOffsets: stepOffsets, vectorOffsets: offsets)
    }

    /// Packs the GEMM B micro-panel `cols[k, p]` for `k` in `depth` and the first `width`
    /// pixels of `pixels` from the padded image: `width` values per `k`, zero past `pixels`.
    @inline(__always)
    static func packColumns<T: TesselScalar>(_ padded: UnsafePointer<T>, _ g: Convolution.Geometry,
                                             depth: Range<Int>, pixels: Range<Int>, width: Int,
                                             into panel: UnsafeMutablePointer<T>) {
        let wp = g.paddedWidth, s = g.stride, end = g.c * g.paddedPlane
        let valid = min(width, pixels.count)
        let oy = pixels.lowerBound / g.outW, ox = pixels.lowerBound % g.outW
        var row = panel
        var position = Position(depth.lowerBound, g)
        for _ in depth {
            // Each output row the panel touches is a run of xpad taken at the stride.
            var e = 0, y = oy, x = ox
            while e < valid {
                let run = min(valid - e, g.outW - x)
                copyRun(padded, from: position.offset + s * (y * wp + x), stride: s, end: end, into: row + e, count: run)
                e += run
                x = 0
                y += 1
            }
            if valid < width { (row + valid).update(repeating: 0, count: width - valid) }
            row += width
            position.advance()
        }
    }

    /// `destination[t] = padded[start + t · stride]` for `t < count`: one copy at stride 1; at
    /// stride 2 eight at a time from the even lanes of 16, where those stay before element
    /// `end` of the padded planes; one value at a time otherwise.
    @inline(__always)
    static func copyRun<T: TesselScalar>(_ padded: UnsafePointer<T>, from start: Int, stride: Int, end: Int,
                                         into destination: UnsafeMutablePointer<T>, count: Int) {
        if stride == 1 { return GEMM.copy(padded + start, destination, count: count) }
        var t = 0
        if stride == 2 {
            while t + 8 <= count && start + 2 * t + 16 <= end {
                destination.store(padded.load(SIMD16<T>.self, at: start + 2 * t).evenHalf, at: t)
                t += 8
            }
        }
        while t < count {
            destination[t] = padded[start + t * stride]
            t += 1
        }
    }

    /// Packs the GEMM B micro-panel `colsᵀ[p, k] = cols[k, p]` for `p` in `depth` (pixels) and
    /// the first `width` filter positions of `positions` from the padded image: `width` values
    /// per pixel, zero past `positions`. The right operand of `dout[n] · colsᵀ`.
    @inline(__always)
    static func packColumnsTransposed<T: TesselScalar>(_ padded: UnsafePointer<T>, _ g: Convolution.Geometry,
                                                       depth: Range<Int>, positions: Range<Int>, width: Int,
                                                       into panel: UnsafeMutablePointer<T>) {
        let wp = g.paddedWidth, s = g.stride
        let valid = min(width, positions.count)
        var position = Position(positions.lowerBound, g)
        if valid < width {
            // The padding columns first, eight at a time from the multiple of 8 at or below
            // `valid` (the gathers below write the valid ones again), then one at a time.
            for p in 0..<depth.count {
                let row = panel + p * width
                var e = valid - valid % 8
                while e + 8 <= width {
                    row.store(SIMD8<T>(), at: e)
                    e += 8
                }
                while e < width {
                    row[e] = 0
                    e += 1
                }
            }
        }
        // Float at stride 1 or 2: whole groups of eight positions by 8 × 8 transposes.
        var grouped = 0
        if T.self == Float.self && s <= 2 {
            let source = UnsafeRawPointer(padded).assumingMemoryBound(to: Float.self)
            let destination = UnsafeMutableRawPointer(panel).assumingMemoryBound(to: Float.self)
            while grouped + 8 <= valid {
                var offsets = SIMD8<Int>()
                for t in 0..<8 {
                    offsets[t] = position.offset
                    position.advance()
                }
                packTransposedGroup(source, g, offsets: offsets, depth: depth, into: destination + grouped, width: width)
                grouped += 8
            }
        }
        for e in grouped..<valid {
            var destination = panel + e
            var y = depth.lowerBound / g.outW, x = depth.lowerBound % g.outW
            for _ in depth {
                destination.pointee = padded[position.offset + y * s * wp + x * s]
                destination += width
                x += 1
                if x == g.outW { x = 0; y += 1 }
            }
            position.advance()
        }
    }

    /// Eight filter positions (at `offsets` in `xpad`) across the pixels of `depth`, stride 1
    /// or 2: 8 × 8 transposes where eight pixels share an output row (and, at stride 2, the 16
    /// values each row of the transpose loads stay inside the padded planes), single values
    /// elsewhere.
    @inline(__always)
    static func packTransposedGroup(_ padded: UnsafePointer<Float>, _ g: Convolution.Geometry, offsets: SIMD8<Int>,
                                    depth: Range<Int>, into destination: UnsafeMutablePointer<Float>, width: Int) {
        let wp = g.paddedWidth, s = g.stride
        let lastLoad = g.c * g.paddedPlane - (s == 1 ? 8 : 16) - offsets.max()
        var p = depth.lowerBound
        var row = destination
        while p < depth.upperBound {
            let oy = p / g.outW, ox = p % g.outW
            let cornerOffset = s * (oy * wp + ox), corner = padded + cornerOffset
            if ox + 8 <= g.outW && p + 8 <= depth.upperBound && cornerOffset <= lastLoad {
                GEMM.transpose8x8(offsets, base: corner, stride: s, into: row, ldd: width)
                p += 8
                row += 8 * width
            } else {
                for t in 0..<8 { row[t] = corner[offsets[t]] }
                p += 1
                row += width
            }
        }
    }

    /// col2im into the padded gradient: `dxpad[c − c₀, oy·stride + i, ox·stride + j] +=
    /// dcols[(c − c₀, i, j) − r₀, p − p₀]` for the rows `(c − c₀, i, j)` in `rows` (r₀ its
    /// first) and every pixel `p` in `pixels`. `dcols` is row-major with leading dimension
    /// `ldd`; `padded` holds the channels' padded planes. The additions to one element come in
    /// a fixed order: by `(i, j)`, then by pixel (calls for consecutive row ranges in order
    /// keep it).
    @inline(__always)
    static func accumulate<T: TesselScalar>(_ dcols: UnsafePointer<T>, ldd: Int, into padded: UnsafeMutablePointer<T>,
                                            _ g: Convolution.Geometry, rows: Range<Int>, pixels: Range<Int>) {
        let wp = g.paddedWidth, s = g.stride
        var position = Position(rows.lowerBound, g)
        var source = dcols
        for _ in rows {
            let target = padded + position.offset
            var e = 0, oy = pixels.lowerBound / g.outW, ox = pixels.lowerBound % g.outW
            while e < pixels.count {
                let run = min(pixels.count - e, g.outW - ox)
                let row = target + oy * s * wp + ox * s
                if s == 1 {
                    addRun(source + e, into: row, count: run)
                } else {
                    for t in 0..<run { row[t * s] += source[e + t] }
                }
                e += run
                ox = 0
                oy += 1
            }
            source += ldd
            position.advance()
        }
    }

    /// Copies the interior of `channels` padded planes back to an unpadded image.
    @inline(__always)
    static func unpad<T: TesselScalar>(_ padded: UnsafePointer<T>, _ g: Convolution.Geometry, channels: Int,
                                       into image: UnsafeMutablePointer<T>) {
        let wp = g.paddedWidth, hp = g.paddedHeight
        for c in 0..<channels {
            for y in 0..<g.h {
                GEMM.copy(padded + (c * hp + y + g.pad) * wp + g.pad, image + (c * g.h + y) * g.w, count: g.w)
            }
        }
    }

    /// `destination[e] += source[e]` for `e < count`, sixteen and then eight at a time where
    /// possible (one addition per element whatever the width).
    @inline(__always)
    static func addRun<T: TesselScalar>(_ source: UnsafePointer<T>, into destination: UnsafeMutablePointer<T>, count: Int) {
        var e = 0
        while e + 16 <= count {
            destination.store(destination.load16(at: e) + source.load16(at: e), at: e)
            e += 16
        }
        while e + 8 <= count {
            destination.store(destination.load(SIMD8<T>.self, at: e) + source.load(SIMD8<T>.self, at: e), at: e)
            e += 8
        }
        while e < count {
            destination[e] += source[e]
            e += 1
        }
    }
}
