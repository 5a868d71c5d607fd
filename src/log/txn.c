/*
 * Transactions and optimistic commits (see txn.h).
 *
 * The staged actions are serialized once; each attempt only rebuilds the
 * commitInfo line (its timestamps move forward) and publishes
 * commitInfo + staged lines with one put_if_absent. When the version is
 * taken, the winners are read one by one from that version on until a
 * version is free, each is checked against what this transaction read and
 * writes, and the next attempt goes to the first free version.
 *
 * Read sets are kept as dmaps of canonical paths (path.h), so any spelling
 * of a file in a winner's remove matches the spelling this transaction
 * read. Adds of a winner are only kept while its commit is checked, and
 * only when this transaction has reads they could conflict with.
 */
#include "log/txn.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/dtime.h"
#include "core/error.h"
#include "log/checkpoint.h"
#include "core/hashmap.h"
#include "core/str.h"
#include "log/log.h"
#include "log/path.h"
#include "log/schema.h"

typedef struct read_pred {
    dlog_tx_match_fn fn;
    void *ctx;
    char *description;
} read_pred;

struct dlog_tx {
    delta_store *table;
    const dlog_snapshot *snap; /* NULL: creating the table */
    char *root_local;
    int64_t read_version;
    dlog_tx_opts opts;
    char *operation;
    char *parameters; /* compact JSON object */
    char *metrics;
    dlog_action *actions;
    size_t num_actions, cap_actions;
    int protocol_at; /* index of the staged protocol, or -1 */
    int metadata_at;
    dmap *read_files;  /* canonical path -> NULL */
    dmap *removed;     /* canonical paths of staged removes */
    dmap *read_apps;   /* app ids read or written */
    dmap *domains;     /* domains written */
    read_pred *preds;
    size_t num_preds;
    bool read_whole;
    bool finished;
    bool allow_empty; /* a commitInfo-only commit (VACUUM START/END) */
    char txn_id[37];
};

/* ---- lifecycle ------------------------------------------------------------- */

void dlog_tx_free(dlog_tx *tx)
{
    if (!tx)
        return;
    for (size_t i = 0; i < tx->num_actions; i++)
        dlog_action_clear(&tx->actions[i]);
    delta_free(tx->actions);
    for (size_t i = 0; i < tx->num_preds; i++)
        delta_free(tx->preds[i].description);
    delta_free(tx->preds);
    dmap_free(tx->read_files);
    dmap_free(tx->removed);
    dmap_free(tx->read_apps);
    dmap_free(tx->domains);
    delta_free(tx->operation);
    delta_free(tx->parameters);
    delta_free(tx->metrics);
    delta_free(tx->root_local);
    delta_free(tx);
}

int dlog_tx_begin(dlog_tx **out, delta_store *table, const dlog_snapshot *snap,
                  const dlog_tx_opts *opts)
{
    *out = NULL;
    dlog_tx_opts o = DLOG_TX_OPTS_INIT;
    if (opts) {
        if (opts->version != DLOG_TX_OPTS_VERSION)
            return delta_error_set(DELTA_EINVAL, "transaction options: unknown version %u",
                                   opts->version);
        o = *opts;
    }
    if (o.max_attempts < 0)
        return delta_error_set(DELTA_EINVAL, "transaction options: max_attempts %d < 0",
                               o.max_attempts);
    if (o.max_attempts == 0)
        o.max_attempts = DLOG_TX_DEFAULT_RETRIES;
    if (snap && snap->store != table)
        return delta_error_set(DELTA_EINVAL,
                               "transaction: the snapshot was opened on another store");
    dlog_tx *tx = delta_calloc(1, sizeof *tx);
    if (!tx)
        return DELTA_ENOMEM;
    tx->table = table;
    tx->snap = snap;
    tx->read_version = snap ? snap->version : -1;
    tx->opts = o;
    tx->protocol_at = tx->metadata_at = -1;
    int rc;
    if ((rc = dlog_root_local_path(delta_store_uri(table), &tx->root_local)) ||
        (rc = dmap_new(&tx->read_files, 0)) || (rc = dmap_new(&tx->removed, 0)) ||
        (rc = dmap_new(&tx->read_apps, 0)) || (rc = dmap_new(&tx->domains, 0)) ||
        (rc = dlog_tx_set_operation(tx, "WRITE", NULL, NULL))) {
        dlog_tx_free(tx);
        return rc;
    }
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, tx->txn_id);
    *out = tx;
    return 0;
}

int64_t dlog_tx_read_version(const dlog_tx *tx)
{
    return tx->read_version;
}

static int64_t now_ms(const dlog_tx *tx)
{
    return tx->opts.clock_ms ? tx->opts.clock_ms(tx->opts.clock_ctx) : dtime_now_ms();
}

/* Compact text of a JSON object given as text (NULL: "{}"). */
static int json_object_text(const char *what, const char *text, char **out)
{
    *out = NULL;
    if (!text) {
        *out = delta_strdup("{}");
        return *out ? 0 : DELTA_ENOMEM;
    }
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!v || !json_is_object(v)) {
        json_decref(v);
        return delta_error_set(DELTA_EINVAL, "commitInfo.%s: not a JSON object%s%s", what,
                               v ? "" : ": ", v ? "" : jerr.text);
    }
    dbuf b = DBUF_INIT;
    int rc = dlog_json_dump(v, &b);
    json_decref(v);
    if (rc) {
        dbuf_free(&b);
        return rc;
    }
    *out = dbuf_detach(&b, NULL);
    return *out ? 0 : DELTA_ENOMEM;
}

int dlog_tx_set_operation(dlog_tx *tx, const char *operation, const char *parameters_json,
                          const char *metrics_json)
{
    if (!operation || !*operation)
        return delta_error_set(DELTA_EINVAL, "transaction: empty operation name");
    char *op = delta_strdup(operation), *params = NULL, *metrics = NULL;
    int rc = op ? 0 : DELTA_ENOMEM;
    if (!rc && !(rc = json_object_text("operationParameters", parameters_json, &params)))
        rc = json_object_text("operationMetrics", metrics_json, &metrics);
    if (rc) {
        delta_free(op);
        delta_free(params);
        delta_free(metrics);
        return rc;
    }
    delta_free(tx->operation);
    delta_free(tx->parameters);
    delta_free(tx->metrics);
    tx->operation = op;
    tx->parameters = params;
    tx->metrics = metrics;
    return 0;
}

void dlog_tx_allow_empty(dlog_tx *tx)
{
    tx->allow_empty = true;
}

/* ---- reads ------------------------------------------------------------------ */

static int set_add(dmap *m, const char *key)
{
    return dmap_sput(m, key, NULL, NULL);
}

/* Adds the canonical form of path to a set. */
static int add_canonical(const dlog_tx *tx, dmap *set, const char *path)
{
    dbuf c = DBUF_INIT;
    int rc = dlog_canonical_path(tx->root_local, path, &c);
    if (!rc)
        rc = c.err ? c.err : set_add(set, dbuf_cstr(&c));
    dbuf_free(&c);
    return rc;
}

int dlog_tx_read_file(dlog_tx *tx, const char *path)
{
    return add_canonical(tx, tx->read_files, path);
}

int dlog_tx_read_predicate(dlog_tx *tx, dlog_tx_match_fn fn, void *ctx, const char *description)
{
    if (!fn)
        return delta_error_set(DELTA_EINVAL, "transaction: read predicate without a function");
    read_pred *p = delta_reallocarray(tx->preds, tx->num_preds + 1, sizeof *p);
    if (!p)
        return DELTA_ENOMEM;
    tx->preds = p;
    char *d = delta_strdup(description ? description : "a read predicate");
    if (!d)
        return DELTA_ENOMEM;
    tx->preds[tx->num_preds++] = (read_pred){fn, ctx, d};
    return 0;
}

void dlog_tx_read_whole_table(dlog_tx *tx)
{
    tx->read_whole = true;
}

int64_t dlog_tx_txn_version(dlog_tx *tx, const char *app_id)
{
    /* A failure to record the read only loses conflict detection for it:
     * make it visible by marking the whole table read (stricter). */
    if (set_add(tx->read_apps, app_id))
        tx->read_whole = true;
    return tx->snap ? dlog_snapshot_txn_version(tx->snap, app_id) : -1;
}

/* ---- staging ------------------------------------------------------------------ */

int dlog_tx_stage(dlog_tx *tx, dlog_action *a)
{
    if (tx->finished)
        return delta_error_set(DELTA_EINVAL, "transaction: already committed or failed");
    int rc = 0;
    switch (a->type) {
    case DLOG_ACT_NONE:
        return delta_error_set(DELTA_EINVAL, "transaction: cannot stage an empty action");
    case DLOG_ACT_COMMIT_INFO:
        return delta_error_set(DELTA_EINVAL,
                               "transaction: commitInfo is written by the transaction itself");
    case DLOG_ACT_CHECKPOINT_METADATA:
    case DLOG_ACT_SIDECAR:
        return delta_error_set(DELTA_EINVAL, "transaction: %s belongs in checkpoints only",
                               dlog_action_name(a->type));
    case DLOG_ACT_PROTOCOL:
    case DLOG_ACT_METADATA: {
        int *at = a->type == DLOG_ACT_PROTOCOL ? &tx->protocol_at : &tx->metadata_at;
        if (*at >= 0)
            return delta_error_set(DELTA_EINVAL, "transaction: a second %s action",
                                   dlog_action_name(a->type));
        break;
    }
    case DLOG_ACT_REMOVE:
        if (!a->u.remove.path)
            return delta_error_set(DELTA_EINVAL, "transaction: remove without a path");
        if ((rc = add_canonical(tx, tx->removed, a->u.remove.path)) ||
            (rc = add_canonical(tx, tx->read_files, a->u.remove.path)))
            return rc;
        break;
    case DLOG_ACT_ADD:
        if (!a->u.add.path)
            return delta_error_set(DELTA_EINVAL, "transaction: add without a path");
        break;
    case DLOG_ACT_CDC:
        if (!a->u.cdc.path)
            return delta_error_set(DELTA_EINVAL, "transaction: cdc without a path");
        break;
    case DLOG_ACT_TXN:
        if (!a->u.txn.app_id)
            return delta_error_set(DELTA_EINVAL, "transaction: txn without an appId");
        if ((rc = set_add(tx->read_apps, a->u.txn.app_id)))
            return rc;
        break;
    case DLOG_ACT_DOMAIN_METADATA:
        if (!a->u.domain_metadata.domain || !a->u.domain_metadata.configuration)
            return delta_error_set(DELTA_EINVAL,
                                   "transaction: domainMetadata without domain or configuration");
        if ((rc = set_add(tx->domains, a->u.domain_metadata.domain)))
            return rc;
        break;
    }
    if (tx->num_actions == tx->cap_actions) {
        size_t cap = tx->cap_actions ? tx->cap_actions * 2 : 16;
        dlog_action *n = delta_reallocarray(tx->actions, cap, sizeof *n);
        if (!n)
            return DELTA_ENOMEM;
        tx->actions = n;
        tx->cap_actions = cap;
    }
    if (a->type == DLOG_ACT_PROTOCOL)
        tx->protocol_at = (int)tx->num_actions;
    else if (a->type == DLOG_ACT_METADATA)
        tx->metadata_at = (int)tx->num_actions;
    tx->actions[tx->num_actions++] = *a;
    memset(a, 0, sizeof *a);
    return 0;
}

static int map_copy(dlog_map *dst, const dlog_map *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src->count)
        return 0;
    dst->items = delta_calloc(src->count, sizeof *dst->items);
    if (!dst->items)
        return DELTA_ENOMEM;
    for (size_t i = 0; i < src->count; i++, dst->count++) {
        dst->items[i].key = delta_strdup(src->items[i].key);
        dst->items[i].value = src->items[i].value ? delta_strdup(src->items[i].value) : NULL;
        if (!dst->items[i].key || (src->items[i].value && !dst->items[i].value)) {
            delta_free(dst->items[i].key);
            delta_free(dst->items[i].value);
            dlog_map_clear(dst);
            return DELTA_ENOMEM;
        }
    }
    return 0;
}

static char *dup_or_null(const char *s, bool *failed)
{
    if (!s)
        return NULL;
    char *d = delta_strdup(s);
    if (!d)
        *failed = true;
    return d;
}

int dlog_tx_remove_file(dlog_tx *tx, const dlog_live_file *f, bool data_change)
{
    if (!f)
        return delta_error_set(DELTA_EINVAL, "transaction: remove of no file");
    const dlog_add *add = &f->add;
    dlog_action a = {.type = DLOG_ACT_REMOVE};
    dlog_remove *r = &a.u.remove;
    bool failed = false;
    r->path = dup_or_null(add->path, &failed);
    r->has_deletion_timestamp = true;
    r->deletion_timestamp = now_ms(tx);
    r->data_change = data_change;
    r->has_extended_file_metadata = true;
    r->extended_file_metadata = true;
    r->has_partition_values = true;
    r->has_size = true;
    r->size = add->size;
    r->stats = dup_or_null(add->stats, &failed);
    if (add->has_dv) {
        r->has_dv = true;
        r->dv = add->dv;
        r->dv.path_or_inline = dup_or_null(add->dv.path_or_inline, &failed);
    }
    r->has_base_row_id = add->has_base_row_id;
    r->base_row_id = add->base_row_id;
    r->has_default_row_commit_version = add->has_default_row_commit_version;
    r->default_row_commit_version = add->default_row_commit_version;
    int rc = failed ? DELTA_ENOMEM : 0;
    if (!rc && !(rc = map_copy(&r->partition_values, &add->partition_values)))
        rc = map_copy(&r->tags, &add->tags);
    if (!rc)
        rc = dlog_tx_stage(tx, &a);
    dlog_action_clear(&a);
    return rc;
}

int dlog_tx_readd_file(dlog_tx *tx, const dlog_live_file *f, dlog_dv *dv)
{
    if (!f || !dv || !dv->path_or_inline)
        return delta_error_set(DELTA_EINVAL, "transaction: add again of no file or vector");
    const dlog_add *src = &f->add;
    dlog_action a = {.type = DLOG_ACT_ADD};
    dlog_add *add = &a.u.add;
    bool failed = false;
    add->path = dup_or_null(src->path, &failed);
    add->stats = dup_or_null(src->stats, &failed);
    add->clustering_provider = dup_or_null(src->clustering_provider, &failed);
    add->size = src->size;
    add->modification_time = src->modification_time;
    add->base_row_id = src->base_row_id;
    add->has_base_row_id = src->has_base_row_id;
    add->default_row_commit_version = src->default_row_commit_version;
    add->has_default_row_commit_version = src->has_default_row_commit_version;
    add->data_change = true;
    int rc = failed ? DELTA_ENOMEM : 0;
    if (!rc && !(rc = map_copy(&add->partition_values, &src->partition_values)))
        rc = map_copy(&add->tags, &src->tags);
    if (!rc) {
        add->has_dv = true;
        add->dv = *dv; /* taken below, once staged */
        rc = dlog_tx_stage(tx, &a);
        if (!rc)
            memset(dv, 0, sizeof *dv);
        else
            memset(&add->dv, 0, sizeof add->dv);
    }
    dlog_action_clear(&a);
    return rc;
}

bool dlog_tx_is_blind_append(const dlog_tx *tx)
{
    if (tx->read_whole || tx->num_preds || dmap_count(tx->read_files) || tx->protocol_at >= 0 ||
        tx->metadata_at >= 0)
        return false;
    for (size_t i = 0; i < tx->num_actions; i++) {
        const dlog_action *a = &tx->actions[i];
        if (a->type == DLOG_ACT_REMOVE || (a->type == DLOG_ACT_ADD && !a->u.add.data_change))
            return false;
    }
    return true;
}

/* ---- conflict checks ------------------------------------------------------------ */

/* What one winning commit did, as far as conflicts go. */
typedef struct winner {
    const dlog_tx *tx;
    const char *file;
    int64_t version;
    bool protocol, metadata;
    bool has_ict;
    int64_t ict;
    bool blind_append;
    char *operation;
    dlog_add *adds; /* data-changing adds, kept only when they matter */
    size_t num_adds, cap_adds;
    bool keep_adds;
    char *removed_read;    /* first removed file this transaction read */
    char *removed_removed; /* first removed file this transaction removes */
    bool removed_any;
    char *app_id;          /* first txn app id this transaction depends on */
    char *domain;          /* first domain this transaction writes */
    dbuf canon;
} winner;

static void winner_clear(winner *w)
{
    for (size_t i = 0; i < w->num_adds; i++) {
        dlog_action a = {.type = DLOG_ACT_ADD};
        a.u.add = w->adds[i];
        dlog_action_clear(&a);
    }
    delta_free(w->adds);
    delta_free(w->operation);
    delta_free(w->removed_read);
    delta_free(w->removed_removed);
    delta_free(w->app_id);
    delta_free(w->domain);
    dbuf_free(&w->canon);
}

static int keep_first(char **slot, const char *s)
{
    if (*slot)
        return 0;
    *slot = delta_strdup(s);
    return *slot ? 0 : DELTA_ENOMEM;
}

static int winner_action(void *ctx, dlog_action *a, size_t line)
{
    winner *w = ctx;
    const dlog_tx *tx = w->tx;
    int rc = 0;
    switch (a->type) {
    case DLOG_ACT_PROTOCOL: w->protocol = true; break;
    case DLOG_ACT_METADATA: w->metadata = true; break;
    case DLOG_ACT_COMMIT_INFO: {
        dlog_commit_info *c = &a->u.commit_info;
        w->has_ict = c->has_in_commit_timestamp;
        w->ict = c->in_commit_timestamp;
        if (c->operation && !w->operation) {
            w->operation = c->operation;
            c->operation = NULL;
        }
        json_t *root = c->json ? json_loads(c->json, 0, NULL) : NULL;
        json_t *b = root ? json_object_get(root, "isBlindAppend") : NULL;
        w->blind_append = b && json_is_true(b);
        json_decref(root);
        break;
    }
    case DLOG_ACT_ADD:
        if (w->keep_adds && a->u.add.data_change) {
            if (w->num_adds == w->cap_adds) {
                size_t cap = w->cap_adds ? w->cap_adds * 2 : 16;
                dlog_add *n = delta_reallocarray(w->adds, cap, sizeof *n);
                if (!n)
                    return DELTA_ENOMEM;
                w->adds = n;
                w->cap_adds = cap;
            }
            w->adds[w->num_adds++] = a->u.add;
            a->type = DLOG_ACT_NONE;
        }
        break;
    case DLOG_ACT_REMOVE: {
        w->removed_any = true;
        dbuf_reset(&w->canon);
        if ((rc = dlog_canonical_path(tx->root_local, a->u.remove.path, &w->canon)))
            return delta_error_prefix(rc, "%s:%zu: ", w->file, line);
        if (w->canon.err)
            return w->canon.err;
        const char *p = dbuf_cstr(&w->canon);
        if (dmap_sget(tx->read_files, p, NULL) && (rc = keep_first(&w->removed_read, p)))
            return rc;
        if (dmap_sget(tx->removed, p, NULL) && (rc = keep_first(&w->removed_removed, p)))
            return rc;
        break;
    }
    case DLOG_ACT_TXN:
        if (dmap_sget(tx->read_apps, a->u.txn.app_id, NULL))
            rc = keep_first(&w->app_id, a->u.txn.app_id);
        break;
    case DLOG_ACT_DOMAIN_METADATA:
        if (dmap_sget(tx->domains, a->u.domain_metadata.domain, NULL))
            rc = keep_first(&w->domain, a->u.domain_metadata.domain);
        break;
    default:
        break;
    }
    return rc;
}

static bool reads_whole_table(const dlog_tx *tx)
{
    return tx->read_whole || tx->protocol_at >= 0 || tx->metadata_at >= 0;
}

static int conflict(const dlog_tx *tx, const winner *w, const char *fmt, ...) DELTA_PRINTF(3, 4);

static int conflict(const dlog_tx *tx, const winner *w, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return delta_error_set(DELTA_ECONFLICT,
                           "%s: concurrent commit at version %lld (%s) %s; this transaction "
                           "read version %lld",
                           delta_store_uri(tx->table), (long long)w->version,
                           w->operation ? w->operation : "unknown operation", why,
                           (long long)tx->read_version);
}

/* Delta's order of checks: protocol, metadata, added files this
 * transaction should have read, deleted files it read, deleted files it
 * deletes, application transactions, domains. */
static int check_winner(const dlog_tx *tx, const winner *w)
{
    if (w->protocol)
        return conflict(tx, w, "changed the protocol");
    if (w->metadata)
        return conflict(tx, w, "changed the table metadata");
    if (!w->blind_append || tx->opts.isolation == DLOG_SERIALIZABLE) {
        for (size_t i = 0; i < w->num_adds; i++) {
            const dlog_add *add = &w->adds[i];
            if (reads_whole_table(tx))
                return conflict(tx, w,
                                "added file '%s' while this transaction read the whole table",
                                add->path);
            for (size_t p = 0; p < tx->num_preds; p++) {
                if (tx->preds[p].fn(tx->preds[p].ctx, add))
                    return conflict(tx, w,
                                    "added file '%s' matching %s read by this transaction",
                                    add->path, tx->preds[p].description);
            }
        }
    }
    if (w->removed_read)
        return conflict(tx, w, "removed file '%s' which this transaction read",
                        w->removed_read);
    if (w->removed_any && reads_whole_table(tx))
        return conflict(tx, w, "removed files while this transaction read the whole table");
    if (w->removed_removed)
        return conflict(tx, w, "removed file '%s' which this transaction also removes",
                        w->removed_removed);
    if (w->app_id)
        return conflict(tx, w, "wrote a txn action for application '%s' which this "
                        "transaction depends on", w->app_id);
    if (w->domain)
        return conflict(tx, w, "wrote domain metadata for domain '%s' which this transaction "
                        "also writes", w->domain);
    return 0;
}

/* Reads and checks the winner at `version`. *found is false when the
 * version does not exist (yet). */
static int check_version(const dlog_tx *tx, int64_t version, bool *found, bool *has_ict,
                         int64_t *ict)
{
    char key[40];
    dlog_commit_key(key, version);
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = delta_store_get(tx->table, key, &data, &len);
    *found = rc == 0;
    if (rc == DELTA_ENOTFOUND) {
        delta_error_clear();
        return 0;
    }
    if (rc)
        return delta_error_prefix(rc, "reading concurrent commit %s: ", key);
    winner w = {.tx = tx, .file = key, .version = version, .canon = DBUF_INIT};
    w.keep_adds = reads_whole_table(tx) || tx->num_preds > 0;
    rc = dlog_parse_ndjson(key, data, len, winner_action, &w);
    delta_free(data);
    if (!rc)
        rc = check_winner(tx, &w);
    *has_ict = w.has_ict;
    *ict = w.ict;
    winner_clear(&w);
    return rc;
}

/* ---- commit ------------------------------------------------------------------------ */

static const dlog_protocol *effective_protocol(const dlog_tx *tx)
{
    if (tx->protocol_at >= 0)
        return &tx->actions[tx->protocol_at].u.protocol;
    return tx->snap ? &tx->snap->protocol : NULL;
}

static const dlog_metadata *effective_metadata(const dlog_tx *tx)
{
    if (tx->metadata_at >= 0)
        return &tx->actions[tx->metadata_at].u.metadata;
    return tx->snap ? &tx->snap->metadata : NULL;
}

static bool config_true(const dlog_metadata *m, const char *key)
{
    return m && dlog_map_true(&m->configuration, key);
}

static int validate(const dlog_tx *tx)
{
    const char *uri = delta_store_uri(tx->table);
    if (tx->num_actions == 0 && !tx->allow_empty)
        return delta_error_set(DELTA_EINVAL, "%s: nothing to commit", uri);
    if (tx->read_version < 0 && (tx->protocol_at < 0 || tx->metadata_at < 0))
        return delta_error_set(DELTA_EINVAL,
                               "%s: the first commit of a table needs a protocol and a metaData "
                               "action",
                               uri);
    const dlog_protocol *p = effective_protocol(tx);
    int rc;
    if (!p || p->min_reader_version < 1)
        return delta_error_set(DELTA_EINVAL, "%s: no protocol to commit under", uri);
    if ((rc = dlog_protocol_check_write(p)))
        return delta_error_prefix(rc, "%s: ", uri);
    if (tx->metadata_at >= 0) {
        const dlog_metadata *m = effective_metadata(tx);
        dtype *schema = NULL;
        if (!m->id || !m->schema_string || !m->format_provider)
            return delta_error_set(DELTA_EINVAL,
                                   "%s: metaData needs id, format.provider and schemaString", uri);
        if ((rc = dlog_schema_parse(&schema, m->schema_string, strlen(m->schema_string))))
            return delta_error_prefix(rc, "%s: staged metaData: ", uri);
        for (size_t i = 0; !rc && i < m->num_partition_columns; i++)
            if (dtype_field_index(schema, m->partition_columns[i], true) < 0)
                rc = delta_error_set(DELTA_EINVAL,
                                     "%s: partition column '%s' is not in the schema", uri,
                                     m->partition_columns[i]);
        dtype_unref(schema);
        if (rc)
            return rc;
    }
    if (config_true(effective_metadata(tx), "delta.appendOnly")) {
        for (size_t i = 0; i < tx->num_actions; i++) {
            const dlog_action *a = &tx->actions[i];
            if (a->type == DLOG_ACT_REMOVE && a->u.remove.data_change)
                return delta_error_set(DELTA_EINVAL,
                                       "%s: table is append-only (delta.appendOnly): cannot "
                                       "remove '%s'",
                                       uri, a->u.remove.path);
        }
    }
    return 0;
}

static int build_commit_info(const dlog_tx *tx, dbuf *out, int64_t ts, bool ict, bool blind)
{
    dbuf_puts(out, "{\"commitInfo\":{");
    if (ict)
        dbuf_printf(out, "\"inCommitTimestamp\":%lld,", (long long)ts);
    dbuf_printf(out, "\"timestamp\":%lld,\"operation\":", (long long)ts);
    dstr_json_quote(out, tx->operation, strlen(tx->operation));
    dbuf_printf(out, ",\"operationParameters\":%s", tx->parameters);
    if (tx->read_version >= 0)
        dbuf_printf(out, ",\"readVersion\":%lld", (long long)tx->read_version);
    dbuf_printf(out, ",\"isolationLevel\":\"%s\",\"isBlindAppend\":%s",
                tx->opts.isolation == DLOG_SERIALIZABLE ? "Serializable" : "WriteSerializable",
                blind ? "true" : "false");
    dbuf_printf(out, ",\"operationMetrics\":%s,\"engineInfo\":\"libdelta/%s\",\"txnId\":\"%s\"}}\n",
                tx->metrics, delta_version(), tx->txn_id);
    return out->err;
}

/* Sets key to value in an owned string map (replacing or appending). */
static int map_set(dlog_map *m, const char *key, const char *value)
{
    if (m->borrowed) {
        dlog_map copy;
        int rc = map_copy(&copy, m);
        if (rc)
            return rc;
        dlog_map_clear(m);
        *m = copy;
    }
    char *v = delta_strdup(value);
    if (!v)
        return DELTA_ENOMEM;
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            delta_free(m->items[i].value);
            m->items[i].value = v;
            return 0;
        }
    }
    char *k = delta_strdup(key);
    dlog_kv *n = k ? delta_reallocarray(m->items, m->count + 1, sizeof *n) : NULL;
    if (!n) {
        delta_free(k);
        delta_free(v);
        return DELTA_ENOMEM;
    }
    m->items = n;
    m->items[m->count++] = (dlog_kv){k, v};
    return 0;
}

static int set_ict_enablement(dlog_tx *tx, int64_t version, int64_t ts)
{
    dlog_map *conf = &tx->actions[tx->metadata_at].u.metadata.configuration;
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)version);
    int rc = map_set(conf, "delta.inCommitTimestampEnablementVersion", num);
    snprintf(num, sizeof num, "%lld", (long long)ts);
    return rc ? rc : map_set(conf, "delta.inCommitTimestampEnablementTimestamp", num);
}

/* The post-commit hook: a checkpoint every delta.checkpointInterval
 * versions (then log cleanup). The commit has landed whatever happens
 * here; a failure is reported in the result, not as the commit's. */
static void post_commit(dlog_tx *tx, int64_t version, dlog_commit_result *out)
{
    if (out) {
        out->checkpointed = false;
        out->checkpoint_rc = 0;
    }
    if (tx->opts.no_checkpoint || version <= 0 ||
        version % dlog_checkpoint_interval(effective_metadata(tx)) != 0)
        return;
    bool did = false;
    int rc = dlog_checkpoint_after_commit(tx->table, version,
                                          tx->opts.clock_ms ? now_ms(tx) : 0, &did);
    if (out) {
        out->checkpointed = did;
        out->checkpoint_rc = rc;
    }
}

int dlog_tx_commit(dlog_tx *tx, dlog_commit_result *out)
{
    if (tx->finished)
        return delta_error_set(DELTA_EINVAL, "transaction: already committed or failed");
    tx->finished = true;
    int rc = validate(tx);
    if (rc)
        return rc;

    dbuf body = DBUF_INIT, file = DBUF_INIT;
    bool ict = config_true(effective_metadata(tx), "delta.enableInCommitTimestamps");
    /* Enabling in-commit timestamps on a table with history records the
     * version and timestamp it started at, which depend on the attempt. */
    bool ict_enabling = ict && tx->snap && tx->metadata_at >= 0 &&
                        !config_true(&tx->snap->metadata, "delta.enableInCommitTimestamps");
    bool blind = dlog_tx_is_blind_append(tx);
    /* The newest in-commit timestamp seen: the read version's, then each
     * winner's. */
    bool has_prev = tx->snap && tx->snap->timestamp_is_ict;
    int64_t prev = has_prev ? tx->snap->timestamp_ms : 0;
    int64_t version = tx->read_version + 1;
    const char *uri = delta_store_uri(tx->table);
    for (int attempt = 1;; attempt++) {
        int64_t ts = now_ms(tx);
        if (ict && has_prev && ts <= prev)
            ts = prev + 1;
        if (ict_enabling && (rc = set_ict_enablement(tx, version, ts)))
            goto done;
        if (attempt == 1 || ict_enabling) {
            dbuf_reset(&body);
            for (size_t i = 0; !rc && i < tx->num_actions; i++) {
                if (!(rc = dlog_action_serialize(&tx->actions[i], &body)))
                    rc = dbuf_putc(&body, '\n');
            }
            if (rc)
                goto done;
        }
        dbuf_reset(&file);
        if ((rc = build_commit_info(tx, &file, ts, ict, blind)) ||
            (rc = dbuf_append(&file, body.data, body.len)))
            goto done;
        char key[40];
        dlog_commit_key(key, version);
        rc = delta_store_put_if_absent(tx->table, key, file.data, file.len);
        if (rc == 0) {
            if (out) {
                out->version = version;
                out->attempts = attempt;
                out->timestamp_ms = ts;
            }
            post_commit(tx, version, out);
            goto done;
        }
        if (rc != DELTA_EEXIST) {
            rc = delta_error_prefix(rc, "%s: committing version %lld: ", uri, (long long)version);
            goto done;
        }
        if (version == 0) {
            rc = delta_error_set(DELTA_ECONFLICT,
                                 "%s: concurrent commit at version 0: the table was created "
                                 "concurrently",
                                 uri);
            goto done;
        }
        /* Check every winner from `version` up to the first free one. */
        for (;;) {
            bool found = false, w_ict = false;
            int64_t w_ts = 0;
            if ((rc = check_version(tx, version, &found, &w_ict, &w_ts)))
                goto done;
            if (!found)
                break;
            if (w_ict) {
                has_prev = true;
                prev = w_ts;
            }
            version++;
        }
        if (attempt >= tx->opts.max_attempts) {
            rc = delta_error_set(DELTA_ECONFLICT,
                                 "%s: gave up after %d commit attempts (read version %lld; "
                                 "version %lld is the next free one)",
                                 uri, attempt, (long long)tx->read_version, (long long)version);
            goto done;
        }
    }
done:
    dbuf_free(&body);
    dbuf_free(&file);
    return rc;
}
