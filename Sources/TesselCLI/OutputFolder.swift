import Tessel
#if canImport(Glibc)
import Glibc
#endif

/// Creating the folder a command writes its results to.
enum OutputFolder {
    /// Creates `path` and its missing parents (like `mkdir -p`).
    /// - Throws: `TesselError.system` naming the folder when it cannot be created or is not a folder.
    static func create(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw TesselError.system(operation: "creating folder \(prefix)", reason: String(cString: strerror(errno)))
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw TesselError.system(operation: "creating folder \(path)", reason: "exists and is not a folder")
        }
    }

    /// Checks, creating nothing, that `create(path)` can succeed and the folder take files:
    /// the nearest existing folder on the path must be a writable folder. Commands that work
    /// for minutes call this first, so that a bad `--out` fails before the work, not after.
    /// - Throws: `TesselError.system` naming the folder and the reason.
    static func checkWritable(_ path: String) throws {
        let operation = "writing to folder \(path)"
        var existing = path.isEmpty ? "." : path
        var info = stat()
        while stat(existing, &info) != 0 {
            guard errno == ENOENT else { throw TesselError.system(operation: operation, reason: "\(existing): \(String(cString: strerror(errno)))") }
            let trimmed = existing.hasSuffix("/") && existing.count > 1 ? String(existing.dropLast()) : existing
            guard let slash = trimmed.lastIndex(of: "/") else {
                existing = "."
                continue
            }
            existing = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw TesselError.system(operation: operation, reason: "\(existing) exists and is not a folder")
        }
        guard access(existing, W_OK | X_OK) == 0 else {
            throw TesselError.system(operation: operation, reason: "\(existing): \(String(cString: strerror(errno)))")
        }
    }

    /// Checks, creating nothing, that the file `path` can be written atomically: its folder
    /// exists and takes files (`AtomicFile` creates no folder), and `path` is not a folder.
    /// - Throws: `TesselError.system` naming the file and the reason.
    static func checkWritable(file path: String) throws {
        let operation = "write '\(path)'"
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw TesselError.system(operation: operation, reason: "it is a folder")
        }
        let folder = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "."
        guard stat(folder, &info) == 0 else {
            throw TesselError.system(operation: operation, reason: "\(folder): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw TesselError.system(operation: operation, reason: "\(folder) is not a folder")
        }
        guard access(folder, W_OK | X_OK) == 0 else {
            throw TesselError.system(operation: operation, reason: "\(folder): \(String(cString: strerror(errno)))")
        }
    }
}
