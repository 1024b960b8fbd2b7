#if canImport(Glibc)
import Glibc
#endif
import TesselSystem

/// Every tensor that flows between the layers in one training step, in the order the step
/// computes them: the input batch, each layer's forward output, the gradient of the loss with
/// respect to the scores, and each layer's backward output, the gradient with respect to its
/// input (dx), from the last layer back to the first.
///
/// `Network.step(…, tracing: true)` records one (`StepResult.trace`); `write(to:)` saves it as
/// numbered `.npy` files, so that `tessel diff` of two traces (`DiffReport`), which orders
/// files by name, names the first tensor where two runs part. For a network of L layers the
/// files are, with the numbers zero-padded to a common width (2 digits up to 49 layers):
///
///     00-input.npy                 the batch (N, input…)
///     01-<layer 0>.out.npy … L-<layer L-1>.out.npy          forward outputs
///     (L+1)-loss.dx.npy            d loss / d scores (N, classes)
///     (L+2)-<layer L-1>.dx.npy … (2L+1)-<layer 0>.dx.npy    d loss / d layer input
///
/// A sharded step's shards are stacked back into one tensor of the process's rows (a copy,
/// made only while tracing); under several ranks each rank's trace holds its own rows.
public struct NetworkTrace<T: TesselScalar>: Sendable {
    /// One recorded tensor and its name without number and extension (`conv0.out`).
    public struct Entry: Sendable {
        /// `input`, `<layer>.out`, `loss.dx` or `<layer>.dx`.
        public var name: String
        /// The tensor, batch first.
        public var tensor: Tensor<T>
    }

    /// The tensors in the order the step computed them.
    public private(set) var entries: [Entry] = []

    /// An empty trace.
    public init() {}

    /// Appends `name`'s tensor: the shards of the process's rows, stacked.
    /// - Throws: `TesselError.outOfMemory` when the stacked copy cannot be allocated.
    mutating func record(_ name: String, _ shards: [Tensor<T>]) throws {
        entries.append(Entry(name: name, tensor: try Tensor.concatenatingRows(shards)))
    }

    /// The file name of each entry, in order: `<number>-<name>.npy`.
    public var fileNames: [String] {
        let width = max(2, String(max(entries.count - 1, 0)).count)
        return entries.indices.map { index in
            let number = String(index)
            return String(repeating: "0", count: width - number.count) + number + "-" + entries[index].name + ".npy"
        }
    }

    /// Writes every entry as a `.npy` file into `folder` (created with any missing parent),
    /// all of them flushed under temporary names before any is renamed into place (see
    /// `AtomicFile`), then removes the files of an earlier trace in `folder` that this one
    /// does not replace (names of digits, `-`, anything, `.npy`), so the folder holds this
    /// trace alone. Returns the paths written.
    /// - Throws: `TesselError.system` naming the path when the folder or a file cannot be
    ///   created or written.
    @discardableResult
    public func write(to folder: String) throws -> [String] {
        try Checkpoint.makeFolder(folder)
        let paths = fileNames.map { Checkpoint.join(folder, $0) }
        let files = zip(paths, entries).map { (path: $0, bytes: NPY.encode($1.tensor)) }
        try TesselError.translatingSystemErrors { try AtomicFile.write(files) }
        let written = Set(fileNames)
        for stale in try Self.traceFiles(in: folder) where !written.contains(stale) {
            unlink(Checkpoint.join(folder, stale))
        }
        return paths
    }

    /// The names in `folder` that look like trace files: digits, `-`, anything, `.npy`.
    private static func traceFiles(in folder: String) throws -> [String] {
        guard let stream = opendir(folder) else { throw TesselError.fromErrno("read folder '\(folder)'") }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let number = name.prefix { $0.isASCII && $0.isNumber }
            if !number.isEmpty, name.dropFirst(number.count).hasPrefix("-"), name.hasSuffix(".npy") { names.append(name) }
        }
        return names
    }
}
