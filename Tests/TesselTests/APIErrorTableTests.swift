import Foundation
import Testing
@testable import Tessel
import TesselBenchmarking

/// Every kind of bad input, entry point by entry point of the Swift API and the config
/// loaders: each row must throw a `TesselError` of the expected case whose one-line message
/// contains the expected fragments. (The command line has its own table in
/// `CommandLineErrorTableTests`.)
///
/// Policy for NaN and ±∞: a scalar parameter (eps, momentum, p, a learning rate, …) that is
/// NaN, infinite or out of its domain is an error everywhere; the layers do not scan tensors
/// (NaN in, NaN out, as the doc comments say), but data files (`Dataset.load`) must be finite.
@Suite struct APIErrorTableTests {
    /// The case of `TesselError` a row expects.
    enum Kind: String, Sendable {
        case shapeMismatch, invalidParameter, invalidShape, npy, configuration, outOfMemory, system

        init(_ error: TesselError) {
            switch error {
            case .shapeMismatch: self = .shapeMismatch
            case .invalidParameter: self = .invalidParameter
            case .invalidShape: self = .invalidShape
            case .npy: self = .npy
            case .configuration: self = .configuration
            case .outOfMemory: self = .outOfMemory
            case .system: self = .system
            }
        }
    }

    /// One row: what is called, which error case it must throw, and what the message names.
    struct Row: Sendable, CustomTestStringConvertible {
        let entry: String
        let name: String
        let kind: Kind
        let fragments: [String]
        let body: @Sendable () throws -> Void
        var testDescription: String { "\(entry): \(name)" }
    }

    @Test(arguments: APIErrorTableTests.rows)
    func badInputThrowsATypedOneLineError(row: Row) {
        do {
            try row.body()
            Issue.record("\(row.testDescription): nothing was thrown")
        } catch let error as TesselError {
            let message = error.description
            #expect(Kind(error) == row.kind, "\(row.testDescription): \(message)")
            #expect(!message.contains("\n"), "\(row.testDescription): \(message)")
            for fragment in row.fragments {
                #expect(message.contains(fragment), "\(row.testDescription): '\(fragment)' missing from: \(message)")
            }
        } catch {
            Issue.record("\(row.testDescription): not a TesselError: \(error)")
        }
    }

    @Test func everyEntryPointHasRows() {
        let entries = Set(Self.rows.map(\.entry))
        for entry in ["Tensor", "Allocator", "ReLU", "Affine", "Convolution", "MaxPool", "BatchNorm", "SpatialBatchNorm",
                      "LayerNorm", "GroupNorm", "Dropout", "SoftmaxLoss", "SVMLoss", "NPY", "Dataset", "Network",
                      "NetworkDefinition", "OptimizerSettings", "RuntimeSettings", "Workload", "BenchmarkShapes", "ScalingOptions"] {
            #expect(entries.contains(entry), "no row for \(entry)")
        }
    }

    // MARK: The table

    static var rows: [Row] {
        tensorRows + layerRows + normalizationRows + lossRows + fileRows + networkRows + configurationRows
    }

    private static func row(_ entry: String, _ name: String, _ kind: Kind, _ fragments: [String],
                            _ body: @escaping @Sendable () throws -> Void) -> Row {
        Row(entry: entry, name: name, kind: kind, fragments: fragments, body: body)
    }

    private static func tensor(_ shape: [Int], _ value: Double = 1) throws -> Tensor<Double> {
        try Tensor(shape: shape, repeating: value)
    }

    static let tensorRows: [Row] = [
        row("Tensor", "negative dimension", .invalidShape, ["(2, -3)", "negative"]) { _ = try Tensor<Float>(shape: [2, -3]) },
        row("Tensor", "element count overflows Int", .invalidShape, ["overflows Int"]) { _ = try Tensor<Float>(shape: [1 << 32, 1 << 32]) },
        row("Tensor", "byte count overflows Int", .invalidShape, ["byte count overflows Int"]) {
            _ = try Tensor<Double>(shape: [Int.max / 4])
        },
        row("Tensor", "larger than the machine (1 PiB)", .outOfMemory, ["\(1 << 50) bytes"]) { _ = try Tensor<Float>(shape: [1 << 48]) },
        row("Tensor", "scalars of the wrong count", .invalidShape, ["(2, 2)", "needs 4 elements, got 3"]) {
            _ = try Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3])
        },
        row("Tensor", "reshape to another count", .invalidShape, ["(5,)", "cannot reshape (2, 2)"]) {
            _ = try Tensor<Float>(shape: [2, 2]).reshaped([5])
        },
        row("Tensor", "reshape to a negative dimension", .invalidShape, ["negative"]) { _ = try Tensor<Float>(shape: [4]).reshaped([-4]) },
        row("Tensor", "strided copy with a stride per dimension missing", .invalidShape, ["(2, 3)", "1 strides for rank 2"]) {
            let source = [Float](repeating: 0, count: 6)
            _ = try source.withUnsafeBytes { try Tensor<Float>(shape: [2, 3], copyingFrom: $0.baseAddress!, byteStrides: [4]) }
        },
        row("Tensor", "strided copy of a negative dimension", .invalidShape, ["(2, -3)", "negative"]) {
            let source = [Float](repeating: 0, count: 6)
            _ = try source.withUnsafeBytes { try Tensor<Float>(shape: [2, -3], copyingFrom: $0.baseAddress!, byteStrides: [12, 4]) }
        },
        row("Allocator", "negative byte count", .invalidParameter, ["byteCount", "-1"]) { _ = try Allocator.standard.allocate(byteCount: -1) },
        row("Allocator", "1 PiB", .outOfMemory, ["\(1 << 50) bytes", "physical memory"]) { _ = try Allocator.standard.allocate(byteCount: 1 << 50) },
        row("Allocator", "one byte more than the machine", .outOfMemory, ["physical memory"]) {
            _ = try Allocator(policy: .local).allocate(byteCount: Allocator.physicalMemoryByteCount + 1)
        },
        row("Allocator", "Int.max bytes, huge pages", .outOfMemory, ["\(Int.max) bytes"]) {
            _ = try Allocator(policy: nil, hugePages: true).allocate(byteCount: Int.max)
        },
        row("Allocator", "beyond its budget's limit", .outOfMemory,
            ["4096 bytes", "memory limit of 1024 bytes (a test limit)", "Tessel holds 0 bytes", "needs 4096 more"]) {
            let budget = MemoryBudget(limit: MemoryLimit(bytes: 1024, source: "a test limit"))
            _ = try Allocator(cache: BlockCache(budget: budget)).allocate(byteCount: 4096)
        },
        row("Allocator", "policy naming an unknown node", .invalidParameter, ["node 99"]) {
            _ = try Allocator(policy: .bind(node: 99))
        },
    ]

    static let layerRows: [Row] = [
        row("ReLU", "dout of another shape", .shapeMismatch, ["relu", "dout", "(3, 2)"]) {
            _ = try ReLU.backward(dout: tensor([3, 2]), x: tensor([2, 3]))
        },
        row("Affine", "w of rank 1", .shapeMismatch, ["affine", "'w'", "(3,)"]) { _ = try Affine.forward(x: tensor([2, 3]), w: tensor([3]), b: tensor([3])) },
        row("Affine", "w rows not the example size", .shapeMismatch, ["affine", "'w'", "(4, 5)"]) {
            _ = try Affine.forward(x: tensor([2, 3]), w: tensor([4, 5]), b: tensor([5]))
        },
        row("Affine", "b of the wrong length", .shapeMismatch, ["affine", "'b'"]) { _ = try Affine.forward(x: tensor([2, 3]), w: tensor([3, 5]), b: tensor([4])) },
        row("Affine", "dout of the wrong shape", .shapeMismatch, ["affine", "'dout'"]) {
            _ = try Affine.backward(dout: tensor([2, 4]), x: tensor([2, 3]), w: tensor([3, 5]), b: tensor([5]))
        },
        row("Affine", "reference: w rows not the example size", .shapeMismatch, ["affine", "'w'"]) {
            _ = try Affine.Reference.forward(x: tensor([2, 3]), w: tensor([4, 5]), b: tensor([5]))
        },
        row("Convolution", "x of rank 3", .shapeMismatch, ["conv", "'x'", "(1, 4, 4)"]) {
            _ = try Convolution.forward(x: tensor([1, 4, 4]), w: tensor([2, 1, 3, 3]), b: tensor([2]))
        },
        row("Convolution", "channels differ", .shapeMismatch, ["conv", "'w'"]) {
            _ = try Convolution.forward(x: tensor([1, 2, 4, 4]), w: tensor([2, 1, 3, 3]), b: tensor([2]))
        },
        row("Convolution", "filter larger than the padded input", .shapeMismatch, ["conv", "'w'"]) {
            _ = try Convolution.forward(x: tensor([1, 1, 2, 2]), w: tensor([2, 1, 3, 3]), b: tensor([2]))
        },
        row("Convolution", "stride 0", .invalidParameter, ["conv", "stride", "at least 1"]) {
            _ = try Convolution.forward(x: tensor([1, 1, 4, 4]), w: tensor([2, 1, 3, 3]), b: tensor([2]), parameters: .init(stride: 0))
        },
        row("Convolution", "negative pad", .invalidParameter, ["conv", "pad", "-1"]) {
            _ = try Convolution.forward(x: tensor([1, 1, 4, 4]), w: tensor([2, 1, 3, 3]), b: tensor([2]), parameters: .init(pad: -1))
        },
        row("Convolution", "pad whose padded size overflows Int", .invalidParameter, ["conv", "pad", "overflows Int"]) {
            _ = try Convolution.forward(x: tensor([1, 1, 4, 4]), w: tensor([2, 1, 3, 3]), b: tensor([2]), parameters: .init(pad: Int.max / 2))
        },
        row("Convolution", "pad whose output count overflows Int", .invalidParameter, ["conv", "pad", "overflow Int"]) {
            _ = try Convolution.forward(x: tensor([1, 1, 4, 4]), w: tensor([2, 1, 3, 3]), b: tensor([2]), parameters: .init(pad: 3_000_000_000))
        },
        row("Convolution", "reference: pad overflow", .invalidParameter, ["conv", "pad"]) {
            _ = try Convolution.Reference.forward(x: tensor([1, 1, 4, 4]), w: tensor([2, 1, 3, 3]), b: tensor([2]), parameters: .init(pad: Int.max))
        },
        row("MaxPool", "x of rank 2", .shapeMismatch, ["maxpool", "'x'"]) { _ = try MaxPool.forward(x: tensor([4, 4]), parameters: .init()) },
        row("MaxPool", "pool height 0", .invalidParameter, ["maxpool", "poolHeight", "at least 1"]) {
            _ = try MaxPool.forward(x: tensor([1, 1, 4, 4]), parameters: .init(poolHeight: 0))
        },
        row("MaxPool", "negative stride", .invalidParameter, ["maxpool", "stride", "-2"]) {
            _ = try MaxPool.forward(x: tensor([1, 1, 4, 4]), parameters: .init(stride: -2))
        },
        row("MaxPool", "window larger than the input", .invalidParameter, ["maxpool", "poolWidth", "larger than the input"]) {
            _ = try MaxPool.forward(x: tensor([1, 1, 4, 4]), parameters: .init(poolWidth: Int.max))
        },
        row("MaxPool", "dout of the wrong shape", .shapeMismatch, ["maxpool", "'dout'"]) {
            _ = try MaxPool.backward(dout: tensor([1, 1, 3, 3]), x: tensor([1, 1, 4, 4]), parameters: .init())
        },
        row("Dropout", "p = NaN", .invalidParameter, ["dropout", "'p' = nan"]) { _ = try Dropout.forward(x: tensor([2]), parameters: .init(p: .nan)) },
        row("Dropout", "p = 0", .invalidParameter, ["dropout", "'p' = 0.0"]) { _ = try Dropout.forward(x: tensor([2]), parameters: .init(p: 0)) },
        row("Dropout", "p = +Inf", .invalidParameter, ["dropout", "'p' = inf"]) { _ = try Dropout.forward(x: tensor([2]), parameters: .init(p: .infinity)) },
        row("Dropout", "p = 1.5, test mode", .invalidParameter, ["dropout", "1.5"]) {
            _ = try Dropout.forward(x: tensor([2]), parameters: .init(p: 1.5, mode: .test))
        },
        row("Dropout", "mask of another shape", .shapeMismatch, ["dropout", "mask"]) {
            _ = try Dropout.backward(dout: tensor([2]), mask: tensor([3]), parameters: .init(p: 0.5))
        },
    ]

    private static func batchNorm(_ x: [Int], features: Int, _ parameters: BatchNorm.Parameters) throws {
        var running = try RunningStatistics<Double>(features: features)
        _ = try BatchNorm.forward(x: tensor(x), gamma: tensor([features]), beta: tensor([features]), parameters: parameters, running: &running)
    }

    private static func spatialBatchNorm(_ x: [Int], channels: Int, _ parameters: BatchNorm.Parameters) throws {
        var running = try RunningStatistics<Double>(features: channels)
        _ = try SpatialBatchNorm.forward(x: tensor(x), gamma: tensor([channels]), beta: tensor([channels]), parameters: parameters,
                                         running: &running)
    }

    static let normalizationRows: [Row] = [
        row("BatchNorm", "x of rank 3", .shapeMismatch, ["batchnorm", "'x'"]) { try batchNorm([2, 3, 1], features: 3, .init(mode: .train)) },
        row("BatchNorm", "gamma of the wrong length", .shapeMismatch, ["batchnorm", "gamma"]) {
            var running = try RunningStatistics<Double>(features: 3)
            _ = try BatchNorm.forward(x: tensor([2, 3]), gamma: tensor([4]), beta: tensor([3]), parameters: .init(mode: .train), running: &running)
        },
        row("BatchNorm", "empty batch in train mode", .shapeMismatch, ["batchnorm", "(0, 3)", "empty batch"]) {
            try batchNorm([0, 3], features: 3, .init(mode: .train))
        },
        row("BatchNorm", "eps = NaN", .invalidParameter, ["batchnorm", "'eps' = nan"]) { try batchNorm([2, 3], features: 3, .init(mode: .train, eps: .nan)) },
        row("BatchNorm", "eps = +Inf", .invalidParameter, ["batchnorm", "'eps' = inf"]) { try batchNorm([2, 3], features: 3, .init(mode: .test, eps: .infinity)) },
        row("BatchNorm", "eps = 0", .invalidParameter, ["batchnorm", "'eps' = 0.0"]) { try batchNorm([2, 3], features: 3, .init(mode: .train, eps: 0)) },
        row("BatchNorm", "momentum = NaN", .invalidParameter, ["batchnorm", "'momentum' = nan"]) {
            try batchNorm([2, 3], features: 3, .init(mode: .train, momentum: .nan))
        },
        row("BatchNorm", "momentum = -Inf", .invalidParameter, ["batchnorm", "'momentum' = -inf"]) {
            try batchNorm([2, 3], features: 3, .init(mode: .train, momentum: -.infinity))
        },
        row("BatchNorm", "running statistics of the wrong length", .shapeMismatch, ["batchnorm", "running"]) {
            var running = try RunningStatistics<Double>(features: 4)
            _ = try BatchNorm.forward(x: tensor([2, 3]), gamma: tensor([3]), beta: tensor([3]), parameters: .init(mode: .train), running: &running)
        },
        row("SpatialBatchNorm", "x of rank 2", .shapeMismatch, ["spatial_batchnorm", "'x'"]) {
            try spatialBatchNorm([2, 3], channels: 3, .init(mode: .train))
        },
        row("SpatialBatchNorm", "zero-sized plane in train mode", .shapeMismatch, ["spatial_batchnorm", "(1, 2, 0, 4)"]) {
            try spatialBatchNorm([1, 2, 0, 4], channels: 2, .init(mode: .train))
        },
        row("SpatialBatchNorm", "eps = -1e-5", .invalidParameter, ["spatial_batchnorm", "eps"]) {
            try spatialBatchNorm([1, 2, 2, 2], channels: 2, .init(mode: .train, eps: -1e-5))
        },
        row("LayerNorm", "x of rank 1", .shapeMismatch, ["layernorm", "'x'"]) {
            _ = try LayerNorm.forward(x: tensor([3]), gamma: tensor([3]), beta: tensor([3]), parameters: .init())
        },
        row("LayerNorm", "D = 0", .shapeMismatch, ["layernorm", "(2, 0)"]) {
            _ = try LayerNorm.forward(x: tensor([2, 0]), gamma: tensor([0]), beta: tensor([0]), parameters: .init())
        },
        row("LayerNorm", "eps = NaN", .invalidParameter, ["layernorm", "'eps' = nan"]) {
            _ = try LayerNorm.forward(x: tensor([2, 3]), gamma: tensor([3]), beta: tensor([3]), parameters: .init(eps: .nan))
        },
        row("LayerNorm", "reference: beta of the wrong length", .shapeMismatch, ["layernorm", "beta"]) {
            _ = try LayerNorm.Reference.forward(x: tensor([2, 3]), gamma: tensor([3]), beta: tensor([2]), parameters: .init())
        },
        row("GroupNorm", "groups = 0", .invalidParameter, ["groupnorm", "0"]) {
            _ = try GroupNorm.forward(x: tensor([1, 4, 2, 2]), gamma: tensor([4]), beta: tensor([4]), parameters: .init(groups: 0))
        },
        row("GroupNorm", "groups not dividing C", .invalidParameter, ["groupnorm", "3"]) {
            _ = try GroupNorm.forward(x: tensor([1, 4, 2, 2]), gamma: tensor([4]), beta: tensor([4]), parameters: .init(groups: 3))
        },
        row("GroupNorm", "C = 0", .shapeMismatch, ["groupnorm", "(1, 0, 2, 2)"]) {
            _ = try GroupNorm.forward(x: tensor([1, 0, 2, 2]), gamma: tensor([0]), beta: tensor([0]), parameters: .init(groups: 1))
        },
        row("GroupNorm", "eps = +Inf", .invalidParameter, ["groupnorm", "'eps' = inf"]) {
            _ = try GroupNorm.forward(x: tensor([1, 4, 2, 2]), gamma: tensor([4]), beta: tensor([4]), parameters: .init(groups: 2, eps: .infinity))
        },
    ]

    static let lossRows: [Row] = [
        row("SoftmaxLoss", "label = C", .invalidParameter, ["softmax_loss", "y[1]", "0..<3"]) { _ = try SoftmaxLoss.compute(x: tensor([2, 3]), y: [0, 3]) },
        row("SoftmaxLoss", "negative label", .invalidParameter, ["softmax_loss", "-1"]) { _ = try SoftmaxLoss.compute(x: tensor([2, 3]), y: [-1, 0]) },
        row("SoftmaxLoss", "labels of another count", .shapeMismatch, ["softmax_loss", "y"]) { _ = try SoftmaxLoss.compute(x: tensor([2, 3]), y: [0]) },
        row("SoftmaxLoss", "N = 0", .shapeMismatch, ["softmax_loss", "(0, 3)"]) { _ = try SoftmaxLoss.compute(x: tensor([0, 3]), y: []) },
        row("SoftmaxLoss", "x of rank 3", .shapeMismatch, ["softmax_loss", "'x'"]) { _ = try SoftmaxLoss.compute(x: tensor([2, 3, 1]), y: [0, 0]) },
        row("SVMLoss", "label out of range", .invalidParameter, ["svm_loss", "7"]) { _ = try SVMLoss.compute(x: tensor([2, 3]), y: [0, 7]) },
        row("SVMLoss", "reference: C = 0", .invalidParameter, ["svm_loss", "0..<0", "(2, 0)"]) { _ = try SVMLoss.Reference.compute(x: tensor([2, 0]), y: [0, 0]) },
    ]

    private static func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessel-api-errors-\(UUID().uuidString)-\(name)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private static func npy(_ descr: String, shape: [Int], data: [UInt8]) -> [UInt8] {
        NPYHeader(descr: descr, fortranOrder: false, shape: shape).encoded() + data
    }

    private static func labels(_ values: [Int64]) -> [UInt8] {
        npy("<i8", shape: [values.count], data: values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
    }

    /// Loads a data set from `images` and `labels` written to temporary files, then removes them.
    private static func load(images: [UInt8], labels: [UInt8]) throws {
        let x = try file("X.npy", images), y = try file("y.npy", labels)
        defer {
            try? FileManager.default.removeItem(atPath: x)
            try? FileManager.default.removeItem(atPath: y)
        }
        _ = try Dataset<Float>.load(images: x, labels: y)
    }

    static let fileRows: [Row] = [
        row("NPY", "not a .npy file", .npy, ["bytes.npy", "not a .npy file"]) { _ = try NPY.decode(Array("hello".utf8), source: "bytes.npy") },
        row("NPY", "truncated data", .npy, ["t.npy", "truncated"]) { _ = try NPY.decode(npy("<f4", shape: [2], data: [0, 0, 0]), source: "t.npy") },
        row("NPY", "shape overflowing Int", .npy, ["o.npy", "overflows"]) {
            _ = try NPY.decode(npy("<f4", shape: [1 << 40, 1 << 40], data: []), source: "o.npy")
        },
        row("NPY", "unsupported dtype", .npy, ["u.npy", "'<u2'"]) { _ = try NPY.decode(npy("<u2", shape: [1], data: [0, 0]), source: "u.npy") },
        row("NPY", "integers read as a tensor", .npy, ["i.npy", "int64"]) {
            _ = try NPY.decode(labels([1]), source: "i.npy").tensor(as: Float.self, source: "i.npy")
        },
        row("NPY", "floats read as labels", .npy, ["f.npy", "labels must be int32 or int64"]) {
            _ = try NPY.decode(NPY.encode(tensor([2])), source: "f.npy").labels(source: "f.npy")
        },
        row("NPY", "labels of rank 2", .npy, ["l.npy", "rank 1"]) {
            _ = try NPY.decode(npy("<i4", shape: [1, 1], data: [0, 0, 0, 0]), source: "l.npy").labels(source: "l.npy")
        },
        row("NPY", "missing file", .system, ["/nonexistent/x.npy", "No such file"]) { _ = try NPY.read(from: "/nonexistent/x.npy") },
        row("NPY", "writing into a missing folder", .system, ["/nonexistent/out.npy"]) { try NPY.write(tensor([1]), to: "/nonexistent/out.npy") },
        row("Dataset", "NaN in the images", .npy, ["X.npy", "element 1", "nan", "finite"]) {
            try load(images: NPY.encode(Tensor<Float>(shape: [2, 1], scalars: [0, .nan])), labels: labels([0, 1]))
        },
        row("Dataset", "-Inf in the images", .npy, ["X.npy", "-inf"]) {
            try load(images: NPY.encode(Tensor<Double>(shape: [1, 2], scalars: [-.infinity, 0])), labels: labels([0]))
        },
        row("Dataset", "float64 beyond float32", .npy, ["X.npy", "inf"]) {
            try load(images: NPY.encode(Tensor<Double>(shape: [1, 1], scalars: [1e300])), labels: labels([0]))
        },
        row("Dataset", "no examples", .npy, ["X.npy", "no examples"]) { try load(images: NPY.encode(tensor([0, 3])), labels: labels([])) },
        row("Dataset", "labels of another count", .npy, ["y.npy", "1 labels"]) { try load(images: NPY.encode(tensor([2, 3])), labels: labels([0])) },
        row("Dataset", "labels as floats", .npy, ["y.npy", "int32 or int64"]) { try load(images: NPY.encode(tensor([2, 3])), labels: NPY.encode(tensor([2]))) },
        row("Dataset", "missing files", .system, ["/nonexistent/X.npy"]) { _ = try Dataset<Float>.load(images: "/nonexistent/X.npy", labels: "/nonexistent/y.npy") },
        row("Dataset", "subset index out of range", .invalidParameter, ["dataset", "indices", "5"]) {
            _ = try Dataset(images: tensor([2, 3]), labels: [0, 1]).subset([5])
        },
        row("Dataset", "validation of all examples", .invalidParameter, ["dataset", "validation"]) {
            _ = try Dataset(images: tensor([2, 3]), labels: [0, 1]).split(validation: 2, seed: 0)
        },
    ]

    private static func network(_ layers: [LayerSpec], input: [Int] = [1, 4, 4]) throws {
        _ = try Network<Float>(NetworkDefinition(input: input, layers: layers + [.affine(units: 2)]))
    }

    static let networkRows: [Row] = [
        row("NetworkDefinition", "no layers", .invalidParameter, ["network", "layers"]) { _ = try Network<Float>(NetworkDefinition(input: [3], layers: [])) },
        row("NetworkDefinition", "input dimension 0", .invalidParameter, ["network", "input", "(0, 3)"]) { try network([], input: [0, 3]) },
        row("NetworkDefinition", "weightScale = NaN", .invalidParameter, ["weightScale", "nan"]) {
            _ = try NetworkDefinition(input: [3], layers: [.affine(units: 2)], weightScale: .nan).shapes()
        },
        row("NetworkDefinition", "affine units 0", .invalidParameter, ["layers[0] (affine)", "units", "at least 1"]) { try network([.affine(units: 0)], input: [3]) },
        row("NetworkDefinition", "conv stride 0", .invalidParameter, ["layers[0] (conv)", "stride"]) {
            try network([.convolution(filters: 2, size: 3, stride: 0, pad: 1)])
        },
        row("NetworkDefinition", "conv negative filters", .invalidParameter, ["layers[0] (conv)", "filters", "-2"]) {
            try network([.convolution(filters: -2, size: 3, stride: 1, pad: 1)])
        },
        row("NetworkDefinition", "conv pad overflowing Int", .invalidParameter, ["layers[0] (conv)", "pad", "overflows Int"]) {
            try network([.convolution(filters: 2, size: 3, stride: 1, pad: Int.max / 2)])
        },
        row("NetworkDefinition", "maxpool stride 0", .invalidParameter, ["layers[0] (maxpool)", "stride"]) { try network([.maxPool(size: 2, stride: 0)]) },
        row("NetworkDefinition", "groupnorm groups 0", .invalidParameter, ["layers[0] (groupnorm)", "groups"]) {
            try network([.groupNorm(groups: 0, epsilon: 1e-5)])
        },
        row("NetworkDefinition", "groupnorm eps NaN", .invalidParameter, ["layers[0] (groupnorm)", "eps", "nan"]) {
            try network([.groupNorm(groups: 1, epsilon: .nan)])
        },
        row("NetworkDefinition", "batchnorm momentum +Inf", .invalidParameter, ["layers[0] (batchnorm)", "momentum", "inf"]) {
            try network([.batchNorm(epsilon: 1e-5, momentum: .infinity)], input: [3])
        },
        row("NetworkDefinition", "layernorm eps 0", .invalidParameter, ["layers[0] (layernorm)", "eps"]) { try network([.layerNorm(epsilon: 0)], input: [3]) },
        row("NetworkDefinition", "spatial batchnorm eps -Inf", .invalidParameter, ["layers[0] (spatial_batchnorm)", "eps"]) {
            try network([.spatialBatchNorm(epsilon: -.infinity, momentum: 0.9)])
        },
        row("NetworkDefinition", "dropout keep NaN", .invalidParameter, ["layers[0] (dropout)", "keep", "nan"]) { try network([.dropout(keep: .nan)]) },
        row("NetworkDefinition", "batchnorm after images", .invalidParameter, ["layers[0] (batchnorm)", "vectors"]) {
            try network([.batchNorm(epsilon: 1e-5, momentum: 0.9)])
        },
        row("NetworkDefinition", "window larger than the input", .invalidParameter, ["layers[0] (maxpool)", "larger than the input"]) { try network([.maxPool(size: 9, stride: 3)]) },
        row("Network", "images of the wrong shape", .shapeMismatch, ["network", "images"]) {
            var network = try Network<Float>(NetworkDefinition(input: [3], layers: [.affine(units: 2)]))
            _ = try network.step(images: Tensor(shape: [2, 4]), labels: [0, 1])
        },
        row("Network", "no images", .shapeMismatch, ["network", "images", "N ≥ 1"]) {
            var network = try Network<Float>(NetworkDefinition(input: [3], layers: [.affine(units: 2)]))
            _ = try network.step(images: Tensor(shape: [0, 3]), labels: [])
        },
        row("Network", "label out of range", .invalidParameter, ["network", "labels", "2"]) {
            var network = try Network<Float>(NetworkDefinition(input: [3], layers: [.affine(units: 2)]))
            _ = try network.step(images: Tensor(shape: [1, 3]), labels: [2])
        },
        row("OptimizerSettings", "learning rate NaN", .invalidParameter, ["optimizer", "learningRate", "nan"]) {
            _ = try OptimizerSettings(rule: .sgd, learningRate: .nan)
        },
        row("OptimizerSettings", "learning rate +Inf", .invalidParameter, ["optimizer", "learningRate", "inf"]) {
            _ = try OptimizerSettings(rule: .adam, learningRate: .infinity)
        },
        row("OptimizerSettings", "momentum 1", .invalidParameter, ["optimizer", "momentum"]) { _ = try OptimizerSettings(rule: .sgdMomentum, momentum: 1) },
        row("OptimizerSettings", "beta2 NaN", .invalidParameter, ["optimizer", "beta2", "nan"]) { _ = try OptimizerSettings(rule: .adam, beta2: .nan) },
        row("OptimizerSettings", "epsilon 0", .invalidParameter, ["optimizer", "epsilon"]) { _ = try OptimizerSettings(rule: .rmsprop, epsilon: 0) },
        row("OptimizerSettings", "learning-rate decay 0", .invalidParameter, ["optimizer", "learningRateDecay"]) {
            _ = try OptimizerSettings(rule: .sgd, learningRateDecay: 0)
        },
    ]

    private static func workload(_ json: String) throws {
        _ = try Workload.decode(Array(json.utf8), source: "w.json", name: "w")
    }

    private static let affine = #"{"input": [4], "layers": [{"type": "affine", "units": 3}]}"#

    static let configurationRows: [Row] = [
        row("RuntimeSettings", "not JSON", .configuration, ["r.json", "(document)"]) { _ = try RuntimeSettings.decode(Array("{".utf8), source: "r.json") },
        row("RuntimeSettings", "unknown key", .configuration, ["r.json", "threads", "unknown key"]) {
            _ = try RuntimeSettings.decode(Array(#"{"threads": 2}"#.utf8), source: "r.json")
        },
        row("RuntimeSettings", "workers 0", .configuration, ["r.json", "workers", "at least 1"]) {
            _ = try RuntimeSettings.decode(Array(#"{"workers": 0}"#.utf8), source: "r.json")
        },
        row("RuntimeSettings", "grain size not an integer", .configuration, ["r.json", "grainSize"]) {
            _ = try RuntimeSettings.decode(Array(#"{"grainSize": 1.5}"#.utf8), source: "r.json")
        },
        row("RuntimeSettings", "tile size 0", .configuration, ["r.json", "tiles.gemmRowBlock"]) {
            _ = try RuntimeSettings.decode(Array(#"{"tiles": {"gemmRowBlock": 0}}"#.utf8), source: "r.json")
        },
        row("RuntimeSettings", "unknown NUMA mode", .configuration, ["r.json", "numa"]) {
            _ = try RuntimeSettings.decode(Array(#"{"numa": "everywhere"}"#.utf8), source: "r.json")
        },
        row("RuntimeSettings", "TESSEL_THREADS not a number", .configuration, ["TESSEL_THREADS", "'many'"]) {
            _ = try RuntimeSettings().makeScheduler(environment: ["TESSEL_THREADS": "many"])
        },
        row("RuntimeSettings", "memoryLimit not a size", .configuration, ["r.json", "memoryLimit", "'lots'"]) {
            _ = try RuntimeSettings.decode(Array(#"{"memoryLimit": "lots"}"#.utf8), source: "r.json")
        },
        row("RuntimeSettings", "TESSEL_MEMORY_LIMIT not a size", .configuration, ["TESSEL_MEMORY_LIMIT", "'lots'"]) {
            // Throws before it sets the shared budget's limit, so the other tests are unaffected.
            try RuntimeSettings().applyMemoryLimit(source: "r.json", environment: ["TESSEL_MEMORY_LIMIT": "lots"])
        },
        row("RuntimeSettings", "missing file", .system, ["/nonexistent/runtime.json"]) { _ = try RuntimeSettings.load(from: "/nonexistent/runtime.json") },
        row("Workload", "missing network", .configuration, ["w.json", "network", "missing"]) { try workload("{}") },
        row("Workload", "unknown top-level key", .configuration, ["w.json", "'foo'"]) { try workload(#"{"network": \#(affine), "foo": 1}"#) },
        row("Workload", "unknown layer type", .configuration, ["w.json", "network.layers[0].type", "softplus"]) {
            try workload(#"{"network": {"input": [4], "layers": [{"type": "softplus"}]}}"#)
        },
        row("Workload", "unknown layer key", .configuration, ["w.json", "network.layers[0].size"]) {
            try workload(#"{"network": {"input": [4], "layers": [{"type": "affine", "units": 3, "size": 2}]}}"#)
        },
        row("Workload", "units not a number", .configuration, ["w.json", "network.layers[0].units"]) {
            try workload(#"{"network": {"input": [4], "layers": [{"type": "affine", "units": "three"}]}}"#)
        },
        row("Workload", "negative units", .configuration, ["w.json", "network.layers[0].units", "-3"]) {
            try workload(#"{"network": {"input": [4], "layers": [{"type": "affine", "units": -3}]}}"#)
        },
        row("Workload", "input dimension 0", .configuration, ["w.json", "network.input"]) {
            try workload(#"{"network": {"input": [0], "layers": [{"type": "affine", "units": 3}]}}"#)
        },
        row("Workload", "eps 0", .configuration, ["w.json", "network.layers[1].eps"]) {
            try workload(#"{"network": {"input": [4], "layers": [{"type": "affine", "units": 3}, {"type": "batchnorm", "eps": 0}, {"type": "affine", "units": 2}]}}"#)
        },
        row("Workload", "eps beyond Double (1e999)", .configuration, ["w.json", "1e999 at line 1, column 68", "outside the range of a Double"]) {
            try workload(#"{"network": {"input": [4], "layers": [{"type": "layernorm", "eps": 1e999}]}}"#)
        },
        row("Workload", "keep 0", .configuration, ["w.json", "network.layers[0].keep"]) {
            try workload(#"{"network": {"input": [4], "layers": [{"type": "dropout", "keep": 0}, {"type": "affine", "units": 2}]}}"#)
        },
        row("Workload", "conv pad overflowing Int", .configuration, ["w.json", "network.layers[0]", "overflows Int"]) {
            try workload(#"{"network": {"input": [1, 4, 4], "layers": [{"type": "conv", "filters": 2, "size": 3, "pad": 4611686018427387904}, {"type": "affine", "units": 2}]}}"#)
        },
        row("Workload", "batch size beyond Double (-1e400)", .configuration, ["w.json", "run.batchSize", "outside the range of a Double"]) {
            try workload(#"{"network": \#(affine), "run": {"batchSize": -1e400}}"#)
        },
        row("Workload", "batch size 0", .configuration, ["w.json", "run.batchSize"]) { try workload(#"{"network": \#(affine), "run": {"batchSize": 0}}"#) },
        row("Workload", "learning rate 0", .configuration, ["w.json", "train"]) {
            try workload(#"{"network": \#(affine), "train": {"optimizer": "sgd", "learningRate": 0}}"#)
        },
        row("Workload", "a hyperparameter the rule does not use", .configuration, ["w.json", "train", "beta1"]) {
            try workload(#"{"network": \#(affine), "train": {"optimizer": "sgd", "beta1": 0.9}}"#)
        },
        row("Workload", "negative seed", .configuration, ["w.json", "seed"]) { try workload(#"{"network": \#(affine), "seed": -1}"#) },
        row("Workload", "runtime workers 0", .configuration, ["w.json", "runtime.workers"]) { try workload(#"{"network": \#(affine), "runtime": {"workers": 0}}"#) },
        row("Workload", "validation without files", .configuration, ["w.json", "data.validation"]) {
            try workload(#"{"network": \#(affine), "data": {"validation": 3}}"#)
        },
        row("Workload", "missing file", .system, ["/nonexistent/w.json"]) { _ = try Workload.load(from: "/nonexistent/w.json") },
        row("BenchmarkShapes", "unknown workload", .configuration, ["s.json", "softplus"]) {
            _ = try BenchmarkShapes.decode(Array(#"{"softplus": {}}"#.utf8), source: "s.json")
        },
        row("BenchmarkShapes", "negative dimension", .configuration, ["s.json", "relu.x"]) {
            _ = try BenchmarkShapes.decode(Array(#"{"relu": {"x": [4, -4]}}"#.utf8), source: "s.json")
        },
        row("BenchmarkShapes", "dropout p as a string", .configuration, ["s.json", "dropout.p"]) {
            _ = try BenchmarkShapes.decode(Array(#"{"dropout": {"p": "nan"}}"#.utf8), source: "s.json")
        },
        row("BenchmarkShapes", "shape larger than the machine", .outOfMemory, ["out of memory"]) {
            let shapes = try BenchmarkShapes.decode(Array(#"{"relu": {"x": [1000000000, 1000000000]}}"#.utf8), source: "s.json")
            _ = try shapes.prepare(LayerBenchmark.named("relu")!)
        },
        row("ScalingOptions", "worker count 0", .invalidParameter, ["scale", "workers"]) { _ = try ScalingOptions(workerCounts: [1, 0]) },
        row("ScalingOptions", "repeats 0", .invalidParameter, ["scale", "repeats"]) { _ = try ScalingOptions(repeats: 0) },
        row("ScalingOptions", "negative warm-up", .invalidParameter, ["scale", "warmup"]) { _ = try ScalingOptions(warmup: -1) },
    ]
}
