/*
 * dmap: Robin Hood open addressing with backward-shift deletion, plus
 * dhash_bytes, the project's 64-bit byte hash.
 *
 * Table: a power-of-two array of 24-byte slots {hash, key record, value}.
 * A slot is empty when its hash is 0 (a real hash of 0 is stored as 1).
 * An entry's ideal slot is hash & mask; its probe distance (DIB) is how far
 * it sits past that slot, wrapping at the end of the table. Invariants:
 *   - entries of a run are ordered by ideal slot, so DIB(j+1) <= DIB(j) + 1;
 *     a lookup stops at an empty slot or one whose DIB is smaller than the
 *     distance probed so far;
 *   - count < cap always (the table grows at 80% load), so at least one
 *     slot is empty and every probe loop ends;
 *   - deletion never leaves tombstones: the entries after the removed one
 *     shift back one slot until an empty slot or an entry at its ideal slot.
 *
 * Keys: copied into append-only chunks as a record <LEB128 length><bytes>;
 * slots point at their record. Removing an entry leaves its record as dead
 * bytes; when dead bytes outweigh live ones a later insert compacts the
 * live records into one fresh chunk. Chunks are never touched by lookups
 * or removals, so key pointers handed out stay valid until the next insert.
 *
 * Iteration walks "virtual positions" downward: an entry that wrapped past
 * the end of the table (slot < ideal slot) sits at virtual position
 * cap + slot, any other at slot. A backward shift moves entries only from
 * after the removed one, each exactly one virtual position down, so when
 * the caller removes the entry just returned, visited entries stay above
 * the cursor and unvisited ones below it: nothing is skipped or repeated.
 */
#include "core/hashmap.h"

#include "core/alloc.h"
#include "core/error.h"

#include <string.h>

/* ------------------------------------------------------------------------
 * Hashing: 64x64->128-bit multiplies folded to 64 bits, lanes of 16 bytes
 * (three lanes for long inputs), overlapping reads for the tail, and a
 * xorshift-multiply finaliser.
 * ------------------------------------------------------------------------ */

#define HK0 UINT64_C(0x9e3779b97f4a7c15) /* 2^64 / golden ratio */
#define HK1 UINT64_C(0xbf58476d1ce4e5b9)
#define HK2 UINT64_C(0x94d049bb133111eb)
#define HK3 UINT64_C(0xc2b2ae3d27d4eb4f)

static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    uint64_t lo = (mid << 32) | (uint32_t)ll;
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
#endif
}

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

uint64_t dhash_bytes(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t s = seed ^ fold_mul(seed ^ HK0, HK1);
    uint64_t a, b;

    if (n <= 16) {
        if (n >= 8) {
            a = rd64(p);
            b = rd64(p + n - 8);
        } else if (n >= 4) {
            a = rd32(p);
            b = rd32(p + n - 4);
        } else if (n > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t left = n;
        if (left > 48) {
            uint64_t s1 = s, s2 = s;
            do {
                s = fold_mul(rd64(p) ^ HK1, rd64(p + 8) ^ s);
                s1 = fold_mul(rd64(p + 16) ^ HK2, rd64(p + 24) ^ s1);
                s2 = fold_mul(rd64(p + 32) ^ HK3, rd64(p + 40) ^ s2);
                p += 48;
                left -= 48;
            } while (left > 48);
            s ^= s1 ^ s2;
        }
        while (left > 16) {
            s = fold_mul(rd64(p) ^ HK1, rd64(p + 8) ^ s);
            p += 16;
            left -= 16;
        }
        /* The last 16 input bytes, overlapping what was already mixed. */
        a = rd64(p + left - 16);
        b = rd64(p + left - 8);
    }

    uint64_t h = fold_mul(a ^ HK1, b ^ s) ^ ((uint64_t)n * HK0);
    h ^= h >> 31;
    h *= HK2;
    h ^= h >> 29;
    h *= HK3;
    h ^= h >> 32;
    return h;
}

/* ------------------------------------------------------------------------
 * Map
 * ------------------------------------------------------------------------ */

#define MAP_SEED UINT64_C(0x2545f4914f6cdd1d)
#define MIN_CAP 8
#define CHUNK_MIN ((size_t)4096)
#define CHUNK_MAX ((size_t)1 << 20)
#define COMPACT_MIN ((size_t)64 << 10) /* dead bytes before compaction pays */
#define NOT_FOUND SIZE_MAX

typedef struct slot {
    uint64_t hash;      /* 0: empty */
    const uint8_t *rec; /* key record: LEB128 length, then the bytes */
    void *value;
} slot;

typedef struct key_chunk {
    struct key_chunk *next;
    size_t used, cap;
    uint8_t data[];
} key_chunk;

struct dmap {
    slot *slots;
    size_t cap; /* power of two */
    size_t count;
    size_t grow_at;    /* count that triggers doubling */
    key_chunk *chunks; /* head is the chunk being filled */
    size_t next_chunk; /* capacity of the next ordinary chunk */
    size_t key_live;   /* bytes of records of present keys */
    size_t key_dead;   /* bytes of records of removed keys */
};

static size_t grow_threshold(size_t cap)
{
    return cap - cap / 5; /* 80% load; always < cap */
}

static size_t varint_size(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *varint_put(uint8_t *p, size_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Decodes a record written by this file (trusted): sets *len, returns the
 * key bytes. */
static const uint8_t *rec_key(const uint8_t *rec, size_t *len)
{
    size_t v = 0;
    unsigned shift = 0;
    while (*rec & 0x80) {
        v |= (size_t)(*rec++ & 0x7f) << shift;
        shift += 7;
    }
    v |= (size_t)*rec++ << shift;
    *len = v;
    return rec;
}

static size_t rec_size(const uint8_t *rec)
{
    size_t len;
    const uint8_t *k = rec_key(rec, &len);
    return (size_t)(k - rec) + len;
}

static uint64_t key_hash(const void *key, size_t len)
{
    uint64_t h = dhash_bytes(key, len, MAP_SEED);
    return h ? h : 1;
}

static size_t dib(size_t i, uint64_t hash, size_t mask)
{
    return (i - (size_t)(hash & mask)) & mask;
}

static size_t find(const dmap *m, const void *key, size_t len, uint64_t h)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)h & mask;
    for (size_t dist = 0;; dist++, i = (i + 1) & mask) {
        const slot *s = &m->slots[i];
        if (!s->hash || dib(i, s->hash, mask) < dist)
            return NOT_FOUND;
        if (s->hash == h) {
            size_t klen;
            const uint8_t *k = rec_key(s->rec, &klen);
            if (klen == len && (len == 0 || memcmp(k, key, len) == 0))
                return i;
        }
    }
}

/* Robin Hood insertion of an entry known to be absent. */
static void insert_new(slot *slots, size_t mask, slot e)
{
    size_t i = (size_t)e.hash & mask;
    for (size_t dist = 0;; dist++, i = (i + 1) & mask) {
        slot *s = &slots[i];
        if (!s->hash) {
            *s = e;
            return;
        }
        size_t d = dib(i, s->hash, mask);
        if (d < dist) {
            slot t = *s;
            *s = e;
            e = t;
            dist = d;
        }
    }
}

static int resize(dmap *m, size_t new_cap)
{
    slot *ns = delta_calloc(new_cap, sizeof *ns);
    if (!ns)
        return DELTA_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].hash)
            insert_new(ns, new_cap - 1, m->slots[i]);
    delta_free(m->slots);
    m->slots = ns;
    m->cap = new_cap;
    m->grow_at = grow_threshold(new_cap);
    return 0;
}

static void free_chunks(key_chunk *c)
{
    while (c) {
        key_chunk *next = c->next;
        delta_free(c);
        c = next;
    }
}

static key_chunk *new_chunk(size_t cap)
{
    if (cap > SIZE_MAX - sizeof(key_chunk)) {
        delta_error_oom();
        return NULL;
    }
    key_chunk *c = delta_malloc(sizeof *c + cap);
    if (c) {
        c->next = NULL;
        c->used = 0;
        c->cap = cap;
    }
    return c;
}

/* Reserves `size` bytes of key storage. */
static uint8_t *key_store(dmap *m, size_t size)
{
    key_chunk *head = m->chunks;
    if (head && head->cap - head->used >= size) {
        uint8_t *p = head->data + head->used;
        head->used += size;
        return p;
    }
    if (size > m->next_chunk / 4) {
        /* A large record gets a chunk of its own, linked behind the head
         * so the head's free space stays in use. */
        key_chunk *c = new_chunk(size);
        if (!c)
            return NULL;
        c->used = size;
        if (head) {
            c->next = head->next;
            head->next = c;
        } else {
            m->chunks = c;
        }
        return c->data;
    }
    key_chunk *c = new_chunk(m->next_chunk);
    if (!c)
        return NULL;
    c->used = size;
    c->next = head;
    m->chunks = c;
    if (m->next_chunk < CHUNK_MAX)
        m->next_chunk *= 2;
    return c->data;
}

/* Drops every record when the map is empty; keeps the head chunk. */
static void reset_keys(dmap *m)
{
    if (m->chunks) {
        free_chunks(m->chunks->next);
        m->chunks->next = NULL;
        m->chunks->used = 0;
    }
    m->key_live = m->key_dead = 0;
}

/* Copies the live records into one fresh chunk when removed keys hold
 * more memory than present ones. Best effort: on allocation failure the
 * map keeps its old chunks and stays fully usable. */
static void maybe_compact(dmap *m)
{
    if (m->key_dead < COMPACT_MIN || m->key_dead <= m->key_live)
        return;
    size_t slack = m->key_live / 2 > CHUNK_MIN ? m->key_live / 2 : CHUNK_MIN;
    key_chunk *c = new_chunk(m->key_live + slack);
    if (!c)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        slot *s = &m->slots[i];
        if (!s->hash)
            continue;
        size_t n = rec_size(s->rec);
        memcpy(c->data + c->used, s->rec, n);
        s->rec = c->data + c->used;
        c->used += n;
    }
    free_chunks(m->chunks);
    m->chunks = c;
    m->key_dead = 0;
}

int dmap_new(dmap **out, size_t expected)
{
    size_t cap = MIN_CAP;
    while (grow_threshold(cap) < expected) {
        if (cap > SIZE_MAX / 2 / sizeof(slot))
            return delta_error_set(DELTA_ENOMEM, "hash map: %zu expected keys is too many", expected);
        cap *= 2;
    }
    dmap *m = delta_calloc(1, sizeof *m);
    if (!m)
        return DELTA_ENOMEM;
    m->slots = delta_calloc(cap, sizeof *m->slots);
    if (!m->slots) {
        delta_free(m);
        return DELTA_ENOMEM;
    }
    m->cap = cap;
    m->grow_at = grow_threshold(cap);
    m->next_chunk = CHUNK_MIN;
    *out = m;
    return 0;
}

void dmap_free(dmap *m)
{
    if (!m)
        return;
    free_chunks(m->chunks);
    delta_free(m->slots);
    delta_free(m);
}

size_t dmap_count(const dmap *m)
{
    return m->count;
}

int dmap_put(dmap *m, const void *key, size_t key_len, void *value, void **old_value)
{
    if (old_value)
        *old_value = NULL;
    if (!key && key_len)
        return delta_error_set(DELTA_EINVAL, "hash map: NULL key of length %zu", key_len);

    uint64_t h = key_hash(key, key_len);
    size_t i = find(m, key, key_len, h);
    if (i != NOT_FOUND) {
        if (old_value)
            *old_value = m->slots[i].value;
        m->slots[i].value = value;
        return 0;
    }

    if (m->count + 1 > m->grow_at) {
        if (m->cap > SIZE_MAX / 2 / sizeof(slot))
            return delta_error_set(DELTA_ENOMEM, "hash map: cannot grow past %zu slots", m->cap);
        int rc = resize(m, m->cap * 2);
        if (rc)
            return rc;
    }
    if (m->count == 0)
        reset_keys(m);
    else
        maybe_compact(m);

    size_t hdr = varint_size(key_len);
    if (key_len > SIZE_MAX - hdr)
        return delta_error_oom();
    uint8_t *rec = key_store(m, hdr + key_len);
    if (!rec)
        return DELTA_ENOMEM;
    uint8_t *kp = varint_put(rec, key_len);
    if (key_len)
        memcpy(kp, key, key_len);

    insert_new(m->slots, m->cap - 1, (slot){h, rec, value});
    m->count++;
    m->key_live += hdr + key_len;
    return 0;
}

bool dmap_get(const dmap *m, const void *key, size_t key_len, void **value)
{
    if (!key && key_len)
        return false;
    size_t i = find(m, key, key_len, key_hash(key, key_len));
    if (i == NOT_FOUND)
        return false;
    if (value)
        *value = m->slots[i].value;
    return true;
}

bool dmap_remove(dmap *m, const void *key, size_t key_len, void **value)
{
    if (!key && key_len)
        return false;
    size_t i = find(m, key, key_len, key_hash(key, key_len));
    if (i == NOT_FOUND)
        return false;
    if (value)
        *value = m->slots[i].value;
    size_t n = rec_size(m->slots[i].rec);
    m->key_live -= n;
    m->key_dead += n;

    size_t mask = m->cap - 1;
    size_t j = (i + 1) & mask;
    while (m->slots[j].hash && dib(j, m->slots[j].hash, mask) != 0) {
        m->slots[i] = m->slots[j];
        i = j;
        j = (j + 1) & mask;
    }
    m->slots[i] = (slot){0, NULL, NULL};
    m->count--;
    return true;
}

int dmap_sput(dmap *m, const char *key, void *value, void **old_value)
{
    return dmap_put(m, key, strlen(key), value, old_value);
}

bool dmap_sget(const dmap *m, const char *key, void **value)
{
    return dmap_get(m, key, strlen(key), value);
}

bool dmap_sremove(dmap *m, const char *key, void **value)
{
    return dmap_remove(m, key, strlen(key), value);
}

bool dmap_next(const dmap *m, size_t *iter, const void **key, size_t *key_len, void **value)
{
    size_t cap = m->cap, mask = cap - 1;
    size_t v; /* the next virtual position to look at is v - 1 */
    if (*iter == 0) {
        /* Wrapped entries all sit in the leading run of slots. */
        size_t w = 0;
        while (w < cap && m->slots[w].hash && (size_t)(m->slots[w].hash & mask) > w)
            w++;
        v = cap + w;
    } else {
        v = *iter - 1;
        if (v > 2 * cap)
            v = 0; /* not a cursor of this map: end */
    }
    while (v > 0) {
        v--;
        size_t i = v >= cap ? v - cap : v;
        const slot *s = &m->slots[i];
        if (!s->hash)
            continue;
        bool wrapped = (size_t)(s->hash & mask) > i;
        if (wrapped != (v >= cap))
            continue;
        size_t len;
        const uint8_t *k = rec_key(s->rec, &len);
        if (key)
            *key = k;
        if (key_len)
            *key_len = len;
        if (value)
            *value = s->value;
        *iter = v + 1;
        return true;
    }
    *iter = 1;
    return false;
}
