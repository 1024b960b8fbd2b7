@preconcurrency import CNuma
#if canImport(Glibc)
import Glibc
#endif

/// Where the kernel has put memory, read back without moving anything: the node of each page
/// (`move_pages` with no target nodes) and the memory policy of a mapping
/// (`get_mempolicy(MPOL_F_ADDR)`). This is what `tessel numa-check` compares with the policy
/// the allocator was asked for.
public enum PagePlacement {
    /// For each of `count` pages from `base` (page aligned), the node that holds it, or a
    /// negative errno: `-ENOENT` for a page not touched yet, `-EFAULT` for an address not mapped.
    /// - Throws: `TesselError.system` when libnuma is unavailable or the kernel refuses the query.
    public static func nodes(ofPages base: UnsafeRawPointer, count: Int) throws -> [Int] {
        guard NumaSystem.isAvailable else { throw unavailable("move_pages") }
        guard count > 0 else { return [] }
        var pages: [UnsafeMutableRawPointer?] = (0..<count).map { UnsafeMutableRawPointer(mutating: base + $0 * Allocator.pageSize) }
        var status = [Int32](repeating: Int32.min, count: count)
        guard numa_move_pages(0, UInt(count), &pages, nil, &status, 0) == 0 else {
            throw TesselError.system(operation: "move_pages(\(count) pages)", reason: String(cString: strerror(errno)))
        }
        return status.map(Int.init)
    }

    /// The kernel's name of the memory policy of the mapping holding `address`: `default`,
    /// `preferred`, `bind`, `interleave`, `local`, `preferred_many`, or `mode N` for another.
    /// - Throws: `TesselError.system` when libnuma is unavailable or the kernel refuses.
    public static func policyName(at address: UnsafeRawPointer) throws -> String {
        guard NumaSystem.isAvailable else { throw unavailable("get_mempolicy") }
        var mode: Int32 = -1
        guard get_mempolicy(&mode, nil, 0, UnsafeMutableRawPointer(mutating: address), UInt32(MPOL_F_ADDR)) == 0 else {
            throw TesselError.system(operation: "get_mempolicy(MPOL_F_ADDR)", reason: String(cString: strerror(errno)))
        }
        let names = ["default", "preferred", "bind", "interleave", "local", "preferred_many"]
        return names.indices.contains(Int(mode)) ? names[Int(mode)] : "mode \(mode)"
    }

    private static func unavailable(_ operation: String) -> TesselError {
        .system(operation: operation, reason: "NUMA is unavailable here (numa_available() < 0)")
    }
}
