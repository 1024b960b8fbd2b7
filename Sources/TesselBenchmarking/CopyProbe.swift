import CCacheHints
import Tessel

#if canImport(Glibc)
import Glibc
#endif

/// A copy of a fixed working set that can be timed again and again: the copy bandwidth
/// against which a memory-bound layer's rate is judged. Half the working set is the source,
/// half the destination (touched once at creation, so no copy faults a page in); `workers`
/// threads copy equal contiguous parts with a vector load/store loop, in two forms, as the
/// layers store: ordinary stores, which copy a working set that fits in the caches at cache
/// speed, and streaming stores (the layers stream outputs of `TileSettings.streamingOutputBytes`
/// or more), which do not read the destination's lines before writing them, so a copy from
/// memory moves two bytes per byte copied instead of three. The bound is the faster of the
/// two: which one wins depends on whether the working set stays in a last-level cache that
/// other tenants share (`seconds(_:)`, `secondsOfEachForm()`, `gigabytesPerSecond(_:)`).
///
/// `PeerBenchmark` times one copy of each form after each round of a layer's passes
/// (`secondsOfEachForm`), so that the bandwidth and the layer are measured in the same minutes
/// of a shared machine.
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

    /// How a copy writes the destination.
    enum Stores {
        /// Ordinary vector stores.
        case ordinary
        /// Streaming (non-temporal) vector stores, fenced at the end of each worker's part.
        case streaming
    }

    /// The seconds one copy of the working set with `stores` takes.
    func seconds(_ stores: Stores) -> Double {
        let (source, destination, parts) = (source, destination, parts)
        return Stopwatch.seconds {
            scheduler.forEachTile(parts, workPerTile: Int.max / parts.count) { tile in
                let from = source.assumingMemoryBound(to: SIMD16<Float>.self)
                let to = destination.assumingMemoryBound(to: SIMD16<Float>.self)
                switch stores {
                case .ordinary:
                    for index in tile.rows { to[index] = from[index] }
                case .streaming:
                    // Each part starts on a 64-byte line: the halves are allocated so aligned.
                    for index in tile.rows { tessel_stream_float16(to + index, from[index]) }
                    tessel_store_fence()
                }
            }
        }
    }

    /// The destination's bytes, as the last copy left them.
    var destinationBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: destination, count: bytes / 2) }

    /// The seconds of one copy of each form, the ordinary one first.
    func secondsOfEachForm() -> (ordinary: Double, streaming: Double) {
        let ordinary = seconds(.ordinary)
        return (ordinary, seconds(.streaming))
    }

    /// GB/s (bytes read plus bytes written per second) of the faster of the two forms: of the
    /// median of the ordinary copies' seconds and of the median of the streaming copies', over
    /// `samples` from `secondsOfEachForm()`.
    func gigabytesPerSecond(_ samples: [(ordinary: Double, streaming: Double)]) -> Double {
        Double(bytes) / min(Stopwatch.median(samples.map(\.ordinary)), Stopwatch.median(samples.map(\.streaming))) / 1e9
    }
}
