import CCacheHints

/// Multiclass SVM (hinge) loss (seed: `svm_loss`).
///
/// For scores `x` (N, C) and labels `y` (N,):
/// `margins[i, j] = max(0, x[i, j] − x[i, y[i]] + 1)` for `j ≠ y[i]`, `margins[i, y[i]] = 0`;
/// `loss = Σ margins / N`; `dx[i, j] = 1 / N` where `margins[i, j] > 0`, else 0, and
/// `dx[i, y[i]] = −(number of positive margins in row i) / N`.
///
/// The loss is summed in Double (rows in fixed chunks, chunk partials added in chunk order) and
/// rounded to `T` once. A NaN score makes its margins NaN and so the loss NaN (NaN margins
/// count as not positive in dx, as NumPy's `margins > 0`).
///
/// `compute` runs the tiled parallel kernel (one pass over x, vectorized over C);
/// `SVMLoss.Reference` is the serial oracle.
///
/// The layer does not scan its inputs for NaN or ±∞: they propagate (NaN in, NaN out); only
/// scalar parameters are checked.
public enum SVMLoss {
    /// The layer's name in errors and on the command line.
    public static let name = "svm_loss"

    /// Tiled loss and gradient. `x`: (N, C), N ≥ 1; `y`: N labels in 0 ..< C.
    /// Returns the mean loss and `dx` (N, C).
    /// - Throws: `TesselError.shapeMismatch` for a bad `x` or label count,
    ///   `TesselError.invalidParameter` naming a label outside 0 ..< C.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func compute<T: TesselScalar>(x: Tensor<T>, y: [Int], scheduler: Scheduler = .default) throws -> LossOutput<T> {
        let (sum, dx) = try sum(x: x, y: y, batch: x.shape.first ?? 0, scheduler: scheduler)
        return LossOutput(loss: T(sum / Double(x.shape[0])), dx: dx)
    }

    /// The loss of `x`'s rows as part of a batch of `batch` rows: the margin sum over x's rows
    /// (in Double, not yet divided), and dx with `batch` as N. A sharded network step calls it
    /// per shard with the global batch (`Network+Shards`).
    /// - Throws: as `compute`.
    static func sum<T: TesselScalar>(x: Tensor<T>, y: [Int], batch: Int, scheduler: Scheduler) throws -> (Double, Tensor<T>) {
        let (rows, classes) = try ClassScores.validate(layer: name, x: x, y: y)
        var dx = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
        let chunks = ClassScores.chunks(rows: rows, classes: classes)
        let positive = T(1) / T(batch), count = T(batch)
        var total = 0.0
        x.withUnsafeBufferPointer { xs in
            dx.withUnsafeMutableBufferPointer { dxs in
                y.withUnsafeBufferPointer { labels in
                    let x = xs.baseAddress!, dx = dxs.baseAddress!, labels = labels.baseAddress!
                    withUnsafeMutablePointer(to: &total) { total in
                        scheduler.reduce(chunks, width: 1, workPerChunk: chunks.tileRows * classes,
                                         into: UnsafeMutableBufferPointer(start: total, count: 1)) { chunk, partial in
                            for i in chunk.rows {
                                let offset = i * classes
                                // The next row's correct score, at a random place in its row: without
                                // the prefetch, loading it stalled the start of every row on memory.
                                if i + 1 < rows { tessel_prefetch(x + offset + classes + labels[i + 1]) }
                                let (sum, positives) = row(x + offset, dx + offset, classes: classes, label: labels[i], positive: positive)
                                dx[offset + labels[i]] = -T(positives) / count
                                partial[0] += sum
                            }
                        }
                    }
                }
            }
        }
        return (total, dx)
    }

    /// One row: writes `dx[j] = margin_j > 0 ? positive : 0` for every j (the label's entry
    /// included, the caller overwrites it) and returns the margin sum and the positive count.
    @inline(__always)
    static func row<T: TesselScalar>(_ x: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, classes: Int, label: Int,
                                     positive: T) -> (sum: Double, positives: Int) {
        let correct = x[label], zero = SIMD16<T>(), positiveVector = SIMD16<T>(repeating: positive)
        let lanes = SIMD16<T>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        var sums = SIMD16<Double>(), counts = SIMD16<T>()
        var j = 0
        while j + 16 <= classes {
            var margin = (x.load16(at: j) - correct) + 1
            if label >= j && label < j + 16 {
                margin = margin.replacing(with: 0, where: lanes.isEqual(to: SIMD16(repeating: T(label - j))))
            }
            let isPositive = margin.isGreater(than: zero)
            // `<= 0` is false for NaN, so a NaN margin reaches the sum.
            sums += margin.replacing(with: 0, where: margin.isLessOrEqual(to: zero)).widened
            counts += zero.replacing(with: 1, where: isPositive)
            dx.store(zero.replacing(with: positiveVector, where: isPositive), at: j)
            j += 16
        }
        var sum = sums.sumInLaneOrder(), positives = Int(counts.sum())
        while j < classes {
            let margin = j == label ? 0 : (x[j] - correct) + 1
            if !(margin <= 0) { sum += Double(margin) }
            if margin > 0 { positives += 1 }
            dx[j] = margin > 0 ? positive : 0
            j += 1
        }
        return (sum, positives)
    }
}
