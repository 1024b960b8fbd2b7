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
    /// reference); the result is dropped.
    public let run: @Sendable (Backend) throws -> Void

    /// A pass; see the properties.
    public init(name: String, cost: BenchmarkCost, outputTensors: Int,
                run: @escaping @Sendable (Backend) throws -> Void) {
        self.name = name
        self.cost = cost
        self.outputTensors = outputTensors
        self.run = run
    }
}
