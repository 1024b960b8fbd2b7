// The convolution's weight gradient, `dw = Σₙ dout[n] · cols(x[n])ᵀ`, in two orientations
// that sum every element in the same order, on a `Geometry` that `Convolution.swift` has checked.
extension Convolution {
    /// How `weightGradient` lays out its products; both give the same bits.
    enum WeightGradientOrientation {
        /// `dw = dout · colsᵀ`: filters as rows, filter positions as columns.
        case byFilters
        /// `dwᵀ = cols · doutᵀ`: filter positions as rows, read in place from the padded
        /// image; filters as columns.
        case byPositions

        /// The orientation with fewer padded products (by filters: rows rounded up to `MR`,
        /// columns to what the micro-kernels compute, `GEMM.computedColumns`; by positions:
        /// `PositionPanels.products`) for `g` and `T`: an order-neutral choice.
        static func fewestProducts<T: TesselScalar>(_ g: Geometry, _: T.Type) -> WeightGradientOrientation {
            let byPositions = PositionPanels(filters: g.f, T.self).products(positions: g.filterSize)
            let byFilters = GEMM.roundUp(g.f, to: GEMM.microRows) * GEMM.computedColumns(g.filterSize, T.self)
            return byPositions <= byFilters ? .byPositions : .byFilters
        }
    }

    /// `dw = Σₙ dout[n] · cols(x[n])ᵀ`: each chunk of `imagesPerChunk` images computes its
    /// partial sum (in the element type, image after image; within an image, depth block after
    /// depth block of `GEMM.depthBlocks(pixels)`, each an FMA chain in pixel order); the
    /// partials are added in chunk order in Double. `orientation` (by default the one with
    /// fewer products) changes only the layout of the work, never an element's sum.
    /// With `bias`, also `db[f] = Σ_{n, p} dout[n, f, p]`: `writeBiasPartials` for each image as
    /// the products reach it, so that dout is read from memory once, then the images' partials
    /// added in image order in Double (`ChunkPartials.sum`) and rounded to `T` once.
    static func weightGradient<T: TesselScalar>(_ dout: UnsafePointer<T>, _ x: UnsafePointer<T>, _ g: Geometry,
                                                into dw: UnsafeMutablePointer<T>, bias db: UnsafeMutablePointer<T>? = nil,
                                                orientation: WeightGradientOrientation? = nil, scheduler: Scheduler) throws {
        // The images' partials, then their totals.
        let biasBlock = try db.map { _ in try Allocator.standard.allocate(byteCount: max(1, (g.n + 1) * g.f) * MemoryLayout<Double>.stride) }
        let biasPartials = biasBlock?.baseAddress.bindMemory(to: Double.self, capacity: (g.n + 1) * g.f)
        if let biasPartials, g.filterSize == 0 {
            // No products to ride on (no input channels): the partials alone.
            for image in 0..<g.n { writeBiasPartials(dout + image * g.f * g.pixels, g, into: biasPartials + image * g.f) }
        }
        switch orientation ?? .fewestProducts(g, T.self) {
        case .byFilters: try weightGradientByFilters(dout, x, g, into: dw, biasPartials: biasPartials, scheduler: scheduler)
        case .byPositions: try weightGradientByPositions(dout, x, g, into: dw, biasPartials: biasPartials, scheduler: scheduler)
        }
        if let db, let biasPartials {
            let totals = biasPartials + g.n * g.f
            ChunkPartials.sum(biasPartials, chunks: g.n, stride: g.f, columns: 0..<g.f, into: totals)
            for f in 0..<g.f { db[f] = T(totals[f]) }
        }
        withExtendedLifetime(biasBlock) {}
    }

    /// How the weight gradient by positions cuts `filters` columns: quarter panels of `NR/4`
    /// filters in kernels of `GEMM.quarterRows` positions where the filters fit one
    /// (`GEMM.takesQuarterPanels`), else panels of `NR` filters in kernels of
    /// `GEMM.inPlaceRows` positions. Order-neutral.
    struct PositionPanels {
        /// Whether the panels are quarter panels (`GEMM.inPlaceQuarterKernel`).
        let quarter: Bool
        /// Filter positions per micro-kernel.
        let rows: Int
        /// Filters per packed panel of doutᵀ.
        let width: Int
        /// The columns the micro-kernels compute for all the filters, padding included: whole
        /// quarter panels, or the full and half kernels' (`GEMM.computedColumns`).
        let computedColumns: Int

        init<T: TesselScalar>(filters: Int, _: T.Type) {
            quarter = GEMM.takesQuarterPanels(filters, T.self)
            rows = quarter ? GEMM.quarterRows : GEMM.inPlaceRows
            width = GEMM.microColumns(T.self) / (quarter ? 4 : 1)
            computedColumns = quarter ? width : GEMM.computedColumns(filters, T.self)
        }

        /// The products the micro-kernels compute for `positions` filter positions, padding included.
        func products(positions: Int) -> Int { GEMM.roundUp(positions, to: rows) * computedColumns }
    }

    /// `dwᵀ = Σₙ cols(x[n]) · dout[n]ᵀ`: the A micro-panels (`PositionPanels.rows` filter
    /// positions across the pixels of a depth block) are read in place from the padded image
    /// (`GEMM.InPlaceAPanel`), so cols is never gathered; doutᵀ is packed into panels of
    /// `PositionPanels.width` filters per depth block.
    /// The chunk partials are `K × F`; their Double sum is transposed into dw.
    static func weightGradientByPositions<T: TesselScalar>(_ dout: UnsafePointer<T>, _ x: UnsafePointer<T>, _ g: Geometry,
                                                           into dw: UnsafeMutablePointer<T>, biasPartials: UnsafeMutablePointer<Double>?,
                                                         scheduler: Scheduler) throws {
        let layout = PositionPanels(filters: g.f, T.self)
        let quarter = layout.quarter, rows = layout.rows, nr = layout.width
        let positions = g.filterSize, pixels = g.pixels, count = g.f * positions
        guard count > 0 else { return }
        let chunks = Tiling.split(g.n, targetItemsPerTile: imagesPerChunk(batch: g.n))
        // The chunk partials and their sum, then the position and window offsets (`Im2col`).
        let partialBytes = GEMM.roundUp((chunks.count + 1) * count * MemoryLayout<T>.stride, to: 64)
        let partialBlock = try Allocator.standard.allocate(byteCount: partialBytes + (positions + pixels) * MemoryLayout<Int>.stride)
        let partials = partialBlock.baseAddress.bindMemory(to: T.self, capacity: (chunks.count + 1) * count)
        let positionOffsets = (partialBlock.baseAddress + partialBytes).bindMemory(to: Int.self, capacity: positions + pixels)
        let windowOffsets = UnsafePointer(positionOffsets + positions)
        Im2col.writePositionOffsets(g, into: positionOffsets)
        Im2col.writeWindowOffsets(g, into: positionOffsets + positions)
        let blocks = GEMM.depthBlocks(pixels)
        let maxBlock = blocks.map(\.count).max() ?? 0
        let size = MemoryLayout<T>.stride
        let panels = (g.f + nr - 1) / nr
        let kernelsPerBlock = panels * ((positions + rows - 1) / rows)
        let bCount = panels * nr * maxBlock, bBytes = GEMM.roundUp(bCount * size, to: 64)
        let paddedCount = g.c * g.paddedPlane, paddedBytes = GEMM.roundUp(paddedCount * size, to: 64)
        try scheduler.forEachTile(chunks, workPerTile: Scheduler.productWork(multiplyAdds: chunks.tileRows * count * pixels),
                                  scratchBytesPerWorker: bBytes + paddedBytes + GEMM.edgeBytes(T.self)) { tile, scratch in
            let bPanels = scratch.bindMemory(to: T.self, capacity: bCount)
            let padded = (scratch + bBytes).bindMemory(to: T.self, capacity: paddedCount)
            let edge = (scratch + bBytes + paddedBytes).bindMemory(to: T.self, capacity: GEMM.edgeBytes(T.self) / size)
            let partial = partials + tile.index * count
            for image in tile.rows {
                let imageDout = dout + image * g.f * pixels
                if let biasPartials { writeBiasPartials(imageDout, g, into: biasPartials + image * g.f) }
                Im2col.pad(x + image * g.imageSize, g, channels: g.c, into: padded)
                // The next image's dout, read while this image's products run, a share before
                // each micro-kernel, so that its bias partials and its packing read from the
                // cache: the hardware prefetchers barely start on it. This image's dout was
                // just read whole, by its bias partials (or, without them, by the previous
                // image's prefetch).
                var ahead = RowRunsPrefetch(base: UnsafeRawPointer(imageDout + g.f * pixels),
                                            rows: image + 1 < tile.rows.upperBound ? g.f : 0,
                                            rowStride: pixels * size, bytesPerRun: pixels * size)
                for block in blocks {
                    GEMM.packPanels(.transposed(imageDout, leadingDimension: pixels),
                                    depth: block.start..<(block.start + block.count), extent: 0..<g.f,
                                    panelCount: panels, width: nr, into: bPanels)
                    let linesPerKernel = ahead.linesPerShare(over: kernelsPerBlock * (blocks.count - block.index))
                    let add = image > tile.rows.lowerBound || block.index > 0
                    for q in 0..<panels {
                        let panel = UnsafePointer(bPanels + q * nr * block.count), b = GEMM.PackedBPanel<T, 1>(pointer: panel)
                        let width = min(nr, g.f - q * nr)
                        var i = 0
                        while i < positions {
                            // Rows past the last position repeat it; the edge store drops them.
                            func row(_ r: Int) -> Int { positionOffsets[min(i + r, positions - 1)] }
                            let a = GEMM.InPlaceAPanel(base: UnsafePointer(padded), stepOffsets: windowOffsets + block.start,
                                                       rowOffsets: (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)))
                            let height = min(rows, positions - i)
                            let target = partial + i * g.f + q * nr
                            ahead.issue(linesPerKernel)
                            if quarter {
                                let full = height == rows && width == nr
                                GEMM.inPlaceQuarterKernel(depth: block.count, a: a, b: panel,
                                                          c: full ? target : edge, ldc: full ? g.f : GEMM.microColumns(T.self),
                                                          accumulate: full && add)
                                if !full { GEMM.storeEdge(edge, rows: height, columns: width, to: target, ldc: g.f, accumulate: add) }
                            } else if height == rows && width == nr {
                                GEMM.inPlaceKernel(depth: block.count, a: a, b: b, c: target, ldc: g.f, accumulate: add, half: false)
                            } else {
                                GEMM.inPlaceKernel(depth: block.count, a: a, b: b, c: edge, ldc: nr, accumulate: false,
                                                   half: 2 * width <= nr)
                                GEMM.storeEdge(edge, rows: height, columns: width, to: target, ldc: g.f, accumulate: add)
                            }
                            i += rows
                        }
                    }
                }
            }
        }
        // The Double sum of the partials, then its transpose.
        let transposed = partials + chunks.count * count
        ChunkPartials.sum(partials, chunks: chunks.count, count: count, into: transposed, scheduler: scheduler)
        for f in 0..<g.f {
            for k in 0..<positions { dw[f * positions + k] = transposed[k * g.f + f] }
        }
        withExtendedLifetime(partialBlock) {}
    }

    /// `dw = Σₙ dout[n] · cols(x[n])ᵀ` with the filters as rows: packed panels of dout's rows
    /// and of cols' columns (filter positions), the latter gathered by 8 × 8 transposes.
    static func weightGradientByFilters<T: TesselScalar>(_ dout: UnsafePointer<T>, _ x: UnsafePointer<T>, _ g: Geometry,
                                                         into dw: UnsafeMutablePointer<T>, biasPartials: UnsafeMutablePointer<Double>?,
                                                         scheduler: Scheduler) throws {
        let mr = GEMM.microRows, nr = GEMM.microColumns(T.self)
        let depth = g.filterSize, pixels = g.pixels, count = g.f * depth
        guard count > 0 else { return }
        let chunks = Tiling.split(g.n, targetItemsPerTile: imagesPerChunk(batch: g.n))
        let partialBlock = try Allocator.standard.allocate(byteCount: max(1, chunks.count) * count * MemoryLayout<T>.stride)
        let partials = partialBlock.baseAddress.bindMemory(to: T.self, capacity: chunks.count * count)
        let blocks = GEMM.depthBlocks(pixels)
        let maxBlock = blocks.map(\.count).max() ?? 0
        let size = MemoryLayout<T>.stride
        let bCount = maxBlock * nr
        let aCount = GEMM.roundUp(g.f, to: mr) * maxBlock
        let bBytes = bCount * size, aBytes = GEMM.roundUp(aCount * size, to: 64)
        let paddedCount = g.c * g.paddedPlane, paddedBytes = GEMM.roundUp(paddedCount * size, to: 64)
        try scheduler.forEachTile(chunks, workPerTile: Scheduler.productWork(multiplyAdds: chunks.tileRows * count * pixels),
                              scratchBytesPerWorker: bBytes + aBytes + paddedBytes + GEMM.edgeBytes(T.self)) { tile, scratch in
            let bPanel = scratch.bindMemory(to: T.self, capacity: bCount)
            let aPanels = (scratch + bBytes).bindMemory(to: T.self, capacity: aCount)
            let padded = (scratch + bBytes + aBytes).bindMemory(to: T.self, capacity: paddedCount)
            let edge = (scratch + bBytes + aBytes + paddedBytes).bindMemory(to: T.self, capacity: mr * nr)
            let partial = partials + tile.index * count
            for image in tile.rows {
                let imageDout = dout + image * g.f * pixels
                if let biasPartials { writeBiasPartials(imageDout, g, into: biasPartials + image * g.f) }
                Im2col.pad(x + image * g.imageSize, g, channels: g.c, into: padded)
                GEMM.computeTile(rows: g.f, columns: depth, blocks: blocks, c: partial, ldc: depth,
                                 accumulate: image > tile.rows.lowerBound, edge: edge,
                                 aBlock: { block in
                                     GEMM.packPanels(.transposed(imageDout, leadingDimension: pixels),
                                                     depth: block.start..<(block.start + block.count), extent: 0..<g.f,
                                                     panelCount: (g.f + mr - 1) / mr, width: mr, into: aPanels)
                                     return UnsafePointer(aPanels)
                                 },
                                 bPanel: { block, q in
                                     Im2col.packColumnsTransposed(padded, g, depth: block.start..<(block.start + block.count),
                                                                  positions: (q * nr)..<depth, width: nr, into: bPanel)
                                     return .packed(bPanel)
                                 })
            }
        }
        ChunkPartials.sum(partials, chunks: chunks.count, count: count, into: dw, scheduler: scheduler)
        withExtendedLifetime(partialBlock) {}
    }
}
