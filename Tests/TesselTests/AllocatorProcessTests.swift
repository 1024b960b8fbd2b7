import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Tessel

/// Tests that change or measure process-wide state (the memlock limit, locked and resident
/// memory), one at a time. No other test pins memory.
@Suite(.serialized) struct AllocatorProcessTests {
    private static let memlock = Int32(__RLIMIT_MEMLOCK.rawValue)

    /// Runs `body` with the soft memlock limit lowered to `bytes`, and restores it.
    private func withMemlockLimit(_ bytes: Int, _ body: () throws -> Void) throws {
        var saved = rlimit()
        try #require(getrlimit(Self.memlock, &saved) == 0)
        var lowered = saved
        lowered.rlim_cur = rlim_t(bytes)
        try #require(setrlimit(Self.memlock, &lowered) == 0)
        defer { setrlimit(Self.memlock, &saved) }
        try body()
    }

    /// Whether `mlock` locks anything in this process: AddressSanitizer replaces `mlock` and
    /// `munlock` with calls that succeed and lock nothing, so the kernel's count cannot agree.
    private static let mlockTakesEffect: Bool = {
        let size = Allocator.pageSize
        guard let page = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), page != MAP_FAILED else {
            return false
        }
        defer { munmap(page, size) }
        let before = KernelMemory.lockedBytes()
        guard mlock(page, size) == 0 else { return false }
        defer { munlock(page, size) }
        return KernelMemory.lockedBytes() > before
    }()

    @Test(.enabled(if: mlockTakesEffect, "mlock locks nothing in this process (AddressSanitizer intercepts it)"))
    func pinnedBlocksAreLockedAndUnlockedOnRelease() throws {
        try withMemlockLimit(8 << 20) {
            let lockedBefore = KernelMemory.lockedBytes(), pinnedBefore = Allocator.pinnedByteCount
            let sizes = [100, 300_000, 3 << 20]
            do {
                let allocator = try Allocator(policy: .bind(node: 0), hugePages: true, pinning: .throwError)
                let blocks = try sizes.map { try allocator.allocate(byteCount: $0) }
                #expect(blocks.allSatisfy { $0.isPinned })
                let pagesLocked = sizes.map { ($0 + Allocator.pageSize - 1) / Allocator.pageSize * Allocator.pageSize }.reduce(0, +)
                #expect(Allocator.pinnedByteCount - pinnedBefore >= pagesLocked)
                // The kernel agrees (VmLck) — as root too, since the limit check is Tessel's own.
                #expect(KernelMemory.lockedBytes() - lockedBefore >= pagesLocked)
                for block in blocks { #expect(UInt(bitPattern: block.baseAddress) % UInt(Allocator.alignment) == 0) }
            }
            #expect(Allocator.pinnedByteCount == pinnedBefore)
            #expect(KernelMemory.lockedBytes() == lockedBefore)
        }
    }

    // What this proves: with RLIMIT_MEMLOCK lowered inside this process, a pin beyond it takes
    // the chosen path. Root (CAP_IPC_LOCK) could lock past the limit, so the refusal here comes
    // from Tessel's own accounting against the limit, which applies to every process alike; a
    // refusal by mlock itself (an unprivileged process) takes the same code path after it.
    @Test func aPinBeyondTheMemlockLimitThrowsWhenAskedTo() throws {
        try withMemlockLimit(1 << 20) {
            let allocator = try Allocator(policy: nil, pinning: .throwError)
            #expect {
                _ = try allocator.allocate(byteCount: 4 << 20)
            } throws: { error in
                guard case let .system(operation, reason) = error as? TesselError else { return false }
                return operation == "mlock" && reason.contains("4194304 bytes") && reason.contains("1048576")
            }
            #expect(Allocator.pinnedByteCount == 0)
            // The limit counts what is pinned already: 768 KiB fits, another 512 KiB does not.
            let first = try allocator.allocate(byteCount: 768 << 10)
            #expect(first.isPinned)
            #expect(throws: TesselError.self) { _ = try allocator.allocate(byteCount: 512 << 10) }
        }
        #expect(Allocator.pinnedByteCount == 0)
    }

    @Test func aPinBeyondTheMemlockLimitWarnsAndContinuesWhenAskedTo() throws {
        try withMemlockLimit(1 << 20) {
            let lockedBefore = KernelMemory.lockedBytes()
            let block = try Allocator(policy: .local, pinning: .warnAndContinue).allocate(byteCount: 4 << 20)
            #expect(!block.isPinned)
            #expect(Allocator.pinnedByteCount == 0)
            #expect(KernelMemory.lockedBytes() == lockedBefore)
            block.baseAddress.initializeMemory(as: UInt8.self, repeating: 7, count: block.byteCount)
            #expect(block.baseAddress.load(fromByteOffset: block.byteCount - 1, as: UInt8.self) == 7)
        }
    }

    @Test func tenGibibytesAllocatedAndFreedKeepTheResidentSetFlat() throws {
        // Most with huge pages: 4 KiB page faults cost ~5 µs each on this VM, and 10 GiB of
        // them would take 13 s; the heap and one 4 KiB-page policy keep their share.
        let allocators: [Allocator] = [
            .standard, try Allocator(policy: .local), try Allocator(policy: .bind(node: 0), hugePages: true),
            try Allocator(policy: .interleave(nodes: [0]), hugePages: true), try Allocator(policy: .partitioned(nodes: [0]), hugePages: true),
            try Allocator(policy: nil, hugePages: true), Allocator(mode: .partitioned, hugePages: true),
        ]
        let byteCount = 256 << 20
        // One round first, so that the heap's own bookkeeping is in place before measuring.
        for allocator in allocators { _ = try allocator.allocate(byteCount: byteCount, rows: 8) }
        let before = KernelMemory.residentBytes()
        var peak = 0
        for round in 0..<40 {
            let block = try allocators[round % allocators.count].allocate(byteCount: byteCount, rows: 8)
            // One write per page faults every page in: the cost is the kernel's, not memset's.
            for offset in stride(from: 0, to: byteCount, by: Allocator.pageSize) {
                block.baseAddress.storeBytes(of: UInt8(truncatingIfNeeded: round), toByteOffset: offset, as: UInt8.self)
            }
            peak = max(peak, KernelMemory.residentBytes())
        }
        let after = KernelMemory.residentBytes()
        #expect(peak - before >= byteCount / 2, "the blocks were really touched")
        #expect(after - before < 64 << 20, "resident set grew from \(before >> 20) MiB to \(after >> 20) MiB")
    }
}
