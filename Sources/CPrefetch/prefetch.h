// Cache prefetch hints for the GEMM (Swift has no prefetch builtin; these static inline
// functions are inlined into the Swift callers, one instruction each).
#ifndef TESSEL_PREFETCH_H
#define TESSEL_PREFETCH_H

/// Hints that the cache line at `address` will be read soon (prefetcht0: into every level).
static inline void tessel_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// Hints that the cache line at `address` will be written soon (prefetchw).
static inline void tessel_prefetch_for_write(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif
