/*
 * Scan predicates: a `--where` expression bound to the columns a scan
 * reads, and the per-file decision whether a file must be read at all.
 *
 * A predicate is checked against the table's logical schema first (so an
 * unknown column is reported with every column of the table), which also
 * tells the scan which top-level columns it must read besides the output
 * ones. It is then bound against the scan's read schema (output columns
 * followed by predicate-only columns); paths in the bound tree index that
 * schema.
 *
 * Per file, cheapest first:
 *
 *   partition pruning   the top-level conjuncts that name only partition
 *                       columns are evaluated on the add action's
 *                       partitionValues (parsed as the scan materializes
 *                       them); FALSE or NULL prunes the file;
 *   data skipping       the add action's stats JSON (numRecords and the
 *                       minValues / maxValues / nullCount trees, keyed by
 *                       physical names, nested for structs) becomes the
 *                       expression layer's per-file statistics; partition
 *                       columns contribute min = max = their value. A file
 *                       is skipped only when the statistics prove no row
 *                       can be TRUE.
 *
 * Both are conservative: statistics that are missing, of another shape or
 * that do not convert exactly to the column's type count as unknown. Two
 * known imprecisions of writers are widened rather than trusted: timestamp
 * statistics are written in milliseconds (the bounds are widened by one
 * millisecond each way), and decimal statistics written as JSON reals are
 * only used when the column's precision is at most 15 digits (a double
 * holds them exactly). float statistics are rounded to float, the precision
 * they were written from; double bounds are widened to the float their
 * text also stands for (files written before a float column was widened to
 * double). Binary statistics are not used.
 */
#ifndef DELTA_TABLE_PREDICATE_H
#define DELTA_TABLE_PREDICATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expr/expr.h"
#include "log/snapshot.h"

/* The top-level columns (indices into the snapshot's schema, ascending,
 * distinct) that `where` names. Parse and bind errors as expr_bind,
 * prefixed "where: "; a predicate that is not boolean is DELTA_ETYPE. */
int dtab_pred_columns(const dlog_snapshot *snap, const char *where, uint32_t **cols,
                      size_t *ncols);

typedef struct dtab_pred {
    expr *e;              /* bound against `schema` */
    const dtype *schema;  /* the read schema (borrowed; STRUCT) */
    dlog_cm_mode cm;
    bool *partition;      /* per schema field: a partition column */
    bool prune;           /* the predicate names a partition column */
} dtab_pred;

/* Binds `where` against `schema` (the scan's read schema, whose fields
 * carry the table's field metadata). partition[i] says whether field i is
 * a partition column (copied). */
int dtab_pred_init(dtab_pred *p, const char *where, const dtype *schema, const bool *partition,
                   dlog_cm_mode cm);
void dtab_pred_clear(dtab_pred *p);

typedef enum dtab_verdict {
    DTAB_FILE_READ = 0, /* may hold matching rows */
    DTAB_FILE_PRUNED,   /* its partition values do not match */
    DTAB_FILE_SKIPPED   /* its statistics prove no row matches */
} dtab_verdict;

/* Decides whether file lf must be read. Errors: a partition value that is
 * not a value of its column's type (DELTA_EINVAL / DELTA_ERANGE naming
 * the column). Stats that do not parse are not an error (unknown). */
int dtab_pred_file(const dtab_pred *p, const dlog_live_file *lf, dtab_verdict *out);

/* Whether `pred` (bound to snap's schema; it names partition columns
 * only) is TRUE for the partition values of file lf: every row of the
 * file then satisfies it. partition[i] says whether column i is a
 * partition column. A partition value that is not a value of its column
 * is DELTA_ECORRUPT; evaluation errors (overflow) are returned. */
int dtab_partition_pred_true(const expr_node *pred, const dlog_snapshot *snap,
                             const bool *partition, const dlog_live_file *lf, bool *out);

/* The statistics decision alone, for a file with this stats JSON (NULL =
 * none) and partition row (NULL = none; a 1-row batch of the read schema
 * holding the partition values). Exposed for tests. */
bool dtab_pred_stats_may_match(const dtab_pred *p, const char *stats_json, const dvec *prow);

/* One add.stats bound (a minValues / maxValues entry) as a value of leaf
 * type t, converted as data skipping converts it (timestamps widened by a
 * millisecond, decimals only when exact ...); false when it is missing or
 * does not convert exactly. String values point into j. */
struct json_t;
bool dtab_pred_stats_value(const dtype *t, struct json_t *j, bool is_max, expr_value *v);

#endif
