/*
 * Unit tests for core/arena.c: 16-byte alignment, integrity of many
 * allocations, requests bigger than a block, reset reusing its block
 * without allocating, allocation failures, and ASan poisoning of the
 * unused parts of blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/error.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define SEED UINT64_C(0x5eed0005)

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
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

static int aligned16(const void *p)
{
    return ((uintptr_t)p & 15) == 0;
}

static void test_alignment_and_integrity(void **state)
{
    (void)state;
    enum { N = 5000 };
    static unsigned char *ptrs[N];
    static size_t sizes[N];
    darena a = DARENA_INIT;
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        size_t n = (size_t)(rng() % 301); /* 0..300, also over a quarter block */
        if (i % 97 == 0)
            n = 1500 + (size_t)(rng() % 5000);
        ptrs[i] = darena_alloc(&a, n);
        assert_non_null(ptrs[i]);
        assert_true(aligned16(ptrs[i]));
        sizes[i] = n;
        memset(ptrs[i], i & 0xff, n);
        total += n;
    }
    assert_int_equal(a.total, total);
    /* No allocation overlaps another. */
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            if (ptrs[i][j] != (unsigned char)(i & 0xff))
                fail_msg("allocation %d byte %zu overwritten", i, j);
    darena_free(&a);
    assert_null(a.head);
    assert_int_equal(a.total, 0);
    darena_free(&a); /* twice is harmless */
}

static void test_zero_size(void **state)
{
    (void)state;
    darena a = DARENA_INIT;
    void *p = darena_alloc(&a, 0);
    void *q = darena_alloc(&a, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    assert_int_equal(a.total, 0);
    darena_free(&a);
}

static void test_big_allocations(void **state)
{
    (void)state;
    darena a = DARENA_INIT;
    char *s1 = darena_alloc(&a, 100);
    assert_non_null(s1);
    enum { BIG = 3 << 20 };
    unsigned char *big = darena_alloc(&a, BIG);
    assert_non_null(big);
    assert_true(aligned16(big));
    memset(big, 0xab, BIG);
    /* The small request after the big one is served from the same block
     * as the one before it: the big one got its own block. */
    char *s2 = darena_alloc(&a, 100);
    assert_non_null(s2);
    assert_true(s2 > s1 && s2 - s1 < 4096);
    assert_int_equal(big[0], 0xab);
    assert_int_equal(big[BIG - 1], 0xab);

    /* Several big ones in a row, each usable in full. */
    for (int i = 0; i < 5; i++) {
        unsigned char *b = darena_alloc(&a, (size_t)(1 << 20) + (size_t)i);
        assert_non_null(b);
        assert_true(aligned16(b));
        memset(b, i, (size_t)(1 << 20) + (size_t)i);
    }
    assert_int_equal(a.total, 100 + BIG + 100 + 5 * (1 << 20) + (0 + 1 + 2 + 3 + 4));
    darena_free(&a);
}

static void test_calloc_and_strings(void **state)
{
    (void)state;
    darena a = DARENA_INIT;
    unsigned char *p = darena_alloc(&a, 64);
    memset(p, 0xff, 64);
    darena_reset(&a); /* memory comes back dirty... */
    uint32_t *z = darena_calloc(&a, 16, sizeof *z);
    assert_non_null(z);
    for (int i = 0; i < 16; i++)
        assert_int_equal(z[i], 0); /* ...but calloc zeroes it */

    delta_error_clear();
    assert_null(darena_calloc(&a, SIZE_MAX / 2, 4));
    assert_int_equal(delta_error_last_code(), DELTA_ENOMEM);
    assert_null(darena_alloc(&a, SIZE_MAX - 8));
    assert_int_equal(delta_error_last_code(), DELTA_ENOMEM);

    char *s = darena_strdup(&a, "hello arena");
    assert_string_equal(s, "hello arena");
    s = darena_strndup(&a, "hello arena", 5);
    assert_string_equal(s, "hello");
    s = darena_strndup(&a, "hi", 100);
    assert_string_equal(s, "hi");
    s = darena_strdup(&a, "");
    assert_string_equal(s, "");
    darena_free(&a);
}

/* After reset the largest ordinary block serves new requests without any
 * allocation; the dedicated big blocks are gone. */
static void test_reset_reuses_block(void **state)
{
    (void)state;
    darena a = DARENA_INIT;
    for (int i = 0; i < 400; i++)
        assert_non_null(darena_alloc(&a, 500)); /* 200 KB over growing blocks */
    assert_non_null(darena_alloc(&a, 2 << 20)); /* a dedicated block */
    darena_reset(&a);
    assert_int_equal(a.total, 0);
    assert_non_null(a.head);

    delta_alloc_fail_after(1); /* any allocation from now on fails */
    unsigned char *first = darena_alloc(&a, 1000);
    assert_non_null(first);
    size_t got = 1000;
    while (got + 1000 <= 64 * 1024) {
        unsigned char *p = darena_alloc(&a, 1000);
        assert_non_null(p);
        memset(p, 1, 1000);
        got += 1000;
    }
    assert_int_equal(delta_alloc_injected_failures(), 0);
    assert_null(darena_alloc(&a, 2 << 20)); /* needs a new block: fails */
    assert_int_equal(delta_error_last_code(), DELTA_ENOMEM);
    delta_alloc_fail_after(0);

    /* Reset again: the same block is reused from its start. */
    darena_reset(&a);
    assert_ptr_equal(darena_alloc(&a, 10), first);
    darena_free(&a);

    /* Reset of an empty arena is fine. */
    darena e = DARENA_INIT;
    darena_reset(&e);
    assert_null(e.head);
    darena_free(&e);
}

static void test_block_size_choice(void **state)
{
    (void)state;
    darena a = DARENA_INIT;
    a.block_size = 65536;
    delta_alloc_fail_after(2); /* only the first block may be allocated */
    for (int i = 0; i < 100; i++)
        assert_non_null(darena_alloc(&a, 512));
    assert_int_equal(delta_alloc_injected_failures(), 0);
    delta_alloc_fail_after(0);
    assert_true(a.block_size >= 65536);
    darena_free(&a);
}

static void test_oom(void **state)
{
    (void)state;
    darena a = DARENA_INIT;
    delta_alloc_fail_after(1);
    delta_error_clear();
    assert_null(darena_alloc(&a, 10));
    assert_int_equal(delta_error_last_code(), DELTA_ENOMEM);
    assert_null(darena_strdup(&a, "x"));
    assert_null(darena_calloc(&a, 2, 2));
    assert_null(darena_alloc(&a, 1 << 20));
    delta_alloc_fail_after(0);
    assert_int_equal(a.total, 0);
    /* Usable once memory is back. */
    assert_non_null(darena_alloc(&a, 10));
    assert_int_equal(a.total, 10);
    darena_free(&a);
}

static void test_asan_poisoning(void **state)
{
    (void)state;
#ifdef TEST_ASAN
    darena a = DARENA_INIT;
    unsigned char *p = darena_alloc(&a, 5);
    assert_false(__asan_address_is_poisoned(p + 4));
    assert_true(__asan_address_is_poisoned(p + 16)); /* unused tail of the block */
    unsigned char *q = darena_alloc(&a, 32);
    assert_ptr_equal(q, p + 16);
    assert_false(__asan_address_is_poisoned(q + 31));
    assert_true(__asan_address_is_poisoned(q + 32));
    darena_reset(&a);
    assert_true(__asan_address_is_poisoned(p)); /* reset memory is off limits */
    darena_free(&a);
#else
    print_message("skipped: arena poisoning exists only in AddressSanitizer builds\n");
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_alignment_and_integrity, setup_seed),
        cmocka_unit_test(test_zero_size),
        cmocka_unit_test(test_big_allocations),
        cmocka_unit_test(test_calloc_and_strings),
        cmocka_unit_test_teardown(test_reset_reuses_block, reset_injection),
        cmocka_unit_test_teardown(test_block_size_choice, reset_injection),
        cmocka_unit_test_teardown(test_oom, reset_injection),
        cmocka_unit_test(test_asan_poisoning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
