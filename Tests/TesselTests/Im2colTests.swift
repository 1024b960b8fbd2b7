import Testing
@testable import Tessel

/// The im2col gathers and the col2im scatter on their own (ConvolutionTests reaches them only
/// through whole convolutions), against their definitions from Im2col's doc comment:
/// `cols[k, p] = xpad[c, oy·stride + i, ox·stride + j]` for `k = (c, i, j)`, `p = (oy, ox)`.
/// Copies and gathers must be exact, and col2im adds to each element by `(i, j)`, then by
/// pixel, so it is compared bit for bit with a loop in that order.
@Suite struct Im2colTests {
    /// Odd sizes: stride 1 and 2, a stride that leaves the last padded row and column out,
    /// no padding, a filter as wide as the padded input, and outputs wide enough for the
    /// eight-pixel transposes.
    static let geometries: [(c: Int, h: Int, w: Int, hh: Int, ww: Int, stride: Int, pad: Int)] = [
        (3, 5, 7, 3, 3, 1, 1), (2, 6, 5, 3, 2, 2, 1), (1, 7, 9, 2, 3, 3, 0), (2, 4, 3, 4, 5, 1, 1), (2, 5, 19, 3, 3, 1, 1),
    ]

    static func geometry(_ shape: (c: Int, h: Int, w: Int, hh: Int, ww: Int, stride: Int, pad: Int)) -> Convolution.Geometry {
        let outH = 1 + (shape.h + 2 * shape.pad - shape.hh) / shape.stride, outW = 1 + (shape.w + 2 * shape.pad - shape.ww) / shape.stride
        return Convolution.Geometry(n: 1, c: shape.c, h: shape.h, w: shape.w, f: 1, hh: shape.hh, ww: shape.ww,
                                    stride: shape.stride, pad: shape.pad, outH: outH, outW: outW)
    }

    /// `xpad[c, y, x]` by its definition: the image, or 0 in the border.
    static func padded<T: TesselScalar>(_ image: [T], _ g: Convolution.Geometry, _ c: Int, _ y: Int, _ x: Int) -> T {
        let (iy, ix) = (y - g.pad, x - g.pad)
        return iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? image[(c * g.h + iy) * g.w + ix] : 0
    }

    /// `cols[k, p]` by its definition.
    static func column<T: TesselScalar>(_ image: [T], _ g: Convolution.Geometry, k: Int, p: Int) -> T {
        let (c, i, j) = (k / (g.hh * g.ww), k % (g.hh * g.ww) / g.ww, k % g.ww)
        return padded(image, g, c, p / g.outW * g.stride + i, p % g.outW * g.stride + j)
    }

    /// An image of `g` with values drawn from `seed`, and its copy padded by `Im2col.pad` into a
    /// buffer first filled with `fill` (the caller frees it).
    static func paddedImage<T: TesselScalar>(_ g: Convolution.Geometry, seed: UInt64, fill: T) -> (image: [T], padded: Buffer<T>) {
        let image = ReductionKernelTests.values(g.imageSize, seed: seed, as: T.self)
        let source = Buffer(image), padded = Buffer([T](repeating: fill, count: g.c * g.paddedPlane))
        defer { source.free() }
        Im2col.pad(source.start, g, channels: g.c, into: padded.start)
        return (image, padded)
    }

    @Test(arguments: geometries.indices)
    func padAndUnpadAreExact(index: Int) {
        Self.checkPad(Self.geometry(Self.geometries[index]), as: Float.self)
        Self.checkPad(Self.geometry(Self.geometries[index]), as: Double.self)
    }

    static func checkPad<T: TesselScalar>(_ g: Convolution.Geometry, as _: T.Type) {
        let (image, padded) = Self.paddedImage(g, seed: 1, fill: T.nan)
        let back = Buffer([T](repeating: .nan, count: g.imageSize))
        defer { padded.free(); back.free() }
        let expected = (0..<g.c).flatMap { c in
            (0..<g.paddedHeight).flatMap { y in (0..<g.paddedWidth).map { x in Self.padded(image, g, c, y, x) } }
        }
        #expect(ReductionKernelTests.bits(padded.array()) == ReductionKernelTests.bits(expected))
        Im2col.unpad(padded.start, g, channels: g.c, into: back.start)
        #expect(ReductionKernelTests.bits(back.array()) == ReductionKernelTests.bits(image))
    }

    @Test(arguments: geometries.indices)
    func packedPanelsAreColsByDefinition(index: Int) {
        Self.checkPanels(Self.geometry(Self.geometries[index]), as: Float.self)
        Self.checkPanels(Self.geometry(Self.geometries[index]), as: Double.self)
    }

    static func checkPanels<T: TesselScalar>(_ g: Convolution.Geometry, as _: T.Type) {
        let (image, padded) = Self.paddedImage(g, seed: 2, fill: T.zero)
        defer { padded.free() }
        let depth = g.filterSize, pixels = g.pixels
        // Whole ranges, ranges that start inside an output row, and panels wider than what is left.
        let depthRanges = [0..<depth, (depth / 3)..<depth, 1..<max(1, depth - 1)].filter { !$0.isEmpty }
        let pixelRanges = [0..<pixels, (pixels / 2 + 1)..<pixels, 1..<min(pixels, 9)].filter { !$0.isEmpty }
        for depthRange in depthRanges {
            for pixelRange in pixelRanges {
                for width in Set([pixelRange.count, 8, 16, pixelRange.count + 3]) {
                    let panel = Buffer([T](repeating: .nan, count: depthRange.count * width))
                    defer { panel.free() }
                    Im2col.packColumns(padded.start, g, depth: depthRange, pixels: pixelRange, width: width, into: panel.start)
                    let expected = depthRange.flatMap { k in
                        (0..<width).map { e in e < pixelRange.count ? column(image, g, k: k, p: pixelRange.lowerBound + e) : 0 }
                    }
                    #expect(ReductionKernelTests.bits(panel.array()) == ReductionKernelTests.bits(expected),
                            "cols, k \(depthRange), p \(pixelRange), width \(width)")
                }
            }
        }
        // The transposed panel: pixels as depth, filter positions across (widths of 8 take the
        // Float 8 × 8 transposes at stride 1).
        for pixelRange in pixelRanges {
            for positionRange in depthRanges {
                for width in Set([positionRange.count, 8, 16, positionRange.count + 3]) where width >= min(8, positionRange.count) {
                    let panel = Buffer([T](repeating: .nan, count: pixelRange.count * width))
                    defer { panel.free() }
                    Im2col.packColumnsTransposed(padded.start, g, depth: pixelRange, positions: positionRange, width: width,
                                                 into: panel.start)
                    let expected = pixelRange.flatMap { p in
                        (0..<width).map { e in e < positionRange.count ? column(image, g, k: positionRange.lowerBound + e, p: p) : 0 }
                    }
                    #expect(ReductionKernelTests.bits(panel.array()) == ReductionKernelTests.bits(expected),
                            "colsᵀ, p \(pixelRange), k \(positionRange), width \(width)")
                }
            }
        }
    }

    @Test(arguments: geometries.indices)
    func col2imAddsByFilterPositionThenPixel(index: Int) {
        Self.checkCol2im(Self.geometry(Self.geometries[index]), as: Float.self)
        Self.checkCol2im(Self.geometry(Self.geometries[index]), as: Double.self)
    }

    static func checkCol2im<T: TesselScalar>(_ g: Convolution.Geometry, as _: T.Type) {
        let positions = g.filterSize
        for pixels in [0..<g.pixels, (g.pixels / 2 + 1)..<g.pixels] where !pixels.isEmpty {
            let ldd = pixels.count + 5
            let dcols = ReductionKernelTests.values(positions * ldd, seed: 3, as: T.self)
            let start = ReductionKernelTests.values(g.c * g.paddedPlane, seed: 4, as: T.self)
            var expected = start
            for k in 0..<positions {
                let (c, i, j) = (k / (g.hh * g.ww), k % (g.hh * g.ww) / g.ww, k % g.ww)
                for p in pixels {
                    let y = p / g.outW * g.stride + i, x = p % g.outW * g.stride + j
                    expected[(c * g.paddedHeight + y) * g.paddedWidth + x] += dcols[k * ldd + p - pixels.lowerBound]
                }
            }
            let source = Buffer(dcols), padded = Buffer(start)
            defer { source.free(); padded.free() }
            Im2col.accumulate(source.start, ldd: ldd, into: padded.start, g, rows: 0..<(g.c * g.hh * g.ww), pixels: pixels)
            #expect(ReductionKernelTests.bits(padded.array()) == ReductionKernelTests.bits(expected), "\(T.self) pixels \(pixels)")
        }
    }
}
