#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader sees either the old contents or the new, never a mix:
/// the bytes go to a new temporary file in the target's folder, are flushed to disk, and the
/// temporary file is then renamed over the target (a rename within one folder is atomic).
///
/// A process killed mid-write (SIGINT, SIGTERM, SIGKILL, a crash) leaves the target untouched
/// and, at worst, its temporary file: `.<name>.tmp-<pid>-<random>`, which no reader takes for a
/// result and which the next write of the same target removes once process `pid` is gone.
package enum AtomicFile {
    /// Replaces (or creates) the file at `path` with `bytes`, atomically.
    ///
    /// The temporary file is `.<name>.tmp-<pid>-<random>` beside the target, created
    /// exclusively (`O_CREAT | O_EXCL`, permissions 0666 less the umask, which the new file
    /// keeps: those of a replaced file are not carried over). On any failure it is removed and
    /// the target is left as it was. After the rename, the temporary files of the same target
    /// that killed processes left in the folder are removed.
    /// - Throws: `SystemCallError` naming `path` when the folder does not exist or is not
    ///   writable, when writing or flushing fails (e.g. a full disk), or when the rename fails
    ///   (e.g. `path` is a folder).
    package static func write(_ bytes: [UInt8], to path: String) throws {
        try write([(path: path, bytes: bytes)])
    }

    /// Replaces (or creates) several files, each as `write(_:to:)` does, so that a failure
    /// while writing leaves all of them as they were: every file is written and flushed under
    /// its temporary name first, and only then are they renamed into place, one after the
    /// other. A process killed between two of those renames (a window of microseconds) leaves
    /// some files new and the rest old, each of them whole.
    /// - Throws: as `write(_:to:)`, naming the file that failed; a failed rename leaves the
    ///   files renamed before it replaced.
    package static func write(_ files: [(path: String, bytes: [UInt8])]) throws {
        let targets = try files.map { try split($0.path) }
        var temporaries: [String] = []
        var renamed = 0
        defer { for temporary in temporaries[renamed...] { unlink(temporary) } }
        for (file, (folder, name)) in zip(files, targets) {
            let operation = "write '\(file.path)'"
            let (descriptor, temporary) = try createTemporary(folder: folder, name: name, operation: operation)
            temporaries.append(temporary)
            do {
                try writeAll(file.bytes, to: descriptor, operation: operation)
                guard fsync(descriptor) == 0 else { throw SystemCallError.fromErrno(operation + " (flushing '\(temporary)')") }
            } catch {
                close(descriptor)
                throw error
            }
            guard close(descriptor) == 0 else { throw SystemCallError.fromErrno(operation + " (closing '\(temporary)')") }
        }
        for (file, temporary) in zip(files, temporaries) {
            guard rename(temporary, file.path) == 0 else { throw SystemCallError.fromErrno("write '\(file.path)' (renaming '\(temporary)')") }
            renamed += 1
        }
        var synced: Set<String> = []
        for (folder, name) in targets {
            if synced.insert(folder).inserted { syncFolder(folder.isEmpty ? "." : folder) }
            for stray in TemporaryName.strays(in: folder, where: { $0 == name }) { unlink(folder + stray) }
        }
    }

    /// The folder (with its trailing `/`, or empty) and the file name of `path`.
    private static func split(_ path: String) throws -> (folder: String, name: String) {
        guard !path.isEmpty, path.last != "/" else {
            throw SystemCallError(operation: "write '\(path)'", reason: "the path does not name a file")
        }
        let folder = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
        return (folder, String(path.dropFirst(folder.count)))
    }

    /// Creates a new, empty temporary file `folder/.name.tmp-<pid>-<random>`; retries when
    /// the random name is taken.
    private static func createTemporary(folder: String, name: String, operation: String) throws -> (Int32, String) {
        while true {
            let temporary = folder + TemporaryName.make(for: name)
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 { return (descriptor, temporary) }
            if errno != EEXIST && errno != EINTR {
                throw SystemCallError.fromErrno(operation + " (creating '\(temporary)')")
            }
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, operation: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw SystemCallError.fromErrno(operation)
                }
                written += count
            }
        }
    }

    /// Flushes the folder entry of the rename to disk. Best effort: the new file is already in
    /// place and complete, and some file systems refuse to sync a folder, so a failure here
    /// must not turn a successful write into an error.
    package static func syncFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}
