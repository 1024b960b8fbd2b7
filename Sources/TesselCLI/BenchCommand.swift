import ArgumentParser
import Tessel
import TesselBenchmarking
import TesselSystem

/// `tessel bench`: each layer's forward and backward times, as JSON for the comparison with
/// PyTorch (`Benchmarks/peers/`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time each layer's forward and backward pass (Float32) and write them as JSON.",
        discussion: """
            Runs every chosen layer at its standard shape (or a --shapes file): warm-up runs, \
            then timed runs with forward and backward taking turns; reports each pass's median \
            in milliseconds. With --peak, also measures the FMA peak of a core and, for each \
            memory-bound layer, the copy bandwidth at its working-set size (the faster of a \
            copy with ordinary stores and one with streaming stores). Released tensors \
            are kept for reuse by the block cache (as in `tessel run` and `train`) unless \
            --no-buffer-cache is given. The JSON schema is the one \
            Benchmarks/peers/torch_layers.py writes (see Benchmarks/peers/README.md).
            """)

    @Option(name: .long, help: ArgumentHelp("Comma-separated workloads (default: all; see `tessel scale --list`).", valueName: "names"))
    var layers: String?

    @Option(name: .long, help: "Worker threads.")
    var workers: Int = 2

    @Option(name: .long, help: "Timed runs per pass; the median is reported.")
    var repeats: Int = 11

    @Option(name: .long, help: "Untimed runs of every pass before the timed ones.")
    var warmup: Int = 3

    @Option(name: .long, help: ArgumentHelp("JSON file overriding the standard shapes (see docs/BENCHMARKS.md).", valueName: "file"))
    var shapes: String?

    @Option(name: .long, help: ArgumentHelp("Write the JSON here instead of standard output.", valueName: "file"))
    var out: String?

    @Flag(name: .long, help: "Also measure the FMA peak and the copy bandwidth (a few seconds more).")
    var peak = false

    @OptionGroup var buffers: BufferCacheOption

    func run() throws {
        buffers.apply()
        try RuntimeSettings().applyMemoryLimit(source: "the built-in runtime settings")
        if let out { try OutputFolder.checkWritable(file: out) }
        let shapeSettings = try shapes.map { try BenchmarkShapes.load(from: $0) } ?? .standard
        let prepared = try BenchmarkSelection.workloads(layers).map { try shapeSettings.prepare($0) }
        let report = try PeerBenchmark.run(prepared, workers: workers, repeats: repeats, warmup: warmup, measurePeak: peak)
        let json = try report.json()
        if let out {
            try TesselError.translatingSystemErrors { try AtomicFile.write(json, to: out) }
        } else {
            print(String(decoding: json, as: UTF8.self), terminator: "")
        }
    }
}
