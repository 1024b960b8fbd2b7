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
/// `compute` runs the tiled parallel kernel: per row, one pass for the maximum, one that
/// stores `exp(shifted)` into dx while summing Z (a vectorized exp), and one that scales dx by
/// `1 / (Z·N)` — so x is read from memory once and dx written once. `probs` is thus formed as
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
                                partial[0] += row(x + offset, dx + offset, classes: classes, label: labels[i], rows: batch)
                            }
                        }
                    }
                }
            }
        }
        return (total, dx)
    }

    /// One row: writes `dx = (probs − onehot(label)) / rows` and returns `log_probs[label]`.
    @inline(__always)
    static func row<T: TesselScalar>(_ x: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, classes: Int, label: Int,
                                     rows: Int) -> Double {
        // Pass 1: the maximum; NaN wins (`Maximum.keeps`), so a NaN row stays NaN.
        var maximum = x[0]
        var j = 0
        if classes >= 16 {
            var m = x.load16()
            j = 16
            while j + 16 <= classes {
                let v = x.load16(at: j)
                m = v.replacing(with: m, where: Maximum.keeps(m, over: v))
                j += 16
            }
            maximum = m[0]
            for lane in 1..<16 where !Maximum.keeps(maximum, over: m[lane]) { maximum = m[lane] }
        }
        while j < classes {
            if !Maximum.keeps(maximum, over: x[j]) { maximum = x[j] }
            j += 1
        }

        // Pass 2: dx = exp(x − max), Z = Σ dx.
        let z = exponentials(x, dx, count: classes, shift: maximum)

        // Pass 3: probs / N = exp(shifted) · (1 / (Z·N)); the label's entry is (p − 1) / N.
        let scale = T(1 / (z * Double(rows)))
        let labelProbability = Double(dx[label]) / z
        j = 0
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

    /// `out[j] = exp(x[j] − shift)` for `j < count`; returns `Σ out[j]`, summed in Double.
    /// The tail goes through the same vector exp, padded with −∞ (exp gives 0). Kept out of
    /// line: inlined into the tile closure, its vector code was split into 128-bit halves.
    @inline(never)
    static func exponentials<T: TesselScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, count: Int, shift: T) -> Double {
        var sums = SIMD16<Double>()
        var j = 0
        while j + 16 <= count {
            let e = VectorMath.exp(x.load16(at: j) - shift)
            out.store(e, at: j)
            sums += e.widened
            j += 16
        }
        if j < count {
            var tail = SIMD16<T>(repeating: -.infinity)
            for lane in 0..<count - j { tail[lane] = x[j + lane] - shift }
            let e = VectorMath.exp(tail)
            for lane in 0..<count - j { out[j + lane] = e[lane] }
            sums += e.widened
        }
        return sums.sum()
    }
}
