#if canImport(Glibc)
import Glibc
#endif

/// The names of the temporary files and folders that atomic writes create beside their
/// targets: `.<name>.tmp-<pid>-<random>`. The leading dot keeps them out of `ls` and of every
/// reader that looks for a result by its name; the process id says whose they are, so that a
/// later write can remove those left by a process that was killed before it could.
package enum TemporaryName {
    /// A new temporary name for `name`, owned by this process.
    package static func make(for name: String) -> String {
        "." + name + ".tmp-" + String(getpid()) + "-" + String(UInt64.random(in: .min ... .max), radix: 36)
    }

    /// The target name and owner process of `entry` when it is a temporary name (nil when not).
    package static func parse(_ entry: String) -> (name: String, owner: pid_t)? {
        guard entry.hasPrefix("."), let marker = entry.ranges(of: ".tmp-").last else { return nil }
        let tail = entry[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard tail.count == 2, !tail[1].isEmpty, let owner = pid_t(tail[0]), owner > 0,
              marker.lowerBound > entry.index(after: entry.startIndex) else { return nil }
        return (String(entry[entry.index(after: entry.startIndex)..<marker.lowerBound]), owner)
    }

    /// The entries of `folder` that are temporary names for a name accepted by `isTarget`
    /// and whose owner process no longer exists: left behind by a killed write. A process id
    /// that has been reused keeps its entries (they only cost disk space); one from another PID
    /// namespace or machine sharing the folder counts as gone, so writing into one folder
    /// from several containers or machines at once is not supported.
    package static func strays(in folder: String, where isTarget: (String) -> Bool) -> [String] {
        guard let stream = opendir(folder.isEmpty ? "." : folder) else { return [] }
        defer { closedir(stream) }
        var found: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let (target, owner) = parse(name), isTarget(target), owner != getpid(),
                  kill(owner, 0) != 0, errno == ESRCH else { continue }
            found.append(name)
        }
        return found
    }
}
