import ArgumentParser
import Tessel

/// `tessel numa-check`: allocates under every NUMA policy and reads back from the kernel where
/// the pages went (`PlacementChecks`).
struct NumaCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numa-check",
        abstract: "Check that every NUMA policy puts its pages where it says, as the kernel reports them.",
        discussion: """
            Allocates through Tessel's allocator under each policy, touches the pages, and reads \
            each page's node back with move_pages (query only) and the mapping's policy with \
            get_mempolicy: local (a thread bound to each chosen CPU gets its pages on that CPU's \
            node), bind (every page on the named node), interleave (consecutive pages cycle \
            through the nodes), partitioned (each slice of rows on its node) and tile placement \
            (a scheduler with partitioned tile placement runs each tile on its node's CPUs, so \
            its first touch lands there). Prints one line per check and a summary; exit status \
            1 when a check fails, 2 on bad input (a node or CPU this machine does not have). \
            Turn automatic NUMA balancing off first (sysctl -w kernel.numa_balancing=0): it \
            migrates pages behind any placement. On one node every check passes trivially.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Comma-separated nodes to check (default: every node).", valueName: "nodes"))
    var nodes: String?

    @Option(name: .long, help: ArgumentHelp("CPUs the local check binds to, e.g. 0-3,6 (default: every CPU of the nodes checked).", valueName: "cpus"))
    var cpus: String?

    func run() throws {
        let topology = Topology.read()
        guard topology.isAvailable else {
            throw TesselError.system(operation: "numa-check", reason: "NUMA is unavailable here (numa_available() < 0): nothing to check")
        }
        let chosenNodes = try nodes.map { try Self.numbers($0, option: "--nodes") } ?? topology.nodeIDs
        do {
            // The allocator's own validation finds an unknown or repeated node.
            _ = try Allocator(policy: .interleave(nodes: chosenNodes), topology: topology)
        } catch let TesselError.invalidParameter(_, _, _, reason) {
            throw TesselError.invalidParameter(component: "numa-check", parameter: "--nodes", value: nodes ?? "", reason: reason)
        }
        let checks = PlacementChecks(topology: topology, nodes: chosenNodes.sorted())
        let chosenCPUs = try cpus.map { try checkedCPUs($0, of: topology) } ?? checks.allowedCPUs
        if topology.isBalancing {
            print("warning: automatic NUMA balancing is on (/proc/sys/kernel/numa_balancing = \(topology.numaBalancing ?? 0)): "
                  + "pages may move behind the placement checked; sysctl -w kernel.numa_balancing=0")
        }
        let results = try checks.run(localCPUs: chosenCPUs)
        for result in results { print(result.line) }
        let failed = results.filter { !$0.passed }.count
        print("numa-check: \(results.count - failed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }

    /// The CPUs of the list `text`, each one a CPU of `topology` that this process may run on.
    /// - Throws: `TesselError.invalidParameter` naming the first CPU that is not.
    private func checkedCPUs(_ text: String, of topology: Topology) throws -> [Int] {
        let machine = topology.nodes.flatMap(\.cpus).sorted()
        let allowed = CPUSet.currentThread()
        let list = try Self.numbers(text, option: "--cpus")
        if let outside = list.first(where: { !machine.contains($0) }) {
            throw TesselError.invalidParameter(component: "numa-check", parameter: "--cpus", value: text,
                                               reason: "CPU \(outside) is not a CPU of this machine (CPUs: \(Topology.ranges(machine)))")
        }
        if let forbidden = list.first(where: { !allowed.contains($0) }) {
            throw TesselError.invalidParameter(component: "numa-check", parameter: "--cpus", value: text,
                                               reason: "CPU \(forbidden) is outside this process's affinity (CPUs: \(Topology.ranges(allowed.cpus)))")
        }
        return list
    }

    /// The numbers of a list such as `0-3,6` (ranges inclusive), in the order given.
    /// - Throws: `TesselError.invalidParameter` naming `option` for anything else.
    static func numbers(_ text: String, option: String) throws -> [Int] {
        var result: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { Int($0) }
            guard let first = bounds.first ?? nil, let last = bounds.last ?? nil, first >= 0, first <= last else {
                throw TesselError.invalidParameter(component: "numa-check", parameter: option, value: text,
                                                   reason: "'\(item)' is not a number or a range such as 0-3")
            }
            result += first...last
        }
        return result
    }
}
