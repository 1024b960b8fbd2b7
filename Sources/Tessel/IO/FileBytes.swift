#if canImport(Glibc)
import Glibc
#endif

/// Reads whole files into memory.
public enum FileBytes {
    /// The contents of the file at `path`. Reads until the end of the file, so a file that
    /// grows while it is read, or one whose size the system does not report, is read whole.
    /// - Throws: `TesselError.system` naming the path when the file cannot be opened or read.
    public static func read(from path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TesselError.fromErrno("read '\(path)'") }
        defer { close(descriptor) }
        var information = stat()
        let sizeHint = fstat(descriptor, &information) == 0 ? max(0, Int(information.st_size)) : 0
        // One byte beyond the reported size, so that reaching the end needs no second buffer.
        var bytes = [UInt8](repeating: 0, count: sizeHint + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 1 << 16))) }
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw TesselError.fromErrno("read '\(path)'")
            }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }
}
