// Tessel's view of libnuma (Debian: libnuma-dev).
#include <numa.h>
#include <numaif.h>
#include <sched.h>

// Swift's Glibc module is built without _GNU_SOURCE, so glibc's CPU_* macros and
// sched_{get,set}affinity are not visible from Swift. These wrappers use the
// always-defined __CPU_*_S forms, and libnuma's affinity calls with a bitmask that
// points at a stack cpu_set_t (no heap allocation, so they may run inside a tile).

/// Empties `set`.
static inline void tessel_cpu_zero(cpu_set_t *set) {
    __CPU_ZERO_S(sizeof(cpu_set_t), set);
}

/// Adds CPU `cpu` (0 ..< CPU_SETSIZE) to `set`.
static inline void tessel_cpu_add(int cpu, cpu_set_t *set) {
    __CPU_SET_S(cpu, sizeof(cpu_set_t), set);
}

/// 1 when CPU `cpu` is in `set`, else 0.
static inline int tessel_cpu_contains(int cpu, const cpu_set_t *set) {
    return __CPU_ISSET_S(cpu, sizeof(cpu_set_t), set) ? 1 : 0;
}

/// The number of CPUs in `set`.
static inline int tessel_cpu_count(const cpu_set_t *set) {
    return __CPU_COUNT_S(sizeof(cpu_set_t), set);
}

/// Reads the calling thread's CPU affinity into `set`. Returns a negative value on failure (errno set).
static inline int tessel_get_thread_affinity(cpu_set_t *set) {
    struct bitmask mask = { sizeof(cpu_set_t) * 8, (unsigned long *)set->__bits };
    return numa_sched_getaffinity(0, &mask);
}

/// Restricts the calling thread to the CPUs of `set`. Returns a negative value on failure (errno set).
static inline int tessel_set_thread_affinity(const cpu_set_t *set) {
    struct bitmask mask = { sizeof(cpu_set_t) * 8, (unsigned long *)set->__bits };
    return numa_sched_setaffinity(0, &mask);
}
