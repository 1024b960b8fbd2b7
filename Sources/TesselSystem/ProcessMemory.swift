#if canImport(Glibc)
import Glibc
#endif

/// What this process's memory use looks like to the kernel: first-touch page faults and the
/// resident set, as `tessel run` reports them per step.
package enum ProcessMemory {
    /// Minor page faults of this process so far (`getrusage`): how many pages were touched
    /// for the first time. A steady step that reuses its buffers (`BlockCache`) adds few.
    package static var minorPageFaults: Int {
        var usage = rusage()
        return getrusage(RUSAGE_SELF.rawValue, &usage) == 0 ? usage.ru_minflt : 0
    }

    /// This process's resident set in bytes now (the second field of `/proc/self/statm`, the
    /// same count as `VmRSS` in `/proc/self/status`), or 0 where it cannot be read.
    package static var residentBytes: Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
        let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * sysconf(Int32(_SC_PAGESIZE))
    }

    /// The largest resident set this process has had, in bytes (`getrusage`'s `ru_maxrss`,
    /// what `/usr/bin/time -f %M` reports), or 0 where it cannot be read.
    package static var peakResidentBytes: Int {
        var usage = rusage()
        return getrusage(RUSAGE_SELF.rawValue, &usage) == 0 ? usage.ru_maxrss * 1024 : 0
    }
}
