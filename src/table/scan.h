/*
 * Table scans: the rows of a snapshot as a stream of record batches.
 *
 * A scan reads the snapshot's live files one at a time, in path order,
 * each as a stream of row-group-bounded batches from the Parquet record
 * reader (only the projected columns' chunks are fetched), so memory
 * stays bounded by one row group of one file plus one output batch. Each
 * batch is put in the table's shape:
 *
 *   - data columns conformed to the table schema (conform.h: column
 *     mapping by physical name or field id, nested fields too, missing
 *     columns as nulls, widened types cast to the current type);
 *   - partition columns materialized from the add action's
 *     partitionValues (partition.h) as constant columns;
 *   - rows in the file's deletion vector (dv.h) dropped;
 *   - rows where the predicate (opts.where) is not TRUE dropped;
 *   - columns in the projection's order (all columns: schema order).
 *
 * With a predicate, files are first pruned by their partition values and
 * skipped by their statistics (predicate.h); a file is opened only when
 * both say it may hold a matching row. The columns read are the
 * projection's plus those only the predicate names (read, filtered on,
 * then dropped from the output). The limit counts rows after filtering.
 *
 * Projection names are logical top-level column names, matched exactly,
 * else ASCII case-insensitively when unique; an unknown name is
 * DELTA_ENOTFOUND naming it and the table's columns.
 */
#ifndef DELTA_TABLE_SCAN_H
#define DELTA_TABLE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "columnar/vector.h"
#include "log/snapshot.h"

typedef struct dtab_scan_opts {
    const char *const *columns; /* NULL: every column */
    size_t num_columns;
    int64_t limit;      /* -1: all rows */
    int64_t batch_rows; /* 0: the reader's default */
    /* Called once when the stream is freed (lets a caller tie the
     * snapshot's lifetime to the stream's). */
    void (*on_free)(void *ctx);
    void *on_free_ctx;
    /* A predicate (SQL, see predicate.h), or NULL: only rows where it is
     * TRUE come out; files it rules out are not opened. */
    const char *where;
    /* When non-NULL: read exactly these live files of snap (borrowed), in
     * this order, instead of every live file in path order. */
    const dlog_live_file *const *files;
    size_t num_files;
    /* When true: the output has one more column after the projected ones,
     * DTAB_ROW_INDEX_COLUMN (INT64, not null): each row's position in its
     * data file, counted before the deletion vector is applied (the
     * position a deletion vector names). */
    bool row_index;
    /* When non-NULL: the schema rows are shaped to instead of snap's
     * (borrowed; must outlive the stream). Its columns are snap's
     * partition columns (by name) and data columns read from the files,
     * e.g. the table's columns plus the change data feed's `_change_type`,
     * which change data files hold like a data column. A predicate may
     * name only columns of snap's schema. */
    const dtype *schema;
} dtab_scan_opts;

#define DTAB_SCAN_OPTS_INIT {NULL, 0, -1, 0, NULL, NULL, NULL, NULL, 0, false, NULL}

/* The name of the row index column (a name a table column cannot take
 * without quoting, so it never clashes in practice; a table that has a
 * column of this name is scanned with row_index refused, DELTA_EINVAL). */
#define DTAB_ROW_INDEX_COLUMN "_delta_row_index"

/* What a scan's file selection does (the predicate's effect). */
typedef struct dtab_scan_counts {
    size_t files_total;
    size_t files_pruned;   /* by partition values */
    size_t files_skipped;  /* by statistics */
    size_t files_selected; /* to be read */
    int64_t bytes_total;
    int64_t bytes_selected;
    size_t row_groups_skipped; /* inside files read, by Parquet statistics */
} dtab_scan_counts;

/* Starts a scan of snap (which must outlive the stream unless on_free
 * keeps it alive). The stream's schema is the projected table schema. */
int dtab_scan_open(dstream **out, const dlog_snapshot *snap, const dtab_scan_opts *opts);

/* What scan stream s (from dtab_scan_open) has decided so far; after the
 * stream has been read to its end, the whole scan's figures, row groups
 * skipped inside the files read included. */
void dtab_scan_counts_of(const dstream *s, dtab_scan_counts *out);

/* Runs a scan's file selection alone (no data file is opened): opens the
 * scan as dtab_scan_open would, with the same errors, and decides every
 * live file. */
int dtab_scan_plan(const dlog_snapshot *snap, const dtab_scan_opts *opts, dtab_scan_counts *out);

/* The output schema a projection would give (a new STRUCT reference), or
 * DELTA_ENOTFOUND for an unknown column. */
int dtab_project_schema(const dtype *schema, const char *const *columns, size_t n,
                        dtype **out, uint32_t **indices);

#endif
