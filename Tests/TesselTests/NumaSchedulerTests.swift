import Testing
@testable import Tessel
import TesselTestSupport

/// The scheduler under a tile placement: tiles run on their node's CPUs, threads get their
/// affinity back, and results are the same bits in every NUMA mode.
@Suite struct NumaSchedulerTests {
    /// The CPUs this process may use; the binding tests need two.
    private static let cpus = CPUSet.currentThread().cpus

    /// Two "nodes" made of one CPU each of this machine: binding is real, memory is not placed.
    private static func splitTopology() throws -> Topology {
        try Topology(isAvailable: true,
                     nodes: [Topology.Node(id: 0, cpus: [cpus[0]], memoryBytes: 0, freeBytes: 0),
                             Topology.Node(id: 1, cpus: [cpus[1]], memoryBytes: 0, freeBytes: 0)],
                     distances: [[10, 20], [20, 10]])
    }

    /// The affinity of the thread that ran each tile of `tiling`.
    private static func affinities(_ scheduler: Scheduler, _ tiling: Tiling) -> [CPUSet] {
        var seen = [CPUSet](repeating: CPUSet(), count: tiling.count)
        seen.withUnsafeMutableBufferPointer { seen in
            scheduler.forEachTile(tiling, workPerTile: 1) { tile in seen[tile.index] = CPUSet.currentThread() }
        }
        return seen
    }

    @Test(.enabled(if: cpus.count >= 2, "needs two CPUs"), arguments: [1, 2, 3])
    func eachTileRunsOnItsNodesCPUsAndThreadsAreRestored(workers: Int) throws {
        let placement = TilePlacement(topology: try Self.splitTopology())
        let placed = try Scheduler(workers: workers, grainSize: 0, placement: placement)
        let before = CPUSet.currentThread()
        let tiling = Tiling(rows: 9, columns: 5, tileRows: 2, tileColumns: 2)
        let seen = Self.affinities(placed, tiling)
        for index in 0..<tiling.count {
            let part = placement.part(of: tiling.tile(index), in: tiling)
            #expect(seen[index] == CPUSet([Self.cpus[part]]), "tile \(index) of node \(part) ran on \(seen[index].cpus)")
        }
        #expect(CPUSet.currentThread() == before, "the caller keeps its affinity")
        // Dispatch's threads went back to the pool unbound: unplaced tiles see the full set.
        let unplaced = try Scheduler(workers: 2, grainSize: 0)
        #expect(Self.affinities(unplaced, Tiling(rows: 64, tileRows: 1)).allSatisfy { $0 == before })
    }

    @Test(.enabled(if: cpus.count >= 2, "needs two CPUs"))
    func callsBelowTheGrainAreNotBound() throws {
        let placed = try Scheduler(workers: 2, grainSize: 1 << 20, placement: TilePlacement(topology: try Self.splitTopology()))
        let before = CPUSet.currentThread()
        #expect(Self.affinities(placed, Tiling(rows: 4, tileRows: 1)).allSatisfy { $0 == before })
    }

    @Test func schedulersWithoutPlacementHaveNone() throws {
        #expect(Scheduler.default.placement == nil)
        #expect(try Scheduler(workers: 2).placement == nil)
    }

    /// One way of running a layer: where its inputs live and how tiles are placed.
    struct Configuration: CustomTestStringConvertible {
        let name: String
        let allocator: Allocator
        let placement: TilePlacement?
        var testDescription: String { name }
    }

    static let configurations: [Configuration] = {
        var result = NumaMode.allCases.map { mode in
            // Each mode forced onto this machine's nodes (real policies even on one node) …
            Configuration(name: "\(mode.rawValue) forced", allocator: try! Allocator(policy: mode.policy(overNodes: Topology.current.nodeIDs)),
                          placement: mode == .partitioned ? TilePlacement(topology: .current) : nil)
        }
        // … each mode as the setting gives it here (degraded to aligned memory on one node) …
        result += NumaMode.allCases.map { Configuration(name: "\($0.rawValue) as set", allocator: Allocator(mode: $0), placement: TilePlacement(mode: $0)) }
        // … NUMA forced unavailable, and tiles bound to single CPUs as "nodes".
        result.append(Configuration(name: "unavailable", allocator: try! Allocator(policy: .partitioned(nodes: [0]), topology: .unavailable),
                                    placement: TilePlacement(topology: .unavailable)))
        if cpus.count >= 2 {
            result.append(Configuration(name: "split CPUs", allocator: try! Allocator(policy: .interleave(nodes: [0])),
                                        placement: TilePlacement(topology: try! splitTopology())))
        }
        return result
    }()

    @Test(arguments: configurations)
    func reluIsBitwiseIdenticalInEveryMode(configuration: Configuration) throws {
        try check(Float.self, configuration)
        try check(Double.self, configuration)
    }

    private func check<T: TesselScalar>(_: T.Type, _ configuration: Configuration) throws {
        // 7 × 3 × 29 × 31 elements: above `Allocator.minimumPlacedByteCount`, so policies apply.
        let shape = [7, 3, 29, 31]
        let x: Tensor<T> = try TestData.uniform(shape, seed: 11)
        let dout: Tensor<T> = try TestData.uniform(shape, seed: 12)
        let expectedOut = try ReLU.forward(x, scheduler: .serial)
        let expectedDx = try ReLU.backward(dout: dout, x: x, scheduler: .serial)
        let placedX = try Tensor(shape: shape, scalars: x.scalars, allocator: configuration.allocator)
        let placedDout = try Tensor(shape: shape, scalars: dout.scalars, allocator: configuration.allocator)
        let applied = (configuration.allocator.topology?.isAvailable ?? false) ? configuration.allocator.policy : nil
        #expect(placedX.block.policy == applied)
        for workers in [1, 2, 3] {
            for tiles in determinismTileSettings {
                let scheduler = try Scheduler(workers: workers, grainSize: 0, tiles: tiles, placement: configuration.placement)
                let out = try ReLU.forward(placedX, scheduler: scheduler)
                let dx = try ReLU.backward(dout: placedDout, x: placedX, scheduler: scheduler)
                #expect(out.isBitwiseEqual(to: expectedOut), "\(configuration.name), \(workers) workers, \(tiles)")
                #expect(dx.isBitwiseEqual(to: expectedDx), "\(configuration.name), \(workers) workers, \(tiles)")
            }
        }
    }
}
