/*
 * DELETE, UPDATE and MERGE at the C level: what the CLI test against
 * DuckDB cannot reach. A stale snapshot whose files a concurrent commit
 * removed conflicts, leaves the table as the winner left it and deletes
 * what the operation wrote; a concurrent blind append commits alongside
 * and its rows survive (a concurrent update adding a row the predicate
 * matches conflicts); a failure mid-way or a crash at every storage
 * operation of a MERGE or DELETE leaves either the old or the new rows
 * and a rerun finishes the work; a seeded random sequence of
 * operations gives the same rows in copy-on-write and deletion vector
 * tables as a model applied in C, with the change data files the model
 * predicts; the transactions template upsert; the
 * commitInfo metrics; and the edge cases of Delta's rules (no predicate,
 * empty source, joins without equality, NULL keys, several source rows
 * matching one target row).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <delta/dml.h>
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
#include "ops/dml.h"
#include "parquet/record_reader.h"
#include "storage/tmpdir.h"
#include "table/scan.h"

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"cat\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"v\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}";

/* A row of the model: cat 0 'a', 1 'b', 2 null. */
typedef struct mrow {
    int64_t id;
    int cat;
    bool vnull;
    int64_t v;
} mrow;

static const char *const CATS[] = {"a", "b", NULL};

static dtype *row_type(void)
{
    dfield f[3];
    assert_int_equal(dfield_init(&f[0], "id", dtype_new(DT_INT64), false), 0);
    assert_int_equal(dfield_init(&f[1], "cat", dtype_new(DT_STRING), true), 0);
    assert_int_equal(dfield_init(&f[2], "v", dtype_new(DT_INT64), true), 0);
    return dtype_new_struct(f, 3);
}

#define DV "delta.enableDeletionVectors"
#define CDF "delta.enableChangeDataFeed"

/* Creates a table (partitioned by cat or not) with up to two properties
 * set to true. */
static char *make_table_at(const char *uri, bool partitioned, const char *p1, const char *p2)
{
    char *dir = uri ? strdup(uri) : tmpdir_make("dml");
    assert_non_null(dir);
    const char *parts[] = {"cat"};
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = SCHEMA;
    co.partition_columns = partitioned ? parts : NULL;
    co.num_partition_columns = partitioned ? 1 : 0;
    const char *keys[] = {p1, p2}, *vals[] = {"true", "true"};
    co.property_keys = keys;
    co.property_values = vals;
    co.num_properties = p2 ? 2 : p1 ? 1 : 0;
    bool created;
    assert_int_equal(delta_table_create(dir, &co, &created), 0);
    return dir;
}

/* A table in a new temporary directory. */
static char *make_table(bool partitioned, const char *p1, const char *p2)
{
    return make_table_at(NULL, partitioned, p1, p2);
}

/* A table in memory (memory://NAME-N, N counting up): no file system
 * syncs, for the tests that make many tables. */
static char *make_mem_table(const char *name, bool partitioned, const char *p1, const char *p2)
{
    static unsigned n;
    char uri[128];
    snprintf(uri, sizeof uri, "memory://%s-%u", name, ++n);
    return make_table_at(uri, partitioned, p1, p2);
}

/* Appends the rows (one commit). */
static void append_model(const char *dir, const mrow *rows, int n)
{
    dtype *t = row_type();
    dvec *b;
    assert_int_equal(dbatch_new(&b, t), 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(dvec_append_int(b->children[0], rows[i].id), 0);
        const char *c = CATS[rows[i].cat];
        if (c)
            assert_int_equal(dvec_append_bytes(b->children[1], c, 1), 0);
        else
            assert_int_equal(dvec_append_null(b->children[1]), 0);
        if (rows[i].vnull)
            assert_int_equal(dvec_append_null(b->children[2]), 0);
        else
            assert_int_equal(dvec_append_int(b->children[2], rows[i].v), 0);
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

/* Appends n rows with ids first.. : cat cycles a, b, null; v = id * 10,
 * null for every 7th id. */
static void append_ids(const char *dir, int64_t first, int n)
{
    mrow *r = calloc((size_t)n, sizeof *r);
    for (int i = 0; i < n; i++) {
        r[i].id = first + i;
        r[i].cat = (int)((first + i) % 3);
        r[i].vnull = (first + i) % 7 == 6;
        r[i].v = (first + i) * 10;
    }
    append_model(dir, r, n);
    free(r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *sorted_text(char **lines, size_t n)
{
    if (n)
        qsort(lines, n, sizeof *lines, cmp_str);
    dbuf out = DBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        dbuf_printf(&out, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    char *s = strdup(dbuf_cstr(&out));
    dbuf_free(&out);
    return s;
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
    dbuf_free(&line);
    return sorted_text(lines, n);
}

static char *rows_at(const char *dir)
{
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    char *r = rows_of(s);
    delta_store_free(s);
    return r;
}

/* The model's rows in rows_of's form. */
static char *model_text(const mrow *rows, size_t n)
{
    char **lines = calloc(n ? n : 1, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        char buf[128];
        char v[32];
        if (rows[i].vnull)
            snprintf(v, sizeof v, "NULL");
        else
            snprintf(v, sizeof v, "%lld", (long long)rows[i].v);
        snprintf(buf, sizeof buf, "%lld|%s|%s|", (long long)rows[i].id,
                 CATS[rows[i].cat] ? CATS[rows[i].cat] : "NULL", v);
        lines[i] = strdup(buf);
    }
    return sorted_text(lines, n);
}

/* Expected change data rows: "change_type|id|cat|v|" lines. */
typedef struct changes {
    char **lines;
    size_t n;
} changes;

static void change_add(changes *c, const char *type, const mrow *r)
{
    if (!c)
        return;
    char *one = model_text(r, 1);
    one[strlen(one) - 1] = '\0';
    char buf[160];
    snprintf(buf, sizeof buf, "%s|%s", type, one);
    free(one);
    c->lines = realloc(c->lines, (c->n + 1) * sizeof *c->lines);
    c->lines[c->n++] = strdup(buf);
}

/* Takes the lines (c is emptied). */
static char *changes_text(changes *c)
{
    char *t = sorted_text(c->lines ? c->lines : calloc(1, sizeof(char *)), c->n);
    c->lines = NULL;
    c->n = 0;
    return t;
}

/* The change data files of version v (the cdc actions of its commit,
 * partition values from the action) as changes_text has them. */
static char *changes_at(const char *dir, int64_t v)
{
    char name[64];
    snprintf(name, sizeof name, "_delta_log/%020lld.json", (long long)v);
    delta_store *st;
    assert_int_equal(delta_store_open(&st, dir), 0);
    uint8_t *log;
    size_t len;
    assert_int_equal(delta_store_get(st, name, &log, &len), 0);
    changes c = {0};
    dbuf line = DBUF_INIT;
    for (char *text = (char *)log, *nl; text < (char *)log + len; text = nl + 1) {
        nl = memchr(text, '\n', len - (size_t)(text - (char *)log));
        if (!nl)
            nl = (char *)log + len;
        json_error_t err;
        json_t *o = json_loadb(text, (size_t)(nl - text), 0, &err);
        assert_non_null(o);
        json_t *cdc = json_object_get(o, "cdc");
        if (!cdc) {
            json_decref(o);
            continue;
        }
        const char *path = json_string_value(json_object_get(cdc, "path"));
        json_t *pcat = json_object_get(json_object_get(cdc, "partitionValues"), "cat");
        pq_reader *rd;
        if (pq_reader_open(&rd, st, path, NULL))
            fail_msg("%s: %s", path, delta_error_last());
        const dtype *t = pq_reader_schema(rd);
        int col[4] = {-1, -1, -1, -1};
        static const char *const names[4] = {"_change_type", "id", "cat", "v"};
        for (uint32_t k = 0; k < t->num_fields; k++)
            for (int q = 0; q < 4; q++)
                if (!strcmp(t->fields[k].name, names[q]))
                    col[q] = (int)k;
        dstream *ds;
        assert_int_equal(pq_reader_stream(rd, &ds), 0);
        for (;;) {
            dvec *b = NULL;
            assert_int_equal(ds->next(ds, &b), 0);
            if (!b)
                break;
            for (int64_t r = 0; r < b->length; r++) {
                dbuf_reset(&line);
                for (int q = 0; q < 4; q++) {
                    if (col[q] >= 0)
                        dvec_format_value(b->children[col[q]], r, DFMT_TEXT, &line);
                    else if (q == 2 && json_is_string(pcat) && *json_string_value(pcat))
                        dbuf_puts(&line, json_string_value(pcat));
                    else
                        dbuf_puts(&line, "NULL");
                    dbuf_putc(&line, '|');
                }
                c.lines = realloc(c.lines, (c.n + 1) * sizeof *c.lines);
                c.lines[c.n++] = strdup(dbuf_cstr(&line));
            }
            dvec_unref(b);
        }
        ds->free(ds);
        pq_reader_free(rd);
        json_decref(o);
    }
    delta_free(log);
    dbuf_free(&line);
    delta_store_free(st);
    return changes_text(&c);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int64_t latest(delta_store *s)
{
    dlog_snapshot *snap = th_open(s);
    int64_t v = snap->version;
    dlog_snapshot_free(snap);
    return v;
}

static int files_seen;

static int count_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)st;
    (void)ftw;
    files_seen += flag == FTW_F;
    return 0;
}

/* Regular files under the table directory (every file an operation can
 * write: data, deletion vectors, change data). */
static int files_on_disk(const char *dir)
{
    files_seen = 0;
    assert_int_equal(nftw(dir, count_file, 16, FTW_PHYS), 0);
    return files_seen;
}

/* Writes `text` to a new file `name` of `dir`; returns its path. */
static char *write_text(const char *dir, const char *name, const char *text)
{
    char *p = tmpdir_join(dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

/* The source rows as NDJSON. */
static char *ndjson_of(const mrow *rows, size_t n)
{
    dbuf b = DBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        dbuf_printf(&b, "{\"id\":%lld,\"cat\":", (long long)rows[i].id);
        if (CATS[rows[i].cat])
            dbuf_printf(&b, "\"%s\"", CATS[rows[i].cat]);
        else
            dbuf_puts(&b, "null");
        if (rows[i].vnull)
            dbuf_puts(&b, ",\"v\":null}\n");
        else
            dbuf_printf(&b, ",\"v\":%lld}\n", (long long)rows[i].v);
    }
    char *s = strdup(dbuf_cstr(&b));
    dbuf_free(&b);
    return s;
}

/* The commitInfo line of version v. */
static char *commit_info(const char *dir, int64_t v)
{
    char name[64];
    snprintf(name, sizeof name, "_delta_log/%020lld.json", (long long)v);
    char *p = tmpdir_join(dir, name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    free(p);
    char line[65536];
    char *out = NULL;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "{\"commitInfo\"") == line)
            out = strdup(line);
    fclose(f);
    assert_non_null(out);
    return out;
}

static void has(const char *text, const char *what)
{
    if (!strstr(text, what))
        fail_msg("'%s' not in %s", what, text);
}

/* ---- 1. concurrency ------------------------------------------------------ */

static const delta_merge_clause UPSERT[2] = {
    {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, NULL, "v = source.v"},
    {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, NULL, NULL},
};

/* Runs operation `kind` (0 DELETE, 1 UPDATE, 2 MERGE) touching id 5 on
 * snap through store s; `src` is the MERGE source file. */
static int run_kind(int kind, delta_store *s, const dlog_snapshot *snap, const char *src,
                    delta_dml_result *r)
{
    if (kind == 0)
        return dops_predicate_op(s, snap, "DELETE", "id = 5 OR id >= 100", NULL, NULL, r);
    if (kind == 1)
        return dops_predicate_op(s, snap, "UPDATE", "id = 5 OR id >= 100", "v = -1", NULL, r);
    delta_merge_options mo = DELTA_MERGE_OPTIONS_INIT;
    mo.source_path = src;
    mo.on = "target.id = source.id";
    mo.clauses = UPSERT;
    mo.num_clauses = 2;
    return dops_merge(s, snap, &mo, NULL, r);
}

/* What run_kind does to the rows 0..29 (model), appended rows untouched. */
static void apply_kind(int kind, mrow *rows, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        if (rows[i].id != 5)
            continue;
        if (kind == 0) {
            rows[i] = rows[--*n];
            return;
        }
        rows[i].vnull = false;
        rows[i].v = kind == 1 ? -1 : 555;
    }
    if (kind == 2)
        rows[(*n)++] = (mrow){500, 1, false, 5000};
}

static void initial_model(mrow *rows, size_t *n, int64_t first, int count)
{
    for (int i = 0; i < count; i++) {
        int64_t id = first + i;
        rows[(*n)++] = (mrow){id, (int)(id % 3), id % 7 == 6, id * 10};
    }
}

static void concurrency_case(int kind, bool dvs, bool partitioned)
{
    char *src_dir = tmpdir_make("dmlsrc");
    char *src = write_text(src_dir, "src.json",
                           "{\"id\":5,\"cat\":\"c\",\"v\":555}\n{\"id\":500,\"cat\":\"b\",\"v\":5000}\n");

    /* (a) a concurrent DELETE rewrote the file holding id 5 */
    char *dir = make_table(partitioned, dvs ? DV : NULL, dvs ? CDF : NULL);
    for (int w = 0; w < 3; w++)
        append_ids(dir, w * 10, 10);
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_dml_result r;
    assert_int_equal(delta_table_delete(t, "id = 5 OR id = 4", &r), 0);
    assert_int_equal(r.version, 4);
    assert_int_equal(r.num_rows_deleted, 2);
    delta_table_free(t);
    char *before = rows_of(s);
    int files = files_on_disk(dir);
    int rc = run_kind(kind, s, snap, src, &r);
    if (rc != DELTA_ECONFLICT)
        fail_msg("kind %d dvs %d: rc %d: %s", kind, dvs, rc, delta_error_last());
    assert_int_equal(r.version, -1);
    assert_int_equal(latest(s), 4);
    char *after = rows_of(s);
    assert_string_equal(before, after);
    assert_int_equal(files_on_disk(dir), files);
    free(before);
    free(after);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    tmpdir_remove(dir);

    /* (c) DELETE, UPDATE: a concurrent delete in a file the predicate
     * cannot match (statistics) is no conflict */
    if (kind < 2) {
        dir = make_table(partitioned, dvs ? DV : NULL, dvs ? CDF : NULL);
        for (int w = 0; w < 3; w++)
            append_ids(dir, w * 10, 10);
        assert_int_equal(delta_store_open(&s, dir), 0);
        snap = th_open(s);
        assert_int_equal(delta_table_open(&t, dir), 0);
        assert_int_equal(delta_table_delete(t, "id = 25", &r), 0);
        delta_table_free(t);
        rc = run_kind(kind, s, snap, src, &r);
        if (rc)
            fail_msg("kind %d dvs %d disjoint: %s", kind, dvs, delta_error_last());
        assert_int_equal(r.version, 5);
        mrow m[64];
        size_t n = 0;
        initial_model(m, &n, 0, 30);
        m[25] = m[--n];
        apply_kind(kind, m, &n);
        char *want = model_text(m, n), *got = rows_of(s);
        assert_string_equal(want, got);
        free(want);
        free(got);
        dlog_snapshot_free(snap);
        delta_store_free(s);
        tmpdir_remove(dir);
    }

    /* (d) DELETE, UPDATE: a concurrent UPDATE (not a blind append) that
     * adds a row matching the predicate conflicts, as in Delta */
    if (kind < 2) {
        dir = make_table(partitioned, dvs ? DV : NULL, dvs ? CDF : NULL);
        for (int w = 0; w < 3; w++)
            append_ids(dir, w * 10, 10);
        assert_int_equal(delta_store_open(&s, dir), 0);
        snap = th_open(s);
        assert_int_equal(delta_table_open(&t, dir), 0);
        assert_int_equal(delta_table_update(t, "id = 105", "id = 25", &r), 0);
        delta_table_free(t);
        before = rows_of(s);
        rc = run_kind(kind, s, snap, src, &r);
        if (rc != DELTA_ECONFLICT)
            fail_msg("kind %d dvs %d: concurrent update into the predicate: rc %d %s", kind, dvs,
                     rc, rc ? delta_error_last() : "");
        after = rows_of(s);
        assert_string_equal(before, after);
        free(before);
        free(after);
        dlog_snapshot_free(snap);
        delta_store_free(s);
        tmpdir_remove(dir);
    }

    /* (b) a concurrent blind append: the operation commits, the appended
     * rows (some matching its predicate) are untouched */
    dir = make_table(partitioned, dvs ? DV : NULL, dvs ? CDF : NULL);
    for (int w = 0; w < 3; w++)
        append_ids(dir, w * 10, 10);
    assert_int_equal(delta_store_open(&s, dir), 0);
    snap = th_open(s);
    append_ids(dir, 100, 6);
    rc = run_kind(kind, s, snap, src, &r);
    if (rc)
        fail_msg("kind %d dvs %d: %s", kind, dvs, delta_error_last());
    assert_int_equal(r.read_version, 3);
    assert_int_equal(r.version, 5);
    mrow m[64];
    size_t n = 0;
    initial_model(m, &n, 0, 30);
    apply_kind(kind, m, &n);
    initial_model(m, &n, 100, 6);
    char *want = model_text(m, n);
    char *got = rows_of(s);
    assert_string_equal(want, got);
    free(want);
    free(got);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    tmpdir_remove(dir);
    tmpdir_remove(src_dir);
    free(src);
}

static void test_concurrency(void **state)
{
    (void)state;
    for (int kind = 0; kind < 3; kind++)
        for (int dvs = 0; dvs < 2; dvs++)
            concurrency_case(kind, dvs, kind == 1 && dvs);
}

/* ---- 2. crash at every storage operation --------------------------------- */

/* A crash at every storage operation of a MERGE (update and insert) in a
 * deletion vector table, or of a DELETE in a copy-on-write table, both
 * with the change data feed. */
static void crash_case(bool merge)
{
    static const delta_merge_clause cl[2] = {
        {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, NULL, "v = source.v, cat = source.cat"},
        {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, NULL, NULL},
    };
    char *src_dir = tmpdir_make("dmlsrc");
    char *src = write_text(src_dir, "src.json",
                           "{\"id\":3,\"cat\":\"b\",\"v\":-3}\n"
                           "{\"id\":15,\"cat\":\"a\",\"v\":-15}\n"
                           "{\"id\":50,\"cat\":null,\"v\":-50}\n"
                           "{\"id\":51,\"cat\":\"a\",\"v\":null}\n");
    mrow m[64];
    size_t n = 0;
    initial_model(m, &n, 0, 30);
    char *old = model_text(m, n);
    static const char DEL[] = "cat = 'a' OR (id > 20 AND v IS NOT NULL)";
    if (merge) {
        for (size_t i = 0; i < n; i++) {
            if (m[i].id == 3)
                m[i] = (mrow){3, 1, false, -3};
            if (m[i].id == 15)
                m[i] = (mrow){15, 0, false, -15};
        }
        m[n++] = (mrow){50, 2, false, -50};
        m[n++] = (mrow){51, 0, true, 0};
    } else {
        size_t keep = 0;
        for (size_t i = 0; i < n; i++)
            if (!(m[i].cat == 0 || (m[i].id > 20 && !m[i].vnull)))
                m[keep++] = m[i];
        n = keep;
    }
    char *want = model_text(m, n);
    delta_merge_options mo = DELTA_MERGE_OPTIONS_INIT;
    mo.source_path = src;
    mo.on = "target.id = source.id";
    mo.clauses = cl;
    mo.num_clauses = 2;
    for (uint64_t k = 1;; k++) {
        char *dir = make_mem_table("dml-crash", k % 2 == 0, merge ? DV : CDF, merge ? CDF : NULL);
        for (int w = 0; w < 3; w++)
            append_ids(dir, w * 10, 10);
        delta_store *inner = NULL, *faulty = NULL;
        assert_int_equal(delta_store_open(&inner, dir), 0);
        assert_int_equal(delta_store_fault_wrap(&faulty, inner, DELTA_FAULT_CRASH, k), 0);
        /* the snapshot is read through the faulty store too (a crash
         * while reading it is a crash before the merge) */
        dlog_snapshot *snap = NULL;
        delta_dml_result r;
        int rc = dlog_snapshot_open(&snap, faulty, NULL);
        if (!rc)
            rc = merge ? dops_merge(faulty, snap, &mo, NULL, &r)
                       : dops_predicate_op(faulty, snap, "DELETE", DEL, NULL, NULL, &r);
        char err[512];
        snprintf(err, sizeof err, "%s", rc ? delta_error_last() : "");
        dlog_snapshot_free(snap);
        delta_fault_stats st;
        delta_store_fault_stats(faulty, &st);
        delta_store_free(faulty);
        char *got = rows_of(inner);
        int64_t v = latest(inner);
        if (v == 3)
            assert_string_equal(old, got);
        else if (v == 4)
            assert_string_equal(want, got);
        else
            fail_msg("crash at %llu: version %lld", (unsigned long long)k, (long long)v);
        free(got);
        /* a rerun gives the new rows (the operation is idempotent) */
        snap = th_open(inner);
        if (merge ? dops_merge(inner, snap, &mo, NULL, &r)
                  : dops_predicate_op(inner, snap, "DELETE", DEL, NULL, NULL, &r))
            fail_msg("rerun after crash at %llu: %s", (unsigned long long)k, delta_error_last());
        dlog_snapshot_free(snap);
        got = rows_of(inner);
        assert_string_equal(want, got);
        free(got);
        delta_store_free(inner);
        tmpdir_remove(dir);
        if (!st.crashed) {
            if (rc)
                fail_msg("no crash at %llu but %d: %s", (unsigned long long)k, rc, err);
            assert_true(k > 10);
            break;
        }
        assert_int_not_equal(rc, 0);
    }
    free(old);
    free(want);
    free(src);
    tmpdir_remove(src_dir);
}

static void test_crash_merge(void **state)
{
    (void)state;
    crash_case(true);
}

static void test_crash_delete(void **state)
{
    (void)state;
    crash_case(false);
}

/* ---- 3. seeded property test --------------------------------------------- */

/* Predicates over the table's rows, TRUE only as SQL has it (a NULL
 * comparison is not TRUE). */
static const char *const PREDS[] = {
    "id < #",     "cat = 'a'",          "cat IS NULL",           "v > #",
    "cat = 'b' OR v < #", "NOT (v >= #)", "v IS NULL AND id > #",
};
#define NPREDS (sizeof PREDS / sizeof *PREDS)

static bool pred_true(int p, const mrow *r, int64_t k)
{
    switch (p) {
    case 0:
        return r->id < k;
    case 1:
        return r->cat == 0;
    case 2:
        return r->cat == 2;
    case 3:
        return !r->vnull && r->v > k;
    case 4:
        return r->cat == 1 || (!r->vnull && r->v < k);
    case 5:
        return !r->vnull && r->v < k;
    default:
        return r->vnull && r->id > k;
    }
}

static const char *const SETS[] = {"v = v + 1", "v = id * 2", "cat = 'b'", "v = NULL",
                                   "cat = NULL, v = 7"};
#define NSETS (sizeof SETS / sizeof *SETS)

static void set_apply(int s, mrow *r)
{
    switch (s) {
    case 0:
        r->v += 1;
        break;
    case 1:
        r->v = r->id * 2;
        r->vnull = false;
        break;
    case 2:
        r->cat = 1;
        break;
    case 3:
        r->vnull = true;
        break;
    default:
        r->cat = 2;
        r->vnull = false;
        r->v = 7;
    }
}

typedef struct model {
    mrow *rows;
    size_t n, cap;
    int64_t next_id;
} model;

static void model_add(model *m, mrow r)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->rows = realloc(m->rows, m->cap * sizeof *m->rows);
    }
    m->rows[m->n++] = r;
}

static mrow random_row(int64_t id)
{
    mrow r = {id, rand() % 3, rand() % 5 == 0, rand() % 200 - 50};
    if (r.vnull)
        r.v = 0;
    return r;
}

/* MERGE clause sets (ON target.id = source.id). */
static const delta_merge_clause MC0[] = {
    {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, NULL, "v = source.v"},
    {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, NULL, NULL},
};
static const delta_merge_clause MC1[] = {
    {DELTA_MERGE_DELETE, DELTA_WHEN_MATCHED, "source.v > 50", NULL},
    {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, NULL, "v = source.v, cat = source.cat"},
    {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, "source.v IS NOT NULL", NULL},
};
static const delta_merge_clause MC2[] = {
    {DELTA_MERGE_DELETE, DELTA_WHEN_MATCHED, NULL, NULL},
    {DELTA_MERGE_UPDATE, DELTA_WHEN_NOT_MATCHED_BY_SOURCE, "target.v < 0", "v = target.v + 100"},
};
static const delta_merge_clause MC3[] = {
    {DELTA_MERGE_INSERT, DELTA_WHEN_NOT_MATCHED, NULL, "id = source.id, v = source.v"},
    {DELTA_MERGE_DELETE, DELTA_WHEN_NOT_MATCHED_BY_SOURCE, "target.cat = 'a'", NULL},
};
static const delta_merge_clause MC4[] = {
    {DELTA_MERGE_UPDATE_ALL, DELTA_WHEN_MATCHED, "target.cat IS NULL", NULL},
    {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, "source.v < target.v", "v = source.v + target.v"},
};
static const struct {
    const delta_merge_clause *cl;
    size_t n;
} MCS[] = {{MC0, 2}, {MC1, 3}, {MC2, 2}, {MC3, 2}, {MC4, 2}};

/* Whether clause set `which` updates target row t (matched by s, or
 * NULL) even when the new values equal the old ones. */
static bool touched_same(int which, const mrow *s, const mrow *t)
{
    switch (which) {
    case 0:
        return s != NULL;
    case 1:
        return s && !(!s->vnull && s->v > 50);
    case 2:
        return !s && !t->vnull && t->v < 0;
    case 3:
        return false;
    default:
        return s && (t->cat == 2 || (!s->vnull && !t->vnull && s->v < t->v));
    }
}

/* Applies MERGE clause set `which` to the model; counts[3] receives the
 * rows inserted, updated and deleted; `on` 1 joins on cat too. */
static void model_merge(model *m, int which, int on, const mrow *src, size_t ns,
                        int64_t *counts, changes *cd)
{
    counts[0] = counts[1] = counts[2] = 0;
    bool *smatched = calloc(ns ? ns : 1, 1);
    size_t keep = 0;
    for (size_t i = 0; i < m->n; i++) {
        mrow t = m->rows[i];
        const mrow *s = NULL;
        for (size_t j = 0; j < ns; j++)
            if (src[j].id == t.id && (!on || (src[j].cat == t.cat && t.cat != 2))) {
                s = &src[j];
                smatched[j] = true;
            }
        bool del = false;
        switch (which) {
        case 0:
            if (s) {
                t.vnull = s->vnull;
                t.v = s->v;
            }
            break;
        case 1:
            if (s && !s->vnull && s->v > 50)
                del = true;
            else if (s) {
                t.vnull = s->vnull;
                t.v = s->v;
                t.cat = s->cat;
            }
            break;
        case 2:
            if (s)
                del = true;
            else if (!t.vnull && t.v < 0)
                t.v += 100;
            break;
        case 3:
            if (!s && t.cat == 0)
                del = true;
            break;
        default:
            if (s && t.cat == 2)
                t = *s;
            else if (s && !s->vnull && !t.vnull && s->v < t.v)
                t.v = s->v + t.v;
        }
        bool upd = memcmp(&t, &m->rows[i], sizeof t) != 0 || touched_same(which, s, &m->rows[i]);
        if (del) {
            counts[2]++;
            change_add(cd, "delete", &m->rows[i]);
        } else if (upd) {
            counts[1]++;
            change_add(cd, "update_preimage", &m->rows[i]);
            change_add(cd, "update_postimage", &t);
        }
        if (!del)
            m->rows[keep++] = t;
    }
    m->n = keep;
    for (size_t j = 0; j < ns; j++) {
        if (smatched[j])
            continue;
        if (which == 0 || (which == 1 && !src[j].vnull)) {
            model_add(m, src[j]);
            change_add(cd, "insert", &src[j]);
            counts[0]++;
        }
        if (which == 3) {
            model_add(m, (mrow){src[j].id, 2, src[j].vnull, src[j].v});
            change_add(cd, "insert", &m->rows[m->n - 1]);
            counts[0]++;
        }
    }
    free(smatched);
}

static void test_random_ops(void **state)
{
    (void)state;
    char *src_dir = tmpdir_make("dmlsrc");
    int total = 0, changed_ops = 0;
    for (unsigned seed = 1; seed <= 30; seed++) {
        srand(seed);
        bool partitioned = rand() % 2;
        char *cow = make_mem_table("dml-cow", partitioned, NULL, NULL);
        bool cdf = seed % 3 == 0;
        changes cd = {0};
        char *dvt = make_mem_table("dml-dv", partitioned, DV, cdf ? CDF : NULL);
        model m = {0};
        int writes = 1 + rand() % 4;
        for (int w = 0; w < writes; w++) {
            size_t from = m.n;
            int k = 1 + rand() % 25;
            for (int i = 0; i < k; i++)
                model_add(&m, random_row(m.next_id++));
            append_model(cow, m.rows + from, k);
            append_model(dvt, m.rows + from, k);
        }
        delta_table *tc, *td;
        assert_int_equal(delta_table_open(&tc, cow), 0);
        assert_int_equal(delta_table_open(&td, dvt), 0);
        int nops = 8 + rand() % 8;
        for (int op = 0; op < nops; op++, total++) {
            int kind = rand() % 3;
            delta_dml_result rc_, rd_;
            char desc[256];
            if (kind < 2) {
                int p = rand() % (int)(NPREDS + 1);
                int64_t k = p == 0 || p == 6 ? rand() % (m.next_id + 2) : rand() % 200 - 50;
                char where[128];
                if (p < (int)NPREDS) {
                    /* the predicate with # replaced by k */
                    const char *hash = strchr(PREDS[p], '#');
                    if (hash)
                        snprintf(where, sizeof where, "%.*s%lld%s", (int)(hash - PREDS[p]),
                                 PREDS[p], (long long)k, hash + 1);
                    else
                        snprintf(where, sizeof where, "%s", PREDS[p]);
                }
                int s = rand() % (int)NSETS;
                const char *w = p < (int)NPREDS ? where : NULL;
                snprintf(desc, sizeof desc, "%s %s where %s", kind ? "UPDATE" : "DELETE",
                         kind ? SETS[s] : "", w ? w : "-");
                int a, b;
                if (kind == 0) {
                    a = delta_table_delete(tc, w, &rc_);
                    b = delta_table_delete(td, w, &rd_);
                } else {
                    a = delta_table_update(tc, SETS[s], w, &rc_);
                    b = delta_table_update(td, SETS[s], w, &rd_);
                }
                if (a || b)
                    fail_msg("seed %u op %d %s: %s", seed, op, desc, delta_error_last());
                size_t keep = 0;
                int64_t changed = 0;
                for (size_t i = 0; i < m.n; i++) {
                    mrow r = m.rows[i];
                    bool hit = p == (int)NPREDS || pred_true(p, &r, k);
                    changed += hit;
                    if (hit && kind == 0) {
                        change_add(cdf ? &cd : NULL, "delete", &r);
                        continue;
                    }
                    if (hit) {
                        change_add(cdf ? &cd : NULL, "update_preimage", &r);
                        set_apply(s, &r);
                        change_add(cdf ? &cd : NULL, "update_postimage", &r);
                    }
                    m.rows[keep++] = r;
                }
                m.n = keep;
                int64_t ra = kind ? rc_.num_rows_updated : rc_.num_rows_deleted;
                int64_t rb = kind ? rd_.num_rows_updated : rd_.num_rows_deleted;
                changed_ops += changed > 0;
                if (ra != changed || rb != changed)
                    fail_msg("seed %u op %d %s: %lld/%lld rows, model %lld", seed, op, desc,
                             (long long)ra, (long long)rb, (long long)changed);
            } else {
                int which = rand() % 5;
                size_t ns = (size_t)(rand() % 10);
                mrow src[16];
                for (size_t j = 0; j < ns; j++) {
                    /* distinct ids: existing ones and new ones */
                    int64_t id;
                    bool dup;
                    do {
                        id = rand() % (m.next_id + 12);
                        dup = false;
                        for (size_t q = 0; q < j; q++)
                            dup |= src[q].id == id;
                    } while (dup);
                    src[j] = random_row(id);
                }
                for (size_t j = 0; j < ns; j++)
                    if (src[j].id >= m.next_id)
                        m.next_id = src[j].id + 1;
                static const char *const ONS[] = {
                    "target.id = source.id",
                    "source.id = target.id AND target.cat = source.cat"};
                int on = rand() % 2;
                char *text = ndjson_of(src, ns);
                char name[64];
                snprintf(name, sizeof name, "s%u_%d.json", seed, op);
                char *path = write_text(src_dir, name, text);
                /* the source a file, or a table */
                char *stab = NULL;
                delta_table *st = NULL;
                if (ns && rand() % 3 == 0) {
                    stab = make_mem_table("dml-src", rand() % 2, NULL, NULL);
                    append_model(stab, src, (int)ns);
                    assert_int_equal(delta_table_open(&st, stab), 0);
                }
                snprintf(desc, sizeof desc, "MERGE clauses %d on %s source %s%s", which, ONS[on],
                         st ? "(table) " : "", text);
                delta_merge_options mo = DELTA_MERGE_OPTIONS_INIT;
                mo.source_path = st ? NULL : path;
                mo.source_table = st;
                mo.source_format = "json";
                mo.on = ONS[on];
                mo.clauses = MCS[which].cl;
                mo.num_clauses = MCS[which].n;
                if (delta_table_merge(tc, &mo, &rc_) || delta_table_merge(td, &mo, &rd_))
                    fail_msg("seed %u op %d %s: %s", seed, op, desc, delta_error_last());
                int64_t cnt[3];
                model_merge(&m, which, on, src, ns, cnt, cdf ? &cd : NULL);
                if (rc_.num_rows_inserted != cnt[0] || rc_.num_rows_updated != cnt[1] ||
                    rc_.num_rows_deleted != cnt[2])
                    fail_msg("seed %u op %d %s: inserted/updated/deleted %lld/%lld/%lld, "
                             "model %lld/%lld/%lld",
                             seed, op, desc, (long long)rc_.num_rows_inserted,
                             (long long)rc_.num_rows_updated, (long long)rc_.num_rows_deleted,
                             (long long)cnt[0], (long long)cnt[1], (long long)cnt[2]);
                changed_ops += cnt[0] + cnt[1] + cnt[2] > 0;
                assert_int_equal(rc_.num_source_rows, (int64_t)ns);
                assert_int_equal(rc_.num_rows_inserted, rd_.num_rows_inserted);
                assert_int_equal(rc_.num_rows_updated, rd_.num_rows_updated);
                assert_int_equal(rc_.num_rows_deleted, rd_.num_rows_deleted);
                free(text);
                free(path);
                delta_table_free(st);
                if (stab)
                    tmpdir_remove(stab);
            }
            if (cdf) {
                /* the change data feed of the deletion vector table */
                char *cwant = changes_text(&cd);
                if (rd_.version >= 0) {
                    char *cgot = changes_at(dvt, rd_.version);
                    if (strcmp(cwant, cgot))
                        fail_msg("seed %u op %d (%s): change data\nmodel:\n%s\ngot:\n%s", seed,
                                 op, desc, cwant, cgot);
                    free(cgot);
                } else {
                    assert_string_equal(cwant, "");
                }
                free(cwant);
            }
            char *want = model_text(m.rows, m.n);
            char *a = rows_at(cow), *b = rows_at(dvt);
            if (strcmp(want, a) || strcmp(want, b))
                fail_msg("seed %u op %d (%s, partitioned %d):\nmodel:\n%s\ncopy-on-write:\n%s\n"
                         "deletion vectors:\n%s",
                         seed, op, desc, partitioned, want, a, b);
            free(want);
            free(a);
            free(b);
        }
        delta_table_free(tc);
        delta_table_free(td);
        free(m.rows);
        tmpdir_remove(cow);
        tmpdir_remove(dvt);
    }
    assert_true(total >= 300);
    assert_true(changed_ops >= total / 2);
    tmpdir_remove(src_dir);
}

/* ---- 4. the seed's upsert on the transactions template -------------------- */

static void test_transactions_upsert(void **state)
{
    (void)state;
    char *dir = tmpdir_make("dmltx");
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.template_name = "transactions";
    bool created;
    assert_int_equal(delta_table_create(dir, &co, &created), 0);
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    struct ArrowArrayStream gs;
    assert_int_equal(delta_generate_stream("transactions", 200, 7, &gs), 0);
    delta_write_options wo = DELTA_WRITE_OPTIONS_INIT;
    assert_int_equal(delta_table_write(t, &gs, &wo, NULL), 0);

    /* three existing transaction ids */
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    dstream *ds;
    assert_int_equal(dtab_scan_open(&ds, snap, NULL), 0);
    char ids[3][64];
    int got_ids = 0;
    dbuf b = DBUF_INIT;
    for (;;) {
        dvec *bt = NULL;
        assert_int_equal(ds->next(ds, &bt), 0);
        if (!bt)
            break;
        for (int64_t r = 0; r < bt->length && got_ids < 3; r += 7) {
            dbuf_reset(&b);
            dvec_format_value(bt->children[0], r, DFMT_TEXT, &b);
            snprintf(ids[got_ids++], sizeof ids[0], "%s", dbuf_cstr(&b));
        }
        dvec_unref(bt);
    }
    ds->free(ds);
    dbuf_free(&b);
    dlog_snapshot_free(snap);
    assert_int_equal(got_ids, 3);

    /* the source: the three with a new status and updated_at, two new */
    dbuf src = DBUF_INIT;
    for (int i = 0; i < 3; i++)
        dbuf_printf(&src,
                    "{\"transaction_id\":\"%s\",\"status\":\"refunded\","
                    "\"updated_at\":\"2024-05-0%dT10:00:00Z\"}\n",
                    ids[i], i + 1);
    for (int i = 0; i < 2; i++)
        dbuf_printf(&src,
                    "{\"transaction_id\":\"txn_new_%d\",\"order_id\":\"ord_new\","
                    "\"customer_id\":\"C0000001\",\"product_id\":\"P000001\",\"quantity\":%d,"
                    "\"unit_price\":\"10.00\",\"total_amount\":\"%d0.00\",\"currency\":\"USD\","
                    "\"status\":\"pending\",\"transaction_timestamp\":\"2024-03-0%dT12:00:00Z\","
                    "\"updated_at\":\"2024-05-01T11:00:00Z\"}\n",
                    i, i + 1, i + 1, i + 1);
    char *src_dir = tmpdir_make("dmlsrc");
    char *path = write_text(src_dir, "changes.ndjson", dbuf_cstr(&src));
    dbuf_free(&src);

    /* the table gets updated_at from a write with merge_schema (MERGE
     * itself does not evolve the schema) */
    char *seed_row = write_text(src_dir, "seed.ndjson",
                                "{\"transaction_id\":\"txn_seed\",\"order_id\":\"ord_seed\","
                                "\"customer_id\":\"C0000002\",\"product_id\":\"P000002\","
                                "\"quantity\":1,\"unit_price\":\"1.00\",\"total_amount\":\"1.00\","
                                "\"currency\":\"EUR\",\"status\":\"completed\","
                                "\"transaction_timestamp\":\"2024-01-05T00:00:00Z\","
                                "\"updated_at\":\"2024-01-05T00:00:00Z\"}\n");
    wo.merge_schema = true;
    if (delta_table_write_file(t, seed_row, "json", &wo, NULL))
        fail_msg("write: %s", delta_error_last());
    free(seed_row);
    delta_table_free(t);
    assert_int_equal(delta_table_open(&t, dir), 0);

    /* exactly the header's example */
    delta_merge_clause cl[2] = {
        {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, NULL,
         "status = source.status, updated_at = source.updated_at"},
        {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, NULL, NULL},
    };
    delta_merge_options mo = DELTA_MERGE_OPTIONS_INIT;
    mo.source_path = path;
    mo.on = "target.transaction_id = source.transaction_id";
    mo.clauses = cl;
    mo.num_clauses = 2;
    delta_dml_result res;
    if (delta_table_merge(t, &mo, &res))
        fail_msg("merge: %s", delta_error_last());
    assert_int_equal(res.read_version, 2);
    assert_int_equal(res.version, 3);
    assert_int_equal(res.num_source_rows, 5);
    assert_int_equal(res.num_rows_updated, 3);
    assert_int_equal(res.num_rows_inserted, 2);
    assert_int_equal(res.num_rows_deleted, 0);

    char *rows = rows_of(s);
    assert_int_equal(count_lines(rows), 203);
    /* each updated row: its status and updated_at, the rest kept */
    for (int i = 0; i < 3; i++) {
        const char *l = strstr(rows, ids[i]);
        assert_non_null(l);
        const char *e = strchr(l, '\n');
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)(e - l), l);
        has(line, "|refunded|");
        char ts[32];
        snprintf(ts, sizeof ts, "2024-05-0%d", i + 1);
        has(line, ts);
    }
    assert_non_null(strstr(rows, "txn_new_0|ord_new|C0000001|P000001|1|10.00|"));
    assert_non_null(strstr(rows, "txn_new_1|ord_new|C0000001|P000001|2|10.00|"));
    /* generated partition columns of the inserted rows */
    assert_non_null(strstr(rows, "|2024|3|2|"));
    /* the other rows kept their updated_at (null, or the seed row's) */
    assert_non_null(strstr(rows, "txn_seed|ord_seed|"));
    has(rows, "|completed|");
    free(rows);
    delta_store_free(s);
    delta_table_free(t);
    free(path);
    tmpdir_remove(src_dir);
    tmpdir_remove(dir);
}

/* ---- 5. metrics ------------------------------------------------------------ */

static void test_metrics(void **state)
{
    (void)state;
    for (int dvs = 0; dvs < 2; dvs++) {
        char *dir = make_table(false, dvs ? DV : NULL, NULL);
        for (int w = 0; w < 3; w++)
            append_ids(dir, w * 10, 10);
        delta_table *t;
        assert_int_equal(delta_table_open(&t, dir), 0);
        delta_dml_result r;

        /* DELETE 3 of the 10 rows of the first file */
        assert_int_equal(delta_table_delete(t, "id < 3", &r), 0);
        assert_int_equal(r.version, 4);
        char *ci = commit_info(dir, 4);
        has(ci, "\"operation\":\"DELETE\"");
        has(ci, "\"predicate\":\"[\\\"id < 3\\\"]\"");
        has(ci, "\"numDeletedRows\":\"3\"");
        has(ci, "\"numAddedChangeFiles\":\"0\"");
        has(ci, "\"executionTimeMs\"");
        has(ci, "\"isBlindAppend\":false");
        if (dvs) {
            has(ci, "\"numCopiedRows\":\"0\"");
            has(ci, "\"numAddedFiles\":\"0\"");
            has(ci, "\"numRemovedFiles\":\"0\"");
            has(ci, "\"numDeletionVectorsAdded\":\"1\"");
            has(ci, "\"numDeletionVectorsUpdated\":\"0\"");
            has(ci, "\"numDeletionVectorsRemoved\":\"0\"");
        } else {
            has(ci, "\"numCopiedRows\":\"7\"");
            has(ci, "\"numAddedFiles\":\"1\"");
            has(ci, "\"numRemovedFiles\":\"1\"");
            has(ci, "\"numDeletionVectorsAdded\":\"0\"");
        }
        assert_int_equal(r.num_files_skipped, 2);
        free(ci);

        /* UPDATE of rows in two files; in DV mode the first file's vector grows */
        assert_int_equal(delta_table_update(t, "v = 0", "id = 4 OR id = 12", &r), 0);
        ci = commit_info(dir, 5);
        has(ci, "\"operation\":\"UPDATE\"");
        has(ci, "\"numUpdatedRows\":\"2\"");
        if (dvs) {
            has(ci, "\"numCopiedRows\":\"0\"");
            has(ci, "\"numAddedFiles\":\"1\"");
            has(ci, "\"numRemovedFiles\":\"0\"");
            /* as Delta counts them: the grown vector is removed, added and
             * updated, the new one added */
            has(ci, "\"numDeletionVectorsAdded\":\"2\"");
            has(ci, "\"numDeletionVectorsUpdated\":\"1\"");
            has(ci, "\"numDeletionVectorsRemoved\":\"1\"");
            assert_int_equal(r.num_dvs_added, 1);
            assert_int_equal(r.num_dvs_updated, 1);
        } else {
            has(ci, "\"numCopiedRows\":\"15\""); /* 6 + 9 */
            /* each rewritten file becomes its own new file */
            has(ci, "\"numAddedFiles\":\"2\"");
            has(ci, "\"numRemovedFiles\":\"2\"");
        }
        free(ci);

        /* MERGE: 2 matched updated, 1 matched deleted, 2 inserted */
        static const delta_merge_clause cl[3] = {
            {DELTA_MERGE_DELETE, DELTA_WHEN_MATCHED, "source.v < 0", NULL},
            {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, NULL, "v = source.v"},
            {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, NULL, NULL},
        };
        char *src = write_text(dir, "src.json",
                               "{\"id\":21,\"v\":1}\n{\"id\":22,\"v\":2}\n{\"id\":23,\"v\":-1}\n"
                               "{\"id\":90,\"v\":3}\n{\"id\":91,\"v\":4}\n");
        delta_merge_options mo = DELTA_MERGE_OPTIONS_INIT;
        mo.source_path = src;
        mo.on = "target.id = source.id";
        mo.clauses = cl;
        mo.num_clauses = 3;
        assert_int_equal(delta_table_merge(t, &mo, &r), 0);
        assert_int_equal(r.version, 6);
        ci = commit_info(dir, 6);
        has(ci, "\"operation\":\"MERGE\"");
        has(ci, "\"numSourceRows\":\"5\"");
        has(ci, "\"numTargetRowsInserted\":\"2\"");
        has(ci, "\"numTargetRowsUpdated\":\"2\"");
        has(ci, "\"numTargetRowsMatchedUpdated\":\"2\"");
        has(ci, "\"numTargetRowsDeleted\":\"1\"");
        has(ci, "\"numTargetRowsMatchedDeleted\":\"1\"");
        has(ci, "\"numTargetRowsNotMatchedBySourceUpdated\":\"0\"");
        has(ci, "\"numTargetRowsNotMatchedBySourceDeleted\":\"0\"");
        if (dvs) {
            has(ci, "\"numTargetRowsCopied\":\"0\"");
            has(ci, "\"numOutputRows\":\"4\"");
            has(ci, "\"numTargetDeletionVectorsAdded\":\"1\"");
            has(ci, "\"numTargetFilesRemoved\":\"0\"");
        } else {
            has(ci, "\"numTargetRowsCopied\":\"7\"");
            has(ci, "\"numOutputRows\":\"11\"");
            has(ci, "\"numTargetFilesRemoved\":\"1\"");
            has(ci, "\"numTargetDeletionVectorsAdded\":\"0\"");
        }
        has(ci, "\"matchedPredicates\"");
        has(ci, "\"notMatchedPredicates\"");
        free(ci);
        assert_int_equal(r.num_rows_inserted, 2);
        assert_int_equal(r.num_rows_updated, 2);
        assert_int_equal(r.num_rows_deleted, 1);
        free(src);

        /* DELETE of every row left in a file with a vector: removed */
        if (dvs) {
            assert_int_equal(delta_table_delete(t, "id < 10", &r), 0);
            ci = commit_info(dir, 7);
            /* 3, 5..9 of the first file (gone) and 4 of the update's file */
            has(ci, "\"numDeletedRows\":\"7\"");
            has(ci, "\"numRemovedFiles\":\"1\"");
            has(ci, "\"numDeletionVectorsAdded\":\"1\"");
            has(ci, "\"numDeletionVectorsRemoved\":\"1\"");
            free(ci);
        }
        delta_table_free(t);
        tmpdir_remove(dir);
    }
}

/* ---- 6. edge cases --------------------------------------------------------- */

static void test_delete_everything_unread(void **state)
{
    (void)state;
    char *dir = make_table(true, NULL, NULL);
    for (int w = 0; w < 3; w++)
        append_ids(dir, w * 10, 10);
    /* the data files are gone: a delete without predicate must not read them */
    delta_store *s;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    assert_int_equal(dlog_snapshot_num_files(snap), 9);
    static const char *const parts[] = {"cat=a", "cat=b", "cat=__HIVE_DEFAULT_PARTITION__"};
    for (size_t i = 0; i < 3; i++) {
        char *p = tmpdir_join(dir, parts[i]);
        tmpdir_remove(p);
    }
    dlog_snapshot_free(snap);
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_dml_result r;
    if (delta_table_delete(t, NULL, &r))
        fail_msg("%s", delta_error_last());
    assert_int_equal(r.version, 4);
    assert_int_equal(r.num_rows_deleted, 30);
    assert_int_equal(r.num_files_removed, 9);
    assert_int_equal(r.num_files_added, 0);
    char *rows = rows_of(s);
    assert_string_equal(rows, "");
    free(rows);
    /* "" is no predicate too; nothing left: nothing committed */
    assert_int_equal(delta_table_delete(t, "", &r), 0);
    assert_int_equal(r.version, -1);
    assert_int_equal(latest(s), 4);
    delta_table_free(t);
    delta_store_free(s);
    tmpdir_remove(dir);
}

/* An UPDATE failing in its second file (a NULL for the NOT NULL id)
 * after the first was rewritten: an error naming the column, the table
 * unchanged and the files written deleted again. */
static void test_failure_cleans_up(void **state)
{
    (void)state;
    for (int mode = 0; mode < 3; mode++) {
        char *dir = make_table(mode == 2, mode ? DV : NULL, mode ? CDF : NULL);
        for (int w = 0; w < 3; w++)
            append_ids(dir, w * 10, 10);
        char *before = rows_at(dir);
        int files = files_on_disk(dir);
        delta_table *t;
        assert_int_equal(delta_table_open(&t, dir), 0);
        delta_dml_result r;
        int rc = delta_table_update(t, "v = 1, id = CASE WHEN id > 15 THEN NULL ELSE id END",
                                    "id = 3 OR id = 16", &r);
        if (rc != DELTA_EINVAL)
            fail_msg("mode %d: rc %d: %s", mode, rc, delta_error_last());
        has(delta_error_last(), "id");
        assert_int_equal(r.version, -1);
        char *after = rows_at(dir);
        assert_string_equal(before, after);
        if (files_on_disk(dir) != files)
            fail_msg("mode %d: %d files, %d before", mode, files_on_disk(dir), files);
        free(after);
        free(before);
        delta_table_free(t);
        tmpdir_remove(dir);
    }
}

static int merge_at(const char *dir, delta_table *source, const char *src_path, const char *on,
                    const delta_merge_clause *cl, size_t n, delta_dml_result *r)
{
    delta_table *t;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_merge_options mo = DELTA_MERGE_OPTIONS_INIT;
    mo.source_path = src_path;
    mo.source_table = source;
    mo.on = on;
    mo.clauses = cl;
    mo.num_clauses = n;
    int rc = delta_table_merge(t, &mo, r);
    delta_table_free(t);
    return rc;
}

static void test_merge_empty_source(void **state)
{
    (void)state;
    char *dir = make_table(false, NULL, NULL);
    append_ids(dir, 0, 10);
    char *empty = make_table(false, NULL, NULL);
    delta_table *src;
    assert_int_equal(delta_table_open(&src, empty), 0);
    char *before = rows_at(dir);
    delta_dml_result r;
    if (merge_at(dir, src, NULL, "target.id = source.id", UPSERT, 2, &r))
        fail_msg("%s", delta_error_last());
    assert_int_equal(r.version, -1);
    assert_int_equal(r.num_source_rows, 0);
    char *after = rows_at(dir);
    assert_string_equal(before, after);
    free(after);
    /* with NOT MATCHED BY SOURCE DELETE every target row goes */
    static const delta_merge_clause nmbs[1] = {
        {DELTA_MERGE_DELETE, DELTA_WHEN_NOT_MATCHED_BY_SOURCE, NULL, NULL}};
    assert_int_equal(merge_at(dir, src, NULL, "target.id = source.id", nmbs, 1, &r), 0);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.num_rows_deleted, 10);
    after = rows_at(dir);
    assert_string_equal(after, "");
    free(after);
    free(before);
    delta_table_free(src);
    tmpdir_remove(empty);
    tmpdir_remove(dir);
}

static void test_merge_without_equality(void **state)
{
    (void)state;
    char *dir = make_table(false, DV, NULL);
    append_ids(dir, 0, 12);
    char *src = write_text(dir, "ranges.json",
                           "{\"lo\":0,\"hi\":3,\"v\":-1}\n{\"lo\":5,\"hi\":8,\"v\":-2}\n"
                           "{\"lo\":100,\"hi\":101,\"v\":-3}\n");
    static const delta_merge_clause cl[2] = {
        {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, NULL, "v = source.v"},
        {DELTA_MERGE_INSERT, DELTA_WHEN_NOT_MATCHED, NULL, "id = source.lo, v = source.v"},
    };
    delta_dml_result r;
    if (merge_at(dir, NULL, src, "target.id >= source.lo AND target.id < source.hi", cl, 2, &r))
        fail_msg("%s", delta_error_last());
    assert_int_equal(r.num_rows_updated, 6);
    assert_int_equal(r.num_rows_inserted, 1);
    mrow m[32];
    size_t n = 0;
    initial_model(m, &n, 0, 12);
    for (size_t i = 0; i < n; i++) {
        if (m[i].id < 3)
            m[i].v = -1, m[i].vnull = false;
        if (m[i].id >= 5 && m[i].id < 8)
            m[i].v = -2, m[i].vnull = false;
    }
    m[n++] = (mrow){100, 2, false, -3};
    char *want = model_text(m, n), *got = rows_at(dir);
    assert_string_equal(want, got);
    free(want);
    free(got);
    free(src);
    tmpdir_remove(dir);
}

static void test_merge_null_keys(void **state)
{
    (void)state;
    char *dir = make_table(false, NULL, NULL);
    append_ids(dir, 0, 14); /* v null for ids 6 and 13 */
    char *src = write_text(dir, "src.json",
                           "{\"id\":1000,\"cat\":\"a\",\"v\":null}\n"
                           "{\"id\":1001,\"cat\":\"a\",\"v\":30}\n");
    static const delta_merge_clause cl[2] = {
        {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, NULL, "cat = 'b'"},
        {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, NULL, NULL},
    };
    delta_dml_result r;
    if (merge_at(dir, NULL, src, "target.v = source.v", cl, 2, &r))
        fail_msg("%s", delta_error_last());
    assert_int_equal(r.num_rows_updated, 1);
    assert_int_equal(r.num_rows_inserted, 1);
    mrow m[32];
    size_t n = 0;
    initial_model(m, &n, 0, 14);
    m[3].cat = 1;
    m[n++] = (mrow){1000, 0, true, 0};
    char *want = model_text(m, n), *got = rows_at(dir);
    assert_string_equal(want, got);
    free(want);
    free(got);
    /* the null-safe comparison matches nulls: one source row, three
     * target rows (ids 6, 13 and 1000) */
    static const delta_merge_clause upd[1] = {
        {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, NULL, "cat = 'b'"}};
    char *src2 = write_text(dir, "src2.json", "{\"id\":1,\"cat\":\"a\",\"v\":null}\n");
    if (merge_at(dir, NULL, src2, "target.v <=> source.v", upd, 1, &r))
        fail_msg("%s", delta_error_last());
    assert_int_equal(r.num_rows_updated, 3);
    free(src);
    free(src2);
    tmpdir_remove(dir);
}

static void test_merge_multiple_matches(void **state)
{
    (void)state;
    for (int dvs = 0; dvs < 2; dvs++) {
        char *dir = make_table(false, dvs ? DV : NULL, NULL);
        append_ids(dir, 0, 10);
        char *src = write_text(dir, "src.json",
                               "{\"id\":5,\"v\":1}\n{\"id\":5,\"v\":2}\n{\"id\":7,\"v\":3}\n");
        char *before = rows_at(dir);
        delta_dml_result r;
        /* an update: refused, nothing changes */
        if (merge_at(dir, NULL, src, "target.id = source.id", UPSERT, 2, &r) != DELTA_EINVAL)
            fail_msg("duplicate match with an update not refused");
        has(delta_error_last(), "5");
        char *after = rows_at(dir);
        assert_string_equal(before, after);
        free(after);
        /* a conditional delete: refused too (Delta allows only an
         * unconditional one) */
        static const delta_merge_clause cdel[1] = {
            {DELTA_MERGE_DELETE, DELTA_WHEN_MATCHED, "source.v > 0", NULL}};
        assert_int_equal(merge_at(dir, NULL, src, "target.id = source.id", cdel, 1, &r),
                         DELTA_EINVAL);
        /* an update whose condition holds for neither source row: still
         * refused (Delta checks the ON matches, not the clause conditions) */
        static const delta_merge_clause never[1] = {
            {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, "source.v > 100", "v = source.v"}};
        assert_int_equal(merge_at(dir, NULL, src, "target.id = source.id", never, 1, &r),
                         DELTA_EINVAL);
        /* insert only: the matched source rows are not inserted, no error */
        static const delta_merge_clause ins[1] = {
            {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, NULL, NULL}};
        if (merge_at(dir, NULL, src, "target.id = source.id", ins, 1, &r))
            fail_msg("%s", delta_error_last());
        assert_int_equal(r.version, -1);
        after = rows_at(dir);
        assert_string_equal(before, after);
        free(after);
        /* an unconditional delete only: allowed */
        static const delta_merge_clause del[2] = {
            {DELTA_MERGE_DELETE, DELTA_WHEN_MATCHED, NULL, NULL},
            {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, NULL, NULL}};
        if (merge_at(dir, NULL, src, "target.id = source.id", del, 2, &r))
            fail_msg("%s", delta_error_last());
        assert_int_equal(r.num_rows_deleted, 2);
        assert_int_equal(r.num_rows_inserted, 0);
        mrow m[16];
        size_t n = 0;
        initial_model(m, &n, 0, 10);
        m[7] = m[--n];
        m[5] = m[--n];
        char *want = model_text(m, n);
        after = rows_at(dir);
        assert_string_equal(want, after);
        free(want);
        free(after);
        free(before);
        free(src);
        tmpdir_remove(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrency),
        cmocka_unit_test(test_crash_merge),
        cmocka_unit_test(test_crash_delete),
        cmocka_unit_test(test_random_ops),
        cmocka_unit_test(test_transactions_upsert),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_delete_everything_unread),
        cmocka_unit_test(test_failure_cleans_up),
        cmocka_unit_test(test_merge_empty_source),
        cmocka_unit_test(test_merge_without_equality),
        cmocka_unit_test(test_merge_null_keys),
        cmocka_unit_test(test_merge_multiple_matches),
    };
    if (getenv("DML_TEST_FILTER"))
        cmocka_set_test_filter(getenv("DML_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
