import ArgumentParser
import FoundationEssentials
import Tessel
#if canImport(Glibc)
import Glibc
#endif

/// `tessel predict CHECKPOINT`: a trained network's class scores for new images.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Class scores of a trained checkpoint's network for images in a .npy file.",
        discussion: """
            Builds the network that CHECKPOINT (a checkpoint folder written by tessel train, or a \
            folder of them: the latest is used) records, with its parameters and running \
            statistics, and runs the test-mode forward pass (batch norm on the running \
            statistics, dropout as the identity) over the images of --in, --batch-size images at \
            a time, reading the file one batch at a time (memory: a batch and the scores, \
            whatever the number of images). --out writes the class scores (N, classes) atomically as a .npy file; with \
            --labels it prints the accuracy and the confusion matrix (rows: true class, columns: \
            predicted class). --split train or validation takes the examples from the data of \
            the config the checkpoint was trained from (config/<name>.json, or --config), split \
            as tessel train splits them. Images must be of the checkpoint's element type and \
            example shape, finite, and labels must lie among its classes.
            """
    )

    @Argument(help: "A checkpoint folder (epoch-NNNN), or a folder of them (the latest is used).")
    var checkpoint: String

    @Option(name: .customLong("in"), help: "A float32 or float64 .npy file of images (N, input…).")
    var images: String?

    @Option(name: .long, help: "An int32 or int64 .npy file of the N true labels: print accuracy and the confusion matrix.")
    var labels: String?

    @Option(name: .long, help: "Take the examples (and labels) of the training config's data: train or validation.")
    var split: DataSplit?

    @Option(name: .long, help: "The config the checkpoint was trained from (default: config/<its name>.json), for --split and old checkpoints.")
    var config: String?

    @Option(name: .long, help: "Write the class scores (N, classes) to this .npy file.")
    var out: String?

    @Option(name: .customLong("batch-size"), help: "Images per forward pass (default 1000).")
    var batchSize = 1000

    @OptionGroup var threads: ThreadsOption

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    /// The halves of a config's data that `tessel train` makes.
    enum DataSplit: String, ExpressibleByArgument, CaseIterable {
        case train, validation
    }

    func validate() throws {
        guard (images == nil) != (split == nil) else {
            throw ValidationError("give the images with --in IMAGES.npy or --split train|validation (one of them)")
        }
        if split != nil, labels != nil { throw ValidationError("--labels does not go with --split, which has its labels") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
    }

    func run() throws {
        let folder = try Checkpoint.latest(in: checkpoint)
        let manifest = try Checkpoint.readManifest(from: folder)
        switch manifest.dtype {
        case DType.float64.rawValue: try predict(folder: folder, manifest: manifest, as: Double.self)
        default: try predict(folder: folder, manifest: manifest, as: Float.self)
        }
    }

    private func predict<T: TesselScalar>(folder: String, manifest: Checkpoint.Manifest, as _: T.Type) throws {
        let settings = RuntimeSettings()
        try settings.applyMemoryLimit(source: "tessel predict")
        if let out { try OutputFolder.checkWritable(file: out) }
        let scheduler = try threads.scheduler(for: settings)
        let workload = try trainingConfig(manifest, folder: folder)
        let (network, _) = try Checkpoint.network(from: folder, as: T.self, definition: workload?.network)
        let input = try inputs(network: network, workload: workload)
        let start = ContinuousClock.now
        let scores = try network.scores(count: input.count, batchSize: batchSize, scheduler: scheduler, batch: input.rows)
        let (whole, fraction) = start.duration(to: .now).components
        let seconds = Double(whole) + Double(fraction) * 1e-18
        let confusion = try input.labels.map { try ConfusionMatrix(scores: scores, labels: $0) }
        if let out { try NPY.write(scores, to: out) }
        let report = Report(checkpoint: folder, images: input.source, count: input.count, classes: network.classes,
                            dtype: T.dtype.rawValue, seconds: seconds, imagesPerSecond: Double(input.count) / max(seconds, 1e-9),
                            scores: out, accuracy: confusion?.accuracy, correct: confusion?.correct, confusion: confusion?.counts,
                            predicted: confusion == nil ? Self.histogram(ConfusionMatrix.predictions(scores), classes: network.classes) : nil)
        if json {
            print(try JSONOutput.text(report))
        } else {
            printReport(report)
        }
    }

    /// The config the checkpoint was trained from, when it is needed: for `--split`, and for a
    /// checkpoint that does not record its network. Its hash must be the checkpoint's.
    private func trainingConfig(_ manifest: Checkpoint.Manifest, folder: String) throws -> Workload? {
        guard split != nil || config != nil || manifest.network == nil else { return nil }
        let path = WorkloadOptions.path(of: config ?? manifest.workload)
        if config == nil && manifest.network == nil && access(path, F_OK) != 0 {
            throw TesselError.configuration(source: folder + "/" + Checkpoint.manifestName, key: "network",
                                            reason: "a format \(manifest.format) checkpoint does not record its network, and \(path), "
                                                + "the config of its name, is not here: give the config it was trained from with --config")
        }
        let workload = try Workload.load(from: path)
        guard workload.fingerprint == manifest.fingerprint else {
            throw TesselError.configuration(source: workload.source, key: "(document)",
                                            reason: "not the config the checkpoint was trained from: its hash is \(workload.fingerprint), the checkpoint's \(manifest.fingerprint)")
        }
        return workload
    }

    /// Where the images come from, checked against the network: their number, a reader of
    /// rows, their labels when known, and a name for the report.
    struct Inputs<T: TesselScalar> {
        var count: Int
        var rows: (Range<Int>) throws -> Tensor<T>
        var labels: [Int]?
        var source: String
    }

    private func inputs<T: TesselScalar>(network: Network<T>, workload: Workload?) throws -> Inputs<T> {
        if let split, let workload {
            let (train, validation) = try workload.trainingData(as: T.self)
            let data = split == .train ? train : validation
            return Inputs(count: data.count, rows: { try data.images.rows($0) }, labels: data.labels,
                          source: "\(workload.source) (\(split.rawValue))")
        }
        let path = images!
        let reader = try NPYRowReader(path: path)
        guard reader.dtype == T.dtype else {
            throw TesselError.npy(path: path, reason: "holds \(reader.dtype) data, the checkpoint's network computes in \(T.dtype.rawValue): "
                                  + "convert the images with a.astype(np.\(T.dtype.rawValue))")
        }
        guard Array(reader.shape.dropFirst()) == network.definition.input else {
            throw TesselError.npy(path: path, reason: "holds images of shape \(Shape.describe(reader.shape)), "
                                  + "the checkpoint's network takes (N, \(network.definition.input.map(String.init).joined(separator: ", ")))")
        }
        guard reader.rowCount > 0 else { throw TesselError.npy(path: path, reason: "holds no images (shape \(Shape.describe(reader.shape)))") }
        let shape = reader.shape, rowLength = shape.dropFirst().reduce(1, *)
        let rows = { (range: Range<Int>) throws -> Tensor<T> in
            let batch = try reader.rows(range, as: T.self)
            if let index = batch.firstNonFiniteIndex() {
                let element = range.lowerBound * rowLength + index
                var position: [Int] = [], rest = element
                for dimension in shape.reversed() {
                    position.insert(rest % dimension, at: 0)
                    rest /= dimension
                }
                throw TesselError.npy(path: path, reason: "element \(element) (index \(Shape.describe(position))) is \(batch[flat: index]): images must be finite")
            }
            return batch
        }
        guard let labels else { return Inputs(count: reader.rowCount, rows: rows, labels: nil, source: path) }
        let truth = try NPY.readLabels(from: labels)
        guard truth.count == reader.rowCount else {
            throw TesselError.npy(path: labels, reason: "\(truth.count) labels for \(reader.rowCount) images in \(path)")
        }
        if let index = truth.firstIndex(where: { !(0..<network.classes).contains($0) }) {
            throw TesselError.npy(path: labels, reason: "label \(truth[index]) at index \(index) is outside the checkpoint's \(network.classes) classes 0..<\(network.classes)")
        }
        return Inputs(count: reader.rowCount, rows: rows, labels: truth, source: path)
    }

    /// How many of `predictions` fell in each class.
    private static func histogram(_ predictions: [Int], classes: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for predicted in predictions { counts[predicted] += 1 }
        return counts
    }

    private func printReport(_ report: Report) {
        typealias F = TextFormat
        print("\(report.checkpoint): \(report.count) images from \(report.images), \(report.classes) classes, \(report.dtype), "
              + "\(F.number("%.3f", report.seconds)) s (\(F.number("%.0f", report.imagesPerSecond)) images/s)")
        if let scores = report.scores { print("scores written to \(scores)") }
        if let predicted = report.predicted {
            print("predicted classes: " + predicted.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: ", "))
        }
        guard let accuracy = report.accuracy, let correct = report.correct, let counts = report.confusion else { return }
        print("accuracy \(F.number("%.1f%%", accuracy * 100)) (\(correct) of \(report.count))")
        print()
        let width = max(5, String(counts.flatMap { $0 }.max() ?? 0).count + 1)
        print("confusion (rows: true class, columns: predicted)")
        print(F.left("", 6) + (0..<report.classes).map { F.right(String($0), width) }.joined())
        for (label, row) in counts.enumerated() {
            print(F.left(String(label), 6) + row.map { F.right(String($0), width) }.joined())
        }
    }

    /// What `tessel predict` prints (`--json` prints it as is).
    struct Report: Encodable {
        /// The checkpoint folder read.
        var checkpoint: String
        /// The images file, or the config and split.
        var images: String
        /// Images classified.
        var count: Int
        var classes: Int
        var dtype: String
        /// Wall time of the forward passes, seconds.
        var seconds: Double
        var imagesPerSecond: Double
        /// The scores file written, if any.
        var scores: String?
        /// With labels: the fraction classified correctly, the count, and `confusion[label][predicted]`.
        var accuracy: Double?
        var correct: Int?
        var confusion: [[Int]]?
        /// Without labels: how many images were given each class.
        var predicted: [Int]?
    }
}
