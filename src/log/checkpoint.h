/*
 * Checkpoints: reading them as a stream of actions, and writing them.
 *
 * Reading. Replay does not care how a checkpoint is stored: it asks for
 * the actions of the segment's checkpoint through dlog_checkpoint_read()
 * and receives them through the same callback as commit lines. Formats:
 *
 *   - classic (V.checkpoint.parquet) and multi-part
 *     (V.checkpoint.P.N.parquet) Parquet checkpoints: one row per action,
 *     each action a struct column (protocol, metaData, add, remove, txn,
 *     domainMetadata, and for v2 checkpoints checkpointMetadata and
 *     sidecar); read by dlog_checkpoint_read_parquet(), which projects only
 *     the fields it uses that the file has and streams the row groups in
 *     batches (memory: one batch, not the file);
 *   - UUID-named (v2) checkpoints, JSON (NDJSON like a commit) or Parquet,
 *     and classic-named checkpoints following the v2 spec: their `sidecar`
 *     actions name Parquet files in _delta_log/_sidecars/ holding the file
 *     actions, read after the checkpoint itself.
 *
 * Writing. dlog_checkpoint_write() writes the classic checkpoint of a
 * snapshot, `_delta_log/%020d.checkpoint.parquet`, with the schema Spark
 * (Delta 3.x) writes:
 *
 *   txn            struct<appId, version, lastUpdated>
 *   add            struct<path, partitionValues, size, modificationTime,
 *                  dataChange, tags, deletionVector<storageType,
 *                  pathOrInlineDv, offset, sizeInBytes, cardinality,
 *                  maxRowIndex>, baseRowId, defaultRowCommitVersion,
 *                  clusteringProvider, stats [, partitionValues_parsed]
 *                  [, stats_parsed]>
 *   remove         struct<path, deletionTimestamp, dataChange,
 *                  extendedFileMetadata, partitionValues, size,
 *                  deletionVector, baseRowId, defaultRowCommitVersion>
 *   metaData       struct<id, name, description, format<provider,
 *                  options>, schemaString, partitionColumns,
 *                  configuration, createdTime>
 *   protocol       struct<minReaderVersion, minWriterVersion,
 *                  readerFeatures, writerFeatures>
 *   domainMetadata struct<domain, configuration, removed>
 *   (v2Checkpoint tables add checkpointMetadata<version, tags> and
 *   sidecar<path, sizeInBytes, modificationTime, tags>, and one
 *   checkpointMetadata row: a classic-named checkpoint of the v2 spec)
 *
 * every column and field optional, maps as key_value groups, lists in the
 * 3-level form. Rows: protocol, metaData, the txns, the live domains, the
 * live files (dataChange false) and the tombstones whose deletionTimestamp
 * is within delta.deletedFileRetentionDuration (default one week) of now.
 * The file is published whole (overwrite: two writers of the same version
 * write the same content), then `_delta_log/_last_checkpoint` is replaced
 * (version, size, sizeInBytes, numOfAddFiles, checksum). A crash between
 * the two leaves a complete checkpoint and an older hint, which readers
 * handle (the hint is only a listing start).
 */
#ifndef DELTA_LOG_CHECKPOINT_H
#define DELTA_LOG_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include <delta/storage.h>

#include "log/actions.h"
#include "log/log.h"
#include "log/snapshot.h"

/* ---- reading ---------------------------------------------------------- */

/* Feeds every action of the segment's checkpoint (all parts, then the
 * sidecars of a v2 checkpoint) to fn. `checkpointMetadata` and `sidecar`
 * actions are consumed here and not passed on. */
int dlog_checkpoint_read(delta_store *table, const dlog_segment *seg, dlog_action_fn fn,
                         void *ctx);

#define DLOG_ACT_BIT(t) (1u << (unsigned)(t))
#define DLOG_CKPT_BATCH_ROWS 8192

typedef struct dlog_ckpt_read_opts {
    unsigned actions;   /* DLOG_ACT_BIT()s of the actions wanted; 0 = all */
    int64_t batch_rows; /* rows decoded at a time; 0 = DLOG_CKPT_BATCH_ROWS */
} dlog_ckpt_read_opts;

/* Feeds the actions of one Parquet checkpoint file or sidecar (key
 * relative to the table root) to fn, in row order; `line` is the 1-based
 * row. Columns and fields the file lacks read as null; an action missing a
 * required field, or a field of the wrong type, is DELTA_ECORRUPT naming
 * the file, row and field. Without a stats string, add.stats_parsed is
 * turned into the equivalent JSON text. */
int dlog_checkpoint_read_parquet(delta_store *table, const char *key, dlog_action_fn fn,
                                 void *ctx);
/* The same, reading only the actions in opts->actions (the other columns
 * are not fetched). opts may be NULL. */
int dlog_checkpoint_read_parquet_ex(delta_store *table, const char *key,
                                    const dlog_ckpt_read_opts *opts, dlog_action_fn fn,
                                    void *ctx);

/* ---- writing ---------------------------------------------------------- */

/* A tri-state: follow the table property, or force on or off. */
typedef enum dlog_ckpt_flag {
    DLOG_CKPT_TABLE = 0,
    DLOG_CKPT_ON,
    DLOG_CKPT_OFF
} dlog_ckpt_flag;

#define DLOG_CKPT_WRITE_OPTS_VERSION 1

typedef struct dlog_ckpt_write_opts {
    unsigned version;         /* DLOG_CKPT_WRITE_OPTS_VERSION */
    /* add.stats as JSON text (delta.checkpoint.writeStatsAsJson, default
     * true) and add.stats_parsed + partitionValues_parsed
     * (delta.checkpoint.writeStatsAsStruct, default false). */
    dlog_ckpt_flag stats_json;
    dlog_ckpt_flag stats_struct;
    int64_t now_ms;           /* tombstone expiry clock; 0 = wall clock */
    uint64_t row_group_rows;  /* 0 = the Parquet writer's default */
} dlog_ckpt_write_opts;

#define DLOG_CKPT_WRITE_OPTS_INIT {DLOG_CKPT_WRITE_OPTS_VERSION, DLOG_CKPT_TABLE, \
                                   DLOG_CKPT_TABLE, 0, 0}

/* What a checkpoint write produced (the _last_checkpoint fields). */
typedef struct dlog_ckpt_info {
    int64_t version;
    int64_t size;           /* actions (rows) in the checkpoint */
    int64_t size_in_bytes;  /* bytes of the checkpoint file */
    int64_t num_add_files;
    int64_t num_tombstones; /* remove rows kept */
    bool v2;                /* written with checkpointMetadata (v2 spec) */
} dlog_ckpt_info;

/* Writes the classic checkpoint of `snap` (its version) and then
 * _last_checkpoint. opts and out may be NULL. The snapshot must have been
 * opened checked (protocol, metadata and schema present). Errors: those of
 * the store and the Parquet writer, prefixed with the checkpoint's key;
 * DELTA_EUNSUPPORTED when the protocol cannot be written by this engine.
 * After a failure nothing was published, or the checkpoint was and
 * _last_checkpoint still names an older one. */
int dlog_checkpoint_write(delta_store *table, const dlog_snapshot *snap,
                          const dlog_ckpt_write_opts *opts, dlog_ckpt_info *out);

/* Writes `info` as _delta_log/_last_checkpoint (replacing it). */
int dlog_last_checkpoint_write(delta_store *table, const dlog_ckpt_info *info);

/* The checkpoint interval of a metadata: delta.checkpointInterval, default
 * 10 (a value that is not a positive integer counts as the default). */
int64_t dlog_checkpoint_interval(const dlog_metadata *m);

/* The post-commit hook: when `version` is a positive multiple of the
 * table's checkpoint interval, opens the snapshot at `version`, writes its
 * checkpoint and then runs dlog_cleanup() (unless
 * delta.enableExpiredLogCleanup is false). *did says whether a checkpoint
 * was written. now_ms: the clock for tombstone expiry and cleanup (0 =
 * wall clock). */
int dlog_checkpoint_after_commit(delta_store *table, int64_t version, int64_t now_ms,
                                 bool *did);

/* Parses a Delta interval property ("interval 7 days", "1 week",
 * "interval 2 hours 30 minutes"; units microsecond(s) to week(s)) into
 * milliseconds. DELTA_EINVAL for anything else (months and years have no
 * fixed length and are refused, as Delta does). */
int dlog_parse_interval_ms(const char *s, int64_t *out_ms);

#endif
