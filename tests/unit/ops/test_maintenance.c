/*
 * Lake maintenance (src/ops/maintenance.c) on small lakes in temporary
 * folders, driven by an injected clock:
 *   - the schedule runs exactly the jobs that are due, and their records
 *     (table, operation, trigger, status, files and bytes) land in the job
 *     log and the metrics;
 *   - a job on a corrupt table fails, is recorded with its error, and the
 *     other tables' jobs still run;
 *   - a table's lock held by a live process keeps jobs off that table; a
 *     lock left by a dead process is taken over and its job recorded as
 *     abandoned (failed), never as succeeded;
 *   - per-table policy properties and the lake config change what is due;
 *   - table health numbers (files, small files, average size, versions
 *     since checkpoint, bytes a vacuum would reclaim).
 * Tables are made with the public API: each append writes one small file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <delta/maintenance.h>
#include <delta/storage.h>
#include <delta/table.h>

#include "core/error.h"
#include "ops/maintenance.h"
#include "storage/tmpdir.h"

#define MIN_MS INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
#define T2030 INT64_C(1893456000000) /* 2030-01-01T00:00:00Z, a Tuesday */

static int64_t fake_now;

static int64_t clock_fn(void *ctx)
{
    (void)ctx;
    return fake_now;
}

/* ---- building lakes ---------------------------------------------------------- */

static void make_table(const char *lake, const char *name, int appends, const char *const *pkeys,
                       const char *const *pvals, size_t nprops)
{
    char *dir = tmpdir_join(lake, name);
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\","
                     "\"nullable\":true,\"metadata\":{}}]}";
    co.property_keys = pkeys;
    co.property_values = pvals;
    co.num_properties = nprops;
    if (delta_table_create(dir, &co, NULL))
        fail_msg("create %s: %s", dir, delta_error_last());
    delta_table *t = NULL;
    assert_int_equal(delta_table_open(&t, dir), 0);
    char *input = tmpdir_join(lake, "input.ndjson");
    for (int i = 0; i < appends; i++) {
        FILE *fp = fopen(input, "w");
        assert_non_null(fp);
        fprintf(fp, "{\"id\":%d}\n{\"id\":%d}\n", 2 * i, 2 * i + 1);
        fclose(fp);
        if (delta_table_write_file(t, input, "ndjson", NULL, NULL))
            fail_msg("write %s: %s", dir, delta_error_last());
    }
    unlink(input);
    free(input);
    delta_table_free(t);
    free(dir);
}

static void make_broken(const char *lake, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", lake, name);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/_delta_log", lake, name);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/_delta_log/00000000000000000000.json", lake, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("this is not a commit\n", fp);
    fclose(fp);
}

static size_t live_files(const char *lake, const char *name)
{
    char *dir = tmpdir_join(lake, name);
    delta_table *t = NULL;
    delta_snapshot *s = NULL;
    assert_int_equal(delta_table_open(&t, dir), 0);
    assert_int_equal(delta_table_snapshot(&s, t, -1, NULL), 0);
    size_t n = delta_snapshot_num_files(s);
    delta_snapshot_free(s);
    delta_table_free(t);
    free(dir);
    return n;
}

static delta_maintenance *open_lake(const char *lake)
{
    delta_maintenance_options mo = DELTA_MAINTENANCE_OPTIONS_INIT;
    mo.now_ms = clock_fn;
    delta_maintenance *m = NULL;
    assert_int_equal(delta_maintenance_open(&m, lake, &mo), 0);
    return m;
}

static void put_text(const char *lake, const char *key, const char *text)
{
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, lake), 0);
    assert_int_equal(delta_store_put(s, key, text, strlen(text)), 0);
    delta_store_free(s);
}

static bool key_exists(const char *lake, const char *key)
{
    delta_store *s = NULL;
    delta_object_info info = {0};
    assert_int_equal(delta_store_open(&s, lake), 0);
    bool ok = delta_store_head(s, key, &info) == 0;
    delta_store_free(s);
    return ok;
}

/* Jobs reported to the callback. */
typedef struct seen {
    char table[16][64];
    int op[16];
    int status[16];
    char error[16][512];
    int n;
} seen;

static int on_job(void *ctx, const delta_maintenance_job *j)
{
    seen *s = ctx;
    if (s->n < 16) {
        snprintf(s->table[s->n], sizeof s->table[0], "%s", j->table);
        s->op[s->n] = (int)j->op;
        s->status[s->n] = (int)j->status;
        snprintf(s->error[s->n], sizeof s->error[0], "%s", j->error ? j->error : "");
    }
    s->n++;
    return 0;
}

static const delta_maintenance_table_health *health(const delta_maintenance_metrics *mt,
                                                    const char *name)
{
    for (size_t i = 0; i < mt->num_tables; i++)
        if (strcmp(mt->tables[i].name, name) == 0)
            return &mt->tables[i];
    fail_msg("no table %s in the metrics", name);
    return NULL;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_schedule_runs_due_jobs(void **state)
{
    (void)state;
    char *lake = tmpdir_make("maint-due");
    make_table(lake, "many", 12, NULL, NULL, 0); /* 12 small files, checkpoint at v10 */
    make_table(lake, "few", 2, NULL, NULL, 0);   /* 2 small files */
    delta_maintenance *m = open_lake(lake);
    delta_maintenance_summary sum;

    /* disabled: nothing runs, nothing is due */
    fake_now = T2030;
    assert_int_equal(delta_maintenance_run_due(m, NULL, &sum), 0);
    assert_int_equal(sum.jobs_run, 0);
    assert_int_equal(sum.next_due_ms, -1);

    /* enabled at 00:30 on Tuesday: nothing fired since */
    fake_now = T2030 + 30 * MIN_MS;
    assert_int_equal(delta_maintenance_schedule(m, 1, NULL), 0);
    assert_int_equal(delta_maintenance_run_due(m, NULL, &sum), 0);
    assert_int_equal(sum.jobs_run, 0);
    assert_int_equal(sum.skipped, 0);
    assert_int_equal(sum.next_due_ms, T2030 + HOUR_MS); /* the hourly checkpoint */

    /* 02:30: optimize is due on both; only "many" has >= 10 small files;
     * checkpoints are due but neither table is 10 versions past one */
    fake_now = T2030 + 2 * HOUR_MS + 30 * MIN_MS;
    delta_maintenance_run_options ro = DELTA_MAINTENANCE_RUN_OPTIONS_INIT;
    seen s = {0};
    ro.on_job = on_job;
    ro.ctx = &s;
    assert_int_equal(delta_maintenance_run_due(m, &ro, &sum), 0);
    assert_int_equal(sum.jobs_run, 1);
    assert_int_equal(sum.succeeded, 1);
    assert_int_equal(sum.failed, 0);
    assert_int_equal(sum.skipped, 3);
    assert_int_equal(sum.next_due_ms, T2030 + 3 * HOUR_MS);
    assert_int_equal(live_files(lake, "many"), 1);
    assert_int_equal(live_files(lake, "few"), 2);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.table[0], "few");
    assert_int_equal(s.status[0], DELTA_MAINTENANCE_SKIPPED);
    assert_non_null(strstr(s.error[0], "2 small files"));

    delta_maintenance_metrics *mt = NULL;
    assert_int_equal(delta_maintenance_metrics_get(m, 10, &mt), 0);
    assert_true(mt->schedule_enabled);
    assert_int_equal(mt->jobs, 1);
    assert_int_equal(mt->num_recent, 1);
    const delta_maintenance_job *j = &mt->recent[0];
    assert_string_equal(j->table, "many");
    assert_int_equal(j->op, DELTA_MAINTENANCE_OPTIMIZE);
    assert_int_equal(j->status, DELTA_MAINTENANCE_SUCCEEDED);
    assert_string_equal(j->trigger, "schedule");
    assert_int_equal(j->start_ms, fake_now);
    assert_int_equal(j->files_removed, 12);
    assert_int_equal(j->files_added, 1);
    assert_true(j->bytes_removed > j->bytes_added && j->bytes_added > 0);
    assert_int_equal(j->version, 13);
    assert_null(j->error);
    assert_non_null(strstr(j->id, DOPS_MAINT_JOBS));
    assert_int_equal(mt->ops[DELTA_MAINTENANCE_OPTIMIZE].jobs, 1);
    assert_int_equal(mt->ops[DELTA_MAINTENANCE_OPTIMIZE].files_removed, 12);
    /* the 12 rewritten files are old against 2030: a vacuum would delete them */
    const delta_maintenance_table_health *h = health(mt, "many");
    assert_int_equal(h->num_files, 1);
    assert_int_equal(h->reclaimable_files, 12);
    assert_int_equal(h->reclaimable_bytes, j->bytes_removed);
    assert_int_equal(h->last_success_ms[DELTA_MAINTENANCE_OPTIMIZE], fake_now);
    int64_t reclaim_bytes = h->reclaimable_bytes;
    delta_maintenance_metrics_free(mt);

    /* the same time again: nothing new is due */
    assert_int_equal(delta_maintenance_run_due(m, NULL, &sum), 0);
    assert_int_equal(sum.jobs_run + sum.skipped, 0);

    /* the lake lowers the small-file count: "few" is optimized next day */
    put_text(lake, DOPS_MAINT_CONFIG,
             "{\"enabled\":true,\"enabled_at_ms\":1893457800000,"
             "\"optimize\":{\"min_small_files\":2}}");
    fake_now = T2030 + DAY_MS + 2 * HOUR_MS + 1;
    assert_int_equal(delta_maintenance_run_due(m, NULL, &sum), 0);
    assert_int_equal(sum.jobs_run, 1);
    assert_int_equal(sum.succeeded, 1);
    assert_int_equal(live_files(lake, "few"), 1);

    /* Sunday 03:00: vacuum runs on both and deletes what it reported */
    fake_now = T2030 + 5 * DAY_MS + 3 * HOUR_MS + 5 * MIN_MS;
    assert_int_equal(delta_maintenance_run_due(m, NULL, &sum), 0);
    assert_int_equal(sum.jobs_run, 2);
    assert_int_equal(sum.succeeded, 2);
    assert_int_equal(delta_maintenance_metrics_get(m, 10, &mt), 0);
    assert_int_equal(mt->jobs, 4);
    assert_int_equal(mt->ops[DELTA_MAINTENANCE_VACUUM].jobs, 2);
    assert_int_equal(mt->ops[DELTA_MAINTENANCE_VACUUM].files_removed, 12 + 2);
    assert_string_equal(mt->recent[0].table, "many"); /* newest first: "few", then "many" */
    assert_int_equal(mt->recent[0].op, DELTA_MAINTENANCE_VACUUM);
    assert_int_equal(mt->recent[0].files_removed, 12);
    assert_int_equal(mt->recent[0].bytes_removed, reclaim_bytes);
    assert_int_equal(health(mt, "many")->reclaimable_files, 0);
    delta_maintenance_metrics_free(mt);

    delta_maintenance_free(m);
    tmpdir_remove(lake);
}

static void test_failed_job_does_not_stop_others(void **state)
{
    (void)state;
    char *lake = tmpdir_make("maint-fail");
    make_table(lake, "alpha", 3, NULL, NULL, 0);
    make_broken(lake, "beta");
    make_table(lake, "gamma", 3, NULL, NULL, 0);
    delta_maintenance *m = open_lake(lake);
    fake_now = T2030;
    delta_maintenance_summary sum;
    assert_int_equal(delta_maintenance_run_op(m, DELTA_MAINTENANCE_OPTIMIZE, NULL, &sum), 0);
    assert_int_equal(sum.jobs_run, 3);
    assert_int_equal(sum.succeeded, 2);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(live_files(lake, "alpha"), 1);
    assert_int_equal(live_files(lake, "gamma"), 1);

    delta_maintenance_metrics *mt = NULL;
    assert_int_equal(delta_maintenance_metrics_get(m, 10, &mt), 0);
    assert_int_equal(mt->jobs, 3);
    assert_int_equal(mt->failed, 1);
    bool found = false;
    for (size_t i = 0; i < mt->num_recent; i++) {
        const delta_maintenance_job *j = &mt->recent[i];
        if (strcmp(j->table, "beta") != 0)
            continue;
        found = true;
        assert_int_equal(j->status, DELTA_MAINTENANCE_FAILED);
        assert_string_equal(j->trigger, "manual");
        assert_non_null(j->error);
        assert_non_null(strstr(j->error, "00000000000000000000.json"));
        assert_int_equal(j->version, -1);
    }
    assert_true(found);
    const delta_maintenance_table_health *h = health(mt, "beta");
    assert_int_equal(h->version, -1);
    assert_non_null(h->error);
    assert_int_equal(health(mt, "alpha")->num_files, 1);
    delta_maintenance_metrics_free(mt);

    /* the schedule too: the broken table's due jobs fail and are
     * recorded, the others run */
    assert_int_equal(delta_maintenance_schedule(m, 1, NULL), 0);
    fake_now = T2030 + 5 * DAY_MS + 3 * HOUR_MS; /* Sunday 03:00: vacuum, optimize, checkpoint */
    seen s = {0};
    delta_maintenance_run_options ro = DELTA_MAINTENANCE_RUN_OPTIONS_INIT;
    ro.on_job = on_job;
    ro.ctx = &s;
    assert_int_equal(delta_maintenance_run_due(m, &ro, &sum), 0);
    assert_int_equal(sum.failed, 3);    /* beta: optimize, vacuum, checkpoint */
    assert_int_equal(sum.succeeded, 2); /* alpha and gamma: vacuum */
    assert_int_equal(sum.skipped, 4);   /* few small files, few versions */
    delta_maintenance_free(m);
    tmpdir_remove(lake);
}

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    int st;
    waitpid(pid, &st, 0);
    return pid;
}

static void test_lock_keeps_jobs_apart(void **state)
{
    (void)state;
    char *lake = tmpdir_make("maint-lock");
    make_table(lake, "t1", 3, NULL, NULL, 0);
    make_table(lake, "t2", 3, NULL, NULL, 0);
    delta_maintenance *m = open_lake(lake);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    fake_now = T2030;

    /* a live job (this very process) holds t1 */
    char lock[1024];
    snprintf(lock, sizeof lock,
             "{\"pid\":%ld,\"host\":\"%s\",\"table\":\"t1\",\"operation\":\"vacuum\","
             "\"start_ms\":%lld}",
             (long)getpid(), host, (long long)(T2030 - MIN_MS));
    put_text(lake, DOPS_MAINT_LOCKS "t1.lock", lock);
    seen s = {0};
    delta_maintenance_run_options ro = DELTA_MAINTENANCE_RUN_OPTIONS_INIT;
    ro.on_job = on_job;
    ro.ctx = &s;
    delta_maintenance_summary sum;
    assert_int_equal(delta_maintenance_run_op(m, DELTA_MAINTENANCE_OPTIMIZE, &ro, &sum), 0);
    assert_int_equal(sum.skipped, 1);
    assert_int_equal(sum.succeeded, 1);
    assert_int_equal(s.status[0], DELTA_MAINTENANCE_SKIPPED);
    assert_non_null(strstr(s.error[0], "locked"));
    assert_int_equal(live_files(lake, "t1"), 3); /* untouched */
    assert_int_equal(live_files(lake, "t2"), 1);
    assert_true(key_exists(lake, DOPS_MAINT_LOCKS "t1.lock"));  /* not ours to remove */
    assert_false(key_exists(lake, DOPS_MAINT_LOCKS "t2.lock")); /* released */
    delta_maintenance_metrics *mt = NULL;
    assert_int_equal(delta_maintenance_metrics_get(m, 10, &mt), 0);
    assert_int_equal(mt->jobs, 1); /* the skipped job is not recorded */
    delta_maintenance_metrics_free(mt);

    /* the holder crashed: its process is gone; the lock is taken over and
     * the crashed job recorded as failed, then the optimize runs */
    snprintf(lock, sizeof lock,
             "{\"pid\":%ld,\"host\":\"%s\",\"table\":\"t1\",\"operation\":\"vacuum\","
             "\"start_ms\":%lld}",
             (long)dead_pid(), host, (long long)(T2030 - MIN_MS));
    put_text(lake, DOPS_MAINT_LOCKS "t1.lock", lock);
    assert_int_equal(delta_maintenance_run_op(m, DELTA_MAINTENANCE_OPTIMIZE, NULL, &sum), 0);
    assert_int_equal(sum.succeeded, 2);
    assert_int_equal(live_files(lake, "t1"), 1);
    assert_false(key_exists(lake, DOPS_MAINT_LOCKS "t1.lock"));
    assert_int_equal(delta_maintenance_metrics_get(m, 10, &mt), 0);
    assert_int_equal(mt->jobs, 4);
    assert_int_equal(mt->ops[DELTA_MAINTENANCE_VACUUM].jobs, 1);
    assert_int_equal(mt->ops[DELTA_MAINTENANCE_VACUUM].succeeded, 0);
    assert_int_equal(mt->ops[DELTA_MAINTENANCE_VACUUM].failed, 1);
    bool found = false;
    for (size_t i = 0; i < mt->num_recent; i++) {
        if (mt->recent[i].op != DELTA_MAINTENANCE_VACUUM)
            continue;
        found = true;
        assert_string_equal(mt->recent[i].table, "t1");
        assert_string_equal(mt->recent[i].trigger, "recovery");
        assert_int_equal(mt->recent[i].status, DELTA_MAINTENANCE_FAILED);
        assert_non_null(strstr(mt->recent[i].error, "abandoned"));
        assert_int_equal(mt->recent[i].start_ms, T2030 - MIN_MS);
    }
    assert_true(found);
    delta_maintenance_metrics_free(mt);

    /* a lock of another host: live until it is older than the stale limit */
    put_text(lake, DOPS_MAINT_LOCKS "t2.lock",
             "{\"pid\":1,\"host\":\"elsewhere.example\",\"table\":\"t2\","
             "\"operation\":\"optimize\",\"start_ms\":1893456000000}");
    fake_now = T2030 + 23 * HOUR_MS;
    assert_int_equal(delta_maintenance_run_op(m, DELTA_MAINTENANCE_CHECKPOINT, NULL, &sum), 0);
    assert_int_equal(sum.skipped, 1); /* t2 locked (t1 checkpointed) */
    assert_int_equal(sum.succeeded, 1);
    fake_now = T2030 + 25 * HOUR_MS;
    assert_int_equal(delta_maintenance_run_op(m, DELTA_MAINTENANCE_CHECKPOINT, NULL, &sum), 0);
    assert_int_equal(sum.succeeded, 1); /* t2; t1 is already checkpointed */
    assert_int_equal(sum.skipped, 1);
    assert_false(key_exists(lake, DOPS_MAINT_LOCKS "t2.lock"));

    delta_maintenance_free(m);
    tmpdir_remove(lake);
}

static void test_policy_and_config(void **state)
{
    (void)state;
    char *lake = tmpdir_make("maint-policy");
    static const char *const off_k[] = {"maintenance.optimize.schedule",
                                        "maintenance.optimize.minSmallFiles"};
    static const char *const off_v[] = {"off", "1"};
    static const char *const hourly_k[] = {"maintenance.optimize.schedule",
                                           "maintenance.optimize.minSmallFiles",
                                           "maintenance.optimize.smallFileBytes"};
    static const char *const hourly_v[] = {"15 * * * *", "2", "1mb"};
    static const char *const skip_k[] = {"maintenance.enabled"};
    static const char *const skip_v[] = {"false"};
    static const char *const bad_k[] = {"maintenance.vacuum.schedule"};
    static const char *const bad_v[] = {"0 3 * *"};
    make_table(lake, "hourly", 3, hourly_k, hourly_v, 3);
    make_table(lake, "never", 3, off_k, off_v, 2);
    make_table(lake, "skipme", 3, skip_k, skip_v, 1);
    make_table(lake, "zbad", 1, bad_k, bad_v, 1);
    delta_maintenance *m = open_lake(lake);

    /* invalid cron expressions are refused naming the field */
    const char *bad[3] = {"61 * * * *", NULL, NULL};
    assert_int_equal(delta_maintenance_schedule(m, 1, bad), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "--optimize"));
    assert_non_null(strstr(delta_error_last(), "minute"));
    assert_false(key_exists(lake, DOPS_MAINT_CONFIG)); /* nothing written */

    fake_now = T2030;
    const char *crons[3] = {"0 4 * * *", "off", "off"};
    assert_int_equal(delta_maintenance_schedule(m, 1, crons), 0);
    char *conf = NULL;
    assert_int_equal(delta_maintenance_config_json(m, &conf), 0);
    assert_non_null(strstr(conf, "\"enabled\":true"));
    assert_non_null(strstr(conf, "\"enabled_at_ms\":1893456000000"));
    assert_non_null(strstr(conf, "\"schedule\":\"0 4 * * *\""));
    assert_non_null(strstr(conf, "\"schedule\":\"off\""));
    delta_free(conf);

    /* 00:20: only "hourly" (its own schedule) is due; "zbad" has an
     * invalid policy property: its lake-scheduled jobs fail at 04:00 */
    fake_now = T2030 + 20 * MIN_MS;
    seen s = {0};
    delta_maintenance_run_options ro = DELTA_MAINTENANCE_RUN_OPTIONS_INIT;
    ro.on_job = on_job;
    ro.ctx = &s;
    delta_maintenance_summary sum;
    assert_int_equal(delta_maintenance_run_due(m, &ro, &sum), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.table[0], "hourly");
    assert_int_equal(s.status[0], DELTA_MAINTENANCE_SUCCEEDED);
    assert_int_equal(live_files(lake, "hourly"), 1);
    assert_int_equal(sum.next_due_ms, T2030 + HOUR_MS + 15 * MIN_MS);

    fake_now = T2030 + 4 * HOUR_MS;
    memset(&s, 0, sizeof s);
    assert_int_equal(delta_maintenance_run_due(m, &ro, &sum), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.table[0], "hourly"); /* due again, one file left: skipped */
    assert_int_equal(s.status[0], DELTA_MAINTENANCE_SKIPPED);
    assert_string_equal(s.table[1], "zbad");
    assert_int_equal(s.status[1], DELTA_MAINTENANCE_FAILED);
    assert_non_null(strstr(s.error[1], "maintenance.vacuum.schedule"));
    assert_int_equal(live_files(lake, "never"), 3);
    assert_int_equal(live_files(lake, "skipme"), 3);

    /* disabling stops everything */
    assert_int_equal(delta_maintenance_schedule(m, 0, NULL), 0);
    fake_now = T2030 + 2 * DAY_MS;
    assert_int_equal(delta_maintenance_run_due(m, NULL, &sum), 0);
    assert_int_equal(sum.jobs_run + sum.skipped, 0);
    assert_int_equal(sum.next_due_ms, -1);

    /* a config.json that is not valid is an error naming it */
    put_text(lake, DOPS_MAINT_CONFIG, "{\"enabled\":true,\"vacuum\":{\"schedule\":\"x\"}}");
    assert_int_equal(delta_maintenance_run_due(m, NULL, &sum), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "config.json"));

    delta_maintenance_free(m);
    tmpdir_remove(lake);
}

static void test_health_numbers(void **state)
{
    (void)state;
    char *lake = tmpdir_make("maint-health");
    static const char *const k[] = {"delta.checkpointInterval",
                                    "maintenance.vacuum.retentionHours"};
    static const char *const v[] = {"100", "200"};
    make_table(lake, "t", 4, k, v, 2);
    delta_maintenance *m = open_lake(lake);
    fake_now = T2030;
    delta_maintenance_metrics *mt = NULL;
    assert_int_equal(delta_maintenance_metrics_get(m, 10, &mt), 0);
    const delta_maintenance_table_health *h = health(mt, "t");
    assert_int_equal(h->version, 4);
    assert_int_equal(h->num_files, 4);
    assert_true(h->total_bytes > 0);
    assert_int_equal(h->avg_file_bytes, h->total_bytes / 4);
    assert_int_equal(h->small_file_threshold, 32 * 1024 * 1024);
    assert_int_equal(h->small_files, 4);
    assert_true(h->small_file_ratio == 1.0);
    assert_int_equal(h->last_checkpoint_version, -1);
    assert_int_equal(h->versions_since_checkpoint, 5);
    assert_int_equal(h->checkpoint_interval, 100);
    assert_int_equal(h->reclaimable_files, 0);
    assert_true(h->retention_hours == 200.0);
    assert_int_equal(h->last_success_ms[DELTA_MAINTENANCE_CHECKPOINT], -1);
    delta_maintenance_metrics_free(mt);

    delta_maintenance_summary sum;
    assert_int_equal(delta_maintenance_run_op(m, DELTA_MAINTENANCE_CHECKPOINT, NULL, &sum), 0);
    assert_int_equal(sum.succeeded, 1);
    assert_int_equal(delta_maintenance_metrics_get(m, 10, &mt), 0);
    h = health(mt, "t");
    assert_int_equal(h->last_checkpoint_version, 4);
    assert_int_equal(h->versions_since_checkpoint, 0);
    assert_int_equal(h->last_success_ms[DELTA_MAINTENANCE_CHECKPOINT], T2030);
    assert_int_equal(mt->recent[0].version, 4);
    assert_int_equal(mt->recent[0].files_added, 1);
    assert_true(mt->recent[0].bytes_added > 0);
    delta_maintenance_metrics_free(mt);

    /* a vacuum below the table's retention fails and says why */
    delta_maintenance_run_options ro = DELTA_MAINTENANCE_RUN_OPTIONS_INIT;
    ro.retention_hours = 1;
    assert_int_equal(delta_maintenance_run_op(m, DELTA_MAINTENANCE_VACUUM, &ro, &sum), 0);
    assert_int_equal(sum.failed, 1);
    delta_maintenance_free(m);
    tmpdir_remove(lake);
}

/* Processes racing to optimize the same tables: each table's job runs in
 * one of them at a time, so none fails with a commit conflict, and every
 * row stays. */
static void test_racing_processes(void **state)
{
    (void)state;
    char *lake = tmpdir_make("maint-race");
    make_table(lake, "r1", 6, NULL, NULL, 0);
    make_table(lake, "r2", 6, NULL, NULL, 0);
    enum { N = 4 };
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            delta_maintenance *m = NULL;
            delta_maintenance_summary sum;
            int rc = delta_maintenance_open(&m, lake, NULL);
            if (!rc)
                rc = delta_maintenance_run_op(m, DELTA_MAINTENANCE_OPTIMIZE, NULL, &sum);
            delta_maintenance_free(m);
            _exit(rc || sum.failed || sum.succeeded + sum.skipped != 2 ? 1 : 0);
        }
    }
    for (int i = 0; i < N; i++) {
        int st = 0;
        waitpid(kids[i], &st, 0);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    assert_int_equal(live_files(lake, "r1"), 1);
    assert_int_equal(live_files(lake, "r2"), 1);
    delta_lake_list l;
    assert_int_equal(delta_lake_list_tables(lake, &l), 0);
    assert_int_equal(l.count, 2);
    assert_int_equal(l.items[0].num_records, 12);
    assert_int_equal(l.items[1].num_records, 12);
    delta_lake_list_free(&l);
    assert_false(key_exists(lake, DOPS_MAINT_LOCKS "r1.lock"));
    tmpdir_remove(lake);
}

/* A process killed after the operation committed but before its record
 * was written: the table is consistent, the log claims nothing, and the
 * next job on the table records the crashed one as abandoned (failed). */
static int clock_calls;
static int kill_at_call;

static int64_t killing_clock(void *ctx)
{
    (void)ctx;
    if (++clock_calls == kill_at_call)
        raise(SIGKILL);
    return fake_now;
}

static void test_crash_before_record(void **state)
{
    (void)state;
    char *lake = tmpdir_make("maint-crash");
    make_table(lake, "c", 4, NULL, NULL, 0);
    fake_now = T2030;
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        /* clock calls: job start (1), then job end (2), before the record */
        clock_calls = 0;
        kill_at_call = 2;
        delta_maintenance_options mo = DELTA_MAINTENANCE_OPTIONS_INIT;
        mo.now_ms = killing_clock;
        delta_maintenance *m = NULL;
        delta_maintenance_summary sum;
        if (delta_maintenance_open(&m, lake, &mo) == 0)
            delta_maintenance_run_op(m, DELTA_MAINTENANCE_OPTIMIZE, NULL, &sum);
        _exit(0); /* not reached when the clock kills */
    }
    int st = 0;
    waitpid(kid, &st, 0);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);

    /* the optimize committed; every row is there; no record, the lock stays */
    assert_int_equal(live_files(lake, "c"), 1);
    delta_lake_list l;
    assert_int_equal(delta_lake_list_tables(lake, &l), 0);
    assert_int_equal(l.items[0].num_records, 8);
    delta_lake_list_free(&l);
    assert_true(key_exists(lake, DOPS_MAINT_LOCKS "c.lock"));
    delta_maintenance *m = open_lake(lake);
    delta_maintenance_metrics *mt = NULL;
    assert_int_equal(delta_maintenance_metrics_get(m, 10, &mt), 0);
    assert_int_equal(mt->jobs, 0);
    delta_maintenance_metrics_free(mt);

    /* the next job recovers the lock and records the crashed job */
    fake_now = T2030 + HOUR_MS;
    delta_maintenance_summary sum;
    assert_int_equal(delta_maintenance_run_op(m, DELTA_MAINTENANCE_CHECKPOINT, NULL, &sum), 0);
    assert_int_equal(sum.succeeded, 1);
    assert_int_equal(delta_maintenance_metrics_get(m, 10, &mt), 0);
    assert_int_equal(mt->jobs, 2);
    assert_int_equal(mt->ops[DELTA_MAINTENANCE_OPTIMIZE].jobs, 1);
    assert_int_equal(mt->ops[DELTA_MAINTENANCE_OPTIMIZE].succeeded, 0);
    assert_int_equal(mt->ops[DELTA_MAINTENANCE_OPTIMIZE].failed, 1);
    const delta_maintenance_job *j = &mt->recent[1];
    assert_int_equal(j->op, DELTA_MAINTENANCE_OPTIMIZE);
    assert_string_equal(j->trigger, "recovery");
    assert_int_equal(j->start_ms, T2030);
    assert_non_null(strstr(j->error, "process is gone"));
    assert_int_equal(health(mt, "c")->last_success_ms[DELTA_MAINTENANCE_OPTIMIZE], -1);
    delta_maintenance_metrics_free(mt);
    assert_false(key_exists(lake, DOPS_MAINT_LOCKS "c.lock"));
    delta_maintenance_free(m);
    tmpdir_remove(lake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_runs_due_jobs),
        cmocka_unit_test(test_failed_job_does_not_stop_others),
        cmocka_unit_test(test_lock_keeps_jobs_apart),
        cmocka_unit_test(test_policy_and_config),
        cmocka_unit_test(test_health_numbers),
        cmocka_unit_test(test_racing_processes),
        cmocka_unit_test(test_crash_before_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
