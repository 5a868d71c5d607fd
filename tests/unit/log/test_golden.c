/*
 * Log conformance over the golden Delta tables (DELTA_SHARED_DIR/golden,
 * see its README.md), one cmocka test per case:
 *
 *   - the log-only cases of the README, checked as it says (versions, live
 *     file names, commitInfo fields);
 *   - the negative cases, refused with the right error code;
 *   - every case with expected/: the latest snapshot opens, its schema
 *     loads, and every live file with a relative path exists in the table
 *     folder (row comparison needs the Parquet reader and comes later);
 *   - the Hive-connector tables under hive/delta/, and the extra/ tables:
 *     the latest snapshot opens.
 *
 * Checkpoints (classic, multi-part, v2 JSON and Parquet with sidecars) are
 * read, never bypassed; when a case has both a checkpoint and every JSON
 * commit from version 0, the snapshot from the checkpoint must equal the
 * one replayed from the commits alone (files with their size, stats,
 * partition values and deletion vectors, txns, domains, protocol and
 * metadata).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hashmap.h"

#include "core/alloc.h"
#include "core/error.h"

#include "log/path.h"
#include "log/snapshot.h"

#define GOLDEN DELTA_SHARED_DIR "/golden"
#define EXTRA DELTA_SHARED_DIR "/extra"

typedef struct gcase {
    char name[128];
    char root[1024]; /* the table folder */
    bool has_expected;
} gcase;

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static delta_store *open_store(const gcase *c)
{
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, c->root), 0);
    return s;
}

/* Opens the latest snapshot. A checkpoint that could not be read and was
 * bypassed fails the case: every checkpoint of the shared tables must be
 * readable. */
static dlog_snapshot *open_latest(const gcase *c, delta_store *s, bool unchecked)
{
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.unchecked = unchecked;
    dlog_snapshot *snap = NULL;
    int rc = dlog_snapshot_open(&snap, s, &o);
    if (rc)
        fail_msg("%s: %s: %s", c->name, delta_error_name(rc), delta_error_last());
    if (snap->skipped_checkpoint >= 0)
        fail_msg("%s: checkpoint %lld bypassed: %s", c->name,
                 (long long)snap->skipped_checkpoint,
                 snap->skipped_reason ? snap->skipped_reason : "");
    return snap;
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

/* Live file base names, sorted, joined by '|'. */
static void file_names(const dlog_snapshot *snap, char *out, size_t cap)
{
    const char *names[64];
    size_t n = 0, it = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(snap, &it, &f) && n < 64)
        names[n++] = base_name(f->canonical);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        strncat(out, names[i], cap - strlen(out) - 1);
        if (i + 1 < n)
            strncat(out, "|", cap - strlen(out) - 1);
    }
}

/* ---- the README's log-only cases --------------------------------------- */

static void check_canonicalized(const gcase *c)
{
    delta_store *s = open_store(c);
    dlog_snapshot *snap = open_latest(c, s, false);
    assert_int_equal(snap->version, 1);
    assert_int_equal(dlog_snapshot_num_files(snap), 0);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void check_checkpoint(const gcase *c)
{
    delta_store *s = open_store(c);
    dlog_snapshot *snap = open_latest(c, s, false);
    assert_int_equal(snap->version, 14);
    assert_int_equal(dlog_snapshot_num_files(snap), 1);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void check_delete_re_add(const gcase *c)
{
    delta_store *s = open_store(c);
    dlog_snapshot *snap = open_latest(c, s, false);
    char names[256];
    file_names(snap, names, sizeof names);
    assert_string_equal(names, "bar|foo");
    const dlog_live_file *foo = dlog_snapshot_find_file(snap, "foo", NULL);
    assert_non_null(foo);
    assert_int_equal(foo->add.modification_time, 1700000000000LL);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void check_special_chars_b(const gcase *c)
{
    delta_store *s = open_store(c);
    dlog_snapshot *snap = open_latest(c, s, false);
    assert_int_equal(dlog_snapshot_num_files(snap), 1);
    size_t it = 0;
    const dlog_live_file *f;
    assert_true(dlog_snapshot_next_file(snap, &it, &f));
    assert_string_equal(f->canonical, "special p@#h");
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void check_absolute_paths(const gcase *c)
{
    /* The log has no metaData (the case is about paths): replay unchecked. */
    delta_store *s = open_store(c);
    dlog_snapshot *snap = open_latest(c, s, true);
    char names[512];
    file_names(snap, names, sizeof names);
    assert_string_equal(names, "bar-bar.snappy.parquet|foo.snappy.parquet");
    dlog_snapshot_free(snap);
    /* Checked, the missing metaData is refused. */
    dlog_snapshot *bad = NULL;
    assert_int_equal(dlog_snapshot_open(&bad, s, NULL), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "no metaData"));
    delta_store_free(s);
}

typedef struct ci_ctx {
    int count;
    json_t *info;
} ci_ctx;

static int grab_commit_info(void *p, dlog_action *a, size_t line)
{
    (void)line;
    ci_ctx *c = p;
    if (a->type == DLOG_ACT_COMMIT_INFO) {
        c->count++;
        c->info = json_loads(a->u.commit_info.json, 0, NULL);
    }
    return 0;
}

static void expect_str(json_t *o, const char *path, const char *want)
{
    /* path: "a" or "a.b" */
    char buf[64];
    snprintf(buf, sizeof buf, "%s", path);
    char *dot = strchr(buf, '.');
    json_t *v;
    if (dot) {
        *dot = 0;
        v = json_object_get(json_object_get(o, buf), dot + 1);
    } else {
        v = json_object_get(o, buf);
    }
    if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
        fail_msg("commitInfo.%s is not '%s'", path, want);
}

static void check_commit_info(const gcase *c)
{
    delta_store *s = open_store(c);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(delta_store_get(s, "_delta_log/00000000000000000000.json", &data, &len), 0);
    ci_ctx ctx = {0, NULL};
    /* Version 0 also holds a metaData without schemaString, which the
     * action parser refuses; read the commitInfo line by itself. */
    const char *line = strstr((const char *)data, "{\"commitInfo\"");
    assert_non_null(line);
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    assert_int_equal(dlog_parse_ndjson("_delta_log/00000000000000000000.json",
                                       (const uint8_t *)line, n, grab_commit_info, &ctx),
                     0);
    delta_free(data);
    assert_int_equal(ctx.count, 1);
    json_t *ci = ctx.info;
    assert_non_null(ci);
    assert_int_equal(json_integer_value(json_object_get(ci, "timestamp")), 1540415658000LL);
    expect_str(ci, "userId", "user_0");
    expect_str(ci, "userName", "username_0");
    expect_str(ci, "operation", "WRITE");
    expect_str(ci, "operationParameters.test", "test");
    expect_str(ci, "job.jobId", "job_id_0");
    expect_str(ci, "job.jobName", "job_name_0");
    expect_str(ci, "job.runId", "run_id_0");
    expect_str(ci, "job.jobOwnerId", "job_owner_0");
    expect_str(ci, "job.triggerType", "trigger_type_0");
    expect_str(ci, "notebook.notebookId", "notebook_id_0");
    expect_str(ci, "clusterId", "cluster_id_0");
    assert_int_equal(json_integer_value(json_object_get(ci, "readVersion")), -1);
    expect_str(ci, "isolationLevel", "default");
    assert_true(json_is_true(json_object_get(ci, "isBlindAppend")));
    expect_str(ci, "operationMetrics.test", "test");
    expect_str(ci, "userMetadata", "foo");
    json_decref(ci);
    /* The snapshot itself is refused: its metaData lacks schemaString. */
    dlog_snapshot *snap = NULL;
    assert_int_equal(dlog_snapshot_open(&snap, s, NULL), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "metaData.schemaString: required field missing"));
    delta_store_free(s);
}

static void check_update_deleted_directory(const gcase *c)
{
    /* Version 0 comes from its checkpoint; the metaData (in the checkpoint
     * and the commit alike) has no schemaString, so the table is read
     * unchecked, as a log-only case. */
    delta_store *s = open_store(c);
    dlog_snapshot *snap = open_latest(c, s, true);
    assert_int_equal(snap->version, 0);
    assert_int_equal(snap->checkpoint_version, 0);
    assert_int_equal(snap->skipped_checkpoint, -1);
    assert_int_equal(dlog_snapshot_num_files(snap), 10);
    assert_string_equal(snap->metadata.id, "94c8d2b0-fbad-439b-a31f-17e17d93c2c7");
    dlog_snapshot_free(snap);
    /* Checked, the missing schemaString is refused. */
    dlog_snapshot *bad = NULL;
    assert_int_equal(dlog_snapshot_open(&bad, s, NULL), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "metaData.schemaString: required field missing"));
    delta_store_free(s);
}

static void expect_refused(const gcase *c, int code, const char *msg)
{
    delta_store *s = open_store(c);
    dlog_snapshot *snap = NULL;
    int rc = dlog_snapshot_open(&snap, s, NULL);
    assert_null(snap);
    if (rc != code || !strstr(delta_error_last(), msg))
        fail_msg("%s: expected %s '%s', got %s '%s'", c->name, delta_error_name(code), msg,
                 delta_error_name(rc), delta_error_last());
    delta_store_free(s);
}

static void check_from_checkpoint_missing_metadata(const gcase *c)
{
    /* The checkpoint at 10 lacks metaData; replaying the JSON commits
     * instead would find one and wrongly accept the table. */
    expect_refused(c, DELTA_ECORRUPT, "no metaData action");
    delta_store *s = open_store(c);
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.unchecked = true;
    dlog_snapshot *snap = NULL;
    assert_int_equal(dlog_snapshot_open(&snap, s, &o), 0);
    assert_int_equal(snap->checkpoint_version, 10);
    assert_null(snap->metadata.id);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

/* ---- generic ---------------------------------------------------------------- */

static void check_opens(const gcase *c)
{
    delta_store *s = open_store(c);
    dlog_snapshot *snap = open_latest(c, s, false);
    assert_non_null(snap->schema);
    assert_int_equal(snap->schema->id, DT_STRUCT);
    size_t it = 0, missing = 0;
    const dlog_live_file *f;
    while (c->has_expected && dlog_snapshot_next_file(snap, &it, &f)) {
        if (dlog_path_is_absolute(f->canonical))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", c->root, f->canonical);
        struct stat st;
        if (stat(path, &st) != 0) {
            print_message("%s: live file missing on disk: %s\n", c->name, f->canonical);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
    print_message("[ ok ] %s: version %lld, %zu live files, %u columns\n", c->name,
                  (long long)snap->version, dlog_snapshot_num_files(snap),
                  snap->schema->num_fields);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void check_app_txn(const gcase *c)
{
    check_opens(c);
    delta_store *s = open_store(c);
    dlog_snapshot *snap = open_latest(c, s, false);
    assert_int_equal(dlog_snapshot_txn_version(snap, "my-app"), 3);
    assert_int_equal(dlog_snapshot_txn_version(snap, "my-app2"), 2);
    assert_int_equal(dlog_snapshot_txn_version(snap, "other"), -1);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

/* ---- checkpoint vs. JSON replay ------------------------------------------ */

static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    bool ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    return ok;
}

static bool streq_null(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool maps_equal(const dlog_map *a, const dlog_map *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        bool found = false;
        const char *v = dlog_map_get(b, a->items[i].key, &found);
        if (!found || !streq_null(v, a->items[i].value))
            return false;
    }
    return true;
}

/* Stats texts may differ in spelling (struct stats formatted by us):
 * compare them as JSON values. */
static bool stats_equal(const char *a, const char *b)
{
    if (streq_null(a, b))
        return true;
    if (!a || !b)
        return false;
    json_t *ja = json_loads(a, JSON_DECODE_ANY, NULL), *jb = json_loads(b, JSON_DECODE_ANY, NULL);
    bool eq = ja && jb && json_equal(ja, jb);
    json_decref(ja);
    json_decref(jb);
    return eq;
}

static void compare_snapshots(const gcase *c, const dlog_snapshot *ck, const dlog_snapshot *js)
{
    if (dlog_snapshot_num_files(ck) != dlog_snapshot_num_files(js))
        fail_msg("%s: %zu live files from the checkpoint, %zu from the commits", c->name,
                 dlog_snapshot_num_files(ck), dlog_snapshot_num_files(js));
    size_t it = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(ck, &it, &f)) {
        if (dlog_path_is_absolute(f->canonical))
            continue;
        const dlog_live_file *g = dlog_snapshot_find_file(js, f->add.path, f->dv_id);
        if (!g)
            fail_msg("%s: %s (dv %s) live in the checkpoint only", c->name, f->canonical,
                     f->dv_id ? f->dv_id : "none");
        if (f->add.size != g->add.size || f->add.modification_time != g->add.modification_time ||
            !maps_equal(&f->add.partition_values, &g->add.partition_values) ||
            !stats_equal(f->add.stats, g->add.stats) || f->add.has_dv != g->add.has_dv ||
            f->add.has_base_row_id != g->add.has_base_row_id ||
            (f->add.has_base_row_id && f->add.base_row_id != g->add.base_row_id))
            fail_msg("%s: %s differs between checkpoint and commits (stats %s vs %s)", c->name,
                     f->canonical, f->add.stats ? f->add.stats : "null",
                     g->add.stats ? g->add.stats : "null");
    }
    assert_int_equal(dmap_count(ck->txns), dmap_count(js->txns));
    it = 0;
    const char *k;
    size_t klen;
    void *v;
    while (dmap_next(ck->txns, &it, (const void **)&k, &klen, &v))
        assert_int_equal(((dlog_txn *)v)->version,
                         dlog_snapshot_txn_version(js, ((dlog_txn *)v)->app_id));
    assert_int_equal(dmap_count(ck->domains), dmap_count(js->domains));
    it = 0;
    while (dmap_next(ck->domains, &it, (const void **)&k, &klen, &v)) {
        const dlog_domain_metadata *d = v;
        assert_true(streq_null(d->configuration, dlog_snapshot_domain(js, d->domain)));
    }
    assert_int_equal(ck->protocol.min_reader_version, js->protocol.min_reader_version);
    assert_int_equal(ck->protocol.min_writer_version, js->protocol.min_writer_version);
    assert_int_equal(ck->protocol.num_reader_features, js->protocol.num_reader_features);
    assert_int_equal(ck->protocol.num_writer_features, js->protocol.num_writer_features);
    assert_true(streq_null(ck->metadata.id, js->metadata.id));
    assert_true(streq_null(ck->metadata.schema_string, js->metadata.schema_string));
    assert_true(maps_equal(&ck->metadata.configuration, &js->metadata.configuration));
    assert_int_equal(ck->metadata.num_partition_columns, js->metadata.num_partition_columns);
}

/* When the case has a checkpoint and every commit from 0, replays the
 * commits alone (copied to a scratch folder) and compares. */
static void compare_with_commits(const gcase *c)
{
    char log[1100];
    snprintf(log, sizeof log, "%s/_delta_log", c->root);
    DIR *d = opendir(log);
    if (!d)
        return;
    bool has_ckpt = false, has_zero = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.' && strstr(e->d_name, ".checkpoint."))
            has_ckpt = true;
        if (strcmp(e->d_name, "00000000000000000000.json") == 0)
            has_zero = true;
    }
    if (!has_ckpt || !has_zero) {
        closedir(d);
        return;
    }
    delta_store *s = open_store(c);
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.unchecked = true;
    dlog_snapshot *ck = NULL;
    if (dlog_snapshot_open(&ck, s, &o) != 0 || ck->checkpoint_version < 0) {
        dlog_snapshot_free(ck);
        delta_store_free(s);
        closedir(d);
        return;
    }
    char tmp[] = "/tmp/golden-ckpt-XXXXXX";
    assert_non_null(mkdtemp(tmp));
    char dst[64];
    snprintf(dst, sizeof dst, "%s/_delta_log", tmp);
    assert_int_equal(mkdir(dst, 0700), 0);
    rewinddir(d);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n != 25 || strcmp(e->d_name + 20, ".json") != 0)
            continue;
        char from[1600], to[1600];
        snprintf(from, sizeof from, "%s/%s", log, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dst, e->d_name);
        assert_true(copy_file(from, to));
    }
    delta_store *js_store = NULL;
    assert_int_equal(delta_store_open(&js_store, tmp), 0);
    o.at_version = ck->version;
    dlog_snapshot *js = NULL;
    int rc = dlog_snapshot_open(&js, js_store, &o);
    if (rc == 0) {
        assert_int_equal(js->checkpoint_version, -1);
        compare_snapshots(c, ck, js);
        print_message("[ ok ] %s: checkpoint %lld equals the replay of commits 0..%lld\n",
                      c->name, (long long)ck->checkpoint_version, (long long)ck->version);
    }
    dlog_snapshot_free(js);
    delta_store_free(js_store);
    rewinddir(d);
    while ((e = readdir(d)) != NULL) {
        char to[1600];
        snprintf(to, sizeof to, "%s/%s", dst, e->d_name);
        unlink(to);
    }
    rmdir(dst);
    rmdir(tmp);
    closedir(d);
    dlog_snapshot_free(ck);
    delta_store_free(s);
    if (rc)
        fail_msg("%s: replaying the commits failed: %s", c->name, delta_error_last());
}

static void run_case(void **state)
{
    const gcase *c = *state;
    const char *n = c->name;
    if (strncmp(n, "canonicalized-paths-", 20) == 0)
        check_canonicalized(c);
    else if (strcmp(n, "checkpoint") == 0)
        check_checkpoint(c);
    else if (strcmp(n, "delete-re-add-same-file-different-transactions") == 0)
        check_delete_re_add(c);
    else if (strcmp(n, "log-replay-special-characters-b") == 0)
        check_special_chars_b(c);
    else if (strcmp(n, "data-reader-absolute-paths-escaped-chars") == 0)
        check_absolute_paths(c);
    else if (strcmp(n, "deltalog-commit-info") == 0)
        check_commit_info(c);
    else if (strcmp(n, "update-deleted-directory") == 0)
        check_update_deleted_directory(c);
    else if (strcmp(n, "deltalog-invalid-protocol-version") == 0)
        expect_refused(c, DELTA_EUNSUPPORTED, "reader version 99");
    else if (strcmp(n, "deltalog-state-reconstruction-without-metadata") == 0)
        expect_refused(c, DELTA_ECORRUPT, "no metaData action");
    else if (strcmp(n, "deltalog-state-reconstruction-without-protocol") == 0)
        expect_refused(c, DELTA_ECORRUPT, "no protocol action");
    else if (strcmp(n, "deltalog-state-reconstruction-from-checkpoint-missing-metadata") == 0)
        check_from_checkpoint_missing_metadata(c);
    else if (strcmp(n, "no-delta-log-folder") == 0)
        expect_refused(c, DELTA_ENOTFOUND, "not a Delta table: no _delta_log at");
    else if (strcmp(n, "versions-not-contiguous") == 0)
        expect_refused(c, DELTA_ECORRUPT, "00000000000000000001.json is missing");
    else if (strncmp(n, "extra/app-txn-", 14) == 0)
        check_app_txn(c);
    else
        check_opens(c);
    if (strstr(n, "missing-metadata") == NULL)
        compare_with_commits(c);
}

/* ---- discovery ---------------------------------------------------------------- */

static gcase *cases;
static size_t num_cases, cap_cases;

static void add_case(const char *name, const char *root, bool has_expected)
{
    if (num_cases == cap_cases) {
        cap_cases = cap_cases ? cap_cases * 2 : 64;
        cases = realloc(cases, cap_cases * sizeof *cases);
        if (!cases)
            abort();
    }
    gcase *c = &cases[num_cases++];
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->root, sizeof c->root, "%s", root);
    c->has_expected = has_expected;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted subfolder names of dir (NULL-terminated; free each and the list). */
static char **subdirs(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **list = calloc(512, sizeof *list);
    size_t n = 0;
    struct dirent *e;
    while (list && (e = readdir(d)) != NULL && n < 511) {
        if (e->d_name[0] == '.')
            continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (is_dir(p))
            list[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (list)
        qsort(list, n, sizeof *list, name_cmp);
    return list;
}

static void free_list(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

static void discover(void)
{
    char **names = subdirs(GOLDEN);
    for (size_t i = 0; names && names[i]; i++) {
        char root[1024], exp[1024];
        if (strcmp(names[i], "hive") == 0) {
            char hive[512];
            snprintf(hive, sizeof hive, GOLDEN "/hive/delta");
            char **tables = subdirs(hive);
            for (size_t j = 0; tables && tables[j]; j++) {
                char name[128];
                snprintf(name, sizeof name, "hive/%s", tables[j]);
                snprintf(root, sizeof root, "%s/%s", hive, tables[j]);
                add_case(name, root, false);
            }
            free_list(tables);
            continue;
        }
        snprintf(root, sizeof root, GOLDEN "/%s/delta", names[i]);
        snprintf(exp, sizeof exp, GOLDEN "/%s/expected", names[i]);
        add_case(names[i], root, is_dir(exp));
    }
    free_list(names);
    names = subdirs(EXTRA);
    for (size_t i = 0; names && names[i]; i++) {
        char root[1024], name[128];
        snprintf(root, sizeof root, EXTRA "/%s", names[i]);
        snprintf(name, sizeof name, "extra/%s", names[i]);
        add_case(name, root, true);
    }
    free_list(names);
}

static void no_shared_dir(void **state)
{
    (void)state;
    print_message("golden tables not found at %s: conformance not run\n", GOLDEN);
    skip();
}

int main(void)
{
    if (!is_dir(GOLDEN)) {
        const struct CMUnitTest none[] = {cmocka_unit_test(no_shared_dir)};
        return cmocka_run_group_tests(none, NULL, NULL);
    }
    discover();
    struct CMUnitTest *tests = calloc(num_cases, sizeof *tests);
    if (!tests)
        return 1;
    for (size_t i = 0; i < num_cases; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = run_case;
        tests[i].initial_state = &cases[i];
    }
    int rc = _cmocka_run_group_tests("golden", tests, num_cases, NULL, NULL);
    free(tests);
    free(cases);
    return rc;
}
