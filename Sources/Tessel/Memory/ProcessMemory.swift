#if canImport(Glibc)
import Glibc
#endif

/// What this process's memory use looks like to the kernel: first-touch page faults and the
/// resident set, as `tessel run` reports them per step.
public enum ProcessMemory {
    /// Minor page faults of this process so far (`getrusage`): how many pages were touched
    /// for the first time. A steady step that reuses its buffers (`BlockCache`) adds few.
    public static var minorPageFaults: Int {
        var usage = rusage()
        return getrusage(RUSAGE_SELF.rawValue, &usage) == 0 ? usage.ru_minflt : 0
    }

    /// This process's resident set in bytes now (the second field of `/proc/self/statm`, the
    /// same count as `VmRSS` in `/proc/self/status`), or 0 where it cannot be read.
    public static var residentBytes: Int {
        guard let bytes = try? FileBytes.read(from: "/proc/self/statm") else { return 0 }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Allocator.pageSize
    }

    /// The largest resident set this process has had, in bytes (`getrusage`'s `ru_maxrss`,
    /// what `/usr/bin/time -f %M` reports), or 0 where it cannot be read.
    public static var peakResidentBytes: Int {
        var usage = rusage()
        return getrusage(RUSAGE_SELF.rawValue, &usage) == 0 ? usage.ru_maxrss * 1024 : 0
    }
}
