import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Tessel

/// `tessel topology [--json]`: the NUMA layout Tessel sees, read through libnuma.
struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Show the NUMA nodes, their CPUs and memory, and the node distances.",
        discussion: """
            Reads the topology through libnuma, as the allocator and the scheduler see it. When \
            automatic NUMA balancing (/proc/sys/kernel/numa_balancing) is on, the kernel migrates \
            pages behind any placement, which the output says. The last line tells what the NUMA \
            mode in TESSEL_NUMA gives on this machine.
            """
    )

    @Flag(name: .long, help: "Print the topology as JSON (memory in bytes).")
    var json = false

    func run() throws {
        let topology = Topology.read()
        if json {
            print(try JSONOutput.text(topology))
            return
        }
        let mode = try NumaMode.fromEnvironment()
        var effect = (mode ?? .disabled).policy(for: topology).map(\.description) ?? "aligned allocation"
        if let mode, mode != .disabled, !topology.isMultiNode { effect += " (as every mode on one node)" }
        if TilePlacement(mode: mode ?? .disabled, topology: topology) != nil { effect += ", tiles bound to their nodes" }
        print(topology, terminator: "")
        print("\(NumaMode.environmentVariable): \(mode?.rawValue ?? "unset"); tensors get \(effect)")
    }
}
