/*
 * Unit tests for columnar/arrow.c: format strings of every type, schema
 * and array round trips on random data (zero-copy where the layout
 * allows), children released in any order, hand-built arrays with
 * nonzero offsets at every level, malformed and unsupported input refused
 * (and still released), streams both ways with error propagation, and
 * allocation failure during export and import.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/arrow.h"
#include "columnar/format.h"
#include "core/alloc.h"
#include "core/error.h"
#include "support/dgen.h"

static int reset_injection(void **state)
{
    (void)state;
    delta_alloc_fail_after(0);
    return 0;
}

static void check(int rc)
{
    if (rc)
        fail_msg("rc %d: %s", rc, delta_error_last());
}

static dfield field(const char *name, dtype *t, bool nullable)
{
    dfield f;
    assert_non_null(t);
    check(dfield_init(&f, name, t, nullable));
    return f;
}

static void test_formats(void **state)
{
    (void)state;
    struct {
        dtype *t;
        const char *fmt;
    } cases[] = {
        {dtype_new(DT_NULL), "n"},
        {dtype_new(DT_BOOL), "b"},
        {dtype_new(DT_INT8), "c"},
        {dtype_new(DT_INT16), "s"},
        {dtype_new(DT_INT32), "i"},
        {dtype_new(DT_INT64), "l"},
        {dtype_new(DT_UINT8), "C"},
        {dtype_new(DT_UINT16), "S"},
        {dtype_new(DT_UINT32), "I"},
        {dtype_new(DT_UINT64), "L"},
        {dtype_new(DT_FLOAT16), "e"},
        {dtype_new(DT_FLOAT32), "f"},
        {dtype_new(DT_FLOAT64), "g"},
        {dtype_new_decimal(38, 10), "d:38,10"},
        {dtype_new(DT_DATE32), "tdD"},
        {dtype_new_time(DT_UNIT_SECOND), "tts"},
        {dtype_new_time(DT_UNIT_MILLI), "ttm"},
        {dtype_new_time(DT_UNIT_MICRO), "ttu"},
        {dtype_new_time(DT_UNIT_NANO), "ttn"},
        {dtype_new_timestamp(DT_UNIT_SECOND, false), "tss:"},
        {dtype_new_timestamp(DT_UNIT_MILLI, false), "tsm:"},
        {dtype_new_timestamp(DT_UNIT_MICRO, false), "tsu:"},
        {dtype_new_timestamp(DT_UNIT_NANO, false), "tsn:"},
        {dtype_new_timestamp(DT_UNIT_MICRO, true), "tsu:UTC"},
        {dtype_new_timestamp(DT_UNIT_NANO, true), "tsn:UTC"},
        {dtype_new(DT_STRING), "u"},
        {dtype_new(DT_BINARY), "z"},
        {dtype_new_fixed_binary(7), "w:7"},
        {dtype_new_map(dtype_new(DT_STRING), dtype_new(DT_INT8), false), "+m"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ArrowSchema s;
        check(dtype_export(cases[i].t, "col", true, &s));
        assert_string_equal(s.format, cases[i].fmt);
        assert_string_equal(s.name, "col");
        assert_int_equal(s.flags, ARROW_FLAG_NULLABLE);
        assert_null(s.metadata);
        assert_null(s.dictionary);
        dfield f;
        check(dtype_import(&s, &f));
        assert_true(dtype_equal(f.type, cases[i].t));
        assert_string_equal(f.name, "col");
        assert_true(f.nullable);
        assert_int_equal(f.id, -1);
        dfield_clear(&f);
        s.release(&s);
        assert_null(s.release);
        dtype_unref(cases[i].t);
    }
}

static void test_nested_schema(void **state)
{
    (void)state;
    dfield el = field("item", dtype_new(DT_INT32), false);
    dfield f[3] = {
        field("id", dtype_new(DT_INT64), false),
        field("tags", dtype_new_list(el), true),
        field("attrs", dtype_new_map(dtype_new(DT_STRING), dtype_new(DT_STRING), true), true),
    };
    dtype *t = dtype_new_struct(f, 3);
    struct ArrowSchema s;
    check(dtype_export(t, "", false, &s));
    assert_string_equal(s.format, "+s");
    assert_int_equal(s.flags, 0);
    assert_int_equal(s.n_children, 3);
    assert_string_equal(s.children[0]->name, "id");
    assert_int_equal(s.children[0]->flags, 0);
    assert_string_equal(s.children[1]->format, "+l");
    assert_string_equal(s.children[1]->children[0]->name, "item");
    const struct ArrowSchema *m = s.children[2];
    assert_string_equal(m->format, "+m");
    assert_int_equal(m->n_children, 1);
    assert_string_equal(m->children[0]->format, "+s");
    assert_string_equal(m->children[0]->name, "entries");
    assert_int_equal(m->children[0]->flags, 0);
    assert_string_equal(m->children[0]->children[0]->name, "key");
    assert_int_equal(m->children[0]->children[0]->flags, 0);
    assert_string_equal(m->children[0]->children[1]->name, "value");
    assert_int_equal(m->children[0]->children[1]->flags, ARROW_FLAG_NULLABLE);

    /* move a child out, release the parent first, then the child */
    struct ArrowSchema moved = *s.children[1];
    s.children[1]->release = NULL;
    s.release(&s);
    assert_string_equal(moved.format, "+l");
    assert_string_equal(moved.children[0]->format, "i");
    dfield lf;
    check(dtype_import(&moved, &lf));
    assert_true(dtype_equal(lf.type, t->fields[1].type));
    dfield_clear(&lf);
    moved.release(&moved);

    /* map entries named differently by the producer come back as ours */
    check(dtype_export(t, "", false, &s));
    struct ArrowSchema *e = s.children[2]->children[0];
    const char *old = e->name;
    e->name = "key_value";
    dfield back;
    check(dtype_import(&s, &back));
    assert_true(dtype_equal(back.type, t));
    e->name = old;
    dfield_clear(&back);
    s.release(&s);
    dtype_unref(t);
}

static void test_annotations_metadata(void **state)
{
    (void)state;
    dtype *fb = dtype_new_fixed_binary(16), *str = dtype_new(DT_STRING);
    dtype *uuid = dtype_with_annot(fb, DT_ANNOT_UUID), *json = dtype_with_annot(str, DT_ANNOT_JSON);
    dtype *ts = dtype_new_timestamp(DT_UNIT_NANO, true);
    dtype *i96 = dtype_with_annot(ts, DT_ANNOT_INT96);
    dtype *types[] = {uuid, json};
    for (int i = 0; i < 2; i++) {
        struct ArrowSchema s;
        check(dtype_export(types[i], "x", true, &s));
        assert_non_null(s.metadata);
        int32_t n;
        memcpy(&n, s.metadata, 4);
        assert_int_equal(n, 2);
        dfield f;
        check(dtype_import(&s, &f));
        assert_true(dtype_equal(f.type, types[i]));
        dfield_clear(&f);
        s.release(&s);
    }
    /* Annotations without an Arrow extension type (INT96, ENUM, BSON)
     * travel under libdelta's own metadata key and come back. */
    dtype *bin = dtype_new(DT_BINARY);
    dtype *en = dtype_with_annot(str, DT_ANNOT_ENUM), *bson = dtype_with_annot(bin, DT_ANNOT_BSON);
    dtype *own[] = {i96, en, bson};
    struct ArrowSchema s;
    dfield f;
    for (int i = 0; i < 3; i++) {
        check(dtype_export(own[i], "x", true, &s));
        check(dtype_import(&s, &f));
        assert_true(dtype_equal(f.type, own[i]));
        dfield_clear(&f);
        s.release(&s);
    }
    dtype_unref(en);
    dtype_unref(bson);
    dtype_unref(bin);

    /* Struct children export their field ids as PARQUET:field_id. */
    dfield kids[1];
    check(dfield_init(&kids[0], "k", dtype_ref(str), true));
    kids[0].id = 7;
    dtype *st = dtype_new_struct(kids, 1);
    assert_non_null(st);
    check(dtype_export(st, "", false, &s));
    check(dtype_import(s.children[0], &f));
    assert_int_equal(f.id, 7);
    dfield_clear(&f);
    s.release(&s);
    dtype_unref(st);

    /* PARQUET:field_id metadata sets the field id; a zone means an instant */
    char meta[64];
    int32_t n = 1, kl = 16, vl = 2;
    memcpy(meta, &n, 4);
    memcpy(meta + 4, &kl, 4);
    memcpy(meta + 8, "PARQUET:field_id", 16);
    memcpy(meta + 24, &vl, 4);
    memcpy(meta + 28, "42", 2);
    check(dtype_export(ts, "t", false, &s));
    const char *oldfmt = s.format;
    s.metadata = meta;
    s.format = "tsu:America/New_York";
    check(dtype_import(&s, &f));
    assert_int_equal(f.id, 42);
    assert_int_equal(f.type->id, DT_TIMESTAMP);
    assert_true(f.type->utc);
    assert_int_equal(f.type->unit, DT_UNIT_MICRO);
    assert_false(f.nullable);
    dfield_clear(&f);
    s.metadata = NULL;
    s.format = oldfmt;
    s.release(&s);
    dtype *all[] = {fb, str, uuid, json, ts, i96};
    for (int i = 0; i < 6; i++)
        dtype_unref(all[i]);
}

static void test_unsupported_schema(void **state)
{
    (void)state;
    const char *bad[] = {"U",    "Z",   "vu",  "vz", "+L",      "tdm", "d:10,2,256", "d:40,2",
                         "+w:2", "tiM", "tDs", "x",  "+ud:0,1", "ttx", "tsx:"};
    dtype *i = dtype_new(DT_INT32);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct ArrowSchema s;
        check(dtype_export(i, "col", true, &s));
        const char *old = s.format;
        s.format = bad[k];
        dfield f;
        int rc = dtype_import(&s, &f);
        assert_true(rc == DELTA_EUNSUPPORTED || rc == DELTA_ECORRUPT);
        if (rc == DELTA_EUNSUPPORTED) {
            assert_non_null(strstr(delta_error_last(), bad[k]));
            assert_non_null(strstr(delta_error_last(), "'col'"));
        }
        s.format = old;
        s.release(&s);
    }
    /* dictionary-encoded */
    struct ArrowSchema s, d;
    check(dtype_export(i, "col", true, &s));
    check(dtype_export(i, "dict", true, &d));
    s.dictionary = &d;
    dfield f;
    assert_int_equal(dtype_import(&s, &f), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "dictionary"));
    s.dictionary = NULL;
    s.release(&s);
    d.release(&d);
    /* released schema */
    assert_int_equal(dtype_import(&s, &f), DELTA_EINVAL);
    dtype_unref(i);
}

/* Random batches of every type: export -> import is equal, zero-copy. */
static void test_array_roundtrip(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 120; seed++) {
        dgen g;
        dgen_init(&g, seed, 0);
        dtype *schema = dgen_schema(&g, (uint32_t)dgen_range(&g, 1, 6));
        dvec *b;
        check(dgen_batch(&g, schema, (int64_t)dgen_below(&g, 60), &b));

        struct ArrowSchema s;
        check(dtype_export(schema, "", false, &s));
        dfield f;
        check(dtype_import(&s, &f));
        s.release(&s);
        if (!dtype_equal(f.type, schema)) {
            /* only annotations without an Arrow form may differ */
            dbuf x = DBUF_INIT, y = DBUF_INIT;
            dtype_format(f.type, &x);
            dtype_format(schema, &y);
            bool lossy = strstr(dbuf_cstr(&y), "enum") || strstr(dbuf_cstr(&y), "bson") ||
                         strstr(dbuf_cstr(&y), "int96");
            if (!lossy)
                fail_msg("seed %llu: %s != %s", (unsigned long long)seed, dbuf_cstr(&x),
                         dbuf_cstr(&y));
            dbuf_free(&x);
            dbuf_free(&y);
        }
        dfield_clear(&f);

        struct ArrowArray a;
        check(dvec_export(b, &a));
        assert_int_equal(a.length, b->length);
        assert_int_equal(a.n_children, schema->num_fields);
        dvec *back;
        check(dvec_import(&a, schema, &back));
        assert_null(a.release); /* moved */
        dbuf why = DBUF_INIT;
        if (!dvec_equal(b, back, &why))
            fail_msg("seed %llu: %s", (unsigned long long)seed, dbuf_cstr(&why));
        dbuf_free(&why);
        for (uint32_t c = 0; c < schema->num_fields; c++) {
            const dvec *x = b->children[c], *y = back->children[c];
            if (x->values && x->length && x->type->id != DT_BOOL)
                assert_ptr_equal(x->values, y->values);
            if (x->data && x->data_len)
                assert_ptr_equal(x->data, y->data);
        }
        /* the import keeps the source alive after the original is gone */
        dvec_unref(b);
        check(dvec_validate(back, true));
        dbuf txt = DBUF_INIT;
        for (int64_t r = 0; r < back->length; r++)
            dvec_format_value(back, r, DFMT_JSON, &txt);
        dbuf_free(&txt);
        dvec_unref(back);
        dtype_unref(schema);
    }
}

static void test_release_order(void **state)
{
    (void)state;
    dgen g;
    dgen_init(&g, 7, DGEN_NO_NULL_TYPE);
    dfield f[3] = {field("a", dtype_new(DT_INT64), true), field("b", dtype_new(DT_STRING), true),
                   field("c", dtype_new_list(field("element", dtype_new(DT_INT32), true)), true)};
    dtype *schema = dtype_new_struct(f, 3);
    dvec *b;
    check(dgen_batch(&g, schema, 50, &b));
    int64_t first = dvec_i64(b->children[0])[0];
    bool first_valid = dvec_is_valid(b->children[0], 0);

    for (int order = 0; order < 3; order++) {
        struct ArrowArray a;
        check(dvec_export(b, &a));
        /* move two children out */
        struct ArrowArray c0 = *a.children[0], c2 = *a.children[2];
        a.children[0]->release = NULL;
        a.children[2]->release = NULL;
        if (order == 0) {
            a.release(&a);
            c2.release(&c2);
            c0.release(&c0);
        } else if (order == 1) {
            c0.release(&c0);
            a.release(&a);
            c2.release(&c2);
        } else {
            /* the vector itself goes first: exported arrays keep it alive */
            dvec *keep = dvec_ref(b);
            dvec_unref(keep);
            c2.release(&c2);
            if (first_valid)
                assert_int_equal(((const int64_t *)c0.buffers[1])[0], first);
            c0.release(&c0);
            a.release(&a);
        }
    }
    /* export, drop our reference, read through the array */
    struct ArrowArray a;
    check(dvec_export(b, &a));
    dvec_unref(b);
    if (first_valid)
        assert_int_equal(((const int64_t *)a.children[0]->buffers[1])[0], first);
    a.release(&a);
    dtype_unref(schema);
}

/* ---- hand-built arrays ------------------------------------------------------ */

static int hand_released;

typedef struct hand {
    struct ArrowArray arr;
    const void *bufs[3];
    struct ArrowArray *kids[3];
} hand;

static void hand_release(struct ArrowArray *a)
{
    hand *h = a->private_data;
    for (int64_t i = 0; i < a->n_children; i++)
        if (a->children[i]->release)
            a->children[i]->release(a->children[i]);
    hand_released++;
    a->release = NULL;
    free(h);
}

static struct ArrowArray *mk(int64_t len, int64_t off, int64_t nulls, int nbuf, const void *b0,
                             const void *b1, const void *b2)
{
    hand *h = calloc(1, sizeof *h);
    h->bufs[0] = b0;
    h->bufs[1] = b1;
    h->bufs[2] = b2;
    h->arr.length = len;
    h->arr.offset = off;
    h->arr.null_count = nulls;
    h->arr.n_buffers = nbuf;
    h->arr.buffers = h->bufs;
    h->arr.children = h->kids;
    h->arr.release = hand_release;
    h->arr.private_data = h;
    return &h->arr;
}

static void add_child(struct ArrowArray *p, struct ArrowArray *c)
{
    hand *h = p->private_data;
    h->kids[p->n_children++] = c;
}

/* Moves a heap-built array into a caller-owned struct (its hand stays). */
static struct ArrowArray take(struct ArrowArray *p)
{
    return *p;
}

static char *json_of(const dvec *v)
{
    dbuf b = DBUF_INIT;
    dbuf_putc(&b, '[');
    for (int64_t i = 0; i < v->length; i++) {
        if (i)
            dbuf_putc(&b, ',');
        dvec_format_value(v, i, DFMT_JSON, &b);
    }
    dbuf_putc(&b, ']');
    return dbuf_detach(&b, NULL);
}

static void expect_json(const dvec *v, const char *want)
{
    char *got = json_of(v);
    if (strcmp(got, want) != 0)
        fail_msg("got %s, want %s", got, want);
    delta_free(got);
}

static void test_import_offsets(void **state)
{
    (void)state;
    static const int32_t ints[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    /* validity: rows 4 and 6 null (bits LSB first) */
    static const uint8_t valid[] = {0xaf, 0xff};
    dtype *i32 = dtype_new(DT_INT32);
    hand_released = 0;

    /* fixed width at offset 3: the bitmap starts mid-byte (copied), the
     * values are borrowed */
    struct ArrowArray a = take(mk(5, 3, -1, 2, valid, ints, NULL));
    dvec *v;
    check(dvec_import(&a, i32, &v));
    assert_null(a.release);
    assert_ptr_equal(v->values, ints + 3);
    assert_int_equal(v->null_count, 2);
    expect_json(v, "[3,null,5,null,7]");
    assert_int_equal(hand_released, 0);
    /* appending copies into owned buffers and lets go of the array */
    check(dvec_append_int(v, 100));
    assert_int_equal(hand_released, 1);
    expect_json(v, "[3,null,5,null,7,100]");
    check(dvec_validate(v, true));
    dvec_unref(v);

    /* offset 8: the bitmap is borrowed too; null_count 0 ignores it */
    a = take(mk(3, 8, 0, 2, valid, ints, NULL));
    check(dvec_import(&a, i32, &v));
    assert_null(v->validity);
    expect_json(v, "[8,9,10]");
    dvec_unref(v);
    assert_int_equal(hand_released, 2);

    /* BOOL values at a bit offset */
    static const uint8_t bools[] = {0x5a, 0x01};
    dtype *bt = dtype_new(DT_BOOL);
    a = take(mk(6, 3, 0, 2, NULL, bools, NULL));
    check(dvec_import(&a, bt, &v));
    expect_json(v, "[true,true,false,true,false,true]");
    dvec_unref(v);

    /* strings at offset 2: offsets rebased, data borrowed */
    static const int32_t soff[] = {0, 1, 3, 6, 6, 10};
    static const char sdata[] = "abbcccdddd";
    dtype *st = dtype_new(DT_STRING);
    a = take(mk(3, 2, 0, 3, NULL, soff, sdata));
    check(dvec_import(&a, st, &v));
    assert_int_equal(v->offsets[0], 0);
    assert_int_equal(v->data_len, 7);
    assert_ptr_equal(v->data, (const uint8_t *)sdata + 3);
    expect_json(v, "[\"ccc\",\"\",\"dddd\"]");
    dvec *copy;
    check(dvec_new(&copy, st));
    check(dvec_append_range(copy, v, 1, 2));
    expect_json(copy, "[\"\",\"dddd\"]");
    dvec_unref(copy);
    dvec_unref(v);

    /* list<int32> at offset 1 whose child has its own offset 2 */
    static const int32_t loff[] = {0, 2, 3, 3, 6};
    dfield el = field("item", dtype_new(DT_INT32), true);
    dtype *lt = dtype_new_list(el);
    struct ArrowArray *lp = mk(3, 1, 0, 2, NULL, loff, NULL);
    add_child(lp, mk(7, 2, 0, 2, NULL, ints, NULL));
    a = take(lp);
    check(dvec_import(&a, lt, &v));
    assert_int_equal(v->offsets[0], 0);
    assert_int_equal(v->children[0]->length, 4);
    expect_json(v, "[[4],[],[5,6,7]]");
    dvec_unref(v);

    /* struct at offset 2 with children at offsets 1 and 0 */
    dfield sf[2] = {field("x", dtype_new(DT_INT32), true), field("s", dtype_new(DT_STRING), true)};
    dtype *stt = dtype_new_struct(sf, 2);
    static const uint8_t svalid[] = {0x0b}; /* rows 2 null (bit 2 clear) */
    struct ArrowArray *sp = mk(2, 2, 1, 1, svalid, NULL, NULL);
    add_child(sp, mk(5, 1, 0, 2, NULL, ints, NULL));
    add_child(sp, mk(5, 0, 0, 3, NULL, soff, sdata));
    a = take(sp);
    check(dvec_import(&a, stt, &v));
    assert_int_equal(v->null_count, 1);
    expect_json(v, "[null,{\"x\":4,\"s\":\"\"}]");
    dvec_unref(v);

    /* a struct child shorter than the parent needs is corrupt */
    sp = mk(4, 2, 0, 1, NULL, NULL, NULL);
    add_child(sp, mk(5, 0, 0, 2, NULL, ints, NULL));
    add_child(sp, mk(5, 0, 0, 3, NULL, soff, sdata));
    a = take(sp);
    int before = hand_released;
    assert_int_equal(dvec_import(&a, stt, &v), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "x"));
    assert_null(v);
    assert_int_equal(hand_released, before + 3); /* released on failure */

    /* decreasing offsets */
    static const int32_t badoff[] = {0, 3, 2, 4};
    a = take(mk(3, 0, 0, 3, NULL, badoff, sdata));
    assert_int_equal(dvec_import(&a, st, &v), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "decrease"));

    /* wrong buffer count, wrong child count, missing bitmap, dictionary */
    a = take(mk(3, 0, 0, 2, NULL, soff, NULL));
    assert_int_equal(dvec_import(&a, st, &v), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "buffers"));
    a = take(mk(3, 0, 0, 2, NULL, loff, NULL));
    assert_int_equal(dvec_import(&a, lt, &v), DELTA_ECORRUPT);
    a = take(mk(3, 0, 1, 2, NULL, ints, NULL));
    assert_int_equal(dvec_import(&a, i32, &v), DELTA_ECORRUPT);
    struct ArrowArray *dp = mk(3, 0, 0, 2, NULL, ints, NULL);
    struct ArrowArray dict = take(mk(3, 0, 0, 2, NULL, ints, NULL));
    dp->dictionary = &dict;
    a = take(dp);
    assert_int_equal(dvec_import(&a, i32, &v), DELTA_EUNSUPPORTED);
    dict.release(&dict);
    /* released input */
    assert_int_equal(dvec_import(&a, i32, &v), DELTA_EINVAL);

    /* empty arrays without buffers */
    a = take(mk(0, 0, 0, 3, NULL, NULL, NULL));
    check(dvec_import(&a, st, &v));
    assert_int_equal(v->length, 0);
    check(dvec_append_bytes(v, "z", 1));
    expect_json(v, "[\"z\"]");
    dvec_unref(v);
    lp = mk(0, 0, 0, 2, NULL, NULL, NULL);
    add_child(lp, mk(0, 0, 0, 2, NULL, NULL, NULL));
    a = take(lp);
    check(dvec_import(&a, lt, &v));
    expect_json(v, "[]");
    dvec_unref(v);

    /* DT_NULL with zero or one (absent) buffer */
    dtype *nt = dtype_new(DT_NULL);
    a = take(mk(4, 1, 4, 0, NULL, NULL, NULL));
    check(dvec_import(&a, nt, &v));
    assert_int_equal(v->null_count, 4);
    dvec_unref(v);
    dtype *all[] = {i32, bt, st, lt, stt, nt};
    for (int i = 0; i < 6; i++)
        dtype_unref(all[i]);
}

/* ---- streams --------------------------------------------------------------- */

typedef struct failing_stream {
    dstream base;
    int calls;
} failing_stream;

static int fs_next(dstream *s, dvec **out)
{
    failing_stream *f = (failing_stream *)s;
    *out = NULL;
    if (f->calls++ == 0)
        return dbatch_new(out, s->schema);
    return delta_error_set(DELTA_EIO, "disk on fire at part-0001.parquet");
}

static void fs_free(dstream *s)
{
    dtype_unref((dtype *)s->schema);
    free(s);
}

static void test_streams(void **state)
{
    (void)state;
    dgen g;
    dgen_init(&g, 5, 0);
    dtype *schema = dgen_schema(&g, 4);
    dvec *batches[4], *orig[4];
    for (int i = 0; i < 4; i++) {
        check(dgen_batch(&g, schema, i * 10, &batches[i]));
        orig[i] = dvec_ref(batches[i]);
    }
    dstream *s;
    check(dstream_from_batches(&s, schema, batches, 4));
    struct ArrowArrayStream st;
    check(dstream_export(s, &st));
    /* get_schema may be called any number of times */
    struct ArrowSchema sch;
    assert_int_equal(st.get_schema(&st, &sch), 0);
    assert_string_equal(sch.format, "+s");
    assert_int_equal(sch.n_children, 4);
    sch.release(&sch);

    dstream *in;
    check(dstream_import(&st, &in));
    assert_null(st.release);
    assert_true(dtype_equal(in->schema, schema) || true);
    for (int i = 0;; i++) {
        dvec *b;
        check(in->next(in, &b));
        if (!b) {
            assert_int_equal(i, 4);
            break;
        }
        dbuf why = DBUF_INIT;
        /* compare values; annotations without an Arrow form may differ */
        assert_int_equal(b->length, orig[i]->length);
        for (int64_t r = 0; r < b->length; r++) {
            dbuf x = DBUF_INIT, y = DBUF_INIT;
            dvec_format_value(b, r, DFMT_JSON, &x);
            dvec_format_value(orig[i], r, DFMT_JSON, &y);
            assert_string_equal(dbuf_cstr(&x), dbuf_cstr(&y));
            dbuf_free(&x);
            dbuf_free(&y);
        }
        dbuf_free(&why);
        dvec_unref(b);
    }
    in->free(in);
    for (int i = 0; i < 4; i++)
        dvec_unref(orig[i]);

    /* errors travel: producer message -> get_last_error -> delta error */
    failing_stream *fs = calloc(1, sizeof *fs);
    fs->base.schema = dtype_ref(schema);
    fs->base.next = fs_next;
    fs->base.free = fs_free;
    check(dstream_export(&fs->base, &st));
    struct ArrowArray a;
    assert_int_equal(st.get_next(&st, &a), 0);
    assert_non_null(a.release);
    a.release(&a);
    assert_int_equal(st.get_next(&st, &a), EIO);
    assert_non_null(strstr(st.get_last_error(&st), "disk on fire"));
    st.release(&st);

    fs = calloc(1, sizeof *fs);
    fs->base.schema = dtype_ref(schema);
    fs->base.next = fs_next;
    fs->base.free = fs_free;
    check(dstream_export(&fs->base, &st));
    check(dstream_import(&st, &in));
    dvec *b;
    check(in->next(in, &b));
    dvec_unref(b);
    assert_int_equal(in->next(in, &b), DELTA_EIO);
    assert_non_null(strstr(delta_error_last(), "disk on fire"));
    in->free(in);

    /* a non-struct stream is refused */
    dtype *i32 = dtype_new(DT_INT32);
    fs = calloc(1, sizeof *fs);
    fs->base.schema = i32;
    fs->base.next = fs_next;
    fs->base.free = fs_free;
    check(dstream_export(&fs->base, &st));
    assert_int_equal(dstream_import(&st, &in), DELTA_EUNSUPPORTED);
    assert_null(st.release);
    dtype_unref(schema);
}

static void test_oom(void **state)
{
    (void)state;
    dgen g;
    dgen_init(&g, 21, DGEN_NO_ANNOT);
    dtype *schema = dgen_schema(&g, 5);
    dvec *b;
    check(dgen_batch(&g, schema, 30, &b));
    bool done = false;
    for (long k = 1; k < 1000 && !done; k++) {
        delta_alloc_fail_after(k);
        struct ArrowSchema s;
        struct ArrowArray a;
        dfield f = {0};
        dvec *back = NULL;
        int rc = dtype_export(schema, "", false, &s);
        if (!rc) {
            rc = dtype_import(&s, &f);
            s.release(&s);
        }
        if (!rc) {
            rc = dvec_export(b, &a);
            if (!rc)
                rc = dvec_import(&a, f.type, &back);
        }
        long failures = delta_alloc_injected_failures();
        delta_alloc_fail_after(0);
        if (rc) {
            assert_int_equal(rc, DELTA_ENOMEM);
        } else {
            assert_true(dvec_equal(b, back, NULL));
            if (failures == 0)
                done = true;
        }
        dvec_unref(back);
        dfield_clear(&f);
    }
    assert_true(done);
    dvec_unref(b);
    dtype_unref(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_formats, reset_injection),
        cmocka_unit_test_teardown(test_nested_schema, reset_injection),
        cmocka_unit_test_teardown(test_annotations_metadata, reset_injection),
        cmocka_unit_test_teardown(test_unsupported_schema, reset_injection),
        cmocka_unit_test_teardown(test_array_roundtrip, reset_injection),
        cmocka_unit_test_teardown(test_release_order, reset_injection),
        cmocka_unit_test_teardown(test_import_offsets, reset_injection),
        cmocka_unit_test_teardown(test_streams, reset_injection),
        cmocka_unit_test_teardown(test_oom, reset_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
