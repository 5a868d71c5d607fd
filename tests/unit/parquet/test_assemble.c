/*
 * Record assembly and shredding (parquet/assemble.h, parquet/shred.h) on
 * hand-made levels: a null struct vs a struct of nulls, a null list vs an
 * empty list vs a list of a null, lists of lists with nulls at each level,
 * maps with null values, and flat columns through every value conversion
 * (INT96, decimals in INT32/INT64/FLBA/BYTE_ARRAY, narrow integers,
 * booleans, strings). Each case is shredded back to the same levels and
 * values. Corrupt inputs (levels and values disagreeing, columns with
 * different record counts) are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "columnar/vector.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/assemble.h"
#include "parquet/encoding.h"
#include "parquet/logical.h"
#include "parquet/schema.h"
#include "parquet/shred.h"

/* ---- schema helpers (as in test_logical.c) ---------------------------- */

static pq_schema_element group(const char *name, int rep, int nchildren)
{
    pq_schema_element e;
    memset(&e, 0, sizeof(e));
    e.name.ptr = name;
    e.name.len = strlen(name);
    e.num_children = nchildren;
    e.has_num_children = true;
    if (rep >= 0) {
        e.repetition_type = rep;
        e.has_repetition_type = true;
    }
    return e;
}

static pq_schema_element prim(const char *name, int rep, int type)
{
    pq_schema_element e;
    memset(&e, 0, sizeof(e));
    e.name.ptr = name;
    e.name.len = strlen(name);
    e.type = type;
    e.has_type = true;
    e.repetition_type = rep;
    e.has_repetition_type = true;
    return e;
}

static pq_schema_element ct(pq_schema_element e, int converted)
{
    e.converted_type = converted;
    e.has_converted_type = true;
    return e;
}

static pq_schema_element dec(pq_schema_element e, int p, int s)
{
    e = ct(e, PQ_CT_DECIMAL);
    e.precision = p;
    e.scale = s;
    e.has_precision = e.has_scale = true;
    return e;
}

enum { REQ = PQ_REP_REQUIRED, OPT = PQ_REP_OPTIONAL, REP = PQ_REP_REPEATED };

typedef struct fixture {
    pq_schema *tree;
    pq_plan plan;
    dvec *batch;
} fixture;

static void setup(fixture *f, const pq_schema_element *elems, uint32_t n)
{
    assert_int_equal(pq_schema_build(&f->tree, elems, n), 0);
    if (pq_plan_from_schema(&f->plan, f->tree, NULL, NULL, 0))
        fail_msg("%s", delta_error_last());
    assert_int_equal(dbatch_new(&f->batch, f->plan.schema), 0);
}

static void teardown(fixture *f)
{
    dvec_unref(f->batch);
    pq_plan_free(&f->plan);
    pq_schema_free(f->tree);
}

static void assemble_ok(fixture *f, const pq_leaf_data *leaves, int64_t records)
{
    int64_t before = dbatch_num_rows(f->batch);
    int rc = pq_assemble(&f->plan, leaves, records, f->batch);
    if (rc)
        fail_msg("assemble: %s", delta_error_last());
    assert_int_equal(dbatch_num_rows(f->batch), before + records);
    assert_int_equal(dvec_validate(f->batch, true), 0);
}

static size_t phys_width(const pq_node *n)
{
    switch (n->physical) {
    case PQ_TYPE_BOOLEAN: return 1;
    case PQ_TYPE_INT32: case PQ_TYPE_FLOAT: return 4;
    case PQ_TYPE_INT64: case PQ_TYPE_DOUBLE: return 8;
    case PQ_TYPE_INT96: return 12;
    default: return (size_t)n->type_length;
    }
}

/* Shreds the whole batch and compares with the leaves it was built from. */
static void shred_matches(fixture *f, const pq_leaf_data *want)
{
    uint32_t nl = f->plan.num_leaves;
    pq_shred_leaf *out = test_calloc(nl, sizeof(pq_shred_leaf));
    int rc = pq_shred(&f->plan, f->batch, 0, f->batch->length, out);
    if (rc)
        fail_msg("shred: %s", delta_error_last());
    for (uint32_t i = 0; i < nl; i++) {
        const pq_leaf_data *g = &out[i].data, *w = &want[i];
        const pq_node *leaf = f->plan.leaves[i];
        assert_int_equal(g->num_levels, w->num_levels);
        assert_int_equal(g->num_values, w->num_values);
        if (leaf->max_def > 0)
            assert_memory_equal(g->def, w->def, (size_t)w->num_levels * 2);
        else
            assert_null(g->def);
        if (leaf->max_rep > 0)
            assert_memory_equal(g->rep, w->rep, (size_t)w->num_levels * 2);
        else
            assert_null(g->rep);
        if (leaf->conv == PQ_CONV_NULL)
            continue;
        if (leaf->physical == PQ_TYPE_BYTE_ARRAY) {
            for (int64_t k = 0; k < w->num_values; k++) {
                int32_t gl = g->offsets[k + 1] - g->offsets[k];
                int32_t wl = w->offsets[k + 1] - w->offsets[k];
                assert_int_equal(gl, wl);
                assert_memory_equal((const uint8_t *)g->values + g->offsets[k],
                                    (const uint8_t *)w->values + w->offsets[k], (size_t)wl);
            }
        } else if (w->num_values) {
            assert_memory_equal(g->values, w->values, (size_t)w->num_values * phys_width(leaf));
        }
    }
    pq_shred_leaves_free(out, nl);
    test_free(out);
}

static int64_t i64_at(const dvec *v, int64_t i)
{
    return dvec_i64(v)[i];
}

/* ---- nested cases ----------------------------------------------------- */

/* optional group s { optional int32 a; required int32 b }
 * rows: null, {a: null, b: 7}, {a: 5, b: 8} */
static void test_null_struct_vs_struct_of_nulls(void **state)
{
    (void)state;
    pq_schema_element s[] = {group("schema", -1, 1), group("s", OPT, 2),
                             prim("a", OPT, PQ_TYPE_INT32), prim("b", REQ, PQ_TYPE_INT32)};
    fixture f;
    setup(&f, s, 4);
    int16_t da[] = {0, 1, 2}, db[] = {0, 1, 1};
    int32_t va[] = {5}, vb[] = {7, 8};
    pq_leaf_data L[2] = {{3, 1, da, NULL, va, NULL}, {3, 2, db, NULL, vb, NULL}};
    assemble_ok(&f, L, 3);
    const dvec *sv = dbatch_column(f.batch, 0);
    assert_false(dvec_is_valid(sv, 0));
    assert_true(dvec_is_valid(sv, 1));
    assert_true(dvec_is_valid(sv, 2));
    const dvec *a = sv->children[0], *b = sv->children[1];
    assert_false(dvec_is_valid(a, 0));
    assert_false(dvec_is_valid(a, 1));
    assert_true(dvec_is_valid(a, 2));
    assert_int_equal(dvec_i32(a)[2], 5);
    assert_int_equal(dvec_i32(a)[1], 0); /* null slots hold zero */
    assert_true(dvec_is_valid(b, 1));
    assert_int_equal(dvec_i32(b)[1], 7);
    assert_int_equal(dvec_i32(b)[2], 8);
    shred_matches(&f, L);
    teardown(&f);
}

/* optional group l (LIST) { repeated group list { optional int32 element } }
 * rows: null, [], [null], [1, 2], [3] */
static void test_null_vs_empty_list(void **state)
{
    (void)state;
    pq_schema_element s[] = {group("schema", -1, 1), ct(group("l", OPT, 1), PQ_CT_LIST),
                             group("list", REP, 1), prim("element", OPT, PQ_TYPE_INT32)};
    fixture f;
    setup(&f, s, 4);
    int16_t d[] = {0, 1, 2, 3, 3, 3}, r[] = {0, 0, 0, 0, 1, 0};
    int32_t v[] = {1, 2, 3};
    pq_leaf_data L[1] = {{6, 3, d, r, v, NULL}};
    assemble_ok(&f, L, 5);
    const dvec *l = dbatch_column(f.batch, 0);
    const int32_t want_off[] = {0, 0, 0, 1, 3, 4};
    assert_memory_equal(l->offsets, want_off, sizeof(want_off));
    assert_false(dvec_is_valid(l, 0));
    for (int i = 1; i < 5; i++)
        assert_true(dvec_is_valid(l, i));
    const dvec *e = l->children[0];
    assert_int_equal(e->length, 4);
    assert_false(dvec_is_valid(e, 0));
    assert_int_equal(dvec_i32(e)[1], 1);
    assert_int_equal(dvec_i32(e)[2], 2);
    assert_int_equal(dvec_i32(e)[3], 3);
    shred_matches(&f, L);
    teardown(&f);
}

/* ll: list<list<int64>> all optional.
 * rows: [[1, null], [], null], null, [[2]], [] */
static void test_list_of_lists(void **state)
{
    (void)state;
    pq_schema_element s[] = {group("schema", -1, 1),
                             ct(group("ll", OPT, 1), PQ_CT_LIST),
                             group("list", REP, 1),
                             ct(group("element", OPT, 1), PQ_CT_LIST),
                             group("list", REP, 1),
                             prim("element", OPT, PQ_TYPE_INT64)};
    fixture f;
    setup(&f, s, 6);
    int16_t d[] = {5, 4, 3, 2, 0, 5, 1}, r[] = {0, 2, 1, 1, 0, 0, 0};
    int64_t v[] = {1, 2};
    pq_leaf_data L[1] = {{7, 2, d, r, v, NULL}};
    assemble_ok(&f, L, 4);
    const dvec *o = dbatch_column(f.batch, 0);
    const int32_t oo[] = {0, 3, 3, 4, 4};
    assert_memory_equal(o->offsets, oo, sizeof(oo));
    assert_true(dvec_is_valid(o, 0));
    assert_false(dvec_is_valid(o, 1));
    assert_true(dvec_is_valid(o, 2));
    assert_true(dvec_is_valid(o, 3));
    const dvec *in = o->children[0];
    assert_int_equal(in->length, 4);
    const int32_t io[] = {0, 2, 2, 2, 3};
    assert_memory_equal(in->offsets, io, sizeof(io));
    assert_true(dvec_is_valid(in, 0));
    assert_true(dvec_is_valid(in, 1));
    assert_false(dvec_is_valid(in, 2));
    assert_true(dvec_is_valid(in, 3));
    const dvec *leaf = in->children[0];
    assert_int_equal(leaf->length, 3);
    assert_int_equal(i64_at(leaf, 0), 1);
    assert_false(dvec_is_valid(leaf, 1));
    assert_int_equal(i64_at(leaf, 2), 2);
    shred_matches(&f, L);
    teardown(&f);
}

/* m: map<string, int32 nullable>; rows: {a: 1, b: null}, null, {} */
static void test_map_with_null_values(void **state)
{
    (void)state;
    pq_schema_element s[] = {group("schema", -1, 1), ct(group("m", OPT, 1), PQ_CT_MAP),
                             group("key_value", REP, 2),
                             ct(prim("key", REQ, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8),
                             prim("value", OPT, PQ_TYPE_INT32)};
    fixture f;
    setup(&f, s, 5);
    int16_t dk[] = {2, 2, 0, 1}, rk[] = {0, 1, 0, 0};
    int16_t dv[] = {3, 2, 0, 1}, rv[] = {0, 1, 0, 0};
    int32_t koff[] = {0, 1, 2};
    int32_t vals[] = {1};
    pq_leaf_data L[2] = {{4, 2, dk, rk, "ab", koff}, {4, 1, dv, rv, vals, NULL}};
    assemble_ok(&f, L, 3);
    const dvec *m = dbatch_column(f.batch, 0);
    const int32_t mo[] = {0, 2, 2, 2};
    assert_memory_equal(m->offsets, mo, sizeof(mo));
    assert_true(dvec_is_valid(m, 0));
    assert_false(dvec_is_valid(m, 1));
    assert_true(dvec_is_valid(m, 2));
    const dvec *ent = m->children[0];
    assert_int_equal(ent->length, 2);
    size_t len;
    const uint8_t *p = dvec_bytes(ent->children[0], 1, &len);
    assert_int_equal(len, 1);
    assert_memory_equal(p, "b", 1);
    assert_true(dvec_is_valid(ent->children[1], 0));
    assert_int_equal(dvec_i32(ent->children[1])[0], 1);
    assert_false(dvec_is_valid(ent->children[1], 1));
    shred_matches(&f, L);
    teardown(&f);
}

/* Legacy 2-level list inside a struct, and an un-annotated repeated group:
 * s: optional struct { l (LIST) { repeated int32 element } },
 * pts: repeated group { required int32 x } */
static void test_legacy_and_repeated(void **state)
{
    (void)state;
    pq_schema_element s[] = {group("schema", -1, 2),   group("s", OPT, 1),
                             ct(group("l", OPT, 1), PQ_CT_LIST),
                             prim("element", REP, PQ_TYPE_INT32),
                             group("pts", REP, 1), prim("x", REQ, PQ_TYPE_INT32)};
    fixture f;
    setup(&f, s, 6);
    /* rows: s=null, pts=[];  s={l: null}, pts=[{1},{2}];  s={l: [7, 8]}, pts=[{3}] */
    int16_t d1[] = {0, 1, 3, 3}, r1[] = {0, 0, 0, 1};
    int32_t v1[] = {7, 8};
    int16_t d2[] = {0, 1, 1, 1}, r2[] = {0, 0, 1, 0};
    int32_t v2[] = {1, 2, 3};
    pq_leaf_data L[2] = {{4, 2, d1, r1, v1, NULL}, {4, 3, d2, r2, v2, NULL}};
    assemble_ok(&f, L, 3);
    const dvec *sv = dbatch_column(f.batch, 0);
    assert_false(dvec_is_valid(sv, 0));
    const dvec *l = sv->children[0];
    assert_false(dvec_is_valid(l, 1));
    assert_true(dvec_is_valid(l, 2));
    assert_int_equal(l->offsets[3] - l->offsets[2], 2);
    const dvec *pts = dbatch_column(f.batch, 1);
    const int32_t po[] = {0, 0, 2, 3};
    assert_memory_equal(pts->offsets, po, sizeof(po));
    assert_null(pts->validity);
    shred_matches(&f, L);
    teardown(&f);
}

/* ---- flat conversions ------------------------------------------------- */

static void test_flat_conversions(void **state)
{
    (void)state;
    pq_schema_element s[] = {
        group("schema", -1, 11),
        prim("req", REQ, PQ_TYPE_INT32),
        ct(prim("i8", OPT, PQ_TYPE_INT32), PQ_CT_INT_8),
        ct(prim("u16", OPT, PQ_TYPE_INT32), PQ_CT_UINT_16),
        prim("b", OPT, PQ_TYPE_BOOLEAN),
        prim("t96", OPT, PQ_TYPE_INT96),
        dec(prim("d32", OPT, PQ_TYPE_INT32), 9, 2),
        dec(prim("d64", REQ, PQ_TYPE_INT64), 18, 2),
        dec(prim("dfl", OPT, PQ_TYPE_FIXED_LEN_BYTE_ARRAY), 20, 0),
        dec(prim("dba", OPT, PQ_TYPE_BYTE_ARRAY), 30, 0),
        ct(prim("str", OPT, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8),
        prim("dbl", OPT, PQ_TYPE_DOUBLE),
    };
    s[8].type_length = 9;
    s[8].has_type_length = true;
    fixture f;
    setup(&f, s, 12);
    /* 3 rows; the middle one null in every optional column */
    int16_t dn[] = {1, 0, 1};
    int32_t req[] = {10, 20, 30};
    int32_t i8[] = {-5, 127};
    int32_t u16[] = {65535, 1};
    uint8_t bools[] = {1, 0};
    uint8_t t96[24];
    pq_nanos_to_int96(INT64_C(1600000000123456789), t96);
    pq_nanos_to_int96(INT64_C(-86400000000001), t96 + 12);
    int32_t d32[] = {-12345, 999999999};
    int64_t d64[] = {INT64_C(-1), INT64_C(123456789012345678), 0};
    uint8_t dfl[18] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, /* -2 */
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00 /* 256 */};
    uint8_t dba[] = {0x80, /* -128 */ 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                     0x00, 0x00 /* 2^80 */};
    int32_t dba_off[] = {0, 1, 12};
    const char *str = "héllo";
    int32_t str_off[] = {0, 6, 6};
    double dbl[] = {1.5, -0.0};
    pq_leaf_data L[11] = {
        {3, 3, NULL, NULL, req, NULL},  {3, 2, dn, NULL, i8, NULL},
        {3, 2, dn, NULL, u16, NULL},    {3, 2, dn, NULL, bools, NULL},
        {3, 2, dn, NULL, t96, NULL},    {3, 2, dn, NULL, d32, NULL},
        {3, 3, NULL, NULL, d64, NULL},  {3, 2, dn, NULL, dfl, NULL},
        {3, 2, dn, NULL, dba, dba_off}, {3, 2, dn, NULL, str, str_off},
        {3, 2, dn, NULL, dbl, NULL},
    };
    assemble_ok(&f, L, 3);
    const dvec *c;
    c = dbatch_column(f.batch, 0);
    assert_null(c->validity);
    assert_memory_equal(c->values, req, sizeof(req));
    c = dbatch_column(f.batch, 1);
    assert_int_equal(c->type->id, DT_INT8);
    assert_int_equal(((const int8_t *)c->values)[0], -5);
    assert_int_equal(((const int8_t *)c->values)[1], 0);
    assert_int_equal(((const int8_t *)c->values)[2], 127);
    assert_int_equal(c->null_count, 1);
    c = dbatch_column(f.batch, 2);
    assert_int_equal(((const uint16_t *)c->values)[0], 65535);
    c = dbatch_column(f.batch, 3);
    assert_true(dbit_get(c->values, 0));
    assert_false(dbit_get(c->values, 2));
    assert_false(dvec_is_valid(c, 1));
    c = dbatch_column(f.batch, 4);
    assert_int_equal(i64_at(c, 0), INT64_C(1600000000123456789));
    assert_int_equal(i64_at(c, 2), INT64_C(-86400000000001));
    c = dbatch_column(f.batch, 5);
    int64_t lohi[2];
    memcpy(lohi, (const uint8_t *)c->values, 16);
    assert_int_equal(lohi[0], -12345);
    assert_int_equal(lohi[1], -1);
    memcpy(lohi, (const uint8_t *)c->values + 32, 16);
    assert_int_equal(lohi[0], 999999999);
    assert_int_equal(lohi[1], 0);
    c = dbatch_column(f.batch, 6);
    memcpy(lohi, (const uint8_t *)c->values + 16, 16);
    assert_int_equal(lohi[0], INT64_C(123456789012345678));
    c = dbatch_column(f.batch, 7);
    memcpy(lohi, (const uint8_t *)c->values, 16);
    assert_int_equal(lohi[0], -2);
    assert_int_equal(lohi[1], -1);
    memcpy(lohi, (const uint8_t *)c->values + 32, 16);
    assert_int_equal(lohi[0], 256);
    assert_int_equal(lohi[1], 0);
    c = dbatch_column(f.batch, 8);
    memcpy(lohi, (const uint8_t *)c->values, 16);
    assert_int_equal(lohi[0], -128);
    assert_int_equal(lohi[1], -1);
    memcpy(lohi, (const uint8_t *)c->values + 32, 16);
    assert_int_equal(lohi[0], 0);
    assert_int_equal(lohi[1], 1 << 16);
    c = dbatch_column(f.batch, 9);
    size_t len;
    const uint8_t *p = dvec_bytes(c, 0, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(p, str, 6);
    dvec_bytes(c, 1, &len);
    assert_int_equal(len, 0);
    assert_false(dvec_is_valid(c, 1));
    assert_true(dvec_is_valid(c, 2));
    c = dbatch_column(f.batch, 10);
    assert_true(dvec_f64(c)[0] == 1.5);

    /* Shredding with a writer's plan for the same dtype: the physical
     * values come back (a BYTE_ARRAY decimal is written as FLBA). */
    uint8_t dba_fixed[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                           0xFF, 0x80, /* -128 in 13 bytes */
                           0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x00};
    pq_plan wplan;
    pq_schema_out so;
    assert_int_equal(pq_plan_from_dtype(&wplan, &so, f.plan.schema), 0);
    pq_shred_leaf *out = test_calloc(wplan.num_leaves, sizeof(pq_shred_leaf));
    assert_int_equal(pq_shred(&wplan, f.batch, 0, 3, out), 0);
    /* dba: DECIMAL(30) is written as FLBA(13) */
    assert_int_equal(wplan.leaves[8]->type_length, 13);
    assert_memory_equal(out[8].data.values, dba_fixed, 26);
    /* d32 stays INT32, i8 is sign-extended, u16 zero-extended */
    assert_memory_equal(out[5].data.values, d32, sizeof(d32));
    assert_memory_equal(out[1].data.values, i8, sizeof(i8));
    assert_memory_equal(out[2].data.values, u16, sizeof(u16));
    assert_memory_equal(out[4].data.values, t96, sizeof(t96));
    assert_memory_equal(out[3].data.values, bools, sizeof(bools));
    /* the required flat column is borrowed, not copied */
    assert_ptr_equal(out[0].data.values, dbatch_column(f.batch, 0)->values);
    /* a slice shreds only its rows */
    assert_int_equal(pq_shred(&wplan, f.batch, 1, 2, out), 0);
    assert_int_equal(out[9].data.num_levels, 2);
    assert_int_equal(out[9].data.num_values, 1);
    assert_int_equal(out[9].data.offsets[0], 0);
    assert_int_equal(out[9].data.offsets[1], 0);
    pq_shred_leaves_free(out, wplan.num_leaves);
    test_free(out);
    pq_plan_free(&wplan);
    pq_schema_out_free(&so);
    teardown(&f);
}

/* Appending a second batch of records continues offsets and validity. */
static void test_append_twice(void **state)
{
    (void)state;
    pq_schema_element s[] = {group("schema", -1, 2), ct(group("l", OPT, 1), PQ_CT_LIST),
                             group("list", REP, 1),
                             ct(prim("element", OPT, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8),
                             ct(prim("s", OPT, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8)};
    fixture f;
    setup(&f, s, 5);
    int16_t d[] = {3, 3, 0}, r[] = {0, 1, 0}, ds[] = {1, 0};
    int32_t off[] = {0, 1, 3}, soff[] = {0, 4};
    pq_leaf_data L[2] = {{3, 2, d, r, "abc", off}, {2, 1, ds, NULL, "wxyz", soff}};
    assemble_ok(&f, L, 2);
    int16_t d2[] = {1, 2, 3}, r2[] = {0, 0, 1}, ds2[] = {0, 1};
    int32_t off2[] = {0, 2}, soff2[] = {3, 5};
    pq_leaf_data L2[2] = {{3, 1, d2, r2, "de", off2}, {2, 1, ds2, NULL, "---qq", soff2}};
    assemble_ok(&f, L2, 2);
    const dvec *l = dbatch_column(f.batch, 0);
    const int32_t lo[] = {0, 2, 2, 2, 4};
    assert_memory_equal(l->offsets, lo, sizeof(lo));
    assert_false(dvec_is_valid(l, 1));
    assert_true(dvec_is_valid(l, 2));
    const dvec *e = l->children[0];
    assert_int_equal(e->length, 4);
    assert_false(dvec_is_valid(e, 2));
    size_t len;
    const uint8_t *p = dvec_bytes(e, 3, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(p, "de", 2);
    const dvec *sv = dbatch_column(f.batch, 1);
    p = dvec_bytes(sv, 3, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(p, "qq", 2);
    assert_int_equal(sv->null_count, 2);
    teardown(&f);
}

static void test_corrupt_inputs(void **state)
{
    (void)state;
    pq_schema_element s[] = {group("schema", -1, 2), prim("a", OPT, PQ_TYPE_INT32),
                             prim("b", OPT, PQ_TYPE_INT32)};
    fixture f;
    setup(&f, s, 3);
    int16_t d[] = {1, 1, 0};
    int32_t v[] = {1, 2};
    /* three levels with two values at max_def, but num_values says 1 */
    pq_leaf_data L[2] = {{3, 1, d, NULL, v, NULL}, {3, 2, d, NULL, v, NULL}};
    assert_int_equal(pq_assemble(&f.plan, L, 3, f.batch), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "'a'"));
    teardown(&f);

    setup(&f, s, 3);
    pq_leaf_data M[2] = {{3, 2, d, NULL, v, NULL}, {2, 2, d, NULL, v, NULL}};
    assert_int_equal(pq_assemble(&f.plan, M, 3, f.batch), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "'b'"));
    teardown(&f);

    /* a repetition level continuing a list that has no element */
    pq_schema_element ls[] = {group("schema", -1, 1), ct(group("l", OPT, 1), PQ_CT_LIST),
                              group("list", REP, 1), prim("element", OPT, PQ_TYPE_INT32)};
    setup(&f, ls, 4);
    int16_t ld[] = {0, 1}, lr[] = {0, 1};
    pq_leaf_data N[1] = {{2, 0, ld, lr, v, NULL}};
    assert_int_equal(pq_assemble(&f.plan, N, 1, f.batch), DELTA_ECORRUPT);
    teardown(&f);

    /* INT96 outside the int64 nanosecond range */
    pq_schema_element ts[] = {group("schema", -1, 1), prim("t", REQ, PQ_TYPE_INT96)};
    setup(&f, ts, 2);
    uint8_t big[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F};
    pq_leaf_data T[1] = {{1, 1, NULL, NULL, big, NULL}};
    assert_int_equal(pq_assemble(&f.plan, T, 1, f.batch), DELTA_ERANGE);
    teardown(&f);

    /* Invalid UTF-8 in a STRING column (the third value) is refused, with
     * ASCII before and after it and valid multi-byte text elsewhere. */
    pq_schema_element st[] = {group("schema", -1, 1),
                              ct(prim("s", OPT, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8)};
    setup(&f, st, 2);
    const char text[] = "plain ascii text"
                        "caf\xc3\xa9"
                        "x\xc3(y"
                        "more ascii after it";
    int32_t so[] = {0, 16, 21, 25, 44};
    int16_t sd[] = {1, 1, 1, 1};
    pq_leaf_data S[1] = {{4, 4, sd, NULL, text, so}};
    assert_int_equal(pq_assemble(&f.plan, S, 4, f.batch), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "invalid UTF-8"));
    assert_non_null(strstr(delta_error_last(), "row 2"));
    so[3] = 21; /* without the bad value everything is valid */
    so[4] = 21;
    pq_leaf_data G[1] = {{4, 4, sd, NULL, text, so}};
    assemble_ok(&f, G, 4);
    teardown(&f);
}

/* A null in a non-nullable column cannot be shredded. */
static void test_shred_null_in_required(void **state)
{
    (void)state;
    dfield fl;
    assert_int_equal(dfield_init(&fl, "x", dtype_new(DT_INT32), false), 0);
    dtype *schema = dtype_new_struct(&fl, 1);
    dvec *b;
    assert_int_equal(dbatch_new(&b, schema), 0);
    assert_int_equal(dvec_append_int(b->children[0], 1), 0);
    assert_int_equal(dvec_append_null(b->children[0]), 0);
    assert_int_equal(dbatch_seal(b), 0);
    pq_plan plan;
    pq_schema_out so;
    assert_int_equal(pq_plan_from_dtype(&plan, &so, schema), 0);
    pq_shred_leaf out[1];
    memset(out, 0, sizeof(out));
    assert_int_equal(pq_shred(&plan, b, 0, 2, out), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "'x'"));
    assert_int_equal(pq_shred(&plan, b, 0, 1, out), 0);
    pq_shred_leaves_free(out, 1);
    pq_plan_free(&plan);
    pq_schema_out_free(&so);
    dvec_unref(b);
    dtype_unref(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_struct_vs_struct_of_nulls),
        cmocka_unit_test(test_null_vs_empty_list),
        cmocka_unit_test(test_list_of_lists),
        cmocka_unit_test(test_map_with_null_values),
        cmocka_unit_test(test_legacy_and_repeated),
        cmocka_unit_test(test_flat_conversions),
        cmocka_unit_test(test_append_twice),
        cmocka_unit_test(test_corrupt_inputs),
        cmocka_unit_test(test_shred_null_in_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
