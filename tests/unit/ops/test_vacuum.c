/*
 * VACUUM (src/ops/vacuum.c) on hand-built tables in temporary folders:
 * commits written with dlog_tx, small data files whose modification times
 * are set with utimes, and a fixed "now".
 *
 * The table built by build_table() (partition column p; retention 168 h):
 *   live:      p=x/live.parquet, p=x/dv.parquet (with deletion vector DV_A)
 *   removed:   p=x/old_removed.parquet  (deletionTimestamp now-200h: expired)
 *              p=y/young_removed.parquet (now-1h: inside the window)
 *              p=z/gone.parquet          (expired; its folder empties)
 *              p=x/dv.parquet with DV_B  (expired; the data file is live)
 *   orphans:   p=x/orphan_old.parquet (mtime now-300h), p=x/orphan_young.parquet
 *              (now-1h), _change_data/cdc-1.parquet (old)
 *   hidden:    _hidden/x.parquet, .hidden.crc, p=x/.part.crc (old), and
 *              _delta_log/ itself (whose files are old against "now")
 * Everything not listed as young has mtime now-300h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <delta/storage.h>
#include <delta/table.h>
#include <delta/vacuum.h>

#include "core/buf.h"
#include "core/error.h"
#include "log/snapshot.h"
#include "log/txn.h"
#include "log/txn_helpers.h"
#include "ops/vacuum.h"
#include "storage/tmpdir.h"
#include "table/dv.h"

#define HOUR INT64_C(3600000)
#define NOW INT64_C(2000000000000) /* 2033-05-18 */
#define DV_A "ab00000000000000000001"
#define DV_B "cd00000000000000000002"

#define PROTO_DV                                                                       \
    "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":" \
    "[\"deletionVectors\"],\"writerFeatures\":[\"deletionVectors\"]}}"

/* ---- building tables ---------------------------------------------------- */

static void mkdirs_for(const char *path)
{
    char *p = strdup(path);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0777);
        *s = '/';
    }
    free(p);
}

static void set_mtime(const char *dir, const char *key, int64_t mtime_ms)
{
    char *path = tmpdir_join(dir, key);
    struct timeval tv[2];
    tv[0].tv_sec = tv[1].tv_sec = (time_t)(mtime_ms / 1000);
    tv[0].tv_usec = tv[1].tv_usec = (suseconds_t)(mtime_ms % 1000) * 1000;
    if (utimes(path, tv) != 0)
        fail_msg("utimes %s: %s", path, strerror(errno));
    free(path);
}

static void make_file(const char *dir, const char *key, int64_t mtime_ms)
{
    char *path = tmpdir_join(dir, key);
    mkdirs_for(path);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("0123456789", fp); /* 10 bytes */
    fclose(fp);
    free(path);
    set_mtime(dir, key, mtime_ms);
}

static bool exists(const char *dir, const char *key)
{
    char *path = tmpdir_join(dir, key);
    struct stat st;
    bool ok = stat(path, &st) == 0;
    free(path);
    return ok;
}

static char *dv_file(const char *z)
{
    dlog_dv d = {0};
    d.storage_type = 'u';
    d.path_or_inline = (char *)z;
    dbuf b = DBUF_INIT;
    assert_int_equal(dtab_dv_file(&d, &b), 0);
    char *out = strdup(dbuf_cstr(&b));
    dbuf_free(&b);
    return out;
}

static void stage_add(dlog_tx *tx, const char *path, const char *part, const char *dv)
{
    char buf[2048];
    char dvtext[256] = "";
    if (dv)
        snprintf(dvtext, sizeof dvtext,
                 ",\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"%s\","
                 "\"offset\":1,\"sizeInBytes\":10,\"cardinality\":1}",
                 dv);
    snprintf(buf, sizeof buf,
             "{\"add\":{\"path\":\"%s\",\"partitionValues\":{\"p\":\"%s\"},\"size\":10,"
             "\"modificationTime\":1,\"dataChange\":true%s}}",
             path, part, dvtext);
    th_stage(tx, buf);
}

static void stage_remove(dlog_tx *tx, const char *path, int64_t ts, const char *dv)
{
    char buf[2048];
    char dvtext[256] = "";
    if (dv)
        snprintf(dvtext, sizeof dvtext,
                 ",\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"%s\","
                 "\"offset\":1,\"sizeInBytes\":10,\"cardinality\":1}",
                 dv);
    snprintf(buf, sizeof buf,
             "{\"remove\":{\"path\":\"%s\",\"deletionTimestamp\":%lld,\"dataChange\":true,"
             "\"size\":10%s}}",
             path, (long long)ts, dvtext);
    th_stage(tx, buf);
}

/* Builds the table described at the top in a new folder; conf is the
 * metaData configuration (JSON members, may be ""). */
static char *build_table(const char *conf)
{
    char *dir = tmpdir_make("vacuum");
    assert_non_null(dir);
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    char meta2[2048];
    snprintf(meta2, sizeof meta2, TH_META_CONF("tid", "%s"), conf);

    dlog_tx *tx = NULL;
    assert_int_equal(dlog_tx_begin(&tx, s, NULL, NULL), 0);
    th_stage(tx, PROTO_DV);
    th_stage(tx, meta2);
    stage_add(tx, "p=x/live.parquet", "x", NULL);
    stage_add(tx, "p=x/dv.parquet", "x", DV_B);
    stage_add(tx, "p=x/old_removed.parquet", "x", NULL);
    stage_add(tx, "p=y/young_removed.parquet", "y", NULL);
    stage_add(tx, "p=z/gone.parquet", "z", NULL);
    th_commit(tx);
    dlog_tx_free(tx);

    dlog_snapshot *snap = th_open(s);
    assert_int_equal(dlog_tx_begin(&tx, s, snap, NULL), 0);
    stage_remove(tx, "p=x/old_removed.parquet", NOW - 200 * HOUR, NULL);
    stage_remove(tx, "p=y/young_removed.parquet", NOW - 1 * HOUR, NULL);
    stage_remove(tx, "p=z/gone.parquet", NOW - 200 * HOUR, NULL);
    stage_remove(tx, "p=x/dv.parquet", NOW - 200 * HOUR, DV_B);
    stage_add(tx, "p=x/dv.parquet", "x", DV_A);
    th_commit(tx);
    dlog_tx_free(tx);
    dlog_snapshot_free(snap);
    delta_store_free(s);

    int64_t old = NOW - 300 * HOUR;
    const char *old_files[] = {"p=x/live.parquet",       "p=x/dv.parquet",
                               "p=x/old_removed.parquet", "p=y/young_removed.parquet",
                               "p=z/gone.parquet",        "p=x/orphan_old.parquet",
                               "_change_data/cdc-1.parquet", "_hidden/x.parquet",
                               ".hidden.crc",             "p=x/.part.crc"};
    for (size_t i = 0; i < sizeof old_files / sizeof old_files[0]; i++)
        make_file(dir, old_files[i], old);
    make_file(dir, "p=x/orphan_young.parquet", NOW - 1 * HOUR);
    char *a = dv_file(DV_A), *b = dv_file(DV_B);
    make_file(dir, a, old);
    make_file(dir, b, old);
    free(a);
    free(b);
    return dir;
}

/* Collects the callback's paths into one newline-joined string. */
static int collect(void *ctx, const delta_vacuum_file *f)
{
    dbuf *b = ctx;
    dbuf_printf(b, "%s\n", f->path);
    assert_int_equal(f->size, 10);
    assert_true(f->age_ms == NOW - f->mtime_ms);
    return 0;
}

static int64_t latest_version(const char *dir)
{
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    int64_t v = snap->version;
    dlog_snapshot_free(snap);
    delta_store_free(s);
    return v;
}

/* Every live file of the latest snapshot, and its deletion vector file,
 * is present. */
static void assert_live_present(delta_store *s, const char *dir)
{
    dlog_snapshot *snap = th_open(s);
    size_t it = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(snap, &it, &f)) {
        assert_true(exists(dir, f->canonical));
        if (f->add.has_dv) {
            dbuf b = DBUF_INIT;
            assert_int_equal(dtab_dv_file(&f->add.dv, &b), 0);
            assert_true(exists(dir, dbuf_cstr(&b)));
            dbuf_free(&b);
        }
    }
    assert_int_equal(dlog_snapshot_num_files(snap), 2);
    dlog_snapshot_free(snap);
}

static char *expected_full(void)
{
    char *b = dv_file(DV_B);
    char *out = NULL;
    /* sorted by key; the DV file's folder "cd/" sorts before "p=" */
    assert_true(asprintf(&out,
                         "_change_data/cdc-1.parquet\n%s\np=x/old_removed.parquet\n"
                         "p=x/orphan_old.parquet\np=z/gone.parquet\n",
                         b) > 0);
    free(b);
    return out;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_hidden_rule(void **state)
{
    (void)state;
    char *pcols[] = {"p", "_q"};
    assert_true(dops_vacuum_hidden("_delta_log/00000000000000000000.json", pcols, 2));
    assert_true(dops_vacuum_hidden("_delta_log/_last_checkpoint", pcols, 2));
    assert_true(dops_vacuum_hidden(".hidden", pcols, 2));
    assert_true(dops_vacuum_hidden("p=1/_SUCCESS", pcols, 2));
    assert_true(dops_vacuum_hidden("p=1/.part-0.parquet.crc", pcols, 2));
    assert_true(dops_vacuum_hidden("_other_engine/f.parquet", pcols, 2));
    assert_true(dops_vacuum_hidden("p=1/_tmp/f.parquet", pcols, 2));
    assert_true(dops_vacuum_hidden("_p=1/f.parquet", pcols, 2)); /* not a column */
    assert_false(dops_vacuum_hidden("_q=1/f.parquet", pcols, 2));
    assert_false(dops_vacuum_hidden("_change_data/cdc-0.parquet", pcols, 2));
    assert_true(dops_vacuum_hidden("p=1/_change_data/cdc-0.parquet", pcols, 2));
    assert_false(dops_vacuum_hidden("part-0.parquet", pcols, 2));
    assert_false(dops_vacuum_hidden("p=1/part-0.parquet", pcols, 2));
    assert_false(dops_vacuum_hidden("ab/deletion_vector_x.bin", pcols, 2));
}

static void test_dry_run_then_vacuum(void **state)
{
    (void)state;
    char *dir = build_table("");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    int64_t v0 = latest_version(dir);
    char *want = expected_full();

    /* dry run: lists exactly the unreferenced old files, deletes nothing */
    dbuf got = DBUF_INIT;
    delta_vacuum_options o = DELTA_VACUUM_OPTIONS_INIT;
    o.now_ms = NOW;
    o.dry_run = true;
    o.on_file = collect;
    o.ctx = &got;
    delta_vacuum_result r;
    assert_int_equal(dops_vacuum(s, &o, &r), 0);
    assert_string_equal(dbuf_cstr(&got), want);
    assert_int_equal(r.num_files, 5);
    assert_int_equal(r.num_bytes, 50);
    assert_int_equal(r.files_deleted, 0);
    assert_int_equal(r.start_version, -1);
    assert_int_equal(r.retention_ms, 168 * HOUR);
    assert_true(exists(dir, "p=x/old_removed.parquet"));
    assert_true(exists(dir, "p=x/orphan_old.parquet"));
    assert_true(exists(dir, "_change_data/cdc-1.parquet"));
    assert_int_equal(latest_version(dir), v0);

    /* the real run deletes exactly those */
    dbuf_reset(&got);
    o.dry_run = false;
    assert_int_equal(dops_vacuum(s, &o, &r), 0);
    assert_string_equal(dbuf_cstr(&got), want);
    assert_int_equal(r.files_deleted, 5);
    assert_int_equal(r.bytes_deleted, 50);
    assert_int_equal(r.start_version, v0 + 1);
    assert_int_equal(r.end_version, v0 + 2);
    assert_false(exists(dir, "p=x/old_removed.parquet"));
    assert_false(exists(dir, "p=x/orphan_old.parquet"));
    assert_false(exists(dir, "_change_data/cdc-1.parquet"));
    assert_false(exists(dir, "p=z/gone.parquet"));
    char *b = dv_file(DV_B);
    assert_false(exists(dir, b));
    free(b);
    /* emptied folders removed: p=z, cd (DV_B's), _change_data */
    assert_false(exists(dir, "p=z"));
    assert_false(exists(dir, "_change_data"));
    assert_true(exists(dir, "p=x"));
    assert_int_equal(r.dirs_deleted, 3);
    /* kept: live, young tombstone, young orphan, hidden, log */
    assert_true(exists(dir, "p=y/young_removed.parquet"));
    assert_true(exists(dir, "p=x/orphan_young.parquet"));
    assert_true(exists(dir, "_hidden/x.parquet"));
    assert_true(exists(dir, ".hidden.crc"));
    assert_true(exists(dir, "p=x/.part.crc"));
    assert_true(exists(dir, "_delta_log/00000000000000000000.json"));
    assert_true(exists(dir, "_delta_log/00000000000000000001.json"));
    assert_live_present(s, dir);

    /* VACUUM START / END commits with Delta's metrics */
    dlog_snapshot *st = th_open_at(s, r.start_version);
    assert_string_equal(st->commit_info.operation, "VACUUM START");
    assert_non_null(strstr(st->commit_info.json, "\"numFilesToDelete\":\"5\""));
    assert_non_null(strstr(st->commit_info.json, "\"sizeOfDataToDelete\":\"50\""));
    assert_non_null(strstr(st->commit_info.json, "\"retentionCheckEnabled\":true"));
    assert_non_null(strstr(st->commit_info.json, "\"defaultRetentionMillis\":604800000"));
    dlog_snapshot_free(st);
    dlog_snapshot *en = th_open_at(s, r.end_version);
    assert_string_equal(en->commit_info.operation, "VACUUM END");
    assert_non_null(strstr(en->commit_info.json, "\"status\":\"COMPLETED\""));
    assert_non_null(strstr(en->commit_info.json, "\"numDeletedFiles\":\"5\""));
    assert_non_null(strstr(en->commit_info.json, "\"numVacuumedDirectories\":\"3\""));
    assert_int_equal(dlog_snapshot_num_files(en), 2);
    dlog_snapshot_free(en);

    /* a second vacuum finds nothing */
    dbuf_reset(&got);
    assert_int_equal(dops_vacuum(s, &o, &r), 0);
    assert_int_equal(r.num_files, 0);
    assert_int_equal(got.len, 0);

    dbuf_free(&got);
    free(want);
    delta_store_free(s);
    tmpdir_remove(dir);
}

static void test_lite(void **state)
{
    (void)state;
    char *dir = build_table("");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dbuf got = DBUF_INIT;
    delta_vacuum_options o = DELTA_VACUUM_OPTIONS_INIT;
    o.now_ms = NOW;
    o.lite = true;
    o.on_file = collect;
    o.ctx = &got;
    delta_vacuum_result r;
    assert_int_equal(dops_vacuum(s, &o, &r), 0);
    char *b = dv_file(DV_B);
    char *want = NULL;
    assert_true(asprintf(&want, "%s\np=x/old_removed.parquet\np=z/gone.parquet\n", b) > 0);
    assert_string_equal(dbuf_cstr(&got), want);
    assert_int_equal(r.files_deleted, 3);
    /* orphans and change data are not found without a listing */
    assert_true(exists(dir, "p=x/orphan_old.parquet"));
    assert_true(exists(dir, "_change_data/cdc-1.parquet"));
    assert_true(exists(dir, "p=x/dv.parquet"));
    assert_live_present(s, dir);
    dlog_snapshot *st = th_open_at(s, r.start_version);
    assert_non_null(strstr(st->commit_info.json, "\"vacuumType\":\"LITE\""));
    dlog_snapshot_free(st);
    free(b);
    free(want);
    dbuf_free(&got);
    delta_store_free(s);
    tmpdir_remove(dir);
}

static void test_retention_refused_and_forced(void **state)
{
    (void)state;
    char *dir = build_table("");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    int64_t v0 = latest_version(dir);
    delta_vacuum_options o = DELTA_VACUUM_OPTIONS_INIT;
    o.now_ms = NOW;
    o.retention_hours = 0.5;
    delta_vacuum_result r;
    assert_int_equal(dops_vacuum(s, &o, &r), DELTA_EPERM);
    assert_non_null(strstr(delta_error_last(), "time travel"));
    assert_non_null(strstr(delta_error_last(), "168 h"));
    assert_non_null(strstr(delta_error_last(), "--force-unsafe-retention"));
    assert_true(exists(dir, "p=x/old_removed.parquet"));
    assert_int_equal(latest_version(dir), v0);

    /* a longer retention than the table's is always fine */
    o.retention_hours = 250;
    o.dry_run = true;
    assert_int_equal(dops_vacuum(s, &o, &r), 0);
    assert_int_equal(r.num_files, 2); /* the 300 h old orphans; tombstones are younger */
    o.dry_run = false;

    /* forced: the young tombstone and the young orphan go too */
    o.retention_hours = 0.5;
    o.force_unsafe_retention = true;
    assert_int_equal(dops_vacuum(s, &o, &r), 0);
    assert_int_equal(r.files_deleted, 7);
    assert_false(exists(dir, "p=y/young_removed.parquet"));
    assert_false(exists(dir, "p=x/orphan_young.parquet"));
    assert_live_present(s, dir);
    dlog_snapshot *st = th_open_at(s, r.start_version);
    assert_non_null(strstr(st->commit_info.json, "\"retentionCheckEnabled\":false"));
    assert_non_null(strstr(st->commit_info.json, "\"specifiedRetentionMillis\":1800000"));
    dlog_snapshot_free(st);
    delta_store_free(s);
    tmpdir_remove(dir);
}

static void test_table_retention_property(void **state)
{
    (void)state;
    char *dir = build_table("\"delta.deletedFileRetentionDuration\":\"interval 2 hours\"");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    delta_vacuum_options o = DELTA_VACUUM_OPTIONS_INIT;
    o.now_ms = NOW;
    o.dry_run = true;
    delta_vacuum_result r;
    assert_int_equal(dops_vacuum(s, &o, &r), 0);
    assert_int_equal(r.retention_ms, 2 * HOUR);
    assert_int_equal(r.num_files, 5); /* the 1 h old tombstone is inside 2 h */
    o.retention_hours = 1;
    assert_int_equal(dops_vacuum(s, &o, &r), DELTA_EPERM);
    assert_non_null(strstr(delta_error_last(), "2 h"));
    delta_store_free(s);
    tmpdir_remove(dir);

    dir = build_table("\"delta.deletedFileRetentionDuration\":\"forever\"");
    assert_int_equal(delta_store_open(&s, dir), 0);
    o.retention_hours = -1;
    assert_int_equal(dops_vacuum(s, &o, &r), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "deletedFileRetentionDuration"));
    delta_store_free(s);
    tmpdir_remove(dir);
}

static int stop_after_one(void *ctx, const delta_vacuum_file *f)
{
    (void)f;
    int *n = ctx;
    return ++*n > 1;
}

static void test_callback_stops(void **state)
{
    (void)state;
    char *dir = build_table("");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    int n = 0;
    delta_vacuum_options o = DELTA_VACUUM_OPTIONS_INIT;
    o.now_ms = NOW;
    o.on_file = stop_after_one;
    o.ctx = &n;
    delta_vacuum_result r;
    assert_int_equal(dops_vacuum(s, &o, &r), DELTA_ECANCELED);
    assert_int_equal(r.files_deleted, 1);
    /* VACUUM END records the failure */
    dlog_snapshot *snap = th_open(s);
    assert_string_equal(snap->commit_info.operation, "VACUUM END");
    assert_non_null(strstr(snap->commit_info.json, "\"status\":\"FAILED\""));
    dlog_snapshot_free(snap);
    assert_live_present(s, dir);
    delta_store_free(s);
    tmpdir_remove(dir);
}

/* A simulated crash at every storage operation of a vacuum: afterwards
 * the table opens and every live file (and deletion vector) is there; a
 * second vacuum then completes the work. */
static void test_crash_at_every_operation(void **state)
{
    (void)state;
    char *want = expected_full();
    for (uint64_t n = 1;; n++) {
        char *dir = build_table("");
        delta_store *inner = NULL, *faulty = NULL;
        assert_int_equal(delta_store_open(&inner, dir), 0);
        assert_int_equal(delta_store_fault_wrap(&faulty, inner, DELTA_FAULT_CRASH, n), 0);
        delta_vacuum_options o = DELTA_VACUUM_OPTIONS_INIT;
        o.now_ms = NOW;
        delta_vacuum_result r;
        int rc = dops_vacuum(faulty, &o, &r);
        delta_fault_stats st;
        delta_store_fault_stats(faulty, &st);
        delta_store_free(faulty);
        assert_live_present(inner, dir);
        assert_true(exists(dir, "p=y/young_removed.parquet"));
        assert_true(exists(dir, "p=x/orphan_young.parquet"));
        assert_true(exists(dir, "_hidden/x.parquet"));
        /* recovery: a second vacuum deletes what is left */
        dbuf got = DBUF_INIT;
        o.on_file = collect;
        o.ctx = &got;
        assert_int_equal(dops_vacuum(inner, &o, &r), 0);
        assert_false(exists(dir, "p=x/old_removed.parquet"));
        assert_false(exists(dir, "p=x/orphan_old.parquet"));
        assert_live_present(inner, dir);
        dbuf_free(&got);
        delta_store_free(inner);
        tmpdir_remove(dir);
        if (!st.crashed) {
            assert_int_equal(rc, 0);
            assert_true(n > 8); /* the loop did cover the deletes */
            break;
        }
        assert_int_not_equal(rc, 0);
    }
    free(want);
}

/* Paths spelled absolutely: a live file named by a file: URI inside the
 * root is kept; an expired remove naming a file outside the root never
 * deletes it. */
static void test_absolute_paths(void **state)
{
    (void)state;
    char *dir = build_table("");
    char *outside = tmpdir_make("vacuum-out");
    make_file(outside, "victim.parquet", NOW - 300 * HOUR);
    make_file(dir, "p=x/abs_live.parquet", NOW - 300 * HOUR);
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    dlog_snapshot *snap = th_open(s);
    dlog_tx *tx = NULL;
    assert_int_equal(dlog_tx_begin(&tx, s, snap, NULL), 0);
    char path[1024];
    snprintf(path, sizeof path, "file://%s/p=x/abs_live.parquet", dir);
    stage_add(tx, path, "x", NULL);
    snprintf(path, sizeof path, "%s/victim.parquet", outside);
    stage_remove(tx, path, NOW - 200 * HOUR, NULL);
    th_commit(tx);
    dlog_tx_free(tx);
    dlog_snapshot_free(snap);
    for (int lite = 0; lite < 2; lite++) {
        delta_vacuum_options o = DELTA_VACUUM_OPTIONS_INIT;
        o.now_ms = NOW;
        o.lite = lite;
        delta_vacuum_result r;
        assert_int_equal(dops_vacuum(s, &o, &r), 0);
        assert_true(exists(dir, "p=x/abs_live.parquet"));
        assert_true(exists(outside, "victim.parquet"));
    }
    assert_false(exists(dir, "p=x/orphan_old.parquet"));
    delta_store_free(s);
    tmpdir_remove(outside);
    tmpdir_remove(dir);
}

static void test_public_api(void **state)
{
    (void)state;
    char *dir = build_table("");
    delta_table *t = NULL;
    assert_int_equal(delta_table_open(&t, dir), 0);
    delta_vacuum_options o = DELTA_VACUUM_OPTIONS_INIT;
    o.now_ms = NOW;
    delta_vacuum_result r;
    assert_int_equal(delta_table_vacuum(t, &o, &r), 0);
    assert_int_equal(r.files_deleted, 5);
    delta_snapshot *snap = NULL;
    assert_int_equal(delta_table_snapshot(&snap, t, -1, NULL), 0);
    assert_int_equal(delta_snapshot_version(snap), r.end_version);
    assert_int_equal(delta_snapshot_num_files(snap), 2);
    delta_snapshot_free(snap);
    /* bad options */
    o.retention_hours = NAN;
    assert_int_equal(delta_table_vacuum(t, &o, &r), DELTA_EINVAL);
    delta_table_free(t);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hidden_rule),
        cmocka_unit_test(test_dry_run_then_vacuum),
        cmocka_unit_test(test_lite),
        cmocka_unit_test(test_retention_refused_and_forced),
        cmocka_unit_test(test_table_retention_property),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_crash_at_every_operation),
        cmocka_unit_test(test_absolute_paths),
        cmocka_unit_test(test_public_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
