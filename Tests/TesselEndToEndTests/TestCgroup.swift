import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A memory cgroup of its own for a child process, with a limit, made by the test as root:
/// under the root of a cgroup v2 hierarchy that delegates the memory controller, else below
/// this process's group in the v1 memory hierarchy. Removed by `remove()` once its processes
/// have ended.
struct TestCgroup {
    /// The group's folder.
    let folder: String
    /// The file that moves a process into the group when its id is written there.
    var processes: String { folder + "/cgroup.procs" }
    /// The limit file (`memory.max` or `memory.limit_in_bytes`).
    let limitFile: String

    /// Why no group can be made here, or nil when one can (checked once, by making one).
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "making a cgroup needs root" }
        if dlsym(nil, "__asan_init") != nil {
            return "under AddressSanitizer the child's shadow memory is not counted by Tessel's budget"
        }
        do {
            try TestCgroup(limit: 64 << 20).remove()
            return nil
        } catch {
            return "no writable memory cgroup here: \(error)"
        }
    }()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Makes a new group limited to `limit` bytes.
    init(limit: Int) throws {
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        let groups = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        let name = "tessel-test-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        var candidates: [(folder: String, file: String)] = []
        for line in mounts.split(separator: "\n") {
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2 else { continue }
            let fields = halves[0].split(separator: " "), tail = halves[1].split(separator: " ")
            guard fields.count >= 5, tail.count >= 3 else { continue }
            let point = String(fields[4])
            if tail[0] == "cgroup2", fields[3] == "/",
               let delegated = try? String(contentsOfFile: point + "/cgroup.subtree_control", encoding: .utf8),
               delegated.split(whereSeparator: \.isWhitespace).contains("memory") {
                candidates.insert((point + "/" + name, "memory.max"), at: 0)
            } else if tail[0] == "cgroup", tail[2].split(separator: ",").contains("memory"), fields[3] == "/",
                      let own = groups.split(separator: "\n").first(where: { $0.split(separator: ":", maxSplits: 2).dropFirst().first?
                          .split(separator: ",").contains("memory") ?? false }) {
                let path = String(own.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)[2])
                candidates.append((point + (path == "/" ? "" : path) + "/" + name, "memory.limit_in_bytes"))
            }
        }
        for (folder, file) in candidates {
            guard mkdir(folder, 0o755) == 0 else { continue }
            guard (try? "\(limit)".write(toFile: folder + "/" + file, atomically: false, encoding: .utf8)) != nil else {
                rmdir(folder)
                continue
            }
            self.folder = folder
            limitFile = folder + "/" + file
            return
        }
        throw Failure(description: candidates.isEmpty ? "no cgroup hierarchy with the memory controller is mounted"
                      : "could not make a group with a memory limit in \(candidates.map(\.folder))")
    }

    /// How many processes of the group the kernel's OOM killer ended (0 where it does not say).
    var oomKills: Int {
        for file in ["memory.events", "memory.oom_control"] {
            guard let text = try? String(contentsOfFile: folder + "/" + file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("oom_kill ") {
                return Int(line.dropFirst("oom_kill ".count)) ?? 0
            }
        }
        return 0
    }

    /// Removes the group (its processes must have ended).
    func remove() throws {
        guard rmdir(folder) == 0 else { throw Failure(description: "rmdir \(folder): \(String(cString: strerror(errno)))") }
    }
}
