#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Checkpoint {
    /// Reads and decodes the manifest of the checkpoint folder `folder`.
    /// - Throws: `TesselError.system` when it cannot be read; `TesselError.configuration`
    ///   (source: the manifest) naming the key when it is not a manifest.
    public static func readManifest(from folder: String) throws -> Manifest {
        let path = join(folder, manifestName)
        let bytes = try FileBytes.read(from: path)
        do {
            return try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw TesselError.configuration(source: path, key: error.dottedKey, reason: error.reason(in: bytes))
        }
    }

    /// The trained network of the checkpoint folder `folder` (see `latest(in:)`): built from
    /// the manifest's `network`, with the checkpoint's parameters, running statistics and step
    /// count, ready for `Network.scores` (a test-mode forward pass).
    /// - Parameters:
    ///   - definition: the network of a format 1 checkpoint, which did not record it (the
    ///     `network` of the config it was trained from); when the manifest records one, the
    ///     two must be equal.
    /// - Throws: as `readManifest(from:)`; `TesselError.configuration` (source: the manifest)
    ///   with key `dtype` when the checkpoint holds another element type than `T`, `network`
    ///   when it records no network and none is given, or another one than `definition`, or
    ///   one whose layers do not fit together, `parameters` / `runningStatistics` when its
    ///   tensors are not those of its network; `TesselError.npy` or `TesselError.system` for
    ///   a tensor file that is missing, unreadable or of the wrong shape.
    public static func network<T: TesselScalar>(from folder: String, as _: T.Type = T.self,
                                                 definition: NetworkDefinition? = nil) throws -> (network: Network<T>, manifest: Manifest) {
        let manifestPath = join(folder, manifestName)
        let manifest = try readManifest(from: folder)
        func mismatch(_ key: String, _ reason: String) -> TesselError {
            .configuration(source: manifestPath, key: key, reason: reason)
        }
        guard manifest.dtype == T.dtype.rawValue else {
            throw mismatch("dtype", "the checkpoint holds \(manifest.dtype), \(T.dtype.rawValue) was asked for")
        }
        let recorded: NetworkDefinition
        switch (manifest.network, definition) {
        case let (network?, given?) where network != given:
            throw mismatch("network", "the checkpoint's network is not the given one (was the config changed since?)")
        case let (network?, _), let (nil, network?):
            recorded = network
        case (nil, nil):
            throw mismatch("network", "a format \(manifest.format) checkpoint does not record its network: give the config it was trained from")
        }
        var network: Network<T>
        do {
            network = try Network<T>(recorded, seed: 0)
        } catch let TesselError.invalidParameter(layer, parameter, value, reason) {
            throw mismatch("network", "\(layer): \(parameter) = \(value): \(reason)")
        }
        try readState(of: manifest, in: folder, into: &network)
        return (network, manifest)
    }

    /// Checks that `manifest` lists `network`'s parameters and batch-norm layers, then reads
    /// the parameters, the running statistics and the step count of the checkpoint in `folder`
    /// into `network`. Shared by `restore` and `network(from:)`.
    static func readState<T>(of manifest: Manifest, in folder: String, into network: inout Network<T>) throws {
        let manifestPath = join(folder, manifestName)
        guard manifest.parameters.map(\.name) == network.parameters.map(\.name),
              manifest.parameters.map(\.shape) == network.parameters.map(\.value.shape) else {
            throw TesselError.configuration(source: manifestPath, key: "parameters", reason: "the checkpoint's parameters are not those of this network")
        }
        let statisticsLayers = network.runningStatistics.indices.filter { network.runningStatistics[$0] != nil }.map { network.layerNames[$0] }
        guard manifest.runningStatistics == statisticsLayers else {
            throw TesselError.configuration(source: manifestPath, key: "runningStatistics",
                                            reason: "the checkpoint's batch-norm layers are not those of this network")
        }
        var restored = network
        for (index, entry) in manifest.parameters.enumerated() {
            restored.parameters[index].value = try readTensor(entry.name, in: folder, shape: entry.shape)
        }
        for index in restored.runningStatistics.indices {
            guard let statistics = restored.runningStatistics[index] else { continue }
            let layer = restored.layerNames[index]
            restored.runningStatistics[index] = RunningStatistics(
                mean: try readTensor(layer + ".running_mean", in: folder, shape: statistics.mean.shape),
                variance: try readTensor(layer + ".running_var", in: folder, shape: statistics.variance.shape))
        }
        restored.stepCount = manifest.steps
        network = restored
    }

    /// The tensor `name.npy` of the checkpoint in `folder`, which must have `shape`.
    static func readTensor<T: TesselScalar>(_ name: String, in folder: String, shape: [Int]) throws -> Tensor<T> {
        let path = join(folder, name + ".npy")
        let tensor = try NPY.readTensor(from: path, as: T.self)
        guard tensor.shape == shape else {
            throw TesselError.npy(path: path, reason: "shape \(Shape.describe(tensor.shape)), expected \(Shape.describe(shape))")
        }
        return tensor
    }
}
