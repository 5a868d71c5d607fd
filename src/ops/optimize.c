/*
 * OPTIMIZE (bin-packing): rewrites each partition's small files into
 * files near the target size (rules in delta/optimize.h, invariants and
 * order of work in optimize.h).
 *
 * Files are grouped by their partition values (a key built from each
 * partition column's text, a null and an empty string being the same
 * null). Within a group, files are taken in path order, so the same
 * snapshot is always rewritten the same way. Each group is read with a
 * scan of exactly its files (deletion vectors applied) and written with
 * the table writer, whose files are closed at the end of the group, so a
 * new file never mixes partitions and memory is one group's open file.
 */
#include "ops/optimize.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <delta/table.h>

#include "columnar/vector.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hashmap.h"
#include "core/str.h"
#include "expr/expr.h"
#include "log/actions.h"
#include "log/snapshot.h"
#include "log/txn.h"
#include "table/partition.h"
#include "table/predicate.h"
#include "table/props.h"
#include "table/scan.h"
#include "table/write.h"
#include "ops/zorder.h"
#include "core/threadpool.h"

#include <stdatomic.h>

#define DEFAULT_TARGET_SIZE ((int64_t)128 << 20)
#define MAX_CONCURRENT_TASKS 256

typedef struct group {
    const dlog_live_file **files; /* the small files, path order */
    size_t n, cap;
    bool has_dv;
} group;

typedef struct opt {
    delta_store *store;
    const dlog_snapshot *snap;
    const char *uri;
    int64_t target;
    expr *where; /* bound to the table schema; partition columns only */
    bool *known; /* per table column: a partition column */
    group *groups;
    size_t ngroups, cap_groups;
    dmap *by_key; /* partition key -> group index + 1 */
    dops_zorder *zorder; /* Z-order: every file of a partition is rewritten */
    const delta_optimize_options *oo;
    size_t tasks;        /* groups rewritten at once (1: serially) */
    atomic_bool failed;  /* a group failed: the others not started yet are skipped */
    dmap *only;          /* auto compaction: the partition keys to consider, or NULL */
    size_t min_files;    /* auto compaction: small files a partition needs (0: 2) */
} opt;

/* One group's rewrite: its own writer (the writer is not thread-safe) and
 * Z-order sort state, its figures, so groups can run on worker threads. */
typedef struct job {
    opt *o;
    const group *g;
    dtab_writer *w;
    int64_t rows, spilled;
} job;

static int cmp_files(const void *a, const void *b)
{
    const dlog_live_file *x = *(const dlog_live_file *const *)a;
    const dlog_live_file *y = *(const dlog_live_file *const *)b;
    return strcmp(x->canonical, y->canonical);
}

static bool is_partition_column(const dlog_snapshot *s, const char *name)
{
    for (size_t p = 0; p < s->metadata.num_partition_columns; p++)
        if (dstr_ieq(s->metadata.partition_columns[p], name))
            return true;
    return false;
}

/* Binds --where, refusing columns that are not partition columns. */
static int bind_where(opt *o, const char *where)
{
    const dlog_snapshot *s = o->snap;
    uint32_t *cols = NULL;
    size_t ncols = 0;
    int rc = dtab_pred_columns(s, where, &cols, &ncols);
    if (rc) /* a predicate that cannot be used is a bad option */
        return delta_error_prefix(rc == DELTA_ENOMEM ? rc : DELTA_EINVAL, "optimize of %s: ",
                                  o->uri);
    for (size_t i = 0; i < ncols; i++) {
        const char *name = s->schema->fields[cols[i]].name;
        if (is_partition_column(s, name))
            continue;
        dbuf parts = DBUF_INIT;
        for (size_t p = 0; p < s->metadata.num_partition_columns; p++)
            dbuf_printf(&parts, "%s%s", p ? ", " : "", s->metadata.partition_columns[p]);
        rc = delta_error_set(DELTA_EINVAL,
                             "optimize of %s: --where '%s': column '%s' is not a partition "
                             "column; optimize filters whole partitions only (%s%s)",
                             o->uri, where, name,
                             parts.len ? "partition columns: " : "the table is not partitioned",
                             parts.len ? dbuf_cstr(&parts) : "");
        dbuf_free(&parts);
        delta_free(cols);
        return rc;
    }
    delta_free(cols);
    expr_scope sc = {NULL, s->schema};
    if ((rc = expr_parse(&o->where, where)) || (rc = expr_bind(o->where, &sc, 1)))
        return delta_error_prefix(rc == DELTA_ENOMEM ? rc : DELTA_EINVAL,
                                  "optimize of %s: --where '%s': ", o->uri, where);
    o->known = delta_calloc(s->schema->num_fields ? s->schema->num_fields : 1, sizeof *o->known);
    if (!o->known)
        return DELTA_ENOMEM;
    for (uint32_t i = 0; i < s->schema->num_fields; i++)
        o->known[i] = is_partition_column(s, s->schema->fields[i].name);
    return 0;
}

/* Whether the file's partition satisfies --where (TRUE). */
static int selected(opt *o, const dlog_live_file *lf, bool *out)
{
    *out = true;
    if (!o->where)
        return 0;
    int rc = dtab_partition_pred_true(o->where->root, o->snap, o->known, lf, out);
    if (rc)
        return delta_error_prefix(rc, "optimize of %s: %s: ", o->uri, lf->add.path);
    return 0;
}

/* Puts a small file into its partition's group. */
static int add_to_group(opt *o, const dlog_live_file *lf, dbuf *key)
{
    int krc = dtab_partition_key(&o->snap->metadata, &lf->add.partition_values, key);
    if (krc)
        return krc;
    void *gi;
    group *g;
    if (dmap_sget(o->by_key, dbuf_cstr(key), &gi)) {
        g = &o->groups[(intptr_t)gi - 1];
    } else {
        if (o->ngroups == o->cap_groups) {
            size_t cap = o->cap_groups ? o->cap_groups * 2 : 16;
            group *n = delta_realloc(o->groups, cap * sizeof *n);
            if (!n)
                return DELTA_ENOMEM;
            o->groups = n;
            o->cap_groups = cap;
        }
        g = &o->groups[o->ngroups++];
        memset(g, 0, sizeof *g);
        int rc = dmap_sput(o->by_key, dbuf_cstr(key), (void *)(intptr_t)o->ngroups, NULL);
        if (rc)
            return rc;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        const dlog_live_file **n = delta_realloc(g->files, cap * sizeof *n);
        if (!n)
            return DELTA_ENOMEM;
        g->files = n;
        g->cap = cap;
    }
    g->files[g->n++] = lf;
    g->has_dv = g->has_dv || lf->add.has_dv;
    return 0;
}

static bool rewritten(const opt *o, const group *g)
{
    if (o->min_files)
        return g->n >= o->min_files;
    return g->n >= 2 || (g->n == 1 && (g->has_dv || o->zorder));
}

/* Reads one group's files and writes their rows. */
static int rewrite_group(opt *o, dops_zorder *z, dtab_writer *w, const group *g, int64_t *rows,
                         int64_t *spilled)
{
    if (z)
        return dops_zorder_rewrite(z, w, g->files, g->n, &g->files[0]->add.partition_values,
                                   rows, spilled);
    dtab_scan_opts so = DTAB_SCAN_OPTS_INIT;
    so.files = g->files;
    so.num_files = g->n;
    dstream *s = NULL;
    int rc = dtab_scan_open(&s, o->snap, &so);
    const dlog_map *pv = &g->files[0]->add.partition_values;
    while (!rc) {
        dvec *b = NULL;
        rc = s->next(s, &b);
        if (rc || !b)
            break;
        rc = dtab_writer_write(w, pv, b);
        *rows += b->length;
        dvec_unref(b);
    }
    if (s)
        s->free(s);
    if (!rc)
        rc = dtab_writer_finish(w);
    return rc;
}

/* Rewrites one group (a dpool task, or called directly when serial). The
 * Z-order state is the group's own (it keeps the partition's ranges),
 * with the sort budget shared out between the tasks running at once. */
static int run_job(void *arg)
{
    job *j = arg;
    opt *o = j->o;
    if (atomic_load(&o->failed))
        return 0; /* the first failure is what is reported */
    dops_zorder *z = NULL;
    int rc = dtab_writer_new(&j->w, o->store, o->snap, o->target);
    if (!rc && o->zorder) {
        int64_t mem = o->oo->zorder_memory > 0 ? o->oo->zorder_memory : DOPS_ZORDER_DEFAULT_MEMORY;
        mem /= (int64_t)o->tasks;
        rc = dops_zorder_new(&z, o->snap, o->oo->zorder_by, o->oo->num_zorder_by,
                             mem > 0 ? mem : 1, o->oo->spill_dir, o->uri);
    }
    if (!rc)
        rc = rewrite_group(o, z, j->w, j->g, &j->rows, &j->spilled);
    dops_zorder_free(z);
    if (rc) {
        atomic_store(&o->failed, true);
        rc = delta_error_prefix(rc, "optimize of %s: ", o->uri);
    }
    return rc;
}

static int cmp_adds(const void *a, const void *b)
{
    const dlog_action *x = *(const dlog_action *const *)a;
    const dlog_action *y = *(const dlog_action *const *)b;
    return strcmp(x->u.add.path, y->u.add.path);
}

/* Runs the jobs, on o->tasks worker threads when more than one. */
static int run_jobs(opt *o, job *jobs, size_t njobs)
{
    if (o->tasks <= 1) {
        for (size_t i = 0; i < njobs; i++) {
            int rc = run_job(&jobs[i]);
            if (rc)
                return rc;
        }
        return 0;
    }
    dpool *pool = NULL;
    int rc = dpool_new(&pool, o->tasks, njobs);
    for (size_t i = 0; !rc && i < njobs; i++)
        rc = dpool_submit(pool, run_job, &jobs[i]);
    if (pool) {
        int wrc = dpool_wait(pool);
        rc = rc ? rc : wrc;
    }
    dpool_free(pool);
    return rc;
}

static void set_num(json_t *o, const char *key, int64_t v)
{
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, v);
    json_object_set_new(o, key, json_string(num));
}

static int target_of(const dlog_snapshot *s, const delta_optimize_options *o, const char *uri,
                     int64_t *out)
{
    *out = o->target_size;
    if (*out > 0)
        return 0;
    const char *ts = dlog_snapshot_property(s, "delta.targetFileSize");
    *out = DEFAULT_TARGET_SIZE;
    if (ts && (dtab_parse_bytes(ts, out) || *out <= 0))
        return delta_error_set(DELTA_EINVAL,
                               "optimize of %s: delta.targetFileSize '%s' is not a size in bytes",
                               uri, ts);
    return 0;
}

static int optimize_impl(delta_store *table, const dlog_snapshot *snap,
                         const delta_optimize_options *opts, const dlog_tx_opts *tx_opts,
                         const char *const *keys, size_t nkeys, size_t min_files,
                         delta_optimize_result *out)
{
    delta_optimize_options defaults = DELTA_OPTIMIZE_OPTIONS_INIT;
    const delta_optimize_options *oo = opts ? opts : &defaults;
    delta_optimize_result res;
    memset(&res, 0, sizeof res);
    res.version = -1;
    res.read_version = snap->version;
    if (out)
        *out = res;
    opt o;
    memset(&o, 0, sizeof o);
    o.store = table;
    o.snap = snap;
    o.uri = delta_store_uri(table);
    if (oo->version < 1 || oo->version > DELTA_OPTIMIZE_OPTIONS_VERSION)
        return delta_error_set(DELTA_EINVAL, "optimize options: unknown version %u", oo->version);
    /* a version 1 caller's struct ends after target_size */
    delta_optimize_options v1 = DELTA_OPTIMIZE_OPTIONS_INIT;
    if (oo->version == 1) {
        v1.where = oo->where;
        v1.target_size = oo->target_size;
        oo = &v1;
    }
    if (!snap->schema)
        return delta_error_set(DELTA_EINVAL, "optimize of %s: the table has no schema", o.uri);
    o.oo = oo;
    o.tasks = 1;
    atomic_init(&o.failed, false);
    if (oo->version >= 2) {
        if (oo->max_concurrent_tasks < 0 || oo->max_concurrent_tasks > MAX_CONCURRENT_TASKS)
            return delta_error_set(DELTA_EINVAL,
                                   "optimize of %s: max_concurrent_tasks %d is not between 0 "
                                   "and %d",
                                   o.uri, oo->max_concurrent_tasks, MAX_CONCURRENT_TASKS);
        if (oo->max_concurrent_tasks > 1)
            o.tasks = (size_t)oo->max_concurrent_tasks;
    }

    const dlog_live_file **all = NULL;
    job *jobs = NULL;
    size_t njobs_made = 0;
    dlog_action **adds = NULL;
    dlog_tx *tx = NULL;
    char *params = NULL, *metrics = NULL;
    dbuf key = DBUF_INIT;
    bool committed = false;
    int rc = target_of(snap, oo, o.uri, &o.target);
    if (rc)
        goto cleanup;
    res.target_size = o.target;
    if (oo->where && (rc = bind_where(&o, oo->where)))
        goto cleanup;
    if (oo->num_zorder_by &&
        (rc = dops_zorder_new(&o.zorder, snap, oo->zorder_by, oo->num_zorder_by,
                              oo->zorder_memory, oo->spill_dir, o.uri)))
        goto cleanup;

    /* the files, in path order, grouped by partition */
    size_t nall = dlog_snapshot_num_files(snap), k = 0;
    all = delta_calloc(nall ? nall : 1, sizeof *all);
    if (!all || (rc = dmap_new(&o.by_key, 16))) {
        rc = rc ? rc : DELTA_ENOMEM;
        goto cleanup;
    }
    if (keys) {
        o.min_files = min_files < 2 ? 2 : min_files;
        if ((rc = dmap_new(&o.only, nkeys ? nkeys : 1)))
            goto cleanup;
        for (size_t i = 0; i < nkeys; i++)
            if ((rc = dmap_sput(o.only, keys[i], (void *)1, NULL)))
                goto cleanup;
    }
    size_t it = 0;
    const dlog_live_file *lf;
    while (k < nall && dlog_snapshot_next_file(snap, &it, &lf))
        all[k++] = lf;
    nall = k;
    qsort(all, nall, sizeof *all, cmp_files);
    res.total_files = (int64_t)nall;
    for (size_t i = 0; i < nall; i++) {
        bool sel;
        if ((rc = selected(&o, all[i], &sel)))
            goto cleanup;
        if (sel && o.only) {
            if ((rc = dtab_partition_key(&snap->metadata, &all[i]->add.partition_values, &key)))
                goto cleanup;
            sel = dmap_sget(o.only, dbuf_cstr(&key), NULL);
        }
        if (!sel)
            continue;
        res.total_considered_files++;
        if (!o.zorder && all[i]->add.size >= o.target) {
            res.total_files_skipped++;
            continue;
        }
        if ((rc = add_to_group(&o, all[i], &key)))
            goto cleanup;
    }
    for (size_t i = 0; i < o.ngroups; i++)
        if (!rewritten(&o, &o.groups[i]))
            res.total_files_skipped += (int64_t)o.groups[i].n;

    /* read and write: one job per group rewritten */
    size_t njobs = 0;
    for (size_t i = 0; i < o.ngroups; i++)
        njobs += rewritten(&o, &o.groups[i]) ? 1 : 0;
    if (!njobs)
        goto cleanup;
    jobs = delta_calloc(njobs, sizeof *jobs);
    if (!jobs) {
        rc = DELTA_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0, n = 0; i < o.ngroups; i++)
        if (rewritten(&o, &o.groups[i]))
            jobs[n++] = (job){&o, &o.groups[i], NULL, 0, 0};
    njobs_made = njobs;
    o.tasks = o.tasks > njobs ? njobs : o.tasks;
    if ((rc = run_jobs(&o, jobs, njobs)))
        goto cleanup;
    for (size_t i = 0; i < njobs; i++) {
        res.num_rows += jobs[i].rows;
        res.zorder_runs_spilled += jobs[i].spilled;
        res.partitions_optimized++;
    }

    /* the commit */
    if ((rc = dlog_tx_begin(&tx, table, snap, tx_opts)))
        goto cleanup;
    for (size_t i = 0; i < njobs; i++) {
        const group *g = jobs[i].g;
        for (size_t j = 0; j < g->n; j++) {
            if ((rc = dlog_tx_remove_file(tx, g->files[j], false)))
                goto cleanup;
            res.num_files_removed++;
            res.num_removed_bytes += g->files[j]->add.size;
            res.num_dvs_removed += g->files[j]->add.has_dv ? 1 : 0;
        }
    }
    /* the adds of every job, in path order whatever order the jobs ran in */
    size_t nadds = 0;
    for (size_t i = 0; i < njobs; i++) {
        size_t n;
        dtab_writer_adds(jobs[i].w, &n);
        nadds += n;
    }
    adds = delta_calloc(nadds ? nadds : 1, sizeof *adds);
    if (!adds) {
        rc = DELTA_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0, k2 = 0; i < njobs; i++) {
        size_t n;
        dlog_action *a = dtab_writer_adds(jobs[i].w, &n);
        for (size_t j = 0; j < n; j++)
            adds[k2++] = &a[j];
    }
    qsort(adds, nadds, sizeof *adds, cmp_adds);
    for (size_t i = 0; i < nadds; i++) {
        int64_t size = adds[i]->u.add.size;
        res.num_files_added++;
        res.num_added_bytes += size;
        if (i == 0 || size < res.min_file_size)
            res.min_file_size = size;
        if (size > res.max_file_size)
            res.max_file_size = size;
        adds[i]->u.add.data_change = false;
        if ((rc = dlog_tx_stage(tx, adds[i])))
            goto cleanup;
    }
    json_t *pj = json_object();
    json_t *pa = json_array();
    if (oo->where)
        json_array_append_new(pa, json_string(oo->where));
    char *pa_text = dlog_json_text(pa);
    json_decref(pa);
    json_object_set_new(pj, "predicate", json_string(pa_text ? pa_text : "[]"));
    json_t *za = json_array();
    for (size_t i = 0; o.zorder && i < dops_zorder_num_columns(o.zorder); i++)
        json_array_append_new(za, json_string(dops_zorder_column(o.zorder, i)));
    char *za_text = dlog_json_text(za);
    json_decref(za);
    json_object_set_new(pj, "zOrderBy", json_string(za_text ? za_text : "[]"));
    if (o.only) /* auto compaction, as Delta marks it */
        json_object_set_new(pj, "auto", json_true());
    delta_free(za_text);
    delta_free(pa_text);
    params = dlog_json_text(pj);
    json_decref(pj);
    json_t *mj = json_object();
    set_num(mj, "numRemovedFiles", res.num_files_removed);
    set_num(mj, "numRemovedBytes", res.num_removed_bytes);
    set_num(mj, "numAddedFiles", res.num_files_added);
    set_num(mj, "numAddedBytes", res.num_added_bytes);
    set_num(mj, "minFileSize", res.min_file_size);
    set_num(mj, "maxFileSize", res.max_file_size);
    set_num(mj, "numDeletionVectorsRemoved", res.num_dvs_removed);
    set_num(mj, "numFilesAdded", res.num_files_added);
    set_num(mj, "numFilesRemoved", res.num_files_removed);
    set_num(mj, "partitionsOptimized", res.partitions_optimized);
    set_num(mj, "totalConsideredFiles", res.total_considered_files);
    set_num(mj, "totalFilesSkipped", res.total_files_skipped);
    set_num(mj, "totalFiles", res.total_files);
    set_num(mj, "numOutputRows", res.num_rows);
    if (o.zorder) {
        json_t *zs = json_object();
        json_object_set_new(zs, "strategyName", json_string("all"));
        json_object_set_new(zs, "inputCubeFiles", json_pack("{s:I,s:I}", "num", (json_int_t)0,
                                                            "size", (json_int_t)0));
        json_object_set_new(zs, "inputOtherFiles",
                            json_pack("{s:I,s:I}", "num", (json_int_t)res.num_files_removed,
                                      "size", (json_int_t)res.num_removed_bytes));
        json_object_set_new(zs, "inputNumCubes", json_integer(0));
        json_object_set_new(zs, "mergedFiles",
                            json_pack("{s:I,s:I}", "num", (json_int_t)res.num_files_removed,
                                      "size", (json_int_t)res.num_removed_bytes));
        json_object_set_new(zs, "numOutputCubes", json_integer(res.partitions_optimized));
        json_object_set_new(zs, "numSpilledRuns", json_integer(res.zorder_runs_spilled));
        char *zs_text = dlog_json_text(zs);
        json_decref(zs);
        json_object_set_new(mj, "zOrderStats", json_string(zs_text ? zs_text : "{}"));
        delta_free(zs_text);
    }
    metrics = dlog_json_text(mj);
    json_decref(mj);
    if (!params || !metrics) {
        rc = DELTA_ENOMEM;
        goto cleanup;
    }
    if ((rc = dlog_tx_set_operation(tx, "OPTIMIZE", params, metrics)))
        goto cleanup;
    dlog_commit_result cr;
    if ((rc = dlog_tx_commit(tx, &cr))) {
        rc = delta_error_prefix(rc, "optimize of %s: ", o.uri);
        goto cleanup;
    }
    committed = true;
    res.version = cr.version;

cleanup:
    if (rc) {
        /* keep the error message across cleanup */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", delta_error_last());
        dlog_tx_free(tx);
        for (size_t i = 0; i < njobs_made; i++)
            dtab_writer_free(jobs[i].w, true);
        delta_error_set(rc, "%s", msg);
        res.version = -1;
    } else {
        dlog_tx_free(tx);
        for (size_t i = 0; i < njobs_made; i++)
            dtab_writer_free(jobs[i].w, !committed);
    }
    delta_free(jobs);
    delta_free(adds);
    if (out)
        *out = res;
    for (size_t i = 0; i < o.ngroups; i++)
        delta_free(o.groups[i].files);
    delta_free(o.groups);
    dmap_free(o.by_key);
    dmap_free(o.only);
    expr_free(o.where);
    dops_zorder_free(o.zorder);
    delta_free(o.known);
    delta_free(all);
    delta_free(params);
    delta_free(metrics);
    dbuf_free(&key);
    return rc;
}

int dops_optimize_at(delta_store *table, const dlog_snapshot *snap,
                     const delta_optimize_options *opts, const dlog_tx_opts *tx_opts,
                     delta_optimize_result *out)
{
    return optimize_impl(table, snap, opts, tx_opts, NULL, 0, 0, out);
}

int dops_optimize_partitions(delta_store *table, const dlog_snapshot *snap,
                             const char *const *keys, size_t nkeys, size_t min_files,
                             const dlog_tx_opts *tx_opts, delta_optimize_result *out)
{
    return optimize_impl(table, snap, NULL, tx_opts, keys ? keys : (const char *const[]){""},
                         keys ? nkeys : 0, min_files, out);
}

int dops_optimize(delta_store *table, const delta_optimize_options *opts,
                  const dlog_tx_opts *tx_opts, delta_optimize_result *out)
{
    dlog_snapshot *snap = NULL;
    int rc = dlog_snapshot_open(&snap, table, NULL);
    if (!rc)
        rc = dops_optimize_at(table, snap, opts, tx_opts, out);
    else if (out) {
        memset(out, 0, sizeof *out);
        out->version = out->read_version = -1;
    }
    dlog_snapshot_free(snap);
    return rc;
}

int delta_table_optimize(delta_table *t, const delta_optimize_options *opts,
                         delta_optimize_result *out)
{
    if (!t)
        return delta_error_set(DELTA_EINVAL, "optimize: no table");
    delta_store *s = NULL;
    int rc = delta_store_open(&s, delta_table_uri(t));
    if (!rc)
        rc = dops_optimize(s, opts, NULL, out);
    delta_store_free(s);
    return rc;
}
