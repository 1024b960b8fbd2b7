import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the allocator does when a block asked to be pinned (locked in memory with `mlock`)
/// cannot be: the memlock limit (`ulimit -l`, `RLIMIT_MEMLOCK`) is too small, or the kernel
/// refuses.
public enum PinningBehaviour: Sendable, Equatable {
    /// Throw `TesselError.system` naming the size and the limit; nothing is allocated.
    case throwError
    /// Write a warning to standard error and return the block unpinned (`isPinned == false`).
    case warnAndContinue
}

/// Locking blocks in memory, within the soft `RLIMIT_MEMLOCK`.
///
/// Tessel keeps the bytes it has pinned within the soft limit itself, also in a privileged
/// process: the kernel lets a process with `CAP_IPC_LOCK` (root) lock past the limit, and
/// honouring the limit anyway makes a pinned workload behave the same for root and for a
/// user, and keeps the limit an administrator's lever.
enum Pinning {
    /// Bytes currently locked by Tessel blocks.
    static let pinnedBytes = Atomic<Int>(0)

    /// The soft memlock limit in bytes, nil when unlimited.
    static func limit() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(__RLIMIT_MEMLOCK.rawValue), &limit) == 0 else { return nil }
        // RLIM_INFINITY is all ones (its macro does not import: it is written as -1).
        return limit.rlim_cur == rlim_t.max ? nil : Int(clamping: limit.rlim_cur)
    }

    /// Locks `[address, address + length)` (page aligned) in memory.
    /// - Returns: nil on success, else why it could not be done.
    static func pin(_ address: UnsafeMutableRawPointer, length: Int) -> String? {
        let total = pinnedBytes.wrappingAdd(length, ordering: .relaxed).newValue
        if let limit = limit(), total > limit {
            pinnedBytes.wrappingSubtract(length, ordering: .relaxed)
            return "the memlock limit (RLIMIT_MEMLOCK, ulimit -l) is \(limit) bytes and Tessel would hold \(total) "
                + "bytes pinned; raise it (ulimit -l, /etc/security/limits.conf, LimitMEMLOCK= in systemd)"
        }
        guard mlock(address, length) == 0 else {
            let reason = String(cString: strerror(errno))
            pinnedBytes.wrappingSubtract(length, ordering: .relaxed)
            return "mlock: \(reason)"
        }
        return nil
    }

    /// Forgets a pinned range that is about to be unmapped (which unlocks it).
    static func forget(length: Int) {
        pinnedBytes.wrappingSubtract(length, ordering: .relaxed)
    }

    /// Writes `message` as a warning on standard error.
    static func warn(_ message: String) {
        let line = "tessel: warning: \(message)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
    }
}
