#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader sees either the old contents or the new, never a mix:
/// the bytes go to a new temporary file in the target's folder, are flushed to disk, and the
/// temporary file is then renamed over the target (a rename within one folder is atomic).
public enum AtomicFile {
    /// Replaces (or creates) the file at `path` with `bytes`, atomically.
    ///
    /// The temporary file is `.<name>.tmp-<random>` beside the target, created exclusively
    /// (`O_CREAT | O_EXCL`, permissions 0666 less the umask, which the new file keeps: those of a
    /// replaced file are not carried over). On any failure it is removed and the target is left
    /// as it was.
    /// - Throws: `TesselError.system` naming `path` when the folder does not exist or is not
    ///   writable, when writing or flushing fails (e.g. a full disk), or when the rename fails
    ///   (e.g. `path` is a folder).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let operation = "write '\(path)'"
        guard !path.isEmpty, path.last != "/" else {
            throw TesselError.system(operation: operation, reason: "the path does not name a file")
        }
        let folder = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
        let name = String(path.dropFirst(folder.count))
        let (descriptor, temporary) = try createTemporary(folder: folder, name: name, operation: operation)
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            try writeAll(bytes, to: descriptor, operation: operation)
            guard fsync(descriptor) == 0 else { throw TesselError.fromErrno(operation + " (flushing '\(temporary)')") }
        } catch {
            close(descriptor)
            throw error
        }
        guard close(descriptor) == 0 else { throw TesselError.fromErrno(operation + " (closing '\(temporary)')") }
        guard rename(temporary, path) == 0 else { throw TesselError.fromErrno(operation + " (renaming '\(temporary)')") }
        renamed = true
        syncFolder(folder.isEmpty ? "." : folder)
    }

    /// Creates a new, empty temporary file `folder/.name.tmp-<random>`; retries when the
    /// random name is taken.
    private static func createTemporary(folder: String, name: String, operation: String) throws -> (Int32, String) {
        while true {
            let temporary = folder + "." + name + ".tmp-" + String(UInt64.random(in: .min ... .max), radix: 36)
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 { return (descriptor, temporary) }
            if errno != EEXIST && errno != EINTR {
                throw TesselError.fromErrno(operation + " (creating '\(temporary)')")
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
                    throw TesselError.fromErrno(operation)
                }
                written += count
            }
        }
    }

    /// Flushes the folder entry of the rename to disk. Best effort: the new file is already in
    /// place and complete, and some file systems refuse to sync a folder, so a failure here
    /// must not turn a successful write into an error.
    private static func syncFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}
