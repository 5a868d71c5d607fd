/*
 * Tests of the schema and metadata descriptions (parquet/describe.h): the
 * exact text of a hand-built schema, statistics rendered by logical type,
 * and descriptions of real files whose JSON must parse and agree with the
 * footer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "parquet/describe.h"
#include "parquet/meta.h"
#include "parquet/schema.h"

static pq_schema_element elem(const char *name, int32_t rep)
{
    pq_schema_element e;
    memset(&e, 0, sizeof e);
    e.name.ptr = name;
    e.name.len = strlen(name);
    if (rep >= 0) {
        e.repetition_type = rep;
        e.has_repetition_type = true;
    }
    return e;
}

static pq_schema_element leaf(const char *name, int32_t rep, int32_t type)
{
    pq_schema_element e = elem(name, rep);
    e.type = type;
    e.has_type = true;
    return e;
}

static pq_schema_element group(const char *name, int32_t rep, int32_t children)
{
    pq_schema_element e = elem(name, rep);
    e.num_children = children;
    e.has_num_children = true;
    return e;
}

/* message m { required int64 id = 1; optional binary name (STRING);
 * optional group tags (LIST) { repeated group list { optional int32
 * element (DATE); } } optional fixed_len_byte_array(16) amount
 * (DECIMAL(38,2)); required int64 ts (TIMESTAMP(NANOS,false)); } */
static pq_schema_element schema_elems[8];

static pq_schema *build_schema(void)
{
    pq_schema_element *e = schema_elems;
    e[0] = group("m", -1, 5);
    e[1] = leaf("id", PQ_REP_REQUIRED, PQ_TYPE_INT64);
    e[1].field_id = 1;
    e[1].has_field_id = true;
    e[2] = leaf("name", PQ_REP_OPTIONAL, PQ_TYPE_BYTE_ARRAY);
    e[2].has_logical_type = true;
    e[2].logical_type.kind = PQ_LT_STRING;
    e[3] = group("tags", PQ_REP_OPTIONAL, 1);
    e[3].has_logical_type = true;
    e[3].logical_type.kind = PQ_LT_LIST;
    e[4] = group("list", PQ_REP_REPEATED, 1);
    e[5] = leaf("element", PQ_REP_OPTIONAL, PQ_TYPE_INT32);
    e[5].has_converted_type = true;
    e[5].converted_type = PQ_CT_DATE;
    e[6] = leaf("amount", PQ_REP_OPTIONAL, PQ_TYPE_FIXED_LEN_BYTE_ARRAY);
    e[6].type_length = 16;
    e[6].has_type_length = true;
    e[6].has_logical_type = true;
    e[6].logical_type.kind = PQ_LT_DECIMAL;
    e[6].logical_type.precision = 38;
    e[6].logical_type.scale = 2;
    e[7] = leaf("ts", PQ_REP_REQUIRED, PQ_TYPE_INT64);
    e[7].has_logical_type = true;
    e[7].logical_type.kind = PQ_LT_TIMESTAMP;
    e[7].logical_type.unit = PQ_UNIT_NANOS;
    e[7].logical_type.is_adjusted_to_utc = false;
    pq_schema *s = NULL;
    assert_int_equal(pq_schema_build(&s, schema_elems, 8), 0);
    return s;
}

static void test_schema_text(void **state)
{
    (void)state;
    pq_schema *s = build_schema();
    dbuf out = DBUF_INIT;
    assert_int_equal(pq_describe_schema(s, false, &out), 0);
    assert_string_equal(dbuf_cstr(&out), "message m {\n"
                                         "  required int64 id = 1;\n"
                                         "  optional binary name (STRING);\n"
                                         "  optional group tags (LIST) {\n"
                                         "    repeated group list {\n"
                                         "      optional int32 element (DATE);\n"
                                         "    }\n"
                                         "  }\n"
                                         "  optional fixed_len_byte_array(16) amount "
                                         "(DECIMAL(38,2));\n"
                                         "  required int64 ts (TIMESTAMP(NANOS,false));\n"
                                         "}\n");
    dbuf_free(&out);
    pq_schema_free(s);
}

static void test_schema_json(void **state)
{
    (void)state;
    pq_schema *s = build_schema();
    dbuf out = DBUF_INIT;
    assert_int_equal(pq_describe_schema(s, true, &out), 0);
    json_error_t jerr;
    json_t *root = json_loads(dbuf_cstr(&out), 0, &jerr);
    assert_non_null(root);
    json_t *fields = json_object_get(root, "fields");
    assert_int_equal(json_array_size(fields), 5);
    json_t *tags = json_array_get(fields, 2);
    assert_string_equal(json_string_value(json_object_get(tags, "annotation")), "LIST");
    json_t *el = json_array_get(json_object_get(json_array_get(json_object_get(tags, "fields"), 0),
                                                "fields"),
                                0);
    assert_int_equal(json_integer_value(json_object_get(el, "max_definition_level")), 3);
    assert_int_equal(json_integer_value(json_object_get(el, "max_repetition_level")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(fields, 0), "field_id")), 1);
    json_decref(root);
    dbuf_free(&out);
    pq_schema_free(s);
}

static void check_stat(const pq_schema *s, uint32_t leaf_index, const void *v, size_t len,
                       bool quote, const char *want)
{
    dbuf out = DBUF_INIT;
    pq_describe_stat_value(s->leaves[leaf_index], v, len, quote, &out);
    assert_int_equal(out.err, 0);
    assert_string_equal(dbuf_cstr(&out), want);
    dbuf_free(&out);
}

static void test_stat_values(void **state)
{
    (void)state;
    pq_schema *s = build_schema();
    const uint8_t id[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    check_stat(s, 0, id, 8, false, "-1");
    check_stat(s, 1, "caf\xc3\xa9", 5, false, "caf\xc3\xa9");
    check_stat(s, 1, "a\"b", 3, true, "\"a\\\"b\"");
    const uint8_t day[4] = {0x3c, 0x4d, 0, 0}; /* 19772 = 2024-02-19 */
    check_stat(s, 2, day, 4, false, "2024-02-19");
    check_stat(s, 2, day, 4, true, "\"2024-02-19\"");
    check_stat(s, 2, day, 3, false, "<invalid: 3 bytes>");
    uint8_t dec[16];
    memset(dec, 0xff, sizeof dec);
    dec[15] = 0x85; /* -123 */
    check_stat(s, 3, dec, 16, false, "-1.23");
    check_stat(s, 3, dec, 16, true, "-1.23");
    memset(dec, 0, sizeof dec);
    dec[15] = 5;
    check_stat(s, 3, dec, 16, false, "0.05");
    /* 2024-01-31T10:20:30.000000123 as nanoseconds, no zone. */
    int64_t ns = 1706696430LL * 1000000000LL + 123;
    uint8_t tsb[8];
    for (int i = 0; i < 8; i++)
        tsb[i] = (uint8_t)((uint64_t)ns >> (8 * i));
    check_stat(s, 4, tsb, 8, false, "2024-01-31T10:20:30.000000123");
    ns = -1; /* one nanosecond before the epoch */
    for (int i = 0; i < 8; i++)
        tsb[i] = (uint8_t)((uint64_t)ns >> (8 * i));
    check_stat(s, 4, tsb, 8, false, "1969-12-31T23:59:59.999999999");
    pq_schema_free(s);
}

/* Reads a whole file into memory. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void test_real_file(void **state)
{
    (void)state;
    const char *path = DELTA_SHARED_DIR "/golden/parquet-all-types/delta/"
                                        "part-00000-bf6680d4-5e83-4fce-8ebb-d2b60d7e69c9-c000."
                                        "snappy.parquet";
    size_t len = 0;
    uint8_t *buf = slurp(path, &len);
    if (!buf) {
        fprintf(stderr, "skipped: %s is absent (../shared not beside the project)\n", path);
        skip();
    }
    uint32_t meta_len;
    assert_int_equal(pq_footer_parse(buf, len, len, &meta_len), 0);
    pq_file_meta *m = NULL;
    assert_int_equal(pq_file_meta_decode(&m, buf + len - 8 - meta_len, meta_len), 0);
    pq_schema *s = NULL;
    assert_int_equal(pq_schema_build(&s, m->schema, m->num_schema), 0);

    dbuf text = DBUF_INIT;
    assert_int_equal(pq_describe_meta(m, s, false, &text), 0);
    assert_non_null(strstr(dbuf_cstr(&text), "row group 0:"));
    assert_non_null(strstr(dbuf_cstr(&text), "statistics:"));

    dbuf js = DBUF_INIT;
    assert_int_equal(pq_describe_meta(m, s, true, &js), 0);
    json_error_t jerr;
    json_t *root = json_loads(dbuf_cstr(&js), 0, &jerr);
    if (!root)
        fail_msg("metadata JSON does not parse: %s at %d", jerr.text, jerr.position);
    assert_int_equal(json_integer_value(json_object_get(root, "num_rows")), m->num_rows);
    json_t *rgs = json_object_get(root, "row_groups");
    assert_int_equal(json_array_size(rgs), m->num_row_groups);
    json_t *cols = json_object_get(json_array_get(rgs, 0), "columns");
    assert_int_equal(json_array_size(cols), s->num_leaves);
    json_decref(root);

    dbuf sch = DBUF_INIT;
    assert_int_equal(pq_describe_schema(s, false, &sch), 0);
    assert_true(strncmp(dbuf_cstr(&sch), "message spark_schema {", 22) == 0);

    dbuf_free(&sch);
    dbuf_free(&js);
    dbuf_free(&text);
    pq_schema_free(s);
    pq_file_meta_free(m);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_text),
        cmocka_unit_test(test_schema_json),
        cmocka_unit_test(test_stat_values),
        cmocka_unit_test(test_real_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
