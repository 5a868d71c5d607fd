/*
 * The write side of tables (internal): staging metadata, statistics of
 * data files, the input readers (NDJSON, CSV, Parquet) and the writer.
 *
 * The public face is delta_table_create / delta_table_write /
 * delta_table_write_file in include/delta/table.h; these helpers are
 * shared by create.c, write.c, stats.c and input.c.
 */
#ifndef DELTA_TABLE_WRITE_H
#define DELTA_TABLE_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include <delta/storage.h>
#include <delta/table.h>

#include "columnar/vector.h"
#include "log/actions.h"
#include "log/snapshot.h"
#include "log/txn.h"

struct json_t;

/* ---- metadata (create.c) --------------------------------------------------- */

/* The metaData action as a JSON line object (new reference). */
struct json_t *dtab_metadata_json(const dlog_metadata *m);
int dtab_stage_metadata(dlog_tx *tx, const dlog_metadata *m);
int dtab_stage_protocol(dlog_tx *tx, const dlog_protocol *p);

/* Whether the table's protocol allows `schema` (a changed schema may need
 * features, e.g. timestamp_ntz, that writes do not add): DELTA_EUNSUPPORTED
 * naming the protocol it needs otherwise. */
int dtab_check_schema_protocol(const dlog_snapshot *snap, const dtype *schema);

/* The field's "delta.generationExpression" (a new string), or NULL. */
char *dtab_generation_expression(const dfield *f);

/* ---- statistics (stats.c) -------------------------------------------------- */

/* Per-file statistics of a data schema, as Delta writes them in add.stats:
 * numRecords, and for the first `num_indexed` leaf columns (depth first;
 * -1 = all) nullCount, and minValues/maxValues for numbers, dates,
 * timestamps and strings. */
typedef struct dtab_stats dtab_stats;

int dtab_stats_new(dtab_stats **out, const dtype *schema, int64_t num_indexed);
void dtab_stats_free(dtab_stats *s);
/* Folds the rows of a batch of the schema in. */
int dtab_stats_update(dtab_stats *s, const dvec *batch);
/* Appends the stats JSON object text, then starts over for the next file. */
int dtab_stats_json(dtab_stats *s, dbuf *out);

/* ---- writing rows (write.c) ------------------------------------------------ */

/* The partitions a write added files to: their dtab_partition_key texts,
 * distinct, in the order first written. */
typedef struct dtab_touched {
    char **keys;
    size_t count;
} dtab_touched;
void dtab_touched_free(dtab_touched *t);

/* delta_table_write / delta_table_write_file without what follows the
 * commit (auto compaction, in the ops layer, which defines the public
 * functions on these). touched (may be NULL; the caller frees it with
 * dtab_touched_free, also after a failure) receives the partitions the
 * commit added files to. */
struct ArrowArrayStream;
int dtab_table_write(delta_table *t, struct ArrowArrayStream *input,
                     const delta_write_options *opts, delta_write_result *result,
                     dtab_touched *touched);
int dtab_table_write_file(delta_table *t, const char *path, const char *format,
                          const delta_write_options *opts, delta_write_result *result,
                          dtab_touched *touched);

/* ---- rewriting rows (write.c) ---------------------------------------------- */

/* A writer of data files for rows already in the table's shape, as the
 * table writer lays them out: one Parquet file at a time per partition
 * folder (Hive-escaped "col=value/"), rolled at the target size, with
 * Delta statistics. Used by OPTIMIZE to rewrite files and by DML to
 * copy rows (dtab_writer_write: no generated column, constraint or schema
 * work, the rows came from the table) and to write new ones
 * (dtab_writer_write_rows: the table writer's rules). The adds it
 * produces have dataChange true (a caller may clear it). */
typedef struct dtab_writer dtab_writer;

/* A writer for snap's table (snap and store borrowed; they must outlive
 * it). target_size <= 0: delta.targetFileSize, else 128 MiB. Refuses
 * tables the table writer refuses (protocol, column mapping ...). */
int dtab_writer_new(dtab_writer **out, delta_store *store, const dlog_snapshot *snap,
                    int64_t target_size);
/* Appends the rows of `batch` (every column of the table schema, in
 * order, as a scan gives them) to the partition whose partitionValues are
 * `pv` (the data columns are written; the partition columns of the batch
 * are ignored). */
int dtab_writer_write(dtab_writer *w, const dlog_map *pv, const dvec *batch);
/* Appends rows that are new to the table (UPDATE's new values, MERGE's
 * inserts): `batch` has every column of the table schema, in order; each
 * row goes to the partition its partition columns' values name, and the
 * table writer's rules apply as for delta_table_write: generated columns
 * filled (and checked when given), NOT NULL and CHECK constraints
 * enforced (an error names the column or constraint and the row; nothing
 * is committed by the caller then). Rows are numbered in messages from 1
 * across the calls ("row 3 of the input"). The batch's columns are
 * matched to the table's by name (a batch from a scan of the table, or
 * the same names in order) and cast where safe. Rows of a partition go
 * to the same open file as dtab_writer_write's rows of that partition
 * (the folder is the same Hive-escaped "col=value/" text when the
 * partitionValues text is the one this writer produces for the value). */
int dtab_writer_write_rows(dtab_writer *w, const dvec *batch);

/* A writer of change data files for snap's table: the rows of `batch`
 * (every column of the table schema, in order) with one more column
 * `_change_type` (STRING; every row gets `change_type`: "insert",
 * "delete", "update_preimage" or "update_postimage", else DELTA_EINVAL;
 * declared nullable in the file as Spark declares it) are written under
 * `_change_data/` in the partition folders of their partition values
 * (the data columns plus _change_type in the file, as Delta writes them),
 * as files `_change_data/<partition folders>cdc-NNNNN-<uuid>.c000.snappy.parquet`
 * (Spark's names). Its finished files come out of dtab_writer_adds as
 * DLOG_ACT_CDC actions (path, partitionValues, size, dataChange false).
 * No statistics, checks or generated columns. A table with a column
 * named _change_type is refused (DELTA_EINVAL). dtab_writer_write and
 * dtab_writer_write_rows refuse a change data writer, and
 * dtab_writer_write_cdc a data file writer. */
#define DTAB_CHANGE_TYPE_COLUMN "_change_type"
int dtab_writer_new_cdc(dtab_writer **out, delta_store *store, const dlog_snapshot *snap);
int dtab_writer_write_cdc(dtab_writer *w, const dvec *batch, const char *change_type);

/* Closes every open file (their adds become available). */
int dtab_writer_finish(dtab_writer *w);
/* The add (or, for a change data writer, cdc) actions of the files closed so far (owned by the writer; a
 * caller may take their payloads, e.g. with dlog_tx_stage). */
dlog_action *dtab_writer_adds(dtab_writer *w, size_t *count);
/* Frees the writer; with delete_files, every file it wrote is deleted
 * (best effort), as after a failed commit. */
void dtab_writer_free(dtab_writer *w, bool delete_files);

/* ---- input files (input.c) ------------------------------------------------- */

typedef enum dtab_input_format {
    DTAB_INPUT_NDJSON = 0,
    DTAB_INPUT_CSV,
    DTAB_INPUT_PARQUET
} dtab_input_format;

/* The format of `format` ("ndjson", "json", "jsonl", "csv", "parquet") or,
 * when NULL, of the path's extension. */
int dtab_input_format_of(const char *format, const char *path, dtab_input_format *out);

/* Opens `key` of `store` as a stream of batches. JSON and CSV are read as
 * the columns of `schema` (the table's); with merge_schema, columns the
 * table lacks are added (JSON: typed from their values over the whole
 * file; CSV: strings) and the stream's schema is the merged one. Parquet
 * files keep their own schema (the writer aligns it). `display` names the
 * file in messages. The store must outlive the stream. */
int dtab_input_open(dstream **out, delta_store *store, const char *key, const char *display,
                    dtab_input_format format, const dtype *schema, bool merge_schema,
                    int64_t batch_rows);

#endif
