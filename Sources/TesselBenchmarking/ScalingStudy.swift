import Tessel

/// Measures how layers speed up with more workers: the engine of `tessel scale`.
///
/// For each layer it prepares the inputs once, runs every pass `warmup` times at each worker
/// count, then times `repeats` steps (every pass once) at each worker count. The worker counts
/// take turns within each repeat, so that a change in the machine's load during the study
/// falls on all of them alike rather than on whichever count ran last.
public enum ScalingStudy {
    /// What the study is doing, for a progress display.
    public enum Event: Sendable {
        /// A step of `task` (a layer's name, or `scheduler overhead`) at `workers` is about to
        /// run; `completed` of `total` steps of the whole study are done.
        case step(task: String, workers: Int, completed: Int, total: Int)
        /// A layer's measurements are complete.
        case layerFinished(ScalingReport.Layer, completed: Int, total: Int)
    }

    /// The input of the tiny call of the overhead measurement: 16 tiles of 1024 elements.
    public static let tinyShape = [16, 1024]

    /// Measures `workloads` (prepared by the caller, e.g. with `BenchmarkShapes.prepare`) and the
    /// scheduler overhead; calls `progress` on the calling thread before every step.
    /// - Throws: whatever a layer throws (not expected for prepared workloads), or
    ///   `TesselError.outOfMemory`.
    public static func run(_ workloads: [PreparedBenchmark], options: ScalingOptions,
                           progress: (Event) -> Void = { _ in }) throws -> ScalingReport {
        let loadBefore = SystemLoad.averages()
        let counts = options.workerCounts
        let schedulers = try counts.map { try options.scheduler(workers: $0) }
        let stepsPerLayer = counts.count * (options.warmup + options.repeats)
        let total = workloads.count * stepsPerLayer + counts.count
        var completed = 0
        var layers: [ScalingReport.Layer] = []
        for workload in workloads {
            for (workers, scheduler) in zip(counts, schedulers) {
                for _ in 0..<options.warmup {
                    progress(.step(task: workload.name, workers: workers, completed: completed, total: total))
                    try workload.runAll(scheduler: scheduler)
                    completed += 1
                }
            }
            // samples[count][repeat][pass]
            var samples = [[[Double]]](repeating: [], count: counts.count)
            for _ in 0..<options.repeats {
                for (index, scheduler) in schedulers.enumerated() {
                    progress(.step(task: workload.name, workers: counts[index], completed: completed, total: total))
                    samples[index].append(try workload.passes.map { pass in try Stopwatch.seconds { try pass.run(.tiled(scheduler)) } })
                    completed += 1
                }
            }
            let layer = summarize(workload, counts: counts, samples: samples)
            layers.append(layer)
            progress(.layerFinished(layer, completed: completed, total: total))
        }
        var overhead: [ScalingReport.Overhead] = []
        for workers in counts {
            progress(.step(task: "scheduler overhead", workers: workers, completed: completed, total: total))
            overhead.append(try measureOverhead(workers: workers, batches: max(options.repeats, 5)))
            completed += 1
        }
        return ScalingReport(onlineCPUs: Scheduler.onlineCPUCount, loadAverageBefore: loadBefore,
                             loadAverageAfter: SystemLoad.averages(), repeats: options.repeats, warmup: options.warmup,
                             grainSize: options.template.grainSize, layers: layers, tinyShape: tinyShape, overhead: overhead)
    }

    /// Medians, speedups and the Amdahl fit of one layer's samples.
    static func summarize(_ workload: PreparedBenchmark, counts: [Int], samples: [[[Double]]]) -> ScalingReport.Layer {
        let cost = workload.cost
        let steps = samples.map { runs in runs.map { $0.reduce(0, +) } }
        let baseline = Stopwatch.median(steps[0])
        let points = counts.indices.map { index in
            let median = Stopwatch.median(steps[index])
            let speedup = baseline / median
            return ScalingReport.Point(
                workers: counts[index], medianSeconds: median,
                minimumSeconds: steps[index].min()!, maximumSeconds: steps[index].max()!,
                passMedianSeconds: workload.passes.indices.map { pass in Stopwatch.median(samples[index].map { $0[pass] }) },
                speedup: speedup, efficiency: speedup / Double(counts[index]),
                throughput: workload.unit.rate(of: cost, seconds: median))
        }
        let fit = AmdahlFit(speedups: points.map { ($0.workers, $0.speedup) })
        return ScalingReport.Layer(name: workload.name, shape: workload.values.description,
                                   passes: workload.passes.map(\.name), cost: cost, unit: workload.unit,
                                   points: points, amdahl: fit,
                                   predicted16: fit?.predictedSpeedup(workers: 16),
                                   predicted64: fit?.predictedSpeedup(workers: 64))
    }

    /// The per-call cost of an empty parallel call and of a tiny ReLU at `workers`.
    static func measureOverhead(workers: Int, batches: Int) throws -> ScalingReport.Overhead {
        let tinyTiles = TileSettings(elementsPerTile: tinyShape[1])
        let scheduler = try Scheduler(workers: workers, grainSize: 0, tiles: tinyTiles)
        let empty = Tiling(rows: workers, tileRows: 1)
        let x = try BenchmarkInputs.uniform(tinyShape, seed: 3)
        let emptyCalls = 200, tinyCalls = 50
        func perCall(_ calls: Int, _ body: () throws -> Void) throws -> Double {
            for _ in 0..<calls { try body() }
            let batchTimes = try (0..<batches).map { _ in try Stopwatch.seconds { for _ in 0..<calls { try body() } } }
            return Stopwatch.median(batchTimes) / Double(calls)
        }
        return ScalingReport.Overhead(
            workers: workers,
            emptyCallSeconds: try perCall(emptyCalls) { scheduler.forEachTile(empty, workPerTile: 1) { _ in } },
            tinyCallSeconds: try perCall(tinyCalls) { _ = try ReLU.forward(x, scheduler: scheduler) })
    }
}
