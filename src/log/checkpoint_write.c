/*
 * Checkpoint writing (see checkpoint.h): a snapshot's state as one classic
 * Parquet checkpoint with Spark's schema, then _last_checkpoint, and the
 * post-commit hook that does both every delta.checkpointInterval commits.
 *
 * Rows are appended to one record batch of the checkpoint schema and
 * handed to the Parquet writer every CK_BATCH_ROWS rows, so memory is one
 * batch plus the writer's open row group, whatever the number of files.
 * Each row fills exactly one action column; the others are null.
 *
 * Optional parsed columns (delta.checkpoint.writeStatsAsStruct): add.
 * partitionValues_parsed holds each partition column typed as the schema
 * says, add.stats_parsed holds numRecords, minValues, maxValues (leaf
 * columns whose values have an order: numbers, strings, dates,
 * timestamps, decimals, nested structs of them), nullCount (every leaf as
 * long) and tightBounds, all under physical names when column mapping is
 * on. A value that cannot be converted is written as null (unknown), never
 * guessed.
 */
#include "log/checkpoint.h"

#include <jansson.h>
#include <stddef.h>
#include <strings.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/types.h"
#include "columnar/vector.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/dtime.h"
#include "core/error.h"
#include "core/str.h"
#include "log/cleanup.h"
#include "log/schema.h"
#include "parquet/record_writer.h"

#define CK_BATCH_ROWS 4096

/* ---- intervals ------------------------------------------------------------ */

int dlog_parse_interval_ms(const char *s, int64_t *out_ms)
{
    const char *p = s;
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "interval", 8) == 0 && (p[8] == ' ' || p[8] == 0))
        p += 8;
    int64_t total_us = 0;
    int pairs = 0;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        char *end;
        long long n = strtoll(p, &end, 10);
        if (end == p || *end != ' ')
            goto bad;
        p = end;
        while (*p == ' ')
            p++;
        const char *u = p;
        while (*p && *p != ' ')
            p++;
        size_t ul = (size_t)(p - u);
        static const struct {
            const char *name;
            int64_t us;
        } units[] = {{"microsecond", 1},         {"millisecond", 1000},
                     {"second", 1000000},        {"minute", 60000000LL},
                     {"hour", 3600000000LL},     {"day", 86400000000LL},
                     {"week", 604800000000LL}};
        int64_t mul = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t nl = strlen(units[i].name);
            if ((ul == nl || (ul == nl + 1 && (u[nl] == 's' || u[nl] == 'S'))) &&
                strncasecmp(u, units[i].name, nl) == 0)
                mul = units[i].us;
        }
        if (!mul || n < 0 || n > INT64_MAX / mul || total_us > INT64_MAX - n * mul)
            goto bad;
        total_us += n * mul;
        pairs++;
    }
    if (!pairs)
        goto bad;
    *out_ms = total_us / 1000;
    return 0;
bad:
    return delta_error_set(DELTA_EINVAL,
                           "'%s' is not an interval (expected e.g. 'interval 7 days'; units "
                           "microsecond to week)",
                           s);
}

/* A duration property in ms, or `def` when absent or malformed. */
static int64_t duration_property(const dlog_metadata *m, const char *key, int64_t def)
{
    const char *v = dlog_map_get(&m->configuration, key, NULL);
    int64_t ms;
    if (v && dlog_parse_interval_ms(v, &ms) == 0)
        return ms;
    delta_error_clear();
    return def;
}

int64_t dlog_checkpoint_interval(const dlog_metadata *m)
{
    const char *v = dlog_map_get(&m->configuration, "delta.checkpointInterval", NULL);
    int64_t n;
    if (v && dstr_parse_i64(v, &n) == 0 && n > 0)
        return n;
    return 10;
}

static bool property_flag(const dlog_metadata *m, const char *key, bool def)
{
    const char *v = dlog_map_get(&m->configuration, key, NULL);
    bool b;
    if (v && dstr_parse_bool(v, &b) == 0)
        return b;
    return def;
}

/* ---- the schema ------------------------------------------------------------- */

/* A struct type under construction (fields grow as needed). */
typedef struct sbuild {
    dfield *f;
    uint32_t n, cap;
    bool failed;
} sbuild;

static void sb_add(sbuild *b, const char *name, dtype *t)
{
    if (!t || b->failed) {
        dtype_unref(t);
        b->failed = true;
        return;
    }
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? 2 * b->cap : 16;
        dfield *g = delta_reallocarray(b->f, cap, sizeof *g);
        if (!g) {
            dtype_unref(t);
            b->failed = true;
            return;
        }
        b->f = g;
        b->cap = cap;
    }
    if (dfield_init(&b->f[b->n], name, t, true)) {
        b->failed = true;
        return;
    }
    b->n++;
}

static dtype *sb_end(sbuild *b)
{
    dtype *r = NULL;
    if (b->failed) {
        for (uint32_t i = 0; i < b->n; i++)
            dfield_clear(&b->f[i]);
    } else {
        r = dtype_new_struct(b->f, b->n);
    }
    delta_free(b->f);
    memset(b, 0, sizeof *b);
    return r;
}

static dtype *t_str(void) { return dtype_new(DT_STRING); }
static dtype *t_i64(void) { return dtype_new(DT_INT64); }
static dtype *t_i32(void) { return dtype_new(DT_INT32); }
static dtype *t_bool(void) { return dtype_new(DT_BOOL); }
static dtype *t_map(void) { return dtype_new_map(t_str(), t_str(), true); }

static dtype *t_strlist(void)
{
    dfield el;
    if (dfield_init(&el, "element", t_str(), true))
        return NULL;
    return dtype_new_list(el);
}

static dtype *t_dv(void)
{
    sbuild b = {.n = 0};
    sb_add(&b, "storageType", t_str());
    sb_add(&b, "pathOrInlineDv", t_str());
    sb_add(&b, "offset", t_i32());
    sb_add(&b, "sizeInBytes", t_i32());
    sb_add(&b, "cardinality", t_i64());
    sb_add(&b, "maxRowIndex", t_i64());
    return sb_end(&b);
}

/* Whether a leaf type has min/max statistics. */
static bool has_order(const dtype *t)
{
    switch (t->id) {
    case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64: case DT_FLOAT32:
    case DT_FLOAT64: case DT_DECIMAL: case DT_DATE32: case DT_TIMESTAMP: case DT_STRING:
        return true;
    default:
        return false;
    }
}

/* minValues/maxValues (counts = false) or nullCount (true) for the fields
 * of st, skipping partition columns at the top. NULL with no error when
 * nothing remains. */
static dtype *stats_struct(const dlog_snapshot *snap, const dtype *st, bool counts, bool top,
                           int *err)
{
    sbuild b = {.n = 0};
    for (uint32_t i = 0; i < st->num_fields && !b.failed; i++) {
        const dfield *f = &st->fields[i];
        if (top) {
            bool part = false;
            for (size_t k = 0; k < snap->metadata.num_partition_columns; k++)
                if (dstr_ieq(snap->metadata.partition_columns[k], f->name))
                    part = true;
            if (part)
                continue;
        }
        dtype *t = NULL;
        if (f->type->id == DT_STRUCT) {
            t = stats_struct(snap, f->type, counts, false, err);
            if (*err) {
                b.failed = true;
                break;
            }
            if (!t)
                continue;
        } else if (counts) {
            t = t_i64();
        } else if (has_order(f->type)) {
            t = dtype_ref(f->type);
        } else {
            continue;
        }
        char *name = snap->column_mapping != DLOG_CM_NONE ? dlog_field_physical_name(f)
                                                            : delta_strdup(f->name);
        if (!name) {
            dtype_unref(t);
            b.failed = true;
            break;
        }
        sb_add(&b, name, t);
        delta_free(name);
    }
    if (b.failed) {
        if (!*err)
            *err = DELTA_ENOMEM;
        sb_end(&b);
        return NULL;
    }
    if (b.n == 0)
        return NULL;
    dtype *r = sb_end(&b);
    if (!r)
        *err = DELTA_ENOMEM;
    return r;
}

static dtype *t_stats_parsed(const dlog_snapshot *snap)
{
    int err = 0;
    sbuild b = {.n = 0};
    sb_add(&b, "numRecords", t_i64());
    dtype *mn = stats_struct(snap, snap->schema, false, true, &err);
    dtype *mx = mn ? stats_struct(snap, snap->schema, false, true, &err) : NULL;
    dtype *nc = err ? NULL : stats_struct(snap, snap->schema, true, true, &err);
    if (err)
        b.failed = true;
    if (mn)
        sb_add(&b, "minValues", mn);
    if (mx)
        sb_add(&b, "maxValues", mx);
    if (nc)
        sb_add(&b, "nullCount", nc);
    sb_add(&b, "tightBounds", t_bool());
    return sb_end(&b);
}

static dtype *t_partition_parsed(const dlog_snapshot *snap)
{
    sbuild b = {.n = 0};
    for (size_t k = 0; k < snap->metadata.num_partition_columns && !b.failed; k++) {
        int i = dtype_field_index(snap->schema, snap->metadata.partition_columns[k], true);
        if (i < 0)
            continue;
        const dfield *f = &snap->schema->fields[i];
        char *name = snap->column_mapping != DLOG_CM_NONE ? dlog_field_physical_name(f)
                                                            : delta_strdup(f->name);
        if (!name) {
            b.failed = true;
            break;
        }
        sb_add(&b, name, dtype_ref(f->type));
        delta_free(name);
    }
    if (b.n == 0 && !b.failed)
        return NULL;
    return sb_end(&b);
}

/* Column order of the add struct. */
enum {
    A_PATH, A_PV, A_SIZE, A_MTIME, A_DC, A_TAGS, A_DV, A_BRID, A_DRCV, A_CLUST,
    A_FIXED /* then stats, partitionValues_parsed, stats_parsed as enabled */
};

typedef struct ck_schema {
    dtype *schema;
    bool stats_json, pv_parsed, stats_parsed, v2;
    int i_stats, i_pv_parsed, i_stats_parsed; /* add field indexes or -1 */
} ck_schema;

enum { C_TXN, C_ADD, C_REMOVE, C_META, C_PROTO, C_DOMAIN, C_CKMETA, C_SIDECAR };

static int build_schema(ck_schema *cs, const dlog_snapshot *snap)
{
    sbuild top = {.n = 0}, b = {.n = 0};
    sb_add(&b, "appId", t_str());
    sb_add(&b, "version", t_i64());
    sb_add(&b, "lastUpdated", t_i64());
    sb_add(&top, "txn", sb_end(&b));

    b = (sbuild){.n = 0};
    sb_add(&b, "path", t_str());
    sb_add(&b, "partitionValues", t_map());
    sb_add(&b, "size", t_i64());
    sb_add(&b, "modificationTime", t_i64());
    sb_add(&b, "dataChange", t_bool());
    sb_add(&b, "tags", t_map());
    sb_add(&b, "deletionVector", t_dv());
    sb_add(&b, "baseRowId", t_i64());
    sb_add(&b, "defaultRowCommitVersion", t_i64());
    sb_add(&b, "clusteringProvider", t_str());
    int next = A_FIXED;
    cs->i_stats = cs->i_pv_parsed = cs->i_stats_parsed = -1;
    if (cs->stats_json) {
        sb_add(&b, "stats", t_str());
        cs->i_stats = next++;
    }
    if (cs->pv_parsed) {
        dtype *pv = t_partition_parsed(snap);
        if (pv) {
            sb_add(&b, "partitionValues_parsed", pv);
            cs->i_pv_parsed = next++;
        } else {
            cs->pv_parsed = false;
        }
    }
    if (cs->stats_parsed) {
        sb_add(&b, "stats_parsed", t_stats_parsed(snap));
        cs->i_stats_parsed = next++;
    }
    sb_add(&top, "add", sb_end(&b));

    b = (sbuild){.n = 0};
    sb_add(&b, "path", t_str());
    sb_add(&b, "deletionTimestamp", t_i64());
    sb_add(&b, "dataChange", t_bool());
    sb_add(&b, "extendedFileMetadata", t_bool());
    sb_add(&b, "partitionValues", t_map());
    sb_add(&b, "size", t_i64());
    sb_add(&b, "deletionVector", t_dv());
    sb_add(&b, "baseRowId", t_i64());
    sb_add(&b, "defaultRowCommitVersion", t_i64());
    sb_add(&top, "remove", sb_end(&b));

    b = (sbuild){.n = 0};
    sb_add(&b, "id", t_str());
    sb_add(&b, "name", t_str());
    sb_add(&b, "description", t_str());
    sbuild fmt = {.n = 0};
    sb_add(&fmt, "provider", t_str());
    sb_add(&fmt, "options", t_map());
    sb_add(&b, "format", sb_end(&fmt));
    sb_add(&b, "schemaString", t_str());
    sb_add(&b, "partitionColumns", t_strlist());
    sb_add(&b, "configuration", t_map());
    sb_add(&b, "createdTime", t_i64());
    sb_add(&top, "metaData", sb_end(&b));

    b = (sbuild){.n = 0};
    sb_add(&b, "minReaderVersion", t_i32());
    sb_add(&b, "minWriterVersion", t_i32());
    sb_add(&b, "readerFeatures", t_strlist());
    sb_add(&b, "writerFeatures", t_strlist());
    sb_add(&top, "protocol", sb_end(&b));

    b = (sbuild){.n = 0};
    sb_add(&b, "domain", t_str());
    sb_add(&b, "configuration", t_str());
    sb_add(&b, "removed", t_bool());
    sb_add(&top, "domainMetadata", sb_end(&b));

    if (cs->v2) {
        b = (sbuild){.n = 0};
        sb_add(&b, "version", t_i64());
        sb_add(&b, "tags", t_map());
        sb_add(&top, "checkpointMetadata", sb_end(&b));
        b = (sbuild){.n = 0};
        sb_add(&b, "path", t_str());
        sb_add(&b, "sizeInBytes", t_i64());
        sb_add(&b, "modificationTime", t_i64());
        sb_add(&b, "tags", t_map());
        sb_add(&top, "sidecar", sb_end(&b));
    }
    cs->schema = sb_end(&top);
    return cs->schema ? 0 : DELTA_ENOMEM;
}

/* ---- appending values -------------------------------------------------------- */

static int ap_str(dvec *v, const char *s)
{
    return s ? dvec_append_bytes(v, s, strlen(s)) : dvec_append_null(v);
}

static int ap_int(dvec *v, bool has, int64_t x)
{
    return has ? dvec_append_int(v, x) : dvec_append_null(v);
}

static int ap_bool(dvec *v, bool has, bool x)
{
    return has ? dvec_append_bool(v, x) : dvec_append_null(v);
}

static int ap_map(dvec *v, const dlog_map *m, bool null_if_empty)
{
    if (null_if_empty && m->count == 0)
        return dvec_append_null(v);
    dvec *e = v->children[0];
    int rc = 0;
    for (size_t i = 0; i < m->count && !rc; i++) {
        if (!(rc = dvec_append_bytes(e->children[0], m->items[i].key, strlen(m->items[i].key))) &&
            !(rc = ap_str(e->children[1], m->items[i].value)))
            rc = dvec_end_struct(e);
    }
    return rc ? rc : dvec_end_list(v);
}

static int ap_list(dvec *v, bool present, char **items, size_t n)
{
    if (!present)
        return dvec_append_null(v);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = ap_str(v->children[0], items[i]);
    return rc ? rc : dvec_end_list(v);
}

static int ap_dv(dvec *v, bool has, const dlog_dv *dv)
{
    if (!has)
        return dvec_append_null(v);
    char st[2] = {dv->storage_type, 0};
    int rc;
    if ((rc = ap_str(v->children[0], st)) || (rc = ap_str(v->children[1], dv->path_or_inline)) ||
        (rc = ap_int(v->children[2], dv->has_offset, dv->offset)) ||
        (rc = dvec_append_int(v->children[3], dv->size_in_bytes)) ||
        (rc = dvec_append_int(v->children[4], dv->cardinality)) ||
        (rc = dvec_append_null(v->children[5])))
        return rc;
    return dvec_end_struct(v);
}

/* Decimal text -> 16-byte little-endian unscaled value. */
static bool parse_decimal(const char *s, unsigned scale, unsigned precision, uint8_t out[16])
{
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    __int128 x = 0;
    unsigned digits = 0, frac = 0;
    bool dot = false, any = false;
    for (; *s; s++) {
        if (*s == '.' && !dot) {
            dot = true;
            continue;
        }
        if (*s < '0' || *s > '9')
            return false;
        any = true;
        if (dot && ++frac > scale)
            return false; /* more digits than the scale: not exact */
        if (x != 0 || *s != '0')
            digits++;
        if (digits > 38)
            return false;
        x = x * 10 + (*s - '0');
    }
    if (!any)
        return false;
    for (; frac < scale; frac++) {
        x *= 10;
        if (x != 0)
            digits++;
    }
    if (digits > precision)
        return false;
    if (neg)
        x = -x;
    memcpy(out, &x, 16);
    return true;
}

/* Appends a value of v's type parsed from text (a partition value or a
 * JSON stats value); null when it does not convert. */
static int ap_text(dvec *v, const char *s)
{
    if (!s)
        return dvec_append_null(v);
    int64_t i;
    double d;
    bool b;
    switch (v->type->id) {
    case DT_STRING:
    case DT_BINARY:
        return dvec_append_bytes(v, s, strlen(s));
    case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64:
        if (dstr_parse_i64(s, &i) == 0) {
            int rc = dvec_append_int(v, i);
            if (rc != DELTA_ERANGE)
                return rc;
            delta_error_clear();
        }
        break;
    case DT_FLOAT32: case DT_FLOAT64:
        if (dstr_parse_double(s, &d) == 0)
            return dvec_append_double(v, d);
        break;
    case DT_BOOL:
        if (dstr_parse_bool(s, &b) == 0)
            return dvec_append_bool(v, b);
        break;
    case DT_DATE32: {
        int32_t days;
        if (dtime_parse_date(s, &days) == 0)
            return dvec_append_int(v, days);
        break;
    }
    case DT_TIMESTAMP: {
        int64_t us;
        if ((v->type->utc ? dtime_parse_instant(s, &us) : dtime_parse_local(s, &us)) == 0)
            return dvec_append_int(v, us);
        break;
    }
    case DT_DECIMAL: {
        uint8_t raw[16];
        if (parse_decimal(s, v->type->scale, v->type->precision, raw))
            return dvec_append_fixed(v, raw);
        break;
    }
    default:
        break;
    }
    delta_error_clear();
    return dvec_append_null(v);
}

/* Appends a JSON stats value into v (struct: recursively by field name). */
static int ap_json(dvec *v, const dtype *logical, bool cm, json_t *j)
{
    if (!j || json_is_null(j))
        return dvec_append_null(v);
    if (v->type->id == DT_STRUCT) {
        if (!json_is_object(j))
            return dvec_append_null(v);
        for (uint32_t i = 0; i < v->type->num_fields; i++) {
            /* Stats are keyed by physical name, as the columns are. */
            const char *name = v->type->fields[i].name;
            json_t *c = json_object_get(j, name);
            const dtype *sub = NULL;
            if (logical && logical->id == DT_STRUCT) {
                for (uint32_t k = 0; k < logical->num_fields && !sub; k++) {
                    char *pn = cm ? dlog_field_physical_name(&logical->fields[k]) : NULL;
                    if (strcmp(pn ? pn : logical->fields[k].name, name) == 0)
                        sub = logical->fields[k].type;
                    delta_free(pn);
                }
            }
            int rc = ap_json(v->children[i], sub, cm, c);
            if (rc)
                return rc;
        }
        return dvec_end_struct(v);
    }
    if (json_is_string(j))
        return ap_text(v, json_string_value(j));
    if (json_is_integer(j)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(j));
        return ap_text(v, buf);
    }
    if (json_is_real(j)) {
        if (v->type->id == DT_FLOAT32 || v->type->id == DT_FLOAT64)
            return dvec_append_double(v, json_real_value(j));
        if (v->type->id == DT_DECIMAL) {
            char buf[64];
            snprintf(buf, sizeof buf, "%.17g", json_real_value(j));
            return ap_text(v, buf);
        }
        return dvec_append_null(v);
    }
    if (json_is_boolean(j) && v->type->id == DT_BOOL)
        return dvec_append_bool(v, json_is_true(j));
    return dvec_append_null(v);
}

/* ---- rows ---------------------------------------------------------------------- */

typedef struct ck_writer {
    const dlog_snapshot *snap;
    ck_schema cs;
    dvec *batch;
    pq_writer *w;
    int64_t rows;
    int64_t adds, removes;
} ck_writer;

/* Nulls in every top column but `col`, then seals the row. */
static int end_row(ck_writer *cw, int col)
{
    int rc = 0;
    for (uint32_t i = 0; i < cw->batch->num_children && !rc; i++)
        if ((int)i != col)
            rc = dvec_append_null(cw->batch->children[i]);
    if (rc || (rc = dbatch_seal(cw->batch)))
        return rc;
    cw->rows++;
    if (cw->batch->length >= CK_BATCH_ROWS) {
        if ((rc = pq_writer_write(cw->w, cw->batch)))
            return rc;
        dvec_clear(cw->batch);
    }
    return 0;
}

static int row_protocol(ck_writer *cw)
{
    const dlog_protocol *p = &cw->snap->protocol;
    dvec *v = cw->batch->children[C_PROTO];
    int rc;
    if ((rc = dvec_append_int(v->children[0], p->min_reader_version)) ||
        (rc = dvec_append_int(v->children[1], p->min_writer_version)) ||
        (rc = ap_list(v->children[2], p->has_reader_features, p->reader_features,
                      p->num_reader_features)) ||
        (rc = ap_list(v->children[3], p->has_writer_features, p->writer_features,
                      p->num_writer_features)) ||
        (rc = dvec_end_struct(v)))
        return rc;
    return end_row(cw, C_PROTO);
}

static int row_metadata(ck_writer *cw)
{
    const dlog_metadata *m = &cw->snap->metadata;
    dvec *v = cw->batch->children[C_META];
    dvec *fmt = v->children[3];
    int rc;
    if ((rc = ap_str(v->children[0], m->id)) || (rc = ap_str(v->children[1], m->name)) ||
        (rc = ap_str(v->children[2], m->description)) ||
        (rc = ap_str(fmt->children[0], m->format_provider)) ||
        (rc = ap_map(fmt->children[1], &m->format_options, false)) ||
        (rc = dvec_end_struct(fmt)) || (rc = ap_str(v->children[4], m->schema_string)) ||
        (rc = ap_list(v->children[5], true, m->partition_columns, m->num_partition_columns)) ||
        (rc = ap_map(v->children[6], &m->configuration, false)) ||
        (rc = ap_int(v->children[7], m->has_created_time, m->created_time)) ||
        (rc = dvec_end_struct(v)))
        return rc;
    return end_row(cw, C_META);
}

static int row_txn(ck_writer *cw, const dlog_txn *t)
{
    dvec *v = cw->batch->children[C_TXN];
    int rc;
    if ((rc = ap_str(v->children[0], t->app_id)) ||
        (rc = dvec_append_int(v->children[1], t->version)) ||
        (rc = ap_int(v->children[2], t->has_last_updated, t->last_updated)) ||
        (rc = dvec_end_struct(v)))
        return rc;
    return end_row(cw, C_TXN);
}

static int row_domain(ck_writer *cw, const dlog_domain_metadata *d)
{
    dvec *v = cw->batch->children[C_DOMAIN];
    int rc;
    if ((rc = ap_str(v->children[0], d->domain)) ||
        (rc = ap_str(v->children[1], d->configuration)) ||
        (rc = dvec_append_bool(v->children[2], false)) || (rc = dvec_end_struct(v)))
        return rc;
    return end_row(cw, C_DOMAIN);
}

static int row_ckmeta(ck_writer *cw)
{
    dvec *v = cw->batch->children[C_CKMETA];
    int rc;
    if ((rc = dvec_append_int(v->children[0], cw->snap->version)) ||
        (rc = dvec_append_null(v->children[1])) || (rc = dvec_end_struct(v)))
        return rc;
    return end_row(cw, C_CKMETA);
}

static int stats_parsed_value(ck_writer *cw, dvec *v, const char *stats)
{
    json_t *j = stats ? json_loads(stats, 0, NULL) : NULL;
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return dvec_append_null(v);
    }
    bool cm = cw->snap->column_mapping != DLOG_CM_NONE;
    int rc = 0;
    for (uint32_t i = 0; i < v->type->num_fields && !rc; i++) {
        const char *name = v->type->fields[i].name;
        const dtype *logical = strcmp(name, "minValues") == 0 || strcmp(name, "maxValues") == 0 ||
                                       strcmp(name, "nullCount") == 0
                                   ? cw->snap->schema
                                   : NULL;
        rc = ap_json(v->children[i], logical, cm, json_object_get(j, name));
    }
    json_decref(j);
    return rc ? rc : dvec_end_struct(v);
}

static int pv_parsed_value(ck_writer *cw, dvec *v, const dlog_map *pv)
{
    int rc = 0;
    for (uint32_t i = 0; i < v->type->num_fields && !rc; i++) {
        /* The field is the partition column (physical name under column
         * mapping); partitionValues is keyed the same way. */
        bool found = false;
        const char *s = dlog_map_get(pv, v->type->fields[i].name, &found);
        if (!found) {
            for (size_t k = 0; k < pv->count; k++)
                if (dstr_ieq(pv->items[k].key, v->type->fields[i].name))
                    s = pv->items[k].value;
        }
        rc = ap_text(v->children[i], s);
    }
    return rc ? rc : dvec_end_struct(v);
}

static int row_add(ck_writer *cw, const dlog_add *a)
{
    dvec *v = cw->batch->children[C_ADD];
    dvec **c = v->children;
    int rc;
    if ((rc = ap_str(c[A_PATH], a->path)) || (rc = ap_map(c[A_PV], &a->partition_values, false)) ||
        (rc = dvec_append_int(c[A_SIZE], a->size)) ||
        (rc = dvec_append_int(c[A_MTIME], a->modification_time)) ||
        (rc = dvec_append_bool(c[A_DC], false)) || (rc = ap_map(c[A_TAGS], &a->tags, true)) ||
        (rc = ap_dv(c[A_DV], a->has_dv, &a->dv)) ||
        (rc = ap_int(c[A_BRID], a->has_base_row_id, a->base_row_id)) ||
        (rc = ap_int(c[A_DRCV], a->has_default_row_commit_version,
                     a->default_row_commit_version)) ||
        (rc = ap_str(c[A_CLUST], a->clustering_provider)))
        return rc;
    if (cw->cs.i_stats >= 0 && (rc = ap_str(c[cw->cs.i_stats], a->stats)))
        return rc;
    if (cw->cs.i_pv_parsed >= 0 &&
        (rc = pv_parsed_value(cw, c[cw->cs.i_pv_parsed], &a->partition_values)))
        return rc;
    if (cw->cs.i_stats_parsed >= 0 &&
        (rc = stats_parsed_value(cw, c[cw->cs.i_stats_parsed], a->stats)))
        return rc;
    if ((rc = dvec_end_struct(v)))
        return rc;
    cw->adds++;
    return end_row(cw, C_ADD);
}

static int row_remove(ck_writer *cw, const dlog_remove *r)
{
    dvec *v = cw->batch->children[C_REMOVE];
    dvec **c = v->children;
    int rc;
    if ((rc = ap_str(c[0], r->path)) ||
        (rc = ap_int(c[1], r->has_deletion_timestamp, r->deletion_timestamp)) ||
        (rc = dvec_append_bool(c[2], false)) ||
        (rc = ap_bool(c[3], r->has_extended_file_metadata, r->extended_file_metadata)) ||
        (rc = r->has_partition_values ? ap_map(c[4], &r->partition_values, false)
                                      : dvec_append_null(c[4])) ||
        (rc = ap_int(c[5], r->has_size, r->size)) || (rc = ap_dv(c[6], r->has_dv, &r->dv)) ||
        (rc = ap_int(c[7], r->has_base_row_id, r->base_row_id)) ||
        (rc = ap_int(c[8], r->has_default_row_commit_version, r->default_row_commit_version)) ||
        (rc = dvec_end_struct(v)))
        return rc;
    cw->removes++;
    return end_row(cw, C_REMOVE);
}

/* ---- the checkpoint ------------------------------------------------------------ */

static bool has_feature(const dlog_protocol *p, const char *name)
{
    for (size_t i = 0; i < p->num_writer_features; i++)
        if (strcmp(p->writer_features[i], name) == 0)
            return true;
    for (size_t i = 0; i < p->num_reader_features; i++)
        if (strcmp(p->reader_features[i], name) == 0)
            return true;
    return false;
}

static bool flag(dlog_ckpt_flag f, bool table)
{
    return f == DLOG_CKPT_ON ? true : f == DLOG_CKPT_OFF ? false : table;
}

/* Live files and tombstones share their leading fields (canonical path,
 * DV id), which is the order they are written in: the same snapshot
 * always gives the same checkpoint, and a reader filling a hash map is
 * never fed keys in that map's own slot order (which makes open
 * addressing degrade badly while the map grows). */
typedef struct keyed {
    char *canonical;
    char *dv_id;
} keyed;

_Static_assert(offsetof(dlog_live_file, canonical) == offsetof(keyed, canonical) &&
                   offsetof(dlog_live_file, dv_id) == offsetof(keyed, dv_id) &&
                   offsetof(dlog_tombstone, canonical) == offsetof(keyed, canonical) &&
                   offsetof(dlog_tombstone, dv_id) == offsetof(keyed, dv_id),
               "live files and tombstones start with canonical, dv_id");

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = *(const keyed *const *)a, *y = *(const keyed *const *)b;
    int c = strcmp(x->canonical, y->canonical);
    if (c)
        return c;
    return strcmp(x->dv_id ? x->dv_id : "", y->dv_id ? y->dv_id : "");
}

static int sorted_entries(const dmap *m, const void ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t count = dmap_count(m);
    if (!count)
        return 0;
    const void **v = delta_calloc(count, sizeof *v);
    if (!v)
        return DELTA_ENOMEM;
    size_t it = 0, k = 0;
    void *val;
    while (k < count && dmap_next(m, &it, NULL, NULL, &val))
        v[k++] = val;
    qsort(v, k, sizeof *v, cmp_keyed);
    *out = v;
    *n = k;
    return 0;
}

static int write_rows(ck_writer *cw, int64_t now)
{
    const dlog_snapshot *snap = cw->snap;
    int rc;
    if ((rc = row_protocol(cw)) || (rc = row_metadata(cw)))
        return rc;
    if (cw->cs.v2 && (rc = row_ckmeta(cw)))
        return rc;
    /* Transaction identifiers expire only when the table says so. */
    int64_t txn_ret = duration_property(&snap->metadata, "delta.setTransactionRetentionDuration",
                                        -1);
    size_t it = 0;
    void *val;
    while (dmap_next(snap->txns, &it, NULL, NULL, &val)) {
        const dlog_txn *t = val;
        if (txn_ret >= 0 && t->has_last_updated && t->last_updated <= now - txn_ret)
            continue;
        if ((rc = row_txn(cw, t)))
            return rc;
    }
    it = 0;
    while (dmap_next(snap->domains, &it, NULL, NULL, &val))
        if ((rc = row_domain(cw, val)))
            return rc;
    const void **order = NULL;
    size_t n = 0;
    if ((rc = sorted_entries(snap->files, &order, &n)))
        return rc;
    for (size_t i = 0; i < n && !rc; i++)
        rc = row_add(cw, &((const dlog_live_file *)order[i])->add);
    delta_free(order);
    if (rc)
        return rc;
    /* Tombstones are kept for VACUUM until they expire. */
    int64_t del_ret = duration_property(&snap->metadata, "delta.deletedFileRetentionDuration",
                                        7LL * 86400000);
    if ((rc = sorted_entries(snap->tombstones, &order, &n)))
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        const dlog_remove *r = &((const dlog_tombstone *)order[i])->remove;
        int64_t ts = r->has_deletion_timestamp ? r->deletion_timestamp : 0;
        if (ts > now - del_ret)
            rc = row_remove(cw, r);
    }
    delta_free(order);
    if (!rc && cw->batch->length > 0)
        rc = pq_writer_write(cw->w, cw->batch);
    return rc;
}

int dlog_checkpoint_write(delta_store *table, const dlog_snapshot *snap,
                          const dlog_ckpt_write_opts *opts, dlog_ckpt_info *out)
{
    dlog_ckpt_write_opts o = DLOG_CKPT_WRITE_OPTS_INIT;
    if (opts) {
        if (opts->version != DLOG_CKPT_WRITE_OPTS_VERSION)
            return delta_error_set(DELTA_EINVAL, "checkpoint options: unknown version %u",
                                   opts->version);
        o = *opts;
    }
    if (!snap->schema || !snap->metadata.id || snap->protocol.min_reader_version < 1)
        return delta_error_set(DELTA_EINVAL,
                               "checkpoint of version %lld: the snapshot has no protocol, "
                               "metadata or schema (opened unchecked?)",
                               (long long)snap->version);
    int rc = dlog_protocol_check_write(&snap->protocol);
    if (rc)
        return delta_error_prefix(rc, "checkpoint of version %lld: ", (long long)snap->version);
    int64_t now = o.now_ms ? o.now_ms : dtime_now_ms();
    char key[64];
    snprintf(key, sizeof key, DLOG_DIR "%020lld.checkpoint.parquet", (long long)snap->version);

    ck_writer cw;
    memset(&cw, 0, sizeof cw);
    cw.snap = snap;
    cw.cs.stats_json = flag(o.stats_json, property_flag(&snap->metadata,
                                                        "delta.checkpoint.writeStatsAsJson", true));
    bool as_struct = flag(o.stats_struct, property_flag(&snap->metadata,
                                                        "delta.checkpoint.writeStatsAsStruct",
                                                        false));
    cw.cs.pv_parsed = cw.cs.stats_parsed = as_struct;
    cw.cs.v2 = has_feature(&snap->protocol, "v2Checkpoint");
    if ((rc = build_schema(&cw.cs, snap)))
        goto done;
    pq_writer_options wo = PQ_WRITER_OPTIONS_INIT;
    if (o.row_group_rows)
        wo.row_group_size_rows = o.row_group_rows;
    if ((rc = dbatch_new(&cw.batch, cw.cs.schema)) ||
        (rc = pq_writer_open(&cw.w, table, key, 0, cw.cs.schema, &wo)) ||
        (rc = write_rows(&cw, now)) || (rc = pq_writer_close(cw.w)))
        goto done;
    dlog_ckpt_info info = {snap->version, cw.rows, (int64_t)pq_writer_bytes_written(cw.w),
                           cw.adds, cw.removes, cw.cs.v2};
    if ((rc = dlog_last_checkpoint_write(table, &info)))
        goto done;
    if (out)
        *out = info;
done:
    if (rc)
        rc = delta_error_prefix(rc, "writing checkpoint %s: ", key);
    pq_writer_free(cw.w);
    dvec_unref(cw.batch);
    dtype_unref(cw.cs.schema);
    return rc;
}

/* ---- _last_checkpoint ----------------------------------------------------------- */

int dlog_last_checkpoint_write(delta_store *table, const dlog_ckpt_info *info)
{
    /* The checksum is the MD5 of the canonical form: path=value pairs
     * sorted by the quoted key, numbers as written. */
    char canon[256];
    snprintf(canon, sizeof canon,
             "\"numOfAddFiles\"=%lld,\"size\"=%lld,\"sizeInBytes\"=%lld,\"version\"=%lld",
             (long long)info->num_add_files, (long long)info->size,
             (long long)info->size_in_bytes, (long long)info->version);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_md5(), NULL) || mdlen != 16)
        return delta_error_set(DELTA_EIO, "_last_checkpoint: MD5 is not available");
    char hex[33];
    for (unsigned i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    dbuf b = DBUF_INIT;
    dbuf_printf(&b,
                "{\"version\":%lld,\"size\":%lld,\"sizeInBytes\":%lld,\"numOfAddFiles\":%lld,"
                "\"checksum\":\"%s\"}",
                (long long)info->version, (long long)info->size,
                (long long)info->size_in_bytes, (long long)info->num_add_files, hex);
    int rc = b.err ? b.err
                   : delta_store_put(table, DLOG_DIR "_last_checkpoint", b.data, b.len);
    dbuf_free(&b);
    if (rc)
        rc = delta_error_prefix(rc, "writing " DLOG_DIR "_last_checkpoint: ");
    return rc;
}

/* ---- after a commit ---------------------------------------------------------------- */

int dlog_checkpoint_after_commit(delta_store *table, int64_t version, int64_t now_ms,
                                 bool *did)
{
    *did = false;
    if (version <= 0)
        return 0;
    dlog_snapshot *snap = NULL;
    dlog_snapshot_opts so = DLOG_SNAPSHOT_OPTS_INIT;
    so.at_version = version;
    int rc = dlog_snapshot_open(&snap, table, &so);
    if (rc)
        return rc;
    if (version % dlog_checkpoint_interval(&snap->metadata) != 0) {
        dlog_snapshot_free(snap);
        return 0;
    }
    dlog_ckpt_write_opts o = DLOG_CKPT_WRITE_OPTS_INIT;
    o.now_ms = now_ms;
    rc = dlog_checkpoint_write(table, snap, &o, NULL);
    if (rc == 0) {
        *did = true;
        if (property_flag(&snap->metadata, "delta.enableExpiredLogCleanup", true))
            rc = dlog_cleanup(table, snap, now_ms ? now_ms : dtime_now_ms(), NULL);
    }
    dlog_snapshot_free(snap);
    return rc;
}
