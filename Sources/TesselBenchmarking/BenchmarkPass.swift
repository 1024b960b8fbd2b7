import Tessel

/// One direction of a prepared layer — its forward pass, its backward pass, or a loss's
/// combined loss-and-gradient call — with its inputs already built.
public struct BenchmarkPass: Sendable {
    /// `forward`, `backward`, or `loss+gradient`.
    public let name: String
    /// The work of one call.
    public let cost: BenchmarkCost
    /// How many tensors one call returns (the out tensor, the gradients, the tensors of a
    /// cache). A steady-state call allocates these and nothing else.
    public let outputTensors: Int
    /// Calls the layer once on a backend (the tiled kernel on a scheduler, or the serial
    /// reference) and returns what the call computes: the output, or the gradients (a loss:
    /// the loss as a scalar tensor, then dx), so that a test can hold the tiled run against the
    /// reference. Cached intermediates are left out.
    public let outputs: @Sendable (Backend) throws -> [Tensor<Float>]

    /// A pass; see the properties.
    public init(name: String, cost: BenchmarkCost, outputTensors: Int,
                outputs: @escaping @Sendable (Backend) throws -> [Tensor<Float>]) {
        self.name = name
        self.cost = cost
        self.outputTensors = outputTensors
        self.outputs = outputs
    }

    /// Calls the layer once on `backend` and drops the result: the call that benchmarks time.
    public func run(_ backend: Backend) throws {
        _ = try outputs(backend)
    }
}
