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
            Under mpirun, --distributed shares the batch among the ranks (any rank count up to \
            run.shards); rank 0 prints, with the time spent in MPI per step. \
            --trace DIR writes the last step's input, every layer's output and every input \
            gradient as numbered .npy files, for `tessel diff` to find where two runs part. \
            --mode test times test-mode forward passes only (batch norm on the running \
            statistics, dropout as the identity; no loss, no backward): inference throughput.
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

    @Option(name: .long, help: "train: forward+loss+backward steps (default); test: test-mode forward passes only.")
    var mode: RunReport.Mode = .train

    /// The largest relative error `--check` accepts.
    static let tolerance = 1e-4

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if mode == .test && distribution.distributed { throw ValidationError("--mode test runs in one process: leave out --distributed") }
    }

    func run() throws {
        workload.buffers.apply()
        let config = try workload.loadWorkload()
        try workload.applyMemoryLimit(of: config)
        try distribution.checkTraceFolder()
        let scheduler = try workload.scheduler(for: config)
        if let dump = distribution.dump { try OutputFolder.checkWritable(dump) }
        let batch = try config.runBatch(as: Float.self)
        if mode == .test {
            try runInference(config: config, batch: batch, scheduler: scheduler)
            return
        }
        let ranks = try distribution.exchange()
        var communication = CommunicationLog(ranks: ranks.exchange.ranks, shards: config.run.shards)
        var last: (Network<Float>, [Tensor<Float>])? = nil
        var trace: NetworkTrace<Float>? = nil
        let report = try config.measure(steps: steps, batch: batch, scheduler: scheduler, exchange: ranks.exchange,
                                        tracing: distribution.trace != nil,
                                        fusion: try workload.settings(for: config).fusion) { network, result in
            communication.record(ranks)
            last = (network, result.gradients)
            trace = result.trace ?? trace
        }
        if let dump = distribution.dump, let (network, gradients) = last { try ranks.dump(network, gradients: gradients, to: dump) }
        if let folder = distribution.trace { try ranks.writeTrace(trace, to: folder) }
        if let (network, _) = last { try ranks.finish(network) }
        guard ranks.isLeader else { return }
        var checks: [Network<Double>.LayerCheck]? = nil
        if check {
            let network = try Network<Float>(config).converted(to: Double.self)
            checks = try network.check(images: try batch.images.converted(to: Double.self), labels: batch.labels, scheduler: scheduler)
        }
        if json {
            try printJSON(report, config: config, checks: checks, communication: distribution.distributed ? communication : nil)
        } else {
            printTable(report, config: config)
            if let line = communication.summary(stepMilliseconds: report.stepMilliseconds) { print(line) }
            if let checks { printChecks(checks) }
        }
        if let checks, checks.contains(where: { !($0.maximum <= Self.tolerance) }) { throw ExitCode(1) }
    }

    /// `--mode test`: times test-mode forward passes; `--check` checks the layers as in train mode.
    private func runInference(config: Workload, batch: Dataset<Float>, scheduler: Scheduler) throws {
        let report = try config.measureInference(steps: steps, batch: batch, scheduler: scheduler)
        var checks: [Network<Double>.LayerCheck]? = nil
        if check {
            let network = try Network<Float>(config).converted(to: Double.self)
            checks = try network.check(images: try batch.images.converted(to: Double.self), labels: batch.labels, scheduler: scheduler)
        }
        if json {
            try printJSON(report, config: config, checks: checks, communication: nil)
        } else {
            printTable(report, config: config)
            if let checks { printChecks(checks) }
        }
        if let checks, checks.contains(where: { !($0.maximum <= Self.tolerance) }) { throw ExitCode(1) }
    }

    private func printJSON(_ report: RunReport, config: Workload, checks: [Network<Double>.LayerCheck]?,
                           communication: CommunicationLog?) throws {
        let output = JSONReport(report: report, description: config.description,
                                check: checks.map { $0.map { JSONReport.Check(layer: $0.layer, forward: $0.forward, backward: $0.backward) } },
                                tolerance: checks == nil ? nil : Self.tolerance, communication: communication)
        print(try JSONOutput.text(output))
    }

    private func printTable(_ report: RunReport, config: Workload) {
        typealias F = TextFormat
        print("\(report.workload): \(config.description)")
        let what = report.mode == .test ? "test-mode forward passes" : "steps"
        print("batch \(report.batchSize), float32, \(report.steps) timed \(what) after \(report.warmup) warm-up, \(report.workers) workers")
        print()
        print(F.left("layer", 20) + F.left("output", 16) + F.right("forward ms", 12) + F.right("backward ms", 13)
              + F.right("share", 8) + F.right("GFLOP/s", 10))
        for layer in report.layers {
            if layer.fusedInto != nil {
                print(F.left(layer.name, 20) + F.left(Shape.describe(layer.output), 16) + F.right("fused", 12) + F.right("fused", 13)
                      + F.right("-", 8) + F.right("-", 10))
                continue
            }
            let isLoss = layer.name == "loss", noBackward = isLoss || report.mode == .test
            print(F.left(layer.name, 20) + F.left(Shape.describe(layer.output), 16)
                  + F.right(F.number("%.3f", layer.forwardMilliseconds), 12)
                  + F.right(noBackward ? "-" : F.number("%.3f", layer.backwardMilliseconds), 13)
                  + F.right(F.number("%.1f%%", layer.share * 100), 8)
                  + F.right(isLoss ? "-" : F.number("%.1f", layer.gigaflopsPerSecond), 10))
        }
        // One entry per chain, its head then its fused layers in order.
        var heads: [String] = [], members: [String: [String]] = [:]
        for layer in report.layers {
            guard let head = layer.fusedInto else { continue }
            if members[head] == nil { heads.append(head) }
            members[head, default: [head]].append(layer.name)
        }
        let chains = heads.map { members[$0]!.joined(separator: " + ") }
        if !chains.isEmpty {
            print("fused chains (runtime setting 'fusion'; each chain's time is in its first layer's row): "
                  + chains.joined(separator: ", "))
        }
        print()
        print("\(report.mode == .test ? "forward pass" : "step"): median \(F.number("%.2f", report.stepMilliseconds)) ms (fastest \(F.number("%.2f", report.fastestStepMilliseconds)) ms), "
              + "\(F.number("%.1f", report.imagesPerSecond)) images/s, \(report.workers) workers, "
              + "\(F.number("%.0f", report.pageFaultsPerStep)) page faults/\(report.mode == .test ? "pass" : "step")")
        print("resident set: \(F.number("%.1f", Double(report.residentBytesAfterWarmup) / 1048576)) MiB after warm-up, "
              + "\(F.number("%.1f", Double(report.residentBytesAfterSteps) / 1048576)) MiB after the timed steps, "
              + "peak \(F.number("%.1f", Double(report.peakResidentBytes) / 1048576)) MiB")
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
        /// With --distributed: this rank's MPI traffic in each timed step.
        var communication: CommunicationLog?
    }
}

extension RunReport.Mode: ExpressibleByArgument {}
