extension Network {
    /// The loss of one batch and the gradient of every parameter.
    public struct StepResult: Sendable {
        /// The mean loss over the batch.
        public var loss: T
        /// d loss / d parameter, in the order of `Network.parameters`, each shaped like its parameter.
        public var gradients: [Tensor<T>]
        /// The class scores (N, classes) the loss was computed from.
        public var scores: Tensor<T>
        /// Every tensor between the layers, when the step was asked to trace; else nil.
        public var trace: NetworkTrace<T>? = nil
    }

    /// One training step over a batch: forward in train mode (batch statistics, which also
    /// update the running statistics; fresh dropout masks), the loss, and backward.
    /// Increments `stepCount`. When `profile` is given, each layer's forward and backward
    /// times are added to it. This is the sharded step (`step(images:labels:layout:exchange:…)`)
    /// with the whole batch as one shard in one process. With `tracing`, the result's `trace`
    /// holds every tensor between the layers (`NetworkTrace`); the results are the same bits.
    /// - Throws: `TesselError.shapeMismatch` (layer `network`) when `images` is not
    ///   (N, input…) or `labels` has not N entries; `TesselError.invalidParameter` (layer
    ///   `network`, parameter `labels`) for a label outside `0 ..< classes`. These are checked
    ///   before any work, so the network is then unchanged.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public mutating func step(images: Tensor<T>, labels: [Int], scheduler: Scheduler = .default,
                              profile: inout NetworkProfile?, tracing: Bool = false) throws -> StepResult {
        try validate(images: images, labels: labels)
        return try step(images: images, labels: labels, layout: try ShardLayout(batch: images.shape[0]), exchange: LocalExchange(),
                        scheduler: scheduler, profile: &profile, tracing: tracing)
    }

    /// One training step without timing; see `step(images:labels:scheduler:profile:)`.
    /// - Throws: as that function.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public mutating func step(images: Tensor<T>, labels: [Int], scheduler: Scheduler = .default) throws -> StepResult {
        var profile: NetworkProfile? = nil
        return try step(images: images, labels: labels, scheduler: scheduler, profile: &profile)
    }

    /// Class scores (N, classes) of a test-mode forward pass: running statistics, no dropout.
    /// - Throws: `TesselError.shapeMismatch` (layer `network`) when `images` is not (N, input…).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func scores(images: Tensor<T>, scheduler: Scheduler = .default) throws -> Tensor<T> {
        try validate(images: images, labels: nil)
        var statistics = runningStatistics
        var x = images
        for index in definition.layers.indices {
            x = try forward(layer: index, x, mode: .test, backend: .tiled(scheduler), statistics: &statistics[index], dropoutSeed: 0).0
        }
        return x
    }

    /// The fraction of `dataset`'s examples whose highest score is their label, evaluated in
    /// test mode in batches of `batchSize`.
    /// - Throws: as `scores(images:scheduler:)`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func accuracy(on dataset: Dataset<T>, batchSize: Int = 1000, scheduler: Scheduler = .default) throws -> Double {
        try accuracy(on: dataset, batchSize: batchSize, scheduler: scheduler, exchange: LocalExchange())
    }

    /// `accuracy(on:batchSize:scheduler:)` shared among the ranks of `exchange`: rank r
    /// evaluates batches r, r + ranks, r + 2·ranks, … (each batch exactly as one process
    /// would), and the counts of correct examples are exchanged and added. Every rank returns
    /// the same fraction, the one process's.
    /// - Throws: as `scores(images:scheduler:)`; the exchange's errors.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func accuracy(on dataset: Dataset<T>, batchSize: Int = 1000, scheduler: Scheduler = .default,
                         exchange: any ShardExchange) throws -> Double {
        let batchSize = max(1, batchSize)
        var correct = 0
        for start in stride(from: exchange.rank * batchSize, to: dataset.count, by: exchange.ranks * batchSize) {
            let batch = try dataset.subset(start..<min(start + batchSize, dataset.count))
            let scores = try self.scores(images: batch.images, scheduler: scheduler)
            let classes = self.classes
            scores.withUnsafeBufferPointer { s in
                for (row, label) in batch.labels.enumerated() {
                    let offset = row * classes
                    var best = 0
                    for c in 1..<classes where s[offset + c] > s[offset + best] { best = c }
                    if best == label { correct += 1 }
                }
            }
        }
        let total = try exchange.allGather([correct]).reduce(0, +)
        return dataset.count == 0 ? 0 : Double(total) / Double(dataset.count)
    }

    func validate(images: Tensor<T>, labels: [Int]?) throws {
        guard images.rank == definition.input.count + 1, Array(images.shape.dropFirst()) == definition.input, images.shape[0] >= 1 else {
            throw TesselError.shapeMismatch(component: "network", argument: "images", expected: "(N, \(definition.input.map(String.init).joined(separator: ", "))) with N ≥ 1", actual: images.shape)
        }
        guard let labels else { return }
        guard labels.count == images.shape[0] else {
            throw TesselError.shapeMismatch(component: "network", argument: "labels", expected: "(\(images.shape[0]),), one per image", actual: [labels.count])
        }
        if let bad = labels.first(where: { !(0..<classes).contains($0) }) {
            throw TesselError.invalidParameter(component: "network", parameter: "labels", value: "\(bad)", reason: "a label must lie in 0..<\(classes)")
        }
    }

    /// The dropout seed of the next step: a stream of the network's seed keyed by `stepCount`.
    func dropoutSeed() -> UInt64 {
        RandomTensor.seed(seed, stream: (1 << 40) + UInt64(stepCount))
    }

    /// The parameters of layer `index`.
    func layerParameters(_ index: Int) -> ArraySlice<Parameter> {
        parameters[parameterOffsets[index]..<parameterOffsets[index + 1]]
    }

    /// Layer `index` forward on `x` (N, shape of its input). On the tiled backend, `x` may be the
    /// rows from `firstRow` on of a larger batch: a dropout layer then draws that batch's mask
    /// for them (a fused `dropout` carries its own first index).
    /// With `appliesReLU` (a `ReLUFusingKind` layer only), also the ReLU after the layer: its output;
    /// with `pooling` as well (a `PoolFusingKind` layer only), the max pool after that ReLU: its
    /// output; with `dropout` instead, the dropout after that ReLU, written to its output.
    func forward(layer index: Int, _ x: Tensor<T>, mode: Mode, backend: Backend, statistics: inout RunningStatistics<T>?,
                 dropoutSeed: UInt64, firstRow: Int = 0, appliesReLU: Bool = false, pooling: PoolingWindow? = nil,
                 dropout: FusedDropout<T>? = nil) throws -> (Tensor<T>, LayerRecord<T>) {
        var context = LayerContext<T>(mode: mode, statistics: nil, seed: RandomTensor.seed(dropoutSeed, stream: UInt64(index)), firstRow: firstRow)
        // The statistics move into the context and back, so that their update copies nothing.
        swap(&context.statistics, &statistics)
        defer { swap(&context.statistics, &statistics) }
        let kind = definition.layers[index].kind, p = layerParameters(index).map(\.value)
        if appliesReLU, let pooling, let kind = kind as? any PoolFusingKind {
            return try kind.forwardPooling(x, window: pooling, parameters: p, context: &context, backend: backend)
        }
        if appliesReLU, let kind = kind as? any ReLUFusingKind {
            return try kind.forwardApplyingReLU(x, parameters: p, dropout: dropout, context: &context, backend: backend)
        }
        return try kind.forward(x, parameters: p, context: &context, backend: backend)
    }

    /// Layer `index` backward: the gradient with respect to its input and to its parameters (in
    /// order). With `mask` (a `ReLUFusingKind` layer only), `dout` is that of the last layer of
    /// the chain after it (the ReLU, or the dropout after the ReLU), whose backward runs first.
    /// With `pooling` (a `PoolFusingKind` layer only), `dout` is that of the max pool after the
    /// ReLU after the layer, and the pool's and the ReLU's backward run first.
    func backward(layer index: Int, _ dout: Tensor<T>, _ record: LayerRecord<T>, mask: ChainMask<T>? = nil,
                  pooling: PoolingWindow? = nil, backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let kind = definition.layers[index].kind, p = layerParameters(index).map(\.value)
        if let pooling, let kind = kind as? any PoolFusingKind {
            return try kind.backwardThroughPool(dout, window: pooling, record: record, parameters: p, backend: backend)
        }
        if let mask, let kind = kind as? any ReLUFusingKind {
            return try kind.backwardThroughReLU(dout, mask: mask, record: record, parameters: p, backend: backend)
        }
        return try kind.backward(dout, record: record, parameters: p, backend: backend)
    }

    /// Layer `index`'s parameter gradients (in order) without the gradient with respect to its
    /// input: for the first layer, whose input (the batch) needs none. The same bits as `backward`'s.
    func parameterGradients(layer index: Int, _ dout: Tensor<T>, _ record: LayerRecord<T>, backend: Backend) throws -> [Tensor<T>] {
        try definition.layers[index].kind.parameterGradients(dout, record: record, parameters: layerParameters(index).map(\.value), backend: backend)
    }

    /// The loss of `scores` (N, classes) for `labels`, and its gradient.
    func loss(scores: Tensor<T>, labels: [Int], backend: Backend) throws -> LossOutput<T> {
        try definition.loss.compute(x: scores, y: labels, backend: backend)
    }
}
