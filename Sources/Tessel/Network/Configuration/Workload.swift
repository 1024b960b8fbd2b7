#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A config file of `config/`: a network, its data, and how to run and train it.
///
/// ```json
/// { "description": "…", "seed": 0,
///   "network": { "input": [3, 32, 32], "layers": [ … ], "loss": "softmax", "weightScale": 0.001 },
///   "data": { }, "run": { "batchSize": 512 }, "train": { "optimizer": "adam" },
///   "runtime": { "workers": null } }
/// ```
///
/// `network` is required; every other key is optional. The keys of each object are listed
/// with `NetworkDefinition`, `LayerSpec`, `DataSource`, `RunSettings`, `TrainingSettings` and
/// `RuntimeSettings`, and in `config/README.md`.
public struct Workload: Sendable {
    /// The config's name: its file name without the extension (`default` for `config/default.json`).
    public var name: String
    /// The file it was read from (the `source` given to `decode`); errors about the config name it.
    public var source: String
    /// One line saying what the workload is.
    public var description: String
    /// Seed of the initial weights, the random data, the validation split, the epoch shuffles
    /// and the dropout masks (≥ 0).
    public var seed: UInt64
    /// The network.
    public var network: NetworkDefinition
    /// Where the examples come from (paths already resolved against the config's folder).
    public var data: DataSource
    /// Settings of `tessel run`.
    public var run: RunSettings
    /// Settings of `tessel train`; nil when the config has no `train` object.
    public var train: TrainingSettings?
    /// Workers and tile sizes of the scheduler.
    public var runtime: RuntimeSettings
    /// Whether the file had its own `runtime` object.
    public var hasRuntimeSection: Bool
    /// A 64-bit FNV-1a hash of the config file's bytes, in hexadecimal: checkpoints record it
    /// so that `--resume` refuses a checkpoint made from another config.
    public var fingerprint: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case description, seed, network, data, run, train, runtime
    }

    /// The runtime settings file that applies to every config of its folder that has no
    /// `runtime` object of its own.
    public static let sharedRuntimeFile = "runtime.json"

    /// Reads the JSON config file at `path`. Relative data paths are taken relative to the
    /// file's folder. Without a `runtime` object, the runtime settings are read from
    /// `runtime.json` in the same folder when it exists (else they are the defaults).
    /// - Throws: `TesselError.system` when a file cannot be read; as `decode` for the config,
    ///   and as `RuntimeSettings.load` for `runtime.json`.
    public static func load(from path: String) throws -> Workload {
        let folder = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
        let file = String(path.dropFirst(folder.count))
        let name = file.lastIndex(of: ".").map { String(file[..<$0]) } ?? file
        let bytes = try FileBytes.read(from: path)
        var workload = try decode(bytes, source: path, name: name)
        workload.data = workload.data.resolvingPaths(relativeTo: folder)
        if !workload.hasRuntimeSection {
            let shared = folder + Self.sharedRuntimeFile
            if access(shared, F_OK) == 0 { workload.runtime = try RuntimeSettings.load(from: shared) }
        }
        return workload
    }

    /// Decodes a config from the bytes of a JSON file; `source` names the file in errors.
    /// - Throws: `TesselError.configuration(source: source, key:, reason:)` with the dotted
    ///   path of the offending key (`network.layers[2].filters`, `runtime.tiles.gemmRowBlock`)
    ///   for an unknown key at any depth, a missing required key, a value of the wrong type or
    ///   out of range, or layers that do not fit together; `key` is `(document)` when the
    ///   bytes are not a JSON object.
    public static func decode(_ bytes: [UInt8], source: String, name: String) throws -> Workload {
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw TesselError.configuration(source: source, key: error.dottedKey, reason: error.reason(in: bytes))
        }
        do {
            try contents.runtime?.validate(source: source)
        } catch let TesselError.configuration(source, key, reason) {
            throw TesselError.configuration(source: source, key: CodingKeys.runtime.stringValue + "." + key, reason: reason)
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Workload(name: name, source: source, description: contents.description, seed: contents.seed, network: contents.network,
                        data: contents.data, run: contents.run, train: contents.train, runtime: contents.runtime ?? RuntimeSettings(),
                        hasRuntimeSection: contents.runtime != nil, fingerprint: String(hash, radix: 16))
    }

    /// The decoded keys of a config file, before the file's name and hash are attached.
    private struct Contents: Decodable {
        let description: String
        let seed: UInt64
        let network: NetworkDefinition
        let data: DataSource
        let run: RunSettings
        let train: TrainingSettings?
        let runtime: RuntimeSettings?

        init(from decoder: any Decoder) throws {
            let keys = try decoder.strictContainer(keyedBy: CodingKeys.self)
            description = try keys.value(.description, default: "")
            seed = UInt64(try keys.integer(.seed, default: 0, atLeast: 0))
            network = try keys.decode(NetworkDefinition.self, forKey: .network)
            data = try keys.value(.data, default: .random)
            run = try keys.value(.run, default: RunSettings())
            train = try keys.decodeIfPresent(TrainingSettings.self, forKey: .train)
            runtime = try keys.decodeIfPresent(RuntimeSettings.self, forKey: .runtime)
        }
    }
}
