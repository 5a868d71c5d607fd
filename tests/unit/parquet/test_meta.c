/*
 * Parquet metadata: FileMetaData, PageHeader, ColumnIndex, OffsetIndex
 * round trips (field by field, and byte-stable re-encoding), the footer
 * trailer, the schema tree (levels, paths, malformed trees), hostile input
 * (every truncation, random byte flips, huge counts, allocation failures,
 * encryption), and every real Parquet file under the shared golden and
 * extra directories.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/meta.h"
#include "parquet/schema.h"
#include "parquet/thrift.h"

#define SEED 0x3e7a5eedULL

static uint64_t rng_state = SEED;

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

static pq_bin B(const char *s, size_t n)
{
    return (pq_bin){(const uint8_t *)s, n};
}

/* ------------------------------------------------------------------ */
/* Field-by-field comparison                                           */
/* ------------------------------------------------------------------ */

static void cmp_str(pq_str a, pq_str b)
{
    assert_int_equal(a.len, b.len);
    if (a.len)
        assert_memory_equal(a.ptr, b.ptr, a.len);
}

static void cmp_bin(pq_bin a, pq_bin b)
{
    assert_int_equal(a.len, b.len);
    if (a.len)
        assert_memory_equal(a.ptr, b.ptr, a.len);
}

#define CMP_OPT(has, field)                                                                        \
    do {                                                                                           \
        assert_int_equal(a->has, b->has);                                                          \
        if (a->has)                                                                                \
            assert_true(a->field == b->field);                                                     \
    } while (0)

static void cmp_i64s(const int64_t *a, const int64_t *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        assert_true(a[i] == b[i]);
}

static void cmp_stats(const pq_statistics *a, const pq_statistics *b)
{
    assert_int_equal(a->has_max, b->has_max);
    if (a->has_max)
        cmp_bin(a->max, b->max);
    assert_int_equal(a->has_min, b->has_min);
    if (a->has_min)
        cmp_bin(a->min, b->min);
    assert_int_equal(a->has_max_value, b->has_max_value);
    if (a->has_max_value)
        cmp_bin(a->max_value, b->max_value);
    assert_int_equal(a->has_min_value, b->has_min_value);
    if (a->has_min_value)
        cmp_bin(a->min_value, b->min_value);
    CMP_OPT(has_null_count, null_count);
    CMP_OPT(has_distinct_count, distinct_count);
    CMP_OPT(has_is_max_value_exact, is_max_value_exact);
    CMP_OPT(has_is_min_value_exact, is_min_value_exact);
    CMP_OPT(has_nan_count, nan_count);
}

static void cmp_logical(const pq_logical_type *a, const pq_logical_type *b)
{
    assert_int_equal(a->kind, b->kind);
    switch (a->kind) {
    case PQ_LT_DECIMAL:
        assert_int_equal(a->scale, b->scale);
        assert_int_equal(a->precision, b->precision);
        break;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        assert_int_equal(a->is_adjusted_to_utc, b->is_adjusted_to_utc);
        assert_int_equal(a->unit, b->unit);
        break;
    case PQ_LT_INTEGER:
        assert_int_equal(a->bit_width, b->bit_width);
        assert_int_equal(a->is_signed, b->is_signed);
        break;
    case PQ_LT_VARIANT: CMP_OPT(has_specification_version, specification_version); break;
    case PQ_LT_GEOGRAPHY: CMP_OPT(has_algorithm, algorithm); /* fall through */
    case PQ_LT_GEOMETRY:
        assert_int_equal(a->has_crs, b->has_crs);
        if (a->has_crs)
            cmp_str(a->crs, b->crs);
        break;
    default: break;
    }
}

static void cmp_schema_element(const pq_schema_element *a, const pq_schema_element *b)
{
    cmp_str(a->name, b->name);
    CMP_OPT(has_type, type);
    CMP_OPT(has_type_length, type_length);
    CMP_OPT(has_repetition_type, repetition_type);
    CMP_OPT(has_num_children, num_children);
    CMP_OPT(has_converted_type, converted_type);
    CMP_OPT(has_scale, scale);
    CMP_OPT(has_precision, precision);
    CMP_OPT(has_field_id, field_id);
    CMP_OPT(has_vector_length, vector_length);
    assert_int_equal(a->has_logical_type, b->has_logical_type);
    if (a->has_logical_type)
        cmp_logical(&a->logical_type, &b->logical_type);
}

static void cmp_kvs(const pq_key_value *a, const pq_key_value *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        cmp_str(a[i].key, b[i].key);
        assert_int_equal(a[i].has_value, b[i].has_value);
        if (a[i].has_value)
            cmp_str(a[i].value, b[i].value);
    }
}

static void cmp_column_meta(const pq_column_meta *a, const pq_column_meta *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->num_encodings, b->num_encodings);
    for (uint32_t i = 0; i < a->num_encodings; i++)
        assert_int_equal(a->encodings[i], b->encodings[i]);
    assert_int_equal(a->num_path_in_schema, b->num_path_in_schema);
    for (uint32_t i = 0; i < a->num_path_in_schema; i++)
        cmp_str(a->path_in_schema[i], b->path_in_schema[i]);
    assert_int_equal(a->codec, b->codec);
    assert_true(a->num_values == b->num_values);
    assert_true(a->total_uncompressed_size == b->total_uncompressed_size);
    assert_true(a->total_compressed_size == b->total_compressed_size);
    assert_int_equal(a->has_key_value_metadata, b->has_key_value_metadata);
    if (a->has_key_value_metadata) {
        assert_int_equal(a->num_key_value_metadata, b->num_key_value_metadata);
        cmp_kvs(a->key_value_metadata, b->key_value_metadata, a->num_key_value_metadata);
    }
    assert_true(a->data_page_offset == b->data_page_offset);
    CMP_OPT(has_index_page_offset, index_page_offset);
    CMP_OPT(has_dictionary_page_offset, dictionary_page_offset);
    assert_int_equal(a->has_statistics, b->has_statistics);
    if (a->has_statistics)
        cmp_stats(&a->statistics, &b->statistics);
    assert_int_equal(a->has_encoding_stats, b->has_encoding_stats);
    if (a->has_encoding_stats) {
        assert_int_equal(a->num_encoding_stats, b->num_encoding_stats);
        for (uint32_t i = 0; i < a->num_encoding_stats; i++) {
            assert_int_equal(a->encoding_stats[i].page_type, b->encoding_stats[i].page_type);
            assert_int_equal(a->encoding_stats[i].encoding, b->encoding_stats[i].encoding);
            assert_int_equal(a->encoding_stats[i].count, b->encoding_stats[i].count);
        }
    }
    CMP_OPT(has_bloom_filter_offset, bloom_filter_offset);
    CMP_OPT(has_bloom_filter_length, bloom_filter_length);
    assert_int_equal(a->has_size_statistics, b->has_size_statistics);
    if (a->has_size_statistics) {
        const pq_size_statistics *x = &a->size_statistics, *y = &b->size_statistics;
        assert_int_equal(x->has_unencoded_byte_array_data_bytes,
                         y->has_unencoded_byte_array_data_bytes);
        if (x->has_unencoded_byte_array_data_bytes)
            assert_true(x->unencoded_byte_array_data_bytes == y->unencoded_byte_array_data_bytes);
        assert_int_equal(x->has_repetition_level_histogram, y->has_repetition_level_histogram);
        assert_int_equal(x->num_repetition_level_histogram, y->num_repetition_level_histogram);
        cmp_i64s(x->repetition_level_histogram, y->repetition_level_histogram,
                 x->num_repetition_level_histogram);
        assert_int_equal(x->has_definition_level_histogram, y->has_definition_level_histogram);
        assert_int_equal(x->num_definition_level_histogram, y->num_definition_level_histogram);
        cmp_i64s(x->definition_level_histogram, y->definition_level_histogram,
                 x->num_definition_level_histogram);
    }
}

static void cmp_column_chunk(const pq_column_chunk *a, const pq_column_chunk *b)
{
    assert_int_equal(a->has_file_path, b->has_file_path);
    if (a->has_file_path)
        cmp_str(a->file_path, b->file_path);
    assert_true(a->file_offset == b->file_offset);
    assert_int_equal(a->has_meta_data, b->has_meta_data);
    if (a->has_meta_data)
        cmp_column_meta(&a->meta_data, &b->meta_data);
    CMP_OPT(has_offset_index_offset, offset_index_offset);
    CMP_OPT(has_offset_index_length, offset_index_length);
    CMP_OPT(has_column_index_offset, column_index_offset);
    CMP_OPT(has_column_index_length, column_index_length);
}

static void cmp_file_meta(const pq_file_meta *a, const pq_file_meta *b)
{
    assert_int_equal(a->version, b->version);
    assert_true(a->num_rows == b->num_rows);
    assert_int_equal(a->num_schema, b->num_schema);
    for (uint32_t i = 0; i < a->num_schema; i++)
        cmp_schema_element(&a->schema[i], &b->schema[i]);
    assert_int_equal(a->num_row_groups, b->num_row_groups);
    for (uint32_t g = 0; g < a->num_row_groups; g++) {
        const pq_row_group *x = &a->row_groups[g], *y = &b->row_groups[g];
        assert_int_equal(x->num_columns, y->num_columns);
        for (uint32_t c = 0; c < x->num_columns; c++)
            cmp_column_chunk(&x->columns[c], &y->columns[c]);
        assert_true(x->total_byte_size == y->total_byte_size);
        assert_true(x->num_rows == y->num_rows);
        assert_int_equal(x->has_sorting_columns, y->has_sorting_columns);
        if (x->has_sorting_columns) {
            assert_int_equal(x->num_sorting_columns, y->num_sorting_columns);
            for (uint32_t i = 0; i < x->num_sorting_columns; i++) {
                assert_int_equal(x->sorting_columns[i].column_idx,
                                 y->sorting_columns[i].column_idx);
                assert_int_equal(x->sorting_columns[i].descending,
                                 y->sorting_columns[i].descending);
                assert_int_equal(x->sorting_columns[i].nulls_first,
                                 y->sorting_columns[i].nulls_first);
            }
        }
        assert_int_equal(x->has_file_offset, y->has_file_offset);
        if (x->has_file_offset)
            assert_true(x->file_offset == y->file_offset);
        assert_int_equal(x->has_total_compressed_size, y->has_total_compressed_size);
        if (x->has_total_compressed_size)
            assert_true(x->total_compressed_size == y->total_compressed_size);
        assert_int_equal(x->has_ordinal, y->has_ordinal);
        if (x->has_ordinal)
            assert_int_equal(x->ordinal, y->ordinal);
    }
    assert_int_equal(a->has_key_value_metadata, b->has_key_value_metadata);
    if (a->has_key_value_metadata) {
        assert_int_equal(a->num_key_value_metadata, b->num_key_value_metadata);
        cmp_kvs(a->key_value_metadata, b->key_value_metadata, a->num_key_value_metadata);
    }
    assert_int_equal(a->has_created_by, b->has_created_by);
    if (a->has_created_by)
        cmp_str(a->created_by, b->created_by);
    assert_int_equal(a->has_column_orders, b->has_column_orders);
    if (a->has_column_orders) {
        assert_int_equal(a->num_column_orders, b->num_column_orders);
        for (uint32_t i = 0; i < a->num_column_orders; i++)
            assert_int_equal(a->column_orders[i], b->column_orders[i]);
    }
}

static void cmp_page_header(const pq_page_header *a, const pq_page_header *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->uncompressed_page_size, b->uncompressed_page_size);
    assert_int_equal(a->compressed_page_size, b->compressed_page_size);
    CMP_OPT(has_crc, crc);
    assert_int_equal(a->has_data_page_header, b->has_data_page_header);
    if (a->has_data_page_header) {
        const pq_data_page_header *x = &a->data_page_header, *y = &b->data_page_header;
        assert_int_equal(x->num_values, y->num_values);
        assert_int_equal(x->encoding, y->encoding);
        assert_int_equal(x->definition_level_encoding, y->definition_level_encoding);
        assert_int_equal(x->repetition_level_encoding, y->repetition_level_encoding);
        assert_int_equal(x->has_statistics, y->has_statistics);
        if (x->has_statistics)
            cmp_stats(&x->statistics, &y->statistics);
    }
    assert_int_equal(a->has_index_page_header, b->has_index_page_header);
    assert_int_equal(a->has_dictionary_page_header, b->has_dictionary_page_header);
    if (a->has_dictionary_page_header) {
        const pq_dictionary_page_header *x = &a->dictionary_page_header,
                                        *y = &b->dictionary_page_header;
        assert_int_equal(x->num_values, y->num_values);
        assert_int_equal(x->encoding, y->encoding);
        assert_int_equal(x->has_is_sorted, y->has_is_sorted);
        if (x->has_is_sorted)
            assert_int_equal(x->is_sorted, y->is_sorted);
    }
    assert_int_equal(a->has_data_page_header_v2, b->has_data_page_header_v2);
    if (a->has_data_page_header_v2) {
        const pq_data_page_header_v2 *x = &a->data_page_header_v2, *y = &b->data_page_header_v2;
        assert_int_equal(x->num_values, y->num_values);
        assert_int_equal(x->num_nulls, y->num_nulls);
        assert_int_equal(x->num_rows, y->num_rows);
        assert_int_equal(x->encoding, y->encoding);
        assert_int_equal(x->definition_levels_byte_length, y->definition_levels_byte_length);
        assert_int_equal(x->repetition_levels_byte_length, y->repetition_levels_byte_length);
        assert_int_equal(x->is_compressed, y->is_compressed);
        assert_int_equal(x->has_is_compressed, y->has_is_compressed);
        assert_int_equal(x->has_statistics, y->has_statistics);
        if (x->has_statistics)
            cmp_stats(&x->statistics, &y->statistics);
    }
}

/* ------------------------------------------------------------------ */
/* A hand-built FileMetaData using every field                         */
/* ------------------------------------------------------------------ */

#define MAX_SCHEMA 40
#define MAX_LEAVES 32
#define MAX_PATH 8

typedef struct sample {
    pq_file_meta m;
    pq_schema_element schema[MAX_SCHEMA];
    pq_row_group groups[2];
    pq_column_chunk chunks[2][MAX_LEAVES];
    pq_str paths[MAX_LEAVES][MAX_PATH];
    int32_t encodings[3];
    pq_key_value kv[3];
    pq_page_encoding_stats pes[2];
    pq_sorting_column sorting[2];
    int64_t hist[3];
    int32_t orders[MAX_LEAVES];
} sample;

static pq_schema_element *add(sample *s, const char *name, int rep, int type, int children)
{
    pq_schema_element *e = &s->schema[s->m.num_schema++];
    assert_true(s->m.num_schema <= MAX_SCHEMA);
    memset(e, 0, sizeof *e);
    e->name = S(name);
    if (rep >= 0) {
        e->repetition_type = rep;
        e->has_repetition_type = true;
    }
    if (type >= 0) {
        e->type = type;
        e->has_type = true;
    }
    if (children >= 0) {
        e->num_children = children;
        e->has_num_children = true;
    }
    return e;
}

static pq_schema_element *add_lt(sample *s, const char *name, int rep, int type, int kind)
{
    pq_schema_element *e = add(s, name, rep, type, -1);
    e->has_logical_type = true;
    e->logical_type.kind = kind;
    return e;
}

static void build_sample(sample *s)
{
    memset(s, 0, sizeof *s);
    pq_file_meta *m = &s->m;
    m->version = 2;
    m->schema = s->schema;
    m->num_rows = 12345678901LL;

    add(s, "spark_schema", -1, -1, 5);
    pq_schema_element *e = add_lt(s, "id", PQ_REP_REQUIRED, PQ_TYPE_INT64, PQ_LT_INTEGER);
    e->logical_type.bit_width = 64;
    e->logical_type.is_signed = true;
    e->has_converted_type = true;
    e->converted_type = PQ_CT_INT_64;
    e->has_field_id = true;
    e->field_id = 1;
    e = add_lt(s, "name", PQ_REP_OPTIONAL, PQ_TYPE_BYTE_ARRAY, PQ_LT_STRING);
    e->has_converted_type = true;
    e->converted_type = PQ_CT_UTF8;
    e->has_field_id = true;
    e->field_id = -2;
    /* tags: LIST of ENUM strings */
    e = add(s, "tags", PQ_REP_OPTIONAL, -1, 1);
    e->has_logical_type = true;
    e->logical_type.kind = PQ_LT_LIST;
    e->has_converted_type = true;
    e->converted_type = PQ_CT_LIST;
    add(s, "list", PQ_REP_REPEATED, -1, 1);
    add_lt(s, "element", PQ_REP_OPTIONAL, PQ_TYPE_BYTE_ARRAY, PQ_LT_ENUM);
    /* attrs: MAP<json, bson> */
    e = add(s, "attrs", PQ_REP_OPTIONAL, -1, 1);
    e->has_logical_type = true;
    e->logical_type.kind = PQ_LT_MAP;
    e = add(s, "key_value", PQ_REP_REPEATED, -1, 2);
    e->has_converted_type = true;
    e->converted_type = PQ_CT_MAP_KEY_VALUE;
    add_lt(s, "key", PQ_REP_REQUIRED, PQ_TYPE_BYTE_ARRAY, PQ_LT_JSON);
    add_lt(s, "value", PQ_REP_OPTIONAL, PQ_TYPE_BYTE_ARRAY, PQ_LT_BSON);
    /* misc: one column per remaining logical type */
    add(s, "misc", PQ_REP_OPTIONAL, -1, 18);
    e = add_lt(s, "dec", PQ_REP_OPTIONAL, PQ_TYPE_FIXED_LEN_BYTE_ARRAY, PQ_LT_DECIMAL);
    e->has_type_length = true;
    e->type_length = 16;
    e->logical_type.scale = 10;
    e->logical_type.precision = 38;
    e->has_scale = e->has_precision = e->has_converted_type = true;
    e->scale = 10;
    e->precision = 38;
    e->converted_type = PQ_CT_DECIMAL;
    add_lt(s, "d", PQ_REP_OPTIONAL, PQ_TYPE_INT32, PQ_LT_DATE);
    e = add_lt(s, "t", PQ_REP_OPTIONAL, PQ_TYPE_INT64, PQ_LT_TIME);
    e->logical_type.unit = PQ_UNIT_MICROS;
    e->logical_type.is_adjusted_to_utc = true;
    e = add_lt(s, "ts", PQ_REP_OPTIONAL, PQ_TYPE_INT64, PQ_LT_TIMESTAMP);
    e->logical_type.unit = PQ_UNIT_NANOS;
    e = add_lt(s, "ts_ms", PQ_REP_OPTIONAL, PQ_TYPE_INT64, PQ_LT_TIMESTAMP);
    e->logical_type.unit = PQ_UNIT_MILLIS;
    e->logical_type.is_adjusted_to_utc = true;
    e = add_lt(s, "u8", PQ_REP_OPTIONAL, PQ_TYPE_INT32, PQ_LT_INTEGER);
    e->logical_type.bit_width = 8;
    add_lt(s, "nothing", PQ_REP_OPTIONAL, PQ_TYPE_INT32, PQ_LT_UNKNOWN);
    e = add_lt(s, "uuid", PQ_REP_OPTIONAL, PQ_TYPE_FIXED_LEN_BYTE_ARRAY, PQ_LT_UUID);
    e->has_type_length = true;
    e->type_length = 16;
    e = add_lt(s, "half", PQ_REP_OPTIONAL, PQ_TYPE_FIXED_LEN_BYTE_ARRAY, PQ_LT_FLOAT16);
    e->has_type_length = true;
    e->type_length = 2;
    e = add_lt(s, "geom", PQ_REP_OPTIONAL, PQ_TYPE_BYTE_ARRAY, PQ_LT_GEOMETRY);
    e->logical_type.has_crs = true;
    e->logical_type.crs = S("OGC:CRS84");
    e = add_lt(s, "geog", PQ_REP_OPTIONAL, PQ_TYPE_BYTE_ARRAY, PQ_LT_GEOGRAPHY);
    e->logical_type.has_algorithm = true;
    e->logical_type.algorithm = 2;
    add(s, "old_ts", PQ_REP_OPTIONAL, PQ_TYPE_INT96, -1);
    add(s, "flag", PQ_REP_REQUIRED, PQ_TYPE_BOOLEAN, -1);
    add(s, "f", PQ_REP_OPTIONAL, PQ_TYPE_FLOAT, -1);
    add_lt(s, "future", PQ_REP_OPTIONAL, PQ_TYPE_DOUBLE, 42); /* unrecognised member */
    e = add(s, "var", PQ_REP_OPTIONAL, -1, 2);
    e->has_logical_type = true;
    e->logical_type.kind = PQ_LT_VARIANT;
    e->logical_type.has_specification_version = true;
    e->logical_type.specification_version = 1;
    add(s, "metadata", PQ_REP_REQUIRED, PQ_TYPE_BYTE_ARRAY, -1);
    add(s, "value", PQ_REP_REQUIRED, PQ_TYPE_BYTE_ARRAY, -1);
    e = add(s, "json_ct", PQ_REP_OPTIONAL, PQ_TYPE_BYTE_ARRAY, -1);
    e->has_converted_type = true;
    e->converted_type = PQ_CT_JSON;
    e = add(s, "bits", PQ_REP_OPTIONAL, PQ_TYPE_INT32, -1);
    e->has_type_length = true; /* bit length hint on a non-FLBA */
    e->type_length = 3;

    /* Column chunks from the tree. */
    pq_schema *tree;
    assert_int_equal(pq_schema_build(&tree, s->schema, m->num_schema), 0);
    assert_true(tree->num_leaves <= MAX_LEAVES);
    s->encodings[0] = PQ_ENC_PLAIN;
    s->encodings[1] = PQ_ENC_RLE;
    s->encodings[2] = PQ_ENC_RLE_DICTIONARY;
    s->kv[0] = (pq_key_value){S("org.apache.spark.version"), S("3.5.0"), true};
    s->kv[1] = (pq_key_value){S("no-value"), {NULL, 0}, false};
    s->kv[2] = (pq_key_value){S(""), S(""), true};
    s->pes[0] = (pq_page_encoding_stats){PQ_PAGE_DICTIONARY, PQ_ENC_PLAIN, 1};
    s->pes[1] = (pq_page_encoding_stats){PQ_PAGE_DATA, PQ_ENC_RLE_DICTIONARY, 7};
    s->sorting[0] = (pq_sorting_column){0, true, false};
    s->sorting[1] = (pq_sorting_column){3, false, true};
    s->hist[0] = 5;
    s->hist[1] = -1;
    s->hist[2] = INT64_MAX;
    int64_t offset = 4;
    for (int g = 0; g < 2; g++) {
        pq_row_group *rg = &s->groups[g];
        rg->columns = s->chunks[g];
        rg->num_columns = tree->num_leaves;
        rg->num_rows = 1000 + g;
        rg->total_byte_size = 99999;
        rg->has_file_offset = true;
        rg->file_offset = offset;
        rg->has_ordinal = g == 1;
        rg->ordinal = (int16_t)g;
        rg->has_total_compressed_size = true;
        rg->total_compressed_size = 4242;
        rg->has_sorting_columns = g == 0;
        rg->sorting_columns = s->sorting;
        rg->num_sorting_columns = 2;
        for (uint32_t c = 0; c < tree->num_leaves; c++) {
            pq_column_chunk *cc = &s->chunks[g][c];
            pq_column_meta *cm = &cc->meta_data;
            const pq_schema_node *leaf = tree->leaves[c];
            const char *names[MAX_PATH];
            uint32_t depth = pq_schema_node_path(leaf, names, MAX_PATH);
            assert_true(depth <= MAX_PATH);
            for (uint32_t k = 0; k < depth; k++)
                s->paths[c][k] = S(names[k]);
            cc->file_offset = offset + 100;
            cc->has_meta_data = true;
            cm->type = leaf->elem->type;
            cm->encodings = s->encodings;
            cm->num_encodings = 1 + c % 3;
            cm->path_in_schema = s->paths[c];
            cm->num_path_in_schema = depth;
            cm->codec = (int32_t)(c % 8);
            cm->num_values = 1000 + c;
            cm->total_uncompressed_size = 200 + c;
            cm->total_compressed_size = 100;
            cm->data_page_offset = offset + 10;
            if (c % 2 == 0) {
                cm->has_dictionary_page_offset = true;
                cm->dictionary_page_offset = offset;
            }
            if (c % 3 == 0) {
                cm->has_statistics = true;
                pq_statistics *st = &cm->statistics;
                st->has_max = st->has_min = st->has_max_value = st->has_min_value = true;
                st->max = B("zz\0z", 4);
                st->min = B("", 0);
                st->max_value = B("\xff\xfe", 2);
                st->min_value = B("a", 1);
                st->has_null_count = true;
                st->null_count = 0;
                st->has_distinct_count = c == 0;
                st->distinct_count = 77;
                st->has_is_max_value_exact = st->has_is_min_value_exact = true;
                st->is_max_value_exact = true;
                st->is_min_value_exact = false;
                st->has_nan_count = c == 3;
                st->nan_count = 2;
            }
            if (c == 1) {
                cm->has_key_value_metadata = true;
                cm->key_value_metadata = s->kv;
                cm->num_key_value_metadata = 3;
                cm->has_encoding_stats = true;
                cm->encoding_stats = s->pes;
                cm->num_encoding_stats = 2;
                cm->has_index_page_offset = true;
                cm->index_page_offset = 77;
                cm->has_bloom_filter_offset = cm->has_bloom_filter_length = true;
                cm->bloom_filter_offset = 1 << 20;
                cm->bloom_filter_length = 4096;
                cm->has_size_statistics = true;
                cm->size_statistics.has_unencoded_byte_array_data_bytes = true;
                cm->size_statistics.unencoded_byte_array_data_bytes = 31;
                cm->size_statistics.has_repetition_level_histogram = true;
                cm->size_statistics.repetition_level_histogram = s->hist;
                cm->size_statistics.num_repetition_level_histogram = 3;
                cm->size_statistics.has_definition_level_histogram = true; /* empty */
                cc->has_file_path = true;
                cc->file_path = S("other.parquet");
                cc->has_offset_index_offset = cc->has_offset_index_length = true;
                cc->offset_index_offset = 5000;
                cc->offset_index_length = 40;
                cc->has_column_index_offset = cc->has_column_index_length = true;
                cc->column_index_offset = 6000;
                cc->column_index_length = 60;
            }
            offset += 100;
        }
    }
    m->row_groups = s->groups;
    m->num_row_groups = 2;
    m->has_key_value_metadata = true;
    m->key_value_metadata = s->kv;
    m->num_key_value_metadata = 3;
    m->has_created_by = true;
    m->created_by = S("libdelta test");
    m->has_column_orders = true;
    m->column_orders = s->orders;
    m->num_column_orders = tree->num_leaves;
    for (uint32_t c = 0; c < tree->num_leaves; c++)
        s->orders[c] = c == 5 ? 99 : (c % 2 ? PQ_ORDER_TYPE_DEFINED : PQ_ORDER_IEEE_754_TOTAL);
    pq_schema_free(tree);
}

static void encode_sample(dbuf *out)
{
    sample *s = delta_malloc(sizeof *s);
    assert_non_null(s);
    build_sample(s);
    assert_int_equal(pq_file_meta_encode(out, &s->m), 0);
    delta_free(s);
}

static void test_file_meta_roundtrip(void **state)
{
    (void)state;
    sample *s = delta_malloc(sizeof *s);
    assert_non_null(s);
    build_sample(s);
    dbuf a = DBUF_INIT, b = DBUF_INIT;
    assert_int_equal(pq_file_meta_encode(&a, &s->m), 0);

    pq_file_meta *m;
    assert_int_equal(pq_file_meta_decode(&m, a.data, a.len), 0);
    cmp_file_meta(&s->m, m);
    /* Decoded strings are NUL-terminated copies, not pointers into a. */
    assert_int_equal(m->created_by.ptr[m->created_by.len], '\0');
    assert_true((const uint8_t *)m->created_by.ptr < a.data ||
                (const uint8_t *)m->created_by.ptr >= a.data + a.len);

    assert_int_equal(pq_file_meta_encode(&b, m), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);

    /* The decoded schema builds and the metadata is consistent with it. */
    pq_schema *tree;
    assert_int_equal(pq_schema_build(&tree, m->schema, m->num_schema), 0);
    assert_int_equal(pq_file_meta_validate(m, tree, 1 << 20), 0);
    /* A data_end before the last chunk ends is caught. */
    assert_int_equal(pq_file_meta_validate(m, tree, 1000), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "runs past"));
    pq_schema_free(tree);

    pq_file_meta_free(m);
    dbuf_free(&a);
    dbuf_free(&b);
    delta_free(s);
}

static void test_file_meta_every_prefix_fails(void **state)
{
    (void)state;
    dbuf a = DBUF_INIT;
    encode_sample(&a);
    for (size_t len = 0; len < a.len; len++) {
        uint8_t *copy = delta_memdup(a.data, len ? len : 1);
        assert_non_null(copy);
        pq_file_meta *m = (pq_file_meta *)&m; /* must be reset to NULL */
        int rc = pq_file_meta_decode(&m, copy, len);
        assert_int_equal(rc, DELTA_ECORRUPT);
        assert_null(m);
        assert_non_null(strstr(delta_error_last(), "FileMetaData"));
        delta_free(copy);
    }
    /* Trailing bytes after the struct are refused too. */
    dbuf_putc(&a, 0);
    pq_file_meta *m;
    assert_int_equal(pq_file_meta_decode(&m, a.data, a.len), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "unexpected bytes"));
    dbuf_free(&a);
}

static void test_file_meta_random_flips(void **state)
{
    (void)state;
    printf("seed 0x%llx\n", (unsigned long long)SEED);
    rng_state = SEED;
    dbuf a = DBUF_INIT;
    encode_sample(&a);
    int decoded = 0, refused = 0;
    for (int iter = 0; iter < 4000; iter++) {
        uint8_t *copy = delta_memdup(a.data, a.len);
        assert_non_null(copy);
        int flips = 1 + (int)(rnd() % 4);
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)(rnd() % a.len);
            if (rnd() & 1)
                copy[at] ^= (uint8_t)(1u << (rnd() % 8));
            else
                copy[at] = (uint8_t)rnd();
        }
        pq_file_meta *m;
        int rc = pq_file_meta_decode(&m, copy, a.len);
        if (rc == 0) {
            decoded++;
            /* Whatever decoded must re-encode and survive the schema and
             * consistency checks without crashing. */
            dbuf b = DBUF_INIT;
            int erc = pq_file_meta_encode(&b, m);
            if (erc)
                assert_int_equal(erc, DELTA_EINVAL); /* e.g. a TimeUnit flipped away */
            dbuf_free(&b);
            pq_schema *tree;
            if (pq_schema_build(&tree, m->schema, m->num_schema) == 0) {
                (void)pq_file_meta_validate(m, tree, a.len);
                pq_schema_free(tree);
            }
            pq_file_meta_free(m);
        } else {
            refused++;
            assert_true(rc == DELTA_ECORRUPT || rc == DELTA_EUNSUPPORTED);
            assert_true(strlen(delta_error_last()) > 0);
        }
        delta_free(copy);
    }
    printf("random flips: %d decoded, %d refused\n", decoded, refused);
    assert_true(refused > 0);
    dbuf_free(&a);
}

static void test_file_meta_alloc_failures(void **state)
{
    (void)state;
    dbuf a = DBUF_INIT;
    encode_sample(&a);
    long k;
    for (k = 1; k < 10000; k++) {
        pq_file_meta *m;
        delta_alloc_fail_after(k);
        int rc = pq_file_meta_decode(&m, a.data, a.len);
        long injected = delta_alloc_injected_failures();
        delta_alloc_fail_after(0);
        if (rc == 0) {
            assert_int_equal(injected, 0);
            pq_file_meta_free(m);
            break;
        }
        assert_int_equal(rc, DELTA_ENOMEM);
        assert_null(m);
    }
    printf("decode needs %ld allocations\n", k - 1);
    assert_true(k > 1 && k < 10000);
    dbuf_free(&a);
}

/* Builds a FileMetaData by hand with the thrift writer. */
static void begin_meta(pq_twriter *w, dbuf *b)
{
    pq_tw_init(w, b);
    pq_tw_struct_begin(w);
    pq_tw_field_i32(w, 1, 1);
}

static void test_file_meta_hostile_counts(void **state)
{
    (void)state;
    /* schema: list of 2^31-1 SchemaElements in a few bytes. */
    dbuf b = DBUF_INIT;
    pq_twriter w;
    begin_meta(&w, &b);
    pq_tw_field(&w, 2, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, INT32_MAX);
    dbuf_append(&b, "\0\0\0\0", 4);
    pq_file_meta *m;
    assert_int_equal(pq_file_meta_decode(&m, b.data, b.len), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "FileMetaData.schema: "));
    assert_non_null(strstr(delta_error_last(), "cannot fit"));

    /* A count that fits the bytes left (1 byte per empty struct) but whose
     * elements are invalid: fails at the first element, having allocated
     * room for a handful of elements only. */
    dbuf_reset(&b);
    begin_meta(&w, &b);
    pq_tw_field(&w, 2, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 1u << 20);
    dbuf_grow(&b, 1u << 20);
    assert_int_equal(pq_file_meta_decode(&m, b.data, b.len), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "FileMetaData.schema[0]"));
    assert_non_null(strstr(delta_error_last(), "required field 'name'"));

    /* Strings longer than what is left. */
    dbuf_reset(&b);
    begin_meta(&w, &b);
    pq_tw_field(&w, 6, PQ_T_BINARY);
    pq_tw_varint_u32(&w, 1000000);
    dbuf_append(&b, "abc", 3);
    assert_int_equal(pq_file_meta_decode(&m, b.data, b.len), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "created_by"));

    /* Nesting through unknown fields is bounded too. */
    dbuf_reset(&b);
    begin_meta(&w, &b);
    dbuf_append(&b, "\x0c\x64", 2); /* unknown field 50, a struct */
    for (int i = 0; i < 100; i++)
        dbuf_putc(&b, 0x1c); /* field +1, struct */
    dbuf_grow(&b, 101);
    assert_int_equal(pq_file_meta_decode(&m, b.data, b.len), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "nesting"));
    dbuf_free(&b);
}

static void test_file_meta_error_paths_and_types(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    pq_twriter w;
    begin_meta(&w, &b);
    pq_tw_field(&w, 2, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 1);
    pq_tw_struct_begin(&w);
    pq_tw_field_binary(&w, 4, "root", 4);
    pq_tw_struct_end(&w);
    pq_tw_field_i64(&w, 3, 0);
    pq_tw_field(&w, 4, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 1);
    pq_tw_struct_begin(&w); /* RowGroup */
    pq_tw_field(&w, 1, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 2);
    pq_tw_struct_begin(&w); /* ColumnChunk 0: fine, no meta_data */
    pq_tw_field_i64(&w, 2, 0);
    pq_tw_struct_end(&w);
    pq_tw_struct_begin(&w); /* ColumnChunk 1 */
    pq_tw_field_i64(&w, 2, 0);
    pq_tw_field(&w, 3, PQ_T_STRUCT);
    pq_tw_struct_begin(&w); /* ColumnMetaData */
    pq_tw_field_i32(&w, 1, PQ_TYPE_INT32);
    pq_tw_field_binary(&w, 5, "oops", 4); /* num_values must be an i64 */
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    pq_tw_field_i64(&w, 2, 0);
    pq_tw_field_i64(&w, 3, 0);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_finish(&w), 0);

    pq_file_meta *m;
    assert_int_equal(pq_file_meta_decode(&m, b.data, b.len), DELTA_ECORRUPT);
    const char *msg = delta_error_last();
    assert_non_null(strstr(msg, "FileMetaData.row_groups[0].columns[1].meta_data.num_values: "));
    assert_non_null(strstr(msg, "has type binary, expected i64"));
    assert_non_null(strstr(msg, "at byte"));
    dbuf_free(&b);

    /* A missing required field is named. */
    dbuf_reset(&b);
    pq_tw_init(&w, &b);
    pq_tw_struct_begin(&w);
    pq_tw_field_i32(&w, 1, 1);
    pq_tw_field_i64(&w, 3, 0);
    pq_tw_struct_end(&w);
    assert_int_equal(pq_file_meta_decode(&m, b.data, b.len), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "required field 'schema' (id 2) missing"));

    /* A LogicalType union with two members. */
    dbuf_reset(&b);
    begin_meta(&w, &b);
    pq_tw_field(&w, 2, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 1);
    pq_tw_struct_begin(&w);
    pq_tw_field_binary(&w, 4, "x", 1);
    pq_tw_field(&w, 10, PQ_T_STRUCT);
    pq_tw_struct_begin(&w);
    pq_tw_field(&w, 1, PQ_T_STRUCT);
    pq_tw_struct_begin(&w);
    pq_tw_struct_end(&w);
    pq_tw_field(&w, 6, PQ_T_STRUCT);
    pq_tw_struct_begin(&w);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    pq_tw_field_i64(&w, 3, 0);
    pq_tw_field(&w, 4, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 0);
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_finish(&w), 0);
    assert_int_equal(pq_file_meta_decode(&m, b.data, b.len), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "FileMetaData.schema[0].logicalType.DATE"));
    assert_non_null(strstr(delta_error_last(), "more than one member"));
    dbuf_free(&b);
}

static void test_file_meta_unknown_fields_skipped(void **state)
{
    (void)state;
    /* The same metadata with unknown fields of every kind sprinkled in
     * decodes to the same structure. */
    dbuf b = DBUF_INIT;
    pq_twriter w;
    pq_tw_init(&w, &b);
    pq_tw_struct_begin(&w);
    pq_tw_field_i32(&w, 1, 1);
    pq_tw_field(&w, 2, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 2);
    pq_tw_struct_begin(&w);
    pq_tw_field_binary(&w, 4, "root", 4);
    pq_tw_field_i32(&w, 5, 1);
    pq_tw_field_double(&w, 30, 1.5); /* unknown */
    pq_tw_struct_end(&w);
    pq_tw_struct_begin(&w);
    pq_tw_field_i32(&w, 1, PQ_TYPE_INT32);
    pq_tw_field_i32(&w, 3, PQ_REP_OPTIONAL);
    pq_tw_field_binary(&w, 4, "c", 1);
    pq_tw_field(&w, 10, PQ_T_STRUCT); /* logicalType with an unknown inner field */
    pq_tw_struct_begin(&w);
    pq_tw_field(&w, PQ_LT_INTEGER, PQ_T_STRUCT);
    pq_tw_struct_begin(&w);
    pq_tw_field_i8(&w, 1, 16);
    pq_tw_field_bool(&w, 2, true);
    pq_tw_field_binary(&w, 3, "future", 6);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    pq_tw_field_i64(&w, 3, 7);
    pq_tw_field(&w, 4, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 0);
    pq_tw_field_bool(&w, 20, true); /* unknown bool */
    pq_tw_field(&w, 21, PQ_T_MAP);  /* unknown map */
    pq_tw_map_begin(&w, PQ_T_BINARY, PQ_T_LIST, 1);
    pq_tw_binary(&w, "k", 1);
    pq_tw_list_begin(&w, PQ_T_I64, 2);
    pq_tw_i64(&w, 1);
    pq_tw_i64(&w, 2);
    pq_tw_field(&w, 1000, PQ_T_SET); /* unknown set, long-form id */
    pq_tw_list_begin(&w, PQ_T_BOOL, 1);
    pq_tw_bool(&w, false);
    pq_tw_field_binary(&w, 6, "writer", 6); /* known field after unknowns */
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_finish(&w), 0);

    pq_file_meta *m;
    assert_int_equal(pq_file_meta_decode(&m, b.data, b.len), 0);
    assert_int_equal(m->num_schema, 2);
    assert_string_equal(m->schema[1].name.ptr, "c");
    assert_true(m->schema[1].has_logical_type);
    assert_int_equal(m->schema[1].logical_type.kind, PQ_LT_INTEGER);
    assert_int_equal(m->schema[1].logical_type.bit_width, 16);
    assert_true(m->schema[1].logical_type.is_signed);
    assert_true(m->num_rows == 7);
    assert_true(m->has_created_by);
    assert_string_equal(m->created_by.ptr, "writer");
    assert_false(m->has_key_value_metadata);
    pq_file_meta_free(m);
    dbuf_free(&b);
}

static void test_encryption_refused(void **state)
{
    (void)state;
    /* Plaintext footer of an encrypted file: FileMetaData.encryption_algorithm. */
    dbuf b = DBUF_INIT;
    pq_twriter w;
    begin_meta(&w, &b);
    pq_tw_field(&w, 8, PQ_T_STRUCT);
    pq_tw_struct_begin(&w);
    pq_tw_field(&w, 1, PQ_T_STRUCT);
    pq_tw_struct_begin(&w);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    pq_file_meta *m;
    assert_int_equal(pq_file_meta_decode(&m, b.data, b.len), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "encryption"));

    /* An encrypted column chunk. */
    dbuf_reset(&b);
    begin_meta(&w, &b);
    pq_tw_field(&w, 4, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 1);
    pq_tw_struct_begin(&w);
    pq_tw_field(&w, 1, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 1);
    pq_tw_struct_begin(&w);
    pq_tw_field_i64(&w, 2, 0);
    pq_tw_field_binary(&w, 9, "secret", 6);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    assert_int_equal(pq_file_meta_decode(&m, b.data, b.len), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "encrypted_column_metadata"));
    assert_non_null(strstr(delta_error_last(), "row_groups[0].columns[0]"));
    dbuf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Footer                                                              */
/* ------------------------------------------------------------------ */

static void test_footer(void **state)
{
    (void)state;
    uint8_t tail[8] = {0x10, 0, 0, 0, 'P', 'A', 'R', '1'};
    uint32_t len = 0;
    assert_int_equal(pq_footer_parse(tail, 8, 100, &len), 0);
    assert_int_equal(len, 16);
    /* Exactly fitting: 4 magic + 16 + 8. */
    assert_int_equal(pq_footer_parse(tail, 8, 28, &len), 0);
    assert_int_equal(pq_footer_parse(tail, 8, 27, &len), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "metadata length 16"));
    /* Encrypted footer. */
    memcpy(tail + 4, "PARE", 4);
    assert_int_equal(pq_footer_parse(tail, 8, 100, &len), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "encrypt"));
    /* Not Parquet. */
    memcpy(tail + 4, "PAR2", 4);
    assert_int_equal(pq_footer_parse(tail, 8, 100, &len), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "PAR1"));
    /* Zero and huge lengths, tiny files, short tails. */
    memcpy(tail, "\0\0\0\0PAR1", 8);
    assert_int_equal(pq_footer_parse(tail, 8, 100, &len), DELTA_ECORRUPT);
    memcpy(tail, "\xff\xff\xff\xffPAR1", 8);
    assert_int_equal(pq_footer_parse(tail, 8, 100, &len), DELTA_ECORRUPT);
    assert_int_equal(pq_footer_parse(tail, 8, 11, &len), DELTA_ECORRUPT);
    assert_int_equal(pq_footer_parse(tail, 7, 100, &len), DELTA_EINVAL);
}

/* ------------------------------------------------------------------ */
/* Page headers and page indexes                                       */
/* ------------------------------------------------------------------ */

static void check_page_header_roundtrip(const pq_page_header *h)
{
    dbuf a = DBUF_INIT;
    assert_int_equal(pq_page_header_encode(&a, h), 0);
    size_t hlen = a.len;
    dbuf_append(&a, "PAGEDATA", 8); /* the page follows its header */
    pq_page_header d;
    size_t consumed = 0;
    assert_int_equal(pq_page_header_decode(&d, a.data, a.len, &consumed), 0);
    assert_int_equal(consumed, hlen);
    cmp_page_header(h, &d);
    /* Statistics borrow from the buffer. */
    if (d.has_data_page_header && d.data_page_header.statistics.has_max_value &&
        d.data_page_header.statistics.max_value.len) {
        const uint8_t *p = d.data_page_header.statistics.max_value.ptr;
        assert_true(p >= a.data && p < a.data + hlen);
    }
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_page_header_encode(&b, &d), 0);
    assert_int_equal(b.len, hlen);
    assert_memory_equal(a.data, b.data, hlen);
    for (size_t len = 0; len < hlen; len++) {
        uint8_t *copy = delta_memdup(a.data, len ? len : 1);
        assert_non_null(copy);
        assert_int_equal(pq_page_header_decode(&d, copy, len, &consumed), DELTA_ECORRUPT);
        assert_non_null(strstr(delta_error_last(), "PageHeader"));
        delta_free(copy);
    }
    dbuf_free(&a);
    dbuf_free(&b);
}

static void test_page_headers(void **state)
{
    (void)state;
    pq_page_header h;

    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA;
    h.uncompressed_page_size = 1 << 20;
    h.compressed_page_size = 12345;
    h.has_crc = true;
    h.crc = (int32_t)0xdeadbeef;
    h.has_data_page_header = true;
    h.data_page_header.num_values = 1000;
    h.data_page_header.encoding = PQ_ENC_RLE_DICTIONARY;
    h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
    h.data_page_header.repetition_level_encoding = PQ_ENC_BIT_PACKED;
    h.data_page_header.has_statistics = true;
    h.data_page_header.statistics.has_max_value = true;
    h.data_page_header.statistics.max_value = B("maximum", 7);
    h.data_page_header.statistics.has_min_value = true;
    h.data_page_header.statistics.min_value = B("", 0);
    h.data_page_header.statistics.has_null_count = true;
    h.data_page_header.statistics.null_count = 3;
    check_page_header_roundtrip(&h);

    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DICTIONARY;
    h.uncompressed_page_size = 10;
    h.compressed_page_size = 10;
    h.has_dictionary_page_header = true;
    h.dictionary_page_header.num_values = 2;
    h.dictionary_page_header.encoding = PQ_ENC_PLAIN_DICTIONARY;
    h.dictionary_page_header.has_is_sorted = true;
    h.dictionary_page_header.is_sorted = true;
    check_page_header_roundtrip(&h);

    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA_V2;
    h.uncompressed_page_size = 500;
    h.compressed_page_size = 400;
    h.has_data_page_header_v2 = true;
    h.data_page_header_v2.num_values = 100;
    h.data_page_header_v2.num_nulls = 10;
    h.data_page_header_v2.num_rows = 50;
    h.data_page_header_v2.encoding = PQ_ENC_DELTA_BINARY_PACKED;
    h.data_page_header_v2.definition_levels_byte_length = 7;
    h.data_page_header_v2.repetition_levels_byte_length = 9;
    h.data_page_header_v2.has_is_compressed = true;
    h.data_page_header_v2.is_compressed = false;
    h.data_page_header_v2.has_statistics = true;
    h.data_page_header_v2.statistics.has_distinct_count = true;
    h.data_page_header_v2.statistics.distinct_count = 42;
    check_page_header_roundtrip(&h);
    /* is_compressed absent means true. */
    h.data_page_header_v2.has_is_compressed = false;
    h.data_page_header_v2.is_compressed = true;
    check_page_header_roundtrip(&h);

    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_INDEX;
    h.has_index_page_header = true;
    check_page_header_roundtrip(&h);

    /* A page header missing its required sizes. */
    static const uint8_t partial[] = {0x15, 0x00, 0x00};
    size_t consumed;
    assert_int_equal(pq_page_header_decode(&h, partial, sizeof partial, &consumed), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "uncompressed_page_size"));
}

static void test_column_index(void **state)
{
    (void)state;
    bool nulls[3] = {false, true, false};
    pq_bin mins[3] = {B("a", 1), B("", 0), B("c\0d", 3)};
    pq_bin maxs[3] = {B("b", 1), B("", 0), B("zz", 2)};
    int64_t counts[3] = {0, 100, 5};
    int64_t hist[6] = {1, 2, 3, 4, 5, 6};
    pq_column_index ci;
    memset(&ci, 0, sizeof ci);
    ci.num_pages = 3;
    ci.null_pages = nulls;
    ci.min_values = mins;
    ci.max_values = maxs;
    ci.boundary_order = PQ_BOUNDARY_ASCENDING;
    ci.has_null_counts = true;
    ci.null_counts = counts;
    ci.has_definition_level_histograms = true;
    ci.definition_level_histograms = hist;
    ci.num_definition_level_histograms = 6;
    ci.has_nan_counts = true;
    ci.nan_counts = counts;

    dbuf a = DBUF_INIT, b = DBUF_INIT;
    assert_int_equal(pq_column_index_encode(&a, &ci), 0);
    pq_column_index *d;
    assert_int_equal(pq_column_index_decode(&d, a.data, a.len), 0);
    assert_int_equal(d->num_pages, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(d->null_pages[i], nulls[i]);
        cmp_bin(d->min_values[i], mins[i]);
        cmp_bin(d->max_values[i], maxs[i]);
        assert_true(d->null_counts[i] == counts[i]);
        assert_true(d->nan_counts[i] == counts[i]);
    }
    assert_int_equal(d->boundary_order, PQ_BOUNDARY_ASCENDING);
    assert_false(d->has_repetition_level_histograms);
    assert_int_equal(d->num_definition_level_histograms, 6);
    cmp_i64s(d->definition_level_histograms, hist, 6);
    assert_int_equal(pq_column_index_encode(&b, d), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    pq_column_index_free(d);

    for (size_t len = 0; len < a.len; len++) {
        uint8_t *copy = delta_memdup(a.data, len ? len : 1);
        assert_int_equal(pq_column_index_decode(&d, copy, len), DELTA_ECORRUPT);
        assert_null(d);
        delta_free(copy);
    }

    /* Lists of different lengths are refused. */
    dbuf_reset(&a);
    pq_twriter w;
    pq_tw_init(&w, &a);
    pq_tw_struct_begin(&w);
    pq_tw_field(&w, 1, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_BOOL, 2);
    pq_tw_bool(&w, false);
    pq_tw_bool(&w, false);
    pq_tw_field(&w, 2, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_BINARY, 1);
    pq_tw_binary(&w, "a", 1);
    pq_tw_field(&w, 3, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_BINARY, 2);
    pq_tw_binary(&w, "a", 1);
    pq_tw_binary(&w, "b", 1);
    pq_tw_field_i32(&w, 4, 0);
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_finish(&w), 0);
    assert_int_equal(pq_column_index_decode(&d, a.data, a.len), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "min_values 1"));
    dbuf_free(&a);
    dbuf_free(&b);
}

static void test_offset_index(void **state)
{
    (void)state;
    pq_page_location locs[40];
    int64_t sizes[40];
    for (int i = 0; i < 40; i++) {
        locs[i] = (pq_page_location){4 + 1000LL * i, 1000, 10LL * i};
        sizes[i] = i * 3;
    }
    pq_offset_index oi;
    memset(&oi, 0, sizeof oi);
    oi.page_locations = locs;
    oi.num_pages = 40;
    oi.has_unencoded_byte_array_data_bytes = true;
    oi.unencoded_byte_array_data_bytes = sizes;
    oi.num_unencoded_byte_array_data_bytes = 40;
    dbuf a = DBUF_INIT, b = DBUF_INIT;
    assert_int_equal(pq_offset_index_encode(&a, &oi), 0);
    pq_offset_index *d;
    assert_int_equal(pq_offset_index_decode(&d, a.data, a.len), 0);
    assert_int_equal(d->num_pages, 40);
    for (int i = 0; i < 40; i++) {
        assert_true(d->page_locations[i].offset == locs[i].offset);
        assert_int_equal(d->page_locations[i].compressed_page_size, 1000);
        assert_true(d->page_locations[i].first_row_index == locs[i].first_row_index);
        assert_true(d->unencoded_byte_array_data_bytes[i] == sizes[i]);
    }
    assert_int_equal(pq_offset_index_encode(&b, d), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    pq_offset_index_free(d);
    for (size_t len = 0; len < a.len; len++) {
        uint8_t *copy = delta_memdup(a.data, len ? len : 1);
        assert_int_equal(pq_offset_index_decode(&d, copy, len), DELTA_ECORRUPT);
        assert_null(d);
        delta_free(copy);
    }
    /* Allocation failures at every step. */
    for (long k = 1; k < 100; k++) {
        delta_alloc_fail_after(k);
        int rc = pq_offset_index_decode(&d, a.data, a.len);
        delta_alloc_fail_after(0);
        if (rc == 0) {
            pq_offset_index_free(d);
            break;
        }
        assert_int_equal(rc, DELTA_ENOMEM);
    }
    dbuf_free(&a);
    dbuf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Schema tree                                                         */
/* ------------------------------------------------------------------ */

static const pq_schema_node *find_leaf(const pq_schema *t, const char *dotted)
{
    for (uint32_t i = 0; i < t->num_leaves; i++) {
        dbuf p = DBUF_INIT;
        pq_schema_node_path_str(t->leaves[i], &p);
        bool eq = strcmp(dbuf_cstr(&p), dotted) == 0;
        dbuf_free(&p);
        if (eq)
            return t->leaves[i];
    }
    fail_msg("leaf %s not found", dotted);
    return NULL;
}

static void test_schema_levels_and_paths(void **state)
{
    (void)state;
    sample *s = delta_malloc(sizeof *s);
    assert_non_null(s);
    build_sample(s);
    pq_schema *t;
    assert_int_equal(pq_schema_build(&t, s->schema, s->m.num_schema), 0);
    assert_int_equal(t->num_nodes, s->m.num_schema);
    assert_int_equal(t->root->num_children, 5);
    assert_int_equal(t->num_leaves, 24);
    static const struct {
        const char *path;
        int def, rep, depth;
    } want[] = {
        {"id", 0, 0, 1},
        {"name", 1, 0, 1},
        {"tags.list.element", 3, 1, 3},
        {"attrs.key_value.key", 2, 1, 3},
        {"attrs.key_value.value", 3, 1, 3},
        {"misc.dec", 2, 0, 2},
        {"misc.flag", 1, 0, 2},
        {"misc.var.metadata", 2, 0, 3},
        {"misc.bits", 2, 0, 2},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const pq_schema_node *n = find_leaf(t, want[i].path);
        assert_int_equal(n->max_def, want[i].def);
        assert_int_equal(n->max_rep, want[i].rep);
        assert_int_equal(n->depth, want[i].depth);
        assert_int_equal(n->num_children, 0);
    }
    /* Leaves are numbered in list order and point back to their element. */
    for (uint32_t i = 0; i < t->num_leaves; i++) {
        assert_int_equal(t->leaves[i]->leaf_index, (int32_t)i);
        assert_ptr_equal(t->leaves[i]->elem, &s->schema[t->leaves[i]->index]);
        if (i)
            assert_true(t->leaves[i]->index > t->leaves[i - 1]->index);
    }
    const pq_schema_node *el = find_leaf(t, "tags.list.element");
    const char *names[3];
    assert_int_equal(pq_schema_node_path(el, names, 3), 3);
    assert_string_equal(names[0], "tags");
    assert_string_equal(names[1], "list");
    assert_string_equal(names[2], "element");
    assert_int_equal(pq_schema_node_path(el, names, 2), 3); /* too small: count only */
    assert_string_equal(el->parent->elem->name.ptr, "list");
    assert_int_equal(el->parent->repetition, PQ_REP_REPEATED);
    assert_int_equal(el->parent->leaf_index, -1);
    pq_schema_free(t);

    /* Each allocation failing in turn gives ENOMEM and leaks nothing. */
    long k;
    for (k = 1; k < 100; k++) {
        delta_alloc_fail_after(k);
        int rc = pq_schema_build(&t, s->schema, s->m.num_schema);
        delta_alloc_fail_after(0);
        if (rc == 0) {
            pq_schema_free(t);
            break;
        }
        assert_int_equal(rc, DELTA_ENOMEM);
        assert_null(t);
    }
    assert_true(k > 1 && k < 100);
    delta_free(s);
}

static int build_elems(pq_schema_element *e, uint32_t n)
{
    pq_schema *t = NULL;
    int rc = pq_schema_build(&t, e, n);
    if (rc == 0)
        pq_schema_free(t);
    else
        assert_null(t);
    return rc;
}

static void test_schema_malformed(void **state)
{
    (void)state;
    pq_schema_element e[8];
    memset(e, 0, sizeof e);
    for (int i = 0; i < 8; i++) {
        e[i].name = S(i == 0 ? "root" : "c");
        e[i].has_repetition_type = true;
        e[i].repetition_type = PQ_REP_OPTIONAL;
        e[i].has_type = true;
        e[i].type = PQ_TYPE_INT32;
    }
    e[0].has_type = false;
    e[0].has_repetition_type = false;
    e[0].has_num_children = true;

    e[0].num_children = 3;
    assert_int_equal(build_elems(e, 4), 0);
    /* Root claims more children than there are elements. */
    e[0].num_children = 4;
    assert_int_equal(build_elems(e, 4), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "declares 4 children"));
    /* Elements left over. */
    e[0].num_children = 2;
    assert_int_equal(build_elems(e, 4), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "covers only 3"));
    /* Negative children. */
    e[0].num_children = -1;
    assert_int_equal(build_elems(e, 4), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "negative"));
    /* A nested group whose children run past the end. */
    e[0].num_children = 2;
    e[1].has_type = false;
    e[1].has_num_children = true;
    e[1].num_children = 5;
    assert_int_equal(build_elems(e, 4), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "element 1"));
    /* Children sum exceeds the list though each count alone fits. */
    e[0].num_children = 3;
    e[1].num_children = 2;
    assert_int_equal(build_elems(e, 4), DELTA_ECORRUPT);
    e[1].num_children = 1;
    e[0].num_children = 2;
    assert_int_equal(build_elems(e, 4), 0); /* root{c{c}, c} */
    /* Leaf without type; unknown type; FLBA without length. */
    e[3].has_type = false;
    assert_int_equal(build_elems(e, 4), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "without a physical type"));
    e[3].has_type = true;
    e[3].type = 8;
    assert_int_equal(build_elems(e, 4), DELTA_ECORRUPT);
    e[3].type = PQ_TYPE_FIXED_LEN_BYTE_ARRAY;
    assert_int_equal(build_elems(e, 4), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "type_length"));
    e[3].has_type_length = true;
    e[3].type_length = 12;
    assert_int_equal(build_elems(e, 4), 0);
    /* Repetition missing, invalid, VECTOR. */
    e[2].has_repetition_type = false;
    assert_int_equal(build_elems(e, 4), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "repetition_type missing"));
    e[2].has_repetition_type = true;
    e[2].repetition_type = 7;
    assert_int_equal(build_elems(e, 4), DELTA_ECORRUPT);
    e[2].repetition_type = PQ_REP_VECTOR;
    assert_int_equal(build_elems(e, 4), DELTA_EUNSUPPORTED);
    e[2].repetition_type = PQ_REP_REQUIRED;
    /* A group with zero children. */
    e[1].num_children = 0;
    e[0].num_children = 3;
    assert_int_equal(build_elems(e, 4), DELTA_EUNSUPPORTED);
    /* Root as a leaf; empty list. */
    e[0].has_num_children = false;
    e[0].has_type = true;
    assert_int_equal(build_elems(e, 1), DELTA_ECORRUPT);
    assert_int_equal(build_elems(e, 0), DELTA_ECORRUPT);
    /* A root with no children is an empty schema. */
    e[0].has_type = false;
    e[0].has_num_children = true;
    e[0].num_children = 0;
    pq_schema *t;
    assert_int_equal(pq_schema_build(&t, e, 1), 0);
    assert_int_equal(t->num_leaves, 0);
    pq_schema_free(t);
}

static void test_schema_depth_limit(void **state)
{
    (void)state;
    /* A chain of groups 300 deep, then a leaf. */
    uint32_t n = 302;
    pq_schema_element *e = delta_calloc(n, sizeof *e);
    assert_non_null(e);
    for (uint32_t i = 0; i < n; i++) {
        e[i].name = S("g");
        e[i].has_repetition_type = i > 0;
        e[i].repetition_type = PQ_REP_REPEATED;
        e[i].has_num_children = i + 1 < n;
        e[i].num_children = 1;
        e[i].has_type = i + 1 == n;
        e[i].type = PQ_TYPE_INT32;
    }
    assert_int_equal(build_elems(e, n), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "deeper"));
    /* 255 deep is accepted, with levels to match. */
    n = 256;
    e[n - 1].has_num_children = false;
    e[n - 1].has_type = true;
    pq_schema *t;
    assert_int_equal(pq_schema_build(&t, e, n), 0);
    assert_int_equal(t->leaves[0]->max_rep, 255);
    assert_int_equal(t->leaves[0]->max_def, 255);
    pq_schema_free(t);
    delta_free(e);
}

/* ------------------------------------------------------------------ */
/* Real files                                                          */
/* ------------------------------------------------------------------ */

typedef struct real_stats {
    int files, identical, row_groups, chunks, pages, dict_pages;
} real_stats;

static real_stats rs;

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n >= 0);
    uint8_t *buf = delta_malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void check_real_file(const char *path)
{
    size_t size;
    uint8_t *file = read_file(path, &size);
    uint32_t meta_len;
    int rc =
        pq_footer_parse(file + (size >= 8 ? size - 8 : 0), size >= 8 ? 8 : size, size, &meta_len);
    if (rc)
        fail_msg("%s: %s", path, delta_error_last());
    assert_memory_equal(file, "PAR1", 4);
    size_t meta_at = size - 8 - meta_len;
    const uint8_t *meta = file + meta_at;

    pq_file_meta *m;
    if ((rc = pq_file_meta_decode(&m, meta, meta_len)))
        fail_msg("%s: %s", path, delta_error_last());
    pq_schema *tree;
    if ((rc = pq_schema_build(&tree, m->schema, m->num_schema)))
        fail_msg("%s: %s", path, delta_error_last());
    if ((rc = pq_file_meta_validate(m, tree, meta_at)))
        fail_msg("%s: %s", path, delta_error_last());

    /* Re-encode, decode again, compare field by field and re-encode: the
     * second encoding must equal the first. */
    dbuf e1 = DBUF_INIT, e2 = DBUF_INIT;
    assert_int_equal(pq_file_meta_encode(&e1, m), 0);
    pq_file_meta *m2;
    if ((rc = pq_file_meta_decode(&m2, e1.data, e1.len)))
        fail_msg("%s: re-encoded metadata: %s", path, delta_error_last());
    cmp_file_meta(m, m2);
    assert_int_equal(pq_file_meta_encode(&e2, m2), 0);
    assert_int_equal(e1.len, e2.len);
    assert_memory_equal(e1.data, e2.data, e1.len);
    /* Every known writer emits fields in id order, so re-encoding the
     * original reproduces it exactly; a difference means a field was
     * dropped or altered (or the file carries fields unknown here). */
    if (e1.len == meta_len && memcmp(e1.data, meta, meta_len) == 0) {
        rs.identical++;
    } else {
        size_t k = 0;
        while (k < e1.len && k < meta_len && e1.data[k] == meta[k])
            k++;
        fail_msg("%s: re-encoded footer differs from the original at byte %zu (%zu vs %u "
                 "bytes)",
                 path, k, e1.len, meta_len);
    }

    /* The first page header of every column chunk. */
    for (uint32_t g = 0; g < m->num_row_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        rs.row_groups++;
        for (uint32_t c = 0; c < rg->num_columns; c++) {
            const pq_column_meta *cm = &rg->columns[c].meta_data;
            int64_t at = cm->data_page_offset;
            if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
                cm->dictionary_page_offset < at)
                at = cm->dictionary_page_offset;
            rs.chunks++;
            pq_page_header h;
            size_t consumed;
            rc = pq_page_header_decode(&h, file + at, meta_at - (size_t)at, &consumed);
            if (rc)
                fail_msg("%s: row group %u column %u at %lld: %s", path, g, c, (long long)at,
                         delta_error_last());
            rs.pages++;
            assert_true(h.compressed_page_size >= 0);
            assert_true(h.uncompressed_page_size >= 0);
            assert_true((size_t)at + consumed + (size_t)h.compressed_page_size <= meta_at);
            if (h.type == PQ_PAGE_DICTIONARY) {
                assert_true(h.has_dictionary_page_header);
                assert_true(h.dictionary_page_header.num_values >= 0);
                rs.dict_pages++;
            } else if (h.type == PQ_PAGE_DATA) {
                assert_true(h.has_data_page_header);
                assert_true(h.data_page_header.num_values >= 0);
                assert_true(h.data_page_header.num_values <= cm->num_values);
            } else {
                assert_int_equal(h.type, PQ_PAGE_DATA_V2);
                assert_true(h.has_data_page_header_v2);
            }
            /* The header re-encodes to a header that decodes the same. */
            dbuf hb = DBUF_INIT;
            assert_int_equal(pq_page_header_encode(&hb, &h), 0);
            pq_page_header h2;
            size_t consumed2;
            assert_int_equal(pq_page_header_decode(&h2, hb.data, hb.len, &consumed2), 0);
            assert_int_equal(consumed2, hb.len);
            cmp_page_header(&h, &h2);
            dbuf_free(&hb);
        }
    }
    rs.files++;
    dbuf_free(&e1);
    dbuf_free(&e2);
    pq_file_meta_free(m2);
    pq_schema_free(tree);
    pq_file_meta_free(m);
    delta_free(file);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (type == FTW_F && n > 8 && strcmp(path + n - 8, ".parquet") == 0)
        check_real_file(path);
    return 0;
}

static void test_real_files(void **state)
{
    (void)state;
    static const char *const dirs[] = {DELTA_SHARED_DIR "/golden", DELTA_SHARED_DIR "/extra"};
    int found_dirs = 0;
    memset(&rs, 0, sizeof rs);
    for (size_t i = 0; i < 2; i++) {
        struct stat st;
        if (stat(dirs[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
            printf("note: %s absent, not checked\n", dirs[i]);
            continue;
        }
        found_dirs++;
        assert_int_equal(nftw(dirs[i], visit, 16, FTW_PHYS), 0);
    }
    if (!found_dirs) {
        printf("skipping: no shared test data under %s\n", DELTA_SHARED_DIR);
        skip();
    }
    printf("real files: %d Parquet files checked (%d footers re-encode byte-identical), "
           "%d row groups, %d column chunks, %d first page headers (%d dictionary)\n",
           rs.files, rs.identical, rs.row_groups, rs.chunks, rs.pages, rs.dict_pages);
    assert_true(rs.files > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_meta_roundtrip),
        cmocka_unit_test(test_file_meta_every_prefix_fails),
        cmocka_unit_test(test_file_meta_random_flips),
        cmocka_unit_test(test_file_meta_alloc_failures),
        cmocka_unit_test(test_file_meta_hostile_counts),
        cmocka_unit_test(test_file_meta_error_paths_and_types),
        cmocka_unit_test(test_file_meta_unknown_fields_skipped),
        cmocka_unit_test(test_encryption_refused),
        cmocka_unit_test(test_footer),
        cmocka_unit_test(test_page_headers),
        cmocka_unit_test(test_column_index),
        cmocka_unit_test(test_offset_index),
        cmocka_unit_test(test_schema_levels_and_paths),
        cmocka_unit_test(test_schema_malformed),
        cmocka_unit_test(test_schema_depth_limit),
        cmocka_unit_test(test_real_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
