/*
 * DELTA_BINARY_PACKED (Parquet = 5), DELTA_LENGTH_BYTE_ARRAY (= 6) and
 * DELTA_BYTE_ARRAY (= 7).
 *
 * DELTA_BINARY_PACKED layout:
 *   header: <block size> <miniblocks per block> <total count> <first value>
 *           (ULEB128 x3, then zigzag ULEB128)
 *   block:  <min delta: zigzag ULEB128> <one bit-width byte per miniblock>
 *           <miniblock bodies: per_mini values at their bit width>
 * A value is previous + min_delta + packed delta, all in wrapping unsigned
 * arithmetic of the column's width (32 or 64 bits). Headers are validated:
 * block size a positive multiple of 128, miniblock count dividing it into
 * multiples of 32 values, bit widths at most the value width plus one
 * (checked when a miniblock is used; widths of the unused miniblocks at the
 * end of the last block may hold anything, as the spec allows). A delta
 * between two values can take one bit more than the values (INT32_MIN to
 * INT32_MAX), and writers that subtract in wider arithmetic (DuckDB) write
 * 33-bit miniblocks for INT32 and 65-bit ones for INT64; the spec says
 * readers should accept them. Only the low 32 or 64 bits of such deltas
 * matter in the wrapping sum, so they are unpacked truncated. The last used
 * miniblock must be present in full (padding included), like every major
 * writer emits it; that fixes where the stream ends, which
 * DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY need to find what follows.
 *
 * Decoder invariants: `left` counts values not yet handed out (including
 * the first value while !first_done); reads never exceed it, so padding
 * values are never returned. `p` is always past the body of the current
 * miniblock, so once left reaches 0 the encoded length is p - base.
 * Skipping to the end costs one step per miniblock, and every block takes
 * at least 1 + miniblocks input bytes, so hostile counts cannot make the
 * walk longer than the input.
 *
 * The encoder writes blocks of 128 values in 4 miniblocks of 32 (what
 * parquet-mr and Arrow write), with zero widths and no bodies for unused
 * miniblocks of the last block.
 */
#include "parquet/encoding.h"

#include "parquet/encoding_impl.h"

#include "core/alloc.h"

#include <inttypes.h>
#include <string.h>

static const uint8_t empty_input[1];

#define DBP "DELTA_BINARY_PACKED"

static size_t doff(const pq_delta_dec *d, const uint8_t *p)
{
    return (size_t)(p - d->base);
}

int pq_delta_init(pq_delta_dec *d, const uint8_t *src, size_t len, unsigned value_bits)
{
    memset(d, 0, sizeof *d);
    if (value_bits != 32 && value_bits != 64)
        return delta_error_set(DELTA_EINVAL, DBP ": value width %u is not 32 or 64",
                               value_bits);
    if (!src)
        src = empty_input, len = 0;
    d->base = d->p = d->mp = src;
    d->end = src + len;
    d->bits = value_bits;

    static const char *const names[4] = {"block size", "miniblock count", "value count",
                                         "first value"};
    uint64_t h[4];
    for (int i = 0; i < 4; i++) {
        const uint8_t *at = d->p;
        int urc = pq_uleb_read(&d->p, d->end, &h[i]);
        if (urc)
            return delta_error_set(DELTA_ECORRUPT, DBP ": %s %s in header at offset %zu",
                                   pq_uleb_problem(urc), names[i], doff(d, at));
    }
    uint64_t bs = h[0], mb = h[1];
    if (bs == 0 || bs % 128 || bs > UINT32_MAX)
        return delta_error_set(DELTA_ECORRUPT,
                               DBP ": block size %" PRIu64 " is not a positive multiple of 128",
                               bs);
    if (mb == 0 || mb > bs || bs % mb || (bs / mb) % 32)
        return delta_error_set(DELTA_ECORRUPT,
                               DBP ": %" PRIu64 " miniblocks do not divide block size %" PRIu64
                               " into multiples of 32 values",
                               mb, bs);
    d->per_mini = (uint32_t)(bs / mb);
    d->minis = (uint32_t)mb;
    d->mini_idx = d->minis; /* no block read yet */
    d->total = d->left = h[2];
    d->last = pq_zigzag_decode(h[3]);
    d->first_done = d->total == 0;
    return 0;
}

/* The low `bits` (<= 64) bits of the `width`-bit value starting at bit
 * `bit` of src; reads only the bytes that value occupies. */
static uint64_t low_bits_at(const uint8_t *src, uint64_t bit, unsigned width, unsigned bits)
{
    const uint8_t *b = src + bit / 8;
    unsigned shift = (unsigned)(bit % 8);
    unsigned need = bits < width ? bits : width;
    size_t nbytes = (shift + need + 7) / 8; /* at most 9 */
    uint64_t v = 0;
    for (size_t k = 0; k < nbytes && k < 8; k++)
        v |= (uint64_t)b[k] << (8 * k);
    v >>= shift;
    if (nbytes > 8)
        v |= (uint64_t)b[8] << (64 - shift);
    return need >= 64 ? v : v & ((UINT64_C(1) << need) - 1);
}

/* Unpacks n values of a miniblock wider than the value (33 or 65 bits),
 * keeping their low 32 or 64 bits. */
static void unpack_wide32(const uint8_t *src, size_t n, unsigned width, uint32_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint32_t)low_bits_at(src, (uint64_t)i * width, width, 32);
}

static void unpack_wide64(const uint8_t *src, size_t n, unsigned width, uint64_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = low_bits_at(src, (uint64_t)i * width, width, 64);
}

static void unpack32(const pq_delta_dec *d, size_t n, uint32_t *out)
{
    if (d->width > 32)
        unpack_wide32(d->mp, n, d->width, out);
    else
        pq_unpack32(d->mp, n, d->width, out);
}

static void unpack64(const pq_delta_dec *d, size_t n, uint64_t *out)
{
    if (d->width > 64)
        unpack_wide64(d->mp, n, d->width, out);
    else
        pq_unpack64(d->mp, n, d->width, out);
}

/* Moves to the next miniblock, reading a block header when needed. */
static int enter_mini(pq_delta_dec *d)
{
    if (d->mini_idx == d->minis) {
        const uint8_t *at = d->p;
        uint64_t md;
        int urc = pq_uleb_read(&d->p, d->end, &md);
        if (urc)
            return delta_error_set(DELTA_ECORRUPT, DBP ": %s min delta at offset %zu",
                                   pq_uleb_problem(urc), doff(d, at));
        if ((size_t)(d->end - d->p) < d->minis)
            return delta_error_set(DELTA_ECORRUPT,
                                   DBP ": block at offset %zu: %" PRIu32
                                   " miniblock bit widths truncated",
                                   doff(d, at), d->minis);
        d->min_delta = pq_zigzag_decode(md);
        d->widths = d->p;
        d->p += d->minis;
        d->mini_idx = 0;
    }
    unsigned w = d->widths[d->mini_idx];
    if (w > d->bits + 1)
        return delta_error_set(DELTA_ECORRUPT, DBP ": miniblock bit width %u > %u at offset %zu",
                               w, d->bits + 1, doff(d, d->widths + d->mini_idx));
    size_t bytes = (size_t)(d->per_mini / 8) * w;
    if (bytes > (size_t)(d->end - d->p))
        return delta_error_set(DELTA_ECORRUPT,
                               DBP ": miniblock at offset %zu needs %zu bytes, %zu present",
                               doff(d, d->p), bytes, (size_t)(d->end - d->p));
    d->mp = d->p;
    d->p += bytes;
    d->width = w;
    d->mini_left = d->per_mini;
    d->mini_idx++;
    return 0;
}

static int too_many(const pq_delta_dec *d, size_t n)
{
    return delta_error_set(DELTA_ECORRUPT,
                           DBP ": %zu values needed, %" PRIu64 " left of the %" PRIu64
                           " the header announces",
                           n, d->left, d->total);
}

int pq_delta_read32(pq_delta_dec *d, int32_t *out, size_t n)
{
    if (d->bits != 32)
        return delta_error_set(DELTA_EINVAL, DBP ": 32-bit read from a 64-bit stream");
    if (n > d->left)
        return too_many(d, n);
    uint32_t *u = (uint32_t *)out; /* same representation, wrapping math */
    uint32_t last = (uint32_t)d->last, md = (uint32_t)d->min_delta;
    size_t done = 0;
    if (!d->first_done && n) {
        u[done++] = last;
        d->first_done = true;
    }
    while (done < n) {
        size_t want = n - done;
        if (d->grp_pos < d->grp_n) {
            size_t k = d->grp_n - d->grp_pos;
            if (k > want)
                k = want;
            for (size_t j = 0; j < k; j++)
                u[done + j] = (uint32_t)d->grp[d->grp_pos + j];
            d->grp_pos += (unsigned)k;
            done += k;
            continue;
        }
        if (d->mini_left == 0) {
            d->last = last;
            int rc = enter_mini(d);
            if (rc)
                return rc;
            md = (uint32_t)d->min_delta;
            continue;
        }
        if (want >= 8) {
            size_t k = (size_t)(want < d->mini_left ? want : d->mini_left) & ~(size_t)7;
            uint32_t *o = u + done;
            unpack32(d, k, o);
            for (size_t j = 0; j < k; j++) {
                last += md + o[j];
                o[j] = last;
            }
            d->mp += k / 8 * d->width;
            d->mini_left -= k;
            done += k;
        } else {
            uint32_t tmp[8];
            unpack32(d, 8, tmp);
            for (int j = 0; j < 8; j++) {
                last += md + tmp[j];
                d->grp[j] = last;
            }
            d->mp += d->width;
            d->mini_left -= 8;
            d->grp_pos = 0;
            d->grp_n = 8;
        }
    }
    d->last = last;
    d->left -= n;
    return 0;
}

int pq_delta_read64(pq_delta_dec *d, int64_t *out, size_t n)
{
    if (d->bits != 64)
        return delta_error_set(DELTA_EINVAL, DBP ": 64-bit read from a 32-bit stream");
    if (n > d->left)
        return too_many(d, n);
    uint64_t *u = (uint64_t *)out;
    uint64_t last = d->last, md = d->min_delta;
    size_t done = 0;
    if (!d->first_done && n) {
        u[done++] = last;
        d->first_done = true;
    }
    while (done < n) {
        size_t want = n - done;
        if (d->grp_pos < d->grp_n) {
            size_t k = d->grp_n - d->grp_pos;
            if (k > want)
                k = want;
            memcpy(u + done, d->grp + d->grp_pos, k * sizeof *u);
            d->grp_pos += (unsigned)k;
            done += k;
            continue;
        }
        if (d->mini_left == 0) {
            d->last = last;
            int rc = enter_mini(d);
            if (rc)
                return rc;
            md = d->min_delta;
            continue;
        }
        if (want >= 8) {
            size_t k = (size_t)(want < d->mini_left ? want : d->mini_left) & ~(size_t)7;
            uint64_t *o = u + done;
            unpack64(d, k, o);
            for (size_t j = 0; j < k; j++) {
                last += md + o[j];
                o[j] = last;
            }
            d->mp += k / 8 * d->width;
            d->mini_left -= k;
            done += k;
        } else {
            uint64_t tmp[8];
            unpack64(d, 8, tmp);
            for (int j = 0; j < 8; j++) {
                last += md + tmp[j];
                d->grp[j] = last;
            }
            d->mp += d->width;
            d->mini_left -= 8;
            d->grp_pos = 0;
            d->grp_n = 8;
        }
    }
    d->last = last;
    d->left -= n;
    return 0;
}

int pq_delta_end(pq_delta_dec *d, size_t *consumed)
{
    if (d->left && !d->first_done) {
        d->first_done = true;
        d->left--;
    }
    uint64_t g = d->grp_n - d->grp_pos;
    d->left -= g < d->left ? g : d->left;
    d->grp_pos = d->grp_n = 0;
    while (d->left) {
        if (d->mini_left == 0) {
            int rc = enter_mini(d);
            if (rc)
                return rc;
        }
        uint64_t k = d->left < d->mini_left ? d->left : d->mini_left;
        d->left -= k;
        d->mini_left -= k;
    }
    if (consumed)
        *consumed = doff(d, d->p);
    return 0;
}

static int decode_whole(const uint8_t *src, size_t len, size_t n, void *out, size_t *consumed,
                        unsigned bits)
{
    pq_delta_dec d;
    int rc = pq_delta_init(&d, src, len, bits);
    if (rc)
        return rc;
    if (d.total < n)
        return delta_error_set(DELTA_ECORRUPT,
                               DBP ": header announces %" PRIu64 " values, %zu needed",
                               d.total, n);
    rc = bits == 32 ? pq_delta_read32(&d, out, n) : pq_delta_read64(&d, out, n);
    if (rc == 0 && consumed)
        rc = pq_delta_end(&d, consumed);
    return rc;
}

int pq_delta_decode_int32(const uint8_t *src, size_t len, size_t n, int32_t *out,
                          size_t *consumed)
{
    return decode_whole(src, len, n, out, consumed, 32);
}

int pq_delta_decode_int64(const uint8_t *src, size_t len, size_t n, int64_t *out,
                          size_t *consumed)
{
    return decode_whole(src, len, n, out, consumed, 64);
}

/* -------------------------------------------------------------- encoder */

#define ENC_BLOCK 128
#define ENC_MINIS 4
#define ENC_PER_MINI (ENC_BLOCK / ENC_MINIS)

static void enc_header(dbuf *out, size_t n, uint64_t first_zigzag)
{
    pq_uleb_put(out, ENC_BLOCK);
    pq_uleb_put(out, ENC_MINIS);
    pq_uleb_put(out, n);
    pq_uleb_put(out, first_zigzag);
}

/* Writes one block of k (1..128) wrapped deltas; rel has 128 entries, those
 * past k zero. The minimum is taken in the signed order of the value width
 * (by flipping the sign bit), so delta - min never exceeds the width. */
static void enc_block(dbuf *out, uint64_t *rel, size_t k, unsigned bits)
{
    uint64_t sign = bits == 32 ? UINT64_C(0x80000000) : UINT64_C(0x8000000000000000);
    uint64_t mask = bits == 32 ? UINT64_C(0xffffffff) : ~UINT64_C(0);
    uint64_t minb = ~UINT64_C(0);
    for (size_t j = 0; j < k; j++) {
        uint64_t b = rel[j] ^ sign;
        minb = b < minb ? b : minb;
    }
    uint64_t min = minb ^ sign;
    pq_uleb_put(out, bits == 32 ? pq_zigzag_encode32((uint32_t)min) : pq_zigzag_encode64(min));
    for (size_t j = 0; j < k; j++)
        rel[j] = (rel[j] - min) & mask;

    uint8_t widths[ENC_MINIS];
    size_t used = (k + ENC_PER_MINI - 1) / ENC_PER_MINI;
    for (size_t m = 0; m < ENC_MINIS; m++) {
        uint64_t any = 0;
        if (m < used)
            for (size_t j = m * ENC_PER_MINI; j < (m + 1) * ENC_PER_MINI; j++)
                any |= rel[j];
        widths[m] = (uint8_t)pq_bit_width64(any);
    }
    dbuf_append(out, widths, ENC_MINIS);
    for (size_t m = 0; m < used; m++) {
        uint8_t *dst = dbuf_grow(out, (size_t)ENC_PER_MINI / 8 * widths[m]);
        if (dst)
            pq_pack64(rel + m * ENC_PER_MINI, ENC_PER_MINI, widths[m], dst);
    }
}

int pq_delta_encode_int32(dbuf *out, const int32_t *values, size_t n)
{
    const uint32_t *u = (const uint32_t *)values;
    enc_header(out, n, n ? pq_zigzag_encode32(u[0]) : 0);
    uint64_t rel[ENC_BLOCK];
    for (size_t i = 1; i < n; i += ENC_BLOCK) {
        size_t k = n - i < ENC_BLOCK ? n - i : ENC_BLOCK;
        for (size_t j = 0; j < k; j++)
            rel[j] = (uint32_t)(u[i + j] - u[i + j - 1]);
        for (size_t j = k; j < ENC_BLOCK; j++)
            rel[j] = 0;
        enc_block(out, rel, k, 32);
    }
    return out->err;
}

int pq_delta_encode_int64(dbuf *out, const int64_t *values, size_t n)
{
    const uint64_t *u = (const uint64_t *)values;
    enc_header(out, n, n ? pq_zigzag_encode64(u[0]) : 0);
    uint64_t rel[ENC_BLOCK];
    for (size_t i = 1; i < n; i += ENC_BLOCK) {
        size_t k = n - i < ENC_BLOCK ? n - i : ENC_BLOCK;
        for (size_t j = 0; j < k; j++)
            rel[j] = u[i + j] - u[i + j - 1];
        for (size_t j = k; j < ENC_BLOCK; j++)
            rel[j] = 0;
        enc_block(out, rel, k, 64);
    }
    return out->err;
}

/* --------------------------------------------- DELTA_LENGTH_BYTE_ARRAY */

#define DLBA "DELTA_LENGTH_BYTE_ARRAY"
#define DBA "DELTA_BYTE_ARRAY"

/* Decodes a length stream of exactly n values at [src, src+len) into
 * lens, checks every length is >= 0, and returns the stream's size and the
 * lengths' sum. */
static int read_lengths(const char *what, const uint8_t *src, size_t len, size_t n,
                        int32_t *lens, size_t *stream_len, uint64_t *sum)
{
    pq_delta_dec d;
    int rc = pq_delta_init(&d, src, len, 32);
    if (rc == 0 && d.total != n)
        rc = delta_error_set(DELTA_ECORRUPT, DBP ": header announces %" PRIu64
                             " values, the page has %zu", d.total, n);
    if (rc == 0)
        rc = pq_delta_read32(&d, lens, n);
    if (rc == 0)
        rc = pq_delta_end(&d, stream_len);
    if (rc)
        return delta_error_prefix(rc, "%s: ", what);
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] < 0)
            return delta_error_set(DELTA_ECORRUPT, "%s: negative length %" PRId32
                                   " for value %zu", what, lens[i], i);
        s += (uint32_t)lens[i];
    }
    *sum = s;
    return 0;
}

int pq_dlba_decode(const uint8_t *src, size_t len, size_t n, pq_bytes_out *out,
                   size_t *consumed)
{
    int rc = pq_bytes_reserve(out, n, 0);
    if (rc)
        return rc;
    /* Lengths land in the offset slots, then become offsets in place. */
    int32_t *lens = out->offsets + out->count + 1;
    size_t hdr;
    uint64_t total;
    rc = read_lengths(DLBA " lengths", src, len, n, lens, &hdr, &total);
    if (rc)
        return rc;
    if (total > len - hdr)
        return delta_error_set(DELTA_ECORRUPT,
                               DLBA ": lengths add up to %" PRIu64
                               " bytes, %zu present after them at offset %zu",
                               total, len - hdr, hdr);
    size_t base = out->data.len;
    if (total > (uint64_t)INT32_MAX - base)
        return pq_bytes_range_error(DLBA, base, total);
    rc = pq_bytes_reserve(out, n, (size_t)total);
    if (rc)
        return rc;
    lens = out->offsets + out->count + 1;
    if (total)
        memcpy(out->data.data + base, src + hdr, (size_t)total);
    size_t off = base;
    for (size_t i = 0; i < n; i++) {
        off += (size_t)lens[i];
        lens[i] = (int32_t)off;
    }
    pq_bytes_commit(out, n, off);
    if (consumed)
        *consumed = hdr + (size_t)total;
    return 0;
}

/* Lengths of n values given as offsets; negative lengths are refused. */
static int32_t *lengths_of(const char *what, dbuf *out, const int32_t *offsets, size_t n)
{
    int32_t *lens = delta_reallocarray(NULL, n ? n : 1, sizeof *lens);
    if (!lens) {
        out->err = DELTA_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (offsets[i + 1] < offsets[i] || offsets[i] < 0) {
            delta_free(lens);
            out->err = delta_error_set(DELTA_EINVAL, "%s: offsets decrease at value %zu",
                                       what, i);
            return NULL;
        }
        lens[i] = offsets[i + 1] - offsets[i];
    }
    return lens;
}

int pq_dlba_encode(dbuf *out, const int32_t *offsets, const uint8_t *data, size_t n)
{
    if (out->err)
        return out->err;
    int32_t *lens = lengths_of(DLBA, out, offsets, n);
    if (!lens)
        return out->err;
    pq_delta_encode_int32(out, lens, n);
    if (n)
        dbuf_append(out, data + offsets[0], (size_t)(offsets[n] - offsets[0]));
    delta_free(lens);
    return out->err;
}

/* ----------------------------------------------------- DELTA_BYTE_ARRAY */

int pq_dba_decode(const uint8_t *src, size_t len, size_t n, pq_bytes_out *out,
                  size_t *consumed)
{
    int32_t *pre = delta_reallocarray(NULL, n ? n : 1, sizeof *pre);
    if (!pre)
        return DELTA_ENOMEM;
    size_t h1, h2;
    uint64_t psum, stotal;
    int rc = read_lengths(DBA " prefix lengths", src, len, n, pre, &h1, &psum);
    if (rc)
        goto done;
    if ((rc = pq_bytes_reserve(out, n, 0)))
        goto done;
    int32_t *suf = out->offsets + out->count + 1;
    rc = read_lengths(DBA " suffix lengths", src + h1, len - h1, n, suf, &h2, &stotal);
    if (rc)
        goto done;
    size_t sdata = h1 + h2;
    if (stotal > len - sdata) {
        rc = delta_error_set(DELTA_ECORRUPT,
                             DBA ": suffixes add up to %" PRIu64
                             " bytes, %zu present after the lengths at offset %zu",
                             stotal, len - sdata, sdata);
        goto done;
    }
    /* Validate prefixes and size the output before writing anything. */
    size_t base = out->data.len;
    uint64_t total = 0, prev = 0;
    for (size_t i = 0; i < n; i++) {
        if ((uint64_t)pre[i] > prev) {
            rc = delta_error_set(DELTA_ECORRUPT,
                                 DBA ": prefix length %" PRId32 " exceeds the previous "
                                 "value's length %" PRIu64 " at value %zu",
                                 pre[i], prev, i);
            goto done;
        }
        prev = (uint64_t)pre[i] + (uint64_t)suf[i];
        total += prev;
        if (total > (uint64_t)INT32_MAX - base) {
            rc = pq_bytes_range_error(DBA, base, total);
            goto done;
        }
    }
    if ((rc = pq_bytes_reserve(out, n, (size_t)total)))
        goto done;
    suf = out->offsets + out->count + 1;
    uint8_t *dst = out->data.data;
    const uint8_t *s = src + sdata;
    size_t off = base, prev_off = base;
    for (size_t i = 0; i < n; i++) {
        size_t p = (size_t)pre[i], sl = (size_t)suf[i];
        /* The previous value ends where this one starts: no overlap. */
        if (p)
            memcpy(dst + off, dst + prev_off, p);
        if (sl)
            memcpy(dst + off + p, s, sl);
        s += sl;
        prev_off = off;
        off += p + sl;
        suf[i] = (int32_t)off;
    }
    pq_bytes_commit(out, n, off);
    if (consumed)
        *consumed = sdata + (size_t)stotal;
done:
    delta_free(pre);
    return rc;
}

int pq_dba_decode_fixed(const uint8_t *src, size_t len, size_t n, size_t type_length,
                        uint8_t *out, size_t *consumed)
{
    pq_bytes_out tmp = PQ_BYTES_OUT_INIT;
    int rc = pq_dba_decode(src, len, n, &tmp, consumed);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t l = (size_t)(tmp.offsets[i + 1] - tmp.offsets[i]);
        if (l != type_length)
            rc = delta_error_set(DELTA_ECORRUPT,
                                 DBA ": value %zu is %zu bytes, FIXED_LEN_BYTE_ARRAY "
                                 "length is %zu",
                                 i, l, type_length);
    }
    if (rc == 0 && n)
        memcpy(out, tmp.data.data, n * type_length);
    pq_bytes_free(&tmp);
    return rc;
}

static size_t common_prefix(const uint8_t *a, size_t la, const uint8_t *b, size_t lb)
{
    size_t m = la < lb ? la : lb, k = 0;
    while (k + 8 <= m && pq_ld64(a + k) == pq_ld64(b + k))
        k += 8;
    while (k < m && a[k] == b[k])
        k++;
    return k;
}

int pq_dba_encode(dbuf *out, const int32_t *offsets, const uint8_t *data, size_t n)
{
    if (out->err)
        return out->err;
    int32_t *suf = lengths_of(DBA, out, offsets, n);
    if (!suf)
        return out->err;
    int32_t *pre = delta_reallocarray(NULL, n ? n : 1, sizeof *pre);
    if (!pre) {
        delta_free(suf);
        return out->err = DELTA_ENOMEM;
    }
    size_t stotal = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = (size_t)suf[i], p = 0;
        if (i)
            p = common_prefix(data + offsets[i - 1], (size_t)suf[i - 1] + (size_t)pre[i - 1],
                              data + offsets[i], l);
        pre[i] = (int32_t)p;
        suf[i] = (int32_t)(l - p);
        stotal += l - p;
    }
    pq_delta_encode_int32(out, pre, n);
    pq_delta_encode_int32(out, suf, n);
    if (dbuf_reserve(out, stotal) == 0) {
        uint8_t *dst = out->data + out->len;
        for (size_t i = 0; i < n; i++) {
            memcpy(dst, data + offsets[i] + pre[i], (size_t)suf[i]);
            dst += suf[i];
        }
        out->len += stotal;
        out->data[out->len] = '\0';
    }
    delta_free(pre);
    delta_free(suf);
    return out->err;
}
