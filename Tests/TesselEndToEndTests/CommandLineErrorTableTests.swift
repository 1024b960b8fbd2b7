import Foundation
import Testing
@testable import Tessel
import TesselTestSupport

/// Every kind of bad input to `tessel op`, `run`, `train`, `predict`, `scale`, `bench` and
/// `diff` (files, options, output paths, memory limits), run through the built executable:
/// each row must exit with status 2, write exactly one line to stderr that starts with
/// `error: ` and names the problem, write nothing to stdout, and leave its working folder
/// (which holds every input file) exactly as it was. Full and read-only disks need root:
/// `FullDiskTests`.
@Suite struct CommandLineErrorTableTests {
    /// One row: the arguments, fragments the error line must contain, and environment
    /// variables set for the command.
    struct Row: Sendable, CustomTestStringConvertible {
        let command: String
        let name: String
        let arguments: [String]
        let fragments: [String]
        var environment: [String: String] = [:]
        var testDescription: String { "tessel \(command): \(name)" }
    }

    @Test(arguments: CommandLineErrorTableTests.rows)
    func badInputExitsWithStatusTwoAndOneLine(row: Row) throws {
        let folder = try TemporaryFolder()
        try Self.writeFixtures(in: folder.path)
        let before = try Self.snapshot(folder.path)
        let outcome = try TesselCommand.run([row.command] + row.arguments, in: folder.path,
                                            environment: [MemoryLimit.environmentVariable: ""].merging(row.environment) { $1 }, timeLimit: 60)
        let lines = outcome.standardError.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(outcome.status == 2 && !outcome.endedBySignal, "\(row.testDescription): status \(outcome.status): \(outcome.standardError)")
        #expect(lines.count == 1, "\(row.testDescription): stderr: \(outcome.standardError)")
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("error: "), "\(row.testDescription): \(line)")
        for fragment in row.fragments {
            #expect(line.contains(fragment), "\(row.testDescription): '\(fragment)' missing from: \(line)")
        }
        #expect(outcome.standardOutput.isEmpty, "\(row.testDescription): stdout: \(outcome.standardOutput)")
        #expect(try Self.snapshot(folder.path) == before, "\(row.testDescription): the command wrote into its folder")
    }

    @Test func everyCommandHasRows() {
        for command in ["op", "run", "train", "predict", "scale", "bench", "diff"] {
            #expect(Self.rows.contains { $0.command == command }, "no row for tessel \(command)")
        }
    }

    // MARK: Fixtures

    /// Every file a row may name, written into the row's working folder.
    static func writeFixtures(in folder: String) throws {
        func write(_ name: String, _ bytes: [UInt8]) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        func floats(_ shape: [Int], _ values: [Double]? = nil) throws -> [UInt8] {
            let count = try Shape.elementCount(shape)
            return NPY.encode(try Tensor<Double>(shape: shape, scalars: values ?? (0..<count).map { Double($0 % 5) - 2 }))
        }
        func integers(_ values: [Int64], shape: [Int]? = nil) -> [UInt8] {
            NPYHeader(descr: "<i8", fortranOrder: false, shape: shape ?? [values.count]).encoded()
                + values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        }
        try write("x.npy", floats([2, 3]))
        try write("x_empty.npy", floats([0, 3]))
        try write("x_nan.npy", floats([2, 3], [1, 2, .nan, 0, 1, 2]))
        try write("x_inf.npy", floats([2, 3], [1, 2, 3, 0, -.infinity, 2]))
        try write("x_huge.npy", floats([2, 3], [1, 2, 3, 0, 1e300, 2]))
        try write("x_int.npy", integers([1, 2, 3, 4, 5, 6], shape: [2, 3]))
        try write("w.npy", floats([3, 4]))
        try write("w_rank1.npy", floats([3]))
        try write("b.npy", floats([4]))
        try write("gamma.npy", floats([3], [1, 1, 1]))
        try write("gamma4.npy", floats([4], [1, 1, 1, 1]))
        try write("beta.npy", floats([3]))
        try write("y.npy", integers([0, 2]))
        try write("y_high.npy", integers([0, 3]))
        try write("y_negative.npy", integers([-1, 0]))
        try write("y_float.npy", floats([2], [0, 1]))
        try write("y_rank2.npy", integers([0, 1], shape: [2, 1]))
        try write("y_empty.npy", integers([]))
        try write("images.npy", floats([2, 1, 4, 4]))
        try write("images_empty_plane.npy", floats([1, 2, 0, 4]))
        try write("filters.npy", floats([2, 1, 3, 3]))
        try write("filter_bias.npy", floats([2]))
        try write("text.npy", Array("not numpy".utf8))
        try write("settings_bad.json", Array(#"{"tiles": {"gemmRowBlock": 0}}"#.utf8))
        try write("settings_memory_bad.json", Array(#"{"memoryLimit": "lots"}"#.utf8))

        // Configs: a tiny network over 4 features and 3 classes.
        try write("X.npy", floats([6, 4]))
        try write("X_nan.npy", floats([6, 4], Array(repeating: 0, count: 23) + [.nan]))
        try write("X_empty.npy", floats([0, 4]))
        try write("X_wrong.npy", floats([6, 5]))
        try write("Y.npy", integers([0, 1, 2, 0, 1, 2]))
        try write("Y_high.npy", integers([0, 1, 2, 0, 1, 7]))
        try write("Y_float.npy", floats([6]))
        try write("Y_empty.npy", integers([]))
        let network = #""network": {"input": [4], "layers": [{"type": "affine", "units": 3}]}"#
        let train = #""train": {"optimizer": "sgd", "epochs": 1, "batchSize": 2}"#
        func config(_ name: String, _ body: String) throws { try write(name + ".json", Array(body.utf8)) }
        func data(_ images: String, _ labels: String, validation: Int = 2) -> String {
            #""data": {"images": "\#(images)", "labels": "\#(labels)", "validation": \#(validation)}"#
        }
        try config("ok", "{\(network), \(train), \(data("X.npy", "Y.npy"))}")
        try config("nan_data", "{\(network), \(train), \(data("X_nan.npy", "Y.npy"))}")
        try config("empty_data", "{\(network), \(train), \(data("X_empty.npy", "Y_empty.npy", validation: 0))}")
        try config("wrong_examples", "{\(network), \(train), \(data("X_wrong.npy", "Y.npy"))}")
        try config("label_high", "{\(network), \(train), \(data("X.npy", "Y_high.npy"))}")
        try config("label_float", "{\(network), \(train), \(data("X.npy", "Y_float.npy"))}")
        try config("missing_data", "{\(network), \(train), \(data("nowhere.npy", "Y.npy"))}")
        try config("all_validation", "{\(network), \(train), \(data("X.npy", "Y.npy", validation: 6))}")
        try config("no_train", "{\(network)}")
        try config("truncated", "{\(network)")
        try config("unknown_key", "{\(network), \"steps\": 3}")
        try config("unknown_layer", #"{"network": {"input": [4], "layers": [{"type": "softplus"}]}}"#)
        try config("units_text", #"{"network": {"input": [4], "layers": [{"type": "affine", "units": "three"}]}}"#)
        try config("units_negative", #"{"network": {"input": [4], "layers": [{"type": "affine", "units": -3}]}}"#)
        try config("input_zero", #"{"network": {"input": [0], "layers": [{"type": "affine", "units": 3}]}}"#)
        try config("eps_zero", #"{"network": {"input": [4], "layers": [{"type": "layernorm", "eps": 0}, {"type": "affine", "units": 3}]}}"#)
        try config("eps_infinite", #"{"network": {"input": [4], "layers": [{"type": "layernorm", "eps": 1e999}, {"type": "affine", "units": 3}]}}"#)
        try config("momentum_high", #"{"network": {"input": [4], "layers": [{"type": "batchnorm", "momentum": 1.5}, {"type": "affine", "units": 3}]}}"#)
        try config("pad_overflow", #"{"network": {"input": [1, 4, 4], "layers": [{"type": "conv", "filters": 2, "size": 3, "pad": 4611686018427387904}, {"type": "affine", "units": 3}]}}"#)
        try config("batch_overflow", "{\(network), \"run\": {\"batchSize\": 4611686018427387904}}")
        try config("too_big", #"{"network": {"input": [100000000000], "layers": [{"type": "affine", "units": 3}]}, "run": {"batchSize": 1}}"#)
        try config("lr_zero", "{\(network), \"train\": {\"optimizer\": \"sgd\", \"learningRate\": 0}, \(data("X.npy", "Y.npy"))}")
        try config("unused_hyperparameter", "{\(network), \"train\": {\"optimizer\": \"sgd\", \"beta1\": 0.9}, \(data("X.npy", "Y.npy"))}")
        try config("runtime_workers", "{\(network), \"runtime\": {\"workers\": 0}}")
        try config("memory_bad", "{\(network), \"runtime\": {\"memoryLimit\": \"lots\"}}")
        try config("memory_small", "{\(network), \"runtime\": {\"memoryLimit\": 1}}")

        try writeCheckpointFixtures(in: folder, floats: floats)

        // Shapes files of `tessel scale`.
        try write("shapes.json", Array(#"{"relu": {"x": [4, 4]}}"#.utf8))
        try write("shapes_negative.json", Array(#"{"relu": {"x": [4, -4]}}"#.utf8))
        try write("shapes_zero.json", Array(#"{"relu": {"x": [0, 4]}}"#.utf8))
        try write("shapes_unknown.json", Array(#"{"softplus": {"x": [4, 4]}}"#.utf8))
        try write("shapes_p.json", Array(#"{"dropout": {"p": 1.5}}"#.utf8))
        try write("shapes_huge.json", Array(#"{"relu": {"x": [1000000000, 1000000000]}}"#.utf8))
    }

    /// Checkpoints of a network over 4 features and 3 classes (`ckpt`), broken in one way
    /// each, and float32 images for it.
    static func writeCheckpointFixtures(in folder: String, floats: ([Int], [Double]?) throws -> [UInt8]) throws {
        func write(_ name: String, _ bytes: [UInt8]) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        func floats32(_ shape: [Int], _ values: [Float]? = nil) throws -> [UInt8] {
            let count = try Shape.elementCount(shape)
            return NPY.encode(try Tensor<Float>(shape: shape, scalars: values ?? (0..<count).map { Float($0 % 5) - 2 }))
        }
        try write("X32.npy", floats32([6, 4]))
        try write("X32_wrong.npy", floats32([6, 5]))
        try write("X32_nan.npy", floats32([6, 4], Array(repeating: 0, count: 5) + [.nan] + Array(repeating: 0, count: 18)))
        try write("X32_empty.npy", floats32([0, 4]))
        let network = try Network<Float>(NetworkDefinition(input: [4], layers: [.affine(units: 3)]))
        let optimizer = Optimizer<Float>(settings: try OptimizerSettings(rule: .sgd))
        for name in ["ckpt", "ckpt_old", "ckpt_missing", "ckpt_bad_manifest", "ckpt_wrong_shape"] {
            try Checkpoint.write(network: network, optimizer: optimizer, epoch: 1, workload: "fixture", fingerprint: "0", to: folder + "/" + name)
        }
        var old = try Checkpoint.readManifest(from: folder + "/ckpt_old/epoch-0001")
        old.format = 1
        old.network = nil
        try write("ckpt_old/epoch-0001/manifest.json", Array(try JSONEncoder().encode(old)))
        try FileManager.default.removeItem(atPath: folder + "/ckpt_missing/epoch-0001/affine0.w.npy")
        try write("ckpt_bad_manifest/epoch-0001/manifest.json", Array("{".utf8))
        try write("ckpt_wrong_shape/epoch-0001/affine0.b.npy", try floats([4], nil))
        try FileManager.default.createDirectory(atPath: folder + "/empty_folder", withIntermediateDirectories: false)
    }

    /// Every path under `folder` with its size and modification time.
    static func snapshot(_ folder: String) throws -> [String: String] {
        var entries: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let path = enumerator?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/" + path)
            entries[path] = "\(attributes[.size] ?? 0) \(attributes[.modificationDate] ?? 0)"
        }
        return entries
    }

    // MARK: The table

    static var rows: [Row] { opRows + runRows + trainRows + predictRows + scaleRows + benchRows + diffRows }

    /// `TESSEL_MEMORY_LIMIT` of one byte: the first allocation is refused.
    private static let oneByte = [MemoryLimit.environmentVariable: "1"]

    private static func op(_ name: String, _ arguments: [String], _ fragments: [String]) -> Row {
        Row(command: "op", name: name, arguments: arguments + (arguments.contains("--out") ? [] : ["--out", "out"]), fragments: fragments)
    }

    private static let affineInputs = ["--in", "w=w.npy", "--in", "b=b.npy"]
    private static let batchNormInputs = ["--in", "x=x.npy", "--in", "gamma=gamma.npy", "--in", "beta=beta.npy"]

    static let opRows: [Row] = [
        op("unknown layer", ["softplus", "forward"], ["'softplus'", "<layer>"]),
        op("unknown direction", ["relu", "sideways", "--in", "x=x.npy"], ["'sideways'", "<direction>"]),
        op("missing required input", ["affine", "forward", "--in", "x=x.npy"], ["--in w", "required"]),
        op("unknown input", ["relu", "forward", "--in", "x=x.npy", "--in", "q=x.npy"], ["--in q", "unknown input"]),
        op("input given twice", ["relu", "forward", "--in", "x=x.npy", "--in", "x=x.npy"], ["--in x", "twice"]),
        op("input without NAME=", ["relu", "forward", "--in", "x.npy"], ["NAME=VALUE"]),
        op("unknown parameter", ["relu", "forward", "--in", "x=x.npy", "--param", "eps=1"], ["eps", "unknown parameter"]),
        op("missing required parameter", ["dropout", "forward", "--in", "x=x.npy", "--param", "mode=train"], ["'p'", "required"]),
        op("non-numeric parameter", ["batchnorm", "forward", "--param", "mode=train", "--param", "eps=abc"] + batchNormInputs, ["'eps'", "'abc'", "not a number"]),
        op("non-integer parameter", ["maxpool", "forward", "--in", "x=images.npy", "--param", "pool_height=2", "--param", "pool_width=2",
                                     "--param", "stride=1.5"], ["'stride'", "not an integer"]),
        op("integer beyond Int", ["maxpool", "forward", "--in", "x=images.npy", "--param", "pool_height=2", "--param", "pool_width=2",
                                  "--param", "stride=99999999999999999999"], ["'stride'", "not an integer"]),
        op("unknown mode", ["batchnorm", "forward", "--param", "mode=eval"] + batchNormInputs, ["'mode'", "'train' or 'test'"]),
        op("eps NaN", ["batchnorm", "forward", "--param", "mode=train", "--param", "eps=nan"] + batchNormInputs, ["'eps' = nan", "finite"]),
        op("eps +Inf", ["layernorm", "forward", "--param", "eps=inf"] + batchNormInputs, ["'eps' = inf"]),
        op("eps negative", ["layernorm", "forward", "--param", "eps=-1"] + batchNormInputs, ["'eps' = -1.0"]),
        op("momentum NaN", ["batchnorm", "forward", "--param", "mode=train", "--param", "momentum=nan"] + batchNormInputs, ["'momentum' = nan"]),
        op("momentum above 1", ["batchnorm", "forward", "--param", "mode=train", "--param", "momentum=2"] + batchNormInputs, ["'momentum' = 2.0"]),
        op("dropout p NaN", ["dropout", "forward", "--in", "x=x.npy", "--param", "p=nan", "--param", "mode=train"], ["'p' = nan"]),
        op("dropout p 0", ["dropout", "forward", "--in", "x=x.npy", "--param", "p=0", "--param", "mode=train"], ["'p' = 0.0"]),
        op("dropout negative seed", ["dropout", "forward", "--in", "x=x.npy", "--param", "p=0.5", "--param", "mode=train", "--param", "seed=-1"],
           ["'seed'", "'-1'"]),
        op("conv stride 0", ["conv", "forward", "--in", "x=images.npy", "--in", "w=filters.npy", "--in", "b=filter_bias.npy",
                             "--param", "stride=0", "--param", "pad=1"], ["conv", "'stride' = 0"]),
        op("conv negative pad", ["conv", "forward", "--in", "x=images.npy", "--in", "w=filters.npy", "--in", "b=filter_bias.npy",
                                 "--param", "stride=1", "--param", "pad=-1"], ["conv", "'pad' = -1"]),
        op("conv pad overflowing Int", ["conv", "forward", "--in", "x=images.npy", "--in", "w=filters.npy", "--in", "b=filter_bias.npy",
                                        "--param", "stride=1", "--param", "pad=9223372036854775807"], ["conv", "'pad'", "overflows Int"]),
        op("maxpool window 0", ["maxpool", "forward", "--in", "x=images.npy", "--param", "pool_height=0", "--param", "pool_width=2",
                                "--param", "stride=2"], ["'poolHeight' = 0"]),
        op("groupnorm G 0", ["groupnorm", "forward", "--in", "x=images.npy", "--in", "gamma=gamma.npy", "--in", "beta=beta.npy",
                             "--param", "G=0"], ["groupnorm"]),
        op("wrong rank", ["affine", "forward", "--in", "x=x.npy", "--in", "w=w_rank1.npy", "--in", "b=b.npy"], ["affine", "'w'", "(3,)"]),
        op("shapes that do not fit", ["affine", "forward", "--in", "x=images.npy"] + affineInputs, ["affine", "'w'", "(3, 4)"]),
        op("gamma of the wrong length", ["batchnorm", "forward", "--param", "mode=train", "--in", "x=x.npy", "--in", "gamma=gamma4.npy",
                                         "--in", "beta=beta.npy"], ["batchnorm", "gamma", "(4,)"]),
        op("dout of the wrong shape", ["relu", "backward", "--in", "x=x.npy", "--in", "dout=w.npy"], ["relu", "dout", "(3, 4)"]),
        op("empty batch, batch norm train", ["batchnorm", "forward", "--param", "mode=train", "--in", "x=x_empty.npy", "--in", "gamma=gamma.npy",
                                             "--in", "beta=beta.npy"], ["batchnorm", "(0, 3)"]),
        op("empty batch, softmax loss", ["softmax_loss", "forward", "--in", "x=x_empty.npy", "--in", "y=y_empty.npy"], ["softmax_loss", "(0, 3)"]),
        op("zero-sized plane, group norm", ["groupnorm", "forward", "--in", "x=images_empty_plane.npy", "--in", "gamma=gamma.npy",
                                            "--in", "beta=beta.npy", "--param", "G=1"], ["groupnorm", "(1, 2, 0, 4)"]),
        op("label = C", ["softmax_loss", "forward", "--in", "x=x.npy", "--in", "y=y_high.npy"], ["softmax_loss", "y[1]", "= 3", "0..<3"]),
        op("negative label", ["svm_loss", "forward", "--in", "x=x.npy", "--in", "y=y_negative.npy"], ["svm_loss", "-1"]),
        op("labels as floats", ["softmax_loss", "forward", "--in", "x=x.npy", "--in", "y=y_float.npy"], ["y_float.npy", "int32 or int64"]),
        op("labels of rank 2", ["softmax_loss", "forward", "--in", "x=x.npy", "--in", "y=y_rank2.npy"], ["y_rank2.npy", "rank 1"]),
        op("NaN in x", ["relu", "forward", "--in", "x=x_nan.npy"], ["x_nan.npy", "element 2", "nan", "finite"]),
        op("-Inf in x", ["affine", "forward", "--in", "x=x_inf.npy"] + affineInputs, ["x_inf.npy", "-inf"]),
        op("float64 beyond float32", ["relu", "forward", "--in", "x=x_huge.npy", "--dtype", "float32"], ["x_huge.npy", "inf", "float32"]),
        op("x of integers", ["relu", "forward", "--in", "x=x_int.npy"], ["x", "int64", "float32 or float64"]),
        op("unknown dtype", ["relu", "forward", "--in", "x=x.npy", "--dtype", "float16"], ["--dtype", "'float16'"]),
        op("missing file", ["relu", "forward", "--in", "x=nowhere.npy"], ["nowhere.npy", "No such file"]),
        op("not a .npy file", ["relu", "forward", "--in", "x=text.npy"], ["text.npy", "not a .npy file"]),
        op("output folder is a file", ["relu", "forward", "--in", "x=x.npy", "--out", "x.npy"], ["x.npy", "not a folder"]),
        op("output folder under a file", ["relu", "forward", "--in", "x=x.npy", "--out", "x.npy/out"], ["x.npy/"]),
        op("threads 0", ["relu", "forward", "--in", "x=x.npy", "--threads", "0"], ["--threads", "0"]),
        op("settings file out of range", ["relu", "forward", "--in", "x=x.npy", "--settings", "settings_bad.json"],
           ["settings_bad.json", "tiles.gemmRowBlock"]),
        op("unknown option", ["relu", "forward", "--in", "x=x.npy", "--bogus"], ["--bogus"]),
        Row(command: "op", name: "beyond the memory limit", arguments: ["relu", "forward", "--in", "x=x.npy", "--out", "out"],
            fragments: ["out of memory", "reading 'x.npy'", "memory limit of 1 bytes (TESSEL_MEMORY_LIMIT=1)", "Tessel holds"],
            environment: oneByte),
        Row(command: "op", name: "TESSEL_MEMORY_LIMIT not a size", arguments: ["relu", "forward", "--in", "x=x.npy", "--out", "out"],
            fragments: ["TESSEL_MEMORY_LIMIT", "'lots'", "not a memory size"], environment: [MemoryLimit.environmentVariable: "lots"]),
        op("settings memoryLimit not a size", ["relu", "forward", "--in", "x=x.npy", "--settings", "settings_memory_bad.json"],
           ["settings_memory_bad.json", "memoryLimit", "'lots'"]),
    ]

    static let runRows: [Row] = [
        Row(command: "run", name: "missing config", arguments: ["nowhere.json"], fragments: ["nowhere.json", "No such file"]),
        Row(command: "run", name: "truncated JSON", arguments: ["truncated.json"], fragments: ["truncated.json", "not valid JSON"]),
        Row(command: "run", name: "unknown key", arguments: ["unknown_key.json"], fragments: ["unknown_key.json", "'steps'", "unknown key"]),
        Row(command: "run", name: "unknown layer", arguments: ["unknown_layer.json"], fragments: ["network.layers[0].type", "softplus"]),
        Row(command: "run", name: "non-numeric units", arguments: ["units_text.json"], fragments: ["network.layers[0].units", "\"three\""]),
        Row(command: "run", name: "negative units", arguments: ["units_negative.json"], fragments: ["network.layers[0].units", "-3"]),
        Row(command: "run", name: "zero input dimension", arguments: ["input_zero.json"], fragments: ["network.input"]),
        Row(command: "run", name: "eps 0", arguments: ["eps_zero.json"], fragments: ["network.layers[0].eps", "positive and finite"]),
        Row(command: "run", name: "eps beyond Double", arguments: ["eps_infinite.json"],
            fragments: ["eps_infinite.json", "the number 1e999 at line 1, column 68 is outside the range of a Double"]),
        Row(command: "run", name: "momentum 1.5", arguments: ["momentum_high.json"], fragments: ["network.layers[0].momentum", "1.5"]),
        Row(command: "run", name: "pad overflowing Int", arguments: ["pad_overflow.json"], fragments: ["network.layers[0]", "overflows Int"]),
        Row(command: "run", name: "batch whose element count overflows", arguments: ["batch_overflow.json"], fragments: ["overflows Int"]),
        Row(command: "run", name: "batch larger than the machine", arguments: ["too_big.json"], fragments: ["out of memory", "400000000000 bytes"]),
        Row(command: "run", name: "runtime workers 0", arguments: ["runtime_workers.json"], fragments: ["runtime.workers"]),
        Row(command: "run", name: "NaN in the data", arguments: ["nan_data.json"], fragments: ["X_nan.npy", "element 23", "nan"]),
        Row(command: "run", name: "empty data file", arguments: ["empty_data.json"], fragments: ["X_empty.npy", "no examples"]),
        Row(command: "run", name: "examples of another shape", arguments: ["wrong_examples.json"], fragments: ["data.images", "(5,)"]),
        Row(command: "run", name: "label out of range", arguments: ["label_high.json"], fragments: ["data.labels", "7"]),
        Row(command: "run", name: "labels as floats", arguments: ["label_float.json"], fragments: ["Y_float.npy", "int32 or int64"]),
        Row(command: "run", name: "missing data file", arguments: ["missing_data.json"], fragments: ["nowhere.npy", "No such file"]),
        Row(command: "run", name: "steps 0", arguments: ["ok.json", "--steps", "0"], fragments: ["--steps"]),
        Row(command: "run", name: "steps not a number", arguments: ["ok.json", "--steps", "many"], fragments: ["'many'", "--steps"]),
        Row(command: "run", name: "threads 0", arguments: ["ok.json", "--threads", "0"], fragments: ["--threads"]),
        Row(command: "run", name: "trace folder under a file", arguments: ["ok.json", "--trace", "X.npy/trace"],
            fragments: ["X.npy/trace", "Not a directory"]),
        Row(command: "run", name: "unknown mode", arguments: ["ok.json", "--mode", "eval"], fragments: ["'eval'", "--mode"]),
        Row(command: "run", name: "test mode under MPI", arguments: ["ok.json", "--mode", "test", "--distributed"], fragments: ["--distributed"]),
        Row(command: "run", name: "beyond TESSEL_MEMORY_LIMIT", arguments: ["ok.json"],
            fragments: ["out of memory", "(TESSEL_MEMORY_LIMIT=1)", "Tessel holds", "more"], environment: oneByte),
        Row(command: "run", name: "beyond runtime.memoryLimit", arguments: ["memory_small.json"],
            fragments: ["out of memory", "memory limit of 1 bytes (runtime.memoryLimit in memory_small.json = 1 bytes)"]),
        Row(command: "run", name: "runtime.memoryLimit not a size", arguments: ["memory_bad.json"],
            fragments: ["memory_bad.json", "runtime.memoryLimit", "'lots'"]),
        Row(command: "run", name: "dump folder is a file", arguments: ["ok.json", "--dump", "X.npy"], fragments: ["X.npy", "not a folder"]),
    ]

    static let trainRows: [Row] = [
        Row(command: "train", name: "no train object", arguments: ["no_train.json"], fragments: ["no_train.json", "'train'"]),
        Row(command: "train", name: "learning rate 0", arguments: ["lr_zero.json"], fragments: ["train.learningRate"]),
        Row(command: "train", name: "hyperparameter the rule does not use", arguments: ["unused_hyperparameter.json"], fragments: ["beta1"]),
        Row(command: "train", name: "NaN in the data", arguments: ["nan_data.json"], fragments: ["X_nan.npy", "nan"]),
        Row(command: "train", name: "label out of range", arguments: ["label_high.json"], fragments: ["data.labels", "7"]),
        Row(command: "train", name: "no examples left for training", arguments: ["all_validation.json"], fragments: ["data.validation"]),
        Row(command: "train", name: "checkpoint folder under a file", arguments: ["ok.json", "--checkpoint-dir", "X.npy/checkpoints"],
            fragments: ["X.npy/checkpoints", "Not a directory"]),
        Row(command: "train", name: "resume from a missing folder", arguments: ["ok.json", "--resume", "nowhere"], fragments: ["nowhere"]),
        Row(command: "train", name: "epochs 0", arguments: ["ok.json", "--epochs", "0"], fragments: ["--epochs"]),
        Row(command: "train", name: "trace folder is a file", arguments: ["ok.json", "--trace", "X.npy"], fragments: ["X.npy", "not a folder"]),
        Row(command: "train", name: "checkpoint folder is a file", arguments: ["ok.json", "--checkpoint-dir", "X.npy"],
            fragments: ["X.npy", "not a folder"]),
        Row(command: "train", name: "dump folder under a file", arguments: ["ok.json", "--dump", "X.npy/dump"],
            fragments: ["X.npy/dump", "Not a directory"]),
        Row(command: "train", name: "beyond TESSEL_MEMORY_LIMIT", arguments: ["ok.json"],
            fragments: ["out of memory", "(TESSEL_MEMORY_LIMIT=1)"], environment: oneByte),
    ]

    static let diffRows: [Row] = [
        Row(command: "diff", name: "missing path", arguments: ["nowhere.npy", "x.npy"], fragments: ["nowhere.npy", "No such file"]),
        Row(command: "diff", name: "missing second path", arguments: ["x.npy", "nowhere"], fragments: ["nowhere", "No such file"]),
        Row(command: "diff", name: "A is not a .npy file", arguments: ["text.npy", "x.npy"], fragments: ["text.npy", "not a .npy file"]),
        Row(command: "diff", name: "B is not a .npy file", arguments: ["x.npy", "settings_bad.json"], fragments: ["settings_bad.json", "not a .npy file"]),
        Row(command: "diff", name: "a file against a folder", arguments: ["x.npy", "."], fragments: ["'.'", "two .npy files or two folders"]),
        Row(command: "diff", name: "a folder against a file", arguments: [".", "x.npy"], fragments: ["'x.npy'", "two .npy files or two folders"]),
        Row(command: "diff", name: "one path only", arguments: ["x.npy"], fragments: ["<b>"]),
        Row(command: "diff", name: "unknown option", arguments: ["x.npy", "x.npy", "--bogus"], fragments: ["--bogus"]),
    ]

    private static func predict(_ name: String, _ arguments: [String], _ fragments: [String]) -> Row {
        Row(command: "predict", name: name, arguments: arguments, fragments: fragments)
    }

    static let predictRows: [Row] = [
        predict("missing checkpoint", ["nowhere", "--in", "X32.npy"], ["nowhere", "No such file"]),
        predict("folder without a checkpoint", ["empty_folder", "--in", "X32.npy"], ["empty_folder", "no checkpoint"]),
        predict("manifest not JSON", ["ckpt_bad_manifest", "--in", "X32.npy"], ["ckpt_bad_manifest/epoch-0001/manifest.json", "not valid JSON"]),
        predict("old checkpoint without its config", ["ckpt_old", "--in", "X32.npy"], ["manifest.json", "format 1", "--config"]),
        predict("another config than the checkpoint's", ["ckpt_old", "--in", "X32.npy", "--config", "ok.json"],
                ["ok.json", "not the config the checkpoint was trained from"]),
        predict("missing parameter file", ["ckpt_missing", "--in", "X32.npy"], ["affine0.w.npy", "No such file"]),
        predict("parameter of the wrong shape", ["ckpt_wrong_shape", "--in", "X32.npy"], ["affine0.b.npy", "(4,)", "expected (3,)"]),
        predict("images of another dtype", ["ckpt", "--in", "X.npy"], ["X.npy", "float64", "float32"]),
        predict("images of another shape", ["ckpt", "--in", "X32_wrong.npy"], ["X32_wrong.npy", "(6, 5)", "(N, 4)"]),
        predict("images of integers", ["ckpt", "--in", "x_int.npy"], ["x_int.npy", "int64"]),
        predict("NaN in the images", ["ckpt", "--in", "X32_nan.npy"], ["X32_nan.npy", "nan", "finite"]),
        predict("no images", ["ckpt", "--in", "X32_empty.npy"], ["X32_empty.npy", "no images"]),
        predict("labels for another number of images", ["ckpt", "--in", "X32.npy", "--labels", "y.npy"], ["y.npy", "2 labels", "6 images"]),
        predict("label outside the classes", ["ckpt", "--in", "X32.npy", "--labels", "Y_high.npy"], ["Y_high.npy", "label 7", "3 classes"]),
        predict("labels as floats", ["ckpt", "--in", "X32.npy", "--labels", "Y_float.npy"], ["Y_float.npy", "int32 or int64"]),
        predict("no images given", ["ckpt"], ["--in", "--split"]),
        predict("--in and --split", ["ckpt", "--in", "X32.npy", "--split", "validation"], ["--in", "--split"]),
        predict("unknown split", ["ckpt", "--split", "test"], ["'test'", "--split"]),
        predict("batch size 0", ["ckpt", "--in", "X32.npy", "--batch-size", "0"], ["--batch-size"]),
        predict("scores file under a file", ["ckpt", "--in", "X32.npy", "--out", "X.npy/scores.npy"], ["X.npy/scores.npy"]),
    ]

    private static func scale(_ name: String, _ arguments: [String], _ fragments: [String]) -> Row {
        Row(command: "scale", name: name, arguments: arguments + ["--repeats", "1", "--warmup", "0"].filter { _ in !arguments.contains("--repeats") },
            fragments: fragments)
    }

    static let scaleRows: [Row] = [
        scale("unknown workload", ["--layers", "softplus"], ["softplus", "--layers"]),
        scale("worker count 0", ["--layers", "relu", "--shapes", "shapes.json", "--workers", "1,0"], ["--workers", "'0'"]),
        scale("worker count not a number", ["--layers", "relu", "--shapes", "shapes.json", "--workers", "two"], ["--workers", "'two'"]),
        scale("repeats 0", ["--layers", "relu", "--shapes", "shapes.json", "--repeats", "0"], ["repeats"]),
        scale("missing shapes file", ["--layers", "relu", "--shapes", "nowhere.json"], ["nowhere.json", "No such file"]),
        scale("negative dimension", ["--layers", "relu", "--shapes", "shapes_negative.json"], ["shapes_negative.json", "relu.x"]),
        scale("zero dimension", ["--layers", "relu", "--shapes", "shapes_zero.json"], ["shapes_zero.json", "relu.x"]),
        scale("unknown workload in the shapes file", ["--layers", "relu", "--shapes", "shapes_unknown.json"], ["shapes_unknown.json", "softplus"]),
        scale("dropout p 1.5", ["--layers", "dropout", "--shapes", "shapes_p.json"], ["shapes_p.json", "dropout.p"]),
        scale("shape larger than the machine", ["--layers", "relu", "--shapes", "shapes_huge.json"], ["out of memory"]),
        scale("settings file out of range", ["--layers", "relu", "--shapes", "shapes.json", "--settings", "settings_bad.json"],
              ["settings_bad.json", "tiles.gemmRowBlock"]),
        scale("output folder under a file", ["--layers", "relu", "--shapes", "shapes.json", "--workers", "1", "--out", "x.npy/results"],
              ["x.npy/results", "Not a directory"]),
        scale("output folder is a file", ["--layers", "relu", "--shapes", "shapes.json", "--workers", "1", "--out", "x.npy"],
              ["x.npy", "not a folder"]),
        Row(command: "scale", name: "beyond TESSEL_MEMORY_LIMIT",
            arguments: ["--layers", "relu", "--shapes", "shapes.json", "--workers", "1", "--repeats", "1", "--warmup", "0"],
            fragments: ["out of memory", "(TESSEL_MEMORY_LIMIT=1)"], environment: oneByte),
    ]

    private static let benchArguments = ["--layers", "relu", "--shapes", "shapes.json", "--workers", "1", "--repeats", "1", "--warmup", "0"]

    static let benchRows: [Row] = [
        Row(command: "bench", name: "output in a missing folder", arguments: benchArguments + ["--out", "nowhere/bench.json"],
            fragments: ["nowhere/bench.json", "No such file"]),
        Row(command: "bench", name: "output is a folder", arguments: benchArguments + ["--out", "."], fragments: ["'.'", "is a folder"]),
        Row(command: "bench", name: "output under a file", arguments: benchArguments + ["--out", "x.npy/bench.json"],
            fragments: ["x.npy/bench.json", "Not a directory"]),
        Row(command: "bench", name: "beyond TESSEL_MEMORY_LIMIT", arguments: benchArguments, fragments: ["out of memory", "(TESSEL_MEMORY_LIMIT=1)"],
            environment: oneByte),
        Row(command: "bench", name: "TESSEL_MEMORY_LIMIT not a size", arguments: benchArguments,
            fragments: ["TESSEL_MEMORY_LIMIT", "not a memory size"], environment: [MemoryLimit.environmentVariable: "0"]),
    ]
}
