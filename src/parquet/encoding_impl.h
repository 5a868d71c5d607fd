/*
 * Private helpers shared by the encoding_*.c files (not for other modules):
 * little-endian loads and stores, ULEB128 and zigzag varints,
 * and publishing values written straight into a pq_bytes_out.
 *
 * Loads and stores go through memcpy so unaligned access is legal C; the
 * compiler turns them into single moves. On a big-endian host they byte
 * swap, so every caller sees little-endian file order as native integers.
 */
#ifndef DELTA_PARQUET_ENCODING_IMPL_H
#define DELTA_PARQUET_ENCODING_IMPL_H

#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "parquet/encoding.h"

#include <inttypes.h>

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PQ_BIG_ENDIAN 1
#else
#define PQ_BIG_ENDIAN 0
#endif

static inline uint32_t pq_ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if PQ_BIG_ENDIAN
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t pq_ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if PQ_BIG_ENDIAN
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void pq_st32(uint8_t *p, uint32_t v)
{
#if PQ_BIG_ENDIAN
    v = __builtin_bswap32(v);
#endif
    memcpy(p, &v, 4);
}

static inline void pq_st64(uint8_t *p, uint64_t v)
{
#if PQ_BIG_ENDIAN
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/* Result of pq_uleb_read. */
enum { PQ_ULEB_OK = 0, PQ_ULEB_TRUNCATED = 1, PQ_ULEB_OVERLONG = 2 };

/* Reads one ULEB128 value of at most 64 bits from [*pp, end); advances *pp
 * on success only. */
static inline int pq_uleb_read(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p == end)
            return PQ_ULEB_TRUNCATED;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return PQ_ULEB_OVERLONG;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return PQ_ULEB_OK;
        }
    }
    return PQ_ULEB_OVERLONG;
}

static inline const char *pq_uleb_problem(int rc)
{
    return rc == PQ_ULEB_TRUNCATED ? "truncated" : "over-long";
}

static inline void pq_uleb_put(dbuf *out, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    dbuf_append(out, tmp, n);
}

/* Zigzag on the two's complement bit pattern; no signed overflow. */
static inline uint64_t pq_zigzag_decode(uint64_t v)
{
    return (v >> 1) ^ (0 - (v & 1));
}

static inline uint64_t pq_zigzag_encode64(uint64_t v)
{
    return (v << 1) ^ (0 - (v >> 63));
}

static inline uint32_t pq_zigzag_encode32(uint32_t v)
{
    return (v << 1) ^ (0 - (v >> 31));
}

/* Publishes values written directly into a pq_bytes_out reserved with
 * pq_bytes_reserve: nvalues more offsets are valid and the data ends at
 * data_len (the NUL terminator is restored). */
static inline void pq_bytes_commit(pq_bytes_out *b, size_t nvalues, size_t data_len)
{
    b->count += nvalues;
    b->data.len = data_len;
    if (b->data.data)
        b->data.data[data_len] = '\0';
}

static inline int pq_bytes_range_error(const char *what, size_t have, uint64_t more)
{
    return delta_error_set(DELTA_ERANGE,
                           "%s: %zu + %" PRIu64 " bytes of values exceed the %d-byte limit "
                           "of one column batch",
                           what, have, more, INT32_MAX);
}

#endif
