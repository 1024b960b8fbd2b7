import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs the tiles of one kernel call on `DispatchQueue.concurrentPerform`.
///
/// - `workers` threads at most take part (1: the call runs inline on the caller's thread).
///   More workers than tiles are capped at the tile count.
/// - Tiles are handed out dynamically, by index, from a shared counter, so uneven tiles and a
///   busy core even out. Which thread runs a tile is never visible to the kernel: results
///   are keyed by tile index, so they are the same bits for any worker count.
/// - A call whose estimated work is below `grainSize` runs inline, so small shapes are
///   never slower than the serial code.
public struct Scheduler: Sendable {
    /// The most threads a call uses (≥ 1).
    public let workers: Int
    /// Estimated work (about one unit per element touched, or per `multiplyAddsPerWorkUnit`
    /// multiply-adds of a product) below which a call runs inline on the caller's thread.
    public let grainSize: Int
    /// Tile sizes of the non-reduced dimensions; they change the tiling but never the results.
    public let tiles: TileSettings
    /// With a placement (NUMA mode `partitioned` on several nodes), the tiles over each node's
    /// rows run on that node's CPUs in calls of at least `grainSize` work; it never changes the
    /// results. nil: tiles run anywhere, at no cost.
    public let placement: TilePlacement?
    /// Where the layers run by this scheduler allocate their outputs (NUMA placement, huge
    /// pages); `Allocator.standard` unless the runtime settings choose a NUMA mode.
    public let allocator: Allocator
    /// When set, every call records its tile and thread counts there (tests; see `TileCounter`).
    public let tileCounter: TileCounter?

    /// Default grain: 2¹⁸ units, tens of microseconds of simple element work. A parallel call
    /// pays for waking the idle workers, which on the 2-vCPU virtual machines measured costs
    /// more than a call that short saves (docs/PERFORMANCE.md, "Small networks").
    public static let defaultGrainSize = 1 << 18

    /// Multiply-adds of a GEMM-shaped product that count as one unit of work: vector FMAs
    /// retire about this many in the time a simple pass spends on one element.
    public static let multiplyAddsPerWorkUnit = 16

    /// The work units (see `grainSize`) of a product of `multiplyAdds` multiply-adds.
    @inlinable
    public static func productWork(multiplyAdds: Int) -> Int { multiplyAdds / multiplyAddsPerWorkUnit }

    /// A scheduler with `workers` threads (default: `Scheduler.defaultWorkerCount`), an
    /// optional NUMA tile placement (see `TilePlacement(mode:topology:)`) and the allocator
    /// its layers take their outputs from; `tileCounter` records what each call ran.
    /// - Throws: `TesselError.invalidParameter` when `workers` or `grainSize` is below 1 or 0.
    public init(workers: Int? = nil, grainSize: Int = Scheduler.defaultGrainSize,
                tiles: TileSettings = TileSettings(), placement: TilePlacement? = nil,
                allocator: Allocator = .standard, tileCounter: TileCounter? = nil) throws {
        let workers = workers ?? Scheduler.defaultWorkerCount
        guard workers >= 1 else {
            throw TesselError.invalidParameter(component: "Scheduler", parameter: "workers", value: "\(workers)", reason: "must be at least 1")
        }
        guard grainSize >= 0 else {
            throw TesselError.invalidParameter(component: "Scheduler", parameter: "grainSize", value: "\(grainSize)", reason: "must not be negative")
        }
        self.workers = workers
        self.grainSize = grainSize
        self.tiles = tiles
        self.placement = placement
        self.allocator = allocator
        self.tileCounter = tileCounter
    }

    /// Every online CPU, or `TESSEL_THREADS` when that environment variable holds a positive
    /// integer. (A malformed value is ignored here, since `Scheduler.default` cannot throw;
    /// `RuntimeSettings.makeScheduler` and the command line reject it.)
    public static var defaultWorkerCount: Int {
        if let text = getenv("TESSEL_THREADS").map({ String(cString: $0) }), let n = Int(text), n >= 1 {
            return n
        }
        return onlineCPUCount
    }

    /// The number of CPUs online now.
    public static var onlineCPUCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// The scheduler layers use when the caller passes none: default workers, grain and tiles.
    public static let `default`: Scheduler = {
        // Defaults are valid by construction.
        try! Scheduler()
    }()

    /// A one-worker scheduler: everything runs inline, in tile order.
    public static let serial: Scheduler = try! Scheduler(workers: 1)

    /// The number of threads a call over `tileCount` tiles with `totalWork` units would use.
    @inlinable
    public func participants(tileCount: Int, totalWork: Int) -> Int {
        if tileCount <= 1 || totalWork < grainSize { return 1 }
        return min(workers, tileCount)
    }

    /// Calls `body` once for every tile of `tiling`, in parallel.
    ///
    /// `body` runs concurrently for different tiles: it must write only what its tile owns.
    /// - Parameter workPerTile: estimated work of one full tile, compared with `grainSize`.
    @inlinable
    public func forEachTile(_ tiling: Tiling, workPerTile: Int, _ body: (Tile) -> Void) {
        let work = totalWork(tiling, workPerTile: workPerTile)
        run(tiling, threads: participants(tileCount: tiling.count, totalWork: work), totalWork: work,
            workspace: Workspace.none, scratchStride: 0) { tile, _ in body(tile) }
    }

    /// Like `forEachTile(_:workPerTile:_:)`, and hands each call a scratch area of
    /// `scratchBytesPerWorker` bytes (64-byte aligned) that no concurrently running tile
    /// shares. Its contents on entry are unspecified: a tile must not read what it did not
    /// write. The workspace is allocated once per call, never inside a tile.
    /// - Throws: `TesselError.outOfMemory` when the workspace (one scratch area per worker
    ///   taking part) cannot be allocated; then no tile has run.
    public func forEachTile(_ tiling: Tiling, workPerTile: Int, scratchBytesPerWorker: Int,
                            _ body: (Tile, UnsafeMutableRawPointer) -> Void) throws {
        let work = totalWork(tiling, workPerTile: workPerTile)
        let threads = participants(tileCount: tiling.count, totalWork: work)
        let (padded, paddingOverflow) = scratchBytesPerWorker.addingReportingOverflow(Allocator.alignment - 1)
        let stride = padded / Allocator.alignment * Allocator.alignment
        let (bytes, bytesOverflow) = stride.multipliedReportingOverflow(by: threads)
        guard !paddingOverflow, !bytesOverflow else {
            throw TesselError.outOfMemory(bytes: Int.max, policy: Allocator.standard.description,
                                          reason: "\(threads) scratch areas of \(scratchBytesPerWorker) bytes overflow Int")
        }
        let workspace = try Workspace(byteCount: bytes)
        run(tiling, threads: threads, totalWork: work, workspace: workspace, scratchStride: stride, body)
    }

    /// The work of all the tiles of `tiling` (`Int.max` where the product overflows).
    @usableFromInline
    func totalWork(_ tiling: Tiling, workPerTile: Int) -> Int {
        let (total, overflow) = workPerTile.multipliedReportingOverflow(by: tiling.count)
        return overflow ? Int.max : total
    }

    /// Runs every tile of `tiling` on `threads` threads, slot `k` using the scratch area at
    /// `workspace.base + k · scratchStride`.
    @usableFromInline
    func run(_ tiling: Tiling, threads: Int, totalWork: Int, workspace: Workspace, scratchStride: Int,
             _ body: (Tile, UnsafeMutableRawPointer) -> Void) {
        let tileCount = tiling.count
        guard tileCount > 0 else { return }
        tileCounter?.record(tiles: tileCount, threads: threads, workers: workers)
        let scratch = workspace.base
        // A call below the grain is too short for binding threads to pay off.
        if let placement, totalWork >= grainSize {
            forEachPlacedTile(tiling, threads: threads, placement: placement, scratch: scratch, scratchStride: scratchStride, body)
            return
        }
        if threads == 1 {
            for index in 0..<tileCount { body(tiling.tile(index), scratch) }
            return
        }
        let nextTile = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let shared = ConcurrentBody(body)
            DispatchQueue.concurrentPerform(iterations: threads) { slot in
                let slotScratch = workspace.base + slot * scratchStride
                while true {
                    let index = nextTile.wrappingAdd(1, ordering: .relaxed).oldValue
                    if index >= tileCount { break }
                    shared.body(tiling.tile(index), slotScratch)
                }
            }
        }
    }
}

/// A tile body shared by the threads of one `forEachTile` call.
///
/// `@unchecked Sendable` because the compiler cannot see the scheduler's contract: the body is
/// called concurrently only for *different* tiles, and every kernel writes only the outputs and
/// partial-result slots its tile owns (checked by the ThreadSanitizer run in CI).
@usableFromInline
struct ConcurrentBody: @unchecked Sendable {
    let body: (Tile, UnsafeMutableRawPointer) -> Void
    init(_ body: @escaping (Tile, UnsafeMutableRawPointer) -> Void) { self.body = body }
}

/// The scratch memory of one scheduler call, released when the call returns.
///
/// `@unchecked Sendable`: each worker slot uses its own disjoint stride of the block.
@usableFromInline
final class Workspace: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutableRawPointer
    private let block: MemoryBlock?

    /// A call without scratch: one static aligned line, so it allocates nothing.
    @usableFromInline static let none = Workspace()

    private init() {
        block = nil
        base = UnsafeMutableRawPointer.allocate(byteCount: Allocator.alignment, alignment: Allocator.alignment)
    }

    /// `byteCount` bytes, 64-byte aligned, from `Allocator.standard`.
    /// - Throws: `TesselError.outOfMemory` when they cannot be allocated.
    init(byteCount: Int) throws {
        let block = try Allocator.standard.allocate(byteCount: byteCount)
        self.block = block
        base = block.baseAddress
    }
}
