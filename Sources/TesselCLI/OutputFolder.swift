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
}
