/*
 * Tests for src/parquet/encoding*.c: known byte vectors from the Parquet
 * spec (Encodings.md), seeded property round trips for every encoding and
 * type, decoding streams built by independent reference encoders in this
 * file (other block sizes, garbage in padding and unused widths), and
 * hostile inputs (every truncation, corrupt headers, bad indices).
 *
 * Buffers handed to decoders are heap copies of exactly the input size, so
 * AddressSanitizer catches any read past the end.
 *
 * The seed is fixed (printed at start); set PQ_TEST_SEED to try another.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/encoding.h"

/* ------------------------------------------------------------ helpers */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static const size_t LENS[] = {0,   1,   2,   3,   7,   8,   9,   15,  16,   17,   31,  32,
                              33,  63,  64,  65,  127, 128, 129, 255, 256,  257,  500, 1000,
                              1023, 1024, 1025, 4099};
#define NLENS (sizeof LENS / sizeof LENS[0])

/* A heap copy of exactly n bytes (ASan catches overreads). */
static uint8_t *exact(const void *p, size_t n)
{
    uint8_t *q = malloc(n ? n : 1);
    assert_non_null(q);
    if (n)
        memcpy(q, p, n);
    return q;
}

static void expect_error(int rc, int code, const char *needle)
{
    if (rc != code || (needle && !strstr(delta_error_last(), needle)))
        fail_msg("expected %d containing \"%s\", got %d: %s", code, needle ? needle : "", rc,
                 delta_error_last());
}

static uint64_t mask_of(unsigned w)
{
    return w >= 64 ? ~0ull : (1ull << w) - 1;
}

/* Random value of exactly up to w bits, biased toward extremes. */
static uint64_t rnd_bits(unsigned w)
{
    switch (below(8)) {
    case 0:
        return 0;
    case 1:
        return mask_of(w);
    default:
        return rnd() & mask_of(w);
    }
}

/* Naive LSB-first bit packer, independent of the code under test. */
static void ref_pack(const uint64_t *v, size_t n, unsigned w, uint8_t *dst)
{
    memset(dst, 0, pq_packed_bytes(n, w));
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < w; b++)
            if ((v[i] >> b) & 1) {
                size_t bit = i * w + b;
                dst[bit / 8] |= (uint8_t)(1u << (bit % 8));
            }
}

static void put_uleb(dbuf *b, uint64_t v)
{
    while (v >= 0x80) {
        dbuf_putc(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    dbuf_putc(b, (uint8_t)v);
}

static uint64_t zz64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63));
}

static int setup_seed(void **state)
{
    (void)state;
    const char *s = getenv("PQ_TEST_SEED");
    if (s)
        rng = strtoull(s, NULL, 0) | 1;
    printf("test_encoding: seed 0x%016" PRIx64 "\n", rng);
    return 0;
}

/* --------------------------------------------------------- bit packing */

static void test_bit_width(void **state)
{
    (void)state;
    assert_int_equal(pq_bit_width32(0), 0);
    assert_int_equal(pq_bit_width32(1), 1);
    assert_int_equal(pq_bit_width32(2), 2);
    assert_int_equal(pq_bit_width32(255), 8);
    assert_int_equal(pq_bit_width32(256), 9);
    assert_int_equal(pq_bit_width32(UINT32_MAX), 32);
    assert_int_equal(pq_bit_width64(UINT64_MAX), 64);
    assert_int_equal(pq_bit_width64(1ull << 40), 41);
    assert_int_equal(pq_packed_bytes(0, 7), 0);
    assert_int_equal(pq_packed_bytes(1, 7), 1);
    assert_int_equal(pq_packed_bytes(8, 7), 7);
    assert_int_equal(pq_packed_bytes(9, 7), 8);
    assert_int_equal(pq_packed_bytes(3, 64), 24);
}

/* Encodings.md: 0..7 at width 3 packs to 10001000 11000110 11111010. */
static void test_bitpack_spec_example(void **state)
{
    (void)state;
    uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7}, back[8];
    uint8_t packed[3];
    pq_pack32(v, 8, 3, packed);
    assert_int_equal(packed[0], 0x88);
    assert_int_equal(packed[1], 0xC6);
    assert_int_equal(packed[2], 0xFA);
    uint8_t *src = exact(packed, 3);
    pq_unpack32(src, 8, 3, back);
    assert_memory_equal(v, back, sizeof v);
    free(src);
}

static void test_bitpack32_roundtrip(void **state)
{
    (void)state;
    for (unsigned w = 0; w <= 32; w++) {
        for (size_t li = 0; li < NLENS; li++) {
            size_t n = LENS[li];
            uint32_t *v = malloc((n + 1) * 4), *back = malloc((n + 1) * 4);
            uint64_t *v64 = malloc((n + 1) * 8);
            size_t nb = pq_packed_bytes(n, w);
            uint8_t *mine = malloc(nb + 1), *ref = malloc(nb + 1);
            for (size_t i = 0; i < n; i++) {
                v64[i] = rnd_bits(w);
                v[i] = (uint32_t)v64[i] | (w < 32 ? (uint32_t)(rnd() << w) : 0); /* junk above */
            }
            pq_pack32(v, n, w, mine);
            ref_pack(v64, n, w, ref);
            if (nb)
                assert_memory_equal(mine, ref, nb);
            uint8_t *src = exact(mine, nb);
            pq_unpack32(src, n, w, back);
            for (size_t i = 0; i < n; i++)
                if (back[i] != (uint32_t)v64[i])
                    fail_msg("width %u n %zu: value %zu is %u, expected %" PRIu64, w, n, i,
                             back[i], v64[i]);
            free(src);
            free(v), free(back), free(v64), free(mine), free(ref);
        }
    }
}

static void test_bitpack64_roundtrip(void **state)
{
    (void)state;
    for (unsigned w = 0; w <= 64; w++) {
        for (size_t li = 0; li < NLENS; li++) {
            size_t n = LENS[li];
            uint64_t *v = malloc((n + 1) * 8), *back = malloc((n + 1) * 8);
            uint64_t *clean = malloc((n + 1) * 8);
            size_t nb = pq_packed_bytes(n, w);
            uint8_t *mine = malloc(nb + 1), *ref = malloc(nb + 1);
            for (size_t i = 0; i < n; i++) {
                clean[i] = rnd_bits(w);
                v[i] = clean[i] | (w < 64 ? rnd() << w : 0);
            }
            pq_pack64(v, n, w, mine);
            ref_pack(clean, n, w, ref);
            if (nb)
                assert_memory_equal(mine, ref, nb);
            uint8_t *src = exact(mine, nb);
            pq_unpack64(src, n, w, back);
            if (n)
                assert_memory_equal(back, clean, n * 8);
            free(src);
            free(v), free(back), free(clean), free(mine), free(ref);
        }
    }
}

/* ---------------------------------------------------------- RLE hybrid */

static void put_rle_run(dbuf *b, uint64_t count, uint32_t value, unsigned w)
{
    put_uleb(b, count << 1);
    for (unsigned i = 0; i < (w + 7) / 8; i++)
        dbuf_putc(b, (uint8_t)(value >> (8 * i)));
}

static void put_bp_run(dbuf *b, const uint32_t *v, size_t groups, unsigned w)
{
    put_uleb(b, (groups << 1) | 1);
    uint64_t *t = malloc(groups * 8 * 8 + 8);
    for (size_t i = 0; i < groups * 8; i++)
        t[i] = v[i];
    uint8_t *dst = dbuf_grow(b, pq_packed_bytes(groups * 8, w));
    ref_pack(t, groups * 8, w, dst);
    free(t);
}

/* Decodes n values in random batch sizes and compares. */
static void rle_check_decode(const uint8_t *enc, size_t len, unsigned w, const uint32_t *want,
                             size_t n)
{
    uint8_t *src = exact(enc, len);
    uint32_t *got = malloc((n + 1) * 4);
    pq_rle_dec d;
    assert_int_equal(pq_rle_init(&d, src, len, w), 0);
    size_t done = 0;
    while (done < n) {
        size_t k = 1 + below(below(4) ? 20 : 3000);
        if (k > n - done)
            k = n - done;
        int rc = pq_rle_read_exact(&d, got + done, k);
        if (rc)
            fail_msg("width %u: read of %zu at %zu failed: %s", w, k, done, delta_error_last());
        done += k;
    }
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("width %u n %zu: value %zu is %u, expected %u", w, n, i, got[i], want[i]);
    free(got);
    free(src);
}

/* Spec grammar by hand: RLE runs with multi-byte headers and values of
 * 1..4 bytes, bit-packed runs, in random order, decoded against the
 * values that built them. */
static void test_rle_decode_handmade(void **state)
{
    (void)state;
    for (int iter = 0; iter < 300; iter++) {
        unsigned w = (unsigned)below(33);
        dbuf b = DBUF_INIT;
        size_t cap = 1 << 16, n = 0;
        uint32_t *want = malloc(cap * 4);
        int runs = 1 + (int)below(12);
        for (int r = 0; r < runs; r++) {
            if (below(2)) {
                size_t count = 1 + below(below(3) ? 20 : 700);
                uint32_t v = (uint32_t)rnd_bits(w);
                put_rle_run(&b, count, v, w);
                for (size_t i = 0; i < count; i++)
                    want[n++] = v;
            } else {
                size_t groups = 1 + below(below(3) ? 3 : 80);
                for (size_t i = 0; i < groups * 8; i++)
                    want[n + i] = (uint32_t)rnd_bits(w);
                put_bp_run(&b, want + n, groups, w);
                n += groups * 8;
            }
        }
        assert_int_equal(b.err, 0);
        /* The caller may want fewer values than the last run holds. */
        size_t use = n - below(8 < n ? 8 : n);
        rle_check_decode(b.data, b.len, w, want, use);
        dbuf_free(&b);
        free(want);
    }
}

static void test_rle_known_vectors(void **state)
{
    (void)state;
    /* 0..7 at width 3: one bit-packed group, header (1 << 1) | 1. */
    uint32_t seq[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_rle_encode(&b, seq, 8, 3), 0);
    const uint8_t bp[] = {0x03, 0x88, 0xC6, 0xFA};
    assert_int_equal(b.len, sizeof bp);
    assert_memory_equal(b.data, bp, sizeof bp);
    dbuf_reset(&b);

    /* 300 copies of 4 at width 3: header 600 = 0xD8 0x04, value 0x04. */
    uint32_t *many = malloc(300 * 4);
    for (int i = 0; i < 300; i++)
        many[i] = 4;
    assert_int_equal(pq_rle_encode(&b, many, 300, 3), 0);
    const uint8_t rl[] = {0xD8, 0x04, 0x04};
    assert_int_equal(b.len, sizeof rl);
    assert_memory_equal(b.data, rl, sizeof rl);
    rle_check_decode(b.data, b.len, 3, many, 300);
    dbuf_reset(&b);

    /* Width 9 and 32: 2- and 4-byte run values. */
    const uint8_t w9[] = {0x0A, 0x2C, 0x01}; /* 5 x 300 */
    uint32_t w9v[5] = {300, 300, 300, 300, 300};
    rle_check_decode(w9, sizeof w9, 9, w9v, 5);
    const uint8_t w32[] = {0x04, 0x78, 0x56, 0x34, 0x12};
    uint32_t w32v[2] = {0x12345678, 0x12345678};
    rle_check_decode(w32, sizeof w32, 32, w32v, 2);

    /* Dictionary-index form and the length-prefixed form. */
    const uint8_t dict[] = {0x03, 0x03, 0x88, 0xC6, 0xFA};
    uint8_t *src = exact(dict, sizeof dict);
    pq_rle_dec d;
    uint32_t out[8];
    assert_int_equal(pq_rle_init_dict(&d, src, sizeof dict), 0);
    assert_int_equal(pq_rle_read_exact(&d, out, 8), 0);
    assert_memory_equal(out, seq, sizeof seq);
    expect_error(pq_rle_read_exact(&d, out, 1), DELTA_ECORRUPT, "data ends after 8 values");
    free(src);

    const uint8_t pre[] = {0x04, 0x00, 0x00, 0x00, 0x03, 0x88, 0xC6, 0xFA, 0xEE};
    src = exact(pre, sizeof pre);
    size_t used = 0;
    assert_int_equal(pq_rle_init_prefixed(&d, src, sizeof pre, 3, &used), 0);
    assert_int_equal(used, 8);
    assert_int_equal(pq_rle_read_exact(&d, out, 8), 0);
    assert_memory_equal(out, seq, sizeof seq);
    free(src);

    dbuf_free(&b);
    free(many);
}

/* Random data with runs of every length. */
static void gen_levels(uint32_t *v, size_t n, unsigned w)
{
    size_t i = 0;
    while (i < n) {
        uint32_t x = (uint32_t)rnd_bits(w);
        size_t run = below(3) == 0 ? 1 + below(40) : 1;
        if (below(50) == 0)
            run = 1000 + below(5000);
        for (size_t j = 0; j < run && i < n; j++)
            v[i++] = x;
    }
}

static void test_rle_roundtrip(void **state)
{
    (void)state;
    for (unsigned w = 0; w <= 32; w++) {
        for (size_t li = 0; li < NLENS; li++) {
            size_t n = LENS[li] + (li == NLENS - 1 ? below(20000) : 0);
            uint32_t *v = malloc((n + 1) * 4);
            gen_levels(v, n, w);
            dbuf b = DBUF_INIT;
            if (below(2)) {
                assert_int_equal(pq_rle_encode(&b, v, n, w), 0);
            } else { /* value by value through the streaming encoder */
                pq_rle_enc e;
                pq_rle_enc_init(&e, &b, w);
                for (size_t i = 0; i < n; i++)
                    pq_rle_enc_put(&e, v[i]);
                assert_int_equal(pq_rle_enc_finish(&e), 0);
            }
            rle_check_decode(b.data, b.len, w, v, n);
            dbuf_free(&b);
            free(v);
        }
    }
    /* A long constant run stays a few bytes. */
    size_t n = 1000000;
    uint32_t *v = calloc(n, 4);
    for (size_t i = 0; i < n; i++)
        v[i] = 5;
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_rle_encode(&b, v, n, 3), 0);
    assert_true(b.len <= 5);
    rle_check_decode(b.data, b.len, 3, v, n);
    dbuf_free(&b);
    free(v);
}

/* RLE runs never exceed 2^31-1 values: start the repeat counter near the
 * limit (white-box) and check the run is split there. */
static void test_rle_max_run(void **state)
{
    (void)state;
    for (int batch = 0; batch < 2; batch++) {
        dbuf b = DBUF_INIT;
        pq_rle_enc e;
        pq_rle_enc_init(&e, &b, 3);
        for (int i = 0; i < 9; i++)
            pq_rle_enc_put(&e, 6);
        e.rep = INT32_MAX - 3;
        uint32_t ten[10] = {6, 6, 6, 6, 6, 6, 6, 6, 6, 6};
        if (batch)
            pq_rle_enc_put_batch(&e, ten, 10);
        else
            for (int i = 0; i < 10; i++)
                pq_rle_enc_put(&e, 6);
        assert_int_equal(pq_rle_enc_finish(&e), 0);
        /* run(2^31-1) of 6, then run(7) of 6 */
        const uint8_t want[] = {0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x06, 0x0E, 0x06};
        assert_int_equal(b.len, sizeof want);
        assert_memory_equal(b.data, want, sizeof want);
        /* The decoder takes such a run too. */
        pq_rle_dec d;
        uint32_t out[1000];
        assert_int_equal(pq_rle_init(&d, b.data, b.len, 3), 0);
        assert_int_equal(pq_rle_read_exact(&d, out, 1000), 0);
        assert_int_equal(out[999], 6);
        dbuf_free(&b);
    }
}

/* Any prefix of a valid encoding either fails cleanly or yields exactly the
 * original values (the bytes cut were padding). */
static void test_rle_truncations(void **state)
{
    (void)state;
    for (int iter = 0; iter < 40; iter++) {
        unsigned w = (unsigned)below(33);
        size_t n = 1 + below(300);
        uint32_t *v = malloc(n * 4), *got = malloc(n * 4);
        gen_levels(v, n, w);
        dbuf b = DBUF_INIT;
        assert_int_equal(pq_rle_encode(&b, v, n, w), 0);
        for (size_t cut = 0; cut < b.len; cut++) {
            uint8_t *src = exact(b.data, cut);
            pq_rle_dec d;
            assert_int_equal(pq_rle_init(&d, src, cut, w), 0);
            int rc = pq_rle_read_exact(&d, got, n);
            if (rc == 0)
                assert_memory_equal(got, v, n * 4);
            else
                assert_int_equal(rc, DELTA_ECORRUPT);
            free(src);
        }
        dbuf_free(&b);
        free(v);
        free(got);
    }
}

static void test_rle_corrupt(void **state)
{
    (void)state;
    pq_rle_dec d;
    uint32_t out[16];
    expect_error(pq_rle_init(&d, (const uint8_t *)"", 0, 33), DELTA_ECORRUPT, "bit width 33");

    const uint8_t badw[] = {33, 0x02, 0x01};
    uint8_t *src = exact(badw, sizeof badw);
    expect_error(pq_rle_init_dict(&d, src, sizeof badw), DELTA_ECORRUPT, "bit width 33 > 32");
    free(src);
    expect_error(pq_rle_init_dict(&d, NULL, 0), DELTA_ECORRUPT, "no bit width");

    /* RLE value 5 does not fit 2 bits. */
    const uint8_t big[] = {0x10, 0x05};
    src = exact(big, sizeof big);
    assert_int_equal(pq_rle_init(&d, src, sizeof big, 2), 0);
    expect_error(pq_rle_read_exact(&d, out, 8), DELTA_ECORRUPT, "does not fit bit width 2");
    free(src);

    /* Over-long header varint. */
    const uint8_t ovl[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    src = exact(ovl, sizeof ovl);
    assert_int_equal(pq_rle_init(&d, src, sizeof ovl, 1), 0);
    expect_error(pq_rle_read_exact(&d, out, 1), DELTA_ECORRUPT, "run header at offset 0");
    free(src);

    /* Header above 32 bits. */
    const uint8_t h33[] = {0x80, 0x80, 0x80, 0x80, 0x20, 0x00};
    src = exact(h33, sizeof h33);
    assert_int_equal(pq_rle_init(&d, src, sizeof h33, 1), 0);
    expect_error(pq_rle_read_exact(&d, out, 1), DELTA_ECORRUPT, "oversized run header");
    free(src);

    /* Length prefix beyond the buffer. */
    const uint8_t lp[] = {0x09, 0x00, 0x00, 0x00, 0x02, 0x01};
    src = exact(lp, sizeof lp);
    expect_error(pq_rle_init_prefixed(&d, src, sizeof lp, 1, NULL), DELTA_ECORRUPT,
                 "length prefix 9");
    expect_error(pq_rle_init_prefixed(&d, src, 3, 1, NULL), DELTA_ECORRUPT, "4-byte length");
    free(src);

    /* Running out is reported with the count. */
    const uint8_t two[] = {0x04, 0x01};
    src = exact(two, sizeof two);
    assert_int_equal(pq_rle_init(&d, src, sizeof two, 1), 0);
    size_t got = 99;
    assert_int_equal(pq_rle_read(&d, out, 5, &got), 0);
    assert_int_equal(got, 2);
    assert_int_equal(out[0], 1);
    expect_error(pq_rle_read_exact(&d, out, 1), DELTA_ECORRUPT, "ends after 2 values");
    free(src);
}

static void test_rle_bool_and_prefixed(void **state)
{
    (void)state;
    for (size_t li = 0; li < NLENS; li++) {
        size_t n = LENS[li];
        uint8_t *v = malloc(n + 9), *got = malloc(n + 9);
        uint32_t *lv = malloc((n + 1) * 4), *lgot = malloc((n + 1) * 4);
        int mode = (int)below(3);
        for (size_t i = 0; i < n; i++) {
            v[i] = mode == 0 ? (uint8_t)below(2) : mode == 1 ? 1 : (uint8_t)(below(10) == 0);
            lv[i] = v[i] ? 3 : (uint32_t)below(3);
        }
        dbuf b = DBUF_INIT;
        assert_int_equal(pq_rle_encode_bool(&b, v, n), 0);
        dbuf_append(&b, "tail", 4);
        uint8_t *src = exact(b.data, b.len);
        size_t used = 0;
        assert_int_equal(pq_rle_decode_bool(src, b.len, n, got, &used), 0);
        assert_int_equal(used, b.len - 4);
        if (n)
            assert_memory_equal(v, got, n);
        if (n)
            expect_error(pq_rle_decode_bool(src, b.len - 4, n + 8, got, NULL), DELTA_ECORRUPT,
                         "RLE BOOLEAN");
        free(src);

        dbuf_reset(&b);
        assert_int_equal(pq_rle_encode_prefixed(&b, lv, n, 2), 0);
        src = exact(b.data, b.len);
        pq_rle_dec d;
        assert_int_equal(pq_rle_init_prefixed(&d, src, b.len, 2, &used), 0);
        assert_int_equal(used, b.len);
        assert_int_equal(pq_rle_read_exact(&d, lgot, n), 0);
        if (n)
            assert_memory_equal(lv, lgot, n * 4);
        free(src);

        dbuf_reset(&b);
        assert_int_equal(pq_rle_encode_dict(&b, lv, n, 2), 0);
        src = exact(b.data, b.len);
        assert_int_equal(pq_rle_init_dict(&d, src, b.len), 0);
        assert_int_equal(pq_rle_read_exact(&d, lgot, n), 0);
        if (n)
            assert_memory_equal(lv, lgot, n * 4);
        free(src);
        dbuf_free(&b);
        free(v), free(got), free(lv), free(lgot);
    }
}

/* ----------------------------------------------------- legacy BIT_PACKED */

static void test_bitpacked_legacy(void **state)
{
    (void)state;
    /* Encodings.md: 0..7 at width 3 is 00000101 00111001 01110111. */
    uint32_t seq[8] = {0, 1, 2, 3, 4, 5, 6, 7}, out[8];
    const uint8_t want[] = {0x05, 0x39, 0x77};
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_bitpacked_legacy_encode(&b, seq, 8, 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, want, 3);
    uint8_t *src = exact(want, 3);
    size_t used = 0;
    assert_int_equal(pq_bitpacked_legacy_decode(src, 3, 3, 8, out, &used), 0);
    assert_int_equal(used, 3);
    assert_memory_equal(out, seq, sizeof seq);
    expect_error(pq_bitpacked_legacy_decode(src, 2, 3, 8, out, NULL), DELTA_ECORRUPT,
                 "need 3 bytes");
    free(src);
    dbuf_free(&b);

    for (unsigned w = 0; w <= 32; w++) {
        size_t n = LENS[below(NLENS)];
        uint32_t *v = malloc((n + 1) * 4), *got = malloc((n + 1) * 4);
        for (size_t i = 0; i < n; i++)
            v[i] = (uint32_t)rnd_bits(w);
        dbuf e = DBUF_INIT;
        assert_int_equal(pq_bitpacked_legacy_encode(&e, v, n, w), 0);
        assert_int_equal(e.len, pq_packed_bytes(n, w));
        src = exact(e.data, e.len);
        assert_int_equal(pq_bitpacked_legacy_decode(src, e.len, w, n, got, NULL), 0);
        if (n)
            assert_memory_equal(v, got, n * 4);
        free(src);
        dbuf_free(&e);
        free(v), free(got);
    }
}

/* ---------------------------------------------------------------- PLAIN */

static void test_plain_numbers(void **state)
{
    (void)state;
    static const int32_t i32e[] = {0, 1, -1, INT32_MIN, INT32_MAX, 42};
    static const int64_t i64e[] = {0, 1, -1, INT64_MIN, INT64_MAX, 1ll << 40};
    const double de[] = {0.0, -0.0, 1.5, NAN, INFINITY, -INFINITY, 1e308, 5e-324};
    const float fe[] = {0.0f, -0.0f, 1.5f, NAN, INFINITY, -INFINITY, FLT_MAX, FLT_TRUE_MIN};
    for (size_t li = 0; li < NLENS; li++) {
        size_t n = LENS[li];
        int32_t *a = malloc((n + 1) * 4), *a2 = malloc((n + 1) * 4);
        int64_t *b = malloc((n + 1) * 8), *b2 = malloc((n + 1) * 8);
        float *f = malloc((n + 1) * 4), *f2 = malloc((n + 1) * 4);
        double *d = malloc((n + 1) * 8), *d2 = malloc((n + 1) * 8);
        for (size_t i = 0; i < n; i++) {
            a[i] = below(3) ? (int32_t)rnd() : i32e[below(6)];
            b[i] = below(3) ? (int64_t)rnd() : i64e[below(6)];
            d[i] = below(3) ? (double)(int64_t)rnd() / 7.0 : de[below(8)];
            f[i] = below(3) ? (float)(int32_t)rnd() / 3.0f : fe[below(8)];
        }
        dbuf e = DBUF_INIT;
        pq_plain_encode_int32(&e, a, n);
        pq_plain_encode_int64(&e, b, n);
        pq_plain_encode_float(&e, f, n);
        assert_int_equal(pq_plain_encode_double(&e, d, n), 0);
        assert_int_equal(e.len, n * 24);
        uint8_t *src = exact(e.data, e.len);
        const uint8_t *p = src;
        assert_int_equal(pq_plain_decode_int32(p, n * 4, n, a2), 0);
        p += n * 4;
        assert_int_equal(pq_plain_decode_int64(p, n * 8, n, b2), 0);
        p += n * 8;
        assert_int_equal(pq_plain_decode_float(p, n * 4, n, f2), 0);
        p += n * 4;
        assert_int_equal(pq_plain_decode_double(p, n * 8, n, d2), 0);
        if (n) { /* bit-exact, NaN included */
            assert_memory_equal(a, a2, n * 4);
            assert_memory_equal(b, b2, n * 8);
            assert_memory_equal(f, f2, n * 4);
            assert_memory_equal(d, d2, n * 8);
            expect_error(pq_plain_decode_int64(p, n * 8 - 1, n, b2), DELTA_ECORRUPT,
                         "PLAIN INT64");
        }
        free(src);
        dbuf_free(&e);
        free(a), free(a2), free(b), free(b2), free(f), free(f2), free(d), free(d2);
    }
    /* Little-endian on disk. */
    int32_t one = 0x01020304;
    dbuf e = DBUF_INIT;
    pq_plain_encode_int32(&e, &one, 1);
    const uint8_t le[] = {4, 3, 2, 1};
    assert_memory_equal(e.data, le, 4);
    dbuf_free(&e);
}

static void test_plain_bool_and_fixed(void **state)
{
    (void)state;
    for (size_t li = 0; li < NLENS; li++) {
        size_t n = LENS[li];
        uint8_t *v = malloc(n + 1), *got = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            v[i] = (uint8_t)below(2);
        dbuf e = DBUF_INIT;
        assert_int_equal(pq_plain_encode_bool(&e, v, n), 0);
        assert_int_equal(e.len, (n + 7) / 8);
        uint8_t *src = exact(e.data, e.len);
        size_t used = 99;
        assert_int_equal(pq_plain_decode_bool(src, e.len, n, got, &used), 0);
        assert_int_equal(used, e.len);
        if (n) {
            assert_memory_equal(v, got, n);
            expect_error(pq_plain_decode_bool(src, e.len, n + 8, got, NULL), DELTA_ECORRUPT,
                         "PLAIN BOOLEAN");
        }
        free(src);
        dbuf_free(&e);
        free(v), free(got);
    }
    const uint8_t bits[] = {0x05}; /* 1, 0, 1, 0 */
    uint8_t b4[4];
    assert_int_equal(pq_plain_decode_bool(bits, 1, 4, b4, NULL), 0);
    assert_int_equal(b4[0], 1);
    assert_int_equal(b4[1], 0);
    assert_int_equal(b4[2], 1);
    assert_int_equal(b4[3], 0);

    static const size_t widths[] = {1, 3, 12, 16, 33};
    for (size_t wi = 0; wi < 5; wi++) {
        size_t w = widths[wi], n = LENS[below(NLENS)];
        uint8_t *v = malloc(n * w + 1), *got = malloc(n * w + 1);
        for (size_t i = 0; i < n * w; i++)
            v[i] = (uint8_t)rnd();
        dbuf e = DBUF_INIT;
        assert_int_equal(pq_plain_encode_fixed(&e, v, n, w), 0);
        assert_int_equal(e.len, n * w);
        uint8_t *src = exact(e.data, e.len);
        assert_int_equal(pq_plain_decode_fixed(src, e.len, n, w, got), 0);
        if (n)
            assert_memory_equal(v, got, n * w);
        if (n)
            expect_error(pq_plain_decode_fixed(src, e.len - 1, n, w, got), DELTA_ECORRUPT,
                         w == 12 ? "PLAIN INT96" : "PLAIN FIXED_LEN_BYTE_ARRAY");
        free(src);
        dbuf_free(&e);
        free(v), free(got);
    }
}

/* Random strings (empty ones included) as Arrow offsets + data. */
typedef struct strs {
    size_t n;
    int32_t *off;
    uint8_t *data;
} strs;

static strs gen_strs(size_t n, int shared_prefixes)
{
    strs s = {n, malloc((n + 1) * 4), NULL};
    size_t cap = 16;
    for (size_t i = 0; i < n; i++)
        cap += 40;
    s.data = malloc(cap);
    s.off[0] = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = below(5) == 0 ? 0 : below(below(10) ? 12 : 40);
        size_t keep = 0;
        if (shared_prefixes && i && below(3)) {
            size_t pl = (size_t)(s.off[i] - s.off[i - 1]);
            keep = below(pl + 1);
            if (keep > l)
                l = keep;
            memmove(s.data + at, s.data + s.off[i - 1], keep);
        }
        for (size_t j = keep; j < l; j++)
            s.data[at + j] = shared_prefixes ? (uint8_t)('a' + below(3)) : (uint8_t)rnd();
        at += l;
        s.off[i + 1] = (int32_t)at;
    }
    return s;
}

static void free_strs(strs *s)
{
    free(s->off);
    free(s->data);
}

/* out holds `before` values of the pattern "pre<i>" then s. */
static void check_strs(const pq_bytes_out *out, size_t before, const strs *s)
{
    assert_int_equal(out->count, before + s->n);
    assert_int_equal(out->offsets[0], 0);
    assert_int_equal((size_t)out->offsets[out->count], out->data.len);
    for (size_t i = 0; i < s->n; i++) {
        int32_t a = out->offsets[before + i], b = out->offsets[before + i + 1];
        int32_t la = s->off[i + 1] - s->off[i];
        if (b - a != la)
            fail_msg("value %zu: length %d, expected %d", i, b - a, la);
        if (la)
            assert_memory_equal(out->data.data + a, s->data + s->off[i], (size_t)la);
    }
}

static void prefill(pq_bytes_out *out, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        char tmp[32];
        int l = snprintf(tmp, sizeof tmp, "pre%zu", i);
        assert_int_equal(pq_bytes_append(out, tmp, (size_t)l), 0);
    }
}

static void test_plain_byte_array(void **state)
{
    (void)state;
    for (size_t li = 0; li < NLENS; li++) {
        size_t n = LENS[li];
        strs s = gen_strs(n, 0);
        dbuf e = DBUF_INIT;
        assert_int_equal(pq_plain_encode_byte_array(&e, s.off, s.data, n), 0);
        dbuf_append(&e, "xyz", 3);
        uint8_t *src = exact(e.data, e.len);
        size_t before = below(3), used = 0;
        pq_bytes_out out = PQ_BYTES_OUT_INIT;
        prefill(&out, before);
        assert_int_equal(pq_plain_decode_byte_array(src, e.len, n, &out, &used), 0);
        assert_int_equal(used, e.len - 3);
        check_strs(&out, before, &s);

        pq_bytes_view *views = malloc((n + 1) * sizeof *views);
        assert_int_equal(pq_plain_scan_byte_array(src, e.len, n, views, &used), 0);
        assert_int_equal(used, e.len - 3);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(views[i].len, (uint32_t)(s.off[i + 1] - s.off[i]));
            assert_true(views[i].ptr >= src && views[i].ptr + views[i].len <= src + e.len);
        }
        free(views);
        free(src);

        /* Every truncation fails and leaves out as it was. */
        size_t count = out.count, dlen = out.data.len;
        for (size_t cut = 0; n && cut < e.len - 3; cut += 1 + below(n > 100 ? 40 : 2)) {
            src = exact(e.data, cut);
            expect_error(pq_plain_decode_byte_array(src, cut, n, &out, NULL), DELTA_ECORRUPT,
                         "PLAIN BYTE_ARRAY");
            assert_int_equal(out.count, count);
            assert_int_equal(out.data.len, dlen);
            pq_bytes_view v1[1];
            if (n == 1)
                expect_error(pq_plain_scan_byte_array(src, cut, 1, v1, NULL), DELTA_ECORRUPT,
                             "PLAIN BYTE_ARRAY");
            free(src);
        }
        pq_bytes_free(&out);
        dbuf_free(&e);
        free_strs(&s);
    }
    /* A length running past the end is named. */
    const uint8_t bad[] = {0x05, 0, 0, 0, 'a', 'b'};
    pq_bytes_out out = PQ_BYTES_OUT_INIT;
    expect_error(pq_plain_decode_byte_array(bad, sizeof bad, 1, &out, NULL), DELTA_ECORRUPT,
                 "length 5 exceeds");
    pq_bytes_free(&out);
}

static void test_int96(void **state)
{
    (void)state;
    uint8_t v[12];
    int64_t t;
    pq_nanos_to_int96(0, v);
    const uint8_t epoch[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0x8C, 0x3D, 0x25, 0x00}; /* 2440588 */
    assert_memory_equal(v, epoch, 12);
    assert_int_equal(pq_int96_to_nanos(v, &t), 0);
    assert_int_equal(t, 0);
    /* 2000-01-01T00:00:01.5Z */
    const int64_t y2k = 946684800ll * 1000000000ll + 1500000000ll;
    pq_nanos_to_int96(y2k, v);
    assert_int_equal(pq_int96_to_nanos(v, &t), 0);
    assert_int_equal(t, y2k);
    for (int i = 0; i < 1000; i++) {
        int64_t x = (int64_t)(rnd() >> 2) * (below(2) ? 1 : -1);
        pq_nanos_to_int96(x, v);
        assert_int_equal(pq_int96_to_nanos(v, &t), 0);
        assert_int_equal(t, x);
    }
    /* the whole int64 range, including its ends */
    const int64_t ends[] = {INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1};
    for (int i = 0; i < 4; i++) {
        pq_nanos_to_int96(ends[i], v);
        assert_int_equal(pq_int96_to_nanos(v, &t), 0);
        assert_int_equal(t, ends[i]);
    }
    const uint8_t far[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f};
    expect_error(pq_int96_to_nanos(far, &t), DELTA_ERANGE, "INT96");
    /* one day before the earliest representable one */
    pq_nanos_to_int96(INT64_MIN, v);
    uint32_t day;
    memcpy(&day, v + 8, 4);
    day--;
    memcpy(v + 8, &day, 4);
    expect_error(pq_int96_to_nanos(v, &t), DELTA_ERANGE, "INT96");
}

/* ------------------------------------------------------------ dictionary */

static void test_dict_gather(void **state)
{
    (void)state;
    static const size_t widths[] = {4, 8, 12, 16, 5};
    for (size_t wi = 0; wi < 5; wi++) {
        size_t w = widths[wi], dn = 1 + below(300), n = LENS[below(NLENS)];
        uint8_t *dict = malloc(dn * w), *out = malloc(n * w + 1);
        uint32_t *idx = malloc((n + 1) * 4);
        for (size_t i = 0; i < dn * w; i++)
            dict[i] = (uint8_t)rnd();
        for (size_t i = 0; i < n; i++)
            idx[i] = (uint32_t)below(dn);
        assert_int_equal(pq_dict_gather(dict, dn, w, idx, n, out), 0);
        for (size_t i = 0; i < n; i++)
            assert_memory_equal(out + i * w, dict + idx[i] * w, w);
        if (n) {
            size_t bad = below(n);
            idx[bad] = (uint32_t)(dn + below(5));
            char needle[64];
            snprintf(needle, sizeof needle, "index %u out of range at value %zu", idx[bad], bad);
            expect_error(pq_dict_gather(dict, dn, w, idx, n, out), DELTA_ECORRUPT, needle);
        }
        free(dict), free(out), free(idx);
    }

    /* Byte arrays, from views scanned out of a PLAIN dictionary page. */
    strs s = gen_strs(50, 0);
    dbuf page = DBUF_INIT;
    pq_plain_encode_byte_array(&page, s.off, s.data, s.n);
    pq_bytes_view views[50];
    assert_int_equal(pq_plain_scan_byte_array(page.data, page.len, 50, views, NULL), 0);
    size_t n = 3000;
    uint32_t *idx = malloc(n * 4);
    strs want = {n, malloc((n + 1) * 4), malloc(40 * n + 1)};
    want.off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        idx[i] = (uint32_t)below(50);
        memcpy(want.data + want.off[i], views[idx[i]].ptr, views[idx[i]].len);
        want.off[i + 1] = want.off[i] + (int32_t)views[idx[i]].len;
    }
    pq_bytes_out out = PQ_BYTES_OUT_INIT;
    prefill(&out, 2);
    assert_int_equal(pq_dict_gather_bytes(views, 50, idx, n, &out), 0);
    check_strs(&out, 2, &want);
    /* The padded form (the page buffer holds PQ_DICT_PAD spare bytes)
     * gives the same values, appended after what is there. */
    assert_int_equal(dbuf_reserve(&page, PQ_DICT_PAD), 0);
    assert_int_equal(pq_plain_scan_byte_array(page.data, page.len, 50, views, NULL), 0);
    pq_bytes_out padded = PQ_BYTES_OUT_INIT;
    prefill(&padded, 2);
    assert_int_equal(pq_dict_gather_bytes_padded(views, 50, idx, n, &padded), 0);
    check_strs(&padded, 2, &want);
    pq_bytes_free(&padded);
    idx[1234] = 50;
    expect_error(pq_dict_gather_bytes(views, 50, idx, n, &out), DELTA_ECORRUPT,
                 "index 50 out of range at value 1234 (dictionary has 50 entries)");
    assert_int_equal(out.count, 2 + n);

    /* Totals past INT32_MAX are refused before anything is copied. */
    pq_bytes_view huge = {views[0].ptr, 1u << 30};
    uint32_t three[3] = {0, 0, 0};
    expect_error(pq_dict_gather_bytes(&huge, 1, three, 3, &out), DELTA_ERANGE, "exceed");
    assert_int_equal(out.count, 2 + n);

    pq_bytes_free(&out);
    free(idx);
    free_strs(&want);
    free_strs(&s);
    dbuf_free(&page);
}

/* --------------------------------------------------- DELTA_BINARY_PACKED */

/* Encodings.md examples 1 and 2, with a valid block size of 128 in 4
 * miniblocks of 32 (the spec's examples use 8 to stay short). */
static void test_delta_spec_examples(void **state)
{
    (void)state;
    int32_t ex1[] = {1, 2, 3, 4, 5}, got[8];
    const uint8_t want1[] = {0x80, 0x01, 0x04, 0x05, 0x02, /* header */
                             0x02, 0x00, 0x00, 0x00, 0x00}; /* min 1, widths 0 */
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_delta_encode_int32(&b, ex1, 5), 0);
    assert_int_equal(b.len, sizeof want1);
    assert_memory_equal(b.data, want1, sizeof want1);
    uint8_t *src = exact(want1, sizeof want1);
    size_t used = 0;
    assert_int_equal(pq_delta_decode_int32(src, sizeof want1, 5, got, &used), 0);
    assert_int_equal(used, sizeof want1);
    assert_memory_equal(got, ex1, sizeof ex1);
    free(src);

    int32_t ex2[] = {7, 5, 3, 1, 2, 3, 4, 5};
    const uint8_t want2[] = {0x80, 0x01, 0x04, 0x08, 0x0E, /* header, first 7 */
                             0x03,                         /* min delta -2 */
                             0x02, 0x00, 0x00, 0x00,       /* widths */
                             0xC0, 0x3F, 0, 0, 0, 0, 0, 0}; /* 0,0,0,3,3,3,3 at 2 bits */
    dbuf_reset(&b);
    assert_int_equal(pq_delta_encode_int32(&b, ex2, 8), 0);
    assert_int_equal(b.len, sizeof want2);
    assert_memory_equal(b.data, want2, sizeof want2);
    src = exact(want2, sizeof want2);
    assert_int_equal(pq_delta_decode_int32(src, sizeof want2, 8, got, &used), 0);
    assert_int_equal(used, sizeof want2);
    assert_memory_equal(got, ex2, sizeof ex2);
    int64_t got64[8];
    assert_int_equal(pq_delta_decode_int64(src, sizeof want2, 8, got64, NULL), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(got64[i], ex2[i]);
    free(src);

    /* The spec's literal block size 8 is not a multiple of 128. */
    const uint8_t lit[] = {0x08, 0x01, 0x05, 0x02, 0x02, 0x00};
    expect_error(pq_delta_decode_int32(lit, sizeof lit, 5, got, NULL), DELTA_ECORRUPT,
                 "block size 8 is not a positive multiple of 128");
    dbuf_free(&b);
}

/* Independent encoder with any block layout; unused miniblock widths and
 * padding bits hold garbage, which readers must accept. */
static void ref_delta(dbuf *out, const int64_t *v, size_t n, unsigned block, unsigned minis,
                      unsigned bits)
{
    uint64_t m = bits == 32 ? 0xffffffffull : ~0ull;
    unsigned per = block / minis;
    put_uleb(out, block);
    put_uleb(out, minis);
    put_uleb(out, n);
    put_uleb(out, n ? (bits == 32 ? zz64((int32_t)v[0]) : zz64(v[0])) : 0);
    uint64_t *rel = malloc(block * 8);
    for (size_t i = 1; i < n; i += block) {
        size_t k = n - i < block ? n - i : block;
        int64_t mn = INT64_MAX;
        for (size_t j = 0; j < k; j++) {
            uint64_t dd = ((uint64_t)v[i + j] - (uint64_t)v[i + j - 1]) & m;
            int64_t sd = bits == 32 ? (int64_t)(int32_t)(uint32_t)dd : (int64_t)dd;
            rel[j] = dd;
            mn = sd < mn ? sd : mn;
        }
        put_uleb(out, bits == 32 ? zz64((int32_t)mn) : zz64(mn));
        unsigned used = (unsigned)((k + per - 1) / per);
        uint8_t wid[256];
        for (unsigned q = 0; q < minis; q++) {
            uint64_t mx = 0;
            for (size_t j = q * per; j < (q + 1) * per && j < k; j++) {
                rel[j] = (rel[j] - (uint64_t)mn) & m;
                mx = rel[j] > mx ? rel[j] : mx;
            }
            wid[q] = q < used ? (uint8_t)pq_bit_width64(mx) : (uint8_t)rnd();
            if (q < used && below(4) == 0 && wid[q] < bits)
                wid[q] = (uint8_t)(wid[q] + below(bits - wid[q] + 1)); /* wider than needed */
        }
        dbuf_append(out, wid, minis);
        for (unsigned q = 0; q < used; q++) {
            uint64_t *t = malloc(per * 8);
            for (unsigned j = 0; j < per; j++)
                t[j] = q * per + j < k ? rel[q * per + j] : rnd() & mask_of(wid[q]);
            uint8_t *dst = dbuf_grow(out, per / 8 * wid[q]);
            ref_pack(t, per, wid[q], dst);
            free(t);
        }
    }
    free(rel);
}

static void gen_ints(int64_t *v, size_t n, unsigned bits)
{
    int kind = (int)below(6);
    int64_t x = (int64_t)rnd();
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 0: /* uniform */
            v[i] = (int64_t)rnd();
            break;
        case 1: /* increasing with small steps */
            x += (int64_t)below(100);
            v[i] = x;
            break;
        case 2: /* extremes: wraparound deltas */
            v[i] = below(2) ? INT64_MIN : INT64_MAX;
            break;
        case 3: /* constant */
            v[i] = x;
            break;
        case 4: /* small noise */
            v[i] = (int64_t)below(16) - 8;
            break;
        default: /* timestamps in microseconds */
            x += 1000000 + (int64_t)below(1000);
            v[i] = x;
        }
        if (bits == 32) {
            uint32_t u = (uint32_t)v[i];
            int32_t s;
            memcpy(&s, &u, 4);
            if (kind == 2)
                s = below(2) ? INT32_MIN : INT32_MAX;
            v[i] = s;
        }
    }
}

static void delta_check(const uint8_t *enc, size_t len, const int64_t *v, size_t n,
                        unsigned bits, size_t trailing)
{
    uint8_t *src = exact(enc, len);
    size_t used = 0;
    if (bits == 32) {
        int32_t *got = malloc((n + 1) * 4);
        int rc = pq_delta_decode_int32(src, len, n, got, &used);
        if (rc)
            fail_msg("decode of %zu int32 failed: %s", n, delta_error_last());
        for (size_t i = 0; i < n; i++)
            if (got[i] != (int32_t)v[i])
                fail_msg("n %zu: value %zu is %d, expected %d", n, i, got[i], (int32_t)v[i]);
        /* The same stream read in random batches. */
        pq_delta_dec d;
        assert_int_equal(pq_delta_init(&d, src, len, 32), 0);
        assert_int_equal(pq_delta_count(&d), n);
        memset(got, 0, (n + 1) * 4);
        for (size_t done = 0; done < n;) {
            size_t k = 1 + below(below(2) ? 11 : 300);
            k = k > n - done ? n - done : k;
            assert_int_equal(pq_delta_read32(&d, got + done, k), 0);
            done += k;
        }
        for (size_t i = 0; i < n; i++)
            assert_int_equal(got[i], (int32_t)v[i]);
        expect_error(pq_delta_read32(&d, got, 1), DELTA_ECORRUPT, "1 values needed, 0 left");
        free(got);
    } else {
        int64_t *got = malloc((n + 1) * 8);
        int rc = pq_delta_decode_int64(src, len, n, got, &used);
        if (rc)
            fail_msg("decode of %zu int64 failed: %s", n, delta_error_last());
        if (n)
            assert_memory_equal(got, v, n * 8);
        /* Read part, then skip the rest: the end is the same. */
        pq_delta_dec d;
        assert_int_equal(pq_delta_init(&d, src, len, 64), 0);
        size_t part = below(n + 1), used2 = 0;
        assert_int_equal(pq_delta_read64(&d, got, part), 0);
        if (part)
            assert_memory_equal(got, v, part * 8);
        assert_int_equal(pq_delta_end(&d, &used2), 0);
        assert_int_equal(used2, len - trailing);
        free(got);
    }
    assert_int_equal(used, len - trailing);
    free(src);
}

static void test_delta_roundtrip(void **state)
{
    (void)state;
    for (unsigned bits = 32; bits <= 64; bits += 32) {
        for (size_t li = 0; li < NLENS; li++) {
            for (int rep = 0; rep < 3; rep++) {
                size_t n = LENS[li];
                int64_t *v = malloc((n + 1) * 8);
                gen_ints(v, n, bits);
                dbuf b = DBUF_INIT;
                if (bits == 32) {
                    int32_t *v32 = malloc((n + 1) * 4);
                    for (size_t i = 0; i < n; i++)
                        v32[i] = (int32_t)v[i];
                    assert_int_equal(pq_delta_encode_int32(&b, v32, n), 0);
                    free(v32);
                } else {
                    assert_int_equal(pq_delta_encode_int64(&b, v, n), 0);
                }
                size_t trailing = below(3);
                dbuf_append(&b, "\x01\x02\x03", trailing);
                delta_check(b.data, b.len, v, n, bits, trailing);
                dbuf_free(&b);
                free(v);
            }
        }
    }
}

/* DELTA_BINARY_PACKED as written by encoders that take exact deltas in
 * wider arithmetic (DuckDB): INT32 miniblocks up to 33 bits wide, INT64 ones
 * up to 65, with the min delta wrapped to 64 bits. */
static unsigned wide_delta(dbuf *out, const int64_t *v, size_t n)
{
    unsigned widest = 0;
    __extension__ typedef __int128 i128;
    __extension__ typedef unsigned __int128 u128;
    enum { BLOCK = 128, MINIS = 4, PER = BLOCK / MINIS };
    put_uleb(out, BLOCK);
    put_uleb(out, MINIS);
    put_uleb(out, n);
    put_uleb(out, n ? zz64(v[0]) : 0);
    for (size_t i = 1; i < n; i += BLOCK) {
        size_t k = n - i < BLOCK ? n - i : BLOCK;
        i128 d[BLOCK], mn = 0;
        for (size_t j = 0; j < k; j++) {
            d[j] = (i128)v[i + j] - (i128)v[i + j - 1];
            mn = j == 0 || d[j] < mn ? d[j] : mn;
        }
        put_uleb(out, zz64((int64_t)(uint64_t)(u128)mn));
        uint8_t wid[MINIS];
        for (unsigned q = 0; q < MINIS; q++) {
            u128 mx = 0;
            for (size_t j = q * PER; j < (q + 1) * PER && j < k; j++)
                mx = (u128)(d[j] - mn) > mx ? (u128)(d[j] - mn) : mx;
            unsigned w = 0;
            while (w < 128 && (mx >> w) != 0)
                w++;
            wid[q] = (uint8_t)w;
            widest = w > widest ? w : widest;
        }
        dbuf_append(out, wid, MINIS);
        for (unsigned q = 0; q < MINIS && q * PER < k; q++) {
            uint8_t *dst = dbuf_grow(out, PER / 8 * wid[q]);
            memset(dst, 0, PER / 8 * wid[q]);
            for (size_t j = 0; j < PER && q * PER + j < k; j++) {
                u128 rel = (u128)(d[q * PER + j] - mn);
                for (unsigned b = 0; b < wid[q]; b++)
                    if ((rel >> b) & 1) {
                        size_t bit = j * wid[q] + b;
                        dst[bit / 8] |= (uint8_t)(1u << (bit % 8));
                    }
            }
        }
    }
    return widest;
}

static void test_delta_wide_miniblocks(void **state)
{
    (void)state;
    for (unsigned bits = 32; bits <= 64; bits += 32) {
        unsigned widest = 0;
        for (int rep = 0; rep < 40; rep++) {
            size_t n = 1 + below(600);
            int64_t *v = malloc(n * 8);
            gen_ints(v, n, bits);
            /* extremes next to each other make the widest deltas */
            int64_t lo = bits == 32 ? INT32_MIN : INT64_MIN, hi = bits == 32 ? INT32_MAX : INT64_MAX;
            for (size_t i = 0; i < n; i++)
                if (rep % 2 == 0 && below(3) == 0)
                    v[i] = below(2) ? lo : hi;
            dbuf b = DBUF_INIT;
            unsigned w = wide_delta(&b, v, n);
            widest = w > widest ? w : widest;
            size_t trailing = below(3);
            dbuf_append(&b, "\x01\x02\x03", trailing);
            delta_check(b.data, b.len, v, n, bits, trailing);
            dbuf_free(&b);
            free(v);
        }
        assert_int_equal(widest, bits + 1);
    }
    /* The smallest case by hand: INT32_MIN, INT32_MAX, INT32_MIN. The
     * deltas are 2^32-1 and -(2^32-1): min delta -(2^32-1), relative
     * deltas 2^33-2 and 0, one 33-bit miniblock. */
    static const uint8_t lit[] = {
        0x80, 0x01, 0x04, 0x03, 0xff, 0xff, 0xff, 0xff, 0x0f, /* header, first INT32_MIN */
        0xfd, 0xff, 0xff, 0xff, 0x1f,                         /* min delta -(2^32-1) */
        33, 0, 0, 0,                                          /* widths */
        0xfe, 0xff, 0xff, 0xff, 0x01, /* 2^33-2 at bit 0, then 0 */
    };
    uint8_t body[sizeof lit + 4 * 33];
    memset(body, 0, sizeof body);
    memcpy(body, lit, sizeof lit);
    size_t len = sizeof lit - 5 + 4 * 33; /* the whole 32-value miniblock */
    int32_t got[3];
    size_t used = 0;
    assert_int_equal(pq_delta_decode_int32(body, len, 3, got, &used), 0);
    assert_int_equal(got[0], INT32_MIN);
    assert_int_equal(got[1], INT32_MAX);
    assert_int_equal(got[2], INT32_MIN);
    assert_int_equal(used, len);
}

/* Streams laid out as other writers might: other block sizes and
 * miniblock counts, garbage in unused widths and padding. */
static void test_delta_other_layouts(void **state)
{
    (void)state;
    static const unsigned layouts[][2] = {{128, 1}, {128, 4}, {256, 8}, {256, 2},
                                          {512, 16}, {1024, 4}, {128, 2}};
    for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
        for (unsigned bits = 32; bits <= 64; bits += 32) {
            for (int rep = 0; rep < 6; rep++) {
                size_t n = LENS[below(NLENS)] + below(3000);
                int64_t *v = malloc((n + 1) * 8);
                gen_ints(v, n, bits);
                dbuf b = DBUF_INIT;
                ref_delta(&b, v, n, layouts[l][0], layouts[l][1], bits);
                delta_check(b.data, b.len, v, n, bits, 0);
                dbuf_free(&b);
                free(v);
            }
        }
    }
}

static void test_delta_hostile(void **state)
{
    (void)state;
    /* Every strict truncation fails. */
    for (int iter = 0; iter < 30; iter++) {
        unsigned bits = below(2) ? 32 : 64;
        size_t n = 1 + below(700);
        int64_t *v = malloc(n * 8);
        gen_ints(v, n, bits);
        dbuf b = DBUF_INIT;
        ref_delta(&b, v, n, below(2) ? 128 : 256, 4, bits);
        int64_t *got = malloc(n * 8);
        for (size_t cut = 0; cut < b.len; cut++) {
            uint8_t *src = exact(b.data, cut);
            int rc = bits == 32 ? pq_delta_decode_int32(src, cut, n, (int32_t *)got, NULL)
                                : pq_delta_decode_int64(src, cut, n, got, NULL);
            if (rc != DELTA_ECORRUPT)
                fail_msg("truncation to %zu of %zu bytes: rc %d", cut, b.len, rc);
            free(src);
        }
        free(got);
        free(v);
        dbuf_free(&b);
    }

    int32_t out[64];
    int64_t out64[64];
    struct {
        const char *bytes;
        size_t len;
        unsigned bits;
        const char *needle;
    } cases[] = {
#define C(lit, bits, needle) {lit, sizeof(lit) - 1, bits, needle}
        C("\x00\x04\x05\x02", 32, "block size 0"),
        C("\x64\x04\x05\x02", 32, "block size 100"),
        C("\x80\x01\x00\x05\x02", 32, "0 miniblocks"),
        C("\x80\x01\x03\x05\x02", 32, "3 miniblocks do not divide block size 128"),
        C("\x80\x01\x08\x05\x02", 32, "8 miniblocks"),
        C("\x80\x01\x04\x05", 32, "truncated first value"),
        C("\x80\x01\x04\x05\x02\x02\x22\x00\x00\x00", 32,
          "miniblock bit width 34 > 33 at offset 6"),
        C("\x80\x01\x04\x05\x02\x02\x46\x00\x00\x00", 64,
          "miniblock bit width 70 > 65 at offset 6"),
        C("\x80\x01\x04\x05\x02\x02\x01\x00\x00", 32, "miniblock bit widths truncated"),
        C("\x80\x01\x04\x05\x02\x02\x01\x00\x00\x00\xff", 32, "needs 4 bytes, 1 present"),
        C("\x80\x01\x04\x03\x02", 32, "header announces 3 values, 5 needed"),
        C("\x80\x01\x04\x05\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 32,
          "over-long min delta"),
#undef C
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len;
        uint8_t *src = exact(cases[i].bytes, len);
        int rc = cases[i].bits == 32 ? pq_delta_decode_int32(src, len, 5, out, NULL)
                                     : pq_delta_decode_int64(src, len, 5, out64, NULL);
        expect_error(rc, DELTA_ECORRUPT, cases[i].needle);
        free(src);
    }
    /* Widths of unused miniblocks may be anything, even > 64. */
    const uint8_t odd[] = {0x80, 0x01, 0x04, 0x03, 0x02, 0x02, 0x00, 0xff, 0xff, 0xff};
    assert_int_equal(pq_delta_decode_int64(odd, sizeof odd, 3, out64, NULL), 0);
    assert_int_equal(out64[2], 3);
    /* Mixed 32/64 reads are refused. */
    pq_delta_dec d;
    assert_int_equal(pq_delta_init(&d, odd, sizeof odd, 64), 0);
    expect_error(pq_delta_read32(&d, out, 1), DELTA_EINVAL, "32-bit read");
    /* A huge announced count with little data: the skip walk stops at the
     * end of the input. */
    const uint8_t bomb[] = {0x80, 0x01, 0x04, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x00};
    size_t used;
    assert_int_equal(pq_delta_init(&d, bomb, sizeof bomb, 32), 0);
    assert_int_equal(pq_delta_read32(&d, out, 64), 0);
    expect_error(pq_delta_end(&d, &used), DELTA_ECORRUPT, "");
}

/* ------------------------------------------- DELTA_LENGTH_BYTE_ARRAY */

static void test_dlba(void **state)
{
    (void)state;
    /* Encodings.md: "Hello", "World", "Foobar", "ABCDEF". */
    const char *words[] = {"Hello", "World", "Foobar", "ABCDEF"};
    strs s = {4, malloc(5 * 4), malloc(64)};
    s.off[0] = 0;
    for (int i = 0; i < 4; i++) {
        memcpy(s.data + s.off[i], words[i], strlen(words[i]));
        s.off[i + 1] = s.off[i] + (int32_t)strlen(words[i]);
    }
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_dlba_encode(&b, s.off, s.data, 4), 0);
    const char *tail = "HelloWorldFoobarABCDEF";
    assert_true(b.len > strlen(tail));
    assert_memory_equal(b.data + b.len - strlen(tail), tail, strlen(tail));
    int32_t lens[4];
    size_t hdr;
    assert_int_equal(pq_delta_decode_int32(b.data, b.len, 4, lens, &hdr), 0);
    assert_int_equal(hdr, b.len - strlen(tail));
    assert_int_equal(lens[0], 5);
    assert_int_equal(lens[2], 6);
    pq_bytes_out out = PQ_BYTES_OUT_INIT;
    size_t used;
    assert_int_equal(pq_dlba_decode(b.data, b.len, 4, &out, &used), 0);
    assert_int_equal(used, b.len);
    check_strs(&out, 0, &s);
    expect_error(pq_dlba_decode(b.data, b.len, 3, &out, NULL), DELTA_ECORRUPT,
                 "announces 4 values, the page has 3");
    pq_bytes_free(&out);
    dbuf_free(&b);
    free_strs(&s);

    for (size_t li = 0; li < NLENS; li++) {
        size_t n = LENS[li];
        strs r = gen_strs(n, 0);
        dbuf e = DBUF_INIT;
        assert_int_equal(pq_dlba_encode(&e, r.off, r.data, n), 0);
        dbuf_append(&e, "zz", 2);
        uint8_t *src = exact(e.data, e.len);
        pq_bytes_out o = PQ_BYTES_OUT_INIT;
        size_t before = below(4);
        prefill(&o, before);
        assert_int_equal(pq_dlba_decode(src, e.len, n, &o, &used), 0);
        assert_int_equal(used, e.len - 2);
        check_strs(&o, before, &r);
        free(src);
        size_t count = o.count, dlen = o.data.len;
        for (size_t cut = 0; cut < e.len - 2; cut += 1 + below(n > 100 ? 50 : 2)) {
            src = exact(e.data, cut);
            int rc = pq_dlba_decode(src, cut, n, &o, NULL);
            if (rc != DELTA_ECORRUPT)
                fail_msg("n %zu cut %zu of %zu: rc %d", n, cut, e.len - 2, rc);
            assert_int_equal(o.count, count);
            assert_int_equal(o.data.len, dlen);
            free(src);
        }
        pq_bytes_free(&o);
        dbuf_free(&e);
        free_strs(&r);
    }

    /* A negative length is refused. */
    int32_t neg[2] = {3, -1};
    dbuf e = DBUF_INIT;
    pq_delta_encode_int32(&e, neg, 2);
    dbuf_append(&e, "abc", 3);
    pq_bytes_out o = PQ_BYTES_OUT_INIT;
    expect_error(pq_dlba_decode(e.data, e.len, 2, &o, NULL), DELTA_ECORRUPT,
                 "negative length -1 for value 1");
    dbuf_free(&e);
    pq_bytes_free(&o);
}

/* --------------------------------------------------- DELTA_BYTE_ARRAY */

static void test_dba(void **state)
{
    (void)state;
    /* Encodings.md: "axis", "axle", "babble", "babyhood". */
    const char *words[] = {"axis", "axle", "babble", "babyhood"};
    strs s = {4, malloc(5 * 4), malloc(64)};
    s.off[0] = 0;
    for (int i = 0; i < 4; i++) {
        memcpy(s.data + s.off[i], words[i], strlen(words[i]));
        s.off[i + 1] = s.off[i] + (int32_t)strlen(words[i]);
    }
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_dba_encode(&b, s.off, s.data, 4), 0);
    int32_t pre[4], suf[4];
    size_t h1, h2, used;
    assert_int_equal(pq_delta_decode_int32(b.data, b.len, 4, pre, &h1), 0);
    assert_int_equal(pq_delta_decode_int32(b.data + h1, b.len - h1, 4, suf, &h2), 0);
    const int32_t wpre[4] = {0, 2, 0, 3}, wsuf[4] = {4, 2, 6, 5};
    assert_memory_equal(pre, wpre, sizeof pre);
    assert_memory_equal(suf, wsuf, sizeof suf);
    const char *tail = "axislebabbleyhood";
    assert_int_equal(b.len - h1 - h2, strlen(tail));
    assert_memory_equal(b.data + h1 + h2, tail, strlen(tail));
    pq_bytes_out out = PQ_BYTES_OUT_INIT;
    assert_int_equal(pq_dba_decode(b.data, b.len, 4, &out, &used), 0);
    assert_int_equal(used, b.len);
    check_strs(&out, 0, &s);
    pq_bytes_free(&out);
    dbuf_free(&b);
    free_strs(&s);

    for (size_t li = 0; li < NLENS; li++) {
        size_t n = LENS[li];
        strs r = gen_strs(n, 1);
        dbuf e = DBUF_INIT;
        assert_int_equal(pq_dba_encode(&e, r.off, r.data, n), 0);
        dbuf_append(&e, "q", 1);
        uint8_t *src = exact(e.data, e.len);
        pq_bytes_out o = PQ_BYTES_OUT_INIT;
        size_t before = below(3);
        prefill(&o, before);
        assert_int_equal(pq_dba_decode(src, e.len, n, &o, &used), 0);
        assert_int_equal(used, e.len - 1);
        check_strs(&o, before, &r);
        free(src);
        size_t count = o.count, dlen = o.data.len;
        for (size_t cut = 0; cut < e.len - 1; cut += 1 + below(n > 100 ? 50 : 2)) {
            src = exact(e.data, cut);
            int rc = pq_dba_decode(src, cut, n, &o, NULL);
            if (rc != DELTA_ECORRUPT)
                fail_msg("n %zu cut %zu of %zu: rc %d", n, cut, e.len - 1, rc);
            assert_int_equal(o.count, count);
            assert_int_equal(o.data.len, dlen);
            free(src);
        }
        pq_bytes_free(&o);
        dbuf_free(&e);
        free_strs(&r);
    }

    /* A prefix longer than the previous value, and a first value with a
     * prefix, are refused. */
    int32_t p1[2] = {0, 5}, s1[2] = {2, 1};
    dbuf e = DBUF_INIT;
    pq_delta_encode_int32(&e, p1, 2);
    pq_delta_encode_int32(&e, s1, 2);
    dbuf_append(&e, "abc", 3);
    pq_bytes_out o = PQ_BYTES_OUT_INIT;
    expect_error(pq_dba_decode(e.data, e.len, 2, &o, NULL), DELTA_ECORRUPT,
                 "prefix length 5 exceeds the previous value's length 2 at value 1");
    dbuf_reset(&e);
    int32_t p0[1] = {1}, s0[1] = {1};
    pq_delta_encode_int32(&e, p0, 1);
    pq_delta_encode_int32(&e, s0, 1);
    dbuf_append(&e, "a", 1);
    expect_error(pq_dba_decode(e.data, e.len, 1, &o, NULL), DELTA_ECORRUPT,
                 "prefix length 1 exceeds the previous value's length 0 at value 0");
    assert_int_equal(o.count, 0);

    /* Output beyond INT32_MAX bytes is refused before it is built: one
     * 1000-byte value then 2.2 million copies of it as prefixes. */
    size_t n = 2200000;
    int32_t *pl = calloc(n, 4), *sl = calloc(n, 4);
    sl[0] = 1000;
    for (size_t i = 1; i < n; i++)
        pl[i] = 1000;
    dbuf_reset(&e);
    pq_delta_encode_int32(&e, pl, n);
    pq_delta_encode_int32(&e, sl, n);
    dbuf_grow(&e, 1000);
    assert_true(e.len < 200000);
    expect_error(pq_dba_decode(e.data, e.len, n, &o, NULL), DELTA_ERANGE, "exceed");
    assert_int_equal(o.count, 0);
    free(pl);
    free(sl);

    /* FIXED_LEN_BYTE_ARRAY form. */
    strs f = {3, malloc(4 * 4), malloc(16)};
    memcpy(f.data, "abcdabceabzz", 12);
    f.off[0] = 0, f.off[1] = 4, f.off[2] = 8, f.off[3] = 12;
    dbuf_reset(&e);
    assert_int_equal(pq_dba_encode(&e, f.off, f.data, 3), 0);
    uint8_t fixed[12];
    assert_int_equal(pq_dba_decode_fixed(e.data, e.len, 3, 4, fixed, &used), 0);
    assert_int_equal(used, e.len);
    assert_memory_equal(fixed, "abcdabceabzz", 12);
    expect_error(pq_dba_decode_fixed(e.data, e.len, 3, 5, fixed, NULL), DELTA_ECORRUPT,
                 "value 0 is 4 bytes");
    free_strs(&f);
    dbuf_free(&e);
    pq_bytes_free(&o);
}

/* --------------------------------------------------- BYTE_STREAM_SPLIT */

static void test_bss(void **state)
{
    (void)state;
    /* Encodings.md example. */
    const uint8_t vals[] = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11,
                            0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
    const uint8_t want[] = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4,
                            0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_bss_encode(&b, vals, 3, 4), 0);
    assert_int_equal(b.len, 12);
    assert_memory_equal(b.data, want, 12);
    uint8_t got[12];
    assert_int_equal(pq_bss_decode(want, 12, 3, 4, got), 0);
    assert_memory_equal(got, vals, 12);
    /* Fewer values than the streams hold: the stride stays len/width. */
    assert_int_equal(pq_bss_decode(want, 12, 2, 4, got), 0);
    assert_memory_equal(got, vals, 8);
    expect_error(pq_bss_decode(want, 11, 2, 4, got), DELTA_ECORRUPT, "not a multiple");
    expect_error(pq_bss_decode(want, 12, 4, 4, got), DELTA_ECORRUPT, "holds 3 values, 4 needed");
    dbuf_free(&b);

    static const size_t widths[] = {4, 8, 2, 3, 16};
    for (size_t wi = 0; wi < 5; wi++) {
        for (size_t li = 0; li < NLENS; li += 1 + below(3)) {
            size_t w = widths[wi], n = LENS[li];
            uint8_t *v = malloc(n * w + 1), *g = malloc(n * w + 1);
            if (w == 8) {
                const double sp[] = {NAN, INFINITY, -0.0, 1e-310};
                for (size_t i = 0; i < n; i++) {
                    double x = below(4) ? (double)rnd() : sp[below(4)];
                    memcpy(v + 8 * i, &x, 8);
                }
            } else {
                for (size_t i = 0; i < n * w; i++)
                    v[i] = (uint8_t)rnd();
            }
            dbuf e = DBUF_INIT;
            assert_int_equal(pq_bss_encode(&e, v, n, w), 0);
            uint8_t *src = exact(e.data, e.len);
            assert_int_equal(pq_bss_decode(src, e.len, n, w, g), 0);
            if (n)
                assert_memory_equal(v, g, n * w);
            free(src);
            dbuf_free(&e);
            free(v), free(g);
        }
    }
}

/* ------------------------------------------------------- pq_bytes_out */

static void test_bytes_out(void **state)
{
    (void)state;
    pq_bytes_out o = PQ_BYTES_OUT_INIT;
    assert_int_equal(pq_bytes_reserve(&o, 0, 0), 0);
    assert_non_null(o.offsets);
    assert_int_equal(o.offsets[0], 0);
    assert_int_equal(pq_bytes_append(&o, "ab", 2), 0);
    assert_int_equal(pq_bytes_append(&o, "", 0), 0);
    assert_int_equal(pq_bytes_append(&o, "cde", 3), 0);
    assert_int_equal(o.count, 3);
    assert_int_equal(o.offsets[1], 2);
    assert_int_equal(o.offsets[2], 2);
    assert_int_equal(o.offsets[3], 5);
    assert_string_equal((const char *)o.data.data, "abcde");
    pq_bytes_reset(&o);
    assert_int_equal(o.count, 0);
    assert_int_equal(o.data.len, 0);
    pq_bytes_free(&o);
}

/* Every allocation failing in turn: decoders and encoders return
 * DELTA_ENOMEM (or succeed once enough allocations pass), leak nothing and
 * leave the output consistent. */
static void test_alloc_failures(void **state)
{
    (void)state;
    strs r = gen_strs(300, 1);
    dbuf plain = DBUF_INIT, dba = DBUF_INIT, dlba = DBUF_INIT;
    assert_int_equal(pq_plain_encode_byte_array(&plain, r.off, r.data, r.n), 0);
    assert_int_equal(pq_dba_encode(&dba, r.off, r.data, r.n), 0);
    assert_int_equal(pq_dlba_encode(&dlba, r.off, r.data, r.n), 0);
    pq_bytes_view views[300];
    assert_int_equal(pq_plain_scan_byte_array(plain.data, plain.len, 300, views, NULL), 0);
    uint32_t idx[500];
    for (int i = 0; i < 500; i++)
        idx[i] = (uint32_t)below(300);
    for (int step = 0; step < 6; step++) {
        int ok = 0, failed = 0;
        for (long k = 1; k < 20 && !ok; k++) {
            pq_bytes_out o = PQ_BYTES_OUT_INIT;
            dbuf e = DBUF_INIT;
            prefill(&o, 1);
            delta_alloc_fail_after(k);
            int rc;
            switch (step) {
            case 0:
                rc = pq_plain_decode_byte_array(plain.data, plain.len, 300, &o, NULL);
                break;
            case 1:
                rc = pq_dba_decode(dba.data, dba.len, 300, &o, NULL);
                break;
            case 2:
                rc = pq_dlba_decode(dlba.data, dlba.len, 300, &o, NULL);
                break;
            case 3:
                rc = pq_dict_gather_bytes(views, 300, idx, 500, &o);
                break;
            case 4:
                rc = pq_dba_encode(&e, r.off, r.data, r.n);
                break;
            default:
                rc = pq_rle_encode_prefixed(&e, idx, 500, 9);
                break;
            }
            delta_alloc_fail_after(0);
            if (rc == 0) {
                ok = 1;
                if (step <= 2)
                    check_strs(&o, 1, &r);
            } else {
                if (rc != DELTA_ENOMEM)
                    fail_msg("step %d, failing allocation %ld: rc %d (%s)", step, k, rc,
                             delta_error_last());
                assert_int_equal(o.count, 1); /* unchanged */
                failed = 1;
            }
            pq_bytes_free(&o);
            dbuf_free(&e);
        }
        assert_true(ok && failed);
    }
    dbuf_free(&plain), dbuf_free(&dba), dbuf_free(&dlba);
    free_strs(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bit_width),
        cmocka_unit_test(test_bitpack_spec_example),
        cmocka_unit_test(test_bitpack32_roundtrip),
        cmocka_unit_test(test_bitpack64_roundtrip),
        cmocka_unit_test(test_rle_known_vectors),
        cmocka_unit_test(test_rle_decode_handmade),
        cmocka_unit_test(test_rle_roundtrip),
        cmocka_unit_test(test_rle_max_run),
        cmocka_unit_test(test_rle_truncations),
        cmocka_unit_test(test_rle_corrupt),
        cmocka_unit_test(test_rle_bool_and_prefixed),
        cmocka_unit_test(test_bitpacked_legacy),
        cmocka_unit_test(test_plain_numbers),
        cmocka_unit_test(test_plain_bool_and_fixed),
        cmocka_unit_test(test_plain_byte_array),
        cmocka_unit_test(test_int96),
        cmocka_unit_test(test_dict_gather),
        cmocka_unit_test(test_delta_spec_examples),
        cmocka_unit_test(test_delta_roundtrip),
        cmocka_unit_test(test_delta_other_layouts),
        cmocka_unit_test(test_delta_wide_miniblocks),
        cmocka_unit_test(test_delta_hostile),
        cmocka_unit_test(test_dlba),
        cmocka_unit_test(test_dba),
        cmocka_unit_test(test_bss),
        cmocka_unit_test(test_bytes_out),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup_seed, NULL);
}
