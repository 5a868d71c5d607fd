/*
 * Bitmap copies, fills and counts (bits.h). Runs are handled a bit at a
 * time only at their unaligned ends; the middle goes a byte (copies) or a
 * 64-bit word (counts) at a time. Never reads a byte that holds none of
 * the requested bits.
 */
#include "columnar/bits.h"

#include <string.h>

static inline void put_bit(uint8_t *b, int64_t i, bool v)
{
    if (v)
        b[i >> 3] |= (uint8_t)(1u << (i & 7));
    else
        b[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

static inline bool get_bit(const uint8_t *b, int64_t i)
{
    return (b[i >> 3] >> (i & 7)) & 1;
}

void dbits_copy(uint8_t *dst, int64_t doff, const uint8_t *src, int64_t soff, int64_t n)
{
    /* Head: bit by bit until the destination is byte aligned. */
    while (n > 0 && (doff & 7)) {
        put_bit(dst, doff++, get_bit(src, soff++));
        n--;
    }
    if (n <= 0)
        return;
    int64_t nbytes = n >> 3;
    uint8_t *dp = dst + (doff >> 3);
    const uint8_t *sp = src + (soff >> 3);
    unsigned s = (unsigned)(soff & 7);
    if (s == 0) {
        memcpy(dp, sp, (size_t)nbytes);
    } else {
        /* Byte i gathers bits from sp[i] and sp[i+1]; the last sp[i+1]
         * read still holds requested bits since s >= 1. */
        for (int64_t i = 0; i < nbytes; i++)
            dp[i] = (uint8_t)((sp[i] >> s) | (sp[i + 1] << (8 - s)));
    }
    int64_t done = nbytes << 3;
    for (int64_t i = done; i < n; i++)
        put_bit(dst, doff + i, get_bit(src, soff + i));
}

void dbits_fill(uint8_t *dst, int64_t off, int64_t n, bool value)
{
    while (n > 0 && (off & 7)) {
        put_bit(dst, off++, value);
        n--;
    }
    if (n <= 0)
        return;
    int64_t nbytes = n >> 3;
    memset(dst + (off >> 3), value ? 0xff : 0, (size_t)nbytes);
    for (int64_t i = nbytes << 3; i < n; i++)
        put_bit(dst, off + i, value);
}

int64_t dbits_count(const uint8_t *bits, int64_t off, int64_t n)
{
    int64_t count = 0;
    while (n > 0 && (off & 7)) {
        count += get_bit(bits, off++);
        n--;
    }
    const uint8_t *p = bits + (off >> 3);
    int64_t nbytes = n >> 3;
    int64_t i = 0;
    for (; i + 8 <= nbytes; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        count += __builtin_popcountll(w);
    }
    for (; i < nbytes; i++)
        count += __builtin_popcount(p[i]);
    for (int64_t j = nbytes << 3; j < n; j++)
        count += get_bit(bits, off + j);
    return count;
}
