import Testing
@testable import Tessel

/// Allocators under every policy, with and without huge pages (pinning lives in the
/// serialized `AllocatorProcessTests`, since it changes a process-wide limit).
private let allocators: [Allocator] = {
    let policies: [NumaPolicy?] = [nil, .local, .bind(node: 0), .interleave(nodes: [0]), .partitioned(nodes: [0])]
    var result: [Allocator] = []
    for policy in policies {
        for hugePages in [false, true] {
            result.append(try! Allocator(policy: policy, hugePages: hugePages))
        }
        result.append(try! Allocator(policy: policy, topology: .unavailable))
    }
    return result + NumaMode.allCases.map { Allocator(mode: $0) } + [.standard]
}()

private let sizes = [0, 1, 63, 64, 65, 4095, 4096, 65_535, 65_536, 100_003, (2 << 20) - 1, 2 << 20, (5 << 20) + 7]

@Suite struct AllocatorTests {
    @Test(arguments: allocators)
    func everyBlockIsAlignedAndUsable(allocator: Allocator) throws {
        for byteCount in sizes {
            for rows in [1, 7] {
                let block = try allocator.allocate(byteCount: byteCount, rows: rows)
                let address = UInt(bitPattern: block.baseAddress)
                #expect(address % UInt(Allocator.alignment) == 0, "\(allocator) \(byteCount) bytes at \(address)")
                #expect(block.byteCount == byteCount)
                if block.isHugePageAdvised {
                    #expect(address % UInt(Allocator.hugePageSize) == 0, "\(allocator) \(byteCount) bytes")
                }
                if byteCount > 1 {
                    block.baseAddress.storeBytes(of: 0xA5, as: UInt8.self)
                    block.baseAddress.storeBytes(of: 0x5A, toByteOffset: byteCount - 1, as: UInt8.self)
                    #expect(block.baseAddress.load(as: UInt8.self) == 0xA5)
                    #expect(block.baseAddress.load(fromByteOffset: byteCount - 1, as: UInt8.self) == 0x5A)
                }
            }
        }
    }

    @Test(arguments: allocators)
    func policyIsAppliedOnlyWhereItCanBe(allocator: Allocator) throws {
        let small = try allocator.allocate(byteCount: Allocator.minimumPlacedByteCount - 1)
        #expect(small.policy == nil)
        let large = try allocator.allocate(byteCount: Allocator.minimumPlacedByteCount)
        let expected = (allocator.topology?.isAvailable ?? false) ? allocator.policy : nil
        #expect(large.policy == expected, "\(allocator)")
        #expect(!large.isPinned)
    }

    @Test(.enabled(if: KernelMemory.text(of: "/sys/kernel/mm/transparent_hugepage/enabled") != nil,
                   "the kernel has no transparent huge pages"))
    func hugePagesAreAdvisedFromTwoMebibytes() throws {
        let allocator = try Allocator(policy: nil, hugePages: true)
        let below = try allocator.allocate(byteCount: Allocator.hugePageSize - 1)
        #expect(!below.isHugePageAdvised)
        let block = try allocator.allocate(byteCount: 2 * Allocator.hugePageSize + 5)
        #expect(block.isHugePageAdvised)
        #expect(UInt(bitPattern: block.baseAddress) % UInt(Allocator.hugePageSize) == 0)
        // "hg" is the kernel's mark of MADV_HUGEPAGE on the mapping.
        let flags = try #require(KernelMemory.vmFlags(at: block.baseAddress))
        #expect(flags.contains("hg"), "VmFlags: \(flags)")
        let plain = try Allocator(policy: .bind(node: 0)).allocate(byteCount: 2 * Allocator.hugePageSize)
        #expect(!plain.isHugePageAdvised)
        #expect(!(KernelMemory.vmFlags(at: plain.baseAddress) ?? []).contains("hg"))
    }

    @Test(arguments: allocators)
    func aRefusedAllocationThrowsOutOfMemoryNamingSizeAndPolicy(allocator: Allocator) {
        for byteCount in [Int.max / 2, Int.max - 1] {
            #expect {
                _ = try allocator.allocate(byteCount: byteCount, rows: 4)
            } throws: { error in
                guard case let .outOfMemory(bytes, policy, reason) = error as? TesselError else { return false }
                return bytes == byteCount && policy == allocator.description && !reason.isEmpty
            }
        }
    }

    @Test func outOfMemoryMessageNamesSizeAndPolicy() {
        let error = TesselError.outOfMemory(bytes: 12, policy: "bind(0)", reason: "mmap: Cannot allocate memory")
        #expect(error.description == "out of memory: could not allocate 12 bytes with policy bind(0): mmap: Cannot allocate memory")
    }

    @Test(arguments: [
        (NumaPolicy.bind(node: 7), "node 7 is not a node"),
        (.interleave(nodes: [0, 3]), "node 3 is not a node"),
        (.partitioned(nodes: []), "names no node"),
        (.interleave(nodes: []), "names no node"),
        (.partitioned(nodes: [0, 0]), "names a node twice"),
    ])
    func policiesNamingUnknownNodesAreRejected(policy: NumaPolicy, reason: String) {
        #expect {
            _ = try Allocator(policy: policy, topology: .current)
        } throws: { error in
            guard case let .invalidParameter(layer, parameter, value, why) = error as? TesselError else { return false }
            return layer == "Allocator" && parameter == "policy" && value == policy.description && why.contains(reason)
        }
    }

    @Test func descriptionsNameThePolicy() throws {
        #expect(Allocator.standard.description == "aligned")
        #expect(try Allocator(policy: .interleave(nodes: [0]), hugePages: true, pinning: .throwError).description
                == "interleave(0)+hugepages+pinned")
        #expect(NumaPolicy.partitioned(nodes: [0, 2]).description == "partitioned(0,2)")
        #expect(NumaPolicy.bind(node: 1).description == "bind(1)")
        #expect(NumaPolicy.local.description == "local")
    }

    @Test func tensorsTakeTheirBatchFromTheShapeAndCopiesKeepThePlacement() throws {
        let allocator = try Allocator(policy: .partitioned(nodes: [0]))
        var tensor = try Tensor<Float>(shape: [9, 64, 64], repeating: 1, allocator: allocator)
        #expect(tensor.block.rows == 9)
        let original = tensor
        tensor[0, 0, 0] = 2  // copy on write
        #expect(tensor.block !== original.block)
        #expect(tensor.block.rows == 9)
        #expect(tensor.block.policy == original.block.policy)
        #expect(original[0, 0, 0] == 1 && tensor[0, 0, 0] == 2)
    }
}

extension Allocator: CustomTestStringConvertible {
    public var testDescription: String { description + ((topology?.isAvailable ?? true) ? "" : " (NUMA unavailable)") }
}

extension AllocatorTests {
    /// A tensor larger than the machine's memory throws from every allocator path, whatever
    /// the kernel's overcommit setting (it is refused before the system is asked).
    @Test(arguments: [Allocator.standard, try! Allocator(policy: .local), try! Allocator(policy: nil, hugePages: true)])
    func aTensorLargerThanTheMachineThrows(allocator: Allocator) {
        let elements = Allocator.physicalMemoryByteCount / MemoryLayout<Float>.stride + 1
        #expect {
            _ = try Tensor<Float>(shape: [elements], allocator: allocator)
        } throws: { error in
            guard case let .outOfMemory(bytes, _, reason) = error as? TesselError else { return false }
            return bytes == elements * MemoryLayout<Float>.stride && reason.contains("physical memory")
        }
    }
}
