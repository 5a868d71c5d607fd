/*
 * Delta log actions: JSON parsing and serialization (see actions.h).
 *
 * add and remove lines go through the streaming scanner of scan.c first;
 * it declines anything unusual, and then (as for every other action) the
 * line is parsed with one jansson call into a tree and the fields are
 * picked out by name; the tree is freed before the next line, so a
 * commit of any size needs memory for one line's tree plus the actions the
 * consumer keeps. Field checks are strict on type (a "size" given as a
 * string is corrupt, not guessed at) and silent on unknown names.
 */
#include "log/actions.h"

#include <jansson.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/str.h"

/* Where a field is being read from, for messages. */
typedef struct pctx {
    const char *file;
    size_t line;
    const char *action;
} pctx;

static int perr(const pctx *pc, const char *field, const char *what)
{
    return delta_error_set(DELTA_ECORRUPT, "%s:%zu: %s.%s: %s", pc->file, pc->line, pc->action,
                           field, what);
}

int dlog_json_dump(const json_t *v, dbuf *out)
{
    size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    if (n == 0)
        return delta_error_set(DELTA_EINVAL, "value cannot be written as JSON");
    uint8_t *p = dbuf_grow(out, n);
    if (!p)
        return out->err ? out->err : DELTA_ENOMEM;
    if (json_dumpb(v, (char *)p, n, JSON_COMPACT | JSON_ENCODE_ANY) != n)
        return delta_error_set(DELTA_EINVAL, "value changed while being written as JSON");
    return 0;
}

char *dlog_json_text(const json_t *v)
{
    dbuf b = DBUF_INIT;
    if (!v || dlog_json_dump(v, &b)) {
        dbuf_free(&b);
        return NULL;
    }
    return dbuf_detach(&b, NULL);
}

/* ---- maps and lists ------------------------------------------------------ */

const char *dlog_map_get(const dlog_map *m, const char *key, bool *found)
{
    for (size_t i = 0; m && i < m->count; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            if (found)
                *found = true;
            return m->items[i].value;
        }
    }
    if (found)
        *found = false;
    return NULL;
}

bool dlog_map_true(const dlog_map *m, const char *key)
{
    const char *v = dlog_map_get(m, key, NULL);
    return v && dstr_ieq(v, "true");
}

void dlog_map_clear(dlog_map *m)
{
    for (size_t i = 0; !m->borrowed && i < m->count; i++) {
        delta_free(m->items[i].key);
        delta_free(m->items[i].value);
    }
    if (!m->borrowed)
        delta_free(m->items);
    m->items = NULL;
    m->count = 0;
    m->borrowed = false;
}

static void strlist_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        delta_free(list[i]);
    delta_free(list);
}

/* ---- field readers ------------------------------------------------------- */

/* Present and not null. */
static json_t *field(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return (v && !json_is_null(v)) ? v : NULL;
}

static int get_str(const pctx *pc, const json_t *obj, const char *key, bool required, char **out)
{
    *out = NULL;
    json_t *v = field(obj, key);
    if (!v)
        return required ? perr(pc, key, "required field missing") : 0;
    if (!json_is_string(v))
        return perr(pc, key, "expected a string");
    *out = delta_strndup(json_string_value(v), json_string_length(v));
    return *out ? 0 : DELTA_ENOMEM;
}

static int get_i64(const pctx *pc, const json_t *obj, const char *key, bool required,
                   int64_t *out, bool *has)
{
    json_t *v = field(obj, key);
    if (has)
        *has = v != NULL;
    if (!v)
        return required ? perr(pc, key, "required field missing") : 0;
    if (!json_is_integer(v))
        return perr(pc, key, "expected an integer");
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int get_i32(const pctx *pc, const json_t *obj, const char *key, bool required,
                   int32_t *out, bool *has)
{
    int64_t x = 0;
    bool h = false;
    int rc = get_i64(pc, obj, key, required, &x, &h);
    if (has)
        *has = h;
    if (rc || !h)
        return rc;
    if (x < INT32_MIN || x > INT32_MAX)
        return perr(pc, key, "integer out of range");
    *out = (int32_t)x;
    return 0;
}

static int get_bool(const pctx *pc, const json_t *obj, const char *key, bool required,
                    bool *out, bool *has)
{
    json_t *v = field(obj, key);
    if (has)
        *has = v != NULL;
    if (!v)
        return required ? perr(pc, key, "required field missing") : 0;
    if (!json_is_boolean(v))
        return perr(pc, key, "expected a boolean");
    *out = json_is_true(v);
    return 0;
}

static int get_map(const pctx *pc, const json_t *obj, const char *key, bool required,
                   dlog_map *out, bool *has)
{
    memset(out, 0, sizeof *out);
    json_t *v = field(obj, key);
    if (has)
        *has = v != NULL;
    if (!v)
        return required ? perr(pc, key, "required field missing") : 0;
    if (!json_is_object(v))
        return perr(pc, key, "expected an object");
    size_t n = json_object_size(v);
    if (n == 0)
        return 0;
    out->items = delta_calloc(n, sizeof *out->items);
    if (!out->items)
        return DELTA_ENOMEM;
    const char *k;
    json_t *val;
    json_object_foreach(v, k, val) {
        dlog_kv *kv = &out->items[out->count];
        if (!json_is_null(val) && !json_is_string(val)) {
            dlog_map_clear(out);
            return delta_error_set(DELTA_ECORRUPT, "%s:%zu: %s.%s: value of '%s' is not a string",
                                   pc->file, pc->line, pc->action, key, k);
        }
        kv->key = delta_strdup(k);
        if (kv->key && json_is_string(val)) {
            kv->value = delta_strndup(json_string_value(val), json_string_length(val));
            if (!kv->value) {
                delta_free(kv->key);
                kv->key = NULL;
            }
        }
        if (!kv->key) {
            dlog_map_clear(out);
            return DELTA_ENOMEM;
        }
        out->count++;
    }
    return 0;
}

static int get_strlist(const pctx *pc, const json_t *obj, const char *key, bool required,
                       char ***out, size_t *count, bool *has)
{
    *out = NULL;
    *count = 0;
    json_t *v = field(obj, key);
    if (has)
        *has = v != NULL;
    if (!v)
        return required ? perr(pc, key, "required field missing") : 0;
    if (!json_is_array(v))
        return perr(pc, key, "expected an array");
    size_t n = json_array_size(v);
    if (n == 0)
        return 0;
    char **list = delta_calloc(n, sizeof *list);
    if (!list)
        return DELTA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            strlist_free(list, i);
            return perr(pc, key, "expected an array of strings");
        }
        list[i] = delta_strndup(json_string_value(e), json_string_length(e));
        if (!list[i]) {
            strlist_free(list, i);
            return DELTA_ENOMEM;
        }
    }
    *out = list;
    *count = n;
    return 0;
}

/* ---- clearing ------------------------------------------------------------ */

static void dv_clear(dlog_dv *dv)
{
    delta_free(dv->path_or_inline);
    memset(dv, 0, sizeof *dv);
}

void dlog_action_clear(dlog_action *a)
{
    switch (a->type) {
    case DLOG_ACT_PROTOCOL:
        strlist_free(a->u.protocol.reader_features, a->u.protocol.num_reader_features);
        strlist_free(a->u.protocol.writer_features, a->u.protocol.num_writer_features);
        break;
    case DLOG_ACT_METADATA: {
        dlog_metadata *m = &a->u.metadata;
        delta_free(m->id);
        delta_free(m->name);
        delta_free(m->description);
        delta_free(m->format_provider);
        dlog_map_clear(&m->format_options);
        delta_free(m->schema_string);
        strlist_free(m->partition_columns, m->num_partition_columns);
        dlog_map_clear(&m->configuration);
        break;
    }
    case DLOG_ACT_ADD: {
        dlog_add *f = &a->u.add;
        delta_free(f->path);
        dlog_map_clear(&f->partition_values);
        delta_free(f->stats);
        dlog_map_clear(&f->tags);
        dv_clear(&f->dv);
        delta_free(f->clustering_provider);
        break;
    }
    case DLOG_ACT_REMOVE: {
        dlog_remove *f = &a->u.remove;
        delta_free(f->path);
        dlog_map_clear(&f->partition_values);
        delta_free(f->stats);
        dlog_map_clear(&f->tags);
        dv_clear(&f->dv);
        break;
    }
    case DLOG_ACT_TXN:
        delta_free(a->u.txn.app_id);
        break;
    case DLOG_ACT_COMMIT_INFO:
        delta_free(a->u.commit_info.json);
        delta_free(a->u.commit_info.operation);
        break;
    case DLOG_ACT_DOMAIN_METADATA:
        delta_free(a->u.domain_metadata.domain);
        delta_free(a->u.domain_metadata.configuration);
        break;
    case DLOG_ACT_CDC:
        delta_free(a->u.cdc.path);
        dlog_map_clear(&a->u.cdc.partition_values);
        dlog_map_clear(&a->u.cdc.tags);
        break;
    case DLOG_ACT_CHECKPOINT_METADATA:
        dlog_map_clear(&a->u.checkpoint_metadata.tags);
        break;
    case DLOG_ACT_SIDECAR:
        delta_free(a->u.sidecar.path);
        dlog_map_clear(&a->u.sidecar.tags);
        break;
    case DLOG_ACT_NONE:
        break;
    }
    memset(a, 0, sizeof *a);
}

/* ---- per-action parsers -------------------------------------------------- */

static int parse_protocol(const pctx *pc, const json_t *o, dlog_protocol *p)
{
    int rc;
    if ((rc = get_i32(pc, o, "minReaderVersion", true, &p->min_reader_version, NULL)) ||
        (rc = get_i32(pc, o, "minWriterVersion", true, &p->min_writer_version, NULL)) ||
        (rc = get_strlist(pc, o, "readerFeatures", false, &p->reader_features,
                          &p->num_reader_features, &p->has_reader_features)) ||
        (rc = get_strlist(pc, o, "writerFeatures", false, &p->writer_features,
                          &p->num_writer_features, &p->has_writer_features)))
        return rc;
    if (p->min_reader_version < 1 || p->min_writer_version < 1)
        return perr(pc, p->min_reader_version < 1 ? "minReaderVersion" : "minWriterVersion",
                    "version must be at least 1");
    return 0;
}

static int parse_metadata(const pctx *pc, const json_t *o, dlog_metadata *m)
{
    int rc;
    if ((rc = get_str(pc, o, "id", true, &m->id)) ||
        (rc = get_str(pc, o, "name", false, &m->name)) ||
        (rc = get_str(pc, o, "description", false, &m->description)))
        return rc;
    json_t *fmt = field(o, "format");
    if (!fmt)
        return perr(pc, "format", "required field missing");
    if (!json_is_object(fmt))
        return perr(pc, "format", "expected an object");
    pctx fpc = *pc;
    fpc.action = "metaData.format";
    if ((rc = get_str(&fpc, fmt, "provider", true, &m->format_provider)) ||
        (rc = get_map(&fpc, fmt, "options", false, &m->format_options, NULL)) ||
        (rc = get_str(pc, o, "schemaString", false, &m->schema_string)) ||
        (rc = get_strlist(pc, o, "partitionColumns", true, &m->partition_columns,
                          &m->num_partition_columns, NULL)) ||
        (rc = get_map(pc, o, "configuration", true, &m->configuration, NULL)) ||
        (rc = get_i64(pc, o, "createdTime", false, &m->created_time, &m->has_created_time)))
        return rc;
    return 0;
}

static int parse_dv(const pctx *pc, const json_t *o, const char *key, dlog_dv *dv, bool *has)
{
    *has = false;
    json_t *v = field(o, key);
    if (!v)
        return 0;
    if (!json_is_object(v))
        return perr(pc, key, "expected an object");
    char dpath[64];
    snprintf(dpath, sizeof dpath, "%s.%s", pc->action, key);
    pctx dpc = *pc;
    dpc.action = dpath;
    char *st = NULL;
    int rc = get_str(&dpc, v, "storageType", true, &st);
    if (rc)
        return rc;
    bool ok = strlen(st) == 1 && (st[0] == 'u' || st[0] == 'i' || st[0] == 'p');
    dv->storage_type = st[0];
    delta_free(st);
    if (!ok)
        return perr(&dpc, "storageType", "expected 'u', 'i' or 'p'");
    if ((rc = get_str(&dpc, v, "pathOrInlineDv", true, &dv->path_or_inline)) ||
        (rc = get_i32(&dpc, v, "offset", false, &dv->offset, &dv->has_offset)) ||
        (rc = get_i32(&dpc, v, "sizeInBytes", true, &dv->size_in_bytes, NULL)) ||
        (rc = get_i64(&dpc, v, "cardinality", true, &dv->cardinality, NULL))) {
        dv_clear(dv);
        return rc;
    }
    *has = true;
    return 0;
}

static int parse_add(const pctx *pc, const json_t *o, dlog_add *f)
{
    int rc;
    if ((rc = get_str(pc, o, "path", true, &f->path)) ||
        (rc = get_map(pc, o, "partitionValues", true, &f->partition_values, NULL)) ||
        (rc = get_i64(pc, o, "size", true, &f->size, NULL)) ||
        (rc = get_i64(pc, o, "modificationTime", true, &f->modification_time, NULL)) ||
        (rc = get_bool(pc, o, "dataChange", true, &f->data_change, NULL)) ||
        (rc = get_str(pc, o, "stats", false, &f->stats)) ||
        (rc = get_map(pc, o, "tags", false, &f->tags, NULL)) ||
        (rc = parse_dv(pc, o, "deletionVector", &f->dv, &f->has_dv)) ||
        (rc = get_i64(pc, o, "baseRowId", false, &f->base_row_id, &f->has_base_row_id)) ||
        (rc = get_i64(pc, o, "defaultRowCommitVersion", false, &f->default_row_commit_version,
                      &f->has_default_row_commit_version)) ||
        (rc = get_str(pc, o, "clusteringProvider", false, &f->clustering_provider)))
        return rc;
    if (f->size < 0)
        return perr(pc, "size", "negative size");
    return 0;
}

static int parse_remove(const pctx *pc, const json_t *o, dlog_remove *f)
{
    int rc;
    if ((rc = get_str(pc, o, "path", true, &f->path)) ||
        (rc = get_i64(pc, o, "deletionTimestamp", false, &f->deletion_timestamp,
                      &f->has_deletion_timestamp)) ||
        (rc = get_bool(pc, o, "dataChange", true, &f->data_change, NULL)) ||
        (rc = get_bool(pc, o, "extendedFileMetadata", false, &f->extended_file_metadata,
                       &f->has_extended_file_metadata)) ||
        (rc = get_map(pc, o, "partitionValues", false, &f->partition_values,
                      &f->has_partition_values)) ||
        (rc = get_i64(pc, o, "size", false, &f->size, &f->has_size)) ||
        (rc = get_str(pc, o, "stats", false, &f->stats)) ||
        (rc = get_map(pc, o, "tags", false, &f->tags, NULL)) ||
        (rc = parse_dv(pc, o, "deletionVector", &f->dv, &f->has_dv)) ||
        (rc = get_i64(pc, o, "baseRowId", false, &f->base_row_id, &f->has_base_row_id)) ||
        (rc = get_i64(pc, o, "defaultRowCommitVersion", false, &f->default_row_commit_version,
                      &f->has_default_row_commit_version)))
        return rc;
    return 0;
}

static int parse_txn(const pctx *pc, const json_t *o, dlog_txn *t)
{
    int rc;
    if ((rc = get_str(pc, o, "appId", true, &t->app_id)) ||
        (rc = get_i64(pc, o, "version", true, &t->version, NULL)) ||
        (rc = get_i64(pc, o, "lastUpdated", false, &t->last_updated, &t->has_last_updated)))
        return rc;
    return 0;
}

static int parse_commit_info(const pctx *pc, const json_t *o, dlog_commit_info *c)
{
    int rc;
    if ((rc = get_i64(pc, o, "inCommitTimestamp", false, &c->in_commit_timestamp,
                      &c->has_in_commit_timestamp)) ||
        (rc = get_i64(pc, o, "timestamp", false, &c->timestamp, &c->has_timestamp)))
        return rc;
    json_t *op = field(o, "operation");
    if (op && json_is_string(op)) {
        c->operation = delta_strdup(json_string_value(op));
        if (!c->operation)
            return DELTA_ENOMEM;
    }
    dbuf text = DBUF_INIT;
    rc = dlog_json_dump(o, &text);
    if (rc) {
        dbuf_free(&text);
        return rc;
    }
    c->json = dbuf_detach(&text, NULL);
    return c->json ? 0 : DELTA_ENOMEM;
}

static int parse_domain_metadata(const pctx *pc, const json_t *o, dlog_domain_metadata *d)
{
    int rc;
    if ((rc = get_str(pc, o, "domain", true, &d->domain)) ||
        (rc = get_str(pc, o, "configuration", true, &d->configuration)) ||
        (rc = get_bool(pc, o, "removed", true, &d->removed, NULL)))
        return rc;
    return 0;
}

static int parse_cdc(const pctx *pc, const json_t *o, dlog_cdc *c)
{
    int rc;
    if ((rc = get_str(pc, o, "path", true, &c->path)) ||
        (rc = get_map(pc, o, "partitionValues", true, &c->partition_values, NULL)) ||
        (rc = get_i64(pc, o, "size", true, &c->size, NULL)) ||
        (rc = get_bool(pc, o, "dataChange", true, &c->data_change, NULL)) ||
        (rc = get_map(pc, o, "tags", false, &c->tags, NULL)))
        return rc;
    return 0;
}

static int parse_checkpoint_metadata(const pctx *pc, const json_t *o, dlog_checkpoint_metadata *c)
{
    int rc;
    if ((rc = get_i64(pc, o, "version", true, &c->version, NULL)) ||
        (rc = get_map(pc, o, "tags", false, &c->tags, NULL)))
        return rc;
    return 0;
}

static int parse_sidecar(const pctx *pc, const json_t *o, dlog_sidecar *s)
{
    int rc;
    if ((rc = get_str(pc, o, "path", true, &s->path)) ||
        (rc = get_i64(pc, o, "sizeInBytes", true, &s->size_in_bytes, NULL)) ||
        (rc = get_i64(pc, o, "modificationTime", true, &s->modification_time, NULL)) ||
        (rc = get_map(pc, o, "tags", false, &s->tags, NULL)))
        return rc;
    return 0;
}

static const char *const action_names[] = {
    [DLOG_ACT_NONE] = "",
    [DLOG_ACT_PROTOCOL] = "protocol",
    [DLOG_ACT_METADATA] = "metaData",
    [DLOG_ACT_ADD] = "add",
    [DLOG_ACT_REMOVE] = "remove",
    [DLOG_ACT_TXN] = "txn",
    [DLOG_ACT_COMMIT_INFO] = "commitInfo",
    [DLOG_ACT_DOMAIN_METADATA] = "domainMetadata",
    [DLOG_ACT_CDC] = "cdc",
    [DLOG_ACT_CHECKPOINT_METADATA] = "checkpointMetadata",
    [DLOG_ACT_SIDECAR] = "sidecar",
};

const char *dlog_action_name(dlog_action_type t)
{
    if ((unsigned)t >= sizeof action_names / sizeof action_names[0])
        return "";
    return action_names[t];
}

static int parse_object(dlog_action *out, const json_t *root, const char *file, size_t line)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)root, key, val) {
        dlog_action_type t = DLOG_ACT_NONE;
        for (unsigned i = 1; i < sizeof action_names / sizeof action_names[0]; i++) {
            if (strcmp(key, action_names[i]) == 0) {
                t = (dlog_action_type)i;
                break;
            }
        }
        if (t == DLOG_ACT_NONE || json_is_null(val))
            continue; /* unknown action, or a null column of a checkpoint row */
        pctx pc = {file, line, action_names[t]};
        if (!json_is_object(val))
            return delta_error_set(DELTA_ECORRUPT, "%s:%zu: %s: expected an object", file, line,
                                   action_names[t]);
        out->type = t;
        int rc = 0;
        switch (t) {
        case DLOG_ACT_PROTOCOL: rc = parse_protocol(&pc, val, &out->u.protocol); break;
        case DLOG_ACT_METADATA: rc = parse_metadata(&pc, val, &out->u.metadata); break;
        case DLOG_ACT_ADD: rc = parse_add(&pc, val, &out->u.add); break;
        case DLOG_ACT_REMOVE: rc = parse_remove(&pc, val, &out->u.remove); break;
        case DLOG_ACT_TXN: rc = parse_txn(&pc, val, &out->u.txn); break;
        case DLOG_ACT_COMMIT_INFO: rc = parse_commit_info(&pc, val, &out->u.commit_info); break;
        case DLOG_ACT_DOMAIN_METADATA:
            rc = parse_domain_metadata(&pc, val, &out->u.domain_metadata);
            break;
        case DLOG_ACT_CDC: rc = parse_cdc(&pc, val, &out->u.cdc); break;
        case DLOG_ACT_CHECKPOINT_METADATA:
            rc = parse_checkpoint_metadata(&pc, val, &out->u.checkpoint_metadata);
            break;
        case DLOG_ACT_SIDECAR: rc = parse_sidecar(&pc, val, &out->u.sidecar); break;
        case DLOG_ACT_NONE: break;
        }
        if (rc)
            dlog_action_clear(out);
        return rc;
    }
    return 0;
}

int dlog_action_parse_general(dlog_action *out, const char *text, size_t len, const char *file,
                              size_t line)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return delta_error_set(DELTA_ECORRUPT, "%s:%zu: invalid JSON at column %d: %s", file, line,
                               jerr.column, jerr.text);
    int rc;
    if (!json_is_object(root))
        rc = delta_error_set(DELTA_ECORRUPT, "%s:%zu: an action must be a JSON object", file,
                             line);
    else
        rc = parse_object(out, root, file, line);
    json_decref(root);
    return rc;
}

static int parse_line(dlog_action *out, const char *text, size_t len, const char *file,
                      size_t line, dlog_intern *pool)
{
    int rc = dlog_scan_file_action(out, text, len, pool);
    if (rc == 1)
        return 0;
    if (rc < 0)
        return rc;
    return dlog_action_parse_general(out, text, len, file, line);
}

int dlog_action_parse(dlog_action *out, const char *text, size_t len, const char *file,
                      size_t line)
{
    return parse_line(out, text, len, file, line, NULL);
}

int dlog_parse_ndjson_pooled(const char *file, const uint8_t *data, size_t len, size_t *linep,
                             dlog_intern *pool, dlog_action_fn fn, void *ctx)
{
    size_t pos = 0, line = *linep;
    int rc = 0;
    while (pos < len) {
        const uint8_t *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        line++;
        size_t b = pos, e = end;
        while (b < e && (data[b] == ' ' || data[b] == '\t' || data[b] == '\r'))
            b++;
        while (e > b && (data[e - 1] == ' ' || data[e - 1] == '\t' || data[e - 1] == '\r'))
            e--;
        pos = nl ? end + 1 : len;
        if (b == e)
            continue;
        dlog_action a;
        if ((rc = parse_line(&a, (const char *)data + b, e - b, file, line, pool)))
            break;
        if (a.type == DLOG_ACT_NONE)
            continue;
        rc = fn(ctx, &a, line);
        dlog_action_clear(&a);
        if (rc)
            break;
    }
    *linep = line;
    return rc;
}

int dlog_parse_ndjson(const char *file, const uint8_t *data, size_t len, dlog_action_fn fn,
                      void *ctx)
{
    size_t line = 0;
    return dlog_parse_ndjson_pooled(file, data, len, &line, NULL, fn, ctx);
}

int dlog_dv_unique_id(const dlog_dv *dv, dbuf *out)
{
    dbuf_putc(out, (uint8_t)dv->storage_type);
    dbuf_puts(out, dv->path_or_inline ? dv->path_or_inline : "");
    if (dv->has_offset)
        dbuf_printf(out, "@%d", (int)dv->offset);
    return out->err;
}

/* ---- serialization ------------------------------------------------------- */

/* Builders return NULL on allocation failure; json_object_set_new takes
 * the value even when it fails, so a NULL value only marks the failure. */
typedef struct jb {
    json_t *obj;
    bool failed;
} jb;

static void jset(jb *b, const char *key, json_t *v)
{
    if (!v || json_object_set_new(b->obj, key, v))
        b->failed = true;
}

static void jstr(jb *b, const char *key, const char *s)
{
    if (s)
        jset(b, key, json_string(s));
}

static json_t *jmap(const dlog_map *m)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < m->count; i++) {
        json_t *v = m->items[i].value ? json_string(m->items[i].value) : json_null();
        if (!v || json_object_set_new(o, m->items[i].key, v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *jlist(char **list, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, json_string(list[i]))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *jdv(const dlog_dv *dv)
{
    jb b = {json_object(), false};
    if (!b.obj)
        return NULL;
    char st[2] = {dv->storage_type, 0};
    jstr(&b, "storageType", st);
    jstr(&b, "pathOrInlineDv", dv->path_or_inline);
    if (dv->has_offset)
        jset(&b, "offset", json_integer(dv->offset));
    jset(&b, "sizeInBytes", json_integer(dv->size_in_bytes));
    jset(&b, "cardinality", json_integer(dv->cardinality));
    if (b.failed) {
        json_decref(b.obj);
        return NULL;
    }
    return b.obj;
}

static void build(jb *b, const dlog_action *a)
{
    switch (a->type) {
    case DLOG_ACT_PROTOCOL: {
        const dlog_protocol *p = &a->u.protocol;
        jset(b, "minReaderVersion", json_integer(p->min_reader_version));
        jset(b, "minWriterVersion", json_integer(p->min_writer_version));
        if (p->has_reader_features)
            jset(b, "readerFeatures", jlist(p->reader_features, p->num_reader_features));
        if (p->has_writer_features)
            jset(b, "writerFeatures", jlist(p->writer_features, p->num_writer_features));
        break;
    }
    case DLOG_ACT_METADATA: {
        const dlog_metadata *m = &a->u.metadata;
        jstr(b, "id", m->id);
        jstr(b, "name", m->name);
        jstr(b, "description", m->description);
        jb f = {json_object(), false};
        if (f.obj) {
            jstr(&f, "provider", m->format_provider);
            jset(&f, "options", jmap(&m->format_options));
            if (f.failed)
                b->failed = true;
        }
        jset(b, "format", f.obj);
        jstr(b, "schemaString", m->schema_string);
        jset(b, "partitionColumns", jlist(m->partition_columns, m->num_partition_columns));
        jset(b, "configuration", jmap(&m->configuration));
        if (m->has_created_time)
            jset(b, "createdTime", json_integer(m->created_time));
        break;
    }
    case DLOG_ACT_ADD: {
        const dlog_add *f = &a->u.add;
        jstr(b, "path", f->path);
        jset(b, "partitionValues", jmap(&f->partition_values));
        jset(b, "size", json_integer(f->size));
        jset(b, "modificationTime", json_integer(f->modification_time));
        jset(b, "dataChange", json_boolean(f->data_change));
        jstr(b, "stats", f->stats);
        if (f->tags.count)
            jset(b, "tags", jmap(&f->tags));
        if (f->has_dv)
            jset(b, "deletionVector", jdv(&f->dv));
        if (f->has_base_row_id)
            jset(b, "baseRowId", json_integer(f->base_row_id));
        if (f->has_default_row_commit_version)
            jset(b, "defaultRowCommitVersion", json_integer(f->default_row_commit_version));
        jstr(b, "clusteringProvider", f->clustering_provider);
        break;
    }
    case DLOG_ACT_REMOVE: {
        const dlog_remove *f = &a->u.remove;
        jstr(b, "path", f->path);
        if (f->has_deletion_timestamp)
            jset(b, "deletionTimestamp", json_integer(f->deletion_timestamp));
        jset(b, "dataChange", json_boolean(f->data_change));
        if (f->has_extended_file_metadata)
            jset(b, "extendedFileMetadata", json_boolean(f->extended_file_metadata));
        if (f->has_partition_values)
            jset(b, "partitionValues", jmap(&f->partition_values));
        if (f->has_size)
            jset(b, "size", json_integer(f->size));
        jstr(b, "stats", f->stats);
        if (f->tags.count)
            jset(b, "tags", jmap(&f->tags));
        if (f->has_dv)
            jset(b, "deletionVector", jdv(&f->dv));
        if (f->has_base_row_id)
            jset(b, "baseRowId", json_integer(f->base_row_id));
        if (f->has_default_row_commit_version)
            jset(b, "defaultRowCommitVersion", json_integer(f->default_row_commit_version));
        break;
    }
    case DLOG_ACT_TXN:
        jstr(b, "appId", a->u.txn.app_id);
        jset(b, "version", json_integer(a->u.txn.version));
        if (a->u.txn.has_last_updated)
            jset(b, "lastUpdated", json_integer(a->u.txn.last_updated));
        break;
    case DLOG_ACT_DOMAIN_METADATA:
        jstr(b, "domain", a->u.domain_metadata.domain);
        jstr(b, "configuration", a->u.domain_metadata.configuration);
        jset(b, "removed", json_boolean(a->u.domain_metadata.removed));
        break;
    case DLOG_ACT_CDC:
        jstr(b, "path", a->u.cdc.path);
        jset(b, "partitionValues", jmap(&a->u.cdc.partition_values));
        jset(b, "size", json_integer(a->u.cdc.size));
        jset(b, "dataChange", json_boolean(a->u.cdc.data_change));
        if (a->u.cdc.tags.count)
            jset(b, "tags", jmap(&a->u.cdc.tags));
        break;
    case DLOG_ACT_CHECKPOINT_METADATA:
        jset(b, "version", json_integer(a->u.checkpoint_metadata.version));
        jset(b, "tags", jmap(&a->u.checkpoint_metadata.tags));
        break;
    case DLOG_ACT_SIDECAR:
        jstr(b, "path", a->u.sidecar.path);
        jset(b, "sizeInBytes", json_integer(a->u.sidecar.size_in_bytes));
        jset(b, "modificationTime", json_integer(a->u.sidecar.modification_time));
        jset(b, "tags", jmap(&a->u.sidecar.tags));
        break;
    case DLOG_ACT_COMMIT_INFO:
    case DLOG_ACT_NONE:
        break;
    }
}

int dlog_action_serialize(const dlog_action *a, dbuf *out)
{
    if (a->type == DLOG_ACT_NONE)
        return delta_error_set(DELTA_EINVAL, "cannot serialize an empty action");
    json_t *body = NULL;
    if (a->type == DLOG_ACT_COMMIT_INFO) {
        const char *text = a->u.commit_info.json ? a->u.commit_info.json : "{}";
        json_error_t jerr;
        body = json_loads(text, 0, &jerr);
        if (!body || !json_is_object(body)) {
            json_decref(body);
            return delta_error_set(DELTA_EINVAL, "commitInfo: not a JSON object: %s", jerr.text);
        }
        const dlog_commit_info *c = &a->u.commit_info;
        jb b = {body, false};
        if (c->has_in_commit_timestamp)
            jset(&b, "inCommitTimestamp", json_integer(c->in_commit_timestamp));
        if (c->has_timestamp)
            jset(&b, "timestamp", json_integer(c->timestamp));
        jstr(&b, "operation", c->operation);
        if (b.failed) {
            json_decref(body);
            return delta_error_oom();
        }
    } else {
        jb b = {json_object(), false};
        if (!b.obj)
            return delta_error_oom();
        build(&b, a);
        if (b.failed) {
            json_decref(b.obj);
            return delta_error_oom();
        }
        body = b.obj;
    }
    json_t *root = json_object();
    if (!root || json_object_set_new(root, dlog_action_name(a->type), body)) {
        json_decref(root);
        return delta_error_oom();
    }
    int rc = dlog_json_dump(root, out);
    json_decref(root);
    return rc;
}
