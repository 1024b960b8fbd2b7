@preconcurrency import CNuma
#if canImport(Glibc)
import Glibc
#endif

/// Hands out aligned memory blocks, placed on NUMA nodes by a policy. Every tensor's storage
/// comes from here.
///
/// - Every block is at least `alignment` (64) bytes aligned.
/// - A block of at least `minimumPlacedByteCount` bytes under a `NumaPolicy` gets pages of
///   its own (an anonymous mapping) with that policy applied; where libnuma is unavailable
///   the policy is skipped and the block is plain aligned memory.
/// - With `hugePages`, blocks of `hugePageSize` (2 MiB) and more are aligned to 2 MiB and
///   advised onto transparent huge pages (`madvise(MADV_HUGEPAGE)`).
/// - With `pinning`, blocks are locked in memory (`mlock`); `PinningBehaviour` says what
///   happens when the memlock limit is too small.
/// - Everything else comes from `posix_memalign`, which is what `Allocator.standard` does,
///   except that blocks of `BlockCache.minimumByteCount` and more are pages reused through
///   the allocator's `cache` (`BlockCache.shared` by default) while that cache is enabled.
/// - Every block is counted in the `budget` of its cache (`MemoryBudget.shared` by default)
///   until its memory goes back to the system; a request beyond the budget's limit is refused
///   (after the cache has released its idle blocks).
///
/// Blocks are released when their last reference goes away.
public struct Allocator: Sendable, CustomStringConvertible {
    /// Alignment of every block, in bytes: a cache line, and the width of an AVX-512 load.
    public static let alignment = 64
    /// The size of a transparent huge page on x86-64, and the alignment of advised blocks.
    public static let hugePageSize = 2 << 20
    /// Blocks smaller than this come from the aligned heap whatever the policy: placing them
    /// would cost a mapping and system calls each, and they stay in the caches anyway.
    public static let minimumPlacedByteCount = 64 << 10
    /// The system's page size in bytes.
    public static let pageSize: Int = sysconf(Int32(_SC_PAGESIZE))
    /// The machine's physical memory in bytes. No block may be larger: the system might grant
    /// such a request (overcommit) and then kill the process when it writes the pages.
    public static let physicalMemoryByteCount: Int = {
        let (bytes, overflow) = sysconf(Int32(_SC_PHYS_PAGES)).multipliedReportingOverflow(by: pageSize)
        return bytes > 0 && !overflow ? bytes : Int.max
    }()

    /// The policy asked for (nil: plain aligned memory).
    public let policy: NumaPolicy?
    /// Whether blocks of `hugePageSize` and more are advised onto transparent huge pages.
    public let hugePages: Bool
    /// Whether blocks are pinned, and what to do when they cannot be (nil: not pinned).
    public let pinning: PinningBehaviour?
    /// The topology the policy's nodes refer to (nil for an allocator without policy).
    public let topology: Topology?
    /// Where released blocks without policy, huge pages or pinning go, and where such blocks
    /// of at least `BlockCache.minimumByteCount` bytes come from while it is enabled.
    public let cache: BlockCache

    /// The budget every block of this allocator is counted in: its cache's.
    public var budget: MemoryBudget { cache.budget }

    /// Aligned heap memory, no policy, no huge pages, no pinning; what tensors use unless told
    /// otherwise. Makes no NUMA call.
    public static let standard = Allocator()

    /// Aligned heap memory, no policy, no huge pages, no pinning, reusing blocks through `cache`
    /// while it is enabled.
    public init(cache: BlockCache = .shared) {
        policy = nil
        hugePages = false
        pinning = nil
        topology = nil
        self.cache = cache
    }

    /// An allocator with an explicit policy over the nodes of `topology`.
    /// - Throws: `TesselError.invalidParameter` when the policy names no node, repeats a node,
    ///   or names a node that `topology` does not have.
    public init(policy: NumaPolicy?, hugePages: Bool = false, pinning: PinningBehaviour? = nil,
                topology: Topology = .current) throws {
        if let policy {
            let nodes = policy.nodes
            if policy != .local && nodes.isEmpty {
                throw TesselError.invalidParameter(component: "Allocator", parameter: "policy", value: policy.description,
                                                   reason: "names no node")
            }
            if Set(nodes).count != nodes.count {
                throw TesselError.invalidParameter(component: "Allocator", parameter: "policy", value: policy.description,
                                                   reason: "names a node twice")
            }
            if let unknown = nodes.first(where: { !topology.nodeIDs.contains($0) }) {
                throw TesselError.invalidParameter(component: "Allocator", parameter: "policy", value: policy.description,
                    reason: "node \(unknown) is not a node of this machine (nodes: \(topology.nodeIDs.map(String.init).joined(separator: ", ")))")
            }
        }
        self.policy = policy
        self.hugePages = hugePages
        self.pinning = pinning
        self.topology = topology
        cache = .shared
    }

    /// The allocator for a NUMA mode on a machine with `topology`: `mode.policy(for:)`, which
    /// is no policy at all on one node or where libnuma is unavailable.
    public init(mode: NumaMode, hugePages: Bool = false, pinning: PinningBehaviour? = nil, topology: Topology = .current) {
        policy = mode.policy(for: topology)
        self.hugePages = hugePages
        self.pinning = pinning
        self.topology = topology
        cache = .shared
    }

    /// The bytes currently pinned by Tessel blocks (kept within the soft `RLIMIT_MEMLOCK`).
    public static var pinnedByteCount: Int { Pinning.pinnedBytes.load(ordering: .relaxed) }

    /// The allocator as errors name it, e.g. `interleave(0,1)+hugepages+pinned` or `aligned`.
    public var description: String {
        (policy?.description ?? "aligned") + (hugePages ? "+hugepages" : "") + (pinning != nil ? "+pinned" : "")
    }

    /// Allocates `byteCount` bytes (0 is allowed and gives a valid, aligned block) made of
    /// `rows` equal rows (a tensor's batch dimension), which a `partitioned` policy splits
    /// across its nodes. The contents are unspecified (zero for a fresh mapping, stale for a
    /// block from the heap or from `cache`, which serves blocks of at least
    /// `BlockCache.minimumByteCount` bytes without policy, huge pages or pinning while enabled).
    /// - Throws: `TesselError.invalidParameter` for a negative `byteCount`;
    ///   `TesselError.outOfMemory` naming the size and the policy when `byteCount` exceeds
    ///   `physicalMemoryByteCount`, when the block would take `budget` beyond its limit
    ///   (naming the limit, its source, the bytes held and the request) or the system refuses
    ///   (the mapping, the policy, or populating a partitioned slice); `TesselError.system`
    ///   when the block cannot be pinned and `pinning` is `.throwError`.
    public func allocate(byteCount: Int, rows: Int = 1) throws -> MemoryBlock {
        try allocate(byteCount: byteCount, rows: rows, overdrawing: false)
    }

    /// `allocate(byteCount:rows:)`; with `overdrawing`, the block is counted in `budget`
    /// without being refused by its limit (a tensor's copy-on-write, which cannot throw).
    func allocate(byteCount: Int, rows: Int, overdrawing: Bool) throws -> MemoryBlock {
        guard byteCount >= 0 else {
            throw TesselError.invalidParameter(component: "Allocator", parameter: "byteCount", value: "\(byteCount)", reason: "must not be negative")
        }
        guard byteCount <= Allocator.physicalMemoryByteCount else {
            throw outOfMemory(byteCount, "larger than the machine's physical memory of \(Allocator.physicalMemoryByteCount) bytes")
        }
        let placed = (topology?.isAvailable ?? false) && byteCount >= Allocator.minimumPlacedByteCount ? policy : nil
        let huge = hugePages && byteCount >= Allocator.hugePageSize
        guard placed != nil || huge || pinning != nil else {
            if byteCount >= BlockCache.minimumByteCount && cache.isEnabled {
                return try reusableBlock(byteCount: byteCount, rows: rows, overdrawing: overdrawing)
            }
            let counted = MemoryBlock.heapByteCount(byteCount)
            try reserve(counted, for: byteCount, overdrawing: overdrawing)
            var pointer: UnsafeMutableRawPointer?
            let status = posix_memalign(&pointer, Allocator.alignment, counted)
            guard status == 0, let pointer else {
                budget.release(counted)
                throw TesselError.outOfMemory(bytes: byteCount, policy: description,
                                              reason: "posix_memalign: \(String(cString: strerror(status)))")
            }
            return MemoryBlock(baseAddress: pointer, byteCount: byteCount, storage: .heap, allocator: self, rows: rows)
        }
        return try map(byteCount: byteCount, rows: max(1, rows), policy: placed, huge: huge, overdrawing: overdrawing)
    }

    /// Counts `bytes` in `budget` for a block of `byteCount` bytes; when the limit refuses
    /// them, the cache's idle blocks are released and the request is tried once more.
    /// - Throws: `TesselError.outOfMemory` with the budget's reason when it still refuses.
    private func reserve(_ bytes: Int, for byteCount: Int, overdrawing: Bool) throws {
        if overdrawing {
            budget.overdraw(bytes)
            return
        }
        if budget.reserve(bytes) { return }
        cache.releaseIdleBlocks()
        if budget.reserve(bytes) { return }
        throw outOfMemory(byteCount, budget.refusal(of: bytes))
    }

    /// A block of whole pages for `cache`: an idle one of the same length (already counted in
    /// `budget`), else a fresh mapping.
    private func reusableBlock(byteCount: Int, rows: Int, overdrawing: Bool) throws -> MemoryBlock {
        let length = Allocator.wholeGranules(byteCount, granule: Allocator.pageSize)
        let base: UnsafeMutableRawPointer
        if let idle = cache.take(length: length) {
            base = idle
        } else {
            try reserve(length, for: byteCount, overdrawing: overdrawing)
            do {
                base = try mapAnonymous(length: length, for: byteCount)
            } catch {
                budget.release(length)
                throw error
            }
        }
        return MemoryBlock(baseAddress: base, byteCount: byteCount, storage: .cached(length: length, cache: cache), allocator: self, rows: rows)
    }

    /// `byteCount` rounded up to whole granules (pages or huge pages), at least one.
    private static func wholeGranules(_ byteCount: Int, granule: Int) -> Int {
        (max(byteCount, 1) + granule - 1) / granule * granule
    }

    /// A fresh private anonymous mapping of `length` bytes (zero-filled).
    /// - Throws: `TesselError.outOfMemory` for the block of `byteCount` bytes when `mmap` refuses.
    private func mapAnonymous(length: Int, for byteCount: Int) throws -> UnsafeMutableRawPointer {
        guard let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              base != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw outOfMemory(byteCount, "mmap: \(String(cString: strerror(errno)))")
        }
        return base
    }

    /// A block in an anonymous mapping of its own, with the policy, huge-page advice and
    /// pinning applied in that order (pages are placed when first touched, then locked). The
    /// block's `length` is counted in `budget` until it is unmapped.
    private func map(byteCount: Int, rows: Int, policy: NumaPolicy?, huge: Bool, overdrawing: Bool) throws -> MemoryBlock {
        let granule = huge ? Allocator.hugePageSize : Allocator.pageSize
        guard byteCount <= Int.max - 2 * granule else { throw outOfMemory(byteCount, "size overflows Int") }
        let length = Allocator.wholeGranules(byteCount, granule: granule)
        let reserved = huge ? length + granule : length
        try reserve(length, for: byteCount, overdrawing: overdrawing)
        var isCounted = true
        defer { if isCounted { budget.release(length) } }
        let raw = try mapAnonymous(length: reserved, for: byteCount)
        // A huge-page block is cut out of a larger mapping so that it starts on a 2 MiB boundary.
        let head = huge ? (granule - Int(bitPattern: UInt(bitPattern: raw)) % granule) % granule : 0
        if head > 0 { munmap(raw, head) }
        if reserved - head - length > 0 { munmap(raw + head + length, reserved - head - length) }
        let base = raw + head
        let advised = huge && madvise(base, length, MADV_HUGEPAGE) == 0
        if let policy {
            if let reason = apply(policy, to: base, length: length, byteCount: byteCount, rows: rows) {
                munmap(base, length)
                throw outOfMemory(byteCount, reason)
            }
        }
        var pinned = false
        if let pinning {
            if let reason = Pinning.pin(base, length: length) {
                let message = "cannot pin \(length) bytes (allocator \(description)): \(reason)"
                guard pinning == .warnAndContinue else {
                    munmap(base, length)
                    throw TesselError.system(operation: "mlock", reason: message)
                }
                Pinning.warn(message + "; the block stays unpinned")
            } else {
                pinned = true
            }
        }
        isCounted = false  // From here the block releases its count when it is unmapped.
        return MemoryBlock(baseAddress: base, byteCount: byteCount, storage: .mapping(length: length), allocator: self,
                           rows: rows, policy: policy, isPinned: pinned, isHugePageAdvised: advised)
    }

    /// Applies `policy` to the fresh mapping `[base, base + length)`.
    /// - Returns: nil on success, else why the system refused.
    private func apply(_ policy: NumaPolicy, to base: UnsafeMutableRawPointer, length: Int, byteCount: Int, rows: Int) -> String? {
        switch policy {
        case .local:
            return NumaSystem.setPolicy(MPOL_LOCAL, nodes: [], address: base, length: length).map { "mbind(MPOL_LOCAL): \($0)" }
        case let .bind(node):
            return NumaSystem.setPolicy(MPOL_BIND, nodes: [node], address: base, length: length).map { "mbind(MPOL_BIND): \($0)" }
        case let .interleave(nodes):
            return NumaSystem.setPolicy(MPOL_INTERLEAVE, nodes: nodes, address: base, length: length)
                .map { "mbind(MPOL_INTERLEAVE): \($0)" }
        case .partitioned:
            let page = Allocator.pageSize
            let slices = policy.pageSlices(byteCount: byteCount, rows: rows, pageSize: page)
            for slice in slices {
                let address = base + slice.pages.lowerBound * page, sliceLength = slice.pages.count * page
                if let reason = NumaSystem.setPolicy(MPOL_PREFERRED, nodes: [slice.node], address: address, length: sliceLength) {
                    return "mbind(MPOL_PREFERRED) of the slice on node \(slice.node): \(reason)"
                }
            }
            return firstTouch(slices, base: base)
        }
    }

    /// Touches the pages of each slice from a thread bound to the slice's node, so that they
    /// are placed by the node that owns them even where its preference cannot hold them all.
    /// The calling thread's affinity is restored afterwards.
    private func firstTouch(_ slices: [(node: Int, pages: Range<Int>)], base: UnsafeMutableRawPointer) -> String? {
        let page = Allocator.pageSize
        let cpusOfNode = Dictionary(uniqueKeysWithValues: (topology?.nodes ?? []).map { ($0.id, CPUSet($0.cpus)) })
        var binding = ThreadBinding()
        defer { binding.restore() }
        for (part, slice) in slices.enumerated() {
            binding.bind(part: part, cpus: cpusOfNode[slice.node] ?? CPUSet())
            let address = base + slice.pages.lowerBound * page, length = slice.pages.count * page
            // MADV_POPULATE_WRITE (Linux 5.14) reports a refusal as ENOMEM instead of a fault;
            // older kernels reject the advice, and then each page is written once instead.
            if madvise(address, length, MADV_POPULATE_WRITE) != 0 {
                guard errno == EINVAL else {
                    return "populating the slice on node \(slice.node): \(String(cString: strerror(errno)))"
                }
                for offset in stride(from: 0, to: length, by: page) { address.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self) }
            }
        }
        return nil
    }

    private func outOfMemory(_ byteCount: Int, _ reason: String) -> TesselError {
        .outOfMemory(bytes: byteCount, policy: description, reason: reason)
    }
}
