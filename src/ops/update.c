/*
 * DELETE and UPDATE: row-level changes selected by a predicate (rules in
 * delta/dml.h, engine in dml.h).
 *
 * Files are chosen by the predicate's partition pruning and statistics
 * skipping, in path order. A DELETE whose predicate names partition
 * columns only (or that has none) removes whole each selected file where
 * it is TRUE for the file's partition values (then every row matches),
 * reading rows only for the change data feed or a count. Otherwise
 * each selected file is probed with the predicate's columns, and the files
 * with a matching row are rewritten or given deletion vectors.
 *
 * The commit records the predicate as read (a concurrent add it may
 * select is a conflict under Delta's rules) or, without a predicate, the
 * whole table; the changed files are recorded as read by their removes.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <delta/dml.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"
#include "expr/expr.h"
#include "log/actions.h"
#include "log/snapshot.h"
#include "ops/dml.h"
#include "table/predicate.h"
#include "table/scan.h"

typedef struct pred_op {
    const dlog_snapshot *snap;
    const char *uri;
    expr *where;    /* bound to the table schema, or NULL */
    dtab_pred pred; /* file selection, when where */
    bool has_pred;
    bool *needed;
    bool *partition;
    expr **set; /* per table column: its new value, or NULL */
    bool partition_only;
} pred_op;

static int decide(void *ctx, const dlog_live_file *lf, const dvec *rows, const int64_t *pos,
                  bool probe, uint8_t *act, dvec **updated)
{
    (void)lf;
    (void)pos;
    pred_op *o = ctx;
    int64_t n = rows->length;
    dml_act hit = o->set ? DML_UPDATE : DML_DELETE;
    *updated = NULL;
    uint32_t *sel = NULL;
    int64_t ns = n;
    int rc = 0;
    const dvec *bs[1] = {rows};
    expr_input in = {bs, 1, n};
    if (o->where) {
        sel = delta_malloc((size_t)(n ? n : 1) * sizeof *sel);
        if (!sel)
            return DELTA_ENOMEM;
        if ((rc = expr_select(o->where->root, &in, NULL, n, sel, &ns)))
            goto done;
    }
    memset(act, DML_KEEP, (size_t)n);
    for (int64_t i = 0; i < ns; i++)
        act[sel ? sel[i] : i] = (uint8_t)hit;
    if (probe || !o->set || ns == 0)
        goto done;
    if (!sel) {
        sel = delta_malloc((size_t)(n ? n : 1) * sizeof *sel);
        if (!sel)
            return DELTA_ENOMEM;
        for (int64_t i = 0; i < n; i++)
            sel[i] = (uint32_t)i;
    }
    rc = dml_assign(rows->type, o->set, &in, rows, sel, ns, updated);
done:
    delta_free(sel);
    return rc;
}

static void pred_op_clear(pred_op *o)
{
    expr_free(o->where);
    if (o->has_pred)
        dtab_pred_clear(&o->pred);
    delta_free(o->needed);
    delta_free(o->partition);
    if (o->set) {
        for (uint32_t i = 0; i < o->snap->schema->num_fields; i++)
            expr_free(o->set[i]);
        delta_free(o->set);
    }
}

static int setup(pred_op *o, const char *op, const char *where, const char *set)
{
    const dlog_snapshot *s = o->snap;
    const dtype *st = s->schema;
    uint32_t nf = st->num_fields;
    o->needed = delta_calloc(nf ? nf : 1, sizeof *o->needed);
    o->partition = delta_calloc(nf ? nf : 1, sizeof *o->partition);
    if (!o->needed || !o->partition)
        return DELTA_ENOMEM;
    for (uint32_t i = 0; i < nf; i++)
        for (size_t p = 0; p < s->metadata.num_partition_columns; p++)
            if (dstr_ieq(s->metadata.partition_columns[p], st->fields[i].name))
                o->partition[i] = true;
    int rc = 0;
    o->partition_only = true;
    if (where && *where) {
        uint32_t *cols = NULL;
        size_t ncols = 0;
        if ((rc = dtab_pred_columns(s, where, &cols, &ncols)))
            return delta_error_prefix(rc == DELTA_ENOMEM ? rc : DELTA_EINVAL, "%s of %s: ", op,
                                      o->uri);
        for (size_t i = 0; i < ncols; i++) {
            o->needed[cols[i]] = true;
            o->partition_only = o->partition_only && o->partition[cols[i]];
        }
        delta_free(cols);
        expr_scope sc = {NULL, st};
        if ((rc = expr_parse(&o->where, where)) || (rc = expr_bind(o->where, &sc, 1)))
            return delta_error_prefix(rc == DELTA_ENOMEM ? rc : DELTA_EINVAL,
                                      "%s of %s: where '%s': ", op, o->uri, where);
        if ((rc = dtab_pred_init(&o->pred, where, st, o->partition, s->column_mapping)))
            return delta_error_prefix(rc, "%s of %s: ", op, o->uri);
        o->has_pred = true;
    }
    if (set) {
        o->partition_only = false;
        if ((rc = dml_bind_assignments(s, set, NULL, 0, NULL, op, &o->set)))
            return rc;
    }
    return 0;
}

static int cmp_files(const void *a, const void *b)
{
    const dlog_live_file *x = *(const dlog_live_file *const *)a;
    const dlog_live_file *y = *(const dlog_live_file *const *)b;
    return strcmp(x->canonical, y->canonical);
}

/* The live files in path order (a new array). */
int dml_sorted_files(const dlog_snapshot *snap, const dlog_live_file ***out, size_t *n)
{
    size_t nall = dlog_snapshot_num_files(snap), k = 0;
    const dlog_live_file **all = delta_calloc(nall ? nall : 1, sizeof *all);
    if (!all)
        return DELTA_ENOMEM;
    size_t it = 0;
    const dlog_live_file *lf;
    while (k < nall && dlog_snapshot_next_file(snap, &it, &lf))
        all[k++] = lf;
    qsort(all, k, sizeof *all, cmp_files);
    *out = all;
    *n = k;
    return 0;
}

/* The operationParameters of DELETE and UPDATE: predicate as a JSON array
 * text, as Delta writes it. */
static char *params_of(const char *where)
{
    json_t *pa = json_array();
    if (where && *where)
        json_array_append_new(pa, json_string(where));
    char *pa_text = dlog_json_text(pa);
    json_decref(pa);
    json_t *pj = json_object();
    json_object_set_new(pj, "predicate", json_string(pa_text ? pa_text : "[]"));
    delta_free(pa_text);
    char *t = dlog_json_text(pj);
    json_decref(pj);
    return t;
}

int dops_predicate_op(delta_store *table, const dlog_snapshot *snap, const char *op,
                      const char *where, const char *set, const dlog_tx_opts *tx_opts,
                      delta_dml_result *out)
{
    if (out) {
        memset(out, 0, sizeof *out);
        out->version = -1;
        out->read_version = snap->version;
    }
    pred_op o;
    memset(&o, 0, sizeof o);
    o.snap = snap;
    o.uri = delta_store_uri(table);
    if (!snap->schema)
        return delta_error_set(DELTA_EINVAL, "%s of %s: the table has no schema", op, o.uri);
    dml_job *j = NULL;
    const dlog_live_file **all = NULL, **touched = NULL;
    size_t nall = 0, ntouched = 0;
    char *params = NULL;
    int rc = setup(&o, op, where, set);
    if (!rc)
        rc = dml_job_new(&j, table, snap, op, tx_opts);
    if (!rc)
        rc = dml_sorted_files(snap, &all, &nall);
    if (!rc && !(touched = delta_calloc(nall ? nall : 1, sizeof *touched)))
        rc = DELTA_ENOMEM;
    if (rc)
        goto cleanup;
    if (o.has_pred)
        rc = dlog_tx_read_predicate(dml_job_tx(j), dml_pred_reads, &o.pred, where);
    else
        dlog_tx_read_whole_table(dml_job_tx(j));
    dml_decider d = {decide, &o, o.needed, !set, false};
    int64_t skipped = 0;
    for (size_t i = 0; i < nall && !rc; i++) {
        if (o.has_pred) {
            dtab_verdict v;
            if ((rc = dtab_pred_file(&o.pred, all[i], &v)))
                break;
            if (v != DTAB_FILE_READ) {
                skipped++;
                continue;
            }
        }
        if (o.partition_only) {
            /* every row of the file shares its partition values: the
             * predicate evaluated on them decides for the whole file */
            bool all_rows = true;
            if (o.where && (rc = dtab_partition_pred_true(o.where->root, snap, o.partition, all[i],
                                                          &all_rows))) {
                rc = delta_error_prefix(rc, "%s of %s: %s: ", op, o.uri, all[i]->add.path);
                break;
            }
            if (all_rows)
                touched[ntouched++] = all[i];
            else
                skipped++;
            continue;
        }
        bool changes;
        if (!(rc = dml_probe(j, all[i], &d, &changes)) && changes)
            touched[ntouched++] = all[i];
    }
    if (rc)
        goto cleanup;
    dml_count_files(j, (int64_t)ntouched, skipped);
    for (size_t i = 0; i < ntouched && !rc; i++)
        rc = o.partition_only ? dml_delete_file(j, touched[i]) : dml_apply(j, touched[i], &d);
    if (!rc && !(params = params_of(where)))
        rc = DELTA_ENOMEM;
    if (!rc)
        rc = dml_commit(j, params, out);
cleanup:
    dml_job_free(j);
    delta_free(all);
    delta_free(touched);
    delta_free(params);
    pred_op_clear(&o);
    if (rc && out)
        out->version = -1;
    return rc;
}

static int run(delta_table *t, const char *op, const char *where, const char *set,
               delta_dml_result *out)
{
    delta_store *s = NULL;
    dlog_snapshot *snap = NULL;
    int rc = dml_open_latest(t, op, &s, &snap, out);
    if (!rc)
        rc = dops_predicate_op(s, snap, op, where, set, NULL, out);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    return rc;
}

int delta_table_delete(delta_table *t, const char *where, delta_dml_result *out)
{
    return run(t, "DELETE", where, NULL, out);
}

int delta_table_update(delta_table *t, const char *set, const char *where, delta_dml_result *out)
{
    if (!set || !*set)
        return delta_error_set(DELTA_EINVAL, "UPDATE: no assignment (set)");
    return run(t, "UPDATE", where, set, out);
}
