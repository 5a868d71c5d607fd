/*
 * The column chunk reader: every Parquet file under the shared golden and
 * extra directories read completely (every column of every row group) and
 * cross-checked against its metadata and statistics; hand-built files for
 * every encoding, codec and page version, nested repetition with batches
 * cut at record boundaries, dictionary and index page layouts; corrupt
 * files refused with messages that say where and what; hostile inputs
 * (every truncation, seeded byte flips) that must fail cleanly or succeed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/column_reader.h"
#include "parquet/file_reader.h"
#include "parquet/pq_testfile.h"

static uint64_t rng_state = 0x5eed0fc01ULL;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ================================================================== */
/* Reading a whole chunk                                               */
/* ================================================================== */

/* Everything one chunk produced, batches concatenated. */
typedef struct chunk_out {
    size_t levels, values, records, batches;
    size_t cap; /* entries allocated in def and rep */
    int16_t *def, *rep;
    dbuf vals;          /* fixed-width values */
    pq_bytes_out bytes; /* BYTE_ARRAY values */
} chunk_out;

static void chunk_out_free(chunk_out *o)
{
    free(o->def);
    free(o->rep);
    dbuf_free(&o->vals);
    pq_bytes_free(&o->bytes);
    memset(o, 0, sizeof *o);
}

static size_t type_width(const pq_schema_node *leaf)
{
    switch (leaf->elem->type) {
    case PQ_TYPE_BOOLEAN: return 1;
    case PQ_TYPE_INT32:
    case PQ_TYPE_FLOAT: return 4;
    case PQ_TYPE_INT64:
    case PQ_TYPE_DOUBLE: return 8;
    case PQ_TYPE_INT96: return 12;
    case PQ_TYPE_FIXED_LEN_BYTE_ARRAY: return (size_t)leaf->elem->type_length;
    default: return 0;
    }
}

/*
 * Reads one chunk completely with batches of max_records, checking each
 * batch's own invariants. Returns the reader's result; *o holds what was
 * read (when `keep`).
 */
/* When set, read_chunk re-targets this reader instead of opening one. */
static pq_column_reader *g_reuse;

static int read_chunk(pq_file *f, uint32_t rg, uint32_t leaf, size_t max_records, chunk_out *o,
                      bool keep)
{
    memset(o, 0, sizeof *o);
    pq_column_reader *r = g_reuse;
    int rc = r ? pq_column_reader_reopen(r, rg, leaf) : pq_column_reader_open(&r, f, rg, leaf);
    if (rc)
        return rc;
    const pq_schema_node *node = pq_column_reader_leaf(r);
    size_t w = type_width(node);
    pq_column_batch b = PQ_COLUMN_BATCH_INIT;
    for (;;) {
        rc = pq_column_reader_read(r, max_records, &b);
        if (rc)
            break;
        if (b.num_records == 0) {
            assert_int_equal(b.num_levels, 0);
            break;
        }
        o->batches++;
        assert_true(b.num_records <= max_records);
        assert_true(b.num_values <= b.num_levels);
        assert_true((b.def != NULL) == (node->max_def > 0));
        assert_true((b.rep != NULL) == (node->max_rep > 0));
        size_t nv = b.num_levels, nrec = b.num_levels;
        if (b.def) {
            nv = 0;
            for (size_t i = 0; i < b.num_levels; i++) {
                assert_true(b.def[i] >= 0 && b.def[i] <= node->max_def);
                nv += b.def[i] == node->max_def;
            }
        }
        if (b.rep) {
            assert_int_equal(b.rep[0], 0);
            nrec = 0;
            for (size_t i = 0; i < b.num_levels; i++) {
                assert_true(b.rep[i] >= 0 && b.rep[i] <= node->max_rep);
                nrec += b.rep[i] == 0;
            }
        }
        assert_int_equal(nv, b.num_values);
        assert_int_equal(nrec, b.num_records);
        if (node->elem->type == PQ_TYPE_BYTE_ARRAY) {
            assert_int_equal(b.bytes.count, b.num_values);
            if (b.num_values) {
                assert_int_equal(b.bytes.offsets[0], 0);
                for (size_t i = 0; i < b.num_values; i++)
                    assert_true(b.bytes.offsets[i] <= b.bytes.offsets[i + 1]);
                assert_int_equal((size_t)b.bytes.offsets[b.num_values], b.bytes.data.len);
            }
        }
        if (keep) {
            if (o->levels + b.num_levels > o->cap) {
                while (o->levels + b.num_levels > o->cap)
                    o->cap = o->cap ? 2 * o->cap : 1024;
                o->def = realloc(o->def, o->cap * sizeof(int16_t));
                o->rep = realloc(o->rep, o->cap * sizeof(int16_t));
            }
            if (b.def)
                memcpy(o->def + o->levels, b.def, b.num_levels * sizeof(int16_t));
            if (b.rep)
                memcpy(o->rep + o->levels, b.rep, b.num_levels * sizeof(int16_t));
            if (w)
                dbuf_append(&o->vals, b.values, b.num_values * w);
            else
                for (size_t i = 0; i < b.num_values; i++)
                    pq_bytes_append(&o->bytes, b.bytes.data.data + b.bytes.offsets[i],
                                    (size_t)(b.bytes.offsets[i + 1] - b.bytes.offsets[i]));
        }
        o->levels += b.num_levels;
        o->values += b.num_values;
        o->records += b.num_records;
    }
    if (rc == 0) {
        assert_int_equal(pq_column_reader_levels_read(r), o->levels);
        /* Finished readers stay finished. */
        assert_int_equal(pq_column_reader_read(r, max_records, &b), 0);
        assert_int_equal(b.num_records, 0);
    }
    pq_column_batch_free(&b);
    if (!g_reuse)
        pq_column_reader_free(r);
    return rc;
}

/* ================================================================== */
/* Golden files                                                        */
/* ================================================================== */

static bool is_unsigned(const pq_schema_element *e)
{
    if (e->has_logical_type && e->logical_type.kind == PQ_LT_INTEGER)
        return !e->logical_type.is_signed;
    return e->has_converted_type &&
           (e->converted_type == PQ_CT_UINT_8 || e->converted_type == PQ_CT_UINT_16 ||
            e->converted_type == PQ_CT_UINT_32 || e->converted_type == PQ_CT_UINT_64);
}

/* Compares computed min/max of the values with the statistics, for
 * physical types whose order is plain (signed ints, floats, booleans). */
static int check_minmax(const pq_schema_node *leaf, const pq_statistics *st, const chunk_out *o)
{
    int32_t t = leaf->elem->type;
    if (o->values == 0 || is_unsigned(leaf->elem))
        return 0;
    const uint8_t *mn = NULL, *mx = NULL;
    size_t mnl = 0, mxl = 0;
    if (st->has_min_value && st->has_max_value) {
        if ((st->has_is_min_value_exact && !st->is_min_value_exact) ||
            (st->has_is_max_value_exact && !st->is_max_value_exact))
            return 0;
        mn = st->min_value.ptr, mnl = st->min_value.len;
        mx = st->max_value.ptr, mxl = st->max_value.len;
    } else if (st->has_min && st->has_max) {
        mn = st->min.ptr, mnl = st->min.len;
        mx = st->max.ptr, mxl = st->max.len;
    } else {
        return 0;
    }
    const uint8_t *v = o->vals.data;
    switch (t) {
    case PQ_TYPE_BOOLEAN: {
        if (mnl != 1 || mxl != 1)
            return 0;
        uint8_t lo = 1, hi = 0;
        for (size_t i = 0; i < o->values; i++) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
        assert_int_equal(lo, mn[0]);
        assert_int_equal(hi, mx[0]);
        return 1;
    }
    case PQ_TYPE_INT32: {
        if (mnl != 4 || mxl != 4)
            return 0;
        int32_t lo = INT32_MAX, hi = INT32_MIN, a, b;
        for (size_t i = 0; i < o->values; i++) {
            int32_t x;
            memcpy(&x, v + 4 * i, 4);
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
        memcpy(&a, mn, 4);
        memcpy(&b, mx, 4);
        assert_int_equal(lo, a);
        assert_int_equal(hi, b);
        return 1;
    }
    case PQ_TYPE_INT64: {
        if (mnl != 8 || mxl != 8)
            return 0;
        int64_t lo = INT64_MAX, hi = INT64_MIN, a, b;
        for (size_t i = 0; i < o->values; i++) {
            int64_t x;
            memcpy(&x, v + 8 * i, 8);
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
        memcpy(&a, mn, 8);
        memcpy(&b, mx, 8);
        assert_true(lo == a);
        assert_true(hi == b);
        return 1;
    }
    case PQ_TYPE_FLOAT:
    case PQ_TYPE_DOUBLE: {
        size_t w = t == PQ_TYPE_FLOAT ? 4 : 8;
        if (mnl != w || mxl != w)
            return 0;
        double lo = INFINITY, hi = -INFINITY, a, b;
        for (size_t i = 0; i < o->values; i++) {
            double x;
            if (w == 4) {
                float f;
                memcpy(&f, v + 4 * i, 4);
                x = f;
            } else {
                memcpy(&x, v + 8 * i, 8);
            }
            if (isnan(x))
                return 0;
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
        if (w == 4) {
            float fa, fb;
            memcpy(&fa, mn, 4);
            memcpy(&fb, mx, 4);
            a = fa, b = fb;
        } else {
            memcpy(&a, mn, 8);
            memcpy(&b, mx, 8);
        }
        assert_true(lo == a);
        assert_true(hi == b);
        return 1;
    }
    default: return 0;
    }
}

typedef struct golden_totals {
    size_t files, chunks, levels, null_checks, minmax_checks;
} golden_totals;

static golden_totals g_tot;

static void check_golden_file(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    assert_non_null(slash);
    *slash = '\0';
    const char *key = slash + 1;
    delta_store *store;
    assert_int_equal(delta_store_open(&store, dir), 0);
    pq_file *f;
    int rc = pq_file_open(&f, store, key);
    if (rc)
        fail_msg("%s: %s", path, delta_error_last());
    const pq_file_meta *m = pq_file_metadata(f);
    const pq_schema *s = pq_file_schema(f);
    static const size_t sizes[] = {SIZE_MAX, 1000, 37, 1};
    /* every other file goes through one reader re-targeted chunk by chunk */
    g_reuse = NULL;
    if (g_tot.files % 2 && m->num_row_groups && s->num_leaves)
        assert_int_equal(pq_column_reader_open(&g_reuse, f, 0, 0), 0);
    for (uint32_t g = 0; g < m->num_row_groups; g++) {
        for (uint32_t c = 0; c < s->num_leaves; c++) {
            const pq_column_meta *cm = &m->row_groups[g].columns[c].meta_data;
            size_t max = sizes[(g + c + g_tot.files) % 4];
            if (max == 1 && cm->num_values > 20000)
                max = 1000; /* keep the suite fast */
            chunk_out o;
            rc = read_chunk(f, g, c, max, &o, true);
            if (rc)
                fail_msg("%s: %s", path, delta_error_last());
            assert_int_equal(o.levels, (size_t)cm->num_values);
            assert_int_equal(o.records, (size_t)m->row_groups[g].num_rows);
            if (cm->has_statistics && cm->statistics.has_null_count) {
                assert_int_equal((int64_t)(o.levels - o.values), cm->statistics.null_count);
                g_tot.null_checks++;
            }
            if (cm->has_statistics)
                g_tot.minmax_checks += (size_t)check_minmax(s->leaves[c], &cm->statistics, &o);
            g_tot.chunks++;
            g_tot.levels += o.levels;
            chunk_out_free(&o);
        }
    }
    g_tot.files++;
    pq_column_reader_free(g_reuse);
    g_reuse = NULL;
    pq_file_free(f);
    delta_store_free(store);
}

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (type == FTW_F && n > 8 && strcmp(path + n - 8, ".parquet") == 0)
        check_golden_file(path);
    return 0;
}

static void test_golden_files(void **state)
{
    (void)state;
    struct stat st;
    if (stat(DELTA_SHARED_DIR "/golden", &st) != 0) {
        skip();
        return;
    }
    memset(&g_tot, 0, sizeof g_tot);
    assert_int_equal(nftw(DELTA_SHARED_DIR "/golden", collect, 16, FTW_PHYS), 0);
    if (stat(DELTA_SHARED_DIR "/extra", &st) == 0)
        assert_int_equal(nftw(DELTA_SHARED_DIR "/extra", collect, 16, FTW_PHYS), 0);
    print_message("golden: %zu files, %zu chunks, %zu levels, %zu null-count and %zu "
                  "min/max statistics checked\n",
                  g_tot.files, g_tot.chunks, g_tot.levels, g_tot.null_checks, g_tot.minmax_checks);
    assert_true(g_tot.files >= 700);
    assert_true(g_tot.null_checks > 1000);
    assert_true(g_tot.minmax_checks > 500);
}

/* ================================================================== */
/* Hand-built files                                                    */
/* ================================================================== */

/* A column's expected content: values drawn from a pool by index. */
typedef struct col_data {
    int32_t type;
    size_t width; /* 0 for BYTE_ARRAY */
    size_t pool_n;
    uint8_t *pool;        /* fixed-width entries */
    pq_bytes_out pool_ba; /* BYTE_ARRAY entries */
    uint32_t *idx;        /* per value */
    size_t nvals;
    uint32_t *def, *rep; /* per level entry */
    size_t nlevels;
} col_data;

static void col_free(col_data *c)
{
    free(c->pool);
    pq_bytes_free(&c->pool_ba);
    free(c->idx);
    free(c->def);
    free(c->rep);
    memset(c, 0, sizeof *c);
}

static void make_pool(col_data *c, int32_t type, size_t width, size_t n)
{
    c->type = type;
    c->width = type == PQ_TYPE_BYTE_ARRAY ? 0 : width;
    c->pool_n = type == PQ_TYPE_BOOLEAN ? 2 : n;
    if (c->width) {
        c->pool = calloc(c->pool_n, c->width);
        for (size_t i = 0; i < c->pool_n; i++) {
            uint8_t *p = c->pool + i * c->width;
            if (type == PQ_TYPE_BOOLEAN) {
                p[0] = (uint8_t)i;
            } else if (type == PQ_TYPE_FLOAT) {
                float f = (float)((double)(int64_t)rnd() / 1e9);
                memcpy(p, &f, 4);
            } else if (type == PQ_TYPE_DOUBLE) {
                double d = (double)(int64_t)rnd() / 1e6;
                memcpy(p, &d, 8);
            } else {
                for (size_t k = 0; k < c->width; k++)
                    p[k] = (uint8_t)rnd();
                if (i % 3 == 0 && c->width >= 4) /* small numbers too */
                    memset(p + 2, i % 2 ? 0xff : 0, c->width - 2);
            }
        }
    } else {
        c->pool_ba = (pq_bytes_out)PQ_BYTES_OUT_INIT;
        char s[64];
        for (size_t i = 0; i < c->pool_n; i++) {
            size_t l = (size_t)(rnd() % 40);
            for (size_t k = 0; k < l; k++)
                s[k] = (char)('a' + rnd() % 26);
            if (i % 4 == 1 && l > 3)
                memcpy(s, "pre", 3); /* shared prefixes for DELTA_BYTE_ARRAY */
            pq_bytes_append(&c->pool_ba, s, l);
        }
    }
}

/* Flat column: n entries, nulls when optional. */
static void make_flat(col_data *c, size_t n, bool optional)
{
    c->nlevels = n;
    c->def = calloc(n + 1, sizeof *c->def);
    c->idx = calloc(n + 1, sizeof *c->idx);
    for (size_t i = 0; i < n; i++) {
        c->def[i] = optional ? (rnd() % 5 != 0) : 0;
        if (!optional || c->def[i])
            c->idx[c->nvals++] = (uint32_t)(rnd() % c->pool_n);
    }
}

/* list<element> column: max_def 3, max_rep 1. */
static void make_lists(col_data *c, size_t records)
{
    size_t cap = records * 6 + 1;
    c->def = calloc(cap, sizeof *c->def);
    c->rep = calloc(cap, sizeof *c->rep);
    c->idx = calloc(cap, sizeof *c->idx);
    for (size_t r = 0; r < records; r++) {
        unsigned kind = (unsigned)(rnd() % 8);
        if (kind == 0 || kind == 1) { /* null list, empty list */
            c->rep[c->nlevels] = 0;
            c->def[c->nlevels++] = kind;
            continue;
        }
        size_t len = 1 + rnd() % 5;
        for (size_t k = 0; k < len; k++) {
            c->rep[c->nlevels] = k ? 1 : 0;
            bool val = rnd() % 6 != 0;
            c->def[c->nlevels++] = val ? 3 : 2;
            if (val)
                c->idx[c->nvals++] = (uint32_t)(rnd() % c->pool_n);
        }
    }
}

/* Materialises values [v0, v0+k) as fixed bytes or byte arrays. */
static void materialise(const col_data *c, size_t v0, size_t k, dbuf *fixed, pq_bytes_out *ba)
{
    for (size_t i = v0; i < v0 + k; i++) {
        uint32_t j = c->idx[i];
        if (c->width)
            dbuf_append(fixed, c->pool + (size_t)j * c->width, c->width);
        else
            pq_bytes_append(ba, c->pool_ba.data.data + c->pool_ba.offsets[j],
                            (size_t)(c->pool_ba.offsets[j + 1] - c->pool_ba.offsets[j]));
    }
}

static void encode_values(const col_data *c, size_t v0, size_t k, int32_t enc, dbuf *out)
{
    dbuf fx = DBUF_INIT;
    pq_bytes_out ba = PQ_BYTES_OUT_INIT;
    materialise(c, v0, k, &fx, &ba);
    pq_bytes_reserve(&ba, 0, 0);
    int32_t *offs = NULL;
    if (c->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY) {
        offs = calloc(k + 1, sizeof *offs);
        for (size_t i = 0; i <= k; i++)
            offs[i] = (int32_t)(i * c->width);
    }
    int rc = 0;
    switch (enc) {
    case PQ_ENC_PLAIN:
        if (c->type == PQ_TYPE_BOOLEAN)
            rc = pq_plain_encode_bool(out, fx.data, k);
        else if (c->type == PQ_TYPE_BYTE_ARRAY)
            rc = pq_plain_encode_byte_array(out, ba.offsets, ba.data.data, k);
        else
            rc = pq_plain_encode_fixed(out, fx.data, k, c->width);
        break;
    case PQ_ENC_RLE: rc = pq_rle_encode_bool(out, fx.data, k); break;
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY:
        rc = pq_rle_encode_dict(out, c->idx + v0, k, pq_bit_width32((uint32_t)c->pool_n - 1));
        break;
    case PQ_ENC_DELTA_BINARY_PACKED:
        if (c->type == PQ_TYPE_INT32)
            rc = pq_delta_encode_int32(out, (const int32_t *)(const void *)fx.data, k);
        else
            rc = pq_delta_encode_int64(out, (const int64_t *)(const void *)fx.data, k);
        break;
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        rc = pq_dlba_encode(out, ba.offsets, ba.data.data, k);
        break;
    case PQ_ENC_DELTA_BYTE_ARRAY:
        if (offs)
            rc = pq_dba_encode(out, offs, fx.data, k);
        else
            rc = pq_dba_encode(out, ba.offsets, ba.data.data, k);
        break;
    case PQ_ENC_BYTE_STREAM_SPLIT: rc = pq_bss_encode(out, fx.data, k, c->width); break;
    default: fail_msg("no encoder for %d", enc);
    }
    assert_int_equal(rc, 0);
    free(offs);
    dbuf_free(&fx);
    pq_bytes_free(&ba);
}

static void dict_page(tb *t, const col_data *c)
{
    dbuf d = DBUF_INIT;
    col_data all = *c;
    uint32_t *ids = calloc(c->pool_n, sizeof *ids);
    for (size_t i = 0; i < c->pool_n; i++)
        ids[i] = (uint32_t)i;
    all.idx = ids;
    encode_values(&all, 0, c->pool_n, PQ_ENC_PLAIN, &d);
    assert_int_equal(tb_dict_page(t, &d, (int32_t)c->pool_n), 0);
    free(ids);
    dbuf_free(&d);
}

/* Writes the column's levels and values as data pages; page boundaries
 * fall at `cuts` level positions (v2 pages only at record starts). */
static void data_pages(tb *t, const col_data *c, int32_t enc, int version, size_t npages,
                       const pq_schema_node *leaf)
{
    size_t lv = 0, v = 0;
    for (size_t p = 0; p < npages; p++) {
        size_t end = p + 1 == npages ? c->nlevels : (c->nlevels * (p + 1)) / npages;
        if (p + 1 < npages)
            end += (size_t)(rnd() % 7); /* uneven pages */
        if (end > c->nlevels)
            end = c->nlevels;
        if (version == 2 && c->rep)
            while (end < c->nlevels && c->rep[end] != 0)
                end++;
        if (end < lv)
            end = lv;
        size_t k = 0;
        for (size_t i = lv; i < end; i++)
            k += leaf->max_def == 0 || c->def[i] == (uint32_t)leaf->max_def;
        dbuf vals = DBUF_INIT;
        if (k)
            encode_values(c, v, k, enc, &vals);
        else if (enc == PQ_ENC_PLAIN_DICTIONARY || enc == PQ_ENC_RLE_DICTIONARY)
            dbuf_putc(&vals, 0);
        int rc = version == 1 ? tb_v1_page(t, (int32_t)(end - lv), c->def + lv,
                                           c->rep ? c->rep + lv : NULL, enc, &vals)
                              : tb_v2_page(t, (int32_t)(end - lv), c->def + lv,
                                           c->rep ? c->rep + lv : NULL, enc, &vals, rnd() % 4 != 0);
        assert_int_equal(rc, 0);
        dbuf_free(&vals);
        lv = end;
        v += k;
    }
    assert_int_equal(v, c->nvals);
}

/* Compares what a chunk read produced with the expected column. */
static void check_same(const col_data *c, const chunk_out *o, const pq_schema_node *leaf)
{
    assert_int_equal(o->levels, c->nlevels);
    assert_int_equal(o->values, c->nvals);
    for (size_t i = 0; i < c->nlevels; i++) {
        if (leaf->max_def)
            assert_int_equal(o->def[i], (int16_t)c->def[i]);
        if (leaf->max_rep)
            assert_int_equal(o->rep[i], (int16_t)c->rep[i]);
    }
    dbuf fx = DBUF_INIT;
    pq_bytes_out ba = PQ_BYTES_OUT_INIT;
    materialise(c, 0, c->nvals, &fx, &ba);
    if (c->width) {
        assert_int_equal(o->vals.len, fx.len);
        if (fx.len)
            assert_memory_equal(o->vals.data, fx.data, fx.len);
    } else {
        assert_int_equal(o->bytes.count, ba.count);
        assert_int_equal(o->bytes.data.len, ba.data.len);
        if (ba.count) {
            assert_memory_equal(o->bytes.offsets, ba.offsets, (ba.count + 1) * sizeof(int32_t));
            if (ba.data.len)
                assert_memory_equal(o->bytes.data.data, ba.data.data, ba.data.len);
        }
    }
    dbuf_free(&fx);
    pq_bytes_free(&ba);
}

/* One optional (or required) column chunk with the given parameters,
 * round-tripped through a file in a memory store. */
static void roundtrip_flat(int32_t type, int32_t enc, int codec, int version, bool optional,
                           size_t n, bool dict_offset)
{
    tb t;
    tb_init(&t);
    tb_elem(&t, "schema", -1, -1, 0, 1);
    size_t width = type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY ? 5 : 0;
    tb_elem(&t, "v", optional ? PQ_REP_OPTIONAL : PQ_REP_REQUIRED, type, (int)width, 0);
    assert_int_equal(tb_schema_done(&t), 0);
    const pq_schema_node *leaf = t.schema->leaves[0];
    col_data c;
    memset(&c, 0, sizeof c);
    make_pool(&c, type, type_width(leaf), 1 + rnd() % 50);
    make_flat(&c, n, optional);
    tb_chunk_begin(&t, 0, 0, codec);
    bool dict = enc == PQ_ENC_PLAIN_DICTIONARY || enc == PQ_ENC_RLE_DICTIONARY;
    if (dict) {
        dict_page(&t, &c);
        t.set_dict_off = dict_offset;
    }
    data_pages(&t, &c, enc, version, 1 + rnd() % 4, leaf);
    tb_chunk_end(&t);
    tb_row_group_end(&t, 0, (int64_t)n);
    assert_int_equal(tb_finish(&t), 0);

    /* Through a memory store (ranged reads) and a buffer alike. */
    delta_store *st;
    assert_int_equal(delta_store_open(&st, "memory://column-reader"), 0);
    assert_int_equal(delta_store_put(st, "f.parquet", t.file.data, t.file.len), 0);
    pq_file *f;
    for (int src = 0; src < 2; src++) {
        int rc = src ? pq_file_open_buffer(&f, t.file.data, t.file.len, "built")
                     : pq_file_open(&f, st, "f.parquet");
        if (rc)
            fail_msg("open: %s", delta_error_last());
        static const size_t sizes[] = {1, 3, 100, SIZE_MAX};
        chunk_out o;
        rc = read_chunk(f, 0, 0, sizes[rnd() % 4], &o, true);
        if (rc)
            fail_msg("type %s enc %s codec %s v%d: %s", pq_type_name(type), pq_encoding_name(enc),
                     pq_codec_name(codec), version, delta_error_last());
        assert_int_equal(o.records, n);
        check_same(&c, &o, leaf);
        chunk_out_free(&o);
        pq_file_free(f);
    }
    delta_store_free(st);
    col_free(&c);
    tb_free(&t);
}

static const int CODECS[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP,
                             PQ_CODEC_BROTLI,       PQ_CODEC_LZ4,    PQ_CODEC_ZSTD,
                             PQ_CODEC_LZ4_RAW};

static void test_every_encoding(void **state)
{
    (void)state;
    static const struct {
        int32_t type;
        int32_t encs[5];
    } combos[] = {
        {PQ_TYPE_BOOLEAN, {PQ_ENC_PLAIN, PQ_ENC_RLE, PQ_ENC_RLE_DICTIONARY, -1}},
        {PQ_TYPE_INT32,
         {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_DELTA_BINARY_PACKED, PQ_ENC_BYTE_STREAM_SPLIT,
          -1}},
        {PQ_TYPE_INT64,
         {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_DELTA_BINARY_PACKED, PQ_ENC_BYTE_STREAM_SPLIT,
          -1}},
        {PQ_TYPE_INT96, {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, -1}},
        {PQ_TYPE_FLOAT, {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_BYTE_STREAM_SPLIT, -1}},
        {PQ_TYPE_DOUBLE, {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_BYTE_STREAM_SPLIT, -1}},
        {PQ_TYPE_BYTE_ARRAY,
         {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_DELTA_LENGTH_BYTE_ARRAY,
          PQ_ENC_DELTA_BYTE_ARRAY, -1}},
        {PQ_TYPE_FIXED_LEN_BYTE_ARRAY,
         {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_DELTA_BYTE_ARRAY, PQ_ENC_BYTE_STREAM_SPLIT,
          -1}},
    };
    size_t k = 0;
    for (size_t i = 0; i < sizeof combos / sizeof combos[0]; i++) {
        for (size_t e = 0; combos[i].encs[e] >= 0; e++) {
            for (int version = 1; version <= 2; version++) {
                for (int optional = 0; optional < 2; optional++) {
                    int32_t enc = combos[i].encs[e];
                    if (enc == PQ_ENC_RLE_DICTIONARY && version == 1)
                        enc = PQ_ENC_PLAIN_DICTIONARY;
                    int codec = CODECS[k++ % 7];
                    roundtrip_flat(combos[i].type, enc, codec, version, optional, 1 + rnd() % 3000,
                                   rnd() % 2);
                }
            }
        }
    }
}

static void test_every_codec(void **state)
{
    (void)state;
    for (size_t i = 0; i < 7; i++)
        for (int version = 1; version <= 2; version++) {
            roundtrip_flat(PQ_TYPE_BYTE_ARRAY, PQ_ENC_PLAIN, CODECS[i], version, true, 5000, true);
            roundtrip_flat(PQ_TYPE_INT64,
                           version == 1 ? PQ_ENC_PLAIN_DICTIONARY : PQ_ENC_RLE_DICTIONARY,
                           CODECS[i], version, true, 5000, true);
        }
}

/* Builds a one-column file with a list<element> column. */
static void build_list_file(tb *t, col_data *c, int32_t type, int32_t enc, int version, int codec,
                            size_t records, size_t npages)
{
    tb_init(t);
    tb_elem(t, "schema", -1, -1, 0, 1);
    pq_schema_element *l = tb_elem(t, "l", PQ_REP_OPTIONAL, -1, 0, 1);
    l->has_converted_type = true;
    l->converted_type = PQ_CT_LIST;
    tb_elem(t, "list", PQ_REP_REPEATED, -1, 0, 1);
    tb_elem(t, "element", PQ_REP_OPTIONAL, type, 3, 0);
    assert_int_equal(tb_schema_done(t), 0);
    const pq_schema_node *leaf = t->schema->leaves[0];
    assert_int_equal(leaf->max_def, 3);
    assert_int_equal(leaf->max_rep, 1);
    memset(c, 0, sizeof *c);
    make_pool(c, type, type_width(leaf), 30);
    make_lists(c, records);
    tb_chunk_begin(t, 0, 0, codec);
    if (enc == PQ_ENC_RLE_DICTIONARY || enc == PQ_ENC_PLAIN_DICTIONARY)
        dict_page(t, c);
    data_pages(t, c, enc, version, npages, leaf);
    tb_chunk_end(t);
    tb_row_group_end(t, 0, (int64_t)records);
    assert_int_equal(tb_finish(t), 0);
}

static void test_nested_batches(void **state)
{
    (void)state;
    for (int round = 0; round < 12; round++) {
        tb t;
        col_data c;
        int32_t type = round % 3 == 0   ? PQ_TYPE_BYTE_ARRAY
                       : round % 3 == 1 ? PQ_TYPE_INT32
                                        : PQ_TYPE_FIXED_LEN_BYTE_ARRAY;
        int32_t enc = round % 2
                          ? PQ_ENC_PLAIN
                          : (round % 4 == 0 ? PQ_ENC_PLAIN_DICTIONARY : PQ_ENC_RLE_DICTIONARY);
        int version = 1 + (round / 2) % 2;
        size_t records = 500 + (size_t)round * 37;
        build_list_file(&t, &c, type, enc, version, CODECS[round % 7], records,
                        2 + (size_t)round % 5);
        pq_file *f;
        assert_int_equal(pq_file_open_buffer(&f, t.file.data, t.file.len, "lists"), 0);
        static const size_t sizes[] = {1, 2, 3, 7, 64, 1000, SIZE_MAX};
        for (size_t s = 0; s < 7; s++) {
            chunk_out o;
            int rc = read_chunk(f, 0, 0, sizes[s], &o, true);
            if (rc)
                fail_msg("%s", delta_error_last());
            assert_int_equal(o.records, records);
            if (sizes[s] < records)
                assert_true(o.batches >= (records + sizes[s] - 1) / sizes[s]);
            check_same(&c, &o, t.schema->leaves[0]);
            chunk_out_free(&o);
        }
        pq_file_free(f);
        col_free(&c);
        tb_free(&t);
    }
}

/* A required column: no levels, records = values. */
static void test_required_and_empty(void **state)
{
    (void)state;
    roundtrip_flat(PQ_TYPE_INT32, PQ_ENC_PLAIN, PQ_CODEC_SNAPPY, 1, false, 1234, true);
    roundtrip_flat(PQ_TYPE_BYTE_ARRAY, PQ_ENC_RLE_DICTIONARY, PQ_CODEC_ZSTD, 2, false, 77, false);
    /* An empty chunk: no pages at all. */
    tb t;
    tb_init(&t);
    tb_elem(&t, "schema", -1, -1, 0, 1);
    tb_elem(&t, "v", PQ_REP_OPTIONAL, PQ_TYPE_INT64, 0, 0);
    assert_int_equal(tb_schema_done(&t), 0);
    tb_chunk_begin(&t, 0, 0, PQ_CODEC_UNCOMPRESSED);
    tb_chunk_end(&t);
    tb_row_group_end(&t, 0, 0);
    assert_int_equal(tb_finish(&t), 0);
    pq_file *f;
    assert_int_equal(pq_file_open_buffer(&f, t.file.data, t.file.len, "empty"), 0);
    chunk_out o;
    assert_int_equal(read_chunk(f, 0, 0, 10, &o, true), 0);
    assert_int_equal(o.levels, 0);
    assert_int_equal(o.batches, 0);
    chunk_out_free(&o);
    pq_file_free(f);
    tb_free(&t);
}

/* Dictionary page without dictionary_page_offset, an index page in the
 * middle, legacy BIT_PACKED levels, two row groups. */
static void test_layouts(void **state)
{
    (void)state;
    /* dictionary found as the first page */
    for (int v = 1; v <= 2; v++)
        roundtrip_flat(PQ_TYPE_DOUBLE, v == 1 ? PQ_ENC_PLAIN_DICTIONARY : PQ_ENC_RLE_DICTIONARY,
                       PQ_CODEC_GZIP, v, true, 999, false);

    tb t;
    tb_init(&t);
    tb_elem(&t, "schema", -1, -1, 0, 2);
    tb_elem(&t, "a", PQ_REP_OPTIONAL, PQ_TYPE_INT32, 0, 0);
    tb_elem(&t, "b", PQ_REP_REPEATED, PQ_TYPE_INT32, 0, 0);
    assert_int_equal(tb_schema_done(&t), 0);
    int32_t vals[6] = {1, 2, 3, 4, 5, 6};
    dbuf plain = DBUF_INIT;
    pq_plain_encode_int32(&plain, vals, 6);
    for (int g = 0; g < 2; g++) {
        /* a: a v1 page with BIT_PACKED def levels, then an index page */
        tb_chunk_begin(&t, g, 0, PQ_CODEC_SNAPPY);
        uint32_t def[8] = {1, 0, 1, 1, 0, 1, 1, 1};
        dbuf body = DBUF_INIT;
        pq_bitpacked_legacy_encode(&body, def, 8, 1);
        dbuf_append(&body, plain.data, 24);
        pq_page_header h;
        memset(&h, 0, sizeof h);
        h.type = PQ_PAGE_DATA;
        h.has_data_page_header = true;
        h.data_page_header.num_values = 8;
        h.data_page_header.encoding = PQ_ENC_PLAIN;
        h.data_page_header.definition_level_encoding = PQ_ENC_BIT_PACKED;
        h.data_page_header.repetition_level_encoding = PQ_ENC_BIT_PACKED;
        assert_int_equal(tb_page(&t, &h, body.data, body.len, 0, false), 0);
        dbuf_free(&body);
        pq_page_header ih;
        memset(&ih, 0, sizeof ih);
        ih.type = PQ_PAGE_INDEX;
        ih.has_index_page_header = true;
        assert_int_equal(tb_page(&t, &ih, (const uint8_t *)"junk", 4, 0, false), 0);
        tb_chunk_end(&t);
        /* b: repeated int32 (max_def 1, max_rep 1), records of 0..2 */
        tb_chunk_begin(&t, g, 1, PQ_CODEC_UNCOMPRESSED);
        uint32_t bdef[10] = {1, 1, 0, 1, 1, 1, 0, 1, 1, 0};
        uint32_t brep[10] = {0, 1, 0, 0, 0, 0, 0, 0, 1, 0};
        dbuf bv = DBUF_INIT;
        int32_t bvals[7] = {10, 11, 12, 13, 14, 15, 16};
        pq_plain_encode_int32(&bv, bvals, 7);
        assert_int_equal(tb_v1_page(&t, 10, bdef, brep, PQ_ENC_PLAIN, &bv), 0);
        dbuf_free(&bv);
        tb_chunk_end(&t);
        tb_row_group_end(&t, g, 8);
    }
    dbuf_free(&plain);
    assert_int_equal(tb_finish(&t), 0);
    pq_file *f;
    assert_int_equal(pq_file_open_buffer(&f, t.file.data, t.file.len, "layouts"), 0);
    for (uint32_t g = 0; g < 2; g++) {
        chunk_out o;
        assert_int_equal(read_chunk(f, g, 0, 3, &o, true), 0);
        assert_int_equal(o.levels, 8);
        assert_int_equal(o.values, 6);
        assert_int_equal(o.records, 8);
        assert_int_equal(o.batches, 3);
        assert_int_equal(o.def[1], 0);
        int32_t got[6];
        memcpy(got, o.vals.data, sizeof got);
        for (int i = 0; i < 6; i++)
            assert_int_equal(got[i], i + 1);
        chunk_out_free(&o);

        assert_int_equal(read_chunk(f, g, 1, 2, &o, true), 0);
        assert_int_equal(o.levels, 10);
        assert_int_equal(o.values, 7);
        assert_int_equal(o.records, 8);
        assert_int_equal(o.batches, 4);
        chunk_out_free(&o);
    }
    /* one record at a time: the batch boundaries are the records */
    pq_column_reader *r;
    assert_int_equal(pq_column_reader_open(&r, f, 1, 1), 0);
    pq_column_batch b = PQ_COLUMN_BATCH_INIT;
    static const size_t expect_levels[] = {2, 1, 1, 1, 1, 1, 2};
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(pq_column_reader_read(r, 1, &b), 0);
        assert_int_equal(b.num_records, 1);
        assert_int_equal(b.num_levels, expect_levels[i]);
    }
    assert_int_equal(pq_column_reader_read(r, 0, &b), 0); /* zero asks for nothing */
    assert_int_equal(b.num_records, 0);
    assert_int_equal(pq_column_reader_read(r, 5, &b), 0);
    assert_int_equal(b.num_records, 1);
    assert_int_equal(b.num_levels, 1);
    assert_int_equal(b.def[0], 0);
    assert_int_equal(pq_column_reader_read(r, 5, &b), 0);
    assert_int_equal(b.num_records, 0);
    pq_column_batch_free(&b);
    pq_column_reader_free(r);
    /* one reader re-targeted across chunks, through a failed reopen */
    assert_int_equal(pq_column_reader_open(&r, f, 0, 1), 0);
    assert_int_equal(pq_column_reader_read(r, 3, &b), 0);
    assert_int_equal(b.num_records, 3);
    assert_int_equal(pq_column_reader_reopen(r, 0, 7), DELTA_EINVAL);
    assert_int_equal(pq_column_reader_read(r, 3, &b), DELTA_EINVAL);
    assert_int_equal(pq_column_reader_reopen(r, 1, 0), 0);
    assert_int_equal(pq_column_reader_leaf(r)->leaf_index, 0);
    assert_int_equal(pq_column_reader_read(r, 100, &b), 0);
    assert_int_equal(b.num_records, 8);
    assert_int_equal(b.num_values, 6);
    assert_null(b.rep);
    assert_int_equal(pq_column_reader_reopen(r, 0, 1), 0);
    assert_int_equal(pq_column_reader_read(r, 100, &b), 0);
    assert_int_equal(b.num_records, 8);
    assert_int_equal(b.num_levels, 10);
    assert_non_null(b.rep);
    pq_column_batch_free(&b);
    pq_column_reader_free(r);
    /* out-of-range chunk */
    assert_int_equal(pq_column_reader_open(&r, f, 2, 0), DELTA_EINVAL);
    assert_int_equal(pq_column_reader_open(&r, f, 0, 2), DELTA_EINVAL);
    pq_file_free(f);
    tb_free(&t);
}

/* ================================================================== */
/* Corrupt files                                                       */
/* ================================================================== */

/* Reads every column of every row group; returns the first error. */
static int read_all(const uint8_t *data, size_t len, size_t max_records)
{
    pq_file *f;
    int rc = pq_file_open_buffer(&f, data, len, "hostile.parquet");
    if (rc)
        return rc;
    const pq_file_meta *m = pq_file_metadata(f);
    for (uint32_t g = 0; g < m->num_row_groups && rc == 0; g++)
        for (uint32_t c = 0; c < pq_file_schema(f)->num_leaves && rc == 0; c++) {
            pq_column_reader *r;
            rc = pq_column_reader_open(&r, f, g, c);
            if (rc)
                break;
            pq_column_batch b = PQ_COLUMN_BATCH_INIT;
            do
                rc = pq_column_reader_read(r, max_records, &b);
            while (rc == 0 && b.num_records);
            if (rc) {
                /* sticky */
                int again = pq_column_reader_read(r, max_records, &b);
                assert_int_equal(again, rc);
            }
            pq_column_batch_free(&b);
            pq_column_reader_free(r);
        }
    pq_file_free(f);
    return rc;
}

static void expect_corrupt(const tb *t, const char *needle)
{
    int rc = read_all(t->file.data, t->file.len, 100);
    if (rc != DELTA_ECORRUPT || !strstr(delta_error_last(), needle))
        fail_msg("expected corruption \"%s\", got %s: %s", needle, delta_error_name(rc),
                 delta_error_last());
    /* every message names the file, the row group and the column */
    assert_non_null(strstr(delta_error_last(), "hostile.parquet"));
    assert_non_null(strstr(delta_error_last(), "row group 0, column v"));
}

/* One optional INT32 column; `mutate` changes one thing. */
typedef void (*mutator)(tb *t);

static void build_one(tb *t, mutator mutate, int codec)
{
    tb_init(t);
    tb_elem(t, "schema", -1, -1, 0, 1);
    tb_elem(t, "v", PQ_REP_OPTIONAL, PQ_TYPE_INT32, 0, 0);
    assert_int_equal(tb_schema_done(t), 0);
    tb_chunk_begin(t, 0, 0, codec);
    mutate(t);
    tb_chunk_end(t);
    tb_row_group_end(t, 0, 4);
    assert_int_equal(tb_finish(t), 0);
}

static const uint32_t DEF4[4] = {1, 1, 0, 1};

static void good_page(tb *t)
{
    int32_t v[3] = {7, 8, 9};
    dbuf d = DBUF_INIT;
    pq_plain_encode_int32(&d, v, 3);
    assert_int_equal(tb_v1_page(t, 4, DEF4, NULL, PQ_ENC_PLAIN, &d), 0);
    dbuf_free(&d);
}

static void m_count_mismatch(tb *t)
{
    good_page(t);
    t->num_values_override = 5;
}

static void m_more_than_meta(tb *t)
{
    good_page(t);
    good_page(t);
    t->num_values_override = 4;
}

/* An RLE run whose value does not fit the level bit width. */
static void m_level_width(tb *t)
{
    dbuf body = DBUF_INIT, vals = DBUF_INIT;
    int32_t v[4] = {1, 2, 3, 4};
    pq_plain_encode_int32(&vals, v, 4);
    uint8_t lv[] = {2, 0, 0, 0, (uint8_t)(4 << 1), 2}; /* 4 x value 2 at width 1 */
    dbuf_append(&body, lv, sizeof lv);
    dbuf_append(&body, vals.data, vals.len);
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA;
    h.has_data_page_header = true;
    h.data_page_header.num_values = 4;
    h.data_page_header.encoding = PQ_ENC_PLAIN;
    h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
    h.data_page_header.repetition_level_encoding = PQ_ENC_RLE;
    assert_int_equal(tb_page(t, &h, body.data, body.len, 0, false), 0);
    dbuf_free(&body);
    dbuf_free(&vals);
}

static void m_dict_index(tb *t)
{
    int32_t dv[2] = {5, 6};
    dbuf d = DBUF_INIT;
    pq_plain_encode_int32(&d, dv, 2);
    assert_int_equal(tb_dict_page(t, &d, 2), 0);
    dbuf_reset(&d);
    uint32_t idx[3] = {0, 1, 2};
    pq_rle_encode_dict(&d, idx, 3, 2);
    assert_int_equal(tb_v1_page(t, 4, DEF4, NULL, PQ_ENC_RLE_DICTIONARY, &d), 0);
    dbuf_free(&d);
}

static void m_no_dict(tb *t)
{
    dbuf d = DBUF_INIT;
    uint32_t idx[3] = {0, 1, 0};
    pq_rle_encode_dict(&d, idx, 3, 1);
    assert_int_equal(tb_v1_page(t, 4, DEF4, NULL, PQ_ENC_PLAIN_DICTIONARY, &d), 0);
    dbuf_free(&d);
}

static void m_dict_after_data(tb *t)
{
    good_page(t);
    int32_t dv[2] = {5, 6};
    dbuf d = DBUF_INIT;
    pq_plain_encode_int32(&d, dv, 2);
    assert_int_equal(tb_dict_page(t, &d, 2), 0);
    dbuf_free(&d);
}

static void m_short_values(tb *t)
{
    int32_t v[2] = {7, 8};
    dbuf d = DBUF_INIT;
    pq_plain_encode_int32(&d, v, 2);
    assert_int_equal(tb_v1_page(t, 4, DEF4, NULL, PQ_ENC_PLAIN, &d), 0);
    dbuf_free(&d);
}

static void m_bomb(tb *t)
{
    int32_t v[3] = {7, 8, 9};
    dbuf vals = DBUF_INIT, body = DBUF_INIT;
    pq_plain_encode_int32(&vals, v, 3);
    pq_rle_encode_prefixed(&body, DEF4, 4, 1);
    dbuf_append(&body, vals.data, vals.len);
    dbuf packed = DBUF_INIT;
    assert_int_equal(pq_compress(PQ_CODEC_SNAPPY, 0, body.data, body.len, &packed), 0);
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA;
    h.has_data_page_header = true;
    h.data_page_header.num_values = 4;
    h.data_page_header.encoding = PQ_ENC_PLAIN;
    h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
    h.compressed_page_size = (int32_t)packed.len;
    h.uncompressed_page_size = 512 * 1024 * 1024; /* far beyond 32x */
    assert_int_equal(tb_page(t, &h, packed.data, packed.len, 0, true), 0);
    dbuf_free(&packed);
    dbuf_free(&body);
    dbuf_free(&vals);
}

static void m_page_past_chunk(tb *t)
{
    int32_t v[3] = {7, 8, 9};
    dbuf vals = DBUF_INIT, body = DBUF_INIT;
    pq_plain_encode_int32(&vals, v, 3);
    pq_rle_encode_prefixed(&body, DEF4, 4, 1);
    dbuf_append(&body, vals.data, vals.len);
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA;
    h.has_data_page_header = true;
    h.data_page_header.num_values = 4;
    h.compressed_page_size = h.uncompressed_page_size = (int32_t)body.len + 10;
    assert_int_equal(tb_page(t, &h, body.data, body.len, 0, true), 0);
    dbuf_free(&body);
    dbuf_free(&vals);
}

static void m_v2_nulls(tb *t)
{
    int32_t v[3] = {7, 8, 9};
    dbuf vals = DBUF_INIT;
    pq_plain_encode_int32(&vals, v, 3);
    const pq_schema_node *leaf = t->schema->leaves[0];
    (void)leaf;
    dbuf body = DBUF_INIT;
    pq_rle_encode(&body, DEF4, 4, 1);
    size_t dl = body.len;
    dbuf_append(&body, vals.data, vals.len);
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA_V2;
    h.has_data_page_header_v2 = true;
    h.data_page_header_v2.num_values = 4;
    h.data_page_header_v2.num_nulls = 2; /* the levels say 1 */
    h.data_page_header_v2.num_rows = 4;
    h.data_page_header_v2.definition_levels_byte_length = (int32_t)dl;
    h.data_page_header_v2.is_compressed = false;
    assert_int_equal(tb_page(t, &h, body.data, body.len, dl, false), 0);
    dbuf_free(&body);
    dbuf_free(&vals);
}

static void m_v2_level_lengths(tb *t)
{
    dbuf body = DBUF_INIT;
    dbuf_append(&body, "abcd", 4);
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA_V2;
    h.has_data_page_header_v2 = true;
    h.data_page_header_v2.num_values = 4;
    h.data_page_header_v2.num_rows = 4;
    h.data_page_header_v2.definition_levels_byte_length = 100;
    h.data_page_header_v2.is_compressed = false;
    h.compressed_page_size = h.uncompressed_page_size = 4;
    assert_int_equal(tb_page(t, &h, body.data, body.len, 0, true), 0);
    dbuf_free(&body);
}

static void test_corrupt_pages(void **state)
{
    (void)state;
    static const struct {
        mutator m;
        const char *needle;
    } cases[] = {
        {m_count_mismatch, "announces 5 values but its pages hold 4"},
        {m_more_than_meta, "more than the 4 values"},
        {m_level_width, "does not fit bit width"},
        {m_dict_index, "dictionary index 2 out of range"},
        {m_no_dict, "no dictionary page"},
        {m_dict_after_data, "dictionary page after a data page"},
        {m_short_values, "PLAIN INT32"},
        {m_bomb, "can expand"},
        {m_page_past_chunk, "runs past the end of the chunk"},
        {m_v2_nulls, "announces 2 nulls"},
        {m_v2_level_lengths, "level lengths"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tb t;
        build_one(&t, cases[i].m, i % 2 ? PQ_CODEC_SNAPPY : PQ_CODEC_UNCOMPRESSED);
        expect_corrupt(&t, cases[i].needle);
        assert_non_null(strstr(delta_error_last(), "page at offset"));
        tb_free(&t);
    }
    /* sanity: the good page alone reads */
    tb t;
    build_one(&t, good_page, PQ_CODEC_SNAPPY);
    assert_int_equal(read_all(t.file.data, t.file.len, 100), 0);
    /* ... unless the row group claims another row count */
    t.file.len = t.footer_at;
    t.groups[0].num_rows = 5;
    t.meta.num_rows = 5;
    assert_int_equal(tb_finish(&t), 0);
    expect_corrupt(&t, "row group has 5 rows but the chunk holds 4 records");
    tb_free(&t);
}

/* max_def 2 is stored at width 2, so a 3 decodes but is above the max. */
static void test_level_above_max(void **state)
{
    (void)state;
    tb t;
    tb_init(&t);
    tb_elem(&t, "schema", -1, -1, 0, 1);
    tb_elem(&t, "g", PQ_REP_OPTIONAL, -1, 0, 1);
    tb_elem(&t, "v", PQ_REP_OPTIONAL, PQ_TYPE_INT32, 0, 0);
    assert_int_equal(tb_schema_done(&t), 0);
    tb_chunk_begin(&t, 0, 0, PQ_CODEC_UNCOMPRESSED);
    uint32_t def[3] = {2, 3, 1};
    int32_t v[2] = {1, 2};
    dbuf d = DBUF_INIT;
    pq_plain_encode_int32(&d, v, 2);
    assert_int_equal(tb_v1_page(&t, 3, def, NULL, PQ_ENC_PLAIN, &d), 0);
    dbuf_free(&d);
    tb_chunk_end(&t);
    tb_row_group_end(&t, 0, 3);
    assert_int_equal(tb_finish(&t), 0);
    int rc = read_all(t.file.data, t.file.len, 10);
    assert_int_equal(rc, DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "definition level above the maximum 2"));
    assert_non_null(strstr(delta_error_last(), "column g.v"));
    tb_free(&t);
}

/* A chunk of a repeated column must start a record. */
static void test_rep_start(void **state)
{
    (void)state;
    tb t;
    tb_init(&t);
    tb_elem(&t, "schema", -1, -1, 0, 1);
    tb_elem(&t, "v", PQ_REP_REPEATED, PQ_TYPE_INT32, 0, 0);
    assert_int_equal(tb_schema_done(&t), 0);
    tb_chunk_begin(&t, 0, 0, PQ_CODEC_UNCOMPRESSED);
    uint32_t def[3] = {1, 1, 1}, rep[3] = {1, 0, 1};
    int32_t v[3] = {1, 2, 3};
    dbuf d = DBUF_INIT;
    pq_plain_encode_int32(&d, v, 3);
    assert_int_equal(tb_v1_page(&t, 3, def, rep, PQ_ENC_PLAIN, &d), 0);
    dbuf_free(&d);
    tb_chunk_end(&t);
    tb_row_group_end(&t, 0, 1);
    assert_int_equal(tb_finish(&t), 0);
    expect_corrupt(&t, "starts with repetition level 1");
    tb_free(&t);
}

/* ================================================================== */
/* Hostile input                                                       */
/* ================================================================== */

static void build_small_mixed(tb *t)
{
    tb_init(t);
    tb_elem(t, "schema", -1, -1, 0, 3);
    tb_elem(t, "a", PQ_REP_OPTIONAL, PQ_TYPE_BYTE_ARRAY, 0, 0);
    tb_elem(t, "b", PQ_REP_REPEATED, PQ_TYPE_INT64, 0, 0);
    tb_elem(t, "c", PQ_REP_REQUIRED, PQ_TYPE_BOOLEAN, 0, 0);
    assert_int_equal(tb_schema_done(t), 0);
    col_data a, b, c;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    make_pool(&a, PQ_TYPE_BYTE_ARRAY, 0, 5);
    make_flat(&a, 40, true);
    tb_chunk_begin(t, 0, 0, PQ_CODEC_SNAPPY);
    dict_page(t, &a);
    data_pages(t, &a, PQ_ENC_RLE_DICTIONARY, 2, 2, t->schema->leaves[0]);
    tb_chunk_end(t);
    make_pool(&b, PQ_TYPE_INT64, 8, 9);
    b.nlevels = 0;
    b.def = calloc(200, sizeof *b.def);
    b.rep = calloc(200, sizeof *b.rep);
    b.idx = calloc(200, sizeof *b.idx);
    for (size_t r = 0; r < 40; r++) {
        size_t len = rnd() % 3;
        if (len == 0) {
            b.rep[b.nlevels] = 0;
            b.def[b.nlevels++] = 0;
        }
        for (size_t k = 0; k < len; k++) {
            b.rep[b.nlevels] = k ? 1 : 0;
            b.def[b.nlevels++] = 1;
            b.idx[b.nvals++] = (uint32_t)(rnd() % b.pool_n);
        }
    }
    tb_chunk_begin(t, 0, 1, PQ_CODEC_UNCOMPRESSED);
    data_pages(t, &b, PQ_ENC_DELTA_BINARY_PACKED, 1, 2, t->schema->leaves[1]);
    tb_chunk_end(t);
    make_pool(&c, PQ_TYPE_BOOLEAN, 1, 2);
    make_flat(&c, 40, false);
    tb_chunk_begin(t, 0, 2, PQ_CODEC_GZIP);
    data_pages(t, &c, PQ_ENC_RLE, 2, 1, t->schema->leaves[2]);
    tb_chunk_end(t);
    tb_row_group_end(t, 0, 40);
    assert_int_equal(tb_finish(t), 0);
    col_free(&a);
    col_free(&b);
    col_free(&c);
}

static void test_truncations(void **state)
{
    (void)state;
    tb t;
    build_small_mixed(&t);
    assert_int_equal(read_all(t.file.data, t.file.len, 7), 0);
    for (size_t n = 0; n < t.file.len; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
        memcpy(copy, t.file.data, n);
        int rc = read_all(copy, n, 7);
        assert_true(rc < 0);
        free(copy);
    }
    tb_free(&t);
}

/* Every chunk cut short at every length (the footer says so): the pages
 * then end early, which must be refused without reading past the cut. */
static void test_chunk_truncations(void **state)
{
    (void)state;
    tb t;
    build_small_mixed(&t);
    size_t refused = 0;
    for (uint32_t c = 0; c < 3; c++) {
        pq_column_meta *cm = &t.chunks[0][c].meta_data;
        int64_t full = cm->total_compressed_size;
        for (int64_t len = 0; len < full; len++) {
            t.file.len = t.footer_at;
            cm->total_compressed_size = len;
            assert_int_equal(tb_finish(&t), 0);
            /* exact-size copy so AddressSanitizer catches overreads */
            uint8_t *copy = malloc(t.file.len);
            memcpy(copy, t.file.data, t.file.len);
            int rc = read_all(copy, t.file.len, 9);
            if (rc != DELTA_ECORRUPT)
                fail_msg("column %u cut to %lld of %lld bytes: %s", c, (long long)len,
                         (long long)full, rc ? delta_error_last() : "read without error");
            refused++;
            free(copy);
        }
        cm->total_compressed_size = full;
    }
    assert_true(refused > 100);
    tb_free(&t);
}

/* Each allocation failing in turn while reading every column (dictionary,
 * nested DELTA_BINARY_PACKED, RLE booleans): DELTA_ENOMEM, nothing leaked. */
static void test_out_of_memory(void **state)
{
    (void)state;
    tb t;
    build_small_mixed(&t);
    bool done = false;
    for (long n = 1; n < 1000 && !done; n++) {
        delta_alloc_fail_after(n);
        int rc = read_all(t.file.data, t.file.len, 6);
        bool injected = delta_alloc_injected_failures() > 0;
        delta_alloc_fail_after(0);
        if (injected)
            assert_int_equal(rc, DELTA_ENOMEM);
        else
            done = rc == 0;
    }
    assert_true(done);
    tb_free(&t);
}

static void test_byte_flips(void **state)
{
    (void)state;
    tb t;
    build_small_mixed(&t);
    size_t ok = 0, bad = 0;
    for (int round = 0; round < 3000; round++) {
        uint8_t *copy = malloc(t.file.len);
        memcpy(copy, t.file.data, t.file.len);
        int flips = 1 + (int)(rnd() % 4);
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)(rnd() % t.file.len);
            copy[at] = rnd() % 2 ? (uint8_t)rnd() : copy[at] ^ (uint8_t)(1u << (rnd() % 8));
        }
        int rc = read_all(copy, t.file.len, 1 + rnd() % 50);
        if (rc == 0)
            ok++;
        else
            bad++;
        free(copy);
    }
    print_message("byte flips: %zu read, %zu refused\n", ok, bad);
    assert_true(bad > 0);
    tb_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_encoding), cmocka_unit_test(test_every_codec),
        cmocka_unit_test(test_nested_batches), cmocka_unit_test(test_required_and_empty),
        cmocka_unit_test(test_layouts),        cmocka_unit_test(test_corrupt_pages),
        cmocka_unit_test(test_rep_start),      cmocka_unit_test(test_level_above_max),
        cmocka_unit_test(test_truncations),    cmocka_unit_test(test_chunk_truncations),
        cmocka_unit_test(test_out_of_memory),  cmocka_unit_test(test_byte_flips),
        cmocka_unit_test(test_golden_files),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
