/*
 * Data file statistics as Delta writes them in add.stats (PROTOCOL.md
 * "Per-file Statistics"), computed from the batches while they are
 * written:
 *
 *   {"numRecords":N,"minValues":{...},"maxValues":{...},"nullCount":{...}}
 *
 * Columns are the data columns (partition columns excluded) and nested
 * struct fields appear as nested objects. Only the first
 * delta.dataSkippingNumIndexedCols leaf columns (depth first, default 32,
 * -1 = all) get statistics, as Spark does. nullCount is kept for every
 * indexed leaf (lists and maps count as leaves); a nested field is null in
 * a row where it or any enclosing struct is null. minValues/maxValues
 * exist for integers, floats (NaN ignored), decimals (JSON numbers),
 * dates ("2024-01-31"), timestamps and strings, and only when the column
 * has a non-null value:
 *
 *   - timestamps are written with millisecond precision like Spark
 *     ("2024-01-31T10:20:30.123Z", no zone for timestamp_ntz); the
 *     minimum is rounded down and the maximum up to the millisecond, so
 *     the bounds still hold for every value;
 *   - strings are compared by bytes (UTF-8 order is code point order) and
 *     cut to 32 characters; a cut maximum gets U+10FFFF appended so it
 *     stays above every value that shares the prefix (readers treat
 *     maxima of 32 or more characters as possibly truncated anyway).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/format.h"
#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "expr/expr.h"
#include "table/write.h"

#define STRING_PREFIX 32

typedef struct snode {
    const char *name;
    const dtype *type;
    bool indexed; /* leaf with statistics */
    bool minmax;  /* min/max kept for its type */
    int64_t nulls;
    bool has;
    int64_t imin, imax;
    double dmin, dmax;
    __int128 cmin, cmax;
    dbuf smin, smax;
    uint32_t nchildren;
    struct snode *children;
} snode;

struct dtab_stats {
    snode root;
    int64_t rows;
};

static bool minmax_type(const dtype *t)
{
    switch (t->id) {
    case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64:
    case DT_FLOAT32: case DT_FLOAT64: case DT_DECIMAL: case DT_DATE32:
    case DT_TIMESTAMP: case DT_STRING:
        return true;
    default:
        return false;
    }
}

static int build(snode *n, const char *name, const dtype *t, int64_t *left)
{
    n->name = name;
    n->type = t;
    if (t->id == DT_STRUCT) {
        n->children = delta_calloc(t->num_fields ? t->num_fields : 1, sizeof *n->children);
        if (!n->children)
            return DELTA_ENOMEM;
        n->nchildren = t->num_fields;
        for (uint32_t i = 0; i < t->num_fields; i++) {
            int rc = build(&n->children[i], t->fields[i].name, t->fields[i].type, left);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (*left != 0) {
        n->indexed = true;
        n->minmax = minmax_type(t);
        if (*left > 0)
            (*left)--;
    }
    return 0;
}

static void node_free(snode *n)
{
    for (uint32_t i = 0; i < n->nchildren; i++)
        node_free(&n->children[i]);
    delta_free(n->children);
    dbuf_free(&n->smin);
    dbuf_free(&n->smax);
}

static void node_reset(snode *n)
{
    n->nulls = 0;
    n->has = false;
    dbuf_reset(&n->smin);
    dbuf_reset(&n->smax);
    for (uint32_t i = 0; i < n->nchildren; i++)
        node_reset(&n->children[i]);
}

int dtab_stats_new(dtab_stats **out, const dtype *schema, int64_t num_indexed)
{
    dtab_stats *s = delta_calloc(1, sizeof *s);
    if (!s)
        return DELTA_ENOMEM;
    int64_t left = num_indexed < 0 ? -1 : num_indexed;
    int rc = build(&s->root, NULL, schema, &left);
    if (rc) {
        dtab_stats_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void dtab_stats_free(dtab_stats *s)
{
    if (!s)
        return;
    node_free(&s->root);
    delta_free(s);
}

static int64_t int_at(const dvec *v, int64_t i)
{
    switch (v->type->id) {
    case DT_INT8: return ((const int8_t *)v->values)[i];
    case DT_INT16: return ((const int16_t *)v->values)[i];
    case DT_INT32:
    case DT_DATE32: return ((const int32_t *)v->values)[i];
    default: return ((const int64_t *)v->values)[i];
    }
}

static int bytes_cmp(const uint8_t *a, size_t an, const dbuf *b)
{
    size_t n = an < b->len ? an : b->len;
    int c = n ? memcmp(a, b->data, n) : 0;
    return c ? c : (an < b->len ? -1 : an > b->len ? 1 : 0);
}

/* Folds rows [0, len) of v, where parent[i] says the enclosing structs are
 * valid (NULL: all valid). */
static int update(snode *n, const dvec *v, const uint8_t *parent, int64_t len)
{
    if (n->type->id == DT_STRUCT) {
        uint8_t *mine = delta_malloc((size_t)(len ? len : 1));
        if (!mine)
            return DELTA_ENOMEM;
        for (int64_t i = 0; i < len; i++)
            mine[i] = (uint8_t)((!parent || parent[i]) && dvec_is_valid(v, i));
        int rc = 0;
        for (uint32_t c = 0; c < n->nchildren && !rc; c++)
            rc = update(&n->children[c], v->children[c], mine, len);
        delta_free(mine);
        return rc;
    }
    if (!n->indexed)
        return 0;
    for (int64_t i = 0; i < len; i++) {
        if ((parent && !parent[i]) || !dvec_is_valid(v, i)) {
            n->nulls++;
            continue;
        }
        if (!n->minmax)
            continue;
        switch (n->type->id) {
        case DT_FLOAT32:
        case DT_FLOAT64: {
            double d = n->type->id == DT_FLOAT32 ? ((const float *)v->values)[i] : dvec_f64(v)[i];
            if (isnan(d))
                break;
            if (!n->has || d < n->dmin)
                n->dmin = d;
            if (!n->has || d > n->dmax)
                n->dmax = d;
            n->has = true;
            break;
        }
        case DT_DECIMAL: {
            __int128 d;
            memcpy(&d, (const uint8_t *)v->values + 16 * i, 16);
            if (!n->has || d < n->cmin)
                n->cmin = d;
            if (!n->has || d > n->cmax)
                n->cmax = d;
            n->has = true;
            break;
        }
        case DT_STRING: {
            size_t len_b;
            const uint8_t *p = dvec_bytes(v, i, &len_b);
            if (!n->has || bytes_cmp(p, len_b, &n->smin) < 0) {
                dbuf_reset(&n->smin);
                dbuf_append(&n->smin, p, len_b);
            }
            if (!n->has || bytes_cmp(p, len_b, &n->smax) > 0) {
                dbuf_reset(&n->smax);
                dbuf_append(&n->smax, p, len_b);
            }
            if (n->smin.err || n->smax.err)
                return DELTA_ENOMEM;
            n->has = true;
            break;
        }
        default: {
            int64_t x = int_at(v, i);
            if (!n->has || x < n->imin)
                n->imin = x;
            if (!n->has || x > n->imax)
                n->imax = x;
            n->has = true;
            break;
        }
        }
    }
    return 0;
}

int dtab_stats_update(dtab_stats *s, const dvec *batch)
{
    s->rows += batch->length;
    int rc = 0;
    for (uint32_t c = 0; c < s->root.nchildren && !rc; c++)
        rc = update(&s->root.children[c], batch->children[c], NULL, batch->length);
    return rc;
}

/* ---- JSON ------------------------------------------------------------------ */

static bool any_minmax(const snode *n)
{
    if (n->type->id != DT_STRUCT)
        return n->indexed && n->minmax && n->has;
    for (uint32_t i = 0; i < n->nchildren; i++)
        if (any_minmax(&n->children[i]))
            return true;
    return false;
}

static bool any_indexed(const snode *n)
{
    if (n->type->id != DT_STRUCT)
        return n->indexed;
    for (uint32_t i = 0; i < n->nchildren; i++)
        if (any_indexed(&n->children[i]))
            return true;
    return false;
}

static void put_double(dbuf *out, double d)
{
    char buf[64];
    if (isinf(d)) {
        /* JSON has no infinity; Spark writes it as a string. */
        dbuf_puts(out, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eEn"))
        strcat(buf, ".0");
    dbuf_puts(out, buf);
}

static void put_timestamp(dbuf *out, int64_t us, const dtype *t, bool up)
{
    int64_t per = t->unit == DT_UNIT_SECOND ? 1000000 : t->unit == DT_UNIT_MILLI ? 1000
                  : t->unit == DT_UNIT_MICRO ? 1 : 0;
    int64_t micros = per ? us * per : (us >= 0 ? us / 1000 : -((-us + 999) / 1000));
    int64_t ms = micros >= 0 ? micros / 1000 : -((-micros + 999) / 1000);
    if (up && ms * 1000 < micros)
        ms++;
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int frac = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    dtime_civil_from_days(days, &y, &m, &d);
    dbuf_printf(out, "\"%04lld-%02u-%02uT%02d:%02d:%02d.%03d%s\"", (long long)y, m, d,
                (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), frac,
                t->utc ? "Z" : "");
}

static void put_string(dbuf *out, const dbuf *s, bool is_max)
{
    /* cut at 32 characters (UTF-8 sequences) */
    size_t pos = 0, chars = 0;
    while (pos < s->len && chars < STRING_PREFIX) {
        size_t k = dutf8_seq(s->data + pos, s->len - pos);
        pos += k ? k : 1;
        chars++;
    }
    if (pos >= s->len || !is_max) {
        dfmt_json_string(out, s->data, pos);
        return;
    }
    dbuf tmp = DBUF_INIT;
    dbuf_append(&tmp, s->data, pos);
    dbuf_append(&tmp, "\xf4\x8f\xbf\xbf", 4); /* U+10FFFF */
    dfmt_json_string(out, tmp.data, tmp.len);
    dbuf_free(&tmp);
}

static void put_value(dbuf *out, const snode *n, bool is_max)
{
    switch (n->type->id) {
    case DT_FLOAT32:
    case DT_FLOAT64:
        put_double(out, is_max ? n->dmax : n->dmin);
        break;
    case DT_DECIMAL:
        expr_format_decimal(out, is_max ? n->cmax : n->cmin, n->type->scale);
        break;
    case DT_STRING:
        put_string(out, is_max ? &n->smax : &n->smin, is_max);
        break;
    case DT_DATE32:
        dbuf_putc(out, '"');
        dtime_format_date(out, (int32_t)(is_max ? n->imax : n->imin));
        dbuf_putc(out, '"');
        break;
    case DT_TIMESTAMP:
        put_timestamp(out, is_max ? n->imax : n->imin, n->type, is_max);
        break;
    default:
        dbuf_printf(out, "%lld", (long long)(is_max ? n->imax : n->imin));
        break;
    }
}

typedef enum { K_MIN, K_MAX, K_NULLS } kind;

static void put_object(dbuf *out, const snode *n, kind k)
{
    dbuf_putc(out, '{');
    bool first = true;
    for (uint32_t i = 0; i < n->nchildren; i++) {
        const snode *c = &n->children[i];
        bool include = k == K_NULLS ? any_indexed(c) : any_minmax(c);
        if (!include)
            continue;
        if (!first)
            dbuf_putc(out, ',');
        first = false;
        dfmt_json_string(out, c->name, strlen(c->name));
        dbuf_putc(out, ':');
        if (c->type->id == DT_STRUCT)
            put_object(out, c, k);
        else if (k == K_NULLS)
            dbuf_printf(out, "%lld", (long long)c->nulls);
        else
            put_value(out, c, k == K_MAX);
    }
    dbuf_putc(out, '}');
}

int dtab_stats_json(dtab_stats *s, dbuf *out)
{
    dbuf_printf(out, "{\"numRecords\":%lld", (long long)s->rows);
    if (any_minmax(&s->root)) {
        dbuf_puts(out, ",\"minValues\":");
        put_object(out, &s->root, K_MIN);
        dbuf_puts(out, ",\"maxValues\":");
        put_object(out, &s->root, K_MAX);
    }
    if (any_indexed(&s->root)) {
        dbuf_puts(out, ",\"nullCount\":");
        put_object(out, &s->root, K_NULLS);
    }
    dbuf_putc(out, '}');
    s->rows = 0;
    node_reset(&s->root);
    return out->err;
}
