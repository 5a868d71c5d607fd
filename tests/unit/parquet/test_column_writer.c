/*
 * Parquet column writer and statistics: sort orders per logical type,
 * min/max rules (unsigned integers, negative decimals, NaN, -0.0/+0.0,
 * truncation of long binary bounds), and column chunks of every physical
 * type written through a one-column file and decoded back with the
 * low-level decoders (page_walker.h): nulls, nested levels split across
 * writes, dictionary encoding and both fallbacks, v1 and v2 pages, page
 * splitting by rows and by size, and invalid input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <delta/storage.h>

#include "parquet/column_writer.h"
#include "parquet/file_writer.h"
#include "parquet/stats.h"

#include "parquet/page_walker.h"

static uint64_t rng_state = 0x5eed1234ULL;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static pq_str S(const char *s)
{
    return (pq_str){s, strlen(s)};
}

static pq_schema_element group(const char *name, int32_t rep, int32_t children)
{
    pq_schema_element e = {0};
    e.name = S(name);
    e.num_children = children;
    e.has_num_children = true;
    if (rep >= 0) {
        e.repetition_type = rep;
        e.has_repetition_type = true;
    }
    return e;
}

static pq_schema_element leaf(const char *name, int32_t type, int32_t rep)
{
    pq_schema_element e = {0};
    e.name = S(name);
    e.type = type;
    e.has_type = true;
    e.repetition_type = rep;
    e.has_repetition_type = true;
    return e;
}

/* ------------------------------------------------------------ stats */

static void test_sort_kinds(void **state)
{
    (void)state;
    pq_schema_element e = leaf("x", PQ_TYPE_INT32, PQ_REP_REQUIRED);
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_INT32);
    e.converted_type = PQ_CT_UINT_16;
    e.has_converted_type = true;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_UINT32);
    e.has_converted_type = false;
    e.has_logical_type = true;
    e.logical_type.kind = PQ_LT_INTEGER;
    e.logical_type.bit_width = 32;
    e.logical_type.is_signed = false;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_UINT32);
    e.type = PQ_TYPE_INT64;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_UINT64);
    e.logical_type.is_signed = true;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_INT64);
    e = leaf("x", PQ_TYPE_INT64, PQ_REP_REQUIRED);
    e.converted_type = PQ_CT_UINT_64;
    e.has_converted_type = true;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_UINT64);
    e = leaf("x", PQ_TYPE_INT96, PQ_REP_REQUIRED);
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_NONE);
    e = leaf("x", PQ_TYPE_BYTE_ARRAY, PQ_REP_REQUIRED);
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_BYTES);
    assert_false(pq_leaf_is_utf8(&e));
    e.converted_type = PQ_CT_UTF8;
    e.has_converted_type = true;
    assert_true(pq_leaf_is_utf8(&e));
    e.converted_type = PQ_CT_DECIMAL;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_DECIMAL_BE);
    e = leaf("x", PQ_TYPE_FIXED_LEN_BYTE_ARRAY, PQ_REP_REQUIRED);
    e.type_length = 12;
    e.has_type_length = true;
    e.converted_type = PQ_CT_INTERVAL;
    e.has_converted_type = true;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_NONE);
    e.has_converted_type = false;
    e.has_logical_type = true;
    e.logical_type.kind = PQ_LT_DECIMAL;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_DECIMAL_BE);
    e.type_length = 2;
    e.logical_type.kind = PQ_LT_FLOAT16;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_FLOAT16);
    e.logical_type.kind = PQ_LT_UUID;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_BYTES);
    e = leaf("x", PQ_TYPE_BYTE_ARRAY, PQ_REP_REQUIRED);
    e.has_logical_type = true;
    e.logical_type.kind = PQ_LT_GEOMETRY;
    assert_int_equal(pq_sort_kind_for(&e), PQ_SORT_NONE);
}

static void test_decimal_compare(void **state)
{
    (void)state;
    /* -1 (ff), -256 (ff 00), 0 (empty), 1 (01), 255 (00 ff), -129 (ff 7f) */
    const uint8_t m1[] = {0xff}, m256[] = {0xff, 0x00}, p1[] = {0x01}, p255[] = {0x00, 0xff},
                  m129[] = {0xff, 0x7f}, m1b[] = {0xff, 0xff, 0xff};
    assert_true(pq_stats_compare(PQ_SORT_DECIMAL_BE, m256, 2, m1, 1) < 0);
    assert_true(pq_stats_compare(PQ_SORT_DECIMAL_BE, m256, 2, m129, 2) < 0);
    assert_true(pq_stats_compare(PQ_SORT_DECIMAL_BE, m129, 2, m1, 1) < 0);
    assert_true(pq_stats_compare(PQ_SORT_DECIMAL_BE, m1, 1, m1b, 3) == 0);
    assert_true(pq_stats_compare(PQ_SORT_DECIMAL_BE, m1, 1, (const uint8_t *)"", 0) < 0);
    assert_true(pq_stats_compare(PQ_SORT_DECIMAL_BE, (const uint8_t *)"", 0, p1, 1) < 0);
    assert_true(pq_stats_compare(PQ_SORT_DECIMAL_BE, p1, 1, p255, 2) < 0);
    assert_true(pq_stats_compare(PQ_SORT_DECIMAL_BE, p255, 2, m1, 1) > 0);
    /* byte-wise unsigned would say the opposite */
    assert_true(pq_stats_compare(PQ_SORT_BYTES, m1, 1, p1, 1) > 0);
    assert_true(pq_stats_compare(PQ_SORT_BYTES, p1, 1, p255, 2) > 0);
    assert_true(pq_stats_compare(PQ_SORT_BYTES, (const uint8_t *)"ab", 2,
                                 (const uint8_t *)"abc", 3) < 0);
}

static void check_trunc_max(const char *v, size_t len, size_t limit, bool utf8,
                            const char *want, size_t want_len, bool inexact)
{
    dbuf o = DBUF_INIT;
    assert_int_equal(pq_truncate_max((const uint8_t *)v, len, limit, utf8, &o), inexact);
    assert_int_equal(o.len, want_len);
    assert_memory_equal(o.data, want, want_len);
    /* always an upper bound */
    assert_true(pq_stats_compare(PQ_SORT_BYTES, o.data, o.len, (const uint8_t *)v, len) >= 0);
    dbuf_free(&o);
}

static void test_truncation(void **state)
{
    (void)state;
    dbuf o = DBUF_INIT;
    assert_true(pq_truncate_min((const uint8_t *)"abcdef", 6, 3, false, &o));
    assert_int_equal(o.len, 3);
    assert_memory_equal(o.data, "abc", 3);
    assert_false(pq_truncate_min((const uint8_t *)"ab", 2, 3, false, &o));
    assert_int_equal(o.len, 2);
    /* UTF-8: "aé" is 61 c3 a9; cut at 2 must not split é */
    assert_true(pq_truncate_min((const uint8_t *)"a\xc3\xa9z", 4, 2, true, &o));
    assert_int_equal(o.len, 1);
    dbuf_free(&o);
    check_trunc_max("abcdef", 6, 3, false, "abd", 3, true);
    check_trunc_max("ab\xff\xff", 4, 3, false, "ac", 2, true);
    check_trunc_max("\xff\xff\xff\xff", 4, 2, false, "\xff\xff\xff\xff", 4, false);
    check_trunc_max("abc", 3, 3, false, "abc", 3, false);
    /* UTF-8: "a~é..." -> only ASCII below 0x7f is incremented */
    check_trunc_max("az\xc3\xa9\xc3\xa9", 6, 3, true, "a{", 2, true);
    check_trunc_max("\xc3\xa9\xc3\xa9", 4, 3, true, "\xc3\xa9\xc3\xa9", 4, false);
}

static void test_stats_floats(void **state)
{
    (void)state;
    pq_schema_element e = leaf("d", PQ_TYPE_DOUBLE, PQ_REP_OPTIONAL);
    pq_stats s;
    pq_stats_init(&s, &e);
    double v[] = {NAN, 0.0, 3.5, -0.0, NAN};
    assert_int_equal(pq_stats_update(&s, v, NULL, 5), 0);
    pq_stats_add_nulls(&s, 2);
    pq_statistics st;
    assert_int_equal(pq_stats_export(&s, 64, &st), 0);
    assert_true(st.has_min_value && st.has_max_value && st.has_min && st.has_max);
    assert_int_equal(st.null_count, 2);
    double mn, mx;
    memcpy(&mn, st.min_value.ptr, 8);
    memcpy(&mx, st.max_value.ptr, 8);
    assert_true(mn == 0.0 && signbit(mn)); /* zero minimum is -0.0 */
    assert_true(mx == 3.5);
    /* all-NaN and zero-only maximum */
    pq_stats_reset(&s);
    double nans[] = {NAN, NAN};
    pq_stats_update(&s, nans, NULL, 2);
    pq_stats_export(&s, 64, &st);
    assert_false(st.has_min_value);
    assert_false(st.has_max_value);
    double negz[] = {-0.0, -1.0, NAN};
    pq_stats_update(&s, negz, NULL, 3);
    pq_stats_export(&s, 64, &st);
    memcpy(&mx, st.max_value.ptr, 8);
    assert_true(mx == 0.0 && !signbit(mx)); /* zero maximum is +0.0 */
    pq_stats_free(&s);

    pq_schema_element f = leaf("f", PQ_TYPE_FLOAT, PQ_REP_REQUIRED);
    pq_stats_init(&s, &f);
    float fv[] = {INFINITY, -2.5f, NAN};
    pq_stats_update(&s, fv, NULL, 3);
    pq_stats_export(&s, 0, &st);
    float fmn, fmx;
    memcpy(&fmn, st.min_value.ptr, 4);
    memcpy(&fmx, st.max_value.ptr, 4);
    assert_true(fmn == -2.5f && isinf(fmx));
    pq_stats_free(&s);

    /* FLOAT16: 0x3c00 = 1.0, 0xc000 = -2.0, 0x7e00 NaN, 0x0000 +0 */
    pq_schema_element h = leaf("h", PQ_TYPE_FIXED_LEN_BYTE_ARRAY, PQ_REP_REQUIRED);
    h.type_length = 2;
    h.has_type_length = true;
    h.has_logical_type = true;
    h.logical_type.kind = PQ_LT_FLOAT16;
    pq_stats_init(&s, &h);
    const uint8_t hv[] = {0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7e, 0x00, 0x00};
    pq_stats_update(&s, hv, NULL, 4);
    pq_stats_export(&s, 0, &st);
    assert_memory_equal(st.min_value.ptr, "\x00\xc0", 2);
    assert_memory_equal(st.max_value.ptr, "\x00\x3c", 2);
    assert_false(st.has_min); /* no legacy bounds for FLBA */
    pq_stats_free(&s);
}

static void test_stats_unsigned_and_bytes(void **state)
{
    (void)state;
    pq_schema_element e = leaf("u", PQ_TYPE_INT32, PQ_REP_REQUIRED);
    e.converted_type = PQ_CT_UINT_32;
    e.has_converted_type = true;
    pq_stats s;
    pq_stats_init(&s, &e);
    int32_t v[] = {5, -1 /* 0xffffffff */, INT32_MIN, 7};
    pq_stats_update(&s, v, NULL, 2);
    pq_stats_update(&s, v + 2, NULL, 2);
    pq_statistics st;
    pq_stats_export(&s, 0, &st);
    int32_t mn, mx;
    memcpy(&mn, st.min_value.ptr, 4);
    memcpy(&mx, st.max_value.ptr, 4);
    assert_int_equal(mn, 5);
    assert_int_equal(mx, -1);
    assert_false(st.has_min); /* legacy fields are signed-only */
    pq_stats_free(&s);

    /* signed INT64 with a merge */
    pq_schema_element l = leaf("l", PQ_TYPE_INT64, PQ_REP_REQUIRED);
    pq_stats a, b;
    pq_stats_init(&a, &l);
    pq_stats_init(&b, &l);
    int64_t x[] = {-5, 10}, y[] = {INT64_MIN, 0};
    pq_stats_update(&a, x, NULL, 2);
    pq_stats_update(&b, y, NULL, 2);
    pq_stats_merge(&a, &b);
    pq_stats_export(&a, 0, &st);
    int64_t lmn, lmx;
    memcpy(&lmn, st.min_value.ptr, 8);
    memcpy(&lmx, st.max_value.ptr, 8);
    assert_true(lmn == INT64_MIN && lmx == 10);
    assert_true(st.has_min && st.is_min_value_exact && st.is_max_value_exact);
    pq_stats_free(&a);
    pq_stats_free(&b);

    /* strings: unsigned byte order, truncation marks inexact */
    pq_schema_element t = leaf("t", PQ_TYPE_BYTE_ARRAY, PQ_REP_REQUIRED);
    pq_stats_init(&s, &t);
    const char data[] = "zzzzzzzzzzb\xe9" "aaaaaaaaaaaaa";
    int32_t off[] = {0, 10, 11, 12, 25};
    pq_stats_update(&s, data, off, 4);
    pq_stats_export(&s, 4, &st);
    assert_int_equal(st.min_value.len, 4);
    assert_memory_equal(st.min_value.ptr, "aaaa", 4);
    assert_false(st.is_min_value_exact);
    assert_int_equal(st.max_value.len, 1);
    assert_memory_equal(st.max_value.ptr, "\xe9", 1); /* 0xe9 > 'z' unsigned */
    assert_true(st.is_max_value_exact);
    pq_stats_export(&s, 0, &st);
    assert_int_equal(st.min_value.len, 13);
    assert_true(st.is_min_value_exact);
    pq_stats_free(&s);

    /* decimals in BYTE_ARRAY: signed big-endian */
    pq_schema_element d = leaf("d", PQ_TYPE_BYTE_ARRAY, PQ_REP_REQUIRED);
    d.converted_type = PQ_CT_DECIMAL;
    d.has_converted_type = true;
    pq_stats_init(&s, &d);
    const uint8_t dd[] = {0x01, 0xff, 0x00, 0x00, 0x00, 0x80};
    int32_t doff[] = {0, 1, 3, 4, 6}; /* 1, -256, 0, 128 */
    pq_stats_update(&s, dd, doff, 4);
    pq_stats_export(&s, 1, &st); /* decimals are never truncated */
    assert_int_equal(st.min_value.len, 2);
    assert_memory_equal(st.min_value.ptr, "\xff\x00", 2);
    assert_int_equal(st.max_value.len, 2);
    assert_memory_equal(st.max_value.ptr, "\x00\x80", 2);
    pq_stats_free(&s);

    /* INT96: no bounds, null count only */
    pq_schema_element i96 = leaf("t", PQ_TYPE_INT96, PQ_REP_OPTIONAL);
    pq_stats_init(&s, &i96);
    uint8_t z[24] = {1};
    pq_stats_update(&s, z, NULL, 2);
    pq_stats_add_nulls(&s, 3);
    pq_stats_export(&s, 0, &st);
    assert_false(st.has_min_value);
    assert_true(st.has_null_count);
    assert_int_equal(st.null_count, 3);
    pq_stats_free(&s);
}

/* ------------------------------------------------------------ one-column files */

static int store_seq;
static bool growing_card; /* distinct values grow along the column */

typedef struct one_col {
    delta_store *store;
    pq_file_writer *w;
    char key[64];
    uint8_t *file;
    size_t len;
} one_col;

static void oc_open(one_col *oc, const pq_schema_element *schema, uint32_t n,
                    const pq_writer_options *o)
{
    memset(oc, 0, sizeof *oc);
    char uri[64];
    snprintf(uri, sizeof uri, "memory://colw-%d", store_seq++);
    tw_ok(delta_store_open(&oc->store, uri));
    snprintf(oc->key, sizeof oc->key, "c%d.parquet", store_seq);
    tw_ok(pq_file_writer_open(&oc->w, oc->store, oc->key, 0, schema, n, o));
}

static void oc_close(one_col *oc)
{
    tw_ok(pq_file_writer_close(oc->w));
    tw_ok(delta_store_get(oc->store, oc->key, &oc->file, &oc->len));
}

static void oc_free(one_col *oc)
{
    pq_file_writer_free(oc->w);
    delta_free(oc->file);
    delta_store_free(oc->store);
}

static size_t phys_width(int32_t type, int32_t tl)
{
    pq_schema_element e = leaf("x", type, 0);
    e.type_length = tl;
    return tw_width(&e);
}

/* Random value i of a type, drawn from `card` distinct values. */
static void gen_value(int32_t type, size_t w, uint64_t r, uint8_t *dst)
{
    switch (type) {
    case PQ_TYPE_BOOLEAN:
        dst[0] = (uint8_t)(r & 1);
        break;
    case PQ_TYPE_FLOAT: {
        float f = (float)((int64_t)r - 500) / 7.0f;
        memcpy(dst, &f, 4);
        break;
    }
    case PQ_TYPE_DOUBLE: {
        double d = (double)((int64_t)r - 500) / 3.0;
        memcpy(dst, &d, 8);
        break;
    }
    default:
        for (size_t k = 0; k < w; k++)
            dst[k] = (uint8_t)((r * 0x9e3779b97f4a7c15ULL) >> (8 * (k % 8)) ^ k);
        break;
    }
}

/* Writes n optional (or required) values of one type in random batches,
 * reads the file back and compares. */
static void roundtrip_flat(int32_t type, int32_t tl, bool optional, uint64_t card, size_t n,
                           const pq_writer_options *o, tw_column *out_col)
{
    pq_schema_element schema[2] = {group("root", -1, 1),
                                   leaf("v", type, optional ? PQ_REP_OPTIONAL
                                                            : PQ_REP_REQUIRED)};
    if (type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY) {
        schema[1].type_length = tl;
        schema[1].has_type_length = true;
    }
    size_t w = phys_width(type, tl);
    int16_t *def = malloc(n * sizeof *def);
    uint8_t *vals = malloc(n * (w ? w : 1) + 1);
    int32_t *offs = malloc((n + 1) * sizeof *offs);
    dbuf bytes = DBUF_INIT;
    size_t nv = 0;
    offs[0] = 0;
    for (size_t i = 0; i < n; i++) {
        def[i] = optional && rnd() % 5 == 0 ? 0 : 1;
        if (!def[i])
            continue;
        uint64_t r = rnd() % (growing_card && card > 16 + i / 4 ? 16 + i / 4 : card);
        if (type == PQ_TYPE_BYTE_ARRAY) {
            char tmp[40];
            int l = snprintf(tmp, sizeof tmp, "v%llu%.*s", (unsigned long long)r, (int)(r % 17),
                             "xxxxxxxxxxxxxxxxxxxx");
            dbuf_append(&bytes, tmp, (size_t)l);
            offs[nv + 1] = (int32_t)bytes.len;
        } else {
            gen_value(type, w, r, vals + nv * w);
        }
        nv++;
    }
    one_col oc;
    oc_open(&oc, schema, 2, o);
    pq_column_writer *cw = pq_file_writer_column(oc.w, 0);
    size_t pos = 0, vpos = 0;
    while (pos < n) {
        size_t k = 1 + rnd() % 3000;
        if (k > n - pos)
            k = n - pos;
        size_t kv = 0;
        for (size_t i = pos; i < pos + k; i++)
            kv += def[i] == 1;
        if (type == PQ_TYPE_BYTE_ARRAY)
            tw_ok(pq_column_writer_write(cw, k, optional ? def + pos : NULL, NULL, bytes.data,
                                         offs + vpos));
        else
            tw_ok(pq_column_writer_write(cw, k, optional ? def + pos : NULL, NULL,
                                         vals + vpos * w, NULL));
        pos += k;
        vpos += kv;
        if (pq_file_writer_row_group_full(oc.w)) {
            tw_ok(pq_file_writer_end_row_group(oc.w, pq_column_writer_rows(cw)));
            tw_ok(pq_file_writer_start_row_group(oc.w));
        }
    }
    tw_ok(pq_file_writer_end_row_group(oc.w, pq_column_writer_rows(cw)));
    oc_close(&oc);
    tw_column c;
    tw_read_column(oc.file, oc.len, 0, &c);
    assert_int_equal(c.nlevels, n);
    assert_int_equal(c.nvalues, nv);
    assert_int_equal(c.rows, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(c.def[i], optional ? def[i] : 0);
    if (type == PQ_TYPE_BYTE_ARRAY) {
        assert_int_equal(c.bytes.count, nv);
        assert_memory_equal(c.bytes.offsets, offs, (nv + 1) * sizeof *offs);
        if (nv)
            assert_memory_equal(c.bytes.data.data, bytes.data, bytes.len);
    } else {
        assert_int_equal(c.values.len, nv * w);
        if (nv)
            assert_memory_equal(c.values.data, vals, nv * w);
    }
    /* chunk statistics: null count */
    pq_file_meta *m = tw_footer(oc.file, oc.len);
    int64_t nulls = 0;
    for (uint32_t g = 0; g < m->num_row_groups; g++) {
        const pq_column_meta *cm = &m->row_groups[g].columns[0].meta_data;
        assert_true(cm->statistics.has_null_count);
        nulls += cm->statistics.null_count;
    }
    assert_int_equal(nulls, (int64_t)(n - nv));
    pq_file_meta_free(m);
    if (out_col)
        *out_col = c;
    else
        tw_column_free(&c);
    free(def);
    free(vals);
    free(offs);
    dbuf_free(&bytes);
    oc_free(&oc);
}

static void test_every_type(void **state)
{
    (void)state;
    static const struct {
        int32_t type, tl;
    } types[] = {{PQ_TYPE_BOOLEAN, 0}, {PQ_TYPE_INT32, 0},
                 {PQ_TYPE_INT64, 0},   {PQ_TYPE_INT96, 0},
                 {PQ_TYPE_FLOAT, 0},   {PQ_TYPE_DOUBLE, 0},
                 {PQ_TYPE_BYTE_ARRAY, 0}, {PQ_TYPE_FIXED_LEN_BYTE_ARRAY, 5}};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        for (int variant = 0; variant < 4; variant++) {
            pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
            o.data_page_v2 = variant & 1;
            o.page_max_rows = 700;
            o.codec = variant == 2 ? PQ_CODEC_UNCOMPRESSED : PQ_CODEC_SNAPPY;
            uint64_t card = variant >= 2 ? 1000000 : 50; /* dictionary vs fallback */
            tw_column c;
            roundtrip_flat(types[t].type, types[t].tl, variant != 3, card, 5000, &o, &c);
            if (types[t].type != PQ_TYPE_BOOLEAN && card == 50)
                assert_int_equal(c.plain_pages, 0); /* fully dictionary encoded */
            if (types[t].type == PQ_TYPE_BOOLEAN)
                assert_int_equal(c.dict_pages, 0);
            if (o.data_page_v2)
                assert_int_equal(c.v2_pages, c.data_pages);
            else
                assert_int_equal(c.v2_pages, 0);
            assert_true(c.data_pages >= 5000 / 700);
            tw_column_free(&c);
        }
    }
}

static void test_codecs(void **state)
{
    (void)state;
    static const int codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP,
                                 PQ_CODEC_BROTLI,       PQ_CODEC_LZ4,    PQ_CODEC_ZSTD,
                                 PQ_CODEC_LZ4_RAW};
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        for (int v2 = 0; v2 < 2; v2++) {
            pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
            o.codec = codecs[i];
            o.data_page_v2 = v2;
            roundtrip_flat(PQ_TYPE_BYTE_ARRAY, 0, true, 300, 3000, &o, NULL);
            roundtrip_flat(PQ_TYPE_INT64, 0, true, 1u << 30, 3000, &o, NULL);
        }
    }
    /* LZO cannot be written */
    pq_schema_element schema[2] = {group("root", -1, 1),
                                   leaf("v", PQ_TYPE_INT32, PQ_REP_REQUIRED)};
    pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
    o.codec = PQ_CODEC_LZO;
    delta_store *st;
    tw_ok(delta_store_open(&st, "memory://colw-lzo"));
    pq_file_writer *w;
    assert_int_equal(pq_file_writer_open(&w, st, "x.parquet", 0, schema, 2, &o),
                     DELTA_EUNSUPPORTED);
    delta_store_free(st);
}

static void test_dictionary_fallback(void **state)
{
    (void)state;
    /* Unique values: the first page does not pay off, the chunk is PLAIN
     * without a dictionary page. */
    pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
    o.page_max_rows = 1000;
    tw_column c;
    roundtrip_flat(PQ_TYPE_INT64, 0, false, UINT64_MAX, 10000, &o, &c);
    assert_int_equal(c.dict_pages, 0);
    assert_int_equal(c.dict_encoded_pages, 0);
    assert_int_equal(c.plain_pages, c.data_pages);
    tw_column_free(&c);
    /* Size limit: the dictionary pays off on the first pages, then grows
     * past the limit; later pages are PLAIN after the dictionary ones. */
    o.dictionary_size_limit = 4000; /* 500 int64 entries */
    growing_card = true;
    roundtrip_flat(PQ_TYPE_INT64, 0, true, 2000, 20000, &o, &c);
    assert_int_equal(c.dict_pages, 1);
    assert_true(c.dict_encoded_pages >= 1);
    assert_true(c.plain_pages >= 1);
    tw_column_free(&c);
    roundtrip_flat(PQ_TYPE_BYTE_ARRAY, 0, true, 3000, 20000, &o, &c);
    assert_int_equal(c.dict_pages, 1);
    assert_true(c.dict_encoded_pages >= 1 && c.plain_pages >= 1);
    tw_column_free(&c);
    growing_card = false;
    /* Dictionary disabled */
    o.no_dictionary = true;
    roundtrip_flat(PQ_TYPE_BYTE_ARRAY, 0, true, 3, 5000, &o, &c);
    assert_int_equal(c.dict_pages, 0);
    tw_column_free(&c);
}

static void test_page_splitting(void **state)
{
    (void)state;
    pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
    o.page_max_rows = 100;
    tw_column c;
    roundtrip_flat(PQ_TYPE_INT32, 0, false, 1u << 31, 1000, &o, &c);
    assert_int_equal(c.data_pages, 10);
    assert_int_equal(c.ci_pages, 10);
    tw_column_free(&c);
    /* by size: ~1000-byte pages of unique int64 */
    o.page_max_rows = 0;
    o.page_size_bytes = 4000;
    roundtrip_flat(PQ_TYPE_INT64, 0, false, UINT64_MAX, 10000, &o, &c);
    if (!(c.data_pages >= 18 && c.data_pages <= 22))
        fail_msg("data pages %zu", c.data_pages);
    tw_column_free(&c);
    /* many row groups */
    o.page_size_bytes = 0;
    o.row_group_size_rows = 1000;
    roundtrip_flat(PQ_TYPE_DOUBLE, 0, true, 100, 10000, &o, &c);
    assert_true(c.dict_pages >= 4); /* one dictionary per chunk, writes <= 3000 rows */
    tw_column_free(&c);
}

/* list<int32>: optional list (def 1), repeated group (def 2, rep 1),
 * optional element (def 3). */
static void test_nested_levels(void **state)
{
    (void)state;
    pq_schema_element schema[4] = {group("root", -1, 1), group("l", PQ_REP_OPTIONAL, 1),
                                   group("list", PQ_REP_REPEATED, 1),
                                   leaf("element", PQ_TYPE_INT32, PQ_REP_OPTIONAL)};
    schema[1].converted_type = PQ_CT_LIST;
    schema[1].has_converted_type = true;
    for (int variant = 0; variant < 2; variant++) {
        size_t rows = 5000, cap = rows * 8;
        int16_t *def = malloc(cap * sizeof *def), *rep = malloc(cap * sizeof *rep);
        int32_t *vals = malloc(cap * sizeof *vals);
        size_t n = 0, nv = 0;
        for (size_t r = 0; r < rows; r++) {
            unsigned kind = (unsigned)(rnd() % 4);
            if (kind == 0) { /* null list */
                def[n] = 0;
                rep[n++] = 0;
            } else if (kind == 1) { /* empty list */
                def[n] = 1;
                rep[n++] = 0;
            } else {
                size_t len = 1 + rnd() % 6;
                for (size_t i = 0; i < len; i++) {
                    rep[n] = i ? 1 : 0;
                    if (rnd() % 7 == 0) {
                        def[n++] = 2; /* null element */
                    } else {
                        def[n++] = 3;
                        vals[nv++] = (int32_t)(rnd() % 100) - 50;
                    }
                }
            }
        }
        pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
        o.page_max_rows = 333;
        o.data_page_v2 = variant;
        one_col oc;
        oc_open(&oc, schema, 4, &o);
        pq_column_writer *cw = pq_file_writer_column(oc.w, 0);
        /* writes that end in the middle of rows */
        size_t pos = 0, vpos = 0;
        while (pos < n) {
            size_t k = 1 + rnd() % 500;
            if (k > n - pos)
                k = n - pos;
            size_t kv = 0;
            for (size_t i = pos; i < pos + k; i++)
                kv += def[i] == 3;
            tw_ok(pq_column_writer_write(cw, k, def + pos, rep + pos, vals + vpos, NULL));
            pos += k;
            vpos += kv;
        }
        assert_int_equal(pq_column_writer_rows(cw), rows);
        tw_ok(pq_file_writer_end_row_group(oc.w, rows));
        oc_close(&oc);
        tw_column c;
        tw_read_column(oc.file, oc.len, 0, &c);
        assert_int_equal(c.nlevels, n);
        assert_int_equal(c.rows, rows);
        assert_memory_equal(c.def, def, n * sizeof *def);
        assert_memory_equal(c.rep, rep, n * sizeof *rep);
        assert_int_equal(c.nvalues, nv);
        assert_memory_equal(c.values.data, vals, nv * sizeof *vals);
        assert_int_equal(c.data_pages, (rows + 332) / 333);
        pq_file_meta *m = tw_footer(oc.file, oc.len);
        assert_int_equal(m->row_groups[0].columns[0].meta_data.num_values, (int64_t)n);
        assert_int_equal(m->row_groups[0].num_rows, (int64_t)rows);
        assert_int_equal(m->row_groups[0].columns[0].meta_data.num_path_in_schema, 3);
        pq_file_meta_free(m);
        tw_column_free(&c);
        oc_free(&oc);
        free(def);
        free(rep);
        free(vals);
    }
}

static void test_invalid_input(void **state)
{
    (void)state;
    pq_schema_element schema[4] = {group("root", -1, 1), group("l", PQ_REP_OPTIONAL, 1),
                                   group("list", PQ_REP_REPEATED, 1),
                                   leaf("element", PQ_TYPE_INT32, PQ_REP_OPTIONAL)};
    one_col oc;
    oc_open(&oc, schema, 4, NULL);
    pq_column_writer *cw = pq_file_writer_column(oc.w, 0);
    int16_t def[] = {3, 4}, rep[] = {0, 0};
    int32_t v[] = {1, 2};
    assert_int_equal(pq_column_writer_write(cw, 2, def, NULL, v, NULL), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "l.list.element"));
    assert_non_null(strstr(delta_error_last(), oc.key));
    oc_free(&oc);

    oc_open(&oc, schema, 4, NULL);
    cw = pq_file_writer_column(oc.w, 0);
    assert_int_equal(pq_column_writer_write(cw, 2, def, rep, v, NULL), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "definition level"));
    /* sticky */
    def[1] = 3;
    assert_int_equal(pq_column_writer_write(cw, 2, def, rep, v, NULL), DELTA_EINVAL);
    assert_int_equal(pq_file_writer_close(oc.w), DELTA_EINVAL);
    oc_free(&oc);

    oc_open(&oc, schema, 4, NULL);
    cw = pq_file_writer_column(oc.w, 0);
    rep[0] = 1;
    assert_int_equal(pq_column_writer_write(cw, 2, def, rep, v, NULL), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "start a row"));
    oc_free(&oc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_kinds),
        cmocka_unit_test(test_decimal_compare),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_stats_floats),
        cmocka_unit_test(test_stats_unsigned_and_bytes),
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_codecs),
        cmocka_unit_test(test_dictionary_fallback),
        cmocka_unit_test(test_page_splitting),
        cmocka_unit_test(test_nested_levels),
        cmocka_unit_test(test_invalid_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
