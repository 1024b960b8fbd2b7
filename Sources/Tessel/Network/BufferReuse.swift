#if canImport(Glibc)
import Glibc
#endif

/// Makes the tensors of one training step reuse the memory of the previous step's.
///
/// Every layer returns new tensors, so a step allocates its activations and gradients afresh.
/// By default glibc serves blocks of 32 MiB and more (and, after a free, smaller ones above a
/// moving threshold) with a fresh `mmap` and returns them with `munmap`: each step then
/// page-faults through every large buffer again (the default config's step touched about
/// 100,000 new pages). `enable()` tells glibc to serve every block from its heap and not to
/// give freed memory back, so that after the first step each buffer of a given batch shape
/// is carved out of memory the previous step freed, already mapped: in effect the buffers
/// are allocated once per batch shape and reused. The cost is that the process keeps its
/// peak heap size until it exits.
///
/// It changes the whole process's `malloc`, so it is the caller's choice: `tessel run` and
/// `tessel train` call it. Blocks under a NUMA policy are mappings of their own and not
/// affected.
public enum BufferReuse {
    /// Applies the heap settings (idempotent). Returns false when the C library refused them.
    @discardableResult
    public static func enable() -> Bool {
        // <malloc.h> is not part of Swift's Glibc module: look `mallopt` up by name, with the
        // values of its constants there (M_TRIM_THRESHOLD -1, M_MMAP_MAX -4).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let mmapMax: Int32 = -4, trimThreshold: Int32 = -1
        // No block gets a mapping of its own; the top of the heap is never given back.
        return mallopt(mmapMax, 0) == 1 && mallopt(trimThreshold, Int32.max) == 1
    }

    /// Minor page faults of this process so far (`getrusage`): how many pages were touched
    /// for the first time. A steady step that reuses its buffers adds few.
    public static var minorPageFaults: Int {
        var usage = rusage()
        return getrusage(RUSAGE_SELF.rawValue, &usage) == 0 ? usage.ru_minflt : 0
    }

    /// This process's resident set in bytes now (the second field of `/proc/self/statm`, the
    /// same count as `VmRSS` in `/proc/self/status`), or 0 where it cannot be read. With
    /// buffers reused, it stays flat from one step to the next.
    public static var residentBytes: Int {
        guard let bytes = try? FileBytes.read(from: "/proc/self/statm") else { return 0 }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Allocator.pageSize
    }
}
