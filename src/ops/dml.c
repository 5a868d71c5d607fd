/*
 * The DML engine: probing and applying deciders to target files, new rows,
 * deletion vectors, change data and the one commit (see dml.h).
 */
#include "ops/dml.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"
#include "core/dtime.h"
#include "log/actions.h"
#include "table/conform.h"
#include "table/dv.h"
#include "table/predicate.h"
#include "table/scan.h"
#include "table/write.h"

/* A file whose rows changed: removed, and in deletion vector mode added
 * again with `dv` unless no row is left. */
typedef struct changed_file {
    const dlog_live_file *lf;
    bool readd;
    dlog_dv dv;
} changed_file;

struct dml_job {
    delta_store *store;
    const dlog_snapshot *snap;
    const char *uri;
    const char *op;
    bool dv_mode, cdf;
    dtab_writer *data, *cdc;
    dlog_tx *tx;
    changed_file *changed;
    size_t nchanged, cap_changed;
    char **dv_keys; /* vector files written, deleted again on failure */
    size_t ndv_keys;
    uint8_t *act;
    uint32_t *sel;
    int64_t cap_rows;
    int64_t start_us;
    delta_dml_result res;
    int64_t matched_updated, matched_deleted, nmbs_updated, nmbs_deleted;
    int64_t dvs_removed; /* files removed or re-added that had a vector */
    bool committed;
};

int dml_job_new(dml_job **out, delta_store *store, const dlog_snapshot *snap, const char *operation,
                const dlog_tx_opts *tx_opts)
{
    *out = NULL;
    dml_job *j = delta_calloc(1, sizeof *j);
    if (!j)
        return DELTA_ENOMEM;
    j->store = store;
    j->snap = snap;
    j->uri = delta_store_uri(store);
    j->op = operation;
    /* deletion vectors need the table feature as well as the property
     * (a table whose protocol lacks it is written copy-on-write) */
    for (size_t i = 0; i < snap->protocol.num_writer_features; i++)
        if (!strcmp(snap->protocol.writer_features[i], "deletionVectors"))
            j->dv_mode =
                dlog_map_true(&snap->metadata.configuration, "delta.enableDeletionVectors");
    j->cdf = dlog_map_true(&snap->metadata.configuration, "delta.enableChangeDataFeed");
    j->start_us = dtime_now_us();
    j->res.version = -1;
    j->res.read_version = snap->version;
    int rc = dtab_writer_new(&j->data, store, snap, 0);
    if (!rc && j->cdf)
        rc = dtab_writer_new_cdc(&j->cdc, store, snap);
    if (!rc)
        rc = dlog_tx_begin(&j->tx, store, snap, tx_opts);
    if (rc) {
        dml_job_free(j);
        return rc;
    }
    *out = j;
    return 0;
}

void dml_job_free(dml_job *j)
{
    if (!j)
        return;
    bool failed = !j->committed;
    dtab_writer_free(j->data, failed);
    dtab_writer_free(j->cdc, failed);
    for (size_t i = 0; i < j->ndv_keys; i++) {
        if (failed)
            delta_store_delete(j->store, j->dv_keys[i]);
        delta_free(j->dv_keys[i]);
    }
    delta_free(j->dv_keys);
    for (size_t i = 0; i < j->nchanged; i++)
        dtab_dv_desc_clear(&j->changed[i].dv);
    delta_free(j->changed);
    dlog_tx_free(j->tx);
    delta_free(j->act);
    delta_free(j->sel);
    delta_free(j);
}

dlog_tx *dml_job_tx(dml_job *j)
{
    return j->tx;
}

int dml_job_stage_metadata(dml_job *j, const dlog_metadata *m)
{
    return dtab_stage_metadata(j->tx, m);
}

void dml_count_files(dml_job *j, int64_t touched, int64_t skipped)
{
    j->res.num_files_touched += touched;
    j->res.num_files_skipped += skipped;
}

void dml_set_source_rows(dml_job *j, int64_t n)
{
    j->res.num_source_rows = n;
}

void dml_count_merge(dml_job *j, int64_t matched_updated, int64_t matched_deleted,
                     int64_t nmbs_updated, int64_t nmbs_deleted)
{
    j->matched_updated += matched_updated;
    j->matched_deleted += matched_deleted;
    j->nmbs_updated += nmbs_updated;
    j->nmbs_deleted += nmbs_deleted;
}

static int ensure_rows(dml_job *j, int64_t n)
{
    if (n <= j->cap_rows)
        return 0;
    uint8_t *a = delta_realloc(j->act, (size_t)n);
    if (!a)
        return DELTA_ENOMEM;
    j->act = a;
    uint32_t *s = delta_realloc(j->sel, (size_t)n * sizeof *s);
    if (!s)
        return DELTA_ENOMEM;
    j->sel = s;
    j->cap_rows = n;
    return 0;
}

/* Opens a scan of one file: the needed columns (all when NULL) in schema
 * order, plus the row index. */
static int open_file_scan(dml_job *j, const dlog_live_file *lf, const bool *needed, dstream **out)
{
    const dtype *st = j->snap->schema;
    const char **cols = NULL;
    dtab_scan_opts so = DTAB_SCAN_OPTS_INIT;
    so.files = &lf;
    so.num_files = 1;
    so.row_index = true;
    if (needed) {
        cols = delta_calloc(st->num_fields ? st->num_fields : 1, sizeof *cols);
        if (!cols)
            return DELTA_ENOMEM;
        size_t n = 0;
        for (uint32_t i = 0; i < st->num_fields; i++)
            if (needed[i])
                cols[n++] = st->fields[i].name;
        so.columns = cols;
        so.num_columns = n;
    }
    int rc = dtab_scan_open(out, j->snap, &so);
    delta_free(cols);
    return rc;
}

/* The table-shaped batch of a scan batch (needed columns then the row
 * index), columns not read as nulls; *ridx points at the row indices. */
static int shape_rows(dml_job *j, const bool *needed, const dvec *b, dvec **out,
                      const int64_t **ridx)
{
    const dtype *st = j->snap->schema;
    int64_t n = b->length;
    dvec *rows;
    int rc = dbatch_new(&rows, st);
    if (rc)
        return rc;
    uint32_t k = 0;
    for (uint32_t i = 0; i < st->num_fields && !rc; i++) {
        dvec_unref(rows->children[i]);
        rows->children[i] = NULL;
        if (!needed || needed[i])
            rows->children[i] = dvec_ref(b->children[k++]);
        else
            rc = dtab_nulls(st->fields[i].type, n, &rows->children[i]);
    }
    if (!rc) {
        dvec_set_length(rows, n);
        *ridx = dvec_i64(b->children[k]);
        *out = rows;
        return 0;
    }
    dvec_unref(rows);
    return rc;
}

static int take_rows(const dvec *rows, const uint32_t *sel, int64_t n, dvec **out)
{
    int rc = dbatch_new(out, rows->type);
    if (!rc)
        rc = dvec_append_take(*out, rows, sel, n);
    if (rc) {
        dvec_unref(*out);
        *out = NULL;
    }
    return rc;
}

/* The rows of sel written as change data of `type`. */
static int write_cdc(dml_job *j, const dvec *rows, const uint32_t *sel, int64_t n, const char *type)
{
    if (!j->cdc || n == 0)
        return 0;
    dvec *t = NULL;
    int rc = sel ? take_rows(rows, sel, n, &t) : 0;
    if (!rc)
        rc = dtab_writer_write_cdc(j->cdc, sel ? t : rows, type);
    dvec_unref(t);
    return rc;
}

int dml_probe(dml_job *j, const dlog_live_file *lf, const dml_decider *d, bool *changes)
{
    *changes = false;
    dstream *s = NULL;
    int rc = open_file_scan(j, lf, d->needed, &s);
    while (!rc) {
        dvec *b = NULL, *rows = NULL, *upd = NULL;
        const int64_t *ridx;
        if ((rc = s->next(s, &b)) || !b)
            break;
        if (!(rc = shape_rows(j, d->needed, b, &rows, &ridx)) &&
            !(rc = ensure_rows(j, rows->length)))
            rc = d->decide(d->ctx, lf, rows, ridx, true, j->act, &upd);
        for (int64_t r = 0; !rc && r < rows->length && !*changes; r++)
            *changes = j->act[r] != DML_KEEP;
        dvec_unref(upd);
        dvec_unref(rows);
        dvec_unref(b);
        if (*changes && !d->probe_all)
            break;
    }
    if (s)
        s->free(s);
    return rc;
}

/* Positions deleted so far from one file. */
typedef struct positions {
    uint64_t *v;
    size_t n, cap;
} positions;

static int positions_add(positions *p, uint64_t x)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        uint64_t *v = delta_realloc(p->v, cap * sizeof *v);
        if (!v)
            return DELTA_ENOMEM;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = x;
    return 0;
}

static int changed_add(dml_job *j, const dlog_live_file *lf, changed_file **out)
{
    if (j->nchanged == j->cap_changed) {
        size_t cap = j->cap_changed ? j->cap_changed * 2 : 16;
        changed_file *c = delta_realloc(j->changed, cap * sizeof *c);
        if (!c)
            return DELTA_ENOMEM;
        j->changed = c;
        j->cap_changed = cap;
    }
    changed_file *c = &j->changed[j->nchanged++];
    memset(c, 0, sizeof *c);
    c->lf = lf;
    *out = c;
    return 0;
}

/* The file's deletion vector grown by the new positions (ascending). */
static int grow_dv(dml_job *j, const dlog_live_file *lf, positions *p, changed_file *c)
{
    dtab_dv old = {0};
    int rc = 0;
    if (lf->add.has_dv && (rc = dtab_dv_load(j->store, &lf->add.dv, &old)))
        return rc;
    uint64_t *all = delta_malloc((old.count + p->n) * sizeof *all);
    if (!all) {
        dtab_dv_clear(&old);
        return DELTA_ENOMEM;
    }
    size_t a = 0, b = 0, n = 0;
    while (a < old.count || b < p->n) {
        uint64_t x;
        if (b >= p->n || (a < old.count && old.rows[a] < p->v[b]))
            x = old.rows[a++];
        else if (a >= old.count || p->v[b] < old.rows[a])
            x = p->v[b++];
        else {
            x = old.rows[a++];
            b++;
        }
        all[n++] = x;
    }
    dtab_dv_clear(&old);
    /* room to record the new file before it exists, so a vector written
     * is always deleted again when the job fails */
    char **keys = delta_realloc(j->dv_keys, (j->ndv_keys + 1) * sizeof *keys);
    if (!keys) {
        delta_free(all);
        return DELTA_ENOMEM;
    }
    j->dv_keys = keys;
    rc = dtab_dv_write(j->store, all, n, &c->dv);
    delta_free(all);
    if (rc)
        return rc;
    dbuf key = DBUF_INIT;
    rc = dtab_dv_file(&c->dv, &key);
    if (!rc && !(j->dv_keys[j->ndv_keys] = delta_strdup(dbuf_cstr(&key))))
        rc = DELTA_ENOMEM;
    if (!rc)
        j->ndv_keys++;
    else if (key.len) /* written but not recorded: delete it now */
        delta_store_delete(j->store, dbuf_cstr(&key));
    dbuf_free(&key);
    c->readd = true;
    if (lf->add.has_dv)
        j->res.num_dvs_updated++;
    else
        j->res.num_dvs_added++;
    return rc;
}

int dml_apply(dml_job *j, const dlog_live_file *lf, const dml_decider *d)
{
    /* in deletion vector mode a decider that only deletes needs no more
     * than its probe columns, unless the deleted rows go to the feed */
    const bool *needed = j->dv_mode && d->deletes_only && !j->cdf ? d->needed : NULL;
    dstream *s = NULL;
    positions pos = {0};
    int64_t live = 0, changed = 0;
    int rc = open_file_scan(j, lf, needed, &s);
    while (!rc) {
        dvec *b = NULL, *rows = NULL, *upd = NULL, *keep = NULL;
        const int64_t *ridx;
        if ((rc = s->next(s, &b)) || !b)
            break;
        int64_t n = b->length;
        if ((rc = shape_rows(j, needed, b, &rows, &ridx)) || (rc = ensure_rows(j, n)) ||
            (rc = d->decide(d->ctx, lf, rows, ridx, false, j->act, &upd)))
            goto next;
        live += n;
        int64_t nkeep = 0, ndel = 0, nupd = 0;
        for (int64_t r = 0; r < n; r++) {
            if (j->act[r] == DML_KEEP)
                j->sel[nkeep++] = (uint32_t)r;
            else if (j->act[r] == DML_DELETE)
                ndel++;
            else
                nupd++;
        }
        if (nupd != (upd ? upd->length : 0)) {
            rc = delta_error_set(
                DELTA_EINVAL, "%s of %s: %s: %" PRId64 " rows to update but %" PRId64 " new values",
                j->op, j->uri, lf->add.path, nupd, upd ? upd->length : 0);
            goto next;
        }
        changed += ndel + nupd;
        j->res.num_rows_deleted += ndel;
        j->res.num_rows_updated += nupd;
        if (j->dv_mode) {
            for (int64_t r = 0; r < n && !rc; r++)
                if (j->act[r] != DML_KEEP)
                    rc = positions_add(&pos, (uint64_t)ridx[r]);
        } else if (nkeep) {
            j->res.num_rows_copied += nkeep;
            if (nkeep == n)
                rc = dtab_writer_write(j->data, &lf->add.partition_values, rows);
            else if (!(rc = take_rows(rows, j->sel, nkeep, &keep)))
                rc = dtab_writer_write(j->data, &lf->add.partition_values, keep);
        }
        if (!rc && upd)
            rc = dtab_writer_write_rows(j->data, upd);
        if (!rc && j->cdc && (ndel || nupd)) {
            int64_t k = 0;
            for (int64_t r = 0; r < n; r++)
                if (j->act[r] == DML_DELETE)
                    j->sel[k++] = (uint32_t)r;
            rc = write_cdc(j, rows, j->sel, k, "delete");
            k = 0;
            for (int64_t r = 0; !rc && r < n; r++)
                if (j->act[r] == DML_UPDATE)
                    j->sel[k++] = (uint32_t)r;
            if (!rc)
                rc = write_cdc(j, rows, j->sel, k, "update_preimage");
            if (!rc && upd)
                rc = write_cdc(j, upd, NULL, upd->length, "update_postimage");
        }
    next:
        dvec_unref(keep);
        dvec_unref(upd);
        dvec_unref(rows);
        dvec_unref(b);
    }
    if (s)
        s->free(s);
    /* copy-on-write: the file's rows are closed into their own new files
     * now, so memory holds one rewritten file at a time */
    if (!rc && !j->dv_mode)
        rc = dtab_writer_finish(j->data);
    if (!rc && (changed || !j->dv_mode)) {
        changed_file *c;
        rc = changed_add(j, lf, &c);
        if (!rc && j->dv_mode && (int64_t)pos.n < live)
            rc = grow_dv(j, lf, &pos, c);
    }
    delta_free(pos.v);
    if (rc)
        return delta_error_prefix(rc, "%s of %s: %s: ", j->op, j->uri, lf->add.path);
    return 0;
}

/* numRecords of the file's statistics less its deleted rows, or -1. */
static int64_t live_rows_of(const dlog_live_file *lf)
{
    if (!lf->add.stats)
        return -1;
    json_error_t err;
    json_t *o = json_loads(lf->add.stats, 0, &err);
    json_t *n = o ? json_object_get(o, "numRecords") : NULL;
    int64_t v = json_is_integer(n) ? json_integer_value(n) : -1;
    json_decref(o);
    if (v >= 0 && lf->add.has_dv)
        v -= lf->add.dv.cardinality;
    return v;
}

int dml_delete_file(dml_job *j, const dlog_live_file *lf)
{
    int64_t n = j->cdc ? -1 : live_rows_of(lf);
    int rc = 0;
    if (n < 0) {
        /* the rows are needed (change data) or counted by reading */
        dstream *s = NULL;
        bool *none = NULL;
        const dtype *st = j->snap->schema;
        if (!j->cdc && !(none = delta_calloc(st->num_fields ? st->num_fields : 1, 1)))
            return DELTA_ENOMEM;
        n = 0;
        rc = open_file_scan(j, lf, none, &s);
        while (!rc) {
            dvec *b = NULL, *rows = NULL;
            const int64_t *ridx;
            if ((rc = s->next(s, &b)) || !b)
                break;
            n += b->length;
            if (j->cdc && !(rc = shape_rows(j, NULL, b, &rows, &ridx)))
                rc = write_cdc(j, rows, NULL, rows->length, "delete");
            dvec_unref(rows);
            dvec_unref(b);
        }
        if (s)
            s->free(s);
        delta_free(none);
    }
    changed_file *c;
    if (!rc)
        rc = changed_add(j, lf, &c);
    if (rc)
        return delta_error_prefix(rc, "%s of %s: %s: ", j->op, j->uri, lf->add.path);
    j->res.num_rows_deleted += n;
    return 0;
}

int dml_insert(dml_job *j, const dvec *rows)
{
    if (!rows->length)
        return 0;
    int rc = dtab_writer_write_rows(j->data, rows);
    if (!rc)
        rc = write_cdc(j, rows, NULL, rows->length, "insert");
    if (!rc)
        j->res.num_rows_inserted += rows->length;
    return rc;
}

static void set_num(json_t *o, const char *key, int64_t v)
{
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, v);
    json_object_set_new(o, key, json_string(num));
}

/* operationMetrics as Delta names them for the operation. As in Delta, a
 * deletion vector that grew counts as removed, added and updated (the
 * result's num_dvs_added counts first vectors only). */
static char *metrics_json(const dml_job *j, int64_t exec_ms)
{
    const delta_dml_result *r = &j->res;
    json_t *m = json_object();
    if (strcmp(j->op, "MERGE") == 0) {
        set_num(m, "numSourceRows", r->num_source_rows);
        set_num(m, "numTargetRowsInserted", r->num_rows_inserted);
        set_num(m, "numTargetRowsUpdated", r->num_rows_updated);
        set_num(m, "numTargetRowsMatchedUpdated", j->matched_updated);
        set_num(m, "numTargetRowsNotMatchedBySourceUpdated", j->nmbs_updated);
        set_num(m, "numTargetRowsDeleted", r->num_rows_deleted);
        set_num(m, "numTargetRowsMatchedDeleted", j->matched_deleted);
        set_num(m, "numTargetRowsNotMatchedBySourceDeleted", j->nmbs_deleted);
        set_num(m, "numTargetRowsCopied", r->num_rows_copied);
        set_num(m, "numOutputRows",
                r->num_rows_inserted + r->num_rows_updated + r->num_rows_copied);
        set_num(m, "numTargetFilesAdded", r->num_files_added);
        set_num(m, "numTargetFilesRemoved", r->num_files_removed);
        set_num(m, "numTargetChangeFilesAdded", r->num_cdc_files);
        set_num(m, "numTargetBytesAdded", r->num_bytes_added);
        set_num(m, "numTargetBytesRemoved", r->num_bytes_removed);
        set_num(m, "numTargetDeletionVectorsAdded", r->num_dvs_added + r->num_dvs_updated);
        set_num(m, "numTargetDeletionVectorsUpdated", r->num_dvs_updated);
        set_num(m, "numTargetDeletionVectorsRemoved", j->dvs_removed);
    } else {
        if (strcmp(j->op, "DELETE") == 0)
            set_num(m, "numDeletedRows", r->num_rows_deleted);
        else
            set_num(m, "numUpdatedRows", r->num_rows_updated);
        set_num(m, "numCopiedRows", r->num_rows_copied);
        set_num(m, "numAddedFiles", r->num_files_added);
        set_num(m, "numRemovedFiles", r->num_files_removed);
        set_num(m, "numAddedChangeFiles", r->num_cdc_files);
        set_num(m, "numAddedBytes", r->num_bytes_added);
        set_num(m, "numRemovedBytes", r->num_bytes_removed);
        set_num(m, "numDeletionVectorsAdded", r->num_dvs_added + r->num_dvs_updated);
        set_num(m, "numDeletionVectorsUpdated", r->num_dvs_updated);
        set_num(m, "numDeletionVectorsRemoved", j->dvs_removed);
    }
    set_num(m, "executionTimeMs", exec_ms);
    char *t = dlog_json_text(m);
    json_decref(m);
    return t;
}

static int stage_writer(dml_job *j, dtab_writer *w, bool cdc)
{
    if (!w)
        return 0;
    int rc = dtab_writer_finish(w);
    size_t n = 0;
    dlog_action *a = rc ? NULL : dtab_writer_adds(w, &n);
    for (size_t i = 0; i < n && !rc; i++) {
        if (cdc) {
            j->res.num_cdc_files++;
        } else {
            j->res.num_files_added++;
            j->res.num_bytes_added += a[i].u.add.size;
        }
        rc = dlog_tx_stage(j->tx, &a[i]);
    }
    return rc;
}

int dml_commit(dml_job *j, const char *params_json, delta_dml_result *res)
{
    int rc = stage_writer(j, j->data, false);
    if (!rc)
        rc = stage_writer(j, j->cdc, true);
    for (size_t i = 0; i < j->nchanged && !rc; i++) {
        changed_file *c = &j->changed[i];
        if ((rc = dlog_tx_remove_file(j->tx, c->lf, true)))
            break;
        if (c->lf->add.has_dv)
            j->dvs_removed++;
        if (c->readd) {
            rc = dlog_tx_readd_file(j->tx, c->lf, &c->dv);
        } else {
            j->res.num_files_removed++;
            j->res.num_bytes_removed += c->lf->add.size;
        }
    }
    int64_t exec_ms = (dtime_now_us() - j->start_us) / 1000;
    j->res.execution_ms = exec_ms;
    bool any = j->nchanged || j->res.num_files_added || j->res.num_cdc_files;
    char *metrics = NULL;
    if (!rc && any) {
        metrics = metrics_json(j, exec_ms);
        if (!metrics)
            rc = DELTA_ENOMEM;
        if (!rc)
            rc = dlog_tx_set_operation(j->tx, j->op, params_json, metrics);
        dlog_commit_result cr;
        if (!rc && !(rc = dlog_tx_commit(j->tx, &cr))) {
            j->committed = true;
            j->res.version = cr.version;
        }
    }
    delta_free(metrics);
    if (res) {
        *res = j->res;
        if (rc)
            res->version = -1;
    }
    if (rc)
        return delta_error_prefix(rc, "%s of %s: ", j->op, j->uri);
    return 0;
}

int dml_open_latest(delta_table *t, const char *op, delta_store **store, dlog_snapshot **snap,
                    delta_dml_result *out)
{
    *store = NULL;
    *snap = NULL;
    int rc = t ? delta_store_open(store, delta_table_uri(t))
               : delta_error_set(DELTA_EINVAL, "%s: no table", op);
    if (!rc)
        rc = dlog_snapshot_open(snap, *store, NULL);
    if (rc && out) {
        memset(out, 0, sizeof *out);
        out->version = out->read_version = -1;
    }
    return rc;
}

bool dml_pred_reads(void *pred, const dlog_add *add)
{
    dlog_live_file lf;
    memset(&lf, 0, sizeof lf);
    lf.add = *add;
    dtab_verdict v;
    return dtab_pred_file(pred, &lf, &v) != 0 || v == DTAB_FILE_READ;
}

/* ---- assignments -------------------------------------------------------- */

int dml_assign(const dtype *schema, expr *const *set, const expr_input *in, const dvec *rows,
               const uint32_t *sel, int64_t ns, dvec **out)
{
    *out = NULL;
    dvec *b;
    int rc = dbatch_new(&b, schema);
    for (uint32_t i = 0; !rc && i < schema->num_fields; i++) {
        dvec *v = NULL, *c = NULL;
        if (set[i] && (rc = expr_eval(set[i]->root, in, sel, ns, &v)))
            break;
        /* a generated column not assigned is computed again from the new
         * values by the writer */
        char *gen = set[i] ? NULL : dtab_generation_expression(&schema->fields[i]);
        if (gen || (!set[i] && !rows)) {
            delta_free(gen);
            rc = dtab_nulls(schema->fields[i].type, ns, &c);
        } else if (!(rc = dvec_new(&c, schema->fields[i].type))) {
            rc = dvec_append_take(c, v ? v : rows->children[i], sel, ns);
        }
        dvec_unref(v);
        if (rc) {
            dvec_unref(c);
            break;
        }
        dvec_unref(b->children[i]);
        b->children[i] = c;
    }
    if (rc) {
        dvec_unref(b);
        return rc;
    }
    dvec_set_length(b, ns);
    *out = b;
    return 0;
}

int dml_bind_assignments(const dlog_snapshot *snap, const char *text, const expr_scope *scopes,
                         uint32_t nscopes, const char *qualifier, const char *op, expr ***out)
{
    const char *uri = delta_store_uri(snap->store);
    const dtype *st = snap->schema;
    expr_scope own = {NULL, st};
    if (!scopes) {
        scopes = &own;
        nscopes = 1;
    }
    *out = NULL;
    char **names = NULL, **exprs = NULL;
    size_t n = 0;
    int rc = dml_split_assignments(text, qualifier, &names, &exprs, &n);
    if (rc)
        return delta_error_prefix(rc, "%s of %s: ", op, uri);
    expr **set = delta_calloc(st->num_fields ? st->num_fields : 1, sizeof *set);
    if (!set)
        rc = DELTA_ENOMEM;
    for (size_t a = 0; a < n && !rc; a++) {
        int k = dtype_field_index(st, names[a], false);
        if (k < 0)
            k = dtype_field_index(st, names[a], true);
        if (k < 0) {
            dbuf cols = DBUF_INIT;
            for (uint32_t i = 0; i < st->num_fields; i++)
                dbuf_printf(&cols, "%s%s", i ? ", " : "", st->fields[i].name);
            rc = delta_error_set(DELTA_EINVAL,
                                 "%s of %s: assignment to unknown column '%s' "
                                 "(columns: %s)",
                                 op, uri, names[a], dbuf_cstr(&cols));
            dbuf_free(&cols);
            break;
        }
        if (set[k]) {
            rc = delta_error_set(DELTA_EINVAL, "%s of %s: column '%s' is assigned twice", op, uri,
                                 st->fields[k].name);
            break;
        }
        char what[300];
        snprintf(what, sizeof what, "column '%s'", st->fields[k].name);
        if ((rc = expr_parse(&set[k], exprs[a])) || (rc = expr_bind(set[k], scopes, nscopes)) ||
            (rc = expr_bind_coerce(set[k], st->fields[k].type, what)))
            rc = delta_error_prefix(rc == DELTA_ENOMEM ? rc : DELTA_EINVAL,
                                    "%s of %s: %s = %s: ", op, uri, names[a], exprs[a]);
    }
    dml_free_assignments(names, exprs, n);
    if (rc) {
        for (uint32_t i = 0; set && i < st->num_fields; i++)
            expr_free(set[i]);
        delta_free(set);
        return rc;
    }
    *out = set;
    return 0;
}

/* The end of the quoted text starting at s[i] (the index after it). */
static size_t skip_quoted(const char *s, size_t i)
{
    char q = s[i++];
    while (s[i]) {
        if (s[i] == '\\' && q != '`' && s[i + 1]) {
            i += 2;
            continue;
        }
        if (s[i] == q) {
            if (s[i + 1] == q) { /* doubled quote */
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
    return i;
}

static char *trimmed(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return delta_strndup(s, n);
}

/* The column name of an assignment's left side, unquoted and without the
 * target qualifier. */
static int assignment_name(const char *lhs, const char *qualifier, char **out)
{
    *out = NULL;
    dbuf parts[2] = {DBUF_INIT, DBUF_INIT};
    int np = 0, rc = 0;
    const char *p = lhs;
    while (*p && !rc) {
        if (np == 2) {
            rc = DELTA_EINVAL;
            break;
        }
        if (*p == '`' || *p == '"') {
            char q = *p++;
            while (*p && !(*p == q && p[1] != q)) {
                if (*p == q)
                    p++;
                dbuf_putc(&parts[np], *p++);
            }
            if (*p != q)
                rc = DELTA_EINVAL;
            else
                p++;
        } else {
            while (*p && *p != '.')
                dbuf_putc(&parts[np], *p++);
        }
        np++;
        if (*p == '.')
            p++;
        else if (*p)
            rc = DELTA_EINVAL;
    }
    if (!rc && np == 2 && !(qualifier && dstr_ieq(dbuf_cstr(&parts[0]), qualifier)))
        rc = DELTA_EINVAL;
    if (!rc && (np == 0 || !parts[np - 1].len))
        rc = DELTA_EINVAL;
    if (!rc && !(*out = delta_strdup(dbuf_cstr(&parts[np - 1]))))
        rc = DELTA_ENOMEM;
    dbuf_free(&parts[0]);
    dbuf_free(&parts[1]);
    return rc;
}

void dml_free_assignments(char **names, char **exprs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        delta_free(names ? names[i] : NULL);
        delta_free(exprs ? exprs[i] : NULL);
    }
    delta_free(names);
    delta_free(exprs);
}

int dml_split_assignments(const char *text, const char *qualifier, char ***names_out,
                          char ***exprs_out, size_t *n_out)
{
    *names_out = *exprs_out = NULL;
    *n_out = 0;
    char **names = NULL, **exprs = NULL;
    size_t n = 0;
    int rc = 0;
    size_t start = 0, i = 0, eq = SIZE_MAX;
    int depth = 0;
    for (;;) {
        char c = text[i];
        if (c == '\'' || c == '"' || c == '`') {
            i = skip_quoted(text, i);
            continue;
        }
        if (c == '(')
            depth++;
        else if (c == ')')
            depth--;
        else if (c == '=' && depth == 0 && eq == SIZE_MAX) {
            char prev = i > start ? text[i - 1] : 0;
            bool compound = prev == '<' || prev == '>' || prev == '!' || prev == '=' ||
                            text[i + 1] == '=' || text[i + 1] == '>';
            if (!compound)
                eq = i;
        }
        if ((c == ',' && depth == 0) || c == 0) {
            char *piece = trimmed(text + start, i - start);
            if (!piece) {
                rc = DELTA_ENOMEM;
                break;
            }
            if (!*piece && c == 0 && n == 0) {
                delta_free(piece);
                rc = delta_error_set(DELTA_EINVAL, "no assignment in '%s'", text);
                break;
            }
            char *lhs = NULL, *rhs = NULL, *name = NULL;
            if (eq != SIZE_MAX) {
                lhs = trimmed(text + start, eq - start);
                rhs = trimmed(text + eq + 1, i - eq - 1);
            }
            if (eq == SIZE_MAX || !lhs || !rhs || !*rhs || assignment_name(lhs, qualifier, &name)) {
                rc = delta_error_set(DELTA_EINVAL,
                                     "assignment %zu '%s' is not of the form column = expression",
                                     n + 1, piece);
                delta_free(lhs);
                delta_free(rhs);
                delta_free(piece);
                break;
            }
            delta_free(lhs);
            delta_free(piece);
            char **nn = delta_realloc(names, (n + 1) * sizeof *nn);
            if (nn)
                names = nn;
            char **ne = nn ? delta_realloc(exprs, (n + 1) * sizeof *ne) : NULL;
            if (ne)
                exprs = ne;
            if (!nn || !ne) {
                delta_free(name);
                delta_free(rhs);
                rc = DELTA_ENOMEM;
                break;
            }
            names[n] = name;
            exprs[n] = rhs;
            n++;
            if (c == 0)
                break;
            start = i + 1;
            eq = SIZE_MAX;
        }
        i++;
    }
    if (rc) {
        dml_free_assignments(names, exprs, n);
        return rc;
    }
    *names_out = names;
    *exprs_out = exprs;
    *n_out = n;
    return 0;
}
