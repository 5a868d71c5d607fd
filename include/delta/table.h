/*
 * libdelta tables: open a Delta table, take a snapshot of it (the latest
 * version, an earlier version, or the version current at a time), read its
 * rows as an Arrow stream, describe it, and walk its commit history.
 *
 * Example:
 *
 *     delta_table *t;
 *     delta_snapshot *snap;
 *     struct ArrowArrayStream rows;
 *     delta_scan_options so = DELTA_SCAN_OPTIONS_INIT;
 *     if (delta_table_open(&t, "/data/sales") == 0 &&
 *         delta_table_snapshot(&snap, t, -1, NULL) == 0 &&
 *         delta_snapshot_scan(snap, &so, &rows) == 0) {
 *         ... rows.get_next(&rows, &batch) until batch.release == NULL ...
 *         rows.release(&rows);
 *     }
 *     delta_snapshot_free(snap);
 *     delta_table_free(t);
 *
 * Handles are reference counted internally: a snapshot keeps its table's
 * storage alive, and a scan stream keeps its snapshot alive, so each may
 * be freed or released in any order.
 *
 * Reading follows the Delta protocol (PROTOCOL.md of delta-io/delta):
 * reader versions 1 to 3 with the features deletionVectors, columnMapping
 * (name and id), timestampNtz, typeWidening, v2Checkpoint and
 * vacuumProtocolCheck; other reader features are refused naming them.
 */
#ifndef DELTA_TABLE_H
#define DELTA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delta/arrow.h"
#include "delta/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open table: a location holding `_delta_log/`. */
typedef struct delta_table delta_table;
/** The state of a table at one version. */
typedef struct delta_snapshot delta_snapshot;

/**
 * Opens the table at `uri` (a local path, file:// or another store URI).
 * Nothing is read yet: a location without a Delta log is reported by
 * delta_table_snapshot.
 *
 * @param out  receives the table (free with delta_table_free)
 * @return 0, DELTA_EINVAL (malformed URI), DELTA_EUNSUPPORTED (scheme),
 *         DELTA_ENOMEM.
 */
DELTA_EXTERN int delta_table_open(delta_table **out, const char *uri);

/** The URI the table was opened with (borrowed, valid while t lives). */
DELTA_EXTERN const char *delta_table_uri(const delta_table *t);

/** Frees the table handle (NULL is fine); snapshots keep what they need. */
DELTA_EXTERN void delta_table_free(delta_table *t);

/**
 * Loads a snapshot of the table.
 *
 * @param out        receives the snapshot (free with delta_snapshot_free)
 * @param t          the table
 * @param version    the version to load, or -1 for the latest
 * @param timestamp  NULL, or a time (ISO-8601 such as "2024-01-31T10:00:00Z",
 *                   a date, or epoch milliseconds): the newest version
 *                   committed at or before it (in-commit timestamps when
 *                   the table has them). Not together with a version.
 * @return 0; DELTA_ENOTFOUND for a location that is not a Delta table, a
 *         version that does not exist or was cleaned up, a time before the
 *         first commit (the message names what is available);
 *         DELTA_ECORRUPT for a broken log (a missing commit, no protocol or
 *         metaData); DELTA_EUNSUPPORTED for a protocol or feature this
 *         library cannot read; DELTA_EINVAL for a malformed timestamp or
 *         both a version and a timestamp.
 */
DELTA_EXTERN int delta_table_snapshot(delta_snapshot **out, delta_table *t, int64_t version,
                                      const char *timestamp);

/** The snapshot's version. */
DELTA_EXTERN int64_t delta_snapshot_version(const delta_snapshot *s);

/** Commit time of the snapshot's version, epoch milliseconds. */
DELTA_EXTERN int64_t delta_snapshot_timestamp(const delta_snapshot *s);

/** Number of live data files. */
DELTA_EXTERN size_t delta_snapshot_num_files(const delta_snapshot *s);

/**
 * Exports the table schema (logical column names, partition columns in
 * schema order) as an Arrow struct schema. Delta types map to Arrow as:
 * long/int/short/byte -> int64/32/16/8, float/double, boolean, string
 * (utf8), binary, date (date32), timestamp (microseconds, zone "UTC"),
 * timestamp_ntz (microseconds, no zone), decimal(p,s) (decimal128),
 * struct, array (list), map.
 *
 * @param out  receives the schema; the caller releases it
 */
DELTA_EXTERN int delta_snapshot_schema(delta_snapshot *s, struct ArrowSchema *out);

/** Options of delta_snapshot_scan. Initialise with DELTA_SCAN_OPTIONS_INIT;
 *  fields are only ever appended. */
typedef struct delta_scan_options {
    unsigned version; /**< DELTA_SCAN_OPTIONS_VERSION */
    /** Columns to read, by logical top-level name (exact, else ASCII
     *  case-insensitive when unique), in the order wanted; NULL = all
     *  columns in schema order. */
    const char *const *columns;
    size_t num_columns;
    /** Stop after this many rows; -1 = all. */
    int64_t limit;
    /** Rows per batch at most (0 = 65536). */
    int64_t batch_rows;
    /** A predicate in the SQL expression language (delta/expr.h), or
     *  NULL: only rows where it is TRUE are returned (FALSE and NULL are
     *  dropped). Columns resolve against the table's logical schema,
     *  case-insensitively; it may name columns not in `columns` (they are
     *  read for the predicate and not returned). Files whose partition
     *  values or statistics prove that no row matches are not read. The
     *  limit counts rows after the predicate. */
    const char *where;
} delta_scan_options;

#define DELTA_SCAN_OPTIONS_VERSION 1
#define DELTA_SCAN_OPTIONS_INIT {DELTA_SCAN_OPTIONS_VERSION, NULL, 0, -1, 0, NULL}

/**
 * Starts reading the snapshot's rows as a stream of record batches.
 *
 * Files are read one at a time, each a row group at a time (only the
 * requested columns' data is fetched), so memory stays bounded by one
 * row group. Every batch has the table's shape: column mapping applied
 * (logical names), partition values materialized as columns, rows
 * deleted by deletion vectors dropped, columns of older files conformed
 * to the current schema (missing columns are null, widened types cast).
 * Row order is by file path, then file order.
 *
 * @param s     the snapshot (the stream keeps it alive)
 * @param opts  options, or NULL for the defaults
 * @param out   receives the stream; the caller releases it. Errors while
 *              streaming (a missing or damaged data file, a deletion
 *              vector whose checksum does not match) come back from
 *              get_next with a message from get_last_error.
 * @return 0, DELTA_ENOTFOUND (unknown column: the message lists the
 *         table's columns), DELTA_EINVAL (a column listed twice),
 *         DELTA_ENOMEM. A `where` that does not parse or bind fails here
 *         with the expression layer's codes (DELTA_EINVAL syntax,
 *         DELTA_ENOTFOUND unknown column or function, DELTA_ETYPE type
 *         mismatch or a predicate that is not boolean), the message
 *         starting "where: " and naming the position and the column.
 *         Errors evaluating it (integer overflow) come from get_next.
 */
DELTA_EXTERN int delta_snapshot_scan(delta_snapshot *s, const delta_scan_options *opts,
                                     struct ArrowArrayStream *out);

/** Which files a scan reads (see delta_snapshot_scan_plan). */
typedef struct delta_scan_plan {
    size_t files_total;     /**< live files of the snapshot */
    size_t files_pruned;    /**< ruled out by their partition values */
    size_t files_skipped;   /**< ruled out by their statistics */
    size_t files_selected;  /**< to be read */
    int64_t bytes_total;    /**< sizes of all live files */
    int64_t bytes_selected; /**< sizes of the files to be read */
} delta_scan_plan;

/**
 * Plans a scan without reading data: applies the options' predicate to
 * every live file's partition values and statistics and counts the files
 * a scan with these options would read. Without a predicate every file is
 * selected. The limit is not taken into account.
 *
 * @return 0, or the errors of delta_snapshot_scan; DELTA_EINVAL for a
 *         partition value that is not a value of its column's type.
 */
DELTA_EXTERN int delta_snapshot_scan_plan(delta_snapshot *s, const delta_scan_options *opts,
                                          delta_scan_plan *out);

/**
 * Describes the table at this snapshot: location, version and its commit
 * time, id, name, description, creation time, schema, partition columns,
 * properties, protocol versions and features, column mapping mode, number
 * of files, total size in bytes, and the number of records (the sum of the
 * files' numRecords statistics minus deletion vector cardinalities;
 * reported as unknown when a file has no statistics).
 *
 * @param json  false: text for people; true: one JSON object with the
 *              fields location, version, timestamp, id, name,
 *              description, created_time, schema (the Delta schema
 *              object), columns ([{name, type, nullable, partition}]),
 *              partition_columns, properties, protocol
 *              ({min_reader_version, min_writer_version, reader_features,
 *              writer_features}), column_mapping, num_files, size_bytes,
 *              num_records (null when unknown), last_operation, template
 *              (null, or for a table created from a template {name,
 *              description, partition_columns, recommended_properties,
 *              zorder_columns}; the text form lists the same)
 * @param out   receives a NUL-terminated string; free it with delta_free
 */
DELTA_EXTERN int delta_snapshot_describe(delta_snapshot *s, bool json, char **out);

/** Frees the snapshot handle (NULL is fine); open scans keep it alive. */
DELTA_EXTERN void delta_snapshot_free(delta_snapshot *s);

/* ---- checkpoints ----------------------------------------------------------- */

/** What delta_table_checkpoint wrote (the `_last_checkpoint` fields). */
typedef struct delta_checkpoint_info {
    int64_t version;       /**< the version checkpointed */
    int64_t num_actions;   /**< rows (actions) in the checkpoint */
    int64_t size_bytes;    /**< bytes of the checkpoint file */
    int64_t num_files;     /**< live data files (add actions) */
    int64_t num_tombstones; /**< remove actions kept (within retention) */
} delta_checkpoint_info;

/**
 * Writes a classic single-file checkpoint of the table's latest version
 * (`_delta_log/NNN.checkpoint.parquet`, Spark's schema; stats as JSON and,
 * when delta.checkpoint.writeStatsAsStruct is set, parsed) and then
 * replaces `_delta_log/_last_checkpoint`. Writing a checkpoint that
 * already exists replaces it with the same content. Log files are not
 * cleaned up.
 *
 * @param out  receives what was written (may be NULL)
 * @return 0; DELTA_ENOTFOUND (not a Delta table); DELTA_EUNSUPPORTED (a
 *         protocol or writer feature this library cannot write);
 *         DELTA_EIO and the store's errors, naming the file.
 */
DELTA_EXTERN int delta_table_checkpoint(delta_table *t, delta_checkpoint_info *out);

/* ---- history -------------------------------------------------------------- */

/** One commit of the table's history. Strings are borrowed: valid until
 *  the next delta_history_next or delta_history_free. */
typedef struct delta_commit {
    int64_t version;
    int64_t timestamp;       /**< epoch ms: in-commit timestamp, else file time */
    const char *operation;   /**< commitInfo.operation, or NULL */
    const char *parameters;  /**< commitInfo.operationParameters as JSON, or NULL */
    const char *metrics;     /**< commitInfo.operationMetrics as JSON, or NULL */
    const char *commit_info; /**< the whole commitInfo object as compact JSON, or NULL */
} delta_commit;

/** An iterator over commits, newest first. */
typedef struct delta_history delta_history;

/**
 * Starts walking the table's commits from the newest back to the oldest
 * commit still in the log, at most `limit` of them (-1 = all).
 *
 * @return 0, DELTA_ENOTFOUND (not a Delta table), DELTA_EIO, DELTA_ENOMEM.
 */
DELTA_EXTERN int delta_table_history(delta_history **out, delta_table *t, int64_t limit);

/**
 * Reads the next commit into *out.
 * @return 1 with *out filled, 0 at the end, or a negative DELTA_E* code
 *         (DELTA_ECORRUPT for a malformed commitInfo, naming the file).
 */
DELTA_EXTERN int delta_history_next(delta_history *h, delta_commit *out);

/** Frees the iterator (NULL is fine). */
DELTA_EXTERN void delta_history_free(delta_history *h);

/* ---- templates (the e-commerce schemas and their configuration) ----------- */

/**
 * A table template: a schema designed for one e-commerce table, with its
 * partition strategy, recommended properties and clustering hint.
 * Everything is static (never freed).
 */
typedef struct delta_template {
    const char *name;        /**< "transactions", "user_events", ... */
    const char *description; /**< one line */
    const char *schema_json; /**< the Delta schema JSON (comments in field metadata) */
    const char *const *partition_columns; /**< num_partition_columns names */
    size_t num_partition_columns;
    const char *const *property_keys;     /**< recommended properties (real Delta keys) */
    const char *const *property_values;
    size_t num_properties;
    const char *const *zorder_columns;    /**< clustering hint for optimize */
    size_t num_zorder_columns;
} delta_template;

/** Number of templates; delta_template_at(i) for i below it. */
DELTA_EXTERN size_t delta_template_count(void);
DELTA_EXTERN const delta_template *delta_template_at(size_t i);
/** The template named `name` (exact), or NULL. */
DELTA_EXTERN const delta_template *delta_template_find(const char *name);

/**
 * The template a table was created from: tables created with a template
 * record its name in the table property `libdelta.template`. NULL when
 * the table has none (or names a template this library does not know).
 */
DELTA_EXTERN const delta_template *delta_snapshot_template(const delta_snapshot *s);

/* ---- creating a table ----------------------------------------------------- */

/** Options of delta_table_create. Initialise with DELTA_CREATE_OPTIONS_INIT;
 *  fields are only ever appended. */
typedef struct delta_create_options {
    unsigned version; /**< DELTA_CREATE_OPTIONS_VERSION */
    /** A template name, or NULL; gives the schema, partition columns and
     *  recommended properties (each can be overridden below). */
    const char *template_name;
    /** A Delta schema JSON (`{"type":"struct","fields":[...]}`), or NULL
     *  (then a template is required). */
    const char *schema_json;
    /** Partition columns (top-level names of the schema, in order); NULL
     *  with a template means the template's. */
    const char *const *partition_columns;
    size_t num_partition_columns;
    /** Table properties. Real Delta keys ("delta.appendOnly"), the short
     *  forms the seed uses ("autoOptimize.optimizeWrite" is stored as
     *  "delta.autoOptimize.optimizeWrite"), or keys outside the delta.
     *  namespace (kept as they are). Unknown delta.* keys and invalid
     *  values are refused. They override the template's. */
    const char *const *property_keys;
    const char *const *property_values;
    size_t num_properties;
    const char *name;    /**< metaData.name, or NULL */
    const char *comment; /**< metaData.description, or NULL */
    /** An existing table is left as it is (0, *created false) instead of
     *  DELTA_EEXIST. */
    bool if_not_exists;
} delta_create_options;

#define DELTA_CREATE_OPTIONS_VERSION 1
#define DELTA_CREATE_OPTIONS_INIT                                                              \
    {DELTA_CREATE_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL, false}

/**
 * Creates a Delta table at `uri`: commits version 0 with the protocol
 * (the minimum the schema and properties need: reader 1 / writer 2 for
 * a plain table, writer 4 for generated columns or the change data feed,
 * reader 3 / writer 7 with the listed features for deletion vectors,
 * timestamp_ntz, in-commit timestamps, ...), the metaData and a
 * commitInfo of operation "CREATE TABLE".
 *
 * @param created  optional: set to true when the table was created, false
 *                 when it existed and opts->if_not_exists was set
 * @return 0; DELTA_EEXIST (a table is there), DELTA_EINVAL (no schema,
 *         unknown template, bad schema JSON, unknown partition column,
 *         unknown delta.* property or invalid value, naming it),
 *         DELTA_EUNSUPPORTED (a property this engine cannot honour when
 *         writing, e.g. column mapping), storage errors.
 */
DELTA_EXTERN int delta_table_create(const char *uri, const delta_create_options *opts,
                                    bool *created);

/* ---- writing -------------------------------------------------------------- */

typedef enum delta_write_mode {
    DELTA_WRITE_APPEND = 0,   /**< add the rows (a blind append) */
    DELTA_WRITE_OVERWRITE = 1 /**< replace every row (or those of replace_where) */
} delta_write_mode;

/** Options of delta_table_write. Initialise with DELTA_WRITE_OPTIONS_INIT;
 *  fields are only ever appended. */
typedef struct delta_write_options {
    unsigned version; /**< DELTA_WRITE_OPTIONS_VERSION */
    delta_write_mode mode;
    /** With OVERWRITE: a predicate over partition columns; only the files
     *  of matching partitions are replaced, and every row written must
     *  satisfy it (else DELTA_EINVAL, nothing committed). */
    const char *replace_where;
    /** Add input columns the table lacks (nested struct fields too) and
     *  widen byte/short columns to int; without it they are refused. */
    bool merge_schema;
    /** With OVERWRITE: the table's schema becomes the input's. */
    bool overwrite_schema;
    /** Roll data files at about this many bytes (0: the table's
     *  delta.targetFileSize, else 128 MiB). */
    int64_t target_file_size;
    /** At most this many rows per data file (0: no limit). */
    int64_t max_rows_per_file;
    /** Data files open at once (one per partition being written); when
     *  more partitions are active the least recently used file is closed
     *  (0: 32). */
    int max_open_files;
    /** Auto compaction (version 2; see delta.autoOptimize.autoCompact at
     *  delta_table_write): the number of small files a partition must
     *  hold for the write to compact it, as Delta's session setting
     *  spark.databricks.delta.autoCompact.minNumFiles (0: 50, Delta's
     *  default; 1 counts as 2: a lone file is never rewritten). */
    int auto_compact_min_files;
    /** Optimized writes (version 2; see delta.autoOptimize.optimizeWrite
     *  at delta_table_write): bytes of rows held in memory before they
     *  are spilled to a temporary file (0: 128 MiB). */
    int64_t optimize_write_memory;
} delta_write_options;

#define DELTA_WRITE_OPTIONS_VERSION 2
#define DELTA_WRITE_OPTIONS_INIT                                                               \
    {DELTA_WRITE_OPTIONS_VERSION, DELTA_WRITE_APPEND, NULL, false, false, 0, 0, 0, 0, 0}

/** What a write did. */
typedef struct delta_write_result {
    int64_t version;           /**< the version committed */
    int64_t num_files;         /**< data files added */
    int64_t num_rows;          /**< rows written */
    int64_t num_bytes;         /**< bytes of the files added */
    int64_t num_removed_files; /**< files removed (overwrite) */
    bool schema_changed;       /**< the commit changed the schema */
    /** Auto compaction after the write (see delta_table_write): the
     *  OPTIMIZE commit it made, or -1 when it did not run or found
     *  nothing to compact. */
    int64_t auto_compact_version;
    int64_t auto_compact_files_removed; /**< small files it rewrote */
    int64_t auto_compact_files_added;   /**< files it wrote */
    /** 0, or the error code of a failed auto compaction (the write is
     *  committed all the same and delta_table_write returns 0; the
     *  message is delta_error_last() until the next failing call). */
    int auto_compact_error;
} delta_write_result;

/**
 * Writes the rows of `input` to the table as one commit (operation WRITE).
 *
 * Input columns are matched to the table's by name (exact, else ASCII
 * case-insensitively) at every struct level and cast when the cast is
 * safe (integers and floats that fit, decimals that fit, date to
 * timestamp, ...). Refused, with the column named and nothing committed:
 * an input column the table lacks (unless merge_schema), a type that does
 * not convert, a missing or null value of a NOT NULL column, a generated
 * column whose value differs from its expression, a row violating a
 * CHECK constraint (delta.constraints.*). Generated columns
 * (delta.generationExpression) the input lacks are computed.
 *
 * Rows are split by the partition columns into Hive-style folders
 * (`year=2024/month=1/`, values escaped as Delta does, nulls as
 * __HIVE_DEFAULT_PARTITION__) and written as snappy Parquet files
 * `part-NNNNN-UUID.c000.snappy.parquet`, rolled at the target size; each
 * add action carries its statistics (numRecords, minValues, maxValues,
 * nullCount of the first delta.dataSkippingNumIndexedCols leaf columns,
 * strings cut to 32 characters). Memory is bounded by the open files, not
 * the input. When the commit fails, the data files written are deleted.
 *
 * Optimized writes: when the table (partitioned) has
 * delta.autoOptimize.optimizeWrite true, rows are not written as they
 * arrive (where a wide spread of partitions makes max_open_files close
 * files early, leaving many small files) but grouped by partition first:
 * held in memory up to optimize_write_memory bytes, beyond it spilled to
 * temporary Parquet files under $TMPDIR (else /tmp, deleted at the end),
 * then written partition by partition, so each partition gets
 * ceil(its size / target) files. Rows keep their input order within a
 * partition. Costs: the spilled rows are written and read once more, and
 * no data file is written before the input ends.
 *
 * Auto compaction: when the table has delta.autoOptimize.autoCompact
 * true (or auto, or legacy) and the write committed, each partition the
 * write added files to that now holds at least auto_compact_min_files
 * (default 50) files smaller than the target (delta.targetFileSize, else
 * 128 MiB) is compacted as delta_table_optimize bin-packs it - only those
 * partitions - in an OPTIMIZE commit of its own after the write's, with
 * operationParameters auto true. result->auto_compact_* say what it did.
 * Its failure (a conflict, storage) does not undo or fail the write: the
 * write's commit stands, the function returns 0 and
 * result->auto_compact_error holds the code.
 *
 * @param input   consumed (released) in every case
 * @param result  optional
 * @return 0; DELTA_EINVAL / DELTA_ETYPE (schema or data refused, the
 *         message names the column and row), DELTA_ENOTFOUND (not a
 *         table), DELTA_ECONFLICT (a concurrent commit), DELTA_EUNSUPPORTED
 *         (a table feature this writer cannot honour), storage errors.
 */
DELTA_EXTERN int delta_table_write(delta_table *t, struct ArrowArrayStream *input,
                                   const delta_write_options *opts, delta_write_result *result);

/**
 * The same from a file: NDJSON (one JSON object per line), CSV (RFC 4180
 * with a header row) or Parquet. `format` is "ndjson", "json", "csv" or
 * "parquet", or NULL to go by the file's extension. JSON and CSV values
 * are read as the table's column types (text parsed; a value that does
 * not convert is refused naming the file, line and column); with
 * merge_schema, new JSON columns get types from their values and new CSV
 * columns are strings. The file is read in pieces (a path or store URI).
 */
DELTA_EXTERN int delta_table_write_file(delta_table *t, const char *path, const char *format,
                                        const delta_write_options *opts,
                                        delta_write_result *result);

/* ---- generated e-commerce data -------------------------------------------- */

/**
 * Streams `rows` realistic, reproducible rows for the template named
 * `template_name` (see delta_template_find), with exactly the template's
 * schema (Arrow types as delta_snapshot_schema maps them), ready for
 * delta_table_write into a table created from that template.
 *
 * The data looks like a shop's: customers and products picked with a
 * power law, categories with consistent subcategories and brands, prices
 * and amounts in cents with the schema's decimal types, statuses, payment
 * methods and channels in realistic proportions, orders of one to five
 * lines, clickstream sessions walking a funnel with increasing times,
 * customer segments and regions. Times run forward through 90 days from
 * 2024-01-01 UTC; year/month/day agree with the generated-column
 * expressions. Customer N and product N have the same attributes in every
 * template and for every seed (C0000001..C0020000, P000001..P002000 are
 * the keys the fact tables use).
 *
 * The same (template, rows, seed) always gives the same values. Batches
 * are produced on demand, so memory does not grow with `rows`.
 *
 * @param out  receives the stream; the caller releases it
 * @return 0; DELTA_EINVAL for an unknown template (the message lists the
 *         templates) or a negative row count.
 */
DELTA_EXTERN int delta_generate_stream(const char *template_name, int64_t rows, uint64_t seed,
                                       struct ArrowArrayStream *out);

/* ---- restore ------------------------------------------------------------- */

/** What delta_table_restore did (the RESTORE commit's operationMetrics). */
typedef struct delta_restore_result {
    int64_t version;              /**< the RESTORE commit, or the latest version
                                   *   when there was nothing to change */
    int64_t restored_version;     /**< the version restored */
    bool committed;               /**< false: the table already had that state */
    int64_t table_size_after;     /**< tableSizeAfterRestore: bytes of live files */
    int64_t num_files_after;      /**< numOfFilesAfterRestore */
    int64_t num_removed_files;    /**< numRemovedFiles */
    int64_t num_restored_files;   /**< numRestoredFiles */
    int64_t removed_files_size;   /**< removedFilesSize */
    int64_t restored_files_size;  /**< restoredFilesSize */
} delta_restore_result;

/**
 * Rolls the table back to an earlier version as a new commit (operation
 * RESTORE, as Delta's RESTORE TABLE): files live now but not at the
 * target are removed, files live at the target but not now are added
 * again with their original add actions (statistics, partition values,
 * deletion vectors; dataChange true), the target's metaData (schema,
 * partition columns, properties) is restored when it differs, and the
 * protocol is never downgraded (raised when the target's needs more).
 * Time travel still sees every version in between. Conflicts are checked
 * as for a transaction that read the whole table. When the table already
 * has the target's files and metadata nothing is committed.
 *
 * @param version    the version to restore, or -1 to use `timestamp`
 * @param timestamp  NULL, or a time (as delta_table_snapshot takes it): the
 *                   newest version committed at or before it
 * @param out        optional
 * @return 0; DELTA_ENOTFOUND (not a table, a version that does not exist or
 *         was cleaned up, a time before the first commit, or a data file of
 *         the target that no longer exists, e.g. deleted by VACUUM: the
 *         message names it and how many are missing); DELTA_EINVAL (neither
 *         or both of version and timestamp, a malformed timestamp);
 *         DELTA_ECONFLICT; DELTA_EUNSUPPORTED (protocol); storage errors.
 *         Nothing is committed on failure.
 */
DELTA_EXTERN int delta_table_restore(delta_table *t, int64_t version, const char *timestamp,
                                     delta_restore_result *out);

/* ---- CHECK constraints ------------------------------------------------- */

/**
 * Adds a CHECK constraint (ALTER TABLE ADD CONSTRAINT): stored as the
 * table property `delta.constraints.NAME` (NAME lower-cased, as Delta
 * does) in a metaData commit of operation ADD CONSTRAINT, with the
 * protocol raised to writer 3 (or the checkConstraints feature added on a
 * table-features protocol) when needed. Every later write must satisfy
 * it (rows where it is FALSE or NULL are refused).
 *
 * The expression (delta/expr.h) must bind against the table's schema and
 * be boolean, and every existing row must satisfy it: a row where it is
 * FALSE or NULL refuses the constraint, naming how many rows violate it.
 *
 * @param name        letters, digits and '_'
 * @param expression  the SQL predicate, stored as given
 * @param version     optional: the version committed
 * @return 0; DELTA_EINVAL (bad name, syntax, or rows violating it);
 *         DELTA_EEXIST (a constraint of that name exists); DELTA_ENOTFOUND
 *         (not a table, unknown column); DELTA_ETYPE (not boolean);
 *         DELTA_ECONFLICT; storage errors. Nothing is committed on failure.
 */
DELTA_EXTERN int delta_table_add_constraint(delta_table *t, const char *name,
                                            const char *expression, int64_t *version);

/**
 * Drops a CHECK constraint (metaData commit, operation DROP CONSTRAINT);
 * the protocol is left as it is.
 *
 * @param if_exists  a missing constraint is not an error (nothing is
 *                   committed; *version is -1)
 * @param version    optional: the version committed, or -1
 * @return 0; DELTA_ENOTFOUND (no such constraint: the message lists the
 *         table's constraints; not a table); DELTA_EINVAL (bad name);
 *         DELTA_ECONFLICT; storage errors.
 */
DELTA_EXTERN int delta_table_drop_constraint(delta_table *t, const char *name, bool if_exists,
                                             int64_t *version);

/* ---- the lake ------------------------------------------------------------- */

/** One table of a lake. Strings are borrowed until delta_lake_list_free. */
typedef struct delta_lake_entry {
    const char *name;
    int64_t version;      /**< -1 when the table could not be read (see error) */
    int64_t num_files;
    int64_t size_bytes;
    int64_t num_records;  /**< -1 when unknown (files without statistics) */
    const char *error;    /**< why the table could not be read, or NULL */
} delta_lake_entry;

typedef struct delta_lake_list {
    delta_lake_entry *items;
    size_t count;
} delta_lake_list;

/**
 * Lists the tables of the lake at `lake_uri`: every folder directly under
 * it holding a `_delta_log/`, sorted by name, with the latest version,
 * number of live files, their size and record count. A folder whose log
 * cannot be read is listed with version -1 and its error. A lake folder
 * that does not exist has no tables.
 */
DELTA_EXTERN int delta_lake_list_tables(const char *lake_uri, delta_lake_list *out);
DELTA_EXTERN void delta_lake_list_free(delta_lake_list *l);

/**
 * Checks a table name of a lake: 1 to 255 characters of letters, digits,
 * '_' and '-', not starting with '-' or '.'; so a name never escapes
 * the lake. DELTA_EINVAL naming the problem otherwise.
 */
DELTA_EXTERN int delta_lake_check_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* DELTA_TABLE_H */
