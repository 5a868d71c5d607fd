/*
 * Log cleanup (see cleanup.h).
 */
#include "log/cleanup.h"

#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "log/checkpoint.h"
#include "log/log.h"

#define DAY_MS 86400000LL

static int del(delta_store *table, const char *key, int64_t *count)
{
    int rc = delta_store_delete(table, key);
    if (rc == DELTA_ENOTFOUND) {
        delta_error_clear();
        return 0;
    }
    if (rc)
        return delta_error_prefix(rc, "log cleanup: deleting %s: ", key);
    (*count)++;
    return 0;
}

/* Sidecar names referenced by one checkpoint file. */
typedef struct refs {
    char **names;
    size_t n;
} refs;

static int collect(void *ctx, dlog_action *a, size_t line)
{
    (void)line;
    refs *r = ctx;
    if (a->type != DLOG_ACT_SIDECAR)
        return 0;
    char **g = delta_reallocarray(r->names, r->n + 1, sizeof *g);
    if (!g)
        return DELTA_ENOMEM;
    r->names = g;
    const char *p = a->u.sidecar.path;
    const char *base = strrchr(p, '/');
    if (!(r->names[r->n] = delta_strdup(base ? base + 1 : p)))
        return DELTA_ENOMEM;
    r->n++;
    return 0;
}

static int sidecar_refs(delta_store *table, const dlog_file *f, refs *r)
{
    if (f->kind == DLOG_FILE_CHECKPOINT_UUID && f->is_json) {
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = delta_store_get(table, f->key, &data, &len);
        if (rc)
            return delta_error_prefix(rc, "log cleanup: reading %s: ", f->key);
        rc = dlog_parse_ndjson(f->key, data, len, collect, r);
        delta_free(data);
        return rc;
    }
    dlog_ckpt_read_opts o = {DLOG_ACT_BIT(DLOG_ACT_SIDECAR), 0};
    return dlog_checkpoint_read_parquet_ex(table, f->key, &o, collect, r);
}

static int clean_sidecars(delta_store *table, const dlog_listing *l, int64_t keep_from,
                          int64_t older_than, dlog_cleanup_result *res)
{
    delta_object_list sc = {0};
    int rc = delta_store_list(table, DLOG_DIR "_sidecars/", NULL, 0, &sc);
    if (rc || sc.count == 0) {
        delta_object_list_free(&sc);
        return rc ? delta_error_prefix(rc, "log cleanup: listing sidecars: ") : 0;
    }
    refs r = {NULL, 0};
    for (size_t i = 0; i < l->count && !rc; i++) {
        const dlog_file *f = &l->files[i];
        bool ckpt = f->kind == DLOG_FILE_CHECKPOINT || f->kind == DLOG_FILE_CHECKPOINT_UUID;
        if (ckpt && f->version >= keep_from)
            rc = sidecar_refs(table, f, &r);
    }
    for (size_t i = 0; i < sc.count && !rc; i++) {
        const char *key = sc.items[i].key;
        const char *base = strrchr(key, '/');
        base = base ? base + 1 : key;
        bool used = false;
        for (size_t k = 0; k < r.n && !used; k++)
            used = strcmp(r.names[k], base) == 0;
        if (!used && sc.items[i].mtime_ms < older_than)
            rc = del(table, key, &res->deleted_sidecars);
    }
    for (size_t k = 0; k < r.n; k++)
        delta_free(r.names[k]);
    delta_free(r.names);
    delta_object_list_free(&sc);
    return rc;
}

int dlog_cleanup(delta_store *table, const dlog_snapshot *snap, int64_t now_ms,
                 dlog_cleanup_result *out)
{
    dlog_cleanup_result res = {-1, 0, 0};
    int64_t retention = 30 * DAY_MS;
    const char *v = dlog_snapshot_property(snap, "delta.logRetentionDuration");
    if (v && dlog_parse_interval_ms(v, &retention))
        return delta_error_prefix(DELTA_EINVAL, "log cleanup: delta.logRetentionDuration: ");
    int64_t cutoff = now_ms - retention;
    cutoff -= ((cutoff % DAY_MS) + DAY_MS) % DAY_MS; /* midnight UTC */

    dlog_listing l;
    int rc = dlog_list(table, -1, &l);
    if (rc)
        return delta_error_prefix(rc, "log cleanup: ");
    /* cutoffCommit: commit timestamps made monotonic, as time travel sees
     * them. */
    int64_t cutoff_commit = -1, prev = INT64_MIN;
    for (size_t i = 0; i < l.count; i++) {
        const dlog_file *f = &l.files[i];
        if (f->kind != DLOG_FILE_COMMIT)
            continue;
        int64_t t = f->mtime_ms;
        if (prev != INT64_MIN && t <= prev)
            t = prev + 1;
        prev = t;
        if (t > cutoff)
            break;
        cutoff_commit = f->version;
    }
    if (cutoff_commit >= 0) {
        dlog_segment seg;
        if (dlog_segment_build(&l, cutoff_commit, -1, &seg) == 0) {
            res.cutoff_checkpoint = seg.checkpoint_version;
            dlog_segment_free(&seg);
        } else {
            delta_error_clear(); /* no segment reaches it: nothing to clean */
        }
    }
    if (res.cutoff_checkpoint > 0) {
        int64_t keep = res.cutoff_checkpoint;
        for (size_t i = 0; i < l.count && !rc; i++) {
            const dlog_file *f = &l.files[i];
            bool go = false;
            switch (f->kind) {
            case DLOG_FILE_COMMIT:
            case DLOG_FILE_CRC:
            case DLOG_FILE_CHECKPOINT:
            case DLOG_FILE_CHECKPOINT_PART:
            case DLOG_FILE_CHECKPOINT_UUID:
                go = f->version < keep;
                break;
            case DLOG_FILE_COMPACTED:
                go = f->version <= keep;
                break;
            default:
                break;
            }
            if (go)
                rc = del(table, f->key, &res.deleted_files);
        }
    }
    if (!rc && res.cutoff_checkpoint >= 0)
        rc = clean_sidecars(table, &l, res.cutoff_checkpoint, cutoff - DAY_MS, &res);
    dlog_listing_free(&l);
    if (!rc && out)
        *out = res;
    return rc;
}
