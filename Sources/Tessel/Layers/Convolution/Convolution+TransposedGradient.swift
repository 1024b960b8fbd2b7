extension Convolution {
    /// The fewest input channels for which `inputGradient` takes dx as a convolution of dout
    /// (`transposedGeometry`): that product has one row per input channel, and with fewer the
    /// micro-kernel's rows would be mostly padding. A constant, so that which summation order
    /// dx gets depends on the shape alone.
    static let transposedMinimumChannels = 16

    /// The geometry of dx as a forward convolution of dout, when `g` allows it: stride 1,
    /// square filters, `pad ≤ hh − 1` and at least `transposedMinimumChannels` input channels;
    /// nil otherwise. Then, with `pad' = hh − 1 − pad`,
    /// `dx[n, c, y, x] = Σ_{f, i, j} doutpad[n, f, y + i, x + j] · w[f, c, hh − 1 − i, ww − 1 − j]`:
    /// the forward of input dout `(n, f, outH, outW)` and filters `(c, f, hh, ww)` flipped in
    /// both axes (`flippedFilters`), whose output is `(n, c, h, w)`.
    static func transposedGeometry(_ g: Geometry) -> Geometry? {
        guard g.stride == 1, g.hh == g.ww, g.pad <= g.hh - 1, g.c >= transposedMinimumChannels else { return nil }
        return Geometry(n: g.n, c: g.f, h: g.outH, w: g.outW, f: g.c, hh: g.hh, ww: g.ww, stride: 1, pad: g.hh - 1 - g.pad,
                        outH: g.h, outW: g.w)
    }

    /// Writes the filters of the transposed convolution: `flipped[c, f, i, j] = w[f, c, hh − 1 − i, ww − 1 − j]`
    /// for `w (f, c, hh, ww)` of `g`.
    static func flippedFilters<T>(_ w: UnsafePointer<T>, _ g: Geometry, into flipped: UnsafeMutablePointer<T>) {
        let window = g.hh * g.ww
        for f in 0..<g.f {
            for c in 0..<g.c {
                let source = w + (f * g.c + c) * window, target = flipped + (c * g.f + f) * window
                for position in 0..<window { target[position] = source[window - 1 - position] }
            }
        }
    }

    /// dx by `transposedGeometry`'s convolution of dout, when it applies; returns false (and
    /// writes nothing) otherwise.
    /// - Throws: `TesselError.outOfMemory` when the forward's buffers cannot be allocated.
    static func inputGradientByConvolution<T: TesselScalar>(_ dout: UnsafePointer<T>, _ w: UnsafePointer<T>, _ g: Geometry,
                                                            into dx: UnsafeMutablePointer<T>, scheduler: Scheduler) throws -> Bool {
        guard let transposed = transposedGeometry(g) else { return false }
        try scheduler.withScratch(T.self, count: g.f * g.filterSize) { flipped in
            flippedFilters(w, g, into: flipped.baseAddress!)
            try convolve(dout, flipped.baseAddress!, bias: nil, transposed, into: dx, scheduler: scheduler)
        }
        return true
    }
}
