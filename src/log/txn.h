/*
 * Transactions: the write side of the Delta log.
 *
 * A transaction starts from a snapshot (or from nothing, to create a
 * table), stages actions (protocol, metaData, add, remove, txn,
 * domainMetadata, cdc), records what it read, and commits version N+1,
 * where N is the version it read, as one put_if_absent of
 * `_delta_log/%020d.json`. The commit file is NDJSON: a generated
 * commitInfo first (timestamp, inCommitTimestamp when the table has
 * in-commit timestamps, operation, operationParameters, readVersion,
 * isolationLevel, isBlindAppend, operationMetrics, engineInfo, txnId),
 * then the staged actions in the order they were staged.
 *
 * Optimistic concurrency: when the version is taken (DELTA_EEXIST) the
 * commits that won since the read version are read and checked for
 * logical conflicts the way Delta does; without a conflict the same
 * actions are committed at the next free version (data files are never
 * rewritten), with a bounded number of attempts. A conflict is
 * DELTA_ECONFLICT with a message naming the winning version and why:
 *
 *   - the winner changed the protocol or the metadata;
 *   - the winner added data files this transaction should have read: any
 *     data-changing add when this transaction read the whole table, else
 *     one matching a recorded read predicate. Under WriteSerializable (the
 *     default) adds of a winner that was itself a blind append do not
 *     count; under Serializable they do. A blind append (this transaction
 *     read nothing and only adds files) has no reads, so blind appends
 *     never conflict with each other;
 *   - the winner removed a file this transaction read, removed any file
 *     while this transaction read the whole table, or removed a file this
 *     transaction removes too;
 *   - the winner wrote a txn action for an application id this
 *     transaction read or writes;
 *   - the winner wrote domain metadata for a domain this transaction
 *     writes.
 * A transaction that changes the protocol or the metadata counts as
 * having read the whole table (files written under the old schema must
 * not slip in unnoticed).
 *
 * Crash safety: the commit is a single put_if_absent, so a writer that
 * dies at any point leaves either no commit file or the whole one. After
 * it lands, every delta.checkpointInterval versions, the commit writes a
 * checkpoint of the new version and runs log cleanup (checkpoint.h,
 * cleanup.h); those may fail or be cut short without affecting the
 * commit, and leave the table readable.
 */
#ifndef DELTA_LOG_TXN_H
#define DELTA_LOG_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include <delta/storage.h>

#include "log/actions.h"
#include "log/snapshot.h"

typedef enum dlog_isolation {
    DLOG_WRITE_SERIALIZABLE = 0, /* Delta's default */
    DLOG_SERIALIZABLE
} dlog_isolation;

#define DLOG_TX_OPTS_VERSION 1
#define DLOG_TX_DEFAULT_RETRIES 100

typedef struct dlog_tx_opts {
    unsigned version;         /* DLOG_TX_OPTS_VERSION */
    dlog_isolation isolation;
    int max_attempts;         /* commit attempts in all (>= 1); 0: default */
    /* Clock for commit timestamps (tests); NULL: the wall clock. */
    int64_t (*clock_ms)(void *ctx);
    void *clock_ctx;
    /* No automatic checkpoint after the commit (default false: a
     * checkpoint every delta.checkpointInterval versions, default 10,
     * followed by log cleanup; see dlog_checkpoint_after_commit). */
    bool no_checkpoint;
} dlog_tx_opts;

#define DLOG_TX_OPTS_INIT {DLOG_TX_OPTS_VERSION, DLOG_WRITE_SERIALIZABLE, 0, NULL, NULL, false}

typedef struct dlog_tx dlog_tx;

/* A read predicate: whether a file added concurrently is one this
 * transaction would have read (typically a test of its partition values).
 * Called only during conflict checks. */
typedef bool (*dlog_tx_match_fn)(void *ctx, const dlog_add *add);

/* What a successful commit did. */
typedef struct dlog_commit_result {
    int64_t version;      /* the version committed */
    int attempts;         /* put attempts (1 when nobody raced) */
    int64_t timestamp_ms; /* commitInfo.timestamp (inCommitTimestamp when enabled) */
    bool checkpointed;    /* the post-commit hook wrote a checkpoint of `version` */
    int checkpoint_rc;    /* 0, or why the automatic checkpoint or cleanup failed
                           * (the commit itself succeeded; message in
                           * delta_error_last()) */
} dlog_commit_result;

/* Starts a transaction on `table`. `snap` is the snapshot read (borrowed;
 * must outlive the transaction), or NULL to create the table: the commit
 * is then version 0 and must stage a protocol and a metaData. opts may be
 * NULL. */
int dlog_tx_begin(dlog_tx **out, delta_store *table, const dlog_snapshot *snap,
                  const dlog_tx_opts *opts);
void dlog_tx_free(dlog_tx *tx);

/* The version read, or -1 when creating the table. */
int64_t dlog_tx_read_version(const dlog_tx *tx);

/* Operation name (default "WRITE") and the JSON object texts of its
 * parameters and metrics (NULL: {}); DELTA_EINVAL when a text is not a JSON
 * object. */
int dlog_tx_set_operation(dlog_tx *tx, const char *operation, const char *parameters_json,
                          const char *metrics_json);

/* Lets the transaction commit with nothing staged: a version holding only
 * its commitInfo, as Delta records VACUUM START and VACUUM END. Such a
 * commit reads nothing, so it never conflicts. */
void dlog_tx_allow_empty(dlog_tx *tx);

/* Stages an action, taking its payload (a->type becomes DLOG_ACT_NONE on
 * success; on failure the caller still owns it). commitInfo is generated
 * and cannot be staged, nor can checkpoint-only actions; a second protocol
 * or metaData is DELTA_EINVAL. */
int dlog_tx_stage(dlog_tx *tx, dlog_action *a);

/* Stages the remove of a live file of the snapshot (a copy of its path,
 * partition values, size, stats, tags and deletion vector) with
 * deletionTimestamp = now, and records the file as read. */
int dlog_tx_remove_file(dlog_tx *tx, const dlog_live_file *f, bool data_change);

/* Stages an add of a live file of the snapshot again with a new deletion
 * vector `dv` (its strings are taken on success; the descriptor is then
 * zeroed): path, partition values, size, modification time, stats, tags
 * and row tracking fields copied, dataChange true. Stage it with the
 * file's remove (dlog_tx_remove_file), as DELETE, UPDATE and MERGE do when
 * they mark rows deleted. */
int dlog_tx_readd_file(dlog_tx *tx, const dlog_live_file *f, dlog_dv *dv);

/* Read tracking, for conflict checks. */
/* A file read (any spelling of its path; DV ignored). */
int dlog_tx_read_file(dlog_tx *tx, const char *path);
/* A predicate over files read (fn and ctx must outlive the transaction);
 * `description` names it in conflict messages. */
int dlog_tx_read_predicate(dlog_tx *tx, dlog_tx_match_fn fn, void *ctx,
                           const char *description);
/* The whole table was read (a full scan without pruning). */
void dlog_tx_read_whole_table(dlog_tx *tx);
/* The snapshot's txn version of an application (-1: none), recorded as
 * read: a concurrent txn action for it is then a conflict. */
int64_t dlog_tx_txn_version(dlog_tx *tx, const char *app_id);

/* Whether the staged work is a blind append: only adds with dataChange,
 * no removes, nothing read. */
bool dlog_tx_is_blind_append(const dlog_tx *tx);

/* Commits. Checks the protocol for writing first (the staged protocol when
 * there is one). Errors: DELTA_ECONFLICT (message names the winning
 * version and the reason; also when attempts run out), DELTA_EUNSUPPORTED
 * (protocol), DELTA_EINVAL (nothing staged, version 0 without protocol and
 * metaData, remove on an append-only table), storage errors. After a
 * failure nothing was published and the transaction may only be freed;
 * after success likewise. out may be NULL. */
int dlog_tx_commit(dlog_tx *tx, dlog_commit_result *out);

#endif
