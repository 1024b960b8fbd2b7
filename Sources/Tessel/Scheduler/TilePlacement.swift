/// Which NUMA node runs which tile: the scheduler's half of the `partitioned` mode.
///
/// A tiling's rows (the batch dimension for the layers' batch × channel tilings) are split
/// over the topology's nodes by the same `Partition` that places a `partitioned` buffer's
/// slices, so the tiles over a node's slice of the batch run on that node's CPUs. A tiling over
/// a tensor's flat elements is split in proportion, which matches the batch split exactly when
/// the node count divides the batch (otherwise tiles within one batch row of a boundary may
/// run on the neighbouring node: a matter of speed, never of results). Tiles of a node have
/// contiguous indices. The mappings are pure functions of the tiling and the topology, which
/// tests build in code (2 or 4 nodes on a one-node machine).
public struct TilePlacement: Sendable {
    /// The topology whose nodes run the tiles.
    public let topology: Topology
    /// The CPUs of each node, in `topology.nodes` order.
    let cpuSets: [CPUSet]

    /// Tiles bound to the nodes of `topology`, whatever its number of nodes.
    public init(topology: Topology) {
        self.topology = topology
        cpuSets = topology.nodes.map { CPUSet($0.cpus) }
    }

    /// The placement a NUMA mode gives the scheduler: tiles bound to nodes in `partitioned`
    /// mode on a machine with several nodes, nil (tiles run anywhere, no cost) otherwise.
    public init?(mode: NumaMode, topology: Topology = .current) {
        guard mode == .partitioned, topology.isMultiNode else { return nil }
        self.init(topology: topology)
    }

    /// The number of nodes tiles are spread over.
    public var nodeCount: Int { topology.nodes.count }

    /// The index in `topology.nodes` of the node that runs `tile`: the part that holds the
    /// tile's first row.
    public func part(of tile: Tile, in tiling: Tiling) -> Int {
        Partition(count: tiling.rows, parts: nodeCount).part(ofRow: tile.rows.lowerBound)
    }

    /// The id of the node that runs `tile`.
    public func node(of tile: Tile, in tiling: Tiling) -> Int {
        topology.nodes[part(of: tile, in: tiling)].id
    }

    /// The tile indices each node runs, in `topology.nodes` order: disjoint, ascending, and
    /// covering `0 ..< tiling.count` (a node may get none).
    public func tileRanges(in tiling: Tiling) -> [Range<Int>] {
        let partition = Partition(count: tiling.rows, parts: nodeCount)
        let rowTile = { (row: Int) in (row + tiling.tileRows - 1) / tiling.tileRows }
        return (0..<nodeCount).map { part in
            let rows = partition.rows(ofPart: part)
            return rowTile(rows.lowerBound) * tiling.columnTileCount..<rowTile(rows.upperBound) * tiling.columnTileCount
        }
    }

    /// The node (index in `topology.nodes`) whose tiles worker `slot` of `workers` takes
    /// first; workers are spread evenly over the nodes.
    public func homePart(ofWorker slot: Int, workers: Int) -> Int {
        slot * nodeCount / max(1, workers)
    }
}
