/*
 * Column vectors and record batches (vector.h).
 *
 * Buffers grow by doubling (dvec_reserve rounds up the same way), so an
 * append is amortised O(1) and nothing is allocated per value. Bulk copies
 * (dvec_append_range) move fixed-width values with memcpy and bitmaps a
 * byte at a time at any bit offset; selections (dvec_append_take) gather
 * with a loop specialised by value width, and gather list children with
 * one derived selection per call rather than one call per row.
 *
 * A vector whose buffers are borrowed (imported from Arrow) is copied into
 * owned buffers the first time it must grow or change (make_owned), after
 * which it releases its borrowed reference; its children decide for
 * themselves, since each holds its own reference to the shared owner.
 *
 * Any append that fails part-way truncates the vector (and its children)
 * back to the rows it had, so earlier rows stay intact.
 */
#include "columnar/vector.h"

#include "columnar/bits.h"
#include "columnar/format.h"
#include "core/alloc.h"
#include "core/error.h"

#include <math.h>
#include <string.h>

static bool has_offsets(const dtype *t)
{
    return t->id == DT_STRING || t->id == DT_BINARY || t->id == DT_LIST || t->id == DT_MAP;
}

static size_t bitmap_bytes(int64_t bits)
{
    return (size_t)((bits + 7) / 8);
}

static void type_name(const dtype *t, char *buf, size_t cap)
{
    dbuf b = DBUF_INIT;
    dtype_format(t, &b);
    snprintf(buf, cap, "%s", b.err ? "?" : dbuf_cstr(&b));
    dbuf_free(&b);
}

static int wrong_type(const dvec *v, const char *what)
{
    char name[128];
    type_name(v->type, name, sizeof name);
    return delta_error_set(DELTA_ETYPE, "%s on a vector of type %s", what, name);
}

/* ---- lifetime ----------------------------------------------------------- */

int dvec_new(dvec **out, const dtype *t)
{
    *out = NULL;
    dvec *v = delta_calloc(1, sizeof *v);
    if (!v)
        return DELTA_ENOMEM;
    v->type = dtype_ref(t);
    v->refcount = 1;
    if (dtype_is_nested(t) && t->num_fields) {
        v->children = delta_calloc(t->num_fields, sizeof *v->children);
        if (!v->children) {
            dvec_unref(v);
            return DELTA_ENOMEM;
        }
        for (uint32_t i = 0; i < t->num_fields; i++) {
            int rc = dvec_new(&v->children[i], t->fields[i].type);
            if (rc) {
                dvec_unref(v);
                return rc;
            }
            v->num_children = i + 1;
        }
    }
    *out = v;
    return 0;
}

dvec *dvec_ref(dvec *v)
{
    if (v)
        __atomic_fetch_add(&v->refcount, 1, __ATOMIC_RELAXED);
    return v;
}

static void free_buffers(dvec *v)
{
    if (v->release) {
        v->release(v->owner);
        v->release = NULL;
        v->owner = NULL;
    } else {
        delta_free(v->validity);
        delta_free(v->values);
        delta_free(v->offsets);
        delta_free(v->data);
    }
    v->validity = NULL;
    v->values = NULL;
    v->offsets = NULL;
    v->data = NULL;
    v->cap = 0;
    v->data_cap = 0;
}

void dvec_unref(dvec *v)
{
    if (!v)
        return;
    if (__atomic_sub_fetch(&v->refcount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (uint32_t i = 0; i < v->num_children; i++)
        dvec_unref(v->children[i]);
    delta_free(v->children);
    free_buffers(v);
    dtype_unref(v->type);
    delta_free(v);
}

/* ---- growth -------------------------------------------------------------- */

/* Copies borrowed buffers into owned ones (this level only). */
static int make_owned(dvec *v)
{
    if (!v->release)
        return 0;
    const dtype *t = v->type;
    size_t w = dtype_byte_width(t);
    uint8_t *validity = NULL, *values = NULL, *data = NULL;
    int32_t *offsets = NULL;
    if (v->validity && !(validity = delta_memdup(v->validity, bitmap_bytes(v->length))))
        goto oom;
    if (t->id == DT_BOOL && v->values &&
        !(values = delta_memdup(v->values, bitmap_bytes(v->length))))
        goto oom;
    if (w && v->values && !(values = delta_memdup(v->values, (size_t)v->length * w)))
        goto oom;
    if (has_offsets(t) && v->offsets &&
        !(offsets = delta_memdup(v->offsets, (size_t)(v->length + 1) * sizeof(int32_t))))
        goto oom;
    if (dtype_is_variable(t) && v->data && !(data = delta_memdup(v->data, (size_t)v->data_len)))
        goto oom;
    v->release(v->owner);
    v->release = NULL;
    v->owner = NULL;
    v->validity = validity;
    v->values = values;
    v->offsets = offsets;
    v->data = data;
    v->cap = v->length;
    v->data_cap = data ? v->data_len : 0;
    return 0;
oom:
    delta_free(validity);
    delta_free(values);
    delta_free(offsets);
    delta_free(data);
    return DELTA_ENOMEM;
}

/* Makes room for `need` rows in total. */
static int grow_rows(dvec *v, int64_t need)
{
    int rc = make_owned(v);
    if (rc)
        return rc;
    const dtype *t = v->type;
    bool off = has_offsets(t);
    if (need <= v->cap && (!off || v->offsets))
        return 0;
    if (need > INT64_MAX / 4)
        return delta_error_set(DELTA_ERANGE, "vector of %lld rows is too large", (long long)need);
    int64_t ncap = v->cap * 2;
    if (ncap < need)
        ncap = need;
    if (ncap < 16)
        ncap = 16;
    size_t w = dtype_byte_width(t);
    if (t->id == DT_BOOL) {
        void *p = delta_realloc(v->values, bitmap_bytes(ncap));
        if (!p)
            return DELTA_ENOMEM;
        v->values = p;
    } else if (w) {
        void *p = delta_reallocarray(v->values, (size_t)ncap, w);
        if (!p)
            return DELTA_ENOMEM;
        v->values = p;
    }
    if (v->validity) {
        void *p = delta_realloc(v->validity, bitmap_bytes(ncap));
        if (!p)
            return DELTA_ENOMEM;
        v->validity = p;
    }
    if (off) {
        int32_t *p = delta_reallocarray(v->offsets, (size_t)ncap + 1, sizeof(int32_t));
        if (!p)
            return DELTA_ENOMEM;
        if (!v->offsets)
            p[0] = 0;
        v->offsets = p;
    }
    v->cap = ncap;
    return 0;
}

int dvec_reserve(dvec *v, int64_t rows)
{
    if (rows < 0)
        return delta_error_set(DELTA_EINVAL, "dvec_reserve: negative row count %lld",
                               (long long)rows);
    if (v->type->id == DT_NULL)
        return 0;
    return grow_rows(v, v->length + rows);
}

int dvec_reserve_data(dvec *v, int64_t bytes)
{
    if (bytes < 0)
        return delta_error_set(DELTA_EINVAL, "dvec_reserve_data: negative byte count %lld",
                               (long long)bytes);
    int rc = make_owned(v);
    if (rc)
        return rc;
    int64_t need = v->data_len + bytes;
    if (need <= v->data_cap && v->data)
        return 0;
    int64_t ncap = v->data_cap * 2;
    if (ncap < need)
        ncap = need;
    if (ncap < 64)
        ncap = 64;
    void *p = delta_realloc(v->data, (size_t)ncap);
    if (!p)
        return DELTA_ENOMEM;
    v->data = p;
    v->data_cap = ncap;
    return 0;
}

int dvec_ensure_validity(dvec *v)
{
    if (v->validity || v->type->id == DT_NULL)
        return 0;
    int rc = make_owned(v);
    if (rc)
        return rc;
    uint8_t *p = delta_malloc(bitmap_bytes(v->cap > 0 ? v->cap : 8));
    if (!p)
        return DELTA_ENOMEM;
    dbits_fill(p, 0, v->length, true);
    v->validity = p;
    return 0;
}

static int64_t count_nulls(const dvec *v, int64_t len)
{
    if (v->type->id == DT_NULL)
        return len;
    if (!v->validity)
        return 0;
    return len - dbits_count(v->validity, 0, len);
}

void dvec_set_length(dvec *v, int64_t length)
{
    v->length = length;
    v->null_count = count_nulls(v, length);
    if (dtype_is_variable(v->type))
        v->data_len = v->offsets ? v->offsets[length] : 0;
}

/* Forgets rows from `len` on (len <= length), recursively. */
static void truncate_to(dvec *v, int64_t len)
{
    if (len > v->length)
        len = v->length;
    v->length = len;
    v->null_count = count_nulls(v, len);
    const dtype *t = v->type;
    if (dtype_is_variable(t))
        v->data_len = v->offsets ? v->offsets[len] : 0;
    if (t->id == DT_LIST || t->id == DT_MAP)
        truncate_to(v->children[0], v->offsets ? v->offsets[len] : 0);
    if (t->id == DT_STRUCT)
        for (uint32_t i = 0; i < v->num_children; i++)
            truncate_to(v->children[i], len);
}

bool dvec_is_exclusive(const dvec *v)
{
    if (__atomic_load_n(&v->refcount, __ATOMIC_ACQUIRE) != 1 || v->release)
        return false;
    for (uint32_t i = 0; i < v->num_children; i++)
        if (!dvec_is_exclusive(v->children[i]))
            return false;
    return true;
}

void dvec_clear(dvec *v)
{
    if (v->release)
        free_buffers(v);
    v->length = 0;
    v->null_count = 0;
    v->data_len = 0;
    if (v->offsets)
        v->offsets[0] = 0;
    for (uint32_t i = 0; i < v->num_children; i++)
        dvec_clear(v->children[i]);
}

/* ---- single appends ------------------------------------------------------ */

static inline void mark_valid(dvec *v)
{
    if (v->validity)
        dbit_set(v->validity, v->length);
}

static int push_fixed(dvec *v, const void *p, size_t w)
{
    if (v->length >= v->cap || v->release) {
        int rc = grow_rows(v, v->length + 1);
        if (rc)
            return rc;
    }
    memcpy((uint8_t *)v->values + (size_t)v->length * w, p, w);
    mark_valid(v);
    v->length++;
    return 0;
}

int dvec_append_nulls(dvec *v, int64_t n)
{
    if (n < 0)
        return delta_error_set(DELTA_EINVAL, "dvec_append_nulls: negative count %lld",
                               (long long)n);
    if (n == 0)
        return 0;
    const dtype *t = v->type;
    if (t->id == DT_NULL) {
        v->length += n;
        v->null_count += n;
        return 0;
    }
    int64_t old = v->length;
    int rc = grow_rows(v, v->length + n);
    if (!rc)
        rc = dvec_ensure_validity(v);
    if (rc)
        return rc;
    if (t->id == DT_STRUCT) {
        for (uint32_t i = 0; i < v->num_children; i++) {
            rc = dvec_append_nulls(v->children[i], n);
            if (rc) {
                truncate_to(v, old);
                return rc;
            }
        }
    }
    dbits_fill(v->validity, v->length, n, false);
    size_t w = dtype_byte_width(t);
    if (t->id == DT_BOOL)
        dbits_fill(v->values, v->length, n, false);
    else if (w)
        memset((uint8_t *)v->values + (size_t)v->length * w, 0, (size_t)n * w);
    else if (has_offsets(t))
        for (int64_t i = 1; i <= n; i++)
            v->offsets[v->length + i] = v->offsets[v->length];
    v->length += n;
    v->null_count += n;
    return 0;
}

int dvec_append_null(dvec *v)
{
    return dvec_append_nulls(v, 1);
}

int dvec_append_bool(dvec *v, bool x)
{
    if (v->type->id != DT_BOOL)
        return wrong_type(v, "dvec_append_bool");
    if (v->length >= v->cap || v->release) {
        int rc = grow_rows(v, v->length + 1);
        if (rc)
            return rc;
    }
    if (x)
        dbit_set(v->values, v->length);
    else
        dbit_clear(v->values, v->length);
    mark_valid(v);
    v->length++;
    return 0;
}

int dvec_append_int(dvec *v, int64_t x)
{
    int64_t lo, hi;
    switch (v->type->id) {
    case DT_INT8: lo = INT8_MIN, hi = INT8_MAX; break;
    case DT_INT16: lo = INT16_MIN, hi = INT16_MAX; break;
    case DT_INT32:
    case DT_DATE32:
    case DT_TIME32: lo = INT32_MIN, hi = INT32_MAX; break;
    case DT_INT64:
    case DT_TIME64:
    case DT_TIMESTAMP: lo = INT64_MIN, hi = INT64_MAX; break;
    default: return wrong_type(v, "dvec_append_int");
    }
    if (x < lo || x > hi) {
        char name[64];
        type_name(v->type, name, sizeof name);
        return delta_error_set(DELTA_ERANGE, "value %lld does not fit %s", (long long)x, name);
    }
    switch (dtype_byte_width(v->type)) {
    case 1: {
        int8_t y = (int8_t)x;
        return push_fixed(v, &y, 1);
    }
    case 2: {
        int16_t y = (int16_t)x;
        return push_fixed(v, &y, 2);
    }
    case 4: {
        int32_t y = (int32_t)x;
        return push_fixed(v, &y, 4);
    }
    default: return push_fixed(v, &x, 8);
    }
}

int dvec_append_uint(dvec *v, uint64_t x)
{
    uint64_t hi;
    switch (v->type->id) {
    case DT_UINT8: hi = UINT8_MAX; break;
    case DT_UINT16: hi = UINT16_MAX; break;
    case DT_UINT32: hi = UINT32_MAX; break;
    case DT_UINT64: hi = UINT64_MAX; break;
    default: return wrong_type(v, "dvec_append_uint");
    }
    if (x > hi) {
        char name[64];
        type_name(v->type, name, sizeof name);
        return delta_error_set(DELTA_ERANGE, "value %llu does not fit %s", (unsigned long long)x,
                               name);
    }
    switch (dtype_byte_width(v->type)) {
    case 1: {
        uint8_t y = (uint8_t)x;
        return push_fixed(v, &y, 1);
    }
    case 2: {
        uint16_t y = (uint16_t)x;
        return push_fixed(v, &y, 2);
    }
    case 4: {
        uint32_t y = (uint32_t)x;
        return push_fixed(v, &y, 4);
    }
    default: return push_fixed(v, &x, 8);
    }
}

int dvec_append_double(dvec *v, double x)
{
    if (v->type->id == DT_FLOAT64)
        return push_fixed(v, &x, 8);
    if (v->type->id == DT_FLOAT32) {
        float f = (float)x;
        return push_fixed(v, &f, 4);
    }
    return wrong_type(v, "dvec_append_double");
}

int dvec_append_fixed(dvec *v, const void *value)
{
    if (v->type->id == DT_BOOL)
        return dvec_append_bool(v, *(const uint8_t *)value != 0);
    size_t w = dtype_byte_width(v->type);
    if (!w)
        return wrong_type(v, "dvec_append_fixed");
    return push_fixed(v, value, w);
}

int dvec_append_bytes(dvec *v, const void *p, size_t len)
{
    const dtype *t = v->type;
    if (t->id == DT_FIXED_BINARY) {
        if (len != (size_t)t->width)
            return delta_error_set(DELTA_EINVAL, "value of %zu bytes appended to binary(%d)", len,
                                   (int)t->width);
        return push_fixed(v, p, len);
    }
    if (!dtype_is_variable(t))
        return wrong_type(v, "dvec_append_bytes");
    if (len > (size_t)(INT32_MAX - v->data_len))
        return delta_error_set(DELTA_ERANGE, "string data of a vector exceeds 2 GiB");
    int rc = 0;
    if (v->length >= v->cap || v->release || !v->offsets)
        rc = grow_rows(v, v->length + 1);
    if (!rc && v->data_len + (int64_t)len > v->data_cap)
        rc = dvec_reserve_data(v, (int64_t)len);
    if (rc)
        return rc;
    if (len)
        memcpy(v->data + v->data_len, p, len);
    v->data_len += (int64_t)len;
    v->offsets[v->length + 1] = (int32_t)v->data_len;
    mark_valid(v);
    v->length++;
    return 0;
}

int dvec_end_list(dvec *v)
{
    if (v->type->id != DT_LIST && v->type->id != DT_MAP)
        return wrong_type(v, "dvec_end_list");
    int rc = grow_rows(v, v->length + 1);
    if (rc)
        return rc;
    const dvec *c = v->children[0];
    if (c->length < v->offsets[v->length])
        return delta_error_set(DELTA_EINVAL,
                               "dvec_end_list: child has %lld rows, fewer than "
                               "the %d already used",
                               (long long)c->length, (int)v->offsets[v->length]);
    if (c->length > INT32_MAX)
        return delta_error_set(DELTA_ERANGE, "list child exceeds 2^31-1 entries");
    v->offsets[v->length + 1] = (int32_t)c->length;
    mark_valid(v);
    v->length++;
    return 0;
}

int dvec_end_struct(dvec *v)
{
    if (v->type->id != DT_STRUCT)
        return wrong_type(v, "dvec_end_struct");
    for (uint32_t i = 0; i < v->num_children; i++) {
        if (v->children[i]->length != v->length + 1)
            return delta_error_set(DELTA_EINVAL,
                                   "dvec_end_struct: field '%s' has %lld rows, expected %lld",
                                   v->type->fields[i].name, (long long)v->children[i]->length,
                                   (long long)(v->length + 1));
    }
    int rc = grow_rows(v, v->length + 1);
    if (rc)
        return rc;
    mark_valid(v);
    v->length++;
    return 0;
}

/* ---- bulk appends ---------------------------------------------------------- */

static int check_same_type(const dvec *dst, const dvec *src, const char *what)
{
    if (dst->type == src->type || dtype_equal(dst->type, src->type))
        return 0;
    char a[128], b[128];
    type_name(dst->type, a, sizeof a);
    type_name(src->type, b, sizeof b);
    return delta_error_set(DELTA_ETYPE, "%s: destination is %s but source is %s", what, a, b);
}

static int range_rec(dvec *dst, const dvec *src, int64_t from, int64_t n)
{
    const dtype *t = dst->type;
    if (n == 0)
        return 0;
    if (t->id == DT_NULL) {
        dst->length += n;
        dst->null_count += n;
        return 0;
    }
    int rc = grow_rows(dst, dst->length + n);
    if (rc)
        return rc;
    int64_t len = dst->length, nulls = 0;
    bool src_bits = src->validity && src->null_count > 0;
    if (src_bits)
        nulls = n - dbits_count(src->validity, from, n);
    if (nulls && (rc = dvec_ensure_validity(dst)))
        return rc;
    if (dst->validity) {
        if (src_bits)
            dbits_copy(dst->validity, len, src->validity, from, n);
        else
            dbits_fill(dst->validity, len, n, true);
    }
    size_t w = dtype_byte_width(t);
    switch (t->id) {
    case DT_BOOL: dbits_copy(dst->values, len, src->values, from, n); break;
    case DT_STRING:
    case DT_BINARY: {
        const int32_t *so = src->offsets;
        int32_t base = so[from];
        int64_t bytes = (int64_t)so[from + n] - base;
        if (bytes > INT32_MAX - dst->data_len)
            return delta_error_set(DELTA_ERANGE, "string data of a vector exceeds 2 GiB");
        if ((rc = dvec_reserve_data(dst, bytes)))
            return rc;
        if (bytes)
            memcpy(dst->data + dst->data_len, src->data + base, (size_t)bytes);
        int32_t shift = (int32_t)dst->data_len - base;
        int32_t *d = dst->offsets + len + 1;
        for (int64_t i = 0; i < n; i++)
            d[i] = so[from + 1 + i] + shift;
        dst->data_len += bytes;
        break;
    }
    case DT_LIST:
    case DT_MAP: {
        const int32_t *so = src->offsets;
        int32_t base = so[from];
        int64_t cnt = (int64_t)so[from + n] - base;
        int32_t d0 = dst->offsets[len];
        if (cnt > INT32_MAX - (int64_t)d0)
            return delta_error_set(DELTA_ERANGE, "list child exceeds 2^31-1 entries");
        if ((rc = range_rec(dst->children[0], src->children[0], base, cnt)))
            return rc;
        int32_t shift = d0 - base;
        int32_t *d = dst->offsets + len + 1;
        for (int64_t i = 0; i < n; i++)
            d[i] = so[from + 1 + i] + shift;
        break;
    }
    case DT_STRUCT:
        for (uint32_t i = 0; i < dst->num_children; i++)
            if ((rc = range_rec(dst->children[i], src->children[i], from, n)))
                return rc;
        break;
    default:
        memcpy((uint8_t *)dst->values + (size_t)len * w,
               (const uint8_t *)src->values + (size_t)from * w, (size_t)n * w);
        break;
    }
    dst->length += n;
    dst->null_count += nulls;
    return 0;
}

int dvec_append_range(dvec *dst, const dvec *src, int64_t from, int64_t n)
{
    int rc = check_same_type(dst, src, "dvec_append_range");
    if (rc)
        return rc;
    if (from < 0 || n < 0 || from > src->length || n > src->length - from)
        return delta_error_set(DELTA_EINVAL,
                               "dvec_append_range: rows [%lld, +%lld) outside a "
                               "vector of %lld rows",
                               (long long)from, (long long)n, (long long)src->length);
    if (dst == src)
        return delta_error_set(DELTA_EINVAL, "dvec_append_range: source and destination are "
                                             "the same vector");
    int64_t old = dst->length;
    rc = range_rec(dst, src, from, n);
    if (rc)
        truncate_to(dst, old);
    return rc;
}

int dvec_append_from(dvec *dst, const dvec *src, int64_t row)
{
    return dvec_append_range(dst, src, row, 1);
}

#define GATHER(T)                                                                                  \
    do {                                                                                           \
        T *d = (T *)dst->values + len;                                                             \
        const T *s = (const T *)src->values;                                                       \
        for (int64_t i = 0; i < n; i++)                                                            \
            d[i] = s[sel[i]];                                                                      \
    } while (0)

static int take_rec(dvec *dst, const dvec *src, const uint32_t *sel, int64_t n)
{
    const dtype *t = dst->type;
    if (n == 0)
        return 0;
    if (t->id == DT_NULL) {
        dst->length += n;
        dst->null_count += n;
        return 0;
    }
    int rc = grow_rows(dst, dst->length + n);
    if (rc)
        return rc;
    int64_t len = dst->length, nulls = 0;
    if (src->validity && src->null_count > 0) {
        if ((rc = dvec_ensure_validity(dst)))
            return rc;
        for (int64_t i = 0; i < n; i++) {
            if (dbit_get(src->validity, sel[i])) {
                dbit_set(dst->validity, len + i);
            } else {
                dbit_clear(dst->validity, len + i);
                nulls++;
            }
        }
    } else if (dst->validity) {
        dbits_fill(dst->validity, len, n, true);
    }
    size_t w = dtype_byte_width(t);
    switch (t->id) {
    case DT_BOOL:
        for (int64_t i = 0; i < n; i++) {
            if (dbit_get(src->values, sel[i]))
                dbit_set(dst->values, len + i);
            else
                dbit_clear(dst->values, len + i);
        }
        break;
    case DT_STRING:
    case DT_BINARY: {
        const int32_t *so = src->offsets;
        int64_t bytes = 0;
        for (int64_t i = 0; i < n; i++)
            bytes += so[sel[i] + 1] - so[sel[i]];
        if (bytes > INT32_MAX - dst->data_len)
            return delta_error_set(DELTA_ERANGE, "string data of a vector exceeds 2 GiB");
        if ((rc = dvec_reserve_data(dst, bytes)))
            return rc;
        int32_t pos = (int32_t)dst->data_len;
        int32_t *d = dst->offsets + len + 1;
        for (int64_t i = 0; i < n; i++) {
            int32_t a = so[sel[i]], l = so[sel[i] + 1] - a;
            if (l)
                memcpy(dst->data + pos, src->data + a, (size_t)l);
            pos += l;
            d[i] = pos;
        }
        dst->data_len = pos;
        break;
    }
    case DT_LIST:
    case DT_MAP: {
        const int32_t *so = src->offsets;
        int64_t total = 0;
        for (int64_t i = 0; i < n; i++)
            total += so[sel[i] + 1] - so[sel[i]];
        int32_t d0 = dst->offsets[len];
        if (total > INT32_MAX - (int64_t)d0)
            return delta_error_set(DELTA_ERANGE, "list child exceeds 2^31-1 entries");
        uint32_t *csel = delta_malloc((size_t)(total ? total : 1) * sizeof *csel);
        if (!csel)
            return DELTA_ENOMEM;
        int64_t k = 0;
        int32_t *d = dst->offsets + len + 1;
        for (int64_t i = 0; i < n; i++) {
            for (int32_t j = so[sel[i]]; j < so[sel[i] + 1]; j++)
                csel[k++] = (uint32_t)j;
            d[i] = d0 + (int32_t)k;
        }
        rc = take_rec(dst->children[0], src->children[0], csel, total);
        delta_free(csel);
        if (rc)
            return rc;
        break;
    }
    case DT_STRUCT:
        for (uint32_t i = 0; i < dst->num_children; i++)
            if ((rc = take_rec(dst->children[i], src->children[i], sel, n)))
                return rc;
        break;
    default:
        switch (w) {
        case 1: GATHER(uint8_t); break;
        case 2: GATHER(uint16_t); break;
        case 4: GATHER(uint32_t); break;
        case 8: GATHER(uint64_t); break;
        default: {
            uint8_t *d = (uint8_t *)dst->values + (size_t)len * w;
            const uint8_t *s = src->values;
            for (int64_t i = 0; i < n; i++)
                memcpy(d + (size_t)i * w, s + (size_t)sel[i] * w, w);
        }
        }
        break;
    }
    dst->length += n;
    dst->null_count += nulls;
    return 0;
}

int dvec_append_take(dvec *dst, const dvec *src, const uint32_t *sel, int64_t n)
{
    int rc = check_same_type(dst, src, "dvec_append_take");
    if (rc)
        return rc;
    if (n < 0)
        return delta_error_set(DELTA_EINVAL, "dvec_append_take: negative count %lld", (long long)n);
    if (dst == src)
        return delta_error_set(DELTA_EINVAL, "dvec_append_take: source and destination are "
                                             "the same vector");
    for (int64_t i = 0; i < n; i++)
        if ((int64_t)sel[i] >= src->length)
            return delta_error_set(DELTA_EINVAL,
                                   "dvec_append_take: selection %lld is row %u of "
                                   "a vector of %lld rows",
                                   (long long)i, sel[i], (long long)src->length);
    int64_t old = dst->length;
    rc = take_rec(dst, src, sel, n);
    if (rc)
        truncate_to(dst, old);
    return rc;
}

/* ---- validation -------------------------------------------------------------- */

static int bad(const dbuf *path, const char *fmt, ...) DELTA_PRINTF(2, 3);
static int bad(const dbuf *path, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return delta_error_set(DELTA_ECORRUPT, "invalid vector%s%s: %s", path->len ? " at " : "",
                           dbuf_cstr(path), msg);
}

static int validate_rec(const dvec *v, bool utf8, dbuf *path)
{
    const dtype *t = v->type;
    if (!t)
        return bad(path, "no type");
    if (v->length < 0)
        return bad(path, "negative length %lld", (long long)v->length);
    if (v->null_count < 0 || v->null_count > v->length)
        return bad(path, "null_count %lld outside 0..%lld", (long long)v->null_count,
                   (long long)v->length);
    if (!v->release && v->type->id != DT_NULL && v->cap < v->length)
        return bad(path, "capacity %lld below length %lld", (long long)v->cap,
                   (long long)v->length);
    if (t->id == DT_NULL) {
        if (v->null_count != v->length)
            return bad(path, "null vector with null_count %lld != length %lld",
                       (long long)v->null_count, (long long)v->length);
        if (v->validity)
            return bad(path, "null vector with a validity bitmap");
        return 0;
    }
    int64_t nulls = v->validity ? v->length - dbits_count(v->validity, 0, v->length) : 0;
    if (nulls != v->null_count)
        return bad(path, "null_count %lld but the validity bitmap has %lld nulls",
                   (long long)v->null_count, (long long)nulls);
    uint32_t want_children = dtype_is_nested(t) ? t->num_fields : 0;
    if (v->num_children != want_children || (want_children && !v->children))
        return bad(path, "%u children for a type with %u", v->num_children, want_children);
    if ((dtype_byte_width(t) || t->id == DT_BOOL) && v->length > 0 && !v->values)
        return bad(path, "no values buffer");
    if (has_offsets(t)) {
        const int32_t *o = v->offsets;
        if (!o) {
            if (v->length > 0)
                return bad(path, "no offsets buffer");
        } else {
            if (o[0] != 0)
                return bad(path, "first offset is %d, not 0", (int)o[0]);
            for (int64_t i = 0; i < v->length; i++)
                if (o[i + 1] < o[i])
                    return bad(path, "offsets decrease at row %lld (%d after %d)", (long long)i,
                               (int)o[i + 1], (int)o[i]);
        }
        int64_t last = o ? o[v->length] : 0;
        if (dtype_is_variable(t)) {
            if (last != v->data_len)
                return bad(path, "last offset %lld != data length %lld", (long long)last,
                           (long long)v->data_len);
            if (v->data_len > 0 && !v->data)
                return bad(path, "no data buffer");
            if (!v->release && v->data_len > v->data_cap)
                return bad(path, "data length %lld above capacity %lld", (long long)v->data_len,
                           (long long)v->data_cap);
            if (utf8 && t->id == DT_STRING && v->data_len > 0) {
                int64_t at = dutf8_invalid_at(v->data, (size_t)v->data_len);
                if (at >= 0) {
                    int64_t row = 0;
                    while (row < v->length && o[row + 1] <= at)
                        row++;
                    return bad(path, "invalid UTF-8 in row %lld at byte %lld", (long long)row,
                               (long long)(at - o[row]));
                }
            }
        } else if (v->children[0]->length != last) {
            return bad(path, "child has %lld rows but the offsets end at %lld",
                       (long long)v->children[0]->length, (long long)last);
        }
    }
    for (uint32_t i = 0; i < v->num_children; i++) {
        const dvec *c = v->children[i];
        size_t mark = path->len;
        if (t->id == DT_STRUCT)
            dbuf_printf(path, "%s%s", mark ? "." : "", t->fields[i].name);
        else
            dbuf_puts(path, t->id == DT_MAP ? "{}" : "[]");
        int rc = 0;
        if (!c)
            rc = bad(path, "missing child");
        else if (c->type != t->fields[i].type && !dtype_equal(c->type, t->fields[i].type))
            rc = bad(path, "child type differs from the field type");
        else if (t->id == DT_STRUCT && c->length != v->length)
            rc = bad(path, "child has %lld rows, the struct %lld", (long long)c->length,
                     (long long)v->length);
        else if (t->id == DT_MAP &&
                 (c->null_count || (c->num_children && c->children[0]->null_count)))
            rc = bad(path, "map entries or keys contain nulls");
        else
            rc = validate_rec(c, utf8, path);
        path->len = mark;
        if (path->data)
            path->data[mark] = '\0';
        if (rc)
            return rc;
    }
    return 0;
}

int dvec_validate(const dvec *v, bool check_utf8)
{
    dbuf path = DBUF_INIT;
    int rc = validate_rec(v, check_utf8, &path);
    dbuf_free(&path);
    return rc;
}

/* ---- equality ------------------------------------------------------------------ */

static bool half_is_nan(uint16_t h)
{
    return (h & 0x7c00) == 0x7c00 && (h & 0x03ff);
}

static bool diff(const dvec *a, int64_t i, const dvec *b, int64_t j, dbuf *path, dbuf *why)
{
    if (why) {
        dbuf_printf(why, "%s: ", path->len ? dbuf_cstr(path) : "value");
        dvec_format_value(a, i, DFMT_JSON, why);
        dbuf_puts(why, " vs ");
        dvec_format_value(b, j, DFMT_JSON, why);
    }
    return false;
}

static bool value_equal(const dvec *a, int64_t i, const dvec *b, int64_t j, dbuf *path, dbuf *why)
{
    bool va = dvec_is_valid(a, i), vb = dvec_is_valid(b, j);
    if (va != vb)
        return diff(a, i, b, j, path, why);
    if (!va)
        return true;
    const dtype *t = a->type;
    size_t w = dtype_byte_width(t);
    switch (t->id) {
    case DT_BOOL:
        if (dbit_get(a->values, i) != dbit_get(b->values, j))
            return diff(a, i, b, j, path, why);
        return true;
    case DT_FLOAT32: {
        float x = ((const float *)a->values)[i], y = ((const float *)b->values)[j];
        if (x == y || (isnan(x) && isnan(y)))
            return true;
        return diff(a, i, b, j, path, why);
    }
    case DT_FLOAT64: {
        double x = dvec_f64(a)[i], y = dvec_f64(b)[j];
        if (x == y || (isnan(x) && isnan(y)))
            return true;
        return diff(a, i, b, j, path, why);
    }
    case DT_FLOAT16: {
        uint16_t x = ((const uint16_t *)a->values)[i], y = ((const uint16_t *)b->values)[j];
        if (x == y || (half_is_nan(x) && half_is_nan(y)) || ((x | y) & 0x7fff) == 0)
            return true;
        return diff(a, i, b, j, path, why);
    }
    case DT_STRING:
    case DT_BINARY: {
        size_t la, lb;
        const uint8_t *pa = dvec_bytes(a, i, &la), *pb = dvec_bytes(b, j, &lb);
        if (la != lb || (la && memcmp(pa, pb, la) != 0))
            return diff(a, i, b, j, path, why);
        return true;
    }
    case DT_STRUCT:
        for (uint32_t k = 0; k < a->num_children; k++) {
            size_t mark = path->len;
            dbuf_printf(path, "%s%s", mark ? "." : "", t->fields[k].name);
            bool eq = value_equal(a->children[k], i, b->children[k], j, path, why);
            path->len = mark;
            if (path->data)
                path->data[mark] = '\0';
            if (!eq)
                return false;
        }
        return true;
    case DT_LIST:
    case DT_MAP: {
        int32_t sa = a->offsets[i], na = a->offsets[i + 1] - sa;
        int32_t sb = b->offsets[j], nb = b->offsets[j + 1] - sb;
        if (na != nb)
            return diff(a, i, b, j, path, why);
        for (int32_t k = 0; k < na; k++) {
            size_t mark = path->len;
            dbuf_printf(path, "[%d]", (int)k);
            bool eq = value_equal(a->children[0], sa + k, b->children[0], sb + k, path, why);
            path->len = mark;
            if (path->data)
                path->data[mark] = '\0';
            if (!eq)
                return false;
        }
        return true;
    }
    default:
        if (w && memcmp((const uint8_t *)a->values + (size_t)i * w,
                        (const uint8_t *)b->values + (size_t)j * w, w) != 0)
            return diff(a, i, b, j, path, why);
        return true;
    }
}

bool dvec_equal(const dvec *a, const dvec *b, dbuf *why)
{
    if (!dtype_equal(a->type, b->type)) {
        if (why) {
            dbuf_puts(why, "types differ: ");
            dtype_format(a->type, why);
            dbuf_puts(why, " vs ");
            dtype_format(b->type, why);
        }
        return false;
    }
    if (a->length != b->length) {
        if (why)
            dbuf_printf(why, "lengths differ: %lld vs %lld", (long long)a->length,
                        (long long)b->length);
        return false;
    }
    dbuf path = DBUF_INIT;
    bool eq = true;
    for (int64_t r = 0; r < a->length && eq; r++) {
        path.len = 0;
        if (path.data)
            path.data[0] = '\0';
        if (a->type->id == DT_STRUCT && !a->validity && !b->validity) {
            /* batches: describe by column */
            for (uint32_t k = 0; k < a->num_children && eq; k++) {
                path.len = 0;
                dbuf_puts(&path, a->type->fields[k].name);
                if (why && !value_equal(a->children[k], r, b->children[k], r, &path, NULL)) {
                    dbuf_printf(why, "row %lld, ", (long long)r);
                    eq = value_equal(a->children[k], r, b->children[k], r, &path, why);
                } else if (!why) {
                    eq = value_equal(a->children[k], r, b->children[k], r, &path, NULL);
                }
            }
            continue;
        }
        if (why && !value_equal(a, r, b, r, &path, NULL)) {
            dbuf_printf(why, "row %lld, ", (long long)r);
            eq = value_equal(a, r, b, r, &path, why);
        } else if (!why) {
            eq = value_equal(a, r, b, r, &path, NULL);
        }
    }
    dbuf_free(&path);
    return eq;
}

/* ---- batches ---------------------------------------------------------------- */

int dbatch_new(dvec **out, const dtype *schema)
{
    *out = NULL;
    if (!schema || schema->id != DT_STRUCT)
        return delta_error_set(DELTA_EINVAL, "a batch schema must be a struct");
    return dvec_new(out, schema);
}

int dbatch_seal(dvec *b)
{
    if (b->type->id != DT_STRUCT)
        return wrong_type(b, "dbatch_seal");
    if (b->num_children == 0)
        return 0;
    int64_t n = b->children[0]->length;
    for (uint32_t i = 1; i < b->num_children; i++)
        if (b->children[i]->length != n)
            return delta_error_set(DELTA_EINVAL,
                                   "batch column '%s' has %lld rows but column "
                                   "'%s' has %lld",
                                   b->type->fields[i].name, (long long)b->children[i]->length,
                                   b->type->fields[0].name, (long long)n);
    int rc = grow_rows(b, n);
    if (rc)
        return rc;
    if (b->validity && n > b->length)
        dbits_fill(b->validity, b->length, n - b->length, true);
    b->length = n;
    b->null_count = count_nulls(b, n);
    return 0;
}

/* ---- streams ---------------------------------------------------------------- */

typedef struct batch_stream {
    dstream base;
    dtype *schema;
    dvec **batches;
    size_t n, next;
} batch_stream;

static int batch_stream_next(dstream *s, dvec **out)
{
    batch_stream *bs = (batch_stream *)s;
    *out = NULL;
    if (bs->next < bs->n) {
        *out = bs->batches[bs->next];
        bs->batches[bs->next++] = NULL;
    }
    return 0;
}

static void batch_stream_free(dstream *s)
{
    batch_stream *bs = (batch_stream *)s;
    for (size_t i = bs->next; i < bs->n; i++)
        dvec_unref(bs->batches[i]);
    delta_free(bs->batches);
    dtype_unref(bs->schema);
    delta_free(bs);
}

int dstream_from_batches(dstream **out, const dtype *schema, dvec **batches, size_t n)
{
    *out = NULL;
    int rc = 0;
    batch_stream *bs = NULL;
    if (!schema || schema->id != DT_STRUCT) {
        rc = delta_error_set(DELTA_EINVAL, "a stream schema must be a struct");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (!batches[i] || !dtype_equal(batches[i]->type, schema)) {
            rc = delta_error_set(DELTA_ETYPE, "batch %zu does not have the stream's schema", i);
            goto fail;
        }
    }
    bs = delta_calloc(1, sizeof *bs);
    if (!bs || !(bs->batches = delta_calloc(n ? n : 1, sizeof *bs->batches))) {
        rc = DELTA_ENOMEM;
        goto fail;
    }
    memcpy(bs->batches, batches, n * sizeof *batches);
    bs->n = n;
    bs->schema = dtype_ref(schema);
    bs->base.schema = bs->schema;
    bs->base.next = batch_stream_next;
    bs->base.free = batch_stream_free;
    *out = &bs->base;
    return 0;
fail:
    if (bs)
        delta_free(bs->batches);
    delta_free(bs);
    for (size_t i = 0; i < n; i++)
        dvec_unref(batches[i]);
    return rc;
}

int64_t dvec_payload_bytes(const dvec *v)
{
    int64_t n = v->length / 8 + 1 + v->data_len;
    if (v->offsets)
        n += (v->length + 1) * 4;
    n += v->length * (int64_t)dtype_byte_width(v->type);
    for (uint32_t i = 0; i < v->num_children; i++)
        n += dvec_payload_bytes(v->children[i]);
    return n;
}
