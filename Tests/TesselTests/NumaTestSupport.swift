@preconcurrency import CNuma
#if canImport(Glibc)
import Glibc
#endif
@testable import Tessel

/// What the kernel says about memory, read independently of the allocator under test.
enum KernelMemory {
    /// The whole text of a small file (e.g. under /proc), nil when it cannot be read.
    static func text(of path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The resident set size of this process in bytes (`/proc/self/statm`, second field).
    static func residentBytes() -> Int {
        let fields = (text(of: "/proc/self/statm") ?? "").split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Allocator.pageSize
    }

    /// Locked memory of this process in bytes (`VmLck` in `/proc/self/status`).
    static func lockedBytes() -> Int {
        let line = (text(of: "/proc/self/status") ?? "").split(separator: "\n").first { $0.hasPrefix("VmLck:") }
        let kib = line?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return kib * 1024
    }

    /// The `VmFlags` of the mapping that holds `address` (`/proc/self/smaps`).
    static func vmFlags(at address: UnsafeRawPointer) -> [Substring]? {
        let target = UInt(bitPattern: address)
        var inMapping = false
        for line in (text(of: "/proc/self/smaps") ?? "").split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let space = line.firstIndex(of: " "), dash < space,
               let start = UInt(line[..<dash], radix: 16), let end = UInt(line[line.index(after: dash)..<space], radix: 16) {
                inMapping = start <= target && target < end
            } else if inMapping && line.hasPrefix("VmFlags:") {
                return line.split(separator: " ").dropFirst().map { $0 }
            }
        }
        return nil
    }

    /// The memory policy mode of the mapping at `address` (`get_mempolicy(MPOL_F_ADDR)`).
    static func policyMode(at address: UnsafeMutableRawPointer) -> Int32? {
        var mode: Int32 = -1
        return get_mempolicy(&mode, nil, 0, address, UInt32(MPOL_F_ADDR)) == 0 ? mode : nil
    }

    /// The node of the page at `address` (`get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR)`; the
    /// kernel faults the page in if it is not yet).
    static func node(ofPageAt address: UnsafeMutableRawPointer) -> Int? {
        var node: Int32 = -1
        return get_mempolicy(&node, nil, 0, address, UInt32(MPOL_F_NODE | MPOL_F_ADDR)) == 0 ? Int(node) : nil
    }

    /// For each of `count` pages from `base`, its node, or a negative errno (`-ENOENT`: not
    /// yet touched), as `move_pages` reports without moving anything.
    static func pageStatus(_ base: UnsafeMutableRawPointer, count: Int) -> [Int32] {
        var pages: [UnsafeMutableRawPointer?] = (0..<count).map { base + $0 * Allocator.pageSize }
        var status = [Int32](repeating: Int32.min, count: count)
        let result = numa_move_pages(0, UInt(count), &pages, nil, &status, 0)
        return result == 0 ? status : []
    }
}

/// Topologies built in code, as on machines with more nodes than this one.
enum CodeTopology {
    /// `ids.count` nodes with `cpusPerNode` consecutive CPUs each, SLIT distances 10 / 20.
    static func nodes(_ ids: [Int], cpusPerNode: Int = 4, isAvailable: Bool = true) throws -> Topology {
        let nodes = ids.enumerated().map { index, id in
            Topology.Node(id: id, cpus: Array(index * cpusPerNode..<(index + 1) * cpusPerNode),
                          memoryBytes: 16 << 30, freeBytes: 8 << 30)
        }
        let distances = ids.indices.map { i in ids.indices.map { j in i == j ? 10 : 20 } }
        return try Topology(isAvailable: isAvailable, nodes: nodes, distances: distances)
    }
}
