/*
 * PLAIN encoding (Parquet PLAIN = 0), the pq_bytes_out value buffer,
 * dictionary gathers and BYTE_STREAM_SPLIT (= 9).
 *
 * Fixed-width numbers are little-endian in the file, so on little-endian
 * hosts decoding and encoding them is one memcpy after the length check.
 * BYTE_ARRAY decoding reserves the output once (the data can never exceed
 * the input) and then copies value by value with no further growth checks.
 *
 * pq_bytes_out invariant: once offsets is allocated it holds count+1
 * entries, offsets[0] == 0, offsets[count] == data.len <= INT32_MAX, and
 * offsets never decrease. Decoders that fail restore count and data.len.
 */
#include "parquet/encoding.h"

#include "parquet/encoding_impl.h"

#include "core/alloc.h"

#include <inttypes.h>
#include <string.h>

/* ---------------------------------------------------------- pq_bytes_out */

int pq_bytes_reserve(pq_bytes_out *b, size_t values, size_t bytes)
{
    if (values > SIZE_MAX / sizeof(int32_t) - b->count - 2)
        return delta_error_oom();
    size_t need = b->count + 1 + values;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
            cap = cap > SIZE_MAX / 8 ? need : cap * 2;
        int32_t *o = delta_reallocarray(b->offsets, cap, sizeof *o);
        if (!o)
            return DELTA_ENOMEM;
        if (!b->offsets)
            o[0] = 0;
        b->offsets = o;
        b->cap = cap;
    }
    if (bytes && dbuf_reserve(&b->data, bytes)) {
        int rc = b->data.err;
        b->data.err = 0; /* the buffer is intact; let the caller retry */
        return rc;
    }
    return 0;
}

int pq_bytes_append(pq_bytes_out *b, const void *p, size_t len)
{
    if (len > (size_t)INT32_MAX - b->data.len)
        return delta_error_set(DELTA_ERANGE,
                               "byte array values exceed %d bytes in one column batch",
                               INT32_MAX);
    int rc = pq_bytes_reserve(b, 1, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data.data + b->data.len, p, len);
    b->offsets[b->count + 1] = (int32_t)(b->data.len + len);
    pq_bytes_commit(b, 1, b->data.len + len);
    return 0;
}

void pq_bytes_reset(pq_bytes_out *b)
{
    b->count = 0;
    dbuf_reset(&b->data);
}

void pq_bytes_free(pq_bytes_out *b)
{
    delta_free(b->offsets);
    dbuf_free(&b->data);
    b->offsets = NULL;
    b->count = b->cap = 0;
}

/* ------------------------------------------------------------- booleans */

int pq_plain_decode_bool(const uint8_t *src, size_t len, size_t n, uint8_t *out,
                         size_t *consumed)
{
    size_t need = n / 8 + (n % 8 != 0);
    if (need > len)
        return delta_error_set(DELTA_ECORRUPT,
                               "PLAIN BOOLEAN: %zu values need %zu bytes, %zu present", n,
                               need, len);
    size_t full = n / 8;
    for (size_t i = 0; i < full; i++) {
        uint8_t b = src[i];
        uint8_t *o = out + 8 * i;
        o[0] = b & 1;
        o[1] = (b >> 1) & 1;
        o[2] = (b >> 2) & 1;
        o[3] = (b >> 3) & 1;
        o[4] = (b >> 4) & 1;
        o[5] = (b >> 5) & 1;
        o[6] = (b >> 6) & 1;
        o[7] = (uint8_t)(b >> 7);
    }
    for (size_t i = full * 8; i < n; i++)
        out[i] = (src[i / 8] >> (i % 8)) & 1;
    if (consumed)
        *consumed = need;
    return 0;
}

int pq_plain_encode_bool(dbuf *out, const uint8_t *values, size_t n)
{
    size_t bytes = n / 8 + (n % 8 != 0);
    uint8_t *dst = dbuf_grow(out, bytes);
    if (!dst)
        return out->err;
    size_t full = n / 8;
    for (size_t i = 0; i < full; i++) {
        const uint8_t *v = values + 8 * i;
        dst[i] = (uint8_t)((v[0] != 0) | (v[1] != 0) << 1 | (v[2] != 0) << 2 |
                           (v[3] != 0) << 3 | (v[4] != 0) << 4 | (v[5] != 0) << 5 |
                           (v[6] != 0) << 6 | (v[7] != 0) << 7);
    }
    for (size_t i = full * 8; i < n; i++)
        if (values[i])
            dst[i / 8] |= (uint8_t)(1u << (i % 8));
    return out->err;
}

/* ------------------------------------------------------ fixed-width types */

static int fixed_check(const char *what, size_t len, size_t n, size_t width)
{
    if (width && n > SIZE_MAX / width)
        return delta_error_set(DELTA_ECORRUPT, "PLAIN %s: %zu values overflow", what, n);
    if (n * width > len)
        return delta_error_set(DELTA_ECORRUPT,
                               "PLAIN %s: %zu values of %zu bytes need %zu bytes, %zu present",
                               what, n, width, n * width, len);
    return 0;
}

static int decode_le(const char *what, const uint8_t *src, size_t len, size_t n,
                     size_t width, void *out)
{
    int rc = fixed_check(what, len, n, width);
    if (rc)
        return rc;
    if (n == 0)
        return 0;
#if PQ_BIG_ENDIAN
    if (width == 4) {
        uint32_t *o = out;
        for (size_t i = 0; i < n; i++)
            o[i] = pq_ld32(src + 4 * i);
        return 0;
    }
    uint64_t *o = out;
    for (size_t i = 0; i < n; i++)
        o[i] = pq_ld64(src + 8 * i);
#else
    memcpy(out, src, n * width);
#endif
    return 0;
}

static int encode_le(dbuf *out, const void *values, size_t n, size_t width)
{
    if (n > SIZE_MAX / width)
        return out->err = delta_error_oom();
    uint8_t *dst = dbuf_grow(out, n * width);
    if (!dst || n == 0)
        return out->err;
#if PQ_BIG_ENDIAN
    if (width == 4) {
        const uint32_t *v = values;
        for (size_t i = 0; i < n; i++)
            pq_st32(dst + 4 * i, v[i]);
        return 0;
    }
    const uint64_t *v = values;
    for (size_t i = 0; i < n; i++)
        pq_st64(dst + 8 * i, v[i]);
#else
    memcpy(dst, values, n * width);
#endif
    return 0;
}

int pq_plain_decode_int32(const uint8_t *src, size_t len, size_t n, int32_t *out)
{
    return decode_le("INT32", src, len, n, 4, out);
}

int pq_plain_decode_int64(const uint8_t *src, size_t len, size_t n, int64_t *out)
{
    return decode_le("INT64", src, len, n, 8, out);
}

int pq_plain_decode_float(const uint8_t *src, size_t len, size_t n, float *out)
{
    return decode_le("FLOAT", src, len, n, 4, out);
}

int pq_plain_decode_double(const uint8_t *src, size_t len, size_t n, double *out)
{
    return decode_le("DOUBLE", src, len, n, 8, out);
}

int pq_plain_encode_int32(dbuf *out, const int32_t *values, size_t n)
{
    return encode_le(out, values, n, 4);
}

int pq_plain_encode_int64(dbuf *out, const int64_t *values, size_t n)
{
    return encode_le(out, values, n, 8);
}

int pq_plain_encode_float(dbuf *out, const float *values, size_t n)
{
    return encode_le(out, values, n, 4);
}

int pq_plain_encode_double(dbuf *out, const double *values, size_t n)
{
    return encode_le(out, values, n, 8);
}

int pq_plain_decode_fixed(const uint8_t *src, size_t len, size_t n, size_t width, void *out)
{
    if (width == 0)
        return delta_error_set(DELTA_EINVAL, "PLAIN FIXED_LEN_BYTE_ARRAY: width 0");
    int rc = fixed_check(width == 12 ? "INT96" : "FIXED_LEN_BYTE_ARRAY", len, n, width);
    if (rc)
        return rc;
    if (n)
        memcpy(out, src, n * width);
    return 0;
}

int pq_plain_encode_fixed(dbuf *out, const void *values, size_t n, size_t width)
{
    if (width && n > SIZE_MAX / width)
        return out->err = delta_error_oom();
    return dbuf_append(out, values, n * width);
}

/* ------------------------------------------------------------ BYTE_ARRAY */

int pq_plain_decode_byte_array(const uint8_t *src, size_t len, size_t n, pq_bytes_out *out,
                               size_t *consumed)
{
    if (n > len / 4)
        return delta_error_set(DELTA_ECORRUPT,
                               "PLAIN BYTE_ARRAY: %zu values need at least %zu bytes, "
                               "%zu present",
                               n, n > SIZE_MAX / 4 ? SIZE_MAX : 4 * n, len);
    /* The values' bytes are at most what the input holds besides lengths;
     * the loop keeps 4 bytes for each later value, so that bound holds.
     * 16 bytes of slack let short values be copied as one 16-byte move. */
    int rc = pq_bytes_reserve(out, n, len - 4 * n + 16);
    if (rc)
        return rc;
    const uint8_t *p = src, *end = src + len;
    size_t base = out->data.len, off = base;
    int32_t *offs = out->offsets + out->count + 1;
    uint8_t *dst = out->data.data;
    for (size_t i = 0; i < n; i++) {
        size_t left = (size_t)(end - p), later = 4 * (n - 1 - i);
        if (left < 4 + later) {
            rc = delta_error_set(DELTA_ECORRUPT,
                                 "PLAIN BYTE_ARRAY: value %zu of %zu: length truncated "
                                 "at offset %zu",
                                 i, n, (size_t)(p - src));
            goto fail;
        }
        uint32_t l = pq_ld32(p);
        p += 4;
        left -= 4;
        if (l > left - later) {
            rc = delta_error_set(DELTA_ECORRUPT,
                                 "PLAIN BYTE_ARRAY: value %zu of %zu: length %" PRIu32
                                 " exceeds the %zu bytes left at offset %zu",
                                 i, n, l, left - later, (size_t)(p - 4 - src));
            goto fail;
        }
        if (l > (size_t)INT32_MAX - off) {
            rc = pq_bytes_range_error("PLAIN BYTE_ARRAY", off, l);
            goto fail;
        }
        if (l <= 16 && left >= 16)
            memcpy(dst + off, p, 16); /* fixed size: no call, no branch */
        else if (l)
            memcpy(dst + off, p, l);
        p += l;
        off += l;
        offs[i] = (int32_t)off;
    }
    pq_bytes_commit(out, n, off);
    if (consumed)
        *consumed = (size_t)(p - src);
    return 0;
fail:
    if (dst)
        dst[base] = '\0';
    return rc;
}

int pq_plain_scan_byte_array(const uint8_t *src, size_t len, size_t n, pq_bytes_view *out,
                             size_t *consumed)
{
    const uint8_t *p = src, *end = src + len;
    for (size_t i = 0; i < n; i++) {
        if (end - p < 4)
            return delta_error_set(DELTA_ECORRUPT,
                                   "PLAIN BYTE_ARRAY: value %zu of %zu: length truncated "
                                   "at offset %zu",
                                   i, n, (size_t)(p - src));
        uint32_t l = pq_ld32(p);
        p += 4;
        if (l > (size_t)(end - p))
            return delta_error_set(DELTA_ECORRUPT,
                                   "PLAIN BYTE_ARRAY: value %zu of %zu: length %" PRIu32
                                   " exceeds the %zu bytes left at offset %zu",
                                   i, n, l, (size_t)(end - p), (size_t)(p - 4 - src));
        out[i].ptr = p;
        out[i].len = l;
        p += l;
    }
    if (consumed)
        *consumed = (size_t)(p - src);
    return 0;
}

int pq_plain_encode_byte_array(dbuf *out, const int32_t *offsets, const uint8_t *data,
                               size_t n)
{
    if (n == 0)
        return out->err;
    if (offsets[0] < 0 || offsets[n] < offsets[0])
        return delta_error_set(DELTA_EINVAL, "PLAIN BYTE_ARRAY: invalid offsets");
    size_t total = (size_t)(offsets[n] - offsets[0]);
    if (n > (SIZE_MAX - total) / 4)
        return out->err = delta_error_oom();
    if (dbuf_reserve(out, total + 4 * n))
        return out->err;
    uint8_t *dst = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        int32_t a = offsets[i], b = offsets[i + 1];
        if (b < a) {
            out->data[out->len] = '\0';
            return delta_error_set(DELTA_EINVAL,
                                   "PLAIN BYTE_ARRAY: offsets decrease at value %zu", i);
        }
        uint32_t l = (uint32_t)(b - a);
        pq_st32(dst, l);
        memcpy(dst + 4, data + a, l);
        dst += 4 + (size_t)l;
    }
    out->len = (size_t)(dst - out->data);
    out->data[out->len] = '\0';
    return 0;
}

/* ----------------------------------------------------------------- INT96 */

#define PQ_JULIAN_UNIX_EPOCH 2440588
#define PQ_NANOS_PER_DAY INT64_C(86400000000000)

int pq_int96_to_nanos(const uint8_t v[12], int64_t *out)
{
    int64_t nanos = (int64_t)pq_ld64(v);
    int64_t days = (int64_t)pq_ld32(v + 8) - PQ_JULIAN_UNIX_EPOCH;
    int64_t r;
    /* Near INT64_MIN the day alone overflows although the sum fits: then
     * count one day less and take it back from the nanoseconds. */
    bool over = __builtin_mul_overflow(days, PQ_NANOS_PER_DAY, &r) ||
                __builtin_add_overflow(r, nanos, &r);
    if (over && days < 0 && nanos > 0)
        over = __builtin_mul_overflow(days + 1, PQ_NANOS_PER_DAY, &r) ||
               __builtin_add_overflow(r, nanos - PQ_NANOS_PER_DAY, &r);
    if (over)
        return delta_error_set(DELTA_ERANGE,
                               "INT96 timestamp (Julian day %" PRIu32 ") is outside the "
                               "int64 nanosecond range",
                               pq_ld32(v + 8));
    *out = r;
    return 0;
}

void pq_nanos_to_int96(int64_t nanos, uint8_t v[12])
{
    int64_t days = nanos / PQ_NANOS_PER_DAY, rem = nanos % PQ_NANOS_PER_DAY;
    if (rem < 0) {
        rem += PQ_NANOS_PER_DAY;
        days--;
    }
    pq_st64(v, (uint64_t)rem);
    pq_st32(v + 8, (uint32_t)(days + PQ_JULIAN_UNIX_EPOCH));
}

/* ------------------------------------------------------ dictionary gather */

static int bad_index(const uint32_t *idx, size_t n, size_t dict_count)
{
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= dict_count)
            return delta_error_set(DELTA_ECORRUPT,
                                   "dictionary index %" PRIu32 " out of range at value %zu "
                                   "(dictionary has %zu entries)",
                                   idx[i], i, dict_count);
    return 0;
}

/* Largest index, in a loop the compiler vectorises. */
static uint32_t max_index(const uint32_t *idx, size_t n)
{
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++)
        m = idx[i] > m ? idx[i] : m;
    return m;
}

int pq_dict_gather(const void *dict, size_t dict_count, size_t width, const uint32_t *idx,
                   size_t n, void *out)
{
    if (n == 0)
        return 0;
    if (max_index(idx, n) >= dict_count)
        return bad_index(idx, n, dict_count);
    const uint8_t *d = dict;
    uint8_t *o = out;
    switch (width) {
    case 4: {
        for (size_t i = 0; i < n; i++)
            memcpy(o + 4 * i, d + 4 * (size_t)idx[i], 4);
        break;
    }
    case 8: {
        for (size_t i = 0; i < n; i++)
            memcpy(o + 8 * i, d + 8 * (size_t)idx[i], 8);
        break;
    }
    case 12: {
        for (size_t i = 0; i < n; i++)
            memcpy(o + 12 * i, d + 12 * (size_t)idx[i], 12);
        break;
    }
    case 16: {
        for (size_t i = 0; i < n; i++)
            memcpy(o + 16 * i, d + 16 * (size_t)idx[i], 16);
        break;
    }
    default:
        for (size_t i = 0; i < n; i++)
            memcpy(o + width * i, d + width * (size_t)idx[i], width);
    }
    return 0;
}

static inline int gather_bytes(const pq_bytes_view *dict, size_t dict_count, const uint32_t *idx,
                               size_t n, pq_bytes_out *out, bool padded)
{
    if (n == 0)
        return pq_bytes_reserve(out, 0, 0);
    if (max_index(idx, n) >= dict_count)
        return bad_index(idx, n, dict_count);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += dict[idx[i]].len;
    if (total > (uint64_t)INT32_MAX - out->data.len)
        return pq_bytes_range_error("dictionary BYTE_ARRAY", out->data.len, total);
    /* Padded copies may write up to PQ_DICT_PAD bytes past the last value. */
    int rc = pq_bytes_reserve(out, n, (size_t)total + (padded ? PQ_DICT_PAD : 0));
    if (rc)
        return rc;
    uint8_t *dst = out->data.data;
    int32_t *offs = out->offsets + out->count + 1;
    size_t off = out->data.len;
    for (size_t i = 0; i < n; i++) {
        const pq_bytes_view *v = &dict[idx[i]];
        if (padded && v->len <= PQ_DICT_PAD)
            memcpy(dst + off, v->ptr, PQ_DICT_PAD);
        else if (v->len)
            memcpy(dst + off, v->ptr, v->len);
        off += v->len;
        offs[i] = (int32_t)off;
    }
    pq_bytes_commit(out, n, off);
    return 0;
}

int pq_dict_gather_bytes(const pq_bytes_view *dict, size_t dict_count, const uint32_t *idx,
                         size_t n, pq_bytes_out *out)
{
    return gather_bytes(dict, dict_count, idx, n, out, false);
}

int pq_dict_gather_bytes_padded(const pq_bytes_view *dict, size_t dict_count,
                                const uint32_t *idx, size_t n, pq_bytes_out *out)
{
    return gather_bytes(dict, dict_count, idx, n, out, true);
}

/* ------------------------------------------------------ BYTE_STREAM_SPLIT */

int pq_bss_decode(const uint8_t *src, size_t len, size_t n, size_t width, void *out)
{
    if (width == 0)
        return delta_error_set(DELTA_EINVAL, "BYTE_STREAM_SPLIT: value width 0");
    if (len % width)
        return delta_error_set(DELTA_ECORRUPT,
                               "BYTE_STREAM_SPLIT: %zu bytes is not a multiple of the "
                               "value width %zu",
                               len, width);
    size_t stride = len / width;
    if (n > stride)
        return delta_error_set(DELTA_ECORRUPT,
                               "BYTE_STREAM_SPLIT: data holds %zu values, %zu needed", stride,
                               n);
    uint8_t *o = out;
    if (width == 4) {
        const uint8_t *s0 = src, *s1 = s0 + stride, *s2 = s1 + stride, *s3 = s2 + stride;
        for (size_t i = 0; i < n; i++) {
            o[4 * i + 0] = s0[i];
            o[4 * i + 1] = s1[i];
            o[4 * i + 2] = s2[i];
            o[4 * i + 3] = s3[i];
        }
    } else if (width == 8) {
        const uint8_t *s[8];
        for (size_t b = 0; b < 8; b++)
            s[b] = src + b * stride;
        for (size_t i = 0; i < n; i++) {
            uint8_t *d = o + 8 * i;
            d[0] = s[0][i];
            d[1] = s[1][i];
            d[2] = s[2][i];
            d[3] = s[3][i];
            d[4] = s[4][i];
            d[5] = s[5][i];
            d[6] = s[6][i];
            d[7] = s[7][i];
        }
    } else {
        for (size_t b = 0; b < width; b++) {
            const uint8_t *s = src + b * stride;
            for (size_t i = 0; i < n; i++)
                o[i * width + b] = s[i];
        }
    }
    return 0;
}

int pq_bss_encode(dbuf *out, const void *values, size_t n, size_t width)
{
    if (width == 0)
        return delta_error_set(DELTA_EINVAL, "BYTE_STREAM_SPLIT: value width 0");
    if (n > SIZE_MAX / width)
        return out->err = delta_error_oom();
    uint8_t *dst = dbuf_grow(out, n * width);
    if (!dst)
        return out->err;
    const uint8_t *v = values;
    if (width == 4) {
        uint8_t *d0 = dst, *d1 = d0 + n, *d2 = d1 + n, *d3 = d2 + n;
        for (size_t i = 0; i < n; i++) {
            d0[i] = v[4 * i + 0];
            d1[i] = v[4 * i + 1];
            d2[i] = v[4 * i + 2];
            d3[i] = v[4 * i + 3];
        }
    } else {
        for (size_t b = 0; b < width; b++) {
            uint8_t *d = dst + b * n;
            for (size_t i = 0; i < n; i++)
                d[i] = v[i * width + b];
        }
    }
    return 0;
}

void pq_le_to_host(void *values, size_t n, size_t width)
{
#if PQ_BIG_ENDIAN
    uint8_t *p = values;
    if (width == 4) {
        for (size_t i = 0; i < n; i++) {
            uint32_t v = pq_ld32(p + 4 * i);
            memcpy(p + 4 * i, &v, 4);
        }
    } else if (width == 8) {
        for (size_t i = 0; i < n; i++) {
            uint64_t v = pq_ld64(p + 8 * i);
            memcpy(p + 8 * i, &v, 8);
        }
    }
#else
    (void)values;
    (void)n;
    (void)width;
#endif
}
