/// Where the pages of one allocation go. A policy of the `Allocator`, never of a kernel.
///
/// Policies act on whole pages, so they apply to blocks of at least
/// `Allocator.minimumPlacedByteCount` bytes; smaller blocks come from the aligned heap whatever
/// the policy. Where libnuma is unavailable, no policy is applied (plain aligned memory).
public enum NumaPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Each page goes to the node of the CPU that first touches it (`MPOL_LOCAL`), whatever
    /// memory policy the process inherited (e.g. from `numactl --interleave`).
    case local
    /// Every page on `node` (`MPOL_BIND`, strict: like `numactl --membind`; when the node is
    /// full the kernel reclaims or kills rather than spilling to another node).
    case bind(node: Int)
    /// Pages spread round-robin over `nodes` (`MPOL_INTERLEAVE`), like `numactl --interleave`.
    case interleave(nodes: [Int])
    /// The block's rows (a tensor's batch dimension) split by `Partition` into one slice per
    /// node, in order: slice `k` on `nodes[k]` (`MPOL_PREFERRED`, so a full node spills to its
    /// neighbours instead of failing), and its pages first touched by a thread bound to that
    /// node. A page that straddles two slices goes with the slice holding its first byte.
    case partitioned(nodes: [Int])

    /// The policy as Tessel writes it in errors and on the command line, e.g. `bind(0)`,
    /// `interleave(0,1)`.
    public var description: String {
        switch self {
        case .local: return "local"
        case let .bind(node): return "bind(\(node))"
        case let .interleave(nodes): return "interleave(\(nodes.map(String.init).joined(separator: ",")))"
        case let .partitioned(nodes): return "partitioned(\(nodes.map(String.init).joined(separator: ",")))"
        }
    }

    /// The nodes the policy names (empty for `local`).
    public var nodes: [Int] {
        switch self {
        case .local: return []
        case let .bind(node): return [node]
        case let .interleave(nodes), let .partitioned(nodes): return nodes
        }
    }

    /// The slices of a `partitioned` block of `byteCount` bytes holding `rows` equal rows,
    /// mapped page by page: each slice's page range (pages of `pageSize` bytes from the start
    /// of the block) and its node. Slices without a whole page of their own are left out, so
    /// the ranges are disjoint, ascending, and cover every page of the block. Pure.
    /// For a policy other than `partitioned`, the whole block is one slice on the first node
    /// (-1 for `local`).
    public func pageSlices(byteCount: Int, rows: Int, pageSize: Int) -> [(node: Int, pages: Range<Int>)] {
        let pageCount = (byteCount + pageSize - 1) / pageSize
        guard case let .partitioned(nodes) = self, rows > 1 else {
            return [(nodes.first ?? -1, 0..<pageCount)]
        }
        let partition = Partition(count: rows, parts: nodes.count)
        let rowBytes = byteCount / rows
        var slices: [(node: Int, pages: Range<Int>)] = []
        for (part, node) in nodes.enumerated() {
            let rowRange = partition.rows(ofPart: part)
            // A page belongs to the slice holding its first byte: slice pages start at the
            // first page boundary at or after the slice's first byte.
            let firstPage = (rowRange.lowerBound * rowBytes + pageSize - 1) / pageSize
            let endPage = part == nodes.count - 1 ? pageCount : (rowRange.upperBound * rowBytes + pageSize - 1) / pageSize
            if firstPage < endPage { slices.append((node, firstPage..<endPage)) }
        }
        return slices
    }
}
