/*
 * The Parquet schema as a tree. FileMetaData stores the schema as a flat
 * depth-first list of SchemaElements where each group says how many
 * children follow; pq_schema_build() turns it into linked nodes, checks it
 * is a well-formed tree, numbers the leaves (one leaf = one column chunk in
 * every row group, in this order) and computes each node's maximum
 * definition and repetition levels.
 *
 * A pq_schema borrows the SchemaElements (and their names) it was built
 * from: they must outlive it. Paths are not stored per node (that would be
 * quadratic in nesting); walk `parent` or use pq_schema_node_path().
 */
#ifndef DELTA_PARQUET_SCHEMA_H
#define DELTA_PARQUET_SCHEMA_H

#include <stdint.h>

#include "core/buf.h"
#include "parquet/meta.h"

/* Deepest nesting accepted (root = depth 0), which bounds levels. */
#define PQ_SCHEMA_MAX_DEPTH 255

typedef struct pq_schema_node {
    const pq_schema_element *elem;
    uint32_t index;                /* position in the flat list */
    struct pq_schema_node *parent; /* NULL for the root */
    struct pq_schema_node **children;
    uint32_t num_children;
    uint32_t depth;     /* root 0, its children 1, ... */
    int32_t leaf_index; /* column index for leaves, -1 for groups */
    int16_t max_def;    /* definition level when this node is present */
    int16_t max_rep;    /* repetition level of this node */
    int32_t repetition; /* enum pq_repetition (REQUIRED for the root) */
} pq_schema_node;

typedef struct pq_schema {
    pq_schema_node *root;
    pq_schema_node *nodes; /* num_nodes, in the flat list's order */
    uint32_t num_nodes;
    pq_schema_node **leaves; /* num_leaves, in column order */
    uint32_t num_leaves;
} pq_schema;

/*
 * Builds the tree for elems[0..n). Errors (DELTA_ECORRUPT unless noted)
 * name the element index and name: a child count that is negative or runs
 * past the list, elements left over after the root's subtree, a leaf
 * without a type or with an unknown type, a FIXED_LEN_BYTE_ARRAY without a
 * length, a non-root node without a valid repetition, a group with no
 * children (DELTA_EUNSUPPORTED), VECTOR repetition (DELTA_EUNSUPPORTED),
 * nesting deeper than PQ_SCHEMA_MAX_DEPTH. On success *out is a new schema
 * to release with pq_schema_free.
 */
int pq_schema_build(pq_schema **out, const pq_schema_element *elems, uint32_t n);
void pq_schema_free(pq_schema *s);

/* Fills names[0..depth) with the names from the root's child down to node
 * (the root itself is not part of a path); returns the path length, or
 * only counts when cap is smaller. */
uint32_t pq_schema_node_path(const pq_schema_node *node, const char **names, uint32_t cap);
/* Appends the dotted path ("a.b.c") of node to out. */
void pq_schema_node_path_str(const pq_schema_node *node, dbuf *out);

/*
 * Cross-checks decoded metadata against its schema: every row group has one
 * column chunk per leaf, each with meta_data whose type and path_in_schema
 * match the leaf; counts and sizes are not negative; each chunk's byte range
 * starts after the leading magic and ends by `data_end` (the offset where the
 * footer starts; 0 skips the range check); column_orders, when present, has
 * one entry per leaf. DELTA_ECORRUPT naming the row group and column.
 */
int pq_file_meta_validate(const pq_file_meta *m, const pq_schema *s, uint64_t data_end);

#endif
