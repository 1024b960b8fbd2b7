import ArgumentParser
import Tessel
import TesselBenchmarking

/// `tessel scale`: how each layer's forward+backward speeds up from 1 worker to many.
struct ScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Measure how each layer's forward+backward speeds up with more workers.",
        discussion: """
            Runs every chosen layer at each worker count (warm-up runs first, then the timed \
            runs, the worker counts taking turns), prints a table per layer (median time, \
            speedup over 1 worker, parallel efficiency, GFLOP/s or GB/s, the Amdahl serial \
            fraction fitted to the speedups and the speedups it predicts on 16 and 64 cores) and \
            the cost of an empty and of a tiny parallel call. Writes scaling.csv, scaling.json \
            and scaling.svg (a chart of speedup against workers) into the --out folder, \
            atomically: Ctrl-C (SIGINT) or SIGTERM ends the run at once (by the signal) and \
            leaves the files of an earlier run as they were.
            """)

    @Option(name: .long, help: ArgumentHelp("Comma-separated workloads (default: all; see --list).", valueName: "names"))
    var layers: String?

    @Option(name: .long, help: ArgumentHelp("Comma-separated worker counts, 1 added if missing; may exceed the CPUs (default: 1 … online CPUs).", valueName: "counts"))
    var workers: String?

    @Option(name: .long, help: "Timed runs per layer and worker count; the median is reported.")
    var repeats: Int = ScalingOptions.defaultRepeats

    @Option(name: .long, help: "Untimed runs per layer and worker count before the timed ones.")
    var warmup: Int = ScalingOptions.defaultWarmup

    @Option(name: .long, help: ArgumentHelp("Folder for scaling.csv, scaling.json and scaling.svg (created if missing).", valueName: "folder"))
    var out: String = "scale-results"

    @Option(name: .long, help: ArgumentHelp("JSON file overriding the standard shapes (see docs/BENCHMARKS.md).", valueName: "file"))
    var shapes: String?

    @Option(name: .long, help: ArgumentHelp("A runtime settings file (grain, tiles, NUMA mode; its workers are not used). Default: built-in defaults.", valueName: "file"))
    var settings: String?

    @Flag(name: .long, help: "List the workloads and their standard settings, then exit.")
    var list = false

    func run() throws {
        if list {
            for workload in LayerBenchmark.all {
                print(workload.name + String(repeating: " ", count: max(1, 18 - workload.name.count)) + "\(workload.values(.standard))")
            }
            return
        }
        let chosen = try BenchmarkSelection.workloads(layers)
        let runtime = try settings.map { try RuntimeSettings.load(from: $0) } ?? RuntimeSettings()
        try runtime.applyMemoryLimit(source: settings ?? "the built-in runtime settings")
        let options = try ScalingOptions(workerCounts: try workerCounts(), repeats: repeats, warmup: warmup,
                                         template: try runtime.makeScheduler())
        let shapeSettings = try shapes.map { try BenchmarkShapes.load(from: $0) } ?? .standard
        // Prepare everything first, so that a bad shapes file fails before minutes of measuring.
        let prepared = try chosen.map { try shapeSettings.prepare($0) }
        try OutputFolder.checkWritable(out)
        var progress = ProgressDisplay(layerCount: prepared.count, workerCounts: options.workerCounts)
        let report = try ScalingStudy.run(prepared, options: options) { progress.show($0) }
        progress.finish()
        print(report.table(), terminator: "")
        try OutputFolder.create(out)
        try report.write(toFolder: out)
        let base = out.hasSuffix("/") ? out : out + "/"
        print("\nWrote \(base)\(ScalingReport.fileNames.csv), \(base)\(ScalingReport.fileNames.json), \(base)\(ScalingReport.fileNames.svg)")
    }

    /// The counts of `--workers`, or nil for the default.
    private func workerCounts() throws -> [Int]? {
        guard let workers else { return nil }
        return try workers.split(separator: ",", omittingEmptySubsequences: false).map { field in
            guard let count = Int(String(field).trimmingSpaces()), count >= 1 else {
                throw ValidationError("--workers: '\(field)' is not a worker count (a positive integer)")
            }
            return count
        }
    }
}

extension String {
    /// The string without leading and trailing spaces.
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

