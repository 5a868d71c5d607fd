/*
 * Optimized writes (delta.autoOptimize.optimizeWrite): input whose rows
 * cycle over 100 partitions, written with few open files, gives many
 * files a partition without the property and one with it (also when the
 * rows held are spilled to temporary files many times); the rows are the
 * same (nested, decimal, timestamp and date columns survive the spill),
 * keep their input order within a partition, and with a small target
 * every partition has at most one file below the target. Input ordered
 * by partition is written partition by partition as it comes. The spill
 * folder is gone afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <delta/storage.h>
#include <delta/table.h>

#include "columnar/format.h"
#include "columnar/vector.h"
#include "core/buf.h"
#include "log/snapshot.h"
#include "log/txn_helpers.h"
#include "storage/tmpdir.h"
#include "table/scan.h"

#define NPARTS 100
#define ROWS 20000 /* 3 input batches of the NDJSON reader, each over every partition */

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"p\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"amount\",\"type\":\"decimal(10,2)\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"ts\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"d\",\"type\":\"date\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"s\",\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"a\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"b\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}}]},"
    "\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"elementType\":\"string\","
    "\"containsNull\":true},\"nullable\":true,\"metadata\":{}}]}";

/* The input rows: cycling over the partitions, or (ordered) partition
 * after partition, with partition `late` coming back at the end. */
static char *input_file_of(const char *dir, const char *name, bool ordered, int late)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < ROWS; i++) {
        int p = ordered ? i / (ROWS / NPARTS) : i % NPARTS;
        if (ordered && late >= 0 && i >= ROWS - ROWS / NPARTS / 2)
            p = late;
        if (p == 7)
            fprintf(fp, "{\"id\":%d,\"p\":null,", i);
        else
            fprintf(fp, "{\"id\":%d,\"p\":%d,", i, p);
        if (i % 13 == 0)
            fprintf(fp, "\"amount\":null,\"ts\":null,\"d\":null,\"s\":null,\"tags\":null}\n");
        else
            fprintf(fp,
                    "\"amount\":%d.%02d,\"ts\":\"2024-03-%02dT10:%02d:%02d.123456Z\","
                    "\"d\":\"2024-02-%02d\",\"s\":{\"a\":\"text-%d\",\"b\":%d.5},"
                    "\"tags\":[\"t%d\",null,\"x\"]}\n",
                    i * 7, i % 100, i % 28 + 1, i % 60, (i / 60) % 60, i % 28 + 1, i, i % 1000,
                    i % 5);
    }
    fclose(fp);
    return path;
}

static char *input_file(const char *dir)
{
    return input_file_of(dir, "input.ndjson", false, -1);
}

static char *make_table(const char *base, const char *name, bool optimize_write)
{
    char *dir = malloc(strlen(base) + strlen(name) + 2);
    sprintf(dir, "%s/%s", base, name);
    const char *parts[] = {"p"};
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = SCHEMA;
    co.partition_columns = parts;
    co.num_partition_columns = 1;
    const char *keys[] = {"delta.autoOptimize.optimizeWrite"}, *vals[] = {"true"};
    if (optimize_write) {
        co.property_keys = keys;
        co.property_values = vals;
        co.num_properties = 1;
    }
    bool created;
    assert_int_equal(delta_table_create(dir, &co, &created), 0);
    return dir;
}

static void write_input(const char *dir, const char *input, int64_t memory, int64_t target)
{
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_write_options wo = DELTA_WRITE_OPTIONS_INIT;
    wo.max_open_files = 8;
    wo.optimize_write_memory = memory;
    wo.target_file_size = target;
    delta_write_result r;
    assert_int_equal(delta_table_write_file(t, input, NULL, &wo, &r), 0);
    assert_int_equal(r.num_rows, ROWS);
    delta_table_free(t);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct layout {
    size_t files;
    size_t max_files_per_part; /* of any partition */
    size_t max_small_per_part; /* files below `small` of any partition */
} layout;

/* The rows as sorted lines; the file layout; checks that within each
 * file ids increase (input order kept). */
static char *table_of(const char *dir, int64_t small, layout *out)
{
    delta_store *st;
    assert_int_equal(delta_store_open(&st, dir), 0);
    dlog_snapshot *snap = th_open(st);
    size_t per[NPARTS + 1] = {0}, smallp[NPARTS + 1] = {0};
    memset(out, 0, sizeof *out);
    size_t it = 0;
    const dlog_live_file *f;
    char **lines = NULL;
    size_t n = 0;
    dbuf line = DBUF_INIT;
    while (dlog_snapshot_next_file(snap, &it, &f)) {
        const char *v = dlog_map_get(&f->add.partition_values, "p", NULL);
        int p = v && *v ? atoi(v) : NPARTS;
        per[p]++;
        if (f->add.size < small)
            smallp[p]++;
        out->files++;
        /* this file's rows, in file order */
        const dlog_live_file *one[1] = {f};
        dtab_scan_opts so = DTAB_SCAN_OPTS_INIT;
        so.files = one;
        so.num_files = 1;
        dstream *ds;
        assert_int_equal(dtab_scan_open(&ds, snap, &so), 0);
        int64_t last = -1;
        for (;;) {
            dvec *b = NULL;
            assert_int_equal(ds->next(ds, &b), 0);
            if (!b)
                break;
            for (int64_t r = 0; r < b->length; r++) {
                int64_t id = ((const int64_t *)b->children[0]->values)[r];
                assert_true(id > last);
                last = id;
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
    }
    for (int p = 0; p <= NPARTS; p++) {
        if (per[p] > out->max_files_per_part)
            out->max_files_per_part = per[p];
        if (smallp[p] > out->max_small_per_part)
            out->max_small_per_part = smallp[p];
    }
    qsort(lines, n, sizeof *lines, cmp_str);
    assert_int_equal(n, ROWS);
    dbuf_reset(&line);
    for (size_t i = 0; i < n; i++) {
        dbuf_printf(&line, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    char *rows = strdup(dbuf_cstr(&line));
    dbuf_free(&line);
    dlog_snapshot_free(snap);
    delta_store_free(st);
    return rows;
}

/* No spill folder of optimized writes is left in $TMPDIR. */
static void assert_no_spill_left(void)
{
    const char *tmp = getenv("TMPDIR");
    DIR *d = opendir(tmp && *tmp ? tmp : "/tmp");
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)))
        assert_null(strstr(de->d_name, "delta-optimize-write-"));
    closedir(d);
}

static void test_one_file_per_partition(void **state)
{
    (void)state;
    char *base = tmpdir_make("optwrite");
    char *input = input_file(base);
    char *plain = make_table(base, "plain", false);
    char *inmem = make_table(base, "inmem", true);
    char *spilled = make_table(base, "spilled", true);
    write_input(plain, input, 0, 0);
    write_input(inmem, input, 0, 0);          /* 128 MiB: held in memory */
    write_input(spilled, input, 64 << 10, 0); /* 64 KiB: many spill runs */
    assert_no_spill_left();
    layout lp, lm, ls;
    char *rp = table_of(plain, 0, &lp);
    char *rm = table_of(inmem, 0, &lm);
    char *rs = table_of(spilled, 0, &ls);
    /* without: a file per partition for nearly every input batch (the
     * LRU closes them; only the last 8 stay open into the next batch) */
    assert_true(lp.files >= 3 * NPARTS - 2 * 8);
    assert_true(lp.max_files_per_part >= 3);
    /* with: one file per partition */
    assert_int_equal(lm.files, NPARTS);
    assert_int_equal(lm.max_files_per_part, 1);
    assert_int_equal(ls.files, NPARTS);
    assert_int_equal(ls.max_files_per_part, 1);
    assert_string_equal(rp, rm);
    assert_string_equal(rp, rs);
    free(rp);
    free(rm);
    free(rs);
    free(input);
    free(plain);
    free(inmem);
    free(spilled);
    tmpdir_remove(base);
}

/* A small target: partitions roll into several files, of which at most
 * the last is below the target. */
static void test_files_near_target(void **state)
{
    (void)state;
    char *base = tmpdir_make("optwrite");
    char *input = input_file(base);
    char *plain = make_table(base, "plain", false);
    char *ow = make_table(base, "ow", true);
    const int64_t target = 4000;
    write_input(plain, input, 0, target);
    write_input(ow, input, 32 << 10, target);
    layout lp, lo;
    char *rp = table_of(plain, target, &lp);
    char *ro = table_of(ow, target, &lo);
    assert_string_equal(rp, ro);
    assert_true(lo.max_files_per_part >= 2); /* the target rolled files */
    assert_true(lo.max_small_per_part <= 1);
    assert_true(lp.max_small_per_part > 1);
    assert_true(lo.files < lp.files);
    free(rp);
    free(ro);
    free(input);
    free(plain);
    free(ow);
    tmpdir_remove(base);
}

/* Input ordered by partition: partitions other than the current one are
 * written when the budget is reached, not spilled; the rows are the
 * same, one file a partition - except a partition whose rows come back
 * after others, which gets a second file (and the rest of the input is
 * then shuffled as interleaved). */
static void test_ordered_input(void **state)
{
    (void)state;
    char *base = tmpdir_make("optwrite");
    char *ordered = input_file_of(base, "ordered.ndjson", true, -1);
    char *late = input_file_of(base, "late.ndjson", true, 3);
    char *plain = make_table(base, "plain", false);
    char *ow = make_table(base, "ow", true);
    char *plain2 = make_table(base, "plain2", false);
    char *ow2 = make_table(base, "ow2", true);
    write_input(plain, ordered, 0, 0);
    write_input(ow, ordered, 64 << 10, 0);
    write_input(plain2, late, 0, 0);
    write_input(ow2, late, 64 << 10, 0);
    assert_no_spill_left();
    layout lp, lo, lp2, lo2;
    char *rp = table_of(plain, 0, &lp);
    char *ro = table_of(ow, 0, &lo);
    char *rp2 = table_of(plain2, 0, &lp2);
    char *ro2 = table_of(ow2, 0, &lo2);
    assert_string_equal(rp, ro);
    assert_string_equal(rp2, ro2);
    assert_int_equal(lo.files, NPARTS);
    assert_int_equal(lo.max_files_per_part, 1);
    /* partition 3, written when the budget was first reached, gets its
     * late rows in a second file; every other partition has one */
    assert_int_equal(lo2.max_files_per_part, 2);
    assert_int_equal(lo2.files, NPARTS + 1);
    free(rp);
    free(ro);
    free(rp2);
    free(ro2);
    free(ordered);
    free(late);
    free(plain);
    free(ow);
    free(plain2);
    free(ow2);
    tmpdir_remove(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_file_per_partition),
        cmocka_unit_test(test_files_near_target),
        cmocka_unit_test(test_ordered_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
