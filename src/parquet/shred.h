/*
 * Record shredding: rows of a dvec tree -> for every leaf column, the
 * definition/repetition levels and dense non-null values the column writer
 * takes (the inverse of assemble.h, following the same plan).
 *
 * A null value at a node emits one level entry, at definition level
 * node.def - 1, to every leaf below it; an empty list emits one at
 * elem_def - 1; the first element of a list repeats at the list's own
 * repetition level, the others at elem_rep. Values are converted back to
 * the physical layout (bits to BOOLEAN bytes, narrow integers widened to
 * INT32, decimals narrowed to INT32/INT64 or written big-endian, seconds
 * scaled to milliseconds, timestamps to INT96).
 *
 * Top-level primitive columns take a fast path: levels come straight from
 * the validity bitmap and, without nulls and with a matching layout, the
 * values are borrowed from the vector instead of copied.
 */
#ifndef DELTA_PARQUET_SHRED_H
#define DELTA_PARQUET_SHRED_H

#include <stdint.h>

#include "columnar/vector.h"
#include "core/buf.h"
#include "parquet/assemble.h" /* pq_leaf_data */
#include "parquet/logical.h"

/* One leaf's output. `data` points into the private buffers or into the
 * shredded vector; it stays valid until the next pq_shred on this leaf or
 * until the vector changes. BYTE_ARRAY offsets always start at 0. */
typedef struct pq_shred_leaf {
    pq_leaf_data data;
    /* private */
    dbuf def, rep, val, off;
} pq_shred_leaf;

/*
 * Shreds rows [from, from+n) of `batch` (a record batch of plan->schema)
 * into leaves[0..plan->num_leaves), replacing their previous contents.
 * Errors: DELTA_EINVAL naming the column and row (a null in a non-nullable
 * column), DELTA_ERANGE (a value the Parquet type cannot hold, e.g. seconds
 * overflowing as milliseconds), DELTA_ENOMEM.
 */
int pq_shred(const pq_plan *plan, const dvec *batch, int64_t from, int64_t n,
             pq_shred_leaf *leaves);

/* Frees the buffers of n leaves (the array itself stays the caller's). */
void pq_shred_leaves_free(pq_shred_leaf *leaves, uint32_t n);

#endif
