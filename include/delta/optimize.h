/*
 * libdelta OPTIMIZE (bin-packing): combine a table's small data files into
 * files near the target size, without changing its rows.
 *
 * Example:
 *
 *     delta_optimize_options oo = DELTA_OPTIMIZE_OPTIONS_INIT;
 *     delta_optimize_result res;
 *     oo.where = "year = 2023 AND month = 12";
 *     if (delta_table_optimize(t, &oo, &res) == 0)
 *         printf("%lld files -> %lld files\n", (long long)res.num_files_removed,
 *                (long long)res.num_files_added);
 *
 * What is rewritten (as Delta's OPTIMIZE does): within each partition,
 * the live files smaller than the target size are read - their deletion
 * vectors applied, so deleted rows are gone for good - and written again
 * as few files as the rows need, each rolled when it reaches the target.
 * A partition with fewer than two small files is left alone unless its
 * small file has a deletion vector; files at or above the target are
 * never touched. The target is target_size, else the table's
 * delta.targetFileSize, else 128 MiB.
 *
 * The result is one commit: the removes and adds have dataChange false
 * (readers of the change feed and streaming sources skip them), the adds
 * carry statistics, and commitInfo is OPTIMIZE with operationParameters
 * predicate (a JSON array text, "[]" without where) and zOrderBy "[]", and
 * operationMetrics numRemovedFiles, numAddedFiles, numRemovedBytes,
 * numAddedBytes, minFileSize, maxFileSize (of the files added),
 * numDeletionVectorsRemoved, and numFilesAdded, numFilesRemoved,
 * partitionsOptimized, totalConsideredFiles, totalFilesSkipped, totalFiles.
 * When nothing needs rewriting nothing is committed.
 *
 * Z-order (zorder_by names columns): within each selected partition,
 * every live file is rewritten - not only small ones - with its rows
 * sorted by a Morton (bit-interleaved) key over the columns, each column's
 * value mapped to an order-preserving unsigned key (integers, decimals,
 * dates, timestamps, floats; strings by their first 8 bytes; nulls first)
 * and scaled from the partition's range of that column in the files'
 * statistics, so every column weighs the same. The sorted rows are
 * written as files rolled at the target size, so each file covers a
 * narrow range of every Z-order column and data skipping of a predicate
 * on them reads few files. A partition holding one file is rewritten
 * too (its rows may be in any order). The sort is an external merge sort:
 * rows beyond zorder_memory are sorted in runs spilled to Parquet files in
 * a temporary folder (deleted afterwards), then merged, so a partition
 * larger than memory still Z-orders. A Z-order column must be a
 * top-level data column with min/max statistics: a partition column, a
 * boolean, binary or nested column, a column beyond
 * delta.dataSkippingNumIndexedCols or not named in
 * delta.dataSkippingStatsColumns is DELTA_EINVAL naming it. The commit's
 * zOrderBy is the JSON array of the columns and operationMetrics adds
 * zOrderStats, a JSON object text: strategyName "all", inputCubeFiles
 * (num 0, size 0: no file is kept as a finished cube), inputOtherFiles
 * and mergedFiles (num and size of the files rewritten), numOutputCubes
 * (partitions Z-ordered), and numSpilledRuns (sorted runs spilled).
 *
 * Parallelism: with max_concurrent_tasks N > 1, partitions (bin-packing
 * and Z-order alike) are read and rewritten by N worker threads, each
 * partition by one thread; the files written are collected and committed
 * once, sorted by path, so the commit does not depend on which thread
 * finished first. A failure in one partition stops the partitions not
 * yet started, deletes every file written and commits nothing. A single
 * partition is never split across threads.
 *
 * Concurrency: the commit records the files it rewrote as read, not a
 * predicate, so it commits over concurrent appends (their files are simply
 * not part of this optimize) and fails with DELTA_ECONFLICT only when a
 * concurrent commit removed (deleted, updated, rewrote) one of them. The
 * files written are deleted again when the commit fails.
 */
#ifndef DELTA_OPTIMIZE_H
#define DELTA_OPTIMIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "delta/common.h"
#include "delta/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of delta_table_optimize. Initialise with
 *  DELTA_OPTIMIZE_OPTIONS_INIT; fields are only ever appended. */
typedef struct delta_optimize_options {
    unsigned version;   /**< DELTA_OPTIMIZE_OPTIONS_VERSION */
    /** A predicate over partition columns only (SQL, as `delta read
     *  --where`), or NULL: only partitions where it is TRUE are
     *  optimized. A column that is not a partition column, an unknown
     *  column or a predicate that does not parse or is not boolean is
     *  DELTA_EINVAL naming it. */
    const char *where;
    /** Target file size in bytes; <= 0: delta.targetFileSize, else
     *  128 MiB. */
    int64_t target_size;
    /** Z-order columns (version 2; top-level column names; see "Z-order"
     *  above), or NULL / none for bin-packing. */
    const char *const *zorder_by;
    size_t num_zorder_by;
    /** Memory budget of the Z-order sort in bytes (version 2; the rows held before a
     *  sorted run is spilled to a temporary file); <= 0: 256 MiB. */
    int64_t zorder_memory;
    /** Folder under which the Z-order sort makes its temporary folder of
     *  spill files (version 2); NULL: $TMPDIR, else /tmp. */
    const char *spill_dir;
    /** Partitions rewritten at once (version 2): 0 or 1 rewrites them one
     *  after the other; N > 1 rewrites up to N partitions in parallel on
     *  N worker threads, each with its own file writer (with Z-order the
     *  sort budget zorder_memory is shared out between them, so memory
     *  stays bounded by it). The commit is the same as the serial run's:
     *  the same files removed, the adds in path order, the same rows and
     *  number of files. More than 256 is DELTA_EINVAL. */
    int max_concurrent_tasks;
} delta_optimize_options;

#define DELTA_OPTIMIZE_OPTIONS_VERSION 2
#define DELTA_OPTIMIZE_OPTIONS_INIT {DELTA_OPTIMIZE_OPTIONS_VERSION, NULL, 0, NULL, 0, 0, NULL, 1}

/** What an optimize did. */
typedef struct delta_optimize_result {
    int64_t version;               /**< the OPTIMIZE commit, or -1 when nothing was rewritten */
    int64_t read_version;          /**< the version optimized */
    int64_t target_size;           /**< the target applied, bytes */
    int64_t num_files_removed;     /**< files rewritten */
    int64_t num_files_added;       /**< files written */
    int64_t num_removed_bytes;
    int64_t num_added_bytes;
    int64_t min_file_size;         /**< of the files added (0 when none) */
    int64_t max_file_size;
    int64_t num_rows;              /**< rows written */
    int64_t num_dvs_removed;       /**< rewritten files that had a deletion vector */
    int64_t partitions_optimized;  /**< partitions with files rewritten */
    int64_t total_considered_files; /**< live files the predicate selected */
    int64_t total_files_skipped;   /**< of those, left alone */
    int64_t total_files;           /**< live files of the table before */
    /** Z-order only: sorted runs written to spill files (0 when every
     *  partition's rows fitted the memory budget). */
    int64_t zorder_runs_spilled;
} delta_optimize_result;

/**
 * Optimizes the table (see the top of this header).
 *
 * @param t     the table
 * @param opts  options, or NULL for the defaults
 * @param out   receives what was done (may be NULL)
 * @return 0 (also when nothing needed rewriting: out->version is -1);
 *         DELTA_EINVAL for bad options or a predicate on a non-partition
 *         column; DELTA_ECONFLICT when a concurrent commit removed a file
 *         being rewritten; DELTA_EUNSUPPORTED for a table this library
 *         cannot write; errors of the log, the store and the readers.
 *         After a failure the table is as it was.
 */
DELTA_EXTERN int delta_table_optimize(delta_table *t, const delta_optimize_options *opts,
                                      delta_optimize_result *out);

#ifdef __cplusplus
}
#endif

#endif /* DELTA_OPTIMIZE_H */
