/*
 * Unit tests for columnar/vector.c: appends of every type (with nulls at
 * every level), nested building, bulk range and take copies checked
 * against an independent row-by-row rendering on random data, validation
 * catching each broken invariant, equality with its difference report,
 * batches, streams, and allocation failure in the middle of appends
 * leaving earlier rows intact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "columnar/bits.h"
#include "columnar/format.h"
#include "columnar/vector.h"
#include "core/alloc.h"
#include "core/error.h"
#include "support/dgen.h"

static int reset_injection(void **state)
{
    (void)state;
    delta_alloc_fail_after(0);
    return 0;
}

static dvec *new_vec(dtype *t)
{
    dvec *v;
    assert_non_null(t);
    assert_int_equal(dvec_new(&v, t), 0);
    dtype_unref(t);
    return v;
}

/* Row i of v as JSON (independent of the copy paths under test). */
static char *row_json(const dvec *v, int64_t i)
{
    dbuf b = DBUF_INIT;
    dvec_format_value(v, i, DFMT_JSON, &b);
    dbuf_putc(&b, 0);
    assert_int_equal(b.err, 0);
    return dbuf_detach(&b, NULL);
}

static void assert_row_same(const dvec *a, int64_t i, const dvec *b, int64_t j)
{
    char *x = row_json(a, i), *y = row_json(b, j);
    if (strcmp(x, y) != 0)
        fail_msg("row %lld vs %lld: %s != %s", (long long)i, (long long)j, x, y);
    delta_free(x);
    delta_free(y);
}

static void assert_valid(const dvec *v)
{
    int rc = dvec_validate(v, true);
    if (rc)
        fail_msg("%s", delta_error_last());
}

static void test_fixed_types(void **state)
{
    (void)state;
    dvec *v = new_vec(dtype_new(DT_INT8));
    assert_int_equal(dvec_append_int(v, -128), 0);
    assert_int_equal(dvec_append_int(v, 127), 0);
    assert_int_equal(dvec_append_null(v), 0);
    assert_int_equal(dvec_append_int(v, 128), DELTA_ERANGE);
    assert_int_equal(dvec_append_int(v, -129), DELTA_ERANGE);
    assert_int_equal(dvec_append_uint(v, 1), DELTA_ETYPE);
    assert_int_equal(dvec_append_double(v, 1), DELTA_ETYPE);
    assert_int_equal(dvec_append_bool(v, true), DELTA_ETYPE);
    assert_int_equal(dvec_append_bytes(v, "x", 1), DELTA_ETYPE);
    assert_int_equal(dvec_end_list(v), DELTA_ETYPE);
    assert_int_equal(dvec_end_struct(v), DELTA_ETYPE);
    assert_int_equal(v->length, 3);
    assert_int_equal(v->null_count, 1);
    assert_int_equal(((int8_t *)v->values)[0], -128);
    assert_int_equal(((int8_t *)v->values)[1], 127);
    assert_int_equal(((int8_t *)v->values)[2], 0); /* null slot is zero */
    assert_true(dvec_is_valid(v, 0));
    assert_false(dvec_is_valid(v, 2));
    assert_valid(v);
    dvec_unref(v);

    struct {
        dtype_id id;
        int64_t lo, hi;
    } ints[] = {
        {DT_INT16, INT16_MIN, INT16_MAX},
        {DT_INT32, INT32_MIN, INT32_MAX},
        {DT_INT64, INT64_MIN, INT64_MAX},
        {DT_DATE32, INT32_MIN, INT32_MAX},
    };
    for (size_t k = 0; k < 4; k++) {
        v = new_vec(dtype_new(ints[k].id));
        assert_int_equal(dvec_append_int(v, ints[k].lo), 0);
        assert_int_equal(dvec_append_int(v, ints[k].hi), 0);
        if (ints[k].hi < INT64_MAX)
            assert_int_equal(dvec_append_int(v, ints[k].hi + 1), DELTA_ERANGE);
        assert_int_equal(v->length, 2);
        assert_null(v->validity);
        char *s = row_json(v, 0);
        delta_free(s);
        assert_valid(v);
        dvec_unref(v);
    }
    v = new_vec(dtype_new(DT_INT64));
    for (int64_t i = 0; i < 10000; i++)
        assert_int_equal(dvec_append_int(v, i * 3), 0);
    for (int64_t i = 0; i < 10000; i++)
        assert_int_equal(dvec_i64(v)[i], i * 3);
    assert_true(v->cap >= 10000 && v->cap < 40000);
    dvec_unref(v);

    struct {
        dtype_id id;
        uint64_t hi;
    } uints[] = {{DT_UINT8, UINT8_MAX},
                 {DT_UINT16, UINT16_MAX},
                 {DT_UINT32, UINT32_MAX},
                 {DT_UINT64, UINT64_MAX}};
    for (size_t k = 0; k < 4; k++) {
        v = new_vec(dtype_new(uints[k].id));
        assert_int_equal(dvec_append_uint(v, uints[k].hi), 0);
        if (uints[k].hi < UINT64_MAX)
            assert_int_equal(dvec_append_uint(v, uints[k].hi + 1), DELTA_ERANGE);
        assert_int_equal(dvec_append_int(v, 1), DELTA_ETYPE);
        char *s = row_json(v, 0);
        char want[32];
        snprintf(want, sizeof want, "%llu", (unsigned long long)uints[k].hi);
        assert_string_equal(s, want);
        delta_free(s);
        dvec_unref(v);
    }

    v = new_vec(dtype_new(DT_FLOAT64));
    assert_int_equal(dvec_append_double(v, 1.5), 0);
    assert_int_equal(dvec_append_double(v, NAN), 0);
    assert_int_equal(dvec_append_double(v, -0.0), 0);
    assert_true(isnan(dvec_f64(v)[1]));
    assert_true(signbit(dvec_f64(v)[2]));
    dvec_unref(v);
    v = new_vec(dtype_new(DT_FLOAT32));
    assert_int_equal(dvec_append_double(v, 0.25), 0);
    assert_true(((float *)v->values)[0] == 0.25f);
    dvec_unref(v);

    v = new_vec(dtype_new(DT_BOOL));
    for (int i = 0; i < 20; i++)
        assert_int_equal(i % 3 == 2 ? dvec_append_null(v) : dvec_append_bool(v, i % 2), 0);
    uint8_t one = 1;
    assert_int_equal(dvec_append_fixed(v, &one), 0);
    assert_int_equal(v->length, 21);
    assert_int_equal(v->null_count, 6);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(dvec_is_valid(v, i), i % 3 != 2);
        if (i % 3 != 2)
            assert_int_equal(dbit_get(v->values, i), i % 2);
    }
    assert_true(dbit_get(v->values, 20));
    assert_valid(v);
    dvec_unref(v);

    /* timestamps, times, decimals through append_int / append_fixed */
    v = new_vec(dtype_new_timestamp(DT_UNIT_NANO, true));
    assert_int_equal(dvec_append_int(v, INT64_MIN), 0);
    dvec_unref(v);
    v = new_vec(dtype_new_time(DT_UNIT_MILLI));
    assert_int_equal(dvec_append_int(v, 86399999), 0);
    assert_int_equal(dvec_append_int(v, INT64_C(1) << 40), DELTA_ERANGE);
    dvec_unref(v);
    v = new_vec(dtype_new_decimal(38, 0));
    uint8_t dec[16];
    memset(dec, 0xff, 16);
    assert_int_equal(dvec_append_fixed(v, dec), 0);
    assert_int_equal(dvec_append_int(v, 1), DELTA_ETYPE);
    char *s = row_json(v, 0);
    assert_string_equal(s, "-1");
    delta_free(s);
    dvec_unref(v);

    /* DT_NULL */
    v = new_vec(dtype_new(DT_NULL));
    assert_int_equal(dvec_append_nulls(v, 5), 0);
    assert_int_equal(dvec_append_null(v), 0);
    assert_int_equal(v->length, 6);
    assert_int_equal(v->null_count, 6);
    assert_null(v->validity);
    assert_false(dvec_is_valid(v, 0));
    assert_int_equal(dvec_append_int(v, 1), DELTA_ETYPE);
    assert_valid(v);
    dvec_unref(v);
}

static void test_bytes(void **state)
{
    (void)state;
    dvec *v = new_vec(dtype_new(DT_STRING));
    assert_int_equal(v->length, 0);
    assert_valid(v);
    assert_int_equal(dvec_append_bytes(v, "hello", 5), 0);
    assert_int_equal(dvec_append_bytes(v, "", 0), 0);
    assert_int_equal(dvec_append_null(v), 0);
    assert_int_equal(dvec_append_bytes(v, "w\xc3\xb6rld", 6), 0);
    assert_int_equal(dvec_append_int(v, 1), DELTA_ETYPE);
    assert_int_equal(v->length, 4);
    assert_int_equal(v->null_count, 1);
    assert_int_equal(v->data_len, 11);
    size_t n;
    const uint8_t *p = dvec_bytes(v, 0, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(p, "hello", 5);
    dvec_bytes(v, 1, &n);
    assert_int_equal(n, 0);
    dvec_bytes(v, 2, &n);
    assert_int_equal(n, 0); /* null slot: empty range */
    p = dvec_bytes(v, 3, &n);
    assert_memory_equal(p, "w\xc3\xb6rld", 6);
    assert_valid(v);
    /* many values: amortised growth keeps every value */
    for (int i = 0; i < 5000; i++) {
        char buf[16];
        int l = snprintf(buf, sizeof buf, "v%d", i);
        assert_int_equal(dvec_append_bytes(v, buf, (size_t)l), 0);
    }
    p = dvec_bytes(v, 4 + 4321, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(p, "v4321", 5);
    assert_valid(v);
    dvec_unref(v);

    v = new_vec(dtype_new_fixed_binary(3));
    assert_int_equal(dvec_append_bytes(v, "abc", 3), 0);
    assert_int_equal(dvec_append_bytes(v, "ab", 2), DELTA_EINVAL);
    assert_int_equal(dvec_append_null(v), 0);
    assert_int_equal(dvec_append_fixed(v, "xyz"), 0);
    assert_memory_equal((uint8_t *)v->values + 6, "xyz", 3);
    assert_memory_equal((uint8_t *)v->values + 3, "\0\0\0", 3);
    assert_valid(v);
    dvec_unref(v);
}

/* struct<a:int, l:array<string>, m:map<string,int>> */
static dtype *nested_type(void)
{
    dfield el, f[3];
    assert_int_equal(dfield_init(&el, "element", dtype_new(DT_STRING), true), 0);
    assert_int_equal(dfield_init(&f[0], "a", dtype_new(DT_INT32), true), 0);
    assert_int_equal(dfield_init(&f[1], "l", dtype_new_list(el), true), 0);
    assert_int_equal(dfield_init(&f[2], "m",
                                 dtype_new_map(dtype_new(DT_STRING), dtype_new(DT_INT32), true),
                                 true),
                     0);
    return dtype_new_struct(f, 3);
}

static void test_nested(void **state)
{
    (void)state;
    dvec *v = new_vec(nested_type());
    dvec *a = v->children[0], *l = v->children[1], *m = v->children[2];
    dvec *e = m->children[0];
    /* row 0: {a:1, l:["x",null], m:{"k":2}} */
    assert_int_equal(dvec_append_int(a, 1), 0);
    assert_int_equal(dvec_append_bytes(l->children[0], "x", 1), 0);
    assert_int_equal(dvec_append_null(l->children[0]), 0);
    assert_int_equal(dvec_end_list(l), 0);
    assert_int_equal(dvec_append_bytes(e->children[0], "k", 1), 0);
    assert_int_equal(dvec_append_int(e->children[1], 2), 0);
    assert_int_equal(dvec_end_struct(e), 0);
    assert_int_equal(dvec_end_list(m), 0);
    assert_int_equal(dvec_end_struct(v), 0);
    /* row 1: null struct */
    assert_int_equal(dvec_append_null(v), 0);
    assert_int_equal(a->length, 2);
    assert_int_equal(l->length, 2);
    /* row 2: {a:null, l:[], m:null} */
    assert_int_equal(dvec_append_null(a), 0);
    assert_int_equal(dvec_end_list(l), 0);
    assert_int_equal(dvec_append_null(m), 0);
    assert_int_equal(dvec_end_struct(v), 0);
    /* end_struct with a child missing its row */
    assert_int_equal(dvec_append_int(a, 5), 0);
    assert_int_equal(dvec_end_struct(v), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "'l'"));
    assert_int_equal(v->length, 3);
    a->length--; /* drop the stray value again */
    assert_valid(v);

    char *s = row_json(v, 0);
    assert_string_equal(s, "{\"a\":1,\"l\":[\"x\",null],\"m\":{\"k\":2}}");
    delta_free(s);
    s = row_json(v, 1);
    assert_string_equal(s, "null");
    delta_free(s);
    s = row_json(v, 2);
    assert_string_equal(s, "{\"a\":null,\"l\":[],\"m\":null}");
    delta_free(s);
    assert_int_equal(v->null_count, 1);
    assert_int_equal(a->null_count, 2);

    /* end_list: the child must not shrink below the used entries */
    dvec *lc = l->children[0];
    int64_t keep = lc->length;
    lc->length = 0;
    assert_int_equal(dvec_end_list(l), DELTA_EINVAL);
    lc->length = keep;
    dvec_unref(v);
}

static void test_range_take_fixed(void **state)
{
    (void)state;
    /* bitmaps at every bit offset */
    dvec *src = new_vec(dtype_new(DT_BOOL));
    for (int i = 0; i < 200; i++)
        assert_int_equal(
            (i * 7) % 5 == 0 ? dvec_append_null(src) : dvec_append_bool(src, (i * 13) % 3 == 0), 0);
    for (int start = 0; start < 17; start++) {
        for (int pre = 0; pre < 10; pre++) {
            dvec *dst = new_vec(dtype_new(DT_BOOL));
            for (int i = 0; i < pre; i++)
                assert_int_equal(dvec_append_bool(dst, i & 1), 0);
            assert_int_equal(dvec_append_range(dst, src, start, 150), 0);
            assert_int_equal(dst->length, pre + 150);
            for (int i = 0; i < pre; i++)
                assert_int_equal(dbit_get(dst->values, i), i & 1);
            for (int i = 0; i < 150; i++)
                assert_row_same(src, start + i, dst, pre + i);
            assert_valid(dst);
            dvec_unref(dst);
        }
    }
    dvec_unref(src);

    /* bounds and type checks */
    dvec *x = new_vec(dtype_new(DT_INT32)), *y = new_vec(dtype_new(DT_INT64));
    assert_int_equal(dvec_append_int(x, 1), 0);
    assert_int_equal(dvec_append_range(y, x, 0, 1), DELTA_ETYPE);
    dvec *z = new_vec(dtype_new(DT_INT32));
    assert_int_equal(dvec_append_range(z, x, 0, 2), DELTA_EINVAL);
    assert_int_equal(dvec_append_range(z, x, 1, 0), 0);
    uint32_t sel[2] = {0, 1};
    assert_int_equal(dvec_append_take(z, x, sel, 2), DELTA_EINVAL);
    assert_int_equal(dvec_append_take(z, x, sel, 1), 0);
    assert_int_equal(dvec_append_from(z, x, 0), 0);
    assert_int_equal(z->length, 2);
    assert_int_equal(dvec_append_range(x, x, 0, 1), DELTA_EINVAL);
    dvec_unref(x);
    dvec_unref(y);
    dvec_unref(z);
}

/* Random vectors of random types: range and take agree with the source
 * row by row, and the results validate. */
static void test_range_take_random(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 150; seed++) {
        dgen g;
        dgen_init(&g, seed, 0);
        dtype *t = dgen_type(&g);
        assert_non_null(t);
        dvec *src;
        int64_t n = (int64_t)dgen_below(&g, 80) + 1;
        assert_int_equal(dgen_vector(&g, t, n, &src), 0);
        assert_valid(src);

        dvec *dst;
        assert_int_equal(dvec_new(&dst, t), 0);
        int64_t pos = 0, map[400], k = 0;
        while (pos < n) {
            int64_t len = (int64_t)dgen_below(&g, 20);
            if (len > n - pos)
                len = n - pos;
            assert_int_equal(dvec_append_range(dst, src, pos, len), 0);
            for (int64_t i = 0; i < len; i++)
                map[k++] = pos + i;
            pos += len;
            if (dgen_below(&g, 3) == 0) {
                int64_t r = (int64_t)dgen_below(&g, (uint64_t)n);
                assert_int_equal(dvec_append_from(dst, src, r), 0);
                map[k++] = r;
            }
        }
        assert_int_equal(dst->length, k);
        assert_valid(dst);
        for (int64_t i = 0; i < k; i++)
            assert_row_same(src, map[i], dst, i);

        uint32_t sel[100];
        int64_t ns = (int64_t)dgen_below(&g, 100);
        for (int64_t i = 0; i < ns; i++)
            sel[i] = (uint32_t)dgen_below(&g, (uint64_t)n);
        dvec *tk;
        assert_int_equal(dvec_new(&tk, t), 0);
        assert_int_equal(dvec_append_take(tk, src, sel, ns), 0);
        assert_int_equal(dvec_append_take(tk, src, sel, ns / 2), 0);
        assert_valid(tk);
        for (int64_t i = 0; i < ns; i++)
            assert_row_same(src, sel[i], tk, i);
        for (int64_t i = 0; i < ns / 2; i++)
            assert_row_same(src, sel[i], tk, ns + i);

        /* the copy equals the source */
        dvec *copy;
        assert_int_equal(dvec_new(&copy, t), 0);
        assert_int_equal(dvec_append_range(copy, src, 0, n), 0);
        dbuf why = DBUF_INIT;
        if (!dvec_equal(src, copy, &why))
            fail_msg("seed %llu: %s", (unsigned long long)seed, dbuf_cstr(&why));
        dbuf_free(&why);

        dvec_unref(copy);
        dvec_unref(tk);
        dvec_unref(dst);
        dvec_unref(src);
        dtype_unref(t);
    }
}

static void test_reserve_fill_clear(void **state)
{
    (void)state;
    /* a producer filling buffers directly */
    dvec *v = new_vec(dtype_new(DT_INT32));
    assert_int_equal(dvec_reserve(v, 100), 0);
    assert_true(v->cap >= 100);
    assert_int_equal(dvec_ensure_validity(v), 0);
    int32_t *vals = v->values;
    for (int i = 0; i < 100; i++) {
        vals[i] = i;
        if (i % 10 == 0)
            dbit_clear(v->validity, i);
        else
            dbit_set(v->validity, i);
    }
    dvec_set_length(v, 100);
    assert_int_equal(v->null_count, 10);
    assert_valid(v);
    void *mem = v->values;
    dvec_clear(v);
    assert_int_equal(v->length, 0);
    assert_int_equal(v->null_count, 0);
    assert_ptr_equal(v->values, mem);
    assert_int_equal(dvec_append_int(v, 7), 0);
    assert_true(dvec_is_valid(v, 0));
    assert_valid(v);
    assert_int_equal(dvec_reserve(v, -1), DELTA_EINVAL);
    dvec_unref(v);

    v = new_vec(dtype_new(DT_STRING));
    assert_int_equal(dvec_reserve(v, 3), 0);
    assert_int_equal(dvec_reserve_data(v, 6), 0);
    memcpy(v->data, "abcdef", 6);
    v->offsets[1] = 1;
    v->offsets[2] = 3;
    v->offsets[3] = 6;
    dvec_set_length(v, 3);
    assert_int_equal(v->data_len, 6);
    assert_valid(v);
    size_t n;
    const uint8_t *p = dvec_bytes(v, 2, &n);
    assert_memory_equal(p, "def", 3);
    dvec_clear(v);
    assert_int_equal(v->data_len, 0);
    assert_valid(v);
    dvec_unref(v);

    dvec *nested = new_vec(nested_type());
    dgen g;
    dgen_init(&g, 3, 0);
    assert_int_equal(dgen_append(&g, nested, 20), 0);
    dvec_clear(nested);
    assert_int_equal(nested->children[1]->children[0]->length, 0);
    assert_valid(nested);
    assert_int_equal(dgen_append(&g, nested, 5), 0);
    assert_valid(nested);
    dvec_unref(nested);
}

typedef void (*breaker)(dvec *v);

static dvec *valid_sample(void)
{
    dvec *v = new_vec(nested_type());
    dgen g;
    dgen_init(&g, 11, 0);
    g.null_pct = 30;
    g.edge_pct = 0;
    assert_int_equal(dgen_append(&g, v, 40), 0);
    /* make sure some strings and list entries exist */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dvec_append_int(v->children[0], i), 0);
        assert_int_equal(dvec_append_bytes(v->children[1]->children[0], "ab", 2), 0);
        assert_int_equal(dvec_end_list(v->children[1]), 0);
        dvec *e = v->children[2]->children[0];
        assert_int_equal(dvec_append_bytes(e->children[0], "k", 1), 0);
        assert_int_equal(dvec_append_int(e->children[1], i), 0);
        assert_int_equal(dvec_end_struct(e), 0);
        assert_int_equal(dvec_end_list(v->children[2]), 0);
        assert_int_equal(dvec_end_struct(v), 0);
    }
    assert_valid(v);
    return v;
}

static dvec *strings(dvec *v)
{
    return v->children[1]->children[0];
}
static void brk_null_count(dvec *v)
{
    v->null_count++;
}
static void brk_neg_length(dvec *v)
{
    v->children[0]->null_count = -1;
}
static void brk_child_len(dvec *v)
{
    v->children[0]->length--;
}
static void brk_offsets_decrease(dvec *v)
{
    strings(v)->offsets[strings(v)->length] = 0;
}
static void brk_first_offset(dvec *v)
{
    v->children[1]->offsets[0] = 1;
}
static void brk_data_len(dvec *v)
{
    strings(v)->data_len++;
}
static void brk_list_child(dvec *v)
{
    v->children[1]->offsets[v->length] -= 1;
}
static void brk_utf8(dvec *v)
{
    strings(v)->data[strings(v)->data_len - 1] = 0xff;
}
static void brk_map_key_null(dvec *v)
{
    dvec *keys = v->children[2]->children[0]->children[0];
    dvec_ensure_validity(keys);
    dbit_clear(keys->validity, 0);
    keys->null_count = 1;
}
static void brk_children(dvec *v)
{
    v->num_children = 2;
}
static void brk_bitmap(dvec *v)
{
    dvec *a = v->children[0];
    dvec_ensure_validity(a);
    dbit_clear(a->validity, a->length - 1); /* a null not counted */
}

static void test_validate(void **state)
{
    (void)state;
    static const struct {
        breaker fn;
        const char *expect;
    } cases[] = {
        {brk_null_count, "null_count"},
        {brk_neg_length, "null_count"},
        {brk_child_len, "rows"},
        {brk_offsets_decrease, "offsets decrease"},
        {brk_first_offset, "first offset"},
        {brk_data_len, "data length"},
        {brk_list_child, "offsets end"},
        {brk_utf8, "UTF-8"},
        {brk_map_key_null, "nulls"},
        {brk_children, "children"},
        {brk_bitmap, "null_count"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dvec *v = valid_sample();
        dvec *keep = v->children[2];
        cases[i].fn(v);
        assert_int_equal(dvec_validate(v, true), DELTA_ECORRUPT);
        if (!strstr(delta_error_last(), cases[i].expect))
            fail_msg("case %zu: '%s' lacks '%s'", i, delta_error_last(), cases[i].expect);
        if (cases[i].fn == brk_utf8)
            assert_int_equal(dvec_validate(v, false), 0);
        v->num_children = 3;
        v->children[2] = keep;
        dvec_unref(v);
    }
    /* the error names the path */
    dvec *v = valid_sample();
    brk_offsets_decrease(v);
    dvec_validate(v, false);
    assert_non_null(strstr(delta_error_last(), "l[]"));
    strings(v)->offsets[strings(v)->length] = (int32_t)strings(v)->data_len;
    dvec_unref(v);

    /* DT_NULL invariants */
    v = new_vec(dtype_new(DT_NULL));
    dvec_append_nulls(v, 3);
    v->null_count = 2;
    assert_int_equal(dvec_validate(v, false), DELTA_ECORRUPT);
    dvec_unref(v);
}

static void test_equal(void **state)
{
    (void)state;
    dvec *a = new_vec(dtype_new(DT_FLOAT64)), *b = new_vec(dtype_new(DT_FLOAT64));
    double xs[] = {1.0, NAN, -0.0, 3.0};
    double ys[] = {1.0, NAN, 0.0, 3.0};
    for (int i = 0; i < 4; i++) {
        dvec_append_double(a, xs[i]);
        dvec_append_double(b, ys[i]);
    }
    assert_true(dvec_equal(a, b, NULL));
    dvec_append_double(a, 1.0);
    dvec_append_null(b);
    dbuf why = DBUF_INIT;
    assert_false(dvec_equal(a, b, &why));
    assert_string_equal(dbuf_cstr(&why), "row 4, value: 1 vs null");
    dvec_unref(a);
    dvec_unref(b);

    a = valid_sample();
    b = valid_sample();
    assert_true(dvec_equal(a, b, NULL));
    dvec *e = b->children[2]->children[0];
    int32_t *vals = e->children[1]->values;
    vals[e->length - 1] = 99;
    dbuf_reset(&why);
    assert_false(dvec_equal(a, b, &why));
    assert_string_equal(dbuf_cstr(&why), "row 42, m[0].value: 2 vs 99");
    dvec_unref(b);
    dvec *c = new_vec(dtype_new(DT_INT32));
    dbuf_reset(&why);
    assert_false(dvec_equal(a, c, &why));
    assert_non_null(strstr(dbuf_cstr(&why), "types differ"));
    dvec_unref(c);
    dvec_unref(a);

    /* batches describe the column */
    dfield f[2];
    dfield_init(&f[0], "id", dtype_new(DT_INT64), false);
    dfield_init(&f[1], "s", dtype_new(DT_STRING), true);
    dtype *schema = dtype_new_struct(f, 2);
    dvec *b1, *b2;
    assert_int_equal(dbatch_new(&b1, schema), 0);
    assert_int_equal(dbatch_new(&b2, schema), 0);
    dvec_append_int(b1->children[0], 1);
    dvec_append_int(b2->children[0], 1);
    dvec_append_bytes(b1->children[1], "x\"y", 3);
    dvec_append_bytes(b2->children[1], "x", 1);
    assert_int_equal(dbatch_seal(b1), 0);
    assert_int_equal(dbatch_seal(b2), 0);
    dbuf_reset(&why);
    assert_false(dvec_equal(b1, b2, &why));
    assert_string_equal(dbuf_cstr(&why), "row 0, s: \"x\\\"y\" vs \"x\"");
    dbuf_free(&why);
    dvec_unref(b1);
    dvec_unref(b2);
    dtype_unref(schema);
}

static void test_batch_stream(void **state)
{
    (void)state;
    dtype *i = dtype_new(DT_INT32);
    dvec *x;
    assert_int_equal(dbatch_new(&x, i), DELTA_EINVAL);
    dtype_unref(i);

    dfield f[2];
    dfield_init(&f[0], "a", dtype_new(DT_INT32), true);
    dfield_init(&f[1], "b", dtype_new(DT_STRING), true);
    dtype *schema = dtype_new_struct(f, 2);
    dvec *b[3];
    for (int k = 0; k < 3; k++) {
        assert_int_equal(dbatch_new(&b[k], schema), 0);
        for (int r = 0; r < k + 1; r++) {
            dvec_append_int(dbatch_column(b[k], 0), r);
            dvec_append_bytes(dbatch_column(b[k], 1), "s", 1);
        }
        assert_int_equal(dbatch_seal(b[k]), 0);
        assert_int_equal(dbatch_num_rows(b[k]), k + 1);
        assert_null(b[k]->validity);
        assert_valid(b[k]);
    }
    dvec_append_int(dbatch_column(b[2], 0), 9);
    assert_int_equal(dbatch_seal(b[2]), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "'b'"));
    dvec_append_bytes(dbatch_column(b[2], 1), "t", 1);
    assert_int_equal(dbatch_seal(b[2]), 0);
    assert_int_equal(dbatch_num_rows(b[2]), 4);

    dstream *s;
    assert_int_equal(dstream_from_batches(&s, schema, b, 3), 0);
    assert_true(dtype_equal(s->schema, schema));
    dvec *got;
    int64_t rows = 0;
    for (;;) {
        assert_int_equal(s->next(s, &got), 0);
        if (!got)
            break;
        rows += got->length;
        dvec_unref(got);
    }
    assert_int_equal(rows, 1 + 2 + 4);
    s->free(s);

    /* unconsumed batches are released by free; a wrong schema is refused */
    dvec *c[2];
    dbatch_new(&c[0], schema);
    dbatch_new(&c[1], schema);
    assert_int_equal(dstream_from_batches(&s, schema, c, 2), 0);
    s->free(s);
    dvec *bad;
    dtype *other = dtype_new_struct(NULL, 0);
    dbatch_new(&bad, other);
    assert_int_equal(dstream_from_batches(&s, schema, &bad, 1), DELTA_ETYPE);
    dtype_unref(other);
    dtype_unref(schema);
}

/* Allocation failure anywhere in an append leaves the earlier rows. */
static void test_oom(void **state)
{
    (void)state;
    dgen g;
    dgen_init(&g, 99, 0);
    dtype *t = nested_type();
    dvec *src;
    assert_int_equal(dgen_vector(&g, t, 300, &src), 0);
    uint32_t sel[300];
    for (int i = 0; i < 300; i++)
        sel[i] = (uint32_t)((i * 37) % 300);
    for (int op = 0; op < 3; op++) {
        bool done = false;
        for (long k = 1; k < 500 && !done; k++) {
            dvec *dst;
            assert_int_equal(dvec_new(&dst, t), 0);
            assert_int_equal(dvec_append_range(dst, src, 0, 5), 0);
            delta_alloc_fail_after(k);
            int rc;
            if (op == 0)
                rc = dvec_append_range(dst, src, 5, 295);
            else if (op == 1)
                rc = dvec_append_take(dst, src, sel, 300);
            else
                rc = dgen_append(&g, dst, 100);
            long failures = delta_alloc_injected_failures();
            delta_alloc_fail_after(0);
            /* a row built child by child (op 2) may be left half-done in
             * the children; the vector's own rows stay intact */
            if (op < 2)
                assert_valid(dst);
            if (rc) {
                assert_int_equal(rc, DELTA_ENOMEM);
                if (op < 2)
                    assert_int_equal(dst->length, 5);
                for (int64_t i = 0; i < 5; i++)
                    assert_row_same(src, i, dst, i);
            } else if (failures == 0) {
                done = true;
            }
            dvec_unref(dst);
        }
        assert_true(done);
    }
    dvec_unref(src);
    dtype_unref(t);
}

static void test_bits(void **state)
{
    (void)state;
    uint8_t src[40], dst[40];
    for (int i = 0; i < 40; i++)
        src[i] = (uint8_t)(i * 37 + 11);
    for (int so = 0; so < 20; so++) {
        for (int d0 = 0; d0 < 20; d0++) {
            for (int n = 0; n < 150; n += 7) {
                memset(dst, 0xa5, sizeof dst);
                dbits_copy(dst, d0, src, so, n);
                for (int i = 0; i < d0; i++)
                    assert_int_equal(dbit_get(dst, i), (0xa5 >> (i & 7)) & 1);
                for (int i = 0; i < n; i++)
                    assert_int_equal(dbit_get(dst, d0 + i), dbit_get(src, so + i));
                for (int i = d0 + n; i < 320; i++)
                    assert_int_equal(dbit_get(dst, i), (0xa5 >> (i & 7)) & 1);
                int64_t c = 0;
                for (int i = 0; i < n; i++)
                    c += dbit_get(src, so + i);
                assert_int_equal(dbits_count(src, so, n), c);
            }
        }
    }
    memset(dst, 0, sizeof dst);
    dbits_fill(dst, 3, 20, true);
    assert_int_equal(dbits_count(dst, 0, 320), 20);
    assert_false(dbit_get(dst, 2));
    assert_true(dbit_get(dst, 3));
    assert_true(dbit_get(dst, 22));
    assert_false(dbit_get(dst, 23));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fixed_types, reset_injection),
        cmocka_unit_test_teardown(test_bytes, reset_injection),
        cmocka_unit_test_teardown(test_nested, reset_injection),
        cmocka_unit_test_teardown(test_range_take_fixed, reset_injection),
        cmocka_unit_test_teardown(test_range_take_random, reset_injection),
        cmocka_unit_test_teardown(test_reserve_fill_clear, reset_injection),
        cmocka_unit_test_teardown(test_validate, reset_injection),
        cmocka_unit_test_teardown(test_equal, reset_injection),
        cmocka_unit_test_teardown(test_batch_stream, reset_injection),
        cmocka_unit_test_teardown(test_oom, reset_injection),
        cmocka_unit_test_teardown(test_bits, reset_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
