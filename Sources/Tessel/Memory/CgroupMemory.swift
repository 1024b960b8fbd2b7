/// The memory limit the kernel enforces on this process's control group (cgroup): what a
/// container's `--memory` sets, and what ends a process by the OOM killer (SIGKILL) when its
/// group's memory use reaches it.
///
/// The process's groups come from `/proc/self/cgroup`, the hierarchies' mount points from
/// `/proc/self/mountinfo`. A limit applies to a group and to everything below it, so the
/// limit of the process is the lowest one on the path from its group up to the root of the
/// hierarchy: `memory.max` in cgroup v2 (`max` means none), `memory.limit_in_bytes` in the
/// v1 memory controller (a value near `Int.max` means none). With both mounted (a hybrid
/// system), the lower applies.
enum CgroupMemory {
    /// A limit and the file it was read from.
    struct Limit: Equatable {
        var bytes: Int
        var file: String
    }

    /// The limit of this process, or nil when no group on its path sets one (or the files
    /// cannot be read).
    static func current() -> Limit? {
        func text(_ path: String) -> String? {
            (try? FileBytes.read(from: path)).map { String(decoding: $0, as: UTF8.self) }
        }
        guard let groups = text("/proc/self/cgroup"), let mounts = text("/proc/self/mountinfo") else { return nil }
        return limit(groups: groups, mounts: mounts, read: text)
    }

    /// The lowest limit on the paths that `groups` (the text of `/proc/<pid>/cgroup`) and
    /// `mounts` (of `/proc/<pid>/mountinfo`) give, reading each limit file with `read`.
    static func limit(groups: String, mounts: String, read: (String) -> String?) -> Limit? {
        var lowest: Limit? = nil
        for hierarchy in hierarchies(groups: groups, mounts: mounts) {
            var folder = hierarchy.folder
            while true {
                if let text = read(folder + "/" + hierarchy.file), let bytes = Int(text.filter { !$0.isWhitespace }),
                   bytes < Int.max / 2, bytes < lowest?.bytes ?? Int.max {
                    lowest = Limit(bytes: max(0, bytes), file: folder + "/" + hierarchy.file)
                }
                guard folder.count > hierarchy.mountPoint.count, let slash = folder.lastIndex(of: "/") else { break }
                folder = String(folder[..<slash])
            }
        }
        return lowest
    }

    /// For each memory hierarchy the process is in: its mount point, the folder of the
    /// process's group below it, and the name of the limit file.
    private static func hierarchies(groups: String, mounts: String) -> [(mountPoint: String, folder: String, file: String)] {
        var found: [(String, String, String)] = []
        for line in groups.split(separator: "\n") {
            // `hierarchy-ID:controllers:path`; v2 has the ID 0 and no controllers.
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let isVersion2 = fields[0] == "0" && fields[1].isEmpty
            guard isVersion2 || fields[1].split(separator: ",").contains("memory") else { continue }
            for mount in mountPoints(mounts, version2: isVersion2) {
                let path = String(fields[2])
                // In a cgroup namespace, or with the hierarchy mounted from a group below its
                // root, the mount's root is a prefix of the path (or the path is `/` already).
                let relative = mount.root == "/" ? path
                    : path.hasPrefix(mount.root) ? String(path.dropFirst(mount.root.count)) : "/"
                let trimmed = relative.hasSuffix("/") ? String(relative.dropLast()) : relative
                found.append((mount.point, mount.point + trimmed, isVersion2 ? "memory.max" : "memory.limit_in_bytes"))
            }
        }
        return found
    }

    /// The mounts of cgroup v2 (`version2`) or of the v1 memory controller in `mounts`, the
    /// text of `/proc/self/mountinfo`: `ID parent major:minor root point options … - type source super-options`.
    private static func mountPoints(_ mounts: String, version2: Bool) -> [(root: String, point: String)] {
        mounts.split(separator: "\n").compactMap { line in
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2 else { return nil }
            let fields = halves[0].split(separator: " "), tail = halves[1].split(separator: " ")
            guard fields.count >= 5, tail.count >= 1 else { return nil }
            if version2 {
                guard tail[0] == "cgroup2" else { return nil }
            } else {
                guard tail[0] == "cgroup", tail.count >= 3, tail[2].split(separator: ",").contains("memory") else { return nil }
            }
            return (String(fields[3]), String(fields[4]))
        }
    }
}
