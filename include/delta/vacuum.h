/*
 * libdelta VACUUM: delete the files of a table that no version inside the
 * retention window needs any more.
 *
 * Example:
 *
 *     delta_vacuum_options vo = DELTA_VACUUM_OPTIONS_INIT;
 *     delta_vacuum_result res;
 *     vo.dry_run = true;
 *     if (delta_table_vacuum(t, &vo, &res) == 0)
 *         printf("%lld files, %lld bytes\n", (long long)res.num_files,
 *                (long long)res.num_bytes);
 *
 * What is deleted (as Delta's VACUUM does): every object under the table
 * root that is
 *   - not referenced by the latest version (a live data file or its
 *     deletion vector file),
 *   - not referenced by a remove whose deletionTimestamp lies inside the
 *     retention window (so time travel to versions inside the window
 *     keeps working),
 *   - and last modified before the window starts (so files a writer is
 *     still producing are safe).
 * That includes files never committed (orphans of failed writers), old
 * change data files under `_change_data/` and deletion vector files.
 * `_delta_log/` is never touched, nor any file or folder whose name starts
 * with '_' or '.' (other engines keep state there), except partition
 * folders (`_col=value`) and `_change_data/`. Only keys inside the table
 * root are considered: removes naming an absolute path elsewhere are
 * ignored. Folders (local tables) left empty are removed afterwards.
 *
 * The retention is delta.deletedFileRetentionDuration (default 7 days =
 * 168 hours). A shorter one is refused unless forced: files that time
 * travel to recent versions needs, and files that readers and writers
 * running right now still use, would be deleted.
 *
 * A vacuum that deletes is recorded in the log as two commits holding only
 * a commitInfo: "VACUUM START" (operationParameters retentionCheckEnabled,
 * specifiedRetentionMillis, defaultRetentionMillis; operationMetrics
 * numFilesToDelete, sizeOfDataToDelete) before the first delete, and
 * "VACUUM END" (operationParameters status COMPLETED or FAILED;
 * operationMetrics numDeletedFiles, numVacuumedDirectories) after the
 * last. A dry run writes nothing.
 *
 * The table's protocol is checked for writing first (as the
 * vacuumProtocolCheck feature requires of every vacuum): a table with a
 * writer feature this library does not know is refused.
 */
#ifndef DELTA_VACUUM_H
#define DELTA_VACUUM_H

#include <stdbool.h>
#include <stdint.h>

#include "delta/common.h"
#include "delta/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One file vacuum deletes (or would delete, in a dry run). */
typedef struct delta_vacuum_file {
    const char *path;  /**< key relative to the table root (borrowed, valid
                        *   during the callback only) */
    int64_t size;      /**< bytes */
    int64_t mtime_ms;  /**< last modification, epoch milliseconds */
    int64_t age_ms;    /**< now - mtime_ms */
} delta_vacuum_file;

/** Called for each file, in key order: before it is deleted, or instead
 *  of deleting it in a dry run. A nonzero return stops the vacuum with
 *  DELTA_ECANCELED (files already deleted stay deleted). */
typedef int (*delta_vacuum_file_fn)(void *ctx, const delta_vacuum_file *f);

/** Options of delta_table_vacuum. Initialise with
 *  DELTA_VACUUM_OPTIONS_INIT; fields are only ever appended. */
typedef struct delta_vacuum_options {
    unsigned version;            /**< DELTA_VACUUM_OPTIONS_VERSION */
    /** Retention in hours (fractions allowed); negative: the table's
     *  delta.deletedFileRetentionDuration (default 168). */
    double retention_hours;
    /** List what would be deleted; delete nothing, write no commit. */
    bool dry_run;
    /** Find candidates from the log's removes only, without listing the
     *  table's folders (Delta's VACUUM LITE): orphans never committed and
     *  change data files are not found, nor are files whose removes a
     *  checkpoint has already dropped. */
    bool lite;
    /** Allow a retention below the table's setting. */
    bool force_unsafe_retention;
    /** The current time in epoch milliseconds; 0: the wall clock. */
    int64_t now_ms;
    /** Optional per-file callback and its context. */
    delta_vacuum_file_fn on_file;
    void *ctx;
} delta_vacuum_options;

#define DELTA_VACUUM_OPTIONS_VERSION 1
#define DELTA_VACUUM_OPTIONS_INIT {DELTA_VACUUM_OPTIONS_VERSION, -1.0, false, false, false, 0, NULL, NULL}

/** What a vacuum found and did. */
typedef struct delta_vacuum_result {
    int64_t num_files;        /**< files to delete (dry run) or considered for deletion */
    int64_t num_bytes;        /**< their total size */
    int64_t files_deleted;    /**< files actually deleted (0 in a dry run) */
    int64_t bytes_deleted;    /**< their total size */
    int64_t dirs_deleted;     /**< empty folders removed afterwards */
    int64_t retention_ms;     /**< the retention applied */
    int64_t cutoff_ms;        /**< now - retention: older is deletable */
    int64_t table_version;    /**< the version whose references were kept */
    int64_t start_version;    /**< the VACUUM START commit, or -1 */
    int64_t end_version;      /**< the VACUUM END commit, or -1 */
} delta_vacuum_result;

/**
 * Vacuums the table (see the top of this header).
 *
 * @param t     the table
 * @param opts  options, or NULL for the defaults
 * @param out   receives what was done (may be NULL); filled also when the
 *              vacuum fails part way (files deleted so far)
 * @return 0; DELTA_EPERM for a retention below the table's setting
 *         without force_unsafe_retention (the message explains the risk);
 *         DELTA_EINVAL for bad options or an unparsable retention
 *         property; DELTA_EUNSUPPORTED for a protocol this library cannot
 *         write; DELTA_ECANCELED when the callback stopped it; errors of
 *         the log and the store. A vacuum that fails part way leaves the
 *         table readable: only unreferenced files are ever deleted.
 */
DELTA_EXTERN int delta_table_vacuum(delta_table *t, const delta_vacuum_options *opts,
                                    delta_vacuum_result *out);

#ifdef __cplusplus
}
#endif

#endif /* DELTA_VACUUM_H */
