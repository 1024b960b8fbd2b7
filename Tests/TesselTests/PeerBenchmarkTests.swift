#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
@testable import Tessel
@testable import TesselBenchmarking

@Suite struct PeerBenchmarkTests {
    @Test func reportsEveryPassInTheSharedSchema() throws {
        let workloads = try [LayerBenchmark.relu, .softmaxLoss].map { try $0.prepare(.small) }
        let report = try PeerBenchmark.run(workloads, workers: 2, repeats: 3, warmup: 1, measurePeak: false)
        #expect(report.runtime == "tessel" && report.workers == 2 && report.cores == Scheduler.onlineCPUCount)
        #expect(report.layers.map(\.name) == ["relu", "softmax_loss"])
        #expect(report.layers[0].shape == "x (64, 256)")
        #expect(report.layers[0].forwardMilliseconds > 0 && report.layers[0].backwardMilliseconds > 0)
        // A loss is one call: all its time is the forward's.
        #expect(report.layers[1].forwardMilliseconds > 0 && report.layers[1].backwardMilliseconds == 0)
        #expect(report.layers[0].bytes == workloads[0].cost.bytes && report.layers[0].unit == "GB/s")
        #expect(report.layers.allSatisfy { $0.copyGigabytesPerSecond == nil } && report.peak == nil)

        // The schema's key names, as Benchmarks/peers/compare.py reads them; nil values are left out.
        let json = try report.json()
        let text = String(decoding: json, as: UTF8.self)
        for key in ["runtime", "date", "cpu", "cores", "workers", "uptime", "layers", "name", "shape",
                    "forward_ms", "backward_ms", "flops", "bytes", "unit"] {
            #expect(text.contains("\"\(key)\" : "), "missing key \(key)")
        }
        #expect(!text.contains("copy_gbps") && !text.contains("\"peak\"") && text.contains("GB/s"))
        let decoded = try JSONDecoder().decode(PeerReport.self, from: Data(json))
        #expect(decoded.layers.map(\.forwardMilliseconds) == report.layers.map(\.forwardMilliseconds))
    }

    @Test func rejectsBadCounts() throws {
        let workloads = [try LayerBenchmark.relu.prepare(.small)]
        #expect(throws: TesselError.self) { try PeerBenchmark.run(workloads, workers: 2, repeats: 0, warmup: 0, measurePeak: false) }
        #expect(throws: TesselError.self) { try PeerBenchmark.run(workloads, workers: 2, repeats: 1, warmup: -1, measurePeak: false) }
        #expect(throws: TesselError.self) { try PeerBenchmark.run(workloads, workers: 0, repeats: 1, warmup: 0, measurePeak: false) }
    }

    @Test func fmaChainsComputeEveryChain() {
        // Chain k starts at seed + k and adds multiplier·1e-7 per step; the result sums all lanes.
        let iterations = 100, seed: Float = 1
        let multiplier = 0.999_999 + seed * 1e-9
        var expected: Float = 0
        for chain in 0..<12 {
            var value = seed + Float(chain)
            for _ in 0..<iterations { value = value.addingProduct(multiplier, 1e-7) }
            expected += value * Float(MachinePeak.Lanes.scalarCount)
        }
        let result = MachinePeak.fmaChains(iterations: iterations, seed: seed)
        #expect(abs(result - expected) <= 1e-4 * abs(expected))
    }

    @Test func ceilingsArePositiveRates() throws {
        #expect(try MachinePeak.fmaGigaflopsPerCore(workers: 2, iterations: 1000, repeats: 1) > 0)
        #expect(try MachinePeak.copyGigabytesPerSecond(workingSetBytes: 1 << 20, workers: 2, repeats: 3) > 0)
        #expect(throws: TesselError.self) { try MachinePeak.fmaGigaflopsPerCore(workers: 0) }
    }

    /// Both forms of the copy copy the source, and the bound is the faster form's.
    @Test func copyProbeCopiesAndTakesTheFasterForm() throws {
        let probe = try CopyProbe(workingSetBytes: 1 << 20, workers: 2)
        #expect(probe.destinationBytes.allSatisfy { $0 == 0 })
        #expect(probe.seconds(.streaming) > 0)
        #expect(probe.destinationBytes.allSatisfy { $0 == 1 }, "the source's bytes, copied by streaming stores")
        #expect(probe.seconds(.ordinary) > 0)
        let bytes = Double(probe.bytes)
        #expect(probe.gigabytesPerSecond([(3, 1), (2, 1), (1, 1)]) == bytes / 1e9)
        #expect(probe.gigabytesPerSecond([(0.5, 1), (0.5, 2), (0.5, 3)]) == bytes / 0.5 / 1e9)
    }
}
