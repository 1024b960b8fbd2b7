/// Moves the calling thread onto the CPUs of one NUMA node after another, and puts it back
/// on the CPUs it had before.
///
/// The thread's original affinity is read on the first `bind` (no system call before that),
/// a `bind` to the part it is already on costs nothing, and each node's CPUs are
/// intersected with the original affinity, so a thread never leaves the CPUs its process
/// may use. Binding is a performance hint: results never depend on it, so a refusal by the
/// kernel leaves the thread where it is. Never allocates, so it may run between tiles.
struct ThreadBinding {
    private var original = CPUSet()
    private var hasOriginal = false
    /// The part the thread is bound to, -1 when it is on its original CPUs.
    private(set) var boundPart = -1

    /// Binds the calling thread to `cpus` (those it was allowed to run on) as part `part`
    /// (≥ 0). Where none of `cpus` is allowed, the thread stays on its original CPUs.
    mutating func bind(part: Int, cpus: CPUSet) {
        guard part != boundPart else { return }
        if !hasOriginal {
            original = CPUSet.currentThread()
            hasOriginal = true
        }
        let allowed = cpus.intersection(original)
        try? CPUSet.bindCurrentThread(to: allowed.count > 0 ? allowed : original)
        boundPart = part
    }

    /// Puts the calling thread back on its original CPUs (nothing to do when never bound).
    mutating func restore() {
        guard boundPart >= 0 else { return }
        try? CPUSet.bindCurrentThread(to: original)
        boundPart = -1
    }
}
