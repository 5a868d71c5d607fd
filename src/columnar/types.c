/*
 * Column types (types.h): construction, reference counting, equality,
 * field lookup and SQL-style names.
 *
 * Invariants: a dtype is never modified after its constructor returns, so
 * it may be shared between threads; the reference count is changed with
 * atomic operations for the same reason. Nested types own their fields'
 * names, metadata and one reference to each child type. Constructors check
 * their parameters (decimal precision and scale, time units, unique field
 * names, a map's key/value layout) so every type in the system is valid.
 */
#include "columnar/types.h"

#include "core/alloc.h"
#include "core/error.h"
#include "core/str.h"

#include <string.h>

static dtype *type_alloc(dtype_id id)
{
    dtype *t = delta_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->id = id;
    t->refcount = 1;
    return t;
}

dtype *dtype_new(dtype_id id)
{
    switch (id) {
    case DT_NULL:
    case DT_BOOL:
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64:
    case DT_UINT8:
    case DT_UINT16:
    case DT_UINT32:
    case DT_UINT64:
    case DT_FLOAT16:
    case DT_FLOAT32:
    case DT_FLOAT64:
    case DT_DATE32:
    case DT_STRING:
    case DT_BINARY: return type_alloc(id);
    default:
        delta_error_set(DELTA_EINVAL, "dtype_new: type id %d needs parameters", (int)id);
        return NULL;
    }
}

dtype *dtype_new_decimal(unsigned precision, unsigned scale)
{
    if (precision < 1 || precision > 38 || scale > precision) {
        delta_error_set(DELTA_EINVAL,
                        "invalid decimal(%u,%u): precision must be 1..38 and "
                        "scale 0..precision",
                        precision, scale);
        return NULL;
    }
    dtype *t = type_alloc(DT_DECIMAL);
    if (t) {
        t->precision = (uint8_t)precision;
        t->scale = (uint8_t)scale;
    }
    return t;
}

dtype *dtype_new_time(dtime_unit unit)
{
    if ((unsigned)unit > DT_UNIT_NANO) {
        delta_error_set(DELTA_EINVAL, "invalid time unit %d", (int)unit);
        return NULL;
    }
    dtype *t = type_alloc(unit <= DT_UNIT_MILLI ? DT_TIME32 : DT_TIME64);
    if (t)
        t->unit = unit;
    return t;
}

dtype *dtype_new_timestamp(dtime_unit unit, bool utc)
{
    if ((unsigned)unit > DT_UNIT_NANO) {
        delta_error_set(DELTA_EINVAL, "invalid timestamp unit %d", (int)unit);
        return NULL;
    }
    dtype *t = type_alloc(DT_TIMESTAMP);
    if (t) {
        t->unit = unit;
        t->utc = utc;
    }
    return t;
}

dtype *dtype_new_fixed_binary(int32_t width)
{
    if (width < 1) {
        delta_error_set(DELTA_EINVAL, "invalid fixed_binary width %d (must be >= 1)", (int)width);
        return NULL;
    }
    dtype *t = type_alloc(DT_FIXED_BINARY);
    if (t)
        t->width = width;
    return t;
}

static bool annot_fits(const dtype *t, dtype_annot a)
{
    switch (a) {
    case DT_ANNOT_NONE: return true;
    case DT_ANNOT_JSON:
    case DT_ANNOT_ENUM: return t->id == DT_STRING;
    case DT_ANNOT_BSON: return t->id == DT_BINARY;
    case DT_ANNOT_UUID: return t->id == DT_FIXED_BINARY && t->width == 16;
    case DT_ANNOT_INT96: return t->id == DT_TIMESTAMP && t->unit == DT_UNIT_NANO;
    }
    return false;
}

static int field_copy(dfield *dst, const dfield *src)
{
    memset(dst, 0, sizeof *dst);
    dst->name = delta_strdup(src->name ? src->name : "");
    if (!dst->name)
        return DELTA_ENOMEM;
    if (src->metadata) {
        dst->metadata = delta_strdup(src->metadata);
        if (!dst->metadata) {
            delta_free(dst->name);
            dst->name = NULL;
            return DELTA_ENOMEM;
        }
    }
    dst->type = dtype_ref(src->type);
    dst->nullable = src->nullable;
    dst->id = src->id;
    return 0;
}

dtype *dtype_with_annot(const dtype *t, dtype_annot annot)
{
    if (!annot_fits(t, annot)) {
        dbuf b = DBUF_INIT;
        dtype_format(t, &b);
        delta_error_set(DELTA_EINVAL, "annotation %d does not apply to type %s", (int)annot,
                        dbuf_cstr(&b));
        dbuf_free(&b);
        return NULL;
    }
    dtype *n = delta_malloc(sizeof *n);
    if (!n)
        return NULL;
    *n = *t;
    n->refcount = 1;
    n->annot = annot;
    n->fields = NULL;
    if (t->num_fields) {
        n->fields = delta_calloc(t->num_fields, sizeof *n->fields);
        if (!n->fields) {
            delta_free(n);
            return NULL;
        }
        for (uint32_t i = 0; i < t->num_fields; i++) {
            if (field_copy(&n->fields[i], &t->fields[i])) {
                n->num_fields = i;
                dtype_unref(n);
                return NULL;
            }
        }
    }
    return n;
}

int dfield_init(dfield *f, const char *name, dtype *type, bool nullable)
{
    memset(f, 0, sizeof *f);
    f->id = -1;
    f->name = delta_strdup(name ? name : "");
    if (!f->name) {
        dtype_unref(type);
        return DELTA_ENOMEM;
    }
    f->type = type;
    f->nullable = nullable;
    return 0;
}

void dfield_clear(dfield *f)
{
    if (!f)
        return;
    delta_free(f->name);
    delta_free(f->metadata);
    dtype_unref(f->type);
    f->name = NULL;
    f->metadata = NULL;
    f->type = NULL;
}

static void fields_clear(dfield *fields, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        dfield_clear(&fields[i]);
}

/* Moves the fields' contents into a new array owned by a new type. */
static dtype *nested_new(dtype_id id, dfield *fields, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!fields[i].type || !fields[i].name) {
            fields_clear(fields, n);
            delta_error_set(DELTA_EINVAL, "field %u of a nested type has no %s", i,
                            fields[i].type ? "name" : "type");
            return NULL;
        }
    }
    dtype *t = type_alloc(id);
    dfield *own = n ? delta_calloc(n, sizeof *own) : NULL;
    if (!t || (n && !own)) {
        delta_free(t);
        delta_free(own);
        fields_clear(fields, n);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        own[i] = fields[i];
        memset(&fields[i], 0, sizeof fields[i]);
        fields[i].id = -1;
    }
    t->fields = own;
    t->num_fields = n;
    return t;
}

dtype *dtype_new_struct(dfield *fields, uint32_t num_fields)
{
    for (uint32_t i = 0; i < num_fields; i++) {
        for (uint32_t j = 0; j < i; j++) {
            if (fields[i].name && fields[j].name && strcmp(fields[i].name, fields[j].name) == 0) {
                delta_error_set(DELTA_EINVAL, "struct has two fields named '%s'", fields[i].name);
                fields_clear(fields, num_fields);
                return NULL;
            }
        }
    }
    return nested_new(DT_STRUCT, fields, num_fields);
}

dtype *dtype_new_list(dfield element)
{
    return nested_new(DT_LIST, &element, 1);
}

dtype *dtype_new_map(dtype *key, dtype *value, bool value_nullable)
{
    dfield kv[2];
    memset(kv, 0, sizeof kv);
    if (!key || !value) {
        dtype_unref(key);
        dtype_unref(value);
        delta_error_set(DELTA_EINVAL, "map needs a key and a value type");
        return NULL;
    }
    int rc = dfield_init(&kv[0], "key", key, false);
    if (rc) {
        dtype_unref(value);
        return NULL;
    }
    rc = dfield_init(&kv[1], "value", value, value_nullable);
    if (rc) {
        dfield_clear(&kv[0]);
        return NULL;
    }
    dtype *entries = dtype_new_struct(kv, 2);
    if (!entries)
        return NULL;
    dfield e;
    if (dfield_init(&e, "entries", entries, false))
        return NULL;
    return nested_new(DT_MAP, &e, 1);
}

dtype *dtype_ref(const dtype *t)
{
    dtype *m = (dtype *)t;
    if (m)
        __atomic_fetch_add(&m->refcount, 1, __ATOMIC_RELAXED);
    return m;
}

void dtype_unref(dtype *t)
{
    if (!t)
        return;
    if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    fields_clear(t->fields, t->num_fields);
    delta_free(t->fields);
    delta_free(t);
}

bool dtype_equal(const dtype *a, const dtype *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->id != b->id || a->annot != b->annot)
        return false;
    switch (a->id) {
    case DT_DECIMAL: return a->precision == b->precision && a->scale == b->scale;
    case DT_TIME32:
    case DT_TIME64: return a->unit == b->unit;
    case DT_TIMESTAMP: return a->unit == b->unit && a->utc == b->utc;
    case DT_FIXED_BINARY: return a->width == b->width;
    case DT_STRUCT:
    case DT_LIST:
    case DT_MAP:
        if (a->num_fields != b->num_fields)
            return false;
        for (uint32_t i = 0; i < a->num_fields; i++) {
            const dfield *x = &a->fields[i], *y = &b->fields[i];
            if (x->nullable != y->nullable || strcmp(x->name, y->name) != 0 ||
                !dtype_equal(x->type, y->type))
                return false;
        }
        return true;
    default: return true;
    }
}

size_t dtype_byte_width(const dtype *t)
{
    switch (t->id) {
    case DT_INT8:
    case DT_UINT8: return 1;
    case DT_INT16:
    case DT_UINT16:
    case DT_FLOAT16: return 2;
    case DT_INT32:
    case DT_UINT32:
    case DT_FLOAT32:
    case DT_DATE32:
    case DT_TIME32: return 4;
    case DT_INT64:
    case DT_UINT64:
    case DT_FLOAT64:
    case DT_TIME64:
    case DT_TIMESTAMP: return 8;
    case DT_DECIMAL: return 16;
    case DT_FIXED_BINARY: return (size_t)t->width;
    default: return 0;
    }
}

bool dtype_is_nested(const dtype *t)
{
    return t->id == DT_STRUCT || t->id == DT_LIST || t->id == DT_MAP;
}

bool dtype_is_integer(const dtype *t)
{
    return t->id >= DT_INT8 && t->id <= DT_UINT64;
}

bool dtype_is_variable(const dtype *t)
{
    return t->id == DT_STRING || t->id == DT_BINARY;
}

int dtype_field_index(const dtype *st, const char *name, bool ci)
{
    if (!st || st->id != DT_STRUCT || !name)
        return -1;
    if (!ci) {
        for (uint32_t i = 0; i < st->num_fields; i++)
            if (strcmp(st->fields[i].name, name) == 0)
                return (int)i;
        return -1;
    }
    int found = -1;
    for (uint32_t i = 0; i < st->num_fields; i++) {
        if (dstr_ieq(st->fields[i].name, name)) {
            if (found >= 0)
                return -2;
            found = (int)i;
        }
    }
    return found;
}

static const char *unit_suffix(dtime_unit u)
{
    switch (u) {
    case DT_UNIT_SECOND: return "s";
    case DT_UNIT_MILLI: return "ms";
    case DT_UNIT_MICRO: return "us";
    case DT_UNIT_NANO: return "ns";
    }
    return "?";
}

/* Field names print bare when they are identifiers, else in backquotes
 * with embedded backquotes doubled (Spark's quoting). */
static void format_name(const char *name, dbuf *out)
{
    bool plain = name[0] != '\0' && !(name[0] >= '0' && name[0] <= '9');
    for (const char *p = name; *p && plain; p++) {
        char c = *p;
        plain =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
    if (plain) {
        dbuf_puts(out, name);
        return;
    }
    dbuf_putc(out, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`')
            dbuf_putc(out, '`');
        dbuf_putc(out, (uint8_t)*p);
    }
    dbuf_putc(out, '`');
}

void dtype_format(const dtype *t, dbuf *out)
{
    if (!t) {
        dbuf_puts(out, "?");
        return;
    }
    switch (t->annot) {
    case DT_ANNOT_JSON: dbuf_puts(out, "json"); return;
    case DT_ANNOT_ENUM: dbuf_puts(out, "enum"); return;
    case DT_ANNOT_BSON: dbuf_puts(out, "bson"); return;
    case DT_ANNOT_UUID: dbuf_puts(out, "uuid"); return;
    case DT_ANNOT_INT96: dbuf_puts(out, "timestamp(int96)"); return;
    case DT_ANNOT_NONE: break;
    }
    switch (t->id) {
    case DT_NULL: dbuf_puts(out, "void"); break;
    case DT_BOOL: dbuf_puts(out, "boolean"); break;
    case DT_INT8: dbuf_puts(out, "tinyint"); break;
    case DT_INT16: dbuf_puts(out, "smallint"); break;
    case DT_INT32: dbuf_puts(out, "int"); break;
    case DT_INT64: dbuf_puts(out, "bigint"); break;
    case DT_UINT8: dbuf_puts(out, "utinyint"); break;
    case DT_UINT16: dbuf_puts(out, "usmallint"); break;
    case DT_UINT32: dbuf_puts(out, "uint"); break;
    case DT_UINT64: dbuf_puts(out, "ubigint"); break;
    case DT_FLOAT16: dbuf_puts(out, "halffloat"); break;
    case DT_FLOAT32: dbuf_puts(out, "float"); break;
    case DT_FLOAT64: dbuf_puts(out, "double"); break;
    case DT_DECIMAL: dbuf_printf(out, "decimal(%u,%u)", t->precision, t->scale); break;
    case DT_DATE32: dbuf_puts(out, "date"); break;
    case DT_TIME32:
    case DT_TIME64: dbuf_printf(out, "time(%s)", unit_suffix(t->unit)); break;
    case DT_TIMESTAMP:
        dbuf_puts(out, t->utc ? "timestamp" : "timestamp_ntz");
        if (t->unit != DT_UNIT_MICRO)
            dbuf_printf(out, "(%s)", unit_suffix(t->unit));
        break;
    case DT_STRING: dbuf_puts(out, "string"); break;
    case DT_BINARY: dbuf_puts(out, "binary"); break;
    case DT_FIXED_BINARY: dbuf_printf(out, "binary(%d)", (int)t->width); break;
    case DT_STRUCT:
        dbuf_puts(out, "struct<");
        for (uint32_t i = 0; i < t->num_fields; i++) {
            if (i)
                dbuf_putc(out, ',');
            format_name(t->fields[i].name, out);
            dbuf_putc(out, ':');
            dtype_format(t->fields[i].type, out);
            if (!t->fields[i].nullable)
                dbuf_puts(out, " not null");
        }
        dbuf_putc(out, '>');
        break;
    case DT_LIST:
        dbuf_puts(out, "array<");
        dtype_format(t->fields[0].type, out);
        dbuf_putc(out, '>');
        break;
    case DT_MAP: {
        const dtype *e = t->fields[0].type;
        dbuf_puts(out, "map<");
        dtype_format(e->fields[0].type, out);
        dbuf_putc(out, ',');
        dtype_format(e->fields[1].type, out);
        dbuf_putc(out, '>');
        break;
    }
    }
}
