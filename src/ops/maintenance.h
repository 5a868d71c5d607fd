/*
 * Lake maintenance (the public face is delta/maintenance.h, which
 * documents the files under `<lake>/_maintenance/`, the policies and when
 * jobs are due).
 *
 * Invariants:
 *   - a job on a table runs only while this process holds the table's
 *     lock object (created with put-if-absent), so two jobs on one table
 *     never overlap, whichever processes run them;
 *   - a job record is written once, after the job ended, with its real
 *     outcome: a process that dies mid-job leaves no record but its lock,
 *     and whoever finds that lock stale records the job as failed
 *     ("abandoned") before taking it over; no record ever claims a success
 *     that did not happen;
 *   - one table's failure (unreadable log, bad policy property, an
 *     operation's error) fails that job only: the pass goes on with the
 *     next job.
 */
#ifndef DELTA_OPS_MAINTENANCE_H
#define DELTA_OPS_MAINTENANCE_H

#include <delta/maintenance.h>

/* Keys under the lake root. */
#define DOPS_MAINT_DIR "_maintenance/"
#define DOPS_MAINT_CONFIG DOPS_MAINT_DIR "config.json"
#define DOPS_MAINT_JOBS DOPS_MAINT_DIR "jobs/"
#define DOPS_MAINT_LOCKS DOPS_MAINT_DIR "locks/"

/* Defaults of config.json. */
#define DOPS_MAINT_OPTIMIZE_CRON "0 2 * * *"
#define DOPS_MAINT_VACUUM_CRON "0 3 * * 0"
#define DOPS_MAINT_CHECKPOINT_CRON "0 * * * *"
#define DOPS_MAINT_MIN_SMALL_FILES 10
#define DOPS_MAINT_LOCK_STALE_MINUTES 1440

#endif
