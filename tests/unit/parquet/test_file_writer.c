/*
 * Parquet file writer: a ten-column file (every physical type, nulls,
 * unsigned integers, negative decimals, NaN, long strings, a list column)
 * in many row groups, decoded back page by page (page_walker.h) with its
 * footer checked field by field; abort, put-if-absent, row count
 * mismatches, storage faults at every operation and allocation failures
 * at every allocation (nothing half-written ever becomes visible); and
 * DuckDB as an independent reader when node and the oracle are available
 * (values, and filters that prune with our statistics).
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
#include <unistd.h>

#include <delta/storage.h>

#include "parquet/file_writer.h"
#include "parquet/stats.h"

#include "parquet/page_walker.h"

static pq_str S(const char *s)
{
    return (pq_str){s, strlen(s)};
}

/* ------------------------------------------------------------ dataset */

enum { C_ID, C_KEY, C_CAT, C_AMOUNT, C_FLAG, C_DEC, C_U32, C_TAGS, C_TS, C_U64, NCOLS };
#define NELEMS 13 /* root + 9 flat leaves + tags group, list group, element */

static const char *const cats[] = {"electronics", "books", "home",  "garden", "toys",
                                   "sports",      "beauty", "music", "movies", "pets"};

typedef struct dataset {
    size_t rows;
    pq_schema_element schema[NELEMS];
    /* per leaf, in leaf order: levels and dense values */
    int16_t *def[NCOLS], *rep[NCOLS];
    size_t nlev[NCOLS], nval[NCOLS];
    uint8_t *vals[NCOLS];
    int32_t *offs[NCOLS];
    size_t *row_start[NCOLS]; /* level index of each row, rows+1 entries */
    /* expected aggregates */
    int64_t key_sum, dec_sum;
    size_t key_count, cat_null, amount_pos, u32_big, u64_big, tag_elems, tag_null_lists,
        long_cat;
    double amount_sum;
} dataset;

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

static void ds_schema(dataset *d)
{
    pq_schema_element *s = d->schema;
    s[0] = group("schema", -1, 10);
    s[1] = leaf("id", PQ_TYPE_INT64, PQ_REP_REQUIRED);
    s[2] = leaf("key", PQ_TYPE_INT32, PQ_REP_OPTIONAL);
    s[3] = leaf("cat", PQ_TYPE_BYTE_ARRAY, PQ_REP_OPTIONAL);
    s[3].has_logical_type = true;
    s[3].logical_type.kind = PQ_LT_STRING;
    s[3].converted_type = PQ_CT_UTF8;
    s[3].has_converted_type = true;
    s[4] = leaf("amount", PQ_TYPE_DOUBLE, PQ_REP_OPTIONAL);
    s[5] = leaf("flag", PQ_TYPE_BOOLEAN, PQ_REP_REQUIRED);
    s[6] = leaf("dec", PQ_TYPE_FIXED_LEN_BYTE_ARRAY, PQ_REP_OPTIONAL);
    s[6].type_length = 9;
    s[6].has_type_length = true;
    s[6].converted_type = PQ_CT_DECIMAL;
    s[6].has_converted_type = true;
    s[6].precision = 20;
    s[6].scale = 2;
    s[6].has_precision = s[6].has_scale = true;
    s[6].has_logical_type = true;
    s[6].logical_type.kind = PQ_LT_DECIMAL;
    s[6].logical_type.precision = 20;
    s[6].logical_type.scale = 2;
    s[7] = leaf("u32", PQ_TYPE_INT32, PQ_REP_REQUIRED);
    s[7].has_logical_type = true;
    s[7].logical_type.kind = PQ_LT_INTEGER;
    s[7].logical_type.bit_width = 32;
    s[7].logical_type.is_signed = false;
    s[7].converted_type = PQ_CT_UINT_32;
    s[7].has_converted_type = true;
    s[8] = group("tags", PQ_REP_OPTIONAL, 1);
    s[8].converted_type = PQ_CT_LIST;
    s[8].has_converted_type = true;
    s[8].has_logical_type = true;
    s[8].logical_type.kind = PQ_LT_LIST;
    s[9] = group("list", PQ_REP_REPEATED, 1);
    s[10] = leaf("element", PQ_TYPE_BYTE_ARRAY, PQ_REP_OPTIONAL);
    s[10].converted_type = PQ_CT_UTF8;
    s[10].has_converted_type = true;
    s[11] = leaf("ts", PQ_TYPE_INT96, PQ_REP_OPTIONAL);
    s[12] = leaf("u64", PQ_TYPE_INT64, PQ_REP_REQUIRED);
    s[12].converted_type = PQ_CT_UINT_64;
    s[12].has_converted_type = true;
}

static void put_level(dataset *d, int c, int16_t def, int16_t rep)
{
    d->def[c][d->nlev[c]] = def;
    d->rep[c][d->nlev[c]] = rep;
    d->nlev[c]++;
}

static void ds_make(dataset *d, size_t rows)
{
    memset(d, 0, sizeof *d);
    d->rows = rows;
    ds_schema(d);
    static const size_t width[NCOLS] = {8, 4, 0, 8, 1, 9, 4, 0, 12, 8};
    dbuf str[NCOLS] = {DBUF_INIT};
    for (int c = 0; c < NCOLS; c++) {
        size_t cap = rows * 4 + 1;
        d->def[c] = calloc(cap, sizeof(int16_t));
        d->rep[c] = calloc(cap, sizeof(int16_t));
        d->vals[c] = calloc(cap, width[c] ? width[c] : 1);
        d->offs[c] = calloc(cap + 1, sizeof(int32_t));
        d->row_start[c] = calloc(rows + 1, sizeof(size_t));
    }
    for (size_t i = 0; i < rows; i++) {
        for (int c = 0; c < NCOLS; c++)
            d->row_start[c][i] = d->nlev[c];
        /* id */
        int64_t id = (int64_t)i + 1;
        memcpy(d->vals[C_ID] + 8 * d->nval[C_ID]++, &id, 8);
        put_level(d, C_ID, 0, 0);
        /* key */
        if (i % 7 == 0) {
            put_level(d, C_KEY, 0, 0);
        } else {
            int32_t k = (int32_t)((i * 37) % 1000) - 500;
            memcpy(d->vals[C_KEY] + 4 * d->nval[C_KEY]++, &k, 4);
            put_level(d, C_KEY, 1, 0);
            d->key_sum += k;
            d->key_count++;
        }
        /* cat: nulls, 10 short strings, a long one every 1000 rows */
        if (i % 11 == 0) {
            put_level(d, C_CAT, 0, 0);
            d->cat_null++;
        } else {
            if (i % 1000 == 999) {
                dbuf_puts(&str[C_CAT], "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
                                       "zzzzzzzzzzzzzzzzzzzz-long");
                d->long_cat++;
            } else {
                dbuf_puts(&str[C_CAT], cats[(i * 7) % 10]);
            }
            d->offs[C_CAT][++d->nval[C_CAT]] = (int32_t)str[C_CAT].len;
            put_level(d, C_CAT, 1, 0);
        }
        /* amount: nulls, NaN, -0.0, negatives */
        if (i % 5 == 0) {
            put_level(d, C_AMOUNT, 0, 0);
        } else {
            double a = i % 97 == 0 ? NAN : i % 89 == 0 ? -0.0 : (double)(i % 10000) / 100.0 - 20.0;
            memcpy(d->vals[C_AMOUNT] + 8 * d->nval[C_AMOUNT]++, &a, 8);
            put_level(d, C_AMOUNT, 1, 0);
            if (a > 10.0)
                d->amount_pos++;
        }
        /* flag */
        d->vals[C_FLAG][d->nval[C_FLAG]++] = i % 3 == 0;
        put_level(d, C_FLAG, 0, 0);
        /* dec: cents in [-1000, 1000], 9-byte big-endian two's complement */
        if (i % 13 == 0) {
            put_level(d, C_DEC, 0, 0);
        } else {
            int64_t cents = (int64_t)(i % 2001) - 1000;
            uint8_t *p = d->vals[C_DEC] + 9 * d->nval[C_DEC]++;
            uint64_t u = (uint64_t)cents;
            p[0] = cents < 0 ? 0xff : 0x00;
            for (int k = 0; k < 8; k++)
                p[1 + k] = (uint8_t)(u >> (56 - 8 * k));
            d->dec_sum += cents;
            put_level(d, C_DEC, 1, 0);
        }
        /* u32 */
        uint32_t u = (uint32_t)(i * 2654435761u);
        memcpy(d->vals[C_U32] + 4 * d->nval[C_U32]++, &u, 4);
        put_level(d, C_U32, 0, 0);
        if (u > 3000000000u)
            d->u32_big++;
        /* tags: null list, empty list, or 1..3 elements with some nulls */
        if (i % 4 == 0) {
            put_level(d, C_TAGS, 0, 0);
            d->tag_null_lists++;
        } else if (i % 4 == 1) {
            put_level(d, C_TAGS, 1, 0);
        } else {
            size_t len = i % 3 + 1;
            for (size_t j = 0; j < len; j++) {
                int16_t r = j ? 1 : 0;
                d->tag_elems++;
                if (j == 1 && i % 5 == 0) {
                    put_level(d, C_TAGS, 2, r);
                    continue;
                }
                dbuf_printf(&str[C_TAGS], "t%zu", (i + j) % 50);
                d->offs[C_TAGS][++d->nval[C_TAGS]] = (int32_t)str[C_TAGS].len;
                put_level(d, C_TAGS, 3, r);
            }
        }
        /* ts: INT96 whole seconds */
        if (i % 17 == 0) {
            put_level(d, C_TS, 0, 0);
        } else {
            pq_nanos_to_int96((int64_t)i * 1000000000LL, d->vals[C_TS] + 12 * d->nval[C_TS]++);
            put_level(d, C_TS, 1, 0);
        }
        /* u64 */
        uint64_t v = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
        memcpy(d->vals[C_U64] + 8 * d->nval[C_U64]++, &v, 8);
        put_level(d, C_U64, 0, 0);
        if (v > (uint64_t)INT64_MAX)
            d->u64_big++;
    }
    for (int c = 0; c < NCOLS; c++)
        d->row_start[c][rows] = d->nlev[c];
    for (int c = C_CAT; c <= C_TAGS; c += C_TAGS - C_CAT) {
        free(d->vals[c]);
        d->vals[c] = str[c].len ? dbuf_detach(&str[c], NULL) : calloc(1, 1);
        dbuf_free(&str[c]);
    }
}

static void ds_free(dataset *d)
{
    for (int c = 0; c < NCOLS; c++) {
        free(d->def[c]);
        free(d->rep[c]);
        if (c == C_CAT || c == C_TAGS)
            delta_free(d->vals[c]);
        else
            free(d->vals[c]);
        free(d->offs[c]);
        free(d->row_start[c]);
    }
}

static bool is_bytes(int c)
{
    return c == C_CAT || c == C_TAGS;
}

static int16_t max_def_of(int c)
{
    return c == C_TAGS ? 3 : (c == C_ID || c == C_FLAG || c == C_U32 || c == C_U64) ? 0 : 1;
}

static size_t width_of(int c)
{
    static const size_t width[NCOLS] = {8, 4, 0, 8, 1, 9, 4, 0, 12, 8};
    return width[c];
}

/* Writes the dataset in batches of `batch` rows, ending row groups when
 * the writer says they are full. Returns the first error (writer left for
 * the caller to free). */
static int ds_write(const dataset *d, pq_file_writer *w, size_t batch)
{
    int rc;
    size_t vpos[NCOLS] = {0};
    uint64_t rg_rows = 0;
    if ((rc = pq_file_writer_start_row_group(w)))
        return rc;
    for (size_t r = 0; r < d->rows; r += batch) {
        size_t end = r + batch < d->rows ? r + batch : d->rows;
        for (int c = 0; c < NCOLS; c++) {
            size_t a = d->row_start[c][r], b = d->row_start[c][end];
            size_t nv = 0;
            int16_t md = max_def_of(c);
            for (size_t i = a; i < b; i++)
                nv += d->def[c][i] == md;
            pq_column_writer *cw = pq_file_writer_column(w, (uint32_t)c);
            if (is_bytes(c))
                rc = pq_column_writer_write(cw, b - a, d->def[c] + a, d->rep[c] + a, d->vals[c],
                                            d->offs[c] + vpos[c]);
            else
                rc = pq_column_writer_write(cw, b - a, d->def[c] + a, d->rep[c] + a,
                                            d->vals[c] + vpos[c] * width_of(c), NULL);
            if (rc)
                return rc;
            vpos[c] += nv;
        }
        rg_rows += end - r;
        if (pq_file_writer_row_group_full(w)) {
            if ((rc = pq_file_writer_end_row_group(w, rg_rows)) ||
                (rc = pq_file_writer_start_row_group(w)))
                return rc;
            rg_rows = 0;
        }
    }
    if ((rc = pq_file_writer_end_row_group(w, rg_rows)))
        return rc;
    return pq_file_writer_close(w);
}

static int store_seq;

static delta_store *mem_store(void)
{
    char uri[64];
    snprintf(uri, sizeof uri, "memory://filew-%d", store_seq++);
    delta_store *s;
    tw_ok(delta_store_open(&s, uri));
    return s;
}

static dataset g_ds;

static int setup(void **state)
{
    (void)state;
    ds_make(&g_ds, 30000);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ds_free(&g_ds);
    return 0;
}

/* ------------------------------------------------------------ tests */

static void check_roundtrip(const dataset *d, const uint8_t *file, size_t len)
{
    for (int c = 0; c < NCOLS; c++) {
        tw_column col;
        tw_read_column(file, len, (uint32_t)c, &col);
        assert_int_equal(col.nlevels, d->nlev[c]);
        assert_int_equal(col.rows, d->rows);
        if (max_def_of(c))
            assert_memory_equal(col.def, d->def[c], d->nlev[c] * sizeof(int16_t));
        if (c == C_TAGS)
            assert_memory_equal(col.rep, d->rep[c], d->nlev[c] * sizeof(int16_t));
        if (is_bytes(c)) {
            assert_int_equal(col.bytes.count, d->nval[c]);
            assert_memory_equal(col.bytes.offsets, d->offs[c],
                                (d->nval[c] + 1) * sizeof(int32_t));
            assert_memory_equal(col.bytes.data.data, d->vals[c], (size_t)d->offs[c][d->nval[c]]);
        } else {
            assert_int_equal(col.values.len, d->nval[c] * width_of(c));
            assert_memory_equal(col.values.data, d->vals[c], col.values.len);
        }
        tw_column_free(&col);
    }
}

static void test_many_row_groups(void **state)
{
    (void)state;
    const dataset *d = &g_ds;
    delta_store *st = mem_store();
    pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
    o.row_group_size_rows = 7000;
    o.page_max_rows = 1500;
    o.stats_truncate_len = 16;
    const char *keys[] = {"writer.test", "flag"}, *values[] = {"yes", NULL};
    o.kv_keys = keys;
    o.kv_values = values;
    o.num_kv = 2;
    pq_file_writer *w;
    tw_ok(pq_file_writer_open(&w, st, "dir/many.parquet", 0, d->schema, NELEMS, &o));
    assert_int_equal(pq_file_writer_num_columns(w), NCOLS);
    assert_null(pq_file_writer_metadata(w));
    tw_ok(ds_write(d, w, 1000));
    const pq_file_meta *wm = pq_file_writer_metadata(w);
    assert_non_null(wm);
    assert_int_equal(pq_file_writer_num_rows(w), d->rows);

    uint8_t *file;
    size_t len;
    tw_ok(delta_store_get(st, "dir/many.parquet", &file, &len));
    assert_int_equal(len, pq_file_writer_bytes_written(w));
    check_roundtrip(d, file, len);

    pq_file_meta *m = tw_footer(file, len);
    assert_int_equal(m->num_rows, (int64_t)d->rows);
    assert_int_equal(m->num_row_groups, 5); /* 7000 rows each, ends on batch boundaries */
    assert_int_equal(wm->num_row_groups, m->num_row_groups);
    assert_true(m->has_created_by);
    assert_memory_equal(m->created_by.ptr, "libdelta version ", 17);
    assert_int_equal(m->num_column_orders, NCOLS);
    for (uint32_t i = 0; i < NCOLS; i++)
        assert_int_equal(m->column_orders[i], PQ_ORDER_TYPE_DEFINED);
    assert_int_equal(m->num_key_value_metadata, 2);
    assert_string_equal(m->key_value_metadata[0].key.ptr, "writer.test");
    assert_string_equal(m->key_value_metadata[0].value.ptr, "yes");
    assert_false(m->key_value_metadata[1].has_value);
    int64_t prev_end = 4;
    for (uint32_t g = 0; g < m->num_row_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        int64_t total = 0, comp = 0;
        assert_int_equal(rg->file_offset, prev_end);
        for (uint32_t c = 0; c < rg->num_columns; c++) {
            const pq_column_chunk *cc = &rg->columns[c];
            const pq_column_meta *cm = &cc->meta_data;
            int64_t start = cm->has_dictionary_page_offset ? cm->dictionary_page_offset
                                                           : cm->data_page_offset;
            assert_int_equal(start, prev_end); /* chunks back to back, in column order */
            assert_int_equal(cc->file_offset, start);
            prev_end = start + cm->total_compressed_size;
            total += cm->total_uncompressed_size;
            comp += cm->total_compressed_size;
            assert_int_equal(cm->codec, PQ_CODEC_SNAPPY);
            assert_true(cm->has_encoding_stats && cm->num_encodings >= 1);
            assert_true(cc->has_offset_index_offset);
            /* every column but INT96 has a column index */
            assert_int_equal(cc->has_column_index_offset, c != C_TS);
            assert_true(cm->statistics.has_null_count);
        }
        assert_int_equal(rg->total_byte_size, total);
        assert_int_equal(rg->total_compressed_size, comp);
        assert_int_equal(rg->ordinal, (int16_t)g);
    }
    /* statistics of the first row group */
    const pq_column_chunk *cols = m->row_groups[0].columns;
    int64_t v;
    memcpy(&v, cols[C_ID].meta_data.statistics.min_value.ptr, 8);
    assert_int_equal(v, 1);
    memcpy(&v, cols[C_ID].meta_data.statistics.max_value.ptr, 8);
    assert_int_equal(v, 7000);
    const pq_statistics *cs = &cols[C_CAT].meta_data.statistics;
    assert_int_equal(cs->max_value.len, 16);
    assert_false(cs->is_max_value_exact);
    assert_memory_equal(cs->max_value.ptr, "zzzzzzzzzzzzzzz{", 16);
    assert_memory_equal(cs->min_value.ptr, "beauty", 6);
    assert_true(cs->is_min_value_exact);
    const pq_statistics *ds = &cols[C_DEC].meta_data.statistics;
    assert_memory_equal(ds->min_value.ptr, "\xff\xff\xff\xff\xff\xff\xff\xfc\x18", 9); /* -1000 */
    assert_false(ds->has_min);
    const pq_statistics *us = &cols[C_U32].meta_data.statistics;
    uint32_t u;
    memcpy(&u, us->max_value.ptr, 4);
    assert_true(u > 4000000000u);
    assert_false(us->has_max);
    assert_false(cols[C_TS].meta_data.statistics.has_min_value);
    const pq_statistics *as = &cols[C_AMOUNT].meta_data.statistics;
    double dmin;
    memcpy(&dmin, as->min_value.ptr, 8);
    assert_true(dmin == 1 / 100.0 - 20.0);
    /* the flat list column: RLE levels, dictionary strings */
    assert_int_equal(cols[C_TAGS].meta_data.num_path_in_schema, 3);
    assert_string_equal(cols[C_TAGS].meta_data.path_in_schema[2].ptr, "element");
    pq_file_meta_free(m);
    delta_free(file);
    pq_file_writer_free(w);
    delta_store_free(st);
}

static void test_options_variants(void **state)
{
    (void)state;
    const dataset *d = &g_ds;
    static const int codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_ZSTD, PQ_CODEC_GZIP};
    for (int i = 0; i < 3; i++) {
        delta_store *st = mem_store();
        pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
        o.codec = codecs[i];
        o.data_page_v2 = i != 1;
        o.write_page_index = i != 2;
        o.page_size_bytes = 8192;
        pq_file_writer *w;
        tw_ok(pq_file_writer_open(&w, st, "v.parquet", 0, d->schema, NELEMS, &o));
        tw_ok(ds_write(d, w, 4096));
        uint8_t *file;
        size_t len;
        tw_ok(delta_store_get(st, "v.parquet", &file, &len));
        check_roundtrip(d, file, len);
        pq_file_meta *m = tw_footer(file, len);
        assert_int_equal(m->num_row_groups, 1);
        assert_int_equal(m->row_groups[0].columns[0].has_offset_index_offset, i != 2);
        pq_file_meta_free(m);
        delta_free(file);
        pq_file_writer_free(w);
        delta_store_free(st);
    }
}

static void test_abort_and_visibility(void **state)
{
    (void)state;
    const dataset *d = &g_ds;
    delta_store *st = mem_store();
    pq_file_writer *w;
    uint8_t *file;
    size_t len;
    /* abort */
    tw_ok(pq_file_writer_open(&w, st, "a.parquet", 0, d->schema, NELEMS, NULL));
    int64_t one = 1;
    tw_ok(pq_column_writer_write(pq_file_writer_column(w, 0), 1, NULL, NULL, &one, NULL));
    pq_file_writer_abort(w);
    assert_int_equal(pq_file_writer_close(w), DELTA_EINVAL);
    pq_file_writer_free(w);
    assert_int_equal(delta_store_get(st, "a.parquet", &file, &len), DELTA_ENOTFOUND);
    /* free without close */
    tw_ok(pq_file_writer_open(&w, st, "a.parquet", 0, d->schema, NELEMS, NULL));
    pq_file_writer_free(w);
    assert_int_equal(delta_store_get(st, "a.parquet", &file, &len), DELTA_ENOTFOUND);
    /* put-if-absent against an existing key */
    tw_ok(delta_store_put(st, "b.parquet", "x", 1));
    tw_ok(pq_file_writer_open(&w, st, "b.parquet", DELTA_PUT_IF_ABSENT, d->schema, NELEMS,
                              NULL));
    assert_int_equal(ds_write(d, w, 10000), DELTA_EEXIST);
    pq_file_writer_free(w);
    tw_ok(delta_store_get(st, "b.parquet", &file, &len));
    assert_int_equal(len, 1);
    delta_free(file);
    /* row count mismatch names the column */
    tw_ok(pq_file_writer_open(&w, st, "c.parquet", 0, d->schema, NELEMS, NULL));
    tw_ok(pq_column_writer_write(pq_file_writer_column(w, 0), 1, NULL, NULL, &one, NULL));
    assert_int_equal(pq_file_writer_end_row_group(w, 1), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "'key'"));
    assert_non_null(strstr(delta_error_last(), "c.parquet"));
    assert_int_equal(pq_file_writer_close(w), DELTA_EINVAL);
    pq_file_writer_free(w);
    assert_int_equal(delta_store_get(st, "c.parquet", &file, &len), DELTA_ENOTFOUND);
    /* an empty file is valid: schema, no row groups */
    tw_ok(pq_file_writer_open(&w, st, "e.parquet", 0, d->schema, NELEMS, NULL));
    tw_ok(pq_file_writer_close(w));
    pq_file_writer_free(w);
    tw_ok(delta_store_get(st, "e.parquet", &file, &len));
    pq_file_meta *m = tw_footer(file, len);
    assert_int_equal(m->num_row_groups, 0);
    assert_int_equal(m->num_schema, NELEMS);
    pq_file_meta_free(m);
    delta_free(file);
    /* bad schemas */
    pq_schema_element only_root = group("r", -1, 0);
    only_root.has_num_children = false;
    assert_int_equal(pq_file_writer_open(&w, st, "f.parquet", 0, &only_root, 1, NULL),
                     DELTA_EINVAL);
    delta_store_free(st);
}

/* Storage failing at every operation in turn: the write fails cleanly and
 * nothing is visible, until the run where no fault is reached. */
static void test_storage_faults(void **state)
{
    (void)state;
    dataset small;
    ds_make(&small, 3000);
    for (uint64_t n = 1;; n++) {
        delta_store *inner = mem_store(), *f;
        tw_ok(delta_store_fault_wrap(&f, inner, DELTA_FAULT_FAIL_FROM, n));
        pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
        o.row_group_size_rows = 1000;
        pq_file_writer *w = NULL;
        int rc = pq_file_writer_open(&w, f, "x.parquet", 0, small.schema, NELEMS, &o);
        if (!rc)
            rc = ds_write(&small, w, 500);
        pq_file_writer_free(w);
        delta_fault_stats fs;
        delta_store_fault_stats(f, &fs);
        uint8_t *file = NULL;
        size_t len;
        int grc = delta_store_get(inner, "x.parquet", &file, &len);
        delta_store_free(f);
        delta_store_free(inner);
        if (fs.failed == 0) {
            tw_ok(rc);
            tw_ok(grc);
            check_roundtrip(&small, file, len);
            delta_free(file);
            assert_true(n > 3);
            break;
        }
        assert_int_not_equal(rc, 0);
        assert_int_equal(grc, DELTA_ENOTFOUND);
        assert_non_null(strstr(delta_error_last(), "x.parquet"));
    }
    ds_free(&small);
}

/* Allocation failures at every allocation in turn. */
static void test_allocation_failures(void **state)
{
    (void)state;
    dataset small;
    ds_make(&small, 600);
    delta_store *st = mem_store();
    for (long n = 1;; n++) {
        pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
        o.row_group_size_rows = 250;
        o.page_max_rows = 100;
        pq_file_writer *w = NULL;
        delta_alloc_fail_after(n);
        int rc = pq_file_writer_open(&w, st, "oom.parquet", 0, small.schema, NELEMS, &o);
        if (!rc)
            rc = ds_write(&small, w, 100);
        pq_file_writer_free(w);
        long injected = delta_alloc_injected_failures();
        delta_alloc_fail_after(0);
        uint8_t *file = NULL;
        size_t len;
        int grc = delta_store_get(st, "oom.parquet", &file, &len);
        if (!injected) {
            tw_ok(rc);
            check_roundtrip(&small, file, len);
            delta_free(file);
            break;
        }
        assert_int_not_equal(rc, 0);
        assert_int_equal(grc, DELTA_ENOTFOUND);
    }
    delta_store_free(st);
    ds_free(&small);
}

/* ------------------------------------------------------------ DuckDB */

static int run_cmd(const char *cmd, dbuf *out)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        dbuf_append(out, buf, n);
    return pclose(p);
}

/* cmocka 1.1.5 has no skip message: say why, then skip. */
#define SKIP_WITH(msg)                                                                         \
    do {                                                                                       \
        print_message("%s\n", msg);                                                          \
        skip();                                                                                \
    } while (0)

static void test_duckdb_oracle(void **state)
{
    (void)state;
    dbuf out = DBUF_INIT;
    if (run_cmd("command -v node >/dev/null 2>&1", &out) != 0)
        SKIP_WITH("node is not installed: DuckDB oracle check skipped");
    const char *setup_cmd = "'" DELTA_ORACLE_SETUP "' 2>/dev/null";
    if (access(DELTA_SHARED_DIR "/tools/duckdb-oracle/setup", X_OK) != 0)
        SKIP_WITH("no DuckDB oracle under " DELTA_SHARED_DIR ": check skipped");
    dbuf_reset(&out);
    if (run_cmd(setup_cmd, &out) != 0 || out.len == 0) {
        dbuf_free(&out);
        SKIP_WITH("DuckDB oracle setup failed: check skipped");
    }
    while (out.len && (out.data[out.len - 1] == '\n' || out.data[out.len - 1] == '\r'))
        out.data[--out.len] = 0;
    char oracle[1024];
    snprintf(oracle, sizeof oracle, "%s", dbuf_cstr(&out));

    const char *tmp = getenv("TMPDIR");
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/pqwXXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    delta_store *st;
    tw_ok(delta_store_open(&st, dir));
    const dataset *d = &g_ds;
    static const struct {
        int codec;
        bool v2;
        size_t rg_rows;
    } variants[] = {{PQ_CODEC_SNAPPY, false, 7000},
                    {PQ_CODEC_ZSTD, true, 4000},
                    {PQ_CODEC_GZIP, false, 100000},
                    {PQ_CODEC_LZ4_RAW, true, 10000},
                    {PQ_CODEC_BROTLI, false, 9000},
                    {PQ_CODEC_UNCOMPRESSED, true, 30000}};
    size_t nvar = sizeof variants / sizeof variants[0];
    for (size_t i = 0; i < nvar; i++) {
        pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
        o.codec = variants[i].codec;
        o.data_page_v2 = variants[i].v2;
        o.row_group_size_rows = variants[i].rg_rows;
        o.page_max_rows = 2000;
        o.stats_truncate_len = 16;
        char key[32];
        snprintf(key, sizeof key, "f%zu.parquet", i);
        pq_file_writer *w;
        tw_ok(pq_file_writer_open(&w, st, key, 0, d->schema, NELEMS, &o));
        tw_ok(ds_write(d, w, 1000));
        pq_file_writer_free(w);
    }
    delta_store_free(st);

    dbuf sql = DBUF_INIT;
    /* NaN count computed here */
    size_t nan_count = 0;
    for (size_t k = 0; k < d->nval[C_AMOUNT]; k++) {
        double a;
        memcpy(&a, d->vals[C_AMOUNT] + 8 * k, 8);
        nan_count += isnan(a);
    }
    /* negative decimals below -9.90: cents < -990 */
    size_t neg = 0;
    for (size_t i = 0; i < d->rows; i++)
        neg += i % 13 != 0 && (int64_t)(i % 2001) - 1000 < -990;
    /* One query per file; every check is one boolean column. */
    for (size_t i = 0; i < nvar; i++) {
        char f[1400];
        snprintf(f, sizeof f, "read_parquet('%s/f%zu.parquet')", dir, i);
        if (i)
            dbuf_puts(&sql, " UNION ALL ");
        dbuf_printf(
            &sql,
            "SELECT %zu AS file, "
            "(SELECT count(*) = %zu AND sum(id) = %zu AND count(key) = %zu AND sum(key) = %lld "
            " AND count(cat) = %zu AND count(*) FILTER (WHERE flag) = %zu "
            " AND sum(dec) * 100 = %lld AND count(ts) = %zu "
            " AND sum(len(tags)) = %zu "
            " AND count(*) FILTER (WHERE tags IS NULL) = %zu "
            " AND count(*) FILTER (WHERE isnan(amount)) = %zu FROM %s) AS vals, "
            "(SELECT count(*) = %zu FROM %s WHERE u32 > 3000000000) AS u32_filter, "
            "(SELECT count(*) = %zu FROM %s WHERE u64 > 9223372036854775807) AS u64_filter, "
            "(SELECT count(*) = %zu FROM %s WHERE amount > 10) AS dbl_filter, "
            "(SELECT count(*) = %zu FROM %s WHERE cat >= 'zzzzzzzzzzzzzzzzzzzzz') AS str_filter, "
            "(SELECT count(*) = %zu FROM %s WHERE dec < -9.9) AS neg_dec",
            i, d->rows, d->rows * (d->rows + 1) / 2, d->key_count, (long long)d->key_sum,
            d->nval[C_CAT], (d->rows + 2) / 3, (long long)d->dec_sum, d->nval[C_TS],
            d->tag_elems, d->tag_null_lists, nan_count, f, d->u32_big, f, d->u64_big, f,
            d->amount_pos + nan_count /* NaN sorts above all in DuckDB: never pruned */, f,
            d->long_cat, f, neg, f);
    }
    dbuf cmd = DBUF_INIT;
    dbuf_printf(&cmd, "node '%s/sql.mjs' \"%s\" 2>&1", oracle, dbuf_cstr(&sql));
    dbuf_reset(&out);
    int rc = run_cmd(dbuf_cstr(&cmd), &out);
    const char *res = dbuf_cstr(&out);
    if (rc != 0)
        fail_msg("DuckDB failed (%d): %s", rc, res);
    size_t lines = 0;
    for (const char *p = res; (p = strchr(p, '\n')); p++)
        lines++;
    if (lines != nvar || strstr(res, "false") || !strstr(res, "true"))
        fail_msg("DuckDB disagrees: %s", res);
    dbuf_free(&cmd);
    dbuf_free(&sql);
    dbuf_free(&out);
    char rm[1400];
    snprintf(rm, sizeof rm, "%s'%s'", getenv("KEEP_PQ") ? "echo " : "rm -rf ", dir);
    assert_int_equal(system(rm), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_row_groups),
        cmocka_unit_test(test_options_variants),
        cmocka_unit_test(test_abort_and_visibility),
        cmocka_unit_test(test_storage_faults),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_duckdb_oracle),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
