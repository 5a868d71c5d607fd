/*
 * Reading checkpoints as a stream of actions.
 *
 * Replay does not care how a checkpoint is stored: it asks for the actions
 * of the segment's checkpoint through dlog_checkpoint_read() and receives
 * them through the same callback as commit lines. Formats:
 *
 *   - UUID-named JSON (v2) checkpoints: read here, NDJSON like a commit;
 *     their `sidecar` actions name Parquet files in _delta_log/_sidecars/
 *     holding the file actions, read after the checkpoint itself.
 *   - classic, multi-part and UUID-named Parquet checkpoints, and sidecars:
 *     one row per action, read by dlog_checkpoint_read_parquet().
 *
 * Until the Parquet reader is wired in, dlog_checkpoint_read_parquet()
 * returns DELTA_ENOTIMPL naming the file, and snapshot loading falls back
 * to an older checkpoint or to the JSON commits when they reach back far
 * enough (see snapshot.c).
 */
#ifndef DELTA_LOG_CHECKPOINT_H
#define DELTA_LOG_CHECKPOINT_H

#include <delta/storage.h>

#include "log/actions.h"
#include "log/log.h"

/* Feeds every action of the segment's checkpoint (all parts, then the
 * sidecars of a v2 checkpoint) to fn. `checkpointMetadata` and `sidecar`
 * actions are consumed here and not passed on. */
int dlog_checkpoint_read(delta_store *table, const dlog_segment *seg, dlog_action_fn fn,
                         void *ctx);

/* Feeds the actions of one Parquet checkpoint file or sidecar (key
 * relative to the table root) to fn. */
int dlog_checkpoint_read_parquet(delta_store *table, const char *key, dlog_action_fn fn,
                                 void *ctx);

#endif
