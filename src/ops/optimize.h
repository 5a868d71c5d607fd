/*
 * OPTIMIZE (bin-packing) over a table's store (the public face is
 * delta_table_optimize in delta/optimize.h, which documents the rules).
 *
 * Invariant: the table changes only through the one OPTIMIZE commit,
 * which removes exactly the files whose rows were read and adds files
 * holding exactly those rows (deletion vectors applied). New files are
 * written under fresh names before the commit and deleted again when it
 * fails, so a crash or an error at any point leaves the table with the
 * rows it had (at worst, orphan files VACUUM removes later).
 *
 * Order of work: replay the latest snapshot; bind the predicate to the
 * partition columns (and, with Z-order, resolve its columns); group the
 * live files by partition (their partitionValues), keep those the
 * predicate selects and, per partition, the files below the target (every
 * file with Z-order); read each partition's files with a scan of exactly
 * those files (with Z-order: through the external sort of ops/zorder.h)
 * and write the rows with the table writer
 * (table/write.h: dtab_writer); then one transaction: removes with
 * dataChange false (recording each file as read), the adds with
 * dataChange false, commitInfo OPTIMIZE.
 */
#ifndef DELTA_OPS_OPTIMIZE_H
#define DELTA_OPS_OPTIMIZE_H

#include <delta/optimize.h>
#include <delta/storage.h>

#include "log/txn.h"

/* Optimizes the table whose root is `table` (see delta_table_optimize).
 * tx_opts (may be NULL) are the commit's transaction options (tests set
 * a clock or attempts). */
int dops_optimize(delta_store *table, const delta_optimize_options *opts,
                  const dlog_tx_opts *tx_opts, delta_optimize_result *out);

/* The same on a snapshot already read (borrowed): the commit reads
 * snap's version, so commits made since are checked for conflicts. */
int dops_optimize_at(delta_store *table, const dlog_snapshot *snap,
                     const delta_optimize_options *opts, const dlog_tx_opts *tx_opts,
                     delta_optimize_result *out);

/* Auto compaction's optimize on snap: bin-packing (default options: the
 * table's target) of only the partitions whose dtab_partition_key
 * (table/partition.h) is one of keys, and of those only the ones holding
 * at least min_files (at least 2) files below the target; the commit's
 * operationParameters have "auto": true, as Delta's auto compaction
 * writes. */
int dops_optimize_partitions(delta_store *table, const dlog_snapshot *snap,
                             const char *const *keys, size_t nkeys, size_t min_files,
                             const dlog_tx_opts *tx_opts, delta_optimize_result *out);

#endif
