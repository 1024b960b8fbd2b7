import Dispatch
import Synchronization

extension Scheduler {
    /// Runs every tile of `tiling` on the CPUs of the node that owns its rows (see
    /// `TilePlacement`), on `threads` threads (1: inline on the caller's thread).
    ///
    /// Each node's tiles are handed out from a counter of their own. A worker takes the tiles
    /// of its home node first, then helps the other nodes in turn; it is rebound only when it
    /// moves to another node's tiles, and gets its previous affinity back before it leaves,
    /// so neither the caller nor Dispatch's threads keep a binding. Which worker runs a tile
    /// stays invisible to the kernel, so the results are the same bits as without placement.
    func forEachPlacedTile(_ tiling: Tiling, threads: Int, placement: TilePlacement,
                           scratch: UnsafeMutableRawPointer, scratchStride: Int,
                           _ body: (Tile, UnsafeMutableRawPointer) -> Void) {
        let ranges = placement.tileRanges(in: tiling)
        // One counter per node, each on a cache line of its own.
        let spacing = Allocator.alignment / MemoryLayout<Atomic<Int>>.stride
        let counters = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: ranges.count * spacing)
        for (part, range) in ranges.enumerated() { (counters + part * spacing).initialize(to: Atomic(range.lowerBound)) }
        defer {
            for part in ranges.indices { (counters + part * spacing).deinitialize(count: 1) }
            counters.deallocate()
        }
        withoutActuallyEscaping(body) { body in
            let shared = ConcurrentBody(body)
            // The counters and the scratch area outlive the call below; each worker writes only
            // its own scratch stride, and the counters only through atomic operations.
            nonisolated(unsafe) let counters = counters, scratch = scratch
            let work: @Sendable (Int) -> Void = { slot in
                var binding = ThreadBinding()
                let home = placement.homePart(ofWorker: slot, workers: threads)
                for step in 0..<ranges.count {
                    let part = (home + step) % ranges.count
                    let end = ranges[part].upperBound
                    while true {
                        let index = counters[part * spacing].wrappingAdd(1, ordering: .relaxed).oldValue
                        if index >= end { break }
                        binding.bind(part: part, cpus: placement.cpuSets[part])
                        shared.body(tiling.tile(index), scratch + slot * scratchStride)
                    }
                }
                binding.restore()
            }
            if threads == 1 {
                work(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: threads, execute: work)
            }
        }
    }
}
