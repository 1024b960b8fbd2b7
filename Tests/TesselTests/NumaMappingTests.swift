import Testing
@testable import Tessel

/// The pure mappings behind `partitioned`: rows → parts, tiles → nodes, pages → nodes, on
/// 2- and 4-node topologies built in code (this machine has one node).
@Suite struct NumaMappingTests {
    @Test(arguments: [0, 1, 2, 3, 7, 10, 64, 101], [1, 2, 3, 4, 8])
    func partitionsAreBalancedContiguousAndInOrder(count: Int, parts: Int) {
        let partition = Partition(count: count, parts: parts)
        var next = 0
        for part in 0..<parts {
            let rows = partition.rows(ofPart: part)
            #expect(rows.lowerBound == next)
            #expect(rows.count == count / parts || rows.count == count / parts + 1)
            for row in rows { #expect(partition.part(ofRow: row) == part) }
            next = rows.upperBound
        }
        #expect(next == count)
    }

    @Test func partitionOfTenRowsOverFourParts() {
        let partition = Partition(count: 10, parts: 4)
        #expect((0..<4).map(partition.rows(ofPart:)) == [0..<3, 3..<6, 6..<8, 8..<10])
        #expect((0..<10).map(partition.part(ofRow:)) == [0, 0, 0, 1, 1, 1, 2, 2, 3, 3])
    }

    @Test func tilesOfABatchTilingFollowTheNodesOnFourNodes() throws {
        // Node ids need not be 0 ..< n: the mapping goes by position, the answer by id.
        let placement = TilePlacement(topology: try CodeTopology.nodes([0, 1, 4, 5]))
        let tiling = Tiling(rows: 10, columns: 3, tileRows: 1, tileColumns: 2)  // batch × channel blocks
        let nodes = (0..<tiling.count).map { placement.node(of: tiling.tile($0), in: tiling) }
        let perBatchRow = [0, 0, 0, 1, 1, 1, 4, 4, 5, 5]
        #expect(nodes == perBatchRow.flatMap { [$0, $0] })
        #expect(placement.tileRanges(in: tiling) == [0..<6, 6..<12, 12..<16, 16..<20])
    }

    @Test(arguments: [[0, 1], [0, 1, 2, 3]])
    func tileRangesAgreeWithTheTileToNodeMapping(nodeIDs: [Int]) throws {
        let placement = TilePlacement(topology: try CodeTopology.nodes(nodeIDs))
        for rows in [0, 1, 2, 3, 5, 7, 16, 33] {
            for tileRows in [1, 2, 3, 5, 40] {
                for (columns, tileColumns) in [(1, 1), (4, 3)] {
                    let tiling = Tiling(rows: rows, columns: columns, tileRows: tileRows, tileColumns: tileColumns)
                    let ranges = placement.tileRanges(in: tiling)
                    #expect(ranges.count == nodeIDs.count)
                    #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == tiling.count)
                    #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                    for (part, range) in ranges.enumerated() {
                        for index in range {
                            let tile = tiling.tile(index)
                            #expect(placement.part(of: tile, in: tiling) == part, "\(tiling) tile \(index)")
                            #expect(placement.node(of: tile, in: tiling) == nodeIDs[part])
                        }
                    }
                }
            }
        }
    }

    @Test(arguments: [[0, 1], [0, 1, 2, 3]], [1, 2, 3, 5, 7, 16])
    func slicesOfAPartitionedBufferSitWithTheTilesOverTheirRows(nodeIDs: [Int], batch: Int) throws {
        let page = 4096
        let placement = TilePlacement(topology: try CodeTopology.nodes(nodeIDs))
        let policy = NumaPolicy.partitioned(nodes: nodeIDs)
        let batchTiling = Tiling(rows: batch, tileRows: 1)
        // Rows of whole pages: every page of a row is on the node that runs the row's tile.
        let wholePages = policy.pageSlices(byteCount: batch * 3 * page, rows: batch, pageSize: page)
        #expect(wholePages.flatMap { Array($0.pages) } == Array(0..<(batch * 3)))
        for slice in wholePages {
            for pageIndex in slice.pages {
                let row = pageIndex / 3
                #expect(slice.node == placement.node(of: batchTiling.tile(row), in: batchTiling), "page \(pageIndex)")
            }
        }
        // Rows that do not fill pages: a page goes with the slice holding its first byte.
        let rowBytes = 1000 + 37
        let byteCount = batch * rowBytes
        let slices = policy.pageSlices(byteCount: byteCount, rows: batch, pageSize: page)
        #expect(slices.flatMap { Array($0.pages) } == Array(0..<((byteCount + page - 1) / page)))
        let partition = Partition(count: batch, parts: nodeIDs.count)
        for slice in slices {
            for pageIndex in slice.pages {
                let firstRow = min(pageIndex * page / rowBytes, batch - 1)
                #expect(slice.node == nodeIDs[partition.part(ofRow: firstRow)], "page \(pageIndex)")
            }
        }
    }

    @Test func workersAreSpreadOverTheNodes() throws {
        let placement = TilePlacement(topology: try CodeTopology.nodes([0, 1, 2, 3]))
        #expect((0..<8).map { placement.homePart(ofWorker: $0, workers: 8) } == [0, 0, 1, 1, 2, 2, 3, 3])
        #expect((0..<2).map { placement.homePart(ofWorker: $0, workers: 2) } == [0, 2])
        #expect(placement.homePart(ofWorker: 0, workers: 1) == 0)
    }

    @Test func theModeDecidesTheScheduler() throws {
        let two = try CodeTopology.nodes([0, 1]), one = try CodeTopology.nodes([0])
        #expect(TilePlacement(mode: .partitioned, topology: two)?.nodeCount == 2)
        for mode in [NumaMode.disabled, .local, .interleave] { #expect(TilePlacement(mode: mode, topology: two) == nil) }
        for mode in NumaMode.allCases { #expect(TilePlacement(mode: mode, topology: one) == nil) }
        #expect(NumaMode.partitioned.policy(for: two) == .partitioned(nodes: [0, 1]))
        #expect(NumaMode.interleave.policy(for: two) == .interleave(nodes: [0, 1]))
        #expect(NumaMode.local.policy(for: two) == .local)
        #expect(NumaMode.disabled.policy(for: two) == nil)
        #expect(Allocator(mode: .partitioned, topology: two).policy == .partitioned(nodes: [0, 1]))
    }
}

/// The topology value, the mode setting and the `tessel topology` report.
@Suite struct NumaTopologyTests {
    @Test func thisMachinesTopologyIsConsistent() {
        let topology = Topology.current
        #expect(!topology.nodes.isEmpty)
        #expect(topology.distances.count == topology.nodes.count)
        if topology.isAvailable {
            for (i, row) in topology.distances.enumerated() { #expect(row[i] == 10) }
        }
        let cpus = topology.nodes.flatMap(\.cpus)
        #expect(Set(cpus).count == cpus.count)
        #expect(Set(CPUSet.currentThread().cpus).isSubset(of: Set(cpus)))
        #expect(topology.nodes.allSatisfy { $0.memoryBytes > 0 && $0.freeBytes <= $0.memoryBytes })
    }

    @Test func badTopologiesAreRejected() {
        let node = Topology.Node(id: 0, cpus: [0], memoryBytes: 1, freeBytes: 1)
        let other = Topology.Node(id: 1, cpus: [1], memoryBytes: 1, freeBytes: 1)
        let cases: [(nodes: [Topology.Node], distances: [[Int]], parameter: String)] = [
            ([], [], "nodes"),
            ([other, node], [[10, 20], [20, 10]], "nodes"),
            ([node, node], [[10, 20], [20, 10]], "nodes"),
            ([node, other], [[10, 20]], "distances"),
            ([node, other], [[10], [20]], "distances"),
        ]
        for item in cases {
            #expect {
                _ = try Topology(isAvailable: true, nodes: item.nodes, distances: item.distances)
            } throws: { error in
                guard case let .invalidParameter(layer, parameter, _, _) = error as? TesselError else { return false }
                return layer == "Topology" && parameter == item.parameter
            }
        }
    }

    @Test func theReportShowsNodesDistancesAndBalancing() throws {
        let nodes = [Topology.Node(id: 0, cpus: [0, 1, 2, 5], memoryBytes: 64 << 20, freeBytes: 32 << 20),
                     Topology.Node(id: 1, cpus: [], memoryBytes: 16 << 20, freeBytes: 1 << 20)]
        let on = try Topology(isAvailable: true, nodes: nodes, distances: [[10, 21], [21, 10]], numaBalancing: 1)
        #expect(on.description == """
            NUMA: available (libnuma), 2 nodes
            node 0: 4 CPUs (0-2,5), memory 64 MiB, free 32 MiB
            node 1: 0 CPUs (none), memory 16 MiB, free 1 MiB
            distances:
                    node 0  node 1
            node 0      10      21
            node 1      21      10
            numa_balancing: on (1): the kernel migrates pages between nodes behind any placement; \
            for placement to hold, turn it off: sysctl -w kernel.numa_balancing=0

            """)
        let off = try Topology(isAvailable: true, nodes: Array(nodes.prefix(1)), distances: [[10]], numaBalancing: 0)
        #expect(off.description.hasSuffix("numa_balancing: off\n"))
        #expect(!off.isBalancing && on.isBalancing)
        #expect(Topology.unavailable.description.hasPrefix("NUMA: unavailable"))
    }

    @Test func modesParseFromTheirNamesAndNothingElse() throws {
        for mode in NumaMode.allCases { #expect(try NumaMode.parse(mode.rawValue, source: "test", key: "numa") == mode) }
        #expect(try NumaMode.parse(nil, source: "test", key: "numa") == nil)
        #expect(try NumaMode.parse("", source: "test", key: "numa") == nil)
        #expect(NumaMode.allCases.map(\.rawValue) == ["disabled", "local", "interleave", "partitioned"])
        #expect {
            _ = try NumaMode.parse("Partitioned", source: "config/runtime.json", key: "numa")
        } throws: { error in
            guard case let .configuration(source, key, reason) = error as? TesselError else { return false }
            return source == "config/runtime.json" && key == "numa" && reason.contains("'Partitioned'")
        }
    }
}
