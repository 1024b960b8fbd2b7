#if canImport(Glibc)
import Glibc
#endif

/// The machine's NUMA layout as libnuma reports it: the memory nodes this process may
/// allocate on, the CPUs of each, their memory, and the distances between them.
///
/// `Topology.current` is read once per process and drives the allocator's placement and the
/// scheduler's tile binding. Tests and tools build other topologies in code (e.g. 2 or 4
/// nodes) to check the mappings derived from them; `Topology.unavailable` forces the
/// "no NUMA" path.
public struct Topology: Sendable, Equatable, Codable {
    /// One memory node.
    public struct Node: Sendable, Equatable, Codable {
        /// The kernel's node number (what `numactl` and `mbind` call the node).
        public let id: Int
        /// The CPUs of the node, ascending. Empty for a memory-only node.
        public let cpus: [Int]
        /// Memory of the node in bytes.
        public let memoryBytes: Int
        /// Free memory of the node in bytes when the topology was read.
        public let freeBytes: Int

        /// A node with the given CPUs and memory (bytes).
        public init(id: Int, cpus: [Int], memoryBytes: Int, freeBytes: Int) {
            self.id = id
            self.cpus = cpus
            self.memoryBytes = memoryBytes
            self.freeBytes = freeBytes
        }
    }

    /// True when libnuma works here (`numa_available() >= 0`). When false, no memory policy is
    /// applied and every allocation is plain aligned memory.
    public let isAvailable: Bool
    /// The nodes, in ascending id order; at least one.
    public let nodes: [Node]
    /// `distances[i][j]`: the relative distance from `nodes[i]` to `nodes[j]` (10 = local,
    /// as in the ACPI SLIT table and `numactl --hardware`); 0 where unknown.
    public let distances: [[Int]]
    /// The value of `/proc/sys/kernel/numa_balancing` (0 = off; 1, 2, 3 = automatic NUMA
    /// balancing / memory tiering on), or nil when the file does not exist.
    public let numaBalancing: Int?

    /// A topology from its parts.
    /// - Throws: `TesselError.invalidParameter` when there are no nodes, ids repeat or are not
    ///   ascending, or `distances` is not a `nodes.count × nodes.count` matrix.
    public init(isAvailable: Bool, nodes: [Node], distances: [[Int]], numaBalancing: Int? = nil) throws {
        guard !nodes.isEmpty else {
            throw TesselError.invalidParameter(component: "Topology", parameter: "nodes", value: "[]", reason: "needs at least one node")
        }
        guard zip(nodes, nodes.dropFirst()).allSatisfy({ $0.id < $1.id }), nodes[0].id >= 0 else {
            throw TesselError.invalidParameter(component: "Topology", parameter: "nodes", value: "\(nodes.map(\.id))",
                                               reason: "node ids must be non-negative and ascending")
        }
        guard distances.count == nodes.count, distances.allSatisfy({ $0.count == nodes.count }) else {
            throw TesselError.invalidParameter(component: "Topology", parameter: "distances", value: "\(distances)",
                                               reason: "must be a \(nodes.count)×\(nodes.count) matrix")
        }
        self.isAvailable = isAvailable
        self.nodes = nodes
        self.distances = distances
        self.numaBalancing = numaBalancing
    }

    /// The node ids, ascending.
    public var nodeIDs: [Int] { nodes.map(\.id) }

    /// True when placement can matter: libnuma works and there is more than one node.
    public var isMultiNode: Bool { isAvailable && nodes.count > 1 }

    /// True when the kernel migrates pages on its own (automatic NUMA balancing), which moves
    /// pages away from where the allocator placed them.
    public var isBalancing: Bool { (numaBalancing ?? 0) != 0 }

    /// The topology of this machine, read once (on first use) through libnuma.
    public static let current: Topology = read()

    /// Reads the topology now (free memory changes; nodes and CPUs do not).
    public static func read() -> Topology {
        let balancing = readNumaBalancing()
        guard NumaSystem.isAvailable else { return unavailable(numaBalancing: balancing) }
        let nodes = NumaSystem.allowedNodes().map { id in
            let memory = NumaSystem.memory(ofNode: id)
            return Node(id: id, cpus: NumaSystem.cpus(ofNode: id), memoryBytes: memory.total, freeBytes: memory.free)
        }
        let distances = nodes.map { from in nodes.map { to in NumaSystem.distance(from: from.id, to: to.id) } }
        // libnuma's node list is ascending and non-empty (node 0 at least), which init checks.
        return (try? Topology(isAvailable: true, nodes: nodes, distances: distances, numaBalancing: balancing))
            ?? unavailable(numaBalancing: balancing)
    }

    /// The topology used when libnuma is unavailable: one pseudo-node 0 holding every CPU this
    /// thread may run on and all physical memory, with `isAvailable == false`.
    public static var unavailable: Topology { unavailable(numaBalancing: readNumaBalancing()) }

    private static func unavailable(numaBalancing: Int?) -> Topology {
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        let node = Node(id: 0, cpus: CPUSet.currentThread().cpus,
                        memoryBytes: sysconf(Int32(_SC_PHYS_PAGES)) * pageSize,
                        freeBytes: sysconf(Int32(_SC_AVPHYS_PAGES)) * pageSize)
        return Topology(uncheckedAvailable: false, nodes: [node], distances: [[10]], numaBalancing: numaBalancing)
    }

    private init(uncheckedAvailable isAvailable: Bool, nodes: [Node], distances: [[Int]], numaBalancing: Int?) {
        self.isAvailable = isAvailable
        self.nodes = nodes
        self.distances = distances
        self.numaBalancing = numaBalancing
    }

    /// `/proc/sys/kernel/numa_balancing` as a number, nil when absent or unreadable.
    private static func readNumaBalancing() -> Int? {
        let fd = open("/proc/sys/kernel/numa_balancing", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 16)
        let length = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard length > 0 else { return nil }
        return Int(String(decoding: bytes[..<length], as: UTF8.self).filter { !$0.isWhitespace })
    }
}
