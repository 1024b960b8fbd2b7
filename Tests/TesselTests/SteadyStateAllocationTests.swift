import MallocCounter
import Testing
@testable import Tessel

/// A steady-state forward or backward call allocates its outputs and nothing else: no heap
/// allocation inside tiles, no per-call buffers beyond a constant few in the scheduler.
///
/// Counts are per thread (see MallocCounter.h). With 1 worker every tile runs on the calling
/// thread, so any allocation a kernel makes is seen; with 2 workers the calling thread runs
/// the scheduler's own per-call work and a share of the tiles. Small tiles make every
/// workload run many tiles, so an allocation per tile would far exceed the allowance.
@Suite(.enabled(if: tessel_malloc_counter_available() == 1, "allocations are not counted under a sanitizer"))
struct SteadyStateAllocationTests {
    /// Allocations a call may make besides its outputs: the scheduler's per-call workspace
    /// object for each parallel phase of a layer, and a little bookkeeping.
    static let callAllowance = 6
    /// Tiles small enough that every small workload is cut into dozens of them.
    static let smallTiles = TileSettings(elementsPerTile: 64, gemmRowBlock: 6, gemmColumnBlock: 16)

    /// Allocations of one call of `body` on this thread, the fewest of three calls (after two
    /// calls that are not counted, so that lazily created state is in place).
    static func allocations(_ body: () throws -> Void) rethrows -> UInt64 {
        try body()
        try body()
        var fewest = UInt64.max
        for _ in 0..<3 {
            tessel_malloc_counter_start()
            try body()
            fewest = min(fewest, tessel_malloc_counter_stop())
        }
        return fewest
    }

    /// What one output tensor costs in this build: its storage, its `MemoryBlock`, and in
    /// debug builds a few more (unspecialized generic code allocates coroutine frames while
    /// it counts the shape's elements). Rank 4 is the highest rank of any layer's output.
    static let allocationsPerOutput = try! allocations { _ = try Tensor<Float>.uninitialized(shape: [2, 3, 4, 5]) }

    @Test func counterSeesSwiftAllocations() throws {
        #expect(Self.allocations {} == 0)
        #expect(Self.allocationsPerOutput >= 2, "a tensor allocates its storage and its MemoryBlock")
        let array = Self.allocations { _ = Array(repeating: 1.0, count: Int.random(in: 10...20)) }
        #expect(array == 1)
    }

    @Test(arguments: LayerWorkload.all.map(\.name), [1, 2])
    func steadyStateCallAllocatesOnlyItsOutputs(workload name: String, workers: Int) throws {
        let workload = try LayerWorkload.named(name)!.prepare(.small)
        let scheduler = try Scheduler(workers: workers, grainSize: 0, tiles: Self.smallTiles)
        for pass in workload.passes {
            let count = try Self.allocations { try pass.run(scheduler) }
            let bound = UInt64(pass.outputTensors) * Self.allocationsPerOutput + UInt64(Self.callAllowance)
            #expect(count <= bound, "\(name) \(pass.name), \(workers) workers: \(count) allocations for \(pass.outputTensors) outputs, at most \(bound) expected")
        }
    }
}
