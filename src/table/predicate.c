/*
 * Scan predicates (see predicate.h): binding, partition pruning and data
 * skipping from an add action's JSON statistics.
 *
 * Statistics are read lazily: the expression layer asks for the column at
 * a path of field indices, and the lookup walks minValues, maxValues and
 * nullCount along the physical names of that path, converting the JSON
 * value it finds into the column's type. The JSON tree stays alive while
 * the decision is made, so string bounds point into it.
 */
#include "table/predicate.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "core/str.h"
#include "expr/expr_internal.h"
#include "table/partition.h"

/* Microseconds by which timestamp bounds are widened: writers record them
 * in milliseconds, truncated. */
#define TS_SLACK_US 1000

static void collect_columns(const expr_node *n, bool *used)
{
    if (n->kind == EX_COL && n->scope == 0 && n->depth >= 1 && n->path[0] >= 0)
        used[n->path[0]] = true;
    for (uint32_t k = 0; k < n->nargs; k++)
        collect_columns(n->args[k], used);
}

static int parse_bind(const char *where, const dtype *schema, expr **out)
{
    *out = NULL;
    expr *e = NULL;
    int rc = expr_parse(&e, where);
    if (!rc) {
        expr_scope sc = {NULL, schema};
        rc = expr_bind(e, &sc, 1);
    }
    if (!rc && e->root->type->id != DT_BOOL && e->root->type->id != DT_NULL) {
        dbuf tn = DBUF_INIT;
        dtype_format(e->root->type, &tn);
        rc = delta_error_set(DELTA_ETYPE, "the predicate is of type %s, expected boolean",
                             tn.err ? "?" : dbuf_cstr(&tn));
        dbuf_free(&tn);
    }
    if (rc) {
        expr_free(e);
        return delta_error_prefix(rc, "where: ");
    }
    *out = e;
    return 0;
}

int dtab_pred_columns(const dlog_snapshot *snap, const char *where, uint32_t **cols,
                      size_t *ncols)
{
    *cols = NULL;
    *ncols = 0;
    expr *e;
    int rc = parse_bind(where, snap->schema, &e);
    if (rc)
        return rc;
    uint32_t nf = snap->schema->num_fields;
    bool *used = delta_calloc(nf ? nf : 1, sizeof *used);
    uint32_t *out = delta_calloc(nf ? nf : 1, sizeof *out);
    if (!used || !out) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    collect_columns(e->root, used);
    size_t n = 0;
    for (uint32_t i = 0; i < nf; i++)
        if (used[i])
            out[n++] = i;
    *cols = out;
    *ncols = n;
    out = NULL;
done:
    delta_free(used);
    delta_free(out);
    expr_free(e);
    return rc;
}

int dtab_pred_init(dtab_pred *p, const char *where, const dtype *schema, const bool *partition,
                   dlog_cm_mode cm)
{
    memset(p, 0, sizeof *p);
    p->schema = schema;
    p->cm = cm;
    uint32_t nf = schema->num_fields;
    p->partition = delta_calloc(nf ? nf : 1, sizeof *p->partition);
    bool *used = delta_calloc(nf ? nf : 1, sizeof *used);
    int rc = (!p->partition || !used) ? DELTA_ENOMEM : 0;
    if (!rc)
        rc = parse_bind(where, schema, &p->e);
    if (!rc) {
        memcpy(p->partition, partition, nf * sizeof *partition);
        collect_columns(p->e->root, used);
        for (uint32_t i = 0; i < nf; i++)
            if (used[i] && partition[i])
                p->prune = true;
    }
    delta_free(used);
    if (rc)
        dtab_pred_clear(p);
    return rc;
}

void dtab_pred_clear(dtab_pred *p)
{
    expr_free(p->e);
    delta_free(p->partition);
    memset(p, 0, sizeof *p);
}

/* The name a field's data and statistics are stored under (a new string). */
static char *stored_name(const dfield *f, dlog_cm_mode cm)
{
    return cm == DLOG_CM_NONE ? delta_strdup(f->name) : dlog_field_physical_name(f);
}

/* ---- partition values -------------------------------------------------------- */

/* A 1-row batch of the read schema with the file's partition values in
 * the partition columns and nulls elsewhere. */
static int partition_row(const dtab_pred *p, const dlog_live_file *lf, dvec **out)
{
    *out = NULL;
    dvec *b;
    int rc = dbatch_new(&b, p->schema);
    for (uint32_t i = 0; !rc && i < p->schema->num_fields; i++) {
        const dfield *f = &p->schema->fields[i];
        if (!p->partition[i]) {
            rc = dvec_append_null(b->children[i]);
            continue;
        }
        char *phys = stored_name(f, p->cm);
        if (!phys) {
            rc = DELTA_ENOMEM;
            break;
        }
        bool found;
        const char *text = dlog_map_get(&lf->add.partition_values, phys, &found);
        if (!found && strcmp(phys, f->name) != 0)
            text = dlog_map_get(&lf->add.partition_values, f->name, NULL);
        delta_free(phys);
        rc = dtab_partition_append(b->children[i], f->name, text);
    }
    if (!rc)
        rc = dbatch_seal(b);
    if (rc) {
        dvec_unref(b);
        return rc;
    }
    *out = b;
    return 0;
}

/* ---- statistics ----------------------------------------------------------------- */

typedef struct stats_ctx {
    const dtab_pred *p;
    json_t *min, *max, *nulls; /* objects or NULL */
    int64_t num_records;
    const dvec *prow;
    expr_col_stats slot; /* the answer of the last lookup */
} stats_ctx;

/* Converts a JSON statistic to a value of leaf type t; false when it does
 * not convert exactly (the bound is then unknown). */
bool dtab_pred_stats_value(const dtype *t, json_t *j, bool is_max, expr_value *v)
{
    memset(v, 0, sizeof *v);
    if (!j || json_is_null(j))
        return false;
    switch (t->id) {
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64:
        if (!json_is_integer(j))
            return false;
        v->i = (int64_t)json_integer_value(j);
        return true;
    case DT_FLOAT32:
    case DT_FLOAT64: {
        double d;
        if (json_is_number(j))
            d = json_number_value(j);
        else if (!json_is_string(j) || dstr_parse_double(json_string_value(j), &d) != 0) {
            delta_error_clear();
            return false;
        }
        if (t->id == DT_FLOAT32) {
            v->d = (double)(float)d;
        } else {
            /* a double column may hold values of files written when it
             * was a float (type widening), whose statistics are a float's
             * text: the float that text stands for bounds them too */
            double f = (double)(float)d;
            v->d = isnan(f) ? d : is_max ? (f > d ? f : d) : (f < d ? f : d);
        }
        return true;
    }
    case DT_DECIMAL: {
        if (json_is_integer(j)) {
            expr_i128 x = (expr_i128)json_integer_value(j);
            if (!expr_dec_rescale(x, 0, t->scale, &v->dec))
                return false;
            return expr_dec_fits(v->dec, t->precision);
        }
        if (json_is_string(j)) {
            const char *s = json_string_value(j);
            return expr_dec_parse(s, strlen(s), t->precision, t->scale, &v->dec);
        }
        if (!json_is_real(j) || t->precision > 15)
            return false;
        double d = json_real_value(j) * (double)expr_pow10(t->scale);
        if (!isfinite(d) || fabs(d) >= 1e15)
            return false;
        v->dec = (expr_i128)llround(d);
        return true;
    }
    case DT_BOOL:
        if (!json_is_boolean(j))
            return false;
        v->b = json_is_true(j);
        return true;
    case DT_DATE32: {
        int32_t days;
        if (!json_is_string(j) || dtime_parse_date(json_string_value(j), &days) != 0) {
            delta_error_clear();
            return false;
        }
        v->i = days;
        return true;
    }
    case DT_TIMESTAMP: {
        int64_t us;
        if (!json_is_string(j))
            return false;
        const char *s = json_string_value(j);
        int rc = t->utc ? dtime_parse_instant(s, &us) : dtime_parse_local(s, &us);
        if (rc) {
            delta_error_clear();
            return false;
        }
        if (is_max)
            v->i = us > INT64_MAX - TS_SLACK_US ? INT64_MAX : us + TS_SLACK_US;
        else
            v->i = us < INT64_MIN + TS_SLACK_US ? INT64_MIN : us - TS_SLACK_US;
        return true;
    }
    case DT_STRING:
        if (!json_is_string(j))
            return false;
        v->bytes = (const uint8_t *)json_string_value(j);
        v->len = json_string_length(j);
        return true;
    default:
        return false; /* binary, nested, others: no usable bounds */
    }
}

static const expr_col_stats *partition_stats(stats_ctx *c, uint32_t field)
{
    expr_col_stats *st = &c->slot;
    memset(st, 0, sizeof *st);
    expr_value v;
    if (expr_vec_get(c->prow->children[field], 0, &v)) {
        st->has_min = st->has_max = true;
        st->min = st->max = v;
        st->has_null_count = true;
        st->null_count = 0;
    } else if (c->num_records >= 0) {
        st->has_null_count = true;
        st->null_count = c->num_records;
    }
    return st;
}

static const expr_col_stats *column_stats(void *ctx, const int32_t *path, uint32_t depth)
{
    stats_ctx *c = ctx;
    const dtype *t = c->p->schema;
    if (depth == 0 || path[0] < 0 || (uint32_t)path[0] >= t->num_fields)
        return NULL;
    if (c->p->partition[path[0]])
        return depth == 1 && c->prow ? partition_stats(c, (uint32_t)path[0]) : NULL;
    json_t *mn = c->min, *mx = c->max, *nc = c->nulls;
    for (uint32_t d = 0; d < depth; d++) {
        if (t->id != DT_STRUCT || path[d] < 0 || (uint32_t)path[d] >= t->num_fields)
            return NULL;
        const dfield *f = &t->fields[path[d]];
        char *name = stored_name(f, c->p->cm);
        if (!name)
            return NULL;
        mn = json_is_object(mn) ? json_object_get(mn, name) : NULL;
        mx = json_is_object(mx) ? json_object_get(mx, name) : NULL;
        nc = json_is_object(nc) ? json_object_get(nc, name) : NULL;
        delta_free(name);
        t = f->type;
    }
    expr_col_stats *st = &c->slot;
    memset(st, 0, sizeof *st);
    st->has_min = dtab_pred_stats_value(t, mn, false, &st->min);
    st->has_max = dtab_pred_stats_value(t, mx, true, &st->max);
    if (json_is_integer(nc) && json_integer_value(nc) >= 0) {
        st->has_null_count = true;
        st->null_count = (int64_t)json_integer_value(nc);
    }
    if (!st->has_min && !st->has_max && !st->has_null_count)
        return NULL;
    return st;
}

bool dtab_pred_stats_may_match(const dtab_pred *p, const char *stats_json, const dvec *prow)
{
    json_t *j = stats_json ? json_loads(stats_json, 0, NULL) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        j = NULL;
        if (!prow)
            return true;
    }
    stats_ctx c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.prow = prow;
    c.num_records = -1;
    if (j) {
        json_t *n = json_object_get(j, "numRecords");
        if (json_is_integer(n) && json_integer_value(n) >= 0)
            c.num_records = (int64_t)json_integer_value(n);
        c.min = json_object_get(j, "minValues");
        c.max = json_object_get(j, "maxValues");
        c.nulls = json_object_get(j, "nullCount");
    }
    expr_file_stats fs = {c.num_records, column_stats, &c};
    bool r = expr_may_match(p->e->root, &fs);
    json_decref(j);
    return r;
}

int dtab_pred_file(const dtab_pred *p, const dlog_live_file *lf, dtab_verdict *out)
{
    *out = DTAB_FILE_READ;
    dvec *prow = NULL;
    if (p->prune) {
        int rc = partition_row(p, lf, &prow);
        bool keep = true;
        int prc = rc ? 0 : expr_partition_may_match(p->e->root, prow, p->partition, &keep);
        if (prc == DELTA_ENOMEM) {
            rc = prc;
        } else if (prc) {
            /* an evaluation error (overflow) on the partition values decides
             * nothing here: the rows report it if they reach it */
            delta_error_clear();
            keep = true;
        }
        if (rc) {
            dvec_unref(prow);
            return delta_error_prefix(rc, "%s: ", lf->add.path);
        }
        if (!keep) {
            dvec_unref(prow);
            *out = DTAB_FILE_PRUNED;
            return 0;
        }
    }
    if (!dtab_pred_stats_may_match(p, lf->add.stats, prow))
        *out = DTAB_FILE_SKIPPED;
    dvec_unref(prow);
    return 0;
}

int dtab_partition_pred_true(const expr_node *pred, const dlog_snapshot *snap,
                             const bool *partition, const dlog_live_file *lf, bool *out)
{
    *out = false;
    const dtype *st = snap->schema;
    const char **vals = delta_calloc(st->num_fields ? st->num_fields : 1, sizeof *vals);
    if (!vals)
        return DELTA_ENOMEM;
    for (uint32_t i = 0; i < st->num_fields; i++) {
        if (!partition[i])
            continue;
        /* the partitionValues key as the metadata spells the column */
        for (size_t p = 0; p < snap->metadata.num_partition_columns; p++) {
            const char *pc = snap->metadata.partition_columns[p];
            if (dstr_ieq(pc, st->fields[i].name))
                vals[i] = dlog_map_get(&lf->add.partition_values, pc, NULL);
        }
        if (vals[i] && !*vals[i])
            vals[i] = NULL;
    }
    dvec *row = NULL;
    int rc = expr_partition_row(st, vals, partition, &row);
    delta_free(vals);
    if (rc)
        return rc;
    const dvec *bs[1] = {row};
    expr_input in = {bs, 1, 1};
    uint32_t sel[1];
    int64_t ns = 0;
    rc = expr_select(pred, &in, NULL, 0, sel, &ns);
    dvec_unref(row);
    *out = !rc && ns == 1;
    return rc;
}
