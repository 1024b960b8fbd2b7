import ArgumentParser
import FoundationEssentials
import Tessel

/// `tessel run [CONFIG]`: time a network's forward+backward steps, layer by layer.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Time forward+backward steps of a config's network, layer by layer.",
        discussion: """
            Builds the network of CONFIG, fills one batch (seeded random data, or the config's \
            .npy files), runs the warm-up steps, then times the steps and prints each layer's \
            forward and backward milliseconds per step, its share of the step and its GFLOP/s, \
            the median step time and images per second. Parameters are not updated. \
            --check also runs every layer's serial reference on the same batch (in float64) and \
            prints each layer's maximum relative error; it exits with status 1 when one exceeds 1e-4. \
            Under mpirun, --distributed shares the batch among the ranks (run.shards must be a \
            multiple of the rank count); rank 0 prints, with the time spent in MPI per step.
            """
    )

    @OptionGroup var workload: WorkloadOptions

    @OptionGroup var distribution: DistributedOptions

    @Option(name: .long, help: "Timed steps (default: the config's run.steps).")
    var steps: Int?

    @Flag(name: .long, help: "Compare every layer with its serial reference on the same batch (float64); exit 1 above 1e-4.")
    var check = false

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    /// The largest relative error `--check` accepts.
    static let tolerance = 1e-4

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
    }

    func run() throws {
        workload.buffers.apply()
        let config = try workload.loadWorkload()
        try workload.applyMemoryLimit(of: config)
        let scheduler = try workload.scheduler(for: config)
        if let dump = distribution.dump { try OutputFolder.checkWritable(dump) }
        let batch = try config.runBatch(as: Float.self)
        let ranks = try distribution.exchange()
        var communication: [(calls: Int, bytesSent: Int, seconds: Double)] = []
        var last: (Network<Float>, [Tensor<Float>])? = nil
        let report = try config.measure(steps: steps, batch: batch, scheduler: scheduler, exchange: ranks.exchange) { network, result in
            if let statistics = ranks.statistics { communication.append(statistics) }
            last = (network, result.gradients)
        }
        if let dump = distribution.dump, let (network, gradients) = last { try ranks.dump(network, gradients: gradients, to: dump) }
        if let (network, _) = last { try ranks.finish(network) }
        guard ranks.isLeader else { return }
        var checks: [Network<Double>.LayerCheck]? = nil
        if check {
            let network = try Network<Float>(config).converted(to: Double.self)
            checks = try network.check(images: try batch.images.converted(to: Double.self), labels: batch.labels, scheduler: scheduler)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let output = JSONReport(report: report, description: config.description,
                                    check: checks.map { $0.map { JSONReport.Check(layer: $0.layer, forward: $0.forward, backward: $0.backward) } },
                                    tolerance: checks == nil ? nil : Self.tolerance)
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            printTable(report, config: config)
            printCommunication(communication, ranks: ranks.exchange.ranks, shards: config.run.shards, stepMilliseconds: report.stepMilliseconds)
            if let checks { printChecks(checks) }
        }
        if let checks, checks.contains(where: { !($0.maximum <= Self.tolerance) }) { throw ExitCode(1) }
    }

    private func printTable(_ report: RunReport, config: Workload) {
        typealias F = TextFormat
        print("\(report.workload): \(config.description)")
        print("batch \(report.batchSize), float32, \(report.steps) timed steps after \(report.warmup) warm-up, \(report.workers) workers")
        print()
        print(F.left("layer", 20) + F.left("output", 16) + F.right("forward ms", 12) + F.right("backward ms", 13)
              + F.right("share", 8) + F.right("GFLOP/s", 10))
        for layer in report.layers {
            let isLoss = layer.name == "loss"
            print(F.left(layer.name, 20) + F.left(Shape.describe(layer.output), 16)
                  + F.right(F.number("%.3f", layer.forwardMilliseconds), 12)
                  + F.right(isLoss ? "-" : F.number("%.3f", layer.backwardMilliseconds), 13)
                  + F.right(F.number("%.1f%%", layer.share * 100), 8)
                  + F.right(isLoss ? "-" : F.number("%.1f", layer.gigaflopsPerSecond), 10))
        }
        print()
        print("step: median \(F.number("%.2f", report.stepMilliseconds)) ms (fastest \(F.number("%.2f", report.fastestStepMilliseconds)) ms), "
              + "\(F.number("%.1f", report.imagesPerSecond)) images/s, \(report.workers) workers, "
              + "\(F.number("%.0f", report.pageFaultsPerStep)) page faults/step")
        print("resident set: \(F.number("%.1f", Double(report.residentBytesAfterWarmup) / 1048576)) MiB after warm-up, "
              + "\(F.number("%.1f", Double(report.residentBytesAfterSteps) / 1048576)) MiB after the timed steps, "
              + "peak \(F.number("%.1f", Double(report.peakResidentBytes) / 1048576)) MiB")
    }

    /// The MPI share of a step, from the counters after each timed step (the first timed step
    /// is left out: its counters include the warm-up's).
    private func printCommunication(_ counters: [(calls: Int, bytesSent: Int, seconds: Double)], ranks: Int, shards: Int,
                                    stepMilliseconds: Double) {
        guard counters.count >= 2 else { return }
        typealias F = TextFormat
        let steps = Double(counters.count - 1), first = counters[0], end = counters[counters.count - 1]
        let milliseconds = (end.seconds - first.seconds) * 1e3 / steps
        print("communication: \(ranks) ranks, \(shards) shards, \(F.number("%.0f", Double(end.calls - first.calls) / steps)) exchanges "
              + "and \(F.number("%.0f", Double(end.bytesSent - first.bytesSent) / steps)) bytes sent per step, "
              + "\(F.number("%.2f", milliseconds)) ms in MPI per step (\(F.number("%.1f%%", milliseconds / stepMilliseconds * 100)) of the median step)")
    }

    private func printChecks(_ checks: [Network<Double>.LayerCheck]) {
        typealias F = TextFormat
        print()
        print("check against the serial references (float64, same batch; max relative error, limit \(F.number("%.0e", Self.tolerance))):")
        print(F.left("layer", 20) + F.right("forward", 12) + F.right("backward", 12) + "  result")
        for check in checks {
            let passed = check.maximum <= Self.tolerance
            print(F.left(check.layer, 20) + F.right(F.number("%.2e", check.forward), 12)
                  + F.right(check.layer == "loss" ? "-" : F.number("%.2e", check.backward), 12) + (passed ? "  ok" : "  FAILED"))
        }
    }

    /// The `--json` output: the run report, and the check when one ran.
    struct JSONReport: Encodable {
        struct Check: Encodable {
            var layer: String
            var forward: Double
            var backward: Double
        }

        var report: RunReport
        var description: String
        var check: [Check]?
        var tolerance: Double?
    }
}
