/*
 * libdelta lake maintenance: OPTIMIZE, VACUUM and checkpoints run over
 * every table of a lake, by hand or on a schedule, with a durable record
 * of every job and health metrics per table.
 *
 * Example (one pass of the due jobs, as `delta maintenance run --once`):
 *
 *     delta_maintenance *m;
 *     delta_maintenance_summary sum;
 *     if (delta_maintenance_open(&m, "/data/lake", NULL) == 0 &&
 *         delta_maintenance_run_due(m, NULL, &sum) == 0)
 *         printf("%lld jobs, %lld failed\n", (long long)sum.jobs_run,
 *                (long long)sum.failed);
 *     delta_maintenance_free(m);
 *
 * Everything lives under `<lake>/_maintenance/` (the '_' keeps it out of
 * the table listing):
 *
 *   config.json   the lake's policy (replaced atomically when changed):
 *       {"enabled": false, "enabled_at_ms": null,
 *        "optimize":   {"schedule": "0 2 * * *", "min_small_files": 10,
 *                       "small_file_bytes": null},
 *        "vacuum":     {"schedule": "0 3 * * 0", "retention_hours": null},
 *        "checkpoint": {"schedule": "0 * * * *"},
 *        "lock_stale_after_minutes": 1440}
 *     Missing keys take these defaults; a missing file is all defaults
 *     (schedule disabled). A schedule is a cron expression (5 fields,
 *     UTC; see the cron rules below) or "off".
 *   jobs/         the job log, append-only: one JSON object per job, in an
 *     object of its own named `<start_ms, 15 digits>-<pid>-<n, 6 digits>.json`,
 *     written once with put-if-absent (never visible partially, never
 *     replaced), so a listing is in start order. Fields: table,
 *     operation ("optimize" | "vacuum" | "checkpoint"), trigger ("manual"
 *     | "schedule" | "recovery"), status ("succeeded" | "failed"),
 *     start_ms, end_ms, duration_ms, start, end (ISO-8601 UTC),
 *     files_added, files_removed, bytes_added, bytes_removed, version
 *     (the commit or checkpoint version written, or null), error (null or
 *     the message), pid, host.
 *   locks/TABLE.lock  held while a job runs on TABLE: {"pid", "host",
 *     "table", "operation", "start_ms"}, created with put-if-absent, so
 *     jobs on one table never run at once (across processes and hosts
 *     sharing the lake). A lock is stale when its process is gone (same
 *     host) or it is older than lock_stale_after_minutes; a stale lock is
 *     taken over and the job it guarded is recorded as failed (trigger
 *     "recovery", error "abandoned: ..."): a job that crashed never
 *     appears as succeeded. The tables themselves stay consistent through
 *     a crash (optimize, vacuum and checkpoints are each safe to stop at
 *     any point).
 *
 * Per-table policy: table properties outside the delta. namespace
 * override the lake's (set them with `delta create --property`):
 *   maintenance.enabled                 "false": the schedule skips the table
 *   maintenance.optimize.schedule       cron or "off"
 *   maintenance.optimize.minSmallFiles  integer >= 1
 *   maintenance.optimize.smallFileBytes byte size ("8mb", "1048576")
 *   maintenance.vacuum.schedule         cron or "off"
 *   maintenance.vacuum.retentionHours   hours (else the table's
 *                                       delta.deletedFileRetentionDuration)
 *   maintenance.checkpoint.schedule     cron or "off"
 * and the Delta properties delta.targetFileSize (optimize's target),
 * delta.checkpointInterval (default 10) and
 * delta.deletedFileRetentionDuration (default 168 hours) apply.
 *
 * A small file is one below the small-file threshold: small_file_bytes,
 * else a quarter of the target file size (delta.targetFileSize, else
 * 128 MiB, so 32 MiB).
 *
 * When jobs are due (delta_maintenance_run_due): with the schedule
 * enabled, a job (table, operation) is due when its cron expression fires
 * after both the start of the last recorded job of that table and
 * operation and the time the schedule was enabled, and at or before now.
 * A due job then runs if its condition holds:
 *   optimize    the table has at least min_small_files small files
 *   vacuum      always (weekly by default)
 *   checkpoint  versions since the last checkpoint >= delta.checkpointInterval
 *               (a table without a checkpoint counts version + 1)
 * A job whose condition does not hold, or whose table is locked, is
 * reported as skipped and not recorded; a long-running loop
 * (delta_maintenance_run_loop) evaluates it again at the next firing.
 * Jobs run table by table (name order), optimize, then vacuum, then
 * checkpoint; a failed job is recorded with its error and the others go
 * on.
 *
 * Cron expressions: "minute hour day-of-month month day-of-week", each a
 * list of '*', N, N-M, with an optional /STEP; JAN-DEC and SUN-SAT names;
 * day of week 0 and 7 are Sunday; @hourly, @daily, @weekly, @monthly,
 * @yearly. When both day fields are restricted a day matches either (as
 * Vixie cron). All times are UTC.
 */
#ifndef DELTA_MAINTENANCE_H
#define DELTA_MAINTENANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "delta/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Maintenance of one lake (opaque). */
typedef struct delta_maintenance delta_maintenance;

/** The operations maintenance runs. */
typedef enum delta_maintenance_op {
    DELTA_MAINTENANCE_OPTIMIZE = 0,
    DELTA_MAINTENANCE_VACUUM = 1,
    DELTA_MAINTENANCE_CHECKPOINT = 2
} delta_maintenance_op;

#define DELTA_MAINTENANCE_NUM_OPS 3

/** "optimize", "vacuum" or "checkpoint" (static). */
DELTA_EXTERN const char *delta_maintenance_op_name(delta_maintenance_op op);

/** What became of a job. */
typedef enum delta_maintenance_status {
    DELTA_MAINTENANCE_SUCCEEDED = 0,
    DELTA_MAINTENANCE_FAILED = 1,
    DELTA_MAINTENANCE_SKIPPED = 2 /**< not run (locked, condition not met, dry run); not recorded */
} delta_maintenance_status;

/** One job: as recorded in the job log, or reported to a callback.
 *  Strings are borrowed (valid during the callback, or until the
 *  metrics holding it are freed). */
typedef struct delta_maintenance_job {
    const char *id;       /**< the record's key under _maintenance/, or NULL when not recorded */
    const char *table;
    delta_maintenance_op op;
    delta_maintenance_status status;
    const char *trigger;  /**< "manual", "schedule" or "recovery" */
    int64_t start_ms;     /**< epoch milliseconds */
    int64_t end_ms;
    int64_t duration_ms;
    int64_t files_added;  /**< optimize: files written; checkpoint: 1 */
    int64_t files_removed; /**< optimize: files rewritten; vacuum: files deleted
                            *   (a dry run: files it would delete) */
    int64_t bytes_added;
    int64_t bytes_removed;
    int64_t version;      /**< the commit (optimize, VACUUM END) or checkpoint version, or -1 */
    const char *error;    /**< why it failed or was skipped, or NULL */
} delta_maintenance_job;

/** Called after every job (also skipped ones). A nonzero return stops
 *  the remaining jobs with DELTA_ECANCELED. */
typedef int (*delta_maintenance_job_fn)(void *ctx, const delta_maintenance_job *job);

/** Options of delta_maintenance_open. Initialise with
 *  DELTA_MAINTENANCE_OPTIONS_INIT; fields are only ever appended. */
typedef struct delta_maintenance_options {
    unsigned version; /**< DELTA_MAINTENANCE_OPTIONS_VERSION */
    /** The clock, epoch milliseconds; NULL: the wall clock. Every time
     *  maintenance uses (due times, job records, vacuum's retention
     *  window, lock ages) comes from it. */
    int64_t (*now_ms)(void *clock_ctx);
    /** Waits until `until_ms` for delta_maintenance_run_loop; returns
     *  nonzero to end the loop. NULL: sleep on the wall clock (the loop
     *  then only ends on an error). */
    int (*sleep_until)(void *clock_ctx, int64_t until_ms);
    void *clock_ctx;
} delta_maintenance_options;

#define DELTA_MAINTENANCE_OPTIONS_VERSION 1
#define DELTA_MAINTENANCE_OPTIONS_INIT {DELTA_MAINTENANCE_OPTIONS_VERSION, NULL, NULL, NULL}

/**
 * Opens maintenance of the lake at `lake_uri` (a path or store URI, as
 * delta_lake_list_tables takes). Nothing is read yet.
 *
 * @param out   receives the handle (free with delta_maintenance_free)
 * @param opts  options, or NULL for the defaults
 * @return 0, DELTA_EINVAL, DELTA_EUNSUPPORTED (the URI), DELTA_ENOMEM.
 */
DELTA_EXTERN int delta_maintenance_open(delta_maintenance **out, const char *lake_uri,
                                        const delta_maintenance_options *opts);

/** Frees the handle (NULL is fine). */
DELTA_EXTERN void delta_maintenance_free(delta_maintenance *m);

/**
 * Changes the lake's schedule in _maintenance/config.json, keeping its
 * other settings. Enabling a disabled schedule records the time
 * (enabled_at_ms): jobs become due from then on.
 *
 * @param enable  1 enable, 0 disable, -1 leave as it is
 * @param crons   NULL, or DELTA_MAINTENANCE_NUM_OPS entries indexed by
 *                delta_maintenance_op: a cron expression, "off", or NULL
 *                (unchanged)
 * @return 0; DELTA_EINVAL for an invalid cron expression (naming it and
 *         the field) or a config.json that is not valid; store errors.
 */
DELTA_EXTERN int delta_maintenance_schedule(delta_maintenance *m, int enable,
                                            const char *const *crons);

/**
 * The lake's effective configuration as the JSON object config.json
 * holds, with every default filled in.
 *
 * @param out  receives a NUL-terminated string; free it with delta_free
 */
DELTA_EXTERN int delta_maintenance_config_json(delta_maintenance *m, char **out);

/** Options of the run functions. Initialise with
 *  DELTA_MAINTENANCE_RUN_OPTIONS_INIT; fields are only ever appended. */
typedef struct delta_maintenance_run_options {
    unsigned version;        /**< DELTA_MAINTENANCE_RUN_OPTIONS_VERSION */
    /** Vacuum retention in hours; negative: the policy (table property,
     *  lake config, else the table's own retention). A retention below
     *  the table's delta.deletedFileRetentionDuration fails the job. */
    double retention_hours;
    /** Vacuum: report what would be deleted; delete and record nothing. */
    bool dry_run;
    /** Called after every job, or NULL. */
    delta_maintenance_job_fn on_job;
    void *ctx;
} delta_maintenance_run_options;

#define DELTA_MAINTENANCE_RUN_OPTIONS_VERSION 1
#define DELTA_MAINTENANCE_RUN_OPTIONS_INIT {DELTA_MAINTENANCE_RUN_OPTIONS_VERSION, -1.0, false, NULL, NULL}

/** What a run did. */
typedef struct delta_maintenance_summary {
    int64_t jobs_run;   /**< jobs attempted (succeeded + failed) */
    int64_t succeeded;
    int64_t failed;
    int64_t skipped;
    int64_t next_due_ms; /**< run_due: when a job may next be due, or -1 (schedule off) */
} delta_maintenance_summary;

/**
 * Runs `op` now on every table of the lake (trigger "manual"): optimize
 * with the table's target size; vacuum with the options' retention; a
 * checkpoint of every table whose latest version has none yet (others are
 * skipped). Each job takes the table's lock and is recorded (a dry run is
 * reported to on_job only). A table that cannot be read fails its job
 * and the others go on.
 *
 * @return 0 when the lake could be listed (also when jobs failed: see
 *         out->failed); DELTA_ECANCELED when on_job stopped it; store
 *         errors listing the lake.
 */
DELTA_EXTERN int delta_maintenance_run_op(delta_maintenance *m, delta_maintenance_op op,
                                          const delta_maintenance_run_options *opts,
                                          delta_maintenance_summary *out);

/**
 * Runs every job due now (trigger "schedule"; see the top of this
 * header), once.
 *
 * @return 0 (also when jobs failed or the schedule is disabled: then
 *         nothing runs and out->next_due_ms is -1); DELTA_EINVAL for an
 *         invalid config.json; DELTA_ECANCELED when on_job stopped it.
 */
DELTA_EXTERN int delta_maintenance_run_due(delta_maintenance *m,
                                           const delta_maintenance_run_options *opts,
                                           delta_maintenance_summary *out);

/**
 * Runs the due jobs, waits until the next job may be due (the options'
 * sleep_until, checking the config again at least every hour and every
 * minute while the schedule is disabled), and again, until sleep_until
 * returns nonzero (then 0) or a pass fails.
 *
 * @param out  totals over every pass (may be NULL)
 */
DELTA_EXTERN int delta_maintenance_run_loop(delta_maintenance *m,
                                            const delta_maintenance_run_options *opts,
                                            delta_maintenance_summary *out);

/**
 * The first time strictly after `after_ms` at which a cron expression
 * fires (epoch milliseconds, UTC).
 *
 * @return 0; DELTA_EINVAL for an invalid expression (the message names
 *         the field) or one that never fires.
 */
DELTA_EXTERN int delta_maintenance_cron_next(const char *expr, int64_t after_ms, int64_t *out);

/** Health of one table (see delta_maintenance_metrics). */
typedef struct delta_maintenance_table_health {
    const char *name;
    int64_t version;               /**< latest version, -1 when unreadable */
    const char *error;             /**< why the table could not be read, or NULL */
    int64_t num_files;             /**< live data files */
    int64_t total_bytes;
    int64_t avg_file_bytes;        /**< total_bytes / num_files (0 without files) */
    int64_t small_file_threshold;  /**< bytes */
    int64_t small_files;           /**< live files below the threshold */
    double small_file_ratio;       /**< small_files / num_files (0 without files) */
    int64_t last_checkpoint_version; /**< -1: none */
    int64_t versions_since_checkpoint;
    int64_t checkpoint_interval;
    int64_t reclaimable_files;     /**< what a vacuum now would delete (its dry run) */
    int64_t reclaimable_bytes;
    double retention_hours;        /**< the retention that dry run applied */
    /** Start of the last succeeded job per operation, or -1. */
    int64_t last_success_ms[DELTA_MAINTENANCE_NUM_OPS];
} delta_maintenance_table_health;

/** Job history per operation. */
typedef struct delta_maintenance_op_stats {
    int64_t jobs;
    int64_t succeeded;
    int64_t failed;
    int64_t files_added;
    int64_t files_removed;
    int64_t bytes_added;
    int64_t bytes_removed;
    int64_t total_duration_ms;
    int64_t last_start_ms; /**< -1 when none */
} delta_maintenance_op_stats;

/** The lake's maintenance metrics (delta_maintenance_metrics). */
typedef struct delta_maintenance_metrics {
    bool schedule_enabled;
    /** The lake's cron expressions (or "off"), indexed by op. */
    const char *schedule[DELTA_MAINTENANCE_NUM_OPS];
    int64_t jobs;            /**< records in the job log */
    int64_t succeeded;
    int64_t failed;
    int64_t unreadable_records; /**< job log objects that did not parse (skipped) */
    delta_maintenance_op_stats ops[DELTA_MAINTENANCE_NUM_OPS];
    delta_maintenance_job *recent; /**< the newest jobs, newest first */
    size_t num_recent;
    delta_maintenance_table_health *tables; /**< by name */
    size_t num_tables;
} delta_maintenance_metrics;

/**
 * Computes the job history summary and every table's health (a vacuum
 * dry run per table, so this lists each table's files).
 *
 * @param max_recent  how many of the newest jobs to return
 * @param out         receives the metrics; free with
 *                    delta_maintenance_metrics_free
 * @return 0 (tables that cannot be read are listed with their error);
 *         DELTA_EINVAL for an invalid config.json; store errors.
 */
DELTA_EXTERN int delta_maintenance_metrics_get(delta_maintenance *m, size_t max_recent,
                                               delta_maintenance_metrics **out);

/** Frees metrics (NULL is fine). */
DELTA_EXTERN void delta_maintenance_metrics_free(delta_maintenance_metrics *mt);

#ifdef __cplusplus
}
#endif

#endif /* DELTA_MAINTENANCE_H */
