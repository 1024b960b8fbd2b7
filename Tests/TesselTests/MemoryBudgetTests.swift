import Foundation
import Testing
@testable import Tessel

/// The memory budget in-process, on budgets and caches of their own (the shared budget is the
/// whole test process's): counting on every allocator path, refusal naming the limit, idle
/// cached blocks released before a refusal; sizes, cgroup files and the limit's sources.
@Suite struct MemoryBudgetTests {
    static func budget(_ bytes: Int) -> MemoryBudget {
        MemoryBudget(limit: MemoryLimit(bytes: bytes, source: "the test's limit"))
    }

    @Test func everyBlockIsCountedUntilItIsReleased() throws {
        let budget = Self.budget(1 << 30)
        let allocator = Allocator(cache: BlockCache(budget: budget))
        do {
            let small = try allocator.allocate(byteCount: 100)
            #expect(budget.heldByteCount == 100)
            let large = try allocator.allocate(byteCount: 100_000)  // the heap: the cache is disabled
            #expect(budget.heldByteCount == 100_100)
            _ = (small, large)
        }
        #expect(budget.heldByteCount == 0)
    }

    @Test func mappedBlocksCountTheirWholePages() throws {
        let budget = Self.budget(1 << 30)
        let cache = BlockCache(budget: budget)
        cache.enable(capacity: 1 << 20)
        let allocator = Allocator(cache: cache)
        let page = Allocator.pageSize
        do {
            let block = try allocator.allocate(byteCount: 65 << 10)
            #expect(budget.heldByteCount == (65 << 10 + page - 1) / page * page)
            _ = block
        }
        // Idle in the cache, the pages are still held; released, they are not.
        #expect(budget.heldByteCount == cache.cachedByteCount && cache.cachedByteCount > 0)
        cache.releaseIdleBlocks()
        #expect(budget.heldByteCount == 0 && cache.cachedByteCount == 0)
    }

    @Test func aRequestBeyondTheLimitThrowsNamingTheLimitTheHeldBytesAndTheRequest() throws {
        let budget = Self.budget(256 << 10)
        let allocator = Allocator(cache: BlockCache(budget: budget))
        let first = try allocator.allocate(byteCount: 200 << 10)
        #expect {
            _ = try allocator.allocate(byteCount: 100 << 10)
        } throws: { error in
            guard case let .outOfMemory(bytes, _, reason) = error as? TesselError else { return false }
            return bytes == 100 << 10 && reason.contains("memory limit of \(256 << 10) bytes (the test's limit)")
                && reason.contains("Tessel holds \(200 << 10) bytes") && reason.contains("needs \(100 << 10) more")
        }
        #expect(budget.heldByteCount == 200 << 10, "a refused request must not stay counted")
        _ = first
        // Several blocks that each fit but together do not: the last one is refused.
        let blocks = try (0..<4).map { _ in try allocator.allocate(byteCount: 10 << 10) }
        #expect(throws: TesselError.self) { try allocator.allocate(byteCount: 20 << 10) }
        _ = blocks
    }

    @Test func idleCachedBlocksAreReleasedBeforeARequestIsRefused() throws {
        let budget = Self.budget(1 << 20)
        let cache = BlockCache(budget: budget)
        cache.enable(capacity: 1 << 20)
        let allocator = Allocator(cache: cache)
        for size in [300 << 10, 400 << 10] { _ = try allocator.allocate(byteCount: size) }
        #expect(cache.cachedByteCount == 700 << 10)
        // 700 KiB idle + 600 KiB exceeds 1 MiB: granted only because the idle blocks go first.
        let block = try allocator.allocate(byteCount: 600 << 10)
        #expect(cache.cachedByteCount == 0 && budget.heldByteCount == 600 << 10)
        _ = block
    }

    @Test(arguments: [try! Allocator(policy: nil, hugePages: true), try! Allocator(policy: .local)])
    func placedAndHugePageBlocksAreCountedInTheSharedBudget(allocator: Allocator) throws {
        #expect(allocator.budget === MemoryBudget.shared)
        // Other tests allocate concurrently: only a lower bound on the change is certain.
        let block = try allocator.allocate(byteCount: 4 << 20)
        #expect(MemoryBudget.shared.heldByteCount >= 4 << 20)
        _ = block
    }

    /// Memory outside the allocators (a file being decoded) is checked against the room left,
    /// not counted.
    @Test func checkingRoomCountsNothing() throws {
        let budget = Self.budget(1000)
        try budget.checkRoom(for: 1000, what: "reading 'f.npy'")
        #expect(budget.heldByteCount == 0)
        #expect {
            try budget.checkRoom(for: 1001, what: "reading 'f.npy'")
        } throws: { error in
            guard case let .outOfMemory(bytes, _, reason) = error as? TesselError else { return false }
            return bytes == 1001 && reason.hasPrefix("reading 'f.npy': beyond the memory limit of 1000 bytes")
        }
    }

    /// A copy-on-write cannot throw: it overdraws the budget instead of trapping, and the
    /// next fresh request is refused.
    @Test func aCopyOnWriteOverdrawsTheBudgetInsteadOfTrapping() throws {
        let tight = Self.budget(4096)
        let allocator = Allocator(cache: BlockCache(budget: tight))
        var tensor = try Tensor<Float>(shape: [1000], allocator: allocator)
        let shared = tensor
        tensor.withUnsafeMutableBufferPointer { $0[0] = 1 }
        #expect(tight.heldByteCount == 8000 && shared[0] == 0 && tensor[0] == 1)
        #expect(throws: TesselError.self) { _ = try Tensor<Float>(shape: [10], allocator: allocator) }
    }

    @Test(arguments: [("536870912", MemorySize.bytes(536_870_912)), ("512MiB", .bytes(512 << 20)), ("512M", .bytes(512 << 20)),
                      ("1.5GiB", .bytes(3 << 29)), ("2 GiB", .bytes(2 << 30)), ("75%", .percent(75)), ("100%", .percent(100))])
    func memorySizesParse(text: String, size: MemorySize) {
        #expect(MemorySize(parsing: text) == size)
    }

    @Test(arguments: ["", "0", "-5", "abc", "12XB", "101%", "0%", "99999999999TiB", "1.5"])
    func badMemorySizesDoNotParse(text: String) {
        #expect(MemorySize(parsing: text) == nil)
    }

    @Test func theSettingIsDecodedAndTheEnvironmentOverridesIt() throws {
        let settings = try RuntimeSettings.decode(Array(#"{"memoryLimit": "64MiB"}"#.utf8), source: "runtime.json")
        #expect(settings.memoryLimit == .bytes(64 << 20))
        #expect(try RuntimeSettings.decode(Array(#"{"memoryLimit": 4096}"#.utf8), source: "r").memoryLimit == .bytes(4096))
        #expect(throws: TesselError.self) { try RuntimeSettings.decode(Array(#"{"memoryLimit": "lots"}"#.utf8), source: "r") }
        #expect(throws: TesselError.self) { try RuntimeSettings.decode(Array(#"{"memoryLimit": 0}"#.utf8), source: "r") }
        for limit in [MemorySize.percent(75), .bytes(12345)] {
            let encoded = try JSONEncoder().encode(RuntimeSettings(memoryLimit: limit))
            #expect(try RuntimeSettings.decode(Array(encoded), source: "encoded").memoryLimit == limit)
        }

        let fromSetting = try MemoryLimit.lowest(setting: .bytes(64 << 20), settingSource: "runtime.memoryLimit in r.json", environment: [:])
        #expect(fromSetting == MemoryLimit(bytes: 64 << 20, source: "runtime.memoryLimit in r.json = \(64 << 20) bytes"))
        let fromEnvironment = try MemoryLimit.lowest(setting: .bytes(64 << 20), settingSource: "s", environment: ["TESSEL_MEMORY_LIMIT": "32MiB"])
        #expect(fromEnvironment == MemoryLimit(bytes: 32 << 20, source: "TESSEL_MEMORY_LIMIT=32MiB"))
        let half = try MemoryLimit.lowest(setting: .percent(50), settingSource: "s", environment: [:])
        #expect(half.bytes == MemoryLimit.available / 2 && half.source.contains("50.0%"))
        #expect(throws: TesselError.configuration(source: "environment", key: "TESSEL_MEMORY_LIMIT", reason: MemorySize.expectation("abc"))) {
            try MemoryLimit.lowest(setting: nil, settingSource: "s", environment: ["TESSEL_MEMORY_LIMIT": "abc"])
        }
        // Without a setting, the system's limits apply: never above physical memory less its headroom.
        let system = try MemoryLimit.lowest(setting: .bytes(Int.max), settingSource: "s", environment: [:])
        let physical = Allocator.physicalMemoryByteCount
        #expect(system.bytes <= physical - MemoryLimit.headroom(of: physical))
    }

    @Test func theLowestCgroupLimitOnThePathApplies() {
        let mounts = """
            30 24 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate
            36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory
            37 25 0:32 / /sys/fs/cgroup/cpu rw,relatime shared:15 - cgroup cgroup rw,cpu
            """
        let files = ["/sys/fs/cgroup/a/memory.max": "max\n", "/sys/fs/cgroup/a/b/memory.max": "1073741824\n",
                     "/sys/fs/cgroup/memory/x/memory.limit_in_bytes": "536870912\n",
                     "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"]
        let v2 = CgroupMemory.limit(groups: "0::/a/b\n", mounts: mounts) { files[$0] }
        #expect(v2 == CgroupMemory.Limit(bytes: 1 << 30, file: "/sys/fs/cgroup/a/b/memory.max"))
        let hybrid = CgroupMemory.limit(groups: "4:memory:/x\n1:cpu:/\n0::/a/b\n", mounts: mounts) { files[$0] }
        #expect(hybrid == CgroupMemory.Limit(bytes: 1 << 29, file: "/sys/fs/cgroup/memory/x/memory.limit_in_bytes"))
        #expect(CgroupMemory.limit(groups: "0::/a\n", mounts: mounts) { files[$0] } == nil, "'max' is no limit")
        #expect(CgroupMemory.limit(groups: "4:memory:/\n", mounts: mounts) { files[$0] } == nil, "the v1 root's huge value is no limit")
    }
}
