/*
 * Parquet records end to end through the public API (delta/parquet.h):
 *  - seeded property round trip: random schema and rows (support/dgen.h)
 *    -> delta_parquet_writer (varying codecs, row group, page and batch
 *    sizes, dictionary on/off, v1/v2 pages) into a memory store ->
 *    delta_parquet_reader -> equal to what was written;
 *  - types that change on the way (seconds become milliseconds, a
 *    non-nullable null-typed column becomes nullable);
 *  - a rewrite keeps logical types and field ids, key-value metadata is
 *    written from the options;
 *  - projection reads only the projected column chunks;
 *  - failures: wrong batch type, null in a non-nullable column, storage
 *    faults at every operation of a write (nothing published);
 *  - every Parquet file under the shared golden/ and extra/ tables reads
 *    completely, with the footer's row count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <delta/parquet.h>

#include "columnar/arrow.h"
#include "columnar/vector.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/file_writer.h"
#include "parquet/logical.h"
#include "parquet/record_reader.h"
#include "parquet/record_writer.h"
#include "support/dgen.h"

static delta_store *mem_store(const char *name)
{
    delta_store *s = NULL;
    char uri[128];
    snprintf(uri, sizeof uri, "memory://%s", name);
    if (delta_store_open(&s, uri))
        fail_msg("%s", delta_error_last());
    return s;
}

/* Writes `batches` (not consumed) of `schema` through the public writer. */
static int write_public(delta_store *s, const char *key, const dtype *schema, dvec **batches,
                        size_t n, const delta_parquet_write_options *o)
{
    struct ArrowSchema as;
    int rc = dtype_export(schema, "", false, &as);
    if (rc)
        return rc;
    delta_parquet_writer *w = NULL;
    rc = delta_parquet_writer_open(&w, s, key, &as, o);
    as.release(&as);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct ArrowArray aa;
        rc = dvec_export(batches[i], &aa);
        if (rc == 0)
            rc = delta_parquet_writer_write(w, &aa);
    }
    if (rc == 0)
        rc = delta_parquet_writer_close(w);
    delta_parquet_writer_free(w);
    return rc;
}

/* Reads a whole file through the public reader into one batch. */
static int read_public(delta_store *s, const char *key, const delta_parquet_read_options *o,
                       dvec **out, int64_t *nbatches)
{
    delta_parquet_reader *r = NULL;
    *out = NULL;
    int rc = delta_parquet_reader_open(&r, s, key, o);
    if (rc)
        return rc;
    struct ArrowSchema as;
    dfield f;
    memset(&f, 0, sizeof f);
    rc = delta_parquet_reader_schema(r, &as);
    if (rc == 0) {
        rc = dtype_import(&as, &f);
        as.release(&as);
    }
    struct ArrowArrayStream st;
    dstream *ds = NULL;
    if (rc == 0)
        rc = delta_parquet_reader_stream(r, &st);
    if (rc == 0)
        rc = dstream_import(&st, &ds);
    dvec *all = NULL;
    if (rc == 0)
        rc = dbatch_new(&all, f.type);
    int64_t nb = 0;
    while (rc == 0) {
        dvec *b = NULL;
        rc = ds->next(ds, &b);
        if (rc || !b)
            break;
        nb++;
        rc = dvec_validate(b, true);
        if (rc == 0)
            rc = dvec_append_range(all, b, 0, b->length);
        dvec_unref(b);
    }
    if (rc == 0 && all->length != delta_parquet_reader_num_rows(r))
        rc = delta_error_set(DELTA_ECORRUPT, "read %lld rows, footer says %lld",
                             (long long)all->length, (long long)delta_parquet_reader_num_rows(r));
    if (ds)
        ds->free(ds);
    if (f.type)
        dfield_clear(&f);
    delta_parquet_reader_free(r);
    if (rc) {
        dvec_unref(all);
        return rc;
    }
    if (nbatches)
        *nbatches = nb;
    *out = all;
    return 0;
}

/* True when t comes back unchanged from Parquet and from the Arrow C
 * interface (which carries only the UUID and JSON annotations). */
static bool roundtrips_exactly(const dtype *t)
{
    dtype *rt = pq_dtype_after_roundtrip(t);
    bool eq = rt && dtype_equal(rt, t);
    dtype_unref(rt);
    struct ArrowSchema as;
    dfield f;
    if (!eq || dtype_export(t, "", false, &as))
        return false;
    memset(&f, 0, sizeof f);
    eq = dtype_import(&as, &f) == 0 && dtype_equal(f.type, t);
    as.release(&as);
    if (f.type)
        dfield_clear(&f);
    return eq;
}

/* A stream over one batch (for the writer's stream entry point). */
typedef struct one_stream {
    dstream base;
    dvec *b;
} one_stream;

static int one_next(dstream *s, dvec **out)
{
    one_stream *o = (one_stream *)s;
    *out = o->b;
    o->b = NULL;
    return 0;
}

static void one_free(dstream *s)
{
    one_stream *o = (one_stream *)s;
    dvec_unref(o->b);
    free(o);
}

static dstream *stream_of(dvec *b)
{
    one_stream *o = calloc(1, sizeof *o);
    assert_non_null(o);
    o->base.schema = b->type;
    o->base.next = one_next;
    o->base.free = one_free;
    o->b = dvec_ref(b);
    return &o->base;
}

/* ---- property round trip ---------------------------------------------- */

static void test_property_roundtrip(void **state)
{
    (void)state;
    static const char *const codecs[] = {"snappy", "none", "zstd", "gzip", "lz4_raw"};
    delta_store *s = mem_store("precord-prop");
    int done = 0;
    for (uint64_t seed = 1; done < 60 && seed < 1000; seed++) {
        dgen g;
        dgen_init(&g, seed, 0);
        dtype *schema = dgen_schema(&g, (uint32_t)dgen_range(&g, 1, 6));
        assert_non_null(schema);
        if (!roundtrips_exactly(schema)) { /* covered by test_changed_types */
            dtype_unref(schema);
            continue;
        }
        done++;
        int64_t rows = dgen_range(&g, 0, 300);
        dvec *parts[3] = {NULL, NULL, NULL};
        size_t nparts = (size_t)dgen_range(&g, 1, 3);
        dvec *all;
        assert_int_equal(dbatch_new(&all, schema), 0);
        for (size_t i = 0; i < nparts; i++) {
            assert_int_equal(dgen_batch(&g, schema, rows / (int64_t)nparts, &parts[i]), 0);
            assert_int_equal(dvec_append_range(all, parts[i], 0, parts[i]->length), 0);
        }
        delta_parquet_write_options wo = DELTA_PARQUET_WRITE_OPTIONS_INIT;
        wo.compression = codecs[seed % 5];
        wo.row_group_rows = dgen_pct(&g, 50) ? dgen_range(&g, 1, 120) : 0;
        wo.page_size = dgen_pct(&g, 50) ? dgen_range(&g, 64, 4096) : 0;
        wo.dictionary_off = dgen_pct(&g, 30);
        wo.data_page_v2 = dgen_pct(&g, 30);
        char key[64];
        snprintf(key, sizeof key, "rt-%llu.parquet", (unsigned long long)seed);
        int rc = write_public(s, key, schema, parts, nparts, &wo);
        if (rc) {
            dbuf d = DBUF_INIT;
            dtype_format(schema, &d);
            fail_msg("seed %llu: write %s: %s", (unsigned long long)seed, dbuf_cstr(&d),
                     delta_error_last());
        }
        delta_parquet_read_options ro = DELTA_PARQUET_READ_OPTIONS_INIT;
        ro.batch_rows = dgen_pct(&g, 50) ? dgen_range(&g, 1, 100) : 0;
        dvec *back = NULL;
        rc = read_public(s, key, &ro, &back, NULL);
        if (rc)
            fail_msg("seed %llu: read: %s", (unsigned long long)seed, delta_error_last());
        dbuf why = DBUF_INIT;
        if (!dvec_equal(all, back, &why)) {
            dbuf d = DBUF_INIT;
            dtype_format(schema, &d);
            fail_msg("seed %llu (%s): %s", (unsigned long long)seed, dbuf_cstr(&d),
                     dbuf_cstr(&why));
        }
        dbuf_free(&why);
        dvec_unref(back);
        dvec_unref(all);
        for (size_t i = 0; i < nparts; i++)
            dvec_unref(parts[i]);
        assert_int_equal(delta_store_delete(s, key), 0);
        dtype_unref(schema);
    }
    assert_int_equal(done, 60);
    delta_store_free(s);
}

/* Flat and Delta-only schemas at larger sizes: the fast paths. */
static void test_property_flat_large(void **state)
{
    (void)state;
    delta_store *s = mem_store("precord-flat");
    for (uint64_t seed = 100; seed < 106; seed++) {
        dgen g;
        dgen_init(&g, seed, DGEN_DELTA_TYPES | (seed % 2 ? DGEN_NO_NESTED : 0) |
                                (seed % 3 == 0 ? DGEN_NO_NULLS : 0));
        dtype *schema = dgen_schema(&g, 8);
        dvec *b;
        assert_int_equal(dgen_batch(&g, schema, 5000, &b), 0);
        delta_parquet_write_options wo = DELTA_PARQUET_WRITE_OPTIONS_INIT;
        wo.row_group_rows = 2000;
        if (write_public(s, "flat.parquet", schema, &b, 1, &wo))
            fail_msg("seed %llu: %s", (unsigned long long)seed, delta_error_last());
        dvec *back;
        int64_t nb = 0;
        delta_parquet_read_options ro = DELTA_PARQUET_READ_OPTIONS_INIT;
        ro.batch_rows = 1500;
        if (read_public(s, "flat.parquet", &ro, &back, &nb))
            fail_msg("seed %llu: %s", (unsigned long long)seed, delta_error_last());
        /* row groups of 2000, 2000, 1000 rows; batches never span them */
        assert_int_equal(nb, 5);
        dbuf why = DBUF_INIT;
        if (!dvec_equal(b, back, &why))
            fail_msg("seed %llu: %s", (unsigned long long)seed, dbuf_cstr(&why));
        dbuf_free(&why);
        dvec_unref(back);
        dvec_unref(b);
        dtype_unref(schema);
    }
    delta_store_free(s);
}

/* ---- types that change, metadata kept --------------------------------- */

static dtype *one_col(const char *name, dtype *t, bool nullable, int32_t id)
{
    dfield f;
    assert_int_equal(dfield_init(&f, name, t, nullable), 0);
    f.id = id;
    return dtype_new_struct(&f, 1);
}

/* A string or binary column whose values are all empty has no data
 * bytes at all: it is written (it used to be refused for lacking values)
 * and reads back as empty values, nulls kept. */
static void test_all_empty_strings(void **state)
{
    (void)state;
    delta_store *s = mem_store("precord-empty-strings");
    for (int k = 0; k < 4; k++) {
        bool bin = k & 1, nulls = k & 2;
        dtype *schema = one_col("s", dtype_new(bin ? DT_BINARY : DT_STRING), nulls, -1);
        dvec *b;
        assert_int_equal(dbatch_new(&b, schema), 0);
        assert_int_equal(dvec_append_bytes(b->children[0], "", 0), 0);
        if (nulls)
            assert_int_equal(dvec_append_null(b->children[0]), 0);
        assert_int_equal(dvec_append_bytes(b->children[0], "", 0), 0);
        assert_int_equal(dbatch_seal(b), 0);
        assert_null(b->children[0]->data);
        pq_writer *w;
        if (pq_writer_open(&w, s, "empty.parquet", 0, schema, NULL) || pq_writer_write(w, b) ||
            pq_writer_close(w))
            fail_msg("%s", delta_error_last());
        pq_writer_free(w);
        dvec *back;
        assert_int_equal(read_public(s, "empty.parquet", NULL, &back, NULL), 0);
        dbuf why = DBUF_INIT;
        if (!dvec_equal(b, back, &why))
            fail_msg("%s", dbuf_cstr(&why));
        dbuf_free(&why);
        dvec_unref(back);
        dvec_unref(b);
        dtype_unref(schema);
    }
    delta_store_free(s);
}

static void test_changed_types(void **state)
{
    (void)state;
    delta_store *s = mem_store("precord-changed");
    dfield f[3];
    assert_int_equal(dfield_init(&f[0], "t", dtype_new_time(DT_UNIT_SECOND), true), 0);
    assert_int_equal(dfield_init(&f[1], "ts", dtype_new_timestamp(DT_UNIT_SECOND, true), true), 0);
    assert_int_equal(dfield_init(&f[2], "n", dtype_new(DT_NULL), false), 0);
    dtype *schema = dtype_new_struct(f, 3);
    dvec *b;
    assert_int_equal(dbatch_new(&b, schema), 0);
    assert_int_equal(dvec_append_int(b->children[0], 3661), 0);
    assert_int_equal(dvec_append_null(b->children[0]), 0);
    assert_int_equal(dvec_append_int(b->children[1], -5), 0);
    assert_int_equal(dvec_append_int(b->children[1], 1700000000), 0);
    assert_int_equal(dvec_append_nulls(b->children[2], 2), 0);
    assert_int_equal(dbatch_seal(b), 0);
    assert_int_equal(write_public(s, "c.parquet", schema, &b, 1, NULL), 0);
    dvec *back;
    assert_int_equal(read_public(s, "c.parquet", NULL, &back, NULL), 0);
    dtype *want = pq_dtype_after_roundtrip(schema);
    assert_true(dtype_equal(back->type, want));
    assert_int_equal(back->children[0]->type->unit, DT_UNIT_MILLI);
    assert_int_equal(dvec_i32(back->children[0])[0], 3661000);
    assert_false(dvec_is_valid(back->children[0], 1));
    assert_int_equal(dvec_i64(back->children[1])[0], -5000);
    assert_int_equal(dvec_i64(back->children[1])[1], INT64_C(1700000000000));
    assert_true(back->type->fields[2].nullable);
    assert_int_equal(back->children[2]->length, 2);
    dtype_unref(want);
    dvec_unref(back);
    dvec_unref(b);
    dtype_unref(schema);

    /* seconds that overflow as milliseconds */
    schema = one_col("t", dtype_new_time(DT_UNIT_SECOND), false, -1);
    assert_int_equal(dbatch_new(&b, schema), 0);
    assert_int_equal(dvec_append_int(b->children[0], INT32_MAX), 0);
    assert_int_equal(dbatch_seal(b), 0);
    assert_int_equal(write_public(s, "o.parquet", schema, &b, 1, NULL), DELTA_ERANGE);
    delta_object_info info;
    assert_int_equal(delta_store_head(s, "o.parquet", &info), DELTA_ENOTFOUND);
    dvec_unref(b);
    dtype_unref(schema);
    delta_store_free(s);
}

static dtype *annot(dtype *t, dtype_annot a)
{
    dtype *r = dtype_with_annot(t, a);
    dtype_unref(t);
    return r;
}

static void test_rewrite_keeps_metadata(void **state)
{
    (void)state;
    delta_store *s = mem_store("precord-meta");
    dfield inner[2];
    assert_int_equal(dfield_init(&inner[0], "j", annot(dtype_new(DT_STRING), DT_ANNOT_JSON), true), 0);
    inner[0].id = 11;
    assert_int_equal(dfield_init(&inner[1], "u", annot(dtype_new_fixed_binary(16), DT_ANNOT_UUID), true), 0);
    inner[1].id = 12;
    dtype *st = dtype_new_struct(inner, 2);
    dfield cols[2];
    assert_int_equal(dfield_init(&cols[0], "s", st, true), 0);
    cols[0].id = 10;
    assert_int_equal(dfield_init(&cols[1], "t96", annot(dtype_new_timestamp(DT_UNIT_NANO, true), DT_ANNOT_INT96), true), 0);
    cols[1].id = 20;
    dtype *schema = dtype_new_struct(cols, 2);
    assert_non_null(schema);
    dgen g;
    dgen_init(&g, 7, 0);
    dvec *b;
    assert_int_equal(dgen_batch(&g, schema, 50, &b), 0);

    /* first write through the internal writer with key-value metadata */
    const char *keys[] = {"origin", "flag"};
    const char *vals[] = {"test", NULL};
    pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
    o.kv_keys = keys;
    o.kv_values = vals;
    o.num_kv = 2;
    pq_writer *w;
    assert_int_equal(pq_writer_open(&w, s, "a.parquet", 0, schema, &o), 0);
    assert_int_equal(pq_writer_write(w, b), 0);
    assert_int_equal(pq_writer_close(w), 0);
    assert_int_equal(pq_writer_num_rows(w), 50);
    pq_writer_free(w);

    /* read it, and write what was read */
    pq_reader *r;
    assert_int_equal(pq_reader_open(&r, s, "a.parquet", NULL), 0);
    const pq_file_meta *m = pq_reader_metadata(r);
    assert_true(m->has_key_value_metadata);
    assert_int_equal(m->num_key_value_metadata, 2);
    assert_string_equal(m->key_value_metadata[0].key.ptr, "origin");
    assert_string_equal(m->key_value_metadata[0].value.ptr, "test");
    assert_false(m->key_value_metadata[1].has_value);
    const dtype *rs = pq_reader_schema(r);
    assert_true(dtype_equal(rs, schema));
    assert_int_equal(rs->fields[0].id, 10);
    assert_int_equal(rs->fields[1].id, 20);
    assert_int_equal(rs->fields[0].type->fields[0].id, 11);
    assert_int_equal(rs->fields[0].type->fields[1].id, 12);
    dvec *rb;
    assert_int_equal(pq_reader_read_row_group(r, 0, &rb), 0);
    assert_true(dvec_equal(rb, b, NULL));
    assert_int_equal(pq_writer_open(&w, s, "b.parquet", 0, rs, NULL), 0);
    dstream *ds;
    assert_int_equal(pq_reader_stream(r, &ds), 0);
    assert_int_equal(pq_writer_write_stream(w, ds), 0);
    ds->free(ds);
    assert_int_equal(pq_writer_close(w), 0);
    /* the footers' schemas are identical element by element */
    const pq_file_meta *m2 = pq_writer_metadata(w);
    assert_int_equal(m2->num_schema, m->num_schema);
    for (uint32_t i = 0; i < m->num_schema; i++) {
        const pq_schema_element *x = &m->schema[i], *y = &m2->schema[i];
        assert_string_equal(x->name.ptr, y->name.ptr);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->converted_type, y->converted_type);
        assert_int_equal(x->logical_type.kind, y->logical_type.kind);
        assert_int_equal(x->field_id, y->field_id);
        assert_int_equal(x->has_field_id, y->has_field_id);
    }
    assert_int_equal(m->schema[2].logical_type.kind, PQ_LT_JSON);
    assert_int_equal(m->schema[3].logical_type.kind, PQ_LT_UUID);
    assert_int_equal(m->schema[4].type, PQ_TYPE_INT96);
    pq_writer_free(w);
    dvec_unref(rb);
    pq_reader_free(r);

    /* the public reader hands the key-value metadata to a rewrite */
    delta_parquet_reader *pr;
    assert_int_equal(delta_parquet_reader_open(&pr, s, "a.parquet", NULL), 0);
    const char *const *k, *const *v;
    size_t nkv;
    assert_int_equal(delta_parquet_reader_metadata(pr, &k, &v, &nkv), 0);
    assert_int_equal(nkv, 2);
    assert_string_equal(k[0], "origin");
    assert_string_equal(v[0], "test");
    assert_string_equal(k[1], "flag");
    assert_null(v[1]);
    delta_parquet_write_options wo = DELTA_PARQUET_WRITE_OPTIONS_INIT;
    wo.kv_keys = k;
    wo.kv_values = v;
    wo.num_kv = nkv;
    assert_int_equal(write_public(s, "c.parquet", schema, &b, 1, &wo), 0);
    delta_parquet_reader_free(pr);
    assert_int_equal(delta_parquet_reader_open(&pr, s, "c.parquet", NULL), 0);
    assert_int_equal(delta_parquet_reader_metadata(pr, &k, &v, &nkv), 0);
    assert_int_equal(nkv, 2);
    assert_string_equal(k[1], "flag");
    assert_null(v[1]);
    struct ArrowSchema as;
    dfield pf;
    assert_int_equal(delta_parquet_reader_schema(pr, &as), 0);
    assert_int_equal(dtype_import(&as, &pf), 0);
    as.release(&as);
    /* the UUID/JSON annotations survive the Arrow schema */
    assert_int_equal(pf.type->fields[0].type->fields[1].type->annot, DT_ANNOT_UUID);
    assert_int_equal(pf.type->fields[0].type->fields[0].type->annot, DT_ANNOT_JSON);
    dfield_clear(&pf);
    delta_parquet_reader_free(pr);
    dvec_unref(b);
    dtype_unref(schema);
    delta_store_free(s);
}

/* ---- projection ------------------------------------------------------- */

static void test_projection_reads_only_its_chunks(void **state)
{
    (void)state;
    delta_store *inner = mem_store("precord-proj");
    dgen g;
    dgen_init(&g, 42, DGEN_DELTA_TYPES | DGEN_NO_NESTED);
    dtype *schema = dgen_schema(&g, 3);
    dvec *b;
    assert_int_equal(dgen_batch(&g, schema, 100, &b), 0);
    delta_parquet_write_options wo = DELTA_PARQUET_WRITE_OPTIONS_INIT;
    wo.row_group_rows = 50;
    assert_int_equal(write_public(inner, "p.parquet", schema, &b, 1, &wo), 0);

    uint64_t ops[2];
    for (int k = 0; k < 2; k++) {
        delta_store *s;
        assert_int_equal(delta_store_fault_wrap(&s, inner, DELTA_FAULT_NONE, 0), 0);
        delta_parquet_read_options ro = DELTA_PARQUET_READ_OPTIONS_INIT;
        const char *cols[] = {"c1"};
        if (k == 1) {
            ro.columns = cols;
            ro.num_columns = 1;
        }
        dvec *back;
        assert_int_equal(read_public(s, "p.parquet", &ro, &back, NULL), 0);
        if (k == 1) {
            assert_int_equal(back->num_children, 1);
            assert_string_equal(back->type->fields[0].name, "c1");
            dbuf why = DBUF_INIT;
            if (!dvec_equal(back->children[0], b->children[1], &why))
                fail_msg("%s", dbuf_cstr(&why));
        }
        delta_fault_stats st;
        delta_store_fault_stats(s, &st);
        ops[k] = st.ops;
        dvec_unref(back);
        delta_store_free(s);
    }
    /* 3 columns x 2 row groups vs 1 column x 2 row groups */
    assert_int_equal(ops[0] - ops[1], 4);

    delta_parquet_reader *r;
    delta_parquet_read_options ro = DELTA_PARQUET_READ_OPTIONS_INIT;
    const char *bad[] = {"nope"};
    ro.columns = bad;
    ro.num_columns = 1;
    assert_int_equal(delta_parquet_reader_open(&r, inner, "p.parquet", &ro), DELTA_ENOTFOUND);
    assert_int_equal(delta_parquet_reader_open(&r, inner, "missing.parquet", NULL),
                     DELTA_ENOTFOUND);
    dvec_unref(b);
    dtype_unref(schema);
    delta_store_free(inner);
}

/* ---- failures --------------------------------------------------------- */

/* String columns whose every value in a batch is empty (or null) hold no
 * bytes at all: the vectors have no data buffer. They still write, flat and
 * nested, with and without nulls. */
static void test_empty_strings_only(void **state)
{
    (void)state;
    delta_store *s = mem_store("precord-empty-strings");
    dfield el, f[4];
    assert_int_equal(dfield_init(&el, "element", dtype_new(DT_STRING), true), 0);
    assert_int_equal(dfield_init(&f[0], "s", dtype_new(DT_STRING), false), 0);
    assert_int_equal(dfield_init(&f[1], "n", dtype_new(DT_STRING), true), 0);
    assert_int_equal(dfield_init(&f[2], "b", dtype_new(DT_BINARY), false), 0);
    assert_int_equal(dfield_init(&f[3], "l", dtype_new_list(el), true), 0);
    dtype *schema = dtype_new_struct(f, 4);
    assert_non_null(schema);
    for (int nulls = 0; nulls < 2; nulls++) {
        dvec *b;
        assert_int_equal(dbatch_new(&b, schema), 0);
        for (int r = 0; r < 3; r++) {
            assert_int_equal(dvec_append_bytes(b->children[0], "", 0), 0);
            if (nulls && r == 1)
                assert_int_equal(dvec_append_null(b->children[1]), 0);
            else
                assert_int_equal(dvec_append_bytes(b->children[1], "", 0), 0);
            assert_int_equal(dvec_append_bytes(b->children[2], "", 0), 0);
            dvec *l = b->children[3];
            assert_int_equal(dvec_append_bytes(l->children[0], "", 0), 0);
            if (nulls)
                assert_int_equal(dvec_append_null(l->children[0]), 0);
            assert_int_equal(dvec_end_list(l), 0);
        }
        assert_int_equal(dbatch_seal(b), 0);
        assert_null(b->children[0]->data);
        for (int dict = 0; dict < 2; dict++) {
            pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
            o.no_dictionary = dict == 0;
            pq_writer *w;
            assert_int_equal(pq_writer_open(&w, s, "e.parquet", 0, schema, &o), 0);
            if (pq_writer_write(w, b) || pq_writer_close(w))
                fail_msg("nulls %d, dictionary %d: %s", nulls, dict, delta_error_last());
            pq_writer_free(w);
            dvec *back;
            assert_int_equal(read_public(s, "e.parquet", NULL, &back, NULL), 0);
            dbuf why = DBUF_INIT;
            if (!dvec_equal(b, back, &why))
                fail_msg("%s", dbuf_cstr(&why));
            dbuf_free(&why);
            dvec_unref(back);
        }
        dvec_unref(b);
    }
    dtype_unref(schema);
    delta_store_free(s);
}

static void test_write_errors(void **state)
{
    (void)state;
    delta_store *s = mem_store("precord-err");
    dtype *schema = one_col("x", dtype_new(DT_INT32), false, -1);
    dtype *other = one_col("x", dtype_new(DT_INT64), true, -1);
    struct ArrowSchema as;
    assert_int_equal(dtype_export(schema, "", false, &as), 0);
    delta_parquet_writer *w;
    assert_int_equal(delta_parquet_writer_open(&w, s, "e.parquet", &as, NULL), 0);
    as.release(&as);
    dvec *b;
    assert_int_equal(dbatch_new(&b, other), 0);
    assert_int_equal(dvec_append_int(b->children[0], 1), 0);
    assert_int_equal(dbatch_seal(b), 0);
    /* a stream of another schema (arrays alone carry no type) */
    struct ArrowArrayStream ast;
    assert_int_equal(dstream_export(stream_of(b), &ast), 0);
    assert_int_equal(delta_parquet_writer_write_stream(w, &ast), DELTA_ETYPE);
    assert_null(ast.release); /* consumed even on failure */
    dvec_unref(b);
    struct ArrowArray aa;
    assert_int_equal(dbatch_new(&b, schema), 0);
    assert_int_equal(dvec_append_null(b->children[0]), 0);
    assert_int_equal(dbatch_seal(b), 0);
    assert_int_equal(dvec_export(b, &aa), 0);
    assert_int_equal(delta_parquet_writer_write(w, &aa), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "'x'"));
    assert_null(aa.release);
    /* sticky */
    assert_int_not_equal(delta_parquet_writer_close(w), 0);
    delta_parquet_writer_free(w);
    delta_object_info info;
    assert_int_equal(delta_store_head(s, "e.parquet", &info), DELTA_ENOTFOUND);
    dvec_unref(b);

    /* freeing without close publishes nothing */
    assert_int_equal(dtype_export(schema, "", false, &as), 0);
    assert_int_equal(delta_parquet_writer_open(&w, s, "f.parquet", &as, NULL), 0);
    delta_parquet_writer_free(w);
    assert_int_equal(delta_store_head(s, "f.parquet", &info), DELTA_ENOTFOUND);

    /* bad options */
    delta_parquet_write_options wo = DELTA_PARQUET_WRITE_OPTIONS_INIT;
    wo.compression = "zip";
    assert_int_equal(delta_parquet_writer_open(&w, s, "g.parquet", &as, &wo), DELTA_EINVAL);
    wo.compression = NULL;
    wo.version = 99;
    assert_int_equal(delta_parquet_writer_open(&w, s, "g.parquet", &as, &wo), DELTA_EINVAL);
    as.release(&as);
    dtype_unref(other);
    dtype_unref(schema);
    delta_store_free(s);
}

/* A storage fault at every operation of a write: the write fails cleanly
 * and nothing is published, or it succeeds and the file reads back. */
static void test_write_faults(void **state)
{
    (void)state;
    delta_store *inner = mem_store("precord-fault");
    dgen g;
    dgen_init(&g, 5, DGEN_DELTA_TYPES);
    dtype *schema = dgen_schema(&g, 3);
    dvec *b;
    assert_int_equal(dgen_batch(&g, schema, 200, &b), 0);
    delta_parquet_write_options wo = DELTA_PARQUET_WRITE_OPTIONS_INIT;
    wo.row_group_rows = 60;
    int successes = 0;
    for (uint64_t n = 1; n < 200 && successes < 3; n++) {
        delta_store *s;
        assert_int_equal(delta_store_fault_wrap(&s, inner, DELTA_FAULT_FAIL_ONCE, n), 0);
        int rc = write_public(s, "w.parquet", schema, &b, 1, &wo);
        delta_object_info info;
        if (rc) {
            assert_int_equal(delta_store_head(inner, "w.parquet", &info), DELTA_ENOTFOUND);
        } else {
            successes++;
            dvec *back;
            assert_int_equal(read_public(inner, "w.parquet", NULL, &back, NULL), 0);
            assert_true(dvec_equal(b, back, NULL));
            dvec_unref(back);
            assert_int_equal(delta_store_delete(inner, "w.parquet"), 0);
        }
        delta_store_free(s);
    }
    assert_int_equal(successes, 3);
    dvec_unref(b);
    dtype_unref(schema);
    delta_store_free(inner);
}

/* Allocation failure at every allocation of a nested write and read:
 * each run fails cleanly (ASan reports any leak) or succeeds in full. */
static void test_out_of_memory(void **state)
{
    (void)state;
    delta_store *s = mem_store("precord-oom");
    dgen g;
    dgen_init(&g, 77, 0);
    g.max_depth = 2;
    dtype *schema = NULL;
    do {
        dtype_unref(schema);
        schema = dgen_schema(&g, 3);
    } while (!roundtrips_exactly(schema));
    dvec *b;
    assert_int_equal(dgen_batch(&g, schema, 20, &b), 0);
    bool ok = false;
    int failures = 0;
    for (long n = 1; !ok && n < 20000; n++) {
        delta_alloc_fail_after(n);
        int rc = write_public(s, "m.parquet", schema, &b, 1, NULL);
        dvec *back = NULL;
        if (rc == 0)
            rc = read_public(s, "m.parquet", NULL, &back, NULL);
        delta_alloc_fail_after(0);
        if (rc == 0) {
            ok = true;
            assert_true(dvec_equal(b, back, NULL));
        } else {
            /* the cause must be reported, whatever code a layer maps it to */
            if (rc != DELTA_ENOMEM && !strstr(delta_error_last(), "out of memory"))
                fail_msg("allocation %ld: %s (%s)", n, delta_error_name(rc), delta_error_last());
            failures++;
        }
        dvec_unref(back);
        delta_store_delete(s, "m.parquet");
    }
    assert_true(ok);
    assert_true(failures > 10);
    dvec_unref(b);
    dtype_unref(schema);
    delta_store_free(s);
}

/* ---- files in legacy shapes and damaged files -------------------------- */

static pq_schema_element el(const char *name, int rep, int type, int nchildren)
{
    pq_schema_element e;
    memset(&e, 0, sizeof e);
    e.name.ptr = name;
    e.name.len = strlen(name);
    if (rep >= 0) {
        e.repetition_type = rep;
        e.has_repetition_type = true;
    }
    if (type >= 0) {
        e.type = type;
        e.has_type = true;
    } else {
        e.num_children = nchildren;
        e.has_num_children = true;
    }
    return e;
}

/* A file with a legacy 2-level list and an un-annotated repeated group,
 * written level by level, reads through the public reader. */
static void test_legacy_file(void **state)
{
    (void)state;
    delta_store *s = mem_store("precord-legacy");
    pq_schema_element e[] = {
        el("schema", -1, -1, 2),
        el("l", PQ_REP_OPTIONAL, -1, 1),
        el("array", PQ_REP_REPEATED, PQ_TYPE_INT32, 0),
        el("pts", PQ_REP_REPEATED, -1, 1),
        el("x", PQ_REP_REQUIRED, PQ_TYPE_BYTE_ARRAY, 0),
    };
    e[1].converted_type = PQ_CT_LIST;
    e[1].has_converted_type = true;
    e[4].converted_type = PQ_CT_UTF8;
    e[4].has_converted_type = true;
    pq_file_writer *w;
    assert_int_equal(pq_file_writer_open(&w, s, "legacy.parquet", 0, e, 5, NULL), 0);
    /* rows: l=null pts=[];  l=[] pts=[a, bc];  l=[1, 2] pts=[d] */
    int16_t d1[] = {0, 1, 2, 2}, r1[] = {0, 0, 0, 1};
    int32_t v1[] = {1, 2};
    int16_t d2[] = {0, 1, 1, 1}, r2[] = {0, 0, 1, 0};
    int32_t o2[] = {0, 1, 3, 4};
    assert_int_equal(pq_column_writer_write(pq_file_writer_column(w, 0), 4, d1, r1, v1, NULL), 0);
    assert_int_equal(pq_column_writer_write(pq_file_writer_column(w, 1), 4, d2, r2, "abcd", o2),
                     0);
    assert_int_equal(pq_file_writer_end_row_group(w, 3), 0);
    assert_int_equal(pq_file_writer_close(w), 0);
    pq_file_writer_free(w);

    dvec *b;
    assert_int_equal(read_public(s, "legacy.parquet", NULL, &b, NULL), 0);
    dbuf f = DBUF_INIT;
    dtype_format(b->type, &f);
    assert_string_equal(dbuf_cstr(&f), "struct<l:array<int>,pts:array<struct<x:string not null>> "
                                       "not null>");
    dbuf_free(&f);
    const dvec *l = b->children[0], *pts = b->children[1];
    assert_false(dvec_is_valid(l, 0));
    assert_true(dvec_is_valid(l, 1));
    assert_int_equal(l->offsets[2] - l->offsets[1], 0);
    assert_int_equal(l->offsets[3] - l->offsets[2], 2);
    assert_int_equal(dvec_i32(l->children[0])[1], 2);
    const int32_t po[] = {0, 0, 2, 3};
    assert_memory_equal(pts->offsets, po, sizeof po);
    size_t len;
    const uint8_t *p = dvec_bytes(pts->children[0]->children[0], 1, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(p, "bc", 2);
    dvec_unref(b);
    delta_store_free(s);
}

/* Damaged copies of a nested file fail with an error, never a crash. */
static void test_damaged_files(void **state)
{
    (void)state;
    delta_store *s = mem_store("precord-damaged");
    dgen g;
    dgen_init(&g, 99, DGEN_NO_NULL_TYPE);
    dtype *schema = NULL;
    do { /* no seconds: their edge values overflow as milliseconds */
        dtype_unref(schema);
        schema = dgen_schema(&g, 4);
    } while (!roundtrips_exactly(schema));
    dvec *b;
    assert_int_equal(dgen_batch(&g, schema, 100, &b), 0);
    delta_parquet_write_options wo = DELTA_PARQUET_WRITE_OPTIONS_INIT;
    wo.compression = "none";
    wo.dictionary_off = true;
    if (write_public(s, "good.parquet", schema, &b, 1, &wo))
        fail_msg("%s", delta_error_last());
    uint8_t *data;
    size_t len;
    assert_int_equal(delta_store_get(s, "good.parquet", &data, &len), 0);
    int errors = 0;
    for (int i = 0; i < 300; i++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, data, len);
        int flips = 1 + (int)dgen_below(&g, 3);
        for (int k = 0; k < flips; k++)
            copy[4 + dgen_below(&g, len - 8)] ^= (uint8_t)(1u << dgen_below(&g, 8));
        assert_int_equal(delta_store_put(s, "bad.parquet", copy, len), 0);
        free(copy);
        dvec *back = NULL;
        int rc = read_public(s, "bad.parquet", NULL, &back, NULL);
        if (rc)
            errors++;
        dvec_unref(back);
    }
    print_message("%d of 300 damaged copies refused\n", errors);
    delta_free(data);
    dvec_unref(b);
    dtype_unref(schema);
    delta_store_free(s);
}

/* ---- shared golden files ---------------------------------------------- */

static dbuf g_paths;
static int g_count;

static int collect(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    size_t n = strlen(path);
    if (flag == FTW_F && n > 8 && strcmp(path + n - 8, ".parquet") == 0) {
        dbuf_puts(&g_paths, path);
        dbuf_putc(&g_paths, '\n');
        g_count++;
    }
    return 0;
}

static void test_shared_files(void **state)
{
    (void)state;
    struct stat st;
    if (stat(DELTA_SHARED_DIR "/golden", &st) != 0) {
        print_message("skipping: %s/golden not found\n", DELTA_SHARED_DIR);
        skip();
    }
    dbuf_reset(&g_paths);
    g_count = 0;
    nftw(DELTA_SHARED_DIR "/golden", collect, 16, FTW_PHYS);
    nftw(DELTA_SHARED_DIR "/extra", collect, 16, FTW_PHYS);
    assert_true(g_count > 0);
    char *list = (char *)g_paths.data;
    int failures = 0, files = 0;
    int64_t total_rows = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char dir[4096], base[1024];
        snprintf(dir, sizeof dir, "%s", line);
        snprintf(base, sizeof base, "%s", strrchr(line, '/') + 1);
        *strrchr(dir, '/') = '\0';
        delta_store *s;
        assert_int_equal(delta_store_open(&s, dir), 0);
        dvec *all = NULL;
        delta_parquet_read_options ro = DELTA_PARQUET_READ_OPTIONS_INIT;
        ro.batch_rows = 1000;
        int rc = read_public(s, base, &ro, &all, NULL);
        if (rc) {
            print_error("%s: %s\n", line, delta_error_last());
            failures++;
        } else {
            total_rows += all->length;
        }
        files++;
        dvec_unref(all);
        delta_store_free(s);
    }
    print_message("read %d Parquet files, %lld rows\n", files, (long long)total_rows);
    dbuf_free(&g_paths);
    assert_int_equal(failures, 0);
}

/* ---- row-group statistics as typed bounds ------------------------------ */

static void test_row_group_bounds(void **state)
{
    (void)state;
    delta_store *s = mem_store("precord-bounds");
    dfield f[5];
    assert_int_equal(dfield_init(&f[0], "id", dtype_new(DT_INT32), true), 0);
    assert_int_equal(dfield_init(&f[1], "n", dtype_new(DT_UINT32), false), 0);
    assert_int_equal(dfield_init(&f[2], "s", dtype_new(DT_STRING), true), 0);
    assert_int_equal(dfield_init(&f[3], "d", dtype_new(DT_FLOAT64), true), 0);
    dfield inner;
    assert_int_equal(dfield_init(&inner, "x", dtype_new(DT_INT64), true), 0);
    assert_int_equal(dfield_init(&f[4], "st", dtype_new_struct(&inner, 1), true), 0);
    dtype *schema = dtype_new_struct(f, 5);
    assert_non_null(schema);

    /* Two row groups of 4 rows: ids -5..2, n around 2^31 (unsigned order
     * matters), strings, doubles with a NaN and a null. */
    dvec *b;
    assert_int_equal(dbatch_new(&b, schema), 0);
    static const char *strs[] = {"pear", "apple", NULL, "fig", "kiwi", "banana", "date", "cherry"};
    static const double dbl[] = {1.5, -2.0, 0.0, 3.25, 9.0, 0.0 / 0.0, -1.0, 4.0};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(dvec_append_int(dbatch_column(b, 0), i - 5), 0);
        assert_int_equal(dvec_append_uint(dbatch_column(b, 1), 2147483640u + (uint32_t)(i * 3)), 0);
        if (strs[i])
            assert_int_equal(dvec_append_bytes(dbatch_column(b, 2), strs[i], strlen(strs[i])), 0);
        else
            assert_int_equal(dvec_append_null(dbatch_column(b, 2)), 0);
        assert_int_equal(dvec_append_double(dbatch_column(b, 3), dbl[i]), 0);
        dvec *st = dbatch_column(b, 4);
        assert_int_equal(dvec_append_int(st->children[0], i), 0);
        assert_int_equal(dvec_end_struct(st), 0);
    }
    assert_int_equal(dbatch_seal(b), 0);
    pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
    o.row_group_size_rows = 4;
    pq_writer *w;
    assert_int_equal(pq_writer_open(&w, s, "b.parquet", 0, schema, &o), 0);
    assert_int_equal(pq_writer_write(w, b), 0);
    assert_int_equal(pq_writer_close(w), 0);
    pq_writer_free(w);

    pq_reader *r;
    assert_int_equal(pq_reader_open(&r, s, "b.parquet", NULL), 0);
    assert_int_equal(pq_reader_metadata(r)->num_row_groups, 2);
    pq_column_bounds cb;
    /* id: -5..-2 then -1..2 */
    assert_int_equal(pq_reader_column_bounds(r, 0, 0, &cb), 0);
    assert_non_null(cb.min);
    assert_int_equal(dvec_i32(cb.min)[0], -5);
    assert_int_equal(dvec_i32(cb.max)[0], -2);
    assert_int_equal(cb.null_count, 0);
    pq_column_bounds_clear(&cb);
    /* n: unsigned order across 2^31 in the second group */
    assert_int_equal(pq_reader_column_bounds(r, 1, 1, &cb), 0);
    assert_non_null(cb.min);
    assert_int_equal(((const uint32_t *)cb.min->values)[0], 2147483652u);
    assert_int_equal(((const uint32_t *)cb.max->values)[0], 2147483661u);
    pq_column_bounds_clear(&cb);
    /* s: byte order, the null counted */
    assert_int_equal(pq_reader_column_bounds(r, 0, 2, &cb), 0);
    size_t len;
    const uint8_t *p = dvec_bytes(cb.min, 0, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(p, "apple", 5);
    p = dvec_bytes(cb.max, 0, &len);
    assert_memory_equal(p, "pear", 4);
    assert_int_equal(cb.null_count, 1);
    pq_column_bounds_clear(&cb);
    /* d: NaN ignored by the writer's statistics */
    assert_int_equal(pq_reader_column_bounds(r, 1, 3, &cb), 0);
    assert_non_null(cb.min);
    assert_true(dvec_f64(cb.min)[0] == -1.0);
    assert_true(dvec_f64(cb.max)[0] == 9.0);
    pq_column_bounds_clear(&cb);
    /* st: nested, no bounds; out of range is an error */
    assert_int_equal(pq_reader_column_bounds(r, 0, 4, &cb), 0);
    assert_null(cb.min);
    assert_null(cb.max);
    assert_int_equal(pq_reader_column_bounds(r, 2, 0, &cb), DELTA_EINVAL);
    pq_reader_free(r);
    dvec_unref(b);
    dtype_unref(schema);
    delta_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_roundtrip),
        cmocka_unit_test(test_property_flat_large),
        cmocka_unit_test(test_changed_types),
        cmocka_unit_test(test_rewrite_keeps_metadata),
        cmocka_unit_test(test_projection_reads_only_its_chunks),
        cmocka_unit_test(test_empty_strings_only),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_write_faults),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_all_empty_strings),
        cmocka_unit_test(test_legacy_file),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_shared_files),
        cmocka_unit_test(test_row_group_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
