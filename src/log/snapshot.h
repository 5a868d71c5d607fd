/*
 * Snapshots: the state of a Delta table at one version, reconstructed by
 * replaying its log segment (checkpoint, then commits in ascending order).
 *
 * A snapshot holds the protocol, the metadata (with the schema parsed into
 * a dtype), the live files keyed by (canonical path, deletion vector unique
 * id), the tombstones (remove actions not cancelled by a later add), the
 * latest transaction version per application id, the live metadata
 * domains, and the version with its commit timestamp. Opening checks the
 * protocol: reader versions above 3 and reader features this engine does
 * not implement are refused naming the feature (DELTA_EUNSUPPORTED).
 *
 * A snapshot borrows the store it was opened on; the store must outlive it.
 * Everything else it owns and frees in dlog_snapshot_free().
 */
#ifndef DELTA_LOG_SNAPSHOT_H
#define DELTA_LOG_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include <delta/storage.h>

#include "columnar/types.h"
#include "core/hashmap.h"
#include "log/actions.h"
#include "log/log.h"
#include "log/schema.h"

/* A live logical file: an add action with its reconciliation key. */
typedef struct dlog_live_file {
    char *canonical; /* canonical path (path.h); may be add.path itself */
    char *dv_id;     /* deletion vector unique id, or NULL */
    int64_t version; /* commit that added it; checkpoint version when from one */
    dlog_add add;    /* the newest add action for this key */
} dlog_live_file;

/* A tombstone: a remove action not followed by an add of the same key. */
typedef struct dlog_tombstone {
    char *canonical;
    char *dv_id;
    int64_t version;
    dlog_remove remove;
} dlog_tombstone;

#define DLOG_SNAPSHOT_OPTS_VERSION 1

/* What to open. Either at_version (>= 0) or has_timestamp, or neither
 * (latest). */
typedef struct dlog_snapshot_opts {
    unsigned version;        /* DLOG_SNAPSHOT_OPTS_VERSION */
    int64_t at_version;      /* -1: latest */
    bool has_timestamp;      /* time travel by commit timestamp */
    int64_t at_timestamp_ms; /* newest commit with timestamp <= this */
    bool unchecked;          /* replay only: no protocol, metadata or schema
                              * checks (log inspection tools, tests); schema
                              * may then be NULL */
} dlog_snapshot_opts;

#define DLOG_SNAPSHOT_OPTS_INIT {DLOG_SNAPSHOT_OPTS_VERSION, -1, false, 0, false}

typedef struct dlog_snapshot {
    delta_store *store;          /* borrowed */
    char *root_local;            /* local path of the root, or NULL */
    int64_t version;
    int64_t timestamp_ms;        /* commit timestamp of `version` */
    bool timestamp_is_ict;       /* from inCommitTimestamp, else file mtime */
    dlog_protocol protocol;
    dlog_metadata metadata;
    dtype *schema;               /* STRUCT, from metadata.schema_string (NULL
                                  * only when opened unchecked) */
    dlog_cm_mode column_mapping;
    dmap *files;                 /* key -> dlog_live_file* */
    dmap *tombstones;            /* key -> dlog_tombstone* */
    dmap *txns;                  /* appId -> dlog_txn* */
    dmap *domains;               /* domain -> dlog_domain_metadata* (live only) */
    bool has_commit_info;
    dlog_commit_info commit_info; /* commitInfo of the commit at `version` */
    int64_t checkpoint_version;  /* checkpoint replayed, or -1 */
    int64_t skipped_checkpoint;  /* a newer checkpoint that could not be read, or -1 */
    char *skipped_reason;        /* why (message), or NULL */
    dlog_intern *intern;         /* partition values of the files' actions */
    struct dlog_slabs *slabs;    /* storage of the file and tombstone entries */
} dlog_snapshot;

/* Opens a snapshot of the table whose root is `table`. opts may be NULL
 * (latest). Errors: DELTA_ENOTFOUND (not a Delta table, version or
 * timestamp not available), DELTA_ECORRUPT (gap, malformed action, missing
 * protocol or metaData), DELTA_EUNSUPPORTED (protocol, feature, type). */
int dlog_snapshot_open(dlog_snapshot **out, delta_store *table, const dlog_snapshot_opts *opts);
void dlog_snapshot_free(dlog_snapshot *s);

size_t dlog_snapshot_num_files(const dlog_snapshot *s);
/* Iterates live files: start with *iter = 0; false at the end. */
bool dlog_snapshot_next_file(const dlog_snapshot *s, size_t *iter, const dlog_live_file **out);
/* The live file with this path (any spelling) and DV id (NULL: none). */
const dlog_live_file *dlog_snapshot_find_file(const dlog_snapshot *s, const char *path,
                                              const char *dv_id);
/* Latest txn version of an application, or -1 when it has none. */
int64_t dlog_snapshot_txn_version(const dlog_snapshot *s, const char *app_id);
/* Configuration of a live metadata domain, or NULL. */
const char *dlog_snapshot_domain(const dlog_snapshot *s, const char *domain);
/* A table property from the metadata configuration, or NULL. */
const char *dlog_snapshot_property(const dlog_snapshot *s, const char *key);

/* Protocol checks: 0, or DELTA_EUNSUPPORTED naming the version or feature
 * (reads: reader version <= 3 and every reader feature implemented;
 * writes: additionally writer version <= 7 and every writer feature). */
int dlog_protocol_check_read(const dlog_protocol *p);
int dlog_protocol_check_write(const dlog_protocol *p);
/* Whether a feature name is one this engine implements. */
bool dlog_feature_supported(const char *name);

/* Commit timestamps: the file modification time of each commit, or its
 * inCommitTimestamp when in-commit timestamps are enabled for it. */
int dlog_commit_timestamp(delta_store *table, const dlog_file *commit, bool use_ict,
                          int64_t *out_ms);

#endif
