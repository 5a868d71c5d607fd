/*
 * Delta schema JSON <-> dtype (see schema.h for the mapping).
 *
 * Parsing walks the jansson tree recursively, carrying the dotted path of
 * the field being read ("a.b.element") so every refusal names the column.
 * Serialization builds a jansson tree and dumps it compactly, with the
 * keys in Spark's order (name, type, nullable, metadata).
 */
#include "log/schema.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/str.h"

#define CM_ID_KEY "delta.columnMapping.id"
#define CM_PHYS_KEY "delta.columnMapping.physicalName"

static int parse_type(dtype **out, const json_t *t, dbuf *path);

static int bad(const dbuf *path, const char *what)
{
    return delta_error_set(DELTA_ECORRUPT, "schema: field '%s': %s",
                           path->len ? dbuf_cstr(path) : "<root>", what);
}

/* "decimal(p,s)" with optional spaces; "decimal" alone is (10,0). */
static int parse_decimal(dtype **out, const char *s, const dbuf *path)
{
    unsigned p = 10, sc = 0;
    const char *q = s + strlen("decimal");
    if (*q) {
        char *end;
        while (*q == ' ')
            q++;
        if (*q++ != '(')
            goto fail;
        long a = strtol(q, &end, 10);
        if (end == q)
            goto fail;
        q = end;
        while (*q == ' ')
            q++;
        if (*q++ != ',')
            goto fail;
        long b = strtol(q, &end, 10);
        if (end == q)
            goto fail;
        q = end;
        while (*q == ' ')
            q++;
        if (*q++ != ')' || *q)
            goto fail;
        if (a < 1 || a > 38 || b < 0 || b > a)
            return delta_error_set(DELTA_EUNSUPPORTED,
                                   "schema: field '%s': decimal(%ld,%ld) out of range "
                                   "(precision 1..38, scale 0..precision)",
                                   dbuf_cstr(path), a, b);
        p = (unsigned)a;
        sc = (unsigned)b;
    }
    *out = dtype_new_decimal(p, sc);
    return *out ? 0 : delta_error_last_code();
fail:
    return delta_error_set(DELTA_ECORRUPT, "schema: field '%s': malformed type '%s'",
                           dbuf_cstr(path), s);
}

static int parse_primitive(dtype **out, const char *s, const dbuf *path)
{
    static const struct {
        const char *name;
        dtype_id id;
    } prims[] = {
        {"string", DT_STRING}, {"long", DT_INT64},     {"integer", DT_INT32},
        {"short", DT_INT16},   {"byte", DT_INT8},      {"float", DT_FLOAT32},
        {"double", DT_FLOAT64}, {"boolean", DT_BOOL},  {"binary", DT_BINARY},
        {"date", DT_DATE32},   {"void", DT_NULL},
    };
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
        if (strcmp(s, prims[i].name) == 0) {
            *out = dtype_new(prims[i].id);
            return *out ? 0 : delta_error_last_code();
        }
    }
    if (strcmp(s, "timestamp") == 0 || strcmp(s, "timestamp_ntz") == 0) {
        *out = dtype_new_timestamp(DT_UNIT_MICRO, s[9] == 0);
        return *out ? 0 : delta_error_last_code();
    }
    if (dstr_starts_with(s, "decimal"))
        return parse_decimal(out, s, path);
    return delta_error_set(DELTA_EUNSUPPORTED, "schema: field '%s': unsupported type '%s'",
                           path->len ? dbuf_cstr(path) : "<root>", s);
}

static void path_push(dbuf *path, const char *name, size_t *mark)
{
    *mark = path->len;
    if (path->len)
        dbuf_putc(path, '.');
    dbuf_puts(path, name);
}

static void path_pop(dbuf *path, size_t mark)
{
    path->len = mark;
    if (path->data)
        path->data[mark] = 0;
}

/* Fills f from a struct field object. */
static int parse_field(dfield *f, const json_t *o, dbuf *path)
{
    memset(f, 0, sizeof *f);
    f->id = -1;
    if (!json_is_object(o))
        return bad(path, "a field must be a JSON object");
    json_t *name = json_object_get(o, "name");
    if (!json_is_string(name))
        return bad(path, "field without a string 'name'");
    size_t mark;
    path_push(path, json_string_value(name), &mark);
    if (path->err)
        return path->err;
    int rc = 0;
    json_t *nullable = json_object_get(o, "nullable");
    if (nullable && !json_is_boolean(nullable)) {
        rc = bad(path, "'nullable' is not a boolean");
        goto done;
    }
    json_t *meta = json_object_get(o, "metadata");
    if (meta && !json_is_null(meta) && !json_is_object(meta)) {
        rc = bad(path, "'metadata' is not an object");
        goto done;
    }
    json_t *type = json_object_get(o, "type");
    if (!type) {
        rc = bad(path, "field without 'type'");
        goto done;
    }
    dtype *t = NULL;
    if ((rc = parse_type(&t, type, path)))
        goto done;
    if ((rc = dfield_init(f, json_string_value(name), t, nullable ? json_is_true(nullable) : true)))
        goto done;
    f->id = -1;
    if (meta && json_is_object(meta) && json_object_size(meta) > 0) {
        json_t *id = json_object_get(meta, CM_ID_KEY);
        if (id) {
            if (!json_is_integer(id) || json_integer_value(id) < 0 ||
                json_integer_value(id) > INT32_MAX) {
                rc = bad(path, "'" CM_ID_KEY "' is not a 32-bit non-negative integer");
                goto done;
            }
            f->id = (int32_t)json_integer_value(id);
        }
        json_t *phys = json_object_get(meta, CM_PHYS_KEY);
        if (phys && !json_is_string(phys)) {
            rc = bad(path, "'" CM_PHYS_KEY "' is not a string");
            goto done;
        }
        dbuf text = DBUF_INIT;
        if ((rc = dlog_json_dump(meta, &text))) {
            dbuf_free(&text);
            goto done;
        }
        f->metadata = dbuf_detach(&text, NULL);
        if (!f->metadata)
            rc = DELTA_ENOMEM;
    }
done:
    if (rc && f->name)
        dfield_clear(f);
    path_pop(path, mark);
    return rc;
}

static int parse_struct(dtype **out, const json_t *t, dbuf *path)
{
    json_t *fields = json_object_get(t, "fields");
    if (!json_is_array(fields))
        return bad(path, "struct without a 'fields' array");
    size_t n = json_array_size(fields);
    dfield *fs = n ? delta_calloc(n, sizeof *fs) : NULL;
    if (n && !fs)
        return DELTA_ENOMEM;
    int rc = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if ((rc = parse_field(&fs[i], json_array_get(fields, i), path)))
            break;
        for (size_t j = 0; j < i; j++) {
            if (dstr_ieq(fs[j].name, fs[i].name)) {
                size_t mark;
                path_push(path, fs[i].name, &mark);
                rc = delta_error_set(DELTA_ECORRUPT,
                                     "schema: field '%s': duplicate column name (names are "
                                     "case-insensitive)",
                                     dbuf_cstr(path));
                path_pop(path, mark);
                i++;
                break;
            }
        }
        if (rc)
            break;
    }
    if (rc) {
        for (size_t j = 0; j < i && j < n; j++)
            dfield_clear(&fs[j]);
        delta_free(fs);
        return rc;
    }
    *out = dtype_new_struct(fs, (uint32_t)n);
    delta_free(fs);
    return *out ? 0 : delta_error_last_code();
}

static int parse_type(dtype **out, const json_t *t, dbuf *path)
{
    *out = NULL;
    if (json_is_string(t))
        return parse_primitive(out, json_string_value(t), path);
    if (!json_is_object(t))
        return bad(path, "type is neither a name nor an object");
    json_t *kind = json_object_get(t, "type");
    if (!json_is_string(kind))
        return bad(path, "type object without a string 'type'");
    const char *k = json_string_value(kind);
    if (strcmp(k, "struct") == 0)
        return parse_struct(out, t, path);
    if (strcmp(k, "array") == 0) {
        json_t *et = json_object_get(t, "elementType");
        json_t *cn = json_object_get(t, "containsNull");
        if (!et)
            return bad(path, "array without 'elementType'");
        if (cn && !json_is_boolean(cn))
            return bad(path, "'containsNull' is not a boolean");
        size_t mark;
        path_push(path, "element", &mark);
        dtype *e = NULL;
        int rc = parse_type(&e, et, path);
        path_pop(path, mark);
        if (rc)
            return rc;
        dfield ef;
        if ((rc = dfield_init(&ef, "element", e, cn ? json_is_true(cn) : true)))
            return rc;
        ef.id = -1;
        *out = dtype_new_list(ef);
        return *out ? 0 : delta_error_last_code();
    }
    if (strcmp(k, "map") == 0) {
        json_t *kt = json_object_get(t, "keyType");
        json_t *vt = json_object_get(t, "valueType");
        json_t *vcn = json_object_get(t, "valueContainsNull");
        if (!kt || !vt)
            return bad(path, "map without 'keyType' and 'valueType'");
        if (vcn && !json_is_boolean(vcn))
            return bad(path, "'valueContainsNull' is not a boolean");
        size_t mark;
        dtype *kd = NULL, *vd = NULL;
        path_push(path, "key", &mark);
        int rc = parse_type(&kd, kt, path);
        path_pop(path, mark);
        if (rc)
            return rc;
        path_push(path, "value", &mark);
        rc = parse_type(&vd, vt, path);
        path_pop(path, mark);
        if (rc) {
            dtype_unref(kd);
            return rc;
        }
        *out = dtype_new_map(kd, vd, vcn ? json_is_true(vcn) : true);
        return *out ? 0 : delta_error_last_code();
    }
    return parse_primitive(out, k, path);
}

int dlog_schema_parse(dtype **out, const char *json, size_t len)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return delta_error_set(DELTA_ECORRUPT, "schema: invalid JSON at column %d: %s",
                               jerr.column, jerr.text);
    dbuf path = DBUF_INIT;
    int rc;
    json_t *kind = json_is_object(root) ? json_object_get(root, "type") : NULL;
    if (!json_is_string(kind) || strcmp(json_string_value(kind), "struct") != 0)
        rc = delta_error_set(DELTA_ECORRUPT, "schema: the top level must be a struct");
    else
        rc = parse_struct(out, root, &path);
    dbuf_free(&path);
    json_decref(root);
    return rc;
}

/* ---- serialization ------------------------------------------------------- */

static json_t *type_json(const dtype *t, dbuf *path, int *rc);

static int unsupported(const dbuf *path, const dtype *t)
{
    dbuf name = DBUF_INIT;
    dtype_format(t, &name);
    int rc = delta_error_set(DELTA_EUNSUPPORTED, "schema: field '%s': type %s has no Delta name",
                             path->len ? dbuf_cstr(path) : "<root>", dbuf_cstr(&name));
    dbuf_free(&name);
    return rc;
}

static json_t *field_json(const dfield *f, dbuf *path, int *rc)
{
    size_t mark;
    path_push(path, f->name, &mark);
    json_t *o = json_object();
    json_t *type = o ? type_json(f->type, path, rc) : NULL;
    json_t *meta = NULL;
    if (type) {
        if (f->metadata) {
            json_error_t jerr;
            meta = json_loads(f->metadata, 0, &jerr);
            if (!json_is_object(meta)) {
                *rc = delta_error_set(DELTA_EINVAL, "schema: field '%s': metadata is not a "
                                                    "JSON object",
                                      dbuf_cstr(path));
                json_decref(meta);
                meta = NULL;
            }
        } else {
            meta = json_object();
        }
    }
    path_pop(path, mark);
    if (!o || !type || !meta || json_object_set_new(o, "name", json_string(f->name)) ||
        json_object_set_new(o, "type", type) ||
        json_object_set_new(o, "nullable", json_boolean(f->nullable)) ||
        json_object_set_new(o, "metadata", meta)) {
        if (!*rc)
            *rc = delta_error_oom();
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *type_json(const dtype *t, dbuf *path, int *rc)
{
    const char *name = NULL;
    switch (t->id) {
    case DT_STRING: name = "string"; break;
    case DT_INT64: name = "long"; break;
    case DT_INT32: name = "integer"; break;
    case DT_INT16: name = "short"; break;
    case DT_INT8: name = "byte"; break;
    case DT_FLOAT32: name = "float"; break;
    case DT_FLOAT64: name = "double"; break;
    case DT_BOOL: name = "boolean"; break;
    case DT_BINARY: name = "binary"; break;
    case DT_DATE32: name = "date"; break;
    case DT_NULL: name = "void"; break;
    case DT_TIMESTAMP:
        if (t->unit != DT_UNIT_MICRO) {
            *rc = unsupported(path, t);
            return NULL;
        }
        name = t->utc ? "timestamp" : "timestamp_ntz";
        break;
    case DT_DECIMAL: {
        char buf[32];
        snprintf(buf, sizeof buf, "decimal(%u,%u)", (unsigned)t->precision, (unsigned)t->scale);
        json_t *s = json_string(buf);
        if (!s)
            *rc = delta_error_oom();
        return s;
    }
    case DT_STRUCT: {
        json_t *o = json_object();
        json_t *fields = json_array();
        if (!o || !fields || json_object_set_new(o, "type", json_string("struct"))) {
            json_decref(o);
            json_decref(fields);
            *rc = delta_error_oom();
            return NULL;
        }
        for (uint32_t i = 0; i < t->num_fields; i++) {
            json_t *f = field_json(&t->fields[i], path, rc);
            if (!f || json_array_append_new(fields, f)) {
                if (!*rc)
                    *rc = delta_error_oom();
                json_decref(fields);
                json_decref(o);
                return NULL;
            }
        }
        if (json_object_set_new(o, "fields", fields)) {
            json_decref(o);
            *rc = delta_error_oom();
            return NULL;
        }
        return o;
    }
    case DT_LIST: {
        size_t mark;
        path_push(path, "element", &mark);
        json_t *e = type_json(t->fields[0].type, path, rc);
        path_pop(path, mark);
        json_t *o = e ? json_object() : NULL;
        if (!o || json_object_set_new(o, "type", json_string("array")) ||
            json_object_set_new(o, "elementType", e) ||
            json_object_set_new(o, "containsNull", json_boolean(t->fields[0].nullable))) {
            if (!o)
                json_decref(e);
            json_decref(o);
            if (!*rc)
                *rc = delta_error_oom();
            return NULL;
        }
        return o;
    }
    case DT_MAP: {
        const dtype *entries = t->fields[0].type;
        if (entries->id != DT_STRUCT || entries->num_fields != 2) {
            *rc = unsupported(path, t);
            return NULL;
        }
        size_t mark;
        path_push(path, "key", &mark);
        json_t *k = type_json(entries->fields[0].type, path, rc);
        path_pop(path, mark);
        path_push(path, "value", &mark);
        json_t *v = k ? type_json(entries->fields[1].type, path, rc) : NULL;
        path_pop(path, mark);
        json_t *o = v ? json_object() : NULL;
        if (!o || json_object_set_new(o, "type", json_string("map")) ||
            json_object_set_new(o, "keyType", k) || json_object_set_new(o, "valueType", v) ||
            json_object_set_new(o, "valueContainsNull",
                                json_boolean(entries->fields[1].nullable))) {
            if (!o) {
                json_decref(k);
                json_decref(v);
            }
            json_decref(o);
            if (!*rc)
                *rc = delta_error_oom();
            return NULL;
        }
        return o;
    }
    default:
        *rc = unsupported(path, t);
        return NULL;
    }
    json_t *s = json_string(name);
    if (!s)
        *rc = delta_error_oom();
    return s;
}

int dlog_schema_serialize(const dtype *schema, dbuf *out)
{
    if (!schema || schema->id != DT_STRUCT)
        return delta_error_set(DELTA_EINVAL, "schema: the top level must be a struct");
    dbuf path = DBUF_INIT;
    int rc = 0;
    json_t *root = type_json(schema, &path, &rc);
    dbuf_free(&path);
    if (!root)
        return rc ? rc : delta_error_oom();
    rc = dlog_json_dump(root, out);
    json_decref(root);
    return rc;
}

char *dlog_field_physical_name(const dfield *f)
{
    if (f->metadata) {
        json_t *meta = json_loads(f->metadata, 0, NULL);
        json_t *p = meta ? json_object_get(meta, CM_PHYS_KEY) : NULL;
        if (json_is_string(p)) {
            char *s = delta_strdup(json_string_value(p));
            json_decref(meta);
            return s;
        }
        json_decref(meta);
    }
    return delta_strdup(f->name);
}

int dlog_column_mapping_mode(const dlog_map *configuration, dlog_cm_mode *out)
{
    const char *m = dlog_map_get(configuration, "delta.columnMapping.mode", NULL);
    if (!m || dstr_ieq(m, "none"))
        *out = DLOG_CM_NONE;
    else if (dstr_ieq(m, "id"))
        *out = DLOG_CM_ID;
    else if (dstr_ieq(m, "name"))
        *out = DLOG_CM_NAME;
    else
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "table property delta.columnMapping.mode: unknown mode '%s'", m);
    return 0;
}
