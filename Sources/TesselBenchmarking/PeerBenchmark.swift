import Tessel

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Times the forward and the backward pass of registry workloads on their own, for the
/// comparison with other runtimes (`tessel bench`, `Benchmarks/peers/`).
public enum PeerBenchmark {
    /// Runs each workload's passes `warmup` times, then `repeats` times timed (forward and
    /// backward taking turns), and reports each pass's median. With `measurePeak`, adds the
    /// FMA ceilings and, for each GB/s workload, the copy bandwidth at the working-set size of
    /// its larger pass: one copy with ordinary and one with streaming stores (`CopyProbe`)
    /// timed after each round of the passes, so that the layer and its bound are measured side
    /// by side, and the faster form's median.
    /// - Throws: `TesselError.invalidParameter` when `workers` or `repeats` is below 1 or
    ///   `warmup` below 0; a layer's own error otherwise.
    public static func run(_ workloads: [PreparedBenchmark], workers: Int, repeats: Int, warmup: Int,
                           measurePeak: Bool, progress: (String) -> Void = { _ in }) throws -> PeerReport {
        guard repeats >= 1 else {
            throw TesselError.invalidParameter(component: "bench", parameter: "repeats", value: "\(repeats)", reason: "must be at least 1")
        }
        guard warmup >= 0 else {
            throw TesselError.invalidParameter(component: "bench", parameter: "warmup", value: "\(warmup)", reason: "must not be negative")
        }
        let scheduler = try Scheduler(workers: workers)
        let date = Date().ISO8601Format()
        let uptime = SystemLoad.averages()
        var layers: [PeerLayer] = []
        for workload in workloads {
            progress(workload.name)
            let probe = measurePeak && workload.unit == .gigabytes
                ? try CopyProbe(workingSetBytes: Int(workload.passes.map(\.cost.bytes).max() ?? 0), workers: workers) : nil
            for _ in 0..<warmup {
                try workload.runAll(scheduler: scheduler)
                _ = probe?.secondsOfEachForm()
            }
            var samples = Array(repeating: [Double](), count: workload.passes.count)
            var copySamples: [(ordinary: Double, streaming: Double)] = []
            for _ in 0..<repeats {
                for (index, pass) in workload.passes.enumerated() {
                    samples[index].append(try Stopwatch.seconds { try pass.run(.tiled(scheduler)) })
                }
                if let probe { copySamples.append(probe.secondsOfEachForm()) }
            }
            let medians = samples.map { Stopwatch.median($0) * 1e3 }
            let copy = probe?.gigabytesPerSecond(copySamples)
            let cost = workload.cost
            layers.append(PeerLayer(name: workload.name, shape: workload.values.description,
                                    forwardMilliseconds: medians[0], backwardMilliseconds: medians.dropFirst().reduce(0, +),
                                    flops: cost.flops, bytes: cost.bytes, unit: workload.unit.rawValue,
                                    copyGigabytesPerSecond: copy))
        }
        let peak = measurePeak
            ? PeerPeak(fmaGigaflopsPerCore: try MachinePeak.fmaGigaflopsPerCore(),
                       fmaGigaflopsPerWorker: try MachinePeak.fmaGigaflopsPerCore(workers: workers))
            : nil
        return PeerReport(runtime: "tessel", date: date, cpu: cpuModel(), cores: Scheduler.onlineCPUCount,
                          workers: workers, uptime: uptime, layers: layers, peak: peak)
    }

    /// The `model name` of the first CPU in /proc/cpuinfo, or `unknown`.
    static func cpuModel() -> String {
        guard let bytes = try? FileBytes.read(from: "/proc/cpuinfo") else { return "unknown" }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return String(line[line.index(after: colon)...].drop(while: { $0 == " " }))
            }
        }
        return "unknown"
    }
}
