import ArgumentParser
import Tessel
#if canImport(Glibc)
import Glibc
#endif

/// `tessel train [CONFIG]`: mini-batch training with per-epoch checkpoints.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a config's network on its data, with a checkpoint after every epoch.",
        discussion: """
            Splits the config's .npy data into training and validation sets with the config's \
            seed, then trains with the config's update rule (sgd, sgd_momentum, rmsprop, adam) \
            and learning-rate decay. Each epoch prints the mean training loss and the training and \
            validation accuracy, and writes a checkpoint (parameters, optimizer state, running \
            statistics, manifest.json) atomically into the checkpoint folder. --resume continues \
            from the latest checkpoint of a folder, with the same results as an uninterrupted run. \
            Under mpirun, --distributed shares every batch among the ranks (the config's \
            any rank count up to train.shards) with the same bits as one process; \
            rank 0 prints and writes the checkpoints.

            Ctrl-C (SIGINT) or SIGTERM ends the run at once (by the signal: status 130 or 143 \
            in a shell); the epoch in progress is lost, the checkpoints are not: a checkpoint \
            folder is complete or absent, and an epoch's line is printed only once its \
            checkpoint is on disk, so the last line shows where --resume will continue. \
            --trace DIR writes the last step's input, every layer's output and every input \
            gradient as numbered .npy files, for `tessel diff` to find where two runs part.
            """
    )

    @OptionGroup var workload: WorkloadOptions

    @OptionGroup var distribution: DistributedOptions

    @Option(name: .long, help: "Continue from the latest checkpoint in this folder.")
    var resume: String?

    @Option(name: .customLong("checkpoint-dir"), help: "Where to write checkpoints (default: the --resume folder, else checkpoints/<config>).")
    var checkpointDirectory: String?

    @Option(name: .long, help: "Total epochs to reach (default: the config's train.epochs).")
    var epochs: Int?

    @Flag(name: .long, help: "Print each epoch and, with --distributed, each step's MPI traffic as one JSON report at the end.")
    var json = false

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
    }

    func run() throws {
        workload.buffers.apply()
        let config = try workload.loadWorkload(default: "digits")
        guard let settings = config.train else {
            throw TesselError.configuration(source: config.source, key: "train", reason: "the config has no 'train' object")
        }
        try workload.applyMemoryLimit(of: config)
        let scheduler = try workload.scheduler(for: config)
        if let dump = distribution.dump { try OutputFolder.checkWritable(dump) }
        let (train, validation) = try config.trainingData(as: Float.self)
        let ranks = try distribution.exchange()
        var network = try Network<Float>(config)
        network.fusesChains = try workload.settings(for: config).fusion
        var trainer = Trainer(network: network, settings: settings)
        if let resume {
            let folder = try Checkpoint.latest(in: resume)
            var network = trainer.network
            let (optimizer, manifest) = try Checkpoint.restore(from: folder, into: &network, settings: settings.optimizer,
                                                               fingerprint: config.fingerprint)
            trainer = Trainer(network: network, optimizer: optimizer, settings: settings, epoch: manifest.epoch)
            ranks.say("resumed from \(folder) after epoch \(manifest.epoch)")
        }
        let directory = checkpointDirectory ?? resume ?? "checkpoints/\(config.name)"
        try OutputFolder.checkWritable(directory)
        try distribution.checkTraceFolder()
        let totalEpochs = epochs ?? settings.epochs
        ranks.say("\(config.name): \(train.count) training and \(validation.count) validation examples, "
                  + "\(settings.optimizer.rule.rawValue), batch \(settings.batchSize), \(scheduler.workers) workers"
                  + (distribution.distributed ? ", \(ranks.exchange.ranks) ranks, \(settings.shards) shards" : ""))
        guard trainer.epoch < totalEpochs else {
            ranks.say("nothing to do: the checkpoint is at epoch \(trainer.epoch), --epochs asks for \(totalEpochs)")
            try ranks.finish(trainer.network)
            return
        }
        let bar = ProgressBar(enabled: ranks.isLeader && !json && isatty(STDERR_FILENO) == 1)
        var communication = CommunicationLog(ranks: ranks.exchange.ranks, shards: settings.shards)
        communication.record(ranks)
        var epochs: [JSONReport.Epoch] = []
        let start = ContinuousClock.now
        var best = 0.0
        while trainer.epoch < totalEpochs {
            let label = "epoch \(trainer.epoch + 1)/\(totalEpochs)"
            let summary = try trainer.trainEpoch(on: train, validation: validation, scheduler: scheduler, exchange: ranks.exchange,
                                                 tracing: distribution.trace != nil && trainer.epoch + 1 == totalEpochs) { batch, batches, loss in
                bar.update(label: label, done: batch, total: batches, loss: loss)
                communication.record(ranks)
            }
            bar.clear()
            if ranks.isLeader {
                try Checkpoint.write(network: trainer.network, optimizer: trainer.optimizer, epoch: trainer.epoch,
                                     workload: config.name, fingerprint: config.fingerprint, to: directory)
            }
            best = max(best, summary.validationAccuracy)
            epochs.append(JSONReport.Epoch(summary))
            typealias F = TextFormat
            if !json { ranks.say("\(label)  loss \(F.number("%.4f", summary.loss))  train \(F.number("%.1f%%", summary.trainAccuracy * 100))  "
                  + "val \(F.number("%.1f%%", summary.validationAccuracy * 100))  lr \(F.number("%.2e", summary.learningRate))  "
                  + "\(F.number("%.2f", summary.seconds)) s") }
            fflush(nil)  // Into a log file too, the line goes out now, not when a buffer fills or the run ends.
        }
        let (whole, fraction) = start.duration(to: .now).components
        let elapsed = Double(whole) + Double(fraction) * 1e-18
        if let dump = distribution.dump { try ranks.dump(trainer.network, gradients: trainer.gradients, to: dump) }
        if let folder = distribution.trace { try ranks.writeTrace(trainer.trace, to: folder) }
        try ranks.finish(trainer.network)
        let checkpoint = "\(directory)/\(Checkpoint.folderName(epoch: trainer.epoch))"
        if json {
            let report = JSONReport(config: config.name, epochs: epochs, seconds: elapsed, checkpoint: checkpoint,
                                    communication: distribution.distributed ? communication : nil)
            ranks.say(try JSONOutput.text(report))
            return
        }
        ranks.say("done: \(trainer.epoch) epochs, best validation accuracy \(TextFormat.number("%.1f%%", best * 100)), "
              + "\(TextFormat.number("%.1f", elapsed)) s; checkpoint in \(checkpoint)")
    }

    /// The `--json` output: every epoch's summary and, with --distributed, each step's traffic.
    struct JSONReport: Encodable {
        struct Epoch: Encodable {
            var epoch: Int
            var loss: Double
            var trainAccuracy: Double
            var validationAccuracy: Double
            var learningRate: Double
            var seconds: Double

            init(_ summary: Trainer<Float>.EpochSummary) {
                (epoch, loss, trainAccuracy) = (summary.epoch, summary.loss, summary.trainAccuracy)
                (validationAccuracy, learningRate, seconds) = (summary.validationAccuracy, summary.learningRate, summary.seconds)
            }
        }

        var config: String
        var epochs: [Epoch]
        var seconds: Double
        var checkpoint: String
        var communication: CommunicationLog?
    }
}

/// A one-line progress bar on stderr, redrawn in place; silent when stderr is not a terminal.
struct ProgressBar {
    let enabled: Bool
    static let width = 30

    func update(label: String, done: Int, total: Int, loss: Double) {
        guard enabled else { return }
        let filled = total == 0 ? Self.width : Self.width * done / total
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: Self.width - filled)
        FileHandleOutput.write("\r\(label) [\(bar)] \(done)/\(total)  loss \(TextFormat.number("%.4f", loss))", to: STDERR_FILENO)
    }

    func clear() {
        guard enabled else { return }
        FileHandleOutput.write("\r\u{1B}[2K", to: STDERR_FILENO)
    }
}
