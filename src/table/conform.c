/*
 * Conforming file vectors to the table schema (see conform.h).
 */
#include "table/conform.h"

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/str.h"

int dtab_cmap_build(dtab_cmap *out, const dtype *type, const dfield *field, dlog_cm_mode cm)
{
    memset(out, 0, sizeof *out);
    out->type = type;
    out->id = -1;
    if (field) {
        out->name = delta_strdup(field->name);
        out->physical = cm == DLOG_CM_NONE ? delta_strdup(field->name)
                                           : dlog_field_physical_name(field);
        out->id = cm == DLOG_CM_NONE ? -1 : field->id;
        if (!out->name || !out->physical)
            return DELTA_ENOMEM;
    }
    uint32_t n = 0;
    if (type->id == DT_STRUCT)
        n = type->num_fields;
    else if (type->id == DT_LIST)
        n = 1;
    else if (type->id == DT_MAP)
        n = 2;
    if (!n)
        return 0;
    out->children = delta_calloc(n, sizeof *out->children);
    if (!out->children)
        return DELTA_ENOMEM;
    out->num_children = n;
    for (uint32_t i = 0; i < n; i++) {
        int rc;
        if (type->id == DT_STRUCT)
            rc = dtab_cmap_build(&out->children[i], type->fields[i].type, &type->fields[i], cm);
        else if (type->id == DT_LIST)
            rc = dtab_cmap_build(&out->children[i], type->fields[0].type, NULL, cm);
        else /* MAP: entries struct of key, value */
            rc = dtab_cmap_build(&out->children[i], type->fields[0].type->fields[i].type, NULL,
                                 cm);
        if (rc)
            return rc;
    }
    return 0;
}

void dtab_cmap_free(dtab_cmap *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->num_children; i++)
        dtab_cmap_free(&m->children[i]);
    delta_free(m->children);
    delta_free(m->name);
    delta_free(m->physical);
    memset(m, 0, sizeof *m);
}

int dtab_cmap_find(const dtab_cmap *m, const dtype *st, dlog_cm_mode cm)
{
    if (cm == DLOG_CM_ID && m->id >= 0)
        for (uint32_t i = 0; i < st->num_fields; i++)
            if (st->fields[i].id == m->id)
                return (int)i;
    int i = dtype_field_index(st, m->physical, false);
    if (i >= 0)
        return i;
    i = dtype_field_index(st, m->physical, true);
    return i >= 0 ? i : -1;
}

int dtab_nulls(const dtype *t, int64_t n, dvec **out)
{
    int rc = dvec_new(out, t);
    if (!rc)
        rc = dvec_append_nulls(*out, n);
    if (rc) {
        dvec_unref(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- leaf casts ---------------------------------------------------------- */

static int64_t get_int(const dvec *v, int64_t i)
{
    switch (v->type->id) {
    case DT_INT8: return ((const int8_t *)v->values)[i];
    case DT_INT16: return ((const int16_t *)v->values)[i];
    case DT_INT32:
    case DT_DATE32:
    case DT_TIME32: return ((const int32_t *)v->values)[i];
    case DT_UINT8: return ((const uint8_t *)v->values)[i];
    case DT_UINT16: return ((const uint16_t *)v->values)[i];
    case DT_UINT32: return ((const uint32_t *)v->values)[i];
    default: return ((const int64_t *)v->values)[i];
    }
}

static __int128 get_dec(const dvec *v, int64_t i)
{
    __int128 x;
    memcpy(&x, (const uint8_t *)v->values + 16 * i, 16);
    return x;
}

static bool is_int_like(dtype_id id)
{
    return (id >= DT_INT8 && id <= DT_UINT32);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t unit_per_second(dtime_unit u)
{
    switch (u) {
    case DT_UNIT_SECOND: return 1;
    case DT_UNIT_MILLI: return 1000;
    case DT_UNIT_MICRO: return 1000000;
    default: return 1000000000;
    }
}

static __int128 pow10_128(unsigned n)
{
    __int128 p = 1;
    while (n--)
        p *= 10;
    return p;
}

static int cast_error(const dvec *src, const dtype *to, const char *column)
{
    dbuf a = DBUF_INIT, b = DBUF_INIT;
    dtype_format(src->type, &a);
    dtype_format(to, &b);
    int rc = delta_error_set(DELTA_ETYPE,
                             "column '%s': the data file stores %s, the table schema says %s",
                             column, a.err ? "?" : dbuf_cstr(&a), b.err ? "?" : dbuf_cstr(&b));
    dbuf_free(&a);
    dbuf_free(&b);
    return rc;
}

static int cast_leaf(const dvec *src, const dtype *to, const char *column, dvec **out)
{
    const dtype *from = src->type;
    dtype_id f = from->id, t = to->id;
    bool ok = false;
    if (f == DT_NULL)
        return dtab_nulls(to, src->length, out);
    if (is_int_like(f) || f == DT_INT64)
        ok = (t >= DT_INT8 && t <= DT_INT64) || t == DT_FLOAT32 || t == DT_FLOAT64 ||
             t == DT_DECIMAL;
    else if (f == DT_FLOAT32 || f == DT_FLOAT64)
        ok = t == DT_FLOAT32 || t == DT_FLOAT64;
    else if (f == DT_DECIMAL)
        ok = t == DT_DECIMAL && to->scale >= from->scale;
    else if (f == DT_TIMESTAMP)
        ok = t == DT_TIMESTAMP;
    else if (f == DT_DATE32)
        ok = t == DT_TIMESTAMP || t == DT_DATE32;
    else if (f == DT_STRING || f == DT_BINARY || f == DT_FIXED_BINARY)
        ok = t == DT_STRING || t == DT_BINARY;
    if (!ok)
        return cast_error(src, to, column);

    dvec *v;
    int rc = dvec_new(&v, to);
    if (rc)
        return rc;
    if ((rc = dvec_reserve(v, src->length)))
        goto fail;
    for (int64_t i = 0; i < src->length && !rc; i++) {
        if (!dvec_is_valid(src, i)) {
            rc = dvec_append_null(v);
            continue;
        }
        if (is_int_like(f) || f == DT_INT64 || f == DT_DATE32) {
            int64_t x = get_int(src, i);
            if (t == DT_FLOAT32 || t == DT_FLOAT64) {
                rc = dvec_append_double(v, (double)x);
            } else if (t == DT_DECIMAL) {
                __int128 d = (__int128)x * pow10_128(to->scale);
                rc = dvec_append_fixed(v, &d);
            } else if (t == DT_TIMESTAMP) { /* date -> timestamp_ntz at midnight */
                rc = dvec_append_int(v, x * 86400 * unit_per_second(to->unit));
            } else {
                rc = dvec_append_int(v, x);
            }
        } else if (f == DT_FLOAT32 || f == DT_FLOAT64) {
            double x = f == DT_FLOAT32 ? ((const float *)src->values)[i] : dvec_f64(src)[i];
            rc = dvec_append_double(v, x);
        } else if (f == DT_DECIMAL) {
            __int128 d = get_dec(src, i) * pow10_128(to->scale - from->scale);
            rc = dvec_append_fixed(v, &d);
        } else if (f == DT_TIMESTAMP) {
            int64_t x = dvec_i64(src)[i];
            int64_t fu = unit_per_second(from->unit), tu = unit_per_second(to->unit);
            x = fu >= tu ? floor_div(x, fu / tu) : x * (tu / fu);
            rc = dvec_append_int(v, x);
        } else if (f == DT_FIXED_BINARY) {
            rc = dvec_append_bytes(v, (const uint8_t *)src->values + (size_t)from->width * i,
                                   (size_t)from->width);
        } else {
            size_t n;
            const uint8_t *p = dvec_bytes(src, i, &n);
            rc = dvec_append_bytes(v, p, n);
        }
    }
    if (rc)
        goto fail;
    *out = v;
    return 0;
fail:
    dvec_unref(v);
    return rc == DELTA_ERANGE ? delta_error_prefix(rc, "column '%s': ", column) : rc;
}

/* ---- nested -------------------------------------------------------------- */

static int copy_validity(dvec *v, const dvec *src)
{
    v->length = src->length;
    v->null_count = src->null_count;
    v->cap = src->length;
    if (!src->validity)
        return 0;
    size_t bytes = (size_t)(src->length + 7) / 8;
    v->validity = delta_malloc(bytes ? bytes : 1);
    if (!v->validity)
        return DELTA_ENOMEM;
    memcpy(v->validity, src->validity, bytes);
    return 0;
}

static int copy_offsets(dvec *v, const dvec *src)
{
    size_t n = (size_t)src->length + 1;
    v->offsets = delta_malloc(n * sizeof(int32_t));
    if (!v->offsets)
        return DELTA_ENOMEM;
    if (src->offsets)
        memcpy(v->offsets, src->offsets, n * sizeof(int32_t));
    else
        memset(v->offsets, 0, n * sizeof(int32_t));
    return 0;
}

static void set_child(dvec *v, uint32_t i, dvec *child)
{
    dvec_unref(v->children[i]);
    v->children[i] = child;
}

int dtab_conform(const dvec *src, const dtab_cmap *m, dlog_cm_mode cm, const char *column,
                 dvec **out)
{
    *out = NULL;
    const dtype *to = m->type;
    if (!dtype_is_nested(to)) {
        if (dtype_equal(src->type, to)) {
            *out = dvec_ref((dvec *)src);
            return 0;
        }
        return cast_leaf(src, to, column, out);
    }
    if (src->type->id == DT_NULL)
        return dtab_nulls(to, src->length, out);
    if (src->type->id != to->id)
        return cast_error(src, to, column);
    dvec *v;
    int rc = dvec_new(&v, to);
    if (rc)
        return rc;
    if ((rc = copy_validity(v, src)))
        goto fail;
    if (to->id == DT_STRUCT) {
        for (uint32_t i = 0; i < m->num_children && !rc; i++) {
            const dtab_cmap *cm_i = &m->children[i];
            int k = dtab_cmap_find(cm_i, src->type, cm);
            dvec *child = NULL;
            if (k < 0) {
                rc = dtab_nulls(cm_i->type, src->length, &child);
            } else {
                dbuf path = DBUF_INIT;
                dbuf_printf(&path, "%s.%s", column, cm_i->name);
                rc = path.err ? path.err
                              : dtab_conform(src->children[k], cm_i, cm, dbuf_cstr(&path), &child);
                dbuf_free(&path);
            }
            if (!rc)
                set_child(v, i, child);
        }
    } else if (to->id == DT_LIST) {
        dvec *child = NULL;
        if (!(rc = copy_offsets(v, src)) &&
            !(rc = dtab_conform(src->children[0], &m->children[0], cm, column, &child)))
            set_child(v, 0, child);
    } else { /* MAP: conform the entries' key and value by position */
        const dvec *se = src->children[0];
        dvec *entries = v->children[0];
        if (!(rc = copy_offsets(v, src)) && !(rc = copy_validity(entries, se))) {
            for (uint32_t i = 0; i < 2 && !rc; i++) {
                dvec *child = NULL;
                if (!(rc = dtab_conform(se->children[i], &m->children[i], cm, column, &child)))
                    set_child(entries, i, child);
            }
        }
    }
    if (rc)
        goto fail;
    *out = v;
    return 0;
fail:
    dvec_unref(v);
    return rc;
}
