/*
 * Parquet schema <-> dtype mapping and the level plan shared by record
 * assembly and shredding (see logical.h for the mapping tables and the
 * meaning of the levels).
 *
 * Reading walks the pq_schema tree (schema.h) once, recognising LIST and
 * MAP shapes, and builds the dtype bottom-up (children first, since the
 * nested dtype constructors take finished children). Writing walks the
 * dtype and appends SchemaElements depth-first; the level counters are
 * carried down the recursion, so plan and elements always agree.
 */
#include "parquet/logical.h"

#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"

/* ===================================================================== */
/* Plan helpers                                                           */
/* ===================================================================== */

static void node_clear(pq_node *n)
{
    for (uint32_t i = 0; i < n->num_children; i++)
        node_clear(&n->children[i]);
    delta_free(n->children);
    n->children = NULL;
    n->num_children = 0;
}

void pq_plan_free(pq_plan *p)
{
    if (!p)
        return;
    node_clear(&p->root);
    delta_free(p->leaves);
    dtype_unref(p->schema);
    memset(p, 0, sizeof(*p));
}

static int node_alloc_children(pq_node *n, uint32_t count)
{
    n->children = count ? delta_calloc(count, sizeof(pq_node)) : NULL;
    if (count && !n->children)
        return DELTA_ENOMEM;
    n->num_children = count;
    return 0;
}

/* Numbers the leaves depth-first and collects them into plan->leaves. */
static void count_leaves(pq_node *n, uint32_t *next, pq_node **leaves)
{
    n->first_leaf = *next;
    if (n->kind == PQ_NODE_LEAF) {
        if (leaves)
            leaves[*next] = n;
        (*next)++;
    } else {
        for (uint32_t i = 0; i < n->num_children; i++)
            count_leaves(&n->children[i], next, leaves);
    }
    n->num_leaves = *next - n->first_leaf;
}

static int plan_finish(pq_plan *p)
{
    uint32_t n = 0;
    count_leaves(&p->root, &n, NULL);
    p->num_leaves = n;
    p->leaves = delta_calloc(n ? n : 1, sizeof(pq_node *));
    if (!p->leaves)
        return DELTA_ENOMEM;
    n = 0;
    count_leaves(&p->root, &n, p->leaves);
    return 0;
}

/* ===================================================================== */
/* Reading: primitive types                                               */
/* ===================================================================== */

static bool known_logical(int32_t k)
{
    switch (k) {
    case PQ_LT_STRING: case PQ_LT_MAP: case PQ_LT_LIST: case PQ_LT_ENUM: case PQ_LT_DECIMAL:
    case PQ_LT_DATE: case PQ_LT_TIME: case PQ_LT_TIMESTAMP: case PQ_LT_INTEGER:
    case PQ_LT_UNKNOWN: case PQ_LT_JSON: case PQ_LT_BSON: case PQ_LT_UUID: case PQ_LT_FLOAT16:
        return true;
    default:
        return false;
    }
}

/* The effective logical type of an element: its LogicalType when this code
 * knows it, else the equivalent of its ConvertedType, else none. */
static pq_logical_type effective_logical(const pq_schema_element *e)
{
    pq_logical_type lt;
    memset(&lt, 0, sizeof(lt));
    if (e->has_logical_type && known_logical(e->logical_type.kind)) {
        lt = e->logical_type;
        if (lt.kind == PQ_LT_DECIMAL && lt.precision <= 0 && e->has_precision) {
            lt.precision = e->precision;
            lt.scale = e->has_scale ? e->scale : 0;
        }
        return lt;
    }
    if (!e->has_converted_type)
        return lt;
    switch (e->converted_type) {
    case PQ_CT_UTF8: lt.kind = PQ_LT_STRING; break;
    case PQ_CT_MAP: case PQ_CT_MAP_KEY_VALUE: lt.kind = PQ_LT_MAP; break;
    case PQ_CT_LIST: lt.kind = PQ_LT_LIST; break;
    case PQ_CT_ENUM: lt.kind = PQ_LT_ENUM; break;
    case PQ_CT_DECIMAL:
        lt.kind = PQ_LT_DECIMAL;
        lt.precision = e->has_precision ? e->precision : 0;
        lt.scale = e->has_scale ? e->scale : 0;
        break;
    case PQ_CT_DATE: lt.kind = PQ_LT_DATE; break;
    case PQ_CT_TIME_MILLIS: case PQ_CT_TIME_MICROS:
        lt.kind = PQ_LT_TIME;
        lt.is_adjusted_to_utc = true;
        lt.unit = e->converted_type == PQ_CT_TIME_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS;
        break;
    case PQ_CT_TIMESTAMP_MILLIS: case PQ_CT_TIMESTAMP_MICROS:
        lt.kind = PQ_LT_TIMESTAMP;
        lt.is_adjusted_to_utc = true;
        lt.unit = e->converted_type == PQ_CT_TIMESTAMP_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS;
        break;
    case PQ_CT_UINT_8: case PQ_CT_UINT_16: case PQ_CT_UINT_32: case PQ_CT_UINT_64:
    case PQ_CT_INT_8: case PQ_CT_INT_16: case PQ_CT_INT_32: case PQ_CT_INT_64: {
        static const int8_t widths[] = {8, 16, 32, 64};
        bool is_unsigned = e->converted_type <= PQ_CT_UINT_64;
        int idx = e->converted_type - (is_unsigned ? PQ_CT_UINT_8 : PQ_CT_INT_8);
        lt.kind = PQ_LT_INTEGER;
        lt.bit_width = widths[idx];
        lt.is_signed = !is_unsigned;
        break;
    }
    case PQ_CT_JSON: lt.kind = PQ_LT_JSON; break;
    case PQ_CT_BSON: lt.kind = PQ_LT_BSON; break;
    default: break; /* INTERVAL and unknown values: the physical type decides */
    }
    return lt;
}

static int bad_annot(const char *what, const char *annot, const pq_schema_element *e)
{
    return delta_error_set(DELTA_ECORRUPT, "Parquet column '%s': %s annotation on physical type %s",
                           what, annot, pq_type_name(e->type));
}

static dtype *with_annot(dtype *t, dtype_annot a)
{
    if (!t)
        return NULL;
    dtype *r = dtype_with_annot(t, a);
    dtype_unref(t);
    return r;
}

static dtime_unit unit_of(int32_t u)
{
    return u == PQ_UNIT_MILLIS ? DT_UNIT_MILLI : u == PQ_UNIT_MICROS ? DT_UNIT_MICRO : DT_UNIT_NANO;
}

int pq_primitive_dtype(const pq_schema_element *e, const pq_map_options *opts, const char *what,
                       dtype **out, pq_conv *conv)
{
    pq_logical_type lt = effective_logical(e);
    int32_t phys = e->type;
    dtype *t = NULL;
    *out = NULL;
    *conv = PQ_CONV_COPY;
    switch (lt.kind) {
    case PQ_LT_UNKNOWN:
        t = dtype_new(DT_NULL);
        *conv = PQ_CONV_NULL;
        break;
    case PQ_LT_STRING: case PQ_LT_ENUM: case PQ_LT_JSON: case PQ_LT_BSON:
        if (phys != PQ_TYPE_BYTE_ARRAY)
            return bad_annot(what, lt.kind == PQ_LT_STRING ? "STRING" : lt.kind == PQ_LT_ENUM ? "ENUM"
                                   : lt.kind == PQ_LT_JSON ? "JSON" : "BSON", e);
        *conv = PQ_CONV_BYTES;
        if (lt.kind == PQ_LT_BSON)
            t = with_annot(dtype_new(DT_BINARY), DT_ANNOT_BSON);
        else
            t = with_annot(dtype_new(DT_STRING), lt.kind == PQ_LT_ENUM ? DT_ANNOT_ENUM
                                                 : lt.kind == PQ_LT_JSON ? DT_ANNOT_JSON
                                                                         : DT_ANNOT_NONE);
        break;
    case PQ_LT_UUID:
        if (phys != PQ_TYPE_FIXED_LEN_BYTE_ARRAY || e->type_length != 16)
            return bad_annot(what, "UUID", e);
        t = with_annot(dtype_new_fixed_binary(16), DT_ANNOT_UUID);
        break;
    case PQ_LT_FLOAT16:
        if (phys != PQ_TYPE_FIXED_LEN_BYTE_ARRAY || e->type_length != 2)
            return bad_annot(what, "FLOAT16", e);
        t = dtype_new(DT_FLOAT16);
        break;
    case PQ_LT_DECIMAL:
        if (lt.precision > 38)
            return delta_error_set(DELTA_EUNSUPPORTED,
                                   "Parquet column '%s': DECIMAL precision %d exceeds 38", what,
                                   lt.precision);
        if (lt.precision < 1 || lt.scale < 0 || lt.scale > lt.precision)
            return delta_error_set(DELTA_ECORRUPT,
                                   "Parquet column '%s': invalid DECIMAL(%d,%d)", what,
                                   lt.precision, lt.scale);
        if (phys == PQ_TYPE_INT32)
            *conv = PQ_CONV_I32_DEC;
        else if (phys == PQ_TYPE_INT64)
            *conv = PQ_CONV_I64_DEC;
        else if (phys == PQ_TYPE_FIXED_LEN_BYTE_ARRAY || phys == PQ_TYPE_BYTE_ARRAY)
            *conv = PQ_CONV_BE_DEC;
        else
            return bad_annot(what, "DECIMAL", e);
        t = dtype_new_decimal((unsigned)lt.precision, (unsigned)lt.scale);
        break;
    case PQ_LT_DATE:
        if (phys != PQ_TYPE_INT32)
            return bad_annot(what, "DATE", e);
        t = dtype_new(DT_DATE32);
        break;
    case PQ_LT_TIME:
        if (!((lt.unit == PQ_UNIT_MILLIS && phys == PQ_TYPE_INT32) ||
              ((lt.unit == PQ_UNIT_MICROS || lt.unit == PQ_UNIT_NANOS) && phys == PQ_TYPE_INT64)))
            return bad_annot(what, "TIME", e);
        t = dtype_new_time(unit_of(lt.unit));
        break;
    case PQ_LT_TIMESTAMP:
        if (phys != PQ_TYPE_INT64 || lt.unit < PQ_UNIT_MILLIS || lt.unit > PQ_UNIT_NANOS)
            return bad_annot(what, "TIMESTAMP", e);
        t = dtype_new_timestamp(unit_of(lt.unit), lt.is_adjusted_to_utc);
        break;
    case PQ_LT_INTEGER: {
        int bw = lt.bit_width;
        bool ok = (bw == 64) ? phys == PQ_TYPE_INT64
                             : (bw == 8 || bw == 16 || bw == 32) && phys == PQ_TYPE_INT32;
        if (!ok)
            return bad_annot(what, "INTEGER", e);
        static const dtype_id sids[] = {DT_INT8, DT_INT16, DT_INT32, DT_INT64};
        static const dtype_id uids[] = {DT_UINT8, DT_UINT16, DT_UINT32, DT_UINT64};
        int idx = bw == 8 ? 0 : bw == 16 ? 1 : bw == 32 ? 2 : 3;
        t = dtype_new(lt.is_signed ? sids[idx] : uids[idx]);
        *conv = idx == 0 ? PQ_CONV_I32_TO_8 : idx == 1 ? PQ_CONV_I32_TO_16 : PQ_CONV_COPY;
        break;
    }
    case PQ_LT_MAP: case PQ_LT_LIST:
        return delta_error_set(DELTA_ECORRUPT, "Parquet column '%s': %s annotation on a primitive",
                               what, lt.kind == PQ_LT_MAP ? "MAP" : "LIST");
    default:
        switch (phys) {
        case PQ_TYPE_BOOLEAN: t = dtype_new(DT_BOOL); *conv = PQ_CONV_BOOL; break;
        case PQ_TYPE_INT32: t = dtype_new(DT_INT32); break;
        case PQ_TYPE_INT64: t = dtype_new(DT_INT64); break;
        case PQ_TYPE_INT96:
            t = with_annot(dtype_new_timestamp(DT_UNIT_NANO, true), DT_ANNOT_INT96);
            *conv = PQ_CONV_INT96;
            break;
        case PQ_TYPE_FLOAT: t = dtype_new(DT_FLOAT32); break;
        case PQ_TYPE_DOUBLE: t = dtype_new(DT_FLOAT64); break;
        case PQ_TYPE_BYTE_ARRAY:
            t = dtype_new(opts && opts->binary_as_string ? DT_STRING : DT_BINARY);
            *conv = PQ_CONV_BYTES;
            break;
        case PQ_TYPE_FIXED_LEN_BYTE_ARRAY:
            if (e->type_length < 1)
                return delta_error_set(DELTA_ECORRUPT,
                                       "Parquet column '%s': FIXED_LEN_BYTE_ARRAY length %d",
                                       what, e->type_length);
            t = dtype_new_fixed_binary(e->type_length);
            break;
        default:
            return delta_error_set(DELTA_ECORRUPT, "Parquet column '%s': unknown physical type %d",
                                   what, phys);
        }
    }
    if (!t)
        return delta_error_last_code() ? delta_error_last_code() : DELTA_ENOMEM;
    *out = t;
    return 0;
}

/* ===================================================================== */
/* Reading: the tree                                                      */
/* ===================================================================== */

/* Selection marks per Parquet node: 0 dropped, 1 on the path to a selected
 * node, 2 selected with everything below. */
enum { SEL_NONE = 0, SEL_PATH = 1, SEL_ALL = 2 };

typedef struct rctx {
    const pq_map_options *opts;
    const uint8_t *sel; /* NULL = everything */
    dbuf path;          /* dotted path of the node being mapped, for messages */
} rctx;

static const char *nname(const pq_schema_node *n)
{
    return n->elem->name.ptr ? n->elem->name.ptr : "";
}

static size_t nname_len(const pq_schema_node *n)
{
    return n->elem->name.ptr ? n->elem->name.len : 0;
}

static bool is_group_node(const pq_schema_node *n)
{
    return n->leaf_index < 0;
}

static int map_field(rctx *c, const pq_schema_node *n, bool as_required, bool whole, int16_t rep,
                     int16_t slot_def, pq_node *out, dtype **type);

static int err_or(int fallback)
{
    int code = delta_error_last_code();
    return code ? code : fallback;
}

static int make_list_type(dtype *elem, bool elem_nullable, dtype **type)
{
    dfield f;
    int rc = dfield_init(&f, "element", elem, elem_nullable);
    if (rc)
        return rc;
    *type = dtype_new_list(f);
    return *type ? 0 : err_or(DELTA_ENOMEM);
}

/* A repeated node r seen as a list of required elements that are r itself. */
static int map_repeated(rctx *c, const pq_schema_node *r, int16_t rep, int16_t slot_def,
                        pq_node *out, dtype **type)
{
    dtype *et = NULL;
    out->kind = PQ_NODE_LIST;
    out->nullable = false;
    out->rep = rep;
    out->slot_def = slot_def;
    out->def = (int16_t)(r->max_def - 1);
    out->elem_def = r->max_def;
    out->elem_rep = r->max_rep;
    int rc = node_alloc_children(out, 1);
    if (rc)
        return rc;
    rc = map_field(c, r, true, true, r->max_rep, r->max_def, &out->children[0], &et);
    if (rc)
        return rc;
    rc = make_list_type(et, false, type);
    if (rc)
        return rc;
    out->type = *type;
    return 0;
}

static int shape_err(rctx *c, const char *what)
{
    return delta_error_set(DELTA_ECORRUPT, "Parquet column '%s': %s", dbuf_cstr(&c->path), what);
}

static int map_list(rctx *c, const pq_schema_node *n, pq_node *out, dtype **type)
{
    if (n->num_children != 1 || n->children[0]->repetition != PQ_REP_REPEATED)
        return shape_err(c, "a LIST group must have exactly one repeated child");
    const pq_schema_node *r = n->children[0];
    const pq_schema_node *elem = NULL; /* NULL: r itself is the element */
    if (is_group_node(r) && r->num_children == 1) {
        size_t nl = nname_len(n), rl = nname_len(r);
        bool tuple = rl == nl + 6 && memcmp(nname(r), nname(n), nl) == 0 &&
                     memcmp(nname(r) + nl, "_tuple", 6) == 0;
        bool legacy = (rl == 5 && memcmp(nname(r), "array", 5) == 0) || tuple ||
                      r->children[0]->repetition == PQ_REP_REPEATED;
        if (!legacy)
            elem = r->children[0];
    }
    out->kind = PQ_NODE_LIST;
    out->elem_def = r->max_def;
    out->elem_rep = r->max_rep;
    int rc = node_alloc_children(out, 1);
    if (rc)
        return rc;
    dtype *et = NULL;
    size_t mark = c->path.len;
    dbuf_puts(&c->path, ".element");
    if (elem)
        rc = map_field(c, elem, false, true, r->max_rep, r->max_def, &out->children[0], &et);
    else
        rc = map_field(c, r, true, true, r->max_rep, r->max_def, &out->children[0], &et);
    c->path.len = mark;
    if (rc)
        return rc;
    rc = make_list_type(et, out->children[0].nullable, type);
    if (rc)
        return rc;
    out->type = *type;
    return 0;
}

static int map_map(rctx *c, const pq_schema_node *n, pq_node *out, dtype **type)
{
    if (n->num_children != 1 || n->children[0]->repetition != PQ_REP_REPEATED ||
        !is_group_node(n->children[0]))
        return shape_err(c, "a MAP group must have exactly one repeated group child");
    const pq_schema_node *kv = n->children[0];
    if (kv->num_children != 2)
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "Parquet column '%s': MAP key_value group with %u fields "
                               "(expected key and value)",
                               dbuf_cstr(&c->path), kv->num_children);
    if (kv->children[0]->repetition == PQ_REP_REPEATED)
        return shape_err(c, "repeated MAP key");
    out->kind = PQ_NODE_LIST;
    out->elem_def = kv->max_def;
    out->elem_rep = kv->max_rep;
    int rc = node_alloc_children(out, 1);
    if (rc)
        return rc;
    pq_node *ent = &out->children[0];
    ent->kind = PQ_NODE_STRUCT;
    ent->nullable = false;
    ent->rep = kv->max_rep;
    ent->slot_def = kv->max_def;
    ent->def = kv->max_def;
    rc = node_alloc_children(ent, 2);
    if (rc)
        return rc;
    dtype *kt = NULL, *vt = NULL;
    size_t mark = c->path.len;
    dbuf_puts(&c->path, ".key");
    rc = map_field(c, kv->children[0], false, true, kv->max_rep, kv->max_def, &ent->children[0],
                   &kt);
    c->path.len = mark;
    if (rc)
        return rc;
    dbuf_puts(&c->path, ".value");
    rc = map_field(c, kv->children[1], false, true, kv->max_rep, kv->max_def, &ent->children[1],
                   &vt);
    c->path.len = mark;
    if (rc) {
        dtype_unref(kt);
        return rc;
    }
    *type = dtype_new_map(kt, vt, ent->children[1].nullable);
    if (!*type)
        return err_or(DELTA_ENOMEM);
    out->type = *type;
    ent->type = (*type)->fields[0].type;
    ent->children[0].type = ent->type->fields[0].type;
    ent->children[1].type = ent->type->fields[1].type;
    return 0;
}

static int map_struct(rctx *c, const pq_schema_node *n, bool whole, pq_node *out, dtype **type)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < n->num_children; i++)
        if (whole || !c->sel || c->sel[n->children[i]->index] != SEL_NONE)
            count++;
    out->kind = PQ_NODE_STRUCT;
    int rc = node_alloc_children(out, count);
    if (rc)
        return rc;
    dfield *fields = delta_calloc(count ? count : 1, sizeof(dfield));
    if (!fields)
        return DELTA_ENOMEM;
    uint32_t k = 0;
    size_t mark = c->path.len;
    for (uint32_t i = 0; i < n->num_children && rc == 0; i++) {
        const pq_schema_node *ch = n->children[i];
        bool child_whole = whole || !c->sel || c->sel[ch->index] == SEL_ALL;
        if (!child_whole && c->sel[ch->index] == SEL_NONE)
            continue;
        if (n->parent)
            dbuf_putc(&c->path, '.');
        dbuf_append(&c->path, nname(ch), nname_len(ch));
        dtype *ct = NULL;
        rc = map_field(c, ch, false, child_whole, out->rep, out->slot_def, &out->children[k], &ct);
        c->path.len = mark;
        if (rc)
            break;
        char *name = delta_strndup(nname(ch), nname_len(ch));
        if (!name) {
            dtype_unref(ct);
            rc = DELTA_ENOMEM;
            break;
        }
        rc = dfield_init(&fields[k], name, ct, out->children[k].nullable);
        delta_free(name);
        if (rc)
            break;
        fields[k].id = ch->elem->has_field_id ? ch->elem->field_id : -1;
        k++;
    }
    if (rc) {
        for (uint32_t i = 0; i < k; i++)
            dfield_clear(&fields[i]);
        delta_free(fields);
        return rc;
    }
    *type = dtype_new_struct(fields, count);
    delta_free(fields);
    if (!*type)
        return err_or(DELTA_ENOMEM);
    out->type = *type;
    /* Children's type pointers: the struct holds the same references. */
    for (uint32_t i = 0; i < count; i++)
        out->children[i].type = (*type)->fields[i].type;
    return 0;
}

static int map_field(rctx *c, const pq_schema_node *n, bool as_required, bool whole, int16_t rep,
                     int16_t slot_def, pq_node *out, dtype **type)
{
    *type = NULL;
    if (!as_required && n->repetition == PQ_REP_REPEATED)
        return map_repeated(c, n, rep, slot_def, out, type);
    out->rep = rep;
    out->slot_def = slot_def;
    out->def = n->max_def;
    out->nullable = !as_required && n->repetition == PQ_REP_OPTIONAL;
    out->name = nname(n);
    if (!is_group_node(n)) {
        const pq_schema_element *e = n->elem;
        out->kind = PQ_NODE_LEAF;
        out->max_def = n->max_def;
        out->max_rep = n->max_rep;
        out->column = n->leaf_index;
        out->physical = e->type;
        out->type_length = e->type == PQ_TYPE_INT96 ? 12 : e->has_type_length ? e->type_length : 0;
        int rc = pq_primitive_dtype(e, c->opts, dbuf_cstr(&c->path), type, &out->conv);
        if (rc)
            return rc;
        out->type = *type;
        return 0;
    }
    pq_logical_type lt = effective_logical(n->elem);
    if (lt.kind == PQ_LT_LIST)
        return map_list(c, n, out, type);
    if (lt.kind == PQ_LT_MAP)
        return map_map(c, n, out, type);
    return map_struct(c, n, whole, out, type);
}

/* Resolves one requested column into selection marks. */
static const pq_schema_node *find_child(const pq_schema_node *n, const char *name, size_t len)
{
    const pq_schema_node *ci = NULL;
    int ci_count = 0;
    for (uint32_t i = 0; i < n->num_children; i++) {
        const pq_schema_node *ch = n->children[i];
        if (nname_len(ch) != len)
            continue;
        if (memcmp(nname(ch), name, len) == 0)
            return ch;
        bool eq = true;
        for (size_t k = 0; k < len && eq; k++) {
            char a = nname(ch)[k], b = name[k];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (char)(b - 'A' + 'a');
            eq = a == b;
        }
        if (eq) {
            ci = ch;
            ci_count++;
        }
    }
    return ci_count == 1 ? ci : NULL;
}

static bool plain_struct(const pq_schema_node *n)
{
    if (!is_group_node(n) || n->repetition == PQ_REP_REPEATED)
        return false;
    pq_logical_type lt = effective_logical(n->elem);
    return lt.kind != PQ_LT_LIST && lt.kind != PQ_LT_MAP;
}

static int select_column(const pq_schema *s, uint8_t *sel, const char *col)
{
    const pq_schema_node *hit = find_child(s->root, col, strlen(col));
    if (!hit) {
        const pq_schema_node *cur = s->root;
        const char *p = col;
        for (;;) {
            const char *dot = strchr(p, '.');
            size_t len = dot ? (size_t)(dot - p) : strlen(p);
            if (cur != s->root && !plain_struct(cur))
                break;
            const pq_schema_node *ch = find_child(cur, p, len);
            if (!ch)
                break;
            cur = ch;
            if (!dot) {
                hit = cur;
                break;
            }
            p = dot + 1;
        }
    }
    if (!hit)
        return delta_error_set(DELTA_ENOTFOUND, "Parquet file has no column '%s'", col);
    sel[hit->index] = SEL_ALL;
    for (const pq_schema_node *p = hit->parent; p; p = p->parent)
        if (sel[p->index] == SEL_NONE)
            sel[p->index] = SEL_PATH;
    return 0;
}

int pq_plan_from_schema(pq_plan *out, const pq_schema *s, const pq_map_options *opts,
                        const char *const *columns, uint32_t n)
{
    memset(out, 0, sizeof(*out));
    rctx c = {opts, NULL, DBUF_INIT};
    uint8_t *sel = NULL;
    int rc = 0;
    if (columns) {
        sel = delta_calloc(s->num_nodes ? s->num_nodes : 1, 1);
        if (!sel)
            return DELTA_ENOMEM;
        for (uint32_t i = 0; i < n && rc == 0; i++)
            rc = select_column(s, sel, columns[i]);
        if (rc)
            goto done;
        c.sel = sel;
    }
    out->root.kind = PQ_NODE_STRUCT;
    out->root.column = -1;
    dtype *t = NULL;
    rc = map_struct(&c, s->root, !columns, &out->root, &t);
    if (rc)
        goto done;
    out->schema = t;
    out->root.type = t;
    if (c.path.err) {
        rc = c.path.err;
        goto done;
    }
    rc = plan_finish(out);
done:
    dbuf_free(&c.path);
    delta_free(sel);
    if (rc)
        pq_plan_free(out);
    return rc;
}

/* ===================================================================== */
/* Writing                                                                */
/* ===================================================================== */

typedef struct wctx {
    pq_schema_out *so;
    uint32_t cap;
    int32_t next_column;
    dbuf path;
} wctx;

static int welem(wctx *c, const char *name, uint32_t *idx)
{
    if (c->so->num_elems == c->cap) {
        uint32_t ncap = c->cap ? c->cap * 2 : 16;
        pq_schema_element *ne = delta_reallocarray(c->so->elems, ncap, sizeof(*ne));
        if (!ne)
            return DELTA_ENOMEM;
        c->so->elems = ne;
        c->cap = ncap;
    }
    pq_schema_element *e = &c->so->elems[c->so->num_elems];
    memset(e, 0, sizeof(*e));
    char *nm = darena_strdup(&c->so->arena, name);
    if (!nm)
        return DELTA_ENOMEM;
    e->name.ptr = nm;
    e->name.len = strlen(nm);
    *idx = c->so->num_elems++;
    return 0;
}

static void set_rep(pq_schema_element *e, int32_t r)
{
    e->repetition_type = r;
    e->has_repetition_type = true;
}

static void set_group(pq_schema_element *e, int32_t n)
{
    e->num_children = n;
    e->has_num_children = true;
}

static void set_type(pq_schema_element *e, int32_t t, int32_t len)
{
    e->type = t;
    e->has_type = true;
    if (t == PQ_TYPE_FIXED_LEN_BYTE_ARRAY) {
        e->type_length = len;
        e->has_type_length = true;
    }
}

static void set_ct(pq_schema_element *e, int32_t ct)
{
    e->converted_type = ct;
    e->has_converted_type = true;
}

static void set_lt(pq_schema_element *e, int32_t kind)
{
    e->has_logical_type = true;
    e->logical_type.kind = kind;
}

static int32_t decimal_flba_len(unsigned precision)
{
    static const uint8_t max_prec[] = {0, 2, 4, 6, 9, 11, 14, 16, 18,
                                       21, 23, 26, 28, 31, 33, 35, 38};
    for (int32_t n = 1; n <= 16; n++)
        if (precision <= max_prec[n])
            return n;
    return 16;
}

static int unsupported(wctx *c, const dtype *t)
{
    dbuf b = DBUF_INIT;
    dtype_format(t, &b);
    int rc = delta_error_set(DELTA_EUNSUPPORTED, "column '%s': type %s cannot be written to Parquet",
                             dbuf_cstr(&c->path), dbuf_cstr(&b));
    dbuf_free(&b);
    return rc;
}

/* Fills a leaf element and plan node for primitive type t. */
static int w_leaf(wctx *c, pq_schema_element *e, const dtype *t, pq_node *node)
{
    int32_t phys = 0, len = 0;
    pq_conv conv = PQ_CONV_COPY;
    switch (t->id) {
    case DT_NULL:
        phys = PQ_TYPE_INT32;
        set_lt(e, PQ_LT_UNKNOWN);
        conv = PQ_CONV_NULL;
        break;
    case DT_BOOL: phys = PQ_TYPE_BOOLEAN; conv = PQ_CONV_BOOL; break;
    case DT_INT8: case DT_INT16: case DT_UINT8: case DT_UINT16: case DT_UINT32: case DT_UINT64: {
        bool sgn = t->id == DT_INT8 || t->id == DT_INT16;
        int bw = (t->id == DT_INT8 || t->id == DT_UINT8) ? 8
                 : (t->id == DT_INT16 || t->id == DT_UINT16) ? 16 : t->id == DT_UINT32 ? 32 : 64;
        phys = bw == 64 ? PQ_TYPE_INT64 : PQ_TYPE_INT32;
        set_lt(e, PQ_LT_INTEGER);
        e->logical_type.bit_width = (int8_t)bw;
        e->logical_type.is_signed = sgn;
        static const int32_t ucts[] = {PQ_CT_UINT_8, PQ_CT_UINT_16, PQ_CT_UINT_32, PQ_CT_UINT_64};
        static const int32_t scts[] = {PQ_CT_INT_8, PQ_CT_INT_16, PQ_CT_INT_32, PQ_CT_INT_64};
        int idx = bw == 8 ? 0 : bw == 16 ? 1 : bw == 32 ? 2 : 3;
        set_ct(e, sgn ? scts[idx] : ucts[idx]);
        conv = idx == 0 ? PQ_CONV_I32_TO_8 : idx == 1 ? PQ_CONV_I32_TO_16 : PQ_CONV_COPY;
        break;
    }
    case DT_INT32: phys = PQ_TYPE_INT32; break;
    case DT_INT64: phys = PQ_TYPE_INT64; break;
    case DT_FLOAT16:
        phys = PQ_TYPE_FIXED_LEN_BYTE_ARRAY;
        len = 2;
        set_lt(e, PQ_LT_FLOAT16);
        break;
    case DT_FLOAT32: phys = PQ_TYPE_FLOAT; break;
    case DT_FLOAT64: phys = PQ_TYPE_DOUBLE; break;
    case DT_DECIMAL:
        if (t->precision <= 9) {
            phys = PQ_TYPE_INT32;
            conv = PQ_CONV_I32_DEC;
        } else if (t->precision <= 18) {
            phys = PQ_TYPE_INT64;
            conv = PQ_CONV_I64_DEC;
        } else {
            phys = PQ_TYPE_FIXED_LEN_BYTE_ARRAY;
            len = decimal_flba_len(t->precision);
            conv = PQ_CONV_BE_DEC;
        }
        set_lt(e, PQ_LT_DECIMAL);
        e->logical_type.precision = t->precision;
        e->logical_type.scale = t->scale;
        set_ct(e, PQ_CT_DECIMAL);
        e->precision = t->precision;
        e->scale = t->scale;
        e->has_precision = e->has_scale = true;
        break;
    case DT_DATE32:
        phys = PQ_TYPE_INT32;
        set_lt(e, PQ_LT_DATE);
        set_ct(e, PQ_CT_DATE);
        break;
    case DT_TIME32: case DT_TIME64:
        phys = t->id == DT_TIME32 ? PQ_TYPE_INT32 : PQ_TYPE_INT64;
        set_lt(e, PQ_LT_TIME);
        e->logical_type.is_adjusted_to_utc = true;
        if (t->id == DT_TIME32) {
            e->logical_type.unit = PQ_UNIT_MILLIS;
            set_ct(e, PQ_CT_TIME_MILLIS);
            if (t->unit == DT_UNIT_SECOND)
                conv = PQ_CONV_X1000;
        } else if (t->unit == DT_UNIT_MICRO) {
            e->logical_type.unit = PQ_UNIT_MICROS;
            set_ct(e, PQ_CT_TIME_MICROS);
        } else {
            e->logical_type.unit = PQ_UNIT_NANOS;
        }
        break;
    case DT_TIMESTAMP:
        if (t->annot == DT_ANNOT_INT96) {
            phys = PQ_TYPE_INT96;
            conv = PQ_CONV_INT96;
            break;
        }
        phys = PQ_TYPE_INT64;
        set_lt(e, PQ_LT_TIMESTAMP);
        e->logical_type.is_adjusted_to_utc = t->utc;
        switch (t->unit) {
        case DT_UNIT_SECOND: conv = PQ_CONV_X1000; /* fall through */
        case DT_UNIT_MILLI: e->logical_type.unit = PQ_UNIT_MILLIS; break;
        case DT_UNIT_MICRO: e->logical_type.unit = PQ_UNIT_MICROS; break;
        default: e->logical_type.unit = PQ_UNIT_NANOS; break;
        }
        if (t->utc && e->logical_type.unit != PQ_UNIT_NANOS)
            set_ct(e, e->logical_type.unit == PQ_UNIT_MILLIS ? PQ_CT_TIMESTAMP_MILLIS
                                                              : PQ_CT_TIMESTAMP_MICROS);
        break;
    case DT_STRING:
        phys = PQ_TYPE_BYTE_ARRAY;
        conv = PQ_CONV_BYTES;
        if (t->annot == DT_ANNOT_JSON) {
            set_lt(e, PQ_LT_JSON);
            set_ct(e, PQ_CT_JSON);
        } else if (t->annot == DT_ANNOT_ENUM) {
            set_lt(e, PQ_LT_ENUM);
            set_ct(e, PQ_CT_ENUM);
        } else {
            set_lt(e, PQ_LT_STRING);
            set_ct(e, PQ_CT_UTF8);
        }
        break;
    case DT_BINARY:
        phys = PQ_TYPE_BYTE_ARRAY;
        conv = PQ_CONV_BYTES;
        if (t->annot == DT_ANNOT_BSON) {
            set_lt(e, PQ_LT_BSON);
            set_ct(e, PQ_CT_BSON);
        }
        break;
    case DT_FIXED_BINARY:
        phys = PQ_TYPE_FIXED_LEN_BYTE_ARRAY;
        len = t->width;
        if (t->annot == DT_ANNOT_UUID && t->width == 16)
            set_lt(e, PQ_LT_UUID);
        break;
    default:
        return unsupported(c, t);
    }
    set_type(e, phys, len);
    node->kind = PQ_NODE_LEAF;
    node->physical = phys;
    node->type_length = phys == PQ_TYPE_INT96 ? 12 : len;
    node->conv = conv;
    node->column = c->next_column++;
    node->max_def = node->def;
    node->max_rep = node->rep;
    return 0;
}

/* Appends the elements of field (name, t, nullable, id) and fills node.
 * `parent_def` is the definition level at which the parent is present. */
static int w_field(wctx *c, const char *name, const dtype *t, bool nullable, int32_t id,
                   int16_t rep, int16_t slot_def, int16_t parent_def, pq_node *node)
{
    uint32_t idx;
    int rc = welem(c, name, &idx);
    if (rc)
        return rc;
    if (t->id == DT_NULL)
        nullable = true;
    if (parent_def >= INT16_MAX - 2 || rep >= INT16_MAX - 2)
        return delta_error_set(DELTA_EUNSUPPORTED, "column '%s': nesting too deep",
                               dbuf_cstr(&c->path));
    int16_t def = (int16_t)(parent_def + (nullable ? 1 : 0));
    set_rep(&c->so->elems[idx], nullable ? PQ_REP_OPTIONAL : PQ_REP_REQUIRED);
    if (id >= 0) {
        c->so->elems[idx].field_id = id;
        c->so->elems[idx].has_field_id = true;
    }
    node->type = t;
    node->nullable = nullable;
    node->rep = rep;
    node->slot_def = slot_def;
    node->def = def;
    node->column = -1;
    size_t mark = c->path.len;
    switch (t->id) {
    case DT_STRUCT:
        if (t->num_fields == 0)
            return delta_error_set(DELTA_EUNSUPPORTED,
                                   "column '%s': a struct without fields cannot be written to "
                                   "Parquet",
                                   dbuf_cstr(&c->path));
        set_group(&c->so->elems[idx], (int32_t)t->num_fields);
        node->kind = PQ_NODE_STRUCT;
        if ((rc = node_alloc_children(node, t->num_fields)))
            return rc;
        for (uint32_t i = 0; i < t->num_fields; i++) {
            const dfield *f = &t->fields[i];
            dbuf_putc(&c->path, '.');
            dbuf_puts(&c->path, f->name);
            rc = w_field(c, f->name, f->type, f->nullable, f->id, rep, slot_def, def,
                         &node->children[i]);
            c->path.len = mark;
            if (rc)
                return rc;
        }
        return 0;
    case DT_LIST: case DT_MAP: {
        bool is_map = t->id == DT_MAP;
        pq_schema_element *e = &c->so->elems[idx];
        set_group(e, 1);
        set_lt(e, is_map ? PQ_LT_MAP : PQ_LT_LIST);
        set_ct(e, is_map ? PQ_CT_MAP : PQ_CT_LIST);
        uint32_t ridx;
        if ((rc = welem(c, is_map ? "key_value" : "list", &ridx)))
            return rc;
        set_rep(&c->so->elems[ridx], PQ_REP_REPEATED);
        set_group(&c->so->elems[ridx], is_map ? 2 : 1);
        int16_t edef = (int16_t)(def + 1), erep = (int16_t)(rep + 1);
        node->kind = PQ_NODE_LIST;
        node->elem_def = edef;
        node->elem_rep = erep;
        if ((rc = node_alloc_children(node, 1)))
            return rc;
        const dfield *f = &t->fields[0];
        if (!is_map) {
            dbuf_puts(&c->path, ".element");
            rc = w_field(c, "element", f->type, f->nullable, f->id, erep, edef, edef,
                         &node->children[0]);
            c->path.len = mark;
            return rc;
        }
        pq_node *ent = &node->children[0];
        const dtype *et = f->type;
        ent->kind = PQ_NODE_STRUCT;
        ent->type = et;
        ent->nullable = false;
        ent->rep = erep;
        ent->slot_def = edef;
        ent->def = edef;
        ent->column = -1;
        if ((rc = node_alloc_children(ent, 2)))
            return rc;
        if (et->fields[0].type->id == DT_NULL)
            return delta_error_set(DELTA_EUNSUPPORTED, "column '%s': map keys of type null",
                                   dbuf_cstr(&c->path));
        dbuf_puts(&c->path, ".key");
        rc = w_field(c, "key", et->fields[0].type, false, et->fields[0].id, erep, edef, edef,
                     &ent->children[0]);
        c->path.len = mark;
        if (rc)
            return rc;
        dbuf_puts(&c->path, ".value");
        rc = w_field(c, "value", et->fields[1].type, et->fields[1].nullable, et->fields[1].id,
                     erep, edef, edef, &ent->children[1]);
        c->path.len = mark;
        return rc;
    }
    default:
        return w_leaf(c, &c->so->elems[idx], t, node);
    }
}

int pq_plan_from_dtype(pq_plan *out, pq_schema_out *so, const dtype *schema)
{
    memset(out, 0, sizeof(*out));
    memset(so, 0, sizeof(*so));
    if (schema->id != DT_STRUCT)
        return delta_error_set(DELTA_EINVAL, "Parquet schema must be a struct of columns");
    if (schema->num_fields == 0)
        return delta_error_set(DELTA_EUNSUPPORTED, "Parquet schema without columns");
    wctx c = {so, 0, 0, DBUF_INIT};
    uint32_t idx;
    int rc = welem(&c, "schema", &idx);
    if (rc)
        goto done;
    set_group(&so->elems[idx], (int32_t)schema->num_fields);
    out->schema = dtype_ref(schema);
    out->root.kind = PQ_NODE_STRUCT;
    out->root.type = schema;
    out->root.column = -1;
    if ((rc = node_alloc_children(&out->root, schema->num_fields)))
        goto done;
    for (uint32_t i = 0; i < schema->num_fields; i++) {
        const dfield *f = &schema->fields[i];
        dbuf_reset(&c.path);
        dbuf_puts(&c.path, f->name);
        rc = w_field(&c, f->name, f->type, f->nullable, f->id, 0, 0, 0, &out->root.children[i]);
        if (rc)
            goto done;
    }
    rc = c.path.err ? c.path.err : plan_finish(out);
done:
    dbuf_free(&c.path);
    if (rc) {
        pq_plan_free(out);
        pq_schema_out_free(so);
    }
    return rc;
}

void pq_schema_out_free(pq_schema_out *e)
{
    if (!e)
        return;
    delta_free(e->elems);
    darena_free(&e->arena);
    memset(e, 0, sizeof(*e));
}

/* ===================================================================== */
/* Round-trip type                                                        */
/* ===================================================================== */

static dtype *rt_field(const dfield *f, bool *nullable)
{
    *nullable = f->nullable || f->type->id == DT_NULL;
    return pq_dtype_after_roundtrip(f->type);
}

dtype *pq_dtype_after_roundtrip(const dtype *t)
{
    switch (t->id) {
    case DT_TIME32:
        return dtype_new_time(DT_UNIT_MILLI);
    case DT_TIMESTAMP:
        if (t->annot == DT_ANNOT_INT96)
            return with_annot(dtype_new_timestamp(DT_UNIT_NANO, true), DT_ANNOT_INT96);
        return dtype_new_timestamp(t->unit == DT_UNIT_SECOND ? DT_UNIT_MILLI : t->unit, t->utc);
    case DT_STRING:
        if (t->annot == DT_ANNOT_JSON || t->annot == DT_ANNOT_ENUM || t->annot == DT_ANNOT_NONE)
            return dtype_ref(t);
        return dtype_new(DT_STRING);
    case DT_BINARY:
        return t->annot == DT_ANNOT_BSON ? dtype_ref(t) : dtype_new(DT_BINARY);
    case DT_FIXED_BINARY:
        if (t->annot == DT_ANNOT_UUID && t->width == 16)
            return dtype_ref(t);
        return dtype_new_fixed_binary(t->width);
    case DT_STRUCT: {
        dfield *fs = delta_calloc(t->num_fields ? t->num_fields : 1, sizeof(dfield));
        if (!fs)
            return NULL;
        uint32_t k = 0;
        for (; k < t->num_fields; k++) {
            bool nl;
            dtype *ct = rt_field(&t->fields[k], &nl);
            if (!ct || dfield_init(&fs[k], t->fields[k].name, ct, nl))
                break;
            fs[k].id = t->fields[k].id;
        }
        dtype *r = NULL;
        if (k == t->num_fields)
            r = dtype_new_struct(fs, k);
        else
            for (uint32_t i = 0; i < k; i++)
                dfield_clear(&fs[i]);
        delta_free(fs);
        return r;
    }
    case DT_LIST: {
        bool nl;
        dtype *et = rt_field(&t->fields[0], &nl);
        dtype *r = NULL;
        if (et && make_list_type(et, nl, &r) == 0)
            return r;
        return NULL;
    }
    case DT_MAP: {
        const dtype *ent = t->fields[0].type;
        bool knl, vnl;
        dtype *kt = rt_field(&ent->fields[0], &knl);
        if (!kt)
            return NULL;
        dtype *vt = rt_field(&ent->fields[1], &vnl);
        if (!vt) {
            dtype_unref(kt);
            return NULL;
        }
        return dtype_new_map(kt, vt, vnl);
    }
    default:
        return dtype_with_annot(t, DT_ANNOT_NONE);
    }
}
