@preconcurrency import CNuma
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Tessel

/// Placement read back from the kernel (`get_mempolicy`, `move_pages`), not from the allocator.
/// These need libnuma to work here (a container may forbid memory policies); the degraded
/// path is checked in `NumaUnavailableTests`.
@Suite(.enabled(if: Topology.current.isAvailable, "libnuma is unavailable here"))
struct NumaPlacementTests {
    private let pageCount = 40
    private var byteCount: Int { pageCount * Allocator.pageSize }

    @Test func bindPagesAreOnTheirNode() throws {
        let block = try Allocator(policy: .bind(node: 0)).allocate(byteCount: byteCount)
        #expect(block.policy == .bind(node: 0))
        #expect(KernelMemory.policyMode(at: block.baseAddress) == MPOL_BIND)
        // Untouched pages have no node yet: the policy decides at first touch.
        #expect(KernelMemory.pageStatus(block.baseAddress, count: pageCount).allSatisfy { $0 == -ENOENT })
        block.baseAddress.initializeMemory(as: UInt8.self, repeating: 1, count: byteCount)
        for page in 0..<pageCount {
            #expect(KernelMemory.node(ofPageAt: block.baseAddress + page * Allocator.pageSize) == 0)
        }
        #expect(KernelMemory.pageStatus(block.baseAddress, count: pageCount) == Array(repeating: 0, count: pageCount))
    }

    @Test func interleaveReportsTheInterleavePolicy() throws {
        let block = try Allocator(policy: .interleave(nodes: [0])).allocate(byteCount: byteCount)
        #expect(block.policy == .interleave(nodes: [0]))
        #expect(KernelMemory.policyMode(at: block.baseAddress) == MPOL_INTERLEAVE)
        #expect(KernelMemory.policyMode(at: block.baseAddress + byteCount - 1) == MPOL_INTERLEAVE)
    }

    @Test func localReportsTheLocalPolicyAndPlainMemoryTheDefault() throws {
        let local = try Allocator(policy: .local).allocate(byteCount: byteCount)
        #expect(KernelMemory.policyMode(at: local.baseAddress) == MPOL_LOCAL)
        // A mapped block without policy (huge pages only) keeps the default policy.
        let plain = try Allocator(policy: nil, hugePages: true).allocate(byteCount: Allocator.hugePageSize)
        #expect(KernelMemory.policyMode(at: plain.baseAddress) == MPOL_DEFAULT)
    }

    @Test(arguments: [1, 3, 7, 40])
    func partitionedSlicesArePreferredOnTheirNodeAndTouchedAlready(rows: Int) throws {
        let policy = NumaPolicy.partitioned(nodes: Topology.current.nodeIDs)
        let block = try Allocator(policy: policy).allocate(byteCount: byteCount, rows: rows)
        #expect(block.policy == policy)
        let slices = policy.pageSlices(byteCount: byteCount, rows: rows, pageSize: Allocator.pageSize)
        #expect(slices.map(\.pages.count).reduce(0, +) == pageCount)
        // The allocator populated every page from the owning node: move_pages finds them all
        // present, each on its slice's node, before this test touches anything.
        let status = KernelMemory.pageStatus(block.baseAddress, count: pageCount)
        #expect(status.count == pageCount)
        for slice in slices {
            #expect(KernelMemory.policyMode(at: block.baseAddress + slice.pages.lowerBound * Allocator.pageSize) == MPOL_PREFERRED)
            for page in slice.pages {
                #expect(status[page] == Int32(slice.node), "page \(page) of the slice on node \(slice.node)")
            }
        }
    }

    /// `PagePlacement` (what `tessel numa-check` reads) agrees with the kernel's answers read here.
    @Test func pagePlacementReportsTheKernelsNodesAndPolicy() throws {
        let block = try Allocator(policy: .bind(node: 0)).allocate(byteCount: byteCount)
        #expect(try PagePlacement.nodes(ofPages: block.baseAddress, count: pageCount) == Array(repeating: -Int(ENOENT), count: pageCount))
        block.baseAddress.initializeMemory(as: UInt8.self, repeating: 1, count: byteCount)
        #expect(try PagePlacement.nodes(ofPages: block.baseAddress, count: pageCount) == Array(repeating: 0, count: pageCount))
        #expect(try PagePlacement.policyName(at: block.baseAddress) == "bind")
        let local = try Allocator(policy: .local).allocate(byteCount: byteCount)
        #expect(try PagePlacement.policyName(at: local.baseAddress) == "local")
        let interleaved = try Allocator(policy: .interleave(nodes: [0])).allocate(byteCount: byteCount)
        #expect(try PagePlacement.policyName(at: interleaved.baseAddress) == "interleave")
        #expect(try PagePlacement.nodes(ofPages: block.baseAddress, count: 0) == [])
    }

    @Test func modesOnThisMachineDegradeWhenItHasOneNode() {
        let topology = Topology.current
        for mode in NumaMode.allCases {
            let allocator = Allocator(mode: mode)
            #expect(allocator.policy == (topology.isMultiNode ? mode.policy(overNodes: topology.nodeIDs) : nil))
            #expect((TilePlacement(mode: mode) != nil) == (topology.isMultiNode && mode == .partitioned))
        }
    }
}

/// NUMA forced unavailable: every policy degrades to aligned memory, nothing is bound.
@Suite struct NumaUnavailableTests {
    @Test(arguments: [NumaPolicy.local, .bind(node: 0), .interleave(nodes: [0]), .partitioned(nodes: [0])])
    func policiesDegradeToAlignedMemory(policy: NumaPolicy) throws {
        let allocator = try Allocator(policy: policy, topology: .unavailable)
        let block = try allocator.allocate(byteCount: 1 << 20, rows: 4)
        #expect(block.policy == nil)
        #expect(UInt(bitPattern: block.baseAddress) % UInt(Allocator.alignment) == 0)
    }

    @Test func theUnavailableTopologyHasOneNodeWithTheThreadsCPUs() {
        let topology = Topology.unavailable
        #expect(!topology.isAvailable && !topology.isMultiNode)
        #expect(topology.nodeIDs == [0])
        #expect(topology.nodes[0].cpus == CPUSet.currentThread().cpus)
        #expect(topology.nodes[0].memoryBytes > 0)
        #expect(topology.distances == [[10]])
    }

    @Test func modesDegradeWithoutLibnumaEvenOnManyNodes() throws {
        let topology = try CodeTopology.nodes([0, 1], isAvailable: false)
        for mode in NumaMode.allCases {
            #expect(mode.policy(for: topology) == nil)
            #expect(Allocator(mode: mode, topology: topology).policy == nil)
            #expect(TilePlacement(mode: mode, topology: topology) == nil)
        }
    }
}
