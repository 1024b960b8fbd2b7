import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted by the test (as root) on a fresh folder, for writers that meet a
/// full or read-only disk; unmounted and removed when released.
final class TestTmpfs {
    /// The mount point.
    let path: String

    /// Why no tmpfs can be mounted here, or nil when one can (checked once, by mounting one).
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "mounting a tmpfs needs root" }
        do {
            _ = try TestTmpfs(bytes: 1 << 20)
            return nil
        } catch {
            return "cannot mount a tmpfs here: \(error)"
        }
    }()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Mounts a tmpfs of `bytes` bytes, read-only when `readOnly`.
    init(bytes: Int, readOnly: Bool = false) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("tessel-tmpfs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        guard mount("tmpfs", path, "tmpfs", readOnly ? UInt(MS_RDONLY) : 0, "size=\(bytes),mode=0777") == 0 else {
            let reason = String(cString: strerror(errno))
            rmdir(path)
            throw Failure(description: "mount -t tmpfs: \(reason)")
        }
    }

    deinit {
        umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }

    /// The bytes still free.
    var freeBytes: Int {
        var info = statvfs()
        return statvfs(path, &info) == 0 ? Int(info.f_bavail) * Int(info.f_frsize) : 0
    }

    /// Fills the file system with a file `name` until `free` bytes (rounded down to whole
    /// pages) are left.
    func fill(leaving free: Int, name: String = "filler") throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = max(0, freeBytes - free / page * page)
        let descriptor = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "open filler: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 1, count: page)
        for _ in 0..<(size / page) {
            guard write(descriptor, chunk, page) == page else { throw Failure(description: "write filler: \(String(cString: strerror(errno)))") }
        }
    }

    /// The bytes a folder's files take on the file system (whole pages), recursively.
    static func diskBytes(of folder: String) -> Int {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var total = 0
        while let name = enumerator?.nextObject() as? String {
            var info = stat()
            if stat(folder + "/" + name, &info) == 0 { total += Int(info.st_blocks) * 512 }
        }
        return total
    }
}
