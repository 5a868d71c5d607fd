/*
 * The RLE/bit-packed hybrid encoding (Parquet RLE = 3): definition and
 * repetition levels, dictionary indices and RLE booleans.
 *
 * Data is a sequence of runs, each starting with a ULEB128 header:
 *   header & 1 == 0: RLE run of header>>1 copies of one value stored in
 *                    ceil(width/8) little-endian bytes;
 *   header & 1 == 1: (header>>1) groups of 8 values bit-packed LSB-first.
 *
 * Decoder invariants: d->p is the next run header; a bit-packed run's
 * values are read from [bp, bp_end) and bp_left never counts more values
 * than those bytes hold whole (a run cut short by the end of the data
 * yields what is there, and the caller learns that data ran out). A run
 * value that does not fit the bit width is corrupt. Values from a group
 * that the caller only partly consumed wait in grp[].
 *
 * Encoder invariants: values are collected in groups of 8. When a group
 * completes and all 8 equal the current value, it turns into (the start
 * of) an RLE run and further equal values are only counted; otherwise the
 * group joins the pending literal run, which is written out when it reaches
 * 63 groups or a repeat begins. Each header therefore fits one byte for
 * literal runs, and RLE runs never exceed 2^31-1 values.
 */
#include "parquet/encoding.h"

#include "parquet/encoding_impl.h"

#include <inttypes.h>
#include <string.h>

static const uint8_t empty_input[1];

static size_t off_of(const pq_rle_dec *d, const uint8_t *p)
{
    return (size_t)(p - d->base);
}

int pq_rle_init(pq_rle_dec *d, const uint8_t *src, size_t len, unsigned width)
{
    memset(d, 0, sizeof *d);
    if (width > 32)
        return delta_error_set(DELTA_ECORRUPT, "RLE/bit-packed: bit width %u > 32", width);
    if (!src)
        src = empty_input, len = 0;
    d->base = d->p = d->bp = d->bp_end = src;
    d->end = src + len;
    d->width = width;
    return 0;
}

int pq_rle_init_dict(pq_rle_dec *d, const uint8_t *src, size_t len)
{
    if (len < 1) {
        memset(d, 0, sizeof *d);
        return delta_error_set(DELTA_ECORRUPT,
                               "dictionary indices: page has no bit width byte");
    }
    if (src[0] > 32) {
        memset(d, 0, sizeof *d);
        return delta_error_set(DELTA_ECORRUPT,
                               "dictionary indices: bit width %u > 32 at offset 0", src[0]);
    }
    return pq_rle_init(d, src + 1, len - 1, src[0]);
}

int pq_rle_init_prefixed(pq_rle_dec *d, const uint8_t *src, size_t len, unsigned width,
                         size_t *consumed)
{
    if (len < 4) {
        memset(d, 0, sizeof *d);
        return delta_error_set(DELTA_ECORRUPT,
                               "RLE/bit-packed: %zu bytes cannot hold the 4-byte length prefix",
                               len);
    }
    uint32_t n = pq_ld32(src);
    if (n > len - 4) {
        memset(d, 0, sizeof *d);
        return delta_error_set(DELTA_ECORRUPT,
                               "RLE/bit-packed: length prefix %" PRIu32
                               " exceeds the %zu bytes that follow it",
                               n, len - 4);
    }
    int rc = pq_rle_init(d, src + 4, n, width);
    if (rc == 0 && consumed)
        *consumed = 4 + (size_t)n;
    return rc;
}

/* Loads the next run. Returns 1 when a run was loaded, 0 at the end of the
 * data, or a negative error. */
static int next_run(pq_rle_dec *d)
{
    if (d->p == d->end)
        return 0;
    const uint8_t *start = d->p;
    uint64_t h;
    int urc = pq_uleb_read(&d->p, d->end, &h);
    if (urc != PQ_ULEB_OK || h > UINT32_MAX)
        return delta_error_set(DELTA_ECORRUPT, "RLE/bit-packed: %s run header at offset %zu",
                               urc ? pq_uleb_problem(urc) : "oversized", off_of(d, start));
    size_t avail = (size_t)(d->end - d->p);
    if (h & 1) {
        uint64_t count = (h >> 1) * 8;
        uint64_t bytes = (h >> 1) * d->width;
        if (bytes > avail) {
            /* Cut short: keep the whole values that are present. */
            uint64_t whole = (uint64_t)avail * 8 / d->width;
            if (whole < count)
                count = whole;
            bytes = avail;
        }
        d->bp = d->p;
        d->bp_end = d->p + bytes;
        d->bp_left = count;
        d->p = d->bp_end;
    } else {
        unsigned vbytes = (d->width + 7) / 8;
        if (vbytes > avail)
            return delta_error_set(DELTA_ECORRUPT,
                                   "RLE/bit-packed: run value truncated at offset %zu",
                                   off_of(d, d->p));
        uint32_t v = 0;
        for (unsigned i = 0; i < vbytes; i++)
            v |= (uint32_t)d->p[i] << (8 * i);
        if (d->width < 32 && (v >> d->width) != 0)
            return delta_error_set(DELTA_ECORRUPT,
                                   "RLE/bit-packed: run value %" PRIu32
                                   " does not fit bit width %u at offset %zu",
                                   v, d->width, off_of(d, d->p));
        d->p += vbytes;
        d->rle_left = (uint32_t)(h >> 1);
        d->rle_value = v;
    }
    return 1;
}

int pq_rle_read(pq_rle_dec *d, uint32_t *out, size_t n, size_t *got)
{
    size_t done = 0;
    while (done < n) {
        size_t want = n - done;
        if (d->grp_pos < d->grp_n) {
            size_t k = d->grp_n - d->grp_pos;
            if (k > want)
                k = want;
            memcpy(out + done, d->grp + d->grp_pos, k * sizeof *out);
            d->grp_pos += (unsigned)k;
            done += k;
        } else if (d->rle_left) {
            size_t k = d->rle_left < want ? d->rle_left : want;
            uint32_t v = d->rle_value, *o = out + done;
            for (size_t i = 0; i < k; i++)
                o[i] = v;
            d->rle_left -= (uint32_t)k;
            done += k;
        } else if (d->bp_left) {
            uint64_t k = d->bp_left < want ? d->bp_left : want;
            if (k >= 8) {
                /* Whole groups straight into the output. */
                size_t groups = (size_t)(k / 8);
                pq_unpack32(d->bp, groups * 8, d->width, out + done);
                d->bp += groups * d->width;
                d->bp_left -= groups * 8;
                done += groups * 8;
            } else {
                /* Split group: decode it once, hand it out piecewise. The
                 * last group of a cut-short run may hold fewer bytes. */
                unsigned m = d->bp_left < 8 ? (unsigned)d->bp_left : 8;
                size_t gbytes = (size_t)(d->bp_end - d->bp);
                if (gbytes > d->width)
                    gbytes = d->width;
                pq_unpack32(d->bp, m, d->width, d->grp);
                d->bp += gbytes;
                d->bp_left -= m;
                d->grp_pos = 0;
                d->grp_n = m;
            }
        } else {
            int rc = next_run(d);
            if (rc < 0)
                return rc;
            if (rc == 0)
                break;
        }
    }
    d->nread += done;
    *got = done;
    return 0;
}

int pq_rle_read_exact(pq_rle_dec *d, uint32_t *out, size_t n)
{
    size_t got;
    int rc = pq_rle_read(d, out, n, &got);
    if (rc)
        return rc;
    if (got < n)
        return delta_error_set(DELTA_ECORRUPT,
                               "RLE/bit-packed: data ends after %" PRIu64
                               " values, %zu more needed (offset %zu)",
                               d->nread, n - got, off_of(d, d->end));
    return 0;
}

/* ------------------------------------------------------------- encoder */

void pq_rle_enc_init(pq_rle_enc *e, dbuf *out, unsigned width)
{
    e->out = out;
    e->width = width > 32 ? 32 : width;
    e->cur = 0;
    e->rep = 0;
    e->nbuf = 0;
    e->nlit = 0;
}

static void flush_literal(pq_rle_enc *e)
{
    if (!e->nlit)
        return;
    pq_uleb_put(e->out, ((uint64_t)(e->nlit / 8) << 1) | 1);
    size_t bytes = pq_packed_bytes(e->nlit, e->width);
    uint8_t *dst = dbuf_grow(e->out, bytes);
    if (dst)
        pq_pack32(e->lit, e->nlit, e->width, dst);
    e->nlit = 0;
}

static void flush_repeat(pq_rle_enc *e, uint32_t count)
{
    pq_uleb_put(e->out, (uint64_t)count << 1);
    uint8_t v[4];
    unsigned vbytes = (e->width + 7) / 8;
    for (unsigned i = 0; i < vbytes; i++)
        v[i] = (uint8_t)(e->cur >> (8 * i));
    dbuf_append(e->out, v, vbytes);
}

/* A group of 8 is complete. */
static void group_done(pq_rle_enc *e)
{
    e->nbuf = 0;
    if (e->rep >= 8) {
        /* All 8 equal: they open an RLE run. */
        flush_literal(e);
        return;
    }
    memcpy(e->lit + e->nlit, e->buf, sizeof e->buf);
    e->nlit += 8;
    e->rep = 0;
    if (e->nlit == PQ_RLE_MAX_LITERAL)
        flush_literal(e);
}

static inline void rle_put(pq_rle_enc *e, uint32_t v)
{
    if (e->rep && v == e->cur) {
        e->rep++;
        if (e->rep > 8) {
            if (e->rep == INT32_MAX) {
                flush_repeat(e, e->rep);
                e->rep = 0;
            }
            return;
        }
    } else {
        if (e->rep >= 8)
            flush_repeat(e, e->rep);
        e->rep = 1;
        e->cur = v;
    }
    e->buf[e->nbuf++] = v;
    if (e->nbuf == 8)
        group_done(e);
}

void pq_rle_enc_put(pq_rle_enc *e, uint32_t value)
{
    if (e->width < 32)
        value &= (uint32_t)((1ull << e->width) - 1);
    rle_put(e, value);
}

void pq_rle_enc_put_batch(pq_rle_enc *e, const uint32_t *values, size_t n)
{
    uint32_t mask = (uint32_t)((1ull << e->width) - 1);
    size_t i = 0;
    while (i < n) {
        uint32_t v = values[i] & mask;
        if (e->rep > 8 && v == e->cur && e->rep < INT32_MAX - 1) {
            /* Inside a long repeat: count equal values in bulk, leaving
             * the last step to INT32_MAX (which flushes) to rle_put. */
            size_t room = (size_t)(INT32_MAX - 1 - e->rep);
            size_t lim = n - i < room ? n : i + room;
            size_t j = i + 1;
            while (j < lim && (values[j] & mask) == v)
                j++;
            e->rep += (uint32_t)(j - i);
            i = j;
            continue;
        }
        rle_put(e, v);
        i++;
    }
}

void pq_rle_enc_put_repeat(pq_rle_enc *e, uint32_t value, size_t n)
{
    value &= (uint32_t)((1ull << e->width) - 1);
    while (n) {
        if (e->rep > 8 && value == e->cur && e->rep < INT32_MAX - 1) {
            size_t room = (size_t)(INT32_MAX - 1 - e->rep);
            size_t k = n < room ? n : room;
            e->rep += (uint32_t)k;
            n -= k;
            continue;
        }
        rle_put(e, value);
        n--;
    }
}

int pq_rle_enc_finish(pq_rle_enc *e)
{
    if (e->rep >= 8) {
        flush_literal(e);
        flush_repeat(e, e->rep);
    } else if (e->nbuf) {
        if (e->nlit == 0 && e->rep == e->nbuf) {
            /* A short tail of equal values: one small RLE run. */
            flush_repeat(e, e->rep);
        } else {
            for (unsigned i = e->nbuf; i < 8; i++)
                e->buf[i] = 0;
            memcpy(e->lit + e->nlit, e->buf, sizeof e->buf);
            e->nlit += 8;
            flush_literal(e);
        }
    } else {
        flush_literal(e);
    }
    e->rep = 0;
    e->nbuf = 0;
    e->nlit = 0;
    return e->out->err;
}

int pq_rle_encode(dbuf *out, const uint32_t *values, size_t n, unsigned width)
{
    if (width > 32)
        return delta_error_set(DELTA_EINVAL, "RLE/bit-packed: bit width %u > 32", width);
    pq_rle_enc e; /* about 2 KiB */
    pq_rle_enc_init(&e, out, width);
    pq_rle_enc_put_batch(&e, values, n);
    return pq_rle_enc_finish(&e);
}

int pq_rle_encode_prefixed(dbuf *out, const uint32_t *values, size_t n, unsigned width)
{
    size_t at = out->len;
    if (!dbuf_grow(out, 4))
        return out->err;
    int rc = pq_rle_encode(out, values, n, width);
    if (rc)
        return rc;
    size_t body = out->len - at - 4;
    if (body > UINT32_MAX)
        return out->err = delta_error_set(DELTA_ERANGE,
                                          "RLE/bit-packed: %zu encoded bytes exceed the "
                                          "4-byte length prefix", body);
    pq_st32(out->data + at, (uint32_t)body);
    return 0;
}

int pq_rle_encode_dict(dbuf *out, const uint32_t *indices, size_t n, unsigned width)
{
    if (width > 32)
        return delta_error_set(DELTA_EINVAL, "dictionary indices: bit width %u > 32", width);
    dbuf_putc(out, (uint8_t)width);
    return pq_rle_encode(out, indices, n, width);
}

/* ------------------------------------------------------------ booleans */

int pq_rle_decode_bool(const uint8_t *src, size_t len, size_t n, uint8_t *out,
                       size_t *consumed)
{
    pq_rle_dec d;
    size_t used;
    int rc = pq_rle_init_prefixed(&d, src, len, 1, &used);
    if (rc)
        return delta_error_prefix(rc, "RLE BOOLEAN: ");
    uint32_t tmp[256];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < 256 ? n - done : 256;
        rc = pq_rle_read_exact(&d, tmp, k);
        if (rc)
            return delta_error_prefix(rc, "RLE BOOLEAN: ");
        for (size_t i = 0; i < k; i++)
            out[done + i] = (uint8_t)tmp[i];
        done += k;
    }
    if (consumed)
        *consumed = used;
    return 0;
}

int pq_rle_encode_bool(dbuf *out, const uint8_t *values, size_t n)
{
    size_t at = out->len;
    if (!dbuf_grow(out, 4))
        return out->err;
    pq_rle_enc e;
    pq_rle_enc_init(&e, out, 1);
    for (size_t i = 0; i < n; i++)
        rle_put(&e, values[i] != 0);
    int rc = pq_rle_enc_finish(&e);
    if (rc)
        return rc;
    size_t body = out->len - at - 4;
    if (body > UINT32_MAX)
        return out->err = delta_error_set(DELTA_ERANGE,
                                          "RLE BOOLEAN: %zu encoded bytes exceed the "
                                          "4-byte length prefix", body);
    pq_st32(out->data + at, (uint32_t)body);
    return 0;
}
