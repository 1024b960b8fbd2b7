// Convolution's backward kernels: dx and db (dw: `Convolution+WeightGradient.swift`) as GEMMs
// over im2col panels and deterministic sums, on a `Geometry` that `Convolution.swift` has checked.
extension Convolution {
    /// `dx[n, channels] = col2im(Wᵀ[rows of channels] · dout[n])`, one tile per image and
    /// block of channels (about two GEMM row blocks of filter positions: each tile packs
    /// `dout[n]` again, so tiles are not cut finer), the pixels in blocks of `pixelBlock`. A
    /// tile packs its rows of Wᵀ once, for every depth block. (Reading the B micro-panels in
    /// place from `dout[n]` was not faster: their depth steps lie whole planes apart, in few
    /// L1 sets.)
    static func inputGradient<T: TesselScalar>(_ dout: UnsafePointer<T>, _ w: UnsafePointer<T>, _ g: Geometry,
                                               into dx: UnsafeMutablePointer<T>, scheduler: Scheduler) throws {
        guard g.n > 0, g.c > 0, g.h * g.w > 0 else { return }
        let mr = GEMM.microRows, nr = GEMM.microColumns(T.self)
        let window = g.hh * g.ww, depth = g.filterSize, pixels = g.pixels
        // Channels per tile: about two row blocks, in steps that make whole micro-panels
        // (channels · window a multiple of MR) where the tile is not the last.
        var common = mr
        while window % common != 0 || mr % common != 0 { common -= 1 }
        let channelStep = mr / common
        let tiling = Tiling(rows: g.n, columns: g.c, tileRows: 1,
                            tileColumns: GEMM.roundUp((2 * scheduler.tiles.gemmRowBlock + window - 1) / window, to: channelStep))
        let rowsPerTile = tiling.tileColumns * window
        let blocks = GEMM.depthBlocks(g.f)
        let maxBlock = blocks.map(\.count).max() ?? 0
        let size = MemoryLayout<T>.stride
        let columnsPerBlock = GEMM.roundUp(pixelBlock, to: nr)
        let dcolsCount = rowsPerTile * columnsPerBlock
        let aCount = GEMM.roundUp(rowsPerTile, to: mr) * g.f
        let bCount = maxBlock * nr
        // dcols, then the B panel and the A panels; each part a multiple of 64 bytes so B stays aligned.
        let dcolsBytes = GEMM.roundUp(dcolsCount * size, to: 64), bBytes = bCount * size
        let aBytes = GEMM.roundUp(aCount * size, to: 64)
        let paddedCount = tiling.tileColumns * g.paddedPlane
        let paddedBytes = GEMM.roundUp(paddedCount * size, to: 64)
        try scheduler.forEachTile(tiling, workPerTile: rowsPerTile * g.f * pixels,
                              scratchBytesPerWorker: dcolsBytes + bBytes + aBytes + paddedBytes + GEMM.edgeBytes(T.self)) { tile, scratch in
            let dcols = scratch.bindMemory(to: T.self, capacity: dcolsCount)
            let bPanel = (scratch + dcolsBytes).bindMemory(to: T.self, capacity: bCount)
            let aPanels = (scratch + dcolsBytes + bBytes).bindMemory(to: T.self, capacity: aCount)
            let padded = (scratch + dcolsBytes + bBytes + aBytes).bindMemory(to: T.self, capacity: paddedCount)
            let edge = (scratch + dcolsBytes + bBytes + aBytes + paddedBytes).bindMemory(to: T.self, capacity: mr * nr)
            let image = tile.rows.lowerBound, channels = tile.columns
            let rows = channels.count * window, firstRow = channels.lowerBound * window
            padded.update(repeating: 0, count: channels.count * g.paddedPlane)
            let imageDout = dout + image * g.f * pixels
            // A = Wᵀ restricted to the tile's rows, packed from W read row-major, block after block.
            let rowPanels = (rows + mr - 1) / mr
            for depthBlock in blocks {
                GEMM.packPanels(.rowMajor(w, leadingDimension: depth), depth: depthBlock.start..<(depthBlock.start + depthBlock.count),
                                extent: firstRow..<(firstRow + rows), panelCount: rowPanels, width: mr,
                                into: aPanels + rowPanels * mr * depthBlock.start)
            }
            var start = 0
            while start < pixels {
                let block = start..<min(pixels, start + pixelBlock)
                GEMM.computeTile(rows: rows, columns: block.count, blocks: blocks, c: dcols, ldc: columnsPerBlock,
                                 accumulate: false, edge: edge,
                                 aBlock: { depthBlock in UnsafePointer(aPanels + rowPanels * mr * depthBlock.start) },
                                 bPanel: { depthBlock, q in
                                     GEMM.packPanels(.rowMajor(imageDout, leadingDimension: pixels),
                                                     depth: depthBlock.start..<(depthBlock.start + depthBlock.count),
                                                     extent: (block.lowerBound + q * nr)..<block.upperBound, panelCount: 1,
                                                     width: nr, into: bPanel)
                                     return .packed(bPanel)
                                 })
                Im2col.accumulate(dcols, ldd: columnsPerBlock, into: padded, g, channels: channels.count, pixels: block)
                start += pixelBlock
            }
            Im2col.unpad(padded, g, channels: channels.count, into: dx + image * g.imageSize + channels.lowerBound * g.h * g.w)
        }
    }

    /// `db[f] = Σ_{n, p} dout[n, f, p]` in Double: one partial per image, the sum of its
    /// plane `f` by `SpanSums.sum` (an order fixed by the plane's size), added in image order.
    static func biasGradient<T: TesselScalar>(_ dout: UnsafePointer<T>, _ g: Geometry,
                                              into db: UnsafeMutablePointer<T>, scheduler: Scheduler) {
        scheduler.withScratch(Double.self, count: g.f) { totals in
            let pixels = g.pixels
            scheduler.reduce(Tiling.split(g.n, targetItemsPerTile: 1), width: g.f, workPerChunk: g.f * pixels,
                             into: totals) { chunk, partial in
                let image = dout + chunk.rows.lowerBound * g.f * pixels
                for f in 0..<g.f { partial[f] = SpanSums.sum(image + f * pixels, count: pixels) }
            }
            for f in 0..<g.f { db[f] = T(totals[f]) }
        }
    }
}
