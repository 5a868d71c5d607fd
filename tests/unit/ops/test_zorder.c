/*
 * OPTIMIZE with Z-order: the column keys preserve order (seeded property
 * test) and bits interleave as Morton order says; a Z-ordered table keeps
 * exactly its rows, and a range predicate on the Z-order columns selects
 * strictly fewer files than before (counts asserted through the scan
 * planner); every file of a partition is rewritten (big and lone ones
 * too); the commit carries zOrderBy and zOrderStats; a budget far below
 * the partition's size spills sorted runs and gives the same files as an
 * in-memory sort (also with more runs than one merge pass takes), leaving
 * no spill file behind; partition columns,
 * columns without statistics, unknown and repeated columns are refused
 * with the table unchanged; a concurrent append does not fail it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
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
#include "ops/optimize.h"
#include "ops/zorder.h"
#include "storage/tmpdir.h"
#include "table/scan.h"

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"x\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"y\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"s\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"flag\",\"type\":\"boolean\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"p\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static dtype *row_type(void)
{
    dfield f[5];
    assert_int_equal(dfield_init(&f[0], "x", dtype_new(DT_INT64), true), 0);
    assert_int_equal(dfield_init(&f[1], "y", dtype_new(DT_FLOAT64), true), 0);
    assert_int_equal(dfield_init(&f[2], "s", dtype_new(DT_STRING), true), 0);
    assert_int_equal(dfield_init(&f[3], "flag", dtype_new(DT_BOOL), true), 0);
    assert_int_equal(dfield_init(&f[4], "p", dtype_new(DT_STRING), true), 0);
    return dtype_new_struct(f, 5);
}

static char *make_table(bool partitioned, const char *pkey, const char *pval)
{
    char *dir = tmpdir_make("zorder");
    assert_non_null(dir);
    const char *parts[] = {"p"};
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

/* Appends n rows: x uniform in [0, 1000), y uniform in [0, 1), s from x,
 * every 17th x null; p "a" or "b" when two partitions are asked for. */
static void append_random(const char *dir, int n, int nparts)
{
    dtype *t = row_type();
    dvec *b;
    assert_int_equal(dbatch_new(&b, t), 0);
    for (int i = 0; i < n; i++) {
        int64_t x = (int64_t)(rnd() % 1000);
        if (rnd() % 17 == 0)
            assert_int_equal(dvec_append_null(b->children[0]), 0);
        else
            assert_int_equal(dvec_append_int(b->children[0], x), 0);
        assert_int_equal(dvec_append_double(b->children[1], (double)(rnd() % 1000000) / 1e6), 0);
        char sv[32];
        int len = snprintf(sv, sizeof sv, "key-%04lld", (long long)x);
        assert_int_equal(dvec_append_bytes(b->children[2], sv, (size_t)len), 0);
        assert_int_equal(dvec_append_bool(b->children[3], x % 2), 0);
        const char *p = nparts > 1 && rnd() % 2 ? "b" : "a";
        assert_int_equal(dvec_append_bytes(b->children[4], p, 1), 0);
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

static char *sorted_text(char **lines, size_t n)
{
    qsort(lines, n, sizeof *lines, cmp_str);
    dbuf out = DBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        dbuf_printf(&out, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    char *r = strdup(dbuf_cstr(&out));
    dbuf_free(&out);
    return r;
}

/* The table's rows as sorted lines (a multiset). */
static char *rows_at(const char *dir)
{
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
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
    delta_store_free(s);
    dbuf_free(&line);
    return sorted_text(lines, n);
}

/* The live files' statistics as sorted lines (same files <=> same text,
 * whatever their names). */
static char *file_stats_at(const char *dir)
{
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    size_t it = 0, n = 0;
    const dlog_live_file *f;
    char **lines = NULL;
    while (dlog_snapshot_next_file(snap, &it, &f)) {
        assert_non_null(f->add.stats);
        lines = realloc(lines, (n + 1) * sizeof *lines);
        lines[n++] = strdup(f->add.stats);
    }
    dlog_snapshot_free(snap);
    delta_store_free(s);
    return sorted_text(lines, n);
}

/* Files a scan with `where` selects, and the live files. */
static size_t files_read(const char *dir, const char *where, size_t *total)
{
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    dtab_scan_opts so = DTAB_SCAN_OPTS_INIT;
    so.where = where;
    dtab_scan_counts c;
    assert_int_equal(dtab_scan_plan(snap, &so, &c), 0);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    if (total)
        *total = c.files_total;
    return c.files_selected;
}

static int64_t latest(const char *dir)
{
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    int64_t v = snap->version;
    dlog_snapshot_free(snap);
    delta_store_free(s);
    return v;
}

static int zorder(const char *dir, const char *const *cols, size_t n, int64_t target,
                  int64_t memory, const char *spill_dir, delta_optimize_result *r)
{
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_optimize_options o = DELTA_OPTIMIZE_OPTIONS_INIT;
    o.target_size = target;
    o.zorder_by = cols;
    o.num_zorder_by = n;
    o.zorder_memory = memory;
    o.spill_dir = spill_dir;
    int rc = delta_table_optimize(t, &o, r);
    delta_table_free(t);
    return rc;
}

/* ---- keys ------------------------------------------------------------------------- */

static uint64_t ukey_i(dtype_id id, int64_t i)
{
    dtype *t = dtype_new(id);
    expr_value v;
    memset(&v, 0, sizeof v);
    v.i = i;
    uint64_t u = dops_zorder_ukey(t, &v);
    dtype_unref(t);
    return u;
}

static uint64_t ukey_d(double d)
{
    dtype *t = dtype_new(DT_FLOAT64);
    expr_value v;
    memset(&v, 0, sizeof v);
    v.d = d;
    uint64_t u = dops_zorder_ukey(t, &v);
    dtype_unref(t);
    return u;
}

static uint64_t ukey_s(const char *s)
{
    dtype *t = dtype_new(DT_STRING);
    expr_value v;
    memset(&v, 0, sizeof v);
    v.bytes = (const uint8_t *)s;
    v.len = strlen(s);
    uint64_t u = dops_zorder_ukey(t, &v);
    dtype_unref(t);
    return u;
}

static void test_keys_preserve_order(void **state)
{
    (void)state;
    rng_state = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 20000; i++) {
        int64_t a = (int64_t)rnd(), b = (int64_t)rnd();
        if (i % 3 == 0) {
            a %= 1000;
            b %= 1000;
        }
        if (a != b)
            assert_true((a < b) == (ukey_i(DT_INT64, a) < ukey_i(DT_INT64, b)));
        int32_t da = (int32_t)a, db = (int32_t)b;
        if (da != db)
            assert_true((da < db) == (ukey_i(DT_DATE32, da) < ukey_i(DT_DATE32, db)));
        double x = (double)a / (double)(rnd() % 1000 + 1), y = (double)b * 1e-3;
        if (x != y)
            assert_true((x < y) == (ukey_d(x) < ukey_d(y)));
    }
    assert_true(ukey_d(-INFINITY) < ukey_d(-1e300));
    assert_true(ukey_d(-1e-300) < ukey_d(0.0));
    assert_int_equal(ukey_d(-0.0), ukey_d(0.0));
    assert_true(ukey_d(1e300) < ukey_d(INFINITY));
    assert_true(ukey_d(INFINITY) < ukey_d(NAN));
    assert_true(ukey_s("") < ukey_s("a"));
    assert_true(ukey_s("a") < ukey_s("ab"));
    assert_true(ukey_s("abcdefg") < ukey_s("abcdefgh"));
    assert_int_equal(ukey_s("abcdefgh1"), ukey_s("abcdefgh2")); /* 8-byte prefix */
    assert_true(ukey_s("Z") < ukey_s("a"));
    assert_true(ukey_s("\xc3\xa9") > ukey_s("z")); /* UTF-8 bytes order */
}

static void test_interleave(void **state)
{
    (void)state;
    uint64_t k[2];
    uint32_t v[2] = {3, 0}; /* 11 and 00 -> 1010 */
    dops_zorder_interleave(v, 2, 2, k);
    assert_int_equal(k[0], (uint64_t)0xA << 60);
    assert_int_equal(k[1], 0);
    /* Morton order over a 4x4 grid: (x, y) -> the z-curve index */
    for (uint32_t x = 0; x < 4; x++)
        for (uint32_t y = 0; y < 4; y++) {
            uint32_t xy[2] = {x, y};
            dops_zorder_interleave(xy, 2, 2, k);
            uint32_t want = ((x >> 1) & 1) << 3 | ((y >> 1) & 1) << 2 | (x & 1) << 1 | (y & 1);
            assert_int_equal(k[0] >> 60, want);
        }
    /* 4 columns of 32 bits fill all 128 bits */
    uint32_t all[4] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
    dops_zorder_interleave(all, 4, 32, k);
    assert_int_equal(k[0], UINT64_MAX);
    assert_int_equal(k[1], UINT64_MAX);
    uint32_t low[4] = {0, 0, 0, 1};
    dops_zorder_interleave(low, 4, 32, k);
    assert_int_equal(k[0], 0);
    assert_int_equal(k[1], 1);
}

/* ---- tables ----------------------------------------------------------------------- */

static const char *const XY[] = {"x", "y"};
static const char RANGE[] = "x BETWEEN 200 AND 320 AND y BETWEEN 0.5 AND 0.62";

static void test_rows_kept_and_fewer_files_read(void **state)
{
    (void)state;
    rng_state = 42;
    char *dir = make_table(false, NULL, NULL);
    for (int w = 0; w < 24; w++)
        append_random(dir, 1000, 1);
    char *before = rows_at(dir);
    size_t total_before;
    size_t read_before = files_read(dir, RANGE, &total_before);
    assert_int_equal(total_before, 24);
    assert_int_equal(read_before, 24); /* random rows: every file spans the range */

    delta_optimize_result r;
    assert_int_equal(zorder(dir, XY, 2, 8 << 10, 0, NULL, &r), 0);
    assert_int_equal(r.version, 25);
    assert_int_equal(r.num_files_removed, 24);
    assert_int_equal(r.num_rows, 24 * 1000);
    assert_int_equal(r.partitions_optimized, 1);
    assert_int_equal(r.zorder_runs_spilled, 0);
    assert_true(r.num_files_added >= 8);
    print_message("z-order: %lld files; the range reads ", (long long)r.num_files_added);
    char *after = rows_at(dir);
    assert_string_equal(before, after);

    size_t total_after;
    size_t read_after = files_read(dir, RANGE, &total_after);
    assert_int_equal(total_after, (size_t)r.num_files_added);
    /* the query box is about 1.5% of the x-y plane: a Z-ordered table
     * reads a small fraction of its files, the unordered one all */
    print_message("%zu\n", read_after);
    assert_true(read_after < read_before);
    assert_true(read_after * 3 <= total_after);
    /* a predicate on one of the columns alone also gains */
    assert_true(files_read(dir, "x < 100", NULL) < total_after);
    assert_true(files_read(dir, "y >= 0.9", NULL) < total_after);

    /* the commit */
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    const char *ci = snap->commit_info.json;
    assert_non_null(strstr(ci, "\"operation\":\"OPTIMIZE\""));
    assert_non_null(strstr(ci, "\"zOrderBy\":\"[\\\"x\\\",\\\"y\\\"]\""));
    assert_non_null(strstr(ci, "\"zOrderStats\":\""));
    assert_non_null(strstr(ci, "\\\"numOutputCubes\\\":1"));
    assert_non_null(strstr(ci, "\\\"inputOtherFiles\\\":{\\\"num\\\":24"));
    size_t it = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(snap, &it, &f))
        assert_false(f->add.data_change);
    dlog_snapshot_free(snap);
    delta_store_free(s);

    /* Z-ordering again rewrites every file (big ones too) into the same
     * files: the order is a function of the rows */
    char *stats1 = file_stats_at(dir);
    assert_int_equal(zorder(dir, XY, 2, 8 << 10, 0, NULL, &r), 0);
    assert_int_equal(r.num_files_removed, total_after);
    char *stats2 = file_stats_at(dir);
    assert_string_equal(stats1, stats2);
    free(stats1);
    free(stats2);
    free(before);
    free(after);
    tmpdir_remove(dir);
}

static void test_spill_same_as_memory(void **state)
{
    (void)state;
    char *a = make_table(true, NULL, NULL), *b = make_table(true, NULL, NULL),
         *c = make_table(true, NULL, NULL);
    char *const tables[] = {a, b, c};
    for (int t = 0; t < 3; t++) {
        rng_state = 7;
        for (int w = 0; w < 10; w++)
            append_random(tables[t], 1500, 2);
    }
    char *rows = rows_at(a);
    char *spill_dir = tmpdir_make("zorder-spill");
    const char *const cols[] = {"s", "y", "x"};

    delta_optimize_result ra, rb;
    assert_int_equal(zorder(a, cols, 3, 32 << 10, 0, NULL, &ra), 0);
    assert_int_equal(ra.zorder_runs_spilled, 0);
    /* 64 KiB of sort memory for partitions of about 7500 rows each */
    assert_int_equal(zorder(b, cols, 3, 32 << 10, 64 << 10, spill_dir, &rb), 0);
    assert_true(rb.zorder_runs_spilled >= 4);
    assert_int_equal(rb.partitions_optimized, 2);
    assert_int_equal(tmpdir_count(spill_dir), 0); /* spill folder removed */
    /* 2 KiB: batches of 64 rows, over 100 runs a partition, merged in
     * passes of 64 */
    delta_optimize_result rc;
    assert_int_equal(zorder(c, cols, 3, 32 << 10, 2 << 10, spill_dir, &rc), 0);
    assert_true(rc.zorder_runs_spilled > 2 * 64);
    assert_int_equal(tmpdir_count(spill_dir), 0);

    char *ra_rows = rows_at(a), *rb_rows = rows_at(b);
    assert_string_equal(rows, ra_rows);
    assert_string_equal(rows, rb_rows);
    char *rc_rows = rows_at(c);
    assert_string_equal(rows, rc_rows);
    free(rc_rows);
    char *sa = file_stats_at(a), *sb = file_stats_at(b), *sc = file_stats_at(c);
    assert_string_equal(sa, sb); /* the same files, row for row */
    assert_string_equal(sa, sc);
    free(sc);
    assert_int_equal(ra.num_files_added, rb.num_files_added);
    free(sa);
    free(sb);
    free(rows);
    free(ra_rows);
    free(rb_rows);
    tmpdir_remove(spill_dir);
    tmpdir_remove(a);
    tmpdir_remove(b);
    tmpdir_remove(c);
}

static void test_lone_file_rewritten(void **state)
{
    (void)state;
    rng_state = 3;
    char *dir = make_table(true, NULL, NULL);
    append_random(dir, 3000, 1); /* one file in partition a */
    char *before = rows_at(dir);
    delta_optimize_result r;
    /* bin-packing leaves a lone file alone; Z-order sorts it */
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    assert_int_equal(delta_table_optimize(t, NULL, &r), 0);
    delta_table_free(t);
    assert_int_equal(r.version, -1);
    assert_int_equal(zorder(dir, XY, 2, 8 << 10, 0, NULL, &r), 0);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.num_files_removed, 1);
    assert_true(r.num_files_added > 1);
    char *after = rows_at(dir);
    assert_string_equal(before, after);
    free(before);
    free(after);
    tmpdir_remove(dir);
}

static void refused(const char *dir, const char *const *cols, size_t n, const char *want)
{
    int64_t v = latest(dir);
    delta_optimize_result r;
    assert_int_equal(zorder(dir, cols, n, 0, 0, NULL, &r), DELTA_EINVAL);
    if (!strstr(delta_error_last(), want))
        fail_msg("message '%s' lacks '%s'", delta_error_last(), want);
    assert_int_equal(r.version, -1);
    assert_int_equal(latest(dir), v);
}

static void test_refusals(void **state)
{
    (void)state;
    rng_state = 5;
    char *dir = make_table(true, NULL, NULL);
    append_random(dir, 10, 2);
    append_random(dir, 10, 2);
    const char *const part[] = {"x", "p"};
    refused(dir, part, 2, "'p' is a partition column");
    const char *const boolean[] = {"flag"};
    refused(dir, boolean, 1, "'flag' has no statistics");
    const char *const unknown[] = {"x", "nope"};
    refused(dir, unknown, 2, "'nope' is not a column of the table (columns: x, y, s, flag, p)");
    const char *const twice[] = {"x", "X"};
    refused(dir, twice, 2, "names column 'x' twice");
    const char *many[40];
    for (int i = 0; i < 40; i++)
        many[i] = "x";
    refused(dir, many, 40, "at most 32");
    tmpdir_remove(dir);

    /* beyond delta.dataSkippingNumIndexedCols */
    dir = make_table(false, "delta.dataSkippingNumIndexedCols", "2");
    append_random(dir, 10, 1);
    const char *const s_col[] = {"x", "s"};
    refused(dir, s_col, 2,
            "'s' has no statistics: it is data column 3 and "
            "delta.dataSkippingNumIndexedCols is 2");
    delta_optimize_result r;
    assert_int_equal(zorder(dir, XY, 2, 0, 0, NULL, &r), 0); /* x and y have them */
    tmpdir_remove(dir);

    /* not named in delta.dataSkippingStatsColumns */
    dir = make_table(false, "delta.dataSkippingStatsColumns", "y, s");
    append_random(dir, 10, 1);
    refused(dir, XY, 2, "'x' has no statistics: delta.dataSkippingStatsColumns");
    tmpdir_remove(dir);
}

static void test_concurrent_append_ok(void **state)
{
    (void)state;
    rng_state = 11;
    char *dir = make_table(false, NULL, NULL);
    for (int w = 0; w < 3; w++)
        append_random(dir, 200, 1);
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    append_random(dir, 200, 1); /* wins version 4 */
    char *before = rows_at(dir);
    delta_optimize_options o = DELTA_OPTIMIZE_OPTIONS_INIT;
    o.zorder_by = XY;
    o.num_zorder_by = 2;
    delta_optimize_result r;
    assert_int_equal(dops_optimize_at(s, snap, &o, NULL, &r), 0);
    assert_int_equal(r.read_version, 3);
    assert_int_equal(r.version, 5);
    assert_int_equal(r.num_files_removed, 3);
    char *after = rows_at(dir);
    assert_string_equal(before, after);
    free(before);
    free(after);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_preserve_order),
        cmocka_unit_test(test_interleave),
        cmocka_unit_test(test_rows_kept_and_fewer_files_read),
        cmocka_unit_test(test_spill_same_as_memory),
        cmocka_unit_test(test_lone_file_rewritten),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_concurrent_append_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
