/*
 * OPTIMIZE (bin-packing): the rows of a table are the same multiset
 * before and after; small files of each partition are combined, big files
 * and lone small files left alone; the commit has dataChange=false
 * removes and adds with statistics and OPTIMIZE metrics; --where selects
 * partitions and refuses other columns; deletion vectors are applied; a
 * concurrent append does not fail it, a concurrent remove of a file it
 * rewrites does; a crash at every storage operation leaves the table
 * readable with the same rows.
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
#include "core/error.h"
#include "log/snapshot.h"
#include "log/txn.h"
#include "log/txn_helpers.h"
#include "ops/optimize.h"
#include "storage/tmpdir.h"
#include "table/scan.h"

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"cat\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"v\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";

static dtype *row_type(void)
{
    dfield f[3];
    assert_int_equal(dfield_init(&f[0], "id", dtype_new(DT_INT64), false), 0);
    assert_int_equal(dfield_init(&f[1], "cat", dtype_new(DT_STRING), true), 0);
    assert_int_equal(dfield_init(&f[2], "v", dtype_new(DT_STRING), true), 0);
    return dtype_new_struct(f, 3);
}

/* Creates a table (partitioned by cat or not) with optional properties. */
static char *make_table(bool partitioned, const char *pkey, const char *pval)
{
    char *dir = tmpdir_make("optimize");
    assert_non_null(dir);
    const char *parts[] = {"cat"};
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = SCHEMA;
    co.partition_columns = partitioned ? parts : NULL;
    co.num_partition_columns = partitioned ? 1 : 0;
    const char *keys[] = {pkey}, *vals[] = {pval};
    if (pkey) {
        co.property_keys = keys;
        co.property_values = vals;
        co.num_properties = 1;
    }
    bool created;
    assert_int_equal(delta_table_create(dir, &co, &created), 0);
    return dir;
}

/* Appends n rows with ids from `first`; cat cycles over a, b, null. */
static void append_rows(const char *dir, int64_t first, int n, int ncats)
{
    dtype *t = row_type();
    dvec *b;
    assert_int_equal(dbatch_new(&b, t), 0);
    for (int i = 0; i < n; i++) {
        int64_t id = first + i;
        assert_int_equal(dvec_append_int(b->children[0], id), 0);
        int c = (int)(id % ncats);
        if (c == 2)
            assert_int_equal(dvec_append_null(b->children[1]), 0);
        else
            assert_int_equal(dvec_append_bytes(b->children[1], c ? "b" : "a", 1), 0);
        char v[64];
        int len = snprintf(v, sizeof v, "value-%lld-%s", (long long)id,
                           id % 7 ? "some text to make rows longer" : "x");
        if (id % 11 == 5)
            assert_int_equal(dvec_append_null(b->children[2]), 0);
        else
            assert_int_equal(dvec_append_bytes(b->children[2], v, (size_t)len), 0);
    }
    assert_int_equal(dbatch_seal(b), 0);
    dstream *ds;
    assert_int_equal(dstream_from_batches(&ds, t, &b, 1), 0);
    struct ArrowArrayStream s;
    assert_int_equal(dstream_export(ds, &s), 0);
    delta_table *tb;
    assert_int_equal(delta_table_open(&tb, dir), 0);
    delta_write_options wo = DELTA_WRITE_OPTIONS_INIT;
    assert_int_equal(delta_table_write(tb, &s, &wo, NULL), 0);
    delta_table_free(tb);
    dtype_unref(t); /* the stream took the batch */
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The table's rows (latest version, read through `s`) as sorted lines. */
static char *rows_of(delta_store *s)
{
    dlog_snapshot *snap = th_open(s);
    dstream *ds;
    assert_int_equal(dtab_scan_open(&ds, snap, NULL), 0);
    char **lines = NULL;
    size_t n = 0;
    dbuf line = DBUF_INIT;
    for (;;) {
        dvec *b = NULL;
        assert_int_equal(ds->next(ds, &b), 0);
        if (!b)
            break;
        for (int64_t r = 0; r < b->length; r++) {
            dbuf_reset(&line);
            for (uint32_t c = 0; c < b->type->num_fields; c++) {
                dvec_format_value(b->children[c], r, DFMT_TEXT, &line);
                dbuf_putc(&line, '|');
            }
            lines = realloc(lines, (n + 1) * sizeof *lines);
            lines[n++] = strdup(dbuf_cstr(&line));
        }
        dvec_unref(b);
    }
    ds->free(ds);
    dlog_snapshot_free(snap);
    qsort(lines, n, sizeof *lines, cmp_str);
    dbuf_reset(&line);
    for (size_t i = 0; i < n; i++) {
        dbuf_printf(&line, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    char *out = strdup(dbuf_cstr(&line));
    dbuf_free(&line);
    return out;
}

static char *rows_at(const char *dir)
{
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    char *r = rows_of(s);
    delta_store_free(s);
    return r;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Live files per partition value ("a", "b", "" for null, "*" for all). */
static size_t live_files(delta_store *s, const char *cat)
{
    dlog_snapshot *snap = th_open(s);
    size_t it = 0, n = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(snap, &it, &f)) {
        const char *v = dlog_map_get(&f->add.partition_values, "cat", NULL);
        if (!strcmp(cat, "*") || (v && !strcmp(v, cat)) || (!*cat && (!v || !*v)))
            n++;
    }
    dlog_snapshot_free(snap);
    return n;
}

static int64_t latest(delta_store *s)
{
    dlog_snapshot *snap = th_open(s);
    int64_t v = snap->version;
    dlog_snapshot_free(snap);
    return v;
}

static int optimize(const char *dir, const char *where, int64_t target, delta_optimize_result *r)
{
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_optimize_options o = DELTA_OPTIMIZE_OPTIONS_INIT;
    o.where = where;
    o.target_size = target;
    int rc = delta_table_optimize(t, &o, r);
    delta_table_free(t);
    return rc;
}

static void test_partitions_compacted(void **state)
{
    (void)state;
    char *dir = make_table(true, NULL, NULL);
    for (int w = 0; w < 5; w++)
        append_rows(dir, w * 100, 30, 3);
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    assert_int_equal(live_files(s, "*"), 15);
    char *before = rows_of(s);
    assert_int_equal(count_lines(before), 150);

    delta_optimize_result r;
    assert_int_equal(optimize(dir, NULL, 0, &r), 0);
    assert_int_equal(r.read_version, 5);
    assert_int_equal(r.version, 6);
    assert_int_equal(r.target_size, (int64_t)128 << 20);
    assert_int_equal(r.num_files_removed, 15);
    assert_int_equal(r.num_files_added, 3);
    assert_int_equal(r.partitions_optimized, 3);
    assert_int_equal(r.num_rows, 150);
    assert_int_equal(r.total_files, 15);
    assert_int_equal(r.total_considered_files, 15);
    assert_int_equal(r.total_files_skipped, 0);
    assert_true(r.min_file_size > 0 && r.min_file_size <= r.max_file_size);
    assert_true(r.num_added_bytes > 0 && r.num_added_bytes < r.num_removed_bytes);
    assert_int_equal(live_files(s, "a"), 1);
    assert_int_equal(live_files(s, "b"), 1);
    assert_int_equal(live_files(s, ""), 1);
    char *after = rows_of(s);
    assert_string_equal(before, after);

    /* the commit: dataChange false both ways, stats on the adds, metrics */
    dlog_snapshot *snap = th_open(s);
    size_t it = 0;
    const dlog_live_file *f;
    int64_t bytes = 0;
    while (dlog_snapshot_next_file(snap, &it, &f)) {
        assert_false(f->add.data_change);
        assert_non_null(f->add.stats);
        assert_non_null(strstr(f->add.stats, "\"numRecords\":50"));
        assert_non_null(strstr(f->add.stats, "\"minValues\""));
        bytes += f->add.size;
    }
    assert_int_equal(bytes, r.num_added_bytes);
    it = 0;
    void *val;
    size_t tomb = 0;
    while (dmap_next(snap->tombstones, &it, NULL, NULL, &val)) {
        assert_false(((dlog_tombstone *)val)->remove.data_change);
        tomb++;
    }
    assert_int_equal(tomb, 15);
    assert_true(snap->has_commit_info);
    const char *ci = snap->commit_info.json;
    assert_non_null(strstr(ci, "\"operation\":\"OPTIMIZE\""));
    assert_non_null(strstr(ci, "\"predicate\":\"[]\""));
    assert_non_null(strstr(ci, "\"zOrderBy\":\"[]\""));
    assert_non_null(strstr(ci, "\"numAddedFiles\":\"3\""));
    assert_non_null(strstr(ci, "\"numRemovedFiles\":\"15\""));
    assert_non_null(strstr(ci, "\"numFilesAdded\":\"3\""));
    assert_non_null(strstr(ci, "\"numFilesRemoved\":\"15\""));
    assert_non_null(strstr(ci, "\"partitionsOptimized\":\"3\""));
    assert_non_null(strstr(ci, "\"totalFiles\":\"15\""));
    assert_non_null(strstr(ci, "\"minFileSize\""));
    assert_non_null(strstr(ci, "\"maxFileSize\""));
    assert_non_null(strstr(ci, "\"isBlindAppend\":false"));
    dlog_snapshot_free(snap);

    /* again: one file per partition, nothing to do, nothing committed */
    assert_int_equal(optimize(dir, NULL, 0, &r), 0);
    assert_int_equal(r.version, -1);
    assert_int_equal(r.total_files_skipped, 3);
    assert_int_equal(latest(s), 6);
    free(before);
    free(after);
    delta_store_free(s);
    tmpdir_remove(dir);
}

/* Files at or above the target stay; a small target rolls files. */
static void test_target_size(void **state)
{
    (void)state;
    char *dir = make_table(false, NULL, NULL);
    append_rows(dir, 0, 3000, 3); /* the big file */
    for (int w = 1; w <= 6; w++)
        append_rows(dir, w * 10000, 20, 3);
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    char *before = rows_of(s);
    dlog_snapshot *snap = th_open(s);
    int64_t big = 0, small = 0;
    char *big_path = NULL;
    size_t it = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(snap, &it, &f)) {
        if (f->add.size > big) {
            big = f->add.size;
            free(big_path);
            big_path = strdup(f->canonical);
        }
        if (!small || f->add.size < small)
            small = f->add.size;
    }
    dlog_snapshot_free(snap);
    assert_true(big > 4 * small);

    /* target just below the big file: the six small ones become one */
    delta_optimize_result r;
    assert_int_equal(optimize(dir, NULL, big, &r), 0);
    assert_int_equal(r.num_files_removed, 6);
    assert_int_equal(r.num_files_added, 1);
    assert_int_equal(r.total_files_skipped, 1);
    assert_int_equal(r.num_rows, 120);
    snap = th_open(s);
    assert_non_null(dlog_snapshot_find_file(snap, big_path, NULL));
    assert_int_equal(dlog_snapshot_num_files(snap), 2);
    dlog_snapshot_free(snap);
    char *after = rows_of(s);
    assert_string_equal(before, after);
    free(after);

    /* delta.targetFileSize is the default target; small files roll at it */
    for (int w = 7; w <= 16; w++)
        append_rows(dir, w * 10000, 20, 3);
    free(before);
    before = rows_of(s);
    int64_t target = small * 3;
    assert_int_equal(optimize(dir, NULL, target, &r), 0);
    assert_true(r.num_files_added >= 2);
    assert_true(r.num_files_added < r.num_files_removed);
    snap = th_open(s);
    it = 0;
    size_t below = 0;
    while (dlog_snapshot_next_file(snap, &it, &f))
        if (f->add.size < target)
            below++;
    dlog_snapshot_free(snap);
    assert_true(below <= 1); /* only the last file of the partition */
    after = rows_of(s);
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(big_path);
    delta_store_free(s);
    tmpdir_remove(dir);
}

static void test_table_property_target(void **state)
{
    (void)state;
    char *dir = make_table(false, "delta.targetFileSize", "1000");
    for (int w = 0; w < 3; w++)
        append_rows(dir, w * 100, 5, 3);
    delta_optimize_result r;
    assert_int_equal(optimize(dir, NULL, 0, &r), 0);
    assert_int_equal(r.target_size, 1000);
    assert_int_equal(r.num_files_removed, 3);
    tmpdir_remove(dir);
}

static void test_where(void **state)
{
    (void)state;
    char *dir = make_table(true, NULL, NULL);
    for (int w = 0; w < 3; w++)
        append_rows(dir, w * 100, 9, 3);
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    char *before = rows_of(s);
    delta_optimize_result r;

    /* a non-partition column: refused, naming it; nothing committed */
    assert_int_equal(optimize(dir, "cat = 'a' AND id > 3", 0, &r), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "column 'id' is not a partition column"));
    assert_non_null(strstr(delta_error_last(), "partition columns: cat"));
    assert_int_equal(latest(s), 3);
    /* an unknown column */
    assert_int_not_equal(optimize(dir, "nope = 1", 0, &r), 0);
    assert_non_null(strstr(delta_error_last(), "nope"));
    assert_int_equal(latest(s), 3);

    assert_int_equal(optimize(dir, "cat = 'a'", 0, &r), 0);
    assert_int_equal(r.partitions_optimized, 1);
    assert_int_equal(r.num_files_removed, 3);
    assert_int_equal(r.total_considered_files, 3);
    assert_int_equal(live_files(s, "a"), 1);
    assert_int_equal(live_files(s, "b"), 3);
    assert_int_equal(live_files(s, ""), 3);
    dlog_snapshot *snap = th_open(s);
    assert_non_null(strstr(snap->commit_info.json, "\"predicate\":\"[\\\"cat = 'a'\\\"]\""));
    dlog_snapshot_free(snap);

    /* IS NULL selects the null partition */
    assert_int_equal(optimize(dir, "cat IS NULL", 0, &r), 0);
    assert_int_equal(r.partitions_optimized, 1);
    assert_int_equal(live_files(s, ""), 1);
    assert_int_equal(live_files(s, "b"), 3);
    char *after = rows_of(s);
    assert_string_equal(before, after);
    free(before);
    free(after);
    delta_store_free(s);
    tmpdir_remove(dir);

    /* an unpartitioned table has no partition column to filter on */
    dir = make_table(false, NULL, NULL);
    append_rows(dir, 0, 3, 3);
    assert_int_equal(optimize(dir, "id = 1", 0, &r), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "not partitioned"));
    tmpdir_remove(dir);
}

/* A DV deleting rows 3, 4, 7, 11, 18, 29 (inline). */
#define DV_INLINE                                                                                  \
    "\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":"                               \
    "\"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L\",\"sizeInBytes\":40,"                  \
    "\"cardinality\":6}"

static void test_deletion_vectors_applied(void **state)
{
    (void)state;
    char *dir = make_table(false, "delta.enableDeletionVectors", "true");
    append_rows(dir, 0, 40, 3);
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    /* give the file a deletion vector: remove and add it again with one */
    dlog_snapshot *snap = th_open(s);
    size_t it = 0;
    const dlog_live_file *f;
    assert_true(dlog_snapshot_next_file(snap, &it, &f));
    dlog_tx *tx;
    assert_int_equal(dlog_tx_begin(&tx, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_remove_file(tx, f, true), 0);
    char add[4096];
    snprintf(add, sizeof add,
             "{\"add\":{\"path\":\"%s\",\"partitionValues\":{},\"size\":%lld,"
             "\"modificationTime\":1,\"dataChange\":true,\"stats\":\"{\\\"numRecords\\\":40}\","
             DV_INLINE "}}",
             f->add.path, (long long)f->add.size);
    th_stage(tx, add);
    th_commit(tx);
    dlog_tx_free(tx);
    dlog_snapshot_free(snap);
    char *before = rows_of(s);
    assert_int_equal(count_lines(before), 34);

    /* one small file with a DV is rewritten without the deleted rows */
    delta_optimize_result r;
    assert_int_equal(optimize(dir, NULL, 0, &r), 0);
    assert_int_equal(r.num_files_removed, 1);
    assert_int_equal(r.num_files_added, 1);
    assert_int_equal(r.num_dvs_removed, 1);
    assert_int_equal(r.num_rows, 34);
    snap = th_open(s);
    it = 0;
    assert_true(dlog_snapshot_next_file(snap, &it, &f));
    assert_false(f->add.has_dv);
    assert_non_null(strstr(f->add.stats, "\"numRecords\":34"));
    assert_non_null(strstr(snap->commit_info.json, "\"numDeletionVectorsRemoved\":\"1\""));
    dlog_snapshot_free(snap);
    char *after = rows_of(s);
    assert_string_equal(before, after);
    free(before);
    free(after);
    delta_store_free(s);
    tmpdir_remove(dir);
}

static void test_concurrent_append_ok(void **state)
{
    (void)state;
    char *dir = make_table(true, NULL, NULL);
    for (int w = 0; w < 3; w++)
        append_rows(dir, w * 100, 6, 2);
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s); /* what optimize reads */
    append_rows(dir, 1000, 6, 2);     /* a concurrent append wins version 4 */
    char *before = rows_of(s);
    delta_optimize_result r;
    assert_int_equal(dops_optimize_at(s, snap, NULL, NULL, &r), 0);
    assert_int_equal(r.read_version, 3);
    assert_int_equal(r.version, 5);
    assert_int_equal(r.num_files_removed, 6);
    char *after = rows_of(s);
    assert_string_equal(before, after); /* the appended rows are there too */
    /* the appended files were not part of it: one per partition plus them */
    assert_int_equal(live_files(s, "a"), 2);
    assert_int_equal(live_files(s, "b"), 2);
    free(before);
    free(after);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    tmpdir_remove(dir);
}

static void test_concurrent_remove_conflicts(void **state)
{
    (void)state;
    char *dir = make_table(true, NULL, NULL);
    for (int w = 0; w < 3; w++)
        append_rows(dir, w * 100, 6, 2);
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    char *pa = tmpdir_join(dir, "cat=a"), *pb = tmpdir_join(dir, "cat=b");
    int files_a = tmpdir_count(pa), files_b = tmpdir_count(pb);
    /* a concurrent delete of one file of partition a */
    dlog_snapshot *other = th_open(s);
    size_t it = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(other, &it, &f)) {
        const char *v = dlog_map_get(&f->add.partition_values, "cat", NULL);
        if (v && !strcmp(v, "a"))
            break;
    }
    dlog_tx *tx;
    assert_int_equal(dlog_tx_begin(&tx, s, other, NULL), 0);
    assert_int_equal(dlog_tx_remove_file(tx, f, true), 0);
    assert_int_equal(dlog_tx_set_operation(tx, "DELETE", NULL, NULL), 0);
    th_commit(tx);
    dlog_tx_free(tx);
    dlog_snapshot_free(other);
    char *before = rows_of(s);

    delta_optimize_result r;
    assert_int_equal(dops_optimize_at(s, snap, NULL, NULL, &r), DELTA_ECONFLICT);
    assert_non_null(strstr(delta_error_last(), "version 4"));
    assert_int_equal(r.version, -1);
    assert_int_equal(latest(s), 4);
    /* the files it wrote were deleted again */
    assert_int_equal(tmpdir_count(pa), files_a);
    assert_int_equal(tmpdir_count(pb), files_b);
    free(pa);
    free(pb);
    char *after = rows_of(s);
    assert_string_equal(before, after);
    /* an optimize of only the untouched partition commits */
    delta_optimize_options o = DELTA_OPTIMIZE_OPTIONS_INIT;
    o.where = "cat = 'b'";
    assert_int_equal(dops_optimize_at(s, snap, &o, NULL, &r), 0);
    assert_int_equal(r.version, 5);
    free(after);
    after = rows_of(s);
    assert_string_equal(before, after);
    free(before);
    free(after);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    tmpdir_remove(dir);
}

static void test_crash_at_every_operation(void **state)
{
    (void)state;
    char *want = NULL;
    for (uint64_t n = 1;; n++) {
        char *dir = make_table(true, NULL, NULL);
        for (int w = 0; w < 3; w++)
            append_rows(dir, w * 100, 6, 3);
        if (!want)
            want = rows_at(dir);
        delta_store *inner = NULL, *faulty = NULL;
        assert_int_equal(delta_store_open(&inner, dir), 0);
        assert_int_equal(delta_store_fault_wrap(&faulty, inner, DELTA_FAULT_CRASH, n), 0);
        delta_optimize_result r;
        int rc = dops_optimize(faulty, NULL, NULL, &r);
        delta_fault_stats st;
        delta_store_fault_stats(faulty, &st);
        delta_store_free(faulty);
        /* after the crash: readable, the same rows, committed or not */
        char *got = rows_of(inner);
        assert_string_equal(want, got);
        free(got);
        int64_t v = latest(inner);
        assert_true(v == 3 || v == 4);
        /* recovery: optimize runs again (or has nothing left to do) */
        assert_int_equal(dops_optimize(inner, NULL, NULL, &r), 0);
        assert_int_equal(live_files(inner, "*"), 3);
        got = rows_of(inner);
        assert_string_equal(want, got);
        free(got);
        delta_store_free(inner);
        tmpdir_remove(dir);
        if (!st.crashed) {
            assert_int_equal(rc, 0);
            assert_true(n > 10); /* the loop covered reads, writes and the commit */
            break;
        }
        assert_int_not_equal(rc, 0);
    }
    free(want);
}

/* Seeded property: random tables (partitioned or not, random writes and
 * row counts), random targets and partition predicates: the rows never
 * change, every file added is in a partition selected, and with the
 * default target every selected partition ends with one file. */
static void test_random_tables(void **state)
{
    (void)state;
    static const char *const wheres[] = {NULL, "cat = 'a'", "cat IS NULL", "cat <> 'b'",
                                         "cat IN ('a', 'b')"};
    for (unsigned seed = 1; seed <= 12; seed++) {
        srand(seed);
        bool partitioned = rand() % 4 != 0;
        int ncats = 1 + rand() % 3;
        char *dir = make_table(partitioned, NULL, NULL);
        int writes = 1 + rand() % 6;
        for (int w = 0; w < writes; w++)
            append_rows(dir, w * 1000, 1 + rand() % 60, ncats);
        delta_store *s;
        assert_int_equal(delta_store_open(&s, dir), 0);
        char *before = rows_of(s);
        size_t files_before = live_files(s, "*");
        const char *where = partitioned ? wheres[rand() % 5] : NULL;
        bool small_target = rand() % 2;
        delta_optimize_result r;
        assert_int_equal(optimize(dir, where, small_target ? 700 + rand() % 2000 : 0, &r), 0);
        char *after = rows_of(s);
        assert_string_equal(before, after);
        assert_int_equal(live_files(s, "*"),
                         files_before - (size_t)r.num_files_removed + (size_t)r.num_files_added);
        if (!small_target && !where) {
            /* one file per partition (at most ncats partitions) */
            assert_true(live_files(s, "*") <= (size_t)(partitioned ? ncats : 1));
        }
        if (r.version >= 0) {
            dlog_snapshot *snap = th_open(s);
            size_t it = 0;
            const dlog_live_file *f;
            while (dlog_snapshot_next_file(snap, &it, &f)) {
                if (f->add.data_change)
                    continue; /* not written by the optimize */
                const char *v = dlog_map_get(&f->add.partition_values, "cat", NULL);
                if (where && !strcmp(where, "cat = 'a'"))
                    assert_true(v && !strcmp(v, "a"));
                if (where && !strcmp(where, "cat IS NULL"))
                    assert_true(!v || !*v);
                if (where && !strcmp(where, "cat <> 'b'"))
                    assert_true(v && !strcmp(v, "a")); /* null <> 'b' is NULL */
            }
            dlog_snapshot_free(snap);
        }
        free(before);
        free(after);
        delta_store_free(s);
        tmpdir_remove(dir);
    }
}

static void test_options(void **state)
{
    (void)state;
    char *dir = make_table(false, NULL, NULL);
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_optimize_options o = DELTA_OPTIMIZE_OPTIONS_INIT;
    o.version = 99;
    delta_optimize_result r;
    assert_int_equal(delta_table_optimize(t, &o, &r), DELTA_EINVAL);
    /* an empty table: nothing to do */
    assert_int_equal(delta_table_optimize(t, NULL, &r), 0);
    assert_int_equal(r.version, -1);
    assert_int_equal(r.total_files, 0);
    assert_int_equal(delta_table_optimize(NULL, NULL, &r), DELTA_EINVAL);
    delta_table_free(t);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partitions_compacted),
        cmocka_unit_test(test_target_size),
        cmocka_unit_test(test_table_property_target),
        cmocka_unit_test(test_where),
        cmocka_unit_test(test_deletion_vectors_applied),
        cmocka_unit_test(test_concurrent_append_ok),
        cmocka_unit_test(test_concurrent_remove_conflicts),
        cmocka_unit_test(test_crash_at_every_operation),
        cmocka_unit_test(test_random_tables),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
