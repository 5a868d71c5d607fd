/*
 * Delta schema JSON <-> dtype: every primitive, nesting with nullability,
 * field metadata and column-mapping ids, refusals naming the field, and
 * serialization round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "log/schema.h"

static dtype *parse_ok(const char *json)
{
    dtype *t = NULL;
    int rc = dlog_schema_parse(&t, json, strlen(json));
    if (rc)
        fail_msg("parse failed: %s", delta_error_last());
    assert_non_null(t);
    assert_int_equal(t->id, DT_STRUCT);
    return t;
}

static void expect_refusal(const char *json, int code, const char *msg)
{
    dtype *t = NULL;
    assert_int_equal(dlog_schema_parse(&t, json, strlen(json)), code);
    assert_null(t);
    if (!strstr(delta_error_last(), msg))
        fail_msg("message '%s' lacks '%s'", delta_error_last(), msg);
}

/* The example schema of the protocol's appendix. */
static const char *example =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"a\",\"type\":\"integer\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"b\",\"type\":{\"type\":\"struct\",\"fields\":[{\"name\":\"d\",\"type\":"
    "\"integer\",\"nullable\":false,\"metadata\":{}}]},\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"c\",\"type\":{\"type\":\"array\",\"elementType\":\"integer\",\"containsNull\":"
    "false},\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"e\",\"type\":{\"type\":\"array\",\"elementType\":{\"type\":\"struct\",\"fields\":"
    "[{\"name\":\"d\",\"type\":\"integer\",\"nullable\":false,\"metadata\":{}}]},\"containsNull\":"
    "true},\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"f\",\"type\":{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"string\","
    "\"valueContainsNull\":true},\"nullable\":true,\"metadata\":{}}]}";

static void test_protocol_example(void **state)
{
    (void)state;
    dtype *t = parse_ok(example);
    assert_int_equal(t->num_fields, 5);
    assert_string_equal(t->fields[0].name, "a");
    assert_int_equal(t->fields[0].type->id, DT_INT32);
    assert_false(t->fields[0].nullable);
    assert_null(t->fields[0].metadata);
    assert_int_equal(t->fields[0].id, -1);
    const dtype *b = t->fields[1].type;
    assert_int_equal(b->id, DT_STRUCT);
    assert_true(t->fields[1].nullable);
    assert_string_equal(b->fields[0].name, "d");
    assert_false(b->fields[0].nullable);
    const dtype *c = t->fields[2].type;
    assert_int_equal(c->id, DT_LIST);
    assert_int_equal(c->fields[0].type->id, DT_INT32);
    assert_false(c->fields[0].nullable);
    const dtype *e = t->fields[3].type;
    assert_int_equal(e->fields[0].type->id, DT_STRUCT);
    assert_true(e->fields[0].nullable);
    const dtype *f = t->fields[4].type;
    assert_int_equal(f->id, DT_MAP);
    const dtype *entries = f->fields[0].type;
    assert_int_equal(entries->fields[0].type->id, DT_STRING);
    assert_int_equal(entries->fields[1].type->id, DT_STRING);
    assert_true(entries->fields[1].nullable);

    dbuf s = DBUF_INIT;
    dtype_format(t, &s);
    assert_string_equal(dbuf_cstr(&s), "struct<a:int not null,b:struct<d:int not null>,"
                                       "c:array<int>,e:array<struct<d:int not null>>,"
                                       "f:map<string,string>>");
    dbuf_free(&s);

    /* Serialization gives back the same text. */
    dbuf out = DBUF_INIT;
    assert_int_equal(dlog_schema_serialize(t, &out), 0);
    assert_string_equal(dbuf_cstr(&out), example);
    dbuf_free(&out);
    dtype_unref(t);
}

static void test_primitives(void **state)
{
    (void)state;
    const char *json =
        "{\"type\":\"struct\",\"fields\":["
        "{\"name\":\"s\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"l\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"i\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"sh\",\"type\":\"short\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"by\",\"type\":\"byte\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"f\",\"type\":\"float\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"d\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"bo\",\"type\":\"boolean\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"bi\",\"type\":\"binary\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"da\",\"type\":\"date\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"ts\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"tn\",\"type\":\"timestamp_ntz\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"de\",\"type\":\"decimal(38,18)\",\"nullable\":true,\"metadata\":{}}]}";
    dtype *t = parse_ok(json);
    const dtype_id ids[] = {DT_STRING, DT_INT64,  DT_INT32,  DT_INT16,     DT_INT8,
                            DT_FLOAT32, DT_FLOAT64, DT_BOOL, DT_BINARY,    DT_DATE32,
                            DT_TIMESTAMP, DT_TIMESTAMP, DT_DECIMAL};
    assert_int_equal(t->num_fields, 13);
    for (uint32_t i = 0; i < t->num_fields; i++)
        assert_int_equal(t->fields[i].type->id, ids[i]);
    assert_true(t->fields[10].type->utc);
    assert_int_equal(t->fields[10].type->unit, DT_UNIT_MICRO);
    assert_false(t->fields[11].type->utc);
    assert_int_equal(t->fields[11].type->unit, DT_UNIT_MICRO);
    assert_int_equal(t->fields[12].type->precision, 38);
    assert_int_equal(t->fields[12].type->scale, 18);
    dbuf out = DBUF_INIT;
    assert_int_equal(dlog_schema_serialize(t, &out), 0);
    assert_string_equal(dbuf_cstr(&out), json);
    dbuf_free(&out);
    dtype_unref(t);

    /* decimal spellings */
    t = parse_ok("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"decimal( 10 , 2 )\"},"
                 "{\"name\":\"b\",\"type\":\"decimal\"}]}");
    assert_int_equal(t->fields[0].type->precision, 10);
    assert_int_equal(t->fields[0].type->scale, 2);
    assert_int_equal(t->fields[1].type->precision, 10);
    assert_int_equal(t->fields[1].type->scale, 0);
    assert_true(t->fields[0].nullable); /* absent nullable means nullable */
    dtype_unref(t);
}

static void test_column_mapping_metadata(void **state)
{
    (void)state;
    const char *json =
        "{\"type\":\"struct\",\"fields\":[{\"name\":\"e\",\"type\":{\"type\":\"array\","
        "\"elementType\":{\"type\":\"struct\",\"fields\":[{\"name\":\"d\",\"type\":\"integer\","
        "\"nullable\":false,\"metadata\":{\"delta.columnMapping.id\":5,"
        "\"delta.columnMapping.physicalName\":\"col-a7f4159c\"}}]},\"containsNull\":true},"
        "\"nullable\":true,\"metadata\":{\"delta.columnMapping.id\":4,"
        "\"delta.columnMapping.physicalName\":\"col-5f422f40\",\"comment\":\"x\"}},"
        "{\"name\":\"plain\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}";
    dtype *t = parse_ok(json);
    assert_int_equal(t->fields[0].id, 4);
    assert_string_equal(t->fields[0].metadata,
                        "{\"delta.columnMapping.id\":4,\"delta.columnMapping.physicalName\":"
                        "\"col-5f422f40\",\"comment\":\"x\"}");
    char *p = dlog_field_physical_name(&t->fields[0]);
    assert_string_equal(p, "col-5f422f40");
    delta_free(p);
    const dfield *d = &t->fields[0].type->fields[0].type->fields[0];
    assert_int_equal(d->id, 5);
    p = dlog_field_physical_name(d);
    assert_string_equal(p, "col-a7f4159c");
    delta_free(p);
    p = dlog_field_physical_name(&t->fields[1]);
    assert_string_equal(p, "plain");
    delta_free(p);
    dbuf out = DBUF_INIT;
    assert_int_equal(dlog_schema_serialize(t, &out), 0);
    assert_string_equal(dbuf_cstr(&out), json);
    dbuf_free(&out);
    dtype_unref(t);

    dlog_kv kv = {"delta.columnMapping.mode", "name"};
    dlog_map m = {&kv, 1, false};
    dlog_cm_mode mode;
    assert_int_equal(dlog_column_mapping_mode(&m, &mode), 0);
    assert_int_equal(mode, DLOG_CM_NAME);
    kv.value = "id";
    assert_int_equal(dlog_column_mapping_mode(&m, &mode), 0);
    assert_int_equal(mode, DLOG_CM_ID);
    kv.value = "bogus";
    assert_int_equal(dlog_column_mapping_mode(&m, &mode), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "bogus"));
    dlog_map empty = {0};
    assert_int_equal(dlog_column_mapping_mode(&empty, &mode), 0);
    assert_int_equal(mode, DLOG_CM_NONE);
}

static void test_refusals(void **state)
{
    (void)state;
    expect_refusal("{\"type\":\"struct\",\"fields\":[{\"name\":\"v\",\"type\":\"variant\"}]}",
                   DELTA_EUNSUPPORTED, "field 'v': unsupported type 'variant'");
    expect_refusal("{\"type\":\"struct\",\"fields\":[{\"name\":\"s\",\"type\":{\"type\":\"struct\","
                   "\"fields\":[{\"name\":\"inner\",\"type\":{\"type\":\"array\",\"elementType\":"
                   "\"interval\"}}]}}]}",
                   DELTA_EUNSUPPORTED, "field 's.inner.element': unsupported type 'interval'");
    expect_refusal("{\"type\":\"struct\",\"fields\":[{\"name\":\"m\",\"type\":{\"type\":\"map\","
                   "\"keyType\":\"string\",\"valueType\":\"char(3)\"}}]}",
                   DELTA_EUNSUPPORTED, "field 'm.value'");
    expect_refusal("{\"type\":\"struct\",\"fields\":[{\"name\":\"d\",\"type\":\"decimal(39,2)\"}]}",
                   DELTA_EUNSUPPORTED, "field 'd': decimal(39,2) out of range");
    expect_refusal("{\"type\":\"struct\",\"fields\":[{\"name\":\"d\",\"type\":\"decimal(5,x)\"}]}",
                   DELTA_ECORRUPT, "field 'd': malformed type");
    expect_refusal("{\"type\":\"struct\",\"fields\":[{\"name\":\"A\",\"type\":\"long\"},"
                   "{\"name\":\"a\",\"type\":\"long\"}]}",
                   DELTA_ECORRUPT, "field 'a': duplicate column name");
    expect_refusal("{\"type\":\"struct\",\"fields\":[{\"type\":\"long\"}]}", DELTA_ECORRUPT,
                   "without a string 'name'");
    expect_refusal("{\"type\":\"struct\",\"fields\":[{\"name\":\"x\"}]}", DELTA_ECORRUPT,
                   "field 'x': field without 'type'");
    expect_refusal("{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":\"long\","
                   "\"nullable\":\"yes\"}]}",
                   DELTA_ECORRUPT, "field 'x': 'nullable' is not a boolean");
    expect_refusal("{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":\"long\","
                   "\"metadata\":{\"delta.columnMapping.id\":\"7\"}}]}",
                   DELTA_ECORRUPT, "field 'x': 'delta.columnMapping.id'");
    expect_refusal("{\"type\":\"array\",\"elementType\":\"long\"}", DELTA_ECORRUPT,
                   "top level must be a struct");
    expect_refusal("{\"type\":", DELTA_ECORRUPT, "schema: invalid JSON");
}

static void test_serialize_refusals(void **state)
{
    (void)state;
    dfield f;
    assert_int_equal(dfield_init(&f, "u", dtype_new(DT_UINT32), true), 0);
    dtype *t = dtype_new_struct(&f, 1);
    assert_non_null(t);
    dbuf out = DBUF_INIT;
    assert_int_equal(dlog_schema_serialize(t, &out), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "field 'u'"));
    dbuf_free(&out);
    dtype_unref(t);

    assert_int_equal(dfield_init(&f, "ts", dtype_new_timestamp(DT_UNIT_NANO, true), true), 0);
    t = dtype_new_struct(&f, 1);
    assert_int_equal(dlog_schema_serialize(t, &out), DELTA_EUNSUPPORTED);
    dbuf_free(&out);
    dtype_unref(t);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    for (long n = 1;; n++) {
        dtype *t = NULL;
        dbuf out = DBUF_INIT;
        delta_alloc_fail_after(n);
        int rc = dlog_schema_parse(&t, example, strlen(example));
        if (rc == 0)
            rc = dlog_schema_serialize(t, &out);
        delta_alloc_fail_after(0);
        dbuf_free(&out);
        dtype_unref(t);
        if (rc == 0)
            break;
        assert_int_equal(rc, DELTA_ENOMEM);
        assert_true(n < 10000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protocol_example),
        cmocka_unit_test(test_primitives),
        cmocka_unit_test(test_column_mapping_metadata),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_serialize_refusals),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
