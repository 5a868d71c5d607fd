/*
 * Parquet column writer (see column_writer.h for the contract).
 *
 * Data flow for one page: levels go straight into two streaming RLE
 * encoders (def_buf, rep_buf); values go either through the dictionary
 * (an index per value in idx[]) or are PLAIN-encoded into val_buf as they
 * arrive (BOOLEAN keeps one byte per value until the page ends, since bits
 * of two writes must pack together). flush_page() assembles the body,
 * compresses it, appends header and body to `chunk` and records the page
 * for the page index. The chunk is handed out by pq_column_writer_finish()
 * with the dictionary page built last but placed first.
 *
 * Dictionary table: open addressing with linear probing over `slots`
 * (entry index + 1, 0 = empty), a power-of-two size kept at most half
 * full. Slot of a key = top bits of key * golden ratio. Keys are the value
 * bits for 4- and 8-byte types (compared against the typed entry array),
 * and a 32-bit hash of the bytes for INT96, FIXED_LEN_BYTE_ARRAY and
 * BYTE_ARRAY (stored per entry, compared before the bytes).
 *
 * Invariants: page_levels == 0 means the page is empty and every page
 * buffer is empty; mode is MODE_DICT only for types other than BOOLEAN;
 * dict_used is true once a dictionary-encoded page is in `chunk`, and then
 * the dictionary is never cleared before the chunk ends.
 */
#include "parquet/column_writer.h"

#include "parquet/codec.h"
#include "parquet/encoding.h"
#include "parquet/encoding_impl.h"
#include "parquet/stats.h"

#include "core/alloc.h"
#include "core/error.h"
#include "core/hashmap.h"

#include <string.h>

#define STEP 4096 /* levels processed per inner step */
#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)

enum { MODE_PLAIN = 0, MODE_DICT = 1 };

typedef struct page_rec {
    int64_t offset; /* from the start of the data pages */
    int32_t size;   /* header + body */
    int64_t first_row;
    int64_t null_count;
    bool null_page;
    bool has_bounds;
    size_t min_off, min_len, max_off, max_len; /* in `bounds` */
} page_rec;

struct pq_column_writer {
    const pq_schema_node *leaf;
    int32_t type;
    size_t width; /* input bytes per value; 0 for BYTE_ARRAY */
    int16_t max_def, max_rep;
    char *path, *file_key;
    pq_writer_options o;
    int err;

    /* the page being filled */
    pq_rle_enc def_enc, rep_enc;
    dbuf def_buf, rep_buf, val_buf;
    uint32_t *idx;
    size_t idx_n, idx_cap;
    size_t page_levels, page_values, page_rows;
    pq_stats page_stats, chunk_stats;
    bool want_flush, want_fallback;

    /* dictionary */
    int mode;
    bool dict_used;
    uint32_t *slots;
    size_t slot_cap;
    unsigned slot_shift;
    size_t dict_count;
    uint8_t *dvals; /* fixed-size entries, host order, dict_count * width bytes */
    size_t dvals_cap;
    dbuf dict_vals; /* BYTE_ARRAY entries, PLAIN encoded (the dictionary page body) */
    uint32_t *dict_off, *dict_hash; /* per entry: offset in dict_vals; hash */
    size_t dict_cap;
    uint64_t plain_equiv; /* PLAIN size of the values sent through the dictionary */
    uint64_t page_plain;  /* the same, for the current page */

    /* the chunk */
    dbuf chunk, dict_page;
    dbuf body, comp, hdr, vals; /* scratch */
    uint64_t chunk_levels, chunk_rows;
    int64_t chunk_uncompressed;
    int32_t pages_dict, pages_plain;
    page_rec *pages;
    size_t npages, pages_cap;
    dbuf bounds;
    bool ci_ok;
    dbuf ci_buf, oi_buf;
};

/* ------------------------------------------------------------ errors */

static int fail(pq_column_writer *cw, int rc)
{
    delta_error_prefix(rc, "Parquet file '%s', column '%s': ", cw->file_key, cw->path);
    cw->err = rc;
    return rc;
}

static int invalid(pq_column_writer *cw, const char *what, size_t at)
{
    delta_error_set(DELTA_EINVAL, "%s (entry %zu of the write)", what, at);
    return fail(cw, DELTA_EINVAL);
}

/* ------------------------------------------------------------ setup */

static size_t value_width(int32_t type, int32_t type_length)
{
    switch (type) {
    case PQ_TYPE_BOOLEAN:
        return 1;
    case PQ_TYPE_INT32:
    case PQ_TYPE_FLOAT:
        return 4;
    case PQ_TYPE_INT64:
    case PQ_TYPE_DOUBLE:
        return 8;
    case PQ_TYPE_INT96:
        return 12;
    case PQ_TYPE_FIXED_LEN_BYTE_ARRAY:
        return (size_t)type_length;
    default:
        return 0;
    }
}

void pq_writer_options_resolve(pq_writer_options *o, const pq_writer_options *in)
{
    static const pq_writer_options defaults = PQ_WRITER_OPTIONS_INIT;
    *o = in ? *in : defaults;
    if (!o->page_size_bytes)
        o->page_size_bytes = PQ_WRITER_DEFAULT_PAGE_SIZE;
    if (!o->page_max_rows)
        o->page_max_rows = PQ_WRITER_DEFAULT_PAGE_ROWS;
    if (!o->dictionary_size_limit)
        o->dictionary_size_limit = PQ_WRITER_DEFAULT_DICT_LIMIT;
    if (!o->row_group_size_rows)
        o->row_group_size_rows = PQ_WRITER_DEFAULT_RG_ROWS;
    if (!o->row_group_size_bytes)
        o->row_group_size_bytes = PQ_WRITER_DEFAULT_RG_BYTES;
}

static int start_mode(const pq_column_writer *cw)
{
    return cw->type == PQ_TYPE_BOOLEAN || cw->o.no_dictionary ? MODE_PLAIN : MODE_DICT;
}

static void dict_clear(pq_column_writer *cw)
{
    if (cw->dict_count && cw->slots)
        memset(cw->slots, 0, cw->slot_cap * sizeof *cw->slots);
    cw->dict_count = 0;
    dbuf_reset(&cw->dict_vals);
    cw->plain_equiv = 0;
}

int pq_column_writer_new(pq_column_writer **out, const pq_schema_node *leaf,
                         const pq_writer_options *opts, const char *file_key)
{
    *out = NULL;
    if (!leaf || leaf->leaf_index < 0)
        return delta_error_set(DELTA_EINVAL, "Parquet column writer: not a leaf column");
    pq_column_writer *cw = delta_calloc(1, sizeof *cw);
    if (!cw)
        return DELTA_ENOMEM;
    pq_writer_options_resolve(&cw->o, opts);
    cw->leaf = leaf;
    cw->type = leaf->elem->type;
    cw->width = value_width(cw->type, leaf->elem->type_length);
    cw->max_def = leaf->max_def;
    cw->max_rep = leaf->max_rep;
    dbuf p = DBUF_INIT;
    pq_schema_node_path_str(leaf, &p);
    cw->path = p.err ? NULL : dbuf_detach(&p, NULL);
    dbuf_free(&p);
    cw->file_key = delta_strdup(file_key ? file_key : "(unnamed)");
    if (!cw->path || !cw->file_key) {
        pq_column_writer_free(cw);
        return delta_error_oom();
    }
    if (cw->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY && cw->width == 0) {
        delta_error_set(DELTA_EUNSUPPORTED, "FIXED_LEN_BYTE_ARRAY of length 0");
        int rc = fail(cw, DELTA_EUNSUPPORTED);
        pq_column_writer_free(cw);
        return rc;
    }
    if (!pq_codec_supported(cw->o.codec) || cw->o.codec == PQ_CODEC_LZO) {
        delta_error_set(DELTA_EUNSUPPORTED, "compression codec %s is not supported for writing",
                        pq_codec_name(cw->o.codec));
        int rc = fail(cw, DELTA_EUNSUPPORTED);
        pq_column_writer_free(cw);
        return rc;
    }
    pq_stats_init(&cw->page_stats, leaf->elem);
    pq_stats_init(&cw->chunk_stats, leaf->elem);
    pq_rle_enc_init(&cw->def_enc, &cw->def_buf, pq_bit_width32((uint32_t)cw->max_def));
    pq_rle_enc_init(&cw->rep_enc, &cw->rep_buf, pq_bit_width32((uint32_t)cw->max_rep));
    cw->mode = start_mode(cw);
    cw->ci_ok = cw->page_stats.kind != PQ_SORT_NONE;
    *out = cw;
    return 0;
}

void pq_column_writer_free(pq_column_writer *cw)
{
    if (!cw)
        return;
    delta_free(cw->path);
    delta_free(cw->file_key);
    dbuf_free(&cw->def_buf);
    dbuf_free(&cw->rep_buf);
    dbuf_free(&cw->val_buf);
    delta_free(cw->idx);
    pq_stats_free(&cw->page_stats);
    pq_stats_free(&cw->chunk_stats);
    delta_free(cw->slots);
    delta_free(cw->dvals);
    dbuf_free(&cw->dict_vals);
    delta_free(cw->dict_off);
    delta_free(cw->dict_hash);
    dbuf_free(&cw->chunk);
    dbuf_free(&cw->dict_page);
    dbuf_free(&cw->body);
    dbuf_free(&cw->comp);
    dbuf_free(&cw->hdr);
    dbuf_free(&cw->vals);
    delta_free(cw->pages);
    dbuf_free(&cw->bounds);
    dbuf_free(&cw->ci_buf);
    dbuf_free(&cw->oi_buf);
    delta_free(cw);
}

int pq_column_writer_error(const pq_column_writer *cw)
{
    return cw->err;
}

const char *pq_column_writer_path(const pq_column_writer *cw)
{
    return cw->path;
}

uint64_t pq_column_writer_rows(const pq_column_writer *cw)
{
    return cw->chunk_rows + cw->page_rows;
}

uint64_t pq_column_writer_levels(const pq_column_writer *cw)
{
    return cw->chunk_levels + cw->page_levels;
}

/* ------------------------------------------------------------ dictionary */

static size_t dict_bytes(const pq_column_writer *cw)
{
    return cw->type == PQ_TYPE_BYTE_ARRAY ? cw->dict_vals.len : cw->dict_count * cw->width;
}

static unsigned dict_bit_width(const pq_column_writer *cw)
{
    unsigned w = pq_bit_width32(cw->dict_count ? (uint32_t)(cw->dict_count - 1) : 0);
    return w ? w : 1;
}

static inline size_t slot_for(const pq_column_writer *cw, uint64_t key)
{
    return (size_t)((key * GOLDEN) >> cw->slot_shift);
}

static uint64_t entry_key(const pq_column_writer *cw, size_t i)
{
    if (cw->width == 4 && cw->type != PQ_TYPE_FIXED_LEN_BYTE_ARRAY) {
        uint32_t v;
        memcpy(&v, cw->dvals + 4 * i, 4);
        return v;
    }
    if (cw->width == 8 && cw->type != PQ_TYPE_FIXED_LEN_BYTE_ARRAY) {
        uint64_t v;
        memcpy(&v, cw->dvals + 8 * i, 8);
        return v;
    }
    return cw->dict_hash[i];
}

/* Doubles the slot table (or creates it) and re-inserts every entry. */
static int dict_grow_slots(pq_column_writer *cw)
{
    size_t cap = cw->slot_cap ? cw->slot_cap * 2 : 1024;
    uint32_t *s = delta_calloc(cap, sizeof *s);
    if (!s)
        return DELTA_ENOMEM;
    delta_free(cw->slots);
    cw->slots = s;
    cw->slot_cap = cap;
    unsigned bits = 0;
    while (((size_t)1 << bits) < cap)
        bits++;
    cw->slot_shift = 64 - bits;
    for (size_t i = 0; i < cw->dict_count; i++) {
        size_t h = slot_for(cw, entry_key(cw, i));
        while (s[h])
            h = (h + 1) & (cap - 1);
        s[h] = (uint32_t)(i + 1);
    }
    return 0;
}

/* Makes room for one more entry of `len` bytes; 0 or DELTA_ENOMEM. */
static int dict_reserve(pq_column_writer *cw, size_t len)
{
    if ((cw->dict_count + 1) * 2 > cw->slot_cap) {
        if (cw->dict_count >= UINT32_MAX / 2)
            return delta_error_set(DELTA_ERANGE, "dictionary holds too many entries");
        int rc = dict_grow_slots(cw);
        if (rc)
            return rc;
    }
    if (cw->type == PQ_TYPE_BYTE_ARRAY || cw->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY ||
        cw->type == PQ_TYPE_INT96) {
        if (cw->dict_count == cw->dict_cap) {
            size_t cap = cw->dict_cap ? cw->dict_cap * 2 : 1024;
            uint32_t *o = delta_reallocarray(cw->dict_off, cap, sizeof *o);
            if (!o)
                return DELTA_ENOMEM;
            cw->dict_off = o;
            uint32_t *h = delta_reallocarray(cw->dict_hash, cap, sizeof *h);
            if (!h)
                return DELTA_ENOMEM;
            cw->dict_hash = h;
            cw->dict_cap = cap;
        }
    }
    if (cw->type == PQ_TYPE_BYTE_ARRAY) {
        if (cw->dict_vals.len + 4 + len > UINT32_MAX)
            return delta_error_set(DELTA_ERANGE, "dictionary exceeds 4 GiB");
        return dbuf_reserve(&cw->dict_vals, 4 + len);
    }
    size_t need = (cw->dict_count + 1) * cw->width;
    if (need > cw->dvals_cap) {
        size_t cap = cw->dvals_cap ? cw->dvals_cap * 2 : 1024 * cw->width;
        uint8_t *d = delta_realloc(cw->dvals, cap);
        if (!d)
            return DELTA_ENOMEM;
        cw->dvals = d;
        cw->dvals_cap = cap;
    }
    return 0;
}

/* Finds the empty slot for a key known to be absent. */
static size_t free_slot(const pq_column_writer *cw, uint64_t key)
{
    size_t h = slot_for(cw, key);
    while (cw->slots[h])
        h = (h + 1) & (cw->slot_cap - 1);
    return h;
}

#define DICT_FIXED_NUM(NAME, T)                                                                \
    static int NAME(pq_column_writer *cw, const T *v, size_t n, uint32_t *out)                 \
    {                                                                                          \
        for (size_t i = 0; i < n; i++) {                                                       \
            T x = v[i];                                                                        \
            if (cw->slot_cap) {                                                                \
                const T *d = (const T *)(const void *)cw->dvals;                               \
                size_t mask = cw->slot_cap - 1;                                                \
                size_t h = slot_for(cw, (uint64_t)x);                                          \
                uint32_t s;                                                                    \
                while ((s = cw->slots[h]) != 0) {                                              \
                    if (d[s - 1] == x)                                                         \
                        break;                                                                 \
                    h = (h + 1) & mask;                                                        \
                }                                                                              \
                if (s) {                                                                       \
                    out[i] = s - 1;                                                            \
                    continue;                                                                  \
                }                                                                              \
            }                                                                                  \
            int rc = dict_reserve(cw, 0);                                                      \
            if (rc)                                                                            \
                return rc;                                                                     \
            memcpy(cw->dvals + cw->dict_count * sizeof(T), &x, sizeof(T));                     \
            cw->slots[free_slot(cw, (uint64_t)x)] = (uint32_t)(cw->dict_count + 1);            \
            out[i] = (uint32_t)cw->dict_count++;                                               \
        }                                                                                      \
        return 0;                                                                              \
    }

DICT_FIXED_NUM(dict_put_u32, uint32_t)
DICT_FIXED_NUM(dict_put_u64, uint64_t)

static inline uint32_t hash32(const uint8_t *p, size_t len)
{
    uint64_t h = dhash_bytes(p, len, 0);
    return (uint32_t)(h ^ (h >> 32));
}

/* INT96 and FIXED_LEN_BYTE_ARRAY: entries of `width` bytes. */
static int dict_put_fixed(pq_column_writer *cw, const uint8_t *v, size_t n, uint32_t *out)
{
    size_t w = cw->width;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *x = v + i * w;
        uint32_t hk = hash32(x, w);
        if (cw->slot_cap) {
            size_t h = slot_for(cw, hk), mask = cw->slot_cap - 1;
            uint32_t s;
            while ((s = cw->slots[h]) != 0) {
                if (cw->dict_hash[s - 1] == hk && memcmp(cw->dvals + (s - 1) * w, x, w) == 0)
                    break;
                h = (h + 1) & mask;
            }
            if (s) {
                out[i] = s - 1;
                continue;
            }
        }
        int rc = dict_reserve(cw, 0);
        if (rc)
            return rc;
        memcpy(cw->dvals + cw->dict_count * w, x, w);
        cw->dict_hash[cw->dict_count] = hk;
        cw->slots[free_slot(cw, hk)] = (uint32_t)(cw->dict_count + 1);
        out[i] = (uint32_t)cw->dict_count++;
    }
    return 0;
}

static int dict_put_bytes(pq_column_writer *cw, const uint8_t *data, const int32_t *off, size_t n,
                          uint32_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int32_t a = off[i], b = off[i + 1];
        if (a < 0 || b < a)
            return delta_error_set(DELTA_EINVAL, "BYTE_ARRAY offsets decrease at value %zu", i);
        const uint8_t *x = data + a;
        uint32_t len = (uint32_t)(b - a);
        uint32_t hk = hash32(x, len);
        if (cw->slot_cap) {
            size_t h = slot_for(cw, hk), mask = cw->slot_cap - 1;
            uint32_t s;
            while ((s = cw->slots[h]) != 0) {
                if (cw->dict_hash[s - 1] == hk) {
                    const uint8_t *e = cw->dict_vals.data + cw->dict_off[s - 1];
                    if (pq_ld32(e) == len && memcmp(e + 4, x, len) == 0)
                        break;
                }
                h = (h + 1) & mask;
            }
            if (s) {
                out[i] = s - 1;
                continue;
            }
        }
        int rc = dict_reserve(cw, len);
        if (rc)
            return rc;
        cw->dict_off[cw->dict_count] = (uint32_t)cw->dict_vals.len;
        cw->dict_hash[cw->dict_count] = hk;
        uint8_t hdr[4];
        pq_st32(hdr, len);
        dbuf_append(&cw->dict_vals, hdr, 4);
        dbuf_append(&cw->dict_vals, x, len);
        cw->slots[free_slot(cw, hk)] = (uint32_t)(cw->dict_count + 1);
        out[i] = (uint32_t)cw->dict_count++;
    }
    return cw->dict_vals.err;
}

/* ------------------------------------------------------------ values */

/* Appends n values PLAIN-encoded to val_buf (BOOLEAN: raw bytes). */
static int append_plain(pq_column_writer *cw, const uint8_t *v, const int32_t *off, size_t n)
{
    dbuf *b = &cw->val_buf;
    switch (cw->type) {
    case PQ_TYPE_BOOLEAN:
        return dbuf_append(b, v, n);
    case PQ_TYPE_INT32:
        return pq_plain_encode_int32(b, (const int32_t *)(const void *)v, n);
    case PQ_TYPE_FLOAT:
        return pq_plain_encode_float(b, (const float *)(const void *)v, n);
    case PQ_TYPE_INT64:
        return pq_plain_encode_int64(b, (const int64_t *)(const void *)v, n);
    case PQ_TYPE_DOUBLE:
        return pq_plain_encode_double(b, (const double *)(const void *)v, n);
    case PQ_TYPE_BYTE_ARRAY:
        return pq_plain_encode_byte_array(b, off, v, n);
    default:
        return pq_plain_encode_fixed(b, v, n, cw->width);
    }
}

/* Re-encodes the current page's dictionary indices as PLAIN values and
 * drops the dictionary (only before any dictionary page was written). */
static int page_to_plain(pq_column_writer *cw)
{
    dbuf_reset(&cw->val_buf);
    int rc = 0;
    if (cw->type == PQ_TYPE_BYTE_ARRAY) {
        size_t total = 0;
        for (size_t i = 0; i < cw->idx_n; i++)
            total += 4 + pq_ld32(cw->dict_vals.data + cw->dict_off[cw->idx[i]]);
        if ((rc = dbuf_reserve(&cw->val_buf, total)))
            return rc;
        for (size_t i = 0; i < cw->idx_n; i++) {
            const uint8_t *e = cw->dict_vals.data + cw->dict_off[cw->idx[i]];
            dbuf_append(&cw->val_buf, e, 4 + (size_t)pq_ld32(e));
        }
        rc = cw->val_buf.err;
    } else {
        size_t w = cw->width;
        uint8_t *tmp = delta_malloc(cw->idx_n * w + 1);
        if (!tmp)
            return DELTA_ENOMEM;
        rc = pq_dict_gather(cw->dvals, cw->dict_count, w, cw->idx, cw->idx_n, tmp);
        if (!rc)
            rc = append_plain(cw, tmp, NULL, cw->idx_n);
        delta_free(tmp);
    }
    if (rc)
        return rc;
    cw->idx_n = 0;
    dict_clear(cw);
    cw->mode = MODE_PLAIN;
    return 0;
}

/* Dictionary plus indices smaller than PLAIN, and within the size limit? */
static bool dict_pays_off(const pq_column_writer *cw)
{
    size_t db = dict_bytes(cw);
    if (db > cw->o.dictionary_size_limit)
        return false;
    uint64_t idx_bytes = ((uint64_t)cw->idx_n * dict_bit_width(cw) + 7) / 8;
    return db + idx_bytes < cw->plain_equiv;
}

/* ------------------------------------------------------------ pages */

static size_t page_estimate(const pq_column_writer *cw)
{
    size_t lev = cw->def_buf.len + cw->rep_buf.len;
    /* Until the dictionary has proven itself the page may still become
     * PLAIN, so it is sized as PLAIN. */
    if (cw->mode == MODE_DICT)
        return lev + (cw->dict_used ? (cw->idx_n * dict_bit_width(cw) + 7) / 8
                                    : (size_t)cw->page_plain);
    if (cw->type == PQ_TYPE_BOOLEAN)
        return lev + (cw->val_buf.len + 7) / 8;
    return lev + cw->val_buf.len;
}

size_t pq_column_writer_buffered_bytes(const pq_column_writer *cw)
{
    size_t dict = cw->mode == MODE_DICT || cw->dict_used ? dict_bytes(cw) : 0;
    return cw->chunk.len + page_estimate(cw) + dict;
}

static int add_page_rec(pq_column_writer *cw, page_rec *r)
{
    if (cw->npages == cw->pages_cap) {
        size_t cap = cw->pages_cap ? cw->pages_cap * 2 : 16;
        page_rec *p = delta_reallocarray(cw->pages, cap, sizeof *p);
        if (!p)
            return DELTA_ENOMEM;
        cw->pages = p;
        cw->pages_cap = cap;
    }
    cw->pages[cw->npages++] = *r;
    return 0;
}

static int put_le32_prefixed(dbuf *out, const dbuf *src)
{
    uint8_t len[4];
    pq_st32(len, (uint32_t)src->len);
    dbuf_append(out, len, 4);
    return dbuf_append(out, src->data, src->len);
}

static int size_check(size_t n, const char *what)
{
    if (n > INT32_MAX)
        return delta_error_set(DELTA_ERANGE, "%s of %zu bytes exceeds the 2 GiB page limit", what,
                               n);
    return 0;
}

static bool stats_from_dict(const pq_column_writer *cw);
static int dict_page_stats(pq_column_writer *cw);

static int flush_page(pq_column_writer *cw)
{
    if (cw->page_levels == 0)
        return 0;
    int rc;
    if (cw->max_rep && (rc = pq_rle_enc_finish(&cw->rep_enc)))
        return rc;
    if (cw->max_def && (rc = pq_rle_enc_finish(&cw->def_enc)))
        return rc;
    if (stats_from_dict(cw) && (rc = dict_page_stats(cw)))
        return rc;
    if (cw->mode == MODE_DICT && !cw->dict_used && !dict_pays_off(cw)) {
        if ((rc = page_to_plain(cw)))
            return rc;
    }

    /* The values section. */
    const dbuf *vals = &cw->val_buf;
    int32_t encoding = PQ_ENC_PLAIN;
    if (cw->mode == MODE_DICT) {
        dbuf_reset(&cw->vals);
        if ((rc = pq_rle_encode_dict(&cw->vals, cw->idx, cw->idx_n, dict_bit_width(cw))))
            return rc;
        vals = &cw->vals;
        encoding = PQ_ENC_RLE_DICTIONARY;
    } else if (cw->type == PQ_TYPE_BOOLEAN) {
        dbuf_reset(&cw->vals);
        if ((rc = pq_plain_encode_bool(&cw->vals, cw->val_buf.data, cw->val_buf.len)))
            return rc;
        vals = &cw->vals;
    }

    bool v2 = cw->o.data_page_v2;
    bool compress = cw->o.codec != PQ_CODEC_UNCOMPRESSED;
    size_t rep_len = cw->max_rep ? cw->rep_buf.len : 0;
    size_t def_len = cw->max_def ? cw->def_buf.len : 0;
    size_t uncompressed, stored;
    const uint8_t *payload; /* v1: the whole body; v2: the values section */
    size_t payload_len;
    if (!v2) {
        const dbuf *body = vals;
        if (cw->max_rep || cw->max_def) {
            dbuf_reset(&cw->body);
            if ((rc = dbuf_reserve(&cw->body, 8 + rep_len + def_len + vals->len)))
                return rc;
            if (cw->max_rep)
                put_le32_prefixed(&cw->body, &cw->rep_buf);
            if (cw->max_def)
                put_le32_prefixed(&cw->body, &cw->def_buf);
            dbuf_append(&cw->body, vals->data, vals->len);
            if (cw->body.err)
                return cw->body.err;
            body = &cw->body;
        }
        uncompressed = body->len;
        payload = body->data;
        payload_len = body->len;
    } else {
        uncompressed = rep_len + def_len + vals->len;
        payload = vals->data;
        payload_len = vals->len;
    }
    if (compress) {
        dbuf_reset(&cw->comp);
        if ((rc = pq_compress(cw->o.codec, cw->o.level, payload, payload_len, &cw->comp)))
            return rc;
        payload = cw->comp.data;
        payload_len = cw->comp.len;
    }
    stored = payload_len + (v2 ? rep_len + def_len : 0);
    if ((rc = size_check(uncompressed, "page")) || (rc = size_check(stored, "page")))
        return rc;

    /* Header. */
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.uncompressed_page_size = (int32_t)uncompressed;
    h.compressed_page_size = (int32_t)stored;
    pq_statistics st;
    if ((rc = pq_stats_export(&cw->page_stats, cw->o.stats_truncate_len, &st)))
        return rc;
    if (!v2) {
        h.type = PQ_PAGE_DATA;
        h.has_data_page_header = true;
        h.data_page_header.num_values = (int32_t)cw->page_levels;
        h.data_page_header.encoding = encoding;
        h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
        h.data_page_header.repetition_level_encoding = PQ_ENC_RLE;
        h.data_page_header.statistics = st;
        h.data_page_header.has_statistics = true;
    } else {
        h.type = PQ_PAGE_DATA_V2;
        h.has_data_page_header_v2 = true;
        pq_data_page_header_v2 *d = &h.data_page_header_v2;
        d->num_values = (int32_t)cw->page_levels;
        d->num_nulls = (int32_t)(cw->page_levels - cw->page_values);
        d->num_rows = (int32_t)cw->page_rows;
        d->encoding = encoding;
        d->definition_levels_byte_length = (int32_t)def_len;
        d->repetition_levels_byte_length = (int32_t)rep_len;
        d->is_compressed = compress;
        d->has_is_compressed = true;
        d->statistics = st;
        d->has_statistics = true;
    }
    dbuf_reset(&cw->hdr);
    if ((rc = pq_page_header_encode(&cw->hdr, &h)))
        return rc;

    /* Page index record (bounds copied before the stats are reset). */
    page_rec r = {0};
    r.offset = (int64_t)cw->chunk.len;
    r.size = (int32_t)(cw->hdr.len + stored);
    r.first_row = (int64_t)cw->chunk_rows;
    r.null_count = (int64_t)(cw->page_levels - cw->page_values);
    r.null_page = cw->page_values == 0;
    r.has_bounds = st.has_min_value;
    if (r.has_bounds) {
        r.min_off = cw->bounds.len;
        r.min_len = st.min_value.len;
        dbuf_append(&cw->bounds, st.min_value.ptr, st.min_value.len);
        r.max_off = cw->bounds.len;
        r.max_len = st.max_value.len;
        dbuf_append(&cw->bounds, st.max_value.ptr, st.max_value.len);
        if (cw->bounds.err)
            return cw->bounds.err;
    }
    if (!r.null_page && !r.has_bounds)
        cw->ci_ok = false; /* all NaN, or an unordered type */
    if ((rc = add_page_rec(cw, &r)))
        return rc;

    /* Append the page. */
    if ((rc = dbuf_reserve(&cw->chunk, cw->hdr.len + stored)))
        return rc;
    dbuf_append(&cw->chunk, cw->hdr.data, cw->hdr.len);
    if (v2) {
        dbuf_append(&cw->chunk, cw->rep_buf.data, rep_len);
        dbuf_append(&cw->chunk, cw->def_buf.data, def_len);
    }
    dbuf_append(&cw->chunk, payload, payload_len);
    if (cw->chunk.err)
        return cw->chunk.err;

    if ((rc = pq_stats_merge(&cw->chunk_stats, &cw->page_stats)))
        return rc;
    pq_stats_reset(&cw->page_stats);
    cw->chunk_uncompressed += (int64_t)(cw->hdr.len + uncompressed);
    cw->chunk_levels += cw->page_levels;
    cw->chunk_rows += cw->page_rows;
    if (cw->mode == MODE_DICT) {
        cw->pages_dict++;
        cw->dict_used = true;
        if (cw->want_fallback)
            cw->mode = MODE_PLAIN;
    } else {
        cw->pages_plain++;
    }
    cw->want_fallback = false;
    cw->want_flush = false;
    cw->page_levels = cw->page_values = cw->page_rows = 0;
    cw->idx_n = 0;
    cw->page_plain = 0;
    dbuf_reset(&cw->def_buf);
    dbuf_reset(&cw->rep_buf);
    dbuf_reset(&cw->val_buf);
    return 0;
}

/* ------------------------------------------------------------ write */

/* Byte-string types in dictionary mode take their page statistics from
 * the distinct entries the page references (computed when it ends), which
 * costs a few comparisons per entry instead of two per value. */
static bool stats_from_dict(const pq_column_writer *cw)
{
    return cw->mode == MODE_DICT &&
           (cw->type == PQ_TYPE_BYTE_ARRAY || cw->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY);
}

static int dict_page_stats(pq_column_writer *cw)
{
    if (cw->idx_n == 0 || cw->page_stats.kind == PQ_SORT_NONE)
        return 0;
    uint8_t *seen = delta_calloc(cw->dict_count, 1);
    if (!seen)
        return DELTA_ENOMEM;
    for (size_t i = 0; i < cw->idx_n; i++)
        seen[cw->idx[i]] = 1;
    int rc = 0;
    for (size_t e = 0; e < cw->dict_count && !rc; e++) {
        if (!seen[e])
            continue;
        if (cw->type == PQ_TYPE_BYTE_ARRAY) {
            const uint8_t *p = cw->dict_vals.data + cw->dict_off[e];
            int32_t off[2] = {0, (int32_t)pq_ld32(p)};
            rc = pq_stats_update(&cw->page_stats, p + 4, off, 1);
        } else {
            rc = pq_stats_update(&cw->page_stats, cw->dvals + e * cw->width, NULL, 1);
        }
    }
    delta_free(seen);
    return rc;
}

static int put_values(pq_column_writer *cw, const uint8_t *v, const int32_t *off, size_t k)
{
    int rc = stats_from_dict(cw) ? 0 : pq_stats_update(&cw->page_stats, v, off, k);
    if (rc)
        return rc;
    if (cw->mode == MODE_PLAIN)
        return append_plain(cw, v, off, k);
    if (cw->idx_n + k > cw->idx_cap) {
        size_t cap = cw->idx_cap ? cw->idx_cap : 1024;
        while (cap < cw->idx_n + k)
            cap *= 2;
        uint32_t *p = delta_reallocarray(cw->idx, cap, sizeof *p);
        if (!p)
            return DELTA_ENOMEM;
        cw->idx = p;
        cw->idx_cap = cap;
    }
    uint32_t *out = cw->idx + cw->idx_n;
    uint64_t before = cw->plain_equiv - cw->page_plain;
    switch (cw->type) {
    case PQ_TYPE_INT32:
    case PQ_TYPE_FLOAT:
        rc = dict_put_u32(cw, (const uint32_t *)(const void *)v, k, out);
        cw->plain_equiv += 4 * (uint64_t)k;
        break;
    case PQ_TYPE_INT64:
    case PQ_TYPE_DOUBLE:
        rc = dict_put_u64(cw, (const uint64_t *)(const void *)v, k, out);
        cw->plain_equiv += 8 * (uint64_t)k;
        break;
    case PQ_TYPE_BYTE_ARRAY:
        rc = dict_put_bytes(cw, v, off, k, out);
        cw->plain_equiv += 4 * (uint64_t)k + (uint64_t)(off[k] - off[0]);
        break;
    default:
        rc = dict_put_fixed(cw, v, k, out);
        cw->plain_equiv += (uint64_t)k * cw->width;
        break;
    }
    if (rc)
        return rc;
    cw->idx_n += k;
    cw->page_plain = cw->plain_equiv - before;
    if (dict_bytes(cw) > cw->o.dictionary_size_limit) {
        cw->want_fallback = true;
        cw->want_flush = true;
    }
    return 0;
}

int pq_column_writer_write(pq_column_writer *cw, size_t num_levels, const int16_t *def,
                           const int16_t *rep, const void *values, const int32_t *offsets)
{
    if (cw->err)
        return cw->err;
    if (num_levels == 0)
        return 0;
    if (cw->max_def == 0)
        def = NULL;
    else if (!def)
        return invalid(cw, "definition levels are required (max_def > 0)", 0);
    if (cw->max_rep == 0)
        rep = NULL;
    else if (!rep)
        return invalid(cw, "repetition levels are required (max_rep > 0)", 0);
    if (rep && rep[0] != 0 && pq_column_writer_levels(cw) == 0)
        return invalid(cw, "the first entry of a column chunk must start a row "
                           "(repetition level 0)", 0);
    /* BYTE_ARRAY values that are all empty have no bytes (a vector may
     * then have no data buffer): the offsets alone describe them */
    static const uint8_t no_bytes[1];
    if (!values && cw->type == PQ_TYPE_BYTE_ARRAY && offsets)
        values = no_bytes;
    const uint8_t *vbase = values;
    const uint16_t max_def = (uint16_t)cw->max_def, max_rep = (uint16_t)cw->max_rep;
    size_t pos = 0, vpos = 0;
    uint32_t tmp[STEP];
    int rc;
    while (pos < num_levels) {
        if (cw->want_flush && (!rep || rep[pos] == 0) && (rc = flush_page(cw)))
            return fail(cw, rc);
        /* Step size: what should still fit in the page at the current
         * bytes per level (small at a page's start), so page sizes
         * overshoot their target by little. */
        size_t lim = STEP;
        if (cw->page_levels) {
            size_t est = page_estimate(cw), per = est / cw->page_levels + 1;
            size_t left = cw->o.page_size_bytes > est ? cw->o.page_size_bytes - est : 0;
            if (left / per + 1 < lim)
                lim = left / per + 1;
        } else {
            lim = 256;
        }
        size_t end = pos + (num_levels - pos < lim ? num_levels - pos : lim);
        size_t room = cw->o.page_max_rows > cw->page_rows ? cw->o.page_max_rows - cw->page_rows
                                                          : 0;
        size_t rows;
        if (!rep) {
            if (room == 0)
                room = 1;
            if (end - pos > room)
                end = pos + room;
            rows = end - pos;
        } else {
            rows = 0;
            for (size_t i = pos; i < end; i++) {
                uint16_t r = (uint16_t)rep[i];
                if (r > max_rep)
                    return invalid(cw, "repetition level out of range", i);
                if (r == 0) {
                    if (rows == room && i > pos) {
                        end = i;
                        break;
                    }
                    rows++;
                }
            }
            for (size_t i = pos; i < end; i++)
                tmp[i - pos] = (uint16_t)rep[i];
            pq_rle_enc_put_batch(&cw->rep_enc, tmp, end - pos);
        }
        size_t k = end - pos;
        if (def) {
            k = 0;
            uint16_t bad = 0;
            for (size_t i = pos; i < end; i++) {
                uint16_t d = (uint16_t)def[i];
                bad |= d > max_def;
                k += d == max_def;
            }
            if (bad) {
                for (size_t i = pos; i < end; i++)
                    if ((uint16_t)def[i] > max_def)
                        return invalid(cw, "definition level out of range", i);
            }
            if (k == end - pos) { /* no nulls: one run */
                pq_rle_enc_put_repeat(&cw->def_enc, max_def, k);
            } else {
                for (size_t i = pos; i < end; i++)
                    tmp[i - pos] = (uint16_t)def[i];
                pq_rle_enc_put_batch(&cw->def_enc, tmp, end - pos);
            }
        }
        if (k) {
            if (!values || (cw->type == PQ_TYPE_BYTE_ARRAY && !offsets))
                return invalid(cw, "values (and BYTE_ARRAY offsets) are required", pos);
            const uint8_t *v = cw->type == PQ_TYPE_BYTE_ARRAY ? vbase : vbase + vpos * cw->width;
            const int32_t *off = cw->type == PQ_TYPE_BYTE_ARRAY ? offsets + vpos : NULL;
            if ((rc = put_values(cw, v, off, k)))
                return fail(cw, rc);
        }
        pq_stats_add_nulls(&cw->page_stats, (int64_t)(end - pos - k));
        cw->page_levels += end - pos;
        cw->page_values += k;
        cw->page_rows += rows;
        pos = end;
        vpos += k;
        if (cw->page_rows >= cw->o.page_max_rows || page_estimate(cw) >= cw->o.page_size_bytes)
            cw->want_flush = true;
    }
    return 0;
}

/* ------------------------------------------------------------ chunk end */

static int build_dict_page(pq_column_writer *cw)
{
    dbuf *body = &cw->body;
    dbuf_reset(body);
    const uint8_t *src = cw->dict_vals.data;
    size_t len = cw->dict_vals.len;
    int rc = 0;
    switch (cw->type) {
    case PQ_TYPE_BYTE_ARRAY:
        break;
    case PQ_TYPE_INT32:
        rc = pq_plain_encode_int32(body, (const int32_t *)(const void *)cw->dvals,
                                   cw->dict_count);
        break;
    case PQ_TYPE_FLOAT:
        rc = pq_plain_encode_float(body, (const float *)(const void *)cw->dvals, cw->dict_count);
        break;
    case PQ_TYPE_INT64:
        rc = pq_plain_encode_int64(body, (const int64_t *)(const void *)cw->dvals,
                                   cw->dict_count);
        break;
    case PQ_TYPE_DOUBLE:
        rc = pq_plain_encode_double(body, (const double *)(const void *)cw->dvals,
                                    cw->dict_count);
        break;
    default:
        rc = pq_plain_encode_fixed(body, cw->dvals, cw->dict_count, cw->width);
        break;
    }
    if (rc)
        return rc;
    if (cw->type != PQ_TYPE_BYTE_ARRAY) {
        src = body->data;
        len = body->len;
    }
    size_t uncompressed = len;
    if (cw->o.codec != PQ_CODEC_UNCOMPRESSED) {
        dbuf_reset(&cw->comp);
        if ((rc = pq_compress(cw->o.codec, cw->o.level, src, len, &cw->comp)))
            return rc;
        src = cw->comp.data;
        len = cw->comp.len;
    }
    if ((rc = size_check(uncompressed, "dictionary page")) ||
        (rc = size_check(len, "dictionary page")))
        return rc;
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DICTIONARY;
    h.uncompressed_page_size = (int32_t)uncompressed;
    h.compressed_page_size = (int32_t)len;
    h.has_dictionary_page_header = true;
    h.dictionary_page_header.num_values = (int32_t)cw->dict_count;
    h.dictionary_page_header.encoding = PQ_ENC_PLAIN;
    dbuf_reset(&cw->dict_page);
    if ((rc = pq_page_header_encode(&cw->dict_page, &h)))
        return rc;
    cw->chunk_uncompressed += (int64_t)(cw->dict_page.len + uncompressed);
    return dbuf_append(&cw->dict_page, src, len);
}

static pq_bin arena_bin(darena *a, pq_bin b, int *rc)
{
    uint8_t *p = darena_alloc(a, b.len);
    if (!p) {
        *rc = DELTA_ENOMEM;
        return (pq_bin){NULL, 0};
    }
    if (b.len)
        memcpy(p, b.ptr, b.len);
    return (pq_bin){p, b.len};
}

static int build_page_index(pq_column_writer *cw, int64_t data_start)
{
    int rc = 0;
    dbuf_reset(&cw->ci_buf);
    dbuf_reset(&cw->oi_buf);
    size_t n = cw->npages;
    pq_page_location *locs = delta_calloc(n ? n : 1, sizeof *locs);
    if (!locs)
        return DELTA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        locs[i].offset = data_start + cw->pages[i].offset;
        locs[i].compressed_page_size = cw->pages[i].size;
        locs[i].first_row_index = cw->pages[i].first_row;
    }
    pq_offset_index oi = {0};
    oi.page_locations = locs;
    oi.num_pages = (uint32_t)n;
    rc = pq_offset_index_encode(&cw->oi_buf, &oi);
    delta_free(locs);
    if (rc || !cw->ci_ok || n == 0)
        return rc;

    bool *nulls = delta_calloc(n, sizeof *nulls);
    pq_bin *mins = delta_calloc(n, sizeof *mins);
    pq_bin *maxs = delta_calloc(n, sizeof *maxs);
    int64_t *ncounts = delta_calloc(n, sizeof *ncounts);
    if (!nulls || !mins || !maxs || !ncounts) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    static const uint8_t empty[1] = {0};
    bool asc = true, desc = true;
    const page_rec *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        const page_rec *p = &cw->pages[i];
        nulls[i] = p->null_page;
        ncounts[i] = p->null_count;
        if (p->null_page) {
            mins[i] = maxs[i] = (pq_bin){empty, 0};
            continue;
        }
        mins[i] = (pq_bin){cw->bounds.data + p->min_off, p->min_len};
        maxs[i] = (pq_bin){cw->bounds.data + p->max_off, p->max_len};
        if (prev) {
            pq_sort_kind k = cw->chunk_stats.kind;
            const uint8_t *b = cw->bounds.data;
            int cmin = pq_stats_compare(k, b + prev->min_off, prev->min_len, b + p->min_off,
                                        p->min_len);
            int cmax = pq_stats_compare(k, b + prev->max_off, prev->max_len, b + p->max_off,
                                        p->max_len);
            if (cmin > 0 || cmax > 0)
                asc = false;
            if (cmin < 0 || cmax < 0)
                desc = false;
        }
        prev = p;
    }
    pq_column_index ci = {0};
    ci.num_pages = (uint32_t)n;
    ci.null_pages = nulls;
    ci.min_values = mins;
    ci.max_values = maxs;
    ci.boundary_order = asc ? PQ_BOUNDARY_ASCENDING
                        : desc ? PQ_BOUNDARY_DESCENDING
                               : PQ_BOUNDARY_UNORDERED;
    ci.null_counts = ncounts;
    ci.has_null_counts = true;
    rc = pq_column_index_encode(&cw->ci_buf, &ci);
done:
    delta_free(nulls);
    delta_free(mins);
    delta_free(maxs);
    delta_free(ncounts);
    return rc;
}

int pq_column_writer_finish(pq_column_writer *cw, int64_t file_offset, darena *arena,
                            pq_column_meta *meta, pq_chunk_bytes *bytes)
{
    if (cw->err)
        return cw->err;
    int rc = flush_page(cw);
    if (!rc && cw->dict_used)
        rc = build_dict_page(cw);
    else
        dbuf_reset(&cw->dict_page);
    int64_t data_start = file_offset + (int64_t)cw->dict_page.len;
    if (!rc && cw->o.write_page_index)
        rc = build_page_index(cw, data_start);
    if (rc)
        return fail(cw, rc);

    memset(meta, 0, sizeof *meta);
    meta->type = cw->type;
    meta->codec = cw->o.codec;
    meta->num_values = (int64_t)cw->chunk_levels;
    meta->total_uncompressed_size = cw->chunk_uncompressed;
    meta->total_compressed_size = (int64_t)(cw->dict_page.len + cw->chunk.len);
    meta->data_page_offset = data_start;
    if (cw->dict_used) {
        meta->dictionary_page_offset = file_offset;
        meta->has_dictionary_page_offset = true;
    }
    /* Encodings used anywhere in the chunk. */
    int32_t *enc = darena_alloc(arena, 3 * sizeof *enc);
    pq_page_encoding_stats *es = darena_alloc(arena, 3 * sizeof *es);
    if (!enc || !es)
        return fail(cw, DELTA_ENOMEM);
    uint32_t ne = 0, ns = 0;
    if (cw->pages_plain || cw->dict_used)
        enc[ne++] = PQ_ENC_PLAIN;
    if (cw->max_def || cw->max_rep || cw->dict_used)
        enc[ne++] = PQ_ENC_RLE;
    if (cw->dict_used)
        enc[ne++] = PQ_ENC_RLE_DICTIONARY;
    int32_t data_type = cw->o.data_page_v2 ? PQ_PAGE_DATA_V2 : PQ_PAGE_DATA;
    if (cw->dict_used)
        es[ns++] = (pq_page_encoding_stats){PQ_PAGE_DICTIONARY, PQ_ENC_PLAIN, 1};
    if (cw->pages_dict)
        es[ns++] = (pq_page_encoding_stats){data_type, PQ_ENC_RLE_DICTIONARY, cw->pages_dict};
    if (cw->pages_plain)
        es[ns++] = (pq_page_encoding_stats){data_type, PQ_ENC_PLAIN, cw->pages_plain};
    meta->encodings = enc;
    meta->num_encodings = ne;
    meta->encoding_stats = es;
    meta->num_encoding_stats = ns;
    meta->has_encoding_stats = true;

    pq_statistics st;
    if ((rc = pq_stats_export(&cw->chunk_stats, cw->o.stats_truncate_len, &st)))
        return fail(cw, rc);
    if (st.has_min_value) {
        st.min_value = arena_bin(arena, st.min_value, &rc);
        st.max_value = arena_bin(arena, st.max_value, &rc);
        if (st.has_min) {
            st.min = st.min_value;
            st.max = st.max_value;
        }
        if (rc)
            return fail(cw, rc);
    }
    meta->statistics = st;
    meta->has_statistics = true;

    bytes->dict_page = cw->dict_used ? cw->dict_page.data : NULL;
    bytes->dict_page_len = cw->dict_used ? cw->dict_page.len : 0;
    bytes->data_pages = cw->chunk.data;
    bytes->data_pages_len = cw->chunk.len;
    bool pidx = cw->o.write_page_index;
    bytes->column_index = pidx && cw->ci_buf.len ? cw->ci_buf.data : NULL;
    bytes->column_index_len = pidx ? cw->ci_buf.len : 0;
    bytes->offset_index = pidx && cw->oi_buf.len ? cw->oi_buf.data : NULL;
    bytes->offset_index_len = pidx ? cw->oi_buf.len : 0;
    return 0;
}

void pq_column_writer_reset(pq_column_writer *cw)
{
    /* Drop any unfinished page too (used after an abandoned row group). */
    pq_rle_enc_init(&cw->def_enc, &cw->def_buf, cw->def_enc.width);
    pq_rle_enc_init(&cw->rep_enc, &cw->rep_buf, cw->rep_enc.width);
    dbuf_reset(&cw->def_buf);
    dbuf_reset(&cw->rep_buf);
    dbuf_reset(&cw->val_buf);
    cw->idx_n = 0;
    cw->page_plain = 0;
    cw->page_levels = cw->page_values = cw->page_rows = 0;
    pq_stats_reset(&cw->page_stats);
    pq_stats_reset(&cw->chunk_stats);
    cw->want_flush = cw->want_fallback = false;
    dict_clear(cw);
    cw->dict_used = false;
    cw->mode = start_mode(cw);
    dbuf_reset(&cw->chunk);
    dbuf_reset(&cw->dict_page);
    dbuf_reset(&cw->ci_buf);
    dbuf_reset(&cw->oi_buf);
    dbuf_reset(&cw->bounds);
    cw->chunk_levels = cw->chunk_rows = 0;
    cw->chunk_uncompressed = 0;
    cw->pages_dict = cw->pages_plain = 0;
    cw->npages = 0;
    cw->ci_ok = cw->page_stats.kind != PQ_SORT_NONE;
}
