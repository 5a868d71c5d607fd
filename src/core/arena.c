/*
 * darena: bump allocation in a list of blocks, newest first.
 *
 * Invariants:
 *   - every pointer handed out is 16-byte aligned and stays valid until
 *     darena_reset or darena_free;
 *   - the head block is the one being filled; `used` counts bytes from the
 *     block's aligned start, including alignment padding;
 *   - a request larger than a quarter of the ordinary block size gets a
 *     block of its own ("dedicated"), linked behind the head so the head's
 *     free space keeps serving small requests;
 *   - ordinary blocks double in size from ARENA_MIN_BLOCK up to
 *     ARENA_MAX_BLOCK.
 * Under AddressSanitizer the unused tail of every block is poisoned, so an
 * overrun past an arena allocation is reported like a heap overflow.
 */
#include "core/arena.h"

#include "core/alloc.h"
#include "core/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif

#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_ALIGN ((size_t)16)
#define ARENA_MIN_BLOCK ((size_t)4096)
#define ARENA_MAX_BLOCK ((size_t)1 << 22)

struct darena_block {
    darena_block *next;
    size_t cap;  /* usable bytes from start() */
    size_t used; /* bytes handed out from start(), padding included */
    bool dedicated;
    unsigned char mem[]; /* cap + ARENA_ALIGN - 1 bytes */
};

static unsigned char *block_start(darena_block *b)
{
    uintptr_t p = (uintptr_t)b->mem;
    return b->mem + ((ARENA_ALIGN - (p & (ARENA_ALIGN - 1))) & (ARENA_ALIGN - 1));
}

static darena_block *block_new(size_t cap, bool dedicated)
{
    if (cap > SIZE_MAX - sizeof(darena_block) - ARENA_ALIGN) {
        delta_error_set(DELTA_ENOMEM, "arena: allocation of %zu bytes is too large", cap);
        return NULL;
    }
    darena_block *b = delta_malloc(sizeof *b + cap + ARENA_ALIGN - 1);
    if (!b)
        return NULL;
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    b->dedicated = dedicated;
    POISON(block_start(b), cap);
    return b;
}

static void block_free(darena_block *b)
{
    UNPOISON(block_start(b), b->cap);
    delta_free(b);
}

/* Next ordinary block size, starting from the caller's choice. */
static size_t ordinary_size(const darena *a)
{
    size_t s = a->block_size ? a->block_size : ARENA_MIN_BLOCK;
    return s < ARENA_MIN_BLOCK ? ARENA_MIN_BLOCK : s;
}

void *darena_alloc(darena *a, size_t n)
{
    size_t want = n ? n : 1;
    darena_block *b = a->head;
    if (b) {
        size_t off = (b->used + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
        if (off <= b->cap && want <= b->cap - off) {
            unsigned char *p = block_start(b) + off;
            b->used = off + want;
            a->total += n;
            UNPOISON(p, want);
            return p;
        }
    }

    size_t ordinary = ordinary_size(a);
    darena_block *nb;
    if (want > ordinary / 4) {
        nb = block_new(want, true);
        if (!nb)
            return NULL;
        if (b) {
            nb->next = b->next;
            b->next = nb;
        } else {
            a->head = nb;
        }
    } else {
        nb = block_new(ordinary, false);
        if (!nb)
            return NULL;
        nb->next = b;
        a->head = nb;
        a->block_size = ordinary < ARENA_MAX_BLOCK ? ordinary * 2 : ordinary;
    }
    if (!a->block_size)
        a->block_size = ordinary;
    unsigned char *p = block_start(nb);
    nb->used = want;
    a->total += n;
    UNPOISON(p, want);
    return p;
}

void *darena_calloc(darena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        delta_error_set(DELTA_ENOMEM, "arena: %zu x %zu bytes overflows", count, size);
        return NULL;
    }
    void *p = darena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *darena_strndup(darena *a, const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = darena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *darena_strdup(darena *a, const char *s)
{
    return darena_strndup(a, s, SIZE_MAX);
}

void darena_reset(darena *a)
{
    /* Keep the largest ordinary block; free everything else. */
    darena_block *keep = NULL;
    for (darena_block *b = a->head; b; b = b->next)
        if (!b->dedicated && (!keep || b->cap > keep->cap))
            keep = b;
    darena_block *b = a->head;
    while (b) {
        darena_block *next = b->next;
        if (b != keep)
            block_free(b);
        b = next;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
        POISON(block_start(keep), keep->cap);
    }
    a->head = keep;
    a->total = 0;
}

void darena_free(darena *a)
{
    darena_block *b = a->head;
    while (b) {
        darena_block *next = b->next;
        block_free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}
