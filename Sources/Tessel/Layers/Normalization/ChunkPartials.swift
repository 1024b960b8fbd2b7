/// Combining per-chunk partial results in chunk order. Partials are stored chunk-major,
/// `partial[chunk · width + column]`, one `Double` per (chunk, column); columns are
/// independent, so the combination runs in parallel over column blocks and every column is
/// folded in the same fixed order whatever the workers or tiles.
enum ChunkPartials {
    /// `result[j] = ((0 + p₀[j]) + p₁[j]) + …` for `j < width`, over `chunks` chunks.
    static func sum(_ partials: UnsafePointer<Double>, chunks: Int, width: Int,
                    into result: UnsafeMutablePointer<Double>, scheduler: Scheduler) {
        let tiling = columnTiling(chunks: chunks, width: width, scheduler: scheduler)
        scheduler.forEachTile(tiling, workPerTile: tiling.tileRows * max(1, chunks)) { tile in
            let columns = tile.rows
            for j in columns { result[j] = 0 }
            for chunk in 0..<chunks {
                let partial = partials + chunk * width
                for j in columns { result[j] += partial[j] }
            }
        }
    }

    /// Merges per-chunk moments — the mean and the centered sum of squares M2 of each chunk's
    /// values, per column, `valuesPerItem` values per item of the chunk in every column (1 for
    /// the rows of a matrix, H·W for the samples of a channel) — into the moments of all
    /// values, in chunk order, with the pairwise
    /// update of Chan, Golub and LeVeque (stable: no E[x²] − E[x]²). For a chunk b joining
    /// the `nₐ` values merged so far, with `n = nₐ + n_b` and `δ = mean_b − meanₐ`:
    /// `mean ← meanₐ + δ·n_b/n`, `M2 ← M2ₐ + M2_b + δ²·nₐ·n_b/n`.
    static func mergeMoments(means: UnsafePointer<Double>, m2s: UnsafePointer<Double>, chunks: ItemChunks,
                             valuesPerItem: Int, width: Int, mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>,
                             scheduler: Scheduler) {
        let chunkCount = chunks.count
        let tiling = columnTiling(chunks: chunkCount, width: width, scheduler: scheduler)
        scheduler.forEachTile(tiling, workPerTile: 4 * tiling.tileRows * max(1, chunkCount)) { tile in
            let columns = tile.rows
            for j in columns {
                mean[j] = 0
                m2[j] = 0
            }
            var mergedCount = 0.0
            for chunk in 0..<chunkCount {
                let valuesInChunk = Double(chunks.items(of: chunk).count * valuesPerItem)
                let total = mergedCount + valuesInChunk
                let weight = valuesInChunk / total, cross = mergedCount * weight
                let chunkMeans = means + chunk * width, chunkM2s = m2s + chunk * width
                for j in columns {
                    let delta = chunkMeans[j] - mean[j]
                    mean[j] += delta * weight
                    m2[j] += chunkM2s[j] + delta * delta * cross
                }
                mergedCount = total
            }
        }
    }

    /// Column blocks of about `elementsPerTile` partials each.
    private static func columnTiling(chunks: Int, width: Int, scheduler: Scheduler) -> Tiling {
        Tiling.split(width, targetItemsPerTile: max(1, scheduler.tiles.elementsPerTile / max(1, chunks)))
    }
}
