/*
 * Log cleanup (the protocol's "Metadata Cleanup"): deletes commits,
 * checkpoints, checksums, compactions and sidecars that no version inside
 * the retention window needs.
 *
 *   cutoff      = now - delta.logRetentionDuration (default 30 days),
 *                 truncated to midnight UTC, as Delta does;
 *   cutoffCommit = the newest commit whose timestamp (file modification
 *                 time, made monotonic) is <= cutoff;
 *   cutoffCheckpoint = the newest complete checkpoint at or below
 *                 cutoffCommit.
 *
 * Everything before cutoffCheckpoint's version goes: commit, .crc and
 * checkpoint files, and compactions starting at or below it; the
 * checkpoint, its commit and everything after stay, so the log stays
 * contiguous from a checkpoint and every version from cutoffCheckpoint on
 * can still be read. Without a cutoffCheckpoint nothing is deleted.
 * Sidecar files in _delta_log/_sidecars/ go when no remaining checkpoint
 * names them and they are older than a day before the cutoff (in-progress
 * checkpoints write their sidecars first).
 *
 * Files are deleted oldest version first, so a crash part way leaves a
 * log whose remaining versions are still reconstructible.
 */
#ifndef DELTA_LOG_CLEANUP_H
#define DELTA_LOG_CLEANUP_H

#include <stdint.h>

#include <delta/storage.h>

#include "log/snapshot.h"

typedef struct dlog_cleanup_result {
    int64_t cutoff_checkpoint; /* version kept from, or -1 (nothing deleted) */
    int64_t deleted_files;     /* log files deleted (commits, checkpoints, crc, compactions) */
    int64_t deleted_sidecars;
} dlog_cleanup_result;

/* Runs the cleanup of `table` with the retention of `snap`'s metadata at
 * time now_ms (epoch ms). out may be NULL. A file that vanished meanwhile
 * (a concurrent cleanup) is not an error. */
int dlog_cleanup(delta_store *table, const dlog_snapshot *snap, int64_t now_ms,
                 dlog_cleanup_result *out);

#endif
