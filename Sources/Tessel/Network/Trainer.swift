/// Mini-batch training as CS231n's `Solver` does it: for each batch a forward and backward
/// pass, then the update rule on every parameter; after each epoch the learning-rate decay.
///
/// Each epoch visits every training example once, in an order drawn from the network's seed
/// and the epoch number, in batches of `settings.batchSize` (the last may be smaller). So a
/// run resumed from a checkpoint after epoch `e` continues with the same batches, dropout
/// masks and updates as the uninterrupted run: the results are the same bits.
public struct Trainer<T: TesselScalar>: Sendable {
    /// What one epoch did.
    public struct EpochSummary: Sendable, Equatable {
        /// The epoch just finished (1 for the first).
        public var epoch: Int
        /// The mean training loss over its batches.
        public var loss: Double
        /// Fraction of the training set classified correctly after the epoch (test mode).
        public var trainAccuracy: Double
        /// Fraction of the validation set classified correctly after the epoch (test mode).
        public var validationAccuracy: Double
        /// The learning rate the epoch used.
        public var learningRate: Double
        /// Wall time of the epoch's training steps and evaluation, in seconds.
        public var seconds: Double
    }

    /// The network being trained.
    public var network: Network<T>
    /// The update rule and its per-parameter state.
    public var optimizer: Optimizer<T>
    /// Epochs, batch size and update rule.
    public let settings: TrainingSettings
    /// Epochs completed so far.
    public var epoch: Int
    /// The gradients of the last training step, in the order of `network.parameters`; empty
    /// before the first step.
    public private(set) var gradients: [Tensor<T>] = []
    /// The tensors between the layers in the last step of the last epoch trained with
    /// `tracing` (`NetworkTrace`); nil before such an epoch.
    public private(set) var trace: NetworkTrace<T>? = nil

    /// A trainer starting at epoch 0 with a fresh optimizer.
    public init(network: Network<T>, settings: TrainingSettings) {
        self.network = network
        self.optimizer = Optimizer(settings: settings.optimizer)
        self.settings = settings
        self.epoch = 0
    }

    /// A trainer continuing after `epoch` completed epochs with `optimizer`'s state (see `Checkpoint.restore`).
    public init(network: Network<T>, optimizer: Optimizer<T>, settings: TrainingSettings, epoch: Int) {
        self.network = network
        self.optimizer = optimizer
        self.settings = settings
        self.epoch = epoch
    }

    /// The number of batches in an epoch over `examples` training examples.
    public func batchesPerEpoch(examples: Int) -> Int {
        (examples + settings.batchSize - 1) / settings.batchSize
    }

    /// Trains one epoch on `train` and evaluates on `train` and `validation`.
    /// `progress(batch, batches, loss)` is called after each batch (batch counts from 1).
    /// With `tracing`, the epoch's last step is traced into `trace` (the same bits).
    ///
    /// Each batch is cut into `settings.shards` shards (`ShardLayout`); with an `exchange` of
    /// several ranks, every rank passes the whole data sets, steps on its shards, and gets the
    /// global gradients, so every rank makes the same update: the results are the same bits
    /// as one process's with the same settings. The evaluation is shared among the ranks.
    /// - Throws: as `Network.step` and `Optimizer.update` (a data set whose examples do not fit
    ///   the network); as `ShardLayout.init` when a batch (the last one of the epoch included)
    ///   has fewer examples than `settings.shards` or there are more ranks than shards,
    ///   before any step.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public mutating func trainEpoch(on train: Dataset<T>, validation: Dataset<T>, scheduler: Scheduler = .default,
                                    exchange: any ShardExchange = LocalExchange(), tracing: Bool = false,
                                    progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> EpochSummary {
        let start = ContinuousClock.now
        let order = RandomTensor.permutation(count: train.count, seed: RandomTensor.seed(network.seed, stream: (1 << 36) + UInt64(epoch)))
        let batches = batchesPerEpoch(examples: train.count)
        let shardCount = settings.shards
        let layout = { (examples: Int) in
            try ShardLayout(batch: examples, shards: shardCount, rank: exchange.rank, ranks: exchange.ranks)
        }
        if batches > 0 { _ = try layout(train.count - (batches - 1) * settings.batchSize) }
        let learningRate = optimizer.learningRate
        var totalLoss = 0.0
        for batch in 0..<batches {
            let indices = order[(batch * settings.batchSize)..<min((batch + 1) * settings.batchSize, train.count)]
            let shards = try layout(indices.count)
            let local = indices.dropFirst(shards.localRows.lowerBound).prefix(shards.localRows.count)
            let examples = try train.subset(local)
            var profile: NetworkProfile? = nil
            let result = try network.step(images: examples.images, labels: examples.labels, layout: shards, exchange: exchange,
                                          scheduler: scheduler, profile: &profile, tracing: tracing && batch == batches - 1)
            gradients = result.gradients
            if let stepTrace = result.trace { trace = stepTrace }
            for index in network.parameters.indices {
                let name = network.parameters[index].name
                try optimizer.update(&network.parameters[index].value, gradient: result.gradients[index], name: name, scheduler: scheduler)
            }
            totalLoss += Double(result.loss)
            progress(batch + 1, batches, Double(result.loss))
        }
        optimizer.endEpoch()
        epoch += 1
        return EpochSummary(epoch: epoch, loss: totalLoss / Double(max(batches, 1)),
                            trainAccuracy: try network.accuracy(on: train, scheduler: scheduler, exchange: exchange),
                            validationAccuracy: try network.accuracy(on: validation, scheduler: scheduler, exchange: exchange),
                            learningRate: learningRate, seconds: Stopwatch.seconds(start.duration(to: .now)))
    }
}
