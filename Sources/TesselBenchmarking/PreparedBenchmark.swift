import Tessel

/// A layer workload with its inputs built (seeded, so every preparation holds the same
/// values): the passes to time, ready to call repeatedly.
///
/// Passes that need the result of an earlier pass (a backward that needs a forward's cache)
/// hold that result, computed once at preparation, so each call times one pass alone.
public struct PreparedBenchmark: Sendable {
    /// The workload's name (`affine`, `conv_3x3`, …).
    public let name: String
    /// The settings it was prepared with.
    public let values: BenchmarkValues
    /// The rate that tells how well this layer runs.
    public let unit: ThroughputUnit
    /// The passes, in the order a training step runs them (forward first).
    public let passes: [BenchmarkPass]

    /// A prepared workload; `passes` must not be empty.
    public init(name: String, values: BenchmarkValues, unit: ThroughputUnit, passes: [BenchmarkPass]) {
        precondition(!passes.isEmpty, "a workload needs at least one pass")
        self.name = name
        self.values = values
        self.unit = unit
        self.passes = passes
    }

    /// The work of one call of every pass.
    public var cost: BenchmarkCost {
        passes.dropFirst().reduce(passes[0].cost) { $0 + $1.cost }
    }

    /// Runs every pass once, in order, with `scheduler` (one training step of this layer).
    public func runAll(scheduler: Scheduler) throws {
        for pass in passes { try pass.run(.tiled(scheduler)) }
    }
}
