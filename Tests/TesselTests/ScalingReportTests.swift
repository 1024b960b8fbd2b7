#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
@testable import Tessel
@testable import TesselBenchmarking
import TesselTestSupport

@Suite struct ScalingReportTests {
    /// A report with known numbers: affine halves its time on 2 workers, relu speeds up 1.6×.
    static let report: ScalingReport = {
        func layer(_ name: String, unit: ThroughputUnit, times: [Double]) -> ScalingReport.Layer {
            let cost = BenchmarkCost(flops: 2e9, bytes: 1e8)
            let points = zip([1, 2], times).map { workers, time in
                ScalingReport.Point(workers: workers, medianSeconds: time, minimumSeconds: time * 0.9, maximumSeconds: time * 1.1,
                                    passMedianSeconds: [time / 3, 2 * time / 3], speedup: times[0] / time,
                                    efficiency: times[0] / time / Double(workers), throughput: unit.rate(of: cost, seconds: time))
            }
            let fit = AmdahlFit(speedups: points.map { ($0.workers, $0.speedup) })
            return ScalingReport.Layer(name: name, shape: "x (2, 3), w (3, 4)", passes: ["forward", "backward"], cost: cost,
                                       unit: unit, points: points, amdahl: fit, predicted16: fit?.predictedSpeedup(workers: 16),
                                       predicted64: fit?.predictedSpeedup(workers: 64))
        }
        return ScalingReport(onlineCPUs: 2, loadAverageBefore: [0.5, 0.25, 0.125], loadAverageAfter: [], repeats: 10, warmup: 2,
                             grainSize: 65536,
                             layers: [layer("affine", unit: .gflops, times: [0.1, 0.05]), layer("relu", unit: .gigabytes, times: [0.016, 0.01])],
                             tinyShape: [16, 1024],
                             overhead: [.init(workers: 1, emptyCallSeconds: 1e-7, tinyCallSeconds: 2e-6),
                                        .init(workers: 2, emptyCallSeconds: 1.5e-6, tinyCallSeconds: 4e-6)])
    }()

    @Test func tableShowsEveryLayerTheFitAndTheOverhead() {
        let table = Self.report.table()
        #expect(table.contains("affine  x (2, 3), w (3, 4)  [forward+backward]"))
        #expect(table.contains("\n  workers      median   speedup   efficiency     GFLOP/s\n"))
        #expect(table.contains("\n        1   100.00 ms     1.00×         100%        20.0\n"))
        #expect(table.contains("\n        2    50.00 ms     2.00×         100%        40.0\n"))
        #expect(table.contains("Amdahl serial fraction s = 0.000: predicted speedup 16.0× on 16 cores, 64.0× on 64 cores"))
        // relu: S(2) = 1.6 gives s = 0.25, S(16) = 1/(0.25 + 0.75/16) = 3.37, S(64) = 3.82.
        #expect(table.contains("Amdahl serial fraction s = 0.250: predicted speedup 3.4× on 16 cores, 3.8× on 64 cores"))
        #expect(table.contains("\nlayer    1 worker   2 workers   speedup   efficiency   serial s   S(16)   S(64)\n"))
        #expect(table.contains("\nrelu     16.00 ms    10.00 ms     1.60×          80%      0.250    3.4×    3.8×\n"))
        #expect(table.contains("load average before: 0.50, 0.25, 0.13; after: unknown"))
        #expect(table.contains("\n  workers   empty parallel call   ReLU (16, 1024), 16 tiles, grain 0\n"))
        #expect(table.contains("\n        2               1.50 µs                              4.00 µs\n"))
    }

    @Test func csvHasAHeaderAndOneRowPerLayerAndWorkerCount() {
        let lines = Self.report.csv().split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[0] == "layer,shape,workers,median_s,min_s,max_s,speedup,efficiency,throughput,unit,amdahl_serial_fraction")
        #expect(lines[1] == "affine,\"x (2, 3), w (3, 4)\",1,0.1,0.09000000000000001,0.11000000000000001,1.0,1.0,20.0,GFLOP/s,0.0")
        #expect(lines[4].hasPrefix("relu,\"x (2, 3), w (3, 4)\",2,0.01,"))
        #expect(lines[4].hasSuffix(",GB/s,0.25") || lines[4].contains(",GB/s,0.2499"))
    }

    @Test func jsonRoundTrips() throws {
        let bytes = try Self.report.json()
        let decoded = try JSONDecoder().decode(ScalingReport.self, from: Data(bytes))
        #expect(decoded == Self.report)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""serialFraction""#))
    }

    @Test func svgDrawsALinePerLayerTheDiagonalAndLabelledAxes() {
        let svg = Self.report.svgChart()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 2 * 2 + 2, "a marker per point and per legend row")
        #expect(svg.contains(">workers (threads)</text>"))
        #expect(svg.contains(">speedup over 1 worker (×)</text>"))
        #expect(svg.contains(">ideal (speedup = workers)</text>") && svg.contains("stroke-dasharray=\"7 5\""))
        // The legend lists the best speedup first.
        let affine = svg.range(of: ">affine</text>")!, relu = svg.range(of: ">relu</text>")!
        #expect(affine.lowerBound < relu.lowerBound)
        #expect(svg.contains("<title>relu: 2 workers, 1.60× (10.00 ms)</title>"))
    }

    @Test func svgEscapesNamesAndScalesToManyWorkers() {
        #expect(ScalingReport.escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;")
        #expect(ScalingReport.niceCeiling(2.1) == 2.5)
        #expect(ScalingReport.niceCeiling(67.2) == 100)
        #expect(ScalingReport.niceCeiling(0.3) == 0.5)
        #expect(ScalingReport.niceCeiling(1) == 1)
        #expect(ScalingReport.ticks(upTo: 2.5) == [0, 0.5, 1, 1.5, 2, 2.5])
        #expect(ScalingReport.workerTicks(measured: [2, 4], upTo: 4) == [1, 2, 4])
        #expect(ScalingReport.workerTicks(measured: Set(1...64), upTo: 64) == [1, 10, 20, 30, 40, 50, 60])
    }

    @Test func writesThreeFilesIntoAFolder() throws {
        let folder = try TemporaryFolder()
        try Self.report.write(toFolder: folder.path)
        #expect(try folder.contents() == ["scaling.csv", "scaling.json", "scaling.svg"])
        #expect(try FileBytes.read(from: folder.path + "/scaling.csv") == Array(Self.report.csv().utf8))
        #expect(try FileBytes.read(from: folder.path + "/scaling.json") == Self.report.json())
        #expect(try FileBytes.read(from: folder.path + "/scaling.svg") == Array(Self.report.svgChart().utf8))
        try Self.report.write(toFolder: folder.path + "/")
        #expect(try folder.contents() == ["scaling.csv", "scaling.json", "scaling.svg"])
    }

    @Test func aMissingFolderIsAnError() throws {
        let folder = try TemporaryFolder()
        #expect(throws: TesselError.self) { try Self.report.write(toFolder: folder.path + "/missing") }
        #expect(try folder.contents().isEmpty)
    }
}
