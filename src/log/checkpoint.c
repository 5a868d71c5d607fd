/*
 * Checkpoint reading (see checkpoint.h). JSON v2 checkpoints are parsed
 * here; the Parquet entry point is the seam where the Parquet reader
 * plugs in.
 */
#include "log/checkpoint.h"

#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

int dlog_checkpoint_read_parquet(delta_store *table, const char *key, dlog_action_fn fn,
                                 void *ctx)
{
    (void)table;
    (void)fn;
    (void)ctx;
    return delta_error_set(DELTA_ENOTIMPL, "%s: Parquet checkpoints cannot be read yet", key);
}

/* Collects sidecar paths while passing the other actions on. */
typedef struct v2ctx {
    dlog_action_fn fn;
    void *ctx;
    char **sidecars;
    size_t num_sidecars;
} v2ctx;

static int v2_action(void *p, dlog_action *a, size_t line)
{
    v2ctx *c = p;
    if (a->type == DLOG_ACT_CHECKPOINT_METADATA)
        return 0;
    if (a->type == DLOG_ACT_SIDECAR) {
        char **grown = delta_reallocarray(c->sidecars, c->num_sidecars + 1, sizeof *grown);
        if (!grown)
            return DELTA_ENOMEM;
        c->sidecars = grown;
        c->sidecars[c->num_sidecars++] = a->u.sidecar.path;
        a->u.sidecar.path = NULL;
        return 0;
    }
    return c->fn(c->ctx, a, line);
}

static int read_one(delta_store *table, const dlog_file *f, v2ctx *c)
{
    if (f->kind != DLOG_FILE_CHECKPOINT_UUID || !f->is_json)
        return dlog_checkpoint_read_parquet(table, f->key, v2_action, c);
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = delta_store_get(table, f->key, &data, &len);
    if (rc)
        return delta_error_prefix(rc, "reading %s: ", f->key);
    rc = dlog_parse_ndjson(f->key, data, len, v2_action, c);
    delta_free(data);
    return rc;
}

int dlog_checkpoint_read(delta_store *table, const dlog_segment *seg, dlog_action_fn fn,
                         void *ctx)
{
    v2ctx c = {fn, ctx, NULL, 0};
    int rc = 0;
    for (size_t i = 0; i < seg->num_checkpoint_files && !rc; i++)
        rc = read_one(table, &seg->checkpoint[i], &c);
    for (size_t i = 0; i < c.num_sidecars && !rc; i++) {
        /* Sidecars live in _delta_log/_sidecars/; the action usually names
         * just the file. */
        dbuf key = DBUF_INIT;
        const char *p = c.sidecars[i];
        if (strchr(p, '/') == NULL)
            dbuf_printf(&key, DLOG_DIR "_sidecars/%s", p);
        else
            dbuf_puts(&key, p);
        rc = key.err ? key.err
                     : dlog_checkpoint_read_parquet(table, dbuf_cstr(&key), fn, ctx);
        dbuf_free(&key);
    }
    for (size_t i = 0; i < c.num_sidecars; i++)
        delta_free(c.sidecars[i]);
    delta_free(c.sidecars);
    return rc;
}
