/*
 * Unit tests for columnar/types.c: constructors and their parameter
 * checks, reference counting, structural equality, byte widths, field
 * lookup (exact, case-insensitive, ambiguous), SQL-style names, and
 * allocation failure at every step of building a nested type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "columnar/types.h"
#include "core/alloc.h"
#include "core/error.h"
#include "support/dgen.h"

static int reset_injection(void **state)
{
    (void)state;
    delta_alloc_fail_after(0);
    return 0;
}

static char fmtbuf[512];
static const char *fmt(const dtype *t)
{
    dbuf b = DBUF_INIT;
    dtype_format(t, &b);
    snprintf(fmtbuf, sizeof fmtbuf, "%s", dbuf_cstr(&b));
    dbuf_free(&b);
    return fmtbuf;
}

static dfield field(const char *name, dtype *t, bool nullable)
{
    dfield f;
    assert_non_null(t);
    assert_int_equal(dfield_init(&f, name, t, nullable), 0);
    return f;
}

static void test_simple_constructors(void **state)
{
    (void)state;
    static const struct {
        dtype_id id;
        size_t width;
        const char *name;
    } cases[] = {
        {DT_NULL, 0, "void"},      {DT_BOOL, 0, "boolean"},      {DT_INT8, 1, "tinyint"},
        {DT_INT16, 2, "smallint"}, {DT_INT32, 4, "int"},         {DT_INT64, 8, "bigint"},
        {DT_UINT8, 1, "utinyint"}, {DT_UINT16, 2, "usmallint"},  {DT_UINT32, 4, "uint"},
        {DT_UINT64, 8, "ubigint"}, {DT_FLOAT16, 2, "halffloat"}, {DT_FLOAT32, 4, "float"},
        {DT_FLOAT64, 8, "double"}, {DT_DATE32, 4, "date"},       {DT_STRING, 0, "string"},
        {DT_BINARY, 0, "binary"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dtype *t = dtype_new(cases[i].id);
        assert_non_null(t);
        assert_int_equal(t->id, cases[i].id);
        assert_int_equal(t->annot, DT_ANNOT_NONE);
        assert_int_equal(dtype_byte_width(t), cases[i].width);
        assert_string_equal(fmt(t), cases[i].name);
        assert_false(dtype_is_nested(t));
        assert_int_equal(dtype_is_integer(t), cases[i].id >= DT_INT8 && cases[i].id <= DT_UINT64);
        assert_int_equal(dtype_is_variable(t),
                         cases[i].id == DT_STRING || cases[i].id == DT_BINARY);
        dtype_unref(t);
    }
    /* types with parameters are refused by dtype_new */
    dtype_id params[] = {DT_DECIMAL,      DT_TIME32, DT_TIME64, DT_TIMESTAMP,
                         DT_FIXED_BINARY, DT_STRUCT, DT_LIST,   DT_MAP};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        delta_error_clear();
        assert_null(dtype_new(params[i]));
        assert_int_equal(delta_error_last_code(), DELTA_EINVAL);
    }
}

static void test_parameterised(void **state)
{
    (void)state;
    dtype *d = dtype_new_decimal(10, 2);
    assert_int_equal(d->precision, 10);
    assert_int_equal(d->scale, 2);
    assert_int_equal(dtype_byte_width(d), 16);
    assert_string_equal(fmt(d), "decimal(10,2)");
    dtype_unref(d);
    d = dtype_new_decimal(38, 38);
    assert_non_null(d);
    dtype_unref(d);
    assert_null(dtype_new_decimal(0, 0));
    assert_int_equal(delta_error_last_code(), DELTA_EINVAL);
    assert_null(dtype_new_decimal(39, 0));
    assert_null(dtype_new_decimal(5, 6));

    struct {
        dtime_unit u;
        dtype_id id;
        size_t w;
        const char *name;
    } times[] = {
        {DT_UNIT_SECOND, DT_TIME32, 4, "time(s)"},
        {DT_UNIT_MILLI, DT_TIME32, 4, "time(ms)"},
        {DT_UNIT_MICRO, DT_TIME64, 8, "time(us)"},
        {DT_UNIT_NANO, DT_TIME64, 8, "time(ns)"},
    };
    for (size_t i = 0; i < 4; i++) {
        dtype *t = dtype_new_time(times[i].u);
        assert_int_equal(t->id, times[i].id);
        assert_int_equal(t->unit, times[i].u);
        assert_int_equal(dtype_byte_width(t), times[i].w);
        assert_string_equal(fmt(t), times[i].name);
        dtype_unref(t);
    }
    assert_null(dtype_new_time((dtime_unit)7));

    dtype *ts = dtype_new_timestamp(DT_UNIT_MICRO, true);
    assert_true(ts->utc);
    assert_int_equal(dtype_byte_width(ts), 8);
    assert_string_equal(fmt(ts), "timestamp");
    dtype_unref(ts);
    ts = dtype_new_timestamp(DT_UNIT_MICRO, false);
    assert_string_equal(fmt(ts), "timestamp_ntz");
    dtype_unref(ts);
    ts = dtype_new_timestamp(DT_UNIT_NANO, true);
    assert_string_equal(fmt(ts), "timestamp(ns)");
    dtype_unref(ts);
    ts = dtype_new_timestamp(DT_UNIT_MILLI, false);
    assert_string_equal(fmt(ts), "timestamp_ntz(ms)");
    dtype_unref(ts);

    dtype *fb = dtype_new_fixed_binary(16);
    assert_int_equal(dtype_byte_width(fb), 16);
    assert_string_equal(fmt(fb), "binary(16)");
    dtype *uuid = dtype_with_annot(fb, DT_ANNOT_UUID);
    assert_non_null(uuid);
    assert_int_equal(uuid->annot, DT_ANNOT_UUID);
    assert_int_equal(fb->annot, DT_ANNOT_NONE); /* original unchanged */
    assert_string_equal(fmt(uuid), "uuid");
    assert_false(dtype_equal(fb, uuid));
    dtype_unref(uuid);
    dtype_unref(fb);
    assert_null(dtype_new_fixed_binary(0));
    assert_null(dtype_new_fixed_binary(-3));
}

static void test_annotations(void **state)
{
    (void)state;
    dtype *s = dtype_new(DT_STRING), *b = dtype_new(DT_BINARY), *i = dtype_new(DT_INT32);
    dtype *fb8 = dtype_new_fixed_binary(8), *ts = dtype_new_timestamp(DT_UNIT_NANO, true);
    dtype *tsu = dtype_new_timestamp(DT_UNIT_MICRO, true);
    dtype *j = dtype_with_annot(s, DT_ANNOT_JSON);
    assert_string_equal(fmt(j), "json");
    dtype *e = dtype_with_annot(s, DT_ANNOT_ENUM);
    assert_string_equal(fmt(e), "enum");
    dtype *bs = dtype_with_annot(b, DT_ANNOT_BSON);
    assert_string_equal(fmt(bs), "bson");
    dtype *i96 = dtype_with_annot(ts, DT_ANNOT_INT96);
    assert_non_null(i96);
    assert_int_equal(i96->unit, DT_UNIT_NANO);
    /* annotations that do not fit the layout */
    assert_null(dtype_with_annot(i, DT_ANNOT_JSON));
    assert_int_equal(delta_error_last_code(), DELTA_EINVAL);
    assert_null(dtype_with_annot(fb8, DT_ANNOT_UUID));
    assert_null(dtype_with_annot(tsu, DT_ANNOT_INT96));
    assert_null(dtype_with_annot(s, DT_ANNOT_BSON));
    /* removing an annotation */
    dtype *plain = dtype_with_annot(j, DT_ANNOT_NONE);
    assert_true(dtype_equal(plain, s));
    dtype *all[] = {s, b, i, fb8, ts, tsu, j, e, bs, i96, plain};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        dtype_unref(all[k]);
}

static dtype *sample_struct(void)
{
    dfield el = field("element", dtype_new(DT_STRING), true);
    dfield f[3] = {
        field("a", dtype_new(DT_INT32), true),
        field("b", dtype_new_list(el), false),
        field("m", dtype_new_map(dtype_new(DT_STRING), dtype_new(DT_INT32), true), true),
    };
    dtype *t = dtype_new_struct(f, 3);
    assert_non_null(t);
    /* the fields' contents moved into the type */
    assert_null(f[0].name);
    assert_null(f[0].type);
    return t;
}

static void test_nested(void **state)
{
    (void)state;
    dtype *t = sample_struct();
    assert_true(dtype_is_nested(t));
    assert_int_equal(t->num_fields, 3);
    assert_string_equal(t->fields[1].name, "b");
    assert_false(t->fields[1].nullable);
    assert_int_equal(t->fields[0].id, -1);
    assert_string_equal(fmt(t), "struct<a:int,b:array<string> not null,m:map<string,int>>");

    const dtype *m = t->fields[2].type;
    assert_int_equal(m->id, DT_MAP);
    assert_int_equal(m->num_fields, 1);
    const dtype *entries = m->fields[0].type;
    assert_string_equal(m->fields[0].name, "entries");
    assert_false(m->fields[0].nullable);
    assert_int_equal(entries->id, DT_STRUCT);
    assert_string_equal(entries->fields[0].name, "key");
    assert_false(entries->fields[0].nullable);
    assert_string_equal(entries->fields[1].name, "value");
    assert_true(entries->fields[1].nullable);
    assert_int_equal(dtype_byte_width(t), 0);

    /* quoted names */
    dfield q[2] = {field("has space", dtype_new(DT_INT8), true),
                   field("we`ird", dtype_new(DT_BOOL), true)};
    dtype *qt = dtype_new_struct(q, 2);
    assert_string_equal(fmt(qt), "struct<`has space`:tinyint,`we``ird`:boolean>");
    dtype_unref(qt);

    /* duplicate names are refused and the fields are still consumed */
    dfield d[2] = {field("x", dtype_new(DT_INT8), true), field("x", dtype_new(DT_INT16), true)};
    assert_null(dtype_new_struct(d, 2));
    assert_int_equal(delta_error_last_code(), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "'x'"));
    assert_null(d[0].type);

    /* names differing only in case are allowed (exact uniqueness) */
    dfield c[2] = {field("x", dtype_new(DT_INT8), true), field("X", dtype_new(DT_INT16), true)};
    dtype *ct = dtype_new_struct(c, 2);
    assert_non_null(ct);
    assert_int_equal(dtype_field_index(ct, "x", false), 0);
    assert_int_equal(dtype_field_index(ct, "X", false), 1);
    assert_int_equal(dtype_field_index(ct, "x", true), -2);
    dtype_unref(ct);

    /* empty struct */
    dtype *empty = dtype_new_struct(NULL, 0);
    assert_non_null(empty);
    assert_string_equal(fmt(empty), "struct<>");
    dtype_unref(empty);

    /* with_annot on a nested type copies the fields */
    dtype *copy = dtype_with_annot(t, DT_ANNOT_NONE);
    assert_true(dtype_equal(copy, t));
    assert_ptr_not_equal(copy->fields, t->fields);
    dtype_unref(t);
    assert_string_equal(copy->fields[0].name, "a");
    dtype_unref(copy);
}

static void test_refcount(void **state)
{
    (void)state;
    dtype *t = sample_struct();
    dtype *r = dtype_ref(t);
    assert_ptr_equal(r, t);
    assert_int_equal(t->refcount, 2);
    dtype_unref(t);
    assert_int_equal(r->refcount, 1);
    dtype_unref(r);
    dtype_unref(NULL);
    assert_null(dtype_ref(NULL));
}

static void test_equal(void **state)
{
    (void)state;
    dtype *a = sample_struct(), *b = sample_struct();
    assert_true(dtype_equal(a, b));
    assert_true(dtype_equal(a, a));
    /* ids and metadata are ignored */
    b->fields[0].id = 7;
    b->fields[0].metadata = delta_strdup("{\"comment\":\"x\"}");
    assert_true(dtype_equal(a, b));
    dtype_unref(b);

    /* name, nullability, child type, parameters all matter */
    dfield f1[1] = {field("a", dtype_new(DT_INT32), true)};
    dfield f2[1] = {field("A", dtype_new(DT_INT32), true)};
    dfield f3[1] = {field("a", dtype_new(DT_INT32), false)};
    dfield f4[1] = {field("a", dtype_new(DT_INT64), true)};
    dtype *s1 = dtype_new_struct(f1, 1), *s2 = dtype_new_struct(f2, 1);
    dtype *s3 = dtype_new_struct(f3, 1), *s4 = dtype_new_struct(f4, 1);
    assert_false(dtype_equal(s1, s2));
    assert_false(dtype_equal(s1, s3));
    assert_false(dtype_equal(s1, s4));
    assert_false(dtype_equal(s1, a));
    dtype *d1 = dtype_new_decimal(10, 2), *d2 = dtype_new_decimal(10, 3),
          *d3 = dtype_new_decimal(10, 2);
    assert_false(dtype_equal(d1, d2));
    assert_true(dtype_equal(d1, d3));
    dtype *t1 = dtype_new_timestamp(DT_UNIT_MICRO, true),
          *t2 = dtype_new_timestamp(DT_UNIT_MICRO, false);
    dtype *t3 = dtype_new_timestamp(DT_UNIT_NANO, true);
    assert_false(dtype_equal(t1, t2));
    assert_false(dtype_equal(t1, t3));
    dtype *w1 = dtype_new_fixed_binary(4), *w2 = dtype_new_fixed_binary(5);
    assert_false(dtype_equal(w1, w2));
    dtype *m1 = dtype_new_map(dtype_new(DT_STRING), dtype_new(DT_INT32), true);
    dtype *m2 = dtype_new_map(dtype_new(DT_STRING), dtype_new(DT_INT32), false);
    assert_false(dtype_equal(m1, m2));
    assert_false(dtype_equal(NULL, m1));
    dtype *all[] = {a, s1, s2, s3, s4, d1, d2, d3, t1, t2, t3, w1, w2, m1, m2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        dtype_unref(all[i]);
}

static void test_field_index(void **state)
{
    (void)state;
    dfield f[3] = {field("Id", dtype_new(DT_INT32), true),
                   field("name", dtype_new(DT_STRING), true),
                   field("NAME2", dtype_new(DT_STRING), true)};
    dtype *t = dtype_new_struct(f, 3);
    assert_int_equal(dtype_field_index(t, "Id", false), 0);
    assert_int_equal(dtype_field_index(t, "id", false), -1);
    assert_int_equal(dtype_field_index(t, "id", true), 0);
    assert_int_equal(dtype_field_index(t, "ID", true), 0);
    assert_int_equal(dtype_field_index(t, "Name2", true), 2);
    assert_int_equal(dtype_field_index(t, "nam", true), -1);
    assert_int_equal(dtype_field_index(t, "", true), -1);
    dtype *i = dtype_new(DT_INT32);
    assert_int_equal(dtype_field_index(i, "Id", false), -1);
    dtype_unref(i);
    dtype_unref(t);
}

/* Every allocation of building a nested type can fail without leaking. */
static void test_oom(void **state)
{
    (void)state;
    bool done = false;
    for (long k = 1; k < 200 && !done; k++) {
        delta_alloc_fail_after(k);
        dgen g;
        dgen_init(&g, 42, 0);
        g.max_depth = 3;
        dtype *t = dgen_schema(&g, 6);
        long failures = delta_alloc_injected_failures();
        delta_alloc_fail_after(0);
        if (t) {
            dtype *again;
            dgen_init(&g, 42, 0);
            again = dgen_schema(&g, 6);
            assert_true(dtype_equal(t, again));
            dtype_unref(again);
            dtype_unref(t);
            if (failures == 0)
                done = true;
        }
    }
    assert_true(done);
}

/* Random type trees: equal to themselves, formatting never empty,
 * deterministic per seed, and the flags are honoured. */
static void test_random_types(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        dgen g1, g2;
        dgen_init(&g1, seed, 0);
        dgen_init(&g2, seed, 0);
        dtype *a = dgen_type(&g1), *b = dgen_type(&g2);
        assert_non_null(a);
        assert_true(dtype_equal(a, b));
        assert_true(strlen(fmt(a)) > 0);
        dtype_unref(a);
        dtype_unref(b);

        dgen_init(&g1, seed, DGEN_DELTA_TYPES | DGEN_NO_NESTED);
        dtype *d = dgen_type(&g1);
        assert_false(dtype_is_nested(d));
        assert_int_equal(d->annot, DT_ANNOT_NONE);
        assert_true(d->id != DT_NULL && d->id != DT_FLOAT16 && d->id != DT_TIME32 &&
                    d->id != DT_TIME64 && d->id != DT_FIXED_BINARY &&
                    !(d->id >= DT_UINT8 && d->id <= DT_UINT64));
        if (d->id == DT_TIMESTAMP)
            assert_int_equal(d->unit, DT_UNIT_MICRO);
        dtype_unref(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_simple_constructors, reset_injection),
        cmocka_unit_test_teardown(test_parameterised, reset_injection),
        cmocka_unit_test_teardown(test_annotations, reset_injection),
        cmocka_unit_test_teardown(test_nested, reset_injection),
        cmocka_unit_test_teardown(test_refcount, reset_injection),
        cmocka_unit_test_teardown(test_equal, reset_injection),
        cmocka_unit_test_teardown(test_field_index, reset_injection),
        cmocka_unit_test_teardown(test_oom, reset_injection),
        cmocka_unit_test_teardown(test_random_types, reset_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
