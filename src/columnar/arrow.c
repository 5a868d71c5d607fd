/*
 * Arrow C Data and Stream Interface export and import (arrow.h).
 *
 * Export: every ArrowSchema/ArrowArray node owns a private block holding
 * what its pointers point to (format string, name, metadata, buffer and
 * child pointer arrays) and, for arrays, one reference to the dvec it
 * describes, so a child moved out of its parent stays valid after the
 * parent is released, in any order.
 *
 * Import: the moved ArrowArray is kept in a reference-counted holder;
 * every imported dvec node borrows buffers from it and holds one
 * reference, released with the vector (vector.h's release/owner). Copies
 * made to normalise offsets (mid-byte bitmaps, offsets not starting at 0)
 * belong to the holder too.
 */
#include "columnar/arrow.h"

#include "columnar/bits.h"
#include "core/alloc.h"
#include "core/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stands in for buffers we do not allocate (empty vectors), since some
 * consumers refuse NULL data pointers. */
static const int64_t empty_buffer[2];

/* ---- schema export ----------------------------------------------------------- */

typedef struct schema_priv {
    char *format;
    char *name;
    char *metadata;
    struct ArrowSchema **child_ptrs;
    struct ArrowSchema *children;
    int64_t n_children;
} schema_priv;

static void schema_release(struct ArrowSchema *s)
{
    if (!s || !s->release)
        return;
    schema_priv *p = s->private_data;
    for (int64_t i = 0; i < p->n_children; i++)
        if (p->children[i].release)
            p->children[i].release(&p->children[i]);
    delta_free(p->format);
    delta_free(p->name);
    delta_free(p->metadata);
    delta_free(p->child_ptrs);
    delta_free(p->children);
    delta_free(p);
    s->release = NULL;
}

static const char *unit_char(dtime_unit u)
{
    switch (u) {
    case DT_UNIT_SECOND: return "s";
    case DT_UNIT_MILLI: return "m";
    case DT_UNIT_MICRO: return "u";
    case DT_UNIT_NANO: return "n";
    }
    return "u";
}

static void format_of(const dtype *t, dbuf *b)
{
    static const char simple[] = {
        [DT_NULL] = 'n',    [DT_BOOL] = 'b',   [DT_INT8] = 'c',    [DT_INT16] = 's',
        [DT_INT32] = 'i',   [DT_INT64] = 'l',  [DT_UINT8] = 'C',   [DT_UINT16] = 'S',
        [DT_UINT32] = 'I',  [DT_UINT64] = 'L', [DT_FLOAT16] = 'e', [DT_FLOAT32] = 'f',
        [DT_FLOAT64] = 'g', [DT_STRING] = 'u', [DT_BINARY] = 'z',
    };
    switch (t->id) {
    case DT_DECIMAL: dbuf_printf(b, "d:%u,%u", t->precision, t->scale); break;
    case DT_DATE32: dbuf_puts(b, "tdD"); break;
    case DT_TIME32:
    case DT_TIME64: dbuf_printf(b, "tt%s", unit_char(t->unit)); break;
    case DT_TIMESTAMP: dbuf_printf(b, "ts%s:%s", unit_char(t->unit), t->utc ? "UTC" : ""); break;
    case DT_FIXED_BINARY: dbuf_printf(b, "w:%d", (int)t->width); break;
    case DT_STRUCT: dbuf_puts(b, "+s"); break;
    case DT_LIST: dbuf_puts(b, "+l"); break;
    case DT_MAP: dbuf_puts(b, "+m"); break;
    default: dbuf_putc(b, (uint8_t)simple[t->id]); break;
    }
}

static void meta_put(dbuf *b, const char *s)
{
    int32_t n = (int32_t)strlen(s);
    dbuf_append(b, &n, 4);
    dbuf_append(b, s, (size_t)n);
}

/* Annotations without an Arrow extension type travel under this metadata
 * key, so a Parquet file read and written again through Arrow keeps them;
 * other consumers ignore it. */
#define ANNOT_KEY "libdelta:annotation"

static const char *annot_tag(dtype_annot a)
{
    switch (a) {
    case DT_ANNOT_ENUM: return "enum";
    case DT_ANNOT_BSON: return "bson";
    case DT_ANNOT_INT96: return "int96";
    default: return NULL;
    }
}

static int export_node(const dtype *t, const char *name, bool nullable, int32_t field_id,
                       struct ArrowSchema *out)
{
    memset(out, 0, sizeof *out);
    schema_priv *p = delta_calloc(1, sizeof *p);
    if (!p)
        return DELTA_ENOMEM;
    out->private_data = p;
    out->release = schema_release;
    dbuf fmt = DBUF_INIT, meta = DBUF_INIT;
    format_of(t, &fmt);
    p->format = dbuf_detach(&fmt, NULL);
    p->name = delta_strdup(name ? name : "");
    if (!p->format || !p->name)
        goto oom;
    const char *ext = t->annot == DT_ANNOT_UUID   ? "arrow.uuid"
                      : t->annot == DT_ANNOT_JSON ? "arrow.json"
                                                  : NULL;
    const char *tag = annot_tag(t->annot);
    int32_t entries = (ext ? 2 : 0) + (tag ? 1 : 0) + (field_id >= 0 ? 1 : 0);
    if (entries) {
        dbuf_append(&meta, &entries, 4);
        if (ext) {
            meta_put(&meta, "ARROW:extension:name");
            meta_put(&meta, ext);
            meta_put(&meta, "ARROW:extension:metadata");
            meta_put(&meta, "");
        }
        if (tag) {
            meta_put(&meta, ANNOT_KEY);
            meta_put(&meta, tag);
        }
        if (field_id >= 0) {
            char num[12];
            snprintf(num, sizeof num, "%" PRId32, field_id);
            meta_put(&meta, "PARQUET:field_id");
            meta_put(&meta, num);
        }
        if (!(p->metadata = dbuf_detach(&meta, NULL)))
            goto oom;
    }
    out->format = p->format;
    out->name = p->name;
    out->metadata = p->metadata;
    out->flags = nullable ? ARROW_FLAG_NULLABLE : 0;
    if (dtype_is_nested(t)) {
        int64_t n = t->num_fields;
        p->children = delta_calloc((size_t)(n ? n : 1), sizeof *p->children);
        p->child_ptrs = delta_calloc((size_t)(n ? n : 1), sizeof *p->child_ptrs);
        if (!p->children || !p->child_ptrs)
            goto oom;
        for (int64_t i = 0; i < n; i++) {
            const dfield *f = &t->fields[i];
            int rc = export_node(f->type, f->name, f->nullable, f->id, &p->children[i]);
            p->n_children = i + 1;
            if (rc)
                goto fail;
            p->child_ptrs[i] = &p->children[i];
        }
        out->n_children = n;
        out->children = p->child_ptrs;
    }
    return 0;
oom:
    dbuf_free(&fmt);
    dbuf_free(&meta);
    delta_error_oom();
fail:
    schema_release(out);
    memset(out, 0, sizeof *out);
    return DELTA_ENOMEM;
}

int dtype_export(const dtype *t, const char *name, bool nullable, struct ArrowSchema *out)
{
    return export_node(t, name, nullable, -1, out);
}

/* ---- schema import --------------------------------------------------------------- */

typedef struct meta_info {
    char ext[32];
    char tag[8];
    int32_t field_id;
} meta_info;

static int read_meta(const struct ArrowSchema *s, meta_info *mi)
{
    mi->ext[0] = '\0';
    mi->tag[0] = '\0';
    mi->field_id = -1;
    const char *m = s->metadata;
    if (!m)
        return 0;
    int32_t n;
    memcpy(&n, m, 4);
    m += 4;
    for (int32_t i = 0; i < n; i++) {
        int32_t kl, vl;
        memcpy(&kl, m, 4);
        const char *k = m + 4;
        memcpy(&vl, k + kl, 4);
        const char *v = k + kl + 4;
        if (kl < 0 || vl < 0)
            return delta_error_set(DELTA_ECORRUPT, "Arrow schema '%s': malformed metadata",
                                   s->name ? s->name : "");
        if (kl == 20 && memcmp(k, "ARROW:extension:name", 20) == 0 && (size_t)vl < sizeof mi->ext) {
            memcpy(mi->ext, v, (size_t)vl);
            mi->ext[vl] = '\0';
        } else if (kl == (int32_t)strlen(ANNOT_KEY) && memcmp(k, ANNOT_KEY, (size_t)kl) == 0 &&
                   (size_t)vl < sizeof mi->tag) {
            memcpy(mi->tag, v, (size_t)vl);
            mi->tag[vl] = '\0';
        } else if (kl == 16 && memcmp(k, "PARQUET:field_id", 16) == 0 && vl > 0 && vl < 12) {
            char num[12];
            memcpy(num, v, (size_t)vl);
            num[vl] = '\0';
            char *end;
            long id = strtol(num, &end, 10);
            if (*end == '\0' && id >= 0 && id <= INT32_MAX)
                mi->field_id = (int32_t)id;
        }
        m = v + vl;
    }
    return 0;
}

static int unsupported(const struct ArrowSchema *s, const char *why)
{
    return delta_error_set(DELTA_EUNSUPPORTED, "Arrow column '%s': %s format '%s' is not supported",
                           s->name ? s->name : "", why, s->format ? s->format : "(null)");
}

static dtime_unit unit_of(char c, bool *ok)
{
    *ok = true;
    switch (c) {
    case 's': return DT_UNIT_SECOND;
    case 'm': return DT_UNIT_MILLI;
    case 'u': return DT_UNIT_MICRO;
    case 'n': return DT_UNIT_NANO;
    }
    *ok = false;
    return DT_UNIT_MICRO;
}

static int check_children(const struct ArrowSchema *s, int64_t want)
{
    if (s->n_children != want || (want && !s->children))
        return delta_error_set(DELTA_ECORRUPT,
                               "Arrow column '%s' (format '%s') has %lld children, "
                               "expected %lld",
                               s->name ? s->name : "", s->format, (long long)s->n_children,
                               (long long)want);
    for (int64_t i = 0; i < want; i++)
        if (!s->children[i] || !s->children[i]->release)
            return delta_error_set(DELTA_ECORRUPT,
                                   "Arrow column '%s': child %lld is missing or "
                                   "released",
                                   s->name ? s->name : "", (long long)i);
    return 0;
}

static int import_type(const struct ArrowSchema *s, dtype **out)
{
    const char *f = s->format;
    *out = NULL;
    int rc;
    if (!f || !*f)
        return delta_error_set(DELTA_ECORRUPT, "Arrow column '%s' has no format",
                               s->name ? s->name : "");
    if (s->dictionary)
        return unsupported(s, "dictionary-encoded");
    dtype *t = NULL;
    if (f[1] == '\0') {
        static const struct {
            char c;
            dtype_id id;
        } simple[] = {
            {'n', DT_NULL},    {'b', DT_BOOL},   {'c', DT_INT8},    {'s', DT_INT16},
            {'i', DT_INT32},   {'l', DT_INT64},  {'C', DT_UINT8},   {'S', DT_UINT16},
            {'I', DT_UINT32},  {'L', DT_UINT64}, {'e', DT_FLOAT16}, {'f', DT_FLOAT32},
            {'g', DT_FLOAT64}, {'u', DT_STRING}, {'z', DT_BINARY},
        };
        bool found = false;
        for (size_t i = 0; i < sizeof simple / sizeof simple[0] && !found; i++) {
            if (simple[i].c == f[0]) {
                if ((rc = check_children(s, 0)))
                    return rc;
                t = dtype_new(simple[i].id);
                found = true;
            }
        }
        if (!found)
            return unsupported(s, "type");
    } else if (f[0] == 'd' && f[1] == ':') {
        unsigned p, sc, bits = 128;
        int used = 0;
        int n = sscanf(f + 2, "%u,%u%n,%u%n", &p, &sc, &used, &bits, &used);
        if (n < 2 || f[2 + used] != '\0')
            return delta_error_set(DELTA_ECORRUPT, "Arrow column '%s': bad decimal format '%s'",
                                   s->name ? s->name : "", f);
        if (bits != 128 || p > 38)
            return unsupported(s, "decimal");
        t = dtype_new_decimal(p, sc);
    } else if (f[0] == 'w' && f[1] == ':') {
        char *end;
        long w = strtol(f + 2, &end, 10);
        if (*end || w < 1 || w > INT32_MAX)
            return delta_error_set(DELTA_ECORRUPT, "Arrow column '%s': bad format '%s'",
                                   s->name ? s->name : "", f);
        t = dtype_new_fixed_binary((int32_t)w);
    } else if (strcmp(f, "tdD") == 0) {
        t = dtype_new(DT_DATE32);
    } else if (f[0] == 't' && f[1] == 't' && f[3] == '\0') {
        bool ok;
        dtime_unit u = unit_of(f[2], &ok);
        if (!ok)
            return unsupported(s, "time");
        t = dtype_new_time(u);
    } else if (f[0] == 't' && f[1] == 's' && f[2] && f[3] == ':') {
        bool ok;
        dtime_unit u = unit_of(f[2], &ok);
        if (!ok)
            return unsupported(s, "timestamp");
        t = dtype_new_timestamp(u, f[4] != '\0');
    } else if (strcmp(f, "+s") == 0 || strcmp(f, "+l") == 0) {
        bool st = f[1] == 's';
        if ((rc = check_children(s, st ? s->n_children : 1)))
            return rc;
        if (s->n_children < 0 || s->n_children > UINT32_MAX)
            return unsupported(s, "struct");
        uint32_t n = (uint32_t)s->n_children;
        dfield *fields = delta_calloc(n ? n : 1, sizeof *fields);
        if (!fields)
            return DELTA_ENOMEM;
        for (uint32_t i = 0; i < n; i++) {
            if ((rc = dtype_import(s->children[i], &fields[i]))) {
                for (uint32_t j = 0; j < i; j++)
                    dfield_clear(&fields[j]);
                delta_free(fields);
                return rc;
            }
        }
        t = st ? dtype_new_struct(fields, n) : dtype_new_list(fields[0]);
        delta_free(fields);
    } else if (strcmp(f, "+m") == 0) {
        if ((rc = check_children(s, 1)))
            return rc;
        const struct ArrowSchema *e = s->children[0];
        if (!e->format || strcmp(e->format, "+s") != 0 || (rc = check_children(e, 2)))
            return rc ? rc
                      : delta_error_set(DELTA_ECORRUPT,
                                        "Arrow map '%s': entries are not "
                                        "a struct of key and value",
                                        s->name ? s->name : "");
        dfield k, v;
        if ((rc = dtype_import(e->children[0], &k)))
            return rc;
        if ((rc = dtype_import(e->children[1], &v))) {
            dfield_clear(&k);
            return rc;
        }
        t = dtype_new_map(k.type, v.type, v.nullable);
        k.type = v.type = NULL;
        dfield_clear(&k);
        dfield_clear(&v);
    } else {
        return unsupported(s, "type");
    }
    if (!t)
        return delta_error_last_code() ? delta_error_last_code() : DELTA_ENOMEM;
    *out = t;
    return 0;
}

int dtype_import(const struct ArrowSchema *s, dfield *out)
{
    memset(out, 0, sizeof *out);
    out->id = -1;
    if (!s || !s->release)
        return delta_error_set(DELTA_EINVAL, "Arrow schema is missing or already released");
    meta_info mi;
    int rc = read_meta(s, &mi);
    if (rc)
        return rc;
    dtype *t;
    if ((rc = import_type(s, &t)))
        return rc;
    dtype_annot annot = DT_ANNOT_NONE;
    if (strcmp(mi.ext, "arrow.uuid") == 0 && t->id == DT_FIXED_BINARY && t->width == 16)
        annot = DT_ANNOT_UUID;
    else if (strcmp(mi.ext, "arrow.json") == 0 && t->id == DT_STRING)
        annot = DT_ANNOT_JSON;
    else if (strcmp(mi.tag, "enum") == 0 && t->id == DT_STRING)
        annot = DT_ANNOT_ENUM;
    else if (strcmp(mi.tag, "bson") == 0 && t->id == DT_BINARY)
        annot = DT_ANNOT_BSON;
    else if (strcmp(mi.tag, "int96") == 0 && t->id == DT_TIMESTAMP && t->unit == DT_UNIT_NANO)
        annot = DT_ANNOT_INT96;
    if (annot) {
        dtype *a = dtype_with_annot(t, annot);
        dtype_unref(t);
        if (!a)
            return DELTA_ENOMEM;
        t = a;
    }
    if ((rc = dfield_init(out, s->name ? s->name : "", t, (s->flags & ARROW_FLAG_NULLABLE) != 0)))
        return rc;
    out->id = mi.field_id;
    return 0;
}

/* ---- array export -------------------------------------------------------------- */

typedef struct array_priv {
    dvec *v;
    const void *buffers[3];
    struct ArrowArray **child_ptrs;
    struct ArrowArray *children;
    int64_t n_children;
} array_priv;

static void array_release(struct ArrowArray *a)
{
    if (!a || !a->release)
        return;
    array_priv *p = a->private_data;
    for (int64_t i = 0; i < p->n_children; i++)
        if (p->children[i].release)
            p->children[i].release(&p->children[i]);
    delta_free(p->child_ptrs);
    delta_free(p->children);
    dvec_unref(p->v);
    delta_free(p);
    a->release = NULL;
}

static const void *or_empty(const void *p)
{
    return p ? p : (const void *)empty_buffer;
}

int dvec_export(dvec *v, struct ArrowArray *out)
{
    memset(out, 0, sizeof *out);
    array_priv *p = delta_calloc(1, sizeof *p);
    if (!p)
        return DELTA_ENOMEM;
    p->v = dvec_ref(v);
    out->private_data = p;
    out->release = array_release;
    out->length = v->length;
    out->null_count = v->null_count;
    out->offset = 0;
    out->buffers = p->buffers;
    const dtype *t = v->type;
    p->buffers[0] = v->null_count ? v->validity : NULL;
    switch (t->id) {
    case DT_NULL: out->n_buffers = 0; break;
    case DT_STRUCT: out->n_buffers = 1; break;
    case DT_STRING:
    case DT_BINARY:
        out->n_buffers = 3;
        p->buffers[1] = or_empty(v->offsets);
        p->buffers[2] = or_empty(v->data);
        break;
    case DT_LIST:
    case DT_MAP:
        out->n_buffers = 2;
        p->buffers[1] = or_empty(v->offsets);
        break;
    default:
        out->n_buffers = 2;
        p->buffers[1] = or_empty(v->values);
        break;
    }
    if (v->num_children) {
        int64_t n = v->num_children;
        p->children = delta_calloc((size_t)n, sizeof *p->children);
        p->child_ptrs = delta_calloc((size_t)n, sizeof *p->child_ptrs);
        if (!p->children || !p->child_ptrs)
            goto fail;
        for (int64_t i = 0; i < n; i++) {
            int rc = dvec_export(v->children[i], &p->children[i]);
            p->n_children = i + 1;
            if (rc)
                goto fail;
            p->child_ptrs[i] = &p->children[i];
        }
        out->n_children = n;
        out->children = p->child_ptrs;
    }
    return 0;
fail:
    array_release(out);
    memset(out, 0, sizeof *out);
    return DELTA_ENOMEM;
}

/* ---- array import ---------------------------------------------------------------- */

typedef struct holder {
    struct ArrowArray arr;
    int32_t refs;
    void **allocs;
    size_t nallocs, cap;
} holder;

static void holder_release(void *owner)
{
    holder *h = owner;
    if (__atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (h->arr.release)
        h->arr.release(&h->arr);
    for (size_t i = 0; i < h->nallocs; i++)
        delta_free(h->allocs[i]);
    delta_free(h->allocs);
    delta_free(h);
}

static void *holder_alloc(holder *h, size_t n)
{
    if (h->nallocs == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 4;
        void **a = delta_reallocarray(h->allocs, cap, sizeof *a);
        if (!a)
            return NULL;
        h->allocs = a;
        h->cap = cap;
    }
    void *p = delta_malloc(n ? n : 1);
    if (p)
        h->allocs[h->nallocs++] = p;
    return p;
}

static int expected_buffers(const dtype *t)
{
    switch (t->id) {
    case DT_NULL: return 0;
    case DT_STRUCT: return 1;
    case DT_STRING:
    case DT_BINARY: return 3;
    default: return 2;
    }
}

static int import_corrupt(const char *path, const char *fmt, ...) DELTA_PRINTF(2, 3);
static int import_corrupt(const char *path, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return delta_error_set(DELTA_ECORRUPT, "Arrow array%s%s: %s", *path ? " column " : "", path,
                           msg);
}

/* Imports rows [extra, extra+len) of a (on top of a->offset). */
static int import_node(holder *h, const struct ArrowArray *a, const dtype *t, int64_t extra,
                       int64_t len, const char *path, dvec **out)
{
    *out = NULL;
    if (!a || !a->release)
        return import_corrupt(path, "missing or released array");
    if (a->dictionary)
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "Arrow array %s: dictionary-encoded arrays "
                               "are not supported",
                               path);
    int nb = expected_buffers(t);
    if (a->n_buffers != nb && !(t->id == DT_NULL && a->n_buffers == 1))
        return import_corrupt(path, "%lld buffers, expected %d", (long long)a->n_buffers, nb);
    if (nb && !a->buffers)
        return import_corrupt(path, "no buffers");
    uint32_t nc = dtype_is_nested(t) ? t->num_fields : 0;
    if (a->n_children != nc || (nc && !a->children))
        return import_corrupt(path, "%lld children, expected %u", (long long)a->n_children, nc);
    if (a->offset < 0 || a->length < 0 || extra < 0 || len < 0 || extra > a->length ||
        len > a->length - extra)
        return import_corrupt(path,
                              "rows [%lld, +%lld) outside an array of offset %lld and "
                              "length %lld",
                              (long long)extra, (long long)len, (long long)a->offset,
                              (long long)a->length);
    int64_t eo = a->offset + extra;
    dvec *v = delta_calloc(1, sizeof *v);
    if (!v)
        return DELTA_ENOMEM;
    v->type = dtype_ref(t);
    v->refcount = 1;
    v->length = len;
    v->cap = len;
    __atomic_fetch_add(&h->refs, 1, __ATOMIC_RELAXED);
    v->release = holder_release;
    v->owner = h;
    int rc = 0;
    if (nc) {
        v->children = delta_calloc(nc, sizeof *v->children);
        if (!v->children) {
            rc = DELTA_ENOMEM;
            goto fail;
        }
    }
    if (t->id == DT_NULL) {
        v->null_count = len;
    } else {
        const uint8_t *bm = a->buffers[0];
        if (bm && a->null_count != 0 && len > 0) {
            int64_t nulls = len - dbits_count(bm, eo, len);
            if (nulls) {
                if ((eo & 7) == 0) {
                    v->validity = (uint8_t *)bm + eo / 8;
                } else {
                    if (!(v->validity = holder_alloc(h, (size_t)(len + 7) / 8))) {
                        rc = DELTA_ENOMEM;
                        goto fail;
                    }
                    dbits_copy(v->validity, 0, bm, eo, len);
                }
            }
            v->null_count = nulls;
        } else if (!bm && a->null_count > 0) {
            rc = import_corrupt(path, "null_count %lld without a validity bitmap",
                                (long long)a->null_count);
            goto fail;
        }
    }
    size_t w = dtype_byte_width(t);
    const uint8_t *b1 = nb >= 2 ? a->buffers[1] : NULL;
    if (nb >= 2 && !b1 && len > 0) {
        rc =
            import_corrupt(path, "missing %s buffer", w || t->id == DT_BOOL ? "values" : "offsets");
        goto fail;
    }
    if (t->id == DT_BOOL && len > 0) {
        if ((eo & 7) == 0) {
            v->values = (uint8_t *)b1 + eo / 8;
        } else {
            if (!(v->values = holder_alloc(h, (size_t)(len + 7) / 8))) {
                rc = DELTA_ENOMEM;
                goto fail;
            }
            dbits_copy(v->values, 0, b1, eo, len);
        }
    } else if (w && len > 0) {
        v->values = (uint8_t *)b1 + (size_t)eo * w;
    } else if (b1 && (nb == 3 || t->id == DT_LIST || t->id == DT_MAP)) {
        const int32_t *o = (const int32_t *)b1 + eo;
        int32_t base = o[0];
        if (base < 0 || o[len] < base) {
            rc = import_corrupt(path, "offsets run from %d to %d", (int)base, (int)o[len]);
            goto fail;
        }
        if (base == 0) {
            v->offsets = (int32_t *)o;
        } else {
            int32_t *c = holder_alloc(h, (size_t)(len + 1) * sizeof *c);
            if (!c) {
                rc = DELTA_ENOMEM;
                goto fail;
            }
            for (int64_t i = 0; i <= len; i++)
                c[i] = o[i] - base;
            v->offsets = c;
        }
        int64_t span = (int64_t)o[len] - base;
        if (nb == 3) {
            const uint8_t *data = a->buffers[2];
            if (!data && span > 0) {
                rc = import_corrupt(path, "missing data buffer");
                goto fail;
            }
            v->data = data ? (uint8_t *)data + base : NULL;
            v->data_len = span;
            v->data_cap = span;
        } else {
            char cpath[256];
            snprintf(cpath, sizeof cpath, "%s[]", path);
            rc = import_node(h, a->children[0], t->fields[0].type, base, span, cpath,
                             &v->children[0]);
            if (rc)
                goto fail;
            v->num_children = 1;
        }
    }
    if (t->id == DT_STRUCT) {
        for (uint32_t i = 0; i < nc; i++) {
            char cpath[256];
            snprintf(cpath, sizeof cpath, "%s%s%s", path, *path ? "." : "", t->fields[i].name);
            rc = import_node(h, a->children[i], t->fields[i].type, eo, len, cpath, &v->children[i]);
            if (rc)
                goto fail;
            v->num_children = i + 1;
        }
    }
    if ((t->id == DT_LIST || t->id == DT_MAP) && v->num_children == 0) {
        /* empty list without an offsets buffer: an empty child */
        rc = import_node(h, a->children[0], t->fields[0].type, 0, 0, path, &v->children[0]);
        if (rc)
            goto fail;
        v->num_children = 1;
    }
    *out = v;
    return 0;
fail:
    dvec_unref(v);
    return rc;
}

int dvec_import(struct ArrowArray *in, const dtype *t, dvec **out)
{
    *out = NULL;
    if (!in || !in->release)
        return delta_error_set(DELTA_EINVAL, "Arrow array is missing or already released");
    holder *h = delta_calloc(1, sizeof *h);
    if (!h) {
        in->release(in);
        return DELTA_ENOMEM;
    }
    h->arr = *in;
    in->release = NULL;
    h->refs = 1;
    dvec *v = NULL;
    int rc = import_node(h, &h->arr, t, 0, h->arr.length, "", &v);
    holder_release(h);
    if (rc)
        return rc;
    if ((rc = dvec_validate(v, false))) {
        dvec_unref(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* ---- streams ----------------------------------------------------------------------- */

static int to_errno(int code)
{
    switch (code) {
    case DELTA_ENOMEM: return ENOMEM;
    case DELTA_EINVAL:
    case DELTA_ETYPE:
    case DELTA_ERANGE: return EINVAL;
    case DELTA_EUNSUPPORTED:
    case DELTA_ENOTIMPL: return ENOTSUP;
    case DELTA_ECANCELED: return ECANCELED;
    default: return EIO;
    }
}

typedef struct export_stream {
    dstream *s;
    char err[512];
} export_stream;

static int es_fail(export_stream *p, int rc)
{
    snprintf(p->err, sizeof p->err, "%s", delta_error_last());
    return to_errno(rc);
}

static int es_get_schema(struct ArrowArrayStream *st, struct ArrowSchema *out)
{
    export_stream *p = st->private_data;
    int rc = dtype_export(p->s->schema, "", false, out);
    return rc ? es_fail(p, rc) : 0;
}

static int es_get_next(struct ArrowArrayStream *st, struct ArrowArray *out)
{
    export_stream *p = st->private_data;
    memset(out, 0, sizeof *out);
    dvec *b = NULL;
    int rc = p->s->next(p->s, &b);
    if (rc)
        return es_fail(p, rc);
    if (!b)
        return 0;
    rc = dvec_export(b, out);
    dvec_unref(b);
    return rc ? es_fail(p, rc) : 0;
}

static const char *es_last_error(struct ArrowArrayStream *st)
{
    export_stream *p = st->private_data;
    return p->err[0] ? p->err : NULL;
}

static void es_release(struct ArrowArrayStream *st)
{
    if (!st || !st->release)
        return;
    export_stream *p = st->private_data;
    p->s->free(p->s);
    delta_free(p);
    st->release = NULL;
}

int dstream_export(dstream *s, struct ArrowArrayStream *out)
{
    memset(out, 0, sizeof *out);
    export_stream *p = delta_calloc(1, sizeof *p);
    if (!p) {
        s->free(s);
        return DELTA_ENOMEM;
    }
    p->s = s;
    out->get_schema = es_get_schema;
    out->get_next = es_get_next;
    out->get_last_error = es_last_error;
    out->release = es_release;
    out->private_data = p;
    return 0;
}

typedef struct import_stream {
    dstream base;
    struct ArrowArrayStream st;
    dtype *schema;
    int64_t batches;
} import_stream;

static int stream_error(struct ArrowArrayStream *st, int err, const char *what)
{
    const char *msg = st->get_last_error ? st->get_last_error(st) : NULL;
    return delta_error_set(err == ENOMEM ? DELTA_ENOMEM : DELTA_EIO, "Arrow stream: %s failed: %s",
                           what, msg ? msg : strerror(err));
}

static int is_next(dstream *s, dvec **out)
{
    import_stream *p = (import_stream *)s;
    *out = NULL;
    struct ArrowArray arr;
    memset(&arr, 0, sizeof arr);
    int err = p->st.get_next(&p->st, &arr);
    if (err)
        return stream_error(&p->st, err, "get_next");
    if (!arr.release)
        return 0;
    int rc = dvec_import(&arr, p->schema, out);
    if (rc)
        return delta_error_prefix(rc, "Arrow stream batch %lld: ", (long long)p->batches);
    p->batches++;
    return 0;
}

static void is_free(dstream *s)
{
    import_stream *p = (import_stream *)s;
    if (p->st.release)
        p->st.release(&p->st);
    dtype_unref(p->schema);
    delta_free(p);
}

int dstream_import(struct ArrowArrayStream *in, dstream **out)
{
    *out = NULL;
    if (!in || !in->release)
        return delta_error_set(DELTA_EINVAL, "Arrow stream is missing or already released");
    import_stream *p = delta_calloc(1, sizeof *p);
    if (!p) {
        in->release(in);
        return DELTA_ENOMEM;
    }
    p->st = *in;
    in->release = NULL;
    p->base.next = is_next;
    p->base.free = is_free;
    struct ArrowSchema sch;
    memset(&sch, 0, sizeof sch);
    int rc, err = p->st.get_schema(&p->st, &sch);
    if (err) {
        rc = stream_error(&p->st, err, "get_schema");
        goto fail;
    }
    dfield f;
    rc = dtype_import(&sch, &f);
    if (sch.release)
        sch.release(&sch);
    if (rc)
        goto fail;
    p->schema = f.type;
    f.type = NULL;
    dfield_clear(&f);
    if (p->schema->id != DT_STRUCT) {
        rc = delta_error_set(DELTA_EUNSUPPORTED, "Arrow stream of non-struct type: only record "
                                                 "batches are supported");
        goto fail;
    }
    p->base.schema = p->schema;
    *out = &p->base;
    return 0;
fail:
    is_free(&p->base);
    return rc;
}
