/// Time spent in each layer over the steps it was passed to (see `Network.step`).
public struct NetworkProfile: Sendable, Equatable {
    /// Total forward time of each layer, by layer index.
    public var forward: [Duration]
    /// Total backward time of each layer, by layer index.
    public var backward: [Duration]
    /// Total time of the loss and its gradient.
    public var loss: Duration
    /// The number of steps timed.
    public var steps: Int

    /// An empty profile for a network of `layers` layers.
    public init(layers: Int) {
        forward = Array(repeating: .zero, count: layers)
        backward = Array(repeating: .zero, count: layers)
        loss = .zero
        steps = 0
    }
}
