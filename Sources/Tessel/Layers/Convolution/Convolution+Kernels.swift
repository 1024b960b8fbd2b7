// Convolution's backward kernels: dx and db (dw: `Convolution+WeightGradient.swift`) as GEMMs
// over im2col panels and deterministic sums, on a `Geometry` that `Convolution.swift` has checked.
extension Convolution {
    /// `dx[n, channels] = col2im(Wᵀ[rows of channels] · dout[n])`, one tile per image and
    /// block of channels (about two GEMM row blocks of filter positions: each tile packs
    /// `dout[n]` again, so tiles are not cut finer), the pixels in blocks of `pixelBlock`. A
    /// tile packs its rows of Wᵀ once, for every depth block, and a pixel block's B panels
    /// once; then each micro-panel of rows is multiplied across the pixel block into a buffer
    /// of `MR` rows that stays in L1 and is scattered (col2im) at once, rows in order. The
    /// products and the order of the col2im additions are those of one GEMM over all rows
    /// followed by one col2im, so the bits do not depend on this loop order.
    static func inputGradient<T: TesselScalar>(_ dout: UnsafePointer<T>, _ w: UnsafePointer<T>, _ g: Geometry,
                                               into dx: UnsafeMutablePointer<T>, scheduler: Scheduler) throws {
        guard g.n > 0, g.c > 0, g.h * g.w > 0 else { return }
        if try inputGradientByConvolution(dout, w, g, into: dx, scheduler: scheduler) { return }
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
        let size = MemoryLayout<T>.stride
        let columnsPerBlock = GEMM.roundUp(pixelBlock, to: nr)
        let dcolsCount = mr * columnsPerBlock
        let aCount = GEMM.roundUp(rowsPerTile, to: mr) * g.f
        let bCount = g.f * columnsPerBlock
        // dcols, then the B panels and the A panels; each part a multiple of 64 bytes so B stays aligned.
        let dcolsBytes = GEMM.roundUp(dcolsCount * size, to: 64), bBytes = GEMM.roundUp(bCount * size, to: 64)
        let aBytes = GEMM.roundUp(aCount * size, to: 64)
        let paddedCount = tiling.tileColumns * g.paddedPlane
        let paddedBytes = GEMM.roundUp(paddedCount * size, to: 64)
        try scheduler.forEachTile(tiling, workPerTile: Scheduler.productWork(multiplyAdds: rowsPerTile * g.f * pixels),
                              scratchBytesPerWorker: dcolsBytes + bBytes + aBytes + paddedBytes) { tile, scratch in
            let dcols = scratch.bindMemory(to: T.self, capacity: dcolsCount)
            let bPanels = (scratch + dcolsBytes).bindMemory(to: T.self, capacity: bCount)
            let aPanels = (scratch + dcolsBytes + bBytes).bindMemory(to: T.self, capacity: aCount)
            let padded = (scratch + dcolsBytes + bBytes + aBytes).bindMemory(to: T.self, capacity: paddedCount)
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
                let columnPanels = (block.count + nr - 1) / nr
                // B = dout[n] over the block's pixels: panel q of depth block d at (d.start · columnsPerBlock + q · NR · d.count).
                for depthBlock in blocks {
                    GEMM.packPanels(.rowMajor(imageDout, leadingDimension: pixels),
                                    depth: depthBlock.start..<(depthBlock.start + depthBlock.count), extent: block,
                                    panelCount: columnPanels, width: nr, into: bPanels + depthBlock.start * columnsPerBlock)
                }
                // The next block's dout, read while this block's products run, a share before
                // each micro-kernel (as the weight gradient by positions does).
                var ahead = RowRunsPrefetch(base: UnsafeRawPointer(imageDout + block.upperBound),
                                            rows: block.upperBound < pixels ? g.f : 0, rowStride: pixels * size,
                                            bytesPerRun: min(pixelBlock, pixels - block.upperBound) * size)
                let linesPerKernel = ahead.linesPerShare(over: rowPanels * columnPanels * blocks.count)
                for rowPanel in 0..<rowPanels {
                    // MR rows of dcols across the block (rows past the tile's are A's zero padding), then their col2im.
                    for q in 0..<columnPanels {
                        for depthBlock in blocks {
                            let a = aPanels + rowPanels * mr * depthBlock.start + rowPanel * mr * depthBlock.count
                            let b = bPanels + depthBlock.start * columnsPerBlock + q * nr * depthBlock.count
                            ahead.issue(linesPerKernel)
                            GEMM.microKernel(depth: depthBlock.count, a: UnsafePointer(a), panel: .packed(UnsafePointer(b)),
                                             c: dcols + q * nr, ldc: columnsPerBlock, accumulate: depthBlock.index > 0)
                        }
                    }
                    let first = rowPanel * mr
                    Im2col.accumulate(dcols, ldd: columnsPerBlock, into: padded, g, rows: first..<min(rows, first + mr), pixels: block)
                }
                start += pixelBlock
            }
            Im2col.unpad(padded, g, channels: channels.count, into: dx + image * g.imageSize + channels.lowerBound * g.h * g.w)
        }
    }

    /// One image's partials of the bias gradient: `sums[f] = SpanSums.sum(dout[image, f])`,
    /// each plane summed in an order its size fixes. The weight gradient writes them as it
    /// reaches the image, so that its products then read that dout from the cache.
    @inline(__always)
    static func writeBiasPartials<T: TesselScalar>(_ imageDout: UnsafePointer<T>, _ g: Geometry,
                                                   into sums: UnsafeMutablePointer<Double>) {
        for f in 0..<g.f { sums[f] = SpanSums.sum(imageDout + f * g.pixels, count: g.pixels) }
    }
}
