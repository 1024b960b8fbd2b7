/// Softmax cross-entropy loss (seed: `softmax_loss`).
///
/// For scores `x` (N, C) and labels `y` (N,), per row: `shifted = x − max(x)`,
/// `Z = Σ exp(shifted)`, `log_probs = shifted − log Z`, `probs = exp(log_probs)`;
/// `loss = −Σᵢ log_probs[i, y[i]] / N`; `dx = (probs − onehot(y)) / N`.
///
/// Shifting by the row maximum keeps every exponent ≤ 0, so scores of ±10⁴ give finite
/// results. A NaN score makes its row's maximum NaN, and so the loss and that row of dx NaN.
/// `Z` and the loss are summed in Double (rows in fixed chunks, chunk partials added in chunk
/// order); the loss is rounded to `T` once.
///
/// `compute` runs the tiled parallel kernel: per row, one pass that stores `exp(shifted)` into
/// dx while summing Z (a vectorized exp) and one that scales dx by `1 / (Z·N)` — so x is read
/// from memory once and dx written once. The row maximum is found one row ahead: the exp pass
/// of row i also scans row i + 1 for its maximum, so that row's loads from memory overlap the
/// arithmetic of the exp instead of stalling a pass of their own. `probs` is thus formed as
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
                            var maximum = rowMaximum(x + chunk.rows.lowerBound * classes, classes: classes)
                            for i in chunk.rows {
                                let offset = i * classes
                                // The chunk's last row scans itself again: its result is unused.
                                let next = i + 1 < chunk.rows.upperBound ? offset + classes : offset
                                let (logProbability, nextMaximum) = row(x + offset, dx + offset, classes: classes, maximum: maximum,
                                                                        next: x + next, label: labels[i], rows: batch)
                                partial[0] += logProbability
                                maximum = nextMaximum
                            }
                        }
                    }
                }
            }
        }
        return (total, dx)
    }


    /// One row whose maximum is `maximum`: writes `dx = (probs − onehot(label)) / rows` and
    /// returns `log_probs[label]` with the maximum of the row at `next` (`rowMaximum`'s result).
    @inline(__always)
    static func row<T: TesselScalar>(_ x: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, classes: Int, maximum: T,
                                     next: UnsafePointer<T>, label: Int, rows: Int) -> (Double, T) {
        // dx = exp(x − max), Z = Σ dx; and the next row's maximum.
        let (z, nextMaximum) = exponentials(x, dx, count: classes, shift: maximum, maximumOf: next)

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
        return (Double((x[label] - maximum) - T(Double.log(z))), nextMaximum)
    }

    /// The maximum of the row `x[0 ..< classes]`; NaN wins (`Maximum.keeps`), so a NaN row stays
    /// NaN. Lane-wise over the 16-element blocks, then across the lanes, then over the tail.
    @inline(__always)
    static func rowMaximum<T: TesselScalar>(_ x: UnsafePointer<T>, classes: Int) -> T {
        guard classes >= 16 else { return tailMaximum(x, from: 0, count: classes, start: x[0]) }
        var m = x.load16()
        var j = 16
        while j + 16 <= classes {
            let v = x.load16(at: j)
            m = v.replacing(with: m, where: Maximum.keeps(m, over: v))
            j += 16
        }
        return tailMaximum(x, from: j, count: classes, start: laneMaximum(m))
    }

    /// `rowMaximum`'s scan across the lanes of `m`, in lane order.
    @inline(__always)
    static func laneMaximum<T: TesselScalar>(_ m: SIMD16<T>) -> T {
        var maximum = m[0]
        for lane in 1..<16 where !Maximum.keeps(maximum, over: m[lane]) { maximum = m[lane] }
        return maximum
    }

    /// `rowMaximum`'s scan of `x[from ..< count]`, starting from the maximum `start`.
    @inline(__always)
    static func tailMaximum<T: TesselScalar>(_ x: UnsafePointer<T>, from: Int, count: Int, start: T) -> T {
        var maximum = start
        for j in from..<count where !Maximum.keeps(maximum, over: x[j]) { maximum = x[j] }
        return maximum
    }

    /// `out[j] = exp(x[j] − shift)` for `j < count`; returns `Σ out[j]`, summed in Double, and
    /// `rowMaximum(next, classes: count)`, computed with the same operations in the same order.
    /// The tail goes through the same vector exp, padded with −∞ (exp gives 0). Kept out of
    /// line: inlined into the tile closure, its vector code was split into 128-bit halves.
    @inline(never)
    static func exponentials<T: TesselScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, count: Int, shift: T,
                                              maximumOf next: UnsafePointer<T>) -> (Double, T) {
        guard count >= 16 else {
            return (tailExponentials(x, out, from: 0, count: count, shift: shift).sum(), rowMaximum(next, classes: count))
        }
        var sums = SIMD16<Double>()
        // Lane-wise maximum of the next row; the first block's update keeps m as it is.
        var m = next.load16()
        var j = 0
        while j + 16 <= count {
            let v = next.load16(at: j)
            m = v.replacing(with: m, where: Maximum.keeps(m, over: v))
            let e = VectorMath.exp(x.load16(at: j) - shift)
            out.store(e, at: j)
            sums += e.widened
            j += 16
        }
        let sum = j < count ? (sums + tailExponentials(x, out, from: j, count: count, shift: shift)).sum() : sums.sum()
        return (sum, tailMaximum(next, from: j, count: count, start: laneMaximum(m)))
    }

    /// The exponentials of `x[from ..< count]` (fewer than 16) into `out`, through one vector
    /// exp padded with −∞; returns them widened: lane k holds `exp(x[from + k] − shift)`, 0 past
    /// the end. The lanes go through memory, a store each, and not lane by lane into the vector.
    @inline(__always)
    static func tailExponentials<T: TesselScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, from: Int, count: Int,
                                          shift: T) -> SIMD16<Double> {
        var tail = SIMD16<T>(repeating: -.infinity)
        withUnsafeMutableBytes(of: &tail) { lanes in
            let lanes = lanes.baseAddress!.assumingMemoryBound(to: T.self)
            for lane in 0..<count - from { lanes[lane] = x[from + lane] - shift }
        }
        let e = VectorMath.exp(tail)
        withUnsafeBytes(of: e) { lanes in
            let lanes = lanes.baseAddress!.assumingMemoryBound(to: T.self)
            for lane in 0..<count - from { out[from + lane] = lanes[lane] }
        }
        return e.widened
    }
}
