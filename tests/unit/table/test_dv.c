/*
 * Writing deletion vectors (src/table/dv.c): Z85 encoding, the portable
 * RoaringBitmapArray serializer checked against the parser over seeded
 * random sets (several 32-bit buckets, empty sets, dense runs), the
 * framed deletion_vector_<uuid>.bin file read back through its
 * descriptor, and byte equality with the files Spark wrote for the same
 * sets (skipped when ../shared is absent). Then the scan's row index
 * column over a table with a written deletion vector and several row
 * groups: seeded random projections, predicates (row groups skipped by
 * statistics), limits and file lists, each compared with a model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "log/snapshot.h"
#include "parquet/record_writer.h"
#include "table/dv.h"
#include "table/scan.h"

/* ---- helpers -------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ull;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts and removes duplicates; returns the new count. */
static size_t normalize(uint64_t *rows, size_t n)
{
    qsort(rows, n, sizeof *rows, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!k || rows[i] != rows[k - 1])
            rows[k++] = rows[i];
    return k;
}

/* A random set of one of several shapes. */
static size_t random_set(uint64_t *seed, uint64_t *rows, size_t cap)
{
    size_t n = 0;
    int shape = (int)(rng_next(seed) % 5);
    size_t want = (size_t)(rng_next(seed) % cap);
    if (shape == 0) { /* sparse, small positions */
        for (; n < want; n++)
            rows[n] = rng_next(seed) % 100000;
    } else if (shape == 1) { /* sparse across several buckets (>= 2^32) */
        for (; n < want; n++)
            rows[n] = rng_next(seed) % (5ull << 32);
    } else if (shape == 2) { /* dense runs (run containers) */
        uint64_t at = rng_next(seed) % (3ull << 32);
        while (n < want) {
            uint64_t len = 1 + rng_next(seed) % 3000;
            for (uint64_t r = 0; r < len && n < want; r++)
                rows[n++] = at + r;
            at += len + rng_next(seed) % 70000;
        }
    } else if (shape == 3) { /* a bitmap container: every other row */
        uint64_t base = (rng_next(seed) % 3) << 32;
        for (; n < want; n++)
            rows[n] = base + 2 * n;
    } else { /* nothing */
        n = 0;
    }
    return normalize(rows, n);
}

static bool read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = malloc((size_t)n + 1);
    *len = fread(*data, 1, (size_t)n, f);
    fclose(f);
    return *len == (size_t)n;
}

/* ---- Z85 ------------------------------------------------------------------ */

static void test_z85(void **state)
{
    (void)state;
    /* the example of the Z85 specification */
    const uint8_t hello[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    dbuf b = DBUF_INIT;
    assert_int_equal(dtab_z85_encode(hello, 8, &b), 0);
    assert_string_equal(dbuf_cstr(&b), "HelloWorld");
    dbuf_reset(&b);
    assert_int_equal(dtab_z85_encode(hello, 7, &b), DELTA_EINVAL);
    uint64_t seed = 7;
    for (int t = 0; t < 200; t++) {
        uint8_t raw[32];
        size_t n = 4 * (size_t)(rng_next(&seed) % 9);
        for (size_t i = 0; i < n; i++)
            raw[i] = (uint8_t)rng_next(&seed);
        dbuf text = DBUF_INIT, back = DBUF_INIT;
        assert_int_equal(dtab_z85_encode(raw, n, &text), 0);
        assert_int_equal(text.len, n / 4 * 5);
        assert_int_equal(dtab_z85_decode((const char *)text.data, text.len, &back), 0);
        assert_int_equal(back.len, n);
        if (n)
            assert_memory_equal(back.data, raw, n);
        dbuf_free(&text);
        dbuf_free(&back);
    }
    dbuf_free(&b);
}

/* ---- serialize ------------------------------------------------------------ */

static void test_serialize_round_trip(void **state)
{
    (void)state;
    enum { CAP = 20000 };
    uint64_t *rows = malloc(CAP * sizeof *rows);
    uint64_t seed = 0x5eed1234abcdull;
    int multi = 0;
    for (int t = 0; t < 120; t++) {
        size_t n = random_set(&seed, rows, CAP);
        if (n && rows[n - 1] >> 32 != rows[0] >> 32)
            multi++;
        dbuf b = DBUF_INIT;
        assert_int_equal(dtab_dv_serialize(rows, n, &b), 0);
        dtab_dv d;
        int rc = dtab_dv_parse(b.data, b.len, "round trip", &d);
        if (rc)
            fail_msg("set %d (%zu rows): %s", t, n, delta_error_last());
        assert_int_equal(d.count, n);
        if (n)
            assert_memory_equal(d.rows, rows, n * sizeof *rows);
        dtab_dv_clear(&d);
        dbuf_free(&b);
    }
    assert_true(multi > 5); /* the seed covers several buckets */
    free(rows);
}

static void test_serialize_edges(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    /* empty: magic and zero buckets, 12 bytes */
    assert_int_equal(dtab_dv_serialize(NULL, 0, &b), 0);
    assert_int_equal(b.len, 12);
    const uint8_t magic[4] = {0xD1, 0xD3, 0x39, 0x64};
    assert_memory_equal(b.data, magic, 4);
    dtab_dv d;
    assert_int_equal(dtab_dv_parse(b.data, b.len, "empty", &d), 0);
    assert_int_equal(d.count, 0);
    dtab_dv_clear(&d);
    /* appends after what out holds */
    dbuf_reset(&b);
    dbuf_puts(&b, "xyz");
    uint64_t one = 5;
    assert_int_equal(dtab_dv_serialize(&one, 1, &b), 0);
    assert_memory_equal(b.data, "xyz", 3);
    assert_int_equal(dtab_dv_parse(b.data + 3, b.len - 3, "one", &d), 0);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.rows[0], 5);
    dtab_dv_clear(&d);
    /* not ascending, duplicates, out of range */
    uint64_t bad1[] = {3, 2};
    uint64_t bad2[] = {3, 3};
    uint64_t bad3[] = {0x7fffffffull << 32};
    dbuf_reset(&b);
    assert_int_equal(dtab_dv_serialize(bad1, 2, &b), DELTA_EINVAL);
    assert_int_equal(dtab_dv_serialize(bad2, 2, &b), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "ascending"));
    assert_int_equal(dtab_dv_serialize(bad3, 1, &b), DELTA_EINVAL);
    /* the largest positions and the bucket boundary */
    uint64_t edge[] = {0, 0xffffffffull, 1ull << 32, (5ull << 32) | 0xffffffffull};
    dbuf_reset(&b);
    assert_int_equal(dtab_dv_serialize(edge, 4, &b), 0);
    assert_int_equal(dtab_dv_parse(b.data, b.len, "edge", &d), 0);
    assert_int_equal(d.count, 4);
    assert_memory_equal(d.rows, edge, sizeof edge);
    dtab_dv_clear(&d);
    dbuf_free(&b);
}

/* ---- files ---------------------------------------------------------------- */

static void test_write_load(void **state)
{
    (void)state;
    delta_store *store;
    assert_int_equal(delta_store_open(&store, "memory://dv-write-test"), 0);
    uint64_t seed = 99;
    uint64_t *rows = malloc(5000 * sizeof *rows);
    for (int t = 0; t < 20; t++) {
        size_t n = random_set(&seed, rows, 5000);
        if (!n) {
            rows[0] = 42;
            n = 1;
        }
        dlog_dv dv;
        assert_int_equal(dtab_dv_write(store, rows, n, &dv), 0);
        assert_int_equal(dv.storage_type, 'u');
        assert_int_equal(strlen(dv.path_or_inline), 20);
        assert_true(dv.has_offset);
        assert_int_equal(dv.offset, 1);
        assert_int_equal(dv.cardinality, (int64_t)n);
        /* the file: version byte, size, bitmap, CRC */
        dbuf key = DBUF_INIT;
        assert_int_equal(dtab_dv_file(&dv, &key), 0);
        assert_int_equal(strncmp(dbuf_cstr(&key), "deletion_vector_", 16), 0);
        assert_null(strchr(dbuf_cstr(&key), '/'));
        uint8_t *data;
        size_t len;
        assert_int_equal(delta_store_get(store, dbuf_cstr(&key), &data, &len), 0);
        assert_int_equal(len, 1 + 4 + (size_t)dv.size_in_bytes + 4);
        assert_int_equal(data[0], 1);
        delta_free(data);
        dtab_dv d;
        assert_int_equal(dtab_dv_load(store, &dv, &d), 0);
        assert_int_equal(d.count, n);
        assert_memory_equal(d.rows, rows, n * sizeof *rows);
        dtab_dv_clear(&d);
        dbuf_free(&key);
        dtab_dv_desc_clear(&dv);
        assert_null(dv.path_or_inline);
    }
    /* nothing to write, or rows out of order: refused, nothing stored */
    dlog_dv dv;
    assert_int_equal(dtab_dv_write(store, rows, 0, &dv), DELTA_EINVAL);
    uint64_t bad[] = {9, 1};
    assert_int_equal(dtab_dv_write(store, bad, 2, &dv), DELTA_EINVAL);
    assert_null(dv.path_or_inline);
    free(rows);
    delta_store_free(store);
}

/* Spark's deletion vector files hold one vector each: parsed and written
 * again, ours must be the same bytes (the UUID in the name aside). */
static void spark_same_bytes(const char *table, const char *uuid, const char *z85,
                             int32_t size, int64_t cardinality)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/extra/%s/deletion_vector_%s.bin", DELTA_SHARED_DIR, table,
             uuid);
    uint8_t *spark = NULL;
    size_t len;
    assert_true(read_file(path, &spark, &len));
    assert_int_equal(len, 1 + 4 + (size_t)size + 4);
    /* the descriptor names this file */
    dlog_dv desc = {'u', (char *)z85, true, 1, size, cardinality};
    dbuf key = DBUF_INIT;
    assert_int_equal(dtab_dv_file(&desc, &key), 0);
    assert_non_null(strstr(path, dbuf_cstr(&key)));
    dtab_dv d;
    assert_int_equal(dtab_dv_parse(spark + 5, (size_t)size, table, &d), 0);
    assert_int_equal(d.count, cardinality);
    dbuf ours = DBUF_INIT;
    assert_int_equal(dtab_dv_serialize(d.rows, d.count, &ours), 0);
    assert_int_equal(ours.len, (size_t)size);
    assert_memory_equal(ours.data, spark + 5, (size_t)size);
    /* and the whole file */
    delta_store *store;
    assert_int_equal(delta_store_open(&store, "memory://dv-spark-test"), 0);
    dlog_dv dv;
    assert_int_equal(dtab_dv_write(store, d.rows, d.count, &dv), 0);
    assert_int_equal(dv.size_in_bytes, size);
    assert_int_equal(dv.cardinality, cardinality);
    dbuf k2 = DBUF_INIT;
    assert_int_equal(dtab_dv_file(&dv, &k2), 0);
    uint8_t *mine;
    size_t mlen;
    assert_int_equal(delta_store_get(store, dbuf_cstr(&k2), &mine, &mlen), 0);
    assert_int_equal(mlen, len);
    assert_memory_equal(mine, spark, len);
    delta_free(mine);
    dbuf_free(&k2);
    dtab_dv_desc_clear(&dv);
    delta_store_free(store);
    dtab_dv_clear(&d);
    dbuf_free(&ours);
    dbuf_free(&key);
    free(spark);
}

static void test_spark_bytes(void **state)
{
    (void)state;
    if (access(DELTA_SHARED_DIR "/extra/table-with-dv-small", F_OK) != 0 ||
        access(DELTA_SHARED_DIR "/extra/with-short-dv", F_OK) != 0)
        skip(); /* needs ../shared (DELTA_SHARED_DIR) */
    spark_same_bytes("table-with-dv-small", "61d16c75-6994-46b7-a15b-8b538852e50e",
                     "vBn[lx{q8@P<9BNH/isA", 36, 2);
    spark_same_bytes("with-short-dv", "ae7177f2-6d17-4ea8-819b-8d62fa2c5469",
                     "U5OWRz5k%CFT.Td}yCPW", 38, 3);
}

/* ---- scan row index ------------------------------------------------------- */

/* Writes ids first..first+n-1 (names "n%04d") in row groups of 10. */
static uint64_t write_ids(delta_store *st, const char *key, dtype *ftype, int first, int n)
{
    dvec *b;
    assert_int_equal(dbatch_new(&b, ftype), 0);
    for (int i = first; i < first + n; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%04d", i);
        assert_int_equal(dvec_append_int(dbatch_column(b, 0), i), 0);
        assert_int_equal(dvec_append_bytes(dbatch_column(b, 1), name, strlen(name)), 0);
    }
    assert_int_equal(dbatch_seal(b), 0);
    pq_writer_options wo = PQ_WRITER_OPTIONS_INIT;
    wo.row_group_size_rows = 10;
    pq_writer *w;
    assert_int_equal(pq_writer_open(&w, st, key, 0, ftype, &wo), 0);
    assert_int_equal(pq_writer_write(w, b), 0);
    assert_int_equal(pq_writer_close(w), 0);
    uint64_t size = pq_writer_bytes_written(w);
    pq_writer_free(w);
    dvec_unref(b);
    return size;
}

typedef struct where_case {
    const char *text;
    int kind; /* 0 none, 1 id >= a, 2 id < a OR id = b, 3 name = n(a) */
    int a, b;
} where_case;

static bool model_match(const where_case *w, int id)
{
    switch (w->kind) {
    case 1: return id >= w->a;
    case 2: return id < w->a || id == w->b;
    case 3: return id == w->a;
    default: return true;
    }
}

static void test_scan_row_index(void **state)
{
    (void)state;
    delta_store *st;
    assert_int_equal(delta_store_open(&st, "memory://dv-row-index"), 0);
    dfield f[2];
    assert_int_equal(dfield_init(&f[0], "id", dtype_new(DT_INT64), true), 0);
    assert_int_equal(dfield_init(&f[1], "name", dtype_new(DT_STRING), true), 0);
    dtype *ftype = dtype_new_struct(f, 2);
    /* file a: ids 0..99 at positions 0..99, with a deletion vector;
     * file b: ids 1000..1049, none */
    uint64_t size_a = write_ids(st, "p=1/a.parquet", ftype, 0, 100);
    uint64_t size_b = write_ids(st, "p=2/b.parquet", ftype, 1000, 50);
    uint64_t seed = 2024;
    bool deleted[100] = {false};
    uint64_t del[100];
    size_t ndel = 0;
    for (int i = 0; i < 100; i++)
        if (rng_next(&seed) % 3 == 0 || (i >= 40 && i < 50)) { /* a whole row group too */
            deleted[i] = true;
            del[ndel++] = (uint64_t)i;
        }
    dlog_dv dv;
    assert_int_equal(dtab_dv_write(st, del, ndel, &dv), 0);
    char log[4096];
    snprintf(log, sizeof log,
             "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
             "\"readerFeatures\":[\"deletionVectors\"],\"writerFeatures\":[\"deletionVectors\"]}}\n"
             "{\"metaData\":{\"id\":\"t\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"
             "\"schemaString\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":["
             "{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,"
             "\\\"metadata\\\":{}},{\\\"name\\\":\\\"name\\\",\\\"type\\\":\\\"string\\\","
             "\\\"nullable\\\":true,\\\"metadata\\\":{}},{\\\"name\\\":\\\"p\\\",\\\"type\\\":"
             "\\\"integer\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}\","
             "\"partitionColumns\":[\"p\"],\"configuration\":"
             "{\"delta.enableDeletionVectors\":\"true\"}}}\n"
             "{\"add\":{\"path\":\"p=1/a.parquet\",\"partitionValues\":{\"p\":\"1\"},"
             "\"size\":%llu,\"modificationTime\":1,\"dataChange\":true,"
             "\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"%s\","
             "\"offset\":1,\"sizeInBytes\":%d,\"cardinality\":%lld}}}\n"
             "{\"add\":{\"path\":\"p=2/b.parquet\",\"partitionValues\":{\"p\":\"2\"},"
             "\"size\":%llu,\"modificationTime\":1,\"dataChange\":true}}\n",
             (unsigned long long)size_a, dv.path_or_inline, dv.size_in_bytes,
             (long long)dv.cardinality, (unsigned long long)size_b);
    dtab_dv_desc_clear(&dv);
    assert_int_equal(delta_store_put(st, "_delta_log/00000000000000000000.json", log,
                                     strlen(log)), 0);
    dlog_snapshot *snap;
    assert_int_equal(dlog_snapshot_open(&snap, st, NULL), 0);
    const dlog_live_file *lfa = NULL, *lfb = NULL, *lf;
    size_t it = 0;
    while (dlog_snapshot_next_file(snap, &it, &lf))
        *(strcmp(lf->add.path, "p=1/a.parquet") == 0 ? &lfa : &lfb) = lf;
    assert_non_null(lfa);
    assert_non_null(lfb);

    static const char *const all[] = {"id", "name", "p"};
    static const char *const only_name[] = {"name"};
    static const char *const only_p[] = {"p"};
    static const char *const name_id[] = {"name", "id"};
    struct {
        const char *const *cols;
        size_t n;
    } projections[] = {{NULL, 0}, {all, 3}, {only_name, 1}, {only_p, 1}, {name_id, 2}};
    where_case wheres[] = {
        {NULL, 0, 0, 0},
        {"id >= 35", 1, 35, 0},
        {"id < 12 OR id = 1020", 2, 12, 1020},
        {"name = 'n0077'", 3, 77, 0},
        {"id >= 1045", 1, 1045, 0},
    };
    for (int t = 0; t < 150; t++) {
        int pi = (int)(rng_next(&seed) % 5), wi = (int)(rng_next(&seed) % 5);
        bool reversed = rng_next(&seed) % 3 == 0;
        int64_t limit = rng_next(&seed) % 3 == 0 ? (int64_t)(rng_next(&seed) % 80) : -1;
        dtab_scan_opts o = DTAB_SCAN_OPTS_INIT;
        o.columns = projections[pi].cols;
        o.num_columns = projections[pi].n;
        o.where = wheres[wi].text;
        o.limit = limit;
        o.batch_rows = 1 + (int64_t)(rng_next(&seed) % 40);
        o.row_index = true;
        const dlog_live_file *order[2] = {lfb, lfa};
        if (reversed) {
            o.files = order;
            o.num_files = 2;
        }
        /* the model: (id, position) in scan order */
        int64_t want_id[200], want_pos[200];
        int64_t nwant = 0;
        for (int fi = 0; fi < 2; fi++) {
            bool is_a = reversed ? fi == 1 : fi == 0;
            int first = is_a ? 0 : 1000, n = is_a ? 100 : 50;
            for (int pos = 0; pos < n; pos++) {
                if (is_a && deleted[pos])
                    continue;
                if (!model_match(&wheres[wi], first + pos))
                    continue;
                want_id[nwant] = first + pos;
                want_pos[nwant++] = pos;
            }
        }
        if (limit >= 0 && nwant > limit)
            nwant = limit;
        dstream *ds;
        if (dtab_scan_open(&ds, snap, &o))
            fail_msg("case %d: %s", t, delta_error_last());
        uint32_t nf = ds->schema->num_fields;
        assert_string_equal(ds->schema->fields[nf - 1].name, DTAB_ROW_INDEX_COLUMN);
        assert_int_equal(ds->schema->fields[nf - 1].type->id, DT_INT64);
        assert_false(ds->schema->fields[nf - 1].nullable);
        assert_int_equal(nf, (projections[pi].cols ? projections[pi].n : 3) + 1);
        int id_col = -1;
        for (uint32_t c = 0; c + 1 < nf; c++)
            if (!strcmp(ds->schema->fields[c].name, "id"))
                id_col = (int)c;
        int64_t got = 0;
        dvec *out;
        while (ds->next(ds, &out) == 0 && out) {
            const dvec *ri = out->children[nf - 1];
            if (ri->length != out->length) fail_msg("case %d proj %d where %d limit %lld rev %d: %lld vs %lld", t, pi, wi, (long long)limit, reversed, (long long)ri->length, (long long)out->length);
            assert_int_equal(ri->length, out->length);
            assert_int_equal(ri->null_count, 0);
            for (int64_t r = 0; r < out->length; r++, got++) {
                if (got >= nwant)
                    fail_msg("case %d (%s): more rows than %lld", t,
                             wheres[wi].text ? wheres[wi].text : "-", (long long)nwant);
                int64_t pos = dvec_i64(ri)[r];
                if (pos != want_pos[got])
                    fail_msg("case %d (%s, proj %d, rev %d): row %lld at position %lld, want %lld",
                             t, wheres[wi].text ? wheres[wi].text : "-", pi, reversed,
                             (long long)got, (long long)pos, (long long)want_pos[got]);
                if (id_col >= 0)
                    assert_int_equal(dvec_i64(out->children[id_col])[r], want_id[got]);
            }
            dvec_unref(out);
        }
        ds->free(ds);
        if (got != nwant)
            fail_msg("case %d (%s): %lld rows, want %lld", t,
                     wheres[wi].text ? wheres[wi].text : "-", (long long)got, (long long)nwant);
    }
    /* a table column of that name refuses the row index */
    delta_store *st2;
    assert_int_equal(delta_store_open(&st2, "memory://dv-row-index-clash"), 0);
    const char *log2 =
        "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
        "{\"metaData\":{\"id\":\"t\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"
        "\"schemaString\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":["
        "{\\\"name\\\":\\\"_Delta_Row_Index\\\",\\\"type\\\":\\\"long\\\","
        "\\\"nullable\\\":true,\\\"metadata\\\":{}}]}\","
        "\"partitionColumns\":[],\"configuration\":{}}}\n";
    assert_int_equal(delta_store_put(st2, "_delta_log/00000000000000000000.json", log2,
                                     strlen(log2)), 0);
    dlog_snapshot *snap2;
    assert_int_equal(dlog_snapshot_open(&snap2, st2, NULL), 0);
    dtab_scan_opts o2 = DTAB_SCAN_OPTS_INIT;
    dstream *ds2;
    assert_int_equal(dtab_scan_open(&ds2, snap2, &o2), 0);
    ds2->free(ds2);
    o2.row_index = true;
    assert_int_equal(dtab_scan_open(&ds2, snap2, &o2), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), DTAB_ROW_INDEX_COLUMN));
    dlog_snapshot_free(snap2);
    delta_store_free(st2);
    dlog_snapshot_free(snap);
    dtype_unref(ftype);
    delta_store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_z85),
        cmocka_unit_test(test_serialize_round_trip),
        cmocka_unit_test(test_serialize_edges),
        cmocka_unit_test(test_write_load),
        cmocka_unit_test(test_spark_bytes),
        cmocka_unit_test(test_scan_row_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
