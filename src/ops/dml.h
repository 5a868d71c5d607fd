/*
 * The engine under DELETE, UPDATE and MERGE (rules in delta/dml.h): one
 * job per operation, which reads target files, writes what changes and
 * commits once.
 *
 * An operation supplies a decider: for a batch of a target file's rows
 * (in the table's shape) it says per row KEEP, DELETE or UPDATE and, for
 * UPDATE rows, their new values. The job works in two passes:
 *
 *   probe   each candidate file (not pruned or skipped by the operation's
 *           predicate) is read with only the columns the decider needs
 *           (the others arrive as nulls) to learn whether any row
 *           changes; MERGE also marks its matched source rows here;
 *   apply   each file that changes is read in full, once:
 *             copy-on-write     unchanged rows are copied to new files of
 *                               the same partition, new values written,
 *                               the old file removed;
 *             deletion vectors  (delta.enableDeletionVectors) the
 *                               positions of deleted and updated rows are
 *                               added to the file's deletion vector (a new
 *                               vector file; the file is removed and added
 *                               again with it), new values written to new
 *                               files; a file left without rows is
 *                               removed.
 * New rows (MERGE's inserts) go to new files. With the change data feed
 * enabled, every changed row is also written to a change data file.
 *
 * Invariant: nothing the job writes is visible before its one commit; a
 * failure deletes the data, change data and deletion vector files it
 * wrote, so the table is as it was (a crash leaves at worst orphans that
 * VACUUM removes). The commit removes exactly the files whose rows were
 * rewritten or newly deleted and records them as read, so a concurrent
 * commit that removed one of them is a conflict.
 */
#ifndef DELTA_OPS_DML_H
#define DELTA_OPS_DML_H

#include <stdbool.h>
#include <stdint.h>

#include <delta/dml.h>
#include <delta/storage.h>

#include "columnar/vector.h"
#include "expr/expr.h"
#include "log/snapshot.h"
#include "log/txn.h"

typedef enum dml_act { DML_KEEP = 0, DML_DELETE, DML_UPDATE } dml_act;

typedef struct dml_decider {
    /* Decides for the n rows of `rows` (a batch of the table schema, one
     * target file's rows). act[i] receives each row's dml_act. When not
     * probing, *updated receives a new batch of the table schema holding
     * the new values of the UPDATE rows in row order (or stays NULL when
     * there are none). When probing, columns not in `needed` are null.
     * pos[i] is row i's position in the file (for messages). */
    int (*decide)(void *ctx, const dlog_live_file *lf, const dvec *rows, const int64_t *pos,
                  bool probe, uint8_t *act, dvec **updated);
    void *ctx;
    /* Per table column: read when probing (NULL: every column). */
    const bool *needed;
    /* The decider never updates: deletion vectors are then made from the
     * probe columns alone (unless the change data feed needs the rows). */
    bool deletes_only;
    /* Probing reads every row of a file (MERGE marks its source rows);
     * otherwise it stops at the first changing row. */
    bool probe_all;
} dml_decider;

typedef struct dml_job dml_job;

/* A job of `operation` ("DELETE", "UPDATE", "MERGE") on snap (borrowed;
 * store and snap must outlive the job). Refuses tables the writer
 * refuses. tx_opts may be NULL. */
int dml_job_new(dml_job **out, delta_store *store, const dlog_snapshot *snap,
                const char *operation, const dlog_tx_opts *tx_opts);
void dml_job_free(dml_job *j);

/* The transaction the commit will use (to record reads: predicates,
 * the whole table). */
dlog_tx *dml_job_tx(dml_job *j);

/* Stages the table's new metaData (MERGE's schema evolution); committed
 * only with the changes. */
int dml_job_stage_metadata(dml_job *j, const dlog_metadata *m);

/* Pass 1: whether any row of lf changes. */
int dml_probe(dml_job *j, const dlog_live_file *lf, const dml_decider *d, bool *changes);
/* Pass 2: applies the decider to every row of lf. */
int dml_apply(dml_job *j, const dlog_live_file *lf, const dml_decider *d);
/* Deletes every row of lf without deciding (a predicate on partition
 * columns only, or no predicate). */
int dml_delete_file(dml_job *j, const dlog_live_file *lf);
/* Writes new rows (a batch of the table schema). */
int dml_insert(dml_job *j, const dvec *rows);

/* Notes candidate files read and skipped, for the metrics. */
void dml_count_files(dml_job *j, int64_t touched, int64_t skipped);
/* Sets the source row count (MERGE). */
void dml_set_source_rows(dml_job *j, int64_t n);
/* Splits MERGE's counts by clause kind for its metrics. */
void dml_count_merge(dml_job *j, int64_t matched_updated, int64_t matched_deleted,
                     int64_t nmbs_updated, int64_t nmbs_deleted);

/* Commits (nothing when no row changed: res->version -1) with
 * operationParameters `params_json` (a JSON object text). Fills res. */
int dml_commit(dml_job *j, const char *params_json, delta_dml_result *res);

/* Splits "col = EXPR, col = EXPR" at its top-level commas and each piece
 * at its assignment '=' (not part of <=, >=, !=, ==, <=>; quotes,
 * backticks and parentheses respected). Names are unquoted; a leading
 * "qualifier." equal to `qualifier` (may be NULL) is dropped. The arrays
 * hold new strings (free each, then the arrays). DELTA_EINVAL names the
 * piece that is not an assignment. */
int dml_split_assignments(const char *text, const char *qualifier, char ***names,
                          char ***exprs, size_t *n);
void dml_free_assignments(char **names, char **exprs, size_t n);

/* Binds the assignments `text` (dml_split_assignments; `qualifier` is the
 * target's) to the table columns: *out receives one expr per table column
 * (NULL when not assigned; free each with expr_free, then the array),
 * each bound against `scopes` (NULL: the table schema unqualified) and
 * coerced to its column's type. An unknown or twice-assigned column, or a
 * value that does not bind, is DELTA_EINVAL naming it, prefixed with
 * "OP of URI: ". */
int dml_bind_assignments(const dlog_snapshot *snap, const char *text, const expr_scope *scopes,
                         uint32_t nscopes, const char *qualifier, const char *op, expr ***out);

/* The new rows of an assignment: for the ns rows sel of `in` (whose
 * scope 0 or `rows` holds the current target values), a new batch of
 * `schema` whose column i is set[i] evaluated, or rows' column i (null
 * when rows is NULL, as for inserts); a
 * generated column not assigned is null (the writer computes it from the
 * new values). */
int dml_assign(const dtype *schema, expr *const *set, const expr_input *in, const dvec *rows,
               const uint32_t *sel, int64_t ns, dvec **out);

/* A dlog_tx_match_fn over a dtab_pred (ctx): whether a file added
 * concurrently may hold a row the predicate selects (when in doubt, yes). */
bool dml_pred_reads(void *pred, const dlog_add *add);

/* Opens t's store and latest snapshot for operation `op` (free both);
 * on failure *out (may be NULL) says nothing was read or committed. */
int dml_open_latest(delta_table *t, const char *op, delta_store **store, dlog_snapshot **snap,
                    delta_dml_result *out);

/* The live files of snap in path order (a new array of borrowed files). */
int dml_sorted_files(const dlog_snapshot *snap, const dlog_live_file ***out, size_t *n);

/* DELETE (set NULL) or UPDATE on a snapshot already read (borrowed). */
int dops_predicate_op(delta_store *table, const dlog_snapshot *snap, const char *op,
                      const char *where, const char *set, const dlog_tx_opts *tx_opts,
                      delta_dml_result *out);

/* MERGE on a snapshot already read (borrowed). */
int dops_merge(delta_store *table, const dlog_snapshot *snap, const delta_merge_options *mo,
               const dlog_tx_opts *tx_opts, delta_dml_result *out);

#endif
