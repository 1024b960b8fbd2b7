import Tessel

#if canImport(Glibc)
import Glibc
#endif

/// A copy of a fixed working set that can be timed again and again: the copy bandwidth
/// against which a memory-bound layer's rate is judged. Half the working set is the source,
/// half the destination (touched once at creation, so no copy faults a page in); `workers`
/// threads copy equal contiguous parts with a vector load/store loop of ordinary stores, as
/// the layers store, so a working set that fits in the caches is copied at cache speed.
/// (`memcpy` switches to non-temporal stores above a size tied to the cache size, which would
/// send such a working set to DRAM.)
///
/// `PeerBenchmark` times one copy after each round of a layer's passes, so that the bandwidth
/// and the layer are measured in the same minutes of a shared machine.
final class CopyProbe {
    /// Bytes read plus bytes written by one copy.
    let bytes: Int
    private let scheduler: Scheduler
    private let source: UnsafeMutableRawPointer
    private let destination: UnsafeMutableRawPointer
    private let parts: Tiling

    /// A probe of `workingSetBytes` (rounded down to whole 64-byte lines, at least one per
    /// half) copied by `workers` threads.
    /// - Throws: `TesselError.invalidParameter` when `workers` is below 1.
    init(workingSetBytes: Int, workers: Int) throws {
        scheduler = try Scheduler(workers: workers, grainSize: 0)
        let half = max(Allocator.alignment, workingSetBytes / 2 / Allocator.alignment * Allocator.alignment)
        bytes = 2 * half
        source = UnsafeMutableRawPointer.allocate(byteCount: half, alignment: Allocator.alignment)
        destination = UnsafeMutableRawPointer.allocate(byteCount: half, alignment: Allocator.alignment)
        memset(source, 1, half)
        memset(destination, 0, half)
        let lines = half / Allocator.alignment
        parts = Tiling(rows: lines, tileRows: (lines + workers - 1) / workers)
    }

    deinit {
        source.deallocate()
        destination.deallocate()
    }

    /// The seconds one copy of the working set takes.
    func seconds() -> Double {
        let (source, destination, parts) = (source, destination, parts)
        return Stopwatch.seconds {
            scheduler.forEachTile(parts, workPerTile: Int.max / parts.count) { tile in
                let from = source.assumingMemoryBound(to: SIMD16<Float>.self)
                let to = destination.assumingMemoryBound(to: SIMD16<Float>.self)
                for index in tile.rows { to[index] = from[index] }
            }
        }
    }

    /// GB/s (bytes read plus bytes written per second) of the median of `samples`, seconds of
    /// copies by `seconds()`.
    func gigabytesPerSecond(_ samples: [Double]) -> Double {
        Double(bytes) / Stopwatch.median(samples) / 1e9
    }
}
