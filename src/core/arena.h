/*
 * darena: a bump allocator for short-lived work (one per commit, per page
 * decode, per query) so cleanup is one call. Blocks grow geometrically
 * (set block_size before the first allocation to choose the first block's
 * size); a request too big for an ordinary block gets its own block.
 * Allocations are 16-byte aligned; a zero-byte request still returns a
 * distinct pointer. Allocation failure records DELTA_ENOMEM and returns
 * NULL. Not thread-safe: one arena per thread of work.
 */
#ifndef DELTA_CORE_ARENA_H
#define DELTA_CORE_ARENA_H

#include <stddef.h>

typedef struct darena_block darena_block;
typedef struct darena {
    darena_block *head;
    size_t block_size; /* size of the next block to allocate */
    size_t total;      /* bytes handed out */
} darena;

#define DARENA_INIT {NULL, 0, 0}

void *darena_alloc(darena *a, size_t n);
void *darena_calloc(darena *a, size_t count, size_t size);
char *darena_strdup(darena *a, const char *s);
char *darena_strndup(darena *a, const char *s, size_t n);
/* Forgets every allocation; frees every block but the largest ordinary
 * one, which is kept for reuse. */
void darena_reset(darena *a);
void darena_free(darena *a);

#endif
