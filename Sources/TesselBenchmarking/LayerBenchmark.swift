import Tessel

/// One layer of the benchmark registry: what it measures, its settings with their standard
/// and small values, and how to build its inputs and passes.
///
/// The registry (`LayerBenchmark.all`) is shared by `tessel scale`, the package-benchmark
/// suite under `Benchmarks/` and the steady-state allocation test, so that all of them time
/// the same calls on the same data. All workloads compute in Float32.
///
/// ```swift
/// let prepared = try LayerBenchmark.named("affine")!.prepare(.standard)
/// try prepared.runAll(scheduler: try Scheduler(workers: 2))
/// ```
public struct LayerBenchmark: Sendable {
    /// Which preset values to prepare with.
    public enum Preset: String, Sendable, CaseIterable {
        /// The standard shapes of the benchmarks (the list).
        case standard
        /// Shapes small enough for a serial reference or a debug build.
        case small
    }

    /// The name on the command line and in a shapes file (`relu`, `conv_3x3`, …).
    public let name: String
    /// The rate that tells how well this layer runs.
    public let unit: ThroughputUnit
    /// The settings a shapes file may override, in the order they are described.
    public let parameters: [BenchmarkParameter]
    private let build: @Sendable (BenchmarkValues) throws -> [BenchmarkPass]

    /// A workload whose `build` turns values into passes (building the inputs, seeded).
    public init(name: String, unit: ThroughputUnit, parameters: [BenchmarkParameter],
                build: @escaping @Sendable (BenchmarkValues) throws -> [BenchmarkPass]) {
        self.name = name
        self.unit = unit
        self.parameters = parameters
        self.build = build
    }

    /// The values of `preset`.
    public func values(_ preset: Preset) -> BenchmarkValues {
        var values: [String: BenchmarkValue] = [:]
        for parameter in parameters {
            values[parameter.name] = preset == .standard ? parameter.standard : parameter.small
        }
        return BenchmarkValues(values: values, order: parameters.map(\.name))
    }

    /// The parameter called `name`, if this workload has one.
    public func parameter(named name: String) -> BenchmarkParameter? {
        parameters.first { $0.name == name }
    }

    /// Builds the inputs and passes at the values of `preset`.
    /// - Throws: `TesselError.outOfMemory` when an input cannot be allocated.
    public func prepare(_ preset: Preset) throws -> PreparedBenchmark {
        try prepare(values(preset))
    }

    /// Builds the inputs and passes at `values` (start from `values(_:)` and change some).
    /// - Throws: `TesselError.invalidParameter` naming the workload when a value is not of its
    ///   parameter's kind; the layer's own `TesselError` when the shapes do not fit together
    ///   (e.g. an affine `w` whose rows differ from the features of `x`).
    public func prepare(_ values: BenchmarkValues) throws -> PreparedBenchmark {
        for parameter in parameters {
            if let problem = parameter.kind.accepts(values[parameter.name]) {
                throw TesselError.invalidParameter(component: name, parameter: parameter.name,
                                                   value: "\(values[parameter.name])", reason: problem)
            }
        }
        return PreparedBenchmark(name: name, values: values, unit: unit, passes: try build(values))
    }
}
