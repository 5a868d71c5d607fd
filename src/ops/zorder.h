/*
 * Z-order for OPTIMIZE (internal): the rows of a set of files sorted by a
 * Morton (bit-interleaved) key over some columns, with bounded memory.
 *
 * Keys. Each Z-order column's value is first mapped to an order-preserving
 * unsigned 64-bit value (dops_zorder_ukey: integers, dates and timestamps
 * with the sign bit flipped, floats by their IEEE bits made monotone,
 * decimals by their unscaled value clamped to 64 bits, strings by their
 * first 8 bytes big-endian). That value is then scaled linearly from the
 * partition's range - the smallest minimum and largest maximum of the
 * files' statistics - onto [1, 2^b - 1] (null is 0, so nulls sort first),
 * where b = min(32, 128 / columns): a column with a narrow range gets as
 * many significant bits as a wide one, so no column dominates the key.
 * The b-bit values are interleaved most significant bit first, column by
 * column (dops_zorder_interleave), into a 128-bit key compared as an
 * unsigned number. Values outside the statistics' range (stale or missing
 * statistics) are clamped to it, so the order stays non-decreasing.
 *
 * Sorting. Rows are read in batches and collected, with their keys, into
 * a run until the run's estimated memory (the batches plus 24 bytes a row)
 * reaches the budget. A run is sorted (key, then arrival order). When the
 * whole input fits in one run it is written straight to the table writer;
 * otherwise every run is written, sorted, to a Parquet spill file in a
 * fresh temporary folder and the runs are merged (k-way, a heap on each
 * run's next key) into the table writer; the spill files and the folder
 * are deleted when the sort ends, also after an error. At most 64 runs
 * are merged at once: beyond that, the oldest 64 are first merged into a
 * new run (and deleted), so memory while merging is at most 64 runs' batch
 * and row group plus one output batch whatever the partition's size.
 * Batches hold budget / 512 rows (64 to 8192), so a small budget also
 * means small batches.
 * Ties keep the input order, so a sort is deterministic.
 */
#ifndef DELTA_OPS_ZORDER_H
#define DELTA_OPS_ZORDER_H

#include <stddef.h>
#include <stdint.h>

#include "expr/expr.h"
#include "log/snapshot.h"
#include "table/write.h"

/* Most Z-order columns accepted (each keeps at least 4 bits). */
#define DOPS_ZORDER_MAX_COLUMNS 32
/* The default sort memory budget, bytes. */
#define DOPS_ZORDER_DEFAULT_MEMORY ((int64_t)256 << 20)

typedef struct dops_zorder dops_zorder;

/* Resolves the Z-order columns against snap's schema (names matched as
 * scans match them). Refused with DELTA_EINVAL naming the column: an
 * unknown column, a partition column, a column of a type without min/max
 * statistics (booleans, binary, nested), a column beyond
 * delta.dataSkippingNumIndexedCols or not in delta.dataSkippingStatsColumns,
 * a column named twice, none or more than DOPS_ZORDER_MAX_COLUMNS.
 * memory <= 0: DOPS_ZORDER_DEFAULT_MEMORY. spill_dir NULL: $TMPDIR, else
 * /tmp. uri names the table in messages. snap is borrowed. */
int dops_zorder_new(dops_zorder **out, const dlog_snapshot *snap, const char *const *columns,
                    size_t ncolumns, int64_t memory, const char *spill_dir, const char *uri);
void dops_zorder_free(dops_zorder *z);

/* The resolved column names, in key order (borrowed from the schema). */
const char *dops_zorder_column(const dops_zorder *z, size_t i);
size_t dops_zorder_num_columns(const dops_zorder *z);

/* Reads the rows of `files` (one partition, whose partitionValues are
 * pv; deletion vectors applied) and writes them to w in Z-order. Adds the
 * rows to *rows and the runs written to spill files to *spilled. */
int dops_zorder_rewrite(dops_zorder *z, dtab_writer *w, const dlog_live_file *const *files,
                        size_t nfiles, const dlog_map *pv, int64_t *rows, int64_t *spilled);

/* The order-preserving 64-bit image of a non-null value of type t (see
 * the top of this file); types without one map to 0. */
uint64_t dops_zorder_ukey(const dtype *t, const expr_value *v);

/* Interleaves the low `bits` bits of vals[0..k) (k * bits <= 128), most
 * significant bit first, column 0 first at each bit, left-aligned in
 * out[0] (high 64 bits) and out[1]. */
void dops_zorder_interleave(const uint32_t *vals, size_t k, unsigned bits, uint64_t out[2]);

#endif
