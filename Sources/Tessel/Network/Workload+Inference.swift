extension Workload {
    /// Builds the network, runs `run.warmup` untimed and `steps` (default `run.steps`) timed
    /// test-mode forward passes (batch norm on the running statistics, dropout as the
    /// identity; no loss, no backward) over `batch` (default `runBatch()`), and reports the
    /// mean forward time of each layer and the median pass: inference throughput.
    /// - Throws: as `Network.init` and `Network.scores(images:scheduler:)`.
    public func measureInference(steps: Int? = nil, batch: Dataset<Float>? = nil, scheduler: Scheduler) throws -> RunReport {
        let steps = max(1, steps ?? run.steps)
        let batch = try batch ?? runBatch(as: Float.self)
        let network = try Network<Float>(self)
        try network.validate(images: batch.images, labels: nil)
        var forward = [Duration](repeating: .zero, count: network.layerNames.count)
        func pass(timed: Bool) throws {
            var statistics = network.runningStatistics
            var x = batch.images
            for index in network.layerNames.indices {
                let start = ContinuousClock.now
                x = try network.forward(layer: index, x, mode: .test, backend: .tiled(scheduler), statistics: &statistics[index], dropoutSeed: 0).0
                if timed { forward[index] += start.duration(to: .now) }
            }
        }
        let times = try TimedSteps(warmup: run.warmup, steps: steps) { try pass(timed: $0 != nil) }
        let total = forward.reduce(.zero, +)
        let layers: [RunReport.Layer] = network.layerNames.indices.map { index in
            let milliseconds = Stopwatch.seconds(forward[index]) * 1e3 / Double(steps)
            return RunReport.Layer(name: network.layerNames[index], output: network.outputShape(layer: index),
                                   forwardMilliseconds: milliseconds, backwardMilliseconds: 0,
                                   share: total == .zero ? 0 : forward[index] / total,
                                   gigaflopsPerSecond: RunReport.gigaflopsPerSecond(network.flops(layer: index, batch: batch.count).forward,
                                                                                     milliseconds: milliseconds))
        }
        return times.report(workload: name, mode: .test, batchSize: batch.count, warmup: run.warmup, workers: scheduler.workers,
                            layers: layers)
    }
}
