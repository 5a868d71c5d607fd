/*
 * Snapshot reconstruction (see snapshot.h).
 *
 * Replay runs oldest to newest: the checkpoint's actions first, then each
 * commit in ascending order, each action applied in file order:
 *
 *   protocol, metaData   replace the current one
 *   add                  insert or replace files[key]; drop tombstones[key]
 *   remove               drop files[key]; insert or replace tombstones[key]
 *   txn                  txns[appId] = action
 *   domainMetadata       domains[domain] = action, or dropped when removed
 *   commitInfo           kept for the commit at the snapshot version only
 *
 * where key = canonical path + NUL + deletion vector unique id. Forward
 * replay was chosen over newest-to-oldest because it needs no "already
 * seen" set: memory is bounded by the live files and tombstones, every
 * action is parsed once and applied once, and the result is correct by
 * construction from the protocol's reconciliation rules (the latest action
 * for a key wins). What newest-first would buy - stopping early once the
 * protocol and metadata are known - matters for metadata-only queries and
 * can be added as a separate pass that reads commits backwards.
 *
 * When the segment's checkpoint cannot be read (a Parquet checkpoint before
 * the Parquet reader exists, or a corrupt one), the segment is rebuilt
 * below it - an older checkpoint, or the commits from version 0 - and the
 * snapshot records which checkpoint was skipped and why. If no such
 * segment exists the checkpoint's error is returned.
 */
#include "log/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/dtime.h"
#include "core/error.h"
#include "log/checkpoint.h"
#include "log/path.h"

/* ---- table features ------------------------------------------------------ */

static const char *const supported_features[] = {
    "deletionVectors", "columnMapping",    "timestampNtz",        "v2Checkpoint",
    "typeWidening",    "typeWidening-preview", "vacuumProtocolCheck", "domainMetadata",
    "inCommitTimestamp", "appendOnly",     "invariants",          "checkConstraints",
    "changeDataFeed",  "generatedColumns", "identityColumns",     "rowTracking",
    "allowColumnDefaults", "icebergCompatV1", "icebergCompatV2",
};

bool dlog_feature_supported(const char *name)
{
    for (size_t i = 0; i < sizeof supported_features / sizeof supported_features[0]; i++)
        if (strcmp(name, supported_features[i]) == 0)
            return true;
    return false;
}

int dlog_protocol_check_read(const dlog_protocol *p)
{
    if (p->min_reader_version > 3)
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "table requires reader version %d; this reader supports "
                               "versions 1 to 3",
                               (int)p->min_reader_version);
    if (p->min_reader_version == 3) {
        if (!p->has_reader_features)
            return delta_error_set(DELTA_ECORRUPT,
                                   "protocol: reader version 3 without readerFeatures");
        for (size_t i = 0; i < p->num_reader_features; i++)
            if (!dlog_feature_supported(p->reader_features[i]))
                return delta_error_set(DELTA_EUNSUPPORTED,
                                       "table requires reader feature '%s', which this reader "
                                       "does not support",
                                       p->reader_features[i]);
    }
    return 0;
}

int dlog_protocol_check_write(const dlog_protocol *p)
{
    int rc = dlog_protocol_check_read(p);
    if (rc)
        return rc;
    if (p->min_writer_version > 7)
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "table requires writer version %d; this writer supports "
                               "versions 2 to 7",
                               (int)p->min_writer_version);
    if (p->min_writer_version == 7) {
        if (!p->has_writer_features)
            return delta_error_set(DELTA_ECORRUPT,
                                   "protocol: writer version 7 without writerFeatures");
        for (size_t i = 0; i < p->num_writer_features; i++)
            if (!dlog_feature_supported(p->writer_features[i]))
                return delta_error_set(DELTA_EUNSUPPORTED,
                                       "table requires writer feature '%s', which this writer "
                                       "does not support",
                                       p->writer_features[i]);
    }
    return 0;
}

static bool has_feature(char **list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* ---- entries -------------------------------------------------------------- */

/* Live files and tombstones are fixed-size entries, hundreds of thousands
 * of them: they come from blocks owned by the snapshot, and a freed entry
 * goes on a free list for the next one (memory stays proportional to the
 * entries alive at the peak, not to every action replayed). */
typedef struct slab {
    void *free; /* free list, linked through each entry's first word */
    size_t size;
    darena arena;
} slab;

struct dlog_slabs {
    slab live, tomb;
};

static void *slab_get(slab *sl)
{
    if (sl->free) {
        void *p = sl->free;
        memcpy(&sl->free, p, sizeof(void *));
        memset(p, 0, sl->size);
        return p;
    }
    return darena_calloc(&sl->arena, 1, sl->size);
}

static void slab_put(slab *sl, void *p)
{
    memcpy(p, &sl->free, sizeof(void *));
    sl->free = p;
}

static void live_free(dlog_snapshot *s, dlog_live_file *f)
{
    if (!f)
        return;
    dlog_action a = {.type = DLOG_ACT_ADD};
    a.u.add = f->add;
    if (f->canonical != f->add.path)
        delta_free(f->canonical);
    dlog_action_clear(&a);
    delta_free(f->dv_id);
    slab_put(&s->slabs->live, f);
}

static void tomb_free(dlog_snapshot *s, dlog_tombstone *t)
{
    if (!t)
        return;
    dlog_action a = {.type = DLOG_ACT_REMOVE};
    a.u.remove = t->remove;
    if (t->canonical != t->remove.path)
        delta_free(t->canonical);
    dlog_action_clear(&a);
    delta_free(t->dv_id);
    slab_put(&s->slabs->tomb, t);
}

static void txn_free(dlog_txn *t)
{
    if (!t)
        return;
    delta_free(t->app_id);
    delta_free(t);
}

static void domain_free(dlog_domain_metadata *d)
{
    if (!d)
        return;
    delta_free(d->domain);
    delta_free(d->configuration);
    delta_free(d);
}

static void map_free_all(dlog_snapshot *s, dmap *m, void (*fr)(dlog_snapshot *, void *))
{
    if (!m)
        return;
    size_t it = 0;
    void *v;
    while (dmap_next(m, &it, NULL, NULL, &v))
        fr(s, v);
    dmap_free(m);
}

static void fr_live(dlog_snapshot *s, void *p) { live_free(s, p); }
static void fr_tomb(dlog_snapshot *s, void *p) { tomb_free(s, p); }
static void fr_txn(dlog_snapshot *s, void *p) { (void)s; txn_free(p); }
static void fr_domain(dlog_snapshot *s, void *p) { (void)s; domain_free(p); }

static void protocol_clear(dlog_protocol *p)
{
    dlog_action a = {.type = DLOG_ACT_PROTOCOL};
    a.u.protocol = *p;
    dlog_action_clear(&a);
    memset(p, 0, sizeof *p);
}

static void metadata_clear(dlog_metadata *m)
{
    dlog_action a = {.type = DLOG_ACT_METADATA};
    a.u.metadata = *m;
    dlog_action_clear(&a);
    memset(m, 0, sizeof *m);
}

static void commit_info_clear(dlog_commit_info *c)
{
    dlog_action a = {.type = DLOG_ACT_COMMIT_INFO};
    a.u.commit_info = *c;
    dlog_action_clear(&a);
    memset(c, 0, sizeof *c);
}

void dlog_snapshot_free(dlog_snapshot *s)
{
    if (!s)
        return;
    if (s->slabs) {
        map_free_all(s, s->files, fr_live);
        map_free_all(s, s->tombstones, fr_tomb);
        darena_free(&s->slabs->live.arena);
        darena_free(&s->slabs->tomb.arena);
        delta_free(s->slabs);
    }
    map_free_all(s, s->txns, fr_txn);
    map_free_all(s, s->domains, fr_domain);
    protocol_clear(&s->protocol);
    metadata_clear(&s->metadata);
    commit_info_clear(&s->commit_info);
    dtype_unref(s->schema);
    dlog_intern_free(s->intern);
    delta_free(s->root_local);
    delta_free(s->skipped_reason);
    delta_free(s);
}

/* ---- replay ---------------------------------------------------------------- */

typedef struct replay {
    dlog_snapshot *s;
    const char *file;     /* file being applied, for messages */
    int64_t version;      /* its version */
    int64_t target;       /* snapshot version: keep its commitInfo */
    dbuf key;             /* scratch: canonical path NUL dv id */
    dbuf canon;
    dbuf dv;
    dbuf piece;           /* a piece of a large commit being read */
} replay;

/* Builds r->key (and canon, dv) for a path and optional DV. *plain says
 * the path is its own canonical form (r->canon is then left empty). */
static int make_key(replay *r, const char *path, const dlog_dv *dv, size_t line, bool *plain)
{
    dbuf_reset(&r->key);
    dbuf_reset(&r->canon);
    dbuf_reset(&r->dv);
    int rc;
    *plain = dlog_path_is_plain(path);
    if (!*plain && (rc = dlog_canonical_path(r->s->root_local, path, &r->canon)))
        return delta_error_prefix(rc, "%s:%zu: ", r->file, line);
    if (dv && (rc = dlog_dv_unique_id(dv, &r->dv)))
        return rc;
    if (*plain)
        dbuf_puts(&r->key, path);
    else
        dbuf_append(&r->key, r->canon.data, r->canon.len);
    dbuf_putc(&r->key, 0);
    if (dv)
        dbuf_append(&r->key, r->dv.data, r->dv.len);
    return r->key.err;
}

static int apply_add(replay *r, dlog_action *a, size_t line)
{
    dlog_add *add = &a->u.add;
    bool plain;
    int rc = make_key(r, add->path, add->has_dv ? &add->dv : NULL, line, &plain);
    if (rc)
        return rc;
    dlog_live_file *f = slab_get(&r->s->slabs->live);
    if (!f)
        return DELTA_ENOMEM;
    f->canonical = plain ? add->path : delta_strdup(dbuf_cstr(&r->canon));
    f->dv_id = add->has_dv ? delta_strdup(dbuf_cstr(&r->dv)) : NULL;
    if (!f->canonical || (add->has_dv && !f->dv_id)) {
        if (plain)
            f->canonical = NULL; /* the action's path, not ours yet */
        live_free(r->s, f);
        return DELTA_ENOMEM;
    }
    void *old = NULL;
    if ((rc = dmap_put(r->s->files, r->key.data, r->key.len, f, &old))) {
        if (plain)
            f->canonical = NULL;
        live_free(r->s, f);
        return rc;
    }
    /* The map now owns f: take the action's payload into it. */
    f->version = r->version;
    f->add = *add;
    a->type = DLOG_ACT_NONE;
    live_free(r->s, old);
    void *tomb = NULL;
    if (dmap_remove(r->s->tombstones, r->key.data, r->key.len, &tomb))
        tomb_free(r->s, tomb);
    return 0;
}

static int apply_remove(replay *r, dlog_action *a, size_t line)
{
    dlog_remove *rm = &a->u.remove;
    bool plain;
    int rc = make_key(r, rm->path, rm->has_dv ? &rm->dv : NULL, line, &plain);
    if (rc)
        return rc;
    dlog_tombstone *t = slab_get(&r->s->slabs->tomb);
    if (!t)
        return DELTA_ENOMEM;
    t->canonical = plain ? rm->path : delta_strdup(dbuf_cstr(&r->canon));
    t->dv_id = rm->has_dv ? delta_strdup(dbuf_cstr(&r->dv)) : NULL;
    if (!t->canonical || (rm->has_dv && !t->dv_id)) {
        if (plain)
            t->canonical = NULL; /* the action's path, not ours yet */
        tomb_free(r->s, t);
        return DELTA_ENOMEM;
    }
    void *old = NULL;
    if ((rc = dmap_put(r->s->tombstones, r->key.data, r->key.len, t, &old))) {
        if (plain)
            t->canonical = NULL;
        tomb_free(r->s, t);
        return rc;
    }
    t->version = r->version;
    t->remove = *rm;
    a->type = DLOG_ACT_NONE;
    tomb_free(r->s, old);
    void *live = NULL;
    if (dmap_remove(r->s->files, r->key.data, r->key.len, &live))
        live_free(r->s, live);
    return 0;
}

static int apply(void *ctx, dlog_action *a, size_t line)
{
    replay *r = ctx;
    dlog_snapshot *s = r->s;
    switch (a->type) {
    case DLOG_ACT_PROTOCOL:
        protocol_clear(&s->protocol);
        s->protocol = a->u.protocol;
        a->type = DLOG_ACT_NONE;
        return 0;
    case DLOG_ACT_METADATA:
        metadata_clear(&s->metadata);
        s->metadata = a->u.metadata;
        a->type = DLOG_ACT_NONE;
        return 0;
    case DLOG_ACT_ADD:
        return apply_add(r, a, line);
    case DLOG_ACT_REMOVE:
        return apply_remove(r, a, line);
    case DLOG_ACT_TXN: {
        dlog_txn *t = delta_malloc(sizeof *t);
        if (!t)
            return DELTA_ENOMEM;
        *t = a->u.txn;
        void *old = NULL;
        int rc = dmap_sput(s->txns, t->app_id, t, &old);
        if (rc) {
            delta_free(t);
            return rc;
        }
        a->type = DLOG_ACT_NONE;
        txn_free(old);
        return 0;
    }
    case DLOG_ACT_DOMAIN_METADATA: {
        dlog_domain_metadata *d = &a->u.domain_metadata;
        if (d->removed) {
            void *old = NULL;
            if (dmap_sremove(s->domains, d->domain, &old))
                domain_free(old);
            return 0;
        }
        dlog_domain_metadata *c = delta_malloc(sizeof *c);
        if (!c)
            return DELTA_ENOMEM;
        *c = *d;
        void *old = NULL;
        int rc = dmap_sput(s->domains, c->domain, c, &old);
        if (rc) {
            delta_free(c);
            return rc;
        }
        a->type = DLOG_ACT_NONE;
        domain_free(old);
        return 0;
    }
    case DLOG_ACT_COMMIT_INFO:
        if (r->version == r->target && !s->has_commit_info) {
            s->commit_info = a->u.commit_info;
            s->has_commit_info = true;
            a->type = DLOG_ACT_NONE;
        }
        return 0;
    default:
        return 0; /* cdc, and v2 checkpoint actions, take no part in replay */
    }
}

/* Commits larger than this are read in pieces of this size from stores
 * with cheap ranged reads, so a huge commit never sits in memory whole. */
#define REPLAY_PIECE ((size_t)1 << 20)

static int replay_commit(delta_store *table, replay *r, const dlog_file *f)
{
    r->file = f->key;
    r->version = f->version;
    size_t line = 0;
    int rc;
    if (f->size <= (int64_t)(2 * REPLAY_PIECE) ||
        !(delta_store_caps(table) & DELTA_STORE_CAP_RANGED_GET)) {
        uint8_t *data = NULL;
        size_t len = 0;
        if ((rc = delta_store_get(table, f->key, &data, &len)))
            return delta_error_prefix(rc, "reading %s: ", f->key);
        rc = dlog_parse_ndjson_pooled(f->key, data, len, &line, r->s->intern, apply, r);
        delta_free(data);
        return rc;
    }
    dbuf *b = &r->piece;
    uint64_t off = 0;
    dbuf_reset(b);
    for (;;) {
        if ((rc = dbuf_reserve(b, REPLAY_PIECE)))
            return rc;
        size_t got = 0;
        if ((rc = delta_store_get_range(table, f->key, off, REPLAY_PIECE, b->data + b->len, &got)))
            return delta_error_prefix(rc, "reading %s: ", f->key);
        off += got;
        b->len += got;
        bool eof = got < REPLAY_PIECE;
        size_t upto = b->len;
        if (!eof) {
            const uint8_t *nl = memrchr(b->data, '\n', b->len);
            upto = nl ? (size_t)(nl - b->data) + 1 : 0; /* a line longer than a piece grows b */
        }
        if (upto && (rc = dlog_parse_ndjson_pooled(f->key, b->data, upto, &line, r->s->intern,
                                                   apply, r)))
            return rc;
        memmove(b->data, b->data + upto, b->len - upto);
        b->len -= upto;
        if (eof)
            return 0;
    }
}

/* ---- timestamps ------------------------------------------------------------ */

int dlog_commit_timestamp(delta_store *table, const dlog_file *commit, bool use_ict,
                          int64_t *out_ms)
{
    if (!use_ict) {
        *out_ms = commit->mtime_ms;
        return 0;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = delta_store_get(table, commit->key, &data, &len);
    if (rc)
        return delta_error_prefix(rc, "reading %s: ", commit->key);
    /* The commitInfo must be the first action: parse the first line only. */
    const uint8_t *nl = memchr(data, '\n', len);
    size_t n = nl ? (size_t)(nl - data) : len;
    dlog_action a;
    rc = dlog_action_parse(&a, (const char *)data, n, commit->key, 1);
    delta_free(data);
    if (rc)
        return rc;
    if (a.type != DLOG_ACT_COMMIT_INFO || !a.u.commit_info.has_in_commit_timestamp) {
        dlog_action_clear(&a);
        return delta_error_set(DELTA_ECORRUPT,
                               "%s: in-commit timestamps are enabled but the first action is "
                               "not a commitInfo with inCommitTimestamp",
                               commit->key);
    }
    *out_ms = a.u.commit_info.in_commit_timestamp;
    dlog_action_clear(&a);
    return 0;
}

/* In-commit timestamp settings of a metadata: whether enabled, and from
 * which version (0 when the table had them from the start). */
static bool ict_settings(const dlog_metadata *m, int64_t *from_version, int64_t *from_ts)
{
    const char *en = dlog_map_get(&m->configuration, "delta.enableInCommitTimestamps", NULL);
    if (!en || strcmp(en, "true") != 0)
        return false;
    const char *v = dlog_map_get(&m->configuration,
                                 "delta.inCommitTimestampEnablementVersion", NULL);
    const char *t = dlog_map_get(&m->configuration,
                                 "delta.inCommitTimestampEnablementTimestamp", NULL);
    *from_version = 0;
    *from_ts = INT64_MIN;
    if (v && t) {
        char *end;
        long long a = strtoll(v, &end, 10);
        long long b = strtoll(t, &end, 10);
        *from_version = a;
        *from_ts = b;
    }
    return true;
}

static const dlog_file *listing_commit(const dlog_listing *l, int64_t v)
{
    size_t lo = 0, hi = l->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const dlog_file *f = &l->files[mid];
        if (f->version < v || (f->version == v && f->kind < DLOG_FILE_COMMIT))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < l->count && l->files[lo].version == v && l->files[lo].kind == DLOG_FILE_COMMIT)
        return &l->files[lo];
    return NULL;
}

/* Sets s->timestamp_ms from the commit at s->version. */
static int snapshot_timestamp(dlog_snapshot *s, const dlog_listing *l)
{
    int64_t from_v = 0, from_ts = 0;
    bool ict = ict_settings(&s->metadata, &from_v, &from_ts) && s->version >= from_v;
    if (ict && s->has_commit_info && s->commit_info.has_in_commit_timestamp) {
        s->timestamp_ms = s->commit_info.in_commit_timestamp;
        s->timestamp_is_ict = true;
        return 0;
    }
    const dlog_file *c = listing_commit(l, s->version);
    if (!c) {
        s->timestamp_ms = -1; /* checkpoint without its commit: unknown */
        return 0;
    }
    s->timestamp_is_ict = ict;
    return dlog_commit_timestamp(s->store, c, ict, &s->timestamp_ms);
}

/* ---- loading ------------------------------------------------------------------ */

static int check_snapshot(dlog_snapshot *s, const dlog_snapshot_opts *o)
{
    const char *uri = delta_store_uri(s->store);
    if (o->unchecked)
        return 0;
    if (s->protocol.min_reader_version < 1)
        return delta_error_set(DELTA_ECORRUPT,
                               "table %s version %lld: the log has no protocol action", uri,
                               (long long)s->version);
    if (!s->metadata.id)
        return delta_error_set(DELTA_ECORRUPT,
                               "table %s version %lld: the log has no metaData action", uri,
                               (long long)s->version);
    if (!s->metadata.schema_string)
        return delta_error_set(DELTA_ECORRUPT,
                               "table %s version %lld: metaData.schemaString: required field "
                               "missing",
                               uri, (long long)s->version);
    int rc;
    if ((rc = dlog_protocol_check_read(&s->protocol)))
        return delta_error_prefix(rc, "table %s: ", uri);
    if ((rc = dlog_schema_parse(&s->schema, s->metadata.schema_string,
                                strlen(s->metadata.schema_string))))
        return delta_error_prefix(rc, "table %s version %lld: ", uri, (long long)s->version);
    for (size_t i = 0; i < s->metadata.num_partition_columns; i++) {
        if (dtype_field_index(s->schema, s->metadata.partition_columns[i], true) < 0)
            return delta_error_set(DELTA_ECORRUPT,
                                   "table %s: partition column '%s' is not in the schema", uri,
                                   s->metadata.partition_columns[i]);
    }
    /* Column mapping is honoured only when the protocol supports it. */
    const dlog_protocol *p = &s->protocol;
    bool cm_supported = p->min_reader_version == 2 ||
                        (p->min_reader_version == 3 &&
                         has_feature(p->reader_features, p->num_reader_features, "columnMapping"));
    s->column_mapping = DLOG_CM_NONE;
    if (cm_supported && (rc = dlog_column_mapping_mode(&s->metadata.configuration,
                                                       &s->column_mapping)))
        return delta_error_prefix(rc, "table %s: ", uri);
    return 0;
}

static int new_snapshot(dlog_snapshot **out, delta_store *table, size_t expected_files)
{
    dlog_snapshot *s = delta_calloc(1, sizeof *s);
    if (!s)
        return DELTA_ENOMEM;
    s->store = table;
    s->checkpoint_version = -1;
    s->skipped_checkpoint = -1;
    int rc;
    if (!(s->slabs = delta_calloc(1, sizeof *s->slabs))) {
        delta_free(s);
        return DELTA_ENOMEM;
    }
    s->slabs->live.size = sizeof(dlog_live_file);
    s->slabs->tomb.size = sizeof(dlog_tombstone);
    s->slabs->live.arena.block_size = s->slabs->tomb.arena.block_size = (size_t)64 << 10;
    if ((rc = dlog_root_local_path(delta_store_uri(table), &s->root_local)) ||
        (rc = dmap_new(&s->files, expected_files)) || (rc = dmap_new(&s->tombstones, 0)) ||
        (rc = dmap_new(&s->txns, 0)) || (rc = dmap_new(&s->domains, 0)) ||
        (rc = dlog_intern_new(&s->intern))) {
        dlog_snapshot_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Replays one segment into a new snapshot. */
static int load_segment(dlog_snapshot **out, delta_store *table, const dlog_segment *seg)
{
    /* Size the file map for the commits' add lines up front (about one
     * per 128 bytes at most; checkpoints are not counted) so replay does
     * not rehash a large map again and again. */
    uint64_t bytes = 0;
    for (size_t i = 0; i < seg->num_commits; i++)
        bytes += seg->commits[i].size > 0 ? (uint64_t)seg->commits[i].size : 0;
    dlog_snapshot *s = NULL;
    int rc = new_snapshot(&s, table, (size_t)(bytes / 128));
    if (rc)
        return rc;
    replay r = {.s = s, .target = seg->version, .key = DBUF_INIT, .canon = DBUF_INIT,
                .dv = DBUF_INIT, .piece = DBUF_INIT};
    s->version = seg->version;
    s->checkpoint_version = seg->checkpoint_version;
    if (seg->num_checkpoint_files) {
        r.file = seg->checkpoint[0].key;
        r.version = seg->checkpoint_version;
        rc = dlog_checkpoint_read(table, seg, apply, &r);
    }
    for (size_t i = 0; !rc && i < seg->num_commits; i++)
        rc = replay_commit(table, &r, &seg->commits[i]);
    dbuf_free(&r.key);
    dbuf_free(&r.canon);
    dbuf_free(&r.dv);
    dbuf_free(&r.piece);
    if (rc) {
        dlog_snapshot_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* A checkpoint that cannot be read - corrupt, or written with something
 * this reader does not support (a codec, a type) - is bypassed for an
 * older checkpoint or the JSON commits when those reach the version. */
static bool fallback_worthy(int rc)
{
    return rc == DELTA_EUNSUPPORTED || rc == DELTA_ECORRUPT;
}

/* Lists (with the _last_checkpoint hint for latest loads), builds the
 * segment for `version` and replays it, falling back below unreadable
 * checkpoints. Returns the listing used in *l. */
static int open_version(dlog_snapshot **out, delta_store *table, int64_t version,
                        dlog_listing *l)
{
    dlog_segment seg;
    int rc = -1;
    memset(l, 0, sizeof *l);
    if (version < 0) {
        dlog_last_checkpoint hint;
        if (dlog_read_last_checkpoint(table, &hint) == 0 && dlog_list(table, hint.version, l) == 0) {
            rc = dlog_segment_build(l, -1, -1, &seg);
            if (rc)
                dlog_listing_free(l);
        }
    }
    if (rc) {
        delta_error_clear();
        if ((rc = dlog_list(table, -1, l)))
            return rc;
        if ((rc = dlog_segment_build(l, version, -1, &seg))) {
            dlog_listing_free(l);
            return rc;
        }
    }
    char *skipped_reason = NULL;
    int64_t skipped = -1;
    int first_rc = 0;
    for (;;) {
        rc = load_segment(out, table, &seg);
        if (rc == 0 || seg.checkpoint_version < 0 || !fallback_worthy(rc))
            break;
        /* The checkpoint could not be read: try below it. */
        if (!first_rc) {
            first_rc = rc;
            skipped = seg.checkpoint_version;
            skipped_reason = delta_strdup(delta_error_last());
        }
        int64_t below = seg.checkpoint_version - 1;
        dlog_segment_free(&seg);
        if (!l->listed_from_start) {
            dlog_listing_free(l);
            if ((rc = dlog_list(table, -1, l)))
                break;
        }
        rc = dlog_segment_build(l, version, below < 0 ? -2 : below, &seg);
        if (rc) {
            memset(&seg, 0, sizeof seg);
            break;
        }
    }
    dlog_segment_free(&seg);
    if (rc && first_rc && rc != DELTA_EIO && rc != DELTA_ENOMEM) {
        /* Nothing below the checkpoint reconstructs the version: the
         * checkpoint's own error is the one to report. Storage and memory
         * failures on the way are reported as themselves. */
        rc = delta_error_set(first_rc, "%s", skipped_reason ? skipped_reason : "");
    } else if (rc == 0 && skipped >= 0) {
        (*out)->skipped_checkpoint = skipped;
        (*out)->skipped_reason = skipped_reason;
        skipped_reason = NULL;
    }
    delta_free(skipped_reason);
    if (rc)
        dlog_listing_free(l);
    return rc;
}

/* The newest version whose commit timestamp is <= ts. */
static int resolve_timestamp(delta_store *table, int64_t ts, int64_t *out_version)
{
    dlog_snapshot *latest = NULL;
    dlog_listing l;
    int rc = open_version(&latest, table, -1, &l);
    if (rc)
        return rc;
    if (!l.listed_from_start) {
        dlog_listing_free(&l);
        if ((rc = dlog_list(table, -1, &l))) {
            dlog_snapshot_free(latest);
            return rc;
        }
    }
    int64_t from_v = 0, from_ts = 0;
    bool ict = ict_settings(&latest->metadata, &from_v, &from_ts);
    int64_t latest_v = latest->version;
    dlog_snapshot_free(latest);
    dlog_segment seg;
    if ((rc = dlog_segment_build(&l, -1, -1, &seg))) {
        dlog_listing_free(&l);
        return rc;
    }
    int64_t earliest = seg.earliest_version < 0 ? 0 : seg.earliest_version;
    dlog_segment_free(&seg);

    int64_t found = -1, first_ts = INT64_MIN;
    if (ict && ts >= from_ts) {
        /* Binary search over the versions with in-commit timestamps (they
         * increase strictly). */
        int64_t lo = from_v > earliest ? from_v : earliest, hi = latest_v;
        while (lo <= hi && !rc) {
            int64_t mid = lo + (hi - lo) / 2;
            const dlog_file *c = listing_commit(&l, mid);
            int64_t t;
            if (!c) {
                rc = delta_error_set(DELTA_ENOTFOUND,
                                     "commit %lld is not in the log: cannot resolve timestamps",
                                     (long long)mid);
                break;
            }
            if ((rc = dlog_commit_timestamp(table, c, true, &t)))
                break;
            if (first_ts == INT64_MIN || mid == (from_v > earliest ? from_v : earliest))
                first_ts = t;
            if (t <= ts) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
    } else {
        /* File modification times, made monotonic as the reference
         * implementation does (a commit is never earlier than the one
         * before it plus 1 ms). */
        int64_t end = ict ? from_v - 1 : latest_v, prev = INT64_MIN;
        for (int64_t v = earliest; v <= end; v++) {
            const dlog_file *c = listing_commit(&l, v);
            if (!c)
                continue;
            int64_t t = c->mtime_ms;
            if (prev != INT64_MIN && t <= prev)
                t = prev + 1;
            prev = t;
            if (first_ts == INT64_MIN)
                first_ts = t;
            if (t <= ts)
                found = v;
            else
                break;
        }
    }
    dlog_listing_free(&l);
    if (rc)
        return rc;
    if (found < 0) {
        dbuf a = DBUF_INIT, b = DBUF_INIT;
        dtime_format_instant(&a, ts * 1000);
        if (first_ts != INT64_MIN)
            dtime_format_instant(&b, first_ts * 1000);
        rc = delta_error_set(DELTA_ENOTFOUND,
                             "no version at timestamp %s: the earliest available version %lld "
                             "was committed at %s",
                             dbuf_cstr(&a), (long long)earliest,
                             first_ts != INT64_MIN ? dbuf_cstr(&b) : "an unknown time");
        dbuf_free(&a);
        dbuf_free(&b);
        return rc;
    }
    *out_version = found;
    return 0;
}

int dlog_snapshot_open(dlog_snapshot **out, delta_store *table, const dlog_snapshot_opts *opts)
{
    *out = NULL;
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    if (opts) {
        if (opts->version != DLOG_SNAPSHOT_OPTS_VERSION)
            return delta_error_set(DELTA_EINVAL, "snapshot options: unknown version %u",
                                   opts->version);
        o = *opts;
    }
    int64_t version = o.at_version;
    int rc;
    if (o.has_timestamp && (rc = resolve_timestamp(table, o.at_timestamp_ms, &version)))
        return rc;
    dlog_snapshot *s = NULL;
    dlog_listing l;
    if ((rc = open_version(&s, table, version, &l)))
        return rc;
    if ((rc = check_snapshot(s, &o)) || (rc = snapshot_timestamp(s, &l))) {
        dlog_listing_free(&l);
        dlog_snapshot_free(s);
        return rc;
    }
    dlog_listing_free(&l);
    *out = s;
    return 0;
}

/* ---- queries ---------------------------------------------------------------- */

size_t dlog_snapshot_num_files(const dlog_snapshot *s)
{
    return dmap_count(s->files);
}

bool dlog_snapshot_next_file(const dlog_snapshot *s, size_t *iter, const dlog_live_file **out)
{
    void *v = NULL;
    if (!dmap_next(s->files, iter, NULL, NULL, &v))
        return false;
    *out = v;
    return true;
}

const dlog_live_file *dlog_snapshot_find_file(const dlog_snapshot *s, const char *path,
                                              const char *dv_id)
{
    dbuf key = DBUF_INIT;
    void *v = NULL;
    if (dlog_canonical_path(s->root_local, path, &key) == 0) {
        dbuf_putc(&key, 0);
        if (dv_id)
            dbuf_puts(&key, dv_id);
        if (!key.err && !dmap_get(s->files, key.data, key.len, &v))
            v = NULL;
    }
    dbuf_free(&key);
    return v;
}

int64_t dlog_snapshot_txn_version(const dlog_snapshot *s, const char *app_id)
{
    void *v = NULL;
    return dmap_sget(s->txns, app_id, &v) ? ((dlog_txn *)v)->version : -1;
}

const char *dlog_snapshot_domain(const dlog_snapshot *s, const char *domain)
{
    void *v = NULL;
    return dmap_sget(s->domains, domain, &v) ? ((dlog_domain_metadata *)v)->configuration : NULL;
}

const char *dlog_snapshot_property(const dlog_snapshot *s, const char *key)
{
    return dlog_map_get(&s->metadata.configuration, key, NULL);
}
