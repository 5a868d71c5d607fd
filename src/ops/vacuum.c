/*
 * VACUUM: deletes the files of a table that no version inside the
 * retention window references (rules in delta/vacuum.h, invariants and
 * order of work in vacuum.h).
 *
 * References are collected into one set of keys relative to the table
 * root: the live files of the latest snapshot and their deletion vector
 * files, and the files (and deletion vectors) of every tombstone whose
 * deletionTimestamp is inside the window. A tombstone without a
 * deletionTimestamp counts as expired, as in Delta. Note that a tombstone
 * whose key differs from a live file only by its deletion vector (a DV
 * update rewrites the add) names a data file that is still live: the set
 * is of paths, so that file stays.
 */
#include "ops/vacuum.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <delta/table.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/dtime.h"
#include "core/error.h"
#include "core/hashmap.h"
#include "core/str.h"
#include "log/checkpoint.h"
#include "log/path.h"
#include "log/snapshot.h"
#include "log/txn.h"
#include "table/dv.h"

#define HOUR_MS INT64_C(3600000)
#define DEFAULT_RETENTION_MS (168 * HOUR_MS)

typedef struct cand {
    char *key;
    int64_t size;
    int64_t mtime_ms;
} cand;

typedef struct vac {
    delta_store *store;
    dlog_snapshot *snap;
    const delta_vacuum_options *o;
    int64_t now_ms;
    int64_t cutoff_ms;
    dmap *refs;    /* keys referenced inside the window -> NULL */
    dmap *expired; /* lite: keys of expired removes -> NULL */
    cand *cands;
    size_t num_cands, cap_cands;
    dbuf canon;
    dbuf dvpath;
} vac;

bool dops_vacuum_hidden(const char *key, char *const *partition_columns, size_t num_partition_columns)
{
    const char *seg = key;
    for (size_t depth = 0;; depth++) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len > 0 && (seg[0] == '_' || seg[0] == '.')) {
            if (!slash)
                return true; /* a hidden file */
            bool allowed = depth == 0 && len == 12 && memcmp(seg, "_change_data", 12) == 0;
            for (size_t i = 0; !allowed && i < num_partition_columns; i++) {
                size_t cl = strlen(partition_columns[i]);
                allowed = cl > 0 && len > cl && memcmp(seg, partition_columns[i], cl) == 0 &&
                          seg[cl] == '=';
            }
            if (!allowed)
                return true; /* _delta_log/ and other engines' folders */
        }
        if (!slash)
            return false;
        seg = slash + 1;
    }
}

static bool hidden(const vac *v, const char *key)
{
    return dops_vacuum_hidden(key, v->snap->metadata.partition_columns,
                              v->snap->metadata.num_partition_columns);
}

/* Adds the canonical form of a log path to `set` when it is inside the
 * root (relative); absolute paths name files elsewhere and are ignored. */
static int add_path(vac *v, dmap *set, const char *raw)
{
    dbuf_reset(&v->canon);
    int rc = dlog_canonical_path(v->snap->root_local, raw, &v->canon);
    if (rc)
        return delta_error_prefix(rc, "vacuum: ");
    const char *key = dbuf_cstr(&v->canon);
    if (dlog_path_is_absolute(key))
        return 0;
    return dmap_sput(set, key, NULL, NULL);
}

static int add_dv(vac *v, dmap *set, bool has_dv, const dlog_dv *dv)
{
    if (!has_dv || dv->storage_type == 'i')
        return 0;
    dbuf_reset(&v->dvpath);
    int rc = dtab_dv_file(dv, &v->dvpath);
    if (rc)
        return delta_error_prefix(rc, "vacuum: deletion vector: ");
    return add_path(v, set, dbuf_cstr(&v->dvpath));
}

static int collect_refs(vac *v)
{
    int rc;
    size_t it = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(v->snap, &it, &f)) {
        if (!dlog_path_is_absolute(f->canonical) &&
            (rc = dmap_sput(v->refs, f->canonical, NULL, NULL)))
            return rc;
        if ((rc = add_dv(v, v->refs, f->add.has_dv, &f->add.dv)))
            return rc;
    }
    it = 0;
    void *val;
    while (dmap_next(v->snap->tombstones, &it, NULL, NULL, &val)) {
        const dlog_tombstone *t = val;
        int64_t ts = t->remove.has_deletion_timestamp ? t->remove.deletion_timestamp : 0;
        dmap *set = ts >= v->cutoff_ms ? v->refs : v->expired;
        if (!set)
            continue;
        if ((rc = add_path(v, set, t->remove.path)) ||
            (rc = add_dv(v, set, t->remove.has_dv, &t->remove.dv)))
            return rc;
    }
    return 0;
}

static int push_cand(vac *v, const char *key, int64_t size, int64_t mtime_ms)
{
    if (v->num_cands == v->cap_cands) {
        size_t cap = v->cap_cands ? v->cap_cands * 2 : 64;
        cand *n = delta_realloc(v->cands, cap * sizeof *n);
        if (!n)
            return DELTA_ENOMEM;
        v->cands = n;
        v->cap_cands = cap;
    }
    char *k = delta_strdup(key);
    if (!k)
        return DELTA_ENOMEM;
    v->cands[v->num_cands++] = (cand){k, size, mtime_ms};
    return 0;
}

/* Whether a key found is deletable: not hidden, not referenced, old. */
static bool deletable(const vac *v, const char *key, int64_t mtime_ms)
{
    return !hidden(v, key) && !dmap_sget(v->refs, key, NULL) && mtime_ms < v->cutoff_ms;
}

static int find_by_listing(vac *v)
{
    delta_object_list list = {0};
    int rc = delta_store_list(v->store, "", NULL, DELTA_LIST_RECURSIVE, &list);
    for (size_t i = 0; !rc && i < list.count; i++) {
        const delta_object_info *o = &list.items[i];
        if (deletable(v, o->key, o->mtime_ms))
            rc = push_cand(v, o->key, o->size, o->mtime_ms);
    }
    delta_object_list_free(&list);
    return rc;
}

static int cmp_cand(const void *a, const void *b)
{
    return strcmp(((const cand *)a)->key, ((const cand *)b)->key);
}

static int find_by_log(vac *v)
{
    size_t it = 0;
    const void *k;
    size_t klen;
    while (dmap_next(v->expired, &it, &k, &klen, NULL)) {
        char *key = delta_malloc(klen + 1);
        if (!key)
            return DELTA_ENOMEM;
        memcpy(key, k, klen);
        key[klen] = '\0';
        int rc = 0;
        if (!hidden(v, key) && !dmap_sget(v->refs, key, NULL) && !delta_store_check_key(key)) {
            delta_object_info info = {0};
            rc = delta_store_head(v->store, key, &info);
            if (rc == DELTA_ENOTFOUND)
                rc = 0; /* already gone */
            else if (!rc && info.mtime_ms < v->cutoff_ms)
                rc = push_cand(v, key, info.size, info.mtime_ms);
        }
        delta_free(key);
        if (rc)
            return rc;
    }
    if (v->num_cands > 1)
        qsort(v->cands, v->num_cands, sizeof *v->cands, cmp_cand);
    return 0;
}

static int64_t fixed_clock(void *ctx)
{
    return *(const int64_t *)ctx;
}

/* Commits a version holding only a commitInfo with this operation. */
static int log_commit(vac *v, const char *operation, const char *params, const char *metrics,
                      int64_t *version)
{
    dlog_tx_opts to = DLOG_TX_OPTS_INIT;
    if (v->o->now_ms) {
        to.clock_ms = fixed_clock;
        to.clock_ctx = &v->now_ms;
    }
    dlog_tx *tx = NULL;
    dlog_commit_result r;
    int rc = dlog_tx_begin(&tx, v->store, v->snap, &to);
    if (!rc) {
        dlog_tx_allow_empty(tx);
        rc = dlog_tx_set_operation(tx, operation, params, metrics);
    }
    if (!rc)
        rc = dlog_tx_commit(tx, &r);
    if (!rc)
        *version = r.version;
    dlog_tx_free(tx);
    return rc;
}

static int cmp_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

/* Removes the folders (local roots only) that deleting left empty,
 * deepest first; a folder still holding anything stays. */
static int64_t remove_empty_dirs(vac *v, const bool *deleted)
{
    const char *root = v->snap->root_local;
    if (!root)
        return 0;
    dmap *dirs = NULL;
    if (dmap_new(&dirs, 0))
        return 0;
    for (size_t i = 0; i < v->num_cands; i++) {
        if (!deleted[i])
            continue;
        /* every ancestor folder of the key, "a/b/c.parquet" -> "a/b", "a" */
        char *key = v->cands[i].key;
        size_t len = strlen(key);
        while (len > 0) {
            while (len > 0 && key[len - 1] != '/')
                len--;
            if (len == 0)
                break;
            len--; /* drop the '/' */
            if (dmap_put(dirs, key, len, NULL, NULL))
                break;
        }
    }
    /* Gather, sort descending so children come before their parents. */
    size_t n = dmap_count(dirs), k = 0;
    char **list = n ? delta_calloc(n, sizeof *list) : NULL;
    int64_t removed = 0;
    if (n && !list)
        goto done;
    size_t it = 0;
    const void *kp;
    size_t klen;
    while (dmap_next(dirs, &it, &kp, &klen, NULL)) {
        char *d = delta_malloc(klen + 1);
        if (!d)
            goto done;
        memcpy(d, kp, klen);
        d[klen] = '\0';
        list[k++] = d;
    }
    /* descending: a folder sorts after its parent, so children go first */
    if (k > 1)
        qsort(list, k, sizeof *list, cmp_desc);
    dbuf path = DBUF_INIT;
    for (size_t i = 0; i < k; i++) {
        dbuf_reset(&path);
        dbuf_printf(&path, "%s/", root);
        dbuf_append(&path, list[i], strlen(list[i]));
        if (!path.err && rmdir(dbuf_cstr(&path)) == 0)
            removed++;
    }
    dbuf_free(&path);
done:
    for (size_t i = 0; i < k; i++)
        delta_free(list[i]);
    delta_free(list);
    dmap_free(dirs);
    return removed;
}

static int table_retention(const dlog_snapshot *s, int64_t *out_ms)
{
    const char *p = dlog_snapshot_property(s, "delta.deletedFileRetentionDuration");
    *out_ms = DEFAULT_RETENTION_MS;
    if (!p)
        return 0;
    int rc = dlog_parse_interval_ms(p, out_ms);
    if (rc)
        return delta_error_prefix(rc, "vacuum of %s: delta.deletedFileRetentionDuration: ",
                                  delta_store_uri(s->store));
    return 0;
}

static void fmt_hours(char *buf, size_t cap, int64_t ms)
{
    if (ms % HOUR_MS == 0)
        snprintf(buf, cap, "%" PRId64 " h", ms / HOUR_MS);
    else
        snprintf(buf, cap, "%.3f h", (double)ms / (double)HOUR_MS);
}

int dops_vacuum(delta_store *table, const delta_vacuum_options *opts, delta_vacuum_result *out)
{
    delta_vacuum_options defaults = DELTA_VACUUM_OPTIONS_INIT;
    const delta_vacuum_options *o = opts ? opts : &defaults;
    const char *uri = delta_store_uri(table);
    delta_vacuum_result res = {0};
    res.start_version = res.end_version = res.table_version = -1;
    if (out)
        *out = res;
    if (o->version < 1 || o->version > DELTA_VACUUM_OPTIONS_VERSION)
        return delta_error_set(DELTA_EINVAL, "vacuum options: unknown version %u", o->version);
    if (isnan(o->retention_hours) || o->retention_hours > 1e9)
        return delta_error_set(DELTA_EINVAL, "vacuum of %s: retention of %g hours is not valid",
                               uri, o->retention_hours);

    vac v = {0};
    v.store = table;
    v.o = o;
    v.canon = (dbuf)DBUF_INIT;
    v.dvpath = (dbuf)DBUF_INIT;
    bool *deleted = NULL;
    int rc = dlog_snapshot_open(&v.snap, table, NULL);
    if (rc)
        goto cleanup;
    if ((rc = dlog_protocol_check_write(&v.snap->protocol))) {
        rc = delta_error_prefix(rc, "vacuum of %s: ", uri);
        goto cleanup;
    }
    res.table_version = v.snap->version;
    int64_t table_ms;
    if ((rc = table_retention(v.snap, &table_ms)))
        goto cleanup;
    int64_t retention_ms = o->retention_hours < 0
                               ? table_ms
                               : (int64_t)llround(o->retention_hours * (double)HOUR_MS);
    res.retention_ms = retention_ms;
    if (retention_ms < table_ms && !o->force_unsafe_retention) {
        char want[32], have[32];
        fmt_hours(want, sizeof want, retention_ms);
        fmt_hours(have, sizeof have, table_ms);
        rc = delta_error_set(
            DELTA_EPERM,
            "vacuum of %s: a retention of %s is below the table's "
            "delta.deletedFileRetentionDuration (%s). It would delete files that time travel "
            "to versions of the last %s still needs, and files that readers and writers "
            "running now may still be using, so those reads and commits could fail or lose "
            "data. Use a retention of at least %s, or force it (--force-unsafe-retention) if "
            "no reader or writer is active and older versions are not needed",
            uri, want, have, have, have);
        goto cleanup;
    }
    v.now_ms = o->now_ms ? o->now_ms : dtime_now_ms();
    v.cutoff_ms = v.now_ms - retention_ms;
    res.cutoff_ms = v.cutoff_ms;
    if ((rc = dmap_new(&v.refs, dlog_snapshot_num_files(v.snap) * 2 + 16)))
        goto cleanup;
    if (o->lite && (rc = dmap_new(&v.expired, 0)))
        goto cleanup;
    if ((rc = collect_refs(&v)))
        goto cleanup;
    if ((rc = o->lite ? find_by_log(&v) : find_by_listing(&v)))
        goto cleanup;
    for (size_t i = 0; i < v.num_cands; i++) {
        res.num_files++;
        res.num_bytes += v.cands[i].size;
    }

    if (o->dry_run) {
        for (size_t i = 0; i < v.num_cands; i++) {
            const cand *c = &v.cands[i];
            delta_vacuum_file f = {c->key, c->size, c->mtime_ms, v.now_ms - c->mtime_ms};
            if (o->on_file && o->on_file(o->ctx, &f)) {
                rc = delta_error_set(DELTA_ECANCELED, "vacuum of %s: stopped by the caller", uri);
                goto cleanup;
            }
        }
        goto cleanup;
    }

    /* VACUUM START */
    char params[256], metrics[256];
    char specified[64] = "";
    if (o->retention_hours >= 0)
        snprintf(specified, sizeof specified, ",\"specifiedRetentionMillis\":%" PRId64,
                 retention_ms);
    snprintf(params, sizeof params,
             "{\"retentionCheckEnabled\":%s,\"defaultRetentionMillis\":%" PRId64
             "%s,\"vacuumType\":\"%s\"}",
             o->force_unsafe_retention ? "false" : "true", table_ms, specified,
             o->lite ? "LITE" : "FULL");
    snprintf(metrics, sizeof metrics,
             "{\"numFilesToDelete\":\"%" PRId64 "\",\"sizeOfDataToDelete\":\"%" PRId64 "\"}",
             res.num_files, res.num_bytes);
    if ((rc = log_commit(&v, "VACUUM START", params, metrics, &res.start_version)))
        goto cleanup;

    deleted = v.num_cands ? delta_calloc(v.num_cands, sizeof *deleted) : NULL;
    if (v.num_cands && !deleted) {
        rc = DELTA_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < v.num_cands; i++) {
        const cand *c = &v.cands[i];
        delta_vacuum_file f = {c->key, c->size, c->mtime_ms, v.now_ms - c->mtime_ms};
        if (o->on_file && o->on_file(o->ctx, &f)) {
            rc = delta_error_set(DELTA_ECANCELED, "vacuum of %s: stopped by the caller", uri);
            break;
        }
        int drc = delta_store_delete(table, c->key);
        if (drc == DELTA_ENOTFOUND)
            continue; /* deleted meanwhile (another vacuum) */
        if (drc) {
            rc = delta_error_prefix(drc, "vacuum of %s: ", uri);
            break;
        }
        deleted[i] = true;
        res.files_deleted++;
        res.bytes_deleted += c->size;
    }
    if (!rc)
        res.dirs_deleted = remove_empty_dirs(&v, deleted);

    /* VACUUM END (also after a failure, when the log is still writable) */
    snprintf(params, sizeof params, "{\"status\":\"%s\"}", rc ? "FAILED" : "COMPLETED");
    snprintf(metrics, sizeof metrics,
             "{\"numDeletedFiles\":\"%" PRId64 "\",\"numVacuumedDirectories\":\"%" PRId64
             "\"}",
             res.files_deleted, res.dirs_deleted);
    if (rc) {
        char saved[512];
        snprintf(saved, sizeof saved, "%s", delta_error_last());
        int64_t ignored;
        (void)log_commit(&v, "VACUUM END", params, metrics, &ignored);
        delta_error_set(rc, "%s", saved);
    } else {
        rc = log_commit(&v, "VACUUM END", params, metrics, &res.end_version);
    }

cleanup:
    if (out)
        *out = res;
    for (size_t i = 0; i < v.num_cands; i++)
        delta_free(v.cands[i].key);
    delta_free(v.cands);
    delta_free(deleted);
    dmap_free(v.refs);
    dmap_free(v.expired);
    dbuf_free(&v.canon);
    dbuf_free(&v.dvpath);
    dlog_snapshot_free(v.snap);
    return rc;
}

int delta_table_vacuum(delta_table *t, const delta_vacuum_options *opts, delta_vacuum_result *out)
{
    if (!t)
        return delta_error_set(DELTA_EINVAL, "vacuum: no table");
    delta_store *s = NULL;
    int rc = delta_store_open(&s, delta_table_uri(t));
    if (!rc)
        rc = dops_vacuum(s, opts, out);
    delta_store_free(s);
    return rc;
}
