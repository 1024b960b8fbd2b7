import TesselSystem

/// What `tessel run` measures: per-layer times of forward+backward steps over one batch (or,
/// in test mode, of test-mode forward passes).
public struct RunReport: Sendable, Codable, Equatable {
    /// What a step is.
    public enum Mode: String, Sendable, Codable {
        /// A training step: train-mode forward, loss and backward (`measure`).
        case train
        /// A test-mode forward pass (running statistics, no dropout), no loss, no backward (`measureInference`).
        case test
    }

    /// One layer's share of a step.
    public struct Layer: Sendable, Codable, Equatable {
        /// The layer's name (`conv0`), or `loss`.
        public var name: String
        /// Its output shape for one example.
        public var output: [Int]
        /// Mean forward time per step, milliseconds.
        public var forwardMilliseconds: Double
        /// Mean backward time per step, milliseconds (0 in test mode).
        public var backwardMilliseconds: Double
        /// Its forward and backward time as a fraction of the summed layer times (0–1).
        public var share: Double
        /// Forward+backward floating-point operations per second, in 10⁹ (see `Network.flops`), of
        /// this rank's examples; 0 for a layer with no time of its own (fused, or the loss).
        public var gigaflopsPerSecond: Double
        /// The layer whose passes ran this one, when it ran fused (`Network.layer(runningFused:)`):
        /// its times are then 0 and counted in that layer's row. Nil otherwise.
        public var fusedInto: String? = nil
    }

    /// `flops` over `milliseconds` in 10⁹ per second, or 0 when no time was measured (a fused
    /// layer's time is in its chain's first row).
    static func gigaflopsPerSecond(_ flops: Double, milliseconds: Double) -> Double {
        milliseconds > 0 ? flops / milliseconds / 1e6 : 0
    }

    /// The config's name.
    public var workload: String
    /// What was timed.
    public var mode: Mode
    /// Examples per step.
    public var batchSize: Int
    /// Timed steps.
    public var steps: Int
    /// Untimed steps before them.
    public var warmup: Int
    /// The scheduler's worker count.
    public var workers: Int
    /// The layers in order, then the loss (train mode only).
    public var layers: [Layer]
    /// Median wall time of a whole step, milliseconds.
    public var stepMilliseconds: Double
    /// Fastest step, milliseconds.
    public var fastestStepMilliseconds: Double
    /// `batchSize` over the median step time.
    public var imagesPerSecond: Double
    /// Minor page faults per timed step: pages the step touched for the first time. Near 0
    /// when the step reuses the previous step's buffers (see `BlockCache`).
    public var pageFaultsPerStep: Double
    /// The process's resident set after the warm-up steps, in bytes (`ProcessMemory.residentBytes`).
    public var residentBytesAfterWarmup: Int
    /// The process's resident set after the timed steps, in bytes. A step that leaks makes it
    /// grow with the number of steps; with buffers reused it stays near the warm-up figure.
    public var residentBytesAfterSteps: Int
    /// The process's largest resident set up to the end of the timed steps, in bytes
    /// (`ProcessMemory.peakResidentBytes`): with buffers reused, near the warm-up figure.
    public var peakResidentBytes: Int
}

extension Workload {
    /// The batch `tessel run` uses: `run.batchSize` examples, random from the seed or the
    /// first ones of the data files (repeated when the files hold fewer).
    /// - Throws: as `Dataset.load`; `TesselError.configuration` naming the config file, key
    ///   `data.images` when the examples are not of the network's input shape, `data.labels`
    ///   for a label outside the network's classes.
    public func runBatch<T: TesselScalar>(as _: T.Type = T.self) throws -> Dataset<T> {
        switch data {
        case .random:
            return try Dataset.random(count: run.batchSize, exampleShape: network.input, classes: try network.classes(), seed: seed)
        case let .files(images, labels, _):
            let all = try Dataset<T>.load(images: images, labels: labels)
            try checkExamples(all, images: images, labels: labels)
            return try all.subset((0..<run.batchSize).map { $0 % all.count })
        }
    }

    /// The training and validation sets of `tessel train`: the data files split with the seed.
    /// - Throws: `TesselError.configuration` naming the config file: key `data` when the data
    ///   are random, `data.validation` when it is not below the number of examples; as
    ///   `Dataset.load` and `runBatch` otherwise.
    public func trainingData<T: TesselScalar>(as _: T.Type = T.self) throws -> (train: Dataset<T>, validation: Dataset<T>) {
        guard case let .files(images, labels, validation) = data else {
            throw TesselError.configuration(source: source, key: "data", reason: "training needs 'images' and 'labels' files")
        }
        let all = try Dataset<T>.load(images: images, labels: labels)
        try checkExamples(all, images: images, labels: labels)
        guard validation < all.count else {
            throw TesselError.configuration(source: source, key: "data.validation",
                                            reason: "\(validation) validation examples leave none of the \(all.count) for training")
        }
        return try all.split(validation: validation, seed: seed)
    }

    /// Checks that the examples fit the network: shape and label range.
    private func checkExamples<T>(_ dataset: Dataset<T>, images: String, labels: String) throws {
        guard dataset.exampleShape == network.input else {
            throw TesselError.configuration(source: source, key: "data.images",
                                            reason: "\(images) holds examples of shape \(Shape.describe(dataset.exampleShape)), the network takes \(Shape.describe(network.input))")
        }
        let classes = try network.classes()
        if let bad = dataset.labels.first(where: { !(0..<classes).contains($0) }) {
            throw TesselError.configuration(source: source, key: "data.labels", reason: "\(labels) holds label \(bad), outside 0..<\(classes)")
        }
    }

    /// Builds the network, runs `run.warmup` untimed and `steps` (default `run.steps`) timed
    /// forward+backward steps on `batch` (default `runBatch()`), and reports the mean time of
    /// each layer and the median step. Parameters are not updated. The batch is cut into
    /// `run.shards` shards; with an `exchange` of several ranks, every rank passes the whole
    /// batch and steps on its own shards (`Network.step(images:labels:layout:exchange:…)`).
    /// `afterStep(network, result)` sees every timed step's network and result; with
    /// `tracing`, the last timed step's result carries its `trace` (whose copies, when the
    /// batch has several shards, that step's time includes; a traced step runs no chain fused).
    /// `fusion` sets `Network.fusesChains`.
    /// - Throws: as `Network.init`, `ShardLayout.init` and `Network.step`.
    public func measure(steps: Int? = nil, batch: Dataset<Float>? = nil, scheduler: Scheduler,
                        exchange: any ShardExchange = LocalExchange(), tracing: Bool = false, fusion: Bool = true,
                        afterStep: (Network<Float>, Network<Float>.StepResult) throws -> Void = { _, _ in }) throws -> RunReport {
        let steps = max(1, steps ?? run.steps)
        let batch = try batch ?? runBatch(as: Float.self)
        let layout = try ShardLayout(batch: batch.count, shards: run.shards, rank: exchange.rank, ranks: exchange.ranks)
        let local = try batch.subset(layout.localRows)
        var network = try Network<Float>(self)
        network.fusesChains = fusion
        var untimed: NetworkProfile? = nil
        var profile: NetworkProfile? = NetworkProfile(layers: network.definition.layers.count)
        let times = try TimedSteps(warmup: run.warmup, steps: steps) { timedStep in
            guard let timedStep else {
                _ = try network.step(images: local.images, labels: local.labels, layout: layout, exchange: exchange, scheduler: scheduler,
                                     profile: &untimed)
                return
            }
            let result = try network.step(images: local.images, labels: local.labels, layout: layout, exchange: exchange,
                                          scheduler: scheduler, profile: &profile, tracing: tracing && timedStep == steps - 1)
            try afterStep(network, result)
        }
        let timed = profile!
        let perStep = { (duration: Duration) in Stopwatch.seconds(duration) * 1e3 / Double(steps) }
        let total = timed.forward.reduce(timed.loss, +) + timed.backward.reduce(.zero, +)
        var layers: [RunReport.Layer] = network.layerNames.indices.map { index in
            let forward = perStep(timed.forward[index]), backward = perStep(timed.backward[index])
            let flops = network.flops(layer: index, batch: local.count)
            return RunReport.Layer(name: network.layerNames[index], output: network.outputShape(layer: index),
                                   forwardMilliseconds: forward, backwardMilliseconds: backward,
                                   share: (timed.forward[index] + timed.backward[index]) / total,
                                   gigaflopsPerSecond: RunReport.gigaflopsPerSecond(flops.forward + flops.backward, milliseconds: forward + backward),
                                   fusedInto: network.layer(runningFused: index).map { network.layerNames[$0] })
        }
        layers.append(RunReport.Layer(name: "loss", output: [network.classes], forwardMilliseconds: perStep(timed.loss),
                                      backwardMilliseconds: 0, share: timed.loss / total, gigaflopsPerSecond: 0))
        return times.report(workload: name, mode: .train, batchSize: batch.count, warmup: run.warmup, workers: scheduler.workers,
                            layers: layers)
    }
}

/// The wall time of each of `steps` timed steps after `warmup` untimed ones, and the page
/// faults and resident set around them: what `Workload.measure` and `measureInference` time.
struct TimedSteps {
    /// Each timed step's wall time, milliseconds.
    let milliseconds: [Double]
    let pageFaultsPerStep: Double
    let residentBytesAfterWarmup: Int
    let residentBytesAfterSteps: Int
    let peakResidentBytes: Int

    /// Runs `step(nil)` `warmup` times, then `step(k)` for the timed steps k = 0 ..< `steps`.
    init(warmup: Int, steps: Int, _ step: (_ timedStep: Int?) throws -> Void) rethrows {
        for _ in 0..<warmup { try step(nil) }
        let faults = ProcessMemory.minorPageFaults
        residentBytesAfterWarmup = ProcessMemory.residentBytes
        var milliseconds: [Double] = []
        for k in 0..<steps {
            let start = ContinuousClock.now
            try step(k)
            milliseconds.append(Stopwatch.seconds(start.duration(to: .now)) * 1e3)
        }
        self.milliseconds = milliseconds
        pageFaultsPerStep = Double(ProcessMemory.minorPageFaults - faults) / Double(steps)
        residentBytesAfterSteps = ProcessMemory.residentBytes
        peakResidentBytes = ProcessMemory.peakResidentBytes
    }

    /// The report of these steps over a batch of `batchSize` with the per-layer `layers`.
    func report(workload: String, mode: RunReport.Mode, batchSize: Int, warmup: Int, workers: Int, layers: [RunReport.Layer]) -> RunReport {
        let median = Stopwatch.median(milliseconds)
        return RunReport(workload: workload, mode: mode, batchSize: batchSize, steps: milliseconds.count, warmup: warmup, workers: workers,
                         layers: layers, stepMilliseconds: median, fastestStepMilliseconds: milliseconds.min()!,
                         imagesPerSecond: Double(batchSize) / (median / 1000), pageFaultsPerStep: pageFaultsPerStep,
                         residentBytesAfterWarmup: residentBytesAfterWarmup, residentBytesAfterSteps: residentBytesAfterSteps,
                         peakResidentBytes: peakResidentBytes)
    }
}
