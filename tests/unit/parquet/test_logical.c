/*
 * Parquet schema <-> dtype mapping (parquet/logical.h): every logical and
 * converted type on its physical types, invalid annotations, every list
 * form of LogicalTypes.md's backward-compatibility rules, maps (MAP and
 * legacy MAP_KEY_VALUE), un-annotated repeated fields, the levels of the
 * plan, field ids, column projection, and the write mapping (elements
 * chosen for each dtype and the round trip write -> read).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "columnar/types.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/logical.h"
#include "parquet/schema.h"

/* ---- hand-built schema elements -------------------------------------- */

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
    if (type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY) {
        e.type_length = 16;
        e.has_type_length = true;
    }
    return e;
}

static pq_schema_element ct(pq_schema_element e, int converted)
{
    e.converted_type = converted;
    e.has_converted_type = true;
    return e;
}

static pq_schema_element lt(pq_schema_element e, int kind)
{
    e.has_logical_type = true;
    e.logical_type.kind = kind;
    return e;
}

enum { REQ = PQ_REP_REQUIRED, OPT = PQ_REP_OPTIONAL, REP = PQ_REP_REPEATED };

/* Plans elems (root first) and formats the schema type. */
static int plan_of(const pq_schema_element *elems, uint32_t n, bool bas, pq_plan *plan,
                   pq_schema **tree)
{
    int rc = pq_schema_build(tree, elems, n);
    if (rc)
        return rc;
    pq_map_options o = {bas};
    rc = pq_plan_from_schema(plan, *tree, &o, NULL, 0);
    if (rc) {
        pq_schema_free(*tree);
        *tree = NULL;
    }
    return rc;
}

static void expect_schema(const pq_schema_element *elems, uint32_t n, const char *want)
{
    pq_plan plan;
    pq_schema *tree;
    int rc = plan_of(elems, n, false, &plan, &tree);
    if (rc)
        fail_msg("plan failed: %s", delta_error_last());
    dbuf b = DBUF_INIT;
    dtype_format(plan.schema, &b);
    if (strcmp(dbuf_cstr(&b), want) != 0)
        fail_msg("got %s, want %s", dbuf_cstr(&b), want);
    dbuf_free(&b);
    pq_plan_free(&plan);
    pq_schema_free(tree);
}

/* ---- primitive types ------------------------------------------------- */

typedef struct prim_case {
    pq_schema_element e;
    dtype_id id;
    dtype_annot annot;
    int unit;  /* dtime_unit or -1 */
    int utc;   /* 0/1 or -1 */
    int prec, scale, width;
    pq_conv conv;
} prim_case;

static pq_schema_element with_dec(pq_schema_element e, int p, int s, bool logical)
{
    if (logical) {
        e = lt(e, PQ_LT_DECIMAL);
        e.logical_type.precision = p;
        e.logical_type.scale = s;
    } else {
        e = ct(e, PQ_CT_DECIMAL);
        e.precision = p;
        e.scale = s;
        e.has_precision = e.has_scale = true;
    }
    return e;
}

static pq_schema_element with_int(pq_schema_element e, int bw, bool sgn)
{
    e = lt(e, PQ_LT_INTEGER);
    e.logical_type.bit_width = (int8_t)bw;
    e.logical_type.is_signed = sgn;
    return e;
}

static pq_schema_element with_time(pq_schema_element e, int kind, int unit, bool utc)
{
    e = lt(e, kind);
    e.logical_type.unit = unit;
    e.logical_type.is_adjusted_to_utc = utc;
    return e;
}

static pq_schema_element flba(int len)
{
    pq_schema_element e = prim("c", OPT, PQ_TYPE_FIXED_LEN_BYTE_ARRAY);
    e.type_length = len;
    return e;
}

static void check_prim(const prim_case *pc, size_t i, bool bas)
{
    dtype *t = NULL;
    pq_conv conv;
    pq_map_options o = {bas};
    int rc = pq_primitive_dtype(&pc->e, &o, "c", &t, &conv);
    if (rc)
        fail_msg("case %zu: %s", i, delta_error_last());
    if (t->id != pc->id || t->annot != pc->annot || conv != pc->conv)
        fail_msg("case %zu: id %d annot %d conv %d, want %d %d %d", i, t->id, t->annot, conv,
                 pc->id, pc->annot, pc->conv);
    if (pc->unit >= 0 && (int)t->unit != pc->unit)
        fail_msg("case %zu: unit %d want %d", i, t->unit, pc->unit);
    if (pc->utc >= 0 && t->utc != (pc->utc == 1))
        fail_msg("case %zu: utc %d want %d", i, t->utc, pc->utc);
    if (pc->prec && (t->precision != pc->prec || t->scale != pc->scale))
        fail_msg("case %zu: decimal(%d,%d) want (%d,%d)", i, t->precision, t->scale, pc->prec,
                 pc->scale);
    if (pc->width && t->width != pc->width)
        fail_msg("case %zu: width %d want %d", i, t->width, pc->width);
    dtype_unref(t);
}

static void test_primitive_types(void **state)
{
    (void)state;
    const prim_case cases[] = {
        {prim("c", OPT, PQ_TYPE_BOOLEAN), DT_BOOL, 0, -1, -1, 0, 0, 0, PQ_CONV_BOOL},
        {prim("c", OPT, PQ_TYPE_INT32), DT_INT32, 0, -1, -1, 0, 0, 0, PQ_CONV_COPY},
        {prim("c", OPT, PQ_TYPE_INT64), DT_INT64, 0, -1, -1, 0, 0, 0, PQ_CONV_COPY},
        {prim("c", OPT, PQ_TYPE_FLOAT), DT_FLOAT32, 0, -1, -1, 0, 0, 0, PQ_CONV_COPY},
        {prim("c", OPT, PQ_TYPE_DOUBLE), DT_FLOAT64, 0, -1, -1, 0, 0, 0, PQ_CONV_COPY},
        {prim("c", OPT, PQ_TYPE_INT96), DT_TIMESTAMP, DT_ANNOT_INT96, DT_UNIT_NANO, 1, 0, 0, 0,
         PQ_CONV_INT96},
        {prim("c", OPT, PQ_TYPE_BYTE_ARRAY), DT_BINARY, 0, -1, -1, 0, 0, 0, PQ_CONV_BYTES},
        {flba(7), DT_FIXED_BINARY, 0, -1, -1, 0, 0, 7, PQ_CONV_COPY},
        /* strings */
        {ct(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8), DT_STRING, 0, -1, -1, 0, 0, 0,
         PQ_CONV_BYTES},
        {lt(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), PQ_LT_STRING), DT_STRING, 0, -1, -1, 0, 0, 0,
         PQ_CONV_BYTES},
        {ct(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), PQ_CT_ENUM), DT_STRING, DT_ANNOT_ENUM, -1, -1, 0,
         0, 0, PQ_CONV_BYTES},
        {lt(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), PQ_LT_ENUM), DT_STRING, DT_ANNOT_ENUM, -1, -1, 0,
         0, 0, PQ_CONV_BYTES},
        {ct(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), PQ_CT_JSON), DT_STRING, DT_ANNOT_JSON, -1, -1, 0,
         0, 0, PQ_CONV_BYTES},
        {lt(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), PQ_LT_JSON), DT_STRING, DT_ANNOT_JSON, -1, -1, 0,
         0, 0, PQ_CONV_BYTES},
        {ct(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), PQ_CT_BSON), DT_BINARY, DT_ANNOT_BSON, -1, -1, 0,
         0, 0, PQ_CONV_BYTES},
        {lt(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), PQ_LT_BSON), DT_BINARY, DT_ANNOT_BSON, -1, -1, 0,
         0, 0, PQ_CONV_BYTES},
        {lt(flba(16), PQ_LT_UUID), DT_FIXED_BINARY, DT_ANNOT_UUID, -1, -1, 0, 0, 16,
         PQ_CONV_COPY},
        {lt(flba(2), PQ_LT_FLOAT16), DT_FLOAT16, 0, -1, -1, 0, 0, 0, PQ_CONV_COPY},
        {ct(flba(12), PQ_CT_INTERVAL), DT_FIXED_BINARY, 0, -1, -1, 0, 0, 12, PQ_CONV_COPY},
        /* integers, logical and converted */
        {with_int(prim("c", OPT, PQ_TYPE_INT32), 8, true), DT_INT8, 0, -1, -1, 0, 0, 0,
         PQ_CONV_I32_TO_8},
        {with_int(prim("c", OPT, PQ_TYPE_INT32), 16, true), DT_INT16, 0, -1, -1, 0, 0, 0,
         PQ_CONV_I32_TO_16},
        {with_int(prim("c", OPT, PQ_TYPE_INT32), 32, true), DT_INT32, 0, -1, -1, 0, 0, 0,
         PQ_CONV_COPY},
        {with_int(prim("c", OPT, PQ_TYPE_INT64), 64, true), DT_INT64, 0, -1, -1, 0, 0, 0,
         PQ_CONV_COPY},
        {with_int(prim("c", OPT, PQ_TYPE_INT32), 8, false), DT_UINT8, 0, -1, -1, 0, 0, 0,
         PQ_CONV_I32_TO_8},
        {with_int(prim("c", OPT, PQ_TYPE_INT32), 16, false), DT_UINT16, 0, -1, -1, 0, 0, 0,
         PQ_CONV_I32_TO_16},
        {with_int(prim("c", OPT, PQ_TYPE_INT32), 32, false), DT_UINT32, 0, -1, -1, 0, 0, 0,
         PQ_CONV_COPY},
        {with_int(prim("c", OPT, PQ_TYPE_INT64), 64, false), DT_UINT64, 0, -1, -1, 0, 0, 0,
         PQ_CONV_COPY},
        {ct(prim("c", OPT, PQ_TYPE_INT32), PQ_CT_INT_8), DT_INT8, 0, -1, -1, 0, 0, 0,
         PQ_CONV_I32_TO_8},
        {ct(prim("c", OPT, PQ_TYPE_INT32), PQ_CT_INT_16), DT_INT16, 0, -1, -1, 0, 0, 0,
         PQ_CONV_I32_TO_16},
        {ct(prim("c", OPT, PQ_TYPE_INT32), PQ_CT_INT_32), DT_INT32, 0, -1, -1, 0, 0, 0,
         PQ_CONV_COPY},
        {ct(prim("c", OPT, PQ_TYPE_INT64), PQ_CT_INT_64), DT_INT64, 0, -1, -1, 0, 0, 0,
         PQ_CONV_COPY},
        {ct(prim("c", OPT, PQ_TYPE_INT32), PQ_CT_UINT_8), DT_UINT8, 0, -1, -1, 0, 0, 0,
         PQ_CONV_I32_TO_8},
        {ct(prim("c", OPT, PQ_TYPE_INT32), PQ_CT_UINT_16), DT_UINT16, 0, -1, -1, 0, 0, 0,
         PQ_CONV_I32_TO_16},
        {ct(prim("c", OPT, PQ_TYPE_INT32), PQ_CT_UINT_32), DT_UINT32, 0, -1, -1, 0, 0, 0,
         PQ_CONV_COPY},
        {ct(prim("c", OPT, PQ_TYPE_INT64), PQ_CT_UINT_64), DT_UINT64, 0, -1, -1, 0, 0, 0,
         PQ_CONV_COPY},
        /* decimals in every physical type, logical and converted */
        {with_dec(prim("c", OPT, PQ_TYPE_INT32), 9, 2, true), DT_DECIMAL, 0, -1, -1, 9, 2, 0,
         PQ_CONV_I32_DEC},
        {with_dec(prim("c", OPT, PQ_TYPE_INT64), 18, 0, false), DT_DECIMAL, 0, -1, -1, 18, 0, 0,
         PQ_CONV_I64_DEC},
        {with_dec(flba(16), 38, 10, true), DT_DECIMAL, 0, -1, -1, 38, 10, 0, PQ_CONV_BE_DEC},
        {with_dec(flba(5), 10, 3, false), DT_DECIMAL, 0, -1, -1, 10, 3, 0, PQ_CONV_BE_DEC},
        {with_dec(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), 20, 5, false), DT_DECIMAL, 0, -1, -1, 20,
         5, 0, PQ_CONV_BE_DEC},
        /* dates and times */
        {ct(prim("c", OPT, PQ_TYPE_INT32), PQ_CT_DATE), DT_DATE32, 0, -1, -1, 0, 0, 0,
         PQ_CONV_COPY},
        {lt(prim("c", OPT, PQ_TYPE_INT32), PQ_LT_DATE), DT_DATE32, 0, -1, -1, 0, 0, 0,
         PQ_CONV_COPY},
        {ct(prim("c", OPT, PQ_TYPE_INT32), PQ_CT_TIME_MILLIS), DT_TIME32, 0, DT_UNIT_MILLI, -1,
         0, 0, 0, PQ_CONV_COPY},
        {ct(prim("c", OPT, PQ_TYPE_INT64), PQ_CT_TIME_MICROS), DT_TIME64, 0, DT_UNIT_MICRO, -1,
         0, 0, 0, PQ_CONV_COPY},
        {with_time(prim("c", OPT, PQ_TYPE_INT32), PQ_LT_TIME, PQ_UNIT_MILLIS, true), DT_TIME32, 0,
         DT_UNIT_MILLI, -1, 0, 0, 0, PQ_CONV_COPY},
        {with_time(prim("c", OPT, PQ_TYPE_INT64), PQ_LT_TIME, PQ_UNIT_MICROS, false), DT_TIME64,
         0, DT_UNIT_MICRO, -1, 0, 0, 0, PQ_CONV_COPY},
        {with_time(prim("c", OPT, PQ_TYPE_INT64), PQ_LT_TIME, PQ_UNIT_NANOS, true), DT_TIME64, 0,
         DT_UNIT_NANO, -1, 0, 0, 0, PQ_CONV_COPY},
        {ct(prim("c", OPT, PQ_TYPE_INT64), PQ_CT_TIMESTAMP_MILLIS), DT_TIMESTAMP, 0,
         DT_UNIT_MILLI, 1, 0, 0, 0, PQ_CONV_COPY},
        {ct(prim("c", OPT, PQ_TYPE_INT64), PQ_CT_TIMESTAMP_MICROS), DT_TIMESTAMP, 0,
         DT_UNIT_MICRO, 1, 0, 0, 0, PQ_CONV_COPY},
        {with_time(prim("c", OPT, PQ_TYPE_INT64), PQ_LT_TIMESTAMP, PQ_UNIT_MILLIS, true),
         DT_TIMESTAMP, 0, DT_UNIT_MILLI, 1, 0, 0, 0, PQ_CONV_COPY},
        {with_time(prim("c", OPT, PQ_TYPE_INT64), PQ_LT_TIMESTAMP, PQ_UNIT_MICROS, false),
         DT_TIMESTAMP, 0, DT_UNIT_MICRO, 0, 0, 0, 0, PQ_CONV_COPY},
        {with_time(prim("c", OPT, PQ_TYPE_INT64), PQ_LT_TIMESTAMP, PQ_UNIT_NANOS, false),
         DT_TIMESTAMP, 0, DT_UNIT_NANO, 0, 0, 0, 0, PQ_CONV_COPY},
        /* the null type on any physical type */
        {lt(prim("c", OPT, PQ_TYPE_INT32), PQ_LT_UNKNOWN), DT_NULL, 0, -1, -1, 0, 0, 0,
         PQ_CONV_NULL},
        {lt(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), PQ_LT_UNKNOWN), DT_NULL, 0, -1, -1, 0, 0, 0,
         PQ_CONV_NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_prim(&cases[i], i, false);

    /* binary_as_string */
    prim_case bas = {prim("c", OPT, PQ_TYPE_BYTE_ARRAY), DT_STRING, 0, -1, -1, 0, 0, 0,
                     PQ_CONV_BYTES};
    check_prim(&bas, 999, true);

    /* The LogicalType wins over the ConvertedType. */
    pq_schema_element both = with_time(prim("c", OPT, PQ_TYPE_INT64), PQ_LT_TIMESTAMP,
                                       PQ_UNIT_NANOS, false);
    both = ct(both, PQ_CT_TIMESTAMP_MICROS);
    prim_case bc = {both, DT_TIMESTAMP, 0, DT_UNIT_NANO, 0, 0, 0, 0, PQ_CONV_COPY};
    check_prim(&bc, 1000, false);

    /* Unknown LogicalType members fall back on the converted type. */
    pq_schema_element unk = ct(lt(prim("c", OPT, PQ_TYPE_BYTE_ARRAY), 42), PQ_CT_UTF8);
    prim_case uc = {unk, DT_STRING, 0, -1, -1, 0, 0, 0, PQ_CONV_BYTES};
    check_prim(&uc, 1001, false);
}

static void expect_prim_error(pq_schema_element e, int code)
{
    dtype *t = NULL;
    pq_conv conv;
    int rc = pq_primitive_dtype(&e, NULL, "col", &t, &conv);
    assert_int_equal(rc, code);
    assert_null(t);
    assert_non_null(strstr(delta_error_last(), "col"));
}

static void test_invalid_annotations(void **state)
{
    (void)state;
    expect_prim_error(ct(prim("c", OPT, PQ_TYPE_INT32), PQ_CT_UTF8), DELTA_ECORRUPT);
    expect_prim_error(lt(prim("c", OPT, PQ_TYPE_INT64), PQ_LT_DATE), DELTA_ECORRUPT);
    expect_prim_error(lt(flba(8), PQ_LT_UUID), DELTA_ECORRUPT);
    expect_prim_error(lt(flba(4), PQ_LT_FLOAT16), DELTA_ECORRUPT);
    expect_prim_error(with_int(prim("c", OPT, PQ_TYPE_INT64), 32, true), DELTA_ECORRUPT);
    expect_prim_error(with_time(prim("c", OPT, PQ_TYPE_INT32), PQ_LT_TIMESTAMP, PQ_UNIT_MILLIS,
                                true),
                      DELTA_ECORRUPT);
    expect_prim_error(with_time(prim("c", OPT, PQ_TYPE_INT32), PQ_LT_TIME, PQ_UNIT_MICROS, true),
                      DELTA_ECORRUPT);
    expect_prim_error(with_dec(prim("c", OPT, PQ_TYPE_BOOLEAN), 5, 1, true), DELTA_ECORRUPT);
    expect_prim_error(with_dec(flba(32), 60, 1, true), DELTA_EUNSUPPORTED);
    expect_prim_error(with_dec(prim("c", OPT, PQ_TYPE_INT32), 5, 6, false), DELTA_ECORRUPT);
    expect_prim_error(ct(prim("c", OPT, PQ_TYPE_INT32), PQ_CT_LIST), DELTA_ECORRUPT);
}

/* ---- lists ------------------------------------------------------------ */

static void test_lists_standard(void **state)
{
    (void)state;
    /* optional group my_list (LIST) { repeated group list { optional binary element (STRING) } } */
    pq_schema_element s[] = {
        group("schema", -1, 1),
        ct(group("my_list", OPT, 1), PQ_CT_LIST),
        group("list", REP, 1),
        ct(prim("element", OPT, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8),
    };
    pq_plan plan;
    pq_schema *tree;
    assert_int_equal(plan_of(s, 4, false, &plan, &tree), 0);
    const dtype *t = plan.schema->fields[0].type;
    assert_int_equal(t->id, DT_LIST);
    assert_true(plan.schema->fields[0].nullable);
    assert_string_equal(t->fields[0].name, "element");
    assert_true(t->fields[0].nullable);
    assert_int_equal(t->fields[0].type->id, DT_STRING);
    const pq_node *ln = &plan.root.children[0];
    assert_int_equal(ln->kind, PQ_NODE_LIST);
    assert_int_equal(ln->def, 1);
    assert_int_equal(ln->rep, 0);
    assert_int_equal(ln->elem_def, 2);
    assert_int_equal(ln->elem_rep, 1);
    const pq_node *en = &ln->children[0];
    assert_int_equal(en->kind, PQ_NODE_LEAF);
    assert_int_equal(en->def, 3);
    assert_int_equal(en->slot_def, 2);
    assert_int_equal(en->rep, 1);
    assert_int_equal(plan.num_leaves, 1);
    assert_ptr_equal(plan.leaves[0], en);
    pq_plan_free(&plan);
    pq_schema_free(tree);

    /* required list of required elements */
    pq_schema_element r[] = {
        group("schema", -1, 1),
        lt(group("my_list", REQ, 1), PQ_LT_LIST),
        group("list", REP, 1),
        prim("element", REQ, PQ_TYPE_INT32),
    };
    assert_int_equal(plan_of(r, 4, false, &plan, &tree), 0);
    assert_false(plan.schema->fields[0].nullable);
    assert_false(plan.schema->fields[0].type->fields[0].nullable);
    assert_int_equal(plan.root.children[0].def, 0);
    assert_int_equal(plan.root.children[0].elem_def, 1);
    assert_int_equal(plan.leaves[0]->def, 1);
    pq_plan_free(&plan);
    pq_schema_free(tree);
}

/* The legacy forms: each must read as a list of non-null elements. */
static void test_lists_legacy(void **state)
{
    (void)state;
    /* repeated primitive */
    pq_schema_element a[] = {
        group("schema", -1, 1),
        ct(group("my_list", OPT, 1), PQ_CT_LIST),
        prim("element", REP, PQ_TYPE_INT32),
    };
    expect_schema(a, 3, "struct<my_list:array<int>>");
    /* repeated group with two fields: the group is the element */
    pq_schema_element b[] = {
        group("schema", -1, 1),
        ct(group("my_list", OPT, 1), PQ_CT_LIST),
        group("element", REP, 2),
        ct(prim("str", REQ, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8),
        prim("num", REQ, PQ_TYPE_INT32),
    };
    expect_schema(b, 5, "struct<my_list:array<struct<str:string not null,num:int not null>>>");
    /* repeated group named "array" with one field */
    pq_schema_element c[] = {
        group("schema", -1, 1),
        ct(group("my_list", OPT, 1), PQ_CT_LIST),
        group("array", REP, 1),
        ct(prim("str", REQ, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8),
    };
    expect_schema(c, 4, "struct<my_list:array<struct<str:string not null>>>");
    /* repeated group named <list>_tuple with one field */
    pq_schema_element d[] = {
        group("schema", -1, 1),
        ct(group("my_list", OPT, 1), PQ_CT_LIST),
        group("my_list_tuple", REP, 1),
        ct(prim("str", REQ, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8),
    };
    expect_schema(d, 4, "struct<my_list:array<struct<str:string not null>>>");
    /* a repeated group whose one field is repeated: the group is the element */
    pq_schema_element e[] = {
        group("schema", -1, 1),
        ct(group("my_list", OPT, 1), PQ_CT_LIST),
        group("bag", REP, 1),
        prim("x", REP, PQ_TYPE_INT32),
    };
    expect_schema(e, 4, "struct<my_list:array<struct<x:array<int> not null>>>");

    /* Plan levels of the 2-level primitive form. */
    pq_plan plan;
    pq_schema *tree;
    assert_int_equal(plan_of(a, 3, false, &plan, &tree), 0);
    const pq_node *ln = &plan.root.children[0];
    assert_false(plan.schema->fields[0].type->fields[0].nullable);
    assert_int_equal(ln->def, 1);
    assert_int_equal(ln->elem_def, 2);
    assert_int_equal(ln->children[0].def, 2);
    assert_int_equal(ln->children[0].slot_def, 2);
    assert_int_equal(ln->children[0].max_def, 2);
    assert_int_equal(ln->children[0].max_rep, 1);
    pq_plan_free(&plan);
    pq_schema_free(tree);
}

static void test_repeated_unannotated(void **state)
{
    (void)state;
    pq_schema_element s[] = {
        group("schema", -1, 3),
        prim("nums", REP, PQ_TYPE_INT32),
        group("points", REP, 2),
        prim("x", REQ, PQ_TYPE_DOUBLE),
        prim("y", OPT, PQ_TYPE_DOUBLE),
        group("outer", OPT, 1),
        ct(prim("tags", REP, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8),
    };
    expect_schema(s, 7, "struct<nums:array<int> not null,"
                        "points:array<struct<x:double not null,y:double>> not null,"
                        "outer:struct<tags:array<string> not null>>");
    pq_plan plan;
    pq_schema *tree;
    assert_int_equal(plan_of(s, 7, false, &plan, &tree), 0);
    assert_false(plan.schema->fields[0].nullable);
    assert_false(plan.schema->fields[0].type->fields[0].nullable);
    const pq_node *nums = &plan.root.children[0];
    assert_int_equal(nums->kind, PQ_NODE_LIST);
    assert_int_equal(nums->def, 0);
    assert_int_equal(nums->elem_def, 1);
    const pq_node *tags = &plan.root.children[2].children[0];
    assert_int_equal(tags->kind, PQ_NODE_LIST);
    assert_int_equal(tags->def, 1); /* present when outer is */
    assert_int_equal(tags->elem_def, 2);
    assert_int_equal(plan.num_leaves, 4);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(plan.leaves[i]->column, (int)i);
    pq_plan_free(&plan);
    pq_schema_free(tree);
}

static void test_list_of_lists_and_maps(void **state)
{
    (void)state;
    pq_schema_element s[] = {
        group("schema", -1, 3),
        ct(group("ll", OPT, 1), PQ_CT_LIST),
        group("list", REP, 1),
        ct(group("element", OPT, 1), PQ_CT_LIST),
        group("list", REP, 1),
        prim("element", OPT, PQ_TYPE_INT64),
        ct(group("m", OPT, 1), PQ_CT_MAP),
        group("key_value", REP, 2),
        ct(prim("key", REQ, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8),
        prim("value", OPT, PQ_TYPE_INT32),
        ct(group("old", REQ, 1), PQ_CT_MAP_KEY_VALUE),
        ct(group("map", REP, 2), PQ_CT_MAP_KEY_VALUE),
        prim("key", REQ, PQ_TYPE_INT32),
        prim("value", REQ, PQ_TYPE_DOUBLE),
    };
    expect_schema(s, 14, "struct<ll:array<array<bigint>>,m:map<string,int>,"
                         "old:map<int,double> not null>");
    pq_plan plan;
    pq_schema *tree;
    assert_int_equal(plan_of(s, 14, false, &plan, &tree), 0);
    const pq_node *inner = &plan.root.children[0].children[0];
    assert_int_equal(inner->kind, PQ_NODE_LIST);
    assert_int_equal(inner->rep, 1);
    assert_int_equal(inner->slot_def, 2);
    assert_int_equal(inner->def, 3);
    assert_int_equal(inner->elem_def, 4);
    assert_int_equal(inner->elem_rep, 2);
    assert_int_equal(inner->children[0].def, 5);
    const pq_node *m = &plan.root.children[1];
    assert_int_equal(m->kind, PQ_NODE_LIST);
    assert_int_equal(m->children[0].kind, PQ_NODE_STRUCT);
    assert_int_equal(m->children[0].def, 2);
    assert_int_equal(m->children[0].children[1].def, 3);
    const dtype *mt = plan.schema->fields[1].type;
    assert_int_equal(mt->id, DT_MAP);
    assert_true(mt->fields[0].type->fields[1].nullable);
    assert_false(plan.schema->fields[2].type->fields[0].type->fields[1].nullable);
    pq_plan_free(&plan);
    pq_schema_free(tree);
}

static void test_shape_errors(void **state)
{
    (void)state;
    pq_plan plan;
    pq_schema *tree;
    pq_schema_element two[] = {
        group("schema", -1, 1),
        ct(group("l", OPT, 2), PQ_CT_LIST),
        prim("a", REP, PQ_TYPE_INT32),
        prim("b", REP, PQ_TYPE_INT32),
    };
    assert_int_equal(plan_of(two, 4, false, &plan, &tree), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "'l'"));
    pq_schema_element notrep[] = {
        group("schema", -1, 1),
        ct(group("l", OPT, 1), PQ_CT_LIST),
        prim("a", OPT, PQ_TYPE_INT32),
    };
    assert_int_equal(plan_of(notrep, 3, false, &plan, &tree), DELTA_ECORRUPT);
    pq_schema_element keyonly[] = {
        group("schema", -1, 1),
        ct(group("m", OPT, 1), PQ_CT_MAP),
        group("key_value", REP, 1),
        prim("key", REQ, PQ_TYPE_INT32),
    };
    assert_int_equal(plan_of(keyonly, 4, false, &plan, &tree), DELTA_EUNSUPPORTED);
    pq_schema_element badleaf[] = {
        group("schema", -1, 1),
        group("s", OPT, 1),
        ct(prim("x", OPT, PQ_TYPE_INT32), PQ_CT_UTF8),
    };
    assert_int_equal(plan_of(badleaf, 3, false, &plan, &tree), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "s.x"));
}

/* ---- field ids and projection ---------------------------------------- */

static void test_field_ids_and_projection(void **state)
{
    (void)state;
    pq_schema_element s[] = {
        group("schema", -1, 3),
        prim("id", REQ, PQ_TYPE_INT64),
        group("S", OPT, 2),
        prim("a", OPT, PQ_TYPE_INT32),
        ct(prim("b", OPT, PQ_TYPE_BYTE_ARRAY), PQ_CT_UTF8),
        prim("x.y", OPT, PQ_TYPE_DOUBLE),
    };
    s[1].field_id = 7;
    s[1].has_field_id = true;
    s[4].field_id = 9;
    s[4].has_field_id = true;
    pq_schema *tree;
    assert_int_equal(pq_schema_build(&tree, s, 6), 0);
    pq_plan plan;
    assert_int_equal(pq_plan_from_schema(&plan, tree, NULL, NULL, 0), 0);
    assert_int_equal(plan.schema->fields[0].id, 7);
    assert_int_equal(plan.schema->fields[1].id, -1);
    assert_int_equal(plan.schema->fields[1].type->fields[1].id, 9);
    pq_plan_free(&plan);

    /* dotted path through a struct, case-insensitive, file order kept */
    const char *cols[] = {"x.y", "s.B"};
    assert_int_equal(pq_plan_from_schema(&plan, tree, NULL, cols, 2), 0);
    dbuf b = DBUF_INIT;
    dtype_format(plan.schema, &b);
    assert_string_equal(dbuf_cstr(&b), "struct<S:struct<b:string>,`x.y`:double>");
    dbuf_free(&b);
    assert_int_equal(plan.num_leaves, 2);
    assert_int_equal(plan.leaves[0]->column, 2);
    assert_int_equal(plan.leaves[1]->column, 3);
    pq_plan_free(&plan);

    /* whole struct plus one of its fields = whole struct */
    const char *cols2[] = {"S.a", "S"};
    assert_int_equal(pq_plan_from_schema(&plan, tree, NULL, cols2, 2), 0);
    assert_int_equal(plan.num_leaves, 2);
    pq_plan_free(&plan);

    const char *bad[] = {"nope"};
    assert_int_equal(pq_plan_from_schema(&plan, tree, NULL, bad, 1), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "nope"));
    const char *bad2[] = {"id.x"};
    assert_int_equal(pq_plan_from_schema(&plan, tree, NULL, bad2, 1), DELTA_ENOTFOUND);
    pq_schema_free(tree);
}

/* ---- writing ---------------------------------------------------------- */

static dtype *st(dfield *f, uint32_t n)
{
    dtype *t = dtype_new_struct(f, n);
    assert_non_null(t);
    return t;
}

static dfield fld(const char *name, dtype *t, bool nullable)
{
    dfield f;
    assert_non_null(t);
    assert_int_equal(dfield_init(&f, name, t, nullable), 0);
    return f;
}

static const pq_schema_element *find_elem(const pq_schema_out *so, const char *name)
{
    for (uint32_t i = 0; i < so->num_elems; i++)
        if (strcmp(so->elems[i].name.ptr, name) == 0)
            return &so->elems[i];
    fail_msg("no element %s", name);
    return NULL;
}

static dtype *annot(dtype *t, dtype_annot a)
{
    dtype *r = dtype_with_annot(t, a);
    dtype_unref(t);
    return r;
}

static dtype *all_types_schema(void)
{
    dfield le = fld("element", dtype_new(DT_INT32), true);
    dfield inner[2] = {fld("p", dtype_new(DT_FLOAT64), true),
                       fld("q", dtype_new(DT_STRING), false)};
    dfield f[] = {
        fld("b", dtype_new(DT_BOOL), true),
        fld("i8", dtype_new(DT_INT8), true),
        fld("i16", dtype_new(DT_INT16), false),
        fld("i32", dtype_new(DT_INT32), true),
        fld("i64", dtype_new(DT_INT64), true),
        fld("u8", dtype_new(DT_UINT8), true),
        fld("u16", dtype_new(DT_UINT16), true),
        fld("u32", dtype_new(DT_UINT32), true),
        fld("u64", dtype_new(DT_UINT64), true),
        fld("f16", dtype_new(DT_FLOAT16), true),
        fld("f32", dtype_new(DT_FLOAT32), true),
        fld("f64", dtype_new(DT_FLOAT64), true),
        fld("d9", dtype_new_decimal(9, 2), true),
        fld("d18", dtype_new_decimal(18, 4), true),
        fld("d38", dtype_new_decimal(38, 10), true),
        fld("d20", dtype_new_decimal(20, 0), true),
        fld("date", dtype_new(DT_DATE32), true),
        fld("tms", dtype_new_time(DT_UNIT_MILLI), true),
        fld("tus", dtype_new_time(DT_UNIT_MICRO), true),
        fld("tns", dtype_new_time(DT_UNIT_NANO), true),
        fld("ts", dtype_new_timestamp(DT_UNIT_MICRO, true), true),
        fld("ntz", dtype_new_timestamp(DT_UNIT_MICRO, false), true),
        fld("tsn", dtype_new_timestamp(DT_UNIT_NANO, true), true),
        fld("i96", annot(dtype_new_timestamp(DT_UNIT_NANO, true), DT_ANNOT_INT96),
            true),
        fld("s", dtype_new(DT_STRING), true),
        fld("json", annot(dtype_new(DT_STRING), DT_ANNOT_JSON), true),
        fld("enum", annot(dtype_new(DT_STRING), DT_ANNOT_ENUM), true),
        fld("bin", dtype_new(DT_BINARY), true),
        fld("bson", annot(dtype_new(DT_BINARY), DT_ANNOT_BSON), true),
        fld("fb", dtype_new_fixed_binary(5), true),
        fld("uuid", annot(dtype_new_fixed_binary(16), DT_ANNOT_UUID), true),
        fld("nul", dtype_new(DT_NULL), true),
        fld("lst", dtype_new_list(le), true),
        fld("mp", dtype_new_map(dtype_new(DT_STRING), dtype_new(DT_INT64), true), true),
        fld("st", st(inner, 2), true),
    };
    /* leaks on failure are fine in a test */
    f[0].id = 3;
    return st(f, sizeof(f) / sizeof(f[0]));
}

static void test_write_mapping(void **state)
{
    (void)state;
    dtype *schema = all_types_schema();
    pq_plan plan;
    pq_schema_out so;
    assert_int_equal(pq_plan_from_dtype(&plan, &so, schema), 0);
    assert_int_equal(so.elems[0].num_children, (int)schema->num_fields);

    const pq_schema_element *e;
    e = find_elem(&so, "b");
    assert_int_equal(e->type, PQ_TYPE_BOOLEAN);
    assert_true(e->has_field_id);
    assert_int_equal(e->field_id, 3);
    e = find_elem(&so, "i16");
    assert_int_equal(e->repetition_type, PQ_REP_REQUIRED);
    assert_int_equal(e->type, PQ_TYPE_INT32);
    assert_int_equal(e->converted_type, PQ_CT_INT_16);
    assert_int_equal(e->logical_type.bit_width, 16);
    e = find_elem(&so, "u64");
    assert_int_equal(e->type, PQ_TYPE_INT64);
    assert_int_equal(e->converted_type, PQ_CT_UINT_64);
    assert_false(e->logical_type.is_signed);
    e = find_elem(&so, "f16");
    assert_int_equal(e->type, PQ_TYPE_FIXED_LEN_BYTE_ARRAY);
    assert_int_equal(e->type_length, 2);
    e = find_elem(&so, "d9");
    assert_int_equal(e->type, PQ_TYPE_INT32);
    assert_int_equal(e->converted_type, PQ_CT_DECIMAL);
    assert_int_equal(e->precision, 9);
    assert_int_equal(e->scale, 2);
    e = find_elem(&so, "d18");
    assert_int_equal(e->type, PQ_TYPE_INT64);
    e = find_elem(&so, "d38");
    assert_int_equal(e->type, PQ_TYPE_FIXED_LEN_BYTE_ARRAY);
    assert_int_equal(e->type_length, 16);
    e = find_elem(&so, "d20");
    assert_int_equal(e->type_length, 9);
    e = find_elem(&so, "ts");
    assert_int_equal(e->type, PQ_TYPE_INT64);
    assert_int_equal(e->logical_type.kind, PQ_LT_TIMESTAMP);
    assert_true(e->logical_type.is_adjusted_to_utc);
    assert_int_equal(e->converted_type, PQ_CT_TIMESTAMP_MICROS);
    e = find_elem(&so, "ntz");
    assert_false(e->logical_type.is_adjusted_to_utc);
    assert_false(e->has_converted_type);
    e = find_elem(&so, "i96");
    assert_int_equal(e->type, PQ_TYPE_INT96);
    assert_false(e->has_logical_type);
    e = find_elem(&so, "s");
    assert_int_equal(e->converted_type, PQ_CT_UTF8);
    e = find_elem(&so, "uuid");
    assert_int_equal(e->logical_type.kind, PQ_LT_UUID);
    e = find_elem(&so, "nul");
    assert_int_equal(e->logical_type.kind, PQ_LT_UNKNOWN);
    assert_int_equal(e->repetition_type, PQ_REP_OPTIONAL);
    e = find_elem(&so, "lst");
    assert_int_equal(e->converted_type, PQ_CT_LIST);
    assert_string_equal(e[1].name.ptr, "list");
    assert_int_equal(e[1].repetition_type, PQ_REP_REPEATED);
    assert_string_equal(e[2].name.ptr, "element");
    e = find_elem(&so, "mp");
    assert_int_equal(e->converted_type, PQ_CT_MAP);
    assert_string_equal(e[1].name.ptr, "key_value");
    assert_string_equal(e[2].name.ptr, "key");
    assert_int_equal(e[2].repetition_type, PQ_REP_REQUIRED);
    assert_string_equal(e[3].name.ptr, "value");

    /* Read back: the same type (after the documented round-trip changes). */
    pq_schema *tree;
    assert_int_equal(pq_schema_build(&tree, so.elems, so.num_elems), 0);
    pq_plan back;
    assert_int_equal(pq_plan_from_schema(&back, tree, NULL, NULL, 0), 0);
    dtype *want = pq_dtype_after_roundtrip(schema);
    dbuf why = DBUF_INIT, g = DBUF_INIT;
    dtype_format(want, &why);
    dtype_format(back.schema, &g);
    if (!dtype_equal(want, back.schema))
        fail_msg("read back %s\nwant %s", dbuf_cstr(&g), dbuf_cstr(&why));
    assert_int_equal(back.schema->fields[0].id, 3);
    /* The plans agree on levels and columns. */
    assert_int_equal(back.num_leaves, plan.num_leaves);
    for (uint32_t i = 0; i < plan.num_leaves; i++) {
        assert_int_equal(back.leaves[i]->max_def, plan.leaves[i]->max_def);
        assert_int_equal(back.leaves[i]->max_rep, plan.leaves[i]->max_rep);
        assert_int_equal(back.leaves[i]->def, plan.leaves[i]->def);
        assert_int_equal(back.leaves[i]->slot_def, plan.leaves[i]->slot_def);
        assert_int_equal(back.leaves[i]->conv, plan.leaves[i]->conv);
        assert_int_equal(back.leaves[i]->column, plan.leaves[i]->column);
        assert_int_equal(back.leaves[i]->max_def, tree->leaves[i]->max_def);
    }
    dbuf_free(&why);
    dbuf_free(&g);
    dtype_unref(want);
    pq_plan_free(&back);
    pq_schema_free(tree);
    pq_plan_free(&plan);
    pq_schema_out_free(&so);
    dtype_unref(schema);
}

static void test_write_seconds_and_errors(void **state)
{
    (void)state;
    dfield f[] = {fld("t", dtype_new_time(DT_UNIT_SECOND), true),
                  fld("ts", dtype_new_timestamp(DT_UNIT_SECOND, false), true)};
    dtype *schema = st(f, 2);
    pq_plan plan;
    pq_schema_out so;
    assert_int_equal(pq_plan_from_dtype(&plan, &so, schema), 0);
    assert_int_equal(plan.leaves[0]->conv, PQ_CONV_X1000);
    assert_int_equal(plan.leaves[1]->conv, PQ_CONV_X1000);
    assert_int_equal(so.elems[1].logical_type.unit, PQ_UNIT_MILLIS);
    assert_int_equal(so.elems[2].logical_type.unit, PQ_UNIT_MILLIS);
    dtype *rt = pq_dtype_after_roundtrip(schema);
    assert_int_equal(rt->fields[0].type->unit, DT_UNIT_MILLI);
    assert_int_equal(rt->fields[1].type->unit, DT_UNIT_MILLI);
    dtype_unref(rt);
    pq_plan_free(&plan);
    pq_schema_out_free(&so);
    dtype_unref(schema);

    /* an empty struct cannot be written */
    dfield g[] = {fld("e", st(NULL, 0), true)};
    schema = st(g, 1);
    assert_int_equal(pq_plan_from_dtype(&plan, &so, schema), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "'e'"));
    dtype_unref(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primitive_types),
        cmocka_unit_test(test_invalid_annotations),
        cmocka_unit_test(test_lists_standard),
        cmocka_unit_test(test_lists_legacy),
        cmocka_unit_test(test_repeated_unannotated),
        cmocka_unit_test(test_list_of_lists_and_maps),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_field_ids_and_projection),
        cmocka_unit_test(test_write_mapping),
        cmocka_unit_test(test_write_seconds_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
