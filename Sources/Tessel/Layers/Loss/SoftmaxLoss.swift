/// Softmax cross-entropy loss (seed: `softmax_loss`).
///
/// For scores `x` (N, C) and labels `y` (N,), per row: `shifted = x − max(x)`,
/// `Z = Σ exp(shifted)`, `log_probs = shifted − log Z`, `probs = exp(log_probs)`;
/// `loss = −Σᵢ log_probs[i, y[i]] / N`; `dx = (probs − onehot(y)) / N`.
///
/// Shifting by the row maximum keeps every exponent ≤ 0, so scores of ±10⁴ give finite
/// results. A NaN score makes its row's maximum NaN, and so the loss and that row of dx NaN.
/// `Z` and the loss are summed in Double (`Z` from pairs of exponentials added in `T`; rows in
/// fixed chunks, chunk partials added in chunk order); the loss is rounded to `T` once.
///
/// `compute` runs the tiled parallel kernel: per row, one pass that stores `exp(shifted)` into
/// dx while summing Z (a vectorized exp) and one that scales dx by `1 / (Z·N)` — so x is read
/// from memory once and dx written once. The exp pass of a row prefetches the next row of x
/// and of dx, so that their loads from memory overlap the exp arithmetic instead of stalling
/// the next row's maximum (found in a first pass over the row). `probs` is thus formed as
/// `exp(shifted) / Z` rather than `exp(shifted − log Z)`: equal up to rounding.
/// `SoftmaxLoss.Reference` is the serial oracle, line by line as CS231n's layers.py.
public enum SoftmaxLoss {
    /// The layer's name in errors and on the command line.
    public static let name = "softmax_loss"

    /// Tiled loss and gradient. `x`: (N, C), N ≥ 1; `y`: N labels in 0 ..< C.
    /// Returns the mean loss and `dx` (N, C).
    /// - Throws: `TesselError.shapeMismatch` for a bad `x` or label count,
    ///   `TesselError.invalidParameter` naming a label outside 0 ..< C.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func compute<T: TesselScalar>(x: Tensor<T>, y: [Int], scheduler: Scheduler = .default) throws -> LossOutput<T> {
        let (sum, dx) = try sum(x: x, y: y, batch: x.shape.first ?? 0, scheduler: scheduler)
        return LossOutput(loss: T(-sum / Double(x.shape[0])), dx: dx)
    }

    /// The loss of `x`'s rows as part of a batch of `batch` rows: `Σᵢ log_probs[i, y[i]]`
    /// over x's rows (in Double, not yet negated or divided), and `dx = (probs − onehot(y)) / batch`.
    /// A sharded network step calls it per shard with the global batch (`Network+Shards`).
    /// - Throws: as `compute`.
    static func sum<T: TesselScalar>(x: Tensor<T>, y: [Int], batch: Int, scheduler: Scheduler) throws -> (Double, Tensor<T>) {
        let (rows, classes) = try ClassScores.validate(layer: name, x: x, y: y)
        var dx = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
        let chunks = ClassScores.chunks(rows: rows, classes: classes)
        var total = 0.0
        x.withUnsafeBufferPointer { xs in
            dx.withUnsafeMutableBufferPointer { dxs in
                y.withUnsafeBufferPointer { labels in
                    let x = xs.baseAddress!, dx = dxs.baseAddress!, labels = labels.baseAddress!
                    withUnsafeMutablePointer(to: &total) { total in
                        // About 8 units per score: the exp dominates.
                        scheduler.reduce(chunks, width: 1, workPerChunk: 8 * chunks.tileRows * classes,
                                         into: UnsafeMutableBufferPointer(start: total, count: 1)) { chunk, partial in
                            for i in chunk.rows {
                                let offset = i * classes
                                // The last row prefetches itself again, which costs nothing.
                                let next = i + 1 < rows ? classes : 0
                                partial[0] += row(x + offset, dx + offset, classes: classes, readable: (rows - i) * classes,
                                                  next: next, label: labels[i], rows: batch)
                            }
                        }
                    }
                }
            }
        }
        return (total, dx)
    }

    /// One row: writes `dx = (probs − onehot(label)) / rows` and returns `log_probs[label]`;
    /// prefetches the row `next` elements further on in x and dx while it computes. `readable`:
    /// the elements of x from the row's start that may be read (the row and those after it).
    @inline(__always)
    static func row<T: TesselScalar>(_ x: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, classes: Int, readable: Int,
                                     next: Int, label: Int, rows: Int) -> Double {
        let (maximum, minimum) = rowExtremes(x, classes: classes)

        // dx = exp(x − max), Z = Σ dx. Every x − max lies in [minimum − max, 0] (rounding is
        // monotonic); false for a NaN or infinite maximum.
        let inNormalRange = minimum - maximum >= -T(VectorMath.normalRange)
        let z = exponentials(x, dx, count: classes, readable: readable, shift: maximum, inNormalRange: inNormalRange,
                             prefetching: next)

        // probs / N = exp(shifted) · (1 / (Z·N)); the label's entry is (p − 1) / N.
        let scale = T(1 / (z * Double(rows)))
        let labelProbability = Double(dx[label]) / z
        var j = 0
        while j + 16 <= classes {
            let e = dx.load16(at: j)
            dx.store(e * scale, at: j)
            j += 16
        }
        while j < classes {
            dx[j] *= scale
            j += 1
        }
        dx[label] = T((labelProbability - 1) / Double(rows))
        return Double((x[label] - maximum) - T(Double.log(z)))
    }

    /// The maximum and the minimum of the row `x[0 ..< classes]`; NaN wins the maximum
    /// (`Maximum.keeps`: the first NaN, else the first largest value, in the order of
    /// `firstExtremes`), so a NaN row stays NaN (its minimum then matters to no one).
    ///
    /// A row of 16 or more is scanned as 16-element vectors, the last one overlapping the one
    /// before, by lane-wise vector max and min, reduced across the lanes at the end
    /// (`largestLane`, `smallestLane`). Where no lane is NaN this finds the largest value, and
    /// its bits are those of the first largest value unless it is zero (−0 and +0 compare
    /// equal): a NaN or a zero maximum sends the row to `firstExtremes`, whose scan keeps the
    /// first. The minimum is only compared with a bound.
    @inline(__always)
    static func rowExtremes<T: TesselScalar>(_ x: UnsafePointer<T>, classes: Int) -> (maximum: T, minimum: T) {
        guard classes >= 16 else { return firstExtremes(x, classes: classes) }
        var m = x.load16()
        var low = m
        var unordered = m.isNotEqual(to: m)
        var j = 16
        while j < classes {
            let v = x.load16(at: Swift.min(j, classes - 16))
            m = m.replacing(with: v, where: v.isGreater(than: m))
            low = low.replacing(with: v, where: low.isGreater(than: v))
            unordered = unordered .| v.isNotEqual(to: v)
            j += 16
        }
        let maximum = m.largestLane()
        if any(unordered) || maximum == 0 { return firstExtremes(x, classes: classes) }
        return (maximum, low.smallestLane())
    }

    /// `rowExtremes` by `Maximum.keeps` in a fixed order: lane-wise over the 16-element blocks,
    /// then across the lanes, then over the elements after the last block.
    @inline(never)
    static func firstExtremes<T: TesselScalar>(_ x: UnsafePointer<T>, classes: Int) -> (maximum: T, minimum: T) {
        var maximum = x[0], minimum = x[0]
        var j = 0
        if classes >= 16 {
            var m = x.load16()
            var low = m
            j = 16
            while j + 16 <= classes {
                let v = x.load16(at: j)
                m = v.replacing(with: m, where: Maximum.keeps(m, over: v))
                low = low.replacing(with: v, where: low.isGreater(than: v))
                j += 16
            }
            maximum = m[0]
            for lane in 1..<16 where !Maximum.keeps(maximum, over: m[lane]) { maximum = m[lane] }
            minimum = low.min()
        }
        while j < classes {
            if !Maximum.keeps(maximum, over: x[j]) { maximum = x[j] }
            minimum = Swift.min(minimum, x[j])
            j += 1
        }
        return (maximum, minimum)
    }

    /// `out[j] = exp(x[j] − shift)` for `j < count`; returns `Σ out[j]`, summed lane-wise in
    /// Double. Two vectors at a time are added in `T` before that sum (one widening per 32
    /// scores instead of per 16): the pair's rounding, a relative error of at most 2⁻²⁴ in
    /// Float, is below that of the scale `1 / (Z·N)` rounded to `T`.
    /// `inNormalRange`: every `x[j] − shift` is known to lie within ±`VectorMath.normalRange`,
    /// so the vectors skip the range check (`VectorMath.expInNormalRange`, the same bits). Each
    /// 16 elements prefetch the same 16 of the next row, `next` elements further on, in x and
    /// in out, so that row's reads overlap the exp arithmetic rather than stall its maximum
    /// pass. The tail goes through one more vector exp (`tailExponentials`; `readable`: the
    /// elements of x that may be read). Kept out of line: inlined into the tile closure, its
    /// vector code was split into 128-bit halves.
    @inline(never)
    static func exponentials<T: TesselScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, count: Int, readable: Int,
                                              shift: T, inNormalRange: Bool, prefetching next: Int) -> Double {
        var sums = SIMD16<Double>()
        var j = 0
        while j + 32 <= count {
            x.prefetch16(at: next + j)
            out.prefetchForWrite16(at: next + j)
            x.prefetch16(at: next + j + 16)
            out.prefetchForWrite16(at: next + j + 16)
            let s1 = x.load16(at: j) - shift
            let s2 = x.load16(at: j + 16) - shift
            let e1 = inNormalRange ? VectorMath.expInNormalRange(s1) : VectorMath.exp(s1)
            let e2 = inNormalRange ? VectorMath.expInNormalRange(s2) : VectorMath.exp(s2)
            out.store(e1, at: j)
            out.store(e2, at: j + 16)
            sums += (e1 + e2).widened
            j += 32
        }
        if j + 16 <= count {
            x.prefetch16(at: next + j)
            out.prefetchForWrite16(at: next + j)
            let shifted = x.load16(at: j) - shift
            let e = inNormalRange ? VectorMath.expInNormalRange(shifted) : VectorMath.exp(shifted)
            out.store(e, at: j)
            sums += e.widened
            j += 16
        }
        guard j < count else { return sums.sumInLaneOrder() }
        let tail = tailExponentials(x, out, from: j, count: count, readable: readable, shift: shift, inNormalRange: inNormalRange)
        return (sums + tail).sumInLaneOrder()
    }

    /// The exponentials of `x[from ..< count]` (fewer than 16) into `out`, through one vector
    /// exp; returns them widened: lane k holds `exp(x[from + k] − shift)`, 0 past the end.
    ///
    /// When 16 elements from `from` may be read (`readable`: the rows after this one are in x),
    /// they are loaded as one vector and the lanes past the row set to 0 before the exp and to 0
    /// after it, what an exp of −∞ gives them. Otherwise (the last row) the lanes are gathered
    /// through memory, a store each, padded with −∞. The row's lanes get the same bits either way.
    @inline(__always)
    static func tailExponentials<T: TesselScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, from: Int, count: Int,
                                                  readable: Int, shift: T, inNormalRange: Bool) -> SIMD16<Double> {
        let e: SIMD16<T>
        if from + 16 <= readable {
            let lanes = SIMD16<T>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
            let past = lanes.isGreaterOrEqual(to: SIMD16(repeating: T(count - from)))
            let shifted = (x.load16(at: from) - shift).replacing(with: 0, where: past)
            let exponentials = inNormalRange ? VectorMath.expInNormalRange(shifted) : VectorMath.exp(shifted)
            e = exponentials.replacing(with: 0, where: past)
        } else {
            var tail = SIMD16<T>(repeating: -.infinity)
            withUnsafeMutableBytes(of: &tail) { lanes in
                let lanes = lanes.baseAddress!.assumingMemoryBound(to: T.self)
                for lane in 0..<count - from { lanes[lane] = x[from + lane] - shift }
            }
            e = VectorMath.exp(tail)
        }
        withUnsafeBytes(of: e) { lanes in
            let lanes = lanes.baseAddress!.assumingMemoryBound(to: T.self)
            for lane in 0..<count - from { out[from + lane] = lanes[lane] }
        }
        return e.widened
    }
}
