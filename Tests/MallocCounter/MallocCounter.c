#include "MallocCounter.h"

#include <errno.h>
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define TESSEL_UNDER_SANITIZER 1
#endif
#endif

#ifdef TESSEL_UNDER_SANITIZER

int tessel_malloc_counter_available(void) { return 0; }
void tessel_malloc_counter_start(void) {}
uint64_t tessel_malloc_counter_stop(void) { return 0; }

#else

// glibc's allocator under its internal names (exported since GLIBC_2.2.5).
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

// Initial-exec TLS in the executable: reading it never allocates, so it is safe in malloc.
static _Thread_local int counting;
static _Thread_local uint64_t count;

static inline void note(void) {
    if (counting) count += 1;
}

int tessel_malloc_counter_available(void) { return 1; }

void tessel_malloc_counter_start(void) {
    count = 0;
    counting = 1;
}

uint64_t tessel_malloc_counter_stop(void) {
    counting = 0;
    return count;
}

void *malloc(size_t size) {
    note();
    return __libc_malloc(size);
}

void *calloc(size_t number, size_t size) {
    note();
    return __libc_calloc(number, size);
}

void *realloc(void *pointer, size_t size) {
    note();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    note();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    note();
    int saved = errno;  // posix_memalign reports failure by its result and leaves errno alone
    void *pointer = __libc_memalign(alignment, size);
    errno = saved;
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

#endif
