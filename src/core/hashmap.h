/*
 * dmap: an open-addressing hash map from byte-string keys to void* values
 * (the dict of this project). Keys are copied into the map; values are
 * borrowed pointers the caller manages. Iteration order is unspecified.
 * Used for live-file reconciliation in log replay (hundreds of thousands of
 * keys), so lookups and inserts are O(1) amortised and memory is compact.
 */
#ifndef DELTA_CORE_HASHMAP_H
#define DELTA_CORE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dmap dmap;

/* 64-bit hash of bytes (fast, good distribution; not cryptographic, not
 * resistant to deliberately crafted collisions). Same value on every
 * platform for the same bytes and seed. */
uint64_t dhash_bytes(const void *p, size_t n, uint64_t seed);

/* Creates an empty map sized for about `expected` keys (0 is fine). */
int dmap_new(dmap **out, size_t expected);
void dmap_free(dmap *m);
size_t dmap_count(const dmap *m);

/* Inserts or replaces (a replace keeps the stored key and never fails).
 * If replaced and old_value is non-NULL, the previous value is stored
 * there (else *old_value = NULL). 0 or DELTA_ENOMEM; on failure the map is
 * unchanged. key may be NULL when key_len is 0. */
int dmap_put(dmap *m, const void *key, size_t key_len, void *value, void **old_value);
/* Returns true and sets *value when found. */
bool dmap_get(const dmap *m, const void *key, size_t key_len, void **value);
/* Removes; returns true and sets *value (if non-NULL) when it was present. */
bool dmap_remove(dmap *m, const void *key, size_t key_len, void **value);

/* C-string key conveniences. */
int dmap_sput(dmap *m, const char *key, void *value, void **old_value);
bool dmap_sget(const dmap *m, const char *key, void **value);
bool dmap_sremove(dmap *m, const char *key, void **value);

/* Iteration: start with *iter = 0; returns false at the end. The map must
 * not be modified while iterating, except removing the current entry
 * (every other entry is still visited exactly once). Any output pointer
 * may be NULL. *key points into the map and stays valid until the next
 * dmap_put or dmap_free (also after removing that entry). */
bool dmap_next(const dmap *m, size_t *iter, const void **key, size_t *key_len,
               void **value);

#endif
