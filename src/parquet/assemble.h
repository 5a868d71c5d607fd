/*
 * Record assembly: Parquet definition/repetition levels and dense values of
 * a set of leaf columns -> rows of a dvec tree (Dremel's record assembly,
 * done a node at a time).
 *
 * The plan (logical.h) says which levels encode each value. For every node
 * the levels of its first leaf are scanned once: an entry whose repetition
 * level is <= node.rep and whose definition level is >= node.slot_def
 * starts a slot of that node; the slot holds a value when the definition
 * level is >= node.def. A list slot's elements are the entries that follow
 * with repetition level elem_rep. All leaves below one node share those
 * levels (a corrupt file where they do not is detected as differing child
 * lengths). Leaves then convert their dense non-null values into the
 * dtype's layout (see pq_conv) and spread them over the slots, writing
 * zero (fixed width) or an empty range (variable width) in null slots.
 *
 * Flat columns (no repetition) take a fast path: every level is a slot and,
 * when there are no nulls and the layouts match, the values are one memcpy.
 */
#ifndef DELTA_PARQUET_ASSEMBLE_H
#define DELTA_PARQUET_ASSEMBLE_H

#include <stdint.h>

#include "columnar/vector.h"
#include "parquet/logical.h"

/* Levels and values of one leaf column covering whole records: the shape
 * the column reader produces and the column writer consumes. */
typedef struct pq_leaf_data {
    int64_t num_levels;
    int64_t num_values;    /* non-null values (entries at the leaf's max_def) */
    const int16_t *def;    /* num_levels, or NULL when the leaf's max_def is 0 */
    const int16_t *rep;    /* num_levels, or NULL when the leaf's max_rep is 0 */
    const void *values;    /* fixed width: num_values values of the physical
                              width (BOOLEAN 1 byte, INT96 12, FLBA its length);
                              BYTE_ARRAY: the bytes of all values */
    const int32_t *offsets; /* BYTE_ARRAY: num_values + 1 offsets into values */
} pq_leaf_data;

/*
 * Appends num_records records to `batch` (a record batch of plan->schema,
 * see dbatch_new). leaves[i] holds the data of plan->leaves[i]; each must
 * cover exactly num_records records. Converts physical values (INT96 to
 * nanoseconds, big-endian decimals to 16-byte little-endian, booleans to
 * bits, narrowing 8/16-bit integers). Errors: DELTA_ECORRUPT naming the
 * column (levels and values disagree, record counts differ, a null map
 * key), DELTA_ERANGE (INT96 or decimal out of range), DELTA_ENOMEM. After
 * a failure the batch is unusable (only dvec_unref it).
 */
int pq_assemble(const pq_plan *plan, const pq_leaf_data *leaves, int64_t num_records,
                dvec *batch);

/*
 * Appends one non-null value of a top-level leaf (max_rep 0) to out (a
 * vector of the leaf's type), converted exactly as assembly converts it:
 * `value` holds the physical value as Parquet stores it in statistics
 * (len bytes; fixed-width types must have their width). Used to turn
 * row-group statistics into typed bounds. DELTA_ECORRUPT for a length
 * that does not fit the physical type.
 */
int pq_assemble_value(const pq_node *leaf, const void *value, size_t len, dvec *out);

#endif
