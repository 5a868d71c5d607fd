/*
 * The change data feed as a stream of batches (rules and invariants in
 * changes.h).
 *
 * Opening lists the log once, checks the range, replays the snapshot of
 * the last version (the output schema, partition columns and column
 * mapping every file is shaped by) and, when the range starts earlier,
 * the snapshot of the first version (the metadata in effect there); then
 * a first pass reads the metaData lines of every commit of the range to
 * check the feed is enabled throughout and to learn where in-commit
 * timestamps apply.
 *
 * The stream then works in three nested steps: a commit (its actions
 * parsed and turned into "units", one per file to read, with the change
 * type and the row positions to keep), a unit (one table scan of exactly
 * that file, without its deletion vector, so the scan's rows are the
 * file's rows in order and their positions can be counted), and a batch
 * (positions filtered, the three feed columns appended).
 */
#include "ops/changes.h"

#include <inttypes.h>
#include <string.h>

#include <delta/dml.h>
#include <delta/table.h>

#include "columnar/arrow.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hashmap.h"
#include "core/str.h"
#include "log/actions.h"
#include "log/log.h"
#include "log/path.h"
#include "log/snapshot.h"
#include "table/dv.h"
#include "table/scan.h"

/* One file to read for a commit. */
typedef struct unit {
    dlog_live_file lf;       /* what the scan reads: canonical path owned; the add's
                              * path and partition values borrowed from the
                              * commit's actions; never a deletion vector */
    bool cdc;                /* a change data file: _change_type from the file */
    const char *change_type; /* otherwise "insert" or "delete" */
    bool only;               /* keep only positions in `a` minus `b` (else: all
                              * positions not in `b`) */
    const dlog_dv *a, *b;    /* borrowed; NULL: the empty set */
} unit;

typedef struct changes {
    dstream base;
    delta_store *store;
    dlog_snapshot *end;     /* snapshot of the last version */
    dtype *out_schema;      /* table columns, _change_type, _commit_version, _commit_timestamp */
    dtype *cdc_schema;      /* table columns, _change_type (read from change data files) */
    uint32_t ntab;          /* table columns */
    dlog_listing listing;
    const dlog_file **commits; /* from..to */
    bool *ict;                 /* per commit: in-commit timestamps enabled */
    size_t ncommits, next_commit;
    dlog_snapshot *before;  /* snapshot before the current commit, when needed */
    /* current commit */
    int64_t version;
    int64_t ts_us;
    dlog_action *acts;
    size_t nacts, cap_acts;
    unit *units;
    size_t nunits, next_unit;
    dvec *type_insert, *type_delete; /* one-row _change_type constants */
    /* current unit */
    dstream *scan;
    const unit *cur;
    int64_t pos;   /* file position of the next row the scan returns */
    dtab_dv set;   /* positions kept (cur->only) or dropped */
    size_t set_pos;
    uint32_t *take;
    int64_t take_cap;
} changes;

/* ---- schemas -------------------------------------------------------------- */

/* base's fields followed by `extra` (names and types; nullable). */
static int schema_append(const dtype *base, const char *const *names, dtype *const *types,
                         uint32_t n, dtype **out)
{
    *out = NULL;
    uint32_t total = base->num_fields + n;
    dfield *fields = delta_calloc(total, sizeof *fields);
    if (!fields)
        return DELTA_ENOMEM;
    int rc = 0;
    uint32_t built = 0;
    for (uint32_t i = 0; i < total && !rc; i++) {
        if (i < base->num_fields) {
            const dfield *f = &base->fields[i];
            rc = dfield_init(&fields[i], f->name, dtype_ref(f->type), f->nullable);
            if (!rc) {
                fields[i].id = f->id;
                if (f->metadata && !(fields[i].metadata = delta_strdup(f->metadata)))
                    rc = DELTA_ENOMEM;
            }
        } else {
            rc = dfield_init(&fields[i], names[i - base->num_fields],
                             dtype_ref(types[i - base->num_fields]), true);
        }
        if (!rc || fields[i].name)
            built = i + 1;
    }
    if (!rc) {
        *out = dtype_new_struct(fields, total);
        built = 0; /* taken, also on failure */
        if (!*out)
            rc = delta_error_last_code() ? delta_error_last_code() : DELTA_ENOMEM;
    }
    for (uint32_t i = 0; i < built; i++)
        dfield_clear(&fields[i]);
    delta_free(fields);
    return rc;
}

static int build_schemas(changes *c)
{
    const dtype *ts = c->end->schema;
    static const char *const names[3] = {DOPS_CHANGE_TYPE, DOPS_COMMIT_VERSION,
                                         DOPS_COMMIT_TIMESTAMP};
    for (uint32_t i = 0; i < ts->num_fields; i++)
        for (int k = 0; k < 3; k++)
            if (dstr_ieq(ts->fields[i].name, names[k]))
                return delta_error_set(DELTA_EINVAL,
                                       "the table has a column named '%s', which the change "
                                       "data feed reserves",
                                       ts->fields[i].name);
    dtype *types[3] = {dtype_new(DT_STRING), dtype_new(DT_INT64),
                       dtype_new_timestamp(DT_UNIT_MICRO, true)};
    int rc = (!types[0] || !types[1] || !types[2]) ? DELTA_ENOMEM : 0;
    if (!rc)
        rc = schema_append(ts, names, types, 3, &c->out_schema);
    if (!rc)
        rc = schema_append(ts, names, types, 1, &c->cdc_schema);
    for (int k = 0; k < 3; k++)
        dtype_unref(types[k]);
    c->ntab = ts->num_fields;
    c->base.schema = c->out_schema;
    if (!rc && (rc = dvec_new(&c->type_insert, c->cdc_schema->fields[c->ntab].type)) == 0 &&
        (rc = dvec_append_bytes(c->type_insert, "insert", 6)) == 0 &&
        (rc = dvec_new(&c->type_delete, c->cdc_schema->fields[c->ntab].type)) == 0)
        rc = dvec_append_bytes(c->type_delete, "delete", 6);
    return rc;
}

/* ---- checking the range --------------------------------------------------- */

/* Whether line p[0..n) holds the action named `quoted` ("\"metaData\""). */
static bool line_is(const char *p, size_t n, const char *quoted)
{
    size_t q = strlen(quoted), skip = 0;
    while (skip < n && (p[skip] == ' ' || p[skip] == '\t' || p[skip] == '{'))
        skip++;
    return n - skip > q && memcmp(p + skip, quoted, q) == 0;
}

/* The metaData action of a commit file's bytes, if any, into *a (type
 * NONE when the commit has none). */
static int commit_metadata(const uint8_t *data, size_t len, const char *key, dlog_action *a)
{
    memset(a, 0, sizeof *a);
    size_t line = 0;
    for (size_t pos = 0; pos < len;) {
        const uint8_t *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        line++;
        const char *p = (const char *)data + pos;
        if (line_is(p, end - pos, "\"metaData\""))
            return dlog_action_parse(a, p, end - pos, key, line);
        pos = end + 1;
    }
    return 0;
}

static int not_enabled(const changes *c, int64_t version)
{
    return delta_error_set(DELTA_EINVAL,
                           "the change data feed is not enabled at version %" PRId64
                           " of %s (delta.enableChangeDataFeed is not true in the metadata "
                           "in effect there); changes can only be read from versions "
                           "committed while it was enabled",
                           version, delta_store_uri(c->store));
}

/* First pass: the feed is enabled at every version, and where in-commit
 * timestamps apply. `m` is the metadata in effect at commits[0]. */
static int check_range(changes *c, const dlog_metadata *m)
{
    bool cdf = dlog_map_true(&m->configuration, "delta.enableChangeDataFeed");
    bool ict = dlog_map_true(&m->configuration, "delta.enableInCommitTimestamps");
    for (size_t i = 0; i < c->ncommits; i++) {
        const dlog_file *f = c->commits[i];
        if (i > 0) {
            uint8_t *data = NULL;
            size_t len = 0;
            int rc = delta_store_get(c->store, f->key, &data, &len);
            if (rc == DELTA_ENOTFOUND)
                return delta_error_set(rc, "version %" PRId64 " of %s is no longer in the log",
                                       f->version, delta_store_uri(c->store));
            if (rc)
                return delta_error_prefix(rc, "reading %s: ", f->key);
            dlog_action a;
            rc = commit_metadata(data, len, f->key, &a);
            delta_free(data);
            if (rc)
                return rc;
            if (a.type == DLOG_ACT_METADATA) {
                cdf = dlog_map_true(&a.u.metadata.configuration, "delta.enableChangeDataFeed");
                ict = dlog_map_true(&a.u.metadata.configuration, "delta.enableInCommitTimestamps");
            }
            dlog_action_clear(&a);
        }
        if (!cdf)
            return not_enabled(c, f->version);
        c->ict[i] = ict;
    }
    return 0;
}

/* ---- commits -------------------------------------------------------------- */

static void close_unit(changes *c)
{
    if (c->scan)
        c->scan->free(c->scan);
    c->scan = NULL;
    c->cur = NULL;
    dtab_dv_clear(&c->set);
    c->set_pos = 0;
    c->pos = 0;
}

static void clear_commit(changes *c)
{
    close_unit(c);
    for (size_t i = 0; i < c->nunits; i++)
        delta_free(c->units[i].lf.canonical);
    delta_free(c->units);
    c->units = NULL;
    c->nunits = c->next_unit = 0;
    for (size_t i = 0; i < c->nacts; i++)
        dlog_action_clear(&c->acts[i]);
    c->nacts = 0;
    dlog_snapshot_free(c->before);
    c->before = NULL;
}

static int take_action(void *ctx, dlog_action *a, size_t line)
{
    (void)line;
    changes *c = ctx;
    if (a->type != DLOG_ACT_ADD && a->type != DLOG_ACT_REMOVE && a->type != DLOG_ACT_CDC &&
        a->type != DLOG_ACT_COMMIT_INFO)
        return 0;
    if (c->nacts == c->cap_acts) {
        size_t cap = c->cap_acts ? c->cap_acts * 2 : 64;
        dlog_action *p = delta_reallocarray(c->acts, cap, sizeof *p);
        if (!p)
            return DELTA_ENOMEM;
        c->acts = p;
        c->cap_acts = cap;
    }
    c->acts[c->nacts++] = *a;
    a->type = DLOG_ACT_NONE; /* taken */
    return 0;
}

static int canonical(const changes *c, const char *raw, char **out)
{
    dbuf b = DBUF_INIT;
    int rc = dlog_canonical_path(c->end->root_local, raw, &b);
    if (!rc && b.err)
        rc = b.err;
    if (rc) {
        dbuf_free(&b);
        return rc;
    }
    *out = dbuf_detach(&b, NULL);
    return *out ? 0 : DELTA_ENOMEM;
}

/* A new unit reading `path` with partition values `pv` (both borrowed). */
static int add_unit(changes *c, const char *path, const dlog_map *pv, unit **out)
{
    unit *u = &c->units[c->nunits];
    memset(u, 0, sizeof *u);
    int rc = canonical(c, path, &u->lf.canonical);
    if (rc)
        return rc;
    u->lf.version = c->version;
    u->lf.add.path = (char *)path;
    u->lf.add.partition_values = *pv;
    u->lf.add.data_change = true;
    c->nunits++;
    *out = u;
    return 0;
}

/* The partition values of a removed file whose remove action lacks them:
 * those of its add in the snapshot before this commit. */
static int removed_partition_values(changes *c, const dlog_remove *r, const dlog_map **out)
{
    int rc = 0;
    if (!c->before) {
        dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
        o.at_version = c->version - 1;
        if (o.at_version < 0 || (rc = dlog_snapshot_open(&c->before, c->store, &o)))
            return delta_error_prefix(rc ? rc : DELTA_ECORRUPT,
                                      "version %" PRId64 ": partition values of removed file "
                                      "%s: ",
                                      c->version, r->path);
    }
    dbuf id = DBUF_INIT;
    if (r->has_dv && (rc = dlog_dv_unique_id(&r->dv, &id)) == 0 && id.err)
        rc = id.err;
    const dlog_live_file *lf =
        rc ? NULL : dlog_snapshot_find_file(c->before, r->path, r->has_dv ? dbuf_cstr(&id) : NULL);
    dbuf_free(&id);
    if (rc)
        return rc;
    if (!lf)
        return delta_error_set(DELTA_ECORRUPT,
                               "version %" PRId64 " removes %s without partitionValues, and "
                               "version %" PRId64 " has no such file",
                               c->version, r->path, c->version - 1);
    *out = &lf->add.partition_values;
    return 0;
}

/* Units of a commit without change data files. */
static int plan_adds_removes(changes *c)
{
    dmap *adds = NULL; /* canonical path -> add action with dataChange */
    int rc = dmap_new(&adds, c->nacts);
    char *key = NULL;
    /* adds by path */
    for (size_t i = 0; i < c->nacts && !rc; i++) {
        dlog_action *a = &c->acts[i];
        if (a->type != DLOG_ACT_ADD || !a->u.add.data_change)
            continue;
        if (!(rc = canonical(c, a->u.add.path, &key)))
            rc = dmap_sput(adds, key, a, NULL);
        delta_free(key);
        key = NULL;
    }
    /* removes: deletes (and, paired with an add of the same file, the
     * rows the deletion vectors differ in) */
    dmap *paired = NULL;
    if (!rc)
        rc = dmap_new(&paired, 0);
    bool partitioned = c->end->metadata.num_partition_columns > 0;
    for (size_t i = 0; i < c->nacts && !rc; i++) {
        dlog_action *a = &c->acts[i];
        if (a->type != DLOG_ACT_REMOVE || !a->u.remove.data_change)
            continue;
        const dlog_remove *r = &a->u.remove;
        const dlog_map *pv = &r->partition_values;
        if (!r->has_partition_values && partitioned &&
            (rc = removed_partition_values(c, r, &pv)))
            break;
        unit *u;
        if ((rc = add_unit(c, r->path, pv, &u)))
            break;
        u->change_type = "delete";
        void *found = NULL;
        if (dmap_sget(adds, u->lf.canonical, &found)) {
            const dlog_add *ad = &((dlog_action *)found)->u.add;
            /* newly deleted: in the add's vector, not in the remove's */
            u->only = true;
            u->a = ad->has_dv ? &ad->dv : NULL;
            u->b = r->has_dv ? &r->dv : NULL;
            unit *ins;
            if ((rc = add_unit(c, ad->path, &ad->partition_values, &ins)))
                break;
            /* restored: in the remove's vector, not in the add's */
            ins->change_type = "insert";
            ins->only = true;
            ins->a = r->has_dv ? &r->dv : NULL;
            ins->b = ad->has_dv ? &ad->dv : NULL;
            rc = dmap_sput(paired, u->lf.canonical, found, NULL);
        } else {
            u->b = r->has_dv ? &r->dv : NULL;
        }
    }
    /* the other adds: inserts */
    for (size_t i = 0; i < c->nacts && !rc; i++) {
        dlog_action *a = &c->acts[i];
        if (a->type != DLOG_ACT_ADD || !a->u.add.data_change)
            continue;
        unit *u;
        if ((rc = add_unit(c, a->u.add.path, &a->u.add.partition_values, &u)))
            break;
        void *found = NULL;
        if (dmap_sget(paired, u->lf.canonical, &found) && found == a) {
            delta_free(u->lf.canonical);
            c->nunits--;
            continue;
        }
        u->change_type = "insert";
        u->b = a->u.add.has_dv ? &a->u.add.dv : NULL;
    }
    dmap_free(adds);
    dmap_free(paired);
    return rc;
}

static int load_commit(changes *c, size_t i)
{
    clear_commit(c);
    const dlog_file *f = c->commits[i];
    c->version = f->version;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = delta_store_get(c->store, f->key, &data, &len);
    if (rc == DELTA_ENOTFOUND)
        return delta_error_set(rc, "version %" PRId64 " of %s is no longer in the log",
                               f->version, delta_store_uri(c->store));
    if (rc)
        return delta_error_prefix(rc, "reading %s: ", f->key);
    rc = dlog_parse_ndjson(f->key, data, len, take_action, c);
    delta_free(data);
    if (rc)
        return rc;
    int64_t ms = f->mtime_ms;
    size_t ncdc = 0, nfiles = 0;
    for (size_t k = 0; k < c->nacts; k++) {
        const dlog_action *a = &c->acts[k];
        if (a->type == DLOG_ACT_COMMIT_INFO && c->ict[i]) {
            if (!a->u.commit_info.has_in_commit_timestamp)
                return delta_error_set(DELTA_ECORRUPT,
                                       "%s: in-commit timestamps are enabled but the "
                                       "commitInfo has no inCommitTimestamp",
                                       f->key);
            ms = a->u.commit_info.in_commit_timestamp;
        }
        ncdc += a->type == DLOG_ACT_CDC;
        nfiles += a->type == DLOG_ACT_ADD || a->type == DLOG_ACT_REMOVE;
    }
    c->ts_us = ms * 1000;
    /* a pair of remove and add gives two units */
    size_t cap = ncdc ? ncdc : nfiles + nfiles / 2 + 1;
    c->units = delta_calloc(cap ? cap : 1, sizeof *c->units);
    if (!c->units)
        return DELTA_ENOMEM;
    if (!ncdc)
        return plan_adds_removes(c);
    for (size_t k = 0; k < c->nacts && !rc; k++) {
        const dlog_action *a = &c->acts[k];
        if (a->type != DLOG_ACT_CDC)
            continue;
        unit *u;
        if (!(rc = add_unit(c, a->u.cdc.path, &a->u.cdc.partition_values, &u)))
            u->cdc = true;
    }
    return rc;
}

/* ---- units ---------------------------------------------------------------- */

/* a minus b, both ascending, into a. */
static void dv_minus(dtab_dv *a, const dtab_dv *b)
{
    size_t k = 0, j = 0;
    for (size_t i = 0; i < a->count; i++) {
        while (j < b->count && b->rows[j] < a->rows[i])
            j++;
        if (j < b->count && b->rows[j] == a->rows[i])
            continue;
        a->rows[k++] = a->rows[i];
    }
    a->count = k;
}

static int open_unit(changes *c, const unit *u)
{
    int rc = 0;
    dtab_dv b = {0};
    if (u->b && (rc = dtab_dv_load(c->store, u->b, &b)))
        goto done;
    if (u->only) {
        if (u->a && (rc = dtab_dv_load(c->store, u->a, &c->set)))
            goto done;
        dv_minus(&c->set, &b);
        if (c->set.count == 0)
            goto done; /* nothing of this file changed */
    } else {
        c->set = b;
        memset(&b, 0, sizeof b);
    }
    dtab_scan_opts so = DTAB_SCAN_OPTS_INIT;
    so.files = (const dlog_live_file *const[]){&u->lf};
    so.num_files = 1;
    so.schema = u->cdc ? c->cdc_schema : NULL;
    /* the scan copies the file list when it opens */
    if ((rc = dtab_scan_open(&c->scan, c->end, &so)))
        goto done;
    c->cur = u;
    c->pos = 0;
    c->set_pos = 0;
done:
    dtab_dv_clear(&b);
    if (rc) {
        rc = delta_error_prefix(rc, "version %" PRId64 ": ", c->version);
        close_unit(c);
    } else if (!c->scan) {
        dtab_dv_clear(&c->set);
    }
    return rc;
}

/* Selects the rows of a scan batch (file positions pos..pos+n) the unit
 * keeps: *k rows listed in c->take, or *all. */
static int select_rows(changes *c, int64_t n, int64_t *k, bool *all)
{
    uint64_t lo = (uint64_t)c->pos, hi = lo + (uint64_t)n;
    size_t p = c->set_pos;
    while (p < c->set.count && c->set.rows[p] < lo)
        p++;
    size_t first = p;
    while (p < c->set.count && c->set.rows[p] < hi)
        p++;
    c->set_pos = p;
    *all = false;
    *k = 0;
    if (!c->cur->only && p == first) {
        *all = true;
        return 0;
    }
    if (n > c->take_cap) {
        uint32_t *t = delta_reallocarray(c->take, (size_t)n, sizeof *t);
        if (!t)
            return DELTA_ENOMEM;
        c->take = t;
        c->take_cap = n;
    }
    if (c->cur->only) {
        for (size_t d = first; d < p; d++)
            c->take[(*k)++] = (uint32_t)(c->set.rows[d] - lo);
        return 0;
    }
    size_t d = first;
    for (int64_t r = 0; r < n; r++) {
        if (d < p && c->set.rows[d] == lo + (uint64_t)r) {
            d++;
            continue;
        }
        c->take[(*k)++] = (uint32_t)r;
    }
    return 0;
}

/* n copies of row 0 of a one-row vector. */
static int repeat(const dvec *one, int64_t n, dvec **out)
{
    int rc = dvec_new(out, one->type);
    if (!rc)
        rc = dvec_reserve(*out, n);
    for (int64_t i = 0; i < n && !rc; i++)
        rc = dvec_append_from(*out, one, 0);
    return rc;
}

static int constant_int(const dtype *t, int64_t v, int64_t n, dvec **out)
{
    int rc = dvec_new(out, t);
    if (!rc)
        rc = dvec_reserve(*out, n);
    for (int64_t i = 0; i < n && !rc; i++)
        rc = dvec_append_int(*out, v);
    return rc;
}

/* The output batch of scan batch b (taken). *out NULL when no row of b
 * is a change. */
static int emit(changes *c, dvec *b, dvec **out)
{
    *out = NULL;
    int64_t n = b->length, k;
    bool all;
    dvec *o = NULL, *col = NULL;
    int rc = select_rows(c, n, &k, &all);
    c->pos += n;
    if (!rc && !all) {
        dvec *nb = NULL;
        if (!(rc = dbatch_new(&nb, b->type)))
            rc = dvec_append_take(nb, b, c->take, k);
        dvec_unref(b);
        b = nb;
    }
    if (rc || b->length == 0)
        goto done;
    n = b->length;
    if ((rc = dvec_new(&o, c->out_schema)))
        goto done;
    for (uint32_t i = 0; i < c->ntab; i++) {
        dvec_unref(o->children[i]);
        o->children[i] = dvec_ref(b->children[i]);
    }
    if (c->cur->cdc) {
        col = dvec_ref(b->children[c->ntab]);
        if (col->null_count > 0) {
            rc = delta_error_set(DELTA_ECORRUPT, "%s: a row has a null _change_type",
                                 c->cur->lf.add.path);
            goto done;
        }
    } else {
        rc = repeat(strcmp(c->cur->change_type, "insert") == 0 ? c->type_insert : c->type_delete,
                    n, &col);
    }
    if (rc)
        goto done;
    dvec_unref(o->children[c->ntab]);
    o->children[c->ntab] = col;
    col = NULL;
    if ((rc = constant_int(c->out_schema->fields[c->ntab + 1].type, c->version, n, &col)))
        goto done;
    dvec_unref(o->children[c->ntab + 1]);
    o->children[c->ntab + 1] = col;
    col = NULL;
    if ((rc = constant_int(c->out_schema->fields[c->ntab + 2].type, c->ts_us, n, &col)))
        goto done;
    dvec_unref(o->children[c->ntab + 2]);
    o->children[c->ntab + 2] = col;
    col = NULL;
    o->length = n;
    o->null_count = 0;
    *out = o;
    o = NULL;
done:
    dvec_unref(col);
    dvec_unref(o);
    dvec_unref(b);
    return rc;
}

/* ---- the stream ----------------------------------------------------------- */

static int changes_next(dstream *ds, dvec **out)
{
    changes *c = (changes *)ds;
    *out = NULL;
    for (;;) {
        int rc;
        if (c->scan) {
            dvec *b = NULL;
            if ((rc = c->scan->next(c->scan, &b)))
                return delta_error_prefix(rc, "version %" PRId64 ": ", c->version);
            if (!b) {
                close_unit(c);
                continue;
            }
            if ((rc = emit(c, b, out)))
                return delta_error_prefix(rc, "version %" PRId64 ": ", c->version);
            if (*out)
                return 0;
            continue;
        }
        if (c->next_unit < c->nunits) {
            if ((rc = open_unit(c, &c->units[c->next_unit++])))
                return rc;
            continue;
        }
        if (c->next_commit >= c->ncommits) {
            clear_commit(c);
            return 0;
        }
        if ((rc = load_commit(c, c->next_commit++)))
            return rc;
    }
}

static void changes_free(dstream *ds)
{
    changes *c = (changes *)ds;
    if (!c)
        return;
    clear_commit(c);
    delta_free(c->acts);
    delta_free(c->take);
    dvec_unref(c->type_insert);
    dvec_unref(c->type_delete);
    dtype_unref(c->out_schema);
    dtype_unref(c->cdc_schema);
    delta_free(c->commits);
    delta_free(c->ict);
    dlog_listing_free(&c->listing);
    dlog_snapshot_free(c->end);
    delta_store_free(c->store);
    delta_free(c);
}

/* The commits from..to of the listing (to -1: the latest), checked. */
static int select_commits(changes *c, int64_t from, int64_t *to)
{
    const dlog_listing *l = &c->listing;
    int64_t latest = -1, earliest = -1;
    for (size_t i = 0; i < l->count; i++)
        if (l->files[i].kind == DLOG_FILE_COMMIT) {
            if (earliest < 0)
                earliest = l->files[i].version;
            latest = l->files[i].version;
        }
    const char *uri = delta_store_uri(c->store);
    if (latest < 0)
        return delta_error_set(DELTA_ENOTFOUND, "no commits in the log of %s", uri);
    if (*to < 0)
        *to = latest;
    if (from > latest)
        return delta_error_set(DELTA_EINVAL,
                               "from version %" PRId64 " is after the latest version %" PRId64
                               " of %s",
                               from, latest, uri);
    if (*to > latest)
        return delta_error_set(DELTA_EINVAL,
                               "to version %" PRId64 " is after the latest version %" PRId64
                               " of %s",
                               *to, latest, uri);
    if (from > *to)
        return delta_error_set(DELTA_EINVAL,
                               "from version %" PRId64 " is after to version %" PRId64, from,
                               *to);
    size_t n = (size_t)(*to - from + 1);
    c->commits = delta_calloc(n, sizeof *c->commits);
    c->ict = delta_calloc(n, sizeof *c->ict);
    if (!c->commits || !c->ict)
        return DELTA_ENOMEM;
    for (size_t i = 0; i < l->count; i++) {
        const dlog_file *f = &l->files[i];
        if (f->kind == DLOG_FILE_COMMIT && f->version >= from && f->version <= *to)
            c->commits[f->version - from] = f;
    }
    for (size_t i = 0; i < n; i++)
        if (!c->commits[i])
            return delta_error_set(DELTA_ENOTFOUND,
                                   "version %" PRId64 " of %s is no longer in the log "
                                   "(commits from version %" PRId64 " on are)",
                                   from + (int64_t)i, uri, earliest);
    c->ncommits = n;
    return 0;
}

int dops_changes_open(dstream **out, delta_store *table, int64_t from, int64_t to)
{
    *out = NULL;
    changes *c = delta_calloc(1, sizeof *c);
    if (!c) {
        delta_store_free(table);
        return DELTA_ENOMEM;
    }
    c->store = table;
    c->base.next = changes_next;
    c->base.free = changes_free;
    dlog_snapshot *start = NULL;
    int rc = 0;
    if (from < 0)
        rc = delta_error_set(DELTA_EINVAL, "from version %" PRId64 " is negative", from);
    else if (to >= 0 && from > to)
        rc = delta_error_set(DELTA_EINVAL,
                             "from version %" PRId64 " is after to version %" PRId64, from, to);
    if (!rc)
        rc = dlog_list(table, -1, &c->listing);
    if (!rc)
        rc = select_commits(c, from, &to);
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.at_version = to;
    if (!rc)
        rc = dlog_snapshot_open(&c->end, table, &o);
    if (!rc)
        rc = build_schemas(c);
    if (!rc && from < to) {
        o.at_version = from;
        rc = dlog_snapshot_open(&start, table, &o);
    }
    if (!rc)
        rc = check_range(c, start ? &start->metadata : &c->end->metadata);
    dlog_snapshot_free(start);
    if (rc) {
        changes_free(&c->base);
        return rc;
    }
    *out = &c->base;
    return 0;
}

/* ---- public API ----------------------------------------------------------- */

int delta_table_changes(delta_table *t, const delta_changes_options *opts,
                        struct ArrowArrayStream *out)
{
    memset(out, 0, sizeof *out);
    if (!t || !opts)
        return delta_error_set(DELTA_EINVAL, "changes: no table or no options");
    if (opts->version != DELTA_CHANGES_OPTIONS_VERSION)
        return delta_error_set(DELTA_EINVAL, "delta_changes_options: unknown version %u",
                               opts->version);
    delta_store *s = NULL;
    int rc = delta_store_open(&s, delta_table_uri(t));
    if (rc)
        return rc;
    dstream *ds;
    if ((rc = dops_changes_open(&ds, s, opts->from_version, opts->to_version)))
        return rc;
    return dstream_export(ds, out); /* takes ds, also on failure */
}
