/*
 * Checked allocation. Every allocation in libdelta passes here, so failure
 * handling (recording DELTA_ENOMEM) and fault injection live in one place.
 * Injection state is process-wide and atomic so tests can drive threads too.
 */
#include "core/alloc.h"

#include "core/error.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown;  /* 0: off; else allocations until failure */
static atomic_long injected_failures;

void delta_alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n > 0 ? n : 0);
    atomic_store(&injected_failures, 0);
}

long delta_alloc_injected_failures(void)
{
    return atomic_load(&injected_failures);
}

/* True when this allocation must fail by injection. Once the countdown
 * reaches 1 it stays there, so every later allocation fails too. */
static int inject_failure(void)
{
    long n = atomic_load(&fail_countdown);
    while (n > 1) {
        if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
            return 0;
    }
    if (n == 1) {
        atomic_fetch_add(&injected_failures, 1);
        return 1;
    }
    return 0;
}

void *delta_malloc(size_t size)
{
    void *p = inject_failure() ? NULL : malloc(size ? size : 1);
    if (!p)
        delta_error_oom();
    return p;
}

void *delta_calloc(size_t count, size_t size)
{
    void *p = inject_failure() ? NULL : calloc(count ? count : 1, size ? size : 1);
    if (!p)
        delta_error_oom();
    return p;
}

void *delta_realloc(void *ptr, size_t size)
{
    void *p = inject_failure() ? NULL : realloc(ptr, size ? size : 1);
    if (!p)
        delta_error_oom();
    return p;
}

void *delta_reallocarray(void *ptr, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        delta_error_oom();
        return NULL;
    }
    return delta_realloc(ptr, count * size);
}

char *delta_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = delta_malloc(len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *delta_strdup(const char *s)
{
    return delta_strndup(s, SIZE_MAX);
}

void *delta_memdup(const void *src, size_t n)
{
    void *p = delta_malloc(n);
    if (p && n)
        memcpy(p, src, n);
    return p;
}

void delta_free(void *ptr)
{
    free(ptr);
}
