import CCacheHints

/// A blocked, packed, parallel matrix product `C = A · B` in the style of BLIS (Van Zee and
/// van de Geijn), the engine of the affine and convolution layers.
///
/// - **Micro-kernel** (`GEMM+MicroKernel.swift`): an `MR × NR` block of C held in vector
///   registers — with AVX-512 8 × 32 Float (`SIMD16<Float>`) or 8 × 16 Double, with AVX2
///   6 × 16 Float (`SIMD8<Float>`) or 6 × 8 Double — updated by one broadcast of A and one
///   fused multiply-add per vector of a row for every step of the depth. A tile's last panel
///   with at most `NR/2` columns of the product runs the half kernel (`MR × NR/2`) instead.
/// - **Packing** (`GEMM+Packing.swift`): A is copied into panels of `MR` rows and B into panels
///   of `NR` columns, each panel contiguous along the depth, zero-padded at the edges, so the
///   micro-kernel reads both operands sequentially.
/// - **Blocking**: the depth is cut into blocks of at most `maxDepthBlock` (KC: a B micro-panel
///   stays in L1 while the A micro-panels stream past it); an output tile of
///   `TileSettings.gemmRowBlock × gemmColumnBlock` (MC × NC, rounded up to whole micro-kernels)
///   is the unit of parallel work and keeps its A block in L2.
///
/// **Accumulation and determinism.** Every element of C is computed the same way, whatever the
/// tiling or the number of workers: within a depth block the products are accumulated in the
/// element type (Float32 FMAs for Float, Float64 FMAs for Double) in increasing depth order,
/// and the block sums are added to C block after block, in increasing depth order. The depth
/// blocks depend only on the depth (`depthBlocks(_:)`), never on tile settings or workers, so
/// the result is the same bits for every schedule. Float32 products are thus not accumulated in
/// Double here: a blocked Float32 sum has an error bound of about `(KC + depth / KC) · ε`
/// rather than `depth · ε`, which is the accepted trade for FMA throughput.
enum GEMM {
    /// Rows of the micro-kernel (MR): 8 with AVX-512 (16 accumulating zmm of 32), 6 with AVX2
    /// (12 of 16 ymm). An order-neutral choice: every element of C is the same sum either way.
    @inlinable static var microRows: Int {
        #if TESSEL_AVX512
        return 8
        #else
        return 6
        #endif
    }

    /// Columns of the micro-kernel (NR): `vectorsPerRow` vectors of `vectorBytes`.
    @inlinable
    static func microColumns<T: TesselScalar>(_: T.Type) -> Int { vectorsPerRow * vectorBytes / MemoryLayout<T>.stride }

    /// The most depth steps per block (KC). A B micro-panel is then at most 256 × NR elements
    /// (16 KiB with AVX2, 32 KiB with AVX-512) and an A micro-panel 6 or 8 KiB (Float).
    /// Order-fixing: the same on every build and machine (not derived from cache sizes), since
    /// the depth blocks fix the accumulation order of every element of C.
    @inlinable static var maxDepthBlock: Int { 256 }

    /// A block of the depth (reduced) dimension: `count` steps from `start`; `index` orders it.
    struct DepthBlock {
        let index: Int
        let start: Int
        let count: Int
    }

    /// The depth blocks of a product with depth `depth`: as few as possible of at most
    /// `maxDepthBlock` steps, of near-equal sizes (the first `depth % count` one step longer).
    /// Depends only on `depth`, which is what makes the accumulation order fixed.
    static func depthBlocks(_ depth: Int) -> [DepthBlock] {
        guard depth > 0 else { return [] }
        let count = (depth + maxDepthBlock - 1) / maxDepthBlock
        let base = depth / count, longer = depth % count
        return (0..<count).map { b in
            DepthBlock(index: b, start: b * base + min(b, longer), count: base + (b < longer ? 1 : 0))
        }
    }

    /// Rounds `value` up to a multiple of `multiple` (at least one multiple).
    @inlinable
    static func roundUp(_ value: Int, to multiple: Int) -> Int {
        max(1, (value + multiple - 1) / multiple) * multiple
    }

    /// The columns the micro-kernels compute for a product of `n` columns in one tile: whole
    /// panels of `NR`, the last one only `NR/2` wide when at most `NR/2` of its columns are the
    /// product's (`microKernel`'s `half`).
    static func computedColumns<T: TesselScalar>(_ n: Int, _: T.Type) -> Int {
        let nr = microColumns(T.self), tail = n % nr
        return n - tail + (tail == 0 ? 0 : 2 * tail <= nr ? nr / 2 : nr)
    }

    /// A matrix operand read in place: element `(i, j)` is `base[i * rowStride + j * columnStride]`.
    /// A transposed operand is the same memory with the two strides swapped.
    struct Operand<T: TesselScalar> {
        let base: UnsafePointer<T>
        let rowStride: Int
        let columnStride: Int

        /// The operand `(i, j) ↦ base[i * leadingDimension + j]` of a row-major matrix.
        static func rowMajor(_ base: UnsafePointer<T>, leadingDimension: Int) -> Operand {
            Operand(base: base, rowStride: leadingDimension, columnStride: 1)
        }

        /// The transpose of the row-major matrix at `base`: `(i, j) ↦ base[j * leadingDimension + i]`.
        static func transposed(_ base: UnsafePointer<T>, leadingDimension: Int) -> Operand {
            Operand(base: base, rowStride: 1, columnStride: leadingDimension)
        }
    }

    /// Scratch bytes a worker needs for the edge buffer of one micro-kernel.
    static func edgeBytes<T: TesselScalar>(_: T.Type) -> Int {
        microRows * microColumns(T.self) * MemoryLayout<T>.stride
    }

    /// The output tiling of an `m × n` product for `workers` workers: as many tiles along each
    /// dimension as the scheduler's GEMM row and column blocks make, of even sizes rounded up
    /// to whole micro-kernels (so that tiles start on packed-panel boundaries), rather than
    /// full blocks and a small last one; and where that makes fewer than eight tiles a
    /// worker and their count is not a multiple of `workers`, rows cut into a multiple of
    /// `workers` tiles. 512 × 100 in blocks of 96 rows: six tiles of 88 and 72 rows, not five of 96
    /// and one of 32; 256 × 100: four of 64, not 96, 96 and 64, which left one of two workers
    /// idle for a third of the product. Order-neutral: a tile's elements are the same sums.
    static func outputTiling<T: TesselScalar>(rows m: Int, columns n: Int, settings: TileSettings, workers: Int,
                                              _: T.Type) -> Tiling {
        let rowBlock = roundUp(settings.gemmRowBlock, to: microRows)
        let columnBlock = roundUp(settings.gemmColumnBlock, to: microColumns(T.self))
        let columnTiles = max(1, (n + columnBlock - 1) / columnBlock)
        var rowTiles = max(1, (m + rowBlock - 1) / rowBlock)
        if rowTiles * columnTiles < 8 * workers && (rowTiles * columnTiles) % workers != 0 {
            rowTiles = roundUp(rowTiles, to: workers)
        }
        return Tiling(rows: m, columns: n,
                      tileRows: roundUp((m + rowTiles - 1) / rowTiles, to: microRows),
                      tileColumns: roundUp((n + columnTiles - 1) / columnTiles, to: microColumns(T.self)))
    }

    /// `C = A · B (+ columnBias)`, with `A` of `m × depth`, `B` of `depth × n` and `C` row-major
    /// with leading dimension `ldc`; every element of `C[0..<m, 0..<n]` is written.
    ///
    /// B, which every row of tiles reads, is packed once (in parallel) into a whole-matrix panel
    /// buffer; then the output tiles run in parallel, each packing the A panels of its rows
    /// for one depth block at a time into its worker's scratch (an L2-sized block, hot when
    /// the micro-kernels read it). `columnBias`, when given, holds `n` values added to every
    /// row after the product.
    static func multiply<T: TesselScalar>(_ a: Operand<T>, _ b: Operand<T>, into c: UnsafeMutablePointer<T>, ldc: Int,
                                          m: Int, n: Int, depth: Int, columnBias: UnsafePointer<T>? = nil,
                                          scheduler: Scheduler) throws {
        guard m > 0, n > 0 else { return }
        let mr = microRows, nr = microColumns(T.self)
        let blocks = depthBlocks(depth)
        let maxBlock = blocks.map(\.count).max() ?? 0
        let paddedColumns = roundUp(n, to: nr)
        let packedB = try Allocator.standard.allocate(byteCount: paddedColumns * depth * MemoryLayout<T>.stride)
        let bPanels = packedB.baseAddress.bindMemory(to: T.self, capacity: paddedColumns * depth)
        packWholeMatrix(b, extent: n, width: nr, blocks: blocks, into: bPanels, scheduler: scheduler)
        // Aᵀ is packed like B: panels across the rows.
        let aTransposed = Operand(base: a.base, rowStride: a.columnStride, columnStride: a.rowStride)

        let tiling = outputTiling(rows: m, columns: n, settings: scheduler.tiles, workers: scheduler.workers, T.self)
        let aCount = roundUp(tiling.tileRows, to: mr) * maxBlock
        let aBytes = roundUp(aCount * MemoryLayout<T>.stride, to: 64)
        try scheduler.forEachTile(tiling, workPerTile: Scheduler.productWork(multiplyAdds: tiling.tileRows * tiling.tileColumns * max(1, depth)),
                              scratchBytesPerWorker: aBytes + edgeBytes(T.self)) { tile, scratch in
            let aPanels = scratch.bindMemory(to: T.self, capacity: aCount)
            let edge = (scratch + aBytes).bindMemory(to: T.self, capacity: mr * nr)
            let r0 = tile.rows.lowerBound, c0 = tile.columns.lowerBound
            let tileC = c + r0 * ldc + c0
            computeTile(rows: tile.rows.count, columns: tile.columns.count, blocks: blocks,
                        c: tileC, ldc: ldc, accumulate: false, edge: edge, panelsAreContiguous: true,
                        aBlock: { block in
                            packPanels(aTransposed, depth: block.start..<(block.start + block.count), extent: tile.rows,
                                       panelCount: (tile.rows.count + mr - 1) / mr, width: mr, into: aPanels)
                            return UnsafePointer(aPanels)
                        },
                        bPanel: { block, q in .packed(bPanels + block.start * paddedColumns + (c0 + q * nr) * block.count) })
            if let columnBias {
                addColumnBias(columnBias + c0, to: tileC, ldc: ldc, rows: tile.rows.count, columns: tile.columns.count)
            }
        }
        withExtendedLifetime(packedB) {}
    }

    /// Packs a whole `depth × extent` operand `s` (element `(k, e)`) into panels of `width`
    /// along the extent, depth block after depth block: block `b` starts at
    /// `b.start × paddedExtent`, and its panel `q` at `q × width × b.count` past that.
    static func packWholeMatrix<T: TesselScalar>(_ s: Operand<T>, extent: Int, width: Int, blocks: [DepthBlock],
                                                 into panels: UnsafeMutablePointer<T>, scheduler: Scheduler) {
        let paddedExtent = roundUp(extent, to: width)
        let panelCount = paddedExtent / width
        // About 64 KiB of Float per packing tile: enough to amortize a dispatch.
        let panelsPerTile = max(1, (1 << 14) / (width * maxDepthBlock))
        let tiling = Tiling(rows: blocks.count, columns: panelCount, tileRows: 1, tileColumns: panelsPerTile)
        scheduler.forEachTile(tiling, workPerTile: panelsPerTile * width * maxDepthBlock) { tile in
            let block = blocks[tile.rows.lowerBound]
            let firstPanel = tile.columns.lowerBound
            packPanels(s, depth: block.start..<(block.start + block.count),
                       extent: (firstPanel * width)..<min(tile.columns.upperBound * width, extent),
                       panelCount: tile.columns.count, width: width,
                       into: panels + block.start * paddedExtent + firstPanel * width * block.count)
        }
    }

    /// Computes one output tile `C[0..<rows, 0..<columns]` (at `c`, leading dimension `ldc`)
    /// from packed panels: `aBlock(b)` gives the A panels of the tile's rows for depth block
    /// `b`; `bPanel(b, q)` the B micro-panel of the tile's columns `q·NR ..< (q+1)·NR` for that
    /// block, asked for once per block and panel, in order, just before the micro-kernels
    /// that read it (so a tile may pack it then, into a buffer that stays in L1, or name
    /// where it lies unpacked: `MicroPanel`). With
    /// `accumulate` the product is added to C; otherwise C is overwritten (with zeros when the
    /// depth is 0). `edge` is scratch for `MR × NR` elements.
    ///
    /// Prefetching, spread over each full micro-kernel's steps (`PrefetchLines`): the C rows of
    /// the next micro-tile, for writing; with `panelsAreContiguous` (the block's B panels lie
    /// one after the other, as `multiply` packs them) also a slice of the next B micro-panel
    /// per micro-tile, while the current one is in use (docs/PERFORMANCE.md has what it
    /// gained). Prefetches never change results.
    @inline(__always)
    static func computeTile<T: TesselScalar>(rows: Int, columns: Int, blocks: [DepthBlock],
                                             c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool,
                                             edge: UnsafeMutablePointer<T>, panelsAreContiguous: Bool = false,
                                             aBlock: (DepthBlock) -> UnsafePointer<T>,
                                             bPanel: (DepthBlock, Int) -> MicroPanel<T>) {
        let mr = microRows, nr = microColumns(T.self)
        if blocks.isEmpty {
            if !accumulate {
                for i in 0..<rows { (c + i * ldc).update(repeating: 0, count: columns) }
            }
            return
        }
        for block in blocks {
            let a = aBlock(block)
            let add = accumulate || block.index > 0
            let kc = block.count
            let microTiles = (rows + mr - 1) / mr
            let panelLines = (nr * kc * MemoryLayout<T>.stride + 63) / 64
            let linesPerMicroTile = (panelLines + microTiles - 1) / microTiles
            var j = 0
            while j < columns {
                let panelB = bPanel(block, j / nr)
                let width = min(nr, columns - j)
                // The next packed panel follows this one when the panels are contiguous.
                var nextB = UnsafeRawPointer(c), line = panelLines
                if panelsAreContiguous, j + nr < columns, case .packed(let packed) = panelB {
                    nextB = UnsafeRawPointer(packed + nr * kc)
                    line = 0
                }
                var i = 0
                while i < rows {
                    let panelA = a + i * kc
                    let height = min(mr, rows - i)
                    let target = c + i * ldc + j
                    if height == mr && width == nr {
                        let lines = min(linesPerMicroTile, panelLines - line)
                        let nextC = UnsafeRawPointer(i + 2 * mr <= rows ? target + mr * ldc : c + j + nr)
                        let prefetch = PrefetchLines(rows: mr, at: nextC, rowStride: ldc * MemoryLayout<T>.stride,
                                                     rowBytes: nr * MemoryLayout<T>.stride,
                                                     lines: lines, at: nextB + line * 64)
                        line += lines
                        microKernel(depth: kc, a: panelA, panel: panelB, c: target, ldc: ldc, accumulate: add, prefetch: prefetch)
                    } else {
                        microKernel(depth: kc, a: panelA, panel: panelB, c: edge, ldc: nr, accumulate: false, half: 2 * width <= nr)
                        storeEdge(edge, rows: height, columns: width, to: target, ldc: ldc, accumulate: add)
                    }
                    i += mr
                }
                j += nr
            }
        }
    }

    /// Writes (or with `accumulate` adds) the `rows × columns` corner of a micro-kernel's
    /// result computed into `edge` (leading dimension `NR`) to `c`: the edge of a tile, where a
    /// full micro-kernel would write past the output.
    @inline(__always)
    static func storeEdge<T: TesselScalar>(_ edge: UnsafePointer<T>, rows: Int, columns: Int,
                                           to c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool) {
        let nr = microColumns(T.self)
        for r in 0..<rows {
            let source = edge + r * nr, destination = c + r * ldc
            if accumulate {
                for col in 0..<columns { destination[col] += source[col] }
            } else {
                for col in 0..<columns { destination[col] = source[col] }
            }
        }
    }

    /// `C[i, j] += bias[j]` over a `rows × columns` block.
    @inline(__always)
    static func addColumnBias<T: TesselScalar>(_ bias: UnsafePointer<T>, to c: UnsafeMutablePointer<T>, ldc: Int,
                                               rows: Int, columns: Int) {
        for i in 0..<rows {
            let row = c + i * ldc
            var j = 0
            while j + 16 <= columns {
                row.store(row.load16(at: j) + bias.load16(at: j), at: j)
                j += 16
            }
            while j < columns {
                row[j] += bias[j]
                j += 1
            }
        }
    }

    /// `C[i, j] += bias[i]` over a `rows × columns` block.
    @inline(__always)
    static func addRowBias<T: TesselScalar>(_ bias: UnsafePointer<T>, to c: UnsafeMutablePointer<T>, ldc: Int,
                                            rows: Int, columns: Int) {
        for i in 0..<rows {
            let row = c + i * ldc, value = bias[i]
            let splat = SIMD16<T>(repeating: value)
            var j = 0
            while j + 16 <= columns {
                row.store(row.load16(at: j) + splat, at: j)
                j += 16
            }
            while j < columns {
                row[j] += value
                j += 1
            }
        }
    }
}
