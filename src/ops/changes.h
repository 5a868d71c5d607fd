/*
 * The change data feed, read side (the public face is delta_table_changes
 * in delta/dml.h): the rows each commit of a version range changed, as
 * PROTOCOL.md's "Add CDC File" and "Change Data Files" sections define
 * them.
 *
 * Per commit, in version order:
 *   - with cdc actions: the rows of its change data files, each with the
 *     `_change_type` the file holds (insert, delete, update_preimage,
 *     update_postimage) and the partition values of its cdc action; its
 *     add and remove actions are ignored;
 *   - without: each remove with dataChange true contributes the rows of
 *     the removed file (its deletion vector applied) as deletes, each add
 *     with dataChange true the rows of the added file (deletion vector
 *     applied) as inserts; files with dataChange false (OPTIMIZE)
 *     contribute nothing;
 *   - a remove and an add of the same file in one such commit that differ
 *     in their deletion vector (DELETE/UPDATE with deletion vectors and no
 *     change data feed files) contribute the rows the new vector deletes
 *     and the old did not as deletes, and the rows the old one deleted and
 *     the new does not as inserts.
 * Each row gets `_commit_version` and `_commit_timestamp`: the commit's
 * inCommitTimestamp when in-commit timestamps are enabled at it, else the
 * commit file's modification time (as Delta's readers do).
 *
 * Rows are shaped to the schema of the range's last version (the scan's
 * conform path: columns a file lacks are nulls, widened types cast).
 *
 * Before any row is produced the whole range is checked: every commit
 * file is still in the log, and delta.enableChangeDataFeed is true in the
 * metadata effective at every version (refusal names the first version
 * where it is not). Then commits are read one at a time (the actions of
 * one commit in memory) and files one at a time through the table scan,
 * so memory stays bounded by one commit's actions and one row group.
 */
#ifndef DELTA_OPS_CHANGES_H
#define DELTA_OPS_CHANGES_H

#include <stdint.h>

#include <delta/storage.h>

#include "columnar/vector.h"

/* Names of the columns the feed appends to the table's. */
#define DOPS_CHANGE_TYPE "_change_type"
#define DOPS_COMMIT_VERSION "_commit_version"
#define DOPS_COMMIT_TIMESTAMP "_commit_timestamp"

/* Opens the feed of commits from..to (to -1: the latest) of the table
 * whose root is `table`, which the stream takes (freed with it, also on
 * failure). Errors: DELTA_EINVAL for a bad range (from < 0, from > to, a
 * version after the latest) or a version where the feed is not enabled;
 * DELTA_ENOTFOUND for a commit no longer in the log; log and read errors. */
int dops_changes_open(dstream **out, delta_store *table, int64_t from, int64_t to);

#endif
