/*
 * libdelta row-level changes: DELETE, UPDATE and MERGE (upserts), done the
 * way Delta does them, and the change data feed they write.
 *
 * Example (the seed's upsert: transactions by transaction_id, updating
 * status and updated_at, inserting the new ones):
 *
 *     delta_merge_clause cl[2] = {
 *         {DELTA_MERGE_UPDATE, DELTA_WHEN_MATCHED, NULL,
 *          "status = source.status, updated_at = source.updated_at"},
 *         {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, NULL, NULL},
 *     };
 *     delta_merge_options mo = DELTA_MERGE_OPTIONS_INIT;
 *     mo.source_path = "changes.ndjson";
 *     mo.on = "target.transaction_id = source.transaction_id";
 *     mo.clauses = cl;
 *     mo.num_clauses = 2;
 *     delta_dml_result res;
 *     if (delta_table_merge(t, &mo, &res) == 0)
 *         printf("%lld updated, %lld inserted\n", (long long)res.num_rows_updated,
 *                (long long)res.num_rows_inserted);
 *
 * Semantics (Delta's):
 *   - Predicates and values are SQL expressions (delta/expr.h). In MERGE,
 *     columns are qualified by the target and source aliases (default
 *     "target" and "source"); an unqualified name is resolved when only
 *     one side has it.
 *   - A target row is changed only where the condition is TRUE (not NULL).
 *   - MERGE clauses are tried in order within their kind; the first whose
 *     condition holds acts on the row. A target row matched by two or more
 *     source rows is an error (DELTA_EINVAL naming the target file and the
 *     row's position) that changes nothing, unless the MERGE has no WHEN
 *     MATCHED clause or only one unconditional WHEN MATCHED DELETE
 *     (Delta's rule).
 *     Rows no clause acts on are kept exactly as they were.
 *   - Unchanged rows are preserved; only files holding a changed row are
 *     rewritten (partition pruning and statistics skipping on the
 *     condition, and on the join keys of the source for MERGE).
 *   - Physical mode: when the table has delta.enableDeletionVectors=true,
 *     changed rows are marked in a deletion vector of their file and new
 *     values written to new files; otherwise each touched file is rewritten
 *     without the changed rows (copy-on-write). Query results are the same.
 *   - With delta.enableChangeDataFeed=true the commit carries cdc files in
 *     `_change_data/` holding every changed row with `_change_type`
 *     insert, delete, update_preimage or update_postimage.
 *   - One commit per operation (operation DELETE, UPDATE or MERGE), with
 *     Delta's operationParameters and operationMetrics. The files read are
 *     recorded, so a concurrent commit that removed one of them makes this
 *     operation fail with DELTA_ECONFLICT (the table is left as the winner
 *     left it and the files written are deleted again), never lose an
 *     update. When nothing changes, nothing is committed.
 *   - Memory: target files stream through one at a time; MERGE holds the
 *     source once in memory (its rows and a hash of the join keys).
 */
#ifndef DELTA_DML_H
#define DELTA_DML_H

#include <stdbool.h>
#include <stdint.h>

#include "delta/arrow.h"
#include "delta/common.h"
#include "delta/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a DELETE, UPDATE or MERGE did. */
typedef struct delta_dml_result {
    int64_t version;              /**< the commit, or -1 when nothing changed */
    int64_t read_version;         /**< the version read */
    int64_t num_source_rows;      /**< MERGE: rows of the source */
    int64_t num_rows_inserted;
    int64_t num_rows_updated;
    int64_t num_rows_deleted;
    int64_t num_rows_copied;      /**< unchanged rows rewritten (copy-on-write) */
    int64_t num_files_added;      /**< data files written */
    int64_t num_files_removed;    /**< data files removed (rewritten or all rows deleted) */
    int64_t num_bytes_added;
    int64_t num_bytes_removed;
    int64_t num_dvs_added;        /**< files that got their first deletion vector */
    int64_t num_dvs_updated;      /**< files whose deletion vector grew */
    int64_t num_cdc_files;        /**< change data files written */
    int64_t num_files_touched;    /**< target files read because they may change */
    int64_t num_files_skipped;    /**< target files not read (pruned or skipped) */
    int64_t execution_ms;
} delta_dml_result;

/**
 * Deletes the rows where `where` is TRUE (NULL or "" deletes every row).
 * A predicate on partition columns only (or none) removes whole files,
 * decided by their partition values; their rows are read only to count
 * them when statistics lack numRecords, or for the change data feed.
 *
 * @return 0 (out->version -1 when no row matched); DELTA_EINVAL for a
 *         predicate that does not parse, names an unknown column or is not
 *         boolean; DELTA_ECONFLICT; DELTA_EUNSUPPORTED for a table this
 *         library cannot write; errors of the log, store and readers.
 *         After a failure the table is as it was.
 */
DELTA_EXTERN int delta_table_delete(delta_table *t, const char *where, delta_dml_result *out);

/**
 * Sets columns of the rows where `where` is TRUE (NULL: every row).
 * `set` is a comma-separated list of assignments "col = EXPR, ..." (EXPR
 * over the row's current values, as `delta update --set`); a column may
 * be assigned once; values are cast to the column's type as a write
 * would (a value that does not fit is an error naming the column).
 * Partition columns may be set (the row moves to its new partition).
 * Constraints and NOT NULL are enforced on the new rows.
 */
DELTA_EXTERN int delta_table_update(delta_table *t, const char *set, const char *where,
                                    delta_dml_result *out);

/** The kind of rows a MERGE clause applies to. */
typedef enum delta_merge_when {
    DELTA_WHEN_MATCHED = 0,          /**< target rows with a matching source row */
    DELTA_WHEN_NOT_MATCHED,          /**< source rows without a matching target row */
    DELTA_WHEN_NOT_MATCHED_BY_SOURCE /**< target rows without a matching source row */
} delta_merge_when;

/** What a MERGE clause does. */
typedef enum delta_merge_action {
    DELTA_MERGE_UPDATE = 0,  /**< set the assignments (MATCHED, NOT MATCHED BY SOURCE) */
    DELTA_MERGE_UPDATE_ALL,  /**< set every target column to the source's (MATCHED) */
    DELTA_MERGE_DELETE,      /**< delete the target row (MATCHED, NOT MATCHED BY SOURCE) */
    DELTA_MERGE_INSERT,      /**< insert the assignments, others null (NOT MATCHED) */
    DELTA_MERGE_INSERT_ALL   /**< insert the source row by column name (NOT MATCHED) */
} delta_merge_action;

typedef struct delta_merge_clause {
    delta_merge_action action;
    delta_merge_when when;
    const char *condition;   /**< extra condition, or NULL */
    const char *assignments; /**< "col = EXPR, ..." for UPDATE and INSERT, else NULL */
} delta_merge_clause;

/** Options of delta_table_merge. Initialise with DELTA_MERGE_OPTIONS_INIT;
 *  fields are only ever appended. */
typedef struct delta_merge_options {
    unsigned version;          /**< DELTA_MERGE_OPTIONS_VERSION */
    /** The source: a file (NDJSON, CSV or Parquet, as delta_table_write_file
     *  reads them; source_format NULL: by extension) ... */
    const char *source_path;
    const char *source_format;
    /** ... or a table (its latest snapshot), when source_path is NULL. */
    delta_table *source_table;
    const char *on;            /**< the merge condition (required) */
    const delta_merge_clause *clauses;
    size_t num_clauses;        /**< at least one */
    const char *target_alias;  /**< NULL: "target" */
    const char *source_alias;  /**< NULL: "source" */
    /** Top-level columns of the source the target lacks are appended to
     *  the table's schema in the same commit (nullable; UPDATE_ALL /
     *  INSERT_ALL carry them; rows of existing files read them as null).
     *  A new column without a type (every NDJSON value null) is
     *  DELTA_EINVAL. */
    bool merge_schema;
} delta_merge_options;

#define DELTA_MERGE_OPTIONS_VERSION 1
#define DELTA_MERGE_OPTIONS_INIT                                                             \
    {DELTA_MERGE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, false}

/**
 * Merges the source into the table (see the top of this header).
 *
 * @return 0 (out->version -1 when nothing changed); DELTA_EINVAL for bad
 *         options, a condition or assignment that does not bind, a clause
 *         kind/action mismatch, or a target row matched by several source
 *         rows; DELTA_ECONFLICT; errors of the source reader, the log and
 *         the store. After a failure the table is as it was.
 */
DELTA_EXTERN int delta_table_merge(delta_table *t, const delta_merge_options *opts,
                                   delta_dml_result *out);

/* ---- change data feed ---------------------------------------------------- */

/** Options of delta_table_changes. Initialise with
 *  DELTA_CHANGES_OPTIONS_INIT; fields are only ever appended. */
typedef struct delta_changes_options {
    unsigned version;      /**< DELTA_CHANGES_OPTIONS_VERSION */
    int64_t from_version;  /**< first commit (required, >= 0) */
    int64_t to_version;    /**< last commit; -1: the latest */
} delta_changes_options;

#define DELTA_CHANGES_OPTIONS_VERSION 1
#define DELTA_CHANGES_OPTIONS_INIT {DELTA_CHANGES_OPTIONS_VERSION, 0, -1}

/**
 * Reads the change data feed of commits from_version..to_version as an
 * Arrow stream: the table's columns (schema of to_version; older files'
 * rows conformed to it, missing columns null) and `_change_type`
 * (string), `_commit_version` (int64), `_commit_timestamp` (timestamp,
 * UTC microseconds: the commit's inCommitTimestamp when in-commit
 * timestamps are enabled at it, else the commit file's modification
 * time). A commit with cdc actions contributes the rows of its change
 * data files (partition values from the cdc actions); a commit without
 * contributes its data-changing adds as inserts and removes as deletes
 * (rows of the file, deletion vector applied); a remove and an add of
 * the same file in such a commit contribute only the rows their deletion
 * vectors differ in (newly deleted: delete; no longer deleted: insert);
 * commits with dataChange=false files only (OPTIMIZE) contribute nothing.
 * Commits in order, one at a time, one file at a time.
 *
 * The whole range is checked before the stream is returned. The stream
 * holds its own store and snapshot: `t` may be freed before it.
 *
 * @return 0; DELTA_EINVAL for bad options or a bad range (from_version
 *         negative, after to_version, or after the latest version;
 *         to_version after the latest), or when the change data feed
 *         was not enabled at a version in the range (the first such
 *         version named); DELTA_ENOTFOUND when a version is no longer in
 *         the log; errors of the log and readers.
 */
DELTA_EXTERN int delta_table_changes(delta_table *t, const delta_changes_options *opts,
                                     struct ArrowArrayStream *out);

#ifdef __cplusplus
}
#endif

#endif /* DELTA_DML_H */
