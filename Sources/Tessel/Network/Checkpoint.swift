#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import TesselSystem

/// Training checkpoints: everything a run needs to continue exactly where it stopped.
///
/// A checkpoint of epoch `e` is the folder `epoch-000e` inside the checkpoint folder, holding
/// one `.npy` per parameter (`conv0.w.npy`), per optimizer state tensor (`conv0.w.m.npy`) and
/// per running statistic (`spatial_batchnorm1.running_mean.npy`, `….running_var.npy`), and
/// `manifest.json` (epoch, config name and hash, step count, learning rate, update rule,
/// each parameter's name, shape and update count, and the network definition). Resuming from
/// it reproduces the uninterrupted run bit for bit; `network(from:as:)` rebuilds the trained
/// network from it alone, for inference.
///
/// An `epoch-NNNN` folder is always complete, whenever the writing process is killed: the
/// folder is written and flushed under a temporary name (`.epoch-NNNN.tmp-<pid>-<random>`)
/// and renamed into place, or swapped in one step with the checkpoint of the same epoch it
/// replaces (`renameat2` with `RENAME_EXCHANGE`, where the file system has it). A folder that
/// is removed (the replaced one, older epochs once the new one is in place) is renamed to
/// such a temporary name before it is deleted. The next `write` into the folder deletes the
/// temporary folders of killed processes.
public enum Checkpoint {
    /// The manifest of a checkpoint, `manifest.json`.
    public struct Manifest: Codable, Sendable, Equatable {
        /// One parameter: its name, shape and the number of updates its optimizer state has seen.
        public struct Entry: Codable, Sendable, Equatable {
            /// The parameter's name (`conv0.w`).
            public var name: String
            /// Its shape.
            public var shape: [Int]
            /// Updates its optimizer state has seen (Adam's `t`).
            public var updates: Int
        }

        /// The layout version of the checkpoint folder: 2 since the manifest records `network`, 1 before.
        public var format: Int
        /// The config's name.
        public var workload: String
        /// The config file's hash (`Workload.fingerprint`).
        public var fingerprint: String
        /// Epochs completed.
        public var epoch: Int
        /// `Network.stepCount` after that epoch.
        public var steps: Int
        /// The learning rate of the next epoch.
        public var learningRate: Double
        /// The update rule (`OptimizerSettings.Rule.rawValue`).
        public var optimizer: String
        /// The element type of the tensors (`float32` or `float64`).
        public var dtype: String
        /// The parameters, in network order.
        public var parameters: [Entry]
        /// The layers whose running statistics are saved.
        public var runningStatistics: [String]
        /// The network's layers, input shape, loss and weight scale, as the config's `network`
        /// object; nil in format 1 checkpoints, which did not record it.
        public var network: NetworkDefinition?
    }

    /// The format `write` writes.
    public static let currentFormat = 2

    /// The manifest's file name inside a checkpoint folder.
    public static let manifestName = "manifest.json"

    /// The folder name of epoch `epoch`'s checkpoint.
    public static func folderName(epoch: Int) -> String {
        let digits = String(epoch)
        return "epoch-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Writes the checkpoint of `epoch` into `directory` (created, with any missing parent, if
    /// absent), replacing a checkpoint of the same epoch there, and removes the checkpoints of
    /// earlier epochs there and the temporary folders of killed writers. Returns the checkpoint
    /// folder's path.
    /// - Throws: `TesselError.system` naming the path when a folder or file cannot be created,
    ///   written or renamed.
    @discardableResult
    public static func write<T>(network: Network<T>, optimizer: Optimizer<T>, epoch: Int, workload: String,
                                fingerprint: String, to directory: String) throws -> String {
        try makeFolder(directory)
        let final = join(directory, folderName(epoch: epoch))
        let temporary = join(directory, TemporaryName.make(for: folderName(epoch: epoch)))
        try makeFolder(temporary)
        var renamed = false
        defer { if !renamed { removeFolder(temporary) } }
        var entries: [Manifest.Entry] = []
        for parameter in network.parameters {
            try NPY.write(parameter.value, to: join(temporary, parameter.name + ".npy"))
            let state = optimizer.states[parameter.name] ?? ParameterState()
            for slot in optimizer.settings.rule.slotNames {
                try NPY.write(state.slots[slot] ?? Tensor<T>(shape: parameter.value.shape), to: join(temporary, "\(parameter.name).\(slot).npy"))
            }
            entries.append(Manifest.Entry(name: parameter.name, shape: parameter.value.shape, updates: state.step))
        }
        var statisticsLayers: [String] = []
        for (index, statistics) in network.runningStatistics.enumerated() {
            guard let statistics else { continue }
            let layer = network.layerNames[index]
            try NPY.write(statistics.mean, to: join(temporary, layer + ".running_mean.npy"))
            try NPY.write(statistics.variance, to: join(temporary, layer + ".running_var.npy"))
            statisticsLayers.append(layer)
        }
        let manifest = Manifest(format: currentFormat, workload: workload, fingerprint: fingerprint, epoch: epoch,
                                steps: network.stepCount, learningRate: optimizer.learningRate,
                                optimizer: optimizer.settings.rule.rawValue, dtype: T.dtype.rawValue, parameters: entries,
                                runningStatistics: statisticsLayers, network: network.definition)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let manifestBytes = Array(try encoder.encode(manifest))
        try TesselError.translatingSystemErrors { try AtomicFile.write(manifestBytes, to: join(temporary, manifestName)) }
        if access(final, F_OK) == 0 && PathExchange.swap(temporary, final) {
            AtomicFile.syncFolder(directory)
            removeFolder(temporary)  // Now the old checkpoint of this epoch.
        } else {
            // Without an atomic swap the old checkpoint moves aside first (a folder cannot be
            // renamed over one that holds files), and for a moment only the earlier epochs
            // (removed below) are there.
            if access(final, F_OK) == 0 { discard(final, in: directory) }
            guard rename(temporary, final) == 0 else { throw TesselError.fromErrno("rename '\(temporary)' to '\(final)'") }
            AtomicFile.syncFolder(directory)
        }
        renamed = true
        for older in try epochFolders(in: directory) where older.epoch < epoch { discard(join(directory, older.name), in: directory) }
        for stray in TemporaryName.strays(in: directory, where: { $0.hasPrefix("epoch-") }) { removeFolder(join(directory, stray)) }
        return final
    }

    /// Renames the checkpoint folder `path` to a temporary name in `directory` and deletes it,
    /// so that a kill while deleting leaves no incomplete `epoch-NNNN` folder. Best effort, as
    /// `removeFolder`: a folder that cannot be renamed stays, complete.
    private static func discard(_ path: String, in directory: String) {
        let aside = join(directory, TemporaryName.make(for: String(path.split(separator: "/").last ?? "")))
        if rename(path, aside) == 0 { removeFolder(aside) }
    }

    /// The path of the latest checkpoint in `directory`: `directory` itself when it holds a
    /// manifest, else its `epoch-NNNN` folder with the highest epoch.
    /// - Throws: `TesselError.system` when `directory` cannot be read or holds no checkpoint.
    public static func latest(in directory: String) throws -> String {
        if access(join(directory, manifestName), F_OK) == 0 { return directory }
        guard let last = try epochFolders(in: directory).max(by: { $0.epoch < $1.epoch }) else {
            throw TesselError.system(operation: "find a checkpoint in '\(directory)'", reason: "no checkpoint there (no \(manifestName), no epoch-NNNN folder)")
        }
        return join(directory, last.name)
    }

    /// Reads the checkpoint folder `folder` into `network` (parameters, running statistics,
    /// step count) and returns the optimizer that continues it, and the manifest.
    /// - Parameters:
    ///   - settings: the update rule and hyperparameters of the continued run; the rule must
    ///     be the checkpoint's. The learning rate is the checkpoint's.
    ///   - fingerprint: when given, the config hash the checkpoint must have been made with.
    /// - Throws: `TesselError.system` when a file cannot be read; `TesselError.configuration`
    ///   (source: the manifest) when the manifest is malformed, was made from another config
    ///   or with another update rule or element type, or its parameters are not the network's
    ///   (names and shapes); `TesselError.npy` for a bad tensor file.
    public static func restore<T>(from folder: String, into network: inout Network<T>, settings: OptimizerSettings,
                                  fingerprint: String? = nil) throws -> (optimizer: Optimizer<T>, manifest: Manifest) {
        let manifestPath = join(folder, manifestName)
        let manifest = try readManifest(from: folder)
        func mismatch(_ key: String, _ reason: String) -> TesselError {
            .configuration(source: manifestPath, key: key, reason: reason)
        }
        if let fingerprint, manifest.fingerprint != fingerprint {
            throw mismatch("fingerprint", "the checkpoint was made from another version of the config (\(manifest.fingerprint), now \(fingerprint))")
        }
        guard manifest.optimizer == settings.rule.rawValue else {
            throw mismatch("optimizer", "the checkpoint was made with '\(manifest.optimizer)', the config asks for '\(settings.rule.rawValue)'")
        }
        guard manifest.dtype == T.dtype.rawValue else {
            throw mismatch("dtype", "the checkpoint holds \(manifest.dtype), the network computes in \(T.dtype.rawValue)")
        }
        var restored = network
        try readState(of: manifest, in: folder, into: &restored)
        var states: [String: ParameterState<T>] = [:]
        for entry in manifest.parameters {
            var slots: [String: Tensor<T>] = [:]
            for slot in settings.rule.slotNames { slots[slot] = try readTensor("\(entry.name).\(slot)", in: folder, shape: entry.shape) }
            states[entry.name] = ParameterState(step: entry.updates, slots: slots)
        }
        let optimizer: Optimizer<T>
        do {
            optimizer = try Optimizer(settings: settings, learningRate: manifest.learningRate, states: states)
        } catch let TesselError.invalidParameter(_, parameter, value, reason) {
            throw mismatch(parameter, "\(value): \(reason)")
        }
        network = restored
        return (optimizer, manifest)
    }

    // MARK: - Folders

    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// Creates `path` and any missing folders above it (as `mkdir -p`).
    static func makeFolder(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            guard mkdir(prefix, 0o777) == 0 || errno == EEXIST else {
                throw TesselError.fromErrno("create folder '\(prefix)'")
            }
            prefix += "/"
        }
    }

    /// The `epoch-NNNN` folders in `directory`, with their epochs.
    static func epochFolders(in directory: String) throws -> [(name: String, epoch: Int)] {
        guard let stream = opendir(directory) else { throw TesselError.fromErrno("read folder '\(directory)'") }
        defer { closedir(stream) }
        var folders: [(String, Int)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix("epoch-"), let epoch = Int(name.dropFirst("epoch-".count)) { folders.append((name, epoch)) }
        }
        return folders
    }

    /// Removes the folder `path` with everything in it (best effort: a checkpoint that cannot
    /// be removed only costs disk space).
    static func removeFolder(_ path: String) {
        if let stream = opendir(path) {
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard name != "." && name != ".." else { continue }
                let child = join(path, name)
                if unlink(child) != 0 && errno == EISDIR { removeFolder(child) }
            }
            closedir(stream)
        }
        rmdir(path)
    }
}
