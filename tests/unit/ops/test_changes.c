/*
 * The change data feed (delta_table_changes, ops/changes.c): per commit,
 * change data files give exactly their rows (adds and removes of that
 * commit ignored); otherwise adds are inserts and removes deletes with
 * deletion vectors applied; a remove and add of the same file differing
 * in their deletion vector give the newly deleted positions as deletes
 * and restored positions as inserts; dataChange=false files give nothing;
 * the feed being disabled at any version of the range is refused naming
 * it; bad ranges and options are refused; each row carries its commit's
 * version and timestamp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <roaring/roaring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <delta/dml.h>
#include <delta/parquet.h>
#include <delta/storage.h>
#include <delta/table.h>

#include "columnar/arrow.h"
#include "columnar/format.h"
#include "columnar/vector.h"
#include "core/buf.h"
#include "core/error.h"
#include "log/snapshot.h"
#include "log/txn.h"
#include "log/txn_helpers.h"
#include "ops/changes.h"
#include "storage/tmpdir.h"

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"v\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";

static dtype *row_type(bool change_type)
{
    dfield f[3];
    assert_int_equal(dfield_init(&f[0], "id", dtype_new(DT_INT64), false), 0);
    assert_int_equal(dfield_init(&f[1], "v", dtype_new(DT_STRING), true), 0);
    if (change_type)
        assert_int_equal(dfield_init(&f[2], "_change_type", dtype_new(DT_STRING), true), 0);
    return dtype_new_struct(f, change_type ? 3 : 2);
}

static char *make_table(bool cdf)
{
    char *dir = tmpdir_make("changes");
    assert_non_null(dir);
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = SCHEMA;
    const char *keys[] = {"delta.enableDeletionVectors", "delta.enableChangeDataFeed"};
    const char *vals[] = {"true", "true"};
    co.property_keys = keys;
    co.property_values = vals;
    co.num_properties = cdf ? 2 : 1;
    bool created;
    assert_int_equal(delta_table_create(dir, &co, &created), 0);
    return dir;
}

/* n rows with ids first.., v = "v<id>" (a null every 9th). */
static dvec *rows_batch(int64_t first, int n, const char *change_type)
{
    dtype *t = row_type(change_type != NULL);
    dvec *b;
    assert_int_equal(dbatch_new(&b, t), 0);
    for (int i = 0; i < n; i++) {
        int64_t id = first + i;
        assert_int_equal(dvec_append_int(b->children[0], id), 0);
        char v[32];
        int len = snprintf(v, sizeof v, "v%lld", (long long)id);
        if (id % 9 == 8)
            assert_int_equal(dvec_append_null(b->children[1]), 0);
        else
            assert_int_equal(dvec_append_bytes(b->children[1], v, (size_t)len), 0);
        if (change_type)
            assert_int_equal(
                dvec_append_bytes(b->children[2], change_type, strlen(change_type)), 0);
    }
    assert_int_equal(dbatch_seal(b), 0);
    dtype_unref(t);
    return b;
}

static void append_rows(const char *dir, int64_t first, int n)
{
    dvec *b = rows_batch(first, n, NULL);
    dstream *ds;
    assert_int_equal(dstream_from_batches(&ds, b->type, &b, 1), 0);
    struct ArrowArrayStream s;
    assert_int_equal(dstream_export(ds, &s), 0);
    delta_table *tb;
    assert_int_equal(delta_table_open(&tb, dir), 0);
    delta_write_options wo = DELTA_WRITE_OPTIONS_INIT;
    assert_int_equal(delta_table_write(tb, &s, &wo, NULL), 0);
    delta_table_free(tb);
}

/* ---- deletion vector files ('p': absolute path) -------------------------- */

static void put_be32(dbuf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    dbuf_append(b, x, 4);
}

/* Writes a deletion vector file of rows (< 2^32, ascending) under dir and
 * returns the JSON descriptor ("deletionVector":{...}) in a static buffer. */
static const char *dv_file(const char *dir, const char *name, const uint32_t *rows, size_t n)
{
    dbuf bm = DBUF_INIT, file = DBUF_INIT;
    uint8_t magic[4] = {0xD1, 0xD3, 0x39, 0x64}; /* 1681511377 LE */
    dbuf_append(&bm, magic, 4);
    uint64_t nb = 1;
    dbuf_append(&bm, &nb, 8);
    uint32_t key = 0;
    dbuf_append(&bm, &key, 4);
    roaring_bitmap_t *r = roaring_bitmap_create();
    for (size_t i = 0; i < n; i++)
        roaring_bitmap_add(r, rows[i]);
    size_t sz = roaring_bitmap_portable_size_in_bytes(r);
    uint8_t *p = dbuf_grow(&bm, sz);
    roaring_bitmap_portable_serialize(r, (char *)p);
    roaring_bitmap_free(r);
    dbuf_putc(&file, 1);
    put_be32(&file, (uint32_t)bm.len);
    dbuf_append(&file, bm.data, bm.len);
    put_be32(&file, (uint32_t)crc32(0L, bm.data, (uInt)bm.len));
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(file.data, 1, file.len, fp), file.len);
    fclose(fp);
    static char desc[1400];
    snprintf(desc, sizeof desc,
             "\"deletionVector\":{\"storageType\":\"p\",\"pathOrInlineDv\":\"%s\","
             "\"offset\":1,\"sizeInBytes\":%zu,\"cardinality\":%zu}",
             path, bm.len, n);
    dbuf_free(&bm);
    dbuf_free(&file);
    return desc;
}

/* ---- reading the feed ----------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The feed from..to as sorted lines "VERSION TYPE ID V", or NULL with the
 * error code in *rc. *ts (optional) gets the timestamp of the last row. */
static char *feed(const char *dir, int64_t from, int64_t to, int *rc, int64_t *ts)
{
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_changes_options o = DELTA_CHANGES_OPTIONS_INIT;
    o.from_version = from;
    o.to_version = to;
    struct ArrowArrayStream s;
    *rc = delta_table_changes(t, &o, &s);
    delta_table_free(t); /* the stream keeps what it needs */
    if (*rc)
        return NULL;
    dstream *ds;
    assert_int_equal(dstream_import(&s, &ds), 0);
    assert_int_equal(ds->schema->num_fields, 5);
    assert_string_equal(ds->schema->fields[2].name, "_change_type");
    assert_string_equal(ds->schema->fields[3].name, "_commit_version");
    assert_int_equal(ds->schema->fields[4].type->id, DT_TIMESTAMP);
    assert_true(ds->schema->fields[4].type->utc);
    char **lines = NULL;
    size_t n = 0;
    dbuf line = DBUF_INIT;
    for (;;) {
        dvec *b = NULL;
        int r = ds->next(ds, &b);
        if (r) {
            *rc = r;
            break;
        }
        if (!b)
            break;
        assert_int_equal(dvec_validate(b, true), 0);
        for (int64_t i = 0; i < b->length; i++) {
            dbuf_reset(&line);
            dvec_format_value(b->children[3], i, DFMT_TEXT, &line);
            dbuf_putc(&line, ' ');
            dvec_format_value(b->children[2], i, DFMT_TEXT, &line);
            dbuf_putc(&line, ' ');
            dvec_format_value(b->children[0], i, DFMT_TEXT, &line);
            dbuf_putc(&line, ' ');
            dvec_format_value(b->children[1], i, DFMT_TEXT, &line);
            lines = realloc(lines, (n + 1) * sizeof *lines);
            lines[n++] = strdup(dbuf_cstr(&line));
            if (ts)
                *ts = dvec_i64(b->children[4])[i];
        }
        dvec_unref(b);
    }
    ds->free(ds);
    if (n)
        qsort(lines, n, sizeof *lines, cmp_str);
    dbuf_reset(&line);
    for (size_t i = 0; i < n; i++) {
        dbuf_printf(&line, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    char *out = strdup(dbuf_cstr(&line));
    dbuf_free(&line);
    if (*rc) {
        free(out);
        return NULL;
    }
    return out;
}

/* Sorted lines "VERSION TYPE ID V" for ids first..first+n-1 not listed in
 * skip (ascending), appended to b. */
static void want_rows(dbuf *b, int64_t version, const char *type, int64_t first, int n,
                      const uint32_t *only, size_t nonly, bool invert)
{
    for (int64_t id = first; id < first + n; id++) {
        bool listed = false;
        for (size_t k = 0; k < nonly; k++)
            listed = listed || only[k] == (uint32_t)id;
        if (listed == invert)
            continue;
        if (id % 9 == 8)
            dbuf_printf(b, "%lld %s %lld NULL\n", (long long)version, type, (long long)id);
        else
            dbuf_printf(b, "%lld %s %lld v%lld\n", (long long)version, type, (long long)id,
                        (long long)id);
    }
}

static char *sorted(dbuf *b)
{
    char *text = strdup(dbuf_cstr(b));
    dbuf_free(b);
    size_t n = 0;
    for (char *p = text; *p; p++)
        n += *p == '\n';
    char **lines = calloc(n ? n : 1, sizeof *lines);
    size_t k = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        lines[k++] = l;
    qsort(lines, k, sizeof *lines, cmp_str);
    dbuf o = DBUF_INIT;
    for (size_t i = 0; i < k; i++)
        dbuf_printf(&o, "%s\n", lines[i]);
    free(lines);
    free(text);
    char *out = strdup(dbuf_cstr(&o));
    dbuf_free(&o);
    return out;
}

/* Commits the given action lines (then frees nothing: lines are static). */
static int64_t commit_lines(const char *dir, const char *const *lines, size_t n)
{
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    dlog_tx *tx;
    assert_int_equal(dlog_tx_begin(&tx, s, snap, NULL), 0);
    for (size_t i = 0; i < n; i++)
        th_stage(tx, lines[i]);
    int64_t v = th_commit(tx);
    dlog_tx_free(tx);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    return v;
}

/* The path and size of the table's only live file. */
static void only_file(const char *dir, char *path, size_t cap, int64_t *size)
{
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    assert_int_equal(dlog_snapshot_num_files(snap), 1);
    size_t it = 0;
    const dlog_live_file *f;
    assert_true(dlog_snapshot_next_file(snap, &it, &f));
    snprintf(path, cap, "%s", f->add.path);
    *size = f->add.size;
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static char *line_buf(const char *fmt, ...) DELTA_PRINTF(1, 2);
static char *line_buf(const char *fmt, ...)
{
    static char bufs[8][2048];
    static int next;
    char *b = bufs[next++ % 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof bufs[0], fmt, ap);
    va_end(ap);
    return b;
}

static void test_appends_and_deletion_vectors(void **state)
{
    (void)state;
    char *dir = make_table(true);
    append_rows(dir, 0, 40); /* v1: one file, row position = id */
    char path[512];
    int64_t size;
    only_file(dir, path, sizeof path, &size);
    const uint32_t dv1[] = {3, 4, 7}, dv2[] = {3, 4, 7, 10, 20}, dv3[] = {3};
    char d1[1400], d2[1400], d3[1400];
    snprintf(d1, sizeof d1, "%s", dv_file(dir, "dv1.bin", dv1, 3));
    snprintf(d2, sizeof d2, "%s", dv_file(dir, "dv2.bin", dv2, 5));
    snprintf(d3, sizeof d3, "%s", dv_file(dir, "dv3.bin", dv3, 1));
#define REMOVE(dc, dv)                                                                            \
    line_buf("{\"remove\":{\"path\":\"%s\",\"deletionTimestamp\":1,\"dataChange\":%s,"          \
             "\"partitionValues\":{},\"size\":%lld%s%s}}",                                      \
             path, dc, (long long)size, *(dv) ? "," : "", dv)
#define ADD(dc, dv)                                                                               \
    line_buf("{\"add\":{\"path\":\"%s\",\"partitionValues\":{},\"size\":%lld,"                 \
             "\"modificationTime\":1,\"dataChange\":%s%s%s}}",                                  \
             path, (long long)size, dc, *(dv) ? "," : "", dv)
    /* v2: DELETE of 3, 4, 7 by a first deletion vector */
    const char *v2[] = {REMOVE("true", ""), ADD("true", d1)};
    assert_int_equal(commit_lines(dir, v2, 2), 2);
    /* v3: the vector grows by 10 and 20 */
    const char *v3[] = {REMOVE("true", d1), ADD("true", d2)};
    assert_int_equal(commit_lines(dir, v3, 2), 3);
    /* v4: the file is removed: its remaining rows are deleted */
    const char *v4[] = {REMOVE("true", d2)};
    assert_int_equal(commit_lines(dir, v4, 1), 4);
    /* v5: added again with its vector: the rows it keeps are inserted */
    const char *v5[] = {ADD("true", d2)};
    assert_int_equal(commit_lines(dir, v5, 1), 5);
    /* v6: a smaller vector restores 4, 7, 10 and 20 */
    const char *v6[] = {REMOVE("true", d2), ADD("true", d3)};
    assert_int_equal(commit_lines(dir, v6, 2), 6);
    /* v7: a rewrite without data change gives nothing */
    const char *v7[] = {REMOVE("false", d3), ADD("false", d3)};
    assert_int_equal(commit_lines(dir, v7, 2), 7);

    int rc;
    char *got = feed(dir, 0, -1, &rc, NULL);
    assert_int_equal(rc, 0);
    dbuf w = DBUF_INIT;
    want_rows(&w, 1, "insert", 0, 40, NULL, 0, true);
    want_rows(&w, 2, "delete", 0, 40, dv1, 3, false);
    const uint32_t grown[] = {10, 20}, restored[] = {4, 7, 10, 20};
    want_rows(&w, 3, "delete", 0, 40, grown, 2, false);
    want_rows(&w, 4, "delete", 0, 40, dv2, 5, true);
    want_rows(&w, 5, "insert", 0, 40, dv2, 5, true);
    want_rows(&w, 6, "insert", 0, 40, restored, 4, false);
    char *want = sorted(&w);
    assert_string_equal(want, got);
    free(want);
    free(got);

    /* one version alone; a version without changes */
    got = feed(dir, 3, 3, &rc, NULL);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "3 delete 10 v10\n3 delete 20 v20\n");
    free(got);
    got = feed(dir, 7, 7, &rc, NULL);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "");
    free(got);
    tmpdir_remove(dir);
#undef REMOVE
#undef ADD
}

/* A commit with change data files gives their rows only. */
static void test_change_data_files(void **state)
{
    (void)state;
    char *dir = make_table(true);
    append_rows(dir, 0, 10); /* v1 */
    char path[512];
    int64_t size;
    only_file(dir, path, sizeof path, &size);
    /* two change data files as DELETE/UPDATE write them */
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    const char *keys[2] = {"_change_data/cdc-1.parquet", "_change_data/cdc-2.parquet"};
    dvec *pre = rows_batch(2, 3, "update_preimage");
    dvec *post = rows_batch(102, 3, "update_postimage");
    dvec *del = rows_batch(7, 1, "delete");
    dvec *batches[3] = {pre, post, del};
    for (int f = 0; f < 2; f++) {
        struct ArrowSchema sch;
        assert_int_equal(dtype_export(pre->type, "", false, &sch), 0);
        delta_parquet_writer *w;
        assert_int_equal(delta_parquet_writer_open(&w, s, keys[f], &sch, NULL), 0);
        for (int k = f == 0 ? 0 : 2; k < (f == 0 ? 2 : 3); k++) {
            struct ArrowArray arr;
            assert_int_equal(dvec_export(batches[k], &arr), 0);
            assert_int_equal(delta_parquet_writer_write(w, &arr), 0);
            if (arr.release)
                arr.release(&arr);
        }
        assert_int_equal(delta_parquet_writer_close(w), 0);
        delta_parquet_writer_free(w);
        sch.release(&sch);
    }
    for (int k = 0; k < 3; k++)
        dvec_unref(batches[k]);
    delta_store_free(s);
    /* the remove in the same commit is not read: the cdc files say it all */
    const char *v2[] = {
        line_buf("{\"remove\":{\"path\":\"%s\",\"deletionTimestamp\":1,\"dataChange\":true,"
                 "\"partitionValues\":{},\"size\":%lld}}",
                 path, (long long)size),
        "{\"cdc\":{\"path\":\"_change_data/cdc-1.parquet\",\"partitionValues\":{},"
        "\"size\":1,\"dataChange\":false}}",
        "{\"cdc\":{\"path\":\"_change_data/cdc-2.parquet\",\"partitionValues\":{},"
        "\"size\":1,\"dataChange\":false}}"};
    assert_int_equal(commit_lines(dir, v2, 3), 2);
    int rc;
    char *got = feed(dir, 2, 2, &rc, NULL);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "2 delete 7 v7\n"
                             "2 update_postimage 102 v102\n"
                             "2 update_postimage 103 v103\n"
                             "2 update_postimage 104 v104\n"
                             "2 update_preimage 2 v2\n"
                             "2 update_preimage 3 v3\n"
                             "2 update_preimage 4 v4\n");
    free(got);
    tmpdir_remove(dir);
}

/* The metaData line of the table's latest snapshot with the feed set. */
static char *metadata_with_cdf(const char *dir, const char *value)
{
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    dlog_action a;
    memset(&a, 0, sizeof a);
    a.type = DLOG_ACT_METADATA;
    a.u.metadata = snap->metadata; /* only serialized */
    dbuf b = DBUF_INIT;
    assert_int_equal(dlog_action_serialize(&a, &b), 0);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    char *text = strdup(dbuf_cstr(&b));
    dbuf_free(&b);
    const char *key = "\"delta.enableChangeDataFeed\":\"";
    char *p = strstr(text, key);
    char *out = malloc(strlen(text) + 128);
    if (p) {
        char *end = strchr(p + strlen(key), '"');
        sprintf(out, "%.*s%s%s%s", (int)(p - text), text, key, value, end);
    } else {
        p = strstr(text, "\"configuration\":{");
        assert_non_null(p);
        p += strlen("\"configuration\":{");
        sprintf(out, "%.*s%s%s\",%s", (int)(p - text), text, key, value, p);
    }
    free(text);
    return out;
}

static void test_enabled_throughout(void **state)
{
    (void)state;
    /* not enabled at all */
    char *dir = make_table(false);
    append_rows(dir, 0, 3); /* v1 */
    int rc;
    assert_null(feed(dir, 1, 1, &rc, NULL));
    assert_int_equal(rc, DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "not enabled at version 1"));
    /* enabled at v2: readable from v2 on, not from v1 */
    char *m = metadata_with_cdf(dir, "true");
    const char *v2[] = {m};
    assert_int_equal(commit_lines(dir, v2, 1), 2);
    free(m);
    append_rows(dir, 10, 2); /* v3 */
    assert_null(feed(dir, 1, 3, &rc, NULL));
    assert_int_equal(rc, DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "not enabled at version 1"));
    char *got = feed(dir, 2, 3, &rc, NULL);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "3 insert 10 v10\n3 insert 11 v11\n");
    free(got);
    /* disabled at v4: ranges reaching it are refused naming it */
    m = metadata_with_cdf(dir, "false");
    const char *v4[] = {m};
    assert_int_equal(commit_lines(dir, v4, 1), 4);
    free(m);
    append_rows(dir, 20, 1); /* v5 */
    assert_null(feed(dir, 2, -1, &rc, NULL));
    assert_int_equal(rc, DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "not enabled at version 4"));
    got = feed(dir, 3, 3, &rc, NULL);
    assert_int_equal(rc, 0);
    free(got);
    tmpdir_remove(dir);
}

static void test_ranges_and_timestamps(void **state)
{
    (void)state;
    char *dir = make_table(true);
    append_rows(dir, 0, 2); /* v1 */
    append_rows(dir, 2, 2); /* v2 */
    int rc;
    assert_null(feed(dir, 3, -1, &rc, NULL));
    assert_int_equal(rc, DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "after the latest version 2"));
    assert_null(feed(dir, 0, 3, &rc, NULL));
    assert_int_equal(rc, DELTA_EINVAL);
    assert_null(feed(dir, 2, 1, &rc, NULL));
    assert_int_equal(rc, DELTA_EINVAL);
    assert_null(feed(dir, -1, 1, &rc, NULL));
    assert_int_equal(rc, DELTA_EINVAL);
    /* timestamps: the history's */
    int64_t ts = 0;
    char *got = feed(dir, 2, 2, &rc, &ts);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "2 insert 2 v2\n2 insert 3 v3\n");
    free(got);
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_history *h;
    assert_int_equal(delta_table_history(&h, t, 1), 0);
    delta_commit c;
    assert_int_equal(delta_history_next(h, &c), 1);
    assert_int_equal(c.version, 2);
    assert_int_equal(ts, c.timestamp * 1000);
    delta_history_free(h);
    /* options: version checked */
    delta_changes_options o = DELTA_CHANGES_OPTIONS_INIT;
    o.version = 99;
    struct ArrowArrayStream s;
    assert_int_equal(delta_table_changes(t, &o, &s), DELTA_EINVAL);
    delta_table_free(t);
    /* a commit cleaned from the log */
    char p[1024];
    snprintf(p, sizeof p, "%s/_delta_log/00000000000000000001.json", dir);
    assert_int_equal(unlink(p), 0);
    assert_null(feed(dir, 1, 2, &rc, NULL));
    assert_int_equal(rc, DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "version 1"));
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appends_and_deletion_vectors),
        cmocka_unit_test(test_change_data_files),
        cmocka_unit_test(test_enabled_throughout),
        cmocka_unit_test(test_ranges_and_timestamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
