/*
 * Unit tests for core/alloc.c: the checked allocators and the fault
 * injection hook (the Nth allocation from now and every later one fail
 * until reset), also across threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

static int reset_injection(void **state)
{
    (void)state;
    delta_alloc_fail_after(0);
    return 0;
}

static void test_basic(void **state)
{
    (void)state;
    char *p = delta_malloc(100);
    assert_non_null(p);
    memset(p, 'x', 100);

    p = delta_realloc(p, 10000);
    assert_non_null(p);
    for (int i = 0; i < 100; i++)
        assert_int_equal(p[i], 'x');
    delta_free(p);

    unsigned char *z = delta_calloc(64, 16);
    assert_non_null(z);
    for (int i = 0; i < 64 * 16; i++)
        assert_int_equal(z[i], 0);
    delta_free(z);

    /* Zero-size requests still give a pointer that can be freed. */
    void *e = delta_malloc(0);
    assert_non_null(e);
    delta_free(e);
    e = delta_calloc(0, 8);
    assert_non_null(e);
    delta_free(e);
    delta_free(NULL);
}

static void test_strings(void **state)
{
    (void)state;
    char *s = delta_strdup("hello");
    assert_string_equal(s, "hello");
    delta_free(s);

    s = delta_strndup("hello", 3);
    assert_string_equal(s, "hel");
    delta_free(s);

    s = delta_strndup("hi", 10); /* n past the end: stops at the NUL */
    assert_string_equal(s, "hi");
    delta_free(s);

    const unsigned char bytes[] = {1, 0, 2, 0, 3};
    unsigned char *m = delta_memdup(bytes, sizeof bytes);
    assert_memory_equal(m, bytes, sizeof bytes);
    delta_free(m);

    m = delta_memdup(bytes, 0);
    assert_non_null(m);
    delta_free(m);
}

static void test_reallocarray_overflow(void **state)
{
    (void)state;
    int *p = delta_reallocarray(NULL, 4, sizeof(int));
    assert_non_null(p);
    p[0] = 42;
    delta_error_clear();
    int *q = delta_reallocarray(p, SIZE_MAX / 2, 4);
    assert_null(q);
    assert_int_equal(delta_error_last_code(), DELTA_ENOMEM);
    assert_int_equal(p[0], 42); /* old block untouched and still ours */
    p = delta_reallocarray(p, 8, sizeof(int));
    assert_non_null(p);
    assert_int_equal(p[0], 42);
    delta_free(p);
}

static void test_fail_next(void **state)
{
    (void)state;
    delta_alloc_fail_after(1);
    delta_error_clear();
    assert_null(delta_malloc(8));
    assert_int_equal(delta_error_last_code(), DELTA_ENOMEM);
    assert_null(delta_calloc(1, 8));
    assert_null(delta_strdup("x"));
    assert_null(delta_memdup("abc", 3));
    assert_int_equal(delta_alloc_injected_failures(), 4);

    /* Reset: allocations work again and the count starts over. */
    delta_alloc_fail_after(0);
    assert_int_equal(delta_alloc_injected_failures(), 0);
    void *p = delta_malloc(8);
    assert_non_null(p);
    delta_free(p);
    assert_int_equal(delta_alloc_injected_failures(), 0);
}

static void test_fail_nth(void **state)
{
    (void)state;
    for (long n = 1; n <= 6; n++) {
        delta_alloc_fail_after(n);
        void *ptrs[10];
        for (long i = 1; i <= 10; i++) {
            ptrs[i - 1] = delta_malloc(16);
            if (i < n)
                assert_non_null(ptrs[i - 1]);
            else
                assert_null(ptrs[i - 1]); /* the nth and every later one */
        }
        assert_int_equal(delta_alloc_injected_failures(), 10 - n + 1);
        delta_alloc_fail_after(0);
        for (int i = 0; i < 10; i++)
            delta_free(ptrs[i]);
    }
    /* n <= 0 disables injection. */
    delta_alloc_fail_after(-5);
    void *p = delta_malloc(1);
    assert_non_null(p);
    delta_free(p);
}

static void test_realloc_failure_keeps_block(void **state)
{
    (void)state;
    char *p = delta_malloc(32);
    assert_non_null(p);
    strcpy(p, "still here");
    delta_alloc_fail_after(1);
    char *q = delta_realloc(p, 1 << 20);
    assert_null(q);
    delta_alloc_fail_after(0);
    assert_string_equal(p, "still here");
    delta_free(p);
}

#define THREADS 4
#define PER_THREAD 2000

static void *alloc_worker(void *arg)
{
    long *ok = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        void *p = delta_malloc(8);
        if (p) {
            (*ok)++;
            delta_free(p);
        }
    }
    return NULL;
}

/* Injection is process-wide and atomic: across threads exactly n - 1
 * allocations succeed before the failures start. */
static void test_injection_across_threads(void **state)
{
    (void)state;
    const long n = 3000;
    long ok[THREADS] = {0};
    pthread_t t[THREADS];
    delta_alloc_fail_after(n);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, alloc_worker, &ok[i]), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    long total = 0;
    for (int i = 0; i < THREADS; i++)
        total += ok[i];
    assert_int_equal(total, n - 1);
    assert_int_equal(delta_alloc_injected_failures(), (long)THREADS * PER_THREAD - (n - 1));
    delta_alloc_fail_after(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_basic, reset_injection),
        cmocka_unit_test_teardown(test_strings, reset_injection),
        cmocka_unit_test_teardown(test_reallocarray_overflow, reset_injection),
        cmocka_unit_test_teardown(test_fail_next, reset_injection),
        cmocka_unit_test_teardown(test_fail_nth, reset_injection),
        cmocka_unit_test_teardown(test_realloc_failure_keeps_block, reset_injection),
        cmocka_unit_test_teardown(test_injection_across_threads, reset_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
