/*
 * The fast path for the commonest log lines: a streaming scanner that
 * reads `{"add":{...}}` and `{"remove":{...}}` straight into the action
 * structs, without building a JSON tree.
 *
 * Contract: the scanner either produces exactly the action the general
 * (jansson) parser in actions.c would produce, or declines and the line
 * goes to the general parser. It declines on anything it does not handle
 * plainly - another action, an unknown or repeated field, a null where a
 * value is expected, a number that is not a plain integer or may not fit,
 * a wrong JSON type, an invalid string (bad escape, lone surrogate, \u0000,
 * a control character, invalid UTF-8), a missing required field, a
 * value the general parser would refuse (negative add size, bad deletion
 * vector storage type), trailing text - so every error message comes from
 * the general parser and stays exactly what it was. The scanner never
 * reports an error itself except running out of memory.
 *
 * Partition values may be interned: with a pool, the keys and values of
 * partitionValues are shared strings owned by the pool (the map is marked
 * `borrowed`), so a snapshot of many files in few partitions stores each
 * distinct value once.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/hashmap.h"
#include "log/actions.h"

/* ---- intern pool --------------------------------------------------------- */

struct dlog_intern {
    dmap *map;  /* bytes -> char* in the arena */
    dmap *maps; /* raw JSON text of a string map -> pooled_map* in the arena */
    darena arena;
};

/* A whole partitionValues map, shared by every action that spells it the
 * same way. */
typedef struct pooled_map {
    dlog_kv *items;
    size_t count;
} pooled_map;

int dlog_intern_new(dlog_intern **out)
{
    *out = NULL;
    dlog_intern *p = delta_calloc(1, sizeof *p);
    if (!p)
        return DELTA_ENOMEM;
    int rc = dmap_new(&p->map, 64);
    if (!rc)
        rc = dmap_new(&p->maps, 64);
    if (rc) {
        dlog_intern_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void dlog_intern_free(dlog_intern *p)
{
    if (!p)
        return;
    dmap_free(p->map);
    dmap_free(p->maps);
    darena_free(&p->arena);
    delta_free(p);
}

char *dlog_intern_get(dlog_intern *p, const char *s, size_t len)
{
    void *v = NULL;
    if (dmap_get(p->map, s, len, &v))
        return v;
    char *c = darena_strndup(&p->arena, s, len);
    if (!c || dmap_put(p->map, s, len, c, NULL))
        return NULL;
    return c;
}

/* ---- scanner ------------------------------------------------------------- */

enum { DECLINE = 0, DONE = 1 };

typedef struct scan {
    const unsigned char *p, *end;
    dlog_intern *pool;
    dbuf tmp; /* decoded strings with escapes */
} scan;

static inline void ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static inline bool eat(scan *s, unsigned char c)
{
    ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

/* Length of a valid UTF-8 sequence at p (first byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static int hex4(const unsigned char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void put_utf8(dbuf *b, uint32_t cp)
{
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xC0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xF0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    dbuf_append(b, u, n);
}

/* Reads a JSON string (s->p at the opening quote) into *out: a new string,
 * or an interned one when `intern`. */
static int scan_string(scan *s, char **out, bool intern)
{
    ws(s);
    if (s->p >= s->end || *s->p != '"')
        return DECLINE;
    const unsigned char *start = ++s->p, *q = start;
    bool escaped = false;
    for (;;) {
        if (q >= s->end)
            return DECLINE;
        unsigned c = *q;
        if (c == '"')
            break;
        if (c < 0x20)
            return DECLINE;
        if (c == '\\') {
            escaped = true;
            if (q + 1 >= s->end)
                return DECLINE;
            q += 2;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_seq(q, s->end);
            if (!n)
                return DECLINE;
            q += n;
            continue;
        }
        q++;
    }
    const char *text = (const char *)start;
    size_t len = (size_t)(q - start);
    if (escaped) {
        dbuf_reset(&s->tmp);
        for (const unsigned char *r = start; r < q;) {
            if (*r != '\\') {
                const unsigned char *e = r;
                while (e < q && *e != '\\')
                    e++;
                dbuf_append(&s->tmp, r, (size_t)(e - r));
                r = e;
                continue;
            }
            unsigned char c = r[1];
            r += 2;
            switch (c) {
            case '"': dbuf_putc(&s->tmp, '"'); break;
            case '\\': dbuf_putc(&s->tmp, '\\'); break;
            case '/': dbuf_putc(&s->tmp, '/'); break;
            case 'b': dbuf_putc(&s->tmp, '\b'); break;
            case 'f': dbuf_putc(&s->tmp, '\f'); break;
            case 'n': dbuf_putc(&s->tmp, '\n'); break;
            case 'r': dbuf_putc(&s->tmp, '\r'); break;
            case 't': dbuf_putc(&s->tmp, '\t'); break;
            case 'u': {
                uint32_t cp, lo;
                if (q - r < 4 || hex4(r, &cp))
                    return DECLINE;
                r += 4;
                if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                    return DECLINE;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (q - r < 6 || r[0] != '\\' || r[1] != 'u' || hex4(r + 2, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return DECLINE;
                    r += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                put_utf8(&s->tmp, cp);
                break;
            }
            default:
                return DECLINE;
            }
        }
        if (s->tmp.err)
            return s->tmp.err;
        text = (const char *)s->tmp.data;
        len = s->tmp.len;
        if (!text)
            text = "";
    }
    s->p = q + 1;
    if (intern && s->pool)
        *out = dlog_intern_get(s->pool, text, len);
    else
        *out = delta_strndup(text, len);
    return *out ? DONE : DELTA_ENOMEM;
}

/* A field name: a string without escapes, returned in place. */
static int scan_key(scan *s, const char **key, size_t *len)
{
    ws(s);
    if (s->p >= s->end || *s->p != '"')
        return DECLINE;
    const unsigned char *start = ++s->p;
    const unsigned char *q = memchr(start, '"', (size_t)(s->end - start));
    if (!q)
        return DECLINE;
    for (const unsigned char *r = start; r < q; r++)
        if (*r == '\\' || *r < 0x20 || *r >= 0x80)
            return DECLINE;
    *key = (const char *)start;
    *len = (size_t)(q - start);
    s->p = q + 1;
    return eat(s, ':') ? DONE : DECLINE;
}

static int scan_i64(scan *s, int64_t *out)
{
    ws(s);
    const unsigned char *q = s->p;
    bool neg = false;
    if (q < s->end && *q == '-') {
        neg = true;
        q++;
    }
    const unsigned char *d = q;
    uint64_t v = 0;
    while (q < s->end && *q >= '0' && *q <= '9') {
        v = v * 10 + (uint64_t)(*q - '0');
        q++;
    }
    size_t nd = (size_t)(q - d);
    if (nd == 0 || nd > 18 || (nd > 1 && *d == '0'))
        return DECLINE;
    if (q < s->end && (*q == '.' || *q == 'e' || *q == 'E'))
        return DECLINE;
    *out = neg ? -(int64_t)v : (int64_t)v;
    s->p = q;
    return DONE;
}

static int scan_i32(scan *s, int32_t *out)
{
    int64_t v;
    int rc = scan_i64(s, &v);
    if (rc != DONE)
        return rc;
    if (v < INT32_MIN || v > INT32_MAX)
        return DECLINE;
    *out = (int32_t)v;
    return DONE;
}

static int scan_bool(scan *s, bool *out)
{
    ws(s);
    size_t left = (size_t)(s->end - s->p);
    if (left >= 4 && memcmp(s->p, "true", 4) == 0) {
        *out = true;
        s->p += 4;
        return DONE;
    }
    if (left >= 5 && memcmp(s->p, "false", 5) == 0) {
        *out = false;
        s->p += 5;
        return DONE;
    }
    return DECLINE;
}

/* A string map: string or null values; a repeated key declines. With
 * `intern` and a pool, keys and values are pooled strings. */
static int scan_map_fields(scan *s, dlog_map *m, bool intern)
{
    memset(m, 0, sizeof *m);
    m->borrowed = intern && s->pool;
    if (!eat(s, '{'))
        return DECLINE;
    if (eat(s, '}'))
        return DONE;
    size_t cap = 0;
    for (;;) {
        char *k = NULL, *v = NULL;
        int rc = scan_string(s, &k, intern);
        if (rc != DONE)
            return rc;
        if (m->count == cap) {
            size_t ncap = cap ? cap * 2 : 2;
            dlog_kv *n = delta_reallocarray(m->items, ncap, sizeof *n);
            if (!n) {
                if (!m->borrowed)
                    delta_free(k);
                return DELTA_ENOMEM;
            }
            m->items = n;
            cap = ncap;
        }
        m->items[m->count].key = k;
        m->items[m->count].value = NULL;
        m->count++;
        for (size_t i = 0; i + 1 < m->count; i++)
            if (strcmp(m->items[i].key, k) == 0)
                return DECLINE;
        if (!eat(s, ':'))
            return DECLINE;
        ws(s);
        if ((size_t)(s->end - s->p) >= 4 && memcmp(s->p, "null", 4) == 0) {
            s->p += 4;
        } else {
            if ((rc = scan_string(s, &v, intern)) != DONE)
                return rc;
            m->items[m->count - 1].value = v;
        }
        if (eat(s, ','))
            continue;
        return eat(s, '}') ? DONE : DECLINE;
    }
}

/* The end of a flat JSON object starting at p ('{'), or NULL: strings are
 * skipped whole, a nested object or array gives NULL. Only used to find
 * the bytes to look a pooled map up by; validation is the parser's. */
static const unsigned char *object_end(const unsigned char *p, const unsigned char *end)
{
    for (p++; p < end; p++) {
        unsigned c = *p;
        if (c == '"') {
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\')
                    p++;
            if (p >= end)
                return NULL;
        } else if (c == '}') {
            return p + 1;
        } else if (c == '{' || c == '[') {
            return NULL;
        }
    }
    return NULL;
}

static int scan_map(scan *s, dlog_map *m, bool intern)
{
    if (!intern || !s->pool)
        return scan_map_fields(s, m, false);
    ws(s);
    const unsigned char *start = s->p;
    const unsigned char *stop = start < s->end && *start == '{' ? object_end(start, s->end) : NULL;
    void *v = NULL;
    if (stop && dmap_get(s->pool->maps, start, (size_t)(stop - start), &v)) {
        const pooled_map *pm = v;
        m->items = pm->items;
        m->count = pm->count;
        m->borrowed = true;
        s->p = stop;
        return DONE;
    }
    int rc = scan_map_fields(s, m, true);
    dlog_kv *items = NULL;
    if (rc == DONE && m->count &&
        !(items = darena_alloc(&s->pool->arena, m->count * sizeof *items)))
        rc = DELTA_ENOMEM;
    if (items)
        memcpy(items, m->items, m->count * sizeof *items);
    /* The strings are the pool's; the array was ours until now. */
    delta_free(m->items);
    m->items = items;
    if (rc != DONE) {
        memset(m, 0, sizeof *m);
        return rc;
    }
    if (stop && s->p == stop) {
        /* First time this spelling is seen: remember the map. */
        pooled_map *pm = darena_alloc(&s->pool->arena, sizeof *pm);
        if (!pm)
            return DELTA_ENOMEM;
        pm->items = items;
        pm->count = m->count;
        if (dmap_put(s->pool->maps, start, (size_t)(stop - start), pm, NULL))
            return DELTA_ENOMEM;
    }
    return DONE;
}

static bool key_is(const char *k, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(k, name, n) == 0;
}

/* Objects with known fields: a repeated or unknown field declines. */
#define FIELD_BIT(i) (1u << (i))

static int scan_dv(scan *s, dlog_dv *dv)
{
    static const char *const names[] = {"storageType", "pathOrInlineDv", "offset",
                                        "sizeInBytes", "cardinality"};
    if (!eat(s, '{'))
        return DECLINE;
    unsigned seen = 0;
    if (eat(s, '}'))
        return DECLINE;
    for (;;) {
        const char *k;
        size_t n;
        int rc = scan_key(s, &k, &n);
        if (rc != DONE)
            return rc;
        unsigned i = 0;
        while (i < 5 && !key_is(k, n, names[i]))
            i++;
        if (i == 5 || (seen & FIELD_BIT(i)))
            return DECLINE;
        seen |= FIELD_BIT(i);
        switch (i) {
        case 0: {
            char *st = NULL;
            if ((rc = scan_string(s, &st, false)) != DONE)
                return rc;
            bool ok = strlen(st) == 1 && (st[0] == 'u' || st[0] == 'i' || st[0] == 'p');
            dv->storage_type = st[0];
            delta_free(st);
            if (!ok)
                return DECLINE;
            break;
        }
        case 1: rc = scan_string(s, &dv->path_or_inline, false); break;
        case 2: rc = scan_i32(s, &dv->offset); dv->has_offset = true; break;
        case 3: rc = scan_i32(s, &dv->size_in_bytes); break;
        default: rc = scan_i64(s, &dv->cardinality); break;
        }
        if (i && rc != DONE)
            return rc;
        if (eat(s, ','))
            continue;
        if (!eat(s, '}'))
            return DECLINE;
        unsigned req = FIELD_BIT(0) | FIELD_BIT(1) | FIELD_BIT(3) | FIELD_BIT(4);
        return (seen & req) == req ? DONE : DECLINE;
    }
}

enum {
    F_PATH, F_PV, F_SIZE, F_MTIME, F_DC, F_STATS, F_TAGS, F_DV, F_BRID, F_DRCV, F_CLUSTER,
    F_DELTS, F_EFM, F_COUNT
};

static const char *const field_names[F_COUNT] = {
    [F_PATH] = "path",
    [F_PV] = "partitionValues",
    [F_SIZE] = "size",
    [F_MTIME] = "modificationTime",
    [F_DC] = "dataChange",
    [F_STATS] = "stats",
    [F_TAGS] = "tags",
    [F_DV] = "deletionVector",
    [F_BRID] = "baseRowId",
    [F_DRCV] = "defaultRowCommitVersion",
    [F_CLUSTER] = "clusteringProvider",
    [F_DELTS] = "deletionTimestamp",
    [F_EFM] = "extendedFileMetadata",
};

static int field_index(const char *k, size_t n)
{
    for (int i = 0; i < F_COUNT; i++)
        if (key_is(k, n, field_names[i]))
            return i;
    return -1;
}

static int scan_file_action(scan *s, dlog_action *a, bool is_add)
{
    dlog_add *ad = &a->u.add;
    dlog_remove *rm = &a->u.remove;
    unsigned seen = 0;
    if (!eat(s, '{'))
        return DECLINE;
    if (eat(s, '}'))
        return DECLINE;
    for (;;) {
        const char *k;
        size_t n;
        int rc = scan_key(s, &k, &n);
        if (rc != DONE)
            return rc;
        int f = field_index(k, n);
        if (f < 0 || (seen & FIELD_BIT(f)))
            return DECLINE;
        seen |= FIELD_BIT(f);
        if (is_add) {
            switch (f) {
            case F_PATH: rc = scan_string(s, &ad->path, false); break;
            case F_PV: rc = scan_map(s, &ad->partition_values, true); break;
            case F_SIZE: rc = scan_i64(s, &ad->size); break;
            case F_MTIME: rc = scan_i64(s, &ad->modification_time); break;
            case F_DC: rc = scan_bool(s, &ad->data_change); break;
            case F_STATS: rc = scan_string(s, &ad->stats, false); break;
            case F_TAGS: rc = scan_map(s, &ad->tags, false); break;
            case F_DV: rc = scan_dv(s, &ad->dv); ad->has_dv = true; break;
            case F_BRID: rc = scan_i64(s, &ad->base_row_id); ad->has_base_row_id = true; break;
            case F_DRCV:
                rc = scan_i64(s, &ad->default_row_commit_version);
                ad->has_default_row_commit_version = true;
                break;
            case F_CLUSTER: rc = scan_string(s, &ad->clustering_provider, false); break;
            default: return DECLINE;
            }
        } else {
            switch (f) {
            case F_PATH: rc = scan_string(s, &rm->path, false); break;
            case F_DELTS:
                rc = scan_i64(s, &rm->deletion_timestamp);
                rm->has_deletion_timestamp = true;
                break;
            case F_DC: rc = scan_bool(s, &rm->data_change); break;
            case F_EFM:
                rc = scan_bool(s, &rm->extended_file_metadata);
                rm->has_extended_file_metadata = true;
                break;
            case F_PV:
                rc = scan_map(s, &rm->partition_values, true);
                rm->has_partition_values = true;
                break;
            case F_SIZE: rc = scan_i64(s, &rm->size); rm->has_size = true; break;
            case F_STATS: rc = scan_string(s, &rm->stats, false); break;
            case F_TAGS: rc = scan_map(s, &rm->tags, false); break;
            case F_DV: rc = scan_dv(s, &rm->dv); rm->has_dv = true; break;
            case F_BRID: rc = scan_i64(s, &rm->base_row_id); rm->has_base_row_id = true; break;
            case F_DRCV:
                rc = scan_i64(s, &rm->default_row_commit_version);
                rm->has_default_row_commit_version = true;
                break;
            default: return DECLINE;
            }
        }
        if (rc != DONE)
            return rc;
        if (eat(s, ','))
            continue;
        if (!eat(s, '}'))
            return DECLINE;
        break;
    }
    unsigned req = is_add ? FIELD_BIT(F_PATH) | FIELD_BIT(F_PV) | FIELD_BIT(F_SIZE) |
                                FIELD_BIT(F_MTIME) | FIELD_BIT(F_DC)
                          : FIELD_BIT(F_PATH) | FIELD_BIT(F_DC);
    if ((seen & req) != req)
        return DECLINE;
    if (is_add && ad->size < 0)
        return DECLINE;
    return DONE;
}

int dlog_scan_file_action(dlog_action *out, const char *text, size_t len, dlog_intern *pool)
{
    memset(out, 0, sizeof *out);
    scan s = {(const unsigned char *)text, (const unsigned char *)text + len, pool, DBUF_INIT};
    int rc = DECLINE;
    const char *k;
    size_t n;
    if (!eat(&s, '{') || scan_key(&s, &k, &n) != DONE)
        goto done;
    bool is_add = key_is(k, n, "add");
    if (!is_add && !key_is(k, n, "remove"))
        goto done;
    out->type = is_add ? DLOG_ACT_ADD : DLOG_ACT_REMOVE;
    if ((rc = scan_file_action(&s, out, is_add)) != DONE)
        goto done;
    rc = DECLINE;
    if (!eat(&s, '}'))
        goto done;
    ws(&s);
    if (s.p == s.end)
        rc = DONE;
done:
    dbuf_free(&s.tmp);
    if (rc != DONE)
        dlog_action_clear(out);
    return rc;
}
