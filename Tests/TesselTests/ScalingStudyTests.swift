#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
@testable import Tessel
@testable import TesselBenchmarking

@Suite struct ScalingStudyTests {
    @Test func measuresEveryWorkerCountAndReportsProgress() throws {
        let workload = try LayerBenchmark.relu.prepare(.small)
        let options = try ScalingOptions(workerCounts: [2, 3], repeats: 3, warmup: 1, template: try Scheduler(grainSize: 0))
        #expect(options.workerCounts == [1, 2, 3])
        var steps: [(task: String, workers: Int, completed: Int, total: Int)] = []
        var finished: [String] = []
        let report = try ScalingStudy.run([workload], options: options) { event in
            switch event {
            case let .step(task, workers, completed, total): steps.append((task, workers, completed, total))
            case let .layerFinished(layer, _, _): finished.append(layer.name)
            }
        }
        // 3 counts × (1 warm-up + 3 timed) layer steps, then one overhead step per count.
        #expect(steps.count == 15)
        #expect(steps.map(\.completed) == Array(0..<15))
        #expect(steps.allSatisfy { $0.total == 15 })
        #expect(steps.prefix(12).allSatisfy { $0.task == "relu" })
        #expect(steps[3...5].map(\.workers) == [1, 2, 3], "worker counts take turns within a repeat")
        #expect(steps.suffix(3).map(\.task) == Array(repeating: "scheduler overhead", count: 3))
        #expect(finished == ["relu"])

        let layer = try #require(report.layers.first)
        #expect(report.layers.count == 1)
        #expect(layer.points.map(\.workers) == [1, 2, 3])
        #expect(layer.points[0].speedup == 1)
        #expect(layer.passes == ["forward", "backward"])
        #expect(layer.cost == workload.cost)
        for point in layer.points {
            #expect(point.minimumSeconds <= point.medianSeconds && point.medianSeconds <= point.maximumSeconds)
            #expect(point.passMedianSeconds.count == 2)
            #expect(abs(point.speedup - layer.points[0].medianSeconds / point.medianSeconds) < 1e-12)
            #expect(abs(point.efficiency - point.speedup / Double(point.workers)) < 1e-12)
            #expect(abs(point.throughput - layer.cost.bytes / point.medianSeconds / 1e9) < 1e-9 * point.throughput)
        }
        let fit = try #require(layer.amdahl)
        #expect(layer.predicted16 == fit.predictedSpeedup(workers: 16))
        #expect(layer.predicted64 == fit.predictedSpeedup(workers: 64))
        #expect(report.overhead.map(\.workers) == [1, 2, 3])
        #expect(report.overhead.allSatisfy { $0.emptyCallSeconds > 0 && $0.tinyCallSeconds > $0.emptyCallSeconds })
        #expect(report.repeats == 3 && report.warmup == 1 && report.grainSize == 0)
        #expect(report.onlineCPUs == Scheduler.onlineCPUCount)
    }

    @Test func oneWorkerOnlyHasNoFit() throws {
        let report = try ScalingStudy.run([try LayerBenchmark.relu.prepare(.small)],
                                          options: try ScalingOptions(workerCounts: [1], repeats: 1, warmup: 0))
        #expect(report.layers[0].amdahl == nil && report.layers[0].predicted16 == nil)
        #expect(!report.table().contains("Summary"))
    }

    @Test func optionsRejectBadValues() {
        func invalid(_ parameter: String, _ value: String, _ reason: String) -> TesselError {
            .invalidParameter(component: "scale", parameter: parameter, value: value, reason: reason)
        }
        #expect(throws: invalid("workers", "0", "a worker count must be at least 1")) { try ScalingOptions(workerCounts: [2, 0]) }
        #expect(throws: invalid("workers", "[]", "needs at least one worker count")) { try ScalingOptions(workerCounts: []) }
        #expect(throws: invalid("repeats", "0", "must be at least 1")) { try ScalingOptions(repeats: 0) }
        #expect(throws: invalid("warmup", "-1", "must not be negative")) { try ScalingOptions(warmup: -1) }
    }

    @Test func defaultWorkerCountsRunUpToTheOnlineCPUs() throws {
        #expect(try ScalingOptions().workerCounts == Array(1...Scheduler.onlineCPUCount))
        #expect(try ScalingOptions(workerCounts: [4, 2, 4]).workerCounts == [1, 2, 4])
        let template = try Scheduler(workers: 7, grainSize: 5, tiles: TileSettings(elementsPerTile: 3))
        let scheduler = try ScalingOptions(template: template).scheduler(workers: 2)
        #expect(scheduler.workers == 2 && scheduler.grainSize == 5 && scheduler.tiles == template.tiles)
    }
}
