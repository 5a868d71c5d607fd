/*
 * Tests for src/parquet/codec.c: round trips for every supported codec on
 * random and compressible data, exact-size enforcement (wrong dst_len and
 * decompression bombs refused), truncated and corrupted input refused
 * without crashing, the LZ4 fallbacks other writers need (raw block, LZ4
 * frame, several Hadoop blocks), zlib-format and multi-member GZIP, and
 * codec names.
 *
 * Output buffers are heap blocks of exactly dst_len bytes, so
 * AddressSanitizer catches any write past the announced size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/error.h"
#include "parquet/codec.h"

static uint64_t rng = 0xC0DEC5EED5ull;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static const int CODECS[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP,
                             PQ_CODEC_BROTLI,       PQ_CODEC_LZ4,    PQ_CODEC_ZSTD,
                             PQ_CODEC_LZ4_RAW};
#define NCODECS (sizeof CODECS / sizeof CODECS[0])

static int setup_seed(void **state)
{
    (void)state;
    const char *s = getenv("PQ_TEST_SEED");
    if (s)
        rng = strtoull(s, NULL, 0) | 1;
    printf("test_codec: seed 0x%016" PRIx64 "\n", rng);
    return 0;
}

static void expect_error(int rc, int code, const char *needle)
{
    if (rc != code || (needle && !strstr(delta_error_last(), needle)))
        fail_msg("expected %d containing \"%s\", got %d: %s", code, needle ? needle : "", rc,
                 delta_error_last());
}

/* kind 0: random bytes; 1: text-like, compressible; 2: zeros. */
static uint8_t *gen(size_t n, int kind)
{
    static const char *words[] = {"delta ", "lake ", "parquet ", "column ", "page ", "\n"};
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n;) {
        if (kind == 0) {
            p[i++] = (uint8_t)rnd();
        } else if (kind == 2) {
            p[i++] = 0;
        } else {
            const char *w = words[rnd() % 6];
            for (size_t j = 0; w[j] && i < n; j++)
                p[i++] = (uint8_t)w[j];
        }
    }
    return p;
}

/* Decompresses into a heap block of exactly dst_len bytes. */
static int dec_exact(int codec, const uint8_t *src, size_t len, size_t dst_len,
                     uint8_t **out)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (len)
        memcpy(copy, src, len);
    uint8_t *dst = malloc(dst_len ? dst_len : 1);
    int rc = pq_decompress(codec, copy, len, dst, dst_len);
    free(copy);
    if (out)
        *out = dst;
    else
        free(dst);
    return rc;
}

static void test_names(void **state)
{
    (void)state;
    pq_codec c;
    assert_string_equal(pq_codec_name(PQ_CODEC_SNAPPY), "SNAPPY");
    assert_string_equal(pq_codec_name(PQ_CODEC_LZ4_RAW), "LZ4_RAW");
    assert_string_equal(pq_codec_name(99), "UNKNOWN");
    assert_string_equal(pq_codec_name(-1), "UNKNOWN");
    static const struct {
        const char *name;
        pq_codec c;
    } ok[] = {{"snappy", PQ_CODEC_SNAPPY}, {"ZSTD", PQ_CODEC_ZSTD},
              {"Gzip", PQ_CODEC_GZIP},     {"lz4", PQ_CODEC_LZ4},
              {"lz4_raw", PQ_CODEC_LZ4_RAW}, {"brotli", PQ_CODEC_BROTLI},
              {"none", PQ_CODEC_UNCOMPRESSED}, {"uncompressed", PQ_CODEC_UNCOMPRESSED},
              {"lzo", PQ_CODEC_LZO}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(pq_codec_parse(ok[i].name, &c), 0);
        assert_int_equal(c, ok[i].c);
    }
    expect_error(pq_codec_parse("zip", &c), DELTA_EINVAL, "'zip'");
    expect_error(pq_codec_parse(NULL, &c), DELTA_EINVAL, "unknown compression codec");
    assert_true(pq_codec_supported(PQ_CODEC_ZSTD));
    assert_false(pq_codec_supported(PQ_CODEC_LZO));
    assert_false(pq_codec_supported(8));

    dbuf b = DBUF_INIT;
    expect_error(pq_compress(PQ_CODEC_LZO, 0, (const uint8_t *)"x", 1, &b), DELTA_EUNSUPPORTED,
                 "LZO");
    uint8_t d[1];
    expect_error(pq_decompress(PQ_CODEC_LZO, (const uint8_t *)"x", 1, d, 1), DELTA_EUNSUPPORTED,
                 "LZO");
    expect_error(pq_decompress(42, (const uint8_t *)"x", 1, d, 1), DELTA_EUNSUPPORTED, "42");
    dbuf_free(&b);
}

static void test_roundtrip(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 100, 4096, 65539, 300000};
    for (size_t ci = 0; ci < NCODECS; ci++) {
        int codec = CODECS[ci];
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            for (int kind = 0; kind < 3; kind++) {
                size_t n = sizes[si];
                uint8_t *src = gen(n, kind);
                dbuf b = DBUF_INIT;
                dbuf_append(&b, "PFX", 3); /* appends after what is there */
                int level = (int)(rnd() % 3) * 2; /* 0 = default, 2, 4 */
                int rc = pq_compress(codec, level, src, n, &b);
                if (rc)
                    fail_msg("%s: compress %zu bytes: %s", pq_codec_name(codec), n,
                             delta_error_last());
                assert_memory_equal(b.data, "PFX", 3);
                assert_int_equal(b.data[b.len], 0);
                if (kind != 0 && n >= 4096 && codec != PQ_CODEC_UNCOMPRESSED)
                    assert_true(b.len - 3 < n / 2);
                uint8_t *out;
                rc = dec_exact(codec, b.data + 3, b.len - 3, n, &out);
                if (rc)
                    fail_msg("%s: decompress %zu bytes: %s", pq_codec_name(codec), n,
                             delta_error_last());
                if (n)
                    assert_memory_equal(out, src, n);
                free(out);
                /* One byte too few or too many announced. */
                if (n)
                    expect_error(dec_exact(codec, b.data + 3, b.len - 3, n - 1, NULL),
                                 DELTA_ECORRUPT, pq_codec_name(codec));
                expect_error(dec_exact(codec, b.data + 3, b.len - 3, n + 1, NULL),
                             DELTA_ECORRUPT, pq_codec_name(codec));
                dbuf_free(&b);
                free(src);
            }
        }
    }
}

/* 8 MiB of zeros announced as 1000 bytes: refused, nothing written past. */
static void test_bomb(void **state)
{
    (void)state;
    size_t n = 8u << 20;
    uint8_t *zeros = calloc(n, 1);
    for (size_t ci = 1; ci < NCODECS; ci++) {
        int codec = CODECS[ci];
        dbuf b = DBUF_INIT;
        assert_int_equal(pq_compress(codec, 0, zeros, n, &b), 0);
        assert_true(b.len < n / 10);
        expect_error(dec_exact(codec, b.data, b.len, 1000, NULL), DELTA_ECORRUPT,
                     pq_codec_name(codec));
        dbuf_free(&b);
    }
    free(zeros);
}

static void test_truncated_and_corrupt(void **state)
{
    (void)state;
    for (size_t ci = 1; ci < NCODECS; ci++) {
        int codec = CODECS[ci];
        for (int kind = 0; kind < 2; kind++) {
            size_t n = 3000;
            uint8_t *src = gen(n, kind);
            dbuf b = DBUF_INIT;
            assert_int_equal(pq_compress(codec, 0, src, n, &b), 0);
            for (size_t cut = 0; cut < b.len; cut++) {
                int rc = dec_exact(codec, b.data, cut, n, NULL);
                if (rc != DELTA_ECORRUPT)
                    fail_msg("%s: truncation to %zu of %zu bytes gave %d", pq_codec_name(codec),
                             cut, b.len, rc);
            }
            /* Random corruption: an error or the announced size, never a
             * crash or an overrun. */
            for (int iter = 0; iter < 300; iter++) {
                uint8_t *bad = malloc(b.len);
                memcpy(bad, b.data, b.len);
                int flips = 1 + (int)(rnd() % 4);
                for (int f = 0; f < flips; f++)
                    bad[rnd() % b.len] ^= (uint8_t)(1 + rnd() % 255);
                int rc = dec_exact(codec, bad, b.len, n, NULL);
                assert_true(rc == 0 || rc == DELTA_ECORRUPT);
                free(bad);
            }
            dbuf_free(&b);
            free(src);
        }
    }
    /* Garbage of every codec. */
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)rnd();
    for (size_t ci = 1; ci < NCODECS; ci++)
        assert_int_equal(dec_exact(CODECS[ci], junk, sizeof junk, 100, NULL), DELTA_ECORRUPT);
    expect_error(dec_exact(PQ_CODEC_UNCOMPRESSED, junk, 10, 11, NULL), DELTA_ECORRUPT,
                 "UNCOMPRESSED: data decompresses to 10 bytes, the page header says 11");
}

static void st_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static void test_lz4_variants(void **state)
{
    (void)state;
    size_t n = 200000;
    uint8_t *src = gen(n, 1), *out;

    /* Hadoop framing is what we write. */
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_compress(PQ_CODEC_LZ4, 0, src, n, &b), 0);
    assert_int_equal(b.data[0] << 24 | b.data[1] << 16 | b.data[2] << 8 | b.data[3], (int)n);
    dbuf_free(&b);

    /* A raw block under the LZ4 codec (older writers). */
    assert_int_equal(pq_compress(PQ_CODEC_LZ4_RAW, 0, src, n, &b), 0);
    assert_int_equal(dec_exact(PQ_CODEC_LZ4, b.data, b.len, n, &out), 0);
    assert_memory_equal(out, src, n);
    free(out);
    dbuf_free(&b);

    /* An LZ4 frame. */
    size_t cap = LZ4F_compressFrameBound(n, NULL);
    uint8_t *fr = malloc(cap);
    size_t flen = LZ4F_compressFrame(fr, cap, src, n, NULL);
    assert_false(LZ4F_isError(flen));
    assert_int_equal(dec_exact(PQ_CODEC_LZ4, fr, flen, n, &out), 0);
    assert_memory_equal(out, src, n);
    free(out);
    expect_error(dec_exact(PQ_CODEC_LZ4, fr, flen, n - 1, NULL), DELTA_ECORRUPT, "LZ4");
    free(fr);

    /* Several Hadoop blocks back to back. */
    dbuf h = DBUF_INIT;
    for (size_t at = 0; at < n;) {
        size_t k = n - at < 65536 ? n - at : 65536;
        int bound = LZ4_compressBound((int)k);
        uint8_t *dst = dbuf_grow(&h, 8 + (size_t)bound);
        int c = LZ4_compress_default((const char *)src + at, (char *)dst + 8, (int)k, bound);
        assert_true(c > 0);
        st_be32(dst, (uint32_t)k);
        st_be32(dst + 4, (uint32_t)c);
        h.len -= (size_t)(bound - c);
        at += k;
    }
    assert_int_equal(dec_exact(PQ_CODEC_LZ4, h.data, h.len, n, &out), 0);
    assert_memory_equal(out, src, n);
    free(out);
    dbuf_free(&h);
    free(src);
}

static void test_gzip_variants(void **state)
{
    (void)state;
    size_t n = 50000;
    uint8_t *src = gen(n, 1), *out;

    /* zlib format (RFC 1950) is accepted too. */
    uLongf zl = compressBound(n);
    uint8_t *z = malloc(zl);
    assert_int_equal(compress2(z, &zl, src, n, 6), Z_OK);
    assert_int_equal(dec_exact(PQ_CODEC_GZIP, z, zl, n, &out), 0);
    assert_memory_equal(out, src, n);
    free(out);
    free(z);

    /* We write gzip (magic 1f 8b); two members back to back decode as
     * their concatenation. */
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_compress(PQ_CODEC_GZIP, 9, src, n / 2, &b), 0);
    assert_int_equal(b.data[0], 0x1f);
    assert_int_equal(b.data[1], 0x8b);
    assert_int_equal(pq_compress(PQ_CODEC_GZIP, 1, src + n / 2, n - n / 2, &b), 0);
    assert_int_equal(dec_exact(PQ_CODEC_GZIP, b.data, b.len, n, &out), 0);
    assert_memory_equal(out, src, n);
    free(out);
    dbuf_free(&b);
    free(src);
}

/* The snappy decoder is our own: check it on every element form, on
 * repeating patterns (overlapping copies of every short period), and
 * against libsnappy's decoder on corrupted streams: whenever both accept,
 * they agree, and we never accept what libsnappy refuses. */
static void test_snappy_decoder(void **state)
{
    (void)state;
    for (size_t period = 1; period <= 40; period++) {
        size_t n = 5000 + period * 37;
        uint8_t *src = malloc(n);
        for (size_t i = 0; i < n; i++)
            src[i] = (uint8_t)(i % period == 0 && rnd() % 8 == 0 ? rnd() : 'a' + i % period);
        dbuf b = DBUF_INIT;
        assert_int_equal(pq_compress(PQ_CODEC_SNAPPY, 0, src, n, &b), 0);
        uint8_t *out;
        assert_int_equal(dec_exact(PQ_CODEC_SNAPPY, b.data, b.len, n, &out), 0);
        assert_memory_equal(out, src, n);
        free(out);
        dbuf_free(&b);
        free(src);
    }

    /* Forms libsnappy does not emit: a literal with a 4-byte length and a
     * copy with a 4-byte offset. */
    uint8_t hand[128];
    size_t k = 0;
    hand[k++] = 78;          /* uncompressed length */
    hand[k++] = 63 << 2;     /* literal, length in the next 4 bytes */
    hand[k++] = 69, hand[k++] = 0, hand[k++] = 0, hand[k++] = 0;
    for (int i = 0; i < 70; i++)
        hand[k++] = (uint8_t)('A' + i % 26);
    hand[k++] = (7 << 2) | 3; /* copy 8 bytes, 4-byte offset 4 */
    hand[k++] = 4, hand[k++] = 0, hand[k++] = 0, hand[k++] = 0;
    uint8_t *out;
    assert_int_equal(dec_exact(PQ_CODEC_SNAPPY, hand, k, 78, &out), 0);
    for (int i = 0; i < 70; i++)
        assert_int_equal(out[i], 'A' + i % 26);
    assert_memory_equal(out + 70, out + 66, 4);
    assert_memory_equal(out + 74, out + 66, 4);
    free(out);
    hand[k - 4] = 71; /* offset before the start of the output */
    expect_error(dec_exact(PQ_CODEC_SNAPPY, hand, k, 78, NULL), DELTA_ECORRUPT,
                 "copy offset outside the output");

    size_t n = 20000;
    uint8_t *src = gen(n, 1);
    dbuf b = DBUF_INIT;
    assert_int_equal(pq_compress(PQ_CODEC_SNAPPY, 0, src, n, &b), 0);
    uint8_t *theirs = malloc(n);
    for (int iter = 0; iter < 2000; iter++) {
        uint8_t *bad = malloc(b.len);
        memcpy(bad, b.data, b.len);
        bad[1 + rnd() % (b.len - 1)] ^= (uint8_t)(1 + rnd() % 255);
        uint8_t *ours = NULL;
        int rc = dec_exact(PQ_CODEC_SNAPPY, bad, b.len, n, &ours);
        size_t tlen = n;
        bool their_ok = snappy_uncompress((const char *)bad, b.len, (char *)theirs, &tlen) ==
                            SNAPPY_OK && tlen == n;
        if (rc == 0 && !their_ok)
            fail_msg("iteration %d: accepted a stream libsnappy refuses", iter);
        if (rc == 0)
            assert_memory_equal(ours, theirs, n);
        else
            assert_int_equal(rc, DELTA_ECORRUPT);
        free(ours);
        free(bad);
    }
    free(theirs);
    dbuf_free(&b);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_bomb),
        cmocka_unit_test(test_truncated_and_corrupt),
        cmocka_unit_test(test_lz4_variants),
        cmocka_unit_test(test_gzip_variants),
        cmocka_unit_test(test_snappy_decoder),
    };
    return cmocka_run_group_tests(tests, setup_seed, NULL);
}
