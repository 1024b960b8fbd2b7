// Every layer of Tessel's workload registry, each pass (forward, backward, a loss's combined
// call) at its standard shape with the tiled kernel on 1 worker and on all online CPUs, and
// the serial reference at the small shape. Metrics: wall clock, throughput (calls per second),
// peak resident memory and mallocs per call. Released tensors' pages are reused through the
// block cache, as in `tessel bench`, `run` and `train`: without it each call would fault in
// its fresh outputs, and a memory-bound layer would time the kernel's page faults.
import Benchmark
import Synchronization
import Tessel
import TesselBenchmarking

let benchmarks: @Sendable () -> Void = {
    BlockCache.shared.enable()
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 2,
        maxDuration: .seconds(1),
        maxIterations: 30,
        // On a shared machine the median time moves 15–50 % between runs minutes apart, and the
        // malloc count (the whole process: the harness and Dispatch too) by up to ±8, so a
        // check flags only large regressions; an allocation per tile adds dozens.
        thresholds: [
            .wallClock: .init(relative: [.p50: 35]),
            .throughput: .init(relative: [.p50: 35]),
            .peakMemoryResident: .init(relative: [.p50: 10]),
            .mallocCountTotal: .init(absolute: [.p50: 10]),
        ]
    )

    let allWorkers = Scheduler.onlineCPUCount
    for workload in LayerBenchmark.all {
        let standard = PreparedSlot(workload, preset: .standard)
        let small = PreparedSlot(workload, preset: .small)
        for (index, passName) in standard.passNames.enumerated() {
            for (label, workers) in [("1 worker", 1), ("all workers", allWorkers)] where label == "1 worker" || allWorkers > 1 {
                let scheduler = try! Scheduler(workers: workers)
                Benchmark("\(workload.name) \(passName), tiled, \(label)",
                          configuration: .init(tags: ["workers": "\(workers)", "shape": "\(workload.values(.standard))"])) { benchmark in
                    let pass = try standard.pass(index)
                    for _ in benchmark.scaledIterations { try pass.run(.tiled(scheduler)) }
                } setup: { try standard.prepare() } teardown: { standard.release() }
            }
            Benchmark("\(workload.name) \(passName), serial reference, small shape",
                      configuration: .init(tags: ["shape": "\(workload.values(.small))"])) { benchmark in
                let pass = try small.pass(index)
                for _ in benchmark.scaledIterations { try pass.run(.reference) }
            } setup: { try small.prepare() } teardown: { small.release() }
        }
    }
}

/// A workload's inputs, built in a benchmark's setup and dropped in its teardown, so that each
/// benchmark's peak memory holds only its own inputs.
final class PreparedSlot: Sendable {
    let workload: LayerBenchmark
    let preset: LayerBenchmark.Preset
    private let prepared = Mutex<PreparedBenchmark?>(nil)

    init(_ workload: LayerBenchmark, preset: LayerBenchmark.Preset) {
        self.workload = workload
        self.preset = preset
    }

    /// The pass names, from the small preset (the passes do not depend on the shapes).
    var passNames: [String] { (try? workload.prepare(.small).passes.map(\.name)) ?? [] }

    func prepare() throws {
        let built = try workload.prepare(preset)
        prepared.withLock { $0 = built }
    }

    func release() { prepared.withLock { $0 = nil } }

    func pass(_ index: Int) throws -> BenchmarkPass {
        guard let pass = prepared.withLock({ $0?.passes[index] }) else {
            throw TesselError.invalidParameter(component: workload.name, parameter: "setup", value: "none",
                                               reason: "the benchmark ran before its setup")
        }
        return pass
    }
}
