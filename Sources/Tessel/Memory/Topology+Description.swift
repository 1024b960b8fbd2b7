extension Topology: CustomStringConvertible {
    /// A report for people (what `tessel topology` prints): availability, each node's CPUs
    /// and memory in MiB, the distance matrix, and whether automatic NUMA balancing is on —
    /// in which case the kernel migrates pages behind any placement, and the report says so.
    public var description: String {
        var text = ""
        let count = nodes.count
        if isAvailable {
            text += "NUMA: available (libnuma), \(count) node\(count == 1 ? "" : "s")\n"
        } else {
            text += "NUMA: unavailable (numa_available() < 0: no kernel support, or memory policies are forbidden, "
                + "e.g. by a container's seccomp filter); Tessel uses aligned allocation and binds no thread\n"
        }
        let mib = 1 << 20
        for node in nodes {
            text += "node \(node.id): \(node.cpus.count) CPUs (\(Self.ranges(node.cpus))), "
                + "memory \(node.memoryBytes / mib) MiB, free \(node.freeBytes / mib) MiB\n"
        }
        let labels = nodes.map { "node \($0.id)" }
        let width = max(6, labels.map(\.count).max() ?? 0)
        let pad = { (s: String) in String(repeating: " ", count: max(0, width - s.count)) + s }
        text += "distances:\n" + pad("") + "  " + labels.map(pad).joined(separator: "  ") + "\n"
        for (label, row) in zip(labels, distances) {
            text += pad(label) + "  " + row.map { pad(String($0)) }.joined(separator: "  ") + "\n"
        }
        switch numaBalancing {
        case nil:
            text += "numa_balancing: not reported by this kernel\n"
        case 0?:
            text += "numa_balancing: off\n"
        case let value?:
            text += "numa_balancing: on (\(value)): the kernel migrates pages between nodes behind any placement; "
                + "for placement to hold, turn it off: sysctl -w kernel.numa_balancing=0\n"
        }
        return text
    }

    /// `[0, 1, 2, 5, 7, 8]` → `0-2,5,7-8`; `none` for no CPU.
    public static func ranges(_ cpus: [Int]) -> String {
        var parts: [String] = []
        var index = cpus.startIndex
        while index < cpus.endIndex {
            var end = index
            while end + 1 < cpus.endIndex && cpus[end + 1] == cpus[end] + 1 { end += 1 }
            parts.append(index == end ? "\(cpus[index])" : "\(cpus[index])-\(cpus[end])")
            index = end + 1
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }
}
