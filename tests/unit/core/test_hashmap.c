/*
 * Unit tests for core/hashmap.c: the byte hash (pinned values, length
 * sensitivity, avalanche, bucket spread) and the map (basic contract, a
 * million random keys against a reference, removal during iteration,
 * compaction of key storage, allocation failures leaving the map usable).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hashmap.h"

#define SEED UINT64_C(0x5eed0002)

static uint64_t rng_state;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rng(void)
{
    return mix64(rng_state += UINT64_C(0x9e3779b97f4a7c15));
}

static int setup_seed(void **state)
{
    (void)state;
    rng_state = SEED;
    print_message("seed 0x%" PRIx64 "\n", SEED);
    return 0;
}

static int reset_injection(void **state)
{
    (void)state;
    delta_alloc_fail_after(0);
    return 0;
}

/* Key i: a random-looking, variable-length text that embeds i. mix64 is a
 * bijection, so keys are distinct. Returns the length. */
static size_t key_of(size_t i, char *buf, size_t cap)
{
    uint64_t r = mix64(i + 1);
    int n = snprintf(buf, cap, "%016" PRIx64 "/%zu/%.*s", r, i, (int)(r >> 59),
                     "abcdefghijklmnopqrstuvwxyz0123456789");
    return (size_t)n;
}

static size_t index_of_key(const void *key, size_t len)
{
    char buf[96];
    assert_true(len < sizeof buf);
    memcpy(buf, key, len);
    buf[len] = '\0';
    const char *slash = strchr(buf, '/');
    assert_non_null(slash);
    return (size_t)strtoull(slash + 1, NULL, 10);
}

static void *val(size_t i)
{
    return (void *)(uintptr_t)(i + 1);
}

/* ---- hash ---------------------------------------------------------------- */

static void test_hash_pinned(void **state)
{
    (void)state;
    /* Pinned so the hash is the same on every platform and release. */
    static const struct {
        const char *s;
        uint64_t h;
    } pinned[] = {
        {"", UINT64_C(0xbab799befaf707b0)},
        {"a", UINT64_C(0x9857a8380feb1290)},
        {"abc", UINT64_C(0xbdfdf5f2e189b4f8)},
        {"abcdefgh", UINT64_C(0x9b965527d7c231ff)},
        {"0123456789abcdef", UINT64_C(0xd892b8c02ab58147)},
        {"0123456789abcdefg", UINT64_C(0xd75d08c558cecb13)},
        {"part-00000-3b1e5a2c-9f1d-4a7e-8c2b-1d2e3f4a5b6c.c000.snappy.parquet", UINT64_C(0xed394822df8d6a60)},
    };
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++)
        assert_true(dhash_bytes(pinned[i].s, strlen(pinned[i].s), 0) == pinned[i].h);
    assert_true(dhash_bytes("abc", 3, 1) == UINT64_C(0x7e1395b43df61d76));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_hash_lengths_and_alignment(void **state)
{
    (void)state;
    enum { N = 300 };
    uint8_t buf[N + 8];
    uint64_t h[2 * N + 1];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rng();

    /* Every prefix of random bytes and of zero bytes hashes differently:
     * the length counts, not only the content. */
    static const uint8_t zeros[N] = {0};
    for (size_t n = 0; n <= N; n++)
        h[n] = dhash_bytes(buf, n, 7);
    for (size_t n = 1; n <= N; n++)
        h[N + n] = dhash_bytes(zeros, n, 7);
    qsort(h, 2 * N + 1, sizeof h[0], cmp_u64);
    for (size_t i = 1; i < 2 * N + 1; i++)
        assert_true(h[i] != h[i - 1]);

    /* Unaligned input and the seed. */
    for (size_t n = 0; n <= N; n++) {
        uint8_t copy[N];
        memcpy(copy, buf + 3, n);
        assert_true(dhash_bytes(buf + 3, n, 9) == dhash_bytes(copy, n, 9));
        assert_true(dhash_bytes(buf, n, 1) != dhash_bytes(buf, n, 2));
    }
}

/* Flipping any input bit flips each output bit with probability ~1/2. */
static void test_hash_avalanche(void **state)
{
    (void)state;
    static const size_t lens[] = {1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 49, 64, 100, 200};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        size_t trials = n <= 16 ? 200 : 40;
        uint64_t flips[64] = {0};
        uint64_t total = 0, samples = 0;
        for (size_t t = 0; t < trials; t++) {
            uint8_t in[200];
            for (size_t i = 0; i < n; i++)
                in[i] = (uint8_t)rng();
            uint64_t base = dhash_bytes(in, n, 0);
            for (size_t bit = 0; bit < n * 8; bit++) {
                in[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                uint64_t d = base ^ dhash_bytes(in, n, 0);
                in[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                total += (uint64_t)__builtin_popcountll(d);
                for (int o = 0; o < 64; o++)
                    flips[o] += (d >> o) & 1;
                samples++;
            }
        }
        double mean = (double)total / (double)samples;
        if (mean < 31.0 || mean > 33.0)
            fail_msg("length %zu: mean flipped bits %.3f", n, mean);
        for (int o = 0; o < 64; o++) {
            double p = (double)flips[o] / (double)samples;
            if (p < 0.4 || p > 0.6)
                fail_msg("length %zu: output bit %d flips with p=%.3f", n, o, p);
        }
    }
}

/* Sequential keys spread evenly over buckets chosen by low bits (what the
 * map uses) and by high bits. */
static void test_hash_buckets(void **state)
{
    (void)state;
    enum { KEYS = 200000, BUCKETS = 1024 };
    static unsigned low[BUCKETS], high[BUCKETS];
    memset(low, 0, sizeof low);
    memset(high, 0, sizeof high);
    for (unsigned i = 0; i < KEYS; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "%u", i);
        uint64_t h = dhash_bytes(k, (size_t)n, 0);
        low[h & (BUCKETS - 1)]++;
        high[h >> 54]++;
    }
    double expect = (double)KEYS / BUCKETS, chi_low = 0, chi_high = 0;
    for (int b = 0; b < BUCKETS; b++) {
        chi_low += (low[b] - expect) * (low[b] - expect) / expect;
        chi_high += (high[b] - expect) * (high[b] - expect) / expect;
    }
    /* chi-square with 1023 degrees of freedom: mean 1023, sd ~45. */
    if (chi_low > 1023 + 6 * 45 || chi_low < 1023 - 6 * 45)
        fail_msg("low bits chi-square %.1f", chi_low);
    if (chi_high > 1023 + 6 * 45 || chi_high < 1023 - 6 * 45)
        fail_msg("high bits chi-square %.1f", chi_high);
}

/* ---- map ----------------------------------------------------------------- */

static void test_basic(void **state)
{
    (void)state;
    dmap *m = NULL;
    assert_int_equal(dmap_new(&m, 0), 0);
    assert_int_equal(dmap_count(m), 0);

    void *old = (void *)1;
    int a = 1, b = 2, c = 3;
    assert_int_equal(dmap_sput(m, "alpha", &a, &old), 0);
    assert_null(old);
    assert_int_equal(dmap_sput(m, "beta", &b, NULL), 0);
    assert_int_equal(dmap_count(m), 2);

    void *v = NULL;
    assert_true(dmap_sget(m, "alpha", &v));
    assert_ptr_equal(v, &a);
    assert_true(dmap_sget(m, "beta", NULL));
    assert_false(dmap_sget(m, "gamma", &v));
    assert_false(dmap_sget(m, "alph", &v));
    assert_false(dmap_get(m, "alpha", 6, &v)); /* length is part of the key */

    /* Replace returns the previous value and keeps the count. */
    assert_int_equal(dmap_sput(m, "alpha", &c, &old), 0);
    assert_ptr_equal(old, &a);
    assert_int_equal(dmap_count(m), 2);
    assert_true(dmap_sget(m, "alpha", &v));
    assert_ptr_equal(v, &c);

    /* NULL values are values. */
    assert_int_equal(dmap_sput(m, "nil", NULL, NULL), 0);
    v = &a;
    assert_true(dmap_sget(m, "nil", &v));
    assert_null(v);

    assert_true(dmap_sremove(m, "alpha", &v));
    assert_ptr_equal(v, &c);
    assert_false(dmap_sremove(m, "alpha", &v));
    assert_false(dmap_sget(m, "alpha", NULL));
    assert_int_equal(dmap_count(m), 2);
    dmap_free(m);
    dmap_free(NULL);
}

static void test_binary_and_empty_keys(void **state)
{
    (void)state;
    dmap *m = NULL;
    assert_int_equal(dmap_new(&m, 4), 0);
    const uint8_t k1[] = {0, 1, 0, 2}, k2[] = {0, 1, 0, 3}, k3[] = {0};
    assert_int_equal(dmap_put(m, k1, 4, val(1), NULL), 0);
    assert_int_equal(dmap_put(m, k2, 4, val(2), NULL), 0);
    assert_int_equal(dmap_put(m, k3, 1, val(3), NULL), 0);
    assert_int_equal(dmap_put(m, "", 0, val(4), NULL), 0);
    void *old = NULL;
    assert_int_equal(dmap_put(m, NULL, 0, val(5), &old), 0); /* same empty key */
    assert_ptr_equal(old, val(4));
    assert_int_equal(dmap_count(m), 4);
    assert_int_equal(dmap_put(m, NULL, 3, val(6), NULL), DELTA_EINVAL);

    void *v;
    assert_true(dmap_get(m, k2, 4, &v));
    assert_ptr_equal(v, val(2));
    assert_true(dmap_get(m, k3, 1, &v));
    assert_ptr_equal(v, val(3));
    assert_true(dmap_get(m, NULL, 0, &v));
    assert_ptr_equal(v, val(5));

    /* Keys larger than a key chunk. */
    enum { BIG = 3 << 20 };
    uint8_t *big = malloc(BIG);
    assert_non_null(big);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (uint8_t)(i * 31);
    assert_int_equal(dmap_put(m, big, BIG, val(7), NULL), 0);
    assert_int_equal(dmap_put(m, big, BIG - 1, val(8), NULL), 0);
    assert_int_equal(dmap_sput(m, "small-after-big", val(9), NULL), 0);
    assert_true(dmap_get(m, big, BIG, &v));
    assert_ptr_equal(v, val(7));
    assert_true(dmap_get(m, big, BIG - 1, &v));
    assert_ptr_equal(v, val(8));
    assert_true(dmap_sget(m, "small-after-big", &v));

    size_t it = 0, n = 0, seen_big = 0;
    const void *key;
    size_t len;
    while (dmap_next(m, &it, &key, &len, &v)) {
        n++;
        if (len >= BIG - 1) {
            assert_memory_equal(key, big, len);
            seen_big++;
        }
    }
    assert_int_equal(n, dmap_count(m));
    assert_int_equal(seen_big, 2);
    free(big);
    dmap_free(m);
}

/* A million random keys, checked operation by operation against a plain
 * array of presence flags and values. */
static void test_million_keys_against_reference(void **state)
{
    (void)state;
    enum { N = 1000000 };
    uint8_t *present = calloc(N, 1);
    uint32_t *value = calloc(N, sizeof *value);
    assert_non_null(present);
    assert_non_null(value);

    dmap *m = NULL;
    assert_int_equal(dmap_new(&m, 0), 0);
    char k[96];
    size_t live = 0;

    /* Insert in a random order. */
    for (size_t j = 0; j < N; j++) {
        size_t i = (size_t)(rng() % N);
        size_t n = key_of(i, k, sizeof k);
        void *old = (void *)1;
        assert_int_equal(dmap_put(m, k, n, val(j), &old), 0);
        if (present[i]) {
            assert_ptr_equal(old, val(value[i]));
        } else {
            assert_null(old);
            live++;
        }
        present[i] = 1;
        value[i] = (uint32_t)j;
    }
    assert_int_equal(dmap_count(m), live);

    /* Mixed operations. */
    for (size_t j = 0; j < N; j++) {
        size_t i = (size_t)(rng() % N);
        size_t n = key_of(i, k, sizeof k);
        unsigned op = (unsigned)(rng() % 10);
        void *v = NULL;
        if (op < 4) {
            bool had = dmap_remove(m, k, n, &v);
            assert_int_equal(had, present[i]);
            if (had) {
                assert_ptr_equal(v, val(value[i]));
                present[i] = 0;
                live--;
            }
        } else if (op < 8) {
            void *old = NULL;
            assert_int_equal(dmap_put(m, k, n, val(j), &old), 0);
            if (present[i]) {
                assert_ptr_equal(old, val(value[i]));
            } else {
                assert_null(old);
                live++;
            }
            present[i] = 1;
            value[i] = (uint32_t)j;
        } else {
            bool has = dmap_get(m, k, n, &v);
            assert_int_equal(has, present[i]);
            if (has)
                assert_ptr_equal(v, val(value[i]));
        }
    }
    assert_int_equal(dmap_count(m), live);

    /* Keys never inserted are absent. */
    for (size_t i = N; i < N + 10000; i++) {
        size_t n = key_of(i, k, sizeof k);
        assert_false(dmap_get(m, k, n, NULL));
    }

    /* Iteration visits exactly the live entries, once each. */
    uint8_t *seen = calloc(N, 1);
    assert_non_null(seen);
    size_t it = 0, visited = 0;
    const void *key;
    size_t len;
    void *v;
    while (dmap_next(m, &it, &key, &len, &v)) {
        size_t i = index_of_key(key, len);
        assert_true(i < N);
        assert_true(present[i]);
        assert_false(seen[i]);
        assert_ptr_equal(v, val(value[i]));
        seen[i] = 1;
        visited++;
    }
    assert_int_equal(visited, live);
    assert_false(dmap_next(m, &it, &key, &len, &v)); /* stays at the end */

    /* Remove everything. */
    for (size_t i = 0; i < N; i++) {
        if (!present[i])
            continue;
        size_t n = key_of(i, k, sizeof k);
        assert_true(dmap_remove(m, k, n, NULL));
    }
    assert_int_equal(dmap_count(m), 0);
    it = 0;
    assert_false(dmap_next(m, &it, NULL, NULL, NULL));

    free(seen);
    free(present);
    free(value);
    dmap_free(m);
}

/* Removing the current entry while iterating: every entry is still seen
 * exactly once. Small tables at high load make runs wrap around the end
 * of the table, the case where a naive cursor skips entries. */
static void test_remove_during_iteration(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 3, 5, 6, 7, 12, 13, 25, 50, 100, 1000, 20000};
    uint8_t seen[20000];
    char k[96];
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t count = sizes[si];
        for (int round = 0; round < (count <= 100 ? 200 : 3); round++) {
            unsigned pattern = (unsigned)round % 3; /* 0: all, 1: odd, 2: random */
            size_t base = (size_t)rng() % 1000000; /* a fresh key set per round */
            dmap *m = NULL;
            assert_int_equal(dmap_new(&m, 0), 0);
            for (size_t i = 0; i < count; i++) {
                size_t n = key_of(base + i, k, sizeof k);
                assert_int_equal(dmap_put(m, k, n, val(i), NULL), 0);
            }
            memset(seen, 0, count);
            size_t it = 0, removed = 0;
            const void *key;
            size_t len;
            void *v;
            while (dmap_next(m, &it, &key, &len, &v)) {
                size_t i = (size_t)(uintptr_t)v - 1;
                assert_true(i < count);
                assert_int_equal(index_of_key(key, len), base + i);
                assert_false(seen[i]);
                seen[i] = 1;
                bool drop = pattern == 0 || (pattern == 1 && (i & 1)) || (pattern == 2 && (rng() & 1));
                if (drop) {
                    /* The key pointer from the iterator is a valid argument,
                     * and stays readable after the removal. */
                    assert_true(dmap_remove(m, key, len, NULL));
                    assert_int_equal(index_of_key(key, len), base + i);
                    seen[i] = 2;
                    removed++;
                }
            }
            for (size_t i = 0; i < count; i++)
                assert_true(seen[i] != 0);
            assert_int_equal(dmap_count(m), count - removed);
            for (size_t i = 0; i < count; i++) {
                size_t n = key_of(base + i, k, sizeof k);
                assert_int_equal(dmap_get(m, k, n, NULL), seen[i] == 1);
            }
            dmap_free(m);
        }
    }
}

/* Churning large keys through a small live set: dead key bytes are
 * reclaimed and the live keys survive compaction intact. */
static void test_key_storage_compaction(void **state)
{
    (void)state;
    dmap *m = NULL;
    assert_int_equal(dmap_new(&m, 0), 0);
    char k[300];
    enum { LIVE = 64 };
    for (size_t i = 0; i < LIVE; i++) {
        int n = snprintf(k, sizeof k, "live-%zu-%0200zu", i, i);
        assert_int_equal(dmap_put(m, k, (size_t)n, val(i), NULL), 0);
    }
    for (size_t i = 0; i < 50000; i++) {
        int n = snprintf(k, sizeof k, "churn-%zu-%0250zu", i, i);
        assert_int_equal(dmap_put(m, k, (size_t)n, val(i), NULL), 0);
        if (i >= 10) {
            n = snprintf(k, sizeof k, "churn-%zu-%0250zu", i - 10, i - 10);
            assert_true(dmap_remove(m, k, (size_t)n, NULL));
        }
        if (i % 5000 == 0) {
            for (size_t j = 0; j < LIVE; j++) {
                n = snprintf(k, sizeof k, "live-%zu-%0200zu", j, j);
                void *v;
                assert_true(dmap_get(m, k, (size_t)n, &v));
                assert_ptr_equal(v, val(j));
            }
        }
    }
    assert_int_equal(dmap_count(m), LIVE + 10);

    /* The map empties completely and fills again. */
    size_t it = 0;
    const void *key;
    size_t len;
    while (dmap_next(m, &it, &key, &len, NULL))
        assert_true(dmap_remove(m, key, len, NULL));
    assert_int_equal(dmap_count(m), 0);
    assert_int_equal(dmap_sput(m, "again", val(1), NULL), 0);
    assert_true(dmap_sget(m, "again", NULL));
    dmap_free(m);
}

/* Fails the nth allocation for every n: the failing put reports ENOMEM and
 * changes nothing, earlier entries stay, the map keeps working after the
 * injection stops, and it frees cleanly. */
static void test_oom_leaves_map_usable(void **state)
{
    (void)state;
    enum { KEYS = 3000 };
    char k[96];
    bool completed = false;
    for (long n = 1; n < 200 && !completed; n++) {
        dmap *m = NULL;
        assert_int_equal(dmap_new(&m, 0), 0);
        delta_alloc_fail_after(n);
        size_t failed_at = KEYS;
        for (size_t i = 0; i < KEYS; i++) {
            size_t len = key_of(i, k, sizeof k);
            int rc = dmap_put(m, k, len, val(i), NULL);
            if (rc) {
                assert_int_equal(rc, DELTA_ENOMEM);
                failed_at = i;
                break;
            }
        }
        /* Operations that need no memory still work during the failure. */
        if (failed_at > 0) {
            size_t len = key_of(0, k, sizeof k);
            void *old;
            assert_int_equal(dmap_put(m, k, len, val(0), &old), 0);
            assert_ptr_equal(old, val(0));
        }
        delta_alloc_fail_after(0);
        if (failed_at == KEYS)
            completed = true;
        assert_int_equal(dmap_count(m), failed_at);
        for (size_t i = 0; i < KEYS; i++) {
            size_t len = key_of(i, k, sizeof k);
            assert_int_equal(dmap_get(m, k, len, NULL), i < failed_at);
        }
        for (size_t i = failed_at; i < KEYS; i++) {
            size_t len = key_of(i, k, sizeof k);
            assert_int_equal(dmap_put(m, k, len, val(i), NULL), 0);
        }
        assert_int_equal(dmap_count(m), KEYS);
        for (size_t i = 0; i < KEYS; i += 7) {
            size_t len = key_of(i, k, sizeof k);
            void *v;
            assert_true(dmap_get(m, k, len, &v));
            assert_ptr_equal(v, val(i));
        }
        dmap_free(m);
    }
    assert_true(completed);

    /* Creation itself under failure. */
    for (long n = 1; n <= 2; n++) {
        dmap *m = (dmap *)(uintptr_t)1;
        delta_alloc_fail_after(n);
        assert_int_equal(dmap_new(&m, 100), DELTA_ENOMEM);
        delta_alloc_fail_after(0);
        assert_ptr_equal(m, (dmap *)(uintptr_t)1);
    }
}

static void test_presized(void **state)
{
    (void)state;
    /* Sized for the keys up front: inserting them never grows the table,
     * so with key storage already allocated no allocation is needed. */
    dmap *m = NULL;
    assert_int_equal(dmap_new(&m, 1000), 0);
    assert_int_equal(dmap_sput(m, "x", NULL, NULL), 0); /* allocates the first key chunk */
    delta_alloc_fail_after(1);
    char k[8];
    for (int i = 0; i < 999; i++) {
        int n = snprintf(k, sizeof k, "%d", i);
        assert_int_equal(dmap_put(m, k, (size_t)n, NULL, NULL), 0);
    }
    delta_alloc_fail_after(0);
    assert_int_equal(dmap_count(m), 1000);
    dmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_pinned),
        cmocka_unit_test_setup(test_hash_lengths_and_alignment, setup_seed),
        cmocka_unit_test_setup(test_hash_avalanche, setup_seed),
        cmocka_unit_test(test_hash_buckets),
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_binary_and_empty_keys),
        cmocka_unit_test_setup(test_million_keys_against_reference, setup_seed),
        cmocka_unit_test_setup(test_remove_during_iteration, setup_seed),
        cmocka_unit_test(test_key_storage_compaction),
        cmocka_unit_test_teardown(test_oom_leaves_map_usable, reset_injection),
        cmocka_unit_test_teardown(test_presized, reset_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
