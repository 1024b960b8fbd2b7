#if canImport(Glibc)
import Glibc
#endif

/// The process-wide NUMA setting: which `NumaPolicy` tensors get and whether the scheduler
/// binds tiles to nodes. A runtime setting (`numa` in the runtime settings, or the
/// `TESSEL_NUMA` environment variable).
///
/// On a machine with one node, or where libnuma is unavailable, every mode behaves as
/// `disabled`: aligned allocation, no binding, identical results.
public enum NumaMode: String, Sendable, Codable, CaseIterable {
    /// No NUMA calls at all: aligned heap memory that follows the process's own policy (so
    /// `numactl --interleave=all tessel …` still works), workers never bound.
    case disabled
    /// Tensors get `NumaPolicy.local`: each page lands on the node of the thread that writes it
    /// first. Workers are not bound.
    case local
    /// Tensors get `NumaPolicy.interleave` over every node: bandwidth of all nodes for data that
    /// every thread reads. Workers are not bound.
    case interleave
    /// Tensors get `NumaPolicy.partitioned` over every node (batch dimension split across
    /// nodes) and the scheduler runs the tiles over a node's slice on that node's CPUs.
    case partitioned

    /// The environment variable that selects the mode: one of the raw values.
    public static let environmentVariable = "TESSEL_NUMA"

    /// The mode named by `TESSEL_NUMA`, or nil when it is unset or empty.
    /// - Throws: `TesselError.configuration` when it holds anything else than a mode's name.
    public static func fromEnvironment() throws -> NumaMode? {
        try parse(getenv(environmentVariable).map { String(cString: $0) }, source: "environment", key: environmentVariable)
    }

    /// The mode named by the setting `key` of `source` (a file, or `environment`); nil or
    /// empty `value`: not set.
    /// - Throws: `TesselError.configuration` naming `source` and `key` when `value` is not a
    ///   mode's name.
    public static func parse(_ value: String?, source: String, key: String) throws -> NumaMode? {
        guard let value, !value.isEmpty else { return nil }
        guard let mode = NumaMode(rawValue: value) else {
            throw TesselError.configuration(
                source: source, key: key,
                reason: "'\(value)' is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return mode
    }

    /// The policy this mode gives tensors on a machine with `topology`: nil (aligned heap
    /// memory) for `disabled`, for a single node, and where libnuma is unavailable.
    public func policy(for topology: Topology) -> NumaPolicy? {
        guard topology.isMultiNode else { return nil }
        return policy(overNodes: topology.nodeIDs)
    }

    /// The policy this mode names over `nodes`, whatever the machine (nil for `disabled`).
    public func policy(overNodes nodes: [Int]) -> NumaPolicy? {
        switch self {
        case .disabled: return nil
        case .local: return .local
        case .interleave: return .interleave(nodes: nodes)
        case .partitioned: return .partitioned(nodes: nodes)
        }
    }
}
