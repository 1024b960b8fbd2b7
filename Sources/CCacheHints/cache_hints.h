// Cache hints: prefetches for the GEMM and the losses, streaming (non-temporal) stores for
// memory-bound layers' large outputs. Swift has neither builtin; these static inline functions
// are inlined into the Swift callers, an instruction or two each.
#ifndef TESSEL_CACHE_HINTS_H
#define TESSEL_CACHE_HINTS_H

/// Hints that the cache line at `address` will be read soon (prefetcht0: into every level).
static inline void tessel_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// Hints that the cache line at `address` will be written soon (prefetchw).
static inline void tessel_prefetch_for_write(const void *address) { __builtin_prefetch(address, 1, 3); }

/// 16 lanes, imported into Swift as SIMD16<Float> and SIMD16<Double>.
typedef float tessel_float16 __attribute__((ext_vector_type(16)));
typedef double tessel_double16 __attribute__((ext_vector_type(16)));

/// Stores `value` at `address` (64-byte aligned) past the caches (non-temporal stores).
static inline void tessel_stream_float16(void *address, tessel_float16 value) {
    __builtin_nontemporal_store(value, (tessel_float16 *)address);
}

/// Stores `value` at `address` (64-byte aligned) past the caches (non-temporal stores).
static inline void tessel_stream_double16(void *address, tessel_double16 value) {
    __builtin_nontemporal_store(value, (tessel_double16 *)address);
}

/// Orders the streaming stores before it ahead of every later store (sfence).
static inline void tessel_store_fence(void) { __builtin_ia32_sfence(); }

#endif
