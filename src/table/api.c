/*
 * The public table API (include/delta/table.h): tables, snapshots, scans
 * as Arrow streams, describe, and history, over the log (src/log) and the
 * scan (scan.c).
 *
 * Lifetimes: a delta_table owns its store; a delta_snapshot holds a
 * reference to its table and owns its dlog_snapshot; a scan stream holds a
 * reference to its snapshot (released by the scan's on_free hook). So the
 * store outlives every snapshot replayed from it and every stream reading
 * its files, whatever order the caller frees things in.
 */
#include <delta/table.h>

#include <jansson.h>
#include <string.h>

#include "columnar/arrow.h"
#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "log/actions.h"
#include "log/checkpoint.h"
#include "log/log.h"
#include "log/snapshot.h"
#include "table/scan.h"

struct delta_table {
    int32_t refcount;
    delta_store *store;
    char *uri;
};

struct delta_snapshot {
    int32_t refcount;
    delta_table *table;
    dlog_snapshot *snap;
};

static void table_unref(delta_table *t)
{
    if (!t || __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    delta_store_free(t->store);
    delta_free(t->uri);
    delta_free(t);
}

static void snapshot_unref(delta_snapshot *s)
{
    if (!s || __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    dlog_snapshot_free(s->snap);
    table_unref(s->table);
    delta_free(s);
}

DELTA_EXTERN int delta_table_open(delta_table **out, const char *uri)
{
    *out = NULL;
    if (!uri || !*uri)
        return delta_error_set(DELTA_EINVAL, "empty table location");
    delta_table *t = delta_calloc(1, sizeof *t);
    if (!t)
        return DELTA_ENOMEM;
    t->refcount = 1;
    int rc = (t->uri = delta_strdup(uri)) ? 0 : DELTA_ENOMEM;
    if (!rc)
        rc = delta_store_open(&t->store, uri);
    if (rc) {
        table_unref(t);
        return rc;
    }
    *out = t;
    return 0;
}

DELTA_EXTERN const char *delta_table_uri(const delta_table *t)
{
    return t->uri;
}

DELTA_EXTERN void delta_table_free(delta_table *t)
{
    table_unref(t);
}

DELTA_EXTERN int delta_table_snapshot(delta_snapshot **out, delta_table *t, int64_t version,
                                      const char *timestamp)
{
    *out = NULL;
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.at_version = version < 0 ? -1 : version;
    if (timestamp) {
        if (version >= 0)
            return delta_error_set(DELTA_EINVAL, "give a version or a timestamp, not both");
        int64_t us;
        int rc = dtime_parse_instant(timestamp, &us);
        if (rc)
            return rc;
        o.has_timestamp = true;
        o.at_timestamp_ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
    }
    delta_snapshot *s = delta_calloc(1, sizeof *s);
    if (!s)
        return DELTA_ENOMEM;
    s->refcount = 1;
    int rc = dlog_snapshot_open(&s->snap, t->store, &o);
    if (rc) {
        delta_free(s);
        return rc;
    }
    __atomic_fetch_add(&t->refcount, 1, __ATOMIC_RELAXED);
    s->table = t;
    *out = s;
    return 0;
}

DELTA_EXTERN int64_t delta_snapshot_version(const delta_snapshot *s)
{
    return s->snap->version;
}

DELTA_EXTERN int64_t delta_snapshot_timestamp(const delta_snapshot *s)
{
    return s->snap->timestamp_ms;
}

DELTA_EXTERN size_t delta_snapshot_num_files(const delta_snapshot *s)
{
    return dlog_snapshot_num_files(s->snap);
}

DELTA_EXTERN int delta_snapshot_schema(delta_snapshot *s, struct ArrowSchema *out)
{
    return dtype_export(s->snap->schema, "", false, out);
}

static void scan_done(void *ctx)
{
    snapshot_unref(ctx);
}

DELTA_EXTERN int delta_snapshot_scan(delta_snapshot *s, const delta_scan_options *opts,
                                     struct ArrowArrayStream *out)
{
    memset(out, 0, sizeof *out);
    dtab_scan_opts so = DTAB_SCAN_OPTS_INIT;
    if (opts) {
        if (opts->version != DELTA_SCAN_OPTIONS_VERSION)
            return delta_error_set(DELTA_EINVAL, "delta_scan_options: unknown version %u",
                                   opts->version);
        so.columns = opts->columns;
        so.num_columns = opts->num_columns;
        so.limit = opts->limit;
        so.batch_rows = opts->batch_rows;
        so.where = opts->where;
    }
    /* The stream holds a snapshot reference until it is freed. */
    __atomic_fetch_add(&s->refcount, 1, __ATOMIC_RELAXED);
    so.on_free = scan_done;
    so.on_free_ctx = s;
    dstream *ds;
    int rc = dtab_scan_open(&ds, s->snap, &so);
    if (rc) {
        snapshot_unref(s);
        return rc;
    }
    return dstream_export(ds, out); /* takes ds, also on failure (which calls scan_done) */
}

DELTA_EXTERN int delta_snapshot_scan_plan(delta_snapshot *s, const delta_scan_options *opts,
                                          delta_scan_plan *out)
{
    memset(out, 0, sizeof *out);
    dtab_scan_opts so = DTAB_SCAN_OPTS_INIT;
    if (opts) {
        if (opts->version != DELTA_SCAN_OPTIONS_VERSION)
            return delta_error_set(DELTA_EINVAL, "delta_scan_options: unknown version %u",
                                   opts->version);
        so.columns = opts->columns;
        so.num_columns = opts->num_columns;
        so.where = opts->where;
    }
    dtab_scan_counts c;
    int rc = dtab_scan_plan(s->snap, &so, &c);
    if (rc)
        return rc;
    out->files_total = c.files_total;
    out->files_pruned = c.files_pruned;
    out->files_skipped = c.files_skipped;
    out->files_selected = c.files_selected;
    out->bytes_total = c.bytes_total;
    out->bytes_selected = c.bytes_selected;
    return 0;
}

DELTA_EXTERN void delta_snapshot_free(delta_snapshot *s)
{
    snapshot_unref(s);
}

/* ---- checkpoints ---------------------------------------------------------- */

DELTA_EXTERN int delta_table_checkpoint(delta_table *t, delta_checkpoint_info *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    dlog_snapshot *snap = NULL;
    int rc = dlog_snapshot_open(&snap, t->store, NULL);
    if (rc)
        return rc;
    dlog_ckpt_info info;
    memset(&info, 0, sizeof info);
    rc = dlog_checkpoint_write(t->store, snap, NULL, &info);
    dlog_snapshot_free(snap);
    if (rc)
        return rc;
    if (out) {
        out->version = info.version;
        out->num_actions = info.size;
        out->size_bytes = info.size_in_bytes;
        out->num_files = info.num_add_files;
        out->num_tombstones = info.num_tombstones;
    }
    return 0;
}

/* ---- describe ------------------------------------------------------------- */

typedef struct table_stats {
    size_t files;
    int64_t bytes;
    int64_t records;
    bool records_known;
} table_stats;

static void gather_stats(const dlog_snapshot *s, table_stats *st)
{
    memset(st, 0, sizeof *st);
    st->records_known = true;
    size_t it = 0;
    const dlog_live_file *lf;
    while (dlog_snapshot_next_file(s, &it, &lf)) {
        st->files++;
        st->bytes += lf->add.size;
        json_t *j = lf->add.stats ? json_loads(lf->add.stats, 0, NULL) : NULL;
        json_t *n = j ? json_object_get(j, "numRecords") : NULL;
        if (json_is_integer(n)) {
            st->records += json_integer_value(n);
            if (lf->add.has_dv)
                st->records -= lf->add.dv.cardinality;
        } else {
            st->records_known = false;
        }
        json_decref(j);
    }
}

static const char *cm_name(dlog_cm_mode m)
{
    return m == DLOG_CM_ID ? "id" : m == DLOG_CM_NAME ? "name" : "none";
}

static bool is_partition(const dlog_snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->metadata.num_partition_columns; i++)
        if (strcmp(s->metadata.partition_columns[i], name) == 0)
            return true;
    return false;
}

static char *type_name(const dtype *t)
{
    dbuf b = DBUF_INIT;
    dtype_format(t, &b);
    if (b.err) {
        dbuf_free(&b);
        return NULL;
    }
    return dbuf_detach(&b, NULL);
}

static json_t *names_json(const char *const *names, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(names[i]));
    return a;
}

/* {name, description, partition_columns, recommended_properties,
 * zorder_columns}, or null. */
static json_t *template_json(const delta_template *tpl)
{
    if (!tpl)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(tpl->name));
    json_object_set_new(o, "description", json_string(tpl->description));
    json_object_set_new(o, "partition_columns",
                        names_json(tpl->partition_columns, tpl->num_partition_columns));
    json_t *props = json_object();
    for (size_t i = 0; i < tpl->num_properties; i++)
        json_object_set_new(props, tpl->property_keys[i], json_string(tpl->property_values[i]));
    json_object_set_new(o, "recommended_properties", props);
    json_object_set_new(o, "zorder_columns",
                        names_json(tpl->zorder_columns, tpl->num_zorder_columns));
    return o;
}

DELTA_EXTERN const delta_template *delta_snapshot_template(const delta_snapshot *s)
{
    const char *name = dlog_snapshot_property(s->snap, "libdelta.template");
    return name ? delta_template_find(name) : NULL;
}

static int describe_json(const delta_snapshot *ds, const table_stats *st, char **out)
{
    const dlog_snapshot *s = ds->snap;
    const dlog_metadata *m = &s->metadata;
    json_t *o = json_object();
    dbuf ts = DBUF_INIT;
    dtime_format_instant(&ts, s->timestamp_ms * 1000);
    json_object_set_new(o, "location", json_string(ds->table->uri));
    json_object_set_new(o, "version", json_integer(s->version));
    json_object_set_new(o, "timestamp", json_string(dbuf_cstr(&ts)));
    json_object_set_new(o, "id", json_string(m->id));
    json_object_set_new(o, "name", m->name ? json_string(m->name) : json_null());
    json_object_set_new(o, "description", m->description ? json_string(m->description)
                                                         : json_null());
    if (m->has_created_time) {
        dbuf_reset(&ts);
        dtime_format_instant(&ts, m->created_time * 1000);
        json_object_set_new(o, "created_time", json_string(dbuf_cstr(&ts)));
    } else {
        json_object_set_new(o, "created_time", json_null());
    }
    json_t *schema = json_loads(m->schema_string, 0, NULL);
    json_object_set_new(o, "schema", schema ? schema : json_null());
    json_t *cols = json_array();
    for (uint32_t i = 0; s->schema && i < s->schema->num_fields; i++) {
        const dfield *f = &s->schema->fields[i];
        char *tn = type_name(f->type);
        json_t *c = json_object();
        json_object_set_new(c, "name", json_string(f->name));
        json_object_set_new(c, "type", tn ? json_string(tn) : json_null());
        json_object_set_new(c, "nullable", json_boolean(f->nullable));
        json_object_set_new(c, "partition", json_boolean(is_partition(s, f->name)));
        json_array_append_new(cols, c);
        delta_free(tn);
    }
    json_object_set_new(o, "columns", cols);
    json_t *pc = json_array();
    for (size_t i = 0; i < m->num_partition_columns; i++)
        json_array_append_new(pc, json_string(m->partition_columns[i]));
    json_object_set_new(o, "partition_columns", pc);
    json_t *props = json_object();
    for (size_t i = 0; i < m->configuration.count; i++) {
        const dlog_kv *kv = &m->configuration.items[i];
        json_object_set_new(props, kv->key, kv->value ? json_string(kv->value) : json_null());
    }
    json_object_set_new(o, "properties", props);
    json_t *proto = json_object();
    json_object_set_new(proto, "min_reader_version",
                        json_integer(s->protocol.min_reader_version));
    json_object_set_new(proto, "min_writer_version",
                        json_integer(s->protocol.min_writer_version));
    json_t *rf = json_array(), *wf = json_array();
    for (size_t i = 0; i < s->protocol.num_reader_features; i++)
        json_array_append_new(rf, json_string(s->protocol.reader_features[i]));
    for (size_t i = 0; i < s->protocol.num_writer_features; i++)
        json_array_append_new(wf, json_string(s->protocol.writer_features[i]));
    json_object_set_new(proto, "reader_features", rf);
    json_object_set_new(proto, "writer_features", wf);
    json_object_set_new(o, "protocol", proto);
    json_object_set_new(o, "column_mapping", json_string(cm_name(s->column_mapping)));
    json_object_set_new(o, "num_files", json_integer((json_int_t)st->files));
    json_object_set_new(o, "size_bytes", json_integer(st->bytes));
    json_object_set_new(o, "num_records",
                        st->records_known ? json_integer(st->records) : json_null());
    const char *op = s->has_commit_info ? s->commit_info.operation : NULL;
    json_object_set_new(o, "last_operation", op ? json_string(op) : json_null());
    json_object_set_new(o, "template", template_json(delta_snapshot_template(ds)));
    dbuf_free(&ts);
    dbuf b = DBUF_INIT;
    int rc = dlog_json_dump(o, &b);
    json_decref(o);
    if (!rc)
        rc = dbuf_putc(&b, '\n');
    if (rc) {
        dbuf_free(&b);
        return rc;
    }
    *out = dbuf_detach(&b, NULL);
    return 0;
}

static void list_line(dbuf *b, const char *label, char *const *items, size_t n)
{
    dbuf_printf(b, "%-18s", label);
    if (!n)
        dbuf_puts(b, "-");
    for (size_t i = 0; i < n; i++)
        dbuf_printf(b, "%s%s", i ? ", " : "", items[i]);
    dbuf_putc(b, '\n');
}

static int describe_text(const delta_snapshot *ds, const table_stats *st, char **out)
{
    const dlog_snapshot *s = ds->snap;
    const dlog_metadata *m = &s->metadata;
    dbuf b = DBUF_INIT;
    dbuf_printf(&b, "%-18s%s\n", "location", ds->table->uri);
    dbuf_printf(&b, "%-18s%lld (", "version", (long long)s->version);
    dtime_format_instant(&b, s->timestamp_ms * 1000);
    dbuf_puts(&b, ")\n");
    dbuf_printf(&b, "%-18s%s\n", "id", m->id);
    if (m->name)
        dbuf_printf(&b, "%-18s%s\n", "name", m->name);
    if (m->description)
        dbuf_printf(&b, "%-18s%s\n", "description", m->description);
    if (m->has_created_time) {
        dbuf_printf(&b, "%-18s", "created");
        dtime_format_instant(&b, m->created_time * 1000);
        dbuf_putc(&b, '\n');
    }
    if (s->has_commit_info && s->commit_info.operation)
        dbuf_printf(&b, "%-18s%s\n", "last operation", s->commit_info.operation);
    dbuf_printf(&b, "%-18s%zu\n", "files", st->files);
    dbuf_printf(&b, "%-18s%lld\n", "size (bytes)", (long long)st->bytes);
    if (st->records_known)
        dbuf_printf(&b, "%-18s%lld\n", "records", (long long)st->records);
    else
        dbuf_printf(&b, "%-18s%s\n", "records", "unknown (files without statistics)");
    dbuf_printf(&b, "%-18sreader %d, writer %d\n", "protocol", s->protocol.min_reader_version,
                s->protocol.min_writer_version);
    if (s->protocol.has_reader_features)
        list_line(&b, "reader features", s->protocol.reader_features,
                  s->protocol.num_reader_features);
    if (s->protocol.has_writer_features)
        list_line(&b, "writer features", s->protocol.writer_features,
                  s->protocol.num_writer_features);
    dbuf_printf(&b, "%-18s%s\n", "column mapping", cm_name(s->column_mapping));
    list_line(&b, "partitioned by", m->partition_columns, m->num_partition_columns);
    dbuf_puts(&b, "\nschema\n");
    for (uint32_t i = 0; s->schema && i < s->schema->num_fields; i++) {
        const dfield *f = &s->schema->fields[i];
        dbuf_printf(&b, "  %s ", f->name);
        dtype_format(f->type, &b);
        dbuf_printf(&b, "%s%s\n", f->nullable ? "" : " not null",
                    is_partition(s, f->name) ? " (partition)" : "");
    }
    const delta_template *tpl = delta_snapshot_template(ds);
    if (tpl) {
        dbuf_printf(&b, "\ntemplate          %s (%s)\n", tpl->name, tpl->description);
        dbuf_puts(&b, "  partition strategy  ");
        for (size_t i = 0; i < tpl->num_partition_columns; i++)
            dbuf_printf(&b, "%s%s", i ? ", " : "", tpl->partition_columns[i]);
        dbuf_puts(&b, tpl->num_partition_columns ? "\n" : "-\n");
        dbuf_puts(&b, "  z-order hint        ");
        for (size_t i = 0; i < tpl->num_zorder_columns; i++)
            dbuf_printf(&b, "%s%s", i ? ", " : "", tpl->zorder_columns[i]);
        dbuf_puts(&b, tpl->num_zorder_columns ? "\n" : "-\n");
        dbuf_puts(&b, "  recommended properties\n");
        for (size_t i = 0; i < tpl->num_properties; i++)
            dbuf_printf(&b, "    %s = %s\n", tpl->property_keys[i], tpl->property_values[i]);
    }
    dbuf_puts(&b, "\nproperties\n");
    if (!m->configuration.count)
        dbuf_puts(&b, "  -\n");
    for (size_t i = 0; i < m->configuration.count; i++) {
        const dlog_kv *kv = &m->configuration.items[i];
        dbuf_printf(&b, "  %s = %s\n", kv->key, kv->value ? kv->value : "null");
    }
    if (b.err) {
        int rc = b.err;
        dbuf_free(&b);
        return rc;
    }
    *out = dbuf_detach(&b, NULL);
    return 0;
}

DELTA_EXTERN int delta_snapshot_describe(delta_snapshot *s, bool json, char **out)
{
    *out = NULL;
    table_stats st;
    gather_stats(s->snap, &st);
    return json ? describe_json(s, &st, out) : describe_text(s, &st, out);
}

/* ---- history ------------------------------------------------------------- */

struct delta_history {
    delta_table *table;
    dlog_listing listing;
    size_t next;  /* index into listing.files, walking down; 0 = done */
    int64_t left; /* -1: no limit */
    dlog_action action;
    char *parameters, *metrics;
};

static char *dump_member(const char *json, const char *member)
{
    json_t *o = json_loads(json, 0, NULL);
    json_t *m = o ? json_object_get(o, member) : NULL;
    char *s = NULL;
    if (m) {
        dbuf b = DBUF_INIT;
        if (dlog_json_dump(m, &b) == 0)
            s = dbuf_detach(&b, NULL);
        dbuf_free(&b);
    }
    json_decref(o);
    return s;
}

static void history_reset(delta_history *h)
{
    dlog_action_clear(&h->action);
    memset(&h->action, 0, sizeof h->action);
    delta_free(h->parameters);
    delta_free(h->metrics);
    h->parameters = h->metrics = NULL;
}

DELTA_EXTERN int delta_table_history(delta_history **out, delta_table *t, int64_t limit)
{
    *out = NULL;
    delta_history *h = delta_calloc(1, sizeof *h);
    if (!h)
        return DELTA_ENOMEM;
    int rc = dlog_list(t->store, -1, &h->listing);
    if (rc) {
        delta_free(h);
        return rc;
    }
    __atomic_fetch_add(&t->refcount, 1, __ATOMIC_RELAXED);
    h->table = t;
    h->next = h->listing.count;
    h->left = limit < 0 ? -1 : limit;
    *out = h;
    return 0;
}

/* The commitInfo line of a commit (usually the first), parsed into a. */
static int find_commit_info(const uint8_t *data, size_t len, const char *key, dlog_action *a)
{
    size_t line = 0;
    for (size_t pos = 0; pos < len;) {
        const uint8_t *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        line++;
        const char *p = (const char *)data + pos;
        size_t n = end - pos;
        size_t skip = 0;
        while (skip < n && (p[skip] == ' ' || p[skip] == '\t' || p[skip] == '{'))
            skip++;
        if (n - skip > 12 && memcmp(p + skip, "\"commitInfo\"", 12) == 0)
            return dlog_action_parse(a, p, n, key, line);
        pos = end + 1;
    }
    return 0;
}

DELTA_EXTERN int delta_history_next(delta_history *h, delta_commit *out)
{
    memset(out, 0, sizeof *out);
    history_reset(h);
    while (h->next > 0 && h->left != 0) {
        const dlog_file *f = &h->listing.files[--h->next];
        if (f->kind != DLOG_FILE_COMMIT)
            continue;
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = delta_store_get(h->table->store, f->key, &data, &len);
        if (rc == DELTA_ENOTFOUND)
            continue; /* cleaned up since the listing */
        if (rc)
            return delta_error_prefix(rc, "reading %s: ", f->key);
        rc = find_commit_info(data, len, f->key, &h->action);
        delta_free(data);
        if (rc)
            return rc;
        out->version = f->version;
        out->timestamp = f->mtime_ms;
        if (h->action.type == DLOG_ACT_COMMIT_INFO) {
            const dlog_commit_info *ci = &h->action.u.commit_info;
            if (ci->has_in_commit_timestamp)
                out->timestamp = ci->in_commit_timestamp;
            out->operation = ci->operation;
            out->commit_info = ci->json;
            if (ci->json) {
                out->parameters = h->parameters = dump_member(ci->json, "operationParameters");
                out->metrics = h->metrics = dump_member(ci->json, "operationMetrics");
            }
        }
        if (h->left > 0)
            h->left--;
        return 1;
    }
    return 0;
}

DELTA_EXTERN void delta_history_free(delta_history *h)
{
    if (!h)
        return;
    history_reset(h);
    dlog_listing_free(&h->listing);
    table_unref(h->table);
    delta_free(h);
}
