#if canImport(Glibc)
import Glibc
#endif
import TesselSystem

/// The comparison of two `.npy` files, or of two folders (`tessel diff A B`): the dump folders
/// of `tessel run --dump`, checkpoint folders of `tessel train`, trace folders of `--trace`.
///
/// Folders are compared file by file, through their subfolders, by relative path: a file on one
/// side only is `onlyInA` or `onlyInB`; a file whose name ends in `.npy` is read as an array and
/// compared by type, shape and bits (`DiffEntry.init(name:a:b:)`); any other file (such as
/// `manifest.json`) byte for byte. The temporary files of interrupted atomic writes
/// (`.<name>.tmp-<pid>-<random>`) are not results and are skipped. Entries are in the byte
/// order of their paths, as `ls` lists them in the C locale: the order of a trace's
/// numbered files (`NetworkTrace`), so `firstDifference` there is the first tensor of a step
/// where two runs part.
public struct DiffReport: Sendable, Codable, Equatable {
    /// The first path compared.
    public var a: String
    /// The second path compared.
    public var b: String
    /// Whether `a` and `b` are folders (else two files, and `entries` holds one entry).
    public var comparesFolders: Bool
    /// Every file compared, in the byte order of their relative paths.
    public var entries: [DiffEntry]

    /// Whether every entry is identical (two empty folders are).
    public var isIdentical: Bool { entries.allSatisfy(\.isIdentical) }

    /// The first entry, in path order, that is not identical.
    public var firstDifference: DiffEntry? { entries.first { !$0.isIdentical } }

    /// Compares the files or folders `a` and `b`.
    /// - Throws: `TesselError.system` naming the path when a path does not exist or a file or
    ///   folder cannot be read, or an entry is neither a file nor a folder;
    ///   `TesselError.invalidParameter` (layer `diff`) when one path is a file and the other a
    ///   folder; `TesselError.npy` naming the file when a compared `.npy` file (either of two
    ///   files, or a `*.npy` inside the folders) is not a valid `.npy` array.
    public init(comparing a: String, _ b: String) throws {
        self.a = a
        self.b = b
        switch (try Self.kind(of: a), try Self.kind(of: b)) {
        case (.file, .file):
            comparesFolders = false
            entries = [DiffEntry(name: a, a: try NPY.read(from: a), b: try NPY.read(from: b))]
        case (.folder, .folder):
            comparesFolders = true
            entries = try Self.compareFolders(a, b)
        case (.folder, .file):
            throw TesselError.invalidParameter(component: "diff", parameter: "B", value: "'\(b)'",
                                               reason: "it is a file and A ('\(a)') is a folder: give two .npy files or two folders")
        case (.file, .folder):
            throw TesselError.invalidParameter(component: "diff", parameter: "B", value: "'\(b)'",
                                               reason: "it is a folder and A ('\(a)') is a file: give two .npy files or two folders")
        }
    }

    private enum Kind { case file, folder }

    /// Whether `path` is a regular file or a folder, following symbolic links.
    private static func kind(of path: String) throws -> Kind {
        var information = stat()
        guard stat(path, &information) == 0 else { throw TesselError.fromErrno("read '\(path)'") }
        switch information.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        default: throw TesselError.system(operation: "read '\(path)'", reason: "it is neither a file nor a folder")
        }
    }

    private static func compareFolders(_ a: String, _ b: String) throws -> [DiffEntry] {
        let namesA = try files(under: a), namesB = try files(under: b)
        let inA = Set(namesA), inB = Set(namesB)
        let names = inA.union(inB).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return try names.map { name in
            guard inB.contains(name) else { return DiffEntry(name: name, onlyInA: true) }
            guard inA.contains(name) else { return DiffEntry(name: name, onlyInA: false) }
            let pathA = join(a, name), pathB = join(b, name)
            if name.hasSuffix(".npy") {
                return DiffEntry(name: name, a: try NPY.read(from: pathA), b: try NPY.read(from: pathB))
            }
            return DiffEntry(name: name, bytesA: try FileBytes.read(from: pathA), bytesB: try FileBytes.read(from: pathB))
        }
    }

    /// The relative paths of the regular files under `folder`, through its subfolders (a
    /// folder reached twice through symbolic links is read once).
    private static func files(under folder: String) throws -> [String] {
        var found: [String] = []
        var visited: Set<[UInt64]> = []
        func walk(_ relative: String) throws {
            let path = relative.isEmpty ? folder : join(folder, relative)
            var information = stat()
            guard stat(path, &information) == 0 else { throw TesselError.fromErrno("read '\(path)'") }
            guard visited.insert([UInt64(information.st_dev), UInt64(information.st_ino)]).inserted else { return }
            guard let stream = opendir(path) else { throw TesselError.fromErrno("read folder '\(path)'") }
            defer { closedir(stream) }
            var names: [String] = []
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard name != ".", name != "..", TemporaryName.parse(name) == nil else { continue }
                names.append(name)
            }
            for name in names {
                let child = relative.isEmpty ? name : relative + "/" + name
                switch try kind(of: join(folder, child)) {
                case .file: found.append(child)
                case .folder: try walk(child)
                }
            }
        }
        try walk("")
        return found
    }

    private static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}
