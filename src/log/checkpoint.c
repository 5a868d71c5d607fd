/*
 * Checkpoint reading (see checkpoint.h): JSON v2 checkpoints are parsed as
 * NDJSON; Parquet checkpoints, parts and sidecars are read through the
 * Parquet record reader with a projection of the known action fields.
 */
#include "log/checkpoint.h"

#include <string.h>
#include <strings.h>

#include "columnar/format.h"
#include "columnar/vector.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/file_reader.h"
#include "parquet/record_reader.h"

/* ---- Parquet checkpoints ------------------------------------------------- */

/*
 * A checkpoint row holds one action: exactly one top-level column (an
 * action struct) is non-null. Writers differ in which columns and fields
 * they write (old Spark: no deletionVector, required size/dataChange, a
 * null commitInfo column; newer: domainMetadata, clusteringProvider,
 * stats_parsed instead of stats; delta-rs: other field order), so the
 * reader looks at the file's schema first and projects only the fields
 * it knows and that exist; a field the file lacks reads as null. A row's
 * action is present when its struct is non-null and its key field (path,
 * appId, id, minReaderVersion, domain, version) is non-null, which also
 * covers writers that fill every struct of a row.
 */

/* The fields read from each action column; the first is the key field. */
static const char *const protocol_fields[] = {"minReaderVersion", "minWriterVersion",
                                              "readerFeatures", "writerFeatures", NULL};
static const char *const metadata_fields[] = {"id", "name", "description", "format",
                                              "schemaString", "partitionColumns",
                                              "configuration", "createdTime", NULL};
static const char *const add_fields[] = {"path", "partitionValues", "size", "modificationTime",
                                         "dataChange", "stats", "tags", "deletionVector",
                                         "baseRowId", "defaultRowCommitVersion",
                                         "clusteringProvider", NULL};
static const char *const remove_fields[] = {"path", "deletionTimestamp", "dataChange",
                                            "extendedFileMetadata", "partitionValues", "size",
                                            "stats", "tags", "deletionVector", "baseRowId",
                                            "defaultRowCommitVersion", NULL};
static const char *const txn_fields[] = {"appId", "version", "lastUpdated", NULL};
static const char *const domain_fields[] = {"domain", "configuration", "removed", NULL};
static const char *const ckmeta_fields[] = {"version", "tags", NULL};
static const char *const sidecar_fields[] = {"path", "sizeInBytes", "modificationTime", "tags",
                                             NULL};

typedef struct ck_column {
    const char *name;
    dlog_action_type type;
    const char *const *fields;
} ck_column;

static const ck_column ck_columns[] = {
    {"protocol", DLOG_ACT_PROTOCOL, protocol_fields},
    {"metaData", DLOG_ACT_METADATA, metadata_fields},
    {"add", DLOG_ACT_ADD, add_fields},
    {"remove", DLOG_ACT_REMOVE, remove_fields},
    {"txn", DLOG_ACT_TXN, txn_fields},
    {"domainMetadata", DLOG_ACT_DOMAIN_METADATA, domain_fields},
    {"checkpointMetadata", DLOG_ACT_CHECKPOINT_METADATA, ckmeta_fields},
    {"sidecar", DLOG_ACT_SIDECAR, sidecar_fields},
};
#define CK_NUM_COLUMNS (sizeof ck_columns / sizeof ck_columns[0])

/* A child of a Parquet group by name (exact, else ASCII case-insensitive). */
static const pq_schema_node *schema_child(const pq_schema_node *n, const char *name)
{
    const pq_schema_node *ci = NULL;
    for (uint32_t i = 0; i < n->num_children; i++) {
        const pq_schema_element *e = n->children[i]->elem;
        if (e->name.len != strlen(name))
            continue;
        if (memcmp(e->name.ptr, name, e->name.len) == 0)
            return n->children[i];
        if (strncasecmp(e->name.ptr, name, e->name.len) == 0)
            ci = n->children[i];
    }
    return ci;
}

/* One action column of a batch, resolved. */
typedef struct ck_bound {
    const ck_column *col;
    const dvec *v;      /* the struct column, or NULL when not in the file */
    const dvec *f[12];  /* its fields in the order of col->fields (NULL: absent) */
    const dvec *stats_parsed; /* add: parsed stats when the file has no stats string */
} ck_bound;

typedef struct ck_reader {
    const char *key;
    int64_t row;        /* row number in the file (for messages) */
    dbuf scratch;
} ck_reader;

static const dvec *struct_field(const dvec *st, const char *name)
{
    if (!st || st->type->id != DT_STRUCT)
        return NULL;
    int i = dtype_field_index(st->type, name, true);
    return i >= 0 ? st->children[i] : NULL;
}

static bool ok_at(const dvec *v, int64_t row)
{
    return v && dvec_is_valid(v, row);
}

static int bad_type(const ck_reader *r, const char *col, const char *field, const dvec *v,
                    const char *want)
{
    dbuf t = DBUF_INIT;
    dtype_format(v->type, &t);
    int rc = delta_error_set(DELTA_ECORRUPT, "%s: column %s.%s: expected %s, found %s", r->key,
                             col, field, want, t.err ? "?" : dbuf_cstr(&t));
    dbuf_free(&t);
    return rc;
}

static bool is_str(const dvec *v)
{
    return v->type->id == DT_STRING || v->type->id == DT_BINARY;
}

static bool is_int(const dvec *v)
{
    return dtype_is_integer(v->type);
}

static bool is_str_map(const dvec *v)
{
    if (v->type->id != DT_MAP)
        return false;
    const dvec *e = v->children[0];
    return e->num_children == 2 && is_str(e->children[0]) && is_str(e->children[1]);
}

static bool is_str_list(const dvec *v)
{
    return v->type->id == DT_LIST && is_str(v->children[0]);
}

static int64_t int_at(const dvec *v, int64_t row)
{
    switch (v->type->id) {
    case DT_INT8: return ((const int8_t *)v->values)[row];
    case DT_INT16: return ((const int16_t *)v->values)[row];
    case DT_INT32: return ((const int32_t *)v->values)[row];
    case DT_INT64: return ((const int64_t *)v->values)[row];
    case DT_UINT8: return ((const uint8_t *)v->values)[row];
    case DT_UINT16: return ((const uint16_t *)v->values)[row];
    case DT_UINT32: return ((const uint32_t *)v->values)[row];
    default: return (int64_t)((const uint64_t *)v->values)[row];
    }
}

static char *str_at(const dvec *v, int64_t row)
{
    size_t n;
    const uint8_t *p = dvec_bytes(v, row, &n);
    return delta_strndup((const char *)p, n);
}

/* Checks the types of the fields this reader uses. `kinds` per field:
 * 's' string, 'i' integer, 'b' bool, 'm' string map, 'l' string list,
 * 'd' deletion vector struct, 'f' metaData format struct. */
static int check_fields(const ck_reader *r, ck_bound *b, const char *kinds)
{
    for (size_t i = 0; b->col->fields[i]; i++) {
        const dvec *v = b->f[i];
        if (!v)
            continue;
        const char *name = b->col->fields[i];
        switch (kinds[i]) {
        case 's':
            if (!is_str(v))
                return bad_type(r, b->col->name, name, v, "string");
            break;
        case 'i':
            if (!is_int(v))
                return bad_type(r, b->col->name, name, v, "integer");
            break;
        case 'b':
            if (v->type->id != DT_BOOL)
                return bad_type(r, b->col->name, name, v, "boolean");
            break;
        case 'm':
            if (!is_str_map(v))
                return bad_type(r, b->col->name, name, v, "map<string,string>");
            break;
        case 'l':
            if (!is_str_list(v))
                return bad_type(r, b->col->name, name, v, "array<string>");
            break;
        case 'd':
        case 'f':
            if (v->type->id != DT_STRUCT)
                return bad_type(r, b->col->name, name, v, "struct");
            break;
        default:
            break;
        }
    }
    return 0;
}

static const char *field_kinds(dlog_action_type t)
{
    switch (t) {
    case DLOG_ACT_PROTOCOL: return "iill";
    case DLOG_ACT_METADATA: return "sssfslmi";
    case DLOG_ACT_ADD: return "smiibsmdiis";
    case DLOG_ACT_REMOVE: return "sibbmismdii";
    case DLOG_ACT_TXN: return "sii";
    case DLOG_ACT_DOMAIN_METADATA: return "ssb";
    case DLOG_ACT_CHECKPOINT_METADATA: return "im";
    case DLOG_ACT_SIDECAR: return "siim";
    default: return "";
    }
}

static int missing(const ck_reader *r, const char *col, const char *field)
{
    return delta_error_set(DELTA_ECORRUPT, "%s: row %lld: %s.%s: required field missing",
                           r->key, (long long)r->row, col, field);
}

/* Reads a map<string,string> value into m (null: an empty map). */
static int map_at(const dvec *v, int64_t row, dlog_map *m)
{
    memset(m, 0, sizeof *m);
    if (!ok_at(v, row))
        return 0;
    int32_t from = v->offsets[row], to = v->offsets[row + 1];
    if (to <= from)
        return 0;
    const dvec *keys = v->children[0]->children[0], *vals = v->children[0]->children[1];
    m->items = delta_calloc((size_t)(to - from), sizeof *m->items);
    if (!m->items)
        return DELTA_ENOMEM;
    for (int32_t i = from; i < to; i++) {
        dlog_kv *kv = &m->items[m->count++];
        if (!(kv->key = str_at(keys, i)))
            return DELTA_ENOMEM;
        if (dvec_is_valid(vals, i) && !(kv->value = str_at(vals, i)))
            return DELTA_ENOMEM;
    }
    return 0;
}

static int list_at(const dvec *v, int64_t row, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!ok_at(v, row))
        return 0;
    int32_t from = v->offsets[row], to = v->offsets[row + 1];
    const dvec *el = v->children[0];
    char **list = delta_calloc((size_t)(to - from) + 1, sizeof *list);
    if (!list)
        return DELTA_ENOMEM;
    *out = list;
    for (int32_t i = from; i < to; i++) {
        if (!dvec_is_valid(el, i))
            continue;
        if (!(list[*n] = str_at(el, i)))
            return DELTA_ENOMEM;
        (*n)++;
    }
    return 0;
}

/* An optional string (NULL when null or absent). */
static int opt_str(const dvec *v, int64_t row, char **out)
{
    *out = NULL;
    if (!ok_at(v, row))
        return 0;
    return (*out = str_at(v, row)) ? 0 : DELTA_ENOMEM;
}

static int req_str(const ck_reader *r, const ck_bound *b, size_t i, int64_t row, char **out)
{
    if (!ok_at(b->f[i], row))
        return missing(r, b->col->name, b->col->fields[i]);
    return opt_str(b->f[i], row, out);
}

static bool opt_int(const dvec *v, int64_t row, int64_t *out)
{
    if (!ok_at(v, row))
        return false;
    *out = int_at(v, row);
    return true;
}

static bool opt_bool(const dvec *v, int64_t row, bool *out)
{
    if (!ok_at(v, row))
        return false;
    *out = dbit_get(v->values, row);
    return true;
}

static int read_dv(const ck_reader *r, const char *col, const dvec *v, int64_t row, dlog_dv *dv,
                   bool *has)
{
    *has = false;
    if (!ok_at(v, row))
        return 0;
    const dvec *st = struct_field(v, "storageType"), *p = struct_field(v, "pathOrInlineDv"),
               *off = struct_field(v, "offset"), *sz = struct_field(v, "sizeInBytes"),
               *card = struct_field(v, "cardinality");
    if (!ok_at(st, row) || !is_str(st))
        return missing(r, col, "deletionVector.storageType");
    if (!ok_at(p, row) || !is_str(p))
        return missing(r, col, "deletionVector.pathOrInlineDv");
    if (!ok_at(sz, row) || !is_int(sz))
        return missing(r, col, "deletionVector.sizeInBytes");
    if (!ok_at(card, row) || !is_int(card))
        return missing(r, col, "deletionVector.cardinality");
    size_t n;
    const uint8_t *s = dvec_bytes(st, row, &n);
    if (n != 1 || (s[0] != 'u' && s[0] != 'i' && s[0] != 'p'))
        return delta_error_set(DELTA_ECORRUPT,
                               "%s: row %lld: %s.deletionVector.storageType: '%.*s' is not "
                               "u, i or p",
                               r->key, (long long)r->row, col, (int)n, (const char *)s);
    dv->storage_type = (char)s[0];
    if (!(dv->path_or_inline = str_at(p, row)))
        return DELTA_ENOMEM;
    int64_t x;
    if (off && is_int(off) && opt_int(off, row, &x)) {
        dv->has_offset = true;
        dv->offset = (int32_t)x;
    }
    dv->size_in_bytes = (int32_t)int_at(sz, row);
    dv->cardinality = int_at(card, row);
    *has = true;
    return 0;
}

/* Fills a (already typed) action from row `row` of a bound column. The
 * caller clears the action on failure. */
static int read_row(ck_reader *r, const ck_bound *b, int64_t row, dlog_action *a)
{
    const dvec *const *f = b->f;
    const char *col = b->col->name;
    int rc = 0;
    int64_t x;
    switch (b->col->type) {
    case DLOG_ACT_PROTOCOL: {
        dlog_protocol *p = &a->u.protocol;
        if (!opt_int(f[0], row, &x))
            return missing(r, col, "minReaderVersion");
        p->min_reader_version = (int32_t)x;
        if (!opt_int(f[1], row, &x))
            return missing(r, col, "minWriterVersion");
        p->min_writer_version = (int32_t)x;
        p->has_reader_features = ok_at(f[2], row);
        p->has_writer_features = ok_at(f[3], row);
        if ((rc = list_at(f[2], row, &p->reader_features, &p->num_reader_features)))
            return rc;
        return list_at(f[3], row, &p->writer_features, &p->num_writer_features);
    }
    case DLOG_ACT_METADATA: {
        dlog_metadata *m = &a->u.metadata;
        if ((rc = req_str(r, b, 0, row, &m->id)) || (rc = opt_str(f[1], row, &m->name)) ||
            (rc = opt_str(f[2], row, &m->description)))
            return rc;
        const dvec *prov = struct_field(f[3], "provider"), *opts = struct_field(f[3], "options");
        if (!ok_at(f[3], row) || !prov || !is_str(prov) || !ok_at(prov, row))
            return missing(r, col, "format.provider");
        if ((rc = opt_str(prov, row, &m->format_provider)))
            return rc;
        if (opts && is_str_map(opts) && (rc = map_at(opts, row, &m->format_options)))
            return rc;
        if ((rc = opt_str(f[4], row, &m->schema_string)) ||
            (rc = list_at(f[5], row, &m->partition_columns, &m->num_partition_columns)) ||
            (rc = map_at(f[6], row, &m->configuration)))
            return rc;
        m->has_created_time = opt_int(f[7], row, &m->created_time);
        return 0;
    }
    case DLOG_ACT_ADD: {
        dlog_add *ad = &a->u.add;
        if ((rc = req_str(r, b, 0, row, &ad->path)) ||
            (rc = map_at(f[1], row, &ad->partition_values)))
            return rc;
        if (!opt_int(f[2], row, &ad->size))
            return missing(r, col, "size");
        if (!opt_int(f[3], row, &ad->modification_time))
            return missing(r, col, "modificationTime");
        opt_bool(f[4], row, &ad->data_change);
        if ((rc = opt_str(f[5], row, &ad->stats)) || (rc = map_at(f[6], row, &ad->tags)) ||
            (rc = read_dv(r, col, f[7], row, &ad->dv, &ad->has_dv)))
            return rc;
        ad->has_base_row_id = opt_int(f[8], row, &ad->base_row_id);
        ad->has_default_row_commit_version = opt_int(f[9], row, &ad->default_row_commit_version);
        if ((rc = opt_str(f[10], row, &ad->clustering_provider)))
            return rc;
        if (!ad->stats && ok_at(b->stats_parsed, row)) {
            /* Struct statistics only: kept as the equivalent JSON text. */
            dbuf_reset(&r->scratch);
            dvec_format_value(b->stats_parsed, row, DFMT_JSON, &r->scratch);
            if (r->scratch.err)
                return r->scratch.err;
            if (!(ad->stats = delta_strdup(dbuf_cstr(&r->scratch))))
                return DELTA_ENOMEM;
        }
        return 0;
    }
    case DLOG_ACT_REMOVE: {
        dlog_remove *rm = &a->u.remove;
        if ((rc = req_str(r, b, 0, row, &rm->path)))
            return rc;
        rm->has_deletion_timestamp = opt_int(f[1], row, &rm->deletion_timestamp);
        opt_bool(f[2], row, &rm->data_change);
        rm->has_extended_file_metadata = opt_bool(f[3], row, &rm->extended_file_metadata);
        rm->has_partition_values = ok_at(f[4], row);
        if ((rc = map_at(f[4], row, &rm->partition_values)))
            return rc;
        rm->has_size = opt_int(f[5], row, &rm->size);
        if ((rc = opt_str(f[6], row, &rm->stats)) || (rc = map_at(f[7], row, &rm->tags)) ||
            (rc = read_dv(r, col, f[8], row, &rm->dv, &rm->has_dv)))
            return rc;
        rm->has_base_row_id = opt_int(f[9], row, &rm->base_row_id);
        rm->has_default_row_commit_version = opt_int(f[10], row, &rm->default_row_commit_version);
        return 0;
    }
    case DLOG_ACT_TXN: {
        dlog_txn *t = &a->u.txn;
        if ((rc = req_str(r, b, 0, row, &t->app_id)))
            return rc;
        if (!opt_int(f[1], row, &t->version))
            return missing(r, col, "version");
        t->has_last_updated = opt_int(f[2], row, &t->last_updated);
        return 0;
    }
    case DLOG_ACT_DOMAIN_METADATA: {
        dlog_domain_metadata *d = &a->u.domain_metadata;
        if ((rc = req_str(r, b, 0, row, &d->domain)) ||
            (rc = req_str(r, b, 1, row, &d->configuration)))
            return rc;
        opt_bool(f[2], row, &d->removed);
        return 0;
    }
    case DLOG_ACT_CHECKPOINT_METADATA: {
        dlog_checkpoint_metadata *c = &a->u.checkpoint_metadata;
        if (!opt_int(f[0], row, &c->version))
            return missing(r, col, "version");
        return map_at(f[1], row, &c->tags);
    }
    case DLOG_ACT_SIDECAR: {
        dlog_sidecar *s = &a->u.sidecar;
        if ((rc = req_str(r, b, 0, row, &s->path)))
            return rc;
        if (!opt_int(f[1], row, &s->size_in_bytes))
            return missing(r, col, "sizeInBytes");
        if (!opt_int(f[2], row, &s->modification_time))
            return missing(r, col, "modificationTime");
        return map_at(f[3], row, &s->tags);
    }
    default:
        return 0;
    }
}

/* Whether row `row` of a bound column holds an action. */
static bool row_has_action(const ck_bound *b, int64_t row)
{
    return b->v && dvec_is_valid(b->v, row) && ok_at(b->f[0], row);
}

static int bind_batch(ck_reader *r, const dvec *batch, ck_bound *bound, size_t *nbound)
{
    *nbound = 0;
    for (size_t c = 0; c < CK_NUM_COLUMNS; c++) {
        const dvec *v = struct_field(batch, ck_columns[c].name);
        if (!v)
            continue;
        ck_bound *b = &bound[(*nbound)++];
        memset(b, 0, sizeof *b);
        b->col = &ck_columns[c];
        b->v = v;
        for (size_t i = 0; b->col->fields[i]; i++)
            b->f[i] = struct_field(v, b->col->fields[i]);
        if (b->col->type == DLOG_ACT_ADD)
            b->stats_parsed = struct_field(v, "stats_parsed");
        int rc = check_fields(r, b, field_kinds(b->col->type));
        if (rc)
            return rc;
    }
    return 0;
}

int dlog_checkpoint_read_parquet_ex(delta_store *table, const char *key,
                                    const dlog_ckpt_read_opts *opts, dlog_action_fn fn,
                                    void *ctx)
{
    unsigned mask = opts && opts->actions ? opts->actions : ~0u;
    pq_file *file = NULL;
    pq_reader *rd = NULL;
    dstream *st = NULL;
    dvec *batch = NULL;
    ck_reader r = {key, 0, DBUF_INIT};
    dbuf names = DBUF_INIT;
    const char **cols = NULL;
    size_t ncols = 0;
    int rc = pq_file_open(&file, table, key);
    if (rc) {
        rc = delta_error_prefix(rc, "reading checkpoint %s: ", key);
        goto done;
    }
    /* Project the known fields the file has: "column.field" paths. */
    const pq_schema_node *root = pq_file_schema(file)->root;
    size_t offsets[CK_NUM_COLUMNS * 13];
    for (size_t c = 0; c < CK_NUM_COLUMNS; c++) {
        const ck_column *col = &ck_columns[c];
        if (!(mask & DLOG_ACT_BIT(col->type)))
            continue;
        const pq_schema_node *g = schema_child(root, col->name);
        if (!g || g->leaf_index >= 0)
            continue;
        bool has_key = schema_child(g, col->fields[0]) != NULL;
        for (size_t i = 0; has_key && col->fields[i]; i++) {
            const pq_schema_node *fn_ = schema_child(g, col->fields[i]);
            if (!fn_)
                continue;
            offsets[ncols++] = names.len;
            dbuf_printf(&names, "%s.%s", col->name, col->fields[i]);
            dbuf_putc(&names, 0);
        }
        if (has_key && col->type == DLOG_ACT_ADD && !schema_child(g, "stats") &&
            schema_child(g, "stats_parsed")) {
            offsets[ncols++] = names.len;
            dbuf_puts(&names, "add.stats_parsed");
            dbuf_putc(&names, 0);
        }
    }
    if ((rc = names.err))
        goto done;
    if (ncols == 0)
        goto done; /* no action this caller wants */
    if (!(cols = delta_calloc(ncols, sizeof *cols))) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < ncols; i++)
        cols[i] = (const char *)names.data + offsets[i];
    pq_reader_options ro = {cols, (uint32_t)ncols,
                            opts && opts->batch_rows > 0 ? opts->batch_rows
                                                         : DLOG_CKPT_BATCH_ROWS,
                            true};
    rc = pq_reader_open_file(&rd, file, &ro);
    file = NULL; /* the reader took it */
    if (rc || (rc = pq_reader_stream(rd, &st))) {
        rc = delta_error_prefix(rc, "reading checkpoint %s: ", key);
        goto done;
    }
    for (;;) {
        if ((rc = st->next(st, &batch))) {
            rc = delta_error_prefix(rc, "reading checkpoint %s: ", key);
            goto done;
        }
        if (!batch)
            break;
        ck_bound bound[CK_NUM_COLUMNS];
        size_t nb = 0;
        if ((rc = bind_batch(&r, batch, bound, &nb)))
            goto done;
        for (int64_t row = 0; row < batch->length; row++) {
            r.row++;
            for (size_t c = 0; c < nb; c++) {
                if (!row_has_action(&bound[c], row))
                    continue;
                dlog_action a;
                memset(&a, 0, sizeof a);
                a.type = bound[c].col->type;
                rc = read_row(&r, &bound[c], row, &a);
                if (!rc)
                    rc = fn(ctx, &a, (size_t)r.row);
                dlog_action_clear(&a);
                if (rc)
                    goto done;
            }
        }
        dvec_unref(batch);
        batch = NULL;
    }
done:
    dvec_unref(batch);
    if (st)
        st->free(st);
    pq_reader_free(rd);
    pq_file_free(file);
    delta_free(cols);
    dbuf_free(&names);
    dbuf_free(&r.scratch);
    return rc;
}

int dlog_checkpoint_read_parquet(delta_store *table, const char *key, dlog_action_fn fn,
                                 void *ctx)
{
    return dlog_checkpoint_read_parquet_ex(table, key, NULL, fn, ctx);
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
