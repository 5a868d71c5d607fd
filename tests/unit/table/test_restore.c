/*
 * RESTORE and CHECK constraints through the public API: a restore after
 * appends, a schema change and an overwrite gives exactly the rows and
 * schema of the version restored (and its metrics count the files that
 * moved); restoring the current state commits nothing; refusals (a
 * version that does not exist, a data file deleted since) leave the log
 * as it was. Protocol merging never downgrades and adds only the features
 * needed. Constraints: added only when every existing row satisfies them
 * (NULL counts as a violation), enforced on later writes, dropped, and
 * the refusals (name taken, not boolean, unknown column, bad name)
 * commit nothing.
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

#include <delta/table.h>

#include "columnar/format.h"
#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "log/snapshot.h"
#include "table/alter.h"
#include "table/props.h"
#include "table/scan.h"

static const char schema_json[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"amount\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"cat\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";

typedef struct fixture {
    char dir[64];
    char uri[128];
    delta_table *t;
} fixture;

static void fixture_open(fixture *f, const char *const *props, size_t nprops)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/delta-restore-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->uri, sizeof f->uri, "%s/t", f->dir);
    const char *parts[] = {"cat"};
    const char *keys[4], *vals[4];
    for (size_t i = 0; i < nprops; i++) {
        keys[i] = props[2 * i];
        vals[i] = props[2 * i + 1];
    }
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = schema_json;
    co.partition_columns = parts;
    co.num_partition_columns = 1;
    co.property_keys = keys;
    co.property_values = vals;
    co.num_properties = nprops;
    assert_int_equal(delta_table_create(f->uri, &co, NULL), 0);
    assert_int_equal(delta_table_open(&f->t, f->uri), 0);
}

static void fixture_close(fixture *f)
{
    delta_table_free(f->t);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
}

/* Writes NDJSON text to the table; returns the write's status. */
static int write_rows(fixture *f, const char *ndjson, delta_write_mode mode, bool merge)
{
    char path[160];
    snprintf(path, sizeof path, "%s/in.json", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(ndjson, fp);
    fclose(fp);
    delta_write_options wo = DELTA_WRITE_OPTIONS_INIT;
    wo.mode = mode;
    wo.merge_schema = merge;
    return delta_table_write_file(f->t, path, "ndjson", &wo, NULL);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rows of a version (-1: latest) as sorted JSON lines, preceded by
 * the schema's column names. */
static char *rows_of(fixture *f, int64_t version)
{
    delta_store *store;
    assert_int_equal(delta_store_open(&store, f->uri), 0);
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.at_version = version;
    dlog_snapshot *snap;
    assert_int_equal(dlog_snapshot_open(&snap, store, &o), 0);
    dstream *s;
    assert_int_equal(dtab_scan_open(&s, snap, NULL), 0);
    char **lines = NULL;
    size_t n = 0;
    for (;;) {
        dvec *b = NULL;
        assert_int_equal(s->next(s, &b), 0);
        if (!b)
            break;
        for (int64_t r = 0; r < b->length; r++) {
            dbuf line = DBUF_INIT;
            dvec_format_value(b, r, DFMT_JSON, &line);
            assert_int_equal(line.err, 0);
            lines = realloc(lines, (n + 1) * sizeof *lines);
            lines[n++] = strdup(dbuf_cstr(&line));
            dbuf_free(&line);
        }
        dvec_unref(b);
    }
    s->free(s);
    qsort(lines, n, sizeof *lines, cmp_str);
    dbuf all = DBUF_INIT;
    for (uint32_t i = 0; i < snap->schema->num_fields; i++)
        dbuf_printf(&all, "%s,", snap->schema->fields[i].name);
    dbuf_putc(&all, '\n');
    for (size_t i = 0; i < n; i++) {
        dbuf_printf(&all, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    char *out = strdup(dbuf_cstr(&all));
    dbuf_free(&all);
    dlog_snapshot_free(snap);
    delta_store_free(store);
    return out;
}

static int64_t latest_version(fixture *f)
{
    delta_snapshot *s;
    assert_int_equal(delta_table_snapshot(&s, f->t, -1, NULL), 0);
    int64_t v = delta_snapshot_version(s);
    delta_snapshot_free(s);
    return v;
}

static size_t files_at(fixture *f, int64_t version)
{
    delta_snapshot *s;
    assert_int_equal(delta_table_snapshot(&s, f->t, version, NULL), 0);
    size_t n = delta_snapshot_num_files(s);
    delta_snapshot_free(s);
    return n;
}

static void assert_restored(fixture *f, int64_t version)
{
    char *want = rows_of(f, version);
    char *got = rows_of(f, -1);
    assert_string_equal(got, want);
    free(want);
    free(got);
}

/* appends, a schema change, an overwrite; restore each earlier version */
static void test_restore_versions(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, NULL, 0);
    assert_int_equal(write_rows(&f, "{\"id\":1,\"amount\":10.5,\"cat\":\"a\"}\n"
                                    "{\"id\":2,\"amount\":20,\"cat\":\"b\"}\n",
                                DELTA_WRITE_APPEND, false),
                     0); /* v1 */
    assert_int_equal(write_rows(&f, "{\"id\":3,\"amount\":null,\"cat\":null}\n",
                                DELTA_WRITE_APPEND, false),
                     0); /* v2 */
    assert_int_equal(write_rows(&f, "{\"id\":4,\"amount\":7,\"cat\":\"c\",\"note\":\"x\"}\n",
                                DELTA_WRITE_APPEND, true),
                     0); /* v3: schema gains 'note' */
    assert_int_equal(write_rows(&f, "{\"id\":5,\"amount\":1,\"cat\":\"a\",\"note\":\"y\"}\n",
                                DELTA_WRITE_OVERWRITE, false),
                     0); /* v4 */
    assert_int_equal(latest_version(&f), 4);

    delta_restore_result r;
    /* back to v2: the old schema, the old files */
    assert_int_equal(delta_table_restore(f.t, 2, NULL, &r), 0);
    assert_true(r.committed);
    assert_int_equal(r.version, 5);
    assert_int_equal(r.restored_version, 2);
    assert_int_equal(r.num_files_after, (int64_t)files_at(&f, 2));
    assert_int_equal(r.num_removed_files, (int64_t)files_at(&f, 4));
    assert_int_equal(r.num_restored_files, (int64_t)files_at(&f, 2));
    assert_true(r.restored_files_size > 0 && r.restored_files_size == r.table_size_after);
    assert_restored(&f, 2);

    /* forward again to v3 (schema with 'note'): only v3's new file comes back */
    assert_int_equal(delta_table_restore(f.t, 3, NULL, &r), 0);
    assert_int_equal(r.version, 6);
    assert_int_equal(r.num_removed_files, 0);
    assert_int_equal(r.num_restored_files, 1);
    assert_restored(&f, 3);
    /* the table takes writes with the restored schema */
    assert_int_equal(write_rows(&f, "{\"id\":6,\"amount\":2,\"cat\":\"a\",\"note\":\"z\"}\n",
                                DELTA_WRITE_APPEND, false),
                     0); /* v7 */

    /* the state it already has: nothing committed */
    assert_int_equal(delta_table_restore(f.t, 7, NULL, &r), 0);
    assert_false(r.committed);
    assert_int_equal(r.version, 7);
    assert_int_equal(latest_version(&f), 7);

    /* by timestamp: the version time travel picks for the same time */
    delta_snapshot *s1;
    assert_int_equal(delta_table_snapshot(&s1, f.t, 1, NULL), 0);
    dbuf ts = DBUF_INIT;
    dtime_format_instant(&ts, delta_snapshot_timestamp(s1) * 1000);
    delta_snapshot_free(s1);
    delta_snapshot *st;
    assert_int_equal(delta_table_snapshot(&st, f.t, -1, dbuf_cstr(&ts)), 0);
    int64_t want = delta_snapshot_version(st);
    delta_snapshot_free(st);
    assert_int_equal(delta_table_restore(f.t, -1, dbuf_cstr(&ts), &r), 0);
    assert_int_equal(r.restored_version, want);
    assert_restored(&f, want);
    dbuf_free(&ts);

    /* the commit is a RESTORE with Delta's parameters and metrics */
    delta_history *h;
    delta_commit c;
    assert_int_equal(delta_table_history(&h, f.t, 1), 0);
    assert_int_equal(delta_history_next(h, &c), 1);
    assert_string_equal(c.operation, "RESTORE");
    assert_non_null(strstr(c.parameters, "\"timestamp\":\""));
    assert_non_null(strstr(c.metrics, "\"numRestoredFiles\":"));
    assert_non_null(strstr(c.metrics, "\"tableSizeAfterRestore\":"));
    assert_non_null(strstr(c.metrics, "\"removedFilesSize\":"));
    delta_history_free(h);
    fixture_close(&f);
}

static void test_restore_refusals(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, NULL, 0);
    assert_int_equal(write_rows(&f, "{\"id\":1,\"amount\":1,\"cat\":\"a\"}\n", DELTA_WRITE_APPEND,
                                false),
                     0);
    assert_int_equal(write_rows(&f, "{\"id\":2,\"amount\":2,\"cat\":\"b\"}\n",
                                DELTA_WRITE_OVERWRITE, false),
                     0);
    delta_restore_result r;
    assert_int_equal(delta_table_restore(f.t, 9, NULL, &r), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "version 9"));
    assert_int_equal(delta_table_restore(f.t, 1, "2024-01-01", &r), DELTA_EINVAL);
    assert_int_equal(delta_table_restore(f.t, -1, NULL, &r), DELTA_EINVAL);
    assert_int_equal(delta_table_restore(f.t, -1, "not a time", &r), DELTA_EINVAL);
    assert_int_equal(delta_table_restore(f.t, -1, "2000-01-01", &r), DELTA_ENOTFOUND);
    assert_int_equal(latest_version(&f), 2);

    /* v1's data file deleted (as VACUUM would): refused naming it */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s/cat=a", f.uri);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(delta_table_restore(f.t, 1, NULL, &r), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "cat=a/part-"));
    assert_non_null(strstr(delta_error_last(), "no longer exists"));
    assert_int_equal(latest_version(&f), 2);
    fixture_close(&f);
}

static void test_protocol_merge(void **state)
{
    (void)state;
    dtype *schema = NULL;
    assert_int_equal(dlog_schema_parse(&schema, schema_json, strlen(schema_json)), 0);
    dlog_map conf = {0};
    assert_int_equal(dtab_map_put(&conf, "delta.constraints.pos", "amount > 0"), 0);

    /* legacy 1/2 -> 1/3 */
    dlog_protocol legacy = {1, 2, false, false, NULL, 0, NULL, 0}, out;
    assert_int_equal(dtab_protocol_upgrade(&legacy, schema, &conf, &out), 0);
    assert_int_equal(out.min_reader_version, 1);
    assert_int_equal(out.min_writer_version, 3);
    assert_false(out.has_writer_features);
    dtab_protocol_clear(&out);
    /* legacy 1/4 already has it */
    legacy.min_writer_version = 4;
    assert_int_equal(dtab_protocol_upgrade(&legacy, schema, &conf, &out), 0);
    assert_true(dtab_protocol_same(&out, &legacy));
    dtab_protocol_clear(&out);

    /* 3/7 with deletionVectors: checkConstraints added, nothing else */
    char *rf[] = {"deletionVectors"}, *wf[] = {"deletionVectors"};
    dlog_protocol tf = {3, 7, true, true, rf, 1, wf, 1};
    assert_int_equal(dtab_protocol_upgrade(&tf, schema, &conf, &out), 0);
    assert_int_equal(out.min_reader_version, 3);
    assert_int_equal(out.min_writer_version, 7);
    assert_int_equal(out.num_reader_features, 1);
    assert_int_equal(out.num_writer_features, 2);
    assert_string_equal(out.writer_features[1], "checkConstraints");
    dtab_protocol_clear(&out);

    /* merging never lowers: legacy 2/5 into 1/7 [appendOnly] */
    char *wf2[] = {"appendOnly"};
    dlog_protocol a = {1, 7, false, true, NULL, 0, wf2, 1};
    dlog_protocol b = {2, 5, false, false, NULL, 0, NULL, 0};
    assert_int_equal(dtab_protocol_merge(&a, &b, &out), 0);
    assert_int_equal(out.min_reader_version, 2);
    assert_int_equal(out.min_writer_version, 7);
    assert_int_equal(out.num_writer_features, 6); /* the features writer 5 implies */
    dtab_protocol_clear(&out);
    dlog_map_clear(&conf);
    dtype_unref(schema);
}

static const char *property_at(fixture *f, int64_t version, const char *key)
{
    static char value[256];
    delta_store *store;
    assert_int_equal(delta_store_open(&store, f->uri), 0);
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.at_version = version;
    dlog_snapshot *snap;
    assert_int_equal(dlog_snapshot_open(&snap, store, &o), 0);
    const char *v = dlog_snapshot_property(snap, key);
    snprintf(value, sizeof value, "%s", v ? v : "(none)");
    dlog_snapshot_free(snap);
    delta_store_free(store);
    return value;
}

static void protocol_of(fixture *f, dlog_protocol *out)
{
    delta_store *store;
    assert_int_equal(delta_store_open(&store, f->uri), 0);
    dlog_snapshot *snap;
    assert_int_equal(dlog_snapshot_open(&snap, store, NULL), 0);
    dlog_protocol empty = {0, 0, false, false, NULL, 0, NULL, 0};
    assert_int_equal(dtab_protocol_merge(&snap->protocol, &empty, out), 0);
    dlog_snapshot_free(snap);
    delta_store_free(store);
}

static void test_constraints(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, NULL, 0);
    assert_int_equal(write_rows(&f, "{\"id\":1,\"amount\":10,\"cat\":\"a\"}\n"
                                    "{\"id\":2,\"amount\":-1,\"cat\":\"b\"}\n"
                                    "{\"id\":3,\"amount\":null,\"cat\":\"b\"}\n",
                                DELTA_WRITE_APPEND, false),
                     0); /* v1 */
    int64_t v;
    /* -1 violates it, and so does the NULL */
    assert_int_equal(delta_table_add_constraint(f.t, "pos", "amount > 0", &v), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "2 existing rows"));
    assert_int_equal(delta_table_add_constraint(f.t, "pos", "amount > -5", &v), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "1 existing row "));
    assert_int_equal(delta_table_add_constraint(f.t, "bad", "amount + 1", &v), DELTA_ETYPE);
    assert_int_equal(delta_table_add_constraint(f.t, "bad", "nope > 1", &v), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "nope"));
    assert_int_equal(delta_table_add_constraint(f.t, "bad", "amount >", &v), DELTA_EINVAL);
    assert_int_equal(delta_table_add_constraint(f.t, "a b", "id > 0", &v), DELTA_EINVAL);
    assert_int_equal(latest_version(&f), 1);

    /* accepted: stored lower-cased, protocol raised to writer 3 */
    assert_int_equal(delta_table_add_constraint(f.t, "ID_Pos", "id > 0", &v), 0);
    assert_int_equal(v, 2);
    assert_string_equal(property_at(&f, 2, "delta.constraints.id_pos"), "id > 0");
    dlog_protocol p;
    protocol_of(&f, &p);
    assert_int_equal(p.min_writer_version, 3);
    dtab_protocol_clear(&p);
    assert_int_equal(delta_table_add_constraint(f.t, "id_pos", "id > 1", &v), DELTA_EEXIST);

    /* enforced on writes; a partition-column constraint too */
    assert_int_equal(write_rows(&f, "{\"id\":0,\"amount\":1,\"cat\":\"a\"}\n", DELTA_WRITE_APPEND,
                                false),
                     DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "id_pos"));
    assert_int_equal(delta_table_add_constraint(f.t, "cats", "cat IN ('a', 'b')", &v), 0);
    assert_int_equal(write_rows(&f, "{\"id\":9,\"amount\":1,\"cat\":\"z\"}\n", DELTA_WRITE_APPEND,
                                false),
                     DELTA_EINVAL);
    assert_int_equal(latest_version(&f), 3);

    /* dropped: writes pass again; the protocol stays */
    assert_int_equal(delta_table_drop_constraint(f.t, "nope", false, &v), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "id_pos, cats"));
    assert_int_equal(delta_table_drop_constraint(f.t, "nope", true, &v), 0);
    assert_int_equal(v, -1);
    assert_int_equal(delta_table_drop_constraint(f.t, "ID_POS", false, &v), 0);
    assert_int_equal(v, 4);
    assert_string_equal(property_at(&f, 4, "delta.constraints.id_pos"), "(none)");
    assert_int_equal(write_rows(&f, "{\"id\":0,\"amount\":1,\"cat\":\"a\"}\n", DELTA_WRITE_APPEND,
                                false),
                     0);
    protocol_of(&f, &p);
    assert_int_equal(p.min_writer_version, 3);
    dtab_protocol_clear(&p);

    /* restoring v1 brings back its metadata (no constraints) but keeps writer 3 */
    delta_restore_result r;
    assert_int_equal(delta_table_restore(f.t, 1, NULL, &r), 0);
    assert_string_equal(property_at(&f, -1, "delta.constraints.cats"), "(none)");
    protocol_of(&f, &p);
    assert_int_equal(p.min_writer_version, 3);
    dtab_protocol_clear(&p);
    assert_restored(&f, 1);
    fixture_close(&f);
}

/* a table-features table gets the checkConstraints feature */
static void test_constraint_features(void **state)
{
    (void)state;
    fixture f;
    const char *props[] = {"delta.enableDeletionVectors", "true"};
    fixture_open(&f, props, 1);
    int64_t v;
    assert_int_equal(delta_table_add_constraint(f.t, "c", "id >= 0", &v), 0);
    dlog_protocol p;
    protocol_of(&f, &p);
    assert_int_equal(p.min_reader_version, 3);
    assert_int_equal(p.min_writer_version, 7);
    bool has = false;
    for (size_t i = 0; i < p.num_writer_features; i++)
        has = has || strcmp(p.writer_features[i], "checkConstraints") == 0;
    assert_true(has);
    dtab_protocol_clear(&p);
    fixture_close(&f);
}

/* describe shows the template recorded at create */
static void test_template_recorded(void **state)
{
    (void)state;
    char dir[] = "/tmp/delta-tpl-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char uri[128];
    snprintf(uri, sizeof uri, "%s/t", dir);
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.template_name = "customer_profiles";
    assert_int_equal(delta_table_create(uri, &co, NULL), 0);
    delta_table *t;
    delta_snapshot *s;
    assert_int_equal(delta_table_open(&t, uri), 0);
    assert_int_equal(delta_table_snapshot(&s, t, -1, NULL), 0);
    const delta_template *tpl = delta_snapshot_template(s);
    assert_non_null(tpl);
    assert_string_equal(tpl->name, "customer_profiles");
    char *text;
    assert_int_equal(delta_snapshot_describe(s, true, &text), 0);
    assert_non_null(strstr(text, "\"template\":{\"name\":\"customer_profiles\""));
    assert_non_null(strstr(text, "\"recommended_properties\":{"));
    delta_free(text);
    assert_int_equal(delta_snapshot_describe(s, false, &text), 0);
    assert_non_null(strstr(text, "partition strategy  customer_segment, region"));
    delta_free(text);
    delta_snapshot_free(s);
    delta_table_free(t);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Copies a shared table's folder into a fresh fixture (no table created). */
static bool shared_copy(fixture *f, const char *rel)
{
#ifdef DELTA_SHARED_DIR
    char src[512];
    snprintf(src, sizeof src, "%s/%s", DELTA_SHARED_DIR, rel);
    if (access(src, F_OK) != 0)
        return false;
    snprintf(f->dir, sizeof f->dir, "/tmp/delta-restore-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->uri, sizeof f->uri, "%s/t", f->dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", src, f->uri);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(delta_table_open(&f->t, f->uri), 0);
    return true;
#else
    (void)f;
    (void)rel;
    return false;
#endif
}

/* The action lines of a commit as sorted "type path" strings. */
static char *commit_files(const char *uri, int64_t version)
{
    char path[300];
    snprintf(path, sizeof path, "%s/_delta_log/%020lld.json", uri, (long long)version);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char *lines[64];
    size_t n = 0;
    char buf[8192];
    while (fgets(buf, sizeof buf, fp)) {
        const char *kind = strncmp(buf, "{\"add\"", 7) == 0      ? "add"
                           : strncmp(buf, "{\"remove\"", 10) == 0 ? "remove"
                                                                   : NULL;
        if (!kind)
            continue;
        const char *p = strstr(buf, "\"path\":\"");
        assert_non_null(p);
        p += 8;
        const char *e = strchr(p, '"');
        char line[400];
        snprintf(line, sizeof line, "%s %.*s", kind, (int)(e - p), p);
        assert_true(n < 64);
        lines[n++] = strdup(line);
    }
    fclose(fp);
    qsort(lines, n, sizeof *lines, cmp_str);
    dbuf all = DBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        dbuf_printf(&all, "%s\n", lines[i]);
        free(lines[i]);
    }
    char *out = strdup(dbuf_cstr(&all));
    dbuf_free(&all);
    return out;
}

/* Spark's own RESTORE of the golden table: the same files and metrics */
static void test_restore_like_spark(void **state)
{
    (void)state;
    fixture f;
    if (!shared_copy(&f, "golden/basic-with-inserts-overwrite-restore/delta"))
        skip(); /* needs ../shared (DELTA_SHARED_DIR) */
    char *spark = commit_files(f.uri, 3);
    /* take Spark's restore (version 3) and its checkpoint away, restore again */
    char cmd[400];
    snprintf(cmd, sizeof cmd,
             "cd '%s/_delta_log' && rm -f 00000000000000000003.json "
             "00000000000000000003.checkpoint.parquet _last_checkpoint",
             f.uri);
    assert_int_equal(system(cmd), 0);
    delta_restore_result r;
    assert_int_equal(delta_table_restore(f.t, 1, NULL, &r), 0);
    assert_int_equal(r.version, 3);
    /* Spark: numRestoredFiles 4, removedFilesSize 2995, numRemovedFiles 2,
     * restoredFilesSize 2834, numOfFilesAfterRestore 4, tableSizeAfterRestore 2834 */
    assert_int_equal(r.num_restored_files, 4);
    assert_int_equal(r.removed_files_size, 2995);
    assert_int_equal(r.num_removed_files, 2);
    assert_int_equal(r.restored_files_size, 2834);
    assert_int_equal(r.num_files_after, 4);
    assert_int_equal(r.table_size_after, 2834);
    char *ours = commit_files(f.uri, 3);
    assert_string_equal(ours, spark);
    free(ours);
    free(spark);
    assert_restored(&f, 1);
    fixture_close(&f);
}

/* deletion vectors and column mapping: the same data file comes back with
 * its older deletion vector */
static void test_restore_deletion_vectors(void **state)
{
    (void)state;
    fixture f;
    if (!shared_copy(&f, "golden/dv-with-columnmapping/delta"))
        skip(); /* needs ../shared (DELTA_SHARED_DIR) */
    int64_t latest = latest_version(&f);
    delta_restore_result r;
    assert_int_equal(delta_table_restore(f.t, 1, NULL, &r), 0);
    assert_int_equal(r.version, latest + 1);
    assert_true(r.num_removed_files > 0 && r.num_restored_files > 0);
    assert_restored(&f, 1);
    /* and forward again to the state before the restore */
    assert_int_equal(delta_table_restore(f.t, latest, NULL, &r), 0);
    assert_restored(&f, latest);
    fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_versions),  cmocka_unit_test(test_restore_refusals),
        cmocka_unit_test(test_protocol_merge),    cmocka_unit_test(test_constraints),
        cmocka_unit_test(test_constraint_features), cmocka_unit_test(test_template_recorded),
        cmocka_unit_test(test_restore_like_spark), cmocka_unit_test(test_restore_deletion_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
