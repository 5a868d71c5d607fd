/*
 * A minimal implementation of the columnar type constructors
 * (src/columnar/types.h) for the log tests, used only while the library
 * has no src/columnar/types.c: test files include it under
 *
 *     #if !__has_include("../../../src/columnar/types.c")
 *
 * so the real implementation replaces it as soon as it exists. It follows
 * the header's contract (reference counts, nested constructors taking the
 * fields' contents, NULL with the error recorded) for the functions the
 * log layer uses.
 */
#ifndef DELTA_TEST_TYPES_STUB_H
#define DELTA_TEST_TYPES_STUB_H

#include <string.h>

#include "columnar/types.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/str.h"

static dtype *stub_alloc(dtype_id id)
{
    dtype *t = delta_calloc(1, sizeof *t);
    if (t) {
        t->id = id;
        t->refcount = 1;
    }
    return t;
}

dtype *dtype_new(dtype_id id)
{
    if (id == DT_DECIMAL || id == DT_TIME32 || id == DT_TIME64 || id == DT_TIMESTAMP ||
        id == DT_FIXED_BINARY || id >= DT_STRUCT) {
        delta_error_set(DELTA_EINVAL, "dtype_new: type %d needs parameters", (int)id);
        return NULL;
    }
    return stub_alloc(id);
}

dtype *dtype_new_decimal(unsigned precision, unsigned scale)
{
    if (precision < 1 || precision > 38 || scale > precision) {
        delta_error_set(DELTA_EINVAL, "decimal(%u,%u) out of range", precision, scale);
        return NULL;
    }
    dtype *t = stub_alloc(DT_DECIMAL);
    if (t) {
        t->precision = (uint8_t)precision;
        t->scale = (uint8_t)scale;
    }
    return t;
}

dtype *dtype_new_timestamp(dtime_unit unit, bool utc)
{
    dtype *t = stub_alloc(DT_TIMESTAMP);
    if (t) {
        t->unit = unit;
        t->utc = utc;
    }
    return t;
}

void dtype_unref(dtype *t)
{
    if (!t || --t->refcount > 0)
        return;
    for (uint32_t i = 0; i < t->num_fields; i++)
        dfield_clear(&t->fields[i]);
    delta_free(t->fields);
    delta_free(t);
}

dtype *dtype_ref(const dtype *t)
{
    dtype *m = (dtype *)t;
    if (m)
        m->refcount++;
    return m;
}

void dfield_clear(dfield *f)
{
    delta_free(f->name);
    delta_free(f->metadata);
    dtype_unref(f->type);
    memset(f, 0, sizeof *f);
}

int dfield_init(dfield *f, const char *name, dtype *type, bool nullable)
{
    memset(f, 0, sizeof *f);
    f->id = -1;
    f->name = delta_strdup(name);
    if (!f->name) {
        dtype_unref(type);
        return DELTA_ENOMEM;
    }
    f->type = type;
    f->nullable = nullable;
    return 0;
}

static dtype *stub_nested(dtype_id id, dfield *fields, uint32_t n)
{
    dtype *t = stub_alloc(id);
    dfield *copy = n ? delta_calloc(n, sizeof *copy) : NULL;
    bool bad_type = false;
    for (uint32_t i = 0; i < n; i++)
        if (!fields[i].type)
            bad_type = true;
    if (!t || (n && !copy) || bad_type) {
        for (uint32_t i = 0; i < n; i++)
            dfield_clear(&fields[i]);
        delta_free(copy);
        delta_free(t);
        if (bad_type)
            delta_error_set(DELTA_EINVAL, "field without a type");
        return NULL;
    }
    memcpy(copy, fields, n * sizeof *copy);
    t->fields = copy;
    t->num_fields = n;
    return t;
}

dtype *dtype_new_struct(dfield *fields, uint32_t num_fields)
{
    return stub_nested(DT_STRUCT, fields, num_fields);
}

dtype *dtype_new_list(dfield element)
{
    return stub_nested(DT_LIST, &element, 1);
}

dtype *dtype_new_map(dtype *key, dtype *value, bool value_nullable)
{
    dfield kv[2];
    int rc = dfield_init(&kv[0], "key", key, false);
    if (rc) {
        dtype_unref(value);
        return NULL;
    }
    if ((rc = dfield_init(&kv[1], "value", value, value_nullable))) {
        dfield_clear(&kv[0]);
        return NULL;
    }
    dtype *entries = stub_nested(DT_STRUCT, kv, 2);
    if (!entries)
        return NULL;
    dfield e;
    if (dfield_init(&e, "entries", entries, false))
        return NULL;
    return stub_nested(DT_MAP, &e, 1);
}

int dtype_field_index(const dtype *st, const char *name, bool ci)
{
    int found = -1;
    for (uint32_t i = 0; i < st->num_fields; i++) {
        if (strcmp(st->fields[i].name, name) == 0)
            return (int)i;
        if (ci && dstr_ieq(st->fields[i].name, name))
            found = found == -1 ? (int)i : -2;
    }
    return found;
}

void dtype_format(const dtype *t, dbuf *out)
{
    static const char *const names[] = {
        [DT_NULL] = "void",    [DT_BOOL] = "boolean",   [DT_INT8] = "tinyint",
        [DT_INT16] = "smallint", [DT_INT32] = "int",    [DT_INT64] = "bigint",
        [DT_UINT8] = "utinyint", [DT_UINT16] = "usmallint", [DT_UINT32] = "uint",
        [DT_UINT64] = "ubigint", [DT_FLOAT16] = "half", [DT_FLOAT32] = "float",
        [DT_FLOAT64] = "double", [DT_DATE32] = "date",  [DT_STRING] = "string",
        [DT_BINARY] = "binary",
    };
    switch (t->id) {
    case DT_DECIMAL: dbuf_printf(out, "decimal(%u,%u)", t->precision, t->scale); return;
    case DT_TIMESTAMP:
        dbuf_puts(out, t->utc ? "timestamp" : "timestamp_ntz");
        if (t->unit != DT_UNIT_MICRO)
            dbuf_puts(out, "(other unit)");
        return;
    case DT_STRUCT:
        dbuf_puts(out, "struct<");
        for (uint32_t i = 0; i < t->num_fields; i++) {
            dbuf_printf(out, "%s%s:", i ? "," : "", t->fields[i].name);
            dtype_format(t->fields[i].type, out);
        }
        dbuf_putc(out, '>');
        return;
    case DT_LIST:
        dbuf_puts(out, "array<");
        dtype_format(t->fields[0].type, out);
        dbuf_putc(out, '>');
        return;
    case DT_MAP:
        dbuf_puts(out, "map<");
        dtype_format(t->fields[0].type->fields[0].type, out);
        dbuf_putc(out, ',');
        dtype_format(t->fields[0].type->fields[1].type, out);
        dbuf_putc(out, '>');
        return;
    default:
        if ((size_t)t->id < sizeof names / sizeof names[0] && names[t->id])
            dbuf_puts(out, names[t->id]);
        else
            dbuf_printf(out, "type%d", (int)t->id);
    }
}

#endif
