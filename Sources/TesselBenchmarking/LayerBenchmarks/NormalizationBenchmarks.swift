import Synchronization
import Tessel

extension LayerBenchmark {
    /// Batch norm, train mode, forward and backward on x (4096, 1024); rate in GB/s.
    public static let batchNorm = batchNormalization(BatchNormKind.self, rank: 2, standard: [4096, 1024], small: [64, 32])

    /// Spatial batch norm, train mode, forward and backward on x (64, 64, 32, 32); rate in GB/s.
    public static let spatialBatchNorm = batchNormalization(SpatialBatchNormKind.self, rank: 4, standard: [64, 64, 32, 32],
                                                            small: [2, 4, 8, 8])

    /// Layer norm forward and backward on x (4096, 1024); rate in GB/s.
    public static let layerNorm = normalization(
        name: LayerNorm.name, rank: 2, standard: [4096, 1024], small: [64, 32], features: { $0[1] }, groups: nil
    ) { x, gamma, beta, _ in
        let parameters = LayerNorm.Parameters()
        let cache = try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters).cache
        return NormalizationCalls(
            forward: { [try LayerNormKind.forward(x, gamma: gamma, beta: beta, parameters, backend: $0).0] },
            backward: { try LayerNormKind.backward($0, cache: cache, backend: $1).tensors })
    }

    /// Group norm with G = 8 groups, forward and backward on x (64, 64, 32, 32); rate in GB/s.
    public static let groupNorm = normalization(
        name: GroupNorm.name, rank: 4, standard: [64, 64, 32, 32], small: [2, 8, 4, 4], features: { $0[1] }, groups: (8, 4)
    ) { x, gamma, beta, groups in
        let parameters = GroupNorm.Parameters(groups: groups)
        let cache = try GroupNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters).cache
        return NormalizationCalls(
            forward: { [try GroupNormKind.forward(x, gamma: gamma, beta: beta, parameters, backend: $0).0] },
            backward: { try GroupNormKind.backward($0, cache: cache, backend: $1).tensors })
    }

    /// A batch normalization workload of `Kind`'s layer in train mode: every forward updates
    /// the running statistics (of the features, x's dimension 1) in place.
    private static func batchNormalization<Kind: BatchNormalizationKind>(_: Kind.Type, rank: Int, standard: [Int],
                                                                          small: [Int]) -> LayerBenchmark {
        normalization(name: Kind.Layer.name, rank: rank, standard: standard, small: small, features: { $0[1] }, groups: nil) { x, gamma, beta, _ in
            let running = RunningBox(try RunningStatistics<Float>(features: x.shape[1]))
            let parameters = BatchNorm.Parameters(mode: .train)
            let cache = try running.update { try Kind.forward(x, gamma: gamma, beta: beta, parameters, running: &$0, backend: .tiled(.default)).1 }
            return NormalizationCalls(
                forward: { backend in [try running.update { try Kind.forward(x, gamma: gamma, beta: beta, parameters, running: &$0, backend: backend).0 }] },
                backward: { dout, backend in try Kind.backward(dout, cache: cache, backend: backend).tensors })
        }
    }

    /// A normalization workload: x of `rank` with per-feature γ and β of `features(x.shape)`
    /// elements (and a `groups` setting when `groups` gives its standard and small values).
    /// `calls` builds the layer's two calls from the inputs; the backward's cache comes from
    /// one tiled forward at preparation.
    ///
    /// Costs (per element of x): the forward reads x and writes out, computing the mean (1
    /// operation), the variance (2) and the normalized, scaled output (2); the backward reads
    /// dout and x and writes dx, computing dβ (1), dγ (2) and dx (5). The per-feature
    /// statistics and parameters are counted in bytes.
    private static func normalization(
        name: String, rank: Int, standard: [Int], small: [Int], features: @escaping @Sendable ([Int]) -> Int,
        groups: (standard: Int, small: Int)?,
        calls: @escaping @Sendable (Tensor<Float>, Tensor<Float>, Tensor<Float>, Int) throws -> NormalizationCalls
    ) -> LayerBenchmark {
        var parameters = [BenchmarkParameter("x", .shape(rank: rank), standard: .shape(standard), small: .shape(small))]
        if let groups {
            parameters.append(BenchmarkParameter("groups", .integer(minimum: 1), standard: .integer(groups.standard), small: .integer(groups.small)))
        }
        return LayerBenchmark(name: name, unit: .gigabytes, parameters: parameters) { values in
            let x = try BenchmarkInputs.uniform(values.shape("x"), seed: 1)
            let width = features(x.shape)
            let gamma = try BenchmarkInputs.uniform([width], seed: 2)
            let beta = try BenchmarkInputs.uniform([width], seed: 3)
            let dout = try BenchmarkInputs.uniform(x.shape, seed: 4)
            let layer = try calls(x, gamma, beta, groups == nil ? 0 : values.integer("groups"))
            let elements = Double(x.count), bytes = Double(MemoryLayout<Float>.stride)
            let perFeature = Double(width) * bytes
            return [
                BenchmarkPass(name: "forward", cost: BenchmarkCost(flops: 5 * elements, bytes: 2 * elements * bytes + 2 * perFeature),
                             outputTensors: 3, outputs: layer.forward),
                BenchmarkPass(name: "backward", cost: BenchmarkCost(flops: 8 * elements, bytes: 3 * elements * bytes + 3 * perFeature),
                             outputTensors: 3, outputs: { try layer.backward(dout, $0) }),
            ]
        }
    }
}

/// The two calls of a normalization workload, with its inputs and cache captured.
private struct NormalizationCalls: Sendable {
    let forward: @Sendable (Backend) throws -> [Tensor<Float>]
    let backward: @Sendable (Tensor<Float>, Backend) throws -> [Tensor<Float>]
}

/// Running statistics that a train-mode forward updates in place on every call. The box owns
/// them alone, so the update never copies them (a copy would add allocations to each call).
private final class RunningBox: Sendable {
    private let statistics: Mutex<RunningStatistics<Float>>

    init(_ statistics: RunningStatistics<Float>) {
        self.statistics = Mutex(statistics)
    }

    func update<R>(_ body: (inout RunningStatistics<Float>) throws -> R) throws -> R {
        try statistics.withLock { try body(&$0) }
    }
}

extension BatchNormKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.batchNorm] }
}

extension LayerNormKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.layerNorm] }
}

extension SpatialBatchNormKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.spatialBatchNorm] }
}

extension GroupNormKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.groupNorm] }
}
