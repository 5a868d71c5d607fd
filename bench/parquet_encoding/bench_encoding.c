/*
 * Micro-benchmark for the Parquet encodings and codecs: how many values
 * (or bytes) per second each decoder and encoder handles on synthetic data
 * shaped like real columns. Prints one line per case; the numbers are for
 * comparing versions of this code on one machine, not a peer comparison.
 *
 *   bench_parquet_encoding [scale]     scale multiplies the work (default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/error.h"
#include "parquet/codec.h"
#include "parquet/encoding.h"

static uint64_t rng = 12345;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint64_t sink;
static int scale = 1;

static void report(const char *name, double secs, double items, double bytes)
{
    printf("%-40s %8.2f Mvalues/s %8.0f MB/s  %6.2f ns/value\n", name, items / secs / 1e6,
           bytes / secs / 1e6, secs * 1e9 / items);
}

#define N (1u << 20)

static void check(int rc)
{
    if (rc) {
        fprintf(stderr, "error: %s\n", delta_error_last());
        exit(1);
    }
}

static void bench_unpack(void)
{
    static const unsigned widths[] = {1, 2, 3, 5, 8, 10, 13, 16, 17, 20, 24, 32};
    uint32_t *v = malloc(N * 4), *out = malloc(N * 4);
    uint8_t *packed = malloc(N * 4 + 8);
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        unsigned w = widths[wi];
        for (size_t i = 0; i < N; i++)
            v[i] = (uint32_t)rnd() & (uint32_t)((1ull << w) - 1);
        pq_pack32(v, N, w, packed);
        int reps = 20 * scale;
        double t = now();
        for (int r = 0; r < reps; r++) {
            pq_unpack32(packed, N, w, out);
            sink += out[r];
        }
        t = now() - t;
        char name[64];
        snprintf(name, sizeof name, "unpack32 width %u", w);
        report(name, t, (double)N * reps, (double)N * reps * 4);
    }
    uint64_t *v64 = malloc(N * 8), *o64 = malloc(N * 8);
    uint8_t *p64 = malloc(N * 8 + 8);
    static const unsigned w64[] = {7, 21, 40, 63};
    for (size_t wi = 0; wi < 4; wi++) {
        unsigned w = w64[wi];
        for (size_t i = 0; i < N; i++)
            v64[i] = rnd() & ((1ull << w) - 1);
        pq_pack64(v64, N, w, p64);
        int reps = 10 * scale;
        double t = now();
        for (int r = 0; r < reps; r++) {
            pq_unpack64(p64, N, w, o64);
            sink += o64[r];
        }
        t = now() - t;
        char name[64];
        snprintf(name, sizeof name, "unpack64 width %u", w);
        report(name, t, (double)N * reps, (double)N * reps * 8);
    }
    free(v), free(out), free(packed), free(v64), free(o64), free(p64);
}

static void bench_rle(void)
{
    uint32_t *v = malloc(N * 4), *out = malloc(N * 4);
    struct {
        const char *name;
        unsigned width;
        int runs;
    } cases[] = {{"RLE decode dict idx width 10 (random)", 10, 0},
                 {"RLE decode def levels width 1 (runs)", 1, 1},
                 {"RLE decode width 3 (short runs)", 3, 2}};
    for (int c = 0; c < 3; c++) {
        unsigned w = cases[c].width;
        for (size_t i = 0; i < N;) {
            uint32_t x = (uint32_t)rnd() & ((1u << w) - 1);
            size_t run = cases[c].runs == 1 ? 1 + rnd() % 200 : cases[c].runs == 2 ? 1 + rnd() % 12 : 1;
            for (size_t j = 0; j < run && i < N; j++)
                v[i++] = x;
        }
        dbuf b = DBUF_INIT;
        double t = now();
        int reps = 10 * scale;
        for (int r = 0; r < reps; r++) {
            dbuf_reset(&b);
            check(pq_rle_encode(&b, v, N, w));
        }
        double te = now() - t;
        t = now();
        for (int r = 0; r < reps; r++) {
            pq_rle_dec d;
            check(pq_rle_init(&d, b.data, b.len, w));
            for (size_t i = 0; i < N; i += 1024)
                check(pq_rle_read_exact(&d, out + i, 1024));
            sink += out[r];
        }
        t = now() - t;
        report(cases[c].name, t, (double)N * reps, (double)N * reps * 4);
        char name[64];
        snprintf(name, sizeof name, "  encode (%zu bytes)", b.len);
        report(name, te, (double)N * reps, (double)N * reps * 4);
        dbuf_free(&b);
    }
    free(v), free(out);
}

static void bench_delta(void)
{
    int64_t *v = malloc(N * 8), *out = malloc(N * 8);
    int64_t x = 1700000000000000;
    for (size_t i = 0; i < N; i++) {
        x += 1000 + (int64_t)(rnd() % 5000);
        v[i] = x;
    }
    dbuf b = DBUF_INIT;
    int reps = 10 * scale;
    double t = now();
    for (int r = 0; r < reps; r++) {
        dbuf_reset(&b);
        check(pq_delta_encode_int64(&b, v, N));
    }
    double te = now() - t;
    t = now();
    for (int r = 0; r < reps; r++) {
        check(pq_delta_decode_int64(b.data, b.len, N, out, NULL));
        sink += (uint64_t)out[r];
    }
    t = now() - t;
    report("DELTA_BINARY_PACKED decode int64 (ts)", t, (double)N * reps, (double)N * reps * 8);
    report("  encode", te, (double)N * reps, (double)N * reps * 8);

    int32_t *v32 = malloc(N * 4), *o32 = malloc(N * 4);
    for (size_t i = 0; i < N; i++)
        v32[i] = (int32_t)(rnd() % 100000);
    dbuf_reset(&b);
    check(pq_delta_encode_int32(&b, v32, N));
    t = now();
    for (int r = 0; r < reps; r++) {
        check(pq_delta_decode_int32(b.data, b.len, N, o32, NULL));
        sink += (uint64_t)o32[r];
    }
    t = now() - t;
    report("DELTA_BINARY_PACKED decode int32 (rand)", t, (double)N * reps, (double)N * reps * 4);
    dbuf_free(&b);
    free(v), free(out), free(v32), free(o32);
}

static void bench_bytes(void)
{
    size_t n = N / 4;
    int32_t *off = malloc((n + 1) * 4);
    uint8_t *data = malloc(n * 40);
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = 4 + rnd() % 20;
        for (size_t j = 0; j < l; j++)
            data[off[i] + j] = (uint8_t)('a' + rnd() % 4);
        off[i + 1] = off[i] + (int32_t)l;
    }
    double bytes = (double)off[n];
    int reps = 10 * scale;
    struct {
        const char *name;
        int (*enc)(dbuf *, const int32_t *, const uint8_t *, size_t);
        int (*dec)(const uint8_t *, size_t, size_t, pq_bytes_out *, size_t *);
    } cases[] = {{"PLAIN BYTE_ARRAY decode (avg 13 B)", pq_plain_encode_byte_array,
                  pq_plain_decode_byte_array},
                 {"DELTA_LENGTH_BYTE_ARRAY decode", pq_dlba_encode, pq_dlba_decode},
                 {"DELTA_BYTE_ARRAY decode", pq_dba_encode, pq_dba_decode}};
    for (int c = 0; c < 3; c++) {
        dbuf b = DBUF_INIT;
        double te = now();
        for (int r = 0; r < reps; r++) {
            dbuf_reset(&b);
            check(cases[c].enc(&b, off, data, n));
        }
        te = now() - te;
        pq_bytes_out o = PQ_BYTES_OUT_INIT;
        double t = now();
        for (int r = 0; r < reps; r++) {
            pq_bytes_reset(&o);
            check(cases[c].dec(b.data, b.len, n, &o, NULL));
        }
        t = now() - t;
        report(cases[c].name, t, (double)n * reps, bytes * reps);
        report("  encode", te, (double)n * reps, bytes * reps);
        pq_bytes_free(&o);
        dbuf_free(&b);
    }

    /* Dictionary: 1000 strings, gather by random indices. */
    dbuf page = DBUF_INIT;
    check(pq_plain_encode_byte_array(&page, off, data, 1000));
    pq_bytes_view views[1000];
    check(pq_plain_scan_byte_array(page.data, page.len, 1000, views, NULL));
    uint32_t *idx = malloc(n * 4);
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)(rnd() % 1000);
    pq_bytes_out o = PQ_BYTES_OUT_INIT;
    double t = now();
    for (int r = 0; r < reps; r++) {
        pq_bytes_reset(&o);
        check(pq_dict_gather_bytes(views, 1000, idx, n, &o));
    }
    t = now() - t;
    report("dict gather BYTE_ARRAY", t, (double)n * reps, (double)o.data.len * reps);
    int64_t dict[1000], *out = malloc(n * 8);
    for (int i = 0; i < 1000; i++)
        dict[i] = (int64_t)rnd();
    t = now();
    for (int r = 0; r < reps; r++) {
        check(pq_dict_gather(dict, 1000, 8, idx, n, out));
        sink += (uint64_t)out[r];
    }
    t = now() - t;
    report("dict gather INT64", t, (double)n * reps, (double)n * reps * 8);
    pq_bytes_free(&o);
    dbuf_free(&page);
    free(idx), free(out), free(off), free(data);
}

static void bench_plain_bss(void)
{
    double *v = malloc(N * 8), *out = malloc(N * 8);
    for (size_t i = 0; i < N; i++)
        v[i] = (double)(rnd() % 1000000) / 100.0;
    dbuf b = DBUF_INIT;
    check(pq_plain_encode_double(&b, v, N));
    int reps = 20 * scale;
    double t = now();
    for (int r = 0; r < reps; r++) {
        check(pq_plain_decode_double(b.data, b.len, N, out));
        sink += (uint64_t)out[r];
    }
    t = now() - t;
    report("PLAIN DOUBLE decode", t, (double)N * reps, (double)N * reps * 8);
    dbuf_reset(&b);
    check(pq_bss_encode(&b, v, N, 8));
    t = now();
    for (int r = 0; r < reps; r++) {
        check(pq_bss_decode(b.data, b.len, N, 8, out));
        sink += (uint64_t)out[r];
    }
    t = now() - t;
    report("BYTE_STREAM_SPLIT DOUBLE decode", t, (double)N * reps, (double)N * reps * 8);
    uint8_t *bools = malloc(N), *bo = malloc(N);
    for (size_t i = 0; i < N; i++)
        bools[i] = (uint8_t)(rnd() & 1);
    dbuf_reset(&b);
    check(pq_plain_encode_bool(&b, bools, N));
    t = now();
    for (int r = 0; r < reps; r++) {
        check(pq_plain_decode_bool(b.data, b.len, N, bo, NULL));
        sink += bo[r];
    }
    t = now() - t;
    report("PLAIN BOOLEAN decode", t, (double)N * reps, (double)N * reps / 8);
    dbuf_free(&b);
    free(v), free(out), free(bools), free(bo);
}

static void bench_codecs(void)
{
    size_t n = 1u << 20;
    uint8_t *src = malloc(n), *dst = malloc(n);
    /* A PLAIN int64 page of timestamps-with-noise: realistic to compress. */
    int64_t x = 1700000000000;
    for (size_t i = 0; i < n / 8; i++) {
        x += (int64_t)(rnd() % 3000);
        memcpy(src + 8 * i, &x, 8);
    }
    static const int codecs[] = {PQ_CODEC_SNAPPY, PQ_CODEC_LZ4_RAW, PQ_CODEC_ZSTD,
                                 PQ_CODEC_GZIP, PQ_CODEC_BROTLI};
    for (int c = 0; c < 5; c++) {
        dbuf b = DBUF_INIT;
        int reps = (codecs[c] == PQ_CODEC_BROTLI || codecs[c] == PQ_CODEC_GZIP ? 2 : 10) * scale;
        double te = now();
        for (int r = 0; r < reps; r++) {
            dbuf_reset(&b);
            check(pq_compress(codecs[c], 0, src, n, &b));
        }
        te = now() - te;
        double t = now();
        for (int r = 0; r < reps; r++)
            check(pq_decompress(codecs[c], b.data, b.len, dst, n));
        t = now() - t;
        char name[64];
        snprintf(name, sizeof name, "%s decompress (ratio %.2f)", pq_codec_name(codecs[c]),
                 (double)n / (double)b.len);
        report(name, t, (double)n * reps, (double)n * reps);
        report("  compress", te, (double)n * reps, (double)n * reps);
        dbuf_free(&b);
    }
    free(src), free(dst);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        scale = atoi(argv[1]) > 0 ? atoi(argv[1]) : 1;
    bench_unpack();
    bench_rle();
    bench_delta();
    bench_bytes();
    bench_plain_bss();
    bench_codecs();
    return sink == 42 ? 1 : 0;
}
