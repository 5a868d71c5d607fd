/*
 * Auto compaction (delta.autoOptimize.autoCompact): after a write, each
 * partition it touched that holds at least the threshold of small files
 * is bin-packed in an OPTIMIZE commit of its own (operationParameters
 * "auto": true); partitions the write did not touch, and tables without
 * the property, are left alone; rows never change; the write's result
 * says what the compaction did.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <delta/optimize.h>
#include <delta/storage.h>
#include <delta/table.h>

#include "columnar/arrow.h"
#include "columnar/format.h"
#include "columnar/vector.h"
#include "core/buf.h"
#include "log/snapshot.h"
#include "log/txn_helpers.h"
#include "storage/tmpdir.h"
#include "table/scan.h"

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"cat\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";

static char *make_table(bool auto_compact)
{
    char *dir = tmpdir_make("autocompact");
    assert_non_null(dir);
    const char *parts[] = {"cat"};
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = SCHEMA;
    co.partition_columns = parts;
    co.num_partition_columns = 1;
    const char *keys[] = {"delta.autoOptimize.autoCompact"}, *vals[] = {"true"};
    if (auto_compact) {
        co.property_keys = keys;
        co.property_values = vals;
        co.num_properties = 1;
    }
    bool created;
    assert_int_equal(delta_table_create(dir, &co, &created), 0);
    return dir;
}

/* Appends one row with id `id` to each partition of `cats` ("" = null). */
static delta_write_result append(const char *dir, int64_t id, const char *const *cats, size_t ncats,
                                 int min_files)
{
    dfield f[2];
    assert_int_equal(dfield_init(&f[0], "id", dtype_new(DT_INT64), false), 0);
    assert_int_equal(dfield_init(&f[1], "cat", dtype_new(DT_STRING), true), 0);
    dtype *t = dtype_new_struct(f, 2);
    dvec *b;
    assert_int_equal(dbatch_new(&b, t), 0);
    for (size_t i = 0; i < ncats; i++) {
        assert_int_equal(dvec_append_int(b->children[0], id * 10 + (int64_t)i), 0);
        if (*cats[i])
            assert_int_equal(dvec_append_bytes(b->children[1], cats[i], strlen(cats[i])), 0);
        else
            assert_int_equal(dvec_append_null(b->children[1]), 0);
    }
    assert_int_equal(dbatch_seal(b), 0);
    dstream *ds;
    assert_int_equal(dstream_from_batches(&ds, t, &b, 1), 0);
    struct ArrowArrayStream s;
    assert_int_equal(dstream_export(ds, &s), 0);
    delta_table *tb;
    assert_int_equal(delta_table_open(&tb, dir), 0);
    delta_write_options wo = DELTA_WRITE_OPTIONS_INIT;
    wo.auto_compact_min_files = min_files;
    delta_write_result r;
    assert_int_equal(delta_table_write(tb, &s, &wo, &r), 0);
    delta_table_free(tb);
    dtype_unref(t);
    return r;
}

/* Live files of partition cat ("" = null, "*" = all); the sum of ids. */
static size_t live_files(const char *dir, const char *cat, int64_t *idsum)
{
    delta_store *st;
    assert_int_equal(delta_store_open(&st, dir), 0);
    dlog_snapshot *snap = th_open(st);
    size_t it = 0, n = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(snap, &it, &f)) {
        const char *v = dlog_map_get(&f->add.partition_values, "cat", NULL);
        if (!strcmp(cat, "*") || (v && !strcmp(v, cat)) || (!*cat && (!v || !*v)))
            n++;
    }
    if (idsum) {
        *idsum = 0;
        dstream *ds;
        assert_int_equal(dtab_scan_open(&ds, snap, NULL), 0);
        for (;;) {
            dvec *b = NULL;
            assert_int_equal(ds->next(ds, &b), 0);
            if (!b)
                break;
            for (int64_t r = 0; r < b->length; r++)
                *idsum += ((const int64_t *)b->children[0]->values)[r] + 1000000;
            dvec_unref(b);
        }
        ds->free(ds);
    }
    dlog_snapshot_free(snap);
    delta_store_free(st);
    return n;
}

/* The commit file text of a version. */
static char *commit_text(const char *dir, int64_t version)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/_delta_log/%020lld.json", dir, (long long)version);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

static void test_compacts_at_threshold(void **state)
{
    (void)state;
    char *dir = make_table(true);
    const char *cats[] = {"a", "b", ""};
    int64_t want = 0;
    for (int64_t w = 1; w <= 4; w++) {
        delta_write_result r = append(dir, w, cats, 3, 5);
        assert_int_equal(r.auto_compact_error, 0);
        assert_int_equal(r.version, w);
        assert_int_equal(r.auto_compact_version, -1); /* 4 files: below 5 */
        for (int i = 0; i < 3; i++)
            want += w * 10 + i + 1000000;
    }
    assert_int_equal(live_files(dir, "*", NULL), 12);
    delta_write_result r = append(dir, 5, cats, 3, 5);
    for (int i = 0; i < 3; i++)
        want += 50 + i + 1000000;
    assert_int_equal(r.version, 5);
    assert_int_equal(r.auto_compact_version, 6);
    assert_int_equal(r.auto_compact_files_removed, 15);
    assert_int_equal(r.auto_compact_files_added, 3);
    int64_t sum;
    assert_int_equal(live_files(dir, "*", &sum), 3);
    assert_int_equal(sum, want);
    assert_int_equal(live_files(dir, "a", NULL), 1);
    assert_int_equal(live_files(dir, "", NULL), 1);
    const char *ci = commit_text(dir, 6);
    assert_non_null(strstr(ci, "\"operation\":\"OPTIMIZE\""));
    assert_non_null(strstr(ci, "\"auto\":true"));
    assert_non_null(strstr(ci, "\"dataChange\":false"));
    assert_null(strstr(commit_text(dir, 5), "OPTIMIZE"));
    tmpdir_remove(dir);
}

/* Only partitions the write touched are compacted. */
static void test_only_touched_partitions(void **state)
{
    (void)state;
    char *dir = make_table(true);
    const char *ab[] = {"a", "b"}, *a[] = {"a"};
    for (int64_t w = 1; w <= 3; w++) /* a high threshold: nothing compacted */
        assert_int_equal(append(dir, w, ab, 2, 1000).auto_compact_version, -1);
    assert_int_equal(live_files(dir, "b", NULL), 3);
    delta_write_result r = append(dir, 4, a, 1, 3);
    assert_int_equal(r.auto_compact_version, 5);
    assert_int_equal(r.auto_compact_files_removed, 4);
    assert_int_equal(r.auto_compact_files_added, 1);
    assert_int_equal(live_files(dir, "a", NULL), 1);
    assert_int_equal(live_files(dir, "b", NULL), 3); /* untouched: left alone */
    int64_t sum;
    live_files(dir, "*", &sum);
    assert_int_equal(sum, (10 + 11 + 20 + 21 + 30 + 31 + 40) + 7 * 1000000);
    tmpdir_remove(dir);
}

/* Delta's default threshold is 50 small files; without the property
 * nothing is ever compacted. */
static void test_defaults_and_off(void **state)
{
    (void)state;
    char *on = make_table(true), *off = make_table(false);
    const char *a[] = {"a"};
    for (int64_t w = 1; w <= 4; w++) {
        assert_int_equal(append(on, w, a, 1, 0).auto_compact_version, -1);
        assert_int_equal(append(off, w, a, 1, 2).auto_compact_version, -1);
    }
    assert_int_equal(live_files(on, "a", NULL), 4);
    assert_int_equal(live_files(off, "a", NULL), 4);
    tmpdir_remove(on);
    tmpdir_remove(off);
}

/* A compaction that fails leaves the write committed and says why: here
 * the table's delta.targetFileSize is not a size (edited into the log),
 * which the writer ignores (its default applies) and OPTIMIZE refuses. */
static void test_failure_keeps_the_write(void **state)
{
    (void)state;
    char *dir = make_table(true);
    char path[4096];
    snprintf(path, sizeof path, "%s/_delta_log/%020d.json", dir, 0);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    text[n] = 0;
    fclose(fp);
    const char *from = "\"delta.autoOptimize.autoCompact\":\"true\"";
    char *at = strstr(text, from);
    assert_non_null(at);
    char edited[1 << 16];
    snprintf(edited, sizeof edited, "%.*s%s,\"delta.targetFileSize\":\"lots\"%s", (int)(at - text),
             text, from, at + strlen(from));
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(edited, fp);
    fclose(fp);

    const char *a[] = {"a"};
    /* refused before anything is looked at, so also when nothing is due */
    assert_int_equal(append(dir, 1, a, 1, 2).auto_compact_error, DELTA_EINVAL);
    delta_write_result r = append(dir, 2, a, 1, 2);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.num_rows, 1);
    assert_int_equal(r.auto_compact_version, -1);
    assert_int_equal(r.auto_compact_error, DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "auto compaction"));
    assert_non_null(strstr(delta_error_last(), "delta.targetFileSize"));
    int64_t sum;
    assert_int_equal(live_files(dir, "a", &sum), 2);
    assert_int_equal(sum, 10 + 20 + 2 * 1000000);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compacts_at_threshold),
        cmocka_unit_test(test_only_touched_partitions),
        cmocka_unit_test(test_defaults_and_off),
        cmocka_unit_test(test_failure_keeps_the_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
