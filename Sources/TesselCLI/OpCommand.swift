import ArgumentParser
import Tessel
import TesselOps
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import TesselSystem

/// `tessel op`: evaluates one layer on `.npy` files, so anyone can check Tessel against
/// NumPy or PyTorch. Every input is read and every output computed before anything is
/// written; the output files are written atomically, all flushed before any is renamed into place.
/// Inputs must be finite: a NaN or ±∞ in a file is an error naming the file and the element.
struct OpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "op",
        abstract: "Evaluate one layer's forward or backward pass on .npy files.",
        discussion: """
        Layers: \(OpLayer.allCases.map(\.rawValue).joined(separator: ", ")).
        Inputs use CS231n's argument names (x, w, b, gamma, beta, y, dout, running_mean, running_var);
        parameters its dictionary keys (mode, eps, momentum, p, seed, stride, pad, pool_height, pool_width, G).
        forward writes out.npy (plus running_mean.npy/running_var.npy for batch norm in train mode and
        mask.npy for dropout in train mode); backward recomputes the forward pass and writes dx.npy and
        dw/db or dgamma/dbeta as the layer has them; the losses write loss.npy and dx.npy.
        Each output is written atomically: Ctrl-C (SIGINT) or SIGTERM ends the command at once (by the
        signal) and leaves every file in --out whole, the earlier version or the new one.
        """
    )

    @Argument(help: "The layer.")
    var layer: OpLayer

    @Argument(help: "forward or backward.")
    var direction: OpDirection

    @Option(name: .customLong("in"), help: "An input, NAME=PATH.npy (repeatable).")
    var inputs: [String] = []

    @Option(name: .customLong("param"), help: "A parameter, NAME=VALUE (repeatable).")
    var parameters: [String] = []

    @Option(help: "The folder the outputs are written to (created if missing).")
    var out: String

    @Option(help: "float32 or float64 (default: the dtype of x).")
    var dtype: OpScalarType?

    @OptionGroup var threads: ThreadsOption

    @Option(help: "A runtime settings file (JSON; see config/runtime.json). Default: built-in defaults.")
    var settings: String?

    @Flag(help: "Run the serial reference instead of the tiled kernels.")
    var reference = false

    func run() throws {
        let parameters = try OpParameters(self.parameters, layer: layer)
        let runtime = try settings.map { try RuntimeSettings.load(from: $0) } ?? RuntimeSettings()
        try runtime.applyMemoryLimit(source: settings ?? "the built-in runtime settings")
        try OutputFolder.checkWritable(out)
        let paths = try inputPaths(for: layer, direction: direction)
        var arrays: [String: NPYArray] = [:]
        for (name, path) in paths { arrays[name] = try NPY.read(from: path) }
        let sources = Dictionary(uniqueKeysWithValues: paths)
        let backend: Backend = reference ? .reference : .tiled(try threads.scheduler(for: runtime))

        let scalarType = try resolveDType(arrays: arrays)
        let outputs: [(String, [UInt8])]
        switch scalarType {
        case .float32:
            outputs = try OpRunner<Float>(layer: layer, direction: direction, parameters: parameters, inputs: arrays, paths: sources,
                                          backend: backend)
                .run().map { ($0.name, NPY.encode($0.tensor)) }
        default:
            outputs = try OpRunner<Double>(layer: layer, direction: direction, parameters: parameters, inputs: arrays, paths: sources,
                                           backend: backend)
                .run().map { ($0.name, NPY.encode($0.tensor)) }
        }
        try OutputFolder.create(out)
        let files = outputs.map { (path: out + "/" + $0.0 + ".npy", bytes: $0.1) }
        try TesselError.translatingSystemErrors { try AtomicFile.write(files) }
    }

    /// Checks the `--in` list against what the layer takes: no unknown, duplicate or missing names.
    private func inputPaths(for layer: OpLayer, direction: OpDirection) throws -> [(String, String)] {
        let (required, optional) = layer.inputs(for: direction)
        var paths: [(String, String)] = []
        for assignment in inputs {
            let (name, path) = try splitAssignment(assignment, option: "--in")
            guard required.contains(name) || optional.contains(name) else {
                throw TesselError.invalidParameter(component: layer.rawValue, parameter: "--in \(name)", value: path,
                                                   reason: "unknown input for \(direction.rawValue) (takes: \((required + optional).joined(separator: ", ")))")
            }
            guard !paths.contains(where: { $0.0 == name }) else {
                throw TesselError.invalidParameter(component: layer.rawValue, parameter: "--in \(name)", value: path, reason: "given twice")
            }
            paths.append((name, path))
        }
        for name in required where !paths.contains(where: { $0.0 == name }) {
            throw TesselError.invalidParameter(component: layer.rawValue, parameter: "--in \(name)", value: "(missing)",
                                               reason: "required input; pass --in \(name)=PATH.npy")
        }
        return paths
    }

    /// `--dtype` when given, else the dtype of `x`.
    private func resolveDType(arrays: [String: NPYArray]) throws -> DType {
        if let dtype { return dtype.dtype }
        let type = arrays["x"]?.dtype ?? .float64
        guard type == .float32 || type == .float64 else {
            throw TesselError.invalidParameter(component: "tessel op", parameter: "--in x", value: type.rawValue, reason: "x must be float32 or float64")
        }
        return type
    }
}
