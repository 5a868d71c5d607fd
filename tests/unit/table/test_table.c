/*
 * The table read path: partition value parsing for every type, deletion
 * vectors (Z85, file names, the RoaringBitmapArray format, framing,
 * checksums, inline / relative / absolute storage), conforming file
 * vectors to the table schema, and scans through the public API over
 * golden tables (skipped when ../shared is absent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <roaring/roaring.h>

#include <delta/table.h>

#include "columnar/arrow.h"
#include "columnar/format.h"
#include "core/alloc.h"
#include "core/error.h"
#include "table/conform.h"
#include "table/dv.h"
#include "table/partition.h"

/* ---- partition values ----------------------------------------------------- */

/* Appends text as a value of t and formats it back as JSON text. */
static char *part(dtype *t, const char *text, int *rc_out)
{
    dvec *v;
    assert_int_equal(dvec_new(&v, t), 0);
    dtype_unref(t);
    int rc = dtab_partition_append(v, "c", text);
    if (rc_out)
        *rc_out = rc;
    char *s = NULL;
    if (!rc) {
        dbuf b = DBUF_INIT;
        dvec_format_value(v, 0, DFMT_JSON, &b);
        s = strdup(dbuf_cstr(&b));
        dbuf_free(&b);
    }
    dvec_unref(v);
    return s;
}

static void check_part(dtype *t, const char *text, const char *want)
{
    int rc;
    char *got = part(t, text, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(got, want);
    free(got);
}

static void check_part_err(dtype *t, const char *text, int code)
{
    int rc;
    char *got = part(t, text, &rc);
    assert_int_equal(rc, code);
    assert_null(got);
    assert_non_null(strstr(delta_error_last(), "'c'"));
}

static void test_partition_types(void **state)
{
    (void)state;
    check_part(dtype_new(DT_STRING), "a b=c", "\"a b=c\"");
    check_part(dtype_new(DT_INT8), "-128", "-128");
    check_part(dtype_new(DT_INT16), "32767", "32767");
    check_part(dtype_new(DT_INT32), "-7", "-7");
    check_part(dtype_new(DT_INT64), "9223372036854775807", "9223372036854775807");
    check_part(dtype_new(DT_FLOAT32), "1.5", "1.5");
    check_part(dtype_new(DT_FLOAT64), "-2.25e3", "-2250");
    check_part(dtype_new(DT_FLOAT64), "NaN", "\"NaN\"");
    check_part(dtype_new(DT_BOOL), "true", "true");
    check_part(dtype_new(DT_BOOL), "FALSE", "false");
    check_part(dtype_new(DT_DATE32), "2021-09-08", "\"2021-09-08\"");
    check_part(dtype_new_decimal(10, 3), "-12.5", "-12.500");
    check_part(dtype_new_decimal(38, 18), "0.000000000000000001", "0.000000000000000001");
    check_part(dtype_new_decimal(5, 2), "1.230", "1.23");
    check_part(dtype_new(DT_BINARY), "\x01\x02", "\"AQI=\"");
    /* timestamps: Delta's form read as UTC, ISO with zones */
    check_part(dtype_new_timestamp(DT_UNIT_MICRO, true), "2021-11-18 02:30:00.123456",
               "\"2021-11-18T02:30:00.123456Z\"");
    check_part(dtype_new_timestamp(DT_UNIT_MICRO, true), "1970-01-01 00:00:00",
               "\"1970-01-01T00:00:00Z\"");
    check_part(dtype_new_timestamp(DT_UNIT_MICRO, true), "1970-01-01T00:00:00.123456Z",
               "\"1970-01-01T00:00:00.123456Z\"");
    check_part(dtype_new_timestamp(DT_UNIT_MICRO, true), "2021-11-18T04:30:00+02:00",
               "\"2021-11-18T02:30:00Z\"");
    check_part(dtype_new_timestamp(DT_UNIT_MICRO, false), "2021-11-18 02:30:00.5",
               "\"2021-11-18T02:30:00.500\"");
}

static void test_partition_nulls(void **state)
{
    (void)state;
    check_part(dtype_new(DT_INT32), NULL, "null");
    check_part(dtype_new(DT_INT32), "", "null");
    check_part(dtype_new(DT_STRING), "", "null");
    check_part(dtype_new(DT_DATE32), "__HIVE_DEFAULT_PARTITION__", "null");
    check_part(dtype_new(DT_STRING), "__HIVE_DEFAULT_PARTITION__", "null");
    assert_true(dtab_partition_is_null(NULL));
    assert_false(dtab_partition_is_null("null")); /* the text "null" is a string */
}

static void test_partition_errors(void **state)
{
    (void)state;
    check_part_err(dtype_new(DT_INT8), "128", DELTA_ERANGE);
    check_part_err(dtype_new(DT_INT32), "12x", DELTA_EINVAL);
    check_part_err(dtype_new(DT_BOOL), "yes", DELTA_EINVAL);
    check_part_err(dtype_new(DT_DATE32), "2021-13-01", DELTA_EINVAL);
    check_part_err(dtype_new_decimal(4, 2), "123.4", DELTA_ERANGE);
    check_part_err(dtype_new_decimal(4, 2), "1.234", DELTA_ERANGE);
    check_part_err(dtype_new_decimal(4, 2), "1.2.3", DELTA_EINVAL);
    check_part_err(dtype_new_decimal(4, 2), "-", DELTA_EINVAL);
    check_part_err(dtype_new_timestamp(DT_UNIT_MICRO, false), "2021-11-18T02:30:00Z",
                   DELTA_EINVAL);
}

/* ---- deletion vectors ------------------------------------------------------ */

static void test_z85_and_file_names(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    /* Z85's reference vector */
    assert_int_equal(dtab_z85_decode("HelloWorld", 10, &b), 0);
    const uint8_t want[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, want, 8);
    dbuf_reset(&b);
    assert_int_equal(dtab_z85_decode("Hello", 4, &b), DELTA_EINVAL);
    assert_int_equal(dtab_z85_decode("Hel\"o", 5, &b), DELTA_EINVAL);
    dbuf_free(&b);

    dlog_dv dv = {'u', "ab^-aqEH.-t@S}K{vb[*k^", true, 4, 40, 6};
    assert_int_equal(dtab_dv_file(&dv, &b), 0);
    assert_string_equal(dbuf_cstr(&b), "ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
    dbuf_reset(&b);
    dlog_dv dv2 = {'u', "vBn[lx{q8@P<9BNH/isA", true, 1, 36, 2};
    assert_int_equal(dtab_dv_file(&dv2, &b), 0);
    assert_string_equal(dbuf_cstr(&b), "deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin");
    dbuf_reset(&b);
    dlog_dv bad = {'u', "short", true, 1, 36, 2};
    assert_int_equal(dtab_dv_file(&bad, &b), DELTA_ECORRUPT);
    dbuf_free(&b);
}

static void test_dv_inline(void **state)
{
    (void)state;
    char text[] = "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L";
    dlog_dv dv = {'i', text, false, 0, 40, 6};
    dtab_dv d;
    assert_int_equal(dtab_dv_load(NULL, &dv, &d), 0);
    const uint64_t want[] = {3, 4, 7, 11, 18, 29};
    assert_int_equal(d.count, 6);
    assert_memory_equal(d.rows, want, sizeof want);
    dtab_dv_clear(&d);
    dv.cardinality = 5; /* the descriptor must agree */
    assert_int_equal(dtab_dv_load(NULL, &dv, &d), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "descriptor says 5"));
}

/* Serializes rows (ascending) as a RoaringBitmapArray. */
static void serialize_rows(const uint64_t *rows, size_t n, dbuf *out)
{
    uint8_t magic[4] = {0xD1, 0xD3, 0x39, 0x64}; /* 1681511377 LE */
    dbuf_append(out, magic, 4);
    size_t nb = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || rows[i] >> 32 != rows[i - 1] >> 32)
            nb++;
    uint64_t nb64 = nb;
    dbuf_append(out, &nb64, 8); /* little endian host */
    for (size_t i = 0; i < n;) {
        uint32_t key = (uint32_t)(rows[i] >> 32);
        roaring_bitmap_t *r = roaring_bitmap_create();
        for (; i < n && (uint32_t)(rows[i] >> 32) == key; i++)
            roaring_bitmap_add(r, (uint32_t)rows[i]);
        roaring_bitmap_run_optimize(r);
        dbuf_append(out, &key, 4);
        size_t sz = roaring_bitmap_portable_size_in_bytes(r);
        uint8_t *p = dbuf_grow(out, sz);
        roaring_bitmap_portable_serialize(r, (char *)p);
        roaring_bitmap_free(r);
    }
}

static void put_be32(dbuf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    dbuf_append(b, x, 4);
}

/* A DV file: version byte, then one framed vector per bitmap. */
static void frame(dbuf *file, const dbuf *bitmap, bool bad_crc)
{
    put_be32(file, (uint32_t)bitmap->len);
    dbuf_append(file, bitmap->data, bitmap->len);
    uint32_t crc = (uint32_t)crc32(0L, bitmap->data, (uInt)bitmap->len);
    put_be32(file, bad_crc ? crc ^ 1 : crc);
}

static void test_dv_files(void **state)
{
    (void)state;
    /* rows across two 32-bit buckets, runs and singles */
    uint64_t rows[300];
    size_t n = 0;
    for (uint64_t r = 10; r < 200; r++)
        rows[n++] = r;
    rows[n++] = 70000;
    rows[n++] = (1ull << 32) + 5;
    rows[n++] = (1ull << 32) + 1000000;
    dbuf bm = DBUF_INIT, file = DBUF_INIT, name = DBUF_INIT;
    serialize_rows(rows, n, &bm);
    dtab_dv parsed;
    assert_int_equal(dtab_dv_parse(bm.data, bm.len, "t", &parsed), 0);
    assert_int_equal(parsed.count, n);
    assert_memory_equal(parsed.rows, rows, n * sizeof *rows);
    dtab_dv_clear(&parsed);
    /* truncation and a bad magic are refused */
    assert_int_equal(dtab_dv_parse(bm.data, bm.len - 1, "t", &parsed), DELTA_ECORRUPT);
    bm.data[0] ^= 1;
    assert_int_equal(dtab_dv_parse(bm.data, bm.len, "t", &parsed), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "magic"));
    bm.data[0] ^= 1;

    /* relative ('u'): two vectors in one file, the second at its offset */
    dbuf_putc(&file, 1);
    dbuf small = DBUF_INIT;
    uint64_t one = 7;
    serialize_rows(&one, 1, &small);
    frame(&file, &small, false);
    int32_t off2 = (int32_t)file.len;
    frame(&file, &bm, false);
    int32_t off3 = (int32_t)file.len;
    frame(&file, &bm, true); /* damaged copy */

    delta_store *store;
    assert_int_equal(delta_store_open(&store, "memory://table-dv-test"), 0);
    char text[] = "xy^-aqEH.-t@S}K{vb[*k^";
    dlog_dv dv = {'u', text, true, 1, (int32_t)small.len, 1};
    assert_int_equal(dtab_dv_file(&dv, &name), 0);
    assert_int_equal(delta_store_put(store, dbuf_cstr(&name), file.data, file.len), 0);
    dtab_dv d;
    assert_int_equal(dtab_dv_load(store, &dv, &d), 0);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.rows[0], 7);
    dtab_dv_clear(&d);
    dlog_dv dv2 = {'u', text, true, off2, (int32_t)bm.len, (int64_t)n};
    assert_int_equal(dtab_dv_load(store, &dv2, &d), 0);
    assert_int_equal(d.count, n);
    dtab_dv_clear(&d);
    dlog_dv dv3 = {'u', text, true, off3, (int32_t)bm.len, (int64_t)n};
    assert_int_equal(dtab_dv_load(store, &dv3, &d), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "checksum"));
    dlog_dv dv4 = {'u', text, true, off2, (int32_t)bm.len - 1, (int64_t)n};
    assert_int_equal(dtab_dv_load(store, &dv4, &d), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "stored size"));
    dlog_dv dv5 = {'u', text, true, (int32_t)file.len - 4, (int32_t)bm.len, (int64_t)n};
    assert_int_equal(dtab_dv_load(store, &dv5, &d), DELTA_ECORRUPT);

    /* absolute ('p'): a local file named by a file: URI */
    const char *tmp = getenv("TMPDIR");
    char path[512], uri[600];
    snprintf(path, sizeof path, "%s/dv-abs-%d.bin", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(file.data, 1, file.len, fp), file.len);
    fclose(fp);
    snprintf(uri, sizeof uri, "file://%s", path);
    dlog_dv dv6 = {'p', uri, true, off2, (int32_t)bm.len, (int64_t)n};
    assert_int_equal(dtab_dv_load(NULL, &dv6, &d), 0);
    assert_int_equal(d.count, n);
    dtab_dv_clear(&d);
    unlink(path);

    delta_store_free(store);
    dbuf_free(&bm);
    dbuf_free(&small);
    dbuf_free(&file);
    dbuf_free(&name);
}

/* ---- conforming ------------------------------------------------------------ */

static void test_conform_casts(void **state)
{
    (void)state;
    /* file: struct<b:int, a:struct<x:int>>; table: struct<a:struct<x:long,y:string>, b:decimal(12,2), c:int> */
    dfield inner[1];
    dfield_init(&inner[0], "x", dtype_new(DT_INT32), true);
    dfield ff[2];
    dfield_init(&ff[0], "B", dtype_new(DT_INT32), true); /* case differs */
    dfield_init(&ff[1], "a", dtype_new_struct(inner, 1), true);
    dtype *ft = dtype_new_struct(ff, 2);
    dfield ti[2];
    dfield_init(&ti[0], "x", dtype_new(DT_INT64), true);
    dfield_init(&ti[1], "y", dtype_new(DT_STRING), true);
    dfield tf[3];
    dfield_init(&tf[0], "a", dtype_new_struct(ti, 2), true);
    dfield_init(&tf[1], "b", dtype_new_decimal(12, 2), true);
    dfield_init(&tf[2], "c", dtype_new(DT_INT32), true);
    dtype *tt = dtype_new_struct(tf, 3);

    dvec *src;
    assert_int_equal(dvec_new(&src, ft), 0);
    for (int i = 0; i < 3; i++) {
        if (i == 1)
            assert_int_equal(dvec_append_null(src->children[0]), 0);
        else
            assert_int_equal(dvec_append_int(src->children[0], i * 10), 0);
        assert_int_equal(dvec_append_int(src->children[1]->children[0], -i), 0);
        assert_int_equal(dvec_end_struct(src->children[1]), 0);
        assert_int_equal(dvec_end_struct(src), 0);
    }
    dtab_cmap m;
    assert_int_equal(dtab_cmap_build(&m, tt, NULL, DLOG_CM_NONE), 0);
    dvec *out;
    assert_int_equal(dtab_conform(src, &m, DLOG_CM_NONE, "t", &out), 0);
    assert_int_equal(dvec_validate(out, true), 0);
    dbuf b = DBUF_INIT;
    for (int i = 0; i < 3; i++) {
        dvec_format_value(out, i, DFMT_JSON, &b);
        dbuf_putc(&b, ';');
    }
    assert_string_equal(dbuf_cstr(&b), "{\"a\":{\"x\":0,\"y\":null},\"b\":0.00,\"c\":null};"
                                       "{\"a\":{\"x\":-1,\"y\":null},\"b\":null,\"c\":null};"
                                       "{\"a\":{\"x\":-2,\"y\":null},\"b\":20.00,\"c\":null};");
    dbuf_free(&b);
    dvec_unref(out);
    dtab_cmap_free(&m);

    /* no lossless cast: a string read as an int */
    dtype *it = dtype_new(DT_INT32);
    dtype *st = dtype_new(DT_STRING);
    dvec *s;
    assert_int_equal(dvec_new(&s, st), 0);
    dtype_unref(st);
    assert_int_equal(dvec_append_bytes(s, "1", 1), 0);
    dtab_cmap mi;
    assert_int_equal(dtab_cmap_build(&mi, it, NULL, DLOG_CM_NONE), 0);
    assert_int_equal(dtab_conform(s, &mi, DLOG_CM_NONE, "col", &out), DELTA_ETYPE);
    assert_non_null(strstr(delta_error_last(), "column 'col'"));
    dtab_cmap_free(&mi);
    dvec_unref(s);
    dtype_unref(it);
    dvec_unref(src);
    dtype_unref(ft);
    dtype_unref(tt);
}

static void test_conform_timestamps(void **state)
{
    (void)state;
    dtype *nano = dtype_new_timestamp(DT_UNIT_NANO, true);
    dtype *micro = dtype_new_timestamp(DT_UNIT_MICRO, true);
    dvec *v;
    assert_int_equal(dvec_new(&v, nano), 0);
    assert_int_equal(dvec_append_int(v, -1), 0); /* floors to -1 us */
    assert_int_equal(dvec_append_int(v, 1999), 0);
    dtab_cmap m;
    assert_int_equal(dtab_cmap_build(&m, micro, NULL, DLOG_CM_NONE), 0);
    dvec *out;
    assert_int_equal(dtab_conform(v, &m, DLOG_CM_NONE, "ts", &out), 0);
    assert_int_equal(dvec_i64(out)[0], -1);
    assert_int_equal(dvec_i64(out)[1], 1);
    dvec_unref(out);
    dtab_cmap_free(&m);
    /* date -> timestamp_ntz (type widening) */
    dtype *date = dtype_new(DT_DATE32), *ntz = dtype_new_timestamp(DT_UNIT_MICRO, false);
    dvec *d;
    assert_int_equal(dvec_new(&d, date), 0);
    assert_int_equal(dvec_append_int(d, 2), 0);
    assert_int_equal(dtab_cmap_build(&m, ntz, NULL, DLOG_CM_NONE), 0);
    assert_int_equal(dtab_conform(d, &m, DLOG_CM_NONE, "d", &out), 0);
    assert_int_equal(dvec_i64(out)[0], 2 * 86400LL * 1000000);
    dvec_unref(out);
    dtab_cmap_free(&m);
    dvec_unref(d);
    dvec_unref(v);
    dtype_unref(nano);
    dtype_unref(micro);
    dtype_unref(date);
    dtype_unref(ntz);
}

/* ---- scans through the public API ------------------------------------------ */

static bool have_shared(void)
{
    struct stat st;
    return stat(DELTA_SHARED_DIR "/golden", &st) == 0;
}

/* Reads a table through the public API and formats every row as JSON lines. */
static int read_all(const char *uri, const delta_scan_options *so, dbuf *out, int64_t *rows)
{
    delta_table *t = NULL;
    delta_snapshot *s = NULL;
    int rc = delta_table_open(&t, uri);
    if (!rc)
        rc = delta_table_snapshot(&s, t, -1, NULL);
    struct ArrowArrayStream st;
    if (!rc)
        rc = delta_snapshot_scan(s, so, &st);
    /* the stream keeps what it needs: free the handles first */
    delta_snapshot_free(s);
    delta_table_free(t);
    if (rc)
        return rc;
    dstream *ds;
    assert_int_equal(dstream_import(&st, &ds), 0);
    *rows = 0;
    dvec *b;
    while ((rc = ds->next(ds, &b)) == 0 && b) {
        for (int64_t i = 0; i < b->length; i++) {
            dvec_format_value(b, i, DFMT_JSON, out);
            dbuf_putc(out, '\n');
        }
        *rows += b->length;
        dvec_unref(b);
    }
    ds->free(ds);
    return rc;
}

static void test_scan_dv_table(void **state)
{
    (void)state;
    if (!have_shared())
        skip();
    dbuf b = DBUF_INIT;
    int64_t n;
    assert_int_equal(read_all(DELTA_SHARED_DIR "/extra/table-with-dv-small", NULL, &b, &n), 0);
    assert_int_equal(n, 8);
    assert_string_equal(dbuf_cstr(&b), "{\"value\":1}\n{\"value\":2}\n{\"value\":3}\n{\"value\":4}\n"
                                       "{\"value\":5}\n{\"value\":6}\n{\"value\":7}\n{\"value\":8}\n");
    dbuf_reset(&b);
    delta_scan_options so = DELTA_SCAN_OPTIONS_INIT;
    so.limit = 3;
    so.batch_rows = 2;
    assert_int_equal(read_all(DELTA_SHARED_DIR "/extra/table-with-dv-small", &so, &b, &n), 0);
    assert_int_equal(n, 3);
    dbuf_free(&b);
}

static void test_scan_projection_and_mapping(void **state)
{
    (void)state;
    if (!have_shared())
        skip();
    dbuf b = DBUF_INIT;
    int64_t n;
    /* column mapping (name mode) with deletion vectors, partition column last in the projection */
    const char *cols[] = {"col2", "PART"};
    delta_scan_options so = DELTA_SCAN_OPTIONS_INIT;
    so.columns = cols;
    so.num_columns = 2;
    so.limit = 2;
    assert_int_equal(read_all(DELTA_SHARED_DIR "/golden/dv-with-columnmapping/delta", &so, &b, &n), 0);
    assert_int_equal(n, 2);
    assert_non_null(strstr(dbuf_cstr(&b), "{\"col2\":\"foo0\",\"part\":0}"));
    dbuf_reset(&b);
    /* only partition columns: rows come from the files' footers */
    const char *pc[] = {"part"};
    so.columns = pc;
    so.num_columns = 1;
    so.limit = -1;
    assert_int_equal(read_all(DELTA_SHARED_DIR "/golden/dv-with-columnmapping/delta", &so, &b, &n), 0);
    int64_t all;
    dbuf c = DBUF_INIT;
    assert_int_equal(read_all(DELTA_SHARED_DIR "/golden/dv-with-columnmapping/delta", NULL, &c, &all), 0);
    assert_int_equal(n, all);
    dbuf_free(&c);
    /* an unknown column names itself and the table's columns */
    const char *bad[] = {"nope"};
    so.columns = bad;
    assert_int_equal(read_all(DELTA_SHARED_DIR "/golden/dv-with-columnmapping/delta", &so, &b, &n),
                     DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "unknown column 'nope' (columns: part, col1, col2)"));
    dbuf_free(&b);
}

static void test_snapshot_api(void **state)
{
    (void)state;
    if (!have_shared())
        skip();
    delta_table *t;
    delta_snapshot *s;
    assert_int_equal(delta_table_open(&t, DELTA_SHARED_DIR "/golden/time-travel-start-start20/delta"), 0);
    assert_int_equal(delta_table_snapshot(&s, t, 1, NULL), 0);
    assert_int_equal(delta_snapshot_version(s), 1);
    struct ArrowSchema sc;
    assert_int_equal(delta_snapshot_schema(s, &sc), 0);
    assert_string_equal(sc.format, "+s");
    sc.release(&sc);
    char *text;
    assert_int_equal(delta_snapshot_describe(s, true, &text), 0);
    assert_non_null(strstr(text, "\"version\":1,"));
    delta_free(text);
    delta_snapshot_free(s);
    assert_int_equal(delta_table_snapshot(&s, t, 999, NULL), DELTA_ENOTFOUND);
    assert_int_equal(delta_table_snapshot(&s, t, 1, "2020-01-01"), DELTA_EINVAL);
    assert_int_equal(delta_table_snapshot(&s, t, -1, "not a time"), DELTA_EINVAL);
    /* history: newest first, limited */
    delta_history *h;
    assert_int_equal(delta_table_history(&h, t, 2), 0);
    delta_commit c;
    assert_int_equal(delta_history_next(h, &c), 1);
    int64_t first = c.version;
    assert_non_null(c.commit_info);
    assert_int_equal(delta_history_next(h, &c), 1);
    assert_int_equal(c.version, first - 1);
    assert_int_equal(delta_history_next(h, &c), 0);
    delta_history_free(h);
    delta_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partition_types),
        cmocka_unit_test(test_partition_nulls),
        cmocka_unit_test(test_partition_errors),
        cmocka_unit_test(test_z85_and_file_names),
        cmocka_unit_test(test_dv_inline),
        cmocka_unit_test(test_dv_files),
        cmocka_unit_test(test_conform_casts),
        cmocka_unit_test(test_conform_timestamps),
        cmocka_unit_test(test_scan_dv_table),
        cmocka_unit_test(test_scan_projection_and_mapping),
        cmocka_unit_test(test_snapshot_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
