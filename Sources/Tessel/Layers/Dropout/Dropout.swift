/// Inverted dropout over a tensor of any shape (seed: `dropout_forward`, `dropout_backward`).
///
/// - train: `mask[i] = (u[i] < p) / p` and `out = x * mask`, where `p` is the probability of
///   KEEPING an element and `u[i]` is `Philox(seed).uniform(at: i)` — a number in [0, 1) that
///   depends only on the seed and the element's row-major index. The mask is therefore the
///   same bits for every tiling and thread count, for the tiled and the reference path, and
///   (as a keep pattern) for Float32 and Float64. Kept elements are scaled by `T(1 / p)`.
/// - test: `out = x`, no mask.
/// - backward: train `dx = dout * mask` (the mask forward returned); test `dx = dout`.
///
/// `forward`/`backward` run the tiled parallel kernel; `Dropout.Reference` is the serial oracle.
///
/// The layer does not scan its inputs for NaN or ±∞: they propagate (NaN in, NaN out); only
/// scalar parameters are checked. A NaN or infinite `p` is an error.
public enum Dropout {
    /// The layer's name in errors and on the command line.
    public static let name = "dropout"

    /// CS231n's `dropout_param`.
    public struct Parameters: Sendable, Equatable {
        /// Probability of KEEPING an element, in (0, 1].
        public var p: Double
        /// `.train` applies a random mask; `.test` is the identity.
        public var mode: Mode
        /// Seed of the mask. `nil` draws a fresh seed from the system generator on every call.
        public var seed: UInt64?

        /// Parameters with keep probability `p` (checked when a layer runs, not here).
        public init(p: Double, mode: Mode = .train, seed: UInt64? = nil) {
            self.p = p
            self.mode = mode
            self.seed = seed
        }
    }

    /// Tiled forward. `x`: any shape. Returns `out` shaped like `x`, and in train mode the
    /// `mask` (shaped like `x`, values 0 or `T(1 / p)`); in test mode `out = x` and `mask` is nil.
    /// - Throws: `TesselError.invalidParameter` when `p` is NaN or outside (0, 1].
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TesselScalar>(x: Tensor<T>, parameters: Parameters,
                                                scheduler: Scheduler = .default) throws -> (out: Tensor<T>, mask: Tensor<T>?) {
        try forward(x: x, parameters: parameters, firstIndex: 0, scheduler: scheduler)
    }

    /// `forward` on `x` as the elements `firstIndex ..< firstIndex + x.count` of a larger
    /// tensor: element `i` of `x` uses the generator's number at `firstIndex + i`. A shard of a
    /// batch thus gets the mask the whole batch would give its rows (`Network+Shards`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func forward<T: TesselScalar>(x: Tensor<T>, parameters: Parameters, firstIndex: Int,
                                         scheduler: Scheduler) throws -> (out: Tensor<T>, mask: Tensor<T>?) {
        try validate(parameters)
        guard parameters.mode == .train else { return (x, nil) }
        let generator = Philox(seed: resolvedSeed(parameters))
        let threshold = Philox.threshold(below: parameters.p), scale: T = keptScale(keep: parameters.p)
        var out = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator), mask = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
        let tiling = Tiling.split(x.count, targetItemsPerTile: scheduler.tiles.elementsPerTile)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { outs in
                mask.withUnsafeMutableBufferPointer { masks in
                    let x = xs.baseAddress!, out = outs.baseAddress!, mask = masks.baseAddress!
                    // About 4 units per element: the 10 Philox rounds cost more than the stores.
                    scheduler.forEachTile(tiling, workPerTile: 4 * tiling.tileRows) { tile in
                        applyMask(x, out, mask, range: tile.rows, firstIndex: firstIndex, generator: generator,
                                  threshold: threshold, scale: scale)
                    }
                }
            }
        }
        return (out, mask)
    }

    /// Tiled backward. Train: `dx = dout * mask`, where `mask` is the one `forward` returned.
    /// Test: `dx = dout` (`mask` may be nil and is ignored).
    /// - Throws: `TesselError.invalidParameter` for a bad `p` or a nil mask in train mode;
    ///   `TesselError.shapeMismatch` when `mask` and `dout` differ in shape.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, mask: Tensor<T>?, parameters: Parameters,
                                                 scheduler: Scheduler = .default) throws -> Tensor<T> {
        guard let mask = try validateBackward(dout: dout, mask: mask, parameters: parameters) else { return dout }
        var dx = try Tensor<T>.uninitialized(shape: dout.shape, allocator: scheduler.allocator)
        let tiling = Tiling.split(dout.count, targetItemsPerTile: scheduler.tiles.elementsPerTile)
        dout.withUnsafeBufferPointer { douts in
            mask.withUnsafeBufferPointer { masks in
                dx.withUnsafeMutableBufferPointer { dxs in
                    let dout = douts.baseAddress!, mask = masks.baseAddress!, dx = dxs.baseAddress!
                    scheduler.forEachTile(tiling, workPerTile: tiling.tileRows) { tile in
                        let start = tile.rows.lowerBound
                        multiply(dout + start, mask + start, dx + start, count: tile.rows.count)
                    }
                }
            }
        }
        return dx
    }

    /// The value of a kept element's mask for the keep probability `p`: `T(1 / p)`, at least 1
    /// for `p` in (0, 1]. The tiled layer and a fused dropout (`FusedDropout`, `ChainMask`)
    /// take it from here, so that they scale by the same bits.
    @inlinable @inline(__always)
    static func keptScale<T: TesselScalar>(keep p: Double) -> T { T(1 / p) }

    /// Checks `p`: a number in (0, 1].
    static func validate(_ parameters: Parameters) throws {
        let p = parameters.p
        guard p > 0 && p <= 1 else {
            throw TesselError.invalidParameter(component: name, parameter: "p", value: "\(p)",
                                               reason: "the keep probability must be in (0, 1]")
        }
    }

    /// Checks the backward arguments; returns the mask to apply, or nil in test mode.
    static func validateBackward<T>(dout: Tensor<T>, mask: Tensor<T>?, parameters: Parameters) throws -> Tensor<T>? {
        try validate(parameters)
        guard parameters.mode == .train else { return nil }
        guard let mask else {
            throw TesselError.invalidParameter(component: name, parameter: "mask", value: "nil",
                                               reason: "train-mode backward needs the mask that forward returned")
        }
        guard mask.shape == dout.shape else {
            throw TesselError.shapeMismatch(component: name, argument: "mask", expected: "the shape of dout \(Shape.describe(dout.shape))",
                                            actual: mask.shape)
        }
        return mask
    }

    /// The seed of this call: the given one, or a fresh one from the system generator.
    static func resolvedSeed(_ parameters: Parameters) -> UInt64 {
        if let seed = parameters.seed { return seed }
        var system = SystemRandomNumberGenerator()
        return system.next()
    }

    /// `mask[i] = keep(g) ? scale : 0`, `out[i] = x[i] * mask[i]` for `i` in `range`, where
    /// `g = firstIndex + i` is the element's index in the generator's stream and `keep(g)` is
    /// `(word(g) >> 8) < threshold`; the mask is not stored when `mask` is nil
    /// (`FusedDropout`). Whole aligned groups of 16 stream words are vectorized (four or two at
    /// a time where they fit, their Philox rounds interleaved); a range that starts or ends
    /// inside a group uses the group's words lane by lane.
    @inlinable
    static func applyMask<T: TesselScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ mask: UnsafeMutablePointer<T>?,
                                           range: Range<Int>, firstIndex: Int = 0, generator: Philox, threshold: UInt32, scale: T) {
        var g = range.lowerBound + firstIndex
        let end = range.upperBound + firstIndex
        // One group's 16 elements from element `i` on, masked by its stream words.
        @inline(__always) func apply(_ words: SIMD16<UInt32>, at i: Int) {
            applyMask(x + i, out + i, mask.map { $0 + i }, maskValues(words: words, threshold: threshold, scale: scale))
        }
        while g < end {
            let group = g / 16, groupStart = group * 16, i = g - firstIndex
            if g == groupStart && end - g >= 64 {
                let words = generator.words(groupQuad: UInt64(group))
                apply(words.0, at: i)
                apply(words.1, at: i + 16)
                apply(words.2, at: i + 32)
                apply(words.3, at: i + 48)
                g += 64
                continue
            }
            if g == groupStart && end - g >= 32 {
                let (first, second) = generator.words(groupPair: UInt64(group))
                apply(first, at: i)
                apply(second, at: i + 16)
                g += 32
                continue
            }
            let words = generator.words(group: UInt64(group))
            if g == groupStart && end - g >= 16 {
                apply(words, at: i)
                g += 16
            } else {
                let groupEnd = min(end, groupStart + 16)
                while g < groupEnd {
                    let m: T = words[g - groupStart] >> 8 < threshold ? scale : 0
                    mask?[g - firstIndex] = m
                    out[g - firstIndex] = x[g - firstIndex] * m
                    g += 1
                }
            }
        }
    }

    /// `mask[0..<16] = m` (unless nil), `out[0..<16] = x[0..<16] * m`.
    @inlinable @inline(__always)
    static func applyMask<T: TesselScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ mask: UnsafeMutablePointer<T>?,
                                           _ m: SIMD16<T>) {
        mask?.store(m)
        out.store(x.load16() * m)
    }

    /// Lane `l`: `scale` where `(words[l] >> 8) < threshold`, else 0. The comparison is done in
    /// the integer type whose lanes match `T`'s mask lanes, so the select is one blend.
    @inlinable @inline(__always)
    static func maskValues<T: TesselScalar>(words: SIMD16<UInt32>, threshold: UInt32, scale: T) -> SIMD16<T> {
        let top = words &>> 8
        // Vector-to-vector comparisons with the vector type spelled out: `vector .< scalar`, or a
        // right side whose type is inferred, resolve to the per-lane SIMD default (see LaneComparisons).
        if T.self == Float.self {
            let keep = unsafeBitCast(top, to: SIMD16<Int32>.self) .< SIMD16<Int32>(repeating: Int32(threshold))
            let m = SIMD16<Float>(repeating: 0).replacing(with: unsafeBitCast(scale, to: Float.self), where: keep)
            return unsafeBitCast(m, to: SIMD16<T>.self)
        }
        if T.self == Double.self {
            let keep = SIMD16<Int64>(truncatingIfNeeded: top) .< SIMD16<Int64>(repeating: Int64(threshold))
            let m = SIMD16<Double>(repeating: 0).replacing(with: unsafeBitCast(scale, to: Double.self), where: keep)
            return unsafeBitCast(m, to: SIMD16<T>.self)
        }
        var m = SIMD16<T>()
        for l in 0..<16 { m[l] = top[l] < threshold ? scale : 0 }
        return m
    }

    /// `dx[i] = dout[i] * mask[i]` for `i < count`.
    @inlinable
    static func multiply<T: TesselScalar>(_ dout: UnsafePointer<T>, _ mask: UnsafePointer<T>,
                                          _ dx: UnsafeMutablePointer<T>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let g = dout.load16(at: i)
            let m = mask.load16(at: i)
            dx.store(g * m, at: i)
            i += 16
        }
        while i < count {
            dx[i] = dout[i] * mask[i]
            i += 1
        }
    }
}
