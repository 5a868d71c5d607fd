/*
 * The Delta log directory: listing `_delta_log/`, classifying its files,
 * and choosing the log segment (one checkpoint and the commits after it)
 * that reconstructs a given version.
 *
 * File names (versions zero-padded to 20 digits):
 *   V.json                          commit of version V
 *   V.checkpoint.parquet            classic checkpoint
 *   V.checkpoint.P.N.parquet        part P of an N-part checkpoint
 *                                   (P, N zero-padded to 10 digits)
 *   V.checkpoint.UUID.json|parquet  UUID-named (v2) checkpoint
 *   X.Y.compacted.json              log compaction of commits X..Y
 *   V.crc                           version checksum
 *   _last_checkpoint                pointer to a recent checkpoint
 * Anything else (Hadoop ".V.json.crc" files, temporary files, folders such
 * as _sidecars/) is ignored.
 *
 * Invariants of a built segment: commits are contiguous and ascending from
 * checkpoint_version + 1 (or 0 without a checkpoint) up to `version`; a
 * multi-part checkpoint is used only when all its parts are listed.
 */
#ifndef DELTA_LOG_LOG_H
#define DELTA_LOG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <delta/storage.h>

#define DLOG_DIR "_delta_log/"

typedef enum dlog_file_kind {
    DLOG_FILE_OTHER = 0,
    DLOG_FILE_COMMIT,
    DLOG_FILE_CHECKPOINT,       /* classic single-file checkpoint */
    DLOG_FILE_CHECKPOINT_PART,  /* one part of a multi-part checkpoint */
    DLOG_FILE_CHECKPOINT_UUID,  /* v2 UUID-named checkpoint (json or parquet) */
    DLOG_FILE_COMPACTED,
    DLOG_FILE_CRC,
    DLOG_FILE_LAST_CHECKPOINT
} dlog_file_kind;

typedef struct dlog_file {
    dlog_file_kind kind;
    int64_t version;     /* start version for COMPACTED; -1 for LAST_CHECKPOINT/OTHER */
    int64_t end_version; /* COMPACTED: last version covered; else = version */
    uint32_t part;       /* CHECKPOINT_PART: 1-based part number */
    uint32_t num_parts;  /* CHECKPOINT_PART: number of parts; else 1 */
    bool is_json;        /* CHECKPOINT_UUID: JSON (true) or Parquet */
    char *key;           /* key relative to the table root ("_delta_log/...") */
    int64_t size;
    int64_t mtime_ms;
} dlog_file;

/* Classifies a file name (the part after "_delta_log/"). Returns the kind;
 * fills out (key not set) for kinds other than OTHER. */
dlog_file_kind dlog_classify(const char *name, dlog_file *out);

/* The key of the commit file of a version: "_delta_log/%020lld.json". */
void dlog_commit_key(char out[40], int64_t version);

/* All classified files of `_delta_log/`, sorted by (version, kind, key). */
typedef struct dlog_listing {
    dlog_file *files;
    size_t count;
    bool listed_from_start; /* false when listed after a _last_checkpoint hint */
} dlog_listing;

/* Lists `_delta_log/` of the table store once (from `start_version` on when
 * >= 0, using the store's sorted listing with start_after). An empty
 * listing from the start is DELTA_ENOTFOUND: "not a Delta table: no
 * _delta_log at URI". */
int dlog_list(delta_store *table, int64_t start_version, dlog_listing *out);
void dlog_listing_free(dlog_listing *l);

/* The _last_checkpoint hint. */
typedef struct dlog_last_checkpoint {
    int64_t version;
    int64_t size;
    bool has_parts;
    int64_t parts;
} dlog_last_checkpoint;

/* Reads _delta_log/_last_checkpoint: DELTA_ENOTFOUND when absent,
 * DELTA_ECORRUPT when it is not the JSON the protocol describes. */
int dlog_read_last_checkpoint(delta_store *table, dlog_last_checkpoint *out);

/* A log segment: what replay reads to reconstruct `version`. Files are
 * copies (keys owned by the segment). */
typedef struct dlog_segment {
    int64_t version;            /* the snapshot version */
    int64_t checkpoint_version; /* -1: replay from version 0 */
    dlog_file *checkpoint;      /* the checkpoint's files (parts in order) */
    size_t num_checkpoint_files;
    dlog_file *commits;         /* checkpoint_version+1 .. version, ascending */
    size_t num_commits;
    int64_t latest_version;     /* newest commit in the listing */
    int64_t earliest_version;   /* oldest version reconstructable from the listing */
} dlog_segment;

/* Chooses the segment for `version` (-1 = latest) from a listing: the
 * newest complete checkpoint at or below it whose version is at most
 * `max_checkpoint_version` (-1 = no limit; a caller retrying without a
 * checkpoint it cannot read lowers this), then the commits after it.
 * Errors: DELTA_ENOTFOUND for a version after the latest or one cleaned up
 * (message names the version and the range available); DELTA_ECORRUPT for
 * a missing commit (message names the missing version). */
int dlog_segment_build(const dlog_listing *l, int64_t version, int64_t max_checkpoint_version,
                       dlog_segment *out);
void dlog_segment_free(dlog_segment *s);

#endif
