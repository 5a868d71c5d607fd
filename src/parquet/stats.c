/*
 * Writer-side column statistics (see stats.h for the orders and rules).
 *
 * pq_stats_update scans one batch for its own lowest and highest value with
 * a loop specialised per kind, then folds the two into the running bounds,
 * so byte bounds are copied at most twice per batch whatever its size.
 * Invariant: has_minmax is true exactly when min/max (or bmin/bmax) hold
 * the bounds of at least one ordered value.
 */
#include "parquet/stats.h"

#include "parquet/encoding_impl.h"

#include "core/alloc.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------ orders */

pq_sort_kind pq_sort_kind_for(const pq_schema_element *leaf)
{
    const pq_logical_type *lt = leaf->has_logical_type ? &leaf->logical_type : NULL;
    int32_t ct = leaf->has_converted_type ? leaf->converted_type : -1;
    switch (leaf->type) {
    case PQ_TYPE_BOOLEAN:
        return PQ_SORT_BOOL;
    case PQ_TYPE_INT32:
        if (lt && lt->kind == PQ_LT_INTEGER)
            return lt->is_signed ? PQ_SORT_INT32 : PQ_SORT_UINT32;
        if (ct == PQ_CT_UINT_8 || ct == PQ_CT_UINT_16 || ct == PQ_CT_UINT_32)
            return PQ_SORT_UINT32;
        return PQ_SORT_INT32;
    case PQ_TYPE_INT64:
        if (lt && lt->kind == PQ_LT_INTEGER)
            return lt->is_signed ? PQ_SORT_INT64 : PQ_SORT_UINT64;
        if (ct == PQ_CT_UINT_64)
            return PQ_SORT_UINT64;
        return PQ_SORT_INT64;
    case PQ_TYPE_FLOAT:
        return PQ_SORT_FLOAT;
    case PQ_TYPE_DOUBLE:
        return PQ_SORT_DOUBLE;
    case PQ_TYPE_BYTE_ARRAY:
    case PQ_TYPE_FIXED_LEN_BYTE_ARRAY:
        if (lt) {
            switch (lt->kind) {
            case PQ_LT_DECIMAL:
                return PQ_SORT_DECIMAL_BE;
            case PQ_LT_FLOAT16:
                return leaf->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY && leaf->type_length == 2
                           ? PQ_SORT_FLOAT16
                           : PQ_SORT_NONE;
            case PQ_LT_GEOMETRY:
            case PQ_LT_GEOGRAPHY:
            case PQ_LT_VARIANT:
                return PQ_SORT_NONE;
            default:
                break;
            }
        }
        if (ct == PQ_CT_DECIMAL)
            return PQ_SORT_DECIMAL_BE;
        if (ct == PQ_CT_INTERVAL)
            return PQ_SORT_NONE;
        return PQ_SORT_BYTES;
    default:
        return PQ_SORT_NONE; /* INT96 */
    }
}

bool pq_leaf_is_utf8(const pq_schema_element *leaf)
{
    if (leaf->type != PQ_TYPE_BYTE_ARRAY)
        return false;
    if (leaf->has_logical_type) {
        int32_t k = leaf->logical_type.kind;
        if (k == PQ_LT_STRING || k == PQ_LT_ENUM || k == PQ_LT_JSON)
            return true;
    }
    if (leaf->has_converted_type) {
        int32_t c = leaf->converted_type;
        return c == PQ_CT_UTF8 || c == PQ_CT_ENUM || c == PQ_CT_JSON;
    }
    return false;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int e = -1;
            do {
                man <<= 1;
                e++;
            } while (!(man & 0x400));
            man &= 0x3ff;
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | (man << 13);
        }
    } else if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static int cmp_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* Signed big-endian two's complement integers of any lengths. */
static int cmp_decimal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    bool aneg = alen && (a[0] & 0x80), bneg = blen && (b[0] & 0x80);
    if (aneg != bneg)
        return aneg ? -1 : 1;
    uint8_t ext = aneg ? 0xff : 0x00;
    size_t n = alen > blen ? alen : blen;
    for (size_t i = 0; i < n; i++) {
        /* byte i of the sign-extended n-byte forms */
        uint8_t x = i + alen >= n ? a[i + alen - n] : ext;
        uint8_t y = i + blen >= n ? b[i + blen - n] : ext;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

#define CMP3(x, y) ((x) < (y) ? -1 : (x) > (y))

int pq_stats_compare(pq_sort_kind kind, const uint8_t *a, size_t alen, const uint8_t *b,
                     size_t blen)
{
    switch (kind) {
    case PQ_SORT_BOOL:
        return CMP3(alen ? a[0] : 0, blen ? b[0] : 0);
    case PQ_SORT_INT32:
        if (alen >= 4 && blen >= 4)
            return CMP3((int32_t)pq_ld32(a), (int32_t)pq_ld32(b));
        break;
    case PQ_SORT_UINT32:
        if (alen >= 4 && blen >= 4)
            return CMP3(pq_ld32(a), pq_ld32(b));
        break;
    case PQ_SORT_INT64:
        if (alen >= 8 && blen >= 8)
            return CMP3((int64_t)pq_ld64(a), (int64_t)pq_ld64(b));
        break;
    case PQ_SORT_UINT64:
        if (alen >= 8 && blen >= 8)
            return CMP3(pq_ld64(a), pq_ld64(b));
        break;
    case PQ_SORT_FLOAT:
        if (alen >= 4 && blen >= 4) {
            uint32_t x = pq_ld32(a), y = pq_ld32(b);
            float fx, fy;
            memcpy(&fx, &x, 4);
            memcpy(&fy, &y, 4);
            return CMP3(fx, fy);
        }
        break;
    case PQ_SORT_DOUBLE:
        if (alen >= 8 && blen >= 8) {
            uint64_t x = pq_ld64(a), y = pq_ld64(b);
            double dx, dy;
            memcpy(&dx, &x, 8);
            memcpy(&dy, &y, 8);
            return CMP3(dx, dy);
        }
        break;
    case PQ_SORT_FLOAT16:
        if (alen >= 2 && blen >= 2) {
            float fx = half_to_float((uint16_t)(a[0] | a[1] << 8));
            float fy = half_to_float((uint16_t)(b[0] | b[1] << 8));
            return CMP3(fx, fy);
        }
        break;
    case PQ_SORT_DECIMAL_BE:
        return cmp_decimal(a, alen, b, blen);
    case PQ_SORT_BYTES:
        return cmp_bytes(a, alen, b, blen);
    default:
        break;
    }
    return 0;
}

/* ------------------------------------------------------------ state */

void pq_stats_init(pq_stats *s, const pq_schema_element *leaf)
{
    memset(s, 0, sizeof *s);
    s->kind = pq_sort_kind_for(leaf);
    s->physical_type = leaf->type;
    s->width = leaf->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY ? (size_t)leaf->type_length
               : leaf->type == PQ_TYPE_INT96                ? 12
                                                             : 0;
    s->utf8 = pq_leaf_is_utf8(leaf);
}

void pq_stats_reset(pq_stats *s)
{
    s->has_minmax = false;
    s->null_count = 0;
    s->num_values = 0;
    s->min.u = s->max.u = 0;
    dbuf_reset(&s->bmin);
    dbuf_reset(&s->bmax);
}

void pq_stats_free(pq_stats *s)
{
    dbuf_free(&s->bmin);
    dbuf_free(&s->bmax);
    dbuf_free(&s->tmin);
    dbuf_free(&s->tmax);
}

static int set_buf(dbuf *b, const uint8_t *p, size_t n)
{
    dbuf_reset(b);
    if (dbuf_reserve(b, n + 1))
        return b->err;
    return dbuf_append(b, p, n);
}

/* Folds one candidate byte range into the byte bounds. */
static int fold_bytes(pq_stats *s, const uint8_t *lo, size_t lolen, const uint8_t *hi,
                      size_t hilen)
{
    int rc = 0;
    if (!s->has_minmax) {
        if ((rc = set_buf(&s->bmin, lo, lolen)) || (rc = set_buf(&s->bmax, hi, hilen)))
            return rc;
        s->has_minmax = true;
        return 0;
    }
    if (pq_stats_compare(s->kind, lo, lolen, s->bmin.data, s->bmin.len) < 0)
        rc = set_buf(&s->bmin, lo, lolen);
    if (!rc && pq_stats_compare(s->kind, hi, hilen, s->bmax.data, s->bmax.len) > 0)
        rc = set_buf(&s->bmax, hi, hilen);
    return rc;
}

#define FOLD_NUM(field, lo, hi)                                                                \
    do {                                                                                       \
        if (!s->has_minmax) {                                                                  \
            s->min.field = (lo);                                                               \
            s->max.field = (hi);                                                               \
            s->has_minmax = true;                                                              \
        } else {                                                                               \
            if ((lo) < s->min.field)                                                           \
                s->min.field = (lo);                                                           \
            if ((hi) > s->max.field)                                                           \
                s->max.field = (hi);                                                           \
        }                                                                                      \
    } while (0)

#define SCAN_MINMAX(T, LOAD)                                                                   \
    T lo = LOAD(0), hi = lo;                                                                   \
    for (size_t i = 1; i < n; i++) {                                                           \
        T v = LOAD(i);                                                                         \
        lo = v < lo ? v : lo;                                                                  \
        hi = v > hi ? v : hi;                                                                  \
    }

int pq_stats_update(pq_stats *s, const void *values, const int32_t *offsets, size_t n)
{
    if (n == 0)
        return 0;
    s->num_values += (int64_t)n;
    const uint8_t *p = values;
    switch (s->kind) {
    case PQ_SORT_BOOL: {
        uint8_t lo = 1, hi = 0;
        for (size_t i = 0; i < n; i++) {
            uint8_t v = p[i] != 0;
            lo &= v;
            hi |= v;
        }
        FOLD_NUM(i, (int64_t)lo, (int64_t)hi);
        return 0;
    }
    case PQ_SORT_INT32: {
        const int32_t *v32 = values;
#define L(i) v32[i]
        SCAN_MINMAX(int32_t, L)
#undef L
        FOLD_NUM(i, (int64_t)lo, (int64_t)hi);
        return 0;
    }
    case PQ_SORT_UINT32: {
        const uint32_t *u32 = values;
#define L(i) u32[i]
        SCAN_MINMAX(uint32_t, L)
#undef L
        FOLD_NUM(u, (uint64_t)lo, (uint64_t)hi);
        return 0;
    }
    case PQ_SORT_INT64: {
        const int64_t *v64 = values;
#define L(i) v64[i]
        SCAN_MINMAX(int64_t, L)
#undef L
        FOLD_NUM(i, lo, hi);
        return 0;
    }
    case PQ_SORT_UINT64: {
        const uint64_t *u64 = values;
#define L(i) u64[i]
        SCAN_MINMAX(uint64_t, L)
#undef L
        FOLD_NUM(u, lo, hi);
        return 0;
    }
    case PQ_SORT_FLOAT:
    case PQ_SORT_DOUBLE: {
        double lo = INFINITY, hi = -INFINITY;
        if (s->kind == PQ_SORT_FLOAT) {
            const float *f = values;
            float flo = INFINITY, fhi = -INFINITY;
            for (size_t i = 0; i < n; i++) { /* NaN fails both tests */
                flo = f[i] < flo ? f[i] : flo;
                fhi = f[i] > fhi ? f[i] : fhi;
            }
            lo = flo;
            hi = fhi;
        } else {
            const double *d = values;
            for (size_t i = 0; i < n; i++) {
                lo = d[i] < lo ? d[i] : lo;
                hi = d[i] > hi ? d[i] : hi;
            }
        }
        if (lo <= hi)
            FOLD_NUM(d, lo, hi);
        return 0;
    }
    case PQ_SORT_FLOAT16: {
        size_t ilo = SIZE_MAX, ihi = SIZE_MAX;
        float lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            float f = half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
            if (f != f)
                continue; /* NaN */
            if (ilo == SIZE_MAX) {
                lo = hi = f;
                ilo = ihi = i;
                continue;
            }
            if (f < lo) {
                lo = f;
                ilo = i;
            }
            if (f > hi) {
                hi = f;
                ihi = i;
            }
        }
        if (ilo == SIZE_MAX)
            return 0;
        return fold_bytes(s, p + 2 * ilo, 2, p + 2 * ihi, 2);
    }
    case PQ_SORT_BYTES:
    case PQ_SORT_DECIMAL_BE: {
        size_t ilo = 0, ihi = 0;
        if (offsets) {
            const uint8_t *lo = p + offsets[0], *hi = lo;
            size_t lolen = (size_t)(offsets[1] - offsets[0]), hilen = lolen;
            for (size_t i = 1; i < n; i++) {
                const uint8_t *v = p + offsets[i];
                size_t len = (size_t)(offsets[i + 1] - offsets[i]);
                if (pq_stats_compare(s->kind, v, len, lo, lolen) < 0) {
                    lo = v;
                    lolen = len;
                } else if (pq_stats_compare(s->kind, v, len, hi, hilen) > 0) {
                    hi = v;
                    hilen = len;
                }
            }
            return fold_bytes(s, lo, lolen, hi, hilen);
        }
        size_t w = s->width;
        for (size_t i = 1; i < n; i++) {
            const uint8_t *v = p + i * w;
            if (pq_stats_compare(s->kind, v, w, p + ilo * w, w) < 0)
                ilo = i;
            else if (pq_stats_compare(s->kind, v, w, p + ihi * w, w) > 0)
                ihi = i;
        }
        return fold_bytes(s, p + ilo * w, w, p + ihi * w, w);
    }
    default:
        return 0;
    }
}

int pq_stats_merge(pq_stats *dst, const pq_stats *src)
{
    dst->null_count += src->null_count;
    dst->num_values += src->num_values;
    if (!src->has_minmax)
        return 0;
    switch (dst->kind) {
    case PQ_SORT_BOOL:
    case PQ_SORT_INT32:
    case PQ_SORT_INT64: {
        pq_stats *s = dst;
        FOLD_NUM(i, src->min.i, src->max.i);
        return 0;
    }
    case PQ_SORT_UINT32:
    case PQ_SORT_UINT64: {
        pq_stats *s = dst;
        FOLD_NUM(u, src->min.u, src->max.u);
        return 0;
    }
    case PQ_SORT_FLOAT:
    case PQ_SORT_DOUBLE: {
        pq_stats *s = dst;
        FOLD_NUM(d, src->min.d, src->max.d);
        return 0;
    }
    case PQ_SORT_FLOAT16:
    case PQ_SORT_BYTES:
    case PQ_SORT_DECIMAL_BE:
        return fold_bytes(dst, src->bmin.data, src->bmin.len, src->bmax.data, src->bmax.len);
    default:
        return 0;
    }
}

/* ------------------------------------------------------------ truncation */

bool pq_truncate_min(const uint8_t *v, size_t len, size_t limit, bool utf8, dbuf *out)
{
    dbuf_reset(out);
    if (len <= limit) {
        dbuf_append(out, v, len);
        return false;
    }
    size_t cut = limit;
    if (utf8)
        while (cut > 0 && (v[cut] & 0xc0) == 0x80)
            cut--;
    dbuf_append(out, v, cut);
    return true;
}

bool pq_truncate_max(const uint8_t *v, size_t len, size_t limit, bool utf8, dbuf *out)
{
    dbuf_reset(out);
    if (len > limit) {
        size_t cut = limit;
        if (utf8)
            while (cut > 0 && (v[cut] & 0xc0) == 0x80)
                cut--;
        for (size_t k = cut; k > 0; k--) {
            uint8_t b = v[k - 1];
            bool ok = utf8 ? b < 0x7f : b != 0xff;
            if (ok) {
                dbuf_append(out, v, k - 1);
                dbuf_putc(out, (uint8_t)(b + 1));
                return true;
            }
        }
    }
    dbuf_append(out, v, len);
    return false;
}

/* ------------------------------------------------------------ export */

static void put_num(pq_stats *s, uint8_t *dst, size_t *len, bool is_min)
{
    const bool m = is_min;
    switch (s->kind) {
    case PQ_SORT_BOOL:
        dst[0] = (uint8_t)(m ? s->min.i : s->max.i);
        *len = 1;
        break;
    case PQ_SORT_INT32:
        pq_st32(dst, (uint32_t)(int32_t)(m ? s->min.i : s->max.i));
        *len = 4;
        break;
    case PQ_SORT_UINT32:
        pq_st32(dst, (uint32_t)(m ? s->min.u : s->max.u));
        *len = 4;
        break;
    case PQ_SORT_INT64:
        pq_st64(dst, (uint64_t)(m ? s->min.i : s->max.i));
        *len = 8;
        break;
    case PQ_SORT_UINT64:
        pq_st64(dst, m ? s->min.u : s->max.u);
        *len = 8;
        break;
    case PQ_SORT_FLOAT: {
        float f = (float)(m ? s->min.d : s->max.d);
        if (f == 0.0f)
            f = m ? -0.0f : 0.0f;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        pq_st32(dst, bits);
        *len = 4;
        break;
    }
    case PQ_SORT_DOUBLE: {
        double d = m ? s->min.d : s->max.d;
        if (d == 0.0)
            d = m ? -0.0 : 0.0;
        uint64_t bits;
        memcpy(&bits, &d, 8);
        pq_st64(dst, bits);
        *len = 8;
        break;
    }
    default:
        *len = 0;
        break;
    }
}

int pq_stats_export(pq_stats *s, size_t truncate_len, pq_statistics *out)
{
    memset(out, 0, sizeof *out);
    out->null_count = s->null_count;
    out->has_null_count = true;
    if (!s->has_minmax || s->kind == PQ_SORT_NONE)
        return 0;
    bool min_exact = true, max_exact = true;
    switch (s->kind) {
    case PQ_SORT_FLOAT16: {
        uint8_t *lo = s->emin, *hi = s->emax;
        memcpy(lo, s->bmin.data, 2);
        memcpy(hi, s->bmax.data, 2);
        if ((lo[0] | (lo[1] & 0x7f)) == 0) { /* zero minimum: -0 */
            lo[0] = 0;
            lo[1] = 0x80;
        }
        if ((hi[0] | (hi[1] & 0x7f)) == 0) {
            hi[0] = 0;
            hi[1] = 0;
        }
        out->min_value = (pq_bin){lo, 2};
        out->max_value = (pq_bin){hi, 2};
        break;
    }
    case PQ_SORT_BYTES:
        if (truncate_len) {
            min_exact = !pq_truncate_min(s->bmin.data, s->bmin.len, truncate_len, s->utf8,
                                         &s->tmin);
            max_exact = !pq_truncate_max(s->bmax.data, s->bmax.len, truncate_len, s->utf8,
                                         &s->tmax);
            if (s->tmin.err || s->tmax.err) {
                int rc = s->tmin.err ? s->tmin.err : s->tmax.err;
                dbuf_reset(&s->tmin);
                dbuf_reset(&s->tmax);
                return rc;
            }
            out->min_value = (pq_bin){s->tmin.data, s->tmin.len};
            out->max_value = (pq_bin){s->tmax.data, s->tmax.len};
            break;
        }
        /* fall through */
    case PQ_SORT_DECIMAL_BE:
        out->min_value = (pq_bin){s->bmin.data, s->bmin.len};
        out->max_value = (pq_bin){s->bmax.data, s->bmax.len};
        break;
    default: {
        size_t l1, l2;
        put_num(s, s->emin, &l1, true);
        put_num(s, s->emax, &l2, false);
        out->min_value = (pq_bin){s->emin, l1};
        out->max_value = (pq_bin){s->emax, l2};
        if (s->kind != PQ_SORT_UINT32 && s->kind != PQ_SORT_UINT64) {
            out->min = out->min_value;
            out->max = out->max_value;
            out->has_min = out->has_max = true;
        }
        break;
    }
    }
    /* An empty binary from a NULL buffer still needs a valid pointer. */
    if (!out->min_value.ptr)
        out->min_value.ptr = s->emin;
    if (!out->max_value.ptr)
        out->max_value.ptr = s->emax;
    out->has_min_value = out->has_max_value = true;
    out->is_min_value_exact = min_exact;
    out->is_max_value_exact = max_exact;
    out->has_is_min_value_exact = out->has_is_max_value_exact = true;
    return 0;
}
