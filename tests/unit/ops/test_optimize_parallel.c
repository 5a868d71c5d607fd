/*
 * OPTIMIZE with max_concurrent_tasks: partitions rewritten by several
 * worker threads give the same table as the serial run - the same rows,
 * the same number of files in every partition, the same sizes of files
 * added, the adds of the commit in path order - for bin-packing and for
 * Z-order (with a sort budget small enough to spill). Run under ASan (and
 * TSan: build this test alone with -fsanitize=thread) to check that the
 * scans and writers running at once share no mutable state.
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
#include "log/txn_helpers.h"
#include "storage/tmpdir.h"
#include "table/scan.h"

#define NPARTS 12

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

static char *make_table(void)
{
    char *dir = tmpdir_make("optpar");
    assert_non_null(dir);
    const char *parts[] = {"cat"};
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = SCHEMA;
    co.partition_columns = parts;
    co.num_partition_columns = 1;
    bool created;
    assert_int_equal(delta_table_create(dir, &co, &created), 0);
    return dir;
}

/* Appends n rows from id `first`, spread over NPARTS partitions (one of
 * them null) in a seeded random order. */
static void append_rows(const char *dir, int64_t first, int n, unsigned *seed)
{
    dtype *t = row_type();
    dvec *b;
    assert_int_equal(dbatch_new(&b, t), 0);
    for (int i = 0; i < n; i++) {
        int64_t id = first + i;
        assert_int_equal(dvec_append_int(b->children[0], (int64_t)(rand_r(seed) % 100000)), 0);
        int c = rand_r(seed) % NPARTS;
        char cat[16];
        int clen = snprintf(cat, sizeof cat, "c%02d", c);
        if (c == 0)
            assert_int_equal(dvec_append_null(b->children[1]), 0);
        else
            assert_int_equal(dvec_append_bytes(b->children[1], cat, (size_t)clen), 0);
        char v[64];
        int len = snprintf(v, sizeof v, "value-%lld-padding-text", (long long)id);
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
    dtype_unref(t);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The table's rows as sorted lines, and its live files as sorted lines
 * "partition size" (sizes: the layout, independent of the file names). */
static void table_of(const char *dir, char **rows, char **files)
{
    delta_store *st;
    assert_int_equal(delta_store_open(&st, dir), 0);
    dlog_snapshot *snap = th_open(st);
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
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            n = 0;
            size_t it = 0;
            const dlog_live_file *f;
            while (dlog_snapshot_next_file(snap, &it, &f)) {
                const char *v = dlog_map_get(&f->add.partition_values, "cat", NULL);
                dbuf_reset(&line);
                dbuf_printf(&line, "%s %lld", v && *v ? v : "null", (long long)f->add.size);
                lines = realloc(lines, (n + 1) * sizeof *lines);
                lines[n++] = strdup(dbuf_cstr(&line));
            }
        }
        qsort(lines, n, sizeof *lines, cmp_str);
        dbuf_reset(&line);
        for (size_t i = 0; i < n; i++) {
            dbuf_printf(&line, "%s\n", lines[i]);
            free(lines[i]);
        }
        *(pass ? files : rows) = strdup(dbuf_cstr(&line));
    }
    free(lines);
    dbuf_free(&line);
    dlog_snapshot_free(snap);
    delta_store_free(st);
}

/* The adds of the latest commit are in path order. */
static void assert_adds_sorted(const char *dir)
{
    char log[4096];
    delta_store *st;
    assert_int_equal(delta_store_open(&st, dir), 0);
    dlog_snapshot *snap = th_open(st);
    snprintf(log, sizeof log, "%s/_delta_log/%020lld.json", dir, (long long)snap->version);
    dlog_snapshot_free(snap);
    delta_store_free(st);
    FILE *fp = fopen(log, "r");
    assert_non_null(fp);
    char line[8192], prev[8192] = "";
    size_t nadds = 0;
    while (fgets(line, sizeof line, fp)) {
        char *p = strstr(line, "{\"add\":{\"path\":\"");
        if (!p)
            continue;
        p += strlen("{\"add\":{\"path\":\"");
        char *q = strchr(p, '"');
        assert_non_null(q);
        *q = 0;
        assert_true(strcmp(prev, p) < 0);
        snprintf(prev, sizeof prev, "%s", p);
        nadds++;
    }
    fclose(fp);
    assert_true(nadds > 0);
}

static void optimize(const char *dir, int tasks, int64_t target, bool zorder,
                     delta_optimize_result *r)
{
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_optimize_options o = DELTA_OPTIMIZE_OPTIONS_INIT;
    o.target_size = target;
    o.max_concurrent_tasks = tasks;
    const char *cols[] = {"id"};
    if (zorder) {
        o.zorder_by = cols;
        o.num_zorder_by = 1;
        o.zorder_memory = 64 << 10; /* small: runs spill */
    }
    assert_int_equal(delta_table_optimize(t, &o, r), 0);
    delta_table_free(t);
}

static void same_as_serial(bool zorder, int64_t target)
{
    /* two copies of one table: the same file names, so the same order of
     * reading and the same bytes written */
    char *serial = make_table(), *par = make_table();
    unsigned seed = 7;
    for (int w = 0; w < 6; w++)
        append_rows(serial, w * 10000, 600, &seed);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", par, serial, par);
    assert_int_equal(system(cmd), 0);
    char *rows0, *files0;
    table_of(serial, &rows0, &files0);
    delta_optimize_result rs, rp;
    optimize(serial, 1, target, zorder, &rs);
    optimize(par, 4, target, zorder, &rp);
    assert_true(rs.version > 0 && rp.version == rs.version);
    assert_int_equal(rp.partitions_optimized, NPARTS);
    assert_int_equal(rp.partitions_optimized, rs.partitions_optimized);
    assert_int_equal(rp.num_files_removed, rs.num_files_removed);
    assert_int_equal(rp.num_files_added, rs.num_files_added);
    assert_int_equal(rp.num_added_bytes, rs.num_added_bytes);
    assert_int_equal(rp.num_rows, 3600);
    assert_int_equal(rp.num_rows, rs.num_rows);
    if (zorder)
        assert_true(rp.zorder_runs_spilled > 0);
    char *rows1, *files1, *rows2, *files2;
    table_of(serial, &rows1, &files1);
    table_of(par, &rows2, &files2);
    assert_string_equal(rows0, rows1);
    assert_string_equal(rows1, rows2);
    assert_string_equal(files1, files2); /* per partition: same files, same sizes */
    assert_adds_sorted(par);
    assert_adds_sorted(serial);
    free(rows0);
    free(files0);
    free(rows1);
    free(files1);
    free(rows2);
    free(files2);
    tmpdir_remove(serial);
    tmpdir_remove(par);
}

static void test_binpack_parallel(void **state)
{
    (void)state;
    same_as_serial(false, 0);
    same_as_serial(false, 2000); /* small target: several files a partition */
}

static void test_zorder_parallel(void **state)
{
    (void)state;
    same_as_serial(true, 3000);
}

static void test_bad_task_count(void **state)
{
    (void)state;
    char *dir = make_table();
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_optimize_options o = DELTA_OPTIMIZE_OPTIONS_INIT;
    delta_optimize_result r;
    o.max_concurrent_tasks = -1;
    assert_int_equal(delta_table_optimize(t, &o, &r), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "max_concurrent_tasks"));
    o.max_concurrent_tasks = 100000;
    assert_int_equal(delta_table_optimize(t, &o, &r), DELTA_EINVAL);
    /* version 1 options have no task count: serial */
    o.version = 1;
    assert_int_equal(delta_table_optimize(t, &o, &r), 0);
    delta_table_free(t);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binpack_parallel),
        cmocka_unit_test(test_zorder_parallel),
        cmocka_unit_test(test_bad_task_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
