/// The gathers and scatters that turn a convolution into matrix products (im2col / col2im).
///
/// For one image, `cols[k, p]` is the input value under filter position `k = (c, i, j)` when
/// the filter sits at output pixel `p = (oy, ox)`: `x[c, oy·stride + i − pad, ox·stride + j − pad]`,
/// or 0 in the padding. The forward pass is `out[n] = W · cols` (W as `F × C·HH·WW`), the
/// weight gradient `dW = Σₙ dout[n] · colsᵀ`, and the input gradient the col2im of `Wᵀ · dout[n]`.
/// `cols` is never stored whole: the packers write it straight into GEMM panels.
enum Im2col {
    /// Packs `cols[k, p]` for `k` in `depth` and `p` in `pixels` of the image at `image` into
    /// `panelCount` GEMM B panels of `width` pixels (see `GEMM.packPanels`), zero past `pixels`.
    @inline(__always)
    static func packColumns<T: TesselScalar>(_ image: UnsafePointer<T>, _ g: Convolution.Geometry,
                                             depth: Range<Int>, pixels: Range<Int>, panelCount: Int, width: Int,
                                             into panels: UnsafeMutablePointer<T>) {
        let window = g.hh * g.ww
        for q in 0..<panelCount {
            let first = pixels.lowerBound + q * width
            let valid = max(0, min(width, pixels.upperBound - first))
            var row = panels + q * width * depth.count
            var c = depth.lowerBound / window, i = depth.lowerBound % window / g.ww, j = depth.lowerBound % g.ww
            for _ in depth {
                let plane = image + c * g.h * g.w
                var e = 0, oy = first / max(1, g.outW), ox = first % max(1, g.outW)
                while e < valid {
                    let run = min(valid - e, g.outW - ox)
                    gatherRun(plane, g, i: i, j: j, oy: oy, ox: ox, count: run, into: row + e)
                    e += run
                    ox = 0
                    oy += 1
                }
                if valid < width { (row + valid).update(repeating: 0, count: width - valid) }
                row += width
                j += 1
                if j == g.ww {
                    j = 0
                    i += 1
                    if i == g.hh { i = 0; c += 1 }
                }
            }
        }
    }

    /// Writes `cols[(c, i, j), (oy, ox + e)]` for `e < count` (one output row segment) to `destination`.
    @inline(__always)
    static func gatherRun<T: TesselScalar>(_ plane: UnsafePointer<T>, _ g: Convolution.Geometry, i: Int, j: Int,
                                           oy: Int, ox: Int, count: Int, into destination: UnsafeMutablePointer<T>) {
        let y = oy * g.stride + i - g.pad
        guard y >= 0, y < g.h else {
            destination.update(repeating: 0, count: count)
            return
        }
        let row = plane + y * g.w
        let x0 = ox * g.stride + j - g.pad
        if g.stride == 1 {
            let low = min(count, max(0, -x0)), high = max(low, min(count, g.w - x0))
            destination.update(repeating: 0, count: low)
            if high > low { GEMM.copy(row + (x0 + low), destination + low, count: high - low) }
            (destination + high).update(repeating: 0, count: count - high)
        } else {
            for e in 0..<count {
                let xx = x0 + e * g.stride
                destination[e] = xx >= 0 && xx < g.w ? row[xx] : 0
            }
        }
    }

    /// Packs `colsᵀ[p, k] = cols[k, p]` for `p` in `depth` (pixels) and `k` in `positions`
    /// (filter positions) into `panelCount` GEMM B panels of `width` positions, zero past
    /// `positions`: the right operand of `dout[n] · colsᵀ`.
    @inline(__always)
    static func packColumnsTransposed<T: TesselScalar>(_ image: UnsafePointer<T>, _ g: Convolution.Geometry,
                                                       depth: Range<Int>, positions: Range<Int>, panelCount: Int,
                                                       width: Int, into panels: UnsafeMutablePointer<T>) {
        let window = g.hh * g.ww
        for q in 0..<panelCount {
            let first = positions.lowerBound + q * width
            let valid = max(0, min(width, positions.upperBound - first))
            let panel = panels + q * width * depth.count
            for e in 0..<valid {
                let k = first + e
                let c = k / window, i = k % window / g.ww, j = k % g.ww
                let plane = image + c * g.h * g.w
                var destination = panel + e
                var oy = depth.lowerBound / max(1, g.outW), ox = depth.lowerBound % max(1, g.outW)
                for _ in depth {
                    let y = oy * g.stride + i - g.pad, xx = ox * g.stride + j - g.pad
                    destination.pointee = y >= 0 && y < g.h && xx >= 0 && xx < g.w ? plane[y * g.w + xx] : 0
                    destination += width
                    ox += 1
                    if ox == g.outW { ox = 0; oy += 1 }
                }
            }
            if valid < width {
                for p in 0..<depth.count { (panel + p * width + valid).update(repeating: 0, count: width - valid) }
            }
        }
    }

    /// col2im: `dx[c, y, x] += dcols[(c − c₀, i, j), p − p₀]` for every filter position of the
    /// channels in `channels` and every pixel `p` in `pixels` whose window covers `(y, x)`.
    /// `dcols` is row-major with leading dimension `ldd`; `image` is `dx` of one image. The
    /// additions for one element come in a fixed order: by `(i, j)`, then by pixel.
    @inline(__always)
    static func accumulate<T: TesselScalar>(_ dcols: UnsafePointer<T>, ldd: Int, into image: UnsafeMutablePointer<T>,
                                            _ g: Convolution.Geometry, channels: Range<Int>, pixels: Range<Int>) {
        var source = dcols
        for c in channels {
            let plane = image + c * g.h * g.w
            for i in 0..<g.hh {
                for j in 0..<g.ww {
                    var e = 0, oy = pixels.lowerBound / max(1, g.outW), ox = pixels.lowerBound % max(1, g.outW)
                    while e < pixels.count {
                        let run = min(pixels.count - e, g.outW - ox)
                        let y = oy * g.stride + i - g.pad
                        if y >= 0 && y < g.h {
                            let row = plane + y * g.w
                            let x0 = ox * g.stride + j - g.pad
                            if g.stride == 1 {
                                let low = min(run, max(0, -x0)), high = max(low, min(run, g.w - x0))
                                if high > low { addRun(source + e + low, into: row + (x0 + low), count: high - low) }
                            } else {
                                for t in 0..<run {
                                    let xx = x0 + t * g.stride
                                    if xx >= 0 && xx < g.w { row[xx] += source[e + t] }
                                }
                            }
                        }
                        e += run
                        ox = 0
                        oy += 1
                    }
                    source += ldd
                }
            }
        }
    }

    /// `destination[e] += source[e]` for `e < count`, 16 at a time where possible.
    @inline(__always)
    static func addRun<T: TesselScalar>(_ source: UnsafePointer<T>, into destination: UnsafeMutablePointer<T>, count: Int) {
        var e = 0
        while e + 16 <= count {
            let p = UnsafeMutableRawPointer(destination + e)
            p.storeBytes(of: p.loadUnaligned(as: SIMD16<T>.self) + UnsafeRawPointer(source + e).loadUnaligned(as: SIMD16<T>.self),
                         as: SIMD16<T>.self)
            e += 16
        }
        while e < count {
            destination[e] += source[e]
            e += 1
        }
    }
}
