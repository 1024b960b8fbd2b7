@preconcurrency import CNuma
#if canImport(Glibc)
import Glibc
#endif

/// The libnuma and `numaif.h` calls Tessel makes, in Swift terms. Nothing else in Tessel
/// calls libnuma; every function but `isAvailable` assumes `isAvailable` is true.
enum NumaSystem {
    /// `numa_available() >= 0`: the kernel supports memory policies and the process may use
    /// them (a container's seccomp filter can forbid them).
    static let isAvailable: Bool = numa_available() >= 0

    /// The nodes this process may allocate memory on, ascending.
    static func allowedNodes() -> [Int] {
        (0...Int(numa_max_node())).filter { numa_bitmask_isbitset(numa_all_nodes_ptr, UInt32($0)) != 0 }
    }

    /// The CPUs of `node`, ascending (empty for a memory-only node or on error).
    static func cpus(ofNode node: Int) -> [Int] {
        guard let mask = numa_allocate_cpumask() else { return [] }
        defer { numa_bitmask_free(mask) }
        guard numa_node_to_cpus(Int32(node), mask) == 0 else { return [] }
        return (0..<Int(numa_num_possible_cpus())).filter { numa_bitmask_isbitset(mask, UInt32($0)) != 0 }
    }

    /// Total and free memory of `node`, in bytes (0 where unknown).
    static func memory(ofNode node: Int) -> (total: Int, free: Int) {
        var free: Int64 = 0
        let total = numa_node_size64(Int32(node), &free)
        return total < 0 ? (0, 0) : (Int(total), Int(max(0, free)))
    }

    /// The SLIT distance between two nodes (10 = same node; 0 where unknown).
    static func distance(from: Int, to: Int) -> Int { Int(numa_distance(Int32(from), Int32(to))) }

    /// Sets the memory policy `mode` (`MPOL_LOCAL`, `MPOL_BIND`, `MPOL_INTERLEAVE`,
    /// `MPOL_PREFERRED`) over the nodes `nodes` for the pages `[address, address + length)`.
    /// `address` must be page aligned; pages already touched keep their node.
    /// - Returns: nil on success, else the reason the kernel gave.
    static func setPolicy(_ mode: Int32, nodes: [Int], address: UnsafeMutableRawPointer, length: Int) -> String? {
        let bitsPerWord = UInt.bitWidth
        var mask = [UInt](repeating: 0, count: nodes.isEmpty ? 0 : nodes.max()! / bitsPerWord + 1)
        for node in nodes { mask[node / bitsPerWord] |= 1 << UInt(node % bitsPerWord) }
        // The kernel reads maxnode − 1 bits (an old off-by-one libnuma also compensates for).
        let maxNode = mask.isEmpty ? 0 : UInt(mask.count * bitsPerWord + 1)
        let status = mask.withUnsafeBufferPointer { words in
            mbind(address, UInt(length), mode, words.isEmpty ? nil : words.baseAddress, maxNode, 0)
        }
        return status == 0 ? nil : String(cString: strerror(errno))
    }
}
