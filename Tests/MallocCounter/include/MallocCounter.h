// Counts heap allocations made by one thread, for the steady-state allocation test.
//
// The test binary defines malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign;
// each forwards to glibc's own (__libc_*) and, while the calling thread is counting, adds
// one to that thread's count. Defining the symbols in the executable interposes them for every
// shared library too (the Swift runtime, Dispatch), so Swift object and array allocations are
// seen. Thread-local counts keep tests that run in parallel out of each other's numbers.
#ifndef TESSEL_MALLOC_COUNTER_H
#define TESSEL_MALLOC_COUNTER_H

#include <stdint.h>

/// 1 when allocations are counted; 0 under a sanitizer, whose runtime owns these symbols.
int tessel_malloc_counter_available(void);

/// Starts counting this thread's allocations from zero.
void tessel_malloc_counter_start(void);

/// Stops counting and returns how many allocations this thread made since the start.
uint64_t tessel_malloc_counter_stop(void);

#endif
