/// Combining per-chunk partial results in chunk order: the one place where Tessel's
/// deterministic reductions fold their partials (`Scheduler.reduce`, the normalization
/// layers, the convolution's weight gradient, the sharded network step).
///
/// Partials are stored chunk-major: chunk `c`'s values start at `partials + c · stride`.
/// Every column is folded from zero in the same fixed order, chunk 0 first, whatever the
/// workers or column blocks, so a result depends on the partials and the chunk count alone.
/// The partials of Tessel's reductions are sums begun at +0, never −0, so `0 + p₀` is `p₀`'s
/// bits: folding from zero and folding from the first partial give the same results.
enum ChunkPartials {
    /// `result[j] = ((0 + p₀[j]) + p₁[j]) + …` for `j` in `columns`, over `chunks` chunks,
    /// on the calling thread.
    @inlinable
    static func sum(_ partials: UnsafePointer<Double>, chunks: Int, stride: Int, columns: Range<Int>,
                    into result: UnsafeMutablePointer<Double>) {
        for j in columns { result[j] = 0 }
        for chunk in 0..<chunks {
            let partial = partials + chunk * stride
            for j in columns { result[j] += partial[j] }
        }
    }

    /// `result[j] = ((0 + p₀[j]) + p₁[j]) + …` for `j < width`, over `chunks` chunks of
    /// `width` partials each, in parallel over column blocks.
    static func sum(_ partials: UnsafePointer<Double>, chunks: Int, width: Int,
                    into result: UnsafeMutablePointer<Double>, scheduler: Scheduler) {
        let tiling = columnTiling(chunks: chunks, width: width, scheduler: scheduler)
        scheduler.forEachTile(tiling, workPerTile: tiling.tileRows * max(1, chunks)) { tile in
            sum(partials, chunks: chunks, stride: width, columns: tile.rows, into: result)
        }
    }

    /// `result[e] = T(((0 + p₀[e]) + p₁[e]) + …)` for `e` in `elements`: partials in the
    /// element type, added in `Double` and rounded to `T` once, on the calling thread; 16
    /// elements a vector, each lane the same operations as the scalar tail's.
    @inlinable
    static func sum<T: TesselScalar>(_ partials: UnsafePointer<T>, chunks: Int, stride: Int, elements: Range<Int>,
                                     into result: UnsafeMutablePointer<T>) {
        var e = elements.lowerBound
        while e + 16 <= elements.upperBound {
            var total = SIMD16<Double>()
            for chunk in 0..<chunks { total += partials.load16(at: chunk * stride + e).widened }
            result.store(total.narrowed(to: T.self), at: e)
            e += 16
        }
        while e < elements.upperBound {
            var total = 0.0
            for chunk in 0..<chunks { total += Double(partials[chunk * stride + e]) }
            result[e] = T(total)
            e += 1
        }
    }

    /// `result[e] = T(Σ_c p_c[e])` for `e < count` as above, in parallel over blocks of elements.
    static func sum<T: TesselScalar>(_ partials: UnsafePointer<T>, chunks: Int, count: Int,
                                     into result: UnsafeMutablePointer<T>, scheduler: Scheduler) {
        let tiling = Tiling.split(count, targetItemsPerTile: scheduler.tiles.elementsPerTile)
        scheduler.forEachTile(tiling, workPerTile: tiling.tileRows * chunks) { tile in
            sum(partials, chunks: chunks, stride: count, elements: tile.rows, into: result)
        }
    }

    /// Merges per-chunk moments — the mean and the centered sum of squares M2 of each chunk's
    /// values, per column — into the moments of all values, for the columns in `columns`, in
    /// chunk order, with the pairwise update of Chan, Golub and LeVeque (stable: no
    /// E[x²] − E[x]²). For a chunk b of `n_b = valuesInChunk(b)` values (never 0) joining the
    /// `nₐ` values merged so far, with `n = nₐ + n_b` and `δ = mean_b − meanₐ`:
    /// `mean ← meanₐ + δ·n_b/n`, `M2 ← M2ₐ + (M2_b + δ²·nₐ·n_b/n)`, from `mean = M2 = 0`.
    /// Chunk `c`'s means start at `means + c · stride`, its M2s at `m2s + c · stride`.
    @inlinable
    static func mergeMoments(means: UnsafePointer<Double>, m2s: UnsafePointer<Double>, stride: Int, chunks: Int,
                             valuesInChunk: (Int) -> Int, columns: Range<Int>,
                             mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>) {
        for j in columns {
            mean[j] = 0
            m2[j] = 0
        }
        var mergedCount = 0.0
        for chunk in 0..<chunks {
            let values = Double(valuesInChunk(chunk))
            let total = mergedCount + values
            let weight = values / total, cross = mergedCount * weight
            let chunkMeans = means + chunk * stride, chunkM2s = m2s + chunk * stride
            for j in columns {
                let delta = chunkMeans[j] - mean[j]
                mean[j] += delta * weight
                m2[j] += chunkM2s[j] + delta * delta * cross
            }
            mergedCount = total
        }
    }

    /// `mergeMoments` over the chunks of `chunks`, `valuesPerItem` values per item of a chunk
    /// in every column (1 for the rows of a matrix, H·W for the samples of a channel), with
    /// `width` partials per chunk, in parallel over column blocks.
    static func mergeMoments(means: UnsafePointer<Double>, m2s: UnsafePointer<Double>, chunks: ItemChunks,
                             valuesPerItem: Int, width: Int, mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>,
                             scheduler: Scheduler) {
        let chunkCount = chunks.count
        let tiling = columnTiling(chunks: chunkCount, width: width, scheduler: scheduler)
        scheduler.forEachTile(tiling, workPerTile: 4 * tiling.tileRows * max(1, chunkCount)) { tile in
            mergeMoments(means: means, m2s: m2s, stride: width, chunks: chunkCount,
                         valuesInChunk: { chunks.items(of: $0).count * valuesPerItem }, columns: tile.rows, mean: mean, m2: m2)
        }
    }

    /// Column blocks of about `elementsPerTile` partials each.
    private static func columnTiling(chunks: Int, width: Int, scheduler: Scheduler) -> Tiling {
        Tiling.split(width, targetItemsPerTile: max(1, scheduler.tiles.elementsPerTile / max(1, chunks)))
    }
}
