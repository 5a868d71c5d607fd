/*
 * The one allocation layer of libdelta: no raw malloc/free in src/ outside
 * alloc.c. Each function returns NULL on failure after recording
 * DELTA_ENOMEM, so callers write `if (!p) return DELTA_ENOMEM;`.
 *
 * Tests can make the Nth allocation from now fail (SQLite's OOM tests,
 * curl's torture mode) with delta_alloc_fail_after() to prove every error
 * path frees what it took.
 */
#ifndef DELTA_CORE_ALLOC_H
#define DELTA_CORE_ALLOC_H

#include <stddef.h>

void *delta_malloc(size_t size);
void *delta_calloc(size_t count, size_t size);
/* Like realloc; on failure the old block is untouched and still owned. */
void *delta_realloc(void *ptr, size_t size);
/* realloc of count*size with overflow check. */
void *delta_reallocarray(void *ptr, size_t count, size_t size);
char *delta_strdup(const char *s);
char *delta_strndup(const char *s, size_t n);
void *delta_memdup(const void *p, size_t n);
/* delta_free() is public: include/delta/common.h. */
void delta_free(void *ptr);

/* Test hook: the n-th allocation from now (1 = the next) and every later
 * one fail until reset; n <= 0 disables injection. Process-wide. */
void delta_alloc_fail_after(long n);
/* Number of allocations that failed by injection since the last reset. */
long delta_alloc_injected_failures(void);

#endif
